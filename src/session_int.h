/*
 * session_int.h - what session.c, client.c and server.c share inside the
 * session module.  Not a public header: nothing outside these three files
 * includes it.
 */
#ifndef DDLGATE_SESSION_INT_H
#define DDLGATE_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compress.h"
#include "conf.h"
#include "log.h"
#include "session.h"

struct bufferevent;
struct evbuffer;
struct sockaddr;

/* Output queued to a peer above this stops reading from the other leg;
 * the write callback resumes it below SESS_LOW_WATER.  With both legs
 * bounded, a 1 GiB result set costs ddlgate a few hundred KiB. */
#define SESS_HIGH_WATER (256 * 1024)
#define SESS_LOW_WATER (64 * 1024)
/* Server packets up to this size are inspected whole; longer ones are
 * classified from their first byte and streamed. */
#define SESS_INSPECT_MAX (64 * 1024)

void sess_log(struct session *s, enum log_level l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* set callbacks on s->cbev / s->sbev (after creation or a TLS upgrade) */
void sess_client_attach(struct session *s);
void sess_server_attach(struct session *s);

void sess_flush_client(struct session *s);
void sess_send_err(struct session *s, uint8_t seq, int code, const char *msg);
/* cleanup hook called once when the session starts closing */
void sess_on_close(struct session *s);

bool sess_client_tls_start(struct session *s);
bool sess_backend_tls_start(struct session *s, enum tls_mode mode, const char *host);
void sess_tls_error(struct bufferevent *bev, char *buf, size_t len);

bool sess_client_compress_start(struct session *s, enum cmp_algo algo, int level);
/* Decode one more compressed packet of the client's into s->cin when the
 * input cap and the backend's backlog allow: 1 decoded, 0 not now, -1 corrupt. */
int sess_client_decode(struct session *s);
/* Is client input waiting (plain, or compressed not yet decoded)? */
bool sess_client_has_input(const struct session *s);
/* Backend leg compression (backend.compression), after the auth OK: from
 * then on s->sin / s->sout are plain staging buffers around the codec. */
bool sess_backend_compress_start(struct session *s);
/* Decompress what the backend sent into s->sin, a little at a time (see
 * session.c).  False on corrupt input. */
bool sess_backend_decompress(struct session *s);
/* Compressed backend input left undecoded and the leg not paused: process
 * it again from the event loop. */
void sess_backend_kick(struct session *s);
/* ddlgate is about to send a new command to the backend: plain and
 * compressed sequence ids restart at 0. */
void sess_server_command_start(struct session *s);
void sess_backpressure(struct session *s);
/* From the command phase on, read plain legs directly (see session.c). */
void sess_direct_read_start(struct session *s);
/* Start / stop reading a leg, whichever way it is read. */
void sess_leg_read(struct session *s, struct bufferevent *bev, bool on);
/* A leg's write callback: libevent wrote (part of) what a direct write
 * left; back to direct writes when empty, resume the other leg below the
 * low watermark.  keep_write: the leg needs libevent's write event (TLS,
 * connecting). */
void sess_write_drained(struct session *s, struct bufferevent *bev, bool keep_write);
/* Write pending output of plain-socket legs now (see session.c). */
void sess_push(struct session *s);

/* Move the packet at the front of `in` (header len/seq already peeked) to
 * `out` with sequence id out_seq (toward the client) or s->sseq_next
 * (toward the backend).  The body moves chain by chain; when only
 * part of it has arrived, the rest is left in s2c_left / c2s_left. */
void sess_relay_packet(struct session *s, struct evbuffer *in, struct evbuffer *out, uint32_t len,
                       uint8_t out_seq, bool to_client);
/* Continue a partially moved packet; true when it is complete. */
bool sess_relay_continue(struct session *s, struct evbuffer *in, struct evbuffer *out,
                         bool to_client);

/* A leg's bufferevent event (EOF, error, timeout, connected), also raised
 * by the direct read path. */
void client_leg_event(struct session *s, short what);
void server_leg_event(struct session *s, short what);
/* client.c: process whatever complete client input is buffered */
void client_process(struct session *s);
/* server.c: process whatever backend input is buffered */
void server_process(struct session *s);
/* server.c: the backend greeting arrived and the client answered: finish
 * the backend side of the handshake with the client's response */
void server_send_handshake_response(struct session *s);
/* server.c: the client's HandshakeResponse is at the front of s->cin:
 * start TLS with the backend if wanted, then send the response */
void server_start_backend_auth(struct session *s);
/* client.c: send cmd+text to the backend as a new command (seq 0..) and map
 * its answer onto the client's sequence after last_client_seq */
void client_send_command(struct session *s, uint8_t cmd, const char *text, size_t len,
                         uint8_t last_client_seq);
/* client.c: send the command held in s->held_text */
void client_send_held(struct session *s);
/* pipeline.c: an internal command (lock_wait_timeout dance) finished */
void pipeline_internal_done(struct session *s);
/* client.c: a command's response finished; the session is IDLE again */
void client_command_done(struct session *s);

#endif
