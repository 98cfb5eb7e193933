/*
 * check_mdlq_drain.c - the fence around a released DDL, against the
 * server-side metadata-lock deadlock.
 *
 * The deadlock (MariaDB, MySQL): transaction A reads t (shared read lock);
 * an ALTER on t gets its shared upgradable lock and waits to upgrade it to
 * the exclusive one, behind A; A now writes t and asks for a shared write
 * lock, which the waiting exclusive request blocks.  The server breaks the
 * cycle by failing A's statement with 1213.  ddlgate therefore:
 *  - drains before it sends the DDL: the fence goes up, the transactions
 *    already on t (registered before their statement is sent) finish - their
 *    statements pass the fence - and only then the DDL is sent;
 *  - keeps the fence of an INSTANT DDL until it is answered (it upgrades to
 *    the exclusive lock at once), and the fence of any other DDL at most
 *    limits.ddl_fence_max_ms once the server runs it.
 *
 * ddlgate runs in-process (one worker) in front of qf_backend (transactions
 * tracked, statements held behind gates); the test calls what the monitor
 * would (mdlq_lock_acquired: "the DDL runs"), and a ticker thread plays the
 * main loop's 10 ms scheduler.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "mdlqueue.h"
#include "rules.h"
#include "worker.h"
#include "queue_fixture.h"

#define Q(s) "\x03" s
static const char q_begin[] = Q("BEGIN");
static const char q_read[] = Q("SELECT c FROM test.t WHERE id = 1");
static const char q_write[] = Q("UPDATE test.t SET c = c + 1 WHERE id = 1");
static const char q_commit[] = Q("COMMIT");
static const char q_other[] = Q("SELECT c FROM test.t WHERE id = 2");
static const char q_other2[] = Q("SELECT c FROM test.t WHERE id = 3");
static const char q_instant[] = Q("ALTER TABLE test.t ADD COLUMN c2 INT NULL, ALGORITHM=INSTANT");
static const char q_index[] = Q("CREATE INDEX ci ON test.t (c)");

#define SEND(fd, q) ck_assert(qf_write_packet(fd, 0, q, sizeof(q) - 1))

struct env {
    struct qf_backend fb;
    int proxy_port;
    pthread_t ticker;
};

static void env_start(struct env *e, int nconns, int fence_max_ms)
{
    struct conf *c = calloc(1, sizeof(*c));
    char err[256];

    log_set_level(getenv("DG_TEST_DEBUG") ? LOG_TRACE : LOG_ERROR);
    memset(e, 0, sizeof(*e));
    qf_backend_start(&e->fb, nconns);
    int tmp = qf_listen_any(&e->proxy_port);
    close(tmp);
    conf_defaults(c);
    snprintf(c->backend_host, sizeof(c->backend_host), "127.0.0.1");
    c->backend_port = e->fb.port;
    c->backend_tls = TLS_MODE_DISABLED;
    c->admin_host[0] = '\0';
    c->ddl_queue_deadline_s = 60;
    c->lock_wait_timeout_s = 30; /* no fence bound by the lock wait here */
    c->ddl_fence_max_ms = fence_max_ms;
    conf_swap(c);
    rules_reset();
    /* without table definitions the classifier is conservative: rules
     * would ask for approval instead of queueing */
    rules_set_mode(14, RULE_OFF, NULL, NULL);
    rules_set_mode(15, RULE_OFF, NULL, NULL); /* the index build's approval */
    ck_assert_msg(workers_create(1, err, sizeof(err)), "%s", err);
    ck_assert_msg(workers_start("127.0.0.1", e->proxy_port, err, sizeof(err)), "%s", err);
    atomic_store(&qf_ticking, true);
    pthread_create(&e->ticker, NULL, qf_ticker_main, NULL);
}

static void env_stop(struct env *e, int *fds, int nfds)
{
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    atomic_store(&qf_ticking, false);
    pthread_join(e->ticker, NULL);
    workers_close_all();
    workers_stop();
    workers_free();
    const char *err = qf_backend_stop(&e->fb);
    ck_assert_msg(err[0] == '\0', "fake backend: %s", err);
}

static void expect_ok(struct env *e, int fd, const char *what)
{
    uint8_t buf[4096];
    long n = qf_read_packet(fd, buf, sizeof(buf));

    ck_assert_msg(n > 0, "no answer to %s (backend saw: %s)", what, qf_seen_log(&e->fb));
    ck_assert_msg(buf[0] == 0x00, "%s answered with error %d: %s", what,
                  n > 3 ? buf[1] | (buf[2] << 8) : 0, n > 9 ? (const char *)buf + 9 : "");
}

static struct mdlq_stats stats_now(void)
{
    struct mdlq_stats st;
    mdlq_stats_get(&st);
    return st;
}

/* The single queue entry's id once its state contains `state` (<= ms). */
static uint64_t wait_entry(const char *state, int ms)
{
    struct mdlq_info info[4];
    for (int i = 0; i <= ms / 10; i++) {
        int n = mdlq_list(info, 4);
        if (n == 1 && strstr(info[0].state, state))
            return info[0].id;
        usleep(10 * 1000);
    }
    return 0;
}

static bool wait_fenced(uint64_t at_least, int ms)
{
    for (int i = 0; i <= ms / 10; i++) {
        if (stats_now().fenced_statements >= at_least)
            return true;
        usleep(10 * 1000);
    }
    return false;
}

/* A: BEGIN; SELECT t (still running on the server when the ALTER comes);
 * the ALTER must wait until A has written t and committed, and a newcomer's
 * statement on t waits at the fence until the ALTER is answered. */
START_TEST(drain_lets_the_transaction_finish_first)
{
    struct env e;
    int fd[3];

    env_start(&e, 3, 2000);
    e.fb.gate[0] = "WHERE id = 1"; /* A's read stays "running" */
    fd[0] = qf_client_login(e.proxy_port, 15);
    fd[1] = qf_client_login(e.proxy_port, 15);
    fd[2] = qf_client_login(e.proxy_port, 15);
    SEND(fd[0], q_begin);
    expect_ok(&e, fd[0], "BEGIN");
    SEND(fd[0], q_read);
    ck_assert(qf_wait_seen(&e.fb, "WHERE id = 1", 5000));
    struct mdlq_stats st0 = stats_now();

    SEND(fd[1], q_instant);
    ck_assert_msg(wait_entry("draining", 5000),
                  "the ALTER was not fenced and draining behind A's statement in flight");
    SEND(fd[2], q_other);
    ck_assert_msg(wait_fenced(st0.fenced_statements + 1, 5000),
                  "the newcomer's SELECT was not held at the fence (backend saw: %s)",
                  qf_seen_log(&e.fb));
    usleep(100 * 1000);
    ck_assert_msg(qf_seen_at(&e.fb, "ALTER") < 0,
                  "the ALTER was sent while A's transaction was on the table: %s",
                  qf_seen_log(&e.fb));

    qf_gate_open(&e.fb, 0);
    expect_ok(&e, fd[0], "A's read");
    SEND(fd[0], q_write); /* passes the fence: A holds t */
    expect_ok(&e, fd[0], "A's write");
    SEND(fd[0], q_commit);
    expect_ok(&e, fd[0], "A's commit");
    expect_ok(&e, fd[1], "the ALTER");
    expect_ok(&e, fd[2], "the newcomer's SELECT");

    int w = qf_seen_at(&e.fb, "UPDATE"), c = qf_seen_at(&e.fb, "COMMIT"),
        a = qf_seen_at(&e.fb, "ALTER"), o = qf_seen_at(&e.fb, "WHERE id = 2");
    ck_assert_msg(w >= 0 && w < c && c < a, "A's write and commit must precede the ALTER: %s",
                  qf_seen_log(&e.fb));
    struct mdlq_stats st1 = stats_now();
    ck_assert_uint_eq(st1.drains, st0.drains + 1);
    /* A held t past 1 s only on a very slow machine: then A counts as a
     * long transaction, the drain is given up (the fence drops) and the
     * ALTER waits for A's commit like any blocked DDL */
    if (st1.drains_abandoned == st0.drains_abandoned)
        ck_assert_msg(a < o, "the newcomer's SELECT must follow the ALTER: %s", qf_seen_log(&e.fb));
    ck_assert_uint_gt(st1.fenced_ms + 1, st0.fenced_ms);
    env_stop(&e, fd, 3);
}
END_TEST

/* An INSTANT ALTER keeps its fence after the monitor saw it run, until it
 * is answered: it upgrades to the exclusive lock at once. */
START_TEST(instant_keeps_the_fence_until_answered)
{
    struct env e;
    int fd[2];

    env_start(&e, 2, 0);
    e.fb.gate[0] = "ADD COLUMN c2";
    fd[0] = qf_client_login(e.proxy_port, 15);
    fd[1] = qf_client_login(e.proxy_port, 15);
    SEND(fd[0], q_instant);
    ck_assert(qf_wait_seen(&e.fb, "ADD COLUMN c2", 5000));
    uint64_t id = wait_entry("on server", 5000);
    ck_assert(id != 0);
    mdlq_lock_acquired(id); /* the monitor: it runs */
    struct mdlq_stats st0 = stats_now();
    SEND(fd[1], q_other);
    ck_assert_msg(wait_fenced(st0.fenced_statements + 1, 5000),
                  "a statement on t was not fenced while the INSTANT ALTER ran");
    usleep(300 * 1000);
    ck_assert_msg(qf_seen_at(&e.fb, "WHERE id = 2") < 0,
                  "the fence dropped before the INSTANT ALTER was answered: %s",
                  qf_seen_log(&e.fb));
    qf_gate_open(&e.fb, 0);
    expect_ok(&e, fd[0], "the ALTER");
    expect_ok(&e, fd[1], "the SELECT");
    env_stop(&e, fd, 2);
}
END_TEST

/* Any other DDL keeps it limits.ddl_fence_max_ms at most once it runs:
 * statements on t go on while an index build is still running. */
START_TEST(index_build_fence_is_bounded)
{
    struct env e;
    int fd[3];

    env_start(&e, 3, 400);
    e.fb.gate[0] = "CREATE INDEX";
    fd[0] = qf_client_login(e.proxy_port, 15);
    fd[1] = qf_client_login(e.proxy_port, 15);
    fd[2] = qf_client_login(e.proxy_port, 15);
    SEND(fd[0], q_index);
    ck_assert(qf_wait_seen(&e.fb, "CREATE INDEX", 5000));
    uint64_t id = wait_entry("on server", 5000);
    ck_assert(id != 0);
    struct mdlq_stats st0 = stats_now();
    SEND(fd[1], q_other); /* before the monitor saw it run: fenced */
    ck_assert(wait_fenced(st0.fenced_statements + 1, 5000));
    mdlq_lock_acquired(id);
    /* released by limits.ddl_fence_max_ms (400 ms after it was sent), while
     * the build still runs */
    ck_assert_msg(qf_wait_seen(&e.fb, "WHERE id = 2", 10000),
                  "the fence of the running index build never dropped: %s", qf_seen_log(&e.fb));
    expect_ok(&e, fd[1], "the SELECT");
    SEND(fd[2], q_other2);
    expect_ok(&e, fd[2], "a later SELECT"); /* no fence any more */
    ck_assert_msg(qf_seen_at(&e.fb, "WHERE id = 3") >= 0, "%s", qf_seen_log(&e.fb));
    qf_gate_open(&e.fb, 0);
    expect_ok(&e, fd[0], "the CREATE INDEX");
    env_stop(&e, fd, 3);
}
END_TEST

int main(void)
{
    /* as the daemon (main.c): a write to a socket the peer closed is an
     * error, not a signal - the workers run in this process */
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("mdlq_drain");
    TCase *tc = tcase_create("drain");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, drain_lets_the_transaction_finish_first);
    tcase_add_test(tc, instant_keeps_the_fence_until_answered);
    tcase_add_test(tc, index_build_fence_is_bounded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
