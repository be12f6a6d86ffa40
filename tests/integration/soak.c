/* Soak: LLMRES_SOAK_N (10,000) calls from one process through llmres_call over the POSIX
   port and mbedTLS, keep-alive, against the mock LLM over TLS (tests/servers/mock_llm.py,
   started by tests/common.sh; LLMRES_MOCK_PORT, LLMRES_CA_FILE). Open descriptors
   (/proc/self/fd) and memory (/proc/self/statm) after the 100th call must equal those
   after the last: the resident pages that are not file-backed (resident - shared: the
   heap, under mbedTLS's record buffers, and the stacks) within two pages of allocator
   noise. The whole RSS is printed, not checked: it also counts library code the first time
   it runs, and glibc loads libgcc_s (about 32 pages) when getaddrinfo_a's helper thread
   ends, a second or so after the one connect; it grows by that once, not with the calls. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_posix.h"
#include "../../port/llmres_mbedtls.h"
#include "../test.h"
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>

#define RSS_NOISE_PAGES 2

static llmres_port_t port;
static llmres_posix_t posix;
static llmres_mbedtls_t tls;
static llmres_client_t client;
static llmres_worker_t worker;

static long open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    if (!d) return -1;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

/* resident pages, and those of them not file-backed (resident - shared) */
static void rss_pages(long *rss, long *anon) {
    long size = 0, shared = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    *rss = *anon = -1;
    if (!f) return;
    if (fscanf(f, "%ld %ld %ld", &size, rss, &shared) == 3) *anon = *rss - shared;
    fclose(f);
}

/* glibc loads libgcc_s the first time a thread exits (to unwind it): getaddrinfo_a's
   helper thread would do that a second or so after the one connect. A thread that exits
   first makes it happen before anything is measured. */
static void *exits(void *arg) { pthread_exit(arg); }
static void load_what_a_thread_exit_loads(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, exits, NULL) == 0) pthread_join(t, NULL);
}

static void ten_thousand_calls_leave_nothing_behind(void) {
    const char *env = getenv("LLMRES_SOAK_N");
    long n = env ? atol(env) : 10000, i, fds100 = -1, rss100 = -1, anon100 = -1, fds, rss, anon, failed = 0;
    uint32_t t0 = port.now_ms(port.ctx), t100 = t0, ms;
    char text[128], prompt[48], want[64];
    llmres_call_t call;
    llmres_result_t res;
    CHECK(n >= 200);
    load_what_a_thread_exit_loads();
    for (i = 1; i <= n; i++) {
        snprintf(prompt, sizeof(prompt), "soak %ld", i);
        llmres_call_init(&call, prompt, text, sizeof(text));
        call.timeout_ms = 10000;
        if (llmres_call(&client, &worker, &call, &res) != LLMRES_OK) {
            if (failed++ < 5) printf("  call %ld: %s, class %s\n", i, llmres_strerror(res.error), llmres_class_name(res.cls));
            continue;
        }
        snprintf(want, sizeof(want), "echo: %s", prompt);
        if (strcmp(text, want) != 0 && failed++ < 5) printf("  call %ld: answered \"%s\"\n", i, text);
        if (i == 100) {
            fds100 = open_fds();
            rss_pages(&rss100, &anon100);
            t100 = port.now_ms(port.ctx);
        }
    }
    ms = port.now_ms(port.ctx) - t0;
    fds = open_fds();
    rss_pages(&rss, &anon);
    printf("  %ld calls in %u ms (%ld a second after the 100th); %lu connects, %lu reuses\n", n, (unsigned)ms,
           (n - 100) * 1000 / (long)(port.now_ms(port.ctx) - t100 + 1), (unsigned long)worker.http.connects,
           (unsigned long)worker.http.reuses);
    printf("  after 100: %ld fds, RSS %ld pages (%ld not file-backed); after %ld: %ld fds, RSS %ld pages (%ld)\n", fds100, rss100,
           anon100, n, fds, rss, anon);
    CHECK_EQ(failed, 0);
    CHECK_EQ(client.successes, (uint32_t)n);
    CHECK(worker.http.connects <= 3); /* keep-alive held: one connection, a reconnect or two at most */
    CHECK(fds100 > 0);
    CHECK_EQ(fds, fds100);
    CHECK(anon100 > 0 && anon <= anon100 + RSS_NOISE_PAGES);
}

int main(int argc, char **argv) {
    const char *p = getenv("LLMRES_MOCK_PORT"), *ca = getenv("LLMRES_CA_FILE");
    llmres_provider_t prov;
    llmres_config_t cfg;
    T_INIT(argc, argv);
    if (!p || !ca) {
        printf("FAIL soak: LLMRES_MOCK_PORT and LLMRES_CA_FILE must be set (make check T=soak does)\n");
        return 1;
    }
    memset(&prov, 0, sizeof(prov));
    prov.format = LLMRES_PROVIDER_OPENAI;
    prov.host = "localhost";
    prov.port = (uint16_t)atoi(p);
    prov.tls = 1;
    prov.api_key = "sk-soak-never-shown";
    prov.model = "mock-model";
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0; /* as fast as the mock answers */
    if (llmres_posix_init(&port, &posix) != LLMRES_OK || llmres_mbedtls_init(&tls, &port, &port.tcp) != LLMRES_OK ||
        llmres_mbedtls_ca_file(&tls, ca) != LLMRES_OK || llmres_client_init(&client, &port, &tls.transport, &cfg, &prov, 1) != LLMRES_OK ||
        llmres_worker_init(&worker, &client, NULL) != LLMRES_OK) {
        printf("FAIL soak: init\n");
        return 1;
    }
    RUN(ten_thousand_calls_leave_nothing_behind);
    llmres_worker_close(&worker);
    llmres_mbedtls_free(&tls);
    return T_DONE();
}
