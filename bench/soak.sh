#!/usr/bin/env bash
# soak.sh - a bounded soak of ddlgate (not run in CI).
#
#   bench/soak.sh            env: DDLGATE_BIN (./build/ddlgate)  SOAK_TIME (600 s)
#                                 SOAK_THREADS (64)  SOAK_DDLGATE_ARGS (more options)
#                                 SOAK_DDL (all)  SOAK_DIRECT (0)
#
# SOAK_DDL chooses the ALTERs of the loop: instant (ADD/DROP COLUMN only),
# index (CREATE/DROP INDEX only), all (both: index builds every 5th round),
# none (rule toggles only).  SOAK_DIRECT=1 runs sysbench (and the loop's
# ALTERs) directly against MariaDB: the baseline of what the workload
# produces without ddlgate.
#
# sysbench oltp_read_write through ddlgate for SOAK_TIME seconds while a loop
# toggles rules on the admin port and runs online ALTERs on the benchmark's
# tables (ADD/DROP COLUMN with ALGORITHM=INSTANT, an index build rewritten to
# LOCK=NONE).  Expected: no sysbench thread stopped by an error (the ALTERs
# are queued by ddlgate until no transaction holds the table, and rules
# produce no errors for sysbench's statements; DG006 is off so the loop can
# drop its columns).  sysbench retries deadlocks and lock wait timeouts by
# itself ("ignored errors"); a direct run has InnoDB deadlocks too; the
# summary tells the kinds apart with InnoDB's counters.  Every ALTER must be
# answered (each is bounded: no answer within the queue deadline + 60 s is a
# stall and fails the soak; the queue must be empty at the end), and
# ddlgate's RSS must stay flat (less than 8 MiB of growth; the figures are
# printed every minute).  The summary gives the errors by kind, the ALTER
# outcomes by error code, and the verdict counters.
#
# SOAK_SYSBENCH_ARGS adds sysbench options, e.g. --mysql-ignore-errors=1213
# to make every other error stop a thread and show its code.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DDLGATE_BIN=${DDLGATE_BIN:-$ROOT/build/ddlgate}
TIME=${SOAK_TIME:-600}
THREADS=${SOAK_THREADS:-64}
DEADLINE=120 # limits.ddl_queue_deadline_s
DDL=${SOAK_DDL:-all}
DIRECT=${SOAK_DIRECT:-0}
case $DDL in instant | index | all | none) ;; *) echo "soak: SOAK_DDL=instant|index|all|none" >&2; exit 1 ;; esac

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
    --set limits.ddl_queue_deadline_s=$DEADLINE --set rules.DG006=off ${SOAK_DDLGATE_ARGS:-} \
    > "$W/ddlgate.log" 2>&1 &
DG_PID=$!
for _ in $(seq 1 50); do
    mariadb --no-defaults -h127.0.0.1 -P"$PORT" -uroot -e 'SELECT 1' > /dev/null 2>&1 && break
    sleep 0.1
done

SBPORT=$PORT
((DIRECT)) && SBPORT=$MARIADB_PORT
SB=(sysbench oltp_read_write --mysql-host=127.0.0.1 --mysql-port="$SBPORT" --mysql-user=root
    --mysql-db=test --tables=4 --table-size=20000 --threads="$THREADS" ${SOAK_SYSBENCH_ARGS:-})
"${SB[@]}" prepare > "$W/prepare.log" 2>&1

admin() { mariadb --no-defaults -h127.0.0.1 -P"$APORT" -uadmin -psoak -e "$1" > /dev/null 2>&1; }
# one ALTER, bounded; its outcome goes to outcomes.log: "ok", "ERROR <code>" or "NO ANSWER"
app() {
    local out rc
    out=$(timeout "$((DEADLINE + 60))" mariadb --no-defaults -h127.0.0.1 -P"$SBPORT" -uroot test \
        -e "$1" 2>&1) && rc=0 || rc=$?
    printf '%s %s\n%s\n' "$(date +%T)" "$1" "$out" >> "$W/alter.log"
    if ((rc == 124)); then
        echo "NO ANSWER: $1" >> "$W/outcomes.log"
    elif [[ $out =~ (^|$'\n')ERROR\ ([0-9]+) ]]; then
        echo "ERROR ${BASH_REMATCH[2]}" >> "$W/outcomes.log"
    else
        echo "ok" >> "$W/outcomes.log"
    fi
}

# the disturbance loop: rule toggles and online ALTERs, bounded by TIME
(
    end=$((SECONDS + TIME))
    i=0
    while ((SECONDS < end)); do
        t=sbtest$((i % 4 + 1))
        admin "SET RULE DG016 = $([[ $((i % 2)) == 0 ]] && echo off || echo warn)"
        admin "SET RULE DG010 = rewrite"
        if [[ $DDL == all || $DDL == instant ]]; then
            app "ALTER TABLE $t ADD COLUMN soak_c$i INT NULL"
            admin "SHOW QUEUE"
            app "ALTER TABLE $t DROP COLUMN soak_c$i, ALGORITHM=INSTANT"
        fi
        if [[ $DDL == index ]] || [[ $DDL == all && $((i % 5)) == 0 ]]; then
            app "CREATE INDEX soak_i$i ON $t (c)"
            app "DROP INDEX soak_i$i ON $t"
        fi
        i=$((i + 1))
        sleep 5
    done
) &
LOOP_PID=$!

# InnoDB's own counters, to tell the kinds of errors sysbench retried apart
innodb_metric() { bash "$ROOT/scripts/mariadb-sandbox.sh" sql "$W/db" -N -e \
    "SELECT COUNT FROM information_schema.INNODB_METRICS WHERE NAME = '$1'"; }
: > "$W/outcomes.log"
DL0=$(innodb_metric lock_deadlocks)
LT0=$(innodb_metric lock_timeouts)
RSS0=$(rss_kib)
echo "soak: $THREADS threads for $TIME s, ALTERs: $DDL, sysbench $( ((DIRECT)) && echo directly on MariaDB || echo through ddlgate); ddlgate RSS at start ${RSS0} KiB"
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
DL=$(($(innodb_metric lock_deadlocks) - DL0))
LT=$(($(innodb_metric lock_timeouts) - LT0))
# sysbench's fatal errors by code (it stops a thread on any error it does not ignore)
FATAL=$( (grep -oE 'error [0-9]+' "$W/run.log" || true) | sort | uniq -c |
    awk '{printf "%s%s x%s", s, $3, $1; s=", "}')
ALTERS=$(wc -l < "$W/outcomes.log" 2> /dev/null || echo 0)
OUTCOMES=$( (sort "$W/outcomes.log" 2> /dev/null || true) | uniq -c |
    awk '{c=$1; $1=""; printf "%s%s x%d", s, substr($0,2), c; s=", "}')
STALLS=$(grep -c '^NO ANSWER' "$W/outcomes.log" 2> /dev/null || true)
echo "soak: ddlgate RSS start ${RSS0} KiB, end ${RSS1} KiB"
echo "soak: sysbench errors it retried: ${ERRORS:-?} (InnoDB deadlocks $DL, InnoDB lock wait" \
    "timeouts $LT, others (metadata-lock deadlocks, which InnoDB does not count) $((${ERRORS:-0} - DL - LT))); errors that stopped a sysbench thread:" \
    "${FATAL:-none}"
echo "soak: $ALTERS ALTER statements: ${OUTCOMES:-none} (details: $W/alter.log)"
mariadb --no-defaults -h127.0.0.1 -P"$APORT" -uadmin -psoak -e "SHOW STATS" 2> /dev/null |
    grep -E "^(queries|ddl|rewritten|rejected|warned|held_for_approval|queue_)" | sed 's/^/soak: /' || true
LEFT=$( (mariadb --no-defaults -N -h127.0.0.1 -P"$APORT" -uadmin -psoak -e "SHOW QUEUE" 2> /dev/null ||
    true) | wc -l)
echo "soak: DDL statements left in the queue: $LEFT; ALTERs with no answer: ${STALLS:-0}"
RECONNECTS=$(awk '/reconnects:/ {print $2}' "$W/run.log")
[[ -n ${ERRORS:-} && -z $FATAL && ${RECONNECTS:-1} == 0 && ${STALLS:-0} == 0 && $LEFT == 0 &&
    $((RSS1 - RSS0)) -lt 8192 ]]
