/*
 * admin.h - the admin console: a second listener that speaks the MySQL
 * protocol itself (greeting, mysql_native_password check, COM_QUERY), so
 * admins use `mariadb -P<admin port>` or any client library.  Commands are
 * parsed by admin_cmd.c; answers are real result sets.
 *
 * Runs on the main thread's event loop.  Data owned by workers (sessions)
 * is collected with worker_post() and answered when every worker replied.
 */
#ifndef DDLGATE_ADMIN_H
#define DDLGATE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

bool admin_start(struct event_base *base, char *err, size_t errlen);
void admin_stop(void);

/* mysql_native_password: the 20-byte token a client computes from the
 * password and the 20-byte scramble; exposed for tests. */
void admin_native_token(const char *password, const uint8_t scramble[20], uint8_t out[20]);
bool admin_native_check(const char *password, const uint8_t scramble[20], const uint8_t *token,
                        size_t token_len);

/* Implemented in main.c: reload the configuration (RELOAD, SIGHUP). */
bool ddlgate_reload(char *err, size_t errlen);

#endif
