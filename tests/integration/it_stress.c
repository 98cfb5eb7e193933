/*
 * it_stress.c - concurrency and abuse through ddlgate (or MariaDB itself when
 * DG_TARGET=direct): connection churn, session isolation under concurrency,
 * many simultaneous sessions, clients that vanish mid-result or mid-handshake,
 * garbage on the wire.  After each abuse the endpoint must still serve, and a
 * vanished client's server session must go away (no leaked backends).
 *
 * Environment: as it_client (DG_TARGET, DG_HOST, DG_PORT, MARIADB_PORT).
 * Usage: it_stress [--list] [case...]
 * Output: "ok - name" / "not ok - name: reason"; exit 1 if any failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <mysql.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "it_common.h"

static const char *g_host = "127.0.0.1";
static unsigned g_port;

static MYSQL *connect_app(void)
{
    MYSQL *m = mysql_init(NULL);
    if (!m)
        return NULL;
    unsigned cto = 10, rto = 60;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &cto);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rto);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rto);
    if (!mysql_real_connect(m, g_host, "app", "apppass", "test", g_port, NULL, 0)) {
        it_set_reason("connect: %u %s", mysql_errno(m), mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    return m;
}

static bool query_ull(MYSQL *m, const char *sql, unsigned long long *out)
{
    if (mysql_query(m, sql) != 0) {
        it_set_reason("%s: %u %s", sql, mysql_errno(m), mysql_error(m));
        return false;
    }
    MYSQL_RES *r = mysql_store_result(m);
    MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
    bool ok = row && row[0];
    if (ok)
        *out = strtoull(row[0], NULL, 10);
    else
        it_set_reason("%s: no value", sql);
    if (r)
        mysql_free_result(r);
    return ok;
}

/* The endpoint still answers a fresh connection. */
static bool still_serving(void)
{
    MYSQL *m = connect_app();
    unsigned long long v = 0;
    bool ok = m && query_ull(m, "SELECT 40 + 2", &v) && v == 42;
    if (m)
        mysql_close(m);
    return ok;
}

/* Wait until the server no longer lists session id (bounded). */
static bool session_gone(unsigned long id, double bound_s)
{
    MYSQL *m = connect_app();
    if (!m)
        return false;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %lu",
             id);
    double t0 = it_now_s();
    bool gone = false;
    unsigned long long n = 1;
    while (!gone && it_now_s() - t0 < bound_s) {
        if (!query_ull(m, sql, &n))
            break;
        gone = n == 0;
        if (!gone)
            usleep(100000);
    }
    mysql_close(m);
    if (!gone)
        it_set_reason("server session %lu still exists after %.0f s", id, bound_s);
    return gone;
}

/* ------------------------------------------------------------- churn */

struct worker {
    int id;
    int loops;
    int failures;
    char why[1200];
};

static void *churn_run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < w->loops; i++) {
        MYSQL *m = connect_app();
        unsigned long long v = 0;
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT %d", w->id * 100000 + i);
        if (!m || !query_ull(m, sql, &v) || v != (unsigned long long)(w->id * 100000 + i)) {
            if (!w->failures++)
                snprintf(w->why, sizeof w->why, "worker %d loop %d: %s", w->id, i, it_reason);
        }
        if (m)
            mysql_close(m);
    }
    return NULL;
}

static int run_workers(void *(*fn)(void *), int nthreads, int loops)
{
    pthread_t th[64];
    struct worker w[64];
    int started = 0, failures = 0;
    for (int i = 0; i < nthreads && i < 64; i++) {
        w[i] = (struct worker){.id = i + 1, .loops = loops};
        if (pthread_create(&th[i], NULL, fn, &w[i]) != 0)
            break;
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < started; i++) {
        if (w[i].failures && !failures)
            it_set_reason("%d failures; first: %s", w[i].failures, w[i].why);
        failures += w[i].failures;
    }
    if (started < nthreads) {
        it_set_reason("only %d of %d threads started", started, nthreads);
        return -1;
    }
    return failures ? -1 : 0;
}

static int case_connection_churn(void)
{
    double t0 = it_now_s();
    if (run_workers(churn_run, 8, 150) != 0)
        return CASE_FAIL;
    printf("#   1200 connect/query/close in %.2f s\n", it_now_s() - t0);
    return still_serving() ? CASE_PASS : CASE_FAIL;
}

/* ----------------------------------------------------------- isolation */

static void *isolation_run(void *arg)
{
    struct worker *w = arg;
    MYSQL *m = connect_app();
    MYSQL_STMT *st = NULL;
    unsigned long long cid = 0, v;
    char sql[128];
    if (!m || !query_ull(m, "SELECT CONNECTION_ID()", &cid)) {
        w->failures++;
        snprintf(w->why, sizeof w->why, "worker %d: %s", w->id, it_reason);
        goto done;
    }
    st = mysql_stmt_init(m);
    const char *ps = "SELECT ? + @base";
    if (!st || mysql_stmt_prepare(st, ps, strlen(ps)) != 0) {
        w->failures++;
        snprintf(w->why, sizeof w->why, "worker %d prepare: %s", w->id, mysql_error(m));
        goto done;
    }
    for (int i = 0; i < w->loops && w->failures == 0; i++) {
        long long want = (long long)w->id * 1000000 + i, got = -1, p = i;
        snprintf(sql, sizeof sql, "SET @base = %lld", (long long)w->id * 1000000);
        if (mysql_query(m, sql) != 0) {
            w->failures++;
            snprintf(w->why, sizeof w->why, "worker %d SET: %s", w->id, mysql_error(m));
            break;
        }
        if (!query_ull(m, "SELECT CONNECTION_ID()", &v) || v != cid) {
            w->failures++;
            snprintf(w->why, sizeof w->why, "worker %d: connection id changed %llu -> %llu", w->id,
                     cid, v);
            break;
        }
        MYSQL_BIND b, r;
        memset(&b, 0, sizeof b);
        memset(&r, 0, sizeof r);
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &p;
        r.buffer_type = MYSQL_TYPE_LONGLONG;
        r.buffer = &got;
        if (mysql_stmt_bind_param(st, &b) || mysql_stmt_execute(st) ||
            mysql_stmt_bind_result(st, &r) || mysql_stmt_fetch(st) != 0 || got != want) {
            w->failures++;
            snprintf(w->why, sizeof w->why, "worker %d loop %d: got %lld want %lld (%s)", w->id, i,
                     got, want, mysql_stmt_error(st));
        }
        mysql_stmt_free_result(st);
    }
done:
    if (st)
        mysql_stmt_close(st);
    if (m)
        mysql_close(m);
    return NULL;
}

static int case_session_isolation(void)
{
    return run_workers(isolation_run, 16, 300) == 0 ? CASE_PASS : CASE_FAIL;
}

/* ------------------------------------------------------ many sessions */

static int case_many_sessions(void)
{
    enum {
        N = 300
    };
    MYSQL *m[N] = {0};
    int rc = CASE_FAIL, n = 0;
    for (n = 0; n < N; n++)
        IT_CHECK((m[n] = connect_app()) != NULL, "session %d: %s", n, it_reason);
    for (int i = 0; i < N; i++) {
        unsigned long long v = 0;
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT %d", i);
        IT_CHECK(query_ull(m[i], sql, &v) && v == (unsigned long long)i, "session %d answered %llu",
                 i, v);
    }
    rc = CASE_PASS;
out:
    for (int i = 0; i < n; i++)
        mysql_close(m[i]);
    return rc;
}

/* ---------------------------------------------------- vanishing clients */

/* A client streams a big result, reads a little, and disappears. */
static int case_abort_mid_result(void)
{
    int rc = CASE_FAIL;
    unsigned long long cid = 0;
    MYSQL_RES *r = NULL;
    MYSQL *m = connect_app();
    IT_CHECK(m, "%s", it_reason);
    IT_CHECK(query_ull(m, "SELECT CONNECTION_ID()", &cid), "%s", it_reason);
    IT_CHECK(mysql_query(m, "SELECT seq, REPEAT('x', 1000) FROM seq_1_to_2000000") == 0,
             "big select: %s", mysql_error(m));
    r = mysql_use_result(m);
    IT_CHECK(r, "use_result: %s", mysql_error(m));
    for (int i = 0; i < 10; i++)
        IT_CHECK(mysql_fetch_row(r), "row %d", i);
    /* vanish without COM_QUIT: RST the socket */
    int fd = (int)mysql_get_socket(m);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    shutdown(fd, SHUT_RDWR);
    mysql_free_result(r);
    r = NULL;
    mysql_close(m);
    m = NULL;
    IT_CHECK(still_serving(), "endpoint stopped serving: %s", it_reason);
    IT_CHECK(session_gone((unsigned long)cid, 20.0), "%s", it_reason);
    rc = CASE_PASS;
out:
    if (r)
        mysql_free_result(r);
    if (m)
        mysql_close(m);
    return rc;
}

/* A client vanishes while its statement runs on the server. */
static int case_abort_mid_query(void)
{
    int rc = CASE_FAIL;
    unsigned long long cid = 0;
    MYSQL *m = connect_app();
    IT_CHECK(m, "%s", it_reason);
    IT_CHECK(query_ull(m, "SELECT CONNECTION_ID()", &cid), "%s", it_reason);
    IT_CHECK(mysql_send_query(m, "SELECT SLEEP(3)", 15) == 0, "send_query: %s", mysql_error(m));
    usleep(300000);
    shutdown((int)mysql_get_socket(m), SHUT_RDWR);
    mysql_close(m);
    m = NULL;
    IT_CHECK(still_serving(), "endpoint stopped serving: %s", it_reason);
    IT_CHECK(session_gone((unsigned long)cid, 20.0), "%s", it_reason);
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int tcp_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
    inet_pton(AF_INET, g_host, &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        it_set_reason("tcp connect: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Read until the peer closes or timeout_ms passes; returns bytes read, or -1 on timeout. */
static long read_until_close(int fd, int timeout_ms)
{
    char buf[4096];
    long total = 0;
    double t0 = it_now_s();
    for (;;) {
        int left = timeout_ms - (int)((it_now_s() - t0) * 1000);
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, left) <= 0)
            return -1;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            return total;
        total += n;
    }
}

/* Garbage instead of a handshake response: the endpoint closes that client
 * (with or without an error packet) and keeps serving everyone else. */
static int case_garbage_handshake(void)
{
    int rc = CASE_FAIL;
    int fd = -1;
    for (int round = 0; round < 3; round++) {
        fd = tcp_connect();
        IT_CHECK(fd >= 0, "%s", it_reason);
        char greet[512];
        ssize_t n = read(fd, greet, sizeof greet);
        IT_CHECK(n > 4 && greet[4] == 10, "no protocol-10 greeting (read %zd)", n);
        unsigned char junk[300];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (unsigned char)(i * 37 + (size_t)round * 101);
        if (round == 1) { /* a header announcing 16 MiB, then nothing more */
            junk[0] = junk[1] = junk[2] = 0xff;
            junk[3] = 1;
        }
        if (round == 2) { /* a plausible header with a truncated body */
            junk[0] = 200;
            junk[1] = 0;
            junk[2] = 0;
            junk[3] = 1;
        }
        ssize_t wn = write(fd, junk, round == 0 ? sizeof junk : 20);
        IT_CHECK(wn > 0, "write: %s", strerror(errno));
        if (round == 0)
            IT_CHECK(read_until_close(fd, 15000) >= 0,
                     "round %d: the connection stayed open 15 s after garbage", round);
        close(fd);
        fd = -1;
        IT_CHECK(still_serving(), "after garbage round %d: %s", round, it_reason);
    }
    rc = CASE_PASS;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Clients that connect and leave at every step of the handshake. */
static int case_abort_in_handshake(void)
{
    int rc = CASE_FAIL;
    for (int i = 0; i < 50; i++) {
        int fd = tcp_connect();
        IT_CHECK(fd >= 0, "%s", it_reason);
        if (i % 2) {
            char greet[512];
            ssize_t n = read(fd, greet, sizeof greet);
            (void)n;
        }
        close(fd);
    }
    IT_CHECK(still_serving(), "%s", it_reason);
    rc = CASE_PASS;
out:
    return rc;
}

/* ---------------------------------------------------------------- main */

static const struct it_case CASES[] = {
    {"connection_churn", case_connection_churn},     {"session_isolation", case_session_isolation},
    {"many_sessions", case_many_sessions},           {"abort_mid_result", case_abort_mid_result},
    {"abort_mid_query", case_abort_mid_query},       {"garbage_handshake", case_garbage_handshake},
    {"abort_in_handshake", case_abort_in_handshake},
};

int main(int argc, char **argv)
{
    const size_t ncases = sizeof CASES / sizeof CASES[0];
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < ncases; i++)
            printf("%s\n", CASES[i].name);
        return 0;
    }
    const char *target = getenv("DG_TARGET");
    bool direct = target && strcmp(target, "direct") == 0;
    const char *port = direct ? getenv("MARIADB_PORT") : getenv("DG_PORT");
    if (getenv("DG_HOST") && *getenv("DG_HOST"))
        g_host = getenv("DG_HOST");
    if (!port || (g_port = (unsigned)strtoul(port, NULL, 10)) == 0 || g_port > 65535) {
        fprintf(stderr, "it_stress: set %s\n", direct ? "MARIADB_PORT" : "DG_PORT");
        return 2;
    }
    if (mysql_library_init(0, NULL, NULL) != 0)
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    printf("# it_stress: %s %s:%u\n", direct ? "direct MariaDB" : "ddlgate", g_host, g_port);
    int rc = it_run_cases("it_stress", CASES, ncases, argc, argv, 120, false);
    mysql_library_end();
    return rc;
}
