#!/bin/sh
# The ports (issue 11): the FreeRTOS port on stand-in kernel headers, the bare-metal
# example, the conformance test on the POSIX and sim ports, and 8 threads sharing one
# client under ThreadSanitizer. Prints PASS/FAIL lines (tests/run.sh counts them) and
# exits non-zero on any failure. Runs alone: sh tests/ports.sh (about 15 s).
set -u
cd "$(dirname "$0")/.." || exit 2
OUT=${OUT:-build/test}/ports
mkdir -p "$OUT"
. tests/common.sh
FAILS=0

# build NAME CMD...: one build; a failure is a FAIL line with the compiler's words.
build() {
    name=$1; shift
    if "$@" >"$OUT/build.log" 2>&1; then return 0; fi
    echo "FAIL builds $name"; sed 's/^/    /' "$OUT/build.log" | head -20; FAILS=$((FAILS + 1)); return 1
}
# check NAME CMD...: runs a test binary; its PASS/FAIL lines pass through.
check() {
    name=$1; shift
    "$@" >"$OUT/run.log" 2>&1
    rc=$?
    cat "$OUT/run.log"
    if [ "$rc" -ne 0 ]; then
        grep -q '^FAIL ' "$OUT/run.log" || echo "FAIL $name (exit $rc)"
        FAILS=$((FAILS + 1))
    fi
}

# FreeRTOS: per tick rate, with 64-bit ticks, as C++, and the clock under TSan.
for hz in 1000 10000 1024 100; do
    build "freertos at $hz Hz" gcc $STRICT -g -O2 -Itests/freertos -DconfigTICK_RATE_HZ=$hz tests/freertos/freertos.c \
        -o "$OUT/freertos-$hz" -lpthread && check "freertos $hz Hz" "$OUT/freertos-$hz"
done
build "freertos with 64-bit ticks" clang $STRICT -g -O2 -Itests/freertos -DFAKE_TICK_64 -DconfigTICK_RATE_HZ=10000 \
    tests/freertos/freertos.c -o "$OUT/freertos-64" -lpthread && check "freertos 64-bit ticks" "$OUT/freertos-64"
build "freertos as C++" g++ -x c++ -std=c++11 -Wall -Wextra -Werror -O2 -Itests/freertos tests/freertos/freertos.c \
    -o "$OUT/freertos-cxx" -lpthread && check "freertos (C++)" "$OUT/freertos-cxx"
build "freertos under TSan" clang $TESTFLAGS -O1 -fsanitize=thread -Itests/freertos -DconfigTICK_RATE_HZ=10000 \
    tests/freertos/freertos.c -o "$OUT/freertos-tsan" -lpthread && check "freertos (TSan)" "$OUT/freertos-tsan"
if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
    printf '#include "llmres.h"\n#include "port/llmres_freertos.h"\n#include "port/llmres_baremetal.h"\nllmres_freertos_t r; llmres_baremetal_t b; llmres_port_t p, q;\nint f(const llmres_transport_t *t) { return llmres_freertos_init(&p, &r) + llmres_baremetal_init(&q, &b, t); }\n' > "$OUT/cm4.c"
    build "the RTOS ports for Cortex-M4" arm-none-eabi-gcc $STRICT -mcpu=cortex-m4 -mthumb -Os -I. -Itests/freertos \
        -c "$OUT/cm4.c" -o "$OUT/cm4.o" && echo "PASS the FreeRTOS and bare-metal ports build for Cortex-M4"
fi

# The bare-metal superloop, strict, under ASan+UBSan.
build "examples/baremetal" gcc $STRICT -O1 $SAN examples/baremetal.c -o "$OUT/baremetal" &&
    check "examples/baremetal" sh -c "'$OUT/baremetal' > '$OUT/baremetal.log' && echo 'PASS examples/baremetal: every job ends once, no step waits for an answer'"

# The conformance test: the sim port, the POSIX port, and the test of the test (ports
# broken one rule at a time must fail it). As root they run in a network namespace with
# a TUN device nobody reads, so that 10.99.0.2 drops packets; without, those checks skip.
netns() {
    if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null && command -v ip >/dev/null 2>&1; then
        env LLMRES_CONFORMANCE_OUTSIDE_NETNS="$(readlink /proc/self/ns/net)" unshare -n sh -c \
            "ip link set lo up || exit 1
             if ip tuntap add dev llmres0 mode tun && ip link set llmres0 up && ip addr add 10.99.0.1/24 dev llmres0; then
                 LLMRES_CONFORMANCE_DROPPED=10.99.0.2 exec $*
             fi
             echo 'SKIP the dropped address: no TUN device (/dev/net/tun) in this namespace'; exec $*"
    else
        "$@"
    fi
}
[ "$(id -u)" -eq 0 ] || echo "SKIP the conformance test's dropped address: needs root (unshare -n, ip tuntap)"
build "conformance (sim)" gcc $TESTFLAGS -O0 tests/conformance/sim.c -o "$OUT/conformance-sim" &&
    check "conformance (sim)" "$OUT/conformance-sim"
build "conformance (posix)" gcc $TESTFLAGS -O1 $SAN tests/conformance/posix.c -o "$OUT/conformance-posix" -lpthread &&
    check "conformance (posix)" netns "$OUT/conformance-posix"
build "conformance selftest" gcc $TESTFLAGS -O1 tests/conformance/selftest.c -o "$OUT/conformance-selftest" -lpthread &&
    check "conformance selftest" netns "$OUT/conformance-selftest"

# Eight threads, one client, 100,000 calls on the sim port, under ThreadSanitizer.
build "threads under TSan" clang $TESTFLAGS -O1 -fsanitize=thread tests/threads/threads.c -o "$OUT/threads-tsan" -lpthread &&
    check "threads (TSan)" env TSAN_OPTIONS="halt_on_error=1" "$OUT/threads-tsan"

[ "$FAILS" -eq 0 ]
