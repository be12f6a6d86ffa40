/* The LLM client through TLS against the mock LLM server (tests/servers/mock_llm.py,
   started by tests/common.sh over TLS, overloaded: a small capacity, 429 with
   retry-after beyond it).
   A blocking call in each wire format, then the dispatcher with a thread per slot while
   the main thread submits jobs with priorities and deadlines: every accepted job ends
   exactly once, none after its deadline, and the server's 429s were retried.
   Anthropic's own 429 (rate_limit_error, retry-after, anthropic-ratelimit-*) against a
   mock that serves 2 requests a second; and the mock taking the Bearer form of an
   Anthropic key, as the current SDK sends it.
   Environment: LLMRES_MOCK_PORT, LLMRES_MOCK_A429_PORT, LLMRES_CA_FILE. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_posix.h"
#include "../../port/llmres_mbedtls.h"
#include "../test.h"
#include <pthread.h>
#include <stdlib.h>

#define SLOTS 3
#define JOBS 60

static llmres_port_t port;
static llmres_posix_t posix;
static llmres_mbedtls_t tls[SLOTS + 1];
static llmres_client_t client;
static llmres_worker_t workers[SLOTS];
static llmres_dispatch_t disp;
static uint16_t mock_port, a429_port;
static const char *ca_file;

static llmres_job_t job[JOBS];
static char text[JOBS][128], prompt[JOBS][48];
static llmres_llm_message_t msg[JOBS];
static uint32_t deadline_ms[JOBS];
static int done_count[JOBS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int stop, ended;

static int setup(int format, const llmres_config_t *cfg) {
    llmres_provider_t p;
    llmres_worker_t *w[SLOTS];
    int i;
    memset(&p, 0, sizeof(p));
    p.format = format;
    p.host = "localhost";
    p.port = mock_port;
    p.tls = 1;
    p.api_key = "sk-test-never-shown";
    p.model = "mock-model";
    if (llmres_client_init(&client, &port, &tls[SLOTS].transport, cfg, &p, 1) != LLMRES_OK) return -1;
    for (i = 0; i < SLOTS; i++) {
        if (llmres_worker_init(&workers[i], &client, &tls[i].transport) != LLMRES_OK) return -1;
        w[i] = &workers[i];
    }
    return llmres_dispatch_init(&disp, &client, w, SLOTS);
}

static void teardown(void) {
    int i;
    for (i = 0; i < SLOTS; i++) llmres_worker_close(&workers[i]);
}

static void blocking_call_in_each_format(void) {
    static const int formats[3] = {LLMRES_PROVIDER_OPENAI, LLMRES_PROVIDER_ANTHROPIC, LLMRES_PROVIDER_OLLAMA};
    llmres_config_t cfg;
    int f;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    for (f = 0; f < 3; f++) {
        llmres_llm_message_t m = {"user", "caf\xc3\xa9 \"quoted\" line\nnext"};
        llmres_call_t call;
        llmres_result_t res;
        char out[128];
        CHECK_EQ(setup(formats[f], &cfg), LLMRES_OK);
        memset(&call, 0, sizeof(call));
        call.messages = &m;
        call.message_count = 1;
        call.max_tokens = 100;
        call.temperature_milli = 700;
        call.timeout_ms = 10000;
        call.text = out;
        call.text_cap = sizeof(out);
        CHECK_EQ(llmres_call(&client, &workers[0], &call, &res), LLMRES_OK);
        /* the escaped prompt came back unescaped, byte for byte */
        CHECK(strcmp(out, "echo: caf\xc3\xa9 \"quoted\" line\nnext") == 0);
        CHECK_EQ(res.cls, LLMRES_CLASS_OK);
        CHECK(res.input_tokens != LLMRES_UNKNOWN && res.input_tokens > 0);
        CHECK(res.output_tokens != LLMRES_UNKNOWN && res.output_tokens > 0);
        CHECK_EQ(res.provider, 0);
        teardown();
    }
}

/* ---- streaming ---- */
static char streamed[512];
static int pieces, restarts, longest;
static void on_text(void *user, const char *t, size_t n) {
    size_t at = strlen(streamed);
    (void)user;
    if (!t) { restarts++; streamed[0] = 0; return; }
    pieces++;
    if ((int)n > longest) longest = (int)n;
    if (at + n < sizeof(streamed)) { memcpy(streamed + at, t, n); streamed[at + n] = 0; }
}

static int stream_once(int format, uint16_t on_port, llmres_result_t *res, char *out, size_t cap) {
    static const llmres_llm_message_t m = {"user", "stream me a caf\xc3\xa9 answer, please"};
    llmres_config_t cfg;
    llmres_call_t call;
    uint16_t keep = mock_port;
    int rc;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    cfg.backoff_base_ms = 50;
    cfg.max_retries = 2;
    mock_port = on_port;
    rc = setup(format, &cfg);
    mock_port = keep;
    if (rc != LLMRES_OK) return rc;
    memset(&call, 0, sizeof(call));
    call.messages = &m;
    call.message_count = 1;
    call.max_tokens = 100;
    call.temperature_milli = 700;
    call.timeout_ms = 10000;
    call.text = out;
    call.text_cap = cap;
    call.on_text = on_text;
    streamed[0] = 0;
    pieces = restarts = longest = 0;
    rc = llmres_call(&client, &workers[0], &call, res);
    teardown();
    return rc;
}

static void streaming_in_each_format(void) {
    static const int formats[3] = {LLMRES_PROVIDER_OPENAI, LLMRES_PROVIDER_ANTHROPIC, LLMRES_PROVIDER_OLLAMA};
    const char *err_port = getenv("LLMRES_MOCK_STREAM_ERROR_PORT");
    llmres_result_t res;
    char out[256];
    int f;
    for (f = 0; f < 3; f++) {
        CHECK_EQ(stream_once(formats[f], mock_port, &res, out, sizeof(out)), LLMRES_OK);
        /* the mock sends at most 4 characters an event: the answer came in pieces */
        CHECK(strcmp(out, "echo: stream me a caf\xc3\xa9 answer, please") == 0);
        CHECK(strcmp(streamed, out) == 0);
        CHECK(pieces >= 9);
        CHECK(longest <= 5); /* 4 characters, one of them two bytes */
        CHECK(res.input_tokens != LLMRES_UNKNOWN && res.output_tokens != LLMRES_UNKNOWN);
    }
    /* a server that fails every stream after two pieces: each retry starts over, and the
       call ends in the error's class (overloaded, after the 200), not in a cut answer */
    CHECK(err_port != NULL);
    if (!err_port) return;
    CHECK_EQ(stream_once(LLMRES_PROVIDER_ANTHROPIC, (uint16_t)atoi(err_port), &res, out, sizeof(out)), LLMRES_ERR_PROVIDER);
    CHECK_EQ(res.cls, LLMRES_CLASS_OVERLOADED);
    CHECK_EQ(res.attempts, 3);
    CHECK_EQ(restarts, 2);
    CHECK(strcmp(streamed, "echo: st") == 0); /* the last attempt's two pieces, told as they came */
}

static void on_done(llmres_job_t *j, void *user) {
    int i = (int)(intptr_t)user;
    (void)j;
    pthread_mutex_lock(&mu);
    done_count[i]++;
    ended++;
    pthread_mutex_unlock(&mu);
}

static void *slot_thread(void *arg) {
    uint32_t slot = (uint32_t)(intptr_t)arg;
    for (;;) {
        uint32_t wait = 0;
        int quit;
        pthread_mutex_lock(&mu);
        quit = stop;
        pthread_mutex_unlock(&mu);
        if (quit) break;
        if (llmres_dispatch_step_slot(&disp, slot, &wait) < 0) break;
        /* a slot thread with nothing to do looks at the queue again soon */
        if (wait) port.sleep_ms(port.ctx, wait < 5 ? wait : 5);
    }
    return NULL;
}

static void dispatcher_threads_over_tls(void) {
    llmres_config_t cfg;
    pthread_t th[SLOTS];
    uint32_t t0, late = 0, latest = 0, ok = 0, expired = 0, waited;
    /* thread wake-ups; under valgrind a TLS handshake's CPU alone takes longer */
    uint32_t slack_ms = getenv("LLMRES_SLOW") ? 1000u : 100u;
    int i, accepted[JOBS], refused = 0, all_ended = 0;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;            /* let the server's 429s steer */
    cfg.max_queue = 24;
    cfg.attempt_timeout_ms = 3000;
    cfg.backoff_base_ms = 50;
    cfg.backoff_max_ms = 2000;
    cfg.max_retries = 20;         /* the deadline, not the count, ends a patient job */
    /* one device's patience: it waits out every retry-after rather than shed, and no
       budget or throttle refuses its retries (tests/unit/overload.c tests those) */
    cfg.shed_wait_ms = 20000;
    cfg.retry_budget_pct = 0;
    cfg.throttle_k_milli = 0;
    CHECK_EQ(setup(LLMRES_PROVIDER_OPENAI, &cfg), LLMRES_OK);
    for (i = 0; i < SLOTS; i++) pthread_create(&th[i], NULL, slot_thread, (void *)(intptr_t)i);
    t0 = port.now_ms(port.ctx);
    for (i = 0; i < JOBS; i++) {
        int rc;
        snprintf(prompt[i], sizeof(prompt[i]), "reading %d from sensor %d", i * 7, i % 5);
        msg[i].role = "user";
        msg[i].content = prompt[i];
        memset(&job[i], 0, sizeof(job[i]));
        job[i].call.messages = &msg[i];
        job[i].call.message_count = 1;
        job[i].call.max_tokens = 64;
        job[i].call.temperature_milli = 700;
        /* most may wait; every sixth is urgent; every tenth is urgent and hopeless: the
           server sleeps 30 ms before any answer, its deadline is 20 ms (a 429 comes at
           once, but its retry-after is past the deadline) */
        job[i].priority = (uint8_t)(i % 6 == 0 || i % 10 == 9 ? 3 : i % 3);
        deadline_ms[i] = i % 10 == 9 ? 20 : i % 6 == 0 ? 4000 : 20000;
        job[i].call.timeout_ms = deadline_ms[i];
        job[i].call.text = text[i];
        job[i].call.text_cap = sizeof(text[i]);
        job[i].on_done = on_done;
        job[i].user = (void *)(intptr_t)i;
        rc = llmres_dispatch_submit(&disp, &job[i]);
        accepted[i] = rc == LLMRES_OK;
        if (rc != LLMRES_OK) { CHECK_EQ(rc, LLMRES_ERR_FULL); refused++; }
        if (i % 4 == 3) port.sleep_ms(port.ctx, 20); /* events arrive faster than served */
    }
    for (waited = 0; waited < 60000; waited += 10) { /* bounded: every job has a deadline */
        pthread_mutex_lock(&mu);
        all_ended = ended == JOBS - refused;
        pthread_mutex_unlock(&mu);
        if (all_ended) break;
        port.sleep_ms(port.ctx, 10);
    }
    pthread_mutex_lock(&mu);
    stop = 1;
    pthread_mutex_unlock(&mu);
    for (i = 0; i < SLOTS; i++) pthread_join(th[i], NULL);
    CHECK(all_ended);
    for (i = 0; i < JOBS; i++) {
        char want[64];
        CHECK_EQ(done_count[i], accepted[i]);
        if (!accepted[i]) continue;
        CHECK_EQ(job[i].state, LLMRES_JOB_DONE);
        if (job[i].result.elapsed_ms > deadline_ms[i] + slack_ms) late++;
        if (job[i].result.elapsed_ms > deadline_ms[i] && job[i].result.elapsed_ms - deadline_ms[i] > latest)
            latest = job[i].result.elapsed_ms - deadline_ms[i];
        if (job[i].result.error == LLMRES_OK) {
            ok++;
            snprintf(want, sizeof(want), "echo: %s", prompt[i]);
            CHECK(strcmp(text[i], want) == 0); /* each job got its own answer */
        } else if (job[i].result.error == LLMRES_ERR_TIMEOUT) {
            expired++;
        }
        /* the patient ones are answered unless a more urgent job pushed them out */
        if (deadline_ms[i] == 20000 && job[i].result.error != LLMRES_ERR_DISPLACED) CHECK_EQ(job[i].result.error, LLMRES_OK);
        if (deadline_ms[i] == 20) { /* the hopeless ones: timed out, refused (maybe twice, a 429's
                                       retry-after can be a few ms) with no time left to retry, or
                                       not taken at all: a retry-after held the provider past
                                       their deadline (shed at submit, told the wait) */
            CHECK(job[i].result.error != LLMRES_OK);
            CHECK(job[i].result.cls == LLMRES_CLASS_TIMEOUT || job[i].result.cls == LLMRES_CLASS_RATE_LIMIT ||
                  (job[i].result.error == LLMRES_ERR_LIMITED && job[i].result.cls == LLMRES_CLASS_OVERLOADED &&
                   job[i].result.retry_in_ms > 0 && job[i].result.attempts == 0));
        }
    }
    CHECK_EQ(late, 0);
    CHECK_EQ(disp.submitted, (uint32_t)(JOBS - refused));
    CHECK_EQ(disp.submitted, disp.completed + disp.expired + disp.displaced + disp.cancelled + disp.shed);
    CHECK_EQ(client.in_flight, 0);
    CHECK(client.status_429 > 0);          /* the server was overloaded... */
    CHECK(client.retries > 0);             /* ...and its 429s were retried */
    printf("  %d jobs: %u answered, %u timed out, %u displaced, %d refused; %u attempts, %u 429s, %u ms; "
           "latest end %u ms after a deadline\n", JOBS, (unsigned)ok, (unsigned)expired, (unsigned)disp.displaced, refused,
           (unsigned)client.attempts, (unsigned)client.status_429, (unsigned)(port.now_ms(port.ctx) - t0), (unsigned)latest);
    teardown();
}

/* Anthropic refuses with its own 429: the call is classed rate_limit, waits what
   retry-after says, and is answered. A fresh client each time, so that none knows from
   the last answer's anthropic-ratelimit-requests-remaining to wait (a client that does
   paces itself and is never refused: the first calls show that). */
static void anthropic_rate_limit_is_honoured(void) {
    llmres_config_t cfg;
    llmres_call_t call;
    llmres_result_t res;
    char out[128];
    uint32_t refused = 0, extra = 0;
    int i, answered = 0;
    uint16_t keep = mock_port;
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    llmres_call_init(&call, "hello", out, sizeof(out));
    mock_port = a429_port;
    for (i = 0; i < 6; i++) {
        CHECK_EQ(setup(LLMRES_PROVIDER_ANTHROPIC, &cfg), LLMRES_OK);
        answered += llmres_call(&client, &workers[0], &call, &res) == LLMRES_OK;
        refused += client.status_429;
        extra += res.attempts - 1;
        CHECK_EQ(client.attempts_by_class[LLMRES_CLASS_RATE_LIMIT], client.status_429);
        teardown();
    }
    mock_port = keep;
    CHECK_EQ(answered, 6);
    CHECK(refused >= 1);     /* refused in Anthropic's way, */
    CHECK_EQ(extra, refused); /* and each refusal waited out once, then answered */
}

/* The mock takes Authorization: Bearer for Anthropic too (the current SDK's form). */
static void anthropic_bearer_key_is_accepted(void) {
    static llmres_http_client_t h;
    static llmres_http_response_t resp;
    static uint8_t body[2048];
    static const char req_body[] = "{\"model\":\"m\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    llmres_http_header_t hdr[3] = {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk-ant-test"},
                                   {"anthropic-version", "2025-01-01"}};
    llmres_http_request_t q;
    memset(&q, 0, sizeof(q));
    q.method = "POST"; q.host = "localhost"; q.port = mock_port; q.tls = 1; q.path = "/v1/messages";
    q.headers = hdr; q.header_count = 3; q.body = req_body; q.body_len = sizeof(req_body) - 1;
    CHECK_EQ(llmres_http_client_init(&h, &port, &tls[SLOTS].transport), LLMRES_OK);
    llmres_http_response_init(&resp, body, sizeof(body), NULL, NULL, 0);
    CHECK_EQ(llmres_http_exchange(&h, &q, &resp, 10000), 200);
    llmres_http_client_close(&h);
}

int main(int argc, char **argv) {
    const char *p = getenv("LLMRES_MOCK_PORT"), *a = getenv("LLMRES_MOCK_A429_PORT");
    int i;
    T_INIT(argc, argv);
    ca_file = getenv("LLMRES_CA_FILE");
    if (!p || !a || !ca_file) {
        printf("FAIL llm_tls: LLMRES_MOCK_PORT, LLMRES_MOCK_A429_PORT and LLMRES_CA_FILE must be set (make check T=llm_tls does)\n");
        return 1;
    }
    mock_port = (uint16_t)atoi(p);
    a429_port = (uint16_t)atoi(a);
    llmres_posix_init(&port, &posix);
    for (i = 0; i <= SLOTS; i++)
        if (llmres_mbedtls_init(&tls[i], &port, &port.tcp) != LLMRES_OK || llmres_mbedtls_ca_file(&tls[i], ca_file) != LLMRES_OK) {
            printf("FAIL llm_tls: TLS setup: %s\n", tls[i].reason);
            return 1;
        }
    RUN(blocking_call_in_each_format);
    RUN(streaming_in_each_format);
    RUN(dispatcher_threads_over_tls);
    RUN(anthropic_rate_limit_is_honoured);
    RUN(anthropic_bearer_key_is_accepted);
    for (i = 0; i <= SLOTS; i++) llmres_mbedtls_free(&tls[i]);
    return T_DONE();
}
