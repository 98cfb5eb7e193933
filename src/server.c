/*
 * server.c - the backend leg: connect, greeting, the backend half of the
 * handshake (TLS, HandshakeResponse), the auth relay toward the client, and
 * the response state machine that tells when a command's answer is complete.
 *
 * Responses are relayed as they arrive.  Only packets that can end a
 * response (OK/EOF/ERR, column counts, PREPARE_OK) are looked at whole;
 * rows are classified by their first byte and streamed chain by chain.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "errors.h"
#include "handshake.h"
#include "mdlqueue.h"
#include "pipeline.h"
#include "pkt.h"
#include "session_int.h"
#include "tls.h"
#include "worker.h"

/* Capabilities ddlgate can relay.  Optional result-set metadata, query
 * attributes and MariaDB metadata caching change the command/result
 * layouts ddlgate parses; COM_MULTI is deprecated. */
#define CAPS_UNSUPPORTED                                            \
    (CLIENT_OPTIONAL_RESULTSET_METADATA | CLIENT_QUERY_ATTRIBUTES | \
     CLIENT_SSL_VERIFY_SERVER_CERT | MARIADB_CLIENT_CACHE_METADATA | MARIADB_CLIENT_COM_MULTI)
/* Compression and TLS are per leg: ddlgate terminates them. */
#define CAPS_PER_LEG (CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION_ALGORITHM | CLIENT_SSL)

static void server_read_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    server_process(arg);
}

static void server_write_cb(struct bufferevent *bev, void *arg)
{
    struct session *s = arg;

    sess_write_drained(s, bev, s->backend_tls || s->state == SESS_CONNECTING);
}

static void server_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    server_leg_event(arg, what);
}

void server_leg_event(struct session *s, short what)
{
    struct bufferevent *bev = s->sbev;
    char tlserr[256];

    if (what & BEV_EVENT_CONNECTED) {
        if (s->state == SESS_CONNECTING) {
            int one = 1;
            setsockopt((int)bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            session_set_state(s, SESS_WAIT_GREETING);
            bufferevent_disable(bev, EV_WRITE); /* direct writes from now on */
        } else if (s->state == SESS_BACKEND_TLS) {
            server_send_handshake_response(s);
        }
        return;
    }
    s->worker->stats.backend_errors++;
    if (s->state == SESS_BACKEND_TLS) {
        sess_tls_error(bev, tlserr, sizeof(tlserr));
        session_close(s, DGE_BACKEND_TLS, "ddlgate: TLS handshake with the backend failed: %s",
                      tlserr);
    } else if (s->state <= SESS_WAIT_GREETING) {
        const struct conf *c = conf_acquire();
        session_close(s, DGE_BACKEND_DOWN, "ddlgate: backend %s:%d unreachable: %s",
                      c->backend_host, c->backend_port,
                      (what & BEV_EVENT_TIMEOUT) ? "connect timeout"
                      : EVUTIL_SOCKET_ERROR() ? evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR())
                                              : "connection closed");
        conf_release(c);
    } else {
        session_close(s, DGE_BACKEND_GONE, "ddlgate: the backend closed the connection%s",
                      s->state == SESS_COMMAND ? " while a statement was running" : "");
    }
}

void sess_server_attach(struct session *s)
{
    bufferevent_setcb(s->sbev, server_read_cb, server_write_cb, server_event_cb, s);
    if (!s->backend_compress) {
        s->sin = bufferevent_get_input(s->sbev);
        s->sout = bufferevent_get_output(s->sbev);
    }
    bufferevent_setwatermark(s->sbev, EV_WRITE, SESS_LOW_WATER, 0);
    /* while connecting libevent needs the write event; afterwards plain
     * sockets are written by sess_push() */
    bufferevent_enable(s->sbev, (s->backend_tls || s->state == SESS_CONNECTING) ? EV_READ | EV_WRITE
                                                                                : EV_READ);
}

/* Pull a whole small packet (header + payload) into contiguous memory. */
static const uint8_t *whole_packet(struct evbuffer *in, uint32_t len)
{
    if (evbuffer_get_length(in) < (size_t)len + PKT_HDR_LEN)
        return NULL;
    return evbuffer_pullup(in, (ev_ssize_t)len + PKT_HDR_LEN) + PKT_HDR_LEN;
}

/* ---- greeting ------------------------------------------------------------------ */

/* The last greeting seen, for SHOW BACKEND.  Written once per new backend
 * connection, so a mutex costs nothing that matters. */
static pthread_mutex_t greet_lock = PTHREAD_MUTEX_INITIALIZER;
static char greet_version[128];
static struct sql_server greet_server;
static uint64_t greet_caps;
static bool greet_known;

bool sess_backend_info(char *version, size_t vlen, struct sql_server *srv, uint64_t *caps)
{
    bool known;

    pthread_mutex_lock(&greet_lock);
    known = greet_known;
    snprintf(version, vlen, "%s", greet_version);
    *srv = greet_server;
    *caps = greet_caps;
    pthread_mutex_unlock(&greet_lock);
    return known;
}

static void greet_store(const char *version, const struct sql_server *srv, uint64_t caps,
                        bool only_if_unknown)
{
    pthread_mutex_lock(&greet_lock);
    if (!only_if_unknown || !greet_known) {
        snprintf(greet_version, sizeof(greet_version), "%s", version);
        greet_server = *srv;
        greet_caps = caps;
        greet_known = true;
    }
    pthread_mutex_unlock(&greet_lock);
}

void sess_backend_info_seed(const char *version, uint64_t caps)
{
    struct sql_server srv;

    if (sql_server_from_greeting(version, &srv))
        greet_store(version, &srv, caps, true);
}

static void on_greeting(struct session *s, const uint8_t *p, uint32_t len)
{
    struct evbuffer *in = bufferevent_get_input(s->sbev);
    struct hs_greeting g;
    struct pkt_writer w;

    if (len > 0 && p[0] == 0xff) {
        /* the server refused us (too many connections, host blocked): pass it on */
        sess_relay_packet(s, in, s->cout, len, 0, true);
        session_close(s, 0, "backend refused the connection");
        return;
    }
    if (!hs_parse_greeting(p, len, &g)) {
        session_close(s, DGE_PROTOCOL, "ddlgate: malformed greeting from the backend");
        return;
    }
    char version[128];
    snprintf(version, sizeof(version), "%.*s", (int)g.version_len, g.version);
    if (!sql_server_from_greeting(version, &s->server))
        sess_log(s, LOG_WARN, "cannot read a version from greeting '%s'", version);
    s->server_caps = g.caps;
    s->server_conn_id = g.conn_id;
    greet_store(version, &s->server, g.caps, false);
    /* what the client may use: the server's caps, minus what ddlgate cannot
     * relay, plus what ddlgate offers on its own leg */
    g.caps &= ~(uint64_t)(CAPS_UNSUPPORTED | CAPS_PER_LEG);
    g.caps |= CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION_ALGORITHM;
    if (s->worker->client_tls_ctx)
        g.caps |= CLIENT_SSL;
    s->client_caps = g.caps; /* offered; narrowed by the client's answer */
    pkt_w_init(&w, 0);
    hs_write_greeting(&w, &g);
    evbuffer_drain(in, (size_t)len + PKT_HDR_LEN);
    if (!pkt_w_flush(&w, s->cout)) {
        pkt_w_free(&w);
        session_close(s, DGE_PROTOCOL, "ddlgate: out of memory");
        return;
    }
    pkt_w_free(&w);
    s->cseq_next = 1;
    /* connect timeout no longer applies; the handshake timer still does */
    bufferevent_set_timeouts(s->sbev, NULL, NULL);
    session_set_state(s, SESS_WAIT_HELLO);
}

/* ---- backend half of the handshake ---------------------------------------------- */

/* What backend.compression asks for and the greeting offers. */
static enum cmp_algo backend_algo(const struct session *s)
{
    const struct conf *c = conf_acquire();
    int want = c->backend_compression;
    bool zstd = (s->server_caps & CLIENT_ZSTD_COMPRESSION_ALGORITHM) != 0;
    bool zlib = (s->server_caps & CLIENT_COMPRESS) != 0;
    enum cmp_algo algo = CMP_NONE;

    conf_release(c);
    if ((want == BCOMP_ZSTD || want == BCOMP_AUTO) && zstd)
        algo = CMP_ZSTD;
    else if ((want == BCOMP_ZLIB || want == BCOMP_AUTO) && zlib)
        algo = CMP_ZLIB;
    return algo;
}

/* The capabilities ddlgate asks the backend for: the client's, minus what
 * is per leg, plus the compression of ddlgate's own leg.  The SSLRequest
 * must carry the compression flag too: MariaDB keeps what it said. */
static uint64_t backend_caps(struct session *s)
{
    uint64_t caps = s->client_caps & ~(uint64_t)CAPS_PER_LEG;

    s->backend_algo = backend_algo(s);
    if (s->backend_algo == CMP_ZSTD)
        caps |= CLIENT_ZSTD_COMPRESSION_ALGORITHM;
    else if (s->backend_algo == CMP_ZLIB)
        caps |= CLIENT_COMPRESS;
    return caps;
}

void server_send_handshake_response(struct session *s)
{
    struct pkt_writer w;
    struct hs_response r;
    uint64_t caps;
    struct evbuffer *cin = s->cin;
    uint32_t len;
    uint8_t seq;

    /* the client's HandshakeResponse is still at the front of s->cin */
    if (!pkt_peek_header(cin, &len, &seq)) {
        session_close(s, DGE_PROTOCOL, "ddlgate: handshake response vanished");
        return;
    }
    const uint8_t *p = evbuffer_pullup(cin, (ev_ssize_t)len + PKT_HDR_LEN) + PKT_HDR_LEN;
    if (!hs_parse_response(p, len, &r)) {
        session_close(s, DGE_PROTOCOL, "ddlgate: malformed handshake response");
        return;
    }
    caps = backend_caps(s);
    if (s->backend_tls)
        caps |= CLIENT_SSL;
    if (s->backend_algo == CMP_ZSTD)
        r.zstd_level = CMP_ZSTD_DEFAULT_LEVEL;
    uint8_t sseq = s->backend_tls ? 2 : 1;
    pkt_w_init(&w, sseq);
    hs_write_response(&w, &r, caps, false);
    evbuffer_drain(cin, (size_t)len + PKT_HDR_LEN);
    if (!pkt_w_flush(&w, bufferevent_get_output(s->sbev))) {
        pkt_w_free(&w);
        session_close(s, DGE_PROTOCOL, "ddlgate: out of memory");
        return;
    }
    pkt_w_free(&w);
    s->seq_delta = (int)seq - (int)sseq;
    s->sseq_next = (uint8_t)(sseq + 1);
    s->cseq_next = (uint8_t)(seq + 1);
    session_set_state(s, SESS_AUTH);
    /* the client may have pipelined nothing else; anything left waits */
}

/* Start the backend leg after the client's HandshakeResponse: TLS first if
 * wanted, then the response itself. */
static bool backend_wants_tls(struct session *s, const struct conf *c, bool *refuse)
{
    bool offered = (s->server_caps & CLIENT_SSL) != 0;

    *refuse = false;
    if (c->backend_tls >= TLS_MODE_REQUIRED) {
        if (!offered)
            *refuse = true;
        return offered;
    }
    /* preferred follows the client: a TLS client is never downgraded to
     * plaintext when the backend offers TLS, and a plaintext client stays
     * plaintext, so a REQUIRE SSL account refuses it as it would directly */
    if (c->backend_tls == TLS_MODE_DISABLED && !s->client_tls)
        return false;
    return s->client_tls && offered;
}

void server_start_backend_auth(struct session *s)
{
    const struct conf *c = conf_acquire();
    bool refuse;
    bool tls = backend_wants_tls(s, c, &refuse);

    if (refuse) {
        session_close(s, DGE_BACKEND_TLS,
                      "ddlgate: backend.tls is %s but the backend does not offer TLS",
                      tls_mode_name(c->backend_tls));
        conf_release(c);
        return;
    }
    if (tls && s->worker->backend_tls_ctx) {
        struct pkt_writer w;
        struct hs_response r;
        memset(&r, 0, sizeof(r));
        r.max_packet = 0x40000000;
        r.charset = 45; /* utf8mb4_general_ci; the real value follows after TLS */
        pkt_w_init(&w, 1);
        hs_write_response(&w, &r, backend_caps(s) | CLIENT_SSL, true);
        bool ok = pkt_w_flush(&w, bufferevent_get_output(s->sbev));
        pkt_w_free(&w);
        sess_push(s); /* the SSLRequest goes out plain, before TLS starts */
        session_set_state(s, SESS_BACKEND_TLS);
        if (!ok || !sess_backend_tls_start(s, c->backend_tls, c->backend_host)) {
            session_close(s, DGE_BACKEND_TLS, "ddlgate: cannot start TLS with the backend");
        }
        conf_release(c);
        return;
    }
    conf_release(c);
    server_send_handshake_response(s);
}

/* ---- auth relay ------------------------------------------------------------------ */

static bool is_clear_password_switch(const uint8_t *p, uint32_t len)
{
    static const char name[] = "mysql_clear_password";
    return len >= sizeof(name) && p[0] == 0xfe && memcmp(p + 1, name, sizeof(name) - 1) == 0;
}

static void on_auth_packet(struct session *s, const uint8_t *p, uint32_t len, uint8_t seq)
{
    struct evbuffer *in = s->sin;
    uint8_t b0 = len ? p[0] : 0;

    if (b0 == 0xfe && is_clear_password_switch(p, len) && !s->client_tls) {
        session_close(s, DGE_CLEARTEXT_NO_TLS,
                      "ddlgate: mysql_clear_password is only relayed over TLS; connect with TLS");
        return;
    }
    if (b0 == 0x00) {
        struct pkt_ok ok;
        if (pkt_parse_ok(p, len, false, &ok))
            s->status = ok.status;
    }
    sess_relay_packet(s, in, s->cout, len, (uint8_t)(seq + s->seq_delta), true);
    if (b0 == 0xff) {
        session_close(s, 0, "authentication failed");
        return;
    }
    if (b0 == 0x00) {
        evtimer_del(s->timer);
        s->in_transaction = (s->status & SERVER_STATUS_IN_TRANS) != 0;
        s->autocommit = (s->status & SERVER_STATUS_AUTOCOMMIT) != 0;
        session_set_state(s, SESS_IDLE);
        sess_log(s, LOG_DEBUG, "authenticated (server thread %u)", s->server_conn_id);
        /* the OK goes out plain; compression starts with the next packet */
        if (s->client_caps & (CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION_ALGORITHM)) {
            enum cmp_algo algo =
                (s->client_caps & CLIENT_ZSTD_COMPRESSION_ALGORITHM) ? CMP_ZSTD : CMP_ZLIB;
            if (!sess_client_compress_start(s, algo, s->zstd_level))
                session_close(s, DGE_PROTOCOL, "ddlgate: cannot start compression");
        }
        /* the backend, too, sent its OK plain and compresses from now on */
        if (s->backend_algo != CMP_NONE && !s->backend_compress && s->state != SESS_CLOSING &&
            !sess_backend_compress_start(s))
            session_close(s, DGE_PROTOCOL, "ddlgate: cannot start backend compression");
        sess_direct_read_start(s);
    }
}

/* ---- command responses ------------------------------------------------------------- */

static void update_status(struct session *s, uint16_t status)
{
    s->status = status;
    s->in_transaction = (status & SERVER_STATUS_IN_TRANS) != 0;
    s->autocommit = (status & SERVER_STATUS_AUTOCOMMIT) != 0;
}

/* A packet that ends a result: OK (or OK-as-EOF), EOF.  Returns true when the
 * whole command is complete (no more results follow). */
static bool end_of_result(struct session *s, const uint8_t *p, uint32_t valid, uint32_t len)
{
    uint16_t status = s->status, warnings;
    struct pkt_ok ok;

    if (valid == 0)
        return true;
    if (p[0] == 0xfe && len < 9) {
        if (pkt_parse_eof(p, valid, &warnings, &status) && valid >= 5)
            update_status(s, status);
    } else if (pkt_parse_ok(p, valid, s->session_track, &ok)) {
        update_status(s, ok.status);
        status = ok.status;
        if (ok.schema && ok.schema_len < sizeof(s->schema)) {
            memcpy(s->schema, ok.schema, ok.schema_len);
            s->schema[ok.schema_len] = '\0';
        }
    }
    return !(status & SERVER_MORE_RESULTS_EXISTS);
}

static bool is_eof_packet(const struct session *s, uint8_t b0, uint32_t len)
{
    /* a row can start with 0xfe only as an 8-byte length prefix, which
     * makes the packet at least 9 bytes (classic) or 0xffffff (split) */
    return b0 == 0xfe && (s->deprecate_eof ? len < PKT_MAX_PAYLOAD : len < 9);
}

/* Does this packet have to be inspected whole before it is relayed? */
static bool needs_whole(const struct session *s, uint8_t b0, uint32_t len)
{
    switch (s->resp) {
    case RESP_COLDEFS:
    case RESP_PREP_PARAMS:
    case RESP_PREP_COLS:
        return false;
    case RESP_ROWS:
    case RESP_UNTIL_EOF:
        return b0 == 0xff || is_eof_packet(s, b0, len);
    default:
        return true;
    }
}

/* Advance the response state machine for one packet; true when the
 * command is complete after it.  `p` holds the first `valid` bytes of a
 * payload of `len` bytes: all of it when needs_whole() said so, else a
 * prefix (at least the first byte).  Parsing never reads past `valid`. */
static bool resp_advance(struct session *s, const uint8_t *p, uint32_t valid, uint32_t len)
{
    uint8_t b0 = valid ? p[0] : 0;
    uint64_t n;
    struct pkt_cursor c;

    if (b0 == 0xff && s->resp != RESP_COLDEFS && s->resp != RESP_PREP_PARAMS &&
        s->resp != RESP_PREP_COLS) {
        uint16_t code = valid >= 3 ? (uint16_t)(p[1] | (p[2] << 8)) : 0;
        return code != 0xffff; /* MariaDB progress reports are not the end */
    }
    switch (s->resp) {
    case RESP_FIRST:
        if (b0 == 0x00)
            return end_of_result(s, p, valid, len);
        if (b0 == 0xfb && s->cmd == COM_QUERY) {
            session_set_state(s, SESS_LOCAL_INFILE);
            return false;
        }
        pkt_cursor_init(&c, p, valid);
        if (!pkt_get_lenenc(&c, &n, NULL) || n == 0) {
            sess_log(s, LOG_WARN, "unexpected first response byte 0x%02x", b0);
            return true;
        }
        s->resp_left = n;
        s->resp = RESP_COLDEFS;
        return false;
    case RESP_COLDEFS:
        if (--s->resp_left == 0)
            s->resp = s->deprecate_eof ? RESP_ROWS : RESP_COLDEFS_EOF;
        return false;
    case RESP_COLDEFS_EOF:
        if (b0 == 0xfe) {
            uint16_t warnings, status;
            if (pkt_parse_eof(p, valid, &warnings, &status) && valid >= 5) {
                update_status(s, status);
                if (status & SERVER_STATUS_CURSOR_EXISTS)
                    return true; /* rows come with COM_STMT_FETCH */
            }
        }
        s->resp = RESP_ROWS;
        return false;
    case RESP_ROWS:
        if (is_eof_packet(s, b0, len)) {
            if (end_of_result(s, p, valid, len))
                return true;
            s->resp = RESP_FIRST;
        }
        return false;
    case RESP_PREPARE_OK: {
        uint32_t stmt_id;
        uint16_t ncols = 0, nparams = 0;
        pkt_cursor_init(&c, p, valid);
        pkt_skip(&c, 1);
        if (!pkt_get_u32(&c, &stmt_id) || !pkt_get_u16(&c, &ncols) || !pkt_get_u16(&c, &nparams))
            return true;
        s->prep_cols = ncols;
        pipeline_prepared(s, stmt_id);
        if (nparams) {
            s->resp_left = nparams;
            s->resp = RESP_PREP_PARAMS;
            return false;
        }
        if (ncols) {
            s->resp_left = ncols;
            s->resp = RESP_PREP_COLS;
            return false;
        }
        return true;
    }
    case RESP_PREP_PARAMS:
        if (--s->resp_left > 0)
            return false;
        if (!s->deprecate_eof) {
            s->resp = RESP_PREP_PARAMS_EOF;
            return false;
        }
        /* fall through */
    case RESP_PREP_PARAMS_EOF:
        if (s->prep_cols) {
            s->resp_left = s->prep_cols;
            s->resp = RESP_PREP_COLS;
            return false;
        }
        return true;
    case RESP_PREP_COLS:
        if (--s->resp_left > 0)
            return false;
        if (!s->deprecate_eof) {
            s->resp = RESP_PREP_COLS_EOF;
            return false;
        }
        return true;
    case RESP_PREP_COLS_EOF:
        return true;
    case RESP_UNTIL_EOF:
        if (is_eof_packet(s, b0, len)) {
            end_of_result(s, p, valid, len);
            return true;
        }
        return false;
    case RESP_SINGLE:
        if (b0 == 0x00 && len >= 7)
            end_of_result(s, p, valid, len);
        return true;
    case RESP_AUTH:
        if (b0 == 0xfe && is_clear_password_switch(p, valid) && !s->client_tls) {
            session_close(s, DGE_CLEARTEXT_NO_TLS,
                          "ddlgate: mysql_clear_password is only relayed over TLS");
            return false;
        }
        if (b0 == 0x00) {
            end_of_result(s, p, valid, len);
            return true;
        }
        return false; /* switch request / more data: the client answers */
    case RESP_NONE:
        return false;
    }
    return false;
}

/* The sequence id of an answer packet toward the client.  The backend's
 * own ids, shifted past what ddlgate inserted, except on a compressed
 * backend leg: there servers number the plain packets inside compressed
 * frames loosely (their readers only check the frame ids), while an
 * uncompressed client checks every id, so ddlgate numbers them itself. */
static uint8_t client_seq(const struct session *s, uint8_t seq)
{
    return s->backend_compress ? s->cseq_next : (uint8_t)(seq + s->resp_seq_fix);
}

/* Packets of ddlgate's own commands around a queued DDL: the SET
 * statements are answered to ddlgate, not to the client; the DDL's answer
 * goes to the client unless it is a lock wait timeout, which is retried.
 * Returns true when the packet was dealt with here. */
static bool internal_packet(struct session *s, struct evbuffer *in, const uint8_t *p,
                            uint32_t valid, uint32_t len, uint8_t seq, uint8_t b0, bool done)
{
    if (s->internal == INT_DDL) {
        bool first = s->int_first;
        s->int_first = false;
        uint16_t code = valid >= 3 ? (uint16_t)(p[1] | (p[2] << 8)) : 0;
        /* 1205: lock wait timeout; 1317: ddlgate interrupted it (KILL QUERY)
         * to pull it back from a metadata lock wait: both go back to the queue */
        if (first && done && b0 == 0xff &&
            (code == 1205 || (code == 1317 && mdlq_abort_requested(s->mdlq_id)))) {
            evbuffer_drain(in, (size_t)len + PKT_HDR_LEN);
            s->ddl_retry = true;
            s->resp = RESP_NONE;
            pipeline_internal_done(s);
            return true;
        }
        sess_relay_packet(s, in, s->cout, len, client_seq(s, seq), true);
        if (done) {
            s->last_ok = (b0 == 0x00 || b0 == 0xfe);
            s->resp = RESP_NONE;
            pipeline_internal_done(s);
        }
        return true;
    }
    /* SET lock_wait_timeout and its restore: answers are small and whole */
    if (b0 == 0xff)
        sess_log(s, LOG_WARN, "internal statement failed: %.*s", (int)(valid > 9 ? valid - 9 : 0),
                 (const char *)p + 9);
    evbuffer_drain(in, (size_t)len + PKT_HDR_LEN);
    if (done) {
        s->resp = RESP_NONE;
        pipeline_internal_done(s);
    }
    return true;
}

static void on_command_packet(struct session *s, uint32_t len, uint8_t seq)
{
    struct evbuffer *in = s->sin;
    /* a prefix copy for packets not inspected whole (rows, and packets too
     * big to pull up): enough for an ERR code or an OK/EOF header */
    uint8_t head[PKT_HDR_LEN + 64];
    const uint8_t *p;
    uint32_t valid;
    uint8_t b0 = 0;
    size_t avail = evbuffer_get_length(in);

    if (len > 0 && avail < PKT_HDR_LEN + 1)
        return;
    ev_ssize_t got = evbuffer_copyout(in, head, avail < sizeof(head) ? avail : sizeof(head));
    if (len > 0)
        b0 = head[PKT_HDR_LEN];
    if (len > 0 && needs_whole(s, b0, len) && len <= SESS_INSPECT_MAX) {
        p = whole_packet(in, len);
        if (!p)
            return; /* wait for the rest */
        valid = len;
    } else {
        p = &head[PKT_HDR_LEN];
        valid = got > PKT_HDR_LEN ? (uint32_t)(got - PKT_HDR_LEN) : 0;
        if (valid > len)
            valid = len;
    }
    bool done = resp_advance(s, p, valid, len);
    if (s->state == SESS_CLOSING)
        return;
    if (s->internal != INT_NONE && internal_packet(s, in, p, valid, len, seq, b0, done))
        return;
    sess_relay_packet(s, in, s->cout, len, client_seq(s, seq), true);
    if (done) {
        s->last_ok = (b0 == 0x00 || b0 == 0xfe);
        s->resp = RESP_NONE;
        client_command_done(s);
    }
}

/* The common case of a response: whole packets, contiguous in the first
 * chain of the input, relayed with their own sequence ids.  They are walked
 * in place and moved to the client's output in one call, so a result set
 * of a hundred rows costs a handful of evbuffer calls instead of several
 * per row.  Whatever else (ddlgate's own commands, renumbered or split
 * packets, a packet across a chain boundary, states beyond a plain result
 * set) is left to on_command_packet().  True when it relayed something. */
static bool relay_batch(struct session *s, struct evbuffer *in)
{
    struct evbuffer_iovec v;

    if (s->state != SESS_COMMAND || s->internal != INT_NONE ||
        evbuffer_peek(in, -1, NULL, &v, 1) < 1)
        return false;
    const uint8_t *base = v.iov_base;
    size_t avail = v.iov_len, off = 0;
    uint8_t seq = 0, b0 = 0;
    bool done = false;

    while (!done && s->state == SESS_COMMAND && avail - off > PKT_HDR_LEN) {
        const uint8_t *h = base + off;
        uint32_t len = (uint32_t)h[0] | ((uint32_t)h[1] << 8) | ((uint32_t)h[2] << 16);
        if (len == 0 || len >= PKT_MAX_PAYLOAD || avail - off - PKT_HDR_LEN < len ||
            client_seq(s, h[3]) != h[3])
            break;
        b0 = h[PKT_HDR_LEN];
        if (s->resp == RESP_ROWS) {
            if (b0 == 0xff || is_eof_packet(s, b0, len))
                done = resp_advance(s, h + PKT_HDR_LEN, len, len);
        } else if (s->resp == RESP_FIRST || s->resp == RESP_COLDEFS ||
                   s->resp == RESP_COLDEFS_EOF) {
            done = resp_advance(s, h + PKT_HDR_LEN, len, len);
        } else {
            break;
        }
        seq = h[3];
        off += (size_t)len + PKT_HDR_LEN;
    }
    if (off == 0)
        return false;
    s->sseq_next = (uint8_t)(seq + 1);
    s->cseq_next = (uint8_t)(seq + 1);
    s->worker->stats.bytes_to_clients += off;
    evbuffer_remove_buffer(in, s->cout, off);
    if (done) {
        s->last_ok = (b0 == 0x00 || b0 == 0xfe);
        s->resp = RESP_NONE;
        client_command_done(s);
    }
    return true;
}

void server_process(struct session *s)
{
    uint32_t len;
    uint8_t seq;

    while (s->sbev && s->state != SESS_CLOSING) {
        struct evbuffer *in = s->sin;
        if (s->backend_compress && !sess_backend_decompress(s)) {
            session_close(s, DGE_BACKEND_GONE,
                          "ddlgate: corrupt compressed packet from the backend");
            return;
        }
        if (s->s2c_left) {
            if (!sess_relay_continue(s, in, s->cout, true))
                break;
            continue;
        }
        if (!pkt_peek_header(in, &len, &seq))
            break;
        s->sseq_next = (uint8_t)(seq + 1);
        if (s->s2c_cont) {
            /* continuation of a packet of 0xffffff bytes: no header byte to read */
            sess_relay_packet(s, in, s->cout, len, client_seq(s, seq), true);
            continue;
        }
        const uint8_t *p;
        switch (s->state) {
        case SESS_WAIT_GREETING:
            if (!(p = whole_packet(in, len)))
                goto out;
            on_greeting(s, p, len);
            break;
        case SESS_AUTH:
            if (!(p = whole_packet(in, len)))
                goto out;
            on_auth_packet(s, p, len, seq);
            break;
        case SESS_COMMAND:
        case SESS_LOCAL_INFILE: {
            if (relay_batch(s, in))
                break;
            size_t before = evbuffer_get_length(in);
            on_command_packet(s, len, seq);
            if (s->state != SESS_CLOSING && s->sbev && evbuffer_get_length(s->sin) == before)
                goto out; /* waiting for more bytes */
            break;
        }
        default:
            /* unsolicited: e.g. the server's goodbye ERR before it closes */
            sess_relay_packet(s, in, s->cout, len, s->cseq_next, true);
            break;
        }
    }
out:
    if (s->state == SESS_CLOSING)
        return;
    sess_flush_client(s);
    sess_push(s);
    sess_backpressure(s);
    sess_backend_kick(s);
}
