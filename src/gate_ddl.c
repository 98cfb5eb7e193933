/*
 * gate_ddl.c - the rules for ALTER-like statements (ALTER TABLE, CREATE
 * INDEX, DROP INDEX, OPTIMIZE TABLE): what the specs do (static rules), what
 * they do to the existing columns (rules needing the old definition), the
 * written ALGORITHM/LOCK clauses, and the classifier's answer.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gate_rules.h"

/* ---- small data tables ------------------------------------------------- */

/* ops whose clause takes no ALGORITHM/LOCK: never append to them (DG010) */
static const bool gate_op_no_clause[SQL_AOP__COUNT] = {
    [SQL_AOP_TRUNCATE_PARTITION] = true, [SQL_AOP_ANALYZE_PARTITION] = true,
    [SQL_AOP_CHECK_PARTITION] = true,    [SQL_AOP_OPTIMIZE_PARTITION] = true,
    [SQL_AOP_REPAIR_PARTITION] = true,   [SQL_AOP_EXCHANGE_PARTITION] = true,
    [SQL_AOP_DISCARD_TABLESPACE] = true, [SQL_AOP_IMPORT_TABLESPACE] = true,
    [SQL_AOP_RENAME_TABLE] = true,
};

/* ops other rules own entirely (DG091 / DG093): no DG015 for them */
static const bool gate_op_owned[SQL_AOP__COUNT] = {
    [SQL_AOP_RENAME_TABLE] = true,
    [SQL_AOP_DROP_PARTITION] = true,
    [SQL_AOP_TRUNCATE_PARTITION] = true,
};

static int gate_alg_rank(enum sql_algorithm a)
{
    static const int rank[] = {
        [SQL_ALG_NONE] = 0,    [SQL_ALG_DEFAULT] = 0, [SQL_ALG_COPY] = 1,
        [SQL_ALG_INPLACE] = 2, [SQL_ALG_NOCOPY] = 3,  [SQL_ALG_INSTANT] = 4,
    };
    return (unsigned)a < sizeof rank / sizeof rank[0] ? rank[a] : 0;
}

struct gate_type_class {
    const char *name;
    char family; /* i int, f float, s char/varchar, b binary, t text, l blob, d date */
    int rank;    /* width within the family */
};

static const struct gate_type_class gate_types[] = {
    {"TINYINT", 'i', 1},   {"BOOL", 'i', 1},       {"BOOLEAN", 'i', 1},   {"SMALLINT", 'i', 2},
    {"MEDIUMINT", 'i', 3}, {"INT", 'i', 4},        {"INTEGER", 'i', 4},   {"BIGINT", 'i', 5},
    {"FLOAT", 'f', 1},     {"DOUBLE", 'f', 2},     {"REAL", 'f', 2},      {"CHAR", 's', 0},
    {"VARCHAR", 's', 0},   {"BINARY", 'b', 0},     {"VARBINARY", 'b', 0}, {"TINYTEXT", 't', 1},
    {"TEXT", 't', 2},      {"MEDIUMTEXT", 't', 3}, {"LONGTEXT", 't', 4},  {"TINYBLOB", 'l', 1},
    {"BLOB", 'l', 2},      {"MEDIUMBLOB", 'l', 3}, {"LONGBLOB", 'l', 4},  {"DATE", 'd', 1},
    {"DATETIME", 'd', 2},  {"TIMESTAMP", 'd', 2},  {"TIME", 'd', 0},
};

static const struct gate_type_class *gate_type(const char *t)
{
    if (!t)
        return NULL;
    for (size_t i = 0; i < sizeof gate_types / sizeof gate_types[0]; i++)
        if (strcasecmp(gate_types[i].name, t) == 0)
            return &gate_types[i];
    return NULL;
}

int gate_charset_width(const char *cs)
{
    static const struct {
        const char *cs;
        int w;
    } tab[] = {
        {"latin1", 1}, {"latin2", 1},  {"ascii", 1},   {"binary", 1}, {"cp1250", 1},
        {"cp1251", 1}, {"cp1252", 1},  {"greek", 1},   {"hebrew", 1}, {"ucs2", 2},
        {"utf8", 3},   {"utf8mb3", 3}, {"utf8mb4", 4}, {"utf16", 4},  {"utf32", 4},
        {"gbk", 2},    {"big5", 2},    {"sjis", 2},    {"ujis", 3},   {"euckr", 2},
    };
    if (!cs)
        return 0;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcasecmp(tab[i].cs, cs) == 0)
            return tab[i].w;
    return 0;
}

static bool gate_same_charset(const char *a, const char *b)
{
    if (strncasecmp(a, "utf8mb3", 7) == 0 && a[7] == '\0')
        a = "utf8";
    if (strncasecmp(b, "utf8mb3", 7) == 0 && b[7] == '\0')
        b = "utf8";
    return strcasecmp(a, b) == 0;
}

const struct gate_column_info *gate_column(const struct gate_table_info *ti, const char *name)
{
    if (!ti || !name)
        return NULL;
    for (int i = 0; i < ti->ncols; i++)
        if (ti->cols[i].name && strcasecmp(ti->cols[i].name, name) == 0)
            return &ti->cols[i];
    return NULL;
}

/* ---- rules on the old definition (MODIFY / CHANGE) ------------------- */

static bool gate_lossy(const struct gate_column_info *oc, const struct sql_coldef *nc)
{
    const struct gate_type_class *o = gate_type(oc->type), *n = gate_type(nc->type);
    if (!o || !n)
        return false;
    if (o->family == 'i' && n->family == 'i')
        return n->rank < o->rank || oc->is_unsigned != nc->is_unsigned;
    if (o->family == 'f' && n->family == 'f')
        return n->rank < o->rank;
    if ((o->family == 's' && n->family == 's') || (o->family == 'b' && n->family == 'b'))
        return nc->length >= 0 && oc->length >= 0 && nc->length < oc->length;
    if ((o->family == 't' && (n->family == 's' || n->family == 't')) ||
        (o->family == 'l' && (n->family == 'b' || n->family == 'l')))
        return n->family != o->family || n->rank < o->rank;
    if (o->family == 'd' && n->family == 'd')
        return o->rank > 0 && n->rank < o->rank; /* DATETIME -> DATE/TIME */
    return false;
}

/* storage of ENUM (1 or 2 bytes) and SET (1,2,3,4,8 bytes) by member count */
static int gate_enum_storage(bool is_set, int n)
{
    if (!is_set)
        return n <= 255 ? 1 : 2;
    int b = (n + 7) / 8;
    return b > 4 ? 8 : b;
}

static bool gate_enum_nonappend(const struct gate_column_info *oc, const struct sql_coldef *nc)
{
    bool is_set = strcasecmp(nc->type, "SET") == 0;
    if (nc->nvalues < oc->nvalues)
        return true;
    for (int i = 0; i < oc->nvalues; i++)
        if (strcmp(oc->values[i], nc->values[i]) != 0)
            return true;
    return gate_enum_storage(is_set, oc->nvalues) != gate_enum_storage(is_set, nc->nvalues);
}

static bool gate_key_col(const struct gate_table_info *ti, const char *name)
{
    for (int i = 0; ti && i < ti->nkey_cols; i++)
        if (ti->key_cols[i] && strcasecmp(ti->key_cols[i], name) == 0)
            return true;
    return false;
}

static enum sql_algorithm gate_spec_best(const struct gate_ctx *c, int i)
{
    if (c->cr->nspecs == c->st->alter.nspecs && i < c->cr->nspecs)
        return c->cr->specs[i].best;
    return c->cr->best;
}

static void gate_old_column(struct gate_ctx *c, int si, const struct sql_alter_spec *s)
{
    const char *oname = s->op == SQL_AOP_CHANGE_COLUMN ? s->old_name : s->col.name;
    const struct gate_column_info *oc = gate_column(c->ti, oname);
    const struct sql_coldef *nc = &s->col;
    if (!oc || !oc->type || !nc->type)
        return;
    const struct gate_type_class *ot = gate_type(oc->type), *nt = gate_type(nc->type);
    bool now_not_null = nc->nullability == SQL_NULL_NO || nc->primary_key;
    if (oc->nullable && now_not_null)
        gate_fire(c, 51, "makes the nullable column %s NOT NULL", oname);
    if (!oc->nullable && !now_not_null)
        gate_fire(c, 98, "makes the NOT NULL column %s nullable", oname);
    if (gate_lossy(oc, nc))
        gate_fire(c, 52, "changes %s from %s%s to %s%s", oname, oc->type,
                  oc->is_unsigned ? " UNSIGNED" : "", nc->type, nc->is_unsigned ? " UNSIGNED" : "");
    if (nc->charset && oc->charset && !gate_same_charset(nc->charset, oc->charset))
        gate_fire(c, 53, "changes the character set of %s from %s to %s", oname, oc->charset,
                  nc->charset);
    if (ot && nt && ot->family == nt->family && (ot->family == 's' || ot->family == 'b') &&
        strncasecmp(oc->type, "VAR", 3) == 0 && strncasecmp(nc->type, "VAR", 3) == 0 &&
        oc->length >= 0 && nc->length >= 0) {
        int ow =
            oc->max_bytes_per_char > 0 ? oc->max_bytes_per_char : gate_charset_width(oc->charset);
        int nw = nc->charset ? gate_charset_width(nc->charset) : ow;
        if (ot->family == 'b')
            ow = nw = 1;
        if (ow <= 0)
            ow = 4;
        if (nw <= 0)
            nw = ow;
        if (nc->length > oc->length && oc->length * ow <= 255 && nc->length * nw > 255 &&
            gate_spec_best(c, si) == SQL_ALG_COPY)
            gate_fire(c, 19,
                      "extends %s from %lld to %lld bytes: the length prefix grows to 2 bytes",
                      oname, (long long)oc->length * ow, (long long)nc->length * nw);
    }
    bool enumset = (strcasecmp(nc->type, "ENUM") == 0 || strcasecmp(nc->type, "SET") == 0) &&
                   strcasecmp(nc->type, oc->type) == 0;
    if (enumset && oc->values && nc->values && gate_enum_nonappend(oc, nc))
        gate_fire(c, 20, "changes the members of %s %s other than by appending", nc->type, oname);
    if (strcasecmp(nc->type, "TIMESTAMP") == 0 && strcasecmp(oc->type, "DATETIME") == 0 &&
        gate_key_col(c->ti, oname))
        gate_fire(c, 49, "converts %s, a column of the iteration key, to TIMESTAMP", oname);
}

/* ---- static rules on the specs ----------------------------------------- */

static bool gate_alias_added(const struct sql_alter *a, const char *old)
{
    for (int i = 0; i < a->nspecs; i++) {
        const struct sql_alter_spec *s = &a->specs[i];
        if (s->op == SQL_AOP_ADD_COLUMN && s->col.generated != SQL_GEN_NONE && s->col.name &&
            strcasecmp(s->col.name, old) == 0)
            return true;
    }
    return false;
}

static bool gate_index_readded(const struct sql_alter *a, const char *name)
{
    for (int i = 0; name && i < a->nspecs; i++)
        if (a->specs[i].op == SQL_AOP_ADD_INDEX && a->specs[i].index.name &&
            strcasecmp(a->specs[i].index.name, name) == 0)
            return true;
    return false;
}

static void gate_rename_column(struct gate_ctx *c, const struct sql_alter_spec *s)
{
    const struct sql_server *srv = &c->opts->server;
    if (!s->old_name || !s->new_name || strcasecmp(s->old_name, s->new_name) == 0)
        return;
    gate_rules_coldef(c, &(struct sql_coldef){.name = s->new_name, .length = -1, .scale = -1},
                      true);
    if (!gate_alias_added(&c->st->alter, s->old_name))
        gate_fire(c, 3, "renames column %s to %s", s->old_name, s->new_name);
    bool old_srv = srv->flavour == SQL_FLAVOUR_MYSQL ? srv->version < 80003 : srv->version < 100502;
    if (s->op == SQL_AOP_RENAME_COLUMN && old_srv &&
        gate_fire(c, 17,
                  "RENAME COLUMN needs MySQL 8.0.3 "
                  "or MariaDB 10.5.2"))
        gate_fired(c, 17)->no_rewrite = true;
}

static void gate_engine(struct gate_ctx *c, const char *engine)
{
    if (!engine)
        return;
    if (strcasecmp(engine, "InnoDB") != 0)
        gate_fire(c, 63, "ENGINE=%s", engine);
    const char *cur = c->ti && c->ti->engine ? c->ti->engine : "InnoDB";
    if (strcasecmp(engine, cur) != 0)
        gate_fire(c, 54, "changes the engine from %s to %s", cur, engine);
    else
        gate_fire(c, 95, "ENGINE=%s is the current engine: the table is rebuilt", engine);
}

static void gate_spec(struct gate_ctx *c, int i, const struct sql_alter_spec *s)
{
    const struct sql_alter *a = &c->st->alter;
    switch (s->op) {
    case SQL_AOP_ADD_COLUMN:
        gate_rules_coldef(c, &s->col, true);
        if (s->col.nullability == SQL_NULL_NO && s->col.default_kind == SQL_DEFAULT_NONE &&
            !s->col.auto_increment && s->col.generated == SQL_GEN_NONE)
            gate_fire(c, 1, "adds NOT NULL column %s without DEFAULT",
                      s->col.name ? s->col.name : "?");
        break;
    case SQL_AOP_DROP_COLUMN: {
        const struct gate_column_info *oc = gate_column(c->ti, s->old_name);
        if (!oc || !oc->is_virtual)
            gate_fire(c, 6, "drops column %s%s", s->old_name ? s->old_name : "?",
                      oc ? "" : " (no table facts: assumed to store data)");
        break;
    }
    case SQL_AOP_MODIFY_COLUMN:
    case SQL_AOP_CHANGE_COLUMN:
        gate_rules_coldef(c, &s->col, false);
        if (s->op == SQL_AOP_CHANGE_COLUMN)
            gate_rename_column(c, s);
        gate_old_column(c, i, s);
        break;
    case SQL_AOP_RENAME_COLUMN:
        gate_rename_column(c, s);
        break;
    case SQL_AOP_ADD_INDEX:
        if (s->index.kind == SQL_INDEX_UNIQUE)
            gate_fire(c, 50, "adds UNIQUE key %s: fails on duplicate rows",
                      s->index.name ? s->index.name : "");
        break;
    case SQL_AOP_ADD_PRIMARY_KEY:
        gate_fire(c, 50, "adds a PRIMARY KEY: fails on duplicate or NULL rows");
        break;
    case SQL_AOP_DROP_PRIMARY_KEY:
        gate_fire(c, 41, "drops the PRIMARY KEY");
        break;
    case SQL_AOP_ADD_FOREIGN_KEY:
        gate_fire(c, 44, "adds a FOREIGN KEY%s%s", s->index.name ? " " : "",
                  s->index.name ? s->index.name : "");
        gate_fire(c, 69, "declares a FOREIGN KEY");
        gate_rules_fk_parent(c, s);
        break;
    case SQL_AOP_DROP_FOREIGN_KEY:
        gate_fire(c, 92, "drops FOREIGN KEY %s", s->old_name ? s->old_name : "");
        break;
    case SQL_AOP_DROP_CONSTRAINT:
        for (int k = 0; c->ti && s->old_name && k < c->ti->nfk_names; k++)
            if (c->ti->fk_names[k] && strcasecmp(c->ti->fk_names[k], s->old_name) == 0)
                gate_fire(c, 92, "drops FOREIGN KEY constraint %s", s->old_name);
        break;
    case SQL_AOP_DROP_INDEX:
        if (!gate_index_readded(a, s->old_name))
            gate_fire(c, 94, "drops index %s", s->old_name ? s->old_name : "");
        break;
    case SQL_AOP_RENAME_TABLE:
        gate_fire(c, 93, "renames the table to %s", s->rename_to.name ? s->rename_to.name : "?");
        if (a->nspecs > 1)
            gate_fire(c, 46, "RENAME is combined with %d other change(s)", a->nspecs - 1);
        gate_rules_table_name(c, s->rename_to.name);
        break;
    case SQL_AOP_CONVERT_CHARSET:
        gate_fire(c, 53, "converts every text column to %s",
                  s->option_value ? s->option_value : "?");
        /* fall through */
    case SQL_AOP_DEFAULT_CHARSET:
        if (s->option_value && !gate_charset_allowed(s->option_value))
            gate_fire(c, 62, "character set %s", s->option_value);
        break;
    case SQL_AOP_ENGINE:
        gate_engine(c, s->option_value);
        break;
    case SQL_AOP_KEY_BLOCK_SIZE:
        if (s->option_value && strcmp(s->option_value, "0") != 0 &&
            strcmp(s->option_value, "4") != 0 && strcmp(s->option_value, "8") != 0)
            gate_fire(c, 72, "KEY_BLOCK_SIZE=%s", s->option_value);
        break;
    case SQL_AOP_FORCE:
    case SQL_AOP_REBUILD_PARTITION:
    case SQL_AOP_OPTIMIZE_PARTITION:
        gate_fire(c, 95, "%s rebuilds the table", sql_alter_op_name(s->op));
        break;
    case SQL_AOP_DROP_PARTITION:
    case SQL_AOP_TRUNCATE_PARTITION:
        gate_fire(c, 91, "%s deletes the partition's rows", sql_alter_op_name(s->op));
        break;
    default:
        break;
    }
}

/* DG048: a column dropped and added, or changed twice, in one ALTER */
static void gate_twice(struct gate_ctx *c)
{
    const struct sql_alter *a = &c->st->alter;
    const char *seen[CLASSIFY_MAX_SPECS];
    int n = 0;
    for (int i = 0; i < a->nspecs && n < CLASSIFY_MAX_SPECS; i++) {
        const struct sql_alter_spec *s = &a->specs[i];
        const char *name = NULL;
        if (s->op == SQL_AOP_DROP_COLUMN || s->op == SQL_AOP_CHANGE_COLUMN)
            name = s->old_name;
        else if (s->op == SQL_AOP_ADD_COLUMN || s->op == SQL_AOP_MODIFY_COLUMN)
            name = s->col.name;
        if (!name)
            continue;
        for (int k = 0; k < n; k++) {
            if (strcasecmp(seen[k], name) == 0) {
                gate_fire(c, 48, "column %s is mentioned twice", name);
                return;
            }
        }
        seen[n++] = name;
    }
}

/* ---- the written ALGORITHM / LOCK clauses ------------------------------ */

static void gate_clauses(struct gate_ctx *c)
{
    const struct sql_alter *a = &c->st->alter;
    const struct classify_result *cr = c->cr;
    const struct sql_server *srv = &c->opts->server;
    bool mysql = srv->flavour == SQL_FLAVOUR_MYSQL;
    enum sql_algorithm alg = a->algorithm;
    char sv[40];
    gate_server_name(srv, sv, sizeof sv);
    bool strong = alg == SQL_ALG_INSTANT || alg == SQL_ALG_NOCOPY;
    bool blocked_copy = cr->best == SQL_ALG_COPY && !cr->lock_none;
    if ((strong && !classify_algorithm_supported(srv, alg)) ||
        (mysql && alg == SQL_ALG_INSTANT && c->st->ddl == SQL_DDL_CREATE_INDEX)) {
        enum sql_algorithm to = cr->best;
        if (to == SQL_ALG_INSTANT &&
            (!classify_algorithm_supported(srv, to) || c->st->ddl == SQL_DDL_CREATE_INDEX))
            to = SQL_ALG_INPLACE;
        if (gate_fire(c, 17, "ALGORITHM=%s is not available %son %s", sql_algorithm_name(alg),
                      c->st->ddl == SQL_DDL_CREATE_INDEX ? "for CREATE INDEX " : "", sv)) {
            if (blocked_copy || to == SQL_ALG_NONE || to == SQL_ALG_DEFAULT)
                gate_fired(c, 17)->no_rewrite = true;
            else
                gate_rewrite_algorithm(c, 17, to);
        }
        alg = to;
    } else if (strong && gate_alg_rank(alg) > gate_alg_rank(cr->best) && cr->best != SQL_ALG_NONE &&
               !blocked_copy) {
        if (gate_fire(c, 18, "ALGORITHM=%s is not possible for this change on %s (best: %s)",
                      sql_algorithm_name(alg), sv, sql_algorithm_name(cr->best)))
            gate_rewrite_algorithm(c, 18, cr->best);
        alg = cr->best;
    }
    bool lock_written =
        a->lock == SQL_LOCK_NONE || a->lock == SQL_LOCK_SHARED || a->lock == SQL_LOCK_EXCLUSIVE;
    if (mysql && alg == SQL_ALG_INSTANT && a->algorithm == SQL_ALG_INSTANT && lock_written &&
        gate_fire(c, 11, "MySQL refuses ALGORITHM=INSTANT with a LOCK clause (ER_WRONG_USAGE)"))
        gate_rewrite_drop_lock(c, 11);
    if (a->algorithm == SQL_ALG_COPY && cr->best != SQL_ALG_COPY && cr->best != SQL_ALG_NONE)
        gate_fire(c, 12, "forces ALGORITHM=COPY although ALGORITHM=%s%s is possible on %s",
                  sql_algorithm_name(cr->best), cr->lock_none ? ", LOCK=NONE" : "", sv);
    if (a->lock == SQL_LOCK_EXCLUSIVE || (a->lock == SQL_LOCK_SHARED && cr->lock_none))
        gate_fire(c, 13, "asks for LOCK=%s%s",
                  a->lock == SQL_LOCK_EXCLUSIVE ? "EXCLUSIVE" : "SHARED",
                  cr->lock_none ? " although LOCK=NONE is possible" : "");
    if ((a->algorithm == SQL_ALG_INPLACE || a->algorithm == SQL_ALG_COPY) && cr->instant_ok &&
        !gate_fired(c, 12))
        gate_fire(c, 23, "ALGORITHM=%s although ALGORITHM=INSTANT is available on %s",
                  sql_algorithm_name(a->algorithm), sv);
}

/* ---- the classifier's answer ------------------------------------------ */

static void gate_algorithm(struct gate_ctx *c)
{
    const struct sql_stmt *st = c->st;
    const struct sql_alter *a = &st->alter;
    const struct classify_result *cr = c->cr;
    const struct sql_server *srv = &c->opts->server;
    char sv[40];
    gate_server_name(srv, sv, sizeof sv);
    bool no_clause = false, owned_only = a->nspecs > 0, rename = false;
    bool all_index = a->nspecs > 0, any_index = false;
    for (int i = 0; i < a->nspecs; i++) {
        const struct sql_alter_spec *s = &a->specs[i];
        no_clause |= gate_op_no_clause[s->op];
        owned_only &= gate_op_owned[s->op];
        rename |= s->op == SQL_AOP_RENAME_TABLE;
        bool idx = s->op == SQL_AOP_ADD_INDEX || s->op == SQL_AOP_ADD_PRIMARY_KEY;
        all_index &= idx;
        any_index |=
            idx && s->index.kind != SQL_INDEX_FULLTEXT && s->index.kind != SQL_INDEX_SPATIAL;
    }
    bool asserted = a->lock == SQL_LOCK_NONE || a->algorithm != SQL_ALG_NONE ||
                    (srv->flavour == SQL_FLAVOUR_MARIADB && a->online);
    const struct gate_fire *f17 = gate_fired(c, 17);
    /* !clause_allowed (MariaDB DROP INDEX): the rule fires, nothing is appended */
    bool can_assert = cr->lock_none && !no_clause && !asserted && !(f17 && f17->no_rewrite) &&
                      st->ddl != SQL_DDL_OPTIMIZE;
    if (can_assert && any_index &&
        gate_fire(c, 2, "the index build can run with LOCK=NONE on %s", sv))
        gate_rewrite_online(c, 2);
    if (can_assert && !all_index &&
        (st->ddl == SQL_DDL_ALTER_TABLE || st->ddl == SQL_DDL_DROP_INDEX) &&
        gate_fire(c, 10, "runs as ALGORITHM=%s without blocking writes on %s",
                  sql_algorithm_name(cr->best), sv))
        gate_rewrite_online(c, 10);
    if (cr->best == SQL_ALG_COPY && !cr->lock_none)
        gate_fire(c, 14, "needs ALGORITHM=COPY with a table lock on %s", sv);
    /* DG015 is about INPLACE/NOCOPY work under a lock; an INSTANT change
     * (e.g. ENABLE/DISABLE KEYS, a no-op on InnoDB that only refuses the
     * LOCK clause) blocks nothing beyond its brief metadata lock */
    if (cr->best != SQL_ALG_NONE && cr->best != SQL_ALG_DEFAULT && cr->best != SQL_ALG_COPY &&
        cr->best != SQL_ALG_INSTANT && !cr->lock_none && !owned_only && !rename)
        gate_fire(c, 15, "runs ALGORITHM=%s but only with LOCK=SHARED or EXCLUSIVE on %s",
                  sql_algorithm_name(cr->best), sv);
    if (cr->rebuild)
        gate_fire(c, 16, "rebuilds the table (ALGORITHM=%s) on %s", sql_algorithm_name(cr->best),
                  sv);
    if (cr->mixed && cr->lock_none) /* when blocking anyway DG014/DG015 say it */
        gate_fire(c, 21, "its parts have different best algorithms; the whole ALTER runs as %s",
                  sql_algorithm_name(cr->best));
}

static void gate_runtime(struct gate_ctx *c)
{
    const struct gate_table_info *ti = c->ti;
    if (!ti)
        return;
    uint64_t limit = gate_table_size_limit();
    bool heavy = c->cr->rebuild || c->cr->best == SQL_ALG_COPY || gate_fired(c, 6) ||
                 gate_fired(c, 41) || gate_fired(c, 91);
    if (limit && ti->size_bytes > limit && heavy)
        gate_fire(c, 4, "the table holds %llu MiB (limit %llu MiB)",
                  (unsigned long long)(ti->size_bytes >> 20), (unsigned long long)(limit >> 20));
    if (!ti->has_primary_key && !ti->has_not_null_unique) {
        if (ti->has_any_unique)
            gate_fire(c, 42,
                      "the table's only unique keys are nullable, FLOAT/DOUBLE or prefix keys");
        else
            gate_fire(c, 40, "the table has no PRIMARY KEY and no NOT NULL UNIQUE key");
    }
    /* not when a rule already fired because of the foreign key itself: the
     * FK is then the reported problem, DG043 would only repeat it */
    bool fk_said = (gate_fired(c, 15) && ti->has_fk_cascade) ||
                   (gate_fired(c, 18) && ti->has_fk_parent) || gate_fired(c, 44) ||
                   gate_fired(c, 70) || gate_fired(c, 92);
    if ((ti->has_fk_child || ti->has_fk_parent) && !fk_said)
        gate_fire(c, 43, "the table is a foreign key %s", ti->has_fk_child ? "child" : "parent");
    if (ti->has_triggers)
        gate_fire(c, 45, "the table has triggers");
}

void gate_rules_alter(struct gate_ctx *c, struct gate_verdict *v)
{
    const struct sql_stmt *st = c->st;
    const struct sql_server *srv = &c->opts->server;
    const struct sql_alter *a = &st->alter;
    if (a->online && srv->flavour == SQL_FLAVOUR_MYSQL)
        gate_fire(c, 903, "ALTER ONLINE TABLE is MariaDB syntax");
    /* CHECK before MySQL 8.0.16 is parsed and ignored: nothing would run */
    bool only_check = a->nspecs > 0 && srv->flavour == SQL_FLAVOUR_MYSQL && srv->version < 80016;
    for (int i = 0; i < a->nspecs; i++)
        only_check &= a->specs[i].op == SQL_AOP_ADD_CHECK;
    if (only_check) {
        if (gate_fire(c, 17, "CHECK constraints are parsed and ignored before MySQL 8.0.16"))
            gate_fired(c, 17)->no_rewrite = true;
        return;
    }
    struct classify_result cr;
    classify_stmt(srv, st, c->ti, &cr);
    c->cr = &cr;
    v->algorithm = cr.best;
    v->lock_none = cr.best == SQL_ALG_NONE ? -1 : cr.lock_none;
    v->rebuild = cr.best == SQL_ALG_NONE ? -1 : cr.rebuild;
    if (cr.conservative && cr.why[0])
        snprintf(v->note, sizeof v->note, "%s", cr.why);
    for (int i = 0; i < a->nspecs; i++)
        gate_spec(c, i, &a->specs[i]);
    gate_twice(c);
    if (st->ddl == SQL_DDL_OPTIMIZE)
        gate_fire(c, 95, "OPTIMIZE TABLE rebuilds the table");
    if (cr.is_alter_like) {
        gate_clauses(c);
        gate_algorithm(c);
        gate_runtime(c);
    }
    c->cr = NULL;
}
