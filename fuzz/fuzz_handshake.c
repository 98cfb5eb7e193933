/*
 * fuzz_handshake.c - libFuzzer target for the pure wire decoders: the
 * server greeting, the client's HandshakeResponse / SSLRequest,
 * COM_CHANGE_USER, OK/EOF/ERR packets and the pkt_get_* cursor readers.
 *
 * Every decoder runs on a private copy of the payload (so ASan sees reads
 * past its end) and every pointer it returns must lie inside that copy.
 * Decoded greetings and responses are written back with the builders the
 * proxy uses and parsed again: the fields ddlgate relays must survive.
 *
 * Input: byte 0 picks a capability mask for COM_CHANGE_USER and the
 * session-track flag for OK packets; the rest is one payload.
 * Build: cmake -DDDLGATE_FUZZ=ON with CC=clang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handshake.h"
#include "pkt.h"

static const uint8_t *fz_lo, *fz_hi;

/* p[0..n) must lie inside the current payload copy */
static void fz_inside(const void *p, size_t n)
{
    const uint8_t *q = p;
    if (n == 0 && p == NULL)
        return;
    if (q < fz_lo || q > fz_hi || n > (size_t)(fz_hi - q))
        abort();
}

static bool fz_same(const void *a, size_t an, const void *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* ---- greeting ----------------------------------------------------------------- */

static void fz_greeting(const uint8_t *p, size_t len)
{
    struct hs_greeting g, g2;
    struct pkt_writer w;

    if (!hs_parse_greeting(p, len, &g))
        return;
    fz_inside(g.version, g.version_len);
    if (g.scramble_len > sizeof(g.scramble))
        abort();
    if (g.plugin_len)
        fz_inside(g.plugin, g.plugin_len);
    pkt_w_init(&w, 0);
    hs_write_greeting(&w, &g);
    if (w.failed || w.len < PKT_HDR_LEN)
        abort();
    if (!hs_parse_greeting(w.buf + PKT_HDR_LEN, w.len - PKT_HDR_LEN, &g2))
        abort();
    uint64_t mask = (g.caps & CLIENT_LONG_PASSWORD) ? 0xffffffffull : ~0ull;
    if (!fz_same(g.version, g.version_len, g2.version, g2.version_len) || g.conn_id != g2.conn_id ||
        (g.caps & mask) != (g2.caps & mask) || memcmp(g.scramble, g2.scramble, 8) != 0)
        abort();
    /* a pre-4.1 greeting has no second scramble part; the rewritten one
     * always does, so only a full scramble must come back whole */
    if (g.scramble_len == 20 && (g2.scramble_len != 20 || memcmp(g.scramble, g2.scramble, 20) != 0))
        abort();
    /* the plugin name follows the scramble's second part, which a server
     * without CLIENT_SECURE_CONNECTION does not send */
    if ((g.caps & CLIENT_PLUGIN_AUTH) && (g.caps & CLIENT_SECURE_CONNECTION) &&
        !memchr(g.plugin, 0, g.plugin_len) &&
        !fz_same(g.plugin, g.plugin_len, g2.plugin, g2.plugin_len))
        abort();
    pkt_w_free(&w);
}

/* ---- handshake response ------------------------------------------------------------ */

static void fz_response(const uint8_t *p, size_t len)
{
    struct hs_response r, r2;
    struct pkt_writer w;

    if (!hs_parse_response(p, len, &r))
        return;
    fz_inside(r.user, r.user_len);
    fz_inside(r.auth, r.auth_len);
    fz_inside(r.db, r.db_len);
    fz_inside(r.plugin, r.plugin_len);
    fz_inside(r.attrs, r.attrs_len);
    if (r.zstd_level < -1 || r.zstd_level > 255)
        abort();
    if (r.ssl_request)
        return;
    /* what server_send_handshake_response() forwards */
    pkt_w_init(&w, 1);
    hs_write_response(&w, &r, r.caps, false);
    if (w.failed || w.len < PKT_HDR_LEN)
        abort();
    if (!hs_parse_response(w.buf + PKT_HDR_LEN, w.len - PKT_HDR_LEN, &r2))
        abort();
    if (!fz_same(r.user, r.user_len, r2.user, r2.user_len) ||
        !fz_same(r.auth, r.auth_len, r2.auth, r2.auth_len) ||
        !fz_same(r.db, r.db ? r.db_len : 0, r2.db, r2.db ? r2.db_len : 0) ||
        !fz_same(r.plugin, r.plugin ? r.plugin_len : 0, r2.plugin, r2.plugin ? r2.plugin_len : 0) ||
        (r.attrs && !fz_same(r.attrs, r.attrs_len, r2.attrs, r2.attrs_len)) ||
        r.max_packet != r2.max_packet || r.charset != r2.charset || r.caps != r2.caps)
        abort();
    /* the zstd level byte is only read back where the parser could reach it */
    if (r.attrs && r.zstd_level != r2.zstd_level)
        abort();
    pkt_w_free(&w);
}

/* ---- command-phase packets -------------------------------------------------------------- */

static void fz_results(const uint8_t *p, size_t len, bool track, uint64_t caps)
{
    struct pkt_ok ok;
    struct hs_change_user cu;
    uint16_t warnings, status, code;
    char sqlstate[6];
    const uint8_t *msg;
    size_t msg_len;

    if (pkt_parse_ok(p, len, track, &ok) && ok.schema)
        fz_inside(ok.schema, ok.schema_len);
    pkt_parse_eof(p, len, &warnings, &status);
    if (pkt_parse_err(p, len, &code, sqlstate, &msg, &msg_len)) {
        fz_inside(msg, msg_len);
        if (memchr(sqlstate, 0, sizeof(sqlstate)) == NULL)
            abort();
    }
    if (hs_parse_change_user(p, len, caps, &cu)) {
        fz_inside(cu.user, cu.user_len);
        fz_inside(cu.db, cu.db_len);
    }
}

/* Drive the cursor readers with the payload itself as the script: each
 * step reads an opcode, then a field of that kind. */
static void fz_cursor(const uint8_t *p, size_t len)
{
    struct pkt_cursor c;
    uint8_t op, u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    bool is_null;
    const uint8_t *s;
    size_t n;

    pkt_cursor_init(&c, p, len);
    for (int steps = 0; steps < 256 && pkt_get_u8(&c, &op); steps++) {
        const uint8_t *before = c.p;
        switch (op % 10) {
        case 0:
            pkt_get_u8(&c, &u8);
            break;
        case 1:
            pkt_get_u16(&c, &u16);
            break;
        case 2:
            pkt_get_u24(&c, &u32);
            break;
        case 3:
            pkt_get_u32(&c, &u32);
            break;
        case 4:
            pkt_get_u64(&c, &u64);
            break;
        case 5:
            pkt_get_lenenc(&c, &u64, &is_null);
            break;
        case 6:
            if (pkt_get_lenenc_str(&c, &s, &n))
                fz_inside(s, n);
            break;
        case 7:
            if (pkt_get_nulstr(&c, &s, &n))
                fz_inside(s, n);
            break;
        case 8:
            if (pkt_get_bytes(&c, op / 10, &s))
                fz_inside(s, op / 10);
            break;
        default:
            pkt_skip(&c, op / 10);
            break;
        }
        if (c.p < before || c.p > c.end || c.end != fz_hi)
            abort();
    }
}

/* Lenenc integers written by the writer read back unchanged. */
static void fz_lenenc_roundtrip(const uint8_t *p, size_t len)
{
    struct pkt_writer w;
    struct pkt_cursor c;
    uint64_t v = 0, back;
    bool is_null;

    if (len < 8)
        return;
    memcpy(&v, p, 8);
    v >>= (p[0] & 63); /* spread over all encodings' sizes */
    pkt_w_init(&w, 0);
    pkt_w_begin(&w);
    pkt_w_lenenc(&w, v);
    pkt_w_end(&w);
    if (w.failed)
        abort();
    pkt_cursor_init(&c, w.buf + PKT_HDR_LEN, w.len - PKT_HDR_LEN);
    if (!pkt_get_lenenc(&c, &back, &is_null) || back != v || pkt_cursor_left(&c) != 0)
        abort();
    pkt_w_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t caps_set[] = {
        0, CLIENT_SECURE_CONNECTION, CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION,
        CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_WITH_DB};

    if (size < 1 || size > 65536)
        return 0;
    size_t len = size - 1;
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        return 0;
    memcpy(p, data + 1, len);
    fz_lo = p;
    fz_hi = p + len;

    fz_greeting(p, len);
    fz_response(p, len);
    fz_results(p, len, (data[0] & 4) != 0, caps_set[data[0] & 3]);
    fz_cursor(p, len);
    fz_lenenc_roundtrip(p, len);
    free(p);
    return 0;
}
