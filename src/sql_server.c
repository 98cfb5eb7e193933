/*
 * sql_server.c - backend identity from the handshake's server version
 * string or from lint's --server spec.
 */
#include "sql.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Newest release of each line known to ddlgate: "mysql-8.0" means this. */
static const struct {
    enum sql_flavour flavour;
    unsigned major, minor, newest_patch;
} sql_known_lines[] = {
    {SQL_FLAVOUR_MYSQL, 5, 6, 51},    {SQL_FLAVOUR_MYSQL, 5, 7, 44},
    {SQL_FLAVOUR_MYSQL, 8, 0, 43},    {SQL_FLAVOUR_MYSQL, 8, 4, 6},
    {SQL_FLAVOUR_MYSQL, 9, 4, 0},     {SQL_FLAVOUR_MARIADB, 10, 3, 39},
    {SQL_FLAVOUR_MARIADB, 10, 4, 34}, {SQL_FLAVOUR_MARIADB, 10, 5, 29},
    {SQL_FLAVOUR_MARIADB, 10, 6, 23}, {SQL_FLAVOUR_MARIADB, 10, 11, 14},
    {SQL_FLAVOUR_MARIADB, 11, 4, 8},  {SQL_FLAVOUR_MARIADB, 11, 8, 3},
};

/* Up to three dot-separated numbers at s; returns how many were read. */
static int sql_read_version(const char *s, unsigned v[3], const char **end)
{
    int n = 0;
    while (n < 3 && isdigit((unsigned char)*s)) {
        unsigned x = 0;
        int digits = 0;
        while (isdigit((unsigned char)*s) && digits < 6) {
            x = x * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        while (isdigit((unsigned char)*s))
            s++;
        v[n++] = x;
        if (*s != '.' || !isdigit((unsigned char)s[1]))
            break;
        s++;
    }
    if (end)
        *end = s;
    return n;
}

static unsigned sql_encode(unsigned major, unsigned minor, unsigned patch)
{
    if (minor > 99)
        minor = 99;
    if (patch > 99)
        patch = 99;
    return major * 10000 + minor * 100 + patch;
}

static bool sql_contains_icase(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return true;
    return false;
}

bool sql_server_from_greeting(const char *vs, struct sql_server *out)
{
    memset(out, 0, sizeof(*out));
    if (!vs)
        return false;
    out->flavour = sql_contains_icase(vs, "mariadb") ? SQL_FLAVOUR_MARIADB : SQL_FLAVOUR_MYSQL;
    out->wsrep = sql_contains_icase(vs, "wsrep") || sql_contains_icase(vs, "galera") ||
                 sql_contains_icase(vs, "xtradb cluster");
    const char *s = vs;
    /* MariaDB < 11 prefixes "5.5.5-" for old replication clients */
    if (strncmp(s, "5.5.5-", 6) == 0 && isdigit((unsigned char)s[6]))
        s += 6;
    while (*s && !isdigit((unsigned char)*s))
        s++;
    unsigned v[3] = {0, 0, 0};
    int n = sql_read_version(s, v, NULL);
    if (n == 0)
        return false;
    out->version = sql_encode(v[0], v[1], v[2]);
    return true;
}

bool sql_server_from_spec(const char *spec, struct sql_server *out)
{
    memset(out, 0, sizeof(*out));
    if (!spec)
        return false;
    const char *s = spec;
    if (strncasecmp(s, "mysql", 5) == 0) {
        out->flavour = SQL_FLAVOUR_MYSQL;
        s += 5;
    } else if (strncasecmp(s, "mariadb", 7) == 0) {
        out->flavour = SQL_FLAVOUR_MARIADB;
        s += 7;
    } else {
        return false;
    }
    if (*s == '-' || *s == ':' || *s == ' ')
        s++;
    unsigned v[3] = {0, 0, 0};
    const char *end;
    int n = sql_read_version(s, v, &end);
    if (n == 0 || *end != '\0')
        return false;
    if (n == 3) {
        out->version = sql_encode(v[0], v[1], v[2]);
        return true;
    }
    /* fewer parts: the newest known release of that line */
    bool found = false;
    unsigned best = 0;
    for (size_t k = 0; k < sizeof(sql_known_lines) / sizeof(sql_known_lines[0]); k++) {
        if (sql_known_lines[k].flavour != out->flavour || sql_known_lines[k].major != v[0])
            continue;
        if (n == 2 && sql_known_lines[k].minor != v[1])
            continue;
        unsigned enc = sql_encode(v[0], sql_known_lines[k].minor, sql_known_lines[k].newest_patch);
        if (enc > best)
            best = enc;
        found = true;
    }
    out->version = found ? best : sql_encode(v[0], n == 2 ? v[1] : 99, 99);
    return true;
}
