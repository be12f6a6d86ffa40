#!/bin/sh
# Cross-compiles llmres.h for Cortex-M0, Cortex-M4 and RV32 at -Os, fails on any
# soft-float helper, and prints flash (text + rodata) and RAM (data + bss) per primitive.
#   sh tests/size.sh              the table (make size)
#   sh tests/size.sh --cross      builds and the soft-float check only (make cross)
#   sh tests/size.sh --check-m4 N fails when all five exceed N bytes of flash on Cortex-M4
set -eu
cd "$(dirname "$0")/.."
OUT=build/size
mkdir -p "$OUT"
MODE=${1:-table}
LIMIT=${2:-0}
PRIMS="BUCKET BREAKER BACKOFF CACHE QUEUE OVERLOAD HTTP"
COMMON="-Os -std=c99 -pedantic -Wall -Wextra -Werror -ffunction-sections -fdata-sections"
# soft-float helpers: ARM EABI __aeabi_f*/__aeabi_d*/int-to-float, and libgcc's generic ones
SOFTFLOAT='__aeabi_(f|d|i2f|i2d|ui2f|ui2d|l2f|l2d|ul2f|ul2d|cfcmp|cdcmp|cfrcmp|cdrcmp)|__(add|sub|mul|div|neg|cmp|eq|ne|lt|le|gt|ge|unord)[sdt]f[23]|__(float|fix)[a-z]*[sdt]f|__(extend|trunc)[sdt]f'

flags() {
    case $1 in
    m0) echo "arm-none-eabi -mcpu=cortex-m0 -mthumb -mfloat-abi=soft" ;;
    m4) echo "arm-none-eabi -mcpu=cortex-m4 -mthumb -mfloat-abi=soft" ;;
    rv32) echo "riscv64-unknown-elf -march=rv32imac -mabi=ilp32 --specs=picolibc.specs" ;;
    esac
}

# build TARGET NAME DEFINES: compiles the implementation, echoes "flash ram", checks floats.
build() {
    set -- "$1" "$2" "$3"
    f=$(flags "$1"); prefix=${f%% *}; arch=${f#* }
    src="$OUT/impl.c"
    printf '#define LLMRES_IMPLEMENTATION\n#include "../../llmres.h"\n' >"$src"
    obj="$OUT/$1-$2.o"
    # shellcheck disable=SC2086
    $prefix-gcc $arch $COMMON $3 -c "$src" -o "$obj"
    if $prefix-nm -u "$obj" | grep -Eq "$SOFTFLOAT"; then
        echo "$obj references soft-float helpers:" >&2
        $prefix-nm -u "$obj" | grep -E "$SOFTFLOAT" >&2
        exit 1
    fi
    $prefix-size -B "$obj" | awk 'NR == 2 { print $1 + $2, $2 + $3 }'
}

without() { # -D switches that leave only $1 (or nothing for "none")
    d=""
    for p in $PRIMS; do [ "$p" = "$1" ] || d="$d -DLLMRES_NO_$p"; done
    echo "$d"
}

# State RAM per instance: sizeof of each struct for the target, read from the object.
state_sizes() {
    f=$(flags "$1"); prefix=${f%% *}; arch=${f#* }
    cat >"$OUT/sizes.c" <<'C'
#include "../../llmres.h"
char s_bucket[sizeof(llmres_bucket_t)], s_breaker[sizeof(llmres_breaker_t)],
     s_backoff[sizeof(llmres_backoff_t)], s_cache[sizeof(llmres_cache_t)], s_queue[sizeof(llmres_queue_t)],
     s_overload[sizeof(llmres_overload_t)], s_stats[sizeof(llmres_stats_t)],
     s_http[sizeof(llmres_http_client_t) + sizeof(llmres_http_response_t)],
     s_client[sizeof(llmres_client_t)], s_worker[sizeof(llmres_worker_t)], s_dispatch[sizeof(llmres_dispatch_t)];
C
    # shellcheck disable=SC2086
    $prefix-gcc $arch -Os -c "$OUT/sizes.c" -o "$OUT/sizes-$1.o"
    $prefix-nm -S "$OUT/sizes-$1.o" | while read -r _ size _ name; do printf '%s=%d ' "$name" "$((0x$size))"; done
}

# linked TARGET DEFINES: the flash of tests/size_call.c (one resilient call, linked with
# --gc-sections) with llmres minus without it, libc's part included.
linked() {
    f=$(flags "$1"); prefix=${f%% *}; arch=${f#* }
    case $1 in rv32) sys="" ;; *) sys="--specs=nosys.specs" ;; esac
    for w in with without; do
        d=""; [ $w = with ] && d="-DWITH_LLMRES $2"
        # shellcheck disable=SC2086
        $prefix-gcc $arch $COMMON $sys -Wl,--gc-sections $d tests/size_call.c -o "$OUT/call-$1-$w.elf"
    done
    echo $(( $($prefix-size -A "$OUT/call-$1-with.elf" | awk '$1 == ".text" || $1 == ".rodata" { s += $2 } END { print s }') -
             $($prefix-size -A "$OUT/call-$1-without.elf" | awk '$1 == ".text" || $1 == ".rodata" { s += $2 } END { print s }') ))
}

# ported TARGET HEADER INCLUDES: the flash of a port header alone (llmres.h declarations
# only), from one function that sets it up.
ported() {
    f=$(flags "$1"); prefix=${f%% *}; arch=${f#* }
    case $2 in
    lwip) body='llmres_lwip_t s; int f(void) { return llmres_lwip_init(&s); }' ;;
    freertos) body='llmres_freertos_t s; llmres_port_t p; int f(void) { return llmres_freertos_init(&p, &s); }' ;;
    baremetal) body='llmres_baremetal_t s; llmres_port_t p; int f(const llmres_transport_t *t) { return llmres_baremetal_init(&p, &s, t); }' ;;
    esac
    printf '#include "../../llmres.h"\n#include "../../port/llmres_%s.h"\n%s\n' "$2" "$body" >"$OUT/port-$2.c"
    # shellcheck disable=SC2086
    $prefix-gcc $arch $COMMON $3 -c "$OUT/port-$2.c" -o "$OUT/port-$1-$2.o"
    $prefix-size -B "$OUT/port-$1-$2.o" | awk 'NR == 2 { print $1 + $2 }'
}
PORTS="lwip freertos baremetal"
port_includes() {
    case $1 in lwip) echo "-Itests/lwip/mcu -I/usr/include/lwip" ;; freertos) echo "-Itests/freertos" ;; *) echo "" ;; esac
}

TARGETS="m0 m4 rv32"
case $MODE in
--cross)
    for t in $TARGETS; do build "$t" all "" >/dev/null; echo "$t: built, no soft-float helper"; done
    exit 0 ;;
--check-m4)
    total=$(build m4 five "-DLLMRES_NO_HTTP -DLLMRES_NO_OVERLOAD" | cut -d' ' -f1)
    echo "Cortex-M4 -Os, all five primitives: $total bytes of flash (budget $LIMIT)"
    [ "$total" -le "$LIMIT" ]
    exit $? ;;
esac

for t in $TARGETS; do
    eval "core_$t=\$(build $t none \"$(without none)\" | cut -d' ' -f1)"
    for p in $PRIMS; do
        extra=""
        [ "$p" = HTTP ] && extra="-DLLMRES_NO_LLM" # the LLM layer gets its own row
        set -- $(build "$t" "$p" "$(without $p) $extra")
        eval "core=\$core_$t"
        eval "flash_${t}_$p=$(($1 - core))"
        eval "ram_${t}_$p=$2"
    done
    # the LLM wire formats, taxonomy and config: HTTP with them minus HTTP without
    set -- $(build "$t" LLM "$(without HTTP) -DLLMRES_NO_CLIENT")
    eval "flash_${t}_LLM=$(($1 - core - flash_${t}_HTTP))"
    eval "ram_${t}_LLM=$2"
    # the client: everything but the dispatcher minus everything but the client
    set -- $(build "$t" noclient "-DLLMRES_NO_CLIENT -DLLMRES_NO_STATS")
    eval "flash_${t}_noclient=$1"
    set -- $(build "$t" nodispatch "-DLLMRES_NO_DISPATCH -DLLMRES_NO_STATS")
    eval "flash_${t}_nodispatch=$1"
    set -- $(build "$t" nostats "-DLLMRES_NO_STATS")
    eval "flash_${t}_nostats=$1"
    set -- $(build "$t" noexport "-DLLMRES_NO_STATS_EXPORT")
    eval "flash_${t}_noexport=$1"
    set -- $(build "$t" five "-DLLMRES_NO_HTTP -DLLMRES_NO_OVERLOAD")
    eval "flash_${t}_five=$1 ram_${t}_five=$2"
    set -- $(build "$t" all "")
    eval "flash_${t}_all=$1 ram_${t}_all=$2"
    eval "state_$t=\"$(state_sizes $t)\""
    eval "call_$t=$(linked $t '')"
    eval "call_nostats_$t=$(linked $t -DLLMRES_NO_STATS)"
    for p in $PORTS; do
        if [ "$p" = lwip ] && [ ! -f /usr/include/lwip/lwip/sockets.h ]; then eval "port_${t}_$p=-"; continue; fi
        eval "port_${t}_$p=$(ported $t $p "$(port_includes $p)")"
    done
done

echo "Flash = text + rodata, static RAM = data + bss, in bytes, gcc -Os (arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), riscv64-unknown-elf-gcc $(riscv64-unknown-elf-gcc -dumpversion))."
echo "Per part: the object with only that part minus the object with none (strerror, xorshift)."
echo "State: sizeof the caller-owned struct with default LLMRES_MAX_* (the RAM a user declares; http: a client plus one response)."
echo "libc (memcpy, memset, memcmp) and libgcc helpers (64-bit multiply/divide on M0 and RV32) are not included."
echo
echo "| part | Cortex-M0 flash | Cortex-M4 flash | RV32IMAC flash | static RAM | state struct (M4) |"
echo "|---|---:|---:|---:|---:|---:|"
for p in $PRIMS; do
    lp=$(echo "$p" | tr 'A-Z' 'a-z')
    eval "m0=\$flash_m0_$p m4=\$flash_m4_$p rv=\$flash_rv32_$p ram=\$ram_m4_$p"
    st=$(echo "$state_m4" | tr ' ' '\n' | grep "^s_$lp=" | cut -d= -f2)
    echo "| $lp | $m0 | $m4 | $rv | $ram | $st |"
done
st() { echo "$state_m4" | tr ' ' '\n' | grep "^s_$1=" | cut -d= -f2; }
echo "| llm (the provider rows, wire formats, streams, taxonomy) | $flash_m0_LLM | $flash_m4_LLM | $flash_rv32_LLM | $ram_m4_LLM | - |"
echo "| client (configuration, the resilient call) | $((flash_m0_nodispatch - flash_m0_noclient)) | $((flash_m4_nodispatch - flash_m4_noclient)) | $((flash_rv32_nodispatch - flash_rv32_noclient)) | 0 | client $(st client), worker $(st worker) |"
echo "| dispatcher | $((flash_m0_nostats - flash_m0_nodispatch)) | $((flash_m4_nostats - flash_m4_nodispatch)) | $((flash_rv32_nostats - flash_rv32_nodispatch)) | 0 | $(st dispatch) |"
echo "| statistics: counting, histograms, health, issues, log line, controls | $((flash_m0_noexport - flash_m0_nostats)) | $((flash_m4_noexport - flash_m4_nostats)) | $((flash_rv32_noexport - flash_rv32_nostats)) | 0 | $(st stats) |"
echo "| statistics: the JSON and Prometheus exports | $((flash_m0_all - flash_m0_noexport)) | $((flash_m4_all - flash_m4_noexport)) | $((flash_rv32_all - flash_rv32_noexport)) | 0 | - |"
echo "| core (strerror, xorshift) | $core_m0 | $core_m4 | $core_rv32 | 0 | - |"
echo "| **the five primitives** (one object, the core included) | **$flash_m0_five** | **$flash_m4_five** | **$flash_rv32_five** | $ram_m4_five | - |"
echo "| everything (primitives, overload, HTTP, LLM, client, dispatcher, statistics) | $flash_m0_all | $flash_m4_all | $flash_rv32_all | $ram_m4_all | - |"
echo "| a program's one resilient call, linked (--gc-sections; libc's part in; no TLS) | $call_m0 | $call_m4 | $call_rv32 | 0 | client $(st client), worker $(st worker) |"
echo "| the same, built without statistics | $call_nostats_m0 | $call_nostats_m4 | $call_nostats_rv32 | 0 | - |"
echo
echo "The ports for devices, each header alone (its state struct is the caller's; the lwIP port against a device's lwipopts.h, tests/lwip/mcu):"
echo
echo "| port | Cortex-M0 flash | Cortex-M4 flash | RV32IMAC flash |"
echo "|---|---:|---:|---:|"
for p in $PORTS; do
    eval "echo \"| port/llmres_$p.h | \$port_m0_$p | \$port_m4_$p | \$port_rv32_$p |\""
done
echo
if command -v qemu-system-arm >/dev/null 2>&1 && [ -f /usr/lib/picolibc/arm-none-eabi/picolibc.specs ]; then
    echo "The whole stack with TLS on a Cortex-M3 (tests/tiny/run.sh m3: llmres, mbedTLS with port/llmres_mbedtls_config.h, picolibc; run under qemu):"
    echo
    sh tests/tiny/run.sh m3 | grep -E '^ +(M3 |arena|stack)' | sed 's/^ */- /'
else
    echo "The Cortex-M3 TLS image: qemu-system-arm and picolibc-arm-none-eabi are needed (sh tests/setup.sh)"
fi
echo
echo "Helpers the objects call besides memcpy/memset/memcmp (integer only):"
echo
for t in $TARGETS; do
    f=$(flags "$t"); prefix=${f%% *}
    helpers=$($prefix-nm -u "$OUT/$t-all.o" | awk '{print $2}' | grep -v '^mem' | tr '\n' ' ')
    echo "- $t: ${helpers:-none}"
done
