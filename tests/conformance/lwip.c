/* The conformance test (llmres_conformance.h) on the lwIP port, on Debian's real lwIP
   2.1.3 driving tap0 as 10.77.0.2, with the peer of peer_posix.h on the kernel's side of
   the TAP (10.77.0.1). tests/lwip/run.sh runs it in the network namespace it makes,
   where 10.77.0.99 answers nothing (LLMRES_CONFORMANCE_DROPPED). */
#define _POSIX_C_SOURCE 200809L /* not _DEFAULT_SOURCE: glibc's TCP_MSS would clash with lwIP's */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_lwip.h"
#include "../lwip/board.h"
#include "llmres_conformance.h"
#include "peer_posix.h"

static llmres_lwip_t lw;
static llmres_port_t port;
static uint32_t offset; /* added to lwIP's clock, to start it just before the wrap */

static uint32_t offset_now(void *ctx) { return llmres_lwip_now_ms(ctx) + offset; }

static int clock_near_wrap(void *ctx, uint32_t ms_before) {
    (void)ctx;
    offset = 0;
    offset = (0u - ms_before) - llmres_lwip_now_ms(port.ctx);
    return 0;
}

int main(void) {
    llmres_conformance_peer_t p;
    int fails;
    if (board_port(&port, &lw) != 0) {
        printf("FAIL conformance (lwip): lwIP did not come up on tap0\n");
        return 1;
    }
    port.now_ms = offset_now;
    posix_peer_init(&p, "10.77.0.1");
    p.clock_near_wrap = clock_near_wrap;
    p.slack_ms = 250;
    fails = llmres_conformance_run("lwip", &port, &port.tcp, &p);
    stop_peer();
    return fails ? 1 : 0;
}
