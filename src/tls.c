/*
 * tls.c - OpenSSL 3 contexts for the client leg (ddlgate as TLS server) and
 * the backend leg (ddlgate as TLS client), mode names, and error text.
 */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* TLS 1.2 suites: forward secret AEAD only.  TLS 1.3 uses OpenSSL's default
 * suites, which are all fine. */
#define TLS12_CIPHERS                                            \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"

static const unsigned char session_id_ctx[] = "ddlgate";

static const char *const mode_names[] = {
    [TLS_MODE_DISABLED] = "disabled",
    [TLS_MODE_PREFERRED] = "preferred",
    [TLS_MODE_REQUIRED] = "required",
    [TLS_MODE_VERIFY_CA] = "verify_ca",
    [TLS_MODE_VERIFY_IDENTITY] = "verify_identity",
};
#define NMODES (sizeof(mode_names) / sizeof(mode_names[0]))

const char *tls_mode_name(enum tls_mode mode)
{
    if ((unsigned)mode >= NMODES)
        return "?";
    return mode_names[mode];
}

bool tls_parse_mode(const char *s, enum tls_mode *out)
{
    char norm[32];
    size_t i;

    if (s == NULL)
        return false;
    for (i = 0; i < sizeof(norm) - 1 && s[i] != '\0'; i++)
        norm[i] = s[i] == '-' ? '_' : s[i];
    if (s[i] != '\0')
        return false;
    norm[i] = '\0';
    for (unsigned m = 0; m < NMODES; m++) {
        if (strcasecmp(norm, mode_names[m]) == 0) {
            *out = (enum tls_mode)m;
            return true;
        }
    }
    return false;
}

char *tls_last_error(char *buf, size_t len)
{
    size_t used = 0;
    unsigned long e;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    while ((e = ERR_get_error()) != 0) {
        char one[256];

        ERR_error_string_n(e, one, sizeof(one));
        if (used < len) {
            int n = snprintf(buf + used, len - used, "%s%s", used ? "; " : "", one);
            if (n > 0)
                used += (size_t)n;
        }
    }
    return buf;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* "what 'path': reason", the reason from errno or OpenSSL's error queue */
static void file_err(char *err, size_t errlen, const char *what, const char *path)
{
    char ossl[512];

    tls_last_error(ossl, sizeof(ossl));
    set_err(err, errlen, "%s '%s': %s", what, path, ossl[0] ? ossl : "invalid PEM data");
}

static bool readable(const char *what, const char *path, char *err, size_t errlen)
{
    if (access(path, R_OK) == 0)
        return true;
    set_err(err, errlen, "%s '%s': %s", what, path, strerror(errno));
    return false;
}

static bool empty(const char *s) { return s == NULL || s[0] == '\0'; }

/* Protocol floor, ciphers and options shared by both legs. */
static SSL_CTX *ctx_base(const SSL_METHOD *method, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(method);
    char ossl[512];

    if (ctx == NULL) {
        set_err(err, errlen, "SSL_CTX_new: %s", tls_last_error(ossl, sizeof(ossl)));
        return NULL;
    }
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS)) {
        set_err(err, errlen, "TLS setup: %s", tls_last_error(ossl, sizeof(ossl)));
        SSL_CTX_free(ctx);
        return NULL;
    }
    /* renegotiation only serves attacks here; TLS compression is CRIME */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    /* idle pooled connections give their 2x16 KiB record buffers back */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

static bool load_cert_key(SSL_CTX *ctx, const char *cert, const char *key, char *err, size_t errlen)
{
    char ossl[512];

    if (!readable("certificate", cert, err, errlen) || !readable("private key", key, err, errlen))
        return false;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        file_err(err, errlen, "cannot load certificate", cert);
        return false;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            set_err(err, errlen, "private key '%s' does not match certificate '%s'", key, cert);
            ERR_clear_error();
        } else {
            file_err(err, errlen, "cannot load private key", key);
        }
        return false;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        set_err(err, errlen, "private key '%s' does not match certificate '%s': %s", key, cert,
                tls_last_error(ossl, sizeof(ossl)));
        return false;
    }
    return true;
}

static bool load_ca(SSL_CTX *ctx, const char *ca, char *err, size_t errlen)
{
    if (!readable("CA file", ca, err, errlen))
        return false;
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        file_err(err, errlen, "cannot load CA file", ca);
        return false;
    }
    return true;
}

SSL_CTX *tls_server_ctx_new(const char *cert, const char *key, const char *ca, char *err,
                            size_t errlen)
{
    SSL_CTX *ctx;

    if (empty(cert) || empty(key)) {
        set_err(err, errlen, "TLS server needs both a certificate and a private key");
        return NULL;
    }
    ctx = ctx_base(TLS_server_method(), err, errlen);
    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_dh_auto(ctx, 1);
    /* required for session resumption once client certificates are verified */
    SSL_CTX_set_session_id_context(ctx, session_id_ctx, sizeof(session_id_ctx) - 1);
    if (!load_cert_key(ctx, cert, key, err, errlen))
        goto fail;
    if (!empty(ca)) {
        STACK_OF(X509_NAME) * names;

        if (!load_ca(ctx, ca, err, errlen))
            goto fail;
        names = SSL_load_client_CA_file(ca);
        if (names == NULL) {
            file_err(err, errlen, "no CA names in", ca);
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, names); /* ctx owns names now */
        /* ask for a client certificate and verify it if sent; not required */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *tls_client_ctx_new(enum tls_mode mode, const char *ca, const char *cert, const char *key,
                            char *err, size_t errlen)
{
    bool verify = mode == TLS_MODE_VERIFY_CA || mode == TLS_MODE_VERIFY_IDENTITY;
    SSL_CTX *ctx;
    char ossl[512];

    if ((unsigned)mode >= NMODES || mode == TLS_MODE_DISABLED) {
        set_err(err, errlen, "no TLS context for tls mode '%s'", tls_mode_name(mode));
        return NULL;
    }
    if (empty(cert) && !empty(key)) {
        set_err(err, errlen, "a client private key needs a client certificate");
        return NULL;
    }
    ctx = ctx_base(TLS_client_method(), err, errlen);
    if (ctx == NULL)
        return NULL;
    if (!empty(cert) && !load_cert_key(ctx, cert, empty(key) ? cert : key, err, errlen))
        goto fail;
    if (verify) {
        if (!empty(ca)) {
            if (!load_ca(ctx, ca, err, errlen))
                goto fail;
        } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
            set_err(err, errlen, "cannot load the system CA store: %s",
                    tls_last_error(ossl, sizeof(ossl)));
            goto fail;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

bool tls_client_ssl_setup(SSL *ssl, enum tls_mode mode, const char *host)
{
    char name[256];
    unsigned char addr[16];
    size_t n;
    bool is_ip;

    if (empty(host))
        return mode != TLS_MODE_VERIFY_IDENTITY;
    n = strlen(host);
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') { /* [v6] */
        host++;
        n -= 2;
    }
    if (n >= sizeof(name))
        return false;
    memcpy(name, host, n);
    name[n] = '\0';
    is_ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
    /* RFC 6066: SNI carries host names only */
    if (!is_ip && SSL_set_tlsext_host_name(ssl, name) != 1)
        return false;
    if (mode != TLS_MODE_VERIFY_IDENTITY)
        return true;
    if (is_ip)
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1;
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set1_host(ssl, name) == 1;
}

char *tls_describe(const SSL *ssl, char *buf, size_t len)
{
    const SSL_CIPHER *c;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (ssl == NULL)
        return buf;
    c = SSL_get_current_cipher(ssl);
    snprintf(buf, len, "%s %s", SSL_get_version(ssl),
             c != NULL ? SSL_CIPHER_get_name(c) : "(handshake)");
    return buf;
}

char *tls_bev_error(struct bufferevent *bev, char *buf, size_t len)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    size_t used = 0;
    unsigned long e;
    long vr;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    /* without VERIFY_PEER a bad chain is recorded but was not the failure */
    if (ssl != NULL && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) &&
        (vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
        int n =
            snprintf(buf, len, "certificate verify failed: %s", X509_verify_cert_error_string(vr));
        if (n > 0)
            used = (size_t)n;
    }
    while ((e = bufferevent_get_openssl_error(bev)) != 0) {
        char one[256];

        ERR_error_string_n(e, one, sizeof(one));
        if (used < len) {
            int n = snprintf(buf + used, len - used, "%s%s", used ? "; " : "", one);
            if (n > 0)
                used += (size_t)n;
        }
    }
    if (buf[0] == '\0')
        snprintf(buf, len, "connection closed during TLS");
    return buf;
}
