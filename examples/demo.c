/* The demo behind `make demo`: 200 requests from 4 threads through llmres, over TLS, to a
   local mock LLM server that is overloaded (offered more than its capacity, with one
   outage window). The chain is the OpenAI-compatible endpoint, then the Ollama one.
   Prints what happened. Usage: demo PORT CA.pem (LLMRES_DEMO_HOST names the mock's host,
   localhost by default: tests/lossy puts it across a bad link). */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../llmres.h"
#include "../port/llmres_posix.h"
#include "../port/llmres_mbedtls.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4
#define PER_THREAD 50
#define CALLS (THREADS * PER_THREAD)
#define DEADLINE_MS 20000u      /* each request's, from its first ask, re-asks included */
#define DEADLINE_SLACK_MS 100u  /* the scheduler's: a result this much late still counts as on time */

static llmres_port_t port;
static llmres_posix_t posix;
static llmres_client_t client;
static llmres_mbedtls_t tls[THREADS];   /* a TLS transport per thread: they are not shared */
static llmres_worker_t workers[THREADS];
static llmres_stats_t stats;            /* the library's own counts, histograms, health */
static int outcome[CALLS];              /* LLMRES_CLASS_* of each call's result */
static int results[CALLS];              /* how many results each call got: must be 1 */
static uint32_t took[CALLS];            /* from the first ask to the result, ms: at most DEADLINE_MS */
static const char *host = "localhost";  /* LLMRES_DEMO_HOST: the mock elsewhere (tests/lossy) */
static uint32_t asked_again[THREADS];   /* calls the client shed, asked again after the wait it told */

static void *run(void *arg) {
    int t = (int)(intptr_t)arg, i;
    for (i = 0; i < PER_THREAD; i++) {
        int n = t * PER_THREAD + i;
        char prompt[64], text[512];
        llmres_llm_message_t msg;
        llmres_call_t call;
        llmres_result_t res;
        uint32_t spent, began = port.now_ms(port.ctx);
        snprintf(prompt, sizeof(prompt), "Sensor %d reads %d C. Anything odd?", n % 40, 20 + n % 40 % 7);
        msg.role = "user";
        msg.content = prompt;
        memset(&call, 0, sizeof(call));
        call.messages = &msg;
        call.message_count = 1;
        call.max_tokens = 64;
        call.temperature_milli = n % 2 == 0 ? 0 : 700; /* half are deterministic: cacheable */
        call.timeout_ms = DEADLINE_MS;
        call.text = text;
        call.text_cap = sizeof(text);
        /* what firmware does with a call the client shed (it was told how long to wait):
           waits that long and asks again, while the request still matters */
        for (spent = 0; llmres_call(&client, &workers[t], &call, &res) != LLMRES_OK &&
                        (res.error == LLMRES_ERR_LIMITED || res.error == LLMRES_ERR_OPEN) &&
                        spent + res.elapsed_ms + res.retry_in_ms < DEADLINE_MS;) {
            spent += res.elapsed_ms + res.retry_in_ms;
            call.timeout_ms = DEADLINE_MS - spent;
            port.sleep_ms(port.ctx, res.retry_in_ms);
            asked_again[t]++;
        }
        res.elapsed_ms += spent;
        outcome[n] = res.error == LLMRES_OK ? LLMRES_CLASS_OK : res.cls;
        results[n]++;
        took[n] = port.now_ms(port.ctx) - began;
    }
    return NULL;
}

/* What the library itself says: latency percentiles of calls that reached a provider
   (both of the chain), and its health verdict. */
static void print_library_view(void) {
    static llmres_hist_t all, one;
    llmres_counts_t counts;
    uint32_t score = 0;
    int v = llmres_health(&client, -1, &score), p;
    memset(&all, 0, sizeof(all));
    for (p = 0; p < 2; p++)
        if (llmres_stats_lifetime(&client, p, &counts, &one) == LLMRES_OK) llmres_hist_merge(&all, &one);
    printf("| latency p50 / p95 / p99 / max (the library's histogram) | %u / %u / %u / %u ms |\n",
           (unsigned)llmres_hist_percentile(&all, 500), (unsigned)llmres_hist_percentile(&all, 950),
           (unsigned)llmres_hist_percentile(&all, 990), (unsigned)all.max);
    printf("| health now (the library's verdict, 0-100) | %s, %u |\n", llmres_health_name(v), (unsigned)score);
}

/* The library's issue analysis, each with its recommendation. */
static void print_issues(void) {
    static const char *const severity[3] = {"", "degraded", "critical"};
    llmres_issue_t is[12];
    int n = llmres_issues(&client, is, 12), k;
    printf("\nissues the library finds (%d):\n", n);
    for (k = 0; k < n && k < 12; k++)
        printf("- %s, %s (%s, %u): %s\n", client.provider[is[k].provider].model, llmres_issue_name(is[k].type),
               severity[is[k].severity], (unsigned)is[k].value, is[k].recommendation);
}

/* The mock server's own counters, fetched through llmres too. */
static void print_server_stats(uint16_t p) {
    static llmres_http_response_t resp;
    static uint8_t body[2048];
    llmres_http_request_t q;
    int st;
    memset(&q, 0, sizeof(q));
    q.method = "GET"; q.host = host; q.port = p; q.tls = 1; q.path = "/_stats";
    llmres_http_response_init(&resp, body, sizeof(body) - 1, NULL, NULL, 0);
    st = llmres_http_exchange(&workers[0].http, &q, &resp, 5000);
    if (st == 200) {
        body[resp.body_len] = 0;
        printf("\nthe server's view (/_stats): %s\n", (const char *)body);
    }
}

int main(int argc, char **argv) {
    static const char *const cls_names[] = {"ok", "transient_network", "timeout", "rate_limit", "overloaded",
                                            "server_error", "authentication", "quota", "permanent", "unknown"};
    llmres_provider_t chain[2];
    llmres_config_t cfg;
    pthread_t th[THREADS];
    uint32_t counts[LLMRES_CLASSES] = {0}, transitions = 0, t0, asked = 0;
    uint16_t p;
    int i, lost = 0, late = 0;
    uint32_t slowest = 0;
    char err[160];
    /* the local limits a gateway would set (as from flash); the server takes less */
    static const char settings[] = "LLM_MAX_CONCURRENT_REQUESTS=4\nLLM_REQUESTS_PER_SECOND=25\n"
                                   "LLM_CIRCUIT_BREAKER_MAX_FAILURES=4\nLLM_CIRCUIT_BREAKER_TIMEOUT_MS=1500\n"
                                   "LLM_MAX_RETRIES=6\nLLM_BACKOFF_BASE_MS=100\nLLM_BACKOFF_MAX_MS=2000\n"
                                   "LLM_ATTEMPT_TIMEOUT_MS=5000\n";
    if (argc != 3) { fprintf(stderr, "usage: demo PORT CA.pem\n"); return 2; }
    p = (uint16_t)atoi(argv[1]);
    llmres_posix_init(&port, &posix);
    llmres_config_defaults(&cfg);
    cfg.cache = LLMRES_CACHE_DETERMINISTIC; /* temperature 0 answers may be served again */
    if (llmres_config_parse(&cfg, settings, strlen(settings), err, sizeof(err)) != LLMRES_OK) {
        fprintf(stderr, "config: %s\n", err);
        return 1;
    }
    memset(chain, 0, sizeof(chain));
    if (getenv("LLMRES_DEMO_HOST")) host = getenv("LLMRES_DEMO_HOST");
    chain[0].format = LLMRES_PROVIDER_OPENAI; chain[0].host = host; chain[0].port = p; chain[0].tls = 1;
    chain[0].api_key = "demo-key"; chain[0].model = "cloud-model";
    chain[1].format = LLMRES_PROVIDER_OLLAMA; chain[1].host = host; chain[1].port = p; chain[1].tls = 1;
    chain[1].model = "local-model";
    for (i = 0; i < THREADS; i++)
        if (llmres_mbedtls_init(&tls[i], &port, &port.tcp) != LLMRES_OK || llmres_mbedtls_ca_file(&tls[i], argv[2]) != LLMRES_OK) {
            fprintf(stderr, "TLS: %s\n", tls[i].reason);
            return 1;
        }
    if (llmres_client_init(&client, &port, &tls[0].transport, &cfg, chain, 2) != LLMRES_OK ||
        llmres_client_stats(&client, &stats) != LLMRES_OK)
        return 1;
    for (i = 0; i < THREADS; i++) llmres_worker_init(&workers[i], &client, &tls[i].transport);
    printf("llmres %s demo: %d requests from %d threads to a local mock LLM (TLS, overloaded, one outage)\n",
           LLMRES_VERSION_STRING, CALLS, THREADS);
    fflush(stdout);
    t0 = port.now_ms(port.ctx);
    for (i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, run, (void *)(intptr_t)i);
    for (i = 0; i < THREADS; i++) pthread_join(th[i], NULL);

    for (i = 0; i < CALLS; i++) {
        counts[outcome[i] >= 0 && outcome[i] < LLMRES_CLASSES ? outcome[i] : LLMRES_CLASS_UNKNOWN]++;
        if (results[i] != 1) lost++;
        if (took[i] > DEADLINE_MS + DEADLINE_SLACK_MS) late++;
        if (took[i] > slowest) slowest = took[i];
    }
    for (i = 0; i < 2; i++)
        transitions += client.breaker[i].transitions[LLMRES_BREAKER_OPEN] + client.breaker[i].transitions[LLMRES_BREAKER_HALF_OPEN] +
                       client.breaker[i].transitions[LLMRES_BREAKER_CLOSED];
    printf("\n| what | value |\n|---|---:|\n");
    printf("| requests | %d |\n", CALLS);
    printf("| successes | %u |\n", (unsigned)counts[LLMRES_CLASS_OK]);
    for (i = 1; i < LLMRES_CLASSES; i++)
        if (counts[i]) printf("| errors: %s | %u |\n", cls_names[i], (unsigned)counts[i]);
    printf("| requests without exactly one result | %d |\n", lost);
    printf("| requests past their %u ms deadline / the slowest | %d / %u ms |\n", DEADLINE_MS, late, (unsigned)slowest);
    if (client.successes)
        printf("| attempts per success (a cache hit needs none) | %u.%02u |\n", (unsigned)(client.attempts / client.successes),
               (unsigned)(client.attempts * 100u / client.successes % 100u));
    printf("| attempts in all / retries | %u / %u |\n", (unsigned)client.attempts, (unsigned)client.retries);
    printf("| 429 seen / 529 seen | %u / %u |\n", (unsigned)client.status_429, (unsigned)client.status_529);
    printf("| answers by provider: cloud / local model / cache | %u / %u / %u |\n", (unsigned)client.answered_by[0],
           (unsigned)client.answered_by[1], (unsigned)client.cache_hits);
    printf("| moves down the chain (to the local model) | %u |\n", (unsigned)client.fallbacks);
    printf("| calls shed at once / throttled / retries refused by the budget | %u / %u / %u |\n", (unsigned)client.shed,
           (unsigned)client.throttled, (unsigned)client.budget_denied);
    printf("| sent again on a fresh connection (in the attempts) | %u |\n", (unsigned)client.resends);
    for (i = 0; i < THREADS; i++) asked += asked_again[i];
    printf("| shed calls asked again after the wait they were told | %u |\n", (unsigned)asked);
    printf("| breaker transitions (open, half-open, closed) | %u |\n", (unsigned)transitions);
    print_library_view();
    printf("| wall time | %u ms |\n", (unsigned)(port.now_ms(port.ctx) - t0));
    print_issues();
    print_server_stats(p);
    for (i = 0; i < THREADS; i++) { llmres_worker_close(&workers[i]); llmres_mbedtls_free(&tls[i]); }
    return lost == 0 && late == 0 && counts[LLMRES_CLASS_OK] > 0 ? 0 : 1;
}
