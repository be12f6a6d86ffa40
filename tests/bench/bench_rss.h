/* Peak resident set size of this process in KB (VmHWM), for the HTTPS benchmark. */
#ifndef LLMRES_BENCH_RSS_H
#define LLMRES_BENCH_RSS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long peak_rss_kb(void) {
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmHWM:", 6)) kb = atol(line + 6);
    fclose(f);
    return kb;
}
#endif
