#!/bin/sh
# Builds tests/fuzz/fuzz_json.c (the JSON reader and the request writer against a plain
# reference parser) and runs it for FUZZ_SECONDS (default 10), seeded with the provider
# vectors' bodies and a few documents. Prints PASS/FAIL lines for tests/run.sh.
#   sh tests/fuzz/fuzz_json.sh          FUZZ_SECONDS=300 sh tests/fuzz/fuzz_json.sh
set -u
cd "$(dirname "$0")/../.." || exit 2
OUT=${OUT:-build/test}/fuzz_json
mkdir -p "$OUT/corpus"
if ! clang -std=c99 -pedantic -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        tests/fuzz/fuzz_json.c -o "$OUT/fuzz_json" >"$OUT/build.log" 2>&1; then
    cat "$OUT/build.log"; echo "FAIL clang builds the JSON fuzz target"; exit 1
fi
echo "PASS clang builds the JSON fuzz target"
for f in tests/vectors/*.http; do sed -n '/^\r$/,$p' "$f" | tail -n +2 >"$OUT/corpus/$(basename "$f")"; done
printf '{"a":[1,-0.5e+3,true,false,null,"\\u00e9\\ud83d\\ude80\\n",{"b":{}}]}' >"$OUT/corpus/doc1"
printf '["caf\303\251 \342\202\254 \360\237\232\200",{"":[[]]}]' >"$OUT/corpus/doc2"
if (cd "$OUT" && ./fuzz_json -max_total_time="${FUZZ_SECONDS:-10}" -max_len=4096 corpus >fuzz.log 2>&1); then
    echo "PASS fuzzing the JSON reader and writer for ${FUZZ_SECONDS:-10} s: they agree with the reference"
else
    grep -E "ERROR|SUMMARY|Test unit written" "$OUT/fuzz.log" | head -5
    echo "FAIL fuzzing the JSON reader and writer (crash input in $OUT)"
    exit 1
fi
