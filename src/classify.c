/*
 * classify.c - the online-DDL classifier (include/classify.h).
 *
 * Three steps, each data-driven where the facts are:
 *   1. every ALTER spec becomes one or more matrix conditions (enum dm_cond),
 *      using the table facts (struct gate_table_info) to tell a VARCHAR
 *      extension from a boundary crossing, an ENUM append from a reorder ...
 *      Unknown facts pick the worse condition and say so in result->why;
 *   2. each condition is looked up in dm_rows[] (src/ddl_matrix.h) for the
 *      backend flavour/version; a spec keeps its weakest condition;
 *   3. statement-level rules from the references (combination, FULLTEXT /
 *      COMPRESSED / FK-cascade tables, Galera, MariaDB 11.2 online COPY)
 *      adjust the specs, and the statement takes the weakest spec.
 *
 * No allocation: everything lives in the caller's classify_result.
 */
#include "classify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ddl_matrix.h"

#define CLS_MAX_CONDS 6 /* conditions one spec can raise (MODIFY: several) */

struct cls_ctx {
    const struct sql_server *srv;
    const struct sql_stmt *st;
    const struct gate_table_info *t;
    struct classify_result *out;
    /* statement-wide facts found by the pre-scan */
    bool drops_pk, adds_pk;
    int fulltext_adds;
    bool renames_col, touches_virtual;
    /* per spec: was the INSTANT answer a row-format change (dm_row.fragile) */
    bool fragile[CLASSIFY_MAX_SPECS];
    enum dm_cond cond[CLASSIFY_MAX_SPECS]; /* deciding condition per spec */
};

static const char *const cls_cond_names[] = {
#define DM_COND_NAME(n) #n,
    DM_CONDS(DM_COND_NAME)
#undef DM_COND_NAME
};

/* ---- small helpers ------------------------------------------------------ */

static void cls_note(struct cls_ctx *c, const char *fmt, ...)
{
    struct classify_result *r = c->out;
    char tmp[sizeof r->why];
    va_list ap;
    r->conservative = true;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    /* the same note twice (two specs, same fact) adds nothing */
    if (strstr(r->why, tmp) != NULL)
        return;
    size_t used = strlen(r->why), len = strlen(tmp);
    if (used > 0) {
        if (used + 2 + len >= sizeof r->why)
            return; /* keep whole notes only */
        memcpy(r->why + used, "; ", 2);
        used += 2;
    }
    memcpy(r->why + used, tmp, len + 1);
}

/* INSTANT < NOCOPY < INPLACE < COPY; n.a. ranks lowest so it never wins. */
static int cls_rank(enum sql_algorithm a)
{
    switch (a) {
    case SQL_ALG_INSTANT:
        return 1;
    case SQL_ALG_NOCOPY:
        return 2;
    case SQL_ALG_INPLACE:
        return 3;
    case SQL_ALG_COPY:
        return 4;
    default:
        return 0;
    }
}

static bool cls_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

static const struct gate_column_info *cls_col(const struct gate_table_info *t, const char *name)
{
    if (t == NULL || name == NULL)
        return NULL;
    for (int i = 0; i < t->ncols; i++)
        if (cls_eq(t->cols[i].name, name))
            return &t->cols[i];
    return NULL;
}

static int cls_col_index(const struct gate_table_info *t, const char *name)
{
    const struct gate_column_info *col = cls_col(t, name);
    return col == NULL ? -1 : (int)(col - t->cols);
}

/* Canonical charset name: "utf8" is utf8mb3 on every supported server. */
static const char *cls_charset_canon(const char *cs, char *buf, size_t bufsz)
{
    if (cs == NULL)
        return NULL;
    size_t n = strcspn(cs, "_");
    if (n >= bufsz)
        n = bufsz - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)((cs[i] >= 'A' && cs[i] <= 'Z') ? cs[i] + 32 : cs[i]);
    buf[n] = '\0';
    if (strcmp(buf, "utf8") == 0)
        snprintf(buf, bufsz, "utf8mb3");
    return buf;
}

/* Charset named by a column definition: CHARACTER SET, else the prefix of
 * COLLATE (utf8_bin -> utf8mb3), else NULL (unchanged). */
static const char *cls_def_charset(const struct sql_coldef *d, char *buf, size_t bufsz)
{
    if (d->charset != NULL)
        return cls_charset_canon(d->charset, buf, bufsz);
    if (d->collation != NULL)
        return cls_charset_canon(d->collation, buf, bufsz);
    return NULL;
}

struct cls_cs_width {
    const char *name;
    int bytes;
};
static const struct cls_cs_width cls_cs_widths[] = {
    {"latin1", 1},  {"ascii", 1}, {"binary", 1},  {"latin2", 1},  {"cp1250", 1},  {"cp1251", 1},
    {"cp1252", 1},  {"greek", 1}, {"hebrew", 1},  {"swe7", 1},    {"koi8r", 1},   {"koi8u", 1},
    {"ucs2", 2},    {"gbk", 2},   {"big5", 2},    {"sjis", 2},    {"euckr", 2},   {"cp932", 2},
    {"gb2312", 2},  {"ujis", 3},  {"eucjpms", 3}, {"utf8mb3", 3}, {"utf8mb4", 4}, {"utf16", 4},
    {"utf16le", 4}, {"utf32", 4}, {"gb18030", 4},
};

/* Bytes per character; unknown charsets count as 4 (the widest common). */
static int cls_cs_bytes(const char *canon)
{
    if (canon == NULL)
        return 4;
    for (size_t i = 0; i < sizeof cls_cs_widths / sizeof cls_cs_widths[0]; i++)
        if (strcmp(cls_cs_widths[i].name, canon) == 0)
            return cls_cs_widths[i].bytes;
    return 4;
}

struct cls_type_alias {
    const char *alias, *canon;
};
static const struct cls_type_alias cls_type_aliases[] = {
    {"INTEGER", "INT"},      {"BOOL", "TINYINT"},        {"BOOLEAN", "TINYINT"},
    {"DEC", "DECIMAL"},      {"NUMERIC", "DECIMAL"},     {"FIXED", "DECIMAL"},
    {"REAL", "DOUBLE"},      {"CHARACTER", "CHAR"},      {"INT4", "INT"},
    {"INT8", "BIGINT"},      {"INT1", "TINYINT"},        {"INT2", "SMALLINT"},
    {"INT3", "MEDIUMINT"},   {"MIDDLEINT", "MEDIUMINT"}, {"NCHAR", "CHAR"},
    {"NVARCHAR", "VARCHAR"}, {"LONG", "MEDIUMTEXT"},
};

static const char *cls_type_canon(const char *t)
{
    if (t == NULL)
        return "";
    for (size_t i = 0; i < sizeof cls_type_aliases / sizeof cls_type_aliases[0]; i++)
        if (strcasecmp(cls_type_aliases[i].alias, t) == 0)
            return cls_type_aliases[i].canon;
    return t;
}

static bool cls_type_in(const char *t, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcasecmp(t, *list) == 0)
            return true;
    return false;
}

static const char *const cls_int_types[] = {"TINYINT", "SMALLINT", "MEDIUMINT",
                                            "INT",     "BIGINT",   NULL};
static const char *const cls_real_types[] = {"DECIMAL", "FLOAT", "DOUBLE", NULL};
static const char *const cls_var_types[] = {"VARCHAR", "VARBINARY", NULL};
static const char *const cls_text_types[] = {"TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT", NULL};
static const char *const cls_str_types[] = {"CHAR",     "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT",
                                            "LONGTEXT", "ENUM",    "SET",      NULL};
/* types whose (n) is not a display width and changes storage */
static const char *const cls_sized_types[] = {"CHAR", "BINARY",   "DECIMAL", "FLOAT",     "DOUBLE",
                                              "BIT",  "DATETIME", "TIME",    "TIMESTAMP", NULL};

/* ENUM: 1 byte up to 255 members; SET: 1,2,3,4,8 bytes (matrix C22). */
static int cls_enum_bytes(bool is_set, int n)
{
    if (!is_set)
        return n <= 255 ? 1 : 2;
    if (n <= 8)
        return 1;
    if (n <= 16)
        return 2;
    if (n <= 24)
        return 3;
    if (n <= 32)
        return 4;
    return 8;
}

static const struct dm_row *cls_lookup(const struct sql_server *srv, enum dm_cond cond)
{
    for (size_t i = 0; i < DM_NROWS; i++) {
        const struct dm_row *r = &dm_rows[i];
        if (r->cond == cond && r->flavour == srv->flavour && srv->version >= r->min_ver &&
            srv->version <= r->max_ver)
            return r;
    }
    return NULL;
}

/* ---- step 1: spec -> conditions ---------------------------------------- */

static enum dm_cond cls_add_column(struct cls_ctx *c, const struct sql_coldef *d)
{
    if (d->generated == SQL_GEN_STORED)
        return DM_ADD_COL_STORED;
    if (d->generated == SQL_GEN_VIRTUAL)
        return DM_ADD_COL_VIRTUAL;
    if (d->auto_increment)
        return DM_ADD_COL_AUTOINC;
    if (d->default_kind == SQL_DEFAULT_EXPR) {
        /* ORA 5.1: (UUID()) is evaluated per row (COPY) while RAND(),
         * CURRENT_USER() and constant expressions are instant; the
         * expression text is not in the statement model. */
        if (c->srv->flavour == SQL_FLAVOUR_MARIADB)
            cls_note(c, "DEFAULT expression of %s may be per-row (UUID()): assumed COPY",
                     d->name ? d->name : "?");
        return DM_ADD_COL_EXPR;
    }
    /* Time-function defaults are evaluated once (ORA C036), so they add
     * like a literal; MySQL's online-DDL pages say nothing [uncertain]. */
    return d->pos == SQL_POS_DEFAULT ? DM_ADD_COL_LAST : DM_ADD_COL_POS;
}

static enum dm_cond cls_drop_column(struct cls_ctx *c, const char *name)
{
    const struct gate_column_info *col = cls_col(c->t, name);
    if (col == NULL) {
        cls_note(c, "column %s unknown: assumed indexed", name ? name : "?");
        return DM_DROP_COL_INDEXED;
    }
    if (col->is_virtual)
        return DM_DROP_COL_VIRTUAL;
    if (col->is_stored_generated)
        return DM_DROP_COL_STORED;
    if (col->in_index)
        return DM_DROP_COL_INDEXED;
    return DM_DROP_COL;
}

static bool cls_is_redundant(const struct gate_table_info *t)
{
    return t != NULL && cls_eq(t->row_format, "REDUNDANT");
}

/* VARCHAR length change: shrink, same length-byte class, or crossing. */
static enum dm_cond cls_varchar(struct cls_ctx *c, const struct gate_column_info *old,
                                int64_t newlen, int bytes)
{
    if (newlen < old->length)
        return DM_TYPE_CHANGE;
    if (newlen == old->length)
        return DM_COL_META;
    int64_t ob = old->length * bytes, nb = newlen * bytes;
    if (nb <= 255 || ob >= 256)
        return DM_VARCHAR_EXTEND;
    if (cls_is_redundant(c->t))
        return DM_VARCHAR_CROSS_REDUNDANT;
    if (c->t == NULL || c->t->row_format == NULL)
        cls_note(c, "row format unknown: assumed not REDUNDANT");
    return ob <= 127 ? DM_VARCHAR_CROSS_SMALL : DM_VARCHAR_CROSS;
}

/* ENUM/SET member list change: append with the same storage or rebuild. */
static enum dm_cond cls_enum(const struct gate_column_info *old, const struct sql_coldef *d,
                             bool is_set)
{
    if (d->nvalues < old->nvalues)
        return DM_ENUM_REBUILD;
    for (int i = 0; i < old->nvalues; i++)
        if (old->values == NULL || d->values == NULL || strcmp(old->values[i], d->values[i]) != 0)
            return DM_ENUM_REBUILD;
    if (d->nvalues == old->nvalues)
        return DM_COL_META;
    if (cls_enum_bytes(is_set, d->nvalues) != cls_enum_bytes(is_set, old->nvalues))
        return DM_ENUM_REBUILD;
    return DM_ENUM_APPEND;
}

/* key_cols lists the PK columns when the table has a PK (gate.h) */
static bool cls_in_pk(const struct gate_table_info *t, const char *name)
{
    if (t == NULL || !t->has_primary_key || t->key_cols == NULL)
        return false;
    for (int i = 0; i < t->nkey_cols; i++)
        if (cls_eq(t->key_cols[i], name))
            return true;
    return false;
}

/* Type / length / charset part of a MODIFY or CHANGE. */
static enum dm_cond cls_type_part(struct cls_ctx *c, const struct gate_column_info *old,
                                  const struct sql_coldef *d)
{
    const char *ot = cls_type_canon(old->type), *nt = cls_type_canon(d->type);
    if (strcasecmp(ot, nt) != 0)
        return DM_TYPE_CHANGE;
    if ((cls_type_in(nt, cls_int_types) || cls_type_in(nt, cls_real_types)) &&
        d->is_unsigned != old->is_unsigned)
        return DM_TYPE_CHANGE;
    if (old->auto_increment != d->auto_increment)
        return DM_TYPE_CHANGE; /* AUTO_INCREMENT added or removed: copy */
    if ((d->generated != SQL_GEN_NONE) != (old->is_virtual || old->is_stored_generated))
        return DM_TYPE_CHANGE;

    char obuf[32], nbuf[32];
    const char *ocs = cls_charset_canon(old->charset, obuf, sizeof obuf);
    const char *ncs = cls_def_charset(d, nbuf, sizeof nbuf);
    bool is_str = cls_type_in(nt, cls_str_types);
    /* no CHARACTER SET written: the column takes the table default */
    if (ncs == NULL && is_str && c->t != NULL && c->t->default_charset != NULL)
        ncs = cls_charset_canon(c->t->default_charset, nbuf, sizeof nbuf);
    if (is_str && ncs != NULL && (ocs == NULL || strcmp(ocs, ncs) != 0)) {
        if (ocs == NULL) {
            cls_note(c, "charset of column %s unknown", old->name);
            return DM_CHARSET_COL;
        }
        if (strcmp(ocs, "utf8mb3") == 0 && strcmp(ncs, "utf8mb4") == 0 && !old->in_index &&
            !(cls_type_in(nt, cls_var_types) && d->length != old->length))
            return DM_CHARSET_MB3_MB4;
        return DM_CHARSET_COL;
    }
    int bytes = old->max_bytes_per_char > 0 ? old->max_bytes_per_char : cls_cs_bytes(ocs);
    if (cls_type_in(nt, cls_var_types)) {
        if (old->length < 0) {
            cls_note(c, "length of column %s unknown", old->name);
            return DM_TYPE_CHANGE;
        }
        if (strcasecmp(nt, "VARBINARY") == 0)
            bytes = 1;
        return cls_varchar(c, old, d->length, bytes);
    }
    if (strcasecmp(nt, "ENUM") == 0 || strcasecmp(nt, "SET") == 0) {
        /* MariaDB copies an ENUM/SET whose collation changes (it_oracle
         * --all, C146's statement); the old collation is not in the facts */
        if (d->collation != NULL && c->srv->flavour == SQL_FLAVOUR_MARIADB) {
            cls_note(c, "collation of %s assumed to change", old->name);
            return DM_CHARSET_COL;
        }
        return cls_enum(old, d, strcasecmp(nt, "SET") == 0);
    }
    if (cls_type_in(nt, cls_sized_types) && d->length >= 0 && d->length != old->length) {
        if (old->length < 0)
            cls_note(c, "size of %s column %s unknown", nt, old->name);
        return DM_TYPE_CHANGE;
    }
    return DM_COL_META;
}

/* MODIFY / CHANGE: every aspect that changed raises its own condition. */
static int cls_modify(struct cls_ctx *c, const struct sql_alter_spec *sp, enum dm_cond *out)
{
    const struct sql_coldef *d = &sp->col;
    const char *oldname = sp->op == SQL_AOP_CHANGE_COLUMN && sp->old_name ? sp->old_name : d->name;
    const struct gate_column_info *old = cls_col(c->t, oldname);
    int n = 0;
    if (old == NULL) {
        cls_note(c, "current definition of column %s unknown: assumed a type change",
                 oldname ? oldname : "?");
        out[n++] = DM_TYPE_CHANGE;
        return n;
    }
    out[n++] = cls_type_part(c, old, d);
    /* MySQL/MariaDB: a MODIFY without NOT NULL makes the column nullable
     * (PRIMARY KEY columns stay NOT NULL). */
    bool now_nullable =
        d->nullability != SQL_NULL_NO && !d->primary_key && !cls_in_pk(c->t, old->name);
    if (old->nullable && !now_nullable)
        out[n++] = DM_MAKE_NOT_NULL;
    else if (!old->nullable && now_nullable)
        out[n++] = cls_is_redundant(c->t) ? DM_MAKE_NULL_REDUNDANT : DM_MAKE_NULL;
    if (sp->op == SQL_AOP_CHANGE_COLUMN && d->name != NULL && !cls_eq(d->name, old->name))
        out[n++] = DM_RENAME_COL; /* refined by cls_rename_cond */
    if (d->pos != SQL_POS_DEFAULT) {
        int idx = (int)(old - c->t->cols);
        bool moved = d->pos == SQL_POS_FIRST ? idx != 0 : cls_col_index(c->t, d->after) + 1 != idx;
        if (moved)
            out[n++] =
                (old->is_virtual || old->is_stored_generated) ? DM_REORDER_GEN : DM_REORDER_COL;
    }
    if (d->invisible || d->visible)
        out[n++] = DM_COL_VISIBILITY;
    if (d->unique_key || d->primary_key)
        out[n++] = d->primary_key ? DM_ADD_PK : DM_ADD_INDEX;
    return n;
}

/* A rename of a column other tables reference is INPLACE only (M80). */
static enum dm_cond cls_rename_cond(struct cls_ctx *c)
{
    /* M80: rename + add/drop virtual column = COPY only; MariaDB 10.11
     * copies too (it_oracle --all, corpus C087's statement) */
    if (c->renames_col && c->touches_virtual)
        return DM_TYPE_CHANGE;
    if (c->t == NULL) {
        if (c->srv->flavour == SQL_FLAVOUR_MYSQL) {
            cls_note(c, "table unknown: renamed column assumed referenced by a foreign key");
            return DM_RENAME_COL_FK;
        }
        return DM_RENAME_COL;
    }
    return c->t->has_fk_parent ? DM_RENAME_COL_FK : DM_RENAME_COL;
}

/* Would this ADD UNIQUE become the clustered index (no PK yet)? */
static bool cls_unique_clusters(struct cls_ctx *c, const struct sql_index *ix)
{
    if (c->t == NULL) {
        cls_note(c, "table unknown: UNIQUE key assumed to become the clustered index");
        return true;
    }
    if (c->t->has_primary_key || c->t->has_not_null_unique || c->adds_pk)
        return false;
    for (int i = 0; i < ix->ncols; i++) {
        const struct gate_column_info *col = ix->cols ? cls_col(c->t, ix->cols[i]) : NULL;
        if (col == NULL) {
            /* a column added by this statement: look at its definition */
            const struct sql_alter *a = &c->st->alter;
            bool found = false;
            for (int s = 0; s < a->nspecs && ix->cols && ix->cols[i]; s++)
                if (a->specs[s].op == SQL_AOP_ADD_COLUMN &&
                    cls_eq(a->specs[s].col.name, ix->cols[i])) {
                    found = true;
                    if (a->specs[s].col.nullability != SQL_NULL_NO)
                        return false;
                }
            if (!found) {
                cls_note(c, "nullability of key column unknown: assumed NOT NULL");
                return true;
            }
        } else if (col->nullable) {
            return false;
        }
    }
    return true;
}

static enum dm_cond cls_add_index(struct cls_ctx *c, const struct sql_index *ix)
{
    switch (ix->kind) {
    case SQL_INDEX_PRIMARY:
        return c->drops_pk ? DM_DROP_ADD_PK : DM_ADD_PK;
    case SQL_INDEX_FULLTEXT:
        if (c->fulltext_adds > 1)
            return DM_ADD_FULLTEXT_MULTI;
        if (c->t == NULL) {
            cls_note(c, "table unknown: assumed no FULLTEXT index yet (first one rebuilds)");
            return DM_ADD_FULLTEXT_FIRST;
        }
        return c->t->has_fulltext ? DM_ADD_FULLTEXT_NEXT : DM_ADD_FULLTEXT_FIRST;
    case SQL_INDEX_SPATIAL:
        return DM_ADD_SPATIAL;
    case SQL_INDEX_FOREIGN:
        cls_note(c, "foreign_key_checks assumed ON: ADD FOREIGN KEY copies");
        return DM_ADD_FK;
    case SQL_INDEX_CHECK:
        return DM_ADD_CHECK;
    case SQL_INDEX_UNIQUE:
        if (cls_unique_clusters(c, ix))
            return DM_ADD_UNIQUE_CLUSTER;
        /* fall through */
    default:
        break;
    }
    /* DROP INDEX i + ADD INDEX i in one statement: index type change (I4) */
    const struct sql_alter *a = &c->st->alter;
    for (int s = 0; s < a->nspecs && ix->name; s++)
        if (a->specs[s].op == SQL_AOP_DROP_INDEX && cls_eq(a->specs[s].old_name, ix->name))
            return DM_INDEX_RETYPE;
    return DM_ADD_INDEX;
}

static enum dm_cond cls_drop_index(struct cls_ctx *c, const char *name)
{
    if (cls_eq(name, "PRIMARY"))
        return c->adds_pk ? DM_DROP_ADD_PK : DM_DROP_PK;
    const struct sql_alter *a = &c->st->alter;
    for (int s = 0; s < a->nspecs && name; s++)
        if (a->specs[s].op == SQL_AOP_ADD_INDEX && cls_eq(a->specs[s].index.name, name) &&
            (a->specs[s].index.kind == SQL_INDEX_PLAIN ||
             a->specs[s].index.kind == SQL_INDEX_UNIQUE))
            return DM_INDEX_RETYPE;
    return DM_DROP_INDEX;
}

static enum dm_cond cls_drop_constraint(struct cls_ctx *c, const char *name)
{
    if (c->t != NULL && name != NULL)
        for (int i = 0; i < c->t->nfk_names; i++)
            if (cls_eq(c->t->fk_names[i], name))
                return DM_DROP_FK;
    return DM_DROP_CONSTRAINT;
}

/* CONVERT TO CHARACTER SET on MariaDB (ORA 5.9): which columns change. */
static enum dm_cond cls_convert(struct cls_ctx *c, const struct sql_alter_spec *sp)
{
    char tbuf[32], cbuf[32];
    const char *target =
        cls_charset_canon(sp->option_value ? sp->option_value : sp->col.charset, tbuf, sizeof tbuf);
    if (c->t == NULL || c->t->ncols == 0 || target == NULL) {
        cls_note(c, "column charsets unknown: CONVERT TO assumed to change column types");
        return DM_CONVERT_CHARSET;
    }
    bool indexed_str = false;
    for (int i = 0; i < c->t->ncols; i++) {
        const struct gate_column_info *col = &c->t->cols[i];
        const char *ty = cls_type_canon(col->type);
        if (!cls_type_in(ty, cls_str_types))
            continue;
        const char *cs = cls_charset_canon(col->charset, cbuf, sizeof cbuf);
        if (cs == NULL) {
            cls_note(c, "charset of column %s unknown", col->name);
            return DM_CONVERT_CHARSET;
        }
        indexed_str |= col->in_index;
        if (strcmp(cs, target) == 0)
            continue;
        /* utf8mb3 -> utf8mb4 is instant, except that TEXT columns are
         * promoted (TEXT -> MEDIUMTEXT), a type change */
        if (strcmp(cs, "utf8mb3") == 0 && strcmp(target, "utf8mb4") == 0 &&
            !cls_type_in(ty, cls_text_types))
            continue;
        return DM_CONVERT_CHARSET;
    }
    if (sp->col.collation != NULL && indexed_str) {
        cls_note(c, "old collation unknown: indexes on string columns assumed rebuilt");
        return DM_CONVERT_CHARSET_NOCOPY;
    }
    return DM_CONVERT_CHARSET_INSTANT;
}

static enum dm_cond cls_engine(struct cls_ctx *c, const char *engine)
{
    if (c->t == NULL || c->t->engine == NULL) {
        cls_note(c, "current engine unknown: ENGINE= assumed to change it");
        return DM_ENGINE_CHANGE;
    }
    return cls_eq(engine, c->t->engine) ? DM_NULL_REBUILD : DM_ENGINE_CHANGE;
}

/* Map a table-option spec by name when the parser filed it generically. */
static enum dm_cond cls_table_option(struct cls_ctx *c, const struct sql_alter_spec *sp)
{
    const char *v = sp->option_value;
    if (v != NULL && strncasecmp(v, "PAGE_COMPRESS", 13) == 0)
        return DM_PAGE_COMPRESSED;
    if (v != NULL && (strncasecmp(v, "STATS_", 6) == 0))
        return DM_STATS_OPTION;
    cls_note(c, "table option %s not modelled: assumed a copy", v ? v : "?");
    return DM_TABLE_OPTION;
}

static int cls_spec_conds(struct cls_ctx *c, const struct sql_alter_spec *sp, enum dm_cond *out)
{
    switch (sp->op) {
    case SQL_AOP_ADD_COLUMN: {
        int n = 0;
        out[n++] = cls_add_column(c, &sp->col);
        if (sp->col.primary_key && !sp->col.auto_increment)
            out[n++] = c->drops_pk ? DM_DROP_ADD_PK : DM_ADD_PK;
        else if (sp->col.unique_key)
            out[n++] = DM_ADD_INDEX;
        return n;
    }
    case SQL_AOP_DROP_COLUMN:
        out[0] = cls_drop_column(c, sp->old_name ? sp->old_name : sp->col.name);
        return 1;
    case SQL_AOP_MODIFY_COLUMN:
    case SQL_AOP_CHANGE_COLUMN: {
        int n = cls_modify(c, sp, out);
        for (int i = 0; i < n; i++)
            if (out[i] == DM_RENAME_COL)
                out[i] = cls_rename_cond(c);
        return n;
    }
    case SQL_AOP_RENAME_COLUMN:
        out[0] = cls_rename_cond(c);
        return 1;
    case SQL_AOP_SET_DEFAULT:
    case SQL_AOP_DROP_DEFAULT:
        out[0] = DM_COL_META;
        return 1;
    case SQL_AOP_COLUMN_VISIBILITY:
        out[0] = DM_COL_VISIBILITY;
        return 1;
    case SQL_AOP_ADD_INDEX:
    case SQL_AOP_ADD_PRIMARY_KEY:
    case SQL_AOP_ADD_FOREIGN_KEY:
    case SQL_AOP_ADD_CHECK: {
        struct sql_index ix = sp->index;
        if (sp->op == SQL_AOP_ADD_PRIMARY_KEY)
            ix.kind = SQL_INDEX_PRIMARY;
        if (sp->op == SQL_AOP_ADD_FOREIGN_KEY)
            ix.kind = SQL_INDEX_FOREIGN;
        if (sp->op == SQL_AOP_ADD_CHECK)
            ix.kind = SQL_INDEX_CHECK;
        out[0] = cls_add_index(c, &ix);
        return 1;
    }
    case SQL_AOP_DROP_INDEX:
        out[0] = cls_drop_index(c, sp->old_name);
        return 1;
    case SQL_AOP_RENAME_INDEX:
        out[0] = DM_RENAME_INDEX;
        return 1;
    case SQL_AOP_INDEX_VISIBILITY:
        out[0] = DM_INDEX_VISIBILITY;
        return 1;
    case SQL_AOP_DROP_PRIMARY_KEY:
        out[0] = c->adds_pk ? DM_DROP_ADD_PK : DM_DROP_PK;
        return 1;
    case SQL_AOP_DROP_FOREIGN_KEY:
        out[0] = DM_DROP_FK;
        return 1;
    case SQL_AOP_DROP_CONSTRAINT:
        out[0] = cls_drop_constraint(c, sp->old_name);
        return 1;
    case SQL_AOP_ALTER_CHECK:
        out[0] = DM_ALTER_CHECK;
        return 1;
    case SQL_AOP_RENAME_TABLE:
        out[0] = DM_RENAME_TABLE;
        return 1;
    case SQL_AOP_CONVERT_CHARSET:
        out[0] = cls_convert(c, sp);
        return 1;
    case SQL_AOP_DEFAULT_CHARSET:
        out[0] = DM_DEFAULT_CHARSET;
        return 1;
    case SQL_AOP_ENGINE:
        out[0] = cls_engine(c, sp->option_value);
        return 1;
    case SQL_AOP_ROW_FORMAT:
        out[0] = DM_ROW_FORMAT;
        return 1;
    case SQL_AOP_KEY_BLOCK_SIZE:
        out[0] = DM_KEY_BLOCK_SIZE;
        return 1;
    case SQL_AOP_AUTO_INCREMENT:
        out[0] = DM_AUTO_INCREMENT;
        return 1;
    case SQL_AOP_TABLE_COMMENT:
        out[0] = DM_TABLE_COMMENT;
        return 1;
    case SQL_AOP_STATS_OPTION:
        out[0] = DM_STATS_OPTION;
        return 1;
    case SQL_AOP_ENCRYPTION:
        out[0] = DM_ENCRYPTION;
        return 1;
    case SQL_AOP_PAGE_COMPRESSED:
        out[0] = DM_PAGE_COMPRESSED;
        return 1;
    case SQL_AOP_TABLE_OPTION:
        out[0] = cls_table_option(c, sp);
        return 1;
    case SQL_AOP_FORCE:
        out[0] = DM_NULL_REBUILD;
        return 1;
    case SQL_AOP_ORDER_BY:
        out[0] = DM_ORDER_BY;
        return 1;
    case SQL_AOP_DISCARD_TABLESPACE:
    case SQL_AOP_IMPORT_TABLESPACE:
        out[0] = DM_TABLESPACE;
        return 1;
    case SQL_AOP_ENABLE_KEYS:
    case SQL_AOP_DISABLE_KEYS:
        out[0] = DM_KEYS_ONOFF;
        return 1;
    case SQL_AOP_PARTITION_BY:
        out[0] = DM_PART_BY;
        return 1;
    case SQL_AOP_REMOVE_PARTITIONING:
        out[0] = DM_PART_REMOVE;
        return 1;
    case SQL_AOP_ADD_PARTITION:
        out[0] = DM_PART_ADD;
        return 1;
    case SQL_AOP_DROP_PARTITION:
        out[0] = DM_PART_DROP;
        return 1;
    case SQL_AOP_TRUNCATE_PARTITION:
        out[0] = DM_PART_TRUNCATE;
        return 1;
    case SQL_AOP_COALESCE_PARTITION:
        out[0] = DM_PART_COALESCE;
        return 1;
    case SQL_AOP_REORGANIZE_PARTITION:
        out[0] = DM_PART_REORGANIZE;
        return 1;
    case SQL_AOP_EXCHANGE_PARTITION:
        out[0] = DM_PART_EXCHANGE;
        return 1;
    case SQL_AOP_ANALYZE_PARTITION:
    case SQL_AOP_CHECK_PARTITION:
    case SQL_AOP_REPAIR_PARTITION:
        out[0] = DM_PART_ADMIN;
        return 1;
    case SQL_AOP_OPTIMIZE_PARTITION:
        out[0] = DM_PART_OPTIMIZE;
        return 1;
    case SQL_AOP_REBUILD_PARTITION:
        out[0] = DM_PART_REBUILD;
        return 1;
    case SQL_AOP_PARTITION_TABLESPACE:
        out[0] = DM_PART_TABLESPACE;
        return 1;
    case SQL_AOP_CONVERT_PARTITION:
        out[0] = DM_PART_CONVERT;
        return 1;
    case SQL_AOP_ADD_SYSTEM_VERSIONING:
        out[0] = DM_ADD_SYSVER;
        return 1;
    case SQL_AOP_DROP_SYSTEM_VERSIONING:
        out[0] = DM_DROP_SYSVER;
        return 1;
    case SQL_AOP_ADD_PERIOD:
    case SQL_AOP_DROP_PERIOD:
        out[0] = DM_PERIOD;
        return 1;
    case SQL_AOP_OTHER:
    default:
        cls_note(c, "ALTER spec not modelled: assumed a copy");
        out[0] = DM_OTHER;
        return 1;
    }
}

/* ---- step 2: conditions -> one spec answer ----------------------------- */

static void cls_fill_spec(struct cls_ctx *c, int i, const enum dm_cond *conds, int n)
{
    struct classify_spec *s = &c->out->specs[i];
    const struct dm_row *worst = NULL;
    s->lock_none = true;
    s->rebuild = false;
    s->clause_allowed = true;
    for (int k = 0; k < n; k++) {
        const struct dm_row *r = cls_lookup(c->srv, conds[k]);
        if (r == NULL) {
            /* Unreachable with a complete table (check_classify verifies);
             * answer like a copy rather than guess. */
            cls_note(c, "no matrix row for %s", cls_cond_names[conds[k]]);
            r = cls_lookup(c->srv, DM_OTHER);
        }
        /* the weakest algorithm decides; on a tie, the costlier row */
        if (worst == NULL || cls_rank(r->best) > cls_rank(worst->best) ||
            (cls_rank(r->best) == cls_rank(worst->best) &&
             ((r->rebuild && !worst->rebuild) || (!r->lock_none && worst->lock_none))))
            worst = r;
        s->lock_none &= r->lock_none;
        s->rebuild |= r->rebuild;
        s->clause_allowed &= r->clause_allowed;
    }
    if (worst == NULL) { /* a spec with no condition: answer like a copy */
        s->best = SQL_ALG_COPY;
        s->lock_none = false;
        s->rebuild = true;
        s->matrix_row = "none";
        c->cond[i] = DM_OTHER;
        c->fragile[i] = false;
        return;
    }
    s->best = worst->best;
    s->matrix_row = worst->id;
    c->cond[i] = worst->cond;
    c->fragile[i] = worst->fragile;
}

/* ---- step 3: statement-level rules ------------------------------------- */

/* An instant row-format change that cannot stay instant: rebuilt in place
 * (M80 "The table is rebuilt if ALGORITHM=INPLACE is used to add a column";
 * ORA C043: MariaDB ADD COLUMN + ADD INDEX rebuilds). */
static void cls_degrade(struct classify_spec *s)
{
    s->best = SQL_ALG_INPLACE;
    s->rebuild = true;
}

static bool cls_builds_index(enum dm_cond cond)
{
    switch (cond) {
    case DM_ADD_INDEX:
    case DM_ADD_UNIQUE_CLUSTER:
    case DM_ADD_FULLTEXT_FIRST:
    case DM_ADD_FULLTEXT_NEXT:
    case DM_ADD_FULLTEXT_MULTI:
    case DM_ADD_SPATIAL:
    case DM_INDEX_RETYPE:
    case DM_ADD_PK:
    case DM_DROP_ADD_PK:
    case DM_CONVERT_CHARSET_NOCOPY:
        return true;
    default:
        return false;
    }
}

static void cls_rules(struct cls_ctx *c)
{
    struct classify_result *r = c->out;
    const struct gate_table_info *t = c->t;
    bool mysql = c->srv->flavour == SQL_FLAVOUR_MYSQL;

    /* (a) INSTANT ops combined with non-instant ones lose INSTANT (MySQL:
     * any; MariaDB: an index build, handler0alter "we disallow ADD [UNIQUE]
     * INDEX together with instant ADD COLUMN", ORA C043; ADD COLUMN + DROP
     * INDEX stays NOCOPY, it_oracle X20).  `mixed` describes the specs
     * before that, so DG021 can suggest a split. */
    bool non_instant = false, any_fragile = false;
    int first = 0;
    for (int i = 0; i < r->nspecs; i++) {
        int rk = cls_rank(r->specs[i].best);
        non_instant |= mysql ? rk > 1 : cls_builds_index(c->cond[i]);
        any_fragile |= c->fragile[i];
        if (rk > 0 && first > 0 && rk != first)
            r->mixed = true;
        if (rk > 0 && first == 0)
            first = rk;
    }
    if (non_instant && any_fragile)
        for (int i = 0; i < r->nspecs; i++)
            if (c->fragile[i] && !r->specs[i].rebuild)
                cls_degrade(&r->specs[i]);

    /* (b) FULLTEXT or ROW_FORMAT=COMPRESSED tables: no instant row-format
     * change (matrix C1 notes, ORA 5.6) */
    bool ft = t ? t->has_fulltext : true;
    bool compressed = t ? cls_eq(t->row_format, "COMPRESSED") : true;
    for (int i = 0; i < r->nspecs; i++) {
        if (!c->fragile[i] || r->specs[i].rebuild || !(ft || compressed))
            continue;
        if (t == NULL)
            cls_note(c, "table unknown: assumed FULLTEXT/COMPRESSED (no instant column change)");
        cls_degrade(&r->specs[i]);
    }
    /* (c) rebuilds of FULLTEXT tables: MySQL copies (matrix T9/I6, corpus
     * C049/C219), MariaDB refuses LOCK=NONE (ORA 5.6) */
    for (int i = 0; i < r->nspecs && ft; i++) {
        struct classify_spec *s = &r->specs[i];
        if (!s->rebuild || s->best == SQL_ALG_COPY || s->best == SQL_ALG_NONE ||
            c->cond[i] == DM_ADD_FULLTEXT_FIRST || c->cond[i] == DM_ADD_FULLTEXT_MULTI)
            continue;
        if (t == NULL)
            cls_note(c, "table unknown: assumed a FULLTEXT index (rebuild not online)");
        if (mysql)
            s->best = SQL_ALG_COPY;
        s->lock_none = false;
    }
    /* (d) FK ON ... CASCADE / SET NULL: MySQL permits no LOCK=NONE
     * (M80-LIM, corpus C180) */
    bool cascade = t ? t->has_fk_cascade : true;
    for (int i = 0; i < r->nspecs && mysql && cascade; i++) {
        struct classify_spec *s = &r->specs[i];
        if (s->best == SQL_ALG_INSTANT || s->best == SQL_ALG_NONE || !s->lock_none)
            continue;
        if (t == NULL)
            cls_note(c, "table unknown: assumed an FK with ON CASCADE (no LOCK=NONE)");
        s->lock_none = false;
    }
    /* (e) MySQL 5.7: virtual columns are not added in place on partitioned
     * tables (M57) */
    bool parted = t ? t->is_partitioned : true;
    for (int i = 0; i < r->nspecs && mysql && parted && c->srv->version < DM_V(8, 0, 0); i++) {
        if (c->cond[i] != DM_ADD_COL_VIRTUAL)
            continue;
        if (t == NULL)
            cls_note(c, "table unknown: assumed partitioned");
        r->specs[i].best = SQL_ALG_COPY;
        r->specs[i].lock_none = false;
        r->specs[i].rebuild = true;
    }
    /* (f) Percona XtraDB Cluster 8.0.21+ rejects LOCK=NONE on INPLACE */
    for (int i = 0; i < r->nspecs && mysql && c->srv->wsrep; i++)
        if (r->specs[i].best == SQL_ALG_INPLACE)
            r->specs[i].lock_none = false;
}

/* MariaDB 11.2+: a COPY runs online (LOCK=NONE) except for the cases
 * MDB-OSC lists (matrix section 1, item 6). */
static void cls_online_copy(struct cls_ctx *c)
{
    struct classify_result *r = c->out;
    if (c->srv->flavour != SQL_FLAVOUR_MARIADB || c->srv->version < DM_V(11, 2, 0) ||
        r->best != SQL_ALG_COPY)
        return;
    if (c->st->alter.ignore)
        return;
    for (int i = 0; i < r->nspecs; i++)
        if (c->cond[i] == DM_ADD_COL_AUTOINC || c->cond[i] == DM_DROP_SYSVER ||
            c->cond[i] == DM_ORDER_BY)
            return;
    if (c->t == NULL) {
        cls_note(c, "table unknown: FK cascade may prevent online COPY");
        return;
    }
    if (c->t->has_fk_cascade)
        return;
    for (int i = 0; i < r->nspecs; i++)
        if (r->specs[i].best == SQL_ALG_COPY)
            r->specs[i].lock_none = true;
    r->lock_none = true;
    for (int i = 0; i < r->nspecs; i++)
        r->lock_none &= r->specs[i].lock_none;
}

static void cls_aggregate(struct cls_ctx *c)
{
    struct classify_result *r = c->out;
    int worst = 0, first_rank = -1;
    r->best = SQL_ALG_NONE;
    r->lock_none = true;
    r->rebuild = false;
    r->clause_allowed = true;
    for (int i = 0; i < r->nspecs; i++) {
        const struct classify_spec *s = &r->specs[i];
        int rk = cls_rank(s->best);
        if (rk > worst) {
            worst = rk;
            r->best = s->best;
        }
        if (rk > 0) {
            if (first_rank >= 0 && first_rank != rk)
                r->mixed = true;
            if (first_rank < 0)
                first_rank = rk;
        }
        r->lock_none &= s->lock_none;
        r->rebuild |= s->rebuild;
        r->clause_allowed &= s->clause_allowed;
    }
    if (r->nspecs == 0) {
        /* ALTER TABLE t (no specs) changes nothing */
        r->best = classify_algorithm_supported(c->srv, SQL_ALG_INSTANT) ? SQL_ALG_INSTANT
                                                                        : SQL_ALG_INPLACE;
    }
}

/* ---- entry points --------------------------------------------------------- */

static void cls_prescan(struct cls_ctx *c)
{
    const struct sql_alter *a = &c->st->alter;
    for (int i = 0; i < a->nspecs; i++) {
        const struct sql_alter_spec *sp = &a->specs[i];
        switch (sp->op) {
        case SQL_AOP_DROP_PRIMARY_KEY:
            c->drops_pk = true;
            break;
        case SQL_AOP_DROP_INDEX:
            c->drops_pk |= cls_eq(sp->old_name, "PRIMARY");
            break;
        case SQL_AOP_ADD_PRIMARY_KEY:
            c->adds_pk = true;
            break;
        case SQL_AOP_ADD_INDEX:
            c->adds_pk |= sp->index.kind == SQL_INDEX_PRIMARY;
            c->fulltext_adds += sp->index.kind == SQL_INDEX_FULLTEXT;
            break;
        case SQL_AOP_ADD_COLUMN:
            c->adds_pk |= sp->col.primary_key;
            c->touches_virtual |= sp->col.generated == SQL_GEN_VIRTUAL;
            break;
        case SQL_AOP_DROP_COLUMN: {
            const struct gate_column_info *col =
                cls_col(c->t, sp->old_name ? sp->old_name : sp->col.name);
            c->touches_virtual |= col != NULL && col->is_virtual;
            break;
        }
        case SQL_AOP_RENAME_COLUMN:
            c->renames_col = true;
            break;
        case SQL_AOP_CHANGE_COLUMN:
            c->renames_col |= sp->old_name && sp->col.name && !cls_eq(sp->old_name, sp->col.name);
            break;
        default:
            break;
        }
    }
}

static void cls_alter(struct cls_ctx *c)
{
    const struct sql_alter *a = &c->st->alter;
    struct classify_result *r = c->out;
    cls_prescan(c);
    r->nspecs = a->nspecs < CLASSIFY_MAX_SPECS ? a->nspecs : CLASSIFY_MAX_SPECS;
    if (a->nspecs > CLASSIFY_MAX_SPECS)
        cls_note(c, "more than %d ALTER specs: the rest not classified", CLASSIFY_MAX_SPECS);
    for (int i = 0; i < r->nspecs; i++) {
        enum dm_cond conds[CLS_MAX_CONDS];
        int n = cls_spec_conds(c, &a->specs[i], conds);
        cls_fill_spec(c, i, conds, n);
    }
    cls_rules(c);
    cls_aggregate(c);
    cls_online_copy(c);
    /* MariaDB DROP INDEX ... ON t takes no ALGORITHM/LOCK (ORA C169) */
    if (c->st->ddl == SQL_DDL_DROP_INDEX && c->srv->flavour == SQL_FLAVOUR_MARIADB) {
        r->clause_allowed = false;
        for (int i = 0; i < r->nspecs; i++)
            r->specs[i].clause_allowed = false;
    }
}

static void cls_optimize(struct cls_ctx *c)
{
    struct classify_result *r = c->out;
    enum dm_cond cond = DM_OPTIMIZE;
    if (c->t == NULL) {
        cls_note(c, "table unknown: assumed a FULLTEXT index (OPTIMIZE not online)");
        cond = DM_OPTIMIZE_FT;
    } else if (c->t->has_fulltext) {
        cond = DM_OPTIMIZE_FT;
    }
    r->nspecs = 1;
    cls_fill_spec(c, 0, &cond, 1);
    cls_aggregate(c);
}

void classify_stmt(const struct sql_server *srv, const struct sql_stmt *st,
                   const struct gate_table_info *table, struct classify_result *out)
{
    memset(out, 0, sizeof *out);
    out->best = SQL_ALG_NONE;
    if (st == NULL || srv == NULL || st->kind != SQL_KIND_DDL)
        return;
    struct cls_ctx c = {.srv = srv, .st = st, .t = table, .out = out};
    switch (st->ddl) {
    case SQL_DDL_ALTER_TABLE:
    case SQL_DDL_CREATE_INDEX:
    case SQL_DDL_DROP_INDEX:
        out->is_alter_like = true;
        if (!st->parsed) {
            cls_note(&c, "statement not fully parsed: assumed a blocking copy");
            out->best = SQL_ALG_COPY;
            out->rebuild = true;
            out->clause_allowed = true;
            return;
        }
        cls_alter(&c);
        break;
    case SQL_DDL_OPTIMIZE:
        out->is_alter_like = true;
        cls_optimize(&c);
        break;
    default:
        /* RENAME/TRUNCATE/DROP/CREATE TABLE ...: not an algorithm question;
         * they take an exclusive MDL (matrix section 3), so never LOCK=NONE */
        return;
    }
    out->instant_ok =
        out->best == SQL_ALG_INSTANT && classify_algorithm_supported(srv, SQL_ALG_INSTANT);
}

bool classify_algorithm_supported(const struct sql_server *srv, enum sql_algorithm a)
{
    bool mdb = srv->flavour == SQL_FLAVOUR_MARIADB;
    switch (a) {
    case SQL_ALG_INSTANT:
        return mdb ? srv->version >= DM_V(10, 3, 7) : srv->version >= DM_V(8, 0, 12);
    case SQL_ALG_NOCOPY:
        return mdb && srv->version >= DM_V(10, 3, 7);
    default:
        return true;
    }
}
