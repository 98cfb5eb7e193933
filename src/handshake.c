/*
 * handshake.c - connection-phase codecs (see handshake.h).  Layouts follow
 * the MySQL client/server protocol documentation (HandshakeV10,
 * HandshakeResponse41) and MariaDB's extended capabilities, which travel in
 * the last 4 filler bytes when the CLIENT_MYSQL bit (bit 0) is clear.
 */
#include "handshake.h"

#include <string.h>

bool hs_parse_greeting(const uint8_t *payload, size_t len, struct hs_greeting *g)
{
    struct pkt_cursor c;
    const uint8_t *s;
    size_t slen;
    uint16_t cap_lo, cap_hi;
    uint8_t auth_len = 0;

    memset(g, 0, sizeof(*g));
    pkt_cursor_init(&c, payload, len);
    if (!pkt_get_u8(&c, &g->protocol) || g->protocol != 10)
        return false;
    if (!memchr(c.p, 0, pkt_cursor_left(&c)))
        return false;
    pkt_get_nulstr(&c, &s, &slen);
    g->version = (const char *)s;
    g->version_len = slen;
    if (!pkt_get_u32(&c, &g->conn_id) || !pkt_get_bytes(&c, 8, &s))
        return false;
    memcpy(g->scramble, s, 8);
    g->scramble_len = 8;
    if (!pkt_skip(&c, 1) || !pkt_get_u16(&c, &cap_lo))
        return false;
    g->caps = cap_lo;
    if (pkt_cursor_left(&c) == 0)
        return true; /* pre-4.1 style: no more fields */
    if (!pkt_get_u8(&c, &g->charset) || !pkt_get_u16(&c, &g->status) || !pkt_get_u16(&c, &cap_hi))
        return false;
    g->caps |= (uint64_t)cap_hi << 16;
    if (!pkt_get_u8(&c, &auth_len) || !pkt_skip(&c, 6))
        return false;
    if (!pkt_get_bytes(&c, 4, &s))
        return false;
    if (!(g->caps & CLIENT_LONG_PASSWORD)) { /* MariaDB: extended capabilities */
        uint64_t ext = (uint64_t)s[0] | ((uint64_t)s[1] << 8) | ((uint64_t)s[2] << 16) |
                       ((uint64_t)s[3] << 24);
        g->caps |= ext << 32;
    }
    if (g->caps & CLIENT_SECURE_CONNECTION) {
        size_t n2 = auth_len > 8 ? (size_t)auth_len - 8 : 13;
        if (n2 < 13)
            n2 = 13;
        if (!pkt_get_bytes(&c, n2, &s))
            return false;
        size_t copy = n2 > 12 ? 12 : n2; /* the 13th byte is a NUL */
        memcpy(g->scramble + 8, s, copy);
        g->scramble_len = 8 + copy;
    }
    if (g->caps & CLIENT_PLUGIN_AUTH) {
        pkt_get_nulstr(&c, &s, &slen);
        g->plugin = (const char *)s;
        g->plugin_len = slen;
    } else {
        g->plugin = "";
    }
    return true;
}

void hs_write_greeting(struct pkt_writer *w, const struct hs_greeting *g)
{
    pkt_w_begin(w);
    pkt_w_u8(w, 10);
    pkt_w_bytes(w, g->version, g->version_len);
    pkt_w_u8(w, 0);
    pkt_w_u32(w, g->conn_id);
    pkt_w_bytes(w, g->scramble, 8);
    pkt_w_u8(w, 0);
    pkt_w_u16(w, (uint16_t)(g->caps & 0xffff));
    pkt_w_u8(w, g->charset);
    pkt_w_u16(w, g->status);
    pkt_w_u16(w, (uint16_t)((g->caps >> 16) & 0xffff));
    pkt_w_u8(w, (uint8_t)(g->scramble_len + 1));
    pkt_w_zero(w, 6);
    if (!(g->caps & CLIENT_LONG_PASSWORD))
        pkt_w_u32(w, (uint32_t)(g->caps >> 32));
    else
        pkt_w_zero(w, 4);
    size_t n2 = g->scramble_len > 8 ? g->scramble_len - 8 : 0;
    pkt_w_bytes(w, g->scramble + 8, n2);
    pkt_w_zero(w, n2 < 13 ? 13 - n2 : 1); /* part 2 is at least 13 bytes, NUL-ended */
    if (g->caps & CLIENT_PLUGIN_AUTH) {
        pkt_w_bytes(w, g->plugin, g->plugin_len);
        pkt_w_u8(w, 0);
    }
    pkt_w_end(w);
}

bool hs_parse_response(const uint8_t *payload, size_t len, struct hs_response *r)
{
    struct pkt_cursor c;
    uint32_t caps;
    const uint8_t *filler;

    memset(r, 0, sizeof(*r));
    r->zstd_level = -1;
    pkt_cursor_init(&c, payload, len);
    if (!pkt_get_u32(&c, &caps) || !pkt_get_u32(&c, &r->max_packet) ||
        !pkt_get_u8(&c, &r->charset) || !pkt_get_bytes(&c, 23, &filler))
        return false;
    if (!(caps & CLIENT_PROTOCOL_41))
        return false; /* pre-4.1 clients are not supported */
    r->caps = caps;
    if (!(caps & CLIENT_LONG_PASSWORD)) {
        const uint8_t *s = filler + 19;
        uint64_t ext = (uint64_t)s[0] | ((uint64_t)s[1] << 8) | ((uint64_t)s[2] << 16) |
                       ((uint64_t)s[3] << 24);
        r->caps |= ext << 32;
    }
    if (pkt_cursor_left(&c) == 0) {
        r->ssl_request = (caps & CLIENT_SSL) != 0;
        return r->ssl_request;
    }
    if (!memchr(c.p, 0, pkt_cursor_left(&c)))
        return false;
    pkt_get_nulstr(&c, &r->user, &r->user_len);
    if (caps & CLIENT_PLUGIN_AUTH_LENENC_DATA) {
        if (!pkt_get_lenenc_str(&c, &r->auth, &r->auth_len))
            return false;
    } else if (caps & CLIENT_SECURE_CONNECTION) {
        uint8_t n;
        if (!pkt_get_u8(&c, &n) || !pkt_get_bytes(&c, n, &r->auth))
            return false;
        r->auth_len = n;
    } else {
        pkt_get_nulstr(&c, &r->auth, &r->auth_len);
    }
    if ((caps & CLIENT_CONNECT_WITH_DB) && pkt_cursor_left(&c) > 0)
        pkt_get_nulstr(&c, &r->db, &r->db_len);
    if ((caps & CLIENT_PLUGIN_AUTH) && pkt_cursor_left(&c) > 0)
        pkt_get_nulstr(&c, &r->plugin, &r->plugin_len);
    if ((caps & CLIENT_CONNECT_ATTRS) && pkt_cursor_left(&c) > 0) {
        const uint8_t *start = c.p;
        uint64_t n;
        if (!pkt_get_lenenc(&c, &n, NULL) || n > pkt_cursor_left(&c))
            return false;
        c.p += n;
        r->attrs = start;
        r->attrs_len = (size_t)(c.p - start);
    }
    if ((caps & CLIENT_ZSTD_COMPRESSION_ALGORITHM) && pkt_cursor_left(&c) > 0) {
        uint8_t lvl;
        pkt_get_u8(&c, &lvl);
        r->zstd_level = lvl;
    }
    return true;
}

void hs_write_response(struct pkt_writer *w, const struct hs_response *r, uint64_t caps,
                       bool ssl_only)
{
    pkt_w_begin(w);
    pkt_w_u32(w, (uint32_t)caps);
    pkt_w_u32(w, r->max_packet);
    pkt_w_u8(w, r->charset);
    pkt_w_zero(w, 19);
    if (!(caps & CLIENT_LONG_PASSWORD))
        pkt_w_u32(w, (uint32_t)(caps >> 32));
    else
        pkt_w_zero(w, 4);
    if (ssl_only) {
        pkt_w_end(w);
        return;
    }
    pkt_w_bytes(w, r->user, r->user_len);
    pkt_w_u8(w, 0);
    if (caps & CLIENT_PLUGIN_AUTH_LENENC_DATA) {
        pkt_w_lenenc_str(w, r->auth, r->auth_len);
    } else if (caps & CLIENT_SECURE_CONNECTION) {
        pkt_w_u8(w, (uint8_t)(r->auth_len > 255 ? 255 : r->auth_len));
        pkt_w_bytes(w, r->auth, r->auth_len > 255 ? 255 : r->auth_len);
    } else {
        pkt_w_bytes(w, r->auth, r->auth_len);
        pkt_w_u8(w, 0);
    }
    if (caps & CLIENT_CONNECT_WITH_DB) {
        pkt_w_bytes(w, r->db, r->db ? r->db_len : 0);
        pkt_w_u8(w, 0);
    }
    if (caps & CLIENT_PLUGIN_AUTH) {
        pkt_w_bytes(w, r->plugin, r->plugin ? r->plugin_len : 0);
        pkt_w_u8(w, 0);
    }
    if (caps & CLIENT_CONNECT_ATTRS) {
        if (r->attrs)
            pkt_w_bytes(w, r->attrs, r->attrs_len);
        else
            pkt_w_u8(w, 0);
    }
    if ((caps & CLIENT_ZSTD_COMPRESSION_ALGORITHM) && r->zstd_level >= 0)
        pkt_w_u8(w, (uint8_t)r->zstd_level);
    pkt_w_end(w);
}

bool hs_parse_change_user(const uint8_t *payload, size_t len, uint64_t caps,
                          struct hs_change_user *cu)
{
    struct pkt_cursor c;
    uint16_t charset;

    memset(cu, 0, sizeof(*cu));
    pkt_cursor_init(&c, payload, len);
    if (!pkt_get_nulstr(&c, &cu->user, &cu->user_len))
        return false;
    if (caps & CLIENT_SECURE_CONNECTION) {
        uint8_t n;
        if (!pkt_get_u8(&c, &n) || !pkt_get_bytes(&c, n, &cu->auth))
            return false;
        cu->auth_len = n;
    } else if (!pkt_get_nulstr(&c, &cu->auth, &cu->auth_len)) {
        return false;
    }
    if (pkt_cursor_left(&c) == 0)
        return true;
    pkt_get_nulstr(&c, &cu->db, &cu->db_len);
    if (pkt_cursor_left(&c) < 2)
        return true;
    pkt_get_u16(&c, &charset);
    if ((caps & CLIENT_PLUGIN_AUTH) && pkt_cursor_left(&c) > 0)
        pkt_get_nulstr(&c, &cu->plugin, &cu->plugin_len);
    return true;
}
