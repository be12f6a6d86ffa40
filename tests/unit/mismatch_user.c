/* A file that sees other size macros than the library: every init must refuse. */
#define LLMRES_MAX_QUEUE 8
#define LLMRES_MAX_CACHE_ENTRIES 4
#define LLMRES_MAX_BREAKER_WINDOW 8
#include "../../llmres.h"
#include <stdio.h>

int main(void) {
    static llmres_queue_t q;
    static llmres_cache_t c;
    static llmres_breaker_t b;
    int rq = llmres_queue_init(&q, 0), rc = llmres_cache_init(&c, 0), rb = llmres_breaker_init(&b, NULL);
    printf("queue %d, cache %d, breaker %d\n", rq, rc, rb);
    return rq == LLMRES_ERR_SIZE_MISMATCH && rc == LLMRES_ERR_SIZE_MISMATCH && rb == LLMRES_ERR_SIZE_MISMATCH ? 0 : 1;
}
