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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Remember the tables of the statement(s) being sent. */
static void note_tables(struct session *s, const struct sql_script *sc)
{
    s->ncur_keys = 0;
    for (int i = 0; i < sc->nstmts; i++) {
        const struct sql_stmt *st = &sc->stmts[i];
        for (int j = 0; j < st->ntables && s->ncur_keys < 8; j++) {
            char key[MDLQ_KEY_MAX];
            if (!st->tables[j].name.name ||
                !mdlq_key(key, st->tables[j].name.schema, st->tables[j].name.name))
                continue;
            bool dup = false;
            for (int k = 0; k < s->ncur_keys; k++)
                dup |= strcmp(s->cur_keys[k], key) == 0;
            if (!dup)
                mdlq_key_copy(s->cur_keys[s->ncur_keys++], key);
        }
        if (st->ddl == SQL_DDL_LOCK_TABLES)
            s->locked_tables = true; /* confirmed by the OK; undone by UNLOCK */
        else if (st->ddl == SQL_DDL_UNLOCK_TABLES)
            s->locked_tables = false;
    }
}

static bool txn_has(struct session *s, const char *key);

/* A statement waits behind a fence only if its session does not already
 * hold the table: a transaction the DDL waits for must be able to finish. */
static bool any_fenced(struct session *s)
{
    for (int i = 0; i < s->ncur_keys; i++)
        if (!txn_has(s, s->cur_keys[i]) && mdlq_fenced(s->cur_keys[i]))
            return true;
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
    s->hold = HOLD_FENCE;
    mdlq_wait_fence(s->worker, s->id, s->cur_keys[0]);
}

/* A DDL that needs an exclusive metadata lock waits in the queue. */
static enum pipeline_decision queue_ddl(struct session *s, const char *text, size_t len)
{
    const char *keys[MDLQ_MAX_KEYS];
    int n = 0;

    for (int i = 0; i < s->ncur_keys && n < MDLQ_MAX_KEYS; i++)
        keys[n++] = s->cur_keys[i];
    if (n == 0 || !hold_text(s, text, len))
        return PIPELINE_FORWARD;
    s->mdlq_id = mdlq_enqueue(s->worker, s->id, s->server_conn_id, s->user, keys, n, text, len);
    if (!s->mdlq_id) {
        free(s->held_text);
        s->held_text = NULL;
        return PIPELINE_FORWARD;
    }
    s->hold = HOLD_DDL;
    return PIPELINE_HOLD;
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

enum pipeline_decision pipeline_check(struct session *s, uint8_t cmd, const char *text, size_t len,
                                      struct gate_verdict *v)
{
    struct worker *w = s->worker;

    atomic_store_explicit(&s->idle_since_ms, 0, memory_order_relaxed); /* busy */
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

    /* A DDL whose answer depends on the table waits (briefly) until the
     * monitor has read the table's definition.  Decided before the gate
     * runs, so nothing the gate does (using up an approval, opening a
     * pending one) happens for a verdict that would be thrown away. */
    if (!s->facts_waited && maybe_ddl(text, len, &opts) &&
        sql_parse(&opts, text, len, &w->script)) {
        for (int i = 0; i < w->script.nstmts; i++) {
            const struct sql_stmt *st = &w->script.stmts[i];
            const struct sql_name *t = st->ddl == SQL_DDL_CREATE_TABLE ? NULL : ddl_target(st);
            if (st->kind == SQL_KIND_DDL && t && t->name && !tablecache_known(t->schema, t->name) &&
                tablecache_wait(w, s->id, t->schema, t->name)) {
                /* once per command: the second look judges with what is known */
                s->facts_waited = true;
                log_info("C-%llu %s: waiting for the definition of %s.%s",
                         (unsigned long long)s->id, s->user, t->schema ? t->schema : "", t->name);
                monitor_kick();
                return PIPELINE_WAIT;
            }
        }
    }
    s->facts_waited = false;

    gate_check(&opts, &gs, &tables, text, len, &w->script, v);

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

    /* what the admin sees in SHOW VERDICTS: anything a rule acted on, every
     * DDL, and statements the parser could not read (they passed) */
    if (v->action != GATE_PASS || ddl || unparsed)
        verdicts_record(s->id, s->user, text, len, v, unparsed);

    enum pipeline_decision d = PIPELINE_FORWARD;
    switch (v->action) {
    case GATE_PASS:
        break;
    case GATE_WARN:
        w->stats.warned++;
        break;
    case GATE_REWRITE:
        w->stats.rewritten++;
        d = PIPELINE_REWRITE;
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
        log_info("C-%llu %s: %s digest %016llx [%s]: %.*s%s%.*s", (unsigned long long)s->id,
                 s->user, verdicts_action_name(v->action), (unsigned long long)v->digest, rules,
                 (int)(len > 200 ? 200 : len), text, d == PIPELINE_REWRITE ? " => " : "",
                 d == PIPELINE_REWRITE ? (int)(v->rewritten_len > 300 ? 300 : v->rewritten_len) : 0,
                 d == PIPELINE_REWRITE ? v->rewritten : "");
    }
    if (d == PIPELINE_REFUSE) {
        /* say why the classifier had to assume the worst, if it did */
        size_t n = strlen(v->message);
        if (v->note[0] && !strstr(v->message, v->note) &&
            n + strlen(v->note) + 4 < sizeof(v->message))
            snprintf(v->message + n, sizeof(v->message) - n, " [%s]", v->note);
        return d;
    }

    const char *send = d == PIPELINE_REWRITE ? v->rewritten : text;
    size_t send_len = d == PIPELINE_REWRITE ? v->rewritten_len : len;
    if (v->needs_mdl && cmd == COM_QUERY && w->script.nstmts == 1)
        return queue_ddl(s, send, send_len);
    if (any_fenced(s) && hold_text(s, send, send_len)) {
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

static void hold_key(struct session *s, const char *key)
{
    if (txn_has(s, key))
        return;
    if (s->ntxn_keys == s->txn_keys_cap) {
        int cap = s->txn_keys_cap ? s->txn_keys_cap * 2 : 8;
        char(*nk)[160] = realloc(s->txn_keys, (size_t)cap * sizeof(*nk));
        if (!nk)
            return;
        s->txn_keys = nk;
        s->txn_keys_cap = cap;
    }
    mdlq_key_copy(s->txn_keys[s->ntxn_keys++], key);
    mdlq_hold(s->id, s->server_conn_id, s->user, s->peer_str, &s->idle_since_ms, key);
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
    if (s->npreps == s->preps_cap) {
        int cap = s->preps_cap ? s->preps_cap * 2 : 8;
        struct sess_prep *np = realloc(s->preps, (size_t)cap * sizeof(*np));
        if (!np)
            return;
        s->preps = np;
        s->preps_cap = cap;
    }
    struct sess_prep *p = &s->preps[s->npreps++];
    p->stmt_id = stmt_id;
    p->nkeys = s->ncur_keys < 4 ? s->ncur_keys : 4;
    for (int i = 0; i < p->nkeys; i++)
        mdlq_key_copy(p->keys[i], s->cur_keys[i]);
}

void pipeline_stmt_close(struct session *s, uint32_t stmt_id)
{
    for (int i = 0; i < s->npreps; i++) {
        if (s->preps[i].stmt_id == stmt_id) {
            s->preps[i] = s->preps[--s->npreps];
            return;
        }
    }
}

void pipeline_forget_prepared(struct session *s) { s->npreps = 0; }

bool pipeline_execute(struct session *s, uint32_t stmt_id)
{
    atomic_store_explicit(&s->idle_since_ms, 0, memory_order_relaxed); /* busy */
    s->ncur_keys = 0;
    for (int i = s->npreps - 1; i >= 0; i--) {
        if (s->preps[i].stmt_id == stmt_id || stmt_id == 0xffffffffu) {
            for (int k = 0; k < s->preps[i].nkeys; k++)
                mdlq_key_copy(s->cur_keys[s->ncur_keys++], s->preps[i].keys[k]);
            break;
        }
    }
    return any_fenced(s);
}

/* ---- the queue's side ------------------------------------------------------------------ */

static void send_internal(struct session *s, const char *sql)
{
    struct pkt_writer w;

    pkt_w_init(&w, 0);
    pkt_w_begin(&w);
    pkt_w_u8(&w, COM_QUERY);
    pkt_w_bytes(&w, sql, strlen(sql));
    pkt_w_end(&w);
    if (!pkt_w_flush(&w, bufferevent_get_output(s->sbev))) {
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
    char sql[160];

    if (!s || s->hold != HOLD_DDL || s->mdlq_id != id || s->state != SESS_HELD || !s->sbev) {
        mdlq_abandon(id);
        return;
    }
    const struct conf *c = conf_acquire();
    snprintf(sql, sizeof(sql),
             "SET @ddlgate_lwt = @@SESSION.lock_wait_timeout, SESSION lock_wait_timeout = %d",
             c->lock_wait_timeout_s > 0 ? c->lock_wait_timeout_s : 1);
    conf_release(c);
    sess_log(s, LOG_INFO, "queue: releasing DDL %llu", (unsigned long long)id);
    s->internal = INT_SET_LWT;
    send_internal(s, sql);
}

void pipeline_internal_done(struct session *s)
{
    switch (s->internal) {
    case INT_SET_LWT:
        s->internal = INT_DDL;
        s->int_first = true;
        s->sseq_next = 0;
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
            mdlq_retry(s->mdlq_id);
        } else {
            mdlq_finished(s->mdlq_id);
        }
        s->internal = INT_RESTORE;
        send_internal(s, "SET SESSION lock_wait_timeout = @ddlgate_lwt");
        return;
    case INT_RESTORE:
        s->internal = INT_NONE;
        if (s->ddl_retry) {
            s->ddl_retry = false;
            session_set_state(s, SESS_HELD); /* the queue releases it again */
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
    free(s->preps);
    s->preps = NULL;
    s->npreps = s->preps_cap = 0;
    free(s->held_text);
    s->held_text = NULL;
    s->hold = HOLD_NONE;
}
