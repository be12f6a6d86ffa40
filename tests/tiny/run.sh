#!/bin/sh
# make tiny: llmres with TLS, small. Prints PASS/FAIL lines and the figures.
#   sh tests/tiny/run.sh [musl|m3|all]
# musl: examples/chat linked fully static with musl and mbedTLS 3.6 built with
#   port/llmres_mbedtls_config.h: at most 250 KB stripped; it answers the mock LLM over TLS
#   (ECDHE-ECDSA and ECDHE-RSA), refuses a server its CA bundle does not vouch for, and
#   loads Debian's whole CA bundle; beside it, what curl needs for the same job.
# m3: the same mbedTLS for a Cortex-M3 with picolibc, one image with an llmres client and
#   a TLS server over an in-memory wire (tests/tiny/m3_tls.c), run under qemu-system-arm.
# mbedTLS's source comes from Debian's archive once (tests/tiny/mbedtls_src.sh); the
# libraries are rebuilt only when the configuration or the flags change.
set -u
cd "$(dirname "$0")/../.." || exit 2
WHAT=${1:-all}
T=build/tiny
mkdir -p "$T"
FAILED=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; FAILED=$((FAILED + 1)); }
ok() { if [ "$1" -eq 0 ]; then pass "$2"; return 0; fi; fail "$2"; return 1; }
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; PIDS=""; }
trap cleanup EXIT
trap 'exit 130' INT TERM

SRC=$(sh tests/tiny/mbedtls_src.sh) || { fail "mbedTLS 3.6 source from Debian"; exit 1; }
# the quotes are the macro's: the header's name as a string
# shellcheck disable=SC2089
CONFIG="-DMBEDTLS_CONFIG_FILE=\"llmres_mbedtls_config.h\" -Iport -I$SRC/include"
LIMIT=250000 # bytes: "at most 250 KB"

# mock NAME DIR: the mock LLM over TLS with DIR's certificate; its port in $T/NAME.port.
mock() {
    rm -f "$T/$1.port"
    python3 tests/servers/mock_llm.py --cert "$2/server.pem" --key "$2/server.key" --ready-file "$T/$1.port" 2>"$T/$1.log" &
    PIDS="$PIDS $!"
    i=0
    while [ ! -s "$T/$1.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -s "$T/$1.port" ]
}

# chat CA PORT PROMPT: the tiny chat against the mock on PORT; output in $T/chat.out.
chat() {
    env -i OPENAI_API_KEY=sk-tiny-never-printed LLM_CA_FILE="$1" LLM_BASE_URL="https://localhost:$2" \
        timeout 20 "$T/chat" --stats "$3" >"$T/chat.out" 2>&1
}

musl_part() {
    # shellcheck disable=SC2086
    LIB=$(sh tests/tiny/build_mbedtls.sh musl musl-gcc -Os -ffunction-sections -fdata-sections \
        -fno-asynchronous-unwind-tables -fno-unwind-tables) || { fail "mbedTLS 3.6 built with musl-gcc"; return; }
    # shellcheck disable=SC2086,SC2090
    musl-gcc -std=c99 -pedantic -Wall -Wextra -Werror -Os -static -ffunction-sections -fdata-sections \
        -fno-asynchronous-unwind-tables -fno-unwind-tables -Wl,--gc-sections -Wl,-Map="$T/chat.map" \
        -DLLMRES_MBEDTLS_HEAP_BYTES=1048576 $CONFIG examples/chat.c -o "$T/chat.debug" "$LIB/libmbedtls.a" &&
        strip -o "$T/chat" "$T/chat.debug"
    ok $? "musl-gcc builds examples/chat, fully static, with the minimal mbedTLS" || return
    size=$(wc -c <"$T/chat")
    echo "    build/tiny/chat: $size bytes stripped ($(python3 tests/tiny/mapsum.py "$T/chat.map"))"
    [ "$size" -le $LIMIT ]; ok $? "the static chat is at most 250 KB stripped ($size bytes)"
    ! readelf -lW "$T/chat" | grep -q INTERP && ! readelf -dW "$T/chat" 2>/dev/null | grep -q NEEDED
    ok $? "the chat binary needs no loader and no shared library"

    for kind in ec rsa; do
        sh tests/tiny/certs.sh "$T/certs-$kind" "$kind" || { fail "certificates ($kind)"; continue; }
        if mock "mock-$kind" "$T/certs-$kind"; then
            chat "$T/certs-$kind/ca.pem" "$(cat "$T/mock-$kind.port")" "hello tiny $kind"
            rc=$?
            [ $rc -eq 0 ] && grep -qx "echo: hello tiny $kind" "$T/chat.out" && grep -q '"attempts":1' "$T/chat.out" &&
                ! grep -q never-printed "$T/chat.out"
            ok $? "the static chat answers over TLS with ECDHE-$(echo $kind | sed 's/ec/ECDSA/; s/rsa/RSA/') (exit $rc)" ||
                sed 's/^/    /' "$T/chat.out" | head -5
        else
            fail "mock LLM starts over TLS ($kind)"
        fi
    done
    if [ -s "$T/mock-ec.port" ]; then
        chat "$T/certs-ec/other-ca.pem" "$(cat "$T/mock-ec.port")" "hi"
        rc=$?
        [ $rc -ge 10 ] && grep -q "certificate rejected" "$T/chat.out"
        ok $? "the static chat refuses a server its CA does not vouch for (exit $rc)" || sed 's/^/    /' "$T/chat.out" | head -5
        chat /etc/ssl/certs/ca-certificates.crt "$(cat "$T/mock-ec.port")" "hi"
        rc=$?
        [ $rc -ge 10 ] && grep -q "certificate rejected" "$T/chat.out"
        ok $? "the static chat loads Debian's whole CA bundle into its arena, and refuses the test server (exit $rc)" ||
            sed 's/^/    /' "$T/chat.out" | head -5
    fi
    cleanup

    # What the same job costs with curl here: the binary and every library ldd lists.
    if command -v curl >/dev/null 2>&1; then
        curl_bin=$(command -v curl)
        total=$(stat -L -c %s "$curl_bin")
        libs=$(ldd "$curl_bin" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | sort -u)
        n=0
        for l in $libs; do total=$((total + $(stat -L -c %s "$l"))); n=$((n + 1)); done
        tls=0
        for l in $libs; do case $l in *libssl* | *libcrypto*) tls=$((tls + $(stat -L -c %s "$l"))) ;; esac; done
        curl_own=$(stat -L -c %s "$curl_bin")
        libcurl=$(for l in $libs; do case $l in *libcurl*) stat -L -c %s "$l" ;; esac; done)
        echo "    curl for the same job: $total bytes: curl $curl_own, libcurl ${libcurl:-0}, OpenSSL $tls, and $((n - 3)) more libraries ($n in all)"
        echo "    tiny chat: $size bytes, $((total / size))x smaller"
    fi
}

m3_part() {
    M3F="-mcpu=cortex-m3 -mthumb -Os -ffunction-sections -fdata-sections --specs=picolibc.specs \
         -DLLMRES_MBEDTLS_CONFIG_SERVER -DLLMRES_MBEDTLS_CONFIG_DEBUG_MEMORY"
    # shellcheck disable=SC2086
    LIB=$(sh tests/tiny/build_mbedtls.sh m3 arm-none-eabi-gcc $M3F) || { fail "mbedTLS 3.6 built for Cortex-M3 with picolibc"; return; }
    D=$T/m3
    mkdir -p "$D"
    # the certificates are made once per image; the image's clock is their date
    if [ ! -f "$D/data.h" ] && ! { sh tests/tiny/certs.sh "$D/certs" ec && python3 tests/tiny/gen_data.py "$D/certs" "$D/data.h"; }; then
        fail "the M3 image's certificates"
        return
    fi
    # -T after the --defsym lines: picolibc.ld reads __stack_size with DEFINED()
    # shellcheck disable=SC2086,SC2090
    arm-none-eabi-gcc $M3F -std=c99 -pedantic -Wall -Wextra -Wshadow -Werror $CONFIG -I"$D" -DLLMRES_MBEDTLS_HEAP_BYTES=65536 \
        --oslib=semihost --crt0=semihost -Wl,--defsym=__flash=0 -Wl,--defsym=__flash_size=0x400000 \
        -Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=0x400000 -Wl,--defsym=__stack_size=0x10000 \
        -Tpicolibc.ld -Wl,--gc-sections -Wl,-Map="$D/img.map" tests/tiny/m3_tls.c "$LIB/libmbedtls.a" -o "$D/img.elf"
    ok $? "arm-none-eabi-gcc links the Cortex-M3 image (llmres, mbedTLS client and server, picolibc)" || return
    timeout 120 qemu-system-arm -M mps2-an385 -nographic -serial none -monitor none -chardev stdio,id=semi \
        -semihosting-config enable=on,target=native,chardev=semi -kernel "$D/img.elf" >"$D/run.log" 2>&1
    rc=$?
    grep -v '^PASS \|^FAIL ' "$D/run.log" | grep -v '^[0-9]* failed$' | sed 's/^/    /'
    grep '^PASS ' "$D/run.log" | sed 's/^PASS /PASS M3: /'
    grep '^FAIL ' "$D/run.log" | sed 's/^FAIL /FAIL M3: /'
    FAILED=$((FAILED + $(grep -c '^FAIL ' "$D/run.log")))
    [ $rc -eq 0 ] && [ "$(grep -c '^PASS ' "$D/run.log")" -ge 19 ]
    ok $? "the Cortex-M3 image runs under qemu-system-arm -M mps2-an385 and exits 0 (exit $rc)"
    # shellcheck disable=SC2046
    set -- $(arm-none-eabi-size "$D/img.elf" | tail -n 1)
    echo "    M3 test image: flash $(($1 + $2)) bytes ($(python3 tests/tiny/mapsum.py "$D/img.map")), static RAM $(($2 + $3)) bytes (the arena included)"

    # What a device carries: the client alone (tests/tiny/m3_client.c), no server, no accounting.
    C3F="-mcpu=cortex-m3 -mthumb -Os -ffunction-sections -fdata-sections --specs=picolibc.specs"
    # shellcheck disable=SC2086
    LIB=$(sh tests/tiny/build_mbedtls.sh m3-client arm-none-eabi-gcc $C3F) || { fail "mbedTLS 3.6 built for a Cortex-M3 client"; return; }
    # shellcheck disable=SC2086,SC2090
    arm-none-eabi-gcc $C3F -std=c99 -pedantic -Wall -Wextra -Wshadow -Werror $CONFIG -I"$D" -DLLMRES_MBEDTLS_HEAP_BYTES=32768 \
        --oslib=semihost --crt0=semihost -Wl,--defsym=__flash=0 -Wl,--defsym=__flash_size=0x400000 \
        -Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=0x400000 -Tpicolibc.ld -Wl,--gc-sections \
        -Wl,-Map="$D/client.map" tests/tiny/m3_client.c "$LIB/libmbedtls.a" -o "$D/client.elf"
    ok $? "arm-none-eabi-gcc links a Cortex-M3 client image (llmres and the minimal mbedTLS)" || return
    timeout 60 qemu-system-arm -M mps2-an385 -nographic -serial none -monitor none -chardev stdio,id=semi \
        -semihosting-config enable=on,target=native,chardev=semi -kernel "$D/client.elf" >"$D/client.log" 2>&1
    rc=$?
    [ $rc -eq 11 ]; ok $? "the client image boots, sets TLS up and ends its call as a transient network failure (exit $rc)"
    # shellcheck disable=SC2046
    set -- $(arm-none-eabi-size "$D/client.elf" | tail -n 1)
    echo "    M3 client: flash $(($1 + $2)) bytes ($(python3 tests/tiny/mapsum.py "$D/client.map")), static RAM $(($2 + $3)) bytes (a 32 KB arena included)"
}

case $WHAT in
musl) musl_part ;;
m3) m3_part ;;
all) musl_part; m3_part ;;
*) echo "usage: sh tests/tiny/run.sh [musl|m3|all]" >&2; exit 2 ;;
esac
echo "tiny: $FAILED failed"
[ "$FAILED" -eq 0 ]
