#!/usr/bin/env bash
# test_admin.sh - the admin console and the configuration, driven with the
# `mariadb` command-line client and the ddlgate binary itself:
#   - wrong admin password refused (1045); bad commands give 7300 and the
#     session stays usable; a rule toggled on the console changes what
#     happens to the next ALTER of an application; the approval flow
#   - a broken configuration file: `ddlgate -c broken.ini` exits non-zero
#     naming file:line; RELOAD (and SIGHUP) of a broken file fail and the
#     running configuration keeps working; a fixed file reloads
#   - admin.listen enabled without admin.password refuses to start
#   - logins with caching_sha2_password, mysql_native_password and an unknown
#     plugin (switched) against both admin.auth_plugin greetings, with the
#     mariadb CLI and PyMySQL; bad auth_plugin values; RELOAD changes it
#   - mariadb-admin status/ping; a raw-socket client: COM_CHANGE_USER switched
#     to a fresh nonce, COM_STMT_CLOSE pipelined without an answer, '?' at
#     prepare refused, COM_STATISTICS; control bytes escaped in the log
# (tests/integration/it_admin.c covers the same ground with the C library,
# plus a restart with a state file.)
#
# Env (from run.sh): MARIADB_PORT DDLGATE_BIN; optional IT_WORK_DIR.
# Starts its own ddlgate instances (free ports), stopped on exit.
set -uo pipefail

NAME=admin_cli
# shellcheck source=tests/integration/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
T=$(mktemp -d "${IT_WORK_DIR:-/tmp}/admin.XXXXXX")
TAG=$$
cleanup() {
    dg_cleanup
    fix -e "DROP TABLE IF EXISTS it_admcli_$TAG, it_admcli_d_$TAG" 2> /dev/null || true
    [[ $FAIL -eq 0 ]] && rm -rf "$T"
    return 0
}
trap cleanup EXIT

wait_monitor() { # wait_monitor ADMIN_PORT PASS: until SHOW BACKEND says the monitor is connected
    local i
    for ((i = 0; i < 100; i++)); do
        cli "$1" admin "$2" -N -B -e "SHOW BACKEND" 2> /dev/null | grep -q $'^monitor\tconnected' && return 0
        sleep 0.1
    done
    return 1
}

APASS=it-admin-cli-secret
P1=$(free_port); A1=$(free_port)
LOG1=$T/dg1.log
"$DDLGATE_BIN" --listen "127.0.0.1:$P1" --backend "127.0.0.1:$MARIADB_PORT" --admin "127.0.0.1:$A1" \
    --set admin.password="$APASS" --set backend.monitor_user=monitor --set backend.monitor_password=monpass \
    --log-level info > "$LOG1" 2>&1 < /dev/null &
DG1=$!
PIDS+=("$DG1")
if ! wait_port "$DG1" "$P1" || ! wait_port "$DG1" "$A1"; then
    notok start "ddlgate did not start: $(tail -5 "$LOG1")"
    exit 1
fi
wait_monitor "$A1" "$APASS" || notok monitor_up "SHOW BACKEND: monitor not connected after 10 s"
adm() { cli "$A1" admin "$APASS" "$@"; }
app() { cli "$P1" app apppass test "$@"; }

# 1. authentication
rc=0; cli "$A1" admin wrong -e "SHOW RULES" > /dev/null 2> "$T/err" || rc=$?
[[ $rc -ne 0 ]] && grep -q "ERROR 1045" "$T/err"; check bad_password $? "exit $rc: $(head -c 300 "$T/err")"
rc=0; cli "$A1" nobody "$APASS" -e "SHOW RULES" > /dev/null 2> "$T/err" || rc=$?
[[ $rc -ne 0 ]] && grep -q "ERROR 1045" "$T/err"; check bad_user $? "exit $rc: $(head -c 300 "$T/err")"
out=$(adm -N -B -e "SHOW RULES" 2> "$T/err") || true
grep -q $'^DG005\tdrop-table\t' <<< "$out"; check good_password $? "SHOW RULES: $(head -c 300 "$T/err")"

# 2. bad commands: 7300, and the same session goes on (--force keeps the batch going)
printf 'SHOW NONSENSE;\nSELECT 1 + ;\nSET RULE DG005 = sometimes;\nSHOW RULES;\nAPPROVE 987654321;\nSHOW STATS;\n' > "$T/bad.sql"
rc=0; out=$(adm -N -B --force < "$T/bad.sql" 2> "$T/err") || rc=$?
n7300=$(grep -c "ERROR 7300" "$T/err" || true)
[[ $n7300 -eq 3 ]]; check syntax_7300 $? "want 3 ERROR 7300, stderr: $(head -c 400 "$T/err")"
grep -q "ERROR 7301" "$T/err"; check unknown_id_7301 $? "stderr: $(head -c 400 "$T/err")"
grep -q $'^DG005\t' <<< "$out" && grep -q $'^queue_waiting\t' <<< "$out"
check session_usable_after_errors $? "the batch's SHOW RULES / SHOW STATS after the errors returned: $(head -c 200 <<< "$out")"
out=$(adm -e "SHOW HELP" 2>&1) || true
grep -q "CANCEL" <<< "$out" && grep -q "RELOAD" <<< "$out"; check show_help $? "$(head -c 200 <<< "$out")"
out=$(adm -N -B -e "SHOW CONFIG" 2>&1) || true
grep -q $'^admin\tpassword\t\*\*\*' <<< "$out" && ! grep -q "$APASS" <<< "$out"
check config_hides_secret $? "$(grep password <<< "$out" | head -3)"

# 3. a rule toggled on the console acts on the application's next ALTER
fix -e "DROP TABLE IF EXISTS it_admcli_$TAG; CREATE TABLE it_admcli_$TAG (id INT PRIMARY KEY)"
adm -e "SET RULE DG001 = reject" 2> "$T/err" || true
rc=0; app -e "ALTER TABLE it_admcli_$TAG ADD COLUMN nn INT NOT NULL" 2> "$T/err" || rc=$?
grep -q "ERROR 7100" "$T/err" && grep -q DG001 "$T/err"; check dg001_reject $? "exit $rc: $(head -c 300 "$T/err")"
adm -e "SET RULE DG001 = off" 2> "$T/err"; check set_rule_off $? "$(head -c 300 "$T/err")"
mode=$(adm -N -B -e "SHOW RULES" | awk -F'\t' '$1 == "DG001" && $4 == "global" {print $3}')
[[ $mode == off ]]; check show_rules_mode $? "SHOW RULES says DG001 is '$mode'"
rc=0; app -e "ALTER TABLE it_admcli_$TAG ADD COLUMN nn INT NOT NULL" 2> "$T/err" || rc=$?
cols=$(fix -N -B -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='test' AND TABLE_NAME='it_admcli_$TAG' AND COLUMN_NAME='nn'")
[[ $rc -eq 0 && $cols == 1 ]]; check dg001_off_passes $? "exit $rc, column count $cols: $(head -c 300 "$T/err")"
adm -e "SET RULE DG001 = default" 2> /dev/null || true
mode=$(adm -N -B -e "SHOW RULES" | awk -F'\t' '$1 == "DG001" && $4 == "global" {print $3}')
[[ $mode == reject ]]; check set_rule_default $? "after SET RULE DG001 = default: '$mode'"

# 4. approval: refused with a pending id, approved, the same statement passes
fix -e "DROP TABLE IF EXISTS it_admcli_d_$TAG; CREATE TABLE it_admcli_d_$TAG (id INT PRIMARY KEY)"
rc=0; app -e "DROP TABLE it_admcli_d_$TAG" 2> "$T/err" || rc=$?
id=$(grep -o 'pending id [0-9]*' "$T/err" | grep -o '[0-9]*$' || true)
[[ $rc -ne 0 && -n $id ]] && grep -q "ERROR 7101" "$T/err"; check approval_7101 $? "exit $rc: $(head -c 300 "$T/err")"
if [[ -n $id ]]; then
    state=$(adm -N -B -e "SHOW PENDING" | awk -F'\t' -v id="$id" '$1 == id {print $4}')
    [[ $state == pending ]]; check show_pending $? "id $id state '$state'"
    adm -e "APPROVE $id FOR 10 MINUTES" 2> "$T/err"; check approve $? "$(head -c 300 "$T/err")"
    rc=0; app -e "DROP TABLE it_admcli_d_$TAG" 2> "$T/err" || rc=$?
    left=$(fix -N -B -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='test' AND TABLE_NAME='it_admcli_d_$TAG'")
    [[ $rc -eq 0 && $left == 0 ]]; check approved_statement_runs $? "exit $rc, table count $left: $(head -c 300 "$T/err")"
fi

# 5. admin.listen without admin.password: refused at start
P2=$(free_port); A2=$(free_port)
rc=0; timeout 20 "$DDLGATE_BIN" --listen "127.0.0.1:$P2" --backend "127.0.0.1:$MARIADB_PORT" \
    --admin "127.0.0.1:$A2" > "$T/nopass.out" 2>&1 < /dev/null || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] && grep -q "admin.password is required" "$T/nopass.out"
check no_password_refused $? "exit $rc: $(head -c 300 "$T/nopass.out")"

# 6. broken configuration files: exit non-zero naming file:line
write_good() { # write_good FILE PORT ADMINPORT DG016MODE
    cat > "$1" <<EOF
; ddlgate test configuration
[ddlgate]
listen = 127.0.0.1:$2
log_level = info

[backend]
address = 127.0.0.1:$MARIADB_PORT
monitor_user = monitor
monitor_password = monpass

[admin]
listen = 127.0.0.1:$3
user = admin
password = file:$T/admin.pass

[rules]
DG016 = $4
EOF
}
echo "$APASS" > "$T/admin.pass"
P3=$(free_port); A3=$(free_port)
i=0
while IFS='|' read -r line want; do
    i=$((i + 1))
    write_good "$T/broken$i.ini" "$P3" "$A3" off
    # the bad line replaces line 4 (log_level = info)
    sed -i "4s/.*/$line/" "$T/broken$i.ini"
    rc=0; timeout 20 "$DDLGATE_BIN" -c "$T/broken$i.ini" > "$T/broken$i.out" 2>&1 < /dev/null || rc=$?
    [[ $rc -ne 0 && $rc -ne 124 ]] && grep -q "broken$i.ini:4:" "$T/broken$i.out" && grep -q -- "$want" "$T/broken$i.out"
    check "broken_file_$i" $? "'$line': exit $rc, output: $(head -c 300 "$T/broken$i.out")"
done <<'EOF'
listne = 127.0.0.1:1|unknown key 'listne'
max_clients = many|bad value 'many'
this is not ini|syntax error
[limit]|unknown section
log_level = loud|bad value 'loud'
EOF
rc=0; timeout 20 "$DDLGATE_BIN" -c "$T/does-not-exist.ini" > "$T/missing.out" 2>&1 < /dev/null || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] && grep -q "does-not-exist.ini" "$T/missing.out"
check missing_file $? "exit $rc: $(head -c 300 "$T/missing.out")"
rc=0; timeout 20 "$DDLGATE_BIN" --backend "127.0.0.1:$MARIADB_PORT" --admin off --set limits.ddl_queue_deadline_s=soon \
    > "$T/badset.out" 2>&1 < /dev/null || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] && grep -q "ddl_queue_deadline_s" "$T/badset.out"
check bad_set_value $? "exit $rc: $(head -c 300 "$T/badset.out")"

# 7. RELOAD / SIGHUP with a broken file keep the running configuration
CONF=$T/ddlgate.ini
write_good "$CONF" "$P3" "$A3" off
LOG3=$T/dg3.log
"$DDLGATE_BIN" -c "$CONF" > "$LOG3" 2>&1 < /dev/null &
DG3=$!
PIDS+=("$DG3")
if ! wait_port "$DG3" "$P3" || ! wait_port "$DG3" "$A3"; then
    notok start_with_file "ddlgate -c did not start: $(tail -5 "$LOG3")"
    exit 1
fi
adm3() { cli "$A3" admin "$APASS" "$@"; }
rule_mode() { adm3 -N -B -e "SHOW RULES" | awk -F'\t' -v id="$1" '$1 == id && $4 == "global" {print $3}'; }
[[ $(rule_mode DG016) == off ]]; check file_rules_applied "$?" "DG016 is '$(rule_mode DG016)' (file says off)"

write_good "$CONF" "$P3" "$A3" warn
sed -i '4s/.*/log_level = loud/' "$CONF"
rc=0; adm3 -e "RELOAD" 2> "$T/err" || rc=$?
[[ $rc -ne 0 ]] && grep -q "ddlgate.ini:4" "$T/err"; check reload_broken_fails $? "exit $rc: $(head -c 300 "$T/err")"
[[ $(rule_mode DG016) == off ]]; check reload_broken_keeps_config $? "DG016 is now '$(rule_mode DG016)'"
out=$(cli "$P3" app apppass test -N -B -e "SELECT 40 + 2" 2> "$T/err") || true
[[ $out == 42 ]]; check reload_broken_still_serves $? "got '$out': $(head -c 200 "$T/err")"
before=$(grep -c "ddlgate.ini:4" "$LOG3" || true)
kill -HUP "$DG3"
for _ in $(seq 30); do
    [[ $(grep -c "ddlgate.ini:4" "$LOG3" || true) -gt $before ]] && break
    sleep 0.1
done
kill -0 "$DG3" 2> /dev/null && [[ $(grep -c "ddlgate.ini:4" "$LOG3" || true) -gt $before ]]
check sighup_broken_logged $? "alive: $(kill -0 "$DG3" 2>&1 && echo yes || echo no); log: $(tail -3 "$LOG3")"
[[ $(rule_mode DG016) == off ]]; check sighup_broken_keeps_config $? "DG016 is now '$(rule_mode DG016)'"

write_good "$CONF" "$P3" "$A3" warn
rc=0; adm3 -e "RELOAD" 2> "$T/err" || rc=$?
[[ $rc -eq 0 && $(rule_mode DG016) == warn ]]; check reload_fixed_applies $? "exit $rc, DG016 '$(rule_mode DG016)': $(head -c 300 "$T/err")"
write_good "$CONF" "$P3" "$A3" reject
kill -HUP "$DG3"
for _ in $(seq 30); do [[ $(rule_mode DG016) == reject ]] && break; sleep 0.1; done
[[ $(rule_mode DG016) == reject ]]; check sighup_fixed_applies $? "DG016 '$(rule_mode DG016)' after SIGHUP"
# a changed admin password file takes effect at RELOAD (secrets are re-read)
echo "new-$APASS" > "$T/admin.pass"
adm3 -e "RELOAD" 2> "$T/err" || true
rc=0; cli "$A3" admin "new-$APASS" -e "SHOW STATS" > /dev/null 2> "$T/err" || rc=$?
rc2=0; adm3 -e "SHOW STATS" > /dev/null 2>&1 || rc2=$?
[[ $rc -eq 0 && $rc2 -ne 0 ]]; check reload_rereads_secret $? "new password exit $rc, old password exit $rc2: $(head -c 200 "$T/err")"

# 8. login plugins.  The default greeting names caching_sha2_password; both
# plugins are accepted whatever the greeting says, others are switched.
greeting_plugin() { # greeting_plugin PORT: the plugin name the greeting ends with
    /usr/bin/python3 - "$1" << 'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
buf = b""
while len(buf) < 4 or len(buf) < 4 + int.from_bytes(buf[:3], "little"):
    d = s.recv(4096)
    if not d:
        break
    buf += d
print(buf[4:4 + int.from_bytes(buf[:3], "little")].rstrip(b"\0").rsplit(b"\0", 1)[-1].decode())
PYEOF
}
# login_check NAME PORT LOG WANT_PLUGIN [mariadb args]: right password works and the
# log gains a line naming WANT_PLUGIN; a wrong one gives 1045
login_check() {
    local name=$1 port=$2 log=$3 want=$4 before after rc out; shift 4
    before=$(grep -c "connected from .*($want)" "$log" || true)
    out=$(cli "$port" admin "$APASS" "$@" -N -B -e "SHOW RULES" 2> "$T/err") || true
    after=$(grep -c "connected from .*($want)" "$log" || true)
    grep -q $'^DG005\t' <<< "$out" && [[ $after -gt $before ]]
    check "${name}_ok" $? "login lines naming $want: $before -> $after; $(head -c 300 "$T/err")"
    rc=0; cli "$port" admin "wrong-$APASS" "$@" -e "SHOW RULES" > /dev/null 2> "$T/err" || rc=$?
    [[ $rc -ne 0 ]] && grep -q "ERROR 1045" "$T/err"; check "${name}_wrong_password" $? "exit $rc: $(head -c 300 "$T/err")"
}
[[ $(greeting_plugin "$A1") == caching_sha2_password ]]; check greeting_default_caching_sha2 $? "greeting names '$(greeting_plugin "$A1")'"
out=$(adm -N -B -e "SHOW CONFIG" 2>&1) || true
grep -q $'^admin\tauth_plugin\tcaching_sha2_password\tyes' <<< "$out"; check show_config_auth_plugin $? "$(grep auth_plugin <<< "$out")"
login_check sha2_greeting_plain "$A1" "$LOG1" caching_sha2_password
login_check sha2_greeting_sha2_client "$A1" "$LOG1" caching_sha2_password --default-auth=caching_sha2_password
login_check sha2_greeting_native_client "$A1" "$LOG1" mysql_native_password --default-auth=mysql_native_password
login_check sha2_greeting_ed25519_client "$A1" "$LOG1" caching_sha2_password --default-auth=client_ed25519
! grep -q -- "$APASS" "$LOG1"; check password_not_logged $? "the admin password is in $LOG1"

P4=$(free_port); A4=$(free_port)
LOG4=$T/dg4.log
"$DDLGATE_BIN" --listen "127.0.0.1:$P4" --backend "127.0.0.1:$MARIADB_PORT" --admin "127.0.0.1:$A4" \
    --set admin.password="$APASS" --set admin.auth_plugin=mysql_native_password --log-level info > "$LOG4" 2>&1 < /dev/null &
DG4=$!
PIDS+=("$DG4")
if wait_port "$DG4" "$A4"; then
    [[ $(greeting_plugin "$A4") == mysql_native_password ]]; check greeting_native $? "greeting names '$(greeting_plugin "$A4")'"
    login_check native_greeting_plain "$A4" "$LOG4" mysql_native_password
    login_check native_greeting_sha2_client "$A4" "$LOG4" caching_sha2_password --default-auth=caching_sha2_password
    login_check native_greeting_ed25519_client "$A4" "$LOG4" mysql_native_password --default-auth=client_ed25519
else
    notok start_native_greeting "$(tail -5 "$LOG4")"
fi

# PyMySQL implements caching_sha2_password's fast path itself (it follows the greeting)
if /usr/bin/python3 -c 'import pymysql' 2> /dev/null; then
    for port in "$A1" "$A4"; do
        out=$(/usr/bin/python3 - "$port" "$APASS" << 'PYEOF' 2>&1
import sys, pymysql
port, pw = int(sys.argv[1]), sys.argv[2]
c = pymysql.connect(host="127.0.0.1", port=port, user="admin", password=pw, connect_timeout=10)
cur = c.cursor()
cur.execute("SHOW RULES")
rows = cur.fetchall()
print("plugin=%s rules=%d dg005=%s" % (c._auth_plugin_name, len(rows), any(r[0] == "DG005" for r in rows)))
c.close()
try:
    pymysql.connect(host="127.0.0.1", port=port, user="admin", password=pw + "x", connect_timeout=10)
    print("wrong=connected")
except pymysql.err.OperationalError as e:
    print("wrong=%d" % e.args[0])
PYEOF
        ) || true
        want=$([[ $port == "$A1" ]] && echo caching_sha2_password || echo mysql_native_password)
        grep -q "plugin=$want rules=[0-9]* dg005=True" <<< "$out" && grep -q "wrong=1045" <<< "$out"
        check "pymysql_$want" $? "$(head -c 300 <<< "$out")"
    done
else
    echo "# python3-pymysql not installed: PyMySQL logins skipped"
fi

# a bad auth_plugin value: file:line, and --set
printf '[admin]\nlisten = 127.0.0.1:%s\npassword = x\nauth_plugin = sha256_password\n' "$(free_port)" > "$T/badplugin.ini"
rc=0; timeout 20 "$DDLGATE_BIN" -c "$T/badplugin.ini" --backend "127.0.0.1:$MARIADB_PORT" > "$T/badplugin.out" 2>&1 < /dev/null || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] && grep -q "badplugin.ini:4:" "$T/badplugin.out" && grep -q "caching_sha2_password" "$T/badplugin.out"
check bad_auth_plugin_file $? "exit $rc: $(head -c 300 "$T/badplugin.out")"
rc=0; timeout 20 "$DDLGATE_BIN" --backend "127.0.0.1:$MARIADB_PORT" --admin off --set admin.auth_plugin=native \
    > "$T/badplugin2.out" 2>&1 < /dev/null || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] && grep -q "auth_plugin" "$T/badplugin2.out"
check bad_auth_plugin_set $? "exit $rc: $(head -c 300 "$T/badplugin2.out")"

# auth_plugin is reloadable: the next greeting names the new plugin
sed -i "s/^password = file:.*/&\nauth_plugin = mysql_native_password/" "$CONF"
rc=0; cli "$A3" admin "new-$APASS" -e "RELOAD" 2> "$T/err" || rc=$?
[[ $rc -eq 0 && $(greeting_plugin "$A3") == mysql_native_password ]]
check reload_auth_plugin $? "exit $rc, greeting names '$(greeting_plugin "$A3")': $(head -c 200 "$T/err")"
rc=0; cli "$A3" admin "new-$APASS" --default-auth=caching_sha2_password -e "SHOW STATS" > /dev/null 2> "$T/err" || rc=$?
check reload_auth_plugin_sha2_still_accepted $? "exit $rc: $(head -c 200 "$T/err")"

# 9. client-library commands: mariadb-admin (COM_STATISTICS, COM_PING), and a
# raw-socket client for what libraries do not let a test steer: COM_CHANGE_USER
# naming an unknown plugin (answered with an AuthSwitchRequest carrying a fresh
# nonce), COM_STMT_CLOSE pipelined before COM_PING (no answer of its own), a
# '?' at COM_STMT_PREPARE (7300)
out=$(timeout 30 mariadb-admin --no-defaults -h127.0.0.1 -P"$A1" -uadmin -p"$APASS" status 2>&1) || true
grep -Eq '^Uptime: [0-9]+  Threads: [0-9]+  Questions: [0-9]+' <<< "$out"
check mariadb_admin_status $? "$(head -c 300 <<< "$out")"
out=$(timeout 30 mariadb-admin --no-defaults -h127.0.0.1 -P"$A1" -uadmin -p"$APASS" ping 2>&1) || true
grep -q 'is alive' <<< "$out"; check mariadb_admin_ping $? "$(head -c 300 <<< "$out")"
out=$(timeout 30 /usr/bin/python3 - "$A1" "$APASS" << 'PYEOF' 2>&1
import hashlib, socket, struct, sys
port, pw = int(sys.argv[1]), sys.argv[2].encode()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
def recv_exact(n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError("closed")
        b += d
    return b
def pkt():
    h = recv_exact(4)
    return h[3], recv_exact(int.from_bytes(h[:3], "little"))
def send(seq, body):
    s.sendall(len(body).to_bytes(3, "little") + bytes([seq]) + body)
def x(a, b):
    return bytes(i ^ j for i, j in zip(a, b))
def native(nonce):
    h1 = hashlib.sha1(pw).digest()
    return x(h1, hashlib.sha1(nonce + hashlib.sha1(h1).digest()).digest())
def sha2(nonce):
    h1 = hashlib.sha256(pw).digest()
    return x(h1, hashlib.sha256(hashlib.sha256(h1).digest() + nonce).digest())
_, g = pkt()
v_end = g.index(b"\0", 1)
p = v_end + 1 + 4
nonce = g[p:p + 8]
p += 8 + 1 + 2 + 1 + 2 + 2
alen = g[p]
p += 1 + 10
nonce += g[p:p + max(13, alen - 8) - 1]
caps = 0x200 | 0x8000 | 0x80000 | 0x1 | 0x4
send(1, struct.pack("<IIB23x", caps, 1 << 24, 45) + b"admin\0" + bytes([20]) + native(nonce)
     + b"mysql_native_password\0")
_, r = pkt()
print("login=%s" % ("ok" if r[0] == 0 else r[3:].decode(errors="replace")))
# COM_CHANGE_USER naming a plugin ddlgate lacks, no token
send(0, b"\x11admin\0\0\0" + struct.pack("<H", 45) + b"client_ed25519\0")
seq, r = pkt()
name = r[1:r.index(b"\0", 1)].decode()
n2 = r[r.index(b"\0", 1) + 1:][:20]
print("switch seq=%d plugin=%s fresh=%s" % (seq, name, n2 != nonce and len(n2) == 20))
send(seq + 1, sha2(n2) if name == "caching_sha2_password" else native(n2))
seq, r = pkt()
if r[:2] == b"\x01\x03":
    seq, r = pkt()
print("change_user=%s seq=%d" % ("ok" if r[0] == 0 else r[3:].decode(errors="replace"), seq))
# COM_STMT_CLOSE then COM_PING in one write: exactly one answer
s.sendall(b"\x05\x00\x00\x00\x19\x63\x00\x00\x00" + b"\x01\x00\x00\x00\x0e")
_, r = pkt()
s.settimeout(0.5)
try:
    extra = s.recv(100)
except socket.timeout:
    extra = b""
print("pipelined=%s extra=%d" % ("ok" if r[0] == 0 else "err", len(extra)))
s.settimeout(5)
send(0, b"\x16SET RULE ? = off")
_, r = pkt()
print("prepare_param=%d" % (int.from_bytes(r[1:3], "little") if r[0] == 0xff else 0))
send(0, b"\x09")
_, r = pkt()
print("statistics=%s" % r[:8].decode(errors="replace"))
PYEOF
) || true
grep -q "login=ok" <<< "$out" && grep -q "switch seq=1 plugin=caching_sha2_password fresh=True" <<< "$out" &&
    grep -q "change_user=ok" <<< "$out"
check raw_change_user_switch $? "$(tr '\n' ' ' <<< "$out" | head -c 400)"
grep -q "pipelined=ok extra=0" <<< "$out"; check raw_stmt_close_no_answer $? "$(tr '\n' ' ' <<< "$out" | head -c 400)"
grep -q "prepare_param=7300" <<< "$out"; check raw_prepare_param_refused $? "$(tr '\n' ' ' <<< "$out" | head -c 400)"
grep -q "statistics=Uptime: " <<< "$out"; check raw_statistics $? "$(tr '\n' ' ' <<< "$out" | head -c 400)"
# control bytes in a refused command reach the log escaped
printf 'SHOW \001RULES\033[0m;\n' | adm > /dev/null 2>&1 || true
sleep 0.2
grep -q 'refused: SHOW \\x01RULES\\x1b\[0m' "$LOG1" && ! grep -q $'\033' "$LOG1"
check log_escapes_control_bytes $? "$(grep 'refused: SHOW' "$LOG1" | tail -1 | cat -v | head -c 300)"

echo "# test_admin: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
