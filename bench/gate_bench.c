/*
 * gate_bench.c - cost of gate_check() per statement kind (ns/op, single
 * thread), the figure that matters on the relay path for non-DDL.
 * Usage: gate_bench [iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate.h"
#include "log.h"
#include "sql.h"

static double gb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static const struct gate_table_info gb_typical = {
    .engine = "InnoDB", .row_format = "DYNAMIC", .has_primary_key = true};

static const struct gate_table_info *gb_lookup(void *ctx, const char *schema, const char *table)
{
    (void)ctx, (void)schema, (void)table;
    return &gb_typical;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (n <= 0 || n > 100000000)
        n = 1000000;
    static const struct {
        const char *name, *sql;
    } cases[] = {
        {"point select", "SELECT c FROM sbtest1 WHERE id=4242"},
        {"update by pk", "UPDATE sbtest1 SET k=k+1 WHERE id=4242"},
        {"insert", "INSERT INTO sbtest1 (id, k, c, pad) VALUES (0, 1, 'x', 'y')"},
        {"alter rewrite", "ALTER TABLE sbtest1 ADD COLUMN note VARCHAR(32) NULL"},
    };
    log_set_level(LOG_ERROR);
    struct sql_parse_opts opts = {.server = {SQL_FLAVOUR_MYSQL, 80036, false},
                                  .default_schema = "sbtest"};
    struct gate_tables tables = {gb_lookup, NULL};
    struct sql_script s;
    struct gate_verdict v;
    sql_script_init(&s);
    gate_verdict_init(&v);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        long iters = c == 3 ? n / 10 : n; /* the rewrite path allocates and re-parses */
        size_t len = strlen(cases[c].sql);
        /* the parse alone, in the same run, so the gate's own share shows */
        double t0 = gb_now();
        for (long i = 0; i < iters; i++) {
            sql_script_reset(&s);
            sql_parse(&opts, cases[c].sql, len, &s);
        }
        double t1 = gb_now();
        for (long i = 0; i < iters; i++)
            gate_check(&opts, NULL, &tables, cases[c].sql, len, &s, &v);
        double t2 = gb_now();
        printf("%-14s gate_check %6.0f ns/op (parse alone %6.0f ns)  action=%d rules=%d\n",
               cases[c].name, (t2 - t1) / (double)iters, (t1 - t0) / (double)iters, v.action,
               v.nrules);
    }
    gate_verdict_clear(&v);
    sql_script_free(&s);
    return 0;
}
