/* Overload control: the detector's states, the adaptive throttle, jittered breakers, and
   on the simulated port the client's shared wait per provider, shedding, the retry
   budget, failures of the device that are not the provider's, and the bugs of 0.4.0
   (a call parked behind a probe, no slot counted as an attempt, one seed for a fleet,
   remaining 0 draining until the whole reset, an uncounted resend). Virtual time. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_sim.h"
#include "../test.h"

/* ---- the detector and the throttle, alone ---- */

static int changes, last_from, last_to;
static void on_change(void *user, int from, int to, uint32_t now) {
    (void)user; (void)now;
    changes++;
    last_from = from;
    last_to = to;
}

static void detector_walks_its_states(void) {
    llmres_overload_t o;
    llmres_overload_config_t c;
    uint32_t t = 1000;
    int i;
    memset(&c, 0, sizeof(c));
    c.on_change = on_change;
    changes = 0;
    CHECK_EQ(llmres_overload_init(&o, &c, t), LLMRES_OK);
    for (i = 0; i < 9; i++) CHECK_EQ(llmres_overload_record(&o, t += 100, 0), LLMRES_OK);
    CHECK_EQ(llmres_overload_state(&o, t), LLMRES_OVERLOAD_NORMAL);
    /* 1 signal in 10 answers: 10 %, a warning */
    llmres_overload_record(&o, t += 100, 1);
    CHECK_EQ(o.state, LLMRES_OVERLOAD_WARNING);
    CHECK_EQ(changes, 1);
    CHECK_EQ(last_from, LLMRES_OVERLOAD_NORMAL);
    /* three in a row: critical, whatever the rate */
    llmres_overload_record(&o, t += 100, 1);
    CHECK_EQ(o.state, LLMRES_OVERLOAD_WARNING);
    llmres_overload_record(&o, t += 100, 1);
    CHECK_EQ(o.state, LLMRES_OVERLOAD_CRITICAL);
    /* an accepted answer with 3 of 13 signals (23 %, under 50 %): recovering */
    llmres_overload_record(&o, t += 100, 0);
    CHECK_EQ(o.state, LLMRES_OVERLOAD_RECOVERING);
    /* a new signal while recovering: a warning again */
    llmres_overload_record(&o, t += 100, 1);
    CHECK_EQ(o.state, LLMRES_OVERLOAD_WARNING);
    /* enough good answers: recovering; normal once recover_ms (10 s) passed without a
       signal and the window (600 s) slid past the last one */
    for (i = 0; i < 30; i++) llmres_overload_record(&o, t += 100, 0);
    CHECK_EQ(o.state, LLMRES_OVERLOAD_RECOVERING);
    CHECK_EQ(llmres_overload_state(&o, t - 3000 + 10000), LLMRES_OVERLOAD_RECOVERING); /* signals in the window */
    CHECK_EQ(llmres_overload_state(&o, t - 3000 + 600000 - 75000), LLMRES_OVERLOAD_RECOVERING);
    CHECK_EQ(llmres_overload_state(&o, t - 3000 + 600000 + 75000), LLMRES_OVERLOAD_NORMAL);
    CHECK_EQ(last_to, LLMRES_OVERLOAD_NORMAL);
    CHECK_EQ(o.transitions[LLMRES_OVERLOAD_WARNING], 2);
    CHECK_EQ(o.transitions[LLMRES_OVERLOAD_CRITICAL], 1);
    CHECK_EQ(o.transitions[LLMRES_OVERLOAD_RECOVERING], 2);
    CHECK_EQ(o.transitions[LLMRES_OVERLOAD_NORMAL], 1);
    CHECK(o.time_in[LLMRES_OVERLOAD_CRITICAL] == 100);
    /* with no answers at all, the window slides past the signals: recovering */
    c.window_ms = 8000; c.recover_ms = 20000;
    llmres_overload_init(&o, &c, t);
    llmres_overload_record(&o, t, 1);
    CHECK_EQ(o.state, LLMRES_OVERLOAD_WARNING);
    CHECK_EQ(llmres_overload_state(&o, t + 9000), LLMRES_OVERLOAD_RECOVERING);
    CHECK_EQ(o.signals, 0);
    CHECK_EQ(llmres_overload_state(&o, t + 20000), LLMRES_OVERLOAD_NORMAL);
    c.window_ms = 0; c.recover_ms = 0;
    /* half the answers overloaded, with enough of them: critical at once */
    llmres_overload_clear(&o, t);
    for (i = 0; i < 4; i++) { llmres_overload_record(&o, t += 10, 0); llmres_overload_record(&o, t += 10, 1); }
    CHECK_EQ(o.state, LLMRES_OVERLOAD_CRITICAL);
    CHECK_EQ(llmres_overload_clear(&o, t), LLMRES_OK);
    CHECK_EQ(o.state, LLMRES_OVERLOAD_NORMAL);
    CHECK_EQ(o.answers, 0);
    /* a bad config: refused, and it never throttles */
    c.warn_pct = 60; c.critical_pct = 50;
    CHECK_EQ(llmres_overload_init(&o, &c, t), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_overload_init(NULL, NULL, t), LLMRES_ERR_INVALID);
}

/* A device sends 2 requests for each one the provider can take: the throttle brings its
   sends down to about K accepted answers, and never throttles a healthy provider. */
static void throttle_converges_to_k_times_the_accepts(void) {
    llmres_overload_t o;
    llmres_bucket_t provider;
    uint32_t t = 0, rng = 12345, sent = 0, accepted = 0, asked = 0;
    int i;
    llmres_overload_init(&o, NULL, t);
    llmres_bucket_init(&provider, t, 10, 10, 1000); /* 10 per second, 10 at once */
    for (i = 0; i < 6000; i++) { /* 20 asked per second for 300 s */
        t += 50;
        if (llmres_overload_admit(&o, t, llmres_xorshift32(&rng)) != LLMRES_OK) continue;
        if (i >= 3000) sent++; /* the second half: converged */
        if (llmres_bucket_take(&provider, t, 1) == LLMRES_OK) {
            llmres_overload_record(&o, t, 0);
            if (i >= 3000) accepted++;
        } else {
            llmres_overload_record(&o, t, 1);
        }
    }
    printf("throttle: %u sent, %u accepted, %u throttled\n", (unsigned)sent, (unsigned)accepted, (unsigned)o.throttled);
    CHECK(accepted > 1300);                /* the provider stays busy: 1500 possible */
    CHECK(sent * 100 <= accepted * 135);   /* at most ~K (1.2) sends per accept, */
    CHECK(sent * 100 >= accepted * 105);   /* and the throttle does not starve it */
    CHECK(o.throttled > 1000);
    /* healthy: nothing refused, however many are asked */
    llmres_overload_init(&o, NULL, t);
    for (i = 0; i < 1000; i++) {
        asked += llmres_overload_admit(&o, t += 10, llmres_xorshift32(&rng)) == LLMRES_OK;
        llmres_overload_record(&o, t, 0);
    }
    CHECK_EQ(asked, 1000);
    /* a draw of all ones is never refused (a retry, counted not judged) */
    llmres_overload_init(&o, NULL, t);
    for (i = 0; i < 20; i++) llmres_overload_record(&o, t += 10, 1);
    CHECK_EQ(o.state, LLMRES_OVERLOAD_CRITICAL);
    for (i = 0; i < 100; i++) CHECK_EQ(llmres_overload_admit(&o, t, 0xFFFFFFFFu), LLMRES_OK);
    CHECK(llmres_overload_admit(&o, t, 0) == LLMRES_ERR_LIMITED);
}

static void shared_wait_keeps_the_latest(void) {
    llmres_overload_t o;
    uint32_t t = 0xFFFFF000u; /* across the wrap */
    llmres_overload_init(&o, NULL, t);
    CHECK_EQ(llmres_overload_wait_ms(&o, t), 0);
    llmres_overload_defer(&o, t, t + 3000);
    llmres_overload_defer(&o, t, t + 1000); /* an earlier instant does not shorten it */
    CHECK_EQ(llmres_overload_wait_ms(&o, t), 3000);
    llmres_overload_defer(&o, t, t + 5000);
    CHECK_EQ(llmres_overload_wait_ms(&o, t + 4000), 1000);
    CHECK_EQ(llmres_overload_wait_ms(&o, t + 5000), 0);
    llmres_overload_defer(&o, t + 6000, t + 5000); /* in the past: nothing held */
    CHECK_EQ(llmres_overload_wait_ms(&o, t + 6000), 0);
    /* 25 days later (past 2^31 ms), an old wait does not come back */
    CHECK_EQ(llmres_overload_wait_ms(&o, t + 0x80000000u + 5000u), 0);
    llmres_overload_defer(&o, t + 0x80000000u + 5000u, t + 0x80000000u + 6000u);
    CHECK_EQ(llmres_overload_wait_ms(&o, t + 0x80000000u + 5000u), 1000);
}

/* The same open period, jittered: a fleet's breakers half-open over a spread of times. */
static void breaker_open_periods_are_jittered(void) {
    llmres_breaker_config_t c;
    llmres_breaker_t b;
    uint32_t lo = LLMRES_NEVER, hi = 0, seed;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = 1;
    c.open_ms = 10000;
    c.jitter_pct = 50;
    for (seed = 1; seed <= 200; seed++) {
        uint32_t r;
        c.seed = seed * 2654435761u;
        CHECK_EQ(llmres_breaker_init(&b, &c), LLMRES_OK);
        llmres_breaker_allow(&b, 0);
        llmres_breaker_record(&b, 0, LLMRES_OUTCOME_FAILURE, 0);
        r = llmres_breaker_retry_in(&b, 0);
        if (r < lo) lo = r;
        if (r > hi) hi = r;
        CHECK_EQ(llmres_breaker_allow(&b, r - 1), LLMRES_ERR_OPEN);
        CHECK_EQ(llmres_breaker_allow(&b, r), LLMRES_OK);
    }
    CHECK(lo >= 5000 && lo < 5500);
    CHECK(hi <= 10000 && hi > 9500);
    c.jitter_pct = 0;
    llmres_breaker_init(&b, &c);
    llmres_breaker_allow(&b, 0);
    llmres_breaker_record(&b, 0, LLMRES_OUTCOME_FAILURE, 0);
    CHECK_EQ(llmres_breaker_retry_in(&b, 0), 10000);
    c.jitter_pct = 101;
    CHECK_EQ(llmres_breaker_init(&b, &c), LLMRES_ERR_INVALID);
}

/* ---- the client, on the simulated port ---- */

static llmres_sim_t sim;
static llmres_client_t client;
static llmres_worker_t workers[3];
static const llmres_provider_t cloud = {LLMRES_PROVIDER_OPENAI, "cloud.sim", 80, 0, NULL, "sk-sim", "gpt-sim", NULL};

static void setup(const llmres_sim_config_t *sc, const llmres_config_t *cfg) {
    int i;
    llmres_sim_init(&sim, sc);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, cfg, &cloud, 1), LLMRES_OK);
    for (i = 0; i < 3; i++) CHECK_EQ(llmres_worker_init(&workers[i], &client, NULL), LLMRES_OK);
}

/* A stepped call that starts at `start` (virtual ms since init). */
typedef struct job {
    llmres_call_t call;
    llmres_call_state_t st;
    llmres_result_t res;
    uint32_t start, wake, done_at;
    int done, sent_at_start;
    char text[64];
} job_t;

static void job_init(job_t *j, uint32_t start) {
    memset(j, 0, sizeof(*j));
    llmres_call_init(&j->call, "hello there", j->text, sizeof(j->text));
    j->start = j->wake = sim.start + start;
}

/* Steps the jobs (job i on worker i) in virtual time until all are done or `until`. */
static void drive(job_t *jobs, int n, uint32_t until) {
    for (;;) {
        uint32_t next = sim.start + until;
        int i, open = 0;
        for (i = 0; i < n; i++) {
            job_t *j = &jobs[i];
            uint32_t wait;
            if (j->done) continue;
            open = 1;
            if (llmres__reached(sim.now, j->wake)) {
                if (llmres_call_step(&client, &workers[i], &j->call, &j->st, &j->res, &wait) == LLMRES_CALL_DONE) {
                    j->done = 1;
                    j->done_at = sim.now - sim.start;
                    continue;
                }
                j->wake = sim.now + wait;
            }
            if ((int32_t)(j->wake - next) < 0) next = j->wake;
        }
        if (!open || llmres__reached(sim.now, sim.start + until)) return;
        if ((int32_t)(next - sim.now) > 0) sim.now = next;
    }
}

/* 0.4.0: B, parked behind a half-open breaker's probe, slept a whole open period after
   the probe closed it, and C, started later, was answered first. */
static void parked_call_goes_when_the_probe_closes_the_breaker(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    job_t j[3];
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 300;
    sc.outages[0].start_ms = 0; sc.outages[0].end_ms = 5000; sc.outages[0].reset = 1;
    sc.outage_count = 1;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0; cfg.max_retries = 0; cfg.breaker_failures = 1; cfg.breaker_timeout_ms = 5000;
    cfg.breaker_jitter_pct = 0;
    setup(&sc, &cfg);
    job_init(&j[0], 0);
    drive(j, 1, 1000); /* the outage: the breaker opens */
    CHECK(j[0].done && j[0].res.error != LLMRES_OK);
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_OPEN);
    job_init(&j[0], 5000); /* A: the probe */
    job_init(&j[1], 5013); /* B: parks behind it */
    job_init(&j[2], 6000); /* C */
    drive(j, 3, 20000);
    CHECK_EQ(j[0].res.error, LLMRES_OK);
    CHECK_EQ(j[1].res.error, LLMRES_OK);
    CHECK_EQ(j[2].res.error, LLMRES_OK);
    CHECK(j[0].done_at <= 5400);
    CHECK(j[1].done_at <= j[0].done_at + LLMRES__LOOK_MS + 400); /* seen at once, not 5 s later */
    CHECK(j[1].done_at < j[2].done_at);
    CHECK_EQ(j[1].res.attempts, 1);
}

/* A 429's retry-after holds every call of the client, not only the one that got it. */
static void retry_after_holds_every_call(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    job_t j[3];
    uint32_t served;
    memset(&sc, 0, sizeof(sc));
    sc.capacity_milli = 500; sc.burst = 1; sc.overload = LLMRES_SIM_OVERLOAD_429; sc.latency_ms = 50;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    cfg.throttle_k_milli = 0; /* the shared wait alone */
    setup(&sc, &cfg);
    job_init(&j[0], 0);   /* served */
    job_init(&j[1], 100); /* 429, retry-after about 1.9 s */
    job_init(&j[2], 200); /* must not go before that */
    drive(j, 3, 1500);
    CHECK_EQ(sim.stats.requests, 2);
    CHECK(j[0].done && !j[1].done && !j[2].done);
    CHECK(llmres_overload_wait_ms(&client.overload[0], sim.now) > 0);
    served = sim.stats.served;
    drive(j, 3, 30000);
    CHECK_EQ(j[1].res.error, LLMRES_OK);
    CHECK_EQ(j[2].res.error, LLMRES_OK);
    CHECK_EQ(j[2].res.attempts, 1);  /* it waited instead of being refused */
    CHECK_EQ(sim.stats.served, served + 2);
}

/* The cloud holds every call for longer than a call may wait: the next provider of the
   chain takes it at once, instead of the call being refused. */
static void a_long_wait_moves_down_the_chain(void) {
    static const llmres_provider_t chain[2] = {
        {LLMRES_PROVIDER_OPENAI, "cloud.sim", 80, 0, NULL, "sk-sim", "gpt-sim", NULL},
        {LLMRES_PROVIDER_OLLAMA, "gateway.sim", 11434, 0, NULL, NULL, "llama-sim", NULL}};
    llmres_sim_config_t sc, local;
    llmres_config_t cfg;
    llmres_call_t call;
    llmres_result_t res;
    char text[64];
    memset(&sc, 0, sizeof(sc));
    memset(&local, 0, sizeof(local));
    local.provider = LLMRES_PROVIDER_OLLAMA;
    llmres_sim_init(&sim, &sc);
    llmres_sim_alt(&sim, 11434, &local);
    llmres_config_defaults(&cfg);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, &cfg, chain, 2), LLMRES_OK);
    CHECK_EQ(llmres_worker_init(&workers[0], &client, NULL), LLMRES_OK);
    llmres_overload_defer(&client.overload[0], sim.now, sim.now + 30000); /* a retry-after of 30 s */
    llmres_call_init(&call, "hello", text, sizeof(text));
    CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_OK);
    CHECK_EQ(res.provider, 1);
    CHECK(res.elapsed_ms < 1000);
    /* a short one is waited out on the cloud */
    sim.now += 30000;
    llmres_overload_defer(&client.overload[0], sim.now, sim.now + 500);
    CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_OK);
    CHECK_EQ(res.provider, 0);
    CHECK(res.elapsed_ms >= 500);
}

/* A chain [cloud, local]: the cloud's throttle refuses, the local model's breaker is
   open. The call must not go to the cloud anyway (it did, 1 ms later, when waiting for
   a breaker ignored the throttle), nor spin while the cloud's wait lasts. */
static void waiting_for_a_breaker_respects_the_throttle_and_waits(void) {
    static const llmres_provider_t chain[2] = {
        {LLMRES_PROVIDER_OPENAI, "cloud.sim", 80, 0, NULL, "sk-sim", "gpt-sim", NULL},
        {LLMRES_PROVIDER_OLLAMA, "gateway.sim", 11434, 0, NULL, NULL, "llama-sim", NULL}};
    llmres_sim_config_t sc, local;
    llmres_config_t cfg;
    llmres_call_t call;
    llmres_result_t res;
    char text[64];
    uint32_t t0;
    int i, refused = 0;
    memset(&sc, 0, sizeof(sc));
    memset(&local, 0, sizeof(local));
    local.provider = LLMRES_PROVIDER_OLLAMA;
    llmres_sim_init(&sim, &sc);
    llmres_sim_alt(&sim, 11434, &local);
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, &cfg, chain, 2), LLMRES_OK);
    CHECK_EQ(llmres_worker_init(&workers[0], &client, NULL), LLMRES_OK);
    llmres_breaker_force_open(&client.breaker[1], sim.now);
    for (i = 0; i < 20; i++) llmres_overload_record(&client.overload[0], sim.now, 1); /* critical */
    for (i = 0; i < 1000; i++) llmres_overload_admit(&client.overload[0], sim.now, 0xFFFFFFFFu); /* refuses ~99.8 % */
    llmres_call_init(&call, "hello", text, sizeof(text));
    for (i = 0; i < 10; i++) {
        refused += llmres_call(&client, &workers[0], &call, &res) == LLMRES_ERR_LIMITED && res.attempts == 0 &&
                   res.retry_in_ms > 0;
    }
    CHECK(refused >= 9);                               /* told a short wait: the throttle's odds */
    CHECK(sim.stats.requests <= (uint32_t)(10 - refused)); /* nothing went to the cloud after a refusal */
    /* the cloud holds every call for 30 s: ended at once, told so, without spinning */
    llmres_overload_clear(&client.overload[0], sim.now);
    llmres_overload_defer(&client.overload[0], sim.now, sim.now + 30000);
    t0 = sim.now;
    CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_ERR_LIMITED);
    CHECK_EQ(sim.now, t0);
    CHECK(res.retry_in_ms >= 29000 && res.retry_in_ms <= 30000);
}

/* The retry budget: over many failing calls, retries stay within burst + pct % of calls. */
static void retry_budget_bounds_retries(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    llmres_call_t call;
    llmres_result_t res;
    char text[64];
    int i;
    memset(&sc, 0, sizeof(sc));
    sc.capacity_milli = 1; sc.burst = 1; sc.overload = LLMRES_SIM_OVERLOAD_529;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0; cfg.backoff_base_ms = 10; cfg.backoff_max_ms = 100; cfg.throttle_k_milli = 0;
    setup(&sc, &cfg);
    llmres_breaker_force_closed(&client.breaker[0], sim.now);
    llmres_call_init(&call, "hello", text, sizeof(text));
    for (i = 0; i < 100; i++) {
        llmres_call(&client, &workers[0], &call, &res);
        sim.port.sleep_ms(sim.port.ctx, 1000);
    }
    /* burst 2 + 10 % of 100 calls */
    CHECK(client.retries <= 2 + 10);
    CHECK(client.retries >= 10);
    CHECK(client.budget_denied >= 80);
    CHECK_EQ(client.attempts, 100 + client.retries);
    CHECK_EQ(sim.stats.requests, client.attempts);
}

/* ---- failures of the device, not of the provider ---- */

static int fail_opens, fail_with;
static int failing_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    if (fail_opens) { fail_opens--; return fail_with; }
    return llmres__sim_open(ctx, host, port, timeout_ms);
}

static void local_failures_are_not_attempts(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    llmres_call_t call;
    llmres_result_t res;
    char text[64];
    uint32_t budget;
    memset(&sc, 0, sizeof(sc));
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    setup(&sc, &cfg);
    sim.port.tcp.open = failing_open;
    llmres_call_init(&call, "hello", text, sizeof(text));
    /* no free slot three times, then one: one attempt, nothing against the provider */
    fail_opens = 3; fail_with = LLMRES_ERR_NO_SLOT;
    CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_OK);
    CHECK_EQ(res.attempts, 1);
    CHECK_EQ(client.attempts, 1);
    CHECK_EQ(client.retries, 0);
    CHECK_EQ(client.breaker[0].failures, 0);
    CHECK_EQ(client.attempts_by_class[LLMRES_CLASS_TRANSIENT_NETWORK], 0);
    /* never a slot: NO_SLOT ("no free connection slot", not "queue full") by the deadline */
    llmres_worker_close(&workers[0]); /* no kept-alive connection to fall back on */
    fail_opens = 1000000;
    call.timeout_ms = 500;
    CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_ERR_NO_SLOT);
    CHECK_EQ(res.attempts, 0);
    CHECK(strcmp(llmres_strerror(res.error), "no free connection slot") == 0);
    CHECK_EQ(client.breaker[0].failures, 0);
    /* the link is down: retried (the deadline and max_retries hold), but not held against
       the provider's breaker, detector or retry budget */
    budget = client.retry_budget;
    fail_opens = 1000000; fail_with = LLMRES_ERR_LINK_DOWN;
    call.timeout_ms = 60000;
    CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_ERR_LINK_DOWN);
    CHECK_EQ(res.attempts, 0);
    CHECK_EQ(res.cls, LLMRES_CLASS_TRANSIENT_NETWORK);
    CHECK_EQ(client.retries, 4); /* max_retries */
    CHECK_EQ(client.breaker[0].failures, 0);
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_CLOSED);
    CHECK_EQ(client.overload[0].answers, 1); /* the one real answer */
    CHECK(client.retry_budget >= budget);
    fail_with = LLMRES_ERR_DNS;
    CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_ERR_DNS);
    CHECK_EQ(client.breaker[0].failures, 0);
    CHECK_EQ(client.attempts, 1);
    fail_opens = 0;
}

/* ---- transitions told to the port's log ---- */

static char told[512];
static void keep_log(void *ctx, int level, const char *msg) {
    size_t n = strlen(told);
    (void)ctx;
    snprintf(told + n, sizeof(told) - n, "%d %s\n", level, msg);
}

static void overload_transitions_are_logged(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    llmres_call_t call;
    llmres_result_t res;
    char text[64];
    int i;
    memset(&sc, 0, sizeof(sc));
    sc.capacity_milli = 1; sc.burst = 1; sc.overload = LLMRES_SIM_OVERLOAD_529;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0; cfg.max_retries = 0;
    llmres_sim_init(&sim, &sc);
    sim.port.log = keep_log;
    told[0] = 0;
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, &cfg, &cloud, 1), LLMRES_OK);
    CHECK_EQ(llmres_worker_init(&workers[0], &client, NULL), LLMRES_OK);
    llmres_breaker_force_closed(&client.breaker[0], sim.now);
    llmres_call_init(&call, "hello", text, sizeof(text));
    for (i = 0; i < 5; i++) { llmres_call(&client, &workers[0], &call, &res); sim.now += 1000; }
    /* LLMRES_LOG_INFO (2) for a warning, LLMRES_LOG_WARN (1) for critical */
    CHECK(strstr(told, "2 llmres: cloud.sim: overload normal -> warning\n") != NULL);
    CHECK(strstr(told, "1 llmres: cloud.sim: overload warning -> critical\n") != NULL);
    CHECK(strstr(told, "sk-sim") == NULL); /* never the key */
}

/* ---- one seed per device ---- */

static int warnings;
static void count_log(void *ctx, int level, const char *msg) {
    (void)ctx;
    warnings += level == LLMRES_LOG_WARN && strstr(msg, "LLM_JITTER_SEED") != NULL;
}

static void devices_draw_different_jitter(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    static llmres_client_t other;
    memset(&sc, 0, sizeof(sc));
    llmres_sim_init(&sim, &sc);
    sim.port.entropy = NULL; /* firmware with no entropy source */
    sim.port.log = count_log;
    warnings = 0;
    llmres_config_defaults(&cfg);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, &cfg, &cloud, 1), LLMRES_OK);
    CHECK_EQ(warnings, 1); /* said so */
    /* the same firmware, booted 37 ms later, at the same address */
    other = client;
    sim.now += 37;
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, &cfg, &cloud, 1), LLMRES_OK);
    CHECK(client.seed != other.seed);
    CHECK(client.breaker[0].rng != other.breaker[0].rng);
    /* the same instant, a device-specific seed */
    sim.now -= 37;
    cfg.jitter_seed = 0xC0FFEE;
    warnings = 0;
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, &cfg, &cloud, 1), LLMRES_OK);
    CHECK_EQ(warnings, 0);
    CHECK(client.seed != other.seed);
}

/* ---- rate-limit headers ---- */

static const char *script;
static int script_sent;
static int scr_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    (void)ctx; (void)host; (void)port; (void)timeout_ms;
    return 1;
}
static int scr_send(void *ctx, int conn, const void *buf, size_t len, uint32_t timeout_ms) {
    (void)ctx; (void)conn; (void)buf; (void)timeout_ms;
    script_sent = 1;
    return (int)len;
}
static int scr_recv(void *ctx, int conn, void *buf, size_t len, uint32_t timeout_ms) {
    size_t n = strlen(script);
    (void)ctx; (void)conn; (void)timeout_ms;
    if (!script_sent) return 0;
    if (n > len) n = len;
    memcpy(buf, script, n);
    script += n;
    return (int)n;
}
static void scr_close(void *ctx, int conn) { (void)ctx; (void)conn; }

#define OK_BODY "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}"
static int scripted_call(const char *headers) {
    static char resp[1024];
    llmres_call_t call;
    llmres_result_t res;
    char text[64];
    snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n%sContent-Length: %u\r\n\r\n%s",
             headers, (unsigned)strlen(OK_BODY), OK_BODY);
    script = resp;
    script_sent = 0;
    llmres_call_init(&call, "hello", text, sizeof(text));
    return llmres_call(&client, &workers[0], &call, &res);
}

/* 0.4.0 drained the request bucket until reset-requests (the whole limit back) on
   remaining 0; the next request is due after one request's share of it. */
static void remaining_zero_paces_instead_of_draining(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    memset(&sc, 0, sizeof(sc));
    llmres_config_defaults(&cfg);
    setup(&sc, &cfg);
    sim.port.tcp.open = scr_open; sim.port.tcp.send = scr_send; sim.port.tcp.recv = scr_recv; sim.port.tcp.close = scr_close;
    CHECK_EQ(scripted_call("x-ratelimit-limit-requests: 60\r\nx-ratelimit-remaining-requests: 0\r\n"
                           "x-ratelimit-reset-requests: 60s\r\n"), LLMRES_OK);
    CHECK_EQ(llmres_overload_wait_ms(&client.overload[0], sim.now), 1000);
    CHECK(llmres_bucket_available(&client.rps, sim.now) >= 1); /* our own bucket is not drained */
    sim.now += 1000;
    CHECK_EQ(scripted_call("x-ratelimit-limit-tokens: 1000\r\nx-ratelimit-remaining-tokens: 0\r\n"
                           "x-ratelimit-reset-tokens: 10s\r\n"), LLMRES_OK);
    CHECK(llmres_overload_wait_ms(&client.overload[0], sim.now) <= 10000);
    sim.now += 10000;
    /* the limit unknown: the whole reset is all we know */
    CHECK_EQ(scripted_call("x-ratelimit-remaining-requests: 0\r\nx-ratelimit-reset-requests: 6s\r\n"), LLMRES_OK);
    CHECK_EQ(llmres_overload_wait_ms(&client.overload[0], sim.now), 6000);
}

/* ---- a kept-alive connection that dies under a request: the resend is an attempt ---- */

static int conn_requests, stale_conn;
static int ka_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    static int next_id = 10;
    (void)ctx; (void)host; (void)port; (void)timeout_ms;
    conn_requests = 0;
    stale_conn = 0;
    script_sent = 0;
    return next_id++;
}
static int ka_send(void *ctx, int conn, const void *buf, size_t len, uint32_t timeout_ms) {
    (void)ctx; (void)conn; (void)buf; (void)timeout_ms;
    if (!script_sent) conn_requests++;
    script_sent = 1;
    return (int)len;
}
static int ka_recv(void *ctx, int conn, void *buf, size_t len, uint32_t timeout_ms) {
    (void)conn;
    if (!script_sent) return 0; /* idle: nothing to say */
    if (conn_requests == 2 && stale_conn) return LLMRES_ERR_CLOSED; /* the server read it, then hung up */
    {
        int n = scr_recv(ctx, conn, buf, len, timeout_ms);
        if (!*script) { script_sent = 0; stale_conn = 1; }
        return n;
    }
}

static llmres_stats_t counted;

static void resend_on_a_fresh_connection_is_an_attempt(void) {
    static char resp[512];
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    llmres_call_t call;
    llmres_result_t res;
    char text[64];
    uint32_t budget;
    memset(&sc, 0, sizeof(sc));
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    setup(&sc, &cfg);
    sim.port.tcp.open = ka_open; sim.port.tcp.send = ka_send; sim.port.tcp.recv = ka_recv; sim.port.tcp.close = scr_close;
    snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n%s", (unsigned)strlen(OK_BODY), OK_BODY);
    llmres_call_init(&call, "hello", text, sizeof(text));
    script = resp;
    CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_OK);
    CHECK_EQ(res.attempts, 1);
    budget = client.retry_budget;
    script = resp;
    CHECK_EQ(llmres_client_stats(&client, &counted), LLMRES_OK);
    CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_OK);
    CHECK_EQ(workers[0].http.stale_retries, 1);
    CHECK_EQ(res.attempts, 2);          /* both reached the wire */
    CHECK_EQ(client.attempts, 3);
    CHECK_EQ(client.resends, 1);
    CHECK_EQ(client.retries, 1);
    {   /* and the statistics count it too */
        llmres_counts_t life;
        CHECK_EQ(llmres_stats_lifetime(&client, 0, &life, NULL), LLMRES_OK);
        CHECK_EQ(life.attempts, 2);   /* attached after the first call */
        CHECK_EQ(life.retries, 1);
    }
    CHECK(client.retry_budget + 1000 - 200 <= budget); /* charged, less what the call earned */
}

/* ---- coalescing ---- */

/* Three identical cacheable calls at once: one attempt, three answers; a different one
   goes on its own. */
static void identical_calls_share_one_attempt(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    job_t j[3];
    int i;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 500;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    setup(&sc, &cfg);
    for (i = 0; i < 3; i++) {
        job_init(&j[i], (uint32_t)i * 10u);
        j[i].call.cache = LLMRES_CALL_CACHE_YES;
    }
    drive(j, 3, 10000);
    for (i = 0; i < 3; i++) CHECK_EQ(j[i].res.error, LLMRES_OK);
    CHECK_EQ(sim.stats.requests, 1);
    CHECK_EQ(client.coalesced, 2);
    CHECK(strcmp(j[0].text, j[1].text) == 0 && strcmp(j[0].text, j[2].text) == 0);
    CHECK_EQ(j[1].res.attempts, 0);
    CHECK_EQ(j[1].res.cached, 1);
    CHECK(j[2].done_at <= j[0].done_at + LLMRES_POLL_MS); /* told at once, not after an attempt of its own */
    /* not cacheable, or another prompt: each its own attempt */
    for (i = 0; i < 3; i++) job_init(&j[i], 20000u + (uint32_t)i * 10u);
    j[1].call.cache = LLMRES_CALL_CACHE_YES;
    j[2].call.cache = LLMRES_CALL_CACHE_YES;
    j[2].call.prompt = "something else";
    drive(j, 3, 30000);
    CHECK_EQ(sim.stats.requests, 3); /* j[0] and j[2]; j[1] was answered from the cache */
    CHECK_EQ(j[1].res.cached, 1);
    CHECK_EQ(client.coalesced, 2);
    for (i = 0; i < LLMRES_MAX_COALESCE; i++) CHECK_EQ(client.shared[i].busy, 0);
}

/* The leader fails: its followers get the same error, without attempts of their own.
   The leader cancelled: they go on their own. */
static void followers_share_the_leaders_error(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    job_t j[3];
    uint32_t wait;
    int i;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 300;
    sc.failure_permille = 1000; /* every served request fails with a 500 */
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0; cfg.max_retries = 0;
    setup(&sc, &cfg);
    for (i = 0; i < 3; i++) { job_init(&j[i], (uint32_t)i * 10u); j[i].call.cache = LLMRES_CALL_CACHE_YES; }
    drive(j, 3, 10000);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(j[i].res.error, LLMRES_ERR_PROVIDER);
        CHECK_EQ(j[i].res.status, 500);
        CHECK_EQ(j[i].res.cls, LLMRES_CLASS_SERVER_ERROR);
    }
    CHECK_EQ(j[1].res.attempts + j[2].res.attempts, 0);
    CHECK_EQ(sim.stats.requests, 1);
    /* the leader gives up between two steps: the follower sends its own */
    sc.failure_permille = 0;
    setup(&sc, &cfg);
    for (i = 0; i < 2; i++) { job_init(&j[i], 0); j[i].call.cache = LLMRES_CALL_CACHE_YES; }
    CHECK_EQ(llmres_call_step(&client, &workers[0], &j[0].call, &j[0].st, &j[0].res, &wait), LLMRES_CALL_WAIT);
    CHECK_EQ(llmres_call_step(&client, &workers[1], &j[1].call, &j[1].st, &j[1].res, &wait), LLMRES_CALL_WAIT);
    CHECK_EQ(j[1].st.follow, 1);
    llmres_call_abort(&client, &workers[0], &j[0].st);
    j[0].done = 1;
    /* a follower given up, then stepped again anyway, goes on alone (it crashed before) */
    job_init(&j[2], 0);
    j[2].call.cache = LLMRES_CALL_CACHE_YES;
    j[2].call.prompt = "another question";
    CHECK_EQ(llmres_call_step(&client, &workers[2], &j[2].call, &j[2].st, &j[2].res, &wait), LLMRES_CALL_WAIT);
    job_init(&j[0], 0);
    j[0].call.cache = LLMRES_CALL_CACHE_YES;
    j[0].call.prompt = "another question";
    CHECK_EQ(llmres_call_step(&client, &workers[0], &j[0].call, &j[0].st, &j[0].res, &wait), LLMRES_CALL_WAIT);
    CHECK(j[0].st.follow != 0);
    llmres_call_abort(&client, &workers[0], &j[0].st);
    drive(j, 3, 10000);
    CHECK_EQ(j[0].res.error, LLMRES_OK);
    CHECK_EQ(j[2].res.error, LLMRES_OK);
    CHECK_EQ(j[1].res.error, LLMRES_OK);
    CHECK_EQ(j[1].res.attempts, 1);
    for (i = 0; i < LLMRES_MAX_COALESCE; i++) CHECK_EQ(client.shared[i].busy, 0);
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(detector_walks_its_states);
    RUN(throttle_converges_to_k_times_the_accepts);
    RUN(shared_wait_keeps_the_latest);
    RUN(breaker_open_periods_are_jittered);
    RUN(parked_call_goes_when_the_probe_closes_the_breaker);
    RUN(retry_after_holds_every_call);
    RUN(a_long_wait_moves_down_the_chain);
    RUN(waiting_for_a_breaker_respects_the_throttle_and_waits);
    RUN(retry_budget_bounds_retries);
    RUN(local_failures_are_not_attempts);
    RUN(overload_transitions_are_logged);
    RUN(devices_draw_different_jitter);
    RUN(remaining_zero_paces_instead_of_draining);
    RUN(resend_on_a_fresh_connection_is_an_attempt);
    RUN(identical_calls_share_one_attempt);
    RUN(followers_share_the_leaders_error);
    return t__done();
}
