/* lossy: a bad link in user space, for tests/lossy/run.sh. These kernels have no netem,
   so every packet of the test's veth is queued here (iptables NFQUEUE) and this program
   drops some, holds the others for a delay with jitter (which reorders them) and lets
   them go. It runs until killed.

       lossy QUEUE PHASES...     a phase is LOSS_PCT:DELAY_MS:JITTER_MS:SECONDS; the last
                                 one lasts until the end

   Packets waiting past a phase change keep the delay they were given. Counts go to
   stderr at the end (SIGTERM). */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_HELD 8192
#define MAX_PHASES 8

typedef struct { uint32_t loss_pct, delay_ms, jitter_ms, seconds; } phase_t;

static phase_t phases[MAX_PHASES];
static int nphases;
static uint32_t held_id[MAX_HELD], held_until[MAX_HELD];
static int nheld;
static uint32_t start_ms, rng = 0x2545F491u;
static unsigned long seen, dropped, delayed, overflow;
static volatile sig_atomic_t stop;

static uint32_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static uint32_t draw(uint32_t n) { /* xorshift: 0..n-1 */
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return n ? rng % n : 0;
}

static const phase_t *phase_now(void) {
    uint32_t t = (now_ms() - start_ms) / 1000u, at = 0;
    int i;
    for (i = 0; i < nphases - 1; i++) {
        at += phases[i].seconds;
        if (t < at) return &phases[i];
    }
    return &phases[nphases - 1];
}

/* A packet: dropped, or held until its time (verdict later, in main). */
static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    const phase_t *p = phase_now();
    uint32_t id;
    (void)msg; (void)data;
    if (!ph) return 0;
    id = ntohl(ph->packet_id);
    seen++;
    if (draw(100) < p->loss_pct) {
        dropped++;
        return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
    }
    if (!p->delay_ms && !p->jitter_ms) return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
    if (nheld == MAX_HELD) { overflow++; return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL); }
    held_id[nheld] = id;
    held_until[nheld++] = now_ms() + p->delay_ms + draw(p->jitter_ms + 1u);
    delayed++;
    return 0;
}

/* Lets every held packet whose time came go; the ms until the next one (or 50). */
static int release(struct nfq_q_handle *qh) {
    uint32_t t = now_ms();
    int i, next = 50;
    for (i = 0; i < nheld;) {
        int32_t wait = (int32_t)(held_until[i] - t);
        if (wait <= 0) {
            nfq_set_verdict(qh, held_id[i], NF_ACCEPT, 0, NULL);
            held_id[i] = held_id[nheld - 1];
            held_until[i] = held_until[--nheld];
            continue;
        }
        if (wait < next) next = (int)wait;
        i++;
    }
    return next;
}

static void on_term(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
    struct nfq_handle *h;
    struct nfq_q_handle *qh;
    static char buf[65536];
    int fd, i;
    if (argc < 3) { fprintf(stderr, "usage: lossy QUEUE LOSS:DELAY:JITTER:SECONDS...\n"); return 2; }
    for (i = 2; i < argc && nphases < MAX_PHASES; i++) {
        phase_t *p = &phases[nphases++];
        if (sscanf(argv[i], "%u:%u:%u:%u", &p->loss_pct, &p->delay_ms, &p->jitter_ms, &p->seconds) != 4) {
            fprintf(stderr, "lossy: bad phase %s\n", argv[i]);
            return 2;
        }
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    h = nfq_open();
    if (!h || nfq_bind_pf(h, AF_INET) < 0) { fprintf(stderr, "lossy: nfq_open: %s\n", strerror(errno)); return 1; }
    qh = nfq_create_queue(h, (uint16_t)atoi(argv[1]), on_packet, NULL);
    if (!qh || nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) { fprintf(stderr, "lossy: queue: %s\n", strerror(errno)); return 1; }
    nfq_set_queue_maxlen(qh, MAX_HELD);
    fd = nfq_fd(h);
    start_ms = now_ms();
    fprintf(stderr, "lossy: ready\n");
    while (!stop) {
        struct pollfd pfd;
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, release(qh)) > 0) {
            int n = (int)recv(fd, buf, sizeof(buf), 0);
            if (n > 0) nfq_handle_packet(h, buf, n);
        }
    }
    for (i = 0; i < nheld; i++) nfq_set_verdict(qh, held_id[i], NF_ACCEPT, 0, NULL);
    fprintf(stderr, "lossy: %lu packets, %lu dropped, %lu delayed, %lu passed unheld (queue full)\n", seen, dropped,
            delayed, overflow);
    nfq_destroy_queue(qh);
    nfq_close(h);
    return 0;
}
