#!/usr/bin/env bash
# proxy_bench.sh - ddlgate against a direct connection and HAProxy (TCP mode),
# in one run on one machine (not run in CI).
#
#   bench/proxy_bench.sh            env: DDLGATE_BIN (default ./build/ddlgate)
#                                        BENCH_TIME (10 s) BENCH_ROUNDS (3)
#                                        BENCH_THREADS (8)
#                                        BENCH_IDLE (2000 idle connections)
#
# 1. sysbench oltp_point_select and oltp_read_only, same threads and duration,
#    direct / through haproxy / through ddlgate, BENCH_ROUNDS interleaved
#    rounds: median qps and the median ratios ddlgate/haproxy, ddlgate/direct.
# 2. ddlgate's (and haproxy's) own CPU time per 10k queries: utime+stime from /proc/PID/stat
#    before and after each ddlgate run, divided by the queries sysbench made.
# 3. BENCH_IDLE idle clients through ddlgate (and through haproxy, for
#    scale): VmRSS growth of the proxy per client+backend pair, in KiB.
# Client, server and proxies share the machine's cores: read the ratios, not
# the absolute numbers.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DDLGATE_BIN=${DDLGATE_BIN:-$ROOT/build/ddlgate}
TIME=${BENCH_TIME:-10}
ROUNDS=${BENCH_ROUNDS:-3}
THREADS=${BENCH_THREADS:-8}
IDLE=${BENCH_IDLE:-2000}
PY=/usr/bin/python3

for b in sysbench haproxy "$PY"; do
    command -v "$b" > /dev/null || { echo "proxy_bench: $b not found (scripts/deps.sh)" >&2; exit 1; }
done
[[ -x $DDLGATE_BIN ]] || { echo "proxy_bench: no ddlgate at $DDLGATE_BIN (build first)" >&2; exit 1; }
"$PY" -c 'import pymysql' 2> /dev/null || { echo "proxy_bench: python3-pymysql missing" >&2; exit 1; }

mkdir -p "$ROOT/tmp"
W=$(mktemp -d "$ROOT/tmp/bench.XXXXXX")
DG_PID=""
HA_PID=""
SB_UP=0

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
stop_pid() {
    local pid=$1 i
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do pid_alive "$pid" || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    set +e
    stop_pid "$DG_PID"
    stop_pid "$HA_PID"
    [[ $SB_UP == 1 ]] && bash "$ROOT/scripts/mariadb-sandbox.sh" stop "$W/sandbox" > /dev/null
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "proxy_bench: files kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_listen() { # PORT PID
    local i
    for ((i = 0; i < 200; i++)); do
        pid_alive "$2" || return 1
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# 2 fds per idle pair in each proxy plus the clients' own
ulimit -n 65536 2> /dev/null || ulimit -n "$(ulimit -Hn)"
(( $(ulimit -n) >= IDLE * 2 + 100 )) || { echo "proxy_bench: ulimit -n $(ulimit -n) is too low for $IDLE connections" >&2; exit 1; }

echo "proxy_bench: starting MariaDB (max_connections $((IDLE + 500)))"
bash "$ROOT/scripts/mariadb-sandbox.sh" start "$W/sandbox" --max-connections $((IDLE + 500)) > "$W/sandbox.log" 2>&1 \
    || { cat "$W/sandbox.log"; exit 1; }
SB_UP=1
# shellcheck disable=SC1091
source "$W/sandbox/env"

HA_PORT=$(free_port)
cat > "$W/haproxy.cfg" <<EOF
global
    maxconn $((IDLE + 1000))
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    no option tcp-smart-accept
    no option tcp-smart-connect
frontend mysql_in
    bind 127.0.0.1:$HA_PORT
    default_backend mysql_out
backend mysql_out
    server db 127.0.0.1:$MARIADB_PORT maxconn $((IDLE + 200))
EOF
haproxy -f "$W/haproxy.cfg" -db > "$W/haproxy.log" 2>&1 < /dev/null &
HA_PID=$!
wait_listen "$HA_PORT" "$HA_PID" || { cat "$W/haproxy.log"; echo "proxy_bench: haproxy did not start" >&2; exit 1; }

DG_PORT=$(free_port)
DG_ADMIN_PORT=$(free_port)
"$DDLGATE_BIN" --listen "127.0.0.1:$DG_PORT" --backend "127.0.0.1:$MARIADB_PORT" \
    --admin "127.0.0.1:$DG_ADMIN_PORT" --set admin.password=benchpass --set backend.tls=disabled \
    --set "ddlgate.max_clients=$((IDLE + 1000))" --log-level warn \
    > "$W/ddlgate.log" 2>&1 < /dev/null &
DG_PID=$!
wait_listen "$DG_PORT" "$DG_PID" || { cat "$W/ddlgate.log"; echo "proxy_bench: ddlgate did not start" >&2; exit 1; }
echo "proxy_bench: MariaDB :$MARIADB_PORT  haproxy :$HA_PORT (pid $HA_PID)  ddlgate :$DG_PORT (pid $DG_PID)"

SB=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=app --mysql-password=apppass
    --mysql-db=test_bench --tables=4 --table-size=100000)
mariadb --no-defaults -h127.0.0.1 -P"$MARIADB_PORT" -uapp -papppass -e "CREATE DATABASE test_bench"
echo "proxy_bench: sysbench prepare (4 x 100k rows)"
sysbench oltp_read_only "${SB[@]}" --mysql-port="$MARIADB_PORT" --threads=4 prepare > "$W/prepare.log" 2>&1 \
    || { tail "$W/prepare.log"; exit 1; }

# run WORKLOAD PORT: prints "QPS QUERIES"
run() {
    local out=$W/$1-$2.log
    sysbench "$1" "${SB[@]}" --mysql-port="$2" --threads="$THREADS" --time="$TIME" \
        --report-interval=0 run > "$out" 2>&1 || { tail -5 "$out" >&2; echo "0 0"; return; }
    awk '/^ +queries:/ { q = $2; gsub(/[(]/, "", $3); print $3, q; exit }' "$out"
}

# Rounds interleave the three targets so that background noise hits all of
# them alike; the ratios reported are the medians over the rounds.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
declare -A QPS CPU RATIO_HA RATIO_DIRECT
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for wl in oltp_point_select oltp_read_only; do
    # short warm-up so the buffer pool is hot for the first measured run
    sysbench "$wl" "${SB[@]}" --mysql-port="$MARIADB_PORT" --threads="$THREADS" --time=3 run > /dev/null 2>&1 || true
    for ((round = 1; round <= ROUNDS; round++)); do
        for target in direct haproxy ddlgate; do
            case $target in
                direct) port=$MARIADB_PORT; pid="" ;;
                haproxy) port=$HA_PORT; pid=$HA_PID ;;
                ddlgate) port=$DG_PORT; pid=$DG_PID ;;
            esac
            echo "proxy_bench: $wl via $target, round $round/$ROUNDS (${THREADS} threads, ${TIME} s)"
            [[ -n $pid ]] && t0=$(cpu_ticks "$pid")
            read -r qps queries < <(run "$wl" "$port")
            QPS[$wl.$target.$round]=$qps
            if [[ -n $pid ]]; then
                t1=$(cpu_ticks "$pid")
                CPU[$wl.$target]+=" $(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v q="$queries" \
                    'BEGIN { if (q > 0) printf "%.4f", d / hz / q * 10000 }')"
            fi
        done
        RATIO_HA[$wl]+=" $(ratio "${QPS[$wl.ddlgate.$round]}" "${QPS[$wl.haproxy.$round]}")"
        RATIO_DIRECT[$wl]+=" $(ratio "${QPS[$wl.ddlgate.$round]}" "${QPS[$wl.direct.$round]}")"
        echo "proxy_bench:   round $round: ddlgate/haproxy $(ratio "${QPS[$wl.ddlgate.$round]}" "${QPS[$wl.haproxy.$round]}")"
    done
    for target in direct haproxy ddlgate; do
        all=""
        for ((round = 1; round <= ROUNDS; round++)); do all+=" ${QPS[$wl.$target.$round]}"; done
        QPS[$wl.$target]=$(echo "$all" | median)
    done
done

# idle connections: open N, hold, measure the proxy's RSS, close
cat > "$W/idle.py" <<'PY'
import sys, time, pymysql
host, port, n, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def rss():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
# one connection first, so one-time allocations are not counted per client
warm = pymysql.connect(host=host, port=port, user="app", password="apppass", database="test")
warm.cursor().execute("SELECT 1")
time.sleep(0.5)
before = rss()
conns = []
t0 = time.time()
for i in range(n):
    c = pymysql.connect(host=host, port=port, user="app", password="apppass", database="test",
                        connect_timeout=10)
    conns.append(c)
for c in conns[:: max(1, n // 50)]:  # they are real sessions
    cur = c.cursor(); cur.execute("SELECT 1"); cur.fetchall()
time.sleep(1.0)
after = rss()
took = time.time() - t0
for c in conns:
    c.close()
warm.close()
time.sleep(1.0)
print(before, after, rss(), f"{took:.1f}")
PY
idle() { # PORT PID
    "$PY" "$W/idle.py" 127.0.0.1 "$1" "$IDLE" "$2" 2> "$W/idle-$1.err" || { tail -3 "$W/idle-$1.err" >&2; echo "0 0 0 0"; }
}
echo "proxy_bench: $IDLE idle connections through ddlgate"
read -r dg_before dg_after dg_closed dg_took < <(idle "$DG_PORT" "$DG_PID")
echo "proxy_bench: $IDLE idle connections through haproxy"
read -r ha_before ha_after ha_closed ha_took < <(idle "$HA_PORT" "$HA_PID")
pair() { awk -v a="$1" -v b="$2" -v n="$IDLE" 'BEGIN { if (b > 0) printf "%.1f", (b - a) / n; else print "n/a" }'; }

echo
echo "ddlgate benchmark: $(nproc) cores, $THREADS threads, $TIME s per run, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "(qps: median of the rounds; ratios: median of the per-round ratios; cpu: proxy CPU seconds per 10k queries)"
printf '%-18s %11s %11s %11s %10s %9s %12s %12s\n' workload direct_qps haproxy_qps ddlgate_qps dg/haproxy dg/direct "dg_cpu/10k" "ha_cpu/10k"
for wl in oltp_point_select oltp_read_only; do
    printf '%-18s %11s %11s %11s %10s %9s %12s %12s\n' "$wl" "${QPS[$wl.direct]}" "${QPS[$wl.haproxy]}" \
        "${QPS[$wl.ddlgate]}" "$(echo "${RATIO_HA[$wl]}" | median)" "$(echo "${RATIO_DIRECT[$wl]}" | median)" \
        "$(echo "${CPU[$wl.ddlgate]}" | median)" "$(echo "${CPU[$wl.haproxy]}" | median)"
    echo "  per-round ddlgate/haproxy:${RATIO_HA[$wl]}"
done
echo
printf '%-10s %8s %14s %14s %20s %18s\n' proxy idle "rss_before_KiB" "rss_after_KiB" "KiB_per_client+backend" "rss_after_close"
printf '%-10s %8s %14s %14s %20s %18s\n' ddlgate "$IDLE" "$dg_before" "$dg_after" "$(pair "$dg_before" "$dg_after")" "$dg_closed"
printf '%-10s %8s %14s %14s %20s %18s\n' haproxy "$IDLE" "$ha_before" "$ha_after" "$(pair "$ha_before" "$ha_after")" "$ha_closed"
echo "(connect time for $IDLE clients: ddlgate ${dg_took}s, haproxy ${ha_took}s)"
pid_alive "$DG_PID" || echo "WARNING: ddlgate died during the benchmark (log: $W/ddlgate.log)"
