#!/bin/sh
# Fetches mbedTLS 3.6 source from Debian's archive (trixie, deb-src; apt checks the
# signed index, so the source is verified) with a private apt state that leaves the
# system's configuration alone, and builds its static libraries with
# MBEDTLS_MEMORY_BUFFER_ALLOC_C into build/mbedtls-3.6, so make test also runs the TLS
# tests against 3.6 (TLS 1.3) with llmres's static pool; and a second copy built with
# musl-gcc into build/mbedtls-3.6-musl, for the static musl build of the same tests.
# Idempotent.
set -eu
cd "$(dirname "$0")/.."
DEST=build/mbedtls-3.6
MUSL=build/mbedtls-3.6-musl
[ -f "$DEST/lib/libmbedtls.a" ] && [ -f "$MUSL/lib/libmbedtls.a" ] && { echo "mbedTLS 3.6 already in $DEST"; exit 0; }
W=build/mbedtls-3.6.work
rm -rf "$W"
mkdir -p "$W/etc/sources.list.d" "$W/state/lists/partial" "$W/cache/archives/partial" "$W/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    >"$W/etc/sources.list"
A="-o Dir::Etc::sourcelist=$PWD/$W/etc/sources.list -o Dir::Etc::sourceparts=$PWD/$W/etc/sources.list.d \
   -o Dir::State=$PWD/$W/state -o Dir::Cache=$PWD/$W/cache -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get -q $A update >/dev/null
# shellcheck disable=SC2086
(cd "$W/src" && apt-get -q $A source --download-only mbedtls >/dev/null)
tar xjf "$W"/src/mbedtls_3.6.*.orig.tar.bz2 -C "$W/src"
SRC=$(ls -d "$W"/src/mbedtls-3.6.*/ | head -n 1)
python3 "$SRC/scripts/config.py" -f "$SRC/include/mbedtls/mbedtls_config.h" set MBEDTLS_MEMORY_BUFFER_ALLOC_C
python3 "$SRC/scripts/config.py" -f "$SRC/include/mbedtls/mbedtls_config.h" set MBEDTLS_PLATFORM_MEMORY
make -C "$SRC" -j2 lib >"$W/build.log" 2>&1 || { tail -20 "$W/build.log"; exit 1; }
mkdir -p "$DEST/lib"
cp -r "$SRC/include" "$DEST/"
cp "$SRC"/library/libmbed*.a "$DEST/lib/"
if command -v musl-gcc >/dev/null 2>&1; then
    make -C "$SRC" clean >/dev/null 2>&1
    make -C "$SRC" -j2 CC=musl-gcc lib >"$W/build-musl.log" 2>&1 || { tail -20 "$W/build-musl.log"; exit 1; }
    mkdir -p "$MUSL/lib"
    cp -r "$SRC/include" "$MUSL/"
    cp "$SRC"/library/libmbed*.a "$MUSL/lib/"
fi
rm -rf "$W"
echo "mbedTLS $(basename "$SRC") built into $DEST"
