/*
 * fuzz_client_packets.c - libFuzzer target for the client leg: the command
 * decoder and state machine in client.c (framing, multi-frame statements,
 * the gate pipeline, prepared statements, COM_CHANGE_USER, LOCAL INFILE,
 * pipelining) and, with the compress option, the compressed-protocol reader.
 *
 * A real session (session_new) runs in-process against a scripted fake
 * backend that answers every command (fz_session.h).  Input: byte 0 picks
 * the client capabilities of the fixed handshake (FZ_OPT_*); the rest is
 * what the client sends after the server's OK, in up to 4 writes split at
 * the offsets bytes 1-2 suggest, with the event loop run between writes.
 * Checks: ASan/UBSan, and that the session always closes when its client
 * leaves (no leaked or stuck session).
 * Build: cmake -DDDLGATE_FUZZ=ON with CC=clang.
 */
#include "fz_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;

    if (!init) {
        fz_init();
        init = true;
    }
    if (size < 3 || size > 256 * 1024)
        return 0;
    uint8_t opts = data[0];
    size_t step = ((size_t)data[1] | ((size_t)data[2] << 8)) % (size - 3 + 1);
    const uint8_t *p = data + 3;
    size_t len = size - 3;

    if (fz_connect(opts)) {
        /* the client's bytes arrive in pieces, as TCP may deliver them */
        size_t off = 0;
        for (int i = 0; i < 4 && off < len && fz_session_alive(); i++) {
            size_t n = (step == 0 || i == 3) ? len - off : (step < len - off ? step : len - off);
            fz_write_all(fz.cfd, p + off, n);
            off += n;
            fz_spin(8);
        }
        fz_spin(16);
    }
    fz_teardown();
    return 0;
}
