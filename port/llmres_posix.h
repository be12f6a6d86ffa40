/* llmres_posix.h - the POSIX port of llmres: Linux (glibc and musl) and other POSIX
   systems. Include llmres.h first, then this, in the file that sets up the port:

       llmres_port_t port;
       static llmres_posix_t posix;
       llmres_posix_init(&port, &posix);

   Clock: CLOCK_MONOTONIC. Sleep: nanosleep. Entropy: getrandom, else /dev/urandom.
   Lock: a pthread mutex. TCP: getaddrinfo (IPv4 and IPv6), non-blocking connect with
   a timeout, poll for send and receive timeouts, MSG_NOSIGNAL (no SIGPIPE),
   TCP_NODELAY (a request is two writes: Nagle would hold the second one back).

   Name resolution uses the system resolver, which has no timeout of ours: its own
   (resolv.conf) applies. Connection ids are the socket descriptors. Every function
   here is static: include it in one file, or in several without clashes. With
   -std=c99, define _DEFAULT_SOURCE (or _POSIX_C_SOURCE 200809L) before any include;
   -std=gnu99 needs nothing. */
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

typedef struct llmres_posix {
    pthread_mutex_t mutex;
    int last_errno;      /* errno of the last failed call, for diagnosis */
    int last_gai;        /* getaddrinfo's code when a name did not resolve */
    uint32_t clock_offset; /* added to now_ms: set it near 2^32 to test the wrap */
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
    if (fd < 0) { px->last_errno = errno; return LLMRES_ERR_IO; }
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { px->last_errno = errno; close(fd); return LLMRES_ERR_IO; }
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
        if (errno != EINTR) { px->last_errno = errno; return LLMRES_ERR_IO; }
    }
}

LLMRES_POSIX_FN int llmres_posix_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    llmres_posix_t *px = (llmres_posix_t *)ctx;
    struct addrinfo hints, *res = NULL, *ai;
    char service[8];
    uint32_t start = llmres_posix_now_ms(ctx);
    int rc, result = LLMRES_ERR_CONNECT;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        px->last_gai = rc;
        px->last_errno = rc == EAI_SYSTEM ? errno : 0;
        return LLMRES_ERR_DNS;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        uint32_t spent = llmres_posix_now_ms(ctx) - start;
        int fd, one = 1, err = 0, flags;
        socklen_t len = sizeof(err);
        if (spent >= timeout_ms) { result = LLMRES_ERR_TIMEOUT; break; }
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) { px->last_errno = errno; continue; }
        flags = fcntl(fd, F_GETFL, 0);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
#ifdef SO_NOSIGPIPE
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) { px->last_errno = errno; close(fd); continue; }
            rc = llmres_posix_wait(px, fd, POLLOUT, timeout_ms - spent);
            if (rc == 0) { close(fd); result = LLMRES_ERR_TIMEOUT; px->last_errno = ETIMEDOUT; break; }
            if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
                px->last_errno = err ? err : errno;
                close(fd);
                continue; /* the next address (IPv4 after IPv6, say) */
            }
        }
        freeaddrinfo(res);
        return fd;
    }
    freeaddrinfo(res);
    /* no route from here: this device's network, not the provider, is down */
    if (result == LLMRES_ERR_CONNECT && (px->last_errno == ENETUNREACH || px->last_errno == ENETDOWN)) result = LLMRES_ERR_LINK_DOWN;
    return result;
}

LLMRES_POSIX_FN int llmres_posix_send(void *ctx, int conn, const void *buf, size_t len, uint32_t timeout_ms) {
    llmres_posix_t *px = (llmres_posix_t *)ctx;
    ssize_t n;
    int rc = llmres_posix_wait(px, conn, POLLOUT, timeout_ms);
    if (rc <= 0) return rc;
    n = send(conn, buf, len > 0x7FFFFFFF ? 0x7FFFFFFF : len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    px->last_errno = errno;
    return LLMRES_ERR_IO; /* EPIPE, ECONNRESET... */
}

LLMRES_POSIX_FN int llmres_posix_recv(void *ctx, int conn, void *buf, size_t len, uint32_t timeout_ms) {
    llmres_posix_t *px = (llmres_posix_t *)ctx;
    ssize_t n;
    int rc = llmres_posix_wait(px, conn, POLLIN, timeout_ms);
    if (rc <= 0) return rc;
    n = recv(conn, buf, len > 0x7FFFFFFF ? 0x7FFFFFFF : len, MSG_DONTWAIT);
    if (n > 0) return (int)n;
    if (n == 0) return LLMRES_ERR_CLOSED; /* orderly: the peer sent FIN */
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    px->last_errno = errno;
    return LLMRES_ERR_IO; /* ECONNRESET... */
}

LLMRES_POSIX_FN void llmres_posix_close(void *ctx, int conn) {
    (void)ctx;
    if (conn >= 0) close(conn);
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
    return LLMRES_OK;
}

#endif /* LLMRES_POSIX_H */
