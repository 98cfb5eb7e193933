/*
 * it_prepare_ddl.c - DDL through prepared statements, and the runtime rules
 * DG030 (lock_wait_timeout) and DG031 (long transaction on the target), with
 * real clients through ddlgate in front of the sandbox MariaDB.
 *
 * Scenarios (each on a table of its own):
 *   rewrite     mysql_stmt_prepare(ALTER ... ADD COLUMN) is rewritten online
 *               (SHOW VERDICTS: DG010, rewrite) and executes; a repeatable
 *               prepared ALTER executed three times goes through the DDL
 *               queue three times
 *   refused     mysql_stmt_prepare of a COPY-only ALTER: 7101 (DG014, pending
 *               id) at prepare time, nothing reaches the server
 *   queued      A holds the table in an open transaction; B's
 *               mysql_stmt_execute of a prepared ALTER waits in ddlgate's
 *               queue (SHOW QUEUE shows the ALTER), C's reads keep flowing,
 *               B runs after A commits
 *   sqlprepare  PREPARE s FROM '<COPY-only ALTER>' refused (7101);
 *               PREPARE s FROM '<ALTER>' rewritten; EXECUTE s queued behind
 *               A; DEALLOCATE PREPARE; quotes survive the literal's rewrite;
 *               EXECUTE IMMEDIATE 'text' judged and queued
 *   cancel      CANCEL <id> on the admin port while a prepared ALTER waits:
 *               7201, table unchanged, the session goes on
 *   deadline    a prepared ALTER past limits.ddl_queue_deadline_s: 7200,
 *               table unchanged
 *   dg030       a DDL on a default session names DG030 (rewrite) in SHOW
 *               VERDICTS, one after SET SESSION lock_wait_timeout = 1 does
 *               not; the session keeps its own lock_wait_timeout afterwards
 *   dg031       A's transaction is older than limits.long_transaction_s:
 *               SHOW QUEUE and SHOW VERDICTS name DG031; with DG031 = reject
 *               the held DDL is refused with 7100
 *
 * The program starts its own ddlgate instances (free ports, stopped at
 * exit).  Environment: MARIADB_PORT, DDLGATE_BIN (required), IT_WORK_DIR.
 * Output: "ok - prepddl_<check>" / "not ok - ...: why", then a summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <mysql.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "it_common.h"

#define ADMIN_USER "admin"
#define ADMIN_PASS "it-prepddl-secret"
#define OVERALL_TIMEOUT_S 240
#define HOLD_S 2.0 /* how long A keeps its transaction open while B waits */

static struct it_tally g_tally = {.prefix = "prepddl_"};
static unsigned g_mport;

static double now_s(void) { return it_now_s(); }
static void sleep_s(double s) { it_sleep_s(s); }

__attribute__((format(printf, 3, 4))) static bool check(bool cond, const char *name,
                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool r = it_vcheck(&g_tally, cond, name, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- ddlgate instances ------------------------------------------------------------ */

static void dg_stop(struct it_dg *d) { it_dg_stop(d, 10); }

static bool dg_start(struct it_dg *d, const char *tag, const char *const *sets, int nsets)
{
    return it_dg_start(d, "it_prepare_ddl", tag, ADMIN_USER, ADMIN_PASS, sets, nsets);
}

/* ---- client helpers --------------------------------------------------------------- */

static MYSQL *db_connect(unsigned port, const char *user, const char *pass, const char *db,
                         char *err, size_t errlen)
{
    return it_db_connect(port, user, pass, db, 60, NULL, err, errlen);
}

/* Run a statement and discard its result; 0 or the error number. */
static unsigned db_exec(MYSQL *m, const char *sql, char *err, size_t errlen)
{
    return it_db_exec(m, sql, true, err, errlen);
}

static long long db_int(MYSQL *m, const char *sql) { return it_db_int(m, sql); }

static MYSQL *app_conn(unsigned port, char *err, size_t errlen)
{
    return db_connect(port, "app", "apppass", "test", err, errlen);
}

static bool table_fixture(const char *table, char *err, size_t errlen)
{
    char sql[256];
    MYSQL *r = db_connect(g_mport, "root", "", "test", err, errlen);
    bool ok = r != NULL;
    if (!r)
        return false;
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    ok = ok && db_exec(r, sql, err, errlen) == 0;
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB",
             table);
    ok = ok && db_exec(r, sql, err, errlen) == 0;
    snprintf(sql, sizeof sql, "INSERT INTO %s SELECT seq, seq * 7 FROM seq_1_to_100", table);
    ok = ok && db_exec(r, sql, err, errlen) == 0;
    mysql_close(r);
    return ok;
}

static void table_drop(const char *table)
{
    char err[256], sql[256];
    MYSQL *r = db_connect(g_mport, "root", "", "test", err, sizeof err);
    if (!r)
        return;
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    db_exec(r, sql, err, sizeof err);
    mysql_close(r);
}

/* a column's DATA_TYPE ("int", "bigint"), "" when absent, NULL on error */
static const char *column_type(const char *table, const char *col, char *buf, size_t len)
{
    char err[256], sql[384];
    MYSQL *r = db_connect(g_mport, "root", "", "test", err, sizeof err);
    const char *res = NULL;
    if (!r)
        return NULL;
    snprintf(sql, sizeof sql,
             "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'test' "
             "AND TABLE_NAME = '%s' AND COLUMN_NAME = '%s'",
             table, col);
    if (mysql_query(r, sql) == 0) {
        MYSQL_RES *rs = mysql_store_result(r);
        if (rs) {
            MYSQL_ROW row = mysql_fetch_row(rs);
            snprintf(buf, len, "%s", row && row[0] ? row[0] : "");
            res = buf;
            mysql_free_result(rs);
        }
    }
    mysql_close(r);
    return res;
}

static bool column_is(const char *table, const char *col, const char *type)
{
    char buf[64];
    const char *t = column_type(table, col, buf, sizeof buf);
    return t && strcmp(t, type) == 0;
}

/* ---- prepared statements in a thread ---------------------------------------------- */

struct exec_job {
    MYSQL *m;
    MYSQL_STMT *st; /* binary protocol, or NULL: */
    char sql[512];  /* a text statement (EXECUTE s) */
    int times;      /* executes in a row */
    pthread_t th;
    atomic_bool finished;
    bool started;
    unsigned err;
    char msg[512];
    double sent, done;
};

static void *exec_main(void *arg)
{
    struct exec_job *j = arg;
    j->sent = now_s();
    for (int i = 0; i < j->times && !j->err; i++) {
        if (j->st) {
            if (mysql_stmt_execute(j->st) != 0) {
                j->err = mysql_stmt_errno(j->st);
                snprintf(j->msg, sizeof j->msg, "%s", mysql_stmt_error(j->st));
            }
        } else if (mysql_query(j->m, j->sql) != 0) {
            j->err = mysql_errno(j->m);
            snprintf(j->msg, sizeof j->msg, "%s", mysql_error(j->m));
        } else {
            MYSQL_RES *r = mysql_store_result(j->m);
            if (r)
                mysql_free_result(r);
        }
    }
    j->done = now_s();
    atomic_store(&j->finished, true);
    return NULL;
}

static bool exec_start(struct exec_job *j)
{
    if (j->times <= 0)
        j->times = 1;
    atomic_store(&j->finished, false);
    j->started = pthread_create(&j->th, NULL, exec_main, j) == 0;
    return j->started;
}

static bool exec_wait(struct exec_job *j, double max_s)
{
    double t0 = now_s();
    while (!atomic_load(&j->finished) && now_s() - t0 < max_s)
        sleep_s(0.01);
    return atomic_load(&j->finished);
}

static void exec_end(struct exec_job *j)
{
    if (j->started) {
        if (!atomic_load(&j->finished))
            shutdown(mysql_get_socket(j->m), SHUT_RDWR);
        pthread_join(j->th, NULL);
    }
    j->started = false;
}

/* ---- the admin console ------------------------------------------------------------ */

static int admin_queue_wait(MYSQL *adm, const char *needle, double max_s, struct queue_row *out,
                            const char *blocker_needle)
{
    double t0 = now_s();
    int n;
    do {
        n = it_admin_queue(adm, needle, out);
        if (n < 0 || (n > 0 && (!blocker_needle || strstr(out->blockers, blocker_needle))))
            return n;
        sleep_s(0.05);
    } while (now_s() - t0 < max_s);
    return n;
}

/* The newest SHOW VERDICTS row whose statement contains needle (and whose
 * rules contain rule_needle when given): its rules and action; false when
 * none. */
static bool admin_verdict(MYSQL *adm, const char *needle, const char *rule_needle, char *rules,
                          size_t rlen, char *action, size_t alen)
{
    bool found = false;
    if (mysql_query(adm, "SHOW VERDICTS") != 0)
        return false;
    MYSQL_RES *r = mysql_store_result(adm);
    if (!r)
        return false;
    MYSQL_ROW row;
    while (!found && (row = mysql_fetch_row(r))) { /* newest first */
        if (mysql_num_fields(r) < 10 || !row[9] || !strstr(row[9], needle))
            continue;
        if (rule_needle && (!row[5] || !strstr(row[5], rule_needle)))
            continue;
        snprintf(rules, rlen, "%s", row[5] ? row[5] : "");
        snprintf(action, alen, "%s", row[6] ? row[6] : "");
        found = true;
    }
    mysql_free_result(r);
    return found;
}

/* ---- a scenario's furniture: table, admin, A's open transaction --------------------- */

struct ctx {
    const char *name;
    char table[48];
    struct it_dg *dg;
    MYSQL *adm, *a, *b;
    char err[512];
};

static bool ctx_open(struct ctx *x, const char *name, struct it_dg *dg)
{
    memset(x, 0, sizeof *x);
    x->name = name;
    x->dg = dg;
    snprintf(x->table, sizeof x->table, "it_prepddl_%s", name);
    char cname[64];
    snprintf(cname, sizeof cname, "%s_setup", name);
    if (!table_fixture(x->table, x->err, sizeof x->err))
        return check(false, cname, "fixture: %s", x->err);
    x->adm = db_connect(dg->admin_port, ADMIN_USER, ADMIN_PASS, NULL, x->err, sizeof x->err);
    x->b = x->adm ? app_conn(dg->port, x->err, sizeof x->err) : NULL;
    return check(x->adm && x->b, cname, "connections: %s", x->err);
}

/* A: BEGIN; SELECT on the table, then idle: it holds the table's MDL */
static bool ctx_hold(struct ctx *x)
{
    char sql[160];
    x->a = app_conn(x->dg->port, x->err, sizeof x->err);
    snprintf(sql, sizeof sql, "SELECT * FROM %s", x->table);
    bool ok = x->a && db_exec(x->a, "BEGIN", x->err, sizeof x->err) == 0 &&
              db_exec(x->a, sql, x->err, sizeof x->err) == 0;
    sleep_s(0.3); /* idle: a blocker, not a transaction about to end */
    return ok;
}

static void ctx_release(struct ctx *x)
{
    char err[256];
    if (x->a) {
        db_exec(x->a, "COMMIT", err, sizeof err);
        mysql_close(x->a);
        x->a = NULL;
    }
}

static void ctx_close(struct ctx *x)
{
    ctx_release(x);
    if (x->b)
        mysql_close(x->b);
    if (x->adm)
        mysql_close(x->adm);
    x->b = x->adm = NULL;
    table_drop(x->table);
}

static MYSQL_STMT *prepare(MYSQL *m, const char *sql, unsigned *err, char *msg, size_t mlen)
{
    MYSQL_STMT *st = mysql_stmt_init(m);
    *err = 0;
    if (!st) {
        *err = 1;
        snprintf(msg, mlen, "mysql_stmt_init failed");
        return NULL;
    }
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
        *err = mysql_stmt_errno(st);
        snprintf(msg, mlen, "%s", mysql_stmt_error(st));
        mysql_stmt_close(st);
        return NULL;
    }
    return st;
}

/* ---- scenarios -------------------------------------------------------------------- */

static void scen_rewrite(struct it_dg *dg)
{
    struct ctx x;
    char sql[256], msg[512], rules[128] = "", action[32] = "";
    unsigned err;
    if (!ctx_open(&x, "rewrite", dg))
        goto out;
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN c_new INT NULL", x.table);
    MYSQL_STMT *st = prepare(x.b, sql, &err, msg, sizeof msg);
    check(st != NULL, "rewrite_prepare_ok", "prepare: %u %s", err, msg);
    bool v = admin_verdict(x.adm, sql, NULL, rules, sizeof rules, action, sizeof action);
    check(v && strstr(rules, "DG010") && strcmp(action, "rewrite") == 0, "rewrite_verdict",
          "SHOW VERDICTS for the prepared ALTER: %s rules '%s' action '%s'",
          v ? "found" : "not found", v ? rules : "", v ? action : "");
    long long q0 = it_admin_stat(x.adm, "queue_queued");
    if (st) {
        bool ok = mysql_stmt_execute(st) == 0;
        check(ok, "rewrite_execute_ok", "execute: %u %s", mysql_stmt_errno(st),
              mysql_stmt_error(st));
        mysql_stmt_close(st);
    }
    check(column_is(x.table, "c_new", "int"), "rewrite_column_added", "column c_new missing");
    /* a repeatable prepared DDL: every execute goes through the queue */
    snprintf(sql, sizeof sql, "ALTER TABLE %s ALTER COLUMN v SET DEFAULT 7", x.table);
    st = prepare(x.b, sql, &err, msg, sizeof msg);
    int ok3 = 0;
    for (int i = 0; st && i < 3; i++)
        ok3 += mysql_stmt_execute(st) == 0;
    if (st)
        mysql_stmt_close(st);
    long long q1 = it_admin_stat(x.adm, "queue_queued");
    check(ok3 == 3 && q0 >= 0 && q1 - q0 == 4, "rewrite_each_execute_queued",
          "%d of 3 executes ok (%u %s); queue_queued %lld -> %lld (want +4)", ok3, err, msg, q0,
          q1);
    /* the session still answers normally afterwards */
    check(db_int(x.b, "SELECT 41 + 1") == 42, "rewrite_session_usable", "SELECT after executes");
out:
    ctx_close(&x);
}

static void scen_refused(struct it_dg *dg)
{
    struct ctx x;
    char sql[256], msg[512];
    unsigned err;
    if (!ctx_open(&x, "refused", dg))
        goto out;
    snprintf(sql, sizeof sql, "ALTER TABLE %s MODIFY v BIGINT NOT NULL", x.table);
    MYSQL_STMT *st = prepare(x.b, sql, &err, msg, sizeof msg);
    check(!st && err == 7101 && strstr(msg, "DG014") && strstr(msg, "pending id"),
          "refused_at_prepare", "prepare of a COPY-only ALTER: %s %u %s",
          st ? "accepted" : "refused", err, msg);
    if (st)
        mysql_stmt_close(st);
    check(column_is(x.table, "v", "int"), "refused_table_unchanged", "column v is not INT");
    /* a reject rule: the same error as through COM_QUERY */
    snprintf(sql, sizeof sql, "DELETE FROM %s", x.table);
    st = prepare(x.b, sql, &err, msg, sizeof msg);
    char err2[512];
    unsigned qerr = db_exec(x.b, sql, err2, sizeof err2);
    check(!st && err == 7100 && qerr == 7100 && strstr(msg, "DG008"), "refused_same_as_query",
          "prepare %u (%s), query %u", err, msg, qerr);
    if (st)
        mysql_stmt_close(st);
    check(db_int(x.b, "SELECT 1") == 1, "refused_session_usable", "SELECT after refusals");
out:
    ctx_close(&x);
}

static void scen_queued(struct it_dg *dg)
{
    struct ctx x;
    struct exec_job j;
    struct queue_row q;
    char sql[256], msg[512], rq[160];
    unsigned err;
    memset(&j, 0, sizeof j);
    if (!ctx_open(&x, "queued", dg))
        goto out;
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN c_late INT NULL", x.table);
    j.st = prepare(x.b, sql, &err, msg, sizeof msg);
    j.m = x.b;
    if (!check(j.st != NULL, "queued_prepare_ok", "%u %s", err, msg))
        goto out;
    if (!check(ctx_hold(&x), "queued_blocker", "A: %s", x.err))
        goto out;
    check(exec_start(&j), "queued_thread", "pthread_create");
    int nq = admin_queue_wait(x.adm, "c_late", 3.0, &q, NULL);
    check(nq == 1 && strstr(q.statement, "ALTER TABLE"), "queued_in_show_queue",
          "SHOW QUEUE: %d row(s) for the prepared ALTER (statement '%s')", nq,
          nq > 0 ? q.statement : "");
    /* C: reads on the table keep flowing while B waits */
    MYSQL *c = app_conn(dg->port, x.err, sizeof x.err);
    double worst = 0;
    int reads = 0;
    snprintf(rq, sizeof rq, "SELECT v FROM %s WHERE id = 5", x.table);
    for (double t0 = now_s(); c && now_s() - t0 < HOLD_S; reads++) {
        double s0 = now_s();
        if (db_int(c, rq) != 35)
            break;
        if (now_s() - s0 > worst)
            worst = now_s() - s0;
    }
    if (c)
        mysql_close(c);
    check(reads > 10 && worst < 0.5, "queued_readers_flow",
          "%d reads while B waited, slowest %.3f s", reads, worst);
    check(!atomic_load(&j.finished), "queued_waits_for_commit",
          "B finished while A's transaction was open (err %u %s)", j.err, j.msg);
    ctx_release(&x);
    bool done = exec_wait(&j, 15.0);
    check(done && j.err == 0, "queued_runs_after_commit", "B %s: %u %s",
          done ? "finished" : "still waiting 15 s after COMMIT", j.err, j.msg);
    check(column_is(x.table, "c_late", "int"), "queued_column_added", "column c_late missing");
    check(it_admin_queue(x.adm, "c_late", NULL) == 0, "queued_queue_empty",
          "entry left in SHOW QUEUE");
out:
    exec_end(&j);
    if (j.st)
        mysql_stmt_close(j.st);
    ctx_close(&x);
}

static void scen_sqlprepare(struct it_dg *dg)
{
    struct ctx x;
    struct exec_job j;
    struct queue_row q;
    char sql[256], err[512], rules[128] = "", action[32] = "";
    memset(&j, 0, sizeof j);
    if (!ctx_open(&x, "sqlprepare", dg))
        goto out;
    snprintf(sql, sizeof sql, "PREPARE s1 FROM 'ALTER TABLE %s MODIFY v BIGINT NOT NULL'", x.table);
    unsigned rc = db_exec(x.b, sql, err, sizeof err);
    check(rc == 7101 && strstr(err, "DG014"), "sqlprepare_copy_refused", "%u %s", rc,
          rc ? err : "accepted");
    snprintf(sql, sizeof sql, "PREPARE s2 FROM 'ALTER TABLE %s ADD COLUMN c_sql INT NULL'",
             x.table);
    rc = db_exec(x.b, sql, err, sizeof err);
    check(rc == 0, "sqlprepare_prepare_ok", "%s", err);
    bool v = admin_verdict(x.adm, "c_sql", NULL, rules, sizeof rules, action, sizeof action);
    check(v && strstr(rules, "DG010") && strcmp(action, "rewrite") == 0, "sqlprepare_rewritten",
          "SHOW VERDICTS: %s '%s' '%s'", v ? "found" : "none", v ? rules : "", v ? action : "");
    if (!check(ctx_hold(&x), "sqlprepare_blocker", "A: %s", x.err))
        goto out;
    j.m = x.b;
    snprintf(j.sql, sizeof j.sql, "EXECUTE s2");
    exec_start(&j);
    int nq = admin_queue_wait(x.adm, "c_sql", 3.0, &q, NULL);
    check(nq == 1, "sqlprepare_execute_queued",
          "SHOW QUEUE rows for EXECUTE s2 (shown as the prepared ALTER): %d", nq);
    sleep_s(0.5);
    check(!atomic_load(&j.finished), "sqlprepare_waits", "EXECUTE finished early: %u %s", j.err,
          j.msg);
    ctx_release(&x);
    bool done = exec_wait(&j, 15.0);
    check(done && j.err == 0, "sqlprepare_runs_after_commit", "%s %u %s",
          done ? "finished" : "still waiting", j.err, j.msg);
    exec_end(&j);
    check(column_is(x.table, "c_sql", "int"), "sqlprepare_column_added", "column c_sql missing");
    rc = db_exec(x.b, "DEALLOCATE PREPARE s2", err, sizeof err);
    check(rc == 0, "sqlprepare_deallocate", "%s", err);
    rc = db_exec(x.b, "EXECUTE s2", err, sizeof err);
    check(rc == 1243, "sqlprepare_gone_after_deallocate", "EXECUTE after DEALLOCATE: %u %s", rc,
          err);
    /* quotes and backslashes survive the rewrite of the literal: the
     * double-quoted literal holds 'it''s a\\b' (the comment it's a\b) */
    snprintf(
        sql, sizeof sql,
        "PREPARE s3 FROM \"ALTER TABLE %s ADD COLUMN c_q INT NULL COMMENT 'it''s a\\\\\\\\b'\"",
        x.table);
    rc = db_exec(x.b, sql, err, sizeof err);
    rc |= db_exec(x.b, "EXECUTE s3", err, sizeof err);
    char cq[256];
    snprintf(cq, sizeof cq,
             "SELECT COLUMN_COMMENT = 'it''s a\\\\b' FROM information_schema.COLUMNS WHERE "
             "TABLE_SCHEMA = 'test' AND TABLE_NAME = '%s' AND COLUMN_NAME = 'c_q'",
             x.table);
    MYSQL *r = db_connect(g_mport, "root", "", "test", err + 256, 256);
    long long same = r ? db_int(r, cq) : -1;
    if (r)
        mysql_close(r);
    v = admin_verdict(x.adm, "c_q", NULL, rules, sizeof rules, action, sizeof action);
    check(rc == 0 && same == 1 && v && strcmp(action, "rewrite") == 0, "sqlprepare_quoting",
          "rc %u (%s), comment as written: %lld, verdict %s", rc, rc ? err : "", same, action);
    /* MariaDB's EXECUTE IMMEDIATE 'text': judged and queued like the text */
    snprintf(sql, sizeof sql, "EXECUTE IMMEDIATE 'ALTER TABLE %s MODIFY v BIGINT NOT NULL'",
             x.table);
    rc = db_exec(x.b, sql, err, sizeof err);
    check(rc == 7101 && strstr(err, "DG014"), "immediate_copy_refused", "%u %s", rc,
          rc ? err : "accepted");
    long long q0 = it_admin_stat(x.adm, "queue_queued");
    snprintf(sql, sizeof sql, "EXECUTE IMMEDIATE 'ALTER TABLE %s ADD COLUMN c_imm INT NULL'",
             x.table);
    rc = db_exec(x.b, sql, err, sizeof err);
    v = admin_verdict(x.adm, "c_imm", NULL, rules, sizeof rules, action, sizeof action);
    long long q1 = it_admin_stat(x.adm, "queue_queued");
    check(rc == 0 && v && strcmp(action, "rewrite") == 0 && q1 - q0 == 1 &&
              column_is(x.table, "c_imm", "int"),
          "immediate_rewritten_and_queued", "rc %u %s; verdict %s; queue_queued +%lld", rc,
          rc ? err : "", v ? action : "none", q1 - q0);
out:
    exec_end(&j);
    ctx_close(&x);
}

static void scen_deadline(struct it_dg *dg, int deadline_s)
{
    struct ctx x;
    struct exec_job j;
    char sql[256], msg[512];
    unsigned err;
    memset(&j, 0, sizeof j);
    if (!ctx_open(&x, "deadline", dg))
        goto out;
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN c_never INT NULL", x.table);
    j.st = prepare(x.b, sql, &err, msg, sizeof msg);
    j.m = x.b;
    if (!check(j.st != NULL, "deadline_prepare_ok", "%u %s", err, msg) ||
        !check(ctx_hold(&x), "deadline_blocker", "A: %s", x.err))
        goto out;
    exec_start(&j);
    bool done = exec_wait(&j, deadline_s + 10.0);
    check(done && j.err == 7200 && strstr(j.msg, "Blocking"), "deadline_error_7200",
          "%s after %.1f s: %u %s", done ? "finished" : "still waiting", j.done - j.sent, j.err,
          j.msg);
    check(column_is(x.table, "c_never", ""), "deadline_table_unchanged", "c_never exists");
    /* the statement is still usable once the table is free */
    ctx_release(&x);
    bool ok = mysql_stmt_execute(j.st) == 0;
    check(ok && column_is(x.table, "c_never", "int"), "deadline_execute_again",
          "second execute: %u %s", mysql_stmt_errno(j.st), mysql_stmt_error(j.st));
out:
    exec_end(&j);
    if (j.st)
        mysql_stmt_close(j.st);
    ctx_close(&x);
}

static void scen_cancel(struct it_dg *dg)
{
    struct ctx x;
    struct exec_job j;
    struct queue_row q;
    char sql[256], msg[512], cmd[64];
    unsigned err;
    memset(&j, 0, sizeof j);
    if (!ctx_open(&x, "cancel", dg))
        goto out;
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN c_cancelled INT NULL", x.table);
    j.st = prepare(x.b, sql, &err, msg, sizeof msg);
    j.m = x.b;
    if (!check(j.st != NULL, "cancel_prepare_ok", "%u %s", err, msg) ||
        !check(ctx_hold(&x), "cancel_blocker", "A: %s", x.err))
        goto out;
    exec_start(&j);
    int nq = admin_queue_wait(x.adm, "c_cancelled", 3.0, &q, NULL);
    if (!check(nq == 1 && q.id > 0, "cancel_queued", "SHOW QUEUE: %d row(s)", nq))
        goto out;
    snprintf(cmd, sizeof cmd, "CANCEL %lld", q.id);
    unsigned rc = db_exec(x.adm, cmd, msg, sizeof msg);
    bool done = exec_wait(&j, 5.0);
    check(rc == 0 && done && j.err == 7201, "cancel_error_7201", "CANCEL %u; B %s: %u %s", rc,
          done ? "finished" : "still waiting", j.err, j.msg);
    ctx_release(&x);
    sleep_s(0.5);
    check(column_is(x.table, "c_cancelled", ""), "cancel_table_unchanged", "column exists");
    check(db_int(x.b, "SELECT 7") == 7, "cancel_session_usable", "SELECT after 7201");
out:
    exec_end(&j);
    if (j.st)
        mysql_stmt_close(j.st);
    ctx_close(&x);
}

static void scen_dg030(struct it_dg *dg)
{
    struct ctx x;
    char sql[256], err[512], rules[128] = "", action[32] = "";
    if (!ctx_open(&x, "dg030", dg))
        goto out;
    long long before = db_int(x.b, "SELECT @@SESSION.lock_wait_timeout");
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN c_a INT NULL", x.table);
    unsigned rc = db_exec(x.b, sql, err, sizeof err);
    bool v = admin_verdict(x.adm, "c_a", NULL, rules, sizeof rules, action, sizeof action);
    check(rc == 0 && v && strstr(rules, "DG030") && strcmp(action, "rewrite") == 0,
          "dg030_default_session", "rc %u %s; SHOW VERDICTS %s '%s' '%s'", rc, rc ? err : "",
          v ? "found" : "none", rules, action);
    long long after = db_int(x.b, "SELECT @@SESSION.lock_wait_timeout");
    check(before == 86400 && after == before, "dg030_session_value_restored",
          "lock_wait_timeout %lld before, %lld after the queued DDL", before, after);
    rc = db_exec(x.b, "SET SESSION lock_wait_timeout = 1", err, sizeof err);
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN c_b INT NULL", x.table);
    rc |= db_exec(x.b, sql, err, sizeof err);
    v = admin_verdict(x.adm, "c_b", NULL, rules, sizeof rules, action, sizeof action);
    check(rc == 0 && v && !strstr(rules, "DG030"), "dg030_capped_session", "rc %u %s; rules '%s'",
          rc, rc ? err : "", rules);
    check(db_int(x.b, "SELECT @@SESSION.lock_wait_timeout") == 1, "dg030_own_value_kept",
          "the session's lock_wait_timeout changed");
    /* @@lock_wait_timeout = DEFAULT: back to the server default, DG030 again */
    rc = db_exec(x.b, "SET @@lock_wait_timeout = DEFAULT", err, sizeof err);
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN c_c INT NULL", x.table);
    rc |= db_exec(x.b, sql, err, sizeof err);
    v = admin_verdict(x.adm, "c_c", NULL, rules, sizeof rules, action, sizeof action);
    check(rc == 0 && v && strstr(rules, "DG030"), "dg030_default_again", "rc %u %s; rules '%s'", rc,
          rc ? err : "", rules);
out:
    ctx_close(&x);
}

/* MariaDB's SET STATEMENT ... FOR <DDL> is judged, rewritten and queued
 * like the bare DDL (it used to pass the gate untouched) */
static void scen_set_statement(struct it_dg *dg)
{
    struct ctx x;
    char sql[320], err[512], rules[128] = "", action[32] = "";
    if (!ctx_open(&x, "setstmt", dg))
        goto out;
    snprintf(sql, sizeof sql, "SET STATEMENT max_statement_time=0 FOR DROP TABLE %s", x.table);
    unsigned rc = db_exec(x.b, sql, err, sizeof err);
    check(rc == 7101 && strstr(err, "DG005"), "setstmt_drop_held", "rc %u %s", rc, err);
    check(column_is(x.table, "v", "int"), "setstmt_table_kept", "the table is gone");
    snprintf(sql, sizeof sql, "SET STATEMENT max_statement_time=0 FOR DELETE FROM %s", x.table);
    rc = db_exec(x.b, sql, err, sizeof err);
    check(rc == 7100 && strstr(err, "DG008"), "setstmt_delete_refused", "rc %u %s", rc, err);
    long long q0 = it_admin_stat(x.adm, "queue_queued");
    snprintf(sql, sizeof sql,
             "SET STATEMENT max_statement_time=0, sql_mode=CONCAT(@@sql_mode, '') FOR "
             "ALTER TABLE %s ADD COLUMN c_ss INT NULL",
             x.table);
    rc = db_exec(x.b, sql, err, sizeof err);
    bool v = admin_verdict(x.adm, "c_ss", NULL, rules, sizeof rules, action, sizeof action);
    long long q1 = it_admin_stat(x.adm, "queue_queued");
    check(rc == 0 && v && strstr(rules, "DG010") && strcmp(action, "rewrite") == 0,
          "setstmt_alter_rewritten", "rc %u %s; SHOW VERDICTS %s '%s' '%s'", rc, rc ? err : "",
          v ? "found" : "none", rules, action);
    check(q0 >= 0 && q1 - q0 == 1, "setstmt_alter_queued", "queue_queued %lld -> %lld", q0, q1);
    check(column_is(x.table, "c_ss", "int"), "setstmt_column_added", "c_ss missing");
    /* a statement lock_wait_timeout above the cap is capped in the text */
    snprintf(sql, sizeof sql,
             "SET STATEMENT lock_wait_timeout=600 FOR ALTER TABLE %s ADD COLUMN c_ss2 INT NULL",
             x.table);
    rc = db_exec(x.b, sql, err, sizeof err);
    v = admin_verdict(x.adm, "c_ss2", NULL, rules, sizeof rules, action, sizeof action);
    check(rc == 0 && v && strstr(rules, "DG030"), "setstmt_dg030", "rc %u %s; rules '%s'", rc,
          rc ? err : "", rules);
    check(column_is(x.table, "c_ss2", "int"), "setstmt_column2_added", "c_ss2 missing");
out:
    ctx_close(&x);
}

static void scen_dg031(struct it_dg *dg, bool reject)
{
    struct ctx x;
    struct exec_job j;
    struct queue_row q;
    char sql[256], rules[128] = "", action[32] = "";
    const char *name = reject ? "dg031r" : "dg031";
    char cname[64];
    memset(&j, 0, sizeof j);
    if (!ctx_open(&x, name, dg))
        goto out;
    if (!check(ctx_hold(&x), reject ? "dg031r_blocker" : "dg031_blocker", "A: %s", x.err))
        goto out;
    sleep_s(1.2); /* A's transaction is now older than long_transaction_s = 1 */
    j.m = x.b;
    snprintf(j.sql, sizeof j.sql, "ALTER TABLE %s ADD COLUMN c_long INT NULL", x.table);
    exec_start(&j);
    if (reject) {
        bool done = exec_wait(&j, 5.0);
        check(done && j.err == 7100 && strstr(j.msg, "DG031"), "dg031r_refused", "%s: %u %s",
              done ? "finished" : "still waiting", j.err, j.msg);
    } else {
        int nq = admin_queue_wait(x.adm, "c_long", 5.0, &q, "DG031");
        check(nq == 1 && strstr(q.blockers, "DG031"), "dg031_show_queue",
              "SHOW QUEUE: %d row(s), blockers '%s'", nq, nq > 0 ? q.blockers : "");
    }
    snprintf(sql, sizeof sql, "c_long");
    bool v = admin_verdict(x.adm, sql, "DG031", rules, sizeof rules, action, sizeof action);
    snprintf(cname, sizeof cname, "%s_show_verdicts", name);
    check(v, cname, "no SHOW VERDICTS row naming DG031 for the held ALTER");
    ctx_release(&x);
    bool done = exec_wait(&j, 15.0);
    if (!reject) {
        check(done && j.err == 0, "dg031_runs_after_commit", "%s %u %s",
              done ? "finished" : "waiting", j.err, j.msg);
        check(column_is(x.table, "c_long", "int"), "dg031_column_added", "c_long missing");
    } else {
        check(column_is(x.table, "c_long", ""), "dg031r_table_unchanged", "c_long exists");
    }
out:
    exec_end(&j);
    ctx_close(&x);
}

int main(void)
{
    const char *mp = getenv("MARIADB_PORT");
    if (!mp || !atoi(mp) || !getenv("DDLGATE_BIN")) {
        printf("not ok - prepddl_env: MARIADB_PORT / DDLGATE_BIN not set (run via "
               "tests/integration/run.sh)\n");
        return 1;
    }
    g_mport = (unsigned)atoi(mp);
    signal(SIGPIPE, SIG_IGN);
    snprintf(it_alarm_msg, sizeof it_alarm_msg, "not ok - prepddl_overall: timed out\n");
    signal(SIGALRM, it_on_alarm);
    alarm(OVERALL_TIMEOUT_S);
    atexit(it_dg_kill_all);
    mysql_library_init(0, NULL, NULL);

    static struct it_dg dg_main, dg_short, dg_long, dg_longr;
    const char *main_sets[] = {"limits.ddl_queue_deadline_s=60"};
    const int deadline_s = 3;
    const char *short_sets[] = {"limits.ddl_queue_deadline_s=3"};
    const char *long_sets[] = {"limits.ddl_queue_deadline_s=60", "limits.long_transaction_s=1"};
    const char *longr_sets[] = {"limits.ddl_queue_deadline_s=60", "limits.long_transaction_s=1",
                                "rules.DG031=reject"};

    if (check(dg_start(&dg_main, "main", main_sets, 1), "ddlgate_start", "log %s", dg_main.log)) {
        scen_rewrite(&dg_main);
        scen_refused(&dg_main);
        scen_queued(&dg_main);
        scen_sqlprepare(&dg_main);
        scen_cancel(&dg_main);
        scen_dg030(&dg_main);
        scen_set_statement(&dg_main);
    }
    if (check(dg_start(&dg_short, "short", short_sets, 1), "ddlgate_start_short", "log %s",
              dg_short.log))
        scen_deadline(&dg_short, deadline_s);
    if (check(dg_start(&dg_long, "long", long_sets, 2), "ddlgate_start_long", "log %s",
              dg_long.log))
        scen_dg031(&dg_long, false);
    if (check(dg_start(&dg_longr, "longr", longr_sets, 3), "ddlgate_start_longr", "log %s",
              dg_longr.log))
        scen_dg031(&dg_longr, true);
    for (int i = 0; i < it_ninsts; i++) /* SIGTERM: a clean shutdown (sanitizer builds report) */
        dg_stop(it_insts[i]);
    mysql_library_end();
    printf("# it_prepare_ddl: %d passed, %d failed\n", g_tally.pass, g_tally.fail);
    return g_tally.fail ? 1 : 0;
}
