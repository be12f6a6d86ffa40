#!/bin/sh
# certs.sh DIR ec|rsa: a throwaway CA and a server certificate for localhost signed by it
# (ECDSA P-256 or RSA 2048, SHA-256, valid from now for 7 days), made for this run:
# DIR/ca.pem, DIR/server.pem, DIR/server.key, and the same in DER (ca.der, server.der,
# server.key.der) for images that embed them. Also a CA that signed
# nothing here (other-ca.pem, other-ca.der).
set -eu
DIR=$1
mkdir -p "$DIR"
case $2 in
ec) KEY="-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ;;
rsa) KEY="-algorithm RSA -pkeyopt rsa_keygen_bits:2048" ;;
*) echo "certs.sh: ec or rsa, not $2" >&2; exit 2 ;;
esac
o() { openssl "$@" 2>>"$DIR/openssl.log" >/dev/null; }
# shellcheck disable=SC2086 # KEY is a list of options
for name in ca other-ca server; do o genpkey $KEY -out "$DIR/$name.key"; done
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >"$DIR/ca.ext"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$DIR/server.ext"
for name in ca other-ca; do
    o req -new -key "$DIR/$name.key" -subj "/CN=llmres tiny $name" -out "$DIR/$name.csr"
    o x509 -req -in "$DIR/$name.csr" -signkey "$DIR/$name.key" -sha256 -days 7 -extfile "$DIR/ca.ext" -out "$DIR/$name.pem"
done
o req -new -key "$DIR/server.key" -subj "/CN=localhost" -out "$DIR/server.csr"
o x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -set_serial 7 -sha256 -days 7 \
    -extfile "$DIR/server.ext" -out "$DIR/server.pem"
o x509 -in "$DIR/ca.pem" -outform DER -out "$DIR/ca.der"
o x509 -in "$DIR/other-ca.pem" -outform DER -out "$DIR/other-ca.der"
o x509 -in "$DIR/server.pem" -outform DER -out "$DIR/server.der"
o pkey -in "$DIR/server.key" -outform DER -out "$DIR/server.key.der"
rm -f "$DIR"/*.csr "$DIR"/*.ext
