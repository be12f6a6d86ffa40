#!/bin/sh
# llmres on Debian's real lwIP stack (liblwip-dev, 2.1.3): builds tests/lwip/lwip.c,
# then, in a network namespace of its own (unshare -n), makes a TAP device tap0 with
# 10.77.0.1/24 on the kernel's side, starts the mock LLM and the fault server there
# (TLS with a CA made for the run, by PID, polled for readiness) and runs the test, in
# which lwIP drives tap0 as 10.77.0.2. Nothing leaves the namespace; it goes away with
# its last process. Needs root (the namespace and the TAP): prints a SKIP line otherwise.
#   sh tests/lwip/run.sh [FILTER]           a FILTER runs only the tests whose name has it
#   LLMRES_LWIP_WRAP="valgrind -q" sh tests/lwip/run.sh  runs the test binaries under a tool
#   LLMRES_LWIP_CC=clang LLMRES_LWIP_CFLAGS=-fsanitize=thread ...  builds them another way
set -u
cd "$(dirname "$0")/../.." || exit 2
OUT=${OUT:-build/test}/lwip

if [ -z "${LLMRES_LWIP_INSIDE:-}" ]; then
    mkdir -p "$OUT"
    . tests/common.sh
    [ -f /usr/include/lwip/lwipopts.h ] || { echo "FAIL lwip: liblwip-dev is missing (sh tests/setup.sh installs it)"; exit 1; }
    # The port alone, strict: gcc and clang, LWIP_DNS 0 and 1, C++; and its lwip_select
    # path (Debian's lwIP has LWIP_SOCKET_SELECT 0: compiled, not linked).
    printf '#define _POSIX_C_SOURCE 200809L\n#define LLMRES_IMPLEMENTATION\n#include "llmres.h"\n#include "port/llmres_lwip.h"\nint main(void) { static llmres_lwip_t lw; return llmres_lwip_init(&lw); }\n' >"$OUT/port.c"
    mkdir -p "$OUT/select"
    printf '#include "/usr/include/lwip/lwipopts.h"\n#undef LWIP_SOCKET_SELECT\n#define LWIP_SOCKET_SELECT 1\n#define LWIP_SOCKET_POLL 0\n' >"$OUT/select/lwipopts.h"
    check() { name=$1; shift; if "$@" >"$OUT/check.log" 2>&1; then echo "PASS $name"; else echo "FAIL $name"; head -20 "$OUT/check.log"; BUILD_FAILED=1; fi; }
    BUILD_FAILED=0
    for cc in gcc clang; do
        for dns in 0 1; do
            # shellcheck disable=SC2086
            check "$cc strict build of port/llmres_lwip.h, LWIP_DNS $dns" $cc $STRICT -DLWIP_DNS=$dns -I. -I/usr/include/lwip -c "$OUT/port.c" -o "$OUT/port.o"
        done
    done
    check "g++ builds port/llmres_lwip.h as C++" g++ -x c++ -std=c++11 -pedantic -Wall -Wextra -Wshadow -Wconversion -Werror -I. -I/usr/include/lwip -c "$OUT/port.c" -o "$OUT/port.o"
    # shellcheck disable=SC2086
    check "port/llmres_lwip.h builds over lwip_select (LWIP_SOCKET_POLL 0)" gcc $STRICT -I. -I"$OUT/select" -I/usr/include/lwip -c "$OUT/port.c" -o "$OUT/port.o"
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP lwip: running on lwIP needs root, for a network namespace and a TAP device"
        exit $BUILD_FAILED
    fi
    # shellcheck disable=SC2086 # flags are words
    ${LLMRES_LWIP_CC:-gcc} $TESTFLAGS ${LLMRES_LWIP_CFLAGS:-} -I/usr/include/lwip tests/lwip/lwip.c -o "$OUT/lwip" -llwip $TLSLIBS ||
        { echo "FAIL lwip: the test does not build"; exit 1; }
    # again with LWIP_DNS 1 (Debian's build has 0) and a resolver of the test's own
    # shellcheck disable=SC2086
    ${LLMRES_LWIP_CC:-gcc} $TESTFLAGS ${LLMRES_LWIP_CFLAGS:-} -DLWIP_DNS=1 -I/usr/include/lwip tests/lwip/lwip.c -o "$OUT/lwip-dns" -llwip $TLSLIBS ||
        { echo "FAIL lwip: the test does not build with LWIP_DNS 1"; exit 1; }
    # A third build with lwIP's real resolver: dns.c from Debian's source package of the
    # installed lwIP (a private apt state, as tests/mbedtls36.sh does; fetched once).
    DNS_SRC=build/lwip-src/dns.c
    if [ ! -f "$DNS_SRC" ]; then
        ver=$(dpkg-query -W -f='${Version}' liblwip-dev)
        W=build/lwip-src.work
        rm -rf "$W" && mkdir -p "$W/etc/sources.list.d" "$W/state/lists/partial" "$W/cache/archives/partial" "$W/src"
        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" >"$W/etc/sources.list"
        A="-o Dir::Etc::sourcelist=$PWD/$W/etc/sources.list -o Dir::Etc::sourceparts=$PWD/$W/etc/sources.list.d
           -o Dir::State=$PWD/$W/state -o Dir::Cache=$PWD/$W/cache -o APT::Sandbox::User=root"
        # shellcheck disable=SC2086
        if apt-get -q $A update >"$W/apt.log" 2>&1 && (cd "$W/src" && apt-get -q $A source --download-only "lwip=$ver") >>"$W/apt.log" 2>&1 &&
           tar xJf "$W"/src/lwip_*.orig.tar.xz -C "$W/src" --wildcards '*/src/core/dns.c'; then
            mkdir -p build/lwip-src && cp "$W"/src/lwip-*/src/core/dns.c "$DNS_SRC" && rm -rf "$W"
        fi
    fi
    if [ -f "$DNS_SRC" ]; then
        gcc -std=c99 -D_POSIX_C_SOURCE=200809L -O1 -DLWIP_DNS=1 -DDNS_MAX_RETRIES=2 -I/usr/include/lwip -c "$DNS_SRC" -o "$OUT/dns.o" &&
        # shellcheck disable=SC2086
        ${LLMRES_LWIP_CC:-gcc} $TESTFLAGS ${LLMRES_LWIP_CFLAGS:-} -DLWIP_DNS=1 -DDNS_MAX_RETRIES=2 -DLLMRES_TEST_REAL_DNS -I/usr/include/lwip tests/lwip/lwip.c "$OUT/dns.o" \
            -o "$OUT/lwip-realdns" -llwip $TLSLIBS || { echo "FAIL lwip: the test does not build with lwIP's dns.c"; exit 1; }
    else
        rm -f "$OUT/lwip-realdns"
        echo "SKIP lwip with lwIP's own resolver: could not fetch lwIP's source ($W/apt.log)"
    fi
    # the port conformance test (tests/conformance) on this port, run in the namespace too
    # shellcheck disable=SC2086
    ${LLMRES_LWIP_CC:-gcc} $TESTFLAGS ${LLMRES_LWIP_CFLAGS:-} -I/usr/include/lwip tests/conformance/lwip.c -o "$OUT/conformance" -llwip -lpthread ||
        { echo "FAIL lwip: the conformance runner does not build"; exit 1; }
    exec env LLMRES_LWIP_INSIDE=1 BUILD_FAILED=$BUILD_FAILED LLMRES_CONFORMANCE_OUTSIDE_NETNS="$(readlink /proc/self/ns/net)" \
        unshare -n sh tests/lwip/run.sh "$@"
fi

# In the namespace from here on.
. tests/common.sh
trap stop_servers EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL lwip: $*"; exit 1; }
# MTU 576: Debian's liblwip 2.1.3 makes its pool pbufs 616 bytes (memp.c sees glibc's
# TCP_MSS 512 from <netinet/tcp.h>) while pbuf.c fills them as if TCP_MSS were 1460, so a
# frame over 592 bytes from the kernel would overrun the heap. The kernel then sends
# segments of at most 536 bytes.
ip link set lo up && ip tuntap add dev tap0 mode tap && ip addr add 10.77.0.1/24 dev tap0 &&
    ip link set tap0 mtu 576 && ip link set tap0 up || fail "no TAP device in the namespace"

# A CA and a server certificate for 10.77.0.1 (mbedTLS 2.28 checks an IP host against the
# certificate's DNS names, so the address is one of them too).
C=$OUT/certs
mkdir -p "$C"
{
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -keyout "$C/ca.key" -out "$C/ca.pem" -subj "/CN=llmres lwip test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$C/server.key" -out "$C/server.csr" -subj "/CN=10.77.0.1" &&
    printf 'subjectAltName=DNS:10.77.0.1,DNS:mock.lwip.test,IP:10.77.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$C/ext.cnf" &&
    openssl x509 -req -in "$C/server.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
        -days 2 -extfile "$C/ext.cnf" -out "$C/server.pem"
} >"$C/openssl.log" 2>&1 || fail "openssl: $(tail -n 3 "$C/openssl.log")"

# The servers, on the kernel's side of the TAP.
export LLMRES_LISTEN_HOST=10.77.0.1
TLS="--cert $C/server.pem --key $C/server.key"
at() { serve "$1" python3 tests/servers/serve_on.py "$2" $3 || fail "$1 did not start"; }
at mock mock_llm.py "$TLS"
at busy mock_llm.py "$TLS --capacity 1 --seed 3"          # one request a second, 429 beyond
at outage mock_llm.py "$TLS --outage 0:100000"            # closes or 503s every request
at fault fault_server.py "$TLS --stall-max 10"            # /stall, /reset-mid-body
at plain mock_llm.py ""
serve dns python3 tests/lwip/dns_server.py || fail "the DNS server did not start"
LLMRES_MOCK_PORT=$(cat "$OUT/mock.ready")
LLMRES_BUSY_PORT=$(cat "$OUT/busy.ready")
LLMRES_OUTAGE_PORT=$(cat "$OUT/outage.ready")
LLMRES_FAULT_PORT=$(cat "$OUT/fault.ready")
LLMRES_PLAIN_PORT=$(cat "$OUT/plain.ready")
LLMRES_CA_FILE=$C/ca.pem
export LLMRES_MOCK_PORT LLMRES_BUSY_PORT LLMRES_OUTAGE_PORT LLMRES_FAULT_PORT LLMRES_PLAIN_PORT LLMRES_CA_FILE
export PRECONFIGURED_TAPIF=tap0   # lwIP's tapif opens this one and runs no ifconfig
# Both builds; with a FILTER, a build with no test of that name says nothing.
rc=${BUILD_FAILED:-0}
nomatch=0
for t in lwip-realdns lwip-dns lwip; do
    [ -x "$OUT/$t" ] || continue
    if ! timeout 120 ${LLMRES_LWIP_WRAP:-} "$OUT/$t" "$@" >"$OUT/$t.log" 2>&1; then
        if [ $# -gt 0 ] && grep -q '^FAIL filter' "$OUT/$t.log"; then nomatch=$((nomatch + 1)); continue; fi
        rc=1
    fi
    case $t in lwip-realdns) tag="[lwIP's dns.c] " ;; lwip-dns) tag="[a resolver of the test's] " ;; *) tag="" ;; esac
    grep -v ' passed, .* failed$' "$OUT/$t.log" | sed "s/^\(PASS\|FAIL\) /\1 $tag/"
done
# The conformance test, unless a FILTER asks for other tests.
if [ $# -eq 0 ] || [ "$1" = conformance ]; then
    if LLMRES_CONFORMANCE_DROPPED=10.77.0.99 timeout 120 "$OUT/conformance" >"$OUT/conformance.log" 2>&1; then :; else rc=1; fi
    grep -E '^(PASS|FAIL|SKIP) ' "$OUT/conformance.log"
    [ $# -eq 0 ] || exit $rc
fi
[ "$nomatch" -lt "$(ls "$OUT"/lwip "$OUT"/lwip-dns "$OUT"/lwip-realdns 2>/dev/null | wc -l)" ] || { echo "FAIL lwip: no test name contains $1"; exit 1; }
exit $rc
