/* HTTP/1.1 response parsing, llmres beside the parsers Debian packages, on two jobs:
     chat    the OpenAI 200 vector (tests/vectors/openai_200_chat.http: 12 headers,
             chunked), parsed from one buffer, the body into a buffer;
     stream  a 256 KB chunked body in 256-byte chunks (the shape of an SSE stream),
             parsed from one buffer, the body handed to a callback.
   Each job is one function (job_<parser>) that starts a parser and runs it over the
   bytes, callbacks included; tests/bench/http_peers.sh counts its instructions with
   callgrind (--toggle-collect=job_<parser>) and takes the times printed here.
   `http_peers` prints nanoseconds per job (median of 9 runs); `http_peers JOB PARSER N`
   runs one job N times, for callgrind. Every job must agree on the status and the body
   length, or this exits 1: a benchmark of a parser that gets it wrong means nothing.
   Peers (each its own object, compiled by http_peers.sh when present; the two with
   clashing headers in files of their own, http_peers_hp.c and http_peers_llhttp.c):
     HAVE_HTTP_PARSER  http-parser 2.9 (libhttp-parser-dev: Debian's static library)
     HAVE_LLHTTP       llhttp 8.1 (node-llhttp: its C sources, compiled -O2 here)
     HAVE_PICO         picohttpparser (not packaged on its own: libh2o-evloop0.13 has it) */
#define _POSIX_C_SOURCE 199309L
#include "llmres.h"
#include "http_peers.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#ifdef HAVE_PICO
/* picohttpparser's interface (the header is not in Debian; the code is in libh2o-evloop) */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
struct phr_chunked_decoder {
    size_t bytes_left_in_chunk;
    char consume_trailer, hex_count, state;
};
int phr_parse_response(const char *buf, size_t len, int *minor_version, int *status, const char **msg,
                       size_t *msg_len, struct phr_header *headers, size_t *num_headers, size_t last_len);
ssize_t phr_decode_chunked(struct phr_chunked_decoder *decoder, char *buf, size_t *bufsz);
#endif

#define STREAM_CHUNKS 1024
#define STREAM_CHUNK 256

static char chat[4096], *stream, *scratch;
static size_t chat_len, stream_len;
uint8_t body[BODY_CAP];
size_t body_len;
int status;

static int sink(void *user, const uint8_t *data, size_t len) {
    (void)user; (void)data;
    body_len += len;
    return 0;
}

/* ---- llmres: parses, and pulls out the retry and rate-limit hints ---- */
static llmres_http_response_t resp;

void job_llmres(const char *buf, size_t len, int to_buffer) {
    if (to_buffer) llmres_http_response_init(&resp, body, sizeof(body), NULL, NULL, 0);
    else llmres_http_response_init(&resp, NULL, 0, sink, NULL, 0);
    body_len = 0;
    status = llmres_http_parse(&resp, buf, len, NULL) == 1 ? resp.status : -1;
    if (to_buffer) body_len = resp.body_len;
}

#ifdef HAVE_PICO
/* The head, then the chunked body decoded in place (so buf must be writable). */
static struct phr_header hdr[64];
static size_t nhdr;

static int pico_head(char *buf, size_t len, int *minor) {
    const char *msg;
    size_t msg_len;
    nhdr = 64;
    return phr_parse_response(buf, len, minor, &status, &msg, &msg_len, hdr, &nhdr, 0);
}

static size_t pico_chunked(char *buf, size_t len) {
    struct phr_chunked_decoder d;
    size_t n = len;
    memset(&d, 0, sizeof(d));
    return phr_decode_chunked(&d, buf, &n) < 0 ? 0 : n;
}

void job_pico(char *buf, size_t len) {
    int minor, head = pico_head(buf, len, &minor);
    body_len = head > 0 ? pico_chunked(buf + head, len - (size_t)head) : 0;
    if (head <= 0) status = -1;
}

/* picohttpparser plus, written by hand, most of what llmres does with the headers: length,
   transfer coding, connection, retry-after(-ms), x-should-retry, Date, the request id and
   the OpenAI and Anthropic rate-limit headers, each name compared by length first
   (simpler: no lists of codings, no HTTP-date in retry-after, no rounding). */
static llmres_http_hints_t hints;
static int keep_alive;
#define NAME(s) {s, sizeof(s) - 1}
static const struct { const char *name; size_t len; } names[] = {
    NAME("content-length"), NAME("transfer-encoding"), NAME("connection"), NAME("date"),
    NAME("retry-after-ms"), NAME("retry-after"), NAME("x-should-retry"), NAME("x-request-id"), NAME("request-id"),
    NAME("x-ratelimit-limit-requests"), NAME("x-ratelimit-remaining-requests"), NAME("x-ratelimit-reset-requests"),
    NAME("x-ratelimit-limit-tokens"), NAME("x-ratelimit-remaining-tokens"), NAME("x-ratelimit-reset-tokens"),
    NAME("anthropic-ratelimit-requests-limit"), NAME("anthropic-ratelimit-requests-remaining"),
    NAME("anthropic-ratelimit-requests-reset"), NAME("anthropic-ratelimit-tokens-limit"),
    NAME("anthropic-ratelimit-tokens-remaining"), NAME("anthropic-ratelimit-tokens-reset")};

/* The name in lower case once, then memcmp against the names of its length. */
static int name_id(const struct phr_header *h) {
    char low[64];
    size_t k, i;
    if (h->name_len > sizeof(low)) return -1;
    for (i = 0; i < h->name_len; i++) low[i] = (char)(h->name[i] | (h->name[i] >= 'A' && h->name[i] <= 'Z' ? 0x20 : 0));
    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        if (h->name_len == names[k].len && !memcmp(low, names[k].name, names[k].len)) return (int)k;
    return -1;
}

static void pico_hint(const struct phr_header *h, uint32_t *cl, int *chunked) {
    const char *v = h->value;
    size_t vl = h->value_len, k;
    int id = name_id(h);
    llmres_ratelimit_t *rl = id >= 9 && (id - 9) / 3 % 2 ? &hints.tokens : &hints.requests;
    switch (id) {
    case 0: *cl = llmres_parse_uint(v, vl); break;
    case 1: *chunked = vl >= 7 && !memcmp(v + vl - 7, "chunked", 7); break;
    case 2: keep_alive = !(vl == 5 && !memcmp(v, "close", 5)); break;
    case 3: hints.date = llmres_parse_http_date(v, vl); break;
    case 4: hints.retry_after_ms = llmres_parse_uint(v, vl); break;
    case 5: hints.retry_after_ms = llmres_parse_uint(v, vl) * 1000u; break;
    case 6: hints.should_retry = vl == 4 && !memcmp(v, "true", 4); break;
    case 7: case 8:
        k = vl < sizeof(hints.request_id) - 1 ? vl : sizeof(hints.request_id) - 1;
        memcpy(hints.request_id, v, k);
        hints.request_id[k] = 0;
        break;
    case 9: case 12: case 15: case 18: rl->limit = llmres_parse_uint(v, vl); break;
    case 10: case 13: case 16: case 19: rl->remaining = llmres_parse_uint(v, vl); break;
    case 11: case 14: rl->reset_ms = llmres_parse_duration_ms(v, vl); break;
    case 17: case 20: rl->reset_ms = llmres_parse_rfc3339(v, vl); break;
    default: break;
    }
}

void job_pico_hints(char *buf, size_t len) {
    uint32_t cl = LLMRES_UNKNOWN;
    int minor, chunked = 0, head = pico_head(buf, len, &minor);
    size_t i;
    memset(&hints, 0xFF, sizeof(hints));
    hints.request_id[0] = 0;
    body_len = 0;
    if (head <= 0) { status = -1; return; }
    for (i = 0; i < nhdr; i++) pico_hint(&hdr[i], &cl, &chunked);
    if (chunked) body_len = pico_chunked(buf + head, len - (size_t)head);
    else if (cl != LLMRES_UNKNOWN) body_len = cl;
}
#endif

static const char *const parsers[] = {"llmres",
#ifdef HAVE_PICO
                                      "pico", "pico_hints",
#endif
#ifdef HAVE_LLHTTP
                                      "llhttp",
#endif
#ifdef HAVE_HTTP_PARSER
                                      "http_parser",
#endif
};

/* Whether the hints of the chat job came out (llmres's, or the hand-written ones). */
static int chat_hints(const llmres_http_hints_t *h) {
    return h->requests.remaining == 499 && h->tokens.reset_ms == 15 && h->date == 1795341600u;
}

/* One job by one parser, n times; fails when the result is wrong. */
static void run(const char *job, const char *parser, long n) {
    int is_chat = !strcmp(job, "chat");
    const char *src = is_chat ? chat : stream;
    size_t len = is_chat ? chat_len : stream_len;
    size_t want = is_chat ? 638 : (size_t)STREAM_CHUNKS * STREAM_CHUNK;
    long i;
    for (i = 0; i < n; i++) {
        if (!strcmp(parser, "llmres")) job_llmres(src, len, is_chat);
#ifdef HAVE_HTTP_PARSER
        else if (!strcmp(parser, "http_parser")) job_http_parser(src, len, is_chat);
#endif
#ifdef HAVE_LLHTTP
        else if (!strcmp(parser, "llhttp")) job_llhttp(src, len, is_chat);
#endif
#ifdef HAVE_PICO
        else if (!strcmp(parser, "pico") || !strcmp(parser, "pico_hints")) {
            memcpy(scratch, src, len); /* decoded in place: a fresh copy each time, not counted */
            if (parser[4]) job_pico_hints(scratch, len);
            else job_pico(scratch, len);
        }
#endif
        else if (!strcmp(parser, "copy")) { memcpy(scratch, src, len); status = 200; body_len = want; }
        else { fprintf(stderr, "unknown parser %s\n", parser); exit(2); }
        if (status != 200 || body_len != want || (is_chat && !strcmp(parser, "llmres") && !chat_hints(&resp.hints))
#ifdef HAVE_PICO
            || (is_chat && !strcmp(parser, "pico_hints") && !chat_hints(&hints))
#endif
        ) {
            fprintf(stderr, "%s on %s: status %d, body %lu bytes (want 200, %lu)\n", parser, job, status,
                    (unsigned long)body_len, (unsigned long)want);
            exit(1);
        }
    }
}

static int load(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    chat_len = fread(chat, 1, sizeof(chat), f);
    fclose(f);
    return chat_len > 0 && chat_len < sizeof(chat);
}

/* The head of an event stream, 1024 chunks of 256 bytes of SSE lines, the last chunk. */
static void make_stream(void) {
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    size_t at = 0, i, j;
    stream = (char *)malloc(sizeof(head) + STREAM_CHUNKS * (STREAM_CHUNK + 8) + 8);
    scratch = (char *)malloc(sizeof(head) + STREAM_CHUNKS * (STREAM_CHUNK + 8) + 8);
    if (!stream || !scratch) exit(2);
    memcpy(stream, head, sizeof(head) - 1);
    at = sizeof(head) - 1;
    for (i = 0; i < STREAM_CHUNKS; i++) {
        at += (size_t)sprintf(stream + at, "%x\r\n", STREAM_CHUNK);
        for (j = 0; j < STREAM_CHUNK; j++) stream[at + j] = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"[j % 49];
        at += STREAM_CHUNK;
        memcpy(stream + at, "\r\n", 2);
        at += 2;
    }
    memcpy(stream + at, "0\r\n\r\n", 5);
    stream_len = at + 5;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nanoseconds per job: the median of 9 runs. */
static double median_ns(const char *job, const char *parser) {
    long n = !strcmp(job, "chat") ? 20000 : 40;
    double t[9];
    int r;
    run(job, parser, n / 10); /* warm up, and check */
    for (r = 0; r < 9; r++) {
        double t0 = now_ns();
        run(job, parser, n);
        t[r] = (now_ns() - t0) / (double)n;
    }
    qsort(t, 9, sizeof(t[0]), cmp_double);
    return t[4];
}

int main(int argc, char **argv) {
    static const char *const jobs[] = {"chat", "stream"};
    const char *vec = getenv("LLMRES_VECTORS");
    char path[1024];
    size_t j, k;
    snprintf(path, sizeof(path), "%s/openai_200_chat.http", vec && *vec ? vec : "tests/vectors");
    if (!load(path)) { fprintf(stderr, "cannot read %s\n", path); return 2; }
    make_stream();
    if (argc == 4) {
        run(argv[1], argv[2], strtol(argv[3], NULL, 10));
        return 0;
    }
    for (j = 0; j < 2; j++) {
        double copy = median_ns(jobs[j], "copy");
        for (k = 0; k < sizeof(parsers) / sizeof(parsers[0]); k++) {
            double t = median_ns(jobs[j], parsers[k]);
            if (!strncmp(parsers[k], "pico", 4)) t -= copy; /* its fresh copy of the input */
            printf("%s %s %.0f\n", jobs[j], parsers[k], t);
        }
    }
    return 0;
}
