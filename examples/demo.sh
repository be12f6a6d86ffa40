#!/bin/sh
# make demo: builds the demo, starts the mock LLM server on 127.0.0.1 over TLS, overloaded
# (capacity 12 requests/s against more offered, 3 at once at most, 3 % failures, an outage
# from 3 s to 6 s), sends 200 requests through llmres from 4 threads, prints the summary
# and stops the server. No network and no API key needed. DEMO_CC and DEMO_CFLAGS build it
# another way (make test: clang, -fsanitize=thread).
set -eu
cd "$(dirname "$0")/.."
OUT=build/demo
sh tests/setup.sh demo   # installs what is missing when root, else says what to install
mkdir -p "$OUT"
if [ ! -f "$OUT/server.pem" ]; then
    # a throwaway CA and a certificate for localhost, made here
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj "/CN=llmres demo CA" \
        -keyout "$OUT/ca.key" -out "$OUT/ca.pem" -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$OUT/server.key" -out "$OUT/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$OUT/ext"
    openssl x509 -req -in "$OUT/server.csr" -CA "$OUT/ca.pem" -CAkey "$OUT/ca.key" -CAcreateserial -days 7 \
        -extfile "$OUT/ext" -out "$OUT/server.pem" 2>/dev/null
fi
# shellcheck disable=SC2086 # DEMO_CFLAGS are words
${DEMO_CC:-cc} -std=c99 -O2 -Wall -Wextra ${DEMO_CFLAGS:-} examples/demo.c -o "$OUT/demo" -lmbedtls -lmbedx509 -lmbedcrypto -lpthread
rm -f "$OUT/mock.ready"
python3 tests/servers/mock_llm.py --ready-file "$OUT/mock.ready" --cert "$OUT/server.pem" --key "$OUT/server.key" \
    --capacity 12 --concurrency 3 --latency-ms 40 --jitter-ms 80 --failure-rate 0.03 --outage 3:6 --seed 7 \
    2>"$OUT/mock.log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT INT TERM
i=0
while [ ! -s "$OUT/mock.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$OUT/mock.ready" ] || { echo "the mock server did not start:"; tail -5 "$OUT/mock.log"; exit 1; }
"$OUT/demo" "$(cat "$OUT/mock.ready")" "$OUT/ca.pem"
