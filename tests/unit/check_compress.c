/*
 * check_compress.c - the compressed protocol codec: round trips, streaming,
 * corrupt input, sequence ids, and real MariaDB transcripts
 * (tests/data/compress/, made with capture_relay.py + make_hex.py).
 */
#include <check.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "compress.h"

static const enum cmp_algo algos[] = {CMP_ZLIB, CMP_ZSTD};

/* deterministic bytes: `entropy` 0 = very compressible, 1 = random-ish */
static void fill(uint8_t *p, size_t n, int entropy, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;

    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = entropy ? (uint8_t)(x >> 16) : (uint8_t)("select * from t where id = 42 "[i % 30]);
    }
}

static uint8_t *buf_bytes(struct evbuffer *b, size_t *len)
{
    *len = evbuffer_get_length(b);
    return evbuffer_pullup(b, -1);
}

/* encode data, decode it back, check equality; returns packets encoded */
static int round_trip(enum cmp_algo algo, uint32_t max_chunk, const uint8_t *data, size_t len)
{
    struct cmp_stream enc, dec;
    struct evbuffer *plain = evbuffer_new(), *wire = evbuffer_new(), *back = evbuffer_new();
    char err[256] = "";
    int npk, ndec;
    size_t blen;
    uint8_t *b;

    ck_assert_int_eq(cmp_init(&enc, algo, 0), 0);
    ck_assert_int_eq(cmp_init(&dec, algo, 0), 0);
    if (max_chunk)
        enc.max_chunk = max_chunk;
    evbuffer_add(plain, data, len);
    npk = cmp_encode(&enc, plain, wire);
    ck_assert_int_ge(npk, len > 0 ? 1 : 0);
    ck_assert_uint_eq(evbuffer_get_length(plain), 0);
    ck_assert_uint_eq(enc.bytes_wire_out, evbuffer_get_length(wire));
    ndec = cmp_decode(&dec, wire, back, 0, err, sizeof(err));
    ck_assert_msg(ndec == npk, "decoded %d of %d packets: %s", ndec, npk, err);
    ck_assert_uint_eq(evbuffer_get_length(wire), 0);
    b = buf_bytes(back, &blen);
    ck_assert_uint_eq(blen, len);
    ck_assert(len == 0 || memcmp(b, data, len) == 0);
    ck_assert_uint_eq(dec.seq_mismatches, 0);
    ck_assert_uint_eq(dec.seq, enc.seq);
    cmp_free(&enc);
    cmp_free(&dec);
    evbuffer_free(plain);
    evbuffer_free(wire);
    evbuffer_free(back);
    return npk;
}

START_TEST(test_small_is_stored)
{
    static const uint8_t q[] = "\x05\x00\x00\x00\x03select 1";
    struct cmp_stream s;
    struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
    uint8_t *w;
    size_t wl;

    ck_assert_int_eq(cmp_init(&s, algos[_i], 0), 0);
    evbuffer_add(in, q, sizeof(q) - 1);
    ck_assert_int_eq(cmp_encode(&s, in, out), 1);
    w = buf_bytes(out, &wl);
    ck_assert_uint_eq(wl, 7 + sizeof(q) - 1);
    /* clen = 13, seq 0, ulen 0 = stored */
    ck_assert_int_eq(w[0], 13);
    ck_assert_int_eq(w[1] | w[2], 0);
    ck_assert_int_eq(w[3], 0);
    ck_assert_int_eq(w[4] | w[5] | w[6], 0);
    ck_assert_mem_eq(w + 7, q, sizeof(q) - 1);
    cmp_free(&s);
    evbuffer_free(in);
    evbuffer_free(out);
    round_trip(algos[_i], 0, q, sizeof(q) - 1);
}
END_TEST

START_TEST(test_round_trip_sizes)
{
    static const size_t sizes[] = {1, 49, 50, 51, 100, 4096, 65537, 300000, 1 << 20};
    uint8_t *data = malloc(1 << 20);

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        for (int e = 0; e < 2; e++) {
            fill(data, sizes[i], e, (uint32_t)i);
            round_trip(algos[_i], 0, data, sizes[i]);
            round_trip(algos[_i], 1000, data, sizes[i]);
        }
    }
    free(data);
}
END_TEST

/* Compressible data is compressed, random data is stored (never grows by more
 * than a header per chunk). */
START_TEST(test_compress_or_store)
{
    size_t n = 200000;
    uint8_t *data = malloc(n);
    struct cmp_stream s;
    struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
    uint8_t *w;
    size_t wl;

    ck_assert_int_eq(cmp_init(&s, algos[_i], 0), 0);
    fill(data, n, 0, 1);
    evbuffer_add(in, data, n);
    ck_assert_int_eq(cmp_encode(&s, in, out), 1);
    w = buf_bytes(out, &wl);
    ck_assert_uint_lt(wl, n / 50);
    ck_assert_uint_eq((uint32_t)w[4] | (uint32_t)w[5] << 8 | (uint32_t)w[6] << 16, n);
    /* an independent one-shot decoder (what MySQL uses) accepts the payload */
    {
        uint8_t *back = malloc(n);
        if (algos[_i] == CMP_ZLIB) {
            uLongf bl = n;
            ck_assert_int_eq(uncompress(back, &bl, w + 7, wl - 7), Z_OK);
            ck_assert_uint_eq(bl, n);
        } else {
            ck_assert_uint_eq(ZSTD_getFrameContentSize(w + 7, wl - 7), n);
            ck_assert_uint_eq(ZSTD_decompress(back, n, w + 7, wl - 7), n);
        }
        ck_assert_mem_eq(back, data, n);
        free(back);
    }
    evbuffer_drain(out, wl);
    fill(data, n, 1, 2);
    evbuffer_add(in, data, n);
    ck_assert_int_eq(cmp_encode(&s, in, out), 1);
    w = buf_bytes(out, &wl);
    ck_assert_uint_eq(wl, n + 7);
    ck_assert_int_eq(w[4] | w[5] | w[6], 0);
    ck_assert_int_eq(w[3], 1);
    cmp_free(&s);
    free(data);
    evbuffer_free(in);
    evbuffer_free(out);
}
END_TEST

START_TEST(test_large_payload)
{
    size_t n = 20u << 20; /* a 20 MiB BLOB: more than one 0xffffff packet */
    uint8_t *data = malloc(n);

    fill(data, n, 0, 3);
    for (size_t i = 0; i < n; i += 4093)
        data[i] = (uint8_t)i; /* not all one pattern */
    ck_assert_int_eq(round_trip(algos[_i], 0, data, n),
                     (int)((n + CMP_ENCODE_CHUNK - 1) / CMP_ENCODE_CHUNK));
    ck_assert_int_eq(round_trip(algos[_i], CMP_MAX_PAYLOAD, data, n), 2);
    fill(data, n, 1, 4);
    ck_assert_int_eq(round_trip(algos[_i], CMP_MAX_PAYLOAD, data, n), 2);
    free(data);
}
END_TEST

/* The stream made of several packets, fed to the decoder split at every byte
 * boundary, and then one byte at a time. */
START_TEST(test_split_every_boundary)
{
    uint8_t data[3000];
    struct cmp_stream enc;
    struct evbuffer *plain = evbuffer_new(), *wire = evbuffer_new();
    uint8_t *w;
    size_t wl;

    fill(data, 1000, 0, 5);
    fill(data + 1000, 1000, 1, 6);
    fill(data + 2000, 1000, 0, 7);
    ck_assert_int_eq(cmp_init(&enc, algos[_i], 0), 0);
    enc.max_chunk = 700;
    evbuffer_add(plain, data, 20); /* a stored packet first */
    ck_assert_int_eq(cmp_encode(&enc, plain, wire), 1);
    evbuffer_add(plain, data + 20, sizeof(data) - 20);
    ck_assert_int_eq(cmp_encode(&enc, plain, wire), 5);
    w = buf_bytes(wire, &wl);

    for (size_t k = 0; k <= wl; k++) {
        struct cmp_stream dec;
        struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
        char err[256] = "";
        int a, b;
        size_t ol;

        ck_assert_int_eq(cmp_init(&dec, algos[_i], 0), 0);
        evbuffer_add(in, w, k);
        a = cmp_decode(&dec, in, out, 0, err, sizeof(err));
        ck_assert_msg(a >= 0, "split %zu: %s", k, err);
        evbuffer_add(in, w + k, wl - k);
        b = cmp_decode(&dec, in, out, 0, err, sizeof(err));
        ck_assert_msg(b >= 0, "split %zu: %s", k, err);
        ck_assert_int_eq(a + b, 6);
        ck_assert_uint_eq(evbuffer_get_length(in), 0);
        ck_assert_mem_eq(buf_bytes(out, &ol), data, sizeof(data));
        ck_assert_uint_eq(ol, sizeof(data));
        cmp_free(&dec);
        evbuffer_free(in);
        evbuffer_free(out);
    }
    {
        struct cmp_stream dec;
        struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
        int total = 0;
        size_t ol;

        ck_assert_int_eq(cmp_init(&dec, algos[_i], 0), 0);
        for (size_t k = 0; k < wl; k++) {
            evbuffer_add(in, w + k, 1);
            int r = cmp_decode(&dec, in, out, 0, NULL, 0);
            ck_assert_int_ge(r, 0);
            total += r;
        }
        ck_assert_int_eq(total, 6);
        ck_assert_mem_eq(buf_bytes(out, &ol), data, sizeof(data));
        cmp_free(&dec);
        evbuffer_free(in);
        evbuffer_free(out);
    }
    cmp_free(&enc);
    evbuffer_free(plain);
    evbuffer_free(wire);
}
END_TEST

/* The payload is fed from a chain of many small evbuffer segments. */
START_TEST(test_fragmented_chains)
{
    size_t n = 100000;
    uint8_t *data = malloc(n);
    struct cmp_stream enc, dec;
    struct evbuffer *plain = evbuffer_new(), *wire = evbuffer_new(), *frag = evbuffer_new(),
                    *back = evbuffer_new();
    size_t wl, bl;
    uint8_t *w;

    fill(data, n, 0, 8);
    ck_assert_int_eq(cmp_init(&enc, algos[_i], 0), 0);
    ck_assert_int_eq(cmp_init(&dec, algos[_i], 0), 0);
    for (size_t off = 0; off < n; off += 333) /* separate chains, via references */
        evbuffer_add_reference(plain, data + off, n - off < 333 ? n - off : 333, NULL, NULL);
    ck_assert_int_eq(cmp_encode(&enc, plain, wire), 1);
    w = buf_bytes(wire, &wl);
    for (size_t off = 0; off < wl; off += 7)
        evbuffer_add_reference(frag, w + off, wl - off < 7 ? wl - off : 7, NULL, NULL);
    ck_assert_int_eq(cmp_decode(&dec, frag, back, 0, NULL, 0), 1);
    ck_assert_mem_eq(buf_bytes(back, &bl), data, n);
    ck_assert_uint_eq(bl, n);
    cmp_free(&enc);
    cmp_free(&dec);
    evbuffer_free(plain);
    evbuffer_free(wire);
    evbuffer_free(frag);
    evbuffer_free(back);
    free(data);
}
END_TEST

/* decode one hand-made packet, expect failure with a message */
static void expect_corrupt(enum cmp_algo algo, uint32_t max_ulen, uint32_t clen, uint32_t ulen,
                           const uint8_t *payload, size_t plen, const char *why)
{
    struct cmp_stream s;
    struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
    uint8_t h[7] = {(uint8_t)clen, (uint8_t)(clen >> 8), (uint8_t)(clen >> 16), 0,
                    (uint8_t)ulen, (uint8_t)(ulen >> 8), (uint8_t)(ulen >> 16)};
    char err[256] = "";

    ck_assert_int_eq(cmp_init(&s, algo, 0), 0);
    if (max_ulen)
        s.max_ulen = max_ulen;
    evbuffer_add(in, h, 7);
    evbuffer_add(in, payload, plen);
    ck_assert_msg(cmp_decode(&s, in, out, 0, err, sizeof(err)) == -1, "%s: accepted", why);
    ck_assert_msg(err[0] != '\0', "%s: no message", why);
    ck_assert_uint_eq(s.packets_in, 0);
    cmp_free(&s);
    evbuffer_free(in);
    evbuffer_free(out);
}

static size_t compress_ref(enum cmp_algo algo, const uint8_t *src, size_t n, uint8_t *dst,
                           size_t cap)
{
    if (algo == CMP_ZLIB) {
        uLongf dl = cap;
        ck_assert_int_eq(compress(dst, &dl, src, n), Z_OK);
        return dl;
    }
    size_t r = ZSTD_compress(dst, cap, src, n, 3);
    ck_assert(!ZSTD_isError(r));
    return r;
}

START_TEST(test_corrupt)
{
    enum cmp_algo a = algos[_i];
    uint8_t src[1000], z[2000], bad[300];
    size_t zl;

    fill(src, sizeof(src), 0, 9);
    zl = compress_ref(a, src, sizeof(src), z, sizeof(z));
    fill(bad, sizeof(bad), 1, 10);
    expect_corrupt(a, 0, sizeof(bad), 1000, bad, sizeof(bad), "garbage");
    expect_corrupt(a, 0, (uint32_t)zl, 999, z, zl, "ulen too small");
    expect_corrupt(a, 0, (uint32_t)zl, 1001, z, zl, "ulen too big");
    expect_corrupt(a, 500, (uint32_t)zl, 1000, z, zl, "ulen above max_ulen");
    expect_corrupt(a, 100, 200, 0, bad, 200, "stored above max_ulen");
    expect_corrupt(a, 0, (uint32_t)zl - 5, 1000, z, zl - 5, "truncated stream");
    expect_corrupt(a, 0, 0, 1000, z, 0, "empty payload");
    expect_corrupt(a, 0, 2000, 10, bad, 300,
                   "payload far larger than its content"); /* header alone */
    {
        uint8_t padded[2000];
        memcpy(padded, z, zl);
        memset(padded + zl, 0, sizeof(padded) - zl);
        expect_corrupt(a, 0, sizeof(padded), 1000, padded, sizeof(padded), "padded payload");
    }
    {
        uint8_t t[2100];
        memcpy(t, z, zl);
        memcpy(t + zl, "junk", 4);
        expect_corrupt(a, 0, (uint32_t)zl + 4, 1000, t, zl + 4, "trailing bytes");
        memcpy(t, z, zl);
        t[zl / 2] ^= 0x55;
        t[zl / 2 + 1] ^= 0xaa;
        /* a flipped byte: zlib catches it by adler32, zstd by structure or size */
        struct cmp_stream s;
        struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
        uint8_t h[7] = {(uint8_t)zl, (uint8_t)(zl >> 8), 0, 0, 0xe8, 0x03, 0};
        ck_assert_int_eq(cmp_init(&s, a, 0), 0);
        evbuffer_add(in, h, 7);
        evbuffer_add(in, t, zl);
        int r = cmp_decode(&s, in, out, 0, NULL, 0);
        if (a == CMP_ZLIB)
            ck_assert_int_eq(r, -1);
        else
            ck_assert(r == -1 || evbuffer_get_length(out) == 1000);
        cmp_free(&s);
        evbuffer_free(in);
        evbuffer_free(out);
    }
    /* the other algorithm's payload */
    zl = compress_ref(a == CMP_ZLIB ? CMP_ZSTD : CMP_ZLIB, src, sizeof(src), z, sizeof(z));
    expect_corrupt(a, 0, (uint32_t)zl, 1000, z, zl, "wrong algorithm");
}
END_TEST

/* A good packet after a bad one is never reached; a good one before it is
 * delivered; an incomplete packet is not an error. */
START_TEST(test_partial_then_error)
{
    struct cmp_stream s;
    struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
    static const uint8_t good[] = {3, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c'};
    static const uint8_t badh[] = {10, 0, 0, 1, 100, 0, 0};
    char err[128];

    ck_assert_int_eq(cmp_init(&s, CMP_ZLIB, 0), 0);
    evbuffer_add(in, good, sizeof(good));
    evbuffer_add(in, badh, sizeof(badh));
    ck_assert_int_eq(cmp_decode(&s, in, out, 0, err, sizeof(err)), 1); /* bad one incomplete */
    evbuffer_add(in, "0123456789", 10);
    ck_assert_int_eq(cmp_decode(&s, in, out, 0, err, sizeof(err)), -1);
    ck_assert_uint_eq(evbuffer_get_length(out), 3);
    ck_assert_uint_eq(evbuffer_get_length(in), 17);
    cmp_free(&s);
    /* max_packets bounds the work */
    ck_assert_int_eq(cmp_init(&s, CMP_ZLIB, 0), 0);
    evbuffer_drain(in, 17);
    for (int i = 0; i < 5; i++)
        evbuffer_add(in, good, sizeof(good));
    ck_assert_int_eq(cmp_decode(&s, in, out, 2, err, sizeof(err)), 2);
    ck_assert_int_eq(cmp_decode(&s, in, out, 0, err, sizeof(err)), 3);
    cmp_free(&s);
    evbuffer_free(in);
    evbuffer_free(out);
}
END_TEST

START_TEST(test_seq)
{
    struct cmp_stream cli, srv;
    struct evbuffer *a = evbuffer_new(), *w = evbuffer_new(), *b = evbuffer_new();
    uint8_t *p;
    size_t len;

    ck_assert_int_eq(cmp_init(&cli, algos[_i], 0), 0);
    ck_assert_int_eq(cmp_init(&srv, algos[_i], 0), 0);
    /* client command: seq 0 */
    cmp_reset_seq(&cli, 0);
    evbuffer_add(a, "\x01\x00\x00\x00\x0e", 5);
    ck_assert_int_eq(cmp_encode(&cli, a, w), 1);
    ck_assert_int_eq(evbuffer_pullup(w, 7)[3], 0);
    ck_assert_int_eq(cmp_decode(&srv, w, b, 0, NULL, 0), 1);
    ck_assert_int_eq(cmp_last_seq(&srv), 0);
    /* the reply continues from there: 1, 2 */
    srv.max_chunk = 100;
    evbuffer_add(a,
                 "0123456789012345678901234567890123456789012345678901234567890123456789"
                 "0123456789012345678901234567890123456789",
                 110);
    ck_assert_int_eq(cmp_encode(&srv, a, w), 2);
    p = buf_bytes(w, &len);
    ck_assert_int_eq(p[3], 1);
    ck_assert_int_eq(p[7 + (p[0] | p[1] << 8) + 3], 2); /* header after the first payload */
    ck_assert_int_eq(cmp_decode(&cli, w, b, 0, NULL, 0), 2);
    ck_assert_uint_eq(cli.seq_mismatches, 0);
    ck_assert_int_eq(cmp_last_seq(&cli), 2);
    /* next command resets; ids wrap at 255 */
    cmp_reset_seq(&cli, 255);
    evbuffer_add(a, "abcdef", 6);
    evbuffer_add(a, "ghijkl", 6);
    cli.max_chunk = 6;
    ck_assert_int_eq(cmp_encode(&cli, a, w), 2);
    p = buf_bytes(w, &len);
    ck_assert_int_eq(p[3], 255);
    ck_assert_int_eq(p[13 + 3], 0);
    ck_assert_int_eq(cmp_decode(&srv, w, b, 0, NULL, 0), 2);
    ck_assert_uint_eq(srv.seq_mismatches, 1); /* expected 3 after the reply, got 255 */
    ck_assert_int_eq(srv.seq, 1);
    cmp_free(&cli);
    cmp_free(&srv);
    evbuffer_free(a);
    evbuffer_free(w);
    evbuffer_free(b);
}
END_TEST

START_TEST(test_init_args)
{
    struct cmp_stream s;

    ck_assert_int_eq(cmp_init(&s, CMP_NONE, 0), -1);
    ck_assert_int_eq(cmp_init(&s, CMP_ZLIB, 10), -1);
    ck_assert_int_eq(cmp_init(&s, CMP_ZSTD, 23), -1);
    ck_assert_int_eq(cmp_init(&s, CMP_ZSTD, 19), 0);
    ck_assert_int_eq(s.level, 19);
    cmp_free(&s);
    cmp_free(&s); /* idempotent */
    ck_assert_int_eq(cmp_init(&s, CMP_ZLIB, 0), 0);
    ck_assert_int_eq(s.level, 1);
    ck_assert_str_eq(cmp_algo_name(CMP_ZSTD), "zstd");
    cmp_free(&s);
}
END_TEST

/* ---- transcripts from a real MariaDB 10.11 ---------------------------------- */

static struct evbuffer *load_hex(const char *name)
{
    char path[1024], line[4096];
    struct evbuffer *b = evbuffer_new();
    FILE *f;

    snprintf(path, sizeof(path), "%s/tests/data/compress/%s", DDLGATE_SOURCE_DIR, name);
    f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#')
            continue;
        for (char *p = line; p[0] && p[1] && p[0] != '\n'; p += 2) {
            unsigned v;
            ck_assert_int_eq(sscanf(p, "%2x", &v), 1);
            uint8_t c = (uint8_t)v;
            evbuffer_add(b, &c, 1);
        }
    }
    fclose(f);
    return b;
}

/* next plain packet from b: returns payload length, copies up to cap bytes */
static uint32_t next_plain(struct evbuffer *b, uint8_t *seq, uint8_t *payload, size_t cap)
{
    uint8_t h[4];
    uint32_t len;

    ck_assert_int_eq(evbuffer_remove(b, h, 4), 4);
    len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16;
    *seq = h[3];
    ck_assert_uint_ge(evbuffer_get_length(b), len);
    evbuffer_copyout(b, payload, len < cap ? len : cap);
    evbuffer_drain(b, len);
    return len;
}

START_TEST(test_transcript_small)
{
    struct evbuffer *s2c = load_hex("mariadb_repeat1000.s2c.hex");
    struct evbuffer *c2s = load_hex("mariadb_repeat1000.c2s.hex");
    struct evbuffer *plain = evbuffer_new();
    struct cmp_stream cli, srv;
    uint8_t p[2048], seq;
    char err[256] = "";
    uint32_t len;

    ck_assert_int_eq(cmp_init(&srv, CMP_ZLIB, 0), 0); /* ddlgate as the server side */
    ck_assert_int_eq(cmp_init(&cli, CMP_ZLIB, 0), 0); /* ddlgate as the client side */
    /* client: COM_QUERY then COM_QUIT, each a stored packet with id 0 */
    ck_assert_int_eq(cmp_decode(&srv, c2s, plain, 1, err, sizeof(err)), 1);
    ck_assert_int_eq(cmp_last_seq(&srv), 0);
    len = next_plain(plain, &seq, p, sizeof(p));
    ck_assert_int_eq(seq, 0);
    ck_assert_int_eq(p[0], 0x03);
    ck_assert_mem_eq(p + 1, "select repeat(\"a\",1000)", len - 1);
    /* server reply: one zlib packet, id 1, holding the whole result set */
    ck_assert_int_eq(cmp_decode(&cli, s2c, plain, 0, err, sizeof(err)), 1);
    ck_assert_uint_eq(cli.seq_mismatches, 1); /* a fresh stream expected 0 */
    ck_assert_int_eq(cmp_last_seq(&cli), 1);
    ck_assert_uint_eq(cli.bytes_plain_in, 1074);
    len = next_plain(plain, &seq, p, sizeof(p));
    ck_assert_int_eq(len, 2);  /* MariaDB cache-metadata: count + "metadata follows" */
    ck_assert_int_eq(p[0], 1); /* one column */
    len = next_plain(plain, &seq, p, sizeof(p));
    ck_assert_int_eq(seq, 2);
    ck_assert_mem_eq(p,
                     "\x03"
                     "def",
                     4); /* column definition */
    len = next_plain(plain, &seq, p, sizeof(p));
    ck_assert_int_eq(p[0], 0xfe); /* EOF */
    len = next_plain(plain, &seq, p, sizeof(p));
    ck_assert_int_eq(len, 1003);
    ck_assert_mem_eq(p, "\xfc\xe8\x03", 3);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(p[3 + i], 'a');
    len = next_plain(plain, &seq, p, sizeof(p));
    ck_assert_int_eq(p[0], 0xfe);
    ck_assert_int_eq(seq, 5);
    ck_assert_uint_eq(evbuffer_get_length(plain), 0);
    /* COM_QUIT starts a new command: id 0 again */
    ck_assert_int_eq(cmp_decode(&srv, c2s, plain, 0, err, sizeof(err)), 1);
    ck_assert_int_eq(cmp_last_seq(&srv), 0);
    len = next_plain(plain, &seq, p, sizeof(p));
    ck_assert_int_eq(len, 1);
    ck_assert_int_eq(p[0], 0x01);
    cmp_free(&cli);
    cmp_free(&srv);
    evbuffer_free(s2c);
    evbuffer_free(c2s);
    evbuffer_free(plain);
}
END_TEST

/* 17,000,000 'x': zlib packets of 16384, 16760897, 16384, 206414 bytes and a
 * stored one; the row spans two plain packets and those span compressed ones. */
START_TEST(test_transcript_large)
{
    struct evbuffer *s2c = load_hex("mariadb_repeat17m.s2c.hex");
    struct evbuffer *plain = evbuffer_new(), *row = evbuffer_new(), *rewire = evbuffer_new();
    struct cmp_stream cli, enc;
    uint8_t p[256], seq, *r;
    char err[256] = "";
    uint32_t len;
    size_t rl;

    ck_assert_int_eq(cmp_init(&cli, CMP_ZLIB, 0), 0);
    cmp_reset_seq(&cli, 1);
    ck_assert_int_eq(cmp_decode(&cli, s2c, plain, 0, err, sizeof(err)), 5);
    ck_assert_uint_eq(cli.seq_mismatches, 0);
    ck_assert_uint_eq(cli.bytes_plain_in, 16384u + 16760897u + 16384u + 206414u + 9u);
    next_plain(plain, &seq, p, sizeof(p)); /* column count */
    next_plain(plain, &seq, p, sizeof(p)); /* column def */
    next_plain(plain, &seq, p, sizeof(p)); /* EOF */
    ck_assert_int_eq(p[0], 0xfe);
    /* row: 0xffffff payload + the rest; lenenc 0xfe + 8 bytes + 17e6 'x' */
    for (int i = 0; i < 2; i++) {
        uint8_t h[4];
        ck_assert_int_eq(evbuffer_remove(plain, h, 4), 4);
        len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16;
        ck_assert_uint_eq(len, i == 0 ? 0xffffffu : 17000009u - 0xffffffu);
        ck_assert_int_eq(evbuffer_remove_buffer(plain, row, len), (int)len);
    }
    r = buf_bytes(row, &rl);
    ck_assert_uint_eq(rl, 17000009u);
    ck_assert_mem_eq(r, "\xfe\x40\x66\x03\x01\0\0\0\0", 9); /* 17000000 = 0x1036640 */
    for (size_t i = 9; i < rl; i++)
        if (r[i] != 'x')
            ck_abort_msg("byte %zu is not 'x'", i);
    next_plain(plain, &seq, p, sizeof(p));
    ck_assert_int_eq(p[0], 0xfe);
    ck_assert_uint_eq(evbuffer_get_length(plain), 0);
    /* re-encode the row and decode it again with our own codec */
    ck_assert_int_eq(cmp_init(&enc, CMP_ZLIB, 1), 0);
    ck_assert_int_eq(cmp_encode(&enc, row, rewire),
                     (int)((17000009u + CMP_ENCODE_CHUNK - 1) / CMP_ENCODE_CHUNK));
    ck_assert_int_ge(cmp_decode(&cli, rewire, plain, 0, err, sizeof(err)), 1);
    ck_assert_uint_eq(evbuffer_get_length(plain), 17000009u);
    cmp_free(&cli);
    cmp_free(&enc);
    evbuffer_free(s2c);
    evbuffer_free(plain);
    evbuffer_free(row);
    evbuffer_free(rewire);
}
END_TEST

/* The small transcript fed one byte at a time. */
START_TEST(test_transcript_bytewise)
{
    struct evbuffer *s2c = load_hex("mariadb_repeat1000.s2c.hex");
    struct evbuffer *in = evbuffer_new(), *plain = evbuffer_new();
    struct cmp_stream cli;
    int total = 0;
    uint8_t c;

    ck_assert_int_eq(cmp_init(&cli, CMP_ZLIB, 0), 0);
    while (evbuffer_remove(s2c, &c, 1) == 1) {
        evbuffer_add(in, &c, 1);
        int r = cmp_decode(&cli, in, plain, 0, NULL, 0);
        ck_assert_int_ge(r, 0);
        total += r;
    }
    ck_assert_int_eq(total, 1);
    ck_assert_uint_eq(evbuffer_get_length(plain), 1074);
    cmp_free(&cli);
    evbuffer_free(s2c);
    evbuffer_free(in);
    evbuffer_free(plain);
}
END_TEST

static Suite *compress_suite(void)
{
    Suite *s = suite_create("compress");
    TCase *tc = tcase_create("codec");

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_small_is_stored, 0, 2);
    tcase_add_loop_test(tc, test_round_trip_sizes, 0, 2);
    tcase_add_loop_test(tc, test_compress_or_store, 0, 2);
    tcase_add_loop_test(tc, test_large_payload, 0, 2);
    tcase_add_loop_test(tc, test_split_every_boundary, 0, 2);
    tcase_add_loop_test(tc, test_fragmented_chains, 0, 2);
    tcase_add_loop_test(tc, test_corrupt, 0, 2);
    tcase_add_test(tc, test_partial_then_error);
    tcase_add_loop_test(tc, test_seq, 0, 2);
    tcase_add_test(tc, test_init_args);
    tcase_add_test(tc, test_transcript_small);
    tcase_add_test(tc, test_transcript_large);
    tcase_add_test(tc, test_transcript_bytewise);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(compress_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
