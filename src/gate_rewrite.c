/*
 * gate_rewrite.c - build rewrites as byte-range edits on the original text
 * and splice them.  Edits only ever touch an ALGORITHM/LOCK clause span (and
 * its separating comma) or insert at alter.append_off, so everything else -
 * comments, spacing, case, quoting - is forwarded byte for byte.  The result
 * is parsed again and must still be the same statement(s) on the same
 * table(s); otherwise the rewrite is dropped and the rules fall back (an
 * assertion rule to warn, a rule fixing a server error to reject).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate_rules.h"

static bool gate_rewrite_mode(struct gate_ctx *c, uint16_t rule)
{
    const struct gate_fire *f = gate_fired(c, rule);
    return f && f->mode == RULE_REWRITE;
}

static void gate_no_rewrite(struct gate_ctx *c, uint16_t rule)
{
    struct gate_fire *f = gate_fired(c, rule);
    if (f)
        f->no_rewrite = true;
}

static bool gate_index_form(const struct sql_stmt *st)
{
    return st->ddl == SQL_DDL_CREATE_INDEX || st->ddl == SQL_DDL_DROP_INDEX;
}

void gate_rewrite_online(struct gate_ctx *c, uint16_t rule)
{
    if (!gate_rewrite_mode(c, rule))
        return;
    const struct sql_stmt *st = c->st;
    const struct sql_alter *a = &st->alter;
    const struct classify_result *cr = c->cr;
    const struct sql_server *srv = &c->opts->server;
    bool mysql = srv->flavour == SQL_FLAVOUR_MYSQL;
    enum sql_algorithm alg;
    bool lock = true;
    if (!cr->clause_allowed)
        goto fail;
    if (cr->instant_ok && classify_algorithm_supported(srv, SQL_ALG_INSTANT) &&
        !(mysql && st->ddl == SQL_DDL_CREATE_INDEX)) {
        alg = SQL_ALG_INSTANT; /* MySQL refuses a LOCK clause with INSTANT */
        lock = false;
    } else if (cr->best == SQL_ALG_COPY) {
        alg = SQL_ALG_NONE; /* MariaDB 11.2+ online COPY: assert the lock only */
    } else if (!mysql && !cr->rebuild && classify_algorithm_supported(srv, SQL_ALG_NOCOPY)) {
        alg = SQL_ALG_NOCOPY;
    } else {
        alg = SQL_ALG_INPLACE;
    }
    if (srv->wsrep && (alg == SQL_ALG_INPLACE || alg == SQL_ALG_NOCOPY))
        lock = false; /* Galera/PXC refuse LOCK=NONE on INPLACE */
    if (lock && a->lock_span.len) {
        /* LOCK=DEFAULT written: turn it into the assertion in place */
        if (!gate_add_edit(c, a->lock_span.off, a->lock_span.len, "LOCK=NONE"))
            goto fail;
        lock = false;
    }
    if (alg == SQL_ALG_NONE && !lock)
        goto fail;
    const char *sep = gate_index_form(st) ? " " : ", ";
    char buf[48];
    if (alg == SQL_ALG_NONE)
        snprintf(buf, sizeof buf, "%sLOCK=NONE", sep);
    else
        snprintf(buf, sizeof buf, "%sALGORITHM=%s%s%s", sep, sql_algorithm_name(alg),
                 lock ? sep : "", lock ? "LOCK=NONE" : "");
    if (a->append_off > 0 && gate_add_edit(c, a->append_off, 0, buf))
        return;
fail:
    gate_no_rewrite(c, rule);
}

void gate_rewrite_drop_lock(struct gate_ctx *c, uint16_t rule)
{
    if (!gate_rewrite_mode(c, rule))
        return;
    const struct sql_stmt *st = c->st;
    struct sql_span l = st->alter.lock_span;
    uint32_t lo = st->span.off, hi = st->span.off + st->span.len;
    if (!l.len) {
        gate_no_rewrite(c, rule);
        return;
    }
    uint32_t from = l.off, to = l.off + l.len, p = l.off;
    while (p > lo && isspace((unsigned char)c->text[p - 1]))
        p--;
    if (p > lo && c->text[p - 1] == ',') {
        from = p - 1; /* "..., LOCK=NONE" -> "..." */
    } else {
        uint32_t q = to;
        while (q < hi && isspace((unsigned char)c->text[q]))
            q++;
        if (q < hi && c->text[q] == ',') {
            q++; /* "LOCK=NONE, ADD ..." -> "ADD ..." */
            while (q < hi && isspace((unsigned char)c->text[q]))
                q++;
            to = q;
        } else {
            from = p; /* "ALGORITHM=INSTANT LOCK=NONE" -> "ALGORITHM=INSTANT" */
        }
    }
    if (!gate_add_edit(c, from, to - from, ""))
        gate_no_rewrite(c, rule);
}

void gate_rewrite_algorithm(struct gate_ctx *c, uint16_t rule, enum sql_algorithm to)
{
    if (!gate_rewrite_mode(c, rule))
        return;
    const struct sql_stmt *st = c->st;
    const struct sql_alter *a = &st->alter;
    const struct sql_server *srv = &c->opts->server;
    char buf[48];
    snprintf(buf, sizeof buf, "ALGORITHM=%s", sql_algorithm_name(to));
    if (!a->algorithm_span.len ||
        !gate_add_edit(c, a->algorithm_span.off, a->algorithm_span.len, buf)) {
        gate_no_rewrite(c, rule);
        return;
    }
    bool lock_given =
        a->lock == SQL_LOCK_NONE || a->lock == SQL_LOCK_SHARED || a->lock == SQL_LOCK_EXCLUSIVE;
    if (to == SQL_ALG_INSTANT && srv->flavour == SQL_FLAVOUR_MYSQL && lock_given) {
        gate_rewrite_drop_lock(c, rule);
        return;
    }
    if (to != SQL_ALG_INSTANT && a->lock == SQL_LOCK_NONE_GIVEN && c->cr->lock_none &&
        !srv->wsrep) {
        /* keep the non-blocking promise the INSTANT/NOCOPY request made */
        const char *add = gate_index_form(st) ? " LOCK=NONE" : ", LOCK=NONE";
        if (!gate_add_edit(c, a->algorithm_span.off + a->algorithm_span.len, 0, add))
            gate_no_rewrite(c, rule);
    }
}

static int gate_edit_cmp(const void *x, const void *y)
{
    const struct gate_edit *a = x, *b = y;
    return a->off < b->off ? -1 : a->off > b->off ? 1 : 0;
}

static bool gate_same_name(const struct sql_name *a, const struct sql_name *b)
{
    if (!a->name || !b->name || strcmp(a->name, b->name) != 0)
        return false;
    if (!a->schema || !b->schema)
        return a->schema == b->schema;
    return strcmp(a->schema, b->schema) == 0;
}

/* Parse the rewritten text and compare it with the original statements. */
static bool gate_rewrite_verify(struct gate_ctx *c, const struct sql_script *orig, const char *text,
                                size_t len)
{
    struct sql_script *s = malloc(sizeof *s);
    if (!s)
        return false;
    sql_script_init(s);
    bool ok = sql_parse(c->opts, text, len, s) && s->nstmts == orig->nstmts;
    for (int i = 0; ok && i < s->nstmts; i++) {
        const struct sql_stmt *x = &orig->stmts[i], *y = &s->stmts[i];
        ok = x->kind == y->kind && x->ddl == y->ddl && x->parsed == y->parsed;
        if (ok && (x->ddl == SQL_DDL_ALTER_TABLE || x->ddl == SQL_DDL_CREATE_INDEX ||
                   x->ddl == SQL_DDL_DROP_INDEX))
            ok = gate_same_name(&x->alter.table, &y->alter.table) &&
                 x->alter.nspecs == y->alter.nspecs;
    }
    sql_script_free(s);
    free(s);
    return ok;
}

void gate_rewrite_apply(struct gate_ctx *c, const struct sql_script *script, struct gate_verdict *v)
{
    if (c->nedits == 0)
        return;
    qsort(c->edits, (size_t)c->nedits, sizeof c->edits[0], gate_edit_cmp);
    size_t n = c->len;
    for (int i = 0; i < c->nedits; i++)
        n = n - c->edits[i].len + strlen(c->edits[i].text);
    char *out = malloc(n + 1);
    if (!out)
        goto fail;
    size_t o = 0, at = 0;
    for (int i = 0; i < c->nedits; i++) {
        const struct gate_edit *e = &c->edits[i];
        memcpy(out + o, c->text + at, e->off - at);
        o += e->off - at;
        size_t tl = strlen(e->text);
        memcpy(out + o, e->text, tl);
        o += tl;
        at = e->off + e->len;
    }
    memcpy(out + o, c->text + at, c->len - at);
    o += c->len - at;
    out[o] = '\0';
    if (!gate_rewrite_verify(c, script, out, o)) {
        free(out);
        snprintf(v->note, sizeof v->note,
                 "rewrite dropped: the rewritten text did not parse back "
                 "to the same statement");
        goto fail;
    }
    v->rewritten = out;
    v->rewritten_len = o;
    return;
fail:
    for (int i = 0; i < c->nfired; i++)
        if (c->fired[i].mode == RULE_REWRITE)
            c->fired[i].no_rewrite = true;
}
