# common.sh - helpers shared by the shell integration tests (sourced, not run).
#
# The sourcing test sets NAME (check prefix) first; it gets PASS/FAIL counts,
# ok/notok/check, free_port, fix (root on MariaDB), cli, wait_port, and
# dg_start to launch its own ddlgate instances (killed by dg_cleanup).
# Env (from run.sh): MARIADB_PORT DDLGATE_BIN; optional IT_WORK_DIR.

: "${MARIADB_PORT:?MARIADB_PORT not set (run via tests/integration/run.sh)}"
: "${DDLGATE_BIN:?DDLGATE_BIN not set (run via tests/integration/run.sh)}"

PASS=0
FAIL=0
PIDS=()
ok() { echo "ok - ${NAME}_$1"; PASS=$((PASS + 1)); }
notok() { local why=${2//$'\n'/ }; echo "not ok - ${NAME}_$1: ${why:0:600}"; FAIL=$((FAIL + 1)); }
# check NAME COND-EXIT-STATUS WHY
check() { if [[ $2 -eq 0 ]]; then ok "$1"; else notok "$1" "$3"; fi; }

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
# fixtures straight on MariaDB as root
fix() { timeout 30 mariadb --no-defaults -h127.0.0.1 -P"$MARIADB_PORT" -uroot test "$@"; }
# mariadb CLI to port $1 as user $2 password $3, more args after
cli() {
    local port=$1 user=$2 pass=$3
    shift 3
    timeout 60 mariadb --no-defaults --connect-timeout=10 -h127.0.0.1 -P"$port" -u"$user" -p"$pass" "$@"
}
wait_port() { # wait_port PID PORT: true once PORT listens, false when PID died (<= 20 s)
    local i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$1" 2> /dev/null || return 1
        (exec 3<> "/dev/tcp/127.0.0.1/$2") 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}
# dg_start TAG ARGS...: ddlgate on free ports with ARGS (--set ...); sets
# DG_P (proxy), DG_A (admin), DG_L (log), DG_PID.  False if it did not listen.
dg_start() {
    local tag=$1
    shift
    DG_P=$(free_port)
    DG_A=$(free_port)
    DG_L=$T/dg-$tag.log
    "$DDLGATE_BIN" --listen "127.0.0.1:$DG_P" --backend "127.0.0.1:$MARIADB_PORT" \
        --admin "127.0.0.1:$DG_A" --log-level info "$@" > "$DG_L" 2>&1 < /dev/null &
    DG_PID=$!
    PIDS+=("$DG_PID")
    wait_port "$DG_PID" "$DG_P" && wait_port "$DG_PID" "$DG_A"
}
# dg_stop PID: SIGTERM, then SIGKILL after 5 s
dg_stop() {
    kill -TERM "$1" 2> /dev/null || return 0
    for _ in $(seq 50); do kill -0 "$1" 2> /dev/null || return 0; sleep 0.1; done
    kill -KILL "$1" 2> /dev/null || true
}
dg_cleanup() {
    local p
    for p in "${PIDS[@]}"; do dg_stop "$p"; done
}
