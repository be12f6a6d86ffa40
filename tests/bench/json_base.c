/* json_peers' "llmres-base": llmres_llm_parse_response of an earlier llmres.h (the file
   JSON_BASE_H names, which tests/bench/json_peers.sh takes from git), static in its own
   object so that both versions link into one program. */
#define LLMRES_STATIC
#define LLMRES_IMPLEMENTATION
#include JSON_BASE_H

int base_extract(const char *body, size_t len, char *text, size_t cap, size_t *text_len, char *finish, uint32_t *in, uint32_t *out);
int base_extract(const char *body, size_t len, char *text, size_t cap, size_t *text_len, char *finish, uint32_t *in, uint32_t *out) {
    llmres_llm_result_t r;
    int rc;
    r.text = text;
    r.text_cap = cap;
    r.text_len = 0;
    r.input_tokens = r.output_tokens = 0;
    r.finish[0] = 0;
    rc = llmres_llm_parse_response(llmres_wire_get(LLMRES_PROVIDER_OPENAI), body, len, &r);
    *text_len = r.text_len;
    memcpy(finish, r.finish, sizeof(r.finish));
    *in = r.input_tokens;
    *out = r.output_tokens;
    return rc;
}
