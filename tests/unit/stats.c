/* Statistics: the latency histogram against exact percentiles, the counts the client keeps
   per provider, the health rule at its edges, the issues and their recommendations, the
   JSON export (never cut, never the key). On the simulated port, in virtual time.
   With an argument, writes the JSON of a busy client to that file (run.sh parses it). */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_sim.h"
#include "../test.h"

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The exact percentile of sorted samples, as the histogram defines its rank. */
static uint32_t exact(const uint32_t *sorted, uint32_t n, uint32_t permille) {
    uint64_t rank = ((uint64_t)n * permille + 999u) / 1000u;
    return sorted[rank ? rank - 1 : 0];
}

static int within(uint32_t got, uint32_t want, uint32_t pct) {
    uint32_t d = got > want ? got - want : want - got;
    return (uint64_t)d * 100u <= (uint64_t)want * pct || d <= 1;
}

static void histogram_percentiles_within_3_percent(void) {
    static llmres_hist_t h, a, b;
    static uint32_t v[20000];
    static const uint32_t perm[] = {500, 950, 990, 1000};
    uint32_t rng = 7, kind, i, k;
    for (kind = 0; kind < 4; kind++) {
        memset(&h, 0, sizeof(h));
        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        for (i = 0; i < 20000; i++) {
            uint32_t r = llmres_xorshift32(&rng);
            v[i] = kind == 0 ? r % 60000u                                  /* uniform to a minute */
                 : kind == 1 ? 200u + (r % 1000u) * (r % 1000u) / 20u       /* skewed, long tail */
                 : kind == 2 ? (i % 10 ? 80u + r % 40u : 9000u + r % 3000u) /* two modes */
                 : r % 40u;                                                 /* the exact range */
            llmres_hist_add(&h, v[i]);
            llmres_hist_add(i % 2 ? &a : &b, v[i]);
        }
        llmres_hist_merge(&a, &b);
        qsort(v, 20000, sizeof(v[0]), cmp_u32);
        for (k = 0; k < sizeof(perm) / sizeof(perm[0]); k++) {
            uint32_t want = exact(v, 20000, perm[k]);
            CHECK(within(llmres_hist_percentile(&h, perm[k]), want, 3));
            CHECK_EQ(llmres_hist_percentile(&a, perm[k]), llmres_hist_percentile(&h, perm[k])); /* merged = whole */
        }
        CHECK_EQ(h.max, v[19999]);
        CHECK_EQ(h.count, 20000);
        CHECK_EQ(a.sum, h.sum);
    }
    memset(&h, 0, sizeof(h));
    CHECK_EQ(llmres_hist_percentile(&h, 500), 0);
    llmres_hist_add(&h, 0x7FFFFFFFu); /* beyond the range: the top bucket, max exact */
    CHECK_EQ(llmres_hist_percentile(&h, 990), 0x7FFFFFFFu);
}

static llmres_sim_t sim;
static llmres_client_t client;
static llmres_worker_t worker;
static llmres_stats_t stats;
static const llmres_provider_t cloud = {LLMRES_PROVIDER_OPENAI, "cloud.sim", 80, 0, NULL, "sk-secret-123", "gpt-sim", NULL};

static void setup(const llmres_sim_config_t *sc, const llmres_config_t *cfg) {
    llmres_sim_init(&sim, sc);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, cfg, &cloud, 1), LLMRES_OK);
    CHECK_EQ(llmres_worker_init(&worker, &client, NULL), LLMRES_OK);
    CHECK_EQ(llmres_client_stats(&client, &stats), LLMRES_OK);
}

static void ask(int n) {
    llmres_call_t call;
    llmres_result_t res;
    char text[128];
    int i;
    llmres_call_init(&call, "hello there", text, sizeof(text));
    for (i = 0; i < n; i++) {
        llmres_call(&client, &worker, &call, &res);
        sim.port.sleep_ms(sim.port.ctx, 200);
    }
}

static void ignore_text(void *user, const char *piece, size_t len) { (void)user; (void)piece; (void)len; }

static void the_client_counts_per_provider(void) {
    static llmres_hist_t lat;
    llmres_counts_t life;
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 300; sc.jitter_ms = 100;
    sc.capacity_milli = 2000; sc.overload = LLMRES_SIM_OVERLOAD_429;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    cfg.price_in_milli = 150;   /* 0.15 per million tokens in */
    cfg.price_out_milli = 600;  /* 0.60 out */
    setup(&sc, &cfg);
    ask(40);
    sim.now += 10u * 60000u; /* the window moves on: its counts join the lifetime's, each once */
    CHECK_EQ(llmres_stats_lifetime(&client, 0, &life, &lat), LLMRES_OK);
    CHECK_EQ(life.calls, 40);
    CHECK_EQ(life.calls, client.calls);
    CHECK_EQ(life.successes, client.successes);
    CHECK_EQ(life.attempts, client.attempts);
    CHECK_EQ(life.attempts, sim.stats.requests);
    CHECK_EQ(life.retries, client.retries);
    CHECK(life.tokens_in > 0 && life.tokens_out > 0);
    CHECK(life.bytes_out > 40u * 100u && life.bytes_in > 40u * 100u);
    CHECK_EQ(lat.count, life.calls - (life.rejected[LLMRES_REJECT_THROTTLE] + life.rejected[LLMRES_REJECT_WAIT] +
                                      life.rejected[LLMRES_REJECT_BUCKET]));
    CHECK(llmres_hist_percentile(&lat, 500) >= 300);
    CHECK_EQ(stats.first_byte[0].count, 0); /* whole answers: their latency is the call's */
    {   /* streamed answers: the time to their first byte too */
        llmres_call_t call;
        llmres_result_t res;
        char text[128];
        int i;
        llmres_call_init(&call, "hello there", text, sizeof(text));
        call.on_text = ignore_text;
        for (i = 0; i < 5; i++) { llmres_call(&client, &worker, &call, &res); sim.now += 1000; }
        CHECK(stats.first_byte[0].count >= 5);
        CHECK(llmres_hist_percentile(&stats.first_byte[0], 500) >= 300);
    }
    CHECK_EQ(llmres_stats_lifetime(&client, 1, &life, NULL), LLMRES_ERR_INVALID);
}

/* Sets provider 0's recent window to `calls` calls, of which `ok` succeeded and `denied`
   were refused locally, with a mean latency of `mean_ms`. */
static void window(uint32_t calls, uint32_t ok, uint32_t denied, uint32_t mean_ms) {
    memset(stats.slot, 0, sizeof(stats.slot));
    memset(stats.recent, 0, sizeof(stats.recent));
    stats.slot_at = sim.now;
    stats.slot[0][stats.head].calls = calls;
    stats.slot[0][stats.head].successes = ok;
    stats.slot[0][stats.head].rejected[LLMRES_REJECT_THROTTLE] = denied;
    stats.slot[0][stats.head].reached = calls - denied;
    stats.slot[0][stats.head].reached_ok = ok;
    stats.slot[0][stats.head].latency_ms = (uint64_t)mean_ms * (calls - denied);
}

static void health_rule_at_its_edges(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    uint32_t score;
    memset(&sc, 0, sizeof(sc));
    llmres_config_defaults(&cfg);
    setup(&sc, &cfg);
    window(0, 0, 0, 0);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_HEALTHY); /* nothing yet: healthy */
    CHECK_EQ(score, 100);
    window(100, 95, 0, 500);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_HEALTHY); /* 95 % */
    window(100, 94, 0, 500);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_DEGRADED); /* 94 % */
    CHECK_EQ(score, 99);
    window(100, 81, 0, 500);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_DEGRADED); /* 19 % failures */
    window(100, 80, 0, 500);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_CRITICAL); /* 20 % failures */
    CHECK_EQ(score, 100 - 15 - 30);
    window(100, 91, 9, 500);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_DEGRADED); /* 9 % denied: only the success rate */
    CHECK_EQ(score, 96);
    window(100, 90, 10, 500);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_DEGRADED); /* 10 % denied */
    CHECK_EQ(score, 100 - 5 - 10);
    window(100, 100, 0, 9999);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_HEALTHY); /* mean just under 10 s */
    window(100, 100, 0, 10000);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_DEGRADED);
    CHECK_EQ(score, 85);
    window(100, 100, 0, 500);
    llmres_breaker_force_open(&client.breaker[0], sim.now);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_CRITICAL);
    CHECK_EQ(llmres_health(&client, -1, &score), LLMRES_CRITICAL); /* a chain of one */
    llmres_breaker_reset(&client.breaker[0], sim.now);
    client.overload[0].state = LLMRES_OVERLOAD_CRITICAL;
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_CRITICAL);
    client.overload[0].state = LLMRES_OVERLOAD_WARNING;
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_DEGRADED);
    CHECK_EQ(score, 90);
    llmres_overload_clear(&client.overload[0], sim.now);
    CHECK_EQ(llmres_health(&client, 1, &score), LLMRES_ERR_INVALID);
}

/* Found by review: a stale clock, a silence longer than the window, the chain's verdict,
   no minimum, health and issues agreeing, answers that never reached the provider. */
static void health_and_window_edges(void) {
    static const llmres_provider_t chain[2] = {
        {LLMRES_PROVIDER_OPENAI, "cloud.sim", 80, 0, NULL, "sk-secret-123", "gpt-sim", NULL},
        {LLMRES_PROVIDER_OLLAMA, "gateway.sim", 11434, 0, NULL, NULL, "llama-sim", NULL}};
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    llmres_issue_t is[16];
    llmres_counts_t n;
    uint32_t score;
    int k, found;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 100;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    setup(&sc, &cfg);
    ask(5);
    llmres__stats_slide(&stats, sim.now - 1); /* a clock read before another thread slid */
    llmres__stats_recent(&stats, 0, &n, &stats.scratch);
    CHECK_EQ(n.calls, 5);                       /* the window is still there */
    sim.now += 3600000;                         /* an hour of silence: nothing recent */
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_HEALTHY);
    CHECK_EQ(score, 100);
    llmres__stats_recent(&stats, 0, &n, &stats.scratch);
    CHECK_EQ(n.calls + stats.scratch.count, 0);
    CHECK_EQ(llmres_stats_lifetime(&client, 0, &n, &stats.scratch), LLMRES_OK);
    CHECK_EQ(n.calls, 5);                       /* each counted once in the lifetime */
    CHECK_EQ(stats.scratch.count, 5);
    /* one failed call is under the minimum: neither a verdict nor an issue */
    window(1, 0, 0, 100);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_HEALTHY);
    CHECK_EQ(llmres_issues(&client, is, 16), 0);
    /* no minimum: an idle provider is healthy all the same */
    client.cfg.health_min_calls = 0;
    window(0, 0, 0, 0);
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_HEALTHY);
    client.cfg.health_min_calls = 10;
    /* 80 cache hits and 20 calls of 12 s: slow, judged on the 20 that were sent */
    window(100, 100, 0, 0);
    stats.slot[0][stats.head].reached = 20;
    stats.slot[0][stats.head].reached_ok = 20;
    stats.slot[0][stats.head].latency_ms = 20u * 12000u;
    CHECK_EQ(llmres_health(&client, 0, &score), LLMRES_DEGRADED);
    for (found = 0, k = llmres_issues(&client, is, 16); k-- > 0;) found |= is[k].type == LLMRES_ISSUE_SLOW;
    CHECK(found);
    /* a chain: the first provider critical, the other degraded: critical */
    llmres_sim_init(&sim, &sc);
    llmres_sim_alt(&sim, 11434, &sc);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, &cfg, chain, 2), LLMRES_OK);
    CHECK_EQ(llmres_client_stats(&client, &stats), LLMRES_OK);
    llmres_breaker_force_open(&client.breaker[0], sim.now);
    client.overload[1].state = LLMRES_OVERLOAD_WARNING;
    CHECK_EQ(llmres_health(&client, -1, &score), LLMRES_CRITICAL);
    CHECK_EQ(score, 60);
    client.overload[1].state = LLMRES_OVERLOAD_NORMAL; /* the other healthy: it carries the chain, degraded */
    CHECK_EQ(llmres_health(&client, -1, &score), LLMRES_DEGRADED);
    CHECK_EQ(score, (60 + 100) / 2);
}

static int has_issue(const llmres_issue_t *is, int n, int type) {
    int k;
    for (k = 0; k < n; k++)
        if (is[k].type == type && is[k].recommendation && is[k].recommendation[0]) return 1;
    return 0;
}

static void issues_come_with_recommendations(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    llmres_issue_t is[16];
    llmres_counts_t *n;
    int count;
    memset(&sc, 0, sizeof(sc));
    llmres_config_defaults(&cfg);
    cfg.cache = LLMRES_CACHE_ALL;
    setup(&sc, &cfg);
    window(100, 100, 0, 500);
    CHECK_EQ(llmres_issues(&client, is, 16), 0);
    window(100, 60, 11, 12000);
    n = &stats.slot[0][stats.head];
    n->breaker_opens = 3;
    n->budget_denied = 2;
    n->errors[LLMRES_CLASS_QUOTA] = 1;
    n->errors[LLMRES_CLASS_AUTHENTICATION] = 1;
    n->fallbacks = 4;
    n->cache_hits = 1; n->cache_misses = 30;
    llmres_breaker_force_open(&client.breaker[0], sim.now);
    count = llmres_issues(&client, is, 16);
    CHECK_EQ(count, LLMRES_ISSUE_TYPES);
    CHECK(has_issue(is, count, LLMRES_ISSUE_DENIALS));
    CHECK(has_issue(is, count, LLMRES_ISSUE_FAILURES));
    CHECK(has_issue(is, count, LLMRES_ISSUE_SLOW));
    CHECK(has_issue(is, count, LLMRES_ISSUE_BREAKER_OPEN));
    CHECK(has_issue(is, count, LLMRES_ISSUE_BREAKER_FLAPPING));
    CHECK(has_issue(is, count, LLMRES_ISSUE_RETRY_BUDGET));
    CHECK(has_issue(is, count, LLMRES_ISSUE_THROTTLED));
    CHECK(has_issue(is, count, LLMRES_ISSUE_QUOTA));
    CHECK(has_issue(is, count, LLMRES_ISSUE_AUTHENTICATION));
    CHECK(has_issue(is, count, LLMRES_ISSUE_FALLBACK));
    CHECK(has_issue(is, count, LLMRES_ISSUE_CACHE_INEFFECTIVE));
    CHECK_EQ(llmres_issues(&client, is, 2), LLMRES_ISSUE_TYPES); /* counted even when they do not fit */
    CHECK(strcmp(llmres_issue_name(LLMRES_ISSUE_QUOTA), "quota") == 0);
    llmres_breaker_reset(&client.breaker[0], sim.now);
}

static void json_is_whole_or_nothing(const char *path, const char *prom_path) {
    static char buf[16384];
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    size_t need = 0;
    int len;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 200; sc.capacity_milli = 3000; sc.overload = LLMRES_SIM_OVERLOAD_429;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    setup(&sc, &cfg);
    ask(30);
    len = llmres_stats_json(&client, buf, sizeof(buf), &need);
    CHECK(len > 200);
    CHECK_EQ(need, (size_t)len + 1);
    CHECK(buf[0] == '{' && buf[len - 1] == '}');
    CHECK(strstr(buf, "\"health\":\"") != NULL && strstr(buf, "\"p99\":") != NULL);
    CHECK(strstr(buf, "\"breaker_transitions\":{\"closed\":0,\"open\":0,\"half-open\":0") != NULL);
    CHECK(strstr(buf, "sk-secret") == NULL); /* never the key */
    if (path) {
        FILE *f = fopen(path, "w");
        if (f) { fputs(buf, f); fclose(f); }
    }
    CHECK_EQ(llmres_stats_json(&client, buf, need - 1, &need), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(buf[0], 0); /* never a cut document */
    CHECK_EQ(llmres_stats_json(&client, buf, need, NULL), len);
    CHECK_EQ(llmres_stats_json(&client, NULL, 0, &need), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(need, (size_t)len + 1);
    /* the Prometheus text: the same rules */
    len = llmres_stats_prometheus(&client, buf, sizeof(buf), &need);
    CHECK(len > 500);
    CHECK(strstr(buf, "# TYPE llmres_calls_total counter\nllmres_calls_total{provider=\"cloud.sim\"} 30\n") != NULL);
    CHECK(strstr(buf, "llmres_latency_seconds_bucket{provider=\"cloud.sim\",le=\"+Inf\"} 30\n") != NULL);
    CHECK(strstr(buf, "sk-secret") == NULL);
    if (prom_path) {
        FILE *f = fopen(prom_path, "w");
        if (f) { fputs(buf, f); fclose(f); }
    }
    CHECK_EQ(llmres_stats_prometheus(&client, buf, need - 1, NULL), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(buf[0], 0);
}

static char logged[1024];
static void keep_log(void *ctx, int level, const char *msg) {
    size_t n = strlen(logged);
    (void)ctx; (void)level;
    snprintf(logged + n, sizeof(logged) - n, "%s\n", msg);
}

/* The summary line every LLM_STATS_LOG_MS, transition lines as they happen; the manual
   controls. Never the key. */
static void tick_logs_and_controls(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 100;
    llmres_config_defaults(&cfg);
    cfg.stats_log_ms = 10000;
    setup(&sc, &cfg);
    sim.port.log = keep_log;
    logged[0] = 0;
    ask(5);
    CHECK_EQ(llmres_stats_tick(&client), 0); /* 1.5 s in: not yet */
    sim.now += 10000;
    CHECK_EQ(llmres_stats_tick(&client), 1);
    CHECK_EQ(llmres_stats_tick(&client), 0);
    CHECK(strstr(logged, "llmres: healthy 100; cloud.sim: 5 calls, 100 % ok, p50 100 ms") != NULL);
    CHECK_EQ(llmres_client_breaker(&client, -1, LLMRES_CONTROL_FORCE_OPEN), LLMRES_OK);
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_FORCED_OPEN);
    ask(1); /* refused; its first step tells the log */
    CHECK(strstr(logged, "llmres: cloud.sim: breaker closed -> forced-open") != NULL);
    CHECK_EQ(llmres_client_breaker(&client, 0, LLMRES_CONTROL_FORCE_CLOSED), LLMRES_OK);
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_FORCED_CLOSED);
    CHECK_EQ(llmres_client_breaker(&client, 0, LLMRES_CONTROL_RESET), LLMRES_OK);
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_CLOSED);
    CHECK_EQ(llmres_client_breaker(&client, 1, LLMRES_CONTROL_RESET), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_client_breaker(&client, 0, 7), LLMRES_ERR_INVALID);
    llmres_overload_defer(&client.overload[0], sim.now, sim.now + 60000);
    CHECK_EQ(llmres_client_overload_clear(&client, -1), LLMRES_OK);
    CHECK_EQ(llmres_overload_wait_ms(&client.overload[0], sim.now), 0);
    CHECK_EQ(llmres_stats_reset(&client), LLMRES_OK);
    {
        llmres_counts_t life;
        CHECK_EQ(llmres_stats_lifetime(&client, 0, &life, NULL), LLMRES_OK);
        CHECK_EQ(life.calls, 0);
    }
    CHECK(strstr(logged, "sk-secret") == NULL);
}

/* A server that echoes the key back in its error: the result's message shows stars. */
static const char *echo_resp;
static int echo_sent;
static int echo_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    (void)ctx; (void)host; (void)port; (void)timeout_ms;
    echo_sent = 0;
    return 1;
}
static int echo_send(void *ctx, int conn, const void *buf, size_t len, uint32_t timeout_ms) {
    (void)ctx; (void)conn; (void)buf; (void)timeout_ms;
    echo_sent = 1;
    return (int)len;
}
static int echo_recv(void *ctx, int conn, void *buf, size_t len, uint32_t timeout_ms) {
    size_t n = strlen(echo_resp);
    (void)ctx; (void)conn; (void)timeout_ms;
    if (!echo_sent) return 0;
    if (!n) return LLMRES_ERR_CLOSED;
    if (n > len) n = len;
    memcpy(buf, echo_resp, n);
    echo_resp += n;
    return (int)n;
}
static void echo_close(void *ctx, int conn) { (void)ctx; (void)conn; }

static void an_echoed_key_is_masked(void) {
    static const char body[] = "{\"error\":{\"message\":\"Incorrect API key provided: sk-secret-123. You can find your "
                               "key at https://example.invalid\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}";
    static char resp[512];
    llmres_sim_config_t sc;
    llmres_call_t call;
    llmres_result_t res;
    char text[64];
    memset(&sc, 0, sizeof(sc));
    setup(&sc, NULL);
    sim.port.tcp.open = echo_open; sim.port.tcp.send = echo_send; sim.port.tcp.recv = echo_recv; sim.port.tcp.close = echo_close;
    snprintf(resp, sizeof(resp), "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\n"
             "Content-Length: %u\r\n\r\n%s", (unsigned)strlen(body), body);
    echo_resp = resp;
    llmres_call_init(&call, "hello", text, sizeof(text));
    CHECK_EQ(llmres_call(&client, &worker, &call, &res), LLMRES_ERR_PROVIDER);
    CHECK_EQ(res.cls, LLMRES_CLASS_AUTHENTICATION);
    CHECK(strstr(res.message, "Incorrect API key provided: *************. You can") != NULL);
    CHECK(strstr(res.message, "sk-secret") == NULL);
    /* cut at the end of the message: the key's start is masked too */
    {
        char m[40] = "Your key is sk-secret-1";
        client.provider[0].api_key = "sk-secret-123456";
        llmres__mask_keys(&client, m);
        CHECK(strcmp(m, "Your key is ***********") == 0);
    }
}

static const char *json_path, *prom_path;
static void exports(void) { json_is_whole_or_nothing(json_path, prom_path); }

int main(int argc, char **argv) {
    if (argc > 2 && strchr(argv[1], '.')) { json_path = argv[1]; prom_path = argv[2]; argc = 1; } /* files to write */
    T_INIT(argc, argv);
    RUN(histogram_percentiles_within_3_percent);
    RUN(the_client_counts_per_provider);
    RUN(health_rule_at_its_edges);
    RUN(health_and_window_edges);
    RUN(issues_come_with_recommendations);
    RUN(exports);
    RUN(tick_logs_and_controls);
    RUN(an_echoed_key_is_masked);
    return T_DONE();
}
