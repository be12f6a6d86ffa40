/* llmres_conformance.h - the port conformance test: checks a port against the contract
   in llmres.h (PORT, and the comment above llmres_transport_t). Compile it with your
   port and a peer (below), call llmres_conformance_run, and read its lines:
   "PASS <check>", "FAIL <check>: why", "SKIP <check>: why". It returns the failures.

       #define LLMRES_IMPLEMENTATION
       #include "llmres.h"
       #include "port/llmres_myboard.h"
       #include "tests/conformance/llmres_conformance.h"
       ...
       return llmres_conformance_run("myboard", &port, &port.tcp, &peer) ? 1 : 0;

   The peer is the other end of the connections, which you supply: for sockets, a
   listener on the test host (tests/conformance/posix.c runs one in a thread on
   127.0.0.1); for a simulator, code that acts on its connections (sim.c). A peer that
   cannot do a behaviour says so and its checks are SKIPs. Checked:
     clock    monotonic; across the 2^32 ms wrap when the peer can move the clock
     sleep    at least the time asked, not much more; 0 returns at once
     poll     recv and send with timeout 0 return at once
     timeout  recv waits its timeout on a silent peer, then 0; a send into a peer that
              does not read returns 0 within its timeout
     eof      every byte, then LLMRES_ERR_CLOSED, and again: EOF is never a 0
     reset    a reset is an error, never LLMRES_ERR_CLOSED
     partial  a large send through a slow reader arrives whole, however the port cut it
     open     refused: LLMRES_ERR_CONNECT; dropped: LLMRES_ERR_TIMEOUT within its timeout
     close    in every state (after a timeout, EOF, a reset, mid-connect) and twice;
              ids are given back (64 opens and closes)
     async    with LLMRES_TRANSPORT_ASYNC_OPEN: open with 0 returns at once, send
              returns 0 until connected, then moves bytes; a refused connect comes back
              as LLMRES_ERR_CONNECT from send
   Needs 20 KB of static RAM (LLMRES_CONFORMANCE_CHUNK, 16 KB, is the largest send: a
   larger one makes partial sends likelier) and, on a real network, a few seconds. */
#ifndef LLMRES_CONFORMANCE_H
#define LLMRES_CONFORMANCE_H

#include <stdio.h>
#include <string.h>

enum { /* what the peer does with the connections it accepts */
    LLMRES_CONFORMANCE_SEND_CLOSE = 0, /* sends n bytes of llmres_conformance_byte(i), then closes (FIN) */
    LLMRES_CONFORMANCE_STALL,          /* accepts, never reads or writes, keeps them open */
    LLMRES_CONFORMANCE_SINK,           /* reads slowly until EOF; received() tells what it read */
    LLMRES_CONFORMANCE_FILL,           /* accepts and never reads, with a small receive buffer */
    LLMRES_CONFORMANCE_RESET,          /* accepts and resets (RST) */
    LLMRES_CONFORMANCE_REFUSED,        /* nothing listens there: the connect is refused */
    LLMRES_CONFORMANCE_DROPPED         /* an address whose packets vanish: the connect never answers */
};

typedef struct llmres_conformance_peer {
    void *ctx;
    /* Readies a listener doing `behaviour` (n: the bytes SEND_CLOSE sends) for the
       connections that follow, and says where: 0, or -1 when this peer cannot (a SKIP). */
    int (*prepare)(void *ctx, int behaviour, uint32_t n, const char **host, uint16_t *port);
    /* Optional: the id open returned (a simulator's peer acts on it). */
    void (*opened)(void *ctx, int conn);
    /* Optional, SINK: waits up to wait_ms for the last connection to end; the bytes it
       read and their llmres_conformance_hash. 0, or -1 when it did not end in time.
       Without it, what was sent is not checked at the other end. */
    int (*received)(void *ctx, uint32_t wait_ms, uint32_t *count, uint32_t *hash);
    /* Optional: moves the port's clock to read 2^32 - ms_before now. 0, or -1. */
    int (*clock_near_wrap)(void *ctx, uint32_t ms_before);
    uint32_t max_bytes; /* the most one connection may carry each way; 0: 1 MB */
    uint32_t slack_ms;  /* how much later than asked a wait may end; 0: 100 */
    const char *only;   /* run only the group of checks with this name (clock, sleep, poll,
                           fill, eof, reset, partial, open, close, async); NULL: all */
} llmres_conformance_peer_t;

#ifndef LLMRES_CONFORMANCE_CHUNK
#define LLMRES_CONFORMANCE_CHUNK 16384u /* the largest single send; the pattern repeats at it */
#endif

/* The byte at offset i of every stream the test and the peers send. */
static unsigned char llmres_conformance_byte(uint32_t i) {
    return (unsigned char)(((i % LLMRES_CONFORMANCE_CHUNK) * 2654435761u) >> 24 | 0x80u); /* never CR or LF */
}
/* FNV-1a over len bytes, continuing from h (start with 2166136261). */
static uint32_t llmres_conformance_hash(uint32_t h, const void *buf, size_t len) {
    const unsigned char *p = (const unsigned char *)buf;
    while (len--) h = (h ^ *p++) * 16777619u;
    return h;
}

#define LLMRES__CF_CHUNK LLMRES_CONFORMANCE_CHUNK /* one buffer of the pattern sends any length */

typedef struct llmres__cf {
    const char *name;
    const llmres_port_t *port;
    const llmres_transport_t *t;
    const llmres_conformance_peer_t *peer;
    uint32_t slack, max_bytes;
    int fails;
    char first_fail[96];  /* the first failed check, for a test of this test */
    FILE *out;            /* where the lines go; NULL: stdout */
    const char *host;
    uint16_t at;
    unsigned char buf[LLMRES__CF_CHUNK];
    unsigned char rx[4096];
} llmres__cf_t;

static llmres__cf_t llmres__cf;

static uint32_t llmres__cf_now(llmres__cf_t *c) { return c->port->now_ms(c->port->ctx); }

static void llmres__cf_say(llmres__cf_t *c, const char *check, const char *why, int skip) {
    FILE *out = c->out ? c->out : stdout;
    if (skip) fprintf(out, "SKIP %s %s: %s\n", c->name, check, why);
    else if (why) {
        fprintf(out, "FAIL %s %s: %s\n", c->name, check, why);
        if (!c->fails++) snprintf(c->first_fail, sizeof(c->first_fail), "%s", check);
    } else fprintf(out, "PASS %s %s\n", c->name, check);
    fflush(out);
}

/* Readies the peer; 0, or -1 after a SKIP line. */
static int llmres__cf_prepare(llmres__cf_t *c, const char *check, int behaviour, uint32_t n) {
    if (c->peer->prepare(c->peer->ctx, behaviour, n, &c->host, &c->at) == 0) return 0;
    llmres__cf_say(c, check, "the peer cannot do this", 1);
    return -1;
}

/* Opens a connection to the prepared peer: the id, or a negative error. */
static int llmres__cf_open(llmres__cf_t *c, uint32_t timeout_ms) {
    int id = c->t->open(c->t->ctx, c->host, c->at, timeout_ms);
    if (id >= 0 && c->peer->opened) c->peer->opened(c->peer->ctx, id);
    return id;
}

/* An open with time to connect (an asynchronous transport waits too when given time). */
static int llmres__cf_connect(llmres__cf_t *c, const char *check) {
    int id = llmres__cf_open(c, 5000);
    if (id < 0) llmres__cf_say(c, check, llmres_strerror(id), 0);
    return id;
}

static void llmres__cf_clock(llmres__cf_t *c) {
    uint32_t prev = llmres__cf_now(c), now, i, high = 0, low = 0, bad = 0;
    for (i = 0; i < 100; i++) { /* monotonic, a little at a time */
        c->port->sleep_ms(c->port->ctx, 2);
        now = llmres__cf_now(c);
        if ((int32_t)(now - prev) < 0 || now - prev > 2 + c->slack) bad++;
        prev = now;
    }
    llmres__cf_say(c, "clock is monotonic", bad ? "it stepped back or jumped" : NULL, 0);
    if (!c->peer->clock_near_wrap || c->peer->clock_near_wrap(c->peer->ctx, 150) != 0) {
        llmres__cf_say(c, "clock wraps at 2^32 ms", "the peer cannot move the clock", 1);
        return;
    }
    prev = llmres__cf_now(c);
    for (i = 0; i < 1000 && !(high && low); i++) { /* bounded: 1000 x 5 ms */
        c->port->sleep_ms(c->port->ctx, 5);
        now = llmres__cf_now(c);
        if ((int32_t)(now - prev) < 0 || now - prev > 5 + c->slack) bad++;
        if (now >= 0xFFFF0000u) high = 1;
        if (high && now < 0x10000u) low = 1;
        prev = now;
    }
    llmres__cf_say(c, "clock wraps at 2^32 ms", bad ? "it stepped back or jumped at the wrap"
                   : !(high && low) ? "it never read the two sides of the wrap" : NULL, 0);
}

static void llmres__cf_sleep(llmres__cf_t *c) {
    static const uint32_t ms[] = {0, 1, 50};
    const char *why = NULL;
    size_t i;
    for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        uint32_t t0 = llmres__cf_now(c), took;
        c->port->sleep_ms(c->port->ctx, ms[i]);
        took = llmres__cf_now(c) - t0;
        if (took < ms[i]) why = "it slept less than asked";
        else if (took > ms[i] + c->slack) why = "it slept much longer than asked";
    }
    llmres__cf_say(c, "sleep sleeps the time asked", why, 0);
}

/* Runs one recv or send with timeout_ms on a silent peer: 0 expected, in time. */
static const char *llmres__cf_waits(llmres__cf_t *c, int id, int sending, uint32_t timeout_ms) {
    uint32_t t0 = llmres__cf_now(c), took;
    int rc = sending ? c->t->send(c->t->ctx, id, c->buf, 1, timeout_ms) : c->t->recv(c->t->ctx, id, c->rx, 1, timeout_ms);
    took = llmres__cf_now(c) - t0;
    if (rc < 0) return llmres_strerror(rc);
    if (!sending && rc > 0) return "bytes from a peer that sent none";
    if (took > timeout_ms + c->slack) return "it waited longer than its timeout";
    if (!sending && took + 1 < timeout_ms) return "it returned 0 before its timeout";
    return NULL;
}

static void llmres__cf_polls(llmres__cf_t *c) {
    int id;
    const char *why;
    if (llmres__cf_prepare(c, "timeout 0 polls", LLMRES_CONFORMANCE_STALL, 0) != 0) return;
    if ((id = llmres__cf_connect(c, "timeout 0 polls")) < 0) return;
    why = llmres__cf_waits(c, id, 0, 0);
    if (!why) why = llmres__cf_waits(c, id, 1, 0);
    llmres__cf_say(c, "timeout 0 polls", why, 0);
    llmres__cf_say(c, "recv waits its timeout, then 0", llmres__cf_waits(c, id, 0, 100), 0);
    c->t->close(c->t->ctx, id); /* after a timeout */
}

static void llmres__cf_fill(llmres__cf_t *c) {
    uint32_t sent = 0, t0, took = 0;
    int id, rc = 1;
    const char *why = NULL;
    if (llmres__cf_prepare(c, "send into a full buffer times out", LLMRES_CONFORMANCE_FILL, 0) != 0) return;
    if ((id = llmres__cf_connect(c, "send into a full buffer times out")) < 0) return;
    while (rc > 0 && sent < (64u << 20)) { /* bounded: 64 MB */
        t0 = llmres__cf_now(c);
        rc = c->t->send(c->t->ctx, id, c->buf, sizeof(c->buf), 50);
        took = llmres__cf_now(c) - t0;
        if (took > 50 + c->slack) why = "a send waited longer than its timeout";
        if (rc > 0) sent += (uint32_t)rc;
    }
    if (rc < 0) why = llmres_strerror(rc);
    else if (rc > 0) why = "64 MB went into a peer that reads nothing";
    else if (took + 1 < 50) why = "it returned 0 before its timeout";
    llmres__cf_say(c, "send into a full buffer times out", why, 0);
    c->t->close(c->t->ctx, id); /* with unsent bytes */
}

static void llmres__cf_eof(llmres__cf_t *c) {
    uint32_t n = c->max_bytes < 100000u ? c->max_bytes : 100000u, got = 0, t0 = llmres__cf_now(c);
    int id, rc = 0, i;
    const char *why = NULL;
    if (llmres__cf_prepare(c, "EOF is told from a timeout", LLMRES_CONFORMANCE_SEND_CLOSE, n) != 0) return;
    if ((id = llmres__cf_connect(c, "EOF is told from a timeout")) < 0) return;
    while (llmres__cf_now(c) - t0 < 10000u) { /* bounded: 10 s */
        rc = c->t->recv(c->t->ctx, id, c->rx, sizeof(c->rx), 1000);
        if (rc <= 0 && (rc != 0 || got == n)) break;
        for (i = 0; i < rc; i++)
            if (c->rx[i] != llmres_conformance_byte(got + (uint32_t)i)) why = "the bytes differ from those sent";
        got += (uint32_t)rc;
    }
    if (!why && got != n) why = "not every byte arrived";
    if (!why && rc == 0) why = "recv returned 0 (a timeout) at EOF";
    if (!why && rc != LLMRES_ERR_CLOSED) why = llmres_strerror(rc);
    if (!why && c->t->recv(c->t->ctx, id, c->rx, sizeof(c->rx), 100) != LLMRES_ERR_CLOSED) why = "EOF did not stay EOF";
    llmres__cf_say(c, "EOF is told from a timeout", why, 0);
    /* after EOF, twice: the peer has closed its end, so a peer in this process (sockets
       in a thread) opens nothing in between that could take the id */
    c->t->close(c->t->ctx, id);
    c->t->close(c->t->ctx, id);
}

static void llmres__cf_reset(llmres__cf_t *c) {
    uint32_t t0 = llmres__cf_now(c);
    int id, rc = 0;
    if (llmres__cf_prepare(c, "a reset is an error", LLMRES_CONFORMANCE_RESET, 0) != 0) return;
    if ((id = llmres__cf_connect(c, "a reset is an error")) < 0) return;
    while (rc == 0 && llmres__cf_now(c) - t0 < 5000u) rc = c->t->recv(c->t->ctx, id, c->rx, sizeof(c->rx), 500);
    llmres__cf_say(c, "a reset is an error", rc == LLMRES_ERR_CLOSED ? "it was told as an orderly close"
                   : rc >= 0 ? "no error after 5 s" : NULL, 0);
    c->t->close(c->t->ctx, id); /* after an error */
}

/* Sends n bytes of the pattern, however the port cuts them. 0, or the reason. */
static const char *llmres__cf_send_all(llmres__cf_t *c, int id, uint32_t n, uint32_t *partial) {
    uint32_t sent = 0, t0 = llmres__cf_now(c);
    while (sent < n) {
        uint32_t at = sent % LLMRES__CF_CHUNK, len = LLMRES__CF_CHUNK - at < n - sent ? LLMRES__CF_CHUNK - at : n - sent;
        int rc = c->t->send(c->t->ctx, id, c->buf + at, len, 2000);
        if (rc < 0) return llmres_strerror(rc);
        if ((uint32_t)rc > len) return "send said it moved more than asked";
        if (rc > 0 && (uint32_t)rc < len) (*partial)++;
        sent += (uint32_t)rc;
        if (llmres__cf_now(c) - t0 > 30000u) return "30 s and not sent";
    }
    return NULL;
}

static void llmres__cf_partial(llmres__cf_t *c) {
    uint32_t n = c->max_bytes, partial = 0, count = 0, hash = 0, want = 2166136261u, i;
    int id;
    const char *why;
    char note[96];
    if (llmres__cf_prepare(c, "a send may be partial", LLMRES_CONFORMANCE_SINK, 0) != 0) return;
    if ((id = llmres__cf_connect(c, "a send may be partial")) < 0) return;
    why = llmres__cf_send_all(c, id, n, &partial);
    c->t->close(c->t->ctx, id); /* the peer sees EOF */
    for (i = 0; i < n; i += LLMRES__CF_CHUNK)
        want = llmres_conformance_hash(want, c->buf, n - i < LLMRES__CF_CHUNK ? n - i : LLMRES__CF_CHUNK);
    if (!why && c->peer->received && c->peer->received(c->peer->ctx, 10000, &count, &hash) != 0)
        why = "the peer did not see the end";
    if (!why && c->peer->received && (count != n || hash != want)) why = "the peer did not get every byte in order";
    snprintf(note, sizeof(note), "a send may be partial (%u bytes, %u partial sends)", (unsigned)n, (unsigned)partial);
    llmres__cf_say(c, note, why, 0);
}

static void llmres__cf_open_checks(llmres__cf_t *c) {
    uint32_t t0, took;
    int rc;
    if (llmres__cf_prepare(c, "open refused: CONNECT", LLMRES_CONFORMANCE_REFUSED, 0) == 0) {
        rc = llmres__cf_open(c, 2000);
        if (rc >= 0) c->t->close(c->t->ctx, rc);
        llmres__cf_say(c, "open refused: CONNECT", rc == LLMRES_ERR_CONNECT ? NULL : rc >= 0 ? "it connected"
                       : llmres_strerror(rc), 0);
    }
    if (llmres__cf_prepare(c, "open honours its timeout", LLMRES_CONFORMANCE_DROPPED, 0) == 0) {
        t0 = llmres__cf_now(c);
        rc = llmres__cf_open(c, 300);
        took = llmres__cf_now(c) - t0;
        if (rc >= 0) c->t->close(c->t->ctx, rc);
        llmres__cf_say(c, "open honours its timeout", rc >= 0 ? "it connected to a dropped address"
                       : took > 300 + c->slack ? "it waited longer than its timeout"
                       : rc != LLMRES_ERR_TIMEOUT ? llmres_strerror(rc) : NULL, 0);
    }
}

/* Close in every state is exercised by the checks above (after a timeout, with unsent
   bytes, after EOF and twice, after a reset, while connecting); here, ids come back. */
static void llmres__cf_close(llmres__cf_t *c) {
    int i, id = 0;
    if (llmres__cf_prepare(c, "close gives ids back (64 opens)", LLMRES_CONFORMANCE_STALL, 0) != 0) return;
    for (i = 0; i < 64 && id >= 0; i++) {
        id = llmres__cf_open(c, 5000);
        if (id >= 0) c->t->close(c->t->ctx, id);
    }
    llmres__cf_say(c, "close gives ids back (64 opens)", id < 0 ? llmres_strerror(id) : NULL, 0);
}

/* LLMRES_TRANSPORT_ASYNC_OPEN: open(0) at once, send 0 until connected. */
static const char *llmres__cf_async_send(llmres__cf_t *c, int id, int *rc) {
    uint32_t t0 = llmres__cf_now(c), t1, took;
    do {
        t1 = llmres__cf_now(c);
        *rc = c->t->send(c->t->ctx, id, c->buf, 10, 20);
        took = llmres__cf_now(c) - t1;
        if (took > 20 + c->slack) return "a send waited longer than its timeout while connecting";
    } while (*rc == 0 && llmres__cf_now(c) - t0 < 3000u);
    return NULL;
}

static void llmres__cf_async(llmres__cf_t *c) {
    const char *why = NULL;
    uint32_t t0, count = 0, hash = 0;
    int id, rc = 0;
    if (!(c->t->flags & LLMRES_TRANSPORT_ASYNC_OPEN)) {
        llmres__cf_say(c, "asynchronous open", "the transport does not set LLMRES_TRANSPORT_ASYNC_OPEN", 1);
        return;
    }
    if (llmres__cf_prepare(c, "asynchronous open connects in send", LLMRES_CONFORMANCE_SINK, 0) == 0) {
        t0 = llmres__cf_now(c);
        id = llmres__cf_open(c, 0);
        if (llmres__cf_now(c) - t0 > c->slack) why = "open with timeout 0 waited";
        else if (id < 0) why = llmres_strerror(id);
        else {
            why = llmres__cf_async_send(c, id, &rc);
            c->t->close(c->t->ctx, id);
            if (!why && rc != 10) why = rc < 0 ? llmres_strerror(rc) : "no connection in 3 s";
            if (!why && c->peer->received && (c->peer->received(c->peer->ctx, 5000, &count, &hash) != 0 || count != 10))
                why = "the peer did not get the bytes";
        }
        llmres__cf_say(c, "asynchronous open connects in send", why, 0);
    }
    if (llmres__cf_prepare(c, "asynchronous open: refused comes from send", LLMRES_CONFORMANCE_REFUSED, 0) == 0) {
        why = NULL;
        id = llmres__cf_open(c, 0);
        if (id >= 0) {
            why = llmres__cf_async_send(c, id, &rc);
            c->t->close(c->t->ctx, id);
        } else rc = id; /* an error known at once is allowed */
        if (!why && rc != LLMRES_ERR_CONNECT) why = rc > 0 ? "it connected" : rc == 0 ? "no answer in 3 s" : llmres_strerror(rc);
        llmres__cf_say(c, "asynchronous open: refused comes from send", why, 0);
    }
    if (llmres__cf_prepare(c, "asynchronous open: a dropped address waits in send", LLMRES_CONFORMANCE_DROPPED, 0) == 0) {
        t0 = llmres__cf_now(c);
        id = llmres__cf_open(c, 0);
        why = llmres__cf_now(c) - t0 > c->slack ? "open with timeout 0 waited" : id < 0 ? llmres_strerror(id) : NULL;
        if (!why) why = llmres__cf_waits(c, id, 1, 100);
        if (!why) why = llmres__cf_waits(c, id, 0, 0);
        if (id >= 0) c->t->close(c->t->ctx, id); /* while connecting */
        llmres__cf_say(c, "asynchronous open: a dropped address waits in send", why, 0);
    }
}

/* Runs every check on port (its clock and sleep) and t (its transport, often &port->tcp)
   with peer at the other end. Prints a line per check; returns the number of FAILs. */
static int llmres_conformance_run(const char *name, const llmres_port_t *port, const llmres_transport_t *t,
                                  const llmres_conformance_peer_t *peer) {
    static const struct { const char *name; void (*run)(llmres__cf_t *); } groups[] = {
        {"clock", llmres__cf_clock}, {"sleep", llmres__cf_sleep}, {"poll", llmres__cf_polls},
        {"fill", llmres__cf_fill}, {"eof", llmres__cf_eof}, {"reset", llmres__cf_reset},
        {"partial", llmres__cf_partial}, {"open", llmres__cf_open_checks}, {"close", llmres__cf_close},
        {"async", llmres__cf_async}};
    llmres__cf_t *c = &llmres__cf;
    uint32_t i;
    c->name = name;
    c->port = port;
    c->t = t;
    c->peer = peer;
    c->slack = peer->slack_ms ? peer->slack_ms : 100u;
    c->max_bytes = peer->max_bytes ? peer->max_bytes : (1u << 20);
    c->fails = 0;
    c->first_fail[0] = 0;
    for (i = 0; i < LLMRES__CF_CHUNK; i++) c->buf[i] = llmres_conformance_byte(i);
    for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (!peer->only || !strcmp(peer->only, groups[i].name)) groups[i].run(c);
    return c->fails;
}

#endif /* LLMRES_CONFORMANCE_H */
