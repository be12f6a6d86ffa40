/* http-parser's job for tests/bench/http_peers.c (its header clashes with llhttp's). */
#include "http_peers.h"
#include <http_parser.h>
#include <string.h>

static int on_body(http_parser *p, const char *at, size_t n) {
    if (p->data && body_len + n <= BODY_CAP) memcpy(body + body_len, at, n);
    body_len += n;
    return 0;
}

void job_http_parser(const char *buf, size_t len, int to_buffer) {
    static http_parser p;
    static http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_body = on_body;
    http_parser_init(&p, HTTP_RESPONSE);
    p.data = to_buffer ? body : NULL;
    body_len = 0;
    status = http_parser_execute(&p, &s, buf, len) == len && !p.http_errno ? (int)p.status_code : -1;
}
