#!/bin/sh
# make bench-json: JSON extraction side by side in one run (tests/bench/json_peers.c):
# llmres, llmres at JSON_BASE (an earlier commit, read with git; skipped without it), jsmn
# and cJSON (Debian's libjsmn-dev, libcjson-dev), on 1 KB, 16 KB and 256 KB chat
# completions: nanoseconds per body, then instructions per body counted by callgrind inside
# each extractor (the difference between a run of N2 and one of N1 bodies, so setup
# cancels out). gcc -O2, each library its own object (jsmn is a header: in the bench's).
#   sh tests/bench/json_peers.sh            JSON_BASE=41ac92c (llmres before issue 12)
#   JSON_BASE=none sh tests/bench/json_peers.sh
set -eu
cd "$(dirname "$0")/../.."
OUT=build/bench-json
BASE=${JSON_BASE:-41ac92c}
mkdir -p "$OUT"
for h in jsmn.h cjson/cJSON.h; do
    [ -f "/usr/include/$h" ] || { echo "bench-json needs libjsmn-dev and libcjson-dev (sh tests/setup.sh)"; exit 1; }
done
CFLAGS="-std=c99 -O2 -g -Wall -Wextra -Werror"
gcc $CFLAGS -c tests/bench/bench_impl.c -o "$OUT/impl.o"
objs="$OUT/impl.o"
defs=""
if [ "$BASE" != none ] && git show "$BASE:llmres.h" >"$OUT/llmres_base.h" 2>/dev/null; then
    gcc $CFLAGS -Wno-unused-function -DJSON_BASE_H="\"$PWD/$OUT/llmres_base.h\"" -c tests/bench/json_base.c -o "$OUT/base.o"
    objs="$objs $OUT/base.o"
    defs="-DJSON_BASE"
    libs="llmres llmres-base jsmn cJSON"
    echo "llmres-base: llmres.h at $BASE ($(git log -1 --format=%cs "$BASE"))"
else
    libs="llmres jsmn cJSON"
    echo "no llmres-base: $BASE is not in this clone's history"
fi
gcc $CFLAGS $defs tests/bench/json_peers.c $objs -o "$OUT/json_peers" -lcjson
echo
echo "Nanoseconds per body (median of 7 runs of 64 MB each):"
echo
"$OUT/json_peers"
echo
echo "Instructions per body (x86-64, callgrind, inside the extractor):"
echo
count() { # lib size n
    valgrind --tool=callgrind --toggle-collect="ex_$(echo "$1" | tr -d - | sed 's/llmresbase/base/' | tr A-Z a-z)" \
        --callgrind-out-file=/dev/null "$OUT/json_peers" "$1" "$2" "$3" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf "| body |"; for l in $libs; do printf " %s |" "$l"; done; printf "\n|---|"; for l in $libs; do printf -- "---:|"; done; echo
for size in 1024 16384 262144; do
    n2=$((2048 * 1024 / size + 1))
    printf "| %s B |" "$size"
    for l in $libs; do
        a=$(count "$l" "$size" 1); b=$(count "$l" "$size" "$n2")
        printf " %s |" "$(( (b - a) / (n2 - 1) ))"
    done
    echo
done
