#!/bin/sh
# make check T=NAME [F=FILTER]: one test file alone. Builds tests/unit/NAME.c or
# tests/integration/NAME.c with gcc, starts the servers that test needs on 127.0.0.1
# (as make test does, with the same environment), runs it (only the tests whose name
# contains FILTER, when given), stops the servers and exits with the test's status.
#   sh tests/check.sh NAME [FILTER]
set -u
cd "$(dirname "$0")/.." || exit 2
OUT=${OUT:-build/check}
. tests/common.sh
T=${1:-}
F=${2:-}

if ! src=$(test_sources "$T"); then
    [ -n "$T" ] && echo "no test named '$T'"
    echo "usage: make check T=NAME [F=FILTER], NAME one of:"
    # shellcheck disable=SC2046 # one name a word
    echo "  without servers:" $(tests_in unit) mismatch
    # shellcheck disable=SC2046
    echo "  with servers on 127.0.0.1:" $(tests_in integration)
    exit 2
fi
mkdir -p "$OUT"
# shellcheck disable=SC2046,SC2086 # the sources and flags are lists
gcc $TESTFLAGS -O2 $src -o "$OUT/$T" $(test_libs "$T") || exit 1

trap stop_servers EXIT
trap 'exit 130' INT TERM
start_servers_for "$T" || { echo "the servers for $T did not start"; exit 1; }
if [ -n "$F" ]; then "$OUT/$T" "$F"; else "$OUT/$T"; fi
