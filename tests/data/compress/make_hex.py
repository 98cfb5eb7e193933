#!/usr/bin/python3
"""Turn a capture_relay.py recording into the .hex transcripts used by
tests/unit/check_compress.c: drop the plain handshake (server: greeting +
auth OK; client: handshake response) and keep the compressed stream.

usage: make_hex.py PREFIX "description"   -> PREFIX.s2c.hex, PREFIX.c2s.hex
Assumes no auth switch (true for root without password, native auth).
"""
import sys


def skip_plain(data, npackets):
    off = 0
    for _ in range(npackets):
        off += 4 + int.from_bytes(data[off:off + 3], "little")
    return data[off:]


def write_hex(path, data, desc):
    with open(path, "w") as f:
        f.write("# %s\n# %d bytes of compressed protocol, captured from MariaDB 10.11.19\n" % (desc, len(data)))
        for i in range(0, len(data), 32):
            f.write(data[i:i + 32].hex() + "\n")


def main():
    prefix, desc = sys.argv[1], sys.argv[2]
    s2c = skip_plain(open(prefix + ".raw.s2c", "rb").read(), 2)
    c2s = skip_plain(open(prefix + ".raw.c2s", "rb").read(), 1)
    write_hex(prefix + ".s2c.hex", s2c, desc + " (server to client)")
    write_hex(prefix + ".c2s.hex", c2s, desc + " (client to server)")


if __name__ == "__main__":
    main()
