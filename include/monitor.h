/*
 * monitor.h - ddlgate's own connection to the backend ([backend]
 * monitor_user / monitor_password), on its own thread with the blocking
 * client library: it reads table definitions for the classifier
 * (tablecache) and, for the DDL queue, what the server can show about
 * metadata locks held by sessions that do not go through ddlgate.
 */
#ifndef DDLGATE_MONITOR_H
#define DDLGATE_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

void monitor_start(void);
void monitor_stop(void);
/* wake the monitor thread now (a fetch request was queued) */
void monitor_kick(void);
/* describe the connection state for SHOW BACKEND */
void monitor_describe(char *buf, size_t len);

#endif
