/* port/llmres_freertos.h on a host: the stand-in headers of this folder declare the few
   kernel calls it uses, and the fakes below back them with a tick counter the tests
   move. Built once per tick rate (-DconfigTICK_RATE_HZ=1000, 10000, 1024, 100) and with
   64-bit ticks (-DFAKE_TICK_64) by tests/ports.sh, and under ThreadSanitizer.
   Checks: the clock follows the ticks exactly across the tick counter's wrap and its own
   2^32 ms wrap; sleeps round up to whole ticks; the lock is the static mutex; many
   tasks read one monotonic clock. */
#define _DEFAULT_SOURCE
/* the port needs only llmres_port_t and the error codes: the rest stays out (fast builds) */
#define LLMRES_NO_HTTP
#define LLMRES_NO_BUCKET
#define LLMRES_NO_BREAKER
#define LLMRES_NO_BACKOFF
#define LLMRES_NO_CACHE
#define LLMRES_NO_QUEUE
#define LLMRES_NO_OVERLOAD
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"
#include "../../port/llmres_freertos.h"
#include "../test.h"
#include <pthread.h>

#define HZ ((uint64_t)(configTICK_RATE_HZ))
#define WRAP32 ((uint64_t)1 << 32)

/* ---- the fakes ------------------------------------------------------------------- */
static TickType_t fake_ticks;   /* the kernel's tick count (atomic: the "interrupt" moves it) */
static uint64_t total;          /* ticks since 0, never wrapping: the truth */
static uint64_t delayed;        /* ticks asked of vTaskDelay */
static uint32_t delays;         /* vTaskDelay calls */
static pthread_mutex_t critical = PTHREAD_MUTEX_INITIALIZER;
static int in_critical;
struct fake_semaphore { pthread_mutex_t m; };
static struct fake_semaphore sem = {PTHREAD_MUTEX_INITIALIZER};
static StaticSemaphore_t *sem_buf;
static TickType_t last_block;
static int fail_create, fail_takes, takes, gives;

TickType_t xTaskGetTickCount(void) { return __atomic_load_n(&fake_ticks, __ATOMIC_SEQ_CST); }
void vTaskDelay(const TickType_t xTicksToDelay) { /* the task wakes that many ticks on */
    delays++;
    delayed += xTicksToDelay;
    total += xTicksToDelay;
    __atomic_store_n(&fake_ticks, (TickType_t)total, __ATOMIC_SEQ_CST);
}
void fake_enter_critical(void) { pthread_mutex_lock(&critical); in_critical++; }
void fake_exit_critical(void) { in_critical--; pthread_mutex_unlock(&critical); }
SemaphoreHandle_t xSemaphoreCreateMutexStatic(StaticSemaphore_t *pxMutexBuffer) {
    sem_buf = pxMutexBuffer;
    return fail_create ? NULL : &sem;
}
BaseType_t xSemaphoreTake(SemaphoreHandle_t xSemaphore, TickType_t xBlockTime) {
    pthread_mutex_lock(&xSemaphore->m);
    last_block = xBlockTime;
    if (fail_takes > 0) { /* a finite portMAX_DELAY ran out */
        fail_takes--;
        pthread_mutex_unlock(&xSemaphore->m);
        return pdFALSE;
    }
    takes++;
    return pdTRUE;
}
BaseType_t xSemaphoreGive(SemaphoreHandle_t xSemaphore) {
    gives++;
    pthread_mutex_unlock(&xSemaphore->m);
    return pdTRUE;
}

static void set_ticks(uint64_t t) {
    total = t;
    __atomic_store_n(&fake_ticks, (TickType_t)t, __ATOMIC_SEQ_CST);
}
static uint32_t truth_ms(void) { return (uint32_t)(total * 1000u / HZ); }

static llmres_freertos_t rtos;
static llmres_port_t port;

/* ---- the tests ------------------------------------------------------------------- */
/* Steps of `step` ticks until `until` ticks; every reading must be the truth exactly.
   Returns the number of readings that were not; *tick_wraps and *ms_wraps count wraps. */
static uint32_t walk(uint64_t until, uint64_t step, uint32_t *tick_wraps, uint32_t *ms_wraps, uint32_t *max_gap) {
    uint32_t bad = 0, prev = port.now_ms(port.ctx), now;
    TickType_t prev_tick = fake_ticks;
    while (total < until) {
        set_ticks(total + (until - total < step ? until - total : step));
        now = port.now_ms(port.ctx);
        if (now != truth_ms() || (int32_t)(now - prev) < 0) bad++;
        if (fake_ticks < prev_tick) (*tick_wraps)++;
        if (now < prev) (*ms_wraps)++;
        if (now - prev > *max_gap) *max_gap = now - prev;
        prev = now;
        prev_tick = fake_ticks;
    }
    return bad;
}

static void clock_follows_the_ticks_across_both_wraps(void) {
    static const uint64_t steps[] = {1, 2, 3, 999983, 123456789, 7, 65537, 10000019};
    uint32_t tick_wraps = 0, ms_wraps = 0, gap = 0, bad = 0, i = 0;
    uint64_t ms64, ms_wrap_at;
    set_ticks(WRAP32 - 3 * HZ); /* 3 s before the tick count wraps */
    CHECK_EQ(llmres_freertos_init(&port, &rtos), LLMRES_OK);
    CHECK_EQ(port.now_ms(port.ctx), truth_ms());
    /* one tick at a time across the tick wrap: at 10 kHz ms must not jump back */
    ms64 = total * 1000u / HZ;
    bad += walk(WRAP32 + 3 * HZ, 1, &tick_wraps, &ms_wraps, &gap);
    CHECK(gap <= (uint32_t)((1000u + HZ - 1) / HZ)); /* one tick's worth at most */
    if (sizeof(TickType_t) == 4) CHECK_EQ(tick_wraps, 1);
    /* ms wrap with the ticks only where 1000 / HZ is whole (1 kHz, 100 Hz) */
    CHECK_EQ(ms_wraps, (total * 1000u / HZ) >> 32 != ms64 >> 32);
    /* big and odd steps (each under a tick wrap) to 2 s before the next ms wrap, then ticks */
    ms_wrap_at = (((((total * 1000u / HZ) >> 32) + 1) << 32) * HZ + 999u) / 1000u;
    while (total < ms_wrap_at - 2 * HZ) {
        uint64_t to = total + steps[i % 8] < ms_wrap_at - 2 * HZ ? total + steps[i % 8] : ms_wrap_at - 2 * HZ;
        bad += walk(to, steps[i % 8], &tick_wraps, &ms_wraps, &gap);
        i++;
    }
    ms_wraps = 0;
    gap = 0;
    bad += walk(ms_wrap_at + 2 * HZ, 1, &tick_wraps, &ms_wraps, &gap);
    CHECK_EQ(ms_wraps, 1);
    CHECK(gap <= (uint32_t)((1000u + HZ - 1) / HZ));
    CHECK_EQ(bad, 0);
    CHECK_EQ(in_critical, 0);
}

static void sleep_rounds_up_to_whole_ticks(void) {
    static const uint32_t ms[] = {0, 1, 2, 5, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 60000, 60001, 3600000, 0x7FFFFFFFu};
    size_t i;
    set_ticks(WRAP32 - 1000);
    CHECK_EQ(llmres_freertos_init(&port, &rtos), LLMRES_OK);
    for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        uint64_t want = ((uint64_t)ms[i] * HZ + 999u) / 1000u;
        uint32_t before = port.now_ms(port.ctx), took;
        delayed = 0;
        delays = 0;
        port.sleep_ms(port.ctx, ms[i]);
        took = port.now_ms(port.ctx) - before;
        CHECK_EQ(delayed, want);
        if (ms[i] == 0) CHECK_EQ(delays, 0);
        else CHECK(delayed >= 1);
        CHECK(took >= ms[i]);                                        /* never short, by its clock */
        CHECK((uint64_t)took - ms[i] <= (1000u + HZ - 1) / HZ);       /* at most a tick long */
    }
}

static int shared_count;
static void *count_under_lock(void *arg) {
    int i;
    (void)arg;
    for (i = 0; i < 50000; i++) {
        port.lock(port.ctx);
        shared_count++;
        port.unlock(port.ctx);
    }
    return NULL;
}

static void lock_is_the_static_mutex(void) {
    pthread_t th[4];
    int i;
    llmres_port_t untouched;
    CHECK_EQ(llmres_freertos_init(&port, &rtos), LLMRES_OK);
    CHECK(sem_buf == &rtos.mutex_buf); /* in the port's struct: no heap */
    CHECK(rtos.mutex != NULL);
    CHECK(port.ctx == &rtos);
    CHECK(port.entropy == NULL && port.log == NULL); /* the board's */
    CHECK(port.tcp.open == NULL && port.tcp.ctx == NULL && port.tcp.flags == 0);
    takes = gives = 0;
    fail_takes = 2;
    port.lock(port.ctx); /* two takes time out, the third holds it */
    CHECK_EQ(takes, 1);
    CHECK_EQ(fail_takes, 0);
    CHECK(last_block == portMAX_DELAY);
    port.unlock(port.ctx);
    CHECK_EQ(gives, 1);
    for (i = 0; i < 4; i++) pthread_create(&th[i], NULL, count_under_lock, NULL);
    for (i = 0; i < 4; i++) pthread_join(th[i], NULL);
    CHECK_EQ(shared_count, 200000);
    CHECK_EQ(takes, gives);
    /* refused: NULLs, and a mutex that cannot be made (the port is left as it was) */
    CHECK_EQ(llmres_freertos_init(NULL, &rtos), LLMRES_ERR_INVALID);
    CHECK_EQ(llmres_freertos_init(&port, NULL), LLMRES_ERR_INVALID);
    fail_create = 1;
    memset(&untouched, 0, sizeof(untouched));
    CHECK_EQ(llmres_freertos_init(&untouched, &rtos), LLMRES_ERR_INVALID);
    CHECK(untouched.now_ms == NULL);
    fail_create = 0;
}

#define TICKS_MOVED 200000
static int ticking;
static void *tick_interrupt(void *arg) {
    int i;
    (void)arg;
    for (i = 0; i < TICKS_MOVED; i++) __atomic_fetch_add(&fake_ticks, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&ticking, 0, __ATOMIC_SEQ_CST);
    return NULL;
}
static void *read_clock(void *arg) {
    uint32_t prev = port.now_ms(port.ctx), now;
    int *backwards = (int *)arg;
    while (__atomic_load_n(&ticking, __ATOMIC_SEQ_CST)) {
        now = port.now_ms(port.ctx);
        if ((int32_t)(now - prev) < 0) (*backwards)++;
        prev = now;
    }
    return NULL;
}

static void tasks_read_one_clock(void) {
    pthread_t tick, th[4];
    int backwards[4] = {0, 0, 0, 0}, i;
    set_ticks(WRAP32 - TICKS_MOVED / 2); /* the tick count wraps half-way */
    CHECK_EQ(llmres_freertos_init(&port, &rtos), LLMRES_OK);
    (void)port.now_ms(port.ctx);
    ticking = 1;
    for (i = 0; i < 4; i++) pthread_create(&th[i], NULL, read_clock, &backwards[i]);
    pthread_create(&tick, NULL, tick_interrupt, NULL);
    pthread_join(tick, NULL);
    for (i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (i = 0; i < 4; i++) CHECK_EQ(backwards[i], 0);
    total += TICKS_MOVED;
    CHECK_EQ(port.now_ms(port.ctx), truth_ms());
}

int main(int argc, char **argv) {
    T_INIT(argc, argv);
    RUN(clock_follows_the_ticks_across_both_wraps);
    RUN(sleep_rounds_up_to_whole_ticks);
    RUN(lock_is_the_static_mutex);
    RUN(tasks_read_one_clock);
    if (t__failed) printf("  (at a tick rate of %u Hz, %u-bit ticks)\n", (unsigned)HZ, (unsigned)(8 * sizeof(TickType_t)));
    return T_DONE();
}
