#!/bin/sh
# shellcheck disable=SC2317,SC2059 # seed_* run as "seed_$t"; hdr prints octal escapes it builds
# The fuzz targets of tests/fuzz beyond the HTTP one: the whole client (calls and the
# dispatcher), the configuration text and the snapshot, the request writers. Builds each
# with clang -fsanitize=fuzzer,address,undefined, seeds it from tests/vectors (generated
# here, into $OUT; nothing binary is committed) and runs it for FUZZ_SECONDS (10) each.
# Prints PASS/FAIL per target; a crash leaves its input in $OUT/<target>/crash-*.
# Usage: sh tests/fuzz/run.sh [target...]   (client config request; default all)
set -u
cd "$(dirname "$0")/../.." || exit 2
OUT=${OUT:-build/fuzz}
SECS=${FUZZ_SECONDS:-10}
V=${LLMRES_VECTORS:-tests/vectors}
mkdir -p "$OUT"
FAILED=0

# hdr FORMAT MODE [BITS]: the 12 header bytes of tests/fuzz/fuzz_client.c and an empty control
# stream (every operation succeeds whole): MODE 0 calls, 1 the dispatcher, 2 calls over
# a transport that connects in steps, 4 streamed, 64 cached (BITS 64: identical calls);
# 2 providers of FORMAT, 4 at once,
# 2 retries, 12.8 s deadlines, 6.4 s attempts, a 4 KB text buffer.
hdr() { printf "\\$(printf %03o $(( $2 | 16 )))\\$(printf %03o $(( $1 | $1 << 2 | ${3:-0} )))\\022\\007\\347\\003\\003\\000\\000\\000\\000\\000\\000\\000"; }
format_of() {
    case $(basename "$1") in anthropic*) echo 1 ;; ollama*) echo 2 ;; azure*) echo 3 ;; *) echo 0 ;; esac
}

seed_client() {
    d=$1; mkdir -p "$d"
    for f in "$V"/*.http; do
        b=$(basename "$f" .http); fm=$(format_of "$f")
        for mode in 0 1 2; do { hdr "$fm" "$mode"; cat "$f"; } >"$d/$b.$mode"; done
        # identical calls at temperature 0, cached: one attempt answers them all
        case $b in *_200_*) { hdr "$fm" 64 64; cat "$f" "$f"; } >"$d/$b.cached" ;; esac
        # a failure, then the answer (a retry or the next provider gets it)
        case $b in *_200_*) ;; *)
            ok=$V/openai_200_chat.http
            for g in "$V/${b%%_*}"_200_*.http; do [ -f "$g" ] && ok=$g; done
            { hdr "$fm" 0; cat "$f" "$ok"; } >"$d/$b.then200" ;;
        esac
    done
    for f in "$V"/*.sse; do
        b=$(basename "$f" .sse); fm=$(format_of "$f")
        { hdr "$fm" 4; printf 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n'; cat "$f"; } >"$d/$b.sse"
        { hdr "$fm" 6; printf 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %s\r\n\r\n' "$(wc -c <"$f" | tr -d ' ')"; cat "$f"; } >"$d/$b.len"
    done
}

seed_config() {
    d=$1; mkdir -p "$d"
    printf 'LLM_MAX_CONCURRENT_REQUESTS = 2\r\n# comment\n\n  LLM_REQUESTS_PER_SECOND=0.5  \nLLM_CACHE=all\n' >"$d/flash"
    printf 'LLM_TIMEOUT_MS=000000151239680\nLLM_THROTTLE_K=1.25\nLLM_JITTER_SEED=4294967294\n' >"$d/numbers"
    printf 'LLM_TIMEOUT_MS\000junk=5000\n' >"$d/nul"
}

seed_request() {
    d=$1; mkdir -p "$d"
    printf '\000\007\001\100gpt-4o\000be brief\000user\000Hello "there"\n\ttab caf\303\251\000' >"$d/plain"
    printf '\001\377\377\001\000model\000sys\000user\000\001\037\177\\\000assistant\000\355\240\200\300\200\000' >"$d/hostile"
}

run_target() {
    t=$1
    if ! clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
            "tests/fuzz/fuzz_$t.c" -o "$OUT/fuzz_$t" >"$OUT/$t.build.log" 2>&1; then
        echo "FAIL clang builds the $t fuzz target"; sed 's/^/    /' "$OUT/$t.build.log" | head -20
        FAILED=1; return
    fi
    rm -rf "${OUT:?}/$t" && mkdir -p "$OUT/$t"
    "seed_$t" "$OUT/$t/corpus"
    if (cd "$OUT/$t" && "../fuzz_$t" -max_total_time="$SECS" -timeout=20 -print_final_stats=1 corpus >log 2>&1); then
        echo "PASS fuzzing $t for $SECS s finds nothing ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$OUT/$t/log" | grep -o '[0-9]*$') runs)"
    else
        echo "FAIL fuzzing $t: see $OUT/$t/log"; grep -E 'fuzz_|ERROR|SUMMARY|runtime error' "$OUT/$t/log" | head -8 | sed 's/^/    /'
        FAILED=1
    fi
}

[ $# -gt 0 ] || set -- client config request
for t in "$@"; do run_target "$t"; done
exit $FAILED
