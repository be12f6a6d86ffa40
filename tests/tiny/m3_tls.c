/* m3_tls.c: the whole stack with TLS on a Cortex-M3 (qemu -M mps2-an385, semihosting).

   One image holds an llmres client (llmres.h + port/llmres_mbedtls.h, mbedTLS built with
   port/llmres_mbedtls_config.h) and an mbedTLS server with an ECDSA P-256 certificate
   made for this build (build/tiny/m3/data.h, from tests/tiny/certs.sh). They talk over an
   in-memory transport: the server runs inside the client's receive when it has bytes to
   answer. Time is a fake millisecond clock that only sleeps and empty receives advance;
   the wall-clock time for the certificates' dates is the build's (MBEDTLS_PLATFORM_TIME_ALT).

   Checks: a verified handshake; the request answered 529 (Anthropic's overloaded JSON)
   then 200, so two attempts, one retry, one breaker failure and the answer's text; a
   server whose CA is not trusted and a certificate past its end date are refused
   (LLMRES_ERR_CERT); SNI; AES-128-GCM and ChaCha20-Poly1305 both work; a second
   connection resumes the session from the server's ticket; the clock wraps on the way.
   Prints PASS/FAIL lines and the figures (the arena's peak, the stack's high-water mark,
   each for the client and the server apart); exits 0 only if every check passed. */
#define LLMRES_MAX_CONNECTIONS 1
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_mbedtls.h"
#include <mbedtls/memory_buffer_alloc.h>
#include <mbedtls/platform.h>
#include <mbedtls/platform_time.h>
#include <mbedtls/ssl_ticket.h>
#include <stdio.h>
#include <stdlib.h>
#include "data.h" /* generated: certificates, keys, responses, TINY_EPOCH */

static int failures;
static void check(int ok, const char *what) {
    printf("%s %s\n", ok ? "PASS" : "FAIL", what);
    failures += !ok;
}

/* ---- the stack: painted, then scanned for the lowest word touched ---------------- */
#define PAINT 0xA5A5A5A5u
extern uint32_t __heap_end[], __stack[]; /* picolibc.ld: the stack region's ends */

static uint32_t *sp_now(void) {
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}
static __attribute__((noinline)) void paint(void) {
    uint32_t *p, *top = sp_now() - 32; /* leave this frame alone */
    for (p = __heap_end; p < top; p++) *p = PAINT;
}
static uint32_t *lowest_touched(void) {
    uint32_t *p = __heap_end;
    while (p < __stack && *p == PAINT) p++;
    return p;
}

/* ---- the fake clock, the port ----------------------------------------------------- */
#define CLOCK_START 0xFFFFFF00u /* 256 ms before the wrap: the first retry crosses it */
static uint32_t now_ms = CLOCK_START, rng = 0x9E3779B9u;
static int64_t wall_offset; /* seconds added to the build's time (to expire the certificate) */
static uint32_t fake_now(void *ctx) { (void)ctx; return now_ms; }
static void fake_sleep(void *ctx, uint32_t ms) { (void)ctx; now_ms += ms; }
/* A board reads its TRNG here; the test wants the same run every time. */
static int fake_entropy(void *ctx, void *buf, size_t len) {
    unsigned char *b = (unsigned char *)buf;
    (void)ctx;
    while (len--) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; *b++ = (unsigned char)rng; }
    return 0;
}
static int drbg_entropy(void *ctx, unsigned char *buf, size_t len) { return fake_entropy(ctx, buf, len); }
static mbedtls_time_t wall_clock(mbedtls_time_t *t) {
    mbedtls_time_t v = (mbedtls_time_t)(TINY_EPOCH + wall_offset);
    if (t) *t = v;
    return v;
}
mbedtls_ms_time_t mbedtls_ms_time(void) { return (mbedtls_ms_time_t)(uint32_t)(now_ms - CLOCK_START); }

/* ---- the in-memory wire ----------------------------------------------------------- */
typedef struct { unsigned char buf[20000]; size_t len; } wire_t;
static wire_t to_server, to_client;

static size_t wire_put(wire_t *w, const unsigned char *p, size_t n) {
    if (n > sizeof(w->buf) - w->len) n = sizeof(w->buf) - w->len;
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    return n;
}
static size_t wire_take(wire_t *w, unsigned char *p, size_t n) {
    if (n > w->len) n = w->len;
    memcpy(p, w->buf, n);
    memmove(w->buf, w->buf + n, w->len - n);
    w->len -= n;
    return n;
}

/* ---- the server ------------------------------------------------------------------- */
enum { SRV_HANDSHAKE, SRV_READ, SRV_WRITE, SRV_CLOSED };
static struct {
    mbedtls_ssl_config conf;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_ticket_context tickets;
    int open, phase, last_error;
    uint32_t handshakes, requests, bad_requests;
    const char *suite; /* of the last handshake */
    char sni[32];      /* the name the client asked for */
    char req[2048];
    size_t req_len, sent;
    const unsigned char *resp;
    size_t resp_len;
} srv;

static int srv_send(void *p, const unsigned char *buf, size_t len) {
    size_t n = wire_put(&to_client, buf, len);
    (void)p;
    return n ? (int)n : MBEDTLS_ERR_SSL_WANT_WRITE;
}
static int srv_recv(void *p, unsigned char *buf, size_t len) {
    size_t n = wire_take(&to_server, buf, len);
    (void)p;
    return n ? (int)n : MBEDTLS_ERR_SSL_WANT_READ;
}

static int srv_sni(void *p, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len) {
    (void)p; (void)ssl;
    if (len >= sizeof(srv.sni)) return -1;
    memcpy(srv.sni, name, len);
    srv.sni[len] = 0;
    return 0;
}

static int srv_init(void) {
    int ret;
    mbedtls_ssl_config_init(&srv.conf);
    mbedtls_ctr_drbg_init(&srv.drbg);
    mbedtls_x509_crt_init(&srv.cert);
    mbedtls_pk_init(&srv.key);
    mbedtls_ssl_ticket_init(&srv.tickets);
    if ((ret = mbedtls_ctr_drbg_seed(&srv.drbg, drbg_entropy, NULL, NULL, 0)) != 0 ||
        (ret = mbedtls_x509_crt_parse_der(&srv.cert, server_der, sizeof(server_der))) != 0 ||
        (ret = mbedtls_pk_parse_key(&srv.key, server_key_der, sizeof(server_key_der), NULL, 0,
                                    mbedtls_ctr_drbg_random, &srv.drbg)) != 0 ||
        (ret = mbedtls_ssl_config_defaults(&srv.conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT)) != 0 ||
        (ret = mbedtls_ssl_conf_own_cert(&srv.conf, &srv.cert, &srv.key)) != 0 ||
        (ret = mbedtls_ssl_ticket_setup(&srv.tickets, mbedtls_ctr_drbg_random, &srv.drbg, MBEDTLS_CIPHER_AES_128_GCM,
                                        86400)) != 0)
        return ret;
    mbedtls_ssl_conf_session_tickets_cb(&srv.conf, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse, &srv.tickets);
    mbedtls_ssl_conf_rng(&srv.conf, mbedtls_ctr_drbg_random, &srv.drbg);
    mbedtls_ssl_conf_sni(&srv.conf, srv_sni, NULL);
    return 0;
}

/* A whole request: its head and Content-Length bytes of body. */
static int srv_request_complete(void) {
    const char *end, *cl;
    srv.req[srv.req_len] = 0;
    end = strstr(srv.req, "\r\n\r\n");
    if (!end) return 0;
    cl = strstr(srv.req, "content-length: ");
    if (!cl) cl = strstr(srv.req, "Content-Length: ");
    return cl && srv.req_len >= (size_t)(end + 4 - srv.req) + (size_t)atol(cl + 16);
}

/* The first request gets 529, the others 200; each must be an Anthropic Messages call. */
static void srv_answer(void) {
    srv.requests++;
    if (strncmp(srv.req, "POST /v1/messages HTTP/1.1\r\n", 28) || !strstr(srv.req, "x-api-key: sk-ant-test") ||
        !strstr(srv.req, "anthropic-version: ") || !strstr(srv.req, "\"content\":\"Why is the sky blue?\""))
        srv.bad_requests++;
    srv.resp = srv.requests == 1 ? resp_529 : resp_200;
    srv.resp_len = srv.requests == 1 ? sizeof(resp_529) : sizeof(resp_200);
    srv.sent = 0;
    srv.req_len = 0;
    srv.phase = SRV_WRITE;
}

/* Runs the server until it needs bytes it does not have. */
static void srv_run(void) {
    int ret, rounds;
    for (rounds = 0; srv.open && rounds < 64; rounds++) {
        if (srv.phase == SRV_HANDSHAKE) {
            ret = mbedtls_ssl_handshake(&srv.ssl);
            if (ret == 0) {
                srv.handshakes++;
                srv.suite = mbedtls_ssl_get_ciphersuite(&srv.ssl);
                srv.phase = SRV_READ;
                continue;
            }
        } else if (srv.phase == SRV_READ) {
            ret = mbedtls_ssl_read(&srv.ssl, (unsigned char *)srv.req + srv.req_len, sizeof(srv.req) - 1 - srv.req_len);
            if (ret > 0) { srv.req_len += (size_t)ret; if (srv_request_complete()) srv_answer(); continue; }
        } else if (srv.phase == SRV_WRITE) {
            ret = mbedtls_ssl_write(&srv.ssl, srv.resp + srv.sent, srv.resp_len - srv.sent);
            if (ret > 0) { srv.sent += (size_t)ret; if (srv.sent == srv.resp_len) srv.phase = SRV_READ; continue; }
        } else return;
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
            srv.last_error = ret;
            srv.phase = SRV_CLOSED;
        }
        return;
    }
}

/* ---- who used what: the server runs nested in the client's receive ---------------- */
static struct {
    size_t server_live, total_peak, client_peak, server_peak, blocks_peak;
    uint32_t *client_low, *server_deepest; /* lowest stack words */
    size_t server_stack;                   /* bytes below the server's entry */
} use;

/* The arena's highest use since the last look, then forgets it. */
static size_t arena_peak_since(size_t cur) {
    size_t max, blocks;
    mbedtls_memory_buffer_alloc_max_get(&max, &blocks);
    mbedtls_memory_buffer_alloc_max_reset();
    if (blocks > use.blocks_peak) use.blocks_peak = blocks;
    if (cur > max) max = cur;
    if (max > use.total_peak) use.total_peak = max;
    return max;
}
static size_t arena_now(void) {
    size_t cur, blocks;
    mbedtls_memory_buffer_alloc_cur_get(&cur, &blocks);
    return cur;
}

/* Brackets everything the server does (set-up, steps, close): what the arena and the
   stack gained in between is the server's. The client's use is what is left. */
static struct { uint32_t *entry; size_t before; } at;
static __attribute__((noinline)) void srv_enter(void) {
    size_t peak;
    at.entry = sp_now();
    at.before = arena_now();
    peak = arena_peak_since(at.before);
    if (peak - use.server_live > use.client_peak) use.client_peak = peak - use.server_live;
    {
        uint32_t *low = lowest_touched();
        if (!use.client_low || low < use.client_low) use.client_low = low;
    }
    paint(); /* the client's marks go: the server's are measured alone */
}
static __attribute__((noinline)) void srv_leave(void) {
    size_t after = arena_now(), peak = arena_peak_since(after), client_live = at.before - use.server_live;
    uint32_t *low = lowest_touched();
    if (peak - client_live > use.server_peak) use.server_peak = peak - client_live;
    use.server_live = after - client_live;
    if ((size_t)((char *)at.entry - (char *)low) > use.server_stack) use.server_stack = (size_t)((char *)at.entry - (char *)low);
    if (!use.server_deepest || low < use.server_deepest) use.server_deepest = low;
    paint(); /* the server's marks go: the client's are measured alone */
}
static void srv_step(void) {
    srv_enter();
    srv_run();
    srv_leave();
}

/* ---- the client's transport: the wire, with the server behind it ------------------ */
static int mem_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    (void)ctx; (void)host; (void)port; (void)timeout_ms;
    int ret;
    if (srv.open) return LLMRES_ERR_NO_SLOT;
    to_server.len = to_client.len = 0;
    srv_enter();
    mbedtls_ssl_init(&srv.ssl);
    ret = mbedtls_ssl_setup(&srv.ssl, &srv.conf);
    srv_leave();
    if (ret != 0) return LLMRES_ERR_CONNECT;
    mbedtls_ssl_set_bio(&srv.ssl, NULL, srv_send, srv_recv, NULL);
    srv.open = 1;
    srv.phase = SRV_HANDSHAKE;
    srv.req_len = 0;
    return 0;
}
static int mem_send(void *ctx, int id, const void *buf, size_t len, uint32_t timeout_ms) {
    size_t n;
    (void)ctx; (void)id; (void)timeout_ms;
    if (!srv.open || srv.phase == SRV_CLOSED) return LLMRES_ERR_IO;
    n = wire_put(&to_server, (const unsigned char *)buf, len);
    return (int)n;
}
static int mem_recv(void *ctx, int id, void *buf, size_t len, uint32_t timeout_ms) {
    (void)ctx; (void)id;
    if (!srv.open) return LLMRES_ERR_IO;
    if (!to_client.len) srv_step();
    if (to_client.len) return (int)wire_take(&to_client, (unsigned char *)buf, len);
    if (srv.phase == SRV_CLOSED) return LLMRES_ERR_CLOSED;
    now_ms += timeout_ms; /* nothing will come: the wait runs out */
    return 0;
}
static void mem_close(void *ctx, int id) {
    (void)ctx; (void)id;
    if (!srv.open) return;
    srv_enter();
    mbedtls_ssl_free(&srv.ssl);
    srv_leave();
    srv.open = 0;
}

/* ---- the client ------------------------------------------------------------------- */
static llmres_port_t port;
static llmres_mbedtls_t tls;
static llmres_client_t client;
static llmres_worker_t worker;
static char answer[256];

/* A client with TLS that trusts `ca`, asking Anthropic's API at "localhost". */
static int client_setup(const void *ca, size_t ca_len) {
    static const char key[] = "sk-ant-test";
    static llmres_provider_t prov;
    llmres_config_t cfg;
    memset(&prov, 0, sizeof(prov));
    prov.format = LLMRES_PROVIDER_ANTHROPIC;
    prov.host = "localhost";
    prov.port = 443;
    prov.tls = 1;
    prov.api_key = key;
    prov.model = "claude-sonnet-4-5";
    if (llmres_mbedtls_init(&tls, &port, &port.tcp) != LLMRES_OK || llmres_mbedtls_ca_buffer(&tls, ca, ca_len) != LLMRES_OK)
        return -1;
    llmres_config_defaults(&cfg);
    cfg.max_retries = 3;
    if (llmres_client_init(&client, &port, &tls.transport, &cfg, &prov, 1) != LLMRES_OK ||
        llmres_worker_init(&worker, &client, NULL) != LLMRES_OK)
        return -1;
    return 0;
}
static void client_teardown(void) {
    llmres_worker_close(&worker);
    llmres_mbedtls_free(&tls);
}
static void one_call(llmres_result_t *res) {
    llmres_llm_message_t msg;
    llmres_call_t call;
    msg.role = "user";
    msg.content = "Why is the sky blue?";
    memset(&call, 0, sizeof(call));
    call.messages = &msg;
    call.message_count = 1;
    call.max_tokens = 64;
    call.temperature_milli = -1;
    call.text = answer;
    call.text_cap = sizeof(answer);
    memset(answer, 0, sizeof(answer));
    (void)llmres_call(&client, &worker, &call, res);
}
static int ask(const void *ca, size_t ca_len, llmres_result_t *res) {
    if (client_setup(ca, ca_len) != 0) return -1;
    one_call(res);
    client_teardown();
    return 0;
}

static void answered_after_529(void) {
    llmres_result_t res;
    uint32_t requests = srv.requests, handshakes;
    check(client_setup(ca_der, sizeof(ca_der)) == 0, "client, TLS and CA set up");
    one_call(&res);
    printf("    error %d (%s), status %d, attempts %u, retries %u, 529s %u, breaker failures %u of %u calls, "
           "handshakes %u (server %u), reason '%s'\n",
           (int)res.error, llmres_strerror(res.error), res.status, (unsigned)res.attempts, (unsigned)client.retries,
           (unsigned)client.status_529, (unsigned)client.breaker[0].failures, (unsigned)client.breaker[0].calls,
           (unsigned)tls.handshakes, (unsigned)srv.handshakes, tls.reason);
    check(res.error == LLMRES_OK && res.status == 200, "the call is answered (200)");
    check(tls.handshakes == 1 && tls.resumed == 0 && tls.conn[0].used && tls.conn[0].verified,
          "a full handshake that verified the server's certificate");
    check(!strcmp(srv.sni, "localhost"), "the client named the host (SNI)");
    check(srv.requests - requests == 2 && srv.bad_requests == 0, "the server saw two well-formed Anthropic requests");
    check(res.attempts == 2 && client.attempts == 2 && client.retries == 1, "two attempts, one retry");
    check(client.status_529 == 1, "one 529 counted");
    check(client.breaker[0].failures == 1 && client.breaker[0].calls == 2 &&
          llmres_breaker_state(&client.breaker[0]) == LLMRES_BREAKER_CLOSED,
          "the breaker recorded one failure in two calls and stays closed");
    check(!strcmp(answer, "Hello from the edge.\tTabs \\ and \"quotes\" survive."), "the answer's text, unescaped");
    check(res.input_tokens == 12 && res.output_tokens == 14, "the usage counts");
    check(srv.suite && !strcmp(srv.suite, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"), "ECDHE-ECDSA with AES-128-GCM");
    /* the connection dropped: the next one resumes the session with the server's ticket */
    llmres_worker_close(&worker);
    handshakes = srv.handshakes;
    one_call(&res);
    check(res.error == LLMRES_OK && res.attempts == 1 && srv.handshakes == handshakes + 1 && tls.handshakes == 2 &&
          tls.resumed == 1 && tls.conn[0].used && !tls.conn[0].verified,
          "a new connection resumes the session from its ticket (no certificate, no ECDHE)");
    client_teardown();
}

/* A server that offers only ChaCha20-Poly1305. */
static void chacha(void) {
    static const int only[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 0};
    llmres_result_t res;
    mbedtls_ssl_conf_ciphersuites(&srv.conf, only);
    check(ask(ca_der, sizeof(ca_der), &res) == 0 && res.error == LLMRES_OK && res.attempts == 1 && srv.suite &&
          !strcmp(srv.suite, "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256") && strstr(answer, "Hello from the edge."),
          "ECDHE-ECDSA with ChaCha20-Poly1305: answered at once");
    mbedtls_ssl_conf_ciphersuites(&srv.conf, mbedtls_ssl_list_ciphersuites());
}

static void refused(const void *ca, size_t ca_len, int64_t offset, const char *what) {
    llmres_result_t res;
    uint32_t requests = srv.requests;
    wall_offset = offset;
    check(ask(ca, ca_len, &res) == 0 && res.error == LLMRES_ERR_CERT && srv.requests == requests, what);
    tls.reason[strcspn(tls.reason, "\n")] = 0;
    printf("    error %d (%s), verify flags 0x%x: %s\n", (int)res.error, llmres_strerror(res.error),
           (unsigned)tls.verify_flags, tls.reason);
    wall_offset = 0;
}

int main(void) {
    uint32_t *deepest;
    paint();
    port.now_ms = fake_now;
    port.sleep_ms = fake_sleep;
    port.entropy = fake_entropy;
    port.tcp.open = mem_open;
    port.tcp.send = mem_send;
    port.tcp.recv = mem_recv;
    port.tcp.close = mem_close;
    mbedtls_platform_set_time(wall_clock);
    llmres_mbedtls_init(&tls, &port, &port.tcp); /* sets the arena up, which the server needs too */
    llmres_mbedtls_free(&tls);
    srv_enter();
    check(srv_init() == 0, "the server's certificate, key and configuration");
    srv_leave();
    answered_after_529();
    chacha();
    refused(other_ca_der, sizeof(other_ca_der), 0, "a server whose CA is not trusted is refused (LLMRES_ERR_CERT)");
    refused(ca_der, sizeof(ca_der), 8 * 86400, "a certificate past its end date is refused (LLMRES_ERR_CERT)");
    arena_peak_since(arena_now());
    deepest = lowest_touched();
    if (use.client_low == NULL || deepest < use.client_low) use.client_low = deepest;
    deepest = use.client_low;
    if (use.server_deepest && use.server_deepest < deepest) deepest = use.server_deepest;
    printf("arena: peak %u bytes (client %u, server %u; headers of 32 bytes on %u blocks at most), of %u\n",
           (unsigned)use.total_peak, (unsigned)use.client_peak, (unsigned)use.server_peak, (unsigned)use.blocks_peak,
           (unsigned)LLMRES_MBEDTLS_HEAP_BYTES);
    printf("stack: high-water %u bytes (client alone %u, the server nested in its receive %u more), of %u\n",
           (unsigned)((char *)__stack - (char *)deepest), (unsigned)((char *)__stack - (char *)use.client_low),
           (unsigned)use.server_stack, (unsigned)((char *)__stack - (char *)__heap_end));
    check(deepest > __heap_end, "the stack stayed within its region");
    printf("    fake clock: %u ms passed\n", (unsigned)(now_ms - CLOCK_START));
    check(now_ms < CLOCK_START, "the fake clock wrapped during the run");
    /* m3_client.c gives a device's client a 32 KB arena: its peak, each block's header
       counted (the blocks of both ends: more than its own), must fit */
    check(use.client_peak + 32 * use.blocks_peak <= 32768, "the client's arena peak fits the 32 KB a device gives it");
    printf("%d failed\n", failures);
    return failures ? 1 : 0;
}
