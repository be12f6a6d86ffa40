#!/bin/sh
# Instructions per operation, counted by callgrind inside the library's public functions
# (--toggle-collect on each entry point, which do not call one another, so the toggles
# never nest): the benchmark loop is not counted; internal helpers, memcmp and memcpy
# called from the library are. The difference between a run of N2 and a run of N1
# operations, divided by N2 - N1, so setup cancels out. Repeatable on a noisy machine.
# Usage: tests/bench/bench_instr.sh path/to/bench
set -eu
BENCH=${1:-build/bench}
STATS=${2:-}
N1=1000
N2=101000
count() { # op, n, entry points...
    op=$1; n=$2; shift 2
    toggles=""
    for f in "$@"; do toggles="$toggles --toggle-collect=$f"; done
    # shellcheck disable=SC2086
    valgrind --tool=callgrind $toggles --callgrind-out-file=/dev/null "$BENCH" "$op" "$n" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
row() { # op, entry points...
    op=$1; shift
    a=$(count "$op" $N1 "$@")
    b=$(count "$op" $N2 "$@")
    echo "| $op | $(( (b - a) / (N2 - N1) )) |"
}
echo "| operation | instructions/op in llmres (x86-64, callgrind) |"
echo "|---|---:|"
row bucket_take llmres_bucket_take
row breaker_allow_record llmres_breaker_allow llmres_breaker_record
row backoff_next llmres_backoff_next
row cache_get_hit llmres_cache_get
row cache_get_miss llmres_cache_get
row cache_put llmres_cache_put
row queue_push_pop llmres_queue_push llmres_queue_pop
# What statistics cost a whole call: N calls on the simulated port with them and without,
# the whole program counted; the difference per call.
if [ -n "$STATS" ]; then
    total() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$STATS" "$@" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
    with=$(( ($(total 2200 stats) - $(total 200 stats)) / 2000 ))
    without=$(( ($(total 2200) - $(total 200)) / 2000 ))
    echo "| counting a completed call in the statistics (a whole call: $without without, $with with) | $((with - without)) |"
fi
