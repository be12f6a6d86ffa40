/* llmres_mbedtls_config.h - a minimal mbedTLS 3.6 configuration for llmres: what an LLM
   client needs to reach a public HTTPS API, and little else. Build mbedTLS and your code
   with  -DMBEDTLS_CONFIG_FILE='"llmres_mbedtls_config.h"' -I<this folder>  (the same
   value in every file: the structs' layout depends on it), and define
   LLMRES_MBEDTLS_HEAP_BYTES where port/llmres_mbedtls.h is compiled.

   What it has, and why:
   - TLS 1.2 client; ECDHE-ECDSA and ECDHE-RSA key exchanges (what Cloudflare, Google and
     AWS front ends offer); AES-128/256-GCM and ChaCha20-Poly1305 (fast and constant-time
     on cores with no AES instructions, such as Cortex-M3/M4; 4 KB of the static chat).
   - X.509 verification of the server: RSA (PKCS#1 v1.5) and ECDSA signatures with
     SHA-256 and SHA-384, curves P-256 and P-384 (the roots and intermediates public
     APIs chain to); PEM and DER; SNI; extended master secret; session tickets (a resumed
     connection skips the certificate chain and the ECDHE of a full handshake).
   - Every allocation in a static arena (MBEDTLS_MEMORY_BUFFER_ALLOC_C; llmres_mbedtls.h
     hands it LLMRES_MBEDTLS_HEAP_BYTES). Records: 16 KB in (a server may send full
     records), 4 KB out (a request is sent in pieces).
   - Entropy from a hook: MBEDTLS_ENTROPY_C is left out. llmres_mbedtls.h seeds the
     CTR_DRBG straight from the port's entropy hook (llmres_port_t.entropy: the board's
     TRNG), so there is no entropy pool, no /dev/urandom and no
     MBEDTLS_ENTROPY_HARDWARE_ALT symbol to supply: the one hook llmres already asks the
     porter for is the only source, and a port without one does not get TLS.
   - Time: on Linux (and other Unix), the libc clock, and the certificate's validity
     dates checked against it. On bare metal (no __unix__), MBEDTLS_PLATFORM_TIME_ALT:
     the board gives the wall-clock time with mbedtls_platform_set_time() (an RTC, SNTP,
     or the build's date as a floor), dates are checked against that, and
     mbedtls_ms_time() is the board's (MBEDTLS_PLATFORM_MS_TIME_ALT).
   Left out: TLS 1.3: it needs the PSA crypto core and an entropy source of PSA's own,
   41 KB more (the static musl chat: 264 KB with it, 223 KB without). Also the entropy module, RSA key exchange and CBC suites, DHE,
   renegotiation, TLS 1.0/1.1, mbedTLS's error strings (llmres_mbedtls_reason() then
   holds X.509's words only), debug, threading (one thread drives a connection),
   certificate writing.
   LLMRES_MBEDTLS_CONFIG_SERVER adds the server side with session tickets (for tests that
   run a server in the same image); LLMRES_MBEDTLS_CONFIG_DEBUG_MEMORY adds the arena's
   peak accounting (mbedtls_memory_buffer_alloc_max_get). */
#ifndef LLMRES_MBEDTLS_CONFIG_H
#define LLMRES_MBEDTLS_CONFIG_H

/* System */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_NO_PLATFORM_ENTROPY /* no entropy module at all; see above */
#if defined(__unix__) || defined(__APPLE__)
#define MBEDTLS_FS_IO /* llmres_mbedtls_ca_file: a CA bundle on disk */
#else
#define MBEDTLS_PLATFORM_TIME_ALT
#define MBEDTLS_PLATFORM_MS_TIME_ALT
#endif
#if defined(LLMRES_MBEDTLS_CONFIG_DEBUG_MEMORY)
#define MBEDTLS_MEMORY_DEBUG
#endif

/* Arithmetic and elliptic curves */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_MPI_MAX_SIZE 512 /* RSA-4096 roots */
#define MBEDTLS_MPI_WINDOW_SIZE 2
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0 /* no precomputed tables in RAM */
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15

/* Symmetric ciphers, hashes, random numbers */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES /* tables in flash, not in RAM */
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_CTR_DRBG_C

/* Certificates */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C

/* TLS */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#if defined(LLMRES_MBEDTLS_CONFIG_SERVER)
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_TICKET_C
#endif
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096
#define MBEDTLS_SSL_CIPHERSUITES                                                           \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,                                 \
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,                                   \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384

#endif /* LLMRES_MBEDTLS_CONFIG_H */
