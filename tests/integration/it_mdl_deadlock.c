/*
 * it_mdl_deadlock.c - the server-side metadata-lock deadlock between a
 * transaction and an ALTER, reproduced on MariaDB and prevented by ddlgate.
 *
 *   A  BEGIN; SELECT v, SLEEP(0.5) FROM t WHERE id = 1   (shared read lock)
 *   B      ALTER TABLE t ADD COLUMN ..., ALGORITHM=INSTANT   (0.2 s later)
 *   A  UPDATE t ... WHERE id = 1; COMMIT                    (shared write)
 *
 * Straight on the server, B takes its shared upgradable lock and waits to
 * upgrade it to the exclusive one behind A's read lock; A's UPDATE then asks
 * for a shared write lock that B's pending exclusive request blocks - a
 * cycle the server's MDL deadlock detector breaks by failing A with 1213.
 * sysbench's oltp_read_write (SELECTs, then UPDATE/DELETE/INSERT in one
 * transaction) ran into it thousands of times in a 10-minute soak.
 *
 * Through ddlgate B first waits in the queue behind Z, an idle transaction
 * on t (so that ddlgate has read t's definition and judges B at a known
 * moment).  Then A begins and runs its slow SELECT, Z commits, and the
 * queue looks at t again while A's statement runs: A is busy and young, so
 * it does not block B - but A's statement was registered as holding t
 * before it was sent (A is in a transaction), so the queue raises the fence
 * and waits for A to end instead of sending B behind it.  A writes and
 * commits, then B runs.  A newcomer C (BEGIN; SELECT; UPDATE; COMMIT on t,
 * arriving meanwhile) is held at the fence and then runs without error.
 * ddlgate before the drain sent B while A's SELECT ran, and A got 1213.
 *
 * Cases: direct (the reproduction: A must get 1213; it validates the
 * test), drained (through ddlgate: no error, B after A's commit, C fenced).
 * Environment: MARIADB_PORT, DDLGATE_BIN, IT_WORK_DIR (as tests/integration
 * /run.sh sets them).  The program starts its own ddlgate (monitor on).
 */
#include <mysql.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "it_common.h"

#define ADMIN_PASS "it-mdl-deadlock"
#define TABLE "mdl_dl"
#define ALTER_DELAY_S 0.2
#define NEWCOMER_DELAY_S 0.3

static unsigned g_mport;
static struct it_dg g_dg;
static bool g_dg_up;

static MYSQL *conn(unsigned port, char *err, size_t len)
{
    return it_db_connect(port, "root", "", "test", 30, NULL, err, len);
}

static bool fixture(char *err, size_t len)
{
    MYSQL *m = conn(g_mport, err, len);
    bool ok = m && it_db_exec(m, "DROP TABLE IF EXISTS " TABLE, true, err, len) == 0 &&
              it_db_exec(m,
                         "CREATE TABLE " TABLE " (id INT PRIMARY KEY, v INT NOT NULL) "
                         "ENGINE=InnoDB",
                         true, err, len) == 0 &&
              it_db_exec(m, "INSERT INTO " TABLE " SELECT seq, seq FROM seq_1_to_100", true, err,
                         len) == 0;
    if (m)
        mysql_close(m);
    return ok;
}

/* A client thread: after `delay_s`, run its statements in order on its own
 * connection; remember the first error and when it finished. */
struct client {
    MYSQL *m; /* an open connection to use (then kept), or NULL: its own */
    unsigned port;
    double delay_s;
    const char *sql[6];
    pthread_t th;
    unsigned err;
    char msg[512];
    double done_at;
};

static void *client_main(void *arg)
{
    struct client *c = arg;
    char err[512];
    MYSQL *m = c->m ? c->m : conn(c->port, err, sizeof err);

    if (!m) {
        c->err = 1;
        snprintf(c->msg, sizeof c->msg, "%s", err);
        return NULL;
    }
    it_sleep_s(c->delay_s);
    for (int i = 0; i < 6 && c->sql[i] && !c->err; i++)
        c->err = it_db_exec(m, c->sql[i], true, c->msg, sizeof c->msg);
    c->done_at = it_now_s();
    if (!c->m)
        mysql_close(m);
    return NULL;
}

struct run {
    unsigned a_err_update; /* A's UPDATE */
    char a_msg[512];
    double a_commit_at;
    struct client b, c, z;
};

static long long stat_of(const char *name);
static int queued_alters(void);

/* A's part: BEGIN was run; the slow SELECT, the UPDATE, COMMIT/ROLLBACK. */
static bool run_a(MYSQL *a, struct run *r, char *err, size_t len)
{
    bool ok =
        it_db_exec(a, "SELECT v, SLEEP(0.5) FROM " TABLE " WHERE id = 1", true, err, len) == 0;
    r->a_err_update = it_db_exec(a, "UPDATE " TABLE " SET v = v + 1 WHERE id = 1", true, r->a_msg,
                                 sizeof r->a_msg);
    it_db_exec(a, r->a_err_update ? "ROLLBACK" : "COMMIT", true, err, len);
    r->a_commit_at = it_now_s();
    return ok;
}

/* Straight on MariaDB: A begins and reads, B comes 0.2 s later. */
static bool run_direct(const char *col, struct run *r)
{
    char err[512], alter[160];
    MYSQL *a = conn(g_mport, err, sizeof err);

    memset(r, 0, sizeof *r);
    if (!a) {
        it_set_reason("connect A: %s", err);
        return false;
    }
    snprintf(alter, sizeof alter, "ALTER TABLE " TABLE " ADD COLUMN %s INT NULL, ALGORITHM=INSTANT",
             col);
    r->b = (struct client){.port = g_mport, .delay_s = ALTER_DELAY_S, .sql = {alter}};
    bool ok = it_db_exec(a, "BEGIN", true, err, sizeof err) == 0;
    if (ok) {
        pthread_create(&r->b.th, NULL, client_main, &r->b);
        ok = run_a(a, r, err, sizeof err);
        pthread_join(r->b.th, NULL);
    }
    if (!ok)
        it_set_reason("A: %s", err);
    mysql_close(a);
    return ok;
}

/* Through ddlgate: Z holds t idle until B is in the queue; A begins and
 * reads; Z commits 0.15 s into A's read; C comes 0.35 s into it. */
static bool run_queued(unsigned port, const char *col, struct run *r)
{
    char err[512], alter[160];
    MYSQL *a = conn(port, err, sizeof err), *z = conn(port, err, sizeof err);
    bool ok = a && z;

    memset(r, 0, sizeof *r);
    snprintf(alter, sizeof alter, "ALTER TABLE " TABLE " ADD COLUMN %s INT NULL, ALGORITHM=INSTANT",
             col);
    r->b = (struct client){.port = port, .sql = {alter}};
    r->z = (struct client){.m = z, .delay_s = 0.15, .sql = {"COMMIT"}};
    r->c = (struct client){.port = port,
                           .delay_s = NEWCOMER_DELAY_S,
                           .sql = {"BEGIN", "SELECT v FROM " TABLE " WHERE id = 2",
                                   "UPDATE " TABLE " SET v = v + 1 WHERE id = 2", "COMMIT"}};
    ok = ok && it_db_exec(z, "BEGIN", true, err, sizeof err) == 0 &&
         it_db_exec(z, "SELECT v FROM " TABLE " WHERE id = 3", true, err, sizeof err) == 0;
    if (ok) {
        pthread_create(&r->b.th, NULL, client_main, &r->b);
        /* B is in the queue (its table's definition read), blocked by Z */
        for (int i = 0; i < 100 && queued_alters() < 1; i++)
            it_sleep_s(0.1);
        ok = queued_alters() == 1;
        if (!ok)
            snprintf(err, sizeof err, "the ALTER never showed in SHOW QUEUE");
        ok = ok && it_db_exec(a, "BEGIN", true, err, sizeof err) == 0;
        if (ok) {
            pthread_create(&r->z.th, NULL, client_main, &r->z);
            pthread_create(&r->c.th, NULL, client_main, &r->c);
            ok = run_a(a, r, err, sizeof err);
            pthread_join(r->z.th, NULL);
            pthread_join(r->c.th, NULL);
        }
        if (!ok)
            it_db_exec(z, "ROLLBACK", false, alter, sizeof alter);
        pthread_join(r->b.th, NULL);
    }
    if (!ok)
        it_set_reason("%s", err);
    if (a)
        mysql_close(a);
    if (z)
        mysql_close(z);
    return ok;
}

static int column_exists(const char *col)
{
    char err[256], sql[256];
    MYSQL *m = conn(g_mport, err, sizeof err);
    if (!m)
        return -1;
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'test' AND "
             "TABLE_NAME = '" TABLE "' AND COLUMN_NAME = '%s'",
             col);
    long long n = it_db_int(m, sql);
    mysql_close(m);
    return (int)n;
}

/* Straight on MariaDB: A's UPDATE must fail with 1213 (else the pattern
 * no longer reproduces and the ddlgate case proves nothing). */
static int case_direct(void)
{
    char err[512];
    struct run r;
    int res = CASE_FAIL;

    IT_CHECK(fixture(err, sizeof err), "fixture: %s", err);
    IT_CHECK(run_direct("d1", &r), "%s", it_reason);
    IT_CHECK(r.a_err_update == 1213,
             "A's UPDATE straight on MariaDB gave %u (%s), expected the MDL deadlock 1213",
             r.a_err_update, r.a_msg);
    IT_CHECK(r.b.err == 0, "the ALTER failed: %s", r.b.msg);
    res = CASE_PASS;
out:
    return res;
}

static int queued_alters(void)
{
    char err[256];
    MYSQL *adm =
        it_db_connect(g_dg.admin_port, "admin", ADMIN_PASS, NULL, 10, NULL, err, sizeof err);
    if (!adm)
        return -1;
    int n = it_admin_queue(adm, "ADD COLUMN", NULL);
    mysql_close(adm);
    return n;
}

static long long stat_of(const char *name)
{
    char err[256];
    MYSQL *adm =
        it_db_connect(g_dg.admin_port, "admin", ADMIN_PASS, NULL, 10, NULL, err, sizeof err);
    if (!adm)
        return -1;
    long long v = it_admin_stat(adm, name);
    mysql_close(adm);
    return v;
}

static int case_drained(void)
{
    char err[512];
    struct run r;
    int res = CASE_FAIL;

    IT_CHECK(g_dg_up, "ddlgate did not start (log %s)", g_dg.log);
    IT_CHECK(fixture(err, sizeof err), "fixture: %s", err);
    long long drains0 = stat_of("queue_drains"), fenced0 = stat_of("queue_fenced_statements");
    IT_CHECK(run_queued(g_dg.port, "g1", &r), "%s", it_reason);
    IT_CHECK(r.a_err_update == 0, "A's UPDATE through ddlgate failed: %u %s", r.a_err_update,
             r.a_msg);
    IT_CHECK(r.b.err == 0, "the ALTER failed: %u %s", r.b.err, r.b.msg);
    IT_CHECK(r.c.err == 0, "the newcomer's transaction failed: %u %s", r.c.err, r.c.msg);
    IT_CHECK(r.z.err == 0, "Z's commit failed: %u %s", r.z.err, r.z.msg);
    IT_CHECK(r.b.done_at >= r.a_commit_at - 0.05,
             "the ALTER finished %.3f s before A committed: it ran while A held the table",
             r.a_commit_at - r.b.done_at);
    IT_CHECK(column_exists("g1") == 1, "the column was not added");
    long long drains = stat_of("queue_drains"), fenced = stat_of("queue_fenced_statements");
    IT_CHECK(drains > drains0, "queue_drains did not grow (%lld -> %lld)", drains0, drains);
    IT_CHECK(fenced > fenced0, "the newcomer was not held at the fence (%lld -> %lld)", fenced0,
             fenced);
    res = CASE_PASS;
out:
    return res;
}

static const struct it_case CASES[] = {
    {"deadlock_direct", case_direct},
    {"deadlock_drained", case_drained},
};

int main(int argc, char **argv)
{
    const char *mp = getenv("MARIADB_PORT");
    if (!mp || !atoi(mp)) {
        printf("not ok - it_mdl_deadlock: MARIADB_PORT not set (run via "
               "tests/integration/run.sh)\n");
        return 1;
    }
    g_mport = (unsigned)atoi(mp);
    signal(SIGPIPE, SIG_IGN);
    atexit(it_dg_kill_all);
    mysql_library_init(0, NULL, NULL);
    static const char *const sets[] = {"limits.ddl_queue_deadline_s=30"};
    g_dg_up = it_dg_start(&g_dg, "it_mdl_deadlock", "main", "admin", ADMIN_PASS, sets, 1);
    int rc = it_run_cases("it_mdl_deadlock", CASES, sizeof CASES / sizeof CASES[0], argc, argv, 60,
                          false);
    it_dg_stop(&g_dg, 10);
    {
        char err[256];
        MYSQL *m = conn(g_mport, err, sizeof err);
        if (m) {
            it_db_exec(m, "DROP TABLE IF EXISTS " TABLE, false, err, sizeof err);
            mysql_close(m);
        }
    }
    mysql_library_end();
    return rc;
}
