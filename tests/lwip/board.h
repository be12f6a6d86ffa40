/* board.h - the board of the lwIP tests: Debian's lwIP 2.1.3 (tcpip_init, a TAP netif)
   with lwIP's own sys layer as the RTOS. Include after llmres.h and port/llmres_lwip.h.
   lwIP comes up on tap0 (made by the caller, PRECONFIGURED_TAPIF) as 10.77.0.2/24. */
#ifndef LLMRES_LWIP_BOARD_H
#define LLMRES_LWIP_BOARD_H
#include <stdio.h>
#include "lwip/tcpip.h"
#include "lwip/netif.h"
#include "netif/tapif.h"

static sys_mutex_t lock;
static struct netif tap;

/* The RTOS side of the port, from lwIP's own sys layer: what a board running lwIP on an
   RTOS has at hand. Entropy from the kernel here; a board's TRNG there. */
static void rtos_sleep(void *ctx, uint32_t ms) { (void)ctx; sys_msleep(ms); }
static void rtos_lock(void *ctx) { (void)ctx; sys_mutex_lock(&lock); }
static void rtos_unlock(void *ctx) { (void)ctx; sys_mutex_unlock(&lock); }
static int rtos_entropy(void *ctx, void *buf, size_t len) {
    FILE *f = fopen("/dev/urandom", "rb");
    size_t n = f ? fread(buf, 1, len, f) : 0;
    (void)ctx;
    if (f) fclose(f);
    return n == len ? 0 : LLMRES_ERR_IO;
}

static void tcpip_ready(void *arg) { sys_sem_signal((sys_sem_t *)arg); }

/* tcpip_init, then tap0 as lwIP's default interface. tapif_init opens the TAP that
   run.sh made (PRECONFIGURED_TAPIF) and starts the thread that reads it. */
static int lwip_up(void) {
    sys_sem_t ready;
    ip4_addr_t ip, mask, gw;
    if (sys_sem_new(&ready, 0) != ERR_OK) return -1;
    tcpip_init(tcpip_ready, &ready);
    sys_sem_wait(&ready);
    sys_sem_free(&ready);
    IP4_ADDR(&ip, 10, 77, 0, 2);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 77, 0, 1);
    LOCK_TCPIP_CORE();
    if (!netif_add(&tap, &ip, &mask, &gw, NULL, tapif_init, tcpip_input)) { UNLOCK_TCPIP_CORE(); return -1; }
    netif_set_default(&tap);
    netif_set_up(&tap);
    UNLOCK_TCPIP_CORE();
    return 0;
}

/* The port: lwIP's clock (sys_now) and transport, the RTOS side above. */
static int board_port(llmres_port_t *port, llmres_lwip_t *lw) {
    if (lwip_up() != 0 || sys_mutex_new(&lock) != ERR_OK || llmres_lwip_init(lw) != LLMRES_OK) return -1;
    memset(port, 0, sizeof(*port));
    port->now_ms = llmres_lwip_now_ms;
    port->sleep_ms = rtos_sleep;
    port->entropy = rtos_entropy;
    port->lock = rtos_lock;
    port->unlock = rtos_unlock;
    port->tcp = lw->transport;
    return 0;
}
#endif
