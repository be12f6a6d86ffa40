/* The conformance test (llmres_conformance.h) on the POSIX port, with the peer of
   peer_posix.h on 127.0.0.1. tests/ports.sh runs it as root inside a network namespace
   it creates (unshare -n) with a TUN device nobody reads, and LLMRES_CONFORMANCE_DROPPED
   set to an address routed there, whose packets vanish. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_posix.h"
#define LLMRES_CONFORMANCE_CHUNK (4u << 20) /* sends larger than a socket takes at once (POLLOUT means a third free) */
#include "llmres_conformance.h"
#include "peer_posix.h"

static llmres_posix_t posix;
static llmres_port_t port;

static int clock_near_wrap(void *ctx, uint32_t ms_before) {
    (void)ctx;
    posix.clock_offset = 0;
    posix.clock_offset = (0u - ms_before) - port.now_ms(port.ctx);
    return 0;
}

int main(void) {
    llmres_conformance_peer_t p;
    int fails;
    if (llmres_posix_init(&port, &posix) != LLMRES_OK) return 2;
    posix_peer_init(&p, "127.0.0.1");
    p.clock_near_wrap = clock_near_wrap;
    p.slack_ms = 250;            /* a shared, loaded CI machine */
    p.max_bytes = 8u << 20;      /* more than the socket buffers hold: sends fill them */
    fails = llmres_conformance_run("posix", &port, &port.tcp, &p);
    stop_peer();
    return fails ? 1 : 0;
}
