/* libFuzzer target for the whole client: llmres_call_step (up to 4 calls at once, one
   worker each, the first one maybe through the blocking llmres_call) or the dispatcher (llmres_dispatch_step over up to 4 slots and 8 jobs:
   submits, cancels, resubmits from on_done, a shutdown), on a fake millisecond clock
   (near the 32-bit wrap if the input says so), against a transport whose behaviour comes
   from the input: whether open fails and how (at once or while connecting in steps),
   how much each send and recv moves, stalls, EOF, resets, and the bytes of the answers
   (status lines, headers, bodies, SSE, cut anywhere). Asserted after every run:
   - every call (job) ends exactly once, by its deadline in virtual time (plus the time
     other calls' blocking I/O held the loop: a transport that does not connect in steps
     blocks, as documented), and no open, send or recv is made for it after its end, at
     or after its deadline, or with a timeout that reaches past it;
   - connections: none used after close, none closed twice, none left open at the end;
     an API key never sent to another provider's host, never in a message or a log;
   - results: a known error and class, the text NUL-terminated within text_cap, the
     streamed pieces equal the final text, retry_in_ms only when shed;
   - counters: calls = the sum of by_class (+ calls given up with llmres_call_abort),
     successes = by_class[ok] = the calls that ended OK = answered_by + cache hits, the
     attempts of the results = attempts_by_class + resends, nothing left in flight; the
     dispatcher's submitted = completed + expired + displaced + cancelled + shed;
   - the statistics export is valid JSON; a snapshot restores.
   Input: 12 header bytes (below), a 2-byte length, that many control bytes (each
   transport operation and some driver decisions take one; when they run out, every
   operation succeeds whole), then the bytes the servers send, read in order by every
   connection. Build: clang -fsanitize=fuzzer,address,undefined. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "json_check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { fprintf(stderr, "fuzz_client: "); fprintf(stderr, __VA_ARGS__); \
    fprintf(stderr, " (now %u)\n", now); abort(); } while (0)
#define NW 4            /* workers: calls at once, or dispatcher slots */
#define NJOBS 8
#define NCONN 256       /* opens per run; more are refused with NO_SLOT */

static const uint8_t *ctl, *srv;
static size_t ctl_len, ctl_at, srv_len, srv_at;
static uint32_t now, blocked_total, blocked[NW];
static uint8_t hdr[12];
static int async_open, dispatch_mode;

static int trace = -1; /* FUZZ_TRACE=1: say what happens (to replay a crash) */
#define TRACE(...) do { if (trace) { fprintf(stderr, "%10u ", now); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static int next_ctl(int dflt) { return ctl_at < ctl_len ? ctl[ctl_at++] : dflt; }

/* ---- who owns each worker: a call, or the dispatcher's running job ---- */
typedef struct call_slot {
    llmres_call_t call;
    llmres_call_state_t st;
    llmres_result_t res;
    char text[4096];
    char pieces[8192];
    size_t plen;
    uint32_t start_at, deadline, wake, steps, abort_after, blocked_at;
    int started, done, aborted;
} call_slot_t;

static llmres_client_t client;
static llmres_worker_t worker[NW];
static llmres_dispatch_t disp;
static llmres_stats_t stats;
static call_slot_t calls[NW];
static llmres_job_t jobs[NJOBS];
static struct { uint32_t submit_at, began, deadline, blocked_at, submitted, notified, resubmit; char text[512]; } jx[NJOBS];
static call_slot_t jslot[NJOBS]; /* a streamed job's pieces */
static llmres_provider_t chain[2];
static const char *const keys[2] = {"sk-fuzz-key-zero-0000", "sk-fuzz-key-one-11111"};
static char statbuf[32768];

/* The deadline of the call or job running on worker w; fails when there is none. */
static uint32_t owner_deadline(int w, const char *what) {
    if (dispatch_mode) {
        const llmres_job_t *j = disp.running[w];
        if (!j || j->state != LLMRES_JOB_RUNNING) FAIL("%s on worker %d with no job running", what, w);
        return j->st.deadline;
    }
    if (!calls[w].started || calls[w].done || calls[w].aborted) FAIL("%s on worker %d after its call ended", what, w);
    return calls[w].deadline;
}

/* I/O for worker w at now, allowed to wait timeout: never at or past the deadline. */
static void check_io(int w, uint32_t timeout, const char *what) {
    uint32_t dl = owner_deadline(w, what);
    if ((int32_t)(now - dl) >= 0) FAIL("%s at or after the deadline %u", what, dl);
    if (timeout > dl - now) FAIL("%s with a timeout of %u ms past the deadline %u", what, timeout, dl);
}

/* Time passing inside the transport: other calls lose it. */
static void io_wait(int w, uint32_t ms) {
    now += ms;
    blocked_total += ms;
    blocked[w] += ms;
}

/* ---- the transport: one per worker (ctx), TLS-shaped so that each worker has its own ---- */
typedef struct fconn {
    uint8_t open, used, dns, worker;
    uint32_t ready_at, stall_until;
    int fail;            /* a connect that fails later, in steps */
    char host[16];
} fconn_t;
static fconn_t conns[NCONN];
static int nconns;
static int wctx[NW] = {0, 1, 2, 3};

static fconn_t *conn_of(void *ctx, int id, const char *what) {
    int w = *(int *)ctx;
    if (id < 0 || id >= nconns || !conns[id].open) FAIL("%s on connection %d, not open", what, id);
    if (conns[id].worker != w) FAIL("%s on worker %d's connection by worker %d", what, conns[id].worker, w);
    return &conns[id];
}

static int t_open(void *ctx, const char *host, uint16_t tcp_port, uint32_t timeout_ms) {
    int w = *(int *)ctx, b, kind;
    static const int errs[7] = {LLMRES_ERR_DNS, LLMRES_ERR_CONNECT, LLMRES_ERR_TIMEOUT, LLMRES_ERR_TLS,
                                LLMRES_ERR_CERT, LLMRES_ERR_NO_SLOT, LLMRES_ERR_LINK_DOWN};
    fconn_t *k;
    (void)tcp_port;
    TRACE("w%d open %s timeout %u", w, host, timeout_ms);
    check_io(w, timeout_ms, "open");
    if (async_open && timeout_ms) FAIL("open given %u ms on a transport that connects in steps", timeout_ms);
    b = next_ctl(0);
    kind = b & 15;
    if (nconns == NCONN) return LLMRES_ERR_NO_SLOT;
    if (kind >= 8 && kind <= 14 && !(async_open && (b & 128))) { /* fails at once */
        int e = errs[kind - 8];
        if (e == LLMRES_ERR_TIMEOUT) io_wait(w, timeout_ms);
        else io_wait(w, (uint32_t)(b >> 4) * timeout_ms / 16u);
        return e == LLMRES_ERR_TIMEOUT && async_open ? LLMRES_ERR_CONNECT : e;
    }
    k = &conns[nconns];
    memset(k, 0, sizeof(*k));
    k->open = 1;
    k->worker = (uint8_t)w;
    snprintf(k->host, sizeof(k->host), "%s", host);
    if (async_open) { /* connects in steps: up in (b >> 4) * 37 ms, or fails then */
        k->ready_at = now + (uint32_t)((b >> 4) & 7) * 37u;
        k->dns = (uint8_t)(b & 16);
        if (kind >= 8 && kind <= 14) k->fail = errs[kind - 8] == LLMRES_ERR_TIMEOUT ? LLMRES_ERR_CONNECT : errs[kind - 8];
    } else if (kind == 15) {
        io_wait(w, (uint32_t)(b >> 4) * timeout_ms / 16u); /* a slow connect */
    }
    return nconns++;
}

/* A connection still coming up: 0 (nothing moved, after waiting), its failure, or 1 up. */
static int t_connecting(fconn_t *k, int w, uint32_t timeout_ms) {
    if ((int32_t)(now - k->ready_at) < 0) {
        uint32_t left = k->ready_at - now;
        io_wait(w, left < timeout_ms ? left : timeout_ms);
        if ((int32_t)(now - k->ready_at) < 0) return 0;
    }
    k->dns = 0;
    return k->fail ? k->fail : 1;
}

static int t_resolving(void *ctx, int id) {
    fconn_t *k = conn_of(ctx, id, "resolving");
    return k->dns && (int32_t)(now - k->ready_at) < 0;
}

static int t_send(void *ctx, int id, const void *buf, size_t len, uint32_t timeout_ms) {
    int w = *(int *)ctx, b, p;
    uint32_t until = now + timeout_ms; /* every wait inside comes out of the one timeout */
    fconn_t *k = conn_of(ctx, id, "send");
    TRACE("w%d send %d: %zu bytes, timeout %u", w, id, len, timeout_ms);
    check_io(w, timeout_ms, "send");
    if (!len) FAIL("send of 0 bytes");
    for (p = 0; p < 2; p++) /* a key goes to its own provider's host only */
        if (chain[p].api_key && strcmp(chain[p].host, k->host) != 0 &&
            (!chain[1 - p].api_key || strcmp(chain[1 - p].api_key, chain[p].api_key)) &&
            len >= strlen(keys[p]) && memmem(buf, len, keys[p], strlen(keys[p])))
            FAIL("provider %d's key sent to %s", p, k->host);
    if (async_open && (b = t_connecting(k, w, timeout_ms)) != 1) return b;
    b = next_ctl(0);
    switch (b & 7) {
    case 4: return (int)(len > 1 ? len / 2 : len);          /* a partial send */
    case 5: io_wait(w, until - now); return 0;              /* the peer's window is shut */
    case 6: return LLMRES_ERR_IO;
    case 7: return b & 8 ? LLMRES_ERR_CLOSED : LLMRES_ERR_TLS;
    default: return (int)(len > 0x7FFFFFFF ? 0x7FFFFFFF : len);
    }
}

static int t_recv(void *ctx, int id, void *buf, size_t len, uint32_t timeout_ms) {
    int w = *(int *)ctx, b;
    uint32_t until = now + timeout_ms;
    size_t n;
    fconn_t *k = conn_of(ctx, id, "recv");
    TRACE("w%d recv %d: timeout %u", w, id, timeout_ms);
    check_io(w, timeout_ms, "recv");
    if (async_open && (b = t_connecting(k, w, timeout_ms)) != 1) return b;
    if ((int32_t)(now - k->stall_until) < 0) { /* nothing comes for a while */
        uint32_t left = k->stall_until - now;
        io_wait(w, left < until - now ? left : until - now);
        if ((int32_t)(now - k->stall_until) < 0) return 0;
    }
    b = next_ctl(0xFF);
    switch (b >> 5) {
    case 0: case 1: n = (size_t)(b & 31) + 1u; break;         /* a few bytes */
    case 2: case 3: n = ((size_t)(b & 31) + 1u) * 32u; break; /* a segment */
    case 4: /* a stall of up to 16 s: wait as long as asked, then nothing */
        k->stall_until = now + (1u << ((b & 15) > 14 ? 14 : (b & 15)));
        io_wait(w, k->stall_until - now < until - now ? k->stall_until - now : until - now);
        return 0;
    case 5: return LLMRES_ERR_CLOSED;
    case 6: return b & 1 ? LLMRES_ERR_IO : LLMRES_ERR_TLS;
    default: n = len; break;
    }
    if (srv_at == srv_len) return LLMRES_ERR_CLOSED; /* the servers have said everything */
    if (n > len) n = len;
    if (n > srv_len - srv_at) n = srv_len - srv_at;
    memcpy(buf, srv + srv_at, n);
    srv_at += n;
    return (int)n;
}

static void t_close(void *ctx, int id) {
    fconn_t *k = conn_of(ctx, id, "close");
    k->open = 0;
}

/* Whether s holds an API key of the chain (keys not in use are no secret). */
static int has_key(const char *s) {
    uint32_t p;
    for (p = 0; p < client.providers; p++)
        if (client.provider[p].api_key && strstr(s, client.provider[p].api_key)) return 1;
    return 0;
}

static uint32_t p_now(void *ctx) { (void)ctx; return now; }
static void p_sleep(void *ctx, uint32_t ms) { (void)ctx; now += ms; }
static int p_entropy(void *ctx, void *buf, size_t len) { (void)ctx; memset(buf, hdr[7], len); return 0; }
static void p_log(void *ctx, int level, const char *msg) {
    (void)ctx; (void)level;
    if (has_key(msg)) FAIL("a key in the log: %s", msg);
}
static int tcp_open(void *ctx, const char *h, uint16_t p, uint32_t t) { (void)ctx; (void)h; (void)p; (void)t; FAIL("plain TCP used"); }
static int tcp_io(void *ctx, int id, const void *b, size_t l, uint32_t t) { (void)ctx; (void)id; (void)b; (void)l; (void)t; FAIL("plain TCP used"); }
static int tcp_recv(void *ctx, int id, void *b, size_t l, uint32_t t) { (void)ctx; (void)id; (void)b; (void)l; (void)t; FAIL("plain TCP used"); }
static void tcp_close(void *ctx, int id) { (void)ctx; (void)id; FAIL("plain TCP used"); }

static llmres_port_t port;
static llmres_transport_t tls[NW];

/* ---- checks on one result ---- */
static void gather(void *user, const char *t, size_t n) {
    call_slot_t *s = (call_slot_t *)user;
    if (!t) { if (n) FAIL("on_text(NULL, %zu)", n); s->plen = 0; return; }
    if (!n) FAIL("on_text with 0 bytes");
    if (s->plen + n <= sizeof(s->pieces)) memcpy(s->pieces + s->plen, t, n);
    s->plen += n;
}

/* slack: time other calls' blocking I/O took since this one began (its end may be told late) */
static void check_result(const llmres_result_t *r, const llmres_call_t *call, const call_slot_t *s, uint32_t started,
                         uint32_t slack) {
    if (r->error > 0 || r->error < LLMRES_ERR_BAD_SNAPSHOT) FAIL("error %d", r->error);
    if (r->cls < 0 || r->cls >= LLMRES_CLASSES) FAIL("class %d", r->cls);
    if (r->provider < -1 || r->provider >= (int)client.providers) FAIL("provider %d", r->provider);
    if (r->retry_in_ms && r->error != LLMRES_ERR_LIMITED && r->error != LLMRES_ERR_OPEN) FAIL("retry_in_ms with error %d", r->error);
    if (r->elapsed_ms > now - started || r->elapsed_ms + slack < now - started)
        FAIL("elapsed %u, not %u (slack %u)", r->elapsed_ms, now - started, slack);
    if (memchr(r->message, 0, sizeof(r->message)) == NULL) FAIL("message not terminated");
    if (has_key(r->message)) FAIL("a key in the message: %s", r->message);
    if (r->error == LLMRES_OK) {
        if (r->cls != LLMRES_CLASS_OK) FAIL("OK with class %d", r->cls);
        if (r->text_len >= call->text_cap || call->text[r->text_len] != 0) FAIL("text_len %zu of %zu", r->text_len, call->text_cap);
        if (s && call->on_text && s->plen <= sizeof(s->pieces) &&
            (s->plen != r->text_len || memcmp(s->pieces, call->text, s->plen) != 0))
            FAIL("streamed %zu bytes, the text has %zu", s->plen, r->text_len);
    } else if (r->cls == LLMRES_CLASS_OK) {
        FAIL("error %d with class ok", r->error);
    }
}

/* ---- setup from the header ---- */
static const char *const prompts[4] = {"hello", "Say \"hi\"\n\t\\ caf\xc3\xa9", "hello", "a longer prompt about alarms"};

static int setup(void) {
    llmres_config_t cfg;
    static const uint32_t rps[4] = {0, 500, 2000, 50000};
    static const uint32_t tpm[4] = {0, 100, 5000, 1000000};
    static const uint32_t kay[4] = {1200, 0, 100, 3000};
    int p, nprov = (hdr[0] >> 4) & 3 ? 2 : 1;
    memset(&port, 0, sizeof(port));
    port.now_ms = p_now;
    port.sleep_ms = p_sleep;
    port.entropy = hdr[0] & 0x80 ? p_entropy : NULL;
    port.log = p_log;
    port.tcp.open = tcp_open; port.tcp.send = tcp_io; port.tcp.recv = tcp_recv; port.tcp.close = tcp_close;
    for (p = 0; p < NW; p++) {
        memset(&tls[p], 0, sizeof(tls[p]));
        tls[p].ctx = &wctx[p];
        tls[p].open = t_open; tls[p].send = t_send; tls[p].recv = t_recv; tls[p].close = t_close;
        tls[p].flags = async_open ? LLMRES_TRANSPORT_ASYNC_OPEN : 0u;
        tls[p].resolving = async_open ? t_resolving : NULL;
    }
    memset(chain, 0, sizeof(chain));
    for (p = 0; p < 2; p++) {
        chain[p].format = (hdr[1] >> (2 * p)) & 3;
        chain[p].host = hdr[1] & 16 ? "one.fuzz" : p ? "p1.fuzz" : "p0.fuzz"; /* one host: shared keep-alive */
        chain[p].tls = 1;
        chain[p].api_key = p == 0 || (hdr[1] & 32) ? keys[p] : NULL;
        chain[p].model = p ? "model-b" : "model-a";
    }
    llmres_config_defaults(&cfg);
    cfg.max_retries = hdr[2] & 7;
    cfg.backoff_base_ms = 4u << ((hdr[2] >> 3) & 7);
    cfg.timeout_ms = (100u << (hdr[3] & 7)) + (uint32_t)(hdr[3] >> 3) * 37u;
    cfg.attempt_timeout_ms = 50u << (hdr[4] & 7);
    cfg.max_concurrent = (hdr[5] & 3) + 1u;
    cfg.rps_milli = rps[(hdr[5] >> 2) & 3];
    cfg.breaker_failures = ((hdr[5] >> 4) & 3) + 1u;
    cfg.breaker_timeout_ms = 200u << ((hdr[8] >> 4) & 3);
    if (hdr[5] & 64) cfg.shed_wait_ms = 100;
    if (hdr[5] & 128) cfg.retry_budget_pct = 0;
    cfg.tokens_per_minute = tpm[hdr[8] & 3];
    cfg.throttle_k_milli = kay[(hdr[8] >> 2) & 3];
    cfg.overload_window_ms = 1000u << ((hdr[8] >> 6) & 3);
    cfg.max_queue = ((hdr[6] >> 2) & 7) + 1u;
    cfg.cache = hdr[0] & 64 ? LLMRES_CACHE_DETERMINISTIC : LLMRES_CACHE_OFF;
    now = hdr[9] & 1 ? 0xFFFFFFFFu - (uint32_t)hdr[7] * 97u : (uint32_t)hdr[7] * 123457u;
    if (llmres_client_init(&client, &port, &tls[0], &cfg, chain, (uint32_t)nprov) != LLMRES_OK) FAIL("client_init");
    if (hdr[0] & 8 && llmres_client_stats(&client, &stats) != LLMRES_OK) FAIL("stats");
    for (p = 0; p < NW; p++)
        if (llmres_worker_init(&worker[p], &client, &tls[p]) != LLMRES_OK) FAIL("worker_init");
    return nprov;
}

static void fill_call(llmres_call_t *call, int i, char *text, size_t cap, call_slot_t *s) {
    static const size_t caps[8] = {1, 2, 8, 16, 64, 256, 1024, 4096};
    size_t c = caps[(hdr[4] >> 5) & 7];
    llmres_call_init(call, prompts[hdr[1] & 64 ? 0 : i & 3], text, c < cap ? c : cap);
    call->temperature_milli = hdr[0] & 64 ? 0 : 700;
    call->max_tokens = hdr[1] & 64 ? 10u : (uint32_t)i * 10u; /* identical calls may share an attempt */
    if (i & 1 && !(hdr[1] & 64)) call->system = "be brief";
    call->timeout_ms = i == 2 ? 0 : (100u << (hdr[3] & 7)) + (uint32_t)i * 53u;
    if (hdr[0] & 4) { call->on_text = gather; call->user = s; }
}

/* ---- the end of a run: counters and connections ---- */
static void check_client(uint32_t sum_attempts, uint32_t oks, uint32_t aborted, uint32_t aborted_recv) {
    uint32_t k, by = 0, abc = 0, ans = 0;
    size_t need = 0;
    for (k = 0; k < LLMRES_CLASSES; k++) { by += client.by_class[k]; abc += client.attempts_by_class[k]; }
    for (k = 0; k < client.providers; k++) {
        ans += client.answered_by[k];
        /* (other states keep a stale count: entering half-open starts it again) */
        if (client.breaker[k].in_flight && client.breaker[k].state == LLMRES_BREAKER_HALF_OPEN)
            FAIL("breaker %u: %u probes in flight in state %d", k, client.breaker[k].in_flight, client.breaker[k].state);
    }
    if (client.in_flight) FAIL("%u attempts still in flight", client.in_flight);
    if (client.calls != by + aborted) FAIL("calls %u, by_class %u, aborted %u", client.calls, by, aborted);
    if (client.successes != client.by_class[LLMRES_CLASS_OK] || client.successes != oks)
        FAIL("successes %u, by_class[ok] %u, ended OK %u", client.successes, client.by_class[LLMRES_CLASS_OK], oks);
    if (client.successes != ans + client.cache_hits)
        FAIL("successes %u, answered %u, cache hits %u", client.successes, ans, client.cache_hits);
    if (sum_attempts != abc + client.resends) FAIL("results' attempts %u, by class %u + resends %u", sum_attempts, abc, client.resends);
    if (client.attempts != sum_attempts + aborted_recv)
        FAIL("attempts %u, results' %u + given up in flight %u", client.attempts, sum_attempts, aborted_recv);
    for (k = 0; k < NW; k++) llmres_worker_close(&worker[k]);
    for (k = 0; k < (uint32_t)nconns; k++) if (conns[k].open) FAIL("connection %u left open", k);
    if (client.stats) {
        int n = llmres_stats_json(&client, statbuf, sizeof(statbuf), &need);
        if (n < 0 || (size_t)n >= sizeof(statbuf) || !jc_check(statbuf, (size_t)n, 1)) FAIL("stats JSON (%d)", n);
        n = llmres_stats_prometheus(&client, statbuf, sizeof(statbuf), &need);
        if (n < 0) FAIL("prometheus (%d)", n);
        llmres_health(&client, -1, NULL);
        llmres_stats_tick(&client);
    }
    {
        uint8_t snap[LLMRES_SNAPSHOT_MAX];
        int n = llmres_client_snapshot(&client, snap, sizeof(snap), NULL);
        if (n <= 0 || llmres_client_restore(&client, snap, (size_t)n, hdr[10]) != LLMRES_OK) FAIL("snapshot (%d)", n);
    }
}

/* An operator's hand, once, at a time the header gives: a breaker reset, forced open or
   closed, or the overload state cleared (hdr[2] bit 7). */
static uint32_t control_at;
static int control_armed;
static void control(void) {
    int p = (hdr[10] >> 2) & 1 ? 0 : -1, action = hdr[10] & 3;
    if (!control_armed || (int32_t)(now - control_at) < 0) return;
    control_armed = 0;
    if ((action == 3 ? llmres_client_overload_clear(&client, p) : llmres_client_breaker(&client, p, action)) != LLMRES_OK)
        FAIL("a manual control refused");
}

/* ---- mode 1: calls stepped by hand, one worker each ---- */
static void run_calls(void) {
    int ncalls = ((hdr[1] >> 6) & 1) + 1 + ((hdr[6] >> 6) & 3), i, guard;
    uint32_t sum_attempts = 0, oks = 0, aborted = 0, aborted_recv = 0;
    static const uint32_t io[4] = {0, 10, 100, 1000};
    if (ncalls > NW) ncalls = NW;
    for (i = 0; i < ncalls; i++) {
        call_slot_t *s = &calls[i];
        memset(s, 0, sizeof(*s));
        fill_call(&s->call, i, s->text, sizeof(s->text), s);
        s->start_at = now + (uint32_t)i * (uint32_t)(hdr[11] & 15) * 13u;
        s->wake = s->start_at;
        s->st.io_wait_ms = io[(hdr[4] >> 3) & 3];
        s->abort_after = (hdr[11] >> 4) == 0 || (hdr[11] >> 4 & 3) != i ? 0 : (uint32_t)(hdr[11] >> 6) * 3u + 1u;
    }
    if (hdr[9] & 2) { /* the first call through the blocking llmres_call, sleeping on the fake clock */
        call_slot_t *s = &calls[0];
        int rc;
        s->started = 1;
        s->deadline = now + (s->call.timeout_ms ? s->call.timeout_ms : client.cfg.timeout_ms);
        rc = llmres_call(&client, &worker[0], &s->call, &s->res);
        s->done = 1;
        if (rc != s->res.error) FAIL("llmres_call returned %d, its result says %d", rc, s->res.error);
        if ((int32_t)(now - s->deadline) > 0) FAIL("llmres_call ended %d ms after its deadline", (int32_t)(now - s->deadline));
        check_result(&s->res, &s->call, s, s->deadline - (s->call.timeout_ms ? s->call.timeout_ms : client.cfg.timeout_ms), 0);
        sum_attempts += s->res.attempts;
        oks += s->res.error == LLMRES_OK;
    }
    for (guard = 0;; guard++) {
        call_slot_t *s = NULL;
        uint32_t wait = 0;
        int rc;
        for (i = 0; i < ncalls; i++) /* the earliest due */
            if (!calls[i].done && !calls[i].aborted && (!s || (int32_t)(calls[i].wake - s->wake) < 0)) s = &calls[i];
        if (!s) break;
        if (guard > 2000000) FAIL("calls still running after %d steps", guard);
        if ((int32_t)(s->wake - now) > 0) now = s->wake;
        control();
        i = (int)(s - calls);
        if (!s->started) {
            s->started = 1;
            s->deadline = now + (s->call.timeout_ms ? s->call.timeout_ms : client.cfg.timeout_ms);
            s->blocked_at = blocked_total - blocked[i];
        }
        if (s->abort_after && s->steps == s->abort_after) {
            aborted++;
            if (s->st.phase == LLMRES__CALL_RECV) aborted_recv++;
            llmres_call_abort(&client, &worker[i], &s->st);
            sum_attempts += s->res.attempts;
            s->aborted = 1;
            continue;
        }
        s->steps++;
        rc = llmres_call_step(&client, &worker[i], &s->call, &s->st, &s->res, &wait);
        TRACE("call %d step: rc %d wait %u phase %u deadline %u error %d", i, rc, wait, s->st.phase, s->st.deadline, s->res.error);
        if (s->st.deadline != s->deadline) FAIL("deadline %u, not %u", s->st.deadline, s->deadline);
        if (rc == LLMRES_CALL_WAIT) {
            if (!wait) FAIL("WAIT 0 ms: a busy loop");
            s->wake = now + wait;
            continue;
        }
        if (rc != LLMRES_CALL_DONE) FAIL("step returned %d", rc);
        s->done = 1;
        if ((int32_t)(now - s->deadline) > (int32_t)(blocked_total - blocked[i] - s->blocked_at))
            FAIL("call %d ended %d ms after its deadline", i, (int32_t)(now - s->deadline));
        check_result(&s->res, &s->call, s, s->deadline - (s->call.timeout_ms ? s->call.timeout_ms : client.cfg.timeout_ms), 0);
        sum_attempts += s->res.attempts;
        oks += s->res.error == LLMRES_OK;
    }
    check_client(sum_attempts, oks, aborted, aborted_recv);
}

/* ---- mode 2: the dispatcher ---- */
static uint32_t d_attempts, d_oks, d_dones;

static void on_done(llmres_job_t *job, void *user) {
    int j = (int)(job - jobs);
    (void)user;
    if (job->state != LLMRES_JOB_DONE) FAIL("on_done in state %d", job->state);
    if (jx[j].notified >= jx[j].submitted) FAIL("job %d: on_done %u times for %u submits", j, jx[j].notified + 1, jx[j].submitted);
    jx[j].notified++;
    if (job->st.deadline != jx[j].deadline) FAIL("job %d: deadline %u, not %u", j, job->st.deadline, jx[j].deadline);
    d_dones++;
    if ((int32_t)(now - jx[j].deadline) > (int32_t)(blocked_total - jx[j].blocked_at))
        FAIL("job %d ended %d ms after its deadline", j, (int32_t)(now - jx[j].deadline));
    check_result(&job->result, &job->call, &jslot[j], jx[j].began, blocked_total - jx[j].blocked_at);
    d_attempts += job->result.attempts;
    d_oks += job->result.error == LLMRES_OK;
    if (jx[j].resubmit && !disp.closed) { /* again, from inside on_done */
        jx[j].resubmit = 0;
        jslot[j].plen = 0;
        jx[j].began = now;
        jx[j].deadline = now + (job->call.timeout_ms ? job->call.timeout_ms : client.cfg.timeout_ms);
        jx[j].blocked_at = blocked_total;
        if (llmres_dispatch_submit(&disp, job) == LLMRES_OK) jx[j].submitted++;
    }
}

static void submit(int j) {
    int rc;
    jslot[j].plen = 0;
    jx[j].began = now;
    jx[j].deadline = now + (jobs[j].call.timeout_ms ? jobs[j].call.timeout_ms : client.cfg.timeout_ms);
    jx[j].blocked_at = blocked_total;
    rc = llmres_dispatch_submit(&disp, &jobs[j]);
    if (rc == LLMRES_OK) {
        jx[j].submitted++;
        if (llmres_dispatch_submit(&disp, &jobs[j]) != LLMRES_ERR_INVALID) FAIL("a job taken twice");
    } else if (disp.closed ? rc != LLMRES_ERR_SHUT_DOWN : rc != LLMRES_ERR_FULL) {
        FAIL("submit returned %d", rc);
    }
}

static void run_dispatch(void) {
    llmres_worker_t *ws[NW];
    int slots = (hdr[6] & 3) + 1, njobs = ((hdr[6] >> 5) & 7) + 1, j, guard, left = 1, pending = 1;
    uint32_t wait = 0, t0 = now, cancel_at, shut_at, by = 0, k;
    int armed[NJOBS], cancel_armed, shut_armed;
    for (j = 0; j < NW; j++) ws[j] = &worker[j];
    if (llmres_dispatch_init(&disp, &client, ws, (uint32_t)slots) != LLMRES_OK) FAIL("dispatch_init");
    memset(jobs, 0, sizeof(jobs));
    memset(jx, 0, sizeof(jx));
    for (j = 0; j < njobs; j++) {
        fill_call(&jobs[j].call, j, jx[j].text, sizeof(jx[j].text), &jslot[j]);
        jobs[j].priority = (uint8_t)((hdr[10] >> j) & 1 ? j % LLMRES_QUEUE_LEVELS : 0);
        jobs[j].on_done = on_done;
        jx[j].submit_at = t0 + (uint32_t)j * (uint32_t)(hdr[11] & 15) * 29u;
        jx[j].resubmit = (hdr[6] & 16) && j == 0;
    }
    cancel_at = t0 + (uint32_t)(hdr[11] >> 5) * 71u;
    cancel_armed = (hdr[11] & 16) != 0;
    shut_at = t0 + (uint32_t)(hdr[9] >> 1) * 97u;
    shut_armed = (hdr[6] & 4) != 0;
    for (j = 0; j < njobs; j++) armed[j] = 1;
    for (guard = 0; left || pending; guard++) { /* times as (armed, when): any value may be a time */
        uint32_t next = now + wait;
        int have = pending != 0;
        if (guard > 2000000) FAIL("the dispatcher still busy after %d steps", guard);
        left = 0;
        for (j = 0; j < njobs; j++) /* submits not yet made */
            if (armed[j]) {
                left = 1;
                if (!have || (int32_t)(jx[j].submit_at - next) < 0) next = jx[j].submit_at;
                have = 1;
            }
        if (cancel_armed && (!have || (int32_t)(cancel_at - next) < 0)) next = cancel_at, have = 1;
        if (shut_armed && (!have || (int32_t)(shut_at - next) < 0)) next = shut_at, have = 1;
        if (!have) break;
        if ((int32_t)(next - now) > 0) now = next;
        for (j = 0; j < njobs; j++)
            if (armed[j] && (int32_t)(now - jx[j].submit_at) >= 0) {
                armed[j] = 0;
                submit(j);
            }
        if (cancel_armed && (int32_t)(now - cancel_at) >= 0) {
            cancel_armed = 0;
            llmres_dispatch_cancel(&disp, &jobs[(hdr[11] >> 5) % njobs]);
        }
        if (shut_armed && (int32_t)(now - shut_at) >= 0) {
            shut_armed = 0;
            llmres_dispatch_shutdown(&disp);
            if (llmres_dispatch_submit(&disp, &jobs[0]) != LLMRES_ERR_SHUT_DOWN) FAIL("a submit after shutdown");
        }
        control();
        if (hdr[2] & 64) { /* a thread per slot, taken in turn */
            uint32_t w1, s1;
            wait = LLMRES_NEVER;
            for (s1 = 0; s1 < disp.slots; s1++) {
                pending = llmres_dispatch_step_slot(&disp, s1, &w1);
                if (pending < 0) FAIL("dispatch_step_slot returned %d", pending);
                if (w1 < wait) wait = w1;
            }
        } else {
            pending = llmres_dispatch_step(&disp, &wait);
        }
        TRACE("dispatch step: pending %d wait %u queued %u running %p %p", pending, wait, disp.queue.count,
              (void *)disp.running[0], (void *)disp.running[1]);
        if (pending < 0) FAIL("dispatch_step returned %d", pending);
        if (pending && wait == 0 && guard > 1000000) FAIL("a busy dispatcher");
        if (!pending) wait = 0;
        else if (wait == LLMRES_NEVER) FAIL("pending %d with no wake-up", pending);
    }
    for (j = 0; j < njobs; j++)
        if (jx[j].notified != jx[j].submitted) FAIL("job %d: %u submits, %u on_done", j, jx[j].submitted, jx[j].notified);
    for (j = 0; j < njobs; j++) by += jx[j].submitted;
    if (disp.submitted != by) FAIL("dispatcher submitted %u, taken %u", disp.submitted, by);
    if (disp.submitted != disp.completed + disp.expired + disp.displaced + disp.cancelled + disp.shed)
        FAIL("submitted %u != completed %u + expired %u + displaced %u + cancelled %u + shed %u", disp.submitted,
             disp.completed, disp.expired, disp.displaced, disp.cancelled, disp.shed);
    by = 0;
    for (k = 0; k < LLMRES_CLASSES; k++) by += client.attempts_by_class[k];
    /* a job given up while its answer was on its way counts an attempt its result does not */
    check_client(d_attempts, d_oks, 0, client.attempts - by - client.resends);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t n;
    if (size < sizeof(hdr) + 2) return 0;
    if (trace < 0) trace = getenv("FUZZ_TRACE") != NULL;
    memcpy(hdr, data, sizeof(hdr));
    n = (size_t)data[12] | (size_t)data[13] << 8;
    data += 14;
    size -= 14;
    ctl = data;
    ctl_len = n < size ? n : size;
    srv = data + ctl_len;
    srv_len = size - ctl_len;
    ctl_at = srv_at = 0;
    blocked_total = 0;
    memset(blocked, 0, sizeof(blocked));
    nconns = 0;
    d_attempts = d_oks = d_dones = 0;
    dispatch_mode = hdr[0] & 1;
    control_armed = (hdr[2] & 128) != 0;
    async_open = (hdr[0] >> 1) & 1;
    setup();
    control_at = now + (uint32_t)(hdr[10] >> 3) * 50u;
    if (dispatch_mode) run_dispatch();
    else run_calls();
    return 0;
}
