/*
 * sql_parse_int.h - internals shared by the parser's source files
 * (sql_parse.c: splitting, dispatch, helpers; sql_parse_dml.c: queries and
 * expressions; sql_parse_ddl.c: column/index definitions, table options;
 * sql_parse_alter.c: ALTER TABLE, CREATE/DROP INDEX, CREATE TABLE; sql_parse_objects.c: the other DDL and LOCK/FLUSH).
 *
 * The parser works on one statement's token array (random access makes
 * lookahead trivial); it never allocates outside the script arena except
 * for an oversized token array, which sql_parse() frees itself.
 */
#ifndef DDLGATE_SQL_PARSE_INT_H
#define DDLGATE_SQL_PARSE_INT_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sql.h"
#include "sql_lex.h"

/* Bounds on what one statement records (statements beyond them still parse;
 * extra references are simply not recorded). */
#define SQLP_MAX_TABLES 4096
#define SQLP_MAX_COLUMNS 65536
#define SQLP_MAX_SPECS 4096
#define SQLP_MAX_DEPTH 48 /* nested subqueries/parentheses in the parser */
#define SQLP_MAX_CTES 64

/* arena (sql_arena.c).  The bump step is inline: the parser allocates a
 * few names per statement and a call per name showed in the profile. */
void *sql_arena_alloc_slow(struct sql_script *s, size_t n); /* n rounded */
void *sql_arena_zalloc(struct sql_script *s, size_t n);
char *sql_arena_strndup(struct sql_script *s, const char *src, size_t n);
bool sql_arena_grow_slow(struct sql_script *s, void **arr, int *cap, int n, size_t elem);

/* Every allocation is rounded up to 16 bytes: callers may write (not read)
 * up to that rounded size, which lets short copies move whole words. */
#define SQL_ARENA_ROUND(n) ((n) == 0 ? (size_t)16 : ((n) + 15u) & ~(size_t)15u)

static inline void *sql_arena_alloc(struct sql_script *s, size_t n)
{
    if (!s->blocks && n <= sizeof(s->inline_mem)) {
        /* inline_mem sits at an 8-aligned offset, and every inline
         * allocation is a multiple of 16 bytes (here and in
         * sql_arena_alloc_slow()), so used stays 8-aligned: no rounding */
        size_t off = s->used, r = SQL_ARENA_ROUND(n);
        assert((off & 7u) == 0);
        if (off + r <= sizeof(s->inline_mem)) {
            s->used = off + r;
            return s->inline_mem + off;
        }
    }
    return sql_arena_alloc_slow(s, n);
}

/* Zero n bytes, n a compile-time constant at every call: in 64-byte pieces
 * gcc emits vector stores, where one memset of a few hundred bytes becomes
 * `rep stos`, whose start-up cost showed in the profile (per statement,
 * per ALTER spec, per column definition). */
static inline void sqlp_zero(void *dst, size_t n)
{
    unsigned char *d = dst;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        memset(d + i, 0, 64);
        __asm__ volatile("" : : "r"(d + i) : "memory"); /* no merging back into one */
    }
    memset(d + i, 0, n - i);
}

/* Make room for element n of an arena vector (doubling; old storage is
 * abandoned to the arena). */
static inline bool sql_arena_grow(struct sql_script *s, void **arr, int *cap, int n, size_t elem)
{
    return n < *cap || sql_arena_grow_slow(s, arr, cap, n, elem);
}

struct sqlp {
    const struct sql_parse_opts *opts;
    const char *text;
    size_t text_len;
    struct sql_script *sc;
    const struct lex_tok *t; /* this statement's tokens */
    int n;                   /* token count */
    int i;                   /* cursor */
    struct sql_stmt *st;
    const char **schema_copy; /* sql_parse()'s arena copy of the default schema */
    const char *err;          /* first error, static string */
    bool oom;
    int depth;      /* recursion guard */
    uint8_t ctx;    /* enum sql_col_ctx for collected column refs */
    uint8_t access; /* access bits for table refs being collected */
    bool top;       /* in the statement's main query block */
    int scope;      /* current query block id */
    int nscopes;
    /* growable arrays (arena) */
    int tables_cap, columns_cap, specs_cap;
    uint16_t *tab_scope; /* per table: query block */
    uint16_t *col_scope; /* per column ref: query block */
    uint16_t *scope_parent;
    int tab_scope_cap, col_scope_cap, scope_parent_cap;
    int nctes;
    const char *ctes[SQLP_MAX_CTES]; /* sql_parse() zeroes only what precedes it */
    /* first storage of the scope arrays above (never zeroed: each entry is
     * written before it is read); sql_arena_grow() copies them out when a
     * statement needs more */
    uint16_t tab_scope_in[8], col_scope_in[32], scope_parent_in[8];
};

/* ---- token helpers (sql_parse.c) ---- */
/* Hot helpers are inline: the parser calls them for every token.  The
 * one-compare ones are forced inline: gcc kept out-of-line copies of some
 * in the big DDL functions, where a call costs more than the helper, and
 * sqlp_is_word() only folds its strlen() when inlined. */
#define SQLP_INLINE static inline __attribute__((always_inline))
/* sql_parse() ends every statement's token array with SQLP_TOK_PAD EOF
 * tokens (all zero), so sqlp_tok() needs no bounds check: the cursor stays
 * at most at the end (p->i <= p->n: it only moves past tokens it has
 * looked at, or to the end), and lookahead past the end reads EOF.  The
 * parser looks at most 4 tokens ahead of the cursor; longer variable
 * lookaheads stop at the first EOF.  Debug builds assert all this. */
#define SQLP_TOK_PAD 8
SQLP_INLINE const struct lex_tok *sqlp_tok(const struct sqlp *p, int k) /* t[i+k] or EOF */
{
    assert(p->i >= 0 && p->i <= p->n && k >= 0 && p->i + k < p->n + SQLP_TOK_PAD);
    return &p->t[p->i + k];
}
SQLP_INLINE const struct lex_tok *sqlp_cur(const struct sqlp *p) { return sqlp_tok(p, 0); }
SQLP_INLINE bool sqlp_eof(const struct sqlp *p) { return p->i >= p->n; }
/* The lexer sets .kw only on LEX_IDENT tokens and .op only on LEX_OP
 * tokens (sql_lex.h), so for a keyword or operator code other than 0 one
 * compare answers (the type test folds away for constants). */
SQLP_INLINE bool sqlp_is_kw(const struct sqlp *p, int k, enum lex_kw kw)
{
    const struct lex_tok *t = sqlp_tok(p, k);
    return t->kw == kw && (kw != KW_NONE || t->type == LEX_IDENT);
}
SQLP_INLINE bool sqlp_accept_kw(struct sqlp *p, enum lex_kw kw)
{
    if (!sqlp_is_kw(p, 0, kw))
        return false;
    p->i++;
    return true;
}
SQLP_INLINE bool sqlp_accept_kw2(struct sqlp *p, enum lex_kw a, enum lex_kw b)
{
    if (!sqlp_is_kw(p, 0, a) || !sqlp_is_kw(p, 1, b))
        return false;
    p->i += 2;
    return true;
}
SQLP_INLINE bool sqlp_is_op(const struct sqlp *p, int k, unsigned op)
{
    const struct lex_tok *t = sqlp_tok(p, k);
    return t->op == op && (op != 0 || t->type == LEX_OP);
}
SQLP_INLINE bool sqlp_accept_op(struct sqlp *p, unsigned op)
{
    if (!sqlp_is_op(p, 0, op))
        return false;
    p->i++;
    return true;
}
bool sqlp_expect_kw(struct sqlp *p, enum lex_kw kw);
bool sqlp_expect_op(struct sqlp *p, unsigned op);
bool sqlp_fail(struct sqlp *p, const char *msg);
/* token k starts (statement_start) or belongs to DDL or dynamic SQL */
bool sqlp_runs_ddl(const struct sqlp *p, int k, bool statement_start);
/* Is t the (non-keyword) word `upper`, case-blind?  Inline so that the
 * length of the literal folds at compile time and most calls end at the
 * length compare. */
SQLP_INLINE bool sqlp_is_word(const struct lex_tok *t, const char *text, const char *upper)
{
    size_t n = strlen(upper);
    if (t->type != LEX_IDENT || t->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lex_upper_tab[(unsigned char)text[t->off + i]] != (unsigned char)upper[i])
            return false;
    return true;
}
SQLP_INLINE bool sqlp_accept_word(struct sqlp *p, const char *upper) /* non-keyword word */
{
    if (!sqlp_is_word(sqlp_cur(p), p->text, upper))
        return false;
    p->i++;
    return true;
}
SQLP_INLINE bool sqlp_is_name(const struct lex_tok *t) /* IDENT or QIDENT */
{
    return t->type == LEX_IDENT || t->type == LEX_QIDENT;
}
bool sqlp_is_alias_tok(const struct lex_tok *t);
char *sqlp_tok_str_slow(struct sqlp *p, const struct lex_tok *t);
/* The token's text, unquoted, as an arena string.  Plain words (most
 * names) are copied inline: short ones as two 8-byte moves when the text
 * has 16 bytes there (the arena rounds every allocation up to 16). */
static inline char *sqlp_tok_str(struct sqlp *p, const struct lex_tok *t)
{
    uint32_t n = t->len;
    if (t->type != LEX_IDENT || n >= 16 || (size_t)t->off + 16 > p->text_len)
        return sqlp_tok_str_slow(p, t);
    char *r = sql_arena_alloc(p->sc, n + 1);
    if (!r) {
        p->oom = true;
        return NULL;
    }
    memcpy(r, p->text + t->off, 16);
    r[n] = '\0';
    return r;
}
char *sqlp_tok_upper(struct sqlp *p, const struct lex_tok *t); /* raw, upper-cased */
bool sqlp_name_tok(struct sqlp *p, const char **out, struct sql_span *span);
bool sqlp_qname(struct sqlp *p, struct sql_name *out);
bool sqlp_skip_parens(struct sqlp *p); /* at '(' : skip to after matching ')' */
void sqlp_skip_to_end(struct sqlp *p);
bool sqlp_int_tok(struct sqlp *p, int64_t *out);
struct sql_span sqlp_span_from(const struct sqlp *p, int first_tok); /* first..i-1 */
bool sqlp_wait_clause(struct sqlp *p);
bool sqlp_nameeq(const char *a, const char *b);

/* ---- references (sql_parse.c) ---- */
int sqlp_add_table(struct sqlp *p, const struct sql_name *name, const char *alias,
                   struct sql_span alias_span, uint8_t access);
void sqlp_add_column_slow(struct sqlp *p, const char *qualifier, const char *name,
                          struct sql_span span, bool star);
/* Record a column reference; the arrays' growth (and the count cap) is
 * the slow path. */
static inline void sqlp_add_column(struct sqlp *p, const char *qualifier, const char *name,
                                   struct sql_span span, bool star)
{
    struct sql_stmt *st = p->st;
    int k = st->ncolumns;
    /* the caps only double up to SQLP_MAX_COLUMNS, so k < cap keeps k below it */
    if (k >= p->columns_cap || k >= p->col_scope_cap) {
        sqlp_add_column_slow(p, qualifier, name, span, star);
        return;
    }
    p->col_scope[k] = (uint16_t)p->scope;
    struct sql_column_ref *c = &st->columns[k];
    c->qualifier = qualifier;
    c->name = name;
    c->span = span;
    c->table_idx = -1;
    c->ctx = p->ctx;
    c->star = star;
    c->where_pin = false;
    st->ncolumns = k + 1;
}
int sqlp_new_scope(struct sqlp *p);
void sqlp_resolve_columns(struct sqlp *p);

/* ---- DML (sql_parse_dml.c) ---- */
bool sqlp_query(struct sqlp *p); /* [WITH] query expression */
bool sqlp_expr(struct sqlp *p, bool stop_comma);
bool sqlp_table_refs(struct sqlp *p);
bool sqlp_insert(struct sqlp *p); /* INSERT / REPLACE */
bool sqlp_update(struct sqlp *p);
bool sqlp_delete(struct sqlp *p);
bool sqlp_with(struct sqlp *p); /* WITH ... then SELECT/UPDATE/DELETE */

/* ---- DDL (sql_parse_ddl.c) ---- */
bool sqlp_alter_table(struct sqlp *p);
bool sqlp_create_table(struct sqlp *p, int start);
bool sqlp_create_index(struct sqlp *p, int start);
bool sqlp_drop_index(struct sqlp *p, int start);
bool sqlp_coldef(struct sqlp *p, struct sql_coldef *cd);
bool sqlp_index_def(struct sqlp *p, struct sql_index *ix);
bool sqlp_table_option(struct sqlp *p, struct sql_alter_spec *sp, bool *known);
bool sqlp_algo_lock(struct sqlp *p, struct sql_alter *a);
struct sql_alter_spec *sqlp_new_spec(struct sqlp *p, enum sql_alter_op op);
bool sqlp_is_index_start(const struct sqlp *p);
enum sql_alter_op sqlp_index_op(const struct sql_index *ix);
bool sqlp_key_parts(struct sqlp *p, struct sql_index *ix);     /* (col(10), (expr) DESC) */
bool sqlp_index_options(struct sqlp *p, struct sql_index *ix); /* USING/COMMENT/VISIBLE... */
bool sqlp_check_clause(struct sqlp *p);                        /* (expr) [[NOT] ENFORCED] */
bool sqlp_opt_value(struct sqlp *p, const char **out);         /* [=] value */

/* ---- other DDL, LOCK, FLUSH (sql_parse_objects.c) ---- */
bool sqlp_create(struct sqlp *p);
bool sqlp_drop(struct sqlp *p);
bool sqlp_alter(struct sqlp *p);
bool sqlp_rename(struct sqlp *p);
bool sqlp_truncate(struct sqlp *p);
bool sqlp_maintenance(struct sqlp *p, enum sql_ddl_kind ddl);
bool sqlp_lock(struct sqlp *p);
bool sqlp_flush(struct sqlp *p);

#endif
