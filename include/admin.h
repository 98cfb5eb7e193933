/*
 * admin.h - the admin console: a second listener that speaks the MySQL
 * protocol itself (greeting, caching_sha2_password / mysql_native_password
 * check, COM_QUERY, COM_STMT_PREPARE/EXECUTE with binary result sets,
 * COM_STATISTICS, COM_CHANGE_USER ...), so admins use `mariadb -P<admin
 * port>` or any client library.  Commands are parsed by admin_cmd.c;
 * answers are real result sets.  Logins have a deadline
 * (ddlgate.handshake_timeout_ms), a refused one is answered late, and
 * [admin] max_connections caps the sockets (docs/admin.md).
 *
 * Runs on the main thread's event loop.  Data owned by workers (sessions)
 * is collected with worker_post() and answered when every worker replied.
 */
#ifndef DDLGATE_ADMIN_H
#define DDLGATE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h" /* enum admin_auth_plugin */

struct event_base;
struct pkt_writer;

bool admin_start(struct event_base *base, char *err, size_t errlen);
void admin_stop(void);

/* ---- authentication (the connection phase); pure functions, so unit tests
 * can replay packet transcripts without sockets.
 *
 * The greeting names [admin] auth_plugin, but a HandshakeResponse for either
 * plugin below is verified directly against the greeting's 20-byte nonce;
 * any other plugin gets an AuthSwitchRequest to the configured one.  ddlgate
 * holds the plaintext password, so caching_sha2_password always ends on its
 * fast path: AuthMoreData fast_auth_success (0x01 0x03), then OK. */

#define ADMIN_NONCE_LEN 20
#define ADMIN_NATIVE_TOKEN_LEN 20
#define ADMIN_SHA2_TOKEN_LEN 32

/* mysql_native_password: SHA1(pw) XOR SHA1(nonce || SHA1(SHA1(pw))). */
void admin_native_token(const char *password, const uint8_t scramble[20], uint8_t out[20]);
bool admin_native_check(const char *password, const uint8_t scramble[20], const uint8_t *token,
                        size_t token_len);
/* caching_sha2_password fast path:
 * SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) || nonce). */
void admin_sha2_token(const char *password, const uint8_t nonce[20], uint8_t out[32]);
bool admin_sha2_check(const char *password, const uint8_t nonce[20], const uint8_t *token,
                      size_t token_len);

/* The plugin's name on the wire (static string). */
const char *admin_auth_plugin_name(enum admin_auth_plugin p);
/* The plugin a HandshakeResponse names: name == NULL (CLIENT_PLUGIN_AUTH
 * off) is mysql_native_password.  False for any other plugin. */
bool admin_auth_plugin_from(const uint8_t *name, size_t len, enum admin_auth_plugin *p);
enum admin_auth_step {
    ADMIN_AUTH_VERIFY, /* check the response's token with *p */
    ADMIN_AUTH_SWITCH, /* send an AuthSwitchRequest naming *p, check its answer */
};
/* What to do with a HandshakeResponse naming plugin (NULL: none) with a
 * token of token_len bytes, after a greeting that named `greeted`:
 *  - either plugin with a token: verify it against the greeting's nonce;
 *  - the plugin the greeting did not name, with an empty token: switch to
 *    that plugin (libmariadb and libmysqlclient hold their data back when
 *    the greeting names another plugin and wait for a switch with a nonce);
 *  - any other plugin: switch to `greeted`. */
enum admin_auth_step admin_auth_first_step(const uint8_t *plugin, size_t plugin_len,
                                           size_t token_len, enum admin_auth_plugin greeted,
                                           enum admin_auth_plugin *p);
/* Is token the right answer of plugin p for password and nonce?  An empty
 * password never matches. */
bool admin_auth_check(enum admin_auth_plugin p, const char *password, const uint8_t nonce[20],
                      const uint8_t *token, size_t token_len);
/* The server's answer to a checked token, appended to w (numbered from its
 * next seq): accepted -> [AuthMoreData fast_auth_success for caching_sha2]
 * then OK; refused -> ERR DGE_ADMIN_AUTH. */
void admin_auth_write_answer(struct pkt_writer *w, enum admin_auth_plugin p, bool accepted);
/* AuthSwitchRequest: 0xfe, plugin name NUL, the 20-byte nonce, NUL. */
void admin_auth_write_switch(struct pkt_writer *w, enum admin_auth_plugin p,
                             const uint8_t nonce[20]);

/* Implemented in main.c: reload the configuration (RELOAD, SIGHUP). */
bool ddlgate_reload(char *err, size_t errlen);

#endif
