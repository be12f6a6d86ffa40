/* A test of the conformance test: each broken port below breaks one rule of the contract
   on top of the POSIX port, and the check for that rule must fail (the others may too);
   the POSIX port itself, which connects in steps (open(0) starts, send and recv finish),
   must pass the async checks, and the same port made to wait in open(0) must not. The harness's own lines go to /dev/null; this prints one PASS/FAIL per case.
   The dropped-address cases need the namespace of tests/ports.sh and are skipped without. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_posix.h"
#include "llmres_conformance.h"
#include "peer_posix.h"

static llmres_posix_t posix;
static llmres_port_t real, port;
static int mode;

enum { OK = 0, EOF_AS_TIMEOUT, RESET_AS_EOF, POLL_WAITS, RECV_EARLY, SEND_LIES, SLEEP_SHORT, CLOCK_STOPS,
       REFUSED_AS_TIMEOUT, ASYNC, ASYNC_OPEN_WAITS };

static uint32_t b_now(void *ctx) {
    uint32_t t = real.now_ms(ctx);
    return mode == CLOCK_STOPS && t >= 0xFFFFFF00u ? 0xFFFFFF00u : t; /* never reaches the wrap */
}
static void b_sleep(void *ctx, uint32_t ms) { real.sleep_ms(ctx, mode == SLEEP_SHORT ? ms / 2 : ms); }

/* The POSIX port connects in steps: as it is for ASYNC; for ASYNC_OPEN_WAITS its open
   is made to wait even when asked not to. */
static int a_open(void *ctx, const char *host, uint16_t at, uint32_t timeout_ms) {
    return real.tcp.open(ctx, host, at, timeout_ms || mode != ASYNC_OPEN_WAITS ? timeout_ms : 300);
}

static int b_open(void *ctx, const char *host, uint16_t at, uint32_t timeout_ms) {
    int rc;
    if (mode >= ASYNC) return a_open(ctx, host, at, timeout_ms);
    rc = real.tcp.open(ctx, host, at, timeout_ms);
    return mode == REFUSED_AS_TIMEOUT && rc == LLMRES_ERR_CONNECT ? LLMRES_ERR_TIMEOUT : rc;
}
static int b_send(void *ctx, int conn, const void *buf, size_t len, uint32_t timeout_ms) {
    int rc;
    if (mode == SEND_LIES && len > 1000) { /* says it sent all, sends 1000 */
        rc = real.tcp.send(ctx, conn, buf, 1000, timeout_ms);
        return rc > 0 ? (int)len : rc;
    }
    return real.tcp.send(ctx, conn, buf, len, timeout_ms);
}
static int b_recv(void *ctx, int conn, void *buf, size_t len, uint32_t timeout_ms) {
    int rc;
    if (mode == POLL_WAITS && timeout_ms == 0) timeout_ms = 300;
    if (mode == RECV_EARLY) timeout_ms /= 2;
    rc = real.tcp.recv(ctx, conn, buf, len, timeout_ms);
    if (mode == EOF_AS_TIMEOUT && rc == LLMRES_ERR_CLOSED) return 0;
    if (mode == RESET_AS_EOF && rc == LLMRES_ERR_IO) return LLMRES_ERR_CLOSED;
    return rc;
}
static void b_close(void *ctx, int conn) { real.tcp.close(ctx, conn); }

static int clock_near_wrap(void *ctx, uint32_t ms_before) {
    (void)ctx;
    posix.clock_offset = 0;
    posix.clock_offset = (0u - ms_before) - real.now_ms(real.ctx);
    return 0;
}

/* Runs the harness's checks of `group` (NULL: all) on the port broken as `m`; the first
   failed check must contain `expect` (NULL: none may fail). */
static int expect_case(int m, const char *group, const char *name, const char *expect, int needs_dropped) {
    llmres_conformance_peer_t p;
    int fails;
    if (needs_dropped && !getenv("LLMRES_CONFORMANCE_DROPPED")) {
        printf("SKIP conformance selftest: %s (no dropped address outside the namespace)\n", name);
        return 0;
    }
    mode = m;
    port.tcp.flags = m >= ASYNC ? LLMRES_TRANSPORT_ASYNC_OPEN : 0u;
    posix_peer_init(&p, "127.0.0.1");
    p.clock_near_wrap = clock_near_wrap;
    p.slack_ms = 150;
    p.max_bytes = 1u << 18;
    p.only = group;
    fails = llmres_conformance_run(name, &port, &port.tcp, &p);
    stop_peer();
    if (expect ? fails > 0 && strstr(llmres__cf.first_fail, expect) != NULL : fails == 0) {
        printf("PASS conformance selftest: %s\n", name);
        return 0;
    }
    printf("FAIL conformance selftest: %s: %d failures, the first \"%s\"\n", name, fails, llmres__cf.first_fail);
    return 1;
}

int main(void) {
    int bad = 0;
    if (llmres_posix_init(&real, &posix) != LLMRES_OK || !(llmres__cf.out = fopen("/dev/null", "w"))) return 2;
    port = real;
    port.now_ms = b_now;
    port.sleep_ms = b_sleep;
    port.tcp.open = b_open;
    port.tcp.send = b_send;
    port.tcp.recv = b_recv;
    port.tcp.close = b_close;
    bad += expect_case(OK, NULL, "the POSIX port through the wrappers passes", NULL, 0);
    bad += expect_case(CLOCK_STOPS, "clock", "a clock that stops short of the wrap fails", "clock wraps", 0);
    bad += expect_case(SLEEP_SHORT, "sleep", "a sleep of half the time fails", "sleep", 0);
    bad += expect_case(POLL_WAITS, "poll", "a poll that waits fails", "timeout 0 polls", 0);
    bad += expect_case(RECV_EARLY, "poll", "a recv that gives up early fails", "recv waits its timeout", 0);
    bad += expect_case(EOF_AS_TIMEOUT, "eof", "EOF told as a timeout fails", "EOF", 0);
    bad += expect_case(RESET_AS_EOF, "reset", "a reset told as EOF fails", "reset", 0);
    bad += expect_case(SEND_LIES, "partial", "a send that claims more than it sent fails", "partial", 0);
    bad += expect_case(REFUSED_AS_TIMEOUT, "open", "a refused connect told as a timeout fails", "refused", 0);
    bad += expect_case(ASYNC, "async", "an asynchronous transport passes the async checks", NULL, 0);
    bad += expect_case(ASYNC_OPEN_WAITS, "async", "an asynchronous open that waits fails", "dropped address", 1);
    return bad ? 1 : 0;
}
