/* libFuzzer target for llmres's JSON reader and request writer, against a reference
   written here the plain way (recursive descent, RFC 8259 and RFC 3629, the same depth
   limit, lone surrogate escapes allowed):
   - the reader accepts a body exactly when the reference does, and what it reads as text
     is well-formed UTF-8;
   - the writer, given the input as a prompt, always writes JSON the reference accepts,
     and the strict reader gives back the prompt itself when it was well-formed UTF-8.
   Build: clang -fsanitize=fuzzer,address,undefined. make fuzz-json runs it longer. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include <stdlib.h>
#include <string.h>

typedef struct { const unsigned char *s; size_t n, i; int depth; } ref_t;

static int ref_value(ref_t *r);
static void ref_ws(ref_t *r) {
    while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' || r->s[r->i] == '\r')) r->i++;
}
static int ref_eat(ref_t *r, char c) {
    if (r->i < r->n && r->s[r->i] == (unsigned char)c) { r->i++; return 1; }
    return 0;
}
static int ref_digits(ref_t *r) {
    size_t start = r->i;
    while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9') r->i++;
    return r->i > start;
}
static int ref_number(ref_t *r) {
    ref_eat(r, '-');
    if (ref_eat(r, '0')) {
    } else if (r->i < r->n && r->s[r->i] >= '1' && r->s[r->i] <= '9') {
        ref_digits(r);
    } else {
        return 0;
    }
    if (ref_eat(r, '.') && !ref_digits(r)) return 0;
    if (ref_eat(r, 'e') || ref_eat(r, 'E')) {
        if (!ref_eat(r, '+')) ref_eat(r, '-');
        if (!ref_digits(r)) return 0;
    }
    return 1;
}
/* One UTF-8 character at s[*i] (>= 0x80): decoded, then checked for its shortest form. */
static int ref_utf8(const unsigned char *s, size_t n, size_t *i) {
    unsigned c = s[*i], cp, k, len, min;
    if (c >= 0xF0 && c <= 0xF7) { len = 4; cp = c & 7; min = 0x10000; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 15; min = 0x800; }
    else if (c >= 0xC0 && c <= 0xDF) { len = 2; cp = c & 31; min = 0x80; }
    else return 0;
    for (k = 1; k < len; k++) {
        if (*i + k >= n || (s[*i + k] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[*i + k] & 63);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    *i += len;
    return 1;
}
static int ref_string(ref_t *r) {
    if (!ref_eat(r, '"')) return 0;
    for (;;) {
        unsigned char c;
        if (r->i >= r->n) return 0;
        c = r->s[r->i];
        if (c == '"') { r->i++; return 1; }
        if (c < 0x20) return 0;
        if (c >= 0x80) { if (!ref_utf8(r->s, r->n, &r->i)) return 0; continue; }
        r->i++;
        if (c != '\\') continue;
        if (r->i >= r->n) return 0;
        c = r->s[r->i++];
        if (c == 'u') {
            int k;
            for (k = 0; k < 4; k++, r->i++)
                if (r->i >= r->n || !strchr("0123456789abcdefABCDEF", r->s[r->i]) || !r->s[r->i]) return 0;
        } else if (!c || !strchr("\"\\/bfnrt", c)) {
            return 0;
        }
    }
}
static int ref_container(ref_t *r, char open, char close) {
    if (!ref_eat(r, open)) return 0;
    if (++r->depth > LLMRES_JSON_MAX_DEPTH) return 0;
    ref_ws(r);
    if (!ref_eat(r, close)) {
        do {
            ref_ws(r);
            if (open == '{') {
                if (!ref_string(r)) return 0;
                ref_ws(r);
                if (!ref_eat(r, ':')) return 0;
            }
            if (!ref_value(r)) return 0;
            ref_ws(r);
        } while (ref_eat(r, ','));
        if (!ref_eat(r, close)) return 0;
    }
    r->depth--;
    return 1;
}
static int ref_word(ref_t *r, const char *w) {
    size_t k = strlen(w);
    if (r->n - r->i < k || memcmp(r->s + r->i, w, k)) return 0;
    r->i += k;
    return 1;
}
static int ref_value(ref_t *r) {
    ref_ws(r);
    if (r->i >= r->n) return 0;
    switch (r->s[r->i]) {
    case '{': return ref_container(r, '{', '}');
    case '[': return ref_container(r, '[', ']');
    case '"': return ref_string(r);
    case 't': return ref_word(r, "true");
    case 'f': return ref_word(r, "false");
    case 'n': return ref_word(r, "null");
    default: return ref_number(r);
    }
}
static int ref_valid(const void *s, size_t n) {
    ref_t r;
    r.s = (const unsigned char *)s;
    r.n = n;
    r.i = 0;
    r.depth = 0;
    if (!ref_value(&r)) return 0;
    ref_ws(&r);
    return r.i == n;
}
static int well_formed(const char *s, size_t n) {
    size_t i = 0;
    while (i < n)
        if ((unsigned char)s[i] < 0x80) i++;
        else if (!ref_utf8((const unsigned char *)s, n, &i)) return 0;
    return 1;
}

static char text[256], req[32768], prompt[1024];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const llmres_wire_field_t back[] = {{"messages.0.content", LLMRES_FIELD_TEXT}, {NULL, 0}};
    llmres_wire_t row = *llmres_wire_get(LLMRES_PROVIDER_OPENAI);
    llmres_llm_result_t r;
    llmres_llm_message_t m;
    llmres_llm_request_t q;
    int provider, rc, n;
    size_t len;
    for (provider = 0; provider < LLMRES_PROVIDER_COUNT; provider++) {
        memset(&r, 0, sizeof(r));
        r.text = text;
        r.text_cap = sizeof(text);
        rc = llmres_llm_parse_response(llmres_wire_get(provider), data, size, &r);
        if ((rc == LLMRES_OK || rc == LLMRES_ERR_TOO_LARGE) != ref_valid(data, size)) abort();
        if (rc != LLMRES_OK && rc != LLMRES_ERR_TOO_LARGE && rc != LLMRES_ERR_BAD_BODY) abort();
        if (rc == LLMRES_OK && (r.text_len >= sizeof(text) || !well_formed(text, r.text_len))) abort();
        if (rc == LLMRES_ERR_BAD_BODY && (r.answered || r.text_len)) abort(); /* never an answer */
    }
    /* the writer: the input as a prompt (to its first NUL) */
    len = size < sizeof(prompt) - 1 ? size : sizeof(prompt) - 1;
    memcpy(prompt, data, len);
    prompt[len] = 0;
    len = strlen(prompt);
    memset(&q, 0, sizeof(q));
    m.role = "user";
    m.content = prompt;
    q.wire = &row;
    q.model = prompt;
    q.system = prompt;
    q.messages = &m;
    q.message_count = 1;
    q.temperature_milli = -1;
    n = llmres_llm_write_request(&q, req, sizeof(req));
    if (n <= 0 || !ref_valid(req, (size_t)n)) abort();
    row.answer = back;
    memset(&r, 0, sizeof(r));
    r.text = req + n; /* room after the request */
    r.text_cap = sizeof(req) - (size_t)n;
    rc = llmres_llm_parse_response(&row, req, (size_t)n, &r);
    if (rc != LLMRES_OK || !well_formed(r.text, r.text_len)) abort();
    if (well_formed(prompt, len) && (r.text_len != len || memcmp(r.text, prompt, len))) abort();
    return 0;
}
