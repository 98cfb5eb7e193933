/* log.c - leveled logging to stderr (see log.h). */
#include "log.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int log_level_current = LOG_INFO;

static const char *const level_names[] = {
    [LOG_ERROR] = "error", [LOG_WARN] = "warn",   [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug", [LOG_TRACE] = "trace",
};

void log_set_level(enum log_level l) { log_level_current = (int)l; }

const char *log_level_name(enum log_level l) { return (l <= LOG_TRACE) ? level_names[l] : "?"; }

bool log_parse_level(const char *s, enum log_level *out)
{
    for (int i = 0; i <= LOG_TRACE; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = LOG_WARN;
        return true;
    }
    return false;
}

void log_vwrite(enum log_level l, const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    struct timeval tv;
    struct tm tm;
    size_t n;

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03d [%d] %s ", (int)(tv.tv_usec / 1000),
                          (int)getpid(), level_names[l <= LOG_TRACE ? l : LOG_TRACE]);
    if (prefix && n < sizeof(line))
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s: ", prefix);
    if (n < sizeof(line))
        n += (size_t)vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    /* one event, one line: statements quoted in messages keep their
     * newlines out of the log */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    /* one write() per line keeps lines from several threads whole */
    if (write(STDERR_FILENO, line, n) < 0) {
        /* nowhere left to report it */
    }
}

void log_write(enum log_level l, const char *prefix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(l, prefix, fmt, ap);
    va_end(ap);
}

void log_hexdump(enum log_level l, const char *prefix, const void *data, size_t len)
{
    const unsigned char *p = data;
    char line[100];

    if (!log_enabled(l))
        return;
    if (len > 256)
        len = 256; /* enough to see what went wrong, bounded */
    for (size_t off = 0; off < len; off += 16) {
        size_t n = 0;
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%04zx ", off);
        for (size_t i = 0; i < 16; i++) {
            if (off + i < len)
                n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x ", p[off + i]);
            else
                n += (size_t)snprintf(line + n, sizeof(line) - n, "   ");
        }
        for (size_t i = 0; i < 16 && off + i < len; i++)
            line[n++] = isprint(p[off + i]) ? (char)p[off + i] : '.';
        line[n] = '\0';
        log_write(l, prefix, "%s", line);
    }
}
