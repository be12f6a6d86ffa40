/* superloop: firmware with no threads asks an LLM about its sensor events.

   One loop does everything, as on a bare-metal MCU: it reads a sensor every 250 ms,
   submits a job per event (alarms urgent and short-lived, routine reports patient), steps
   the dispatcher, and sleeps until there is something to do. No step waits for an
   answer, so the loop never stalls behind the network.

   Here it runs on port/llmres_sim.h: a cloud provider that serves 2 requests a second
   (429 with retry-after beyond), drops every connection from 20 s to 26 s, and a slower
   local model as the fallback; one minute of virtual time takes milliseconds. On a
   device, the port would be the board's (time, sockets, TLS) and the loop the same.
   Prints what happened; exits 1 if a job did not end exactly once or the loop stalled. */
#define LLMRES_SIM_CONNECTIONS 8
#define LLMRES_IMPLEMENTATION
#include "../llmres.h"
#include "../port/llmres_sim.h"

#define EVENTS 240 /* one minute of events */

static llmres_sim_t sim;
static llmres_client_t client;
static llmres_stats_t stats;            /* the library's counts and health, for its tick's line */
static char ticks[12][320];             /* what llmres_stats_tick logged, to print at the end */
static int tick_count;

/* The port's log: keeps the summary lines (a board would write them to its UART). */
static void keep_line(void *ctx, int level, const char *msg) {
    (void)ctx; (void)level;
    if (tick_count < 12 && !strncmp(msg, "llmres: ", 8) && (msg[8] == 'h' || msg[8] == 'd' || msg[8] == 'c') &&
        strstr(msg, " calls, "))
        snprintf(ticks[tick_count++], sizeof(ticks[0]), "t=%2u s %s", (unsigned)(sim.now - sim.start) / 1000u, msg + 8);
}
static llmres_worker_t workers[2];
static llmres_dispatch_t dispatch;
static llmres_job_t job[EVENTS];
static llmres_llm_message_t msg[EVENTS];
static char prompt[EVENTS][64], answer[EVENTS][96];
static int ended[EVENTS];

static void on_done(llmres_job_t *j, void *user) {
    (void)j;
    ended[(int)(intptr_t)user]++;
}

int main(void) {
    static const llmres_provider_t chain[2] = {
        {LLMRES_PROVIDER_OPENAI, "cloud.example", 443, 0, NULL, "sk-device", "cloud-model", NULL},
        {LLMRES_PROVIDER_OLLAMA, "gateway.lan", 11434, 0, NULL, NULL, "local-model", NULL},
    };
    llmres_sim_config_t cloud, local;
    llmres_config_t cfg;
    llmres_worker_t *w[2] = {&workers[0], &workers[1]};
    uint32_t next_event = 0, longest_step = 0, loops = 0, alarm_worst = 0, alarms_ok = 0, alarms = 0;
    uint32_t count[4] = {0, 0, 0, 0}; /* answered, timed out, displaced, other errors */
    int events = 0, refused = 0, lost = 0, i, pending = 1;

    memset(&cloud, 0, sizeof(cloud));
    cloud.provider = LLMRES_PROVIDER_OPENAI;
    cloud.capacity_milli = 2000;
    cloud.latency_ms = 300;
    cloud.jitter_ms = 200;
    cloud.failure_permille = 20;
    cloud.outages[0].start_ms = 20000;
    cloud.outages[0].end_ms = 26000;
    cloud.outages[0].reset = 1;
    cloud.outage_count = 1;
    cloud.seed = 42;
    memset(&local, 0, sizeof(local));
    local.provider = LLMRES_PROVIDER_OLLAMA;
    local.latency_ms = 800;
    llmres_sim_init(&sim, &cloud);
    llmres_sim_alt(&sim, 11434, &local);

    llmres_config_defaults(&cfg);
    cfg.cache = LLMRES_CACHE_DETERMINISTIC;
    cfg.max_concurrent = 2;
    cfg.rps_milli = 3000;
    cfg.max_queue = 16;
    cfg.breaker_failures = 3;
    cfg.breaker_timeout_ms = 4000;
    cfg.backoff_base_ms = 200;
    cfg.attempt_timeout_ms = 3000;
    cfg.stats_slot_ms = 2000;    /* a recent window of 10 s */
    cfg.stats_log_ms = 10000;    /* a summary line every 10 s */
    sim.port.log = keep_line;
    if (llmres_client_init(&client, &sim.port, NULL, &cfg, chain, 2) != LLMRES_OK ||
        llmres_client_stats(&client, &stats) != LLMRES_OK ||
        llmres_worker_init(&workers[0], &client, NULL) != LLMRES_OK ||
        llmres_worker_init(&workers[1], &client, NULL) != LLMRES_OK ||
        llmres_dispatch_init(&dispatch, &client, w, 2) != LLMRES_OK)
        return 1;

    /* the superloop */
    next_event = sim.port.now_ms(sim.port.ctx);
    while (events < EVENTS || pending > 0) {
        uint32_t now = sim.port.now_ms(sim.port.ctx), wait = LLMRES_NEVER, t0;
        if (events < EVENTS && (int32_t)(now - next_event) >= 0) { /* a sensor reading */
            int n = events++, alarm = n % 10 == 7;
            snprintf(prompt[n], sizeof(prompt[n]), "%s: sensor %d reads %d C", alarm ? "ALARM" : "report", n % 6,
                     alarm ? 95 : 20 + n % 5);
            msg[n].role = "user";
            msg[n].content = prompt[n];
            job[n].call.messages = &msg[n];
            job[n].call.message_count = 1;
            job[n].call.max_tokens = 32;
            job[n].call.temperature_milli = 0;
            job[n].call.timeout_ms = alarm ? 5000 : 30000;
            job[n].call.text = answer[n];
            job[n].call.text_cap = sizeof(answer[n]);
            job[n].priority = (uint8_t)(alarm ? 3 : 0);
            job[n].on_done = on_done;
            job[n].user = (void *)(intptr_t)n;
            alarms += (uint32_t)alarm;
            if (llmres_dispatch_submit(&dispatch, &job[n]) != LLMRES_OK) refused++; /* backpressure: drop the report */
            next_event += 250;
        }
        t0 = sim.port.now_ms(sim.port.ctx);
        pending = llmres_dispatch_step(&dispatch, &wait);
        llmres_stats_tick(&client); /* its summary line, every LLM_STATS_LOG_MS */
        if (sim.port.now_ms(sim.port.ctx) - t0 > longest_step) longest_step = sim.port.now_ms(sim.port.ctx) - t0;
        loops++;
        /* ... the rest of the firmware runs here ... then sleep until the next thing to do */
        now = sim.port.now_ms(sim.port.ctx);
        if (events < EVENTS && next_event - now < wait) wait = next_event - now;
        if (wait == LLMRES_NEVER) wait = 1;
        sim.port.sleep_ms(sim.port.ctx, wait);
    }

    for (i = 0; i < EVENTS; i++) {
        int taken = job[i].state != LLMRES_JOB_IDLE;
        if (ended[i] != taken) lost++;
        if (!taken) continue;
        if (job[i].result.error == LLMRES_OK) count[0]++;
        else if (job[i].result.error == LLMRES_ERR_TIMEOUT) count[1]++;
        else if (job[i].result.error == LLMRES_ERR_DISPLACED) count[2]++;
        else count[3]++;
        if (job[i].priority == 3 && job[i].result.error == LLMRES_OK) {
            alarms_ok++;
            if (job[i].result.elapsed_ms > alarm_worst) alarm_worst = job[i].result.elapsed_ms;
        }
    }
    printf("llmres %s superloop: one thread, %d sensor events in %u s of virtual time, 2 dispatcher slots\n\n",
           LLMRES_VERSION_STRING, EVENTS, (unsigned)(sim.now - sim.start) / 1000u);
    printf("| what | value |\n|---|---:|\n");
    printf("| events / refused at submit (queue full) | %d / %d |\n", events, refused);
    printf("| answered / timed out / displaced / other errors | %u / %u / %u / %u |\n", (unsigned)count[0],
           (unsigned)count[1], (unsigned)count[2], (unsigned)count[3]);
    printf("| jobs without exactly one end | %d |\n", lost);
    printf("| alarms answered / alarms | %u / %u (slowest %u ms, deadline 5000) |\n", (unsigned)alarms_ok,
           (unsigned)alarms, (unsigned)alarm_worst);
    printf("| attempts / retries / fallbacks / cache hits | %u / %u / %u / %u |\n", (unsigned)client.attempts,
           (unsigned)client.retries, (unsigned)client.fallbacks, (unsigned)client.cache_hits);
    printf("| 429s from the cloud / connections lost in the outage | %u / %u |\n", (unsigned)client.status_429,
           (unsigned)sim.stats.outage);
    printf("| loop iterations / longest dispatcher step | %u / %u ms (a connect; no step waits for an answer) |\n",
           (unsigned)loops, (unsigned)longest_step);
    printf("\nhealth over time (llmres_stats_tick's line every 10 s; the window is the last 10 s):\n");
    for (i = 0; i < tick_count; i++) printf("  %s\n", ticks[i]);
    for (i = 0; i < 2; i++) llmres_worker_close(&workers[i]);
    return lost == 0 && longest_step < cloud.latency_ms && alarms_ok > 0 ? 0 : 1;
}
