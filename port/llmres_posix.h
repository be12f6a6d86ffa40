/* llmres_posix.h - the POSIX port of llmres: Linux (glibc and musl) and other POSIX
   systems. Include llmres.h first, then this, in the file that sets up the port:

       llmres_port_t port;
       static llmres_posix_t posix;
       llmres_posix_init(&port, &posix);

   Clock: CLOCK_MONOTONIC. Sleep: nanosleep. Entropy: getrandom, else /dev/urandom.
   Lock: a pthread mutex. TCP: IPv4 and IPv6, non-blocking connect, poll for every
   timeout, MSG_NOSIGNAL (no SIGPIPE), TCP_NODELAY (a request is two writes: Nagle
   would hold the second one back). The transport connects in steps
   (LLMRES_TRANSPORT_ASYNC_OPEN): open with timeout 0 returns at once and send or recv
   finish the connect, so a superloop's step never waits on one.

   Name resolution: with glibc and _GNU_SOURCE defined before any include, getaddrinfo_a
   resolves in the background, so a resolver that does not answer costs no more than
   the caller's deadline (glibc's own would wait 5 s per server and try, per
   resolv.conf). Elsewhere (musl, BSDs, or _DEFAULT_SOURCE) getaddrinfo runs inside open
   and waits the resolver's own timeouts; address literals never wait.

   Connections live in LLMRES_POSIX_MAX_CONNECTIONS slots (16) shared by every client
   of the port; each slot's state is its own, so threads sharing the port do not race.
   last_errno (llmres_posix_last_errno) and each slot's last_errno are for diagnosis.
   Every function here is static: include it in one file, or in several without
   clashes. Define _GNU_SOURCE before any include (_DEFAULT_SOURCE is enough without
   the background resolver). */
#ifndef LLMRES_POSIX_H
#define LLMRES_POSIX_H

#ifndef LLMRES_H
#error "include llmres.h before port/llmres_posix.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LLMRES_POSIX_FN static __attribute__((unused))
#else
#define LLMRES_POSIX_FN static
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* BSDs: SO_NOSIGPIPE is set on the socket instead */
#endif

#ifndef LLMRES_POSIX_MAX_CONNECTIONS
#define LLMRES_POSIX_MAX_CONNECTIONS 16 /* connections open at once, over every client */
#endif

/* getaddrinfo_a (glibc, _GNU_SOURCE) resolves in the background, so a name that does not
   resolve ends by the caller's deadline; elsewhere getaddrinfo waits its own timeouts.
   Not under ThreadSanitizer: glibc starts the resolver's thread where TSan cannot see
   it, and that thread's first malloc crashes TSan's allocator. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) && !defined(LLMRES_POSIX_NO_GAI_A)
#define LLMRES_POSIX_NO_GAI_A 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(LLMRES_POSIX_NO_GAI_A)
#define LLMRES_POSIX_NO_GAI_A 1
#endif
#if defined(__GLIBC__) && defined(_GNU_SOURCE) && defined(EAI_INPROGRESS) && !defined(LLMRES_POSIX_NO_GAI_A)
#define LLMRES__POSIX_GAI_A 1
#endif

/* A connection slot is free or taken, and a resolver slot free, busy (a connection
   waits for its answer) or an orphan (its connection was closed: free once glibc is
   done, never cancelled: a cancelled request leaks glibc's own memory); both change
   only under the slots mutex. A taken slot's connection goes from resolving to
   connecting to up or failed, seen by its owner alone. */
enum { LLMRES__PX_FREE, LLMRES__PX_TAKEN, LLMRES__PX_ORPHAN };
enum { LLMRES__PX_RESOLVING, LLMRES__PX_CONNECTING, LLMRES__PX_UP, LLMRES__PX_FAILED };

#ifdef LLMRES__POSIX_GAI_A
#ifndef LLMRES_POSIX_MAX_RESOLVING
#define LLMRES_POSIX_MAX_RESOLVING LLMRES_POSIX_MAX_CONNECTIONS /* names resolving at once */
#endif
/* One background resolution. It outlives its connection when that is closed first, so
   a name that never resolves holds a resolver slot, never a connection slot. */
typedef struct llmres_posix_resolver {
    int slot;
    struct gaicb gai;
    struct addrinfo hints;
    char host[LLMRES_MAX_HOST];
    char service[8];
} llmres_posix_resolver_t;
#endif

/* One connection: its socket and how far its connect has come. Only the thread that
   opened it touches it (the transport contract), so it needs no lock. */
typedef struct llmres_posix_conn {
    int slot;
    int state;
    unsigned gen;              /* bumped at each close: part of the id */
    int fd;                    /* -1 until a socket exists */
    int error;                 /* what a FAILED connection reports */
    int last_errno;            /* errno of its last failed call */
    int last_gai;              /* the resolver's code when its name did not resolve */
    struct addrinfo *addrs;    /* the resolver's answer, tried in order */
    struct addrinfo *next;     /* the next address to try */
    int refused;               /* a connect failed for more than a missing route */
#ifdef LLMRES__POSIX_GAI_A
    llmres_posix_resolver_t *r; /* while RESOLVING */
#endif
} llmres_posix_conn_t;

typedef struct llmres_posix {
    pthread_mutex_t mutex;     /* the port's lock hooks */
    pthread_mutex_t slots;     /* claims and frees of conn[] */
    int last_errno;            /* errno of the last failure of any connection (under slots) */
    uint32_t clock_offset;     /* added to now_ms: set it near 2^32 to test the wrap */
    llmres_posix_conn_t conn[LLMRES_POSIX_MAX_CONNECTIONS];
#ifdef LLMRES__POSIX_GAI_A
    llmres_posix_resolver_t resolver[LLMRES_POSIX_MAX_RESOLVING];
#endif
} llmres_posix_t;

LLMRES_POSIX_FN uint32_t llmres_posix_now_ms(void *ctx) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u) +
           ((const llmres_posix_t *)ctx)->clock_offset;
}

LLMRES_POSIX_FN void llmres_posix_sleep_ms(void *ctx, uint32_t ms) {
    struct timespec ts, rest;
    (void)ctx;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&ts, &rest) != 0 && errno == EINTR) ts = rest;
}

/* Keeps errno for diagnosis: on the connection, and as the port's last. */
static void llmres__posix_errno(llmres_posix_t *px, llmres_posix_conn_t *k, int e) {
    if (k) k->last_errno = e;
    pthread_mutex_lock(&px->slots);
    px->last_errno = e;
    pthread_mutex_unlock(&px->slots);
}

/* errno of the last failure of any connection, for diagnosis. */
LLMRES_POSIX_FN int llmres_posix_last_errno(llmres_posix_t *px) {
    int e;
    pthread_mutex_lock(&px->slots);
    e = px->last_errno;
    pthread_mutex_unlock(&px->slots);
    return e;
}

LLMRES_POSIX_FN int llmres_posix_entropy(void *ctx, void *buf, size_t len) {
    llmres_posix_t *px = (llmres_posix_t *)ctx;
    uint8_t *p = (uint8_t *)buf;
    int fd;
#if defined(__linux__) && defined(SYS_getrandom)
    while (len) {
        long n = syscall(SYS_getrandom, p, len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; /* ENOSYS on an old kernel: fall back below */
        p += n;
        len -= (size_t)n;
    }
    if (!len) return 0;
#endif
    fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) { llmres__posix_errno(px, NULL, errno); return LLMRES_ERR_IO; }
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { llmres__posix_errno(px, NULL, errno); close(fd); return LLMRES_ERR_IO; }
        p += n;
        len -= (size_t)n;
    }
    close(fd);
    return 0;
}

LLMRES_POSIX_FN void llmres_posix_lock(void *ctx) { pthread_mutex_lock(&((llmres_posix_t *)ctx)->mutex); }
LLMRES_POSIX_FN void llmres_posix_unlock(void *ctx) { pthread_mutex_unlock(&((llmres_posix_t *)ctx)->mutex); }

/* Waits for `events` on fd up to timeout_ms: 1 ready, 0 timed out, negative error.
   EINTR resumes with the time that is left. */
LLMRES_POSIX_FN int llmres_posix_wait(llmres_posix_t *px, int fd, short events, uint32_t timeout_ms) {
    uint32_t start = llmres_posix_now_ms(px), spent;
    for (;;) {
        struct pollfd pfd;
        int rc, wait;
        spent = llmres_posix_now_ms(px) - start;
        if (spent > timeout_ms) spent = timeout_ms;
        wait = timeout_ms - spent > 0x7FFFFFFFu ? 0x7FFFFFFF : (int)(timeout_ms - spent);
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        rc = poll(&pfd, 1, wait);
        if (rc > 0) return 1; /* readable, writable, or an error/hangup the call will report */
        if (rc == 0) return 0;
        if (errno != EINTR) return LLMRES_ERR_IO;
    }
}

/* A free connection slot, marked taken. NULL when every slot is in use. */
static llmres_posix_conn_t *llmres__posix_claim(llmres_posix_t *px) {
    llmres_posix_conn_t *got = NULL;
    int i;
    pthread_mutex_lock(&px->slots);
    for (i = 0; i < LLMRES_POSIX_MAX_CONNECTIONS && !got; i++)
        if (px->conn[i].slot == LLMRES__PX_FREE) got = &px->conn[i];
    if (got) {
        unsigned gen = got->gen;
        memset(got, 0, sizeof(*got));
        got->gen = gen;
        got->slot = LLMRES__PX_TAKEN;
        got->state = LLMRES__PX_RESOLVING;
        got->fd = -1;
    }
    pthread_mutex_unlock(&px->slots);
    return got;
}

static void llmres__posix_release(llmres_posix_t *px, llmres_posix_conn_t *k, int slot) {
    pthread_mutex_lock(&px->slots);
    k->slot = slot;
    pthread_mutex_unlock(&px->slots);
}

static int llmres__posix_fail(llmres_posix_conn_t *k, int error) {
    if (k->fd >= 0) close(k->fd);
    k->fd = -1;
    k->state = LLMRES__PX_FAILED;
    k->error = error;
    return error;
}

#ifdef LLMRES__POSIX_GAI_A
/* A free resolver slot, marked busy; orphans glibc is done with are freed on the way.
   NULL when every one is in use. */
static llmres_posix_resolver_t *llmres__posix_resolver(llmres_posix_t *px) {
    llmres_posix_resolver_t *got = NULL;
    int i;
    pthread_mutex_lock(&px->slots);
    for (i = 0; i < LLMRES_POSIX_MAX_RESOLVING && !got; i++) {
        llmres_posix_resolver_t *r = &px->resolver[i];
        if (r->slot == LLMRES__PX_ORPHAN && gai_error(&r->gai) != EAI_INPROGRESS) {
            if (r->gai.ar_result) freeaddrinfo(r->gai.ar_result);
            r->gai.ar_result = NULL;
            r->slot = LLMRES__PX_FREE;
        }
        if (r->slot == LLMRES__PX_FREE) got = r;
    }
    if (got) got->slot = LLMRES__PX_TAKEN;
    pthread_mutex_unlock(&px->slots);
    return got;
}

static void llmres__posix_resolver_set(llmres_posix_t *px, llmres_posix_resolver_t *r, int slot) {
    pthread_mutex_lock(&px->slots);
    r->slot = slot;
    pthread_mutex_unlock(&px->slots);
}
#endif

/* Starts resolving host: the answer may be there at once (an address literal, or no
   background resolver here) or later (LLMRES__PX_RESOLVING). 0, or LLMRES_ERR_DNS. */
static int llmres__posix_resolve(llmres_posix_t *px, llmres_posix_conn_t *k, const char *host, uint16_t port) {
    struct addrinfo hints;
    char service[8];
    int rc;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    rc = getaddrinfo(host, service, &hints, &k->addrs); /* a literal: no resolver, no wait */
#ifdef LLMRES__POSIX_GAI_A
    if (rc == EAI_NONAME) {
        llmres_posix_resolver_t *r = llmres__posix_resolver(px);
        struct gaicb *list[1];
        if (!r) return llmres__posix_fail(k, LLMRES_ERR_NO_SLOT);
        memset(&r->gai, 0, sizeof(r->gai));
        r->hints = hints;
        r->hints.ai_flags = AI_NUMERICSERV;
        memcpy(r->host, host, strlen(host) + 1);
        memcpy(r->service, service, sizeof(service));
        r->gai.ar_name = r->host;
        r->gai.ar_service = r->service;
        r->gai.ar_request = &r->hints;
        list[0] = &r->gai;
        rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
        if (rc == 0) { k->r = r; return 0; } /* resolving */
        llmres__posix_resolver_set(px, r, LLMRES__PX_FREE);
    }
#else
    if (rc == EAI_NONAME) {
        hints.ai_flags = AI_NUMERICSERV;
        rc = getaddrinfo(host, service, &hints, &k->addrs);
    }
#endif
    if (rc != 0) {
        k->last_gai = rc;
        llmres__posix_errno(px, k, rc == EAI_SYSTEM ? errno : 0);
        return llmres__posix_fail(k, LLMRES_ERR_DNS);
    }
    k->next = k->addrs;
    k->state = LLMRES__PX_CONNECTING;
    return 0;
}
#ifdef LLMRES__POSIX_GAI_A
/* Takes the background resolver's answer if it came, waiting up to timeout_ms: 1 the
   addresses are there, 0 not yet, LLMRES_ERR_DNS. */
static int llmres__posix_resolved(llmres_posix_t *px, llmres_posix_conn_t *k, uint32_t timeout_ms) {
    llmres_posix_resolver_t *r = k->r;
    int rc = gai_error(&r->gai);
    if (rc == EAI_INPROGRESS && timeout_ms) {
        const struct gaicb *list[1];
        struct timespec ts;
        list[0] = &r->gai;
        ts.tv_sec = (time_t)(timeout_ms / 1000u);
        ts.tv_nsec = (long)(timeout_ms % 1000u) * 1000000L;
        gai_suspend(list, 1, &ts); /* a timeout or a signal: the code below tells */
        rc = gai_error(&r->gai);
    }
    if (rc == EAI_INPROGRESS) return 0;
    k->addrs = k->next = r->gai.ar_result; /* NULL on a failure */
    r->gai.ar_result = NULL;
    k->r = NULL;
    llmres__posix_resolver_set(px, r, LLMRES__PX_FREE);
    if (rc != 0) {
        k->last_gai = rc;
        llmres__posix_errno(px, k, rc == EAI_SYSTEM ? errno : 0);
        return llmres__posix_fail(k, LLMRES_ERR_DNS);
    }
    k->state = LLMRES__PX_CONNECTING;
    return 1;
}
#endif

/* Notes whether a failed connect was more than a missing route from this device (no
   route, no interface, no IPv6 here): refused, reset, out of sockets... */
static void llmres__posix_failed_at(llmres_posix_conn_t *k, int e) {
    if (e != ENETUNREACH && e != ENETDOWN && e != EAFNOSUPPORT) k->refused = 1;
}

/* Starts a connect to the next address: 0 under way, 1 connected, or the error once
   every address failed: LINK_DOWN when none had a route from this device (a refusal
   from one address and no route to the next is the provider's CONNECT). */
static int llmres__posix_dial(llmres_posix_t *px, llmres_posix_conn_t *k) {
    int e = 0;
    while (k->next) {
        const struct addrinfo *ai = k->next;
        int fd, one = 1;
        k->next = ai->ai_next;
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) { e = errno; llmres__posix_failed_at(k, e); continue; }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
#ifdef SO_NOSIGPIPE
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
        k->fd = fd;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) { k->state = LLMRES__PX_UP; return 1; }
        if (errno == EINPROGRESS) return 0;
        e = errno;
        llmres__posix_failed_at(k, e);
        close(fd);
        k->fd = -1;
    }
    if (e) llmres__posix_errno(px, k, e);
    return llmres__posix_fail(k, k->refused ? LLMRES_ERR_CONNECT : LLMRES_ERR_LINK_DOWN);
}

/* Moves the connection on (name, then connect, address after address), waiting at
   most timeout_ms: 1 up, 0 not yet, or its error. */
static int llmres__posix_progress(llmres_posix_t *px, llmres_posix_conn_t *k, uint32_t timeout_ms) {
    uint32_t start = llmres_posix_now_ms(px);
    for (;;) {
        uint32_t spent = llmres_posix_now_ms(px) - start, left = spent < timeout_ms ? timeout_ms - spent : 0;
        int rc, err = 0;
        socklen_t len = sizeof(err);
        if (k->state == LLMRES__PX_UP) return 1;
        if (k->state == LLMRES__PX_FAILED) return k->error;
#ifdef LLMRES__POSIX_GAI_A
        if (k->state == LLMRES__PX_RESOLVING) {
            rc = llmres__posix_resolved(px, k, left);
            if (rc == 0 && !left) return 0;
            if (rc == 1 && (rc = llmres__posix_dial(px, k)) < 0) return rc;
            continue;
        }
#endif
        rc = llmres_posix_wait(px, k->fd, POLLOUT, left);
        if (rc == 0) return 0;
        if (rc > 0 && getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
            k->state = LLMRES__PX_UP;
            return 1;
        }
        llmres__posix_errno(px, k, err ? err : errno);
        llmres__posix_failed_at(k, err ? err : errno);
        close(k->fd); /* refused, unreachable: the next address (IPv4 after IPv6, say) */
        k->fd = -1;
        if ((rc = llmres__posix_dial(px, k)) < 0) return rc;
    }
}

/* Connection ids carry a generation, so an id closed twice or kept too long never
   reaches a connection opened since. */
static int llmres__posix_id(const llmres_posix_t *px, const llmres_posix_conn_t *k) {
    return (int)(k->gen * (unsigned)LLMRES_POSIX_MAX_CONNECTIONS + (unsigned)(k - px->conn));
}

static llmres_posix_conn_t *llmres__posix_at(llmres_posix_t *px, int id) {
    llmres_posix_conn_t *k;
    if (id < 0) return NULL;
    k = &px->conn[id % LLMRES_POSIX_MAX_CONNECTIONS];
    return k->gen == (unsigned)id / LLMRES_POSIX_MAX_CONNECTIONS && k->slot == LLMRES__PX_TAKEN ? k : NULL;
}

LLMRES_POSIX_FN void llmres_posix_close(void *ctx, int conn) {
    llmres_posix_t *px = (llmres_posix_t *)ctx;
    llmres_posix_conn_t *k;
    pthread_mutex_lock(&px->slots); /* a second close of one id must find it gone */
    k = llmres__posix_at(px, conn);
    if (k) k->gen = (k->gen + 1u) % (0x7FFFFFFFu / LLMRES_POSIX_MAX_CONNECTIONS); /* ids stay >= 0 */
    pthread_mutex_unlock(&px->slots);
    if (!k) return;
    if (k->fd >= 0) close(k->fd);
    if (k->addrs) freeaddrinfo(k->addrs);
#ifdef LLMRES__POSIX_GAI_A
    if (k->r) llmres__posix_resolver_set(px, k->r, LLMRES__PX_ORPHAN); /* glibc finishes it */
    k->r = NULL;
#endif
    k->fd = -1;
    k->addrs = NULL;
    llmres__posix_release(px, k, LLMRES__PX_FREE);
}

/* With timeout_ms 0 it returns at once (LLMRES_TRANSPORT_ASYNC_OPEN): the name and the
   connect go on in send and recv. */
LLMRES_POSIX_FN int llmres_posix_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    llmres_posix_t *px = (llmres_posix_t *)ctx;
    llmres_posix_conn_t *k;
    int rc, id;
    if (!host || strlen(host) >= LLMRES_MAX_HOST) return LLMRES_ERR_INVALID;
    if (!(k = llmres__posix_claim(px))) return LLMRES_ERR_NO_SLOT;
    id = llmres__posix_id(px, k);
    rc = llmres__posix_resolve(px, k, host, port);
    if (rc == 0 && k->state == LLMRES__PX_CONNECTING) rc = llmres__posix_dial(px, k);
    if (rc >= 0 && timeout_ms) rc = llmres__posix_progress(px, k, timeout_ms);
    if (rc == 0 && timeout_ms) { /* a name that did not resolve in time: this device's resolver */
        llmres__posix_errno(px, k, ETIMEDOUT);
        rc = k->state == LLMRES__PX_RESOLVING ? LLMRES_ERR_DNS : LLMRES_ERR_TIMEOUT;
    }
    if (rc < 0) {
        llmres_posix_close(px, id);
        return rc;
    }
    return id;
}

/* 1 while connection conn waits for its name, else 0 (llmres_transport_t.resolving). */
LLMRES_POSIX_FN int llmres_posix_resolving(void *ctx, int conn) {
    const llmres_posix_conn_t *k = llmres__posix_at((llmres_posix_t *)ctx, conn);
    return k && k->state == LLMRES__PX_RESOLVING;
}

LLMRES_POSIX_FN int llmres_posix_send(void *ctx, int conn, const void *buf, size_t len, uint32_t timeout_ms) {
    llmres_posix_t *px = (llmres_posix_t *)ctx;
    llmres_posix_conn_t *k = llmres__posix_at(px, conn);
    uint32_t start = llmres_posix_now_ms(px), spent;
    ssize_t n;
    int rc;
    if (!k) return LLMRES_ERR_INVALID;
    if (k->state != LLMRES__PX_UP && (rc = llmres__posix_progress(px, k, timeout_ms)) <= 0) return rc;
    spent = llmres_posix_now_ms(px) - start;
    rc = llmres_posix_wait(px, k->fd, POLLOUT, spent < timeout_ms ? timeout_ms - spent : 0);
    if (rc <= 0) return rc;
    n = send(k->fd, buf, len > 0x7FFFFFFF ? 0x7FFFFFFF : len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    llmres__posix_errno(px, k, errno);
    return LLMRES_ERR_IO; /* EPIPE, ECONNRESET... */
}

LLMRES_POSIX_FN int llmres_posix_recv(void *ctx, int conn, void *buf, size_t len, uint32_t timeout_ms) {
    llmres_posix_t *px = (llmres_posix_t *)ctx;
    llmres_posix_conn_t *k = llmres__posix_at(px, conn);
    uint32_t start = llmres_posix_now_ms(px), spent;
    ssize_t n;
    int rc;
    if (!k) return LLMRES_ERR_INVALID;
    if (k->state != LLMRES__PX_UP && (rc = llmres__posix_progress(px, k, timeout_ms)) <= 0) return rc;
    spent = llmres_posix_now_ms(px) - start;
    rc = llmres_posix_wait(px, k->fd, POLLIN, spent < timeout_ms ? timeout_ms - spent : 0);
    if (rc <= 0) return rc;
    n = recv(k->fd, buf, len > 0x7FFFFFFF ? 0x7FFFFFFF : len, MSG_DONTWAIT);
    if (n > 0) return (int)n;
    if (n == 0) return LLMRES_ERR_CLOSED; /* orderly: the peer sent FIN */
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    llmres__posix_errno(px, k, errno);
    return LLMRES_ERR_IO; /* ECONNRESET... */
}

#ifndef LLMRES_NO_LLM
/* Reads the client settings from the environment (LLM_MAX_CONCURRENT_REQUESTS,
   LLM_REQUESTS_PER_SECOND="1.5", ... every key of llmres_config_key); variables not
   set keep their value. Errors: INVALID, with err naming the variable. */
LLMRES_POSIX_FN int llmres_posix_config_from_env(llmres_config_t *c, char *err, size_t err_cap) {
    const char *key;
    int i;
    for (i = 0; (key = llmres_config_key(i)) != NULL; i++) {
        const char *v = getenv(key);
        if (v && llmres_config_set(c, key, v, err, err_cap) != LLMRES_OK) return LLMRES_ERR_INVALID;
    }
    return LLMRES_OK;
}
#endif

/* Fills *port with the POSIX functions, ctx as their context. Returns LLMRES_OK, or
   LLMRES_ERR_INVALID for NULLs or when the mutex cannot be made. */
LLMRES_POSIX_FN int llmres_posix_init(llmres_port_t *port, llmres_posix_t *ctx) {
    if (!port || !ctx) return LLMRES_ERR_INVALID;
    memset(ctx, 0, sizeof(*ctx));
    if (pthread_mutex_init(&ctx->mutex, NULL) != 0) return LLMRES_ERR_INVALID;
    if (pthread_mutex_init(&ctx->slots, NULL) != 0) { pthread_mutex_destroy(&ctx->mutex); return LLMRES_ERR_INVALID; }
    memset(port, 0, sizeof(*port));
    port->ctx = ctx;
    port->now_ms = llmres_posix_now_ms;
    port->sleep_ms = llmres_posix_sleep_ms;
    port->entropy = llmres_posix_entropy;
    port->lock = llmres_posix_lock;
    port->unlock = llmres_posix_unlock;
    port->tcp.ctx = ctx;
    port->tcp.open = llmres_posix_open;
    port->tcp.send = llmres_posix_send;
    port->tcp.recv = llmres_posix_recv;
    port->tcp.close = llmres_posix_close;
    port->tcp.flags = LLMRES_TRANSPORT_ASYNC_OPEN;
    port->tcp.resolving = llmres_posix_resolving;
    return LLMRES_OK;
}

#endif /* LLMRES_POSIX_H */
