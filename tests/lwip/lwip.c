/* llmres on the real lwIP stack (Debian's liblwip, 2.1.3, its Unix port): lwIP runs its
   own TCP/IP over a TAP device, tap0, inside a network namespace that tests/lwip/run.sh
   creates; on the other side of the TAP the kernel holds 10.77.0.1, where the mock LLM
   and the fault server listen; lwIP is 10.77.0.2; 10.77.0.99 answers nobody (its ARP goes
   unanswered, so a connect there stays in progress).
   The transport contract of port/llmres_lwip.h directly (a connect in steps, EOF, partial
   sends, close), then the client through mbedTLS over it: answers with keep-alive reuse,
   a retried overload, an open breaker, a stall and a reset, each ending by its deadline.
   Last, the superloop: one thread steps a dispatcher whose slots connect in steps.
   Environment (run.sh sets it): LLMRES_MOCK_PORT, LLMRES_BUSY_PORT, LLMRES_OUTAGE_PORT,
   LLMRES_FAULT_PORT (TLS), LLMRES_PLAIN_PORT (no TLS), LLMRES_CA_FILE. */
#define _POSIX_C_SOURCE 200809L /* not _DEFAULT_SOURCE: glibc's TCP_MSS would clash with lwIP's */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include <stdint.h>
#include <time.h>
#include "lwip/tcpip.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "lwip/dns.h"
#include "netif/tapif.h"
#include "../../port/llmres_lwip.h"
#include "../../port/llmres_mbedtls.h"
#include "../test.h"
#include "board.h"

/* The test's own clock, apart from lwIP's (which the port uses). */
static uint32_t now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

#define HOST "10.77.0.1"
#define DROPPED "10.77.0.99"
#define SLOTS 3

static llmres_port_t port;
static llmres_lwip_t lw;
static llmres_mbedtls_t tls[SLOTS];
static llmres_client_t client;
static llmres_worker_t workers[SLOTS];
static uint16_t mock_port, busy_port, outage_port, fault_port, plain_port;

static void set_link(int up) {
    LOCK_TCPIP_CORE();
    if (up) netif_set_link_up(&tap); else netif_set_link_down(&tap);
    UNLOCK_TCPIP_CORE();
}

/* ---- the transport contract, on lwIP ---- */

/* A connect to an address that drops everything: open(0) returns at once, send and
   recv give 0 within their own timeouts while it is in progress, close ends it. */
static void connect_in_steps_to_a_dropped_address(void) {
    const llmres_transport_t *t = &lw.transport;
    uint32_t t0 = now(), took, at_once;
    char b[8];
    int id = t->open(t->ctx, DROPPED, 80, 0), id2;
    at_once = took = now() - t0;
    CHECK(id >= 0);
    CHECK(took <= 20);
    CHECK(t->flags & LLMRES_TRANSPORT_ASYNC_OPEN);
    CHECK_EQ(t->send(t->ctx, id, "x", 1, 0), 0); /* a poll: in progress */
    t0 = now();
    CHECK_EQ(t->send(t->ctx, id, "x", 1, 200), 0); /* waits its 200 ms, no longer */
    took = now() - t0;
    CHECK(took >= 190 && took <= 300);
    t0 = now();
    CHECK_EQ(t->recv(t->ctx, id, b, sizeof(b), 100), 0);
    took = now() - t0;
    CHECK(took >= 90 && took <= 200);
    t->close(t->ctx, id); /* in the middle of the connect */
    t->close(t->ctx, id); /* again: nothing */
    CHECK_EQ(t->send(t->ctx, id, "x", 1, 0), LLMRES_ERR_INVALID);
    /* a blocking open honours its timeout */
    t0 = now();
    CHECK_EQ(t->open(t->ctx, DROPPED, 80, 300), LLMRES_ERR_TIMEOUT);
    took = now() - t0;
    CHECK(took >= 290 && took <= 400);
    /* the slot of the closed connection is reused; the stale id does not reach it */
    id2 = t->open(t->ctx, HOST, plain_port, 2000);
    CHECK(id2 >= 0);
    t->close(t->ctx, id);
    CHECK(t->send(t->ctx, id2, "G", 1, 1000) == 1);
    t->close(t->ctx, id2);
    printf("  open(0) to a dropped address returned in %u ms, open(300) in %u ms\n", (unsigned)at_once, (unsigned)took);
}

/* A refused connect is the connect's error, told by send within its timeout. */
static void refused_connect_and_link_down(void) {
    const llmres_transport_t *t = &lw.transport;
    uint32_t t0 = now();
    int id = t->open(t->ctx, HOST, 9, 0), rc = 0, i; /* nothing listens on port 9 */
    if (id >= 0) { /* the usual case; the RST may also beat open's own poll */
        for (i = 0; i < 50 && rc == 0; i++) rc = t->send(t->ctx, id, "x", 1, 20);
        CHECK_EQ(rc, LLMRES_ERR_CONNECT);
        CHECK(llmres_lwip_errno(&lw, id) != 0); /* kept in the connection */
        CHECK_EQ(t->recv(t->ctx, id, &rc, 1, 0), LLMRES_ERR_CONNECT); /* it stays failed */
        t->close(t->ctx, id);
    } else {
        CHECK_EQ(id, LLMRES_ERR_CONNECT);
    }
    CHECK(now() - t0 < 500);
    CHECK_EQ(t->open(t->ctx, HOST, 9, 1000), LLMRES_ERR_CONNECT); /* blocking: the same */
    /* no link: no route from this device, told at once */
    set_link(0);
    t0 = now();
    CHECK_EQ(t->open(t->ctx, HOST, plain_port, 0), LLMRES_ERR_LINK_DOWN);
    CHECK_EQ(t->open(t->ctx, HOST, plain_port, 1000), LLMRES_ERR_LINK_DOWN);
    CHECK(now() - t0 < 50);
    set_link(1);
    /* LWIP_DNS is 0 in Debian's build: a name is a DNS error, at once */
    CHECK_EQ(t->open(t->ctx, "mock.invalid", plain_port, 0), LLMRES_ERR_DNS);
    CHECK_EQ(t->open(t->ctx, "", plain_port, 0), LLMRES_ERR_INVALID);
}

/* EOF is LLMRES_ERR_CLOSED, never 0; a poll with nothing there is 0; send may be partial. */
static void eof_timeout_and_partial_send(void) {
    static const char req[] = "GET /_stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    static char big[256 * 1024];
    const llmres_transport_t *t = &lw.transport;
    char buf[512];
    uint32_t t0;
    int id = t->open(t->ctx, HOST, plain_port, 0), n, got = 0, rc = 0, sent = 0, i;
    CHECK(id >= 0);
    CHECK_EQ(t->recv(t->ctx, id, buf, sizeof(buf), 0), 0); /* nothing yet, no wait */
    for (i = 0; i < 100 && sent < (int)sizeof(req) - 1; i++) {
        n = t->send(t->ctx, id, req + sent, sizeof(req) - 1 - (size_t)sent, 50);
        CHECK(n >= 0);
        if (n > 0) sent += n;
    }
    CHECK_EQ(sent, (int)sizeof(req) - 1);
    t0 = now();
    for (i = 0; i < 200; i++) {
        rc = t->recv(t->ctx, id, buf, sizeof(buf), 100);
        if (rc < 0) break;
        got += rc;
    }
    CHECK_EQ(rc, LLMRES_ERR_CLOSED);
    CHECK(got > 20);
    CHECK(now() - t0 < 2000);
    t->close(t->ctx, id);
    /* 256 KB at once, no wait: lwIP takes what its send buffer holds */
    id = t->open(t->ctx, HOST, plain_port, 2000);
    CHECK(id >= 0);
    memset(big, 'a', sizeof(big));
    n = t->send(t->ctx, id, big, sizeof(big), 0);
    CHECK(n > 0 && n < (int)sizeof(big));
    t0 = now();
    t->close(t->ctx, id); /* with most of it unsent: at once */
    CHECK(now() - t0 <= 5);
    printf("  a 256 KB send took %d bytes\n", n);
}

/* Three threads share the transport, each with its own connections, 10 requests each:
   slots are claimed under SYS_ARCH_PROTECT and every connection keeps its own state. */
#define THREADS 3
static sys_sem_t finished[THREADS]; /* one each: lwIP's Unix semaphores are binary, signals coalesce */
static int answered[THREADS];

static void fetcher(void *arg) {
    static const char req[] = "GET /_stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const llmres_transport_t *t = &lw.transport;
    int me = (int)(intptr_t)arg, round;
    for (round = 0; round < 10; round++) {
        char buf[256], head[13] = "";
        int id = t->open(t->ctx, HOST, plain_port, 0), rc = 0, got = 0, i;
        if (id < 0) continue;
        for (i = 0; i < 100 && rc == 0; i++) rc = t->send(t->ctx, id, req, sizeof(req) - 1, 20);
        if (rc == (int)sizeof(req) - 1) {
            for (i = 0; i < 200; i++) {
                rc = t->recv(t->ctx, id, buf, sizeof(buf), 20);
                if (rc < 0) break;
                if (got < 12) memcpy(head + got, buf, (size_t)(rc < 12 - got ? rc : 12 - got));
                got += rc;
            }
            if (rc == LLMRES_ERR_CLOSED && got > 12 && !strcmp(head, "HTTP/1.1 200")) answered[me]++;
            else printf("  thread %d: rc %d after %d bytes: %s\n", me, rc, got, head);
        }
        t->close(t->ctx, id);
    }
    sys_sem_signal(&finished[me]);
}

static void threads_share_the_transport(void) {
    int i, done = 0;
    for (i = 0; i < THREADS; i++) CHECK_EQ(sys_sem_new(&finished[i], 0), ERR_OK);
    for (i = 0; i < THREADS; i++) sys_thread_new("fetcher", fetcher, (void *)(intptr_t)i, 0, 0);
    for (i = 0; i < THREADS; i++) done += sys_arch_sem_wait(&finished[i], 10000) != SYS_ARCH_TIMEOUT;
    CHECK_EQ(done, THREADS);
    for (i = 0; i < THREADS; i++) CHECK_EQ(answered[i], 10);
    for (i = 0; i < THREADS; i++) sys_sem_free(&finished[i]);
}

/* ---- the client, TLS over lwIP ---- */

static int setup(uint16_t on_port, const char *path, const llmres_config_t *cfg) {
    llmres_provider_t p;
    memset(&p, 0, sizeof(p));
    p.format = LLMRES_PROVIDER_OPENAI;
    p.host = HOST;
    p.port = on_port;
    p.tls = 1;
    p.path = path;
    p.api_key = "sk-test-never-shown";
    p.model = "mock-model";
    if (llmres_client_init(&client, &port, &tls[0].transport, cfg, &p, 1) != LLMRES_OK) return -1;
    return llmres_worker_init(&workers[0], &client, &tls[0].transport);
}

static void config(llmres_config_t *cfg) {
    llmres_config_defaults(cfg);
    cfg->rps_milli = 0;
    cfg->backoff_base_ms = 50;
}

/* One call with a deadline: its result, and how long it took (checked against it). */
static int call_once(const char *prompt, uint32_t timeout_ms, llmres_result_t *res, uint32_t *took) {
    static char out[256];
    llmres_call_t call;
    uint32_t t0 = now();
    int rc;
    llmres_call_init(&call, prompt, out, sizeof(out));
    call.timeout_ms = timeout_ms;
    rc = llmres_call(&client, &workers[0], &call, res);
    *took = now() - t0;
    CHECK(*took <= timeout_ms + 100);
    if (rc == LLMRES_OK) CHECK(strncmp(out, "echo: ", 6) == 0 && strcmp(out + 6, prompt) == 0);
    return rc;
}

/* Three answers, one TCP connect, one TLS handshake: keep-alive over lwIP. */
static void answers_over_tls_with_keepalive(void) {
    llmres_config_t cfg;
    llmres_result_t res;
    uint32_t c0, h0, took, i;
    config(&cfg);
    CHECK_EQ(setup(mock_port, NULL, &cfg), LLMRES_OK);
    c0 = lw.connects;
    h0 = tls[0].handshakes;
    for (i = 0; i < 3; i++) {
        char prompt[32];
        snprintf(prompt, sizeof(prompt), "reading %u over lwIP", (unsigned)i);
        CHECK_EQ(call_once(prompt, 5000, &res, &took), LLMRES_OK);
        CHECK_EQ(res.attempts, 1);
        printf("  call %u: %u ms\n", (unsigned)i, (unsigned)took);
    }
    CHECK_EQ(lw.connects - c0, 1);
    CHECK_EQ(tls[0].handshakes - h0, 1);
    llmres_worker_close(&workers[0]);
}

/* A mock that serves one request a second and refuses the rest with 429 and
   retry-after: the client waits and is answered. A fresh client for each call, so that
   none paces itself from the last answer's x-ratelimit-remaining and is never refused. */
static void overload_is_retried(void) {
    llmres_config_t cfg;
    llmres_result_t res;
    uint32_t took, i, retried = 0, refused = 0;
    config(&cfg);
    cfg.retry_budget_pct = 0; /* one device's patience; tests/unit/overload.c tests budgets */
    cfg.throttle_k_milli = 0;
    for (i = 0; i < 3; i++) {
        CHECK_EQ(setup(busy_port, NULL, &cfg), LLMRES_OK);
        CHECK_EQ(call_once("busy", 4000, &res, &took), LLMRES_OK);
        retried += res.attempts - 1;
        refused += client.status_429;
        CHECK_EQ(res.attempts - 1, client.status_429); /* each 429 waited out once */
        llmres_worker_close(&workers[0]);
    }
    CHECK(refused >= 1);
    printf("  3 answers, %u 429s retried\n", (unsigned)refused);
}

/* A mock in an outage (closes or 503s every request): the breaker opens after three
   failures and the next call is refused at once. */
static void breaker_opens_on_an_outage(void) {
    llmres_config_t cfg;
    llmres_result_t res;
    uint32_t took, i;
    config(&cfg);
    cfg.breaker_failures = 3;
    cfg.max_retries = 0;
    cfg.breaker_timeout_ms = 60000;
    CHECK_EQ(setup(outage_port, NULL, &cfg), LLMRES_OK);
    for (i = 0; i < 3; i++) {
        CHECK(call_once("down", 3000, &res, &took) != LLMRES_OK);
        CHECK(res.attempts >= 1);
    }
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_OPEN);
    CHECK_EQ(call_once("down", 3000, &res, &took), LLMRES_ERR_OPEN);
    CHECK_EQ(res.attempts, 0);
    CHECK(took <= 20);
    llmres_worker_close(&workers[0]);
}

/* A server that accepts and never answers: the call ends at its deadline. */
static void a_stall_ends_at_the_deadline(void) {
    llmres_config_t cfg;
    llmres_result_t res;
    uint32_t took;
    config(&cfg);
    cfg.max_retries = 0;
    CHECK_EQ(setup(fault_port, "/stall", &cfg), LLMRES_OK);
    CHECK_EQ(call_once("anyone?", 1500, &res, &took), LLMRES_ERR_TIMEOUT);
    CHECK(took >= 1450);
    CHECK_EQ(res.cls, LLMRES_CLASS_TIMEOUT);
    printf("  the stall ended after %u ms (deadline 1500)\n", (unsigned)took);
    llmres_worker_close(&workers[0]);
}

/* A server that resets the connection in the middle of the body: a transient network
   failure, retried, each attempt failing fast. */
static void a_reset_is_a_network_failure(void) {
    llmres_config_t cfg;
    llmres_result_t res;
    uint32_t took;
    config(&cfg);
    cfg.max_retries = 1;
    cfg.retry_budget_pct = 0;
    CHECK_EQ(setup(fault_port, "/reset-mid-body", &cfg), LLMRES_OK);
    CHECK(call_once("reset", 3000, &res, &took) != LLMRES_OK);
    CHECK_EQ(res.error, LLMRES_ERR_IO);
    CHECK_EQ(res.cls, LLMRES_CLASS_TRANSIENT_NETWORK);
    CHECK(res.attempts >= 2);
    CHECK(took < 1500);
    printf("  reset: %s after %u attempts, %u ms\n", llmres_strerror(res.error), (unsigned)res.attempts, (unsigned)took);
    llmres_worker_close(&workers[0]);
}

#if LWIP_DNS
/* ---- names, through lwIP's callback resolver ----
   Debian builds lwIP with LWIP_DNS 0, so the two builds with -DLWIP_DNS=1 bring the
   resolver: LLMRES_TEST_REAL_DNS links lwIP's own dns.c, from Debian's source package
   (DNS_MAX_RETRIES 2), asking tests/lwip/dns_server.py at 10.77.0.1; the other has a
   dns_gethostbyname of its own with lwIP's contract, answering from sys_timeouts. */
#ifdef LLMRES_TEST_REAL_DNS
#define SILENT_GIVES_UP_MS 2500 /* two tries, a second apart, at lwIP's 1 s timer */
static void dns_tick(void *arg) { dns_tmr(); sys_timeout(DNS_TMR_INTERVAL, dns_tick, arg); }

static void dns_up(void) {
    ip_addr_t server;
    IP_ADDR4(&server, 10, 77, 0, 1);
    LOCK_TCPIP_CORE();
    dns_init();
    dns_setserver(0, &server);
    sys_timeout(DNS_TMR_INTERVAL, dns_tick, NULL); /* lwIP's own timer list runs it without LWIP_DNS */
    UNLOCK_TCPIP_CORE();
}
#else
#define SILENT_GIVES_UP_MS 1700
/* lwIP's contract: called in the tcpip thread (checked), ERR_OK for a cached name, else
   ERR_INPROGRESS and the callback later in the tcpip thread, NULL when the name does
   not resolve. */
struct query { dns_found_callback found; void *arg; int answer; };
static struct query queries[8];
static int cached;

static void answer(void *arg) {
    struct query *q = (struct query *)arg;
    ip_addr_t a;
    IP_ADDR4(&a, 10, 77, 0, 1);
    if (q->answer) cached = 1;
    q->found("", q->answer ? &a : NULL, q->arg);
    q->found = NULL;
}

err_t dns_gethostbyname(const char *name, ip_addr_t *addr, dns_found_callback found, void *arg) {
    struct query *q = NULL;
    int i;
    sys_check_core_locking(); /* aborts unless in the tcpip thread (or holding its lock) */
    if (!strcmp(name, "mock.lwip.test") && cached) { IP_ADDR4(addr, 10, 77, 0, 1); return ERR_OK; }
    for (i = 0; i < 8 && !q; i++) if (!queries[i].found) q = &queries[i];
    if (!q) return ERR_MEM;
    q->found = found;
    q->arg = arg;
    q->answer = !strcmp(name, "mock.lwip.test");
    if (q->answer) sys_timeout(50, answer, q);                          /* a resolver's round trip */
    else if (!strcmp(name, "nx.lwip.test")) sys_timeout(30, answer, q); /* NXDOMAIN */
    else if (!strcmp(name, "silent.lwip.test")) sys_timeout(1500, answer, q); /* gives up late */
    else { q->found = NULL; return ERR_ARG; }
    return ERR_INPROGRESS;
}
static void dns_up(void) {}
#endif

/* A name resolves inside send's own timeout; the next open finds it cached. */
/* A stepped open of a name, then sends until something is known: what open or the
   sends said. A fast answer may come before open returns (an error known at once). */
static int dns_in_steps(const llmres_transport_t *t, const char *name) {
    int id = t->open(t->ctx, name, plain_port, 0), rc = 0, i;
    if (id < 0) return id;
    for (i = 0; i < 20 && rc == 0; i++) rc = t->send(t->ctx, id, "G", 1, 20);
    t->close(t->ctx, id);
    return rc;
}

static void a_name_resolves_in_steps(void) {
    const llmres_transport_t *t = &lw.transport;
    uint32_t t0 = now(), r0 = lw.resolves;
    int id = t->open(t->ctx, "mock.lwip.test", plain_port, 0), rc = 0, i;
    CHECK(id >= 0);
    CHECK(now() - t0 <= 5);
    CHECK_EQ(t->send(t->ctx, id, "G", 1, 0), 0); /* resolving */
    for (i = 0; i < 20 && rc == 0; i++) rc = t->send(t->ctx, id, "G", 1, 50);
    CHECK_EQ(rc, 1);
    CHECK(now() - t0 >= 45 && now() - t0 < 500);
    CHECK_EQ(lw.resolves - r0, 1);
    t->close(t->ctx, id);
    id = t->open(t->ctx, "mock.lwip.test", plain_port, 1000); /* cached now */
    CHECK(id >= 0);
    t->close(t->ctx, id);
    /* a name that does not resolve: DNS, from send (stepped) or open (blocking) */
    t0 = now();
    CHECK_EQ(dns_in_steps(t, "nx.lwip.test"), LLMRES_ERR_DNS);
    CHECK_EQ(t->open(t->ctx, "nx.lwip.test", plain_port, 1000), LLMRES_ERR_DNS);
    /* the resolver refuses at once, in the tcpip thread: open or the next send tells it */
    CHECK_EQ(dns_in_steps(t, "refused.lwip.test"), LLMRES_ERR_DNS);
    CHECK(now() - t0 < 300);
}

/* A resolver that is slow to give up: open's timeout ends the wait with DNS (this
   device's resolver, not the provider). The connection's slot is free at once; its
   query stays taken until lwIP's resolver answers (it cannot be cancelled), then is
   free again: with every query owed an answer, a name is NO_SLOT at once. */
static void a_silent_resolver_ends_by_the_timeout(void) {
    const llmres_transport_t *t = &lw.transport;
    uint32_t t0 = now();
    int id[LLMRES_LWIP_MAX_CONNECTIONS], i;
    CHECK_EQ(t->open(t->ctx, "silent.lwip.test", plain_port, 100), LLMRES_ERR_DNS);
    CHECK(now() - t0 >= 95 && now() - t0 <= 200);
    for (i = 0; i < LLMRES_LWIP_MAX_CONNECTIONS; i++) CHECK((id[i] = t->open(t->ctx, DROPPED, 80, 0)) >= 0);
    for (i = 0; i < LLMRES_LWIP_MAX_CONNECTIONS; i++) t->close(t->ctx, id[i]);
    for (i = 1; i < LLMRES_LWIP_MAX_QUERIES; i++) { /* the other queries, each given up at once */
        id[0] = t->open(t->ctx, "silent.lwip.test", plain_port, 0);
        CHECK(id[0] >= 0);
        CHECK_EQ(t->resolving(t->ctx, id[0]), 1);
        t->close(t->ctx, id[0]);
    }
    CHECK_EQ(t->open(t->ctx, "silent.lwip.test", plain_port, 100), LLMRES_ERR_NO_SLOT);
    while (now() - t0 < SILENT_GIVES_UP_MS) sys_msleep(20); /* the resolver has given up */
    id[0] = t->open(t->ctx, "silent.lwip.test", plain_port, 0);
    CHECK(id[0] >= 0);
    t->close(t->ctx, id[0]);
}

/* The client over TLS to a provider named, not numbered. */
static void client_by_name_over_tls(void) {
    llmres_config_t cfg;
    llmres_provider_t p;
    llmres_call_t call;
    llmres_result_t res;
    char out[64];
    config(&cfg);
    memset(&p, 0, sizeof(p));
    p.format = LLMRES_PROVIDER_OPENAI;
    p.host = "mock.lwip.test";
    p.port = mock_port;
    p.tls = 1;
    p.api_key = "sk-test";
    p.model = "mock-model";
    CHECK_EQ(llmres_client_init(&client, &port, &tls[0].transport, &cfg, &p, 1), LLMRES_OK);
    CHECK_EQ(llmres_worker_init(&workers[0], &client, &tls[0].transport), LLMRES_OK);
    llmres_call_init(&call, "by name", out, sizeof(out));
    call.timeout_ms = 3000;
    CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_OK);
    CHECK(strcmp(out, "echo: by name") == 0);
    llmres_worker_close(&workers[0]);
}
#endif

/* ---- the superloop over lwIP ---- */
#define JOBS 6
static llmres_job_t job[JOBS];
static char text[JOBS][96];
static int ended[JOBS];
static void on_done(llmres_job_t *j, void *user) { (void)j; ended[(intptr_t)user]++; }

static void submit(llmres_dispatch_t *d, int i, uint32_t *at) {
    static char prompt[JOBS][32];
    snprintf(prompt[i], sizeof(prompt[i]), "job %d", i);
    llmres_call_init(&job[i].call, prompt[i], text[i], sizeof(text[i]));
    job[i].call.timeout_ms = 2000;
    job[i].on_done = on_done;
    job[i].user = (void *)(intptr_t)i;
    at[i] = now();
    CHECK_EQ(llmres_dispatch_submit(d, &job[i]), LLMRES_OK);
}

/* One thread steps a dispatcher of three slots over lwIP, each with its own TLS. Job 0
   goes to the first provider, at an address that drops packets; then that provider's
   breaker is forced open and jobs 1..5 go to the second, the mock over TLS. Every job
   ends by its deadline (2 s) and no step takes longer than 50 ms: neither a connect in
   progress nor a handshake's round trips may hold the thread (its arithmetic runs in a
   step: a few ms here). */
static void superloop_with_a_dropped_provider(void) {
    static llmres_dispatch_t d;
    llmres_provider_t p[2];
    llmres_worker_t *w[SLOTS];
    llmres_config_t cfg;
    uint32_t at[JOBS], t0, longest = 0, latest = 0, waited;
    int i, left = JOBS;
    memset(p, 0, sizeof(p));
    memset(ended, 0, sizeof(ended));
    p[0].format = p[1].format = LLMRES_PROVIDER_OPENAI;
    p[0].host = DROPPED;
    p[0].port = 443;
    p[1].host = HOST;
    p[1].port = mock_port;
    p[0].tls = p[1].tls = 1;
    p[0].api_key = p[1].api_key = "sk-test";
    p[0].model = p[1].model = "mock-model";
    config(&cfg);
    cfg.max_retries = 0;
    CHECK_EQ(llmres_client_init(&client, &port, &tls[0].transport, &cfg, p, 2), LLMRES_OK);
    for (i = 0; i < SLOTS; i++) {
        CHECK_EQ(llmres_worker_init(&workers[i], &client, &tls[i].transport), LLMRES_OK);
        w[i] = &workers[i];
    }
    CHECK_EQ(llmres_dispatch_init(&d, &client, w, SLOTS), LLMRES_OK);
    submit(&d, 0, at);
    for (waited = 0, t0 = now(); left > 0 && now() - t0 < 5000; waited++) {
        uint32_t wait = 0, s = now(), took;
        left = llmres_dispatch_step(&d, &wait);
        took = now() - s;
        if (took > longest) longest = took;
        if (waited == 0) { /* job 0 is connecting: the rest go to the mock */
            CHECK_EQ(llmres_client_breaker(&client, 0, LLMRES_CONTROL_FORCE_OPEN), LLMRES_OK);
            for (i = 1; i < JOBS; i++) submit(&d, i, at);
            left = JOBS;
        }
        if (left > 0 && wait) sys_msleep(wait < 5 ? wait : 5);
    }
    CHECK_EQ(left, 0);
    for (i = 0; i < JOBS; i++) {
        uint32_t late = job[i].result.elapsed_ms;
        CHECK_EQ(ended[i], 1);
        CHECK(late <= 2000 + 50);
        if (late > latest) latest = late;
        if (i > 0) CHECK_EQ(job[i].result.error, LLMRES_OK);
    }
    CHECK(job[0].result.error != LLMRES_OK);
    CHECK(longest <= (getenv("LLMRES_SLOW") ? 200u : 50u)); /* LLMRES_SLOW: under TSan (tests/tsan.sh) */
    printf("  superloop: longest step %u ms, latest job end %u ms after submission, job 0: %s\n",
           (unsigned)longest, (unsigned)latest, llmres_strerror(job[0].result.error));
    for (i = 0; i < SLOTS; i++) llmres_worker_close(&workers[i]);
    (void)at;
}

static uint16_t env_port(const char *name) {
    const char *v = getenv(name);
    return (uint16_t)(v ? atoi(v) : 0);
}

int main(int argc, char **argv) {
    const char *ca = getenv("LLMRES_CA_FILE");
    int i;
    T_INIT(argc, argv);
    mock_port = env_port("LLMRES_MOCK_PORT");
    busy_port = env_port("LLMRES_BUSY_PORT");
    outage_port = env_port("LLMRES_OUTAGE_PORT");
    fault_port = env_port("LLMRES_FAULT_PORT");
    plain_port = env_port("LLMRES_PLAIN_PORT");
    if (!ca || !mock_port || !busy_port || !outage_port || !fault_port || !plain_port) {
        printf("FAIL lwip: run it through tests/lwip/run.sh (it sets the servers' ports)\n");
        return 1;
    }
    if (board_port(&port, &lw) != 0) { printf("FAIL lwip: lwIP did not come up on tap0\n"); return 1; }
    for (i = 0; i < SLOTS; i++)
        if (llmres_mbedtls_init(&tls[i], &port, &port.tcp) != LLMRES_OK || llmres_mbedtls_ca_file(&tls[i], ca) != LLMRES_OK) {
            printf("FAIL lwip: TLS setup: %s\n", tls[i].reason);
            return 1;
        }
#if LWIP_DNS
    dns_up();
    RUN(a_name_resolves_in_steps);
    RUN(a_silent_resolver_ends_by_the_timeout);
    RUN(client_by_name_over_tls);
    for (i = 0; i < SLOTS; i++) llmres_mbedtls_free(&tls[i]);
    return T_DONE();
#endif
    RUN(connect_in_steps_to_a_dropped_address);
    RUN(refused_connect_and_link_down);
    RUN(eof_timeout_and_partial_send);
    RUN(threads_share_the_transport);
    RUN(answers_over_tls_with_keepalive);
    RUN(overload_is_retried);
    RUN(breaker_opens_on_an_outage);
    RUN(a_stall_ends_at_the_deadline);
    RUN(a_reset_is_a_network_failure);
    RUN(superloop_with_a_dropped_provider);
    for (i = 0; i < SLOTS; i++) llmres_mbedtls_free(&tls[i]);
    return T_DONE();
}
