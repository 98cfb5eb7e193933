#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets and run each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default 30 s each, every fuzz_* target)
#
#   SECONDS   time per target (CI: 30; a longer run: 600 or more)
#   TARGET    fuzz_client_packets, client_packets, ... (default: all built fuzz_*)
#
# Environment:
#   FUZZ_BUILD_DIR   build directory (default build-fuzz); configured with
#                    CC=clang -DDDLGATE_FUZZ=ON when it has no cache yet
#   FUZZ_WORK_DIR    where corpora grow and crashes land (default: a new
#                    mktemp dir, kept and printed at the end)
#   FUZZ_JOBS        build parallelism (default 2)
#   FUZZ_ARGS        extra libFuzzer arguments (word-split), e.g. "-max_len=65536"
#   FUZZ_PARALLEL    targets run at once (default: number of cores)
#
# The repo corpus (fuzz/corpus/<name>/) is copied into the work dir first, so
# the repo is never written to.  Each target prints its libFuzzer stats; the
# summary gives exec/s and total executions per target.  Exit status 1 when
# any target crashed, leaked or timed out (artifacts are in the work dir).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/.." && pwd -P)
SECS=${1:-30}
[[ $SECS =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
[[ $BUILD == /* ]] || BUILD=$PWD/$BUILD
JOBS=${FUZZ_JOBS:-2}
WORK=${FUZZ_WORK_DIR:-$(mktemp -d /tmp/ddlgate-fuzz.XXXXXX)}
mkdir -p "$WORK"

command -v clang >/dev/null || { echo "fuzz.sh: clang not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }
if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    CC=clang cmake -S "$ROOT" -B "$BUILD" -DDDLGATE_FUZZ=ON >/dev/null
fi
cmake --build "$BUILD" -j"$JOBS" >/dev/null

targets=()
if [[ $# -gt 0 ]]; then
    for t in "$@"; do targets+=("fuzz_${t#fuzz_}"); done
else
    for f in "$BUILD"/fuzz_*; do
        [[ -x $f && -f $f ]] && targets+=("$(basename "$f")")
    done
fi
[[ ${#targets[@]} -gt 0 ]] || { echo "fuzz.sh: no fuzz_* targets in $BUILD" >&2; exit 2; }

# shellcheck disable=SC2206
extra=(${FUZZ_ARGS:-})
mkdir -p "$WORK/status"

# One target: run it, then leave its summary line in $WORK/status/<target>.
run_target() {
    local t=$1 name=${1#fuzz_} bin=$BUILD/$1 rc=0 status=ok
    local corpus=$WORK/corpus/$name arts=$WORK/artifacts/$name log=$WORK/$1.log
    mkdir -p "$corpus" "$arts"
    if [[ -d $ROOT/fuzz/corpus/$name ]]; then
        cp -n "$ROOT/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
    fi
    echo "fuzz.sh: $t for ${SECS}s (log $log)"
    # the hard timeout is a guard against a hang outside libFuzzer's control
    timeout --kill-after=10 $((SECS + 60)) "$bin" -max_total_time="$SECS" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$arts/" "${extra[@]}" \
        "$corpus" > "$log" 2>&1 || rc=$?
    local execs rate cov
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [[ $rc -ne 0 ]] || ls "$arts"/* >/dev/null 2>&1; then
        status="FAILED (rc $rc)"
        {
            grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehavior|libFuzzer)|runtime error' "$log" \
                | sed 's/^/    /' || true
            ls "$arts" | sed "s|^|    artifact: $arts/|"
        } > "$WORK/status/$t.detail"
    fi
    printf '%-22s %10s execs %8s exec/s  cov %-6s %s\n' "$t" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "$status" > "$WORK/status/$t"
}

# Targets run side by side, one per core (FUZZ_PARALLEL), so CI gets the
# same fuzzing time per target in half the wall time on 2 cores.
PAR=${FUZZ_PARALLEL:-$(nproc)}
running=0
for t in "${targets[@]}"; do
    if [[ ! -x $BUILD/$t ]]; then
        echo "fuzz.sh: $BUILD/$t not built" >&2
        printf '%-22s not built\n' "$t" > "$WORK/status/$t"
        continue
    fi
    if [[ $running -ge $PAR ]]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_target "$t" &
    running=$((running + 1))
done
wait || true

failed=0
summary=()
for t in "${targets[@]}"; do
    line=$(cat "$WORK/status/$t" 2>/dev/null || printf '%-22s no result' "$t")
    summary+=("$line")
    [[ $line == *" ok" ]] || failed=1
    [[ -f $WORK/status/$t.detail ]] && summary+=("$(cat "$WORK/status/$t.detail")")
done

echo
echo "fuzz.sh: summary (${SECS}s per target; work dir $WORK)"
printf '  %s\n' "${summary[@]}"
exit $failed
