# Sourced by tests/run.sh (make test) and tests/check.sh (make check), from the
# repository root with OUT set: how a test is built, and the servers on 127.0.0.1 that
# the integration tests talk to, started here by PID and stopped by stop_servers.

# shellcheck disable=SC2034 # the flags are for the scripts that source this file
STRICT="-std=c99 -pedantic -Wall -Wextra -Wshadow -Wconversion -Wcast-align -Werror"
TESTFLAGS="-std=c99 -pedantic -Wall -Wextra -Wshadow -Werror -g"
SAN="-O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
TLSLIBS="-lmbedtls -lmbedx509 -lmbedcrypto -lpthread"
# mbedTLS 3.6, built by tests/mbedtls36.sh (tests/setup.sh runs it)
M36=build/mbedtls-3.6
M36M=build/mbedtls-3.6-musl
NGINX_DIR="$OUT/nginx"

# tests_in DIR: the base names of the tests in tests/DIR. The mismatch_* pair in
# tests/unit is one program built from two files, with a step of its own.
tests_in() {
    for f in tests/"$1"/*.c; do
        case $f in */mismatch_*) ;; *) basename "$f" .c ;; esac
    done
}

# test_sources NAME: the C files of test NAME (a file's base name in tests/unit or
# tests/integration; "mismatch" for the two-file one); fails for an unknown name.
test_sources() {
    case $1 in
    mismatch | mismatch_lib | mismatch_user) echo tests/unit/mismatch_lib.c tests/unit/mismatch_user.c ;;
    "" | */* | *" "*) return 1 ;;
    *)
        for dir in unit integration; do
            [ -f "tests/$dir/$1.c" ] && { echo "tests/$dir/$1.c"; return 0; }
        done
        return 1 ;;
    esac
}

# test_libs NAME: what test NAME links against beyond libc.
test_libs() {
    case $1 in
    integration | stepped | hostile) echo "-lpthread" ;;
    tls | llm_tls | soak) echo "$TLSLIBS" ;;
    esac
}

SERVER_PIDS=""
NGINX_STARTED=""

# serve NAME CMD...: starts CMD --ready-file $OUT/NAME.ready in the background and waits
# up to 10 s for it to write its port there; its stderr goes to $OUT/NAME.log.
serve() {
    name=$1; shift
    rm -f "$OUT/$name.ready"
    "$@" --ready-file "$OUT/$name.ready" 2>"$OUT/$name.log" &
    SERVER_PIDS="$SERVER_PIDS $!"
    i=0
    while [ ! -s "$OUT/$name.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -s "$OUT/$name.ready" ] && return 0
    echo "$name did not start within 10 s; the end of $OUT/$name.log:"
    tail -n 5 "$OUT/$name.log"
    return 1
}

# The fault-injecting server, plain; exports LLMRES_FAULT_PORT.
start_fault() {
    serve fault python3 tests/servers/fault_server.py --stall-max 10 || return 1
    LLMRES_FAULT_PORT=$(cat "$OUT/fault.ready"); export LLMRES_FAULT_PORT
}

# nginx over TLS with a CA made for the run, closing idle keep-alive connections after
# 1 s (for the reconnect test); exports where it is and its CA.
start_nginx() {
    NGINX_STARTED=1
    NGINX_KEEPALIVE_TIMEOUT=1s sh tests/servers/nginx.sh start "$NGINX_DIR" >/dev/null || return 1
    LLMRES_NGINX_DIR=$NGINX_DIR; export LLMRES_NGINX_DIR
    LLMRES_NGINX_PORT=$(cat "$NGINX_DIR/port"); export LLMRES_NGINX_PORT
    LLMRES_NGINX_PORT_WRONGHOST=$(cat "$NGINX_DIR/port_wronghost"); export LLMRES_NGINX_PORT_WRONGHOST
    LLMRES_NGINX_PORT_SELFSIGNED=$(cat "$NGINX_DIR/port_selfsigned"); export LLMRES_NGINX_PORT_SELFSIGNED
    LLMRES_CA_FILE=$NGINX_DIR/ca.pem; export LLMRES_CA_FILE
}

# The fault server over TLS, with nginx's certificate (start_nginx first);
# exports LLMRES_FAULT_TLS_PORT.
start_fault_tls() {
    serve fault_tls python3 tests/servers/fault_server.py --stall-max 10 \
        --cert "$NGINX_DIR/server.pem" --key "$NGINX_DIR/server.key" || return 1
    LLMRES_FAULT_TLS_PORT=$(cat "$OUT/fault_tls.ready"); export LLMRES_FAULT_TLS_PORT
}

# start_mock NAME [options]: the mock LLM over TLS with nginx's certificate (start_nginx
# first); its port lands in $OUT/NAME.ready.
start_mock() {
    name=$1; shift
    serve "$name" python3 tests/servers/mock_llm.py --cert "$NGINX_DIR/server.pem" --key "$NGINX_DIR/server.key" "$@"
}

# The mock LLM overloaded (10 requests/s, 429 beyond); exports LLMRES_MOCK_PORT.
start_mock_busy() {
    start_mock mock_busy --capacity 10 --latency-ms 30 --jitter-ms 40 --seed 3 || return 1
    LLMRES_MOCK_PORT=$(cat "$OUT/mock_busy.ready"); export LLMRES_MOCK_PORT
}

# The mock LLM failing its streams after two pieces; exports LLMRES_MOCK_STREAM_ERROR_PORT.
start_mock_stream_error() {
    start_mock mock_stream_error --stream-error-after 2 || return 1
    LLMRES_MOCK_STREAM_ERROR_PORT=$(cat "$OUT/mock_stream_error.ready"); export LLMRES_MOCK_STREAM_ERROR_PORT
}

# The mock LLM serving 2 requests/s, Anthropic's 429 beyond; exports LLMRES_MOCK_A429_PORT.
start_mock_a429() {
    start_mock mock_a429 --capacity 2 --overload anthropic-429 --seed 5 || return 1
    LLMRES_MOCK_A429_PORT=$(cat "$OUT/mock_a429.ready"); export LLMRES_MOCK_A429_PORT
}

# The hostile server (tests/servers/hostile_server.py); exports LLMRES_HOSTILE_PORT.
start_hostile() {
    serve hostile python3 tests/servers/hostile_server.py --stall-max 10 || return 1
    LLMRES_HOSTILE_PORT=$(cat "$OUT/hostile.ready"); export LLMRES_HOSTILE_PORT
}

# start_servers_for NAME: what test NAME needs, nothing for a unit test.
start_servers_for() {
    case $1 in
    integration) start_fault ;;
    hostile) start_hostile ;;
    soak) start_nginx && start_mock mock_soak && LLMRES_MOCK_PORT=$(cat "$OUT/mock_soak.ready") && export LLMRES_MOCK_PORT ;;
    tls) start_fault && start_nginx && start_fault_tls ;;
    llm_tls) start_nginx && start_mock_busy && start_mock_stream_error && start_mock_a429 ;;
    esac
}

# stop_servers: every server started above, by its PID; nginx by the PID in its folder.
stop_servers() {
    for pid in $SERVER_PIDS; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    SERVER_PIDS=""
    if [ -n "$NGINX_STARTED" ]; then sh tests/servers/nginx.sh stop "$NGINX_DIR" >/dev/null 2>&1; fi
    NGINX_STARTED=""
}

# fuzz_seeds DIR: the provider vectors as fuzz inputs, each after a byte 3, which picks
# the size of the pieces the target feeds the parser (tests/fuzz/fuzz_http.c).
fuzz_seeds() {
    mkdir -p "$1"
    for f in "${LLMRES_VECTORS:-tests/vectors}"/*.http "${LLMRES_VECTORS:-tests/vectors}"/*.sse; do
        if [ -f "$f" ]; then { printf '\003'; cat "$f"; } >"$1/$(basename "$f")"; fi
    done
}
