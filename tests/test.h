/* A tiny test harness: each test is a function; CHECK records a failure and goes on.
   A test binary prints "PASS name" / "FAIL name" per test and exits non-zero on any
   failure; tests/run.sh adds the lines of every binary into one "N passed, M failed". */
#ifndef LLMRES_TEST_H
#define LLMRES_TEST_H
#include <stdio.h>

static int t__fails, t__passed, t__failed, t__shown;

/* At most 20 failure lines per test: the first ones say what went wrong. */
#define T__SHOW (t__shown++ < 20)
#define CHECK(c) do { if (!(c)) { t__fails++; if (T__SHOW) \
    printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); } } while (0)
#define CHECK_EQ(a, b) do { long long t__a = (long long)(a), t__b = (long long)(b); \
    if (t__a != t__b) { t__fails++; if (T__SHOW) printf("  %s:%d: %s == %s failed: %lld != %lld\n", \
    __FILE__, __LINE__, #a, #b, t__a, t__b); } } while (0)

static void t__run(const char *name, void (*fn)(void)) {
    int before = t__fails;
    t__shown = 0;
    fn();
    if (t__fails == before) { t__passed++; printf("PASS %s\n", name); }
    else { t__failed++; printf("FAIL %s\n", name); }
    fflush(stdout);
}
#define RUN(fn) t__run(#fn, fn)
#define T_DONE() (printf("%d passed, %d failed\n", t__passed, t__failed), t__failed ? 1 : 0)
#endif
