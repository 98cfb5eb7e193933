/*
 * pipeline.c - the statement hook (see pipeline.h) and the session side of
 * the DDL queue (mdlqueue.h).  Runs on the session's worker thread; the
 * parse scratch (worker->script) is reused, so a plain statement costs one
 * lexer/parser pass and no allocation.
 *
 * Metadata-lock bookkeeping: the tables a statement touches are noted when
 * it is checked (cur_keys); when its answer ends inside a transaction (or
 * under LOCK TABLES) they are registered as held by the session, and when
 * the transaction ends they are released.
 */
#include "pipeline.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "errors.h"
#include "log.h"
#include "mdlqueue.h"
#include "monitor.h"
#include "pkt.h"
#include "session.h"
#include "session_int.h"
#include "sql_lex.h"
#include "tablecache.h"
#include "verdicts.h"
#include "worker.h"

static struct session *find_session(struct worker *w, uint64_t sid)
{
    for (struct session *s = w->sessions; s; s = s->next)
        if (s->id == sid && s->state != SESS_CLOSING)
            return s;
    return NULL;
}

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

/* Room for one more key in a session's key array (doubling from `first`,
 * at most `max`).  Arrays grow to the largest use and stay: no allocation
 * per statement. */
static bool keys_room(char (**keys)[160], int n, int *cap, int first, int max)
{
    if (n < *cap)
        return true;
    int ncap = *cap ? *cap * 2 : first;
    char(*nk)[160];
    if (ncap > max || !(nk = realloc(*keys, (size_t)ncap * sizeof(*nk))))
        return false;
    *keys = nk;
    *cap = ncap;
    return true;
}

/* Add a table to the statement in flight's (no duplicates). */
static void cur_key_add(struct session *s, const char *key)
{
    for (int k = 0; k < s->ncur_keys; k++)
        if (strcmp(s->cur_keys[k], key) == 0)
            return;
    if (!keys_room(&s->cur_keys, s->ncur_keys, &s->cur_keys_cap, 4, SESS_MAX_CUR_KEYS)) {
        sess_log(s, LOG_DEBUG, "statement has more tables than tracked (%d): %s", s->cur_keys_cap,
                 key);
        return;
    }
    mdlq_key_copy(s->cur_keys[s->ncur_keys++], key);
}

/* Remember the tables of the statement(s) being sent. */
static void note_tables(struct session *s, const struct sql_script *sc)
{
    s->ncur_keys = 0;
    for (int i = 0; i < sc->nstmts; i++) {
        const struct sql_stmt *st = &sc->stmts[i];
        for (int j = 0; j < st->ntables; j++) {
            char key[MDLQ_KEY_MAX];
            if (st->tables[j].name.name &&
                mdlq_key(key, st->tables[j].name.schema, st->tables[j].name.name))
                cur_key_add(s, key);
        }
        if (st->ddl == SQL_DDL_LOCK_TABLES)
            s->locked_tables = true; /* confirmed by the OK; undone by UNLOCK */
        else if (st->ddl == SQL_DDL_UNLOCK_TABLES)
            s->locked_tables = false;
    }
}

static bool txn_has(struct session *s, const char *key);
static bool hold_key_unless_fenced(struct session *s, const char *key);

/* Is the statement part of a transaction that stays open after it? */
static bool in_txn(const struct session *s)
{
    return s->in_transaction || s->locked_tables || !s->autocommit;
}

/* A statement waits behind a fence only if its session does not already
 * hold the table: a transaction the DDL waits for must be able to finish.
 * Returns the statement's first fenced table, or NULL. */
static const char *fenced_key(struct session *s)
{
    for (int i = 0; i < s->ncur_keys; i++)
        if (!txn_has(s, s->cur_keys[i]) && mdlq_fenced(s->cur_keys[i], in_txn(s)))
            return s->cur_keys[i];
    return NULL;
}

/* Should the statement about to be sent wait at a fence?  Inside a
 * transaction its new tables are registered as held in the same step, before
 * it is sent: a DDL whose fence goes up meanwhile then waits for this
 * transaction to end (the drain) instead of being sent while this statement
 * runs - after which the transaction's next statement on the table would ask
 * for a lock the waiting DDL blocks (a server-side deadlock, error 1213). */
static bool must_wait_at_fence(struct session *s)
{
    bool txn = in_txn(s);

    for (int i = 0; i < s->ncur_keys; i++) {
        const char *key = s->cur_keys[i];
        if (txn_has(s, key))
            continue;
        if (txn ? !hold_key_unless_fenced(s, key) : mdlq_fenced(key, false))
            return true;
    }
    return false;
}

static bool hold_text(struct session *s, const char *text, size_t len)
{
    s->held_text = malloc(len ? len : 1);
    if (!s->held_text)
        return false;
    memcpy(s->held_text, text, len);
    s->held_len = len;
    return true;
}

void pipeline_hold_fence(struct session *s)
{
    const char *key = fenced_key(s);

    s->hold = HOLD_FENCE;
    /* no fence left: mdlq_wait_fence() posts the release at once */
    mdlq_wait_fence(s->worker, s->id, key ? key : s->ncur_keys ? s->cur_keys[0] : "", in_txn(s));
}

static void queue_full_verdict(struct gate_verdict *v)
{
    v->err_code = DGE_QUEUE_FULL;
    snprintf(v->sqlstate, sizeof(v->sqlstate), "%s", dg_error_sqlstate(DGE_QUEUE_FULL));
    snprintf(v->message, sizeof(v->message),
             "ddlgate: the DDL queue is full (%d statements wait); this DDL was not sent, the "
             "table is unchanged: retry later",
             MDLQ_MAX_QUEUE);
}

/* A DDL that needs an exclusive metadata lock waits in the queue.  text is
 * what will be sent, shown what SHOW QUEUE shows (the prepared statement
 * behind an EXECUTE). */
/* Queue the session's DDL on the tables of the statement in flight (the
 * first MDLQ_MAX_KEYS); the entry id, 0 when the queue refused it. */
static uint64_t enqueue_cur(struct session *s, const char *shown, size_t shown_len)
{
    const char *keys[MDLQ_MAX_KEYS];
    int n = 0;

    for (int i = 0; i < s->ncur_keys && n < MDLQ_MAX_KEYS; i++)
        keys[n++] = s->cur_keys[i];
    if (s->ncur_keys > n)
        sess_log(s, LOG_INFO, "queue: DDL on %d tables waits for the first %d only", s->ncur_keys,
                 n);
    s->mdlq_id =
        mdlq_enqueue(s->worker, s->id, s->server_conn_id, s->user, keys, n, shown, shown_len);
    return s->mdlq_id;
}

static enum pipeline_decision queue_ddl(struct session *s, const char *text, size_t len,
                                        const char *shown, size_t shown_len, bool instant,
                                        struct gate_verdict *v)
{
    if (s->ncur_keys == 0 || !hold_text(s, text, len))
        return PIPELINE_FORWARD;
    if (!enqueue_cur(s, shown, shown_len)) {
        /* never sent unqueued: that is the pile-up the queue exists to avoid */
        free(s->held_text);
        s->held_text = NULL;
        queue_full_verdict(v);
        return PIPELINE_REFUSE;
    }
    mdlq_set_instant(s->mdlq_id, instant);
    s->hold = HOLD_DDL;
    return PIPELINE_HOLD;
}

/* Will the server run this DDL with ALGORITHM=INSTANT?  The classifier's
 * best is INSTANT and the statement asks for no other algorithm (DEFAULT
 * picks the best), or it asks for INSTANT (the server refuses it if not). */
static bool runs_instant(const struct sql_stmt *st, const struct gate_verdict *v)
{
    enum sql_algorithm asked = st->alter.algorithm;

    if (asked == SQL_ALG_INSTANT)
        return true;
    return v->algorithm == SQL_ALG_INSTANT && (asked == SQL_ALG_NONE || asked == SQL_ALG_DEFAULT);
}

/* Cheap look at the first keyword: could this text be DDL?  Only then is
 * it parsed ahead of the gate (the gate parses again: DDL is rare). */
static bool maybe_ddl(const char *text, size_t len, const struct sql_parse_opts *opts)
{
    struct lex lx;
    struct lex_tok t;

    lex_init(&lx, text, len, opts);
    if (!lex_next(&lx, &t) || t.type != LEX_IDENT)
        return false;
    lex_skip_set_statement(&lx, &t); /* SET STATEMENT ... FOR <DDL> */
    if (t.type != LEX_IDENT)
        return false;
    switch (t.kw) {
    case KW_ALTER:
    case KW_CREATE:
    case KW_DROP:
    case KW_RENAME:
    case KW_TRUNCATE:
    case KW_OPTIMIZE:
    case KW_ANALYZE:
    case KW_REPAIR:
        return true;
    default:
        return false;
    }
}

/* The table a DDL statement changes, NULL when none. */
static const struct sql_name *ddl_target(const struct sql_stmt *st)
{
    if (st->alter.table.name)
        return &st->alter.table;
    if (st->ntables > 0)
        return &st->tables[0].name;
    return NULL;
}

void pipeline_facts_ready(struct worker *w, uint64_t sid)
{
    struct session *s = find_session(w, sid);

    if (!s || s->state != SESS_HELD || s->hold != HOLD_NONE) {
        if (s)
            sess_log(s, LOG_WARN, "table definition arrived in state %s (hold %d): ignored",
                     sess_state_name(s->state), (int)s->hold);
        return;
    }
    sess_log(s, LOG_DEBUG, "table definition known: judging the statement again");
    session_set_state(s, SESS_IDLE);
    client_process(s); /* judged again, now with the table's definition */
}

/* ---- SQL-level prepared statements ---------------------------------------------------- */

enum sqlprep_kind {
    SQLP_NONE = 0,
    SQLP_PREPARE,    /* PREPARE name FROM 'text' | @var */
    SQLP_EXECUTE,    /* EXECUTE name [USING ...] */
    SQLP_DEALLOCATE, /* DEALLOCATE | DROP PREPARE name */
    SQLP_IMMEDIATE,  /* EXECUTE IMMEDIATE 'text' (MariaDB) */
};

struct sqlprep {
    enum sqlprep_kind kind;
    char name[65];
    bool literal;              /* PREPARE ... FROM one string literal */
    uint32_t lit_off, lit_len; /* that token (introducer and quotes included) */
};

static bool sqlprep_word(const char *text, const struct lex_tok *t, const char *w)
{
    size_t n = strlen(w);
    return t->type == LEX_IDENT && t->len == n && strncasecmp(text + t->off, w, n) == 0;
}

/* KILL [HARD | SOFT] QUERY <thread>: the thread id, else 0.  Clients send it
 * on a second connection to interrupt a statement (the CLI's Ctrl-C, a
 * driver's query timeout). */
static uint32_t kill_query_target(const char *text, size_t len, const struct sql_parse_opts *opts)
{
    struct lex lx;
    struct lex_tok t;

    if (len < 12 || (text[0] != 'k' && text[0] != 'K' && text[0] != ' ' && text[0] != '/'))
        return 0;
    lex_init(&lx, text, len, opts);
    if (!lex_next(&lx, &t) || t.type != LEX_IDENT || t.kw != KW_KILL || !lex_next(&lx, &t))
        return 0;
    if ((sqlprep_word(text, &t, "HARD") || sqlprep_word(text, &t, "SOFT")) && !lex_next(&lx, &t))
        return 0;
    if (!sqlprep_word(text, &t, "QUERY") || !lex_next(&lx, &t) || t.type != LEX_NUMBER ||
        t.len > 10)
        return 0;
    char num[12];
    memcpy(num, text + t.off, t.len);
    num[t.len] = '\0';
    char *end;
    unsigned long id = strtoul(num, &end, 10);
    return *end == '\0' && id <= UINT32_MAX ? (uint32_t)id : 0;
}

/* Is this COM_QUERY text a PREPARE / EXECUTE / DEALLOCATE PREPARE?  One
 * token's look for everything else. */
static bool sqlprep_look(const char *text, size_t len, const struct sql_parse_opts *opts,
                         struct sqlprep *sp)
{
    struct lex lx;
    struct lex_tok t;

    memset(sp, 0, sizeof(*sp));
    lex_init(&lx, text, len, opts);
    if (!lex_next(&lx, &t) || t.type != LEX_IDENT)
        return false;
    lex_skip_set_statement(&lx, &t); /* SET STATEMENT ... FOR EXECUTE IMMEDIATE ... */
    if (t.kw == KW_PREPARE)
        sp->kind = SQLP_PREPARE;
    else if (t.kw == KW_EXECUTE)
        sp->kind = SQLP_EXECUTE;
    else if (t.kw == KW_DEALLOCATE || t.kw == KW_DROP)
        sp->kind = SQLP_DEALLOCATE;
    else
        return false;
    if (sp->kind == SQLP_DEALLOCATE && (!lex_next(&lx, &t) || !sqlprep_word(text, &t, "PREPARE")))
        return false;
    if (!lex_next(&lx, &t) || (t.type != LEX_IDENT && t.type != LEX_QIDENT))
        return false;
    uint32_t q = t.type == LEX_QIDENT;
    if (t.len - 2 * q >= sizeof(sp->name))
        return false;
    memcpy(sp->name, text + t.off + q, t.len - 2 * q);
    sp->name[t.len - 2 * q] = '\0';
    if (sp->kind == SQLP_EXECUTE && !q && strcasecmp(sp->name, "IMMEDIATE") == 0)
        sp->kind = SQLP_IMMEDIATE; /* the text follows at once */
    else if (sp->kind != SQLP_PREPARE)
        return true;
    else if (!lex_next(&lx, &t) || t.type != LEX_IDENT || t.kw != KW_FROM)
        return false;
    if (!lex_next(&lx, &t))
        return true;
    struct lex_tok lit = t;
    /* one literal and nothing after it but EXECUTE IMMEDIATE's USING ('a' 'b'
     * concatenation: not seen, the gate refuses it as dynamic SQL) */
    if (t.type == LEX_STRING && !(t.flags & LEXF_UNTERMINATED) &&
        (!lex_next(&lx, &t) || t.type == LEX_EOF || (t.type == LEX_OP && t.op == ';') ||
         (sp->kind == SQLP_IMMEDIATE && sqlprep_word(text, &t, "USING")))) {
        sp->literal = true;
        sp->lit_off = lit.off;
        sp->lit_len = lit.len;
    }
    return true;
}

/* The value of a string literal token (malloc'ed, NUL-terminated). */
static char *sqlprep_unescape(const char *tok, size_t n, bool no_bs, size_t *out_len)
{
    size_t i = 0;
    while (i < n && tok[i] != '\'' && tok[i] != '"') /* _utf8mb4'..', N'..' */
        i++;
    if (i + 2 > n || tok[n - 1] != tok[i])
        return NULL;
    char q = tok[i++], *out = malloc(n + 1);
    size_t o = 0, end = n - 1;
    if (!out)
        return NULL;
    while (i < end) {
        char c = tok[i];
        if (c == '\\' && !no_bs && i + 1 < end) {
            static const char from[] = "0bnrtZ", to[] = {0, '\b', '\n', '\r', '\t', 26};
            char e = tok[i + 1];
            const char *k = strchr(from, e);
            if (e == '%' || e == '_') /* kept with the backslash (LIKE patterns) */
                out[o++] = '\\', out[o++] = e;
            else
                out[o++] = k && e ? to[k - from] : e;
            i += 2;
        } else if (c == q && i + 1 < end && tok[i + 1] == q) {
            out[o++] = q;
            i += 2;
        } else {
            out[o++] = c;
            i++;
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* text with the literal at [off, off+olen) replaced by 'repl' quoted */
static char *sqlprep_splice(const char *text, size_t len, uint32_t off, uint32_t olen,
                            const char *repl, size_t rlen, bool no_bs, size_t *out_len)
{
    char *out = malloc(len + 2 * rlen + 3);
    size_t o = 0;
    if (!out)
        return NULL;
    memcpy(out, text, off);
    o = off;
    out[o++] = '\'';
    for (size_t i = 0; i < rlen; i++) {
        if (repl[i] == '\'' || (repl[i] == '\\' && !no_bs))
            out[o++] = repl[i] == '\'' ? '\'' : '\\';
        out[o++] = repl[i];
    }
    out[o++] = '\'';
    memcpy(out + o, text + off + olen, len - off - olen);
    o += len - off - olen;
    *out_len = o;
    return out;
}

static void prep_free(struct sess_prep *p)
{
    free(p->keys);
    free(p->text);
    free(p->name);
    memset(p, 0, sizeof(*p));
}

static struct sess_prep *prep_named(struct session *s, const char *name)
{
    for (int i = 0; i < s->npreps; i++)
        if (s->preps[i].name && strcasecmp(s->preps[i].name, name) == 0)
            return &s->preps[i];
    return NULL;
}

static void prep_drop_at(struct session *s, int i)
{
    prep_free(&s->preps[i]);
    s->preps[i] = s->preps[--s->npreps];
}

/* The statement being prepared: its tables, and the text when it is DDL
 * or needed an approval (kept until the server answers the PREPARE).  v is
 * the prepare's verdict (NULL: none): a statement an approval let through
 * needs one at every execute. */
static void prep_note(struct session *s, const char *name, bool ddl, const char *text, size_t len,
                      const struct gate_verdict *v)
{
    struct sess_prep *p = &s->prep_pending;
    bool gated = v && v->approval_key && v->action != GATE_APPROVAL && text;

    prep_free(p);
    if (s->ncur_keys > 0 && (p->keys = malloc((size_t)s->ncur_keys * sizeof(*p->keys)))) {
        p->nkeys = s->ncur_keys;
        memcpy(p->keys, s->cur_keys, (size_t)p->nkeys * sizeof(*p->keys));
    }
    p->ddl = ddl && p->nkeys > 0;
    if ((p->ddl || gated) && (p->text = malloc(len + 1)) != NULL) {
        memcpy(p->text, text, len);
        p->text[len] = '\0';
        p->text_len = len;
    }
    p->ddl = p->ddl && p->text;
    if (gated) {
        /* without its text (out of memory) the execute is still gated */
        p->approval_key = v->approval_key;
        p->approval_rule = v->approval_rule;
        p->approval_digest = v->digest;
        snprintf(p->approval_schema, sizeof(p->approval_schema), "%s", s->schema);
    }
    p->name = name ? strdup(name) : NULL;
    s->prep_pending_set = !name || p->name;
}

/* Move the pending statement into the session's list (the server said OK). */
static void prep_commit(struct session *s, uint32_t stmt_id)
{
    struct sess_prep *p = &s->prep_pending;

    if (p->name) {
        for (int i = 0; i < s->npreps; i++) /* re-PREPARE replaces */
            if (s->preps[i].name && strcasecmp(s->preps[i].name, p->name) == 0) {
                prep_drop_at(s, i);
                break;
            }
    }
    if (s->npreps == s->preps_cap) {
        int cap = s->preps_cap ? s->preps_cap * 2 : 8;
        struct sess_prep *np = realloc(s->preps, (size_t)cap * sizeof(*np));
        if (!np) {
            prep_free(p);
            s->prep_pending_set = false;
            return;
        }
        s->preps = np;
        s->preps_cap = cap;
    }
    p->stmt_id = stmt_id;
    s->preps[s->npreps++] = *p; /* ownership of text and name moves */
    memset(p, 0, sizeof(*p));
    s->prep_pending_set = false;
}

/* ---- the statement hook ---------------------------------------------------------------- */

/* Session facts for the gate; DG030's cap costs a configuration look, so
 * only a text that may be DDL pays it. */
static void session_facts(struct session *s, bool maybe, struct gate_session *gs)
{
    memset(gs, 0, sizeof(*gs));
    gs->user = s->user;
    gs->schema = s->schema[0] ? s->schema : NULL;
    gs->in_transaction = s->in_transaction;
    gs->session_id = s->id;
    if (!maybe)
        return;
    gs->lock_wait_timeout_s = s->lwt_s > 0    ? s->lwt_s
                              : s->lwt_s == 0 ? gate_lock_wait_default(&s->server)
                                              : 0; /* unknown: DG030 cannot judge */
    const struct conf *c = conf_acquire();
    gs->lock_wait_cap_s = c->lock_wait_timeout_s;
    conf_release(c);
}

/* SET ... lock_wait_timeout: applied when the server says OK. */
static void note_lock_wait(struct session *s, const char *text, const struct sql_script *sc,
                           const struct sql_parse_opts *opts)
{
    for (int i = 0; i < sc->nstmts; i++) {
        const struct sql_stmt *st = &sc->stmts[i];
        int64_t v = 0;
        int r;
        if (st->kind != SQL_KIND_SET ||
            (r = gate_lock_wait_set(opts, text + st->span.off, st->span.len, &v)) == 0)
            continue;
        s->lwt_pending = r > 0 ? v : -1;
        s->lwt_pending_set = true;
    }
}

/* The gate's answer -> what the session does; counted and logged. */
static enum pipeline_decision decide(struct session *s, const char *text, size_t len,
                                     struct gate_verdict *v)
{
    struct worker *w = s->worker;
    enum pipeline_decision d = PIPELINE_FORWARD;

    switch (v->action) {
    case GATE_PASS:
        break;
    case GATE_WARN:
        w->stats.warned++;
        break;
    case GATE_REWRITE:
        w->stats.rewritten++;
        /* DG030 alone rewrites no text: the DDL queue caps lock_wait_timeout */
        d = v->rewritten ? PIPELINE_REWRITE : PIPELINE_FORWARD;
        break;
    case GATE_APPROVAL:
        w->stats.held_for_approval++;
        d = PIPELINE_REFUSE;
        break;
    case GATE_REJECT:
        w->stats.rejected++;
        d = PIPELINE_REFUSE;
        break;
    }
    /* every verdict a rule made is logged with its digest and rules */
    if (v->nrules > 0 && log_enabled(LOG_INFO)) {
        char rules[96];
        size_t n = 0;
        rules[0] = '\0';
        for (int i = 0; i < v->nrules && n + 7 < sizeof(rules); i++)
            n += (size_t)snprintf(rules + n, sizeof(rules) - n, "%sDG%03u", i ? "," : "",
                                  (unsigned)v->rules[i]);
        char apr[96] = "";
        if (v->approval_id) /* which approval it ran on, or which id it waits for */
            snprintf(apr, sizeof(apr), "; %s %llu, approval digest %016llx",
                     v->action == GATE_APPROVAL ? "pending id" : "ran on approval",
                     (unsigned long long)v->approval_id, (unsigned long long)v->approval_key);
        log_info("C-%llu %s: %s digest %016llx [%s]%s: %.*s%s%.*s", (unsigned long long)s->id,
                 s->user, verdicts_action_name(v->action), (unsigned long long)v->digest, rules,
                 apr, (int)(len > 200 ? 200 : len), text, d == PIPELINE_REWRITE ? " => " : "",
                 d == PIPELINE_REWRITE ? (int)(v->rewritten_len > 300 ? 300 : v->rewritten_len) : 0,
                 d == PIPELINE_REWRITE ? v->rewritten : "");
    }
    if (d == PIPELINE_REFUSE) {
        /* say why the classifier had to assume the worst, if it did */
        size_t n = strlen(v->message);
        if (v->note[0] && !strstr(v->message, v->note) &&
            n + strlen(v->note) + 4 < sizeof(v->message))
            snprintf(v->message + n, sizeof(v->message) - n, " [%s]", v->note);
    }
    return d;
}

/* A DDL whose answer depends on the table waits (briefly) until the
 * monitor has read the table's definition.  Decided before the gate runs,
 * so nothing the gate does (using up an approval, opening a pending one)
 * happens for a verdict that would be thrown away. */
static bool wait_for_facts(struct session *s, const char *text, size_t len,
                           const struct sql_parse_opts *opts)
{
    struct worker *w = s->worker;

    if (!sql_parse(opts, text, len, &w->script))
        return false;
    for (int i = 0; i < w->script.nstmts; i++) {
        const struct sql_stmt *st = &w->script.stmts[i];
        const struct sql_name *t = st->ddl == SQL_DDL_CREATE_TABLE ? NULL : ddl_target(st);
        if (st->kind == SQL_KIND_DDL && t && t->name && !tablecache_known(t->schema, t->name) &&
            tablecache_wait(w, s->id, t->schema, t->name)) {
            /* once per command: the second look judges with what is known */
            s->facts_waited = true;
            log_info("C-%llu %s: waiting for the definition of %s.%s", (unsigned long long)s->id,
                     s->user, t->schema ? t->schema : "", t->name);
            monitor_kick();
            return true;
        }
    }
    return false;
}

/* The literal of PREPARE ... FROM / EXECUTE IMMEDIATE was judged: a
 * rewrite of it goes back into the literal. */
static void literal_rewrite(const struct sqlprep *sp, const char *text, size_t len,
                            const struct sql_parse_opts *opts, struct gate_verdict *v)
{
    if (v->rewritten && sp->literal) {
        size_t n;
        char *outer = sqlprep_splice(text, len, sp->lit_off, sp->lit_len, v->rewritten,
                                     v->rewritten_len, opts->no_backslash_escapes, &n);
        free(v->rewritten);
        v->rewritten = outer;
        v->rewritten_len = outer ? n : 0;
        if (!outer) { /* cannot rewrite: refuse rather than send the unsafe text */
            v->action = GATE_REJECT;
            v->err_code = DGE_UNPARSEABLE_DDL;
            snprintf(v->message, sizeof(v->message), "ddlgate: out of memory while rewriting");
        }
    }
}

/* PREPARE name FROM 'text': remembered under its name (with its tables and,
 * for DDL, its text: EXECUTE name is queued like the DDL). */
static void sql_prepare_done(struct session *s, const struct sqlprep *sp, const char *text,
                             size_t len, const char *inner, size_t inner_len,
                             const struct sql_parse_opts *opts, struct gate_verdict *v)
{
    if (v->action == GATE_REJECT || v->action == GATE_APPROVAL)
        return;
    const char *prepared = v->rewritten ? v->rewritten : inner;
    size_t prepared_len = v->rewritten ? v->rewritten_len : inner_len;
    prep_note(s, sp->name, v->needs_mdl && inner, prepared, prepared_len, inner ? v : NULL);
    literal_rewrite(sp, text, len, opts, v);
    /* a PREPARE takes no metadata lock: nothing to hold or fence */
    s->ncur_keys = 0;
    s->ddl_in_flight = false;
}

/* EXECUTE name of a statement whose PREPARE needed an approval: each
 * execute uses one (gate_approval_execute), or is refused in v. */
static void sql_execute_approval(struct session *s, const struct sqlprep *sp,
                                 struct gate_verdict *v)
{
    const struct sess_prep *p = prep_named(s, sp->name);

    if (!p || !p->approval_key || v->action == GATE_REJECT || v->action == GATE_APPROVAL)
        return;
    gate_approval_execute(p->approval_key, p->approval_rule, p->text, p->text ? p->text_len : 0,
                          p->approval_schema, s->user, v);
    v->digest = p->approval_digest;
}

enum pipeline_decision pipeline_check(struct session *s, uint8_t cmd, const char *text, size_t len,
                                      struct gate_verdict *v)
{
    struct worker *w = s->worker;
    struct sql_parse_opts opts;
    struct gate_session gs;
    struct gate_tables tables = {tablecache_lookup, NULL};
    struct sqlprep sp = {.kind = SQLP_NONE};
    const char *jtext = text; /* what the gate judges: the prepared text for PREPARE */
    size_t jlen = len;
    char *inner = NULL;

    /* some clients (mariadb-slap) count a C string's NUL terminator in the
     * packet; the server ignores trailing NULs, so the gate does too (the
     * packet itself is forwarded as it came) */
    while (len > 0 && text[len - 1] == '\0')
        len--;
    jlen = len;
    atomic_store_explicit(&s->idle_since_ms, 0, memory_order_relaxed); /* busy */
    memset(&opts, 0, sizeof(opts));
    opts.server = s->server;
    opts.default_schema = s->schema[0] ? s->schema : NULL;
    if (cmd == COM_QUERY && sqlprep_look(text, len, &opts, &sp) && sp.literal) {
        inner = sqlprep_unescape(text + sp.lit_off, sp.lit_len, opts.no_backslash_escapes, &jlen);
        if (inner)
            jtext = inner;
        else
            jlen = len;
    }
    bool maybe = maybe_ddl(jtext, jlen, &opts);
    if (!s->facts_waited && maybe && wait_for_facts(s, jtext, jlen, &opts)) {
        free(inner);
        return PIPELINE_WAIT;
    }
    s->facts_waited = false;
    session_facts(s, maybe, &gs);
    /* a prepare runs nothing: an approval is checked now, used per execute */
    gs.prepare = cmd == COM_STMT_PREPARE || sp.kind == SQLP_PREPARE;

    gate_check(&opts, &gs, &tables, jtext, jlen, &w->script, v);
    /* a DDL held in ddlgate is not on the server yet: the KILL QUERY must
     * reach it here - once the server said OK to it (it is sent anyway,
     * harmless on an idle connection), so only its owner or a user with
     * CONNECTION ADMIN can interrupt it, as on the server */
    s->kill_victim = cmd == COM_QUERY ? kill_query_target(text, len, &opts) : 0;
    if (sp.kind == SQLP_EXECUTE)
        sql_execute_approval(s, &sp, v);

    bool ddl = false, unparsed = false;
    for (int i = 0; i < w->script.nstmts; i++) {
        const struct sql_stmt *st = &w->script.stmts[i];
        if (!st->parsed && st->kind != SQL_KIND_EMPTY) {
            w->stats.unparsed++;
            unparsed = true;
        }
        if (st->kind == SQL_KIND_DDL)
            ddl = true;
    }
    note_tables(s, &w->script);
    /* the definitions of the tables a DDL changes are forgotten once the
     * server has answered it (see pipeline_command_done) */
    s->ddl_in_flight = ddl;
    if (ddl)
        w->stats.ddl++;
    if (cmd == COM_QUERY && w->script.nstmts == 1 && w->script.stmts[0].kind == SQL_KIND_OTHER)
        note_use(s, text, len, &opts);
    if (cmd == COM_QUERY && !inner)
        note_lock_wait(s, text, &w->script, &opts);
    if (sp.kind == SQLP_PREPARE) /* a @variable's text is not seen: remembered without tables */
        sql_prepare_done(s, &sp, text, len, inner, inner ? jlen : 0, &opts, v);
    else if (sp.kind == SQLP_IMMEDIATE && v->action != GATE_REJECT && v->action != GATE_APPROVAL)
        literal_rewrite(&sp, text, len, &opts, v); /* queued below like a DDL */
    else if (cmd == COM_STMT_PREPARE && v->action != GATE_REJECT && v->action != GATE_APPROVAL)
        prep_note(s, NULL, v->needs_mdl && w->script.nstmts == 1,
                  v->rewritten ? v->rewritten : text, v->rewritten ? v->rewritten_len : len, v);
    free(inner);

    /* what the admin sees in SHOW VERDICTS: anything a rule acted on, every
     * DDL, and statements the parser could not read (they passed) */
    if (v->action != GATE_PASS || ddl || unparsed)
        verdicts_record(s->id, s->user, text, len, v, unparsed);

    enum pipeline_decision d = decide(s, text, len, v);
    if (d == PIPELINE_REFUSE)
        return d;

    const char *send = d == PIPELINE_REWRITE ? v->rewritten : text;
    size_t send_len = d == PIPELINE_REWRITE ? v->rewritten_len : len;
    if (v->needs_mdl && cmd == COM_QUERY && w->script.nstmts == 1 && sp.kind != SQLP_PREPARE)
        return queue_ddl(s, send, send_len, send, send_len, runs_instant(&w->script.stmts[0], v),
                         v);
    if (sp.kind == SQLP_EXECUTE || sp.kind == SQLP_DEALLOCATE) {
        struct sess_prep *p = prep_named(s, sp.name);
        if (p && sp.kind == SQLP_DEALLOCATE) {
            prep_drop_at(s, (int)(p - s->preps));
        } else if (p) {
            s->ncur_keys = 0;
            for (int i = 0; i < p->nkeys; i++)
                cur_key_add(s, p->keys[i]);
            if (p->ddl) {
                s->ddl_in_flight = true;
                w->stats.ddl++;
                return queue_ddl(s, send, send_len, p->text, p->text_len, false, v);
            }
        }
    }
    if (must_wait_at_fence(s) && hold_text(s, send, send_len)) {
        pipeline_hold_fence(s);
        return PIPELINE_HOLD;
    }
    return d;
}

/* ---- table holders ---------------------------------------------------------------- */

static bool txn_has(struct session *s, const char *key)
{
    for (int i = 0; i < s->ntxn_keys; i++)
        if (strcmp(s->txn_keys[i], key) == 0)
            return true;
    return false;
}

static bool txn_keys_room(struct session *s)
{
    return keys_room(&s->txn_keys, s->ntxn_keys, &s->txn_keys_cap, 8, INT_MAX / 2);
}

static void hold_key(struct session *s, const char *key)
{
    if (txn_has(s, key) || !txn_keys_room(s))
        return;
    mdlq_key_copy(s->txn_keys[s->ntxn_keys++], key);
    mdlq_hold(s->id, s->server_conn_id, s->user, s->peer_str, &s->idle_since_ms, key);
}

/* Register key as held by the transaction unless a fence is up on it; the
 * caller checked txn_has().  False: fenced. */
static bool hold_key_unless_fenced(struct session *s, const char *key)
{
    if (!txn_keys_room(s)) /* not registered: noted when its answer ends */
        return !mdlq_fenced(key, true);
    if (!mdlq_hold_unless_fenced(s->id, s->server_conn_id, s->user, s->peer_str, &s->idle_since_ms,
                                 key))
        return false;
    mdlq_key_copy(s->txn_keys[s->ntxn_keys++], key);
    return true;
}

static void release_keys(struct session *s)
{
    for (int i = 0; i < s->ntxn_keys; i++)
        mdlq_unhold(s->id, s->txn_keys[i]);
    s->ntxn_keys = 0;
}

static void forget_ddl_tables(struct session *s)
{
    for (int i = 0; i < s->ncur_keys; i++) {
        char schema[MDLQ_KEY_MAX];
        const char *dot = strchr(s->cur_keys[i], '.');
        if (!dot)
            continue;
        snprintf(schema, sizeof(schema), "%.*s", (int)(dot - s->cur_keys[i]), s->cur_keys[i]);
        tablecache_invalidate(schema[0] ? schema : NULL, dot + 1);
    }
}

void pipeline_command_done(struct session *s)
{
    if (s->kill_victim) {
        if (s->last_ok && mdlq_kill_query(s->kill_victim, s->user))
            sess_log(s, LOG_INFO, "KILL QUERY %u interrupts a DDL held in the queue",
                     s->kill_victim);
        s->kill_victim = 0;
    }
    if (s->lwt_pending_set) {
        if (s->last_ok)
            s->lwt_s = s->lwt_pending;
        s->lwt_pending_set = false;
    }
    if (s->prep_pending_set) { /* an SQL PREPARE's OK; else a failed PREPARE */
        if (s->last_ok && s->prep_pending.name)
            prep_commit(s, 0);
        prep_free(&s->prep_pending);
        s->prep_pending_set = false;
    }
    if (s->ddl_in_flight) {
        forget_ddl_tables(s);
        s->ddl_in_flight = false;
    }
    atomic_store_explicit(&s->idle_since_ms, mdlq_now_ms(), memory_order_relaxed);
    if (s->in_transaction || s->locked_tables) {
        for (int i = 0; i < s->ncur_keys; i++)
            hold_key(s, s->cur_keys[i]);
    } else if (s->ntxn_keys) {
        release_keys(s);
    }
    s->ncur_keys = 0;
}

/* ---- prepared statements ------------------------------------------------------------ */

void pipeline_prepared(struct session *s, uint32_t stmt_id)
{
    if (!s->prep_pending_set) /* not checked here (cannot happen): tables only */
        prep_note(s, NULL, false, NULL, 0, NULL);
    if (s->prep_pending.name) { /* an SQL PREPARE is committed on its OK */
        return;
    }
    prep_commit(s, stmt_id);
}

void pipeline_stmt_close(struct session *s, uint32_t stmt_id)
{
    for (int i = 0; i < s->npreps; i++) {
        if (!s->preps[i].name && s->preps[i].stmt_id == stmt_id) {
            prep_drop_at(s, i);
            return;
        }
    }
}

void pipeline_forget_prepared(struct session *s)
{
    for (int i = 0; i < s->npreps; i++)
        prep_free(&s->preps[i]);
    s->npreps = 0;
    prep_free(&s->prep_pending);
    s->prep_pending_set = false;
}

/* The prepared statement an execute names (0xffffffff: the last one). */
static const struct sess_prep *prep_by_id(const struct session *s, uint32_t stmt_id)
{
    for (int i = s->npreps - 1; i >= 0; i--)
        if (!s->preps[i].name && (s->preps[i].stmt_id == stmt_id || stmt_id == 0xffffffffu))
            return &s->preps[i];
    return NULL;
}

bool pipeline_execute_gated(const struct session *s, uint32_t stmt_id)
{
    const struct sess_prep *p = prep_by_id(s, stmt_id);
    return p && p->approval_key;
}

/* Each execute of a statement prepared under an approval uses one; false:
 * refused (v holds the ERR), recorded and logged like a COM_QUERY's. */
static bool execute_approval(struct session *s, const struct sess_prep *p, struct gate_verdict *v)
{
    struct worker *w = s->worker;
    const char *text = p->text ? p->text : "";
    size_t len = p->text ? p->text_len : 0;

    gate_approval_execute(p->approval_key, p->approval_rule, p->text, len, p->approval_schema,
                          s->user, v);
    v->digest = p->approval_digest;
    verdicts_record(s->id, s->user, text, len, v, false);
    if (v->action == GATE_APPROVAL) {
        w->stats.held_for_approval++;
        log_info("C-%llu %s: approval digest %016llx: execute of a prepared statement refused, "
                 "pending approval %llu: %.*s",
                 (unsigned long long)s->id, s->user, (unsigned long long)v->approval_key,
                 (unsigned long long)v->approval_id, (int)(len > 200 ? 200 : len), text);
        return false;
    }
    w->stats.warned++;
    log_info("C-%llu %s: execute of a prepared statement on approval %llu (DG%03u, approval digest "
             "%016llx): %.*s",
             (unsigned long long)s->id, s->user, (unsigned long long)v->approval_id,
             (unsigned)p->approval_rule, (unsigned long long)v->approval_key,
             (int)(len > 200 ? 200 : len), text);
    return true;
}

enum pipeline_exec pipeline_execute(struct session *s, uint32_t stmt_id, struct gate_verdict *v)
{
    const struct sess_prep *p = prep_by_id(s, stmt_id);

    atomic_store_explicit(&s->idle_since_ms, 0, memory_order_relaxed); /* busy */
    s->ncur_keys = 0;
    if (p && p->approval_key && !execute_approval(s, p, v))
        return PIPELINE_EXEC_REFUSE;
    for (int k = 0; p && k < p->nkeys; k++)
        cur_key_add(s, p->keys[k]);
    if (p && p->ddl) {
        /* SHOW SESSIONS shows the statement, not an execute packet */
        size_t n = p->text_len < sizeof(s->stmt) - 1 ? p->text_len : sizeof(s->stmt) - 1;
        memcpy(s->stmt, p->text, n);
        s->stmt[n] = '\0';
        if (mdlq_full()) { /* refused before the execute is taken off the input */
            queue_full_verdict(v);
            return PIPELINE_EXEC_REFUSE;
        }
        s->ddl_in_flight = true;
        return PIPELINE_EXEC_QUEUE;
    }
    return must_wait_at_fence(s) ? PIPELINE_EXEC_FENCE : PIPELINE_EXEC_FORWARD;
}

bool pipeline_queue_execute(struct session *s, uint32_t stmt_id)
{
    const struct sess_prep *p = prep_by_id(s, stmt_id);

    if (!p || !p->ddl || s->ncur_keys == 0)
        return false;
    s->worker->stats.ddl++;
    if (!enqueue_cur(s, p->text, p->text_len))
        return false;
    s->hold = HOLD_DDL;
    return true;
}

/* ---- the queue's side ------------------------------------------------------------------ */

/* puts back what the release's SET saved, and leaves no variable behind */
#define PIPELINE_RESTORE_LWT                                                            \
    "SET SESSION lock_wait_timeout = @ddlgate_lwt, SESSION innodb_lock_wait_timeout = " \
    "@ddlgate_ilwt, @ddlgate_lwt = NULL, @ddlgate_ilwt = NULL"

static void send_internal(struct session *s, const char *sql)
{
    struct pkt_writer w;

    sess_server_command_start(s);
    pkt_w_init(&w, 0);
    pkt_w_begin(&w);
    pkt_w_u8(&w, COM_QUERY);
    pkt_w_bytes(&w, sql, strlen(sql));
    pkt_w_end(&w);
    if (!pkt_w_flush(&w, s->sout)) {
        pkt_w_free(&w);
        session_close(s, DGE_PROTOCOL, "ddlgate: out of memory");
        return;
    }
    pkt_w_free(&w);
    s->sseq_next = 1;
    s->resp_seq_fix = 0;
    s->cmd = COM_QUERY;
    s->resp = RESP_FIRST;
    session_set_state(s, SESS_COMMAND);
    sess_push(s);
}

void pipeline_release(struct worker *w, uint64_t sid, uint64_t id)
{
    struct session *s = find_session(w, sid);
    char sql[256];

    if (!s || s->hold != HOLD_DDL || s->mdlq_id != id || s->state != SESS_HELD || !s->sbev) {
        mdlq_abandon(id);
        return;
    }
    const struct conf *c = conf_acquire();
    int64_t lwt = c->lock_wait_timeout_s > 0 ? c->lock_wait_timeout_s : 1;
    conf_release(c);
    if (s->lwt_s > 0 && s->lwt_s < lwt) /* the client asked for less: keep it */
        lwt = s->lwt_s;
    /* innodb_lock_wait_timeout too: a DDL can also wait inside InnoDB (an
     * ALTER of a foreign-key parent at commit, behind a child's open
     * transaction the metadata locks do not show) - 50 s by default, with
     * the table's traffic queued behind it */
    snprintf(sql, sizeof(sql),
             "SET @ddlgate_lwt = @@SESSION.lock_wait_timeout, @ddlgate_ilwt = "
             "@@SESSION.innodb_lock_wait_timeout, SESSION lock_wait_timeout = %lld, SESSION "
             "innodb_lock_wait_timeout = %lld",
             (long long)lwt, (long long)lwt);
    sess_log(s, LOG_INFO, "queue: releasing DDL %llu", (unsigned long long)id);
    s->internal = INT_SET_LWT;
    send_internal(s, sql);
}

void pipeline_internal_done(struct session *s)
{
    switch (s->internal) {
    case INT_SET_LWT:
        if (mdlq_cancel_requested(s->mdlq_id)) {
            /* an admin cancelled it after its release: not sent; the
             * restore then hands it to mdlq_retry, which refuses it */
            s->ddl_retry = true;
            s->internal = INT_RESTORE;
            send_internal(s, PIPELINE_RESTORE_LWT);
            return;
        }
        s->internal = INT_DDL;
        s->int_first = true;
        sess_server_command_start(s);
        client_send_command(s, s->held_cmd, s->held_text, s->held_len, s->held_last_seq);
        s->cmd = s->held_cmd;
        s->resp = RESP_FIRST;
        session_set_state(s, SESS_COMMAND);
        mdlq_sent(s->mdlq_id);
        sess_push(s);
        return;
    case INT_DDL:
        if (s->ddl_retry) {
            sess_log(s, LOG_INFO,
                     "queue: DDL %llu did not get its metadata lock; back to the queue",
                     (unsigned long long)s->mdlq_id);
            /* no lock wait on the server any more: the fence drops now, but
             * the entry waits again only after the restore (INT_RESTORE): a
             * release or deadline decided before would find this session in
             * COMMAND state and be lost, leaving it held for good */
            mdlq_fence_drop(s->mdlq_id);
        } else {
            mdlq_finished(s->mdlq_id);
        }
        s->internal = INT_RESTORE;
        send_internal(s, PIPELINE_RESTORE_LWT);
        return;
    case INT_RESTORE:
        s->internal = INT_NONE;
        if (s->ddl_retry) {
            s->ddl_retry = false;
            session_set_state(s, SESS_HELD); /* the queue releases it again */
            mdlq_retry(s->mdlq_id);
            return;
        }
        free(s->held_text);
        s->held_text = NULL;
        s->hold = HOLD_NONE;
        s->mdlq_id = 0;
        client_command_done(s);
        return;
    case INT_NONE:
        return;
    }
}

void pipeline_refuse_held(struct worker *w, uint64_t sid, uint64_t id, int code, const char *msg)
{
    struct session *s = find_session(w, sid);

    if (!s || s->hold != HOLD_DDL || s->mdlq_id != id || s->state != SESS_HELD)
        return;
    free(s->held_text);
    s->held_text = NULL;
    s->hold = HOLD_NONE;
    s->mdlq_id = 0;
    sess_send_err(s, (uint8_t)(s->held_last_seq + 1), code, msg);
    s->stmt[0] = '\0';
    s->ncur_keys = 0;
    session_set_state(s, SESS_IDLE);
    client_process(s); /* flushes, and serves what the client sent next */
}

void pipeline_fence_dropped(struct worker *w, uint64_t sid)
{
    struct session *s = find_session(w, sid);

    if (!s || s->hold != HOLD_FENCE || s->state != SESS_HELD)
        return;
    /* a statement on several tables waits until none of them is fenced */
    if (must_wait_at_fence(s)) {
        pipeline_hold_fence(s);
        return;
    }
    client_send_held(s);
}

void pipeline_abandon(struct session *s)
{
    if (s->mdlq_id)
        mdlq_abandon(s->mdlq_id);
    s->mdlq_id = 0;
    release_keys(s);
    free(s->txn_keys);
    s->txn_keys = NULL;
    s->txn_keys_cap = 0;
    free(s->cur_keys);
    s->cur_keys = NULL;
    s->ncur_keys = s->cur_keys_cap = 0;
    pipeline_forget_prepared(s);
    free(s->preps);
    s->preps = NULL;
    s->npreps = s->preps_cap = 0;
    free(s->held_text);
    s->held_text = NULL;
    s->hold = HOLD_NONE;
}
