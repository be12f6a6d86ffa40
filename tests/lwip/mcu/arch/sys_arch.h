/* An RTOS's arch/sys_arch.h reduced to its types, for `make size` only: the port is
   compiled, never linked, against it. */
typedef void *sys_sem_t;
typedef void *sys_mutex_t;
typedef void *sys_mbox_t;
typedef void *sys_thread_t;
typedef unsigned sys_prot_t;
#define sys_sem_valid(s) (*(s) != 0)
#define sys_sem_set_invalid(s) (*(s) = 0)
#define sys_mutex_valid(s) (*(s) != 0)
#define sys_mutex_set_invalid(s) (*(s) = 0)
#define sys_mbox_valid(s) (*(s) != 0)
#define sys_mbox_set_invalid(s) (*(s) = 0)
