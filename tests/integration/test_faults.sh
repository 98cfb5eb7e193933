#!/usr/bin/env bash
# test_faults.sh - fault tests (tests/integration/faults.py) against a MariaDB
# sandbox and a ddlgate of their own: the backend is stopped and killed here,
# so the shared sandbox of run.sh is never touched.
#
#   DDLGATE_BIN=build/ddlgate tests/integration/test_faults.sh
#
# Prints "ok - ..." / "not ok - ..." lines; exit status 1 on any failure.
# Two ddlgates run with handshake_timeout_ms=1000 and connect_timeout_ms=2000:
# one with plain legs, one with TLS toward clients and toward the backend
# (backend.tls=verify_ca; the sandbox runs with --tls).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$HERE/../.." && pwd -P)
SANDBOX=$REPO_ROOT/scripts/mariadb-sandbox.sh
DDLGATE_BIN=${DDLGATE_BIN:-$REPO_ROOT/build/ddlgate}
[[ -x $DDLGATE_BIN ]] || { echo "not ok - faults: no ddlgate at $DDLGATE_BIN"; exit 1; }

WORK=$(mktemp -d /tmp/ddlgate-faults.XXXXXX)
DG_PID=""
DG_TLS_PID=""
SB_UP=0
stop_dg() {
    local pid=$1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    return 0
}
cleanup() {
    local rc=$?
    set +e
    stop_dg "$DG_PID"
    stop_dg "$DG_TLS_PID"
    if [[ $SB_UP == 1 ]]; then
        # a SIGSTOPped server would ignore the stop
        [[ -f $WORK/sb/env ]] && (source "$WORK/sb/env"; kill -CONT "${MARIADB_PID:-0}" 2>/dev/null)
        "$SANDBOX" stop "$WORK/sb" >/dev/null 2>&1
    fi
    if [[ $rc -eq 0 && -z ${IT_KEEP:-} ]]; then rm -rf "$WORK"; else echo "# faults work dir kept: $WORK"; fi
    exit $rc
}
trap cleanup EXIT INT TERM

# 1,000 client connections need 2,000+ descriptors in ddlgate and 1,000 here
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[[ $(ulimit -n) -ge 4096 ]] || echo "# warning: ulimit -n is $(ulimit -n); the 1,000-connection case may fail"

"$SANDBOX" start "$WORK/sb" --tls --max-connections 1500 > "$WORK/sandbox.log" 2>&1 \
    || { echo "not ok - faults: sandbox did not start"; tail -5 "$WORK/sandbox.log"; exit 1; }
SB_UP=1
# shellcheck disable=SC1091
source "$WORK/sb/env"
"$SANDBOX" sql "$WORK/sb" -e "CREATE TABLE IF NOT EXISTS test.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100))"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_listen PORT PID LOG: until ddlgate accepts on PORT (<= 10 s)
wait_listen() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { echo "not ok - faults: ddlgate exited"; tail -5 "$3"; exit 1; }
        sleep 0.1
    done
    echo "not ok - faults: ddlgate does not listen on $1"; exit 1
}
COMMON=(--backend "127.0.0.1:$MARIADB_PORT" --admin off
    --set ddlgate.handshake_timeout_ms=1000 --set backend.connect_timeout_ms=2000
    --set ddlgate.workers=2 --log-level "${FAULTS_LOG_LEVEL:-warn}")
DG_PORT=$(free_port)
"$DDLGATE_BIN" --listen "127.0.0.1:$DG_PORT" "${COMMON[@]}" --set backend.tls=disabled \
    > "$WORK/ddlgate.log" 2>&1 &
DG_PID=$!
DG_TLS_PORT=$(free_port)
while [[ $DG_TLS_PORT == "$DG_PORT" ]]; do DG_TLS_PORT=$(free_port); done
"$DDLGATE_BIN" --listen "127.0.0.1:$DG_TLS_PORT" "${COMMON[@]}" \
    --set "client_tls.cert=$MARIADB_CERTS/server.pem" --set "client_tls.key=$MARIADB_CERTS/server-key.pem" \
    --set backend.tls=verify_ca --set "backend.tls_ca=$MARIADB_CERTS/ca.pem" \
    > "$WORK/ddlgate-tls.log" 2>&1 &
DG_TLS_PID=$!
wait_listen "$DG_PORT" "$DG_PID" "$WORK/ddlgate.log"
wait_listen "$DG_TLS_PORT" "$DG_TLS_PID" "$WORK/ddlgate-tls.log"

rc=0
/usr/bin/python3 "$HERE/faults.py" --dg-port "$DG_PORT" --dg-pid "$DG_PID" \
    --dg-tls-port "$DG_TLS_PORT" --dg-tls-pid "$DG_TLS_PID" --certs "$MARIADB_CERTS" \
    --sandbox "$WORK/sb" --repo "$REPO_ROOT" || rc=$?
for pid in "$DG_PID" "$DG_TLS_PID"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "not ok - faults: ddlgate $pid is not running at the end"
        rc=1
    fi
done
for log in "$WORK/ddlgate.log" "$WORK/ddlgate-tls.log"; do
    if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' "$log"; then
        echo "not ok - faults: sanitizer report in ${log##*/}"
        grep -m3 -E 'ERROR: |runtime error|#[0-9] ' "$log" | sed 's/^/#   /'
        rc=1
    fi
done
exit $rc
