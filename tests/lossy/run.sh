#!/bin/sh
# make demo's client across a bad link: two network namespaces made here, joined by a
# veth pair; the mock LLM (TLS, overloaded, as make demo runs it) in one, the demo in the
# other. These kernels have no netem: every packet of the veth goes through
# tests/lossy/lossy.c (iptables NFQUEUE), which drops, delays with jitter and so
# reorders; the link itself goes down for 10 s. Every request must end exactly once and
# none past its deadline (the demo checks both and exits 1 otherwise). Root only:
# prints a SKIP line otherwise. Nothing leaves the namespaces; they go with their last
# process.
#   sh tests/lossy/run.sh
set -u
cd "$(dirname "$0")/../.." || exit 2
OUT=${OUT:-build/test}/lossy
# the phases of the link: loss %, delay ms, jitter ms, seconds (the last one to the end)
PHASES=${LLMRES_LOSSY_PHASES:-"5:300:200:15 20:300:200:15 5:300:200:0"}
DOWN_AT=${LLMRES_LOSSY_DOWN_AT:-20}   # s after the start: the link goes down for 10 s

if [ -z "${LLMRES_LOSSY_INSIDE:-}" ]; then
    if [ "$(id -u)" -ne 0 ]; then echo "SKIP lossy: needs root (network namespaces, iptables)"; exit 0; fi
    mkdir -p "$OUT"
    gcc -std=c99 -pedantic -Wall -Wextra -Werror -O2 tests/lossy/lossy.c -o "$OUT/lossy" -lnetfilter_queue ||
        { echo "FAIL lossy: lossy.c does not build (libnetfilter-queue-dev)"; exit 1; }
    gcc -std=c99 -O2 -Wall -Wextra -Werror examples/demo.c -o "$OUT/demo" -lmbedtls -lmbedx509 -lmbedcrypto -lpthread ||
        { echo "FAIL lossy: the demo does not build"; exit 1; }
    C=$OUT/certs
    mkdir -p "$C"
    {
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=llmres lossy CA" \
            -keyout "$C/ca.key" -out "$C/ca.pem" -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=mock.lossy.test" \
            -keyout "$C/server.key" -out "$C/server.csr" &&
        printf 'subjectAltName=DNS:mock.lossy.test\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$C/ext" &&
        openssl x509 -req -in "$C/server.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
            -extfile "$C/ext" -out "$C/server.pem"
    } >"$C/openssl.log" 2>&1 || { echo "FAIL lossy: openssl: $(tail -n 2 "$C/openssl.log")"; exit 1; }
    exec env LLMRES_LOSSY_INSIDE=1 unshare -n -m sh tests/lossy/run.sh
fi

# In the client's namespace (and mount namespace) from here on.
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL lossy: $*"; exit 1; }
ip link set lo up || fail "no lo"
# the server's namespace: a process that only waits, its namespace joined with nsenter
unshare -n sleep 600 &
FAR=$!
PIDS="$FAR"
i=0
while [ "$(readlink /proc/$FAR/ns/net)" = "$(readlink /proc/self/ns/net)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ip link add veth0 type veth peer name veth1 && ip link set veth1 netns "$FAR" &&
    ip addr add 10.88.0.1/24 dev veth0 && ip link set veth0 up || fail "no veth pair"
nsenter -t "$FAR" -n sh -c 'ip link set lo up && ip addr add 10.88.0.2/24 dev veth1 && ip link set veth1 up' ||
    fail "the far end did not come up"
echo "10.88.0.2 mock.lossy.test" >"$OUT/hosts"
mount --bind "$OUT/hosts" /etc/hosts || fail "cannot name the mock"

# the mock, as make demo runs it, on the far end
rm -f "$OUT/mock.ready"
LLMRES_LISTEN_HOST=10.88.0.2 nsenter -t "$FAR" -n python3 tests/servers/serve_on.py mock_llm.py \
    --ready-file "$OUT/mock.ready" --cert "$OUT/certs/server.pem" --key "$OUT/certs/server.key" \
    --capacity 12 --concurrency 3 --latency-ms 40 --jitter-ms 80 --failure-rate 0.03 --seed 7 2>"$OUT/mock.log" &
PIDS="$! $PIDS"
i=0
while [ ! -s "$OUT/mock.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$OUT/mock.ready" ] || fail "the mock did not start: $(tail -n 3 "$OUT/mock.log")"

# every packet of the link through lossy, both ways
iptables -A OUTPUT -o veth0 -j NFQUEUE --queue-num 7 && iptables -A INPUT -i veth0 -j NFQUEUE --queue-num 7 ||
    fail "no NFQUEUE rule"
# shellcheck disable=SC2086 # one phase a word
"$OUT/lossy" 7 $PHASES 2>"$OUT/lossy.log" &
PIDS="$! $PIDS"
i=0
while ! grep -q ready "$OUT/lossy.log" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q ready "$OUT/lossy.log" || fail "lossy did not start: $(cat "$OUT/lossy.log")"
(sleep "$DOWN_AT" && ip link set veth0 down && sleep 10 && ip link set veth0 up) &
PIDS="$! $PIDS"

t0=$(date +%s)
LLMRES_DEMO_HOST=mock.lossy.test timeout 150 "$OUT/demo" "$(cat "$OUT/mock.ready")" "$OUT/certs/ca.pem" >"$OUT/demo.log" 2>&1
rc=$?
t1=$(date +%s)
grep -E '^\| (successes|errors|requests|attempts in all|wall time)' "$OUT/demo.log" | sed 's/^/  /'
kill "$(echo "$PIDS" | cut -d' ' -f2)" 2>/dev/null # lossy: its counts
sleep 0.2
sed 's/^/  /' "$OUT/lossy.log" | grep -v ready
if [ $rc -eq 0 ]; then
    echo "PASS lossy: make demo's client over 5 % and 20 % loss, 300 ms delay with jitter, the link down 10 s: every request ended once, none past its deadline ($((t1 - t0)) s)"
else
    echo "FAIL lossy: the demo exited $rc"
    tail -n 20 "$OUT/demo.log" | sed 's/^/    /'
    exit 1
fi
