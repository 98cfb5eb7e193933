#!/usr/bin/python3
"""Record one MySQL connection through a TCP relay, to make the compressed
protocol transcripts in this directory.

usage: capture_relay.py LISTEN_PORT SERVER_PORT OUT_PREFIX
Accepts one client on 127.0.0.1:LISTEN_PORT, relays it to 127.0.0.1:SERVER_PORT
and writes OUT_PREFIX.raw.c2s / OUT_PREFIX.raw.s2c (raw bytes per direction).
Then strip_handshake() in make_hex.py keeps the part after the auth OK.
"""
import selectors
import socket
import sys


def main():
    lport, sport, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", lport))
    ls.listen(1)
    ls.settimeout(30)
    c, _ = ls.accept()
    s = socket.create_connection(("127.0.0.1", sport), timeout=10)
    logs = {c: open(prefix + ".raw.c2s", "wb"), s: open(prefix + ".raw.s2c", "wb")}
    peer = {c: s, s: c}
    sel = selectors.DefaultSelector()
    sel.register(c, selectors.EVENT_READ)
    sel.register(s, selectors.EVENT_READ)
    open_socks = 2
    while open_socks:
        events = sel.select(timeout=30)
        if not events:
            break
        for key, _ in events:
            sock = key.fileobj
            data = sock.recv(1 << 16)
            if not data:
                sel.unregister(sock)
                peer[sock].shutdown(socket.SHUT_WR)
                open_socks -= 1
                continue
            logs[sock].write(data)
            peer[sock].sendall(data)
    for f in logs.values():
        f.close()


if __name__ == "__main__":
    main()
