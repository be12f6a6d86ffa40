/* What the jobs of tests/bench/http_peers*.c share: where the body goes, the status seen. */
#include <stddef.h>
#include <stdint.h>
#define BODY_CAP 8192
extern uint8_t body[BODY_CAP];
extern size_t body_len;
extern int status;
void job_llmres(const char *buf, size_t len, int to_buffer);
void job_http_parser(const char *buf, size_t len, int to_buffer);
void job_llhttp(const char *buf, size_t len, int to_buffer);
void job_pico(char *buf, size_t len);
void job_pico_hints(char *buf, size_t len);
