/* llhttp's job for tests/bench/http_peers.c (its header clashes with http-parser's). */
#include "http_peers.h"
#include <llhttp.h>
#include <string.h>

static int on_body(llhttp_t *p, const char *at, size_t n) {
    if (p->data && body_len + n <= BODY_CAP) memcpy(body + body_len, at, n);
    body_len += n;
    return 0;
}

void job_llhttp(const char *buf, size_t len, int to_buffer) {
    static llhttp_t p;
    static llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_body = on_body;
    llhttp_init(&p, HTTP_RESPONSE, &s);
    p.data = to_buffer ? body : NULL;
    body_len = 0;
    status = llhttp_execute(&p, buf, len) == HPE_OK ? (int)p.status_code : -1;
}
