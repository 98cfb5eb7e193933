/*
 * check_tls.c - real TLS handshakes over socketpairs between
 * tls_server_ctx_new() and tls_client_ctx_new() contexts, in every backend
 * mode, with certificates made here by the OpenSSL API (a CA, a server cert
 * with SAN IP:127.0.0.1 + DNS:localhost, client certs, and a wrong CA).
 */
#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls.h"

static char dir[64];

static const char *path(const char *name)
{
    static char bufs[8][256];
    static int k;
    char *b = bufs[k++ % 8];

    snprintf(b, 256, "%s/%s", dir, name);
    return b;
}

/* ---- fixtures: certificates ------------------------------------------------- */

static void add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);

    if (e == NULL || !X509_add_ext(x, e, -1))
        abort();
    X509_EXTENSION_free(e);
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *san, long serial)
{
    X509 *x = X509_new();
    X509_NAME *name;
    X509V3_CTX v3;

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    if (issuer == NULL) {
        add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, &v3, NID_basic_constraints, "CA:FALSE");
        add_ext(x, &v3, NID_key_usage, "critical,digitalSignature,keyEncipherment");
        add_ext(x, &v3, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    add_ext(x, &v3, NID_subject_key_identifier, "hash");
    if (san != NULL)
        add_ext(x, &v3, NID_subject_alt_name, san);
    if (!X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()))
        abort();
    return x;
}

static void write_pem(const char *name, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path(name), "w");

    if (f == NULL)
        abort();
    if (x != NULL)
        PEM_write_X509(f, x);
    if (k != NULL)
        PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
}

static void make_fixtures(void)
{
    EVP_PKEY *cak = EVP_EC_gen("P-256"), *wk = EVP_EC_gen("P-256"), *sk = EVP_EC_gen("P-256"),
             *ck = EVP_EC_gen("P-256"), *bk = EVP_EC_gen("P-256");
    X509 *ca, *wrong, *srv, *cli, *badcli;
    FILE *f;

    strcpy(dir, "/tmp/ddlgate-tls-XXXXXX");
    if (mkdtemp(dir) == NULL || !cak || !wk || !sk || !ck || !bk)
        abort();
    ca = make_cert("ddlgate test CA", cak, NULL, NULL, NULL, 1);
    wrong = make_cert("ddlgate wrong CA", wk, NULL, NULL, NULL, 2);
    srv = make_cert("db.test", sk, ca, cak, "IP:127.0.0.1,DNS:localhost", 3);
    cli = make_cert("app", ck, ca, cak, NULL, 4);
    badcli = make_cert("intruder", bk, wrong, wk, NULL, 5);
    write_pem("ca.pem", ca, NULL);
    write_pem("wrongca.pem", wrong, NULL);
    write_pem("server.pem", srv, NULL);
    write_pem("server.key", NULL, sk);
    write_pem("client.pem", cli, NULL);
    write_pem("client.key", NULL, ck);
    write_pem("client-combined.pem", cli, ck); /* cert and key in one file */
    write_pem("badclient.pem", badcli, NULL);
    write_pem("badclient.key", NULL, bk);
    f = fopen(path("garbage.pem"), "w");
    fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
    fclose(f);
    X509_free(ca);
    X509_free(wrong);
    X509_free(srv);
    X509_free(cli);
    X509_free(badcli);
    EVP_PKEY_free(cak);
    EVP_PKEY_free(wk);
    EVP_PKEY_free(sk);
    EVP_PKEY_free(ck);
    EVP_PKEY_free(bk);
}

static void remove_fixtures(void)
{
    static const char *const names[] = {
        "ca.pem",     "wrongca.pem",         "server.pem",    "server.key",    "client.pem",
        "client.key", "client-combined.pem", "badclient.pem", "badclient.key", "garbage.pem"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(path(names[i]));
    rmdir(dir);
}

/* ---- handshakes over a socketpair, both ends in this thread ----------------- */

struct pair {
    int fd[2];
    SSL *s, *c;
};

struct result {
    bool client_ok, server_ok;
    long verify;          /* client's verify result */
    bool server_got_cert; /* the client presented a certificate */
    char desc[128];
};

static void pair_open(struct pair *p, SSL_CTX *sctx, SSL_CTX *cctx, enum tls_mode mode,
                      const char *host)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd), 0);
    for (int i = 0; i < 2; i++)
        fcntl(p->fd[i], F_SETFL, fcntl(p->fd[i], F_GETFL) | O_NONBLOCK);
    p->s = SSL_new(sctx);
    p->c = SSL_new(cctx);
    ck_assert(p->s != NULL && p->c != NULL);
    SSL_set_fd(p->s, p->fd[0]);
    SSL_set_fd(p->c, p->fd[1]);
    SSL_set_accept_state(p->s);
    SSL_set_connect_state(p->c);
    ck_assert(tls_client_ssl_setup(p->c, mode, host));
}

static void pair_close(struct pair *p)
{
    SSL_free(p->s);
    SSL_free(p->c);
    close(p->fd[0]);
    close(p->fd[1]);
    ERR_clear_error();
}

/* 1 done, 0 again, -1 failed */
static int hs_step(SSL *ssl)
{
    int r = SSL_do_handshake(ssl), e;

    if (r == 1)
        return 1;
    e = SSL_get_error(ssl, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

/* write msg on `from`, read it on `to` (bounded retries) */
static bool send_recv(SSL *from, SSL *to, const char *msg)
{
    char buf[64];
    size_t n = strlen(msg);

    if (SSL_write(from, msg, (int)n) != (int)n)
        return false;
    for (int i = 0; i < 1000; i++) {
        int r = SSL_read(to, buf, sizeof(buf));
        if (r > 0)
            return (size_t)r == n && memcmp(buf, msg, n) == 0;
        int e = SSL_get_error(to, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            return false;
        /* the peer may have to process post-handshake messages first */
        char tmp[1];
        SSL_read(from, tmp, 0);
    }
    return false;
}

static struct result pair_run(struct pair *p)
{
    struct result r = {0};
    int ss = 0, cs = 0;

    for (int i = 0; i < 10000 && (ss == 0 || cs == 0) && ss >= 0 && cs >= 0; i++) {
        if (cs == 0)
            cs = hs_step(p->c);
        if (ss == 0)
            ss = hs_step(p->s);
    }
    r.client_ok = cs == 1;
    r.server_ok = ss == 1;
    /* application data both ways: TLS 1.3 rejects client certificates after
     * the client thinks it is done */
    if (r.client_ok && r.server_ok) {
        r.server_ok = send_recv(p->c, p->s, "ping");
        r.client_ok = r.server_ok && send_recv(p->s, p->c, "pong");
    }
    r.verify = SSL_get_verify_result(p->c);
    r.server_got_cert = SSL_get0_peer_certificate(p->s) != NULL;
    tls_describe(p->c, r.desc, sizeof(r.desc));
    return r;
}

static struct result handshake(SSL_CTX *sctx, SSL_CTX *cctx, enum tls_mode mode, const char *host)
{
    struct pair p;
    struct result r;

    pair_open(&p, sctx, cctx, mode, host);
    r = pair_run(&p);
    pair_close(&p);
    return r;
}

static SSL_CTX *server_ctx(const char *ca)
{
    char err[512] = "";
    SSL_CTX *c = tls_server_ctx_new(path("server.pem"), path("server.key"), ca, err, sizeof(err));

    ck_assert_msg(c != NULL, "server ctx: %s", err);
    return c;
}

static SSL_CTX *client_ctx(enum tls_mode mode, const char *ca, const char *cert, const char *key)
{
    char err[512] = "";
    SSL_CTX *c = tls_client_ctx_new(mode, ca, cert, key, err, sizeof(err));

    ck_assert_msg(c != NULL, "client ctx: %s", err);
    return c;
}

/* ---- tests -------------------------------------------------------------------- */

START_TEST(test_verify_ca)
{
    SSL_CTX *s = server_ctx(NULL);
    SSL_CTX *good = client_ctx(TLS_MODE_VERIFY_CA, path("ca.pem"), NULL, NULL);
    SSL_CTX *bad = client_ctx(TLS_MODE_VERIFY_CA, path("wrongca.pem"), NULL, NULL);
    struct result r;

    r = handshake(s, good, TLS_MODE_VERIFY_CA, "127.0.0.1");
    ck_assert(r.client_ok && r.server_ok);
    ck_assert_int_eq(r.verify, X509_V_OK);
    ck_assert_msg(strncmp(r.desc, "TLSv1.3 TLS_", 12) == 0, "desc '%s'", r.desc);
    /* verify_ca does not look at the name */
    r = handshake(s, good, TLS_MODE_VERIFY_CA, "10.9.8.7");
    ck_assert(r.client_ok && r.server_ok);
    r = handshake(s, bad, TLS_MODE_VERIFY_CA, "127.0.0.1");
    ck_assert(!r.client_ok && !r.server_ok);
    ck_assert_int_eq(r.verify, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    SSL_CTX_free(s);
    SSL_CTX_free(good);
    SSL_CTX_free(bad);
}
END_TEST

START_TEST(test_verify_identity)
{
    SSL_CTX *s = server_ctx(NULL);
    SSL_CTX *c = client_ctx(TLS_MODE_VERIFY_IDENTITY, path("ca.pem"), NULL, NULL);
    SSL_CTX *bad = client_ctx(TLS_MODE_VERIFY_IDENTITY, path("wrongca.pem"), NULL, NULL);
    struct result r;

    r = handshake(s, c, TLS_MODE_VERIFY_IDENTITY, "127.0.0.1");
    ck_assert(r.client_ok && r.server_ok);
    r = handshake(s, c, TLS_MODE_VERIFY_IDENTITY, "localhost");
    ck_assert(r.client_ok && r.server_ok);
    r = handshake(s, c, TLS_MODE_VERIFY_IDENTITY, "127.0.0.2");
    ck_assert(!r.client_ok);
    ck_assert_int_eq(r.verify, X509_V_ERR_IP_ADDRESS_MISMATCH);
    r = handshake(s, c, TLS_MODE_VERIFY_IDENTITY, "db.example.com");
    ck_assert(!r.client_ok);
    ck_assert_int_eq(r.verify, X509_V_ERR_HOSTNAME_MISMATCH);
    r = handshake(s, c, TLS_MODE_VERIFY_IDENTITY, "::1");
    ck_assert(!r.client_ok);
    ck_assert_int_eq(r.verify, X509_V_ERR_IP_ADDRESS_MISMATCH);
    r = handshake(s, bad, TLS_MODE_VERIFY_IDENTITY, "127.0.0.1");
    ck_assert(!r.client_ok);
    SSL_CTX_free(s);
    SSL_CTX_free(c);
    SSL_CTX_free(bad);
}
END_TEST

START_TEST(test_required_preferred)
{
    SSL_CTX *s = server_ctx(NULL);
    struct result r;

    for (enum tls_mode m = TLS_MODE_PREFERRED; m <= TLS_MODE_REQUIRED; m++) {
        SSL_CTX *c = client_ctx(m, NULL, NULL, NULL);
        SSL_CTX *cw = client_ctx(m, path("wrongca.pem"), NULL, NULL); /* CA ignored */

        r = handshake(s, c, m, "127.0.0.2");
        ck_assert(r.client_ok && r.server_ok);
        r = handshake(s, cw, m, "db.example.com");
        ck_assert(r.client_ok && r.server_ok);
        SSL_CTX_free(c);
        SSL_CTX_free(cw);
    }
    SSL_CTX_free(s);
}
END_TEST

START_TEST(test_client_certs)
{
    SSL_CTX *s = server_ctx(path("ca.pem"));
    SSL_CTX *none = client_ctx(TLS_MODE_VERIFY_CA, path("ca.pem"), NULL, NULL);
    SSL_CTX *good =
        client_ctx(TLS_MODE_VERIFY_CA, path("ca.pem"), path("client.pem"), path("client.key"));
    SSL_CTX *comb = client_ctx(TLS_MODE_REQUIRED, NULL, path("client-combined.pem"), NULL);
    SSL_CTX *bad = client_ctx(TLS_MODE_VERIFY_CA, path("ca.pem"), path("badclient.pem"),
                              path("badclient.key"));
    struct result r;

    r = handshake(s, none, TLS_MODE_VERIFY_CA, "127.0.0.1");
    ck_assert(r.client_ok && r.server_ok); /* asked for, not required */
    ck_assert(!r.server_got_cert);
    r = handshake(s, good, TLS_MODE_VERIFY_CA, "127.0.0.1");
    ck_assert(r.client_ok && r.server_ok);
    ck_assert(r.server_got_cert);
    r = handshake(s, comb, TLS_MODE_REQUIRED, "127.0.0.1");
    ck_assert(r.client_ok && r.server_ok);
    ck_assert(r.server_got_cert);
    r = handshake(s, bad, TLS_MODE_VERIFY_CA, "127.0.0.1");
    ck_assert(!r.server_ok); /* presented but not signed by our CA */
    SSL_CTX_free(s);
    SSL_CTX_free(none);
    SSL_CTX_free(good);
    SSL_CTX_free(comb);
    SSL_CTX_free(bad);
}
END_TEST

START_TEST(test_old_protocol_refused)
{
    SSL_CTX *s = server_ctx(NULL);
    SSL_CTX *old = SSL_CTX_new(TLS_client_method());
    struct result r;

    SSL_CTX_set_security_level(old, 0);
    SSL_CTX_set_min_proto_version(old, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(old, TLS1_1_VERSION);
    SSL_CTX_set_cipher_list(old, "ALL:@SECLEVEL=0");
    r = handshake(s, old, TLS_MODE_REQUIRED, "127.0.0.1");
    ck_assert(!r.client_ok && !r.server_ok);
    /* TLS 1.2 is still accepted */
    SSL_CTX_set_max_proto_version(old, TLS1_2_VERSION);
    r = handshake(s, old, TLS_MODE_REQUIRED, "127.0.0.1");
    ck_assert(r.client_ok && r.server_ok);
    ck_assert_msg(strncmp(r.desc, "TLSv1.2 ECDHE-", 14) == 0, "desc '%s'", r.desc);
    SSL_CTX_free(s);
    SSL_CTX_free(old);
}
END_TEST

/* SIGHUP: a new context replaces the old; connections made with the old one
 * keep working after the caller dropped its reference. */
START_TEST(test_reload_swap)
{
    SSL_CTX *cur = server_ctx(NULL), *next;
    SSL_CTX *c = client_ctx(TLS_MODE_VERIFY_IDENTITY, path("ca.pem"), NULL, NULL);
    char err[512] = "";
    struct pair p;
    struct result r;

    pair_open(&p, cur, c, TLS_MODE_VERIFY_IDENTITY, "127.0.0.1");
    r = pair_run(&p);
    ck_assert(r.client_ok && r.server_ok);
    /* a failed reload leaves the caller's context alone */
    ck_assert_ptr_null(
        tls_server_ctx_new(path("garbage.pem"), path("server.key"), NULL, err, sizeof(err)));
    next = tls_server_ctx_new(path("server.pem"), path("server.key"), path("ca.pem"), err,
                              sizeof(err));
    ck_assert_msg(next != NULL, "%s", err);
    SSL_CTX_free(cur);
    cur = next;
    ck_assert(send_recv(p.c, p.s, "still there"));
    ck_assert(send_recv(p.s, p.c, "yes"));
    pair_close(&p);
    r = handshake(cur, c, TLS_MODE_VERIFY_IDENTITY, "127.0.0.1");
    ck_assert(r.client_ok && r.server_ok);
    SSL_CTX_free(cur);
    SSL_CTX_free(c);
}
END_TEST

static void expect_ctx_error(SSL_CTX *ctx, const char *err, const char *needle)
{
    ck_assert_ptr_null(ctx);
    ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
}

START_TEST(test_errors)
{
    char err[512];

#define SRV(cert, key, ca) (err[0] = '\0', tls_server_ctx_new(cert, key, ca, err, sizeof(err)))
#define CLI(m, ca, cert, key) \
    (err[0] = '\0', tls_client_ctx_new(m, ca, cert, key, err, sizeof(err)))
    expect_ctx_error(SRV(path("nope.pem"), path("server.key"), NULL), err, "No such file");
    expect_ctx_error(SRV(path("nope.pem"), path("server.key"), NULL), err, "nope.pem");
    expect_ctx_error(SRV(path("server.pem"), path("nope.key"), NULL), err, "private key");
    expect_ctx_error(SRV(path("garbage.pem"), path("server.key"), NULL), err,
                     "cannot load certificate");
    expect_ctx_error(SRV(path("server.pem"), path("garbage.pem"), NULL), err,
                     "cannot load private key");
    expect_ctx_error(SRV(path("server.pem"), path("client.key"), NULL), err, "does not match");
    expect_ctx_error(SRV(path("server.pem"), path("server.key"), path("nope.pem")), err, "CA file");
    expect_ctx_error(SRV(path("server.pem"), path("server.key"), path("garbage.pem")), err,
                     "garbage.pem");
    expect_ctx_error(SRV("", path("server.key"), NULL), err, "certificate and a private key");
    expect_ctx_error(CLI(TLS_MODE_DISABLED, NULL, NULL, NULL), err, "disabled");
    expect_ctx_error(CLI(TLS_MODE_VERIFY_CA, path("nope.pem"), NULL, NULL), err, "No such file");
    expect_ctx_error(CLI(TLS_MODE_VERIFY_CA, path("garbage.pem"), NULL, NULL), err,
                     "cannot load CA");
    expect_ctx_error(CLI(TLS_MODE_REQUIRED, NULL, path("client.pem"), path("server.key")), err,
                     "does not match");
    expect_ctx_error(CLI(TLS_MODE_REQUIRED, NULL, path("client.pem"), NULL), err,
                     "cannot load private key");
    expect_ctx_error(CLI(TLS_MODE_REQUIRED, NULL, NULL, path("client.key")), err,
                     "needs a client certificate");
#undef SRV
#undef CLI
    ck_assert_int_eq(ERR_peek_error(), 0); /* queues are drained into the messages */
    /* verify_identity needs a host; the system store works for verify_ca */
    SSL_CTX *sys = client_ctx(TLS_MODE_VERIFY_IDENTITY, NULL, NULL, NULL);
    SSL *ssl = SSL_new(sys);
    ck_assert(!tls_client_ssl_setup(ssl, TLS_MODE_VERIFY_IDENTITY, ""));
    ck_assert(!tls_client_ssl_setup(ssl, TLS_MODE_VERIFY_IDENTITY, NULL));
    ck_assert(tls_client_ssl_setup(ssl, TLS_MODE_REQUIRED, NULL));
    ck_assert(tls_client_ssl_setup(ssl, TLS_MODE_VERIFY_IDENTITY, "[::1]"));
    ck_assert_ptr_null(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)); /* no SNI for IPs */
    SSL_free(ssl);
    ssl = SSL_new(sys);
    ck_assert(tls_client_ssl_setup(ssl, TLS_MODE_VERIFY_IDENTITY, "db.example.com"));
    ck_assert_str_eq(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), "db.example.com");
    SSL_free(ssl);
    SSL_CTX_free(sys);
}
END_TEST

START_TEST(test_mode_names)
{
    enum tls_mode m;
    char buf[64];

    for (int i = TLS_MODE_DISABLED; i <= TLS_MODE_VERIFY_IDENTITY; i++) {
        ck_assert(tls_parse_mode(tls_mode_name((enum tls_mode)i), &m));
        ck_assert_int_eq(m, i);
    }
    ck_assert(tls_parse_mode("VERIFY-IDENTITY", &m));
    ck_assert_int_eq(m, TLS_MODE_VERIFY_IDENTITY);
    ck_assert(tls_parse_mode("Required", &m));
    ck_assert_int_eq(m, TLS_MODE_REQUIRED);
    ck_assert(!tls_parse_mode("verify", &m));
    ck_assert(!tls_parse_mode("", &m));
    ck_assert(!tls_parse_mode(NULL, &m));
    ck_assert(!tls_parse_mode("verify_identity_but_much_longer_than_any_mode", &m));
    ck_assert_str_eq(tls_mode_name((enum tls_mode)42), "?");
    ck_assert_str_eq(tls_describe(NULL, buf, sizeof(buf)), "");
}
END_TEST

/* ---- the way the proxy uses it: bufferevent filters, SSLRequest first ---------- */

#define SSLREQ_LEN 36

struct bev_test {
    struct event_base *base;
    SSL_CTX *sctx;
    struct bufferevent *sraw, *stls, *ctls;
    bool pong;
    char cerr[512];
    char desc[128];
};

static void srv_tls_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (evbuffer_get_length(in) >= 4) {
        evbuffer_drain(in, 4);
        bufferevent_write(bev, "pong", 4);
    }
}

static void srv_tls_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what;
    (void)arg;
}

/* plain server leg: the SSLRequest, possibly with the ClientHello behind it */
static void srv_raw_read(struct bufferevent *bev, void *arg)
{
    struct bev_test *t = arg;

    if (evbuffer_get_length(bufferevent_get_input(bev)) < SSLREQ_LEN || t->stls != NULL)
        return;
    evbuffer_drain(bufferevent_get_input(bev), SSLREQ_LEN);
    t->stls = bufferevent_openssl_filter_new(t->base, bev, SSL_new(t->sctx),
                                             BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    ck_assert_ptr_nonnull(t->stls);
    bufferevent_openssl_set_allow_dirty_shutdown(t->stls, 1);
    bufferevent_setcb(t->stls, srv_tls_read, NULL, srv_tls_event, t);
    bufferevent_enable(t->stls, EV_READ | EV_WRITE);
}

static void cli_read(struct bufferevent *bev, void *arg)
{
    struct bev_test *t = arg;
    char buf[8];

    if (bufferevent_read(bev, buf, sizeof(buf)) == 4 && memcmp(buf, "pong", 4) == 0) {
        t->pong = true;
        tls_describe(bufferevent_openssl_get_ssl(bev), t->desc, sizeof(t->desc));
        event_base_loopbreak(t->base);
    }
}

static void cli_event(struct bufferevent *bev, short what, void *arg)
{
    struct bev_test *t = arg;

    if (what & BEV_EVENT_CONNECTED) {
        bufferevent_write(bev, "ping", 4);
    } else if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
        tls_bev_error(bev, t->cerr, sizeof(t->cerr));
        event_base_loopbreak(t->base);
    }
}

static void bev_session(const char *ca, struct bev_test *t)
{
    SSL_CTX *cctx = client_ctx(TLS_MODE_VERIFY_IDENTITY, ca, NULL, NULL);
    struct timeval limit = {5, 0};
    uint8_t sslreq[SSLREQ_LEN] = {32, 0, 0, 1};
    struct bufferevent *craw;
    SSL *ssl;
    int fd[2];

    memset(t, 0, sizeof(*t));
    t->base = event_base_new();
    t->sctx = server_ctx(NULL);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
    evutil_make_socket_nonblocking(fd[0]);
    evutil_make_socket_nonblocking(fd[1]);
    t->sraw = bufferevent_socket_new(t->base, fd[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(t->sraw, srv_raw_read, NULL, NULL, t);
    bufferevent_enable(t->sraw, EV_READ | EV_WRITE);
    craw = bufferevent_socket_new(t->base, fd[1], BEV_OPT_CLOSE_ON_FREE);
    /* the SSLRequest goes out plain, the ClientHello right behind it */
    bufferevent_write(craw, sslreq, sizeof(sslreq));
    ssl = SSL_new(cctx);
    ck_assert(tls_client_ssl_setup(ssl, TLS_MODE_VERIFY_IDENTITY, "127.0.0.1"));
    t->ctls = bufferevent_openssl_filter_new(t->base, craw, ssl, BUFFEREVENT_SSL_CONNECTING,
                                             BEV_OPT_CLOSE_ON_FREE);
    ck_assert_ptr_nonnull(t->ctls);
    bufferevent_openssl_set_allow_dirty_shutdown(t->ctls, 1);
    bufferevent_setcb(t->ctls, cli_read, NULL, cli_event, t);
    bufferevent_enable(t->ctls, EV_READ | EV_WRITE);
    event_base_loopexit(t->base, &limit);
    event_base_dispatch(t->base);
    bufferevent_free(t->ctls);
    if (t->stls != NULL)
        bufferevent_free(t->stls);
    else
        bufferevent_free(t->sraw);
    SSL_CTX_free(t->sctx);
    SSL_CTX_free(cctx);
    event_base_free(t->base);
}

START_TEST(test_bufferevent_filters)
{
    struct bev_test t;

    bev_session(path("ca.pem"), &t);
    ck_assert_msg(t.pong, "no pong: %s", t.cerr);
    ck_assert_msg(strncmp(t.desc, "TLSv1.3 TLS_", 12) == 0, "desc '%s'", t.desc);
    bev_session(path("wrongca.pem"), &t);
    ck_assert(!t.pong);
    ck_assert_msg(
        strstr(t.cerr, "certificate verify failed: unable to get local issuer certificate") != NULL,
        "error '%s'", t.cerr);
}
END_TEST

static Suite *tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("tls");

    tcase_add_test(tc, test_verify_ca);
    tcase_add_test(tc, test_verify_identity);
    tcase_add_test(tc, test_required_preferred);
    tcase_add_test(tc, test_client_certs);
    tcase_add_test(tc, test_old_protocol_refused);
    tcase_add_test(tc, test_reload_swap);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_mode_names);
    tcase_add_test(tc, test_bufferevent_filters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    make_fixtures();
    sr = srunner_create(tls_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_fixtures();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
