/* llmres_sim.h - a simulated port for llmres: a virtual clock (sleep advances it, no
   real waiting) and a scripted LLM provider behind a simulated network, answering in the
   provider's real wire format. Tests run on it deterministically, in virtual time, in
   milliseconds of real time; users can point their own firmware at it to see how it
   behaves against an overloaded provider. Include llmres.h first, then this:

       static llmres_sim_t sim;
       llmres_sim_config_t cfg = {0};
       cfg.provider = LLMRES_PROVIDER_OPENAI;
       cfg.capacity_milli = 2000;              // the provider serves 2 requests/s
       cfg.overload = LLMRES_SIM_OVERLOAD_429; // and answers 429 + retry-after beyond that
       llmres_sim_init(&sim, &cfg);
       llmres_http_client_init(&client, &sim.port, NULL);   // plain "https-less" transport

   The model, per request, in this order: an outage window (connection reset or 503),
   a rejected key (401), quota mode (429 insufficient_quota or 402 billing), the capacity bucket (overloaded
   in the chosen shape, with a retry-after that tells the real wait), a random failure
   (500), else a success after latency + jitter with usage and rate-limit headers.
   Everything is deterministic for a seed. No heap; stdio's snprintf builds bodies. */
#ifndef LLMRES_SIM_H
#define LLMRES_SIM_H

#ifndef LLMRES_H
#error "include llmres.h before port/llmres_sim.h"
#endif
#if defined(LLMRES_NO_BUCKET) || defined(LLMRES_NO_LLM)
#error "port/llmres_sim.h needs the bucket and the LLM formats"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LLMRES_SIM_CONNECTIONS
#define LLMRES_SIM_CONNECTIONS 4
#endif
#ifndef LLMRES_SIM_IO_BYTES
#define LLMRES_SIM_IO_BYTES 4096 /* one request in, one response out, per connection */
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LLMRES_SIM_FN static __attribute__((unused))
#else
#define LLMRES_SIM_FN static
#endif

enum {
    LLMRES_SIM_OVERLOAD_DEFAULT = 0, /* the provider's own: 429 OpenAI, 529 Anthropic, 503 Ollama */
    LLMRES_SIM_OVERLOAD_429,         /* 429 rate_limit_exceeded, retry-after and retry-after-ms */
    LLMRES_SIM_OVERLOAD_529,         /* 529 overloaded_error, x-should-retry: true */
    LLMRES_SIM_OVERLOAD_500,         /* 500 api_error "Overloaded" */
    LLMRES_SIM_OVERLOAD_503,         /* 503 "server busy" (Ollama) or "overloaded" (OpenAI) */
    LLMRES_SIM_OVERLOAD_TIMEOUT,     /* no answer at all */
    LLMRES_SIM_OVERLOAD_RESET        /* the connection is reset */
};

typedef struct llmres_sim_outage {
    uint32_t start_ms, end_ms; /* virtual time since init */
    uint8_t reset;             /* 1: connections reset; 0: 503 */
} llmres_sim_outage_t;

typedef struct llmres_sim_config {
    int provider;                /* LLMRES_PROVIDER_*: the wire format of the answers */
    uint32_t capacity_milli;     /* requests per second, in thousandths; 0: unlimited */
    uint32_t burst;              /* requests at once (0: the capacity rounded up) */
    int overload;                /* LLMRES_SIM_OVERLOAD_* */
    uint32_t latency_ms;         /* time to answer a served request */
    uint32_t jitter_ms;          /* plus up to this */
    uint32_t failure_permille;   /* served requests that fail with a 500 */
    uint8_t quota;               /* 1: every request is refused for quota */
    uint8_t reject_key;          /* 1: every request is refused as unauthenticated (401) */
    llmres_sim_outage_t outages[4];
    uint32_t outage_count;
    uint32_t seed;
} llmres_sim_config_t;

typedef struct llmres_sim_conn {
    uint16_t port;               /* which provider: the alternate one on alt_port */
    uint8_t open, reset, closed;
    uint32_t ready_at;           /* the answer starts then */
    uint8_t answered, silent;    /* silent: never answers */
    size_t in_len, out_len, out_at;
    char in[LLMRES_SIM_IO_BYTES];
    char out[LLMRES_SIM_IO_BYTES];
} llmres_sim_conn_t;

typedef struct llmres_sim_stats {
    uint32_t requests, served, overloaded, quota, failures, outage, connects;
} llmres_sim_stats_t;

typedef struct llmres_sim {
    llmres_port_t port;          /* give &sim.port to the client */
    llmres_sim_config_t cfg;
    llmres_sim_config_t alt;     /* a second provider, answering on alt_port (see llmres_sim_alt) */
    uint16_t alt_port;
    llmres_bucket_t alt_capacity;
    uint32_t now, start;         /* the virtual clock */
    uint32_t rng;
    llmres_bucket_t capacity;
    llmres_sim_stats_t stats;
    llmres_sim_conn_t conn[LLMRES_SIM_CONNECTIONS];
} llmres_sim_t;

static uint32_t llmres__sim_now(void *ctx) { return ((llmres_sim_t *)ctx)->now; }
static void llmres__sim_sleep(void *ctx, uint32_t ms) { ((llmres_sim_t *)ctx)->now += ms; }

static int llmres__sim_entropy(void *ctx, void *buf, size_t len) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    uint8_t *p = (uint8_t *)buf;
    while (len--) *p++ = (uint8_t)llmres_xorshift32(&s->rng);
    return 0;
}

static int llmres__sim_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    uint32_t i;
    (void)host; (void)timeout_ms;
    for (i = 0; i < LLMRES_SIM_CONNECTIONS; i++)
        if (!s->conn[i].open) {
            memset(&s->conn[i], 0, offsetof(llmres_sim_conn_t, in));
            s->conn[i].open = 1;
            s->conn[i].port = port;
            s->now += 1; /* a connect on a LAN */
            s->stats.connects++;
            return (int)i;
        }
    return LLMRES_ERR_NO_SLOT;
}

static llmres_sim_conn_t *llmres__sim_conn(llmres_sim_t *s, int id) {
    return id >= 0 && id < LLMRES_SIM_CONNECTIONS && s->conn[id].open ? &s->conn[id] : NULL;
}

/* Appends formatted text to the connection's answer. */
static void llmres__sim_put(llmres_sim_conn_t *c, const char *text) {
    size_t n = strlen(text);
    if (n > sizeof(c->out) - c->out_len) n = sizeof(c->out) - c->out_len;
    memcpy(c->out + c->out_len, text, n);
    c->out_len += n;
}

static void llmres__sim_answer(llmres_sim_conn_t *c, int status, const char *reason, const char *headers,
                               const char *body) {
    char head[512];
    snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%sContent-Length: %u\r\n\r\n",
             status, reason, headers, (unsigned)strlen(body));
    llmres__sim_put(c, head);
    llmres__sim_put(c, body);
}

/* The provider model: decides the answer to one complete request. */
static void llmres__sim_serve(llmres_sim_t *s, llmres_sim_conn_t *c) {
    int alt = s->alt_port && c->port == s->alt_port;
    const llmres_sim_config_t *f = alt ? &s->alt : &s->cfg;
    llmres_bucket_t *capacity = alt ? &s->alt_capacity : &s->capacity;
    uint32_t t = s->now - s->start, i;
    char hdr[256], body[1024];
    int p = f->provider;
    unsigned prompt_tokens;
    size_t k;
    for (k = 3; k < c->in_len && memcmp(c->in + k - 3, "\r\n\r\n", 4) != 0; k++) {}
    prompt_tokens = (unsigned)((c->in_len - (k + 1 < c->in_len ? k + 1 : c->in_len)) / 4u + 1u); /* the body / 4 */
    c->answered = 1;
    c->ready_at = s->now + 1;
    s->stats.requests++;
    for (i = 0; i < f->outage_count && i < 4; i++)
        if (t >= f->outages[i].start_ms && t < f->outages[i].end_ms) {
            s->stats.outage++;
            if (f->outages[i].reset) { c->reset = 1; return; }
            llmres__sim_answer(c, 503, "Service Unavailable", "",
                               p == LLMRES_PROVIDER_OLLAMA ? "{\"error\":\"service unavailable\"}"
                               : "{\"error\":{\"message\":\"Service unavailable\",\"type\":\"server_error\"}}");
            return;
        }
    if (f->reject_key) {
        s->stats.quota++; /* refused before any work, like quota */
        llmres__sim_answer(c, 401, "Unauthorized", "",
                           p == LLMRES_PROVIDER_ANTHROPIC
                               ? "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}"
                               : "{\"error\":{\"message\":\"Incorrect API key provided.\",\"type\":\"invalid_request_error\","
                                 "\"param\":null,\"code\":\"invalid_api_key\"}}");
        return;
    }
    if (f->quota) {
        s->stats.quota++;
        if (p == LLMRES_PROVIDER_ANTHROPIC)
            llmres__sim_answer(c, 402, "Payment Required", "",
                               "{\"type\":\"error\",\"error\":{\"type\":\"billing_error\",\"message\":\"Your credit balance is too low.\"}}");
        else
            llmres__sim_answer(c, 429, "Too Many Requests", "",
                               "{\"error\":{\"message\":\"You exceeded your current quota.\",\"type\":\"insufficient_quota\","
                               "\"param\":null,\"code\":\"insufficient_quota\"}}");
        return;
    }
    if (f->capacity_milli && llmres_bucket_take(capacity, s->now, 1) != LLMRES_OK) {
        uint32_t wait = llmres_bucket_wait_ms(capacity, s->now, 1);
        int kind = f->overload;
        s->stats.overloaded++;
        if (kind == LLMRES_SIM_OVERLOAD_DEFAULT)
            kind = p == LLMRES_PROVIDER_ANTHROPIC ? LLMRES_SIM_OVERLOAD_529
                 : p == LLMRES_PROVIDER_OLLAMA ? LLMRES_SIM_OVERLOAD_503 : LLMRES_SIM_OVERLOAD_429;
        switch (kind) {
        case LLMRES_SIM_OVERLOAD_429:
            snprintf(hdr, sizeof(hdr), "retry-after: %u\r\nretry-after-ms: %u\r\nx-ratelimit-remaining-requests: 0\r\n"
                     "x-ratelimit-reset-requests: %ums\r\n", (unsigned)((wait + 999u) / 1000u), (unsigned)wait, (unsigned)wait);
            llmres__sim_answer(c, 429, "Too Many Requests", hdr,
                               p == LLMRES_PROVIDER_ANTHROPIC
                                   ? "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited.\"}}"
                                   : "{\"error\":{\"message\":\"Rate limit reached.\",\"type\":\"requests\",\"param\":null,"
                                     "\"code\":\"rate_limit_exceeded\"}}");
            break;
        case LLMRES_SIM_OVERLOAD_529:
            llmres__sim_answer(c, 529, "", "x-should-retry: true\r\n",
                               "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
            break;
        case LLMRES_SIM_OVERLOAD_500:
            llmres__sim_answer(c, 500, "Internal Server Error", "",
                               "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Overloaded\"}}");
            break;
        case LLMRES_SIM_OVERLOAD_503:
            llmres__sim_answer(c, 503, "Service Unavailable", "",
                               p == LLMRES_PROVIDER_OLLAMA
                                   ? "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}"
                                   : "{\"error\":{\"message\":\"The engine is currently overloaded, please try again later\","
                                     "\"type\":\"server_error\",\"param\":null,\"code\":null}}");
            break;
        case LLMRES_SIM_OVERLOAD_TIMEOUT: c->silent = 1; break;
        default: c->reset = 1; break;
        }
        return;
    }
    c->ready_at = s->now + f->latency_ms + (f->jitter_ms ? llmres_xorshift32(&s->rng) % (f->jitter_ms + 1u) : 0u);
    if (f->failure_permille && llmres_xorshift32(&s->rng) % 1000u < f->failure_permille) {
        s->stats.failures++;
        llmres__sim_answer(c, 500, "Internal Server Error", "",
                           p == LLMRES_PROVIDER_ANTHROPIC
                               ? "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}"
                               : "{\"error\":{\"message\":\"The server had an error while processing your request.\","
                                 "\"type\":\"server_error\",\"param\":null,\"code\":null}}");
        return;
    }
    s->stats.served++;
    snprintf(hdr, sizeof(hdr), "x-request-id: sim-%u\r\nx-ratelimit-remaining-requests: %u\r\n",
             (unsigned)s->stats.requests, (unsigned)llmres_bucket_available(capacity, s->now));
    if (p == LLMRES_PROVIDER_ANTHROPIC)
        snprintf(body, sizeof(body), "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
                 "\"text\":\"sim answer %u\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":%u,\"output_tokens\":4}}",
                 (unsigned)s->stats.requests, prompt_tokens);
    else if (p == LLMRES_PROVIDER_OLLAMA)
        snprintf(body, sizeof(body), "{\"message\":{\"role\":\"assistant\",\"content\":\"sim answer %u\"},\"done_reason\":\"stop\","
                 "\"done\":true,\"prompt_eval_count\":%u,\"eval_count\":4}", (unsigned)s->stats.requests, prompt_tokens);
    else
        snprintf(body, sizeof(body), "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"sim answer %u\"},"
                 "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":4}}",
                 (unsigned)s->stats.requests, prompt_tokens);
    llmres__sim_answer(c, 200, "OK", hdr, body);
}

/* Whether in[] holds a whole request: the head, and as many body bytes as it says. */
static int llmres__sim_request_complete(const llmres_sim_conn_t *c) {
    const char *end = NULL, *cl;
    size_t i, head, body = 0;
    for (i = 3; i < c->in_len && !end; i++)
        if (!memcmp(c->in + i - 3, "\r\n\r\n", 4)) end = c->in + i + 1;
    if (!end) return 0;
    head = (size_t)(end - c->in);
    for (cl = c->in; cl + 16 < end; cl++)
        if (!memcmp(cl, "Content-Length: ", 16)) { body = (size_t)strtoul(cl + 16, NULL, 10); break; }
    return c->in_len >= head + body;
}

static int llmres__sim_send(void *ctx, int id, const void *buf, size_t len, uint32_t timeout_ms) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    llmres_sim_conn_t *c = llmres__sim_conn(s, id);
    (void)timeout_ms;
    if (!c) return LLMRES_ERR_INVALID;
    if (c->reset) return LLMRES_ERR_IO;
    if (len > sizeof(c->in) - c->in_len) return LLMRES_ERR_IO; /* more than one request: the sim's limit */
    memcpy(c->in + c->in_len, buf, len);
    c->in_len += len;
    if (!c->answered && llmres__sim_request_complete(c)) llmres__sim_serve(s, c);
    return (int)len;
}

static int llmres__sim_recv(void *ctx, int id, void *buf, size_t len, uint32_t timeout_ms) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    llmres_sim_conn_t *c = llmres__sim_conn(s, id);
    size_t n;
    if (!c) return LLMRES_ERR_INVALID;
    if (!c->answered || c->silent || (int32_t)(c->ready_at - s->now) > 0) {
        /* nothing yet: wait in virtual time, as long as allowed or until the answer */
        uint32_t wait = timeout_ms;
        if (c->answered && !c->silent && (int32_t)(c->ready_at - s->now) > 0 && c->ready_at - s->now < wait)
            wait = c->ready_at - s->now;
        s->now += wait;
        if (!c->answered || c->silent || (int32_t)(c->ready_at - s->now) > 0) return 0;
    }
    if (c->reset) return LLMRES_ERR_IO;
    if (c->out_at == c->out_len) {
        /* answered in full: ready for the next request on this connection */
        c->answered = 0;
        c->in_len = c->out_len = c->out_at = 0;
        return 0;
    }
    n = c->out_len - c->out_at < len ? c->out_len - c->out_at : len;
    memcpy(buf, c->out + c->out_at, n);
    c->out_at += n;
    if (c->out_at == c->out_len) { c->answered = 0; c->in_len = c->out_len = c->out_at = 0; }
    return (int)n;
}

static void llmres__sim_close(void *ctx, int id) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    llmres_sim_conn_t *c = llmres__sim_conn(s, id);
    if (c) c->open = 0;
}

/* Sets up the simulator (clock at 0xFFFFFFFF - 60000, so runs cross the 32-bit wrap).
   Errors: INVALID for NULLs or an unknown provider. */
LLMRES_SIM_FN int llmres_sim_init(llmres_sim_t *s, const llmres_sim_config_t *cfg) {
    uint32_t burst;
    if (!s || !cfg || cfg->provider < LLMRES_PROVIDER_OPENAI || cfg->provider > LLMRES_PROVIDER_OLLAMA)
        return LLMRES_ERR_INVALID;
    memset(s, 0, offsetof(llmres_sim_t, conn));
    memset(s->conn, 0, sizeof(s->conn));
    s->cfg = *cfg;
    s->now = s->start = 0xFFFFFFFFu - 60000u;
    s->rng = cfg->seed ? cfg->seed : 1u;
    burst = cfg->burst ? cfg->burst : (cfg->capacity_milli + 999u) / 1000u;
    /* thousandths per second = capacity_milli tokens per 1,000,000 ms, exactly */
    llmres_bucket_init(&s->capacity, s->now, burst ? burst : 1u, cfg->capacity_milli, 1000000u);
    s->port.ctx = s;
    s->port.now_ms = llmres__sim_now;
    s->port.sleep_ms = llmres__sim_sleep;
    s->port.entropy = llmres__sim_entropy;
    s->port.tcp.ctx = s;
    s->port.tcp.open = llmres__sim_open;
    s->port.tcp.send = llmres__sim_send;
    s->port.tcp.recv = llmres__sim_recv;
    s->port.tcp.close = llmres__sim_close;
    return LLMRES_OK;
}

/* Adds a second provider with its own behaviour, answering connections to `port`
   (a fallback chain: say the cloud on one port, a local Ollama on another). */
LLMRES_SIM_FN int llmres_sim_alt(llmres_sim_t *s, uint16_t port, const llmres_sim_config_t *cfg) {
    uint32_t burst;
    if (!s || !cfg || !port || cfg->provider < LLMRES_PROVIDER_OPENAI || cfg->provider > LLMRES_PROVIDER_OLLAMA)
        return LLMRES_ERR_INVALID;
    s->alt = *cfg;
    s->alt_port = port;
    burst = cfg->burst ? cfg->burst : (cfg->capacity_milli + 999u) / 1000u;
    llmres_bucket_init(&s->alt_capacity, s->now, burst ? burst : 1u, cfg->capacity_milli, 1000000u);
    return LLMRES_OK;
}

#endif /* LLMRES_SIM_H */
