#!/usr/bin/env bash
# test_mdl_queue.sh - ddlgate's metadata-lock-aware DDL queue, driven with
# the `mariadb` command-line client (tests/integration/it_mdlqueue.c runs the
# latency scenarios with threads; this covers the behaviour around them):
#   - while session A's transaction holds t, an ALTER of t waits in ddlgate
#     (SHOW QUEUE, queue_waiting), and reads, writes and DDL on other tables
#     keep flowing; it runs once A commits; its session's lock_wait_timeout
#     is restored
#   - two DDLs on one table run in order once A ends
#   - a DDL inside the transaction that holds the table is not blocked by
#     that transaction itself
#   - the deadline gives 7200 naming the blocker; CANCEL gives 7201
#
# Env (from run.sh): MARIADB_PORT DDLGATE_BIN; optional IT_WORK_DIR.
# Starts its own ddlgate instances (free ports), stopped on exit.
set -uo pipefail

NAME=mdlq_cli
# shellcheck source=tests/integration/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
T=$(mktemp -d "${IT_WORK_DIR:-/tmp}/mdlq.XXXXXX")
TBL=it_mdlqcli_$$
OTHER=it_mdlqcli_o_$$
APASS=it-mdlq-cli-secret
BG=()

cleanup() {
    local p
    exec 3>&- 2> /dev/null || true
    for p in "${BG[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
    dg_cleanup
    fix -e "DROP TABLE IF EXISTS $TBL, $OTHER" 2> /dev/null || true
    [[ $FAIL -eq 0 ]] && rm -rf "$T"
    return 0
}
trap cleanup EXIT

ms() { date +%s%3N; }
# start_dg NAME DEADLINE: sets PORT_<NAME>, ADMIN_<NAME>, LOG_<NAME>
start_dg() { # start_dg NAME DEADLINE [--set k=v ...]
    local name=$1 deadline=$2 p a log pid i
    shift 2
    p=$(free_port); a=$(free_port)
    log=$T/dg-$name.log
    "$DDLGATE_BIN" --listen "127.0.0.1:$p" --backend "127.0.0.1:$MARIADB_PORT" --admin "127.0.0.1:$a" \
        --set admin.password="$APASS" --set backend.monitor_user=monitor \
        --set backend.monitor_password=monpass --set backend.monitor_interval_ms=250 \
        --set limits.ddl_queue_deadline_s="$deadline" --log-level info "$@" > "$log" 2>&1 < /dev/null &
    pid=$!
    PIDS+=("$pid")
    if ! wait_port "$pid" "$p" || ! wait_port "$pid" "$a"; then
        notok "start_$name" "ddlgate did not start: $(tail -5 "$log")"
        return 1
    fi
    for ((i = 0; i < 100; i++)); do # until the monitor is connected (<= 10 s)
        cli "$a" admin "$APASS" -N -B -e "SHOW BACKEND" 2> /dev/null | grep -q $'^monitor\tconnected' && break
        sleep 0.1
    done
    printf -v "PORT_$name" '%s' "$p"
    printf -v "ADMIN_$name" '%s' "$a"
    printf -v "LOG_$name" '%s' "$log"
}
column_count() { # column_count COL...: how many of these columns t has
    local list
    list=$(printf "'%s'," "$@")
    fix -N -B -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='test' AND TABLE_NAME='$TBL' AND COLUMN_NAME IN (${list%,})"
}

# Session A: an idle transaction that read t, kept open through a fifo.
A_PID=""
a_begin() { # a_begin PORT [SQL]: BEGIN, then SQL (default: a read of t), then idle
    local first=${2:-SELECT COUNT(*) FROM $TBL}
    rm -f "$T/a.fifo" "$T/a.out"
    mkfifo "$T/a.fifo"
    timeout 120 mariadb --no-defaults -h127.0.0.1 -P"$1" -uapp -papppass test -N -B --unbuffered \
        < "$T/a.fifo" > "$T/a.out" 2>&1 &
    A_PID=$!
    BG+=("$A_PID")
    exec 3> "$T/a.fifo"
    echo "BEGIN; $first; SELECT 1;" >&3
    local i
    for ((i = 0; i < 100; i++)); do
        if grep -q '^[0-9]' "$T/a.out" 2> /dev/null; then
            sleep 0.3 # A sits idle in its transaction, as a forgotten one does
            return 0
        fi
        sleep 0.05
    done
    return 1
}
a_end() { # a_end COMMIT|ROLLBACK
    echo "$1;" >&3
    exec 3>&-
    local i
    for ((i = 0; i < 100; i++)); do kill -0 "$A_PID" 2> /dev/null || break; sleep 0.05; done
    wait "$A_PID" 2> /dev/null
}
# A DDL in the background: bg_ddl NAME PORT SQL (output in $T/NAME.out, status in $T/NAME.rc)
bg_ddl() {
    local name=$1 port=$2 sql=$3
    rm -f "$T/$name.rc"
    ( rc=0; cli "$port" app apppass test -N -B -e "$sql" > "$T/$name.out" 2>&1 || rc=$?; echo "$rc" > "$T/$name.rc" ) &
    BG+=("$!")
}
bg_wait() { # bg_wait NAME SECONDS: true once it finished
    local i
    for ((i = 0; i < $2 * 20; i++)); do [[ -s $T/$1.rc ]] && return 0; sleep 0.05; done
    return 1
}
queue_rows() { # queue_rows ADMINPORT: SHOW QUEUE rows for t
    cli "$1" admin "$APASS" -N -B -e "SHOW QUEUE" 2> /dev/null | awk -F'\t' -v t="test.$TBL" '$4 == t'
}
wait_queue() { # wait_queue ADMINPORT COUNT: until SHOW QUEUE has COUNT rows for t (<= 5 s)
    local i
    for ((i = 0; i < 100; i++)); do
        [[ $(queue_rows "$1" | wc -l) -eq $2 ]] && return 0
        sleep 0.05
    done
    return 1
}
stat() { cli "$1" admin "$APASS" -N -B -e "SHOW STATS" 2> /dev/null | awk -F'\t' -v n="$2" '$1 == n {print $2}'; }
fresh_table() {
    fix -e "DROP TABLE IF EXISTS $TBL, $OTHER; CREATE TABLE $TBL (id INT PRIMARY KEY, v INT NOT NULL);
            INSERT INTO $TBL SELECT seq, seq FROM seq_1_to_100; CREATE TABLE $OTHER (id INT PRIMARY KEY)"
}

PORT_main="" ADMIN_main="" LOG_main="" PORT_short="" ADMIN_short="" LOG_short=""
PORT_blind="" ADMIN_blind="" LOG_blind="" PORT_trx="" ADMIN_trx="" LOG_trx=""
start_dg main 30 || exit 1
start_dg short 4 || exit 1
P=$PORT_main; AP=$ADMIN_main

# 0. SHOW BACKEND says what the monitor user can see, before any DDL
vis=$(cli "$AP" admin "$APASS" -N -B -e "SHOW BACKEND" 2> /dev/null | awk -F'\t' '$1 == "mdl_visibility" {print $2}')
pfs=$(fix -N -B -e "SELECT @@performance_schema")
if [[ $pfs == 1 ]]; then want="using performance_schema.metadata_locks"; else want="performance_schema.metadata_locks: no"; fi
[[ $vis == *"$want"* && $vis == *"INNODB_TRX: yes"* && $vis == *"PROCESSLIST: all threads"* ]]
check show_backend_visibility $? "performance_schema=$pfs, mdl_visibility '$vis'"
# the monitor's connection already told the flavour: no application has connected yet
flav=$(cli "$AP" admin "$APASS" -N -B -e "SHOW BACKEND" 2> /dev/null | awk -F'\t' '$1 == "flavour" || $1 == "version" {printf "%s ", $2}')
[[ $flav == "mariadb 10."* ]]; check show_backend_from_monitor $? "flavour/version before any session: '$flav'"

# 1. one ALTER queued behind A; everything else on t keeps flowing
fresh_table
a_begin "$P"; check a_open $? "session A's transaction: $(cat "$T/a.out")"
bg_ddl b1 "$P" "SET SESSION lock_wait_timeout = 77; ALTER TABLE $TBL ADD COLUMN b1 INT NULL; SELECT @@SESSION.lock_wait_timeout"
wait_queue "$AP" 1; check show_queue $? "SHOW QUEUE: $(cli "$AP" admin "$APASS" -N -B -e "SHOW QUEUE" 2>&1 | head -c 300)"
for _ in $(seq 20); do # the scheduler fills the blockers in on its next look
    blockers=$(queue_rows "$AP" | cut -f6)
    grep -q "app@" <<< "$blockers" && break
    sleep 0.05
done
grep -q "app@" <<< "$blockers"; check show_queue_blockers $? "blockers '$blockers'"
[[ $(stat "$AP" queue_waiting) == 1 ]]; check stats_waiting $? "queue_waiting '$(stat "$AP" queue_waiting)'"
t0=$(ms); out=$(cli "$P" app apppass test -N -B -e "SELECT v FROM $TBL WHERE id = 7" 2>&1); t1=$(ms)
[[ $out == 7 && $((t1 - t0)) -lt 2000 ]]; check read_flows $? "'$out' in $((t1 - t0)) ms"
t0=$(ms); out=$(cli "$P" app apppass test -N -B -e "UPDATE $TBL SET v = v + 1 WHERE id = 8; INSERT INTO $TBL VALUES (1000, 1); SELECT v FROM $TBL WHERE id = 8" 2>&1); t1=$(ms)
[[ $out == 9 && $((t1 - t0)) -lt 2000 ]]; check write_flows $? "'$out' in $((t1 - t0)) ms"
t0=$(ms); out=$(cli "$P" app apppass test -N -B -e "ALTER TABLE $OTHER ADD COLUMN o INT NULL" 2>&1); rc=$?; t1=$(ms)
[[ $rc -eq 0 && $((t1 - t0)) -lt 3000 ]]; check other_table_ddl_flows $? "exit $rc in $((t1 - t0)) ms: $out"
[[ ! -s $T/b1.rc && $(column_count b1) == 0 ]]; check ddl_still_held $? "B finished while A holds t: $(cat "$T/b1.out" 2> /dev/null)"
t_commit=$(ms)
a_end COMMIT
bg_wait b1 10; t_done=$(ms)
[[ $(cat "$T/b1.rc" 2> /dev/null) == 0 && $(column_count b1) == 1 ]]
check ddl_runs_after_commit $? "exit $(cat "$T/b1.rc" 2> /dev/null), column b1 count $(column_count b1): $(head -c 300 "$T/b1.out")"
echo "# B finished $((t_done - t_commit)) ms after A's COMMIT (polling granularity 50 ms)"
[[ $(tail -1 "$T/b1.out") == 77 ]]; check lock_wait_timeout_restored $? "B's session lock_wait_timeout afterwards: '$(tail -1 "$T/b1.out")' (set 77)"
wait_queue "$AP" 0; check queue_empty_after $? "SHOW QUEUE: $(queue_rows "$AP")"

# 2. two DDLs on one table: both wait, both run once A ends
a_begin "$P" || notok a_open2 "$(cat "$T/a.out")"
bg_ddl b2 "$P" "ALTER TABLE $TBL ADD COLUMN b2 INT NULL"
wait_queue "$AP" 1
bg_ddl b3 "$P" "ALTER TABLE $TBL ADD COLUMN b3 INT NULL"
wait_queue "$AP" 2; check two_queued $? "SHOW QUEUE: $(queue_rows "$AP")"
a_end COMMIT
bg_wait b2 10; bg_wait b3 10
[[ $(cat "$T/b2.rc" "$T/b3.rc" 2> /dev/null | tr -d '\n') == 00 && $(column_count b2 b3) == 2 ]]
check two_run_after_commit $? "exits $(cat "$T/b2.rc" "$T/b3.rc" 2> /dev/null | tr '\n' ' '), columns $(column_count b2 b3): $(head -c 200 "$T/b2.out") $(head -c 200 "$T/b3.out")"

# 3. a DDL inside the transaction that holds t is not blocked by itself
t0=$(ms)
out=$(cli "$P" app apppass test -N -B -e "BEGIN; SELECT COUNT(*) FROM $TBL; ALTER TABLE $TBL ADD COLUMN selfcol INT NULL" 2>&1); rc=$?
t1=$(ms)
[[ $rc -eq 0 && $((t1 - t0)) -lt 3000 && $(column_count selfcol) == 1 ]]
check own_transaction_not_blocking $? "exit $rc after $((t1 - t0)) ms: $(head -c 300 <<< "$out")"

# 4. the deadline (4 s on this instance): 7200 naming the blocker, table unchanged
a_begin "$PORT_short" || notok a_open3 "$(cat "$T/a.out")"
t0=$(ms)
bg_ddl b4 "$PORT_short" "ALTER TABLE $TBL ADD COLUMN b4 INT NULL"
bg_wait b4 15; t1=$(ms)
grep -q "ERROR 7200" "$T/b4.out" && grep -q "app@" "$T/b4.out" && grep -q "test.$TBL" "$T/b4.out"
check deadline_7200 $? "after $((t1 - t0)) ms: $(head -c 400 "$T/b4.out")"
[[ $((t1 - t0)) -ge 3500 && $((t1 - t0)) -le 9000 ]]; check deadline_timing $? "gave up after $((t1 - t0)) ms (deadline 4 s)"
a_end ROLLBACK
sleep 1
[[ $(column_count b4) == 0 ]]; check deadline_table_unchanged $? "column b4 exists"
[[ $(stat "$ADMIN_short" queue_timeouts) -ge 1 ]]; check deadline_counted $? "queue_timeouts '$(stat "$ADMIN_short" queue_timeouts)'"

# 5. CANCEL from the console: 7201, table unchanged; an unknown id: 7301
a_begin "$P" || notok a_open4 "$(cat "$T/a.out")"
bg_ddl b5 "$P" "ALTER TABLE $TBL ADD COLUMN b5 INT NULL"
wait_queue "$AP" 1
id=$(queue_rows "$AP" | cut -f1)
out=$(cli "$AP" admin "$APASS" -e "CANCEL $id" 2>&1); rc=$?
check cancel_ok $? "CANCEL '$id': exit $rc $out"
bg_wait b5 5
grep -q "ERROR 7201" "$T/b5.out"; check cancel_7201 $? "$(head -c 300 "$T/b5.out")"
out=$(cli "$AP" admin "$APASS" -e "CANCEL $id" 2>&1)
grep -q "ERROR 7301" <<< "$out"; check cancel_again_7301 $? "$out"
a_end COMMIT
sleep 1
[[ $(column_count b5) == 0 ]]; check cancel_table_unchanged $? "column b5 exists"

# 6. a transaction through ddlgate that read t only through a view holds t: the
#    parser sees the view, the server's metadata locks show t (the monitor)
fix -e "CREATE OR REPLACE VIEW ${TBL}_v AS SELECT id, v FROM $TBL"
a_begin "$P" "SELECT COUNT(*) FROM ${TBL}_v" || notok a_open6 "$(cat "$T/a.out")"
bg_ddl b6 "$P" "ALTER TABLE $TBL ADD COLUMN b6 INT NULL"
wait_queue "$AP" 1; check view_holder_queued $? "SHOW QUEUE: $(queue_rows "$AP")"
max=0
for i in $(seq 10); do
    t0=$(ms); cli "$P" app apppass test -N -B -e "SELECT v FROM $TBL WHERE id = $i" > /dev/null 2>&1; t1=$(ms)
    ((t1 - t0 > max)) && max=$((t1 - t0))
done
[[ $max -lt 1500 && ! -s $T/b6.rc ]]; check view_holder_reads_flow $? "slowest point SELECT ${max} ms; B: $(cat "$T/b6.out" 2> /dev/null)"
grep -q "app@" <<< "$(queue_rows "$AP" | cut -f6)"; check view_holder_named $? "blockers '$(queue_rows "$AP" | cut -f6)'"
a_end COMMIT
bg_wait b6 10
[[ $(cat "$T/b6.rc" 2> /dev/null) == 0 && $(column_count b6) == 1 ]]
check view_holder_ddl_after_commit $? "exit $(cat "$T/b6.rc" 2> /dev/null): $(head -c 300 "$T/b6.out")"
fix -e "DROP VIEW IF EXISTS ${TBL}_v"

# 7. CANCEL of a DDL already on the server.  An instance whose monitor user
#    sees no metadata locks (app: no PROCESS, no performance_schema) cannot
#    see A connected straight to MariaDB: it sends the ALTER, which waits on
#    the server (lock_wait_timeout 20 s here); CANCEL interrupts it with KILL
#    QUERY: 7201, the table unchanged
start_dg blind 60 --set backend.monitor_user=app --set backend.monitor_password=apppass \
    --set limits.lock_wait_timeout_s=20 || exit 1
a_begin "$MARIADB_PORT" || notok a_open7 "$(cat "$T/a.out")"
bg_ddl b7 "$PORT_blind" "ALTER TABLE $TBL ADD COLUMN b7 INT NULL"
state=""
for _ in $(seq 100); do
    state=$(queue_rows "$ADMIN_blind" | cut -f5)
    [[ $state == "waiting on server" ]] && break
    sleep 0.05
done
[[ $state == "waiting on server" ]]; check sent_ddl_listed $? "SHOW QUEUE state '$state'"
id=$(queue_rows "$ADMIN_blind" | cut -f1)
out=$(cli "$ADMIN_blind" admin "$APASS" -e "CANCEL $id" 2>&1); rc=$?
check cancel_sent_ok $rc "CANCEL '$id': $out"
bg_wait b7 10
grep -q "ERROR 7201" "$T/b7.out"; check cancel_sent_7201 $? "$(head -c 300 "$T/b7.out")"
a_end ROLLBACK
[[ $(column_count b7) == 0 ]]; check cancel_sent_table_unchanged $? "column b7 exists"
wait_queue "$ADMIN_blind" 0; check cancel_sent_queue_empty $? "SHOW QUEUE: $(queue_rows "$ADMIN_blind")"
[[ $(stat "$ADMIN_blind" queue_cancelled) == 1 ]]; check cancel_sent_counted $? "queue_cancelled '$(stat "$ADMIN_blind" queue_cancelled)'"

# 8. other statements that take an exclusive metadata lock wait in the queue too
cli "$AP" admin "$APASS" -e "SET RULE DG005 = off FOR test.$TBL; SET RULE DG033 = off FOR test.$TBL" 2> /dev/null
k=0
for sql in "FLUSH TABLES $TBL" "REPAIR TABLE $TBL" "CREATE OR REPLACE TABLE $TBL (id INT PRIMARY KEY, v INT NOT NULL)"; do
    k=$((k + 1))
    a_begin "$P" || notok "a_open8_$k" "$(cat "$T/a.out")"
    bg_ddl "b8_$k" "$P" "$sql"
    wait_queue "$AP" 1; check "kind_queued_$k" $? "$sql: SHOW QUEUE '$(queue_rows "$AP")', B: $(cat "$T/b8_$k.out" 2> /dev/null)"
    a_end COMMIT
    bg_wait "b8_$k" 10
    # the server's own answer once A ended (app has no RELOAD privilege for FLUSH: 1227)
    [[ -s $T/b8_$k.rc && ($(cat "$T/b8_$k.rc") == 0 || $(cat "$T/b8_$k.out") == *"ERROR 1227"*) ]]
    check "kind_runs_after_commit_$k" $? "$sql: $(head -c 300 "$T/b8_$k.out")"
done
cli "$AP" admin "$APASS" -e "SET RULE DG005 = default FOR test.$TBL; SET RULE DG033 = default FOR test.$TBL" 2> /dev/null

# 9. a wait inside InnoDB, which no metadata lock view shows: a child row
#    inserted straight on MariaDB makes an ALTER of its foreign-key parent
#    wait at commit (innodb_lock_wait_timeout, 50 s by default).  ddlgate's
#    short innodb_lock_wait_timeout bounds each attempt; at the deadline (4 s
#    on this instance) the client gets 7200 and the table is unchanged
fresh_table
fix -e "DROP TABLE IF EXISTS ${TBL}_c; CREATE TABLE ${TBL}_c (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES $TBL (id))"
a_begin "$MARIADB_PORT" "INSERT INTO ${TBL}_c VALUES (1, 1)" || notok a_open9 "$(cat "$T/a.out")"
t0=$(ms)
bg_ddl b9 "$PORT_short" "ALTER TABLE $TBL ADD COLUMN b9 INT NULL"
bg_wait b9 20; t1=$(ms)
grep -q "ERROR 7200" "$T/b9.out" && [[ $((t1 - t0)) -lt 12000 ]]
check innodb_wait_bounded $? "after $((t1 - t0)) ms: $(head -c 300 "$T/b9.out")"
a_end ROLLBACK
[[ $(column_count b9) == 0 ]]; check innodb_wait_table_unchanged $? "column b9 exists"
fix -e "DROP TABLE IF EXISTS ${TBL}_c"

# 10. KILL QUERY from another connection (the CLI's Ctrl-C, a driver's query
#     timeout) interrupts a DDL held in the queue: 1317 as from the server
a_begin "$P" || notok a_open10 "$(cat "$T/a.out")"
rm -f "$T/b10.rc"
( rc=0; cli "$P" app apppass test -N -B --unbuffered -e "SELECT CONNECTION_ID(); ALTER TABLE $TBL ADD COLUMN b10 INT NULL" > "$T/b10.out" 2>&1 || rc=$?; echo "$rc" > "$T/b10.rc" ) &
BG+=("$!")
wait_queue "$AP" 1
cid=$(head -1 "$T/b10.out")
# not the owner and no CONNECTION ADMIN: the server refuses (1095), the DDL stays
fix -e "DROP USER IF EXISTS mdlq_other_$$; CREATE USER mdlq_other_$$ IDENTIFIED BY 'otherpass'; GRANT SELECT ON test.* TO mdlq_other_$$"
out=$(cli "$P" "mdlq_other_$$" otherpass test -e "KILL QUERY $cid" 2>&1)
sleep 0.3
grep -q "ERROR 1095" <<< "$out" && [[ $(queue_rows "$AP" | wc -l) -eq 1 && ! -s $T/b10.rc ]]
check kill_query_needs_privilege $? "$out; SHOW QUEUE '$(queue_rows "$AP")'; B: $(cat "$T/b10.out")"
fix -e "DROP USER IF EXISTS mdlq_other_$$"
out=$(cli "$P" app apppass test -e "KILL QUERY $cid" 2>&1); rc=$?
check kill_query_ok $rc "KILL QUERY '$cid': $out"
bg_wait b10 5
grep -q "ERROR 1317 (70100)" "$T/b10.out"; check kill_query_1317 $? "$(head -c 300 "$T/b10.out")"
wait_queue "$AP" 0; check kill_query_queue_empty $? "SHOW QUEUE: $(queue_rows "$AP")"
a_end COMMIT
sleep 0.5
[[ $(column_count b10) == 0 ]]; check kill_query_table_unchanged $? "column b10 exists"

# 11. a DDL on many tables waits for a holder of its last one (RENAME of 6
#     pairs: 12 tables; DROP of 10)
many=""; pairs=""; drops=""
for i in $(seq 0 9); do
    many+="DROP TABLE IF EXISTS ${TBL}_m$i, ${TBL}_n$i; CREATE TABLE ${TBL}_m$i (id INT PRIMARY KEY); "
done
fix -e "$many"
back=""
for i in $(seq 0 5); do
    pairs+="${pairs:+, }${TBL}_m$i TO ${TBL}_n$i"
    back+="${back:+, }${TBL}_n$i TO ${TBL}_m$i"
done
for i in $(seq 0 9); do drops+="${drops:+, }${TBL}_m$i"; done
cli "$AP" admin "$APASS" -e "SET RULE DG005 = off FOR test; SET RULE DG093 = off FOR test" 2> /dev/null
k=0
for sql in "RENAME TABLE $pairs" "DROP TABLE $drops"; do
    k=$((k + 1))
    last=$([[ $k == 1 ]] && echo "${TBL}_m5" || echo "${TBL}_m9")
    a_begin "$P" "SELECT COUNT(*) FROM $last" || notok "a_open11_$k" "$(cat "$T/a.out")"
    bg_ddl "b11_$k" "$P" "$sql"
    rows=""
    for _ in $(seq 60); do
        rows=$(cli "$AP" admin "$APASS" -N -B -e "SHOW QUEUE" 2> /dev/null | grep -F "test.$last")
        [[ -n $rows ]] && break
        sleep 0.05
    done
    [[ $(cut -f5 <<< "$rows") == waiting && ! -s $T/b11_$k.rc ]]
    check "many_tables_queued_$k" $? "${sql:0:60}...: SHOW QUEUE '$rows', B: $(cat "$T/b11_$k.out" 2> /dev/null)"
    a_end COMMIT
    bg_wait "b11_$k" 10
    [[ $(cat "$T/b11_$k.rc" 2> /dev/null) == 0 ]]; check "many_tables_run_$k" $? "$(head -c 300 "$T/b11_$k.out")"
    # the renamed tables come back for the DROP
    [[ $k == 1 ]] && fix -e "RENAME TABLE $back"
done
cli "$AP" admin "$APASS" -e "SET RULE DG005 = default FOR test; SET RULE DG093 = default FOR test" 2> /dev/null
fix -e "DROP TABLE IF EXISTS $(for i in $(seq 0 9); do printf '%s_n%s, ' "$TBL" "$i"; done)${TBL}_m0"

# 12. a monitor user with PROCESS but no metadata lock view: the deadline's
#     error still names the open transactions (their tables unknown)
fix -e "DROP USER IF EXISTS mdlq_trx_$$; CREATE USER mdlq_trx_$$ IDENTIFIED BY 'trxpass'; GRANT PROCESS ON *.* TO mdlq_trx_$$; GRANT SELECT ON test.* TO mdlq_trx_$$"
start_dg trx 4 --set backend.monitor_user="mdlq_trx_$$" --set backend.monitor_password=trxpass || exit 1
vis=$(cli "$ADMIN_trx" admin "$APASS" -N -B -e "SHOW BACKEND" 2> /dev/null | awk -F'\t' '$1 == "mdl_visibility" {print $2}')
[[ $vis == "no metadata lock view"*"INNODB_TRX: yes"* ]]; check trx_only_visibility $? "'$vis'"
fresh_table
a_begin "$MARIADB_PORT" || notok a_open12 "$(cat "$T/a.out")"
bg_ddl b12 "$PORT_trx" "ALTER TABLE $TBL ADD COLUMN b12 INT NULL"
bg_wait b12 20
grep -q "ERROR 7200" "$T/b12.out" && grep -q "open transactions (no metadata lock view, tables unknown): thread [0-9]* app@" "$T/b12.out"
check deadline_names_open_transactions $? "$(head -c 500 "$T/b12.out")"
a_end ROLLBACK
[[ $(column_count b12) == 0 ]]; check trx_only_table_unchanged $? "column b12 exists"
fix -e "DROP USER IF EXISTS mdlq_trx_$$"

# 13. an online index build: once it runs, autocommit statements pass its
#     fence (only transactions wait, up to limits.ddl_fence_max_ms): point
#     SELECTs keep completing during the build
fix -e "DROP TABLE IF EXISTS ${TBL}_big; CREATE TABLE ${TBL}_big (id INT PRIMARY KEY, k INT, pad CHAR(200) NOT NULL) SELECT seq AS id, seq % 1000 AS k, REPEAT(CHAR(65 + seq % 26), 200) AS pad FROM seq_1_to_300000"
/usr/bin/python3 - "$P" "${TBL}_big" > "$T/build.out" 2>&1 << 'PY'
import sys, threading, time, subprocess
port, tbl = sys.argv[1], sys.argv[2]
stop = False
lat = []
def reader():
    # one mariadb CLI reading statements from a pipe: a point SELECT each 5 ms
    p = subprocess.Popen(["mariadb", "--no-defaults", "-h127.0.0.1", "-P" + port, "-uapp",
                          "-papppass", "test", "-N", "-B", "--unbuffered"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    i = 0
    while not stop and i < 20000:
        i += 1
        t = time.time()
        p.stdin.write("SELECT k FROM %s WHERE id = %d;\n" % (tbl, i % 300000 + 1))
        p.stdin.flush()
        p.stdout.readline()
        lat.append((t, time.time() - t))
        time.sleep(0.005)
    p.stdin.close()
    p.wait()
th = threading.Thread(target=reader)
th.start()
time.sleep(0.5)
t0 = time.time()
r = subprocess.run(["mariadb", "--no-defaults", "-h127.0.0.1", "-P" + port, "-uapp", "-papppass",
                    "test", "-e", "ALTER TABLE %s ADD INDEX kp (k, pad)" % tbl],
                   capture_output=True, text=True, timeout=120)
t1 = time.time()
time.sleep(0.2)
stop = True
th.join()
during = sorted(l for (t, l) in lat if t0 <= t <= t1)
print("rc=%d build_ms=%d n=%d max_ms=%d %s" % (r.returncode, (t1 - t0) * 1000, len(during),
      during[-1] * 1000 if during else -1, r.stderr.strip()[:200]))
PY
read -r brc bms bn bmax _ <<< "$(tr '=' ' ' < "$T/build.out" | awk '{print $2, $4, $6, $8}')"
echo "# index build: $(cat "$T/build.out")"
[[ $brc == 0 && $bn -gt 10 ]]; check index_build_ran $? "$(cat "$T/build.out")"
if [[ ${bms:-0} -ge 900 ]]; then
    [[ ${bmax:-99999} -lt 500 ]]; check index_build_reads_flow $? "slowest point SELECT ${bmax} ms during a ${bms} ms build"
else
    echo "# index build took ${bms} ms (< 900): too short to tell a fence from the build"
fi
fix -e "DROP TABLE IF EXISTS ${TBL}_big"

if [[ $FAIL -gt 0 ]]; then
    grep -h "queue" "$LOG_main" "$LOG_short" | tail -15 | sed 's/^/#   ddlgate.log: /'
fi
echo "# test_mdl_queue: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
