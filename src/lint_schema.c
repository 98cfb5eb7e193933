/*
 * lint_schema.c - an offline table model built from CREATE TABLE / ALTER
 * statements (lint --schema, earlier migration files, unit-test facts), so
 * the gate can answer table-dependent questions without a server.
 *
 * Ownership: every string is copied into the schema's string pool and every
 * array belongs to its table; all of it is freed by lint_schema_free().
 * Dropped tables are unlinked but their memory stays until then (the input
 * is a migration history, not a long-running process).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate_rules.h"
#include "lint.h"

struct ls_str {
    struct ls_str *next;
    char s[];
};

struct ls_index {
    enum sql_index_kind kind;
    const char *name;
    int ncols;
    const char **cols;
    bool prefix;
    bool cascade;
    const char *ref_schema, *ref_table;
};

struct ls_table {
    struct gate_table_info info;
    int ncols, capcols;
    struct gate_column_info *cols;
    int nidx, capidx;
    struct ls_index *idx;
    const char **keys; /* info.key_cols storage */
    const char **fks;  /* info.fk_names storage */
    int ntriggers;
    const char *charset; /* table default */
};

struct lint_schema {
    struct ls_str *pool;
    int n, cap;
    struct ls_table **t;
    int ndead, capdead;
    struct ls_table **dead;
};

static const char *ls_dup(struct lint_schema *s, const char *v)
{
    if (!v)
        return NULL;
    size_t l = strlen(v);
    struct ls_str *p = malloc(sizeof *p + l + 1);
    if (!p)
        return NULL;
    memcpy(p->s, v, l + 1);
    p->next = s->pool;
    s->pool = p;
    return p->s;
}

static bool ls_grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return true;
    int nc = *cap ? *cap * 2 : 8;
    while (nc < need)
        nc *= 2;
    void *p = realloc(*arr, (size_t)nc * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = nc;
    return true;
}

struct lint_schema *lint_schema_new(void) { return calloc(1, sizeof(struct lint_schema)); }

static void ls_table_free(struct ls_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->nidx; i++)
        free(t->idx[i].cols);
    for (int i = 0; i < t->ncols; i++)
        free(t->cols[i].values);
    free(t->idx);
    free(t->cols);
    free(t->keys);
    free(t->fks);
    free(t);
}

void lint_schema_free(struct lint_schema *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        ls_table_free(s->t[i]);
    for (int i = 0; i < s->ndead; i++)
        ls_table_free(s->dead[i]);
    while (s->pool) {
        struct ls_str *n = s->pool->next;
        free(s->pool);
        s->pool = n;
    }
    free(s->t);
    free(s->dead);
    free(s);
}

int lint_schema_count(const struct lint_schema *s) { return s ? s->n : 0; }

static bool ls_name_eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static int ls_find(const struct lint_schema *s, const char *schema, const char *name)
{
    for (int i = 0; name && i < s->n; i++) {
        const struct ls_table *t = s->t[i];
        if (!ls_name_eq(t->info.name, name))
            continue;
        if (!schema || !t->info.schema || ls_name_eq(t->info.schema, schema))
            return i;
    }
    return -1;
}

static void ls_unlink(struct lint_schema *s, int i)
{
    if (ls_grow((void **)&s->dead, &s->capdead, s->ndead + 1, sizeof *s->dead))
        s->dead[s->ndead++] = s->t[i];
    else
        ls_table_free(s->t[i]);
    s->t[i] = s->t[--s->n];
}

static const char *ls_schema_of(const struct sql_name *n, const char *def)
{
    return n->schema ? n->schema : def;
}

/* ---- columns and indexes ------------------------------------------------- */

static int ls_col(const struct ls_table *t, const char *name)
{
    for (int i = 0; name && i < t->ncols; i++)
        if (t->cols[i].name && strcasecmp(t->cols[i].name, name) == 0)
            return i;
    return -1;
}

static void ls_set_col(struct lint_schema *s, struct ls_table *t, struct gate_column_info *ci,
                       const struct sql_coldef *cd)
{
    char up[32];
    size_t k = 0;
    for (; cd->type && cd->type[k] && k + 1 < sizeof up; k++)
        up[k] = (char)toupper((unsigned char)cd->type[k]);
    up[k] = '\0';
    free(ci->values);
    memset(ci, 0, sizeof *ci);
    ci->name = ls_dup(s, cd->name);
    ci->type = ls_dup(s, up);
    ci->length = cd->length;
    const char *cs = cd->charset;
    char csbuf[32];
    if (!cs && cd->collation) {
        size_t l = strcspn(cd->collation, "_");
        if (l < sizeof csbuf) {
            memcpy(csbuf, cd->collation, l);
            csbuf[l] = '\0';
            cs = csbuf;
        }
    }
    if (!cs)
        cs = t->charset;
    ci->charset = ls_dup(s, cs);
    ci->max_bytes_per_char = gate_charset_width(cs);
    ci->nullable = cd->nullability != SQL_NULL_NO && !cd->primary_key;
    ci->is_virtual = cd->generated == SQL_GEN_VIRTUAL;
    ci->is_stored_generated = cd->generated == SQL_GEN_STORED;
    ci->auto_increment = cd->auto_increment;
    ci->is_unsigned = cd->is_unsigned;
    if (cd->nvalues > 0 && (ci->values = calloc((size_t)cd->nvalues, sizeof *ci->values))) {
        ci->nvalues = cd->nvalues;
        for (int i = 0; i < cd->nvalues; i++)
            ci->values[i] = ls_dup(s, cd->values[i]);
    }
}

static void ls_add_index(struct lint_schema *s, struct ls_table *t, enum sql_index_kind kind,
                         const char *name, int ncols, const char *const *cols, bool prefix)
{
    if (!ls_grow((void **)&t->idx, &t->capidx, t->nidx + 1, sizeof *t->idx))
        return;
    struct ls_index *x = &t->idx[t->nidx];
    memset(x, 0, sizeof *x);
    x->cols = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *x->cols);
    if (!x->cols)
        return;
    x->kind = kind;
    x->name = ls_dup(s, name);
    x->prefix = prefix;
    for (int i = 0; i < ncols; i++)
        x->cols[x->ncols++] = ls_dup(s, cols[i]);
    t->nidx++;
}

static void ls_add_sql_index(struct lint_schema *s, struct ls_table *t, const struct sql_index *ix,
                             enum sql_index_kind kind, const char *def_schema)
{
    ls_add_index(s, t, kind, ix->name, ix->ncols, ix->cols, ix->has_prefix || ix->has_expression);
    if (kind == SQL_INDEX_FOREIGN && t->idx && t->nidx > 0) {
        struct ls_index *x = &t->idx[t->nidx - 1];
        x->ref_schema = ls_dup(s, ls_schema_of(&ix->ref_table, def_schema));
        x->ref_table = ls_dup(s, ix->ref_table.name);
        x->cascade = ix->on_delete_cascade_or_set_null || ix->on_update_cascade_or_set_null;
    }
}

static void ls_col_keys(struct lint_schema *s, struct ls_table *t, const struct sql_coldef *cd)
{
    const char *one[1] = {cd->name};
    if (cd->primary_key)
        ls_add_index(s, t, SQL_INDEX_PRIMARY, "PRIMARY", 1, one, false);
    if (cd->unique_key)
        ls_add_index(s, t, SQL_INDEX_UNIQUE, cd->name, 1, one, false);
}

static void ls_add_col(struct lint_schema *s, struct ls_table *t, const struct sql_coldef *cd)
{
    if (!cd->name || !ls_grow((void **)&t->cols, &t->capcols, t->ncols + 1, sizeof *t->cols))
        return;
    int at = t->ncols;
    memset(&t->cols[at], 0, sizeof t->cols[at]);
    t->ncols++;
    if (cd->pos == SQL_POS_FIRST || cd->pos == SQL_POS_AFTER) {
        int after = cd->pos == SQL_POS_FIRST ? -1 : ls_col(t, cd->after);
        if (cd->pos == SQL_POS_FIRST || after >= 0) {
            at = after + 1;
            memmove(&t->cols[at + 1], &t->cols[at], (size_t)(t->ncols - 1 - at) * sizeof *t->cols);
            memset(&t->cols[at], 0, sizeof t->cols[at]);
        }
    }
    ls_set_col(s, t, &t->cols[at], cd);
    ls_col_keys(s, t, cd);
}

static void ls_drop_index_at(struct ls_table *t, int i)
{
    free(t->idx[i].cols);
    t->nidx--;
    if (i != t->nidx)
        t->idx[i] = t->idx[t->nidx];
    memset(&t->idx[t->nidx], 0, sizeof t->idx[t->nidx]); /* no stale pointer left behind */
}

static void ls_drop_index(struct ls_table *t, enum sql_index_kind kind, const char *name)
{
    for (int i = 0; i < t->nidx; i++) {
        bool hit = kind == SQL_INDEX_PRIMARY
                       ? t->idx[i].kind == SQL_INDEX_PRIMARY
                       : (t->idx[i].name && name && strcasecmp(t->idx[i].name, name) == 0 &&
                          (kind != SQL_INDEX_FOREIGN || t->idx[i].kind == SQL_INDEX_FOREIGN));
        if (hit) {
            ls_drop_index_at(t, i);
            return;
        }
    }
}

/* a column renamed or dropped: follow it in the key parts */
static void ls_rename_in_indexes(struct lint_schema *s, struct ls_table *t, const char *from,
                                 const char *to)
{
    for (int i = 0; i < t->nidx; i++) {
        struct ls_index *x = &t->idx[i];
        for (int k = 0; k < x->ncols; k++) {
            if (!x->cols[k] || strcasecmp(x->cols[k], from) != 0)
                continue;
            if (to) {
                x->cols[k] = ls_dup(s, to);
            } else {
                memmove(&x->cols[k], &x->cols[k + 1], (size_t)(x->ncols - k - 1) * sizeof *x->cols);
                x->ncols--;
                k--;
            }
        }
        if (x->ncols == 0 && x->kind != SQL_INDEX_CHECK) {
            ls_drop_index_at(t, i);
            i--;
        }
    }
}

static bool ls_float(const char *type)
{
    return type &&
           (strcmp(type, "FLOAT") == 0 || strcmp(type, "DOUBLE") == 0 || strcmp(type, "REAL") == 0);
}

/* recompute the summary flags the gate reads */
static void ls_refresh(const struct lint_schema *s, struct ls_table *t)
{
    struct gate_table_info *ti = &t->info;
    ti->cols = t->cols;
    ti->ncols = t->ncols;
    ti->has_primary_key = ti->has_any_unique = ti->has_not_null_unique = false;
    ti->has_fulltext = ti->has_fk_child = ti->has_fk_cascade = false;
    ti->nkey_cols = ti->nfk_names = 0;
    for (int i = 0; i < t->ncols; i++)
        t->cols[i].in_index = t->cols[i].unique_lead = false;
    free(t->fks);
    t->fks = calloc((size_t)t->nidx + 1, sizeof *t->fks);
    const struct ls_index *usable = NULL;
    for (int i = 0; i < t->nidx; i++) {
        const struct ls_index *x = &t->idx[i];
        bool uniq = x->kind == SQL_INDEX_PRIMARY || x->kind == SQL_INDEX_UNIQUE;
        bool ok = uniq && !x->prefix && x->ncols > 0;
        for (int k = 0; k < x->ncols; k++) {
            int c = ls_col(t, x->cols[k]);
            if (c < 0)
                continue;
            if (x->kind != SQL_INDEX_FOREIGN && x->kind != SQL_INDEX_CHECK)
                t->cols[c].in_index = true;
            if (uniq && k == 0)
                t->cols[c].unique_lead = true;
            ok &= !(t->cols[c].nullable && x->kind != SQL_INDEX_PRIMARY) &&
                  !ls_float(t->cols[c].type);
        }
        ti->has_primary_key |= x->kind == SQL_INDEX_PRIMARY;
        ti->has_any_unique |= uniq;
        ti->has_fulltext |= x->kind == SQL_INDEX_FULLTEXT;
        if (x->kind == SQL_INDEX_FOREIGN) {
            ti->has_fk_child = true;
            ti->has_fk_cascade |= x->cascade;
            if (x->name && t->fks)
                t->fks[ti->nfk_names++] = x->name;
        }
        if (ok && x->kind != SQL_INDEX_PRIMARY)
            ti->has_not_null_unique = true;
        if (ok && (!usable || x->kind == SQL_INDEX_PRIMARY) &&
            !(usable && usable->kind == SQL_INDEX_PRIMARY))
            usable = x;
    }
    free(t->keys);
    t->keys = calloc(usable ? (size_t)usable->ncols + 1 : 1, sizeof *t->keys);
    for (int k = 0; usable && t->keys && k < usable->ncols; k++)
        t->keys[ti->nkey_cols++] = usable->cols[k];
    ti->key_cols = t->keys;
    ti->fk_names = t->fks;
    ti->has_triggers = t->ntriggers > 0;
    ti->has_fk_parent = false;
    for (int i = 0; i < s->n && !ti->has_fk_parent; i++)
        for (int k = 0; k < s->t[i]->nidx; k++) {
            const struct ls_index *x = &s->t[i]->idx[k];
            if (x->kind == SQL_INDEX_FOREIGN && ls_name_eq(x->ref_table, ti->name) &&
                (!x->ref_schema || !ti->schema || ls_name_eq(x->ref_schema, ti->schema)))
                ti->has_fk_parent = true;
        }
}

const struct gate_table_info *lint_schema_lookup(void *ctx, const char *schema, const char *table)
{
    struct lint_schema *s = ctx;
    int i = s ? ls_find(s, schema, table) : -1;
    if (i < 0)
        return NULL;
    ls_refresh(s, s->t[i]);
    return &s->t[i]->info;
}

/* ---- statements ------------------------------------------------------------ */

static struct ls_table *ls_new_table(struct lint_schema *s, const char *schema, const char *name)
{
    int old = ls_find(s, schema, name);
    if (old >= 0 && (!schema || ls_name_eq(s->t[old]->info.schema, schema)))
        ls_unlink(s, old); /* CREATE OR REPLACE / a re-run: the new one wins */
    struct ls_table *t = calloc(1, sizeof *t);
    if (!t || !ls_grow((void **)&s->t, &s->cap, s->n + 1, sizeof *s->t)) {
        free(t);
        return NULL;
    }
    t->info.schema = ls_dup(s, schema);
    t->info.name = ls_dup(s, name);
    t->info.engine = "InnoDB";
    s->t[s->n++] = t;
    return t;
}

static const struct sql_name *ls_ddl_name(const struct sql_stmt *st)
{
    for (int i = 0; i < st->ntables; i++)
        if (st->tables[i].access & SQL_ACCESS_DDL)
            return &st->tables[i].name;
    return st->ntables > 0 ? &st->tables[0].name : NULL;
}

static void ls_copy_like(struct lint_schema *s, struct ls_table *t, const struct ls_table *src)
{
    for (int i = 0; i < src->ncols; i++) {
        if (!ls_grow((void **)&t->cols, &t->capcols, t->ncols + 1, sizeof *t->cols))
            return;
        struct gate_column_info *ci = &t->cols[t->ncols++];
        *ci = src->cols[i];
        ci->values = NULL;
        ci->nvalues = 0;
        if (src->cols[i].nvalues > 0 &&
            (ci->values = calloc((size_t)src->cols[i].nvalues, sizeof *ci->values))) {
            memcpy(ci->values, src->cols[i].values,
                   (size_t)src->cols[i].nvalues * sizeof *ci->values);
            ci->nvalues = src->cols[i].nvalues;
        }
    }
    for (int i = 0; i < src->nidx; i++)
        if (src->idx[i].kind != SQL_INDEX_FOREIGN) /* LIKE copies no FKs */
            ls_add_index(s, t, src->idx[i].kind, src->idx[i].name, src->idx[i].ncols,
                         src->idx[i].cols, src->idx[i].prefix);
    t->info.engine = src->info.engine;
    t->info.row_format = src->info.row_format;
    t->charset = src->charset;
}

static void ls_create(struct lint_schema *s, const struct sql_stmt *st, const char *def)
{
    const struct sql_create_table *ct = &st->create;
    const struct sql_name *n = ls_ddl_name(st);
    if (!n || !n->name || ct->temporary)
        return;
    const char *schema = ls_schema_of(n, def);
    if (ct->if_not_exists && ls_find(s, schema, n->name) >= 0)
        return;
    const struct ls_table *src = NULL;
    if (ct->like) {
        int i = ls_find(s, ls_schema_of(&ct->like_table, def), ct->like_table.name);
        src = i >= 0 ? s->t[i] : NULL;
    }
    struct ls_table *t = ls_new_table(s, schema, n->name);
    if (!t)
        return;
    if (src) {
        ls_copy_like(s, t, src);
        return;
    }
    t->charset = ls_dup(s, ct->charset);
    if (ct->engine)
        t->info.engine = ls_dup(s, ct->engine);
    t->info.row_format = ls_dup(s, ct->row_format);
    t->info.is_partitioned = ct->partitioned;
    for (int i = 0; i < ct->ncols; i++)
        ls_add_col(s, t, &ct->cols[i]);
    for (int i = 0; i < ct->nindexes; i++)
        ls_add_sql_index(s, t, &ct->indexes[i], ct->indexes[i].kind, schema);
}

static void ls_alter_spec(struct lint_schema *s, struct ls_table *t,
                          const struct sql_alter_spec *sp, const char *def)
{
    int c;
    switch (sp->op) {
    case SQL_AOP_ADD_COLUMN:
        if (ls_col(t, sp->col.name) < 0)
            ls_add_col(s, t, &sp->col);
        break;
    case SQL_AOP_DROP_COLUMN:
        if ((c = ls_col(t, sp->old_name)) >= 0) {
            ls_rename_in_indexes(s, t, sp->old_name, NULL);
            free(t->cols[c].values);
            memmove(&t->cols[c], &t->cols[c + 1], (size_t)(t->ncols - c - 1) * sizeof *t->cols);
            t->ncols--;
        }
        break;
    case SQL_AOP_MODIFY_COLUMN:
    case SQL_AOP_CHANGE_COLUMN:
        c = ls_col(t, sp->op == SQL_AOP_CHANGE_COLUMN ? sp->old_name : sp->col.name);
        if (c >= 0) {
            if (sp->op == SQL_AOP_CHANGE_COLUMN && sp->col.name)
                ls_rename_in_indexes(s, t, sp->old_name, sp->col.name);
            ls_set_col(s, t, &t->cols[c], &sp->col);
            ls_col_keys(s, t, &sp->col);
        }
        break;
    case SQL_AOP_RENAME_COLUMN:
        if ((c = ls_col(t, sp->old_name)) >= 0 && sp->new_name) {
            t->cols[c].name = ls_dup(s, sp->new_name);
            ls_rename_in_indexes(s, t, sp->old_name, sp->new_name);
        }
        break;
    case SQL_AOP_ADD_INDEX:
    case SQL_AOP_ADD_FOREIGN_KEY:
        ls_add_sql_index(s, t, &sp->index,
                         sp->op == SQL_AOP_ADD_FOREIGN_KEY ? SQL_INDEX_FOREIGN : sp->index.kind,
                         def);
        break;
    case SQL_AOP_ADD_PRIMARY_KEY:
        ls_add_sql_index(s, t, &sp->index, SQL_INDEX_PRIMARY, def);
        for (int k = 0; k < sp->index.ncols; k++)
            if ((c = ls_col(t, sp->index.cols[k])) >= 0)
                t->cols[c].nullable = false;
        break;
    case SQL_AOP_DROP_PRIMARY_KEY:
        ls_drop_index(t, SQL_INDEX_PRIMARY, NULL);
        break;
    case SQL_AOP_DROP_INDEX:
        ls_drop_index(t, SQL_INDEX_PLAIN, sp->old_name);
        break;
    case SQL_AOP_DROP_FOREIGN_KEY:
    case SQL_AOP_DROP_CONSTRAINT:
        ls_drop_index(t, SQL_INDEX_FOREIGN, sp->old_name);
        break;
    case SQL_AOP_RENAME_INDEX:
        for (int k = 0; k < t->nidx; k++)
            if (t->idx[k].name && sp->old_name && strcasecmp(t->idx[k].name, sp->old_name) == 0)
                t->idx[k].name = ls_dup(s, sp->new_name);
        break;
    case SQL_AOP_ENGINE:
        t->info.engine = ls_dup(s, sp->option_value);
        break;
    case SQL_AOP_ROW_FORMAT:
        t->info.row_format = ls_dup(s, sp->option_value);
        break;
    case SQL_AOP_PARTITION_BY:
        t->info.is_partitioned = true;
        break;
    case SQL_AOP_REMOVE_PARTITIONING:
        t->info.is_partitioned = false;
        break;
    case SQL_AOP_RENAME_TABLE:
        if (sp->rename_to.name) {
            t->info.name = ls_dup(s, sp->rename_to.name);
            if (sp->rename_to.schema)
                t->info.schema = ls_dup(s, sp->rename_to.schema);
        }
        break;
    default:
        break;
    }
}

static void ls_rename(struct lint_schema *s, const struct sql_stmt *st, const char *def)
{
    /* RENAME TABLE a TO b, c TO d: the parser lists a, b, c, d in order */
    for (int i = 0; i + 1 < st->ntables; i += 2) {
        const struct sql_name *from = &st->tables[i].name, *to = &st->tables[i + 1].name;
        int k = ls_find(s, ls_schema_of(from, def), from->name);
        if (k < 0)
            continue;
        s->t[k]->info.name = ls_dup(s, to->name);
        s->t[k]->info.schema = ls_dup(s, ls_schema_of(to, def));
    }
}

void lint_schema_apply(struct lint_schema *s, const struct sql_stmt *st, const char *text,
                       const char *def)
{
    (void)text;
    if (!s || !st->parsed)
        return;
    const struct sql_name *n;
    int k;
    switch (st->ddl) {
    case SQL_DDL_CREATE_TABLE:
        ls_create(s, st, def);
        break;
    case SQL_DDL_ALTER_TABLE:
    case SQL_DDL_CREATE_INDEX:
    case SQL_DDL_DROP_INDEX:
        k = ls_find(s, ls_schema_of(&st->alter.table, def), st->alter.table.name);
        for (int i = 0; k >= 0 && i < st->alter.nspecs; i++)
            ls_alter_spec(s, s->t[k], &st->alter.specs[i], ls_schema_of(&st->alter.table, def));
        break;
    case SQL_DDL_DROP_TABLE:
        for (int i = 0; !st->temporary && i < st->ntables; i++)
            if ((k = ls_find(s, ls_schema_of(&st->tables[i].name, def), st->tables[i].name.name)) >=
                0)
                ls_unlink(s, k);
        break;
    case SQL_DDL_RENAME_TABLE:
        ls_rename(s, st, def);
        break;
    case SQL_DDL_CREATE_TRIGGER:
        if ((n = ls_ddl_name(st)) && (k = ls_find(s, ls_schema_of(n, def), n->name)) >= 0)
            s->t[k]->ntriggers++;
        break;
    default:
        break;
    }
}

bool lint_schema_load(struct lint_schema *s, const struct sql_parse_opts *opts, const char *text,
                      size_t len)
{
    struct sql_script *sc = malloc(sizeof *sc);
    if (!sc)
        return false;
    sql_script_init(sc);
    bool ok = sql_parse(opts, text, len, sc);
    for (int i = 0; ok && i < sc->nstmts; i++)
        lint_schema_apply(s, &sc->stmts[i], text, opts->default_schema);
    sql_script_free(sc);
    free(sc);
    return ok;
}
