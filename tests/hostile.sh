#!/bin/sh
# Hostile servers (issue 12): tests/integration/hostile.c through llmres_call over the
# POSIX port against tests/servers/hostile_server.py on 127.0.0.1 (started here by PID,
# polled for readiness, stopped on the way out); built with gcc and with clang under
# ASan+UBSan. Prints PASS/FAIL lines; exits non-zero on any failure. About 25 s.
#   sh tests/hostile.sh [FILTER]
set -u
cd "$(dirname "$0")/.." || exit 2
OUT=${OUT:-build/test}/hostile
mkdir -p "$OUT"
. tests/common.sh
trap stop_servers EXIT
trap 'exit 130' INT TERM
FAILS=0
start_hostile || { echo "FAIL hostile: the server did not start"; exit 1; }
# shellcheck disable=SC2086 # flags are words
gcc $TESTFLAGS -O2 tests/integration/hostile.c -o "$OUT/hostile" -lpthread || { echo "FAIL hostile: gcc build"; exit 1; }
# shellcheck disable=SC2086
clang $TESTFLAGS $SAN tests/integration/hostile.c -o "$OUT/hostile-san" -lpthread || { echo "FAIL hostile: clang ASan+UBSan build"; exit 1; }
"$OUT/hostile" ${1:+"$1"} || FAILS=1
# the sanitized build, with the server's counts from a fresh start (the redirect is counted)
stop_servers
start_hostile || { echo "FAIL hostile: the server did not start again"; exit 1; }
"$OUT/hostile-san" ${1:+"$1"} >"$OUT/san.log" 2>&1 || FAILS=1
sed 's/^\(PASS\|FAIL\) /\1 (ASan+UBSan) /' "$OUT/san.log"
[ "$FAILS" -eq 0 ]
