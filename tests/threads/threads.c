/* Eight threads share one client, each with its own worker, on the sim port: 100,000
   calls in all against a provider that fails now and then, has outages and a fallback,
   with the cache and coalescing on. Built with -fsanitize=thread by tests/ports.sh.

   Checks: every call's outcome is accounted for (answers + errors = calls), the client's
   counters and the statistics agree with what the threads saw, and the client's lock is
   never held by a thread while it is in the transport, a sleep or the log hook (the port
   below wraps the sim's and records it), while two threads also read the statistics
   (llmres_stats_tick, llmres_stats_json). The sim's own state is shared too: its optional
   lock (sim.lock) is a mutex of its own.
   Then one dispatcher: 4 threads submit 20,000 jobs (a pool of 16 each, resubmitted once
   ended, so the queue pushes back) while 4 threads step a slot each: every accepted job
   ends exactly once, the answers are the client's successes, the same lock rules hold.
   LLMRES_CALLS=n runs n calls (and n / 5 jobs) instead (a quick look). */
#define _DEFAULT_SOURCE
#define LLMRES_SIM_CONNECTIONS 16 /* 8 workers x LLMRES_MAX_CONNECTIONS (2) */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_sim.h"
#include "../test.h"
#include <pthread.h>
#include <sched.h>

#define THREADS 8
#define PROMPTS 40

static llmres_sim_t sim;
static llmres_port_t port; /* the sim's, with the client's lock and the checks around it */
static llmres_client_t client;
static llmres_stats_t stats;
static llmres_worker_t workers[THREADS];
static pthread_mutex_t client_mu = PTHREAD_MUTEX_INITIALIZER, sim_mu = PTHREAD_MUTEX_INITIALIZER,
                       tally_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t holding; /* set while this thread holds the client's lock */
static uint32_t held_in_io, held_in_sleep, held_in_log, lock_count, calls_per_thread, log_lines, exports;
static char prompts[PROMPTS][48];

typedef struct tally {
    uint32_t calls, answers, errors, bad_text;
    uint32_t by_class[LLMRES_CLASSES];
} tally_t;
static tally_t tallies[THREADS];

static void count(uint32_t *what) {
    pthread_mutex_lock(&tally_mu);
    (*what)++;
    pthread_mutex_unlock(&tally_mu);
}
static int held(void) { return pthread_getspecific(holding) != NULL; }

static void client_lock(void *ctx) {
    (void)ctx;
    pthread_mutex_lock(&client_mu);
    if (held()) count(&held_in_io); /* taken twice: a deadlock on a real mutex */
    pthread_setspecific(holding, &client_mu);
    lock_count++; /* under client_mu */
}
static void client_unlock(void *ctx) {
    (void)ctx;
    pthread_setspecific(holding, NULL);
    pthread_mutex_unlock(&client_mu);
}
static void sim_lock(void *ctx) { pthread_mutex_lock((pthread_mutex_t *)ctx); }
static void sim_unlock(void *ctx) { pthread_mutex_unlock((pthread_mutex_t *)ctx); }

/* The sim's functions, each checking that the calling thread does not hold the lock. */
static uint32_t w_now(void *ctx) { return sim.port.now_ms(ctx); }
static void w_sleep(void *ctx, uint32_t ms) {
    if (held()) count(&held_in_sleep);
    sim.port.sleep_ms(ctx, ms);
}
static int w_entropy(void *ctx, void *buf, size_t len) { return sim.port.entropy(ctx, buf, len); }
static void w_log(void *ctx, int level, const char *msg) {
    (void)ctx; (void)level; (void)msg;
    if (held()) count(&held_in_log);
    count(&log_lines);
}
static int w_open(void *ctx, const char *host, uint16_t p, uint32_t timeout_ms) {
    if (held()) count(&held_in_io);
    return sim.port.tcp.open(ctx, host, p, timeout_ms);
}
static int w_send(void *ctx, int conn, const void *buf, size_t len, uint32_t timeout_ms) {
    if (held()) count(&held_in_io);
    return sim.port.tcp.send(ctx, conn, buf, len, timeout_ms);
}
static int w_recv(void *ctx, int conn, void *buf, size_t len, uint32_t timeout_ms) {
    if (held()) count(&held_in_io);
    return sim.port.tcp.recv(ctx, conn, buf, len, timeout_ms);
}
static void w_close(void *ctx, int conn) {
    if (held()) count(&held_in_io);
    sim.port.tcp.close(ctx, conn);
}

static void *caller(void *arg) {
    int id = (int)(intptr_t)arg;
    tally_t *t = &tallies[id];
    uint32_t i;
    char text[64];
    static char json[2][32768]; /* threads 0 and 1 read the statistics while the others call */
    for (i = 0; i < calls_per_thread; i++) {
        if (id < 2 && i % 500 == 0 && llmres_stats_json(&client, json[id], sizeof(json[id]), NULL) > 0) count(&exports);
        if (id == 0) llmres_stats_tick(&client);
        llmres_call_t call;
        llmres_result_t res;
        llmres_call_init(&call, prompts[(i * 7u + (uint32_t)id) % PROMPTS], text, sizeof(text));
        if (i % 2) call.temperature_milli = 0; /* cacheable: the cache and coalescing are shared too */
        call.timeout_ms = 20000;
        t->calls++;
        if (llmres_call(&client, &workers[id], &call, &res) == LLMRES_OK) {
            t->answers++;
            if (strncmp(text, "sim answer ", 11) != 0) t->bad_text++;
        } else {
            t->errors++;
        }
        if (res.cls >= 0 && res.cls < LLMRES_CLASSES) t->by_class[res.cls]++;
    }
    return NULL;
}

static void setup(void) {
    static const llmres_provider_t chain[2] = {
        {LLMRES_PROVIDER_OPENAI, "cloud.example", 443, 0, NULL, "sk-threads", "m", NULL},
        {LLMRES_PROVIDER_OLLAMA, "gateway.lan", 11434, 0, NULL, NULL, "local", NULL}};
    llmres_sim_config_t cloud, local;
    llmres_config_t cfg;
    int i;
    memset(&cloud, 0, sizeof(cloud));
    cloud.provider = LLMRES_PROVIDER_OPENAI;
    cloud.latency_ms = 20;
    cloud.jitter_ms = 20;
    cloud.failure_permille = 30;
    for (i = 0; i < 4; i++) { /* outages that open the breaker now and then */
        cloud.outages[i].start_ms = 200000u * (uint32_t)(i + 1);
        cloud.outages[i].end_ms = cloud.outages[i].start_ms + 20000u;
        cloud.outages[i].reset = (uint8_t)(i % 2);
    }
    cloud.outage_count = 4;
    cloud.seed = 7;
    memset(&local, 0, sizeof(local));
    local.provider = LLMRES_PROVIDER_OLLAMA;
    local.latency_ms = 50;
    llmres_sim_init(&sim, &cloud);
    llmres_sim_alt(&sim, 11434, &local);
    sim.lock = sim_lock;
    sim.unlock = sim_unlock;
    sim.lock_ctx = &sim_mu;

    port = sim.port;
    port.now_ms = w_now;
    port.sleep_ms = w_sleep;
    port.entropy = w_entropy;
    port.lock = client_lock;
    port.unlock = client_unlock;
    port.log = w_log;
    port.tcp.open = w_open;
    port.tcp.send = w_send;
    port.tcp.recv = w_recv;
    port.tcp.close = w_close;

    llmres_config_defaults(&cfg);
    cfg.max_concurrent = THREADS;
    cfg.rps_milli = 0;
    cfg.cache = LLMRES_CACHE_DETERMINISTIC;
    cfg.cache_ttl_ms = 2000;
    cfg.backoff_base_ms = 50;
    cfg.breaker_failures = 3;
    cfg.breaker_timeout_ms = 2000;
    cfg.stats_log_ms = 5000; /* the log hook runs too */
    for (i = 0; i < PROMPTS; i++) snprintf(prompts[i], sizeof(prompts[i]), "sensor %d: is this reading normal?", i);
    CHECK_EQ(llmres_client_init(&client, &port, NULL, &cfg, chain, 2), LLMRES_OK);
    CHECK_EQ(llmres_client_stats(&client, &stats), LLMRES_OK);
    for (i = 0; i < THREADS; i++) CHECK_EQ(llmres_worker_init(&workers[i], &client, NULL), LLMRES_OK);
}

static void eight_threads_share_one_client(void) {
    pthread_t th[THREADS];
    tally_t sum;
    llmres_counts_t life[2];
    uint32_t i, k, by_class = 0, answered_by = 0, calls = calls_per_thread * THREADS;
    int p;
    memset(&sum, 0, sizeof(sum));
    setup();
    for (i = 0; i < THREADS; i++) CHECK_EQ(pthread_create(&th[i], NULL, caller, (void *)(intptr_t)i), 0);
    for (i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    for (i = 0; i < THREADS; i++) {
        sum.calls += tallies[i].calls;
        sum.answers += tallies[i].answers;
        sum.errors += tallies[i].errors;
        sum.bad_text += tallies[i].bad_text;
        for (k = 0; k < LLMRES_CLASSES; k++) sum.by_class[k] += tallies[i].by_class[k];
    }
    for (k = 0; k < LLMRES_CLASSES; k++) by_class += client.by_class[k];
    for (p = 0; p < 2; p++) answered_by += client.answered_by[p];
    /* every call accounted for, once */
    CHECK_EQ(sum.calls, calls);
    CHECK_EQ(sum.answers + sum.errors, calls);
    CHECK_EQ(sum.bad_text, 0);
    CHECK_EQ(client.calls, calls);
    CHECK_EQ(client.successes, sum.answers);
    CHECK_EQ(answered_by + client.cache_hits, sum.answers); /* a cache hit is answered by no provider */
    CHECK_EQ(by_class, calls);
    for (k = 0; k < LLMRES_CLASSES; k++) CHECK_EQ(client.by_class[k], sum.by_class[k]);
    CHECK_EQ(client.in_flight, 0);
    CHECK(client.attempts >= sum.answers - client.cache_hits - client.coalesced);
    /* the statistics saw the same calls */
    for (p = 0; p < 2; p++) CHECK_EQ(llmres_stats_lifetime(&client, p, &life[p], NULL), LLMRES_OK);
    CHECK_EQ(life[0].calls + life[1].calls, calls);
    CHECK_EQ(life[0].successes + life[1].successes, sum.answers);
    CHECK_EQ(life[0].cache_hits + life[1].cache_hits, client.cache_hits);
    /* the lock: taken, and never held into I/O, a sleep or the log */
    CHECK(lock_count > calls);
    CHECK_EQ(held_in_io, 0);
    CHECK_EQ(held_in_sleep, 0);
    CHECK_EQ(held_in_log, 0);
    CHECK(log_lines > 0); /* the log ran: breaker changes, the statistics' line */
    CHECK_EQ(exports, 2 * ((calls_per_thread + 499) / 500));
    /* the run exercised what is shared: failures, the fallback, the cache */
    CHECK(sum.errors > 0 || client.retries > 0);
    CHECK(client.answered_by[1] > 0);
    CHECK(client.cache_hits > 0);
    printf("  %u calls on %d threads: %u answered (%u by the fallback, %u from the cache, %u coalesced), %u errors; "
           "%u attempts, %u retries, %u lock acquisitions, %u log lines; %u s of virtual time\n",
           (unsigned)calls, THREADS, (unsigned)sum.answers, (unsigned)client.answered_by[1], (unsigned)client.cache_hits,
           (unsigned)client.coalesced, (unsigned)sum.errors, (unsigned)client.attempts, (unsigned)client.retries,
           (unsigned)lock_count, (unsigned)log_lines, (unsigned)((sim.now - sim.start) / 1000u));
    for (i = 0; i < THREADS; i++) llmres_worker_close(&workers[i]);
}

/* ---- the dispatcher: 4 threads submit, 4 threads step a slot each ------------------- */
#define SUBMITTERS 4
#define POOL 16 /* jobs per submitter, resubmitted once ended: 64 > the queue + the slots */
static llmres_dispatch_t dispatch;
static llmres_job_t jobs[SUBMITTERS][POOL];
static char job_text[SUBMITTERS][POOL][64];
static int busy[SUBMITTERS][POOL]; /* under tally_mu: submitted and not yet ended */
static uint32_t jobs_per_submitter, accepted, refused, ended_ok, ended_err, ended_twice;
static int stepping;

static void job_done(llmres_job_t *job, void *user) {
    int *flag = (int *)user;
    pthread_mutex_lock(&tally_mu);
    if (*flag != 1) ended_twice++;
    *flag = 0;
    if (job->result.error == LLMRES_OK) ended_ok++;
    else ended_err++;
    pthread_mutex_unlock(&tally_mu);
}

static void *submitter(void *arg) {
    int id = (int)(intptr_t)arg, k, free;
    uint32_t n = 0, i = 0;
    while (n < jobs_per_submitter) {
        llmres_job_t *j;
        k = (int)(i++ % POOL);
        pthread_mutex_lock(&tally_mu);
        free = !busy[id][k];
        if (free) busy[id][k] = 1;
        pthread_mutex_unlock(&tally_mu);
        if (!free) { sched_yield(); continue; }
        j = &jobs[id][k];
        llmres_call_init(&j->call, prompts[(n * 3u + (uint32_t)id) % PROMPTS], job_text[id][k], sizeof(job_text[id][k]));
        if (n % 2) j->call.temperature_milli = 0;
        j->call.timeout_ms = 20000;
        j->priority = (uint8_t)(n % LLMRES_QUEUE_LEVELS);
        j->on_done = job_done;
        j->user = &busy[id][k];
        if (llmres_dispatch_submit(&dispatch, j) == LLMRES_OK) {
            n++;
            count(&accepted);
        } else { /* backpressure: not taken, no on_done; try again later */
            pthread_mutex_lock(&tally_mu);
            busy[id][k] = 0;
            refused++;
            pthread_mutex_unlock(&tally_mu);
            sched_yield();
        }
    }
    return NULL;
}

static void *stepper(void *arg) {
    uint32_t slot = (uint32_t)(intptr_t)arg, wait;
    while (__atomic_load_n(&stepping, __ATOMIC_SEQ_CST)) {
        llmres_dispatch_step_slot(&dispatch, slot, &wait);
        if (wait) port.sleep_ms(port.ctx, wait > 50 ? 50 : wait); /* virtual time */
        else sched_yield();
    }
    return NULL;
}

static void four_submit_four_step_one_dispatcher(void) {
    pthread_t sub[SUBMITTERS], step[LLMRES_DISPATCH_SLOTS];
    llmres_worker_t *w[LLMRES_DISPATCH_SLOTS];
    uint32_t i, ended = 0, spins;
    held_in_io = held_in_sleep = held_in_log = 0;
    setup();
    for (i = 0; i < LLMRES_DISPATCH_SLOTS; i++) w[i] = &workers[i];
    CHECK_EQ(llmres_dispatch_init(&dispatch, &client, w, LLMRES_DISPATCH_SLOTS), LLMRES_OK);
    stepping = 1;
    for (i = 0; i < LLMRES_DISPATCH_SLOTS; i++) pthread_create(&step[i], NULL, stepper, (void *)(intptr_t)i);
    for (i = 0; i < SUBMITTERS; i++) pthread_create(&sub[i], NULL, submitter, (void *)(intptr_t)i);
    for (i = 0; i < SUBMITTERS; i++) pthread_join(sub[i], NULL);
    for (spins = 0; spins < 60000; spins++) { /* bounded: every accepted job ends */
        struct timespec ms = {0, 1000000};
        pthread_mutex_lock(&tally_mu);
        ended = ended_ok + ended_err;
        pthread_mutex_unlock(&tally_mu);
        if (ended == accepted) break;
        nanosleep(&ms, NULL);
    }
    __atomic_store_n(&stepping, 0, __ATOMIC_SEQ_CST);
    for (i = 0; i < LLMRES_DISPATCH_SLOTS; i++) pthread_join(step[i], NULL);
    CHECK_EQ(accepted, SUBMITTERS * jobs_per_submitter);
    CHECK_EQ(ended, accepted);   /* every accepted job ended */
    CHECK_EQ(ended_twice, 0);    /* and exactly once */
    CHECK_EQ(ended_ok, client.successes);
    CHECK(ended_ok > 0);
    CHECK(refused > 0);          /* the queue pushed back */
    CHECK_EQ(held_in_io, 0);
    CHECK_EQ(held_in_sleep, 0);
    CHECK_EQ(held_in_log, 0);
    printf("  %u jobs from %d threads through a dispatcher stepped by %d threads: %u answered, %u errors, "
           "%u submits refused (queue full)\n", (unsigned)accepted, SUBMITTERS, LLMRES_DISPATCH_SLOTS,
           (unsigned)ended_ok, (unsigned)ended_err, (unsigned)refused);
    for (i = 0; i < THREADS; i++) llmres_worker_close(&workers[i]);
}

int main(int argc, char **argv) {
    const char *n = getenv("LLMRES_CALLS");
    T_INIT(argc, argv);
    calls_per_thread = (n && atoi(n) > 0 ? (uint32_t)atoi(n) : 100000u) / THREADS;
    jobs_per_submitter = calls_per_thread * THREADS / 5u / SUBMITTERS; /* 20,000 jobs */
    pthread_key_create(&holding, NULL);
    RUN(eight_threads_share_one_client);
    RUN(four_submit_four_step_one_dispatcher);
    return T_DONE();
}
