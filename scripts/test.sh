#!/usr/bin/env bash
# test.sh - build ddlgate and run every test: unit tests (ctest, label
# "unit") in a Release build and under ASan+UBSan, the integration suite
# against a throwaway MariaDB (tests/integration/run.sh) with the sanitized
# ddlgate, every libFuzzer target for a short bounded time (scripts/fuzz.sh;
# that build is clang-14 -Werror of the whole library) and the static checks
# (scripts/static-checks.sh).  The last line is "N passed, M failed"; the
# exit status is non-zero when anything failed.  This is what CI runs.
#
#   scripts/test.sh [--quick] [--clang] [--no-sanitize] [--no-fuzz]
#                   [--no-static] [--no-deps] [--unit-only]
#
#   --quick      Release build, unit and integration tests only
#   --no-sanitize  integration tests against the Release build instead
#   --clang      also build everything (tests, benches) with clang-14 -Werror
#   --no-fuzz / --no-static   skip that step
#   --no-deps    do not run scripts/deps.sh
#   --unit-only  skip the integration suite
#   (--sanitize is still accepted: it is the default)
# Env: JOBS (default 2), BUILD_DIR (./build), ASAN_BUILD_DIR (./build-asan),
# CLANG_BUILD_DIR (./build-clang).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

SANITIZE=${TEST_SANITIZE:-1}
CLANG=${TEST_CLANG:-0}
FUZZ_SECS=${TEST_FUZZ_SECS:-30}
STATIC=${TEST_STATIC:-1}
DEPS=1
INTEGRATION=1
JOBS=${JOBS:-2}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-$ROOT/build-asan}
CLANG_BUILD_DIR=${CLANG_BUILD_DIR:-$ROOT/build-clang}
for a in "$@"; do
    case $a in
        --sanitize) SANITIZE=1 ;;
        --clang) CLANG=1 ;;
        --no-sanitize) SANITIZE=0 ;;
        --no-clang) CLANG=0 ;;
        --no-fuzz) FUZZ_SECS=0 ;;
        --no-static) STATIC=0 ;;
        --quick) SANITIZE=0; CLANG=0; FUZZ_SECS=0; STATIC=0 ;;
        --no-deps) DEPS=0 ;;
        --unit-only) INTEGRATION=0 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "test.sh: unknown option $a" >&2; exit 2 ;;
    esac
done

PASSED=0
FAILED=0
FAILED_STEPS=()
T0=$SECONDS
LOGDIR=$ROOT/tmp/test-logs
mkdir -p "$LOGDIR"

step() { echo; echo "##### $* ($((SECONDS - T0)) s)"; }
add() { PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2)); [[ $2 -gt 0 ]] && FAILED_STEPS+=("$3"); return 0; }

finish() {
    echo
    echo "##### done in $((SECONDS - T0)) s"
    [[ ${#FAILED_STEPS[@]} -gt 0 ]] && echo "failed: ${FAILED_STEPS[*]}"
    echo "$PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]]
    exit $?
}

# build DIR NAME CMAKE_ARGS...: configure + build; counts as one check
build() {
    local dir=$1 name=$2; shift 2
    step "build $name ($dir)"
    local log=$LOGDIR/build-$name.log
    if cmake -S "$ROOT" -B "$dir" "$@" > "$log" 2>&1 &&
        cmake --build "$dir" -j"$JOBS" >> "$log" 2>&1; then
        echo "ok - build_$name"
        add 1 0 "build_$name"
        return 0
    fi
    grep -E 'error|Error|warning' "$log" | head -40
    tail -15 "$log"
    echo "not ok - build_$name (log: $log)"
    add 0 1 "build_$name"
    return 1
}

# unit DIR NAME: ctest -L unit, counted per test
unit() {
    local dir=$1 name=$2
    local log=$LOGDIR/ctest-$name.log rc=0
    step "unit tests ($name)"
    (cd "$dir" && timeout 600 ctest -L unit --output-on-failure --timeout 300 -j"$JOBS") 2>&1 \
        | tee "$log" || rc=$?
    local total fail
    if grep -q "No tests were found" "$log"; then
        echo "(no unit tests found)"
        [[ $rc -eq 0 ]] || add 0 1 "unit_$name"
        return 0
    fi
    read -r fail total < <(sed -nE 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/p' "$log" | tail -1)
    if [[ -z ${total:-} ]]; then
        add 0 1 "unit_$name"   # ctest itself failed or timed out
        return 0
    fi
    add $((total - fail)) "$fail" "unit_$name"
}

PLAIN_TESTS=(it_client it_stress test_mdl_queue test_clients test_php test_sysbench)

# integration BIN_DIR NAME [TEST...]: tests/integration/run.sh, counted per case.
# The whole suite runs with a verify_ca TLS backend leg; the "plain" pass
# repeats the relay-heavy tests with backend.tls=preferred, so that plain
# clients get a plain backend leg (ddlgate's direct-read path on both legs),
# and with backend.compression=zlib (ddlgate numbers the answer packets
# itself there).  Uncompressed plain legs: test_faults, test_idle_timeout.
integration() {
    local bindir=$1 name=$2
    shift 2
    local counts=$LOGDIR/it-$name.counts tls=verify_ca extra=""
    if [[ $name == *plain* ]]; then
        tls=preferred
        extra="--set backend.compression=zlib"
    fi
    step "integration tests ($name)"
    rm -f "$counts"
    DDLGATE_BIN=$bindir/ddlgate IT_BIN_DIR=$bindir IT_COUNTS_FILE=$counts DG_BACKEND_TLS=$tls \
        DG_EXTRA_ARGS=$extra \
        timeout 900 bash "$ROOT/tests/integration/run.sh" "$@" || true
    if [[ -s $counts ]]; then
        local p f
        read -r p f < "$counts"
        add "$p" "$f" "integration_$name"
    else
        add 0 1 "integration_$name"
    fi
}

if [[ $DEPS == 1 ]]; then
    step "dependencies"
    if ! bash "$ROOT/scripts/deps.sh"; then
        echo "not ok - deps"
        add 0 1 deps
        finish
    fi
fi

# Release build: unit tests + integration
if build "$BUILD_DIR" release -DCMAKE_BUILD_TYPE=Release; then
    unit "$BUILD_DIR" release
    if [[ $INTEGRATION == 1 && $SANITIZE != 1 ]]; then
        integration "$BUILD_DIR" release
        integration "$BUILD_DIR" release-plain "${PLAIN_TESTS[@]}"
    fi
fi

if [[ $CLANG == 1 ]]; then
    build "$CLANG_BUILD_DIR" clang -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang-14 || true
fi

# a step whose script exits non-zero on findings: one pass or one failure
checked_step() {
    local name=$1; shift
    local log=$LOGDIR/$name.log rc=0
    step "$name"
    timeout 900 "$@" > "$log" 2>&1 || rc=$?
    tail -25 "$log"
    if [[ $rc -eq 0 ]]; then
        echo "ok - $name"
        add 1 0 "$name"
    else
        echo "not ok - $name (exit $rc, log: $log)"
        add 0 1 "$name"
    fi
}

if [[ $FUZZ_SECS -gt 0 ]]; then
    FUZZ_WORK_DIR=$(mktemp -d "$ROOT/tmp/fuzz.XXXXXX") \
        checked_step fuzz bash "$ROOT/scripts/fuzz.sh" "$FUZZ_SECS"
fi
if [[ $STATIC == 1 ]]; then
    checked_step static_checks bash "$ROOT/scripts/static-checks.sh"
fi

if [[ $SANITIZE == 1 ]]; then
    if build "$ASAN_BUILD_DIR" asan -DCMAKE_BUILD_TYPE=Debug -DDDLGATE_SANITIZE=ON \
        -DCMAKE_C_COMPILER="${SANITIZE_CC:-gcc}"; then
        export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
        export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
        unit "$ASAN_BUILD_DIR" asan
        if [[ $INTEGRATION == 1 ]]; then
            integration "$ASAN_BUILD_DIR" asan
            integration "$ASAN_BUILD_DIR" asan-plain "${PLAIN_TESTS[@]}"
        fi
    fi
fi

finish
