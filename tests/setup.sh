#!/bin/sh
# What make test needs on Debian 12, installed when missing: the packages below, then
# mbedTLS 3.6 (tests/mbedtls36.sh, not packaged in Debian 12). As root it installs them;
# otherwise it prints the command to run and fails. The one list of packages in the
# repository; make demo asks for its part of it.
#   sh tests/setup.sh         everything make test uses (make test runs it first)
#   sh tests/setup.sh demo    only what make demo uses
set -eu
cd "$(dirname "$0")/.."

# make demo: a C compiler with its libc headers, the mock server, its certificates, TLS
DEMO_PKGS="gcc libc6-dev python3 openssl libmbedtls-dev"
# the rest of make test: compilers, checkers, cross toolchains, servers, the curl
# benchmark, the sanitizer runtime for libFuzzer, musl; bzip2 for the mbedTLS source;
# prometheus for promtool, which checks the metrics export
PKGS="$DEMO_PKGS make g++ clang cppcheck valgrind gcc-arm-none-eabi libnewlib-arm-none-eabi \
      gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf binutils-riscv64-unknown-elf \
      nginx-light libnginx-mod-http-echo libcurl4-openssl-dev libclang-rt-14-dev musl-tools bzip2 prometheus"
PKGS="$PKGS libhttp-parser-dev node-llhttp libh2o-evloop0.13"  # make bench-http: the HTTP parsers llmres is measured against (llhttp's C sources; picohttpparser inside h2o)
PKGS="$PKGS libjsmn-dev libcjson-dev"  # make bench-json: the JSON peers
PKGS="$PKGS iproute2"  # ip: the namespaces of the stepped, lwIP and port conformance tests
PKGS="$PKGS liblwip-dev"  # make lwip: the real lwIP stack
PKGS="$PKGS libnetfilter-queue-dev iptables"  # tests/lossy: a bad link in user space (no netem here)
PKGS="$PKGS curl"  # make tiny: curl for the size comparison
PKGS="$PKGS qemu-system-arm qemu-system-misc qemu-user picolibc-arm-none-eabi gcc-arm-linux-gnueabihf libc6-dev-armhf-cross gcc-s390x-linux-gnu libc6-dev-s390x-cross lib32gcc-12-dev libc6-dev-i386"  # make emu: QEMU, picolibc for Cortex-M, armhf/s390x/i386 toolchains (not gcc-multilib: it removes the ARM cross compiler)

case ${1:-all} in
all) ;;
demo) PKGS=$DEMO_PKGS ;;
*) echo "usage: sh tests/setup.sh [demo]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing packages; install them with:"
        echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing"
        exit 1
    fi
    echo "installing:$missing"
    apt-get update -q
    # shellcheck disable=SC2086 # one package a word
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

if [ "${1:-all}" = all ]; then
    sh tests/mbedtls36.sh
fi
