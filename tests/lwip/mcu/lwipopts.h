/* The lwipopts.h of a device, for `make size` only: what port/llmres_lwip.h needs, with
   the RTOS left to arch/sys_arch.h. Debian's lwipopts.h is for the Unix build. */
#define NO_SYS 0
#define LWIP_TCP 1
#define LWIP_UDP 1
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_DNS 1
#define LWIP_NETCONN 1
#define LWIP_SOCKET 1
#define LWIP_SOCKET_POLL 1
#define LWIP_COMPAT_SOCKETS 0
#define LWIP_TCPIP_CORE_LOCKING 1
#define LWIP_SOCKET_EXTERNAL_HEADERS 0
#define LWIP_TIMEVAL_PRIVATE 0
#define MEMP_NUM_NETCONN 4
