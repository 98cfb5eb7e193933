#!/usr/bin/env bash
# test_lint.sh - the real `ddlgate lint` binary on a migration tree: order,
# rewrites, JSON validity, exit statuses, --schema, --rule, stdin.
# Needs no server.  Env: DDLGATE_BIN (default <repo>/build/ddlgate).
# Runs standalone (tests/integration/test_lint.sh) or from run.sh.
set -euo pipefail

REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
DDLGATE_BIN=${DDLGATE_BIN:-$REPO_ROOT/build/ddlgate}
if [[ ! -x $DDLGATE_BIN ]]; then
    echo "ok - lint # SKIP no ddlgate binary at $DDLGATE_BIN (build first or set DDLGATE_BIN)"
    exit 0
fi
if ! timeout 10 "$DDLGATE_BIN" lint --help > /dev/null 2>&1; then
    echo "ok - lint # SKIP this ddlgate build does not dispatch 'lint'"
    exit 0
fi

T=$(mktemp -d "${IT_WORK_DIR:-/tmp}/lint.XXXXXX")
trap 'rm -rf "$T"' EXIT
PASS=0
FAIL=0
ok() { echo "ok - lint_$1"; PASS=$((PASS + 1)); }
notok() { echo "not ok - lint_$1: $2"; FAIL=$((FAIL + 1)); }
lint() { timeout 60 "$DDLGATE_BIN" lint "$@"; }

mkdir -p "$T/db"
cat > "$T/schema.sql" <<'SQL'
CREATE TABLE orders (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  qty INT NOT NULL, note VARCHAR(100) CHARACTER SET latin1) ENGINE=InnoDB;
SQL
printf 'ALTER TABLE orders ADD COLUMN shipped_at DATETIME NULL;\n' > "$T/db/V1__ship.sql"
printf -- '-- widen\nALTER TABLE orders MODIFY qty BIGINT NOT NULL;\n' > "$T/db/V2__qty.sql"
printf 'CREATE INDEX idx_ship ON orders (shipped_at);\n' > "$T/db/V10__idx.sql"

# text: order by version, exact rewrites, exit 1 because V2 is COPY-only
rc=0
out=$(lint --server mysql-8.0.36 --schema "$T/schema.sql" "$T/db") || rc=$?
want1="$T/db/V1__ship.sql:1: [DG010,DG030] algorithm=INSTANT lock_none=yes rebuild=no action=rewrite rewritten: SET SESSION lock_wait_timeout=2; ALTER TABLE orders ADD COLUMN shipped_at DATETIME NULL, ALGORITHM=INSTANT"
want3="$T/db/V10__idx.sql:1: [DG002,DG030] algorithm=INPLACE lock_none=yes rebuild=no action=rewrite rewritten: SET SESSION lock_wait_timeout=2; CREATE INDEX idx_ship ON orders (shipped_at) ALGORITHM=INPLACE LOCK=NONE"
line1=$(sed -n 1p <<< "$out"); line2=$(sed -n 2p <<< "$out"); line3=$(sed -n 3p <<< "$out")
[[ $rc -eq 1 ]] && ok exit_status_held || notok exit_status_held "rc=$rc"
[[ $line1 == "$want1" ]] && ok rewrite_instant || notok rewrite_instant "$line1"
[[ $line2 == "$T/db/V2__qty.sql:2: [DG014,DG016,DG030] algorithm=COPY lock_none=no rebuild=yes action=approval -- ddlgate DG014 "* ]] \
    && ok copy_only_held || notok copy_only_held "$line2"
[[ $line3 == "$want3" ]] && ok create_index_rewrite || notok create_index_rewrite "$line3"

# --rule relaxes the hold: exit 0
rc=0
lint --server mysql-8.0.36 --schema "$T/schema.sql" --rule DG014=warn "$T/db" > /dev/null || rc=$?
[[ $rc -eq 0 ]] && ok rule_override || notok rule_override "rc=$rc"

# json: every line parses, keys present (python3 is on the test machines)
if command -v python3 > /dev/null; then
    lint --server mariadb-10.11 --format json --schema "$T/schema.sql" "$T/db" > "$T/out.json" || true
    if python3 - "$T/out.json" <<'PY'
import json, sys
keys = {"file", "line", "statement", "kind", "tables", "algorithm", "lock_none", "rebuild",
        "rules", "action", "rewritten"}
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(rows) == 3, rows
for r in rows:
    assert keys <= set(r), r
assert rows[1]["algorithm"] == "COPY" and rows[1]["action"] == "approval", rows[1]
assert rows[2]["rewritten"].endswith("ALGORITHM=NOCOPY LOCK=NONE"), rows[2]
PY
    then ok json_lines; else notok json_lines "$(head -c 400 "$T/out.json")"; fi
else
    echo "ok - lint_json_lines # SKIP no python3"
fi

# stdin, a reject, and a clean pass
rc=0
out=$(printf 'DELETE FROM orders;\n' | lint --server mysql-8.0.36 -) || rc=$?
[[ $rc -eq 1 && $out == "<stdin>:1: [DG008] "*"action=reject"* ]] && ok stdin_reject || notok stdin_reject "rc=$rc $out"
rc=0
printf 'SELECT 1;\n' | lint --server mysql-8.0.36 - > /dev/null || rc=$?
[[ $rc -eq 0 ]] && ok clean_exit || notok clean_exit "rc=$rc"

# usage and I/O errors exit 2
rc=0; lint --server nosuch-1 "$T/db" > /dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] && ok bad_server || notok bad_server "rc=$rc"
rc=0; lint --server mysql-8.0.36 "$T/missing" > /dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] && ok missing_path || notok missing_path "rc=$rc"

echo "# lint: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
