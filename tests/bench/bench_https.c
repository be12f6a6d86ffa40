/* N sequential HTTPS GETs over one keep-alive connection with llmres (POSIX port and
   mbedTLS), for the side-by-side comparison with tests/bench/bench_curl.c run by
   tests/bench/bench_https.sh. Prints: requests/s, handshakes, peak RSS in KB. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_posix.h"
#include "../../port/llmres_mbedtls.h"
#include <stdio.h>
#include <stdlib.h>
#include "bench_rss.h"


int main(int argc, char **argv) {
    static llmres_port_t port;
    static llmres_posix_t posix;
    static llmres_mbedtls_t tls;
    static llmres_http_client_t client;
    static llmres_http_response_t resp;
    static uint8_t body[4096];
    llmres_http_request_t q;
    int n, i, ok = 0;
    uint32_t t0, ms;
    if (argc != 4) { fprintf(stderr, "usage: bench_https PORT CA.pem N\n"); return 2; }
    n = atoi(argv[3]);
    if (llmres_posix_init(&port, &posix) || llmres_mbedtls_init(&tls, &port, &port.tcp) ||
        llmres_mbedtls_ca_file(&tls, argv[2]) || llmres_http_client_init(&client, &port, &tls.transport)) {
        fprintf(stderr, "init failed: %s\n", tls.reason);
        return 1;
    }
    memset(&q, 0, sizeof(q));
    q.method = "GET"; q.host = "localhost"; q.port = (uint16_t)atoi(argv[1]); q.tls = 1; q.path = "/json1k";
    t0 = port.now_ms(port.ctx);
    for (i = 0; i < n; i++) {
        llmres_http_response_init(&resp, body, sizeof(body), NULL, NULL, 0);
        ok += llmres_http_exchange(&client, &q, &resp, 10000) == 200 && resp.body_len == 1024;
    }
    ms = port.now_ms(port.ctx) - t0;
    printf("llmres %d/%d ok, %.0f req/s, %u handshakes, peak RSS %ld KB\n", ok, n, ms ? n * 1000.0 / ms : 0.0,
           (unsigned)tls.handshakes, peak_rss_kb());
    llmres_http_client_close(&client);
    llmres_mbedtls_free(&tls);
    return ok == n ? 0 : 1;
}
