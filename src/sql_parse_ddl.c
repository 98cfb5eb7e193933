/*
 * sql_parse_ddl.c - ALTER TABLE, CREATE TABLE, CREATE INDEX, DROP INDEX and
 * the pieces they share: column definitions, index/constraint definitions,
 * table options and the ALGORITHM/LOCK clauses.
 */
#include "sql_parse_int.h"

#include <string.h>

/* ---- small helpers ---------------------------------------------------------- */

static void ddl_coldef_init(struct sql_coldef *cd)
{
    sqlp_zero(cd, sizeof(*cd));
    cd->length = -1;
    cd->scale = -1;
}

struct sql_alter_spec *sqlp_new_spec(struct sqlp *p, enum sql_alter_op op)
{
    struct sql_alter *a = &p->st->alter;
    if (a->nspecs >= SQLP_MAX_SPECS) {
        sqlp_fail(p, "too many ALTER specifications");
        return NULL;
    }
    if (!sql_arena_grow(p->sc, (void **)&a->specs, &p->specs_cap, a->nspecs, sizeof(*a->specs))) {
        p->oom = true;
        sqlp_fail(p, "out of memory");
        return NULL;
    }
    struct sql_alter_spec *sp = &a->specs[a->nspecs++];
    sqlp_zero(sp, sizeof(*sp));
    sp->op = op;
    sp->col.length = -1; /* ddl_coldef_init() on a zeroed coldef */
    sp->col.scale = -1;
    return sp;
}

/* "name" after optional '=' : a word, quoted name, string or number. */
bool sqlp_opt_value(struct sqlp *p, const char **out)
{
    sqlp_accept_op(p, '=');
    const struct lex_tok *t = sqlp_cur(p);
    if (t->type == LEX_EOF || (t->type == LEX_OP && t->op != '-'))
        return sqlp_fail(p, "expected a value");
    if (t->type == LEX_OP) { /* negative number */
        p->i++;
        t = sqlp_cur(p);
        if (t->type != LEX_NUMBER)
            return sqlp_fail(p, "expected a number");
    }
    *out = sqlp_tok_str(p, t);
    p->i++;
    return *out != NULL;
}

static bool ddl_charset_name(struct sqlp *p, const char **out) { return sqlp_opt_value(p, out); }

/* Skip an ON DELETE/UPDATE action; true when it is CASCADE or SET NULL. */
static bool ddl_ref_action(struct sqlp *p, bool *cascade_or_null)
{
    *cascade_or_null = false;
    if (sqlp_accept_kw(p, KW_CASCADE)) {
        *cascade_or_null = true;
    } else if (sqlp_accept_kw(p, KW_SET)) {
        if (sqlp_accept_kw(p, KW_NULL))
            *cascade_or_null = true;
        else if (!sqlp_accept_kw(p, KW_DEFAULT))
            return sqlp_fail(p, "expected NULL or DEFAULT");
    } else if (sqlp_accept_kw(p, KW_NO)) {
        if (!sqlp_expect_kw(p, KW_ACTION))
            return false;
    } else if (!sqlp_accept_kw(p, KW_RESTRICT)) {
        return sqlp_fail(p, "expected a referential action");
    }
    return true;
}

/* REFERENCES t (cols) [MATCH x] [ON DELETE a] [ON UPDATE a] */
static bool ddl_references(struct sqlp *p, struct sql_index *ix)
{
    struct sql_name nm;
    if (!sqlp_qname(p, &nm))
        return false;
    if (ix)
        ix->ref_table = nm;
    if (sqlp_is_op(p, 0, '(') && !sqlp_skip_parens(p))
        return false;
    if (sqlp_accept_kw(p, KW_MATCH) && !sqlp_name_tok(p, &nm.name, NULL))
        return false;
    while (sqlp_is_kw(p, 0, KW_ON) &&
           (sqlp_is_kw(p, 1, KW_DELETE) || sqlp_is_kw(p, 1, KW_UPDATE))) {
        bool del = sqlp_is_kw(p, 1, KW_DELETE), c;
        p->i += 2;
        if (!ddl_ref_action(p, &c))
            return false;
        if (ix && del)
            ix->on_delete_cascade_or_set_null = c;
        else if (ix)
            ix->on_update_cascade_or_set_null = c;
    }
    return true;
}

/* CHECK (expr) [[NOT] ENFORCED] */
bool sqlp_check_clause(struct sqlp *p)
{
    if (!sqlp_skip_parens(p))
        return false;
    if (sqlp_is_kw(p, 0, KW_NOT) && sqlp_is_word(sqlp_tok(p, 1), p->text, "ENFORCED"))
        p->i += 2;
    else
        sqlp_accept_word(p, "ENFORCED");
    return true;
}

/* ---- data types ------------------------------------------------------------ */

static const struct {
    const char *alias, *base;
} ddl_type_synonyms[] = {
    {"INTEGER", "INT"},          {"INT4", "INT"},        {"INT1", "TINYINT"},
    {"INT2", "SMALLINT"},        {"INT3", "MEDIUMINT"},  {"MIDDLEINT", "MEDIUMINT"},
    {"INT8", "BIGINT"},          {"BOOL", "TINYINT"},    {"BOOLEAN", "TINYINT"},
    {"DEC", "DECIMAL"},          {"NUMERIC", "DECIMAL"}, {"FIXED", "DECIMAL"},
    {"REAL", "DOUBLE"},          {"FLOAT8", "DOUBLE"},   {"FLOAT4", "FLOAT"},
    {"CHARACTER", "CHAR"},       {"NCHAR", "CHAR"},      {"NVARCHAR", "VARCHAR"},
    {"VARCHARACTER", "VARCHAR"}, {"LONG", "MEDIUMTEXT"},
};

static bool ddl_enum_values(struct sqlp *p, struct sql_coldef *cd)
{
    int cap = 0;
    if (!sqlp_expect_op(p, '('))
        return false;
    while (sqlp_cur(p)->type == LEX_STRING) {
        if (!sql_arena_grow(p->sc, (void **)&cd->values, &cap, cd->nvalues, sizeof(char *))) {
            p->oom = true;
            return sqlp_fail(p, "out of memory");
        }
        cd->values[cd->nvalues++] = sqlp_tok_str(p, sqlp_cur(p));
        p->i++;
        if (!sqlp_accept_op(p, ','))
            break;
    }
    return sqlp_expect_op(p, ')');
}

static bool ddl_data_type(struct sqlp *p, struct sql_coldef *cd)
{
    int first = p->i;
    const struct lex_tok *t = sqlp_cur(p);
    if (t->type != LEX_IDENT)
        return sqlp_fail(p, "expected a data type");
    if (sqlp_is_word(t, p->text, "NATIONAL"))
        p->i++;
    t = sqlp_cur(p);
    if (t->type != LEX_IDENT)
        return sqlp_fail(p, "expected a data type");
    char *type = sqlp_tok_upper(p, t);
    if (!type)
        return false;
    p->i++;
    /* first-letter tests first: most columns are INT/VARCHAR/... and the
     * string compares below showed in the ALTER profile */
    bool is_long = type[0] == 'L' && strcmp(type, "LONG") == 0;
    if (sqlp_accept_word(p, "VARYING") || (is_long && sqlp_accept_word(p, "VARCHAR")))
        type = is_long ? "MEDIUMTEXT" : "VARCHAR"; /* CHAR[ACTER] VARYING */
    else if (is_long && sqlp_accept_word(p, "VARBINARY"))
        type = "MEDIUMBLOB";
    else if (type[0] == 'D' && strcmp(type, "DOUBLE") == 0)
        sqlp_accept_word(p, "PRECISION");
    for (size_t k = 0; k < sizeof(ddl_type_synonyms) / sizeof(ddl_type_synonyms[0]); k++)
        if (type[0] == ddl_type_synonyms[k].alias[0] &&
            strcmp(type, ddl_type_synonyms[k].alias) == 0)
            type = (char *)ddl_type_synonyms[k].base;
    if (type[0] == 'S' && strcmp(type, "SERIAL") == 0) {
        type = "BIGINT";
        cd->is_unsigned = cd->auto_increment = cd->unique_key = true;
        cd->nullability = SQL_NULL_NO;
    }
    cd->type = type;
    if (sqlp_is_op(p, 0, '(')) {
        if ((type[0] == 'E' && strcmp(type, "ENUM") == 0) ||
            (type[0] == 'S' && strcmp(type, "SET") == 0)) {
            if (!ddl_enum_values(p, cd))
                return false;
        } else {
            p->i++;
            if (!sqlp_int_tok(p, &cd->length))
                return false;
            if (sqlp_accept_op(p, ',')) {
                int64_t sc;
                if (!sqlp_int_tok(p, &sc))
                    return false;
                cd->scale = (int32_t)(sc > INT32_MAX ? INT32_MAX : sc);
            }
            if (!sqlp_expect_op(p, ')'))
                return false;
        }
    }
    for (;;) {
        if (sqlp_accept_kw(p, KW_UNSIGNED)) {
            cd->is_unsigned = true;
        } else if (sqlp_accept_word(p, "SIGNED")) {
        } else if (sqlp_accept_kw(p, KW_ZEROFILL)) {
            cd->zerofill = true;
        } else if (sqlp_accept_kw(p, KW_BINARY) || sqlp_accept_word(p, "ASCII") ||
                   sqlp_accept_word(p, "UNICODE") || sqlp_accept_word(p, "BYTE")) {
        } else if (sqlp_accept_kw2(p, KW_CHARACTER, KW_SET) || sqlp_accept_kw(p, KW_CHARSET)) {
            if (!ddl_charset_name(p, &cd->charset))
                return false;
        } else if (sqlp_accept_kw(p, KW_COLLATE)) {
            if (!ddl_charset_name(p, &cd->collation))
                return false;
        } else {
            break;
        }
    }
    cd->type_span = sqlp_span_from(p, first);
    return true;
}

/* ---- column definition ------------------------------------------------------ */

static bool ddl_now_kw(const struct sqlp *p, int k)
{
    const struct lex_tok *t = sqlp_tok(p, k);
    return t->type == LEX_IDENT && (t->kw == KW_CURRENT_TIMESTAMP || t->kw == KW_NOW ||
                                    t->kw == KW_LOCALTIME || t->kw == KW_LOCALTIMESTAMP);
}

static bool ddl_skip_now(struct sqlp *p)
{
    p->i++;
    if (sqlp_is_op(p, 0, '('))
        return sqlp_skip_parens(p);
    return true;
}

static bool ddl_default(struct sqlp *p, struct sql_coldef *cd)
{
    int first = p->i;
    const struct lex_tok *t = sqlp_cur(p);
    if (sqlp_accept_kw(p, KW_NULL)) {
        cd->default_kind = SQL_DEFAULT_NULL;
    } else if (sqlp_is_op(p, 0, '(')) {
        cd->default_kind = SQL_DEFAULT_EXPR;
        if (!sqlp_skip_parens(p))
            return false;
    } else if (ddl_now_kw(p, 0)) {
        cd->default_kind = SQL_DEFAULT_CURRENT_TS;
        if (!ddl_skip_now(p))
            return false;
    } else if (lex_is_literal(t) || sqlp_is_kw(p, 0, KW_TRUE) || sqlp_is_kw(p, 0, KW_FALSE)) {
        cd->default_kind = SQL_DEFAULT_LITERAL;
        p->i++;
    } else if ((sqlp_is_op(p, 0, '-') || sqlp_is_op(p, 0, '+')) &&
               sqlp_tok(p, 1)->type == LEX_NUMBER) {
        cd->default_kind = SQL_DEFAULT_LITERAL;
        p->i += 2;
    } else if (t->type == LEX_IDENT) {
        cd->default_kind = SQL_DEFAULT_EXPR; /* CURRENT_DATE, UUID(), NEXTVAL(s) ... */
        p->i++;
        if (sqlp_is_op(p, 0, '(') && !sqlp_skip_parens(p))
            return false;
    } else {
        return sqlp_fail(p, "expected a DEFAULT value");
    }
    cd->default_span = sqlp_span_from(p, first);
    return true;
}

/* One column attribute; *more = false when the token is not one. */
static bool ddl_col_attribute(struct sqlp *p, struct sql_coldef *cd, bool *more)
{
    *more = true;
    const char *ignored;
    if (sqlp_accept_kw2(p, KW_NOT, KW_NULL)) {
        cd->nullability = SQL_NULL_NO;
    } else if (sqlp_accept_kw(p, KW_NULL)) {
        cd->nullability = SQL_NULL_YES;
    } else if (sqlp_accept_kw(p, KW_DEFAULT)) {
        return ddl_default(p, cd);
    } else if (sqlp_is_kw(p, 0, KW_ON) && sqlp_is_kw(p, 1, KW_UPDATE)) {
        p->i += 2;
        if (!ddl_now_kw(p, 0))
            return sqlp_fail(p, "expected CURRENT_TIMESTAMP");
        cd->on_update_ts = true;
        return ddl_skip_now(p);
    } else if (sqlp_accept_kw(p, KW_AUTO_INCREMENT)) {
        cd->auto_increment = true;
    } else if (sqlp_accept_kw(p, KW_GENERATED) || sqlp_is_kw(p, 0, KW_AS)) {
        sqlp_accept_kw(p, KW_ALWAYS);
        if (!sqlp_expect_kw(p, KW_AS) || !sqlp_skip_parens(p))
            return false;
        cd->generated = SQL_GEN_VIRTUAL;
        if (sqlp_accept_kw(p, KW_STORED) || sqlp_accept_kw(p, KW_PERSISTENT))
            cd->generated = SQL_GEN_STORED;
        else
            sqlp_accept_kw(p, KW_VIRTUAL);
    } else if (sqlp_accept_kw(p, KW_UNIQUE)) {
        cd->unique_key = true;
        sqlp_accept_kw(p, KW_KEY);
    } else if (sqlp_accept_kw2(p, KW_PRIMARY, KW_KEY) || sqlp_accept_kw(p, KW_KEY)) {
        cd->primary_key = true;
    } else if (sqlp_accept_kw(p, KW_COMMENT)) {
        if (sqlp_cur(p)->type != LEX_STRING)
            return sqlp_fail(p, "expected a comment string");
        p->i++;
    } else if (sqlp_accept_kw(p, KW_COLLATE)) {
        return ddl_charset_name(p, &cd->collation);
    } else if (sqlp_accept_kw2(p, KW_CHARACTER, KW_SET) || sqlp_accept_kw(p, KW_CHARSET)) {
        return ddl_charset_name(p, &cd->charset);
    } else if (sqlp_accept_kw(p, KW_REFERENCES)) {
        cd->references = true;
        return ddl_references(p, NULL);
    } else if (sqlp_is_kw(p, 0, KW_CONSTRAINT) || sqlp_is_kw(p, 0, KW_CHECK)) {
        if (sqlp_accept_kw(p, KW_CONSTRAINT) && !sqlp_is_kw(p, 0, KW_CHECK) &&
            !sqlp_name_tok(p, &ignored, NULL))
            return false;
        cd->has_check = true;
        return sqlp_expect_kw(p, KW_CHECK) && sqlp_check_clause(p);
    } else if (sqlp_accept_kw(p, KW_INVISIBLE)) {
        cd->invisible = true;
    } else if (sqlp_accept_kw(p, KW_VISIBLE)) {
        cd->visible = true;
    } else if (sqlp_accept_kw(p, KW_COMPRESSED)) {
        cd->compressed = true;
        if (sqlp_is_op(p, 0, '='))
            return sqlp_opt_value(p, &ignored);
    } else if (sqlp_accept_word(p, "COLUMN_FORMAT") || sqlp_accept_word(p, "STORAGE") ||
               sqlp_accept_word(p, "SRID") || sqlp_accept_kw(p, KW_ENGINE_ATTRIBUTE) ||
               sqlp_accept_word(p, "SECONDARY_ENGINE_ATTRIBUTE") ||
               sqlp_accept_word(p, "REF_SYSTEM_ID")) {
        return sqlp_opt_value(p, &ignored);
    } else if ((sqlp_is_kw(p, 0, KW_WITH) || sqlp_is_kw(p, 0, KW_WITHOUT)) &&
               sqlp_is_kw(p, 1, KW_SYSTEM) && sqlp_is_kw(p, 2, KW_VERSIONING)) {
        p->i += 3;
    } else if (sqlp_is_kw(p, 0, KW_NOT) && sqlp_is_word(sqlp_tok(p, 1), p->text, "SECONDARY")) {
        p->i += 2;
    } else if (sqlp_accept_kw(p, KW_FIRST)) {
        cd->pos = SQL_POS_FIRST;
    } else if (sqlp_accept_kw(p, KW_AFTER)) {
        cd->pos = SQL_POS_AFTER;
        return sqlp_name_tok(p, &cd->after, NULL);
    } else {
        *more = false;
    }
    return true;
}

bool sqlp_coldef(struct sqlp *p, struct sql_coldef *cd)
{
    ddl_coldef_init(cd);
    if (!sqlp_name_tok(p, &cd->name, &cd->name_span) || !ddl_data_type(p, cd))
        return false;
    for (int guard = 0; guard < 256; guard++) {
        bool more;
        if (!ddl_col_attribute(p, cd, &more))
            return false;
        if (!more)
            break;
    }
    return true;
}

/* ---- index / constraint definition ------------------------------------------- */

bool sqlp_key_parts(struct sqlp *p, struct sql_index *ix)
{
    int cap = 0;
    if (!sqlp_expect_op(p, '('))
        return false;
    do {
        const char *col = NULL;
        if (sqlp_is_op(p, 0, '(')) {
            ix->has_expression = true;
            if (!sqlp_skip_parens(p))
                return false;
        } else {
            if (!sqlp_name_tok(p, &col, NULL))
                return false;
            if (sqlp_is_op(p, 0, '(')) {
                ix->has_prefix = true;
                if (!sqlp_skip_parens(p))
                    return false;
            }
        }
        if (!sqlp_accept_kw(p, KW_ASC))
            sqlp_accept_kw(p, KW_DESC);
        if (!sql_arena_grow(p->sc, (void **)&ix->cols, &cap, ix->ncols, sizeof(char *))) {
            p->oom = true;
            return sqlp_fail(p, "out of memory");
        }
        ix->cols[ix->ncols++] = col;
    } while (sqlp_accept_op(p, ','));
    return sqlp_expect_op(p, ')');
}

bool sqlp_index_options(struct sqlp *p, struct sql_index *ix)
{
    const char *v;
    for (int guard = 0; guard < 64; guard++) {
        if (sqlp_accept_kw(p, KW_USING)) {
            if (!sqlp_name_tok(p, &v, NULL))
                return false;
            ix->using = sqlp_tok_upper(p, &p->t[p->i - 1]);
        } else if (sqlp_accept_kw(p, KW_KEY_BLOCK_SIZE) || sqlp_accept_kw(p, KW_COMMENT) ||
                   sqlp_accept_kw(p, KW_ENGINE_ATTRIBUTE) ||
                   sqlp_accept_word(p, "SECONDARY_ENGINE_ATTRIBUTE") ||
                   sqlp_accept_word(p, "CLUSTERING")) {
            if (!sqlp_opt_value(p, &v))
                return false;
        } else if (sqlp_accept_kw2(p, KW_WITH, KW_PARSER)) {
            if (!sqlp_name_tok(p, &v, NULL))
                return false;
        } else if (sqlp_accept_kw(p, KW_INVISIBLE) || sqlp_accept_kw(p, KW_IGNORED)) {
            ix->invisible = true;
        } else if (sqlp_accept_kw(p, KW_VISIBLE) || sqlp_accept_kw2(p, KW_NOT, KW_IGNORED)) {
            ix->invisible = false;
        } else {
            return true;
        }
    }
    return true;
}

/* [CONSTRAINT [name]] PRIMARY KEY | UNIQUE | INDEX | KEY | FULLTEXT | SPATIAL |
 * FOREIGN KEY | CHECK ...; also the alter spec's IF NOT EXISTS. */
bool sqlp_index_def(struct sqlp *p, struct sql_index *ix)
{
    sqlp_zero(ix, sizeof(*ix));
    const char *cname = NULL;
    if (sqlp_accept_kw(p, KW_CONSTRAINT)) {
        if (sqlp_is_name(sqlp_cur(p)) && !sqlp_is_kw(p, 0, KW_PRIMARY) &&
            !sqlp_is_kw(p, 0, KW_UNIQUE) && !sqlp_is_kw(p, 0, KW_FOREIGN) &&
            !sqlp_is_kw(p, 0, KW_CHECK))
            if (!sqlp_name_tok(p, &cname, NULL))
                return false;
    }
    ix->name = cname;
    if (sqlp_accept_kw(p, KW_CHECK)) {
        ix->kind = SQL_INDEX_CHECK;
        return sqlp_check_clause(p);
    }
    if (sqlp_accept_kw(p, KW_PRIMARY)) {
        ix->kind = SQL_INDEX_PRIMARY;
        if (!sqlp_expect_kw(p, KW_KEY))
            return false;
    } else if (sqlp_accept_kw(p, KW_FOREIGN)) {
        ix->kind = SQL_INDEX_FOREIGN;
        if (!sqlp_expect_kw(p, KW_KEY))
            return false;
    } else {
        if (sqlp_accept_kw(p, KW_UNIQUE))
            ix->kind = SQL_INDEX_UNIQUE;
        else if (sqlp_accept_kw(p, KW_FULLTEXT))
            ix->kind = SQL_INDEX_FULLTEXT;
        else if (sqlp_accept_kw(p, KW_SPATIAL))
            ix->kind = SQL_INDEX_SPATIAL;
        else if (!sqlp_is_kw(p, 0, KW_INDEX) && !sqlp_is_kw(p, 0, KW_KEY))
            return sqlp_fail(p, "expected an index definition");
        if (!sqlp_accept_kw(p, KW_INDEX))
            sqlp_accept_kw(p, KW_KEY);
    }
    if (sqlp_is_kw(p, 0, KW_IF) && sqlp_is_kw(p, 1, KW_NOT) && sqlp_is_kw(p, 2, KW_EXISTS))
        p->i += 3;
    if (sqlp_is_name(sqlp_cur(p)) && !sqlp_is_kw(p, 0, KW_USING)) {
        const char *nm;
        if (!sqlp_name_tok(p, &nm, NULL))
            return false;
        if (ix->kind != SQL_INDEX_PRIMARY)
            ix->name = nm;
    }
    if (!sqlp_index_options(p, ix) || !sqlp_key_parts(p, ix))
        return false;
    if (ix->kind == SQL_INDEX_FOREIGN)
        return sqlp_expect_kw(p, KW_REFERENCES) && ddl_references(p, ix);
    return sqlp_index_options(p, ix);
}

bool sqlp_is_index_start(const struct sqlp *p)
{
    const struct lex_tok *t = sqlp_cur(p);
    if (t->type != LEX_IDENT)
        return false;
    switch (t->kw) {
    case KW_CONSTRAINT:
    case KW_PRIMARY:
    case KW_UNIQUE:
    case KW_INDEX:
    case KW_KEY:
    case KW_FULLTEXT:
    case KW_SPATIAL:
    case KW_FOREIGN:
    case KW_CHECK:
        return true;
    default:
        return false;
    }
}

enum sql_alter_op sqlp_index_op(const struct sql_index *ix)
{
    switch (ix->kind) {
    case SQL_INDEX_PRIMARY:
        return SQL_AOP_ADD_PRIMARY_KEY;
    case SQL_INDEX_FOREIGN:
        return SQL_AOP_ADD_FOREIGN_KEY;
    case SQL_INDEX_CHECK:
        return SQL_AOP_ADD_CHECK;
    default:
        return SQL_AOP_ADD_INDEX;
    }
}

/* ---- table options, ALGORITHM / LOCK ------------------------------------------ */

static const struct {
    enum lex_kw kw;
    const char *word; /* for options that are not in the keyword table */
    enum sql_alter_op op;
} ddl_table_options[] = {
    {KW_ENGINE, NULL, SQL_AOP_ENGINE},
    {KW_ROW_FORMAT, NULL, SQL_AOP_ROW_FORMAT},
    {KW_KEY_BLOCK_SIZE, NULL, SQL_AOP_KEY_BLOCK_SIZE},
    {KW_AUTO_INCREMENT, NULL, SQL_AOP_AUTO_INCREMENT},
    {KW_COMMENT, NULL, SQL_AOP_TABLE_COMMENT},
    {KW_STATS_PERSISTENT, NULL, SQL_AOP_STATS_OPTION},
    {KW_STATS_AUTO_RECALC, NULL, SQL_AOP_STATS_OPTION},
    {KW_STATS_SAMPLE_PAGES, NULL, SQL_AOP_STATS_OPTION},
    {KW_ENCRYPTION, NULL, SQL_AOP_ENCRYPTION},
    {KW_ENCRYPTED, NULL, SQL_AOP_ENCRYPTION},
    {KW_ENCRYPTION_KEY_ID, NULL, SQL_AOP_ENCRYPTION},
    {KW_PAGE_COMPRESSED, NULL, SQL_AOP_PAGE_COMPRESSED},
    {KW_PAGE_COMPRESSION_LEVEL, NULL, SQL_AOP_PAGE_COMPRESSED},
    {KW_AVG_ROW_LENGTH, NULL, SQL_AOP_TABLE_OPTION},
    {KW_CHECKSUM, NULL, SQL_AOP_TABLE_OPTION},
    {KW_COMPRESSION, NULL, SQL_AOP_TABLE_OPTION},
    {KW_CONNECTION, NULL, SQL_AOP_TABLE_OPTION},
    {KW_DELAY_KEY_WRITE, NULL, SQL_AOP_TABLE_OPTION},
    {KW_INSERT_METHOD, NULL, SQL_AOP_TABLE_OPTION},
    {KW_MAX_ROWS, NULL, SQL_AOP_TABLE_OPTION},
    {KW_MIN_ROWS, NULL, SQL_AOP_TABLE_OPTION},
    {KW_PACK_KEYS, NULL, SQL_AOP_TABLE_OPTION},
    {KW_PASSWORD, NULL, SQL_AOP_TABLE_OPTION},
    {KW_TRANSACTIONAL, NULL, SQL_AOP_TABLE_OPTION},
    {KW_PAGE_CHECKSUM, NULL, SQL_AOP_TABLE_OPTION},
    {KW_SECONDARY_ENGINE, NULL, SQL_AOP_TABLE_OPTION},
    {KW_ENGINE_ATTRIBUTE, NULL, SQL_AOP_TABLE_OPTION},
    {KW_AUTOEXTEND_SIZE, NULL, SQL_AOP_TABLE_OPTION},
    {KW_NONE, "SECONDARY_ENGINE_ATTRIBUTE", SQL_AOP_TABLE_OPTION},
    {KW_NONE, "STATS_MODE", SQL_AOP_TABLE_OPTION},
    {KW_NONE, "SEQUENCE", SQL_AOP_TABLE_OPTION},
    {KW_NONE, "IETF_QUOTES", SQL_AOP_TABLE_OPTION},
    {KW_NONE, "TYPE", SQL_AOP_ENGINE},
};

/* One table option (ALTER spec or CREATE TABLE option).  *known = false and
 * nothing consumed when the current token does not start one. */
bool sqlp_table_option(struct sqlp *p, struct sql_alter_spec *sp, bool *known)
{
    *known = true;
    int first = p->i;
    const struct lex_tok *t = sqlp_cur(p);
    if (t->type != LEX_IDENT) {
        *known = false;
        return true;
    }
    /* [DEFAULT] CHARACTER SET | CHARSET | COLLATE */
    int k = sqlp_is_kw(p, 0, KW_DEFAULT) ? 1 : 0;
    if ((sqlp_is_kw(p, k, KW_CHARACTER) && sqlp_is_kw(p, k + 1, KW_SET)) ||
        sqlp_is_kw(p, k, KW_CHARSET) || sqlp_is_kw(p, k, KW_COLLATE)) {
        sp->op = SQL_AOP_DEFAULT_CHARSET;
        p->i += k;
        if (sqlp_accept_kw(p, KW_COLLATE)) {
            if (!sqlp_opt_value(p, &sp->option_value))
                return false;
            sp->new_name = sp->option_value; /* collation only */
        } else {
            if (!sqlp_accept_kw2(p, KW_CHARACTER, KW_SET))
                p->i++; /* CHARSET */
            if (!sqlp_opt_value(p, &sp->option_value))
                return false;
            int k2 = sqlp_is_kw(p, 0, KW_DEFAULT) ? 1 : 0;
            if (sqlp_is_kw(p, k2, KW_COLLATE)) {
                p->i += k2 + 1;
                if (!sqlp_opt_value(p, &sp->new_name))
                    return false;
            }
        }
        sp->span = sqlp_span_from(p, first);
        return true;
    }
    if (sqlp_is_kw(p, 0, KW_DATA) ||
        (sqlp_is_kw(p, 0, KW_INDEX) && sqlp_is_kw(p, 1, KW_DIRECTORY))) {
        p->i++;
        if (!sqlp_expect_kw(p, KW_DIRECTORY))
            return false;
        sp->op = SQL_AOP_TABLE_OPTION;
        if (!sqlp_opt_value(p, &sp->option_value))
            return false;
        sp->span = sqlp_span_from(p, first);
        return true;
    }
    for (size_t j = 0; j < sizeof(ddl_table_options) / sizeof(ddl_table_options[0]); j++) {
        bool hit = ddl_table_options[j].kw != KW_NONE
                       ? t->kw == ddl_table_options[j].kw
                       : sqlp_is_word(t, p->text, ddl_table_options[j].word);
        if (!hit)
            continue;
        /* ENGINE=, not a column named engine: the option needs '=' or a value */
        p->i++;
        sp->op = ddl_table_options[j].op;
        if (t->kw == KW_TABLESPACE || sqlp_is_op(p, 0, '(')) {
            if (!sqlp_skip_parens(p))
                return false;
        } else if (!sqlp_opt_value(p, &sp->option_value)) {
            return false;
        }
        sp->span = sqlp_span_from(p, first);
        return true;
    }
    if (t->kw == KW_TABLESPACE || t->kw == KW_UNION) {
        p->i++;
        sp->op = SQL_AOP_TABLE_OPTION;
        if (sqlp_is_op(p, 0, '=') && sqlp_is_op(p, 1, '(')) {
            p->i++;
            if (!sqlp_skip_parens(p))
                return false;
        } else if (!sqlp_opt_value(p, &sp->option_value)) {
            return false;
        }
        if (sqlp_accept_word(p, "STORAGE") && !sqlp_name_tok(p, &sp->option_value, NULL))
            return false;
        sp->span = sqlp_span_from(p, first);
        return true;
    }
    *known = false;
    return true;
}

static const struct {
    const char *word;
    int value;
} ddl_algorithms[] =
    {
        {"DEFAULT", SQL_ALG_DEFAULT}, {"INSTANT", SQL_ALG_INSTANT}, {"NOCOPY", SQL_ALG_NOCOPY},
        {"INPLACE", SQL_ALG_INPLACE}, {"COPY", SQL_ALG_COPY},
},
  ddl_locks[] = {
      {"DEFAULT", SQL_LOCK_DEFAULT},
      {"NONE", SQL_LOCK_NONE},
      {"SHARED", SQL_LOCK_SHARED},
      {"EXCLUSIVE", SQL_LOCK_EXCLUSIVE},
};

/* ALGORITHM [=] x / LOCK [=] x; false with no error when not at one. */
bool sqlp_algo_lock(struct sqlp *p, struct sql_alter *a)
{
    bool algo = sqlp_is_kw(p, 0, KW_ALGORITHM);
    if (!algo && !sqlp_is_kw(p, 0, KW_LOCK))
        return false;
    int first = p->i++;
    sqlp_accept_op(p, '=');
    const struct lex_tok *t = sqlp_cur(p);
    size_t n = algo ? sizeof(ddl_algorithms) / sizeof(ddl_algorithms[0])
                    : sizeof(ddl_locks) / sizeof(ddl_locks[0]);
    for (size_t k = 0; k < n; k++) {
        if (sqlp_is_word(t, p->text, algo ? ddl_algorithms[k].word : ddl_locks[k].word)) {
            p->i++;
            if (algo) {
                a->algorithm = (enum sql_algorithm)ddl_algorithms[k].value;
                a->algorithm_span = sqlp_span_from(p, first);
            } else {
                a->lock = (enum sql_lock)ddl_locks[k].value;
                a->lock_span = sqlp_span_from(p, first);
            }
            return true;
        }
    }
    return sqlp_fail(p, algo ? "unknown ALGORITHM" : "unknown LOCK type");
}
