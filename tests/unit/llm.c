/* LLM wire formats and the error taxonomy: every provider vector's body read and
   classified as tests/vectors/README.md says; request JSON for each provider;
   escaping; malformed, truncated and oversized bodies. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../test.h"
#include <stdlib.h>
#include <string.h>

#define U LLMRES_UNKNOWN

static char raw[16384];
static uint8_t body[8192];
static char text[1024];
static llmres_http_response_t resp;
static llmres_llm_result_t res;

/* Loads a vector, parses the HTTP, then the body as `provider`; returns the class. */
static int vector(const char *name, int provider, int *parse_rc) {
    size_t n;
    FILE *f = t_open_vector(name);
    if (!f) return -1;
    n = fread(raw, 1, sizeof(raw), f);
    fclose(f);
    llmres_http_response_init(&resp, body, sizeof(body), NULL, NULL, 0);
    if (llmres_http_parse(&resp, raw, n, NULL) != 1) return -2;
    memset(&res, 0, sizeof(res));
    res.text = text;
    res.text_cap = sizeof(text);
    *parse_rc = llmres_llm_parse_response(llmres_wire_get(provider), body, resp.body_len, &res);
    return llmres_classify(resp.status, &resp.hints, &res);
}

static void openai_success(void) {
    int rc, cls = vector("openai_200_chat.http", LLMRES_PROVIDER_OPENAI, &rc);
    /* \u2014, \u00e9 and the surrogate pair \ud83d\ude80 become UTF-8 */
    const char *want = "Hello! \"Edge\" devices say hi \xE2\x80\x94 caf\xC3\xA9 \xF0\x9F\x9A\x80\nNew line.";
    CHECK_EQ(rc, LLMRES_OK);
    CHECK_EQ(cls, LLMRES_CLASS_OK);
    CHECK(strcmp(text, want) == 0);
    CHECK_EQ(res.text_len, strlen(want));
    CHECK(strcmp(res.finish, "stop") == 0);
    CHECK_EQ(res.input_tokens, 19);
    CHECK_EQ(res.output_tokens, 12);
    CHECK(res.error_type[0] == 0);
    CHECK_EQ(res.answered, 1);
}

static void anthropic_and_ollama_success(void) {
    int rc, cls = vector("anthropic_200_message.http", LLMRES_PROVIDER_ANTHROPIC, &rc);
    CHECK_EQ(rc, LLMRES_OK);
    CHECK_EQ(cls, LLMRES_CLASS_OK);
    CHECK(strcmp(text, "Hello from the edge.\tTabs \\ and \"quotes\" survive.") == 0);
    CHECK(strcmp(res.finish, "end_turn") == 0);
    CHECK_EQ(res.input_tokens, 12);
    CHECK_EQ(res.output_tokens, 14);
    CHECK_EQ(res.answered, 1);
    cls = vector("ollama_200_chat.http", LLMRES_PROVIDER_OLLAMA, &rc);
    CHECK_EQ(rc, LLMRES_OK);
    CHECK_EQ(cls, LLMRES_CLASS_OK);
    CHECK(strcmp(text, "Hi! I run on the gateway.") == 0);
    CHECK(strcmp(res.finish, "stop") == 0);
    CHECK_EQ(res.input_tokens, 26);
    CHECK_EQ(res.output_tokens, 9);
    CHECK_EQ(res.answered, 1);
}

static void every_error_vector_gets_its_class(void) {
    static const struct { const char *name; int provider, cls, retry; const char *type_or_code; } v[] = {
        {"openai_429_rate_limit.http", LLMRES_PROVIDER_OPENAI, LLMRES_CLASS_RATE_LIMIT, 1, "requests"},
        {"openai_429_insufficient_quota.http", LLMRES_PROVIDER_OPENAI, LLMRES_CLASS_QUOTA, 0, "insufficient_quota"},
        {"openai_400_context_length.http", LLMRES_PROVIDER_OPENAI, LLMRES_CLASS_PERMANENT, 0, "context_length_exceeded"},
        {"openai_401_invalid_key.http", LLMRES_PROVIDER_OPENAI, LLMRES_CLASS_AUTHENTICATION, 0, "invalid_api_key"},
        {"openai_503_overloaded.http", LLMRES_PROVIDER_OPENAI, LLMRES_CLASS_OVERLOADED, 1, NULL},
        {"azure_429_rate_limit.http", LLMRES_PROVIDER_OPENAI, LLMRES_CLASS_RATE_LIMIT, 1, "429"},
        {"anthropic_529_overloaded.http", LLMRES_PROVIDER_ANTHROPIC, LLMRES_CLASS_OVERLOADED, 1, "overloaded_error"},
        {"anthropic_500_api_error_overloaded.http", LLMRES_PROVIDER_ANTHROPIC, LLMRES_CLASS_OVERLOADED, 1, "api_error"},
        {"anthropic_429_rate_limit.http", LLMRES_PROVIDER_ANTHROPIC, LLMRES_CLASS_RATE_LIMIT, 1, "rate_limit_error"},
        {"anthropic_402_billing.http", LLMRES_PROVIDER_ANTHROPIC, LLMRES_CLASS_QUOTA, 0, "billing_error"},
        {"http_date_retry_after_503.http", LLMRES_PROVIDER_OPENAI, LLMRES_CLASS_SERVER_ERROR, 1, NULL},
        {"ollama_503_busy.http", LLMRES_PROVIDER_OLLAMA, LLMRES_CLASS_OVERLOADED, 1, NULL},
    };
    size_t i;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        int rc, cls = vector(v[i].name, v[i].provider, &rc);
        if (cls != v[i].cls) printf("  %s: class %s, want %s\n", v[i].name, llmres_class_name(cls), llmres_class_name(v[i].cls));
        CHECK_EQ(cls, v[i].cls);
        CHECK_EQ(llmres_should_retry(cls, &resp.hints), v[i].retry);
        if (v[i].type_or_code && strcmp(v[i].type_or_code, "requests") != 0)
            CHECK(strcmp(res.error_type, v[i].type_or_code) == 0 || strcmp(res.error_code, v[i].type_or_code) == 0);
        CHECK(res.error_message[0] != 0 || !strcmp(v[i].name, "http_date_retry_after_503.http"));
    }
    /* the plain-text 503 is not JSON: a classified error all the same */
    {
        int rc;
        vector("http_date_retry_after_503.http", LLMRES_PROVIDER_OPENAI, &rc);
        CHECK_EQ(rc, LLMRES_ERR_BAD_BODY);
    }
    /* Ollama's error is a bare string */
    {
        int rc;
        vector("ollama_503_busy.http", LLMRES_PROVIDER_OLLAMA, &rc);
        CHECK(strstr(res.error_message, "server busy") != NULL);
    }
}

static void taxonomy_table_and_overrides(void) {
    llmres_http_hints_t h;
    memset(&h, 0, sizeof(h));
    CHECK_EQ(llmres_classify(LLMRES_ERR_TIMEOUT, NULL, NULL), LLMRES_CLASS_TIMEOUT);
    CHECK_EQ(llmres_classify(LLMRES_ERR_IO, NULL, NULL), LLMRES_CLASS_TRANSIENT_NETWORK);
    CHECK_EQ(llmres_classify(LLMRES_ERR_CLOSED, NULL, NULL), LLMRES_CLASS_TRANSIENT_NETWORK);
    CHECK_EQ(llmres_classify(LLMRES_ERR_CONNECT, NULL, NULL), LLMRES_CLASS_TRANSIENT_NETWORK);
    CHECK_EQ(llmres_classify(LLMRES_ERR_TRUNCATED, NULL, NULL), LLMRES_CLASS_TRANSIENT_NETWORK);
    CHECK_EQ(llmres_classify(LLMRES_ERR_CERT, NULL, NULL), LLMRES_CLASS_PERMANENT);
    CHECK_EQ(llmres_classify(LLMRES_ERR_BAD_HTTP, NULL, NULL), LLMRES_CLASS_SERVER_ERROR);
    CHECK_EQ(llmres_classify(LLMRES_ERR_BAD_BODY, NULL, NULL), LLMRES_CLASS_SERVER_ERROR);
    CHECK_EQ(llmres_classify(408, NULL, NULL), LLMRES_CLASS_TIMEOUT);
    CHECK_EQ(llmres_classify(403, NULL, NULL), LLMRES_CLASS_AUTHENTICATION);
    CHECK_EQ(llmres_classify(404, NULL, NULL), LLMRES_CLASS_PERMANENT);
    CHECK_EQ(llmres_classify(413, NULL, NULL), LLMRES_CLASS_PERMANENT);
    CHECK_EQ(llmres_classify(422, NULL, NULL), LLMRES_CLASS_PERMANENT);
    CHECK_EQ(llmres_classify(502, NULL, NULL), LLMRES_CLASS_SERVER_ERROR);
    CHECK_EQ(llmres_classify(302, NULL, NULL), LLMRES_CLASS_UNKNOWN);
    /* x-should-retry overrides the table, both ways */
    h.should_retry = 1;
    CHECK_EQ(llmres_should_retry(LLMRES_CLASS_PERMANENT, &h), 1);
    h.should_retry = 0;
    CHECK_EQ(llmres_should_retry(LLMRES_CLASS_OVERLOADED, &h), 0);
    h.should_retry = -1;
    CHECK_EQ(llmres_should_retry(LLMRES_CLASS_OVERLOADED, &h), 1);
    /* the breaker table: their health, not our budget or our mistakes */
    CHECK_EQ(llmres_class_policy_get(LLMRES_CLASS_OVERLOADED).outcome, LLMRES_OUTCOME_FAILURE);
    CHECK_EQ(llmres_class_policy_get(LLMRES_CLASS_TIMEOUT).outcome, LLMRES_OUTCOME_FAILURE);
    CHECK_EQ(llmres_class_policy_get(LLMRES_CLASS_RATE_LIMIT).outcome, LLMRES_OUTCOME_IGNORED);
    CHECK_EQ(llmres_class_policy_get(LLMRES_CLASS_AUTHENTICATION).outcome, LLMRES_OUTCOME_IGNORED);
    CHECK_EQ(llmres_class_policy_get(LLMRES_CLASS_QUOTA).retry, 0);
    CHECK_EQ(llmres_class_policy_get(99).outcome, llmres_class_policy_get(LLMRES_CLASS_UNKNOWN).outcome);
    CHECK(strcmp(llmres_class_name(LLMRES_CLASS_QUOTA), "quota") == 0);
}

static int parse(int provider, const char *json) {
    memset(&res, 0, sizeof(res));
    res.text = text;
    res.text_cap = sizeof(text);
    return llmres_llm_parse_response(llmres_wire_get(provider), json, strlen(json), &res);
}

static void json_reading_is_robust(void) {
    /* any field order, unknown and nested fields skipped */
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, " {\"usage\":{\"completion_tokens\":3,\"x\":[1,{\"a\":[[]]}],\"prompt_tokens\":2},"
                                           "\"choices\":[{\"finish_reason\":\"length\",\"message\":{\"content\":\"ok\",\"role\":\"assistant\"}},"
                                           "{\"message\":{\"content\":\"second choice ignored\"}}],\"extra\":null,\"t\":true} "),
             LLMRES_OK);
    CHECK(strcmp(text, "ok") == 0);
    CHECK(strcmp(res.finish, "length") == 0);
    CHECK_EQ(res.input_tokens, 2);
    CHECK_EQ(res.output_tokens, 3);
    /* content null (tool calls): no text, no error */
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"choices\":[{\"message\":{\"content\":null}}]}"), LLMRES_OK);
    CHECK_EQ(res.text_len, 0);
    CHECK_EQ(res.answered, 1); /* an answer, without text */
    CHECK_EQ(parse(LLMRES_PROVIDER_ANTHROPIC, "{\"content\":[],\"stop_reason\":\"end_turn\"}"), LLMRES_OK);
    CHECK_EQ(res.answered, 1);
    /* Anthropic: several text blocks in order; other blocks skipped */
    CHECK_EQ(parse(LLMRES_PROVIDER_ANTHROPIC, "{\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"tool_use\",\"input\":{\"text\":\"no\"}},"
                                              "{\"text\":\"b\",\"type\":\"text\"}]}"), LLMRES_OK);
    CHECK(strcmp(text, "ab") == 0);
    /* lone surrogates become U+FFFD; escaped slash; a 4-byte character */
    CHECK_EQ(parse(LLMRES_PROVIDER_OLLAMA, "{\"message\":{\"content\":\"x\\ud800y\\udc00z\\/\\u00e9\"}}"), LLMRES_OK);
    CHECK(strcmp(text, "x\xEF\xBF\xBDy\xEF\xBF\xBDz/\xC3\xA9") == 0);
    /* usage that is not a whole number is unknown, never 0 */
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":2.5}}"), LLMRES_OK);
    CHECK_EQ(res.input_tokens, U);
    CHECK_EQ(res.output_tokens, U);
    /* not JSON, the wrong shape, truncated, trailing garbage, bad escapes, too deep */
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "<html>502 Bad Gateway</html>"), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "[1,2,3]"), LLMRES_OK); /* valid JSON, nothing in it */
    CHECK_EQ(res.text_len, 0);
    CHECK_EQ(res.answered, 0); /* the client takes this for a server error */
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"choices\":7,\"message\":{\"content\":\"wrong provider\"}}"), LLMRES_OK);
    CHECK_EQ(res.answered, 0);
    CHECK_EQ(res.text_len, 0);
    CHECK_EQ(parse(LLMRES_PROVIDER_OLLAMA, "{\"choices\":[{\"message\":{\"content\":\"wrong provider\"}}]}"), LLMRES_OK);
    CHECK_EQ(res.answered, 0);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"choices\":[{\"message\":{\"content\":\"cut"), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"a\":1"), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"a\":1}x"), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"a\":1,}"), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"a\" 1}"), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"choices\":[{\"message\":{\"content\":\"\\x\"}}]}"), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"choices\":[{\"message\":{\"content\":\"\\u12\"}}]}"), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "\"tab\tinside\""), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, ""), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]"), LLMRES_ERR_BAD_BODY);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{}"), LLMRES_OK);
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "[]"), LLMRES_OK);
    /* an error body without a type: still read, and still classified by status */
    CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, "{\"error\":{\"message\":\"boom\"}}"), LLMRES_OK);
    CHECK(strcmp(res.error_message, "boom") == 0);
    CHECK_EQ(llmres_classify(500, NULL, &res), LLMRES_CLASS_SERVER_ERROR);
    CHECK_EQ(llmres_llm_parse_response(llmres_wire_get(7), "{}", 2, &res), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_llm_parse_response(llmres_wire_get(0), "{}", 2, NULL), LLMRES_ERR_INVALID);
}

static void text_too_long_is_an_error_not_a_cut(void) {
    static char small[8];
    const char *json = "{\"message\":{\"content\":\"0123456789\"}}";
    memset(&res, 0, sizeof(res));
    res.text = small;
    res.text_cap = sizeof(small);
    CHECK_EQ(llmres_llm_parse_response(llmres_wire_get(LLMRES_PROVIDER_OLLAMA), json, strlen(json), &res), LLMRES_ERR_TOO_LARGE);
    res.text_cap = 0;
    res.text = NULL;
    CHECK_EQ(llmres_llm_parse_response(llmres_wire_get(LLMRES_PROVIDER_OLLAMA), json, strlen(json), &res), LLMRES_ERR_TOO_LARGE);
    /* an error message too long for its field is cut, on a character boundary */
    {
        char big[400];
        size_t i, at;
        at = (size_t)sprintf(big, "{\"error\":{\"message\":\"");
        for (i = 0; i < 100; i++) at += (size_t)sprintf(big + at, "\xC3\xA9"); /* 200 bytes of e-acute */
        sprintf(big + at, "\"}}");
        CHECK_EQ(parse(LLMRES_PROVIDER_OPENAI, big), LLMRES_OK);
        CHECK(strlen(res.error_message) == sizeof(res.error_message) - 1 ||
              strlen(res.error_message) == sizeof(res.error_message) - 2);
        CHECK(strlen(res.error_message) % 2 == 0); /* whole two-byte characters only */
    }
}

static void request_json_for_each_provider(void) {
    static const llmres_llm_message_t msgs[2] = {{"user", "Say \"hi\"\n\tpls \\ \x01 caf\xC3\xA9"}, {"assistant", "ok"}};
    llmres_llm_request_t r;
    char buf[1024];
    int n;
    size_t cap;
    memset(&r, 0, sizeof(r));
    r.wire = llmres_wire_get(LLMRES_PROVIDER_OPENAI);
    r.model = "gpt-4o-mini";
    r.system = "Be brief.";
    r.messages = msgs;
    r.message_count = 2;
    r.max_tokens = 64;
    r.temperature_milli = 700;
    n = llmres_llm_write_request(&r, buf, sizeof(buf));
    CHECK(n > 0);
    buf[n > 0 ? n : 0] = 0;
    CHECK(strcmp(buf, "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                      "{\"role\":\"user\",\"content\":\"Say \\\"hi\\\"\\n\\tpls \\\\ \\u0001 caf\xC3\xA9\"},"
                      "{\"role\":\"assistant\",\"content\":\"ok\"}],\"max_tokens\":64,\"temperature\":0.7}") == 0);
    for (cap = 0; cap < (size_t)n; cap++) CHECK_EQ(llmres_llm_write_request(&r, buf, cap), LLMRES_ERR_TOO_LARGE);
    r.wire = llmres_wire_get(LLMRES_PROVIDER_ANTHROPIC);
    r.max_tokens = 0;
    r.temperature_milli = 1250;
    r.message_count = 1;
    r.messages = &msgs[1];
    n = llmres_llm_write_request(&r, buf, sizeof(buf));
    buf[n > 0 ? n : 0] = 0;
    CHECK(strcmp(buf, "{\"model\":\"gpt-4o-mini\",\"max_tokens\":1024,\"system\":\"Be brief.\","
                      "\"messages\":[{\"role\":\"assistant\",\"content\":\"ok\"}],\"temperature\":1.25}") == 0);
    r.wire = llmres_wire_get(LLMRES_PROVIDER_OLLAMA);
    r.system = NULL;
    r.temperature_milli = 0;
    r.max_tokens = 5;
    n = llmres_llm_write_request(&r, buf, sizeof(buf));
    buf[n > 0 ? n : 0] = 0;
    CHECK(strcmp(buf, "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"assistant\",\"content\":\"ok\"}],"
                      "\"stream\":false,\"options\":{\"temperature\":0,\"num_predict\":5}}") == 0);
    r.temperature_milli = -1;
    r.max_tokens = 0;
    n = llmres_llm_write_request(&r, buf, sizeof(buf));
    buf[n > 0 ? n : 0] = 0;
    CHECK(strcmp(buf, "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"assistant\",\"content\":\"ok\"}],"
                      "\"stream\":false,\"options\":{}}") == 0);
    /* streaming: Ollama says so in place; OpenAI asks for usage in the last chunk */
    r.stream = 1;
    n = llmres_llm_write_request(&r, buf, sizeof(buf));
    buf[n > 0 ? n : 0] = 0;
    CHECK(strcmp(buf, "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"assistant\",\"content\":\"ok\"}],"
                      "\"stream\":true,\"options\":{}}") == 0);
    r.wire = llmres_wire_get(LLMRES_PROVIDER_OPENAI);
    n = llmres_llm_write_request(&r, buf, sizeof(buf));
    buf[n > 0 ? n : 0] = 0;
    CHECK(strcmp(buf, "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"assistant\",\"content\":\"ok\"}],"
                      "\"stream\":true,\"stream_options\":{\"include_usage\":true}}") == 0);
    r.wire = llmres_wire_get(LLMRES_PROVIDER_ANTHROPIC);
    n = llmres_llm_write_request(&r, buf, sizeof(buf));
    buf[n > 0 ? n : 0] = 0;
    CHECK(strcmp(buf, "{\"model\":\"gpt-4o-mini\",\"max_tokens\":1024,\"messages\":[{\"role\":\"assistant\",\"content\":\"ok\"}],"
                      "\"stream\":true}") == 0);
    r.wire = llmres_wire_get(LLMRES_PROVIDER_OLLAMA);
    r.stream = 0;
    r.temperature_milli = 2001;
    CHECK_EQ(llmres_llm_write_request(&r, buf, sizeof(buf)), LLMRES_ERR_INVALID);
    r.temperature_milli = 0;
    r.message_count = 0;
    CHECK_EQ(llmres_llm_write_request(&r, buf, sizeof(buf)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_llm_write_request(NULL, buf, sizeof(buf)), LLMRES_ERR_INVALID);
}

/* ---- streams ---- */
static llmres_llm_stream_t stream;
static char event_buf[2048];
static char pieces[512];   /* every piece given to on_text, separated by '|' */
static int restarts;

static void on_piece(void *user, const char *t, size_t n) {
    size_t at = strlen(pieces);
    (void)user;
    if (!t) { restarts++; return; }
    if (at + n + 2 < sizeof(pieces)) {
        memcpy(pieces + at, t, n);
        pieces[at + n] = '|';
        pieces[at + n + 1] = 0;
    }
}

/* Feeds a stream in pieces of `step` bytes (0: whole; len (size_t)-1: a C string);
   returns stream_end's answer. */
static int stream_feed(int provider, const char *in, size_t len, size_t step, int keep) {
    size_t i;
    if (len == (size_t)-1) len = strlen(in);
    memset(&res, 0, sizeof(res));
    res.text = text;
    res.text_cap = sizeof(text);
    pieces[0] = 0;
    CHECK_EQ(llmres_llm_stream_init(&stream, llmres_wire_get(provider), event_buf, sizeof(event_buf), &res), LLMRES_OK);
    stream.on_text = on_piece;
    stream.keep_text = (uint8_t)keep;
    for (i = 0; i < len; i += step ? step : len) {
        size_t n = step && len - i > step ? step : len - i;
        int rc = llmres_llm_stream_feed(&stream, in + i, n);
        if (rc < 0) return rc;
    }
    return llmres_llm_stream_end(&stream);
}

static size_t load(const char *name) {
    size_t n;
    FILE *f = t_open_vector(name);
    if (!f) return 0;
    n = fread(raw, 1, sizeof(raw) - 1, f);
    fclose(f);
    raw[n] = 0;
    return n;
}

static void stream_vectors_yield_what_they_must(void) {
    static const size_t steps[] = {0, 1, 2, 3, 7, 64};
    size_t k, n;
    for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        n = load("openai_stream.sse");
        CHECK(n > 0);
        CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, raw, n, steps[k], 1), LLMRES_OK);
        CHECK(strcmp(pieces, "Hel|lo|") == 0);
        CHECK(strcmp(text, "Hello") == 0);
        CHECK(strcmp(res.finish, "stop") == 0);
        CHECK_EQ(stream.done, 1);
        CHECK_EQ(stream.failed, 0);
        CHECK_EQ(res.answered, 1);
        CHECK_EQ(llmres_classify(200, NULL, &res), LLMRES_CLASS_OK);

        n = load("anthropic_stream.sse");
        CHECK_EQ(stream_feed(LLMRES_PROVIDER_ANTHROPIC, raw, n, steps[k], 1), LLMRES_OK);
        CHECK(strcmp(pieces, "Hel|lo|") == 0); /* ping ignored */
        CHECK(strcmp(res.finish, "end_turn") == 0);
        CHECK_EQ(res.input_tokens, 25);
        CHECK_EQ(res.output_tokens, 3);
        CHECK_EQ(stream.events, 8);
        CHECK_EQ(llmres_classify(200, NULL, &res), LLMRES_CLASS_OK);

        n = load("anthropic_stream_error_after_200.sse");
        CHECK_EQ(stream_feed(LLMRES_PROVIDER_ANTHROPIC, raw, n, steps[k], 1), LLMRES_OK);
        CHECK(strcmp(text, "Hel") == 0); /* the partial text... */
        CHECK_EQ(stream.failed, 1);      /* ...plus an overloaded error */
        CHECK_EQ(stream.done, 0);
        CHECK(strcmp(res.error_type, "overloaded_error") == 0);
        CHECK(strcmp(res.error_message, "Overloaded") == 0);
        CHECK_EQ(llmres_classify(200, NULL, &res), LLMRES_CLASS_OVERLOADED);
    }
}

static void streams_any_framing_and_bad_input(void) {
    /* CRLF and bare CR line ends, comments, event/id/retry fields, data split over lines */
    static const char crlf[] = ": keep-alive\r\nid: 7\r\nretry: 100\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"a\\u00e9\"}}]}\r\n\r\n"
                               "event: x\rdata:{\"choices\":\r\ndata: [{\"delta\":{\"content\":\"b\"},\"finish_reason\":\"length\"}]}\r\r"
                               "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n";
    static const char ndjson[] = "{\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n"
                                 "{\"message\":{\"role\":\"assistant\",\"content\":\" there\"},\"done\":false}\r\n"
                                 "{\"message\":{\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,\"prompt_eval_count\":4,\"eval_count\":2}";
    size_t k;
    for (k = 0; k < 3; k++) {
        CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, crlf, sizeof(crlf) - 1, k, 1), LLMRES_OK);
        CHECK(strcmp(text, "a\xC3\xA9" "b") == 0);
        CHECK(strcmp(res.finish, "length") == 0);
        CHECK_EQ(res.input_tokens, 5);
        CHECK_EQ(res.output_tokens, 2);
        CHECK_EQ(stream_feed(LLMRES_PROVIDER_OLLAMA, ndjson, sizeof(ndjson) - 1, k, 1), LLMRES_OK); /* no final LF */
        CHECK(strcmp(pieces, "Hi| there|") == 0);
        CHECK(strcmp(res.finish, "stop") == 0);
        CHECK_EQ(res.output_tokens, 2);
    }
    /* keep_text 0: text holds one piece at a time, text_len counts them all */
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OLLAMA, ndjson, sizeof(ndjson) - 1, 5, 0), LLMRES_OK);
    CHECK(strcmp(pieces, "Hi| there|") == 0);
    CHECK_EQ(res.text_len, 8);
    /* cut short: no [DONE] */
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, crlf, 60, 0, 1), LLMRES_ERR_TRUNCATED);
    /* not JSON in an event; an event larger than its buffer; Ollama's error line */
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, "data: <html>\n\n", (size_t)-1, 0, 1), LLMRES_ERR_BAD_BODY);
    memset(raw, 'x', 3000);
    memcpy(raw, "data: \"", 7);
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, raw, 3000, 100, 1), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OLLAMA, "{\"error\":\"model not found\"}\n", (size_t)-1, 0, 1), LLMRES_OK);
    CHECK_EQ(stream.failed, 1);
    CHECK(strcmp(res.error_message, "model not found") == 0);
    CHECK_EQ(llmres_classify(200, NULL, &res), LLMRES_CLASS_SERVER_ERROR);
    /* OpenAI's error chunk mid-stream, after text */
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"
                         "data: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}\n\n",
                         (size_t)-1, 0, 1), LLMRES_OK);
    CHECK_EQ(stream.failed, 1);
    CHECK_EQ(llmres_classify(200, NULL, &res), LLMRES_CLASS_RATE_LIMIT);
    /* a text longer than the buffer: TOO_LARGE, never a cut */
    {
        static char small[4];
        static const char two[] = "data: {\"choices\":[{\"delta\":{\"content\":\"ab\"}}]}\n\n"
                                  "data: {\"choices\":[{\"delta\":{\"content\":\"cd\"}}]}\n\n";
        memset(&res, 0, sizeof(res));
        res.text = small;
        res.text_cap = sizeof(small);
        CHECK_EQ(llmres_llm_stream_init(&stream, llmres_wire_get(LLMRES_PROVIDER_OPENAI), event_buf, sizeof(event_buf), &res), LLMRES_OK);
        CHECK_EQ(llmres_llm_stream_feed(&stream, two, sizeof(two) - 1), LLMRES_ERR_TOO_LARGE);
        CHECK(strcmp(small, "ab") == 0);
        CHECK_EQ(res.text_len, 2);
        CHECK_EQ(llmres_llm_stream_end(&stream), LLMRES_ERR_TOO_LARGE);
    }
    /* an empty event is nothing, not an error; a UTF-8 BOM opening the stream is not data */
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, "data:\n\ndata: \n\ndata: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                         "data: [DONE]\n\n", (size_t)-1, 1, 1), LLMRES_OK);
    CHECK(strcmp(text, "a") == 0);
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, "\xEF\xBB\xBF" "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                         "data: [DONE]\n\n", (size_t)-1, 1, 1), LLMRES_OK);
    CHECK(strcmp(text, "Hel") == 0);
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, "\xEF\xBB" "data: x", (size_t)-1, 0, 1), LLMRES_ERR_BAD_BODY);
    /* an error that says nothing is still an error, and never an answer even before [DONE] */
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_ANTHROPIC, "data: {\"type\":\"error\",\"error\":{}}\n\n", (size_t)-1, 0, 1), LLMRES_OK);
    CHECK_EQ(stream.failed, 1);
    CHECK_EQ(llmres_classify(200, NULL, &res), LLMRES_CLASS_SERVER_ERROR);
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                         "data: {\"error\":{\"message\":\"\"}}\n\ndata: [DONE]\n\n", (size_t)-1, 0, 1), LLMRES_OK);
    CHECK_EQ(res.answered, 0);
    CHECK(llmres_classify(200, NULL, &res) != LLMRES_CLASS_OK);
    /* "error": null is no error; a CR inside an NDJSON object is whitespace */
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OLLAMA, "{\"error\":null,\"message\":{\"content\":\"x\"},\r\"done\":true}\n",
                         (size_t)-1, 0, 1), LLMRES_OK);
    CHECK_EQ(stream.failed, 0);
    CHECK_EQ(stream.done, 1);
    CHECK(strcmp(text, "x") == 0);
    /* an OpenAI-compatible server's error as a plain string */
    CHECK_EQ(stream_feed(LLMRES_PROVIDER_OPENAI, "data: {\"error\":\"upstream overloaded\"}\n\n", (size_t)-1, 0, 1), LLMRES_OK);
    CHECK_EQ(stream.failed, 1);
    CHECK_EQ(llmres_classify(200, NULL, &res), LLMRES_CLASS_OVERLOADED);
    /* inside a 200: a numeric code is the status; Anthropic's other types map as their statuses */
    memset(&res, 0, sizeof(res));
    strcpy(res.error_code, "402");
    CHECK_EQ(llmres_classify(200, NULL, &res), LLMRES_CLASS_QUOTA);
    res.error_code[0] = 0;
    strcpy(res.error_type, "permission_error");
    CHECK_EQ(llmres_classify(200, NULL, &res), LLMRES_CLASS_AUTHENTICATION);
    strcpy(res.error_type, "request_too_large");
    CHECK_EQ(llmres_classify(200, NULL, &res), LLMRES_CLASS_PERMANENT);
    CHECK_EQ(llmres_llm_stream_init(&stream, llmres_wire_get(9), event_buf, sizeof(event_buf), &res), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_llm_stream_init(&stream, llmres_wire_get(0), NULL, 0, &res), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_llm_stream_feed(NULL, "x", 1), LLMRES_ERR_INVALID);
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(openai_success);
    RUN(anthropic_and_ollama_success);
    RUN(every_error_vector_gets_its_class);
    RUN(taxonomy_table_and_overrides);
    RUN(json_reading_is_robust);
    RUN(text_too_long_is_an_error_not_a_cut);
    RUN(request_json_for_each_provider);
    RUN(stream_vectors_yield_what_they_must);
    RUN(streams_any_framing_and_bad_input);
    return T_DONE();
}
