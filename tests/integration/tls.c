/* TLS through mbedTLS against real servers on 127.0.0.1: nginx (tests/servers/nginx.sh,
   with a CA and certificates made at test time) and the fault server over TLS. Started
   by tests/common.sh for make test and make check, which passes where they are in the
   environment. Host name "localhost": mbedTLS 2.28 does not match IP addresses in
   certificates. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_posix.h"
#include "../../port/llmres_mbedtls.h"
#include "../test.h"
#include <stdlib.h>

static llmres_port_t port;
static llmres_posix_t posix;
static llmres_mbedtls_t tls;
static llmres_http_client_t client;
static llmres_http_response_t resp;
static uint8_t body[8192];
static const char *dir;
static uint16_t nginx_port, wronghost_port, selfsigned_port, fault_tls_port, fault_plain_port;

static uint16_t env_port(const char *name) {
    const char *v = getenv(name);
    return (uint16_t)(v ? atoi(v) : 0);
}

static int get_on(llmres_http_client_t *c, uint16_t p, const char *path, uint32_t timeout_ms, llmres_body_fn fn, void *user) {
    llmres_http_request_t q;
    memset(&q, 0, sizeof(q));
    q.method = "GET";
    q.host = "localhost";
    q.port = p;
    q.tls = 1;
    q.path = path;
    llmres_http_response_init(&resp, fn ? NULL : body, fn ? 0 : sizeof(body), fn, user, 0);
    return llmres_http_exchange(c, &q, &resp, timeout_ms);
}

static int get(uint16_t p, const char *path, uint32_t timeout_ms) { return get_on(&client, p, path, timeout_ms, NULL, NULL); }

static void hundred_requests_one_handshake(void) {
    uint32_t hs = tls.handshakes, connects = client.connects;
    int i, ok = 0;
    for (i = 0; i < 100; i++) ok += get(nginx_port, "/json1k", 5000) == 200 && resp.body_len == 1024;
    CHECK_EQ(ok, 100);
    CHECK_EQ(tls.handshakes - hs, 1);
    CHECK_EQ(client.connects - connects, 1);
    CHECK(memcmp(body, "{\"id\":\"json1k\"", 14) == 0);
}

static void chunked_body_from_nginx(void) {
    static const char fill[3] = {'x', 'y', 'z'};
    int i, good = 1;
    CHECK_EQ(get(nginx_port, "/chunked", 5000), 200);
    CHECK(resp.flags & LLMRES_HTTP_CHUNKED);
    CHECK_EQ(resp.body_len, 3072);
    for (i = 0; i < 3; i++) {
        const uint8_t *part = body + i * 1024;
        size_t k;
        char head[32];
        snprintf(head, sizeof(head), "chunk-%d:", i + 1);
        if (memcmp(part, head, 8) != 0 || part[1023] != '\n') good = 0;
        for (k = 8; k < 1023; k++) if (part[k] != fill[i]) good = 0;
    }
    CHECK(good);
}

typedef struct { size_t n; uint32_t sum; } digest_t;
static int digest(void *user, const uint8_t *data, size_t len) {
    digest_t *d = (digest_t *)user;
    size_t i;
    for (i = 0; i < len; i++) d->sum = d->sum * 31u + data[i];
    d->n += len;
    return 0;
}

static void one_megabyte_through_the_callback(void) {
    digest_t got = {0, 0}, want = {0, 0};
    char path[512];
    static uint8_t file[1 << 20];
    FILE *f;
    snprintf(path, sizeof(path), "%s/www/big", dir);
    f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) return;
    digest(&want, file, fread(file, 1, sizeof(file), f));
    fclose(f);
    CHECK_EQ(get_on(&client, nginx_port, "/big", 20000, digest, &got), 200);
    CHECK_EQ(got.n, 1048576);
    CHECK_EQ(want.n, 1048576);
    CHECK(got.sum == want.sum);
}

static void bad_certificates_are_refused_with_reasons(void) {
    CHECK_EQ(get(wronghost_port, "/json1k", 5000), LLMRES_ERR_CERT);
    CHECK(strstr(llmres_mbedtls_reason(&tls), "CN") != NULL); /* host-name mismatch */
    printf("    wrong host: %s", llmres_mbedtls_reason(&tls));
    CHECK_EQ(get(selfsigned_port, "/json1k", 5000), LLMRES_ERR_CERT);
    CHECK(strstr(llmres_mbedtls_reason(&tls), "trusted") != NULL);
    printf("    self-signed: %s", llmres_mbedtls_reason(&tls));
    /* plain HTTP where TLS was expected: the server waits for a request line that a
       ClientHello never ends, so the handshake times out, within its bound; never
       plaintext */
    CHECK_EQ(get(fault_plain_port, "/ok", 700), LLMRES_ERR_TIMEOUT);
    CHECK(strstr(llmres_mbedtls_reason(&tls), "handshake") != NULL);
    printf("    plain HTTP server: %s\n", llmres_mbedtls_reason(&tls));
}

static void ca_from_buffers_and_none(void) {
    static llmres_mbedtls_t t2;
    static llmres_http_client_t c2;
    static uint8_t der[4096];
    char path[512];
    size_t n;
    FILE *f;
    snprintf(path, sizeof(path), "%s/ca.der", dir);
    f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) return;
    n = fread(der, 1, sizeof(der), f);
    fclose(f);
    /* no CA: refused, never unverified */
    CHECK_EQ(llmres_mbedtls_init(&t2, &port, &port.tcp), LLMRES_OK);
    CHECK_EQ(llmres_http_client_init(&c2, &port, &t2.transport), LLMRES_OK);
    CHECK_EQ(get_on(&c2, nginx_port, "/json1k", 5000, NULL, NULL), LLMRES_ERR_CERT);
    /* a DER buffer, as from flash */
    CHECK_EQ(llmres_mbedtls_ca_buffer(&t2, der, n), LLMRES_OK);
    CHECK_EQ(get_on(&c2, nginx_port, "/json1k", 5000, NULL, NULL), 200);
    CHECK_EQ(llmres_mbedtls_ca_buffer(&t2, "not a certificate", 18), LLMRES_ERR_CERT);
    llmres_http_client_close(&c2);
    llmres_mbedtls_free(&t2);
}

/* nginx closes idle keep-alive connections after 1 s here: the next request finds the
   connection gone, reconnects transparently, and resumes the TLS session. */
static void idle_close_reconnects_and_resumes(void) {
    uint32_t hs, resumed;
    CHECK_EQ(get(nginx_port, "/json1k", 5000), 200);
    hs = tls.handshakes;
    resumed = tls.resumed;
    port.sleep_ms(port.ctx, 1600);
    CHECK_EQ(get(nginx_port, "/json1k", 5000), 200);
    CHECK_EQ(tls.handshakes - hs, 1);
    CHECK_EQ(tls.resumed - resumed, 1);
}

/* An inner transport that passes through to TCP, or refuses the next connect the way a
   connect in steps does: from send. */
static int refuse_next;
static int wrap_open(void *ctx, const char *host, uint16_t at, uint32_t timeout_ms) {
    return port.tcp.open(ctx, host, at, timeout_ms);
}
static int wrap_send(void *ctx, int conn, const void *buf, size_t len, uint32_t timeout_ms) {
    if (refuse_next) return LLMRES_ERR_CONNECT;
    return port.tcp.send(ctx, conn, buf, len, timeout_ms);
}
static int wrap_recv(void *ctx, int conn, void *buf, size_t len, uint32_t timeout_ms) {
    if (refuse_next) return LLMRES_ERR_CONNECT;
    return port.tcp.recv(ctx, conn, buf, len, timeout_ms);
}
static void wrap_close(void *ctx, int conn) { port.tcp.close(ctx, conn); }

/* A connect that fails (a refusal, a name, no route) says nothing of the TLS session:
   the next connection resumes it rather than pay a full handshake after every outage. */
static void a_failed_connect_keeps_the_session(void) {
    static llmres_mbedtls_t t3;
    static llmres_http_client_t c3;
    static llmres_transport_t wrap;
    char path[512];
    memset(&wrap, 0, sizeof(wrap));
    wrap.ctx = port.tcp.ctx;
    wrap.open = wrap_open; wrap.send = wrap_send; wrap.recv = wrap_recv; wrap.close = wrap_close;
    wrap.flags = LLMRES_TRANSPORT_ASYNC_OPEN;
    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    CHECK_EQ(llmres_mbedtls_init(&t3, &port, &wrap), LLMRES_OK);
    CHECK_EQ(llmres_mbedtls_ca_file(&t3, path), LLMRES_OK);
    CHECK_EQ(llmres_http_client_init(&c3, &port, &t3.transport), LLMRES_OK);
    CHECK_EQ(get_on(&c3, nginx_port, "/json1k", 5000, NULL, NULL), 200);
    llmres_http_client_close(&c3);
    refuse_next = 1;
    CHECK_EQ(get_on(&c3, nginx_port, "/json1k", 5000, NULL, NULL), LLMRES_ERR_CONNECT);
    refuse_next = 0;
    CHECK_EQ(get_on(&c3, nginx_port, "/json1k", 5000, NULL, NULL), 200);
    CHECK_EQ(t3.handshakes, 2);
    CHECK_EQ(t3.resumed, 1);
    llmres_http_client_close(&c3);
    llmres_mbedtls_free(&t3);
}

static void faults_over_tls(void) {
    uint32_t t0, took;
    CHECK_EQ(get(fault_tls_port, "/ok", 5000), 200);
    CHECK_EQ(get(fault_tls_port, "/chunked/5000", 5000), 200);
    CHECK_EQ(resp.body_len, 5000);
    CHECK_EQ(get(fault_tls_port, "/reset-mid-body", 5000), LLMRES_ERR_IO);
    CHECK_EQ(get(fault_tls_port, "/truncated-chunked", 5000), LLMRES_ERR_TRUNCATED);
    CHECK_EQ(get(fault_tls_port, "/garbage", 5000), LLMRES_ERR_BAD_HTTP);
    t0 = port.now_ms(port.ctx);
    CHECK_EQ(get(fault_tls_port, "/stall", 400), LLMRES_ERR_TIMEOUT);
    took = port.now_ms(port.ctx) - t0;
    CHECK(took >= 400 && took < 800);
    CHECK_EQ(get(fault_tls_port, "/ok", 5000), 200);
}

#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) && defined(LLMRES_MBEDTLS_HEAP_BYTES)
/* Built against an mbedTLS with the buffer allocator: everything came from llmres's
   static pool, and the pool is intact. */
static void static_pool_is_intact(void) {
    CHECK_EQ(mbedtls_memory_buffer_alloc_verify(), 0);
}
#endif

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    dir = getenv("LLMRES_NGINX_DIR");
    nginx_port = env_port("LLMRES_NGINX_PORT");
    wronghost_port = env_port("LLMRES_NGINX_PORT_WRONGHOST");
    selfsigned_port = env_port("LLMRES_NGINX_PORT_SELFSIGNED");
    fault_tls_port = env_port("LLMRES_FAULT_TLS_PORT");
    fault_plain_port = env_port("LLMRES_FAULT_PORT");
    if (!dir || !nginx_port || !fault_tls_port || !fault_plain_port) {
        printf("FAIL tls: servers not given (make check T=tls starts them)\n");
        return 1;
    }
    {
        char ca[512];
        snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
        if (llmres_posix_init(&port, &posix) != LLMRES_OK || llmres_mbedtls_init(&tls, &port, &port.tcp) != LLMRES_OK ||
            llmres_mbedtls_ca_file(&tls, ca) != LLMRES_OK ||
            llmres_http_client_init(&client, &port, &tls.transport) != LLMRES_OK) {
            printf("FAIL tls: init: %s\n", tls.reason);
            return 1;
        }
    }
    RUN(hundred_requests_one_handshake);
    RUN(chunked_body_from_nginx);
    RUN(one_megabyte_through_the_callback);
    RUN(bad_certificates_are_refused_with_reasons);
    RUN(ca_from_buffers_and_none);
    RUN(idle_close_reconnects_and_resumes);
    RUN(a_failed_connect_keeps_the_session);
    RUN(faults_over_tls);
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) && defined(LLMRES_MBEDTLS_HEAP_BYTES)
    RUN(static_pool_is_intact);
#endif
    printf("    mbedTLS %s\n", MBEDTLS_VERSION_STRING);
    llmres_http_client_close(&client);
    llmres_mbedtls_free(&tls);
    return T_DONE();
}
