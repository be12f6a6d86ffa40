#!/bin/sh
# Soak (issue 12): LLMRES_SOAK_N (10,000) calls over TLS with keep-alive from one process
# (tests/integration/soak.c: llmres_call, the POSIX port, mbedTLS) against the mock LLM
# over TLS on 127.0.0.1; the open descriptors and the memory after the 100th call equal
# those after the last. About 10 s (the calls themselves about 2 s). make soak runs it;
# make test too.   LLMRES_SOAK_N=100000 sh tests/soak.sh
set -u
cd "$(dirname "$0")/.." || exit 2
OUT=${OUT:-build/test}/soak
mkdir -p "$OUT"
. tests/common.sh
trap stop_servers EXIT
trap 'exit 130' INT TERM
# shellcheck disable=SC2086 # flags are words
gcc $TESTFLAGS -O2 tests/integration/soak.c -o "$OUT/soak" $TLSLIBS || { echo "FAIL soak: gcc build"; exit 1; }
start_servers_for soak || { echo "FAIL soak: nginx's certificates or the mock LLM did not start"; exit 1; }
"$OUT/soak"
