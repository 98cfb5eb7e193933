/*
 * compress.h - the MySQL compressed protocol (CLIENT_COMPRESS = zlib,
 * CLIENT_ZSTD_COMPRESSION_ALGORITHM = zstd) as a codec between evbuffers.
 *
 * After the handshake, when compression was agreed, every byte on the wire
 * is framed in compressed packets:
 *
 *   3 bytes  payload length on the wire (<= 0xffffff)
 *   1 byte   compressed sequence id
 *   3 bytes  uncompressed length, 0 = payload stored as is
 *   payload  a zlib stream / zstd frame, or the raw bytes
 *
 * The payloads, concatenated, are the plain packet stream; a plain packet may
 * span several compressed packets and one compressed packet may hold many
 * plain packets.  The codec knows nothing about plain packets: it turns bytes
 * into bytes, so the caller keeps framing plain packets with pkt.h.
 *
 * One struct cmp_stream per compressed connection leg (client<->ddlgate or
 * ddlgate<->backend), used for both directions, because the two directions
 * share one compressed sequence: the peer's command starts at 0 and the reply
 * continues from the last id received.  cmp_decode() adopts the id it reads
 * (next id = received + 1), so replies sent with cmp_encode() continue
 * correctly without help.  When ddlgate itself starts a new command on a leg
 * (backend leg: before encoding each client command it forwards), call
 * cmp_reset_seq(s, 0) first.
 *
 * Memory: the zlib/zstd contexts are created lazily on first use and reused
 * for every packet (no per-packet allocation in the codec itself; evbuffer
 * chains are allocated by libevent as usual).  cmp_decode() needs the whole
 * compressed packet in `in` (at most 7 + 0xffffff bytes): a bufferevent read
 * high-watermark below that would stall the leg.  It decompresses straight
 * from the evbuffer chains into reserved space of `out` (no pullup, no
 * scratch copy); stored payloads move between evbuffers without copying.
 *
 * Ownership: struct cmp_stream is caller-owned storage (embed it in the
 * connection); cmp_free() releases what cmp_init()/use allocated inside it.
 * Evbuffers are always the caller's.
 */
#ifndef DDLGATE_COMPRESS_H
#define DDLGATE_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct z_stream_s;
struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

#define CMP_HDR_LEN 7
#define CMP_MAX_PAYLOAD 0xffffffu
/* Senders leave payloads below this size uncompressed (MySQL does the same). */
#define CMP_MIN_COMPRESS 50u
#define CMP_ZSTD_DEFAULT_LEVEL 3
/* Default plain bytes per encoded packet: big enough that zlib's 32 KiB and
 * zstd's level-3 windows lose almost nothing, small enough that a 1 GiB
 * result set streams with little memory and latency per packet. */
#define CMP_ENCODE_CHUNK (256u * 1024u)

enum cmp_algo {
    CMP_NONE = 0, /* no compression on this leg: cmp_* must not be called */
    CMP_ZLIB,     /* CLIENT_COMPRESS */
    CMP_ZSTD,     /* CLIENT_ZSTD_COMPRESSION_ALGORITHM */
};

struct cmp_stream {
    enum cmp_algo algo;
    int level;               /* zlib 1..9 or zstd 1..22 */
    uint8_t seq;             /* next compressed sequence id to send/expect */
    uint32_t max_ulen;       /* decode: reject packets inflating above this */
    uint32_t min_compress;   /* encode: store chunks shorter than this */
    uint32_t max_chunk;      /* encode: plain bytes per packet, <= 0xffffff */
    struct z_stream_s *zdef; /* lazily created, reused */
    struct z_stream_s *zinf;
    struct ZSTD_CCtx_s *zcctx;
    struct ZSTD_DCtx_s *zdctx;
    /* counters for SHOW output / tests */
    uint64_t seq_mismatches; /* decoded ids not expected (0 always is: new command) */
    uint64_t packets_in, packets_out;
    uint64_t bytes_wire_in, bytes_plain_in;   /* decoded: wire -> plain */
    uint64_t bytes_plain_out, bytes_wire_out; /* encoded: plain -> wire */
};

/* level <= 0 picks the default (zlib: 1, fast, since nothing negotiates it;
 * zstd: 3).  For zstd pass the level the client asked for in its handshake
 * response.  The decoder accepts any level.
 * Returns 0, or -1 for CMP_NONE / an out-of-range level. */
int cmp_init(struct cmp_stream *s, enum cmp_algo algo, int level);
void cmp_free(struct cmp_stream *s);

/* Decode every whole compressed packet at the front of `in`, appending the
 * plain bytes to `out` and draining `in`; an incomplete packet stays in `in`.
 * Returns the number of compressed packets decoded (>= 0), or -1 on corrupt
 * input with a message in err (the leg must then be closed: `in` is left at
 * the bad packet).  max_packets (0 = no limit) bounds the work per call so a
 * huge buffered burst cannot monopolise the event loop. */
int cmp_decode(struct cmp_stream *s, struct evbuffer *in, struct evbuffer *out,
               unsigned max_packets, char *err, size_t errlen);

/* Compress all of `in` (plain packet bytes) into compressed packets appended
 * to `out`, in chunks of s->max_chunk plain bytes; drains `in`.  A chunk
 * that is short or does not shrink is stored uncompressed (moved, not copied).
 * Returns the number of compressed packets written, or -1 on allocation or
 * library failure (`in` keeps what was not encoded). */
int cmp_encode(struct cmp_stream *s, struct evbuffer *in, struct evbuffer *out);

/* Next compressed sequence id (set before ddlgate starts a command). */
void cmp_reset_seq(struct cmp_stream *s, uint8_t seq);
/* The id of the last packet decoded or encoded (seq - 1). */
uint8_t cmp_last_seq(const struct cmp_stream *s);

const char *cmp_algo_name(enum cmp_algo algo);

#endif
