/*
 * check_runtime_rules.c - the session rules the proxy and lint evaluate at
 * run time: reading SET ... lock_wait_timeout (gate_lock_wait_set), DG030 in
 * the gate (session value vs cap, modes), DG030 in `ddlgate lint` (per-file
 * SET tracking, --lock-wait-cap, output), and DG031 in the DDL queue (a
 * long transaction named in SHOW QUEUE's blockers and in the verdict ring).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "errors.h"
#include "gate.h"
#include "lint.h"
#include "mdlqueue.h"
#include "rules.h"
#include "sql.h"
#include "verdicts.h"

/* ---- gate_lock_wait_set ----------------------------------------------------------- */

static const struct {
    const char *sql;
    int want;        /* return value */
    int64_t seconds; /* when want == 1 */
} lwt_cases[] = {
    {"SET lock_wait_timeout = 5", 1, 5},
    {"SET SESSION lock_wait_timeout=10", 1, 10},
    {"set session LOCK_WAIT_TIMEOUT = 12", 1, 12},
    {"SET LOCAL lock_wait_timeout = 2", 1, 2},
    {"set @@session.lock_wait_timeout = 3", 1, 3},
    {"SET @@local.lock_wait_timeout = 4", 1, 4},
    {"SET @@lock_wait_timeout := 7", 1, 7},
    {"SET `lock_wait_timeout` = 9", 1, 9},
    {"SET autocommit = 0, lock_wait_timeout = 4", 1, 4},
    {"SET sql_mode = 'A,B', @@SESSION.LOCK_WAIT_TIMEOUT = 11;", 1, 11},
    {"SET lock_wait_timeout = f(1, 2), autocommit = 1", -1, 0},
    {"SET lock_wait_timeout = DEFAULT", 1, 0},
    {"SET lock_wait_timeout = 0", 1, 1}, /* the server clamps to 1 */
    {"SET /* c */ lock_wait_timeout = 6 -- x", 1, 6},
    {"SET lock_wait_timeout = 2 * 3", -1, 0},
    {"SET lock_wait_timeout = @x", -1, 0},
    {"SET GLOBAL lock_wait_timeout = 5", 0, 0},
    {"SET @@global.lock_wait_timeout = 5", 0, 0},
    {"SET PERSIST lock_wait_timeout = 5", 0, 0},
    {"SET @lock_wait_timeout = 5", 0, 0},
    {"SET innodb_lock_wait_timeout = 5", 0, 0},
    {"SET NAMES utf8mb4", 0, 0},
    {"SET STATEMENT lock_wait_timeout = 1 FOR ALTER TABLE t ADD c INT", 0, 0},
    {"SELECT 1", 0, 0},
    {"SET", 0, 0},
    {"SET lock_wait_timeout", 0, 0},
};

START_TEST(test_lock_wait_set)
{
    struct sql_parse_opts o = {.server = {SQL_FLAVOUR_MARIADB, 101100, false}};
    for (size_t i = 0; i < sizeof lwt_cases / sizeof lwt_cases[0]; i++) {
        int64_t v = -42;
        int r = gate_lock_wait_set(&o, lwt_cases[i].sql, strlen(lwt_cases[i].sql), &v);
        ck_assert_msg(r == lwt_cases[i].want, "%s: got %d want %d", lwt_cases[i].sql, r,
                      lwt_cases[i].want);
        if (r == 1)
            ck_assert_msg(v == lwt_cases[i].seconds, "%s: value %lld want %lld", lwt_cases[i].sql,
                          (long long)v, (long long)lwt_cases[i].seconds);
    }
    struct sql_server my = {SQL_FLAVOUR_MYSQL, 80036, false};
    ck_assert_int_eq(gate_lock_wait_default(&my), 31536000);
    ck_assert_int_eq(gate_lock_wait_default(&o.server), 86400);
}
END_TEST

/* ---- DG030 in the gate ------------------------------------------------------------ */

static bool has_rule(const struct gate_verdict *v, uint16_t id)
{
    for (int i = 0; i < v->nrules; i++)
        if (v->rules[i] == id)
            return true;
    return false;
}

/* every table is a typical one (InnoDB, DYNAMIC, primary key) */
static const struct gate_table_info typical = {
    .engine = "InnoDB", .row_format = "DYNAMIC", .has_primary_key = true};

static const struct gate_table_info *typical_lookup(void *ctx, const char *schema,
                                                    const char *table)
{
    (void)ctx, (void)schema, (void)table;
    return &typical;
}

static void judge(const char *sql, const struct gate_session *sess, struct gate_verdict *v)
{
    static struct sql_script sc;
    static bool init;
    struct sql_parse_opts o = {.server = {SQL_FLAVOUR_MARIADB, 101100, false}};
    struct gate_tables t = {typical_lookup, NULL};
    if (!init) {
        sql_script_init(&sc);
        init = true;
    }
    gate_check(&o, sess, &t, sql, strlen(sql), &sc, v);
}

START_TEST(test_dg030_gate)
{
    struct gate_verdict v;
    struct gate_session s = {.user = "app", .lock_wait_timeout_s = 86400, .lock_wait_cap_s = 2};
    rules_reset();
    gate_verdict_init(&v);

    /* an online ALTER on a default session: DG010 rewrites the text, DG030
     * caps the session */
    judge("ALTER TABLE t ADD COLUMN c INT NULL", &s, &v);
    ck_assert(has_rule(&v, 30) && has_rule(&v, 10));
    ck_assert_int_eq(v.action, GATE_REWRITE);
    ck_assert_int_eq(v.lock_wait_cap_s, 2);
    ck_assert_ptr_nonnull(v.rewritten);

    /* DG030 alone: the text is forwarded unchanged, the cap travels along */
    judge("OPTIMIZE TABLE t", &s, &v);
    ck_assert(has_rule(&v, 30));
    ck_assert_int_eq(v.action, GATE_WARN);
    ck_assert_int_eq(v.lock_wait_cap_s, 2);
    ck_assert_ptr_null(v.rewritten);

    /* no exclusive metadata lock on an existing table: no DG030 */
    judge("CREATE TABLE n (id INT PRIMARY KEY)", &s, &v);
    ck_assert(!has_rule(&v, 30));
    judge("SELECT * FROM t", &s, &v);
    ck_assert(!has_rule(&v, 30));
    ck_assert_int_eq(v.lock_wait_cap_s, 0);

    /* the session already waits at most the cap, or nothing is known */
    struct gate_session ok = s;
    ok.lock_wait_timeout_s = 2;
    judge("OPTIMIZE TABLE t", &ok, &v);
    ck_assert(!has_rule(&v, 30));
    ok.lock_wait_timeout_s = 0;
    judge("OPTIMIZE TABLE t", &ok, &v);
    ck_assert(!has_rule(&v, 30));
    ok = s;
    ok.lock_wait_cap_s = 0;
    judge("OPTIMIZE TABLE t", &ok, &v);
    ck_assert(!has_rule(&v, 30));
    judge("OPTIMIZE TABLE t", NULL, &v);
    ck_assert(!has_rule(&v, 30));

    /* modes: warn names it without a cap, reject refuses with 7100 */
    ck_assert(rules_set_mode(30, RULE_WARN, NULL, NULL));
    judge("OPTIMIZE TABLE t", &s, &v);
    ck_assert(has_rule(&v, 30));
    ck_assert_int_eq(v.lock_wait_cap_s, 0);
    ck_assert(rules_set_mode(30, RULE_REJECT, NULL, NULL));
    judge("TRUNCATE TABLE t", &s, &v);
    ck_assert_int_eq(v.action, GATE_REJECT);
    ck_assert_int_eq(v.deciding_rule, 30);
    ck_assert_int_eq(v.err_code, DGE_RULE_REJECT);
    ck_assert_msg(strstr(v.message, "DG030 ddl-lock-wait-timeout") && strstr(v.message, "86400"),
                  "%s", v.message);
    ck_assert_int_eq(v.lock_wait_cap_s, 0);
    /* per table: off for one table only */
    rules_reset();
    ck_assert(rules_set_mode(30, RULE_OFF, "shop", "quiet"));
    judge("OPTIMIZE TABLE shop.quiet", &s, &v);
    ck_assert(!has_rule(&v, 30));
    judge("OPTIMIZE TABLE shop.loud", &s, &v);
    ck_assert(has_rule(&v, 30));
    rules_reset();
    gate_verdict_clear(&v);
}
END_TEST

/* ---- DG030 in lint ----------------------------------------------------------------- */

static char lt_dir[256];

static void lt_setup(void)
{
    snprintf(lt_dir, sizeof lt_dir, "/tmp/ddlgate_rtr_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(lt_dir));
}

static void lt_teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", lt_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *lt_write(const char *name, const char *content)
{
    static char p[8][512];
    static int k;
    char *path = p[k++ % 8];
    snprintf(path, 512, "%s/%s", lt_dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(content, f);
    fclose(f);
    return path;
}

static char *lt_run(int *rc, const char *const *args)
{
    char *argv[16], *buf = NULL;
    size_t len = 0;
    int argc = 0;
    argv[argc++] = (char *)"lint";
    for (; args[argc - 1] && argc < 15; argc++)
        argv[argc] = (char *)args[argc - 1];
    argv[argc] = NULL;
    FILE *out = open_memstream(&buf, &len);
    FILE *err = fopen("/dev/null", "w");
    *rc = lint_run(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return buf;
}

START_TEST(test_dg030_lint)
{
    int rc;
    const char *a = lt_write("a.sql", "ALTER TABLE t ADD COLUMN c INT NULL;\n"
                                      "SET SESSION lock_wait_timeout = 2;\n"
                                      "ALTER TABLE t ADD COLUMN d INT NULL;\n"
                                      "SET lock_wait_timeout = DEFAULT;\n"
                                      "OPTIMIZE TABLE t;\n");
    const char *b = lt_write("b.sql", "OPTIMIZE TABLE t;\n");
    char *o = lt_run(&rc, (const char *[]){"--server", "mariadb-10.11", a, b, NULL});
    ck_assert_int_eq(rc, 0); /* DG030 never fails a build on its own */
    ck_assert_msg(strstr(o, "a.sql:1: [DG010,DG030] algorithm=INSTANT lock_none=yes rebuild=no "
                            "action=rewrite rewritten: SET SESSION lock_wait_timeout=2; ALTER "
                            "TABLE t ADD COLUMN c INT NULL, ALGORITHM=INSTANT\n"),
                  "%s", o);
    ck_assert_msg(strstr(o, "a.sql:3: [DG010] "), "%s", o); /* after the SET */
    ck_assert_msg(strstr(o, "a.sql:5: [DG016,DG030,DG095] algorithm=INPLACE lock_none=yes "
                            "rebuild=yes action=warn rewritten: SET SESSION lock_wait_timeout=2; "
                            "OPTIMIZE TABLE t\n"),
                  "%s", o);
    /* every file starts a new session: b.sql does not inherit a.sql's SET */
    ck_assert_msg(strstr(o, "b.sql:1: [DG016,DG030,DG095]"), "%s", o);
    free(o);

    /* --lock-wait-cap: a SET within the cap satisfies it, above it does not */
    const char *c = lt_write("c.sql", "SET lock_wait_timeout = 5;\nTRUNCATE TABLE t;\n"
                                      "SET lock_wait_timeout = 30;\nTRUNCATE TABLE t;\n");
    o = lt_run(&rc, (const char *[]){"--server", "mysql-8.0.36", "--lock-wait-cap", "10",
                                     "--format", "json", c, NULL});
    char *l2 = strstr(o, "\"line\":2,");
    char *l4 = strstr(o, "\"line\":4,");
    ck_assert_msg(l2 && l4, "%s", o);
    char *r2 = strstr(l2, "\"rules\":[\"DG007\"]");
    ck_assert_msg(r2 && r2 < l4, "%s", o);
    ck_assert_msg(strstr(l4, "\"rules\":[\"DG007\",\"DG030\"]"), "%s", o);
    /* DG007 needs approval: the statement is not rewritten, no SET offered */
    ck_assert_msg(strstr(l4, "\"rewritten\":null"), "%s", o);
    free(o);

    /* the rule can be turned off; a bad cap is a usage error */
    o = lt_run(&rc, (const char *[]){"--server", "mariadb-10.11", "--rule", "DG030=off", b, NULL});
    ck_assert_msg(strstr(o, "b.sql:1: [DG016,DG095]"), "%s", o);
    free(o);
    o = lt_run(&rc, (const char *[]){"--server", "mariadb-10.11", "--lock-wait-cap", "0", b, NULL});
    ck_assert_int_eq(rc, 2);
    free(o);
    o = lt_run(&rc, (const char *[]){"--server", "mariadb-10.11", "--lock-wait-cap=x", b, NULL});
    ck_assert_int_eq(rc, 2);
    free(o);
}
END_TEST

/* ---- DG031 in the DDL queue -------------------------------------------------------- */

static bool queue_blockers(uint64_t id, char *out, size_t len)
{
    static struct mdlq_info info[MDLQ_MAX_SHOW];
    int n = mdlq_list(info, MDLQ_MAX_SHOW);
    for (int i = 0; i < n; i++)
        if (info[i].id == id) {
            snprintf(out, len, "%s", info[i].blockers);
            return true;
        }
    return false;
}

static bool verdict_with(uint16_t rule, const char *needle)
{
    static struct verdict_entry e[VERDICTS_RING];
    char want[8];
    snprintf(want, sizeof want, "DG%03u", rule);
    int n = verdicts_snapshot(e, VERDICTS_RING);
    for (int i = 0; i < n; i++)
        if (strstr(e[i].rules, want) && strstr(e[i].statement, needle))
            return true;
    return false;
}

START_TEST(test_dg031_queue)
{
    static struct worker *no_worker; /* nothing is posted while a blocker holds the table */
    struct conf *c = malloc(sizeof *c);
    ck_assert_ptr_nonnull(c);
    conf_defaults(c);
    c->long_transaction_s = 3;
    conf_swap(c);
    rules_reset();
    mdlq_set_monitor(true);

    const char *keys[] = {"shop.orders"};
    const char *sql = "ALTER TABLE shop.orders ADD COLUMN x INT NULL";
    uint64_t id = mdlq_enqueue(no_worker, 901, 0, "app", keys, 1, sql, strlen(sql));
    ck_assert_uint_gt(id, 0);
    usleep(2000);

    /* a young blocker (idle, transaction 1 s old): held, DG031 not named */
    struct mdlq_external x = {.thread_id = 77,
                              .user = "batch",
                              .host = "10.0.0.9",
                              .key = "shop.orders",
                              .trx_seconds = 1,
                              .idle_ms = 500};
    mdlq_set_external(&x, 1);
    mdlq_tick();
    char b[512];
    ck_assert(queue_blockers(id, b, sizeof b));
    ck_assert_msg(strstr(b, "thread 77") && !strstr(b, "DG031"), "%s", b);
    ck_assert(!verdict_with(31, "ADD COLUMN x"));

    /* the same transaction, now older than long_transaction_s */
    x.trx_seconds = 5;
    mdlq_set_external(&x, 1);
    usleep(60 * 1000); /* past the queue's next check */
    mdlq_tick();
    ck_assert(queue_blockers(id, b, sizeof b));
    ck_assert_msg(strstr(b, "DG031 long-transaction-on-target: thread 77"), "%s", b);
    ck_assert(verdict_with(31, "ADD COLUMN x"));
    uint64_t hits = rules_hits(31);
    ck_assert_uint_ge(hits, 1);
    usleep(60 * 1000); /* named once, still named on every later look */
    mdlq_tick();
    ck_assert(queue_blockers(id, b, sizeof b));
    ck_assert_msg(strstr(b, "DG031"), "%s", b);
    ck_assert_uint_eq(rules_hits(31), hits);

    /* DG031 off: another DDL behind the same transaction is not named */
    ck_assert(rules_set_mode(31, RULE_OFF, NULL, NULL));
    const char *keys2[] = {"shop.items"};
    const char *sql2 = "ALTER TABLE shop.items ADD COLUMN y INT NULL";
    uint64_t id2 = mdlq_enqueue(no_worker, 902, 0, "app", keys2, 1, sql2, strlen(sql2));
    usleep(2000);
    struct mdlq_external xs[2] = {x, x};
    snprintf(xs[1].key, sizeof xs[1].key, "shop.items");
    mdlq_set_external(xs, 2);
    usleep(60 * 1000);
    mdlq_tick();
    ck_assert(queue_blockers(id2, b, sizeof b));
    ck_assert_msg(strstr(b, "thread 77") && !strstr(b, "DG031"), "%s", b);

    mdlq_abandon(id);
    mdlq_abandon(id2);
    mdlq_set_external(NULL, 0);
    mdlq_set_monitor(false);
    rules_reset();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runtime_rules");
    TCase *tc = tcase_create("runtime_rules");
    tcase_add_checked_fixture(tc, lt_setup, lt_teardown);
    tcase_add_test(tc, test_lock_wait_set);
    tcase_add_test(tc, test_dg030_gate);
    tcase_add_test(tc, test_dg030_lint);
    tcase_add_test(tc, test_dg031_queue);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
