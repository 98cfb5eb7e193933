/*
 * pkt.c - MySQL packet framing, field readers and the packet writer.
 *
 * Readers work on a cursor over a contiguous payload and never allocate.
 * The writer builds packets in one growable buffer; integers are assembled
 * byte by byte (little endian) with explicit uint64_t casts before shifts.
 */
#include "pkt.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

/* ---- readers ----------------------------------------------------------- */

bool pkt_get_u8(struct pkt_cursor *c, uint8_t *v)
{
    if (pkt_cursor_left(c) < 1)
        return false;
    *v = *c->p++;
    return true;
}

static bool get_le(struct pkt_cursor *c, size_t n, uint64_t *v)
{
    uint64_t r = 0;

    if (pkt_cursor_left(c) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        r |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    *v = r;
    return true;
}

bool pkt_get_u16(struct pkt_cursor *c, uint16_t *v)
{
    uint64_t r;
    if (!get_le(c, 2, &r))
        return false;
    *v = (uint16_t)r;
    return true;
}

bool pkt_get_u24(struct pkt_cursor *c, uint32_t *v)
{
    uint64_t r;
    if (!get_le(c, 3, &r))
        return false;
    *v = (uint32_t)r;
    return true;
}

bool pkt_get_u32(struct pkt_cursor *c, uint32_t *v)
{
    uint64_t r;
    if (!get_le(c, 4, &r))
        return false;
    *v = (uint32_t)r;
    return true;
}

bool pkt_get_u64(struct pkt_cursor *c, uint64_t *v) { return get_le(c, 8, v); }

bool pkt_get_lenenc(struct pkt_cursor *c, uint64_t *v, bool *is_null)
{
    uint8_t b;

    if (is_null)
        *is_null = false;
    if (!pkt_get_u8(c, &b))
        return false;
    switch (b) {
    case 0xfb:
        if (is_null)
            *is_null = true;
        *v = 0;
        return true;
    case 0xfc:
        return get_le(c, 2, v);
    case 0xfd:
        return get_le(c, 3, v);
    case 0xfe:
        return get_le(c, 8, v);
    case 0xff:
        return false; /* not a valid length-encoded integer */
    default:
        *v = b;
        return true;
    }
}

bool pkt_get_bytes(struct pkt_cursor *c, size_t n, const uint8_t **s)
{
    if (pkt_cursor_left(c) < n)
        return false;
    *s = c->p;
    c->p += n;
    return true;
}

bool pkt_get_lenenc_str(struct pkt_cursor *c, const uint8_t **s, size_t *len)
{
    uint64_t n;
    bool is_null;

    if (!pkt_get_lenenc(c, &n, &is_null) || is_null)
        return false;
    if (n > pkt_cursor_left(c))
        return false;
    *len = (size_t)n;
    return pkt_get_bytes(c, (size_t)n, s);
}

bool pkt_get_nulstr(struct pkt_cursor *c, const uint8_t **s, size_t *len)
{
    const uint8_t *nul = memchr(c->p, 0, pkt_cursor_left(c));

    *s = c->p;
    if (nul) {
        *len = (size_t)(nul - c->p);
        c->p = nul + 1;
    } else {
        *len = pkt_cursor_left(c);
        c->p = c->end;
    }
    return true;
}

bool pkt_skip(struct pkt_cursor *c, size_t n)
{
    if (pkt_cursor_left(c) < n)
        return false;
    c->p += n;
    return true;
}

bool pkt_peek_header(struct evbuffer *buf, uint32_t *payload_len, uint8_t *seq)
{
    uint8_t h[PKT_HDR_LEN];

    if (evbuffer_copyout(buf, h, PKT_HDR_LEN) != PKT_HDR_LEN)
        return false;
    *payload_len = (uint32_t)h[0] | ((uint32_t)h[1] << 8) | ((uint32_t)h[2] << 16);
    *seq = h[3];
    return true;
}

/* ---- response packets ---------------------------------------------------- */

bool pkt_parse_ok(const uint8_t *payload, size_t len, bool session_track, struct pkt_ok *ok)
{
    struct pkt_cursor c;
    uint8_t hdr;

    memset(ok, 0, sizeof(*ok));
    pkt_cursor_init(&c, payload, len);
    if (!pkt_get_u8(&c, &hdr) || (hdr != 0x00 && hdr != 0xfe))
        return false;
    if (!pkt_get_lenenc(&c, &ok->affected_rows, NULL) ||
        !pkt_get_lenenc(&c, &ok->last_insert_id, NULL))
        return false;
    if (!pkt_get_u16(&c, &ok->status) || !pkt_get_u16(&c, &ok->warnings))
        return false;
    if (!session_track || !(ok->status & SERVER_SESSION_STATE_CHANGED) || pkt_cursor_left(&c) == 0)
        return true;

    /* info string, then the session-state block: a list of (type, data) */
    const uint8_t *info, *state;
    size_t info_len, state_len;
    if (!pkt_get_lenenc_str(&c, &info, &info_len))
        return true;
    if (!pkt_get_lenenc_str(&c, &state, &state_len))
        return true;
    struct pkt_cursor sc;
    pkt_cursor_init(&sc, state, state_len);
    while (pkt_cursor_left(&sc) > 0) {
        uint8_t type;
        const uint8_t *data;
        size_t data_len;
        if (!pkt_get_u8(&sc, &type) || !pkt_get_lenenc_str(&sc, &data, &data_len))
            break;
        if (type == 1 /* SESSION_TRACK_SCHEMA */) {
            struct pkt_cursor dc;
            pkt_cursor_init(&dc, data, data_len);
            if (pkt_get_lenenc_str(&dc, &ok->schema, &ok->schema_len) == false) {
                ok->schema = NULL;
                ok->schema_len = 0;
            }
        }
    }
    return true;
}

bool pkt_parse_eof(const uint8_t *payload, size_t len, uint16_t *warnings, uint16_t *status)
{
    struct pkt_cursor c;
    uint8_t hdr;

    pkt_cursor_init(&c, payload, len);
    if (!pkt_get_u8(&c, &hdr) || hdr != 0xfe)
        return false;
    *warnings = 0;
    *status = 0;
    if (pkt_cursor_left(&c) >= 4) {
        pkt_get_u16(&c, warnings);
        pkt_get_u16(&c, status);
    }
    return true;
}

bool pkt_parse_err(const uint8_t *payload, size_t len, uint16_t *code, char sqlstate[6],
                   const uint8_t **msg, size_t *msg_len)
{
    struct pkt_cursor c;
    uint8_t hdr;

    pkt_cursor_init(&c, payload, len);
    if (!pkt_get_u8(&c, &hdr) || hdr != 0xff || !pkt_get_u16(&c, code))
        return false;
    memcpy(sqlstate, "HY000", 6);
    if (pkt_cursor_left(&c) >= 6 && c.p[0] == '#') {
        memcpy(sqlstate, c.p + 1, 5);
        sqlstate[5] = '\0';
        c.p += 6;
    }
    *msg = c.p;
    *msg_len = pkt_cursor_left(&c);
    return true;
}

/* ---- writer --------------------------------------------------------------- */

void pkt_w_init(struct pkt_writer *w, uint8_t first_seq)
{
    memset(w, 0, sizeof(*w));
    w->seq = first_seq;
}

void pkt_w_free(struct pkt_writer *w)
{
    free(w->buf);
    memset(w, 0, sizeof(*w));
}

static bool w_reserve(struct pkt_writer *w, size_t n)
{
    if (w->failed)
        return false;
    if (w->len + n <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n) {
        if (cap > SIZE_MAX / 2) {
            w->failed = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *nb = realloc(w->buf, cap);
    if (!nb) {
        w->failed = true;
        return false;
    }
    w->buf = nb;
    w->cap = cap;
    return true;
}

void pkt_w_bytes(struct pkt_writer *w, const void *s, size_t len)
{
    if (len == 0 || !w_reserve(w, len))
        return;
    memcpy(w->buf + w->len, s, len);
    w->len += len;
}

static void w_le(struct pkt_writer *w, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    pkt_w_bytes(w, b, n);
}

void pkt_w_u8(struct pkt_writer *w, uint8_t v) { pkt_w_bytes(w, &v, 1); }
void pkt_w_u16(struct pkt_writer *w, uint16_t v) { w_le(w, v, 2); }
void pkt_w_u24(struct pkt_writer *w, uint32_t v) { w_le(w, v, 3); }
void pkt_w_u32(struct pkt_writer *w, uint32_t v) { w_le(w, v, 4); }
void pkt_w_u64(struct pkt_writer *w, uint64_t v) { w_le(w, v, 8); }

void pkt_w_zero(struct pkt_writer *w, size_t n)
{
    if (!w_reserve(w, n))
        return;
    memset(w->buf + w->len, 0, n);
    w->len += n;
}

void pkt_w_lenenc(struct pkt_writer *w, uint64_t v)
{
    if (v < 0xfb) {
        pkt_w_u8(w, (uint8_t)v);
    } else if (v <= 0xffff) {
        pkt_w_u8(w, 0xfc);
        w_le(w, v, 2);
    } else if (v <= 0xffffff) {
        pkt_w_u8(w, 0xfd);
        w_le(w, v, 3);
    } else {
        pkt_w_u8(w, 0xfe);
        w_le(w, v, 8);
    }
}

void pkt_w_lenenc_str(struct pkt_writer *w, const void *s, size_t len)
{
    pkt_w_lenenc(w, len);
    pkt_w_bytes(w, s, len);
}

void pkt_w_nulstr(struct pkt_writer *w, const char *s) { pkt_w_bytes(w, s, strlen(s) + 1); }

void pkt_w_begin(struct pkt_writer *w)
{
    w->start = w->len;
    pkt_w_zero(w, PKT_HDR_LEN);
}

/* Fill the header of the packet begun at w->start.  Payloads of 0xffffff
 * bytes or more are cut into 0xffffff-byte frames (plus a final, possibly
 * empty, frame), each taking the next sequence id. */
void pkt_w_end(struct pkt_writer *w)
{
    if (w->failed)
        return;
    size_t payload = w->len - w->start - PKT_HDR_LEN;
    if (payload < PKT_MAX_PAYLOAD) {
        uint8_t *h = w->buf + w->start;
        h[0] = (uint8_t)payload;
        h[1] = (uint8_t)(payload >> 8);
        h[2] = (uint8_t)(payload >> 16);
        h[3] = w->seq++;
        return;
    }
    /* rare: rebuild with split frames */
    size_t nframes = payload / PKT_MAX_PAYLOAD + 1;
    size_t extra = (nframes - 1) * PKT_HDR_LEN;
    if (!w_reserve(w, extra))
        return;
    uint8_t *base = w->buf + w->start;
    /* move the payload backwards frame by frame, from the last frame */
    memmove(base + PKT_HDR_LEN + extra, base + PKT_HDR_LEN, payload);
    uint8_t *src = base + PKT_HDR_LEN + extra;
    uint8_t *dst = base;
    size_t left = payload;
    for (size_t i = 0; i < nframes; i++) {
        size_t n = left > PKT_MAX_PAYLOAD ? PKT_MAX_PAYLOAD : left;
        dst[0] = (uint8_t)n;
        dst[1] = (uint8_t)(n >> 8);
        dst[2] = (uint8_t)(n >> 16);
        dst[3] = w->seq++;
        memmove(dst + PKT_HDR_LEN, src, n);
        dst += PKT_HDR_LEN + n;
        src += n;
        left -= n;
    }
    w->len += extra;
}

void pkt_w_ok(struct pkt_writer *w, uint64_t affected, uint64_t insert_id, uint16_t status,
              uint16_t warnings, const char *info)
{
    pkt_w_begin(w);
    pkt_w_u8(w, 0x00);
    pkt_w_lenenc(w, affected);
    pkt_w_lenenc(w, insert_id);
    pkt_w_u16(w, status);
    pkt_w_u16(w, warnings);
    /* length-encoded, as servers have always sent it and as MariaDB's
     * client library always reads it */
    if (info && *info)
        pkt_w_lenenc_str(w, info, strlen(info));
    pkt_w_end(w);
}

void pkt_w_err(struct pkt_writer *w, uint16_t code, const char *sqlstate, const char *msg)
{
    size_t mlen = strlen(msg);

    if (mlen > 4000)
        mlen = 4000; /* clients print it; keep it to a screenful */
    pkt_w_begin(w);
    pkt_w_u8(w, 0xff);
    pkt_w_u16(w, code);
    pkt_w_u8(w, '#');
    pkt_w_bytes(w, sqlstate && strlen(sqlstate) == 5 ? sqlstate : "HY000", 5);
    pkt_w_bytes(w, msg, mlen);
    pkt_w_end(w);
}

void pkt_w_eof(struct pkt_writer *w, uint16_t warnings, uint16_t status, bool deprecate_eof)
{
    pkt_w_begin(w);
    if (deprecate_eof) {
        pkt_w_u8(w, 0xfe);
        pkt_w_lenenc(w, 0);
        pkt_w_lenenc(w, 0);
        pkt_w_u16(w, status);
        pkt_w_u16(w, warnings);
    } else {
        pkt_w_u8(w, 0xfe);
        pkt_w_u16(w, warnings);
        pkt_w_u16(w, status);
    }
    pkt_w_end(w);
}

void pkt_w_coldef(struct pkt_writer *w, const char *name, uint8_t type)
{
    size_t nlen = strlen(name);

    pkt_w_begin(w);
    pkt_w_lenenc_str(w, "def", 3);
    pkt_w_lenenc_str(w, "", 0);                        /* schema */
    pkt_w_lenenc_str(w, "", 0);                        /* table */
    pkt_w_lenenc_str(w, "", 0);                        /* org_table */
    pkt_w_lenenc_str(w, name, nlen);                   /* name */
    pkt_w_lenenc_str(w, name, nlen);                   /* org_name */
    pkt_w_lenenc(w, 0x0c);                             /* length of the fixed fields */
    pkt_w_u16(w, type == PKT_TYPE_LONGLONG ? 63 : 33); /* binary / utf8 */
    pkt_w_u32(w, type == PKT_TYPE_LONGLONG ? 20 : 1024);
    pkt_w_u8(w, type);
    pkt_w_u16(w, type == PKT_TYPE_LONGLONG ? 0x0020 /* UNSIGNED */ : 0);
    pkt_w_u8(w, 0);  /* decimals */
    pkt_w_u16(w, 0); /* filler */
    pkt_w_end(w);
}

void pkt_w_resultset_begin(struct pkt_writer *w, int ncols, const char *const *names,
                           const uint8_t *types, bool deprecate_eof)
{
    pkt_w_begin(w);
    pkt_w_lenenc(w, (uint64_t)ncols);
    pkt_w_end(w);
    for (int i = 0; i < ncols; i++)
        pkt_w_coldef(w, names[i], types ? types[i] : PKT_TYPE_VAR_STRING);
    if (!deprecate_eof)
        pkt_w_eof(w, 0, SERVER_STATUS_AUTOCOMMIT, false);
}

void pkt_w_row(struct pkt_writer *w, int ncols, const char *const *vals)
{
    pkt_w_begin(w);
    for (int i = 0; i < ncols; i++) {
        if (vals[i])
            pkt_w_lenenc_str(w, vals[i], strlen(vals[i]));
        else
            pkt_w_u8(w, 0xfb);
    }
    pkt_w_end(w);
}

void pkt_w_resultset_end(struct pkt_writer *w, uint16_t status, bool deprecate_eof)
{
    pkt_w_eof(w, 0, status, deprecate_eof);
}

bool pkt_w_flush(struct pkt_writer *w, struct evbuffer *out)
{
    if (w->failed)
        return false;
    if (w->len && evbuffer_add(out, w->buf, w->len) != 0)
        return false;
    w->len = 0;
    w->start = 0;
    return true;
}
