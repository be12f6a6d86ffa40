/* The pooled HTTP client (llmres_http_exchange) over a scripted fake port: no sockets,
   no threads, no real sleeping. The fake clock starts 1000 ms before the 32-bit wrap,
   so idle timeouts, LRU order and deadlines all cross it.

   The fake transport follows a script set per test: what each open() returns (a
   connection id or an error, and how much of its timeout it eats), and per connection
   a queue of receive events (bytes handed out in pieces of a set size, a timeout, a
   delay, an orderly close, a reset, an out-of-contract size) and how send behaves
   (accepts at most N bytes a call, fails once N bytes went out, stalls, oversize).
   Every call checks the I/O rule: an id that is open, a timeout within what is left of
   the exchange's budget; every open must be matched by exactly one close. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../test.h"
#include <string.h>

#define T0 (0xFFFFFFFFu - 1000u)
#define EAT_ALL 0xFFFFFFFFu /* open blocks for its whole timeout */

/* ---- the fake clock and the budget of the exchange in progress ---- */

static uint32_t g_now;
static int g_budget_on;
static uint32_t g_budget_end;
static int g_violations;
static uint32_t g_sleeps;

#define VIOLATION(msg) do { g_violations++; printf("  fake: %s (line %d)\n", (msg), __LINE__); } while (0)

static uint32_t p_now(void *ctx) { (void)ctx; return g_now; }
static void p_sleep(void *ctx, uint32_t ms) { (void)ctx; g_sleeps++; g_now += ms; }
static int p_entropy(void *ctx, void *buf, size_t len) { (void)ctx; memset(buf, 0x5A, len); return 0; }

/* ---- the fake transport ---- */

/* EV_EARLY: bytes the server sent before it was asked (leftovers of an earlier
   response). A real server's other bytes come only after a request, so a zero-timeout
   receive on an idle connection (the client's check before reusing it) sees only
   EV_EARLY bytes, the rest of a half-read event, a close or a reset. */
enum { EV_BYTES = 1, EV_TIMEOUT, EV_DELAY, EV_CLOSED, EV_RESET, EV_OVERSIZE, EV_EARLY };

typedef struct {
    int kind;
    const char *data;
    size_t len; /* bytes, or milliseconds for EV_DELAY */
} ev_t;

#define MAX_IDS 8
#define MAX_EVS 12
#define MAX_OPENS 8
#define SENT_CAP 2048

typedef struct {
    int open, ever_opened, closes;
    ev_t ev[MAX_EVS];
    int nev, cur;
    size_t off;             /* into the current event (bytes given, or ms waited) */
    char sent[SENT_CAP];
    size_t sent_len;
    int send_calls, recv_calls;
    size_t send_max;        /* most bytes one send accepts; 0: all it is given */
    size_t fail_at;         /* with fail_rc: send fails once this many bytes went out */
    int fail_rc;
    int send_stall;         /* send returns 0 after its whole timeout */
    int send_oversize;      /* send returns len + 1 */
} fconn_t;

typedef struct {
    int script[MAX_OPENS];  /* what each open() returns */
    uint32_t eat[MAX_OPENS];/* how long each open() blocks (capped at its timeout) */
    int nscript;
    int open_calls, opens, closes;
    char host[MAX_OPENS][LLMRES_MAX_HOST + 8];
    uint16_t port[MAX_OPENS];
    uint32_t open_timeout[MAX_OPENS];
    int close_order[16];
    int nclose;
    size_t piece;           /* most bytes one recv returns; 0: a whole event */
    int poll_ok;            /* a zero-timeout recv gets what is there (one fresh exchange polled) */
    long calls;             /* a guard against a client that loops */
    fconn_t c[MAX_IDS];
} fake_t;

static fake_t g_tcp, g_tls;
static llmres_port_t g_port;
static llmres_transport_t g_tls_tr;
static llmres_http_client_t g_cl;
static llmres_http_response_t g_resp;
static uint8_t g_body[256];
static size_t g_body_cap;
static uint32_t g_elapsed;

static int runaway(fake_t *f) {
    if (++f->calls <= 20000) return 0;
    if (f->calls == 20001) VIOLATION("runaway: over 20000 transport calls in one test");
    return 1;
}

static void check_budget(uint32_t timeout_ms) {
    int32_t left;
    if (!g_budget_on) return;
    left = (int32_t)(g_budget_end - g_now);
    if (left < 0 || timeout_ms > (uint32_t)left) VIOLATION("a call given more time than the exchange has left");
}

static fconn_t *conn_of(fake_t *f, int id) {
    if (id < 0 || id >= MAX_IDS || !f->c[id].open) return NULL;
    return &f->c[id];
}

static int f_open(void *ctx, const char *host, uint16_t p, uint32_t timeout_ms) {
    fake_t *f = (fake_t *)ctx;
    int i = f->open_calls++, rc;
    uint32_t eat;
    if (runaway(f)) return LLMRES_ERR_CONNECT;
    check_budget(timeout_ms);
    if (i >= MAX_OPENS) { VIOLATION("too many opens"); return LLMRES_ERR_CONNECT; }
    if (!host || strlen(host) >= sizeof(f->host[i])) { VIOLATION("open: bad host"); return LLMRES_ERR_DNS; }
    strcpy(f->host[i], host);
    f->port[i] = p;
    f->open_timeout[i] = timeout_ms;
    if (i >= f->nscript) { VIOLATION("an open the script did not expect"); return LLMRES_ERR_CONNECT; }
    eat = f->eat[i] < timeout_ms ? f->eat[i] : timeout_ms; /* never blocks past its timeout */
    g_now += eat;
    rc = f->script[i];
    if (rc >= 0) {
        if (rc >= MAX_IDS || f->c[rc].ever_opened) { VIOLATION("script reuses an id"); return LLMRES_ERR_CONNECT; }
        f->c[rc].open = f->c[rc].ever_opened = 1;
        f->opens++;
    }
    return rc;
}

static int f_send(void *ctx, int id, const void *buf, size_t len, uint32_t timeout_ms) {
    fake_t *f = (fake_t *)ctx;
    fconn_t *k = conn_of(f, id);
    size_t n = len;
    if (runaway(f)) return LLMRES_ERR_IO;
    if (!k) { VIOLATION("send on an id that is not open"); return LLMRES_ERR_IO; }
    if (!buf || !len) VIOLATION("send of nothing");
    check_budget(timeout_ms);
    k->send_calls++;
    if (k->fail_rc && k->sent_len >= k->fail_at) return k->fail_rc;
    if (k->send_stall) { g_now += timeout_ms; return 0; }
    if (k->send_oversize) return (int)len + 1;
    if (k->send_max && n > k->send_max) n = k->send_max;
    if (k->fail_rc && n > k->fail_at - k->sent_len) n = k->fail_at - k->sent_len;
    if (n > SENT_CAP - k->sent_len) { VIOLATION("sent more than the fake records"); return LLMRES_ERR_IO; }
    memcpy(k->sent + k->sent_len, buf, n);
    k->sent_len += n;
    return (int)n;
}

static int f_recv(void *ctx, int id, void *buf, size_t len, uint32_t timeout_ms) {
    fake_t *f = (fake_t *)ctx;
    fconn_t *k = conn_of(f, id);
    if (runaway(f)) return LLMRES_ERR_IO;
    if (!k) { VIOLATION("recv on an id that is not open"); return LLMRES_ERR_IO; }
    if (!buf || !len) VIOLATION("recv into nothing");
    check_budget(timeout_ms);
    k->recv_calls++;
    for (;;) {
        ev_t *e;
        size_t n;
        if (k->cur >= k->nev) { g_now += timeout_ms; return 0; } /* a silent server */
        e = &k->ev[k->cur];
        if (timeout_ms == 0 && k->off == 0 && !f->poll_ok &&
            (e->kind == EV_BYTES || e->kind == EV_TIMEOUT || e->kind == EV_DELAY))
            return 0; /* a poll: the server has not been asked yet */
        switch (e->kind) {
        case EV_EARLY:
        case EV_BYTES:
            n = e->len - k->off;
            if (f->piece && n > f->piece) n = f->piece;
            if (n > len) n = len;
            memcpy(buf, e->data + k->off, n);
            k->off += n;
            if (k->off == e->len) { k->cur++; k->off = 0; }
            return (int)n;
        case EV_TIMEOUT:
            k->cur++;
            g_now += timeout_ms;
            return 0;
        case EV_DELAY: /* the next event arrives after e->len ms */
            n = e->len - k->off;
            if (n > timeout_ms) { g_now += timeout_ms; k->off += timeout_ms; return 0; }
            g_now += (uint32_t)n;
            k->cur++;
            k->off = 0;
            continue;
        case EV_CLOSED: return LLMRES_ERR_CLOSED; /* stays closed */
        case EV_RESET: return LLMRES_ERR_IO;
        case EV_OVERSIZE: k->cur++; return (int)len + 1; /* writes nothing */
        default: VIOLATION("bad event"); return LLMRES_ERR_IO;
        }
    }
}

static void f_close(void *ctx, int id) {
    fake_t *f = (fake_t *)ctx;
    fconn_t *k = conn_of(f, id);
    if (!k) { VIOLATION("close of an id that is not open"); return; }
    k->open = 0;
    k->closes++;
    f->closes++;
    if (f->nclose < 16) f->close_order[f->nclose] = id;
    f->nclose++;
}

/* ---- script helpers ---- */

static void script_open(fake_t *f, int rc, uint32_t eat) {
    if (f->nscript >= MAX_OPENS) { VIOLATION("script: too many opens"); return; }
    f->script[f->nscript] = rc;
    f->eat[f->nscript] = eat;
    f->nscript++;
}

static void ev_n(fake_t *f, int id, int kind, const char *data, size_t len) {
    fconn_t *k = &f->c[id];
    if (k->nev >= MAX_EVS) { VIOLATION("script: too many events"); return; }
    k->ev[k->nev].kind = kind;
    k->ev[k->nev].data = data;
    k->ev[k->nev].len = len;
    k->nev++;
}
static void ev(fake_t *f, int id, int kind, const char *data) { ev_n(f, id, kind, data, data ? strlen(data) : 0); }
static void ev_delay(fake_t *f, int id, uint32_t ms) { ev_n(f, id, EV_DELAY, NULL, ms); }

static void init_transport(llmres_transport_t *t, fake_t *f) {
    t->ctx = f;
    t->open = f_open;
    t->send = f_send;
    t->recv = f_recv;
    t->close = f_close;
}

/* A fresh world: clock at T0, empty scripts, a client over the fake port (and the fake
   TLS transport when with_tls). */
static void setup(size_t piece, int with_tls) {
    memset(&g_tcp, 0, sizeof(g_tcp));
    memset(&g_tls, 0, sizeof(g_tls));
    g_tcp.piece = g_tls.piece = piece;
    g_now = T0;
    g_budget_on = 0;
    g_violations = 0;
    g_sleeps = 0;
    g_body_cap = sizeof(g_body);
    memset(&g_port, 0, sizeof(g_port));
    g_port.now_ms = p_now;
    g_port.sleep_ms = p_sleep;
    g_port.entropy = p_entropy;
    init_transport(&g_port.tcp, &g_tcp);
    init_transport(&g_tls_tr, &g_tls);
    CHECK_EQ(llmres_http_client_init(&g_cl, &g_port, with_tls ? &g_tls_tr : NULL), LLMRES_OK);
    CHECK_EQ(g_cl.idle_timeout_ms, 20000);
}

/* Closes the client; every open was closed exactly once, nothing broke the I/O rule. */
static void finish(void) {
    int i;
    llmres_http_client_close(&g_cl);
    CHECK_EQ(g_tcp.opens, g_tcp.closes);
    CHECK_EQ(g_tls.opens, g_tls.closes);
    for (i = 0; i < MAX_IDS; i++) {
        CHECK_EQ(g_tcp.c[i].open, 0);
        CHECK_EQ(g_tcp.c[i].closes, g_tcp.c[i].ever_opened);
        CHECK_EQ(g_tls.c[i].open, 0);
        CHECK_EQ(g_tls.c[i].closes, g_tls.c[i].ever_opened);
    }
    CHECK_EQ(g_violations, 0);
    CHECK_EQ(g_sleeps, 0); /* the client waits in the transport, never in sleep */
}

/* One exchange with a fresh response; checks it kept within its budget. */
static int xchg(const llmres_http_request_t *r, uint32_t timeout_ms) {
    uint32_t start = g_now;
    int rc;
    memset(g_body, 0, sizeof(g_body));
    llmres_http_response_init(&g_resp, g_body, g_body_cap, NULL, NULL, 0);
    /* the clock's signed comparisons reach 2^31 - 1 ms ahead at most */
    g_budget_end = g_now + (timeout_ms > 0x7FFFFFFFu ? 0x7FFFFFFFu : timeout_ms);
    g_budget_on = 1;
    rc = llmres_http_exchange(&g_cl, r, &g_resp, timeout_ms);
    g_budget_on = 0;
    g_elapsed = g_now - start;
    CHECK(g_elapsed <= timeout_ms);
    return rc;
}

static int body_is(const char *s) {
    size_t n = strlen(s);
    if (g_resp.body_len == n && memcmp(g_body, s, n) == 0) return 1;
    printf("  body: \"%.*s\" (%u bytes), wanted \"%s\"\n", (int)g_resp.body_len, (const char *)g_body,
           (unsigned)g_resp.body_len, s);
    return 0;
}

/* The bytes sent on a connection, all of them, are exactly s. */
static int sent_is(const fake_t *f, int id, const char *s) {
    const fconn_t *k = &f->c[id];
    size_t n = strlen(s);
    if (k->sent_len == n && memcmp(k->sent, s, n) == 0) return 1;
    printf("  sent on %d (%u bytes):\n[%.*s]\n  wanted (%u bytes):\n[%s]\n", id, (unsigned)k->sent_len,
           (int)k->sent_len, k->sent, (unsigned)n, s);
    return 0;
}

/* ---- requests and responses ---- */

static const llmres_http_header_t hdr_get[1] = {{"Authorization", "Bearer k"}};
static const llmres_http_header_t hdr_post[2] = {{"Authorization", "Bearer k"}, {"Content-Type", "application/json"}};
static const char post_body[] = "{\"q\":\"hello\"}";

static llmres_http_request_t get_req(const char *host, uint16_t p, int tls) {
    llmres_http_request_t r;
    memset(&r, 0, sizeof(r));
    r.method = "GET";
    r.host = host;
    r.port = p;
    r.tls = (uint8_t)tls;
    r.path = "/v1/models";
    r.headers = hdr_get;
    r.header_count = 1;
    return r;
}

static llmres_http_request_t post_req(const char *host, uint16_t p, int tls) {
    llmres_http_request_t r = get_req(host, p, tls);
    r.method = "POST";
    r.path = "/v1/chat";
    r.headers = hdr_post;
    r.header_count = 2;
    r.body = post_body;
    r.body_len = sizeof(post_body) - 1;
    return r;
}

#define GET_BYTES(hosthdr) "GET /v1/models HTTP/1.1\r\nHost: " hosthdr "\r\nAuthorization: Bearer k\r\n\r\n"
#define POST_HEAD(hosthdr) "POST /v1/chat HTTP/1.1\r\nHost: " hosthdr "\r\nAuthorization: Bearer k\r\n" \
    "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n"
#define POST_BYTES(hosthdr) POST_HEAD(hosthdr) "{\"q\":\"hello\"}"

#define HOST "api.example.com"
#define R_HELLO "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
#define R_WORLD "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nworld\r\n0\r\n\r\n"
#define R_ONE "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
#define R_TWO "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\ntwo"

static const size_t pieces[3] = {1, 7, 0};

/* ---- 1. GET on a fresh connection, then reuse ---- */

static void get_fresh_then_reused(void) {
    int pi;
    for (pi = 0; pi < 3; pi++) {
        llmres_http_request_t g = get_req(HOST, 0, 0), p = post_req(HOST, 0, 0);
        setup(pieces[pi], 0);
        script_open(&g_tcp, 3, 0);
        ev(&g_tcp, 3, EV_BYTES, R_HELLO);
        ev(&g_tcp, 3, EV_BYTES, R_WORLD);
        CHECK_EQ(xchg(&g, 5000), 200);
        CHECK_EQ(g_resp.status, 200);
        CHECK(body_is("hello"));
        CHECK(sent_is(&g_tcp, 3, GET_BYTES(HOST)));
        CHECK_EQ(g_tcp.open_calls, 1);
        CHECK(!strcmp(g_tcp.host[0], HOST));
        CHECK_EQ(g_tcp.port[0], 80);
        CHECK_EQ(g_tcp.open_timeout[0], 5000); /* the whole budget: nothing spent yet */
        CHECK_EQ(g_tcp.c[3].open, 1);          /* pooled */
        CHECK_EQ(g_tcp.closes, 0);
        /* read exactly up to the end of the response, not into the next one */
        CHECK_EQ(g_tcp.c[3].cur, 1);
        CHECK_EQ(g_tcp.c[3].off, 0);
        if (pieces[pi] == 1) CHECK_EQ(g_tcp.c[3].recv_calls, (int)strlen(R_HELLO));
        CHECK_EQ(g_cl.connects, 1);
        CHECK_EQ(g_cl.reuses, 0);
        CHECK_EQ(g_cl.requests, 1);
        CHECK_EQ(g_elapsed, 0);

        g_now += 1500; /* across the wrap */
        CHECK_EQ(xchg(&p, 5000), 200);
        CHECK(body_is("world"));
        CHECK(sent_is(&g_tcp, 3, GET_BYTES(HOST) POST_BYTES(HOST)));
        CHECK_EQ(g_tcp.open_calls, 1);
        CHECK_EQ(g_cl.connects, 1);
        CHECK_EQ(g_cl.reuses, 1);
        CHECK_EQ(g_cl.requests, 2);
        CHECK_EQ(g_cl.stale_retries, 0);
        CHECK_EQ(g_tcp.c[3].open, 1);
        finish();
        CHECK_EQ(g_tcp.c[3].closes, 1);
    }
}

/* Sends in pieces of 1 and 5 bytes: the client sends the rest until all went out. */
static void partial_sends(void) {
    static const size_t maxes[2] = {1, 5};
    int i;
    for (i = 0; i < 2; i++) {
        llmres_http_request_t p = post_req(HOST, 8080, 0);
        size_t head = strlen(POST_HEAD(HOST ":8080")), bl = sizeof(post_body) - 1;
        setup(7, 0);
        script_open(&g_tcp, 2, 0);
        g_tcp.c[2].send_max = maxes[i];
        ev(&g_tcp, 2, EV_BYTES, R_ONE);
        CHECK_EQ(xchg(&p, 5000), 200);
        CHECK(body_is("one"));
        CHECK(sent_is(&g_tcp, 2, POST_BYTES(HOST ":8080")));
        CHECK_EQ(g_tcp.c[2].send_calls, (int)((head + maxes[i] - 1) / maxes[i] + (bl + maxes[i] - 1) / maxes[i]));
        CHECK_EQ(g_tcp.port[0], 8080);
        finish();
    }
}

/* ---- 2. pool keys and LRU eviction ---- */

static void pool_keys_and_lru_across_wrap(void) {
    llmres_http_request_t a80 = get_req("a.example", 0, 0), a8080 = get_req("a.example", 8080, 0);
    llmres_http_request_t b = get_req("b.example", 0, 0), a80tls = get_req("a.example", 80, 1);
    setup(7, 1);
    script_open(&g_tcp, 3, 0);
    script_open(&g_tcp, 4, 0);
    script_open(&g_tcp, 5, 0);
    script_open(&g_tls, 1, 0);
    ev(&g_tcp, 3, EV_BYTES, R_ONE);
    ev(&g_tcp, 3, EV_BYTES, R_TWO);
    ev(&g_tcp, 4, EV_BYTES, R_ONE);
    ev(&g_tcp, 5, EV_BYTES, R_HELLO);
    ev(&g_tls, 1, EV_BYTES, R_WORLD);

    CHECK_EQ(xchg(&a80, 1000), 200);             /* T0: conn 3 */
    g_now += 400;
    CHECK_EQ(xchg(&a8080, 1000), 200);           /* T0+400: another port, conn 4 */
    CHECK_EQ(g_tcp.open_calls, 2);
    CHECK_EQ(g_tcp.port[1], 8080);
    CHECK(sent_is(&g_tcp, 4, GET_BYTES("a.example:8080")));
    g_now += 400;
    CHECK_EQ(xchg(&a80, 1000), 201);             /* T0+800: conn 3 again, now the newer */
    CHECK(body_is("two"));
    CHECK_EQ(g_tcp.open_calls, 2);
    CHECK_EQ(g_cl.reuses, 1);
    g_now += 400;                                /* T0+1200: past the wrap */
    CHECK_EQ(xchg(&b, 1000), 200);               /* a third host: evicts conn 4, the LRU */
    CHECK(body_is("hello"));
    CHECK_EQ(g_tcp.open_calls, 3);
    CHECK(!strcmp(g_tcp.host[2], "b.example"));
    CHECK_EQ(g_tcp.closes, 1);
    CHECK_EQ(g_tcp.close_order[0], 4);
    CHECK_EQ(g_tcp.c[3].open, 1);
    CHECK_EQ(g_tcp.c[5].open, 1);
    g_now += 400;
    /* Same host and port, tls flag set: a new connection over the TLS transport. The LRU
       is conn 3 (last used at T0+800, before the wrap), not conn 5 (T0+1200, after). */
    CHECK_EQ(xchg(&a80tls, 1000), 200);
    CHECK(body_is("world"));
    CHECK_EQ(g_tls.open_calls, 1);
    CHECK_EQ(g_tls.port[0], 80);
    CHECK(!strcmp(g_tls.host[0], "a.example"));
    CHECK(sent_is(&g_tls, 1, GET_BYTES("a.example:80")));
    CHECK_EQ(g_tcp.open_calls, 3);
    CHECK_EQ(g_tcp.closes, 2);
    CHECK_EQ(g_tcp.close_order[1], 3);
    CHECK_EQ(g_tcp.c[5].open, 1);
    CHECK_EQ(g_cl.connects, 4);
    CHECK_EQ(g_cl.requests, 5);
    finish();
}

/* ---- 3. a stale keep-alive connection: one fresh try ---- */

/* when 0: the server dropped the connection while it was idle, so the client's check
   before reuse finds it and nothing is sent on it; when 1: the server drops it as the
   request arrives, so the request went out, failed, and is sent again once. */
static void stale_keepalive_retried_once(void) {
    static const int kinds[2] = {EV_CLOSED, EV_RESET};
    int ki, pi, on_request;
    for (on_request = 0; on_request < 2; on_request++)
    for (ki = 0; ki < 2; ki++) for (pi = 0; pi < 3; pi++) {
        llmres_http_request_t g = get_req(HOST, 0, 0), p = post_req(HOST, 0, 0);
        setup(pieces[pi], 0);
        script_open(&g_tcp, 3, 0);
        script_open(&g_tcp, 4, 0);
        ev(&g_tcp, 3, EV_BYTES, R_ONE);
        if (on_request) ev_delay(&g_tcp, 3, 1);
        ev(&g_tcp, 3, kinds[ki], NULL);
        ev(&g_tcp, 4, EV_BYTES, R_TWO);
        ev(&g_tcp, 4, EV_BYTES, R_HELLO);
        CHECK_EQ(xchg(&g, 5000), 200);
        g_now += 1000;
        CHECK_EQ(xchg(&p, 5000), 201);
        CHECK(body_is("two"));
        CHECK_EQ(g_cl.stale_retries, 1);
        CHECK_EQ(g_cl.connects, 2);
        CHECK_EQ(g_cl.reuses, on_request);
        CHECK_EQ(g_cl.requests, 2);
        CHECK_EQ(g_tcp.open_calls, 2);
        CHECK_EQ(g_tcp.c[3].open, 0);
        CHECK_EQ(g_tcp.c[3].closes, 1);
        if (on_request) CHECK(sent_is(&g_tcp, 3, GET_BYTES(HOST) POST_BYTES(HOST)));
        else CHECK(sent_is(&g_tcp, 3, GET_BYTES(HOST)));   /* nothing sent on a dead connection */
        CHECK(sent_is(&g_tcp, 4, POST_BYTES(HOST)));  /* the whole request, body too */
        CHECK_EQ(g_tcp.c[4].open, 1);
        /* the new connection is pooled and reused */
        g_now += 1000;
        CHECK_EQ(xchg(&g, 5000), 200);
        CHECK(body_is("hello"));
        CHECK_EQ(g_tcp.open_calls, 2);
        CHECK_EQ(g_cl.reuses, on_request + 1);
        CHECK_EQ(g_cl.stale_retries, 1);
        finish();
    }
}

/* The fresh connection fails too: no third try. A fresh connection that fails at once
   is not retried at all. */
static void stale_retry_not_repeated(void) {
    static const int first[4] = {EV_CLOSED, EV_RESET, EV_CLOSED, EV_RESET};
    static const int second[4] = {EV_CLOSED, EV_RESET, EV_RESET, EV_CLOSED};
    llmres_http_request_t g = get_req(HOST, 0, 0);
    int i;
    for (i = 0; i < 4; i++) {
        setup(7, 0);
        script_open(&g_tcp, 3, 0);
        script_open(&g_tcp, 4, 0);
        ev(&g_tcp, 3, EV_BYTES, R_ONE);
        ev(&g_tcp, 3, first[i], NULL);
        ev(&g_tcp, 4, second[i], NULL);
        CHECK_EQ(xchg(&g, 5000), 200);
        CHECK_EQ(xchg(&g, 5000), second[i] == EV_CLOSED ? LLMRES_ERR_CLOSED : LLMRES_ERR_IO);
        CHECK_EQ(g_tcp.open_calls, 2);
        CHECK_EQ(g_cl.stale_retries, 1);
        CHECK_EQ(g_tcp.c[3].open, 0);
        CHECK_EQ(g_tcp.c[4].open, 0);
        CHECK(sent_is(&g_tcp, 4, GET_BYTES(HOST)));
        finish();
    }
    for (i = 0; i < 2; i++) {
        setup(0, 0);
        script_open(&g_tcp, 3, 0);
        ev(&g_tcp, 3, first[i], NULL);
        CHECK_EQ(xchg(&g, 5000), first[i] == EV_CLOSED ? LLMRES_ERR_CLOSED : LLMRES_ERR_IO);
        CHECK_EQ(g_tcp.open_calls, 1);
        CHECK_EQ(g_cl.stale_retries, 0);
        CHECK_EQ(g_tcp.c[3].open, 0);
        finish();
    }
}

/* ---- 4. no retry once a response has started ---- */

static void no_retry_after_response_bytes(void) {
    static const char *const partial[3] = {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel", "H",
                                           "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel"};
    static const int end[3] = {EV_CLOSED, EV_CLOSED, EV_RESET};
    static const int want[3] = {LLMRES_ERR_TRUNCATED, LLMRES_ERR_TRUNCATED, LLMRES_ERR_IO};
    llmres_http_request_t g = get_req(HOST, 0, 0), p = post_req(HOST, 0, 0);
    int i, pi;
    for (i = 0; i < 3; i++) for (pi = 0; pi < 3; pi++) {
        setup(pieces[pi], 0);
        script_open(&g_tcp, 3, 0);
        script_open(&g_tcp, 4, 0); /* there if the client wrongly retries */
        ev(&g_tcp, 3, EV_BYTES, R_ONE);
        ev(&g_tcp, 3, EV_BYTES, partial[i]);
        ev(&g_tcp, 3, end[i], NULL);
        ev(&g_tcp, 4, EV_BYTES, R_TWO);
        CHECK_EQ(xchg(&g, 5000), 200);
        CHECK_EQ(xchg(&p, 5000), want[i]);
        CHECK_EQ(g_tcp.open_calls, 1);
        CHECK_EQ(g_cl.stale_retries, 0);
        CHECK_EQ(g_tcp.c[3].open, 0);
        CHECK_EQ(g_tcp.c[3].closes, 1);
        finish();
    }
}

/* ---- 5. a send failure on a reused connection: retried once ---- */

static void send_failure_on_reused_retried(void) {
    size_t gl = strlen(GET_BYTES(HOST)), ph = strlen(POST_HEAD(HOST));
    /* fail at the first byte, mid-head (after 10), mid-body (3 bytes of body out) */
    size_t fail_after[3];
    static const int rcs[2] = {LLMRES_ERR_IO, LLMRES_ERR_CLOSED};
    llmres_http_request_t g = get_req(HOST, 0, 0), p = post_req(HOST, 0, 0);
    int i, r;
    fail_after[0] = 0;
    fail_after[1] = 10;
    fail_after[2] = ph + 3;
    for (r = 0; r < 2; r++) for (i = 0; i < 3; i++) {
        setup(7, 0);
        script_open(&g_tcp, 3, 0);
        script_open(&g_tcp, 4, 0);
        ev(&g_tcp, 3, EV_BYTES, R_ONE);
        ev(&g_tcp, 3, EV_BYTES, R_HELLO); /* never read: the request does not get out */
        g_tcp.c[3].fail_rc = rcs[r];
        g_tcp.c[3].fail_at = gl + fail_after[i];
        g_tcp.c[3].send_max = 10;
        ev(&g_tcp, 4, EV_BYTES, R_TWO);
        CHECK_EQ(xchg(&g, 5000), 200);
        CHECK_EQ(xchg(&p, 5000), 201);
        CHECK(body_is("two"));
        CHECK_EQ(g_cl.stale_retries, 1);
        CHECK_EQ(g_tcp.open_calls, 2);
        CHECK_EQ(g_tcp.c[3].open, 0);
        /* the reads of the first response, the check before reuse, none after the failure */
        CHECK_EQ(g_tcp.c[3].recv_calls, (int)((strlen(R_ONE) + 6) / 7) + 1);
        CHECK_EQ(g_tcp.c[3].sent_len, gl + fail_after[i]);
        CHECK(sent_is(&g_tcp, 4, POST_BYTES(HOST)));
        CHECK_EQ(g_tcp.c[4].open, 1);
        finish();
    }
    /* a fresh connection whose send fails: no retry */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    script_open(&g_tcp, 4, 0);
    g_tcp.c[3].fail_rc = LLMRES_ERR_IO;
    g_tcp.c[3].fail_at = 5;
    ev(&g_tcp, 4, EV_BYTES, R_TWO);
    CHECK_EQ(xchg(&p, 5000), LLMRES_ERR_IO);
    CHECK_EQ(g_tcp.open_calls, 1);
    CHECK_EQ(g_tcp.c[3].open, 0);
    finish();
    /* the retry's send fails too: no third try */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    script_open(&g_tcp, 4, 0);
    ev(&g_tcp, 3, EV_BYTES, R_ONE);
    g_tcp.c[3].fail_rc = LLMRES_ERR_IO;
    g_tcp.c[3].fail_at = gl;
    g_tcp.c[4].fail_rc = LLMRES_ERR_IO;
    g_tcp.c[4].fail_at = 0;
    CHECK_EQ(xchg(&g, 5000), 200);
    CHECK_EQ(xchg(&g, 5000), LLMRES_ERR_IO);
    CHECK_EQ(g_tcp.open_calls, 2);
    CHECK_EQ(g_cl.stale_retries, 1);
    finish();
}

/* ---- 6. timeouts: never past the budget ---- */

static void timeout_silent_server(void) {
    llmres_http_request_t g = get_req(HOST, 0, 0);
    /* fresh connection, no answer at all */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    CHECK_EQ(xchg(&g, 5000), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(g_elapsed, 5000);
    CHECK_EQ(g_tcp.c[3].open, 0);
    CHECK(sent_is(&g_tcp, 3, GET_BYTES(HOST)));
    finish();
    /* a reused connection that goes silent: no retry (the request may have been served) */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    script_open(&g_tcp, 4, 0);
    ev(&g_tcp, 3, EV_BYTES, R_ONE);
    ev(&g_tcp, 4, EV_BYTES, R_TWO);
    CHECK_EQ(xchg(&g, 5000), 200);
    CHECK_EQ(xchg(&g, 3000), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(g_elapsed, 3000);
    CHECK_EQ(g_tcp.open_calls, 1);
    CHECK_EQ(g_cl.stale_retries, 0);
    CHECK_EQ(g_tcp.c[3].open, 0);
    finish();
    /* part of a response, a timeout event, then nothing: the budget runs out */
    setup(1, 0);
    script_open(&g_tcp, 3, 0);
    ev(&g_tcp, 3, EV_BYTES, "HTTP/1.1 200 OK\r\nContent-Le");
    ev(&g_tcp, 3, EV_TIMEOUT, NULL);
    CHECK_EQ(xchg(&g, 2500), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(g_elapsed, 2500);
    CHECK_EQ(g_tcp.c[3].open, 0);
    finish();
    /* LLMRES_NEVER: a long wait (it cannot outlast the clock's half range), then TIMEOUT */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    script_open(&g_tcp, 4, 0);
    ev(&g_tcp, 4, EV_BYTES, R_ONE);
    CHECK_EQ(xchg(&g, LLMRES_NEVER), LLMRES_ERR_TIMEOUT);
    CHECK(g_elapsed >= 24u * 86400000u);
    CHECK_EQ(g_tcp.c[3].open, 0);
    CHECK_EQ(xchg(&g, LLMRES_NEVER), 200);
    finish();
}

static void timeout_slow_server(void) {
    llmres_http_request_t g = get_req(HOST, 0, 0);
    /* the answer comes in two parts, 1500 ms and 2000 ms late: within 5000 */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    ev_delay(&g_tcp, 3, 1500);
    ev(&g_tcp, 3, EV_BYTES, "HTTP/1.1 200 OK\r\nContent-Len");
    ev_delay(&g_tcp, 3, 2000);
    ev(&g_tcp, 3, EV_BYTES, "gth: 2\r\n\r\nok");
    CHECK_EQ(xchg(&g, 5000), 200);
    CHECK(body_is("ok"));
    CHECK_EQ(g_elapsed, 3500);
    CHECK_EQ(g_tcp.c[3].open, 1);
    finish();
    /* the rest would come 6000 ms late: TIMEOUT after exactly 5000 */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    ev_delay(&g_tcp, 3, 1000);
    ev(&g_tcp, 3, EV_BYTES, "HTTP/1.1 200 OK\r\nContent-Len");
    ev_delay(&g_tcp, 3, 6000);
    ev(&g_tcp, 3, EV_BYTES, "gth: 2\r\n\r\nok");
    CHECK_EQ(xchg(&g, 5000), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(g_elapsed, 5000);
    CHECK_EQ(g_tcp.c[3].open, 0);
    finish();
}

static void timeout_in_connect_and_send(void) {
    llmres_http_request_t g = get_req(HOST, 0, 0), p = post_req(HOST, 0, 0);
    /* connect eats the whole budget and gives up */
    setup(7, 0);
    script_open(&g_tcp, LLMRES_ERR_TIMEOUT, EAT_ALL);
    CHECK_EQ(xchg(&g, 4000), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(g_elapsed, 4000);
    CHECK_EQ(g_tcp.open_timeout[0], 4000);
    CHECK_EQ(g_tcp.opens, 0);
    finish();
    /* connect succeeds just as the budget runs out: nothing sent, the connection closed */
    setup(7, 0);
    script_open(&g_tcp, 3, EAT_ALL);
    CHECK_EQ(xchg(&g, 4000), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(g_elapsed, 4000);
    CHECK_EQ(g_tcp.c[3].send_calls, 0);
    CHECK_EQ(g_tcp.c[3].open, 0);
    finish();
    /* connect eats 3000 of 4000; the server needs 2000: recv is given 1000 at most */
    setup(7, 0);
    script_open(&g_tcp, 3, 3000);
    ev_delay(&g_tcp, 3, 2000);
    ev(&g_tcp, 3, EV_BYTES, R_ONE);
    CHECK_EQ(xchg(&g, 4000), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(g_elapsed, 4000);
    CHECK_EQ(g_tcp.c[3].open, 0);
    finish();
    /* send stalls (the peer's window stays shut) */
    setup(7, 0);
    script_open(&g_tcp, 3, 100);
    g_tcp.c[3].send_stall = 1;
    CHECK_EQ(xchg(&p, 4000), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(g_elapsed, 4000);
    CHECK_EQ(g_tcp.c[3].open, 0);
    finish();
    /* a zero budget: TIMEOUT, nothing opened, no time spent */
    setup(7, 0);
    CHECK_EQ(xchg(&g, 0), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(g_elapsed, 0);
    CHECK_EQ(g_tcp.open_calls, 0);
    finish();
}

/* ---- 7. responses after which the connection is not reused ---- */

static void responses_that_close_the_connection(void) {
    static const char *const resp1[6] = {
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the peer closes",
        "HTTP/1.0 200 OK\r\n\r\nold style",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
        "HTTP/1.1 200 OK\r\n\r\ncut by a reset"};
    static const int closes_after[6] = {0, 0, 1, 1, 0, 2}; /* 1: then "closed", 2: then "reset" */
    static const int want[6] = {200, 200, 200, 200, LLMRES_ERR_TOO_LARGE, LLMRES_ERR_IO};
    static const char *const want_body[6] = {"ok", "ok", "until the peer closes", "old style", NULL, NULL};
    llmres_http_request_t g = get_req(HOST, 0, 0);
    int i, pi;
    for (i = 0; i < 6; i++) for (pi = 0; pi < 3; pi++) {
        setup(pieces[pi], 0);
        script_open(&g_tcp, 3, 0);
        script_open(&g_tcp, 4, 0);
        ev(&g_tcp, 3, EV_BYTES, resp1[i]);
        if (closes_after[i]) ev(&g_tcp, 3, closes_after[i] == 1 ? EV_CLOSED : EV_RESET, NULL);
        ev(&g_tcp, 3, EV_BYTES, R_TWO); /* never read: a reuse would find it */
        ev(&g_tcp, 4, EV_BYTES, R_ONE);
        if (want[i] == LLMRES_ERR_TOO_LARGE) g_body_cap = 4;
        CHECK_EQ(xchg(&g, 5000), want[i]);
        if (want_body[i]) CHECK(body_is(want_body[i]));
        CHECK_EQ(g_tcp.c[3].open, 0);
        CHECK_EQ(g_tcp.c[3].closes, 1);
        g_body_cap = sizeof(g_body);
        CHECK_EQ(xchg(&g, 5000), 200);
        CHECK(body_is("one"));
        CHECK_EQ(g_tcp.open_calls, 2);
        CHECK_EQ(g_cl.connects, 2);
        CHECK_EQ(g_cl.reuses, 0);
        CHECK_EQ(g_cl.stale_retries, 0);
        finish();
    }
    /* the control: HTTP/1.0 with keep-alive and a length is reused */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    ev(&g_tcp, 3, EV_BYTES, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok");
    ev(&g_tcp, 3, EV_BYTES, R_TWO);
    CHECK_EQ(xchg(&g, 5000), 200);
    CHECK_EQ(g_tcp.c[3].open, 1);
    CHECK_EQ(xchg(&g, 5000), 201);
    CHECK_EQ(g_tcp.open_calls, 1);
    CHECK_EQ(g_cl.reuses, 1);
    finish();
}

/* ---- 8. TLS ---- */

static void https_without_tls_transport(void) {
    llmres_http_request_t s = get_req(HOST, 0, 1);
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    CHECK_EQ(xchg(&s, 5000), LLMRES_ERR_NO_TLS);
    CHECK_EQ(g_tcp.open_calls, 0); /* never a plaintext fallback */
    CHECK_EQ(g_tls.open_calls, 0);
    s.port = 80;
    CHECK_EQ(xchg(&s, 5000), LLMRES_ERR_NO_TLS);
    CHECK_EQ(g_tcp.open_calls, 0);
    finish();
}

static void https_uses_the_tls_transport(void) {
    llmres_http_request_t s = get_req(HOST, 0, 1), h = get_req(HOST, 0, 0), s8443 = post_req("b.example", 8443, 1);
    setup(7, 1);
    script_open(&g_tls, 5, 0);
    script_open(&g_tls, 6, 0);
    script_open(&g_tcp, 5, 0);
    ev(&g_tls, 5, EV_BYTES, R_ONE);
    ev(&g_tls, 5, EV_BYTES, R_TWO);
    ev(&g_tls, 6, EV_BYTES, R_HELLO);
    ev(&g_tcp, 5, EV_BYTES, R_WORLD);
    CHECK_EQ(xchg(&s, 5000), 200);
    CHECK_EQ(g_tls.open_calls, 1);
    CHECK_EQ(g_tcp.open_calls, 0);
    CHECK_EQ(g_tls.port[0], 443);
    CHECK(!strcmp(g_tls.host[0], HOST));
    CHECK(sent_is(&g_tls, 5, GET_BYTES(HOST)));
    /* plain http to the same host: the port's TCP, port 80, its own connection */
    CHECK_EQ(xchg(&h, 5000), 200);
    CHECK(body_is("world"));
    CHECK_EQ(g_tcp.open_calls, 1);
    CHECK_EQ(g_tcp.port[0], 80);
    CHECK(sent_is(&g_tcp, 5, GET_BYTES(HOST)));
    CHECK(sent_is(&g_tls, 5, GET_BYTES(HOST))); /* nothing more on the TLS one */
    g_now += 100;
    /* https again: the pooled TLS connection */
    CHECK_EQ(xchg(&s, 5000), 201);
    CHECK(body_is("two"));
    CHECK_EQ(g_tls.open_calls, 1);
    CHECK_EQ(g_cl.reuses, 1);
    g_now += 100;
    /* https on another port and host: evicts the plain connection (the LRU) */
    CHECK_EQ(xchg(&s8443, 5000), 200);
    CHECK(body_is("hello"));
    CHECK_EQ(g_tls.open_calls, 2);
    CHECK_EQ(g_tls.port[1], 8443);
    CHECK(sent_is(&g_tls, 6, POST_BYTES("b.example:8443")));
    CHECK_EQ(g_tcp.closes, 1);
    CHECK_EQ(g_tls.closes, 0);
    finish();
    CHECK_EQ(g_tls.closes, 2);
}

/* ---- 9. idle timeout ---- */

static void idle_connection_not_reused(void) {
    llmres_http_request_t g = get_req(HOST, 0, 0);
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    script_open(&g_tcp, 4, 0);
    script_open(&g_tcp, 5, 0);
    ev(&g_tcp, 3, EV_BYTES, R_ONE);
    ev(&g_tcp, 3, EV_BYTES, R_TWO);
    ev(&g_tcp, 3, EV_BYTES, R_HELLO); /* never read: conn 3 is retired as idle */
    ev(&g_tcp, 4, EV_BYTES, R_HELLO);
    ev(&g_tcp, 4, EV_BYTES, R_TWO);
    ev(&g_tcp, 5, EV_BYTES, R_ONE);
    CHECK_EQ(xchg(&g, 5000), 200);
    g_now += 19999; /* across the wrap, just under the idle timeout */
    CHECK_EQ(xchg(&g, 5000), 201);
    CHECK_EQ(g_cl.reuses, 1);
    CHECK_EQ(g_tcp.open_calls, 1);
    g_now += 20000; /* idle exactly the timeout */
    CHECK_EQ(xchg(&g, 5000), 200);
    CHECK(body_is("hello"));
    CHECK_EQ(g_tcp.open_calls, 2);
    CHECK_EQ(g_tcp.c[3].open, 0);
    CHECK_EQ(g_tcp.c[3].closes, 1);
    CHECK_EQ(g_tcp.c[4].open, 1);
    CHECK_EQ(g_cl.connects, 2);
    CHECK_EQ(g_cl.reuses, 1);
    CHECK_EQ(g_cl.stale_retries, 0);
    /* a shorter idle timeout set by the caller */
    g_cl.idle_timeout_ms = 500;
    g_now += 499;
    CHECK_EQ(xchg(&g, 5000), 201);
    CHECK_EQ(g_tcp.open_calls, 2);
    g_now += 500;
    CHECK_EQ(xchg(&g, 5000), 200);
    CHECK_EQ(g_tcp.open_calls, 3);
    CHECK_EQ(g_tcp.c[4].open, 0);
    finish();
}

/* ---- 10. open errors ---- */

static void open_errors_returned_as_they_are(void) {
    static const int errs[5] = {LLMRES_ERR_DNS, LLMRES_ERR_CONNECT, LLMRES_ERR_FULL, LLMRES_ERR_TLS, LLMRES_ERR_CERT};
    llmres_http_request_t g = get_req(HOST, 0, 0), s = get_req(HOST, 0, 1);
    int i;
    for (i = 0; i < 5; i++) {
        int tls = errs[i] == LLMRES_ERR_TLS || errs[i] == LLMRES_ERR_CERT;
        fake_t *f = tls ? &g_tls : &g_tcp;
        setup(7, 1);
        script_open(f, errs[i], 300);
        script_open(f, 3, 0);
        ev(f, 3, EV_BYTES, R_ONE);
        CHECK_EQ(xchg(tls ? &s : &g, 5000), errs[i]);
        CHECK_EQ(f->open_calls, 1);
        CHECK_EQ(f->opens, 0);
        CHECK_EQ(f->closes, 0);
        CHECK_EQ(g_cl.connects, 0);
        /* the next request opens afresh and works */
        CHECK_EQ(xchg(tls ? &s : &g, 5000), 200);
        CHECK_EQ(f->open_calls, 2);
        finish();
    }
    /* the pool is full, the third host does not resolve: nothing left half-open */
    {
        llmres_http_request_t a = get_req("a.example", 0, 0), b = get_req("b.example", 0, 0),
                              c = get_req("c.example", 0, 0);
        setup(7, 0);
        script_open(&g_tcp, 1, 0);
        script_open(&g_tcp, 2, 0);
        script_open(&g_tcp, LLMRES_ERR_DNS, 0);
        script_open(&g_tcp, 3, 0);
        ev(&g_tcp, 1, EV_BYTES, R_ONE);
        ev(&g_tcp, 2, EV_BYTES, R_ONE);
        ev(&g_tcp, 2, EV_BYTES, R_TWO);
        ev(&g_tcp, 3, EV_BYTES, R_HELLO);
        CHECK_EQ(xchg(&a, 5000), 200);
        g_now += 10;
        CHECK_EQ(xchg(&b, 5000), 200);
        g_now += 10;
        CHECK_EQ(xchg(&c, 5000), LLMRES_ERR_DNS);
        g_now += 10;
        CHECK_EQ(xchg(&b, 5000), 201); /* b's connection survived */
        CHECK_EQ(g_tcp.open_calls, 3);
        CHECK_EQ(xchg(&c, 5000), 200);
        CHECK_EQ(g_tcp.open_calls, 4);
        finish();
    }
    /* the stale retry's open fails: that error is returned */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    script_open(&g_tcp, LLMRES_ERR_CONNECT, 0);
    ev(&g_tcp, 3, EV_BYTES, R_ONE);
    ev(&g_tcp, 3, EV_CLOSED, NULL);
    CHECK_EQ(xchg(&g, 5000), 200);
    CHECK_EQ(xchg(&g, 5000), LLMRES_ERR_CONNECT);
    CHECK_EQ(g_tcp.open_calls, 2);
    CHECK_EQ(g_cl.stale_retries, 1);
    finish();
}

/* ---- 11. a transport out of contract ---- */

static void transport_out_of_contract(void) {
    llmres_http_request_t g = get_req(HOST, 0, 0), p = post_req(HOST, 0, 0);
    /* send says it moved more than it was given */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    g_tcp.c[3].send_oversize = 1;
    CHECK_EQ(xchg(&p, 5000), LLMRES_ERR_IO);
    CHECK_EQ(g_tcp.c[3].send_calls, 1);
    CHECK_EQ(g_tcp.c[3].open, 0);
    CHECK_EQ(g_tcp.open_calls, 1);
    finish();
    /* recv says it moved more than the buffer holds: at once, and mid-response */
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    ev(&g_tcp, 3, EV_OVERSIZE, NULL);
    CHECK_EQ(xchg(&g, 5000), LLMRES_ERR_IO);
    CHECK_EQ(g_tcp.c[3].open, 0);
    CHECK_EQ(g_tcp.open_calls, 1);
    finish();
    setup(7, 0);
    script_open(&g_tcp, 3, 0);
    ev(&g_tcp, 3, EV_BYTES, "HTTP/1.1 200 OK\r\n");
    ev(&g_tcp, 3, EV_OVERSIZE, NULL);
    CHECK_EQ(xchg(&g, 5000), LLMRES_ERR_IO);
    CHECK_EQ(g_tcp.c[3].open, 0);
    finish();
}

/* ---- 12. bytes after the end of a response ---- */
/* Only bytes that arrive in the same recv as the response's end can be seen: in 1-byte
   pieces the leftover response stays in the socket and the next request on the reused
   connection reads it (reported, not tested here). */

static void bytes_after_the_response(void) {
    static const size_t ps[2] = {0, 7};
    llmres_http_request_t g = get_req(HOST, 0, 0);
    int pi;
    CHECK(strlen(R_ONE) % 7 != 0); /* in 7-byte pieces the end falls inside a piece */
    for (pi = 0; pi < 2; pi++) {
        setup(ps[pi], 0);
        script_open(&g_tcp, 3, 0);
        script_open(&g_tcp, 4, 0);
        ev(&g_tcp, 3, EV_BYTES, R_ONE R_TWO); /* two responses at once */
        ev(&g_tcp, 4, EV_BYTES, R_HELLO);
        CHECK_EQ(xchg(&g, 5000), 200);
        CHECK(body_is("one"));
        CHECK(g_resp.flags & LLMRES_HTTP_CLOSE);
        CHECK_EQ(g_tcp.c[3].open, 0);
        CHECK_EQ(xchg(&g, 5000), 200);  /* not the leftover 201 */
        CHECK(body_is("hello"));
        CHECK_EQ(g_tcp.open_calls, 2);
        CHECK_EQ(g_cl.reuses, 0);
        finish();
    }
}

/* ---- 13. bad arguments ---- */

static void bad_arguments(void) {
    llmres_http_request_t g = get_req(HOST, 0, 0), r;
    llmres_http_client_t other;
    llmres_port_t bad;
    llmres_transport_t badtls;
    char host63[LLMRES_MAX_HOST + 1];
    static const llmres_http_header_t inject[1] = {{"X-A", "b\r\nX-Evil: 1"}};
    int i;
    setup(7, 1);
    CHECK_EQ(llmres_http_client_init_sized(NULL, &g_port, NULL, sizeof(llmres_http_client_t)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_http_client_init(&other, NULL, NULL), LLMRES_ERR_INVALID);
    for (i = 0; i < 5; i++) {
        bad = g_port;
        if (i == 0) bad.tcp.open = NULL;
        if (i == 1) bad.tcp.send = NULL;
        if (i == 2) bad.tcp.recv = NULL;
        if (i == 3) bad.tcp.close = NULL;
        if (i == 4) bad.now_ms = NULL;
        CHECK_EQ(llmres_http_client_init(&other, &bad, NULL), LLMRES_ERR_INVALID);
    }
    badtls = g_tls_tr;
    badtls.recv = NULL;
    CHECK_EQ(llmres_http_client_init(&other, &g_port, &badtls), LLMRES_ERR_INVALID);
    /* lock, unlock, log may be NULL (setup leaves them so) */
    CHECK_EQ(llmres_http_client_init(&other, &g_port, &g_tls_tr), LLMRES_OK);

    llmres_http_response_init(&g_resp, g_body, sizeof(g_body), NULL, NULL, 0);
    CHECK_EQ(llmres_http_exchange(NULL, &g, &g_resp, 5000), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_http_exchange(&g_cl, NULL, &g_resp, 5000), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_http_exchange(&g_cl, &g, NULL, 5000), LLMRES_ERR_INVALID);
    memset(&other, 0, sizeof(other)); /* never initialised: no port */
    CHECK_EQ(llmres_http_exchange(&other, &g, &g_resp, 5000), LLMRES_ERR_INVALID);
    r = g; r.host = NULL;
    CHECK_EQ(xchg(&r, 5000), LLMRES_ERR_INVALID);
    r = g; r.host = "";
    CHECK_EQ(xchg(&r, 5000), LLMRES_ERR_INVALID);
    r = g; r.method = NULL;
    CHECK_EQ(xchg(&r, 5000), LLMRES_ERR_INVALID);
    r = g; r.path = NULL;
    CHECK_EQ(xchg(&r, 5000), LLMRES_ERR_INVALID);
    r = g; r.headers = inject;
    CHECK_EQ(xchg(&r, 5000), LLMRES_ERR_INVALID);
    r = g; r.body = NULL; r.body_len = 4;
    CHECK_EQ(xchg(&r, 5000), LLMRES_ERR_INVALID);
    /* a host of LLMRES_MAX_HOST chars is refused, over TCP and TLS */
    memset(host63, 'h', sizeof(host63));
    host63[LLMRES_MAX_HOST] = 0;
    r = g; r.host = host63;
    CHECK_EQ(xchg(&r, 5000), LLMRES_ERR_INVALID);
    r.tls = 1;
    CHECK_EQ(xchg(&r, 5000), LLMRES_ERR_INVALID);
    CHECK_EQ(g_tcp.open_calls, 0);
    CHECK_EQ(g_tls.open_calls, 0);
    /* LLMRES_MAX_HOST - 1 chars is fine, and pooled under its full name */
    host63[LLMRES_MAX_HOST - 1] = 0;
    r = g; r.host = host63;
    script_open(&g_tcp, 3, 0);
    ev(&g_tcp, 3, EV_BYTES, R_ONE);
    ev(&g_tcp, 3, EV_BYTES, R_TWO);
    CHECK_EQ(xchg(&r, 5000), 200);
    CHECK(!strcmp(g_tcp.host[0], host63));
    CHECK_EQ(xchg(&r, 5000), 201);
    CHECK_EQ(g_tcp.open_calls, 1);
    llmres_http_client_close(NULL); /* harmless */
    finish();
    llmres_http_client_close(&g_cl); /* twice: nothing closed again */
    CHECK_EQ(g_tcp.closes, 1);
    CHECK_EQ(g_violations, 0);
}


/* The server sent a second, unasked response that arrives only after the first one
   was complete (a later read): the check before reuse finds it, so the next request
   does not take it as its answer. */
static void leftover_bytes_in_a_later_read_are_not_the_answer(void) {
    int pi;
    for (pi = 0; pi < 3; pi++) {
        llmres_http_request_t g = get_req(HOST, 0, 0);
        setup(pieces[pi], 0);
        script_open(&g_tcp, 3, 0);
        script_open(&g_tcp, 4, 0);
        ev(&g_tcp, 3, EV_BYTES, R_ONE);
        ev(&g_tcp, 3, EV_EARLY, R_TWO);
        ev(&g_tcp, 4, EV_BYTES, R_HELLO);
        CHECK_EQ(xchg(&g, 5000), 200);
        CHECK(body_is("one"));
        CHECK_EQ(xchg(&g, 5000), 200);
        CHECK(body_is("hello")); /* not the leftover "two" */
        CHECK_EQ(g_tcp.open_calls, 2);
        CHECK_EQ(g_tcp.c[3].open, 0);
        CHECK(sent_is(&g_tcp, 3, GET_BYTES(HOST)));
        finish();
    }
}

/* ---- the exchange in steps: begin, then poll ---- */

static int begin(const llmres_http_request_t *r, uint32_t timeout_ms) {
    memset(g_body, 0, sizeof(g_body));
    llmres_http_response_init(&g_resp, g_body, g_body_cap, NULL, NULL, 0);
    return llmres_http_begin(&g_cl, r, &g_resp, timeout_ms);
}

static void poll_never_blocks(void) {
    llmres_http_request_t r;
    uint32_t t;
    setup(0, 0);
    g_tcp.poll_ok = 1;
    script_open(&g_tcp, 3, 0);
    ev(&g_tcp, 3, EV_TIMEOUT, NULL); /* nothing there, twice */
    ev(&g_tcp, 3, EV_TIMEOUT, NULL);
    ev(&g_tcp, 3, EV_BYTES, R_HELLO);
    r = get_req("api.example", 80, 0);
    CHECK_EQ(begin(&r, 5000), LLMRES_OK);
    CHECK(sent_is(&g_tcp, 3, "GET /v1/models HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer k\r\n\r\n"));
    CHECK_EQ(begin(&r, 5000), LLMRES_ERR_INVALID); /* one exchange at a time */
    t = g_now;
    CHECK_EQ(llmres_http_poll(&g_cl, &g_resp, 0), 0);
    CHECK_EQ(llmres_http_poll(&g_cl, &g_resp, 0), 0);
    CHECK_EQ(g_now, t); /* not a millisecond spent waiting */
    CHECK_EQ(llmres_http_poll(&g_cl, &g_resp, 0), 200);
    CHECK(body_is("hello"));
    CHECK_EQ(llmres_http_poll(&g_cl, &g_resp, 0), LLMRES_ERR_INVALID); /* over */
    CHECK_EQ(g_cl.conn[0].open + g_cl.conn[1].open, 1); /* kept alive */
    finish();
}

static void poll_waits_at_most_what_it_is_given(void) {
    llmres_http_request_t r;
    int i, rc = 0;
    setup(0, 0);
    script_open(&g_tcp, 3, 0);
    ev_delay(&g_tcp, 3, 200);
    ev(&g_tcp, 3, EV_BYTES, R_HELLO);
    r = get_req("api.example", 80, 0);
    CHECK_EQ(begin(&r, 5000), LLMRES_OK);
    for (i = 0; i < 10 && rc == 0; i++) {
        uint32_t t = g_now;
        rc = llmres_http_poll(&g_cl, &g_resp, 50);
        CHECK(g_now - t <= 50);
    }
    CHECK_EQ(rc, 200);
    CHECK_EQ(i, 4); /* 200 ms in polls of 50 */
    CHECK(body_is("hello"));
    finish();
}

static void poll_keeps_the_deadline_and_abort_closes(void) {
    llmres_http_request_t r;
    uint32_t t;
    setup(0, 0);
    script_open(&g_tcp, 3, 0);
    script_open(&g_tcp, 4, 0);
    r = get_req("api.example", 80, 0);
    t = g_now;
    CHECK_EQ(begin(&r, 100), LLMRES_OK);          /* a silent server */
    CHECK_EQ(llmres_http_poll(&g_cl, &g_resp, 60), 0);
    CHECK_EQ(llmres_http_poll(&g_cl, &g_resp, 60), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(g_now - t, 100);                       /* the deadline, not the poll's 120 */
    CHECK_EQ(g_tcp.c[3].closes, 1);
    CHECK_EQ(begin(&r, 100), LLMRES_OK);
    llmres_http_abort(&g_cl);                       /* given up: closed, never reused */
    CHECK_EQ(g_tcp.c[4].closes, 1);
    CHECK_EQ(llmres_http_poll(&g_cl, &g_resp, 0), LLMRES_ERR_INVALID);
    llmres_http_abort(&g_cl);                       /* nothing in progress: nothing happens */
    llmres_http_abort(NULL);
    finish();
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(get_fresh_then_reused);
    RUN(partial_sends);
    RUN(pool_keys_and_lru_across_wrap);
    RUN(stale_keepalive_retried_once);
    RUN(stale_retry_not_repeated);
    RUN(no_retry_after_response_bytes);
    RUN(send_failure_on_reused_retried);
    RUN(timeout_silent_server);
    RUN(timeout_slow_server);
    RUN(timeout_in_connect_and_send);
    RUN(responses_that_close_the_connection);
    RUN(https_without_tls_transport);
    RUN(https_uses_the_tls_transport);
    RUN(idle_connection_not_reused);
    RUN(open_errors_returned_as_they_are);
    RUN(transport_out_of_contract);
    RUN(bytes_after_the_response);
    RUN(leftover_bytes_in_a_later_read_are_not_the_answer);
    RUN(bad_arguments);
    RUN(poll_never_blocks);
    RUN(poll_waits_at_most_what_it_is_given);
    RUN(poll_keeps_the_deadline_and_abort_closes);
    return T_DONE();
}
