/*
 * session.c - session lifecycle and the plumbing shared by both legs:
 * bufferevent setup, TLS upgrades, client-leg compression, backpressure,
 * closing with an error packet.  The protocol logic is in client.c (what
 * the application sends) and server.c (what the backend answers).
 */
#include "session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conf.h"
#include "errors.h"
#include "log.h"
#include "pkt.h"
#include "pipeline.h"
#include "session_int.h"
#include "tls.h"
#include "worker.h"

static const char *const state_names[] = {
#define SESS_STATE_NAME(n) #n,
    SESS_STATES(SESS_STATE_NAME)
#undef SESS_STATE_NAME
};

const char *sess_state_name(enum sess_state st)
{
    return (unsigned)st < sizeof(state_names) / sizeof(state_names[0]) ? state_names[st] : "?";
}

void session_set_state(struct session *s, enum sess_state st)
{
    if (log_enabled(LOG_TRACE))
        sess_log(s, LOG_TRACE, "state %s -> %s", sess_state_name(s->state), sess_state_name(st));
    s->state = st;
}

void sess_log(struct session *s, enum log_level l, const char *fmt, ...)
{
    char prefix[256];
    va_list ap;

    if (!log_enabled(l))
        return;
    snprintf(prefix, sizeof(prefix), "C-%llu %s@%s", (unsigned long long)s->id,
             s->user[0] ? s->user : "-", s->peer_str);
    va_start(ap, fmt);
    log_vwrite(l, prefix, fmt, ap);
    va_end(ap);
}

/* ---- backend address cache ------------------------------------------------ */

/* Resolving a host name blocks, so it is done once per (host, port) and
 * shared; the mutex is taken once per new session, not per packet. */
static struct {
    pthread_mutex_t lock;
    char host[256];
    int port;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    bool valid;
} backend_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool backend_address(const struct conf *c, struct sockaddr_storage *ss, socklen_t *len)
{
    bool ok = true;

    pthread_mutex_lock(&backend_cache.lock);
    if (!backend_cache.valid || backend_cache.port != c->backend_port ||
        strcmp(backend_cache.host, c->backend_host) != 0) {
        struct addrinfo hints = {0}, *res = NULL;
        char port[16];
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        snprintf(port, sizeof(port), "%d", c->backend_port);
        if (getaddrinfo(c->backend_host, port, &hints, &res) == 0 && res) {
            memcpy(&backend_cache.addr, res->ai_addr, res->ai_addrlen);
            backend_cache.addrlen = res->ai_addrlen;
            snprintf(backend_cache.host, sizeof(backend_cache.host), "%s", c->backend_host);
            backend_cache.port = c->backend_port;
            backend_cache.valid = true;
            freeaddrinfo(res);
        } else {
            ok = false;
        }
    }
    if (ok) {
        *ss = backend_cache.addr;
        *len = backend_cache.addrlen;
    }
    pthread_mutex_unlock(&backend_cache.lock);
    return ok;
}

/* ---- lifecycle ----------------------------------------------------------------- */

static uint64_t next_session_id = 1;

static void set_nodelay(int fd)
{
    int one = 1;
    /* without it, multi-packet exchanges stall on delayed ACKs */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void handshake_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct session *s = arg;

    (void)fd;
    (void)what;
    if (s->state < SESS_IDLE)
        session_close(s, DGE_HANDSHAKE_TIMEOUT, "ddlgate: handshake not completed in time");
}

static void free_session(struct session *s);

void session_free_now(struct session *s)
{
    pipeline_abandon(s);
    free_session(s);
}

static void free_session(struct session *s)
{
    struct worker *w = s->worker;

    if (s->timer)
        event_free(s->timer);
    if (s->crev)
        event_free(s->crev);
    if (s->srev)
        event_free(s->srev);
    if (s->cbev)
        bufferevent_free(s->cbev);
    if (s->sbev)
        bufferevent_free(s->sbev);
    if (s->client_compress) {
        evbuffer_free(s->cin);
        evbuffer_free(s->cout);
        cmp_free(&s->ccmp);
    }
    if (s->backend_compress) {
        evbuffer_free(s->sin);
        evbuffer_free(s->sout);
        cmp_free(&s->scmp);
    }
    free(s->cmdbuf);
    if (s->prev)
        s->prev->next = s->next;
    else
        w->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    __atomic_sub_fetch(&w->nsessions, 1, __ATOMIC_RELAXED);
    w->stats.clients_active--;
    free(s);
}

struct session *session_new(struct worker *w, int fd, const struct sockaddr *sa, socklen_t salen)
{
    struct session *s = calloc(1, sizeof(*s));
    const struct conf *c = conf_acquire();
    struct sockaddr_storage baddr;
    socklen_t blen;
    struct timeval tv;

    if (!s) {
        conf_release(c);
        return NULL;
    }
    set_nodelay(fd);
    evutil_make_socket_nonblocking(fd);
    s->cbev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!s->cbev) {
        conf_release(c);
        free(s);
        return NULL; /* the caller closes fd */
    }
    s->id = __atomic_fetch_add(&next_session_id, 1, __ATOMIC_RELAXED);
    s->worker = w;
    s->state = SESS_CONNECTING;
    s->connected_at = time(NULL);
    s->autocommit = true;
    s->max_packet = c->max_packet_size;
    s->idle_timeout_s = c->idle_timeout_s;
    memcpy(&s->peer, sa, salen < sizeof(s->peer) ? salen : sizeof(s->peer));
    sess_format_peer(sa, s->peer_str, sizeof(s->peer_str));
    s->next = w->sessions;
    if (w->sessions)
        w->sessions->prev = s;
    w->sessions = s;
    __atomic_add_fetch(&w->nsessions, 1, __ATOMIC_RELAXED);
    w->stats.clients_active++;

    sess_client_attach(s);
    s->timer = evtimer_new(w->base, handshake_timeout_cb, s);
    tv.tv_sec = c->handshake_timeout_ms / 1000;
    tv.tv_usec = (c->handshake_timeout_ms % 1000) * 1000;
    evtimer_add(s->timer, &tv);

    if (!backend_address(c, &baddr, &blen)) {
        sess_log(s, LOG_ERROR, "cannot resolve backend %s:%d", c->backend_host, c->backend_port);
        session_close(s, DGE_BACKEND_DOWN, "ddlgate: cannot resolve backend address %s:%d",
                      c->backend_host, c->backend_port);
        conf_release(c);
        return s;
    }
    s->sbev = bufferevent_socket_new(w->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!s->sbev) {
        conf_release(c);
        session_close(s, DGE_BACKEND_DOWN, "ddlgate: out of memory");
        return s;
    }
    sess_server_attach(s);
    tv.tv_sec = c->connect_timeout_ms / 1000;
    tv.tv_usec = (c->connect_timeout_ms % 1000) * 1000;
    bufferevent_set_timeouts(s->sbev, &tv, &tv);
    if (bufferevent_socket_connect(s->sbev, (struct sockaddr *)&baddr, (int)blen) != 0) {
        sess_log(s, LOG_ERROR, "backend %s:%d unreachable: %s", c->backend_host, c->backend_port,
                 strerror(errno));
        w->stats.backend_errors++;
        session_close(s, DGE_BACKEND_DOWN, "ddlgate: backend %s:%d unreachable: %s",
                      c->backend_host, c->backend_port, strerror(errno));
        conf_release(c);
        return s;
    }
    conf_release(c);
    sess_log(s, LOG_DEBUG, "client connected");
    return s;
}

void sess_format_peer(const struct sockaddr *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
    }
    snprintf(buf, len, "%s:%d", host, port);
}

/* Flush staged plain output to the client through the compressor. */
void sess_flush_client(struct session *s)
{
    if (!s->client_compress || !s->cbev)
        return;
    if (evbuffer_get_length(s->cout) == 0)
        return;
    if (cmp_encode(&s->ccmp, s->cout, bufferevent_get_output(s->cbev)) < 0)
        sess_log(s, LOG_ERROR, "compression failed");
}

void sess_send_err(struct session *s, uint8_t seq, int code, const char *msg)
{
    struct pkt_writer w;

    if (!s->cbev)
        return;
    pkt_w_init(&w, seq);
    pkt_w_err(&w, (uint16_t)code, dg_error_sqlstate(code), msg);
    if (!pkt_w_flush(&w, s->cout))
        sess_log(s, LOG_ERROR, "cannot queue error packet");
    pkt_w_free(&w);
    sess_flush_client(s);
}

/* One write of what `out` holds.  A single chain (the usual answer or
 * query) goes out with send(), which skips the file layer writev() takes;
 * errors are left for the write event, which reports them. */
#define SESS_WRITE_IOV 64
static void leg_write(struct evbuffer *out, evutil_socket_t fd)
{
    struct evbuffer_iovec v[SESS_WRITE_IOV];
    int n = evbuffer_peek(out, -1, NULL, v, SESS_WRITE_IOV);
    ssize_t r;

    if (n <= 0)
        return;
    if (n == 1) {
        r = send(fd, v[0].iov_base, v[0].iov_len, MSG_NOSIGNAL);
    } else {
        struct iovec iov[SESS_WRITE_IOV];
        if (n > SESS_WRITE_IOV)
            n = SESS_WRITE_IOV;
        for (int i = 0; i < n; i++) {
            iov[i].iov_base = v[i].iov_base;
            iov[i].iov_len = v[i].iov_len;
        }
        r = writev(fd, iov, n);
    }
    if (r > 0)
        evbuffer_drain(out, (size_t)r);
}

static void push_leg(struct bufferevent *bev);

/* Everything queued for the client has reached the kernel: for a TLS leg
 * the filter's output and the socket bufferevent's beneath it. */
static bool client_flushed(struct session *s)
{
    if (!s->cbev)
        return true;
    struct bufferevent *under = bufferevent_get_underlying(s->cbev);

    if (evbuffer_get_length(bufferevent_get_output(s->cbev)) > 0)
        return false;
    return !under || evbuffer_get_length(bufferevent_get_output(under)) == 0;
}

static void closing_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what;
    free_session(arg);
}

/* Polls until the last packet is out, for at most CLOSING_TICKS ticks. */
#define CLOSING_TICKS 100 /* x 20 ms */
static void closing_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct session *s = arg;

    (void)fd;
    (void)what;
    if (!s->cbev || s->client_eof || client_flushed(s) || ++s->closing_ticks >= CLOSING_TICKS)
        free_session(s);
}

void session_close(struct session *s, int errcode, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (s->state == SESS_CLOSING)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (errcode)
        sess_log(s, errcode == DGE_SHUTDOWN ? LOG_INFO : LOG_WARN, "closing: %s", msg);
    else
        sess_log(s, LOG_DEBUG, "closing: %s", msg);
    /* The ERR's sequence id: within an answer, the next one; between
     * commands, 1, so a client reads it as the answer to its next command
     * (strict clients check). */
    uint8_t err_seq = s->state == SESS_IDLE ? 1 : s->cseq_next;
    /* mid TLS handshake nothing reaches the client: waiting to flush the
     * ERR kept a slow-loris TLS client's socket CLOSING_TICKS longer */
    if (s->state == SESS_CLIENT_TLS)
        s->client_eof = true;
    sess_on_close(s);
    session_set_state(s, SESS_CLOSING);
    if (s->srev) {
        event_free(s->srev);
        s->srev = NULL;
    }
    if (s->sbev) {
        bufferevent_free(s->sbev);
        s->sbev = NULL;
        if (!s->backend_compress)
            s->sin = s->sout = NULL; /* they were the bufferevent's */
    }
    if (s->crev) {
        event_free(s->crev); /* the client leg is only written from now on */
        s->crev = NULL;
    }
    if (s->cbev && !s->client_eof) {
        if (errcode)
            sess_send_err(s, err_seq, errcode, msg);
        if (!s->client_tls)
            push_leg(s->cbev);
        /* let the last packet reach the client */
        bufferevent_disable(s->cbev, EV_READ);
        bufferevent_enable(s->cbev, EV_WRITE);
        bufferevent_setcb(s->cbev, NULL, NULL, closing_event_cb, s);
    }
    /* Never freed here: the caller may be deep in this session's own
     * processing (a pipelined COM_QUIT read while an answer completes).
     * The closing tick frees it from the event loop, like pgbouncer's
     * justfree list. */
    if (s->timer)
        event_free(s->timer);
    s->timer = event_new(s->worker->base, -1, EV_PERSIST, closing_tick_cb, s);
    struct timeval tv = {0, s->client_eof || !s->cbev || client_flushed(s) ? 0 : 20 * 1000};
    evtimer_add(s->timer, &tv);
}

/* ---- TLS upgrades ------------------------------------------------------------ */

bool sess_client_tls_start(struct session *s)
{
    SSL *ssl = SSL_new(s->worker->client_tls_ctx);
    struct bufferevent *f;

    if (!ssl)
        return false;
    /* the idle timeout moves to the filter (sess_client_attach): left on
     * the socket beneath, it would stop reading there with nobody to
     * restart it */
    bufferevent_set_timeouts(s->cbev, NULL, NULL);
    f = bufferevent_openssl_filter_new(s->worker->base, s->cbev, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                       BEV_OPT_CLOSE_ON_FREE);
    if (!f) {
        SSL_free(ssl);
        return false;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(f, 1);
    /* the filter stops encrypting into the socket's buffer above this, so
     * backpressure measured on the filter's own output holds for TLS too */
    bufferevent_setwatermark(s->cbev, EV_WRITE, 0, SESS_HIGH_WATER);
    s->cbev = f;
    s->client_tls = true;
    sess_client_attach(s);
    return true;
}

bool sess_backend_tls_start(struct session *s, enum tls_mode mode, const char *host)
{
    SSL *ssl = SSL_new(s->worker->backend_tls_ctx);
    struct bufferevent *f;

    if (!ssl)
        return false;
    if (!tls_client_ssl_setup(ssl, mode, host)) {
        SSL_free(ssl);
        return false;
    }
    f = bufferevent_openssl_filter_new(s->worker->base, s->sbev, ssl, BUFFEREVENT_SSL_CONNECTING,
                                       BEV_OPT_CLOSE_ON_FREE);
    if (!f) {
        SSL_free(ssl);
        return false;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(f, 1);
    bufferevent_setwatermark(s->sbev, EV_WRITE, 0, SESS_HIGH_WATER); /* see above */
    s->sbev = f;
    s->backend_tls = true;
    sess_server_attach(s);
    return true;
}

/* Describe the last OpenSSL error of a TLS bufferevent. */
void sess_tls_error(struct bufferevent *bev, char *buf, size_t len)
{
    unsigned long e = bufferevent_get_openssl_error(bev);

    if (e)
        ERR_error_string_n(e, buf, len);
    else
        snprintf(buf, len, "%s", "connection closed during TLS handshake");
}

/* ---- compression on the client leg ------------------------------------------ */

bool sess_client_compress_start(struct session *s, enum cmp_algo algo, int level)
{
    if (cmp_init(&s->ccmp, algo, level) != 0)
        return false;
    s->cin = evbuffer_new();
    s->cout = evbuffer_new();
    if (!s->cin || !s->cout) {
        if (s->cin)
            evbuffer_free(s->cin);
        if (s->cout)
            evbuffer_free(s->cout);
        s->cin = bufferevent_get_input(s->cbev);
        s->cout = bufferevent_get_output(s->cbev);
        cmp_free(&s->ccmp);
        return false;
    }
    s->client_compress = true;
    return true;
}

/* ---- compression on the backend leg ------------------------------------------ */

bool sess_backend_compress_start(struct session *s)
{
    if (cmp_init(&s->scmp, s->backend_algo, 0) != 0)
        return false;
    struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
    if (!in || !out) {
        if (in)
            evbuffer_free(in);
        if (out)
            evbuffer_free(out);
        cmp_free(&s->scmp);
        return false;
    }
    s->sin = in;
    s->sout = out;
    s->backend_compress = true;
    return true;
}

/* Compress staged plain output toward the backend into the bufferevent. */
static void flush_server(struct session *s)
{
    if (!s->backend_compress || !s->sbev || evbuffer_get_length(s->sout) == 0)
        return;
    if (cmp_encode(&s->scmp, s->sout, bufferevent_get_output(s->sbev)) < 0)
        sess_log(s, LOG_ERROR, "backend compression failed");
}

/* What waits to reach the client: staged plain bytes and the leg's output. */
static size_t client_pending(const struct session *s)
{
    if (!s->cbev)
        return 0;
    size_t n = evbuffer_get_length(bufferevent_get_output(s->cbev));
    return s->client_compress ? n + evbuffer_get_length(s->cout) : n;
}

/* A compressed packet can hold up to 16 MiB and compressible rows inflate
 * a hundredfold, so decoding everything a read brought in would defeat
 * backpressure: decode one packet at a time, only while less than one
 * whole inspectable packet is decoded ahead, and none while the client is
 * behind.  What stays compressed is picked up by sess_backpressure() when
 * the client catches up. */
#define SESS_DECODE_AHEAD (SESS_INSPECT_MAX + PKT_HDR_LEN + 1)

/* Size of the compressed packet at the front of raw, header included; 0
 * until its length has arrived. */
static size_t compressed_packet_size(struct evbuffer *raw)
{
    uint8_t h[3];

    if (evbuffer_copyout(raw, h, sizeof(h)) != (ev_ssize_t)sizeof(h))
        return 0;
    return CMP_HDR_LEN + ((size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16);
}

/* Compressed bytes already read may be all that is left of a leg's input:
 * no read event would come for them.  Run the leg's read callback from the
 * loop (not nested) when a whole compressed packet waits; a partial one
 * waits for its read event (kicking for it would spin). */
static void leg_kick(struct bufferevent *bev, struct event *rev)
{
    struct evbuffer *raw = bufferevent_get_input(bev);
    size_t need = compressed_packet_size(raw);

    if (need == 0 || evbuffer_get_length(raw) < need)
        return;
    if (rev)
        event_active(rev, EV_READ, 0);
    else
        bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

void sess_backend_kick(struct session *s)
{
    if (s->backend_compress && s->sbev && !s->spaused)
        leg_kick(s->sbev, s->srev);
}

bool sess_backend_decompress(struct session *s)
{
    char err[128];
    struct evbuffer *raw;

    if (!s->backend_compress || !s->sbev)
        return true;
    raw = bufferevent_get_input(s->sbev);
    if (evbuffer_get_length(raw) == 0 || evbuffer_get_length(s->sin) >= SESS_DECODE_AHEAD ||
        client_pending(s) > SESS_HIGH_WATER)
        return true;
    if (cmp_decode(&s->scmp, raw, s->sin, 1, err, sizeof(err)) < 0) {
        sess_log(s, LOG_WARN, "bad compressed packet from the backend: %s", err);
        return false;
    }
    return true;
}

void sess_server_command_start(struct session *s)
{
    if (s->backend_compress) {
        /* what is staged belongs to the previous command: its own frames */
        flush_server(s);
        cmp_reset_seq(&s->scmp, 0);
    }
    s->sseq_next = 0;
}

/* What waits to reach the backend: staged plain bytes and the leg's output. */
static size_t server_pending(const struct session *s)
{
    if (!s->sbev)
        return 0;
    size_t n = evbuffer_get_length(bufferevent_get_output(s->sbev));
    return s->backend_compress ? n + evbuffer_get_length(s->sout) : n;
}

/* How much client input may wait for ddlgate.  Like the backend's output,
 * it is capped: a client that pipelines commands behind a slow one, or
 * sends compressed packets that inflate a thousandfold, is not read (or
 * decoded) further once SESS_HIGH_WATER waits, or the whole command at the
 * front when ddlgate must see it whole and it is bigger.  A command of
 * several 16 MiB frames is bounded by its own size limit (command_size). */
static size_t client_input_cap(const struct session *s)
{
    uint8_t h[PKT_HDR_LEN];

    if (s->c2s_left || evbuffer_copyout(s->cin, h, sizeof(h)) != (ev_ssize_t)sizeof(h))
        return SESS_HIGH_WATER;
    size_t len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    if (len == PKT_MAX_PAYLOAD)
        return SIZE_MAX;
    return len + PKT_HDR_LEN > SESS_HIGH_WATER ? len + PKT_HDR_LEN : SESS_HIGH_WATER;
}

/* Compressed client bytes read but not decoded are capped too: at
 * SESS_HIGH_WATER, or the whole compressed packet at the front (up to
 * 16 MiB), which must be read entirely before it can be decoded. */
static bool client_raw_full(const struct session *s)
{
    if (!s->client_compress || !s->cbev)
        return false;
    struct evbuffer *raw = bufferevent_get_input(s->cbev);
    size_t have = evbuffer_get_length(raw);
    return have >= SESS_HIGH_WATER && have >= compressed_packet_size(raw);
}

/* May one more compressed packet of the client's be decoded now?  The same
 * condition gates sess_client_kick(), so a kick always makes progress. */
static bool client_may_decode(const struct session *s)
{
    return s->client_compress && s->cbev && evbuffer_get_length(s->cin) < client_input_cap(s) &&
           server_pending(s) <= SESS_HIGH_WATER;
}

int sess_client_decode(struct session *s)
{
    char err[128];

    if (!client_may_decode(s) || evbuffer_get_length(bufferevent_get_input(s->cbev)) == 0)
        return 0;
    int n = cmp_decode(&s->ccmp, bufferevent_get_input(s->cbev), s->cin, 1, err, sizeof(err));
    if (n < 0) {
        sess_log(s, LOG_WARN, "bad compressed packet: %s", err);
        return -1;
    }
    return n > 0;
}

/* Only when a decode may run: a kick must make progress. */
static void sess_client_kick(struct session *s)
{
    if (client_may_decode(s))
        leg_kick(s->cbev, s->crev);
}

bool sess_client_has_input(const struct session *s)
{
    return evbuffer_get_length(s->cin) > 0 ||
           (s->client_compress && s->cbev &&
            evbuffer_get_length(bufferevent_get_input(s->cbev)) > 0);
}

/* ---- writing -------------------------------------------------------------------- */

/* Write-first, poll only when the kernel is full (as HAProxy and Redis do):
 * a bufferevent arms its write event, an epoll_ctl each way, every time its
 * output goes from empty to non-empty.  For plain sockets ddlgate keeps that
 * event disabled and writes here, once per batch of relayed packets; only
 * what the socket does not take enables it, and the write callback disables
 * it again when the output is empty. */
static void push_leg(struct bufferevent *bev)
{
    struct evbuffer *out = bufferevent_get_output(bev);

    if (evbuffer_get_length(out) == 0)
        return;
    /* a socket bufferevent freezes the front of its output so that only it
     * drains it; it unfreezes around its own writes, and so do we */
    evbuffer_unfreeze(out, 1);
    leg_write(out, bufferevent_getfd(bev));
    evbuffer_freeze(out, 1);
    if (evbuffer_get_length(out) > 0)
        bufferevent_enable(bev, EV_WRITE);
}

void sess_write_drained(struct session *s, struct bufferevent *bev, bool keep_write)
{
    if (!keep_write && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        bufferevent_disable(bev, EV_WRITE); /* back to direct writes */
    sess_backpressure(s);                   /* resumes a paused leg below the low watermark */
}

void sess_push(struct session *s)
{
    flush_server(s);
    if (s->cbev && !s->client_tls)
        push_leg(s->cbev);
    if (s->sbev && !s->backend_tls && s->state != SESS_CONNECTING)
        push_leg(s->sbev);
}

/* ---- backpressure ---------------------------------------------------------------- */

/* Stop reading from a leg whose peer cannot keep up; resume from the
 * peer's write callback once its output fell below the low watermark. */
void sess_backpressure(struct session *s)
{
    if (!s->cbev)
        return;
    size_t spending = server_pending(s);
    /* the client leg also stops while ddlgate does not take its input in */
    size_t cin_len = evbuffer_get_length(s->cin); /* the cap is never below SESS_HIGH_WATER */
    bool cin_full =
        (cin_len >= SESS_HIGH_WATER && cin_len >= client_input_cap(s)) || client_raw_full(s);
    if (s->sbev) {
        size_t cpending = evbuffer_get_length(bufferevent_get_output(s->cbev));
        if (cpending > SESS_HIGH_WATER && !s->spaused) {
            sess_leg_read(s, s->sbev, false);
            s->spaused = true;
        }
        /* a direct write may already have drained what paused a leg */
        if (s->spaused && cpending <= SESS_LOW_WATER) {
            s->spaused = false;
            sess_leg_read(s, s->sbev, true);
            sess_backend_kick(s);
        }
    }
    if ((spending > SESS_HIGH_WATER || cin_full) && !s->cpaused) {
        sess_leg_read(s, s->cbev, false);
        s->cpaused = true;
    }
    if (s->cpaused && spending <= SESS_LOW_WATER && !cin_full) {
        s->cpaused = false;
        sess_leg_read(s, s->cbev, true);
    }
    sess_client_kick(s);
}

/* ---- direct reads --------------------------------------------------------------- */

/* libevent 2.1 sizes every socket read with ioctl(FIONREAD) and caps it at
 * 4 KiB, so a 12 KiB result set costs three reads, three writes toward the
 * client and three wake-ups of it.  Once TLS is settled (command phase),
 * plain legs are read here instead: one readv into the input buffer's free
 * space, up to SESS_READ_MAX per wake-up, no ioctl.  The bufferevent keeps
 * the socket, its output and its write event. */
#define SESS_READ_CHUNK (16 * 1024)
#define SESS_READ_MAX (64 * 1024)

/* Read what the socket has into `in`: >0 bytes read, 0 end of stream, -1
 * error (errno), -2 nothing now. */
static ssize_t leg_fill(struct evbuffer *in, evutil_socket_t fd)
{
    ssize_t total = 0;

    while (total < SESS_READ_MAX) {
        struct evbuffer_iovec v[2];
        struct iovec iov[2];
        int nv = evbuffer_reserve_space(in, SESS_READ_CHUNK, v, 2);
        size_t room = 0;

        if (nv <= 0) {
            errno = ENOMEM;
            return total ? total : -1;
        }
        for (int i = 0; i < nv; i++) {
            iov[i].iov_base = v[i].iov_base;
            iov[i].iov_len = v[i].iov_len;
            room += v[i].iov_len;
        }
        /* recv() for the usual single free region: no file-layer detour */
        ssize_t r = nv == 1 ? recv(fd, iov[0].iov_base, iov[0].iov_len, 0) : readv(fd, iov, nv);
        if (r <= 0) {
            evbuffer_commit_space(in, v, 0);
            if (r == 0)
                return total ? total : 0;
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return total ? total : -2;
            return total ? total : -1;
        }
        size_t left = (size_t)r;
        for (int i = 0; i < nv; i++) {
            v[i].iov_len = left < v[i].iov_len ? left : v[i].iov_len;
            left -= v[i].iov_len;
        }
        evbuffer_commit_space(in, v, nv);
        total += r;
        if ((size_t)r < room)
            break; /* the socket is empty: no extra readv just to see EAGAIN */
    }
    return total;
}

static void direct_read_cb(evutil_socket_t fd, short what, void *arg, bool client)
{
    struct session *s = arg;
    struct bufferevent *bev = client ? s->cbev : s->sbev;

    if (what & EV_TIMEOUT) {
        /* the client leg's idle timeout, as the bufferevent would report it */
        if (client)
            client_leg_event(s, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
        return;
    }
    struct evbuffer *in = bufferevent_get_input(bev);
    /* a socket bufferevent freezes the end of its input so that only it
     * fills it (see push_leg for the output side) */
    evbuffer_unfreeze(in, 0);
    ssize_t r = leg_fill(in, fd);
    evbuffer_freeze(in, 0);
    if (r == -2 && (client ? s->client_compress : s->backend_compress) &&
        evbuffer_get_length(in) > 0)
        r = 1; /* woken to decode what was read before (a kick) */
    if (r == -2)
        return;
    if (r > 0) {
        if (client)
            client_process(s);
        else
            server_process(s);
        return;
    }
    short ev = BEV_EVENT_READING | (r == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR);
    if (client)
        client_leg_event(s, ev);
    else
        server_leg_event(s, ev);
}

static void direct_read_client_cb(evutil_socket_t fd, short what, void *arg)
{
    direct_read_cb(fd, what, arg, true);
}

static void direct_read_server_cb(evutil_socket_t fd, short what, void *arg)
{
    direct_read_cb(fd, what, arg, false);
}

static struct event *direct_read_new(struct session *s, struct bufferevent *bev,
                                     event_callback_fn cb, const struct timeval *tv)
{
    struct event *ev =
        event_new(s->worker->base, bufferevent_getfd(bev), EV_READ | EV_PERSIST, cb, s);

    if (!ev)
        return NULL; /* stays on libevent's read path */
    bufferevent_disable(bev, EV_READ);
    bufferevent_set_timeouts(bev, NULL, NULL);
    event_add(ev, tv);
    return ev;
}

void sess_direct_read_start(struct session *s)
{
    if (s->state == SESS_CLOSING)
        return;
    if (s->cbev && !s->client_tls && !s->crev && !s->cpaused) {
        struct timeval tv = {s->idle_timeout_s, 0};
        s->crev =
            direct_read_new(s, s->cbev, direct_read_client_cb, s->idle_timeout_s > 0 ? &tv : NULL);
    }
    if (s->sbev && !s->backend_tls && !s->srev && !s->spaused)
        s->srev = direct_read_new(s, s->sbev, direct_read_server_cb, NULL);
}

void sess_leg_read(struct session *s, struct bufferevent *bev, bool on)
{
    struct event *ev = bev == s->cbev ? s->crev : bev == s->sbev ? s->srev : NULL;

    if (!ev) {
        if (on)
            bufferevent_enable(bev, EV_READ);
        else
            bufferevent_disable(bev, EV_READ);
        return;
    }
    if (!on) {
        event_del(ev);
    } else if (!event_pending(ev, EV_READ, NULL)) {
        struct timeval tv = {s->idle_timeout_s, 0};
        event_add(ev, ev == s->crev && s->idle_timeout_s > 0 ? &tv : NULL);
    }
}

/* ---- relaying packets ------------------------------------------------------------- */

void sess_relay_packet(struct session *s, struct evbuffer *in, struct evbuffer *out, uint32_t len,
                       uint8_t out_seq, bool to_client)
{
    uint8_t hdr[PKT_HDR_LEN];

    evbuffer_drain(in, PKT_HDR_LEN);
    /* toward the backend, ddlgate numbers the frames itself: clients on a
     * compressed leg do not all number split frames the way the backend's
     * uncompressed reader insists on */
    if (!to_client)
        out_seq = s->sseq_next++;
    hdr[0] = (uint8_t)len;
    hdr[1] = (uint8_t)(len >> 8);
    hdr[2] = (uint8_t)(len >> 16);
    hdr[3] = out_seq;
    evbuffer_add(out, hdr, PKT_HDR_LEN);
    if (to_client) {
        s->worker->stats.bytes_to_clients += (uint64_t)len + PKT_HDR_LEN;
        s->s2c_left = len;
        s->s2c_cont = (len == PKT_MAX_PAYLOAD);
        s->cseq_next = (uint8_t)(out_seq + 1);
    } else {
        s->worker->stats.bytes_from_clients += (uint64_t)len + PKT_HDR_LEN;
        s->c2s_left = len;
        s->c2s_cont = (len == PKT_MAX_PAYLOAD);
    }
    sess_relay_continue(s, in, out, to_client);
}

bool sess_relay_continue(struct session *s, struct evbuffer *in, struct evbuffer *out,
                         bool to_client)
{
    uint32_t *left = to_client ? &s->s2c_left : &s->c2s_left;
    size_t avail = evbuffer_get_length(in);
    size_t n = *left < avail ? *left : avail;

    if (n) {
        /* moves whole chains where it can: no copy of row data */
        evbuffer_remove_buffer(in, out, n);
        *left -= (uint32_t)n;
    }
    return *left == 0;
}
