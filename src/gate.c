/*
 * gate.c - the statement pipeline: parse, classify, evaluate every DGnnn
 * rule whose mode is not off, pick the most severe action, and build the
 * rewrite or the error packet text.
 *
 * Hot path: a non-DDL statement costs the parse plus a handful of compares
 * (DG008/DG081/DG082/DG904); nothing is allocated unless a rewrite is made.
 * Rewrites splice the original bytes: every edit replaces one byte range
 * (an ALGORITHM/LOCK clause span or an empty range at alter.append_off), so
 * comments, spacing and case outside those ranges are kept exactly, and the
 * result is parsed again to check it still is the same statement.
 */
#include "gate.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "approval.h"
#include "classify.h"
#include "errors.h"
#include "gate_rules.h"
#include "rules.h"

static _Atomic uint64_t gate_size_limit = 10ULL << 30; /* 10 GiB */

void gate_set_table_size_limit(uint64_t bytes)
{
    atomic_store_explicit(&gate_size_limit, bytes, memory_order_relaxed);
}

uint64_t gate_table_size_limit(void)
{
    return atomic_load_explicit(&gate_size_limit, memory_order_relaxed);
}

void gate_verdict_init(struct gate_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->lock_none = -1;
    v->rebuild = -1;
}

void gate_verdict_clear(struct gate_verdict *v)
{
    free(v->rewritten);
    v->rewritten = NULL;
    v->rewritten_len = 0;
    v->action = GATE_PASS;
    v->algorithm = SQL_ALG_NONE;
    v->lock_none = -1;
    v->rebuild = -1;
    v->nrules = 0;
    v->deciding_rule = 0;
    v->digest = 0;
    v->err_code = 0;
    v->sqlstate[0] = '\0';
    v->message[0] = '\0';
    v->note[0] = '\0';
    v->needs_mdl = false;
    v->lock_wait_cap_s = 0;
    v->approval_key = 0;
    v->approval_id = 0;
    v->approval_rule = 0;
}

/* ---- firing rules ------------------------------------------------------ */

bool gate_on(struct gate_ctx *c, uint16_t id)
{
    return rules_mode(id, c->schema, c->table) != RULE_OFF;
}

bool gate_fire(struct gate_ctx *c, uint16_t id, const char *fmt, ...)
{
    enum rule_mode m = rules_mode(id, c->schema, c->table);
    if (m == RULE_OFF)
        return false;
    for (int i = 0; i < c->nfired; i++)
        if (c->fired[i].id == id)
            return true;
    if (c->nfired >= GATE_MAX_FIRED)
        return true;
    struct gate_fire *f = &c->fired[c->nfired++];
    f->id = id;
    f->mode = m;
    f->stmt = c->st;
    f->no_rewrite = false;
    f->why[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->why, sizeof f->why, fmt, ap);
        va_end(ap);
    }
    return true;
}

struct gate_fire *gate_fired(struct gate_ctx *c, uint16_t id)
{
    for (int i = 0; i < c->nfired; i++)
        if (c->fired[i].id == id)
            return &c->fired[i];
    return NULL;
}

bool gate_add_edit(struct gate_ctx *c, uint32_t off, uint32_t len, const char *rep)
{
    if (c->nedits >= GATE_MAX_EDITS)
        return false;
    for (int i = 0; i < c->nedits; i++) {
        const struct gate_edit *e = &c->edits[i];
        if (e->off == off && e->len == len && strcmp(e->text, rep) == 0)
            return true; /* the same edit from two rules (DG002 + DG010) */
        bool overlap = off < e->off + e->len && e->off < off + len;
        if (overlap || (len == 0 && e->len == 0 && e->off == off))
            return false;
    }
    struct gate_edit *e = &c->edits[c->nedits++];
    e->off = off;
    e->len = len;
    snprintf(e->text, sizeof e->text, "%s", rep);
    return true;
}

void gate_server_name(const struct sql_server *s, char *buf, size_t len)
{
    unsigned v = s->version;
    snprintf(buf, len, "%s %u.%u.%u", s->flavour == SQL_FLAVOUR_MARIADB ? "MariaDB" : "MySQL",
             v / 10000, (v / 100) % 100, v % 100);
}

/* ---- statement level ------------------------------------------------- */

static bool gate_needs_mdl(const struct sql_stmt *st, const struct sql_server *srv)
{
    switch (st->ddl) {
    case SQL_DDL_ALTER_TABLE:
    case SQL_DDL_CREATE_INDEX:
    case SQL_DDL_DROP_INDEX:
    case SQL_DDL_RENAME_TABLE:
    case SQL_DDL_DROP_TABLE:
    case SQL_DDL_TRUNCATE:
    case SQL_DDL_OPTIMIZE:
    case SQL_DDL_CREATE_TRIGGER:
    case SQL_DDL_DROP_TRIGGER:
    case SQL_DDL_LOCK_TABLES:
        return true;
    case SQL_DDL_FLUSH:
        /* FLUSH TABLES t [WITH READ LOCK | FOR EXPORT] waits for every
         * transaction on t (all tables, without names: no key to queue on) */
        return st->flush_with_read_lock || st->ntables > 0;
    case SQL_DDL_REPAIR_CHECK: /* REPAIR takes an exclusive lock; CHECK a shared read one */
        return st->repair;
    case SQL_DDL_CREATE_TABLE: /* OR REPLACE drops the table first */
        return st->create.or_replace && !st->create.temporary;
    case SQL_DDL_ANALYZE: /* the table flush of old MySQL (DG034) */
        return srv->flavour == SQL_FLAVOUR_MYSQL && srv->version < 80024;
    default:
        return false;
    }
}

/* The table a DDL statement is about, for facts and scoped rule modes. */
static void gate_target(struct gate_ctx *c)
{
    const struct sql_stmt *st = c->st;
    const struct sql_name *n = NULL;
    switch (st->ddl) {
    case SQL_DDL_ALTER_TABLE:
    case SQL_DDL_CREATE_INDEX:
    case SQL_DDL_DROP_INDEX:
        n = &st->alter.table;
        break;
    default:
        for (int i = 0; i < st->ntables; i++) {
            if (st->tables[i].access & SQL_ACCESS_DDL) {
                n = &st->tables[i].name;
                break;
            }
        }
        if (!n && st->ntables > 0)
            n = &st->tables[0].name;
        break;
    }
    c->schema = NULL;
    c->table = NULL;
    c->ti = NULL;
    if (!n || !n->name)
        return;
    c->table = n->name;
    c->schema = n->schema;
    if (!c->schema && c->sess && c->sess->schema)
        c->schema = c->sess->schema;
    if (!c->schema && c->opts->default_schema)
        c->schema = c->opts->default_schema;
    if (c->tables && c->tables->lookup && st->kind == SQL_KIND_DDL)
        c->ti = c->tables->lookup(c->tables->ctx, c->schema, c->table);
}

static void gate_stmt(struct gate_ctx *c, const struct sql_stmt *st, struct gate_verdict *v)
{
    c->st = st;
    c->cr = NULL;
    gate_target(c);
    if (st->kind == SQL_KIND_EMPTY)
        return;
    if ((st->kind == SQL_KIND_DDL || st->ddl != SQL_DDL_NONE) &&
        gate_needs_mdl(st, &c->opts->server))
        v->needs_mdl = true;
    if (gate_rules_osc(c))
        return;
    if (st->body_ddl) {
        gate_fire(c, 900,
                  "defines a stored procedure or event whose body runs DDL or dynamic "
                  "SQL; those statements run at CALL time, where ddlgate cannot judge "
                  "them");
        return;
    }
    if (st->dynamic) {
        gate_fire(c, 900,
                  "runs dynamic SQL whose text ddlgate cannot see (a variable or an "
                  "expression, not one string literal), so no rule can judge it");
        return;
    }
    if (!st->parsed) {
        if (st->kind == SQL_KIND_DDL)
            gate_fire(c, 900, "%s", st->parse_error ? st->parse_error : "syntax not understood");
        return;
    }
    switch (st->kind) {
    case SQL_KIND_UPDATE:
    case SQL_KIND_DELETE:
    case SQL_KIND_INSERT:
    case SQL_KIND_REPLACE:
        gate_rules_dml(c);
        return;
    case SQL_KIND_DDL:
    case SQL_KIND_LOCK:
        break;
    default:
        if (st->ddl == SQL_DDL_NONE)
            return;
        break;
    }
    unsigned cv = st->comment_version;
    if (!cv && st->kind == SQL_KIND_DDL)
        cv = gate_exec_comment(c->text, st->span.off, st->span.off + st->span.len, false);
    if (cv)
        gate_fire(c, 901, "DDL inside an executable comment /*!%u ... */", cv);
    if (c->sess && c->sess->in_transaction && st->kind == SQL_KIND_DDL)
        gate_fire(c, 32, "the session has an open transaction: the DDL commits it implicitly");
    if (st->kind == SQL_KIND_DDL && gate_needs_mdl(st, &c->opts->server))
        gate_rules_lock_wait(c, v);
    gate_rules_ddl(c, v);
}

/* ---- verdict ----------------------------------------------------------- */

/* REWRITE-mode rules that produced no rewrite: the server would refuse the
 * statement anyway (DG011/DG017/DG018), or it is only an assertion. */
static enum rule_mode gate_effective(const struct gate_fire *f)
{
    if (f->mode != RULE_REWRITE || !f->no_rewrite)
        return f->mode;
    switch (f->id) {
    case 11:
    case 17:
    case 18:
        return RULE_REJECT;
    default:
        return RULE_WARN;
    }
}

/* the statement on one line (whitespace runs collapsed), "..." when cut */
static void gate_excerpt(const char *text, struct sql_span sp, char *out, size_t outlen)
{
    size_t o = 0;
    bool space = false;
    uint32_t i;
    for (i = 0; i < sp.len && o + 5 < outlen; i++) { /* room for ' ', ch, "...", NUL */
        char ch = text[sp.off + i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        out[o++] = ch;
    }
    if (i < sp.len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static void gate_message_of(uint16_t id, const char *why, const char *text, struct sql_span sp,
                            struct gate_verdict *v, int code)
{
    const struct rule_def *d = rules_find(id);
    char ex[140];
    gate_excerpt(text, sp, ex, sizeof ex);
    v->err_code = (uint16_t)code;
    snprintf(v->sqlstate, sizeof v->sqlstate, "%s", dg_error_sqlstate(code));
    snprintf(v->message, sizeof v->message, "ddlgate DG%03u %s: %s%s%s; %s", id, d ? d->name : "?",
             ex, why[0] ? " " : "", why, d ? d->advice : "");
}

static void gate_message(struct gate_ctx *c, const struct gate_fire *f, struct gate_verdict *v,
                         int code)
{
    struct sql_span whole = {0, (uint32_t)c->len};
    gate_message_of(f->id, f->why, c->text, f->stmt ? f->stmt->span : whole, v, code);
}

/* ---- approvals --------------------------------------------------------- */

enum gate_approval_result {
    GATE_AP_PASS,
    GATE_AP_PENDING,
    GATE_AP_DENIED
};

/* The approval for key: used (a run), only found (a prepare: each execute
 * uses one), denied, or asked for now.  Sets v->approval_*. */
static enum gate_approval_result gate_approval_decide(uint64_t key, uint16_t rule, bool prepare,
                                                      const char *stmt, size_t len,
                                                      const char *schema, const char *user,
                                                      struct gate_verdict *v)
{
    uint64_t id = 0;
    v->approval_key = key;
    v->approval_rule = rule;
    if (prepare ? approval_live(key, &id) : approval_use(key, &id)) {
        v->approval_id = prepare ? 0 : id; /* a prepare runs nothing: no approval used */
        if (prepare)
            snprintf(v->note, sizeof v->note,
                     "DG%03u: prepared under live approval %llu; each execute needs one", rule,
                     (unsigned long long)id);
        else
            snprintf(v->note, sizeof v->note,
                     "ran on approval %llu (DG%03u, approval digest %016llx)",
                     (unsigned long long)id, rule, (unsigned long long)key);
        return GATE_AP_PASS;
    }
    if (approval_denied(key, &id)) {
        v->approval_id = id;
        return GATE_AP_DENIED;
    }
    v->approval_id = approval_request_in(key, rule, stmt, len, user, schema);
    return GATE_AP_PENDING;
}

/* the refusal's tail: the id to approve and the key it is for */
static void gate_approval_tail(struct gate_verdict *v, enum gate_approval_result r)
{
    size_t n = strlen(v->message);
    unsigned long long id = (unsigned long long)v->approval_id;
    if (r == GATE_AP_DENIED) /* an admin said no to exactly this statement (7104) */
        snprintf(v->message + n, sizeof v->message - n,
                 " (denied by an admin: pending id %llu, digest %016llx)", id,
                 (unsigned long long)v->approval_key);
    else
        snprintf(
            v->message + n, sizeof v->message - n,
            " (needs approval: pending id %llu, digest %016llx; an admin can run APPROVE %llu)", id,
            (unsigned long long)v->approval_key, id);
}

static void gate_approval(struct gate_ctx *c, const struct gate_fire *f, struct gate_verdict *v)
{
    /* exact text in the session's schema, not the normalised digest: an
     * approval of DROP TABLE tc in shop is not one for Tc, nor for shop2 */
    struct sql_parse_opts o = *c->opts;
    if (!o.default_schema && c->sess)
        o.default_schema = c->sess->schema;
    uint64_t key = sql_stmt_exact_digest(&o, c->text, c->len, f->stmt);
    struct sql_span sp = f->stmt ? f->stmt->span : (struct sql_span){0, (uint32_t)c->len};
    const char *who = c->sess && c->sess->user ? c->sess->user : "";
    bool prepare = c->sess && c->sess->prepare;
    enum gate_approval_result r = gate_approval_decide(key, f->id, prepare, c->text + sp.off,
                                                       sp.len, o.default_schema, who, v);
    if (r == GATE_AP_PASS) {
        v->action = v->rewritten ? GATE_REWRITE : GATE_WARN;
        return;
    }
    gate_message(c, f, v, r == GATE_AP_DENIED ? DGE_APPROVAL_DENIED : DGE_APPROVAL_REQUIRED);
    gate_approval_tail(v, r);
}

void gate_approval_execute(uint64_t key, uint16_t rule, const char *text, size_t len,
                           const char *schema, const char *user, struct gate_verdict *out)
{
    gate_verdict_clear(out);
    out->rules[0] = rule;
    out->nrules = 1;
    out->deciding_rule = rule;
    rules_hit(rule);
    enum gate_approval_result r =
        gate_approval_decide(key, rule, false, text, len, schema, user ? user : "", out);
    if (r == GATE_AP_PASS) {
        out->action = GATE_WARN;
        return;
    }
    out->action = GATE_APPROVAL;
    gate_message_of(rule, "(an execute of a prepared statement)", text,
                    (struct sql_span){0, (uint32_t)len}, out,
                    r == GATE_AP_DENIED ? DGE_APPROVAL_DENIED : DGE_APPROVAL_REQUIRED);
    gate_approval_tail(out, r);
}

static void gate_finish(struct gate_ctx *c, struct gate_verdict *v)
{
    const struct gate_fire *decide = NULL;
    enum rule_mode worst = RULE_OFF;
    for (int i = 0; i < c->nfired; i++) {
        struct gate_fire *f = &c->fired[i];
        rules_hit(f->id);
        if (v->nrules < GATE_MAX_RULES)
            v->rules[v->nrules++] = f->id;
        enum rule_mode m = gate_effective(f);
        if (m > worst) {
            worst = m;
            decide = f;
        }
    }
    v->deciding_rule = decide ? decide->id : 0;
    for (int i = 1; i < v->nrules; i++) /* ascending ids: stable logs and lint output */
        for (int k = i; k > 0 && v->rules[k - 1] > v->rules[k]; k--) {
            uint16_t t = v->rules[k];
            v->rules[k] = v->rules[k - 1];
            v->rules[k - 1] = t;
        }
    switch (worst) {
    case RULE_REJECT: {
        int code = decide->id == 900   ? DGE_UNPARSEABLE_DDL
                   : decide->id == 902 ? DGE_MULTI_STATEMENT_DDL
                                       : DGE_RULE_REJECT;
        gate_message(c, decide, v, code);
        v->action = GATE_REJECT;
        v->lock_wait_cap_s = 0;
        free(v->rewritten);
        v->rewritten = NULL;
        v->rewritten_len = 0;
        return;
    }
    case RULE_APPROVAL:
        v->action = GATE_APPROVAL;
        gate_approval(c, decide, v);
        if (v->action == GATE_APPROVAL) {
            v->lock_wait_cap_s = 0;
            free(v->rewritten);
            v->rewritten = NULL;
            v->rewritten_len = 0;
        }
        return;
    case RULE_REWRITE:
    case RULE_WARN:
        /* DG030's rewrite is of the session (lock_wait_timeout capped, see
         * lock_wait_cap_s), not of the text: alone it forwards the text
         * unchanged, so the action says warn */
        v->action = v->rewritten ? GATE_REWRITE : GATE_WARN;
        return;
    case RULE_OFF:
        v->action = v->rewritten ? GATE_REWRITE : GATE_PASS;
        return;
    }
}

/* The verdict's digest: the last DDL statement's, else the first
 * statement's.  Digests are made on demand (sql_stmt_digest()), so only
 * for the verdicts that are logged or recorded: a rule fired, a DDL, or a
 * statement the parser could not read.  A plain pass leaves it 0. */
static void gate_digest(const struct gate_ctx *c, struct sql_script *script, struct gate_verdict *v)
{
    struct sql_stmt *own = NULL;
    bool need = c->nfired > 0;
    for (int i = 0; i < script->nstmts; i++) {
        struct sql_stmt *st = &script->stmts[i];
        if (st->kind == SQL_KIND_EMPTY)
            continue;
        bool ddl = st->kind == SQL_KIND_DDL || st->ddl != SQL_DDL_NONE;
        if (ddl || !own)
            own = st;
        need = need || ddl || !st->parsed;
    }
    if (!need || !own)
        return;
    /* stored, so gate_approval() and later readers do not lex again */
    for (int i = 0; i < script->nstmts; i++)
        if (script->stmts[i].kind != SQL_KIND_EMPTY)
            sql_stmt_digest_fill(c->opts, c->text, c->len, &script->stmts[i]);
    v->digest = own->digest;
}

void gate_check(const struct sql_parse_opts *opts, const struct gate_session *sess,
                const struct gate_tables *tables, const char *text, size_t len,
                struct sql_script *script, struct gate_verdict *out)
{
    gate_verdict_clear(out);
    sql_script_reset(script);
    if (!sql_parse(opts, text, len, script)) {
        out->action = GATE_REJECT;
        out->err_code = DGE_UNPARSEABLE_DDL;
        snprintf(out->sqlstate, sizeof out->sqlstate, "%s", dg_error_sqlstate(DGE_UNPARSEABLE_DDL));
        snprintf(out->message, sizeof out->message, "ddlgate: out of memory while parsing");
        return;
    }
    struct gate_ctx c;
    c.opts = opts;
    c.sess = sess;
    c.tables = tables;
    c.text = text;
    c.len = len;
    c.nfired = 0;
    c.nedits = 0;
    c.st = NULL;
    c.schema = c.table = NULL;
    int nreal = 0, nddl = 0;
    for (int i = 0; i < script->nstmts; i++) {
        const struct sql_stmt *st = &script->stmts[i];
        if (st->kind == SQL_KIND_EMPTY)
            continue;
        nreal++;
        if (st->kind == SQL_KIND_DDL)
            nddl++;
    }
    if ((nreal > 1 || (sess && sess->multi_statement)) && nddl > 0)
        gate_fire(&c, 902, "%d statements in one query, %d of them DDL", nreal, nddl);
    for (int i = 0; i < script->nstmts; i++)
        gate_stmt(&c, &script->stmts[i], out);
    unsigned cv;
    if (nreal == 0 && (cv = gate_exec_comment(text, 0, (uint32_t)len, true)) != 0)
        gate_fire(&c, 901, "DDL inside /*!%u ... */ that this server ignores (statement is empty)",
                  cv);
    gate_rewrite_apply(&c, script, out);
    gate_digest(&c, script, out);
    gate_finish(&c, out);
}
