/* A bare-metal compiler's arch/cc.h, for `make size` only (newlib or picolibc). */
#include <sys/time.h>
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_PLATFORM_DIAG(x)
#define LWIP_PLATFORM_ASSERT(x)
