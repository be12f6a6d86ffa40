/* peer_posix.h - a conformance peer (llmres_conformance.h) on POSIX sockets, for any
   runner whose port can reach this host: a listener per check in a thread of the
   runner, on IPv4 address peer_addr (127.0.0.1; a TAP's host side for a stack in a
   namespace). The dropped address is $LLMRES_CONFORMANCE_DROPPED, used only inside a
   network namespace made for the test (see isolated()).
   Fill a peer with posix_peer_init; stop_peer after the run. */
#ifndef PEER_POSIX_H
#define PEER_POSIX_H
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct peer {
    int fd, behaviour, running, stop, ended;
    uint32_t n, count, hash;
    int held[80], nheld; /* STALL and FILL connections, kept open until the next check */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} peer_t;

static const char *peer_addr = "127.0.0.1";
static peer_t peer = {-1, 0, 0, 0, 0, 0, 0, 0, {0}, 0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static int stopping(void) {
    int s;
    pthread_mutex_lock(&peer.mu);
    s = peer.stop;
    pthread_mutex_unlock(&peer.mu);
    return s;
}

/* Waits up to 50 ms for fd to be readable: 1, 0, or -1 when the peer is told to stop. */
static int readable(int fd) {
    struct pollfd p;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (stopping()) return -1;
    return poll(&p, 1, 50) > 0;
}

static void send_close(int fd) {
    static unsigned char buf[LLMRES__CF_CHUNK];
    uint32_t sent = 0, i;
    for (i = 0; i < sizeof(buf); i++) buf[i] = llmres_conformance_byte(i);
    while (sent < peer.n) {
        uint32_t at = sent % LLMRES__CF_CHUNK, len = LLMRES__CF_CHUNK - at < peer.n - sent ? LLMRES__CF_CHUNK - at : peer.n - sent;
        ssize_t k = send(fd, buf + at, len, MSG_NOSIGNAL);
        if (k <= 0) break;
        sent += (uint32_t)k;
    }
    close(fd); /* FIN after the data */
}

static void sink(int fd) { /* reads slowly: small reads, short pauses */
    unsigned char buf[2048];
    uint32_t count = 0, hash = 2166136261u;
    int r;
    struct timespec pause = {0, 200000};
    while ((r = readable(fd)) >= 0) {
        ssize_t k;
        if (!r) continue;
        k = recv(fd, buf, sizeof(buf), 0);
        if (k <= 0) break;
        count += (uint32_t)k;
        hash = llmres_conformance_hash(hash, buf, (size_t)k);
        nanosleep(&pause, NULL);
    }
    close(fd);
    pthread_mutex_lock(&peer.mu);
    peer.count = count;
    peer.hash = hash;
    peer.ended = 1;
    pthread_cond_signal(&peer.cv);
    pthread_mutex_unlock(&peer.mu);
}

static void *serve(void *arg) {
    int r;
    (void)arg;
    while ((r = readable(peer.fd)) >= 0) {
        int fd;
        struct linger rst = {1, 0};
        if (!r || (fd = accept(peer.fd, NULL, NULL)) < 0) continue;
        switch (peer.behaviour) {
        case LLMRES_CONFORMANCE_SEND_CLOSE: send_close(fd); break;
        case LLMRES_CONFORMANCE_SINK: sink(fd); break;
        case LLMRES_CONFORMANCE_RESET: /* once the client has seen its connect complete */
            readable(fd);
            readable(fd);
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
            close(fd);
            break;
        default: /* STALL, FILL */
            if (peer.nheld < 80) peer.held[peer.nheld++] = fd;
            else close(fd);
        }
    }
    return NULL;
}

static void stop_peer(void) {
    if (!peer.running) return;
    pthread_mutex_lock(&peer.mu);
    peer.stop = 1;
    pthread_mutex_unlock(&peer.mu);
    pthread_join(peer.thread, NULL);
    while (peer.nheld) close(peer.held[--peer.nheld]);
    close(peer.fd);
    peer.running = peer.stop = peer.ended = 0;
}

/* In a network namespace other than $LLMRES_CONFORMANCE_OUTSIDE_NETNS, the one the
   caller started in (readlink /proc/self/ns/net, taken before unshare -n): the dropped
   address stays in the namespace made for the test. */
static int isolated(void) {
    char self[64];
    const char *outside = getenv("LLMRES_CONFORMANCE_OUTSIDE_NETNS");
    ssize_t a = readlink("/proc/self/ns/net", self, sizeof(self) - 1);
    if (a <= 0 || !outside || !*outside) return 0;
    self[a] = 0;
    return strcmp(self, outside) != 0;
}

static int bound_socket(uint16_t *at) {
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    if (inet_pton(AF_INET, peer_addr, &a.sin_addr) != 1) { close(fd); return -1; }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    *at = ntohs(a.sin_port);
    return fd;
}

static int prepare(void *ctx, int behaviour, uint32_t n, const char **host, uint16_t *at) {
    static char dropped[64];
    const char *env = getenv("LLMRES_CONFORMANCE_DROPPED");
    int rcvbuf = behaviour == LLMRES_CONFORMANCE_FILL ? 4096 : 8192;
    (void)ctx;
    stop_peer();
    *host = peer_addr;
    if (behaviour == LLMRES_CONFORMANCE_DROPPED) {
        if (!env || !*env || !isolated()) return -1;
        snprintf(dropped, sizeof(dropped), "%s", env);
        *host = dropped;
        *at = 9;
        return 0;
    }
    if ((peer.fd = bound_socket(at)) < 0) return -1;
    if (behaviour == LLMRES_CONFORMANCE_REFUSED) { close(peer.fd); return 0; } /* nobody listens there now */
    setsockopt(peer.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)); /* small: sends fill it */
    if (listen(peer.fd, 80) != 0) { close(peer.fd); return -1; }
    peer.behaviour = behaviour;
    peer.n = n;
    if (pthread_create(&peer.thread, NULL, serve, NULL) != 0) { close(peer.fd); return -1; }
    peer.running = 1;
    return 0;
}

static int received(void *ctx, uint32_t wait_ms, uint32_t *count, uint32_t *hash) {
    struct timespec until;
    int rc = 0;
    (void)ctx;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(wait_ms / 1000u) + 1;
    pthread_mutex_lock(&peer.mu);
    while (!peer.ended && rc == 0) rc = pthread_cond_timedwait(&peer.cv, &peer.mu, &until);
    *count = peer.count;
    *hash = peer.hash;
    rc = peer.ended ? 0 : -1;
    peer.ended = 0;
    pthread_mutex_unlock(&peer.mu);
    return rc;
}

/* Fills *p with this peer, listening on addr (IPv4). */
static void posix_peer_init(llmres_conformance_peer_t *p, const char *addr) {
    memset(p, 0, sizeof(*p));
    peer_addr = addr;
    p->prepare = prepare;
    p->received = received;
}
#endif
