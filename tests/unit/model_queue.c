/* Model-based test of the llmres bounded priority queue.

   Random operations (push, pop, expire, cancel, drain, count, plus invalid pushes) are
   applied both to a real llmres_queue_t and to a naive reference model: an array of
   items kept in push order (each with a global sequence number), every choice made by a
   linear scan. After every step the return code, the item handed back (user, deadline,
   priority, has_deadline, status), the count and all the counters must be equal.

   Independently of the model, every pushed item carries a unique user pointer
   (&g_tok[id]) and the test counts how often each id comes back to its owner: from pop,
   from push (handed back to make room), expire, cancel, drain, or a refusal at push
   (FULL / TIMEOUT / INVALID: "never accepted"). At the end the queue is drained and
   every id must have come back exactly once.

   Time starts at 2^32 - 100000 so the 32-bit wrap of `now` is crossed in every pass. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../test.h"

#include <stdarg.h>
#include <string.h>

#define OPS_PER_PASS 250000u
#define MAX_IDS (OPS_PER_PASS + 16u)
#define START_NOW ((uint32_t)(0xFFFFFFFFu - 100000u + 1u)) /* 2^32 - 100000 */

/* ---- deterministic PRNG (xorshift64*) ------------------------------------------------ */
static uint64_t g_rng;
static uint64_t rnd64(void) {
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545F4914F6CDD1DULL;
}
static uint32_t rnd(uint32_t n) { return (uint32_t)((rnd64() >> 16) % n); }

/* ---- owners: one token per pushed item ----------------------------------------------- */
static unsigned char g_tok[MAX_IDS];
static unsigned char g_foreign; /* a user pointer never pushed */
static unsigned char g_came_back[MAX_IDS]; /* times the id came back (incl. refusal at push) */
static unsigned char g_accepted[MAX_IDS];
static uint32_t g_next_id;

static void *tok(uint32_t id) { return &g_tok[id]; }

/* ---- reference model ----------------------------------------------------------------- */
typedef struct {
    uint32_t id, seq, deadline;
    uint8_t prio, has_dl;
} mitem_t;

typedef struct {
    mitem_t it[LLMRES_MAX_QUEUE]; /* in push order: it[0] is the oldest */
    uint32_t n, cap, seq;
    uint32_t pushed, popped, expired, displaced, rejected, peak;
    uint32_t cancelled; /* not a queue counter; used for the conservation check */
    uint32_t push_timeouts;
} model_t;

static model_t M;

/* Expired iff (int32_t)(now - deadline) >= 0, written without the signed conversion. */
static int m_expired_at(uint32_t has_dl, uint32_t deadline, uint32_t now) {
    return has_dl && (uint32_t)(now - deadline) < 0x80000000u;
}

static mitem_t m_remove(uint32_t i) {
    mitem_t r = M.it[i];
    memmove(&M.it[i], &M.it[i + 1], (M.n - i - 1) * sizeof(M.it[0]));
    M.n--;
    return r;
}

/* Most urgent level, oldest within it; -1 when empty. */
static int m_find_head(void) {
    int best = -1;
    uint32_t i;
    for (i = 0; i < M.n; i++)
        if (best < 0 || M.it[i].prio > M.it[best].prio) best = (int)i;
    return best;
}

/* Oldest expired item of the lowest level holding an expired item; -1 when none. */
static int m_find_expired(uint32_t now) {
    int best = -1;
    uint32_t i;
    for (i = 0; i < M.n; i++)
        if (m_expired_at(M.it[i].has_dl, M.it[i].deadline, now) &&
            (best < 0 || M.it[i].prio < M.it[best].prio))
            best = (int)i;
    return best;
}

/* Newest item of the lowest queued level; -1 when empty. */
static int m_find_newest_lowest(void) {
    int best = -1;
    uint32_t i;
    for (i = 0; i < M.n; i++)
        if (best < 0 || M.it[i].prio <= M.it[best].prio) best = (int)i;
    return best;
}

/* First item with this user, from the most urgent level down, FIFO in a level. */
static int m_find_user(const void *user) {
    int lv;
    uint32_t i;
    for (lv = LLMRES_QUEUE_LEVELS - 1; lv >= 0; lv--)
        for (i = 0; i < M.n; i++)
            if (M.it[i].prio == (uint32_t)lv && tok(M.it[i].id) == user) return (int)i;
    return -1;
}

/* ---- failure reporting: the first mismatch of a pass prints context, then stops ------ */
static const char *g_pass;
static unsigned long g_step;
static uint32_t g_now;
static int g_bad;

static void dump_model(void) {
    uint32_t i;
    printf("    model (%u of %u, oldest first):", (unsigned)M.n, (unsigned)M.cap);
    for (i = 0; i < M.n; i++)
        printf(" [id %u seq %u p%u %s%lu]", (unsigned)M.it[i].id, (unsigned)M.it[i].seq,
               (unsigned)M.it[i].prio, M.it[i].has_dl ? "dl " : "no-dl ",
               M.it[i].has_dl ? (unsigned long)M.it[i].deadline : 0ul);
    printf("\n");
}

static int mfail(const char *fmt, ...) {
    va_list ap;
    if (g_bad) return 0;
    g_bad = 1;
    t__fails++;
    printf("  %s: step %lu now=%lu: ", g_pass, g_step, (unsigned long)g_now);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    dump_model();
    return 0;
}

/* id of a user pointer coming back from the queue, or -1 if it is none of ours. */
static long id_of(const void *user) {
    uintptr_t u = (uintptr_t)user, b = (uintptr_t)g_tok;
    if (u < b || u >= b + g_next_id) return -1;
    return (long)(u - b);
}

/* An item came back to its owner: must be ours, accepted, and back for the first time. */
static int came_back(const llmres_qitem_t *out) {
    long id = id_of(out->user);
    if (id < 0) return mfail("handed back an unknown user pointer %p", out->user);
    if (!g_accepted[id]) return mfail("id %ld handed back but it was never accepted", id);
    if (++g_came_back[id] != 1) return mfail("id %ld came back %u times", id, (unsigned)g_came_back[id]);
    return 1;
}

static int check_item(const char *op, const llmres_qitem_t *got, const mitem_t *want, int status) {
    if (got->user != tok(want->id) || got->priority != want->prio || got->has_deadline != want->has_dl ||
        got->deadline != want->deadline || got->status != status)
        return mfail("%s handed back {user id %ld p%u has_dl %u dl %lu status %d}, "
                     "model {id %u p%u has_dl %u dl %lu status %d}",
                     op, id_of(got->user), (unsigned)got->priority, (unsigned)got->has_deadline,
                     (unsigned long)got->deadline, (int)got->status, (unsigned)want->id,
                     (unsigned)want->prio, (unsigned)want->has_dl, (unsigned long)want->deadline, status);
    return came_back(got);
}

static int check_rc(const char *op, int got, int want) {
    if (got != want) return mfail("%s returned %d (%s), model %d (%s)", op, got, llmres_strerror(got),
                                  want, llmres_strerror(want));
    return 1;
}

#define CMP_FIELD(f) if (q->f != M.f) return mfail("counter " #f " is %lu, model %lu", \
    (unsigned long)q->f, (unsigned long)M.f)
static int check_state(const llmres_queue_t *q) {
    if (llmres_queue_count(q) != M.n)
        return mfail("count is %lu, model %lu", (unsigned long)llmres_queue_count(q), (unsigned long)M.n);
    if (q->count != M.n) return mfail("q->count is %lu, model %lu", (unsigned long)q->count, (unsigned long)M.n);
    CMP_FIELD(pushed);
    CMP_FIELD(popped);
    CMP_FIELD(expired);
    CMP_FIELD(displaced);
    CMP_FIELD(rejected);
    CMP_FIELD(peak);
    return 1;
}
#undef CMP_FIELD

/* ---- outcome statistics (to prove the interesting paths are exercised) --------------- */
enum {
    S_PUSH_OK, S_PUSH_EVICT_EXPIRED, S_PUSH_DISPLACE, S_PUSH_FULL, S_PUSH_TIMEOUT, S_PUSH_INVALID,
    S_POP_OK, S_POP_TIMEOUT, S_POP_EMPTY, S_EXPIRE_1, S_EXPIRE_0, S_CANCEL_OK, S_CANCEL_NF,
    S_DRAIN_OK, S_DRAIN_EMPTY, S_N
};
static unsigned long g_stat[S_N];

/* ---- operations: each applies to model and queue and compares ------------------------ */
static uint32_t g_bias; /* 0: fill, 1: balanced, 2: empty out */

static int op_push(llmres_queue_t *q, uint32_t now) {
    static const uint32_t edge[] = {0u, 0xFFFFFFFFu, 1u, 0x7FFFFFFFu, 0x80000000u, 0x80000001u};
    llmres_qitem_t it, hb;
    mitem_t mi, gone;
    uint32_t id = g_next_id++, k;
    int want, got, idx, hb_status = 0;

    memset(&it, 0, sizeof it);
    it.user = tok(id);
    it.priority = (uint8_t)(rnd(100) < 2 ? LLMRES_QUEUE_LEVELS + rnd(256 - LLMRES_QUEUE_LEVELS)
                                         : rnd(LLMRES_QUEUE_LEVELS));
    k = rnd(100);
    if (k < 30) { it.has_deadline = 0; it.deadline = (uint32_t)rnd64(); }      /* none */
    else if (k < 70) { it.has_deadline = 1; it.deadline = now + rnd(400) - 60u; } /* near; some past */
    else if (k < 96) { it.has_deadline = 1; it.deadline = now + 1000u + rnd(200000); } /* far */
    else { it.has_deadline = 1; it.deadline = now + edge[rnd(6)]; }              /* edges */
    it.status = (int16_t)(rnd(65536) - 32768); /* garbage: the queue must set its own */

    mi.id = id; mi.seq = M.seq++; mi.deadline = it.deadline;
    mi.prio = it.priority; mi.has_dl = it.has_deadline;

    /* model */
    idx = -1;
    if (mi.prio >= LLMRES_QUEUE_LEVELS) want = LLMRES_ERR_INVALID;
    else if (m_expired_at(mi.has_dl, mi.deadline, now)) { want = LLMRES_ERR_TIMEOUT; M.expired++; M.push_timeouts++; }
    else {
        want = 0;
        if (M.n >= M.cap) {
            idx = m_find_expired(now);
            if (idx >= 0) { hb_status = LLMRES_ERR_TIMEOUT; M.expired++; want = 1; }
            else {
                idx = m_find_newest_lowest();
                if (mi.prio <= M.it[idx].prio) { want = LLMRES_ERR_FULL; M.rejected++; idx = -1; }
                else { hb_status = LLMRES_ERR_DISPLACED; M.displaced++; want = 1; }
            }
        }
        if (want >= 0) {
            if (idx >= 0) gone = m_remove((uint32_t)idx);
            M.it[M.n++] = mi;
            M.pushed++;
            if (M.n > M.peak) M.peak = M.n;
        }
    }

    /* queue */
    memset(&hb, 0xA5, sizeof hb);
    got = llmres_queue_push(q, now, &it, &hb);
    if (want >= 0) g_accepted[id] = 1;
    else if (++g_came_back[id] != 1) return mfail("refused id %lu already came back", (unsigned long)id);
    if (!check_rc("push", got, want)) return 0;
    switch (want) {
    case 0: g_stat[S_PUSH_OK]++; break;
    case 1:
        g_stat[hb_status == LLMRES_ERR_TIMEOUT ? S_PUSH_EVICT_EXPIRED : S_PUSH_DISPLACE]++;
        if (!check_item("push (handed back)", &hb, &gone, hb_status)) return 0;
        break;
    case LLMRES_ERR_FULL: g_stat[S_PUSH_FULL]++; break;
    case LLMRES_ERR_TIMEOUT: g_stat[S_PUSH_TIMEOUT]++; break;
    default: g_stat[S_PUSH_INVALID]++; break;
    }
    return 1;
}

static int op_pop(llmres_queue_t *q, uint32_t now) {
    llmres_qitem_t out;
    mitem_t mi;
    int want, got, idx = m_find_head();
    if (idx < 0) want = LLMRES_ERR_EMPTY;
    else {
        mi = m_remove((uint32_t)idx);
        if (m_expired_at(mi.has_dl, mi.deadline, now)) { want = LLMRES_ERR_TIMEOUT; M.expired++; }
        else { want = LLMRES_OK; M.popped++; }
    }
    memset(&out, 0x5A, sizeof out);
    got = llmres_queue_pop(q, now, &out);
    if (!check_rc("pop", got, want)) return 0;
    if (want == LLMRES_ERR_EMPTY) { g_stat[S_POP_EMPTY]++; return 1; }
    g_stat[want == LLMRES_OK ? S_POP_OK : S_POP_TIMEOUT]++;
    return check_item("pop", &out, &mi, want);
}

static int op_expire(llmres_queue_t *q, uint32_t now) {
    llmres_qitem_t out;
    mitem_t mi;
    int want, got, idx = m_find_expired(now);
    want = idx >= 0;
    if (want) { mi = m_remove((uint32_t)idx); M.expired++; }
    memset(&out, 0x5A, sizeof out);
    got = llmres_queue_expire(q, now, &out);
    if (!check_rc("expire", got, want)) return 0;
    if (!want) { g_stat[S_EXPIRE_0]++; return 1; }
    g_stat[S_EXPIRE_1]++;
    return check_item("expire", &out, &mi, LLMRES_ERR_TIMEOUT);
}

static int op_cancel(llmres_queue_t *q) {
    llmres_qitem_t out;
    mitem_t mi;
    const void *user;
    uint32_t k = rnd(100);
    int want, got, idx;
    if (k < 60 && M.n) user = tok(M.it[rnd(M.n)].id);              /* a queued item */
    else if (k < 85 && g_next_id) user = tok(rnd(g_next_id));       /* any id, often gone */
    else if (k < 95) user = &g_foreign;                             /* never pushed */
    else user = NULL;                                               /* INVALID */
    idx = user ? m_find_user(user) : -1;
    want = !user ? LLMRES_ERR_INVALID : idx >= 0 ? LLMRES_OK : LLMRES_ERR_NOT_FOUND;
    if (idx >= 0) { mi = m_remove((uint32_t)idx); M.cancelled++; }
    memset(&out, 0x5A, sizeof out);
    got = llmres_queue_cancel(q, user, &out);
    if (!check_rc("cancel", got, want)) return 0;
    if (idx < 0) { g_stat[S_CANCEL_NF]++; return 1; }
    g_stat[S_CANCEL_OK]++;
    return check_item("cancel", &out, &mi, LLMRES_ERR_CANCELLED);
}

static int op_drain(llmres_queue_t *q) {
    llmres_qitem_t out;
    mitem_t mi;
    int want, got, idx = m_find_head();
    want = idx >= 0 ? LLMRES_OK : LLMRES_ERR_EMPTY;
    if (idx >= 0) { mi = m_remove((uint32_t)idx); M.cancelled++; }
    memset(&out, 0x5A, sizeof out);
    got = llmres_queue_drain(q, &out);
    if (!check_rc("drain", got, want)) return 0;
    if (idx < 0) { g_stat[S_DRAIN_EMPTY]++; return 1; }
    g_stat[S_DRAIN_OK]++;
    return check_item("drain", &out, &mi, LLMRES_ERR_CANCELLED);
}

/* One random step: maybe advance time, then one operation. */
static int random_step(llmres_queue_t *q) {
    uint32_t k = rnd(1000), r;
    /* time: mostly small steps (many same-ms steps), sometimes a jump that expires a lot */
    if (k < 300) {}
    else if (k < 990) g_now += 1u + rnd(12);
    else g_now += 200u + rnd(3000);

    if (g_step % 512 == 0) g_bias = rnd(3);
    r = rnd(100);
    switch (g_bias) {
    case 0: /* fill: the queue sits at capacity, FULL / displacement / eviction */
        if (r < 70) return op_push(q, g_now);
        if (r < 82) return op_pop(q, g_now);
        if (r < 90) return op_expire(q, g_now);
        if (r < 97) return op_cancel(q);
        return op_drain(q);
    case 1: /* balanced */
        if (r < 50) return op_push(q, g_now);
        if (r < 75) return op_pop(q, g_now);
        if (r < 85) return op_expire(q, g_now);
        if (r < 95) return op_cancel(q);
        return op_drain(q);
    default: /* empty out: EMPTY paths */
        if (r < 30) return op_push(q, g_now);
        if (r < 70) return op_pop(q, g_now);
        if (r < 80) return op_expire(q, g_now);
        if (r < 90) return op_cancel(q);
        return op_drain(q);
    }
}

static void run_pass(const char *name, uint64_t seed, uint32_t capacity, unsigned long min_seen) {
    static llmres_queue_t q;
    llmres_qitem_t out;
    uint32_t i, lost = 0, twice = 0, first_bad = 0;
    unsigned long total_pushes;
    int rc;

    g_pass = name;
    g_rng = seed;
    g_now = START_NOW;
    g_step = 0;
    g_bad = 0;
    g_next_id = 0;
    memset(&M, 0, sizeof M);
    memset(g_came_back, 0, sizeof g_came_back);
    memset(g_accepted, 0, sizeof g_accepted);
    memset(g_stat, 0, sizeof g_stat);
    M.cap = capacity ? capacity : LLMRES_MAX_QUEUE;

    memset(&q, 0xCC, sizeof q); /* init must not rely on zeroed memory */
    rc = llmres_queue_init(&q, capacity);
    CHECK_EQ(rc, LLMRES_OK);
    if (rc != LLMRES_OK) return;
    CHECK_EQ(q.capacity, M.cap);
    if (!check_state(&q)) return;

    for (g_step = 1; g_step <= OPS_PER_PASS; g_step++) {
        if (!random_step(&q) || !check_state(&q)) return;
    }

    /* the wrap of `now` was crossed */
    CHECK((uint32_t)(g_now - START_NOW) > 100000u);
    CHECK(g_now < START_NOW);

    /* shut down: drain everything, each in model order */
    while (M.n) {
        g_step++;
        if (!op_drain(&q) || !check_state(&q)) return;
    }
    CHECK_EQ(llmres_queue_drain(&q, &out), LLMRES_ERR_EMPTY);
    CHECK_EQ(llmres_queue_pop(&q, g_now, &out), LLMRES_ERR_EMPTY);
    CHECK_EQ(llmres_queue_expire(&q, g_now, &out), 0);
    CHECK_EQ(llmres_queue_count(&q), 0);

    /* every item pushed came back to its owner exactly once */
    for (i = 0; i < g_next_id; i++) {
        if (g_came_back[i] == 0) { if (!lost++) first_bad = i; }
        else if (g_came_back[i] > 1) { if (!twice++) first_bad = i; }
    }
    if (lost || twice)
        printf("  %s: %lu ids never came back, %lu came back more than once (first: id %lu)\n",
               name, (unsigned long)lost, (unsigned long)twice, (unsigned long)first_bad);
    CHECK_EQ(lost, 0);
    CHECK_EQ(twice, 0);

    /* conservation: everything accepted left by exactly one door */
    CHECK_EQ((unsigned long)q.pushed,
             (unsigned long)q.popped + (q.expired - M.push_timeouts) + q.displaced + M.cancelled);
    total_pushes = g_stat[S_PUSH_OK] + g_stat[S_PUSH_EVICT_EXPIRED] + g_stat[S_PUSH_DISPLACE] +
                   g_stat[S_PUSH_FULL] + g_stat[S_PUSH_TIMEOUT] + g_stat[S_PUSH_INVALID];
    CHECK_EQ(total_pushes, g_next_id);

    /* each interesting path was exercised often */
    for (i = 0; i < S_N; i++) {
        if (i == S_PUSH_DISPLACE && LLMRES_QUEUE_LEVELS == 1) continue; /* nothing outranks */
        if (g_stat[i] < min_seen) printf("  %s: outcome %u seen only %lu times\n", name, (unsigned)i, g_stat[i]);
        CHECK(g_stat[i] >= min_seen);
    }
#ifdef MODEL_QUEUE_VERBOSE
    printf("  %s: push ok %lu evict-expired %lu displace %lu full %lu timeout %lu invalid %lu | "
           "pop ok %lu timeout %lu empty %lu | expire %lu/%lu | cancel %lu/%lu | drain %lu/%lu | peak %lu\n",
           name, g_stat[S_PUSH_OK], g_stat[S_PUSH_EVICT_EXPIRED], g_stat[S_PUSH_DISPLACE],
           g_stat[S_PUSH_FULL], g_stat[S_PUSH_TIMEOUT], g_stat[S_PUSH_INVALID], g_stat[S_POP_OK],
           g_stat[S_POP_TIMEOUT], g_stat[S_POP_EMPTY], g_stat[S_EXPIRE_1], g_stat[S_EXPIRE_0],
           g_stat[S_CANCEL_OK], g_stat[S_CANCEL_NF], g_stat[S_DRAIN_OK], g_stat[S_DRAIN_EMPTY],
           (unsigned long)q.peak);
#endif
}

#define CAP_SMALL (LLMRES_MAX_QUEUE > 7 ? 7u : (uint32_t)LLMRES_MAX_QUEUE)
static void test_model_capacity_7(void) { run_pass("capacity 7", 0x9E3779B97F4A7C15ULL, CAP_SMALL, 100); }
static void test_model_capacity_max(void) { run_pass("capacity max", 0xD1B54A32D192ED03ULL, LLMRES_MAX_QUEUE, 100); }
static void test_model_capacity_0(void) { run_pass("capacity 0 (max)", 0x2545F4914F6CDD1DULL, 0, 100); }
/* with one slot an item rarely lives long enough to expire in place: a lower bar */
static void test_model_capacity_1(void) { run_pass("capacity 1", 0x0123456789ABCDEFULL, 1, 20); }

/* ---- targeted tests ------------------------------------------------------------------ */
/* The hand-written scenarios below assume the default-ish configuration. */
#define HAND_TESTS_FIT (LLMRES_QUEUE_LEVELS >= 4 && LLMRES_MAX_QUEUE >= 8)

static llmres_qitem_t mk(void *user, unsigned prio, int has_dl, uint32_t deadline) {
    llmres_qitem_t it;
    memset(&it, 0, sizeof it);
    it.user = user;
    it.priority = (uint8_t)prio;
    it.has_deadline = (uint8_t)has_dl;
    it.deadline = deadline;
    return it;
}

static void test_init_errors(void) {
    static llmres_queue_t q;
    CHECK_EQ(llmres_queue_init(&q, LLMRES_MAX_QUEUE + 1), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_init(&q, 0xFFFFFFFFu), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_init_sized(NULL, 1, sizeof q), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_init_sized(&q, 0, sizeof(q) + 1), LLMRES_ERR_SIZE_MISMATCH);
    CHECK_EQ(llmres_queue_init_sized(&q, 0, sizeof(q) - 1), LLMRES_ERR_SIZE_MISMATCH);
    CHECK_EQ(llmres_queue_init(&q, LLMRES_MAX_QUEUE), LLMRES_OK);
    CHECK_EQ(q.capacity, LLMRES_MAX_QUEUE);
    CHECK_EQ(llmres_queue_init(&q, 0), LLMRES_OK);
    CHECK_EQ(q.capacity, LLMRES_MAX_QUEUE);
    CHECK_EQ(llmres_queue_init(&q, 1), LLMRES_OK);
    CHECK_EQ(q.capacity, 1);
    CHECK_EQ(llmres_queue_count(&q), 0);
}

static void test_null_arguments(void) {
    static llmres_queue_t q;
    static int a;
    llmres_qitem_t it = mk(&a, 0, 0, 0), out;
    CHECK_EQ(llmres_queue_init(&q, 1), LLMRES_OK);
    CHECK_EQ(llmres_queue_push(NULL, 0, &it, &out), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_push(&q, 0, NULL, &out), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_push(&q, 0, &it, NULL), LLMRES_ERR_INVALID);
    it.priority = LLMRES_QUEUE_LEVELS;
    CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), LLMRES_ERR_INVALID);
    it.priority = 255;
    CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), LLMRES_ERR_INVALID);
    it.priority = 0;
    CHECK_EQ(llmres_queue_pop(NULL, 0, &out), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_pop(&q, 0, NULL), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_expire(NULL, 0, &out), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_expire(&q, 0, NULL), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_cancel(NULL, &a, &out), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_cancel(&q, &a, NULL), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_cancel(&q, NULL, &out), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_drain(NULL, &out), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_drain(&q, NULL), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_count(NULL), 0);
    /* nothing above changed the queue */
    CHECK_EQ(llmres_queue_count(&q), 0);
    CHECK_EQ(q.pushed + q.popped + q.expired + q.displaced + q.rejected + q.peak, 0);
    /* and with an item queued, NULL out-pointers still take nothing */
    CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), 0);
    CHECK_EQ(llmres_queue_pop(&q, 0, NULL), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_drain(&q, NULL), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_cancel(&q, &a, NULL), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_cancel(&q, NULL, &out), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_queue_count(&q), 1);
    CHECK_EQ(llmres_queue_pop(&q, 0, &out), LLMRES_OK);
    CHECK(out.user == &a);
}

/* The capacity policy, step by step, with a full queue of 3. */
static void test_full_policy(void) {
    static llmres_queue_t q;
    static int u[8];
    llmres_qitem_t it, out;
    if (!HAND_TESTS_FIT) return; /* written for priorities 0..3 and capacities up to 8 */
    uint32_t t = 0xFFFFFFF0u; /* the wrap is 16 ms ahead */
    CHECK_EQ(llmres_queue_init(&q, 3), LLMRES_OK);
    it = mk(&u[0], 1, 0, 0); CHECK_EQ(llmres_queue_push(&q, t, &it, &out), 0);
    it = mk(&u[1], 1, 0, 0); CHECK_EQ(llmres_queue_push(&q, t, &it, &out), 0);
    it = mk(&u[2], 2, 1, t + 20u); CHECK_EQ(llmres_queue_push(&q, t, &it, &out), 0); /* deadline 4 */
    /* same priority as the lowest: FULL */
    it = mk(&u[3], 1, 0, 0); CHECK_EQ(llmres_queue_push(&q, t, &it, &out), LLMRES_ERR_FULL);
    CHECK_EQ(q.rejected, 1);
    /* outranks level 1: the NEWEST of level 1 (u[1]) is displaced */
    it = mk(&u[4], 3, 0, 0); CHECK_EQ(llmres_queue_push(&q, t, &it, &out), 1);
    CHECK(out.user == &u[1]);
    CHECK_EQ(out.status, LLMRES_ERR_DISPLACED);
    /* across the wrap u[2] (deadline 4) is not yet expired at 3, expired at 4 */
    CHECK_EQ(llmres_queue_expire(&q, 3u, &out), 0);
    /* at 4 a low-priority push evicts the expired u[2] instead of being refused */
    it = mk(&u[5], 0, 0, 0); CHECK_EQ(llmres_queue_push(&q, 4u, &it, &out), 1);
    CHECK(out.user == &u[2]);
    CHECK_EQ(out.status, LLMRES_ERR_TIMEOUT);
    /* an item whose deadline is exactly now is refused, and counted as expired */
    it = mk(&u[6], 3, 1, 4u); CHECK_EQ(llmres_queue_push(&q, 4u, &it, &out), LLMRES_ERR_TIMEOUT);
    CHECK_EQ(llmres_queue_count(&q), 3);
    CHECK_EQ(q.expired, 2);
    /* pop order: u[4] (p3), u[0] (p1), u[5] (p0) */
    CHECK_EQ(llmres_queue_pop(&q, 4u, &out), LLMRES_OK); CHECK(out.user == &u[4]);
    CHECK_EQ(llmres_queue_pop(&q, 4u, &out), LLMRES_OK); CHECK(out.user == &u[0]);
    CHECK_EQ(llmres_queue_pop(&q, 4u, &out), LLMRES_OK); CHECK(out.user == &u[5]);
    CHECK_EQ(llmres_queue_pop(&q, 4u, &out), LLMRES_ERR_EMPTY);
    CHECK_EQ(q.pushed, 5);
    CHECK_EQ(q.popped, 3);
    CHECK_EQ(q.displaced, 1);
    CHECK_EQ(q.peak, 3);
}

/* Eviction of expired items picks the lowest level first, oldest within it. */
static void test_expired_eviction_order(void) {
    static llmres_queue_t q;
    static int u[8];
    llmres_qitem_t it, out;
    if (!HAND_TESTS_FIT) return; /* written for priorities 0..3 and capacities up to 8 */
    CHECK_EQ(llmres_queue_init(&q, 4), LLMRES_OK);
    it = mk(&u[0], 3, 1, 100); CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), 0); /* oldest overall */
    it = mk(&u[1], 1, 0, 0);   CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), 0);
    it = mk(&u[2], 1, 1, 300); CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), 0);
    it = mk(&u[3], 1, 1, 200); CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), 0);
    /* at 500 u[0], u[2], u[3] are expired: lowest level (1), oldest there: u[2] */
    it = mk(&u[4], 0, 0, 0); CHECK_EQ(llmres_queue_push(&q, 500, &it, &out), 1);
    CHECK(out.user == &u[2]);
    CHECK_EQ(out.status, LLMRES_ERR_TIMEOUT);
    /* expire: next is u[3] (level 1), then u[0] (level 3), then none */
    CHECK_EQ(llmres_queue_expire(&q, 500, &out), 1); CHECK(out.user == &u[3]);
    CHECK_EQ(out.status, LLMRES_ERR_TIMEOUT);
    CHECK_EQ(llmres_queue_expire(&q, 500, &out), 1); CHECK(out.user == &u[0]);
    CHECK_EQ(llmres_queue_expire(&q, 500, &out), 0);
    CHECK_EQ(llmres_queue_count(&q), 2);
    CHECK_EQ(q.expired, 3);
}

/* cancel with several items of one owner: most urgent level first, FIFO within it. */
static void test_cancel_duplicates(void) {
    static llmres_queue_t q;
    static int x, y;
    llmres_qitem_t it, out;
    if (!HAND_TESTS_FIT) return; /* written for priorities 0..3 and capacities up to 8 */
    CHECK_EQ(llmres_queue_init(&q, 8), LLMRES_OK);
    it = mk(&x, 1, 0, 1); CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), 0);
    it = mk(&y, 3, 0, 9); CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), 0);
    it = mk(&x, 2, 0, 2); CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), 0);
    it = mk(&x, 2, 0, 3); CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), 0);
    it = mk(&x, 0, 1, 5); CHECK_EQ(llmres_queue_push(&q, 0, &it, &out), 0); /* has a deadline */
    CHECK_EQ(llmres_queue_cancel(&q, &x, &out), LLMRES_OK);
    CHECK_EQ(out.deadline, 2); CHECK_EQ(out.status, LLMRES_ERR_CANCELLED);
    CHECK_EQ(llmres_queue_cancel(&q, &x, &out), LLMRES_OK); CHECK_EQ(out.deadline, 3);
    CHECK_EQ(llmres_queue_cancel(&q, &x, &out), LLMRES_OK); CHECK_EQ(out.deadline, 1);
    /* cancel ignores deadlines: status CANCELLED */
    CHECK_EQ(llmres_queue_cancel(&q, &x, &out), LLMRES_OK); CHECK_EQ(out.deadline, 5);
    CHECK_EQ(out.status, LLMRES_ERR_CANCELLED);
    CHECK_EQ(llmres_queue_cancel(&q, &x, &out), LLMRES_ERR_NOT_FOUND);
    CHECK_EQ(llmres_queue_cancel(&q, NULL, &out), LLMRES_ERR_INVALID); /* a NULL user is refused */
    CHECK_EQ(llmres_queue_count(&q), 1);
    CHECK_EQ(llmres_queue_drain(&q, &out), LLMRES_OK);
    CHECK(out.user == &y);
    CHECK_EQ(out.status, LLMRES_ERR_CANCELLED);
    CHECK_EQ(llmres_queue_drain(&q, &out), LLMRES_ERR_EMPTY);
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(test_init_errors);
    RUN(test_null_arguments);
    RUN(test_full_policy);
    RUN(test_expired_eviction_order);
    RUN(test_cancel_duplicates);
    RUN(test_model_capacity_7);
    RUN(test_model_capacity_max);
    RUN(test_model_capacity_0);
    RUN(test_model_capacity_1);
    return T_DONE();
}
