/*
 * it_mdlqueue.c - the metadata-lock pile-up, reproduced with real clients,
 * directly against MariaDB and through ddlgate's DDL queue.
 *
 *   session A  BEGIN; SELECT * FROM t; ... stays idle (holds t's MDL)
 *   session B  ALTER TABLE t ADD COLUMN ...   (needs the exclusive MDL)
 *   session C  point SELECTs on t in a loop, every latency recorded
 *
 * Straight on the server, B's pending exclusive lock stalls C until A ends.
 * Through ddlgate, B waits in ddlgate's queue and C keeps flowing.
 *
 * Scenarios (each on a table of its own):
 *   direct        everything on MariaDB: C stalls ~ A's hold time (the
 *                 reproduction; it validates the test itself)
 *   queued        A, B, C through ddlgate: C's p99 < 50 ms, SHOW QUEUE
 *                 shows B, B completes after A commits, the column exists
 *   external      A straight on the server (seen by ddlgate's monitor in
 *                 performance_schema), B and C through ddlgate: same
 *   deadline      A never ends (ddl_queue_deadline_s=4): B gets 7200 naming
 *                 A, the table is unchanged, C unaffected
 *   disconnect    B's client goes away while queued (socket closed; "quit":
 *                 COM_QUIT first): the queue empties, the ALTER never runs
 *   young         B comes right after A's last statement (A not idle yet)
 *   busy          A runs one long statement on t instead of an idle
 *                 transaction: C must not stall for all of it
 *   busy_disconnect  the same, and B's client leaves while ddlgate has B
 *                 on the server: the ALTER must never run
 *   cancel        CANCEL <id> on the admin port: B gets 7201, table unchanged
 *   kill          limits.kill_idle_blockers: A (through ddlgate; "kill_external":
 *                 straight on the server) is killed, then B runs
 *
 * The program starts its own ddlgate instances (free ports, stopped at exit).
 * Environment: MARIADB_PORT (required), DDLGATE_BIN (required unless only
 * "direct" runs), IT_WORK_DIR (logs; default /tmp), IT_MDLQ_HOLD_S (A's hold,
 * default 3).
 *
 * Usage: it_mdlqueue [--bench] [--hold S] [scenario...]
 *   --bench  only "direct" and "queued" (and "external"), a side-by-side
 *            table of C's latencies; used by bench/mdl_bench.sh
 * Output: "ok - mdlq_<scenario>_<check>" / "not ok - ...: why", a summary
 * table, and "it_mdlqueue: N passed, M failed".  Exit 1 on any failure.
 */
#include <errmsg.h>
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

#define ROWS 1000
#define READER_MAX_SAMPLES 2000000
#define READER_MAX_S 120.0
#define P99_LIMIT_MS 50.0
#define BUSY_MAX_STALL_MS 1500.0
#define A_IDLE_S 0.3 /* A idle before B arrives: the usual pile-up */
#define ADMIN_USER "admin"
#define ADMIN_PASS "it-mdlq-secret"
#define OVERALL_TIMEOUT_S 280

/* ---- small utilities -------------------------------------------------------------- */

static struct it_tally g_tally = {.prefix = "mdlq_"};

__attribute__((format(printf, 3, 4))) static bool check(bool cond, const char *name,
                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool r = it_vcheck(&g_tally, cond, name, fmt, ap);
    va_end(ap);
    return r;
}

/* A setup step: silent when it works, a failure when it does not. */
__attribute__((format(printf, 3, 4))) static bool require(bool cond, const char *name,
                                                          const char *fmt, ...)
{
    va_list ap;
    if (cond)
        return true;
    va_start(ap, fmt);
    it_vcheck(&g_tally, false, name, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- ddlgate instances ------------------------------------------------------------ */

static void dg_stop(struct it_dg *d) { it_dg_stop(d, 10); }

static bool dg_start(struct it_dg *d, const char *tag, const char *const *sets, int nsets)
{
    return it_dg_start(d, "it_mdlqueue", tag, ADMIN_USER, ADMIN_PASS, sets, nsets);
}

/* Print the log lines of an instance that mention the queue (for reports). */
static void dg_log_tail(const struct it_dg *d, const char *grep)
{
    FILE *f = fopen(d->log, "r");
    char line[1024];
    char *ring[12] = {0};
    int n = 0;
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (grep && !strstr(line, grep))
            continue;
        free(ring[n % 12]);
        ring[n % 12] = strdup(line);
        n++;
    }
    fclose(f);
    for (int i = n > 12 ? n - 12 : 0; i < n; i++) {
        printf("#   ddlgate.log: %s", ring[i % 12] ? ring[i % 12] : "\n");
        free(ring[i % 12]);
        ring[i % 12] = NULL;
    }
    for (int i = 0; i < 12; i++)
        free(ring[i]);
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

static unsigned g_mport;

static MYSQL *root_conn(char *err, size_t errlen)
{
    return db_connect(g_mport, "root", "", "test", err, errlen);
}

static bool table_fixture(const char *table, char *err, size_t errlen)
{
    char sql[256];
    MYSQL *r = root_conn(err, errlen);
    bool ok = r != NULL;
    if (!r)
        return false;
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    ok = ok && db_exec(r, sql, err, errlen) == 0;
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB",
             table);
    ok = ok && db_exec(r, sql, err, errlen) == 0;
    snprintf(sql, sizeof sql, "INSERT INTO %s SELECT seq, seq * 7 FROM seq_1_to_%d", table, ROWS);
    ok = ok && db_exec(r, sql, err, errlen) == 0;
    mysql_close(r);
    return ok;
}

static void table_drop(const char *table)
{
    char err[256], sql[256];
    MYSQL *r = root_conn(err, sizeof err);
    if (!r)
        return;
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    db_exec(r, sql, err, sizeof err);
    mysql_close(r);
}

/* 1 when the column exists, 0 when not, -1 when the server could not tell */
static int column_exists(const char *table, const char *col)
{
    char err[256], sql[384];
    MYSQL *r = root_conn(err, sizeof err);
    if (!r)
        return -1;
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'test' "
             "AND TABLE_NAME = '%s' AND COLUMN_NAME = '%s'",
             table, col);
    long long n = db_int(r, sql);
    mysql_close(r);
    return n < 0 ? -1 : n > 0;
}

/* ---- session C: the reader -------------------------------------------------------- */

struct reader {
    unsigned port;
    const char *table;
    pthread_t th;
    atomic_bool stop;
    double *lat_ms; /* latency of each statement */
    double *end_at; /* when it completed (now_s) */
    size_t n;
    unsigned errors;
    char err[512];
    bool started;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    char sql[128];
    MYSQL *m = db_connect(r->port, "app", "apppass", "test", r->err, sizeof r->err);
    if (!m) {
        r->errors++;
        return NULL;
    }
    double t0 = it_now_s();
    for (size_t i = 0; i < READER_MAX_SAMPLES && !atomic_load(&r->stop); i++) {
        if (it_now_s() - t0 > READER_MAX_S)
            break;
        snprintf(sql, sizeof sql, "SELECT v FROM %s WHERE id = %zu", r->table, i % ROWS + 1);
        double s = it_now_s();
        int rc = mysql_query(m, sql);
        MYSQL_RES *res = rc == 0 ? mysql_store_result(m) : NULL;
        double e = it_now_s();
        if (rc != 0 || !res) {
            if (r->errors++ == 0)
                snprintf(r->err, sizeof r->err, "%s: %u %s", sql, mysql_errno(m), mysql_error(m));
            if (mysql_errno(m) == CR_SERVER_LOST || mysql_errno(m) == CR_SERVER_GONE_ERROR)
                break;
            continue;
        }
        mysql_free_result(res);
        r->lat_ms[r->n] = (e - s) * 1000.0;
        r->end_at[r->n] = e;
        r->n++;
    }
    mysql_close(m);
    return NULL;
}

static bool reader_start(struct reader *r, unsigned port, const char *table)
{
    memset(r, 0, sizeof *r);
    r->port = port;
    r->table = table;
    r->lat_ms = malloc(READER_MAX_SAMPLES * sizeof(double));
    r->end_at = malloc(READER_MAX_SAMPLES * sizeof(double));
    if (!r->lat_ms || !r->end_at)
        return false;
    r->started = pthread_create(&r->th, NULL, reader_main, r) == 0;
    return r->started;
}

static void reader_stop(struct reader *r)
{
    atomic_store(&r->stop, true);
    if (r->started)
        pthread_join(r->th, NULL);
    r->started = false;
}

static void reader_free(struct reader *r)
{
    free(r->lat_ms);
    free(r->end_at);
    r->lat_ms = r->end_at = NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct lat_stats {
    size_t count;
    double p50, p99, max;
    double max_start; /* when the slowest statement started (now_s) */
};

static struct lat_stats reader_stats(const struct reader *r)
{
    struct lat_stats s = {r->n, 0, 0, 0, 0};
    if (r->n == 0)
        return s;
    for (size_t i = 0; i < r->n; i++)
        if (r->lat_ms[i] >= s.max) {
            s.max = r->lat_ms[i];
            s.max_start = r->end_at[i] - r->lat_ms[i] / 1000.0;
        }
    double *c = malloc(r->n * sizeof(double));
    if (!c)
        return s;
    memcpy(c, r->lat_ms, r->n * sizeof(double));
    qsort(c, r->n, sizeof(double), cmp_double);
    s.p50 = c[(r->n - 1) / 2];
    s.p99 = c[(size_t)((double)(r->n - 1) * 0.99)];
    free(c);
    return s;
}

/* statements C completed in [from, to] */
static size_t reader_count_between(const struct reader *r, double from, double to)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->end_at[i] >= from && r->end_at[i] <= to;
    return n;
}

/* ---- session B: the DDL ----------------------------------------------------------- */

struct ddl_job {
    MYSQL *m;
    char sql[256];
    pthread_t th;
    double sent, done;
    unsigned err;
    char msg[1024];
    atomic_bool finished;
    bool started;
};

static void *ddl_main(void *arg)
{
    struct ddl_job *j = arg;
    j->sent = it_now_s();
    if (mysql_query(j->m, j->sql) != 0) {
        j->err = mysql_errno(j->m);
        snprintf(j->msg, sizeof j->msg, "%s", mysql_error(j->m));
    } else {
        MYSQL_RES *r = mysql_store_result(j->m);
        if (r)
            mysql_free_result(r);
    }
    j->done = it_now_s();
    atomic_store(&j->finished, true);
    return NULL;
}

static bool ddl_start(struct ddl_job *j, unsigned port, const char *sql, char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    snprintf(j->sql, sizeof j->sql, "%s", sql);
    j->m = db_connect(port, "app", "apppass", "test", err, errlen);
    if (!j->m)
        return false;
    j->started = pthread_create(&j->th, NULL, ddl_main, j) == 0;
    return j->started;
}

/* Wait up to max_s for B to finish; true when it did. */
static bool ddl_wait(struct ddl_job *j, double max_s)
{
    double t0 = it_now_s();
    while (!atomic_load(&j->finished) && it_now_s() - t0 < max_s)
        it_sleep_s(0.01);
    return atomic_load(&j->finished);
}

static void ddl_end(struct ddl_job *j)
{
    if (j->started) {
        if (!atomic_load(&j->finished)) /* unblock it: closing the socket ends the read */
            shutdown(mysql_get_socket(j->m), SHUT_RDWR);
        pthread_join(j->th, NULL);
    }
    if (j->m)
        mysql_close(j->m);
    j->m = NULL;
    j->started = false;
}

/* ---- the admin console ------------------------------------------------------------ */

/* Poll SHOW QUEUE until the wanted count of matching rows (bounded). */
static int admin_queue_wait(MYSQL *adm, const char *needle, bool want_present, double max_s,
                            struct queue_row *out)
{
    double t0 = it_now_s();
    int n;
    do {
        n = it_admin_queue(adm, needle, out);
        if (n < 0 || (want_present ? n > 0 : n == 0))
            return n;
        it_sleep_s(0.05);
    } while (it_now_s() - t0 < max_s);
    return n;
}

/* ---- scenarios -------------------------------------------------------------------- */

enum path {
    PATH_DIRECT,
    PATH_DDLGATE
};

struct summary {
    char name[16];
    struct lat_stats c;
    size_t c_during; /* C statements completed while B waited */
    unsigned c_errors;
    char b_result[48];
    double b_wait_s;
    double max_at_s; /* the slowest C statement started this long after B was sent */
    bool ran;
};

#define MAX_SUMMARY 16
static struct summary g_sum[MAX_SUMMARY];
static int g_nsum;
static double g_hold_s = 3.0;

struct ctx {
    const char *name;
    char table[32];
    struct it_dg *dg; /* NULL for the direct scenario */
    MYSQL *adm;
    struct reader c;
    MYSQL *a;
    unsigned a_thread;
    struct ddl_job b;
    double a_end;
    struct summary *sum;
    char err[512];
};

static unsigned port_of(const struct ctx *x, enum path p)
{
    return p == PATH_DIRECT || !x->dg ? g_mport : x->dg->port;
}

/* Common opening: table, reader C, A's open transaction. */
/* a_idle_s: how long A sits idle in its transaction before B comes (a
 * just-active transaction counts as "about to end" for a moment) */
static bool scen_open(struct ctx *x, const char *name, struct it_dg *dg, enum path a_path,
                      double a_idle_s)
{
    char cname[64];
    memset(x, 0, sizeof *x);
    x->name = name;
    x->dg = dg;
    snprintf(x->table, sizeof x->table, "it_mdlq_%s", name);
    if (g_nsum < MAX_SUMMARY) {
        x->sum = &g_sum[g_nsum++];
        snprintf(x->sum->name, sizeof x->sum->name, "%s", name);
        x->sum->ran = true;
    }
    snprintf(cname, sizeof cname, "%s_setup", name);
    if (!require(table_fixture(x->table, x->err, sizeof x->err), cname, "table fixture: %s",
                 x->err))
        return false;
    if (dg) {
        x->adm = db_connect(dg->admin_port, ADMIN_USER, ADMIN_PASS, NULL, x->err, sizeof x->err);
        if (!require(x->adm != NULL, cname, "admin connection: %s", x->err))
            return false;
    }
    if (!require(reader_start(&x->c, port_of(x, PATH_DDLGATE), x->table), cname, "reader thread"))
        return false;
    it_sleep_s(0.3);
    x->a = db_connect(port_of(x, a_path), "app", "apppass", "test", x->err, sizeof x->err);
    if (!require(x->a != NULL, cname, "session A: %s", x->err))
        return false;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT * FROM %s", x->table);
    bool ok = db_exec(x->a, "BEGIN", x->err, sizeof x->err) == 0 &&
              db_exec(x->a, sql, x->err, sizeof x->err) == 0;
    if (!require(ok, cname, "session A's transaction: %s", x->err))
        return false;
    x->a_thread = (unsigned)db_int(x->a, "SELECT CONNECTION_ID()");
    it_sleep_s(a_idle_s);
    return true;
}

static bool scen_send_ddl(struct ctx *x, const char *col)
{
    char sql[160], cname[64];
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s INT NULL", x->table, col);
    snprintf(cname, sizeof cname, "%s_setup", x->name);
    return require(ddl_start(&x->b, port_of(x, PATH_DDLGATE), sql, x->err, sizeof x->err), cname,
                   "session B: %s", x->err);
}

static void scen_end_a(struct ctx *x, bool commit)
{
    char err[256];
    if (x->a) {
        db_exec(x->a, commit ? "COMMIT" : "ROLLBACK", err, sizeof err);
        x->a_end = it_now_s();
    }
}

/* Common closing: stop everything, fill the summary, check C. */
static void scen_close(struct ctx *x, bool check_c)
{
    char cname[64];
    reader_stop(&x->c);
    ddl_end(&x->b);
    if (x->a)
        mysql_close(x->a);
    x->a = NULL;
    struct lat_stats s = reader_stats(&x->c);
    if (x->sum) {
        x->sum->c = s;
        x->sum->c_errors = x->c.errors;
        if (x->b.sent > 0) {
            double until = x->b.done > 0 ? x->b.done : it_now_s();
            /* the edges belong to B's way in and out, not to its wait */
            x->sum->c_during = reader_count_between(&x->c, x->b.sent + 0.1, until - 0.1);
            x->sum->b_wait_s = until - x->b.sent;
            x->sum->max_at_s = s.max_start - x->b.sent;
        }
    }
    if (check_c) {
        snprintf(cname, sizeof cname, "%s_reader_unaffected", x->name);
        check(x->c.errors == 0 && s.count > 0 && s.p99 < P99_LIMIT_MS, cname,
              "C: %zu statements, %u errors%s%s, p50 %.2f ms, p99 %.2f ms (limit %.0f), "
              "max %.2f ms",
              s.count, x->c.errors, x->c.errors ? ": " : "", x->c.err, s.p50, s.p99, P99_LIMIT_MS,
              s.max);
    }
    if (x->adm)
        mysql_close(x->adm);
    x->adm = NULL;
    reader_free(&x->c);
    table_drop(x->table);
}

static void summary_b(struct ctx *x, const char *fmt, ...)
{
    va_list ap;
    if (!x->sum)
        return;
    va_start(ap, fmt);
    vsnprintf(x->sum->b_result, sizeof x->sum->b_result, fmt, ap);
    va_end(ap);
}

/* (a) straight on MariaDB: the pile-up itself. */
static void scen_direct(void)
{
    struct ctx x;
    char cname[64];
    if (!scen_open(&x, "direct", NULL, PATH_DIRECT, A_IDLE_S) || !scen_send_ddl(&x, "c_new"))
        goto out;
    /* on a loaded machine B reaches the server a while after it was sent:
     * C's window starts when the server shows B waiting for the lock */
    double b_waiting = x.b.sent;
    char wsql[256], werr[128];
    snprintf(wsql, sizeof wsql,
             "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE LIKE "
             "'Waiting for table metadata lock' AND INFO LIKE 'ALTER TABLE %s %%'",
             x.table);
    MYSQL *root = root_conn(werr, sizeof werr);
    for (int i = 0; root && i < 100 && db_int(root, wsql) < 1; i++)
        it_sleep_s(0.02);
    if (root) {
        b_waiting = it_now_s();
        mysql_close(root);
    }
    it_sleep_s(g_hold_s);
    bool b_early = atomic_load(&x.b.finished);
    scen_end_a(&x, true);
    bool b_done = ddl_wait(&x.b, 30);
    snprintf(cname, sizeof cname, "%s_ddl_waited_for_a", x.name);
    check(!b_early && b_done && x.b.err == 0, cname, "B %s after %.2f s (err %u %s)",
          b_early  ? "finished before A ended"
          : b_done ? "finished"
                   : "still running",
          x.b.done - x.b.sent, x.b.err, x.b.msg);
    summary_b(&x, x.b.err ? "error %u" : "ok", x.b.err);
    reader_stop(&x.c);
    struct lat_stats s = reader_stats(&x.c);
    size_t during = reader_count_between(&x.c, b_waiting + 0.1, x.a_end - 0.1);
    snprintf(cname, sizeof cname, "%s_pileup_reproduced", x.name);
    /* the reproduction is what makes the other scenarios meaningful */
    check(s.max >= g_hold_s * 0.7 * 1000.0 && during == 0, cname,
          "C's max latency %.0f ms (A held %.1f s after B), %zu C statements completed while B "
          "waited",
          s.max, g_hold_s, during);
out:
    scen_close(&x, false);
}

/* (b), (c): through ddlgate; A through ddlgate or straight on the server. */
/* strict: A sat idle before B came, so ddlgate must not send B to the server
 * at all while A holds t (it would stall C there) */
static void scen_queued(const char *name, struct it_dg *dg, enum path a_path, double a_idle_s,
                        bool strict)
{
    struct ctx x;
    int fail0 = g_tally.fail;
    char cname[96];
    struct queue_row q = {0};
    if (!scen_open(&x, name, dg, a_path, a_idle_s))
        goto out;
    long long released0 = it_admin_stat(x.adm, "queue_released");
    long long retries0 = it_admin_stat(x.adm, "queue_retries");
    if (!scen_send_ddl(&x, "c_new"))
        goto out;
    int nq = admin_queue_wait(x.adm, x.table, true, 3.0, &q);
    snprintf(cname, sizeof cname, "%s_show_queue", name);
    check(nq == 1 && strstr(q.table, x.table) && strstr(q.statement, "ADD COLUMN"), cname,
          "SHOW QUEUE: %d row(s) for %s; id %lld table '%s' state '%s' blockers '%s' "
          "statement '%s'",
          nq, x.table, q.id, q.table, q.state, q.blockers, q.statement);
    /* the blockers are filled in by the scheduler's next look (with A
     * outside ddlgate: the monitor's next snapshot), so poll a little */
    char tid[32];
    snprintf(tid, sizeof tid, "%u", x.a_thread);
    for (int i = 0; i < 60 && nq == 1 && !strstr(q.blockers, tid); i++) {
        it_sleep_s(0.05);
        nq = it_admin_queue(x.adm, x.table, &q);
    }
    snprintf(cname, sizeof cname, "%s_queue_names_blocker", name);
    check(nq == 1 && strstr(q.blockers, tid) && strstr(q.blockers, "app@"), cname,
          "SHOW QUEUE state '%s' blockers '%s' (A is server thread %u)", q.state, q.blockers,
          x.a_thread);
    double until = x.b.sent + g_hold_s;
    while (it_now_s() < until && !atomic_load(&x.b.finished))
        it_sleep_s(0.02);
    bool b_early = atomic_load(&x.b.finished);
    scen_end_a(&x, true);
    bool b_done = ddl_wait(&x.b, 30);
    snprintf(cname, sizeof cname, "%s_ddl_after_commit", name);
    check(!b_early && b_done && x.b.err == 0 && x.b.done >= x.a_end, cname,
          "B: %s, err %u %s; waited %.2f s, completed %.0f ms after A's commit",
          b_early  ? "finished before A ended"
          : b_done ? "finished"
                   : "did not finish in 30 s",
          x.b.err, x.b.msg, x.b.done - x.b.sent, (x.b.done - x.a_end) * 1000.0);
    summary_b(&x, x.b.err ? "error %u" : "ok, +%.0f ms", x.b.err, (x.b.done - x.a_end) * 1000.0);
    snprintf(cname, sizeof cname, "%s_column_added", name);
    int col = column_exists(x.table, "c_new");
    check(col == 1, cname, "column c_new exists after B's OK: %d (1 yes, 0 no, -1 unknown)", col);
    size_t during = reader_count_between(&x.c, x.b.sent + 0.1, x.a_end - 0.1);
    snprintf(cname, sizeof cname, "%s_reader_flowed_while_queued", name);
    check(during > 0, cname, "C completed %zu statements while B was queued", during);
    snprintf(cname, sizeof cname, "%s_stats", name);
    long long released1 = it_admin_stat(x.adm, "queue_released");
    long long waiting = it_admin_stat(x.adm, "queue_waiting");
    check(released1 >= released0 + 1 && waiting == 0, cname,
          "queue_released %lld -> %lld, queue_waiting %lld", released0, released1, waiting);
    /* a retry means B was sent while A still held t: C then queued on the
     * server behind it for up to lock_wait_timeout */
    long long retries1 = it_admin_stat(x.adm, "queue_retries");
    snprintf(cname, sizeof cname, "%s_never_sent_early", name);
    if (strict)
        check(retries1 == retries0, cname, "queue_retries %lld -> %lld", retries0, retries1);
    if (g_tally.fail > fail0)
        dg_log_tail(dg, "queue");
out:
    scen_close(&x, true);
}

/* (d) A never ends: B gives up at the deadline with 7200. */
static void scen_deadline(struct it_dg *dg, int deadline_s)
{
    struct ctx x;
    int fail0 = g_tally.fail;
    char tid[32];
    if (!scen_open(&x, "deadline", dg, PATH_DDLGATE, A_IDLE_S) || !scen_send_ddl(&x, "c_never"))
        goto out;
    bool b_done = ddl_wait(&x.b, deadline_s + 10.0);
    double waited = x.b.done - x.b.sent;
    snprintf(tid, sizeof tid, "thread %u", x.a_thread);
    check(b_done && x.b.err == 7200, "deadline_error_7200", "B: %s, err %u after %.2f s: %s",
          b_done ? "finished" : "still waiting", x.b.err, b_done ? waited : 0.0, x.b.msg);
    check(b_done && waited >= deadline_s - 0.5 && waited <= deadline_s + 4.0, "deadline_timing",
          "B gave up after %.2f s (deadline %d s)", waited, deadline_s);
    check(strstr(x.b.msg, tid) && strstr(x.b.msg, "app@") && strstr(x.b.msg, x.table),
          "deadline_message_names_blocker", "message '%s' (A is server %s)", x.b.msg, tid);
    summary_b(&x, "error %u", x.b.err);
    int col = column_exists(x.table, "c_never");
    check(col == 0, "deadline_table_unchanged", "column c_never after 7200: %d (want 0)", col);
    check(it_admin_queue(x.adm, x.table, NULL) == 0, "deadline_queue_empty",
          "SHOW QUEUE rows for B after 7200");
    /* B's session must still be usable after the refusal */
    char err[256];
    check(db_exec(x.b.m, "SELECT 1", err, sizeof err) == 0, "deadline_session_usable", "%s", err);
    scen_end_a(&x, false);
    it_sleep_s(1.0); /* the ALTER must not run late, after A is gone */
    col = column_exists(x.table, "c_never");
    check(col == 0, "deadline_never_runs_later", "column c_never 1 s after A ended: %d (want 0)",
          col);
    long long to = it_admin_stat(x.adm, "queue_timeouts");
    check(to >= 1, "deadline_stats", "queue_timeouts %lld", to);
    if (g_tally.fail > fail0)
        dg_log_tail(dg, "queue");
out:
    scen_close(&x, true);
}

/* (e) B's client disconnects while its DDL is queued. */
enum disc_mode {
    DISC_HARD, /* the socket just closes */
    DISC_QUIT, /* the library sends COM_QUIT first: a packet while the DDL is held */
    DISC_SENT, /* A runs a long statement (a busy holder), so ddlgate sends B to
                 * the server; the socket closes while B waits there */
};

/* Send B and leave; true when B was seen in the state the mode wants. */
static bool disc_send_and_leave(struct ctx *x, struct it_dg *dg, const char *name,
                                enum disc_mode mode)
{
    char sql[160], err[256], cname[64];
    struct queue_row q = {0};
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN c_gone INT NULL", x->table);
    MYSQL *b = db_connect(dg->port, "app", "apppass", "test", err, sizeof err);
    snprintf(cname, sizeof cname, "%s_setup", name);
    if (!require(b != NULL, cname, "session B: %s", err))
        return false;
    x->b.sent = it_now_s();
    snprintf(cname, sizeof cname, "%s_sent", name);
    check(mysql_send_query(b, sql, (unsigned long)strlen(sql)) == 0, cname, "mysql_send_query: %s",
          mysql_error(b));
    int nq = admin_queue_wait(x->adm, x->table, true, 3.0, &q);
    /* DISC_SENT: wait (bounded) until B is on the server */
    for (int i = 0; mode == DISC_SENT && nq == 1 && !strstr(q.state, "server") && i < 30; i++) {
        it_sleep_s(0.02);
        nq = it_admin_queue(x->adm, x->table, &q);
    }
    snprintf(cname, sizeof cname, "%s_queued", name);
    check(nq == 1, cname, "SHOW QUEUE: %d row(s) for %s", nq, x->table);
    if (mode == DISC_SENT) /* what was exercised depends on ddlgate's judgement of A */
        printf("# %s: B left while its DDL was '%s'\n", name, q.state);
    if (mode != DISC_QUIT)
        shutdown(mysql_get_socket(b), SHUT_RDWR);
    mysql_close(b);
    x->b.done = it_now_s();
    return true;
}

static void scen_disconnect(struct it_dg *dg, const char *name, enum disc_mode mode)
{
    struct ctx x;
    struct ddl_job a_job;
    int fail0 = g_tally.fail;
    char cname[64], sql[160], err[256];
    memset(&a_job, 0, sizeof a_job);
    if (!scen_open(&x, name, dg, PATH_DDLGATE, mode == DISC_SENT ? 0.0 : A_IDLE_S))
        goto out;
    long long ab0 = it_admin_stat(x.adm, "queue_abandoned");
    if (mode == DISC_SENT) {
        scen_end_a(&x, true);
        snprintf(sql, sizeof sql, "SELECT SLEEP(%.1f), id FROM %s LIMIT 1", g_hold_s, x.table);
        snprintf(cname, sizeof cname, "%s_setup", name);
        if (!require(ddl_start(&a_job, dg->port, sql, err, sizeof err), cname, "A: %s", err))
            goto out;
        it_sleep_s(0.3);
    }
    if (!disc_send_and_leave(&x, dg, name, mode))
        goto out;
    int nq = admin_queue_wait(x.adm, x.table, false, 3.0, NULL);
    snprintf(cname, sizeof cname, "%s_queue_emptied", name);
    check(nq == 0, cname, "SHOW QUEUE rows for B after it left: %d", nq);
    summary_b(&x, "client gone");
    if (mode == DISC_SENT)
        ddl_wait(&a_job, g_hold_s + 5.0);
    else
        scen_end_a(&x, true);
    it_sleep_s(1.0);
    int col = column_exists(x.table, "c_gone");
    snprintf(cname, sizeof cname, "%s_alter_never_ran", name);
    check(col == 0, cname, "column c_gone 1 s after A ended: %d (want 0)", col);
    long long ab1 = it_admin_stat(x.adm, "queue_abandoned");
    snprintf(cname, sizeof cname, "%s_stats", name);
    check(ab1 == ab0 + 1, cname, "queue_abandoned %lld -> %lld", ab0, ab1);
    if (g_tally.fail > fail0)
        dg_log_tail(dg, "queue");
out:
    ddl_end(&a_job);
    scen_close(&x, true);
}

/* Kill policy (limits.kill_idle_blockers): A's idle transaction is killed
 * after kill_wait_s, and B runs. */
static void scen_kill(struct it_dg *dg, const char *name, enum path a_path, double a_idle_s)
{
    struct ctx x;
    int fail0 = g_tally.fail;
    char cname[64], err[256];
    if (!scen_open(&x, name, dg, a_path, a_idle_s))
        goto out;
    long long k0 = it_admin_stat(x.adm, "queue_killed_blockers");
    if (!scen_send_ddl(&x, "c_kill"))
        goto out;
    bool b_done = ddl_wait(&x.b, 20.0);
    double waited = x.b.done - x.b.sent;
    snprintf(cname, sizeof cname, "%s_ddl_ran", name);
    check(b_done && x.b.err == 0 && column_exists(x.table, "c_kill") == 1, cname,
          "B: %s, err %u %s after %.2f s", b_done ? "finished" : "still waiting after 20 s",
          x.b.err, x.b.msg, b_done ? waited : 0.0);
    summary_b(&x, x.b.err ? "error %u" : "ok (A killed)", x.b.err);
    snprintf(cname, sizeof cname, "%s_after_policy_delay", name);
    check(b_done && waited >= 1.5, cname, "B ran after %.2f s (A idle 2 s + kill_wait 1 s)",
          waited);
    long long k1 = it_admin_stat(x.adm, "queue_killed_blockers");
    snprintf(cname, sizeof cname, "%s_stats", name);
    /* one blocker, one kill */
    check(k1 == k0 + 1, cname, "queue_killed_blockers %lld -> %lld", k0, k1);
    unsigned rc = db_exec(x.a, "COMMIT", err, sizeof err);
    snprintf(cname, sizeof cname, "%s_blocker_gone", name);
    check(rc != 0, cname, "A's COMMIT after the kill: %u %s", rc, err);
    if (g_tally.fail > fail0)
        dg_log_tail(dg, "queue");
out:
    scen_close(&x, true);
}

/* A busy holder: A runs one long statement on t (not an idle transaction)
 * when B comes.  ddlgate treats a young, busy holder as about to end, sends
 * B and pulls it back once A has run long; C must stall far less than A's
 * statement lasts (straight on the server it stalls for all of it). */
static void scen_busy(struct it_dg *dg)
{
    struct ctx x;
    struct ddl_job a_job;
    int fail0 = g_tally.fail;
    char sql[160], err[256];
    memset(&a_job, 0, sizeof a_job);
    if (!scen_open(&x, "busy", dg, PATH_DDLGATE, 0.0))
        goto out;
    scen_end_a(&x, true); /* no idle transaction: only the busy statement below */
    snprintf(sql, sizeof sql, "SELECT SLEEP(%.1f), id FROM %s LIMIT 1", g_hold_s, x.table);
    if (!require(ddl_start(&a_job, dg->port, sql, err, sizeof err), "busy_setup", "A: %s", err))
        goto out;
    it_sleep_s(0.3);
    if (!scen_send_ddl(&x, "c_busy"))
        goto out;
    bool b_done = ddl_wait(&x.b, g_hold_s + 15.0);
    bool a_done = ddl_wait(&a_job, 5.0);
    check(b_done && a_done && x.b.err == 0 && a_job.err == 0 && x.b.done >= a_job.done - 0.05,
          "busy_ddl_after_statement", "B: %s err %u %s; A: err %u %s; B done %.2f s after A's end",
          b_done ? "finished" : "still waiting", x.b.err, x.b.msg, a_job.err, a_job.msg,
          x.b.done - a_job.done);
    summary_b(&x, x.b.err ? "error %u" : "ok, +%.0f ms", x.b.err, (x.b.done - a_job.done) * 1000.0);
    reader_stop(&x.c);
    struct lat_stats st = reader_stats(&x.c);
    /* a busy holder counts as blocking once it has run 1 s, and a DDL waiting
     * on the server behind a blocker is pulled back: C may stall about that
     * long, not for the whole lock_wait_timeout (2 s) nor A's statement */
    check(st.max < BUSY_MAX_STALL_MS, "busy_reader_stall_bounded",
          "C's max latency %.0f ms (limit %.0f) while A's statement ran %.1f s", st.max,
          BUSY_MAX_STALL_MS, g_hold_s);
    if (g_tally.fail > fail0)
        dg_log_tail(dg, "queue");
out:
    ddl_end(&a_job);
    scen_close(&x, false);
}

/* (f) the admin cancels the queued DDL. */
static void scen_cancel(struct it_dg *dg)
{
    struct ctx x;
    int fail0 = g_tally.fail;
    char cmd[64], err[256];
    struct queue_row q = {0};
    if (!scen_open(&x, "cancel", dg, PATH_DDLGATE, A_IDLE_S) || !scen_send_ddl(&x, "c_cancelled"))
        goto out;
    int nq = admin_queue_wait(x.adm, x.table, true, 3.0, &q);
    if (!check(nq == 1 && q.id > 0, "cancel_queued", "SHOW QUEUE: %d row(s) for %s", nq, x.table))
        goto out;
    it_sleep_s(0.5);
    snprintf(cmd, sizeof cmd, "CANCEL %lld", q.id);
    unsigned rc = db_exec(x.adm, cmd, err, sizeof err);
    check(rc == 0, "cancel_command_ok", "%s", err);
    bool b_done = ddl_wait(&x.b, 5.0);
    check(b_done && x.b.err == 7201, "cancel_error_7201", "B: %s, err %u: %s",
          b_done ? "finished" : "still waiting 5 s after CANCEL", x.b.err, x.b.msg);
    summary_b(&x, "error %u", x.b.err);
    rc = db_exec(x.adm, cmd, err, sizeof err);
    check(rc == 7301, "cancel_twice_not_found", "second %s gave %u (want 7301): %s", cmd, rc, err);
    check(it_admin_queue(x.adm, x.table, NULL) == 0, "cancel_queue_empty",
          "SHOW QUEUE rows for B after 7201");
    scen_end_a(&x, true);
    it_sleep_s(1.0);
    int col = column_exists(x.table, "c_cancelled");
    check(col == 0, "cancel_table_unchanged", "column c_cancelled 1 s after A ended: %d (want 0)",
          col);
    if (g_tally.fail > fail0)
        dg_log_tail(dg, "queue");
out:
    scen_close(&x, true);
}

/* ---- main ------------------------------------------------------------------------- */

static void print_summary(void)
{
    printf("#\n# MDL pile-up: A holds t %.1f s after B's ALTER; C = point SELECTs on t\n"
           "# (C in wait: C statements completed while B waited; max at: when C's slowest\n"
           "# statement started, in seconds after B was sent)\n",
           g_hold_s);
    printf("# %-13s %9s %9s %9s %10s %9s %7s %8s %9s  %s\n", "scenario", "C count", "C p50 ms",
           "C p99 ms", "C max ms", "C in wait", "C errs", "B wait s", "max at s", "B result");
    for (int i = 0; i < g_nsum; i++) {
        const struct summary *s = &g_sum[i];
        printf("# %-13s %9zu %9.2f %9.2f %10.2f %9zu %7u %8.2f %9.2f  %s\n", s->name, s->c.count,
               s->c.p50, s->c.p99, s->c.max, s->c_during, s->c_errors, s->b_wait_s, s->max_at_s,
               s->b_result);
    }
    printf("#\n");
}

static bool wanted(int argc, char **argv, int first, const char *name)
{
    if (first >= argc)
        return true;
    for (int i = first; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    bool bench = false;
    int first = 1;
    const char *h = getenv("IT_MDLQ_HOLD_S");
    if (h && atof(h) > 0)
        g_hold_s = atof(h);
    while (first < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "--bench") == 0)
            bench = true;
        else if (strcmp(argv[first], "--hold") == 0 && first + 1 < argc)
            g_hold_s = atof(argv[++first]);
        else if (strcmp(argv[first], "-v") == 0)
            g_tally.verbose = true;
        else {
            fprintf(stderr,
                    "usage: %s [--bench] [--hold S] [-v] [direct|queued|external|deadline|"
                    "disconnect|quit|young|busy|busy_disconnect|cancel|kill|kill_external ...]\n",
                    argv[0]);
            return 2;
        }
        first++;
    }
    if (g_hold_s <= 0 || g_hold_s > 60)
        g_hold_s = 3.0;
    const char *mp = getenv("MARIADB_PORT");
    if (!mp || !atoi(mp)) {
        printf("not ok - mdlq_env: MARIADB_PORT not set (run via tests/integration/run.sh)\n");
        return 1;
    }
    g_mport = (unsigned)atoi(mp);
    signal(SIGPIPE, SIG_IGN);
    snprintf(it_alarm_msg, sizeof it_alarm_msg, "not ok - mdlq_overall: timed out\n");
    signal(SIGALRM, it_on_alarm);
    alarm(OVERALL_TIMEOUT_S);
    atexit(it_dg_kill_all);
    mysql_library_init(0, NULL, NULL);

    static struct it_dg dg_main, dg_short, dg_kill;
    const int deadline_s = 4;
    char dl[64];
    snprintf(dl, sizeof dl, "limits.ddl_queue_deadline_s=%d", deadline_s);
    const char *main_sets[] = {"limits.ddl_queue_deadline_s=60"};
    const char *short_sets[] = {dl};
    static const char *const main_scens[] = {"queued", "external", "disconnect", "quit",
                                             "cancel", "young",    "busy",       "busy_disconnect"};
    const char *kill_sets[] = {"limits.kill_idle_blockers=true", "limits.kill_idle_after_s=2",
                               "limits.kill_wait_s=1", "limits.ddl_queue_deadline_s=30"};
    bool need_main = false;
    for (size_t i = 0; i < sizeof main_scens / sizeof main_scens[0]; i++)
        need_main |= wanted(argc, argv, first, main_scens[i]);
    bool have_main = false;
    if (need_main) {
        have_main = dg_start(&dg_main, "main", main_sets, 1);
        if (!check(have_main, "ddlgate_start", "ddlgate (DDLGATE_BIN=%s), log %s",
                   getenv("DDLGATE_BIN") ? getenv("DDLGATE_BIN") : "(unset)", dg_main.log))
            dg_log_tail(&dg_main, NULL);
    }

    if (wanted(argc, argv, first, "direct"))
        scen_direct();
    if (have_main && wanted(argc, argv, first, "queued"))
        scen_queued("queued", &dg_main, PATH_DDLGATE, A_IDLE_S, true);
    if (have_main && wanted(argc, argv, first, "external"))
        scen_queued("external", &dg_main, PATH_DIRECT, A_IDLE_S, true);
    if (!bench) {
        if (have_main && wanted(argc, argv, first, "disconnect"))
            scen_disconnect(&dg_main, "disconnect", DISC_HARD);
        if (have_main && wanted(argc, argv, first, "quit"))
            scen_disconnect(&dg_main, "quit", DISC_QUIT);
        if (have_main && wanted(argc, argv, first, "young"))
            scen_queued("young", &dg_main, PATH_DDLGATE, 0.0, false);
        if (have_main && wanted(argc, argv, first, "busy"))
            scen_busy(&dg_main);
        if (have_main && wanted(argc, argv, first, "busy_disconnect"))
            scen_disconnect(&dg_main, "busy_disconnect", DISC_SENT);
        if (have_main && wanted(argc, argv, first, "cancel"))
            scen_cancel(&dg_main);
        if (wanted(argc, argv, first, "deadline")) {
            bool ok = dg_start(&dg_short, "deadline", short_sets, 1);
            if (check(ok, "ddlgate_start_deadline", "ddlgate log %s", dg_short.log))
                scen_deadline(&dg_short, deadline_s);
            else
                dg_log_tail(&dg_short, NULL);
        }
    }
    if (!bench &&
        (wanted(argc, argv, first, "kill") || wanted(argc, argv, first, "kill_external"))) {
        bool ok = dg_start(&dg_kill, "kill", kill_sets, 4);
        if (check(ok, "ddlgate_start_kill", "ddlgate log %s", dg_kill.log)) {
            if (wanted(argc, argv, first, "kill"))
                scen_kill(&dg_kill, "kill", PATH_DDLGATE, A_IDLE_S);
            if (wanted(argc, argv, first, "kill_external"))
                scen_kill(&dg_kill, "kill_external", PATH_DIRECT, A_IDLE_S);
        } else {
            dg_log_tail(&dg_kill, NULL);
        }
    }
    dg_stop(&dg_main);
    dg_stop(&dg_short);
    dg_stop(&dg_kill);
    print_summary();
    mysql_library_end();
    printf("it_mdlqueue: %d passed, %d failed\n", g_tally.pass, g_tally.fail);
    return g_tally.fail ? 1 : 0;
}
