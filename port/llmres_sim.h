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
   A request whose body sets "stream": true gets its success as the provider's stream
   (SSE for OpenAI-compatible and Anthropic, NDJSON for Ollama; chunked, one event per
   chunk, each written when the last has been read, so a stream of any length needs
   only one event's room in the output buffer): the same text as the whole answer, in
   pieces of 4 characters. stream_fault_* make some streams fail part-way, with the
   provider's error event or a cut connection. Refusals stay whole JSON bodies, as the
   providers send them before a stream begins. (Ollama streams unless told "stream":
   false; the sim streams only when asked.)
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
#define LLMRES_SIM_IO_BYTES 4096 /* one request in; one response out, or a stream's head, then one event at a time */
#endif
/* a stream's head or its longest event (with its chunk line) fits in out[] with room to spare */
typedef char llmres__sim_check_io[LLMRES_SIM_IO_BYTES >= 1024 ? 1 : -1];
#define LLMRES__SIM_PIECE 4 /* characters of the answer per streamed text event */

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
    uint32_t stream_fault_permille; /* streamed successes that fail part-way, after the 200 */
    uint32_t stream_fault_after; /* text events sent before such a failure (past the last: after the text) */
    uint8_t stream_fault_cut;    /* 1: the connection is cut there; 0: an overloaded error event */
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
    /* a streamed answer: out[] holds one event at a time, written when the last is read */
    uint8_t streaming;           /* 1 until its last chunk is written */
    uint8_t usage;               /* the request asked for usage in the stream (OpenAI's include_usage) */
    uint8_t fault;               /* LLMRES__SIM_FAULT_*: how this stream fails, if it does */
    int provider;
    uint32_t step;               /* the next event */
    uint32_t fault_after;        /* text events before the fault */
    uint32_t number;             /* the request's number: its answer, its ids */
    uint32_t input_tokens;
    char answer[24];             /* the whole answer's text */
    size_t in_len, out_len, out_at;
    char in[LLMRES_SIM_IO_BYTES];
    char out[LLMRES_SIM_IO_BYTES];
} llmres_sim_conn_t;

typedef struct llmres_sim_stats {
    uint32_t requests, served, overloaded, quota, failures, outage, connects;
    uint32_t streams, stream_faults; /* successes sent as streams; of them, those that failed part-way */
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
    /* Optional, for threads that share one sim (each with its own worker): a mutex of
       yours, taken around each of the port's functions, which share the clock, the
       connections and the provider. Set them after llmres_sim_init. It is not the
       client's lock (port.lock), which the client never holds across the sim's I/O. */
    void (*lock)(void *lock_ctx);
    void (*unlock)(void *lock_ctx);
    void *lock_ctx;
    llmres_sim_conn_t conn[LLMRES_SIM_CONNECTIONS];
} llmres_sim_t;

static void llmres__sim_enter(const llmres_sim_t *s) { if (s->lock) s->lock(s->lock_ctx); }
static void llmres__sim_leave(const llmres_sim_t *s) { if (s->unlock) s->unlock(s->lock_ctx); }

static uint32_t llmres__sim_now(void *ctx) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    uint32_t now;
    llmres__sim_enter(s);
    now = s->now;
    llmres__sim_leave(s);
    return now;
}

static void llmres__sim_sleep(void *ctx, uint32_t ms) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    llmres__sim_enter(s);
    s->now += ms;
    llmres__sim_leave(s);
}

static int llmres__sim_entropy(void *ctx, void *buf, size_t len) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    uint8_t *p = (uint8_t *)buf;
    llmres__sim_enter(s);
    while (len--) *p++ = (uint8_t)llmres_xorshift32(&s->rng);
    llmres__sim_leave(s);
    return 0;
}

static int llmres__sim_open_now(llmres_sim_t *s, uint16_t port) {
    uint32_t i;
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

static int llmres__sim_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    int id;
    (void)host; (void)timeout_ms;
    llmres__sim_enter(s);
    id = llmres__sim_open_now(s, port);
    llmres__sim_leave(s);
    return id;
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

/* Overloaded errors, said whole (an HTTP 503) or inside a stream that has begun. */
#define LLMRES__SIM_OAI_OVERLOADED "{\"error\":{\"message\":\"The engine is currently overloaded, please try again later\"," \
                                   "\"type\":\"server_error\",\"param\":null,\"code\":null}}"
#define LLMRES__SIM_OLLAMA_BUSY "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}"
#define LLMRES__SIM_OAI_CHUNK "data: {\"id\":\"chatcmpl-sim$n\",\"object\":\"chat.completion.chunk\",\"created\":1767225600," \
                              "\"model\":\"sim\",\"choices\":"

enum { LLMRES__SIM_FAULT_NONE = 0, LLMRES__SIM_FAULT_EVENT, LLMRES__SIM_FAULT_CUT };

/* A provider's stream, a row per provider: event templates with their framing, where $t is
   a piece of the answer, $i the input tokens, $o the output tokens, $n the request's
   number. A template that begins with '?' is OpenAI's usage chunk, sent only when the
   request asked for it. The answer is the sim's own ASCII text: no piece needs escaping. */
typedef struct llmres__sim_stream_format {
    const char *content_type;
    const char *before[4];       /* events before the text; NULL ends them */
    const char *piece;           /* one event per piece of the text */
    const char *after[4];        /* finish, usage, end marker; NULL ends them */
    const char *fault;           /* a failure part-way, after the 200: overloaded */
} llmres__sim_stream_format_t;

static const llmres__sim_stream_format_t llmres__sim_streams[3] = {
    {"text/event-stream", /* OpenAI-compatible */
     {LLMRES__SIM_OAI_CHUNK "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
      NULL},
     LLMRES__SIM_OAI_CHUNK "[{\"index\":0,\"delta\":{\"content\":\"$t\"},\"finish_reason\":null}]}\n\n",
     {LLMRES__SIM_OAI_CHUNK "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
      "?" LLMRES__SIM_OAI_CHUNK "[],\"usage\":{\"prompt_tokens\":$i,\"completion_tokens\":$o}}\n\n",
      "data: [DONE]\n\n", NULL},
     "data: " LLMRES__SIM_OAI_OVERLOADED "\n\n"},
    {"text/event-stream", /* Anthropic */
     {"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_sim$n\",\"type\":\"message\","
      "\"role\":\"assistant\",\"content\":[],\"model\":\"sim\",\"stop_reason\":null,\"stop_sequence\":null,"
      "\"usage\":{\"input_tokens\":$i,\"output_tokens\":1}}}\n\n",
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
      "event: ping\ndata: {\"type\":\"ping\"}\n\n", NULL},
     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
     "\"delta\":{\"type\":\"text_delta\",\"text\":\"$t\"}}\n\n",
     {"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
      "\"usage\":{\"output_tokens\":$o}}\n\n",
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", NULL},
     "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"},
    {"application/x-ndjson", /* Ollama's /api/chat */
     {NULL},
     "{\"model\":\"sim\",\"message\":{\"role\":\"assistant\",\"content\":\"$t\"},\"done\":false}\n",
     {"{\"model\":\"sim\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,"
      "\"prompt_eval_count\":$i,\"eval_count\":$o}\n", NULL},
     LLMRES__SIM_OLLAMA_BUSY "\n"}
};

static int llmres__sim_ws(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

/* Whether a request body sets "key" to true. A key follows '{' or ',', which no quote
   inside a JSON string does (it is escaped there), so text in a prompt never counts. */
static int llmres__sim_asks(const char *body, size_t len, const char *key) {
    size_t n = strlen(key), i, j;
    for (i = 0; i + n + 2 <= len; i++) {
        if (body[i] != '"' || memcmp(body + i + 1, key, n) != 0 || body[i + n + 1] != '"') continue;
        for (j = i; j > 0 && llmres__sim_ws(body[j - 1]); j--) {}
        if (j == 0 || (body[j - 1] != '{' && body[j - 1] != ',')) continue;
        for (j = i + n + 2; j < len && llmres__sim_ws(body[j]); j++) {}
        if (j == len || body[j] != ':') continue;
        for (j++; j < len && llmres__sim_ws(body[j]); j++) {}
        if (len - j >= 4 && !memcmp(body + j, "true", 4)) return 1;
    }
    return 0;
}

/* Writes template t with its $ fields filled into buf (cut to cap - 1); its length. */
static size_t llmres__sim_expand(const llmres_sim_conn_t *c, const char *t, uint32_t piece, char *buf, size_t cap) {
    size_t at = 0, n;
    char num[12];
    const char *v;
    for (; *t && at + 1 < cap; t++) {
        if (t[0] != '$' || !t[1]) { buf[at++] = *t; continue; }
        v = num;
        if (*++t == 't') {
            v = c->answer + piece * LLMRES__SIM_PIECE;
            n = strlen(v) < LLMRES__SIM_PIECE ? strlen(v) : LLMRES__SIM_PIECE;
        } else { /* the output is always 4 tokens, as in the whole answer */
            snprintf(num, sizeof(num), "%u", (unsigned)(*t == 'i' ? c->input_tokens : *t == 'o' ? 4u : c->number));
            n = strlen(num);
        }
        if (n > cap - 1 - at) n = cap - 1 - at;
        memcpy(buf + at, v, n);
        at += n;
    }
    buf[at] = 0;
    return at;
}

/* Writes the next event of c's stream into out[] as one HTTP chunk, or the last chunk
   after the end marker. At its fault, the error event and then the last chunk, or the
   cut: nothing more, and every read after is an orderly close. */
static void llmres__sim_stream_next(llmres_sim_conn_t *c) {
    const llmres__sim_stream_format_t *f = &llmres__sim_streams[c->provider];
    const uint32_t afters = (uint32_t)(sizeof(f->after) / sizeof(f->after[0]));
    uint32_t before = 0, pieces = (uint32_t)((strlen(c->answer) + LLMRES__SIM_PIECE - 1) / LLMRES__SIM_PIECE), k;
    const char *t;
    char event[512], line[16];
    size_t n;
    while (f->before[before]) before++;
    c->out_len = c->out_at = 0;
    do {
        k = c->step++;
        if (c->fault && k == before + (c->fault_after < pieces ? c->fault_after : pieces)) {
            if (c->fault == LLMRES__SIM_FAULT_CUT) { c->closed = 1; c->streaming = 0; return; }
            t = f->fault;
            c->fault = LLMRES__SIM_FAULT_NONE;
            c->step = before + pieces + afters; /* then the last chunk */
        } else {
            t = k < before ? f->before[k] : k < before + pieces ? f->piece
              : k - before - pieces < afters ? f->after[k - before - pieces] : NULL;
        }
    } while (t && t[0] == '?' && !c->usage);
    if (!t) { llmres__sim_put(c, "0\r\n\r\n"); c->streaming = 0; return; }
    n = llmres__sim_expand(c, t + (t[0] == '?'), k - before, event, sizeof(event));
    snprintf(line, sizeof(line), "%x\r\n", (unsigned)n);
    llmres__sim_put(c, line);
    llmres__sim_put(c, event);
    llmres__sim_put(c, "\r\n");
}

/* A served request's answer: whole, or the head of a stream when the request asked for one. */
static void llmres__sim_success(llmres_sim_t *s, llmres_sim_conn_t *c, const llmres_sim_config_t *f,
                                llmres_bucket_t *capacity, const char *req, size_t req_len, unsigned prompt_tokens) {
    char hdr[256], body[512], head[512];
    int p = f->provider;
    s->stats.served++;
    c->number = s->stats.requests;
    c->input_tokens = prompt_tokens;
    snprintf(c->answer, sizeof(c->answer), "sim answer %u", (unsigned)c->number);
    snprintf(hdr, sizeof(hdr), "x-request-id: sim-%u\r\nx-ratelimit-remaining-requests: %u\r\n",
             (unsigned)s->stats.requests, (unsigned)llmres_bucket_available(capacity, s->now));
    if (llmres__sim_asks(req, req_len, "stream")) {
        c->streaming = 1;
        c->provider = p;
        c->step = 0;
        c->usage = (uint8_t)llmres__sim_asks(req, req_len, "include_usage");
        if (f->stream_fault_permille && llmres_xorshift32(&s->rng) % 1000u < f->stream_fault_permille) {
            c->fault = f->stream_fault_cut ? LLMRES__SIM_FAULT_CUT : LLMRES__SIM_FAULT_EVENT;
            c->fault_after = f->stream_fault_after;
            s->stats.stream_faults++;
        }
        s->stats.streams++;
        snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nCache-Control: no-cache\r\n%s"
                 "Transfer-Encoding: chunked\r\n\r\n", llmres__sim_streams[p].content_type, hdr);
        llmres__sim_put(c, head);
        return;
    }
    if (p == LLMRES_PROVIDER_ANTHROPIC)
        snprintf(body, sizeof(body), "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
                 "\"text\":\"%s\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":%u,\"output_tokens\":4}}",
                 c->answer, prompt_tokens);
    else if (p == LLMRES_PROVIDER_OLLAMA)
        snprintf(body, sizeof(body), "{\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"done_reason\":\"stop\","
                 "\"done\":true,\"prompt_eval_count\":%u,\"eval_count\":4}", c->answer, prompt_tokens);
    else
        snprintf(body, sizeof(body), "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},"
                 "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":4}}",
                 c->answer, prompt_tokens);
    llmres__sim_answer(c, 200, "OK", hdr, body);
}

/* The provider model: decides the answer to one complete request. */
static void llmres__sim_serve(llmres_sim_t *s, llmres_sim_conn_t *c) {
    int alt = s->alt_port && c->port == s->alt_port;
    const llmres_sim_config_t *f = alt ? &s->alt : &s->cfg;
    llmres_bucket_t *capacity = alt ? &s->alt_capacity : &s->capacity;
    uint32_t t = s->now - s->start, i;
    char hdr[256];
    int p = f->provider;
    size_t k, at;
    for (k = 3; k < c->in_len && memcmp(c->in + k - 3, "\r\n\r\n", 4) != 0; k++) {}
    at = k + 1 < c->in_len ? k + 1 : c->in_len; /* the request's body */
    c->streaming = 0;
    c->fault = LLMRES__SIM_FAULT_NONE;
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
                                   ? LLMRES__SIM_OLLAMA_BUSY
                                   : LLMRES__SIM_OAI_OVERLOADED);
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
    llmres__sim_success(s, c, f, capacity, c->in + at, c->in_len - at, (unsigned)((c->in_len - at) / 4u + 1u));
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

static int llmres__sim_send_now(llmres_sim_t *s, int id, const void *buf, size_t len) {
    llmres_sim_conn_t *c = llmres__sim_conn(s, id);
    if (!c) return LLMRES_ERR_INVALID;
    if (c->reset) return LLMRES_ERR_IO;
    if (c->closed) return LLMRES_ERR_CLOSED;
    if (len > sizeof(c->in) - c->in_len) return LLMRES_ERR_IO; /* more than one request: the sim's limit */
    memcpy(c->in + c->in_len, buf, len);
    c->in_len += len;
    if (!c->answered && llmres__sim_request_complete(c)) llmres__sim_serve(s, c);
    return (int)len;
}

static int llmres__sim_recv_now(llmres_sim_t *s, int id, void *buf, size_t len, uint32_t timeout_ms) {
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
    if (c->out_at == c->out_len && c->streaming) llmres__sim_stream_next(c); /* the last event was read */
    if (c->out_at == c->out_len) {
        if (c->closed) return LLMRES_ERR_CLOSED;
        /* answered in full: ready for the next request on this connection */
        c->answered = 0;
        c->in_len = c->out_len = c->out_at = 0;
        return 0;
    }
    n = c->out_len - c->out_at < len ? c->out_len - c->out_at : len;
    memcpy(buf, c->out + c->out_at, n);
    c->out_at += n;
    if (c->out_at == c->out_len && !c->streaming && !c->closed) { /* closed: it stays at EOF */
        c->answered = 0;
        c->in_len = c->out_len = c->out_at = 0;
    }
    return (int)n;
}

static int llmres__sim_send(void *ctx, int id, const void *buf, size_t len, uint32_t timeout_ms) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    int rc;
    (void)timeout_ms;
    llmres__sim_enter(s);
    rc = llmres__sim_send_now(s, id, buf, len);
    llmres__sim_leave(s);
    return rc;
}

static int llmres__sim_recv(void *ctx, int id, void *buf, size_t len, uint32_t timeout_ms) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    int rc;
    llmres__sim_enter(s);
    rc = llmres__sim_recv_now(s, id, buf, len, timeout_ms);
    llmres__sim_leave(s);
    return rc;
}

static void llmres__sim_close(void *ctx, int id) {
    llmres_sim_t *s = (llmres_sim_t *)ctx;
    llmres_sim_conn_t *c;
    llmres__sim_enter(s);
    c = llmres__sim_conn(s, id);
    if (c) c->open = 0;
    llmres__sim_leave(s);
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
