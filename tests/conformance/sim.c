/* The conformance test (llmres_conformance.h) on the sim port. The peer acts on the
   simulated connection the test opened: a whole answer then a close, silence, a reset,
   or a sink whose bytes it reads back from the connection. The sim has no addresses that
   refuse or drop, and takes one request of at most LLMRES_SIM_IO_BYTES: those checks are
   SKIPs. Its clock is virtual: the timing checks hold to the millisecond. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_sim.h"
#include "llmres_conformance.h"

static llmres_sim_t sim;
static int behaviour, last = -1;
static uint32_t bytes;

static int prepare(void *ctx, int b, uint32_t n, const char **host, uint16_t *at) {
    (void)ctx;
    if (b != LLMRES_CONFORMANCE_SEND_CLOSE && b != LLMRES_CONFORMANCE_STALL && b != LLMRES_CONFORMANCE_SINK &&
        b != LLMRES_CONFORMANCE_RESET)
        return -1;
    behaviour = b;
    bytes = n;
    *host = "sim.local";
    *at = 443;
    return 0;
}

static void opened(void *ctx, int id) {
    llmres_sim_conn_t *c = &sim.conn[id];
    uint32_t i;
    (void)ctx;
    last = id;
    if (behaviour == LLMRES_CONFORMANCE_SEND_CLOSE) { /* the answer is there, then the peer's FIN */
        for (i = 0; i < bytes; i++) c->out[i] = (char)llmres_conformance_byte(i);
        c->out_len = bytes;
        c->answered = c->closed = 1;
        c->ready_at = sim.now;
    } else if (behaviour == LLMRES_CONFORMANCE_RESET) {
        c->answered = c->reset = 1;
        c->ready_at = sim.now;
    } /* STALL and SINK: a new connection is silent and takes what is sent */
}

static int received(void *ctx, uint32_t wait_ms, uint32_t *count, uint32_t *hash) {
    (void)ctx; (void)wait_ms;
    if (last < 0 || sim.conn[last].open) return -1; /* not closed: the end not seen */
    *count = (uint32_t)sim.conn[last].in_len;
    *hash = llmres_conformance_hash(2166136261u, sim.conn[last].in, sim.conn[last].in_len);
    return 0;
}

static int clock_near_wrap(void *ctx, uint32_t ms_before) {
    (void)ctx;
    sim.now = 0u - ms_before;
    return 0;
}

int main(void) {
    llmres_sim_config_t cfg;
    llmres_conformance_peer_t p;
    memset(&cfg, 0, sizeof(cfg));
    if (llmres_sim_init(&sim, &cfg) != LLMRES_OK) return 2;
    memset(&p, 0, sizeof(p));
    p.prepare = prepare;
    p.opened = opened;
    p.received = received;
    p.clock_near_wrap = clock_near_wrap;
    p.max_bytes = LLMRES_SIM_IO_BYTES / 2;
    p.slack_ms = 1; /* virtual time: exact */
    return llmres_conformance_run("sim", &sim.port, &sim.port.tcp, &p) ? 1 : 0;
}
