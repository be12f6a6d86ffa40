/* The same N sequential HTTPS GETs with libcurl (easy handle reused, so one kept-alive
   connection), for the comparison in tests/bench/bench_https.sh. */
#define _DEFAULT_SOURCE
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include "bench_rss.h"
#include <string.h>
#include <time.h>

static char body[4096];
static size_t body_len;

static size_t on_data(char *p, size_t size, size_t nmemb, void *user) {
    size_t n = size * nmemb;
    (void)user;
    if (n > sizeof(body) - body_len) return 0;
    memcpy(body + body_len, p, n);
    body_len += n;
    return n;
}


int main(int argc, char **argv) {
    char url[256];
    CURL *h;
    int n, i, ok = 0;
    long connects = 0;
    struct timespec a, b;
    double ms;
    if (argc != 4) { fprintf(stderr, "usage: bench_curl PORT CA.pem N\n"); return 2; }
    n = atoi(argv[3]);
    snprintf(url, sizeof(url), "https://localhost:%s/json1k", argv[1]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, argv[2]);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (i = 0; i < n; i++) {
        long code = 0, c = 0;
        body_len = 0;
        if (curl_easy_perform(h) == CURLE_OK) {
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
            curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &c);
            connects += c;
            ok += code == 200 && body_len == 1024;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    ms = (double)(b.tv_sec - a.tv_sec) * 1000.0 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    printf("libcurl %d/%d ok, %.0f req/s, %ld connects, peak RSS %ld KB\n", ok, n, ms > 0 ? n * 1000.0 / ms : 0.0,
           connects, peak_rss_kb());
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return ok == n ? 0 : 1;
}
