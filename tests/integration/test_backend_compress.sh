#!/usr/bin/env bash
# test_backend_compress.sh - backend.compression: the ddlgate<->backend leg
# compresses on its own, whatever each client does on its leg.  A ddlgate
# of its own in front of run.sh's sandbox; the server itself reports
# (SHOW SESSION STATUS LIKE 'Compression') whether the leg it sees is
# compressed.  MariaDB offers zlib only (zstd needs MySQL >= 8.0.18: that
# path shares the codec with the client leg's zstd, unit-tested).
# Env (from run.sh): MARIADB_PORT MARIADB_CERTS DDLGATE_BIN IT_WORK_DIR.
set -euo pipefail

: "${MARIADB_PORT:?MARIADB_PORT not set (run via tests/integration/run.sh)}"
[[ ${DG_TARGET:-ddlgate} == direct ]] && { echo "ok - backend_compress # SKIP direct target"; exit 0; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$HERE/../.." && pwd -P)
DDLGATE_BIN=${DDLGATE_BIN:-$REPO_ROOT/build/ddlgate}
WORK=$(mktemp -d "${IT_WORK_DIR:-/tmp}/bcomp.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
    sleep 0.3
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2> /dev/null || true; done
}
trap cleanup EXIT
rc=0
ok() { echo "ok - backend_compress_$1"; }
fail() { echo "not ok - backend_compress_$1: $2"; rc=1; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_dg NAME MODE BACKEND_TLS -> port in $PORT
start_dg() {
    PORT=$(free_port)
    local tls=(--set "backend.tls=$3")
    if [[ -n ${MARIADB_CERTS:-} ]]; then
        tls+=(--set "client_tls.cert=$MARIADB_CERTS/server.pem" --set "client_tls.key=$MARIADB_CERTS/server-key.pem")
        [[ $3 != disabled ]] && tls+=(--set "backend.tls_ca=$MARIADB_CERTS/ca.pem")
    fi
    "$DDLGATE_BIN" --listen "127.0.0.1:$PORT" --backend "127.0.0.1:$MARIADB_PORT" --admin off \
        --set "backend.compression=$2" "${tls[@]}" --log-level info > "$WORK/$1.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 100); do
        (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null && return 0
        sleep 0.1
    done
    fail "$1_start" "ddlgate did not listen"
    return 1
}
# compression PORT [client args] -> ON/OFF as the server sees its leg
compression() {
    local port=$1
    shift
    mariadb --no-defaults -h127.0.0.1 -P"$port" -uapp -papppass -Dtest -N "$@" \
        -e "SHOW SESSION STATUS LIKE 'Compression'" 2> "$WORK/err" | awk '{ print $2 }'
}

start_dg zlib zlib disabled
P_ZLIB=$PORT
[[ $(compression "$P_ZLIB") == ON ]] && ok zlib_plain_client || fail zlib_plain_client "backend leg not compressed: $(cat "$WORK/err")"
[[ $(compression "$P_ZLIB" --compress) == ON ]] && ok zlib_compressing_client || fail zlib_compressing_client "$(cat "$WORK/err")"

# a result set of ~2 MB and a LOAD DATA LOCAL INFILE through the compressed leg
got=$(mariadb --no-defaults -h127.0.0.1 -P"$P_ZLIB" -uapp -papppass -Dtest -N --quick \
    -e "SELECT seq, REPEAT('x', 100) FROM seq_1_to_20000" 2> "$WORK/err" | awk '{ n++; s += $1 } END { print n, s }')
[[ $got == "20000 200010000" ]] && ok zlib_large_result || fail zlib_large_result "got '$got' $(cat "$WORK/err")"
seq 1 5000 > "$WORK/infile.txt"
got=$(mariadb --no-defaults -h127.0.0.1 -P"$P_ZLIB" -uapp -papppass -Dtest -N --local-infile=1 -e "
    CREATE TEMPORARY TABLE li (v INT);
    LOAD DATA LOCAL INFILE '$WORK/infile.txt' INTO TABLE li;
    SELECT COUNT(*), SUM(v) FROM li" 2> "$WORK/err" | tr '\t' ' ')
[[ $got == "5000 12502500" ]] && ok zlib_load_data_local || fail zlib_load_data_local "got '$got' $(cat "$WORK/err")"
got=$(mariadb --no-defaults -h127.0.0.1 -P"$P_ZLIB" -uapp -papppass -Dtest -N \
    -e "SELECT 1; SELECT 2 UNION SELECT 3; SELECT 'end'" 2> "$WORK/err" | tr '\n' ' ')
[[ $got == "1 2 3 end " ]] && ok zlib_multi_results || fail zlib_multi_results "got '$got' $(cat "$WORK/err")"

# a client that stops reading: the compressed leg pauses, then resumes and
# finishes (what was read but not yet decoded must not be forgotten)
got=$(timeout 60 mariadb --no-defaults -h127.0.0.1 -P"$P_ZLIB" -uapp -papppass -Dtest -N --quick \
    -e "SELECT seq, REPEAT('x', 1000) FROM seq_1_to_50000; SELECT 'end'" 2> "$WORK/err" | (sleep 2; tail -1))
[[ $got == end ]] && ok zlib_stalled_reader_resumes || fail zlib_stalled_reader_resumes "got '${got:0:40}' $(cat "$WORK/err")"
# 256 MiB of rows that inflate a hundredfold: decoded a little at a time,
# so ddlgate's peak memory stays near its start (not checked under ASan,
# whose allocator keeps freed memory in quarantine)
DGPID=${PIDS[0]}
hwm0=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$DGPID/status")
got=$(timeout 120 mariadb --no-defaults -h127.0.0.1 -P"$P_ZLIB" -uapp -papppass -Dtest -N --quick \
    -e "SELECT seq, REPEAT('x', 1000) FROM seq_1_to_262144" 2> "$WORK/err" | wc -l)
hwm1=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$DGPID/status")
if [[ $got != 262144 ]]; then
    fail zlib_256mib_streams "got $got rows: $(cat "$WORK/err")"
elif ldd "$DDLGATE_BIN" | grep -q libasan; then
    ok "zlib_256mib_streams # RSS $hwm0 KiB before, peak $hwm1 KiB (not checked under ASan)"
elif ((hwm1 - hwm0 < 4096)); then
    ok "zlib_256mib_streams # RSS $hwm0 KiB before, peak $hwm1 KiB"
else
    fail zlib_256mib_streams "peak RSS $((hwm1 - hwm0)) KiB above the start ($hwm0 -> $hwm1)"
fi

if [[ -n ${MARIADB_CERTS:-} ]]; then
    start_dg tls zlib verify_ca
    [[ $(compression "$PORT") == ON ]] && ok zlib_inside_backend_tls || fail zlib_inside_backend_tls "$(cat "$WORK/err")"
    [[ $(compression "$PORT" --ssl --ssl-ca="$MARIADB_CERTS/ca.pem" --compress) == ON ]] \
        && ok zlib_tls_compressing_client || fail zlib_tls_compressing_client "$(cat "$WORK/err")"
    got=$(timeout 60 mariadb --no-defaults -h127.0.0.1 -P"$PORT" -uapp -papppass -Dtest -N --quick \
        -e "SELECT seq, REPEAT('x', 1000) FROM seq_1_to_50000; SELECT 'end'" 2> "$WORK/err" | (sleep 2; tail -1))
    [[ $got == end ]] && ok zlib_tls_stalled_reader_resumes \
        || fail zlib_tls_stalled_reader_resumes "got '${got:0:40}' $(cat "$WORK/err")"
fi

start_dg auto auto disabled
[[ $(compression "$PORT") == ON ]] && ok auto_picks_zlib || fail auto_picks_zlib "$(cat "$WORK/err")"
start_dg off off disabled
[[ $(compression "$PORT") == OFF ]] && ok off_is_off || fail off_is_off "$(cat "$WORK/err")"
# zstd asked for, not offered by MariaDB: an uncompressed leg, not an error
start_dg zstd zstd disabled
[[ $(compression "$PORT") == OFF ]] && ok zstd_not_offered_plain || fail zstd_not_offered_plain "$(cat "$WORK/err")"

for log in "$WORK"/*.log; do
    if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' "$log"; then
        fail sanitizer_clean "report in ${log##*/}"
    fi
done
exit $rc
