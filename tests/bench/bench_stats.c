/* What counting costs a call: `bench_stats N [stats]` makes N whole calls on the
   simulated port, with statistics attached or not; tests/bench/bench_instr.sh counts the
   instructions of both with callgrind, and the difference per call is the cost. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_sim.h"
#include <stdlib.h>

static llmres_sim_t sim;
static llmres_client_t client;
static llmres_worker_t worker;
static llmres_stats_t stats;

int main(int argc, char **argv) {
    static const llmres_provider_t cloud = {LLMRES_PROVIDER_OPENAI, "cloud.sim", 80, 0, NULL, "sk-sim", "m", NULL};
    llmres_sim_config_t sc;
    llmres_config_t cfg;
    llmres_call_t call;
    llmres_result_t res;
    char text[128];
    long i, n = argc > 1 ? atol(argv[1]) : 1000;
    memset(&sc, 0, sizeof(sc));
    sc.latency_ms = 100;
    llmres_sim_init(&sim, &sc);
    llmres_config_defaults(&cfg);
    cfg.rps_milli = 0;
    if (llmres_client_init(&client, &sim.port, NULL, &cfg, &cloud, 1) != LLMRES_OK ||
        llmres_worker_init(&worker, &client, NULL) != LLMRES_OK)
        return 1;
    if (argc > 2 && llmres_client_stats(&client, &stats) != LLMRES_OK) return 1;
    llmres_call_init(&call, "hello", text, sizeof(text));
    for (i = 0; i < n; i++)
        if (llmres_call(&client, &worker, &call, &res) != LLMRES_OK) return 1;
    return 0;
}
