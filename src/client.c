/*
 * client.c - the client leg: the client's half of the handshake (SSLRequest,
 * HandshakeResponse), the auth relay toward the backend, and the command
 * phase: each command is dispatched by its first byte, statement texts go
 * through the gate (pipeline.c), everything else is relayed untouched.
 *
 * One command is in flight at a time: while a response is being relayed,
 * further client bytes wait in the input buffer (pipelining clients still
 * work, serialised).
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "gate.h"
#include "handshake.h"
#include "pipeline.h"
#include "pkt.h"
#include "session_int.h"
#include "worker.h"

static void client_read_cb(struct bufferevent *bev, void *arg)
{
    struct session *s = arg;

    (void)bev;
    client_process(s);
}

static void client_write_cb(struct bufferevent *bev, void *arg)
{
    struct session *s = arg;

    sess_write_drained(s, bev, s->client_tls);
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    client_leg_event(arg, what);
}

void client_leg_event(struct session *s, short what)
{
    char tlserr[256];

    if (what & BEV_EVENT_CONNECTED) {
        /* TLS with the client is up: the real HandshakeResponse follows */
        if (s->state == SESS_CLIENT_TLS) {
            session_set_state(s, SESS_WAIT_HELLO);
            client_process(s);
        }
        return;
    }
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING)) {
        /* ddlgate.idle_timeout_s: only a client idle between commands is
         * closed; one waiting for a long statement keeps its connection */
        if (s->state != SESS_IDLE) {
            sess_leg_read(s, s->cbev, true);
            return;
        }
        session_close(s, DGE_IDLE_TIMEOUT,
                      "ddlgate: idle timeout (ddlgate.idle_timeout_s) reached");
        return;
    }
    if (s->state == SESS_CLIENT_TLS) {
        sess_tls_error(s->cbev, tlserr, sizeof(tlserr));
        s->client_eof = true;
        session_close(s, 0, "TLS handshake with the client failed: %s", tlserr);
        return;
    }
    s->client_eof = true;
    session_close(s, 0, "client disconnected%s",
                  s->state == SESS_COMMAND ? " while a statement was running" : "");
}

void sess_client_attach(struct session *s)
{
    bufferevent_setcb(s->cbev, client_read_cb, client_write_cb, client_event_cb, s);
    bufferevent_setwatermark(s->cbev, EV_WRITE, SESS_LOW_WATER, 0);
    if (s->idle_timeout_s > 0) {
        struct timeval tv = {s->idle_timeout_s, 0};
        bufferevent_set_timeouts(s->cbev, &tv, NULL);
    }
    /* plain sockets are written directly by sess_push(); libevent's write
     * event is armed only when the kernel buffer is full */
    if (s->client_tls) {
        bufferevent_enable(s->cbev, EV_READ | EV_WRITE);
    } else {
        /* a new socket bufferevent starts with EV_WRITE enabled: without
         * this, every answer costs two epoll_ctl calls and a wake-up */
        bufferevent_enable(s->cbev, EV_READ);
        bufferevent_disable(s->cbev, EV_WRITE);
    }
    if (!s->client_compress) {
        s->cin = bufferevent_get_input(s->cbev);
        s->cout = bufferevent_get_output(s->cbev);
    }
}

static struct evbuffer *server_out(struct session *s) { return s->sout; }

/* ---- handshake ------------------------------------------------------------------- */

static void on_hello(struct session *s, const uint8_t *p, uint32_t len, uint8_t seq)
{
    struct hs_response r;
    const struct conf *c;

    if (!hs_parse_response(p, len, &r)) {
        s->worker->stats.protocol_errors++;
        session_close(s, DGE_PROTOCOL, "ddlgate: malformed handshake response");
        return;
    }
    if (r.ssl_request) {
        evbuffer_drain(s->cin, (size_t)len + PKT_HDR_LEN);
        if (!s->worker->client_tls_ctx || s->client_tls) {
            session_close(s, DGE_PROTOCOL, "ddlgate: TLS was not offered");
            return;
        }
        session_set_state(s, SESS_CLIENT_TLS);
        if (!sess_client_tls_start(s))
            session_close(s, DGE_PROTOCOL, "ddlgate: cannot start TLS");
        return;
    }
    c = conf_acquire();
    bool need_tls = c->require_client_tls;
    conf_release(c);
    s->cseq_next = (uint8_t)(seq + 1);
    if (need_tls && !s->client_tls) {
        session_close(s, DGE_CLIENT_TLS_REQUIRED,
                      "ddlgate: this proxy requires TLS (client_tls.require); connect with --ssl");
        return;
    }
    s->client_caps &= r.caps;
    s->deprecate_eof = (s->client_caps & CLIENT_DEPRECATE_EOF) != 0;
    s->session_track = (s->client_caps & CLIENT_SESSION_TRACK) != 0;
    s->zstd_level = r.zstd_level;
    snprintf(s->user, sizeof(s->user), "%.*s", (int)r.user_len, (const char *)r.user);
    if (r.db && r.db_len)
        snprintf(s->schema, sizeof(s->schema), "%.*s", (int)r.db_len, (const char *)r.db);
    if (r.plugin && r.plugin_len == 20 && memcmp(r.plugin, "mysql_clear_password", 20) == 0 &&
        !s->client_tls) {
        session_close(s, DGE_CLEARTEXT_NO_TLS,
                      "ddlgate: mysql_clear_password is only relayed over TLS; connect with TLS");
        return;
    }
    /* the response stays in s->cin until the backend leg is ready for it */
    server_start_backend_auth(s);
}

/* ---- command phase ------------------------------------------------------------ */

static void start_command(struct session *s, uint8_t cmd, enum resp_state resp)
{
    s->cmd = cmd;
    s->resp = resp;
    s->stmt_since = time(NULL);
    s->queries++;
    session_set_state(s, resp == RESP_NONE ? SESS_IDLE : SESS_COMMAND);
}

void client_command_done(struct session *s)
{
    if (s->pending_use_schema) {
        if (s->last_ok)
            snprintf(s->schema, sizeof(s->schema), "%s", s->pending_schema);
        s->pending_use_schema = false;
    }
    if ((s->cmd == COM_RESET_CONNECTION || s->cmd == COM_CHANGE_USER) && s->last_ok) {
        s->in_transaction = false;
        s->locked_tables = false;
        s->lwt_s = 0;                /* session variables are reset too */
        pipeline_forget_prepared(s); /* the server dropped them */
    }
    s->stmt[0] = '\0';
    s->resp_seq_fix = 0;
    session_set_state(s, SESS_IDLE);
    pipeline_command_done(s);
    if (s->worker->draining) {
        sess_flush_client(s);
        session_close(s, DGE_SHUTDOWN, "ddlgate: server shutdown in progress");
        return;
    }
    /* a pipelining client may already have sent the next command */
    if (s->state == SESS_IDLE && sess_client_has_input(s))
        client_process(s);
}

/* Total size of the (possibly multi-frame) command at the front of cin, or
 * 0 when not all of it has arrived.  *frames gets the frame count. */
static size_t command_size(struct evbuffer *in, uint32_t first_len, int *frames, size_t max,
                           bool *too_big)
{
    size_t off = 0, avail = evbuffer_get_length(in);
    uint32_t len = first_len;

    *frames = 0;
    *too_big = false;
    for (;;) {
        if (off + len > max) {
            *too_big = true; /* refuse before buffering it all */
            return 0;
        }
        if (avail < off + PKT_HDR_LEN + len)
            return 0;
        off += PKT_HDR_LEN + len;
        (*frames)++;
        if (len < PKT_MAX_PAYLOAD)
            return off;
        uint8_t h[PKT_HDR_LEN];
        struct evbuffer_ptr pos;
        if (evbuffer_ptr_set(in, &pos, off, EVBUFFER_PTR_SET) != 0 ||
            evbuffer_copyout_from(in, &pos, h, PKT_HDR_LEN) != PKT_HDR_LEN)
            return 0;
        len = (uint32_t)h[0] | ((uint32_t)h[1] << 8) | ((uint32_t)h[2] << 16);
    }
}

/* Make the statement text of the command at the front of cin contiguous.
 * One frame: pulled up in place.  Several: joined into s->cmdbuf. */
static const char *command_text(struct session *s, uint32_t first_len, int frames, size_t *tlen)
{
    if (frames == 1) {
        const uint8_t *p = evbuffer_pullup(s->cin, (ev_ssize_t)first_len + PKT_HDR_LEN);
        *tlen = first_len - 1;
        return (const char *)p + PKT_HDR_LEN + 1;
    }
    size_t total = 0, off = 0;
    free(s->cmdbuf);
    s->cmdbuf = malloc((size_t)frames * PKT_MAX_PAYLOAD);
    if (!s->cmdbuf)
        return NULL;
    for (int i = 0; i < frames; i++) {
        uint8_t h[PKT_HDR_LEN];
        struct evbuffer_ptr pos;
        evbuffer_ptr_set(s->cin, &pos, off, EVBUFFER_PTR_SET);
        evbuffer_copyout_from(s->cin, &pos, h, PKT_HDR_LEN);
        uint32_t len = (uint32_t)h[0] | ((uint32_t)h[1] << 8) | ((uint32_t)h[2] << 16);
        evbuffer_ptr_set(s->cin, &pos, off + PKT_HDR_LEN, EVBUFFER_PTR_SET);
        evbuffer_copyout_from(s->cin, &pos, s->cmdbuf + total, len);
        total += len;
        off += PKT_HDR_LEN + len;
    }
    *tlen = total - 1;
    return (const char *)s->cmdbuf + 1;
}

/* Forward a new statement text (a rewrite) as a command with seq 0.. and
 * map the backend's answer back onto the client's sequence. */
void client_send_command(struct session *s, uint8_t cmd, const char *text, size_t len,
                         uint8_t last_client_seq)
{
    struct pkt_writer w;

    pkt_w_init(&w, 0);
    pkt_w_begin(&w);
    pkt_w_u8(&w, cmd);
    pkt_w_bytes(&w, text, len);
    pkt_w_end(&w);
    uint8_t last_server_seq = (uint8_t)(w.seq - 1);
    s->sseq_next = w.seq;
    if (!pkt_w_flush(&w, server_out(s))) {
        pkt_w_free(&w);
        session_close(s, DGE_PROTOCOL, "ddlgate: out of memory");
        return;
    }
    pkt_w_free(&w);
    s->resp_seq_fix = (uint8_t)(last_client_seq - last_server_seq);
}

/* COM_QUERY / COM_STMT_PREPARE: the statement goes through the gate.
 * Returns false when the whole command has not arrived yet. */
static bool on_statement(struct session *s, uint8_t cmd, uint32_t len, uint8_t seq)
{
    int frames;
    bool too_big;
    size_t total = command_size(s->cin, len, &frames, s->max_packet, &too_big);
    size_t tlen;
    struct gate_verdict v;

    if (too_big) {
        s->worker->stats.protocol_errors++;
        session_close(s, DGE_PACKET_TOO_LARGE,
                      "ddlgate: statement larger than ddlgate.max_packet_size (%zu bytes)",
                      s->max_packet);
        return true;
    }
    if (total == 0)
        return false;
    const char *text = command_text(s, len, frames, &tlen);
    if (!text) {
        session_close(s, DGE_PROTOCOL, "ddlgate: out of memory");
        return true;
    }
    uint8_t last_seq = (uint8_t)(seq + frames - 1);
    s->cseq_next = (uint8_t)(last_seq + 1);
    if (cmd == COM_QUERY)
        s->worker->stats.queries++;
    else
        s->worker->stats.prepares++;
    /* the statement in flight, for SHOW SESSIONS (per statement: no printf) */
    size_t shown = tlen < sizeof(s->stmt) - 1 ? tlen : sizeof(s->stmt) - 1;
    memcpy(s->stmt, text, shown);
    s->stmt[shown] = '\0';
    gate_verdict_init(&v);
    enum pipeline_decision d = pipeline_check(s, cmd, text, tlen, &v);
    switch (d) {
    case PIPELINE_FORWARD:
        if (frames == 1) {
            sess_relay_packet(s, s->cin, server_out(s), len, 0, false);
        } else {
            for (int i = 0; i < frames; i++) {
                uint32_t flen;
                uint8_t fseq;
                pkt_peek_header(s->cin, &flen, &fseq);
                sess_relay_packet(s, s->cin, server_out(s), flen, 0, false);
            }
        }
        break;
    case PIPELINE_REWRITE:
        evbuffer_drain(s->cin, total);
        client_send_command(s, cmd, v.rewritten, v.rewritten_len, last_seq);
        break;
    case PIPELINE_REFUSE:
        evbuffer_drain(s->cin, total);
        sess_send_err(s, (uint8_t)(last_seq + 1), v.err_code, v.message);
        s->stmt[0] = '\0';
        s->pending_use_schema = false;
        gate_verdict_clear(&v);
        return true;
    case PIPELINE_WAIT:
        /* the command stays in cin; the pipeline wakes the session */
        gate_verdict_clear(&v);
        free(s->cmdbuf);
        s->cmdbuf = NULL;
        s->stmt[0] = '\0';
        if (cmd == COM_QUERY)
            s->worker->stats.queries--;
        else
            s->worker->stats.prepares--;
        session_set_state(s, SESS_HELD);
        return true;
    case PIPELINE_HOLD:
        /* the pipeline copied the text to send into s->held_text */
        evbuffer_drain(s->cin, total);
        s->held_cmd = cmd;
        s->held_last_seq = last_seq;
        gate_verdict_clear(&v);
        free(s->cmdbuf);
        s->cmdbuf = NULL;
        session_set_state(s, SESS_HELD);
        return true;
    }
    gate_verdict_clear(&v);
    free(s->cmdbuf);
    s->cmdbuf = NULL;
    if (s->state == SESS_CLOSING)
        return true;
    start_command(s, cmd, cmd == COM_QUERY ? RESP_FIRST : RESP_PREPARE_OK);
    return true;
}

/* Send the command the pipeline held (DDL released by the queue, or a
 * statement whose fence dropped) and track its answer. */
void client_send_held(struct session *s)
{
    uint8_t cmd = s->held_cmd;

    sess_server_command_start(s);
    client_send_command(s, cmd, s->held_text, s->held_len, s->held_last_seq);
    free(s->held_text);
    s->held_text = NULL;
    s->held_len = 0;
    s->hold = HOLD_NONE;
    if (s->state == SESS_CLOSING)
        return;
    enum resp_state resp = cmd == COM_STMT_PREPARE ? RESP_PREPARE_OK : RESP_FIRST;
    s->cmd = cmd;
    s->resp = resp;
    session_set_state(s, SESS_COMMAND);
    sess_push(s);
}

/* An execute refused for want of an approval: answered, nothing sent. */
static void refuse_execute(struct session *s, uint32_t len, uint8_t seq,
                           const struct gate_verdict *v)
{
    if (len >= PKT_MAX_PAYLOAD) {
        /* its continuation frames would be read as commands */
        session_close(s, v->err_code, "%s", v->message);
        return;
    }
    evbuffer_drain(s->cin, (size_t)len + PKT_HDR_LEN);
    sess_send_err(s, (uint8_t)(seq + 1), v->err_code, v->message);
    s->stmt[0] = '\0';
    s->ncur_keys = 0;
    s->ddl_in_flight = false;
}

/* COM_STMT_EXECUTE of a prepared DDL waits in the DDL queue like a
 * COM_QUERY DDL; one on a table behind a DDL's fence waits for the fence.
 * An execute of a statement prepared under an approval uses one (or is
 * refused here): checked for COM_STMT_BULK_EXECUTE too, which is never
 * held. */
static bool hold_execute(struct session *s, uint8_t cmd, uint32_t len, uint8_t seq, bool *wait_more)
{
    uint8_t head[PKT_HDR_LEN + 5];

    *wait_more = false;
    if (len < 5)
        return false;
    if (evbuffer_copyout(s->cin, head, sizeof(head)) < (ev_ssize_t)sizeof(head)) {
        *wait_more = true;
        return false;
    }
    uint32_t stmt_id = (uint32_t)head[5] | ((uint32_t)head[6] << 8) | ((uint32_t)head[7] << 16) |
                       ((uint32_t)head[8] << 24);
    bool gated = pipeline_execute_gated(s, stmt_id);
    /* the approval is used once per execute: only with the whole packet
     * here, so that asking again for more bytes cannot use a second one */
    if (gated && evbuffer_get_length(s->cin) <
                     (size_t)(len < PKT_MAX_PAYLOAD ? len : PKT_MAX_PAYLOAD) + PKT_HDR_LEN) {
        *wait_more = true;
        return false;
    }
    if (!gated && (len > 1024 * 1024 || cmd != COM_STMT_EXECUTE))
        return false; /* huge executes are not held */
    struct gate_verdict v;
    gate_verdict_init(&v);
    enum pipeline_exec e = pipeline_execute(s, stmt_id, &v);
    if (e == PIPELINE_EXEC_REFUSE) {
        s->worker->stats.executes++;
        refuse_execute(s, len, seq, &v);
        gate_verdict_clear(&v);
        return true;
    }
    gate_verdict_clear(&v);
    if (e == PIPELINE_EXEC_FORWARD || len > 1024 * 1024 || cmd != COM_STMT_EXECUTE)
        return false;
    if (evbuffer_get_length(s->cin) < (size_t)len + PKT_HDR_LEN) {
        *wait_more = true;
        return false;
    }
    s->held_text = malloc(len - 1);
    if (!s->held_text)
        return false;
    evbuffer_drain(s->cin, PKT_HDR_LEN + 1);
    evbuffer_remove(s->cin, s->held_text, len - 1);
    s->held_len = len - 1;
    s->held_cmd = COM_STMT_EXECUTE;
    s->held_last_seq = seq;
    s->cseq_next = (uint8_t)(seq + 1);
    s->worker->stats.executes++;
    s->stmt_since = time(NULL);
    s->queries++;
    if (e == PIPELINE_EXEC_QUEUE) {
        if (!pipeline_queue_execute(s, stmt_id)) {
            client_send_held(s); /* not queued: sent as it is */
            return true;
        }
        session_set_state(s, SESS_HELD);
        return true;
    }
    pipeline_hold_fence(s);
    session_set_state(s, SESS_HELD);
    return true;
}

static void refuse_command(struct session *s, uint32_t len, uint8_t seq, const char *what)
{
    char msg[160];

    evbuffer_drain(s->cin, (size_t)len + PKT_HDR_LEN);
    snprintf(msg, sizeof(msg),
             "ddlgate: %s is not supported through ddlgate; connect to the server directly", what);
    sess_send_err(s, (uint8_t)(seq + 1), DGE_UNSUPPORTED_COMMAND, msg);
}

/* Forward a command whose response is tracked with `resp` (RESP_NONE: the
 * server sends nothing back). */
static void forward_command(struct session *s, uint8_t cmd, uint32_t len, enum resp_state resp)
{
    sess_relay_packet(s, s->cin, server_out(s), len, 0, false);
    start_command(s, cmd, resp);
}

/* Returns false when more bytes are needed. */
static bool on_command(struct session *s, uint32_t len, uint8_t seq)
{
    uint8_t head[PKT_HDR_LEN + 1];
    const uint8_t *p;

    if (len == 0) {
        s->worker->stats.protocol_errors++;
        session_close(s, DGE_PROTOCOL, "ddlgate: empty command packet");
        return true;
    }
    if (evbuffer_copyout(s->cin, head, sizeof(head)) < (ev_ssize_t)sizeof(head))
        return false;
    uint8_t cmd = head[PKT_HDR_LEN];
    s->cseq_next = (uint8_t)(seq + 1); /* where an answer (or our ERR) starts */
    s->resp_seq_fix = 0;
    sess_server_command_start(s); /* every command starts a new sequence */
    s->last_ok = false;
    switch (cmd) {
    case COM_QUERY:
    case COM_STMT_PREPARE:
        return on_statement(s, cmd, len, seq);
    case COM_QUIT:
        evbuffer_drain(s->cin, (size_t)len + PKT_HDR_LEN);
        s->client_eof = true;
        session_close(s, 0, "client quit");
        return true;
    case COM_INIT_DB:
        if (evbuffer_get_length(s->cin) < (size_t)len + PKT_HDR_LEN)
            return false;
        p = evbuffer_pullup(s->cin, (ev_ssize_t)len + PKT_HDR_LEN) + PKT_HDR_LEN;
        snprintf(s->pending_schema, sizeof(s->pending_schema), "%.*s", (int)(len - 1),
                 (const char *)p + 1);
        s->pending_use_schema = true;
        forward_command(s, cmd, len, RESP_SINGLE);
        break;
    case COM_CHANGE_USER: {
        struct hs_change_user cu;
        if (evbuffer_get_length(s->cin) < (size_t)len + PKT_HDR_LEN)
            return false;
        p = evbuffer_pullup(s->cin, (ev_ssize_t)len + PKT_HDR_LEN) + PKT_HDR_LEN;
        if (hs_parse_change_user(p + 1, len - 1, s->client_caps, &cu)) {
            snprintf(s->user, sizeof(s->user), "%.*s", (int)cu.user_len, (const char *)cu.user);
            snprintf(s->pending_schema, sizeof(s->pending_schema), "%.*s", (int)cu.db_len,
                     cu.db ? (const char *)cu.db : "");
            s->pending_use_schema = true;
        }
        s->in_transaction = false;
        forward_command(s, cmd, len, RESP_AUTH);
        break;
    }
    case COM_STMT_EXECUTE:
    case COM_STMT_BULK_EXECUTE: {
        bool wait_more;
        if (hold_execute(s, cmd, len, seq, &wait_more))
            return true;
        if (wait_more)
            return false;
        s->worker->stats.executes++;
        forward_command(s, cmd, len, RESP_FIRST);
        break;
    }
    case COM_STMT_FETCH:
        forward_command(s, cmd, len, RESP_UNTIL_EOF);
        break;
    case COM_STMT_CLOSE:
        if (len >= 5) {
            uint8_t h[PKT_HDR_LEN + 5];
            if (evbuffer_copyout(s->cin, h, sizeof(h)) == (ev_ssize_t)sizeof(h))
                pipeline_stmt_close(s, (uint32_t)h[5] | ((uint32_t)h[6] << 8) |
                                           ((uint32_t)h[7] << 16) | ((uint32_t)h[8] << 24));
        }
        /* fall through */
    case COM_STMT_SEND_LONG_DATA:
        forward_command(s, cmd, len, RESP_NONE);
        break;
    case COM_FIELD_LIST:
        forward_command(s, cmd, len, RESP_UNTIL_EOF);
        break;
    case COM_PROCESS_INFO:
        forward_command(s, cmd, len, RESP_FIRST);
        break;
    case COM_BINLOG_DUMP:
    case COM_BINLOG_DUMP_GTID:
    case COM_REGISTER_SLAVE:
    case COM_TABLE_DUMP:
    case COM_CONNECT_OUT:
    case COM_DAEMON:
    case COM_SLEEP:
    case COM_CONNECT:
    case COM_TIME:
    case COM_DELAYED_INSERT:
        if (evbuffer_get_length(s->cin) < (size_t)len + PKT_HDR_LEN)
            return false;
        refuse_command(s, len, seq,
                       cmd == COM_BINLOG_DUMP || cmd == COM_BINLOG_DUMP_GTID
                           ? "COM_BINLOG_DUMP (replication)"
                       : cmd == COM_REGISTER_SLAVE ? "COM_REGISTER_SLAVE (replication)"
                                                   : "this command");
        break;
    default:
        /* PING, STATISTICS, RESET_CONNECTION, SET_OPTION, PROCESS_KILL,
         * STMT_RESET, REFRESH, ... and unknown bytes: one packet back */
        s->worker->stats.other_commands++;
        forward_command(s, cmd, len, RESP_SINGLE);
        break;
    }
    return true;
}

/* ---- driving ---------------------------------------------------------------------- */

/* Consume the plain packets in s->cin as far as the session's state lets. */
static void client_consume(struct session *s)
{
    uint32_t len;
    uint8_t seq;
    const uint8_t *p;

    while (s->state != SESS_CLOSING) {
        struct evbuffer *in = s->cin;
        if (s->c2s_left) {
            if (!s->sbev || !sess_relay_continue(s, in, server_out(s), false))
                break;
            continue;
        }
        if (!pkt_peek_header(in, &len, &seq))
            break;
        if (s->c2s_cont && s->sbev) {
            sess_relay_packet(s, in, server_out(s), len, 0, false);
            continue;
        }
        switch (s->state) {
        case SESS_WAIT_HELLO:
            if (evbuffer_get_length(in) < (size_t)len + PKT_HDR_LEN)
                return;
            if (len > 4096) {
                session_close(s, DGE_PROTOCOL, "ddlgate: handshake response too large");
                return;
            }
            p = evbuffer_pullup(in, (ev_ssize_t)len + PKT_HDR_LEN) + PKT_HDR_LEN;
            on_hello(s, p, len, seq);
            return; /* the response waits for the backend leg */
        case SESS_AUTH:
            if (evbuffer_get_length(in) < (size_t)len + PKT_HDR_LEN)
                return;
            sess_relay_packet(s, in, server_out(s), len, 0, false);
            break;
        case SESS_IDLE:
            if (!on_command(s, len, seq))
                return;
            break;
        case SESS_COMMAND:
            if (s->resp != RESP_AUTH)
                return; /* pipelined: waits for the current response */
            /* COM_CHANGE_USER: the client's auth answers go to the server */
            if (evbuffer_get_length(in) < (size_t)len + PKT_HDR_LEN)
                return;
            sess_relay_packet(s, in, server_out(s), len, 0, false);
            s->cseq_next = (uint8_t)(seq + 1); /* the server answers after it */
            break;
        case SESS_LOCAL_INFILE:
            /* the file arrives in packets; an empty one ends it */
            sess_relay_packet(s, in, server_out(s), len, 0, false);
            s->cseq_next = (uint8_t)(seq + 1);
            if (len == 0)
                session_set_state(s, SESS_COMMAND);
            break;
        default:
            return; /* handshake in progress or statement held */
        }
    }
}

void client_process(struct session *s)
{
    if (s->state == SESS_CLOSING || !s->cbev)
        return;
    /* a compressed leg is decoded a packet at a time, between consumptions,
     * so that what waits decoded stays bounded (sess_client_decode) */
    for (;;) {
        client_consume(s);
        if (s->state == SESS_CLOSING)
            return;
        int r = sess_client_decode(s);
        if (r < 0) {
            s->worker->stats.protocol_errors++;
            session_close(s, DGE_PROTOCOL, "ddlgate: malformed compressed packet");
            return;
        }
        if (r == 0)
            break;
    }
    sess_flush_client(s);
    sess_push(s);
    sess_backpressure(s);
}

void sess_on_close(struct session *s)
{
    /* held statements leave the queue, held table locks are released */
    pipeline_abandon(s);
}
