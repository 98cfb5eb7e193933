/*
 * queue_fixture.h - the wire and the clock shared by the in-process queue
 * tests (check_mdlq_retry.c, check_mdlq_fence.c, check_mdlq_drain.c):
 * ddlgate's workers run in the test process between a scripted fake backend
 * and a raw client, and a ticker thread stands in for main.c's 10 ms queue
 * tick.  qf_backend is a fake server for several sessions that tracks each
 * connection's transaction (the OK's status flags) and keeps statements
 * matching a closed gate unanswered until the test opens it.
 *
 * Header-only (CMake builds every tests/unit/check_*.c on its own); include
 * it once, after <check.h>.
 */
#ifndef DDLGATE_QUEUE_FIXTURE_H
#define DDLGATE_QUEUE_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mdlqueue.h"

/* MySQL 8.0.36 greeting (caching_sha2_password), as in check_relay.c */
static const char qf_greeting[] = "\x0a"
                                  "8.0.36\0"
                                  "\x2a\x00\x00\x00"
                                  "abcdefgh"
                                  "\x00"
                                  "\xff\xf7"
                                  "\xff"
                                  "\x02\x00"
                                  "\xff\x95"
                                  "\x15"
                                  "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                                  "ijklmnopqrst\0"
                                  "caching_sha2_password\0";
static const char qf_response[] =
    "\x8d\xa2\x2f\x01"
    "\x00\x00\x00\x01"
    "\xff"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "app\0"
    "\x20"
    "0123456789abcdef0123456789abcdef"
    "test\0"
    "caching_sha2_password\0";
static const char qf_fast_ok[] = "\x01\x03";
static const char qf_ok[] = "\x00\x00\x00\x02\x00\x00\x00";

static inline int qf_listen_any(int *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    return fd;
}

static inline void qf_set_timeout(int fd, int seconds)
{
    struct timeval tv = {seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static inline bool qf_read_full(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static inline bool qf_write_packet(int fd, uint8_t seq, const void *data, size_t len)
{
    uint8_t hdr[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), seq};
    return write(fd, hdr, 4) == 4 && (len == 0 || write(fd, data, len) == (ssize_t)len);
}

/* One packet into buf (NUL-terminated); its length, or -1. */
static inline long qf_read_packet(int fd, uint8_t *buf, size_t cap)
{
    uint8_t hdr[4];
    if (!qf_read_full(fd, hdr, 4))
        return -1;
    size_t len = hdr[0] | (hdr[1] << 8) | ((size_t)hdr[2] << 16);
    if (len + 1 > cap || !qf_read_full(fd, buf, len))
        return -1;
    buf[len] = '\0';
    return (long)len;
}

/* The fake backend's side of a login: greeting, the response, fast auth OK. */
static inline bool qf_backend_login(int fd)
{
    uint8_t buf[4096];
    return qf_write_packet(fd, 0, qf_greeting, sizeof(qf_greeting) - 1) &&
           qf_read_packet(fd, buf, sizeof(buf)) > 0 && qf_write_packet(fd, 2, qf_fast_ok, 2) &&
           qf_write_packet(fd, 3, qf_ok, sizeof(qf_ok) - 1);
}

/* A client connected to ddlgate on port and logged in (timeout_s per read). */
static inline int qf_client_login(int port, int timeout_s)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    uint8_t buf[4096];

    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s",
                  strerror(errno));
    qf_set_timeout(fd, timeout_s);
    ck_assert_int_gt(qf_read_packet(fd, buf, sizeof(buf)), 0); /* greeting */
    ck_assert(qf_write_packet(fd, 1, qf_response, sizeof(qf_response) - 1));
    ck_assert_int_eq(qf_read_packet(fd, buf, sizeof(buf)), 2); /* fast auth */
    ck_assert_int_gt(qf_read_packet(fd, buf, sizeof(buf)), 0);
    ck_assert_uint_eq(buf[0], 0x00);
    return fd;
}

/* main.c's queue tick, every 10 ms while qf_ticking, for at most 60 s. */
static atomic_bool qf_ticking;

static inline void *qf_ticker_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 6000 && atomic_load(&qf_ticking); i++) {
        mdlq_tick();
        usleep(10 * 1000);
    }
    return NULL;
}

/* ---- qf_backend: several sessions, transactions, gates ------------------------ */

enum {
    QF_MAX_CONNS = 6,
    QF_MAX_SEEN = 48,
    QF_MAX_GATES = 4
};

struct qf_backend;

struct qf_conn {
    struct qf_backend *fb;
    int fd;
};

struct qf_backend {
    int lfd, port;
    int nconns; /* connections to accept */
    pthread_t acceptor;
    pthread_t threads[QF_MAX_CONNS];
    struct qf_conn conns[QF_MAX_CONNS];
    int naccepted;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const char *gate[QF_MAX_GATES]; /* substring of the statements it holds */
    bool open[QF_MAX_GATES];
    char seen[QF_MAX_SEEN][160]; /* statements received after login, in order */
    int nseen;
    char error[256];
};

static inline void qf_fail(struct qf_backend *fb, const char *what)
{
    pthread_mutex_lock(&fb->mu);
    if (!fb->error[0])
        snprintf(fb->error, sizeof(fb->error), "%s", what);
    pthread_mutex_unlock(&fb->mu);
}

/* Record a statement; one behind a closed gate waits for it (at most 20 s). */
static inline void qf_statement(struct qf_backend *fb, const char *sql)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&fb->mu);
    if (fb->nseen < QF_MAX_SEEN)
        snprintf(fb->seen[fb->nseen++], sizeof(fb->seen[0]), "%s", sql);
    for (int g = 0; g < QF_MAX_GATES; g++) {
        if (!fb->gate[g] || !strstr(sql, fb->gate[g]))
            continue;
        int rc = 0;
        while (!fb->open[g] && rc == 0)
            rc = pthread_cond_timedwait(&fb->cv, &fb->mu, &until);
        if (!fb->open[g] && !fb->error[0])
            snprintf(fb->error, sizeof(fb->error), "gate of \"%s\" never opened", fb->gate[g]);
    }
    pthread_mutex_unlock(&fb->mu);
}

/* One session's backend connection: log in, answer OK to anything, with
 * SERVER_STATUS_IN_TRANS from BEGIN until COMMIT, ROLLBACK or a DDL. */
static inline void *qf_conn_main(void *arg)
{
    struct qf_conn *fc = arg;
    uint8_t buf[4096];
    int fd = fc->fd;
    bool in_txn = false;

    qf_set_timeout(fd, 30);
    if (!qf_backend_login(fd)) {
        qf_fail(fc->fb, "login failed");
        close(fd);
        return NULL;
    }
    for (int i = 0; i < 256; i++) {
        long n = qf_read_packet(fd, buf, sizeof(buf));
        if (n <= 0 || buf[0] == 0x01) /* closed, or COM_QUIT */
            break;
        if (buf[0] == 0x03) {
            const char *sql = (const char *)buf + 1;
            qf_statement(fc->fb, sql);
            if (strncmp(sql, "BEGIN", 5) == 0)
                in_txn = true;
            else if (strncmp(sql, "COMMIT", 6) == 0 || strncmp(sql, "ROLLBACK", 8) == 0 ||
                     strncmp(sql, "ALTER", 5) == 0 || strncmp(sql, "CREATE", 6) == 0)
                in_txn = false;
        }
        uint8_t ok[7] = {0x00, 0x00, 0x00, (uint8_t)(0x02 | (in_txn ? 0x01 : 0)), 0x00, 0x00, 0x00};
        if (!qf_write_packet(fd, 1, ok, sizeof(ok)))
            break;
    }
    close(fd);
    return NULL;
}

static inline void *qf_acceptor_main(void *arg)
{
    struct qf_backend *fb = arg;

    qf_set_timeout(fb->lfd, 20); /* accept() gives up too */
    for (int i = 0; i < fb->nconns && i < QF_MAX_CONNS; i++) {
        int fd = accept(fb->lfd, NULL, NULL);
        if (fd < 0) {
            qf_fail(fb, "accept failed");
            break;
        }
        fb->conns[i] = (struct qf_conn){.fb = fb, .fd = fd};
        pthread_create(&fb->threads[i], NULL, qf_conn_main, &fb->conns[i]);
        fb->naccepted++;
    }
    return NULL;
}

/* Listen and accept nconns sessions in the background. */
static inline void qf_backend_start(struct qf_backend *fb, int nconns)
{
    memset(fb, 0, sizeof(*fb));
    pthread_mutex_init(&fb->mu, NULL);
    pthread_cond_init(&fb->cv, NULL);
    fb->lfd = qf_listen_any(&fb->port);
    fb->nconns = nconns;
    pthread_create(&fb->acceptor, NULL, qf_acceptor_main, fb);
}

/* After ddlgate's sessions are closed: join everything; "" or the error. */
static inline const char *qf_backend_stop(struct qf_backend *fb)
{
    pthread_join(fb->acceptor, NULL);
    for (int i = 0; i < fb->naccepted; i++)
        pthread_join(fb->threads[i], NULL);
    close(fb->lfd);
    return fb->error;
}

static inline void qf_gate_open(struct qf_backend *fb, int gate)
{
    pthread_mutex_lock(&fb->mu);
    fb->open[gate] = true;
    pthread_cond_broadcast(&fb->cv);
    pthread_mutex_unlock(&fb->mu);
}

/* Position of the first statement containing want, or -1. */
static inline int qf_seen_at(struct qf_backend *fb, const char *want)
{
    int at = -1;
    pthread_mutex_lock(&fb->mu);
    for (int i = 0; i < fb->nseen && at < 0; i++)
        if (strstr(fb->seen[i], want))
            at = i;
    pthread_mutex_unlock(&fb->mu);
    return at;
}

/* Bounded poll (10 ms steps) for a statement to reach the backend. */
static inline bool qf_wait_seen(struct qf_backend *fb, const char *want, int ms)
{
    for (int i = 0; i <= ms / 10; i++) {
        if (qf_seen_at(fb, want) >= 0)
            return true;
        usleep(10 * 1000);
    }
    return false;
}

/* What the backend was sent, for failure messages. */
static inline const char *qf_seen_log(struct qf_backend *fb)
{
    static char out[2048];
    size_t off = 0;

    out[0] = '\0';
    pthread_mutex_lock(&fb->mu);
    for (int i = 0; i < fb->nseen && off < sizeof(out) - 1; i++) {
        int n = snprintf(out + off, sizeof(out) - off, "%s[%s]", i ? " " : "", fb->seen[i]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    pthread_mutex_unlock(&fb->mu);
    return out;
}

#endif
