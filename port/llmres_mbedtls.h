/* llmres_mbedtls.h - TLS for llmres from mbedTLS (2.28 and 3.6), as a transport stacked
   on any other transport: POSIX sockets, lwIP or the simulator get TLS the same way.
   Include llmres.h first, then this:

       static llmres_mbedtls_t tls;
       llmres_mbedtls_init(&tls, &port, &port.tcp);
       llmres_mbedtls_ca_file(&tls, "/etc/ssl/certs/ca-certificates.crt");
       llmres_http_client_init(&client, &port, &tls.transport);

   Certificates are always verified (MBEDTLS_SSL_VERIFY_REQUIRED) against the CA bundle
   given, with SNI and a host-name check; there is no switch to turn that off and never
   a plaintext fallback. Without a CA, open fails with LLMRES_ERR_CERT. TLS 1.2 at least.
   Handshake, send and receive honour the timeouts of the transport contract. Sessions
   are kept per host and resumed on the next connection (tickets or ids), which saves a
   full handshake when a keep-alive connection was dropped; `resumed` counts those
   (a handshake that checked no certificate).

   Errors: LLMRES_ERR_CERT (not trusted, wrong host, expired...), LLMRES_ERR_TLS (any
   other TLS failure), or the inner transport's own (CONNECT, DNS, TIMEOUT, IO, CLOSED).
   llmres_mbedtls_reason() gives mbedTLS's words for the last failure.

   mbedTLS itself allocates its record buffers with calloc unless it is built with
   MBEDTLS_MEMORY_BUFFER_ALLOC_C: then define LLMRES_MBEDTLS_HEAP_BYTES (say 48000) and
   init hands it a static pool of that size. */
#ifndef LLMRES_MBEDTLS_H
#define LLMRES_MBEDTLS_H

#ifndef LLMRES_H
#error "include llmres.h before port/llmres_mbedtls.h"
#endif

#include <mbedtls/version.h>
#if MBEDTLS_VERSION_NUMBER < 0x03000000
#include <mbedtls/config.h>
#else
#include <mbedtls/build_info.h>
#endif
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#if defined(MBEDTLS_PSA_CRYPTO_C) && MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <psa/crypto.h>
#endif
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) && defined(LLMRES_MBEDTLS_HEAP_BYTES)
#include <mbedtls/memory_buffer_alloc.h>
#endif
#include <string.h>

/* TLS 1.3 tickets arrive after the handshake; from 3.6.1 mbedTLS reports each one with
   this code, once asked to (see init): the session is then saved and the call made again. */
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
#define LLMRES__TLS_TICKET MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
#else
#define LLMRES__TLS_TICKET (-0x7FFF) /* never returned */
#endif

#ifndef LLMRES_MBEDTLS_MAX_CONNECTIONS
#define LLMRES_MBEDTLS_MAX_CONNECTIONS LLMRES_MAX_CONNECTIONS
#endif
#ifndef LLMRES_MBEDTLS_SESSIONS
#define LLMRES_MBEDTLS_SESSIONS 2 /* hosts whose sessions are kept for resumption */
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LLMRES_MBEDTLS_FN static __attribute__((unused))
#else
#define LLMRES_MBEDTLS_FN static
#endif

struct llmres_mbedtls;

typedef struct llmres_mbedtls_conn {
    mbedtls_ssl_context ssl;
    struct llmres_mbedtls *tls;
    int inner;           /* the inner transport's connection id */
    int inner_error;     /* what the inner transport said last, 0 if fine */
    uint32_t deadline;   /* of the operation under way */
    uint8_t used;
    uint8_t verified;    /* a certificate was checked: a full handshake, not a resumed one */
    uint8_t cached;      /* a saved session was offered */
    uint8_t shaking;     /* the handshake is under way (an open in steps) */
    int failed;          /* the handshake's error, reported by every later call */
    uint16_t port;
    char host[LLMRES_MAX_HOST];
} llmres_mbedtls_conn_t;

typedef struct llmres_mbedtls_session {
    mbedtls_ssl_session session;
    uint32_t saved_at;
    uint16_t port;
    uint8_t valid;
    char host[LLMRES_MAX_HOST];
} llmres_mbedtls_session_t;

typedef struct llmres_mbedtls {
    llmres_transport_t transport;     /* the TLS transport: give &tls.transport to the client */
    const llmres_port_t *port;
    const llmres_transport_t *inner;
    mbedtls_ssl_config conf;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    uint32_t ca_count;                /* certificates loaded */
    uint32_t handshakes, resumed;     /* counters (wrap) */
    int last_error;                   /* mbedTLS's code for the last failure */
    uint32_t verify_flags;            /* X.509 verification flags of the last failure */
    char reason[200];                 /* mbedTLS's words for the last failure */
    llmres_mbedtls_conn_t conn[LLMRES_MBEDTLS_MAX_CONNECTIONS];
    llmres_mbedtls_session_t sessions[LLMRES_MBEDTLS_SESSIONS];
} llmres_mbedtls_t;

LLMRES_MBEDTLS_FN const char *llmres_mbedtls_reason(const llmres_mbedtls_t *t) { return t ? t->reason : ""; }

static uint32_t llmres__tls_left(const llmres_mbedtls_conn_t *c) {
    const llmres_port_t *port = c->tls->port;
    int32_t left = (int32_t)(c->deadline - port->now_ms(port->ctx));
    return left > 0 ? (uint32_t)left : 0;
}

/* mbedTLS's I/O callbacks, over the inner transport, within the operation's deadline. */
static int llmres__tls_bio_send(void *p, const unsigned char *buf, size_t len) {
    llmres_mbedtls_conn_t *c = (llmres_mbedtls_conn_t *)p;
    const llmres_transport_t *in = c->tls->inner;
    int n = in->send(in->ctx, c->inner, buf, len, llmres__tls_left(c));
    if (n > 0) return n;
    if (n == 0) return MBEDTLS_ERR_SSL_WANT_WRITE;
    c->inner_error = n;
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int llmres__tls_bio_recv(void *p, unsigned char *buf, size_t len) {
    llmres_mbedtls_conn_t *c = (llmres_mbedtls_conn_t *)p;
    const llmres_transport_t *in = c->tls->inner;
    int n = in->recv(in->ctx, c->inner, buf, len, llmres__tls_left(c));
    if (n > 0) return n;
    if (n == 0) return MBEDTLS_ERR_SSL_WANT_READ;
    c->inner_error = n;
    if (n == LLMRES_ERR_CLOSED) return 0; /* EOF */
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* Maps an mbedTLS failure to the llmres taxonomy and keeps mbedTLS's reason. */
static int llmres__tls_fail(llmres_mbedtls_t *t, llmres_mbedtls_conn_t *c, int ret) {
    t->last_error = ret;
    t->reason[0] = 0;
    if (c && c->inner_error) { /* the connection below failed first */
        strncpy(t->reason, llmres_strerror(c->inner_error), sizeof(t->reason) - 1);
        t->reason[sizeof(t->reason) - 1] = 0;
        return c->inner_error;
    }
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && c) {
        t->verify_flags = mbedtls_ssl_get_verify_result(&c->ssl);
        mbedtls_x509_crt_verify_info(t->reason, sizeof(t->reason), "", t->verify_flags);
        return LLMRES_ERR_CERT;
    }
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF) return LLMRES_ERR_CLOSED;
#if defined(MBEDTLS_ERROR_C)
    mbedtls_strerror(ret, t->reason, sizeof(t->reason));
#endif
    return LLMRES_ERR_TLS;
}

/* Called for each certificate of a full handshake; a resumed one checks none. Leaves
   mbedTLS's verdict as it is. */
static int llmres__tls_verify(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags) {
    (void)crt; (void)depth; (void)flags;
    ((llmres_mbedtls_conn_t *)p)->verified = 1;
    return 0;
}

static llmres_mbedtls_session_t *llmres__tls_session(llmres_mbedtls_t *t, const char *host, uint16_t port, int make) {
    llmres_mbedtls_session_t *oldest = &t->sessions[0];
    uint32_t i;
    for (i = 0; i < LLMRES_MBEDTLS_SESSIONS; i++) {
        llmres_mbedtls_session_t *s = &t->sessions[i];
        if (s->valid && s->port == port && !strcmp(s->host, host)) return s;
        if (!s->valid || (oldest->valid && (int32_t)(s->saved_at - oldest->saved_at) < 0)) oldest = s;
    }
    if (!make) return NULL;
    if (oldest->valid) mbedtls_ssl_session_free(&oldest->session);
    oldest->valid = 0;
    return oldest;
}

/* Keeps the connection's session for the next connection to its host. TLS 1.2 tickets
   come in the handshake; TLS 1.3 tickets come after it, so this runs at close too. */
static void llmres__tls_save_session(llmres_mbedtls_t *t, llmres_mbedtls_conn_t *c) {
    llmres_mbedtls_session_t *slot;
    mbedtls_ssl_session now;
    mbedtls_ssl_session_init(&now);
    if (mbedtls_ssl_get_session(&c->ssl, &now) != 0) { mbedtls_ssl_session_free(&now); return; }
    slot = llmres__tls_session(t, c->host, c->port, 1);
    if (slot->valid) mbedtls_ssl_session_free(&slot->session);
    slot->session = now; /* takes over the ticket it owns */
    slot->valid = 1;
    slot->port = c->port;
    slot->saved_at = t->port->now_ms(t->port->ctx);
    memcpy(slot->host, c->host, strlen(c->host) + 1);
}

static void llmres__tls_close(void *ctx, int id);

/* Goes on with the handshake until the connection's deadline: 1 done, 0 not yet, or the
   error (kept in c->failed for every later call). */
static int llmres__tls_handshake(llmres_mbedtls_t *t, llmres_mbedtls_conn_t *c) {
    llmres_mbedtls_session_t *cached;
    int ret;
    if (c->failed) return c->failed;
    while ((ret = mbedtls_ssl_handshake(&c->ssl)) != 0) {
        if (ret == LLMRES__TLS_TICKET) { llmres__tls_save_session(t, c); continue; }
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) break;
        if (!llmres__tls_left(c)) return 0;
    }
    if (ret == 0) {
        c->shaking = 0;
        t->handshakes++;
        if (c->cached && !c->verified) t->resumed++; /* no certificate checked: the session resumed */
        llmres__tls_save_session(t, c); /* TLS 1.2: the ticket came with the handshake */
        return 1;
    }
    ret = llmres__tls_fail(t, c, ret);
    if (ret == LLMRES_ERR_CLOSED) { /* a server that hangs up mid-handshake: a TLS failure */
        strcpy(t->reason, "the server closed the connection during the TLS handshake");
        ret = LLMRES_ERR_TLS;
    }
    /* a session that failed to resume is not offered again (a failure below TLS, DNS or
       a refused connect, says nothing of the session) */
    cached = c->cached && !c->inner_error ? llmres__tls_session(t, c->host, c->port, 0) : NULL;
    if (cached) { mbedtls_ssl_session_free(&cached->session); cached->valid = 0; }
    c->failed = ret;
    return ret;
}

static int llmres__tls_open(void *ctx, const char *host, uint16_t port, uint32_t timeout_ms) {
    llmres_mbedtls_t *t = (llmres_mbedtls_t *)ctx;
    llmres_mbedtls_conn_t *c = NULL;
    llmres_mbedtls_session_t *cached;
    uint32_t i;
    int ret, id;
    if (!host || strlen(host) >= LLMRES_MAX_HOST) return LLMRES_ERR_INVALID;
    if (!t->ca_count) {
        strcpy(t->reason, "no CA certificates loaded: call llmres_mbedtls_ca_file or _ca_buffer");
        return LLMRES_ERR_CERT;
    }
    for (i = 0; i < LLMRES_MBEDTLS_MAX_CONNECTIONS && !c; i++)
        if (!t->conn[i].used) c = &t->conn[i];
    if (!c) return LLMRES_ERR_NO_SLOT;
    id = (int)(c - t->conn);
    memset(c, 0, sizeof(*c));
    c->tls = t;
    c->deadline = t->port->now_ms(t->port->ctx) + (timeout_ms > 0x7FFFFFFFu ? 0x7FFFFFFFu : timeout_ms);
    if (timeout_ms == 0 && !(t->inner->flags & LLMRES_TRANSPORT_ASYNC_OPEN)) return LLMRES_ERR_INVALID;
    c->inner = t->inner->open(t->inner->ctx, host, port, timeout_ms);
    if (c->inner < 0) return c->inner;
    c->used = 1;
    mbedtls_ssl_init(&c->ssl);
    if ((ret = mbedtls_ssl_setup(&c->ssl, &t->conf)) != 0 || (ret = mbedtls_ssl_set_hostname(&c->ssl, host)) != 0)
        goto fail;
    mbedtls_ssl_set_bio(&c->ssl, c, llmres__tls_bio_send, llmres__tls_bio_recv, NULL);
    mbedtls_ssl_set_verify(&c->ssl, llmres__tls_verify, c);
    c->port = port;
    memcpy(c->host, host, strlen(host) + 1);
    cached = llmres__tls_session(t, host, port, 0);
    if (cached) mbedtls_ssl_set_session(&c->ssl, &cached->session);
    c->cached = cached != NULL;
    c->shaking = 1;
    if (timeout_ms == 0) return id; /* in steps: send and recv go on with the handshake */
    ret = llmres__tls_handshake(t, c);
    if (ret == 0) ret = t->inner->resolving && t->inner->resolving(t->inner->ctx, c->inner) > 0 ? LLMRES_ERR_DNS : LLMRES_ERR_TIMEOUT;
    if (ret > 0) return id;
    llmres__tls_close(t, id);
    return ret;
fail:
    ret = llmres__tls_fail(t, c, ret);
    mbedtls_ssl_free(&c->ssl);
    t->inner->close(t->inner->ctx, c->inner);
    c->used = 0;
    return ret;
}

/* The open connection `id`, with the deadline of an operation of timeout_ms set. */
static llmres_mbedtls_conn_t *llmres__tls_conn(llmres_mbedtls_t *t, int id, uint32_t timeout_ms) {
    llmres_mbedtls_conn_t *c = id >= 0 && id < LLMRES_MBEDTLS_MAX_CONNECTIONS && t->conn[id].used ? &t->conn[id] : NULL;
    if (c) {
        c->deadline = t->port->now_ms(t->port->ctx) + (timeout_ms > 0x7FFFFFFFu ? 0x7FFFFFFFu : timeout_ms);
        c->inner_error = 0;
    }
    return c;
}

static int llmres__tls_send(void *ctx, int id, const void *buf, size_t len, uint32_t timeout_ms) {
    llmres_mbedtls_t *t = (llmres_mbedtls_t *)ctx;
    llmres_mbedtls_conn_t *c = llmres__tls_conn(t, id, timeout_ms);
    int ret;
    if (!c) return LLMRES_ERR_INVALID;
    if (c->shaking && (ret = llmres__tls_handshake(t, c)) <= 0) return ret;
    do {
        ret = mbedtls_ssl_write(&c->ssl, (const unsigned char *)buf, len > 0x7FFFFFFF ? 0x7FFFFFFF : len);
        if (ret == LLMRES__TLS_TICKET) llmres__tls_save_session(t, c);
    } while (ret == LLMRES__TLS_TICKET);
    if (ret >= 0) return ret;
    if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) return 0;
    return llmres__tls_fail(t, c, ret);
}

static int llmres__tls_recv(void *ctx, int id, void *buf, size_t len, uint32_t timeout_ms) {
    llmres_mbedtls_t *t = (llmres_mbedtls_t *)ctx;
    llmres_mbedtls_conn_t *c = llmres__tls_conn(t, id, timeout_ms);
    int ret;
    if (!c) return LLMRES_ERR_INVALID;
    if (c->shaking && (ret = llmres__tls_handshake(t, c)) <= 0) return ret;
    do {
        ret = mbedtls_ssl_read(&c->ssl, (unsigned char *)buf, len > 0x7FFFFFFF ? 0x7FFFFFFF : len);
        if (ret == LLMRES__TLS_TICKET) llmres__tls_save_session(t, c);
    } while (ret == LLMRES__TLS_TICKET);
    if (ret > 0) return ret;
    if (ret == 0) return LLMRES_ERR_CLOSED;
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) return c->inner_error ? llmres__tls_fail(t, c, ret) : 0;
    return llmres__tls_fail(t, c, ret);
}

/* Whether the connection below still waits for its name. */
static int llmres__tls_resolving(void *ctx, int id) {
    llmres_mbedtls_t *t = (llmres_mbedtls_t *)ctx;
    const llmres_mbedtls_conn_t *c = id >= 0 && id < LLMRES_MBEDTLS_MAX_CONNECTIONS && t->conn[id].used ? &t->conn[id] : NULL;
    return c && c->shaking && t->inner->resolving(t->inner->ctx, c->inner) > 0;
}

static void llmres__tls_close(void *ctx, int id) {
    llmres_mbedtls_t *t = (llmres_mbedtls_t *)ctx;
    llmres_mbedtls_conn_t *c = llmres__tls_conn(t, id, 0); /* close_notify only if it goes at once */
    if (!c) return;
    if (!c->shaking) {
        llmres__tls_save_session(t, c);
        mbedtls_ssl_close_notify(&c->ssl);
    } else if (!c->failed) { /* given up mid-handshake: no session, no one to notify */
        strcpy(t->reason, "TLS handshake not finished in the time given");
    }
    t->inner->close(t->inner->ctx, c->inner);
    mbedtls_ssl_free(&c->ssl);
    c->used = 0;
}

static int llmres__tls_entropy(void *p, unsigned char *buf, size_t len) {
    const llmres_port_t *port = (const llmres_port_t *)p;
    return port->entropy(port->ctx, buf, len) == 0 ? 0 : MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
}

/* Sets t up over `inner` (usually &port->tcp). The port must give now_ms and entropy.
   Returns LLMRES_OK, LLMRES_ERR_INVALID, or LLMRES_ERR_TLS (reason in t->reason). */
LLMRES_MBEDTLS_FN int llmres_mbedtls_init(llmres_mbedtls_t *t, const llmres_port_t *port, const llmres_transport_t *inner) {
    int ret;
    static const unsigned char pers[] = "llmres";
    if (!t || !port || !port->now_ms || !port->entropy || !inner || !inner->open) return LLMRES_ERR_INVALID;
    memset(t, 0, sizeof(*t));
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) && defined(LLMRES_MBEDTLS_HEAP_BYTES)
    {
        static unsigned char heap[LLMRES_MBEDTLS_HEAP_BYTES];
        static int heap_ready;
        if (!heap_ready) { mbedtls_memory_buffer_alloc_init(heap, sizeof(heap)); heap_ready = 1; }
    }
#endif
#if defined(MBEDTLS_PSA_CRYPTO_C) && MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (psa_crypto_init() != PSA_SUCCESS) { strcpy(t->reason, "psa_crypto_init failed"); return LLMRES_ERR_TLS; }
#endif
    t->port = port;
    t->inner = inner;
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_x509_crt_init(&t->ca);
    if ((ret = mbedtls_ctr_drbg_seed(&t->drbg, llmres__tls_entropy, (void *)(uintptr_t)port, pers, sizeof(pers) - 1)) != 0 ||
        (ret = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
        llmres__tls_fail(t, NULL, ret);
        return LLMRES_ERR_TLS;
    }
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
    mbedtls_ssl_conf_session_tickets(&t->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3) && MBEDTLS_VERSION_NUMBER >= 0x03060100
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(&t->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
#endif
    t->transport.ctx = t;
    t->transport.open = llmres__tls_open;
    t->transport.send = llmres__tls_send;
    t->transport.recv = llmres__tls_recv;
    t->transport.close = llmres__tls_close;
    t->transport.flags = inner->flags & LLMRES_TRANSPORT_ASYNC_OPEN;
    t->transport.resolving = inner->resolving ? llmres__tls_resolving : NULL;
    return LLMRES_OK;
}

/* After a CA parse: counts what the chain holds now. */
static int llmres__tls_ca_loaded(llmres_mbedtls_t *t, int ret) {
    const mbedtls_x509_crt *c;
    if (ret < 0) { llmres__tls_fail(t, NULL, ret); return LLMRES_ERR_CERT; }
    t->ca_count = 0;
    for (c = &t->ca; c && c->raw.len; c = c->next) t->ca_count++;
    return t->ca_count ? LLMRES_OK : LLMRES_ERR_CERT;
}

/* Adds trusted CA certificates from a PEM or DER buffer (in flash, say). PEM must end
   with its NUL, counted in len (mbedTLS's rule). Errors: INVALID, CERT (reason set). */
LLMRES_MBEDTLS_FN int llmres_mbedtls_ca_buffer(llmres_mbedtls_t *t, const void *buf, size_t len) {
    int ret;
    if (!t || !buf || !len) return LLMRES_ERR_INVALID;
    ret = mbedtls_x509_crt_parse(&t->ca, (const unsigned char *)buf, len);
    return llmres__tls_ca_loaded(t, ret);
}

#if defined(MBEDTLS_FS_IO)
/* Adds trusted CA certificates from a file (a system bundle holds many). */
LLMRES_MBEDTLS_FN int llmres_mbedtls_ca_file(llmres_mbedtls_t *t, const char *path) {
    int ret;
    if (!t || !path) return LLMRES_ERR_INVALID;
    ret = mbedtls_x509_crt_parse_file(&t->ca, path);
    return llmres__tls_ca_loaded(t, ret);
}
#endif

/* Closes every connection and frees what mbedTLS holds. */
LLMRES_MBEDTLS_FN void llmres_mbedtls_free(llmres_mbedtls_t *t) {
    uint32_t i;
    if (!t) return;
    for (i = 0; i < LLMRES_MBEDTLS_MAX_CONNECTIONS; i++)
        if (t->conn[i].used) llmres__tls_close(t, (int)i);
    for (i = 0; i < LLMRES_MBEDTLS_SESSIONS; i++)
        if (t->sessions[i].valid) mbedtls_ssl_session_free(&t->sessions[i].session);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_ctr_drbg_free(&t->drbg);
}

#endif /* LLMRES_MBEDTLS_H */
