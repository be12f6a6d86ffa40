/* m3_client.c: what a Cortex-M3 device carries to ask an LLM over TLS: llmres's client
   and port/llmres_mbedtls.h over mbedTLS built with port/llmres_mbedtls_config.h (client
   only), one trusted CA in flash, and the board's hooks, here stand-ins that never
   connect. Linked only for its size (make tiny prints it); m3_tls.c is the one that runs. */
#define LLMRES_MAX_CONNECTIONS 1
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_mbedtls.h"
#include <mbedtls/platform_time.h>
#include "data.h" /* ca_der */

/* The board's: a millisecond tick, its TRNG, its RTC, its TCP (lwIP, a modem...). */
static volatile uint32_t tick;
static uint32_t board_now(void *ctx) { (void)ctx; return tick; }
static void board_sleep(void *ctx, uint32_t ms) { (void)ctx; tick += ms; }
static int board_entropy(void *ctx, void *buf, size_t len) {
    (void)ctx;
    memset(buf, (int)tick, len); /* stand-in: a board reads its TRNG */
    return 0;
}
static mbedtls_time_t board_time(mbedtls_time_t *t) {
    mbedtls_time_t v = (mbedtls_time_t)TINY_EPOCH;
    if (t) *t = v;
    return v;
}
mbedtls_ms_time_t mbedtls_ms_time(void) { return (mbedtls_ms_time_t)tick; }
static int tcp_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    (void)ctx; (void)host; (void)port; (void)timeout_ms;
    return LLMRES_ERR_CONNECT;
}
static int tcp_send(void *ctx, int id, const void *buf, size_t len, uint32_t timeout_ms) {
    (void)ctx; (void)id; (void)buf; (void)timeout_ms;
    return (int)len;
}
static int tcp_recv(void *ctx, int id, void *buf, size_t len, uint32_t timeout_ms) {
    (void)ctx; (void)id; (void)buf; (void)len; (void)timeout_ms;
    return LLMRES_ERR_CLOSED;
}
static void tcp_close(void *ctx, int id) { (void)ctx; (void)id; }

static llmres_port_t port;
static llmres_mbedtls_t tls;
static llmres_client_t client;
static llmres_worker_t worker;
static char answer[512];

int main(void) {
    static const llmres_provider_t prov = {LLMRES_PROVIDER_ANTHROPIC, "api.anthropic.com", 443, 1, NULL,
                                           "sk-ant-device", "claude-haiku-4-5", NULL};
    llmres_config_t cfg;
    llmres_llm_message_t msg = {"user", "Sensor 3 reads 95 C. What should I check first?"};
    llmres_call_t call;
    llmres_result_t res;
    port.now_ms = board_now;
    port.sleep_ms = board_sleep;
    port.entropy = board_entropy;
    port.tcp.open = tcp_open;
    port.tcp.send = tcp_send;
    port.tcp.recv = tcp_recv;
    port.tcp.close = tcp_close;
    mbedtls_platform_set_time(board_time);
    llmres_config_defaults(&cfg);
    if (llmres_mbedtls_init(&tls, &port, &port.tcp) != LLMRES_OK || llmres_mbedtls_ca_buffer(&tls, ca_der, sizeof(ca_der)) != LLMRES_OK ||
        llmres_client_init(&client, &port, &tls.transport, &cfg, &prov, 1) != LLMRES_OK ||
        llmres_worker_init(&worker, &client, NULL) != LLMRES_OK)
        return 3;
    memset(&call, 0, sizeof(call));
    call.messages = &msg;
    call.message_count = 1;
    call.max_tokens = 64;
    call.temperature_milli = -1;
    call.text = answer;
    call.text_cap = sizeof(answer);
    return llmres_call(&client, &worker, &call, &res) == LLMRES_OK ? 0 : 10 + res.cls;
}
