/* libFuzzer target for everything llmres parses from the network: the HTTP response
   parser (fed in pieces whose sizes come from the input, so any split is tried, and
   compared with one whole feed), the header-value parsers, the JSON reader of each
   provider's responses, and the stream reader (whole and split, which must agree).
   Seeded with the provider vectors (tests/vectors) by tests/run.sh and make fuzz.
   Build: clang -fsanitize=fuzzer,address,undefined. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include <stdlib.h>
#include <string.h>

static llmres_http_response_t a, b;
static uint8_t body_a[512], body_b[512];
static char text[64];
static char text_b[64], event_a[256], event_b[256];
static char pieces_a[4096], pieces_b[4096];
static size_t plen_a, plen_b;

/* Gathers what on_text was given, to compare two feeds of the same stream. */
static void gather(void *user, const char *t, size_t n) {
    char *dst = user == (void *)pieces_a ? pieces_a : pieces_b;
    size_t *len = user == (void *)pieces_a ? &plen_a : &plen_b;
    if (!t || !n) abort(); /* the reader never starts over: only the client does */
    if (*len + n <= sizeof(pieces_a)) memcpy(dst + *len, t, n);
    *len += n;
}

/* The stream reader over the same bytes fed whole and in steps: the same outcome. */
static void fuzz_stream(int provider, const uint8_t *data, size_t size, size_t step) {
    static llmres_llm_stream_t sa, sb;
    llmres_llm_result_t ra, rb;
    size_t at;
    int ea, eb;
    memset(&ra, 0, sizeof(ra));
    memset(&rb, 0, sizeof(rb));
    ra.text = text; ra.text_cap = sizeof(text);
    rb.text = text_b; rb.text_cap = sizeof(text_b);
    plen_a = plen_b = 0;
    if (llmres_llm_stream_init(&sa, llmres_wire_get(provider), event_a, sizeof(event_a), &ra) != LLMRES_OK ||
        llmres_llm_stream_init(&sb, llmres_wire_get(provider), event_b, sizeof(event_b), &rb) != LLMRES_OK)
        abort();
    sa.on_text = sb.on_text = gather;
    sa.user = pieces_a;
    sb.user = pieces_b;
    sa.keep_text = sb.keep_text = (uint8_t)(step & 1u);
    llmres_llm_stream_feed(&sa, data, size);
    for (at = 0; at < size; at += step) llmres_llm_stream_feed(&sb, data + at, size - at < step ? size - at : step);
    ea = llmres_llm_stream_end(&sa);
    eb = llmres_llm_stream_end(&sb);
    if (ea != eb || sa.done != sb.done || sa.failed != sb.failed || sa.events != sb.events ||
        ra.text_len != rb.text_len || plen_a != plen_b ||
        (plen_a <= sizeof(pieces_a) && memcmp(pieces_a, pieces_b, plen_a) != 0) ||
        (sa.keep_text && ra.text_len >= sizeof(text)) || /* kept text fits; scratch text_len counts all */
        strcmp(ra.finish, rb.finish) != 0 || strcmp(ra.error_type, rb.error_type) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t at = 0, used = 0, step;
    int ra, rb = 0;
    if (size < 1) return 0;
    step = (size_t)data[0] % 17u + 1u; /* the split to try */
    data++;
    size--;
    llmres_http_response_init(&a, body_a, sizeof(body_a), NULL, NULL, 0);
    ra = llmres_http_parse(&a, data, size, &used);
    if (ra == 0) ra = llmres_http_parse_eof(&a);
    llmres_http_response_init(&b, body_b, sizeof(body_b), NULL, NULL, 0);
    while (at < size && rb == 0) {
        size_t n = size - at < step ? size - at : step;
        rb = llmres_http_parse(&b, data + at, n, &used);
        at += used;
    }
    if (rb == 0) rb = llmres_http_parse_eof(&b);
    /* the same result for any split; the body never outgrows its buffer */
    /* (an error may come after different amounts of body: pieces arrive differently) */
    if (ra != rb || a.status != b.status || a.body_len > sizeof(body_a) || b.body_len > sizeof(body_b) ||
        (ra == 1 && (a.body_len != b.body_len || memcmp(body_a, body_b, a.body_len) != 0 ||
                     memcmp(&a.hints, &b.hints, sizeof(a.hints)) != 0)))
        abort();
    if (ra < 0 && llmres_http_parse(&a, "x", 1, NULL) != ra) abort(); /* errors stick */
    /* the value parsers on the raw bytes */
    llmres_parse_duration_ms((const char *)data, size);
    llmres_parse_http_date((const char *)data, size);
    llmres_parse_rfc3339((const char *)data, size);
    llmres_parse_uint((const char *)data, size);
    /* the JSON reader, on the raw bytes and on the body the parser gave */
    {
        int provider;
        for (provider = LLMRES_PROVIDER_OPENAI; provider <= LLMRES_PROVIDER_OLLAMA; provider++) {
            llmres_llm_result_t r;
            memset(&r, 0, sizeof(r));
            r.text = text;
            r.text_cap = sizeof(text);
            llmres_llm_parse_response(llmres_wire_get(provider), data, size, &r);
            if (r.text_len >= sizeof(text) || strlen(r.error_message) >= sizeof(r.error_message)) abort();
            llmres_classify(a.status, &a.hints, &r);
            if (ra == 1) llmres_llm_parse_response(llmres_wire_get(provider), body_a, a.body_len, &r);
            fuzz_stream(provider, data, size, step);
        }
    }
    return 0;
}
