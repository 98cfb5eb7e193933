#!/usr/bin/env bash
# mariadb-sandbox.sh - a throwaway MariaDB server, run as root in a directory
# of its own, for tests and benchmarks.  Never touches /var/lib/mysql,
# /etc/mysql or any system service.
#
#   mariadb-sandbox.sh start DIR [--tls] [--max-connections N]
#   mariadb-sandbox.sh stop  DIR [--purge]
#   mariadb-sandbox.sh sql   DIR [mariadb client args...]   (root over the socket)
#   mariadb-sandbox.sh status DIR
#
# start writes DIR/env (shell-sourceable): MARIADB_PORT, MARIADB_SOCKET,
# MARIADB_PID, MARIADB_DIR, MARIADB_CERTS, MARIADB_TLS.
# Users (database `test`, plus any database named test*):
#   root@127.0.0.1   no password, all privileges
#   app@'%'          mysql_native_password 'apppass'
#   ed@'%'           ed25519 'edpass'
#   tlsuser@'%'      'tlspass' REQUIRE SSL
#   monitor@'%'      'monpass'  PROCESS, SELECT, CONNECTION ADMIN (processlist,
#                    innodb_trx, performance_schema.metadata_locks, KILL)
#   clear@'%'        'clearpass' via cleartext_plugin_server (only when the
#                    mariadb-test package's auth_test_plugin.so exists)
# TLS (--tls): DIR/certs/{ca,server,client}{.pem,-key.pem}; the server
# certificate has SAN IP:127.0.0.1 and DNS:localhost.  sysbench's names
# (cacert.pem, client-cert.pem, client-key.pem) are there too.
set -euo pipefail

PROG=${0##*/}
START_TIMEOUT_S=${SANDBOX_START_TIMEOUT_S:-90}
STOP_TIMEOUT_S=${SANDBOX_STOP_TIMEOUT_S:-30}

die() { echo "$PROG: $*" >&2; exit 1; }

# A TCP port nobody listens on now.  Racy by nature; start retries on clash.
free_port() {
    /usr/bin/python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

find_bin() {
    local b
    for b in "$@"; do
        command -v "$b" >/dev/null 2>&1 && { command -v "$b"; return 0; }
        [[ -x /usr/sbin/$b ]] && { echo "/usr/sbin/$b"; return 0; }
    done
    return 1
}

make_certs() {
    local c=$1
    [[ -s $c/server.pem && -s $c/client.pem ]] && return 0
    mkdir -p "$c"
    (
        cd "$c"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ddlgate test CA" \
            -keyout ca-key.pem -out ca.pem 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
            -keyout server-key.pem -out server.csr 2>/dev/null
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
            -days 3650 -extfile server.ext -out server.pem 2>/dev/null
        printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.ext
        openssl req -newkey rsa:2048 -nodes -subj "/CN=ddlgate test client" \
            -keyout client-key.pem -out client.csr 2>/dev/null
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
            -days 3650 -extfile client.ext -out client.pem 2>/dev/null
        cp ca.pem cacert.pem
        cp client.pem client-cert.pem
        rm -f server.csr client.csr
        chmod 600 ./*-key.pem
    ) || die "openssl failed making certificates in $c"
    openssl verify -CAfile "$c/ca.pem" "$c/server.pem" "$c/client.pem" >/dev/null \
        || die "generated certificates do not verify"
}

write_cnf() {
    local dir=$1 port=$2 sock=$3 tls=$4 maxconn=$5
    {
        echo "[mariadbd]"
        echo "user=root"
        echo "bind-address=127.0.0.1"
        echo "port=$port"
        echo "socket=$sock"
        echo "datadir=$dir/data"
        echo "tmpdir=$dir/tmp"
        echo "pid-file=$dir/mysqld.pid"
        echo "log-error=$dir/mysqld.err"
        echo "skip-name-resolve"
        echo "skip-log-bin"
        echo "plugin-load-add=auth_ed25519"
        echo "plugin-maturity=unknown"  # the test-only cleartext auth plugin
        echo "character-set-server=utf8mb4"
        echo "collation-server=utf8mb4_general_ci"
        echo "max_allowed_packet=64M"
        echo "max_connections=$maxconn"
        echo "local_infile=ON"
        echo "performance_schema=ON"
        echo "performance-schema-instrument='wait/lock/metadata/sql/mdl=ON'"
        echo "innodb_buffer_pool_size=128M"
        echo "innodb_log_file_size=48M"
        echo "innodb_flush_log_at_trx_commit=2"
        echo "innodb_doublewrite=0"
        echo "sync_frm=0"
        if [[ $tls == 1 ]]; then
            echo "ssl-ca=$dir/certs/ca.pem"
            echo "ssl-cert=$dir/certs/server.pem"
            echo "ssl-key=$dir/certs/server-key.pem"
        fi
    } > "$dir/my.cnf"
}

root_sql() { # root over the unix socket; stdin or args
    local sock=$1; shift
    mariadb --no-defaults --protocol=socket -S "$sock" -uroot "$@"
}

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# Wait for the server to answer; fail early if it died.  Returns 0 once up.
wait_up() {
    local dir=$1 port=$2 pid=$3 deadline=$((SECONDS + START_TIMEOUT_S))
    while (( SECONDS < deadline )); do
        # $! is the server itself unless setsid had to fork; the pid file covers that
        if ! pid_alive "$pid" && ! pid_alive "$(cat "$dir/mysqld.pid" 2>/dev/null)"; then return 1; fi
        if mariadb-admin --no-defaults --protocol=tcp -h127.0.0.1 -P"$port" -uroot \
            --connect-timeout=2 ping >/dev/null 2>&1; then return 0; fi
        # root@127.0.0.1 does not exist before setup: "access denied" means up
        if mariadb-admin --no-defaults --protocol=tcp -h127.0.0.1 -P"$port" -uroot \
            --connect-timeout=2 ping 2>&1 | grep -q "Access denied"; then return 0; fi
        sleep 0.2
    done
    return 2
}

setup_users() {
    local sock=$1
    root_sql "$sock" <<'SQL'
CREATE USER IF NOT EXISTS root@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS test;
CREATE USER IF NOT EXISTS app@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('apppass');
CREATE USER IF NOT EXISTS ed@'%' IDENTIFIED VIA ed25519 USING PASSWORD('edpass');
CREATE USER IF NOT EXISTS tlsuser@'%' IDENTIFIED BY 'tlspass' REQUIRE SSL;
CREATE USER IF NOT EXISTS monitor@'%' IDENTIFIED BY 'monpass';
GRANT ALL PRIVILEGES ON `test%`.* TO app@'%';
GRANT ALL PRIVILEGES ON `test%`.* TO ed@'%';
GRANT ALL PRIVILEGES ON `test%`.* TO tlsuser@'%';
GRANT ALL PRIVILEGES ON `sbtest%`.* TO app@'%';
GRANT PROCESS, SELECT, CONNECTION ADMIN, SLAVE MONITOR ON *.* TO monitor@'%';
SQL
    if [[ -f $(plugin_dir)/auth_test_plugin.so ]]; then
        root_sql "$sock" <<'SQL'
INSTALL SONAME 'auth_test_plugin';
CREATE USER IF NOT EXISTS clear@'%' IDENTIFIED VIA cleartext_plugin_server AS 'clearpass';
GRANT ALL PRIVILEGES ON `test%`.* TO clear@'%';
SQL
    fi
}

plugin_dir() {
    local d
    d=$(mariadbd --no-defaults --verbose --help 2>/dev/null | awk '$1=="plugin-dir"{print $2}')
    echo "${d:-/usr/lib/mysql/plugin}"
}

cmd_start() {
    local dir="" tls=0 maxconn=${MARIADB_MAX_CONNECTIONS:-500}
    while [[ $# -gt 0 ]]; do
        case $1 in
            --tls) tls=1 ;;
            --max-connections) maxconn=${2:?--max-connections needs a value}; shift ;;
            -*) die "start: unknown option $1" ;;
            *) [[ -z $dir ]] || die "start: one DIR only"; dir=$1 ;;
        esac
        shift
    done
    [[ -n $dir ]] || die "usage: $PROG start DIR [--tls] [--max-connections N]"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    [[ $dir != /var/lib/mysql* ]] || die "refusing to use $dir"

    if [[ -f $dir/env ]]; then
        # shellcheck disable=SC1091
        local MARIADB_PID=""; source "$dir/env"
        pid_alive "$MARIADB_PID" && die "a sandbox already runs in $dir (pid $MARIADB_PID); stop it first"
    fi

    local mysqld installdb
    mysqld=$(find_bin mariadbd mysqld) || die "mariadbd not found (run scripts/deps.sh)"
    installdb=$(find_bin mariadb-install-db mysql_install_db) || die "mariadb-install-db not found"

    # unix socket paths are limited to 108 bytes; keep a margin
    local sock=$dir/mysqld.sock
    if (( ${#sock} > 100 )); then
        sock=$(mktemp -d /tmp/dgsb.XXXXXX)/mysqld.sock
    fi
    mkdir -p "$dir/tmp" "$dir/data"
    [[ $tls == 1 ]] && make_certs "$dir/certs"

    local port pid="" rc
    for _ in 1 2 3; do
        port=$(free_port)
        write_cnf "$dir" "$port" "$sock" "$tls" "$maxconn"
        if [[ ! -d $dir/data/mysql ]]; then
            "$installdb" --defaults-file="$dir/my.cnf" --user=root \
                --auth-root-authentication-method=normal --skip-test-db \
                > "$dir/install-db.log" 2>&1 \
                || { tail -20 "$dir/install-db.log" >&2; die "mariadb-install-db failed (log: $dir/install-db.log)"; }
        fi
        rm -f "$dir/mysqld.pid"
        : > "$dir/mysqld.err"
        setsid "$mysqld" --defaults-file="$dir/my.cnf" > "$dir/mysqld.out" 2>&1 < /dev/null &
        pid=$!
        rc=0; wait_up "$dir" "$port" "$pid" || rc=$?
        if [[ $rc == 0 ]]; then break; fi
        if [[ $rc == 2 ]]; then
            kill -KILL "$pid" 2>/dev/null || true
            tail -20 "$dir/mysqld.err" >&2
            die "server did not answer within ${START_TIMEOUT_S}s (log: $dir/mysqld.err)"
        fi
        # died: retry only when the port was taken under us
        if grep -q "Address already in use" "$dir/mysqld.err"; then
            echo "$PROG: port $port taken, retrying" >&2
            continue
        fi
        tail -20 "$dir/mysqld.err" >&2
        die "mariadbd exited during startup (log: $dir/mysqld.err)"
    done
    [[ $rc == 0 ]] || die "could not start mariadbd after 3 attempts"
    # the pid file is the server's own word; $! is the same process (setsid
    # does not fork when not a group leader) but prefer the file when present
    local fpid
    fpid=$(cat "$dir/mysqld.pid" 2>/dev/null || true)
    [[ -n $fpid ]] && pid_alive "$fpid" && pid=$fpid

    setup_users "$sock" || { kill -TERM "$pid"; die "creating users failed"; }

    cat > "$dir/env" <<EOF
MARIADB_PORT=$port
MARIADB_SOCKET=$sock
MARIADB_PID=$pid
MARIADB_DIR=$dir
MARIADB_CERTS=$( [[ $tls == 1 ]] && echo "$dir/certs" )
MARIADB_TLS=$tls
EOF
    echo "$PROG: MariaDB up in $dir: 127.0.0.1:$port pid $pid socket $sock tls=$tls"
}

cmd_stop() {
    local dir=${1:?usage: $PROG stop DIR [--purge]} purge=0
    [[ ${2:-} == --purge ]] && purge=1
    [[ -d $dir ]] || die "no directory $dir"
    dir=$(cd "$dir" && pwd -P)
    local MARIADB_PID="" MARIADB_SOCKET=""
    # shellcheck disable=SC1091
    [[ -f $dir/env ]] && source "$dir/env"
    local pid=${MARIADB_PID:-}
    [[ -z $pid && -f $dir/mysqld.pid ]] && pid=$(cat "$dir/mysqld.pid")
    if pid_alive "$pid"; then
        # make sure the pid is really our server before signalling it
        if ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--defaults-file=$dir/my.cnf"; then
            die "pid $pid is not the sandbox server of $dir; not killing it"
        fi
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + STOP_TIMEOUT_S))
        while pid_alive "$pid" && (( SECONDS < deadline )); do sleep 0.1; done
        if pid_alive "$pid"; then
            echo "$PROG: pid $pid still alive after ${STOP_TIMEOUT_S}s, sending KILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
        echo "$PROG: stopped pid $pid"
    else
        echo "$PROG: no server running in $dir"
    fi
    rm -f "$dir/env"
    if [[ -n ${MARIADB_SOCKET:-} && $MARIADB_SOCKET == /tmp/dgsb.* ]]; then
        rm -rf "${MARIADB_SOCKET%/*}"
    fi
    if [[ $purge == 1 ]]; then
        [[ -f $dir/my.cnf ]] || die "$dir has no my.cnf; not purging something that is not a sandbox"
        rm -rf "$dir"
        echo "$PROG: removed $dir"
    fi
}

cmd_sql() {
    local dir=${1:?usage: $PROG sql DIR [args]}; shift
    [[ -f $dir/env ]] || die "no sandbox running in $dir"
    # shellcheck disable=SC1091
    source "$dir/env"
    root_sql "$MARIADB_SOCKET" "$@"
}

cmd_status() {
    local dir=${1:?usage: $PROG status DIR}
    [[ -f $dir/env ]] || { echo "stopped"; return 1; }
    # shellcheck disable=SC1091
    source "$dir/env"
    if pid_alive "$MARIADB_PID"; then echo "running pid $MARIADB_PID port $MARIADB_PORT"; else echo "dead (stale env)"; return 1; fi
}

case ${1:-} in
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    sql) shift; cmd_sql "$@" ;;
    status) shift; cmd_status "$@" ;;
    *) echo "usage: $PROG start DIR [--tls] [--max-connections N] | stop DIR [--purge] | sql DIR [args] | status DIR" >&2; exit 2 ;;
esac
