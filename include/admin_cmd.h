/*
 * admin_cmd.h - the admin port's command language, parsed into a struct
 * admin_cmd.  Parsing is separate from execution (admin.c): this module
 * reads text and never touches running state.
 *
 *   SHOW RULES | VERDICTS | SESSIONS | BACKEND | PENDING (APPROVALS) | QUEUE
 *        | STATS | CONFIG | WARNINGS
 *   SET RULE <id> = off|warn|rewrite|queue|approval|reject|default
 *            [FOR <schema>[.<table>|.*]]
 *   APPROVE <id> [FOR <n> MINUTE[S]|HOUR[S]] [ONCE|WINDOW]
 *   DENY <id> | CANCEL <id> | RELOAD | HELP ['topic'] | SHOW HELP
 * and what client libraries send on connect, answered harmlessly:
 *   SELECT @@var [AS x], DATABASE(), USER(), VERSION(), 1, 'x' ... [LIMIT n]
 *   SET NAMES / SET autocommit / SET [SESSION] var = ... , USE db,
 *   BEGIN / COMMIT / ROLLBACK / START TRANSACTION
 *
 * Keywords are case-insensitive; blanks, comments (-- , #, / * * /) and one
 * trailing ';' are ignored.  Rule ids are checked against the catalogue
 * (rules_parse_id), so "SET RULE DG999 = off" fails at parse time.
 */
#ifndef DDLGATE_ADMIN_CMD_H
#define DDLGATE_ADMIN_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

/* X(kind, text used by HELP / logs) */
#define ADMIN_CMD_KINDS(X)                                                          \
    X(ADMIN_SHOW_RULES, "SHOW RULES")                                               \
    X(ADMIN_SHOW_VERDICTS, "SHOW VERDICTS")                                         \
    X(ADMIN_SHOW_SESSIONS, "SHOW SESSIONS")                                         \
    X(ADMIN_SHOW_BACKEND, "SHOW BACKEND")                                           \
    X(ADMIN_SHOW_PENDING, "SHOW PENDING")                                           \
    X(ADMIN_SHOW_QUEUE, "SHOW QUEUE")                                               \
    X(ADMIN_SHOW_STATS, "SHOW STATS")                                               \
    X(ADMIN_SHOW_CONFIG, "SHOW CONFIG")                                             \
    X(ADMIN_SHOW_WARNINGS, "SHOW WARNINGS")                                         \
    X(ADMIN_SET_RULE, "SET RULE")                                                   \
    X(ADMIN_APPROVE, "APPROVE")                                                     \
    X(ADMIN_DENY, "DENY")                                                           \
    X(ADMIN_CANCEL, "CANCEL")                                                       \
    X(ADMIN_RELOAD, "RELOAD")                                                       \
    X(ADMIN_HELP, "HELP")                                                           \
    X(ADMIN_SELECT, "SELECT")                     /* client probes: answer items */ \
    X(ADMIN_SESSION_NOOP, "SET/USE/BEGIN/COMMIT") /* answer OK */

enum admin_cmd_kind {
#define ADMIN_KIND_ENUM(k, text) k,
    ADMIN_CMD_KINDS(ADMIN_KIND_ENUM)
#undef ADMIN_KIND_ENUM
    ADMIN_CMD_NKINDS
};

/* one expression of a client probe SELECT */
enum admin_sel_kind {
    ADMIN_SEL_VAR,    /* @@[session.|global.]name: name lower-cased, no prefix */
    ADMIN_SEL_FUNC,   /* DATABASE() ...: name lower-cased, "schema" -> "database" */
    ADMIN_SEL_INT,    /* integer literal */
    ADMIN_SEL_STRING, /* string literal (unquoted) or NULL */
    ADMIN_SEL_NULL,
};

#define ADMIN_SEL_MAX 32
#define ADMIN_NAME_MAX 65 /* MySQL identifiers: 64 characters */

struct admin_sel_item {
    enum admin_sel_kind kind;
    char name[ADMIN_NAME_MAX];   /* variable/function name, or string value */
    char column[ADMIN_NAME_MAX]; /* result column name: alias, else the text */
    int64_t num;
};

struct admin_cmd {
    enum admin_cmd_kind kind;
    /* SET RULE */
    uint16_t rule_id;
    enum rule_mode mode;
    bool mode_default;           /* "= default": back to the configured mode */
    char schema[ADMIN_NAME_MAX]; /* "" = global */
    char table[ADMIN_NAME_MAX];  /* "" = the whole schema */
    /* APPROVE / DENY / CANCEL */
    uint64_t id;
    int minutes; /* 0 = configured default (ddlgate.approval_minutes) */
    int once;    /* -1 = configured default, 0 = window, 1 = once */
    /* SELECT */
    int nitems;
    struct admin_sel_item items[ADMIN_SEL_MAX];
};

/* Longest admin query accepted: commands are short; a client must not make
 * us scan megabytes. */
#define ADMIN_QUERY_MAX 16384

/* Parse q (len bytes, need not be NUL-terminated).  On failure returns false
 * and writes a message naming what was wrong and what is accepted into err
 * (use DGE_ADMIN_SYNTAX).  Never allocates. */
bool admin_cmd_parse(const char *q, size_t len, struct admin_cmd *out, char *err, size_t errlen);

const char *admin_cmd_kind_name(enum admin_cmd_kind k);

/* The result columns a command answers with, shared by COM_QUERY and the
 * prepared-statement path (COM_STMT_PREPARE announces them before the
 * command runs).  Fills names[0..n) (static strings, or c->items[i].column
 * for SELECT: valid while *c lives) and returns n, at most max; 0 means the
 * command answers with OK or ERR, not a result set. */
#define ADMIN_MAX_COLS ADMIN_SEL_MAX /* SELECT probes have the most */
int admin_cmd_columns(const struct admin_cmd *c, const char **names, int max);
/* The same for a kind whose columns do not depend on the command's text
 * (every kind but SELECT): *names points at a static array; 0 for SELECT
 * and the kinds that answer OK/ERR. */
int admin_cmd_kind_columns(enum admin_cmd_kind k, const char *const **names);

/* Copy len bytes of client text into out (always NUL-terminated, cut to
 * outlen) for a log line: bytes below 0x20, 0x7f, '\\' and bytes that are
 * not part of valid UTF-8 are written as \xNN, so a client cannot forge
 * log lines or put raw control bytes into them.  Returns out. */
char *admin_cmd_escape(const char *in, size_t len, char *out, size_t outlen);

/* One line per command for HELP: returns false past the end. */
bool admin_cmd_help_at(int i, const char **syntax, const char **what);

#endif
