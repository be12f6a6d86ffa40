/* HTTP/1.1 layer: the response parser on the provider vectors (tests/vectors) (whole, byte by
   byte, and split at every point), malformed responses, the header-value parsers, and
   the request writer. The client over a fake transport is in tests/unit/http_client.c. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../test.h"
#include <stdlib.h>
#include <string.h>

#define U LLMRES_UNKNOWN

static char raw[16384];
static size_t raw_len;

static int load(const char *name) {
    FILE *f = t_open_vector(name);
    if (!f) return 0;
    raw_len = fread(raw, 1, sizeof(raw), f);
    fclose(f);
    return raw_len > 0;
}

static llmres_http_response_t whole, piece;
static uint8_t body_whole[8192], body_piece[8192];

/* Parses raw in pieces of `step` bytes (0: at one split point `split`). */
static int parse_split(llmres_http_response_t *r, uint8_t *body, size_t step, size_t split) {
    size_t at = 0, used;
    int rc = 0;
    llmres_http_response_init(r, body, 8192, NULL, NULL, 0);
    while (at < raw_len) {
        size_t n = step ? step : (at < split ? split - at : raw_len - at);
        if (n > raw_len - at) n = raw_len - at;
        rc = llmres_http_parse(r, raw + at, n, &used);
        if (rc != 0) { at += used; break; }
        if (used != n) return -1000; /* needs more data but did not take all */
        at += n;
    }
    if (rc == 0) rc = llmres_http_parse_eof(r);
    return rc;
}

static int same(const llmres_http_response_t *a, const uint8_t *ab, const llmres_http_response_t *b, const uint8_t *bb) {
    return a->status == b->status && a->body_len == b->body_len && memcmp(ab, bb, a->body_len) == 0 &&
           a->flags == b->flags && memcmp(&a->hints, &b->hints, sizeof(a->hints)) == 0;
}

/* Whole, byte by byte, 7 at a time and split at every point: all the same. */
static int parse_every_way(const char *name) {
    size_t split;
    int rc;
    if (!load(name)) return 0;
    rc = parse_split(&whole, body_whole, raw_len, 0);
    if (rc != 1) { printf("  %s: whole parse gave %d\n", name, rc); return 0; }
    if (parse_split(&piece, body_piece, 1, 0) != 1 || !same(&whole, body_whole, &piece, body_piece)) {
        printf("  %s: byte-by-byte differs\n", name);
        return 0;
    }
    if (parse_split(&piece, body_piece, 7, 0) != 1 || !same(&whole, body_whole, &piece, body_piece)) {
        printf("  %s: 7-byte pieces differ\n", name);
        return 0;
    }
    for (split = 1; split < raw_len; split++)
        if (parse_split(&piece, body_piece, 0, split) != 1 || !same(&whole, body_whole, &piece, body_piece)) {
            printf("  %s: split at %u differs\n", name, (unsigned)split);
            return 0;
        }
    return 1;
}

static void check_rl(const llmres_ratelimit_t *rl, uint32_t limit, uint32_t remaining, uint32_t reset_ms) {
    CHECK_EQ(rl->limit, limit);
    CHECK_EQ(rl->remaining, remaining);
    CHECK_EQ(rl->reset_ms, reset_ms);
}

static void vector_openai_200_chat(void) {
    const char *start = "{\"id\":\"chatcmpl-AbC123\"";
    CHECK(parse_every_way("openai_200_chat.http"));
    CHECK_EQ(whole.status, 200);
    CHECK(whole.flags & LLMRES_HTTP_CHUNKED);
    CHECK(llmres_http_keep_alive(&whole));
    CHECK(memcmp(body_whole, start, strlen(start)) == 0);
    CHECK_EQ(body_whole[whole.body_len - 1], '}');
    CHECK(memchr(body_whole, '\r', whole.body_len) == NULL); /* chunk framing removed */
    check_rl(&whole.hints.requests, 500, 499, 120);
    check_rl(&whole.hints.tokens, 200000, 199950, 15);
    CHECK(strcmp(whole.hints.request_id, "req_7f0c1d2e3a4b") == 0);
    CHECK_EQ(whole.hints.retry_after_ms, U);
    CHECK_EQ(whole.hints.should_retry, -1);
    CHECK_EQ(whole.hints.date, 1795341600u); /* Sun, 22 Nov 2026 10:00:00 GMT */
}

static void vector_openai_429_rate_limit(void) {
    CHECK(parse_every_way("openai_429_rate_limit.http"));
    CHECK_EQ(whole.status, 429);
    CHECK_EQ(whole.hints.retry_after_ms, 19872); /* retry-after-ms wins over retry-after: 20 */
    check_rl(&whole.hints.requests, 3, 0, 20000);
    check_rl(&whole.hints.tokens, 40000, 39000, 90000); /* 1m30s */
    CHECK_EQ(whole.body_len, whole.content_length);
}

static void vector_azure_429(void) {
    CHECK(parse_every_way("azure_429_rate_limit.http"));
    CHECK_EQ(whole.status, 429);
    CHECK_EQ(whole.hints.retry_after_ms, U);         /* no retry-after header */
    check_rl(&whole.hints.requests, U, 0, U);        /* reset -1: unknown, never 0 */
    check_rl(&whole.hints.tokens, U, 0, 59000);      /* integer seconds */
}

static void vector_anthropic_200(void) {
    CHECK(parse_every_way("anthropic_200_message.http"));
    CHECK_EQ(whole.status, 200);
    CHECK_EQ(whole.body_len, 380);
    check_rl(&whole.hints.requests, 50, 49, 1000);   /* RFC 3339, 1 s after Date */
    check_rl(&whole.hints.tokens, 50000, 49000, 2000);
    check_rl(&whole.hints.input_tokens, 40000, 39990, 1000);
    check_rl(&whole.hints.output_tokens, 8000, 7990, 3000);
    CHECK(strcmp(whole.hints.request_id, "req_011CV1") == 0);
}

static void vector_anthropic_429(void) {
    CHECK(parse_every_way("anthropic_429_rate_limit.http"));
    CHECK_EQ(whole.hints.retry_after_ms, 13000);
    check_rl(&whole.hints.input_tokens, 40000, 0, 13000); /* 10:00:13Z, 13 s after Date */
}

static void vector_anthropic_529_and_500(void) {
    CHECK(parse_every_way("anthropic_529_overloaded.http"));
    CHECK_EQ(whole.status, 529); /* empty reason phrase */
    CHECK_EQ(whole.hints.should_retry, 1);
    CHECK(parse_every_way("anthropic_500_api_error_overloaded.http"));
    CHECK_EQ(whole.status, 500);
    CHECK(parse_every_way("anthropic_402_billing.http"));
    CHECK_EQ(whole.status, 402);
}

static void vector_http_date_retry_after(void) {
    CHECK(parse_every_way("http_date_retry_after_503.http"));
    CHECK_EQ(whole.status, 503);
    CHECK_EQ(whole.hints.retry_after_ms, 45000); /* against Date, not the device's clock */
    CHECK_EQ(whole.body_len, 5);
}

static void vector_the_rest(void) {
    static const char *const names[] = {"openai_429_insufficient_quota.http", "openai_400_context_length.http",
                                        "openai_401_invalid_key.http", "openai_503_overloaded.http",
                                        "ollama_200_chat.http", "ollama_503_busy.http"};
    static const int status[] = {429, 400, 401, 503, 200, 503};
    size_t i;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        CHECK(parse_every_way(names[i]));
        CHECK_EQ(whole.status, status[i]);
        if (whole.content_length != U) CHECK_EQ(whole.body_len, whole.content_length);
    }
}

/* ---- hand-made responses ---- */

static llmres_http_response_t r;
static uint8_t body[256];

static int feed(const char *text, int head) {
    int rc;
    llmres_http_response_init(&r, body, sizeof(body), NULL, NULL, head);
    rc = llmres_http_parse(&r, text, strlen(text), NULL);
    return rc;
}

/* A retry-after too long for milliseconds is the longest wait there is, never none. */
static void a_huge_retry_after_saturates(void) {
    CHECK_EQ(feed("HTTP/1.1 429 Too Many\r\nRetry-After: 999999999\r\nContent-Length: 0\r\n\r\n", 0), 1);
    CHECK_EQ(r.hints.retry_after_ms, 0x7FFFFFFF);
    CHECK_EQ(feed("HTTP/1.1 429 Too Many\r\nRetry-After: 2147483\r\nContent-Length: 0\r\n\r\n", 0), 1);
    CHECK_EQ(r.hints.retry_after_ms, 2147483000u);
}

static void chunked_with_extensions_trailers_and_case(void) {
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5;ext=1\r\nhello\r\nA\r\n0123456789\r\na \r\n abcdefghi\r\n0\r\nX-Trailer: done\r\n\r\n", 0), 1);
    CHECK_EQ(r.body_len, 25);
    CHECK(memcmp(body, "hello0123456789 abcdefghi", 25) == 0);
    CHECK(llmres_http_keep_alive(&r));
}

static void one_hundred_and_bodyless_responses(void) {
    CHECK_EQ(feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
                  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0), 1);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body_len, 2);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n", 1), 1); /* HEAD */
    CHECK_EQ(r.body_len, 0);
    CHECK(llmres_http_keep_alive(&r));
    CHECK_EQ(feed("HTTP/1.1 204 No Content\r\n\r\n", 0), 1);
    CHECK_EQ(feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n", 0), 1);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0), 1);
    CHECK_EQ(feed("HTTP/1.1 101 Switching Protocols\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
}

static void close_delimited_and_connection_semantics(void) {
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome body", 0), 0);
    CHECK_EQ(llmres_http_parse_eof(&r), 1);
    CHECK_EQ(r.body_len, 9);
    CHECK(!llmres_http_keep_alive(&r));
    CHECK_EQ(feed("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 0), 1);
    CHECK(!llmres_http_keep_alive(&r)); /* 1.0 closes by default */
    CHECK_EQ(feed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", 0), 1);
    CHECK(llmres_http_keep_alive(&r));
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 2\r\n\r\nok", 0), 1);
    CHECK(!llmres_http_keep_alive(&r));
    /* Transfer-Encoding and Content-Length together: chunked wins, then close */
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 0), 1);
    CHECK_EQ(r.body_len, 2);
    CHECK(!llmres_http_keep_alive(&r));
    /* a coding other than chunked last: the body runs to the close */
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx", 0), 0);
    CHECK_EQ(llmres_http_parse_eof(&r), 1);
    /* bare LF line ends are accepted */
    CHECK_EQ(feed("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0), 1);
}

static void malformed_responses_get_their_own_errors(void) {
    static char big[LLMRES_HTTP_MAX_LINE + 64];
    char many[8192];
    size_t i, at;
    CHECK_EQ(feed("HELLO WORLD\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 2x0 OK\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 099 Low\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/2 200 OK\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 200OK\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\nContent-Length: 0\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nX-A : one\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);     /* space before colon */
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);     /* bare CR */
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFF\r\n", 0), LLMRES_ERR_BAD_HTTP);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n", 0), LLMRES_ERR_BAD_HTTP);
    /* NUL inside a header */
    {
        static const char nul[] = "HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n";
        llmres_http_response_init(&r, body, sizeof(body), NULL, NULL, 0);
        CHECK_EQ(llmres_http_parse(&r, nul, sizeof(nul) - 1, NULL), LLMRES_ERR_BAD_HTTP);
    }
    /* a line over the limit */
    memcpy(big, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
    memset(big + 24, 'a', sizeof(big) - 24 - 1);
    llmres_http_response_init(&r, body, sizeof(body), NULL, NULL, 0);
    CHECK_EQ(llmres_http_parse(&r, big, sizeof(big) - 1, NULL), LLMRES_ERR_HEADER_TOO_LONG);
    CHECK_EQ(llmres_http_parse(&r, "x", 1, NULL), LLMRES_ERR_HEADER_TOO_LONG); /* sticky */
    /* too many headers */
    at = (size_t)sprintf(many, "HTTP/1.1 200 OK\r\n");
    for (i = 0; i <= LLMRES_HTTP_MAX_HEADERS; i++) at += (size_t)sprintf(many + at, "X-%u: v\r\n", (unsigned)i);
    sprintf(many + at, "\r\n");
    CHECK_EQ(feed(many, 0), LLMRES_ERR_TOO_MANY_HEADERS);
    /* truncated bodies */
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0), 0);
    CHECK_EQ(llmres_http_parse_eof(&r), LLMRES_ERR_TRUNCATED);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n20\r\n0123", 0), 0);
    CHECK_EQ(llmres_http_parse_eof(&r), LLMRES_ERR_TRUNCATED);
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nContent-", 0), 0);
    CHECK_EQ(llmres_http_parse_eof(&r), LLMRES_ERR_TRUNCATED);
}

static int stop_after_first(void *user, const uint8_t *data, size_t len) {
    size_t *seen = (size_t *)user;
    (void)data;
    *seen += len;
    return 1;
}

static size_t streamed;
static int count_bytes(void *user, const uint8_t *data, size_t len) {
    (void)user; (void)data;
    streamed += len;
    return 0;
}

static void body_buffer_limits_and_callbacks(void) {
    static uint8_t small[4];
    size_t seen = 0;
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
    llmres_http_response_init(&r, small, sizeof(small), NULL, NULL, 0);
    CHECK_EQ(llmres_http_parse(&r, resp, strlen(resp), NULL), LLMRES_ERR_TOO_LARGE);
    CHECK(!llmres_http_keep_alive(&r));
    llmres_http_response_init(&r, NULL, 0, stop_after_first, &seen, 0);
    CHECK_EQ(llmres_http_parse(&r, resp, strlen(resp), NULL), LLMRES_ERR_ABORTED);
    CHECK_EQ(seen, 10);
    /* streamed through the callback: a large body needs no large buffer */
    {
        static char chunk[1000];
        int i, rc = 0;
        memset(chunk, 'x', sizeof(chunk));
        streamed = 0;
        llmres_http_response_init(&r, NULL, 0, count_bytes, NULL, 0);
        const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
        llmres_http_parse(&r, head, strlen(head), NULL);
        for (i = 0; i < 1000; i++) rc = llmres_http_parse(&r, chunk, sizeof(chunk), NULL);
        CHECK_EQ(rc, 1);
        CHECK_EQ(streamed, 1000000);
    }
    /* no buffer and no callback: counted, discarded */
    llmres_http_response_init(&r, NULL, 0, NULL, NULL, 0);
    CHECK_EQ(llmres_http_parse(&r, resp, strlen(resp), NULL), 1);
    CHECK_EQ(r.body_len, 10);
    CHECK_EQ(llmres_http_parse(NULL, resp, 1, NULL), LLMRES_ERR_INVALID);
}

static void hints_edge_cases(void) {
    /* malformed and negative values are unknown, never 0 */
    CHECK_EQ(feed("HTTP/1.1 429 Too Many\r\nretry-after: -5\r\nx-ratelimit-remaining-requests: abc\r\n"
                  "x-ratelimit-reset-tokens: soon\r\nx-should-retry: maybe\r\nContent-Length: 0\r\n\r\n", 0), 1);
    CHECK_EQ(r.hints.retry_after_ms, U);
    CHECK_EQ(r.hints.requests.remaining, U);
    CHECK_EQ(r.hints.tokens.reset_ms, U);
    CHECK_EQ(r.hints.should_retry, -1);
    /* an HTTP-date without a Date header cannot be placed: unknown */
    CHECK_EQ(feed("HTTP/1.1 503 Busy\r\nRetry-After: Sun, 22 Nov 2026 10:00:45 GMT\r\nContent-Length: 0\r\n\r\n", 0), 1);
    CHECK_EQ(r.hints.retry_after_ms, U);
    /* Date after the header that needs it; a reset in the past of Date is unknown */
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nanthropic-ratelimit-tokens-reset: 2026-11-22T09:59:59Z\r\n"
                  "anthropic-ratelimit-requests-reset: 2026-11-22T10:00:00.250Z\r\n"
                  "Date: Sun, 22 Nov 2026 10:00:00 GMT\r\nx-should-retry: false\r\nContent-Length: 0\r\n\r\n", 0), 1);
    CHECK_EQ(r.hints.tokens.reset_ms, U);
    CHECK_EQ(r.hints.requests.reset_ms, 1000); /* a fraction rounds up: never early */
    CHECK_EQ(r.hints.should_retry, 0);
    /* retry-after-ms after retry-after still wins; upper-case names */
    CHECK_EQ(feed("HTTP/1.1 429 x\r\nRETRY-AFTER: 20\r\nRetry-After-Ms: 150\r\nContent-Length: 0\r\n\r\n", 0), 1);
    CHECK_EQ(r.hints.retry_after_ms, 150);
    CHECK_EQ(feed("HTTP/1.1 429 x\r\nretry-after-ms: 150.2\r\nretry-after: 20\r\nContent-Length: 0\r\n\r\n", 0), 1);
    CHECK_EQ(r.hints.retry_after_ms, 151);
    CHECK_EQ(feed("HTTP/1.1 429 x\r\nretry-after-ms: 1.x\r\nretry-after: 20\r\nContent-Length: 0\r\n\r\n", 0), 1);
    CHECK_EQ(r.hints.retry_after_ms, 20000); /* a bad -ms value does not hide the good one */
    /* a long request id is cut, not overflowed */
    {
        char line[300];
        memset(line, 0, sizeof(line));
        strcpy(line, "HTTP/1.1 200 OK\r\nx-request-id: ");
        memset(line + strlen(line), 'r', 200);
        strcat(line, "\r\nContent-Length: 0\r\n\r\n");
        CHECK_EQ(feed(line, 0), 1);
        CHECK_EQ(strlen(r.hints.request_id), LLMRES_MAX_REQUEST_ID - 1);
    }
}

/* Parses text[0..len) in pieces of `step` bytes (0: whole), into a fresh r. */
static int feed_steps(const char *text, size_t len, size_t step) {
    size_t at = 0, used;
    int rc = 0;
    llmres_http_response_init(&r, body, sizeof(body), NULL, NULL, 0);
    while (at < len && rc == 0) {
        size_t n = step && len - at > step ? step : len - at;
        rc = llmres_http_parse(&r, text + at, n, &used);
        at += used;
    }
    return rc;
}

/* Every byte in a header name, in a value and as a chunk size, whole (lines read where
   they lie, chunk framing read at once) and byte by byte (lines gathered in r.line):
   the byte-class table against the sets written out here. */
static void every_byte_in_names_values_and_chunk_sizes(void) {
    static const char tchar[] = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static const char hex[] = "0123456789abcdefABCDEF";
    char text[128];
    int c;
    size_t step, n;
    for (step = 0; step <= 1; step++)
        for (c = 0; c < 256; c++) {
            int is_tchar = c != 0 && strchr(tchar, c) != NULL, is_hex = c != 0 && strchr(hex, c) != NULL;
            int v = !is_hex ? 0 : c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
            n = (size_t)sprintf(text, "HTTP/1.1 200 OK\r\nAxB: v\r\nContent-Length: 0\r\n\r\n");
            text[18] = (char)c; /* a ':' there makes the name "A": also valid */
            CHECK_EQ(feed_steps(text, n, step), is_tchar || c == ':' ? 1 : LLMRES_ERR_BAD_HTTP);
            n = (size_t)sprintf(text, "HTTP/1.1 200 OK\r\nX-A: axb\r\nContent-Length: 0\r\n\r\n");
            text[23] = (char)c; /* HTAB, SP, DEL and 128..255 may stand in a value */
            CHECK_EQ(feed_steps(text, n, step), c == '\t' || c >= 32 ? 1 : LLMRES_ERR_BAD_HTTP);
            n = (size_t)sprintf(text, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n%.*s\r\n0\r\n\r\n", v,
                                "0123456789abcdef");
            text[47] = (char)c;
            CHECK_EQ(feed_steps(text, n, step), is_hex ? 1 : LLMRES_ERR_BAD_HTTP);
            if (is_hex) CHECK_EQ(r.body_len, v);
        }
}

/* Lines of exactly LLMRES_HTTP_MAX_LINE bytes before the LF (CR included) pass, one more
   does not: whole, byte by byte and split in two; with CRLF and with a bare LF (whose
   line fills r.line, LF after it). Chunk sizes: up to 2 GB, leading zeros, bare LFs. */
static void lines_at_the_limit_and_chunk_sizes(void) {
    static char text[LLMRES_HTTP_MAX_LINE + 128];
    const char *head = "HTTP/1.1 200 OK\r\n";
    size_t step, n, extra, lf;
    static const size_t steps[] = {0, 1, 500, 1000};
    CHECK_EQ(sizeof(r.line), LLMRES_HTTP_MAX_LINE + 1); /* a full line's LF fits after it */
    for (lf = 0; lf <= 1; lf++)
        for (extra = 0; extra <= 1; extra++)
            for (step = 0; step < 4; step++) {
                size_t line = LLMRES_HTTP_MAX_LINE + extra; /* bytes before the LF */
                n = (size_t)sprintf(text, "%sX-Big: ", head);
                memset(text + n, 'a', line - 7 - (lf ? 0 : 1));
                n += line - 7 - (lf ? 0 : 1);
                n += (size_t)sprintf(text + n, "%sContent-Length: 0\r\n\r\n", lf ? "\n" : "\r\n");
                CHECK_EQ(feed_steps(text, n, steps[step]), extra ? LLMRES_ERR_HEADER_TOO_LONG : 1);
            }
#define CHUNKED "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    for (step = 0; step <= 1; step++) {
        CHECK_EQ(feed_steps(CHUNKED "7fffffff\r\nab", strlen(CHUNKED "7fffffff\r\nab"), step), 0);
        CHECK_EQ(r.remaining, 0x7FFFFFFF - 2);
        CHECK_EQ(feed_steps(CHUNKED "80000000\r\n", strlen(CHUNKED "80000000\r\n"), step), LLMRES_ERR_BAD_HTTP);
        CHECK_EQ(feed_steps(CHUNKED "0000000003\r\nabc\r\n0\r\n\r\n", strlen(CHUNKED "0000000003\r\nabc\r\n0\r\n\r\n"), step), 1);
        CHECK_EQ(r.body_len, 3);
        CHECK_EQ(feed_steps(CHUNKED "3\nabc\n3 ; x=\"y\"\r\ndef\r\n0\n\n", strlen(CHUNKED "3\nabc\n3 ; x=\"y\"\r\ndef\r\n0\n\n"), step), 1);
        CHECK(r.body_len == 6 && memcmp(body, "abcdef", 6) == 0);
        CHECK_EQ(feed_steps(CHUNKED "3\r\nabc\r\r\n0\r\n\r\n", strlen(CHUNKED "3\r\nabc\r\r\n0\r\n\r\n"), step), LLMRES_ERR_BAD_HTTP);
        CHECK_EQ(feed_steps(CHUNKED "3\r\r\nabc\r\n0\r\n\r\n", strlen(CHUNKED "3\r\r\nabc\r\n0\r\n\r\n"), step), LLMRES_ERR_BAD_HTTP);
        CHECK_EQ(feed_steps(CHUNKED "3;a\0b\r\nabc\r\n0\r\n\r\n", sizeof(CHUNKED "3;a\0b\r\nabc\r\n0\r\n\r\n") - 1, step), LLMRES_ERR_BAD_HTTP);
        /* leading zeros: a line like any other, LLMRES_HTTP_MAX_LINE at most (CR included) */
        for (extra = 0; extra <= 1; extra++) {
            n = (size_t)sprintf(text, CHUNKED);
            memset(text + n, '0', LLMRES_HTTP_MAX_LINE - 2 + extra);
            n += LLMRES_HTTP_MAX_LINE - 2 + extra;
            n += (size_t)sprintf(text + n, "1\r\nx\r\n0\r\n\r\n");
            CHECK_EQ(feed_steps(text, n, step), extra ? LLMRES_ERR_HEADER_TOO_LONG : 1);
            CHECK_EQ(r.body_len, extra ? 0 : 1);
        }
    }
#undef CHUNKED
}

/* Names told apart by length and content, in any case; near misses are other headers. */
static void header_names_near_misses(void) {
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nX-RateLimit-Remaining-Requests: 7\r\nx-ratelimit-remaining-requestz: 1\r\n"
                  "x-ratelimit_remaining-tokens: 1\r\nx-ratelimit-remaining-tokens-: 1\r\nX-RATELIMIT-LIMIT-TOKENS: 9\r\n"
                  "ANTHROPIC-RATELIMIT-OUTPUT-TOKENS-LIMIT: 8\r\nanthropic-ratelimit-output-token-limit: 1\r\n"
                  "DATE: Sun, 22 Nov 2026 10:00:00 GMT\r\ndat: x\r\nx-request-ie: nope\r\nRequest-Id: yes\r\n"
                  "Transfer-Encoding: CHUNKED\r\nconnection: Keep-Alive\r\n\r\n0\r\n\r\n", 0), 1);
    CHECK_EQ(r.hints.requests.remaining, 7);
    CHECK_EQ(r.hints.tokens.remaining, U);
    CHECK_EQ(r.hints.tokens.limit, 9);
    CHECK_EQ(r.hints.output_tokens.limit, 8);
    CHECK_EQ(r.hints.date, 1795341600u);
    CHECK(strcmp(r.hints.request_id, "yes") == 0);
    CHECK(r.flags & LLMRES_HTTP_CHUNKED);
    CHECK(llmres_http_keep_alive(&r));
    /* a value that only looks like the usual one */
    CHECK_EQ(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkex\r\nConnection: keep-alivf, close\r\n\r\nab", 0), 0);
    CHECK(!(r.flags & LLMRES_HTTP_CHUNKED));
    CHECK_EQ(llmres_http_parse_eof(&r), 1);
    CHECK(!llmres_http_keep_alive(&r));
}

static void value_parsers(void) {
#define D(s) llmres_parse_duration_ms(s, strlen(s))
    CHECK_EQ(D("6m0s"), 360000);
    CHECK_EQ(D("12ms"), 12);
    CHECK_EQ(D("1m30s"), 90000);
    CHECK_EQ(D("20s"), 20000);
    CHECK_EQ(D("8.64s"), 8640);
    CHECK_EQ(D("1.5ms"), 2);       /* rounded up */
    CHECK_EQ(D("0.0001s"), 1);
    CHECK_EQ(D("1h2m3s"), 3723000);
    CHECK_EQ(D("250us"), 1);
    CHECK_EQ(D("59"), 59000);      /* Azure: whole seconds */
    CHECK_EQ(D("0"), 0);
    CHECK_EQ(D("-1"), U);
    CHECK_EQ(D(""), U);
    CHECK_EQ(D("5"), 5000);
    CHECK_EQ(D("5x"), U);
    CHECK_EQ(D("s"), U);
    CHECK_EQ(D("1.s"), 1000);
    CHECK_EQ(D("99999999h"), U);   /* overflow */
    CHECK_EQ(D("4294967296"), U);
#undef D
#define H(s) llmres_parse_http_date(s, strlen(s))
    CHECK_EQ(H("Sun, 22 Nov 2026 10:00:45 GMT"), 1795341645u);
    CHECK_EQ(H("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    CHECK_EQ(H("Tue, 29 Feb 2028 23:59:59 GMT"), 1835481599u);
    CHECK_EQ(H("Sun, 22 Nov 2026 10:00:45 UTC"), U);
    CHECK_EQ(H("Sun, 31 Nov 2026 10:00:45 GMT"), U);
    CHECK_EQ(H("Sun, 22 Foo 2026 10:00:45 GMT"), U);
    CHECK_EQ(H("Sunday, 22-Nov-26 10:00:45 GMT"), U);
    CHECK_EQ(H("Sun, 22 Nov 1969 10:00:45 GMT"), U);
#undef H
#define R(s) llmres_parse_rfc3339(s, strlen(s))
    CHECK_EQ(R("2026-11-22T10:00:13Z"), 1795341613u);
    CHECK_EQ(R("2026-11-22T10:00:13.000Z"), 1795341613u);
    CHECK_EQ(R("2026-11-22T10:00:13.1Z"), 1795341614u);
    CHECK_EQ(R("2026-11-22T11:00:13+01:00"), 1795341613u);
    CHECK_EQ(R("2026-11-22T09:00:13-01:00"), 1795341613u);
    CHECK_EQ(R("2026-11-22T10:00:13"), U);
    CHECK_EQ(R("2026-13-22T10:00:13Z"), U);
    CHECK_EQ(R("2026-11-22T10:00:13.Z"), U);
    CHECK_EQ(R("garbage"), U);
#undef R
    CHECK_EQ(llmres_parse_uint("4294967294", 10), 4294967294u);
    CHECK_EQ(llmres_parse_uint("4294967295", 10), U);
    CHECK_EQ(llmres_parse_uint("", 0), U);
    CHECK_EQ(llmres_parse_uint(NULL, 3), U);
}

static void request_writer(void) {
    static const llmres_http_header_t hdr[2] = {{"Authorization", "Bearer sk-test"}, {"Content-Type", "application/json"}};
    llmres_http_request_t q;
    char buf[512];
    const char *want = "POST /v1/chat/completions HTTP/1.1\r\nHost: api.example.com\r\n"
                       "Authorization: Bearer sk-test\r\nContent-Type: application/json\r\n"
                       "Content-Length: 2\r\n\r\n";
    int n;
    size_t cap;
    memset(&q, 0, sizeof(q));
    q.method = "POST"; q.host = "api.example.com"; q.tls = 1; q.port = 443;
    q.path = "/v1/chat/completions"; q.headers = hdr; q.header_count = 2;
    q.body = "{}"; q.body_len = 2;
    n = llmres_http_write_head(&q, buf, sizeof(buf));
    CHECK_EQ(n, (int)strlen(want));
    CHECK(n > 0 && memcmp(buf, want, (size_t)n) == 0);
    /* every buffer one byte short of the need: TOO_LARGE, never a cut request */
    for (cap = 0; cap < strlen(want); cap++) CHECK_EQ(llmres_http_write_head(&q, buf, cap), LLMRES_ERR_TOO_LARGE);
    /* a non-default port and an IPv6 literal in Host; GET has no Content-Length */
    q.method = "GET"; q.host = "::1"; q.tls = 0; q.port = 8080; q.header_count = 0; q.body = NULL; q.body_len = 0;
    n = llmres_http_write_head(&q, buf, sizeof(buf));
    CHECK(n > 0 && memcmp(buf, "GET /v1/chat/completions HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", (size_t)n) == 0);
    /* header injection is refused */
    {
        llmres_http_header_t evil = {"X-A", "ok\r\nX-Injected: 1"};
        q.headers = &evil; q.header_count = 1;
        CHECK_EQ(llmres_http_write_head(&q, buf, sizeof(buf)), LLMRES_ERR_INVALID);
        evil.name = "X A"; evil.value = "v";
        CHECK_EQ(llmres_http_write_head(&q, buf, sizeof(buf)), LLMRES_ERR_INVALID);
        q.header_count = 0;
        q.path = "/a b";
        CHECK_EQ(llmres_http_write_head(&q, buf, sizeof(buf)), LLMRES_ERR_INVALID);
        q.path = "relative";
        CHECK_EQ(llmres_http_write_head(&q, buf, sizeof(buf)), LLMRES_ERR_INVALID);
        q.path = "/"; q.host = "evil.com/x";
        CHECK_EQ(llmres_http_write_head(&q, buf, sizeof(buf)), LLMRES_ERR_INVALID);
        q.host = "h"; q.method = "PO ST";
        CHECK_EQ(llmres_http_write_head(&q, buf, sizeof(buf)), LLMRES_ERR_INVALID);
        CHECK_EQ(llmres_http_write_head(NULL, buf, sizeof(buf)), LLMRES_ERR_INVALID);
    }
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(vector_openai_200_chat);
    RUN(vector_openai_429_rate_limit);
    RUN(vector_azure_429);
    RUN(vector_anthropic_200);
    RUN(vector_anthropic_429);
    RUN(vector_anthropic_529_and_500);
    RUN(vector_http_date_retry_after);
    RUN(vector_the_rest);
    RUN(a_huge_retry_after_saturates);
    RUN(chunked_with_extensions_trailers_and_case);
    RUN(one_hundred_and_bodyless_responses);
    RUN(close_delimited_and_connection_semantics);
    RUN(malformed_responses_get_their_own_errors);
    RUN(body_buffer_limits_and_callbacks);
    RUN(hints_edge_cases);
    RUN(every_byte_in_names_values_and_chunk_sizes);
    RUN(lines_at_the_limit_and_chunk_sizes);
    RUN(header_names_near_misses);
    RUN(value_parsers);
    RUN(request_writer);
    return T_DONE();
}
