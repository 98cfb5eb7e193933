#!/usr/bin/env bash
# setup.sh - one command to a running ddlgate: installs the packages
# (scripts/deps.sh), builds into ./build, starts a throwaway MariaDB 10.11
# in ./tmp/sandbox and ddlgate in front of it, then prints how to connect.
#
#   scripts/setup.sh          (or: scripts/setup.sh start)
#   scripts/setup.sh status
#   scripts/setup.sh stop     stops ddlgate and MariaDB (keeps ./tmp/sandbox)
#   scripts/setup.sh purge    stop, then delete ./tmp/sandbox
#
# Ports: ddlgate listens on 127.0.0.1:4406 and its admin port on 4407 when
# those are free (override with DG_PORT / DG_ADMIN_PORT), else on free ports.
# ddlgate reads conf/ddlgate.ini; the command line overrides the backend,
# the TLS files and the passwords.  Log: ./tmp/ddlgate.log.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
TMP=$ROOT/tmp
SANDBOX_DIR=$TMP/sandbox
PIDFILE=$TMP/ddlgate.pid
LOG=$TMP/ddlgate.log
STATE=$TMP/setup.env
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
DDLGATE_BIN=${DDLGATE_BIN:-$BUILD_DIR/ddlgate}
CONF=${DG_CONFIG:-$ROOT/conf/ddlgate.ini}

die() { echo "setup.sh: $*" >&2; exit 1; }
pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# port_or_free WANT: WANT when nothing listens there, else a free port
port_or_free() {
    /usr/bin/python3 - "$1" <<'PY'
import socket, sys
want = int(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", want))
except OSError:
    s.close()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

ddlgate_pid() {
    local pid bin=$DDLGATE_BIN
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    # the binary that was started (BUILD_DIR may differ between calls)
    [[ -f $STATE ]] && bin=$(sed -n 's/^DDLGATE_BIN=//p' "$STATE")
    # only a pid that really is our ddlgate counts
    local exe
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    exe=${exe% (deleted)}   # the binary may have been rebuilt since
    if pid_alive "$pid" && [[ $exe == "$(readlink -f "${bin:-$DDLGATE_BIN}")" ]]; then
        echo "$pid"
    fi
}

stop_ddlgate() {
    local pid i
    pid=$(ddlgate_pid)
    if [[ -n $pid ]]; then
        kill -TERM "$pid"
        for ((i = 0; i < 350; i++)); do pid_alive "$pid" || break; sleep 0.1; done
        if pid_alive "$pid"; then
            echo "setup.sh: ddlgate (pid $pid) still running after 35 s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        echo "setup.sh: ddlgate stopped (pid $pid)"
    fi
    rm -f "$PIDFILE"
}

cmd_stop() {
    stop_ddlgate
    if [[ -f $SANDBOX_DIR/env ]]; then
        bash "$ROOT/scripts/mariadb-sandbox.sh" stop "$SANDBOX_DIR"
    fi
    rm -f "$STATE"
}

cmd_status() {
    local pid
    pid=$(ddlgate_pid)
    if [[ -n $pid && -f $STATE ]]; then
        # shellcheck disable=SC1090
        source "$STATE"
        echo "ddlgate: running, pid $pid, 127.0.0.1:$DG_PORT (admin 127.0.0.1:$DG_ADMIN_PORT), log $LOG"
    else
        echo "ddlgate: not running"
    fi
    bash "$ROOT/scripts/mariadb-sandbox.sh" status "$SANDBOX_DIR" | sed 's/^/MariaDB sandbox: /' || true
}

print_howto() {
    cat <<EOF

ddlgate is running (pid $(ddlgate_pid)) in front of MariaDB 127.0.0.1:$MARIADB_PORT.

  Connect through ddlgate:
    mariadb --no-defaults -h127.0.0.1 -P$DG_PORT -uapp -papppass test
  With TLS (the sandbox CA signs ddlgate's certificate):
    mariadb --no-defaults -h127.0.0.1 -P$DG_PORT -uapp -papppass --ssl-ca=$MARIADB_CERTS/ca.pem --ssl-verify-server-cert test
  Admin port (MySQL protocol):
    mariadb --no-defaults -h127.0.0.1 -P$DG_ADMIN_PORT -uadmin -p\$(cat $TMP/admin.password)
  MariaDB directly (bypassing ddlgate):
    mariadb --no-defaults -h127.0.0.1 -P$MARIADB_PORT -uapp -papppass test

  Other accounts: ed/edpass (ed25519), tlsuser/tlspass (REQUIRE SSL), root (no password).
  Log: $LOG      Stop: scripts/setup.sh stop
EOF
}

cmd_start() {
    if [[ -n $(ddlgate_pid) && -f $STATE ]]; then
        # shellcheck disable=SC1090
        source "$STATE"
        # shellcheck disable=SC1091
        source "$SANDBOX_DIR/env"
        echo "setup.sh: already running"
        print_howto
        return 0
    fi
    mkdir -p "$TMP"
    bash "$ROOT/scripts/deps.sh"

    echo "setup.sh: building into $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release > "$TMP/build.log" 2>&1 \
        || { tail -20 "$TMP/build.log"; die "cmake configure failed (log: $TMP/build.log)"; }
    cmake --build "$BUILD_DIR" -j"${JOBS:-2}" >> "$TMP/build.log" 2>&1 \
        || { grep -E 'error' "$TMP/build.log" | head -20; die "build failed (log: $TMP/build.log)"; }
    [[ -x $DDLGATE_BIN ]] || die "no ddlgate binary at $DDLGATE_BIN after the build"

    if ! bash "$ROOT/scripts/mariadb-sandbox.sh" status "$SANDBOX_DIR" > /dev/null 2>&1; then
        bash "$ROOT/scripts/mariadb-sandbox.sh" start "$SANDBOX_DIR" --tls
    fi
    # shellcheck disable=SC1091
    source "$SANDBOX_DIR/env"

    DG_PORT=${DG_PORT:-$(port_or_free 4406)}
    DG_ADMIN_PORT=${DG_ADMIN_PORT:-$(port_or_free 4407)}
    [[ $DG_ADMIN_PORT != "$DG_PORT" ]] || DG_ADMIN_PORT=$(port_or_free 0)
    if [[ ! -s $TMP/admin.password ]]; then
        (umask 077; head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$TMP/admin.password")
    fi

    local args=()
    [[ -f $CONF ]] && args+=(-c "$CONF")
    args+=(
        --listen "127.0.0.1:$DG_PORT"
        --backend "127.0.0.1:$MARIADB_PORT"
        --admin "127.0.0.1:$DG_ADMIN_PORT"
        --set "client_tls.cert=$MARIADB_CERTS/server.pem"
        --set "client_tls.key=$MARIADB_CERTS/server-key.pem"
        --set "backend.tls=verify_ca"
        --set "backend.tls_ca=$MARIADB_CERTS/ca.pem"
        --set "backend.monitor_user=monitor"
        --set "backend.monitor_password=monpass"
        --set "admin.user=admin"
        --set "admin.password=file:$TMP/admin.password"
    )
    echo "setup.sh: starting $DDLGATE_BIN ${args[*]}"
    # setsid: ddlgate outlives this shell and ignores its terminal's signals
    setsid "$DDLGATE_BIN" "${args[@]}" >> "$LOG" 2>&1 < /dev/null &
    local pid=$! i
    echo "$pid" > "$PIDFILE"
    printf 'DDLGATE_BIN=%s\n' "$DDLGATE_BIN" > "$STATE"
    for ((i = 0; i < 200; i++)); do # <= 20 s
        pid_alive "$pid" || { tail -20 "$LOG"; rm -f "$PIDFILE" "$STATE"; die "ddlgate exited at startup (log: $LOG)"; }
        (exec 3<>"/dev/tcp/127.0.0.1/$DG_PORT") 2>/dev/null && break
        sleep 0.1
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$DG_PORT") 2>/dev/null \
        || { tail -20 "$LOG"; die "ddlgate does not listen on 127.0.0.1:$DG_PORT after 20 s (log: $LOG)"; }
    printf 'DG_PORT=%s\nDG_ADMIN_PORT=%s\n' "$DG_PORT" "$DG_ADMIN_PORT" >> "$STATE"
    if mariadb --no-defaults --connect-timeout=5 -h127.0.0.1 -P"$DG_PORT" -uapp -papppass test \
        -N -B -e "SELECT 1" > /dev/null 2> "$TMP/check.err"; then
        echo "setup.sh: checked: a query through ddlgate works"
    else
        echo "setup.sh: WARNING: a test query through ddlgate failed: $(cat "$TMP/check.err")" >&2
    fi
    print_howto
}

case ${1:-start} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    purge) cmd_stop; bash "$ROOT/scripts/mariadb-sandbox.sh" stop "$SANDBOX_DIR" --purge 2>/dev/null || rm -rf "$SANDBOX_DIR" ;;
    *) echo "usage: scripts/setup.sh [start|status|stop|purge]" >&2; exit 2 ;;
esac
