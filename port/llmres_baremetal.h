/* llmres_baremetal.h - a port skeleton for a board with no OS: a superloop, a
   millisecond tick from an interrupt (SysTick or any timer), and a TCP transport you
   supply (a vendor's TCP/IP stack, a cellular modem's sockets, lwIP's raw API). It gives
   the clock and sleep; the rest is yours. Include llmres.h first, then this:

       static llmres_baremetal_t board;
       static llmres_port_t port;
       void SysTick_Handler(void) { llmres_baremetal_tick(&board); }    // every 1 ms
       ...
       board.idle = board_wait_for_interrupt;   // optional: __WFI() on a Cortex-M
       llmres_baremetal_init(&port, &board, &my_tcp);
       port.entropy = board_entropy;            // advised, see below

   examples/baremetal.c is a whole superloop board built this way.

   The hooks of llmres_port_t, and what each must do (the contract is PORT in llmres.h
   and the comment above llmres_transport_t):
     now_ms       REQUIRED (here)  milliseconds from a monotonic source that wraps at 2^32:
                                   the tick count. Never set back, never paused by a sleep
                                   mode that stops the tick (restore it from an RTC after
                                   deep sleep, and see llmres_client_restore).
     sleep_ms     REQUIRED (here)  waits at least ms: here it idles until the tick count
                                   has moved ms on. Only the blocking llmres_call sleeps;
                                   a superloop stepping llmres_dispatch_step never does.
     tcp.open     REQUIRED (yours) connects to host:port within timeout_ms: an id >= 0, or
                                   LLMRES_ERR_DNS, _CONNECT, _TIMEOUT, _NO_SLOT, _LINK_DOWN
     tcp.send     REQUIRED (yours) moves up to len bytes within timeout_ms: how many (fewer
                                   is fine), 0 when none could go in time, negative on error
     tcp.recv     REQUIRED (yours) the same for received bytes; LLMRES_ERR_CLOSED at the
                                   peer's orderly close (EOF), never 0 for it
     tcp.close    REQUIRED (yours) releases the id; never fails
     tcp.flags    optional         LLMRES_TRANSPORT_ASYNC_OPEN when open(timeout 0) only
                                   starts a connect that send and recv finish: then no step
                                   of the dispatcher waits for a connect either
     entropy      optional, ADVISED  fills buf from a TRNG (or a unique ID mixed with ADC
                                   noise), 0 on success. Every random draw (retry jitter,
                                   breaker open periods, the throttle) starts from it: a
                                   fleet on one firmware without it retries in step. Without
                                   it set LLM_JITTER_SEED to a serial number or MAC.
     lock/unlock  optional         leave them NULL in a superloop: one context calls llmres.
                                   Never call llmres from an interrupt.
     log          optional         a line to a UART or a ring buffer; never given secrets
   Run tests/conformance/llmres_conformance.h against your transport before the board
   goes out (docs/PORTING.md). */
#ifndef LLMRES_BAREMETAL_H
#define LLMRES_BAREMETAL_H

#ifndef LLMRES_H
#error "include llmres.h before port/llmres_baremetal.h"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LLMRES_BAREMETAL_FN static __attribute__((unused))
#else
#define LLMRES_BAREMETAL_FN static
#endif

typedef struct llmres_baremetal {
    volatile uint32_t ms;   /* moved on by llmres_baremetal_tick, in the tick interrupt */
    uint32_t tick_ms;       /* milliseconds per tick; 0: 1 (a 1 kHz tick) */
    void (*idle)(void);     /* optional: what sleep does while it waits (__WFI); NULL: spins */
} llmres_baremetal_t;

/* Call it from the tick interrupt. The only writer of ms: a 32-bit aligned load is
   atomic on 32-bit cores; on an 8- or 16-bit MCU read ms with the interrupt masked. */
LLMRES_BAREMETAL_FN void llmres_baremetal_tick(llmres_baremetal_t *b) {
    b->ms += b->tick_ms ? b->tick_ms : 1u;
}

LLMRES_BAREMETAL_FN uint32_t llmres_baremetal_now_ms(void *ctx) {
    return ((llmres_baremetal_t *)ctx)->ms;
}

LLMRES_BAREMETAL_FN void llmres_baremetal_sleep_ms(void *ctx, uint32_t ms) {
    llmres_baremetal_t *b = (llmres_baremetal_t *)ctx;
    uint32_t start = b->ms;
    while (b->ms - start < ms) { /* by difference: right across the wrap */
        if (b->idle) b->idle();
    }
}

/* Fills *port with the clock and sleep (b as their context) and a copy of *tcp, which
   must have open, send, recv and close. Entropy, lock and log are left NULL for the
   board to set. Returns LLMRES_OK, or LLMRES_ERR_INVALID for NULLs or a hook missing. */
LLMRES_BAREMETAL_FN int llmres_baremetal_init(llmres_port_t *port, llmres_baremetal_t *b, const llmres_transport_t *tcp) {
    if (!port || !b || !tcp || !tcp->open || !tcp->send || !tcp->recv || !tcp->close) return LLMRES_ERR_INVALID;
    port->ctx = b;
    port->now_ms = llmres_baremetal_now_ms;
    port->sleep_ms = llmres_baremetal_sleep_ms;
    port->entropy = NULL;
    port->lock = NULL;
    port->unlock = NULL;
    port->log = NULL;
    port->tcp = *tcp;
    return LLMRES_OK;
}

#endif /* LLMRES_BAREMETAL_H */
