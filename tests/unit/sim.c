/* The simulated port: an overloaded provider in virtual time, through the real HTTP
   client and the taxonomy, and its streamed answers through the resilient call. Runs in
   milliseconds of real time and crosses the 32-bit wrap. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_sim.h"
#include "../test.h"
#include <time.h>

static llmres_sim_t sim;
static llmres_http_client_t client;
static llmres_http_response_t resp;
static uint8_t body[4096];
static char text[256];
static llmres_llm_result_t res;

static void setup(const llmres_sim_config_t *cfg) {
    llmres_sim_init(&sim, cfg);
    llmres_http_client_init(&client, &sim.port, NULL);
}

/* One chat request; returns the class and fills resp/res. */
static int ask(uint32_t timeout_ms) {
    static const llmres_http_header_t h = {"Authorization", "Bearer sim"};
    static const char json[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    llmres_http_request_t q;
    int st;
    memset(&q, 0, sizeof(q));
    q.method = "POST"; q.host = "sim.local"; q.path = "/v1/chat/completions";
    q.headers = &h; q.header_count = 1; q.body = json; q.body_len = sizeof(json) - 1;
    llmres_http_response_init(&resp, body, sizeof(body), NULL, NULL, 0);
    st = llmres_http_exchange(&client, &q, &resp, timeout_ms);
    memset(&res, 0, sizeof(res));
    res.text = text;
    res.text_cap = sizeof(text);
    if (st > 0) llmres_llm_parse_response(llmres_wire_get(sim.cfg.provider), body, resp.body_len, &res);
    return llmres_classify(st, &resp.hints, &res);
}

static void under_capacity_everything_is_served(void) {
    llmres_sim_config_t c;
    int i, ok = 0;
    uint32_t t0;
    memset(&c, 0, sizeof(c));
    c.capacity_milli = 2000; c.latency_ms = 300;
    setup(&c);
    t0 = sim.now;
    for (i = 0; i < 100; i++) {
        ok += ask(5000) == LLMRES_CLASS_OK;
        sim.port.sleep_ms(sim.port.ctx, 700);
    }
    CHECK_EQ(ok, 100);
    CHECK(strncmp(text, "sim answer", 10) == 0);
    CHECK_EQ(sim.now - t0, 100u * (300u + 700u) + 1u); /* one connect, kept alive */
    CHECK((int32_t)(sim.now - t0) > 60000);           /* across the wrap */
    CHECK_EQ(client.connects, 1);
}

static void overload_looks_like_each_provider(void) {
    static const struct { int provider, overload, cls; } v[] = {
        {LLMRES_PROVIDER_OPENAI, LLMRES_SIM_OVERLOAD_DEFAULT, LLMRES_CLASS_RATE_LIMIT},
        {LLMRES_PROVIDER_ANTHROPIC, LLMRES_SIM_OVERLOAD_DEFAULT, LLMRES_CLASS_OVERLOADED},
        {LLMRES_PROVIDER_OLLAMA, LLMRES_SIM_OVERLOAD_DEFAULT, LLMRES_CLASS_OVERLOADED},
        {LLMRES_PROVIDER_ANTHROPIC, LLMRES_SIM_OVERLOAD_500, LLMRES_CLASS_OVERLOADED},
        {LLMRES_PROVIDER_OPENAI, LLMRES_SIM_OVERLOAD_503, LLMRES_CLASS_OVERLOADED},
        {LLMRES_PROVIDER_OPENAI, LLMRES_SIM_OVERLOAD_RESET, LLMRES_CLASS_TRANSIENT_NETWORK},
        {LLMRES_PROVIDER_OPENAI, LLMRES_SIM_OVERLOAD_TIMEOUT, LLMRES_CLASS_TIMEOUT},
    };
    size_t i;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        llmres_sim_config_t c;
        uint32_t t0;
        memset(&c, 0, sizeof(c));
        c.provider = v[i].provider; c.capacity_milli = 1000; c.overload = v[i].overload;
        setup(&c);
        CHECK_EQ(ask(2000), LLMRES_CLASS_OK); /* the burst of one */
        t0 = sim.now;
        CHECK_EQ(ask(2000), v[i].cls);
        if (v[i].overload == LLMRES_SIM_OVERLOAD_TIMEOUT) CHECK_EQ(sim.now - t0, 2000); /* exactly the deadline */
        if (v[i].cls == LLMRES_CLASS_RATE_LIMIT) {
            /* the hint tells the real wait: after it, the provider serves again */
            CHECK(resp.hints.retry_after_ms > 0 && resp.hints.retry_after_ms <= 1000);
            sim.port.sleep_ms(sim.port.ctx, resp.hints.retry_after_ms);
            CHECK_EQ(ask(2000), LLMRES_CLASS_OK);
        }
        if (v[i].provider == LLMRES_PROVIDER_ANTHROPIC && v[i].overload == LLMRES_SIM_OVERLOAD_DEFAULT)
            CHECK_EQ(resp.hints.should_retry, 1);
        /* a reset on a kept-alive connection is retried once, into the same overload */
        CHECK_EQ(sim.stats.overloaded, v[i].overload == LLMRES_SIM_OVERLOAD_RESET ? 2u : 1u);
    }
}

static void outages_quota_and_failures(void) {
    llmres_sim_config_t c;
    int i, fails = 0, again = 0;
    memset(&c, 0, sizeof(c));
    c.outages[0].start_ms = 10000; c.outages[0].end_ms = 20000;
    c.outages[1].start_ms = 30000; c.outages[1].end_ms = 31000; c.outages[1].reset = 1;
    c.outage_count = 2;
    setup(&c);
    CHECK_EQ(ask(2000), LLMRES_CLASS_OK);
    sim.port.sleep_ms(sim.port.ctx, 12000);
    CHECK_EQ(ask(2000), LLMRES_CLASS_SERVER_ERROR); /* 503 during the window */
    sim.port.sleep_ms(sim.port.ctx, 10000);
    CHECK_EQ(ask(2000), LLMRES_CLASS_OK);
    sim.port.sleep_ms(sim.port.ctx, 8000);
    CHECK_EQ(ask(2000), LLMRES_CLASS_TRANSIENT_NETWORK); /* reset */
    /* the 503, and the reset twice: a reused connection reset before any answer is
       replaced and the request sent once more, into the same outage */
    CHECK_EQ(sim.stats.outage, 3);
    CHECK_EQ(client.stale_retries, 1);
    memset(&c, 0, sizeof(c));
    c.quota = 1;
    setup(&c);
    CHECK_EQ(ask(2000), LLMRES_CLASS_QUOTA);
    c.provider = LLMRES_PROVIDER_ANTHROPIC;
    setup(&c);
    CHECK_EQ(ask(2000), LLMRES_CLASS_QUOTA);
    /* random failures: deterministic for a seed */
    memset(&c, 0, sizeof(c));
    c.failure_permille = 200; c.seed = 7;
    setup(&c);
    for (i = 0; i < 200; i++) fails += ask(2000) == LLMRES_CLASS_SERVER_ERROR;
    CHECK(fails > 20 && fails < 70);
    setup(&c);
    for (i = 0; i < 200; i++) again += ask(2000) == LLMRES_CLASS_SERVER_ERROR;
    CHECK_EQ(again, fails);
    CHECK_EQ((int)sim.stats.failures, fails);
}

static void fast_in_real_time(void) {
    llmres_sim_config_t c;
    clock_t t0 = clock();
    int i;
    memset(&c, 0, sizeof(c));
    c.capacity_milli = 500; c.latency_ms = 1000; c.jitter_ms = 500;
    setup(&c);
    /* a client that never backs off hammers a provider that serves 0.5/s: the
       refusals come at once, each served request takes its latency in virtual time */
    for (i = 0; i < 1000; i++) ask(10000);
    CHECK(sim.now - sim.start >= sim.stats.served * 1000u);
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
    CHECK(sim.stats.overloaded > 0 && sim.stats.served > 0);
}

/* ---- streamed answers ---- */
static const int providers[3] = {LLMRES_PROVIDER_OPENAI, LLMRES_PROVIDER_ANTHROPIC, LLMRES_PROVIDER_OLLAMA};
static llmres_client_t caller;
static llmres_worker_t worker;
static llmres_result_t outcome;
static char answer[256], told[256]; /* the call's text; what on_text told, joined */
static int pieces, restarts;

static void on_text(void *user, const char *t, size_t n) {
    size_t at = strlen(told);
    (void)user;
    if (!t) { restarts++; told[0] = 0; return; } /* start over */
    pieces++;
    if (at + n < sizeof(told)) { memcpy(told + at, t, n); told[at + n] = 0; }
}

/* A sim of provider p, and a client with one provider on it that retries `retries` times
   soon (backoff from 10 ms up to backoff_max_ms), with no limits of its own, no cache,
   and its breaker held closed: these tests are about retries. */
static void start(int p, llmres_sim_config_t *sc, uint32_t retries, uint32_t backoff_max_ms) {
    static llmres_provider_t chain;
    llmres_config_t cfg;
    memset(&chain, 0, sizeof(chain));
    chain.format = p; chain.host = "sim.local"; chain.port = 80; chain.api_key = "sk-sim"; chain.model = "m";
    sc->provider = p;
    llmres_sim_init(&sim, sc);
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0; cfg.cache = LLMRES_CACHE_OFF; cfg.max_retries = retries;
    cfg.backoff_base_ms = 10; cfg.backoff_max_ms = backoff_max_ms;
    /* no retry budget, no throttle: these tests count what every retry does to a stream
       (tests/unit/client.c tests the budget and the throttle) */
    cfg.retry_budget_pct = 0; cfg.throttle_k_milli = 0;
    CHECK_EQ(llmres_client_init(&caller, &sim.port, NULL, &cfg, &chain, 1), LLMRES_OK);
    CHECK_EQ(llmres_breaker_force_closed(&caller.breaker[0], sim.now), LLMRES_OK);
    CHECK_EQ(llmres_worker_init(&worker, &caller, NULL), LLMRES_OK);
}

/* One resilient call, streamed (on_text set, so "stream":true is asked) or whole. */
static int call(int stream) {
    static const llmres_llm_message_t hello = {"user", "hello there, gateway"};
    llmres_call_t c;
    memset(&c, 0, sizeof(c));
    c.messages = &hello; c.message_count = 1; c.temperature_milli = 700;
    c.text = answer; c.text_cap = sizeof(answer);
    if (stream) c.on_text = on_text;
    told[0] = 0;
    pieces = restarts = 0;
    return llmres_call(&caller, &worker, &c, &outcome);
}

static void streams_in_each_format(void) {
    size_t i;
    for (i = 0; i < 3; i++) {
        llmres_sim_config_t c;
        char whole[sizeof(answer)], finish[sizeof(worker.lr.finish)];
        memset(&c, 0, sizeof(c));
        c.latency_ms = 200;
        start(providers[i], &c, 0, 100);
        CHECK_EQ(call(0), LLMRES_OK);
        CHECK_EQ(sim.stats.streams, 0);
        snprintf(whole, sizeof(whole), "%s", answer);
        snprintf(finish, sizeof(finish), "%s", worker.lr.finish);
        start(providers[i], &c, 0, 100); /* afresh: the same request number, so the same answer */
        CHECK_EQ(call(1), LLMRES_OK);
        CHECK_EQ(sim.stats.streams, 1);
        CHECK(strcmp(told, whole) == 0);
        CHECK(strcmp(answer, whole) == 0);
        CHECK(strcmp(whole, "sim answer 1") == 0);
        CHECK_EQ(pieces, 3); /* "sim ", "answ", "er 1" */
        CHECK_EQ(restarts, 0);
        CHECK(finish[0] && strcmp(worker.lr.finish, finish) == 0);
        CHECK(outcome.input_tokens > 0 && outcome.input_tokens != LLMRES_UNKNOWN);
        CHECK_EQ(outcome.output_tokens, 4);
        CHECK_EQ(outcome.text_len, strlen(whole));
        /* the stream ended its body properly: no linger, and the connection carries the next */
        CHECK(outcome.elapsed_ms >= 200 && outcome.elapsed_ms < 200 + LLMRES_STREAM_LINGER_MS);
        CHECK_EQ(call(1), LLMRES_OK);
        CHECK(strcmp(told, "sim answer 2") == 0);
        CHECK_EQ(sim.stats.connects, 1);
        CHECK_EQ(call(0), LLMRES_OK); /* and a whole answer after a stream, on it too */
        CHECK(strcmp(answer, "sim answer 3") == 0);
        CHECK_EQ(sim.stats.connects, 1);
        llmres_worker_close(&worker);
    }
}

/* The bytes the sim sends for a stream: each provider's content type and framing. */
static size_t raw(const char *json, char *out, size_t cap) {
    char request[512];
    size_t at = 0;
    int id, n;
    n = snprintf(request, sizeof(request), "POST /chat HTTP/1.1\r\nHost: sim.local\r\nContent-Length: %u\r\n\r\n%s",
                 (unsigned)strlen(json), json);
    id = sim.port.tcp.open(sim.port.tcp.ctx, "sim.local", 80, 1000);
    CHECK_EQ(sim.port.tcp.send(sim.port.tcp.ctx, id, request, (size_t)n, 1000), n);
    while (at + 1 < cap && (n = sim.port.tcp.recv(sim.port.tcp.ctx, id, out + at, cap - 1 - at, 1000)) > 0) at += (size_t)n;
    out[at] = 0;
    sim.port.tcp.close(sim.port.tcp.ctx, id);
    return at;
}

static int occurrences(const char *s, const char *w) {
    int n = 0;
    for (s = strstr(s, w); s; s = strstr(s + 1, w)) n++;
    return n;
}

static void stream_bytes_are_each_providers_framing(void) {
    static const struct { int provider; const char *json, *type, *delta, *end; } v[] = {
        {LLMRES_PROVIDER_OPENAI, "{\"model\":\"m\",\"stream\":true}", "text/event-stream",
         "\"delta\":{\"content\":\"", "data: [DONE]\n\n"},
        {LLMRES_PROVIDER_OPENAI, "{\"model\":\"m\", \"stream\" : true,\"stream_options\":{\"include_usage\":true}}",
         "text/event-stream", "\"delta\":{\"content\":\"", "data: [DONE]\n\n"},
        {LLMRES_PROVIDER_ANTHROPIC, "{\"stream\":true,\"max_tokens\":9}", "text/event-stream",
         "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"",
         "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"},
        {LLMRES_PROVIDER_OLLAMA, "{\"model\":\"m\",\"stream\":true,\"options\":{}}", "application/x-ndjson",
         "\"done\":false}\n", "\"done_reason\":\"stop\",\"done\":true,\"prompt_eval_count\":11,\"eval_count\":4}\n"},
    };
    static char bytes[4096], dechunked[4096];
    llmres_sim_config_t c;
    size_t i;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char head[64];
        size_t n, used = 0, end = strlen(v[i].end);
        memset(&c, 0, sizeof(c));
        c.provider = v[i].provider;
        llmres_sim_init(&sim, &c);
        n = raw(v[i].json, bytes, sizeof(bytes));
        snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n", v[i].type);
        CHECK(strncmp(bytes, head, strlen(head)) == 0);
        CHECK(strstr(bytes, "Transfer-Encoding: chunked\r\n") != NULL);
        CHECK(n > 5 && strcmp(bytes + n - 5, "0\r\n\r\n") == 0);
        llmres_http_response_init(&resp, dechunked, sizeof(dechunked) - 1, NULL, NULL, 0);
        CHECK_EQ(llmres_http_parse(&resp, bytes, n, &used), 1); /* the chunk sizes are right */
        CHECK_EQ(used, n);
        dechunked[resp.body_len] = 0;
        CHECK_EQ(occurrences(dechunked, v[i].delta), 3);
        CHECK(resp.body_len > end && strcmp(dechunked + resp.body_len - end, v[i].end) == 0);
        CHECK_EQ(occurrences(dechunked, "\"usage\":{\"prompt_tokens\":"), i == 1); /* only when asked */
    }
    /* a prompt that merely says "stream":true is no stream, nor is one told false */
    llmres_sim_init(&sim, &c);
    raw("{\"messages\":[{\"content\":\"{\\\"stream\\\":true}\"}]}", bytes, sizeof(bytes));
    CHECK(strstr(bytes, "Content-Type: application/json\r\n") != NULL);
    raw("{\"stream\":false,\"options\":{}}", bytes, sizeof(bytes));
    CHECK(strstr(bytes, "Content-Type: application/json\r\n") != NULL);
    CHECK_EQ(sim.stats.streams, 0);
    CHECK_EQ(sim.stats.served, 2);
}

static void streamed_call_retries_through_overload(void) {
    size_t i;
    for (i = 0; i < 3; i++) {
        llmres_sim_config_t c;
        memset(&c, 0, sizeof(c));
        c.capacity_milli = 1000; /* one at once, one a second */
        start(providers[i], &c, 10, 2000); /* a 529 or 503 says no time: backoff must reach the refill */
        CHECK_EQ(call(1), LLMRES_OK);
        CHECK_EQ(call(1), LLMRES_OK); /* refused in the provider's own way, then served */
        CHECK(outcome.attempts >= 2);
        CHECK(sim.stats.overloaded >= 1);
        CHECK_EQ(outcome.attempts, sim.stats.requests - 1);
        CHECK_EQ(restarts, 0); /* the refusals were whole errors: nothing was told */
        CHECK(strncmp(answer, "sim answer", 10) == 0);
        CHECK(strcmp(told, answer) == 0);
        CHECK(pieces > 1);
        CHECK_EQ(sim.stats.streams, 2);
        llmres_worker_close(&worker);
    }
}

static void a_stream_that_fails_part_way(void) {
    static const struct { uint8_t cut; uint32_t after; int cls; const char *told; } v[] = {
        {0, 0, LLMRES_CLASS_OVERLOADED, ""},
        {0, 1, LLMRES_CLASS_OVERLOADED, "sim "},
        {0, 99, LLMRES_CLASS_OVERLOADED, "sim answer 1"}, /* the whole text, then no end: no answer */
        {1, 1, LLMRES_CLASS_TRANSIENT_NETWORK, "sim "},
        {1, 99, LLMRES_CLASS_TRANSIENT_NETWORK, "sim answer 1"},
    };
    size_t i, k;
    for (i = 0; i < sizeof(v) / sizeof(v[0]) * 3; i++) {
        llmres_sim_config_t c;
        memset(&c, 0, sizeof(c));
        c.stream_fault_permille = 1000; c.stream_fault_cut = v[i / 3].cut; c.stream_fault_after = v[i / 3].after;
        start(providers[i % 3], &c, 0, 100);
        CHECK_EQ(call(1), v[i / 3].cut ? LLMRES_ERR_TRUNCATED : LLMRES_ERR_PROVIDER);
        CHECK_EQ(outcome.cls, v[i / 3].cls);
        CHECK_EQ(outcome.status, v[i / 3].cut ? LLMRES_ERR_TRUNCATED : 200);
        CHECK(strcmp(told, v[i / 3].told) == 0);
        CHECK_EQ(outcome.text_len, 0);
        CHECK_EQ(sim.stats.stream_faults, 1);
        CHECK(v[i / 3].cut ? !outcome.message[0] : outcome.message[0] != 0); /* the error event's message */
        llmres_worker_close(&worker);
    }
    /* some streams fail after two pieces, the calls retry: each ends with one whole
       answer, and every failure was followed by exactly one "start over" */
    for (k = 0; k < 6; k++) {
        llmres_sim_config_t c;
        int total = 0, ok = 0, j;
        memset(&c, 0, sizeof(c));
        c.stream_fault_permille = 400; c.stream_fault_after = 2; c.stream_fault_cut = (uint8_t)(k / 3);
        c.capacity_milli = 4000; c.seed = 11; /* and some plain overload too */
        start(providers[k % 3], &c, 20, 1000);
        for (j = 0; j < 20; j++) {
            ok += call(1) == LLMRES_OK && strcmp(told, answer) == 0 && strncmp(answer, "sim answer", 10) == 0;
            total += restarts;
            sim.port.sleep_ms(sim.port.ctx, 100);
        }
        CHECK_EQ(ok, 20);
        CHECK(sim.stats.stream_faults >= 4);
        CHECK_EQ((uint32_t)total, sim.stats.stream_faults);
        CHECK_EQ(sim.stats.streams, 20 + sim.stats.stream_faults);
        llmres_worker_close(&worker);
    }
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(under_capacity_everything_is_served);
    RUN(overload_looks_like_each_provider);
    RUN(outages_quota_and_failures);
    RUN(fast_in_real_time);
    RUN(streams_in_each_format);
    RUN(stream_bytes_are_each_providers_framing);
    RUN(streamed_call_retries_through_overload);
    RUN(a_stream_that_fails_part_way);
    return T_DONE();
}
