/*
 * admin_cmd.c - parse the admin port's command language (see admin_cmd.h).
 *
 * A small tokenizer of its own (the admin language is a handful of words,
 * not SQL) and a recursive-descent parser driven by two tables: top-level
 * verbs and SHOW subjects.  Tokens point into the query; nothing allocates.
 */
#include "admin_cmd.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* ---- tokenizer ---------------------------------------------------------- */

enum atok_kind {
    AT_END,   /* end of the query */
    AT_WORD,  /* keyword or bare identifier (may contain '-': rule names) */
    AT_NUM,   /* unsigned decimal integer */
    AT_STR,   /* '...' or "..." */
    AT_QID,   /* `...` */
    AT_VAR,   /* @@name / @name, dots included */
    AT_PUNCT, /* one character: = ; , . ( ) * */
    AT_PARAM, /* '?': a prepared-statement placeholder (never accepted) */
    AT_BAD,   /* unterminated quote/comment or stray byte */
};

struct atok {
    enum atok_kind kind;
    const char *s; /* whole token text, quotes included */
    size_t len;
};

struct aparse {
    const char *p, *end;
    struct atok t; /* current token */
    char *err;
    size_t errlen;
};

static bool is_word_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c == '$' || c >= 0x80;
}
static bool is_word_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* skip blanks and comments; false on an unterminated comment */
static bool skip_blank(struct aparse *a)
{
    while (a->p < a->end) {
        unsigned char c = (unsigned char)*a->p;
        if (isspace(c)) {
            a->p++;
        } else if (c == '#' || (c == '-' && a->end - a->p >= 2 && a->p[1] == '-' &&
                                (a->end - a->p == 2 || isspace((unsigned char)a->p[2])))) {
            while (a->p < a->end && *a->p != '\n')
                a->p++;
        } else if (c == '/' && a->end - a->p >= 2 && a->p[1] == '*') {
            const char *q = a->p + 2;
            while (q + 1 < a->end && !(q[0] == '*' && q[1] == '/'))
                q++;
            if (q + 1 >= a->end)
                return false;
            a->p = q + 2;
        } else {
            break;
        }
    }
    return true;
}

static void next(struct aparse *a)
{
    const char *s;
    unsigned char c;

    if (!skip_blank(a)) {
        a->t = (struct atok){AT_BAD, a->p, (size_t)(a->end - a->p)};
        return;
    }
    s = a->p;
    if (s >= a->end) {
        a->t = (struct atok){AT_END, s, 0};
        return;
    }
    c = (unsigned char)*s;
    if (is_word_start(c)) {
        const char *q = s + 1;
        for (;;) {
            while (q < a->end && is_word_char((unsigned char)*q))
                q++;
            /* "drop-table": a dash between word characters joins them */
            if (q + 1 < a->end && *q == '-' && is_word_char((unsigned char)q[1]))
                q++;
            else
                break;
        }
        a->t = (struct atok){AT_WORD, s, (size_t)(q - s)};
    } else if (isdigit(c)) {
        const char *q = s;
        while (q < a->end && isdigit((unsigned char)*q))
            q++;
        /* "5x" is neither a number nor a word */
        if (q < a->end && is_word_char((unsigned char)*q))
            a->t = (struct atok){AT_BAD, s, (size_t)(q - s) + 1};
        else
            a->t = (struct atok){AT_NUM, s, (size_t)(q - s)};
    } else if (c == '\'' || c == '"' || c == '`') {
        const char *q = s + 1;
        for (; q < a->end; q++) {
            if (*q == '\\' && c != '`' && q + 1 < a->end) {
                q++;
            } else if (*q == (char)c) {
                if (q + 1 < a->end && q[1] == (char)c)
                    q++; /* doubled quote */
                else
                    break;
            }
        }
        if (q >= a->end)
            a->t = (struct atok){AT_BAD, s, (size_t)(a->end - s)};
        else
            a->t = (struct atok){c == '`' ? AT_QID : AT_STR, s, (size_t)(q + 1 - s)};
    } else if (c == '@') {
        const char *q = s + 1;
        if (q < a->end && *q == '@')
            q++;
        while (q < a->end && (is_word_char((unsigned char)*q) || *q == '.'))
            q++;
        a->t = (struct atok){q - s > 1 && !(q - s == 2 && s[1] == '@') ? AT_VAR : AT_BAD, s,
                             (size_t)(q - s)};
    } else if (c == '?') {
        a->t = (struct atok){AT_PARAM, s, 1};
    } else if (c != 0 && strchr("=;,.()*", (int)c)) {
        a->t = (struct atok){AT_PUNCT, s, 1};
    } else {
        a->t = (struct atok){AT_BAD, s, 1};
    }
    a->p = a->t.s + a->t.len;
}

static bool tok_is(const struct atok *t, const char *kw)
{
    return t->kind == AT_WORD && strlen(kw) == t->len && strncasecmp(t->s, kw, t->len) == 0;
}

static bool tok_punct(const struct atok *t, char c) { return t->kind == AT_PUNCT && t->s[0] == c; }

/* the token's value: words as written, quoted text unquoted and unescaped */
static bool tok_text(const struct atok *t, char *dst, size_t dstlen)
{
    size_t n = 0;

    if (t->kind == AT_WORD || t->kind == AT_NUM || t->kind == AT_VAR) {
        if (t->len >= dstlen)
            return false;
        memcpy(dst, t->s, t->len);
        dst[t->len] = '\0';
        return true;
    }
    if (t->kind != AT_STR && t->kind != AT_QID)
        return false;
    for (size_t i = 1; i + 1 < t->len; i++) {
        char ch = t->s[i];
        if (ch == '\\' && t->kind == AT_STR && i + 2 < t->len) {
            static const char from[] = "0nrtZb", to[] = "\0\n\r\t\032\b";
            const char *m = memchr(from, t->s[++i], sizeof(from) - 1);
            ch = m ? to[m - from] : t->s[i];
        } else if (ch == t->s[0]) {
            i++; /* doubled quote */
        }
        if (n + 1 >= dstlen || ch == '\0')
            return false;
        dst[n++] = ch;
    }
    dst[n] = '\0';
    return true;
}

/* ---- errors ------------------------------------------------------------- */

static const char accepted[] =
    "accepted: SHOW RULES|VERDICTS|SESSIONS|BACKEND|PENDING|QUEUE|STATS|CONFIG; "
    "SET RULE <id> = off|warn|rewrite|approval|reject|default [FOR schema[.table]]; "
    "APPROVE <id> [FOR <n> MINUTES|HOURS] [ONCE|WINDOW]; DENY <id>; CANCEL <id>; RELOAD; "
    "HELP (or SHOW HELP)";

static bool perr(struct aparse *a, const char *f, ...) DG_PRINTF(2, 3);
static bool perr(struct aparse *a, const char *f, ...)
{
    va_list ap;
    if (a->err && a->errlen) {
        va_start(ap, f);
        vsnprintf(a->err, a->errlen, f, ap);
        va_end(ap);
    }
    return false;
}

/* the current token, printable and short, for messages */
static const char *tok_show(const struct atok *t, char *buf, size_t len)
{
    size_t n = 0;

    if (t->kind == AT_END)
        return "end of query";
    buf[n++] = '\'';
    for (size_t i = 0; i < t->len && n + 5 < len && i < 32; i++)
        buf[n++] = isprint((unsigned char)t->s[i]) ? t->s[i] : '?';
    if (t->len > 32 && n + 5 < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n++] = '\'';
    buf[n] = '\0';
    return buf;
}

static bool unexpected(struct aparse *a, const char *expected)
{
    char b[48];
    if (a->t.kind == AT_PARAM)
        return perr(a,
                    "parameters ('?') are not supported by the admin console: write the "
                    "values into the command (expected %s)",
                    expected);
    if (a->t.kind == AT_BAD)
        return perr(a, "unterminated quote or comment, or stray character at %s (expected %s)",
                    tok_show(&a->t, b, sizeof(b)), expected);
    return perr(a, "expected %s, got %s", expected, tok_show(&a->t, b, sizeof(b)));
}

/* end of command: an optional ';' and nothing else */
static bool expect_end(struct aparse *a)
{
    if (tok_punct(&a->t, ';'))
        next(a);
    if (a->t.kind == AT_END)
        return true;
    return unexpected(a, "end of command (one command per query)");
}

static bool parse_u64(struct aparse *a, uint64_t *v, const char *what)
{
    char *end;
    char buf[24];

    if (a->t.kind != AT_NUM || a->t.len >= sizeof(buf))
        return unexpected(a, what);
    memcpy(buf, a->t.s, a->t.len);
    buf[a->t.len] = '\0';
    errno = 0;
    *v = strtoull(buf, &end, 10);
    if (errno || *end || *v == 0)
        return unexpected(a, what);
    next(a);
    return true;
}

/* ---- commands ----------------------------------------------------------- */

static const struct {
    const char *word;
    enum admin_cmd_kind kind;
} show_subjects[] = {
    {"RULES", ADMIN_SHOW_RULES},
    {"VERDICTS", ADMIN_SHOW_VERDICTS},
    {"SESSIONS", ADMIN_SHOW_SESSIONS},
    {"BACKEND", ADMIN_SHOW_BACKEND},
    {"PENDING", ADMIN_SHOW_PENDING},
    {"APPROVALS", ADMIN_SHOW_PENDING},
    {"QUEUE", ADMIN_SHOW_QUEUE},
    {"STATS", ADMIN_SHOW_STATS},
    {"CONFIG", ADMIN_SHOW_CONFIG},
    {"WARNINGS", ADMIN_SHOW_WARNINGS},
    {"HELP", ADMIN_HELP}, /* the mysql client eats a bare HELP itself */
};

static bool cmd_show(struct aparse *a, struct admin_cmd *c)
{
    for (size_t i = 0; i < sizeof(show_subjects) / sizeof(show_subjects[0]); i++) {
        if (tok_is(&a->t, show_subjects[i].word)) {
            c->kind = show_subjects[i].kind;
            next(a);
            return expect_end(a);
        }
    }
    return unexpected(a, "RULES, VERDICTS, SESSIONS, BACKEND, PENDING, QUEUE, STATS or CONFIG "
                         "after SHOW");
}

static bool name_token(struct aparse *a, char *dst, const char *what)
{
    if ((a->t.kind != AT_WORD && a->t.kind != AT_QID) || !tok_text(&a->t, dst, ADMIN_NAME_MAX) ||
        !dst[0])
        return unexpected(a, what);
    next(a);
    return true;
}

/* FOR schema | schema.table | schema.* */
static bool rule_scope(struct aparse *a, struct admin_cmd *c)
{
    if (!name_token(a, c->schema, "a schema name after FOR"))
        return false;
    if (!tok_punct(&a->t, '.'))
        return true;
    next(a);
    if (tok_punct(&a->t, '*')) {
        next(a);
        return true;
    }
    return name_token(a, c->table, "a table name or * after the schema");
}

static bool cmd_set_rule(struct aparse *a, struct admin_cmd *c)
{
    char idtext[ADMIN_NAME_MAX];

    if (!(a->t.kind == AT_WORD || a->t.kind == AT_NUM || a->t.kind == AT_STR ||
          a->t.kind == AT_QID) ||
        !tok_text(&a->t, idtext, sizeof(idtext)))
        return unexpected(a, "a rule id (DG005, 5 or its name) after SET RULE");
    c->rule_id = rules_parse_id(idtext);
    if (c->rule_id == 0)
        return perr(a, "unknown rule '%.64s' (SHOW RULES lists them)", idtext);
    next(a);
    if (!tok_punct(&a->t, '=') && !tok_is(&a->t, "TO"))
        return unexpected(a, "'=' after the rule id");
    next(a);
    if (tok_is(&a->t, "DEFAULT")) {
        c->mode_default = true;
    } else {
        char m[16];
        if (a->t.kind != AT_WORD || !tok_text(&a->t, m, sizeof(m)) ||
            !rules_parse_mode(m, &c->mode))
            return unexpected(a, "off, warn, rewrite, approval (queue), reject or default");
    }
    next(a);
    if (tok_is(&a->t, "FOR")) {
        next(a);
        if (!rule_scope(a, c))
            return false;
    }
    c->kind = ADMIN_SET_RULE;
    return expect_end(a);
}

/* SET RULE ..., or a session SET from a client library (answered with OK) */
static bool cmd_set(struct aparse *a, struct admin_cmd *c)
{
    if (tok_is(&a->t, "RULE")) {
        next(a);
        return cmd_set_rule(a, c);
    }
    if (tok_is(&a->t, "GLOBAL") || tok_is(&a->t, "PERSIST"))
        return perr(a, "SET GLOBAL is not supported on the admin port; %s", accepted);
    if (a->t.kind != AT_WORD && a->t.kind != AT_VAR)
        return unexpected(a, "RULE or a session variable after SET");
    c->kind = ADMIN_SESSION_NOOP;
    /* SET NAMES utf8mb4, SET autocommit=1, SET @@session.x = 'y', ...:
     * nothing to do on the admin port, but refuse broken text */
    for (int guard = 0; a->t.kind != AT_END && guard < 1000; guard++) {
        if (a->t.kind == AT_BAD || a->t.kind == AT_PARAM)
            return unexpected(a, "a value");
        next(a);
    }
    return a->t.kind == AT_END || unexpected(a, "end of command");
}

static bool cmd_approve(struct aparse *a, struct admin_cmd *c)
{
    uint64_t n = 0;

    if (!parse_u64(a, &c->id, "a pending id after APPROVE (SHOW PENDING lists them)"))
        return false;
    c->kind = ADMIN_APPROVE;
    c->once = -1;
    while (a->t.kind == AT_WORD) {
        if (tok_is(&a->t, "FOR") && c->minutes == 0) {
            int mult;
            next(a);
            if (!parse_u64(a, &n, "a number of minutes after FOR"))
                return false;
            if (tok_is(&a->t, "MINUTE") || tok_is(&a->t, "MINUTES"))
                mult = 1;
            else if (tok_is(&a->t, "HOUR") || tok_is(&a->t, "HOURS"))
                mult = 60;
            else
                return unexpected(a, "MINUTES or HOURS");
            next(a);
            if (n > 527040 / (uint64_t)mult)
                return perr(a, "approval window too long (at most 366 days)");
            c->minutes = (int)n * mult;
        } else if ((tok_is(&a->t, "ONCE") || tok_is(&a->t, "WINDOW")) && c->once < 0) {
            c->once = tok_is(&a->t, "ONCE");
            next(a);
        } else {
            break;
        }
    }
    return expect_end(a);
}

static bool cmd_id(struct aparse *a, struct admin_cmd *c, enum admin_cmd_kind k, const char *what)
{
    if (!parse_u64(a, &c->id, what))
        return false;
    c->kind = k;
    return expect_end(a);
}

static bool cmd_deny(struct aparse *a, struct admin_cmd *c)
{
    return cmd_id(a, c, ADMIN_DENY, "a pending id after DENY (SHOW PENDING lists them)");
}

static bool cmd_cancel(struct aparse *a, struct admin_cmd *c)
{
    return cmd_id(a, c, ADMIN_CANCEL, "a queued DDL id after CANCEL (SHOW QUEUE lists them)");
}

static bool cmd_reload(struct aparse *a, struct admin_cmd *c)
{
    c->kind = ADMIN_RELOAD;
    return expect_end(a);
}

static bool cmd_help(struct aparse *a, struct admin_cmd *c)
{
    c->kind = ADMIN_HELP;
    /* the mysql client keeps a bare "help" for itself and sends
     * "help 'topic'" to the server: any one topic gets the list */
    if (a->t.kind == AT_STR || a->t.kind == AT_WORD)
        next(a);
    return expect_end(a);
}

/* USE db, BEGIN, COMMIT, ROLLBACK, START TRANSACTION: connection pools
 * send these; there is nothing to do */
static bool cmd_noop(struct aparse *a, struct admin_cmd *c)
{
    c->kind = ADMIN_SESSION_NOOP;
    for (int guard = 0; a->t.kind == AT_WORD || a->t.kind == AT_QID; guard++) {
        if (guard > 4)
            return unexpected(a, "end of command");
        next(a);
    }
    return expect_end(a);
}

/* ---- SELECT probes ------------------------------------------------------ */

static const char *const probe_funcs[] = {
    "database",    "schema",  "user",          "current_user", "session_user",
    "system_user", "version", "connection_id", NULL,
};

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static bool sel_expr(struct aparse *a, struct admin_sel_item *it)
{
    const struct atok t = a->t;
    char b[48];

    memset(it, 0, sizeof(*it));
    if (t.kind == AT_VAR) {
        const char *n = t.s + (t.len > 1 && t.s[1] == '@' ? 2 : 1);
        static const char *const scopes[] = {"session.", "global.", "local.", NULL};
        it->kind = t.s[1] == '@' ? ADMIN_SEL_VAR : ADMIN_SEL_NULL; /* @user_var is NULL */
        for (int i = 0; scopes[i]; i++) {
            size_t sl = strlen(scopes[i]);
            /* the query is not NUL-terminated: bound the compare */
            if ((size_t)(t.s + t.len - n) >= sl && strncasecmp(n, scopes[i], sl) == 0)
                n += sl;
        }
        if ((size_t)(t.s + t.len - n) >= sizeof(it->name) || n == t.s + t.len)
            return unexpected(a, "a variable name");
        memcpy(it->name, n, (size_t)(t.s + t.len - n));
        lower(it->name);
    } else if (t.kind == AT_NUM) {
        char num[20];
        if (t.len > 18)
            return unexpected(a, "a smaller number");
        memcpy(num, t.s, t.len); /* strtoll needs a terminated copy */
        num[t.len] = '\0';
        it->kind = ADMIN_SEL_INT;
        it->num = strtoll(num, NULL, 10);
    } else if (t.kind == AT_STR) {
        it->kind = ADMIN_SEL_STRING;
        if (!tok_text(&t, it->name, sizeof(it->name)))
            return unexpected(a, "a shorter string");
    } else if (tok_is(&t, "NULL")) {
        it->kind = ADMIN_SEL_NULL;
    } else if (t.kind == AT_WORD) {
        int i;
        if (t.len >= sizeof(it->name))
            return unexpected(a, "a function name");
        memcpy(it->name, t.s, t.len);
        it->name[t.len] = '\0';
        lower(it->name);
        for (i = 0; probe_funcs[i] && strcmp(probe_funcs[i], it->name) != 0; i++)
            ;
        if (!probe_funcs[i])
            return perr(a,
                        "the admin port answers only simple client probes in SELECT "
                        "(@@variables, DATABASE(), USER(), VERSION(), literals), not %s; %s",
                        tok_show(&t, b, sizeof(b)), accepted);
        if (strcmp(it->name, "schema") == 0)
            strcpy(it->name, "database");
        it->kind = ADMIN_SEL_FUNC;
        next(a);
        if (!tok_punct(&a->t, '('))
            return unexpected(a, "'(' after the function name");
        next(a);
        if (!tok_punct(&a->t, ')'))
            return unexpected(a, "')'");
    } else {
        return unexpected(a, "an expression after SELECT");
    }
    /* the column is named by the expression's text, as the server does */
    {
        size_t n = (size_t)(a->t.s + a->t.len - t.s);
        if (n >= sizeof(it->column))
            n = sizeof(it->column) - 1;
        memcpy(it->column, t.s, n);
        it->column[n] = '\0';
        if (it->kind == ADMIN_SEL_STRING)
            strcpy(it->column, it->name);
    }
    next(a);
    return true;
}

static bool sel_alias(struct aparse *a, struct admin_sel_item *it)
{
    bool as = tok_is(&a->t, "AS");

    if (as)
        next(a);
    if ((a->t.kind == AT_WORD && !tok_is(&a->t, "FROM") && !tok_is(&a->t, "LIMIT")) ||
        a->t.kind == AT_QID || (as && a->t.kind == AT_STR)) {
        if (!tok_text(&a->t, it->column, sizeof(it->column)))
            return unexpected(a, "a shorter alias");
        next(a);
    } else if (as) {
        return unexpected(a, "an alias after AS");
    }
    return true;
}

static bool cmd_select(struct aparse *a, struct admin_cmd *c)
{
    c->kind = ADMIN_SELECT;
    for (;;) {
        if (c->nitems == ADMIN_SEL_MAX)
            return perr(a, "too many expressions in SELECT (at most %d)", ADMIN_SEL_MAX);
        if (!sel_expr(a, &c->items[c->nitems]) || !sel_alias(a, &c->items[c->nitems]))
            return false;
        c->nitems++;
        if (!tok_punct(&a->t, ','))
            break;
        next(a);
    }
    if (tok_is(&a->t, "FROM")) {
        next(a);
        if (!tok_is(&a->t, "DUAL"))
            return perr(a, "the admin port has no tables; use SHOW RULES, SHOW PENDING ... (%s)",
                        accepted);
        next(a);
    }
    if (tok_is(&a->t, "LIMIT")) {
        uint64_t n = 0;
        next(a);
        if (a->t.kind == AT_NUM && a->t.len == 1 && a->t.s[0] == '0')
            next(a); /* LIMIT 0 */
        else if (!parse_u64(a, &n, "a number after LIMIT"))
            return false;
    }
    return expect_end(a);
}

/* ---- dispatch ----------------------------------------------------------- */

static const struct {
    const char *word;
    bool (*parse)(struct aparse *, struct admin_cmd *);
} verbs[] = {
    {"SHOW", cmd_show},  {"SET", cmd_set},       {"APPROVE", cmd_approve},
    {"DENY", cmd_deny},  {"CANCEL", cmd_cancel}, {"RELOAD", cmd_reload},
    {"HELP", cmd_help},  {"SELECT", cmd_select}, {"USE", cmd_noop},
    {"BEGIN", cmd_noop}, {"COMMIT", cmd_noop},   {"ROLLBACK", cmd_noop},
    {"START", cmd_noop},
};

bool admin_cmd_parse(const char *q, size_t len, struct admin_cmd *out, char *err, size_t errlen)
{
    struct aparse a = {.p = q, .end = q + len, .err = err, .errlen = errlen};
    char b[48];

    memset(out, 0, sizeof(*out));
    out->once = -1;
    if (err && errlen)
        err[0] = '\0';
    if (len > ADMIN_QUERY_MAX)
        return perr(&a, "admin command too long (at most %d bytes)", ADMIN_QUERY_MAX);
    next(&a);
    if (a.t.kind == AT_END || tok_punct(&a.t, ';'))
        return perr(&a, "empty command; %s", accepted);
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (tok_is(&a.t, verbs[i].word)) {
            next(&a);
            return verbs[i].parse(&a, out);
        }
    }
    return perr(&a, "unknown admin command %s; %s", tok_show(&a.t, b, sizeof(b)), accepted);
}

static const char *const kind_names[] = {
#define ADMIN_KIND_NAME(k, text) [k] = text,
    ADMIN_CMD_KINDS(ADMIN_KIND_NAME)
#undef ADMIN_KIND_NAME
};

const char *admin_cmd_kind_name(enum admin_cmd_kind k)
{
    return (unsigned)k < ADMIN_CMD_NKINDS ? kind_names[k] : "?";
}

/* ---- result columns ------------------------------------------------------ */

static const char *const cols_rules[] = {"id",   "name",    "mode",      "scope",
                                         "hits", "default", "configured"};
static const char *const cols_verdicts[] = {"seq",   "at",     "session",   "user",   "digest",
                                            "rules", "action", "algorithm", "parsed", "statement"};
static const char *const cols_sessions[] = {"id",    "client",         "user",  "schema",
                                            "state", "in_transaction", "since", "statement"};
static const char *const cols_pending[] = {"id",           "digest",  "rule",       "state",
                                           "requested_by", "created", "decided_by", "expires",
                                           "once",         "schema",  "statement"};
static const char *const cols_queue[] = {"id",       "session",  "user",          "table",
                                         "state",    "blockers", "waiting_since", "attempts",
                                         "statement"};
static const char *const cols_stats[] = {"name", "value", "description"};
static const char *const cols_config[] = {"section", "key", "value", "reloadable"};
static const char *const cols_backend[] = {"name", "value"};
static const char *const cols_warnings[] = {"Level", "Code", "Message"};
static const char *const cols_help[] = {"command", "what it does"};

#define ADMIN_COLS(a)                      \
    {                                      \
        a, (int)(sizeof(a) / sizeof(a[0])) \
    }
/* indexed by kind; kinds absent here answer OK/ERR (SELECT is built from
 * its items) */
static const struct {
    const char *const *names;
    int n;
} kind_columns[ADMIN_CMD_NKINDS] = {
    [ADMIN_SHOW_RULES] = ADMIN_COLS(cols_rules),
    [ADMIN_SHOW_VERDICTS] = ADMIN_COLS(cols_verdicts),
    [ADMIN_SHOW_SESSIONS] = ADMIN_COLS(cols_sessions),
    [ADMIN_SHOW_BACKEND] = ADMIN_COLS(cols_backend),
    [ADMIN_SHOW_PENDING] = ADMIN_COLS(cols_pending),
    [ADMIN_SHOW_QUEUE] = ADMIN_COLS(cols_queue),
    [ADMIN_SHOW_STATS] = ADMIN_COLS(cols_stats),
    [ADMIN_SHOW_CONFIG] = ADMIN_COLS(cols_config),
    [ADMIN_SHOW_WARNINGS] = ADMIN_COLS(cols_warnings),
    [ADMIN_HELP] = ADMIN_COLS(cols_help),
};

int admin_cmd_kind_columns(enum admin_cmd_kind k, const char *const **names)
{
    if ((unsigned)k >= ADMIN_CMD_NKINDS || !kind_columns[k].names) {
        *names = NULL;
        return 0;
    }
    *names = kind_columns[k].names;
    return kind_columns[k].n;
}

int admin_cmd_columns(const struct admin_cmd *c, const char **names, int max)
{
    const char *const *fixed;
    int n = 0, total;

    if (c->kind == ADMIN_SELECT) {
        for (; n < c->nitems && n < max; n++)
            names[n] = c->items[n].column;
        return n;
    }
    total = admin_cmd_kind_columns(c->kind, &fixed);
    for (; n < total && n < max; n++)
        names[n] = fixed[n];
    return n;
}

/* ---- log escaping -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most left bytes), 0 if none:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t cp;

    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1fu;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0fu;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07u;
    else
        return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

char *admin_cmd_escape(const char *in, size_t len, char *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0, i = 0;

    if (!outlen)
        return out;
    while (i < len) {
        size_t n = p[i] >= 0x80 ? utf8_seq(p + i, len - i) : 1;
        bool esc = n == 0 || p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\';
        size_t need = esc ? 4 : n;
        if (o + need >= outlen)
            break; /* cut at a whole character */
        if (esc) {
            snprintf(out + o, outlen - o, "\\x%02x", p[i]);
            i++;
        } else {
            memcpy(out + o, p + i, n);
            i += n;
        }
        o += need;
    }
    out[o] = '\0';
    return out;
}

static const struct {
    const char *syntax, *what;
} help_lines[] = {
    {"SHOW RULES", "every rule: id, name, mode in force, scope overrides, hits"},
    {"SHOW VERDICTS", "recent statements ddlgate stopped, rewrote or warned about"},
    {"SHOW SESSIONS", "client sessions"},
    {"SHOW BACKEND", "backend server: flavour, version, health"},
    {"SHOW PENDING", "statements waiting for approval (ids for APPROVE/DENY)"},
    {"SHOW QUEUE", "DDL waiting for its metadata lock (ids for CANCEL)"},
    {"SHOW STATS", "counters"},
    {"SHOW CONFIG", "configuration in force (secrets shown as ***)"},
    {"SET RULE <id> = <mode> [FOR <schema>[.<table>]]",
     "mode: off|warn|rewrite|approval|reject, or default (back to the configured mode)"},
    {"APPROVE <id> [FOR <n> MINUTES|HOURS] [ONCE|WINDOW]",
     "let a held statement through (ONCE: one run; WINDOW: any number until it expires)"},
    {"DENY <id>", "refuse a held statement"},
    {"CANCEL <id>", "cancel a queued DDL"},
    {"RELOAD", "re-read the configuration file, then the state file"},
    {"HELP | SHOW HELP", "this list (in the mysql client, type SHOW HELP: it keeps HELP)"},
};

bool admin_cmd_help_at(int i, const char **syntax, const char **what)
{
    if (i < 0 || i >= (int)(sizeof(help_lines) / sizeof(help_lines[0])))
        return false;
    *syntax = help_lines[i].syntax;
    *what = help_lines[i].what;
    return true;
}
