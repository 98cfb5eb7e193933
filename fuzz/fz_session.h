/*
 * fz_session.h - in-process harness for the session fuzzers
 * (fuzz_client_packets.c, fuzz_server_packets.c).  Not a fuzz target
 * itself: the name does not match fuzz_*.c.
 *
 * One event_base on the fuzzer's thread carries everything:
 *   harness client --socketpair--> session (session_new) --TCP 127.0.0.1--> fake backend
 * The fake backend is a listening socket served by events in the same
 * loop: it sends a MariaDB 10.11 greeting, answers the handshake with OK
 * and then answers every command (OK, PREPARE-OK, EOF, or nothing, as the
 * command requires), except that in reply mode the first command after the
 * handshake is answered with the fuzzer's bytes verbatim.
 *
 * Each input gets a fresh session; at the end the client end is closed, the
 * backend connection is reset (SO_LINGER 0, so no TIME_WAIT piles up) and
 * the loop runs until the session is freed.  A session that outlives that
 * is a leak or a hang, and aborts.  Every loop is bounded in rounds.
 */
#ifndef DDLGATE_FZ_SESSION_H
#define DDLGATE_FZ_SESSION_H

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "pkt.h"
#include "session.h"
#include "worker.h"

#define FZ_BACKEND_BUF (1024 * 1024)

/* client capabilities the harness may ask for (byte 0 of the input) */
#define FZ_OPT_DEPRECATE_EOF 1
#define FZ_OPT_SESSION_TRACK 2
#define FZ_OPT_COMPRESS 4
#define FZ_OPT_WITH_DB 8

static struct {
    struct event_base *base;
    struct worker w;
    int lfd; /* fake backend listener */
    struct event *lev;
    int bfd; /* fake backend's accepted connection, -1 none */
    struct event *bev;
    uint8_t *bin; /* fake backend input */
    size_t binlen;
    bool authed;
    bool reply_pending; /* reply mode: next command gets the fuzz bytes */
    const uint8_t *reply;
    size_t reply_len;
    int cfd; /* harness's end of the client socketpair */
    struct session *s;
} fz;

static void fz_post_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct worker_job *jobs;

    (void)fd, (void)what;
    pthread_mutex_lock(&w->post_lock);
    jobs = w->post_head;
    w->post_head = w->post_tail = NULL;
    pthread_mutex_unlock(&w->post_lock);
    while (jobs) {
        struct worker_job *next = jobs->next;
        jobs->fn(w, jobs->arg);
        free(jobs);
        jobs = next;
    }
}

static void fz_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *q = p;
    int spins = 0;

    while (n > 0 && spins < 1000) {
        ssize_t k = write(fd, q, n);
        if (k > 0) {
            q += k;
            n -= (size_t)k;
        } else if (k < 0 && errno != EAGAIN && errno != EINTR) {
            return; /* peer gone: the session closed it */
        } else {
            spins++;
            event_base_loop(fz.base, EVLOOP_NONBLOCK);
        }
    }
}

/* ---- fake backend --------------------------------------------------------------- */

static void fz_backend_send(const uint8_t *payload, size_t len, uint8_t seq)
{
    uint8_t pkt[4 + 128] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), seq};
    /* one write per packet: answers are small */
    if (len > sizeof(pkt) - 4)
        abort();
    memcpy(pkt + 4, payload, len);
    fz_write_all(fz.bfd, pkt, 4 + len);
}

static void fz_backend_greeting(void)
{
    static const char version[] = "5.5.5-10.11.19-MariaDB-fuzz";
    uint8_t g[128];
    size_t n = 0;
    g[n++] = 10;
    memcpy(g + n, version, sizeof(version)); /* with its NUL */
    n += sizeof(version);
    memcpy(g + n, "\x2a\x00\x00\x00", 4); /* connection id 42 */
    n += 4;
    memcpy(g + n, "abcdefgh\0", 9);
    n += 9;
    /* capabilities 0x81fffffe as 10.11 sends them, minus SSL */
    uint32_t caps = 0x81fffffeu & ~CLIENT_SSL;
    g[n++] = (uint8_t)caps;
    g[n++] = (uint8_t)(caps >> 8);
    g[n++] = 45; /* utf8mb4_general_ci */
    g[n++] = 2;  /* autocommit */
    g[n++] = 0;
    g[n++] = (uint8_t)(caps >> 16);
    g[n++] = (uint8_t)(caps >> 24);
    g[n++] = 21;
    memset(g + n, 0, 6);
    n += 6;
    memcpy(g + n, "\x1d\x00\x00\x00", 4); /* MariaDB extended caps */
    n += 4;
    memcpy(g + n, "ijklmnopqrst\0", 13);
    n += 13;
    memcpy(g + n, "mysql_native_password", 22);
    n += 22;
    fz_backend_send(g, n, 0);
}

/* Answer one complete command the way a server would. */
static void fz_backend_answer(uint8_t cmd, uint8_t seq)
{
    static const uint8_t ok[] = {0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
    static const uint8_t eof[] = {0xfe, 0x00, 0x00, 0x02, 0x00};
    static const uint8_t prep[] = {0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    if (getenv("FZ_DEBUG"))
        fprintf(stderr, "backend: cmd 0x%02x seq %u authed %d reply %d state %s\n", cmd, seq,
                fz.authed, fz.reply_pending, fz.s ? sess_state_name(fz.s->state) : "-");

    if (!fz.authed) {
        fz.authed = true;
        fz_backend_send(ok, sizeof(ok), seq);
        return;
    }
    if (fz.reply_pending) {
        fz.reply_pending = false;
        fz_write_all(fz.bfd, fz.reply, fz.reply_len);
        return;
    }
    switch (cmd) {
    case COM_QUIT:
    case COM_STMT_CLOSE:
    case COM_STMT_SEND_LONG_DATA:
        return;
    case COM_STMT_PREPARE:
        fz_backend_send(prep, sizeof(prep), seq);
        return;
    case COM_FIELD_LIST:
    case COM_STMT_FETCH:
        fz_backend_send(eof, sizeof(eof), seq);
        return;
    default:
        fz_backend_send(ok, sizeof(ok), seq);
        return;
    }
}

static void fz_backend_close(void)
{
    if (fz.bfd < 0)
        return;
    if (getenv("FZ_DEBUG"))
        fprintf(stderr, "backend: close fd %d\n", fz.bfd);
    struct linger lg = {1, 0}; /* reset: no TIME_WAIT per input */
    setsockopt(fz.bfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    event_free(fz.bev);
    close(fz.bfd);
    fz.bfd = -1;
    fz.binlen = 0;
}

/* Split the backend's input into commands (frames of 0xffffff bytes are
 * continued by the next one) and answer each. */
static void fz_backend_parse(void)
{
    size_t off = 0;

    for (;;) {
        size_t at = off;
        uint8_t cmd = 0, seq = 0;
        bool first = true, whole = false;
        while (fz.binlen - at >= 4) {
            uint32_t len = (uint32_t)fz.bin[at] | ((uint32_t)fz.bin[at + 1] << 8) |
                           ((uint32_t)fz.bin[at + 2] << 16);
            if (fz.binlen - at - 4 < len)
                break;
            if (first && len > 0)
                cmd = fz.bin[at + 4];
            first = false;
            seq = fz.bin[at + 3];
            at += 4 + len;
            if (len < PKT_MAX_PAYLOAD) {
                whole = true;
                break;
            }
        }
        if (!whole)
            break;
        off = at;
        fz_backend_answer(cmd, (uint8_t)(seq + 1));
        if (fz.bfd < 0)
            return;
    }
    memmove(fz.bin, fz.bin + off, fz.binlen - off);
    fz.binlen -= off;
}

static void fz_backend_read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what, (void)arg;
    for (int i = 0; i < 64; i++) {
        if (fz.binlen == FZ_BACKEND_BUF)
            fz.binlen = 0; /* more than any command the harness sends: drop it */
        ssize_t k = read(fd, fz.bin + fz.binlen, FZ_BACKEND_BUF - fz.binlen);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
            fz_backend_close();
            return;
        }
        if (k < 0)
            break;
        fz.binlen += (size_t)k;
    }
    fz_backend_parse();
}

static void fz_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
    (void)what, (void)arg;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        return;
    if (fz.bfd >= 0) {
        close(fd); /* one session at a time */
        return;
    }
    evutil_make_socket_nonblocking(fd);
    int one = 1; /* no Nagle: a split answer would wait for a delayed ACK */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (getenv("FZ_DEBUG"))
        fprintf(stderr, "backend: accepted fd %d\n", fd);
    fz.bfd = fd;
    fz.authed = false;
    fz.binlen = 0;
    fz.bev = event_new(fz.base, fd, EV_READ | EV_PERSIST, fz_backend_read_cb, NULL);
    event_add(fz.bev, NULL);
    fz_backend_greeting();
}

/* ---- setup ------------------------------------------------------------------------ */

static void fz_init(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t slen = sizeof(sa);
    char err[256];

    signal(SIGPIPE, SIG_IGN);
    log_set_level(getenv("FZ_DEBUG") ? LOG_DEBUG : LOG_ERROR);
    fz.base = event_base_new();
    fz.w.base = fz.base;
    pthread_mutex_init(&fz.w.post_lock, NULL);
    fz.w.post_ev = event_new(fz.base, -1, EV_PERSIST, fz_post_cb, &fz.w);
    event_add(fz.w.post_ev, NULL);
    sql_script_init(&fz.w.script);
    fz.bin = malloc(FZ_BACKEND_BUF);
    fz.bfd = -1;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fz.lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (!fz.base || !fz.bin || fz.lfd < 0 || bind(fz.lfd, (struct sockaddr *)&sa, slen) != 0 ||
        listen(fz.lfd, 64) != 0 || getsockname(fz.lfd, (struct sockaddr *)&sa, &slen) != 0) {
        fprintf(stderr, "fz_init: cannot set up the fake backend: %s\n", strerror(errno));
        abort();
    }
    evutil_make_socket_nonblocking(fz.lfd);
    fz.lev = event_new(fz.base, fz.lfd, EV_READ | EV_PERSIST, fz_accept_cb, NULL);
    event_add(fz.lev, NULL);

    struct conf *c = malloc(sizeof(*c));
    conf_defaults(c);
    snprintf(c->backend_host, sizeof(c->backend_host), "127.0.0.1");
    c->backend_port = ntohs(sa.sin_port);
    c->handshake_timeout_ms = 3600000; /* the harness ends every session itself */
    c->admin_host[0] = '\0';           /* no admin port in-process */
    if (!conf_validate(c, err, sizeof(err)))
        fprintf(stderr, "fz_init: conf: %s\n", err);
    conf_swap(c);
}

static void fz_spin(int rounds)
{
    static uint8_t sink[65536];

    for (int i = 0; i < rounds; i++) {
        event_base_loop(fz.base, EVLOOP_NONBLOCK);
        /* the harness client reads everything: no backpressure stalls */
        while (fz.cfd >= 0 && read(fz.cfd, sink, sizeof(sink)) > 0)
            ;
    }
}

/* Is this input's session still in the worker's list?  Compared by
 * address only: a freed session is never dereferenced. */
static bool fz_session_alive(void)
{
    for (struct session *x = fz.w.sessions; x; x = x->next)
        if (x == fz.s)
            return true;
    return false;
}

/* Connect a session and complete the handshake with the given options.
 * Returns false when the session did not reach the command phase. */
static bool fz_connect(uint8_t opts)
{
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
    int sv[2];

    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    evutil_make_socket_nonblocking(sv[1]);
    fz.cfd = sv[1];
    fz.s = session_new(&fz.w, sv[0], (struct sockaddr *)&peer, sizeof(peer));
    if (!fz.s || fz.s == (struct session *)1)
        abort(); /* out of memory */
    for (int i = 0; i < 200 && fz_session_alive() && fz.s->state != SESS_WAIT_HELLO; i++)
        fz_spin(1);
    if (!fz_session_alive() || fz.s->state != SESS_WAIT_HELLO)
        return false;

    uint32_t caps = CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 |
                    CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_STATEMENTS |
                    CLIENT_MULTI_RESULTS | CLIENT_PS_MULTI_RESULTS | CLIENT_PLUGIN_AUTH |
                    CLIENT_LOCAL_FILES;
    if (opts & FZ_OPT_DEPRECATE_EOF)
        caps |= CLIENT_DEPRECATE_EOF;
    if (opts & FZ_OPT_SESSION_TRACK)
        caps |= CLIENT_SESSION_TRACK;
    if (opts & FZ_OPT_COMPRESS)
        caps |= CLIENT_COMPRESS;
    if (opts & FZ_OPT_WITH_DB)
        caps |= CLIENT_CONNECT_WITH_DB;
    uint8_t r[128];
    size_t n = 4;
    memcpy(r + n, &caps, 4); /* little-endian hosts only, as libFuzzer runs */
    n += 4;
    memcpy(r + n, "\x00\x00\x00\x01", 4); /* max packet 16 MiB */
    n += 4;
    r[n++] = 45;
    memset(r + n, 0, 23);
    n += 23;
    memcpy(r + n, "fz\0", 3);
    n += 3;
    r[n++] = 20;
    memset(r + n, 'x', 20);
    n += 20;
    if (opts & FZ_OPT_WITH_DB) {
        memcpy(r + n, "db\0", 3);
        n += 3;
    }
    memcpy(r + n, "mysql_native_password", 22);
    n += 22;
    r[0] = (uint8_t)(n - 4);
    r[1] = r[2] = 0;
    r[3] = 1;
    fz_write_all(fz.cfd, r, n);
    for (int i = 0; i < 200 && fz_session_alive() && fz.s->state != SESS_IDLE; i++)
        fz_spin(1);
    if (getenv("FZ_DEBUG"))
        fprintf(stderr, "connect: alive %d state %s bfd %d sbev-in %zu enabled %d\n",
                fz_session_alive(), fz_session_alive() ? sess_state_name(fz.s->state) : "-", fz.bfd,
                fz.s->sbev ? evbuffer_get_length(bufferevent_get_input(fz.s->sbev)) : 0,
                fz.s->sbev ? bufferevent_get_enabled(fz.s->sbev) : -1);
    return fz_session_alive() && fz.s->state == SESS_IDLE;
}

/* End the input: client gone, backend reset, session freed. */
static void fz_teardown(void)
{
    if (fz.cfd >= 0) {
        close(fz.cfd);
        fz.cfd = -1;
    }
    for (int i = 0; i < 200 && fz_session_alive(); i++)
        fz_spin(1);
    /* A closing session whose last packet went out may wait for its 2 s
     * closing timer (session.c) before it is freed; it stays in the list
     * and is freed during later inputs.  Anything else still alive after
     * its client left is a stuck session. */
    if (fz_session_alive() && fz.s->state != SESS_CLOSING) {
        struct session *z = fz.s;
        fprintf(stderr,
                "fz_teardown: session %s did not close after its client left "
                "(client_eof %d, output %zu bytes, cbev enabled %d, sbev %p)\n",
                sess_state_name(z->state), z->client_eof,
                z->cbev ? evbuffer_get_length(bufferevent_get_output(z->cbev)) : 0,
                z->cbev ? bufferevent_get_enabled(z->cbev) : -1, (void *)z->sbev);
        abort();
    }
    int pending = 0;
    for (struct session *x = fz.w.sessions; x; x = x->next)
        pending++;
    if (pending > 1000) {
        fprintf(stderr, "fz_teardown: %d closing sessions pile up\n", pending);
        abort();
    }
    fz_backend_close();
    fz_spin(2);
    fz.s = NULL;
}

#endif
