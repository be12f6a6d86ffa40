/* libFuzzer target for what a device reads from flash: the configuration text
   (llmres_config_parse, llmres_config_set) and a saved client state
   (llmres_client_restore). Asserted:
   - the text parser agrees with a plain re-reading of the same lines through
     llmres_config_set: the same result and the same settings;
   - a NUL byte in a KEY=VALUE line is refused;
   - a whole number of digits only (leading zeros allowed) is taken exactly when it
     fits the key's range, and refused otherwise;
   - every message is NUL-terminated within err_cap, for any err_cap;
   - a snapshot that is refused changes nothing; one that is taken restores again.
   Build: clang -fsanitize=fuzzer,address,undefined. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { fprintf(stderr, "fuzz_config: "); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

/* The same text read line by line with llmres_config_set. */
static int reread(llmres_config_t *c, const char *t, size_t n) {
    size_t at = 0;
    while (at < n) {
        char key[48], value[48];
        size_t end = at, a, b, eq, kl, vl;
        int rc;
        while (end < n && t[end] != '\n') end++;
        a = at; b = end; at = end + 1;
        while (a < b && (t[a] == ' ' || t[a] == '\t')) a++;
        while (b > a && (t[b - 1] == ' ' || t[b - 1] == '\t' || t[b - 1] == '\r')) b--;
        if (a == b || t[a] == '#') continue;
        if (memchr(t + a, 0, b - a)) return LLMRES_ERR_INVALID;
        for (eq = a; eq < b && t[eq] != '='; eq++) {}
        if (eq == b) return LLMRES_ERR_INVALID;
        kl = eq;
        while (kl > a && (t[kl - 1] == ' ' || t[kl - 1] == '\t')) kl--;
        for (eq++; eq < b && (t[eq] == ' ' || t[eq] == '\t'); eq++) {}
        kl -= a; vl = b - eq;
        if (kl >= sizeof(key) || vl >= sizeof(value)) return LLMRES_ERR_INVALID;
        memcpy(key, t + a, kl); key[kl] = 0;
        memcpy(value, t + eq, vl); value[vl] = 0;
        if ((rc = llmres_config_set(c, key, value, NULL, 0)) != LLMRES_OK) return rc;
    }
    return LLMRES_OK;
}

/* A value of digits only: taken as its number when in range for a whole-number key. */
static void digits(const uint8_t *d, size_t n) {
    llmres_config_t c;
    char value[64];
    unsigned long long v = 0;
    size_t i, k;
    int big = 0, rc;
    if (n >= sizeof(value)) n = sizeof(value) - 1;
    for (i = 0; i < n; i++) {
        value[i] = (char)('0' + d[i] % 10u);
        v = v * 10u + d[i] % 10u;
        if (v > 0xFFFFFFFFull) big = 1, v = 0xFFFFFFFFFull;
    }
    value[n] = 0;
    for (k = 0; llmres_config_key((int)k); k++) {
        const char *key = llmres_config_key((int)k);
        uint32_t lo = 0, hi = 0, got;
        size_t j;
        for (j = 0; j < LLMRES__CFGKEYS; j++)
            if (!strcmp(llmres__cfgkeys[j].name, key)) { lo = llmres__cfgkeys[j].min; hi = llmres__cfgkeys[j].max; }
        if (!strcmp(key, "LLM_CACHE")) continue;
        for (j = 0; j < LLMRES__CFGKEYS && strcmp(llmres__cfgkeys[j].name, key); j++) {}
        llmres_config_defaults(&c);
        rc = llmres_config_set(&c, key, value, NULL, 0);
        if (llmres__cfgkeys[j].milli) { /* thousandths */
            if (!big && n && v * 1000u >= lo && v * 1000u <= hi && v * 1000u <= 0xFFFFFFFEull && rc != LLMRES_OK)
                FAIL("%s=%s refused", key, value);
            continue;
        }
        if (n && !big && v >= lo && v <= hi) {
            if (rc != LLMRES_OK) FAIL("%s=%s refused", key, value);
            memcpy(&got, (char *)&c + llmres__cfgkeys[j].offset, sizeof(got));
            if (got != v) FAIL("%s=%s read as %u", key, value, got);
        } else if (rc == LLMRES_OK) {
            FAIL("%s=%s taken (range %u..%u)", key, value, lo, hi);
        }
    }
}

static uint32_t p_now(void *ctx) { (void)ctx; return 123456u; }
static void p_sleep(void *ctx, uint32_t ms) { (void)ctx; (void)ms; }
static int p_open(void *ctx, const char *h, uint16_t p, uint32_t t) { (void)ctx; (void)h; (void)p; (void)t; return LLMRES_ERR_CONNECT; }
static int p_send(void *ctx, int id, const void *b, size_t l, uint32_t t) { (void)ctx; (void)id; (void)b; (void)l; (void)t; return LLMRES_ERR_IO; }
static int p_recv(void *ctx, int id, void *b, size_t l, uint32_t t) { (void)ctx; (void)id; (void)b; (void)l; (void)t; return LLMRES_ERR_IO; }
static void p_close(void *ctx, int id) { (void)ctx; (void)id; }

/* A saved state from the input: refused leaves the client as it was. */
static void restore(const uint8_t *d, size_t n) {
    static llmres_client_t c, before;
    static const llmres_provider_t chain[2] = {
        {LLMRES_PROVIDER_OPENAI, "a.fuzz", 443, 0, NULL, "sk-a", "m", NULL},
        {LLMRES_PROVIDER_OLLAMA, "b.fuzz", 11434, 0, NULL, NULL, "n", NULL}};
    static llmres_port_t port;
    uint8_t snap[LLMRES_SNAPSHOT_MAX];
    int rc, len;
    port.now_ms = p_now; port.sleep_ms = p_sleep;
    port.tcp.open = p_open; port.tcp.send = p_send; port.tcp.recv = p_recv; port.tcp.close = p_close;
    if (llmres_client_init(&c, &port, NULL, NULL, chain, 2) != LLMRES_OK) FAIL("client_init");
    before = c;
    rc = llmres_client_restore(&c, d, n, n ? d[0] * 1000u : LLMRES_UNKNOWN);
    if (rc == LLMRES_ERR_BAD_SNAPSHOT) {
        if (memcmp(&c, &before, offsetof(llmres_client_t, cache))) FAIL("a refused snapshot changed the client");
        return;
    }
    if (rc != LLMRES_OK) FAIL("restore returned %d", rc);
    len = llmres_client_snapshot(&c, snap, sizeof(snap), NULL);
    if (len <= 0 || llmres_client_restore(&c, snap, (size_t)len, 0) != LLMRES_OK) FAIL("a restored state does not restore");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    llmres_config_t a, b;
    char err[200];
    size_t cap;
    int ra, rb;
    llmres_config_defaults(&a);
    llmres_config_defaults(&b);
    cap = size ? data[0] % sizeof(err) : 0;
    memset(err, 'x', sizeof(err));
    ra = llmres_config_parse(&a, (const char *)data, size, err, cap);
    if (ra != LLMRES_OK && cap && !memchr(err, 0, cap)) FAIL("message not terminated within %zu", cap);
    if (err[cap] != 'x') FAIL("message written past %zu", cap);
    rb = reread(&b, (const char *)data, size);
    if (ra != rb || memcmp(&a, &b, sizeof(a))) FAIL("parse %d, line by line %d, or other settings", ra, rb);
    digits(data, size);
    restore(data, size);
    return 0;
}
