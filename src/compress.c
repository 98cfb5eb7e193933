/*
 * compress.c - MySQL compressed protocol codec over evbuffers (zlib, zstd).
 *
 * Both directions stream: the compressor and decompressor are fed the
 * evbuffer chains one segment at a time (evbuffer_peek), so a packet that
 * spans chains is never pulled up into one block, and their output goes
 * straight into space reserved in the destination evbuffer.  Stored
 * (uncompressed) payloads are moved chain by chain with
 * evbuffer_remove_buffer.
 */
#include "compress.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* level 1: measured ~4x the encode speed of zlib's default 6 on result-set
 * rows for ~8% less ratio; a proxy re-compresses every byte it relays. */
#define ZLIB_DEFAULT_LEVEL 1
/* 2^24 > 0xffffff: enough for any frame we accept, and it caps what a
 * hostile frame header can make the decoder allocate. */
#define ZSTD_WINDOWLOG_MAX 24

enum seg_result {
    SEG_OK,
    SEG_NOROOM,
    SEG_FAIL
};

static const char *const algo_names[] = {
    [CMP_NONE] = "none",
    [CMP_ZLIB] = "zlib",
    [CMP_ZSTD] = "zstd",
};

const char *cmp_algo_name(enum cmp_algo algo)
{
    if ((unsigned)algo >= sizeof(algo_names) / sizeof(algo_names[0]))
        return "?";
    return algo_names[algo];
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static uint32_t get_u24(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16);
}

static void put_u24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
}

/* ---- lifecycle ------------------------------------------------------------ */

int cmp_init(struct cmp_stream *s, enum cmp_algo algo, int level)
{
    memset(s, 0, sizeof(*s));
    switch (algo) {
    case CMP_ZLIB:
        if (level <= 0)
            level = ZLIB_DEFAULT_LEVEL;
        if (level > 9)
            return -1;
        break;
    case CMP_ZSTD:
        if (level <= 0)
            level = CMP_ZSTD_DEFAULT_LEVEL;
        if (level > ZSTD_maxCLevel())
            return -1;
        break;
    default:
        return -1;
    }
    s->algo = algo;
    s->level = level;
    s->max_ulen = CMP_MAX_PAYLOAD;
    s->min_compress = CMP_MIN_COMPRESS;
    s->max_chunk = CMP_ENCODE_CHUNK;
    return 0;
}

void cmp_free(struct cmp_stream *s)
{
    if (s->zdef != NULL) {
        deflateEnd(s->zdef);
        free(s->zdef);
    }
    if (s->zinf != NULL) {
        inflateEnd(s->zinf);
        free(s->zinf);
    }
    ZSTD_freeCCtx(s->zcctx); /* NULL-safe */
    ZSTD_freeDCtx(s->zdctx);
    s->zdef = NULL;
    s->zinf = NULL;
    s->zcctx = NULL;
    s->zdctx = NULL;
}

void cmp_reset_seq(struct cmp_stream *s, uint8_t seq) { s->seq = seq; }

uint8_t cmp_last_seq(const struct cmp_stream *s) { return (uint8_t)(s->seq - 1); }

/* Contexts are made on first use: many legs only ever compress one way. */
static bool ensure_inflate(struct cmp_stream *s)
{
    if (s->zinf != NULL)
        return true;
    s->zinf = calloc(1, sizeof(*s->zinf));
    if (s->zinf == NULL)
        return false;
    if (inflateInit(s->zinf) != Z_OK) {
        free(s->zinf);
        s->zinf = NULL;
        return false;
    }
    return true;
}

static bool ensure_deflate(struct cmp_stream *s)
{
    if (s->zdef != NULL)
        return true;
    s->zdef = calloc(1, sizeof(*s->zdef));
    if (s->zdef == NULL)
        return false;
    if (deflateInit(s->zdef, s->level) != Z_OK) {
        free(s->zdef);
        s->zdef = NULL;
        return false;
    }
    return true;
}

static bool ensure_zstd_d(struct cmp_stream *s)
{
    if (s->zdctx != NULL)
        return true;
    s->zdctx = ZSTD_createDCtx();
    if (s->zdctx == NULL)
        return false;
    if (ZSTD_isError(ZSTD_DCtx_setParameter(s->zdctx, ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_MAX))) {
        ZSTD_freeDCtx(s->zdctx);
        s->zdctx = NULL;
        return false;
    }
    return true;
}

static bool ensure_zstd_c(struct cmp_stream *s)
{
    if (s->zcctx != NULL)
        return true;
    s->zcctx = ZSTD_createCCtx();
    if (s->zcctx == NULL)
        return false;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(s->zcctx, ZSTD_c_compressionLevel, s->level))) {
        ZSTD_freeCCtx(s->zcctx);
        s->zcctx = NULL;
        return false;
    }
    return true;
}

/* ---- walking evbuffer segments without copying ------------------------------ */

struct seg_iter {
    struct evbuffer *buf;
    struct evbuffer_ptr ptr;
    size_t left;
};

static void seg_begin(struct seg_iter *it, struct evbuffer *buf, size_t offset, size_t len)
{
    it->buf = buf;
    it->left = len;
    evbuffer_ptr_set(buf, &it->ptr, offset, EVBUFFER_PTR_SET);
}

static bool seg_next(struct seg_iter *it, const uint8_t **p, size_t *n)
{
    struct evbuffer_iovec v;

    if (it->left == 0 || evbuffer_peek(it->buf, (ev_ssize_t)it->left, &it->ptr, &v, 1) < 1)
        return false;
    *p = v.iov_base;
    *n = v.iov_len < it->left ? v.iov_len : it->left;
    it->left -= *n;
    if (it->left > 0)
        evbuffer_ptr_set(it->buf, &it->ptr, *n, EVBUFFER_PTR_ADD);
    return true;
}

/* ---- decoding --------------------------------------------------------------- */

/* Inflate clen bytes at offset 7 of `in` into dst[ulen]; exactly ulen bytes and
 * exactly one complete zlib stream are accepted. */
static bool inflate_payload(struct cmp_stream *s, struct evbuffer *in, uint32_t clen, uint8_t *dst,
                            uint32_t ulen, char *err, size_t errlen)
{
    z_stream *z = s->zinf;
    struct seg_iter it;
    const uint8_t *p;
    size_t n;
    bool ended = false;

    inflateReset(z);
    z->next_out = dst;
    z->avail_out = ulen;
    seg_begin(&it, in, CMP_HDR_LEN, clen);
    while (seg_next(&it, &p, &n)) {
        if (ended) {
            set_err(err, errlen, "zlib: bytes after the end of the stream");
            return false;
        }
        z->next_in = (Bytef *)(uintptr_t)p; /* zlib does not write through next_in */
        z->avail_in = (uInt)n;
        while (z->avail_in > 0 && !ended) {
            uInt before_in = z->avail_in, before_out = z->avail_out;
            int rc = inflate(z, Z_NO_FLUSH);

            if (rc == Z_STREAM_END) {
                ended = true;
                if (z->avail_in > 0) {
                    set_err(err, errlen, "zlib: bytes after the end of the stream");
                    return false;
                }
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                set_err(err, errlen, "zlib: %s", z->msg != NULL ? z->msg : zError(rc));
                return false;
            } else if (z->avail_in == before_in && z->avail_out == before_out) {
                set_err(err, errlen, "zlib: data inflates beyond the declared %u bytes", ulen);
                return false;
            }
        }
    }
    if (!ended) {
        set_err(err, errlen, "zlib: truncated stream");
        return false;
    }
    if (z->total_out != ulen) {
        set_err(err, errlen, "zlib: inflated %lu bytes, header says %u",
                (unsigned long)z->total_out, ulen);
        return false;
    }
    return true;
}

static bool unzstd_payload(struct cmp_stream *s, struct evbuffer *in, uint32_t clen, uint8_t *dst,
                           uint32_t ulen, char *err, size_t errlen)
{
    ZSTD_outBuffer ob = {dst, ulen, 0};
    struct seg_iter it;
    const uint8_t *p;
    size_t n, rc = 1;

    ZSTD_DCtx_reset(s->zdctx, ZSTD_reset_session_only);
    seg_begin(&it, in, CMP_HDR_LEN, clen);
    while (seg_next(&it, &p, &n)) {
        ZSTD_inBuffer ib = {p, n, 0};

        if (rc == 0) {
            set_err(err, errlen, "zstd: bytes after the end of the frame");
            return false;
        }
        while (ib.pos < ib.size && rc != 0) {
            size_t before_in = ib.pos, before_out = ob.pos;

            rc = ZSTD_decompressStream(s->zdctx, &ob, &ib);
            if (ZSTD_isError(rc)) {
                set_err(err, errlen, "zstd: %s", ZSTD_getErrorName(rc));
                return false;
            }
            if (rc == 0 && ib.pos < ib.size) {
                set_err(err, errlen, "zstd: bytes after the end of the frame");
                return false;
            }
            if (rc != 0 && ib.pos == before_in && ob.pos == before_out) {
                set_err(err, errlen, "zstd: data decompresses beyond the declared %u bytes", ulen);
                return false;
            }
        }
    }
    if (rc != 0) {
        set_err(err, errlen, "zstd: truncated frame");
        return false;
    }
    if (ob.pos != ulen) {
        set_err(err, errlen, "zstd: decompressed %zu bytes, header says %u", ob.pos, ulen);
        return false;
    }
    return true;
}

/* Decompress one complete packet (header still in `in`) into `out`. */
static bool decode_compressed(struct cmp_stream *s, struct evbuffer *in, struct evbuffer *out,
                              uint32_t clen, uint32_t ulen, char *err, size_t errlen)
{
    struct evbuffer_iovec dst;
    bool ok;

    if (!(s->algo == CMP_ZLIB ? ensure_inflate(s) : ensure_zstd_d(s))) {
        set_err(err, errlen, "out of memory for the %s decoder", cmp_algo_name(s->algo));
        return false;
    }
    if (evbuffer_reserve_space(out, ulen, &dst, 1) != 1 || dst.iov_len < ulen) {
        set_err(err, errlen, "out of memory for a %u byte packet", ulen);
        return false;
    }
    if (s->algo == CMP_ZLIB)
        ok = inflate_payload(s, in, clen, dst.iov_base, ulen, err, errlen);
    else
        ok = unzstd_payload(s, in, clen, dst.iov_base, ulen, err, errlen);
    if (!ok)
        return false; /* the reservation is simply abandoned */
    dst.iov_len = ulen;
    if (evbuffer_commit_space(out, &dst, 1) != 0) {
        set_err(err, errlen, "evbuffer_commit_space failed");
        return false;
    }
    evbuffer_drain(in, CMP_HDR_LEN + (size_t)clen);
    return true;
}

/* The worst-case size of ulen bytes compressed by a real encoder (plus
 * slack): a larger payload is padding or an attempt to make us buffer it. */
static uint32_t max_compressed(enum cmp_algo algo, uint32_t ulen)
{
    size_t bound = algo == CMP_ZLIB ? (size_t)compressBound(ulen) : ZSTD_compressBound(ulen);

    return (uint32_t)(bound + 64);
}

/* 1 = one packet decoded, 0 = incomplete, -1 = corrupt */
static int decode_one(struct cmp_stream *s, struct evbuffer *in, struct evbuffer *out, char *err,
                      size_t errlen)
{
    uint8_t h[CMP_HDR_LEN];
    uint32_t clen, ulen;
    uint8_t seq;

    if (evbuffer_copyout(in, h, CMP_HDR_LEN) != CMP_HDR_LEN)
        return 0;
    clen = get_u24(h);
    seq = h[3];
    ulen = get_u24(h + 4);
    /* judge the header before buffering up to 16 MiB of a bad packet */
    if ((ulen != 0 ? ulen : clen) > s->max_ulen) {
        set_err(err, errlen, "compressed packet of %u bytes exceeds the %u byte limit",
                ulen != 0 ? ulen : clen, s->max_ulen);
        return -1;
    }
    if (ulen != 0 && clen == 0) {
        set_err(err, errlen, "compressed packet with empty payload claims %u bytes", ulen);
        return -1;
    }
    if (ulen != 0 && clen > max_compressed(s->algo, ulen)) {
        set_err(err, errlen, "%u compressed bytes cannot hold %u bytes of %s data", clen, ulen,
                cmp_algo_name(s->algo));
        return -1;
    }
    if (evbuffer_get_length(in) - CMP_HDR_LEN < clen)
        return 0;
    if (ulen == 0) {
        evbuffer_drain(in, CMP_HDR_LEN);
        if (clen > 0 && evbuffer_remove_buffer(in, out, clen) != (int)clen) {
            set_err(err, errlen, "evbuffer_remove_buffer failed");
            return -1;
        }
    } else if (!decode_compressed(s, in, out, clen, ulen, err, errlen)) {
        return -1;
    }
    if (seq != s->seq && seq != 0) /* 0 = the peer started a new command */
        s->seq_mismatches++;
    s->seq = (uint8_t)(seq + 1);
    s->packets_in++;
    s->bytes_wire_in += CMP_HDR_LEN + (uint64_t)clen;
    s->bytes_plain_in += ulen != 0 ? ulen : clen;
    return 1;
}

int cmp_decode(struct cmp_stream *s, struct evbuffer *in, struct evbuffer *out,
               unsigned max_packets, char *err, size_t errlen)
{
    int n = 0;

    if (s->algo != CMP_ZLIB && s->algo != CMP_ZSTD) {
        set_err(err, errlen, "compression is not enabled on this stream");
        return -1;
    }
    while (max_packets == 0 || (unsigned)n < max_packets) {
        int rc = decode_one(s, in, out, err, errlen);

        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        n++;
    }
    return n;
}

/* ---- encoding --------------------------------------------------------------- */

/* Deflate the first `len` bytes of `in` into dst[room]. SEG_NOROOM when the
 * result would not fit (i.e. would not be smaller than the input). */
static enum seg_result deflate_chunk(struct cmp_stream *s, struct evbuffer *in, size_t len,
                                     uint8_t *dst, size_t room, size_t *clen)
{
    z_stream *z = s->zdef;
    struct seg_iter it;
    const uint8_t *p;
    size_t n;

    deflateReset(z);
    z->next_out = dst;
    z->avail_out = (uInt)room;
    seg_begin(&it, in, 0, len);
    while (seg_next(&it, &p, &n)) {
        int flush = it.left == 0 ? Z_FINISH : Z_NO_FLUSH;
        int rc;

        z->next_in = (Bytef *)(uintptr_t)p;
        z->avail_in = (uInt)n;
        rc = deflate(z, flush);
        if (rc == Z_STREAM_ERROR)
            return SEG_FAIL;
        if (flush == Z_FINISH) {
            if (rc != Z_STREAM_END)
                return SEG_NOROOM;
            *clen = room - z->avail_out;
            return SEG_OK;
        }
        if (z->avail_in > 0)
            return SEG_NOROOM; /* output full before the input was used up */
    }
    return SEG_FAIL; /* `in` was shorter than len */
}

static enum seg_result zstd_chunk(struct cmp_stream *s, struct evbuffer *in, size_t len,
                                  uint8_t *dst, size_t room, size_t *clen)
{
    ZSTD_outBuffer ob = {dst, room, 0};
    struct seg_iter it;
    const uint8_t *p;
    size_t n;

    ZSTD_CCtx_reset(s->zcctx, ZSTD_reset_session_only);
    /* the frame then records its size, as MySQL's one-shot frames do */
    ZSTD_CCtx_setPledgedSrcSize(s->zcctx, len);
    seg_begin(&it, in, 0, len);
    while (seg_next(&it, &p, &n)) {
        ZSTD_EndDirective mode = it.left == 0 ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer ib = {p, n, 0};

        for (;;) {
            size_t before_in = ib.pos, before_out = ob.pos;
            size_t rc = ZSTD_compressStream2(s->zcctx, &ob, &ib, mode);

            if (ZSTD_isError(rc))
                return SEG_FAIL;
            if (mode == ZSTD_e_end && rc == 0) {
                *clen = ob.pos;
                return SEG_OK;
            }
            if (mode == ZSTD_e_continue && ib.pos == ib.size)
                break;
            if (ob.pos == ob.size)
                return SEG_NOROOM;
            if (ib.pos == before_in && ob.pos == before_out)
                return SEG_FAIL; /* no progress with room left: should not happen */
        }
    }
    return SEG_FAIL;
}

static void write_hdr(uint8_t *h, uint32_t clen, uint8_t seq, uint32_t ulen)
{
    put_u24(h, clen);
    h[3] = seq;
    put_u24(h + 4, ulen);
}

/* Try to compress `len` bytes into a packet; SEG_NOROOM = not worth it. */
static enum seg_result encode_compressed(struct cmp_stream *s, struct evbuffer *in,
                                         struct evbuffer *out, size_t len)
{
    struct evbuffer_iovec v;
    enum seg_result r;
    size_t clen = 0;

    if (!(s->algo == CMP_ZLIB ? ensure_deflate(s) : ensure_zstd_c(s)))
        return SEG_FAIL;
    /* room for header + len - 1: only a payload that shrinks is worth sending */
    if (evbuffer_reserve_space(out, (ev_ssize_t)(CMP_HDR_LEN + len - 1), &v, 1) != 1 ||
        v.iov_len < CMP_HDR_LEN + len - 1)
        return SEG_FAIL;
    if (s->algo == CMP_ZLIB)
        r = deflate_chunk(s, in, len, (uint8_t *)v.iov_base + CMP_HDR_LEN, len - 1, &clen);
    else
        r = zstd_chunk(s, in, len, (uint8_t *)v.iov_base + CMP_HDR_LEN, len - 1, &clen);
    if (r != SEG_OK)
        return r;
    write_hdr(v.iov_base, (uint32_t)clen, s->seq, (uint32_t)len);
    v.iov_len = CMP_HDR_LEN + clen;
    if (evbuffer_commit_space(out, &v, 1) != 0)
        return SEG_FAIL;
    evbuffer_drain(in, len);
    s->bytes_wire_out += CMP_HDR_LEN + clen;
    return SEG_OK;
}

static bool encode_stored(struct cmp_stream *s, struct evbuffer *in, struct evbuffer *out,
                          size_t len)
{
    uint8_t h[CMP_HDR_LEN];

    write_hdr(h, (uint32_t)len, s->seq, 0);
    if (evbuffer_add(out, h, sizeof(h)) != 0)
        return false;
    if (evbuffer_remove_buffer(in, out, len) != (int)len)
        return false;
    s->bytes_wire_out += CMP_HDR_LEN + len;
    return true;
}

int cmp_encode(struct cmp_stream *s, struct evbuffer *in, struct evbuffer *out)
{
    size_t chunk_max = s->max_chunk;
    size_t avail;
    int n = 0;

    if (s->algo != CMP_ZLIB && s->algo != CMP_ZSTD)
        return -1;
    if (chunk_max == 0 || chunk_max > CMP_MAX_PAYLOAD)
        chunk_max = CMP_MAX_PAYLOAD;
    while ((avail = evbuffer_get_length(in)) > 0) {
        size_t len = avail < chunk_max ? avail : chunk_max;
        enum seg_result r = SEG_NOROOM;

        if (len >= s->min_compress && len > 1)
            r = encode_compressed(s, in, out, len);
        if (r == SEG_FAIL)
            return -1;
        if (r == SEG_NOROOM && !encode_stored(s, in, out, len))
            return -1;
        s->seq++;
        s->packets_out++;
        s->bytes_plain_out += len;
        n++;
    }
    return n;
}
