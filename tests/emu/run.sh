#!/bin/sh
# make emu: llmres's tests on emulated hardware, with Debian's QEMU and cross compilers.
#   bare metal, picolibc over semihosting (the exit status reaches the shell):
#     m3     Cortex-M3, qemu-system-arm -M mps2-an385, 4 MB of flash and 4 MB of RAM
#   each with its flash, static RAM and the stack's high-water mark (painted)
#     m0     Cortex-M0, qemu-system-arm -M microbit, 16 KB of RAM stack included (the stack
#            has what static data leaves), the size macros of tests/emu/small.h
#     rv32   RV32IMAC, qemu-system-riscv32 -M virt -bios none
#   Linux user mode (qemu-user, no binfmt_misc needed), -O2 with UBSan (without in --quick):
#     armhf  32-bit ARM hard-float, qemu-arm
#     i386   32-bit x86, gcc -m32, qemu-i386
#     s390x  64-bit big-endian, qemu-s390x
# Prints "PASS <target> <test file>.<test>" / "FAIL ..." per test, then "N passed, M failed".
#   sh tests/emu/run.sh                  every target, every test file that runs there
#   sh tests/emu/run.sh --quick          a shorter run for make test: every target runs some
#   sh tests/emu/run.sh [--quick] m0 ... only these targets
#   EMU_TESTS="sleep" sh tests/emu/run.sh s390x   only these files of tests/unit
#   EMU_JOBS=1 ...                       compile one file at a time (default 2)
#   EMU_OUT=dir ...                      where the images and logs go (default build/emu)
set -u
cd "$(dirname "$0")/../.." || exit 2
unset T_FILTER
EMU=${EMU_OUT:-build/emu}
QUICK=0
if [ "${1:-}" = --quick ]; then QUICK=1; shift; fi
TARGETS=${*:-m3 m0 rv32 armhf i386 s390x}
mkdir -p "$EMU"
: >"$EMU/results"

WARN="-std=c99 -pedantic -Wall -Wextra -Wshadow -Werror" # no -g: a quarter of the build time
# user mode: optimised; in the full run any undefined behaviour (shifts, overflow,
# alignment) also ends the run (UBSan doubles the build time, so not in the quick one);
# with UBSan gcc 12 warns of an uninitialized array passed with length 0 (model_cache.c)
USER_CFLAGS="-O2 -fsanitize=undefined -fno-sanitize-recover=all -Wno-maybe-uninitialized"
PICO="--specs=picolibc.specs --oslib=semihost --crt0=semihost -Os -ffunction-sections -fdata-sections"
# no filter: picolibc's argv[1] is the first semihosting argument, so give an empty one
QEMU_SEMI="-serial none -monitor none -nographic -chardev stdio,id=semi
    -semihosting-config enable=on,target=native,chardev=semi,arg="

# The test files per target. The full run takes every file of tests/unit that builds
# there; the quick one the primitives and the client on the sim port.
all_unit() { for f in tests/unit/*.c; do case $f in */mismatch_*) ;; *) basename "$f" .c ;; esac; done; }
if [ $QUICK = 1 ]; then
    USER_CFLAGS=-O2
    BARE_TESTS="unit client"
    M0_TESTS="unit client"
    USER_TESTS="unit client sim"
else
    BARE_TESTS=$(all_unit)
    M0_TESTS="unit config sim client sleep" # the others need more than 16 KB for the test itself
    USER_TESTS=$(all_unit)
fi
# EMU_TESTS="sleep client": only these files of tests/unit, on every target asked for
if [ -n "${EMU_TESTS:-}" ]; then BARE_TESTS=$EMU_TESTS M0_TESTS=$EMU_TESTS USER_TESTS=$EMU_TESTS; fi

# Tests of the files in M0_TESTS that the 16 KB Cortex-M0 leaves out, and why; all the
# others run there.
M0_SKIP="
unit.cache_mixed_sizes_share_the_arena        two 3000-byte entries: sized for the default 8 KB arena
unit.cache_evicts_least_recently_used         the same
sim.streams_in_each_format                    two 4 KB buffers of its own
sim.stream_bytes_are_each_providers_framing   the same
sim.streamed_call_retries_through_overload    a client and worker beside the test's 4 KB body
sim.a_stream_that_fails_part_way              the same
client.bad_responses_end_in_a_class           the scripted transport keeps each request in 8 KB
client.azure_is_one_row                       the same
client.each_row_sends_its_own_headers         the same
client.a_provider_of_your_own_is_a_row        the same
client.long_api_keys_go_whole_or_are_refused  the same
client.an_answer_too_long_is_too_large        the same
client.streamed_answers_resilient             the same
client.streams_have_their_own_clocks          the same
"

# emit LABEL LOG RC: the PASS/FAIL lines of a test binary's LOG, prefixed with LABEL;
# its other lines indented; a non-zero exit without a FAIL line is one failure.
emit() {
    awk -v l="$1" '/^(PASS|FAIL) / { print $1 " " l "." substr($0, 6); next }
        / passed, [0-9]+ failed$/ || /^emu: stack/ { next } { print "    " $0 }' "$2" | tee -a "$EMU/results"
    if [ "$3" -ne 0 ] && ! grep -q '^FAIL ' "$2"; then echo "FAIL $1 (exit $3)" | tee -a "$EMU/results"; fi
}

# spawn DIR NAME CMD...: compiles in the background, EMU_JOBS at a time (2: the CI machine's
# cores); its output and exit status land in DIR/NAME.build and DIR/NAME.rc.
JOBS=${EMU_JOBS:-2}
spawned=0
spawn() {
    dir=$1 name=$2; shift 2
    rm -f "$dir/$name.rc"
    { "$@" >"$dir/$name.build" 2>&1; echo $? >"$dir/$name.rc"; } &
    spawned=$((spawned + 1))
    if [ $spawned -ge "$JOBS" ]; then wait; spawned=0; fi
}

# built LABEL DIR NAME: after `wait`, whether NAME compiled; if not, a FAIL line and the
# compiler's first words.
built() {
    [ "$(cat "$2/$3.rc" 2>/dev/null)" = 0 ] && return 0
    echo "FAIL $1 (build)" | tee -a "$EMU/results"
    sed 's/^/    /' "$2/$3.build" | head -20
    return 1
}

# run LABEL CMD...: runs a test binary or image, bounded, and emits its lines.
run() {
    label=$1; shift
    timeout 300 "$@" </dev/null >"$EMU/run.log" 2>&1
    emit "$label" "$EMU/run.log" $?
}

# The Linux user-mode targets: TARGET, its compiler, its runner.
user_target() {
    t=$1 cc=$2 runner=$3 d=$EMU/$1
    mkdir -p "$d"
    # shellcheck disable=SC2086
    for name in $USER_TESTS; do spawn "$d" "$name" $cc $WARN $USER_CFLAGS "tests/unit/$name.c" -o "$d/$name"; done
    # shellcheck disable=SC2086 # size macros that differ between files: init refuses them
    spawn "$d" mismatch $cc $WARN $USER_CFLAGS tests/unit/mismatch_lib.c tests/unit/mismatch_user.c -o "$d/mismatch"
    # shellcheck disable=SC2086 # firmware with no threads on the sim port: its own invariants
    [ $QUICK = 1 ] || spawn "$d" superloop $cc $WARN $USER_CFLAGS examples/superloop.c -o "$d/superloop"
    wait; spawned=0
    for name in $USER_TESTS; do
        # shellcheck disable=SC2086
        built "$t $name" "$d" "$name" && run "$t $name" $runner "$d/$name"
    done
    for prog in mismatch superloop; do
        [ $QUICK = 1 ] && [ $prog = superloop ] && continue
        built "$t $prog" "$d" $prog || continue
        # shellcheck disable=SC2086
        if timeout 300 $runner "$d/$prog" </dev/null >"$EMU/run.log" 2>&1; then r=PASS; else r=FAIL; fi
        case $prog in mismatch) what=mismatch.init_refuses_other_size_macros ;; *) what=examples.superloop ;; esac
        echo "$r $t $what" | tee -a "$EMU/results"
        [ $r = PASS ] || sed 's/^/    /' "$EMU/run.log" | head -20
    done
}

# m0_source NAME: a file that compiles tests/unit/NAME.c whole but runs only the tests that
# fit the Cortex-M0 (M0_SKIP); the linker drops what only the others use.
m0_source() {
    runs=$(grep -o '^ *RUN([a-z_0-9]*)' "tests/unit/$1.c" | sed 's/^ *RUN(\(.*\))/\1/' | while read -r fn; do
        printf '%s\n' "$M0_SKIP" | grep -q "^$1\.$fn " || printf '    RUN(%s);\n' "$fn"
    done)
    printf '/* made by tests/emu/run.sh */\n#define main emu_every_test\n#include "%s/tests/unit/%s.c"\n#undef main\n' "$PWD" "$1"
    printf 'int main(int argc, char **argv) {\n    T_INIT(argc, argv);\n%s\n    return T_DONE();\n}\n' "$runs"
}

# The bare-metal targets: TARGET, compiler and flags, memory, QEMU command line.
bare_target() {
    t=$1 cc=$2 mem=$3 qemu=$4 d=$EMU/$1
    mkdir -p "$d"
    if [ "$t" = m0 ]; then tests=$M0_TESTS; else tests=$BARE_TESTS; fi
    for name in $tests; do
        src=tests/unit/$name.c defs=""
        if [ "$t" = m0 ]; then
            # shellcheck disable=SC2089 # the quotes are the macro's: #include "tests/emu/small.h"
            src=$d/$name.c defs=-DLLMRES_CONFIG_FILE='"tests/emu/small.h"'
            m0_source "$name" >"$src"
        fi
        # shellcheck disable=SC2086,SC2090
        spawn "$d" "$name" $cc $WARN $PICO $defs $mem "$src" tests/emu/harness.c -o "$d/$name.elf"
    done
    wait; spawned=0
    for name in $tests; do
        built "$t $name" "$d" "$name" || continue
        # shellcheck disable=SC2086
        run "$t $name" $qemu $QEMU_SEMI -kernel "$d/$name.elf"
        image_report "$t" "$name" "$d/$name.elf"
    done
}

# image_report TARGET NAME ELF: flash, static RAM and the stack's high-water mark of the
# image; on the M0, where the stack has all the RAM above static data, a test that it
# stayed there (the paint at the bottom is intact).
image_report() {
    syms=$("${cc%%-gcc*}-nm" "$3")
    static=$(($(sym __bss_end) - $(sym __ram)))
    flash=$("${cc%%-gcc*}-size" "$3" | awk 'NR == 2 { print $1 + $2 }')
    hw=$(sed -n 's/^emu: stack high-water \([0-9]*\) of \([0-9]*\) bytes.*/\1 \2/p' "$EMU/run.log")
    [ -n "$hw" ] || hw="? ?"
    echo "    $1 $2: flash $flash bytes, static RAM $static bytes, stack high-water ${hw% *} of ${hw#* } bytes" \
        | tee -a "$EMU/sizes"
    if [ "$1" = m0 ]; then
        if [ "${hw% *}" != "?" ] && [ "${hw% *}" -lt "${hw#* }" ]; then r=PASS; else r=FAIL; fi
        echo "$r $1 $2.stack_stays_within_the_ram" | tee -a "$EMU/results"
    fi
}
sym() { printf '%s\n' "$syms" | awk -v n="$1" '$3 == n { print "0x" $1 }'; }

start=$(date +%s)
: >"$EMU/sizes"
for t in $TARGETS; do
    case $t in
    m3) bare_target m3 "arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb" \
        "-Wl,--defsym=__flash=0,--defsym=__flash_size=0x400000,--defsym=__ram=0x20000000,--defsym=__ram_size=0x400000,--defsym=__stack_size=0x10000" \
        "qemu-system-arm -M mps2-an385" ;;
    m0) bare_target m0 "arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb -mfloat-abi=soft" \
        "-Wl,--defsym=__flash=0,--defsym=__flash_size=0x40000,--defsym=__ram=0x20000000,--defsym=__ram_size=0x4000" \
        "qemu-system-arm -M microbit" ;;
    rv32) bare_target rv32 "riscv64-unknown-elf-gcc -march=rv32imac -mabi=ilp32 -mcmodel=medany" \
        "-Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x400000,--defsym=__ram=0x80400000,--defsym=__ram_size=0x400000,--defsym=__stack_size=0x10000" \
        "qemu-system-riscv32 -M virt -bios none" ;;
    armhf) user_target armhf arm-linux-gnueabihf-gcc "qemu-arm -L /usr/arm-linux-gnueabihf" ;;
    i386) user_target i386 "gcc -m32" qemu-i386 ;;
    s390x) user_target s390x s390x-linux-gnu-gcc "qemu-s390x -L /usr/s390x-linux-gnu" ;;
    *) echo "FAIL unknown target $t (m3 m0 rv32 armhf i386 s390x)" | tee -a "$EMU/results" ;;
    esac
done
p=$(grep -c '^PASS ' "$EMU/results")
f=$(grep -c '^FAIL ' "$EMU/results")
echo "emu: $TARGETS in $(($(date +%s) - start)) s"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
