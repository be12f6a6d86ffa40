/* Configuration: defaults, presets, one key at a time, KEY=VALUE text, and errors that
   name the key. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../test.h"
#include <string.h>

static void defaults_and_presets(void) {
    llmres_config_t c;
    char err[160];
    llmres_config_defaults(&c);
    CHECK_EQ(c.max_concurrent, 4);
    CHECK_EQ(c.rps_milli, 2000);
    CHECK_EQ(c.cache, LLMRES_CACHE_OFF); /* caching is asked for */
    CHECK_EQ(llmres_config_preset(&c, "heavy_load", err, sizeof(err)), LLMRES_OK);
    CHECK(c.max_concurrent == 2 && c.rps_milli == 1000 && c.max_queue == 30 && c.breaker_failures == 3);
    CHECK_EQ(llmres_config_preset(&c, "light_load", err, sizeof(err)), LLMRES_OK);
    CHECK(c.max_concurrent == 5 && c.rps_milli == 3000 && c.max_queue == 100 && c.breaker_failures == 8);
    CHECK_EQ(llmres_config_preset(&c, "unstable_provider", err, sizeof(err)), LLMRES_OK);
    CHECK(c.max_concurrent == 1 && c.rps_milli == 500 && c.breaker_failures == 2 && c.breaker_timeout_ms == 10000);
    CHECK_EQ(llmres_config_preset(&c, "turbo", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK(strstr(err, "turbo") != NULL);
}

static void one_key_at_a_time(void) {
    llmres_config_t c;
    char err[160];
    llmres_config_defaults(&c);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "1.5", err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.rps_milli, 1500);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "0.001", err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.rps_milli, 1);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "12", err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.rps_milli, 12000);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "2.25", err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.rps_milli, 2250);
    CHECK_EQ(llmres_config_set(&c, "LLM_MAX_CONCURRENT_REQUESTS", "3", err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.max_concurrent, 3);
    CHECK_EQ(llmres_config_set(&c, "LLM_CACHE", "All", err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.cache, LLMRES_CACHE_ALL);
    /* bad values: the message names the key, the value stays as it was */
    CHECK_EQ(llmres_config_set(&c, "LLM_MAX_CONCURRENT_REQUESTS", "1.5", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK(strstr(err, "LLM_MAX_CONCURRENT_REQUESTS") != NULL);
    CHECK_EQ(c.max_concurrent, 3);
    CHECK_EQ(llmres_config_set(&c, "LLM_MAX_CONCURRENT_REQUESTS", "0", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK(strstr(err, "out of range") != NULL);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "1.2345", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "abc", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK(strstr(err, "LLM_REQUESTS_PER_SECOND") != NULL && strstr(err, "abc") != NULL);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "-1", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", ".5", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "1.", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "99999999999", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_config_set(&c, "LLM_CACHE", "sometimes", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_config_set(&c, "LLM_WARP_DRIVE", "1", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK(strstr(err, "LLM_WARP_DRIVE") != NULL);
    CHECK_EQ(c.rps_milli, 2250);
    CHECK_EQ(llmres_config_set(&c, "LLM_CACHE", "off", NULL, 0), LLMRES_OK); /* err may be NULL */
    CHECK_EQ(llmres_config_set(NULL, "LLM_CACHE", "off", err, sizeof(err)), LLMRES_ERR_INVALID);
}

static void text_from_flash(void) {
    static const char text[] =
        "# gateway settings\n"
        "LLM_MAX_CONCURRENT_REQUESTS = 2\r\n"
        "\n"
        "  LLM_REQUESTS_PER_SECOND=0.5  \n"
        "LLM_CIRCUIT_BREAKER_TIMEOUT_MS=60000";
    llmres_config_t c;
    char err[160];
    int i;
    llmres_config_defaults(&c);
    CHECK_EQ(llmres_config_parse(&c, text, sizeof(text) - 1, err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.max_concurrent, 2);
    CHECK_EQ(c.rps_milli, 500);
    CHECK_EQ(c.breaker_timeout_ms, 60000);
    CHECK_EQ(llmres_config_parse(&c, "LLM_MAX_QUEUE_SIZE=4\nLLM_TYPO=1\n", 32, err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK(strstr(err, "line 2") != NULL && strstr(err, "LLM_TYPO") != NULL);
    CHECK_EQ(c.max_queue, 4); /* lines before the bad one took effect */
    CHECK_EQ(llmres_config_parse(&c, "just words\n", 11, err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK(strstr(err, "line 1") != NULL);
    for (i = 0; llmres_config_key(i); i++) {}
    CHECK_EQ(i, 39);
    CHECK(llmres_config_key(-1) == NULL);
}

/* Found by fuzzing (issue 12): a NUL cut the key ("LLM_TIMEOUT_MS\0junk" read as
   LLM_TIMEOUT_MS) or the value; leading zeros counted against the 10 digits. */
static void nul_bytes_and_leading_zeros(void) {
    static const char nul_key[] = "LLM_TIMEOUT_MS\0junk=5000\n";
    static const char nul_value[] = "LLM_TIMEOUT_MS=5000\0junk\n";
    static const char nul_comment[] = "# a comment\0 with a NUL\nLLM_TIMEOUT_MS=7000\n";
    llmres_config_t c;
    char err[160];
    llmres_config_defaults(&c);
    CHECK_EQ(llmres_config_parse(&c, nul_key, sizeof(nul_key) - 1, err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK(strstr(err, "line 1") != NULL && strstr(err, "NUL") != NULL);
    CHECK_EQ(llmres_config_parse(&c, nul_value, sizeof(nul_value) - 1, err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(c.timeout_ms, 60000); /* untouched */
    CHECK_EQ(llmres_config_parse(&c, nul_comment, sizeof(nul_comment) - 1, err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.timeout_ms, 7000);  /* a comment is not read */
    CHECK_EQ(llmres_config_set(&c, "LLM_TIMEOUT_MS", "000000151239680", err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.timeout_ms, 151239680);
    CHECK_EQ(llmres_config_parse(&c, "LLM_JITTER_SEED=00000000004294967294\n", 37, err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.jitter_seed, 4294967294u);
    CHECK_EQ(llmres_config_set(&c, "LLM_REQUESTS_PER_SECOND", "0000000000001.5", err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.rps_milli, 1500);
    CHECK_EQ(llmres_config_set(&c, "LLM_MAX_RETRIES", "0000000000000", err, sizeof(err)), LLMRES_OK);
    CHECK_EQ(c.max_retries, 0);
    /* overflow is still refused, with or without leading zeros */
    CHECK_EQ(llmres_config_set(&c, "LLM_JITTER_SEED", "00004294967296", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_config_set(&c, "LLM_JITTER_SEED", "4294967295", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_config_set(&c, "LLM_TIMEOUT_MS", "0099999999999", err, sizeof(err)), LLMRES_ERR_INVALID);
    CHECK_EQ(c.jitter_seed, 4294967294u);
    CHECK_EQ(c.timeout_ms, 151239680);
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(defaults_and_presets);
    RUN(one_key_at_a_time);
    RUN(text_from_flash);
    RUN(nul_bytes_and_leading_zeros);
    return T_DONE();
}
