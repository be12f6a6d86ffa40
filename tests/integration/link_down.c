/* A device whose network is down: run in a network namespace with no interface up
   (unshare -n), where every connect fails with ENETUNREACH. The POSIX port says
   LLMRES_ERR_LINK_DOWN, and the client holds it against nothing: no attempt, no breaker
   failure, no overload signal, no retry budget spent. Sends nothing anywhere. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_posix.h"
#include "../test.h"
#include <stdio.h>

static llmres_posix_t posix;
static llmres_port_t port;
static llmres_client_t client;
static llmres_worker_t worker;

static void the_port_says_link_down(void) {
    int rc = port.tcp.open(port.tcp.ctx, "10.255.255.1", 80, 1000);
    CHECK_EQ(rc, LLMRES_ERR_LINK_DOWN);
    CHECK(strcmp(llmres_strerror(rc), "network link down") == 0);
}

static void the_client_does_not_blame_the_provider(void) {
    static const llmres_provider_t cloud = {LLMRES_PROVIDER_OPENAI, "10.255.255.1", 80, 0, NULL, "sk-test", "m", NULL};
    llmres_config_t cfg;
    llmres_call_t call;
    llmres_result_t res;
    char text[64];
    uint32_t budget;
    int i;
    llmres_config_defaults(&cfg);
    cfg.backoff_base_ms = 10; cfg.backoff_max_ms = 20; cfg.max_retries = 2;
    CHECK_EQ(llmres_client_init(&client, &port, NULL, &cfg, &cloud, 1), LLMRES_OK);
    CHECK_EQ(llmres_worker_init(&worker, &client, NULL), LLMRES_OK);
    budget = client.retry_budget;
    llmres_call_init(&call, "hello", text, sizeof(text));
    for (i = 0; i < 10; i++) {
        CHECK_EQ(llmres_call(&client, &worker, &call, &res), LLMRES_ERR_LINK_DOWN);
        CHECK_EQ(res.attempts, 0);
    }
    CHECK_EQ(client.attempts, 0);
    CHECK_EQ(client.retries, 20);                 /* retried, as max_retries says */
    CHECK_EQ(client.breaker[0].failures, 0);      /* 30 failures: not the provider's */
    CHECK_EQ(llmres_breaker_state(&client.breaker[0]), LLMRES_BREAKER_CLOSED);
    CHECK_EQ(client.overload[0].answers, 0);
    CHECK(client.retry_budget >= budget);
    llmres_worker_close(&worker);
}

/* Only lo in this network namespace (/proc/self/net/dev lists this namespace's
   interfaces): nothing the test does can leave the machine. */
static int isolated(void) {
    FILE *f = fopen("/proc/self/net/dev", "r");
    char line[256];
    int n = 0, others = 0;
    if (!f) return 0;
    while (fgets(line, sizeof(line), f)) {
        const char *p = line;
        if (n++ < 2) continue; /* the two header lines */
        while (*p == ' ') p++;
        others += strncmp(p, "lo:", 3) != 0;
    }
    fclose(f);
    return others == 0;
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    if (!isolated()) {
        printf("FAIL link_down must run in a network namespace of its own (unshare -n)\n");
        return 1;
    }
    CHECK_EQ(llmres_posix_init(&port, &posix), LLMRES_OK);
    RUN(the_port_says_link_down);
    RUN(the_client_does_not_blame_the_provider);
    return T_DONE();
}
