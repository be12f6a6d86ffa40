/* Speed of the primitives. `bench` prints nanoseconds per operation (median of 9 runs);
   `bench OP N` runs only N operations of OP, for tests/bench/bench_instr.sh to count
   instructions with callgrind. The library is a separate object (tests/bench/bench_impl.c),
   as in a user's build, so every operation is a real call. */
#define _POSIX_C_SOURCE 199309L
#include "../../llmres.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY_BYTES 256
#define VALUE_BYTES 64

static llmres_bucket_t bucket;
static llmres_breaker_t breaker;
static llmres_backoff_t backoff;
static llmres_cache_t cache;
static llmres_queue_t queue;
static uint8_t key[32][KEY_BYTES], value[VALUE_BYTES], out[VALUE_BYTES], miss_key[KEY_BYTES];
static volatile uint32_t sink;

static void setup(void) {
    int i, j;
    llmres_bucket_init(&bucket, 0, 1000000, 1000, 1);
    llmres_breaker_init(&breaker, NULL);
    llmres_backoff_init(&backoff, NULL);
    llmres_cache_init(&cache, 0);
    llmres_queue_init(&queue, 0);
    for (i = 0; i < 32; i++)
        for (j = 0; j < KEY_BYTES; j++) key[i][j] = (uint8_t)("{\"model\":\"gpt\",\"messages\":"[j % 26] + i * (j == KEY_BYTES - 1));
    memcpy(miss_key, key[0], KEY_BYTES);
    miss_key[KEY_BYTES - 1] ^= 0x55;
    memset(value, 'v', sizeof(value));
    llmres_cache_put(&cache, 0, key[0], KEY_BYTES, value, VALUE_BYTES, 0);
}

static void run(const char *op, uint32_t n) {
    uint32_t i, now = 0, len = 0, acc = 0;
    llmres_qitem_t it, back;
    memset(&it, 0, sizeof(it));
    it.user = &it;
    if (!strcmp(op, "bucket_take")) {
        for (i = 0; i < n; i++) acc += (uint32_t)llmres_bucket_take(&bucket, ++now, 1);
    } else if (!strcmp(op, "breaker_allow_record")) {
        for (i = 0; i < n; i++) {
            acc += (uint32_t)llmres_breaker_allow(&breaker, now);
            acc += (uint32_t)llmres_breaker_record(&breaker, now, LLMRES_OUTCOME_SUCCESS, 20);
        }
    } else if (!strcmp(op, "backoff_next")) {
        for (i = 0; i < n; i++) acc += (uint32_t)llmres_backoff_next(&backoff, 0, LLMRES_NEVER);
    } else if (!strcmp(op, "cache_get_hit")) {
        for (i = 0; i < n; i++) acc += (uint32_t)llmres_cache_get(&cache, now, key[0], KEY_BYTES, out, sizeof(out), &len);
    } else if (!strcmp(op, "cache_get_miss")) {
        for (i = 0; i < n; i++) acc += (uint32_t)llmres_cache_get(&cache, now, miss_key, KEY_BYTES, out, sizeof(out), &len);
    } else if (!strcmp(op, "cache_put")) {
        /* 32 keys over 16 entries: every put evicts, as in a full cache */
        for (i = 0; i < n; i++) acc += (uint32_t)llmres_cache_put(&cache, now, key[i & 31], KEY_BYTES, value, VALUE_BYTES, 0);
    } else if (!strcmp(op, "queue_push_pop")) {
        for (i = 0; i < n; i++) {
            it.priority = (uint8_t)(i & 3);
            acc += (uint32_t)llmres_queue_push(&queue, now, &it, &back);
            acc += (uint32_t)llmres_queue_pop(&queue, now, &back);
        }
    } else {
        fprintf(stderr, "unknown op %s\n", op);
        exit(2);
    }
    sink = acc + len;
}

static const char *ops[] = {"bucket_take", "breaker_allow_record", "backoff_next", "cache_get_hit",
                            "cache_get_miss", "cache_put", "queue_push_pop"};

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    size_t k;
    setup();
    if (argc == 3) {
        run(argv[1], (uint32_t)strtoul(argv[2], NULL, 10));
        return 0;
    }
    printf("| operation | ns/op (median of 9 runs of 1,000,000) |\n|---|---:|\n");
    for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        double t[9];
        int r;
        run(ops[k], 100000); /* warm up */
        for (r = 0; r < 9; r++) {
            double t0 = now_ns();
            run(ops[k], 1000000);
            t[r] = (now_ns() - t0) / 1e6;
        }
        qsort(t, 9, sizeof(t[0]), cmp_double);
        printf("| %s | %.1f |\n", ops[k], t[4]);
    }
    return 0;
}
