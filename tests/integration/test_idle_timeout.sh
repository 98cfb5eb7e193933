#!/usr/bin/env bash
# test_idle_timeout.sh - ddlgate.idle_timeout_s on both kinds of client leg.
# A ddlgate of its own (idle_timeout_s=1, backend.tls=preferred) in front of
# run.sh's sandbox: plain clients are read by ddlgate's direct-read path and
# TLS clients by libevent's, and the timeout must behave the same on both:
# a client idle between commands is closed with ERR 7004 (ddlgate.idle_timeout_s);
# one waiting for a long statement, or one that keeps talking, is not.
# Env (from run.sh): MARIADB_PORT MARIADB_CERTS DDLGATE_BIN IT_WORK_DIR.
set -euo pipefail

: "${MARIADB_PORT:?MARIADB_PORT not set (run via tests/integration/run.sh)}"
[[ ${DG_TARGET:-ddlgate} == direct ]] && { echo "ok - idle_timeout # SKIP direct target"; exit 0; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$HERE/../.." && pwd -P)
DDLGATE_BIN=${DDLGATE_BIN:-$REPO_ROOT/build/ddlgate}
WORK=$(mktemp -d "${IT_WORK_DIR:-/tmp}/idle.XXXXXX")
PID=""
cleanup() {
    [[ -n $PID ]] && kill -TERM "$PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
}
trap cleanup EXIT

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tls_args=()
if [[ -n ${MARIADB_CERTS:-} ]]; then
    tls_args=(--set "client_tls.cert=$MARIADB_CERTS/server.pem"
        --set "client_tls.key=$MARIADB_CERTS/server-key.pem")
fi
"$DDLGATE_BIN" --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$MARIADB_PORT" --admin off \
    --set backend.tls=preferred --set ddlgate.idle_timeout_s=1 "${tls_args[@]}" \
    --log-level info > "$WORK/ddlgate.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { echo "not ok - idle_timeout_start: ddlgate exited"; tail -5 "$WORK/ddlgate.log"; exit 1; }
    sleep 0.1
done

rc=0
DG_IDLE_PORT=$PORT timeout 120 /usr/bin/python3 - <<'PY' || rc=1
import os, time
import pymysql

PORT = int(os.environ["DG_IDLE_PORT"])
CERTS = os.environ.get("MARIADB_CERTS")
failed = 0

def conn(tls):
    kw = {"ssl": {"ca": CERTS + "/ca.pem"}} if tls else {}
    return pymysql.connect(host="127.0.0.1", port=PORT, user="app", password="apppass",
                           database="test", connect_timeout=10, read_timeout=30, **kw)

def one(c, sql):
    with c.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]

def check(name, fn):
    global failed
    try:
        fn()
        print(f"ok - {name}")
    except Exception as e:  # noqa: BLE001 - every failure is reported
        failed += 1
        print(f"not ok - {name}: {type(e).__name__}: {e}")

def idle_closed(tls):
    c = conn(tls)
    assert one(c, "SELECT 1") == 1
    time.sleep(2.5)
    try:
        one(c, "SELECT 2")
    except pymysql.err.MySQLError as e:
        # the ERR ddlgate queued before closing, or the closed socket
        code = e.args[0] if e.args else 0
        assert code in (7012, 2013, 2006), f"unexpected error {e}"
        return
    raise AssertionError("an idle client was not closed")

def long_statement_kept(tls):
    with conn(tls) as c:
        assert one(c, "SELECT SLEEP(2.5)") == 0
        assert one(c, "SELECT 3") == 3

def busy_client_kept(tls):
    with conn(tls) as c:
        for i in range(8):  # 3.2 s in all, never 1 s idle
            assert one(c, f"SELECT {i}") == i
            time.sleep(0.4)

modes = [("plain", False)] + ([("tls", True)] if CERTS else [])
for label, tls in modes:
    check(f"idle_timeout_{label}_idle_client_closed", lambda: idle_closed(tls))
    check(f"idle_timeout_{label}_long_statement_kept", lambda: long_statement_kept(tls))
    check(f"idle_timeout_{label}_busy_client_kept", lambda: busy_client_kept(tls))
raise SystemExit(1 if failed else 0)
PY
if ! kill -0 "$PID" 2>/dev/null; then
    echo "not ok - idle_timeout_ddlgate_alive"
    rc=1
elif grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' "$WORK/ddlgate.log"; then
    echo "not ok - idle_timeout_sanitizer_clean"
    grep -m3 -E 'ERROR: |runtime error' "$WORK/ddlgate.log" | sed 's/^/#   /'
    rc=1
else
    echo "ok - idle_timeout_ddlgate_alive"
fi
exit $rc
