/* chat: one prompt to a real LLM provider through llmres.

       OPENAI_API_KEY=sk-... ./chat "Why is the sky blue?"
       ANTHROPIC_API_KEY=... ./chat --stats "Hello"
       OPENAI_API_KEY=sk-... ./chat --stream "Tell me a story"   (printed as it arrives)
       LLM_PROVIDER=ollama LLM_BASE_URL=http://localhost:11434 ./chat "Hi"

   Environment: OPENAI_API_KEY or ANTHROPIC_API_KEY (or LLM_PROVIDER=ollama, no key),
   LLM_BASE_URL (scheme://host[:port], default the provider's), LLM_PATH, LLM_MODEL,
   LLM_CA_FILE (default Debian's /etc/ssl/certs/ca-certificates.crt), and every llmres
   setting (LLM_REQUESTS_PER_SECOND, LLM_TIMEOUT_MS...). The API key is never printed.
   Exit codes: 0 answered; 2 usage; 3 configuration; 10 + the error class:
   11 transient network, 12 timeout, 13 rate limit, 14 overloaded, 15 server error,
   16 authentication, 17 quota, 18 permanent, 19 unknown. */
#define _GNU_SOURCE
#define LLMRES_IMPLEMENTATION
#include "../llmres.h"
#include "../port/llmres_posix.h"
#include "../port/llmres_mbedtls.h"
#include <stdio.h>
#include <stdlib.h>

static llmres_port_t port;
static llmres_posix_t posix;
static llmres_mbedtls_t tls;
static llmres_client_t client;
static llmres_worker_t worker;
static llmres_stats_t counted;           /* --stats: what the library counted */
static char report[16384];               /* its JSON */
static char answer[16384];

/* scheme://host[:port] into host (cut to size), port and tls; 0 or -1. */
static int parse_url(const char *url, char *host, size_t cap, uint16_t *p, uint8_t *is_tls) {
    const char *h, *colon, *end;
    size_t n;
    if (!strncmp(url, "https://", 8)) { *is_tls = 1; h = url + 8; *p = 443; }
    else if (!strncmp(url, "http://", 7)) { *is_tls = 0; h = url + 7; *p = 80; }
    else return -1;
    end = h + strcspn(h, "/");
    colon = memchr(h, ':', (size_t)(end - h));
    n = (size_t)((colon ? colon : end) - h);
    if (n == 0 || n >= cap) return -1;
    memcpy(host, h, n);
    host[n] = 0;
    if (colon) {
        long v = strtol(colon + 1, NULL, 10);
        if (v <= 0 || v > 65535) return -1;
        *p = (uint16_t)v;
    }
    return 0;
}

/* --stream: each piece as it arrives; a retry after a failure mid-answer starts over. */
static void print_piece(void *user, const char *text, size_t len) {
    (void)user;
    if (!text) fputs("\n[the provider failed mid-answer; asking again]\n", stdout);
    else fwrite(text, 1, len, stdout);
    fflush(stdout);
}

static void json_string(const char *s) { /* for --stats: escape what JSON needs */
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", (unsigned)(unsigned char)*s);
        else putchar(*s);
    }
    putchar('"');
}

int main(int argc, char **argv) {
    static char host[LLMRES_MAX_HOST];
    const char *prompt = NULL, *key, *url, *ca, *model;
    llmres_provider_t prov;
    llmres_config_t cfg;
    llmres_llm_message_t msg;
    llmres_call_t call;
    llmres_result_t res;
    char err[160];
    int stats = 0, stream = 0, i, rc;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--stats")) stats = 1;
        else if (!strcmp(argv[i], "--stream")) stream = 1;
        else if (!prompt) prompt = argv[i];
        else { fprintf(stderr, "usage: chat [--stats] [--stream] \"prompt\"\n"); return 2; }
    }
    if (!prompt) { fprintf(stderr, "usage: chat [--stats] [--stream] \"prompt\"\n"); return 2; }
    memset(&prov, 0, sizeof(prov));
    if ((key = getenv("ANTHROPIC_API_KEY")) && *key) {
        prov.format = LLMRES_PROVIDER_ANTHROPIC;
        url = "https://api.anthropic.com";
        model = "claude-sonnet-4-5";
    } else if ((key = getenv("OPENAI_API_KEY")) && *key) {
        prov.format = LLMRES_PROVIDER_OPENAI;
        url = "https://api.openai.com";
        model = "gpt-4o-mini";
    } else if (getenv("LLM_PROVIDER") && !strcmp(getenv("LLM_PROVIDER"), "ollama")) {
        prov.format = LLMRES_PROVIDER_OLLAMA;
        key = NULL;
        url = "http://localhost:11434";
        model = "llama3.2";
    } else {
        fprintf(stderr, "chat: set OPENAI_API_KEY or ANTHROPIC_API_KEY (or LLM_PROVIDER=ollama)\n");
        return 3;
    }
    if (getenv("LLM_BASE_URL")) url = getenv("LLM_BASE_URL");
    if (getenv("LLM_MODEL")) model = getenv("LLM_MODEL");
    ca = getenv("LLM_CA_FILE") ? getenv("LLM_CA_FILE") : "/etc/ssl/certs/ca-certificates.crt";
    if (parse_url(url, host, sizeof(host), &prov.port, &prov.tls) != 0) {
        fprintf(stderr, "chat: LLM_BASE_URL: want http(s)://host[:port], not '%s'\n", url);
        return 3;
    }
    prov.host = host;
    prov.path = getenv("LLM_PATH");
    prov.api_key = key;
    prov.model = model;
    llmres_posix_init(&port, &posix);
    llmres_config_defaults(&cfg);
    if (llmres_posix_config_from_env(&cfg, err, sizeof(err)) != LLMRES_OK) {
        fprintf(stderr, "chat: %s\n", err);
        return 3;
    }
    if (prov.tls) {
        if (llmres_mbedtls_init(&tls, &port, &port.tcp) != LLMRES_OK || llmres_mbedtls_ca_file(&tls, ca) != LLMRES_OK) {
            fprintf(stderr, "chat: CA bundle %s: %s\n", ca, llmres_mbedtls_reason(&tls));
            return 3;
        }
    }
    if (llmres_client_init(&client, &port, prov.tls ? &tls.transport : NULL, &cfg, &prov, 1) != LLMRES_OK ||
        llmres_worker_init(&worker, &client, NULL) != LLMRES_OK || llmres_client_stats(&client, &counted) != LLMRES_OK) {
        fprintf(stderr, "chat: bad settings\n");
        return 3;
    }
    msg.role = "user";
    msg.content = prompt;
    memset(&call, 0, sizeof(call));
    call.messages = &msg;
    call.message_count = 1;
    call.max_tokens = 1024;
    call.temperature_milli = -1;
    call.text = answer;
    call.text_cap = sizeof(answer);
    if (stream) call.on_text = print_piece;
    rc = llmres_call(&client, &worker, &call, &res);
    if (rc == LLMRES_OK) printf(stream ? "\n" : "%s\n", answer);
    else fprintf(stderr, "chat: %s (%s)%s%s%s\n", llmres_class_name(res.cls), llmres_strerror(res.error),
                 res.message[0] ? ": " : "", res.message, prov.tls && res.error == LLMRES_ERR_CERT ? llmres_mbedtls_reason(&tls) : "");
    if (stats) {
        printf("{\"class\":\"%s\",\"status\":%d,\"attempts\":%u,\"elapsed_ms\":%u,\"cached\":%u,",
               llmres_class_name(res.cls), res.status, (unsigned)res.attempts, (unsigned)res.elapsed_ms, (unsigned)res.cached);
        printf("\"input_tokens\":%ld,\"output_tokens\":%ld,\"message\":",
               res.input_tokens == LLMRES_UNKNOWN ? -1L : (long)res.input_tokens,
               res.output_tokens == LLMRES_UNKNOWN ? -1L : (long)res.output_tokens);
        json_string(res.message);
        printf(",\"retries\":%u,\"status_429\":%u,\"status_529\":%u,\"breaker\":\"%s\",\"request_id\":",
               (unsigned)client.retries, (unsigned)client.status_429, (unsigned)client.status_529,
               llmres_breaker_state_name(llmres_breaker_state(&client.breaker[0])));
        json_string(worker.resp.hints.request_id);
        printf("}\n");
        /* and the library's own statistics: health, issues, counts, percentiles */
        if (llmres_stats_json(&client, report, sizeof(report), NULL) > 0) printf("%s\n", report);
    }
    llmres_worker_close(&worker);
    if (prov.tls) llmres_mbedtls_free(&tls);
    return rc == LLMRES_OK ? 0 : 10 + res.cls;
}
