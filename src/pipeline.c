/*
 * pipeline.c - the statement hook (see pipeline.h).  Runs on the session's
 * worker thread; the parse scratch (worker->script) is reused, so a plain
 * statement costs one lexer/parser pass and no allocation.
 */
#include "pipeline.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "pkt.h"
#include "session.h"
#include "sql_lex.h"
#include "tablecache.h"
#include "verdicts.h"
#include "worker.h"

/* "USE db" changes the session schema once the server says OK.  Only the
 * simple form is followed; CLIENT_SESSION_TRACK reports the rest. */
static void note_use(struct session *s, const char *text, size_t len,
                     const struct sql_parse_opts *opts)
{
    struct lex lx;
    struct lex_tok t;

    lex_init(&lx, text, len, opts);
    if (!lex_next(&lx, &t) || t.type != LEX_IDENT || t.kw != KW_USE)
        return;
    if (!lex_next(&lx, &t) || (t.type != LEX_IDENT && t.type != LEX_QIDENT))
        return;
    const char *p = text + t.off;
    size_t n = t.len;
    if (t.type == LEX_QIDENT && n >= 2) {
        p++;
        n -= 2;
    }
    if (n >= sizeof(s->pending_schema))
        return;
    memcpy(s->pending_schema, p, n);
    s->pending_schema[n] = '\0';
    s->pending_use_schema = true;
}

enum pipeline_decision pipeline_check(struct session *s, uint8_t cmd, const char *text,
                                      size_t len, struct gate_verdict *v)
{
    struct worker *w = s->worker;
    struct sql_parse_opts opts;
    struct gate_session gs;
    struct gate_tables tables = {tablecache_lookup, NULL};

    memset(&opts, 0, sizeof(opts));
    opts.server = s->server;
    opts.default_schema = s->schema[0] ? s->schema : NULL;
    memset(&gs, 0, sizeof(gs));
    gs.user = s->user;
    gs.schema = opts.default_schema;
    gs.in_transaction = s->in_transaction;
    gs.session_id = s->id;

    gate_check(&opts, &gs, &tables, text, len, &w->script, v);

    bool ddl = false;
    for (int i = 0; i < w->script.nstmts; i++) {
        const struct sql_stmt *st = &w->script.stmts[i];
        if (!st->parsed)
            w->stats.unparsed++;
        if (st->kind == SQL_KIND_DDL) {
            ddl = true;
            tablecache_invalidate_stmt(st);
        }
    }
    if (ddl)
        w->stats.ddl++;
    if (cmd == COM_QUERY && w->script.nstmts == 1 && w->script.stmts[0].kind == SQL_KIND_OTHER)
        note_use(s, text, len, &opts);

    if (v->action != GATE_PASS || ddl)
        verdicts_record(s->id, s->user, text, len, v);

    switch (v->action) {
    case GATE_PASS:
        return PIPELINE_FORWARD;
    case GATE_WARN:
        w->stats.warned++;
        log_info("C-%llu %s: warn %s: %.*s", (unsigned long long)s->id, s->user,
                 v->message[0] ? v->message : "rule warning", (int)(len > 200 ? 200 : len), text);
        return PIPELINE_FORWARD;
    case GATE_REWRITE:
        w->stats.rewritten++;
        log_info("C-%llu %s: rewrite: %.*s", (unsigned long long)s->id, s->user,
                 (int)(v->rewritten_len > 300 ? 300 : v->rewritten_len), v->rewritten);
        return PIPELINE_REWRITE;
    case GATE_APPROVAL:
        w->stats.held_for_approval++;
        log_info("C-%llu %s: needs approval: %s", (unsigned long long)s->id, s->user, v->message);
        return PIPELINE_REFUSE;
    case GATE_REJECT:
        w->stats.rejected++;
        log_info("C-%llu %s: reject: %s", (unsigned long long)s->id, s->user, v->message);
        return PIPELINE_REFUSE;
    }
    return PIPELINE_FORWARD;
}

void pipeline_command_done(struct session *s)
{
    (void)s;
}

void pipeline_abandon(struct session *s)
{
    (void)s;
}
