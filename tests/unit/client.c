/* The resilient call, on the simulated port: retries honour retry-after, quota and auth
   are not retried, the deadline holds, fallback happens, the breaker opens and recovers,
   the token bucket reconciles, server headers correct the local buckets, the cache answers
   deterministic requests. All in virtual time. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_sim.h"
#include "../test.h"

static llmres_sim_t sim;
static llmres_client_t client;
static llmres_worker_t worker;
static char text[256];
static llmres_result_t res;
static const llmres_llm_message_t hello = {"user", "hello there, gateway"};

static const llmres_provider_t chain[2] = {
    {LLMRES_PROVIDER_OPENAI, "cloud.sim", 80, 0, NULL, "sk-sim", "gpt-sim", NULL},
    {LLMRES_PROVIDER_OLLAMA, "gateway.sim", 11434, 0, NULL, NULL, "llama-sim", NULL},
};

static void setup(const llmres_sim_config_t *sc, const llmres_config_t *cfg, uint32_t providers) {
    llmres_sim_init(&sim, sc);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, cfg, chain, providers), LLMRES_OK);
    CHECK_EQ(llmres_worker_init(&worker, &client, NULL), LLMRES_OK);
}

static int ask(int32_t temperature_milli, uint32_t timeout_ms) {
    llmres_call_t call;
    memset(&call, 0, sizeof(call));
    call.messages = &hello;
    call.message_count = 1;
    call.max_tokens = 50;
    call.temperature_milli = temperature_milli;
    call.timeout_ms = timeout_ms;
    call.text = text;
    call.text_cap = sizeof(text);
    return llmres_call(&client, &worker, &call, &res);
}

static void answers_and_caches_deterministic_requests(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 200;
    llmres_config_defaults(&cfg);
    cfg.cache = LLMRES_CACHE_DETERMINISTIC;
    setup(&sc, &cfg, 1);
    CHECK_EQ(ask(0, 0), LLMRES_OK);
    CHECK(strncmp(text, "sim answer", 10) == 0);
    CHECK_EQ(res.attempts, 1);
    CHECK_EQ(res.provider, 0);
    CHECK_EQ(res.cached, 0);
    CHECK(res.input_tokens != LLMRES_UNKNOWN);
    CHECK_EQ(ask(0, 0), LLMRES_OK); /* temperature 0: answered from the cache */
    CHECK_EQ(res.cached, 1);
    CHECK_EQ(res.attempts, 0);
    CHECK_EQ(sim.stats.requests, 1);
    CHECK_EQ(ask(700, 0), LLMRES_OK); /* not deterministic: asked again */
    CHECK_EQ(sim.stats.requests, 2);
    CHECK_EQ(client.cache_hits, 1);
    CHECK_EQ(client.successes, 3);
}

static void retry_honours_retry_after(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    uint32_t t0;
    memset(&sc, 0, sizeof(sc));
    sc.capacity_milli = 500; /* one request every 2 s */
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;       /* no local limit: the provider's 429 steers */
    cfg.backoff_base_ms = 10;
    setup(&sc, &cfg, 1);
    CHECK_EQ(ask(700, 0), LLMRES_OK);
    t0 = sim.now;
    CHECK_EQ(ask(700, 0), LLMRES_OK);
    CHECK_EQ(res.attempts, 2);
    CHECK_EQ(client.status_429, 1);
    /* the second attempt went no sooner than the server said (about 2 s, not 10 ms) */
    CHECK(sim.now - t0 >= 1990);
    CHECK_EQ(sim.stats.overloaded, 1);
}

static void quota_and_auth_are_not_retried(void) {
    llmres_sim_config_t sc;
    memset(&sc, 0, sizeof(sc));
    sc.quota = 1;
    setup(&sc, NULL, 1);
    CHECK(ask(700, 0) != LLMRES_OK);
    CHECK_EQ(res.cls, LLMRES_CLASS_QUOTA);
    CHECK_EQ(res.attempts, 1);
    CHECK_EQ(sim.stats.requests, 1);
    CHECK(strstr(res.message, "quota") != NULL);
    CHECK_EQ(client.breaker[0].calls, 0); /* quota says nothing about their health */
}

static void authentication_is_not_retried_but_falls_back(void) {
    llmres_sim_config_t sc, local;
    memset(&sc, 0, sizeof(sc));
    sc.reject_key = 1;
    setup(&sc, NULL, 1);
    CHECK(ask(700, 0) != LLMRES_OK);
    CHECK_EQ(res.cls, LLMRES_CLASS_AUTHENTICATION);
    CHECK_EQ(res.status, 401);
    CHECK_EQ(res.attempts, 1);
    CHECK_EQ(sim.stats.requests, 1);
    CHECK_EQ(client.breaker[0].calls, 0); /* a bad key says nothing about their health */
    /* with a chain: the key is the cloud's problem; the local model has none */
    memset(&local, 0, sizeof(local));
    local.provider = LLMRES_PROVIDER_OLLAMA;
    setup(&sc, NULL, 2);
    llmres_sim_alt(&sim, 11434, &local);
    CHECK_EQ(ask(700, 0), LLMRES_OK);
    CHECK_EQ(res.provider, 1);
    CHECK_EQ(res.attempts, 2);
}

static void the_deadline_holds(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    uint32_t t0;
    memset(&sc, 0, sizeof(sc));
    sc.capacity_milli = 1; sc.burst = 1; sc.overload = LLMRES_SIM_OVERLOAD_TIMEOUT;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    cfg.attempt_timeout_ms = 2000;
    setup(&sc, &cfg, 1);
    CHECK_EQ(ask(700, 0), LLMRES_OK); /* the burst */
    t0 = sim.now;
    CHECK(ask(700, 7000) != LLMRES_OK);
    CHECK_EQ(res.cls, LLMRES_CLASS_TIMEOUT);
    CHECK(sim.now - t0 <= 7000);      /* never past the caller's deadline */
    CHECK(res.attempts >= 2);         /* 2 s attempts with backoff between, within 7 s */
}

static void falls_back_to_the_next_provider(void) {
    llmres_sim_config_t sc, local;
    memset(&sc, 0, sizeof(sc));
    memset(&local, 0, sizeof(local));
    sc.quota = 1;                        /* the cloud account ran out */
    local.provider = LLMRES_PROVIDER_OLLAMA;
    setup(&sc, NULL, 2);
    llmres_sim_alt(&sim, 11434, &local);
    CHECK_EQ(ask(700, 0), LLMRES_OK);
    CHECK_EQ(res.provider, 1);
    CHECK_EQ(res.attempts, 2);
    CHECK_EQ(client.fallbacks, 1);
    CHECK(strncmp(text, "sim answer", 10) == 0);
}

static void breaker_opens_and_recovers(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    int i, open_fast = 0;
    uint32_t requests, t0;
    memset(&sc, 0, sizeof(sc));
    sc.outages[0].start_ms = 0; sc.outages[0].end_ms = 20000; sc.outages[0].reset = 1;
    sc.outage_count = 1;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    cfg.max_retries = 0;
    cfg.breaker_failures = 3;
    cfg.breaker_timeout_ms = 5000;
    setup(&sc, &cfg, 1);
    for (i = 0; i < 3; i++) { CHECK(ask(700, 0) != LLMRES_OK); CHECK_EQ(res.cls, LLMRES_CLASS_TRANSIENT_NETWORK); }
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_OPEN);
    requests = sim.stats.requests;
    /* a deadline shorter than the open period: refused at once, the provider untouched */
    for (i = 0; i < 3; i++) open_fast += ask(700, 1000) == LLMRES_ERR_OPEN && res.attempts == 0;
    CHECK_EQ(open_fast, 3);
    CHECK_EQ(sim.stats.requests, requests);
    /* a long deadline, but the breaker's wait is over shed_wait_ms (2 s): shed at once,
       with the wait it would need (the open period less up to half of it, less the time
       since it opened) */
    t0 = sim.now;
    CHECK_EQ(ask(700, 60000), LLMRES_ERR_OPEN);
    CHECK_EQ(res.cls, LLMRES_CLASS_OVERLOADED);
    CHECK_EQ(res.attempts, 0);
    CHECK_EQ(sim.now, t0);
    CHECK(res.retry_in_ms > 0 && res.retry_in_ms <= 5000);
    CHECK_EQ(client.shed, 4);
    /* allowed to wait that long (and to retry), a call waits for the breaker: probes during
       the outage reopen it (open period doubling), the first probe after it closes it */
    client.cfg.shed_wait_ms = 60000;
    client.cfg.max_retries = 10;
    CHECK_EQ(ask(700, 60000), LLMRES_OK);
    CHECK((int32_t)(sim.now - sim.start) >= 20000); /* not before the outage ended */
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_CLOSED);
    CHECK(client.breaker[0].transitions[LLMRES_BREAKER_OPEN] >= 2);
    CHECK(client.breaker[0].transitions[LLMRES_BREAKER_HALF_OPEN] >= 1);
}

static void token_bucket_reconciles_with_usage(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    uint32_t before, used;
    memset(&sc, 0, sizeof(sc));
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    cfg.tokens_per_minute = 60000;
    cfg.cache = LLMRES_CACHE_OFF;
    setup(&sc, &cfg, 1);
    before = llmres_bucket_available(&client.tpm, sim.now);
    CHECK_EQ(ask(700, 0), LLMRES_OK);
    used = res.input_tokens + res.output_tokens;
    /* charged the estimate (prompt/4 + max_tokens 50), refunded down to what was used;
       the bucket also refilled during the call */
    CHECK(llmres_bucket_available(&client.tpm, sim.now) + used >= before);
    CHECK(llmres_bucket_available(&client.tpm, sim.now) + used <= before + 2);
}

static void server_rate_limit_headers_set_the_providers_wait(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    uint32_t requests;
    memset(&sc, 0, sizeof(sc));
    sc.capacity_milli = 250; /* the provider: one request every 4 s */
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 10000;   /* we believed 10/s */
    cfg.max_retries = 0;
    setup(&sc, &cfg, 1);
    CHECK_EQ(ask(700, 0), LLMRES_OK);
    CHECK(ask(700, 0) != LLMRES_OK); /* 429: remaining 0, reset in about 4 s */
    CHECK_EQ(res.cls, LLMRES_CLASS_RATE_LIMIT);
    /* no call of this client goes to the provider before the server's instant */
    CHECK(llmres_overload_wait_ms(&client.overload[0], sim.now) >= 3900);
    requests = sim.stats.requests;
    CHECK_EQ(ask(700, 0), LLMRES_ERR_LIMITED); /* a wait over shed_wait_ms: shed at once */
    CHECK(res.retry_in_ms >= 3900);
    CHECK_EQ(res.attempts, 0);
    CHECK_EQ(sim.stats.requests, requests);
}

static void bad_calls_get_errors(void) {
    llmres_call_t call;
    llmres_sim_config_t sc;
    memset(&sc, 0, sizeof(sc));
    setup(&sc, NULL, 1);
    memset(&call, 0, sizeof(call));
    CHECK_EQ(llmres_call(&client, &worker, &call, &res), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_call(NULL, &worker, &call, &res), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, NULL, chain, 0), LLMRES_ERR_INVALID);
}

/* A transport that answers each request with the next scripted bytes, then closes or
   goes quiet: what a broken proxy or a half-dead provider sends. */
static const char *script_resp;
static const char *const *script_list; /* answers to successive requests (the last repeats) */
static int script_count, script_next;
static int script_close, opens, closes, live, replying;
static size_t script_at;
static char sent[8192]; /* the last request, as it went out */
static size_t sent_len;
static int scr_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    (void)ctx; (void)host; (void)port; (void)timeout_ms;
    opens++;
    live++;
    return opens;
}
static int scr_send(void *ctx, int conn, const void *buf, size_t len, uint32_t timeout_ms) {
    (void)ctx; (void)conn; (void)timeout_ms;
    if (!replying) sent_len = 0;
    if (len < sizeof(sent) - 1 - sent_len) {
        memcpy(sent + sent_len, buf, len);
        sent_len += len;
        sent[sent_len] = 0;
    }
    if (replying) return (int)len; /* the rest of the same request */
    replying = 1;
    script_at = 0; /* a new request: the next answer */
    if (script_list) script_resp = script_list[script_next < script_count ? script_next++ : script_count - 1];
    return (int)len;
}
static int scr_recv(void *ctx, int conn, void *buf, size_t len, uint32_t timeout_ms) {
    size_t left = strlen(script_resp) - script_at;
    (void)ctx; (void)conn;
    replying = 0;
    if (!left) {
        if (script_close) return LLMRES_ERR_CLOSED;
        sim.now += timeout_ms; /* quiet: the wait passes on the virtual clock */
        return 0;
    }
    if (len > left) len = left;
    memcpy(buf, script_resp + script_at, len);
    script_at += len;
    return (int)len;
}
static void scr_close(void *ctx, int conn) { (void)ctx; (void)conn; closes++; live--; }

/* A client and worker over the scripted transport for `providers`, answering from `answers`. */
static llmres_err_t script_setup_for(const llmres_config_t *cfg, const char *const *answers, int count, int close_after,
                                     const llmres_provider_t *providers, uint32_t n) {
    llmres_sim_config_t sc;
    memset(&sc, 0, sizeof(sc));
    llmres_sim_init(&sim, &sc);
    sim.port.tcp.open = scr_open;
    sim.port.tcp.send = scr_send;
    sim.port.tcp.recv = scr_recv;
    sim.port.tcp.close = scr_close;
    script_list = answers;
    script_count = count;
    script_next = 0;
    script_close = close_after;
    opens = closes = live = replying = 0;
    sent_len = 0;
    sent[0] = 0;
    if (llmres_client_init(&client, &sim.port, NULL, cfg, providers, n) != LLMRES_OK)
        return llmres_client_init(&client, &sim.port, NULL, cfg, providers, n);
    return llmres_worker_init(&worker, &client, NULL);
}

static void script_setup(const llmres_config_t *cfg, const char *const *answers, int count, int close_after) {
    CHECK_EQ(script_setup_for(cfg, answers, count, close_after, chain, 1), LLMRES_OK);
}

/* One call against a scripted answer, no retries: its class, error and how many
   connections stayed open afterwards. */
static void scripted(const char *answer, int close_after, int want_cls, int want_err, int want_live) {
    llmres_config_t cfg;
    llmres_config_defaults(&cfg);
    cfg.max_retries = 0;
    cfg.attempt_timeout_ms = 1000;
    script_setup(&cfg, &answer, 1, close_after);
    CHECK_EQ(ask(700, 5000), want_err);
    CHECK_EQ(res.cls, want_cls);
    CHECK_EQ(res.attempts, 1);
    CHECK_EQ(live, want_live);
    CHECK_EQ(text[0], 0); /* nothing half-read is handed out as an answer */
    llmres_worker_close(&worker);
    CHECK_EQ(live, 0);
}

#define HTTP200(len) "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " #len "\r\n\r\n"
static void bad_responses_end_in_a_class(void) {
    /* not JSON: a server error; the HTTP framing was sound, the connection stays */
    scripted(HTTP200(28) "<html>502 Bad Gateway</html>", 0, LLMRES_CLASS_SERVER_ERROR, LLMRES_ERR_BAD_BODY, 1);
    /* JSON of the wrong shape: not an empty answer but a server error */
    scripted(HTTP200(14) "{\"choices\":7} ", 0, LLMRES_CLASS_SERVER_ERROR, LLMRES_ERR_BAD_BODY, 1);
    /* a body cut short by the peer: the connection's state is unknown, it is closed */
    scripted(HTTP200(100) "{\"choices\":[{\"message\":", 1, LLMRES_CLASS_TRANSIENT_NETWORK, LLMRES_ERR_TRUNCATED, 0);
    /* a body that never finishes: timeout, connection closed */
    scripted(HTTP200(100) "{\"choices\":[", 0, LLMRES_CLASS_TIMEOUT, LLMRES_ERR_TIMEOUT, 0);
    /* an error body without a type: classified by its status */
    scripted("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 25\r\n\r\n{\"error\":{\"message\":\"x\"}}",
             0, LLMRES_CLASS_SERVER_ERROR, LLMRES_ERR_PROVIDER, 1);
    scripted("HTTP/1.1 429 Too Many Requests\r\nContent-Length: 2\r\n\r\n{}", 0, LLMRES_CLASS_RATE_LIMIT, LLMRES_ERR_PROVIDER, 1);
    /* a broken status line or chunk: garbage framing, connection closed */
    scripted("HTTP/1.1 2x0 OK\r\n\r\n", 0, LLMRES_CLASS_SERVER_ERROR, LLMRES_ERR_BAD_HTTP, 0);
    scripted("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, LLMRES_CLASS_SERVER_ERROR, LLMRES_ERR_BAD_HTTP, 0);
    /* the peer closes before any byte */
    scripted("", 1, LLMRES_CLASS_TRANSIENT_NETWORK, LLMRES_ERR_CLOSED, 0);
}

/* ---- providers are rows ---- */
#define OPENAI_OK HTTP200(71) "{\"choices\":[{\"message\":{\"content\":\"row ok\"},\"finish_reason\":\"stop\"}]}  "

static int starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* One call through `p` against a scripted 200; the request that went out is in sent[]. */
static llmres_err_t ask_row(const llmres_provider_t *p, const char *answer) {
    llmres_call_t call;
    const char *answers[1];
    llmres_err_t rc;
    answers[0] = answer;
    rc = script_setup_for(NULL, answers, 1, 0, p, 1);
    if (rc != LLMRES_OK) return rc;
    llmres_call_init(&call, "hello row", text, sizeof(text));
    rc = llmres_call(&client, &worker, &call, &res);
    llmres_worker_close(&worker);
    return rc;
}

static void azure_is_one_row(void) {
    llmres_provider_t p;
    memset(&p, 0, sizeof(p));
    p.format = LLMRES_PROVIDER_AZURE;
    p.host = "edge.openai.azure.com";
    p.api_key = "azure-key-0123";
    p.model = "gpt-4o-edge"; /* the deployment */
    CHECK_EQ(ask_row(&p, OPENAI_OK), LLMRES_OK);
    CHECK(strcmp(text, "row ok") == 0);
    CHECK(starts(sent, "POST /openai/deployments/gpt-4o-edge/chat/completions?api-version=2024-10-21 HTTP/1.1\r\n"));
    CHECK(strstr(sent, "\r\napi-key: azure-key-0123\r\n") != NULL);
    CHECK(strstr(sent, "Authorization") == NULL);
    /* the same answer format as OpenAI's, the same request body */
    CHECK(strstr(sent, "\"messages\":[{\"role\":\"user\",\"content\":\"hello row\"}]") != NULL);
    /* a path of the provider's own (another api-version) still gets the deployment */
    p.path = "/openai/deployments/{model}/chat/completions?api-version=2025-01-01-preview";
    CHECK_EQ(ask_row(&p, OPENAI_OK), LLMRES_OK);
    CHECK(starts(sent, "POST /openai/deployments/gpt-4o-edge/chat/completions?api-version=2025-01-01-preview "));
}

static void each_row_sends_its_own_headers(void) {
    llmres_provider_t p;
    memset(&p, 0, sizeof(p));
    p.host = "api.example";
    p.api_key = "k-123";
    p.model = "m";
    p.format = LLMRES_PROVIDER_OPENAI;
    CHECK_EQ(ask_row(&p, OPENAI_OK), LLMRES_OK);
    CHECK(starts(sent, "POST /v1/chat/completions HTTP/1.1\r\n"));
    CHECK(strstr(sent, "\r\nAuthorization: Bearer k-123\r\n") != NULL);
    p.format = LLMRES_PROVIDER_ANTHROPIC;
    /* an OpenAI-shaped 200 is no Anthropic answer: a bad body, after the retries */
    CHECK_EQ(ask_row(&p, OPENAI_OK), LLMRES_ERR_BAD_BODY);
    CHECK(starts(sent, "POST /v1/messages HTTP/1.1\r\n"));
    CHECK(strstr(sent, "\r\nx-api-key: k-123\r\n") != NULL);
    CHECK(strstr(sent, "\r\nanthropic-version: 2023-06-01\r\n") != NULL);
    CHECK(strstr(sent, "\"max_tokens\":1024") != NULL);
    p.format = LLMRES_PROVIDER_OLLAMA;
    p.api_key = NULL;
    CHECK_EQ(ask_row(&p, OPENAI_OK), LLMRES_ERR_BAD_BODY);
    CHECK(starts(sent, "POST /api/chat HTTP/1.1\r\n"));
    CHECK(strstr(sent, "Authorization") == NULL);
    CHECK(strstr(sent, "\"stream\":false") != NULL);
}

/* A provider the table lacks: a row of the caller's own, nothing else changed. */
static const llmres_wire_field_t my_answer[] = {
    {"output.text", LLMRES_FIELD_TEXT}, {"output.stop", LLMRES_FIELD_FINISH},
    {"error.message", LLMRES_FIELD_ERROR_MESSAGE}, {NULL, 0}};
static void a_provider_of_your_own_is_a_row(void) {
    static const llmres_wire_t mine = {"mine", "/v2/generate/{model}", "X-Token", "", "X-Api-Version", "7",
                                       "max_new_tokens", 32, 0, my_answer, my_answer, NULL, NULL, NULL};
    llmres_provider_t p;
    memset(&p, 0, sizeof(p));
    p.host = "llm.lan";
    p.api_key = "tok";
    p.model = "tiny";
    p.wire = &mine;
    CHECK_EQ(ask_row(&p, HTTP200(39) "{\"output\":{\"text\":\"mine\",\"stop\":\"end\"}}"), LLMRES_OK);
    CHECK(strcmp(text, "mine") == 0);
    CHECK(starts(sent, "POST /v2/generate/tiny HTTP/1.1\r\n"));
    CHECK(strstr(sent, "\r\nX-Token: tok\r\n") != NULL);
    CHECK(strstr(sent, "\r\nX-Api-Version: 7\r\n") != NULL);
    CHECK(strstr(sent, "\"max_new_tokens\":32") != NULL);
    /* a row with a hole in it is refused at init */
    {
        llmres_wire_t broken = mine;
        broken.answer = NULL;
        p.wire = &broken;
        CHECK_EQ(ask_row(&p, OPENAI_OK), LLMRES_ERR_INVALID);
    }
}

/* An OpenAI project key is ~164 characters: it goes out whole; one longer than
   LLMRES_MAX_API_KEY is refused at init, never cut (a cut key is a 401, never retried). */
static void long_api_keys_go_whole_or_are_refused(void) {
    static char key[LLMRES_MAX_API_KEY + 2], want[LLMRES_MAX_API_KEY + 40];
    llmres_provider_t p;
    memset(&p, 0, sizeof(p));
    memset(key, 'k', 164);
    memcpy(key, "sk-proj-", 8);
    key[164] = 0;
    p.format = LLMRES_PROVIDER_OPENAI;
    p.host = "api.example";
    p.api_key = key;
    p.model = "m";
    CHECK_EQ(ask_row(&p, OPENAI_OK), LLMRES_OK);
    snprintf(want, sizeof(want), "\r\nAuthorization: Bearer %s\r\n", key);
    CHECK(strstr(sent, want) != NULL);
    memset(key, 'k', LLMRES_MAX_API_KEY); /* the longest that fits */
    key[LLMRES_MAX_API_KEY] = 0;
    CHECK_EQ(ask_row(&p, OPENAI_OK), LLMRES_OK);
    snprintf(want, sizeof(want), "\r\nAuthorization: Bearer %s\r\n", key);
    CHECK(strstr(sent, want) != NULL);
    key[LLMRES_MAX_API_KEY] = 'k';
    key[LLMRES_MAX_API_KEY + 1] = 0;
    CHECK_EQ(ask_row(&p, OPENAI_OK), LLMRES_ERR_TOO_LARGE);
}

/* A whole answer longer than text_cap ends TOO_LARGE, as a streamed one does. */
static void an_answer_too_long_is_too_large(void) {
    llmres_call_t call;
    const char *answers[1] = {OPENAI_OK};
    char small[4];
    script_setup(NULL, answers, 1, 0);
    llmres_call_init(&call, "hello", small, sizeof(small));
    CHECK_EQ(llmres_call(&client, &worker, &call, &res), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(res.cls, LLMRES_CLASS_PERMANENT);
    CHECK_EQ(res.status, 200);
    CHECK_EQ(res.attempts, 1);
    CHECK_EQ(small[0], 0); /* never a cut answer */
    llmres_worker_close(&worker);
}

/* Caching is an explicit setting: the default config caches nothing, a zeroed call is
   not cached, a call may ask for it or refuse it. */
static void caching_is_asked_for(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    llmres_call_t call;
    memset(&sc, 0, sizeof(sc));
    setup(&sc, NULL, 1);
    CHECK_EQ(ask(0, 0), LLMRES_OK);
    CHECK_EQ(ask(0, 0), LLMRES_OK); /* temperature 0 with the defaults: asked again */
    CHECK_EQ(res.cached, 0);
    CHECK_EQ(sim.stats.requests, 2);
    llmres_call_init(&call, "cache me", text, sizeof(text));
    CHECK_EQ(call.temperature_milli, -1);
    call.cache = LLMRES_CALL_CACHE_YES;
    CHECK_EQ(llmres_call(&client, &worker, &call, &res), LLMRES_OK);
    CHECK_EQ(llmres_call(&client, &worker, &call, &res), LLMRES_OK);
    CHECK_EQ(res.cached, 1);
    CHECK_EQ(sim.stats.requests, 3);
    llmres_config_defaults(&cfg);
    cfg.cache = LLMRES_CACHE_ALL;
    setup(&sc, &cfg, 1);
    call.cache = LLMRES_CALL_CACHE_NO; /* this call refuses what the config offers */
    CHECK_EQ(llmres_call(&client, &worker, &call, &res), LLMRES_OK);
    CHECK_EQ(llmres_call(&client, &worker, &call, &res), LLMRES_OK);
    CHECK_EQ(res.cached, 0);
    CHECK_EQ(client.cache_hits, 0);
    call.cache = 9;
    CHECK_EQ(llmres_call(&client, &worker, &call, &res), LLMRES_ERR_INVALID);
}

/* ---- streaming through the call ---- */
static char streamed[256];
static int restarts;
static void on_text(void *user, const char *t, size_t n) {
    size_t at = strlen(streamed);
    (void)user;
    if (!t) { restarts++; at = 0; streamed[0] = 0; return; } /* start over */
    if (at + n + 2 < sizeof(streamed)) { memcpy(streamed + at, t, n); streamed[at + n] = '|'; streamed[at + n + 1] = 0; }
}

#define SSE_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
#define CHUNK(hex, text) hex "\r\n" text "\r\n"
static const char sse_ok[] = SSE_HEAD
    CHUNK("31", "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n")
    CHUNK("47", "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n")
    CHUNK("48", "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}\n\n")
    CHUNK("e", "data: [DONE]\n\n") "0\r\n\r\n";
static const char sse_overloaded[] = SSE_HEAD /* text, then an error after the 200 */
    CHUNK("31", "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n")
    CHUNK("58", "data: {\"error\":{\"message\":\"The engine is currently overloaded\",\"type\":\"server_error\"}}\n\n")
    "0\r\n\r\n";
static const char sse_cut[] = SSE_HEAD /* the connection ends inside the stream */
    CHUNK("31", "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n") "40\r\ndata: {\"cho";
static const char sse_garbage[] = SSE_HEAD CHUNK("e", "data: <html>\n\n") "0\r\n\r\n";
static const char sse_done_quiet[] = SSE_HEAD /* no terminating chunk: the body stays open */
    CHUNK("4a", "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"},\"finish_reason\":\"stop\"}]}\n\n")
    CHUNK("e", "data: [DONE]\n\n");
static const char sse_quota_quiet[] = SSE_HEAD
    CHUNK("5b", "data: {\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\"}}\n\n");

static int stream_call(const char *const *answers, int count, int close_after, uint32_t retries) {
    llmres_config_t cfg;
    llmres_call_t call;
    int rc;
    llmres_config_defaults(&cfg);
    cfg.max_retries = retries;
    cfg.backoff_base_ms = 10;
    cfg.tokens_per_minute = 10000;
    cfg.attempt_timeout_ms = 5000; /* longer than a stream's linger */
    script_setup(&cfg, answers, count, close_after);
    streamed[0] = 0;
    restarts = 0;
    memset(&call, 0, sizeof(call));
    call.messages = &hello;
    call.message_count = 1;
    call.max_tokens = 50;
    call.temperature_milli = 700;
    call.timeout_ms = 10000;
    call.text = text;
    call.text_cap = sizeof(text);
    call.on_text = on_text;
    rc = llmres_call(&client, &worker, &call, &res);
    llmres_worker_close(&worker);
    CHECK_EQ(live, 0);
    return rc;
}

static void streamed_answers_resilient(void) {
    static const char *const ok[1] = {sse_ok};
    static const char *const overloaded_then_ok[2] = {sse_overloaded, sse_ok};
    static const char *const cut_then_ok[2] = {sse_cut, sse_ok};
    static const char *const garbage[1] = {sse_garbage};
    static const char *const overloaded[1] = {sse_overloaded};
    static const char *const done_quiet[1] = {sse_done_quiet};
    static const char *const quota_quiet[1] = {sse_quota_quiet};
    CHECK_EQ(stream_call(ok, 1, 0, 0), LLMRES_OK);
    CHECK(strcmp(streamed, "Hel|lo|") == 0);
    CHECK(strcmp(text, "Hello") == 0);
    CHECK_EQ(res.input_tokens, 7); /* usage from the last chunk: the token bucket reconciles */
    CHECK_EQ(res.output_tokens, 2);
    CHECK_EQ(llmres_bucket_available(&client.tpm, sim.now), 10000 - 9);
    /* an error after the 200: the partial text is void, the retry streams it anew */
    CHECK_EQ(stream_call(overloaded_then_ok, 2, 0, 2), LLMRES_OK);
    CHECK_EQ(restarts, 1);
    CHECK(strcmp(streamed, "Hel|lo|") == 0);
    CHECK(strcmp(text, "Hello") == 0);
    CHECK_EQ(res.attempts, 2);
    CHECK_EQ(client.attempts_by_class[LLMRES_CLASS_OVERLOADED], 1);
    /* no retry left: the overloaded class, with the partial text told */
    CHECK_EQ(stream_call(overloaded, 1, 0, 0), LLMRES_ERR_PROVIDER);
    CHECK_EQ(res.cls, LLMRES_CLASS_OVERLOADED);
    CHECK(strcmp(streamed, "Hel|") == 0);
    CHECK(strcmp(res.message, "The engine is currently overloaded") == 0);
    /* cut mid-stream: truncated, transient, retried on a new connection */
    CHECK_EQ(stream_call(cut_then_ok, 2, 1, 2), LLMRES_OK);
    CHECK_EQ(client.attempts_by_class[LLMRES_CLASS_TRANSIENT_NETWORK], 1);
    CHECK_EQ(restarts, 1);
    CHECK(strcmp(text, "Hello") == 0);
    CHECK(opens >= 2);
    /* the stream ends but the server keeps its body open: the answer stands after a
       short linger, not after the attempt's timeout; an error the same way, by its class */
    CHECK_EQ(stream_call(done_quiet, 1, 0, 0), LLMRES_OK);
    CHECK(strcmp(text, "Hello") == 0);
    CHECK(res.elapsed_ms >= LLMRES_STREAM_LINGER_MS && res.elapsed_ms < LLMRES_STREAM_LINGER_MS + 100);
    CHECK_EQ(stream_call(quota_quiet, 1, 0, 2), LLMRES_ERR_PROVIDER);
    CHECK_EQ(res.cls, LLMRES_CLASS_QUOTA);
    CHECK_EQ(res.attempts, 1); /* quota: not retried */
    /* not SSE/JSON: a server error, the connection closed */
    CHECK_EQ(stream_call(garbage, 1, 0, 0), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(res.cls, LLMRES_CLASS_SERVER_ERROR);
    CHECK_EQ(closes, opens);
}

static const char sse_stalls[] = SSE_HEAD /* two pieces, then nothing: the body stays open */
    CHUNK("31", "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n")
    CHUNK("30", "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n");
static const char sse_pings[] = SSE_HEAD CHUNK("8", ": ping\n\n"); /* bytes, never text */

/* One call with the attempt's own clocks set (0: off), under an attempt timeout of 30 s. */
static int clocked_call(const char *const *answers, int count, int stream, uint32_t first_byte,
                        uint32_t first_token, uint32_t idle, uint32_t retries) {
    llmres_config_t cfg;
    llmres_call_t call;
    int rc;
    llmres_config_defaults(&cfg);
    cfg.max_retries = retries;
    cfg.backoff_base_ms = 10;
    cfg.attempt_timeout_ms = 30000;
    cfg.first_byte_timeout_ms = first_byte;
    cfg.first_token_timeout_ms = first_token;
    cfg.stream_idle_timeout_ms = idle;
    script_setup(&cfg, answers, count, 0);
    streamed[0] = 0;
    restarts = 0;
    llmres_call_init(&call, "hi", text, sizeof(text));
    call.timeout_ms = 60000;
    if (stream) call.on_text = on_text;
    rc = llmres_call(&client, &worker, &call, &res);
    llmres_worker_close(&worker);
    return rc;
}

/* A stream that stalls after two pieces ends by its idle clock, not the attempt's; no
   first byte and no first token end by theirs; each is counted apart, class timeout. */
static void streams_have_their_own_clocks(void) {
    static const char *const stalls[1] = {sse_stalls};
    static const char *const stalls_then_ok[2] = {sse_stalls, sse_ok};
    static const char *const silent[1] = {""};
    static const char *const pings[1] = {sse_pings};
    CHECK_EQ(clocked_call(stalls, 1, 1, 0, 0, 10000, 0), LLMRES_ERR_STREAM_IDLE);
    CHECK_EQ(res.cls, LLMRES_CLASS_TIMEOUT);
    CHECK(strcmp(streamed, "Hel|lo|") == 0);
    CHECK(res.elapsed_ms >= 10000 && res.elapsed_ms < 10000 + 1100); /* not the attempt's 30 s */
    CHECK_EQ(client.stream_idle_timeouts, 1);
    CHECK_EQ(client.attempts_by_class[LLMRES_CLASS_TIMEOUT], 1);
    CHECK_EQ(live, 0); /* the dead stream's connection is closed */
    /* retried: the stalled text is void, the next attempt streams it anew */
    CHECK_EQ(clocked_call(stalls_then_ok, 2, 1, 0, 0, 2000, 1), LLMRES_OK);
    CHECK_EQ(restarts, 1);
    CHECK(strcmp(text, "Hello") == 0);
    CHECK_EQ(res.attempts, 2);
    /* the idle clock off: the stall waits out the attempt */
    CHECK_EQ(clocked_call(stalls, 1, 1, 0, 0, 0, 0), LLMRES_ERR_TIMEOUT);
    CHECK(res.elapsed_ms >= 30000 && res.elapsed_ms < 30000 + 1100);
    /* no byte at all, streamed or not */
    CHECK_EQ(clocked_call(silent, 1, 0, 2000, 0, 10000, 0), LLMRES_ERR_FIRST_BYTE);
    CHECK_EQ(res.cls, LLMRES_CLASS_TIMEOUT);
    CHECK(res.elapsed_ms >= 2000 && res.elapsed_ms < 2000 + 1100);
    CHECK_EQ(client.first_byte_timeouts, 1);
    /* bytes (keep-alive comments) but no text: the first-token clock, before the idle one */
    CHECK_EQ(clocked_call(pings, 1, 1, 2000, 3000, 10000, 0), LLMRES_ERR_FIRST_TOKEN);
    CHECK(res.elapsed_ms >= 3000 && res.elapsed_ms < 3000 + 1100);
    CHECK_EQ(client.first_token_timeouts, 1);
    CHECK_EQ(client.first_byte_timeouts, 0); /* the bytes came */
    /* a whole answer in time meets none of them */
    CHECK_EQ(clocked_call(stalls_then_ok + 1, 1, 1, 2000, 3000, 1000, 0), LLMRES_OK);
    CHECK_EQ(client.first_byte_timeouts + client.first_token_timeouts + client.stream_idle_timeouts, 0);
}

/* A superloop's call: no step waits for the answer, each returns at once. */
static void steps_never_wait_for_the_answer(void) {
    llmres_sim_config_t sc;
    llmres_call_t call;
    llmres_call_state_t st;
    uint32_t wait = 0, t0, steps = 0;
    int rc;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 500;
    setup(&sc, NULL, 1);
    memset(&call, 0, sizeof(call));
    call.messages = &hello;
    call.message_count = 1;
    call.temperature_milli = 700;
    call.text = text;
    call.text_cap = sizeof(text);
    memset(&st, 0, sizeof(st));
    t0 = sim.now;
    while ((rc = llmres_call_step(&client, &worker, &call, &st, &res, &wait)) == LLMRES_CALL_WAIT && steps < 1000) {
        uint32_t before = sim.now;
        steps++;
        CHECK(wait >= 1 && wait <= LLMRES_POLL_MS);
        sim.port.sleep_ms(sim.port.ctx, wait);   /* the superloop's other work */
        CHECK(sim.now - before == wait);
        if (steps == 3) CHECK_EQ(client.in_flight, 1);
    }
    CHECK_EQ(rc, LLMRES_CALL_DONE);
    CHECK_EQ(res.error, LLMRES_OK);
    CHECK(sim.now - t0 >= 500 && sim.now - t0 <= 500 + LLMRES_POLL_MS);
    CHECK(steps >= 500 / LLMRES_POLL_MS);
    CHECK_EQ(client.in_flight, 0);
    /* given up while the answer is on its way: its slot and connection are freed */
    memset(&st, 0, sizeof(st));
    CHECK_EQ(llmres_call_step(&client, &worker, &call, &st, &res, &wait), LLMRES_CALL_WAIT);
    CHECK_EQ(client.in_flight, 1);
    llmres_call_abort(&client, &worker, &st);
    CHECK_EQ(client.in_flight, 0);
    CHECK_EQ(worker.http.conn[0].open + worker.http.conn[1].open, 0);
    llmres_call_abort(&client, &worker, &st); /* twice: nothing more */
    CHECK_EQ(client.in_flight, 0);
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_CLOSED);
    CHECK_EQ(ask(700, 0), LLMRES_OK); /* and the client goes on */
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(answers_and_caches_deterministic_requests);
    RUN(retry_honours_retry_after);
    RUN(quota_and_auth_are_not_retried);
    RUN(authentication_is_not_retried_but_falls_back);
    RUN(the_deadline_holds);
    RUN(falls_back_to_the_next_provider);
    RUN(breaker_opens_and_recovers);
    RUN(token_bucket_reconciles_with_usage);
    RUN(server_rate_limit_headers_set_the_providers_wait);
    RUN(bad_calls_get_errors);
    RUN(bad_responses_end_in_a_class);
    RUN(azure_is_one_row);
    RUN(each_row_sends_its_own_headers);
    RUN(a_provider_of_your_own_is_a_row);
    RUN(long_api_keys_go_whole_or_are_refused);
    RUN(an_answer_too_long_is_too_large);
    RUN(caching_is_asked_for);
    RUN(streamed_answers_resilient);
    RUN(streams_have_their_own_clocks);
    RUN(steps_never_wait_for_the_answer);
    return T_DONE();
}
