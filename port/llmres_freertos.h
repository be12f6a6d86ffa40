/* llmres_freertos.h - the FreeRTOS port of llmres: the clock, sleep and lock from the
   kernel; TCP from port/llmres_lwip.h (or any transport); entropy from the board.
   Include llmres.h first, then this, in the file that sets up the port:

       static llmres_freertos_t rtos;
       static llmres_port_t port;
       llmres_freertos_init(&port, &rtos);   // once, before the tasks that share it start
       port.entropy = board_entropy;         // the board's, see below
       port.tcp = lw.transport;              // from port/llmres_lwip.h

   What it uses, to check against your kernel (FreeRTOS-Kernel V10.4 to V11 declare them so):
     FreeRTOS.h  TickType_t (32 or 64 bits: 16-bit ticks, which wrap every 65 s at 1 kHz,
                 are refused), configTICK_RATE_HZ (up to 1 MHz), portMAX_DELAY, pdTRUE
     task.h      TickType_t xTaskGetTickCount( void );
                 void vTaskDelay( const TickType_t xTicksToDelay );   INCLUDE_vTaskDelay 1
                 taskENTER_CRITICAL(), taskEXIT_CRITICAL()
     semphr.h    SemaphoreHandle_t xSemaphoreCreateMutexStatic( StaticSemaphore_t * );
                     configSUPPORT_STATIC_ALLOCATION 1 and configUSE_MUTEXES 1
                 xSemaphoreTake( SemaphoreHandle_t, TickType_t ), xSemaphoreGive( SemaphoreHandle_t )
   No heap: the mutex lives in llmres_freertos_t.

   Clock. llmres wants milliseconds that wrap at 2^32; the tick count wraps at 2^32
   ticks, which is the same instant only at 1 kHz. At 10 kHz the ticks wrap every 4.97
   days, and ticks / 10 would jump back from 429,496,729 ms to 0. So now_ms counts: it
   adds the ticks since its last call (an unsigned difference, right across the tick
   wrap) to the milliseconds it has, keeping the fraction of a millisecond, in a critical
   section so that tasks calling it at once read one clock. It must run at least once per
   tick wrap (the client reads it at every step; a device idle for days at a high tick
   rate should read it from a periodic task). Neither kernel macro does this:
   portTICK_PERIOD_MS is 1000 / configTICK_RATE_HZ in integers, 0 above 1 kHz, and
   pdMS_TO_TICKS rounds down (1 ms at 100 Hz is no tick at all) and, before V11,
   overflows in TickType_t at high rates. The conversions below are exact integer ones.

   Sleep. vTaskDelay for the milliseconds rounded up to whole ticks, at least one tick
   for any sleep but 0; by the port's clock a sleep is never shorter than asked.

   Lock. A mutex (priority inheritance) from xSemaphoreCreateMutexStatic; the client
   takes it for a few microseconds at a time, never across I/O or a sleep, and never
   from an interrupt.

   Entropy is the board's: a function that fills a buffer from its TRNG (or, without
   one, from a unique ID mixed with ADC noise) and returns 0. Every random draw of the
   client starts from it; devices of one firmware that start from the same seed retry in
   step. Without it, set LLM_JITTER_SEED to something device-specific. Its ctx is the
   llmres_freertos_t.

   Every function here is static: include it in one file. */
#ifndef LLMRES_FREERTOS_H
#define LLMRES_FREERTOS_H

#ifndef LLMRES_H
#error "include llmres.h before port/llmres_freertos.h"
#endif

#include "FreeRTOS.h"
#include "task.h"
#include "semphr.h"
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define LLMRES_FREERTOS_FN static __attribute__((unused))
#else
#define LLMRES_FREERTOS_FN static
#endif

#if !configSUPPORT_STATIC_ALLOCATION || !configUSE_MUTEXES || !INCLUDE_vTaskDelay
#error "port/llmres_freertos.h needs configSUPPORT_STATIC_ALLOCATION, configUSE_MUTEXES and INCLUDE_vTaskDelay set to 1"
#endif

#define LLMRES__FREERTOS_HZ ((uint32_t)(configTICK_RATE_HZ))
/* 16-bit ticks wrap every 65 s at 1 kHz: too often for a clock read only when calls run */
typedef char llmres__freertos_tick_width[sizeof(TickType_t) >= 4 ? 1 : -1];
/* the fraction of a millisecond, times 1000, must fit in 32 bits */
typedef char llmres__freertos_tick_rate[(configTICK_RATE_HZ) >= 1 && (configTICK_RATE_HZ) <= 1000000 ? 1 : -1];

typedef struct llmres_freertos {
    SemaphoreHandle_t mutex;      /* the lock hooks' mutex, held in mutex_buf */
    StaticSemaphore_t mutex_buf;
    TickType_t last_tick;         /* the tick count at the last now_ms */
    uint32_t ms;                  /* milliseconds counted; wraps at 2^32 */
    uint32_t frac;                /* ticks x 1000 not yet a whole millisecond (< the tick rate) */
} llmres_freertos_t;

LLMRES_FREERTOS_FN uint32_t llmres_freertos_now_ms(void *ctx) {
    llmres_freertos_t *rt = (llmres_freertos_t *)ctx;
    TickType_t now, ticks;
    uint32_t ms;
    taskENTER_CRITICAL();
    now = xTaskGetTickCount();
    ticks = (TickType_t)(now - rt->last_tick);
    rt->last_tick = now;
    rt->ms += (uint32_t)(ticks / LLMRES__FREERTOS_HZ) * 1000u; /* whole seconds; mod 2^32 is right */
    rt->frac += (uint32_t)(ticks % LLMRES__FREERTOS_HZ) * 1000u;
    rt->ms += rt->frac / LLMRES__FREERTOS_HZ;
    rt->frac %= LLMRES__FREERTOS_HZ;
    ms = rt->ms;
    taskEXIT_CRITICAL();
    return ms;
}

/* ms (at most 60,000) in ticks, rounded up; no product exceeds 32 bits up to 1 MHz. */
static TickType_t llmres__freertos_ticks(uint32_t ms) {
    return (TickType_t)((ms / 1000u) * LLMRES__FREERTOS_HZ + ((ms % 1000u) * LLMRES__FREERTOS_HZ + 999u) / 1000u);
}

LLMRES_FREERTOS_FN void llmres_freertos_sleep_ms(void *ctx, uint32_t ms) {
    while (ms) { /* a minute at a time: whole ticks at any rate, so only the last part rounds */
        uint32_t part = ms > 60000u ? 60000u : ms;
        vTaskDelay(llmres__freertos_ticks(part));
        ms -= part;
        if (ms) (void)llmres_freertos_now_ms(ctx); /* a sleep of days spans tick wraps */
    }
}

LLMRES_FREERTOS_FN void llmres_freertos_lock(void *ctx) {
    while (xSemaphoreTake(((llmres_freertos_t *)ctx)->mutex, portMAX_DELAY) != pdTRUE) {
        /* without INCLUDE_vTaskSuspend portMAX_DELAY is finite: wait again */
    }
}

LLMRES_FREERTOS_FN void llmres_freertos_unlock(void *ctx) {
    (void)xSemaphoreGive(((llmres_freertos_t *)ctx)->mutex);
}

/* Fills *port with the clock, sleep and lock, rt as their context; entropy, log and tcp
   are left empty for the board to set. Returns LLMRES_OK, or LLMRES_ERR_INVALID for
   NULLs or when the mutex cannot be made. */
LLMRES_FREERTOS_FN int llmres_freertos_init(llmres_port_t *port, llmres_freertos_t *rt) {
    if (!port || !rt) return LLMRES_ERR_INVALID;
    rt->last_tick = 0; /* the first now_ms counts from tick 0: the time since boot */
    rt->ms = rt->frac = 0;
    rt->mutex = xSemaphoreCreateMutexStatic(&rt->mutex_buf);
    if (!rt->mutex) return LLMRES_ERR_INVALID;
    memset(port, 0, sizeof(*port));
    port->ctx = rt;
    port->now_ms = llmres_freertos_now_ms;
    port->sleep_ms = llmres_freertos_sleep_ms;
    port->lock = llmres_freertos_lock;
    port->unlock = llmres_freertos_unlock;
    return LLMRES_OK;
}

#endif /* LLMRES_FREERTOS_H */
