/* A small strict JSON checker for the fuzz targets (RFC 8259: one value, the number
   grammar, every escape, no raw control character, UTF-8 of strings checked unless
   `utf8` is 0), written apart from llmres.h's reader so that the two do not share a bug.
   jc_check returns 1 when the document is valid; each string value (not key) it reads
   is handed, decoded to UTF-8, to jc_value when that is set. Iterative: an explicit
   stack of JC_DEPTH levels. */
#ifndef FUZZ_JSON_CHECK_H
#define FUZZ_JSON_CHECK_H
#include <stddef.h>
#include <stdint.h>

#define JC_DEPTH 64
static void (*jc_value)(const char *s, size_t n);
static char jc_buf[65536];

static size_t jc_ws(const char *s, size_t n, size_t i) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

/* Length of the valid UTF-8 sequence at s (n left), 0 if invalid. */
static size_t jc_utf8(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len, k;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[k] & 0x3Fu);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

static int jc_hex4(const char *s, uint32_t *v) {
    int k;
    *v = 0;
    for (k = 0; k < 4; k++) {
        char c = s[k];
        uint32_t d = c >= '0' && c <= '9' ? (uint32_t)(c - '0') : c >= 'a' && c <= 'f' ? (uint32_t)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (uint32_t)(c - 'A' + 10) : 99u;
        if (d > 15) return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

static size_t jc_put(size_t at, uint32_t cp) {
    if (at + 4 > sizeof(jc_buf)) return at;
    if (cp < 0x80) jc_buf[at++] = (char)cp;
    else if (cp < 0x800) { jc_buf[at++] = (char)(0xC0 | cp >> 6); jc_buf[at++] = (char)(0x80 | (cp & 63)); }
    else if (cp < 0x10000) {
        jc_buf[at++] = (char)(0xE0 | cp >> 12); jc_buf[at++] = (char)(0x80 | (cp >> 6 & 63));
        jc_buf[at++] = (char)(0x80 | (cp & 63));
    } else {
        jc_buf[at++] = (char)(0xF0 | cp >> 18); jc_buf[at++] = (char)(0x80 | (cp >> 12 & 63));
        jc_buf[at++] = (char)(0x80 | (cp >> 6 & 63)); jc_buf[at++] = (char)(0x80 | (cp & 63));
    }
    return at;
}

/* A string at s[i] == '"': the index after it, or 0 when invalid. */
static size_t jc_string(const char *s, size_t n, size_t i, int utf8, int is_value) {
    size_t out = 0;
    i++;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            if (is_value && jc_value) jc_value(jc_buf, out);
            return i + 1;
        }
        if (c < 0x20) return 0;
        if (c == '\\') {
            uint32_t cp, lo;
            if (++i >= n) return 0;
            switch (s[i]) {
            case '"': case '\\': case '/': out = jc_put(out, (unsigned char)s[i]); i++; continue;
            case 'b': out = jc_put(out, 8); i++; continue;
            case 'f': out = jc_put(out, 12); i++; continue;
            case 'n': out = jc_put(out, 10); i++; continue;
            case 'r': out = jc_put(out, 13); i++; continue;
            case 't': out = jc_put(out, 9); i++; continue;
            case 'u': break;
            default: return 0;
            }
            if (n - i < 5 || !jc_hex4(s + i + 1, &cp)) return 0;
            i += 5;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* a high surrogate needs its low one */
                if (n - i < 6 || s[i] != '\\' || s[i + 1] != 'u' || !jc_hex4(s + i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                {
                    if (utf8) return 0;
                    out = jc_put(out, cp);
                    continue;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF && utf8) {
                return 0;
            }
            out = jc_put(out, cp);
            continue;
        }
        if (c >= 0x80) {
            size_t len = jc_utf8((const unsigned char *)s + i, n - i);
            if (!len) {
                if (utf8) return 0;
                len = 1;
            }
            while (len--) if (out < sizeof(jc_buf)) jc_buf[out++] = s[i++]; else i++;
            continue;
        }
        if (out < sizeof(jc_buf)) jc_buf[out++] = (char)c;
        i++;
    }
    return 0;
}

static size_t jc_number(const char *s, size_t n, size_t i) {
    size_t start;
    if (i < n && s[i] == '-') i++;
    if (i >= n) return 0;
    if (s[i] == '0') i++;
    else if (s[i] >= '1' && s[i] <= '9') while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    else return 0;
    if (i < n && s[i] == '.') {
        start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == start) return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == start) return 0;
    }
    return i;
}

static size_t jc_literal(const char *s, size_t n, size_t i, const char *lit) {
    size_t k = 0;
    while (lit[k]) { if (i + k >= n || s[i + k] != lit[k]) return 0; k++; }
    return i + k;
}

static int jc_check(const char *s, size_t n, int utf8) {
    char stack[JC_DEPTH]; /* '{' or '[' */
    int depth = 0;
    size_t i = jc_ws(s, n, 0);
    for (;;) { /* at a value */
        if (i >= n) return 0;
        if (s[i] == '{' || s[i] == '[') {
            if (depth == JC_DEPTH) return 0;
            stack[depth++] = s[i];
            i = jc_ws(s, n, i + 1);
            if (i < n && s[i] == (stack[depth - 1] == '{' ? '}' : ']')) { depth--; i++; goto after_value; }
            if (stack[depth - 1] == '{') goto member;
            continue;
        }
        if (s[i] == '"') i = jc_string(s, n, i, utf8, 1);
        else if (s[i] == 't') i = jc_literal(s, n, i, "true");
        else if (s[i] == 'f') i = jc_literal(s, n, i, "false");
        else if (s[i] == 'n') i = jc_literal(s, n, i, "null");
        else i = jc_number(s, n, i);
        if (!i) return 0;
    after_value:
        i = jc_ws(s, n, i);
        if (!depth) return i == n;
        if (i >= n) return 0;
        if (s[i] == ',') {
            i = jc_ws(s, n, i + 1);
            if (stack[depth - 1] == '[') continue;
            goto member;
        }
        if (s[i] != (stack[depth - 1] == '{' ? '}' : ']')) return 0;
        depth--;
        i++;
        goto after_value;
    member: /* at an object's key */
        if (i >= n || s[i] != '"' || !(i = jc_string(s, n, i, utf8, 0))) return 0;
        i = jc_ws(s, n, i);
        if (i >= n || s[i] != ':') return 0;
        i = jc_ws(s, n, i + 1);
    }
}
#endif
