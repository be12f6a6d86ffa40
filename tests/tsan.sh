#!/bin/sh
# ThreadSanitizer on the threaded tests and examples that make test did not run under it
# (issue 12): tests/integration/llm_tls.c (a dispatcher thread per slot, over TLS, with its
# servers), the port conformance test and its selftest (a peer thread), and examples/demo.c
# (4 threads over TLS, through examples/demo.sh with DEMO_CC/DEMO_CFLAGS, its own timeout);
# as root, the lwIP tests (tests/lwip/run.sh: lwIP's tcpip thread, three threads sharing the
# transport; LLMRES_LWIP_CC/CFLAGS; lwIP's threads are never joined, lwIP has no join, so
# thread leaks are not reported; LLMRES_SLOW widens the superloop's step bound).
# Already under TSan elsewhere: tests/integration/integration.c and stepped.c (tests/run.sh),
# tests/threads/threads.c and tests/freertos/freertos.c (tests/ports.sh).
# Built with LLMRES_POSIX_NO_GAI_A: glibc starts getaddrinfo_a's helper thread from inside
# libc, where TSan cannot see it, and that thread's first malloc crashes TSan's allocator
# (names then resolve inside open). Any TSan report fails (halt_on_error=1). About 55 s,
# 110 s with lwIP.
#   sh tests/tsan.sh
set -u
cd "$(dirname "$0")/.." || exit 2
OUT=${OUT:-build/test}/tsan
mkdir -p "$OUT"
. tests/common.sh
trap stop_servers EXIT
trap 'exit 130' INT TERM
TSAN="-O1 -g -fsanitize=thread -DLLMRES_POSIX_NO_GAI_A"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"; export TSAN_OPTIONS
FAILS=0

# tsan_run NAME CMD...: a test binary under TSan; its PASS/FAIL lines pass through, a
# report or a crash without a FAIL line is one.
tsan_run() {
    name=$1; shift
    "$@" >"$OUT/$name.log" 2>&1
    rc=$?
    sed "s/^\(PASS\|FAIL\) /\1 (TSan) /" "$OUT/$name.log" | grep -v 'passed, .* failed$'
    if [ "$rc" -ne 0 ]; then
        grep -q '^FAIL ' "$OUT/$name.log" || echo "FAIL $name under TSan (exit $rc)"
        FAILS=$((FAILS + 1))
    fi
}
# build NAME CMD...: a FAIL line with the compiler's words when it does not build.
build() {
    name=$1; shift
    "$@" >"$OUT/build.log" 2>&1 && return 0
    echo "FAIL clang builds $name with TSan"; head -20 "$OUT/build.log"; FAILS=$((FAILS + 1)); return 1
}

# shellcheck disable=SC2086 # flags are words
if build llm_tls clang $TESTFLAGS $TSAN tests/integration/llm_tls.c -o "$OUT/llm_tls" $TLSLIBS; then
    if start_servers_for llm_tls; then tsan_run llm_tls "$OUT/llm_tls"; else echo "FAIL llm_tls under TSan: its servers did not start"; FAILS=$((FAILS + 1)); fi
    stop_servers
fi
for t in posix selftest; do
    # shellcheck disable=SC2086
    build "conformance $t" clang $TESTFLAGS $TSAN tests/conformance/$t.c -o "$OUT/conformance-$t" -lpthread &&
        tsan_run "conformance-$t" "$OUT/conformance-$t"
done
if env DEMO_CC=clang DEMO_CFLAGS="$TSAN" timeout 120 sh examples/demo.sh >"$OUT/demo.log" 2>&1 &&
   ! grep -q 'ThreadSanitizer' "$OUT/demo.log"; then
    echo "PASS (TSan) examples/demo.c: 4 threads, 200 requests, no race, every request ends once"
else
    echo "FAIL (TSan) examples/demo.c (the end of $OUT/demo.log:)"; tail -30 "$OUT/demo.log"; FAILS=$((FAILS + 1))
fi
if [ "$(id -u)" -eq 0 ]; then
    env LLMRES_LWIP_CC=clang LLMRES_LWIP_CFLAGS="$TSAN -Wno-unused-but-set-variable" LLMRES_SLOW=1 \
        TSAN_OPTIONS="$TSAN_OPTIONS report_thread_leaks=0" sh tests/lwip/run.sh >"$OUT/lwip.log" 2>&1 || FAILS=$((FAILS + 1))
    grep -E '^(PASS|FAIL|SKIP) ' "$OUT/lwip.log" | grep -v 'strict build\|builds port/\|as C++\|over lwip_select' |
        sed 's/^\(PASS\|FAIL\) /\1 (TSan) lwip: /'
    grep -q 'ThreadSanitizer' "$OUT/lwip.log" && { echo "FAIL (TSan) lwip: a report, in $OUT/lwip.log:"; grep -A12 'WARNING: ThreadSanitizer' "$OUT/lwip.log" | head -30; }
else
    echo "SKIP lwip under TSan: needs root (a network namespace and a TAP device)"
fi
[ "$FAILS" -eq 0 ]
