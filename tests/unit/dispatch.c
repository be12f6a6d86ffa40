/* The dispatcher on the simulated port: one thread submits many jobs with priorities and
   deadlines; each accepted job ends exactly once (answered, expired in the queue,
   displaced, cancelled), in priority order, on time; a full queue pushes back. */
#define LLMRES_SIM_CONNECTIONS 8
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_sim.h"
#include "../test.h"

#define JOBS 48

static llmres_sim_t sim;
static llmres_client_t client;
static llmres_worker_t workers[LLMRES_DISPATCH_SLOTS];
static llmres_dispatch_t disp;
static llmres_job_t job[JOBS];
static char text[JOBS][64];
static llmres_llm_message_t msg[JOBS];
static char prompt[JOBS][32];
static int done_count[JOBS];     /* on_done calls per job */
static uint32_t done_at[JOBS];   /* virtual time of the last on_done */
static int done_order[4 * JOBS], done_n;
static int resubmit_once = -1;   /* a job whose on_done submits it again */
static void (*done_hook)(int i); /* more for on_done to do */
static int wakes;                /* wake_fn calls */

static const llmres_provider_t chain[2] = {
    {LLMRES_PROVIDER_OPENAI, "cloud.sim", 80, 0, NULL, "sk-sim", "gpt-sim", NULL},
    {LLMRES_PROVIDER_OLLAMA, "gateway.sim", 11434, 0, NULL, NULL, "llama-sim", NULL},
};

static void on_done(llmres_job_t *j, void *user) {
    int i = (int)(intptr_t)user;
    (void)j;
    done_count[i]++;
    done_at[i] = sim.now;
    if (done_n < (int)(sizeof(done_order) / sizeof(done_order[0]))) done_order[done_n++] = i;
    if (i == resubmit_once) {
        resubmit_once = -1;
        CHECK_EQ(job[i].state, LLMRES_JOB_DONE);
        CHECK_EQ(llmres_dispatch_submit(&disp, &job[i]), LLMRES_OK);
    }
    if (done_hook) done_hook(i);
}

static void on_wake(void *user) { (void)user; wakes++; }

/* sc NULL: a prompt provider with 10 ms latency; cfg NULL: no local rate limit. */
static void setup(const llmres_sim_config_t *sc, const llmres_config_t *cfg, uint32_t slots) {
    llmres_sim_config_t s0;
    llmres_config_t c0;
    llmres_worker_t *w[LLMRES_DISPATCH_SLOTS];
    uint32_t i;
    memset(&s0, 0, sizeof(s0));
    s0.latency_ms = 10;
    llmres_config_defaults(&c0);
    c0.rps_milli = 0;
    llmres_sim_init(&sim, sc ? sc : &s0);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, cfg ? cfg : &c0, chain, 1), LLMRES_OK);
    for (i = 0; i < slots; i++) {
        CHECK_EQ(llmres_worker_init(&workers[i], &client, NULL), LLMRES_OK);
        w[i] = &workers[i];
    }
    CHECK_EQ(llmres_dispatch_init(&disp, &client, w, slots), LLMRES_OK);
    memset(job, 0, sizeof(job));
    memset(done_count, 0, sizeof(done_count));
    memset(done_at, 0, sizeof(done_at));
    done_n = 0;
    resubmit_once = -1;
    done_hook = NULL;
    wakes = 0;
    for (i = 0; i < JOBS; i++) {
        snprintf(prompt[i], sizeof(prompt[i]), "job %u", (unsigned)i);
        msg[i].role = "user";
        msg[i].content = prompt[i];
        job[i].call.messages = &msg[i];
        job[i].call.message_count = 1;
        job[i].call.max_tokens = 16;
        job[i].call.temperature_milli = 700; /* not cacheable: every job asks */
        job[i].call.text = text[i];
        job[i].call.text_cap = sizeof(text[i]);
        job[i].on_done = on_done;
        job[i].user = (void *)(intptr_t)i;
    }
}

/* Connections open in a worker's pool. */
static int worker_open_connections(int i) {
    int k, n = 0;
    for (k = 0; k < LLMRES_MAX_CONNECTIONS; k++) n += workers[i].http.conn[k].open;
    return n;
}

static void teardown(uint32_t slots) {
    uint32_t i;
    for (i = 0; i < slots; i++) llmres_worker_close(&workers[i]);
}

static int submit(int i, uint8_t priority, uint32_t timeout_ms) {
    job[i].priority = priority;
    job[i].call.timeout_ms = timeout_ms;
    return llmres_dispatch_submit(&disp, &job[i]);
}

/* Steps (every slot, or one) and sleeps on the virtual clock as told, until cond holds
   after a step; returns the last step's answer. Steps never block: an answer on its way
   takes several. */
#define STEP_UNTIL(slot, cond, pending, wait) do { int n__; \
    for (n__ = 0; n__ < 10000; n__++) { \
        (pending) = (slot) < 0 ? llmres_dispatch_step(&disp, &(wait)) : llmres_dispatch_step_slot(&disp, (uint32_t)(slot), &(wait)); \
        if ((cond) || (pending) <= 0) break; \
        sim.port.sleep_ms(sim.port.ctx, (wait) == LLMRES_NEVER ? 1u : (wait)); \
    } } while (0)

/* The dispatcher's books balance: every job it took has ended or is still pending. */
static void check_books(int pending) {
    CHECK_EQ(disp.submitted, disp.completed + disp.expired + disp.displaced + disp.cancelled + disp.shed + (uint32_t)pending);
    CHECK_EQ(client.in_flight, 0);
}

static void runs_in_priority_order_one_result_each(void) {
    static const uint8_t prio[8] = {0, 3, 1, 3, 0, 2, 1, 0};
    static const int expect[8] = {1, 3, 5, 2, 6, 0, 4, 7}; /* most urgent first, FIFO within */
    uint32_t wait;
    int i;
    setup(NULL, NULL, 1);
    for (i = 0; i < 8; i++) CHECK_EQ(submit(i, prio[i], 0), LLMRES_OK);
    CHECK_EQ(job[0].state, LLMRES_JOB_QUEUED);
    llmres_dispatch_run(&disp);
    CHECK_EQ(done_n, 8);
    for (i = 0; i < 8; i++) {
        CHECK_EQ(done_order[i], expect[i]);
        CHECK_EQ(done_count[i], 1);
        CHECK_EQ(job[i].state, LLMRES_JOB_DONE);
        CHECK_EQ(job[i].result.error, LLMRES_OK);
        CHECK_EQ(job[i].result.attempts, 1);
    }
    for (i = 0; i < 8; i++) { /* the sim numbers its answers in the order it served them */
        char want[32];
        snprintf(want, sizeof(want), "sim answer %d", i + 1);
        CHECK(strcmp(text[expect[i]], want) == 0);
    }
    /* elapsed counts from submission: the last job waited for seven others */
    CHECK(job[7].result.elapsed_ms >= 8 * 10);
    CHECK(job[1].result.elapsed_ms < job[7].result.elapsed_ms);
    CHECK_EQ(disp.submitted, 8);
    CHECK_EQ(disp.completed, 8);
    check_books(0);
    CHECK_EQ(llmres_dispatch_step(&disp, &wait), 0);
    CHECK_EQ(wait, LLMRES_NEVER);
    teardown(1);
}

/* One slot busy waiting for the local rate limit; a queued job with a short deadline
   ends exactly at it, without reaching the provider. */
static void deadline_in_the_queue_ends_on_time(void) {
    llmres_config_t cfg;
    uint32_t t0;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 500; /* one request per 2 s */
    cfg.burst = 1;
    setup(NULL, &cfg, 1);
    t0 = sim.now;
    CHECK_EQ(submit(0, 1, 10000), LLMRES_OK); /* takes the one token */
    CHECK_EQ(submit(1, 1, 10000), LLMRES_OK); /* waits about 2 s for the next */
    CHECK_EQ(submit(2, 0, 500), LLMRES_OK);   /* queued behind: gone at 500 ms */
    llmres_dispatch_run(&disp);
    CHECK_EQ(job[0].result.error, LLMRES_OK);
    CHECK_EQ(job[1].result.error, LLMRES_OK);
    CHECK_EQ(job[2].result.error, LLMRES_ERR_TIMEOUT);
    CHECK_EQ(job[2].result.cls, LLMRES_CLASS_TIMEOUT);
    CHECK_EQ(job[2].result.attempts, 0);
    CHECK_EQ(job[2].result.provider, -1);
    CHECK_EQ(text[2][0], 0);
    CHECK(done_at[2] - t0 >= 500 && done_at[2] - t0 <= 502);
    CHECK(job[2].result.elapsed_ms >= 500 && job[2].result.elapsed_ms <= 502);
    CHECK(done_at[1] - t0 >= 1990); /* job 1 really waited for the bucket */
    CHECK_EQ(sim.stats.requests, 2);
    CHECK_EQ(disp.expired, 1);
    CHECK_EQ(done_count[0] + done_count[1] + done_count[2], 3);
    check_books(0);
    teardown(1);
}

static void full_queue_pushes_back_and_displaces(void) {
    llmres_config_t cfg;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    cfg.max_queue = 3;
    setup(NULL, &cfg, 1);
    CHECK_EQ(submit(0, 0, 0), LLMRES_OK);
    CHECK_EQ(submit(1, 0, 0), LLMRES_OK);
    CHECK_EQ(submit(2, 0, 0), LLMRES_OK);
    CHECK_EQ(submit(3, 0, 0), LLMRES_ERR_FULL); /* not taken: no result will come */
    CHECK_EQ(job[3].state, LLMRES_JOB_IDLE);
    CHECK_EQ(submit(4, 2, 0), LLMRES_OK);       /* outranks: the newest of level 0 leaves */
    CHECK_EQ(job[2].state, LLMRES_JOB_ENDED);
    CHECK_EQ(submit(5, LLMRES_QUEUE_LEVELS, 0), LLMRES_ERR_INVALID);
    llmres_dispatch_run(&disp);
    CHECK_EQ(job[2].result.error, LLMRES_ERR_DISPLACED);
    CHECK_EQ(job[2].result.cls, LLMRES_CLASS_OVERLOADED);
    CHECK_EQ(job[2].result.attempts, 0);
    CHECK_EQ(done_order[0], 2); /* told first, at the first step */
    CHECK_EQ(done_order[1], 4);
    CHECK_EQ(done_order[2], 0);
    CHECK_EQ(done_order[3], 1);
    CHECK_EQ(done_n, 4);
    CHECK_EQ(done_count[3], 0);
    CHECK_EQ(done_count[5], 0);
    CHECK_EQ(job[4].result.error, LLMRES_OK);
    CHECK_EQ(disp.refused, 2);
    CHECK_EQ(disp.displaced, 1);
    CHECK_EQ(sim.stats.requests, 3);
    check_books(0);
    teardown(1);
}

static void cancel_queued_and_running_jobs(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    uint32_t wait, i, sum = 0;
    int pending;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 10;
    sc.capacity_milli = 500; /* the provider: one request per 2 s, 429 beyond */
    sc.burst = 1;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    cfg.shed_wait_ms = 5000; /* job 2 waits out the provider's retry-after instead of ending */
    setup(&sc, &cfg, 2);
    CHECK_EQ(submit(0, 1, 0), LLMRES_OK);
    CHECK_EQ(submit(1, 1, 0), LLMRES_OK);
    CHECK_EQ(submit(2, 0, 0), LLMRES_OK);
    /* 0 answered; 1 got a 429 and backs off; 2 took the free slot and waits for the
       provider's retry-after, which holds every call of the client */
    STEP_UNTIL(-1, job[0].state == LLMRES_JOB_DONE && job[1].result.attempts == 1 && job[2].state == LLMRES_JOB_RUNNING,
               pending, wait);
    CHECK_EQ(pending, 2);
    CHECK_EQ(job[0].state, LLMRES_JOB_DONE);
    CHECK_EQ(job[1].state, LLMRES_JOB_RUNNING);
    CHECK(wait >= 900 && wait <= 2100);
    CHECK_EQ(job[2].state, LLMRES_JOB_RUNNING);
    CHECK_EQ(llmres_dispatch_cancel(&disp, &job[1]), LLMRES_OK);
    CHECK_EQ(llmres_dispatch_cancel(&disp, &job[2]), LLMRES_OK);
    CHECK_EQ(llmres_dispatch_cancel(&disp, &job[0]), LLMRES_ERR_NOT_FOUND);
    CHECK_EQ(llmres_dispatch_step(&disp, &wait), 0);
    CHECK_EQ(job[1].result.error, LLMRES_ERR_CANCELLED);
    CHECK_EQ(job[1].result.attempts, 1); /* what happened before stays told */
    CHECK_EQ(job[2].result.error, LLMRES_ERR_CANCELLED);
    CHECK_EQ(job[2].result.attempts, 0);
    CHECK_EQ(sim.stats.requests, 2); /* nothing was sent after the 429, nor after the cancel */
    /* a queued job leaves the queue at once */
    CHECK_EQ(submit(3, 0, 0), LLMRES_OK);
    CHECK_EQ(llmres_dispatch_cancel(&disp, &job[3]), LLMRES_OK);
    CHECK_EQ(job[3].state, LLMRES_JOB_ENDED);
    CHECK_EQ(llmres_dispatch_cancel(&disp, &job[3]), LLMRES_ERR_NOT_FOUND);
    CHECK_EQ(llmres_dispatch_step(&disp, &wait), 0);
    CHECK_EQ(job[3].result.error, LLMRES_ERR_CANCELLED);
    CHECK_EQ(job[3].result.attempts, 0);
    for (i = 0; i < 4; i++) CHECK_EQ(done_count[i], 1);
    CHECK_EQ(disp.cancelled, 3);
    check_books(0);
    /* every call the client started is counted once by its final class */
    for (i = 0; i < LLMRES_CLASSES; i++) sum += client.by_class[i];
    CHECK_EQ(sum, client.calls);
    teardown(2);
}

/* A job no provider could take in time is not queued: it ends at once, told how long
   the wait is, without an attempt. */
static void jobs_that_cannot_be_served_in_time_end_at_once(void) {
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    int pending;
    uint32_t wait;
    memset(&sc, 0, sizeof(sc));
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    setup(&sc, &cfg, 1);
    llmres_overload_defer(&client.overload[0], sim.now, sim.now + 5000); /* a retry-after of 5 s */
    CHECK_EQ(submit(0, 1, 0), LLMRES_OK);
    CHECK_EQ(job[0].state, LLMRES_JOB_ENDED);
    CHECK_EQ(job[0].result.error, LLMRES_ERR_LIMITED);
    CHECK_EQ(job[0].result.cls, LLMRES_CLASS_OVERLOADED);
    CHECK_EQ(job[0].result.retry_in_ms, 5000);
    llmres_breaker_force_open(&client.breaker[0], sim.now);
    CHECK_EQ(submit(1, 1, 0), LLMRES_OK);
    CHECK_EQ(job[1].result.error, LLMRES_ERR_OPEN);
    CHECK_EQ(job[1].result.retry_in_ms, LLMRES_NEVER);
    /* behind a half-open breaker's probe the wait is short (it may close any moment): queued */
    llmres_overload_clear(&client.overload[0], sim.now);
    llmres_breaker_reset(&client.breaker[0], sim.now);
    llmres_breaker_force_open(&client.breaker[0], sim.now);
    client.breaker[0].state = LLMRES_BREAKER_OPEN; /* as if it had opened itself, 5 s ago */
    client.breaker[0].opened_at = sim.now - client.breaker[0].open_for;
    CHECK_EQ(llmres_breaker_allow(&client.breaker[0], sim.now), LLMRES_OK); /* the probe: half-open, taken */
    CHECK_EQ(submit(3, 1, 0), LLMRES_OK);
    CHECK_EQ(job[3].state, LLMRES_JOB_QUEUED);
    CHECK_EQ(llmres_dispatch_cancel(&disp, &job[3]), LLMRES_OK);
    llmres_breaker_reset(&client.breaker[0], sim.now);
    /* a wait within shed_wait_ms (2 s) and the deadline: queued, and answered after it */
    sim.now += 5000;
    llmres_overload_defer(&client.overload[0], sim.now, sim.now + 1500);
    CHECK_EQ(submit(2, 1, 0), LLMRES_OK);
    CHECK_EQ(job[2].state, LLMRES_JOB_QUEUED);
    STEP_UNTIL(-1, job[2].state == LLMRES_JOB_DONE, pending, wait);
    CHECK_EQ(job[2].result.error, LLMRES_OK);
    CHECK_EQ(done_count[0] + done_count[1] + done_count[2] + done_count[3], 4);
    CHECK_EQ(job[0].result.attempts + job[1].result.attempts, 0);
    CHECK_EQ(sim.stats.requests, 1);
    CHECK_EQ(disp.shed, 2);
    CHECK_EQ(disp.cancelled, 1);
    CHECK(job[2].result.elapsed_ms >= 1500); /* not sent before the provider's instant */
    check_books(0);
    teardown(1);
}

static void a_job_is_taken_once_and_may_come_again(void) {
    setup(NULL, NULL, 1);
    CHECK_EQ(submit(0, 1, 0), LLMRES_OK);
    CHECK_EQ(submit(0, 1, 0), LLMRES_ERR_INVALID); /* queued: not twice */
    resubmit_once = 0;                            /* on_done submits it again */
    llmres_dispatch_run(&disp);
    CHECK_EQ(done_count[0], 2);
    CHECK_EQ(job[0].result.error, LLMRES_OK);
    CHECK(strcmp(text[0], "sim answer 2") == 0);
    CHECK_EQ(disp.submitted, 2);
    check_books(0);
    CHECK_EQ(llmres_dispatch_submit(NULL, &job[1]), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_dispatch_submit(&disp, NULL), LLMRES_ERR_INVALID);
    teardown(1);
}

static void shutdown_ends_every_job_once(void) {
    llmres_config_t cfg;
    uint32_t wait;
    int i;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 1000;
    cfg.burst = 1;
    setup(NULL, &cfg, 2);
    for (i = 0; i < 6; i++) CHECK_EQ(submit(i, (uint8_t)(i % 4), 0), LLMRES_OK);
    CHECK_EQ(llmres_dispatch_step(&disp, &wait), 6); /* one sent, its answer on the way; one waits for the bucket */
    CHECK_EQ(client.in_flight, 1);
    llmres_dispatch_shutdown(&disp);
    for (i = 0; i < 6; i++) CHECK_EQ(done_count[i], 1);
    CHECK_EQ(disp.completed, 0);
    CHECK_EQ(disp.cancelled, 6); /* the one on the wire too: its exchange closed, its slot freed */
    CHECK_EQ(job[3].result.attempts, 0);
    CHECK_EQ(worker_open_connections(0), 0);
    CHECK_EQ(llmres_dispatch_step(&disp, &wait), 0);
    CHECK_EQ(wait, LLMRES_NEVER);
    check_books(0);
    teardown(2);
}

/* A thread per slot steps its own slot only; here the two are interleaved by hand. */
static void slots_step_on_their_own(void) {
    uint32_t wait;
    int i, n, pending;
    setup(NULL, NULL, 2);
    for (i = 0; i < 5; i++) CHECK_EQ(submit(i, 0, 0), LLMRES_OK);
    CHECK_EQ(llmres_dispatch_step_slot(&disp, 2, &wait), LLMRES_ERR_INVALID);
    STEP_UNTIL(1, 0, pending, wait); /* slot 1 alone runs all five, one after another */
    CHECK_EQ(pending, 0);
    for (i = 0; i < 5; i++) CHECK_EQ(job[i].result.error, LLMRES_OK);
    for (i = 5; i < 8; i++) CHECK_EQ(submit(i, 0, 0), LLMRES_OK);
    for (n = 0; n < 200 && llmres_dispatch_step_slot(&disp, (uint32_t)(n % 2), &wait) > 0; n++)
        if (n % 2) sim.port.sleep_ms(sim.port.ctx, 5);
    for (i = 0; i < 8; i++) CHECK_EQ(done_count[i], 1);
    check_books(0);
    teardown(2);
}

/* Random submits, cancels and steps against a flaky, overloaded provider and a local
   fallback: whatever happens, every accepted submission ends exactly once, and none ends
   after its deadline: with three slots in one thread, no step waits in I/O. */
static void storm_every_accepted_job_ends_once(void) {
    static int accepted[JOBS];
    static uint32_t timeout[JOBS];
    llmres_sim_config_t sc, alt;
    llmres_config_t cfg;
    llmres_worker_t *w[3];
    uint32_t rng = 12345, wait = 0, i, steps = 0;
    int k, pending = 0, refused = 0;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 40;
    sc.jitter_ms = 60;
    sc.capacity_milli = 3000;
    sc.failure_permille = 80;
    sc.outages[0].start_ms = 3000;
    sc.outages[0].end_ms = 6000;
    sc.outages[0].reset = 1;
    sc.outage_count = 1;
    sc.seed = 7;
    memset(&alt, 0, sizeof(alt));
    alt.provider = LLMRES_PROVIDER_OLLAMA;
    alt.latency_ms = 150;
    llmres_config_defaults(&cfg);
    cfg.max_queue = 10;
    cfg.attempt_timeout_ms = 1000;
    cfg.backoff_base_ms = 50;
    cfg.breaker_timeout_ms = 2000;
    cfg.rps_milli = 5000;
    llmres_sim_init(&sim, &sc);
    llmres_sim_alt(&sim, 11434, &alt);
    CHECK_EQ(llmres_client_init(&client, &sim.port, NULL, &cfg, chain, 2), LLMRES_OK);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(llmres_worker_init(&workers[i], &client, NULL), LLMRES_OK);
        w[i] = &workers[i];
    }
    CHECK_EQ(llmres_dispatch_init(&disp, &client, w, 3), LLMRES_OK);
    for (k = 0; k < JOBS; k++) {
        snprintf(prompt[k], sizeof(prompt[k]), "storm %d", k);
        memset(&job[k], 0, sizeof(job[k]));
        msg[k].role = "user";
        msg[k].content = prompt[k];
        job[k].call.messages = &msg[k];
        job[k].call.message_count = 1;
        job[k].call.max_tokens = 16;
        job[k].call.temperature_milli = 700;
        job[k].call.cache = k % 3 == 0 ? LLMRES_CALL_CACHE_YES : LLMRES_CALL_CACHE_NO; /* some answered by the cache */
        job[k].call.text = text[k];
        job[k].call.text_cap = sizeof(text[k]);
        job[k].on_done = on_done;
        job[k].user = (void *)(intptr_t)k;
        accepted[k] = done_count[k] = 0;
    }
    done_n = 0;
    resubmit_once = -1;
    for (steps = 0; steps < 3000; steps++) {
        uint32_t r = llmres_xorshift32(&rng), j = r % JOBS;
        if (r % 10 < 5) {        /* submit a job that is the caller's */
            if (job[j].state == LLMRES_JOB_IDLE || job[j].state == LLMRES_JOB_DONE) {
                int rc;
                uint32_t t = 200 + (r >> 8) % 8000;
                rc = submit((int)j, (uint8_t)((r >> 4) % LLMRES_QUEUE_LEVELS), t);
                if (rc == LLMRES_OK) { accepted[j]++; timeout[j] = t; } /* a refused submit leaves the last result */
                else { CHECK_EQ(rc, LLMRES_ERR_FULL); refused++; }
            }
        } else if (r % 10 == 5) { /* cancel: fine or not found, never harmful */
            int rc = llmres_dispatch_cancel(&disp, &job[j]);
            CHECK(rc == LLMRES_OK || rc == LLMRES_ERR_NOT_FOUND);
        } else {
            pending = llmres_dispatch_step(&disp, &wait);
            CHECK(pending >= 0);
            if (pending > 0) sim.port.sleep_ms(sim.port.ctx, wait < 300 ? wait : 1 + (r >> 12) % 300);
        }
    }
    llmres_dispatch_run(&disp);
    for (k = 0; k < JOBS; k++) {
        CHECK_EQ(done_count[k], accepted[k]);
        if (accepted[k] && job[k].result.error == LLMRES_OK) CHECK(strncmp(text[k], "sim answer", 10) == 0);
        if (accepted[k]) CHECK(job[k].result.elapsed_ms <= timeout[k]);
    }
    CHECK_EQ(disp.refused, (uint32_t)refused);
    check_books(0);
    /* the storm went through every ending */
    CHECK(disp.completed > 100);
    CHECK(disp.expired > 0);
    CHECK(disp.displaced > 0);
    CHECK(disp.cancelled > 0);
    CHECK(refused > 0);
    CHECK(client.fallbacks > 0);
    CHECK(client.cache_hits > 0);
    printf("  storm: %u submitted, %u answered or failed by the call, %u expired, %u displaced, %u cancelled, %d refused; "
           "%u attempts, %u fallbacks\n", (unsigned)disp.submitted, (unsigned)disp.completed, (unsigned)disp.expired,
           (unsigned)disp.displaced, (unsigned)disp.cancelled, refused, (unsigned)client.attempts, (unsigned)client.fallbacks);
    teardown(3);
}

static void rejects_bad_setup(void) {
    llmres_worker_t *w[LLMRES_DISPATCH_SLOTS + 1];
    uint32_t i, wait;
    setup(NULL, NULL, 1);
    for (i = 0; i <= LLMRES_DISPATCH_SLOTS; i++) w[i] = &workers[0];
    CHECK_EQ(llmres_dispatch_init(&disp, &client, w, 0), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_dispatch_init(&disp, &client, w, LLMRES_DISPATCH_SLOTS + 1), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_dispatch_init(&disp, NULL, w, 1), LLMRES_ERR_INVALID);
    w[0] = NULL;
    CHECK_EQ(llmres_dispatch_init(&disp, &client, w, 1), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_dispatch_step(NULL, &wait), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_dispatch_cancel(NULL, &job[0]), LLMRES_ERR_INVALID);
    llmres_dispatch_run(NULL);
    llmres_dispatch_shutdown(NULL);
    teardown(1);
}

/* An on_done that submits and cancels another job (as another thread might, racing the
   callbacks): that job's on_done still runs in the same step. */
static void submit_and_cancel_1(int i) {
    if (i != 0) return;
    CHECK_EQ(submit(1, 0, 0), LLMRES_OK);
    CHECK_EQ(llmres_dispatch_cancel(&disp, &job[1]), LLMRES_OK);
}
static void jobs_ended_during_callbacks_are_told(void) {
    uint32_t wait;
    int pending;
    setup(NULL, NULL, 1);
    disp.wake_fn = on_wake;
    done_hook = submit_and_cancel_1;
    CHECK_EQ(submit(0, 0, 0), LLMRES_OK);
    CHECK_EQ(wakes, 1);
    STEP_UNTIL(-1, done_count[0] == 1, pending, wait);
    CHECK_EQ(pending, 0); /* in the step that told job 0: job 1 was told too */
    CHECK_EQ(done_count[0], 1);
    CHECK_EQ(done_count[1], 1);
    CHECK_EQ(job[1].result.error, LLMRES_ERR_CANCELLED);
    CHECK_EQ(wakes, 3); /* the submit and the cancel from on_done woke the stepper too */
    check_books(0);
    teardown(1);
}

/* A slow on_done does not push the next job past its deadline: the wait is counted
   after the callbacks, from each slot's own wake-up time. */
static void slow_callback(int i) { if (i == 0) sim.now += 400; }
static void waits_count_from_after_the_callbacks(void) {
    llmres_config_t cfg;
    uint32_t t0, wait;
    int pending;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 1000; /* job 1 waits about 1 s for a token */
    cfg.burst = 1;
    setup(NULL, &cfg, 1);
    done_hook = slow_callback;
    t0 = sim.now;
    CHECK_EQ(submit(0, 1, 0), LLMRES_OK);
    CHECK_EQ(submit(1, 0, 1200), LLMRES_OK);
    STEP_UNTIL(-1, done_count[0] == 1, pending, wait);
    CHECK_EQ(pending, 1);
    CHECK(sim.now - t0 >= 400);
    CHECK(sim.now - t0 + wait <= 1001); /* job 1's bucket wait, not 400 ms more */
    llmres_dispatch_run(&disp);
    CHECK_EQ(job[1].result.error, LLMRES_OK);
    CHECK(done_at[1] - t0 <= 1020);
    teardown(1);
}

static void resubmit_after_shutdown(int i) { CHECK_EQ(llmres_dispatch_submit(&disp, &job[i]), LLMRES_ERR_SHUT_DOWN); }
static void shut_down_means_closed(void) {
    uint32_t wait;
    setup(NULL, NULL, 1);
    CHECK_EQ(submit(0, 0, 0), LLMRES_OK);
    CHECK_EQ(submit(1, 0, 0), LLMRES_OK);
    done_hook = resubmit_after_shutdown;
    llmres_dispatch_shutdown(&disp);
    CHECK_EQ(done_count[0] + done_count[1], 2);
    CHECK_EQ(job[0].state, LLMRES_JOB_DONE);
    CHECK_EQ(submit(2, 0, 0), LLMRES_ERR_SHUT_DOWN);
    CHECK_EQ(llmres_dispatch_step(&disp, &wait), 0);
    check_books(0);
    teardown(1);
}

static void odd_arguments_are_refused(void) {
    llmres_worker_t *w[2];
    setup(NULL, NULL, 1);
    CHECK_EQ(submit(0, 0, 0x80000000u), LLMRES_ERR_INVALID); /* "forever" would wrap to the past */
    CHECK_EQ(job[0].state, LLMRES_JOB_IDLE);
    w[0] = w[1] = &workers[0];
    CHECK_EQ(llmres_dispatch_init(&disp, &client, w, 2), LLMRES_ERR_INVALID); /* one worker, two slots */
    teardown(1);
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(runs_in_priority_order_one_result_each);
    RUN(deadline_in_the_queue_ends_on_time);
    RUN(full_queue_pushes_back_and_displaces);
    RUN(cancel_queued_and_running_jobs);
    RUN(jobs_that_cannot_be_served_in_time_end_at_once);
    RUN(a_job_is_taken_once_and_may_come_again);
    RUN(shutdown_ends_every_job_once);
    RUN(slots_step_on_their_own);
    RUN(storm_every_accepted_job_ends_once);
    RUN(rejects_bad_setup);
    RUN(jobs_ended_during_callbacks_are_told);
    RUN(waits_count_from_after_the_callbacks);
    RUN(shut_down_means_closed);
    RUN(odd_arguments_are_refused);
    return T_DONE();
}
