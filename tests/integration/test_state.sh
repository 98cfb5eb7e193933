#!/usr/bin/env bash
# test_state.sh - reloads and the state file under stress and damage:
#   - RELOADs running while an application sends DDL: a rule an admin set
#     never falls back to its default half-way through a reload
#   - a state file damaged behind ddlgate's back: RELOAD is refused (7302),
#     every rule in force stays, the damaged file is kept aside and what is
#     in force is written again
#   - a state file in a directory ddlgate cannot write, and a key set twice
#     in the configuration, refuse the start with a clear message
# Env (from run.sh): MARIADB_PORT DDLGATE_BIN; optional IT_WORK_DIR.
set -uo pipefail
NAME=state
# shellcheck source=tests/integration/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
T=$(mktemp -d "${IT_WORK_DIR:-/tmp}/state.XXXXXX")
TAG=$$
TBL=it_state_$TAG
cleanup() {
    dg_cleanup
    fix -e "DROP TABLE IF EXISTS $TBL" 2> /dev/null || true
    [[ $FAIL -eq 0 ]] && rm -rf "$T"
    return 0
}
trap cleanup EXIT

APASS=it-state-secret
ROUNDS=150
mkdir -p "$T/st"
STATE=$T/st/state
if ! dg_start main --set admin.password="$APASS" --set ddlgate.state_file="$STATE"; then
    notok start "ddlgate did not start: $(tail -5 "$DG_L")"
    exit 1
fi
adm() { cli "$DG_A" admin "$APASS" "$@"; }
rule_mode() { adm -N -B -e "SHOW RULES" 2> /dev/null | awk -F'\t' -v r="$1" '$1 == r && $4 == "global" {print $3}'; }
fix -e "DROP TABLE IF EXISTS $TBL; CREATE TABLE $TBL (id INT PRIMARY KEY, v INT)"

# 1. RELOADs while DDL arrives: DG016 (table rebuild, warn by default) set to reject
adm -e "SET RULE DG016 = reject" 2> "$T/err"
check set_rule $? "$(head -c 300 "$T/err")"
for ((i = 0; i < ROUNDS; i++)); do echo "RELOAD;"; done > "$T/reloads.sql"
for ((i = 0; i < ROUNDS; i++)); do echo "ALTER TABLE $TBL COMMENT = 'r$i', FORCE;"; done > "$T/alters.sql"
adm --force < "$T/reloads.sql" > "$T/reload.out" 2>&1 &
RPID=$!
cli "$DG_P" app apppass test --force < "$T/alters.sql" > "$T/alter.out" 2>&1
wait "$RPID"
refused=$(grep -c "ERROR 7100" "$T/alter.out")
reload_errs=$(grep -c "ERROR" "$T/reload.out")
[[ $refused -eq $ROUNDS ]]
check reload_never_drops_admin_rule $? "$refused of $ROUNDS rebuilds refused during $ROUNDS RELOADs: $(grep -v 7100 "$T/alter.out" | head -c 300)"
[[ $reload_errs -eq 0 ]]; check reloads_ok $? "$(head -c 300 "$T/reload.out")"
[[ $(rule_mode DG016) == reject ]]; check rule_after_reloads $? "DG016 is '$(rule_mode DG016)'"

# 2. a damaged state file: RELOAD refused, rules kept, the file set aside and rewritten
adm -e "SET RULE DG041 = off FOR test.$TBL" 2> /dev/null
printf 'ddlgate-state 1\nrule DG016 wa' > "$STATE" # a torn write
rc=0
adm -e "RELOAD" 2> "$T/err" || rc=$?
[[ $rc -ne 0 ]] && grep -q "ERROR 7302" "$T/err" && grep -q "state file" "$T/err"
check reload_refuses_torn_state $? "exit $rc: $(head -c 300 "$T/err")"
[[ $(rule_mode DG016) == reject ]]; check torn_state_keeps_rule $? "DG016 is '$(rule_mode DG016)'"
adm -N -B -e "SHOW RULES" 2> /dev/null | grep -q $'^DG041\t.*\toff\ttest.'"$TBL"
check torn_state_keeps_override $? "$(adm -N -B -e "SHOW RULES" 2>&1 | grep DG041)"
aside=$(ls "$T/st" | grep -c '^state\.refused-')
[[ $aside -eq 1 ]] && grep -q "rule DG016 wa" "$T/st"/state.refused-*
check torn_state_kept_aside $? "files: $(ls "$T/st" | tr '\n' ' ')"
grep -q "^rule DG016 reject" "$STATE" && grep -q "^rule DG041 off test $TBL" "$STATE" && grep -q "^end " "$STATE"
check state_rewritten $? "$(head -c 300 "$STATE")"
rc=0
adm -e "RELOAD" 2> "$T/err" || rc=$?
check reload_after_rewrite $rc "$(head -c 300 "$T/err")"
dg_stop "$DG_PID"

# 3. a restart reads what was rewritten
if dg_start again --set admin.password="$APASS" --set ddlgate.state_file="$STATE"; then
    [[ $(rule_mode DG016) == reject ]]; check restart_keeps_rule $? "DG016 is '$(rule_mode DG016)'"
    dg_stop "$DG_PID"
else
    notok restart "$(tail -5 "$DG_L")"
fi

# 4. refused starts
rc=0
"$DDLGATE_BIN" --listen "127.0.0.1:$(free_port)" --backend "127.0.0.1:$MARIADB_PORT" --admin off \
    --set ddlgate.state_file="$T/no-such-dir/state" > "$T/start.out" 2>&1 < /dev/null &
pid=$!
PIDS+=("$pid")
for _ in $(seq 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
wait "$pid" 2> /dev/null
rc=$?
[[ $rc -eq 2 ]] && grep -q "no-such-dir is not writable" "$T/start.out"
check unwritable_state_dir_refused $? "exit $rc: $(head -c 300 "$T/start.out")"
printf '[backend]\nport = 3306\n\n[backend]\nport = 3307\n' > "$T/dup.ini"
rc=0
timeout 10 "$DDLGATE_BIN" -c "$T/dup.ini" --admin off > "$T/dup.out" 2>&1 < /dev/null || rc=$?
[[ $rc -eq 2 ]] && grep -q "dup.ini:5: key 'port' in section \[backend\] is set twice (first on line 2)" "$T/dup.out"
check duplicate_key_refused $? "exit $rc: $(head -c 300 "$T/dup.out")"

echo "# test_state: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
