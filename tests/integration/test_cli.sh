#!/usr/bin/env bash
# test_cli.sh - the `mariadb` command-line client (and mariadb-dump,
# mariadb-admin, mariadb-import, mariadb-check, mariadb-show, mariadb-slap)
# through ddlgate: queries, batches from a file, SOURCE, --compress, --ssl
# with verification, exit codes, COM_STATISTICS, KILL, concurrent load.
# Env (from run.sh): DG_HOST DG_PORT MARIADB_CERTS; optional IT_WORK_DIR.
set -euo pipefail

: "${DG_PORT:?DG_PORT not set (run via tests/integration/run.sh)}"
DG_HOST=${DG_HOST:-127.0.0.1}
T=$(mktemp -d "${IT_WORK_DIR:-/tmp}/cli.XXXXXX")
trap 'rm -rf "$T"' EXIT

PASS=0
FAIL=0
ok() { echo "ok - cli_$1"; PASS=$((PASS + 1)); }
notok() { echo "not ok - cli_$1: $2"; FAIL=$((FAIL + 1)); }

# mysql as app; every call bounded
cli() { timeout 60 mariadb --no-defaults --connect-timeout=10 -h"$DG_HOST" -P"$DG_PORT" "$@"; }
app() { cli -uapp -papppass test "$@"; }
# fixtures (DROP TABLE/DATABASE) straight to MariaDB: they are not what is
# tested here, and ddlgate's default policy holds them for approval
fix() {
    if [[ -n ${MARIADB_PORT:-} ]]; then
        timeout 60 mariadb --no-defaults -h127.0.0.1 -P"$MARIADB_PORT" -uroot test "$@"
    else
        app "$@"
    fi
}

# expect NAME WANT CMD...: stdout of CMD must equal WANT and exit 0
expect() {
    local name=$1 want=$2; shift 2
    local got rc=0
    got=$("$@" 2> "$T/err") || rc=$?
    if [[ $rc -ne 0 ]]; then
        notok "$name" "exit $rc: $(head -c 300 "$T/err")"
    elif [[ $got != "$want" ]]; then
        notok "$name" "got [$(echo "$got" | head -c 300)] want [$want]"
    else
        ok "$name"
    fi
}

# 1. one query
expect query "2" app -N -B -e "SELECT 1 + 1"
expect query_utf8 "héllo wörld" app -N -B --default-character-set=utf8mb4 -e "SELECT 'héllo wörld'"
expect ed25519 "ed@%" cli -ued -pedpass test -N -B -e "SELECT CURRENT_USER()"

# 2. a multi-statement batch from a file (stdin), with a DELIMITER block
fix -e "DROP TABLE IF EXISTS it_cli; DROP PROCEDURE IF EXISTS it_cli_p; DROP DATABASE IF EXISTS test_it_cli_copy"
cat > "$T/batch.sql" <<'SQL'
CREATE TABLE it_cli (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO it_cli VALUES (1, 'one'), (2, 'two'), (3, 'three');
DELIMITER //
CREATE PROCEDURE it_cli_p()
BEGIN
  SELECT COUNT(*) FROM it_cli;
  SELECT v FROM it_cli ORDER BY id DESC LIMIT 1;
END //
DELIMITER ;
CALL it_cli_p();
UPDATE it_cli SET v = UPPER(v) WHERE id = 2;
SELECT GROUP_CONCAT(v ORDER BY id) FROM it_cli;
SQL
expect batch_file "$(printf '3\nthree\none,TWO,three')" app -N -B < "$T/batch.sql"

# 3. SOURCE of a script (nested SOURCE too)
cat > "$T/inner.sql" <<'SQL'
SELECT SUM(id) FROM it_cli;
SQL
cat > "$T/outer.sql" <<SQL
SELECT 'outer';
SOURCE $T/inner.sql
SELECT 'done';
SQL
expect source "$(printf 'outer\n6\ndone')" app -N -B -e "SOURCE $T/outer.sql"

# 4. --compress: a query and a 50k-row result
expect compress "1250025000" app --compress -N -B -e "SELECT SUM(seq) FROM seq_1_to_50000"
rows=$(app --compress -N -B -e "SELECT seq, REPEAT('x', 100) FROM seq_1_to_50000" 2> "$T/err" | wc -l) || true
if [[ $rows == 50000 ]]; then ok compress_large; else notok compress_large "got $rows rows: $(head -c 200 "$T/err")"; fi

# 5. --ssl with the sandbox CA, verifying the certificate
if [[ -n ${MARIADB_CERTS:-} ]]; then
    SSL=(--ssl --ssl-ca="$MARIADB_CERTS/ca.pem" --ssl-verify-server-cert)
    out=$(app "${SSL[@]}" -e "\\s" 2> "$T/err") || true
    if grep -q "Cipher in use is" <<< "$out"; then ok ssl_status
    else notok ssl_status "no cipher in \\s output: $(grep -i ssl <<< "$out" | head -3) $(head -c 200 "$T/err")"; fi
    expect ssl_require_user "tlsuser@%" cli -utlsuser -ptlspass "${SSL[@]}" test -N -B -e "SELECT CURRENT_USER()"
    rc=0; cli -utlsuser -ptlspass --skip-ssl test -e "SELECT 1" > /dev/null 2> "$T/err" || rc=$?
    case "${DG_TARGET:-}:${DG_BACKEND_TLS:-}" in
    direct:* | *:preferred | *:disabled | *:)
        # a plaintext client leg means a plaintext backend leg: refused
        if [[ $rc -ne 0 ]] && grep -q "ERROR 1045" "$T/err"; then ok ssl_required_refused_plain
        else notok ssl_required_refused_plain "exit $rc: $(head -c 200 "$T/err")"; fi ;;
    *)
        # backend.tls=required/verify_*: every backend leg is TLS (see docs/architecture.md)
        if [[ $rc -eq 0 ]]; then ok ssl_required_backend_tls_always
        else notok ssl_required_backend_tls_always "exit $rc: $(head -c 200 "$T/err")"; fi ;;
    esac
    # a CA that did not sign the server certificate must fail verification
    rc=0; app --ssl --ssl-ca="$MARIADB_CERTS/client.pem" --ssl-verify-server-cert -e "SELECT 1" > /dev/null 2> "$T/err" || rc=$?
    if [[ $rc -ne 0 ]]; then ok ssl_bad_ca_refused; else notok ssl_bad_ca_refused "connected with a wrong CA"; fi
    expect ssl_compress "50005000" app "${SSL[@]}" --compress -N -B -e "SELECT SUM(seq) FROM seq_1_to_10000"
else
    echo "ok - cli_ssl # SKIP MARIADB_CERTS not set"
fi

# 6. exit codes and error messages
rc=0; app -e "SELECT * FROM it_cli_missing" > /dev/null 2> "$T/err" || rc=$?
if [[ $rc -eq 1 ]] && grep -q "ERROR 1146" "$T/err"; then ok exit_code_sql_error
else notok exit_code_sql_error "exit $rc: $(head -c 200 "$T/err")"; fi
rc=0; cli -uapp -pwrong test -e "SELECT 1" > /dev/null 2> "$T/err" || rc=$?
if [[ $rc -eq 1 ]] && grep -q "ERROR 1045" "$T/err"; then ok exit_code_bad_password
else notok exit_code_bad_password "exit $rc: $(head -c 200 "$T/err")"; fi
printf 'SELECT 1;\nSELECT nope FROM it_cli;\nSELECT 3;\n' > "$T/err.sql"
rc=0; out=$(app -N -B < "$T/err.sql" 2> "$T/err") || rc=$?
if [[ $rc -eq 1 && $out == "1" ]]; then ok batch_stops_on_error
else notok batch_stops_on_error "exit $rc out [$out]"; fi
rc=0; out=$(app -N -B --force < "$T/err.sql" 2> "$T/err") || rc=$?
# (--force reports the error on stderr; its exit status is 0 in 10.11)
if [[ $out == "$(printf '1\n3')" ]] && grep -q "ERROR 1054" "$T/err"; then ok batch_force_continues
else notok batch_force_continues "exit $rc out [$out]"; fi

# 7. mariadb-dump and reload; mariadb-admin.  The dump is taken the InnoDB
# way (--single-transaction, no LOCK TABLES) and reloaded into a new database
# (no DROP TABLE, LOCK TABLES or ALTER TABLE DISABLE KEYS): the statements ddlgate's default policy
# lets an application run.
if timeout 60 mariadb-dump --no-defaults -h"$DG_HOST" -P"$DG_PORT" -uapp -papppass --routines \
    --single-transaction --skip-add-drop-table --skip-add-locks --skip-disable-keys test it_cli > "$T/dump.sql" 2> "$T/err"; then
    app -e "CREATE DATABASE IF NOT EXISTS test_it_cli_copy" 2>> "$T/err" || true
    cli -uapp -papppass test_it_cli_copy < "$T/dump.sql" 2>> "$T/err" || true
    expect dump_reload "one,TWO,three" cli -uapp -papppass test_it_cli_copy -N -B \
        -e "SELECT GROUP_CONCAT(v ORDER BY id) FROM it_cli"
    fix -e "DROP DATABASE test_it_cli_copy" 2> /dev/null || true
else
    notok dump_reload "mariadb-dump failed: $(head -c 300 "$T/err")"
fi
if timeout 30 mariadb-admin --no-defaults -h"$DG_HOST" -P"$DG_PORT" -uapp -papppass ping 2> "$T/err" | grep -q alive; then
    ok admin_ping
else
    notok admin_ping "$(head -c 200 "$T/err")"
fi

# 8. the other client programs of the mariadb-client package, each with its
# own mix of commands: COM_STATISTICS, SHOW PROCESSLIST, KILL of another
# connection, LOAD DATA LOCAL (mariadb-import), CHECK TABLE (mariadb-check),
# SHOW DATABASES/TABLES (mariadb-show), concurrent load (mariadb-slap).
adm() { timeout 30 mariadb-admin --no-defaults -h"$DG_HOST" -P"$DG_PORT" -uapp -papppass "$@"; }
if adm status 2> "$T/err" | grep -q "^Uptime: [0-9]* *Threads: [0-9]"; then ok admin_status_com_statistics
else notok admin_status_com_statistics "$(head -c 200 "$T/err")"; fi
if adm processlist 2> "$T/err" | grep -q "Processlist\|Id"; then ok admin_processlist
else notok admin_processlist "$(head -c 200 "$T/err")"; fi
# a victim connection sleeping in ddlgate's backend; killed by its server id
app -N --unbuffered -e "SELECT CONNECTION_ID(); SELECT SLEEP(20)" > "$T/victim.out" 2> "$T/victim.err" &
victim=$!
vid=""
for _ in $(seq 1 50); do
    vid=$(head -1 "$T/victim.out" 2> /dev/null || true)
    [[ -n $vid ]] && break
    sleep 0.1
done
if [[ -n $vid ]] && adm kill "$vid" 2> "$T/err"; then
    rc=0
    timeout 10 tail --pid="$victim" -f /dev/null || rc=$?
    wait "$victim" 2> /dev/null || true
    if [[ $rc -eq 0 ]] && grep -q "ERROR" "$T/victim.err"; then ok admin_kill_other_connection
    else notok admin_kill_other_connection "victim not killed (rc $rc): $(head -c 200 "$T/victim.err")"; fi
else
    kill "$victim" 2> /dev/null || true
    notok admin_kill_other_connection "no id or kill failed: $(head -c 200 "$T/err")"
fi
app -e "CREATE TABLE IF NOT EXISTS it_cli_imp (id INT PRIMARY KEY, v VARCHAR(20))" 2> "$T/err" || true
app -e "DELETE FROM it_cli_imp" 2>> "$T/err" || true
for i in $(seq 1 2000); do printf '%d\trow-%d\n' "$i" "$i"; done > "$T/it_cli_imp.txt"
if timeout 60 mariadb-import --no-defaults -h"$DG_HOST" -P"$DG_PORT" -uapp -papppass --local \
    test "$T/it_cli_imp.txt" > /dev/null 2> "$T/err"; then
    expect import_local "2000,2001000" app -N -B -e "SELECT CONCAT(COUNT(*), ',', SUM(id)) FROM it_cli_imp"
else
    notok import_local "mariadb-import failed: $(head -c 300 "$T/err")"
fi
if timeout 60 mariadb-check --no-defaults -h"$DG_HOST" -P"$DG_PORT" -uapp -papppass test it_cli_imp \
    2> "$T/err" | grep -q "OK"; then ok check_table
else notok check_table "$(head -c 300 "$T/err")"; fi
if timeout 30 mariadb-show --no-defaults -h"$DG_HOST" -P"$DG_PORT" -uapp -papppass test 2> "$T/err" \
    | grep -q "it_cli_imp"; then ok show_tables
else notok show_tables "$(head -c 300 "$T/err")"; fi
# mariadb-slap: 8 clients, bounded number of queries, its own schema
if timeout 120 mariadb-slap --no-defaults -h"$DG_HOST" -P"$DG_PORT" -uapp -papppass \
    --create-schema=test_it_slap --concurrency=8 --iterations=1 --number-of-queries=800 \
    --auto-generate-sql --auto-generate-sql-load-type=mixed --auto-generate-sql-add-autoincrement \
    --no-drop > "$T/slap.out" 2> "$T/err" && grep -q "Average number of seconds" "$T/slap.out"; then
    ok slap_concurrent_mixed
else
    notok slap_concurrent_mixed "$(head -c 300 "$T/err")"
fi
fix -e "DROP DATABASE IF EXISTS test_it_slap" 2> /dev/null || true

# dynamic SQL ddlgate cannot see is refused (DG900), and what it can see is judged
if [[ ${DG_TARGET:-ddlgate} != direct ]]; then
    fix -e "DROP TABLE IF EXISTS it_cli_dyn; CREATE TABLE it_cli_dyn (id INT PRIMARY KEY)"
    k=0
    for sql in "SET @s = 'DROP TABLE it_cli_dyn'; PREPARE s FROM @s; EXECUTE s" \
        "EXECUTE IMMEDIATE CONCAT('DROP TABLE ', 'it_cli_dyn')" \
        "EXECUTE IMMEDIATE 'DROP TABLE ' 'it_cli_dyn'"; do
        k=$((k + 1))
        out=$(app -e "$sql" 2>&1) || true
        n=$(fix -N -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'test' AND TABLE_NAME = 'it_cli_dyn'")
        if grep -q "ERROR 7102" <<< "$out" && grep -q "dynamic SQL" <<< "$out" && [[ $n == 1 ]]; then
            ok "dynamic_sql_refused_$k"
        else
            notok "dynamic_sql_refused_$k" "$sql: table count $n: $(head -c 300 <<< "$out")"
        fi
    done
    out=$(app -e "EXECUTE IMMEDIATE 'DROP TABLE it_cli_dyn'" 2>&1) || true
    if grep -q "ERROR 7101" <<< "$out"; then ok dynamic_literal_judged; else notok dynamic_literal_judged "$(head -c 300 <<< "$out")"; fi
    out=$(app -e "EXECUTE IMMEDIATE 'DELETE FROM it_cli_dyn' USING 1" 2>&1) || true
    if grep -q "ERROR 7100" <<< "$out" && grep -q DG008 <<< "$out"; then ok dynamic_literal_using_judged; else notok dynamic_literal_using_judged "$(head -c 300 <<< "$out")"; fi
    fix -e "DROP TABLE IF EXISTS it_cli_dyn"
fi

fix -e "DROP PROCEDURE IF EXISTS it_cli_p; DROP TABLE IF EXISTS it_cli, it_cli_imp" 2> /dev/null || true
echo "# test_cli: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
