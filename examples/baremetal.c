/* baremetal: a board with no OS asks an LLM about its sensor events, from one superloop,
   on port/llmres_baremetal.h: a 1 kHz tick interrupt for the clock and a TCP driver the
   board supplies.

   On the board, SysTick_Handler is the interrupt and board_wait_for_interrupt is __WFI().
   On the host (make test) they are stand-ins: waiting for an interrupt is the next tick
   firing, so a minute of board time runs in milliseconds; and the TCP driver is a fake
   that answers like an OpenAI-compatible provider after 300 ms, refuses every sixth
   request with 429 and retry-after, and takes at most 256 bytes per send, as a modem
   would. Exits 1 if a job did not end exactly once or a loop step waited for an answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define LLMRES_IMPLEMENTATION
#include "../llmres.h"
#include "../port/llmres_baremetal.h"

#define JOBS 30
#define LATENCY_MS 300u

static llmres_baremetal_t board;
void SysTick_Handler(void);
void SysTick_Handler(void) { llmres_baremetal_tick(&board); }
static void board_wait_for_interrupt(void) { SysTick_Handler(); } /* host: the next tick fires */

/* ---- the board's TCP driver (here a fake provider at the other end) --------------- */
typedef struct modem_socket {
    int open;
    char rx[2048], tx[1024];   /* what the board sent; the answer waiting for it */
    size_t rx_len, tx_len, tx_at;
    uint32_t ready_at;         /* the answer arrives then */
} modem_socket_t;
static modem_socket_t sock[2];
static uint32_t requests;

static int modem_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    int i;
    (void)ctx; (void)host; (void)port; (void)timeout_ms;
    for (i = 0; i < 2; i++)
        if (!sock[i].open) {
            memset(&sock[i], 0, sizeof(sock[i]));
            sock[i].open = 1;
            return i;
        }
    return LLMRES_ERR_NO_SLOT;
}

/* The fake provider: once a whole request is in, an answer LATENCY_MS later. */
static void provider_answer(modem_socket_t *s) {
    char body[256];
    const char *end = strstr(s->rx, "\r\n\r\n"), *cl = strstr(s->rx, "Content-Length: ");
    if (!end || !cl || s->rx_len < (size_t)(end + 4 - s->rx) + (size_t)atoi(cl + 16)) return;
    if (++requests % 6 == 0) {
        snprintf(body, sizeof(body), "{\"error\":{\"message\":\"Rate limit reached.\",\"type\":\"requests\","
                 "\"code\":\"rate_limit_exceeded\"}}");
        s->tx_len = (size_t)snprintf(s->tx, sizeof(s->tx), "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\n"
                                     "Content-Length: %u\r\n\r\n%s", (unsigned)strlen(body), body);
    } else {
        snprintf(body, sizeof(body), "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                 "\"normal, answer %u\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,"
                 "\"completion_tokens\":3}}", (unsigned)requests);
        s->tx_len = (size_t)snprintf(s->tx, sizeof(s->tx), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                     "Content-Length: %u\r\n\r\n%s", (unsigned)strlen(body), body);
    }
    s->tx_at = 0;
    s->rx_len = 0;
    s->ready_at = board.ms + LATENCY_MS;
}

static int modem_send(void *ctx, int id, const void *buf, size_t len, uint32_t timeout_ms) {
    modem_socket_t *s = &sock[id];
    (void)ctx; (void)timeout_ms;
    if (len > 256) len = 256; /* the modem's buffer: the rest goes in the next send */
    if (len >= sizeof(s->rx) - s->rx_len) return LLMRES_ERR_IO;
    memcpy(s->rx + s->rx_len, buf, len);
    s->rx_len += len;
    s->rx[s->rx_len] = 0;
    provider_answer(s);
    return (int)len;
}

static int modem_recv(void *ctx, int id, void *buf, size_t len, uint32_t timeout_ms) {
    modem_socket_t *s = &sock[id];
    uint32_t start = board.ms;
    (void)ctx;
    while (s->tx_at == s->tx_len || (int32_t)(board.ms - s->ready_at) < 0) { /* nothing yet */
        if (board.ms - start >= timeout_ms) return 0;                       /* timeout 0: a poll */
        board_wait_for_interrupt();
    }
    if (len > s->tx_len - s->tx_at) len = s->tx_len - s->tx_at;
    memcpy(buf, s->tx + s->tx_at, len);
    s->tx_at += len;
    return (int)len;
}

static void modem_close(void *ctx, int id) { (void)ctx; if (id >= 0 && id < 2) sock[id].open = 0; }

/* ---- the application ----------------------------------------------------------------- */
static llmres_port_t port;
static llmres_client_t client;
static llmres_worker_t worker;
static llmres_dispatch_t dispatch;
static llmres_job_t job[JOBS];
static char prompt[JOBS][48], answer[JOBS][64];
static int ended[JOBS];

static void on_done(llmres_job_t *j, void *user) { (void)j; ended[(intptr_t)user]++; }

static int board_entropy(void *ctx, void *buf, size_t len) { /* a TRNG on the board; here a serial number */
    static const uint8_t serial[4] = {0x5e, 0x12, 0xa0, 0x07};
    size_t i;
    (void)ctx;
    for (i = 0; i < len; i++) ((uint8_t *)buf)[i] = (uint8_t)(serial[i % 4] ^ (uint8_t)i);
    return 0;
}

int main(void) {
    static const llmres_transport_t tcp = {NULL, modem_open, modem_send, modem_recv, modem_close, 0, NULL};
    static const llmres_provider_t provider = {LLMRES_PROVIDER_OPENAI, "llm.example", 80, 0, NULL, "sk-board", "small", NULL};
    llmres_worker_t *workers[1] = {&worker};
    llmres_config_t cfg;
    uint32_t next_event, longest_step = 0, loops = 0, answered = 0, limited = 0, failed = 0;
    int events = 0, pending = 1, lost = 0, i;

    board.ms = 0xFFFFFFFFu - 20000u; /* 20 s before the clock wraps, to show it does no harm */
    board.idle = board_wait_for_interrupt;
    if (llmres_baremetal_init(&port, &board, &tcp) != LLMRES_OK) return 1;
    port.entropy = board_entropy;
    llmres_config_defaults(&cfg);
    cfg.max_concurrent = 1;
    cfg.backoff_base_ms = 200;
    if (llmres_client_init(&client, &port, NULL, &cfg, &provider, 1) != LLMRES_OK ||
        llmres_worker_init(&worker, &client, NULL) != LLMRES_OK ||
        llmres_dispatch_init(&dispatch, &client, workers, 1) != LLMRES_OK)
        return 1;

    next_event = board.ms;
    while (events < JOBS || pending > 0) { /* the superloop */
        uint32_t wait = LLMRES_NEVER, t0;
        if (events < JOBS && (int32_t)(board.ms - next_event) >= 0) { /* a sensor event every 2 s */
            int n = events++;
            snprintf(prompt[n], sizeof(prompt[n]), "sensor %d reads %d C: normal?", n % 4, 20 + n % 7);
            llmres_call_init(&job[n].call, prompt[n], answer[n], sizeof(answer[n]));
            job[n].call.timeout_ms = 10000;
            job[n].on_done = on_done;
            job[n].user = (void *)(intptr_t)n;
            if (llmres_dispatch_submit(&dispatch, &job[n]) != LLMRES_OK) failed++;
            next_event += 2000;
        }
        t0 = board.ms;
        pending = llmres_dispatch_step(&dispatch, &wait);
        if (board.ms - t0 > longest_step) longest_step = board.ms - t0;
        loops++;
        /* ... the rest of the firmware ... then sleep until there is something to do */
        if (events < JOBS && next_event - board.ms < wait) wait = next_event - board.ms;
        if (wait == LLMRES_NEVER) wait = 1;
        while (wait-- > 0) board_wait_for_interrupt();
    }
    for (i = 0; i < JOBS; i++) {
        if (ended[i] != 1) lost++;
        if (job[i].result.error == LLMRES_OK) answered++;
        else if (job[i].result.cls == LLMRES_CLASS_RATE_LIMIT) limited++; /* the retry budget was spent */
    }
    printf("llmres %s on a bare-metal superloop: %d sensor events, one worker, a 1 kHz tick\n", LLMRES_VERSION_STRING, JOBS);
    printf("| answered / rate-limited / jobs | %u / %u / %d |\n", (unsigned)answered, (unsigned)limited, JOBS);
    printf("| jobs without exactly one end | %d |\n", lost);
    printf("| attempts / retries / 429s | %u / %u / %u |\n", (unsigned)client.attempts, (unsigned)client.retries,
           (unsigned)client.status_429);
    printf("| loop iterations / longest step | %u / %u ms (the answer takes %u ms: no step waits for it) |\n",
           (unsigned)loops, (unsigned)longest_step, (unsigned)LATENCY_MS);
    printf("| first answer | %s |\n", answer[0]);
    llmres_worker_close(&worker);
    return lost == 0 && failed == 0 && answered + limited == JOBS && answered > 0 && client.status_429 > 0 && longest_step < LATENCY_MS ? 0 : 1;
}
