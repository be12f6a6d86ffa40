/* A tiny test harness: each test is a function; CHECK records a failure and goes on.
   A test binary prints "PASS name" / "FAIL name" per test and exits non-zero on any
   failure; tests/run.sh adds the lines of every binary into one "N passed, M failed".
   main() starts with T_INIT(argc, argv): a first argument (else $T_FILTER) runs only the
   tests whose name contains it, e.g. `build/test/unit-gcc breaker`; a filter that matches
   no test is a failure, so a typo never passes. */
#ifndef LLMRES_TEST_H
#define LLMRES_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t__fails, t__passed, t__failed, t__shown, t__matched;
static const char *t__filter;

/* At most 20 failure lines per test: the first ones say what went wrong. */
#define T__SHOW (t__shown++ < 20)
#define CHECK(c) do { if (!(c)) { t__fails++; if (T__SHOW) \
    printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); } } while (0)
#define CHECK_EQ(a, b) do { long long t__a = (long long)(a), t__b = (long long)(b); \
    if (t__a != t__b) { t__fails++; if (T__SHOW) printf("  %s:%d: %s == %s failed: %lld != %lld\n", \
    __FILE__, __LINE__, #a, #b, t__a, t__b); } } while (0)

static void t__init(int argc, char **argv) {
    const char *env = getenv("T_FILTER");
    if (argc > 1 && argv[1][0]) t__filter = argv[1];
    else if (env && env[0]) t__filter = env;
}
#define T_INIT(argc, argv) t__init(argc, argv)

static void t__run(const char *name, void (*fn)(void)) {
    int before = t__fails;
    if (t__filter && !strstr(name, t__filter)) return;
    t__matched++;
    t__shown = 0;
    fn();
    if (t__fails == before) { t__passed++; printf("PASS %s\n", name); }
    else { t__failed++; printf("FAIL %s\n", name); }
    fflush(stdout);
}
#define RUN(fn) t__run(#fn, fn)

/* Opens the provider vector NAME (tests/vectors/NAME) for binary reads: from the folder
   $LLMRES_VECTORS when it is set; else from vectors/ next to this header, by the path
   the compiler was given (so a test built from the repository root finds it when run
   from there, and one built from an absolute path finds it from anywhere); else from
   tests/vectors under the current directory. NULL, after saying which path failed.
   Inline so that the tests that read no vectors do not warn about it. */
static inline FILE *t_open_vector(const char *name) {
    char path[1024];
    const char *dir = getenv("LLMRES_VECTORS");
    const char *slash = strrchr(__FILE__, '/');
    FILE *f;
    if (dir && *dir) {
        snprintf(path, sizeof(path), "%s/%s", dir, name);
    } else {
        /* this header's folder as the compiler was given it, e.g. "tests/unit/../" */
        int here = slash ? (int)(slash - __FILE__ + 1) : 0;
        snprintf(path, sizeof(path), "%.*svectors/%s", here, __FILE__, name);
        if ((f = fopen(path, "rb")) != NULL) return f;
        snprintf(path, sizeof(path), "tests/vectors/%s", name);
    }
    f = fopen(path, "rb");
    if (!f) printf("  cannot open %s (run from the repository root, or set LLMRES_VECTORS)\n", path);
    return f;
}

static int t__done(void) {
    if (t__filter && !t__matched) {
        t__failed++;
        printf("FAIL filter \"%s\": no test name contains it\n", t__filter);
    }
    printf("%d passed, %d failed\n", t__passed, t__failed);
    return t__failed ? 1 : 0;
}
#define T_DONE() t__done()
#endif
