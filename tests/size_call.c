/* What a device carries for one resilient call, without TLS: a program that sets a
   client up and makes llmres_call over a do-nothing transport, linked with
   --gc-sections, minus the same program without llmres (tests/size.sh). */
#ifdef WITH_LLMRES
#define LLMRES_IMPLEMENTATION
#endif
#include "../llmres.h"

static uint32_t ms;
static uint32_t now(void *c) { (void)c; return ms; }
static void nap(void *c, uint32_t t) { (void)c; ms += t; }
static int entropy(void *c, void *b, size_t n) { (void)c; (void)b; (void)n; return -1; }
static int topen(void *c, const char *h, uint16_t p, uint32_t t) { (void)c; (void)h; (void)p; (void)t; return 0; }
static int tsend(void *c, int id, const void *b, size_t n, uint32_t t) { (void)c; (void)id; (void)b; (void)t; return (int)n; }
static int trecv(void *c, int id, void *b, size_t n, uint32_t t) { (void)c; (void)id; (void)b; (void)n; (void)t; return -1; }
static void tclose(void *c, int id) { (void)c; (void)id; }
static llmres_port_t port;
#ifdef WITH_LLMRES
static llmres_client_t client;
static llmres_worker_t worker;
static const llmres_provider_t provider = {LLMRES_PROVIDER_OPENAI, "api.example", 80, 0, NULL, "sk", "m", NULL};
static char text[256];
#endif

int main(void) {
    port.now_ms = now;
    port.sleep_ms = nap;
    port.entropy = entropy;
    port.tcp.open = topen;
    port.tcp.send = tsend;
    port.tcp.recv = trecv;
    port.tcp.close = tclose;
#ifdef WITH_LLMRES
    {
        llmres_call_t call;
        llmres_result_t res;
        if (llmres_client_init(&client, &port, NULL, NULL, &provider, 1) != LLMRES_OK ||
            llmres_worker_init(&worker, &client, NULL) != LLMRES_OK)
            return 1;
        llmres_call_init(&call, "hi", text, sizeof(text));
        return llmres_call(&client, &worker, &call, &res);
    }
#else
    return port.tcp.open(0, "x", 1, 1) + port.tcp.send(0, 0, "", 0, 0) + port.tcp.recv(0, 0, 0, 0, 0) +
           port.entropy(0, 0, 0) + (int)port.now_ms(0);
#endif
}
