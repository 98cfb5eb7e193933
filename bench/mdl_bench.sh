#!/usr/bin/env bash
# mdl_bench.sh - the metadata-lock pile-up, directly on MariaDB and through
# ddlgate's DDL queue, side by side (a benchmark: not run in CI).
#
#   bench/mdl_bench.sh     env: DDLGATE_BIN (default ./build/ddlgate)
#                               BUILD_DIR   (default: DDLGATE_BIN's directory;
#                                            it_mdlqueue is taken from there)
#                               BENCH_HOLD  (A's hold after B's ALTER, s; 5)
#                               BENCH_ROUNDS (3)
#                               MARIADB_PORT (use a running server; default:
#                                            a throwaway sandbox)
#
# Per round, for each path, tests/integration/it_mdlqueue --bench runs:
#   A  BEGIN; SELECT * FROM t   and stays idle BENCH_HOLD s after B starts
#   B  ALTER TABLE t ADD COLUMN ...
#   C  point SELECTs on t in a loop, one connection, every latency recorded
# direct   = A, B, C straight on MariaDB (C stalls behind B's lock request)
# ddlgate  = A, B, C through ddlgate (B waits in ddlgate's queue)
# external = A straight on MariaDB, B and C through ddlgate (ddlgate sees A
#            through performance_schema.metadata_locks)
# Printed: C's completed statements, p99 and max latency per path, and the
# statements C completed while B waited.  Client, server and proxy share the
# machine's cores: compare the paths, not the absolute numbers.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DDLGATE_BIN=${DDLGATE_BIN:-$ROOT/build/ddlgate}
[[ $DDLGATE_BIN == /* ]] || DDLGATE_BIN=$PWD/$DDLGATE_BIN
BUILD_DIR=${BUILD_DIR:-$(dirname "$DDLGATE_BIN")}
HOLD=${BENCH_HOLD:-5}
ROUNDS=${BENCH_ROUNDS:-3}
IT=$BUILD_DIR/it_mdlqueue

[[ -x $DDLGATE_BIN ]] || { echo "mdl_bench: no ddlgate at $DDLGATE_BIN (build first)" >&2; exit 1; }
[[ -x $IT ]] || { echo "mdl_bench: no it_mdlqueue at $IT (build first, or set BUILD_DIR)" >&2; exit 1; }

mkdir -p "$ROOT/tmp"
W=$(mktemp -d "$ROOT/tmp/mdlbench.XXXXXX")
SB_UP=0
cleanup() {
    set +e
    [[ $SB_UP == 1 ]] && bash "$ROOT/scripts/mariadb-sandbox.sh" stop "$W/sandbox" > /dev/null
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "mdl_bench: files kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z ${MARIADB_PORT:-} ]]; then
    bash "$ROOT/scripts/mariadb-sandbox.sh" start "$W/sandbox" > "$W/sandbox.log" 2>&1 \
        || { cat "$W/sandbox.log"; exit 1; }
    SB_UP=1
    # shellcheck disable=SC1091
    source "$W/sandbox/env"
fi
export MARIADB_PORT DDLGATE_BIN
export IT_WORK_DIR=$W

echo "mdl_bench: A holds t ${HOLD}s after B's ALTER; C = one connection of point SELECTs; $ROUNDS round(s)"
: > "$W/rows"
for ((r = 1; r <= ROUNDS; r++)); do
    rc=0
    timeout 300 "$IT" --bench --hold "$HOLD" > "$W/round$r.out" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "mdl_bench: round $r: it_mdlqueue exit $rc" >&2
        grep '^not ok' "$W/round$r.out" >&2 || tail -5 "$W/round$r.out" >&2
    fi
    # "# name count p50 p99 max in_wait errors b_wait max_at result..."
    awk -v r="$r" '$1 == "#" && ($2 == "direct" || $2 == "queued" || $2 == "external") {
        print r, $2, $3, $5, $6, $7, $8, $9, $10 }' "$W/round$r.out" >> "$W/rows"
done

awk -v hold="$HOLD" '
{ n[$2]++; cnt[$2] += $3; p99[$2] += $4; if ($5 > mx[$2]) mx[$2] = $5; wait[$2] += $6; err[$2] += $7; bw[$2] += $8
  printf "  round %d %-8s C count %7d  p99 %8.2f ms  max %9.2f ms (at B+%.2f s)  C during wait %7d  errors %d  B waited %.2f s\n",
         $1, ($2 == "queued" ? "ddlgate" : $2), $3, $4, $5, $9, $6, $7, $8 }
END {
  split("direct queued external", order, " ")
  printf "\n%-30s", ""
  for (i = 1; i <= 3; i++) if (n[order[i]]) printf " %14s", (order[i] == "queued" ? "ddlgate" : order[i])
  printf "\n"
  row("C statements completed (avg)", cnt, 0); row("C p99 latency, ms (avg)", p99, 2)
  printf "%-30s", "C max latency, ms (worst)"
  for (i = 1; i <= 3; i++) if (n[order[i]]) printf " %14.2f", mx[order[i]]
  printf "\n"
  row("C done while B waited (avg)", wait, 0); row("C errors (total)", err, -1); row("B wait, s (avg)", bw, 2)
}
function row(label, a, dec,   i, k, v) {
  printf "%-30s", label
  for (i = 1; i <= 3; i++) { k = order[i]; if (!n[k]) continue
    v = dec < 0 ? a[k] : a[k] / n[k]
    if (dec == 2) printf " %14.2f", v; else printf " %14d", v }
  printf "\n"
}' "$W/rows"
