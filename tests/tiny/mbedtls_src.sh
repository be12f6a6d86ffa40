#!/bin/sh
# Prints the path of mbedTLS 3.6's source tree, unpacked under build/tiny/ from Debian's
# source package (trixie, deb-src, fetched as tests/mbedtls36.sh does: a private apt
# state, the signed index checked by apt). The tarball is kept in build/tiny/, so a
# second run neither downloads nor unpacks anything. Messages go to stderr.
set -eu
cd "$(dirname "$0")/../.."
T=build/tiny
mkdir -p "$T"
if ! ls "$T"/mbedtls_3.6.*.orig.tar.bz2 >/dev/null 2>&1; then
    W=$T/apt
    rm -rf "$W"
    mkdir -p "$W/etc/sources.list.d" "$W/state/lists/partial" "$W/cache/archives/partial" "$W/src"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
        >"$W/etc/sources.list"
    A="-o Dir::Etc::sourcelist=$PWD/$W/etc/sources.list -o Dir::Etc::sourceparts=$PWD/$W/etc/sources.list.d \
       -o Dir::State=$PWD/$W/state -o Dir::Cache=$PWD/$W/cache -o APT::Sandbox::User=root"
    echo "fetching mbedTLS 3.6 source from Debian trixie" >&2
    # shellcheck disable=SC2086
    apt-get -q $A update >/dev/null
    # shellcheck disable=SC2086
    (cd "$W/src" && apt-get -q $A source --download-only mbedtls >/dev/null)
    mv "$W"/src/mbedtls_3.6.*.orig.tar.bz2 "$T/"
    rm -rf "$W"
fi
set -- "$T"/mbedtls_3.6.*.orig.tar.bz2
TARBALL=$1
set -- "$T"/src/mbedtls-3.6.*/library
if [ ! -d "$1" ]; then
    rm -rf "$T/src" && mkdir -p "$T/src"
    tar xjf "$TARBALL" -C "$T/src"
    set -- "$T"/src/mbedtls-3.6.*/library
fi
dirname "$1"
