#!/usr/bin/env bash
# static-checks.sh - clang-tidy and cppcheck over src/, and a clang-format
# CHECK (no rewrite) over src/ include/ tests/ fuzz/ bench/.
#
#   scripts/static-checks.sh [tidy] [cppcheck] [format]     (default: all three)
#
# Configuration is checked in: .clang-tidy, .cppcheck-suppressions,
# .clang-format.  Each check prints its findings and a count; exit status 1
# when any check found something.
#
# Environment:
#   STATIC_BUILD_DIR  where compile_commands.json is generated (default
#                     build-static; only configured, not built)
#   STATIC_JOBS       clang-tidy parallelism (default 2)
#
# To apply the format (the lead decides when):
#   clang-format -i $(git ls-files 'src/*.[ch]' 'include/*.h' 'tests/*.[ch]' 'fuzz/*.[ch]' 'bench/*.c')
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/.." && pwd -P)
cd "$ROOT" || exit 2
BUILD=${STATIC_BUILD_DIR:-$ROOT/build-static}
JOBS=${STATIC_JOBS:-2}
checks=("$@")
[[ ${#checks[@]} -gt 0 ]] || checks=(tidy cppcheck format)
failed=0
summary=()

run_tidy() {
    command -v run-clang-tidy >/dev/null || { echo "static-checks: run-clang-tidy not found (apt-get install clang-tidy)"; return 2; }
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null || return 2
    local log n
    log=$(mktemp)
    # gcc-only warning flags in the compile commands are not clang-tidy's business
    run-clang-tidy -p "$BUILD" -j "$JOBS" -quiet -extra-arg=-Wno-unknown-warning-option \
        "$ROOT/src/.*\\.c\$" > "$log" 2>&1
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^/.*: (warning|error): ' | sort -u > "$log.found"
    n=$(wc -l < "$log.found")
    cat "$log.found"
    rm -f "$log" "$log.found"
    summary+=("clang-tidy: $n finding(s)")
    [[ $n -eq 0 ]]
}

run_cppcheck() {
    command -v cppcheck >/dev/null || { echo "static-checks: cppcheck not found"; return 2; }
    local out n
    out=$(cppcheck --enable=warning,portability --std=c11 --inline-suppr -q \
        -I include -I src --suppressions-list=.cppcheck-suppressions \
        --template='{file}:{line}: {severity}: {message} [{id}]' src/ 2>&1 \
        | grep -E '^[^ ]+:[0-9]+: ' | sort -u)
    n=$(printf '%s' "$out" | grep -c . || true)
    [[ -n $out ]] && printf '%s\n' "$out"
    summary+=("cppcheck: $n finding(s)")
    [[ $n -eq 0 ]]
}

run_format() {
    command -v clang-format >/dev/null || { echo "static-checks: clang-format not found"; return 2; }
    local files=() f nbad=0 nlines=0 n
    while IFS= read -r f; do files+=("$f"); done < <(find src include tests fuzz bench \
        -type f \( -name '*.c' -o -name '*.h' \) | sort)
    for f in "${files[@]}"; do
        if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
            n=$(clang-format "$f" | diff "$f" - | grep -c '^>' || true)
            echo "format: $f: $n line(s) would change"
            nbad=$((nbad + 1))
            nlines=$((nlines + n))
        fi
    done
    summary+=("clang-format: $nbad of ${#files[@]} file(s) not formatted ($nlines line(s) would change)")
    [[ $nbad -eq 0 ]]
}

for c in "${checks[@]}"; do
    case $c in
    tidy) echo "== clang-tidy (src/)"; run_tidy || failed=1 ;;
    cppcheck) echo "== cppcheck (src/)"; run_cppcheck || failed=1 ;;
    format) echo "== clang-format --dry-run (src include tests fuzz bench)"; run_format || failed=1 ;;
    *) echo "usage: $0 [tidy] [cppcheck] [format]" >&2; exit 2 ;;
    esac
done
echo
echo "static-checks: summary"
printf '  %s\n' "${summary[@]}"
exit $failed
