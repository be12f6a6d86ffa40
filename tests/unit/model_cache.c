/* Model-based test of the LRU cache: random get / put / remove / purge sequences are run
   against llmres_cache_t and against a naive reference model (an array of entries with a
   last-used stamp, evicting by linear scan), and every return code, returned value and
   counter is compared after every step. Plus a few targeted tests: real 32-bit hash
   collisions, many keys that share length and prefix, init / argument errors, and small
   hand-checked scenarios (replace before evict, LRU touch, TTL across the wrap).

   The PRNG is seeded with fixed values, so every run is the same. On the first mismatch
   the step, the last operations and the differing field are printed and the test stops. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NKEYS 40
#define KEY_MAX 300
#define ARENA LLMRES_CACHE_ARENA_BYTES
#define BLK LLMRES_CACHE_BLOCK_BYTES
#define TOTAL_BLOCKS (ARENA / BLK)
#define VAL_MAX (ARENA + 64) /* room for values a little over the whole arena */
#define NENT LLMRES_MAX_CACHE_ENTRIES

/* ---- PRNG: splitmix64, fixed seeds ---- */
static uint64_t rng_s;
static uint64_t rng(void) {
    uint64_t z = (rng_s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint32_t rnd(uint32_t n) { return n ? (uint32_t)(rng() % n) : 0; } /* 0..n-1 */
static void rnd_fill(uint8_t *p, uint32_t n) {
    uint64_t w = 0;
    uint32_t i;
    for (i = 0; i < n; i++) {
        if ((i & 7) == 0) w = rng();
        p[i] = (uint8_t)w;
        w >>= 8;
    }
}

/* ---- key pool ---- */
static uint8_t pool_key[NKEYS][KEY_MAX];
static uint32_t pool_len[NKEYS];
static int npool;

static int pool_has(const uint8_t *k, uint32_t len) {
    int i;
    for (i = 0; i < npool; i++)
        if (pool_len[i] == len && (len == 0 || memcmp(pool_key[i], k, len) == 0)) return 1;
    return 0;
}
static void pool_add(const uint8_t *k, uint32_t len) {
    if (npool >= NKEYS || pool_has(k, len)) return;
    if (len) memcpy(pool_key[npool], k, len);
    pool_len[npool++] = len;
}
/* 40 distinct keys of length 0..300: the empty key, zero-byte keys, prefixes of one base
   string (across the 8-byte hash word and 64-byte block boundaries), keys of equal length
   differing only in the last byte, and random keys. */
static void make_pool(void) {
    static const uint32_t pre[] = {3, 7, 8, 9, 16, 63, 64, 65, 128, 200, 299, 300};
    static const uint32_t twin[] = {8, 17, 64, 300};
    uint8_t base[KEY_MAX], k[KEY_MAX];
    uint32_t i;
    npool = 0;
    rng_s = 0x6B6579706F6F6Cull; /* "keypool" */
    rnd_fill(base, KEY_MAX);
    pool_add(k, 0);
    memset(k, 0, sizeof k);
    pool_add(k, 1);
    pool_add(k, 2);
    pool_add(k, 9);
    k[0] = 'a';
    pool_add(k, 1);
    for (i = 0; i < sizeof pre / sizeof pre[0]; i++) pool_add(base, pre[i]);
    for (i = 0; i < sizeof twin / sizeof twin[0]; i++) {
        memcpy(k, base, twin[i]);
        k[twin[i] - 1] ^= 0x01;
        pool_add(k, twin[i]);
        k[twin[i] - 1] ^= 0x81;
        pool_add(k, twin[i]);
    }
    /* differs from base[0..64) only in the first byte */
    memcpy(k, base, 64);
    k[0] ^= 0xFF;
    pool_add(k, 64);
    while (npool < NKEYS) {
        uint32_t len = rnd(KEY_MAX + 1);
        rnd_fill(k, len);
        pool_add(k, len);
    }
}

/* ---- the reference model ---- */
typedef struct {
    int live;
    uint8_t key[KEY_MAX + 8];
    uint32_t key_len;
    uint8_t val[VAL_MAX];
    uint32_t val_len;
    int has_ttl;
    uint32_t expires;
    uint64_t last_used;
} ment_t;

typedef struct {
    ment_t e[NENT];
    uint32_t max_entry_bytes;
    uint64_t tick;
    uint32_t hits, misses, evictions, expirations, inserts, entries, bytes_used, used_blocks;
} model_t;

static model_t M;

static uint32_t blocks_for(uint32_t n) { return (n + BLK - 1) / BLK; }
/* (int32_t)(now - t) >= 0, written without the implementation-defined conversion */
static int m_reached(uint32_t now, uint32_t t) { return (uint32_t)(now - t) < 0x80000000u; }

static void m_init(uint32_t max_entry_bytes) {
    memset(&M, 0, sizeof M);
    M.max_entry_bytes = (max_entry_bytes == 0 || max_entry_bytes > ARENA) ? ARENA : max_entry_bytes;
}
static int m_find(const uint8_t *k, uint32_t kl) {
    int i;
    for (i = 0; i < NENT; i++)
        if (M.e[i].live && M.e[i].key_len == kl && (kl == 0 || memcmp(M.e[i].key, k, kl) == 0)) return i;
    return -1;
}
static void m_drop(int i) {
    ment_t *e = &M.e[i];
    e->live = 0;
    M.entries--;
    M.bytes_used -= e->key_len + e->val_len;
    M.used_blocks -= blocks_for(e->key_len + e->val_len);
}
static int m_put(uint32_t now, const uint8_t *k, uint32_t kl, const uint8_t *v, uint32_t vl, uint32_t ttl) {
    uint32_t need;
    int i;
    if (ttl > 0x7FFFFFFFu) return LLMRES_ERR_INVALID;
    if ((uint64_t)kl + vl > M.max_entry_bytes) return LLMRES_ERR_TOO_LARGE;
    i = m_find(k, kl);
    if (i >= 0) m_drop(i); /* replaced: not an eviction, and gone before eviction is decided */
    need = blocks_for(kl + vl);
    while (M.entries == NENT || TOTAL_BLOCKS - M.used_blocks < need) {
        int lru = -1;
        for (i = 0; i < NENT; i++)
            if (M.e[i].live && (lru < 0 || M.e[i].last_used < M.e[lru].last_used)) lru = i;
        if (lru < 0) return 99; /* cannot happen: the model itself is broken */
        m_drop(lru);
        M.evictions++;
    }
    for (i = 0; i < NENT && M.e[i].live; i++) {}
    M.e[i].live = 1;
    if (kl) memcpy(M.e[i].key, k, kl);
    M.e[i].key_len = kl;
    if (vl) memcpy(M.e[i].val, v, vl);
    M.e[i].val_len = vl;
    M.e[i].has_ttl = ttl != 0;
    M.e[i].expires = now + ttl;
    M.e[i].last_used = ++M.tick;
    M.entries++;
    M.bytes_used += kl + vl;
    M.used_blocks += need;
    M.inserts++;
    return LLMRES_OK;
}
/* out: at least val_len bytes are written only on OK */
static int m_get(uint32_t now, const uint8_t *k, uint32_t kl, uint8_t *out, uint32_t cap, uint32_t *vlen) {
    int i = m_find(k, kl);
    ment_t *e;
    if (i < 0) { M.misses++; return LLMRES_ERR_NOT_FOUND; }
    e = &M.e[i];
    if (e->has_ttl && m_reached(now, e->expires)) {
        m_drop(i);
        M.expirations++;
        M.misses++;
        return LLMRES_ERR_NOT_FOUND;
    }
    *vlen = e->val_len;
    if (e->val_len > cap) return LLMRES_ERR_TOO_LARGE;
    if (e->val_len) memcpy(out, e->val, e->val_len);
    e->last_used = ++M.tick;
    M.hits++;
    return LLMRES_OK;
}
static int m_remove(const uint8_t *k, uint32_t kl) {
    int i = m_find(k, kl);
    if (i < 0) return LLMRES_ERR_NOT_FOUND;
    m_drop(i);
    return LLMRES_OK;
}
static int m_purge(uint32_t now) {
    int i, n = 0;
    for (i = 0; i < NENT; i++)
        if (M.e[i].live && M.e[i].has_ttl && m_reached(now, M.e[i].expires)) {
            m_drop(i);
            M.expirations++;
            n++;
        }
    return n;
}

/* ---- the random run ---- */
enum { OP_GET, OP_PUT, OP_REMOVE, OP_PURGE };
static const char *const op_name[] = {"get", "put", "remove", "purge"};

typedef struct {
    long step;
    int op, key_id; /* key_id -1: a key from outside the pool */
    uint32_t now, key_len, val_len, ttl, cap;
    int rc_lib, rc_model;
} oplog_t;

#define LOG_N 12
static oplog_t oplog[LOG_N];

static void print_op(const oplog_t *o) {
    printf("    step %ld now=%lu %s", o->step, (unsigned long)o->now, op_name[o->op]);
    if (o->op != OP_PURGE) printf(" key#%d(len %lu)", o->key_id, (unsigned long)o->key_len);
    if (o->op == OP_PUT) printf(" value_len=%lu ttl=%lu", (unsigned long)o->val_len, (unsigned long)o->ttl);
    if (o->op == OP_GET) printf(" out_cap=%lu", (unsigned long)o->cap);
    printf(" -> lib %d, model %d\n", o->rc_lib, o->rc_model);
}

static llmres_cache_t C;
static uint8_t keybuf[KEY_MAX];         /* keys are passed from the end of it: ASan sees over-reads */
static uint8_t valbuf[VAL_MAX];         /* same for values */
static uint8_t out_lib[VAL_MAX];        /* get's out ends at the end of it: ASan sees over-writes */
static uint8_t out_model[VAL_MAX];

typedef struct {
    long gets_hit, gets_miss, gets_expired, gets_short, puts_ok, puts_too_large, puts_invalid, replaces,
        removes_ok, purged, wraps;
} stats_t;

/* Runs nops random operations; returns 0, or 1 after reporting the first mismatch. */
static int run_model(const char *pass, uint64_t seed, uint32_t max_entry_bytes, long nops, stats_t *st) {
    uint32_t now = (uint32_t)(0x100000000ull - 100000u); /* the 32-bit wrap comes early in the run */
    long step;
    int rc;
    memset(st, 0, sizeof *st);
    make_pool();
    rng_s = seed;
    m_init(max_entry_bytes);
    rc = llmres_cache_init(&C, max_entry_bytes);
    CHECK_EQ(rc, LLMRES_OK);
    if (rc != LLMRES_OK) return 1;

#define MISMATCH(cond, ...)                                                                      \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            int k_;                                                                              \
            printf("  model mismatch in %s pass at step %ld: ", pass, step);                     \
            printf(__VA_ARGS__);                                                                 \
            printf("\n  last operations:\n");                                                    \
            for (k_ = LOG_N - 1; k_ >= 0; k_--)                                                  \
                if (step - k_ >= 0) print_op(&oplog[(step - k_) % LOG_N]);                       \
            CHECK(cond);                                                                         \
            return 1;                                                                            \
        }                                                                                        \
    } while (0)
#define SAME(field, lib, model)                                                                  \
    MISMATCH((long long)(lib) == (long long)(model), "%s: lib %lld, model %lld", field,          \
             (long long)(lib), (long long)(model))

    for (step = 0; step < nops; step++) {
        oplog_t *o = &oplog[step % LOG_N];
        uint32_t r = rnd(100), dt, kl;
        const uint8_t *key;
        int id, rl, rm;

        /* time: often still, often a few ms, sometimes a long gap */
        dt = rnd(100);
        dt = dt < 40 ? 0 : dt < 70 ? 1 + rnd(3) : dt < 95 ? rnd(100) : rnd(5000);
        if (now + dt < now) st->wraps++;
        now += dt;

        /* key: a hot dozen or the whole pool; now and then one from outside the pool */
        if (rnd(50) == 0) {
            id = -1;
            kl = 1 + rnd(KEY_MAX);
            rnd_fill(keybuf + KEY_MAX - kl, kl);
        } else {
            id = (int)(rnd(5) < 2 ? rnd(12) : rnd(NKEYS));
            kl = pool_len[id];
            if (kl) memcpy(keybuf + KEY_MAX - kl, pool_key[id], kl);
        }
        key = keybuf + KEY_MAX - kl;
        if (kl == 0 && rnd(2)) key = NULL; /* allowed when key_len is 0 */

        memset(o, 0, sizeof *o);
        o->step = step;
        o->now = now;
        o->key_id = id;
        o->key_len = kl;

        if (r < 45) { /* get */
            uint32_t cap, vl_lib = 0xDEADBEEFu, vl_model = 0xDEADBEEFu;
            uint8_t *out;
            int mi = m_find(key, kl);
            uint32_t c = rnd(100);
            if (c < 80) cap = VAL_MAX;
            else if (c < 90) cap = rnd(3001);
            else if (c < 96 && mi >= 0) cap = M.e[mi].val_len - (M.e[mi].val_len && rnd(2)); /* exact or one short */
            else cap = 0;
            out = (cap == 0 && rnd(2)) ? NULL : out_lib + VAL_MAX - cap;
            memset(out_lib, 0xA5, VAL_MAX);
            o->op = OP_GET;
            o->cap = cap;
            rl = llmres_cache_get(&C, now, key, kl, out, cap, &vl_lib);
            rm = m_get(now, key, kl, out_model, cap, &vl_model);
            o->rc_lib = rl;
            o->rc_model = rm;
            SAME("get result", rl, rm);
            if (rm == LLMRES_OK || rm == LLMRES_ERR_TOO_LARGE) SAME("get *value_len", vl_lib, vl_model);
            if (rm == LLMRES_OK) {
                MISMATCH(vl_model == 0 || memcmp(out, out_model, vl_model) == 0,
                         "get returned other bytes than the model's value (value_len %lu)", (unsigned long)vl_model);
                st->gets_hit++;
            } else {
                uint32_t j;
                for (j = 0; j < VAL_MAX && out_lib[j] == 0xA5; j++) {}
                MISMATCH(j == VAL_MAX, "get returned %d but wrote to out (byte %lu)", rl, (unsigned long)j);
                if (rm == LLMRES_ERR_TOO_LARGE) st->gets_short++;
                else if (mi >= 0) st->gets_expired++;
                else st->gets_miss++;
            }
        } else if (r < 85) { /* put */
            uint32_t vl, ttl, c = rnd(100);
            const uint8_t *val;
            if (c < 45) vl = rnd(3001);
            else if (c < 75) vl = rnd(201);
            else if (c < 90) vl = rnd(65);
            else if (c < 96) { /* key + value around a block boundary */
                uint32_t t = BLK * (1 + rnd(8)) + rnd(3) - 1;
                vl = t > kl ? t - kl : 0;
            } else if (c < 99) { /* key + value around max_entry_bytes */
                uint32_t t = M.max_entry_bytes + rnd(3) - 1;
                vl = t > kl ? t - kl : 0;
            } else { /* close to or over the whole arena */
                vl = ARENA - KEY_MAX + rnd(VAL_MAX - (ARENA - KEY_MAX) + 1);
            }
            if (vl > VAL_MAX) vl = VAL_MAX;
            c = rnd(200);
            if (c < 110) ttl = 0;
            else if (c < 160) ttl = 1 + rnd(20);
            else if (c < 190) ttl = 1 + rnd(2000);
            else if (c < 194) ttl = 1 + rnd(100000);
            else if (c < 198) ttl = 0x7FFFFFFFu;
            else ttl = 0x80000000u + rnd(3); /* INVALID */
            rnd_fill(valbuf + VAL_MAX - vl, vl);
            val = valbuf + VAL_MAX - vl;
            if (vl == 0 && rnd(2)) val = NULL; /* allowed when value_len is 0 */
            o->op = OP_PUT;
            o->val_len = vl;
            o->ttl = ttl;
            if (ttl <= 0x7FFFFFFFu && (uint64_t)kl + vl <= M.max_entry_bytes && m_find(key, kl) >= 0)
                st->replaces++;
            rl = llmres_cache_put(&C, now, key, kl, val, vl, ttl);
            rm = m_put(now, key, kl, val, vl, ttl);
            o->rc_lib = rl;
            o->rc_model = rm;
            MISMATCH(rm != 99, "the reference model could not make room (test bug)");
            SAME("put result", rl, rm);
            if (rm == LLMRES_OK) st->puts_ok++;
            else if (rm == LLMRES_ERR_TOO_LARGE) st->puts_too_large++;
            else st->puts_invalid++;
        } else if (r < 95) { /* remove */
            o->op = OP_REMOVE;
            rl = llmres_cache_remove(&C, key, kl);
            rm = m_remove(key, kl);
            o->rc_lib = rl;
            o->rc_model = rm;
            SAME("remove result", rl, rm);
            if (rm == LLMRES_OK) st->removes_ok++;
        } else { /* purge */
            o->op = OP_PURGE;
            rl = llmres_cache_purge(&C, now);
            rm = m_purge(now);
            o->rc_lib = rl;
            o->rc_model = rm;
            SAME("purge result", rl, rm);
            st->purged += rm;
        }

        SAME("hits", C.hits, M.hits);
        SAME("misses", C.misses, M.misses);
        SAME("evictions", C.evictions, M.evictions);
        SAME("expirations", C.expirations, M.expirations);
        SAME("inserts", C.inserts, M.inserts);
        SAME("entries", C.entries, M.entries);
        SAME("bytes_used", C.bytes_used, M.bytes_used);
        SAME("free_blocks", C.free_blocks, TOTAL_BLOCKS - M.used_blocks);
    }
#undef SAME
#undef MISMATCH

#ifdef MODEL_CACHE_VERBOSE
    printf("  %s: %ld ops: hits %lu misses %lu (expired %ld) evictions %lu expirations %lu short-gets %ld, "
           "puts ok %ld too-large %ld invalid %ld replaces %ld, removes %ld, purged %ld, wraps %ld\n",
           pass, nops, (unsigned long)M.hits, (unsigned long)M.misses, st->gets_expired, (unsigned long)M.evictions,
           (unsigned long)M.expirations, st->gets_short, st->puts_ok, st->puts_too_large, st->puts_invalid,
           st->replaces, st->removes_ok, st->purged, st->wraps);
#endif
    return 0;
}

/* Every behaviour the model checks must actually have happened in the run. */
static void check_coverage(const stats_t *st, int expect_too_large) {
    CHECK(st->wraps >= 1);
    CHECK(st->gets_hit > 1000);
    CHECK(st->gets_miss > 1000);
    CHECK(st->gets_expired > 100);
    CHECK(st->gets_short > 100);
    CHECK(st->puts_ok > 1000);
    CHECK(st->puts_invalid > 10);
    CHECK(st->replaces > 1000);
    CHECK(st->removes_ok > 100);
    CHECK(st->purged > 100);
    CHECK(M.evictions > 1000);
    if (expect_too_large) CHECK(st->puts_too_large > 1000);
    else CHECK(st->puts_too_large > 10);
}

static void test_model_full_arena(void) {
    stats_t st;
    if (run_model("max_entry_bytes=0", 0x1234567887654321ull, 0, 200000, &st) == 0) check_coverage(&st, 0);
}
static void test_model_max_1000(void) {
    stats_t st;
    if (run_model("max_entry_bytes=1000", 0x0DDBA11CAFEF00Dull, 1000, 100000, &st) == 0) check_coverage(&st, 1);
}
static void test_model_max_over_arena(void) { /* more than the arena means the arena */
    stats_t st;
    if (run_model("max_entry_bytes=1000000", 0xFEEDFACE5EEDull, 1000000u, 40000, &st) == 0) check_coverage(&st, 0);
}

/* ---- targeted tests ---- */

/* Real 32-bit hash collisions, found by a birthday search over 2^18 keys of equal length and
   prefix with the library's own (internal, static) hash function: the two keys of a pair land
   in the same bucket with the same hash, so only the byte compare tells them apart. */
typedef struct { uint32_t h, idx; } hk_t;
static hk_t hk[1u << 18];
static int hk_cmp(const void *a, const void *b) {
    const hk_t *x = (const hk_t *)a, *y = (const hk_t *)b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}
/* The index spans two of the hash's words (bytes 6..9) whatever its word size: with 32-bit
   words a key that differs only in its last word is hashed by a bijection, so it never
   collides with another of the same prefix. */
static void collide_key(uint8_t k[12], uint32_t idx) {
    memcpy(k, "collide:!!!!", 12);
    k[6] = (uint8_t)idx;
    k[7] = (uint8_t)(idx >> 8);
    k[8] = (uint8_t)(idx >> 16);
    k[9] = (uint8_t)(idx >> 24);
}
static void test_hash_collisions(void) {
    static llmres_cache_t c;
    uint32_t i, n = (uint32_t)(sizeof hk / sizeof hk[0]), pairs = 0;
    uint8_t k[12], k1[12], k2[12], out[16];
    uint32_t vl;
    for (i = 0; i < n; i++) {
        collide_key(k, i);
        hk[i].h = llmres__hash(k, 12);
        hk[i].idx = i;
    }
    qsort(hk, n, sizeof hk[0], hk_cmp);
    for (i = 0; i + 1 < n && pairs < 6; i++) {
        if (hk[i].h != hk[i + 1].h) continue;
        pairs++;
        collide_key(k1, hk[i].idx);
        collide_key(k2, hk[i + 1].idx);
        CHECK(memcmp(k1, k2, 12) != 0);
        CHECK_EQ(llmres__hash(k1, 12), llmres__hash(k2, 12));
        CHECK_EQ(llmres_cache_init(&c, 0), LLMRES_OK);
        /* one present: the other misses */
        CHECK_EQ(llmres_cache_put(&c, 0, k1, 12, "one", 3, 0), LLMRES_OK);
        CHECK_EQ(llmres_cache_get(&c, 0, k2, 12, out, sizeof out, &vl), LLMRES_ERR_NOT_FOUND);
        CHECK_EQ(llmres_cache_remove(&c, k2, 12), LLMRES_ERR_NOT_FOUND);
        /* both present: each its own value; a put of one does not replace the other */
        CHECK_EQ(llmres_cache_put(&c, 0, k2, 12, "two!", 4, 0), LLMRES_OK);
        CHECK_EQ(c.entries, 2);
        CHECK_EQ(llmres_cache_get(&c, 0, k1, 12, out, sizeof out, &vl), LLMRES_OK);
        CHECK(vl == 3 && memcmp(out, "one", 3) == 0);
        CHECK_EQ(llmres_cache_get(&c, 0, k2, 12, out, sizeof out, &vl), LLMRES_OK);
        CHECK(vl == 4 && memcmp(out, "two!", 4) == 0);
        CHECK_EQ(llmres_cache_put(&c, 0, k1, 12, "uno", 3, 0), LLMRES_OK);
        CHECK_EQ(c.entries, 2);
        CHECK_EQ(llmres_cache_get(&c, 0, k2, 12, out, sizeof out, &vl), LLMRES_OK);
        CHECK(vl == 4 && memcmp(out, "two!", 4) == 0);
        /* removing either (head or second in the chain) leaves the other */
        CHECK_EQ(llmres_cache_remove(&c, k2, 12), LLMRES_OK);
        CHECK_EQ(llmres_cache_get(&c, 0, k2, 12, out, sizeof out, &vl), LLMRES_ERR_NOT_FOUND);
        CHECK_EQ(llmres_cache_get(&c, 0, k1, 12, out, sizeof out, &vl), LLMRES_OK);
        CHECK(vl == 3 && memcmp(out, "uno", 3) == 0);
        CHECK_EQ(llmres_cache_put(&c, 0, k2, 12, "two!", 4, 0), LLMRES_OK);
        CHECK_EQ(llmres_cache_remove(&c, k1, 12), LLMRES_OK);
        CHECK_EQ(llmres_cache_get(&c, 0, k1, 12, out, sizeof out, &vl), LLMRES_ERR_NOT_FOUND);
        CHECK_EQ(llmres_cache_get(&c, 0, k2, 12, out, sizeof out, &vl), LLMRES_OK);
        CHECK(vl == 4 && memcmp(out, "two!", 4) == 0);
        CHECK_EQ(c.entries, 1);
        CHECK_EQ(c.bytes_used, 16);
    }
    CHECK(pairs >= 1); /* about 8 pairs are expected among 2^18 keys */

    /* a full table in one bucket: a chain of LLMRES_MAX_CACHE_ENTRIES, removed from the middle */
    {
        uint32_t ids[NENT], want = 0, m = 0, j;
        for (i = 0; i < n && m < NENT; i++) {
            collide_key(k, i);
            if (m == 0) want = llmres__hash(k, 12) & (LLMRES_CACHE_HASH_BUCKETS - 1);
            if ((llmres__hash(k, 12) & (LLMRES_CACHE_HASH_BUCKETS - 1)) == want) ids[m++] = i;
        }
        CHECK_EQ(m, NENT);
        CHECK_EQ(llmres_cache_init(&c, 0), LLMRES_OK);
        for (j = 0; j < m; j++) {
            collide_key(k, ids[j]);
            CHECK_EQ(llmres_cache_put(&c, 0, k, 12, &ids[j], 4, 0), LLMRES_OK);
        }
        for (j = 0; j < m; j += 3) {
            collide_key(k, ids[j]);
            CHECK_EQ(llmres_cache_remove(&c, k, 12), LLMRES_OK);
        }
        for (j = 0; j < m; j++) {
            uint32_t got = 0;
            collide_key(k, ids[j]);
            if (j % 3 == 0) {
                CHECK_EQ(llmres_cache_get(&c, 0, k, 12, &got, 4, &vl), LLMRES_ERR_NOT_FOUND);
            } else {
                CHECK_EQ(llmres_cache_get(&c, 0, k, 12, &got, 4, &vl), LLMRES_OK);
                CHECK_EQ(got, ids[j]);
            }
        }
        CHECK_EQ(c.evictions, 0);
    }
}

/* Many keys of the same length with a shared prefix (or suffix), and keys made only of
   zero bytes that differ in length: none may ever return another's value. */
static void prefix_family(uint8_t (*keys)[100], uint32_t nk, uint32_t klen, const char *what) {
    static llmres_cache_t c;
    uint32_t b, i, j, vl, got;
    CHECK_EQ(llmres_cache_init(&c, 0), LLMRES_OK);
    for (b = 0; b < nk; b += NENT) {
        uint32_t end = b + NENT < nk ? b + NENT : nk;
        for (i = b; i < end; i++) CHECK_EQ(llmres_cache_put(&c, 0, keys[i], klen ? klen : i, &i, 4, 0), LLMRES_OK);
        for (j = 0; j < nk; j++) {
            uint32_t len = klen ? klen : j;
            int rc = llmres_cache_get(&c, 0, keys[j], len, &got, 4, &vl);
            if (j < end && j + NENT >= end) { /* the last NENT keys put are the ones present */
                if (rc != LLMRES_OK || got != j) {
                    printf("  %s: key %lu: rc %d, value %lu\n", what, (unsigned long)j, rc, (unsigned long)got);
                    CHECK(0);
                    return;
                }
            } else if (rc != LLMRES_ERR_NOT_FOUND) {
                printf("  %s: key %lu not stored but found (value %lu)\n", what, (unsigned long)j,
                       (unsigned long)got);
                CHECK(0);
                return;
            }
        }
    }
}
static void test_same_prefix_keys(void) {
    static uint8_t keys[256][100];
    uint32_t i;
    /* 99 shared bytes, the last one differs */
    for (i = 0; i < 256; i++) {
        memset(keys[i], 'p', 100);
        keys[i][99] = (uint8_t)i;
    }
    prefix_family(keys, 256, 100, "last byte differs");
    /* 99 shared bytes, the first one differs */
    for (i = 0; i < 256; i++) {
        memset(keys[i], 'p', 100);
        keys[i][0] = (uint8_t)i;
    }
    prefix_family(keys, 256, 100, "first byte differs");
    /* differs in byte 64, the first byte of the key's second arena block */
    for (i = 0; i < 256; i++) {
        memset(keys[i], 'p', 100);
        keys[i][64] = (uint8_t)i;
    }
    prefix_family(keys, 256, 100, "byte 64 differs");
    /* all zero bytes, lengths 0..99: each key is a prefix of all the longer ones */
    memset(keys, 0, sizeof keys);
    prefix_family(keys, 100, 0, "zero bytes, length differs");
}

static void test_init_errors(void) {
    static llmres_cache_t c;
    llmres_cache_t *nul = NULL;
    static uint8_t snap[sizeof(llmres_cache_t)];
    uint8_t out[8];
    uint32_t vl;
    CHECK_EQ(llmres_cache_init(nul, 0), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_init_sized(NULL, 0, sizeof(llmres_cache_t)), LLMRES_ERR_INVALID);
    /* a size mismatch is refused and leaves the memory alone */
    memset(&c, 0x5A, sizeof c);
    memcpy(snap, &c, sizeof c);
    CHECK_EQ(llmres_cache_init_sized(&c, 0, sizeof(c) - 1), LLMRES_ERR_SIZE_MISMATCH);
    CHECK_EQ(llmres_cache_init_sized(&c, 0, sizeof(c) + 1), LLMRES_ERR_SIZE_MISMATCH);
    CHECK_EQ(llmres_cache_init_sized(&c, 0, 0), LLMRES_ERR_SIZE_MISMATCH);
    CHECK(memcmp(snap, &c, sizeof c) == 0);
    /* init over garbage gives an empty cache with zero counters */
    CHECK_EQ(llmres_cache_init(&c, 0), LLMRES_OK);
    CHECK_EQ(c.entries, 0);
    CHECK_EQ(c.bytes_used, 0);
    CHECK_EQ(c.hits + c.misses + c.evictions + c.expirations + c.inserts, 0);
    CHECK_EQ(c.max_entry_bytes, ARENA);
    CHECK_EQ(llmres_cache_get(&c, 0, "k", 1, out, sizeof out, &vl), LLMRES_ERR_NOT_FOUND);
    CHECK_EQ(llmres_cache_put(&c, 0, "k", 1, "v", 1, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_get(&c, 0, "k", 1, out, sizeof out, &vl), LLMRES_OK);
    CHECK(vl == 1 && out[0] == 'v');
    CHECK_EQ(llmres_cache_init(&c, ARENA + 1), LLMRES_OK);
    CHECK_EQ(c.max_entry_bytes, ARENA);
    CHECK_EQ(llmres_cache_init(&c, 1000), LLMRES_OK);
    CHECK_EQ(c.max_entry_bytes, 1000);
}

/* Bad arguments are INVALID and count nothing; NULL is fine for a zero-length key, value, out. */
static void test_invalid_args(void) {
    static llmres_cache_t c;
    uint8_t out[8];
    uint32_t vl;
    CHECK_EQ(llmres_cache_init(&c, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_put(&c, 0, "k", 1, "v", 1, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_get(NULL, 0, "k", 1, out, sizeof out, &vl), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_get(&c, 0, NULL, 1, out, sizeof out, &vl), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_get(&c, 0, "k", 1, NULL, 1, &vl), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_get(&c, 0, "k", 1, out, sizeof out, NULL), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_put(NULL, 0, "k", 1, "v", 1, 0), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_put(&c, 0, NULL, 1, "v", 1, 0), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_put(&c, 0, "k", 1, NULL, 1, 0), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_put(&c, 0, "k", 1, "w", 1, 0x80000000u), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_remove(NULL, "k", 1), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_remove(&c, NULL, 1), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_purge(NULL, 0), LLMRES_ERR_INVALID);
    CHECK_EQ(c.hits + c.misses + c.evictions + c.expirations, 0);
    CHECK_EQ(c.entries, 1);
    CHECK_EQ(llmres_cache_get(&c, 0, "k", 1, out, sizeof out, &vl), LLMRES_OK);
    CHECK(vl == 1 && out[0] == 'v');
    /* the empty key, an empty value, no out buffer */
    CHECK_EQ(llmres_cache_put(&c, 0, NULL, 0, NULL, 0, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_get(&c, 0, "", 0, NULL, 0, &vl), LLMRES_OK);
    CHECK_EQ(vl, 0);
    CHECK_EQ(llmres_cache_put(&c, 0, "", 0, "xy", 2, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_get(&c, 0, NULL, 0, NULL, 0, &vl), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(vl, 2);
    CHECK_EQ(llmres_cache_remove(&c, NULL, 0), LLMRES_OK);
    CHECK_EQ(c.entries, 1);
}

/* The replaced entry is removed before eviction is decided: replacing an entry with one of
   the same (or smaller) size never evicts, even when the arena is full. */
static void test_replace_before_evict(void) {
    static llmres_cache_t c;
    static uint8_t big[ARENA], out[ARENA];
    uint32_t vl;
    memset(big, 'x', sizeof big);
    CHECK_EQ(llmres_cache_init(&c, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_put(&c, 0, "A", 1, big, ARENA - 1, 0), LLMRES_OK); /* the whole arena */
    CHECK_EQ(c.free_blocks, 0);
    CHECK_EQ(llmres_cache_put(&c, 0, "A", 1, big, ARENA, 0), LLMRES_ERR_TOO_LARGE);
    big[0] = 'y';
    CHECK_EQ(llmres_cache_put(&c, 0, "A", 1, big, ARENA - 1, 0), LLMRES_OK);
    CHECK_EQ(c.evictions, 0);
    CHECK_EQ(c.entries, 1);
    CHECK_EQ(llmres_cache_get(&c, 0, "A", 1, out, sizeof out, &vl), LLMRES_OK);
    CHECK(vl == ARENA - 1 && out[0] == 'y' && memcmp(out + 1, big + 1, ARENA - 2) == 0);
    /* B evicts A: it needs one block */
    CHECK_EQ(llmres_cache_put(&c, 0, "B", 1, "b", 1, 0), LLMRES_OK);
    CHECK_EQ(c.evictions, 1);
    CHECK_EQ(c.entries, 1);
    /* A (1 block) and B (1 block); B grows to all but one block: fits once B's old copy is gone */
    CHECK_EQ(llmres_cache_put(&c, 0, "A", 1, "a", 1, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_put(&c, 0, "B", 1, big, ARENA - BLK - 1, 0), LLMRES_OK);
    CHECK_EQ(c.evictions, 1);
    CHECK_EQ(c.entries, 2);
    CHECK_EQ(c.free_blocks, 0);
    CHECK_EQ(llmres_cache_get(&c, 0, "A", 1, out, sizeof out, &vl), LLMRES_OK);
    CHECK(vl == 1 && out[0] == 'a');
    /* one block more and A must go, although A was just used */
    CHECK_EQ(llmres_cache_put(&c, 0, "B", 1, big, ARENA - BLK, 0), LLMRES_OK);
    CHECK_EQ(c.evictions, 2);
    CHECK_EQ(llmres_cache_get(&c, 0, "A", 1, out, sizeof out, &vl), LLMRES_ERR_NOT_FOUND);
}

/* LRU order: a hit moves the entry to the front; a get with a short buffer does not. */
static void test_lru_touch(void) {
    static llmres_cache_t c;
    uint8_t key[2] = {'k', 0}, out[4];
    uint32_t i, vl;
    CHECK_EQ(llmres_cache_init(&c, 0), LLMRES_OK);
    for (i = 0; i < NENT; i++) {
        key[1] = (uint8_t)i;
        CHECK_EQ(llmres_cache_put(&c, 0, key, 2, "vv", 2, 0), LLMRES_OK);
    }
    key[1] = 0;
    CHECK_EQ(llmres_cache_get(&c, 0, key, 2, out, 1, &vl), LLMRES_ERR_TOO_LARGE); /* no touch */
    CHECK_EQ(vl, 2);
    CHECK_EQ(c.hits + c.misses, 0);
    key[1] = 1;
    CHECK_EQ(llmres_cache_get(&c, 0, key, 2, out, 2, &vl), LLMRES_OK); /* touch */
    key[1] = 100;
    CHECK_EQ(llmres_cache_put(&c, 0, key, 2, "vv", 2, 0), LLMRES_OK); /* evicts k0 */
    key[1] = 101;
    CHECK_EQ(llmres_cache_put(&c, 0, key, 2, "vv", 2, 0), LLMRES_OK); /* evicts k2, not k1 */
    CHECK_EQ(c.evictions, 2);
    key[1] = 0;
    CHECK_EQ(llmres_cache_get(&c, 0, key, 2, out, 4, &vl), LLMRES_ERR_NOT_FOUND);
    key[1] = 2;
    CHECK_EQ(llmres_cache_get(&c, 0, key, 2, out, 4, &vl), LLMRES_ERR_NOT_FOUND);
    key[1] = 1;
    CHECK_EQ(llmres_cache_get(&c, 0, key, 2, out, 4, &vl), LLMRES_OK);
    key[1] = 3;
    CHECK_EQ(llmres_cache_get(&c, 0, key, 2, out, 4, &vl), LLMRES_OK);
}

/* TTL: alive until now - expires reaches 0, across the 32-bit wrap; get and purge count. */
static void test_ttl_wrap(void) {
    static llmres_cache_t c;
    const uint32_t t0 = 0xFFFFFFFAu; /* expires = t0 + 10 = 4 after the wrap */
    uint8_t out[4];
    uint32_t vl;
    CHECK_EQ(llmres_cache_init(&c, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_put(&c, t0, "a", 1, "1", 1, 10), LLMRES_OK);
    CHECK_EQ(llmres_cache_put(&c, t0, "b", 1, "2", 1, 10), LLMRES_OK);
    CHECK_EQ(llmres_cache_put(&c, t0, "c", 1, "3", 1, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_put(&c, t0, "d", 1, "4", 1, 0x7FFFFFFFu), LLMRES_OK);
    CHECK_EQ(llmres_cache_get(&c, t0 + 9, "a", 1, out, 4, &vl), LLMRES_OK);
    CHECK_EQ(llmres_cache_purge(&c, t0 + 9), 0);
    CHECK_EQ(llmres_cache_get(&c, t0 + 10, "a", 1, out, 4, &vl), LLMRES_ERR_NOT_FOUND);
    CHECK_EQ(c.expirations, 1);
    CHECK_EQ(c.misses, 1);
    CHECK_EQ(c.entries, 3);
    CHECK_EQ(llmres_cache_remove(&c, "a", 1), LLMRES_ERR_NOT_FOUND);
    CHECK_EQ(llmres_cache_purge(&c, t0 + 11), 1); /* b */
    CHECK_EQ(c.expirations, 2);
    CHECK_EQ(c.misses, 1);
    CHECK_EQ(llmres_cache_purge(&c, t0 + 0x7FFFFFFEu), 0); /* c never, d not yet */
    CHECK_EQ(llmres_cache_get(&c, t0 + 0x7FFFFFFEu, "d", 1, out, 4, &vl), LLMRES_OK);
    CHECK_EQ(llmres_cache_purge(&c, t0 + 0x7FFFFFFFu), 1); /* d */
    CHECK_EQ(c.entries, 1);
    CHECK_EQ(llmres_cache_get(&c, t0 + 0x7FFFFFFFu, "c", 1, out, 4, &vl), LLMRES_OK);
    CHECK(vl == 1 && out[0] == '3');
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(test_init_errors);
    RUN(test_invalid_args);
    RUN(test_replace_before_evict);
    RUN(test_lru_touch);
    RUN(test_ttl_wrap);
    RUN(test_hash_collisions);
    RUN(test_same_prefix_keys);
    RUN(test_model_full_arena);
    RUN(test_model_max_1000);
    RUN(test_model_max_over_arena);
    return T_DONE();
}
