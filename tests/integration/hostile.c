/* The whole client (llmres_call over the POSIX port) against a hostile server
   (tests/servers/hostile_server.py, started on 127.0.0.1 by tests/common.sh, its port in
   LLMRES_HOSTILE_PORT): an endless header line, 100,000 headers, huge Content-Lengths
   then a stall, a chunk size of FFFFFFFFFFFFFFFF, an SSE event that never ends, a
   retry-after of 999999999, a drip of one byte a second, a 301 to another host. Each
   must end in its own error and class by its deadline, with no open descriptor and no
   memory left behind (the client's buffers are fixed: RSS must not grow), and the next
   ordinary call on the same client and worker must be answered. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_posix.h"
#include "../test.h"
#include <dirent.h>
#include <stdlib.h>

/* ASan's allocator and shadow grow on their own: memory is checked in plain builds */
#if defined(__SANITIZE_ADDRESS__)
#define MEMORY_CHECKED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MEMORY_CHECKED 0
#endif
#endif
#ifndef MEMORY_CHECKED
#define MEMORY_CHECKED 1
#endif

#define SLACK_MS 500u /* a loaded, shared machine: scheduling, the server's Python */

static llmres_port_t port;
static llmres_posix_t posix;
static llmres_client_t client;
static llmres_worker_t worker;
static uint16_t hostile_port;
static const char *api_key = "sk-hostile-0123456789abcdef";
static long base_fds, base_rss;

/* Open descriptors of this process (the directory's own counts every time alike). */
static long open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    if (!d) return -1;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

/* Resident pages that are not file-backed (/proc/self/statm: resident - shared): what
   the process allocated and touched, without the pages of code run for the first time. */
static long rss_pages(void) {
    long size = 0, rss = -1, shared = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld %ld", &size, &rss, &shared) != 3) rss = shared = -1;
    fclose(f);
    return rss - shared;
}

static char streamed[64];
static size_t streamed_len;
static void on_text(void *user, const char *t, size_t n) {
    (void)user;
    if (!t) { streamed_len = 0; return; }
    if (streamed_len + n < sizeof(streamed)) { memcpy(streamed + streamed_len, t, n); streamed_len += n; }
}

/* One call through the client; *took: its wall time in ms. */
static int call(const char *prompt, int stream, uint32_t timeout_ms, llmres_result_t *res, uint32_t *took) {
    static char text[512];
    llmres_call_t c;
    uint32_t t0 = port.now_ms(port.ctx);
    int rc;
    llmres_call_init(&c, prompt, text, sizeof(text));
    c.timeout_ms = timeout_ms;
    if (stream) { c.on_text = on_text; streamed_len = 0; }
    rc = llmres_call(&client, &worker, &c, res);
    *took = port.now_ms(port.ctx) - t0;
    if (rc == LLMRES_OK) CHECK(strcmp(text, "echo: hello after") == 0 || strcmp(text, "echo: first") == 0);
    return rc;
}

/* The next ordinary calls are answered, and nothing is left open or grown. Three of
   them: a case fails twice (an attempt and its retry), and the breaker, rightly, opens
   on a provider that fails half its calls (of 10 or more). */
static void usable_after(const char *name) {
    llmres_result_t res;
    uint32_t took;
    long fds, rss;
    int i, rc;
    for (i = 0; i < 3; i++) {
        rc = call("hello after", 0, 5000, &res, &took);
        if (rc != LLMRES_OK) printf("  after %s: the next call ended in %s, class %s\n", name, llmres_strerror(rc), llmres_class_name(res.cls));
        CHECK_EQ(rc, LLMRES_OK);
    }
    fds = open_fds();
    rss = rss_pages();
    if (fds != base_fds) printf("  after %s: %ld descriptors open, %ld at the start\n", name, fds, base_fds);
    CHECK_EQ(fds, base_fds);
    /* two pages of noise (stdio, the allocator's bookkeeping); buffers that grew would be
       tens to thousands of pages against these servers */
    if (MEMORY_CHECKED && rss > base_rss + 2) printf("  after %s: RSS %ld pages, %ld at the start\n", name, rss, base_rss);
    CHECK(!MEMORY_CHECKED || rss <= base_rss + 2);
}

/* A hostile case: the error and class it must end in, by its deadline (plus slack),
   and not before min_ms (the stalls take their deadline; nothing else should wait). */
static void hostile(const char *mode, int stream, uint32_t deadline, int want_err, int want_cls, uint32_t min_ms,
                    uint32_t max_ms) {
    char prompt[64];
    llmres_result_t res;
    uint32_t took;
    int rc;
    snprintf(prompt, sizeof(prompt), "hostile:%s", mode);
    rc = call(prompt, stream, deadline, &res, &took);
    printf("  %-15s %-28s class %-18s status %4d, %u attempt(s), %5u ms (deadline %u)\n", mode, llmres_strerror(rc),
           llmres_class_name(res.cls), res.status, (unsigned)res.attempts, (unsigned)took, (unsigned)deadline);
    CHECK_EQ(rc, want_err);
    CHECK_EQ(res.error, want_err);
    CHECK_EQ(res.cls, want_cls);
    CHECK(res.attempts >= 1);
    CHECK(took >= min_ms);
    CHECK(took <= max_ms);
    CHECK(took <= deadline + SLACK_MS);
    usable_after(mode);
}

/* Writes every byte of a static struct back to itself, so that all its pages are
   resident from now on: a buffer filled for the first time later is not growth. */
static void touch(void *p, size_t n) {
    volatile uint8_t *b = (volatile uint8_t *)p;
    size_t i;
    for (i = 0; i < n; i++) b[i] = b[i];
}

static void first_call_answers(void) {
    llmres_result_t res;
    uint32_t took;
    CHECK_EQ(call("first", 0, 5000, &res, &took), LLMRES_OK);
    /* the baseline: one keep-alive connection open, every buffer resident */
    touch(&client, sizeof(client));
    touch(&worker, sizeof(worker));
    base_fds = open_fds();
    base_rss = rss_pages();
    CHECK(base_fds > 0 && base_rss > 0);
}

static void endless_header_line(void) {
    /* HEADER_TOO_LONG after LLMRES_HTTP_MAX_LINE bytes: malformed HTTP, a server error */
    hostile("endless-header", 0, 5000, LLMRES_ERR_HEADER_TOO_LONG, LLMRES_CLASS_SERVER_ERROR, 0, 2000);
}

static void a_hundred_thousand_headers(void) {
    hostile("many-headers", 0, 5000, LLMRES_ERR_TOO_MANY_HEADERS, LLMRES_CLASS_SERVER_ERROR, 0, 2000);
}

static void huge_content_length_then_stall(void) {
    /* a length over 32 bits is malformed at once; one that fits (4 GB) waits for bytes
       that never come, until the deadline, and not past it */
    hostile("huge-length", 0, 3000, LLMRES_ERR_BAD_HTTP, LLMRES_CLASS_SERVER_ERROR, 0, 2000);
    hostile("big-length", 0, 2000, LLMRES_ERR_TIMEOUT, LLMRES_CLASS_TIMEOUT, 2000, 2000 + SLACK_MS);
}

static void chunk_size_of_sixteen_fs(void) {
    hostile("chunk-ffff", 0, 5000, LLMRES_ERR_BAD_HTTP, LLMRES_CLASS_SERVER_ERROR, 0, 2000);
}

static void sse_event_that_never_ends(void) {
    /* the event outgrows the worker's body buffer (LLMRES_CLIENT_BODY_BYTES) */
    hostile("sse-endless", 1, 5000, LLMRES_ERR_TOO_LARGE, LLMRES_CLASS_PERMANENT, 0, 2000);
    CHECK_EQ(streamed_len, 0);
}

/* 999999999 s is longer than the client waits: the call gives up at once, and the
   provider is held for LLM_RETRY_AFTER_MAX_MS (1 s here), not for 31 years nor not at all. */
static void retry_after_999999999(void) {
    llmres_result_t res;
    uint32_t took;
    int rc = call("hostile:retry-after", 0, 5000, &res, &took);
    printf("  retry-after     %s, class %s, %u attempt(s), %u ms\n", llmres_strerror(rc), llmres_class_name(res.cls),
           (unsigned)res.attempts, (unsigned)took);
    CHECK_EQ(rc, LLMRES_ERR_PROVIDER);
    CHECK_EQ(res.cls, LLMRES_CLASS_RATE_LIMIT);
    CHECK_EQ(res.attempts, 1);
    CHECK(took < 1000);
    rc = call("hello after", 0, 5000, &res, &took); /* held for the 1 s, then answered */
    CHECK_EQ(rc, LLMRES_OK);
    CHECK(took >= 900 && took <= 1000 + SLACK_MS);
    usable_after("retry-after");
}

static void one_byte_a_second(void) {
    /* a whole answer would take minutes: the deadline ends it, not later */
    hostile("drip", 0, 2500, LLMRES_ERR_TIMEOUT, LLMRES_CLASS_TIMEOUT, 2500, 2500 + SLACK_MS);
}

/* The hostile server's counters, read over a plain HTTP client of our own. */
static int server_stats(char *out, size_t cap) {
    static llmres_http_client_t h;
    static llmres_http_response_t resp;
    llmres_http_request_t q;
    int rc;
    memset(&q, 0, sizeof(q));
    q.method = "GET"; q.host = "127.0.0.1"; q.port = hostile_port; q.path = "/_stats";
    if (llmres_http_client_init(&h, &port, NULL) != LLMRES_OK) return -1;
    llmres_http_response_init(&resp, out, cap - 1, NULL, NULL, 0);
    rc = llmres_http_exchange(&h, &q, &resp, 5000);
    out[rc == 200 ? resp.body_len : 0] = 0;
    llmres_http_client_close(&h);
    return rc;
}

static void redirect_to_another_host(void) {
    char stats[2048];
    /* a 3xx is no answer: it is not followed, and the key goes nowhere else */
    hostile("redirect", 0, 5000, LLMRES_ERR_PROVIDER, LLMRES_CLASS_UNKNOWN, 0, 2000);
    port.sleep_ms(port.ctx, 200); /* anything that had gone there would be counted by now */
    CHECK_EQ(server_stats(stats, sizeof(stats)), 200);
    CHECK(strstr(stats, "\"redirect\": 1") != NULL); /* the 301 was sent, once */
    CHECK(strstr(stats, "\"elsewhere_connections\": 0,") != NULL);
    CHECK(strstr(stats, "\"key_elsewhere\": 0") != NULL);
    if (!strstr(stats, "\"elsewhere_connections\": 0,")) printf("  server: %s\n", stats);
}

int main(int argc, char **argv) {
    const char *p = getenv("LLMRES_HOSTILE_PORT");
    llmres_provider_t prov;
    llmres_config_t cfg;
    T_INIT(argc, argv);
    if (!p) { printf("FAIL hostile: LLMRES_HOSTILE_PORT not set (make check T=hostile starts the server)\n"); return 1; }
    hostile_port = (uint16_t)atoi(p);
    memset(&prov, 0, sizeof(prov));
    prov.format = LLMRES_PROVIDER_OPENAI;
    prov.host = "127.0.0.1";
    prov.port = hostile_port;
    prov.api_key = api_key;
    prov.model = "mock";
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;          /* as fast as the cases come */
    cfg.max_retries = 1;        /* a retried class is tried twice: both attempts end in time */
    cfg.backoff_base_ms = 100;
    cfg.backoff_max_ms = 200;
    cfg.retry_budget_pct = 0;   /* the budget and the throttle would refuse the retries and */
    cfg.throttle_k_milli = 0;   /* the calls after a run of failures (tests/unit/overload.c) */
    cfg.retry_after_max_ms = 1000; /* a provider's long wait holds the others this long */
    if (llmres_posix_init(&port, &posix) != LLMRES_OK || llmres_client_init(&client, &port, NULL, &cfg, &prov, 1) != LLMRES_OK ||
        llmres_worker_init(&worker, &client, NULL) != LLMRES_OK) {
        printf("FAIL hostile: init\n");
        return 1;
    }
    RUN(first_call_answers);
    RUN(endless_header_line);
    RUN(a_hundred_thousand_headers);
    RUN(huge_content_length_then_stall);
    RUN(chunk_size_of_sixteen_fs);
    RUN(sse_event_that_never_ends);
    RUN(retry_after_999999999);
    RUN(one_byte_a_second);
    RUN(redirect_to_another_host);
    llmres_worker_close(&worker);
    return T_DONE();
}
