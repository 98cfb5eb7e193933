#!/usr/bin/python3
"""faults.py - fault tests for ddlgate with raw sockets (run by test_faults.sh).

Needs a ddlgate of its own in front of a sandbox of its own, because the last
cases kill the backend.  Every case prints "ok - name" or "not ok - name: why".

  faults.py --dg-port P --dg-pid PID --dg-tls-port P2 --dg-tls-pid PID2 --certs DIR
            --sandbox DIR [--repo ROOT]

Client-side faults (garbage, truncated packets, a 16 MiB packet that never
arrives, a client that stops reading, 1,000 connections dropped at once, twice,
slow-loris handshakes) run while a watcher client issues SELECT 1 every 20 ms:
the watcher must see no error, ddlgate must stay up, and its RSS must come back
to the baseline.  The same faults over TLS (garbage after the SSLRequest, a TLS
client that stops reading, a slow-loris TLS handshake) run against a second
ddlgate with TLS on both legs, with a TLS watcher.  Then the backend is stopped
(SIGSTOP) and killed (SIGKILL) under clients mid-result-set (plain and TLS) and
mid-transaction, and restarted on its port.
Every loop is bounded in count and time; only 127.0.0.1 is used.
"""
import argparse
import hashlib
import os
import random
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import zlib

HOST = "127.0.0.1"
CLIENT_CAPS = (0x00000001 | 0x00000004 | 0x00000008 | 0x00000200 | 0x00002000 | 0x00008000
               | 0x00020000 | 0x00080000)
CLIENT_COMPRESS = 0x00000020
RESULTS = {"passed": 0, "failed": 0}
# FAULTS_NO_QUIT=1: clients close without COM_QUIT (by default half of them
# end with COM_QUIT, as most drivers do; a COM_QUIT once freed the session
# under its own feet, so both endings are exercised)
SEND_QUIT = not os.environ.get("FAULTS_NO_QUIT")


def ok(name, detail=""):
    RESULTS["passed"] += 1
    print("ok - %s%s" % (name, (" (%s)" % detail) if detail else ""), flush=True)


def not_ok(name, why):
    RESULTS["failed"] += 1
    print("not ok - %s: %s" % (name, why), flush=True)


def check_rss(env, name, cond, why, detail=""):
    """An RSS bound; only reported, not checked, under ASan."""
    if env.sanitized:
        return ok(name, "not checked under ASan: " + (detail or why))
    return check(name, cond, why, detail)


def check(name, cond, why, detail=""):
    if cond:
        ok(name, detail)
    else:
        not_ok(name, why)
    return cond


class DbError(Exception):
    def __init__(self, code, msg):
        super().__init__("ERROR %d: %s" % (code, msg))
        self.code = code


class Closed(Exception):
    pass


def scramble(password, salt):
    if not password:
        return b""
    h1 = hashlib.sha1(password.encode()).digest()
    h2 = hashlib.sha1(h1).digest()
    h3 = hashlib.sha1(salt + h2).digest()
    return bytes(a ^ b for a, b in zip(h1, h3))


CLIENT_SSL = 0x00000800


def ssl_request():
    """The SSLRequest packet's payload: capabilities with CLIENT_SSL, nothing else."""
    return struct.pack("<IIB", CLIENT_CAPS | CLIENT_SSL, 1 << 24, 45) + b"\0" * 23


def tls_context(certs):
    ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
    ctx.check_hostname = False  # the certificate names IP 127.0.0.1; verified by the CA
    return ctx


class Conn:
    """A minimal MySQL-protocol client: mysql_native_password, text queries."""

    def __init__(self, port, user="app", password="apppass", db="test", timeout=10.0,
                 handshake=True, tls=None, caps=CLIENT_CAPS):
        """tls: an ssl.SSLContext to upgrade with (SSLRequest) before logging in."""
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""
        self.seq = 0
        self.tls = tls
        self.caps = caps
        if handshake:
            self.greeting = self.read_packet()
            if self.greeting[:1] == b"\xff":  # ddlgate's or the server's refusal
                raise self.err(self.greeting)
            if tls is not None:
                self.start_tls(tls)
            self.login(user, password, db)

    def start_tls(self, ctx):
        """SSLRequest (seq 1), then the TLS handshake; the login follows with seq 2."""
        self.send_packet(ssl_request(), 1)
        self.sock = ctx.wrap_socket(self.sock, server_hostname=HOST)

    def close(self, quit=False):
        try:
            if quit and SEND_QUIT:
                self.seq = 0
                self.send_packet(b"\x01")  # COM_QUIT, as most drivers end
            self.sock.close()
        except OSError:
            pass

    def recv_exact(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise
            except OSError as e:
                raise Closed(str(e))
            if not chunk:
                raise Closed("connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_packet(self):
        hdr = self.recv_exact(4)
        n = hdr[0] | hdr[1] << 8 | hdr[2] << 16
        self.seq = (hdr[3] + 1) & 0xff
        return self.recv_exact(n)

    def send_packet(self, payload, seq=None):
        if seq is None:
            seq = self.seq
        self.sock.sendall(struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload)
        self.seq = (seq + 1) & 0xff

    @staticmethod
    def salt_of(g):
        p = g.index(b"\0", 1) + 1
        salt1 = g[p + 4:p + 12]
        p += 4 + 8 + 1 + 2 + 1 + 2 + 2
        auth_len = g[p]
        p += 1 + 10
        n2 = max(13, auth_len - 8)
        return salt1 + g[p:p + n2].rstrip(b"\0")[:12]

    def login(self, user, password, db):
        salt = self.salt_of(self.greeting)
        auth = scramble(password, salt)
        payload = (struct.pack("<IIB", self.caps, 1 << 24, 45) + b"\0" * 23 + user.encode() + b"\0"
                   + bytes([len(auth)]) + auth + db.encode() + b"\0" + b"mysql_native_password\0")
        self.send_packet(payload, 2 if self.tls is not None else 1)
        for _ in range(4):
            p = self.read_packet()
            if p[0] == 0x00:
                return
            if p[0] == 0xff:
                raise self.err(p)
            if p[0] == 0xfe:  # auth switch
                name_end = p.index(b"\0", 1)
                self.send_packet(scramble(password, p[name_end + 1:].rstrip(b"\0")))
                continue
            raise Closed("unexpected auth packet 0x%02x" % p[0])
        raise Closed("authentication did not finish")

    @staticmethod
    def err(p):
        code = p[1] | p[2] << 8
        msg = p[9:] if len(p) > 9 and p[3:4] == b"#" else p[3:]
        return DbError(code, msg.decode(errors="replace"))

    def send_query(self, sql):
        self.seq = 0
        self.send_packet(b"\x03" + sql.encode())

    def read_result(self, max_rows=None):
        """Read one result; returns the number of rows (0 for OK)."""
        p = self.read_packet()
        if p[0] == 0xff:
            raise self.err(p)
        if p[0] == 0x00:
            return 0
        ncols = p[0]
        for _ in range(ncols):
            self.read_packet()
        p = self.read_packet()  # EOF after the column definitions
        rows = 0
        while True:
            p = self.read_packet()
            if p[0] == 0xff:
                raise self.err(p)
            if p[0] == 0xfe and len(p) < 9:
                return rows
            rows += 1
            if max_rows is not None and rows >= max_rows:
                return rows

    def query(self, sql):
        self.send_query(sql)
        return self.read_result()


class ZConn(Conn):
    """Conn over the compressed protocol (zlib) once logged in."""

    def __init__(self, port, **kw):
        self.z = False
        self.plain = b""
        super().__init__(port, caps=CLIENT_CAPS | CLIENT_COMPRESS, **kw)
        self.z = True

    def read_packet(self):
        if not self.z:
            return super().read_packet()
        while len(self.plain) < 4 or len(self.plain) < 4 + (int.from_bytes(self.plain[:3], "little")):
            h = self.recv_exact(7)
            body = self.recv_exact(int.from_bytes(h[:3], "little"))
            ulen = int.from_bytes(h[4:7], "little")
            self.plain += zlib.decompress(body) if ulen else body
        n = int.from_bytes(self.plain[:3], "little")
        self.seq = (self.plain[3] + 1) & 0xff
        out, self.plain = self.plain[4:4 + n], self.plain[4 + n:]
        return out

    @staticmethod
    def frame(payload):
        """One command as one compressed packet (both sequence ids 0)."""
        plain = struct.pack("<I", len(payload))[:3] + b"\0" + payload
        body = zlib.compress(plain)
        return struct.pack("<I", len(body))[:3] + b"\0" + struct.pack("<I", len(plain))[:3] + body

    def send_packet(self, payload, seq=None):
        if not self.z:
            return super().send_packet(payload, seq)
        self.sock.sendall(self.frame(payload))


# ---- the ddlgate and sandbox under test -------------------------------------------------


class Env:
    def __init__(self, args):
        self.port = args.dg_port
        self.pid = args.dg_pid
        self.sandbox = args.sandbox
        self.repo = args.repo
        # the second ddlgate: TLS toward clients and toward the backend
        self.tls_port = args.dg_tls_port
        self.tls_pid = args.dg_tls_pid
        self.tls_ctx = tls_context(args.certs) if args.certs else None
        self.peak_rss = 0
        # ASan keeps freed memory in quarantine: RSS says nothing there
        try:
            with open("/proc/%d/maps" % self.pid) as f:
                self.sanitized = "libasan" in f.read()
        except OSError:
            self.sanitized = False

    def alive(self, pid=None):
        try:
            os.kill(pid or self.pid, 0)
            return True
        except OSError:
            return False

    def rss_kb(self, pid=None):
        try:
            with open("/proc/%d/status" % (pid or self.pid)) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        v = int(line.split()[1])
                        if not pid or pid == self.pid:
                            self.peak_rss = max(self.peak_rss, v)
                        return v
        except OSError:
            pass
        return -1

    def sandbox_env(self):
        env = {}
        with open(os.path.join(self.sandbox, "env")) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    env[k] = v.strip("'\"")
        return env

    def sql(self, stmt):
        """Run stmt as root over the sandbox socket; returns stdout ('' on failure)."""
        r = subprocess.run([os.path.join(self.repo, "scripts/mariadb-sandbox.sh"), "sql",
                            self.sandbox, "-N", "-e", stmt], capture_output=True, text=True,
                           timeout=30)
        return r.stdout.strip() if r.returncode == 0 else ""

    def backend_conns(self):
        """Client connections on the backend (ddlgate's), excluding our own."""
        out = self.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                       "WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Daemon' "
                       "AND USER NOT IN ('system user', 'event_scheduler')")
        return int(out) if out.isdigit() else -1

    def wait_backend_conns(self, at_most, seconds):
        deadline = time.time() + seconds
        n = self.backend_conns()
        while (n < 0 or n > at_most) and time.time() < deadline:
            time.sleep(0.25)
            n = self.backend_conns()
        return n


class Watcher:
    """A well-behaved client that must see no error while others misbehave."""

    def __init__(self, env, port=None, tls=None):
        self.env = env
        self.errors = []
        self.queries = 0
        self.stop_flag = threading.Event()
        self.conn = Conn(port or env.port, tls=tls)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        for _ in range(100000):
            if self.stop_flag.is_set():
                break
            try:
                if self.conn.query("SELECT 1") != 1:
                    self.errors.append("SELECT 1 returned no row")
                self.queries += 1
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                self.errors.append(repr(e))
                break
            time.sleep(0.02)

    def finish(self):
        self.stop_flag.set()
        self.thread.join(15)
        self.conn.close(quit=True)
        return self.errors


def expect_closed(sock, seconds):
    """True when the peer closes (EOF/RST) within the time; drains what it sends."""
    deadline = time.time() + seconds
    sock.setblocking(False)
    while time.time() < deadline:
        r, _, _ = select.select([sock], [], [], 0.1)
        if not r:
            continue
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            return True
        if not data:
            return True
    return False


def authed_raw(env):
    c = Conn(env.port)
    return c


# ---- client-side cases ----------------------------------------------------------------------


def case_garbage(env):
    rnd = random.Random(8)
    s = socket.create_connection((HOST, env.port), timeout=5)
    s.recv(4096)  # greeting
    s.sendall(bytes(rnd.getrandbits(8) for _ in range(4096)))
    closed = expect_closed(s, 5)
    s.close()
    check("garbage instead of a handshake response closes that connection", closed,
          "ddlgate kept the connection open 5 s after 4 KiB of garbage")
    c = Conn(env.port)
    # a plausible header with a random body, then more garbage, after login
    c.sock.sendall(b"\x20\x00\x00\x00" + bytes(rnd.getrandbits(8) for _ in range(32)))
    c.sock.sendall(bytes(rnd.getrandbits(8) for _ in range(2048)))
    time.sleep(0.5)
    c.close()
    check("garbage after login leaves ddlgate running", env.alive(), "ddlgate died")


def case_truncated(env):
    c = Conn(env.port)
    c.sock.sendall(b"\x64\x00\x00\x00\x03SELECT")  # says 100 bytes, sends 7
    time.sleep(0.3)
    c.close()
    s = socket.create_connection((HOST, env.port), timeout=5)
    s.recv(4096)
    s.sendall(b"\x50\x00\x00\x01\x85\xa2")  # a truncated handshake response
    s.close()
    check("truncated packets (handshake and command) leave ddlgate running", env.alive(),
          "ddlgate died")


def case_huge_never_arrives(env):
    before = env.rss_kb()
    c = Conn(env.port)
    c.sock.sendall(b"\xff\xff\xff\x00\x03SELECT '" + b"x" * 65536)
    time.sleep(2.0)
    during = env.rss_kb()
    c.close()
    check_rss(env, "a 16 MiB packet that never arrives costs only what arrived",
          during - before < 8 * 1024,
          "RSS grew %d KiB while 64 KiB of a 16 MiB packet were pending" % (during - before),
          "RSS %d -> %d KiB" % (before, during))


def case_stops_reading(env):
    before = env.rss_kb()
    c = Conn(env.port)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    # about 200 MB of rows the client never reads
    c.send_query("SELECT REPEAT('x', 1000000) FROM seq_1_to_200")
    time.sleep(3.0)
    during = env.rss_kb()
    c.close()
    check_rss(env, "a client that stops reading a 200 MB result set is held by backpressure",
          during - before < 16 * 1024,
          "RSS grew %d KiB with a stalled reader" % (during - before),
          "RSS %d -> %d KiB" % (before, during))


def pipelined_flood(env, c, wire):
    """Behind a 2-second statement, the client pipelines 40 statements of 1 MiB
    each (`wire`: their bytes as sent).  ddlgate must stop taking them in
    once a bounded amount waits, not buffer (or inflate) all 40 MiB; then
    every answer must arrive, in order."""
    before = env.rss_kb()
    c.send_query("SELECT SLEEP(2)")
    sender = threading.Thread(target=lambda: c.sock.sendall(wire), daemon=True)
    sender.start()
    time.sleep(1.5)
    during = env.rss_kb()
    answers = [c.read_result()]
    answers += [c.read_result() for _ in range(40)]
    sender.join(10)
    return before, during, answers


def flood_statements():
    return [b"\x03SELECT 1 /*" + bytes([65 + i % 26]) * (1 << 20) + b"*/" for i in range(40)]


def case_pipelined_flood(env):
    c = Conn(env.port, timeout=30)
    wire = b"".join(struct.pack("<I", len(p))[:3] + b"\0" + p for p in flood_statements())
    before, during, answers = pipelined_flood(env, c, wire)
    c.close()
    check("a client pipelining 40 MiB behind a slow statement is read no further than a bounded"
          " amount, and every answer arrives",
          during - before < 8 * 1024 and answers == [1] * 41,
          "RSS %d -> %d KiB, answers %s" % (before, during, answers[:5]),
          "RSS %d -> %d KiB, 41 answers" % (before, during))


def case_compressed_flood(env):
    c = ZConn(env.port, timeout=30)
    wire = b"".join(ZConn.frame(p) for p in flood_statements())  # ~40 KiB inflating to 40 MiB
    before, during, answers = pipelined_flood(env, c, wire)
    c.close()
    check("compressed: 40 KiB that inflate to 40 MiB of pipelined statements are decoded only as"
          " far as a bounded amount, and every answer arrives",
          during - before < 8 * 1024 and answers == [1] * 41,
          "RSS %d -> %d KiB (wire %d bytes), answers %s" % (before, during, len(wire), answers[:5]),
          "RSS %d -> %d KiB, wire %d bytes, 41 answers" % (before, during, len(wire)))


def burst(env, n=1000):
    """Open n connections at once, wait (bounded) until each got its greeting,
    i.e. each has a backend connection, then drop them all at once.  Returns
    (greeted, RSS at the peak)."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((HOST, env.port))
        socks.append(s)
    greeted = set()
    deadline = time.time() + 30
    while len(greeted) < len(socks) and time.time() < deadline:
        pending = [s for s in socks if s.fileno() not in greeted]
        r, _, _ = select.select(pending[:500], [], [], 0.2)
        for s in r:
            try:
                if s.recv(4096):
                    greeted.add(s.fileno())
            except OSError:
                greeted.add(s.fileno())
    peak = env.rss_kb()
    for s in socks:  # all dropped at once
        s.close()
    return len(greeted), peak


# What one burst of 1,000 connections may leave behind for good (KiB).  Measured
# with 2 workers (heaptrack, malloc_info, /proc/PID/smaps; docs/hardening.md):
# libevent's per-loop tables grow with the highest descriptor number and live
# as long as the loop (per worker: the descriptor map's pointer array, 8 B per
# slot, a power of two above the highest descriptor; the timeout heap; epoll's
# result array, up to 12 B x 4,096; and 16 B per descriptor number in the
# evmem slab, 32 KiB for 2,000): about 110 KiB for both workers measured with
# heaptrack, plus the M_TOP_PAD (128 KiB) glibc keeps at the
# top of each worker's arena after malloc_trim, plus page rounding: 250-650
# KiB measured.  Before the evmem slab, the 16-byte descriptor entries pinned
# ~2.4 MiB of freed session memory per worker (+4.9 MiB after one burst).
BURST_RESIDUE_KIB = 1024
# A second burst reuses all of that: anything more is a per-connection leak.
SECOND_BURST_KIB = 256


def settled_rss(env, at_most, seconds):
    """RSS once it is at most at_most KiB, or after the time (polled every 250 ms):
    the janitor trims once the session count has stopped falling, which on a
    loaded machine can take a few of its 200 ms ticks after the last close."""
    deadline = time.time() + seconds
    rss = env.rss_kb()
    while rss > at_most and time.time() < deadline:
        time.sleep(0.25)
        rss = env.rss_kb()
    return rss


def case_thousand(env, baseline_conns):
    before = env.rss_kb()
    greeted1, peak1 = burst(env)
    n1 = env.wait_backend_conns(baseline_conns, 30)
    after1 = settled_rss(env, before + BURST_RESIDUE_KIB, 5.0)
    greeted2, peak2 = burst(env)
    n2 = env.wait_backend_conns(baseline_conns, 30)
    after2 = settled_rss(env, after1 + SECOND_BURST_KIB, 5.0)
    check("1,000 connections opened and dropped at once: all greeted",
          greeted1 == 1000 and greeted2 == 1000,
          "only %d and %d of 1000 got a greeting within 30 s" % (greeted1, greeted2))
    check("1,000 dropped connections release their backend connections",
          0 <= n1 <= baseline_conns and 0 <= n2 <= baseline_conns,
          "backend still has %d / %d connections (baseline %d) after 30 s" % (n1, n2, baseline_conns))
    check_rss(env, "1,000 dropped connections: RSS returns to the baseline (+%d KiB at most, "
              "within 5 s)" % BURST_RESIDUE_KIB, after1 - before <= BURST_RESIDUE_KIB,
              "RSS %d KiB before, %d after (+%d; peak %d)" % (before, after1, after1 - before, peak1),
              "RSS %d KiB before, peak %d, after %d (+%d)" % (before, peak1, after1, after1 - before))
    check_rss(env, "a second burst of 1,000 leaves nothing more behind (+%d KiB at most)"
              % SECOND_BURST_KIB, after2 - after1 <= SECOND_BURST_KIB,
              "RSS %d KiB after the first burst, %d after the second (peak %d)" % (after1, after2, peak2),
              "RSS %d -> %d KiB (%+d)" % (after1, after2, after2 - after1))


def case_slowloris(env, baseline_conns):
    s = socket.create_connection((HOST, env.port), timeout=5)
    s.recv(4096)
    t0 = time.time()
    closed_at = None
    resp = b"\x50\x00\x00\x01" + b"\x85\xa2\x0a\x00" + b"\x00" * 76
    for i in range(len(resp)):  # one byte every 200 ms: ~16 s if never cut off
        try:
            s.send(resp[i:i + 1])
        except OSError:
            closed_at = time.time() - t0
            break
        r, _, _ = select.select([s], [], [], 0.2)
        if r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data or data[4:5] == b"\xff":
                closed_at = time.time() - t0
                if data:
                    expect_closed(s, 2)
                break
    s.close()
    check("slow-loris handshake is cut off by handshake_timeout_ms=1000",
          closed_at is not None and closed_at < 3.0,
          "still open after %.1f s" % (time.time() - t0), "closed after %.2f s" % (closed_at or 0))
    # a client that sends nothing at all
    s = socket.create_connection((HOST, env.port), timeout=5)
    t0 = time.time()
    closed = expect_closed(s, 4)
    s.close()
    check("a silent client is closed by the handshake timeout", closed,
          "still open after 4 s", "%.2f s" % (time.time() - t0))
    n = env.wait_backend_conns(baseline_conns, 10)
    check("slow-loris clients hold no backend connection afterwards", 0 <= n <= baseline_conns,
          "backend has %d connections (baseline %d)" % (n, baseline_conns))


# ---- TLS cases (the second ddlgate: TLS with clients and with the backend) ------------------


def framed(payload, seq):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def client_hello(env):
    """The first flight of a real TLS handshake (a ClientHello), as bytes."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = env.tls_ctx.wrap_bio(incoming, outgoing, server_hostname=HOST)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def tls_greeted(env):
    """A raw connection to the TLS ddlgate that has read the greeting and sent an SSLRequest."""
    s = socket.create_connection((HOST, env.tls_port), timeout=5)
    g = s.recv(4096)
    if len(g) < 5 or g[4] != 0x0a:
        raise Closed("no greeting from the TLS ddlgate: %r" % g[:16])
    s.sendall(framed(ssl_request(), 1))
    return s


def tls_case_garbage(env):
    rnd = random.Random(9)
    s = tls_greeted(env)
    s.sendall(bytes(rnd.getrandbits(8) for _ in range(4096)))
    closed = expect_closed(s, 5)
    s.close()
    check("TLS: garbage after the SSLRequest closes that connection", closed,
          "ddlgate kept the connection open 5 s after 4 KiB of garbage in place of a ClientHello")
    # a real ClientHello cut short, then garbage where the rest should be
    s = tls_greeted(env)
    hello = client_hello(env)
    s.sendall(hello[:len(hello) // 2] + bytes(rnd.getrandbits(8) for _ in range(2048)))
    closed = expect_closed(s, 5)
    s.close()
    check("TLS: a ClientHello followed by garbage closes that connection", closed,
          "still open 5 s later")
    check("TLS: ddlgate keeps running after handshake garbage", env.alive(env.tls_pid),
          "ddlgate (TLS) died")
    time.sleep(0.5)  # the watcher keeps querying meanwhile


def tls_case_stops_reading(env):
    before = env.rss_kb(env.tls_pid)
    c = Conn(env.tls_port, tls=env.tls_ctx)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    # about 200 MB of rows the client never reads, TLS on both legs
    c.send_query("SELECT REPEAT('x', 1000000) FROM seq_1_to_200")
    time.sleep(3.0)
    during = env.rss_kb(env.tls_pid)
    c.close()
    check_rss(env, "TLS: a client that stops reading a 200 MB result set is held by backpressure",
              during - before < 16 * 1024,
              "RSS grew %d KiB with a stalled TLS reader" % (during - before),
              "RSS %d -> %d KiB" % (before, during))


def tls_case_slowloris(env, baseline_conns):
    s = tls_greeted(env)
    hello = client_hello(env)
    t0 = time.time()
    closed_at = None
    for i in range(min(len(hello), 100)):  # one byte every 200 ms: 20 s if never cut off
        try:
            s.send(hello[i:i + 1])
        except OSError:
            closed_at = time.time() - t0
            break
        r, _, _ = select.select([s], [], [], 0.2)
        if r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed_at = time.time() - t0
                break
    s.close()
    check("TLS: a slow-loris TLS handshake is cut off by handshake_timeout_ms=1000",
          closed_at is not None and closed_at < 3.0,
          "still open after %.1f s" % (time.time() - t0), "closed after %.2f s" % (closed_at or 0))
    s = tls_greeted(env)  # an SSLRequest, then nothing at all
    t0 = time.time()
    closed = expect_closed(s, 3)
    s.close()
    check("TLS: a client silent after its SSLRequest is closed by the handshake timeout", closed,
          "still open after 3 s", "%.2f s" % (time.time() - t0))
    n = env.wait_backend_conns(baseline_conns, 10)
    check("TLS: slow-loris clients hold no backend connection afterwards", 0 <= n <= baseline_conns,
          "backend has %d connections (baseline %d)" % (n, baseline_conns))


# ---- backend faults ---------------------------------------------------------------------------


def mid_result_set(env, port=None, tls=None):
    c = Conn(port or env.port, tls=tls)
    c.send_query("SELECT REPEAT('y', 100000) FROM seq_1_to_2000")
    c.read_result(max_rows=5)  # mid-result-set: more rows are on their way
    return c


def mid_transaction(env):
    c = Conn(env.port)
    c.query("BEGIN")
    c.query("INSERT INTO t (v) VALUES ('uncommitted')")
    return c


def outcome_of(c, seconds):
    """What a client sees next: 'error' (ERR packet), 'closed', 'rows', or 'hang'."""
    c.sock.settimeout(seconds)
    got_err = False
    try:
        for _ in range(100000):
            p = c.read_packet()
            if p[0] == 0xff:
                got_err = True
    except socket.timeout:
        return "hang"
    except Closed:
        return "error+closed" if got_err else "closed"
    return "rows"


def rest_of_rows(c, seconds):
    """Read a result set's remaining rows: 'complete', 'error', 'closed' or 'hang'."""
    c.sock.settimeout(seconds)
    try:
        for _ in range(100000):
            p = c.read_packet()
            if p[0] == 0xff:
                return "error"
            if p[0] == 0xfe and len(p) < 9:
                return "complete"
    except socket.timeout:
        return "hang"
    except Closed:
        return "closed"
    return "hang"


def mariadb_pid(env):
    return int(env.sandbox_env().get("MARIADB_PID", "0"))


def restart_mariadb(env):
    """Start mariadbd again on the same port and data (my.cnf is kept)."""
    cnf = os.path.join(env.sandbox, "my.cnf")
    mysqld = "/usr/sbin/mariadbd" if os.path.exists("/usr/sbin/mariadbd") else "mariadbd"
    p = subprocess.Popen(["setsid", mysqld, "--defaults-file=" + cnf], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    # setsid forks only when it leads a group; the pid file tells the truth
    pidfile = os.path.join(env.sandbox, "mysqld.pid")
    deadline = time.time() + 60
    pid = 0
    while time.time() < deadline:
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip() or 0)
            if pid and os.path.exists("/proc/%d" % pid) and env.backend_conns() >= 0:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.25)
    envfile = os.path.join(env.sandbox, "env")
    with open(envfile) as f:
        lines = [("MARIADB_PID=%d\n" % pid) if line.startswith("MARIADB_PID=") else line
                 for line in f]
    with open(envfile, "w") as f:
        f.writelines(lines)
    del p
    return pid


def new_client_served(env, seconds, port=None, tls=None):
    deadline = time.time() + seconds
    last = ""
    while time.time() < deadline:
        try:
            c = Conn(port or env.port, timeout=5, tls=tls)
            n = c.query("SELECT 1")
            c.close()
            if n == 1:
                return True, ""
        except Exception as e:  # noqa: BLE001
            last = repr(e)
        time.sleep(0.5)
    return False, last


def new_client_error(env, seconds):
    """A client while the backend is down: must get an error, not hang."""
    t0 = time.time()
    try:
        c = Conn(env.port, timeout=seconds)
        c.query("SELECT 1")
        c.close()
        return "served", time.time() - t0
    except socket.timeout:
        return "hang", time.time() - t0
    except DbError as e:
        return "error %d" % e.code, time.time() - t0
    except Closed:
        return "closed", time.time() - t0


def case_sigstop(env):
    pid = mariadb_pid(env)
    a = mid_result_set(env)
    b = mid_transaction(env)
    os.kill(pid, signal.SIGSTOP)
    try:
        what, took = new_client_error(env, 10)
        check("backend SIGSTOPped: a new client gets an error within the connect timeout",
              what.startswith("error") or what == "closed", "new client: %s after %.1f s" % (what, took),
              "%s after %.1f s" % (what, took))
        check("backend SIGSTOPped: ddlgate keeps running", env.alive(), "ddlgate died")
    finally:
        os.kill(pid, signal.SIGCONT)
    res = rest_of_rows(a, 30)
    check("backend SIGCONTed: the client mid-result-set gets the rest", res == "complete",
          "it saw %s" % res)
    a.close()
    try:
        b.sock.settimeout(10)
        b.query("ROLLBACK")
        ok("backend SIGCONTed: the client mid-transaction carries on")
    except Exception as e:  # noqa: BLE001
        not_ok("backend SIGCONTed: the client mid-transaction carries on", repr(e))
    b.close()


def case_sigkill(env):
    pid = mariadb_pid(env)
    a = mid_result_set(env)
    b = mid_transaction(env)
    t = mid_result_set(env, env.tls_port, env.tls_ctx)  # TLS on both legs
    os.kill(pid, signal.SIGKILL)
    ra = outcome_of(a, 10)
    rb = outcome_of(b, 10)
    rt = outcome_of(t, 10)
    a.close()
    b.close()
    t.close()
    check("backend SIGKILLed: a TLS client mid-result-set (TLS backend leg) gets an error and a "
          "closed connection", rt in ("error+closed", "closed"), "it saw %s" % rt, rt)
    check("backend SIGKILLed: the TLS ddlgate keeps running", env.alive(env.tls_pid),
          "ddlgate (TLS) died")
    check("backend SIGKILLed: the client mid-result-set gets an error and a closed connection",
          ra in ("error+closed", "closed"), "it saw %s" % ra, ra)
    check("backend SIGKILLed: the client mid-transaction gets an error and a closed connection",
          rb in ("error+closed", "closed"), "it saw %s" % rb, rb)
    what, took = new_client_error(env, 10)
    check("backend down: a new client gets an error, not a hang", what.startswith("error"),
          "new client: %s after %.1f s" % (what, took), "%s after %.2f s" % (what, took))
    check("backend down: ddlgate keeps running", env.alive(), "ddlgate died")
    t0 = time.time()
    newpid = restart_mariadb(env)
    served, why = new_client_served(env, 90)
    check("backend restarted on its port: new clients are served", served and newpid > 0,
          "not served within 90 s: %s" % why, "served %.1f s after the restart began" % (time.time() - t0))
    served_tls, why = new_client_served(env, 30, env.tls_port, env.tls_ctx)
    check("backend restarted: new TLS clients are served over a TLS backend leg", served_tls,
          "not served within 30 s: %s" % why)
    if served:
        c = Conn(env.port)
        c.send_query("SELECT COUNT(*) FROM t WHERE v = 'uncommitted'")
        p = c.read_packet()
        for _ in range(p[0]):
            c.read_packet()
        c.read_packet()
        row = c.read_packet()
        c.close()
        check("the killed transaction was not committed", row[1:2] == b"0", "row %r" % row)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dg-port", type=int, required=True)
    ap.add_argument("--dg-pid", type=int, required=True)
    ap.add_argument("--sandbox", required=True)
    ap.add_argument("--dg-tls-port", type=int, required=True)
    ap.add_argument("--dg-tls-pid", type=int, required=True)
    ap.add_argument("--certs", required=True, help="the sandbox's certificate directory")
    ap.add_argument("--repo", default=os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
    env = Env(ap.parse_args())

    baseline_conns = env.backend_conns()
    # warm up (worker arenas, TLS contexts) before taking the RSS baseline
    for i in range(20):
        Conn(env.port).close(quit=i % 2 == 0)
    time.sleep(0.5)
    base_rss = env.rss_kb()
    print("# ddlgate RSS baseline %d KiB, backend connections %d" % (base_rss, baseline_conns), flush=True)

    client_cases = [("garbage", case_garbage), ("truncated", case_truncated),
                    ("16MiB", case_huge_never_arrives), ("stops-reading", case_stops_reading),
                    ("1000-conns", lambda e: case_thousand(e, baseline_conns + 1)),
                    # after the bursts, whose residue is measured against the heap
                    # the cases before left (big statements fragment it)
                    ("pipelined-flood", case_pipelined_flood),
                    ("compressed-flood", case_compressed_flood),
                    ("slow-loris", lambda e: case_slowloris(e, baseline_conns + 1))]
    for name, fn in client_cases:
        w = Watcher(env)
        try:
            fn(env)
        except Exception as e:  # noqa: BLE001
            not_ok(name, "the test itself failed: %r" % e)
        errors = w.finish()
        check("%s: other clients see no errors" % name, not errors and w.queries > 0,
              "watcher: %s (%d queries)" % (errors[:2], w.queries), "%d queries" % w.queries)
        check("%s: ddlgate still running" % name, env.alive(), "ddlgate died")
        print("# after %s: RSS %d KiB" % (name, env.rss_kb()), flush=True)
    tls_cases = [("tls-garbage", tls_case_garbage), ("tls-stops-reading", tls_case_stops_reading),
                 ("tls-slow-loris", lambda e: tls_case_slowloris(e, baseline_conns + 1))]
    for name, fn in tls_cases:
        w = Watcher(env, env.tls_port, env.tls_ctx)  # a TLS client of the same ddlgate
        try:
            fn(env)
        except Exception as e:  # noqa: BLE001
            not_ok(name, "the test itself failed: %r" % e)
        errors = w.finish()
        check("%s: other TLS clients see no errors" % name, not errors and w.queries > 0,
              "watcher: %s (%d queries)" % (errors[:2], w.queries), "%d queries" % w.queries)
        check("%s: ddlgate (TLS) still running" % name, env.alive(env.tls_pid), "ddlgate died")
        print("# after %s: TLS ddlgate RSS %d KiB" % (name, env.rss_kb(env.tls_pid)), flush=True)

    time.sleep(1.0)
    end_rss = env.rss_kb()
    # the 1,000-connection residue (BURST_RESIDUE_KIB) plus page rounding of
    # the buffers the other cases used and freed
    check_rss(env, "RSS back near the baseline after the client faults", end_rss - base_rss < 2048,
          "RSS %d KiB, baseline %d, peak %d" % (end_rss, base_rss, env.peak_rss),
          "baseline %d KiB, peak %d, end %d" % (base_rss, env.peak_rss, end_rss))

    for name, fn in [("sigstop", case_sigstop), ("sigkill", case_sigkill)]:
        try:
            fn(env)
        except Exception as e:  # noqa: BLE001
            not_ok(name, "the test itself failed: %r" % e)
    print("# ddlgate RSS at the end %d KiB (peak %d)" % (env.rss_kb(), env.peak_rss), flush=True)
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
