/* A stand-in for FreeRTOS's semphr.h (see FreeRTOS.h here). In the kernel the three
   are macros over the queue functions; their use is the same. StaticSemaphore_t is
   opaque storage there too. */
#ifndef FAKE_SEMPHR_H
#define FAKE_SEMPHR_H
#include "FreeRTOS.h"
typedef struct fake_semaphore *SemaphoreHandle_t;
typedef struct { void *dummy[10]; } StaticSemaphore_t;
SemaphoreHandle_t xSemaphoreCreateMutexStatic(StaticSemaphore_t *pxMutexBuffer);
BaseType_t xSemaphoreTake(SemaphoreHandle_t xSemaphore, TickType_t xBlockTime);
BaseType_t xSemaphoreGive(SemaphoreHandle_t xSemaphore);
#endif
