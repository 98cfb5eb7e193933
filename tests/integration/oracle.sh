#!/usr/bin/env bash
# oracle.sh - run it_oracle (classifier vs a real MariaDB) against
# $MARIADB_PORT, or against a throwaway server started here and stopped by
# PID afterwards.
#   tests/integration/oracle.sh [BUILD_DIR] [-v] [--all]
# ORACLE_OWN_SERVER=1 skips scripts/mariadb-sandbox.sh and starts mariadbd
# directly (the ENVIRONMENT.md method).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
shift || true
BIN=$BUILD/it_oracle
[[ -x $BIN ]] || { echo "oracle.sh: $BIN not built" >&2; exit 2; }

SANDBOX=""
cleanup() {
    if [[ -n $SANDBOX ]]; then
        "$ROOT/scripts/mariadb-sandbox.sh" stop "$SANDBOX" --purge >/dev/null 2>&1 || true
        rm -rf "$SANDBOX"
    fi
}
trap cleanup EXIT

if [[ -z ${MARIADB_PORT:-} ]]; then
    SANDBOX=$(mktemp -d /tmp/ddlgate-oracle.XXXXXX)
    if [[ -x $ROOT/scripts/mariadb-sandbox.sh && -z ${ORACLE_OWN_SERVER:-} ]]; then
        "$ROOT/scripts/mariadb-sandbox.sh" start "$SANDBOX" >/dev/null
        # shellcheck disable=SC1091
        source "$SANDBOX/env"
    else
        # ENVIRONMENT.md method: own datadir/tmpdir/socket, free port, root
        PORT=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
        mkdir -p "$SANDBOX/data" "$SANDBOX/tmp"
        cat > "$SANDBOX/my.cnf" <<CNF
[mariadbd]
user=root
bind-address=127.0.0.1
port=$PORT
socket=$SANDBOX/mysqld.sock
datadir=$SANDBOX/data
tmpdir=$SANDBOX/tmp
pid-file=$SANDBOX/mysqld.pid
skip-name-resolve
log-error=$SANDBOX/error.log
CNF
        mariadb-install-db --defaults-file="$SANDBOX/my.cnf" --user=root \
            --auth-root-authentication-method=normal --skip-test-db >/dev/null
        setsid mariadbd --defaults-file="$SANDBOX/my.cnf" >/dev/null 2>&1 &
        for _ in $(seq 1 100); do
            mariadb-admin --no-defaults --protocol=tcp -h127.0.0.1 -P"$PORT" -uroot ping >/dev/null 2>&1 && break
            sleep 0.2
        done
        mariadb --no-defaults -S "$SANDBOX/mysqld.sock" -uroot \
            -e "CREATE USER IF NOT EXISTS root@127.0.0.1; GRANT ALL ON *.* TO root@127.0.0.1 WITH GRANT OPTION"
        MARIADB_PORT=$PORT
        MARIADB_PID=$(cat "$SANDBOX/mysqld.pid")
        # stop by PID rather than through the sandbox script
        cleanup() { kill "$MARIADB_PID" 2>/dev/null || true
                    for _ in $(seq 1 150); do kill -0 "$MARIADB_PID" 2>/dev/null || break; sleep 0.2; done
                    rm -rf "$SANDBOX"; }
    fi
fi
export MARIADB_PORT MARIADB_HOST=127.0.0.1 MARIADB_USER=root
"$BIN" "$ROOT" "$@"
