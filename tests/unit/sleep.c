/* State that survives deep sleep: a client's snapshot, restored into a fresh client after
   a simulated sleep, keeps honouring a retry-after and an open breaker; a corrupt, cut,
   foreign or other-version snapshot is refused and the client starts clean. Virtual time. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_sim.h"
#include "../test.h"

static llmres_sim_t sim;
static llmres_client_t client;
static llmres_worker_t worker;
static uint8_t snap[LLMRES_SNAPSHOT_MAX];
static const llmres_provider_t chain[2] = {
    {LLMRES_PROVIDER_OPENAI, "cloud.sim", 80, 0, NULL, "sk-sim", "gpt-sim", NULL},
    {LLMRES_PROVIDER_OLLAMA, "gateway.sim", 11434, 0, NULL, NULL, "llama-sim", NULL}};

/* A device boots: a fresh client over the same chain (its RAM was lost). */
static void boot(void) {
    llmres_config_t cfg;
    llmres_config_defaults(&cfg);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, &cfg, chain, 2), LLMRES_OK);
    CHECK_EQ(llmres_worker_init(&worker, &client, NULL), LLMRES_OK);
}

static int saved(void) {
    size_t need = 0;
    int n = llmres_client_snapshot(&client, snap, sizeof(snap), &need);
    CHECK_EQ((size_t)n, need);
    return n;
}

static void a_retry_after_survives_the_sleep(void) {
    llmres_sim_config_t sc;
    int n;
    memset(&sc, 0, sizeof(sc));
    llmres_sim_init(&sim, &sc);
    boot();
    llmres_overload_defer(&client.overload[0], sim.now, sim.now + 120000); /* "retry after 120 s" */
    llmres_breaker_force_open(&client.breaker[1], sim.now);
    n = saved();
    CHECK_EQ(n, 24 + 2 * 44);
    sim.now += 30000; /* asleep 30 s */
    boot();
    CHECK_EQ(llmres_overload_wait_ms(&client.overload[0], sim.now), 0); /* forgotten... */
    CHECK_EQ(llmres_client_restore(&client, snap, (size_t)n, 30000), LLMRES_OK);
    CHECK_EQ(llmres_overload_wait_ms(&client.overload[0], sim.now), 90000); /* ...remembered */
    CHECK_EQ(llmres_breaker_state(&client.breaker[1]), LLMRES_BREAKER_FORCED_OPEN);
    /* the sleep not known: the whole wait again (the provider is spared) */
    boot();
    CHECK_EQ(llmres_client_restore(&client, snap, (size_t)n, LLMRES_UNKNOWN), LLMRES_OK);
    CHECK_EQ(llmres_overload_wait_ms(&client.overload[0], sim.now), 120000);
    /* slept longer than the wait: nothing held */
    boot();
    CHECK_EQ(llmres_client_restore(&client, snap, (size_t)n, 200000), LLMRES_OK);
    CHECK_EQ(llmres_overload_wait_ms(&client.overload[0], sim.now), 0);
}

static void an_open_breaker_stays_open_for_what_is_left(void) {
    llmres_sim_config_t sc;
    llmres_call_t call;
    llmres_result_t res;
    char text[64];
    uint32_t requests;
    int n, i;
    memset(&sc, 0, sizeof(sc));
    sc.outages[0].start_ms = 0; sc.outages[0].end_ms = 1000000; sc.outages[0].reset = 1;
    sc.outage_count = 1;
    llmres_sim_init(&sim, &sc);
    boot();
    llmres_call_init(&call, "hello", text, sizeof(text));
    for (i = 0; i < 6 && llmres_breaker_state(&client.breaker[0]) != LLMRES_BREAKER_OPEN; i++)
        llmres_call(&client, &worker, &call, &res);
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_OPEN);
    llmres_breaker_force_open(&client.breaker[1], sim.now); /* the chain's end: no way around */
    n = saved();
    sim.now += 1000;
    boot();
    CHECK_EQ(llmres_client_restore(&client, snap, (size_t)n, 1000), LLMRES_OK);
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_OPEN);
    CHECK(llmres_breaker_retry_in(&client.breaker[0], sim.now) <= client.breaker[0].open_for - 1000);
    requests = sim.stats.requests;
    CHECK_EQ(llmres_call(&client, &worker, &call, &res), LLMRES_ERR_OPEN); /* refused, not sent */
    CHECK_EQ(sim.stats.requests, requests);
}

static void a_bad_snapshot_is_refused(void) {
    static const llmres_provider_t other[2] = {
        {LLMRES_PROVIDER_OPENAI, "other.sim", 80, 0, NULL, "sk-sim", "gpt-sim", NULL},
        {LLMRES_PROVIDER_OLLAMA, "gateway.sim", 11434, 0, NULL, NULL, "llama-sim", NULL}};
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    size_t need;
    int n;
    memset(&sc, 0, sizeof(sc));
    llmres_sim_init(&sim, &sc);
    boot();
    llmres_overload_defer(&client.overload[0], sim.now, sim.now + 60000);
    n = saved();
    CHECK_EQ(snap[0], 'L'); CHECK_EQ(snap[1], 'L'); CHECK_EQ(snap[2], 'M'); CHECK_EQ(snap[3], 'R'); /* the same bytes on any CPU */
    boot();
    snap[30] ^= 1; /* one bit */
    CHECK_EQ(llmres_client_restore(&client, snap, (size_t)n, 0), LLMRES_ERR_BAD_SNAPSHOT);
    CHECK_EQ(llmres_overload_wait_ms(&client.overload[0], sim.now), 0); /* clean */
    snap[30] ^= 1;
    CHECK_EQ(llmres_client_restore(&client, snap, (size_t)n - 1, 0), LLMRES_ERR_BAD_SNAPSHOT); /* cut */
    snap[4]++; /* another version, checksum fixed up: still refused */
    {
        uint32_t sum = llmres__fnv(2166136261u, snap, (size_t)n - 4), k;
        for (k = 0; k < 4; k++) snap[n - 4 + (int)k] = (uint8_t)(sum >> (8 * k));
    }
    CHECK_EQ(llmres_client_restore(&client, snap, (size_t)n, 0), LLMRES_ERR_BAD_SNAPSHOT);
    snap[4]--;
    {
        uint32_t sum = llmres__fnv(2166136261u, snap, (size_t)n - 4), k;
        for (k = 0; k < 4; k++) snap[n - 4 + (int)k] = (uint8_t)(sum >> (8 * k));
    }
    llmres_config_defaults(&cfg);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, &cfg, other, 2), LLMRES_OK); /* another chain */
    CHECK_EQ(llmres_client_restore(&client, snap, (size_t)n, 0), LLMRES_ERR_BAD_SNAPSHOT);
    boot();
    CHECK_EQ(llmres_client_restore(&client, snap, (size_t)n, 0), LLMRES_OK); /* the right one, intact */
    CHECK_EQ(llmres_client_snapshot(&client, snap, 10, &need), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(need, (size_t)n);
    CHECK_EQ(llmres_client_restore(NULL, snap, (size_t)n, 0), LLMRES_ERR_INVALID);
    CHECK(strcmp(llmres_strerror(LLMRES_ERR_BAD_SNAPSHOT), "snapshot corrupt, foreign or of another version") == 0);
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(a_retry_after_survives_the_sleep);
    RUN(an_open_breaker_stays_open_for_what_is_left);
    RUN(a_bad_snapshot_is_refused);
    return T_DONE();
}
