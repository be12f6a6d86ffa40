#!/bin/sh
# Runs everything `make test` promises and ends with "N passed, M failed".
# Each build step is one test; each test binary contributes its own PASS/FAIL lines.
set -u
cd "$(dirname "$0")/.." || exit 2
unset T_FILTER   # every test runs, whatever the caller's environment picks
OUT=${OUT:-build/test}
mkdir -p "$OUT"
. tests/common.sh
PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1"; }

# step NAME CMD...: one test, passes when CMD exits 0; its output is shown on failure.
step() {
    name=$1; shift
    if "$@" >"$OUT/step.log" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/    /' "$OUT/step.log" | head -40; fi
}

# run NAME CMD...: runs a test binary and counts its PASS/FAIL lines; a crash or a
# non-zero exit with no FAIL line counts as one failure.
run() {
    name=$1; shift
    "$@" >"$OUT/run.log" 2>&1
    rc=$?
    p=$(grep -c '^PASS ' "$OUT/run.log")
    f=$(grep -c '^FAIL ' "$OUT/run.log")
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
    grep -v '^PASS ' "$OUT/run.log" | grep -v 'passed, .* failed$' | sed "s/^/    [$name] /" | head -40
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail "$name (exit $rc)"; fi
    echo "ran $name: $p passed, $f failed"
}

# 1. The header alone, strict, in C and C++, with gcc and clang, and over its switches.
printf '#define LLMRES_IMPLEMENTATION\n#include "../../llmres.h"\n' >"$OUT/impl.c"
for cc in gcc clang; do
    step "$cc strict C99 build of the implementation" $cc $STRICT -c "$OUT/impl.c" -o "$OUT/impl-$cc.o"
done
for cxx in g++ clang++; do
    step "$cxx builds the header as C++" $cxx -x c++ -std=c++11 -pedantic -Wall -Wextra -Wshadow -Wconversion -Werror -c "$OUT/impl.c" -o "$OUT/impl-$cxx.o"
done
for sw in LLMRES_STATIC LLMRES_NO_BUCKET LLMRES_NO_BREAKER LLMRES_NO_BACKOFF LLMRES_NO_CACHE LLMRES_NO_QUEUE LLMRES_NO_HTTP LLMRES_NO_LLM LLMRES_NO_CLIENT LLMRES_NO_DISPATCH LLMRES_NO_OVERLOAD LLMRES_NO_STATS LLMRES_NO_STATS_EXPORT \
          "LLMRES_NO_BUCKET -DLLMRES_NO_BREAKER -DLLMRES_NO_BACKOFF -DLLMRES_NO_CACHE -DLLMRES_NO_QUEUE -DLLMRES_NO_HTTP" \
          "LLMRES_MAX_CACHE_ENTRIES=3 -DLLMRES_CACHE_ARENA_BYTES=256 -DLLMRES_CACHE_BLOCK_BYTES=16 -DLLMRES_CACHE_HASH_BUCKETS=1 -DLLMRES_MAX_QUEUE=1 -DLLMRES_QUEUE_LEVELS=1 -DLLMRES_MAX_BREAKER_WINDOW=1 -DLLMRES_HTTP_MAX_LINE=64 -DLLMRES_MAX_CONNECTIONS=1"; do
    step "strict build with -D$sw" gcc $STRICT -D$sw -c "$OUT/impl.c" -o "$OUT/sw.o"
done
step "cppcheck finds nothing" cppcheck --quiet --error-exitcode=1 --std=c99 --enable=warning,portability \
    -DLLMRES_IMPLEMENTATION --suppress=missingIncludeSystem llmres.h

# 2. Size macros differing between files: init refuses instead of corrupting memory.
step "init refuses a struct built with other size macros" sh -c \
    "gcc $TESTFLAGS $(test_sources mismatch) -o $OUT/mismatch && $OUT/mismatch"

# 3. The unit tests (tests/unit): gcc and clang, plain and under ASan+UBSan, as C++,
#    and under valgrind.
for t in $(tests_in unit); do
    for cc in gcc clang; do
        if step "$cc builds $t" $cc $TESTFLAGS -O2 tests/unit/$t.c -o "$OUT/$t-$cc"; then :; fi
        [ -x "$OUT/$t-$cc" ] && run "$t ($cc)" "$OUT/$t-$cc"
        if step "$cc builds $t with ASan+UBSan" $cc $TESTFLAGS $SAN tests/unit/$t.c -o "$OUT/$t-$cc-san"; then :; fi
        [ -x "$OUT/$t-$cc-san" ] && run "$t ($cc ASan+UBSan)" "$OUT/$t-$cc-san"
    done
    if step "g++ builds $t as C++" g++ -x c++ -std=c++11 -Wall -Wextra -Werror -O2 tests/unit/$t.c -o "$OUT/$t-cxx"; then
        run "$t (C++)" "$OUT/$t-cxx"
    fi
    run "$t (valgrind)" valgrind -q --error-exitcode=99 --leak-check=full --suppressions=tests/valgrind.supp "$OUT/$t-gcc"
done

# The exports, read by real parsers: python3's json module, and promtool.
if [ -x "$OUT/stats-gcc" ] && "$OUT/stats-gcc" "$OUT/stats.json" "$OUT/stats.prom" >/dev/null; then
    step "the JSON export parses (python3 json)" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT/stats.json"
    step "the Prometheus export passes promtool check metrics" sh -c "promtool check metrics < '$OUT/stats.prom'"
else
    fail "the stats test writes the exports"
fi

# 4. Integration: the POSIX port, TLS and the HTTP client against real servers on
#    127.0.0.1 (the fault server, plain and TLS, and nginx), started by tests/common.sh
#    by PID and stopped on the way out.
trap stop_servers EXIT
trap 'exit 130' INT TERM
# A device with no network: a namespace of its own with no interface up (nothing leaves).
if step "gcc builds link_down" gcc $TESTFLAGS -O2 tests/integration/link_down.c -o "$OUT/link_down"; then
    run "link_down (unshare -n)" unshare -n "$OUT/link_down"
fi
# A stepped call never blocks: a connect that never completes and a resolver that never
# answers, beside answered jobs in the same superloop; in a network and mount namespace of
# its own whose resolver is the test's silent socket on 127.0.0.1:53.
printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' >"$OUT/resolv.conf"
if step "gcc builds stepped" gcc $TESTFLAGS -O2 tests/integration/stepped.c -o "$OUT/stepped" -lpthread; then
    run "stepped (unshare -n -m)" unshare -n -m sh -c \
        'ip link set lo up && mount --bind "$1" /etc/resolv.conf && exec "$2"' sh "$OUT/resolv.conf" "$OUT/stepped"
fi
if step "clang builds stepped with ThreadSanitizer" clang $TESTFLAGS -O1 -fsanitize=thread tests/integration/stepped.c -o "$OUT/stepped-tsan" -lpthread; then
    run "stepped (clang TSan)" "$OUT/stepped-tsan"
fi
if step "fault server starts on 127.0.0.1" start_fault; then
    if step "gcc builds integration" gcc $TESTFLAGS -O2 tests/integration/integration.c -o "$OUT/integration" -lpthread; then
        run "integration (gcc)" "$OUT/integration"
        run "integration (valgrind)" valgrind -q --error-exitcode=99 --leak-check=full --suppressions=tests/valgrind.supp "$OUT/integration"
    fi
    if step "clang builds integration with ASan+UBSan" clang $TESTFLAGS $SAN tests/integration/integration.c -o "$OUT/integration-san" -lpthread; then
        run "integration (clang ASan+UBSan)" "$OUT/integration-san"
    fi
    if step "clang builds integration with ThreadSanitizer" clang $TESTFLAGS -O1 -fsanitize=thread tests/integration/integration.c -o "$OUT/integration-tsan" -lpthread; then
        run "integration (clang TSan)" "$OUT/integration-tsan"
    fi
    if step "musl-gcc builds integration, static" musl-gcc $TESTFLAGS -O2 -static tests/integration/integration.c -o "$OUT/integration-musl"; then
        run "integration (musl static)" "$OUT/integration-musl"
    fi
    if step "nginx starts over TLS on 127.0.0.1" start_nginx &&
       step "fault server starts over TLS" start_fault_tls; then
        if step "gcc builds tls" gcc $TESTFLAGS -O2 tests/integration/tls.c -o "$OUT/tls" $TLSLIBS; then
            run "tls (gcc)" "$OUT/tls"
            run "tls (valgrind)" valgrind -q --error-exitcode=99 --leak-check=full --suppressions=tests/valgrind.supp "$OUT/tls"
        fi
        if step "clang builds tls with ASan+UBSan" clang $TESTFLAGS $SAN tests/integration/tls.c -o "$OUT/tls-san" $TLSLIBS; then
            run "tls (clang ASan+UBSan)" "$OUT/tls-san"
        fi
        # mbedTLS 3.6 (TLS 1.3) with the static pool, built by tests/mbedtls36.sh
        if [ -f "$M36/lib/libmbedtls.a" ]; then
            if step "gcc builds tls against mbedTLS 3.6 with a static pool" gcc $TESTFLAGS -O1 $SAN \
                    -DLLMRES_MBEDTLS_HEAP_BYTES=262144 -I"$M36/include" tests/integration/tls.c -o "$OUT/tls36" \
                    "$M36/lib/libmbedtls.a" "$M36/lib/libmbedx509.a" "$M36/lib/libmbedcrypto.a" -lpthread; then
                run "tls (mbedTLS 3.6, ASan+UBSan)" "$OUT/tls36"
            fi
        else
            echo "SKIP tls against mbedTLS 3.6: run tests/setup.sh first (make test does)"
        fi
        if [ -f "$M36M/lib/libmbedtls.a" ]; then
            if step "musl-gcc builds tls, static, with mbedTLS 3.6" musl-gcc $TESTFLAGS -O2 -static \
                    -DLLMRES_MBEDTLS_HEAP_BYTES=262144 -I"$M36M/include" tests/integration/tls.c -o "$OUT/tls-musl" \
                    "$M36M/lib/libmbedtls.a" "$M36M/lib/libmbedx509.a" "$M36M/lib/libmbedcrypto.a"; then
                run "tls (musl static, mbedTLS 3.6)" "$OUT/tls-musl"
            fi
        else
            echo "SKIP tls as a static musl binary: run tests/setup.sh first (make test does)"
        fi
    fi
fi
stop_servers

# examples/chat against the mock LLM over TLS: the answer, exit codes by class, no key
# shown. The mock servers use the certificates nginx was given above.
if step "gcc builds examples/chat" gcc -std=c99 -pedantic -Wall -Wextra -Werror -O2 examples/chat.c -o "$OUT/chat" $TLSLIBS &&
   step "mock LLM starts over TLS" start_mock mock_ok && step "mock LLM starts over TLS in quota mode" start_mock mock_quota --quota &&
   step "mock LLM starts over TLS, echoing rejected keys" start_mock mock_echo --reject-key; then
    chat_env="OPENAI_API_KEY=sk-never-printed-123 LLM_CA_FILE=$NGINX_DIR/ca.pem"
    step "chat answers through llmres, exit 0, key never printed" sh -c \
        "env $chat_env LLM_BASE_URL=https://localhost:$(cat "$OUT/mock_ok.ready") '$OUT/chat' --stats 'hello gateway' > '$OUT/chat.out' 2>&1 &&
         grep -q 'echo: hello gateway' '$OUT/chat.out' && grep -q '\"class\":\"ok\"' '$OUT/chat.out' && ! grep -q never-printed '$OUT/chat.out'"
    step "chat --stats prints the library's statistics as JSON" sh -c \
        "tail -1 '$OUT/chat.out' | python3 -c 'import json, sys; d = json.load(sys.stdin); assert d[\"providers\"][0][\"lifetime\"][\"successes\"] == 1'"
    step "chat --stream prints the answer as it arrives, exit 0" sh -c \
        "env $chat_env LLM_BASE_URL=https://localhost:$(cat "$OUT/mock_ok.ready") '$OUT/chat' --stream 'hello stream' > '$OUT/chat.out' 2>&1 &&
         grep -qx 'echo: hello stream' '$OUT/chat.out'"
    step "chat on a server that echoes the key: exit 16, the key masked in what it prints" sh -c \
        "env $chat_env LLM_BASE_URL=https://localhost:$(cat "$OUT/mock_echo.ready") '$OUT/chat' --stats 'hi' > '$OUT/chat.out' 2>&1;
         test \$? -eq 16 && grep -q 'Incorrect API key provided: \*\*\*' '$OUT/chat.out' && ! grep -q never-printed '$OUT/chat.out'"
    step "chat on a quota error: exit 17, not retried" sh -c \
        "env $chat_env LLM_BASE_URL=https://localhost:$(cat "$OUT/mock_quota.ready") '$OUT/chat' --stats 'hi' > '$OUT/chat.out' 2>&1;
         test \$? -eq 17 && grep -q '\"attempts\":1' '$OUT/chat.out' && ! grep -q never-printed '$OUT/chat.out'"
fi
# The client (also streaming) and the dispatcher (a thread per slot) through TLS against the mock.
if step "mock LLM starts over TLS, overloaded (10 requests/s, 429 beyond)" start_mock_busy &&
   step "mock LLM starts over TLS, failing streams after two pieces" start_mock_stream_error &&
   step "mock LLM starts over TLS, Anthropic's 429 beyond 2 requests/s" start_mock_a429; then
    if step "gcc builds llm_tls" gcc $TESTFLAGS -O2 tests/integration/llm_tls.c -o "$OUT/llm_tls" $TLSLIBS; then
        run "llm_tls (gcc)" "$OUT/llm_tls"
        run "llm_tls (valgrind)" env LLMRES_SLOW=1 valgrind -q --error-exitcode=99 --leak-check=full --suppressions=tests/valgrind.supp "$OUT/llm_tls"
    fi
    if step "clang builds llm_tls with ASan+UBSan" clang $TESTFLAGS $SAN tests/integration/llm_tls.c -o "$OUT/llm_tls-san" $TLSLIBS; then
        run "llm_tls (clang ASan+UBSan)" "$OUT/llm_tls-san"
    fi
fi
stop_servers

# examples/superloop: firmware with no threads on the simulated provider (virtual time).
step "examples/superloop: one thread, every job ends once, no step waits for an answer" sh -c \
    "gcc $STRICT -O1 $SAN examples/superloop.c -o '$OUT/superloop' && '$OUT/superloop' > '$OUT/superloop.log'"
grep -E '^\| (jobs without|alarms answered|loop iterations)' "$OUT/superloop.log" | sed 's/^/    /'

# tests/bench/fleet.c --quick: simulated devices against one overloaded provider, short
# scenarios, only the invariants (every request ends once, the provider received at least
# as many attempts as there were successes, llmres reports every attempt it sent).
for cc in gcc clang; do
    step "$cc builds the fleet benchmark" $cc $STRICT -O2 tests/bench/fleet.c -o "$OUT/fleet-$cc" -lm
done
[ -x "$OUT/fleet-gcc" ] && run "fleet --quick" "$OUT/fleet-gcc" --quick

# The main job keeps working: make demo, bounded to its promised minute.
step "make demo answers every request exactly once, within 60 s" sh -c "timeout 60 sh examples/demo.sh > '$OUT/demo.log' 2>&1"
grep -E '^\| (successes|requests without|wall time)' "$OUT/demo.log" | sed 's/^/    /'

# The lwIP port on the real lwIP stack, TAP in a namespace, TLS to the mock (root only),
# and a superloop over it with a provider whose packets are dropped.
run "lwip (Debian's lwIP 2.1.3 over a TAP)" sh tests/lwip/run.sh

# 5. Fuzz: the HTTP parser and the header-value parsers, seeded with the provider
#    vectors, for a bounded time; any split must agree with the whole feed.
if step "clang builds the HTTP fuzz target" clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all tests/fuzz/fuzz_http.c -o "$OUT/fuzz_http"; then
    rm -rf "$OUT/corpus" && fuzz_seeds "$OUT/corpus"
    step "fuzzing the HTTP parser for ${FUZZ_SECONDS:-20} s finds nothing" \
        sh -c "cd '$OUT' && ./fuzz_http -max_total_time=${FUZZ_SECONDS:-20} corpus"
fi
# The whole client (calls and the dispatcher), the configuration and the request writers.
run "fuzz targets (tests/fuzz/run.sh)" env OUT="$OUT/fuzz" FUZZ_SECONDS="${FUZZ_TARGET_SECONDS:-10}" sh tests/fuzz/run.sh

# The JSON reader and the request writer against a plain reference parser (FUZZ_SECONDS, 10 s).
run "fuzz_json" env OUT="$OUT" sh tests/fuzz/fuzz_json.sh

# 6. Every C example in README.md and docs/ compiles, strict; README's first one runs (on
#    the sim port); the reference tables agree with the code.
for doc in README.md docs/*.md; do
    name=$(basename "$doc" .md)
    rm -f "$OUT/$name"_*.c
    awk -v out="$OUT/$name" '/^```c$/ { n++; f = sprintf("%s_%d.c", out, n); next } /^```$/ { f = "" } f { print > f }' "$doc"
    for f in "$OUT/$name"_*.c; do
        [ -f "$f" ] || continue
        step "$doc example $(basename "$f" .c) compiles" gcc $STRICT -I. -c "$f" -o "$OUT/doc_example.o"
    done
done
step "README's first example runs against the sim port" sh -c \
    "gcc $STRICT -I. '$OUT/README_1.c' -o '$OUT/readme_first' && '$OUT/readme_first' > '$OUT/readme_first.log'"
step "the reference tables agree with the code (tests/doc_check.py)" python3 tests/doc_check.py

# 7. Cross builds: Cortex-M0, Cortex-M4, RV32; no soft-float helper; the flash budget.
step "cross builds with no soft-float (make cross)" make -s cross

# make tiny: examples/chat fully static with musl and the minimal mbedTLS (at most 250 KB),
# answering the mock over TLS; the whole stack with TLS in one Cortex-M3 image under qemu.
run tiny sh tests/tiny/run.sh

# 8. The ports: FreeRTOS on stand-in kernel headers, examples/baremetal, the conformance
#    test on the POSIX and sim ports, 8 threads on one client under TSan (tests/ports.sh).
run "ports" sh tests/ports.sh

# 9. On emulated hardware (QEMU): the primitives and the client on bare-metal Cortex-M3,
#    Cortex-M0 (16 KB) and RV32; unit, client and sim in armhf, i386 and s390x user mode.
run "emu --quick (make emu runs it all)" env EMU_OUT="$OUT/emu" sh tests/emu/run.sh --quick

# 10. make demo's client across a bad link (two namespaces, a veth pair, loss, delay,
#     reordering and the link down, in user space through NFQUEUE; about 2 minutes).
run "lossy (demo over a bad link)" sh tests/lossy/run.sh

# 11. Hostile servers (tests/hostile.sh): each ends in its class by its deadline, no fd or
#     memory left behind, the client answers after; about 25 s.
run "hostile servers" sh tests/hostile.sh
#     Soak (tests/soak.sh, make soak): 10,000 calls over TLS, keep-alive; nothing grows. About 10 s.
run "soak" sh tests/soak.sh
#     ThreadSanitizer on llm_tls, the conformance test, examples/demo and, as root, the lwIP
#     tests (tests/tsan.sh). About 105 s.
run "tsan" sh tests/tsan.sh

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
