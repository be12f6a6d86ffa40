/* The simulated port: an overloaded provider in virtual time, through the real HTTP
   client and the taxonomy. Runs in milliseconds of real time and crosses the 32-bit wrap. */
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
    if (st > 0) llmres_llm_parse_response(sim.cfg.provider, body, resp.body_len, &res);
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

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(under_capacity_everything_is_served);
    RUN(overload_looks_like_each_provider);
    RUN(outages_quota_and_failures);
    RUN(fast_in_real_time);
    return T_DONE();
}
