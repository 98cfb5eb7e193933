/*
 * sql_parse.c - split a query text into statements and parse each one
 * (include/sql.h).  This file holds the splitter, the digest, the dispatch
 * on the leading keyword and the token/reference helpers the other
 * sql_parse_*.c files share.
 */
#include "sql_parse_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Tokens of one statement live on the stack up to this count; longer
 * statements use a malloc'ed array freed before sql_parse() returns. */
#define SQLP_STACK_TOKENS 512

/* ---- token helpers ------------------------------------------------------- */

bool sqlp_fail(struct sqlp *p, const char *msg)
{
    if (!p->err)
        p->err = msg;
    return false;
}

static bool sqlp_tok_word(const struct sqlp *p, int i, const char *w)
{
    const struct lex_tok *t = &p->t[i];
    return i < p->n && t->type == LEX_IDENT && t->len == strlen(w) &&
           strncasecmp(p->text + t->off, w, t->len) == 0;
}

/* PREPARE s FROM <not one string literal>, EXECUTE IMMEDIATE <not one
 * string literal [USING ...]>: the statement that runs is in a variable or
 * an expression ddlgate cannot see ('a' 'b' concatenation included: the
 * proxy judges a single literal).  p->i is at PREPARE / EXECUTE. */
static bool sqlp_dynamic_sql(const struct sqlp *p)
{
    int i = p->i, lit;

    if (p->t[i].kw == KW_PREPARE) {
        if (i + 2 >= p->n || p->t[i + 2].type != LEX_IDENT || p->t[i + 2].kw != KW_FROM)
            return false; /* not the shape the server runs: its own error */
        lit = i + 3;
    } else if (sqlp_tok_word(p, i + 1, "IMMEDIATE")) {
        lit = i + 2;
    } else {
        return false; /* EXECUTE s: its PREPARE was judged */
    }
    if (lit >= p->n)
        return false;
    if (p->t[lit].type != LEX_STRING || (p->t[lit].flags & LEXF_UNTERMINATED))
        return true;
    int after = lit + 1;
    while (after < p->n && p->t[after].type == LEX_OP && p->t[after].op == ';')
        after++;
    return after < p->n && !(p->t[i].kw == KW_EXECUTE && sqlp_tok_word(p, after, "USING"));
}

bool sqlp_expect_kw(struct sqlp *p, enum lex_kw kw)
{
    if (sqlp_accept_kw(p, kw))
        return true;
    return sqlp_fail(p, "unexpected token");
}

bool sqlp_expect_op(struct sqlp *p, unsigned op)
{
    if (sqlp_accept_op(p, op))
        return true;
    return sqlp_fail(p, op == ')' ? "expected ')'" : "unexpected token");
}

/* Can this token be an implicit alias (no AS)?  Quoted names always;
 * words only when they are not keywords that continue the statement. */
bool sqlp_is_alias_tok(const struct lex_tok *t)
{
    if (t->type == LEX_QIDENT)
        return true;
    if (t->type != LEX_IDENT)
        return false;
    if (t->kw == KW_NONE)
        return true;
    if (lex_kw_reserved((enum lex_kw)t->kw))
        return false;
    switch (t->kw) {
    case KW_RETURNING:
    case KW_NOWAIT:
    case KW_WAIT:
    case KW_OFFSET:
    case KW_ALGORITHM:
    case KW_END:
    case KW_MODE:
    case KW_SHARE:
    case KW_START:
        return false;
    default:
        return true;
    }
}

static char *sqlp_unquote(struct sqlp *p, const char *s, size_t n, char q, bool escapes)
{
    char *out = sql_arena_alloc(p->sc, n + 1);
    if (!out) {
        p->oom = true;
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == q && i + 1 < n && s[i + 1] == q) {
            out[o++] = q;
            i++;
        } else if (c == '\\' && escapes && i + 1 < n) {
            char e = s[++i];
            switch (e) {
            case 'n':
                out[o++] = '\n';
                break;
            case 't':
                out[o++] = '\t';
                break;
            case 'r':
                out[o++] = '\r';
                break;
            case '0':
                out[o++] = '\0';
                break;
            case 'b':
                out[o++] = '\b';
                break;
            case 'Z':
                out[o++] = 26;
                break;
            case '%':
            case '_':
                out[o++] = '\\';
                out[o++] = e;
                break;
            default:
                out[o++] = e;
                break;
            }
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return out;
}

/* Copy text[off..off+n) into the arena, NUL-terminated.  Short words (the
 * usual identifier) move as two 8-byte words when the text has 16 bytes
 * there: the arena rounds every allocation up to 16 bytes, so the
 * destination always has room. */
static char *sqlp_copy_word(struct sqlp *p, const char *s, size_t n, uint32_t off)
{
    char *r = sql_arena_alloc(p->sc, n + 1);
    if (!r) {
        p->oom = true;
        return NULL;
    }
    if (n < 16 && (size_t)off + 16 <= p->text_len)
        memcpy(r, s, 16);
    else
        memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

char *sqlp_tok_str_slow(struct sqlp *p, const struct lex_tok *t)
{
    const char *s = p->text + t->off;
    size_t n = t->len;
    if (t->type == LEX_QIDENT || t->type == LEX_STRING) {
        bool escapes = t->type == LEX_STRING && !p->opts->no_backslash_escapes;
        size_t a = 0;
        while (a < n && s[a] != '\'' && s[a] != '"' && s[a] != '`')
            a++; /* skip an introducer */
        if (a >= n)
            return sqlp_unquote(p, s, 0, '\'', false);
        char q = s[a];
        size_t b = n;
        if (!(t->flags & LEXF_UNTERMINATED) && b > a + 1)
            b--; /* closing quote */
        return sqlp_unquote(p, s + a + 1, b > a + 1 ? b - a - 1 : 0, q, escapes);
    }
    return sqlp_copy_word(p, s, n, t->off);
}

char *sqlp_tok_upper(struct sqlp *p, const struct lex_tok *t)
{
    char *r = sql_arena_strndup(p->sc, p->text + t->off, t->len);
    if (!r) {
        p->oom = true;
        return NULL;
    }
    for (char *c = r; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 32);
    return r;
}

bool sqlp_nameeq(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return false;
    }
    return *a == *b;
}

/* One identifier (quoted, plain word or keyword used as a name). */
bool sqlp_name_tok(struct sqlp *p, const char **out, struct sql_span *span)
{
    const struct lex_tok *t = sqlp_cur(p);
    if (!sqlp_is_name(t))
        return sqlp_fail(p, "expected a name");
    *out = sqlp_tok_str(p, t);
    if (span) {
        span->off = t->off;
        span->len = t->len;
    }
    p->i++;
    return *out != NULL;
}

/* The session schema as an arena string, copied on first use: most
 * statements qualify their tables or name none.  NULL when there is none
 * (or on OOM, which is flagged). */
static const char *sqlp_default_schema(struct sqlp *p)
{
    const char *d = p->opts->default_schema;
    if (!d || *p->schema_copy)
        return *p->schema_copy;
    if (!(*p->schema_copy = sql_arena_strndup(p->sc, d, strlen(d))))
        p->oom = true;
    return *p->schema_copy;
}

/* [schema.]name, schema defaulted from the session when unwritten. */
bool sqlp_qname(struct sqlp *p, struct sql_name *out)
{
    memset(out, 0, sizeof(*out));
    int first = p->i;
    const char *a;
    if (!sqlp_name_tok(p, &a, NULL))
        return false;
    if (sqlp_is_op(p, 0, '.') && sqlp_is_name(sqlp_tok(p, 1))) {
        p->i++;
        const char *b;
        if (!sqlp_name_tok(p, &b, NULL))
            return false;
        out->schema = a;
        out->name = b;
        out->schema_written = true;
    } else {
        out->name = a;
        out->schema = sqlp_default_schema(p);
    }
    out->span = sqlp_span_from(p, first);
    return true;
}

bool sqlp_skip_parens(struct sqlp *p)
{
    if (!sqlp_accept_op(p, '('))
        return sqlp_fail(p, "expected '('");
    int depth = 1;
    while (p->i < p->n) {
        const struct lex_tok *t = &p->t[p->i++];
        if (t->type != LEX_OP)
            continue;
        if (t->op == '(')
            depth++;
        else if (t->op == ')' && --depth == 0)
            return true;
    }
    return sqlp_fail(p, "unbalanced parentheses");
}

void sqlp_skip_to_end(struct sqlp *p) { p->i = p->n; }

bool sqlp_int_tok(struct sqlp *p, int64_t *out)
{
    const struct lex_tok *t = sqlp_cur(p);
    if (t->type != LEX_NUMBER)
        return sqlp_fail(p, "expected a number");
    int64_t v = 0;
    for (uint32_t k = 0; k < t->len; k++) {
        char c = p->text[t->off + k];
        if (c < '0' || c > '9')
            break;
        if (v < (INT64_MAX - 9) / 10)
            v = v * 10 + (c - '0');
    }
    *out = v;
    p->i++;
    return true;
}

struct sql_span sqlp_span_from(const struct sqlp *p, int first_tok)
{
    struct sql_span s = {0, 0};
    if (first_tok >= p->n || p->i <= first_tok)
        return s;
    const struct lex_tok *a = &p->t[first_tok], *b = &p->t[p->i - 1];
    s.off = a->off;
    s.len = b->off + b->len - a->off;
    return s;
}

/* MariaDB WAIT n / NOWAIT: recorded in stmt->alter for every DDL kind. */
bool sqlp_wait_clause(struct sqlp *p)
{
    struct sql_alter *a = &p->st->alter;
    int first = p->i;
    if (sqlp_accept_kw(p, KW_NOWAIT)) {
        a->nowait = true;
    } else if (sqlp_is_kw(p, 0, KW_WAIT) && sqlp_tok(p, 1)->type == LEX_NUMBER) {
        p->i++;
        a->has_wait = true;
        sqlp_int_tok(p, &a->wait_seconds);
    } else {
        return false;
    }
    a->wait_span = sqlp_span_from(p, first);
    return true;
}

/* ---- table and column references ---------------------------------------- */

static bool sqlp_scope_push(struct sqlp *p, uint16_t **arr, int *cap, int n, uint16_t v)
{
    if (!sql_arena_grow(p->sc, (void **)arr, cap, n, sizeof(uint16_t))) {
        p->oom = true;
        return false;
    }
    (*arr)[n] = v;
    return true;
}

int sqlp_new_scope(struct sqlp *p)
{
    if (p->nscopes >= UINT16_MAX)
        return p->scope;
    int id = p->nscopes;
    if (!sqlp_scope_push(p, &p->scope_parent, &p->scope_parent_cap, id, (uint16_t)p->scope))
        return p->scope;
    p->nscopes++;
    return id;
}

/* The first storage of a statement's table or column array: what
 * sql_arena_grow() allocates for an empty vector, without its generic
 * checks (nearly every statement gets here once per array). */
#define SQLP_VEC_FIRST_CAP 8
static inline bool sqlp_vec_first(struct sqlp *p, void **arr, int *cap, size_t elem)
{
    void *v = sql_arena_alloc(p->sc, SQLP_VEC_FIRST_CAP * elem);
    if (!v)
        return false;
    *arr = v;
    *cap = SQLP_VEC_FIRST_CAP;
    return true;
}

int sqlp_add_table(struct sqlp *p, const struct sql_name *name, const char *alias,
                   struct sql_span alias_span, uint8_t access)
{
    struct sql_stmt *st = p->st;
    for (int k = 0; k < p->nctes && !name->schema_written; k++)
        if (sqlp_nameeq(p->ctes[k], name->name))
            return -1; /* a CTE, not a table */
    for (int k = 0; k < st->ntables; k++) {
        struct sql_table_ref *r = &st->tables[k];
        if (p->tab_scope[k] != p->scope || !r->name.name || !name->name)
            continue;
        bool same_alias =
            (!alias && !r->alias) || (alias && r->alias && strcmp(alias, r->alias) == 0);
        bool same_schema =
            (!name->schema && !r->name.schema) ||
            (name->schema && r->name.schema && strcmp(name->schema, r->name.schema) == 0);
        if (same_alias && same_schema && strcmp(name->name, r->name.name) == 0 &&
            st->ddl != SQL_DDL_RENAME_TABLE) {
            r->access |= access;
            return k;
        }
    }
    if (st->ntables >= SQLP_MAX_TABLES)
        return -1;
    if (!(p->tables_cap == 0 ? sqlp_vec_first(p, (void **)&st->tables, &p->tables_cap,
                                              sizeof(struct sql_table_ref))
                             : sql_arena_grow(p->sc, (void **)&st->tables, &p->tables_cap,
                                              st->ntables, sizeof(struct sql_table_ref))) ||
        !sqlp_scope_push(p, &p->tab_scope, &p->tab_scope_cap, st->ntables, (uint16_t)p->scope)) {
        p->oom = true;
        return -1;
    }
    struct sql_table_ref *r = &st->tables[st->ntables];
    /* field by field: the name was just stored so (sqlp_qname()), and a
     * whole-struct copy's 16-byte loads would stall on store forwarding */
    r->name.schema = name->schema;
    r->name.name = name->name;
    r->name.span = name->span;
    r->name.schema_written = name->schema_written;
    r->alias = alias;
    r->alias_span = alias_span;
    r->access = access;
    return st->ntables++;
}

void sqlp_add_column_slow(struct sqlp *p, const char *qualifier, const char *name,
                          struct sql_span span, bool star)
{
    struct sql_stmt *st = p->st;
    if (st->ncolumns >= SQLP_MAX_COLUMNS)
        return;
    if (!(p->columns_cap == 0 ? sqlp_vec_first(p, (void **)&st->columns, &p->columns_cap,
                                               sizeof(struct sql_column_ref))
                              : sql_arena_grow(p->sc, (void **)&st->columns, &p->columns_cap,
                                               st->ncolumns, sizeof(struct sql_column_ref))) ||
        !sqlp_scope_push(p, &p->col_scope, &p->col_scope_cap, st->ncolumns, (uint16_t)p->scope)) {
        p->oom = true;
        return;
    }
    struct sql_column_ref *c = &st->columns[st->ncolumns++];
    c->qualifier = qualifier;
    c->name = name;
    c->span = span;
    c->table_idx = -1;
    c->ctx = p->ctx;
    c->star = star;
    c->where_pin = false;
}

/* Find the table a column belongs to: qualified by alias, else by table
 * name; bare columns belong to the only table of their query block, or of
 * the nearest enclosing block that has tables. */
static int sqlp_resolve_one(const struct sqlp *p, const struct sql_column_ref *c, int scope)
{
    const struct sql_stmt *st = p->st;
    for (int guard = 0; guard < 4096; guard++) {
        int found = -1, nfound = 0, nin = 0;
        for (int k = 0; st->tables && k < st->ntables; k++) {
            if (p->tab_scope[k] != scope)
                continue;
            nin++;
            const struct sql_table_ref *r = &st->tables[k];
            if (!c->qualifier) {
                found = k;
                nfound++;
            } else if (r->alias ? sqlp_nameeq(r->alias, c->qualifier)
                                : sqlp_nameeq(r->name.name, c->qualifier)) {
                found = k;
                nfound++;
            }
        }
        if (c->qualifier && nfound == 0) {
            /* t.c where t has an alias elsewhere or is a schema-less name */
            for (int k = 0; st->tables && k < st->ntables; k++)
                if (p->tab_scope[k] == scope &&
                    sqlp_nameeq(st->tables[k].name.name, c->qualifier)) {
                    found = k;
                    nfound++;
                }
        }
        if (nfound == 1)
            return found;
        if (nfound > 1 || (nin > 0 && !c->qualifier))
            return -1;
        if (scope == 0)
            return -1;
        scope = p->scope_parent[scope];
    }
    return -1;
}

void sqlp_resolve_columns(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    const struct sql_table_ref *only = st->ntables == 1 ? &st->tables[0] : NULL;
    if (only && p->nscopes == 1) {
        /* one query block, one table (the point query): every column is
         * that table's, unless its qualifier names something else */
        const char *tn = only->name.name, *an = only->alias ? only->alias : tn;
        for (int k = 0; k < st->ncolumns; k++) {
            struct sql_column_ref *c = &st->columns[k];
            const char *q = c->qualifier;
            c->table_idx = (int16_t)(!q || sqlp_nameeq(an, q) || sqlp_nameeq(tn, q) ? 0 : -1);
        }
        return;
    }
    for (int k = 0; k < st->ncolumns; k++) {
        struct sql_column_ref *c = &st->columns[k];
        int idx;
        if (only && p->col_scope[k] == p->tab_scope[0]) {
            /* one table, same query block: what sqlp_resolve_one() finds,
             * without its walk (enclosing blocks hold no other table) */
            const char *q = c->qualifier;
            idx = !q || sqlp_nameeq(only->alias ? only->alias : only->name.name, q) ||
                          sqlp_nameeq(only->name.name, q)
                      ? 0
                      : -1;
        } else {
            idx = sqlp_resolve_one(p, c, p->col_scope[k]);
        }
        c->table_idx = (int16_t)idx;
    }
}

/* ---- digest ---------------------------------------------------------------- */

/* The digest is computed token by token while the statement is collected,
 * one multiply-fold per token and per 8 bytes of a word, instead of a
 * byte-at-a-time hash over a second pass.  Normalisation: literals and
 * placeholders become '?', runs "?, ?, ..." collapse into one '?', words
 * are ASCII case-folded (SWAR, exact for every byte) and quoted
 * identifiers hash like plain ones.  The value is the same on every host
 * (bytes are assembled little-endian). */

#define DG_SEED 0x243F6A8885A308D3ull
#define DG_K 0x9E3779B97F4A7C15ull
#define DG_TAG_Q 0x51ull         /* '?' */
#define DG_TAG_OP (1ull << 40)   /* | operator code */
#define DG_TAG_WORD (2ull << 40) /* | byte length */
#define DG_TAG_KW (3ull << 40)   /* | enum lex_kw: keywords fold by id */
#define DG_ONES 0x0101010101010101ull
#define DG_HIGH 0x8080808080808080ull

static inline uint64_t dg_mix(uint64_t h, uint64_t v)
{
#ifdef __SIZEOF_INT128__
    unsigned __int128 m = (unsigned __int128)(h ^ v) * DG_K;
    return (uint64_t)m ^ (uint64_t)(m >> 64);
#else
    uint64_t x = (h ^ v) * DG_K;
    return x ^ (x >> 29) ^ (x << 23);
#endif
}

/* ASCII 'A'..'Z' -> 'a'..'z' in all eight bytes at once; other bytes kept. */
static inline uint64_t dg_lower8(uint64_t w)
{
    uint64_t b7 = w & ~DG_HIGH;
    uint64_t ge_a = b7 + (0x80u - 'A') * DG_ONES; /* bit 7 set where >= 'A' */
    uint64_t gt_z = b7 + (0x7Fu - 'Z') * DG_ONES; /* bit 7 set where > 'Z' */
    uint64_t upper = ge_a & ~gt_z & ~w & DG_HIGH;
    return w | (upper >> 2);
}

/* Up to 8 bytes of s as a little-endian value; `whole` says 8 bytes may be
 * read. */
static inline uint64_t dg_load(const unsigned char *s, size_t n, bool whole)
{
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (whole) {
        memcpy(&v, s, 8);
        return n >= 8 ? v : v & ((1ull << (n * 8u)) - 1u);
    }
#endif
    (void)whole;
    for (size_t i = n < 8 ? n : 8; i-- > 0;)
        v = v << 8 | s[i];
    return v;
}

static inline uint64_t dg_word(uint64_t h, const char *text, size_t text_len, uint32_t off,
                               size_t n)
{
    const unsigned char *s = (const unsigned char *)text + off;
    size_t avail = text_len - off;
    h = dg_mix(h, DG_TAG_WORD | n);
    if (n <= 8) /* most words: one load, one fold, one mix */
        return dg_mix(h, dg_lower8(dg_load(s, n, avail >= 8)));
    for (size_t i = 0; i < n; i += 8)
        h = dg_mix(h, dg_lower8(dg_load(s + i, n - i, avail - i >= 8)));
    return h;
}

struct sqlp_digest {
    uint64_t h;
    bool last_q, pend_comma;
    int nparams;
};

/* A comma held back after a '?' is real when no '?' follows it. */
static inline void dg_flush_comma(struct sqlp_digest *d)
{
    if (d->pend_comma) {
        d->h = dg_mix(d->h, DG_TAG_OP | ',');
        d->pend_comma = false;
    }
    d->last_q = false;
}

static inline void dg_token(struct sqlp_digest *d, const char *text, size_t text_len,
                            const struct lex_tok *k)
{
    switch (k->type) {
    case LEX_STRING:
    case LEX_NUMBER:
    case LEX_HEXBIN:
    case LEX_PARAM:
        d->nparams += k->type == LEX_PARAM;
        if (d->pend_comma) { /* "?, ?": the run stays one '?' */
            d->pend_comma = false;
            return;
        }
        d->h = dg_mix(d->h, DG_TAG_Q); /* pend_comma implies last_q: nothing to flush */
        d->last_q = true;
        return;
    case LEX_OP:
        if (k->op == ',' && d->last_q && !d->pend_comma) {
            d->pend_comma = true;
            return;
        }
        dg_flush_comma(d);
        d->h = dg_mix(d->h, DG_TAG_OP | k->op);
        return;
    case LEX_IDENT:
        dg_flush_comma(d);
        if (k->kw != KW_NONE)
            d->h = dg_mix(d->h, DG_TAG_KW | k->kw);
        else
            d->h = dg_word(d->h, text, text_len, k->off, k->len);
        return;
    case LEX_QIDENT: {
        /* `select` must hash like the word select */
        dg_flush_comma(d);
        size_t n = k->len >= 2 ? k->len - 2 : 0;
        enum lex_kw kw = lex_keyword(text + k->off + 1, n);
        if (kw != KW_NONE)
            d->h = dg_mix(d->h, DG_TAG_KW | kw);
        else
            d->h = dg_word(d->h, text, text_len, k->off + 1, n);
        return;
    }
    default:
        dg_flush_comma(d);
        d->h = dg_word(d->h, text, text_len, k->off, k->len);
        return;
    }
}

static uint64_t dg_finish(struct sqlp_digest *d)
{
    if (d->pend_comma)
        d->h = dg_mix(d->h, DG_TAG_OP | ',');
    d->pend_comma = false;
    return d->h;
}

/* The statement's tokens are lexed again from its first one, with the
 * lexer state sql_parse() had there: the same options, and inside an
 * executable comment when that token was (the comment may have opened in
 * an earlier statement).  Every token that starts before the span's end
 * is the statement's: sqlp_collect() stopped at the ';' after it. */
uint64_t sql_stmt_digest(const struct sql_parse_opts *opts, const char *text, size_t len,
                         const struct sql_stmt *st)
{
    static const struct sql_parse_opts defaults;
    if (st->digest_valid)
        return st->digest;
    struct lex lx;
    lex_init(&lx, text ? text : "", text ? len : 0, opts ? opts : &defaults);
    uint32_t end = st->span.off + st->span.len;
    struct sqlp_digest d = {DG_SEED, false, false, 0};
    struct lex_tok t;
    if (st->digest_from > lx.len || end > lx.len)
        return dg_finish(&d); /* not this text's statement */
    lx.pos = st->digest_from;
    lx.in_exec = st->digest_exec;
    while (lex_next(&lx, &t) && t.off < end)
        dg_token(&d, lx.s, lx.len, &t);
    return dg_finish(&d);
}

uint64_t sql_stmt_digest_fill(const struct sql_parse_opts *opts, const char *text, size_t len,
                              struct sql_stmt *st)
{
    st->digest = sql_stmt_digest(opts, text, len, st);
    st->digest_valid = true;
    return st->digest;
}

/* ---- dispatch --------------------------------------------------------------- */

static bool sqlp_txn(struct sqlp *p, enum lex_kw lead)
{
    struct sql_stmt *st = p->st;
    st->kind = SQL_KIND_TXN;
    p->i++;
    switch (lead) {
    case KW_BEGIN:
        st->txn = SQL_TXN_BEGIN;
        sqlp_accept_kw(p, KW_WORK);
        break;
    case KW_START:
        st->txn = SQL_TXN_BEGIN;
        if (!sqlp_expect_kw(p, KW_TRANSACTION))
            return false;
        while (!sqlp_eof(p)) { /* READ ONLY|WRITE, WITH CONSISTENT SNAPSHOT */
            if (sqlp_accept_kw(p, KW_READ)) {
                if (!sqlp_accept_kw(p, KW_ONLY) && !sqlp_accept_kw(p, KW_WRITE))
                    return sqlp_fail(p, "expected ONLY or WRITE");
            } else if (sqlp_accept_kw(p, KW_WITH)) {
                if (!sqlp_expect_kw(p, KW_CONSISTENT) || !sqlp_expect_kw(p, KW_SNAPSHOT))
                    return false;
            } else {
                return sqlp_fail(p, "unexpected token");
            }
            if (!sqlp_accept_op(p, ','))
                break;
        }
        break;
    case KW_COMMIT:
    case KW_ROLLBACK:
        st->txn = lead == KW_COMMIT ? SQL_TXN_COMMIT : SQL_TXN_ROLLBACK;
        sqlp_accept_kw(p, KW_WORK);
        if (lead == KW_ROLLBACK && sqlp_accept_kw(p, KW_TO)) {
            st->txn = SQL_TXN_SAVEPOINT;
            sqlp_accept_kw(p, KW_SAVEPOINT);
            const char *nm;
            return sqlp_name_tok(p, &nm, NULL);
        }
        if (sqlp_accept_kw(p, KW_AND)) {
            sqlp_accept_kw(p, KW_NO);
            if (!sqlp_expect_kw(p, KW_CHAIN))
                return false;
        }
        if (sqlp_accept_kw(p, KW_NO)) {
            if (!sqlp_expect_kw(p, KW_RELEASE))
                return false;
        } else {
            sqlp_accept_kw(p, KW_RELEASE);
        }
        break;
    case KW_SAVEPOINT:
    case KW_RELEASE: {
        st->txn = SQL_TXN_SAVEPOINT;
        if (lead == KW_RELEASE && !sqlp_expect_kw(p, KW_SAVEPOINT))
            return false;
        const char *nm;
        return sqlp_name_tok(p, &nm, NULL);
    }
    case KW_XA:
        if (sqlp_accept_kw(p, KW_START) || sqlp_accept_kw(p, KW_BEGIN))
            st->txn = SQL_TXN_BEGIN;
        else if (sqlp_accept_kw(p, KW_COMMIT))
            st->txn = SQL_TXN_COMMIT;
        else if (sqlp_accept_kw(p, KW_ROLLBACK))
            st->txn = SQL_TXN_ROLLBACK;
        else
            st->txn = SQL_TXN_OTHER;
        sqlp_skip_to_end(p); /* xid, JOIN/RESUME, ONE PHASE ... */
        break;
    default:
        return sqlp_fail(p, "unknown transaction statement");
    }
    return true;
}

static bool sqlp_set(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    st->kind = SQL_KIND_SET;
    p->i++;
    int k = 0;
    if (sqlp_is_kw(p, 0, KW_SESSION) || sqlp_is_kw(p, 0, KW_GLOBAL) || sqlp_is_kw(p, 0, KW_LOCAL))
        k = 1;
    if (sqlp_is_kw(p, k, KW_TRANSACTION)) {
        st->kind = SQL_KIND_TXN;
        st->txn = SQL_TXN_OTHER;
    }
    sqlp_skip_to_end(p);
    return true;
}

/* The flow-control statements that open a compound statement. */
static inline bool sqlp_compound_lead(const char *text, const struct lex_tok *t)
{
    if (t->type != LEX_IDENT)
        return false;
    if (t->kw != KW_NONE) /* SELECT, INSERT ...: one compare */
        return t->kw == KW_IF || t->kw == KW_CASE;
    return sqlp_is_word(t, text, "LOOP") || sqlp_is_word(t, text, "WHILE") ||
           sqlp_is_word(t, text, "REPEAT");
}

/* A block label, `lbl:` (or `` `lbl`: ``), before BEGIN NOT ATOMIC, LOOP,
 * WHILE, REPEAT or FOR. */
static inline bool sqlp_label_at(const struct lex_tok *t)
{
    return ((t[0].type == LEX_IDENT && t[0].kw == KW_NONE) || t[0].type == LEX_QIDENT) &&
           t[1].type == LEX_OP && t[1].op == ':';
}

/* Does a compound statement open at t (after its label, if any)?  FOR is
 * MariaDB's cursor/range loop: as a statement's first word it is nothing
 * else. */
static inline bool sqlp_compound_open(const char *text, const struct lex_tok *t)
{
    return sqlp_compound_lead(text, t) || (t[0].type == LEX_IDENT && t[0].kw == KW_FOR) ||
           (t[0].type == LEX_IDENT && t[0].kw == KW_BEGIN && t[1].type == LEX_IDENT &&
            t[1].kw == KW_NOT);
}

/* Does a statement inside this compound statement start at token k?  After
 * ';' and the words that open a statement list. */
static bool sqlp_inner_start(const struct sqlp *p, int k)
{
    if (k == 0)
        return false;
    const struct lex_tok *b = &p->t[k - 1];
    if (b->type == LEX_OP)
        return b->op == ';';
    return b->type == LEX_IDENT &&
           (b->kw == KW_THEN || b->kw == KW_ELSE || b->kw == KW_DO || b->kw == KW_ATOMIC ||
            b->kw == KW_BEGIN || sqlp_is_word(b, p->text, "LOOP") ||
            sqlp_is_word(b, p->text, "REPEAT"));
}

/* A compound statement run as one query (MariaDB BEGIN NOT ATOMIC ... END,
 * IF, CASE, LOOP, REPEAT, WHILE): its inner statements are not modelled,
 * so one that is DDL or dynamic SQL (which may be) makes the whole an
 * unparsed DDL, which the gate refuses (DG900), instead of passing it as
 * OTHER. */
/* Does token k open (or, anywhere in a stored program's body, belong to)
 * a statement that is DDL or dynamic SQL?  At a statement's start LOCK and
 * FLUSH count too; elsewhere they also appear in SELECT ... LOCK IN SHARE
 * MODE.  TRUNCATE( is the numeric function. */
bool sqlp_runs_ddl(const struct sqlp *p, int k, bool statement_start)
{
    const struct lex_tok *t = &p->t[k];

    if (t->type != LEX_IDENT)
        return false;
    switch ((enum lex_kw)t->kw) {
    case KW_ALTER:
    case KW_CREATE:
    case KW_DROP:
    case KW_RENAME:
    case KW_OPTIMIZE:
    case KW_REPAIR:
    case KW_EXECUTE:
    case KW_PREPARE:
        return true;
    case KW_LOCK:
    case KW_FLUSH:
        return statement_start;
    case KW_TRUNCATE:
        return statement_start || k + 1 >= p->n || p->t[k + 1].type != LEX_OP ||
               p->t[k + 1].op != '(';
    default:
        return false;
    }
}

static bool sqlp_compound_body(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    st->kind = SQL_KIND_OTHER;
    for (int k = p->i + 1; k < p->n; k++) {
        if (p->t[k].type != LEX_IDENT || !sqlp_inner_start(p, k) || !sqlp_runs_ddl(p, k, true))
            continue;
        st->kind = SQL_KIND_DDL;
        st->ddl = SQL_DDL_OTHER;
        sqlp_skip_to_end(p);
        return sqlp_fail(p, "DDL or dynamic SQL inside a compound statement");
    }
    sqlp_skip_to_end(p);
    return true;
}

/* Is the cursor at MariaDB's `SET STATEMENT name`? (STATEMENT is no
 * keyword, and `SET statement = 1` sets a variable of that name.) */
static bool sqlp_at_set_statement(const struct sqlp *p)
{
    return sqlp_is_kw(p, 0, KW_SET) && sqlp_is_word(sqlp_tok(p, 1), p->text, "STATEMENT") &&
           (sqlp_is_name(sqlp_tok(p, 2)) || sqlp_tok(p, 2)->type == LEX_SYSVAR);
}

/* MariaDB's `SET STATEMENT var=expr [, var=expr ...] FOR <stmt>` runs
 * <stmt> with those variables: the statement is <stmt> to everything that
 * judges it, so the prefix (nested ones too) is stepped over here and
 * recorded in stmt->set_statement.  The values are arbitrary expressions;
 * a FOR inside one is always within parentheses (SUBSTRING(a FROM 1 FOR
 * 2), a subquery's FOR UPDATE), so the list ends at the first FOR at
 * depth 0.  MySQL has no such statement (the server refuses it); it is
 * read the same way there, which judges what it would run. */
static bool sqlp_set_statement(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    int first = p->i;
    while (sqlp_at_set_statement(p)) {
        p->i += 2;
        int depth = 0, values = 0;
        for (; !sqlp_eof(p); p->i++) {
            const struct lex_tok *t = sqlp_cur(p);
            if (t->type == LEX_OP && t->op == '(')
                depth++;
            else if (t->type == LEX_OP && t->op == ')' && --depth < 0)
                break;
            else if (depth == 0 && t->type == LEX_IDENT && t->kw == KW_FOR)
                break;
            values++;
        }
        if (depth != 0 || values < 3 || !sqlp_accept_kw(p, KW_FOR))
            return sqlp_fail(p, "SET STATEMENT without FOR");
    }
    st->set_statement = sqlp_span_from(p, first);
    if (sqlp_eof(p))
        return sqlp_fail(p, "SET STATEMENT ... FOR without a statement");
    st->body_off = sqlp_cur(p)->off;
    return true;
}

static bool sqlp_dispatch(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    const struct lex_tok *t = sqlp_cur(p);
    if (t->type == LEX_OP && t->op == '(') {
        st->kind = SQL_KIND_SELECT;
        return sqlp_query(p);
    }
    if (t->type == LEX_QIDENT && sqlp_label_at(t) && sqlp_compound_open(p->text, t + 2)) {
        p->i += 2;
        return sqlp_compound_body(p);
    }
    if (t->type != LEX_IDENT) {
        st->kind = SQL_KIND_OTHER;
        return sqlp_fail(p, "statement does not start with a keyword");
    }
    switch ((enum lex_kw)t->kw) {
    case KW_SELECT:
    case KW_TABLE:
    case KW_VALUES:
        st->kind = SQL_KIND_SELECT;
        return sqlp_query(p);
    case KW_WITH:
        st->kind = SQL_KIND_SELECT;
        return sqlp_with(p);
    case KW_INSERT:
        st->kind = SQL_KIND_INSERT;
        return sqlp_insert(p);
    case KW_REPLACE:
        st->kind = SQL_KIND_REPLACE;
        return sqlp_insert(p);
    case KW_UPDATE:
        st->kind = SQL_KIND_UPDATE;
        return sqlp_update(p);
    case KW_DELETE:
        st->kind = SQL_KIND_DELETE;
        return sqlp_delete(p);
    case KW_ALTER:
        return sqlp_alter(p);
    case KW_CREATE:
        return sqlp_create(p);
    case KW_DROP:
        return sqlp_drop(p);
    case KW_RENAME:
        return sqlp_rename(p);
    case KW_TRUNCATE:
        return sqlp_truncate(p);
    case KW_OPTIMIZE:
        return sqlp_maintenance(p, SQL_DDL_OPTIMIZE);
    case KW_ANALYZE:
        return sqlp_maintenance(p, SQL_DDL_ANALYZE);
    case KW_REPAIR:
    case KW_CHECK:
        return sqlp_maintenance(p, SQL_DDL_REPAIR_CHECK);
    case KW_LOCK:
    case KW_UNLOCK:
        return sqlp_lock(p);
    case KW_FLUSH:
        return sqlp_flush(p);
    case KW_BEGIN:
        if (sqlp_is_kw(p, 1, KW_NOT)) /* BEGIN NOT ATOMIC: compound statement */
            return sqlp_compound_body(p);
        return sqlp_txn(p, KW_BEGIN);
    case KW_START:
        if (!sqlp_is_kw(p, 1, KW_TRANSACTION)) {
            st->kind = SQL_KIND_OTHER; /* START SLAVE / REPLICA / GROUP_REPLICATION */
            sqlp_skip_to_end(p);
            return true;
        }
        return sqlp_txn(p, KW_START);
    case KW_COMMIT:
    case KW_ROLLBACK:
    case KW_SAVEPOINT:
    case KW_RELEASE:
    case KW_XA:
        return sqlp_txn(p, (enum lex_kw)t->kw);
    case KW_SET:
        if (!sqlp_at_set_statement(p))
            return sqlp_set(p);
        if (!sqlp_set_statement(p)) {
            st->kind = SQL_KIND_SET;
            return false;
        }
        return sqlp_dispatch(p); /* once: the prefixes are behind */
    case KW_IF:
    case KW_CASE:
        return sqlp_compound_body(p);
    case KW_SHOW:
    case KW_USE:
    case KW_CALL:
    case KW_DO:
    case KW_EXPLAIN:
    case KW_DESCRIBE:
    case KW_DESC:
    case KW_HANDLER:
    case KW_GRANT:
    case KW_REVOKE:
    case KW_PREPARE:
    case KW_EXECUTE:
        st->kind = SQL_KIND_OTHER;
        st->dynamic = sqlp_dynamic_sql(p);
        sqlp_skip_to_end(p);
        return true;
    case KW_KILL:
    case KW_DEALLOCATE:
    case KW_LOAD:
    case KW_HELP:
    case KW_INSTALL:
    case KW_PURGE:
    case KW_RESET:
    case KW_SIGNAL:
    case KW_CHECKSUM:
    case KW_SHUTDOWN:
        st->kind = SQL_KIND_OTHER;
        sqlp_skip_to_end(p);
        return true;
    default:
        break;
    }
    static const char *const other_words[] = {
        "CACHE",    "CHANGE",  "CLONE", "GET",       "IMPORT", "ITERATE", "LEAVE",      "OPTIMIZE",
        "RESIGNAL", "RESTART", "STOP",  "UNINSTALL", "BACKUP", "BINLOG",  "DEALLOCATE",
    };
    if (sqlp_compound_lead(p->text, t))
        return sqlp_compound_body(p);
    if (t->kw == KW_FOR)
        return sqlp_compound_body(p);
    if (sqlp_label_at(t) && sqlp_compound_open(p->text, t + 2)) {
        p->i += 2; /* the label: the block is judged like an unlabelled one */
        return sqlp_compound_body(p);
    }
    st->kind = SQL_KIND_OTHER;
    for (size_t k = 0; k < sizeof(other_words) / sizeof(other_words[0]); k++) {
        if (sqlp_is_word(t, p->text, other_words[k])) {
            sqlp_skip_to_end(p);
            return true;
        }
    }
    return sqlp_fail(p, "unknown statement");
}

/* ---- one statement ------------------------------------------------------------ */

struct sqlp_split {
    int nparams; /* '?' placeholders */
    unsigned comment_version;
    bool osc_marker;
    uint32_t start;  /* offset where the statement text begins */
    uint32_t end;    /* just past its last token (or exec comment) */
    bool first_exec; /* first token inside an executable comment */
    uint32_t exec_open;
    uint32_t last_tok_end;
    bool last_exec;
};

static void sqlp_finish_offsets(struct sqlp *p, const struct sqlp_split *sp)
{
    struct sql_stmt *st = p->st;
    uint32_t start = sp->first_exec ? sp->exec_open : p->t[0].off;
    st->span.off = start;
    st->span.len = sp->end - start;
    if (!st->set_statement.len)
        st->body_off = start;
    if (st->ddl == SQL_DDL_ALTER_TABLE || st->ddl == SQL_DDL_CREATE_INDEX ||
        st->ddl == SQL_DDL_DROP_INDEX) {
        /* inside the comment when the whole statement is conditional,
         * after it when only a tail was (ALTER ... /x!80023 INVISIBLE x/) */
        st->alter.append_off = (sp->last_exec && !sp->first_exec) ? sp->end : sp->last_tok_end;
    }
}

static bool sqlp_statement(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    p->scope = 0;
    p->nscopes = 0;
    sqlp_new_scope(p);
    p->top = true;
    p->access = SQL_ACCESS_READ;
    p->ctx = SQL_COLCTX_WHERE;
    bool ok = sqlp_dispatch(p);
    if (ok && !p->err && p->i < p->n)
        ok = sqlp_fail(p, "unexpected token after the end of the statement");
    if (p->err)
        ok = false;
    sqlp_resolve_columns(p);
    st->parsed = ok;
    st->parse_error = ok ? NULL : (p->err ? p->err : "syntax error");
    return !p->oom;
}

/* ---- splitting ----------------------------------------------------------------- */

/* Compound-statement tracking: inside CREATE TRIGGER/PROCEDURE/FUNCTION/EVENT
 * and BEGIN NOT ATOMIC, ';' ends the statement only outside BEGIN..END. */
struct sqlp_compound {
    bool active;
    bool decided;
    int depth;
    bool pending_end;
};

static bool sqlp_compound_object(const struct lex_tok *t)
{
    return t->type == LEX_IDENT && (t->kw == KW_TRIGGER || t->kw == KW_PROCEDURE ||
                                    t->kw == KW_FUNCTION || t->kw == KW_EVENT);
}

/* Decide, from the first tokens, whether this is a compound statement:
 * CREATE ... TRIGGER|PROCEDURE|FUNCTION|EVENT or BEGIN NOT ATOMIC. */
static void sqlp_compound_step(struct sqlp_compound *c, const char *text,
                               const struct lex_tok *toks, int n)
{
    const struct lex_tok *t = &toks[n - 1];
    if (n <= 2 &&
        ((t->type == LEX_IDENT && t->kw == KW_NONE) || t->type == LEX_QIDENT ||
         (n == 2 && t->type == LEX_OP && t->op == ':')) &&
        !(n == 1 && sqlp_compound_lead(text, t))) {
        /* maybe a block label: decided by what follows `lbl:` */
        if (n == 2 && !(t->type == LEX_OP && t->op == ':'))
            c->decided = true;
        return;
    }
    if (n >= 3 && n <= 4 && sqlp_label_at(toks)) {
        const struct lex_tok *b = &toks[2];
        if (n == 3 && b->type == LEX_IDENT && b->kw == KW_BEGIN)
            return; /* BEGIN NOT ATOMIC, or not a compound statement */
        c->decided = true;
        if ((n == 3 &&
             (sqlp_compound_lead(text, b) || (b->type == LEX_IDENT && b->kw == KW_FOR))) ||
            (n == 4 && b->kw == KW_BEGIN && t->type == LEX_IDENT && t->kw == KW_NOT)) {
            c->active = true;
            c->depth = 1;
        }
        return;
    }
    if (n == 1 && (sqlp_compound_lead(text, t) || (t->type == LEX_IDENT && t->kw == KW_FOR))) {
        /* MariaDB runs IF/CASE/LOOP/REPEAT/WHILE as one compound statement
         * outside stored programs too: one statement to its END (the
         * counting below never closes it: END IF/LOOP/... are not counted) */
        c->decided = c->active = true;
        c->depth = 1;
    } else if (n == 1 && !(t->type == LEX_IDENT && (t->kw == KW_CREATE || t->kw == KW_BEGIN))) {
        c->decided = true;
    } else if (n == 2 && toks[0].kw == KW_BEGIN) {
        c->decided = true;
        if (t->type == LEX_IDENT && t->kw == KW_NOT) {
            c->active = true;
            c->depth = 1; /* the leading BEGIN */
        }
    } else if (n > 1 && sqlp_compound_object(t)) {
        c->decided = c->active = true;
    } else if (n > 16 || (t->type == LEX_OP && t->op == '(') ||
               (t->type == LEX_IDENT &&
                (t->kw == KW_TABLE || t->kw == KW_INDEX || t->kw == KW_VIEW ||
                 t->kw == KW_DATABASE || t->kw == KW_SCHEMA))) {
        c->decided = true;
    }
}

/* Does a statement start after token b (inside a compound statement)?
 * After ';', a block label's ':' and the words that open a statement list. */
static bool sqlp_stmt_starts_after(const char *text, const struct lex_tok *b)
{
    if (b->type == LEX_OP)
        return b->op == ';' || b->op == ':';
    return b->type == LEX_IDENT &&
           (b->kw == KW_THEN || b->kw == KW_ELSE || b->kw == KW_DO || b->kw == KW_ATOMIC ||
            b->kw == KW_BEGIN || sqlp_is_word(b, text, "LOOP") || sqlp_is_word(b, text, "REPEAT"));
}

/* Called for each token in a compound statement before it is appended
 * (prev: the token before it).  BEGIN, CASE, and IF/LOOP/WHILE/REPEAT/FOR
 * where a statement starts open a level; END closes one, and the word
 * after it (END IF, END LOOP, END CASE ...) opens nothing. */
static void sqlp_compound_token(struct sqlp_compound *c, const char *text, const struct lex_tok *t,
                                const struct lex_tok *prev)
{
    if (!c->active)
        return;
    if (c->pending_end) {
        c->pending_end = false;
        if (c->depth > 0)
            c->depth--;
        return; /* the closer word, a label, ';' ... */
    }
    if (t->type != LEX_IDENT)
        return;
    if (t->kw == KW_END)
        c->pending_end = true;
    else if ((t->kw == KW_BEGIN && prev) || t->kw == KW_CASE)
        c->depth++;
    else if (prev && sqlp_stmt_starts_after(text, prev) &&
             (sqlp_compound_lead(text, t) || t->kw == KW_FOR))
        c->depth++;
}

struct sqlp_tokbuf {
    struct lex_tok *t;
    int n, cap;
    bool heap;
};

/* Double the token array (the first growth leaves the stack array). */
static bool sqlp_tokbuf_grow(struct sqlp_tokbuf *b)
{
    if (b->cap >= (1 << 27))
        return false;
    int ncap = b->cap * 2;
    struct lex_tok *nt =
        b->heap ? realloc(b->t, (size_t)ncap * sizeof(*nt)) : malloc((size_t)ncap * sizeof(*nt));
    if (!nt)
        return false;
    if (!b->heap)
        memcpy(nt, b->t, (size_t)b->n * sizeof(*nt));
    b->t = nt;
    b->cap = ncap;
    b->heap = true;
    return true;
}

/* The next statement slot, zeroed: statements are parsed in place. */
static struct sql_stmt *sqlp_next_stmt(struct sql_script *out, int *cap)
{
    if (*cap == 0) {
        /* one slot first: almost every query is one statement, and eight
         * 328-byte slots would take most of the inline arena block */
        if (!(out->stmts = sql_arena_alloc(out, sizeof(struct sql_stmt))))
            return NULL;
        *cap = 1;
    } else if (!sql_arena_grow(out, (void **)&out->stmts, cap, out->nstmts,
                               sizeof(struct sql_stmt))) {
        return NULL;
    }
    struct sql_stmt *st = &out->stmts[out->nstmts];
    sqlp_zero(st, sizeof(*st));
    return st;
}

/* First ' or backslash in s[e..n), or n. */
static inline uint32_t sqlp_quote_stop(const unsigned char *s, uint32_t e, uint32_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* eight bytes per step: a byte matches where (x - 1) borrows into its
     * top bit; the lowest hit is exact */
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    while (e + 8 <= n) {
        uint64_t v, x, y;
        memcpy(&v, s + e, 8);
        x = v ^ (ones * '\''), y = v ^ (ones * '\\');
        uint64_t hit = (((x - ones) & ~x) | ((y - ones) & ~y)) & high;
        if (hit)
            return e + ((uint32_t)__builtin_ctzll(hit) >> 3);
        e += 8;
    }
#endif
    while (e < n && s[e] != '\'' && s[e] != '\\')
        e++;
    return e;
}

/* Byte classes of eight bytes at once (SWAR), exact for every byte value:
 * bit 7 of each byte of the result says whether that byte is in the
 * class.  A word or an integer then ends at the first byte outside the
 * class, found with one count-trailing-zeros instead of a branch per byte
 * (whose exit the branch predictor guesses wrong for every other length). */
#define SW_ONES 0x0101010101010101ull
#define SW_HIGH 0x8080808080808080ull

/* b7: bytes with bit 7 cleared; class: lo <= byte <= hi (both <= 0x7F) */
static inline uint64_t sw_in_range(uint64_t b7, unsigned lo, unsigned hi)
{
    return (b7 + (0x80u - lo) * SW_ONES) & ~(b7 + (0x7Fu - hi) * SW_ONES);
}

static inline uint64_t sw_equal(uint64_t b7, unsigned c)
{
    return ~((b7 ^ c * SW_ONES) + 0x7Fu * SW_ONES);
}

/* Bytes that are not identifier bytes (lex_cc_table's IDENT | DIGIT:
 * letters, digits, '_', '$', bytes >= 0x80). */
static inline uint64_t sw_not_ident(uint64_t v)
{
    uint64_t b7 = v & ~SW_HIGH;
    uint64_t id = v | sw_in_range(b7, '0', '9') | sw_in_range(b7 | 0x20u * SW_ONES, 'a', 'z') |
                  sw_equal(b7, '_') | sw_equal(b7, '$');
    return ~id & SW_HIGH;
}

/* Bit i set where byte i of s[0..64) is not an identifier byte (the same
 * class as sw_not_ident()), sixteen bytes a step.  A window is classified
 * ahead of the words in it, so a word's end is one shift and one
 * count-trailing-zeros away from its start instead of a load and a SWAR
 * chain: the cursor's loop-carried latency limited the fast run. */
#ifdef __SSE2__
static inline uint64_t sqlp_not_ident64(const unsigned char *s, int blocks)
{
    const __m128i az0 = _mm_set1_epi8('a' - 1), az1 = _mm_set1_epi8('z' + 1);
    const __m128i d0 = _mm_set1_epi8('0' - 1), d1 = _mm_set1_epi8('9' + 1);
    const __m128i us = _mm_set1_epi8('_'), dol = _mm_set1_epi8('$');
    const __m128i low = _mm_set1_epi8(0x20), zero = _mm_setzero_si128();
    uint64_t id = 0;
    for (int i = 0; i < blocks; i++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + 16 * i));
        __m128i l = _mm_or_si128(x, low); /* bytes >= 0x80 stay negative: out of a..z */
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmplt_epi8(x, zero),
                         _mm_and_si128(_mm_cmpgt_epi8(l, az0), _mm_cmplt_epi8(l, az1))),
            _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(x, d0), _mm_cmplt_epi8(x, d1)),
                         _mm_or_si128(_mm_cmpeq_epi8(x, us), _mm_cmpeq_epi8(x, dol))));
        id |= (uint64_t)(uint16_t)_mm_movemask_epi8(m) << (16 * i);
    }
    return ~id;
}
#else
static inline uint64_t sqlp_not_ident64(const unsigned char *s, int blocks)
{
    uint64_t r = 0;
    for (int i = 0; i < 16 * blocks; i++)
        r |= (uint64_t) !(lex_cc_table[s[i]] & (LEX_CC_IDENT | LEX_CC_DIGIT)) << i;
    return r;
}
#endif

/* sqlp_not_ident64() of s[p..p+64), bytes from n on counted as not
 * identifier bytes; never reads outside s[0..n). */
static inline uint64_t sqlp_word_window(const unsigned char *s, uint32_t p, uint32_t n)
{
    if (n - p >= 64)
        return sqlp_not_ident64(s + p, 4);
    uint32_t sh = 64 - (n - p); /* bits past the text, 1..63 */
    if (n >= 64)                /* the last 64 bytes of the text, moved down to p */
        return sqlp_not_ident64(s + n - 64, 4) >> sh | ~(~0ull >> sh);
    unsigned char tmp[64] = {0}; /* a short text: a copy, only the blocks it fills */
    memcpy(tmp, s + p, n - p);
    int blocks = (int)(n - p + 15) / 16;
    return sqlp_not_ident64(tmp, blocks) | ~(~0ull >> sh);
}

/* Bytes that are not ASCII digits. */
static inline uint64_t sw_not_digit(uint64_t v)
{
    return ~(sw_in_range(v & ~SW_HIGH, '0', '9') & ~v) & SW_HIGH;
}

/* The second 64-bit word of a struct lex_tok (little-endian layout, checked
 * in sqlp_fast_run()): kw, op, type, flags 0. */
#define SQLP_TOKW1(kw, op, type) ((uint64_t)(kw) | (uint64_t)(op) << 16 | (uint64_t)(type) << 32)

/* The common run of a statement's tokens: plain words, one-byte
 * punctuation, qualifier dots and integers, lexed straight into the token
 * array in one loop with the scanner state in registers (the same tokens
 * as lex_next()); also plain 'strings'.  Stops before any other token (escapes, comments, ';', an
 * operator that may be longer ...),
 * which the caller takes through lex_next(), or when `room` is used up.
 * Only called outside executable comments.  Returns the tokens added.
 * Not inlined: on its own it keeps the cursor in registers (inside
 * sql_parse() it was spilled).  The digest is not computed here: it is
 * made on demand (sql_stmt_digest()) from lex_next()'s tokens. */
static __attribute__((noinline)) int sqlp_fast_run(struct lex *lx, struct lex_tok *t, int room)
{
    _Static_assert(sizeof(struct lex_tok) == 16 && offsetof(struct lex_tok, len) == 4 &&
                       offsetof(struct lex_tok, kw) == 8 && offsetof(struct lex_tok, op) == 10 &&
                       offsetof(struct lex_tok, type) == 12 &&
                       offsetof(struct lex_tok, flags) == 13,
                   "struct lex_tok layout");
    const unsigned char *s = (const unsigned char *)lx->s;
    const uint32_t n = lx->len;
    uint32_t p = lx->pos;
    struct lex_tok *tp = t;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t wb = p - 64; /* the word window s[wb..wb+64): none yet */
    uint64_t wnot = 0;
#endif
    /* every token takes at least one byte: starting tokens only before
     * p0 + room keeps their count within room, with one compare a token */
    const uint32_t stop = room > 0 && (uint32_t)room < n - p ? p + (uint32_t)room
                          : room > 0                         ? n
                                                             : p;
    while (p < stop) {
        unsigned char c;
        uint8_t st;
        if ((st = lex_start_table[c = s[p]]) == LEX_ST_SPACE) {
            do {
                if (++p >= n)
                    goto done;
            } while ((st = lex_start_table[c = s[p]]) == LEX_ST_SPACE);
        }
        uint32_t e = p + 1;
        /* 1 when a blank follows the token: skipped with it, from the byte
         * already at hand, instead of a turn through the loop head (one
         * blank between tokens is the usual spacing) */
        uint32_t blank = 0;
        uint64_t w1;
        if (st == LEX_ST_WORD) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            if (p - wb >= 64) { /* the word starts past the window: a new one from here */
                wb = p;
                wnot = sqlp_word_window(s, p, n);
            }
            uint64_t rest = wnot >> (p - wb); /* bit 0 clear: byte p is a word byte */
            if (rest) {
                e = p + (uint32_t)__builtin_ctzll(rest);
            } else if (n - p >= 8) { /* the word runs past the window */
                uint64_t v, miss;
                memcpy(&v, s + p, 8);
                miss = sw_not_ident(v); /* byte 0 is a word byte */
                e = miss ? p + ((uint32_t)__builtin_ctzll(miss) >> 3) : lex_word_end(s, p + 8, n);
            } else
#endif
                e = lex_word_end(s, e, n);
            /* maybe X'..', N'..', _cs'..': two compares, not a table load
             * behind the byte load (the word's end is on the critical path) */
            if (e < n) {
                unsigned char nb = s[e];
                if (nb == '\'' || nb == '"')
                    break;
                blank = nb == ' ';
            }
            uint32_t len = e - p;
            enum lex_kw kw;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            if (len <= 8 && n - p >= 8) {
                /* one load for the keyword probe (the value lex_kw_find()
                 * computes); no keyword has one letter (table aliases
                 * often do) */
                uint64_t raw, m = lex_kw_mask[len];
                memcpy(&raw, s + p, 8);
                kw = len == 1 ? KW_NONE : lex_kw_probe((raw | LEX_KW_FOLD) & m, len);
            } else if (len > 8 && len <= 16 && n - p >= 16) { /* customer_id, DUPLICATE */
                uint64_t raw0, raw1, m = lex_kw_mask[len - 8];
                memcpy(&raw0, s + p, 8);
                memcpy(&raw1, s + p + 8, 8);
                kw = lex_kw_probe2(raw0 | LEX_KW_FOLD, (raw1 | LEX_KW_FOLD) & m, len);
            } else
#endif
            {
                kw = len == 1 ? KW_NONE : lex_kw_find(s + p, len, n - p, p);
            }
            w1 = SQLP_TOKW1(kw, 0, LEX_IDENT);
        } else if (st == LEX_ST_PUNCT ||
                   (st == LEX_ST_DOT && (e >= n || !(lex_cc_table[s[e]] & LEX_CC_DIGIT) ||
                                         (tp > t ? tp[-1].type : lx->prev_type) == LEX_IDENT ||
                                         (tp > t ? tp[-1].type : lx->prev_type) == LEX_QIDENT))) {
            w1 = SQLP_TOKW1(KW_NONE, c, LEX_OP);
        } else if (st == LEX_ST_DIGIT || st == LEX_ST_SQUOTE) {
            if (st == LEX_ST_DIGIT) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                if (n - p >= 8) {
                    uint64_t v, miss;
                    memcpy(&v, s + p, 8);
                    miss = sw_not_digit(v);
                    e = miss ? p + ((uint32_t)__builtin_ctzll(miss) >> 3) : p + 8;
                }
#endif
                while (e < n && (lex_cc_table[s[e]] & LEX_CC_DIGIT))
                    e++;
                if (e < n && ((lex_cc_table[s[e]] & LEX_CC_IDENT) || s[e] == '.'))
                    break; /* 1.5, 1e3, 0x1F, 1abc ... */
                w1 = SQLP_TOKW1(KW_NONE, 0, LEX_NUMBER);
            } else { /* 'text' without escapes or doubled quotes; others go the full way */
                e = sqlp_quote_stop(s, e, n);
                if (e >= n || s[e] != '\'' || (e + 1 < n && s[e + 1] == '\''))
                    break;
                e++;
                w1 = SQLP_TOKW1(KW_NONE, 0, LEX_STRING);
            }
        } else {
            break;
        }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t w[2] = {p | (uint64_t)(e - p) << 32, w1};
        memcpy(tp, w, sizeof(w));
#else
        tp->off = p;
        tp->len = e - p;
        tp->kw = (uint16_t)w1;
        tp->op = (uint16_t)(w1 >> 16);
        tp->type = (uint8_t)(w1 >> 32);
        tp->flags = 0;
#endif
        tp++;
        p = e + blank;
    }
done:
    lx->pos = p;
    if (tp > t)
        lx->prev_type = tp[-1].type;
    return (int)(tp - t);
}

/* Lex one statement into buf; returns false at end of text with no tokens. */
static bool sqlp_collect(struct lex *lx, const char *text, struct sqlp_tokbuf *buf,
                         struct sqlp_split *sp, bool *oom)
{
    struct sqlp_compound comp = {0};
    uint32_t last_tok_end = 0, end = 0;
    bool last_exec = false;
    int n = 0;
    memset(sp, 0, sizeof(*sp));
    sp->start = lx->pos;
    lx->osc_marker = false;
    struct lex_tok tok = {0, 0, KW_NONE, 0, LEX_EOF, 0}, *tk; /* lex_next() fills it */
    for (;;) {
        /* lex straight into the array while it has room: a copy from a
         * local read the token back before its field stores had landed
         * (a store-forwarding stall on every slow-path token) */
        tk = n + SQLP_TOK_PAD < buf->cap ? &buf->t[n] : &tok;
        if (!lex_next(lx, tk))
            break;
        if (last_exec && lx->exec_close_end > last_tok_end && !(tk->flags & LEXF_EXEC))
            end = lx->exec_close_end;
        if (comp.active)
            sqlp_compound_token(&comp, text, tk, n ? &buf->t[n - 1] : NULL);
        if (tk->type == LEX_OP && tk->op == ';' && comp.depth <= 0) {
            if (n == 0) {
                sp->start = lx->pos;
                lx->osc_marker = false;
                continue; /* empty statement: ";;" */
            }
            break;
        }
        if (tk == &tok) { /* full, counting the EOF padding */
            buf->n = n;
            if (!sqlp_tokbuf_grow(buf)) {
                *oom = true;
                return false;
            }
            buf->t[n] = tok;
            tk = &buf->t[n];
        }
        n++;
        sp->nparams += tk->type == LEX_PARAM; /* never from the fast run */
        if (n == 1) {
            sp->first_exec = (tk->flags & LEXF_EXEC) != 0;
            sp->exec_open = lx->exec_open;
            sp->comment_version = sp->first_exec ? lx->exec_version : 0;
        }
        if (!comp.decided)
            sqlp_compound_step(&comp, text, buf->t, n);
        last_tok_end = tk->off + tk->len;
        last_exec = (tk->flags & LEXF_EXEC) != 0;
        end = last_tok_end;
        if (comp.decided && !comp.active && !last_exec && !lx->in_exec) {
            int k = sqlp_fast_run(lx, buf->t + n, buf->cap - SQLP_TOK_PAD - n);
            if (k > 0) {
                n += k;
                last_tok_end = buf->t[n - 1].off + buf->t[n - 1].len;
                end = last_tok_end;
            }
            if (lx->pos >= lx->len)
                break; /* the text ends with the run: lex_next() would only say EOF */
        }
    }
    if (last_exec && lx->exec_close_end > last_tok_end && !lx->in_exec)
        end = end > lx->exec_close_end ? end : lx->exec_close_end;
    buf->n = n;
    sp->last_tok_end = last_tok_end;
    sp->last_exec = last_exec;
    sp->end = end;
    sp->osc_marker = lx->osc_marker;
    return n > 0;
}

bool sql_parse(const struct sql_parse_opts *opts, const char *text, size_t len,
               struct sql_script *out)
{
    static const struct sql_parse_opts defaults;
    if (!opts)
        opts = &defaults;
    struct lex lx;
    lex_init(&lx, text ? text : "", text ? len : 0, opts);
    struct lex_tok stack_toks[SQLP_STACK_TOKENS];
    struct sqlp_tokbuf buf = {stack_toks, 0, SQLP_STACK_TOKENS, false};
    struct sqlp_split sp;
    int stmts_cap = 0;
    bool ok = true, oom = false;
    const char *schema = NULL; /* arena copy of opts->default_schema, made on first use */
    out->nstmts = 0;
    out->stmts = NULL;
    while (ok) {
        if (!sqlp_collect(&lx, lx.s, &buf, &sp, &oom)) {
            if (oom) {
                ok = false;
            } else if (out->nstmts == 0) {
                struct sql_stmt *empty = sqlp_next_stmt(out, &stmts_cap);
                ok = empty != NULL;
                if (ok) {
                    empty->kind = SQL_KIND_EMPTY;
                    empty->parsed = true;
                    empty->osc_marker = lx.osc_marker;
                    empty->span.off = sp.start;
                    empty->digest_valid = true; /* no tokens: digest 0 */
                    out->nstmts++;
                }
            }
            break;
        }
        struct sql_stmt *st = sqlp_next_stmt(out, &stmts_cap);
        if (!st) {
            ok = false;
            break;
        }
        st->comment_version = sp.comment_version;
        st->osc_marker = sp.osc_marker;
        st->nparams = sp.nparams;
        st->digest_from = buf.t[0].off;
        st->digest_exec = sp.first_exec;
        struct sqlp p;
        /* everything but the CTE name table, which nctes = 0 guards */
        sqlp_zero(&p, offsetof(struct sqlp, ctes));
        p.tab_scope = p.tab_scope_in;
        p.tab_scope_cap = (int)(sizeof(p.tab_scope_in) / sizeof(p.tab_scope_in[0]));
        p.col_scope = p.col_scope_in;
        p.col_scope_cap = (int)(sizeof(p.col_scope_in) / sizeof(p.col_scope_in[0]));
        p.scope_parent = p.scope_parent_in;
        p.scope_parent_cap = (int)(sizeof(p.scope_parent_in) / sizeof(p.scope_parent_in[0]));
        p.opts = opts;
        p.text = lx.s;
        p.text_len = lx.len;
        p.sc = out;
        /* sqlp_tok()'s lookahead ends here: EOF tokens are all zero */
        _Static_assert(LEX_EOF == 0 && KW_NONE == 0, "an all-zero token is EOF");
        sqlp_zero(buf.t + buf.n, SQLP_TOK_PAD * sizeof(*buf.t));
        p.t = buf.t;
        p.n = buf.n;
        p.st = st;
        p.schema_copy = &schema;
        ok = sqlp_statement(&p);
        sqlp_finish_offsets(&p, &sp);
        if (ok)
            out->nstmts++;
        if (lx.pos >= lx.len)
            break; /* all text consumed: another sqlp_collect() would find nothing */
    }
    if (buf.heap)
        free(buf.t);
    return ok && !oom;
}
