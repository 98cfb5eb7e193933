/*
 * fuzz_server_packets.c - libFuzzer target for the backend leg: the
 * response state machine in server.c (OK/ERR/EOF, result sets with and
 * without DEPRECATE_EOF, PREPARE-OK, COM_FIELD_LIST, COM_CHANGE_USER auth
 * switches, LOCAL INFILE requests, multi-results, split 16 MiB frames).
 *
 * A real session runs in-process (fz_session.h).  After a fixed handshake
 * the harness client sends one command chosen by byte 1; the fake backend
 * answers it with the rest of the input verbatim (framing included), then
 * the client sends COM_PING, which must not crash whatever state the
 * answer left behind.  Byte 0 picks the client capabilities (FZ_OPT_*,
 * without compression).
 * Checks: ASan/UBSan, and that the session always closes when its client
 * leaves (no leaked or stuck session).
 * Build: cmake -DDDLGATE_FUZZ=ON with CC=clang.
 */
#include "fz_session.h"

static void fz_client_command(const uint8_t *payload, size_t len)
{
    uint8_t hdr[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), 0};
    fz_write_all(fz.cfd, hdr, 4);
    fz_write_all(fz.cfd, payload, len);
}

/* FZ_SKIP_BIG_FRAMES=1 skips answers with a frame over 64 KiB: those hit
 * the known overflow in server.c on_command_packet (resp_advance() reads a
 * 5-byte copy as the whole payload) and would drown every other finding
 * until it is fixed. */
static bool fz_has_big_frame(const uint8_t *p, size_t n)
{
    size_t at = 0;

    while (n - at >= 4) {
        size_t len = (size_t)p[at] | ((size_t)p[at + 1] << 8) | ((size_t)p[at + 2] << 16);
        if (len > 65536)
            return true;
        if (n - at - 4 < len)
            break;
        at += 4 + len;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    /* commands whose answers the state machine tracks differently */
    static const struct {
        const char *bytes;
        size_t len;
    } cmds[] = {
        {"\x03SELECT a, b FROM t", 19},               /* COM_QUERY: RESP_FIRST */
        {"\x16SELECT ? FROM t", 16},                  /* COM_STMT_PREPARE */
        {"\x04t\0", 3},                               /* COM_FIELD_LIST: until EOF */
        {"\x17\x01\0\0\0\0\x01\0\0\0", 10},           /* COM_STMT_EXECUTE: binary rows */
        {"\x1c\x01\0\0\0\x0a\0\0\0", 9},              /* COM_STMT_FETCH */
        {"\x11u2\0\x14xxxxxxxxxxxxxxxxxxxxdb\0", 26}, /* COM_CHANGE_USER: auth relay */
        {"\x09", 1},                                  /* COM_STATISTICS: one packet */
        {"\x03LOAD DATA LOCAL INFILE 'f' INTO TABLE t", 40},
    };

    if (!init) {
        fz_init();
        init = true;
    }
    static int skip_big = -1;
    if (skip_big < 0)
        skip_big = getenv("FZ_SKIP_BIG_FRAMES") != NULL;
    if (size < 2 || size > 256 * 1024)
        return 0;
    if (skip_big && fz_has_big_frame(data + 2, size - 2))
        return 0;
    uint8_t opts = data[0] & (uint8_t)~FZ_OPT_COMPRESS;
    unsigned which = data[1] % (sizeof(cmds) / sizeof(cmds[0]));

    if (fz_connect(opts)) {
        fz.reply = data + 2;
        fz.reply_len = size - 2;
        fz.reply_pending = true;
        fz_client_command((const uint8_t *)cmds[which].bytes, cmds[which].len);
        fz_spin(16);
        if (fz_session_alive() && fz.s->state == SESS_LOCAL_INFILE)
            fz_client_command((const uint8_t *)"", 0); /* empty file */
        fz_spin(4);
        if (fz_session_alive())
            fz_client_command((const uint8_t *)"\x0e", 1); /* COM_PING */
        fz_spin(8);
    }
    fz.reply_pending = false;
    fz_teardown();
    return 0;
}
