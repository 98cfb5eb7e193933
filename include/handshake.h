/*
 * handshake.h - codecs for the connection phase: the server greeting
 * (HandshakeV10), the client's SSLRequest and HandshakeResponse41, and
 * COM_CHANGE_USER.  Parsed views point into the caller's payload; the
 * builders write whole packets with a pkt_writer.
 */
#ifndef DDLGATE_HANDSHAKE_H
#define DDLGATE_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

struct hs_greeting {
    uint8_t protocol;    /* 10 */
    const char *version; /* points into payload, NUL-terminated there */
    size_t version_len;
    uint32_t conn_id;
    uint8_t scramble[21]; /* part 1 (8) + part 2 (12) + NUL */
    size_t scramble_len;  /* 20 normally */
    uint64_t caps;        /* lower 32 bits + MariaDB extended caps << 32 */
    uint8_t charset;
    uint16_t status;
    const char *plugin; /* auth plugin name, may be "" */
    size_t plugin_len;
};

bool hs_parse_greeting(const uint8_t *payload, size_t len, struct hs_greeting *g);
/* Write a greeting packet (seq taken from w). */
void hs_write_greeting(struct pkt_writer *w, const struct hs_greeting *g);

struct hs_response {
    uint64_t caps; /* incl. MariaDB extended caps << 32 */
    uint32_t max_packet;
    uint8_t charset;
    bool ssl_request; /* only the 32-byte SSLRequest prefix */
    const uint8_t *user;
    size_t user_len;
    const uint8_t *auth;
    size_t auth_len;
    const uint8_t *db; /* NULL if not given */
    size_t db_len;
    const uint8_t *plugin; /* NULL if not given */
    size_t plugin_len;
    const uint8_t *attrs; /* raw lenenc-prefixed block incl. its length, NULL if none */
    size_t attrs_len;
    int zstd_level; /* -1 if not given */
};

/* Parse an SSLRequest (ssl_request set) or a HandshakeResponse41. */
bool hs_parse_response(const uint8_t *payload, size_t len, struct hs_response *r);
/* Write a HandshakeResponse41 (or only the SSLRequest prefix when
 * ssl_only) with the given capabilities. */
void hs_write_response(struct pkt_writer *w, const struct hs_response *r, uint64_t caps,
                       bool ssl_only);

/* COM_CHANGE_USER payload (after the command byte) */
/* COM_CHANGE_USER's payload (after the command byte); pointers into it.
 * plugin is NULL when the client sent none (it then speaks
 * mysql_native_password).  False when the user or the token is cut. */
struct hs_change_user {
    const uint8_t *user;
    size_t user_len;
    const uint8_t *auth; /* made with the connection's nonce */
    size_t auth_len;
    const uint8_t *db;
    size_t db_len;
    const uint8_t *plugin;
    size_t plugin_len;
};
bool hs_parse_change_user(const uint8_t *payload, size_t len, uint64_t caps,
                          struct hs_change_user *cu);

/* "5.5.5-10.11.19-MariaDB" -> the part a client should see, unchanged */
#endif
