#!/usr/bin/env bash
# soak.sh - a bounded soak of ddlgate (not run in CI).
#
#   bench/soak.sh            env: DDLGATE_BIN (./build/ddlgate)  SOAK_TIME (600 s)
#                                 SOAK_THREADS (64)  SOAK_DDLGATE_ARGS (more options)
#
# sysbench oltp_read_write through ddlgate for SOAK_TIME seconds while a loop
# toggles rules on the admin port and runs online ALTERs on the benchmark's
# tables (ADD/DROP COLUMN with ALGORITHM=INSTANT, an index build rewritten to
# LOCK=NONE).  Expected: zero sysbench errors (the ALTERs are queued by
# ddlgate until no transaction holds the table, and rules produce no errors
# for sysbench's statements; DG006 is off so the loop can drop its columns;
# sysbench's "ignored errors" are InnoDB deadlocks it retries, which a
# direct run shows too), and ddlgate's RSS flat: the start and end
# figures are printed, with every minute in between.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DDLGATE_BIN=${DDLGATE_BIN:-$ROOT/build/ddlgate}
TIME=${SOAK_TIME:-600}
THREADS=${SOAK_THREADS:-64}

[[ -x $DDLGATE_BIN ]] || { echo "soak: no ddlgate at $DDLGATE_BIN (build first)" >&2; exit 1; }
command -v sysbench > /dev/null || { echo "soak: sysbench missing (scripts/deps.sh)" >&2; exit 1; }

mkdir -p "$ROOT/tmp"
W=$(mktemp -d "$ROOT/tmp/soak.XXXXXX")
DG_PID=""
LOOP_PID=""
cleanup() {
    set +e
    [[ -n $LOOP_PID ]] && kill "$LOOP_PID" 2> /dev/null
    [[ -n $DG_PID ]] && kill -TERM "$DG_PID" 2> /dev/null && wait "$DG_PID" 2> /dev/null
    bash "$ROOT/scripts/mariadb-sandbox.sh" stop "$W/db" > /dev/null 2>&1
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$DG_PID/status"; }

bash "$ROOT/scripts/mariadb-sandbox.sh" start "$W/db" --max-connections 400 > "$W/sandbox.log"
# shellcheck disable=SC1091
source "$W/db/env"
PORT=$(free_port)
APORT=$(free_port)
ulimit -n 65536 2> /dev/null || true
"$DDLGATE_BIN" --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$MARIADB_PORT" \
    --admin "127.0.0.1:$APORT" --set admin.password=soak \
    --set backend.monitor_user=monitor --set backend.monitor_password=monpass \
    --set limits.ddl_queue_deadline_s=120 --set rules.DG006=off ${SOAK_DDLGATE_ARGS:-} \
    > "$W/ddlgate.log" 2>&1 &
DG_PID=$!
for _ in $(seq 1 50); do
    mariadb --no-defaults -h127.0.0.1 -P"$PORT" -uroot -e 'SELECT 1' > /dev/null 2>&1 && break
    sleep 0.1
done

SB=(sysbench oltp_read_write --mysql-host=127.0.0.1 --mysql-port="$PORT" --mysql-user=root
    --mysql-db=test --tables=4 --table-size=20000 --threads="$THREADS")
"${SB[@]}" prepare > "$W/prepare.log" 2>&1

admin() { mariadb --no-defaults -h127.0.0.1 -P"$APORT" -uadmin -psoak -e "$1" > /dev/null 2>&1; }
app() { mariadb --no-defaults -h127.0.0.1 -P"$PORT" -uroot test -e "$1" >> "$W/alter.log" 2>&1; }

# the disturbance loop: rule toggles and online ALTERs, bounded by TIME
(
    end=$((SECONDS + TIME))
    i=0
    while ((SECONDS < end)); do
        t=sbtest$((i % 4 + 1))
        admin "SET RULE DG016 = $([[ $((i % 2)) == 0 ]] && echo off || echo warn)"
        admin "SET RULE DG010 = rewrite"
        app "ALTER TABLE $t ADD COLUMN soak_c$i INT NULL"
        admin "SHOW QUEUE"
        app "ALTER TABLE $t DROP COLUMN soak_c$i, ALGORITHM=INSTANT"
        if ((i % 5 == 0)); then
            app "CREATE INDEX soak_i$i ON $t (c)"
            app "DROP INDEX soak_i$i ON $t"
        fi
        i=$((i + 1))
        sleep 5
    done
) &
LOOP_PID=$!

RSS0=$(rss_kib)
echo "soak: $THREADS threads for $TIME s; ddlgate RSS at start ${RSS0} KiB"
"${SB[@]}" --time="$TIME" --report-interval=60 run > "$W/run.log" 2>&1 &
SB_PID=$!
while kill -0 "$SB_PID" 2> /dev/null; do
    sleep 60
    kill -0 "$SB_PID" 2> /dev/null && echo "soak: $(date +%T) RSS $(rss_kib) KiB"
done
wait "$SB_PID" || true
wait "$LOOP_PID" 2> /dev/null || true
LOOP_PID=""
RSS1=$(rss_kib)

grep -E "queries:|transactions:|ignored errors:|reconnects:" "$W/run.log" | sed 's/^ */soak: /'
ERRORS=$(awk '/ignored errors:/ {print $3}' "$W/run.log")
ALTER_ERRORS=$(grep -c '^ERROR' "$W/alter.log" || true)
echo "soak: ddlgate RSS start ${RSS0} KiB, end ${RSS1} KiB"
echo "soak: sysbench errors ${ERRORS:-?}, ALTER errors $ALTER_ERRORS (see $W/alter.log)"
mariadb --no-defaults -h127.0.0.1 -P"$APORT" -uadmin -psoak -e "SHOW STATS" 2> /dev/null |
    grep -E "^(queries|ddl|rewritten|rejected|queue_)" | sed 's/^/soak: /'
[[ ${ERRORS:-1} == 0 ]]
