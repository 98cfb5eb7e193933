#!/usr/bin/env bash
# run.sh - integration tests: one throwaway MariaDB (with TLS), ddlgate in
# front of it, then every integration test against ddlgate.
#
#   tests/integration/run.sh [TEST...]      TEST = it_client, test_cli, ... (default: all)
#
# Environment (all optional):
#   DG_TARGET=direct   run the tests straight against MariaDB (no ddlgate);
#                      used to validate the tests themselves
#   DDLGATE_BIN        ddlgate binary (default ./build/ddlgate)
#   IT_BIN_DIR         where the it_* programs are (default: DDLGATE_BIN's dir)
#   IT_TEST_TIMEOUT    seconds per test (default 300)
#   DG_BACKEND_TLS     backend.tls for ddlgate (default verify_ca)
#   DG_EXTRA_ARGS      more ddlgate arguments (word-split)
#   IT_KEEP=1          keep the work directory (logs, sandbox) even on success
#   IT_COUNTS_FILE     write "PASSED FAILED" there (scripts/test.sh sums it)
#
# Tests: every IT_BIN_DIR/it_* program built from tests/integration/it_*.c
# (it_X runs as "bash tests/integration/X.sh IT_BIN_DIR" when X.sh exists) and
# every tests/integration/test_*.sh.  Each gets this environment:
#   MARIADB_PORT MARIADB_SOCKET MARIADB_CERTS SANDBOX_DIR   the server
#   DG_HOST DG_PORT DG_ADMIN_PORT DG_TARGET DG_PID DG_LOG   ddlgate (DG_PORT =
#                                                           MARIADB_PORT when direct)
#   DG_ADMIN_USER DG_ADMIN_PASSWORD DDLGATE_BIN IT_BIN_DIR IT_WORK_DIR REPO_ROOT
# A test prints "ok - name" / "not ok - name: why" lines (each counts once);
# a test that prints none counts once by its exit status.  A non-zero exit
# with no "not ok" line counts as one failure; so does a timeout.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$HERE/../.." && pwd -P)
SANDBOX=$REPO_ROOT/scripts/mariadb-sandbox.sh

DG_TARGET=${DG_TARGET:-ddlgate}
DDLGATE_BIN=${DDLGATE_BIN:-$REPO_ROOT/build/ddlgate}
[[ $DDLGATE_BIN == /* ]] || DDLGATE_BIN=$PWD/$DDLGATE_BIN
IT_BIN_DIR=${IT_BIN_DIR:-$(dirname "$DDLGATE_BIN")}
IT_TEST_TIMEOUT=${IT_TEST_TIMEOUT:-300}
DG_BACKEND_TLS=${DG_BACKEND_TLS:-verify_ca}
DG_ADMIN_USER=${DG_ADMIN_USER:-admin}
DG_ADMIN_PASSWORD=${DG_ADMIN_PASSWORD:-adminpass}

PASSED=0
FAILED=0
FAILED_NAMES=()
DG_PID=""
WORK=""
SANDBOX_UP=0

say() { echo "run.sh: $*"; }

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# TERM, wait up to $2 seconds, then KILL.  Echoes nothing; returns the exit
# status when the process was our child, else 0.
stop_pid() {
    local pid=$1 bound=${2:-15} i
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < bound * 10; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
    done
    if pid_alive "$pid"; then
        say "pid $pid ignored SIGTERM for ${bound}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        return 137
    fi
    return 0
}

cleanup() {
    local rc=$?
    set +e
    if [[ -n $DG_PID ]] && pid_alive "$DG_PID"; then stop_pid "$DG_PID" 10; fi
    if [[ $SANDBOX_UP == 1 ]]; then "$SANDBOX" stop "$WORK/sandbox" >/dev/null; fi
    if [[ -n $WORK && -d $WORK ]]; then
        if [[ $FAILED -eq 0 && $rc -eq 0 && ${IT_KEEP:-0} != 1 ]]; then
            rm -rf "$WORK"
        else
            say "logs kept in $WORK"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { # record NAME PASSED FAILED
    PASSED=$((PASSED + $2))
    FAILED=$((FAILED + $3))
    [[ $3 -gt 0 ]] && FAILED_NAMES+=("$1")
    return 0
}

# run_test NAME CMD...: run bounded, tee the output, count ok/not ok lines.
run_test() {
    local name=$1; shift
    local out=$WORK/$name.out rc ok nok t0=$SECONDS
    echo "=== $name"
    set +e
    timeout -k 10 "$IT_TEST_TIMEOUT" "$@" < /dev/null 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    set -e
    ok=$(grep -c '^ok - ' "$out" || true)
    nok=$(grep -c '^not ok - ' "$out" || true)
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        echo "not ok - $name: timed out after ${IT_TEST_TIMEOUT}s"
        nok=$((nok + 1))
    elif [[ $rc -ne 0 && $nok -eq 0 ]]; then
        echo "not ok - $name: exit status $rc"
        nok=1
    elif [[ $rc -eq 0 && $ok -eq 0 && $nok -eq 0 ]]; then
        ok=1
    fi
    echo "=== $name: $ok passed, $nok failed (exit $rc, $((SECONDS - t0)) s)"
    record "$name" "$ok" "$nok"
}

wanted() {
    [[ ${#SELECTED[@]} -eq 0 ]] && return 0
    local s
    for s in "${SELECTED[@]}"; do [[ $s == "$1" ]] && return 0; done
    return 1
}

start_ddlgate() {
    DG_PORT=$(free_port)
    DG_ADMIN_PORT=$(free_port)
    while [[ $DG_ADMIN_PORT == "$DG_PORT" ]]; do DG_ADMIN_PORT=$(free_port); done
    DG_LOG=$WORK/ddlgate.log
    local args=(
        --listen "127.0.0.1:$DG_PORT"
        --backend "127.0.0.1:$MARIADB_PORT"
        --admin "127.0.0.1:$DG_ADMIN_PORT"
        --set "client_tls.cert=$MARIADB_CERTS/server.pem"
        --set "client_tls.key=$MARIADB_CERTS/server-key.pem"
        --set "backend.tls=$DG_BACKEND_TLS"
        --set "backend.tls_ca=$MARIADB_CERTS/ca.pem"
        --set "backend.monitor_user=monitor"
        --set "backend.monitor_password=monpass"
        --set "admin.user=$DG_ADMIN_USER"
        --set "admin.password=$DG_ADMIN_PASSWORD"
        --log-level info
    )
    [[ -n ${DG_CONFIG:-} ]] && args=(-c "$DG_CONFIG" "${args[@]}")
    # shellcheck disable=SC2206
    [[ -n ${DG_EXTRA_ARGS:-} ]] && args+=($DG_EXTRA_ARGS)
    echo "$DDLGATE_BIN ${args[*]}" > "$WORK/ddlgate.cmd"
    "$DDLGATE_BIN" "${args[@]}" > "$DG_LOG" 2>&1 < /dev/null &
    DG_PID=$!
    local i
    for ((i = 0; i < 200; i++)); do # <= 20 s
        if ! pid_alive "$DG_PID"; then
            wait "$DG_PID" 2>/dev/null || true
            tail -20 "$DG_LOG" | sed 's/^/    ddlgate.log: /'
            return 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$DG_PORT") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    tail -20 "$DG_LOG" | sed 's/^/    ddlgate.log: /'
    return 1
}

main() {
    SELECTED=("$@")
    mkdir -p "$REPO_ROOT/tmp"
    WORK=$(mktemp -d "$REPO_ROOT/tmp/it.XXXXXX")
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

    say "target: $DG_TARGET; work dir $WORK"
    if ! "$SANDBOX" start "$WORK/sandbox" --tls > "$WORK/sandbox.log" 2>&1; then
        cat "$WORK/sandbox.log"
        echo "not ok - start MariaDB sandbox"
        record sandbox 0 1
        return
    fi
    SANDBOX_UP=1
    # shellcheck disable=SC1091
    source "$WORK/sandbox/env"
    SANDBOX_DIR=$WORK/sandbox
    DG_HOST=127.0.0.1
    DG_LOG=""
    if [[ $DG_TARGET == direct ]]; then
        DG_PORT=$MARIADB_PORT
        DG_ADMIN_PORT=""
        say "MariaDB 127.0.0.1:$MARIADB_PORT (direct; no ddlgate)"
    else
        if [[ ! -x $DDLGATE_BIN ]]; then
            echo "not ok - start ddlgate: no executable at $DDLGATE_BIN (build first, or set DDLGATE_BIN)"
            record ddlgate_start 0 1
            return
        fi
        if ! start_ddlgate; then
            echo "not ok - start ddlgate: it did not listen on 127.0.0.1:$DG_PORT (log: $DG_LOG)"
            record ddlgate_start 0 1
            return
        fi
        say "ddlgate pid $DG_PID on 127.0.0.1:$DG_PORT (admin $DG_ADMIN_PORT) -> MariaDB 127.0.0.1:$MARIADB_PORT"
    fi
    export DG_BACKEND_TLS
    export MARIADB_PORT MARIADB_SOCKET MARIADB_CERTS SANDBOX_DIR DG_HOST DG_PORT DG_ADMIN_PORT \
        DG_TARGET DG_PID DG_LOG DG_ADMIN_USER DG_ADMIN_PASSWORD DDLGATE_BIN IT_BIN_DIR REPO_ROOT
    export IT_WORK_DIR=$WORK

    local src name t
    for src in "$HERE"/it_*.c; do
        [[ -e $src ]] || continue
        name=$(basename "$src" .c)
        wanted "$name" || continue
        # an it_X program with its own driver script X.sh runs through it
        # (e.g. it_oracle via oracle.sh, given the build directory)
        if [[ -f $HERE/${name#it_}.sh ]]; then
            run_test "$name" bash "$HERE/${name#it_}.sh" "$IT_BIN_DIR"
            continue
        fi
        if [[ ! -x $IT_BIN_DIR/$name ]]; then
            echo "not ok - $name: not built ($IT_BIN_DIR/$name missing)"
            record "$name" 0 1
            continue
        fi
        run_test "$name" "$IT_BIN_DIR/$name"
    done
    for t in "$HERE"/test_*.sh; do
        [[ -e $t ]] || continue
        name=$(basename "$t" .sh)
        wanted "$name" || continue
        run_test "$name" bash "$t"
    done

    if [[ $DG_TARGET != direct ]]; then
        # the proxy must have survived everything and must stop cleanly
        if pid_alive "$DG_PID"; then
            echo "ok - ddlgate_survived"
            record ddlgate_survived 1 0
            local rc=0
            stop_pid "$DG_PID" 20 || rc=$?
            wait "$DG_PID" 2>/dev/null || rc=$?
            DG_PID=""
            if [[ $rc -eq 0 ]]; then
                echo "ok - ddlgate_clean_shutdown"
                record ddlgate_clean_shutdown 1 0
            else
                echo "not ok - ddlgate_clean_shutdown: exit status $rc after SIGTERM"
                record ddlgate_clean_shutdown 0 1
            fi
        else
            echo "not ok - ddlgate_survived: ddlgate died during the tests (log: $DG_LOG)"
            tail -20 "$DG_LOG" | sed 's/^/    ddlgate.log: /'
            record ddlgate_survived 0 1
        fi
        if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$DG_LOG" 2>/dev/null; then
            echo "not ok - ddlgate_sanitizers: sanitizer reports in $DG_LOG"
            # the first report with its stack
            awk '/ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/ { on = 1 } on && n++ < 25' "$DG_LOG" | sed 's/^/    /'
            record ddlgate_sanitizers 0 1
        fi
    fi
}

main "$@"
if [[ ${#FAILED_NAMES[@]} -gt 0 ]]; then
    say "failed: ${FAILED_NAMES[*]}"
fi
[[ -n ${IT_COUNTS_FILE:-} ]] && echo "$PASSED $FAILED" > "$IT_COUNTS_FILE"
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
