/* Linked into every bare-metal test image (tests/emu/run.sh): what picolibc on QEMU lacks
   for tests/unit, and the stack high-water mark. Not part of llmres. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <semihost.h>

/* picolibc 1.8's clock() counts semihosting ticks (ns on QEMU) but says CLOCKS_PER_SEC is
   100: SYS_CLOCK gives centiseconds, which is what the tests expect. */
clock_t clock(void) {
    return (clock_t)sys_semihost_clock();
}

/* Stack painting: before main, the stack's room is filled with a pattern below the
   painter's own frame; at exit (a destructor: picolibc's exit runs them) the deepest word
   overwritten says how much the run used, the frames above the painter's counted as
   used. The room is [__stack - __stack_size, __stack) when the build gives __stack_size
   (above any heap), else all the RAM above static data, as on the Cortex-M0 where no test
   uses the heap (one that did would show as a stack that reached the bottom). */
extern char __stack[], __bss_end[];
extern char __stack_size[] __attribute__((weak));
#define EMU_PAINT 0xC5A5C5A5u

static uint32_t *emu_stack_bottom(void) {
    if ((uintptr_t)__stack_size) return (uint32_t *)(void *)(__stack - (uintptr_t)__stack_size);
    return (uint32_t *)(((uintptr_t)__bss_end + 3u) & ~(uintptr_t)3u);
}

__attribute__((destructor)) static void emu_stack_report(void) {
    uint32_t *p = emu_stack_bottom(), *top = (uint32_t *)(void *)__stack;
    while (p < top && *p == EMU_PAINT) p++;
    printf("emu: stack high-water %lu of %lu bytes\n", (unsigned long)((char *)top - (char *)p),
           (unsigned long)((char *)top - (char *)emu_stack_bottom()));
}

__attribute__((constructor)) static void emu_stack_paint(void) {
    volatile uint32_t here = 0;
    uintptr_t end = (uintptr_t)&here - 64; /* a margin below this frame */
    uint32_t *p = emu_stack_bottom();
    while ((uintptr_t)p < end) *p++ = EMU_PAINT;
}
