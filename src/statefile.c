/*
 * statefile.c - save and load the runtime changes made on the admin port
 * (see statefile.h for the rule and the format).
 *
 * Lines, fields separated by one space; fields are %XX-escaped (space,
 * control bytes, '%') and an empty field is written "-":
 *   ddlgate-state 1
 *   rule DG005 reject                         global mode
 *   rule DG016 off shop orders                table override
 *   rule DG016 warn shop -                    schema-wide override
 *   next 42                                   the id the next request gets
 *   approval ID DIGEST RULE STATE once|window CREATED DECIDED EXPIRES REQUESTED_BY DECIDED_BY STMT
 *            [SCHEMA]
 *   end 0123456789abcdef                      FNV-1a 64 of all bytes before this line
 *
 * DIGEST is the approval digest (sql_stmt_exact_digest).  "next" and the
 * SCHEMA field were added without changing the version: a file without
 * them (older ddlgate) still loads (no schema; ids continue above the
 * highest one in it).
 *
 * Loading parses and checks everything before applying anything: a file is
 * applied whole or not at all.  A refused file is renamed aside before
 * anything can save over it, and still read leniently for the highest id
 * it mentions, so that ids never go back.
 */
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "approval.h"
#include "log.h"
#include "rules.h"

#define STATE_MAGIC "ddlgate-state 1\n"
#define STATE_MAX_FILE (4u * 1024 * 1024)
#define STATE_MAX_RULES 1024
#define STATE_NAME_MAX 65 /* a MySQL identifier is at most 64 characters */
#define STATE_MAX_FIELDS 13
/* ids above this are not believed (a corrupted digit run would otherwise
 * jump every later id to the end of the range) */
#define STATE_MAX_ID (1ull << 62)

static pthread_mutex_t statefile_lock = PTHREAD_MUTEX_INITIALIZER;

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

static uint64_t fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- output buffer ------------------------------------------------------ */

struct sbuf_out {
    char *p;
    size_t len, cap;
    bool failed; /* sticky: an allocation failed */
};

static void out_reserve(struct sbuf_out *o, size_t more)
{
    char *np;
    size_t ncap;

    if (o->failed || o->len + more < o->cap)
        return;
    ncap = o->cap ? o->cap : 4096;
    while (ncap <= o->len + more)
        ncap *= 2;
    np = realloc(o->p, ncap);
    if (!np) {
        o->failed = true;
        return;
    }
    o->p = np;
    o->cap = ncap;
}

static void out_printf(struct sbuf_out *o, const char *f, ...) DG_PRINTF(2, 3);
static void out_printf(struct sbuf_out *o, const char *f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    if (n < 0) {
        o->failed = true;
        return;
    }
    out_reserve(o, (size_t)n + 1);
    if (o->failed)
        return;
    va_start(ap, f);
    vsnprintf(o->p + o->len, o->cap - o->len, f, ap);
    va_end(ap);
    o->len += (size_t)n;
}

/* " field", escaped */
static void out_field(struct sbuf_out *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);

    out_reserve(o, 1 + 3 * n + 4);
    if (o->failed)
        return;
    o->p[o->len++] = ' ';
    if (n == 0 || strcmp(s, "-") == 0) {
        /* "-" is the empty field, so a real "-" is escaped */
        memcpy(o->p + o->len, n ? "%2D" : "-", n ? 3 : 1);
        o->len += n ? 3 : 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch == 0x7f || ch == '%') {
            o->p[o->len++] = '%';
            o->p[o->len++] = hex[ch >> 4];
            o->p[o->len++] = hex[ch & 15];
        } else {
            o->p[o->len++] = (char)ch;
        }
    }
}

/* ---- saving ------------------------------------------------------------- */

static void build_rules(struct sbuf_out *o, const struct conf *c)
{
    char schema[STATE_NAME_MAX], table[STATE_NAME_MAX];
    enum rule_mode m;
    uint16_t id;

    for (int i = 0; i < rules_count(); i++) {
        const struct rule_def *d = rules_at(i);
        m = rules_mode(d->id, NULL, NULL);
        if (m != conf_rule_mode(c, d->id))
            out_printf(o, "rule DG%03u %s\n", (unsigned)d->id, rules_mode_name(m));
    }
    for (int i = 0; rules_scoped_at(i, &id, &m, schema, sizeof(schema), table, sizeof(table));
         i++) {
        out_printf(o, "rule DG%03u %s", (unsigned)id, rules_mode_name(m));
        out_field(o, schema);
        out_field(o, table);
        out_printf(o, "\n");
    }
}

static void build_approvals(struct sbuf_out *o)
{
    struct approval_info *list = malloc(APPROVAL_MAX * sizeof(*list));
    int n;

    if (!list) {
        o->failed = true;
        return;
    }
    n = approval_list(list, APPROVAL_MAX);
    /* used entries are not written: without this a restart would hand
     * their ids out again */
    out_printf(o, "next %" PRIu64 "\n", approval_next_id());
    for (int i = 0; i < n; i++) {
        const struct approval_info *a = &list[i];
        /* used and expired entries change nothing after a restart; pending
         * requests, live approvals and denials (they stand) are kept */
        if (a->state != APPROVAL_PENDING && a->state != APPROVAL_APPROVED &&
            a->state != APPROVAL_DENIED)
            continue;
        out_printf(o, "approval %" PRIu64 " %016" PRIx64 " %u %s %s %lld %lld %lld", a->id,
                   a->digest, (unsigned)a->rule, approval_state_name(a->state),
                   a->once ? "once" : "window", (long long)a->created, (long long)a->decided,
                   (long long)a->expires);
        out_field(o, a->requested_by);
        out_field(o, a->decided_by);
        out_field(o, a->statement);
        out_field(o, a->schema);
        out_printf(o, "\n");
    }
    free(list);
}

static bool write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool fsync_dir_of(const char *path)
{
    char dir[1024];
    const char *slash = strrchr(path, '/');
    int fd;
    bool ok;

    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

/* temp file in the same directory (rename is atomic only within one file
 * system), fsync before rename (else a crash can leave an empty file under
 * the real name), fsync the directory so the rename itself is durable */
static bool write_atomically(const char *path, const char *data, size_t len, char *err,
                             size_t errlen)
{
    char tmp[1100];
    int fd;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp)) {
        fmt(err, errlen, "state file path too long");
        return false;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fmt(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return false;
    }
    if (!write_all(fd, data, len) || fsync(fd) != 0) {
        fmt(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return false;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        fmt(err, errlen, "cannot replace %s: %s", path, strerror(errno));
        unlink(tmp);
        return false;
    }
    if (!fsync_dir_of(path))
        log_warn("state file %s: fsync of its directory failed: %s", path, strerror(errno));
    return true;
}

/* approval_changes() at the last good save: what save_if_changed compares */
static uint64_t statefile_saved_changes;
/* the last save failed (an admin's change is not on disk): the janitor
 * tries again, every STATE_RETRY_S at most, until one works */
static bool statefile_failed;
static time_t statefile_next_retry;
#define STATE_RETRY_S 5

static bool save_locked(const char *path, const struct conf *c, char *err, size_t errlen)
{
    struct sbuf_out o = {0};
    /* read before the snapshot: a change racing with it triggers one more save */
    uint64_t changes = approval_changes();
    bool ok;

    out_printf(&o, STATE_MAGIC);
    build_rules(&o, c);
    build_approvals(&o);
    out_printf(&o, "end %016" PRIx64 "\n", o.failed ? 0 : fnv1a64(o.p, o.len));
    if (o.failed) {
        fmt(err, errlen, "out of memory writing the state file");
        ok = false;
    } else {
        ok = write_atomically(path, o.p, o.len, err, errlen);
    }
    if (ok)
        statefile_saved_changes = changes;
    statefile_failed = !ok;
    if (!ok)
        statefile_next_retry = time(NULL) + STATE_RETRY_S;
    free(o.p);
    return ok;
}

bool statefile_save(const char *path, const struct conf *c, char *err, size_t errlen)
{
    bool ok;

    if (!path || !path[0]) {
        fmt(err, errlen, "no state file configured (ddlgate.state_file)");
        return false;
    }
    pthread_mutex_lock(&statefile_lock);
    ok = save_locked(path, c, err, errlen);
    pthread_mutex_unlock(&statefile_lock);
    return ok;
}

bool statefile_save_if_changed(const char *path, const struct conf *c, char *err, size_t errlen)
{
    bool ok = true;

    if (!path || !path[0])
        return true;
    pthread_mutex_lock(&statefile_lock);
    if (statefile_failed ? time(NULL) >= statefile_next_retry
                         : approval_changes() != statefile_saved_changes)
        ok = save_locked(path, c, err, errlen);
    pthread_mutex_unlock(&statefile_lock);
    return ok;
}

/* ---- loading ------------------------------------------------------------ */

struct state_rule {
    uint16_t id;
    enum rule_mode mode;
    bool scoped;
    char schema[STATE_NAME_MAX];
    char table[STATE_NAME_MAX];
};

struct state_load {
    struct state_rule *rules;
    int nrules;
    struct approval_info *apps;
    int napps;
    int skipped;      /* records for rules this version does not know */
    uint64_t next_id; /* "next" record, 0 when none */
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* decode an escaped field into out; false if malformed or too long */
static bool unescape(const char *s, char *out, size_t outlen)
{
    size_t n = 0;

    if (strcmp(s, "-") == 0) {
        out[0] = '\0';
        return true;
    }
    for (; *s; s++) {
        char ch = *s;
        if (ch == '%') {
            int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return false;
            ch = (char)(hi * 16 + lo);
            s += 2;
        }
        if (n + 1 >= outlen)
            return false;
        out[n++] = ch;
    }
    out[n] = '\0';
    return true;
}

static bool parse_ll(const char *s, long long *v)
{
    char *end;
    if (!*s)
        return false;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return !errno && !*end;
}

static bool parse_rule(struct state_load *st, char **f, int nf, char *why, size_t wlen)
{
    struct state_rule r;

    memset(&r, 0, sizeof(r));
    if (nf != 3 && nf != 5) {
        fmt(why, wlen, "rule line needs 2 or 4 fields");
        return false;
    }
    if (!rules_parse_mode(f[2], &r.mode)) {
        fmt(why, wlen, "unknown mode '%.32s'", f[2]);
        return false;
    }
    if (nf == 5) {
        r.scoped = true;
        if (!unescape(f[3], r.schema, sizeof(r.schema)) || !r.schema[0] ||
            !unescape(f[4], r.table, sizeof(r.table))) {
            fmt(why, wlen, "bad schema or table name");
            return false;
        }
    }
    r.id = rules_parse_id(f[1]);
    if (r.id == 0 || strncasecmp(f[1], "DG", 2) != 0) {
        if (strncasecmp(f[1], "DG", 2) != 0) {
            fmt(why, wlen, "bad rule id '%.32s'", f[1]);
            return false;
        }
        /* a rule an older or newer version knew: not fatal */
        st->skipped++;
        return true;
    }
    if (st->nrules == STATE_MAX_RULES) {
        fmt(why, wlen, "too many rule lines");
        return false;
    }
    st->rules[st->nrules++] = r;
    return true;
}

static bool parse_approval(struct state_load *st, char **f, int nf, char *why, size_t wlen)
{
    struct approval_info a;
    long long id, rule, t[3];
    char *end;
    int i;

    memset(&a, 0, sizeof(a));
    if (nf != 12 && nf != 13) { /* 12: written before the schema field */
        fmt(why, wlen, "approval line needs 11 or 12 fields");
        return false;
    }
    if (!parse_ll(f[1], &id) || id <= 0 || (unsigned long long)id >= STATE_MAX_ID ||
        !parse_ll(f[3], &rule) || rule <= 0 || rule > 999) {
        fmt(why, wlen, "bad approval id or rule");
        return false;
    }
    errno = 0;
    a.digest = strtoull(f[2], &end, 16);
    if (errno || *end || strlen(f[2]) != 16) {
        fmt(why, wlen, "bad digest");
        return false;
    }
    for (i = 0; i <= APPROVAL_EXPIRED && strcmp(f[4], approval_state_name(i)) != 0; i++)
        ;
    if (i > APPROVAL_EXPIRED || (strcmp(f[5], "once") != 0 && strcmp(f[5], "window") != 0)) {
        fmt(why, wlen, "bad approval state");
        return false;
    }
    for (int k = 0; k < 3; k++)
        if (!parse_ll(f[6 + k], &t[k])) {
            fmt(why, wlen, "bad time");
            return false;
        }
    if (!unescape(f[9], a.requested_by, sizeof(a.requested_by)) ||
        !unescape(f[10], a.decided_by, sizeof(a.decided_by)) ||
        !unescape(f[11], a.statement, sizeof(a.statement)) ||
        (nf == 13 && !unescape(f[12], a.schema, sizeof(a.schema)))) {
        fmt(why, wlen, "bad text field");
        return false;
    }
    if (st->napps == APPROVAL_MAX) {
        fmt(why, wlen, "too many approval lines");
        return false;
    }
    a.id = (uint64_t)id;
    a.rule = (uint16_t)rule;
    a.state = (enum approval_state)i;
    a.once = strcmp(f[5], "once") == 0;
    a.created = (time_t)t[0];
    a.decided = (time_t)t[1];
    a.expires = (time_t)t[2];
    st->apps[st->napps++] = a;
    return true;
}

static bool parse_next(struct state_load *st, char **f, int nf, char *why, size_t wlen)
{
    long long v;

    if (nf != 2 || !parse_ll(f[1], &v) || v <= 0 || (unsigned long long)v > STATE_MAX_ID) {
        fmt(why, wlen, "bad next id");
        return false;
    }
    st->next_id = (uint64_t)v;
    return true;
}

/* Check the frame: magic first, "end <16 hex>\n" last, checksum matching.
 * Returns the length of the body (records after the magic, before "end"). */
static bool check_frame(const char *data, size_t len, size_t *body_end, char *err, size_t errlen)
{
    const size_t endlen = 4 + 16 + 1; /* "end " hex "\n" */
    size_t magiclen = strlen(STATE_MAGIC), start;
    uint64_t want = 0;

    if (len < magiclen || memcmp(data, STATE_MAGIC, magiclen) != 0) {
        fmt(err, errlen, "not a ddlgate state file (no \"ddlgate-state 1\" header)");
        return false;
    }
    if (len < magiclen + endlen || data[len - 1] != '\n') {
        fmt(err, errlen, "truncated: no \"end\" line (torn write?)");
        return false;
    }
    start = len - endlen;
    if (memcmp(data + start, "end ", 4) != 0 || data[start - 1] != '\n') {
        fmt(err, errlen, "truncated: no \"end\" line (torn write?)");
        return false;
    }
    for (size_t i = start + 4; i < len - 1; i++) {
        int v = hexval(data[i]);
        if (v < 0 || (data[i] >= 'A' && data[i] <= 'F')) {
            fmt(err, errlen, "malformed \"end\" line");
            return false;
        }
        want = want << 4 | (uint64_t)v;
    }
    if (fnv1a64(data, start) != want) {
        fmt(err, errlen, "checksum mismatch (corrupted or torn write)");
        return false;
    }
    *body_end = start;
    return true;
}

static bool parse_body(struct state_load *st, char *p, char *end, char *err, size_t errlen)
{
    char why[160];
    int lineno = 1; /* the magic line */

    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *f[STATE_MAX_FIELDS + 1], *save = NULL;
        int nf = 0;
        bool ok;

        lineno++;
        *nl = '\0';
        if (memchr(p, '\0', (size_t)(nl - p))) {
            fmt(err, errlen, "line %d: NUL byte", lineno);
            return false;
        }
        for (char *tok = strtok_r(p, " ", &save); tok && nf <= STATE_MAX_FIELDS;
             tok = strtok_r(NULL, " ", &save))
            f[nf++] = tok;
        p = nl + 1;
        if (nf == 0 || f[0][0] == '#')
            continue;
        why[0] = '\0';
        if (nf > STATE_MAX_FIELDS)
            ok = (fmt(why, sizeof(why), "too many fields"), false);
        else if (strcmp(f[0], "rule") == 0)
            ok = parse_rule(st, f, nf, why, sizeof(why));
        else if (strcmp(f[0], "approval") == 0)
            ok = parse_approval(st, f, nf, why, sizeof(why));
        else if (strcmp(f[0], "next") == 0)
            ok = parse_next(st, f, nf, why, sizeof(why));
        else
            ok = (fmt(why, sizeof(why), "unknown record '%.32s'", f[0]), false);
        if (!ok) {
            fmt(err, errlen, "line %d: %s", lineno, why);
            return false;
        }
    }
    return true;
}

static void apply(const struct state_load *st)
{
    for (int i = 0; i < st->nrules; i++) {
        const struct state_rule *r = &st->rules[i];
        if (!rules_set_mode(r->id, r->mode, r->scoped ? r->schema : NULL,
                            r->scoped && r->table[0] ? r->table : NULL))
            log_warn("state file: cannot apply DG%03u %s%s%s%s%s", (unsigned)r->id,
                     rules_mode_name(r->mode), r->scoped ? " for " : "", r->schema,
                     r->table[0] ? "." : "", r->table);
    }
    for (int i = 0; i < st->napps; i++)
        if (!approval_restore(&st->apps[i]))
            log_warn("state file: cannot restore approval %" PRIu64, st->apps[i].id);
    approval_raise_next_id(st->next_id);
}

bool statefile_parse(const char *data, size_t len, bool do_apply, char *err, size_t errlen)
{
    struct state_load st;
    size_t body_end;
    char *copy;
    bool ok;

    if (!check_frame(data, len, &body_end, err, errlen))
        return false;
    memset(&st, 0, sizeof(st));
    copy = malloc(body_end + 1);
    st.rules = malloc(STATE_MAX_RULES * sizeof(*st.rules));
    st.apps = malloc(APPROVAL_MAX * sizeof(*st.apps));
    if (!copy || !st.rules || !st.apps) {
        fmt(err, errlen, "out of memory");
        ok = false;
    } else {
        size_t magiclen = strlen(STATE_MAGIC);
        memcpy(copy, data, body_end);
        copy[body_end] = '\0';
        ok = parse_body(&st, copy + magiclen, copy + body_end, err, errlen);
        if (ok && do_apply) {
            apply(&st);
            log_info("state file: applied %d rule change(s) and %d approval(s)%s", st.nrules,
                     st.napps, st.skipped ? " (records for unknown rules skipped)" : "");
        }
    }
    free(copy);
    free(st.rules);
    free(st.apps);
    return ok;
}

/* A refused file still tells which ids were handed out: raise the next id
 * above every "approval <id>" and "next <id>" line that can be read. */
static void scan_ids(const char *data, size_t len)
{
    uint64_t next = 0;

    for (size_t i = 0; i < len;) {
        const char *line = data + i, *nl = memchr(line, '\n', len - i);
        size_t n = nl ? (size_t)(nl - line) : len - i, skip = 0;
        if (n > 9 && memcmp(line, "approval ", 9) == 0)
            skip = 9;
        else if (n > 5 && memcmp(line, "next ", 5) == 0)
            skip = 5;
        if (skip) {
            uint64_t v = 0;
            size_t k = skip;
            for (; k < n && line[k] >= '0' && line[k] <= '9' && v < STATE_MAX_ID; k++)
                v = v * 10 + (uint64_t)(line[k] - '0');
            if (k > skip && v < STATE_MAX_ID) {
                v += skip == 9; /* an approval's id is used; "next" is the next one */
                if (v > next)
                    next = v;
            }
        }
        i += n + 1;
    }
    approval_raise_next_id(next);
}

/* Move a refused file aside to <path>.refused-YYYYmmddTHHMMSS (UTC; "-2"
 * ... when taken), so that the next save cannot destroy what it held. */
static bool move_aside(const char *path, char *aside, size_t alen)
{
    char stamp[32];
    struct tm tm;
    time_t now = time(NULL);
    struct stat sb;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
    for (int k = 1; k < 100; k++) {
        int n = k == 1 ? snprintf(aside, alen, "%s.refused-%s", path, stamp)
                       : snprintf(aside, alen, "%s.refused-%s-%d", path, stamp, k);
        if (n < 0 || (size_t)n >= alen)
            return false;
        if (lstat(aside, &sb) != 0 && errno == ENOENT)
            return rename(path, aside) == 0;
    }
    errno = EEXIST;
    return false;
}

/* err = "state file P refused: WHY; moved aside to P.refused-..." */
static void refuse(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    char why[512], aside[1200];
    int saved;

    snprintf(why, sizeof(why), "%s", err && errlen ? err : "");
    if (data)
        scan_ids(data, len);
    if (move_aside(path, aside, sizeof(aside))) {
        fmt(err, errlen, "state file %s refused: %s; moved aside to %s", path, why, aside);
        return;
    }
    saved = errno;
    fmt(err, errlen, "state file %s refused: %s; could not move it aside: %s", path, why,
        strerror(saved));
}

bool statefile_load(const char *path, bool *missing, char *err, size_t errlen)
{
    FILE *f;
    char *buf;
    size_t n;
    bool ok;

    if (missing)
        *missing = false;
    f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) {
            if (missing)
                *missing = true;
            return true;
        }
        fmt(err, errlen, "state file %s: cannot open: %s", path, strerror(errno));
        log_error("%s; runtime changes in it are NOT applied", err);
        return false; /* left where it is: a permission problem is not a bad file */
    }
    buf = malloc(STATE_MAX_FILE + 1);
    n = buf ? fread(buf, 1, STATE_MAX_FILE + 1, f) : 0;
    if (!buf || ferror(f) || n > STATE_MAX_FILE) {
        bool big = buf && !ferror(f);
        fmt(err, errlen, "%s",
            !buf        ? "out of memory"
            : ferror(f) ? "read error"
                        : "larger than 4 MiB");
        fclose(f);
        if (big)
            refuse(path, buf, n, err, errlen);
        else
            fmt(err, errlen, "state file %s: %s", path, !buf ? "out of memory" : "read error");
        free(buf);
        log_error("%s; runtime changes in it are NOT applied", err);
        return false;
    }
    fclose(f);
    ok = statefile_parse(buf, n, true, err, errlen);
    if (!ok) {
        refuse(path, buf, n, err, errlen);
        /* the one log line of the refusal: callers do not log err again */
        log_error("%s; runtime changes in it are NOT applied (at start the configuration "
                  "alone applies; a RELOAD keeps the rules in force)",
                  err);
    }
    free(buf);
    return ok;
}

/* ---- prompt saves ------------------------------------------------------- */

static struct event *autosave_ev;

static void autosave_now(void)
{
    char err[256];
    const struct conf *c = conf_acquire();
    if (c->state_file[0] && !statefile_save_if_changed(c->state_file, c, err, sizeof(err)))
        log_error("state file not saved: %s", err);
    conf_release(c);
}

static void autosave_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    autosave_now();
}

/* runs on the worker that changed an approval: only wakes the main loop */
static void autosave_wake(void *arg) { event_active(arg, EV_READ, 0); }

bool statefile_autosave_start(struct event_base *base)
{
    if (autosave_ev)
        return true;
    autosave_ev = event_new(base, -1, 0, autosave_cb, NULL);
    if (!autosave_ev)
        return false;
    approval_set_notify(autosave_wake, autosave_ev);
    return true;
}

void statefile_autosave_stop(void)
{
    approval_set_notify(NULL, NULL);
    if (autosave_ev)
        event_free(autosave_ev);
    autosave_ev = NULL;
    /* the last uses (after the loop stopped) reach the file too */
    autosave_now();
}
