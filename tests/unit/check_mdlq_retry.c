/*
 * check_mdlq_retry.c - a queued DDL that gets a lock wait timeout goes back
 * to the queue, and whatever the queue decides next (release again, or give
 * up at the deadline) reaches the session even when it is decided while the
 * session is still restoring lock_wait_timeout on the server.
 *
 * The soak once left a CREATE INDEX unanswered for the rest of the run: the
 * deadline passed during an attempt; the 1205 put the entry back in the
 * queue before the restore statement was answered; the scheduler's next
 * tick gave up on it and posted the refusal while the session was still in
 * COMMAND state, the session dropped it, and after the restore it waited
 * for a queue entry that no longer existed.
 *
 * ddlgate runs in-process (one worker) in front of a scripted fake backend
 * that answers the DDL with 1205 after the deadline and delays the restore;
 * a ticker thread plays the main loop's 10 ms scheduler.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "mdlqueue.h"
#include "rules.h"
#include "worker.h"
#include "queue_fixture.h"

static const char lock_wait_timeout[] = "\xff\xb5\x04#HY000Lock wait timeout exceeded; "
                                        "try restarting transaction";
static const char ddl[] = "\x03"
                          "ALTER TABLE test.t ADD COLUMN c2 INT NULL";
static const char ping[] = "\x0e";

/* One statement the fake server expects (a substring) and its answer. */
struct exchange {
    const char *want;
    int delay_ms;
    const char *reply;
    size_t reply_len;
};

#define EXCHANGE(w, d, r)      \
    {                          \
        w, d, r, sizeof(r) - 1 \
    }

struct fake_server {
    int lfd;
    const struct exchange *ex;
    int nex;
    char error[256];
    char seen[8][120]; /* the statements it was sent after login, in order */
    int nseen;
};

/* Expect a COM_QUERY containing ex->want; answer ex->reply after its delay. */
static bool serve(struct fake_server *fs, int fd, const struct exchange *ex)
{
    uint8_t buf[4096];
    long n = qf_read_packet(fd, buf, sizeof(buf));

    if (n > 0 && fs->nseen < 8)
        snprintf(fs->seen[fs->nseen++], sizeof(fs->seen[0]), "%s", (const char *)buf + 1);
    if (n <= 0 || !strstr((const char *)buf + 1, ex->want)) {
        snprintf(fs->error, sizeof(fs->error), "expected a statement with \"%s\", got %s", ex->want,
                 n <= 0 ? "nothing" : (const char *)buf + 1);
        return false;
    }
    usleep((useconds_t)ex->delay_ms * 1000);
    return qf_write_packet(fd, 1, ex->reply, ex->reply_len);
}

static void *fake_server_main(void *arg)
{
    struct fake_server *fs = arg;
    uint8_t buf[4096];
    int fd = accept(fs->lfd, NULL, NULL);

    if (fd < 0) {
        snprintf(fs->error, sizeof(fs->error), "accept failed");
        return NULL;
    }
    qf_set_timeout(fd, 10);
    if (!qf_backend_login(fd)) {
        snprintf(fs->error, sizeof(fs->error), "login failed");
        close(fd);
        return NULL;
    }
    bool good = true;
    for (int i = 0; i < fs->nex && good; i++)
        good = serve(fs, fd, &fs->ex[i]);
    if (good) { /* then the client's COM_PING */
        long n = qf_read_packet(fd, buf, sizeof(buf));
        if (n != 1 || buf[0] != 0x0e)
            snprintf(fs->error, sizeof(fs->error), "expected COM_PING, got %s",
                     n < 0 ? "nothing" : "another packet");
        else
            qf_write_packet(fd, 1, qf_ok, sizeof(qf_ok) - 1);
    }
    close(fd);
    return NULL;
}

/* Run one DDL through the queue against the exchanges; returns the first
 * byte and error code of the client's answer in *first / *code, and what
 * the queue's counters gained in *st. */
static void run_ddl(const struct exchange *ex, int nex, int deadline_s, uint8_t *first, int *code,
                    struct mdlq_stats *st)
{
    struct conf *c = calloc(1, sizeof(*c));
    char err[256];
    int backend_port, proxy_port;

    log_set_level(getenv("DG_TEST_DEBUG") ? LOG_TRACE : LOG_ERROR);
    int lfd = qf_listen_any(&backend_port);
    int tmp = qf_listen_any(&proxy_port);
    close(tmp);
    conf_defaults(c);
    snprintf(c->backend_host, sizeof(c->backend_host), "127.0.0.1");
    c->backend_port = backend_port;
    c->backend_tls = TLS_MODE_DISABLED;
    c->admin_host[0] = '\0';
    c->ddl_queue_deadline_s = deadline_s;
    c->lock_wait_timeout_s = 2;
    conf_swap(c);
    rules_reset();
    /* without table definitions (no monitor) the classifier assumes a copy:
     * the copy-only rule would ask for approval instead of queueing */
    rules_set_mode(14, RULE_OFF, NULL, NULL);
    ck_assert_msg(workers_create(1, err, sizeof(err)), "%s", err);
    ck_assert_msg(workers_start("127.0.0.1", proxy_port, err, sizeof(err)), "%s", err);

    struct mdlq_stats st0; /* counters are process-wide: CK_FORK=no runs both cases here */
    mdlq_stats_get(&st0);
    struct fake_server fs = {.lfd = lfd, .ex = ex, .nex = nex};
    pthread_t server, ticker;
    pthread_create(&server, NULL, fake_server_main, &fs);
    atomic_store(&qf_ticking, true);
    pthread_create(&ticker, NULL, qf_ticker_main, NULL);

    int fd = qf_client_login(proxy_port, 8);
    uint8_t buf[4096];

    ck_assert(qf_write_packet(fd, 0, ddl, sizeof(ddl) - 1));
    long n = qf_read_packet(fd, buf, sizeof(buf));
    ck_assert_msg(n > 0, "no answer to the DDL within 8 s (server saw: %s | %s | %s | %s)",
                  fs.nseen > 0 ? fs.seen[0] : "-", fs.nseen > 1 ? fs.seen[1] : "-",
                  fs.nseen > 2 ? fs.seen[2] : "-", fs.nseen > 3 ? fs.seen[3] : "-");
    *first = buf[0];
    *code = n > 3 && buf[0] == 0xff ? buf[1] | (buf[2] << 8) : 0;
    /* the session still works */
    ck_assert(qf_write_packet(fd, 0, ping, 1));
    ck_assert_int_gt(qf_read_packet(fd, buf, sizeof(buf)), 0);
    ck_assert_uint_eq(buf[0], 0x00);

    close(fd);
    atomic_store(&qf_ticking, false);
    pthread_join(ticker, NULL);
    pthread_join(server, NULL);
    workers_close_all();
    workers_stop();
    workers_free();
    close(lfd);
    mdlq_stats_get(st);
    st->retries -= st0.retries;
    st->timeouts -= st0.timeouts;
    st->released -= st0.released;
    st->abandoned -= st0.abandoned;
    ck_assert_msg(fs.error[0] == '\0', "fake server: %s", fs.error);
}

/* The deadline passes during the attempt: the refusal reaches the client. */
START_TEST(deadline_during_restore_reaches_the_client)
{
    static const struct exchange ex[] = {
        EXCHANGE("SET @ddlgate_lwt", 0, qf_ok),
        EXCHANGE("ADD COLUMN c2", 1300, lock_wait_timeout),       /* past the 1 s deadline */
        EXCHANGE("lock_wait_timeout = @ddlgate_lwt", 300, qf_ok), /* the scheduler ticks */
    };
    uint8_t first;
    int code;
    struct mdlq_stats st;
    run_ddl(ex, 3, 1, &first, &code, &st);
    ck_assert_uint_eq(first, 0xff);
    ck_assert_int_eq(code, 7200); /* DGE_QUEUE_TIMEOUT */
    ck_assert_uint_eq(st.retries, 1);
    ck_assert_uint_eq(st.timeouts, 1);
    ck_assert_uint_eq(st.abandoned, 0);
}
END_TEST

/* The retry's backoff (0.1-0.3 s after the first attempt) ends before the
 * restore is answered: the DDL is released again once the session is
 * ready, and its answer reaches the client. */
START_TEST(release_during_restore_is_not_lost)
{
    static const struct exchange ex[] = {
        EXCHANGE("SET @ddlgate_lwt", 0, qf_ok),
        EXCHANGE("ADD COLUMN c2", 50, lock_wait_timeout),
        EXCHANGE("lock_wait_timeout = @ddlgate_lwt", 400, qf_ok), /* longer than the backoff */
        EXCHANGE("SET @ddlgate_lwt", 0, qf_ok),
        EXCHANGE("ADD COLUMN c2", 0, qf_ok),
        EXCHANGE("lock_wait_timeout = @ddlgate_lwt", 0, qf_ok),
    };
    uint8_t first;
    int code;
    struct mdlq_stats st;
    run_ddl(ex, 6, 60, &first, &code, &st);
    ck_assert_msg(first == 0x00, "the DDL got error %d instead of OK", code);
    ck_assert_uint_eq(st.retries, 1);
    ck_assert_uint_eq(st.released, 2);
    ck_assert_uint_eq(st.abandoned, 0);
}
END_TEST

int main(void)
{
    /* as the daemon (main.c): a write to a socket the peer closed is an
     * error, not a signal - the workers run in this process */
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("mdlq_retry");
    TCase *tc = tcase_create("queue");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, deadline_during_restore_reaches_the_client);
    tcase_add_test(tc, release_during_restore_is_not_lost);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
