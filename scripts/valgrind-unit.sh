#!/usr/bin/env bash
# valgrind-unit.sh - run every unit test (tests/unit/check_*) under valgrind
# memcheck: no invalid reads/writes, no uninitialised jumps, no leaks
# (definite, indirect or possible; "still reachable" globals are not leaks).
#
#   scripts/valgrind-unit.sh [TEST...]        (default: every check_* built)
#
# Environment:
#   VG_BUILD_DIR  a normal (not sanitizer) build dir (default build-valgrind;
#                 configured and built when it has no cache yet)
#   VG_JOBS       tests run in parallel (default 2)
#   VG_FORK_TESTS tests whose cases each need a process of their own (they
#                 start a proxy per case); run with CK_FORK=yes and valgrind
#                 following the children (default: none; check_relay stops
#                 its proxy after each case and runs in-process too)
# Other tests run in-process (CK_FORK=no) so valgrind sees everything.
# scripts/valgrind.supp holds the (commented) suppressions.
# Logs: $VG_BUILD_DIR/valgrind/<test>.log.  Exit status 1 on any error.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/.." && pwd -P)
BUILD=${VG_BUILD_DIR:-$ROOT/build-valgrind}
[[ $BUILD == /* ]] || BUILD=$PWD/$BUILD
JOBS=${VG_JOBS:-2}
command -v valgrind >/dev/null || { echo "valgrind-unit: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 2
fi
cmake --build "$BUILD" -j2 >/dev/null || { echo "valgrind-unit: build failed" >&2; exit 2; }
mkdir -p "$BUILD/valgrind"

tests=()
if [[ $# -gt 0 ]]; then
    tests=("$@")
else
    for t in "$BUILD"/check_*; do [[ -x $t && -f $t ]] && tests+=("$(basename "$t")"); done
fi

run_one() {
    local t=$1 log=$BUILD/valgrind/$1.log rc=0 fork=no children=no
    [[ " $VG_FORK_TESTS " == *" $t "* ]] && { fork=yes; children=yes; log=$BUILD/valgrind/$t.%p.log; }
    rm -f "$BUILD/valgrind/$t".*log
    # unit tests read fixtures relative to the repo root
    (cd "$ROOT" && CK_FORK=$fork CK_DEFAULT_TIMEOUT=900 timeout 1800 valgrind --tool=memcheck \
        --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes \
        --trace-children=$children --suppressions="$ROOT/scripts/valgrind.supp" \
        --num-callers=30 --log-file="$log" "$BUILD/$t" > "$BUILD/valgrind/$t.out" 2>&1) || rc=$?
    local errs lost
    errs=$(cat "$BUILD/valgrind/$t".*log | sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' | awk '{s += $1} END {print s + 0}')
    lost=$(cat "$BUILD/valgrind/$t".*log | grep -E 'definitely lost:|indirectly lost:|possibly lost:' | awk '{s += $4} END {print s + 0}')
    # a forked case's valgrind error shows as a failed case, not as our exit code
    [[ $rc -eq 0 && $errs -gt 0 ]] && rc=99
    if [[ $rc -eq 0 ]]; then
        echo "ok - $t (valgrind: ${errs:-0} errors, ${lost} bytes lost)"
    else
        echo "not ok - $t: exit $rc, ${errs:-?} valgrind errors, ${lost} bytes lost (log $log)"
    fi
    return $rc
}
export -f run_one
VG_FORK_TESTS=${VG_FORK_TESTS:-}
export BUILD ROOT VG_FORK_TESTS

failed=0
printf '%s\n' "${tests[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$@"' _ {} > "$BUILD/valgrind/summary" || failed=1
sort "$BUILD/valgrind/summary"
grep -q '^not ok' "$BUILD/valgrind/summary" && failed=1
exit $failed
