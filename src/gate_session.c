/*
 * gate_session.c - the session's lock_wait_timeout and rule DG030
 * (ddl-lock-wait-timeout).
 *
 * A DDL waits for its exclusive metadata lock for lock_wait_timeout
 * seconds, and while it waits every later statement on the table queues
 * behind it.  The server default is a year (MySQL) or a day (MariaDB), so a
 * DDL sent on a session nobody tuned can stall a table for that long.  The
 * proxy tracks what the client SET (pipeline.c) and the DDL queue runs the
 * DDL with the cap; lint tracks the SETs of a migration file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate.h"
#include "gate_rules.h"
#include "sql_lex.h"

int64_t gate_lock_wait_default(const struct sql_server *srv)
{
    return srv->flavour == SQL_FLAVOUR_MARIADB ? 86400 : 31536000;
}

static bool gls_word(const char *text, const struct lex_tok *t, const char *w)
{
    size_t n = strlen(w);
    return t->type == LEX_IDENT && t->len == n && strncasecmp(text + t->off, w, n) == 0;
}

/* the variable name of one assignment: *global when it is not the session's */
static bool gls_name(struct lex *lx, const char *text, struct lex_tok *t, const char **name,
                     size_t *nlen, bool *global)
{
    *global = false;
    if (t->type == LEX_IDENT &&
        (t->kw == KW_GLOBAL || gls_word(text, t, "PERSIST") || gls_word(text, t, "PERSIST_ONLY"))) {
        *global = true;
        if (!lex_next(lx, t))
            return false;
    } else if (t->type == LEX_IDENT && (t->kw == KW_SESSION || t->kw == KW_LOCAL)) {
        if (!lex_next(lx, t))
            return false;
    }
    if (t->type == LEX_SYSVAR) {
        const char *p = text + t->off + 2; /* after "@@" */
        size_t n = t->len - 2;
        static const char *const scopes[] = {"session.", "local.", "global.", "persist.",
                                             "persist_only."};
        for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
            size_t sl = strlen(scopes[i]);
            if (n > sl && strncasecmp(p, scopes[i], sl) == 0) {
                *global = i >= 2;
                p += sl;
                n -= sl;
                break;
            }
        }
        *name = p;
        *nlen = n;
        return true;
    }
    if (t->type == LEX_IDENT || t->type == LEX_QIDENT) {
        *name = text + t->off + (t->type == LEX_QIDENT);
        *nlen = t->len - (t->type == LEX_QIDENT ? 2u : 0u);
        return true;
    }
    return false; /* @user_var, NAMES, ... : not a system variable */
}

/* The value of one assignment, up to the next top-level comma (or, in a
 * SET STATEMENT list, the FOR that ends it): 1 read, -1 an expression.
 * *span: the value as written.  *more: a comma followed (another
 * assignment); *at_for: the list ended at FOR. */
static int gls_value(struct lex *lx, const char *text, bool stmt_list, int64_t *v,
                     struct sql_span *span, bool *more, bool *at_for)
{
    struct lex_tok t;
    int ntok = 0, depth = 0, r = -1;

    *more = *at_for = false;
    span->off = lx->pos;
    span->len = 0;
    while (lex_next(lx, &t) && t.type != LEX_EOF) {
        if (t.type == LEX_OP && t.op == ';' && depth == 0)
            break;
        if (t.type == LEX_OP && t.op == ',' && depth == 0) {
            *more = true;
            break;
        }
        if (stmt_list && depth == 0 && t.type == LEX_IDENT && t.kw == KW_FOR) {
            *at_for = true;
            break;
        }
        if (t.type == LEX_OP && t.op == '(')
            depth++;
        else if (t.type == LEX_OP && t.op == ')' && depth > 0)
            depth--;
        if (ntok == 0)
            span->off = t.off;
        span->len = t.off + t.len - span->off;
        if (++ntok > 1)
            continue;
        if (t.type == LEX_NUMBER) {
            char buf[24];
            size_t n = t.len < sizeof buf - 1 ? t.len : sizeof buf - 1;
            memcpy(buf, text + t.off, n);
            buf[n] = '\0';
            char *end;
            long long x = strtoll(buf, &end, 10);
            if (*end == '\0') {
                *v = x < 1 ? 1 : x; /* the server clamps to 1 */
                r = 1;
            }
        } else if (t.type == LEX_IDENT && t.kw == KW_DEFAULT) {
            *v = 0;
            r = 1;
        }
    }
    return ntok == 1 ? r : -1;
}

/* One assignment list, the lexer just past SET (or SET STATEMENT): what
 * gate_lock_wait_set() answers, *span the value of the last session
 * lock_wait_timeout assignment; *at_for as gls_value(). */
static int gls_list(struct lex *lx, const char *text, bool stmt_list, int64_t *seconds,
                    struct sql_span *span, bool *at_for)
{
    struct lex_tok t;
    int found = 0;

    *at_for = false;
    for (int i = 0; i < 256; i++) { /* assignments, bounded */
        const char *name;
        size_t nlen;
        bool global, more;
        struct sql_span vs;
        if (!lex_next(lx, &t) || (!stmt_list && gls_word(text, &t, "STATEMENT")))
            return found;
        if (!gls_name(lx, text, &t, &name, &nlen, &global) || !lex_next(lx, &t) ||
            t.type != LEX_OP || (t.op != '=' && t.op != LEX_OP_ASSIGN))
            return found;
        int64_t v = 0;
        int r = gls_value(lx, text, stmt_list, &v, &vs, &more, at_for);
        if (!global && nlen == 17 && strncasecmp(name, "lock_wait_timeout", 17) == 0) {
            found = r;
            *seconds = v;
            *span = vs;
        }
        if (!more)
            break;
    }
    return found;
}

int gate_lock_wait_set(const struct sql_parse_opts *opts, const char *text, size_t len,
                       int64_t *seconds)
{
    struct lex lx;
    struct lex_tok t;
    struct sql_span vs;
    bool at_for;

    lex_init(&lx, text, len, opts);
    if (!lex_next(&lx, &t) || t.type != LEX_IDENT || t.kw != KW_SET)
        return 0;
    return gls_list(&lx, text, false, seconds, &vs, &at_for);
}

/* The lock_wait_timeout a SET STATEMENT prefix gives its statement, as
 * gate_lock_wait_set() answers; *span: where the value is written (the
 * innermost prefix that sets it wins, as on the server). */
static int gls_statement(const struct sql_parse_opts *opts, const char *text,
                         const struct sql_stmt *st, int64_t *seconds, struct sql_span *span)
{
    struct lex lx;
    struct lex_tok t;
    int found = 0;

    /* lexed up to the statement body: a prefix inside an executable
     * comment ends with it */
    lex_init(&lx, text, st->body_off, opts);
    lx.pos = st->set_statement.off;
    for (int i = 0; i < 64; i++) { /* nested prefixes, bounded */
        bool at_for;
        int64_t v = 0;
        struct sql_span vs;
        if (!lex_next(&lx, &t) || t.type != LEX_IDENT || t.kw != KW_SET || !lex_next(&lx, &t) ||
            !gls_word(text, &t, "STATEMENT"))
            break;
        int r = gls_list(&lx, text, true, &v, &vs, &at_for);
        if (r != 0) {
            found = r;
            *seconds = v;
            *span = vs;
        }
        if (!at_for)
            break;
    }
    return found;
}

/* DG030: a DDL that needs an exclusive metadata lock on a session whose
 * lock_wait_timeout is above the cap.  In rewrite mode the verdict carries
 * the cap: the proxy's DDL queue runs the DDL with it, lint prepends a SET. */
void gate_rules_lock_wait(struct gate_ctx *c, struct gate_verdict *v)
{
    const struct gate_session *s = c->sess;
    const struct sql_stmt *st = c->st;
    int64_t lwt = s ? s->lock_wait_timeout_s : 0, given = 0;
    struct sql_span val = {0, 0};
    int r = 0;

    if (!s || s->lock_wait_cap_s <= 0)
        return;
    /* SET STATEMENT lock_wait_timeout=N FOR <DDL> overrides the session's
     * value for this statement: judged by it, and capped in the text (a
     * session cap from the DDL queue would not reach it) */
    if (st->set_statement.len)
        r = gls_statement(c->opts, c->text, st, &given, &val);
    if (r > 0)
        lwt = given > 0 ? given : gate_lock_wait_default(&c->opts->server);
    if (r >= 0 && lwt <= s->lock_wait_cap_s) /* r < 0: an expression, capped anyway */
        return;
    bool fired =
        r < 0 ? gate_fire(c, 30,
                          "sets lock_wait_timeout for the statement to %.*s, which "
                          "ddlgate cannot evaluate; ddlgate caps it at %d s",
                          (int)(val.len > 64 ? 64 : val.len), c->text + val.off, s->lock_wait_cap_s)
              : gate_fire(c, 30,
                          "would wait up to %lld s for its metadata lock (the %s "
                          "lock_wait_timeout), stalling every statement on the table "
                          "meanwhile; ddlgate caps it at %d s",
                          (long long)lwt, r > 0 ? "statement's" : "session's", s->lock_wait_cap_s);
    if (!fired)
        return;
    struct gate_fire *f = gate_fired(c, 30);
    if (!f || f->mode != RULE_REWRITE)
        return;
    if (r == 0) {
        v->lock_wait_cap_s = s->lock_wait_cap_s;
        return;
    }
    char cap[16];
    snprintf(cap, sizeof cap, "%d", s->lock_wait_cap_s);
    if (!val.len || !gate_add_edit(c, val.off, val.len, cap))
        f->no_rewrite = true;
}
