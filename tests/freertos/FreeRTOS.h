/* A stand-in for FreeRTOS.h, so that port/llmres_freertos.h compiles and runs on a host
   without the kernel: only what the port uses, declared as FreeRTOS-Kernel V11 declares
   it (include/FreeRTOS.h, projdefs.h, portmacro.h), and behind it a fake tick counter
   that tests/freertos/freertos.c drives. Not the kernel. FAKE_TICK_64: 64-bit ticks. */
#ifndef FAKE_FREERTOS_H
#define FAKE_FREERTOS_H
#include <stdint.h>
#include <stddef.h>

#ifdef FAKE_TICK_64
typedef uint64_t TickType_t;
#define portMAX_DELAY ((TickType_t)0xffffffffffffffffULL)
#else
typedef uint32_t TickType_t;
#define portMAX_DELAY ((TickType_t)0xffffffffUL)
#endif
typedef long BaseType_t;
typedef unsigned long UBaseType_t;
#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)

#ifndef configTICK_RATE_HZ
#define configTICK_RATE_HZ ((TickType_t)1000) /* as FreeRTOSConfig.h often writes it: a cast */
#endif
#define configSUPPORT_STATIC_ALLOCATION 1
#define configUSE_MUTEXES 1
#define INCLUDE_vTaskDelay 1
#endif
