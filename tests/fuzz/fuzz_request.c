/* libFuzzer target for what llmres writes: the request JSON (llmres_llm_write_request)
   and the request head (llmres_http_write_head), from hostile strings: quotes,
   backslashes, control bytes, invalid UTF-8, long runs. Input: a flags byte (row, stream,
   system), a temperature byte, max_tokens, the buffer size, then NUL-separated strings
   (model, system, then role/content pairs). Asserted:
   - the JSON is valid by a strict checker of its own (tests/fuzz/json_check.h), and every
     string given comes back out of it unchanged;
   - a buffer too small gives TOO_LARGE, never a cut document, never a write past cap;
     one large enough gives the same bytes;
   - a head with CR, LF or NUL in any field is refused; one accepted is a request line,
     header lines "name: value" and an empty line, with no bare CR or LF.
   Invalid UTF-8 in a string becomes U+FFFD: the output is always valid UTF-8, and the
   strings come back byte for byte when the input was valid UTF-8.
   Build: clang -fsanitize=fuzzer,address,undefined. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "json_check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { fprintf(stderr, "fuzz_request: "); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)
#define MAXS 10

static const char *want[MAXS];
static size_t nwant;
static unsigned found;

static void seen(const char *s, size_t n) {
    size_t i;
    for (i = 0; i < nwant; i++)
        if (strlen(want[i]) == n && !memcmp(want[i], s, n)) found |= 1u << i;
}

static int valid_utf8(const char *s) {
    size_t n = strlen(s), i = 0;
    while (i < n) {
        size_t k = jc_utf8((const unsigned char *)s + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

static void check_json(const llmres_llm_request_t *r, int all_utf8) {
    static char full[1 << 17];
    char *small;
    int n, m;
    size_t cap;
    n = llmres_llm_write_request(r, full, sizeof(full));
    if (n == LLMRES_ERR_INVALID) return;
    if (n < 0) FAIL("write_request returned %d", n);
    found = 0;
    jc_value = seen;
    if (!jc_check(full, (size_t)n, 1)) FAIL("not valid JSON: %.*s", n, full);
    jc_value = NULL;
    if (all_utf8 && found != (1u << nwant) - 1u) FAIL("a string did not come back (found %x of %zu)", found, nwant);
    /* smaller buffers: TOO_LARGE below n, the same bytes from n on */
    for (cap = 0; cap <= (size_t)n + 1; cap += cap < 8 ? 1 : (size_t)n / 7 + 1) {
        small = (char *)malloc(cap ? cap : 1);
        m = llmres_llm_write_request(r, small, cap);
        if (cap < (size_t)n ? m != LLMRES_ERR_TOO_LARGE : (m != n || memcmp(small, full, (size_t)n)))
            FAIL("cap %zu: %d, the whole is %d", cap, m, n);
        free(small);
    }
}

static void check_head(const char **s, size_t ns, uint8_t flags) {
    static char buf[4096];
    llmres_http_header_t h[3];
    llmres_http_request_t q;
    size_t i, k, lines = 0;
    int n, bad = 0;
    memset(&q, 0, sizeof(q));
    q.method = flags & 1 ? "POST" : "GET";
    q.host = s[0];
    q.path = ns > 1 ? s[1] : "/";
    for (k = 0; k < 3 && 2 + 2 * k + 1 < ns; k++) { h[k].name = s[2 + 2 * k]; h[k].value = s[3 + 2 * k]; }
    q.headers = h;
    q.header_count = k;
    q.body = "{}";
    q.body_len = flags & 2 ? 2 : 0;
    for (i = 0; i < ns && i < 2 + 2 * k; i++) bad |= strpbrk(s[i], "\r\n") != NULL;
    n = llmres_http_write_head(&q, buf, sizeof(buf));
    if (bad && n >= 0) FAIL("a CR or LF in a field was written");
    if (n < 0) return;
    if (n < 4 || memcmp(buf + n - 4, "\r\n\r\n", 4)) FAIL("the head does not end with an empty line");
    for (i = 0; i < (size_t)n; i++) {
        if (buf[i] == 0) FAIL("NUL in the head");
        if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r')) FAIL("a bare LF in the head");
        if (buf[i] == '\r' && (i + 1 == (size_t)n || buf[i + 1] != '\n')) FAIL("a bare CR in the head");
        lines += buf[i] == '\n';
    }
    if (lines < 3 + k) FAIL("%zu lines for %zu headers", lines, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char copy[1 << 16];
    const char *s[2 * MAXS];
    llmres_llm_message_t msg[4];
    llmres_llm_request_t r;
    size_t ns = 0, at, i;
    int all_utf8 = 1;
    if (size < 4 || size - 4 >= sizeof(copy)) return 0;
    memcpy(copy, data + 4, size - 4);
    copy[size - 4] = 0;
    for (at = 0; at <= size - 4 && ns < 2 * MAXS; ) { /* NUL-separated strings */
        s[ns++] = copy + at;
        at += strlen(copy + at) + 1;
    }
    if (ns < 3) return 0;
    memset(&r, 0, sizeof(r));
    r.wire = llmres_wire_get(data[0] & 3);
    r.stream = (data[0] >> 2) & 1;
    r.temperature_milli = data[1] == 255 ? -1 : (int32_t)data[1] * 8;
    r.max_tokens = data[2] == 255 ? 0xFFFFFFFFu : (uint32_t)data[2] * (data[3] | 1u) * 97u;
    r.model = s[0];
    r.system = data[0] & 8 ? s[1] : NULL;
    nwant = 0;
    want[nwant++] = r.model;
    if (r.system) want[nwant++] = r.system;
    for (i = 0; 2 + 2 * i + 1 < ns && i < 4; i++) {
        msg[i].role = s[2 + 2 * i];
        msg[i].content = s[3 + 2 * i];
        want[nwant++] = msg[i].role;
        want[nwant++] = msg[i].content;
    }
    if (!i) return 0;
    r.messages = msg;
    r.message_count = i;
    for (at = 0; at < nwant; at++) all_utf8 &= valid_utf8(want[at]);
    check_json(&r, all_utf8);
    check_head(s, ns, data[0] >> 4);
    return 0;
}
