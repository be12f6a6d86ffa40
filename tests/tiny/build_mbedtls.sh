#!/bin/sh
# build_mbedtls.sh NAME CC [CFLAGS...]: mbedTLS 3.6 with port/llmres_mbedtls_config.h,
# compiled by CC into build/tiny/mbedtls-NAME/libmbedtls.a (one archive: TLS, X.509 and
# crypto). Rebuilt only when the configuration, the compiler or the flags change.
set -eu
cd "$(dirname "$0")/../.."
NAME=$1 CC=$2
shift 2
SRC=$(sh tests/tiny/mbedtls_src.sh)
OUT=build/tiny/mbedtls-$NAME
FLAGS="-DMBEDTLS_CONFIG_FILE='\"llmres_mbedtls_config.h\"' -I$PWD/port -I$SRC/include -I$SRC/library $*"
KEY=$( { echo "$CC $FLAGS"; cat port/llmres_mbedtls_config.h; } | cksum)
if [ -f "$OUT/libmbedtls.a" ] && [ "$(cat "$OUT/key" 2>/dev/null)" = "$KEY" ]; then
    echo "$OUT"
    exit 0
fi
rm -rf "$OUT" && mkdir -p "$OUT/obj"
# one file a call, two at a time (the machine is shared)
# shellcheck disable=SC2016 # $1 and $o are cc.sh's own
{
    echo 'o='"$OUT"'/obj/$(basename "$1" .c).o'
    echo "$CC $FLAGS"' -c "$1" -o "$o" 2>"$o.log" || { cat "$o.log" >&2; exit 255; }'
} >"$OUT/cc.sh"
printf '%s\n' "$SRC"/library/*.c | xargs -P 2 -n 1 sh "$OUT/cc.sh"
"${CC%gcc}ar" rcs "$OUT/libmbedtls.a" "$OUT"/obj/*.o 2>/dev/null || ar rcs "$OUT/libmbedtls.a" "$OUT"/obj/*.o
echo "$KEY" >"$OUT/key"
echo "$OUT"
