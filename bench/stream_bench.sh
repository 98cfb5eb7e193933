#!/usr/bin/env bash
# stream_bench.sh - one large result set (default 1 GiB) read with the
# `mariadb` CLI in --quick mode (row by row, nothing buffered in the
# client), directly, through HAProxy (TCP mode) and through ddlgate, in one
# run on one machine (not run in CI).
#
#   bench/stream_bench.sh        env: DDLGATE_BIN (default ./build/ddlgate)
#                                     STREAM_MB (1024) STREAM_ROUNDS (2)
#
# Prints per target the seconds and MB/s of the best round, and ddlgate's
# and HAProxy's RSS before the reads and their peak (VmHWM) after: the
# result streams with backpressure, so the peak must stay a few MiB above
# the start whatever the size of the result.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DDLGATE_BIN=${DDLGATE_BIN:-$ROOT/build/ddlgate}
MB=${STREAM_MB:-1024}
ROUNDS=${STREAM_ROUNDS:-2}
PY=/usr/bin/python3

for b in haproxy mariadb "$PY"; do
    command -v "$b" > /dev/null || { echo "stream_bench: $b not found (scripts/deps.sh)" >&2; exit 1; }
done
[[ -x $DDLGATE_BIN ]] || { echo "stream_bench: no ddlgate at $DDLGATE_BIN (build first)" >&2; exit 1; }

mkdir -p "$ROOT/tmp"
W=$(mktemp -d "$ROOT/tmp/stream.XXXXXX")
DG_PID=""
HA_PID=""
SB_UP=0
stop_pid() {
    local pid=$1 i
    [[ -n $pid ]] && kill -0 "$pid" 2> /dev/null || return 0
    kill -TERM "$pid" 2> /dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2> /dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2> /dev/null || true
}
cleanup() {
    set +e
    stop_pid "$DG_PID"
    stop_pid "$HA_PID"
    [[ $SB_UP == 1 ]] && bash "$ROOT/scripts/mariadb-sandbox.sh" stop "$W/sandbox" > /dev/null
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_listen() { # PORT PID
    local i
    for ((i = 0; i < 100; i++)); do
        (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
        kill -0 "$2" 2> /dev/null || return 1
        sleep 0.1
    done
    return 1
}
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

bash "$ROOT/scripts/mariadb-sandbox.sh" start "$W/sandbox" > "$W/sandbox.log" 2>&1 \
    || { cat "$W/sandbox.log"; echo "stream_bench: MariaDB did not start" >&2; exit 1; }
SB_UP=1
# shellcheck disable=SC1091
source "$W/sandbox/env"

HA_PORT=$(free_port)
cat > "$W/haproxy.cfg" << EOF
global
    maxconn 100
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
listen mariadb
    bind 127.0.0.1:$HA_PORT
    server db 127.0.0.1:$MARIADB_PORT
EOF
haproxy -f "$W/haproxy.cfg" > "$W/haproxy.log" 2>&1 &
HA_PID=$!
DG_PORT=$(free_port)
"$DDLGATE_BIN" --listen "127.0.0.1:$DG_PORT" --backend "127.0.0.1:$MARIADB_PORT" --admin off \
    --set backend.tls=disabled --log-level warn > "$W/ddlgate.log" 2>&1 < /dev/null &
DG_PID=$!
wait_listen "$HA_PORT" "$HA_PID" || { echo "stream_bench: haproxy did not start" >&2; exit 1; }
wait_listen "$DG_PORT" "$DG_PID" || { cat "$W/ddlgate.log"; echo "stream_bench: ddlgate did not start" >&2; exit 1; }

# rows of 1 KiB from the sequence engine: nothing to prepare, MB MiB in all
ROWS=$((MB * 1024))
SQL="SELECT seq, REPEAT('x', 1000) FROM seq_1_to_$ROWS"
read_all() { # PORT -> seconds
    local t0 t1 n
    t0=$(date +%s.%N)
    n=$(mariadb --no-defaults --quick --skip-column-names -h127.0.0.1 -P"$1" -uapp -papppass -Dtest \
        -e "$SQL" | wc -l)
    t1=$(date +%s.%N)
    [[ $n -eq $ROWS ]] || { echo "stream_bench: got $n rows of $ROWS via port $1" >&2; exit 1; }
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

dg_rss0=$(status_kb "$DG_PID" VmRSS)
ha_rss0=$(status_kb "$HA_PID" VmRSS)
declare -A BEST
for ((round = 1; round <= ROUNDS; round++)); do
    for target in direct haproxy ddlgate; do
        case $target in
            direct) port=$MARIADB_PORT ;;
            haproxy) port=$HA_PORT ;;
            ddlgate) port=$DG_PORT ;;
        esac
        echo "stream_bench: $MB MiB via $target, round $round/$ROUNDS"
        s=$(read_all "$port")
        if [[ -z ${BEST[$target]:-} ]] || awk -v a="$s" -v b="${BEST[$target]}" 'BEGIN { exit !(a < b) }'; then
            BEST[$target]=$s
        fi
    done
done
dg_hwm=$(status_kb "$DG_PID" VmHWM)
ha_hwm=$(status_kb "$HA_PID" VmHWM)

echo
echo "stream benchmark: $(nproc) cores, ${MB} MiB result set (rows of ~1 KiB), best of $ROUNDS, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-8s %9s %9s %12s\n' target seconds MB/s "vs direct"
for target in direct haproxy ddlgate; do
    printf '%-8s %9s %9s %12s\n' "$target" "${BEST[$target]}" \
        "$(awk -v s="${BEST[$target]}" -v mb="$MB" 'BEGIN { printf "%.0f", mb / s }')" \
        "$(awk -v s="${BEST[$target]}" -v d="${BEST[direct]}" 'BEGIN { printf "%.2f", d / s }')"
done
echo
printf '%-8s %14s %14s %10s\n' proxy rss_start_KiB peak_rss_KiB grew_KiB
printf '%-8s %14s %14s %10s\n' ddlgate "$dg_rss0" "$dg_hwm" $((dg_hwm - dg_rss0))
printf '%-8s %14s %14s %10s\n' haproxy "$ha_rss0" "$ha_hwm" $((ha_hwm - ha_rss0))
