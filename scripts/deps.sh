#!/usr/bin/env bash
# deps.sh - install every Debian 12 package ddlgate needs to build, test and
# benchmark.  Idempotent: asks dpkg first and only runs apt-get (update +
# install) when something is missing, so a second run takes well under 1 s.
#
# Usage: scripts/deps.sh [--check]   (--check: list what is missing, exit 1 if any)
set -euo pipefail

PKGS=(
  # build
  build-essential cmake pkg-config libevent-dev libssl-dev libmariadb-dev
  libmariadb-dev-compat libinih-dev check zlib1g-dev libzstd-dev
  # the server and client the tests run against
  mariadb-server mariadb-client
  # clients and tools used by tests and benchmarks
  sysbench haproxy python3-pymysql python3-nacl python3-yaml libdbd-mariadb-perl
  mariadb-test socat openssl procps php8.2-cli php8.2-mysql
  # static analysis, sanitizers, fuzzing
  clang-14 libclang-rt-14-dev clang-format clang-tidy cppcheck valgrind
)

missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$st" == "installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "deps: all ${#PKGS[@]} packages installed"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "deps: missing: ${missing[*]}"
  exit 1
fi

echo "deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
# apt must never start the mariadb service it installs: the tests run their
# own throwaway server.  Respect an existing policy-rc.d, add one otherwise.
POLICY=/usr/sbin/policy-rc.d
added_policy=0
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  added_policy=1
fi
cleanup() { [[ $added_policy -eq 1 ]] && "${SUDO[@]}" rm -f "$POLICY"; return 0; }
trap cleanup EXIT

"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
