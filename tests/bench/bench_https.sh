#!/bin/sh
# llmres versus libcurl: N sequential HTTPS GETs of a 1 KB JSON over keep-alive to a
# local nginx, alternating the two programs (ROUNDS each) so both see the same machine.
# Prints each run, the medians, the ratio and the peak RSS of each. A benchmark: it
# prints figures and fails only when a client fails.
set -eu
cd "$(dirname "$0")/../.."
OUT=build/bench_https
N=${N:-2000}
ROUNDS=${ROUNDS:-5}
mkdir -p "$OUT"
cc -std=c99 -O2 -Wall -Wextra -Werror tests/bench/bench_https.c -o "$OUT/llmres" -lmbedtls -lmbedx509 -lmbedcrypto -lpthread
cc -std=c99 -O2 -Wall -Wextra -Werror tests/bench/bench_curl.c -o "$OUT/curl" -lcurl
trap 'sh tests/servers/nginx.sh stop "$OUT/nginx" >/dev/null 2>&1' EXIT INT TERM
PORT=$(NGINX_KEEPALIVE_TIMEOUT=60s sh tests/servers/nginx.sh start "$OUT/nginx")
CA="$OUT/nginx/ca.pem"
: >"$OUT/runs"
i=0
while [ $i -lt "$ROUNDS" ]; do
    "$OUT/llmres" "$PORT" "$CA" "$N" | tee -a "$OUT/runs"
    "$OUT/curl" "$PORT" "$CA" "$N" | tee -a "$OUT/runs"
    i=$((i + 1))
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
l_rps=$(grep '^llmres' "$OUT/runs" | sed 's/.* ok, \([0-9]*\) req.*/\1/' | median)
c_rps=$(grep '^libcurl' "$OUT/runs" | sed 's/.* ok, \([0-9]*\) req.*/\1/' | median)
l_rss=$(grep '^llmres' "$OUT/runs" | sed 's/.*peak RSS \([0-9]*\) KB/\1/' | median)
c_rss=$(grep '^libcurl' "$OUT/runs" | sed 's/.*peak RSS \([0-9]*\) KB/\1/' | median)
echo
echo "| client | requests/s (median of $ROUNDS runs of $N) | peak RSS |"
echo "|---|---:|---:|"
echo "| llmres (mbedTLS $(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null)) | $l_rps | $l_rss KB |"
echo "| libcurl (OpenSSL, $(curl-config --version 2>/dev/null)) | $c_rps | $c_rss KB |"
awk -v l="$l_rps" -v c="$c_rps" -v lr="$l_rss" -v cr="$c_rss" \
    'BEGIN { printf "\nspeed ratio llmres/libcurl: %.3f; memory ratio llmres/libcurl: %.3f\n", l / c, lr / cr }'
