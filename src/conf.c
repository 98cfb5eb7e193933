/*
 * conf.c - ddlgate's configuration (see conf.h).
 *
 * Every setting is one row of conf_keys[]: section, key, type, where it lives
 * in struct conf, its default, its bounds and whether a RELOAD can change it.
 * Defaults, the ini file, --set and SHOW CONFIG all go through that table,
 * so a new setting is one new row.  [rules] is the one section that is not
 * a fixed key list: its keys are rule ids (rules_parse_id).
 *
 * inih does the ini syntax.  We feed it through our own line reader so that
 * we know the line number of every key (the packaged inih is built without
 * INI_HANDLER_LINENO), can report unknown sections that hold no keys, and can
 * refuse overlong lines instead of letting inih split them silently.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "log.h"

enum conf_type {
    CT_STRING,   /* char[size] */
    CT_INT,      /* int, min..max */
    CT_U64,      /* uint64_t count, min..max */
    CT_SIZE,     /* size_t or uint64_t bytes; K/M/G/T suffixes (1024) */
    CT_BOOL,     /* bool */
    CT_ENUM,     /* an enum stored as int; names[] indexed by value */
    CT_CHOICE,   /* char[size] restricted to names[] */
    CT_HOSTPORT, /* HOST:PORT into a char[size] host and an int port at off2 */
    CT_LISTEN,   /* CT_HOSTPORT, or "" / "off" to disable (host "" and port 0) */
    CT_PORT,     /* int 1..65535 */
    CT_SECRET,   /* char[size]; env:NAME, file:/path or literal; never shown */
};

struct conf_key {
    const char *section;
    const char *key;
    enum conf_type type;
    size_t off;               /* offsetof(struct conf, field) */
    size_t size;              /* sizeof the field */
    size_t off2;              /* CT_HOSTPORT/CT_LISTEN: the port field */
    const char *def;          /* default, parsed by the same setter */
    int64_t min, max;         /* CT_INT/CT_U64/CT_SIZE bounds */
    const char *const *names; /* CT_ENUM/CT_CHOICE */
    bool reloadable;          /* a RELOAD applies it without a restart */
};

static const char *const tls_names[] = {"disabled",  "preferred",       "required",
                                        "verify_ca", "verify_identity", NULL};
static const char *const bcomp_names[] = {"off", "zlib", "zstd", "auto", NULL};
static const char *const level_names[] = {"error", "warn", "info", "debug", "trace", NULL};
static const char *const policy_names[] = {"reject", "pass", NULL};
/* indexed by enum admin_auth_plugin */
static const char *const auth_plugin_names[] = {"caching_sha2_password", "mysql_native_password",
                                                NULL};

#define F(field) offsetof(struct conf, field), sizeof(((struct conf *)0)->field)
#define GIB (1024ull * 1024 * 1024)

/* clang-format off */
static const struct conf_key conf_keys[] = {
    {"ddlgate", "listen", CT_HOSTPORT, F(listen_host), offsetof(struct conf, listen_port), "127.0.0.1:4406", 0, 0, NULL, false},
    {"ddlgate", "workers", CT_INT, F(workers), 0, "0", 0, 256, NULL, false},
    {"ddlgate", "log_level", CT_ENUM, F(log_level), 0, "info", 0, 0, level_names, true},
    {"ddlgate", "state_file", CT_STRING, F(state_file), 0, "", 0, 0, NULL, false},
    {"ddlgate", "max_clients", CT_INT, F(max_clients), 0, "10000", 1, 1000000, NULL, true},
    {"ddlgate", "handshake_timeout_ms", CT_INT, F(handshake_timeout_ms), 0, "10000", 100, 3600000, NULL, true},
    {"ddlgate", "drain_timeout_ms", CT_INT, F(drain_timeout_ms), 0, "30000", 0, 86400000, NULL, true},
    {"ddlgate", "idle_timeout_s", CT_INT, F(idle_timeout_s), 0, "0", 0, 31536000, NULL, true},
    {"ddlgate", "max_packet_size", CT_SIZE, F(max_packet_size), 0, "64M", 1024, (int64_t)GIB, NULL, true},
    {"ddlgate", "unparsed_ddl_policy", CT_CHOICE, F(unparsed_ddl_policy), 0, "reject", 0, 0, policy_names, true},
    {"ddlgate", "approval_minutes", CT_INT, F(approval_minutes), 0, "30", 1, 527040, NULL, true},
    {"ddlgate", "approval_once", CT_BOOL, F(approval_once), 0, "true", 0, 0, NULL, true},

    {"backend", "host", CT_STRING, F(backend_host), 0, "127.0.0.1", 0, 0, NULL, true},
    {"backend", "port", CT_PORT, F(backend_port), 0, "3306", 1, 65535, NULL, true},
    {"backend", "connect_timeout_ms", CT_INT, F(connect_timeout_ms), 0, "5000", 1, 600000, NULL, true},
    {"backend", "tls", CT_ENUM, F(backend_tls), 0, "preferred", 0, 0, tls_names, true},
    {"backend", "compression", CT_ENUM, F(backend_compression), 0, "off", 0, 0, bcomp_names, true},
    {"backend", "tls_ca", CT_STRING, F(backend_tls_ca), 0, "", 0, 0, NULL, true},
    {"backend", "tls_cert", CT_STRING, F(backend_tls_cert), 0, "", 0, 0, NULL, true},
    {"backend", "tls_key", CT_STRING, F(backend_tls_key), 0, "", 0, 0, NULL, true},
    {"backend", "monitor_user", CT_STRING, F(monitor_user), 0, "", 0, 0, NULL, true},
    {"backend", "monitor_password", CT_SECRET, F(monitor_password), 0, "", 0, 0, NULL, true},
    {"backend", "monitor_interval_ms", CT_INT, F(monitor_interval_ms), 0, "1000", 50, 3600000, NULL, true},

    {"client_tls", "cert", CT_STRING, F(client_tls_cert), 0, "", 0, 0, NULL, true},
    {"client_tls", "key", CT_STRING, F(client_tls_key), 0, "", 0, 0, NULL, true},
    {"client_tls", "ca", CT_STRING, F(client_tls_ca), 0, "", 0, 0, NULL, true},
    {"client_tls", "require", CT_BOOL, F(require_client_tls), 0, "false", 0, 0, NULL, true},

    {"admin", "listen", CT_LISTEN, F(admin_host), offsetof(struct conf, admin_port), "127.0.0.1:4407", 0, 0, NULL, false},
    {"admin", "user", CT_STRING, F(admin_user), 0, "admin", 0, 0, NULL, true},
    {"admin", "password", CT_SECRET, F(admin_password), 0, "", 0, 0, NULL, true},
    {"admin", "auth_plugin", CT_ENUM, F(admin_auth_plugin), 0, "caching_sha2_password", 0, 0, auth_plugin_names, true},
    {"admin", "max_connections", CT_INT, F(admin_max_connections), 0, "32", 1, 10000, NULL, true},

    {"limits", "table_size_limit", CT_SIZE, F(table_size_limit), 0, "10G", 0, INT64_MAX, NULL, true},
    {"limits", "large_table_rows", CT_U64, F(large_table_rows), 0, "1000000", 0, INT64_MAX, NULL, true},
    {"limits", "lock_wait_timeout_s", CT_INT, F(lock_wait_timeout_s), 0, "2", 1, 31536000, NULL, true},
    {"limits", "ddl_queue_deadline_s", CT_INT, F(ddl_queue_deadline_s), 0, "300", 1, 604800, NULL, true},
    {"limits", "max_concurrent_ddl", CT_INT, F(max_concurrent_ddl), 0, "1", 1, 1024, NULL, true},
    {"limits", "kill_idle_blockers", CT_BOOL, F(kill_idle_blockers), 0, "false", 0, 0, NULL, true},
    {"limits", "kill_idle_after_s", CT_INT, F(kill_idle_after_s), 0, "60", 1, 604800, NULL, true},
    {"limits", "kill_wait_s", CT_INT, F(kill_wait_s), 0, "30", 0, 604800, NULL, true},
    {"limits", "long_transaction_s", CT_INT, F(long_transaction_s), 0, "30", 1, 31536000, NULL, true},
    {"limits", "ddl_fence_max_ms", CT_INT, F(ddl_fence_max_ms), 0, "2000", 0, 3600000, NULL, true},
};
/* clang-format on */

#define NKEYS ((int)(sizeof(conf_keys) / sizeof(conf_keys[0])))

/* [backend] address = HOST:PORT is an alias writing host and port */
static const struct conf_key backend_address = {"backend",
                                                "address",
                                                CT_HOSTPORT,
                                                F(backend_host),
                                                offsetof(struct conf, backend_port),
                                                NULL,
                                                0,
                                                0,
                                                NULL,
                                                true};

_Static_assert(sizeof(enum tls_mode) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum admin_auth_plugin) == sizeof(int), "enums are stored as int");

static const char *const conf_sections[] = {"ddlgate", "backend", "client_tls", "admin",
                                            "limits",  "rules",   NULL};

static void fmt(char *err, size_t errlen, const char *f, ...) DG_PRINTF(3, 4);
static void fmt(char *err, size_t errlen, const char *f, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, f);
    vsnprintf(err, errlen, f, ap);
    va_end(ap);
}

/* ---- value parsers ------------------------------------------------------ */

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (!(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_size(const char *s, uint64_t *out)
{
    char num[32];
    size_t n = strlen(s), digits = 0;
    uint64_t v, mult = 1;

    while (digits < n && isdigit((unsigned char)s[digits]))
        digits++;
    if (digits == 0 || digits >= sizeof(num))
        return false;
    memcpy(num, s, digits);
    num[digits] = '\0';
    if (!parse_u64(num, &v))
        return false;
    s += digits;
    if (*s) {
        switch (toupper((unsigned char)*s)) {
        case 'K':
            mult = 1024ull;
            break;
        case 'M':
            mult = 1024ull * 1024;
            break;
        case 'G':
            mult = GIB;
            break;
        case 'T':
            mult = GIB * 1024;
            break;
        default:
            return false;
        }
        s++;
        if (toupper((unsigned char)*s) == 'B') /* "10GB" reads naturally too */
            s++;
        if (*s)
            return false;
    }
    if (v > UINT64_MAX / mult)
        return false;
    *out = v * mult;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static int name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcasecmp(names[i], s) == 0)
            return i;
    return -1;
}

static void names_joined(const char *const *names, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; names[i] && n < len; i++)
        n += (size_t)snprintf(out + n, len - n, "%s%s", i ? "|" : "", names[i]);
}

static bool copy_str(char *dst, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size)
        return false;
    memcpy(dst, s, n + 1);
    return true;
}

bool conf_parse_hostport(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon, *hs = s;
    size_t hl;
    int64_t p;

    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':')
            return false;
        hs = s + 1;
        hl = (size_t)(rb - hs);
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return false; /* bare IPv6 must be bracketed */
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostlen)
        return false;
    for (size_t i = 0; i < hl; i++)
        if (isspace((unsigned char)hs[i]) || hs[i] == '[' || hs[i] == ']' || hs[i] == '/')
            return false;
    if (!parse_i64(colon + 1, &p) || p < 1 || p > 65535)
        return false;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    *port = (int)p;
    return true;
}

bool conf_resolve_secret(const char *spec, char *out, size_t outlen, char *err, size_t errlen)
{
    if (strncmp(spec, "env:", 4) == 0) {
        const char *v = getenv(spec + 4);
        if (spec[4] == '\0') {
            fmt(err, errlen, "env: needs a variable name (env:NAME)");
            return false;
        }
        if (!v) {
            fmt(err, errlen, "environment variable %s is not set", spec + 4);
            return false;
        }
        if (!copy_str(out, outlen, v)) {
            fmt(err, errlen, "environment variable %s is too long (max %zu bytes)", spec + 4,
                outlen - 1);
            return false;
        }
        return true;
    }
    if (strncmp(spec, "file:", 5) == 0) {
        FILE *f = fopen(spec + 5, "r");
        size_t n;
        int ch;

        struct stat st;

        if (!f) {
            fmt(err, errlen, "cannot read secret file %s: %s", spec + 5, strerror(errno));
            return false;
        }
        /* a FIFO or a terminal would block the reload; a directory reads as EOF */
        if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
            fclose(f);
            fmt(err, errlen, "secret file %s is not a regular file", spec + 5);
            return false;
        }
        /* the first line only, without its line ending */
        for (n = 0; (ch = fgetc(f)) != EOF && ch != '\n';) {
            if (n + 1 >= outlen) {
                fclose(f);
                out[0] = '\0';
                fmt(err, errlen, "secret file %s: first line too long (max %zu bytes)", spec + 5,
                    outlen - 1);
                return false;
            }
            out[n++] = (char)ch;
        }
        fclose(f);
        if (n > 0 && out[n - 1] == '\r')
            n--;
        out[n] = '\0';
        return true;
    }
    if (!copy_str(out, outlen, spec)) {
        fmt(err, errlen, "too long (max %zu bytes)", outlen - 1);
        return false;
    }
    return true;
}

/* ---- the table-driven setter -------------------------------------------- */

/* Store value into the field k describes.  On failure writes what was
 * expected (or, for secrets, what went wrong) into why. */
static bool key_set(struct conf *c, const struct conf_key *k, const char *v, char *why, size_t wlen)
{
    char *base = (char *)c;
    void *field = base + k->off;
    char names[128];
    int64_t i64;
    uint64_t u64;
    int idx;

    switch (k->type) {
    case CT_STRING:
        if (copy_str(field, k->size, v))
            return true;
        fmt(why, wlen, "expected at most %zu bytes", k->size - 1);
        return false;
    case CT_INT:
    case CT_PORT:
        if (parse_i64(v, &i64) && i64 >= k->min && i64 <= k->max) {
            *(int *)field = (int)i64;
            return true;
        }
        fmt(why, wlen, "expected an integer %" PRId64 "..%" PRId64, k->min, k->max);
        return false;
    case CT_U64:
        if (parse_u64(v, &u64) && u64 >= (uint64_t)k->min && u64 <= (uint64_t)k->max) {
            *(uint64_t *)field = u64;
            return true;
        }
        fmt(why, wlen, "expected an integer %" PRId64 "..%" PRId64, k->min, k->max);
        return false;
    case CT_SIZE:
        if (parse_size(v, &u64) && u64 >= (uint64_t)k->min && u64 <= (uint64_t)k->max) {
            if (k->size == sizeof(uint64_t))
                *(uint64_t *)field = u64;
            else
                *(size_t *)field = (size_t)u64;
            return true;
        }
        fmt(why, wlen,
            "expected a size in bytes with an optional K/M/G/T suffix, %" PRId64 "..%" PRId64,
            k->min, k->max);
        return false;
    case CT_BOOL:
        if (parse_bool(v, (bool *)field))
            return true;
        fmt(why, wlen, "expected true|false (also yes|no, on|off, 1|0)");
        return false;
    case CT_ENUM:
    case CT_CHOICE:
        idx = name_index(k->names, v);
        if (idx >= 0) {
            if (k->type == CT_ENUM)
                *(int *)field = idx;
            else
                copy_str(field, k->size, k->names[idx]);
            return true;
        }
        names_joined(k->names, names, sizeof(names));
        fmt(why, wlen, "expected one of %s", names);
        return false;
    case CT_LISTEN:
        if (v[0] == '\0' || strcasecmp(v, "off") == 0) {
            ((char *)field)[0] = '\0';
            *(int *)(base + k->off2) = 0;
            return true;
        }
        /* fall through */
    case CT_HOSTPORT:
        if (conf_parse_hostport(v, field, k->size, (int *)(base + k->off2)))
            return true;
        fmt(why, wlen, "expected HOST:PORT (IPv6 as [ADDR]:PORT, port 1..65535)%s",
            k->type == CT_LISTEN ? " or off" : "");
        return false;
    case CT_SECRET:
        return conf_resolve_secret(v, field, k->size, why, wlen);
    }
    return false;
}

static bool section_known(const char *s)
{
    for (int i = 0; conf_sections[i]; i++)
        if (strcasecmp(conf_sections[i], s) == 0)
            return true;
    return false;
}

static bool set_rule(struct conf *c, const char *key, const char *value, char *err, size_t errlen)
{
    uint16_t id = rules_parse_id(key);
    enum rule_mode m;
    int i;

    if (id == 0) {
        fmt(err, errlen, "unknown rule '%s' in section [rules]", key);
        return false;
    }
    if (!rules_parse_mode(value, &m)) {
        fmt(err, errlen,
            "bad value '%s' for rules.%s: expected off|warn|rewrite|queue|approval|reject", value,
            key);
        return false;
    }
    for (i = 0; i < c->nrule_modes && c->rule_modes[i].id != id; i++)
        ;
    if (i == c->nrule_modes) {
        if (c->nrule_modes == (int)(sizeof(c->rule_modes) / sizeof(c->rule_modes[0]))) {
            fmt(err, errlen, "too many rules in section [rules]");
            return false;
        }
        c->nrule_modes++;
    }
    c->rule_modes[i].id = id;
    c->rule_modes[i].mode = m;
    return true;
}

static const struct conf_key *key_find(const char *section, const char *key)
{
    for (int i = 0; i < NKEYS; i++)
        if (strcasecmp(conf_keys[i].section, section) == 0 &&
            strcasecmp(conf_keys[i].key, key) == 0)
            return &conf_keys[i];
    if (strcasecmp(section, "backend") == 0 && strcasecmp(key, "address") == 0)
        return &backend_address;
    return NULL;
}

bool conf_set(struct conf *c, const char *section, const char *key, const char *value, char *err,
              size_t errlen)
{
    const struct conf_key *k;
    char why[256];

    if (!section_known(section)) {
        fmt(err, errlen, "unknown section [%s]", section);
        return false;
    }
    if (strcasecmp(section, "rules") == 0)
        return set_rule(c, key, value, err, errlen);
    k = key_find(section, key);
    if (!k) {
        fmt(err, errlen, "unknown key '%s' in section [%s]", key, section);
        return false;
    }
    why[0] = '\0';
    if (key_set(c, k, value, why, sizeof(why))) {
        if (k->off == offsetof(struct conf, admin_host))
            c->admin_listen_explicit = true;
        return true;
    }
    if (k->type == CT_SECRET) /* never echo a secret */
        fmt(err, errlen, "bad value for %s.%s: %s", k->section, k->key, why);
    else
        fmt(err, errlen, "bad value '%s' for %s.%s: %s", value, k->section, k->key, why);
    return false;
}

static void trim(char *s)
{
    size_t n = strlen(s), b = 0;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    while (b < n && isspace((unsigned char)s[b]))
        b++;
    memmove(s, s + b, n - b + 1);
}

bool conf_set_kv(struct conf *c, const char *assignment, char *err, size_t errlen)
{
    char buf[2048], *eq, *dot;

    if (!copy_str(buf, sizeof(buf), assignment)) {
        fmt(err, errlen, "setting too long");
        return false;
    }
    eq = strchr(buf, '=');
    dot = strchr(buf, '.');
    if (!eq || !dot || dot > eq) {
        fmt(err, errlen, "expected section.key=value, got '%s'", assignment);
        return false;
    }
    *eq = '\0';
    *dot = '\0';
    trim(buf);
    trim(dot + 1);
    trim(eq + 1);
    if (!buf[0] || !dot[1]) {
        fmt(err, errlen, "expected section.key=value, got '%s'", assignment);
        return false;
    }
    return conf_set(c, buf, dot + 1, eq + 1, err, errlen);
}

void conf_defaults(struct conf *c)
{
    char why[256];

    memset(c, 0, sizeof(*c));
    for (int i = 0; i < NKEYS; i++) {
        /* the defaults are data we wrote: a failure here is a bug */
        if (!key_set(c, &conf_keys[i], conf_keys[i].def, why, sizeof(why))) {
            log_error("bad built-in default for %s.%s: %s", conf_keys[i].section, conf_keys[i].key,
                      why);
            abort();
        }
    }
}

/* ---- the ini file ------------------------------------------------------- */

/* longest configuration line (ddlgate parses those over inih's own limit) */
#define CONF_MAX_LINE 4096

struct conf_parse {
    struct conf *c;
    const char *path;
    const char *data; /* whole file */
    size_t len, pos;
    int lineno;   /* of the line inih is working on */
    int err_line; /* first error we found (0 = none) */
    char err[512];
    char section[128]; /* the last [section] line, for lines inih never sees */
    /* keys set so far, "section.key" with their line: a key set twice is an error */
    struct {
        char key[160];
        int line;
    } seen[256];
    int nseen;
};

static void parse_error(struct conf_parse *p, const char *msg)
{
    if (p->err_line)
        return; /* keep the first one: later errors are often consequences */
    p->err_line = p->lineno;
    snprintf(p->err, sizeof(p->err), "%s", msg);
}

/* Section header on a line we hand to inih: check the name ourselves so
 * that an unknown (even empty) section is reported on its own line. */
static void check_section_line(struct conf_parse *p, const char *line)
{
    const char *rb;
    char name[128], msg[256];
    size_t n;

    if (line[0] != '[')
        return;
    rb = strchr(line, ']');
    if (!rb)
        return; /* inih reports it as a syntax error */
    n = (size_t)(rb - line - 1);
    if (n >= sizeof(name))
        n = sizeof(name) - 1;
    memcpy(name, line + 1, n);
    name[n] = '\0';
    trim(name);
    snprintf(p->section, sizeof(p->section), "%s", name);
    if (!section_known(name)) {
        snprintf(msg, sizeof(msg), "unknown section [%s]", name);
        parse_error(p, msg);
    }
}

static int conf_handler(void *user, const char *section, const char *name, const char *value);

/* A line longer than inih's buffer (INI_MAX_LINE is fixed when the library
 * is built: 200 in Debian's): parsed here the way inih would - comment,
 * [section], or key = value / key: value with an inline " ;" comment - and
 * handed to inih as an empty line. */
static void long_line(struct conf_parse *p, const char *line, size_t n)
{
    /* calloc: the analyzer takes bytes memcpy'd into malloc memory as undefined */
    char *copy = calloc(1, n + 1), *sep, *key, *val;
    size_t i;

    if (!copy) {
        parse_error(p, "out of memory");
        return;
    }
    memcpy(copy, line, n);
    copy[n] = '\0';
    if (n && copy[n - 1] == '\r')
        copy[--n] = '\0';
    if (copy[0] == ';' || copy[0] == '#') {
        free(copy);
        return;
    }
    if (copy[0] == '[') {
        check_section_line(p, copy);
        free(copy);
        return;
    }
    sep = strpbrk(copy, "=:");
    if (!sep) {
        parse_error(p, "syntax error (expected [section], key = value or a comment)");
        free(copy);
        return;
    }
    *sep = '\0';
    key = copy;
    val = sep + 1;
    for (i = 1; val[0] && val[i - 1] && val[i]; i++)
        if (val[i] == ';' && (val[i - 1] == ' ' || val[i - 1] == '\t')) {
            val[i] = '\0';
            break;
        }
    trim(key);
    trim(val);
    conf_handler(p, p->section, key, val);
    free(copy);
}

/* fgets-like reader over the buffer: exactly one physical line per call, so
 * inih's line count matches ours. */
static char *conf_reader(char *str, int num, void *stream)
{
    struct conf_parse *p = stream;
    size_t start = p->pos, n, b;
    size_t end = start;

    if (p->pos >= p->len)
        return NULL;
    while (end < p->len && p->data[end] != '\n')
        end++;
    p->pos = end < p->len ? end + 1 : end;
    p->lineno++;
    /* leading blanks would make inih treat the line as the continuation of
     * the previous value; an indented key is just a key */
    for (b = start; b < end && (p->data[b] == ' ' || p->data[b] == '\t'); b++)
        ;
    n = end - b;
    if (num < 3 || n + 2 > (size_t)num) {
        if (n > CONF_MAX_LINE) {
            char msg[96];
            snprintf(msg, sizeof(msg), "line too long (max %d bytes)", CONF_MAX_LINE);
            parse_error(p, msg);
        } else {
            long_line(p, p->data + b, n);
        }
        str[0] = '\0';
        if (num >= 2)
            strcpy(str, "\n");
        return str;
    }
    memcpy(str, p->data + b, n);
    str[n] = '\n';
    str[n + 1] = '\0';
    /* a NUL inside the line ends it for inih; be explicit about it */
    check_section_line(p, str);
    return str;
}

static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
    struct conf_parse *p = user;
    char msg[512];

    if (section[0] == '\0') {
        snprintf(msg, sizeof(msg), "key '%s' outside of any [section]", name);
        parse_error(p, msg);
        return 0;
    }
    if (!section_known(section))
        return 0; /* reported on the section line */
    if (!value) {
        snprintf(msg, sizeof(msg), "key '%s' in section [%s] has no value", name, section);
        parse_error(p, msg);
        return 0;
    }
    char key[160];
    uint16_t rid = strcasecmp(section, "rules") == 0 ? rules_parse_id(name) : 0;
    if (rid) /* DG001, dg1 and not-null-column-without-default are one key */
        snprintf(key, sizeof(key), "rules.DG%03u", (unsigned)rid);
    else
        snprintf(key, sizeof(key), "%s.%s", section, name);
    for (int i = 0; i < p->nseen; i++)
        if (strcasecmp(p->seen[i].key, key) == 0) {
            snprintf(msg, sizeof(msg), "key '%s' in section [%s] is set twice (first on line %d)",
                     name, section, p->seen[i].line);
            parse_error(p, msg);
            return 0;
        }
    if (p->nseen < (int)(sizeof(p->seen) / sizeof(p->seen[0]))) {
        snprintf(p->seen[p->nseen].key, sizeof(p->seen[0].key), "%s", key);
        p->seen[p->nseen++].line = p->lineno;
    }
    if (!conf_set(p->c, section, name, value, msg, sizeof(msg))) {
        parse_error(p, msg);
        return 0;
    }
    return 1;
}

/* the whole file in memory: configs are small, and a bound keeps a wrong
 * path (a log file, /dev/zero) from eating memory */
#define CONF_MAX_FILE (1024 * 1024)

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;

    if (!f) {
        fmt(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(CONF_MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        fmt(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    n = fread(buf, 1, CONF_MAX_FILE + 1, f);
    if (ferror(f) || n > CONF_MAX_FILE) {
        fmt(err, errlen, "%s: %s", path, ferror(f) ? strerror(errno) : "file larger than 1 MiB");
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

bool conf_load_file(struct conf *c, const char *path, char *err, size_t errlen)
{
    struct conf_parse p;
    int rc;

    memset(&p, 0, sizeof(p));
    p.c = c;
    p.path = path;
    p.data = read_file(path, &p.len, err, errlen);
    if (!p.data)
        return false;
    rc = ini_parse_stream(conf_reader, &p, conf_handler, &p);
    free((void *)p.data);
    if (rc == 0 && p.err_line == 0) {
        copy_str(c->path, sizeof(c->path), path);
        return true;
    }
    if (rc < 0) {
        fmt(err, errlen, "%s: %s", path, rc == -2 ? "out of memory" : "cannot read");
        return false;
    }
    /* inih reports the first failing line; ours wins unless its syntax error
     * came first (then the handler never saw that line) */
    if (p.err_line && (rc == 0 || p.err_line <= rc))
        fmt(err, errlen, "%s:%d: %s", path, p.err_line, p.err);
    else
        fmt(err, errlen, "%s:%d: syntax error (expected [section], key = value or a comment)", path,
            rc);
    return false;
}

/* ---- validation --------------------------------------------------------- */

static bool is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
           strcasecmp(host, "localhost") == 0;
}

bool conf_validate(const struct conf *c, char *err, size_t errlen)
{
    if (c->admin_host[0] && !c->admin_password[0]) {
        fmt(err, errlen,
            "admin.password is required when the admin port is enabled "
            "(set it or admin.listen = off)");
        return false;
    }
    if (!!c->client_tls_cert[0] != !!c->client_tls_key[0]) {
        fmt(err, errlen, "client_tls.cert and client_tls.key must be set together");
        return false;
    }
    if ((c->require_client_tls || c->client_tls_ca[0]) && !c->client_tls_cert[0]) {
        fmt(err, errlen, "client_tls.%s needs client_tls.cert and client_tls.key",
            c->require_client_tls ? "require" : "ca");
        return false;
    }
    if (c->admin_host[0] && !is_loopback(c->admin_host) && !c->client_tls_cert[0]) {
        fmt(err, errlen,
            "admin.listen = %s is not a loopback address: set client_tls.cert and "
            "client_tls.key so admin logins can use TLS, or listen on 127.0.0.1",
            c->admin_host);
        return false;
    }
    if (!!c->backend_tls_cert[0] != !!c->backend_tls_key[0]) {
        fmt(err, errlen, "backend.tls_cert and backend.tls_key must be set together");
        return false;
    }
    if (c->backend_tls == TLS_MODE_DISABLED && (c->backend_tls_ca[0] || c->backend_tls_cert[0])) {
        fmt(err, errlen, "backend.tls = disabled but backend.tls_ca/tls_cert are set");
        return false;
    }
    if (c->admin_host[0] && c->admin_port == c->listen_port &&
        strcmp(c->admin_host, c->listen_host) == 0) {
        fmt(err, errlen, "admin.listen and ddlgate.listen are the same address (%s:%d)",
            c->listen_host, c->listen_port);
        return false;
    }
    if (c->kill_idle_blockers && c->kill_idle_after_s < c->lock_wait_timeout_s) {
        fmt(err, errlen,
            "limits.kill_idle_after_s (%d) must not be below "
            "limits.lock_wait_timeout_s (%d)",
            c->kill_idle_after_s, c->lock_wait_timeout_s);
        return false;
    }
    return true;
}

/* ---- SHOW CONFIG -------------------------------------------------------- */

int conf_key_count(void) { return NKEYS; }

static void key_format(const struct conf *c, const struct conf_key *k, char *v, size_t vlen)
{
    const char *base = (const char *)c;
    const void *field = base + k->off;
    const char *host = field;
    int port;

    switch (k->type) {
    case CT_STRING:
    case CT_CHOICE:
        snprintf(v, vlen, "%s", (const char *)field);
        break;
    case CT_INT:
    case CT_PORT:
        snprintf(v, vlen, "%d", *(const int *)field);
        break;
    case CT_U64:
        snprintf(v, vlen, "%" PRIu64, *(const uint64_t *)field);
        break;
    case CT_SIZE:
        snprintf(v, vlen, "%" PRIu64,
                 k->size == sizeof(uint64_t) ? *(const uint64_t *)field
                                             : (uint64_t) * (const size_t *)field);
        break;
    case CT_BOOL:
        snprintf(v, vlen, "%s", *(const bool *)field ? "true" : "false");
        break;
    case CT_ENUM: {
        int i = *(const int *)field, n = 0;
        while (k->names[n])
            n++;
        snprintf(v, vlen, "%s", (i >= 0 && i < n) ? k->names[i] : "?");
        break;
    }
    case CT_LISTEN:
    case CT_HOSTPORT:
        port = *(const int *)(base + k->off2);
        if (!host[0])
            snprintf(v, vlen, "off");
        else if (strchr(host, ':'))
            snprintf(v, vlen, "[%s]:%d", host, port);
        else
            snprintf(v, vlen, "%s:%d", host, port);
        break;
    case CT_SECRET:
        snprintf(v, vlen, "%s", ((const char *)field)[0] ? "***" : "");
        break;
    }
}

bool conf_key_at(const struct conf *c, int i, char *section, size_t slen, char *key, size_t klen,
                 char *value, size_t vlen, bool *reloadable)
{
    const struct conf_key *k;

    if (i < 0 || i >= NKEYS)
        return false;
    k = &conf_keys[i];
    snprintf(section, slen, "%s", k->section);
    snprintf(key, klen, "%s", k->key);
    key_format(c, k, value, vlen);
    if (reloadable)
        *reloadable = k->reloadable;
    return true;
}

int conf_restart_needed(const struct conf *old, const struct conf *nc, char *names, size_t len)
{
    char a[1100], b[1100];
    size_t n = 0;
    int count = 0;

    if (names && len)
        names[0] = '\0';
    for (int i = 0; i < NKEYS; i++) {
        const struct conf_key *k = &conf_keys[i];
        if (k->reloadable)
            continue;
        key_format(old, k, a, sizeof(a));
        key_format(nc, k, b, sizeof(b));
        if (strcmp(a, b) == 0)
            continue;
        count++;
        if (names && n < len)
            n += (size_t)snprintf(names + n, len - n, "%s%s.%s", n ? ", " : "", k->section, k->key);
    }
    return count;
}

/* ---- the running configuration ------------------------------------------ */

/* A snapshot is the conf plus its reference count.  The running one holds a
 * reference of its own; readers add one each.  Acquire takes the mutex so
 * that reading `conf_running` and bumping its count is one step (otherwise a
 * swap could free it in between); release is a lone atomic decrement. */
struct conf_snap {
    struct conf c; /* first: conf_release() gets back from &c */
    atomic_int refs;
    bool is_static;
};

static pthread_mutex_t conf_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct conf_snap conf_builtin;
static struct conf_snap *conf_running;

const struct conf *conf_acquire(void)
{
    struct conf_snap *s;

    pthread_mutex_lock(&conf_mutex);
    if (!conf_running) {
        /* no configuration installed yet: the built-in defaults */
        conf_defaults(&conf_builtin.c);
        conf_builtin.is_static = true;
        atomic_store(&conf_builtin.refs, 1);
        conf_running = &conf_builtin;
    }
    s = conf_running;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&conf_mutex);
    return &s->c;
}

void conf_release(const struct conf *c)
{
    struct conf_snap *s;

    if (!c)
        return;
    s = (struct conf_snap *)(void *)((char *)(uintptr_t)c - offsetof(struct conf_snap, c));
    if (atomic_fetch_sub(&s->refs, 1) == 1 && !s->is_static)
        free(s);
}

void conf_swap(struct conf *c)
{
    struct conf_snap *s = malloc(sizeof(*s)), *old;

    if (!s) {
        log_error("out of memory installing the new configuration: keeping the old one");
        free(c);
        return;
    }
    memcpy(&s->c, c, sizeof(*c));
    free(c);
    s->is_static = false;
    atomic_store(&s->refs, 1);
    pthread_mutex_lock(&conf_mutex);
    old = conf_running;
    conf_running = s;
    pthread_mutex_unlock(&conf_mutex);
    if (old)
        conf_release(&old->c);
}

/* ---- rule modes from [rules] -------------------------------------------- */

enum rule_mode conf_rule_mode(const struct conf *c, uint16_t id)
{
    const struct rule_def *d;

    for (int i = 0; i < c->nrule_modes; i++)
        if (c->rule_modes[i].id == id)
            return c->rule_modes[i].mode;
    d = rules_find(id);
    return d ? d->default_mode : RULE_OFF;
}

void conf_apply_rules(const struct conf *c)
{
    rules_reset();
    for (int i = 0; i < c->nrule_modes; i++)
        if (!rules_set_mode(c->rule_modes[i].id, c->rule_modes[i].mode, NULL, NULL))
            log_warn("rules: cannot set DG%03u from the configuration",
                     (unsigned)c->rule_modes[i].id);
}
