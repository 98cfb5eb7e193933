/*
 * admin_auth.c - the admin console's password checks and login packets
 * (see admin.h): mysql_native_password and caching_sha2_password tokens,
 * which plugin a client's answer asks for, the AuthSwitchRequest and
 * AuthMoreData packets, and the COM_CHANGE_USER payload.  Pure functions:
 * the connection state machine that uses them is in admin.c.
 */
#include "admin.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#include "errors.h"
#include "handshake.h"
#include "pkt.h"

/* ---- mysql_native_password ------------------------------------------------ */

void admin_native_token(const char *password, const uint8_t scramble[20], uint8_t out[20])
{
    uint8_t stage1[SHA_DIGEST_LENGTH], stage2[SHA_DIGEST_LENGTH], mix[40], h[SHA_DIGEST_LENGTH];

    SHA1((const unsigned char *)password, strlen(password), stage1);
    SHA1(stage1, sizeof(stage1), stage2);
    memcpy(mix, scramble, 20);
    memcpy(mix + 20, stage2, 20);
    SHA1(mix, sizeof(mix), h);
    for (int i = 0; i < 20; i++)
        out[i] = stage1[i] ^ h[i];
}

bool admin_native_check(const char *password, const uint8_t scramble[20], const uint8_t *token,
                        size_t token_len)
{
    uint8_t want[20];

    if (token_len != ADMIN_NATIVE_TOKEN_LEN || !password[0])
        return false;
    admin_native_token(password, scramble, want);
    return CRYPTO_memcmp(want, token, ADMIN_NATIVE_TOKEN_LEN) == 0;
}

/* ---- caching_sha2_password ------------------------------------------------ */

void admin_sha2_token(const char *password, const uint8_t nonce[20], uint8_t out[32])
{
    uint8_t stage1[SHA256_DIGEST_LENGTH], stage2[SHA256_DIGEST_LENGTH], mix[32 + 20];
    uint8_t h[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)password, strlen(password), stage1);
    SHA256(stage1, sizeof(stage1), stage2);
    /* native's order reversed: the double hash first, then the nonce */
    memcpy(mix, stage2, 32);
    memcpy(mix + 32, nonce, 20);
    SHA256(mix, sizeof(mix), h);
    for (int i = 0; i < 32; i++)
        out[i] = stage1[i] ^ h[i];
    OPENSSL_cleanse(stage1, sizeof(stage1));
    OPENSSL_cleanse(stage2, sizeof(stage2));
}

bool admin_sha2_check(const char *password, const uint8_t nonce[20], const uint8_t *token,
                      size_t token_len)
{
    uint8_t want[ADMIN_SHA2_TOKEN_LEN];

    if (token_len != ADMIN_SHA2_TOKEN_LEN || !password[0])
        return false;
    admin_sha2_token(password, nonce, want);
    bool ok = CRYPTO_memcmp(want, token, sizeof(want)) == 0;
    OPENSSL_cleanse(want, sizeof(want));
    return ok;
}

/* ---- authentication exchange (see admin.h) ---------------------------------
 * Only the fast path of caching_sha2_password is built.  Its full path
 * (perform_full_authentication 0x04, then the cleartext password over TLS or
 * RSA-encrypted) exists for servers that keep only a salted hash and have no
 * cached entry for the account.  ddlgate has the plaintext password, so it
 * can always check the scramble itself: a wrong scramble is a wrong password. */

static const char *const adm_plugin_names[] = {
    [ADMIN_AUTH_CACHING_SHA2] = "caching_sha2_password",
    [ADMIN_AUTH_NATIVE] = "mysql_native_password",
};
#define ADM_NPLUGINS (sizeof(adm_plugin_names) / sizeof(adm_plugin_names[0]))

const char *admin_auth_plugin_name(enum admin_auth_plugin p)
{
    return (unsigned)p < ADM_NPLUGINS ? adm_plugin_names[p] : "?";
}

bool admin_auth_plugin_from(const uint8_t *name, size_t len, enum admin_auth_plugin *p)
{
    if (!name) { /* no CLIENT_PLUGIN_AUTH: a 4.1 client speaks native */
        *p = ADMIN_AUTH_NATIVE;
        return true;
    }
    for (size_t i = 0; i < ADM_NPLUGINS; i++) {
        if (strlen(adm_plugin_names[i]) == len && memcmp(adm_plugin_names[i], name, len) == 0) {
            *p = (enum admin_auth_plugin)i;
            return true;
        }
    }
    return false;
}

enum admin_auth_step admin_auth_first_step(const uint8_t *plugin, size_t plugin_len,
                                           size_t token_len, enum admin_auth_plugin greeted,
                                           enum admin_auth_plugin *p)
{
    if (!admin_auth_plugin_from(plugin, plugin_len, p)) {
        *p = greeted;
        return ADMIN_AUTH_SWITCH;
    }
    if (plugin && *p != greeted && token_len == 0)
        return ADMIN_AUTH_SWITCH; /* the client waits for its plugin's nonce */
    return ADMIN_AUTH_VERIFY;
}

bool admin_auth_check(enum admin_auth_plugin p, const char *password, const uint8_t nonce[20],
                      const uint8_t *token, size_t token_len)
{
    switch (p) {
    case ADMIN_AUTH_CACHING_SHA2:
        return admin_sha2_check(password, nonce, token, token_len);
    case ADMIN_AUTH_NATIVE:
        return admin_native_check(password, nonce, token, token_len);
    }
    return false;
}

void admin_auth_write_answer(struct pkt_writer *w, enum admin_auth_plugin p, bool accepted)
{
    if (!accepted) {
        pkt_w_err(w, DGE_ADMIN_AUTH, dg_error_sqlstate(DGE_ADMIN_AUTH),
                  "Access denied for the ddlgate admin console");
        return;
    }
    if (p == ADMIN_AUTH_CACHING_SHA2) {
        pkt_w_begin(w); /* AuthMoreData: fast_auth_success */
        pkt_w_u8(w, 0x01);
        pkt_w_u8(w, 0x03);
        pkt_w_end(w);
    }
    pkt_w_ok(w, 0, 0, SERVER_STATUS_AUTOCOMMIT, 0, NULL);
}

void admin_auth_write_switch(struct pkt_writer *w, enum admin_auth_plugin p,
                             const uint8_t nonce[20])
{
    pkt_w_begin(w);
    pkt_w_u8(w, 0xfe);
    pkt_w_nulstr(w, admin_auth_plugin_name(p));
    pkt_w_bytes(w, nonce, ADMIN_NONCE_LEN);
    pkt_w_u8(w, 0);
    pkt_w_end(w);
}
