/*
 * fuzz_compress.c - libFuzzer target for the compressed protocol decoder.
 *
 * Input: byte 0 picks the algorithm (bit 0) and how the rest is fed to
 * cmp_decode (bits 1-3: piece size 1, 2, 3, 7, 64, 1000 or all at once);
 * the remaining bytes are the compressed stream.  Whatever decodes is then
 * encoded again and must decode back to the same bytes.
 */
#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"

#define FUZZ_MAX_ULEN (1u << 20) /* keep iterations fast; the codec allows 16 MiB */

static const size_t piece_sizes[8] = {1, 2, 3, 7, 64, 1000, 0, 0}; /* 0 = all */

static void check_reencode(enum cmp_algo algo, struct evbuffer *plain)
{
    struct cmp_stream enc, dec;
    struct evbuffer *copy = evbuffer_new(), *wire = evbuffer_new(), *back = evbuffer_new();
    size_t n = evbuffer_get_length(plain);
    int np;

    if (copy == NULL || wire == NULL || back == NULL || cmp_init(&enc, algo, 1) != 0 ||
        cmp_init(&dec, algo, 0) != 0)
        abort();
    enc.max_chunk = 4096; /* several packets even for small inputs */
    evbuffer_add(copy, evbuffer_pullup(plain, -1), n);
    np = cmp_encode(&enc, copy, wire);
    if (np < 0 || cmp_decode(&dec, wire, back, 0, NULL, 0) != np)
        abort();
    if (evbuffer_get_length(back) != n ||
        (n > 0 && memcmp(evbuffer_pullup(back, -1), evbuffer_pullup(plain, -1), n) != 0))
        abort();
    cmp_free(&enc);
    cmp_free(&dec);
    evbuffer_free(copy);
    evbuffer_free(wire);
    evbuffer_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cmp_stream s;
    struct evbuffer *in, *out;
    enum cmp_algo algo;
    size_t piece, off;
    char err[256];
    bool failed = false;

    if (size < 1)
        return 0;
    algo = (data[0] & 1) ? CMP_ZSTD : CMP_ZLIB;
    piece = piece_sizes[(data[0] >> 1) & 7];
    data++;
    size--;
    if (piece == 0)
        piece = size > 0 ? size : 1;
    in = evbuffer_new();
    out = evbuffer_new();
    if (in == NULL || out == NULL || cmp_init(&s, algo, 0) != 0)
        abort();
    s.max_ulen = FUZZ_MAX_ULEN;
    for (off = 0; off < size && !failed; off += piece) {
        size_t n = size - off < piece ? size - off : piece;

        evbuffer_add(in, data + off, n);
        failed = cmp_decode(&s, in, out, 0, err, sizeof(err)) < 0;
        if (failed && err[0] == '\0')
            abort(); /* every failure must say why */
    }
    if (evbuffer_get_length(out) > 0)
        check_reencode(algo, out);
    cmp_free(&s);
    evbuffer_free(in);
    evbuffer_free(out);
    return 0;
}
