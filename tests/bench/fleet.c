/* fleet: how a fleet of devices treats one overloaded LLM provider, llmres beside simpler
   retry policies, in virtual time. A benchmark, not a timed test: `make fleet` prints a
   table per scenario and writes the data for build/fleet/fleet-{a,b}.png; `fleet --quick`
   runs short scenarios and checks only the invariants, for make test.

   The provider, one for the whole fleet: a token bucket admits 20 requests/s (C) with a
   burst of 10, and at most 40 requests are in service; service takes a lognormal time
   (median 800 ms, sigma 0.5) and ends in a 200 with an OpenAI chat.completion body. A
   request it refuses gets, 30 ms later, a 529 with Anthropic's overloaded body, or in
   scenario (c) a 429 with retry-after (whole seconds until a token is free, at least 1)
   and OpenAI's rate_limit_exceeded body. A refusal may cost the provider a fraction of a
   token (every scenario runs with cost 0 and with 0.05): a storm of retries then eats
   the capacity it is waiting for. In scenario (b) every request from 60 s to 90 s gets a
   503 after 50 ms. The provider counts every request it receives, per request: those are
   the upstream attempts, the authority for every figure below.

   The clients. Requests arrive as one Poisson process at the scenario's rate, each at a
   uniformly random device, each with a 60 s deadline, the same sequence for every policy
   of a seed. The simple policies are independent requests with no llmres code, which
   retry 429, 5xx and connection errors as their row says and give up at the deadline;
   they see the provider's decisions without the bytes (a status and a retry-after is all
   they read). llmres is the real thing: each device has its own client (llmres_config_
   defaults, or one preset on top), a dispatcher and LLMRES_DISPATCH_SLOTS workers,
   stepped with llmres_dispatch_step and never blocking, over a simulated TCP transport
   that carries real HTTP/1.1 bytes to the provider and back on kept-alive connections.
   Every device reads one virtual clock; the port's sleep aborts, since stepped code must
   never sleep. The devices' clocks start 100 s before the 32-bit wrap, so every run
   crosses it.

   Speed: an event loop over a binary min-heap of wake-up times. A device wakes when its
   dispatcher asked to be stepped, at its next arrival, or when an answer it waits for is
   ready (as a network interrupt would wake it); a simple request wakes to send and to
   read its answer. 1000 devices and 30,000 requests take seconds.

   Usage: fleet [--quick] [--only SCENARIOS] [--out DIR] [SEED...]
   Seeds also from $SEEDS (default "1 2 3"); $FLEET_QUICK=1 is --quick. C99 and libm. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the model --------------------------------------------------------------------- */
#define C_RPS 20.0               /* the provider's capacity, C: admissions per second */
#define C_BURST 10.0
#define MAX_IN_SERVICE 40
#define SERVICE_MEDIAN_MS 800.0
#define SERVICE_SIGMA 0.5
#define REFUSAL_MS 30u           /* a 529 or 429 comes this long after the request */
#define OUTAGE_ANSWER_MS 50u     /* a 503 in the outage */
#define DEADLINE_MS 60000u
#define LOCAL_TARGET_MS 100u     /* a request refused on the device should end within this */
#define RECOVERED_PCT 95.0

#define MAX_DEVICES 1000
#define MAX_REQUESTS 40000
#define MAX_SEEDS 16
#define BIN_MS 100u              /* upstream attempts are counted in bins of this */
#define BINS_PER_S (1000u / BIN_MS)
#define MAX_BINS 8000u           /* 800 s of virtual time */
#define MAX_SECONDS (MAX_BINS / BINS_PER_S)
#define NONE 0xFFFFFFFFu         /* no request, no time */
#define CLOCK_EPOCH (0xFFFFFFFFu - 100000u) /* what a device's clock reads at the run's start */
#define DEVICE_CONNS (LLMRES_DISPATCH_SLOTS * LLMRES_MAX_CONNECTIONS)
#define IN_BYTES 2048            /* one request on a connection; llmres sends ~400 bytes */
#define OUT_BYTES 1024           /* one answer */
#define SAME_MS_WAKES 64         /* a device stepped this often in one ms is spinning */

typedef struct scenario {
    const char *name, *title;
    double load;                 /* arrivals per second, as a multiple of C */
    uint32_t devices;
    int refusal;                 /* 529, or 429 with retry-after */
    uint32_t warmup_ms, window_ms; /* requests arriving in [warmup, warmup + window) are measured */
    uint32_t outage_from_ms, outage_to_ms; /* every request gets a 503 in [from, to); equal: none */
} scenario_t;

static const scenario_t full_scenarios[] = {
    {"a", "2x capacity, 100 devices, 529 beyond capacity", 2.0, 100, 529, 120000, 300000, 0, 0},
    {"b", "outage from 60 s to 90 s at 0.8x capacity, 100 devices, measured from 0 s", 0.8, 100, 529, 0, 240000,
     60000, 90000},
    {"c", "1.5x capacity, 100 devices, 429 with retry-after beyond capacity", 1.5, 100, 429, 120000, 300000, 0, 0},
    {"d", "3x capacity, 1000 devices, 529 beyond capacity", 3.0, 1000, 529, 120000, 300000, 0, 0},
    {"e", "control: 0.5x capacity, 100 devices, no faults", 0.5, 100, 529, 120000, 300000, 0, 0},
};

/* --quick: the 100-device scenarios in tens of seconds, for the invariants only */
static const scenario_t quick_scenarios[] = {
    {"a", "2x capacity, 100 devices, 529 (quick)", 2.0, 100, 529, 5000, 20000, 0, 0},
    {"b", "outage from 10 s to 20 s at 0.8x, 100 devices (quick)", 0.8, 100, 529, 0, 30000, 10000, 20000},
    {"c", "1.5x capacity, 100 devices, 429 + retry-after (quick)", 1.5, 100, 429, 5000, 20000, 0, 0},
    {"e", "control: 0.5x capacity, 100 devices (quick)", 0.5, 100, 529, 5000, 20000, 0, 0},
};

static const double refusal_costs[2] = {0.0, 0.05};

enum { BACKOFF_NONE, BACKOFF_FIXED, BACKOFF_EXPONENTIAL, BACKOFF_FULL_JITTER, BACKOFF_OPENAI_SDK, BACKOFF_LLMRES };

typedef struct policy {
    const char *name;
    int backoff;                 /* BACKOFF_*: how a simple one waits; BACKOFF_LLMRES: llmres itself */
    uint32_t retries;
    const char *preset;          /* llmres: a llmres_config_preset on top of the defaults, or NULL */
} policy_t;

static const policy_t policies[] = {
    {"no retry", BACKOFF_NONE, 0, NULL},
    {"fixed 1 s, 5 retries", BACKOFF_FIXED, 5, NULL},
    {"exponential, 5 retries", BACKOFF_EXPONENTIAL, 5, NULL},
    {"full jitter, 5 retries", BACKOFF_FULL_JITTER, 5, NULL},
    {"OpenAI SDK, 2 retries", BACKOFF_OPENAI_SDK, 2, NULL},
    {"llmres defaults", BACKOFF_LLMRES, 0, NULL},
    {"llmres heavy_load", BACKOFF_LLMRES, 0, "heavy_load"},
    {"llmres light_load", BACKOFF_LLMRES, 0, "light_load"},
    {"llmres unstable_provider", BACKOFF_LLMRES, 0, "unstable_provider"},
};
#define POLICIES (sizeof(policies) / sizeof(policies[0]))

/* ---- random numbers: splitmix64, one stream per purpose -------------------------------- */
static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A stream for (seed, what it is for, which one): the same seed replays every run. */
static uint64_t stream(uint32_t seed, uint32_t purpose, uint32_t index) {
    uint64_t s = ((uint64_t)seed << 32) ^ ((uint64_t)purpose << 24) ^ index;
    return splitmix64(&s);
}

static double uniform01(uint64_t *s) { return (double)(splitmix64(s) >> 11) * (1.0 / 9007199254740992.0); }

static double standard_normal(uint64_t *s) { /* Box-Muller */
    double u1 = 1.0 - uniform01(s), u2 = uniform01(s);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---- the run's state ------------------------------------------------------------------ */
typedef struct request {         /* the arrival sequence of a seed: the same for every policy */
    uint32_t arrival;            /* ms since the run's start */
    uint32_t device;
    uint32_t next_on_device;     /* the device's next request, NONE after its last */
} request_t;

typedef struct outcome {         /* what became of a request under one policy */
    uint32_t end;                /* ms since the run's start */
    uint32_t received;           /* attempts the provider received for it */
    uint32_t reported;           /* attempts llmres said it made (result.attempts) */
    int error;                   /* llmres_err_t it ended with (simple policies: OK, PROVIDER, TIMEOUT) */
    uint8_t ends;                /* must end up 1 */
} outcome_t;

typedef struct answer {          /* the provider's decision on one request */
    int status;
    uint32_t ready_at;           /* its answer can be read from then on */
    uint32_t retry_after_s;      /* 429: the retry-after header */
    uint32_t service_ms;
} answer_t;

typedef struct provider {
    double level;                /* admission tokens; refusals may leave up to a burst owed (< 0) */
    uint32_t refilled_at;
    uint32_t done_at[MAX_IN_SERVICE]; /* when the requests in service finish */
    uint32_t in_service;
    uint64_t rng;
    uint32_t received, malformed;
    uint32_t bins[MAX_BINS];     /* requests received per BIN_MS */
} provider_t;

static struct {
    const scenario_t *sc;
    const policy_t *pol;
    double cost;                 /* tokens a refusal costs the provider */
    uint32_t first_seed;         /* the seed whose run of llmres's defaults samples health */
    uint32_t seed, now, requests, tail_ms, quick;
    provider_t provider;
    /* llmres misbehaving against the transport: findings, printed when not 0 */
    uint32_t pipelined, no_slot, spins;
} sim;

static request_t requests[MAX_REQUESTS];
static outcome_t outcomes[MAX_REQUESTS];

/* ---- the arrivals ----------------------------------------------------------------------- */
/* Poisson arrivals at load x C until the measured window ends (and tail_ms after, so the
   measured requests see the same load until their end), each at a random device. */
static void make_arrivals(const scenario_t *sc, uint32_t seed) {
    static uint32_t last_of[MAX_DEVICES];
    uint64_t rng = stream(seed, 'A', (uint32_t)(sc->name[0]));
    double t = 0.0, per_ms = sc->load * C_RPS / 1000.0;
    uint32_t stop = sc->warmup_ms + sc->window_ms + sim.tail_ms, d;
    for (d = 0; d < sc->devices; d++) last_of[d] = NONE;
    sim.requests = 0;
    for (;;) {
        request_t *r;
        t += -log(1.0 - uniform01(&rng)) / per_ms;
        if (t >= (double)stop) break;
        if (sim.requests == MAX_REQUESTS) {
            fprintf(stderr, "fleet: more than %u requests in scenario %s: raise MAX_REQUESTS\n", MAX_REQUESTS, sc->name);
            exit(2);
        }
        r = &requests[sim.requests];
        r->arrival = (uint32_t)t;
        r->device = (uint32_t)(uniform01(&rng) * (double)sc->devices);
        r->next_on_device = NONE;
        if (last_of[r->device] != NONE) requests[last_of[r->device]].next_on_device = sim.requests;
        last_of[r->device] = sim.requests++;
    }
}

static int measured(uint32_t id) {
    uint32_t a = requests[id].arrival;
    return a >= sim.sc->warmup_ms && a < sim.sc->warmup_ms + sim.sc->window_ms;
}

/* Every request ends exactly once; a second end means one result went to two owners. */
static void request_end(uint32_t id, int error, uint32_t reported) {
    outcome_t *o = &outcomes[id];
    if (o->ends++) {
        printf("FAIL fleet %s %s: request %u ended twice\n", sim.sc->name, sim.pol->name, (unsigned)id);
        fflush(stdout); /* the verdict first: make test counts it */
        fprintf(stderr, "fleet: request %u ended twice (scenario %s, %s, seed %u)\n", (unsigned)id, sim.sc->name,
                sim.pol->name, (unsigned)sim.seed);
        abort();
    }
    o->end = sim.now;
    o->error = error;
    o->reported = reported;
}

/* ---- the provider ----------------------------------------------------------------------- */
static void provider_init(uint32_t scenario_index) {
    memset(&sim.provider, 0, sizeof(sim.provider));
    sim.provider.level = C_BURST;
    sim.provider.rng = stream(sim.seed, 'P', scenario_index);
}

/* Counts a request that reached it: per request (o may be NULL: no id) and per bin. */
static void provider_count(uint32_t now, outcome_t *o) {
    if (now / BIN_MS >= MAX_BINS) {
        fprintf(stderr, "fleet: a run longer than %u s: raise MAX_BINS\n", MAX_BINS * BIN_MS / 1000u);
        exit(2);
    }
    sim.provider.received++;
    sim.provider.bins[now / BIN_MS]++;
    if (o) o->received++;
}

/* The bucket gains what the time since the last request brought; finished work leaves. */
static void provider_catch_up(provider_t *p, uint32_t now) {
    uint32_t i = 0;
    p->level += (double)(now - p->refilled_at) * C_RPS / 1000.0;
    if (p->level > C_BURST) p->level = C_BURST;
    p->refilled_at = now;
    while (i < p->in_service) {
        if (p->done_at[i] <= now) p->done_at[i] = p->done_at[--p->in_service];
        else i++;
    }
}

/* The decision on a request arriving now: the outage, else admission, else a refusal. */
static answer_t provider_decide(uint32_t now) {
    provider_t *p = &sim.provider;
    answer_t a = {0, 0, 0, 0};
    if (now >= sim.sc->outage_from_ms && now < sim.sc->outage_to_ms) {
        a.status = 503;
        a.ready_at = now + OUTAGE_ANSWER_MS;
        return a;
    }
    provider_catch_up(p, now);
    if (p->in_service < MAX_IN_SERVICE && p->level >= 1.0) {
        double ms = SERVICE_MEDIAN_MS * exp(SERVICE_SIGMA * standard_normal(&p->rng));
        p->level -= 1.0;
        a.service_ms = ms < 1.0 ? 1u : (uint32_t)ms;
        p->done_at[p->in_service++] = now + a.service_ms;
        a.status = 200;
        a.ready_at = now + a.service_ms;
        return a;
    }
    p->level = p->level - sim.cost < -C_BURST ? -C_BURST : p->level - sim.cost;
    a.status = sim.sc->refusal;
    a.ready_at = now + REFUSAL_MS;
    if (a.status == 429) { /* whole seconds until the bucket holds a token again */
        double wait_s = (1.0 - p->level) / C_RPS;
        a.retry_after_s = wait_s <= 1.0 ? 1u : (uint32_t)ceil(wait_s);
    }
    return a;
}

/* ---- the provider's HTTP/1.1: requests in, answers out ---------------------------------- */
typedef struct conn {            /* one TCP connection from a device to the provider */
    uint8_t open, answering;     /* answering: the request was whole; its answer is on its way */
    uint32_t ready_at;           /* the answer can be read from then on */
    size_t in_len, out_len, out_at;
    char in[IN_BYTES + 1];       /* NUL-terminated */
    char out[OUT_BYTES];
} conn_t;

static int lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch; }

/* The Content-Length of a request head (the header name in any case), or -1. */
static long content_length(const char *head, size_t head_len) {
    static const char name[] = "content-length:";
    size_t at = 0, k;
    while (at < head_len) {
        for (k = 0; name[k] && at + k < head_len && lower(head[at + k]) == name[k]; k++) {}
        if (!name[k]) return strtol(head + at + k, NULL, 10);
        while (at < head_len && head[at] != '\n') at++;
        at++;
    }
    return -1;
}

/* The length of the whole request in in[]: 0 while more is to come, -1 if unreadable. */
static long request_length(const conn_t *k) {
    const char *end = strstr(k->in, "\r\n\r\n");
    long head, body;
    if (!end) return k->in_len < IN_BYTES ? 0 : -1;
    head = (long)(end - k->in) + 4;
    body = content_length(k->in, (size_t)head);
    if (body < 0) return -1; /* a POST always says how long its body is */
    return (long)k->in_len >= head + body ? head + body : 0;
}

/* Which request this is: the prompt says "fleet request #<id>". NONE if not ours. */
static uint32_t request_id(const conn_t *k, uint32_t device) {
    static const char line[] = "POST /v1/chat/completions HTTP/1.1\r\n";
    const char *tag = strstr(k->in, "fleet request #");
    unsigned long id;
    if (strncmp(k->in, line, sizeof(line) - 1) != 0 || !tag) return NONE;
    id = strtoul(tag + 15, NULL, 10);
    return id < sim.requests && requests[id].device == device ? (uint32_t)id : NONE;
}

/* Writes the answer's bytes: status line, headers with Content-Length, a JSON body. */
static void http_answer(conn_t *k, const answer_t *a, uint32_t id) {
    char body[640], extra[160];
    const char *reason = "OK";
    int n;
    extra[0] = 0;
    if (a->status == 200) {
        snprintf(body, sizeof(body),
                 "{\"id\":\"chatcmpl-fleet%u\",\"object\":\"chat.completion\",\"created\":1767225600,"
                 "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                 "\"content\":\"Answer to request %u.\",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,"
                 "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":14,\"completion_tokens\":6,"
                 "\"total_tokens\":20},\"service_tier\":\"default\",\"system_fingerprint\":\"fp_fleet\"}",
                 (unsigned)id, (unsigned)id);
        snprintf(extra, sizeof(extra), "openai-processing-ms: %u\r\nx-request-id: req_fleet%u\r\n",
                 (unsigned)a->service_ms, (unsigned)id);
    } else if (a->status == 529) {
        reason = "";
        snprintf(body, sizeof(body), "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
    } else if (a->status == 429) {
        reason = "Too Many Requests";
        snprintf(body, sizeof(body), "{\"error\":{\"message\":\"Rate limit reached for requests. Please try again in %us.\","
                 "\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}", (unsigned)a->retry_after_s);
        snprintf(extra, sizeof(extra), "retry-after: %u\r\n", (unsigned)a->retry_after_s);
    } else if (a->status == 503) {
        reason = "Service Unavailable";
        snprintf(body, sizeof(body), "{\"error\":{\"message\":\"Service Unavailable\",\"type\":\"server_error\","
                 "\"param\":null,\"code\":null}}");
    } else {
        reason = "Bad Request";
        snprintf(body, sizeof(body), "{\"error\":{\"message\":\"not a fleet request\",\"type\":\"invalid_request_error\","
                 "\"param\":null,\"code\":null}}");
    }
    n = snprintf(k->out, sizeof(k->out), "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %u\r\n%s\r\n%s",
                 a->status, reason, (unsigned)strlen(body), extra, body);
    if (n < 0 || (size_t)n >= sizeof(k->out)) { fprintf(stderr, "fleet: an answer over %u bytes\n", OUT_BYTES); abort(); }
    k->out_len = (size_t)n;
    k->out_at = 0;
}

/* A whole request came in on k: count it, decide, and put its answer on the way. */
static void provider_serve(conn_t *k, uint32_t device, long length) {
    uint32_t id = length == (long)k->in_len ? request_id(k, device) : NONE;
    answer_t a = {400, 0, 0, 0};
    provider_count(sim.now, id != NONE ? &outcomes[id] : NULL);
    if (id == NONE) { /* not ours, or two requests at once: answered, and counted as a finding */
        sim.provider.malformed++;
        a.ready_at = sim.now + 1u;
    } else {
        a = provider_decide(sim.now);
    }
    http_answer(k, &a, id);
    k->answering = 1;
    k->ready_at = a.ready_at;
}

/* ---- the devices: a port over the shared clock and the provider --------------------------- */
typedef struct device {
    llmres_port_t port;
    uint32_t index, next_request, same_ms, stepped_at;
    uint64_t entropy;
    llmres_client_t client;
    llmres_stats_t stats;        /* the library's own view: health over time */
    llmres_dispatch_t dispatch;
    llmres_worker_t worker[LLMRES_DISPATCH_SLOTS];
    conn_t conn[DEVICE_CONNS];
} device_t;

static device_t devices[MAX_DEVICES];
static llmres_job_t jobs[MAX_REQUESTS];
static char prompts[MAX_REQUESTS][32], texts[MAX_REQUESTS][48];

static uint32_t port_now(void *ctx) {
    (void)ctx;
    return CLOCK_EPOCH + sim.now;
}

static void port_sleep(void *ctx, uint32_t ms) {
    fprintf(stderr, "fleet: device %u asked to sleep %u ms: stepped code must never sleep\n",
            (unsigned)((device_t *)ctx)->index, (unsigned)ms);
    abort();
}

static int port_entropy(void *ctx, void *buf, size_t len) {
    device_t *d = (device_t *)ctx;
    uint8_t *p = (uint8_t *)buf;
    while (len--) *p++ = (uint8_t)splitmix64(&d->entropy);
    return 0;
}

static int tcp_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    device_t *d = (device_t *)ctx;
    int i;
    (void)host; (void)port; (void)timeout_ms;
    for (i = 0; i < DEVICE_CONNS; i++)
        if (!d->conn[i].open) {
            memset(&d->conn[i], 0, offsetof(conn_t, in));
            d->conn[i].open = 1;
            d->conn[i].in[0] = 0;
            return i; /* at once: the benchmark is about the provider, not the link */
        }
    sim.no_slot++;
    return LLMRES_ERR_NO_SLOT;
}

static conn_t *tcp_conn(device_t *d, int id) {
    return id >= 0 && id < DEVICE_CONNS && d->conn[id].open ? &d->conn[id] : NULL;
}

static int tcp_send(void *ctx, int id, const void *buf, size_t len, uint32_t timeout_ms) {
    device_t *d = (device_t *)ctx;
    conn_t *k = tcp_conn(d, id);
    long whole;
    (void)timeout_ms;
    if (!k) return LLMRES_ERR_INVALID;
    if (k->answering) { sim.pipelined++; return LLMRES_ERR_IO; } /* a request before the last answer was read */
    if (len > IN_BYTES - k->in_len) return LLMRES_ERR_IO;
    memcpy(k->in + k->in_len, buf, len);
    k->in_len += len;
    k->in[k->in_len] = 0;
    whole = request_length(k);
    if (whole != 0) provider_serve(k, d->index, whole);
    return (int)len;
}

/* Stepped calls poll (timeout 0); a wait asked for here would block the whole fleet. */
static int tcp_recv(void *ctx, int id, void *buf, size_t len, uint32_t timeout_ms) {
    device_t *d = (device_t *)ctx;
    conn_t *k = tcp_conn(d, id);
    size_t n;
    if (!k) return LLMRES_ERR_INVALID;
    if (!k->answering || k->ready_at > sim.now) {
        if (timeout_ms == 0) return 0;
        fprintf(stderr, "fleet: device %u would wait %u ms in recv: a stepped call must not block\n",
                (unsigned)d->index, (unsigned)timeout_ms);
        abort();
    }
    n = k->out_len - k->out_at < len ? k->out_len - k->out_at : len;
    memcpy(buf, k->out + k->out_at, n);
    k->out_at += n;
    if (k->out_at == k->out_len) { /* read whole: the connection takes the next request */
        k->answering = 0;
        k->in_len = 0;
        k->in[0] = 0;
    }
    return (int)n;
}

static void tcp_close(void *ctx, int id) {
    conn_t *k = tcp_conn((device_t *)ctx, id);
    if (k) k->open = 0; /* an answer on its way is dropped; the provider still does the work */
}

/* The earliest time an answer this device waits for becomes readable, or NONE. */
static uint32_t device_next_answer(const device_t *d) {
    uint32_t i, at = NONE;
    for (i = 0; i < DEVICE_CONNS; i++)
        if (d->conn[i].open && d->conn[i].answering && d->conn[i].ready_at > sim.now && d->conn[i].ready_at < at)
            at = d->conn[i].ready_at;
    return at;
}

static void job_done(llmres_job_t *job, void *user) {
    (void)user;
    request_end((uint32_t)(job - jobs), job->result.error, job->result.attempts);
}

/* A device as it ships: the defaults, or a preset on top; one provider, no TLS. */
static void device_init(device_t *d, uint32_t index) {
    static const llmres_provider_t cloud[1] = {
        {LLMRES_PROVIDER_OPENAI, "llm.example", 80, 0, NULL, "sk-fleet-device", "gpt-4o-mini", NULL}};
    llmres_worker_t *w[LLMRES_DISPATCH_SLOTS];
    llmres_config_t cfg;
    uint32_t i;
    memset(&d->port, 0, sizeof(d->port));
    d->index = index;
    d->same_ms = 0;
    d->stepped_at = NONE;
    d->entropy = stream(sim.seed, 'D', index);
    d->port.ctx = d;
    d->port.now_ms = port_now;
    d->port.sleep_ms = port_sleep;
    d->port.entropy = port_entropy;
    d->port.tcp.ctx = d;
    d->port.tcp.open = tcp_open;
    d->port.tcp.send = tcp_send;
    d->port.tcp.recv = tcp_recv;
    d->port.tcp.close = tcp_close;
    for (i = 0; i < DEVICE_CONNS; i++) d->conn[i].open = 0;
    llmres_config_defaults(&cfg);
    if ((sim.pol->preset && llmres_config_preset(&cfg, sim.pol->preset, NULL, 0) != LLMRES_OK) ||
        llmres_client_init(&d->client, &d->port, NULL, &cfg, cloud, 1) != LLMRES_OK ||
        llmres_client_stats(&d->client, &d->stats) != LLMRES_OK) {
        fprintf(stderr, "fleet: device %u: the client would not start\n", (unsigned)index);
        exit(2);
    }
    for (i = 0; i < LLMRES_DISPATCH_SLOTS; i++) {
        w[i] = &d->worker[i];
        if (llmres_worker_init(w[i], &d->client, NULL) != LLMRES_OK) exit(2);
    }
    if (llmres_dispatch_init(&d->dispatch, &d->client, w, LLMRES_DISPATCH_SLOTS) != LLMRES_OK) exit(2);
}

/* A request arrives at its device: a job for the dispatcher; one it refuses ends here. */
static void device_submit(device_t *d, uint32_t id) {
    llmres_job_t *job = &jobs[id];
    llmres_err_t rc;
    memset(job, 0, sizeof(*job));
    snprintf(prompts[id], sizeof(prompts[id]), "fleet request #%u", (unsigned)id);
    llmres_call_init(&job->call, prompts[id], texts[id], sizeof(texts[id]));
    job->call.timeout_ms = DEADLINE_MS; /* from submission, which is the arrival */
    job->on_done = job_done;
    rc = llmres_dispatch_submit(&d->dispatch, job);
    if (rc != LLMRES_OK) request_end(id, rc, 0);
}

/* ---- the event loop: a binary min-heap of (time, id) --------------------------------------- */
typedef struct heap {
    uint64_t key[MAX_REQUESTS];  /* time << 32 | id: equal times go by id, so runs replay */
    uint32_t count;
} heap_t;

static heap_t heap;

static void heap_push(heap_t *h, uint32_t at, uint32_t id) {
    uint64_t key = (uint64_t)at << 32 | id;
    uint32_t i = h->count++;
    while (i > 0 && h->key[(i - 1) / 2] > key) {
        h->key[i] = h->key[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->key[i] = key;
}

static int heap_pop(heap_t *h, uint32_t *at, uint32_t *id) {
    uint64_t last;
    uint32_t i = 0, child;
    if (!h->count) return 0;
    *at = (uint32_t)(h->key[0] >> 32);
    *id = (uint32_t)h->key[0];
    last = h->key[--h->count];
    while ((child = 2 * i + 1) < h->count) {
        if (child + 1 < h->count && h->key[child + 1] < h->key[child]) child++;
        if (h->key[child] >= last) break;
        h->key[i] = h->key[child];
        i = child;
    }
    h->key[i] = last;
    return 1;
}

/* One wake-up of a device: its arrivals are submitted, its dispatcher stepped once; it
   sleeps until the dispatcher's wait, its next arrival or its next answer. */
static void device_wake(device_t *d) {
    uint32_t wait = LLMRES_NEVER, next = NONE, answer;
    int pending;
    while (d->next_request != NONE && requests[d->next_request].arrival <= sim.now) {
        device_submit(d, d->next_request);
        d->next_request = requests[d->next_request].next_on_device;
    }
    pending = llmres_dispatch_step(&d->dispatch, &wait);
    if (pending > 0 && wait != LLMRES_NEVER) next = sim.now + wait;
    if (d->next_request != NONE && requests[d->next_request].arrival < next) next = requests[d->next_request].arrival;
    answer = device_next_answer(d);
    if (answer < next) next = answer;
    if (next == NONE) return; /* idle, with nothing more to come */
    d->same_ms = d->stepped_at == sim.now ? d->same_ms + 1u : 0u;
    d->stepped_at = sim.now;
    if (next == sim.now && d->same_ms >= SAME_MS_WAKES) { /* a dispatcher that keeps asking for 0 ms */
        sim.spins++;
        next++;
    }
    heap_push(&heap, next, d->index);
}

/* Reports the requests that never ended, then stops: a lost result is a bug. */
static void missing_ends(void) {
    uint32_t id, missing = 0;
    for (id = 0; id < sim.requests; id++) {
        if (outcomes[id].ends) continue;
        if (missing++ < 5)
            fprintf(stderr, "fleet: request %u (device %u, arrived at %u ms, %u attempts) never ended%s\n", (unsigned)id,
                    (unsigned)requests[id].device, (unsigned)requests[id].arrival, (unsigned)outcomes[id].received,
                    sim.pol->backoff == BACKOFF_LLMRES && jobs[id].state == LLMRES_JOB_QUEUED ? ": still queued" : "");
    }
    if (!missing) return;
    printf("FAIL fleet %s %s: %u requests never ended\n", sim.sc->name, sim.pol->name, (unsigned)missing);
    fflush(stdout);
    fprintf(stderr, "fleet: %u requests never ended (scenario %s, %s, seed %u)\n", (unsigned)missing, sim.sc->name,
            sim.pol->name, (unsigned)sim.seed);
    abort();
}

/* What each device's client says of the provider, every HEALTH_EVERY_MS of the first
   seed's run of llmres's defaults: devices healthy, degraded and critical. */
#define HEALTH_EVERY_MS 30000u
#define HEALTH_SAMPLES 24
static uint32_t health_seen[HEALTH_SAMPLES][3], health_samples;

static void sample_health(void) {
    uint32_t d, v[3] = {0, 0, 0};
    int h;
    if (health_samples >= HEALTH_SAMPLES) return;
    for (d = 0; d < sim.sc->devices; d++)
        if ((h = llmres_health(&devices[d].client, -1, NULL)) >= 0 && h <= LLMRES_CRITICAL) v[h]++;
    memcpy(health_seen[health_samples++], v, sizeof(v));
}

static void run_llmres(void) {
    uint32_t d, at, id, stop = 0, next_sample = HEALTH_EVERY_MS;
    int sampling = !strcmp(sim.pol->name, "llmres defaults") && sim.seed == sim.first_seed;
    if (sampling) health_samples = 0;
    heap.count = 0;
    for (d = 0; d < sim.sc->devices; d++) devices[d].next_request = NONE;
    for (id = sim.requests; id-- > 0;) { /* each device's first request */
        devices[requests[id].device].next_request = id;
        if (requests[id].arrival > stop) stop = requests[id].arrival;
    }
    stop += 2u * DEADLINE_MS; /* every call ends by its deadline: far past it, something hangs */
    for (d = 0; d < sim.sc->devices; d++) {
        device_init(&devices[d], d);
        if (devices[d].next_request != NONE) heap_push(&heap, requests[devices[d].next_request].arrival, d);
    }
    while (heap_pop(&heap, &at, &id) && at <= stop) {
        for (; sampling && at >= next_sample; next_sample += HEALTH_EVERY_MS) {
            sim.now = next_sample;
            sample_health();
        }
        sim.now = at;
        device_wake(&devices[id]);
    }
    for (d = 0; d < sim.sc->devices; d++)
        for (id = 0; id < LLMRES_DISPATCH_SLOTS; id++) llmres_worker_close(&devices[d].worker[id]);
}

/* ---- the simple policies: independent requests, no llmres code ------------------------------ */
typedef struct simple {
    uint32_t retries, answer_at, retry_after_s;
    int status;
    uint8_t waiting;             /* an attempt is out: the next wake-up reads its answer */
} simple_t;

static simple_t simple[MAX_REQUESTS];

/* The wait before retry n (0: the first), in ms, as the policy's row says. */
static uint32_t simple_delay(const policy_t *pol, uint32_t n, uint32_t retry_after_s, uint64_t *rng) {
    double step = 500.0 * pow(2.0, (double)n);
    if (step > 8000.0) step = 8000.0;
    switch (pol->backoff) {
    case BACKOFF_FIXED: return 1000u;
    case BACKOFF_EXPONENTIAL: return (uint32_t)step;
    case BACKOFF_FULL_JITTER: return (uint32_t)(uniform01(rng) * (step + 1.0));
    case BACKOFF_OPENAI_SDK: /* openai-python: retry-after if it is short, else its own backoff */
        if (retry_after_s > 0 && retry_after_s <= 120) return retry_after_s * 1000u;
        return (uint32_t)(step * (1.0 - 0.25 * uniform01(rng)));
    default: return 0;
    }
}

static int simple_retryable(int status) { return status == 429 || status >= 500; }

/* One wake-up of a simple request: send an attempt, or read its answer and decide. */
static void simple_wake(const policy_t *pol, uint32_t id, uint64_t *rng) {
    simple_t *s = &simple[id];
    uint32_t deadline = requests[id].arrival + DEADLINE_MS, delay;
    if (!s->waiting) {
        answer_t a;
        provider_count(sim.now, &outcomes[id]);
        a = provider_decide(sim.now);
        s->status = a.status;
        s->answer_at = a.ready_at;
        s->retry_after_s = a.retry_after_s;
        s->waiting = 1;
        heap_push(&heap, a.ready_at < deadline ? a.ready_at : deadline, id);
        return;
    }
    s->waiting = 0;
    if (s->answer_at > sim.now) { request_end(id, LLMRES_ERR_TIMEOUT, 0); return; } /* the deadline came first */
    if (s->status == 200) { request_end(id, LLMRES_OK, 0); return; }
    if (s->retries >= pol->retries || !simple_retryable(s->status)) { request_end(id, LLMRES_ERR_PROVIDER, 0); return; }
    delay = simple_delay(pol, s->retries++, s->retry_after_s, rng);
    if (sim.now + delay >= deadline) { request_end(id, LLMRES_ERR_TIMEOUT, 0); return; } /* no time for another */
    heap_push(&heap, sim.now + delay, id);
}

static void run_simple(uint32_t policy_index) {
    uint64_t rng = stream(sim.seed, 'S', policy_index);
    uint32_t id, at;
    heap.count = 0;
    memset(simple, 0, sizeof(simple[0]) * sim.requests);
    for (id = 0; id < sim.requests; id++) heap_push(&heap, requests[id].arrival, id);
    while (heap_pop(&heap, &at, &id)) {
        sim.now = at;
        simple_wake(sim.pol, id, &rng);
    }
}

/* ---- metrics ------------------------------------------------------------------------------ */
enum { /* how a measured llmres request ended */
    END_ANSWERED, END_REFUSED, END_DISPLACED, END_EXPIRED, END_OPEN, END_TIMEOUT, END_GAVE_UP, END_OPEN_LATE,
    END_OTHER, ENDS
};
static const char *const end_names[ENDS] = {
    "answered", "queue full at submit", "displaced", "deadline, never sent", "breaker open, never sent",
    "deadline after sending", "provider error, gave up", "breaker open after sending", "other"};

typedef struct metrics {
    /* the measured requests: those arriving in the window */
    double goodput, per_success, success_pct, local_pct, local_p50_ms, local_max_ms, p50_s, p99_s;
    double peak1, peak5, recovery_s; /* scenario b: after the outage */
    double ends[ENDS];           /* % of the measured requests, by how they ended */
    double breaker_opens;        /* llmres: breaker trips per device in the whole run */
    /* the whole run, every request: the invariants */
    uint32_t requests, received, successes, unsent_successes, reported, mismatched, latest_end_ms, findings;
} metrics_t;

static int end_kind(const outcome_t *o) {
    if (o->error == LLMRES_OK) return END_ANSWERED;
    switch (o->error) {
    case LLMRES_ERR_FULL: return END_REFUSED;
    case LLMRES_ERR_DISPLACED: return END_DISPLACED;
    case LLMRES_ERR_TIMEOUT: return o->received ? END_TIMEOUT : END_EXPIRED;
    case LLMRES_ERR_OPEN: return o->received ? END_OPEN_LATE : END_OPEN;
    case LLMRES_ERR_PROVIDER: return END_GAVE_UP;
    default: return END_OTHER;
    }
}

static int by_value(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank, in the unit of the values (NaN for none). */
static double percentile(const uint32_t *sorted, uint32_t n, double p) {
    uint32_t rank = (uint32_t)ceil(p * (double)n);
    return n ? (double)sorted[rank ? rank - 1 : 0] : NAN;
}

/* The highest upstream rate, in C, over windows of `bins` bins that start at or after `from_ms`. */
static double peak_rate(uint32_t from_ms, uint32_t bins) {
    uint32_t first = from_ms / BIN_MS, last = sim.now / BIN_MS + 1u, b, sum = 0, best = 0;
    if (last > MAX_BINS) last = MAX_BINS;
    for (b = first; b < last; b++) {
        sum += sim.provider.bins[b];
        if (b >= first + bins) sum -= sim.provider.bins[b - bins];
        if (b + 1 >= first + bins && sum > best) best = sum;
    }
    return (double)best / ((double)(bins * BIN_MS) / 1000.0) / C_RPS;
}

/* Seconds from the outage's end until arrivals succeed again: the smallest whole second T
   after it such that, for every t from T on (t + 5 s inside the window), at least 95 % of
   the requests arriving in [t, t + 5 s) succeeded. INFINITY: never in the window. */
static double recovery_s(void) {
    static uint32_t ok[600], all[600];
    uint32_t secs = (sim.sc->warmup_ms + sim.sc->window_ms) / 1000u, from = sim.sc->outage_to_ms / 1000u, t, id;
    double recovered = INFINITY;
    if (secs > 600 || secs < from + 5) return NAN;
    memset(ok, 0, sizeof(ok));
    memset(all, 0, sizeof(all));
    for (id = 0; id < sim.requests; id++) {
        if (requests[id].arrival / 1000u >= secs) continue;
        all[requests[id].arrival / 1000u]++;
        ok[requests[id].arrival / 1000u] += outcomes[id].error == LLMRES_OK;
    }
    for (t = secs - 5; t + 1 > from; t--) { /* backwards: the last failing window ends the search */
        uint32_t k, n = 0, good = 0;
        for (k = t; k < t + 5; k++) { n += all[k]; good += ok[k]; }
        if (n && 100.0 * good < RECOVERED_PCT * n) break;
        recovered = (double)(t - from);
    }
    return recovered;
}

/* The invariants and the end counts, over every request of the run. */
static void measure_run(metrics_t *m) {
    uint32_t id;
    memset(m, 0, sizeof(*m));
    m->requests = sim.requests;
    m->received = sim.provider.received;
    for (id = 0; id < sim.requests; id++) {
        const outcome_t *o = &outcomes[id];
        m->successes += o->error == LLMRES_OK;
        m->unsent_successes += o->error == LLMRES_OK && !o->received; /* an answer nobody asked for */
        m->reported += o->reported;
        m->mismatched += sim.pol->backoff == BACKOFF_LLMRES && o->reported != o->received;
        if (o->end - requests[id].arrival > m->latest_end_ms) m->latest_end_ms = o->end - requests[id].arrival;
    }
    m->findings = sim.provider.malformed + sim.pipelined + sim.no_slot + sim.spins;
    if (sim.pol->backoff == BACKOFF_LLMRES) {
        uint32_t d, opens = 0;
        for (d = 0; d < sim.sc->devices; d++) opens += devices[d].client.breaker[0].transitions[LLMRES_BREAKER_OPEN];
        m->breaker_opens = (double)opens / (double)sim.sc->devices;
    }
}

/* The measured requests' figures. */
static void measure_window(metrics_t *m) {
    static uint32_t took[MAX_REQUESTS], local[MAX_REQUESTS];
    uint32_t id, n = 0, ok = 0, locals = 0, attempts = 0, k;
    for (id = 0; id < sim.requests; id++) {
        const outcome_t *o = &outcomes[id];
        uint32_t ms = o->end - requests[id].arrival;
        if (!measured(id)) continue;
        n++;
        attempts += o->received;
        m->ends[end_kind(o)] += 1.0;
        if (o->error == LLMRES_OK) took[ok++] = ms;
        else if (!o->received) local[locals++] = ms; /* ended without reaching the provider */
    }
    qsort(local, locals, sizeof(local[0]), by_value);
    m->local_p50_ms = percentile(local, locals, 0.50);
    m->local_max_ms = locals ? (double)local[locals - 1] : NAN;
    qsort(took, ok, sizeof(took[0]), by_value);
    m->goodput = (double)ok / ((double)sim.sc->window_ms / 1000.0) / C_RPS;
    m->per_success = ok ? (double)attempts / (double)ok : INFINITY;
    m->success_pct = n ? 100.0 * ok / n : NAN;
    m->local_pct = n ? 100.0 * locals / n : NAN;
    m->p50_s = percentile(took, ok, 0.50) / 1000.0;
    m->p99_s = percentile(took, ok, 0.99) / 1000.0;
    for (k = 0; k < ENDS; k++) m->ends[k] = n ? 100.0 * m->ends[k] / n : NAN;
    m->peak1 = m->peak5 = m->recovery_s = NAN;
    if (sim.sc->outage_to_ms > sim.sc->outage_from_ms) {
        m->peak1 = peak_rate(sim.sc->outage_to_ms, 1000u / BIN_MS);
        m->peak5 = peak_rate(sim.sc->outage_to_ms, 5000u / BIN_MS);
        m->recovery_s = recovery_s();
    }
}

/* One policy over the seed's arrivals. */
static void run_policy(uint32_t scenario_index, uint32_t policy_index, metrics_t *m) {
    uint32_t id;
    sim.pol = &policies[policy_index];
    sim.now = 0;
    sim.pipelined = sim.no_slot = sim.spins = 0;
    memset(outcomes, 0, sizeof(outcomes[0]) * sim.requests);
    provider_init(scenario_index);
    if (sim.pol->backoff == BACKOFF_LLMRES) run_llmres();
    else run_simple(policy_index);
    missing_ends();
    for (id = 0; id < sim.requests; id++) /* the run lasts until its last end */
        if (outcomes[id].end > sim.now) sim.now = outcomes[id].end;
    measure_run(m);
    measure_window(m);
}

/* ---- output --------------------------------------------------------------------------------- */
typedef struct column {
    const char *title;
    size_t offset;               /* of a double in metrics_t */
    int worse_high;              /* 1: the worst seed has the highest value */
    int decimals;
    int outage_only;
    const char *infinite;        /* how INFINITY reads */
} column_t;

static const column_t columns[] = {
    {"goodput x C", offsetof(metrics_t, goodput), 0, 2, 0, "inf"},
    {"attempts/success", offsetof(metrics_t, per_success), 1, 2, 0, "inf"},
    {"success %", offsetof(metrics_t, success_pct), 0, 1, 0, "inf"},
    {"local rej %", offsetof(metrics_t, local_pct), 1, 1, 0, "inf"},
    {"local rej p50 ms", offsetof(metrics_t, local_p50_ms), 1, 0, 0, "inf"},
    {"local rej max ms", offsetof(metrics_t, local_max_ms), 1, 0, 0, "inf"},
    {"p50 s", offsetof(metrics_t, p50_s), 1, 2, 0, "inf"},
    {"p99 s", offsetof(metrics_t, p99_s), 1, 2, 0, "inf"},
    {"peak 1 s x C", offsetof(metrics_t, peak1), 1, 2, 1, "inf"},
    {"peak 5 s x C", offsetof(metrics_t, peak5), 1, 2, 1, "inf"},
    {"recovery s", offsetof(metrics_t, recovery_s), 1, 0, 1, "never"},
};
#define COLUMNS (sizeof(columns) / sizeof(columns[0]))

static double field(const metrics_t *m, size_t offset) { return *(const double *)(const void *)((const char *)m + offset); }

static void format_value(char *buf, size_t cap, double v, int decimals, const char *infinite) {
    if (isnan(v)) snprintf(buf, cap, "-");
    else if (isinf(v)) snprintf(buf, cap, "%s", infinite);
    else snprintf(buf, cap, "%.*f", decimals, v);
}

/* "mean (worst)" over the seeds; seeds without a value (NaN) are left out. */
static void format_cell(char *buf, size_t cap, const metrics_t *m, uint32_t seeds, const column_t *c) {
    char mean_s[24], worst_s[24];
    double sum = 0.0, worst = NAN;
    uint32_t i, n = 0;
    for (i = 0; i < seeds; i++) {
        double v = field(&m[i], c->offset);
        if (isnan(v)) continue;
        sum += v;
        n++;
        if (isnan(worst) || (c->worse_high ? v > worst : v < worst)) worst = v;
    }
    format_value(mean_s, sizeof(mean_s), n ? sum / n : NAN, c->decimals, c->infinite);
    format_value(worst_s, sizeof(worst_s), worst, c->decimals, c->infinite);
    if (seeds > 1 && n) snprintf(buf, cap, "%s (%s)", mean_s, worst_s);
    else snprintf(buf, cap, "%s", mean_s);
}

static void print_legend(void) {
    printf("How to read the tables. Rows are policies over the same arrivals; each cell is the mean over\n"
           "the seeds and, in parentheses, the worst seed. C = 20 requests/s, the provider's capacity.\n"
           "Measured requests are those arriving in the window; arrivals go on, unmeasured, for 60 s\n"
           "after it, so that the measured requests meet the same load until they end. goodput:\n"
           "measured successes per second of the window, in C. attempts/success: requests the provider\n"
           "received for the measured requests (its own count, retries included) per success. local\n"
           "rej: measured requests that ended without ever reaching the provider (%% of them), and the\n"
           "median and longest time from arrival to their end; the target is within %u ms. p50/p99:\n"
           "arrival to end of the successes.\n"
           "Scenario b also: peak 1 s / 5 s: the highest upstream rate after the outage (from 90 s) over\n"
           "any 1 s / 5 s window, in C; recovery: seconds after 90 s until, from then on, every 5 s window\n"
           "of arrivals (sliding by 1 s, inside the measured window) has at least %.0f %% successes\n"
           "('never': not in the window).\n"
           "Simple policies: no llmres, every request on its own (the device count does not matter to\n"
           "them); they retry 429, 5xx and connection errors without reading retry-after, except the\n"
           "OpenAI SDK's (up to 120 s). llmres: a client, a dispatcher and %d workers per device.\n"
           "Invariants: attempts >= successes also means no request succeeded without reaching the\n"
           "provider; requests off: llmres requests whose result.attempts differs from what the provider\n"
           "received for them; latest end: the longest any request took from arrival to end (the\n"
           "deadline is %u ms); findings: requests the provider could not read or got before the last\n"
           "answer was read, connections refused for want of a slot, dispatchers asking for 0 ms %d\n"
           "times in one millisecond (0 when llmres keeps to the transport contract).\n\n",
           LOCAL_TARGET_MS, RECOVERED_PCT, LLMRES_DISPATCH_SLOTS, DEADLINE_MS, SAME_MS_WAKES);
}

static void print_table(const scenario_t *sc, double cost, metrics_t m[][MAX_SEEDS], uint32_t seeds) {
    char cell[64];
    uint32_t p, c;
    printf("(%s) %s; a refusal costs the provider %.2f tokens\n\n| %-24s |", sc->name, sc->title, cost, "policy");
    for (c = 0; c < COLUMNS; c++)
        if (!columns[c].outage_only || sc->outage_to_ms) printf(" %-16s |", columns[c].title);
    printf("\n|---|");
    for (c = 0; c < COLUMNS; c++)
        if (!columns[c].outage_only || sc->outage_to_ms) printf("---:|");
    printf("\n");
    for (p = 0; p < POLICIES; p++) {
        printf("| %-24s |", policies[p].name);
        for (c = 0; c < COLUMNS; c++) {
            if (columns[c].outage_only && !sc->outage_to_ms) continue;
            format_cell(cell, sizeof(cell), m[p], seeds, &columns[c]);
            printf(" %16s |", cell);
        }
        printf("\n");
    }
    printf("\n");
}

/* Sums over the seeds: what the provider received, the successes, what llmres reported. */
static void print_invariants(metrics_t m[][MAX_SEEDS], uint32_t seeds) {
    uint32_t p, i;
    printf("Invariants, every request of the run, summed over the seeds:\n\n"
           "| %-24s | requests | upstream attempts | successes | attempts >= successes | llmres reported "
           "| reported = received | requests off | ended once | latest end ms | findings |\n"
           "|---|---:|---:|---:|---|---:|---|---:|---|---:|---:|\n", "policy");
    for (p = 0; p < POLICIES; p++) {
        uint64_t req = 0, rec = 0, ok = 0, unsent = 0, rep = 0, off = 0, fnd = 0;
        uint32_t latest = 0;
        int llmres = policies[p].backoff == BACKOFF_LLMRES;
        for (i = 0; i < seeds; i++) {
            req += m[p][i].requests; rec += m[p][i].received; ok += m[p][i].successes;
            unsent += m[p][i].unsent_successes;
            rep += m[p][i].reported; off += m[p][i].mismatched; fnd += m[p][i].findings;
            if (m[p][i].latest_end_ms > latest) latest = m[p][i].latest_end_ms;
        }
        printf("| %-24s | %8llu | %17llu | %9llu | %-21s |", policies[p].name, (unsigned long long)req,
               (unsigned long long)rec, (unsigned long long)ok, rec >= ok && !unsent ? "yes" : "NO");
        if (llmres) printf(" %15llu | %-19s | %12llu |", (unsigned long long)rep, rep == rec && !off ? "yes" : "NO", (unsigned long long)off);
        else printf(" %15s | %-19s | %12s |", "-", "-", "-");
        printf(" yes        | %13u | %8llu |\n", (unsigned)latest, (unsigned long long)fnd);
    }
    printf("\n");
}

static void print_ends(metrics_t m[][MAX_SEEDS], uint32_t seeds) {
    uint32_t p, k, i;
    printf("How the measured llmres requests ended, %% of them (mean over the seeds), and breaker trips:\n\n| %-24s |", "policy");
    for (k = 0; k < ENDS; k++) printf(" %s |", end_names[k]);
    printf(" breaker opens per device |\n|---|");
    for (k = 0; k <= ENDS; k++) printf("---:|");
    printf("\n");
    for (p = 0; p < POLICIES; p++) {
        double opens = 0.0;
        if (policies[p].backoff != BACKOFF_LLMRES) continue;
        printf("| %-24s |", policies[p].name);
        for (k = 0; k < ENDS; k++) {
            double sum = 0.0;
            for (i = 0; i < seeds; i++) sum += m[p][i].ends[k];
            printf(" %*.1f |", (int)strlen(end_names[k]), sum / seeds);
        }
        for (i = 0; i < seeds; i++) opens += m[p][i].breaker_opens;
        printf(" %24.1f |\n", opens / seeds);
    }
    printf("\n");
}

/* Upstream attempts per second, per policy, for the first seed: gnuplot's input. */
static void write_series(const char *dir, const scenario_t *sc, double cost, uint32_t series[][MAX_SECONDS],
                         uint32_t secs) {
    char path[512];
    FILE *f;
    uint32_t p, t;
    snprintf(path, sizeof(path), "%s/fleet-%s-cost%g.dat", dir, sc->name, cost);
    if (!(f = fopen(path, "w"))) { fprintf(stderr, "fleet: cannot write %s\n", path); return; }
    fprintf(f, "# scenario %s, refusal cost %g: upstream attempts per second, seed %u\n\"t s\"", sc->name, cost,
            (unsigned)sim.seed);
    for (p = 0; p < POLICIES; p++) fprintf(f, " \"%s\"", policies[p].name);
    fprintf(f, "\n");
    for (t = 0; t < secs; t++) {
        fprintf(f, "%u", (unsigned)t);
        for (p = 0; p < POLICIES; p++) fprintf(f, " %u", (unsigned)series[p][t]);
        fprintf(f, "\n");
    }
    fclose(f);
}

/* ---- main ----------------------------------------------------------------------------------- */
typedef struct options {
    uint32_t seeds[MAX_SEEDS], seed_count;
    const char *only, *out;
} options_t;

static void parse_seeds(options_t *o, const char *text) {
    char *end;
    while (*text) {
        unsigned long v = strtoul(text, &end, 10);
        if (end == text) { text++; continue; }
        if (o->seed_count < MAX_SEEDS) o->seeds[o->seed_count++] = (uint32_t)v;
        text = end;
    }
}

static void parse_options(options_t *o, int argc, char **argv) {
    const char *env = getenv("SEEDS");
    int i;
    memset(o, 0, sizeof(*o));
    o->out = "build/fleet";
    sim.quick = getenv("FLEET_QUICK") && getenv("FLEET_QUICK")[0] == '1';
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) sim.quick = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) o->only = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) o->out = argv[++i];
        else if (argv[i][0] >= '0' && argv[i][0] <= '9') parse_seeds(o, argv[i]);
        else { fprintf(stderr, "usage: fleet [--quick] [--only SCENARIOS] [--out DIR] [SEED...]\n"); exit(2); }
    }
    if (!o->seed_count) parse_seeds(o, env && *env ? env : "1 2 3");
    if (!o->seed_count) o->seeds[o->seed_count++] = 1;
    if (sim.quick) o->seed_count = 1;
}

/* Quick mode's verdicts: one line per scenario, policy and invariant, both costs together. */
static int check_invariants(const scenario_t *sc, metrics_t m[2][POLICIES]) {
    uint32_t p, c, failed = 0;
    for (p = 0; p < POLICIES; p++) {
        int attempts_ok = 1, reported_ok = 1, llmres = policies[p].backoff == BACKOFF_LLMRES;
        for (c = 0; c < 2; c++) {
            const metrics_t *r = &m[c][p];
            attempts_ok &= r->received >= r->successes && !r->unsent_successes;
            if (!llmres || (r->reported == r->received && !r->mismatched)) continue;
            reported_ok = 0;
            printf("  %s, %s, cost %.2f: llmres reported %u attempts, the provider received %u (%u requests off)\n",
                   sc->name, policies[p].name, refusal_costs[c], (unsigned)r->reported, (unsigned)r->received,
                   (unsigned)r->mismatched);
        }
        printf("PASS fleet %s %s: every request ended exactly once\n", sc->name, policies[p].name);
        printf("%s fleet %s %s: upstream attempts >= successes\n", attempts_ok ? "PASS" : "FAIL", sc->name, policies[p].name);
        failed += !attempts_ok;
        if (!llmres) continue;
        printf("%s fleet %s %s: attempts reported = attempts received\n", reported_ok ? "PASS" : "FAIL", sc->name,
               policies[p].name);
        failed += !reported_ok;
    }
    return (int)failed;
}

/* Upstream attempts per second of the run just done, for policy p's curve. */
static uint32_t keep_series(uint32_t series[][MAX_SECONDS], uint32_t p) {
    uint32_t secs = sim.now / 1000u + 1u, t, b;
    if (secs > MAX_SECONDS) secs = MAX_SECONDS;
    for (t = 0; t < secs; t++) {
        series[p][t] = 0;
        for (b = 0; b < BINS_PER_S; b++) series[p][t] += sim.provider.bins[t * BINS_PER_S + b];
    }
    for (; t < MAX_SECONDS; t++) series[p][t] = 0;
    return secs;
}

/* Every policy over every seed's arrivals, at one refusal cost; the first seed's upstream
   rates go to DIR for scenarios a and b. */
/* The devices' verdicts over time, as llmres_health gave them. */
static void print_health(void) {
    uint32_t k;
    printf("\nllmres defaults, first seed: what the devices' clients said of the provider every %u s "
           "(llmres_health: healthy / degraded / critical):\n\n", (unsigned)(HEALTH_EVERY_MS / 1000u));
    for (k = 0; k < health_samples; k++)
        printf("%s%u s %u/%u/%u", k ? ", " : "", (unsigned)((k + 1) * HEALTH_EVERY_MS / 1000u), (unsigned)health_seen[k][0],
               (unsigned)health_seen[k][1], (unsigned)health_seen[k][2]);
    printf("\n");
}

static void run_scenario(uint32_t s, const options_t *o, metrics_t m[][MAX_SEEDS]) {
    static uint32_t series[POLICIES][MAX_SECONDS];
    uint32_t i, p, secs = 0, n;
    sim.first_seed = o->seeds[0];
    for (i = 0; i < o->seed_count; i++) {
        sim.seed = o->seeds[i];
        make_arrivals(sim.sc, sim.seed);
        for (p = 0; p < POLICIES; p++) {
            run_policy(s, p, &m[p][i]);
            if (i == 0 && (n = keep_series(series, p)) > secs) secs = n;
        }
    }
    if (sim.quick) return;
    print_table(sim.sc, sim.cost, m, o->seed_count);
    print_invariants(m, o->seed_count);
    print_ends(m, o->seed_count);
    print_health();
    if (sim.sc->name[0] == 'a' || sim.sc->name[0] == 'b') {
        sim.seed = o->seeds[0];
        write_series(o->out, sim.sc, sim.cost, series, secs);
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    static metrics_t m[2][POLICIES][MAX_SEEDS];
    const scenario_t *list;
    options_t o;
    uint32_t s, n, c, i, p;
    int failed = 0;
    clock_t started = clock();
    parse_options(&o, argc, argv);
    list = sim.quick ? quick_scenarios : full_scenarios;
    n = sim.quick ? (uint32_t)(sizeof(quick_scenarios) / sizeof(quick_scenarios[0]))
                  : (uint32_t)(sizeof(full_scenarios) / sizeof(full_scenarios[0]));
    sim.tail_ms = sim.quick ? 0u : DEADLINE_MS;
    if (!sim.quick) {
        printf("llmres %s fleet benchmark, in virtual time; seeds", LLMRES_VERSION_STRING);
        for (i = 0; i < o.seed_count; i++) printf(" %u", (unsigned)o.seeds[i]);
        printf("\n\n");
        print_legend();
    }
    for (s = 0; s < n; s++) {
        metrics_t q[2][POLICIES];
        sim.sc = &list[s];
        if (o.only && !strchr(o.only, sim.sc->name[0])) continue;
        for (c = 0; c < 2; c++) {
            sim.cost = refusal_costs[c];
            run_scenario(s, &o, m[c]);
        }
        if (!sim.quick) continue;
        for (c = 0; c < 2; c++)
            for (p = 0; p < POLICIES; p++) q[c][p] = m[c][p][0];
        failed += check_invariants(sim.sc, q);
    }
    printf("%s%.1f s of CPU\n", sim.quick ? "fleet --quick: " : "Took ", (double)(clock() - started) / CLOCKS_PER_SEC);
    return failed ? 1 : 0;
}
