/* The POSIX port and the HTTP client against real servers on 127.0.0.1: the
   fault-injecting Python server (tests/servers/fault_server.py), started by
   tests/common.sh for make test and make check, which passes its port in
   LLMRES_FAULT_PORT. Every fault must end in its own error code within its deadline. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_posix.h"
#include "../test.h"
#include <stdlib.h>

static llmres_port_t port;
static llmres_posix_t posix;
static llmres_http_client_t client;
static llmres_http_response_t resp;
static uint8_t body[200000];
static uint16_t fault_port;

/* One request; returns the status or the error, and how long it took. */
static int get(const char *method, const char *path, uint32_t timeout_ms, uint32_t *took) {
    llmres_http_request_t q;
    uint32_t t0 = port.now_ms(port.ctx);
    int rc;
    memset(&q, 0, sizeof(q));
    q.method = method;
    q.host = "127.0.0.1";
    q.port = fault_port;
    q.path = path;
    llmres_http_response_init(&resp, body, sizeof(body), NULL, NULL, !strcmp(method, "HEAD"));
    rc = llmres_http_exchange(&client, &q, &resp, timeout_ms);
    if (took) *took = port.now_ms(port.ctx) - t0;
    return rc;
}

/* The fault server's deterministic body of n bytes (see fault_server.py). */
static int body_is_padded_json(size_t n) {
    return n >= 10 && resp.body_len == n && memcmp(body, "{\"pad\":\"", 8) == 0 && body[n - 2] == '"' && body[n - 1] == '}';
}

static void keep_alive_reuses_one_connection(void) {
    int i;
    uint32_t connects = client.connects;
    for (i = 0; i < 20; i++) CHECK_EQ(get("GET", "/ok", 5000, NULL), 200);
    CHECK_EQ(client.connects - connects, 1);
    CHECK(resp.body_len == 11 && memcmp(body, "{\"ok\":true}", 11) == 0);
}

static void bodies_of_every_framing(void) {
    CHECK_EQ(get("GET", "/json/100000", 5000, NULL), 200);
    CHECK(body_is_padded_json(100000));
    CHECK_EQ(get("GET", "/chunked/5000", 5000, NULL), 200);
    CHECK(resp.flags & LLMRES_HTTP_CHUNKED);
    CHECK(body_is_padded_json(5000));
    CHECK_EQ(get("GET", "/close-delimited/100000", 5000, NULL), 200);
    CHECK(body_is_padded_json(100000));
    CHECK_EQ(get("HEAD", "/head-check", 5000, NULL), 200);
    CHECK_EQ(resp.body_len, 0);
    CHECK_EQ(resp.content_length, 12345);
    CHECK_EQ(get("GET", "/1xx", 5000, NULL), 200);
    CHECK_EQ(get("GET", "/status/529", 5000, NULL), 529);
    CHECK_EQ(get("GET", "/status/204", 5000, NULL), 204);
    CHECK_EQ(get("GET", "/vector/openai_429_rate_limit.http", 5000, NULL), 429);
    CHECK_EQ(resp.hints.retry_after_ms, 19872);
}

static void server_dropping_idle_connection_is_retried_once(void) {
    uint32_t stale = client.stale_retries;
    CHECK_EQ(get("GET", "/close-after", 5000, NULL), 200); /* the server closes after this */
    CHECK_EQ(get("GET", "/ok", 5000, NULL), 200);          /* found dead, replaced, sent again */
    CHECK_EQ(client.stale_retries - stale, 1);
}

static void faults_get_their_own_errors_in_time(void) {
    uint32_t took;
    CHECK_EQ(get("GET", "/reset-mid-body", 5000, NULL), LLMRES_ERR_IO);
    CHECK_EQ(get("GET", "/truncated-chunked", 5000, NULL), LLMRES_ERR_TRUNCATED);
    CHECK_EQ(get("GET", "/huge-header", 5000, NULL), LLMRES_ERR_HEADER_TOO_LONG);
    CHECK_EQ(get("GET", "/many-headers", 5000, NULL), LLMRES_ERR_TOO_MANY_HEADERS);
    CHECK_EQ(get("GET", "/garbage", 5000, NULL), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(get("GET", "/bad-status", 5000, NULL), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(get("GET", "/obs-fold", 5000, NULL), LLMRES_ERR_BAD_HTTP);
    /* a stalled server: the deadline fires within its bound */
    CHECK_EQ(get("GET", "/stall", 300, &took), LLMRES_ERR_TIMEOUT);
    CHECK(took >= 300 && took < 600);
    CHECK_EQ(get("GET", "/stall-body", 300, &took), LLMRES_ERR_TIMEOUT);
    CHECK(took >= 300 && took < 600);
    /* after all that, the client still works */
    CHECK_EQ(get("GET", "/ok", 5000, NULL), 200);
}

static void connect_refused_and_no_tls(void) {
    llmres_http_request_t q;
    int fd, rc;
    uint16_t closed_port;
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    /* a port nobody listens on: bind one, note it, close it */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    closed_port = ntohs(a.sin_port);
    close(fd);
    memset(&q, 0, sizeof(q));
    q.method = "GET"; q.host = "127.0.0.1"; q.port = closed_port; q.path = "/";
    llmres_http_response_init(&resp, body, sizeof(body), NULL, NULL, 0);
    rc = llmres_http_exchange(&client, &q, &resp, 2000);
    CHECK_EQ(rc, LLMRES_ERR_CONNECT);
    q.tls = 1; q.port = fault_port;
    CHECK_EQ(llmres_http_exchange(&client, &q, &resp, 2000), LLMRES_ERR_NO_TLS);
}

static void port_basics(void) {
    uint8_t a[32], b[32];
    uint32_t t0 = port.now_ms(port.ctx), t1;
    CHECK_EQ(port.entropy(port.ctx, a, sizeof(a)), 0);
    CHECK_EQ(port.entropy(port.ctx, b, sizeof(b)), 0);
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    port.sleep_ms(port.ctx, 20);
    t1 = port.now_ms(port.ctx);
    CHECK(t1 - t0 >= 20 && t1 - t0 < 500);
    port.lock(port.ctx);
    port.unlock(port.ctx);
}

/* Threads sharing one port, each with its own HTTP client, against a server that resets
   mid-body and refuses: every connection's state is its own (built with
   ThreadSanitizer by make test, which finds nothing). */
#define SHARERS 4
static llmres_http_client_t sharer_client[SHARERS];
static llmres_http_response_t sharer_resp[SHARERS];
static uint8_t sharer_body[SHARERS][4096];
static int sharer_wrong[SHARERS];

static void *sharer(void *arg) {
    int me = (int)(intptr_t)arg, i;
    llmres_http_request_t q;
    memset(&q, 0, sizeof(q));
    q.method = "GET";
    q.host = "127.0.0.1";
    q.port = fault_port;
    for (i = 0; i < 20; i++) {
        q.path = i % 2 ? "/ok" : "/reset-mid-body";
        llmres_http_response_init(&sharer_resp[me], sharer_body[me], sizeof(sharer_body[me]), NULL, NULL, 0);
        if (llmres_http_exchange(&sharer_client[me], &q, &sharer_resp[me], 5000) != (i % 2 ? 200 : LLMRES_ERR_IO))
            sharer_wrong[me]++;
    }
    llmres_http_client_close(&sharer_client[me]);
    return NULL;
}

static void threads_sharing_the_port_do_not_race(void) {
    pthread_t t[SHARERS];
    int i;
    for (i = 0; i < SHARERS; i++) {
        CHECK_EQ(llmres_http_client_init(&sharer_client[i], &port, NULL), LLMRES_OK);
        CHECK_EQ(pthread_create(&t[i], NULL, sharer, (void *)(intptr_t)i), 0);
    }
    for (i = 0; i < SHARERS; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(sharer_wrong[i], 0);
    }
    CHECK(llmres_posix_last_errno(&posix) != 0); /* the resets were seen */
}

static void config_from_the_environment(void) {
    llmres_config_t c;
    char err[160];
    llmres_config_defaults(&c);
    setenv("LLM_REQUESTS_PER_SECOND", "1.5", 1);
    setenv("LLM_MAX_QUEUE_SIZE", "30", 1);
    CHECK_EQ(llmres_posix_config_from_env(&c, err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.rps_milli, 1500);
    CHECK_EQ(c.max_queue, 30);
    setenv("LLM_CIRCUIT_BREAKER_MAX_FAILURES", "many", 1);
    CHECK_EQ(llmres_posix_config_from_env(&c, err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK(strstr(err, "LLM_CIRCUIT_BREAKER_MAX_FAILURES") != NULL);
    unsetenv("LLM_REQUESTS_PER_SECOND");
    unsetenv("LLM_MAX_QUEUE_SIZE");
    unsetenv("LLM_CIRCUIT_BREAKER_MAX_FAILURES");
}

int main(int argc, char **argv) {
    const char *p = getenv("LLMRES_FAULT_PORT");
    T_INIT(argc, argv);
    if (!p) { printf("FAIL integration: LLMRES_FAULT_PORT not set (make check T=integration starts the server)\n"); return 1; }
    fault_port = (uint16_t)atoi(p);
    if (llmres_posix_init(&port, &posix) != LLMRES_OK || llmres_http_client_init(&client, &port, NULL) != LLMRES_OK) {
        printf("FAIL integration: init\n");
        return 1;
    }
    RUN(port_basics);
    RUN(keep_alive_reuses_one_connection);
    RUN(bodies_of_every_framing);
    RUN(server_dropping_idle_connection_is_retried_once);
    RUN(faults_get_their_own_errors_in_time);
    RUN(connect_refused_and_no_tls);
    RUN(threads_sharing_the_port_do_not_race);
    RUN(config_from_the_environment);
    llmres_http_client_close(&client);
    return T_DONE();
}
