/* A stand-in for FreeRTOS's task.h (see FreeRTOS.h here): the tick count, vTaskDelay and
   the critical section, as the kernel declares them; the fakes are in freertos.c. */
#ifndef FAKE_TASK_H
#define FAKE_TASK_H
#include "FreeRTOS.h"
TickType_t xTaskGetTickCount(void);
void vTaskDelay(const TickType_t xTicksToDelay);
void fake_enter_critical(void);
void fake_exit_critical(void);
#define taskENTER_CRITICAL() fake_enter_critical()
#define taskEXIT_CRITICAL() fake_exit_critical()
#endif
