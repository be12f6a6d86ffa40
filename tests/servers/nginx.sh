#!/bin/sh
# Throwaway nginx over TLS on 127.0.0.1 for the llmres integration tests.
#
#   sh tests/servers/nginx.sh start DIR   prints the TLS port of server A (one line,
#                                         the number only) once nginx answers over
#                                         TLS; fails with a message on stderr within 10 s.
#   sh tests/servers/nginx.sh stop DIR    stops the nginx started for DIR by the PID in
#                                         DIR/nginx.pid (TERM, wait up to 5 s, then
#                                         KILL); fine if it is not running.
#
# Nothing outside DIR is used: no system nginx.conf, no service, never kills by name.
# Needs: nginx (Debian nginx-light), libnginx-mod-http-echo, openssl, python3.
#
# Environment:
#   NGINX_KEEPALIVE_TIMEOUT  keepalive_timeout of all servers (default 5s), e.g. 1s
#                            to have nginx close idle keep-alive connections quickly.
#   NGINX_KEY_TYPE           ec (default: ECDSA P-256) or rsa (RSA 2048); only used
#                            when the certificates are (re)made.
#   NGINX_BIN                nginx binary (default: nginx from PATH, else /usr/sbin/nginx).
#
# Files in DIR:
#   ca.pem ca.key ca.der           throwaway CA, CN=llmres test CA (ca.der = DER form)
#   server.pem server.key          CN=localhost, SAN DNS:localhost, IP:127.0.0.1, by the CA
#   wronghost.pem wronghost.key    CN=wrong.example, SAN DNS:wrong.example only, by the CA
#   selfsigned.pem selfsigned.key  CN=localhost, SAN DNS:localhost, IP:127.0.0.1, self-signed
#     (all leaves: CA:FALSE, keyUsage critical digitalSignature[,keyEncipherment for RSA],
#      extendedKeyUsage serverAuth, valid from now for 7 days; made once per DIR and
#      remade only if one is missing or the server cert expires within a day)
#   port             TLS port of server A  (server.pem)
#   port_wronghost   TLS port of server B  (wronghost.pem)
#   port_selfsigned  TLS port of server C  (selfsigned.pem)
#   nginx.conf locations.conf nginx.pid nginx.out error.log access.log openssl.log tmp/
#   www/json1k     exactly 1024 bytes of JSON: {"id":"json1k","pad":"aaa...a"} (no newline)
#   www/big        exactly 1048576 bytes: 16384 lines of 64 bytes, line i (0-based) is
#                  printf '%08d:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01\n' i
#   www/small.txt  "hello\n"
#
# Locations (identical on servers A, B and C):
#   /json1k, /big, /small.txt   static files, with Content-Length
#   /chunked   body from the echo module, sent with Transfer-Encoding: chunked to an
#              HTTP/1.1 client (no Content-Length). Exact (de-chunked) body, 3072 bytes:
#                "chunk-1:" + 1015 x 'x' + "\n"     (1024 bytes)
#                "chunk-2:" + 1015 x 'y' + "\n"     (1024 bytes)
#                "chunk-3:" + 1015 x 'z' + "\n"     (1024 bytes)
#              i.e. in Python: b"".join(b"chunk-%d:" % i + c * 1015 + b"\n"
#                                       for i, c in ((1, b"x"), (2, b"y"), (3, b"z")))
#              Every echo directive becomes its own chunk, so nginx 1.22.1 sends 9 data
#              chunks and the last chunk (X = 1015 bytes of x, then y, then z):
#                8\r\nchunk-1:\r\n 3f7\r\nX\r\n 1\r\n\n\r\n   (same for 2 and 3)   0\r\n\r\n
#              (spaces added here for reading only; tests should rely on the body, not
#              on this framing).
#   /echo-status/429   status 429, Content-Type application/json, header
#              "retry-after: 7", body (no newline):
#              {"error":{"type":"rate_limit_error","message":"rate limited (test)"}}
set -eu

ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so

die() { echo "nginx.sh: $*" >&2; exit 1; }

usage() { echo "usage: sh tests/servers/nginx.sh start|stop DIR" >&2; exit 2; }

[ $# -eq 2 ] || usage
CMD=$1
[ -n "$2" ] || usage

# alive PID: the process exists and is not a zombie (an nginx started by an earlier
# shell is reparented; if nobody reaps it, it stays a zombie after exiting).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    if [ -r "/proc/$1/stat" ]; then
        st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || st=
        [ "$st" != Z ] || return 1
    fi
    return 0
}

# is_nginx PID: true unless /proc says the process is something else (a reused PID).
is_nginx() {
    [ -r "/proc/$1/cmdline" ] || return 0
    tr '\000' ' ' <"/proc/$1/cmdline" | grep -q nginx
}

# children PID: PIDs whose parent is PID (nginx workers of a master), via /proc.
children() {
    for f in /proc/[0-9]*/status; do
        [ -r "$f" ] || continue
        pp=$(sed -n 's/^PPid:[[:space:]]*//p' "$f" 2>/dev/null) || continue
        if [ "$pp" = "$1" ]; then
            c=${f#/proc/}; echo "${c%/status}"
        fi
    done
}

do_stop() {
    pidf=$DIR/nginx.pid
    if [ ! -s "$pidf" ]; then
        rm -f "$pidf"
        return 0
    fi
    pid=$(head -n 1 "$pidf" | tr -cd '0-9')
    if [ -z "$pid" ] || [ "$pid" -le 1 ]; then
        rm -f "$pidf"
        return 0
    fi
    if ! alive "$pid"; then
        rm -f "$pidf"
        return 0
    fi
    if ! is_nginx "$pid"; then
        echo "nginx.sh: PID $pid from $pidf is not nginx; not killing it" >&2
        rm -f "$pidf"
        return 0
    fi
    kids=$(children "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while alive "$pid" && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if alive "$pid"; then
        echo "nginx.sh: nginx $pid did not exit within 5 s; sending KILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        for k in $kids; do
            if alive "$k" && is_nginx "$k"; then kill -KILL "$k" 2>/dev/null || true; fi
        done
        i=0
        while alive "$pid" && [ $i -lt 20 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        alive "$pid" && die "nginx $pid is still running after KILL"
    fi
    # Workers exit with the master; make sure none outlived it.
    for k in $kids; do
        if alive "$k" && is_nginx "$k"; then kill -KILL "$k" 2>/dev/null || true; fi
    done
    rm -f "$pidf"
    return 0
}

# ---- certificates ------------------------------------------------------------------

ossl() {
    openssl "$@" >>"$DIR/openssl.log" 2>&1 || {
        tail -n 20 "$DIR/openssl.log" >&2
        die "openssl $1 failed (see $DIR/openssl.log)"
    }
}

genkey() { # FILE
    case $KEY_TYPE in
        rsa) ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" ;;
        *) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
    esac
    chmod 600 "$1"
}

serial() { echo "0x$(openssl rand -hex 8)"; }

# leaf NAME CN SAN SELFSIGNED(yes|no)
leaf() {
    name=$1; cn=$2; san=$3; self=$4
    ext=$DIR/$name.ext
    {
        echo "basicConstraints = critical, CA:FALSE"
        echo "keyUsage = critical, $LEAF_KU"
        echo "extendedKeyUsage = serverAuth"
        echo "subjectAltName = $san"
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid, issuer"
    } >"$ext"
    genkey "$DIR/$name.key"
    ossl req -new -key "$DIR/$name.key" -subj "/CN=$cn" -out "$DIR/$name.csr"
    if [ "$self" = yes ]; then
        ossl x509 -req -in "$DIR/$name.csr" -signkey "$DIR/$name.key" -sha256 -days 7 \
            -set_serial "$(serial)" -extfile "$ext" -out "$DIR/$name.pem"
    else
        ossl x509 -req -in "$DIR/$name.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" \
            -sha256 -days 7 -set_serial "$(serial)" -extfile "$ext" -out "$DIR/$name.pem"
    fi
    rm -f "$DIR/$name.csr" "$ext"
}

make_certs() {
    for f in ca.pem ca.key ca.der server.pem server.key wronghost.pem wronghost.key \
        selfsigned.pem selfsigned.key; do
        [ -s "$DIR/$f" ] || { need=1; break; }
    done
    if [ -z "${need:-}" ] &&
        openssl x509 -checkend 86400 -noout -in "$DIR/server.pem" >/dev/null 2>&1; then
        return 0
    fi
    command -v openssl >/dev/null 2>&1 || die "openssl not found"
    KEY_TYPE=${NGINX_KEY_TYPE:-ec}
    case $KEY_TYPE in
        rsa) LEAF_KU="digitalSignature, keyEncipherment" ;;
        ec) LEAF_KU="digitalSignature" ;;
        *) die "NGINX_KEY_TYPE must be ec or rsa, not '$KEY_TYPE'" ;;
    esac
    : >"$DIR/openssl.log"
    cat >"$DIR/ca.ext" <<'EOF'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
    genkey "$DIR/ca.key"
    ossl req -new -key "$DIR/ca.key" -subj "/CN=llmres test CA" -out "$DIR/ca.csr"
    ossl x509 -req -in "$DIR/ca.csr" -signkey "$DIR/ca.key" -sha256 -days 7 \
        -set_serial "$(serial)" -extfile "$DIR/ca.ext" -out "$DIR/ca.pem"
    rm -f "$DIR/ca.csr" "$DIR/ca.ext"
    ossl x509 -in "$DIR/ca.pem" -outform DER -out "$DIR/ca.der"
    leaf server localhost "DNS:localhost, IP:127.0.0.1" no
    leaf wronghost wrong.example "DNS:wrong.example" no
    leaf selfsigned localhost "DNS:localhost, IP:127.0.0.1" yes
}

# ---- content -----------------------------------------------------------------------

make_www() {
    mkdir -p "$DIR/www"
    # json1k: {"id":"json1k","pad":"<a * n>"} with n chosen so the file is 1024 bytes.
    pre='{"id":"json1k","pad":"'
    post='"}'
    n=$((1024 - ${#pre} - ${#post}))
    {
        printf '%s' "$pre"
        awk -v n="$n" 'BEGIN { s = ""; for (i = 0; i < n; i++) s = s "a"; printf "%s", s }'
        printf '%s' "$post"
    } >"$DIR/www/json1k.tmp"
    mv "$DIR/www/json1k.tmp" "$DIR/www/json1k"
    awk 'BEGIN { for (i = 0; i < 16384; i++)
        printf "%08d:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01\n", i }' \
        >"$DIR/www/big.tmp"
    mv "$DIR/www/big.tmp" "$DIR/www/big"
    printf 'hello\n' >"$DIR/www/small.txt"
    [ "$(wc -c <"$DIR/www/json1k" | tr -d ' ')" = 1024 ] || die "json1k is not 1024 bytes"
    [ "$(wc -c <"$DIR/www/big" | tr -d ' ')" = 1048576 ] || die "big is not 1048576 bytes"
}

# ---- config ------------------------------------------------------------------------

write_conf() { # PORT PORT2 PORT3
    ka=${NGINX_KEEPALIVE_TIMEOUT:-5s}
    case $ka in
        *[!0-9a-z]* | '') die "bad NGINX_KEEPALIVE_TIMEOUT '$ka' (e.g. 5s, 1s, 500ms)" ;;
    esac
    if [ "$(id -u)" = 0 ]; then user_line="user root;"; else user_line=""; fi
    cat >"$DIR/locations.conf" <<'EOF'
root @DIR@/www;

location = /json1k {
}

location = /big {
}

location = /chunked {
    # No Content-Length: an HTTP/1.1 client gets Transfer-Encoding: chunked.
    echo -n "chunk-1:";
    echo_duplicate 1015 "x";
    echo "";
    echo_flush;
    echo -n "chunk-2:";
    echo_duplicate 1015 "y";
    echo "";
    echo_flush;
    echo -n "chunk-3:";
    echo_duplicate 1015 "z";
    echo "";
}

location = /echo-status/429 {
    add_header retry-after 7 always;
    return 429 '{"error":{"type":"rate_limit_error","message":"rate limited (test)"}}';
}
EOF
    # The DIR path is substituted here rather than in an unquoted here-document so
    # that nothing in the echo directives is subject to shell expansion.
    esc=$(printf '%s' "$DIR" | sed 's/[\\&|]/\\&/g')
    sed "s|@DIR@|$esc|g" "$DIR/locations.conf" >"$DIR/locations.conf.tmp"
    mv "$DIR/locations.conf.tmp" "$DIR/locations.conf"

    cat >"$DIR/nginx.conf" <<EOF
# Generated by tests/servers/nginx.sh for the llmres integration tests; do not edit.
load_module $ECHO_MODULE;
$user_line
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/error.log;

events {
    worker_connections 64;
}

http {
    access_log $DIR/access.log;
    client_body_temp_path $DIR/tmp/client_body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;
    keepalive_timeout $ka;
    keepalive_requests 100000;
    default_type application/json;

    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets on;
    ssl_session_cache shared:SSL:1m;

    # A: the good certificate.
    server {
        listen 127.0.0.1:$1 ssl;
        server_name localhost;
        ssl_certificate $DIR/server.pem;
        ssl_certificate_key $DIR/server.key;
        include $DIR/locations.conf;
    }

    # B: signed by the CA, but for wrong.example only.
    server {
        listen 127.0.0.1:$2 ssl;
        server_name wrong.example;
        ssl_certificate $DIR/wronghost.pem;
        ssl_certificate_key $DIR/wronghost.key;
        include $DIR/locations.conf;
    }

    # C: self-signed, not by the CA.
    server {
        listen 127.0.0.1:$3 ssl;
        server_name localhost;
        ssl_certificate $DIR/selfsigned.pem;
        ssl_certificate_key $DIR/selfsigned.key;
        include $DIR/locations.conf;
    }
}
EOF
}

# ---- start -------------------------------------------------------------------------

free_ports() { # prints three distinct free ports on 127.0.0.1
    python3 -c '
import socket
ss = []
for _ in range(3):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))
for s in ss:
    s.close()
'
}

# wait_ready PID PORT: up to 7 s, a TLS GET /small.txt verified against ca.pem.
# Exit 0 ready, 2 nginx died, 1 timeout.
wait_ready() {
    python3 - "$1" "$2" "$DIR/ca.pem" <<'EOF'
import os, socket, ssl, sys, time
pid, port, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
deadline = time.monotonic() + 7.0
last = "no attempt"
def dead():
    try:
        os.kill(pid, 0)
    except OSError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
while time.monotonic() < deadline:
    if dead():
        sys.stderr.write("nginx.sh: nginx (PID %d) exited during startup\n" % pid)
        sys.exit(2)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET /small.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    data += b
        if data.startswith(b"HTTP/1.1 200") and data.endswith(b"\r\n\r\nhello\n"):
            sys.exit(0)
        last = "unexpected answer: %r" % data[:200]
    except (OSError, ssl.SSLError) as e:
        last = repr(e)
    time.sleep(0.1)
sys.stderr.write("nginx.sh: nginx did not answer on 127.0.0.1:%d within 7 s (%s)\n" % (port, last))
sys.exit(1)
EOF
}

show_logs() {
    for f in error.log nginx.out; do
        if [ -s "$DIR/$f" ]; then
            echo "--- tail of $DIR/$f:" >&2
            tail -n 15 "$DIR/$f" >&2
        fi
    done
}

do_start() {
    command -v python3 >/dev/null 2>&1 || die "python3 not found"
    NGINX=${NGINX_BIN:-}
    if [ -z "$NGINX" ]; then
        NGINX=$(command -v nginx 2>/dev/null) || NGINX=/usr/sbin/nginx
    fi
    [ -x "$NGINX" ] || die "nginx not found (tried '$NGINX'); install nginx-light"
    [ -f "$ECHO_MODULE" ] || die "$ECHO_MODULE missing; install libnginx-mod-http-echo"

    # An nginx left over from an earlier start for this DIR goes first.
    do_stop
    mkdir -p "$DIR/tmp"
    make_certs
    make_www

    # A port can be taken between picking and binding it: retry with new ports.
    attempt=1
    while :; do
        ports=$(free_ports) || die "could not pick free ports with python3"
        # shellcheck disable=SC2086 # split the three numbers on purpose
        set -- $ports
        [ $# -eq 3 ] || die "could not pick free ports (got '$ports')"
        write_conf "$1" "$2" "$3"
        echo "$1" >"$DIR/port"
        echo "$2" >"$DIR/port_wronghost"
        echo "$3" >"$DIR/port_selfsigned"
        port=$1
        rm -f "$DIR/nginx.pid"
        : >"$DIR/error.log"
        "$NGINX" -p "$DIR" -c "$DIR/nginx.conf" -g 'daemon off;' \
            </dev/null >"$DIR/nginx.out" 2>&1 &
        pid=$!
        # nginx writes its master PID (= $pid with daemon off) itself; write it too so
        # that stop works even if nginx dies before writing it.
        echo "$pid" >"$DIR/nginx.pid"
        rc=0
        wait_ready "$pid" "$port" || rc=$?
        if [ $rc -eq 0 ]; then
            break
        fi
        if [ $rc -eq 2 ] && [ $attempt -lt 3 ] &&
            grep -q 'Address already in use' "$DIR/error.log" "$DIR/nginx.out" 2>/dev/null; then
            attempt=$((attempt + 1))
            continue
        fi
        show_logs
        do_stop
        die "nginx failed to start (config: $DIR/nginx.conf)"
    done
    # Prefer the PID nginx wrote itself (the master); fall back to ours.
    npid=$(head -n 1 "$DIR/nginx.pid" 2>/dev/null | tr -cd '0-9') || npid=
    if [ -z "$npid" ]; then echo "$pid" >"$DIR/nginx.pid"; fi
    echo "$port"
}

DIR=$2
case $CMD in
    start)
        mkdir -p "$DIR" || die "cannot create $DIR"
        DIR=$(cd "$DIR" && pwd -P) || die "cannot enter $DIR"
        case $DIR in
            *[[:space:]\;\{\}\'\"\$\#]*) die "DIR must not contain spaces or ;{}'\"\$# ($DIR)" ;;
        esac
        do_start
        ;;
    stop)
        [ -d "$DIR" ] || exit 0
        DIR=$(cd "$DIR" && pwd -P) || die "cannot enter $DIR"
        do_stop
        ;;
    *) usage ;;
esac
