/* llmres_lwip.h - the lwIP port of llmres: TCP through lwIP's sockets API, on any RTOS
   lwIP runs on (NO_SYS 0). It gives the transport only (and now_ms from sys_now): the
   clock, sleep, entropy and lock come from the RTOS port. Include llmres.h first, then
   this, in the file that sets up the port, after tcpip_init and a netif are up:

       static llmres_lwip_t lw;
       llmres_lwip_init(&lw);
       port.tcp = lw.transport;          // with TLS: llmres_mbedtls_init(&tls, &port, &port.tcp)

   The transport connects in steps (LLMRES_TRANSPORT_ASYNC_OPEN): open with timeout 0
   starts the name resolution and the TCP connect and returns a connection id at once;
   send and recv finish the connect within their own timeouts, returning 0 until it is
   up, then the connect's error if it failed (LLMRES_ERR_DNS, _CONNECT, _LINK_DOWN). open
   with a timeout > 0 waits up to it (LLMRES_ERR_TIMEOUT after). Nothing waits longer
   than its timeout: waits are lwip_poll (or lwip_select) on non-blocking sockets.
   Send may be partial; recv tells EOF (LLMRES_ERR_CLOSED) from a timeout (0) and a reset
   (LLMRES_ERR_IO). close never fails and is idempotent: an id carries a generation, so a
   stale id never closes a connection that reused its slot. Every error's lwIP errno is
   kept in its connection (llmres_lwip_errno), never in shared state.

   lwipopts.h: what the port needs
     LWIP_SOCKET 1, LWIP_TCP 1            the sockets API (lwip_* names: LWIP_COMPAT_SOCKETS
                                          may be 0, 1 or 2; LWIP_SOCKET_OFFSET any)
     LWIP_SOCKET_POLL 1 (lwIP's default)  or LWIP_SOCKET_SELECT 1: the waits. With
                                          neither the header refuses to compile.
     LWIP_DNS 1 + LWIP_UDP 1              host names, through the callback resolver
                                          (dns_gethostbyname, called in the tcpip thread
                                          by tcpip_try_callback; DNS_MAX_RETRIES and
                                          DNS_TMR_INTERVAL bound it). With LWIP_DNS 0,
                                          numeric IPv4/IPv6 addresses only; a name is
                                          LLMRES_ERR_DNS at once.
     MEMP_NUM_NETCONN >= the connections  lwIP's socket table (NUM_SOCKETS); TLS keep-alive
                                          holds one per worker and provider
     MEMP_NUM_TCPIP_MSG_API               one message per name being resolved
     LWIP_TCPIP_CORE_LOCKING              either value; LWIP_SO_RCVTIMEO and LWIP_SO_SNDTIMEO
                                          are not needed (the waits are poll or select)
     LWIP_NETCONN_SEM_PER_THREAD 0 or 1   with 1, every thread that calls the transport
                                          must have run lwip_socket_thread_init
   Assumed: the calls come from application threads, never from the tcpip thread (lwIP's
   rule for its sockets API); one connection is used by one thread at a time, different
   connections by any threads (open claims slots under SYS_ARCH_PROTECT); errno is what
   lwIP sets (the C library's, or its own with LWIP_PROVIDE_ERRNO).

   lwIP 2.1.3 has no way to cancel a DNS query: a connection closed while its name
   resolves frees its slot at once, but its query keeps one of LLMRES_LWIP_MAX_QUERIES
   until lwIP's resolver answers or gives up (7 s with the default DNS_MAX_RETRIES 4,
   2 s with 2); with all of them taken, a name is LLMRES_ERR_NO_SLOT at once. While a name resolves, send and recv look again every 5 ms (no
   semaphore per connection: that would be heap). close is lwip_close, which returns at
   once (the FIN goes out behind any unsent data), except when lwIP has no memory for
   the FIN: then it waits for some, up to LWIP_TCP_CLOSE_TIMEOUT_MS_DEFAULT (20 s).
   A connect to an address that never answers stays in progress until the caller's
   deadline closes it (lwIP itself gives up after TCP_SYNMAXRTX retransmissions). */
#ifndef LLMRES_LWIP_H
#define LLMRES_LWIP_H

#ifndef LLMRES_H
#error "include llmres.h before port/llmres_lwip.h"
#endif

#include "lwip/opt.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "lwip/ip_addr.h"
#if LWIP_DNS
#include "lwip/dns.h"
#endif
#include <string.h>

#if !LWIP_SOCKET || !LWIP_TCP
#error "port/llmres_lwip.h needs LWIP_SOCKET and LWIP_TCP in lwipopts.h"
#endif
#if LWIP_SOCKET_POLL
#define LLMRES__LW_POLL 1
#elif LWIP_SOCKET_SELECT
#define LLMRES__LW_POLL 0
#else
#error "port/llmres_lwip.h needs LWIP_SOCKET_POLL or LWIP_SOCKET_SELECT in lwipopts.h"
#endif

#ifndef LLMRES_LWIP_MAX_CONNECTIONS
#define LLMRES_LWIP_MAX_CONNECTIONS 4 /* connection slots: lwIP's default MEMP_NUM_NETCONN */
#endif
#ifndef LLMRES_LWIP_MAX_QUERIES
#define LLMRES_LWIP_MAX_QUERIES LLMRES_LWIP_MAX_CONNECTIONS /* names being resolved at once */
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LLMRES_LWIP_FN static __attribute__((unused))
#else
#define LLMRES_LWIP_FN static
#endif

enum { /* a slot's state */
    LLMRES__LW_FREE = 0,
    LLMRES__LW_RESOLVING, /* waiting for lwIP's resolver */
    LLMRES__LW_RESOLVED,  /* the address is known, the connect not started */
    LLMRES__LW_CONNECTING,
    LLMRES__LW_UP,
    LLMRES__LW_FAILED     /* error holds what send and recv return */
};

struct llmres_lwip;

typedef struct llmres_lwip_conn {
    struct llmres_lwip *lw;
    int sock;              /* lwIP's socket, -1 before the connect starts */
    int error;             /* LLMRES_ERR_* once FAILED */
    int last_errno;        /* lwIP's errno at this connection's last failure */
    uint16_t gen;          /* bumped at each open: part of the id */
    uint16_t port;
    volatile uint8_t state;
    struct llmres_lwip_query *q; /* its name's query, while RESOLVING */
    uint8_t eof;           /* the peer's FIN came: every later recv says so (lwIP would
                              say ENOTCONN) */
    ip_addr_t addr;
    char host[LLMRES_MAX_HOST];
} llmres_lwip_conn_t;

/* A DNS query: it outlives a connection closed first. */
struct llmres_lwip_query {
    llmres_lwip_conn_t *c;     /* the connection waiting for it; NULL once closed */
    uint8_t busy;              /* lwIP's resolver still owes it an answer */
    char host[LLMRES_MAX_HOST];
};

typedef struct llmres_lwip {
    llmres_transport_t transport;  /* give port.tcp this (or stack TLS on &port.tcp) */
    uint32_t connects;             /* TCP connects started (wraps) */
    uint32_t resolves;             /* names sent to lwIP's resolver (wraps) */
    llmres_lwip_conn_t conn[LLMRES_LWIP_MAX_CONNECTIONS];
    struct llmres_lwip_query query[LLMRES_LWIP_MAX_QUERIES];
} llmres_lwip_t;

/* lwIP's millisecond clock: wraps, as llmres expects. For llmres_port_t.now_ms. */
LLMRES_LWIP_FN uint32_t llmres_lwip_now_ms(void *ctx) {
    (void)ctx;
    return (uint32_t)sys_now();
}

/* A slot's state, read under lwIP's lock: the resolver's callback sets the address (or
   the error), then the state, in the tcpip thread, under the same lock; a reader that
   takes it sees both (volatile alone orders nothing between threads). */
static uint8_t llmres__lw_state(const llmres_lwip_conn_t *c) {
    uint8_t state;
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    state = c->state;
    SYS_ARCH_UNPROTECT(lev);
    return state;
}

/* Sets it under the same lock (other threads scan the slots for a free one). */
static void llmres__lw_set_state(llmres_lwip_conn_t *c, uint8_t state) {
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    c->state = state;
    SYS_ARCH_UNPROTECT(lev);
}

/* The slot an id names, if it is still that connection; NULL for a stale or bad id. */
static llmres_lwip_conn_t *llmres__lw_conn(llmres_lwip_t *lw, int id) {
    llmres_lwip_conn_t *c;
    if (id < 0) return NULL;
    c = &lw->conn[(unsigned)id % LLMRES_LWIP_MAX_CONNECTIONS];
    if (llmres__lw_state(c) == LLMRES__LW_FREE || c->gen != (unsigned)id / LLMRES_LWIP_MAX_CONNECTIONS) return NULL;
    return c;
}

/* What a failure means to llmres: no route from here is this device's link, not the
   provider; anything else while connecting is the connect's failure. */
static int llmres__lw_fail(llmres_lwip_conn_t *c, int err, int connecting) {
    c->last_errno = err;
    if (!connecting) return LLMRES_ERR_IO;
    if (err == EHOSTUNREACH || err == ENETUNREACH || err == ENETDOWN) return LLMRES_ERR_LINK_DOWN;
    return LLMRES_ERR_CONNECT;
}

/* Waits up to timeout_ms for the socket to be readable (or writable): 1 ready (an error
   or EOF counts: the call that follows reports it), 0 not yet, negative error. */
static int llmres__lw_wait(llmres_lwip_conn_t *c, int writable, uint32_t timeout_ms) {
    int rc, ms = timeout_ms > 0x7FFFFFFFu ? 0x7FFFFFFF : (int)timeout_ms;
#if LLMRES__LW_POLL
    struct pollfd p;
    p.fd = c->sock;
    p.events = (short)(writable ? POLLOUT : POLLIN);
    p.revents = 0;
    rc = lwip_poll(&p, 1, ms);
#else
    fd_set set, err;
    struct timeval tv;
    FD_ZERO(&set);
    FD_ZERO(&err);
    FD_SET(c->sock, &set);
    FD_SET(c->sock, &err);
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    rc = lwip_select(c->sock + 1, writable ? NULL : &set, writable ? &set : NULL, &err, &tv);
#endif
    if (rc > 0) return 1;
    if (rc == 0) return 0;
    return llmres__lw_fail(c, errno, 0);
}

#if LWIP_DNS
/* Runs in the tcpip thread: lwIP's resolver answered (ipaddr NULL: it could not). */
static void llmres__lw_dns_found(const char *name, const ip_addr_t *ipaddr, void *arg) {
    struct llmres_lwip_query *q = (struct llmres_lwip_query *)arg;
    llmres_lwip_conn_t *c;
    SYS_ARCH_DECL_PROTECT(lev);
    (void)name;
    SYS_ARCH_PROTECT(lev);
    c = q->c;
    if (c && c->state == LLMRES__LW_RESOLVING) { /* still wanted: not closed meanwhile */
        if (ipaddr) {
            ip_addr_copy(c->addr, *ipaddr);
            c->state = LLMRES__LW_RESOLVED;
        } else {
            c->error = LLMRES_ERR_DNS;
            c->state = LLMRES__LW_FAILED;
        }
    }
    if (c) c->q = NULL;
    q->c = NULL;
    q->busy = 0; /* free for another name */
    SYS_ARCH_UNPROTECT(lev);
}

/* Runs in the tcpip thread, where lwIP's resolver must be called. */
static void llmres__lw_dns_start(void *arg) {
    struct llmres_lwip_query *q = (struct llmres_lwip_query *)arg;
    ip_addr_t addr;
    err_t e = dns_gethostbyname(q->host, &addr, llmres__lw_dns_found, q);
    if (e == ERR_OK) llmres__lw_dns_found(q->host, &addr, q); /* cached: no callback comes */
    else if (e != ERR_INPROGRESS) llmres__lw_dns_found(q->host, NULL, q);
}
#endif

/* Starts the TCP connect to c->addr: RESOLVED becomes CONNECTING, UP or FAILED. */
static void llmres__lw_connect(llmres_lwip_conn_t *c) {
    int one = 1, family = AF_INET;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    SYS_ARCH_DECL_PROTECT(lev);
    memset(&ss, 0, sizeof(ss));
#if LWIP_IPV6
    if (IP_IS_V6(&c->addr)) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;
        family = AF_INET6;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = lwip_htons(c->port);
        memcpy(&s6->sin6_addr, ip_2_ip6(&c->addr)->addr, 16);
        len = sizeof(*s6);
    }
#endif
#if LWIP_IPV4
    if (!len) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = lwip_htons(c->port);
        s4->sin_addr.s_addr = ip4_addr_get_u32(ip_2_ip4(&c->addr));
        len = sizeof(*s4);
    }
#endif
    llmres__lw_set_state(c, LLMRES__LW_FAILED);
    c->sock = lwip_socket(family, SOCK_STREAM, 0);
    if (c->sock < 0) { c->last_errno = errno; c->error = LLMRES_ERR_NO_SLOT; return; } /* lwIP's socket table */
    SYS_ARCH_PROTECT(lev);
    c->lw->connects++;
    SYS_ARCH_UNPROTECT(lev);
    if (lwip_fcntl(c->sock, F_SETFL, O_NONBLOCK) != 0) { c->error = llmres__lw_fail(c, errno, 1); return; }
    lwip_setsockopt(c->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* a request is two writes */
    if (lwip_connect(c->sock, (struct sockaddr *)(void *)&ss, len) == 0) { llmres__lw_set_state(c, LLMRES__LW_UP); return; }
    if (errno != EINPROGRESS) { c->error = llmres__lw_fail(c, errno, 1); return; }
    llmres__lw_set_state(c, LLMRES__LW_CONNECTING);
}

/* Moves a connection on within timeout_ms: LLMRES_OK when it is up, 0 when not yet,
   else its error. */
static int llmres__lw_progress(llmres_lwip_conn_t *c, uint32_t timeout_ms) {
    uint32_t start = (uint32_t)sys_now();
    for (;;) {
        uint32_t spent = (uint32_t)sys_now() - start, left = spent < timeout_ms ? timeout_ms - spent : 0;
        uint8_t state = llmres__lw_state(c);
        if (state == LLMRES__LW_UP) return 1;
        if (state == LLMRES__LW_FAILED) return c->error;
        if (state == LLMRES__LW_RESOLVED) { llmres__lw_connect(c); continue; }
        if (state == LLMRES__LW_RESOLVING) { /* the resolver answers in the tcpip thread */
            if (!left) return 0;
            sys_msleep(left < 5 ? left : 5);
            continue;
        }
        { /* CONNECTING: writable once the handshake ended, either way */
            int err = 0, rc = llmres__lw_wait(c, 1, left);
            socklen_t len = sizeof(err);
            if (rc == 0) return 0;
            if (rc < 0 || lwip_getsockopt(c->sock, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno ? errno : EIO;
            if (err) { c->error = llmres__lw_fail(c, err, 1); llmres__lw_set_state(c, LLMRES__LW_FAILED); }
            else llmres__lw_set_state(c, LLMRES__LW_UP);
        }
    }
}

static void llmres__lw_close(void *ctx, int id) {
    llmres_lwip_t *lw = (llmres_lwip_t *)ctx;
    llmres_lwip_conn_t *c = llmres__lw_conn(lw, id);
    SYS_ARCH_DECL_PROTECT(lev);
    if (!c) return; /* closed already, or never opened: nothing to do */
    if (c->sock >= 0) lwip_close(c->sock);
    c->sock = -1;
    SYS_ARCH_PROTECT(lev);
    if (c->q) c->q->c = NULL; /* its query answers no one now */
    c->q = NULL;
    c->state = LLMRES__LW_FREE;
    SYS_ARCH_UNPROTECT(lev);
}

/* Claims a free slot, or NULL. Any thread. */
static llmres_lwip_conn_t *llmres__lw_claim(llmres_lwip_t *lw) {
    llmres_lwip_conn_t *c = NULL;
    uint32_t i;
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    for (i = 0; i < LLMRES_LWIP_MAX_CONNECTIONS && !c; i++)
        if (lw->conn[i].state == LLMRES__LW_FREE) c = &lw->conn[i];
    if (c) {
        c->state = LLMRES__LW_RESOLVING;
        c->gen = (uint16_t)((c->gen + 1u) & 0x7FFFu);
    }
    SYS_ARCH_UNPROTECT(lev);
    return c;
}

#if LWIP_DNS
/* A free query for c's name (c->host), taken; NULL when all are owed answers. */
static struct llmres_lwip_query *llmres__lw_query(llmres_lwip_t *lw, llmres_lwip_conn_t *c) {
    struct llmres_lwip_query *q = NULL;
    uint32_t i;
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    for (i = 0; i < LLMRES_LWIP_MAX_QUERIES && !q; i++)
        if (!lw->query[i].busy) q = &lw->query[i];
    if (q) {
        q->busy = 1;
        q->c = c;
        c->q = q;
        memcpy(q->host, c->host, strlen(c->host) + 1);
    }
    SYS_ARCH_UNPROTECT(lev);
    return q;
}
#endif

static int llmres__lw_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    llmres_lwip_t *lw = (llmres_lwip_t *)ctx;
    llmres_lwip_conn_t *c;
    size_t n = host ? strlen(host) : 0;
    int id, rc;
    if (!n || n >= LLMRES_MAX_HOST) return LLMRES_ERR_INVALID;
    if ((c = llmres__lw_claim(lw)) == NULL) return LLMRES_ERR_NO_SLOT;
    id = (int)(c - lw->conn) + (int)c->gen * LLMRES_LWIP_MAX_CONNECTIONS;
    c->lw = lw;
    c->sock = -1;
    c->eof = 0;
    c->error = 0;
    c->last_errno = 0;
    c->port = port;
    memcpy(c->host, host, n + 1);
    if (ipaddr_aton(host, &c->addr)) {
        llmres__lw_set_state(c, LLMRES__LW_RESOLVED);
        llmres__lw_connect(c);
    } else {
#if LWIP_DNS
        struct llmres_lwip_query *q = llmres__lw_query(lw, c);
        if (!q) {
            c->error = LLMRES_ERR_NO_SLOT; /* every query still owed an answer */
            llmres__lw_set_state(c, LLMRES__LW_FAILED);
        } else if (tcpip_try_callback(llmres__lw_dns_start, q) == ERR_OK) {
            SYS_ARCH_DECL_PROTECT(lev);
            SYS_ARCH_PROTECT(lev);
            lw->resolves++;
            SYS_ARCH_UNPROTECT(lev);
        } else {
            llmres__lw_dns_found(host, NULL, q); /* the tcpip thread's mailbox is full */
        }
#else
        c->error = LLMRES_ERR_DNS; /* LWIP_DNS 0: numeric addresses only */
        llmres__lw_set_state(c, LLMRES__LW_FAILED);
#endif
    }
    rc = llmres__lw_progress(c, timeout_ms);
    if (rc == 1 || (rc == 0 && timeout_ms == 0)) return id; /* up, or under way for a stepped caller */
    if (rc == 0) rc = llmres__lw_state(c) == LLMRES__LW_RESOLVING ? LLMRES_ERR_DNS : LLMRES_ERR_TIMEOUT; /* the resolver's, or the provider's */
    llmres__lw_close(lw, id);
    return rc;
}

static int llmres__lw_send(void *ctx, int id, const void *buf, size_t len, uint32_t timeout_ms) {
    llmres_lwip_conn_t *c = llmres__lw_conn((llmres_lwip_t *)ctx, id);
    uint32_t start = (uint32_t)sys_now(), spent;
    int rc;
    if (!c) return LLMRES_ERR_INVALID;
    if ((rc = llmres__lw_progress(c, timeout_ms)) != 1) return rc;
    spent = (uint32_t)sys_now() - start;
    rc = llmres__lw_wait(c, 1, spent < timeout_ms ? timeout_ms - spent : 0);
    if (rc <= 0) return rc;
    rc = (int)lwip_send(c->sock, buf, len > 0x7FFFFFFF ? 0x7FFFFFFF : len, MSG_DONTWAIT);
    if (rc >= 0) return rc;
    if (errno == EWOULDBLOCK || errno == EAGAIN) return 0;
    return llmres__lw_fail(c, errno, 0); /* reset, aborted... */
}

static int llmres__lw_recv(void *ctx, int id, void *buf, size_t len, uint32_t timeout_ms) {
    llmres_lwip_conn_t *c = llmres__lw_conn((llmres_lwip_t *)ctx, id);
    uint32_t start = (uint32_t)sys_now(), spent;
    int rc;
    if (!c) return LLMRES_ERR_INVALID;
    if ((rc = llmres__lw_progress(c, timeout_ms)) != 1) return rc;
    if (c->eof) return LLMRES_ERR_CLOSED;
    spent = (uint32_t)sys_now() - start;
    rc = llmres__lw_wait(c, 0, spent < timeout_ms ? timeout_ms - spent : 0);
    if (rc <= 0) return rc;
    rc = (int)lwip_recv(c->sock, buf, len > 0x7FFFFFFF ? 0x7FFFFFFF : len, MSG_DONTWAIT);
    if (rc > 0) return rc;
    if (rc == 0) { /* the peer's FIN */
        c->eof = 1;
        return LLMRES_ERR_CLOSED;
    }
    if (errno == EWOULDBLOCK || errno == EAGAIN) return 0;
    return llmres__lw_fail(c, errno, 0);
}

/* 1 while connection id waits for its name, else 0 (llmres_transport_t.resolving). */
static int llmres__lw_resolving(void *ctx, int id) {
    const llmres_lwip_conn_t *c = llmres__lw_conn((llmres_lwip_t *)ctx, id);
    return c && llmres__lw_state(c) == LLMRES__LW_RESOLVING;
}

/* lwIP's errno at connection id's last failure (0: none, or the id is closed). */
LLMRES_LWIP_FN int llmres_lwip_errno(const llmres_lwip_t *lw, int id) {
    const llmres_lwip_conn_t *c = llmres__lw_conn((llmres_lwip_t *)(uintptr_t)lw, id);
    return c ? c->last_errno : 0;
}

/* Sets lw up; lw->transport is the TCP transport. Call after tcpip_init. Returns
   LLMRES_OK or LLMRES_ERR_INVALID. */
LLMRES_LWIP_FN int llmres_lwip_init(llmres_lwip_t *lw) {
    uint32_t i;
    if (!lw) return LLMRES_ERR_INVALID;
    memset(lw, 0, sizeof(*lw));
    for (i = 0; i < LLMRES_LWIP_MAX_CONNECTIONS; i++) lw->conn[i].sock = -1;
    lw->transport.ctx = lw;
    lw->transport.open = llmres__lw_open;
    lw->transport.send = llmres__lw_send;
    lw->transport.recv = llmres__lw_recv;
    lw->transport.resolving = llmres__lw_resolving;
    lw->transport.close = llmres__lw_close;
    lw->transport.flags = LLMRES_TRANSPORT_ASYNC_OPEN;
    return LLMRES_OK;
}

#endif /* LLMRES_LWIP_H */
