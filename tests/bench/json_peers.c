/* Pulling the answer out of an OpenAI chat completion: the text (unescaped to UTF-8), the
   finish reason and the usage, from bodies of 1 KB, 16 KB and 256 KB, by
     llmres      llmres_llm_parse_response (tests/bench/bench_impl.c, its own object)
     llmres-base the same function of an earlier llmres.h (json_base.c, JSON_BASE=...)
     jsmn        jsmn_parse (Debian's libjsmn-dev), then the same fields found and the
                 text unescaped by hand, as a jsmn user does
     cJSON       cJSON_ParseWithLength (Debian's libcjson-dev), the fields looked up and
                 the text copied out, then cJSON_Delete
   Every extractor must give the same answer before anything is timed.
     json_peers              nanoseconds per body (median of 7 runs), one table
     json_peers LIB SIZE N   N extractions only, for callgrind (tests/bench/json_peers.sh) */
#define _POSIX_C_SOURCE 199309L
#include "../../llmres.h"
#include <jsmn.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct answer {
    char text[300000];
    size_t text_len;
    char finish[24];
    uint32_t input_tokens, output_tokens;
} answer_t;

typedef int (*extract_fn)(const char *body, size_t len, answer_t *a);

#ifdef JSON_BASE
int base_extract(const char *body, size_t len, char *text, size_t cap, size_t *text_len, char *finish, uint32_t *in, uint32_t *out);
static int ex_base(const char *body, size_t len, answer_t *a) {
    return base_extract(body, len, a->text, sizeof(a->text), &a->text_len, a->finish, &a->input_tokens, &a->output_tokens);
}
#endif

static int ex_llmres(const char *body, size_t len, answer_t *a) {
    llmres_llm_result_t r;
    int rc;
    r.text = a->text;
    r.text_cap = sizeof(a->text);
    rc = llmres_llm_parse_response(llmres_wire_get(LLMRES_PROVIDER_OPENAI), body, len, &r);
    a->text_len = r.text_len;
    memcpy(a->finish, r.finish, sizeof(a->finish));
    a->input_tokens = r.input_tokens;
    a->output_tokens = r.output_tokens;
    return rc;
}

/* ---- jsmn: tokens, then the fields by hand ---- */
static size_t jsmn_skip(const jsmntok_t *t, size_t i) { /* the token after t[i]'s whole value */
    int n = 1;
    while (n > 0) {
        n += t[i].type == JSMN_OBJECT ? 2 * t[i].size : t[i].type == JSMN_ARRAY ? t[i].size : 0;
        n--;
        i++;
    }
    return i;
}

static size_t jsmn_get(const char *js, const jsmntok_t *t, size_t obj, const char *key) { /* 0: none */
    size_t i = obj + 1, k, kl = strlen(key);
    if (t[obj].type != JSMN_OBJECT) return 0;
    for (k = 0; k < (size_t)t[obj].size; k++) {
        if ((size_t)(t[i].end - t[i].start) == kl && !memcmp(js + t[i].start, key, kl)) return i + 1;
        i = jsmn_skip(t, i + 1);
    }
    return 0;
}

static unsigned hex4(const char *s) {
    unsigned v = 0, i;
    for (i = 0; i < 4; i++) v = v * 16 + (unsigned)(s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
    return v;
}

static size_t put_utf8(char *d, unsigned cp) {
    if (cp < 0x80) { d[0] = (char)cp; return 1; }
    if (cp < 0x800) { d[0] = (char)(0xC0 | cp >> 6); d[1] = (char)(0x80 | (cp & 63)); return 2; }
    if (cp < 0x10000) { d[0] = (char)(0xE0 | cp >> 12); d[1] = (char)(0x80 | (cp >> 6 & 63)); d[2] = (char)(0x80 | (cp & 63)); return 3; }
    d[0] = (char)(0xF0 | cp >> 18); d[1] = (char)(0x80 | (cp >> 12 & 63)); d[2] = (char)(0x80 | (cp >> 6 & 63)); d[3] = (char)(0x80 | (cp & 63));
    return 4;
}

static size_t unescape(const char *s, size_t n, char *d) {
    size_t i = 0, o = 0;
    while (i < n) {
        if (s[i] != '\\') { d[o++] = s[i++]; continue; }
        switch (s[i + 1]) {
        case 'n': d[o++] = '\n'; break;
        case 't': d[o++] = '\t'; break;
        case 'r': d[o++] = '\r'; break;
        case 'b': d[o++] = '\b'; break;
        case 'f': d[o++] = '\f'; break;
        case 'u': {
            unsigned cp = hex4(s + i + 2);
            if (cp >= 0xD800 && cp < 0xDC00 && s[i + 6] == '\\') { cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(s + i + 8) - 0xDC00); i += 6; }
            o += put_utf8(d + o, cp);
            i += 4;
            break;
        }
        default: d[o++] = s[i + 1];
        }
        i += 2;
    }
    d[o] = 0;
    return o;
}

static int ex_jsmn(const char *js, size_t len, answer_t *a) {
    jsmntok_t t[256];
    jsmn_parser p;
    size_t choice, msg, v;
    jsmn_init(&p);
    if (jsmn_parse(&p, js, len, t, 256) < 1) return -1;
    if ((v = jsmn_get(js, t, 0, "choices")) && t[v].type == JSMN_ARRAY && t[v].size > 0) {
        choice = v + 1;
        if ((msg = jsmn_get(js, t, choice, "message")) && (v = jsmn_get(js, t, msg, "content")) && t[v].type == JSMN_STRING)
            a->text_len = unescape(js + t[v].start, (size_t)(t[v].end - t[v].start), a->text);
        if ((v = jsmn_get(js, t, choice, "finish_reason")) && t[v].type == JSMN_STRING) {
            size_t n = (size_t)(t[v].end - t[v].start);
            memcpy(a->finish, js + t[v].start, n < 23 ? n : 23);
            a->finish[n < 23 ? n : 23] = 0;
        }
    }
    if ((v = jsmn_get(js, t, 0, "usage"))) {
        size_t u = v;
        if ((v = jsmn_get(js, t, u, "prompt_tokens"))) a->input_tokens = (uint32_t)strtoul(js + t[v].start, NULL, 10);
        if ((v = jsmn_get(js, t, u, "completion_tokens"))) a->output_tokens = (uint32_t)strtoul(js + t[v].start, NULL, 10);
    }
    return 0;
}

/* ---- cJSON: a tree on the heap ---- */
static int ex_cjson(const char *js, size_t len, answer_t *a) {
    cJSON *root = cJSON_ParseWithLength(js, len), *choice, *v, *usage;
    if (!root) return -1;
    choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
    v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(choice, "message"), "content");
    if (cJSON_IsString(v)) {
        a->text_len = strlen(v->valuestring);
        memcpy(a->text, v->valuestring, a->text_len + 1);
    }
    v = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        memcpy(a->finish, v->valuestring, n < 23 ? n : 23);
        a->finish[n < 23 ? n : 23] = 0;
    }
    usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens"))) a->input_tokens = (uint32_t)v->valueint;
    if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens"))) a->output_tokens = (uint32_t)v->valueint;
    cJSON_Delete(root);
    return 0;
}

/* ---- the bodies ---- */
static char bodies[3][270000];
static size_t body_len[3];
static const size_t sizes[3] = {1024, 16384, 262144};

/* A completion of about `size` bytes: prose with what answers hold (line breaks, quotes,
   accents as UTF-8 and as \u escapes, an emoji as a surrogate pair), in the envelope
   OpenAI sends (tests/vectors/openai_200_chat.http). */
static size_t make_body(char *b, size_t size) {
    static const char *const piece[] = {
        "The sensor on the gateway reads 21.5 degrees; ", "humidity holds near 40 percent.\\n",
        "It said \\\"all clear\\\" at noon \\u2014 ", "caf\xC3\xA9 au lait at the edge, ", "launch \\ud83d\\ude80 confirmed, ",
        "and the next report comes in five minutes. ", "Na\xC3\xAFve retries make \xE2\x80\x9Cstorms\xE2\x80\x9D worse.\\n"};
    static const char head[] = "{\"id\":\"chatcmpl-AbC123\",\"object\":\"chat.completion\",\"created\":1795341600,"
                               "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"";
    static const char tail[] = "\",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                               "\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":12,\"total_tokens\":31,"
                               "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
                               "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
                               "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}},"
                               "\"service_tier\":\"default\",\"system_fingerprint\":\"fp_0aa8d3e20b\"}";
    size_t n = sizeof(head) - 1, k = 0;
    memcpy(b, head, n);
    while (n + strlen(piece[k % 7]) + sizeof(tail) - 1 <= size) {
        memcpy(b + n, piece[k % 7], strlen(piece[k % 7]));
        n += strlen(piece[k % 7]);
        k++;
    }
    memcpy(b + n, tail, sizeof(tail) - 1);
    return n + sizeof(tail) - 1;
}

static const struct { const char *name; extract_fn fn; } libs[] = {
    {"llmres", ex_llmres},
#ifdef JSON_BASE
    {"llmres-base", ex_base},
#endif
    {"jsmn", ex_jsmn},
    {"cJSON", ex_cjson}};
#define NLIBS (sizeof(libs) / sizeof(libs[0]))

static answer_t got, want;
static volatile size_t sink;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Every extractor gives the answer llmres gives. */
static int agree(void) {
    size_t s, l;
    for (s = 0; s < 3; s++) {
        memset(&want, 0, sizeof(want));
        if (ex_llmres(bodies[s], body_len[s], &want) != 0 || want.text_len < sizes[s] / 3 || strcmp(want.finish, "stop") ||
            want.input_tokens != 19 || want.output_tokens != 12)
            return fprintf(stderr, "llmres did not read the %u-byte body\n", (unsigned)body_len[s]), 0;
        for (l = 1; l < NLIBS; l++) {
            memset(&got, 0, sizeof(got));
            if (libs[l].fn(bodies[s], body_len[s], &got) != 0 || got.text_len != want.text_len ||
                memcmp(got.text, want.text, want.text_len) || strcmp(got.finish, want.finish) ||
                got.input_tokens != want.input_tokens || got.output_tokens != want.output_tokens)
                return fprintf(stderr, "%s disagrees on the %u-byte body\n", libs[l].name, (unsigned)body_len[s]), 0;
        }
    }
    return 1;
}

static void run(extract_fn fn, size_t s, long n) {
    long i;
    for (i = 0; i < n; i++) {
        fn(bodies[s], body_len[s], &got);
        sink += got.text_len;
    }
}

int main(int argc, char **argv) {
    size_t s, l;
    for (s = 0; s < 3; s++) body_len[s] = make_body(bodies[s], sizes[s]);
    if (!agree()) return 1;
    if (argc == 4) { /* LIB SIZE N */
        for (l = 0; l < NLIBS && strcmp(libs[l].name, argv[1]); l++) {}
        for (s = 0; s < 3 && sizes[s] != (size_t)atol(argv[2]); s++) {}
        if (l == NLIBS || s == 3) return fprintf(stderr, "unknown library or size\n"), 2;
        run(libs[l].fn, s, atol(argv[3]));
        return 0;
    }
    printf("| body | %s", libs[0].name);
    for (l = 1; l < NLIBS; l++) printf(" | %s", libs[l].name);
    printf(" |\n|---|");
    for (l = 0; l < NLIBS; l++) printf("---:|");
    printf("\n");
    for (s = 0; s < 3; s++) {
        long n = (long)(64u * 1024 * 1024 / body_len[s]); /* 64 MB a run */
        printf("| %u B |", (unsigned)body_len[s]);
        for (l = 0; l < NLIBS; l++) {
            double t[7];
            int r;
            run(libs[l].fn, s, n / 8 + 1); /* warm up */
            for (r = 0; r < 7; r++) {
                double t0 = now_ns();
                run(libs[l].fn, s, n);
                t[r] = (now_ns() - t0) / (double)n;
            }
            qsort(t, 7, sizeof(t[0]), cmp_double);
            printf(" %.0f ns |", t[3]);
        }
        printf("\n");
    }
    return 0;
}
