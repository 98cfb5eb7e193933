/*
 * parse_bench.c - ns per sql_parse() call for three typical statements:
 * a ~120-byte point SELECT, a ~400-byte INSERT and a 6-spec ALTER.
 * Each figure is the median of many batches, one core, arena reset between
 * calls (as the proxy does per query).
 *
 *   ./parse_bench [batches]      (default 301 batches of 2000 calls)
 *   ./parse_bench --count N [select|insert|alter]
 *                                N calls per statement, no timing: for
 *                                valgrind --tool=callgrind instruction counts
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sql.h"

static const char q_select[] = "SELECT id, name, email, status FROM shop.users u WHERE u.id = 42 "
                               "AND u.status = 'active' LIMIT 1";

static const char q_insert[] =
    "INSERT INTO shop.orders (id, customer_id, status, total_cents, currency, created_at, "
    "updated_at, note) "
    "VALUES (1001, 77, 'new', 12999, 'EUR', '2024-05-01 10:00:00', '2024-05-01 10:00:00', 'first "
    "order'), "
    "(1002, 78, 'new', 4999, 'EUR', '2024-05-01 10:01:00', '2024-05-01 10:01:00', 'gift wrap "
    "please'), "
    "(1003, 79, 'paid', 19999, 'USD', '2024-05-01 10:02:00', '2024-05-01 10:02:00', NULL) "
    "ON DUPLICATE KEY UPDATE status = VALUES(status), updated_at = NOW()";

static const char q_alter[] =
    "ALTER TABLE shop.orders ADD COLUMN note VARCHAR(255) NULL DEFAULT NULL AFTER status, "
    "ADD COLUMN flags INT UNSIGNED NOT NULL DEFAULT 0, MODIFY COLUMN total_cents BIGINT NOT NULL, "
    "DROP COLUMN legacy, ADD INDEX idx_status_created (status, created_at), "
    "RENAME COLUMN ref TO reference, ALGORITHM=INPLACE, LOCK=NONE";

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void setup_opts(struct sql_parse_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->server.flavour = SQL_FLAVOUR_MYSQL;
    opts->server.version = 80036;
    opts->default_schema = "shop";
}

/* Fixed work per statement, one function per statement so callgrind's
 * inclusive cost of each reads directly as "instructions x N". */
static unsigned long long count_loop(const char *q, long n)
{
    struct sql_parse_opts opts;
    struct sql_script s;
    unsigned long long sink = 0;
    setup_opts(&opts);
    sql_script_init(&s);
    size_t len = strlen(q);
    for (long k = 0; k < n; k++) {
        sql_script_reset(&s);
        if (!sql_parse(&opts, q, len, &s) || !s.stmts[0].parsed) {
            fprintf(stderr, "parse failed\n");
            exit(1);
        }
        sink += s.stmts[0].digest;
    }
    sql_script_free(&s);
    return sink;
}

__attribute__((noinline)) static unsigned long long count_select(long n)
{
    return count_loop(q_select, n);
}
__attribute__((noinline)) static unsigned long long count_insert(long n)
{
    return count_loop(q_insert, n);
}
__attribute__((noinline)) static unsigned long long count_alter(long n)
{
    return count_loop(q_alter, n);
}

static double bench(const char *name, const char *q, int batches, int per_batch)
{
    struct sql_parse_opts opts;
    struct sql_script s;
    setup_opts(&opts);
    sql_script_init(&s);
    size_t len = strlen(q);
    double *samples = malloc(sizeof(double) * (size_t)batches);
    unsigned long long sink = 0;
    for (int b = 0; b < batches; b++) {
        double t0 = now_ns();
        for (int k = 0; k < per_batch; k++) {
            sql_script_reset(&s);
            if (!sql_parse(&opts, q, len, &s) || !s.stmts[0].parsed) {
                fprintf(stderr, "%s: parse failed\n", name);
                exit(1);
            }
            sink += s.stmts[0].digest;
        }
        samples[b] = (now_ns() - t0) / per_batch;
    }
    qsort(samples, (size_t)batches, sizeof(double), cmp_double);
    double med = samples[batches / 2];
    printf("%-16s %4zu bytes  median %8.1f ns/statement  (p10 %.1f, p90 %.1f)%s\n", name, len, med,
           samples[batches / 10], samples[batches * 9 / 10], sink == 42 ? " " : "");
    sql_script_free(&s);
    free(samples);
    return med;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--count") == 0) {
        long n = atol(argv[2]);
        const char *only = argc > 3 ? argv[3] : "";
        unsigned long long sink = 0;
        if (!*only || strcmp(only, "select") == 0)
            sink += count_select(n);
        if (!*only || strcmp(only, "insert") == 0)
            sink += count_insert(n);
        if (!*only || strcmp(only, "alter") == 0)
            sink += count_alter(n);
        printf("%ld calls each (sink %llu)\n", n, sink & 0xff);
        return 0;
    }
    int batches = argc > 1 ? atoi(argv[1]) : 301;
    if (batches < 11)
        batches = 11;
    bench("point SELECT", q_select, batches, 2000);
    bench("INSERT 3 rows", q_insert, batches, 2000);
    bench("ALTER 6 specs", q_alter, batches, 2000);
    return 0;
}
