/* Unit tests of the primitives, on a fake clock that starts 1000 ms before the 32-bit
   wrap, so every timer below crosses it. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../test.h"
#include <string.h>

#define T0 (0xFFFFFFFFu - 999u) /* 2^32 - 1000 */

/* ---- bucket ---- */

static void bucket_rejects_bad_arguments(void) {
    llmres_bucket_t b;
    CHECK_EQ(llmres_bucket_init(NULL, 0, 1, 1, 1000), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_bucket_init(&b, 0, 1, 1, 0), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_bucket_take(NULL, 0, 1), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_bucket_refund(NULL, 0, 1), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_bucket_drain(NULL, 0, 1), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_bucket_wait_ms(NULL, 0, 1), LLMRES_NEVER);
    CHECK_EQ(llmres_bucket_init(&b, 0, 1, 1, 1000), LLMRES_OK);
    CHECK_EQ(llmres_bucket_set_rate(&b, 0, 1, 1, 0), LLMRES_ERR_INVALID);
}

/* 1.5 requests per second as 3 per 2000 ms: exact, across the wrap. */
static void bucket_one_and_a_half_per_second_across_wrap(void) {
    llmres_bucket_t b;
    uint32_t t;
    CHECK_EQ(llmres_bucket_init(&b, T0, 3, 3, 2000), LLMRES_OK);
    CHECK_EQ(llmres_bucket_take(&b, T0, 3), LLMRES_OK);
    CHECK_EQ(llmres_bucket_take(&b, T0, 1), LLMRES_ERR_LIMITED);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0, 1), 667); /* 2000/3 = 666.7, rounded up */
    CHECK_EQ(llmres_bucket_take(&b, T0 + 666u, 1), LLMRES_ERR_LIMITED);
    CHECK_EQ(llmres_bucket_take(&b, T0 + 667u, 1), LLMRES_OK);
    /* left: 3*667 - 2000 = 1 unit; after 1333 ms more: 1 + 3999 = 2 tokens exactly */
    t = T0 + 667u + 1333u;
    CHECK_EQ(llmres_bucket_available(&b, t - 1u), 1);
    CHECK_EQ(llmres_bucket_available(&b, t), 2);
    /* over one minute from empty exactly 90 requests get through at 1.5/s */
    {
        uint32_t granted = 0, ms;
        /* capacity 2, so a fraction over one token is never cut by the cap */
        llmres_bucket_init(&b, T0, 2, 3, 2000);
        llmres_bucket_take(&b, T0, 2);
        for (ms = 1; ms <= 60000; ms++)
            if (llmres_bucket_take(&b, T0 + ms, 1) == LLMRES_OK) granted++;
        CHECK_EQ(granted, 90);
    }
}

static void bucket_tokens_per_minute_refund_and_cost(void) {
    llmres_bucket_t b;
    llmres_bucket_init(&b, T0, 90000, 90000, 60000);
    CHECK_EQ(llmres_bucket_take(&b, T0, 80000), LLMRES_OK);
    CHECK_EQ(llmres_bucket_take(&b, T0, 20000), LLMRES_ERR_LIMITED);
    CHECK_EQ(llmres_bucket_available(&b, T0), 10000);
    /* 10000 short at 1.5 tokens/ms: 6667 ms */
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0, 20000), 6667);
    CHECK_EQ(llmres_bucket_take(&b, T0 + 6666u, 20000), LLMRES_ERR_LIMITED);
    CHECK_EQ(llmres_bucket_take(&b, T0 + 6667u, 20000), LLMRES_OK);
    /* the estimate was 20000, actual usage 15000: give 5000 back */
    CHECK_EQ(llmres_bucket_refund(&b, T0 + 6667u, 5000), LLMRES_OK);
    CHECK_EQ(llmres_bucket_available(&b, T0 + 6667u), 5000);
    /* a refund never overfills */
    CHECK_EQ(llmres_bucket_refund(&b, T0 + 6667u, 0xFFFFFFFFu), LLMRES_OK);
    CHECK_EQ(llmres_bucket_available(&b, T0 + 6667u), 90000);
    CHECK_EQ(b.allowed, 2);
    CHECK_EQ(b.denied, 2);
    CHECK_EQ(llmres_bucket_peak_used(&b), 90000);
}

static void bucket_more_than_capacity_zero_rate_zero_capacity(void) {
    llmres_bucket_t b;
    llmres_bucket_init(&b, T0, 5, 1, 1000);
    CHECK_EQ(llmres_bucket_take(&b, T0, 6), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0, 6), LLMRES_NEVER);
    CHECK_EQ(llmres_bucket_available(&b, T0), 5); /* nothing taken */

    llmres_bucket_init(&b, T0, 2, 0, 1000); /* rate 0: never refills */
    CHECK_EQ(llmres_bucket_take(&b, T0, 2), LLMRES_OK);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0, 1), LLMRES_NEVER);
    CHECK_EQ(llmres_bucket_take(&b, T0 + 0x7FFFFFFFu, 1), LLMRES_ERR_LIMITED);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0, 0), 0);

    llmres_bucket_init(&b, T0, 0, 10, 1000); /* capacity 0 admits only n = 0 */
    CHECK_EQ(llmres_bucket_take(&b, T0, 0), LLMRES_OK);
    CHECK_EQ(llmres_bucket_take(&b, T0 + 5000u, 1), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(llmres_bucket_available(&b, T0 + 5000u), 0);
}

static void bucket_huge_values_do_not_overflow(void) {
    llmres_bucket_t b;
    const uint32_t M = 0xFFFFFFFFu, P = 0x7FFFFFFFu; /* the largest capacity and period */
    CHECK_EQ(llmres_bucket_init(&b, T0, M, M, 0x80000000u), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_bucket_take(&b, T0, 1), LLMRES_ERR_TOO_LARGE); /* a failed init admits nothing */
    CHECK_EQ(llmres_bucket_available(&b, T0), 0);
    CHECK_EQ(llmres_bucket_peak_used(&b), 0);
    CHECK_EQ(llmres_bucket_init(&b, T0, M, M, P), LLMRES_OK);
    CHECK_EQ(llmres_bucket_take(&b, T0, M), LLMRES_OK);
    CHECK_EQ(llmres_bucket_available(&b, T0), 0);
    CHECK_EQ(llmres_bucket_available(&b, T0 + 1u), 2);      /* M per P ms: 2 + 1/P per ms */
    CHECK_EQ(llmres_bucket_available(&b, T0 + P), M);       /* full, clamped, no wrap */
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0, M), P);          /* M tokens take exactly P ms */
    llmres_bucket_init(&b, T0, M, M, 1);                    /* M per ms */
    CHECK_EQ(llmres_bucket_take(&b, T0, M), LLMRES_OK);
    CHECK_EQ(llmres_bucket_available(&b, T0 + 0x7FFFFFFFu), M); /* clamped, no wrap */
    CHECK_EQ(llmres_bucket_set_rate(&b, T0 + 1u, M, M, P), LLMRES_OK);
    CHECK_EQ(llmres_bucket_available(&b, T0 + 1u), M);
    CHECK_EQ(llmres_bucket_set_rate(&b, T0 + 1u, M, M, 0x80000000u), LLMRES_ERR_INVALID);
    /* a wait longer than 2^31 - 1 ms is given as 2^31 - 1 */
    llmres_bucket_init(&b, T0, 1000, 1, P);
    llmres_bucket_take(&b, T0, 1000);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0, 1000), 0x7FFFFFFFu);
}

static void bucket_live_rate_change_keeps_tokens(void) {
    llmres_bucket_t b;
    llmres_bucket_init(&b, T0, 10, 1, 1000);
    llmres_bucket_take(&b, T0, 6); /* 4 left */
    CHECK_EQ(llmres_bucket_set_rate(&b, T0, 20, 10, 1000), LLMRES_OK);
    CHECK_EQ(llmres_bucket_available(&b, T0), 4);
    CHECK_EQ(llmres_bucket_available(&b, T0 + 100u), 5); /* new rate: 10 per second */
    /* a fraction carries over a period change exactly: 1.5 tokens at 1/1000 -> 3/2000 */
    llmres_bucket_init(&b, T0, 4, 1, 1000);
    llmres_bucket_take(&b, T0, 4);
    CHECK_EQ(llmres_bucket_set_rate(&b, T0 + 1500u, 4, 3, 2000), LLMRES_OK);
    CHECK_EQ(llmres_bucket_available(&b, T0 + 1500u), 1);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0 + 1500u, 2), 334); /* 0.5 token at 1.5/s */
    /* shrinking capacity cuts the level */
    llmres_bucket_init(&b, T0, 10, 1, 1000);
    CHECK_EQ(llmres_bucket_set_rate(&b, T0, 2, 1, 1000), LLMRES_OK);
    CHECK_EQ(llmres_bucket_available(&b, T0), 2);
    CHECK_EQ(llmres_bucket_take(&b, T0, 3), LLMRES_ERR_TOO_LARGE);
}

/* A server said "nothing until T": drain across the wrap. */
static void bucket_drain_until_server_reset(void) {
    llmres_bucket_t b;
    llmres_bucket_init(&b, T0, 10, 1, 1000);
    CHECK_EQ(llmres_bucket_drain(&b, T0, T0 + 5000u), LLMRES_OK);
    CHECK_EQ(llmres_bucket_available(&b, T0), 0);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0, 1), 6000);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0 + 2000u, 1), 4000);
    CHECK_EQ(llmres_bucket_take(&b, T0 + 5999u, 1), LLMRES_ERR_LIMITED);
    CHECK_EQ(llmres_bucket_take(&b, T0 + 6000u, 1), LLMRES_OK);
    /* an earlier drain does not shorten a later one */
    llmres_bucket_drain(&b, T0 + 6000u, T0 + 9000u);
    llmres_bucket_drain(&b, T0 + 6000u, T0 + 7000u);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0 + 6000u, 1), 4000);
    /* until in the past just empties */
    llmres_bucket_init(&b, T0, 10, 1, 1000);
    llmres_bucket_drain(&b, T0, T0 - 100u);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0, 1), 1000);
}

static void bucket_clock_going_back_is_harmless(void) {
    llmres_bucket_t b;
    llmres_bucket_init(&b, T0, 2, 1, 1000);
    llmres_bucket_take(&b, T0, 2);
    CHECK_EQ(llmres_bucket_take(&b, T0 - 50000u, 1), LLMRES_ERR_LIMITED);
    CHECK_EQ(llmres_bucket_take(&b, T0 + 1000u, 1), LLMRES_OK);
    CHECK_EQ(llmres_bucket_peak_used(&b), 2);
}

/* ---- breaker ---- */

static int hook_calls, hook_from, hook_to;
static uint32_t hook_now;
static void on_change(void *user, int from, int to, uint32_t now) {
    (void)user;
    hook_calls++;
    hook_from = from;
    hook_to = to;
    hook_now = now;
}

static void breaker_rejects_bad_config(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    memset(&c, 0, sizeof(c));
    CHECK_EQ(llmres_breaker_init_sized(NULL, &c, sizeof(b)), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_breaker_init_sized(&b, &c, sizeof(b) - 1u), LLMRES_ERR_SIZE_MISMATCH);
    c.window = LLMRES_MAX_BREAKER_WINDOW + 1u;
    CHECK_EQ(llmres_breaker_init(&b, &c), LLMRES_ERR_INVALID);
    c.window = 4; c.min_calls = 5;
    CHECK_EQ(llmres_breaker_init(&b, &c), LLMRES_ERR_INVALID);
    c.min_calls = 4; c.probes = 5;
    CHECK_EQ(llmres_breaker_init(&b, &c), LLMRES_ERR_INVALID);
    c.probes = 1; c.failure_rate_pct = 101;
    CHECK_EQ(llmres_breaker_init(&b, &c), LLMRES_ERR_INVALID);
    c.failure_rate_pct = 0; c.slow_rate_pct = 200;
    CHECK_EQ(llmres_breaker_init(&b, &c), LLMRES_ERR_INVALID);
    c.slow_rate_pct = 0; c.open_ms = 5000; c.max_open_ms = 4000;
    CHECK_EQ(llmres_breaker_init(&b, &c), LLMRES_ERR_INVALID);
    c.max_open_ms = 0;
    CHECK_EQ(llmres_breaker_init(&b, &c), LLMRES_OK);
    CHECK_EQ(llmres_breaker_init(&b, NULL), LLMRES_OK); /* all defaults */
    CHECK_EQ(b.cfg.window, 20);
    CHECK_EQ(llmres_breaker_record(&b, T0, 7, 0), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_breaker_record(&b, T0, -1, 0), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_breaker_allow(NULL, T0), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_breaker_state(NULL), LLMRES_ERR_INVALID);
    CHECK(strcmp(llmres_breaker_state_name(LLMRES_BREAKER_HALF_OPEN), "half-open") == 0);
}

static void breaker_trips_on_consecutive_failures(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = 3;
    c.failure_rate_pct = LLMRES_NEVER;
    c.open_ms = 5000;
    c.on_change = on_change;
    hook_calls = 0;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 10);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 10);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 10); /* breaks the run */
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 10);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 10);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED);
    CHECK_EQ(hook_calls, 0);
    llmres_breaker_record(&b, T0 + 10u, LLMRES_OUTCOME_FAILURE, 10);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);
    CHECK_EQ(hook_calls, 1);
    CHECK_EQ(hook_from, LLMRES_BREAKER_CLOSED);
    CHECK_EQ(hook_to, LLMRES_BREAKER_OPEN);
    CHECK_EQ(hook_now, T0 + 10u);
    CHECK_EQ(b.transitions[LLMRES_BREAKER_OPEN], 1);
    /* open across the wrap: 5000 ms from T0 + 10 */
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 10u), LLMRES_ERR_OPEN);
    CHECK_EQ(llmres_breaker_retry_in(&b, T0 + 10u), 5000);
    CHECK_EQ(llmres_breaker_retry_in(&b, T0 + 4000u), 1010);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 5009u), LLMRES_ERR_OPEN);
    CHECK_EQ(b.rejected, 2);
    CHECK_EQ(llmres_breaker_retry_in(&b, T0 + 5010u), 0);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 5010u), LLMRES_OK);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_HALF_OPEN);
}

static void breaker_trips_on_failure_rate_in_window(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    int i;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = LLMRES_NEVER;
    c.window = 10; c.min_calls = 5; c.failure_rate_pct = 50;
    llmres_breaker_init(&b, &c);
    /* S F S F S: 2/5 = 40 % */
    for (i = 0; i < 5; i++)
        llmres_breaker_record(&b, T0, i & 1 ? LLMRES_OUTCOME_FAILURE : LLMRES_OUTCOME_SUCCESS, 1);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED);
    CHECK_EQ(b.failures, 2);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1); /* 3/6 = 50 % */
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);

    /* below min_calls no rate applies; reaching it on a success still judges */
    c.window = 4; c.min_calls = 4;
    llmres_breaker_init(&b, &c);
    for (i = 0; i < 3; i++) llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 1); /* 3/4 */
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);
}

/* The window slides: old failures leave it. */
static void breaker_window_slides(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    static const int seq[] = {1, 1, 0, 0, 0, 0, 1, 1}; /* last 4: S S F F = 50 % */
    int i;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = LLMRES_NEVER;
    c.window = 4; c.min_calls = 4; c.failure_rate_pct = 75;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    llmres_breaker_reset(&b, T0); /* clears the window */
    for (i = 0; i < 8; i++)
        llmres_breaker_record(&b, T0, seq[i] ? LLMRES_OUTCOME_FAILURE : LLMRES_OUTCOME_SUCCESS, 1);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED);
    CHECK_EQ(b.failures, 2);
    CHECK_EQ(b.calls, 4);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1); /* S F F F = 75 % */
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);
}

static void breaker_trips_on_slow_calls(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    memset(&c, 0, sizeof(c));
    c.window = 4; c.min_calls = 4; c.slow_call_ms = 1000; c.slow_rate_pct = 50;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 1000); /* not over: not slow */
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 1001);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 10);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 5000); /* 2 slow of 4 */
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);
    /* without slow_call_ms, latency is not judged */
    c.slow_call_ms = 0;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 0xFFFFFFFFu);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 0xFFFFFFFFu);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 0xFFFFFFFFu);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 0xFFFFFFFFu);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED);
}

static void breaker_half_open_probes_and_growing_open_period(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    uint32_t t = T0;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = 1; c.open_ms = 1000; c.max_open_ms = 3000;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, t, LLMRES_OUTCOME_FAILURE, 1);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);
    t += 1000u;
    CHECK_EQ(llmres_breaker_allow(&b, t), LLMRES_OK);                  /* the probe */
    CHECK_EQ(llmres_breaker_allow(&b, t), LLMRES_ERR_OPEN);            /* one at a time */
    llmres_breaker_record(&b, t + 5u, LLMRES_OUTCOME_FAILURE, 5);      /* probe fails */
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);
    CHECK_EQ(llmres_breaker_retry_in(&b, t + 5u), 2000);               /* doubled */
    t += 5u + 2000u;
    CHECK_EQ(llmres_breaker_allow(&b, t - 1u), LLMRES_ERR_OPEN);
    CHECK_EQ(llmres_breaker_allow(&b, t), LLMRES_OK);
    llmres_breaker_record(&b, t, LLMRES_OUTCOME_FAILURE, 5);
    CHECK_EQ(llmres_breaker_retry_in(&b, t), 3000);                    /* 4000 capped */
    t += 3000u;
    CHECK_EQ(llmres_breaker_allow(&b, t), LLMRES_OK);
    llmres_breaker_record(&b, t, LLMRES_OUTCOME_SUCCESS, 5);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED);
    CHECK_EQ(b.transitions[LLMRES_BREAKER_OPEN], 3);
    CHECK_EQ(b.transitions[LLMRES_BREAKER_HALF_OPEN], 3);
    CHECK_EQ(b.transitions[LLMRES_BREAKER_CLOSED], 1);
    /* closed again: the next trip starts from the first open period */
    llmres_breaker_record(&b, t, LLMRES_OUTCOME_FAILURE, 5);
    CHECK_EQ(llmres_breaker_retry_in(&b, t), 1000);
}

static void breaker_needs_k_probe_successes(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = 1; c.open_ms = 100; c.probes = 2; c.close_after = 3;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 100u), LLMRES_OK);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 100u), LLMRES_OK);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 100u), LLMRES_ERR_OPEN);
    llmres_breaker_record(&b, T0 + 101u, LLMRES_OUTCOME_SUCCESS, 1);
    llmres_breaker_record(&b, T0 + 101u, LLMRES_OUTCOME_SUCCESS, 1);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_HALF_OPEN);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 102u), LLMRES_OK);
    llmres_breaker_record(&b, T0 + 103u, LLMRES_OUTCOME_SUCCESS, 1);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED);
}

static void breaker_ignored_outcomes(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    int i;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = 1; c.open_ms = 100;
    llmres_breaker_init(&b, &c);
    for (i = 0; i < 50; i++) llmres_breaker_record(&b, T0, LLMRES_OUTCOME_IGNORED, 1);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED);
    CHECK_EQ(b.calls, 0);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 100u), LLMRES_OK);
    llmres_breaker_record(&b, T0 + 100u, LLMRES_OUTCOME_IGNORED, 1); /* a 400: frees the slot */
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_HALF_OPEN);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 100u), LLMRES_OK);
}

static void breaker_lost_probe_does_not_wedge(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = 1; c.open_ms = 1000;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 1000u), LLMRES_OK); /* never recorded */
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 1999u), LLMRES_ERR_OPEN);
    CHECK_EQ(llmres_breaker_retry_in(&b, T0 + 1500u), 500);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 2000u), LLMRES_OK);
}

static void breaker_forced_states_and_reset(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    int i;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = 2;
    c.on_change = on_change;
    hook_calls = 0;
    llmres_breaker_init(&b, &c);
    CHECK_EQ(llmres_breaker_force_open(&b, T0), LLMRES_OK);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 0x7FFFFFFFu), LLMRES_ERR_OPEN);
    CHECK_EQ(llmres_breaker_retry_in(&b, T0), LLMRES_NEVER);
    CHECK_EQ(hook_to, LLMRES_BREAKER_FORCED_OPEN);
    CHECK_EQ(llmres_breaker_force_closed(&b, T0), LLMRES_OK);
    for (i = 0; i < 100; i++) {
        CHECK_EQ(llmres_breaker_allow(&b, T0), LLMRES_OK);
        llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    }
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_FORCED_CLOSED);
    CHECK_EQ(llmres_breaker_reset(&b, T0), LLMRES_OK);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED);
    CHECK_EQ(hook_calls, 3);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_CLOSED); /* window started afresh */
    CHECK_EQ(llmres_breaker_force_open(NULL, T0), LLMRES_ERR_INVALID);
}

/* ---- backoff ---- */

static void backoff_rejects_bad_config(void) {
    llmres_backoff_t b;
    llmres_backoff_config_t c;
    memset(&c, 0, sizeof(c));
    CHECK_EQ(llmres_backoff_init(NULL, &c), LLMRES_ERR_INVALID);
    c.cap_ms = 0x80000000u;
    CHECK_EQ(llmres_backoff_init(&b, &c), LLMRES_ERR_INVALID);
    c.cap_ms = 100; c.base_ms = 200;
    CHECK_EQ(llmres_backoff_init(&b, &c), LLMRES_ERR_INVALID);
    c.base_ms = 0; c.jitter = 9;
    CHECK_EQ(llmres_backoff_init(&b, &c), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_backoff_next(NULL, 0, LLMRES_NEVER), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_backoff_init(&b, NULL), LLMRES_OK);
    CHECK_EQ(b.cfg.base_ms, 500);
}

static void backoff_exponential_with_cap(void) {
    llmres_backoff_t b;
    llmres_backoff_config_t c;
    static const int32_t want[] = {100, 200, 400, 800, 1000, 1000};
    int i;
    memset(&c, 0, sizeof(c));
    c.base_ms = 100; c.cap_ms = 1000; c.jitter = LLMRES_JITTER_NONE;
    llmres_backoff_init(&b, &c);
    for (i = 0; i < 6; i++) CHECK_EQ(llmres_backoff_next(&b, 0, LLMRES_NEVER), want[i]);
    for (i = 0; i < 100; i++) llmres_backoff_next(&b, 0, LLMRES_NEVER); /* no shift overflow */
    CHECK_EQ(llmres_backoff_next(&b, 0, LLMRES_NEVER), 1000);
    llmres_backoff_reset(&b);
    CHECK_EQ(llmres_backoff_next(&b, 0, LLMRES_NEVER), 100);
}

static void backoff_jitter_ranges_and_spread(void) {
    llmres_backoff_t b;
    llmres_backoff_config_t c;
    int i, mode;
    for (mode = LLMRES_JITTER_FULL; mode <= LLMRES_JITTER_DECORRELATED; mode++) {
        int32_t lo = 0x7FFFFFFF, hi = 0, prev = 100;
        memset(&c, 0, sizeof(c));
        c.base_ms = 100; c.cap_ms = 100000; c.jitter = (uint32_t)mode; c.seed = 12345;
        llmres_backoff_init(&b, &c);
        for (i = 0; i < 2000; i++) {
            int32_t exp, d;
            b.step = 6400; /* pin the exponential step */
            exp = 6400;
            d = llmres_backoff_next(&b, 0, LLMRES_NEVER);
            if (mode == LLMRES_JITTER_FULL) CHECK(d >= 0 && d <= exp);
            if (mode == LLMRES_JITTER_EQUAL) CHECK(d >= exp / 2 && d <= exp);
            if (mode == LLMRES_JITTER_DECORRELATED) {
                CHECK(d >= 100 && d <= (prev * 3 > 100000 ? 100000 : prev * 3));
                prev = d;
            }
            if (d < lo) lo = d;
            if (d > hi) hi = d;
        }
        /* spread: the draws reach both ends of their range */
        if (mode == LLMRES_JITTER_FULL) CHECK(lo < 200 && hi > 6200);
        if (mode == LLMRES_JITTER_EQUAL) CHECK(lo < 3300 && hi > 6300);
        if (mode == LLMRES_JITTER_DECORRELATED) CHECK(lo < 200 && hi > 50000);
    }
}

static void backoff_seed_replays_exactly(void) {
    llmres_backoff_t a, b, d;
    llmres_backoff_config_t c;
    int i, same = 1, differ = 0;
    memset(&c, 0, sizeof(c));
    c.seed = 42;
    llmres_backoff_init(&a, &c);
    llmres_backoff_init(&b, &c);
    c.seed = 43;
    llmres_backoff_init(&d, &c);
    for (i = 0; i < 50; i++) {
        int32_t x = llmres_backoff_next(&a, 0, LLMRES_NEVER);
        if (x != llmres_backoff_next(&b, 0, LLMRES_NEVER)) same = 0;
        if (x != llmres_backoff_next(&d, 0, LLMRES_NEVER)) differ = 1;
        if (i % 7 == 6) { llmres_backoff_reset(&a); llmres_backoff_reset(&b); llmres_backoff_reset(&d); }
    }
    CHECK(same);
    CHECK(differ);
    {
        uint32_t s = 0; /* a zero state would stick at zero: it is replaced */
        CHECK(llmres_xorshift32(&s) != 0);
        CHECK(s != 0);
    }
}

static void backoff_honours_server_hint(void) {
    llmres_backoff_t b;
    llmres_backoff_config_t c;
    int i, spread = 0;
    memset(&c, 0, sizeof(c));
    c.base_ms = 100; c.cap_ms = 1000; c.hint_max_ms = 20000;
    llmres_backoff_init(&b, &c);
    for (i = 0; i < 20; i++) {
        int32_t d = llmres_backoff_next(&b, 19872, LLMRES_NEVER);
        CHECK(d >= 19872 && d <= 19872 + 1000 / 4); /* the hint, then up to a quarter step */
        spread |= d != 19872;
    }
    CHECK(spread); /* not everyone comes back at the same instant */
    CHECK_EQ(llmres_backoff_next(&b, 20001, LLMRES_NEVER), LLMRES_ERR_GIVE_UP);
    llmres_backoff_reset(&b);
    for (i = 0; i < 20; i++) CHECK(llmres_backoff_next(&b, 50, LLMRES_NEVER) >= 50);
    /* a hint that just fits before the deadline is kept, the spread is cut */
    llmres_backoff_reset(&b);
    CHECK_EQ(llmres_backoff_next(&b, 4999, 4999), 4999);
    CHECK_EQ(llmres_backoff_next(&b, 5000, 4999), LLMRES_ERR_GIVE_UP);
}

static void backoff_never_runs_past_deadline(void) {
    llmres_backoff_t b;
    llmres_backoff_config_t c;
    memset(&c, 0, sizeof(c));
    c.base_ms = 100; c.cap_ms = 1000; c.jitter = LLMRES_JITTER_NONE; c.max_retries = 3;
    llmres_backoff_init(&b, &c);
    CHECK_EQ(llmres_backoff_next(&b, 0, 99), LLMRES_ERR_GIVE_UP);
    CHECK_EQ(b.retries_left, 3); /* giving up uses no retry */
    CHECK_EQ(llmres_backoff_next(&b, 0, 100), 100);
    CHECK_EQ(llmres_backoff_next(&b, 5000, 4999), LLMRES_ERR_GIVE_UP); /* hint past the deadline */
    CHECK_EQ(llmres_backoff_next(&b, 0, 10000), 200);
    CHECK_EQ(llmres_backoff_next(&b, 0, 10000), 400);
    CHECK_EQ(llmres_backoff_next(&b, 0, 10000), LLMRES_ERR_GIVE_UP); /* 3 retries spent */
}

/* ---- cache: readable examples (tests/unit/model_cache.c checks 100,000 random steps) ---- */

static llmres_cache_t cache;

static void cache_mixed_sizes_share_the_arena(void) {
    static uint8_t big[3000], out[3000];
    uint32_t len = 0;
    int i;
    for (i = 0; i < 3000; i++) big[i] = (uint8_t)(i * 7);
    CHECK_EQ(llmres_cache_init(&cache, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_put(&cache, T0, "small", 5, big, 100, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_put(&cache, T0, "large", 5, big, 3000, 0), LLMRES_OK);
    CHECK_EQ(cache.bytes_used, 5 + 100 + 5 + 3000);
    /* 105 bytes take 2 blocks of 64, 3005 take 47: under one block of waste each */
    CHECK_EQ(cache.free_blocks, LLMRES_CACHE_BLOCKS - 2 - 47);
    CHECK_EQ(llmres_cache_get(&cache, T0, "large", 5, out, sizeof(out), &len), LLMRES_OK);
    CHECK_EQ(len, 3000);
    CHECK(memcmp(out, big, 3000) == 0);
    CHECK_EQ(llmres_cache_get(&cache, T0, "small", 5, out, 99, &len), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(len, 100);
    CHECK_EQ(llmres_cache_get(&cache, T0, "smalL", 5, out, sizeof(out), &len), LLMRES_ERR_NOT_FOUND);
    CHECK_EQ(cache.hits, 1);
    CHECK_EQ(cache.misses, 1);
}

static void cache_evicts_least_recently_used(void) {
    static uint8_t v[3000], out[3000];
    uint32_t len;
    llmres_cache_init(&cache, 0);
    /* 8192-byte arena: two 3000-byte entries fit, a third evicts the LRU one */
    llmres_cache_put(&cache, T0, "a", 1, v, 3000, 0);
    llmres_cache_put(&cache, T0, "b", 1, v, 3000, 0);
    CHECK_EQ(llmres_cache_get(&cache, T0, "a", 1, out, sizeof(out), &len), LLMRES_OK); /* a is recent */
    llmres_cache_put(&cache, T0, "c", 1, v, 3000, 0);
    CHECK_EQ(cache.evictions, 1);
    CHECK_EQ(llmres_cache_get(&cache, T0, "b", 1, out, sizeof(out), &len), LLMRES_ERR_NOT_FOUND);
    CHECK_EQ(llmres_cache_get(&cache, T0, "a", 1, out, sizeof(out), &len), LLMRES_OK);
    CHECK_EQ(llmres_cache_get(&cache, T0, "c", 1, out, sizeof(out), &len), LLMRES_OK);
    /* too large for max_entry_bytes */
    llmres_cache_init(&cache, 1000);
    CHECK_EQ(llmres_cache_put(&cache, T0, "k", 1, v, 1000, 0), LLMRES_ERR_TOO_LARGE);
    CHECK_EQ(llmres_cache_put(&cache, T0, "k", 1, v, 999, 0), LLMRES_OK);
    CHECK_EQ(llmres_cache_put(NULL, T0, "k", 1, v, 1, 0), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_cache_put(&cache, T0, NULL, 1, v, 1, 0), LLMRES_ERR_INVALID);
}

static void cache_ttl_across_wrap(void) {
    uint8_t out[8];
    uint32_t len;
    llmres_cache_init(&cache, 0);
    llmres_cache_put(&cache, T0, "q", 1, "answer", 6, 2000); /* expires at T0 + 2000 */
    CHECK_EQ(llmres_cache_get(&cache, T0 + 1999u, "q", 1, out, sizeof(out), &len), LLMRES_OK);
    CHECK_EQ(llmres_cache_get(&cache, T0 + 2000u, "q", 1, out, sizeof(out), &len), LLMRES_ERR_NOT_FOUND);
    CHECK_EQ(cache.expirations, 1);
    CHECK_EQ(cache.entries, 0);
    llmres_cache_put(&cache, T0, "x", 1, "1", 1, 10);
    llmres_cache_put(&cache, T0, "y", 1, "2", 1, 0);
    CHECK_EQ(llmres_cache_purge(&cache, T0 + 10u), 1);
    CHECK_EQ(llmres_cache_get(&cache, T0 + 0x7FFFFFFFu, "y", 1, out, sizeof(out), &len), LLMRES_OK);
}

/* ---- queue: readable examples (tests/unit/model_queue.c checks 100,000 random steps) ---- */

static void queue_priority_fifo_backpressure_and_displacement(void) {
    static llmres_queue_t q;
    static int req[6];
    llmres_qitem_t it, back;
    int i;
    CHECK_EQ(llmres_queue_init(&q, 3), LLMRES_OK);
    memset(&it, 0, sizeof(it));
    for (i = 0; i < 3; i++) {
        it.user = &req[i];
        it.priority = (uint8_t)(i == 1 ? 2 : 0); /* req1 urgent, req0 and req2 low */
        CHECK_EQ(llmres_queue_push(&q, T0, &it, &back), 0);
    }
    it.user = &req[3]; it.priority = 0;
    CHECK_EQ(llmres_queue_push(&q, T0, &it, &back), LLMRES_ERR_FULL); /* does not outrank */
    it.user = &req[4]; it.priority = 1;
    CHECK_EQ(llmres_queue_push(&q, T0, &it, &back), 1);                /* displaces req2 */
    CHECK(back.user == &req[2]);
    CHECK_EQ(back.status, LLMRES_ERR_DISPLACED);
    CHECK_EQ(llmres_queue_pop(&q, T0, &it), LLMRES_OK);
    CHECK(it.user == &req[1]);
    CHECK_EQ(llmres_queue_pop(&q, T0, &it), LLMRES_OK);
    CHECK(it.user == &req[4]);
    CHECK_EQ(llmres_queue_pop(&q, T0, &it), LLMRES_OK);
    CHECK(it.user == &req[0]);
    CHECK_EQ(llmres_queue_pop(&q, T0, &it), LLMRES_ERR_EMPTY);
}

static void queue_deadlines_across_wrap(void) {
    static llmres_queue_t q;
    static int req[4];
    llmres_qitem_t it, back;
    llmres_queue_init(&q, 2);
    memset(&it, 0, sizeof(it));
    it.user = &req[0]; it.has_deadline = 1; it.deadline = T0 + 1500u;
    CHECK_EQ(llmres_queue_push(&q, T0, &it, &back), 0);
    it.user = &req[1]; it.has_deadline = 0; it.priority = 3;
    CHECK_EQ(llmres_queue_push(&q, T0, &it, &back), 0);
    it.user = &req[2]; it.has_deadline = 1; it.deadline = T0; /* already due */
    CHECK_EQ(llmres_queue_push(&q, T0, &it, &back), LLMRES_ERR_TIMEOUT);
    /* full, but req0 expired: it is handed back instead of refusing req3 */
    it.user = &req[3]; it.has_deadline = 0; it.priority = 0;
    CHECK_EQ(llmres_queue_push(&q, T0 + 1500u, &it, &back), 1);
    CHECK(back.user == &req[0]);
    CHECK_EQ(back.status, LLMRES_ERR_TIMEOUT);
    CHECK_EQ(llmres_queue_cancel(&q, &req[1], &it), LLMRES_OK);
    CHECK_EQ(it.status, LLMRES_ERR_CANCELLED);
    CHECK_EQ(llmres_queue_drain(&q, &it), LLMRES_OK);
    CHECK(it.user == &req[3]);
    CHECK_EQ(llmres_queue_count(&q), 0);
    CHECK_EQ(llmres_queue_init(&q, LLMRES_MAX_QUEUE + 1u), LLMRES_ERR_INVALID);
    it.priority = LLMRES_QUEUE_LEVELS;
    llmres_queue_init(&q, 0);
    CHECK_EQ(llmres_queue_push(&q, T0, &it, &back), LLMRES_ERR_INVALID);
}


/* ---- regressions from review ---- */

static void bucket_long_silence_does_not_freeze(void) {
    llmres_bucket_t b;
    uint32_t later = T0 + 0x80000000u + 3600000u; /* more than 2^31 ms after the last call */
    llmres_bucket_init(&b, T0, 10, 10, 1000);
    llmres_bucket_take(&b, T0, 10);
    /* the refill over the silence is lost (the difference wrapped), but not the next one */
    CHECK_EQ(llmres_bucket_take(&b, later, 1), LLMRES_ERR_LIMITED);
    CHECK_EQ(llmres_bucket_wait_ms(&b, later, 1), 100);
    CHECK_EQ(llmres_bucket_take(&b, later + 100u, 1), LLMRES_OK);
}

static void bucket_drain_holds_refunds_and_keeps_peak(void) {
    llmres_bucket_t b;
    llmres_bucket_init(&b, T0, 10, 1, 1000);
    llmres_bucket_take(&b, T0, 3);
    llmres_bucket_drain(&b, T0, T0 + 5000u);
    CHECK_EQ(llmres_bucket_refund(&b, T0 + 10u, 3), LLMRES_OK);
    CHECK_EQ(llmres_bucket_available(&b, T0 + 10u), 0);        /* none until T */
    CHECK_EQ(llmres_bucket_take(&b, T0 + 4999u, 1), LLMRES_ERR_LIMITED);
    CHECK_EQ(llmres_bucket_peak_used(&b), 3);                   /* the drain is not use */
    CHECK_EQ(llmres_bucket_take(&b, T0 + 6000u, 1), LLMRES_OK);
    CHECK_EQ(llmres_bucket_refund(&b, T0 + 6000u, 1), LLMRES_OK); /* drain over: refunds count */
    CHECK_EQ(llmres_bucket_available(&b, T0 + 6000u), 1);
    /* a drain too far ahead to compare just empties */
    llmres_bucket_drain(&b, T0, T0 + 0x80000000u);
    CHECK_EQ(llmres_bucket_wait_ms(&b, T0, 1), 1000);
}

static void breaker_failed_init_refuses_everything(void) {
    static llmres_breaker_t b, z; /* z: never initialised */
    llmres_breaker_config_t c;
    int i;
    memset(&c, 0, sizeof(c));
    c.window = 100; /* over LLMRES_MAX_BREAKER_WINDOW */
    CHECK_EQ(llmres_breaker_init(&b, &c), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_FORCED_OPEN);
    CHECK_EQ(llmres_breaker_allow(&b, T0), LLMRES_ERR_OPEN);
    for (i = 0; i < 200; i++) llmres_breaker_record(&b, T0, i & 1, 1); /* no out-of-bounds write */
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_FORCED_OPEN);     /* records changed nothing */
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 0x7FFFFFFFu), LLMRES_ERR_OPEN);
    CHECK_EQ(b.calls, 0);
    for (i = 0; i < 200; i++) {
        llmres_breaker_record(&z, T0, i & 1, 1);
        CHECK(z.head < LLMRES_MAX_BREAKER_WINDOW); /* the ring index stays in the ring */
    }
}

static void breaker_open_longer_than_half_the_clock_still_recovers(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = 1; c.open_ms = 30000;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    CHECK_EQ(llmres_breaker_retry_in(&b, T0 + 0x80000000u), 0);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 0x80000000u), LLMRES_OK);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_HALF_OPEN);
}

static void breaker_slow_probe_reopens(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = 1; c.open_ms = 1000; c.slow_call_ms = 500;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 1000u), LLMRES_OK);
    llmres_breaker_record(&b, T0 + 1600u, LLMRES_OUTCOME_SUCCESS, 600); /* good but slow */
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);
    CHECK_EQ(llmres_breaker_retry_in(&b, T0 + 1600u), 2000);
}

/* The fast path (a good call replacing a good one) must not hide a trip: here the
   good call pushes out a failure, and min_calls equals the window. */
static void breaker_fast_path_agrees_with_full_judgement(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = LLMRES_NEVER;
    c.window = 3; c.min_calls = 3; c.failure_rate_pct = 60;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 1);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 1); /* 1/3 */
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 1); /* failure leaves: 0/3 */
    CHECK_EQ(b.failures, 0);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1); /* 2/3 = 67 % */
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);
    /* ignored outcomes do not break a run of failures */
    c.failure_threshold = 2; c.failure_rate_pct = LLMRES_NEVER;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_IGNORED, 1);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);
    /* a late outcome while open changes nothing */
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_SUCCESS, 1);
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_OPEN);
}

static llmres_breaker_t *hook_breaker;
static void force_open_on_half_open(void *user, int from, int to, uint32_t now) {
    (void)user; (void)from;
    hook_calls++;
    if (to == LLMRES_BREAKER_HALF_OPEN) llmres_breaker_force_open(hook_breaker, now);
}

static void breaker_hook_may_change_state(void) {
    llmres_breaker_t b;
    llmres_breaker_config_t c;
    memset(&c, 0, sizeof(c));
    c.failure_threshold = 1; c.open_ms = 100;
    c.on_change = force_open_on_half_open;
    hook_breaker = &b;
    hook_calls = 0;
    llmres_breaker_init(&b, &c);
    llmres_breaker_record(&b, T0, LLMRES_OUTCOME_FAILURE, 1);
    CHECK_EQ(llmres_breaker_allow(&b, T0 + 100u), LLMRES_ERR_OPEN); /* forced open by the hook */
    CHECK_EQ(llmres_breaker_state(&b), LLMRES_BREAKER_FORCED_OPEN);
    CHECK_EQ(b.in_flight, 0);
    CHECK_EQ(hook_calls, 3); /* open, half-open, forced-open */
    llmres_breaker_force_open(&b, T0);
    CHECK_EQ(hook_calls, 3); /* no change, no call */
}

static void backoff_hint_over_max_always_gives_up(void) {
    llmres_backoff_t b;
    llmres_backoff_config_t c;
    int i;
    memset(&c, 0, sizeof(c));
    c.base_ms = c.cap_ms = 8000; c.hint_max_ms = 2000; c.seed = 7;
    llmres_backoff_init(&b, &c);
    for (i = 0; i < 50; i++) CHECK_EQ(llmres_backoff_next(&b, 5000, LLMRES_NEVER), LLMRES_ERR_GIVE_UP);
    CHECK_EQ(llmres_backoff_next(&b, 0xFFFFFFFFu, LLMRES_NEVER), LLMRES_ERR_GIVE_UP);
}

static void backoff_edges(void) {
    llmres_backoff_t b;
    llmres_backoff_config_t c;
    uint32_t prev;
    int i;
    memset(&c, 0, sizeof(c));
    c.base_ms = 0x40000000u; c.cap_ms = 0x7FFFFFFFu; c.jitter = LLMRES_JITTER_NONE;
    CHECK_EQ(llmres_backoff_init(&b, &c), LLMRES_OK);
    CHECK_EQ(llmres_backoff_next(&b, 0, LLMRES_NEVER), 0x40000000);
    CHECK_EQ(llmres_backoff_next(&b, 0, LLMRES_NEVER), 0x7FFFFFFF); /* doubled, capped */
    CHECK_EQ(llmres_backoff_next(&b, 0, LLMRES_NEVER), 0x7FFFFFFF);
    /* equal jitter with an odd step: [exp - exp/2, exp] = [3, 5] */
    memset(&c, 0, sizeof(c));
    c.base_ms = 5; c.cap_ms = 5; c.jitter = LLMRES_JITTER_EQUAL;
    llmres_backoff_init(&b, &c);
    for (i = 0; i < 200; i++) {
        int32_t d = llmres_backoff_next(&b, 0, LLMRES_NEVER);
        CHECK(d >= 3 && d <= 5);
    }
    /* giving up leaves the decorrelated state alone */
    memset(&c, 0, sizeof(c));
    c.base_ms = 100; c.cap_ms = 100000; c.jitter = LLMRES_JITTER_DECORRELATED; c.seed = 3;
    llmres_backoff_init(&b, &c);
    llmres_backoff_next(&b, 0, LLMRES_NEVER);
    prev = b.prev;
    for (i = 0; i < 6; i++) CHECK_EQ(llmres_backoff_next(&b, 0, 50), LLMRES_ERR_GIVE_UP);
    CHECK_EQ(b.prev, prev);
    /* a failed init gives up on every call */
    c.jitter = 17;
    CHECK_EQ(llmres_backoff_init(&b, &c), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_backoff_next(&b, 0, LLMRES_NEVER), LLMRES_ERR_GIVE_UP);
}

static void xorshift_known_sequence(void) {
    uint32_t s = 1;
    /* Marsaglia's xorshift32 (13, 17, 5) from state 1 */
    CHECK_EQ(llmres_xorshift32(&s), 270369u);
    CHECK_EQ(llmres_xorshift32(&s), 67634689u);
    CHECK_EQ(llmres_xorshift32(&s), 2647435461u);
}

/* Every code has its own name: one meaning each, none shared. */
static void strerror_names_every_code(void) {
    int code, other;
    for (code = 0; code >= LLMRES_ERR_STREAM_IDLE; code--) {
        CHECK(strcmp(llmres_strerror(code), "unknown error") != 0);
        for (other = code - 1; other >= LLMRES_ERR_STREAM_IDLE; other--)
            CHECK(strcmp(llmres_strerror(code), llmres_strerror(other)) != 0);
    }
    CHECK(strcmp(llmres_strerror(LLMRES_ERR_STREAM_IDLE - 1), "unknown error") == 0);
    CHECK(strcmp(llmres_strerror(-1000), "unknown error") == 0);
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(bucket_rejects_bad_arguments);
    RUN(bucket_one_and_a_half_per_second_across_wrap);
    RUN(bucket_tokens_per_minute_refund_and_cost);
    RUN(bucket_more_than_capacity_zero_rate_zero_capacity);
    RUN(bucket_huge_values_do_not_overflow);
    RUN(bucket_live_rate_change_keeps_tokens);
    RUN(bucket_drain_until_server_reset);
    RUN(bucket_clock_going_back_is_harmless);
    RUN(breaker_rejects_bad_config);
    RUN(breaker_trips_on_consecutive_failures);
    RUN(breaker_trips_on_failure_rate_in_window);
    RUN(breaker_window_slides);
    RUN(breaker_trips_on_slow_calls);
    RUN(breaker_half_open_probes_and_growing_open_period);
    RUN(breaker_needs_k_probe_successes);
    RUN(breaker_ignored_outcomes);
    RUN(breaker_lost_probe_does_not_wedge);
    RUN(breaker_forced_states_and_reset);
    RUN(backoff_rejects_bad_config);
    RUN(backoff_exponential_with_cap);
    RUN(backoff_jitter_ranges_and_spread);
    RUN(backoff_seed_replays_exactly);
    RUN(backoff_honours_server_hint);
    RUN(backoff_never_runs_past_deadline);
    RUN(cache_mixed_sizes_share_the_arena);
    RUN(cache_evicts_least_recently_used);
    RUN(cache_ttl_across_wrap);
    RUN(queue_priority_fifo_backpressure_and_displacement);
    RUN(queue_deadlines_across_wrap);
    RUN(bucket_long_silence_does_not_freeze);
    RUN(bucket_drain_holds_refunds_and_keeps_peak);
    RUN(breaker_failed_init_refuses_everything);
    RUN(breaker_open_longer_than_half_the_clock_still_recovers);
    RUN(breaker_slow_probe_reopens);
    RUN(breaker_fast_path_agrees_with_full_judgement);
    RUN(breaker_hook_may_change_state);
    RUN(backoff_hint_over_max_always_gives_up);
    RUN(backoff_edges);
    RUN(xorshift_known_sequence);
    RUN(strerror_names_every_code);
    return T_DONE();
}
