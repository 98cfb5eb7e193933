/*
 * log.h - leveled logging to stderr.  The level is checked before the
 * arguments are formatted (a disabled debug line costs one compare).
 * Lines look like: 2026-11-25 18:00:00.123 [1234] INFO C-42 app@127.0.0.1: msg
 */
#ifndef DDLGATE_LOG_H
#define DDLGATE_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "conf.h"

#if defined(__GNUC__)
#define DG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define DG_MUSTCHECK __attribute__((warn_unused_result))
#define DG_UNUSED __attribute__((unused))
#else
#define DG_PRINTF(a, b)
#define DG_MUSTCHECK
#define DG_UNUSED
#endif

extern int log_level_current; /* enum log_level; written at start/reload only */

void log_set_level(enum log_level l);
bool log_parse_level(const char *s, enum log_level *out);
const char *log_level_name(enum log_level l);
void log_write(enum log_level l, const char *prefix, const char *fmt, ...) DG_PRINTF(3, 4);
void log_vwrite(enum log_level l, const char *prefix, const char *fmt, va_list ap);
/* hex dump of a bad packet at DEBUG level */
void log_hexdump(enum log_level l, const char *prefix, const void *data, size_t len);

#define log_enabled(l) ((int)(l) <= log_level_current)
#define log_error(...)                               \
    do {                                             \
        if (log_enabled(LOG_ERROR))                  \
            log_write(LOG_ERROR, NULL, __VA_ARGS__); \
    } while (0)
#define log_warn(...)                               \
    do {                                            \
        if (log_enabled(LOG_WARN))                  \
            log_write(LOG_WARN, NULL, __VA_ARGS__); \
    } while (0)
#define log_info(...)                               \
    do {                                            \
        if (log_enabled(LOG_INFO))                  \
            log_write(LOG_INFO, NULL, __VA_ARGS__); \
    } while (0)
#define log_debug(...)                               \
    do {                                             \
        if (log_enabled(LOG_DEBUG))                  \
            log_write(LOG_DEBUG, NULL, __VA_ARGS__); \
    } while (0)
#define log_trace(...)                               \
    do {                                             \
        if (log_enabled(LOG_TRACE))                  \
            log_write(LOG_TRACE, NULL, __VA_ARGS__); \
    } while (0)

#endif
