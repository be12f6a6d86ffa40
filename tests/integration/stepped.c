/* A stepped call never blocks: a superloop steps two dispatchers from one thread, one
   whose provider never completes a connect (a listener whose accept queue is full drops
   every SYN) or whose name never resolves (a resolver that never answers), the other
   answered by a small HTTP server in a thread here. Every job must end by its deadline
   and no step may wait. Everything listens on 127.0.0.1.

   The resolver part needs a network and mount namespace of its own, where the test
   binds 127.0.0.1:53 and /etc/resolv.conf points there: tests/run.sh runs it under
   `unshare -n -m` with that file bind-mounted. Elsewhere it says SKIP. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_posix.h"
#include "../test.h"
#include <arpa/inet.h>
#include <stdio.h>

#define STEP_BOUND_MS 50 /* "a few ms of CPU": generous for a loaded CI machine */
#define DEADLINE_MS 2000
#define JOBS_OK 6
#define JOBS_STUCK 2

static llmres_posix_t posix;
static llmres_port_t port;

/* ---- the answering provider: one thread, poll over its connections -------------------- */

static const char answer_body[] =
    "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
    "\"assistant\",\"content\":\"pong\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3}}";
static char answer[512];
static int answer_len;

static int server_fd = -1;
static int server_stop;
static pthread_mutex_t server_lock = PTHREAD_MUTEX_INITIALIZER;

static int server_stopping(void) {
    int s;
    pthread_mutex_lock(&server_lock);
    s = server_stop;
    pthread_mutex_unlock(&server_lock);
    return s;
}
static pthread_t server_thread;

/* Answers every complete request (head and Content-Length body) on each connection. */
#define SERVER_CONNS 64
static struct pollfd sp[SERVER_CONNS + 1];
static char sbuf[SERVER_CONNS + 1][4096];
static size_t shave[SERVER_CONNS + 1];

static void server_drop(int *n, int i) {
    close(sp[i].fd);
    --*n;
    sp[i] = sp[*n];
    shave[i] = shave[*n];
    memcpy(sbuf[i], sbuf[*n], shave[i]);
}

/* Answers what sbuf[i] holds of complete requests. 0, or -1 when the peer is gone. */
static int server_answer(int i) {
    char *end;
    sbuf[i][shave[i]] = 0;
    while ((end = strstr(sbuf[i], "\r\n\r\n")) != NULL) {
        const char *cl = strstr(sbuf[i], "Content-Length: ");
        size_t len = cl ? (size_t)atoi(cl + 16) : 0, head = (size_t)(end + 4 - sbuf[i]);
        if (shave[i] < head + len) break;
        if (send(sp[i].fd, answer, (size_t)answer_len, MSG_NOSIGNAL) < 0) return -1;
        memmove(sbuf[i], sbuf[i] + head + len, shave[i] - head - len + 1);
        shave[i] -= head + len;
    }
    return 0;
}

static void *serve(void *arg) {
    int n = 1, i;
    (void)arg;
    sp[0].fd = server_fd;
    sp[0].events = POLLIN;
    while (!server_stopping()) {
        if (poll(sp, (nfds_t)n, 50) <= 0) continue;
        for (i = n - 1; i >= 1; i--) {
            ssize_t got;
            if (!(sp[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            got = recv(sp[i].fd, sbuf[i] + shave[i], sizeof(sbuf[i]) - 1 - shave[i], 0);
            if (got <= 0) { server_drop(&n, i); continue; }
            shave[i] += (size_t)got;
            if (server_answer(i) < 0 || shave[i] == sizeof(sbuf[i]) - 1) server_drop(&n, i);
        }
        while ((sp[0].revents & POLLIN) && n <= SERVER_CONNS) {
            int fd = accept4(server_fd, NULL, NULL, SOCK_NONBLOCK);
            if (fd < 0) break;
            sp[n].fd = fd;
            sp[n].events = POLLIN;
            sp[n].revents = 0;
            shave[n++] = 0;
        }
    }
    for (i = 1; i < n; i++) close(sp[i].fd);
    return NULL;
}

/* A listening socket on 127.0.0.1, its port in *port_out. */
static int listen_local(int backlog, uint16_t *port_out) {
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, backlog) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    *port_out = ntohs(a.sin_port);
    return fd;
}

/* ---- a provider that drops every SYN: a listener with a full accept queue ------------- */

static int stuck_fd = -1, fillers[4];
static uint16_t stuck_port;

/* Whether a connect to the stuck listener stays unanswered for 300 ms (the kernel drops
   SYNs while the accept queue is full). */
static int connect_hangs(void) {
    int fd = port.tcp.open(port.tcp.ctx, "127.0.0.1", stuck_port, 300);
    if (fd >= 0) port.tcp.close(port.tcp.ctx, fd);
    return fd == LLMRES_ERR_TIMEOUT;
}

static int make_stuck_provider(void) {
    int i;
    stuck_fd = listen_local(0, &stuck_port);
    if (stuck_fd < 0) return 0;
    for (i = 0; i < 4; i++) { /* fill the accept queue; never accepted */
        struct sockaddr_in a;
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(stuck_port);
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(fillers[i], (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) return 0;
    }
    port.sleep_ms(port.ctx, 50);
    return connect_hangs();
}

/* ---- the superloop ---------------------------------------------------------------------- */

typedef struct side {
    llmres_client_t client;
    llmres_worker_t worker[2];
    llmres_dispatch_t disp;
    llmres_job_t job[JOBS_OK];
    char text[JOBS_OK][64];
    uint32_t submitted_at, ended_at[JOBS_OK];
    int ended[JOBS_OK];
} side_t;

static side_t ok_side, stuck_side;

static void on_done(llmres_job_t *j, void *user) {
    side_t *s = (side_t *)user;
    int i = (int)(j - s->job);
    s->ended[i]++;
    s->ended_at[i] = port.now_ms(port.ctx);
}

static void side_init(side_t *s, const llmres_provider_t *p, int jobs) {
    llmres_config_t cfg;
    llmres_worker_t *w[2];
    int i;
    memset(s, 0, sizeof(*s));
    llmres_config_defaults(&cfg);
    llmres_config_set(&cfg, "LLM_JITTER_SEED", "7", NULL, 0);
    llmres_config_set(&cfg, "LLM_REQUESTS_PER_SECOND", "100", NULL, 0);
    CHECK_EQ(llmres_client_init(&s->client, &port, NULL, &cfg, p, 1), LLMRES_OK);
    for (i = 0; i < 2; i++) {
        CHECK_EQ(llmres_worker_init(&s->worker[i], &s->client, NULL), LLMRES_OK);
        w[i] = &s->worker[i];
    }
    CHECK_EQ(llmres_dispatch_init(&s->disp, &s->client, w, 2), LLMRES_OK);
    s->submitted_at = port.now_ms(port.ctx);
    for (i = 0; i < jobs; i++) {
        llmres_call_init(&s->job[i].call, "ping", s->text[i], sizeof(s->text[i]));
        s->job[i].call.timeout_ms = DEADLINE_MS;
        s->job[i].on_done = on_done;
        s->job[i].user = s;
        CHECK_EQ(llmres_dispatch_submit(&s->disp, &s->job[i]), LLMRES_OK);
    }
}

static void side_close(side_t *s) {
    llmres_dispatch_shutdown(&s->disp);
    llmres_worker_close(&s->worker[0]);
    llmres_worker_close(&s->worker[1]);
}

/* Steps both dispatchers until both are idle (bounded: 3 deadlines); returns the longest
   single step in ms. */
static uint32_t superloop(void) {
    uint32_t start = port.now_ms(port.ctx), longest = 0;
    int busy = 1;
    while (busy && port.now_ms(port.ctx) - start < 3 * DEADLINE_MS) {
        uint32_t wa, wb, t0, took;
        t0 = port.now_ms(port.ctx);
        busy = llmres_dispatch_step(&stuck_side.disp, &wa) > 0;
        took = port.now_ms(port.ctx) - t0;
        if (took > longest) longest = took;
        t0 = port.now_ms(port.ctx);
        busy |= llmres_dispatch_step(&ok_side.disp, &wb) > 0;
        took = port.now_ms(port.ctx) - t0;
        if (took > longest) longest = took;
        if (wb < wa) wa = wb;
        port.sleep_ms(port.ctx, wa < 5 ? wa : 5);
    }
    return longest;
}

/* The answered jobs end at once with the answer; the others by their deadline. */
static void check_sides(int stuck_jobs, int expect_error) {
    int i;
    for (i = 0; i < JOBS_OK; i++) {
        CHECK_EQ(ok_side.ended[i], 1);
        CHECK_EQ(ok_side.job[i].result.error, LLMRES_OK);
        CHECK(strcmp(ok_side.text[i], "pong") == 0);
        CHECK(ok_side.ended_at[i] - ok_side.submitted_at < 1000);
    }
    for (i = 0; i < stuck_jobs; i++) {
        uint32_t took = stuck_side.ended_at[i] - stuck_side.submitted_at;
        CHECK_EQ(stuck_side.ended[i], 1);
        CHECK_EQ(stuck_side.job[i].result.error, expect_error);
        CHECK(took >= DEADLINE_MS - 50 && took <= DEADLINE_MS + 100);
        if (i == 0) printf("    a stuck job ended after %u ms (deadline %u)\n", (unsigned)took, DEADLINE_MS);
    }
}

static llmres_provider_t ok_provider = {LLMRES_PROVIDER_OPENAI, "127.0.0.1", 0, 0, NULL, "sk-test", "m", NULL};

/* Jobs to `stuck` and to the answering provider, side by side in one superloop. */
static void stuck_beside_answered(const llmres_provider_t *stuck, int expect_error) {
    uint32_t longest;
    side_init(&stuck_side, stuck, JOBS_STUCK);
    side_init(&ok_side, &ok_provider, JOBS_OK);
    longest = superloop();
    printf("    longest step: %u ms\n", (unsigned)longest);
    CHECK(longest <= STEP_BOUND_MS);
    check_sides(JOBS_STUCK, expect_error);
    side_close(&stuck_side);
    side_close(&ok_side);
}

static void a_stuck_connect_holds_up_nothing(void) {
    llmres_provider_t stuck = ok_provider;
    stuck.port = stuck_port;
    stuck_beside_answered(&stuck, LLMRES_ERR_TIMEOUT); /* the provider's: it drops packets */
}

/* ---- a resolver that never answers -------------------------------------------------------- */

static int dns_fd = -1;

/* A UDP socket on 127.0.0.1:53 that reads nothing and answers nothing, in a namespace
   whose /etc/resolv.conf names it. 0 when this is not such a namespace. */
static int silent_resolver(void) {
    struct sockaddr_in a;
    char line[256];
    int ours = 0;
    FILE *f = fopen("/etc/resolv.conf", "r");
    if (!f) return 0;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "nameserver", 10)) ours = strstr(line, "127.0.0.1") != NULL && ours >= 0 ? 1 : -1;
    }
    fclose(f);
    if (ours != 1) return 0;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(53);
    dns_fd = socket(AF_INET, SOCK_DGRAM, 0);
    return dns_fd >= 0 && bind(dns_fd, (struct sockaddr *)&a, sizeof(a)) == 0;
}

static llmres_provider_t named = {LLMRES_PROVIDER_OPENAI, "provider.example", 80, 0, NULL, "sk-test", "m", NULL};

/* glibc's resolver alone would wait 5 s per try, twice. */
static void a_silent_resolver_costs_only_the_deadline(void) {
    static llmres_client_t client;
    static llmres_worker_t worker;
    llmres_config_t cfg;
    llmres_call_t call;
    llmres_result_t res;
    char text[32];
    uint32_t t0, took;
    int rc;
    llmres_config_defaults(&cfg);
    CHECK_EQ(llmres_client_init(&client, &port, NULL, &cfg, &named, 1), LLMRES_OK);
    CHECK_EQ(llmres_worker_init(&worker, &client, NULL), LLMRES_OK);
    llmres_call_init(&call, "ping", text, sizeof(text));
    call.timeout_ms = DEADLINE_MS;
    t0 = port.now_ms(port.ctx);
    rc = llmres_call(&client, &worker, &call, &res);
    took = port.now_ms(port.ctx) - t0;
    printf("    a blocking call ended after %u ms: %s\n", (unsigned)took, llmres_strerror(rc));
    CHECK_EQ(rc, LLMRES_ERR_DNS); /* this device's resolver: held against no provider */
    CHECK(took >= DEADLINE_MS - 50 && took <= DEADLINE_MS + 100);
    CHECK_EQ(res.attempts, 0);
    CHECK_EQ(client.breaker[0].failures, 0);
    CHECK_EQ(client.overload[0].answers, 0);
    llmres_worker_close(&worker);
}

static void a_stuck_name_holds_up_nothing(void) { stuck_beside_answered(&named, LLMRES_ERR_DNS); }

#ifdef LLMRES__POSIX_GAI_A
/* Connections closed while their names resolve leave their slots at once: the queries
   glibc still owes answers hold resolver slots, not connections, so an address literal
   (another provider) still connects. */
static void names_given_up_hold_no_connection(void) {
    int i, id, given_up = 0;
    for (i = 0; i <= LLMRES_POSIX_MAX_RESOLVING; i++) { /* until every query is owed (the tests above hold some) */
        id = port.tcp.open(port.tcp.ctx, "provider.example", 80, 0);
        if (id == LLMRES_ERR_NO_SLOT) break;
        CHECK(id >= 0);
        CHECK_EQ(port.tcp.resolving(port.tcp.ctx, id), 1);
        port.tcp.close(port.tcp.ctx, id);
        given_up++;
    }
    CHECK(given_up >= LLMRES_POSIX_MAX_CONNECTIONS / 2);
    CHECK_EQ(port.tcp.open(port.tcp.ctx, "another.example", 80, 0), LLMRES_ERR_NO_SLOT); /* every query owed */
    id = port.tcp.open(port.tcp.ctx, "127.0.0.1", ok_provider.port, 1000);
    CHECK(id >= 0);
    if (id >= 0) CHECK_EQ(port.tcp.resolving(port.tcp.ctx, id), 0);
    port.tcp.close(port.tcp.ctx, id);
}
#endif

/* Every slot comes back at close, and an id once closed reaches nothing: a second
   close, or a send on it, cannot touch the connection that took its slot since. */
static void closed_ids_reach_nothing(void) {
    int i, id, next;
    char c = 'x';
    uint16_t to;
    int fd = listen_local(128, &to); /* holds every connection below, never accepted */
    CHECK(fd >= 0);
    if (fd < 0) return;
    for (i = 0; i < 3 * LLMRES_POSIX_MAX_CONNECTIONS; i++) {
        id = port.tcp.open(port.tcp.ctx, "127.0.0.1", to, 1000);
        CHECK(id >= 0);
        if (id < 0) { printf("    open: %s\n", llmres_strerror(id)); return; }
        port.tcp.close(port.tcp.ctx, id);
        next = port.tcp.open(port.tcp.ctx, "127.0.0.1", to, 1000);
        CHECK(next >= 0 && next != id);
        if (next < 0) printf("    open: %s\n", llmres_strerror(next));
        port.tcp.close(port.tcp.ctx, id); /* the old id: nothing happens to `next` */
        CHECK_EQ(port.tcp.send(port.tcp.ctx, id, &c, 1, 0), LLMRES_ERR_INVALID);
        CHECK_EQ(port.tcp.send(port.tcp.ctx, next, "", 0, 100), 0);
        port.tcp.close(port.tcp.ctx, next);
    }
    close(fd);
}

int main(int argc, char **argv) {
    int dns;
    T_INIT(argc, argv);
    CHECK_EQ(llmres_posix_init(&port, &posix), LLMRES_OK);
    answer_len = snprintf(answer, sizeof(answer), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: %u\r\n\r\n%s", (unsigned)strlen(answer_body), answer_body);
    server_fd = listen_local(64, &ok_provider.port);
    if (server_fd >= 0) fcntl(server_fd, F_SETFL, O_NONBLOCK);
    if (server_fd < 0 || pthread_create(&server_thread, NULL, serve, NULL) != 0) {
        printf("FAIL stepped: no server on 127.0.0.1\n");
        return 1;
    }
    if (make_stuck_provider()) RUN(a_stuck_connect_holds_up_nothing);
    else printf("FAIL a_stuck_connect_holds_up_nothing: a full accept queue did not hold a connect\n");
    dns = silent_resolver();
#ifndef LLMRES__POSIX_GAI_A
    if (dns) printf("SKIP the resolver tests: this build resolves inside open (no getaddrinfo_a: not glibc, or ThreadSanitizer)\n");
    dns = 0;
#endif
    if (dns) {
        RUN(a_silent_resolver_costs_only_the_deadline);
        RUN(a_stuck_name_holds_up_nothing);
#ifdef LLMRES__POSIX_GAI_A
        RUN(names_given_up_hold_no_connection);
#endif
    } else {
        printf("SKIP the resolver tests: not in a namespace whose resolver is 127.0.0.1:53 (run by make test as root)\n");
    }
    RUN(closed_ids_reach_nothing);
    pthread_mutex_lock(&server_lock);
    server_stop = 1;
    pthread_mutex_unlock(&server_lock);
    pthread_join(server_thread, NULL);
    close(server_fd);
    return T_DONE();
}
