#!/usr/bin/env bash
# test_sysbench.sh - sysbench through ddlgate with zero errors: oltp_read_write
# (server-side prepared statements, 4 threads, 10 s), oltp_point_select over
# the text protocol, and oltp_read_only over TLS.  Then cleanup.
# Env (from run.sh): DG_HOST DG_PORT MARIADB_CERTS; SYSBENCH_TIME (default 10).
set -euo pipefail

: "${DG_PORT:?DG_PORT not set (run via tests/integration/run.sh)}"
DG_HOST=${DG_HOST:-127.0.0.1}
TIME=${SYSBENCH_TIME:-10}
DB=test_sysbench
T=$(mktemp -d "${IT_WORK_DIR:-/tmp}/sysbench.XXXXXX")
trap 'rm -rf "$T"' EXIT

PASS=0
FAIL=0
ok() { echo "ok - sysbench_$1"; PASS=$((PASS + 1)); }
notok() { echo "not ok - sysbench_$1: $2"; FAIL=$((FAIL + 1)); }

command -v sysbench > /dev/null || { echo "not ok - sysbench: sysbench not installed (scripts/deps.sh)"; exit 1; }

SB=(--db-driver=mysql --mysql-host="$DG_HOST" --mysql-port="$DG_PORT" --mysql-user=app
    --mysql-password=apppass --mysql-db="$DB" --tables=4 --table-size=10000)

timeout 30 mariadb --no-defaults -h"$DG_HOST" -P"$DG_PORT" -uapp -papppass \
    -e "CREATE DATABASE IF NOT EXISTS $DB" 2> "$T/err" \
    || { notok create_db "$(head -c 300 "$T/err")"; exit 1; }

# stat FILE FIELD: the number after "FIELD:" in sysbench's summary
stat() { awk -v f="$2:" '{ line = $0; sub(/^[ \t]+/, "", line) } index(line, f) == 1 { sub(f, "", line); split(line, a, " "); print a[1]; exit }' "$1"; }

# check NAME FILE RC [deadlocks-ok]: exit status 0, some queries, no
# reconnects, no ignored errors (unless only deadlocks were allowed)
check() {
    local name=$1 f=$2 rc=$3 q errs rec allowed=${4:-}
    q=$(stat "$f" queries)
    errs=$(stat "$f" "ignored errors")
    rec=$(stat "$f" reconnects)
    if [[ $rc -ne 0 ]]; then
        notok "$name" "exit $rc: $(grep -m3 -iE 'error|fatal' "$f" | tr '\n' ' ' | head -c 400)"
    elif [[ -z $q || $q -eq 0 ]]; then
        notok "$name" "no queries ran"
    elif [[ $rec != 0 || ($errs != 0 && $allowed != deadlocks-ok) ]]; then
        notok "$name" "errors=$errs reconnects=$rec (want 0)"
    else
        ok "$name"
        echo "#   $name: queries=$q $(grep -E '^ +queries:' "$f" | grep -o '([0-9.]* per sec.)') deadlocks_retried=$errs"
    fi
}

rc=0
timeout 120 sysbench oltp_read_write "${SB[@]}" --threads=4 prepare > "$T/prepare.out" 2>&1 || rc=$?
if [[ $rc -ne 0 ]]; then
    notok prepare "exit $rc: $(tail -3 "$T/prepare.out" | tr '\n' ' ')"
else
    ok prepare
    # Every error is fatal except InnoDB deadlocks (1213), which concurrent
    # read-write transactions produce on MariaDB itself; sysbench retries
    # those and counts them as "ignored errors".  Any other error stops the
    # run and fails the test.
    rc=0
    timeout $((TIME + 60)) sysbench oltp_read_write "${SB[@]}" --threads=4 --time="$TIME" \
        --mysql-ignore-errors=1213 --db-ps-mode=auto run > "$T/rw.out" 2>&1 || rc=$?
    check oltp_read_write_ps "$T/rw.out" "$rc" deadlocks-ok

    rc=0
    timeout 60 sysbench oltp_point_select "${SB[@]}" --threads=4 --time=3 \
        --mysql-ignore-errors=none --db-ps-mode=disable run > "$T/ps.out" 2>&1 || rc=$?
    check oltp_point_select_text "$T/ps.out" "$rc"

    if [[ -n ${MARIADB_CERTS:-} ]]; then
        # sysbench reads cacert.pem, client-cert.pem, client-key.pem from the cwd
        rc=0
        (cd "$MARIADB_CERTS" && timeout 60 sysbench oltp_read_only "${SB[@]}" --threads=4 --time=3 \
            --mysql-ssl=on --mysql-ignore-errors=none run) > "$T/tls.out" 2>&1 || rc=$?
        check oltp_read_only_tls "$T/tls.out" "$rc"
    fi
fi

# cleanup drops the tables: straight to MariaDB when its port is known, since
# ddlgate's default policy holds DROP TABLE for an admin's approval
CLEAN_PORT=${MARIADB_PORT:-$DG_PORT}
CLEAN_USER=(--mysql-user=app --mysql-password=apppass)
[[ -n ${MARIADB_PORT:-} ]] && CLEAN_USER=(--mysql-user=root --mysql-password=)
rc=0
timeout 60 sysbench oltp_read_write "${SB[@]}" --mysql-port="$CLEAN_PORT" "${CLEAN_USER[@]}" cleanup \
    > "$T/cleanup.out" 2>&1 || rc=$?
if [[ $rc -eq 0 ]]; then ok cleanup; else notok cleanup "exit $rc: $(tail -3 "$T/cleanup.out" | tr '\n' ' ')"; fi
if [[ -n ${MARIADB_PORT:-} ]]; then
    timeout 30 mariadb --no-defaults -h127.0.0.1 -P"$MARIADB_PORT" -uroot -e "DROP DATABASE IF EXISTS $DB" || true
fi

echo "# test_sysbench: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
