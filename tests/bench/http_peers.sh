#!/bin/sh
# llmres's HTTP response parser beside the peers Debian packages (tests/bench/http_peers.c):
# instructions per job counted by callgrind inside the job's function (the difference
# between N2 and N1 runs over N2 - N1, so setup cancels out; repeatable on a noisy
# machine), and nanoseconds (median of 9 runs). A peer whose package is missing is left
# out and named. BEFORE=<git revision> adds a column for llmres.h at that revision.
# A benchmark: it prints figures, and fails only when a parser gets a job wrong.
#   sh tests/bench/http_peers.sh          (make bench-http; part of make bench)
set -eu
cd "$(dirname "$0")/../.."
OUT=build/bench-http
CC=${CC:-cc}
OPT="-O2 -g"
mkdir -p "$OUT"
printf '#define LLMRES_IMPLEMENTATION\n#include "llmres.h"\n' >"$OUT/impl.c"

defs="" objs="" libs="" missing=""
hp=$(ls /usr/lib/*/libhttp_parser.a 2>/dev/null | head -n 1 || true)
if [ -n "$hp" ] && [ -f /usr/include/http_parser.h ]; then
    defs="$defs -DHAVE_HTTP_PARSER"
    $CC -std=c99 $OPT -Wall -Wextra -Werror -c tests/bench/http_peers_hp.c -o "$OUT/job_hp.o"
    objs="$objs $OUT/job_hp.o"
    libs="$libs $hp"
else
    missing="$missing http-parser (libhttp-parser-dev)"
fi
if [ -f /usr/share/llhttp/llhttp.c ] && [ -f /usr/share/include/llhttp/llhttp.h ]; then
    defs="$defs -DHAVE_LLHTTP"
    $CC -std=c99 $OPT -Wall -Wextra -Werror -I/usr/share/include/llhttp -c tests/bench/http_peers_llhttp.c -o "$OUT/job_llhttp.o"
    objs="$objs $OUT/job_llhttp.o"
    for f in llhttp api http; do
        $CC $OPT -w -I/usr/share/include/llhttp -c /usr/share/llhttp/$f.c -o "$OUT/llhttp_$f.o"
        objs="$objs $OUT/llhttp_$f.o"
    done
else
    missing="$missing llhttp (node-llhttp)"
fi
pico=$(ls /usr/lib/*/libh2o-evloop.so.0.* 2>/dev/null | head -n 1 || true)
if [ -n "$pico" ]; then
    defs="$defs -DHAVE_PICO"
    libs="$libs $pico"
else
    missing="$missing picohttpparser (libh2o-evloop0.13)"
fi

# shellcheck disable=SC2086 # lists of flags and files
$CC -std=c99 $OPT -Wall -Wextra -Werror -I. -c "$OUT/impl.c" -o "$OUT/impl.o"
# shellcheck disable=SC2086
$CC -std=c99 $OPT -Wall -Wextra -Werror -I. $defs tests/bench/http_peers.c "$OUT/impl.o" $objs $libs -o "$OUT/http_peers"
bins="$OUT/http_peers"
if [ -n "${BEFORE:-}" ]; then
    mkdir -p "$OUT/before"
    git show "$BEFORE:llmres.h" >"$OUT/before/llmres.h"
    $CC -std=c99 $OPT -I"$OUT/before" -c "$OUT/impl.c" -o "$OUT/before/impl.o"
    $CC -std=c99 $OPT -I"$OUT/before" tests/bench/http_peers.c "$OUT/before/impl.o" -o "$OUT/before/http_peers"
    bins="$bins $OUT/before/http_peers"
fi

instr() { # binary job parser n
    valgrind --tool=callgrind --toggle-collect="job_$3" --callgrind-out-file=/dev/null "$1" "$2" "$3" "$4" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per_job() { # binary job parser: instructions per job
    case $2 in chat) n1=10 n2=210 ;; *) n1=1 n2=11 ;; esac
    a=$(instr "$1" "$2" "$3" $n1)
    b=$(instr "$1" "$2" "$3" $n2)
    echo $(( (b - a) / (n2 - n1) ))
}

: >"$OUT/results"
for bin in $bins; do
    tag=""; [ "$bin" != "$OUT/http_peers" ] && tag=" ($BEFORE)"
    "$bin" | while read -r job parser ns; do
        echo "$job|$parser$tag|$(per_job "$bin" "$job" "$parser")|$ns" >>"$OUT/results"
    done
done

name() {
    case $1 in
    llmres*) echo "$1" ;;
    pico) echo "picohttpparser" ;;
    pico_hints) echo "picohttpparser + hints by hand" ;;
    http_parser) echo "http-parser" ;;
    *) echo "$1" ;;
    esac
}
echo "HTTP/1.1 response parsing, x86-64, $($CC --version | head -n 1), -O2, each library its own object"
echo "(instructions: callgrind, the whole job with its callbacks; time: median of 9 runs)."
echo "chat: the OpenAI 200 vector, 1069 B, 12 headers, chunked; stream: 256 KB in 256-byte chunks."
echo "llmres pulls out the retry and rate-limit hints; picohttpparser + hints does the same by hand."
echo
echo "| parser | chat: instructions | chat: ns | chat vs picohttpparser + hints | stream: instructions | stream: ns | stream vs picohttpparser |"
echo "|---|---:|---:|---:|---:|---:|---:|"
ref() { awk -F'|' -v j="$1" -v p="$2" '$1 == j && $2 == p { print $3 }' "$OUT/results"; }
ratio() { if [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; else echo "-"; fi; }
pico_chat=$(ref chat pico_hints)
pico_stream=$(ref stream pico)
cut -d'|' -f2 "$OUT/results" | awk '!seen[$0]++' | while read -r p; do
    c=$(awk -F'|' -v p="$p" '$1 == "chat" && $2 == p { print $3 "|" $4 }' "$OUT/results")
    s=$(awk -F'|' -v p="$p" '$1 == "stream" && $2 == p { print $3 "|" $4 }' "$OUT/results")
    echo "| $(name "$p") | ${c%%|*} | ${c#*|} | $(ratio "${c%%|*}" "$pico_chat") | ${s%%|*} | ${s#*|} | $(ratio "${s%%|*}" "$pico_stream") |"
done
[ -z "$missing" ] || echo "Not measured (package missing):$missing"
