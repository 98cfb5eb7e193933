/*
 * sql_exact.c - the exact statement key approvals are stored by
 * (sql_stmt_exact_digest, include/sql.h).
 *
 * sql_stmt_digest() groups statements that differ only in literals and in
 * the case of words: right for SHOW VERDICTS, wrong for an approval, where
 * `DROP TABLE Tc` is not `DROP TABLE tc` (lower_case_table_names=0) and
 * MODIFY b VARCHAR(2) is not MODIFY b VARCHAR(10).  This key keeps what
 * changes the statement's effect and drops only what cannot:
 *   - comments and whitespace (the lexer never returns them);
 *   - the case of keywords (they are hashed by keyword id);
 *   - identifier quoting: `t` hashes like t.
 * Identifier case and every literal (numbers, strings, hex) are kept byte
 * for byte.  A word that is also a keyword (`Status`) is hashed by its id,
 * so the names of the tables the parser found are mixed in as well, exactly
 * as written.  Last comes the session's default schema: the same text run
 * in another schema is another statement.
 */
#include <string.h>

#include "sql.h"
#include "sql_lex.h"

#define SX_SEED 0x6A09E667F3BCC909ull /* not sql_stmt_digest's seed */
#define SX_K 0x9E3779B97F4A7C15ull

/* token classes, so "a" 'b' and `a` b cannot be confused by their bytes */
enum sx_tag {
    SX_KW = 1,
    SX_WORD,
    SX_LITERAL,
    SX_PARAM,
    SX_OP,
    SX_OTHER,
    SX_TABLE,
    SX_SCHEMA,
    SX_NO_SCHEMA,
};

static uint64_t sx_mix(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= SX_K;
    return h ^ (h >> 31);
}

/* n bytes, length first (so "ab"+"c" differs from "a"+"bc") */
static uint64_t sx_bytes(uint64_t h, enum sx_tag tag, const char *s, size_t n)
{
    h = sx_mix(h, (uint64_t)tag << 56 | (uint64_t)n);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0;
        size_t k = n - i < 8 ? n - i : 8;
        for (size_t j = k; j-- > 0;)
            w = w << 8 | (unsigned char)s[i + j];
        h = sx_mix(h, w);
    }
    return h;
}

static uint64_t sx_token(uint64_t h, const char *text, const struct lex_tok *t)
{
    const char *s = text + t->off;

    switch (t->type) {
    case LEX_IDENT:
        if (t->kw != KW_NONE)
            return sx_mix(h, (uint64_t)SX_KW << 56 | t->kw);
        return sx_bytes(h, SX_WORD, s, t->len);
    case LEX_QIDENT: {
        size_t n = t->len >= 2 ? t->len - 2 : 0;
        enum lex_kw kw = lex_keyword(s + 1, n);
        if (kw != KW_NONE) /* `status` hashes like status */
            return sx_mix(h, (uint64_t)SX_KW << 56 | kw);
        return sx_bytes(h, SX_WORD, s + 1, n);
    }
    case LEX_STRING:
    case LEX_NUMBER:
    case LEX_HEXBIN:
        return sx_bytes(h, SX_LITERAL, s, t->len);
    case LEX_PARAM:
        return sx_mix(h, (uint64_t)SX_PARAM << 56);
    case LEX_OP:
        return sx_mix(h, (uint64_t)SX_OP << 56 | t->op);
    default:
        return sx_bytes(h, SX_OTHER, s, t->len);
    }
}

static uint64_t sx_name(uint64_t h, const struct sql_name *n)
{
    if (!n->name)
        return h;
    h = sx_bytes(h, SX_TABLE, n->schema ? n->schema : "", n->schema ? strlen(n->schema) : 0);
    return sx_bytes(h, SX_TABLE, n->name, strlen(n->name));
}

uint64_t sql_stmt_exact_digest(const struct sql_parse_opts *opts, const char *text, size_t len,
                               const struct sql_stmt *st)
{
    static const struct sql_parse_opts defaults;
    const struct sql_parse_opts *o = opts ? opts : &defaults;
    uint64_t h = SX_SEED;
    struct lex lx;
    struct lex_tok t;
    uint32_t end;

    if (!text)
        len = 0;
    lex_init(&lx, text ? text : "", len, o);
    end = lx.len;
    if (st) {
        /* the statement's own tokens, lexed from where sql_parse() saw its
         * first one (see sql_stmt_digest) */
        if (st->digest_from <= lx.len && st->span.off + st->span.len <= lx.len) {
            lx.pos = st->digest_from;
            lx.in_exec = st->digest_exec;
            end = st->span.off + st->span.len;
        } else {
            end = 0; /* not this text's statement: only the schema is mixed */
        }
    }
    while (end > 0 && lex_next(&lx, &t) && t.type != LEX_EOF && t.off < end)
        h = sx_token(h, lx.s, &t);
    if (st) {
        for (int i = 0; i < st->ntables; i++)
            h = sx_name(h, &st->tables[i].name);
        h = sx_name(h, &st->alter.table);
    }
    if (o->default_schema)
        h = sx_bytes(h, SX_SCHEMA, o->default_schema, strlen(o->default_schema));
    else
        h = sx_mix(h, (uint64_t)SX_NO_SCHEMA << 56);
    return h;
}
