/*
 * sql_parse_dml.c - queries (SELECT/UNION/WITH/TABLE/VALUES), INSERT,
 * REPLACE, UPDATE, DELETE and the expression scanner that records column
 * references.  Expressions are not built into trees: the scanner only needs
 * to know which words are column names, where subqueries start and where
 * the expression ends.
 */
#include "sql_parse_int.h"

#include <string.h>

static bool dml_select_block(struct sqlp *p);

/* Clause words that end an expression at parenthesis depth 0. */
static bool dml_stop_kw(unsigned kw)
{
    switch (kw) {
    case KW_FROM:
    case KW_WHERE:
    case KW_GROUP:
    case KW_HAVING:
    case KW_ORDER:
    case KW_LIMIT:
    case KW_UNION:
    case KW_EXCEPT:
    case KW_INTERSECT:
    case KW_INTO:
    case KW_FOR:
    case KW_LOCK:
    case KW_WINDOW:
    case KW_ON:
    case KW_USING:
    case KW_JOIN:
    case KW_INNER:
    case KW_LEFT:
    case KW_RIGHT:
    case KW_CROSS:
    case KW_NATURAL:
    case KW_STRAIGHT_JOIN:
    case KW_AS:
    case KW_SET:
    case KW_RETURNING:
    case KW_ASC:
    case KW_DESC:
    case KW_WITH:
    case KW_SEPARATOR:
    case KW_OFFSET:
    case KW_VIRTUAL:
    case KW_STORED:
    case KW_PERSISTENT:
        return true;
    default:
        return false;
    }
}

/* Reserved words that are values, not operators. */
static bool dml_operand_kw(unsigned kw)
{
    switch (kw) {
    case KW_NULL:
    case KW_TRUE:
    case KW_FALSE:
    case KW_CURRENT_DATE:
    case KW_CURRENT_TIME:
    case KW_CURRENT_TIMESTAMP:
    case KW_LOCALTIME:
    case KW_LOCALTIMESTAMP:
    case KW_UTC_TIMESTAMP:
    case KW_DEFAULT:
    case KW_MAXVALUE:
    case KW_DAY:
    case KW_DAY_HOUR:
    case KW_DAY_MICROSECOND:
    case KW_DAY_MINUTE:
    case KW_DAY_SECOND:
    case KW_HOUR:
    case KW_HOUR_MICROSECOND:
    case KW_HOUR_MINUTE:
    case KW_HOUR_SECOND:
    case KW_MICROSECOND:
    case KW_MINUTE:
    case KW_MINUTE_MICROSECOND:
    case KW_MINUTE_SECOND:
    case KW_MONTH:
    case KW_QUARTER:
    case KW_SECOND:
    case KW_SECOND_MICROSECOND:
    case KW_WEEK:
    case KW_YEAR:
    case KW_YEAR_MONTH:
        return true;
    default:
        return false;
    }
}

static bool dml_starts_query(const struct sqlp *p, int k)
{
    for (int guard = 0; guard < 64 && sqlp_is_op(p, k, '('); guard++)
        k++;
    return sqlp_is_kw(p, k, KW_SELECT) || sqlp_is_kw(p, k, KW_WITH) ||
           sqlp_is_kw(p, k, KW_VALUES) || sqlp_is_kw(p, k, KW_TABLE);
}

/* A nested query in its own scope; column refs inside keep the caller's ctx
 * rules but never touch the statement-level flags. */
static bool dml_subquery(struct sqlp *p)
{
    int saved_scope = p->scope;
    bool saved_top = p->top;
    uint8_t saved_ctx = p->ctx, saved_access = p->access;
    p->top = false;
    p->access = SQL_ACCESS_READ;
    bool ok = sqlp_query(p);
    p->scope = saved_scope;
    p->top = saved_top;
    p->ctx = saved_ctx;
    p->access = saved_access;
    return ok;
}

/* name[.name[.name|*]]: the last part is the column, the one before it the
 * qualifier. */
static __attribute__((noinline)) void dml_column_ref_q(struct sqlp *p);

/* The usual bare name inline in the caller; a qualified one out of line
 * (its walk made every call save and restore registers). */
SQLP_INLINE void dml_column_ref(struct sqlp *p)
{
    const struct lex_tok *col = &p->t[p->i];
    if (sqlp_is_op(p, 1, '.')) {
        dml_column_ref_q(p);
        return;
    }
    p->i++;
    const char *name = sqlp_tok_str(p, col);
    if (name)
        sqlp_add_column(p, NULL, name, (struct sql_span){col->off, col->len}, false);
}

static void dml_column_ref_q(struct sqlp *p)
{
    const struct lex_tok *parts[3];
    int np = 0;
    parts[np++] = &p->t[p->i++];
    const struct lex_tok *t1 = sqlp_tok(p, 1);
    if (sqlp_is_name(t1) && !sqlp_is_op(p, 2, '.')) { /* the usual q.name */
        p->i += 2;
        const char *qual = sqlp_tok_str(p, parts[0]);
        const char *name = sqlp_tok_str(p, t1);
        if (name)
            sqlp_add_column(p, qual, name, (struct sql_span){t1->off, t1->len}, false);
        return;
    }
    while (np < 3 && sqlp_is_op(p, 0, '.') &&
           (sqlp_is_name(sqlp_tok(p, 1)) || sqlp_is_op(p, 1, '*'))) {
        parts[np++] = sqlp_tok(p, 1);
        p->i += 2;
        if (parts[np - 1]->type == LEX_OP)
            break;
    }
    const struct lex_tok *col = parts[np - 1];
    const char *qual = np >= 2 ? sqlp_tok_str(p, parts[np - 2]) : NULL;
    bool star = col->type == LEX_OP;
    const char *name = star ? "*" : sqlp_tok_str(p, col);
    struct sql_span span = {col->off, col->len};
    if (name)
        sqlp_add_column(p, qual, name, span, star);
}

/* Handle a keyword inside an expression; returns the new after_operand. */
static bool dml_expr_keyword(struct sqlp *p, const struct lex_tok *t, int depth)
{
    unsigned kw = t->kw;
    p->i++;
    if (sqlp_is_op(p, 0, '('))
        return false; /* IF(, REPLACE(, LEFT(, VALUES(, EXISTS (...: function-like */
    switch (kw) {
    case KW_END:
        return true;
    case KW_COLLATE:
    case KW_USING: /* CONVERT(x USING cs) */
        if (sqlp_is_name(sqlp_cur(p)) || sqlp_cur(p)->type == LEX_STRING)
            p->i++;
        return true;
    case KW_AS: /* CAST(x AS type[(n)]) */
        (void)depth;
        if (sqlp_is_name(sqlp_cur(p)))
            p->i++;
        return true;
    case KW_IN: /* AGAINST ('x' IN BOOLEAN MODE) */
        for (int guard = 0; guard < 4 && sqlp_cur(p)->type == LEX_IDENT; guard++) {
            bool mode = sqlp_cur(p)->kw == KW_MODE;
            p->i++;
            if (mode)
                break;
        }
        return false;
    default:
        return dml_operand_kw(kw);
    }
}

bool sqlp_expr(struct sqlp *p, bool stop_comma)
{
    if (++p->depth > SQLP_MAX_DEPTH) {
        p->depth--;
        return sqlp_fail(p, "statement nested too deeply");
    }
    int depth = 0;
    bool after = false; /* the previous token ended an operand */
    while (p->i < p->n && !p->err) {
        const struct lex_tok *t = &p->t[p->i];
        if (t->type == LEX_OP) {
            if (t->op == '(' && dml_starts_query(p, 1)) {
                p->i++;
                if (!dml_subquery(p) || !sqlp_expect_op(p, ')'))
                    break;
                after = true;
                continue;
            }
            if (t->op == '(') {
                if (depth >= 4 * SQLP_MAX_DEPTH) {
                    sqlp_fail(p, "statement nested too deeply");
                    break;
                }
                depth++;
                after = false;
            } else if (t->op == ')') {
                if (depth == 0)
                    break;
                depth--;
                after = true;
            } else if (t->op == ',' && depth == 0 && stop_comma) {
                break;
            } else if (t->op == ';') {
                break;
            } else {
                after = false;
            }
            p->i++;
            continue;
        }
        if (t->type == LEX_IDENT && t->kw != KW_NONE &&
            (lex_kw_reserved((enum lex_kw)t->kw) || t->kw == KW_END || t->kw == KW_MEMBER)) {
            if (depth == 0 && dml_stop_kw(t->kw))
                break;
            after = dml_expr_keyword(p, t, depth);
            continue;
        }
        if (t->type == LEX_IDENT && t->kw == KW_OVER) { /* OVER w / OVER (...) */
            p->i++;
            if (sqlp_is_name(sqlp_cur(p)))
                p->i++;
            after = true;
            continue;
        }
        if (t->type == LEX_IDENT && sqlp_tok(p, 1)->type == LEX_STRING && t->kw == KW_NONE &&
            (sqlp_is_word(t, p->text, "DATE") || sqlp_is_word(t, p->text, "TIME") ||
             sqlp_is_word(t, p->text, "TIMESTAMP"))) {
            p->i += 2; /* DATE '2024-01-01' literal */
            after = true;
            continue;
        }
        if (sqlp_is_name(t)) {
            if (t->type == LEX_IDENT && sqlp_is_op(p, 1, '(')) {
                p->i++; /* function name */
                after = false;
                continue;
            }
            if (after) {
                if (depth == 0)
                    break; /* implicit alias */
                p->i++;    /* OVER w, AGAINST modifiers, type words */
                continue;
            }
            dml_column_ref(p);
            after = true;
            continue;
        }
        if (t->type == LEX_STRING && after && depth == 0)
            break; /* 'alias' */
        p->i++;
        after = true;
    }
    p->depth--;
    if (depth > 0 && !p->err)
        return sqlp_fail(p, "unbalanced parentheses");
    return !p->err;
}

/* Comma-separated expressions with optional ASC/DESC (ORDER/GROUP BY). */
static bool dml_order_list(struct sqlp *p)
{
    uint8_t saved = p->ctx;
    p->ctx = SQL_COLCTX_ORDER;
    do {
        int before = p->i;
        if (!sqlp_expr(p, true))
            return false;
        if (p->i == before)
            return sqlp_fail(p, "expected an expression");
        if (!sqlp_accept_kw(p, KW_ASC))
            sqlp_accept_kw(p, KW_DESC);
    } while (sqlp_accept_op(p, ','));
    p->ctx = saved;
    return true;
}

static bool dml_limit(struct sqlp *p)
{
    if (!sqlp_accept_kw(p, KW_LIMIT))
        return true;
    if (p->top)
        p->st->has_limit = true;
    /* LIMIT n | LIMIT m, n | LIMIT n OFFSET m | MariaDB LIMIT ROWS EXAMINED */
    for (int k = 0; k < 2; k++) {
        const struct lex_tok *t = sqlp_cur(p);
        if (t->type != LEX_NUMBER && t->type != LEX_PARAM && t->type != LEX_VAR && !sqlp_is_name(t))
            return sqlp_fail(p, "expected a LIMIT value");
        p->i++;
        if (!sqlp_accept_op(p, ',') && !sqlp_accept_kw(p, KW_OFFSET))
            break;
    }
    return true;
}

static void dml_unpin(struct sql_stmt *st, int from, int to)
{
    for (int j = from; j < to; j++)
        st->columns[j].where_pin = false;
}

/* Does the query at token k start a subquery: SELECT/WITH/VALUES/TABLE
 * after any number of '('? */
static bool dml_query_at(const struct sqlp *p, int k, int end)
{
    while (k < end && p->t[k].type == LEX_OP && p->t[k].op == '(')
        k++;
    const struct lex_tok *t = &p->t[k];
    return k < end && t->type == LEX_IDENT &&
           (t->kw == KW_SELECT || t->kw == KW_WITH || t->kw == KW_VALUES || t->kw == KW_TABLE);
}

/* DG081's facts about an UPDATE/DELETE's own WHERE, from its tokens
 * [a, b) and its column refs from c0 on (a walk over the tokens the parse
 * just read, not over the text): where_pin on every column that a
 * top-level conjunct compares with =, <=>, IN or BETWEEN; where_or when
 * OR, XOR or || joins top-level conditions.  Parentheses that only group
 * AND-ed conditions pass their pins up; other parentheses (function
 * arguments, IN lists, subqueries, NOT (...), operands) and groups with an
 * OR keep none.  A condition starts the WHERE, or follows AND (not the AND
 * of BETWEEN), && or '('. */
static void dml_where_facts(struct sqlp *p, int a, int b, int c0)
{
    struct sql_stmt *st = p->st;
    struct {
        int col0;        /* first column ref inside the group */
        bool grouping;   /* ( conditions ) at a condition's start */
        bool or ;        /* OR / XOR / || at this level */
        bool between;    /* a BETWEEN waits for its AND */
    } g[SQLP_MAX_DEPTH]; /* sqlp_expr() allows deeper nesting: those groups pin nothing */
    int d = 0, over = 0, c = c0;
    bool at_start = true;
    g[0].col0 = c0;
    g[0].grouping = true;
    g[0].or = g[0].between = false;
    for (int k = a; k < b; k++) {
        const struct lex_tok *t = &p->t[k];
        bool s = at_start;
        at_start = false;
        while (c < st->ncolumns && st->columns[c].span.off < t->off)
            c++;
        if (t->type == LEX_OP) {
            if (t->op == '(') {
                at_start = true;
                if (d + 1 >= SQLP_MAX_DEPTH || over) {
                    over++;
                    continue;
                }
                d++;
                g[d].col0 = c;
                g[d].grouping = s && !dml_query_at(p, k + 1, b);
                g[d].or = g[d].between = false;
            } else if (t->op == ')') {
                if (over) {
                    over--;
                    continue;
                }
                if (d == 0)
                    break;
                if (!g[d].grouping || g[d].or)
                    dml_unpin(st, g[d].col0, c);
                d--;
            } else if (t->op == LEX_OP_OROR) {
                g[d].or = true;
            } else if (t->op == LEX_OP_ANDAND) {
                at_start = true;
            }
            continue;
        }
        if (t->type != LEX_IDENT && t->type != LEX_QIDENT)
            continue;
        if (t->kw == KW_OR || t->kw == KW_XOR) {
            g[d].or = true;
            continue;
        }
        if (t->kw == KW_BETWEEN) {
            g[d].between = true;
            continue;
        }
        if (t->kw == KW_AND) {
            at_start = !g[d].between;
            g[d].between = false;
            continue;
        }
        if (!s || over)
            continue;
        int e = k; /* [schema.][table.]column */
        while (e + 2 < b && p->t[e + 1].type == LEX_OP && p->t[e + 1].op == '.' &&
               sqlp_is_name(&p->t[e + 2]))
            e += 2;
        const struct lex_tok *nx = &p->t[e + 1];
        bool cmp =
            e + 1 < b && ((nx->type == LEX_OP && (nx->op == '=' || nx->op == LEX_OP_NSEQ)) ||
                          (nx->type == LEX_IDENT && (nx->kw == KW_IN || nx->kw == KW_BETWEEN)));
        if (!cmp)
            continue;
        for (int j = c; j < st->ncolumns && st->columns[j].span.off <= p->t[e].off; j++)
            if (st->columns[j].span.off == p->t[e].off)
                st->columns[j].where_pin = true;
        k = e;
    }
    st->where_or = g[0].or ;
    if (g[0].or)
        dml_unpin(st, c0, st->ncolumns);
}

static bool dml_where(struct sqlp *p)
{
    if (!sqlp_accept_kw(p, KW_WHERE))
        return true;
    if (p->top) {
        p->st->has_where = true;
        /* WHERE 1 / WHERE TRUE / WHERE 1=1 with nothing after it */
        const struct lex_tok *a = sqlp_cur(p);
        int k = 0;
        bool lit = (a->type == LEX_NUMBER && !(a->len == 1 && p->text[a->off] == '0')) ||
                   sqlp_is_kw(p, 0, KW_TRUE);
        if (lit) {
            k = 1;
            const struct lex_tok *b = sqlp_tok(p, 2);
            if (sqlp_is_op(p, 1, '=') && b->type == LEX_NUMBER && b->len == a->len &&
                memcmp(p->text + a->off, p->text + b->off, a->len) == 0)
                k = 3;
            const struct lex_tok *nx = sqlp_tok(p, k);
            p->st->where_trivial = nx->type == LEX_EOF || (nx->type == LEX_OP && nx->op == ')') ||
                                   (nx->type == LEX_IDENT && dml_stop_kw(nx->kw));
        }
    }
    uint8_t saved = p->ctx;
    p->ctx = SQL_COLCTX_WHERE;
    int before = p->i;
    bool ok = sqlp_expr(p, false);
    p->ctx = saved;
    if (ok && p->i == before)
        return sqlp_fail(p, "expected an expression after WHERE");
    return ok;
}

/* An UPDATE/DELETE's own WHERE, with DG081's facts (dml_where_facts()). */
static bool dml_where_dml(struct sqlp *p)
{
    int w = p->i, c0 = p->st->ncolumns;
    if (!dml_where(p))
        return false;
    if (p->top && p->i > w)
        dml_where_facts(p, w + 1, p->i, c0);
    return true;
}

/* FOR UPDATE / FOR SHARE [OF t] [NOWAIT|SKIP LOCKED] / LOCK IN SHARE MODE */
static bool dml_locking(struct sqlp *p)
{
    for (;;) {
        if (sqlp_is_kw(p, 0, KW_FOR) &&
            (sqlp_is_kw(p, 1, KW_UPDATE) || sqlp_is_kw(p, 1, KW_SHARE))) {
            p->i += 2;
            if (sqlp_accept_kw(p, KW_OF)) {
                do {
                    const char *nm;
                    if (!sqlp_name_tok(p, &nm, NULL))
                        return false;
                } while (sqlp_accept_op(p, ','));
            }
            if (!sqlp_accept_kw(p, KW_NOWAIT) && !sqlp_wait_clause(p) &&
                sqlp_accept_word(p, "SKIP"))
                if (!sqlp_accept_word(p, "LOCKED"))
                    return sqlp_fail(p, "expected LOCKED");
        } else if (sqlp_is_kw(p, 0, KW_LOCK) && sqlp_is_kw(p, 1, KW_IN)) {
            p->i += 2;
            if (!sqlp_expect_kw(p, KW_SHARE) || !sqlp_expect_kw(p, KW_MODE))
                return false;
        } else {
            return true;
        }
        p->st->for_update = true;
    }
}

static bool dml_into(struct sqlp *p)
{
    if (!sqlp_accept_kw(p, KW_INTO))
        return true;
    /* INTO @a, @b | OUTFILE 'f' [options] | DUMPFILE 'f' */
    while (p->i < p->n) {
        const struct lex_tok *t = sqlp_cur(p);
        if (t->type == LEX_IDENT && (t->kw == KW_FROM || t->kw == KW_FOR || t->kw == KW_LOCK ||
                                     t->kw == KW_UNION || t->kw == KW_WHERE))
            break;
        if (t->type == LEX_OP && (t->op == ')' || t->op == ';'))
            break;
        p->i++;
    }
    return true;
}

static bool dml_select_list(struct sqlp *p)
{
    p->ctx = SQL_COLCTX_SELECT;
    do {
        if (sqlp_is_op(p, 0, '*')) {
            const struct lex_tok *t = sqlp_cur(p);
            sqlp_add_column(p, NULL, "*", (struct sql_span){t->off, t->len}, true);
            p->i++;
            continue;
        }
        const struct lex_tok *t = sqlp_cur(p), *nx = sqlp_tok(p, 1);
        /* "name," and "name FROM": what sqlp_expr() does, without its loop */
        if (t->type == LEX_IDENT && t->kw == KW_NONE &&
            ((nx->type == LEX_OP && nx->op == ',') ||
             (nx->type == LEX_IDENT && nx->kw == KW_FROM && lex_kw_reserved(KW_FROM))) &&
            p->depth < SQLP_MAX_DEPTH && !p->err) {
            dml_column_ref(p);
            if (p->err)
                return false;
            continue;
        }
        int before = p->i;
        if (!sqlp_expr(p, true))
            return false;
        if (p->i == before)
            return sqlp_fail(p, "expected a select expression");
        if (sqlp_accept_kw(p, KW_AS)) {
            if (!sqlp_is_name(sqlp_cur(p)) && sqlp_cur(p)->type != LEX_STRING)
                return sqlp_fail(p, "expected an alias");
            p->i++;
        } else if (sqlp_is_alias_tok(sqlp_cur(p)) || sqlp_cur(p)->type == LEX_STRING) {
            p->i++;
        }
    } while (sqlp_accept_op(p, ','));
    return true;
}

static bool dml_select_block(struct sqlp *p)
{
    if (!sqlp_expect_kw(p, KW_SELECT))
        return false;
    p->scope = sqlp_new_scope(p);
    for (;;) { /* select options */
        const struct lex_tok *t = sqlp_cur(p);
        if (t->type == LEX_IDENT &&
            (t->kw == KW_ALL || t->kw == KW_DISTINCT || t->kw == KW_DISTINCTROW ||
             t->kw == KW_HIGH_PRIORITY || t->kw == KW_STRAIGHT_JOIN ||
             t->kw == KW_SQL_SMALL_RESULT || t->kw == KW_SQL_BIG_RESULT ||
             t->kw == KW_SQL_BUFFER_RESULT || t->kw == KW_SQL_CACHE || t->kw == KW_SQL_NO_CACHE ||
             t->kw == KW_SQL_CALC_FOUND_ROWS))
            p->i++;
        else
            break;
    }
    if (!dml_select_list(p) || !dml_into(p))
        return false;
    if (sqlp_accept_kw(p, KW_FROM)) {
        p->access = SQL_ACCESS_READ;
        if (!sqlp_accept_kw(p, KW_DUAL) && !sqlp_table_refs(p))
            return false;
    }
    if (!dml_where(p))
        return false;
    if (sqlp_accept_kw2(p, KW_GROUP, KW_BY)) {
        if (!dml_order_list(p))
            return false;
        if (sqlp_is_kw(p, 0, KW_WITH) && sqlp_is_word(sqlp_tok(p, 1), p->text, "ROLLUP"))
            p->i += 2;
    }
    if (sqlp_accept_kw(p, KW_HAVING)) {
        p->ctx = SQL_COLCTX_WHERE;
        if (!sqlp_expr(p, false))
            return false;
    }
    if (sqlp_accept_kw(p, KW_WINDOW)) {
        do {
            const char *nm;
            p->ctx = SQL_COLCTX_ORDER; /* PARTITION BY / ORDER BY columns */
            if (!sqlp_name_tok(p, &nm, NULL) || !sqlp_expect_kw(p, KW_AS) ||
                !sqlp_expect_op(p, '(') || !sqlp_expr(p, false) || !sqlp_expect_op(p, ')'))
                return false;
        } while (sqlp_accept_op(p, ','));
    }
    return true;
}

static bool dml_query_primary(struct sqlp *p)
{
    if (sqlp_accept_op(p, '(')) {
        if (!sqlp_query(p))
            return false;
        return sqlp_expect_op(p, ')');
    }
    if (sqlp_is_kw(p, 0, KW_SELECT))
        return dml_select_block(p);
    if (sqlp_accept_kw(p, KW_TABLE)) {
        struct sql_name nm;
        if (!sqlp_qname(p, &nm))
            return false;
        p->scope = sqlp_new_scope(p);
        sqlp_add_table(p, &nm, NULL, (struct sql_span){0, 0}, SQL_ACCESS_READ);
        return true;
    }
    if (sqlp_accept_kw(p, KW_VALUES)) {
        p->ctx = SQL_COLCTX_WHERE;
        return sqlp_expr(p, false);
    }
    return sqlp_fail(p, "expected SELECT");
}

static bool dml_ctes(struct sqlp *p)
{
    sqlp_accept_kw(p, KW_RECURSIVE);
    do {
        const char *name;
        if (!sqlp_name_tok(p, &name, NULL))
            return false;
        if (p->nctes < SQLP_MAX_CTES)
            p->ctes[p->nctes++] = name;
        if (sqlp_is_op(p, 0, '(') && !sqlp_skip_parens(p))
            return false;
        if (!sqlp_expect_kw(p, KW_AS) || !sqlp_expect_op(p, '('))
            return false;
        if (!dml_subquery(p) || !sqlp_expect_op(p, ')'))
            return false;
    } while (sqlp_accept_op(p, ','));
    return true;
}

bool sqlp_query(struct sqlp *p)
{
    if (++p->depth > SQLP_MAX_DEPTH) {
        p->depth--;
        return sqlp_fail(p, "statement nested too deeply");
    }
    int outer = p->scope;
    bool ok = !sqlp_accept_kw(p, KW_WITH) || dml_ctes(p);
    while (ok) {
        p->scope = outer;
        ok = dml_query_primary(p);
        if (!ok)
            break;
        if (sqlp_accept_kw(p, KW_UNION) || sqlp_accept_kw(p, KW_EXCEPT) ||
            sqlp_accept_kw(p, KW_INTERSECT)) {
            if (!sqlp_accept_kw(p, KW_ALL))
                sqlp_accept_kw(p, KW_DISTINCT);
            continue;
        }
        break;
    }
    if (ok && sqlp_accept_kw2(p, KW_ORDER, KW_BY))
        ok = dml_order_list(p);
    /* at the end (most queries) INTO and locking clauses have nothing to take */
    ok = ok && dml_limit(p) && (sqlp_eof(p) || (dml_into(p) && dml_locking(p) && dml_into(p)));
    p->scope = outer;
    p->depth--;
    return ok;
}

/* ---- FROM clause ---------------------------------------------------------- */

static bool dml_alias(struct sqlp *p, const char **alias, struct sql_span *span)
{
    /* the span is stored whole: the caller passes it on by value, and an
     * 8-byte load of two 4-byte stores stalls on store forwarding */
    *alias = NULL;
    *span = (struct sql_span){0, 0};
    bool as = sqlp_accept_kw(p, KW_AS);
    const struct lex_tok *t = sqlp_cur(p);
    if (as ? (sqlp_is_name(t) || t->type == LEX_STRING) : sqlp_is_alias_tok(t)) {
        *alias = sqlp_tok_str(p, t);
        *span = (struct sql_span){t->off, t->len};
        p->i++;
        return true;
    }
    return as ? sqlp_fail(p, "expected an alias") : true;
}

static bool dml_index_hints(struct sqlp *p)
{
    while (
        (sqlp_is_kw(p, 0, KW_USE) || sqlp_is_kw(p, 0, KW_FORCE) || sqlp_is_kw(p, 0, KW_IGNORE)) &&
        (sqlp_is_kw(p, 1, KW_INDEX) || sqlp_is_kw(p, 1, KW_KEY))) {
        p->i += 2;
        if (sqlp_accept_kw(p, KW_FOR)) {
            if (sqlp_accept_kw(p, KW_JOIN)) {
            } else if (!sqlp_accept_kw2(p, KW_ORDER, KW_BY) &&
                       !sqlp_accept_kw2(p, KW_GROUP, KW_BY)) {
                return sqlp_fail(p, "bad index hint");
            }
        }
        if (!sqlp_skip_parens(p))
            return false;
        if (sqlp_is_op(p, 0, ',') &&
            (sqlp_is_kw(p, 1, KW_USE) || sqlp_is_kw(p, 1, KW_FORCE) || sqlp_is_kw(p, 1, KW_IGNORE)))
            p->i++;
    }
    return true;
}

static bool dml_table_factor(struct sqlp *p)
{
    const char *alias;
    struct sql_span aspan;
    if (sqlp_accept_kw(p, KW_LATERAL) && !sqlp_is_op(p, 0, '('))
        return sqlp_fail(p, "expected a derived table");
    if (sqlp_is_op(p, 0, '(')) {
        if (dml_starts_query(p, 1)) {
            p->i++;
            if (!dml_subquery(p) || !sqlp_expect_op(p, ')') || !dml_alias(p, &alias, &aspan))
                return false;
            if (sqlp_is_op(p, 0, '('))
                return sqlp_skip_parens(p); /* derived column list */
            return true;
        }
        p->i++;
        if (!sqlp_table_refs(p))
            return false;
        return sqlp_expect_op(p, ')');
    }
    if (sqlp_is_kw(p, 0, KW_JSON_TABLE) && sqlp_is_op(p, 1, '(')) {
        p->i++;
        return sqlp_skip_parens(p) && dml_alias(p, &alias, &aspan);
    }
    struct sql_name nm;
    if (!sqlp_qname(p, &nm))
        return false;
    if (sqlp_is_kw(p, 0, KW_PARTITION) && sqlp_is_op(p, 1, '(')) {
        p->i++;
        if (!sqlp_skip_parens(p))
            return false;
    }
    if (sqlp_is_kw(p, 0, KW_FOR) && sqlp_is_kw(p, 1, KW_SYSTEM_TIME)) {
        /* MariaDB FOR SYSTEM_TIME AS OF x | BETWEEN a AND b | ALL */
        p->i += 2;
        uint8_t saved = p->ctx;
        p->ctx = SQL_COLCTX_WHERE;
        bool ok = true;
        if (sqlp_accept_kw2(p, KW_AS, KW_OF) || sqlp_accept_kw(p, KW_BETWEEN) ||
            sqlp_accept_kw(p, KW_FROM))
            ok = sqlp_expr(p, true);
        else if (!sqlp_accept_kw(p, KW_ALL))
            ok = sqlp_fail(p, "expected AS OF, BETWEEN, FROM or ALL");
        p->ctx = saved;
        if (!ok)
            return false;
    }
    if (!dml_alias(p, &alias, &aspan))
        return false;
    sqlp_add_table(p, &nm, alias, aspan, p->access);
    return dml_index_hints(p);
}

static bool dml_join_kw(struct sqlp *p)
{
    int k = 0;
    const struct lex_tok *t0 = sqlp_cur(p);
    if (t0->type != LEX_IDENT)
        return false;
    switch (t0->kw) { /* the words a join can start with; most tokens here are none */
    case KW_STRAIGHT_JOIN:
    case KW_NATURAL:
    case KW_LEFT:
    case KW_RIGHT:
    case KW_FULL:
    case KW_INNER:
    case KW_CROSS:
    case KW_JOIN:
        break;
    default:
        return false;
    }
    if (sqlp_is_kw(p, 0, KW_STRAIGHT_JOIN)) {
        p->i++;
        return true;
    }
    if (sqlp_is_kw(p, k, KW_NATURAL))
        k++;
    if (sqlp_is_kw(p, k, KW_LEFT) || sqlp_is_kw(p, k, KW_RIGHT) ||
        sqlp_is_word(sqlp_tok(p, k), p->text, "FULL")) {
        k++;
        if (sqlp_is_kw(p, k, KW_OUTER))
            k++;
    } else if (sqlp_is_kw(p, k, KW_INNER) || sqlp_is_kw(p, k, KW_CROSS)) {
        k++;
    }
    if (!sqlp_is_kw(p, k, KW_JOIN))
        return false;
    p->i += k + 1;
    return true;
}

bool sqlp_table_refs(struct sqlp *p)
{
    if (++p->depth > SQLP_MAX_DEPTH) {
        p->depth--;
        return sqlp_fail(p, "statement nested too deeply");
    }
    bool ok = true;
    do {
        ok = dml_table_factor(p);
        while (ok && dml_join_kw(p)) {
            ok = dml_table_factor(p);
            if (!ok)
                break;
            uint8_t saved = p->ctx;
            p->ctx = SQL_COLCTX_WHERE;
            if (sqlp_accept_kw(p, KW_ON)) {
                ok = sqlp_expr(p, false);
            } else if (sqlp_accept_kw(p, KW_USING)) {
                ok = sqlp_expect_op(p, '(');
                while (ok && sqlp_is_name(sqlp_cur(p))) {
                    const struct lex_tok *t = sqlp_cur(p);
                    const char *c = sqlp_tok_str(p, t);
                    if (c)
                        sqlp_add_column(p, NULL, c, (struct sql_span){t->off, t->len}, false);
                    p->i++;
                    if (!sqlp_accept_op(p, ','))
                        break;
                }
                ok = ok && sqlp_expect_op(p, ')');
            }
            p->ctx = saved;
        }
    } while (ok && sqlp_accept_op(p, ','));
    p->depth--;
    return ok;
}

/* ---- INSERT / REPLACE / UPDATE / DELETE -------------------------------------- */

/* col = expr [, col = expr ...] (UPDATE SET, INSERT SET, ON DUPLICATE KEY UPDATE) */
static bool dml_assignments(struct sqlp *p)
{
    do {
        if (!sqlp_is_name(sqlp_cur(p)))
            return sqlp_fail(p, "expected a column name");
        p->ctx = SQL_COLCTX_SET;
        dml_column_ref(p);
        if (!sqlp_accept_op(p, '=') && !sqlp_accept_op(p, LEX_OP_ASSIGN))
            return sqlp_fail(p, "expected '='");
        p->ctx = SQL_COLCTX_WHERE;
        int before = p->i;
        if (!sqlp_expr(p, true))
            return false;
        if (p->i == before)
            return sqlp_fail(p, "expected a value");
    } while (sqlp_accept_op(p, ','));
    return true;
}

static void dml_skip_modifiers(struct sqlp *p)
{
    while (sqlp_accept_kw(p, KW_LOW_PRIORITY) || sqlp_accept_kw(p, KW_DELAYED) ||
           sqlp_accept_kw(p, KW_HIGH_PRIORITY) || sqlp_accept_kw(p, KW_IGNORE) ||
           sqlp_accept_word(p, "QUICK")) {
    }
}

static bool dml_returning(struct sqlp *p)
{
    if (!sqlp_accept_kw(p, KW_RETURNING))
        return true;
    return dml_select_list(p);
}

bool sqlp_insert(struct sqlp *p)
{
    p->i++;
    dml_skip_modifiers(p);
    sqlp_accept_kw(p, KW_INTO);
    struct sql_name nm;
    if (!sqlp_qname(p, &nm))
        return false;
    sqlp_add_table(p, &nm, NULL, (struct sql_span){0, 0}, SQL_ACCESS_WRITE);
    if (sqlp_is_kw(p, 0, KW_PARTITION) && sqlp_is_op(p, 1, '(')) {
        p->i++;
        if (!sqlp_skip_parens(p))
            return false;
    }
    if (sqlp_is_op(p, 0, '(') && !dml_starts_query(p, 1)) {
        p->i++;
        p->ctx = SQL_COLCTX_INSERT;
        while (sqlp_is_name(sqlp_cur(p))) {
            dml_column_ref(p);
            if (!sqlp_accept_op(p, ','))
                break;
        }
        if (!sqlp_expect_op(p, ')'))
            return false;
    }
    p->ctx = SQL_COLCTX_WHERE;
    if (sqlp_accept_kw(p, KW_VALUES) || sqlp_accept_kw(p, KW_VALUE)) {
        if (!sqlp_expr(p, false))
            return false;
        if (sqlp_accept_kw(p, KW_AS)) { /* row alias (MySQL 8.0.19+) */
            const char *a;
            if (!sqlp_name_tok(p, &a, NULL) || (sqlp_is_op(p, 0, '(') && !sqlp_skip_parens(p)))
                return false;
        }
    } else if (sqlp_accept_kw(p, KW_SET)) {
        if (!dml_assignments(p))
            return false;
    } else if (dml_starts_query(p, 0)) {
        p->st->insert_select = true;
        if (!dml_subquery(p))
            return false;
    } else {
        return sqlp_fail(p, "expected VALUES, SET or SELECT");
    }
    if (sqlp_is_kw(p, 0, KW_ON) && sqlp_is_kw(p, 1, KW_DUPLICATE)) {
        p->i += 2;
        if (!sqlp_expect_kw(p, KW_KEY) || !sqlp_expect_kw(p, KW_UPDATE) || !dml_assignments(p))
            return false;
    }
    return dml_returning(p);
}

/* Mark the multi-table UPDATE/DELETE targets as written. */
static void dml_mark_written(struct sqlp *p, const char *target)
{
    struct sql_stmt *st = p->st;
    for (int k = 0; k < st->ntables; k++) {
        struct sql_table_ref *r = &st->tables[k];
        if (p->tab_scope[k] != 0)
            continue;
        if (r->alias ? sqlp_nameeq(r->alias, target) : sqlp_nameeq(r->name.name, target)) {
            r->access |= SQL_ACCESS_WRITE;
            return;
        }
    }
}

bool sqlp_update(struct sqlp *p)
{
    p->i++;
    dml_skip_modifiers(p);
    p->access = SQL_ACCESS_READ;
    if (!sqlp_table_refs(p) || !sqlp_expect_kw(p, KW_SET))
        return false;
    int first_col = p->st->ncolumns;
    if (!dml_assignments(p))
        return false;
    struct sql_stmt *st = p->st;
    int top_tables = 0;
    for (int k = 0; k < st->ntables; k++)
        top_tables += p->tab_scope[k] == 0;
    for (int k = first_col; k < st->ncolumns; k++) {
        struct sql_column_ref *c = &st->columns[k];
        if (c->ctx != SQL_COLCTX_SET)
            continue;
        if (c->qualifier)
            dml_mark_written(p, c->qualifier);
        else
            for (int j = 0; j < st->ntables; j++) /* ambiguous: every target may be written */
                if (p->tab_scope[j] == 0 && top_tables >= 1)
                    st->tables[j].access |= SQL_ACCESS_WRITE;
    }
    if (top_tables == 1)
        for (int j = 0; j < st->ntables; j++)
            if (p->tab_scope[j] == 0)
                st->tables[j].access = SQL_ACCESS_WRITE;
    if (!dml_where_dml(p))
        return false;
    if (sqlp_accept_kw2(p, KW_ORDER, KW_BY) && !dml_order_list(p))
        return false;
    return dml_limit(p);
}

/* Target list of a multi-table DELETE: t1[.*], db.t2[.*] */
static bool dml_delete_targets(struct sqlp *p, const char **targets, int *ntargets, int max)
{
    do {
        struct sql_name nm;
        if (!sqlp_qname(p, &nm))
            return false;
        if (sqlp_is_op(p, 0, '.') && sqlp_is_op(p, 1, '*'))
            p->i += 2;
        if (*ntargets < max)
            targets[(*ntargets)++] = nm.name;
    } while (sqlp_accept_op(p, ','));
    return true;
}

bool sqlp_delete(struct sqlp *p)
{
    const char *targets[64];
    int ntargets = 0;
    p->i++;
    dml_skip_modifiers(p);
    bool from = sqlp_accept_kw(p, KW_FROM);
    bool multi = !from || sqlp_is_op(p, 1, '.') || sqlp_is_op(p, 1, ',') ||
                 sqlp_is_kw(p, 1, KW_USING) || (sqlp_is_op(p, 3, '.') && sqlp_is_op(p, 4, '*')) ||
                 sqlp_is_op(p, 3, ',') || sqlp_is_kw(p, 3, KW_USING);
    if (from && sqlp_is_op(p, 1, '.') && sqlp_is_name(sqlp_tok(p, 2)) && !sqlp_is_op(p, 3, ',') &&
        !sqlp_is_op(p, 3, '.') && !sqlp_is_kw(p, 3, KW_USING))
        multi = false; /* DELETE FROM db.t ... */
    if (!multi) {
        struct sql_name nm;
        const char *alias;
        struct sql_span aspan;
        if (!sqlp_qname(p, &nm) || !dml_alias(p, &alias, &aspan))
            return false;
        sqlp_add_table(p, &nm, alias, aspan, SQL_ACCESS_WRITE);
        if (sqlp_is_kw(p, 0, KW_PARTITION) && sqlp_is_op(p, 1, '(')) {
            p->i++;
            if (!sqlp_skip_parens(p))
                return false;
        }
        if (!dml_where_dml(p))
            return false;
        if (sqlp_accept_kw2(p, KW_ORDER, KW_BY) && !dml_order_list(p))
            return false;
        return dml_limit(p) && dml_returning(p);
    }
    if (!dml_delete_targets(p, targets, &ntargets, 64))
        return false;
    if (!sqlp_accept_kw(p, from ? KW_USING : KW_FROM))
        return sqlp_fail(p, "expected FROM or USING");
    p->access = SQL_ACCESS_READ;
    if (!sqlp_table_refs(p))
        return false;
    for (int k = 0; k < ntargets; k++)
        dml_mark_written(p, targets[k]);
    return dml_where_dml(p);
}

bool sqlp_with(struct sqlp *p)
{
    int save = p->i;
    p->i++;
    if (!dml_ctes(p))
        return false;
    if (sqlp_is_kw(p, 0, KW_UPDATE)) {
        p->st->kind = SQL_KIND_UPDATE;
        return sqlp_update(p);
    }
    if (sqlp_is_kw(p, 0, KW_DELETE)) {
        p->st->kind = SQL_KIND_DELETE;
        return sqlp_delete(p);
    }
    /* WITH ... SELECT: reparse as one query expression so ORDER/LIMIT bind */
    p->i = save;
    p->nctes = 0;
    p->st->ntables = 0;
    p->st->ncolumns = 0;
    p->nscopes = 1;
    p->scope = 0;
    return sqlp_query(p);
}
