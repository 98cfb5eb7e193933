/*
 * tls.h - OpenSSL 3 contexts for both TLS legs of ddlgate.
 *
 * Client leg (ddlgate terminates the client's TLS after its SSLRequest):
 *     SSL_CTX *ctx = tls_server_ctx_new(cert, key, ca, err, sizeof(err));
 *     SSL *ssl = SSL_new(ctx);
 *     bev = bufferevent_openssl_filter_new(base, plain_bev, ssl,
 *                                          BUFFEREVENT_SSL_ACCEPTING,
 *                                          BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
 *   A filter (not bufferevent_openssl_socket_new) because the ClientHello may
 *   already sit in plain_bev's input right behind the SSLRequest packet: the
 *   filter reads it from there.  Drain exactly the 36-byte SSLRequest first.
 *   TLS 1.2+, forward-secret AEAD ciphers for 1.2.  With `ca`, a client
 *   certificate is requested and verified if sent, but not required.
 *
 * Backend leg:
 *     SSL_CTX *bctx = tls_client_ctx_new(mode, ca, cert, key, err, sizeof(err));
 *     SSL *ssl = SSL_new(bctx);
 *     if (!tls_client_ssl_setup(ssl, mode, backend_host)) ...fail;
 *     bev = bufferevent_openssl_filter_new(base, plain_bev, ssl,
 *                                          BUFFEREVENT_SSL_CONNECTING, ...);
 *   (after sending the SSLRequest on plain_bev).  Modes follow MySQL's
 *   ssl-mode: preferred/required encrypt without verifying (a configured CA
 *   is ignored, as MySQL does); verify_ca checks the chain against `ca` (or
 *   the system store when ca is empty); verify_identity also checks the
 *   host name or IP address given to tls_client_ssl_setup().
 *
 * For both legs call bufferevent_openssl_set_allow_dirty_shutdown(bev, 1):
 * MySQL clients routinely close without close_notify.  On BEV_EVENT_ERROR,
 * tls_bev_error() says why (verify failure reason, OpenSSL errors).
 *
 * Ownership and reload: the *_ctx_new functions return a context with one
 * reference owned by the caller (release with SSL_CTX_free).  SSL_new()
 * takes its own reference, so on SIGHUP build a new context and, only if
 * that succeeded, swap the pointer and SSL_CTX_free() the old one: existing
 * connections keep the old context alive until they close.  On failure keep
 * the old one (pgbouncer does the same).  Contexts are safe to share between
 * threads for SSL_new(); give each worker its own reference
 * (SSL_CTX_up_ref) and swap per worker rather than one unguarded global.
 */
#ifndef DDLGATE_TLS_H
#define DDLGATE_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "conf.h" /* enum tls_mode */

struct bufferevent;

/* cert: PEM chain (leaf first); key: PEM private key; ca: PEM bundle or
 * NULL/"" for no client certificates.  NULL + message on failure. */
SSL_CTX *tls_server_ctx_new(const char *cert, const char *key, const char *ca, char *err,
                            size_t errlen);

/* mode must not be TLS_MODE_DISABLED.  cert/key (NULL/"" = none) are the
 * client certificate ddlgate shows the backend; key may be NULL/"" when the
 * cert file also holds the key.  NULL + message on failure. */
SSL_CTX *tls_client_ctx_new(enum tls_mode mode, const char *ca, const char *cert, const char *key,
                            char *err, size_t errlen);

/* Per backend connection, before the handshake: SNI for host names (never
 * for IP literals), and for verify_identity the name/IP check.  host may be
 * an IPv6 literal with or without brackets.  False if verify_identity has no
 * usable host or OpenSSL fails. */
bool tls_client_ssl_setup(SSL *ssl, enum tls_mode mode, const char *host);

/* "disabled", "preferred", "required", "verify_ca", "verify_identity" */
const char *tls_mode_name(enum tls_mode mode);
/* Case-insensitive; '-' accepted for '_' (VERIFY-CA). */
bool tls_parse_mode(const char *s, enum tls_mode *out);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384" into buf ("" for ssl == NULL); returns buf. */
char *tls_describe(const SSL *ssl, char *buf, size_t len);

/* Why a TLS bufferevent failed: the certificate verification result if it
 * failed, then the OpenSSL errors queued on the bufferevent.  Returns buf. */
char *tls_bev_error(struct bufferevent *bev, char *buf, size_t len);

/* Drain this thread's OpenSSL error queue into buf ("" if empty). */
char *tls_last_error(char *buf, size_t len);

#endif
