/* A file that sees other size macros than the library: every init must refuse. */
#define LLMRES_MAX_QUEUE 8
#define LLMRES_MAX_CACHE_ENTRIES 4
#define LLMRES_MAX_BREAKER_WINDOW 8
#define LLMRES_MAX_PROVIDERS 3
#define LLMRES_HTTP_RX_BYTES 512
#define LLMRES_CLIENT_BODY_BYTES 4096
#define LLMRES_DISPATCH_SLOTS 2
#include "../../llmres.h"
#include <stdio.h>

int main(void) {
    static llmres_queue_t q;
    static llmres_cache_t c;
    static llmres_breaker_t b;
    static llmres_http_client_t h;
    static llmres_client_t cl;
    static llmres_worker_t w;
    static llmres_dispatch_t d;
    static llmres_stats_t st;
    static llmres_port_t port;
    static llmres_provider_t p;
    llmres_worker_t *ws[1];
    int rq = llmres_queue_init(&q, 0), rc = llmres_cache_init(&c, 0), rb = llmres_breaker_init(&b, NULL);
    int rh = llmres_http_client_init(&h, &port, NULL), rcl = llmres_client_init(&cl, &port, NULL, NULL, &p, 1);
    int rw = llmres_worker_init(&w, &cl, NULL), rd, rs;
    ws[0] = &w;
    rd = llmres_dispatch_init(&d, &cl, ws, 1);
    rs = llmres_client_stats(&cl, &st);
    printf("queue %d, cache %d, breaker %d, http %d, client %d, worker %d, dispatch %d, stats %d\n", rq, rc, rb, rh, rcl, rw,
           rd, rs);
    return rq == LLMRES_ERR_SIZE_MISMATCH && rc == LLMRES_ERR_SIZE_MISMATCH && rb == LLMRES_ERR_SIZE_MISMATCH &&
           rh == LLMRES_ERR_SIZE_MISMATCH && rcl == LLMRES_ERR_SIZE_MISMATCH && rw == LLMRES_ERR_SIZE_MISMATCH &&
           rd == LLMRES_ERR_SIZE_MISMATCH && rs == LLMRES_ERR_SIZE_MISMATCH ? 0 : 1;
}
