/*
 * gate_rules.c - the rules for everything but ALTER-like statements: OSC
 * tool statements (DG904), DML (DG008/DG081/DG082), CREATE TABLE, DROP,
 * RENAME, TRUNCATE, triggers, routines, table locks; and the column and
 * name checks shared with ALTER (DG062-DG068, DG073, DG075, DG076).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate_rules.h"

#define GATE_NAME_MAX 64       /* MySQL identifier limit */
#define GATE_TABLE_NAME_MAX 59 /* 64 minus gh-ost's "_" + "_gho" */

/* MySQL 8.0 reserved words (the (R) entries of the keyword list) plus the
 * MariaDB-only ones; sorted for bsearch. */
static const char *const gate_reserved[] = {
    "ACCESSIBLE",
    "ADD",
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ASENSITIVE",
    "BEFORE",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BLOB",
    "BOTH",
    "BY",
    "CALL",
    "CASCADE",
    "CASE",
    "CHANGE",
    "CHAR",
    "CHARACTER",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "CONDITION",
    "CONSTRAINT",
    "CONTINUE",
    "CONVERT",
    "CREATE",
    "CROSS",
    "CUBE",
    "CUME_DIST",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "CURSOR",
    "DATABASE",
    "DATABASES",
    "DAY_HOUR",
    "DAY_MICROSECOND",
    "DAY_MINUTE",
    "DAY_SECOND",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DELAYED",
    "DELETE",
    "DENSE_RANK",
    "DESC",
    "DESCRIBE",
    "DETERMINISTIC",
    "DISTINCT",
    "DISTINCTROW",
    "DIV",
    "DO_DOMAIN_IDS",
    "DOUBLE",
    "DROP",
    "DUAL",
    "EACH",
    "ELSE",
    "ELSEIF",
    "EMPTY",
    "ENCLOSED",
    "ESCAPED",
    "EXCEPT",
    "EXISTS",
    "EXIT",
    "EXPLAIN",
    "FALSE",
    "FETCH",
    "FIRST_VALUE",
    "FLOAT",
    "FLOAT4",
    "FLOAT8",
    "FOR",
    "FORCE",
    "FOREIGN",
    "FROM",
    "FULLTEXT",
    "FUNCTION",
    "GENERAL",
    "GENERATED",
    "GET",
    "GRANT",
    "GROUP",
    "GROUPING",
    "GROUPS",
    "HAVING",
    "HIGH_PRIORITY",
    "HOUR_MICROSECOND",
    "HOUR_MINUTE",
    "HOUR_SECOND",
    "IF",
    "IGNORE",
    "IGNORE_DOMAIN_IDS",
    "IGNORE_SERVER_IDS",
    "IN",
    "INDEX",
    "INFILE",
    "INNER",
    "INOUT",
    "INSENSITIVE",
    "INSERT",
    "INT",
    "INT1",
    "INT2",
    "INT3",
    "INT4",
    "INT8",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IO_AFTER_GTIDS",
    "IO_BEFORE_GTIDS",
    "IS",
    "ITERATE",
    "JOIN",
    "JSON_TABLE",
    "KEY",
    "KEYS",
    "KILL",
    "LAG",
    "LAST_VALUE",
    "LATERAL",
    "LEAD",
    "LEADING",
    "LEAVE",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LINEAR",
    "LINES",
    "LOAD",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOCK",
    "LONG",
    "LONGBLOB",
    "LONGTEXT",
    "LOOP",
    "LOW_PRIORITY",
    "MASTER_BIND",
    "MASTER_HEARTBEAT_PERIOD",
    "MASTER_SSL_VERIFY_SERVER_CERT",
    "MATCH",
    "MAXVALUE",
    "MEDIUMBLOB",
    "MEDIUMINT",
    "MEDIUMTEXT",
    "MIDDLEINT",
    "MINUTE_MICROSECOND",
    "MINUTE_SECOND",
    "MOD",
    "MODIFIES",
    "NATURAL",
    "NOT",
    "NO_WRITE_TO_BINLOG",
    "NTH_VALUE",
    "NTILE",
    "NULL",
    "NUMERIC",
    "OF",
    "OFFSET",
    "ON",
    "OPTIMIZE",
    "OPTIMIZER_COSTS",
    "OPTION",
    "OPTIONALLY",
    "OR",
    "ORDER",
    "OUT",
    "OUTER",
    "OUTFILE",
    "OVER",
    "PAGE_CHECKSUM",
    "PARSE_VCOL_EXPR",
    "PARTITION",
    "PERCENT_RANK",
    "POSITION",
    "PRECISION",
    "PRIMARY",
    "PROCEDURE",
    "PURGE",
    "RANGE",
    "RANK",
    "READ",
    "READS",
    "READ_WRITE",
    "REAL",
    "RECURSIVE",
    "REF_SYSTEM_ID",
    "REFERENCES",
    "REGEXP",
    "RELEASE",
    "RENAME",
    "REPEAT",
    "REPLACE",
    "REQUIRE",
    "RESIGNAL",
    "RESTRICT",
    "RETURN",
    "RETURNING",
    "REVOKE",
    "RIGHT",
    "RLIKE",
    "ROW",
    "ROWS",
    "ROW_NUMBER",
    "SCHEMA",
    "SCHEMAS",
    "SECOND_MICROSECOND",
    "SELECT",
    "SENSITIVE",
    "SEPARATOR",
    "SET",
    "SHOW",
    "SIGNAL",
    "SLOW",
    "SMALLINT",
    "SPATIAL",
    "SPECIFIC",
    "SQL",
    "SQLEXCEPTION",
    "SQLSTATE",
    "SQLWARNING",
    "SQL_BIG_RESULT",
    "SQL_CALC_FOUND_ROWS",
    "SQL_SMALL_RESULT",
    "SSL",
    "STARTING",
    "STATS_AUTO_RECALC",
    "STATS_PERSISTENT",
    "STATS_SAMPLE_PAGES",
    "STORED",
    "STRAIGHT_JOIN",
    "SYSTEM",
    "TABLE",
    "TERMINATED",
    "THEN",
    "TINYBLOB",
    "TINYINT",
    "TINYTEXT",
    "TO",
    "TRAILING",
    "TRIGGER",
    "TRUE",
    "UNDO",
    "UNION",
    "UNIQUE",
    "UNLOCK",
    "UNSIGNED",
    "UPDATE",
    "USAGE",
    "USE",
    "USING",
    "UTC_DATE",
    "UTC_TIME",
    "UTC_TIMESTAMP",
    "VALUES",
    "VARBINARY",
    "VARCHAR",
    "VARCHARACTER",
    "VARYING",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WHILE",
    "WINDOW",
    "WITH",
    "WRITE",
    "XOR",
    "YEAR_MONTH",
    "ZEROFILL",
};

static int gate_cmp_word(const void *k, const void *e)
{
    return strcasecmp((const char *)k, *(const char *const *)e);
}

bool gate_reserved_word(const char *w)
{
    return w && bsearch(w, gate_reserved, sizeof gate_reserved / sizeof gate_reserved[0],
                        sizeof gate_reserved[0], gate_cmp_word) != NULL;
}

/* ---- small text helpers (only on statements a rule already looks at) -- */

/* ASCII only, no locale table: this runs per byte on the DML path */
static inline bool gate_word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '$' || (unsigned char)ch >= 0x80;
}

static bool gate_ascii_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((a[i] | 0x20) != (b[i] | 0x20)) /* words compared are letters only */
            return false;
    return true;
}

/* Find `word` as a whole word in text[from, end), skipping quoted strings,
 * quoted identifiers and comments.  Returns the offset or -1. */
static long gate_find_word(const char *text, uint32_t from, uint32_t end, const char *word)
{
    size_t wl = strlen(word);
    for (uint32_t i = from; i < end; i++) {
        char ch = text[i];
        if (ch == '\'' || ch == '"' || ch == '`') {
            for (i++; i < end && text[i] != ch; i++)
                if (text[i] == '\\' && ch != '`')
                    i++;
            continue;
        }
        if (ch == '/' && i + 1 < end && text[i + 1] == '*' &&
            !(i + 2 < end && text[i + 2] == '!')) {
            for (i += 2; i + 1 < end && !(text[i] == '*' && text[i + 1] == '/'); i++)
                ;
            i++;
            continue;
        }
        if ((ch == '#' || (ch == '-' && i + 1 < end && text[i + 1] == '-'))) {
            while (i < end && text[i] != '\n')
                i++;
            continue;
        }
        if (!gate_word_char(ch))
            continue;
        uint32_t j = i; /* a whole word: compare it once, then skip it */
        while (j < end && gate_word_char(text[j]))
            j++;
        if (j - i == wl && gate_ascii_ieq(text + i, word, wl))
            return (long)i;
        i = j - 1;
    }
    return -1;
}

bool gate_text_word_after(const char *text, uint32_t from, uint32_t end, const char *word)
{
    return gate_find_word(text, from, end, word) >= 0;
}

/* the next word after position `from` (skipping spaces), into buf */
static void gate_next_word(const char *text, uint32_t from, uint32_t end, char *buf, size_t len)
{
    uint32_t i = from;
    while (i < end && !gate_word_char(text[i]))
        i++;
    size_t o = 0;
    while (i < end && gate_word_char(text[i]) && o + 1 < len)
        buf[o++] = text[i++];
    buf[o] = '\0';
}

/* ---- names and columns --------------------------------------------------- */

bool gate_charset_allowed(const char *cs)
{
    return strcasecmp(cs, "utf8mb4") == 0 || strcasecmp(cs, "binary") == 0 ||
           strncasecmp(cs, "utf8mb4_", 8) == 0;
}

static bool gate_has_upper(const char *s)
{
    for (; *s; s++)
        if (isupper((unsigned char)*s))
            return true;
    return false;
}

void gate_rules_table_name(struct gate_ctx *c, const char *name)
{
    if (!name)
        return;
    if (strlen(name) > GATE_TABLE_NAME_MAX)
        gate_fire(c, 76,
                  "table name %s has %zu characters (online schema change tools need at most %d)",
                  name, strlen(name), GATE_TABLE_NAME_MAX);
    if (gate_reserved_word(name))
        gate_fire(c, 67, "table name %s is a reserved word", name);
    if (gate_has_upper(name))
        gate_fire(c, 68, "table name %s has uppercase letters", name);
}

static bool gate_zero_date(const char *text, struct sql_span sp)
{
    /* 'YYYY-MM-DD[ ...]': zero date or a zero month/day */
    int part[3] = {0, 0, 0}, k = 0;
    bool digits = false;
    for (uint32_t i = 0; i < sp.len && k < 3; i++) {
        char ch = text[sp.off + i];
        if (isdigit((unsigned char)ch)) {
            if (part[k] < 100000) /* years/months/days are short: no overflow */
                part[k] = part[k] * 10 + (ch - '0');
            digits = true;
        } else if (digits && (ch == '-' || ch == ' ' || ch == '\'')) {
            k++;
            digits = false;
            if (ch != '-')
                break;
        }
    }
    return k >= 2 && (part[1] == 0 || part[2] == 0);
}

static bool gate_is_int(const char *t)
{
    static const char *const ints[] = {"TINYINT", "SMALLINT", "MEDIUMINT",
                                       "INT",     "INTEGER",  "BIGINT"};
    for (size_t i = 0; t && i < sizeof ints / sizeof ints[0]; i++)
        if (strcasecmp(t, ints[i]) == 0)
            return true;
    return false;
}

void gate_rules_coldef(struct gate_ctx *c, const struct sql_coldef *col, bool is_new)
{
    const struct sql_server *srv = &c->opts->server;
    const char *t = col->type;
    const char *name = col->name ? col->name : "?";
    if (col->charset && !gate_charset_allowed(col->charset))
        gate_fire(c, 62, "column %s uses character set %s", name, col->charset);
    else if (col->collation && !gate_charset_allowed(col->collation))
        gate_fire(c, 62, "column %s uses collation %s", name, col->collation);
    if (col->auto_increment && t &&
        !((strcasecmp(t, "INT") == 0 || strcasecmp(t, "BIGINT") == 0) && col->is_unsigned))
        gate_fire(c, 64, "AUTO_INCREMENT column %s is %s%s", name, t,
                  col->is_unsigned ? " UNSIGNED" : "");
    if (t && gate_is_int(t) && col->length >= 0 && !col->zerofill &&
        !(strcasecmp(t, "TINYINT") == 0 && col->length == 1))
        gate_fire(c, 65, "column %s is %s(%lld)", name, t, (long long)col->length);
    if (t && col->default_kind == SQL_DEFAULT_LITERAL &&
        (strcasecmp(t, "DATE") == 0 || strcasecmp(t, "DATETIME") == 0 ||
         strcasecmp(t, "TIMESTAMP") == 0) &&
        gate_zero_date(c->text, col->default_span))
        gate_fire(c, 66, "column %s has a zero date default", name);
    if (t &&
        (strcasecmp(t, "FLOAT") == 0 || strcasecmp(t, "DOUBLE") == 0 ||
         strcasecmp(t, "ENUM") == 0 || strcasecmp(t, "SET") == 0 || strcasecmp(t, "TIME") == 0 ||
         strcasecmp(t, "DATETIME") == 0 || strcasecmp(t, "TIMESTAMP") == 0))
        gate_fire(c, 73, "column %s is %s", name, t);
    bool refs_ignored = srv->flavour == SQL_FLAVOUR_MARIADB || srv->version < 90000;
    if (col->references && refs_ignored)
        gate_fire(c, 75, "column-level REFERENCES on %s is ignored by this server", name);
    if (col->references)
        gate_fire(c, 69, "declares a foreign key");
    if (!is_new || !col->name)
        return;
    if (strlen(col->name) > GATE_NAME_MAX)
        gate_fire(c, 76, "column name %s is longer than %d characters", col->name, GATE_NAME_MAX);
    if (gate_reserved_word(col->name))
        gate_fire(c, 67, "column name %s is a reserved word", col->name);
    if (gate_has_upper(col->name))
        gate_fire(c, 68, "column name %s has uppercase letters", col->name);
}

/* DG070: the referenced column must lead a unique key of the parent */
void gate_rules_fk_parent(struct gate_ctx *c, const struct sql_alter_spec *s)
{
    if (!c->tables || !c->tables->lookup || !s->index.ref_table.name || !gate_on(c, 70))
        return;
    const char *schema = s->index.ref_table.schema ? s->index.ref_table.schema : c->schema;
    const struct gate_table_info *p =
        c->tables->lookup(c->tables->ctx, schema, s->index.ref_table.name);
    if (!p)
        return;
    long at = gate_find_word(c->text, s->span.off, s->span.off + s->span.len, "REFERENCES");
    if (at < 0)
        return;
    uint32_t i = (uint32_t)at, end = s->span.off + s->span.len;
    while (i < end && c->text[i] != '(')
        i++;
    char ref[GATE_NAME_MAX + 1];
    gate_next_word(c->text, i, end, ref, sizeof ref);
    const struct gate_column_info *pc = gate_column(p, ref);
    if (pc && !pc->unique_lead)
        gate_fire(c, 70, "the referenced column %s.%s does not lead a PRIMARY or UNIQUE key",
                  s->index.ref_table.name, ref);
}

/* ---- DG904 ----------------------------------------------------------------- */

static bool gate_shadow_table(const char *n)
{
    static const char *const suffix[] = {"_gho", "_ghc", "_del", "_new", "_old"};
    size_t l = strlen(n);
    if (strncmp(n, "_vt_", 4) == 0)
        return true;
    if (n[0] != '_' || l < 6)
        return false;
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++)
        if (strcmp(n + l - 4, suffix[i]) == 0)
            return true;
    return false;
}

bool gate_rules_osc(struct gate_ctx *c)
{
    const struct sql_stmt *st = c->st;
    const char *why = NULL;
    if (st->osc_marker)
        why = "carries an online schema change tool marker";
    for (int i = 0; !why && i < st->ntables; i++)
        if (st->tables[i].name.name && gate_shadow_table(st->tables[i].name.name))
            why = "touches an online schema change shadow table";
    if (!why && (st->ddl == SQL_DDL_CREATE_TRIGGER || st->ddl == SQL_DDL_DROP_TRIGGER)) {
        /* pt-osc names its triggers pt_osc_<db>_<table>_<op> */
        for (uint32_t i = st->span.off; i + 7 <= st->span.off + st->span.len; i++) {
            if (strncasecmp(c->text + i, "pt_osc_", 7) == 0) {
                why = "creates or drops a pt-online-schema-change trigger";
                break;
            }
        }
    }
    return why && gate_fire(c, 904, "%s", why);
}

/* ---- DML ------------------------------------------------------------------- */

/* A WHERE that pins the key: a top-level conjunct `key = x`, `key <=> x`,
 * `key IN (...)` or `key BETWEEN a AND b` with no OR joining the top-level
 * conditions (the parser marks those columns: sql_column_ref.where_pin).
 * The key is the table's key columns when known, else a column named id. */
static bool gate_where_bounded(struct gate_ctx *c)
{
    const struct sql_stmt *st = c->st;
    const struct gate_table_info *ti = NULL;
    bool looked = false;
    for (int i = 0; i < st->ncolumns; i++) {
        const struct sql_column_ref *r = &st->columns[i];
        if (!r->where_pin || !r->name)
            continue;
        if (!looked && c->tables && c->tables->lookup && c->table) {
            ti = c->tables->lookup(c->tables->ctx, c->schema, c->table);
            looked = true;
        }
        if (!ti || ti->nkey_cols == 0) {
            if (strcasecmp(r->name, "id") == 0)
                return true;
            continue;
        }
        for (int k = 0; k < ti->nkey_cols; k++)
            if (ti->key_cols[k] && strcasecmp(ti->key_cols[k], r->name) == 0)
                return true;
    }
    return false;
}

void gate_rules_dml(struct gate_ctx *c)
{
    const struct sql_stmt *st = c->st;
    if (st->kind == SQL_KIND_INSERT || st->kind == SQL_KIND_REPLACE) {
        if (st->insert_select)
            gate_fire(c, 82, "%s ... SELECT locks the source rows while it copies",
                      st->kind == SQL_KIND_INSERT ? "INSERT" : "REPLACE");
        return;
    }
    const char *verb = st->kind == SQL_KIND_UPDATE ? "UPDATE" : "DELETE";
    if (!st->has_where || st->where_trivial) {
        gate_fire(c, 8, "%s touches every row in one transaction", verb);
        return;
    }
    if (!st->has_limit && gate_on(c, 81) && !gate_where_bounded(c))
        gate_fire(c, 81, "%s has no LIMIT and its WHERE is not a key equality or key range", verb);
}

/* ---- CREATE TABLE ------------------------------------------------------------- */

static bool gate_index_prefix(const struct sql_index *a, const struct sql_index *b)
{
    if (a->ncols == 0 || a->ncols > b->ncols || a->has_expression || b->has_expression ||
        a->has_prefix || b->has_prefix)
        return false;
    for (int i = 0; i < a->ncols; i++)
        if (!a->cols[i] || !b->cols[i] || strcasecmp(a->cols[i], b->cols[i]) != 0)
            return false;
    return true;
}

static bool gate_btree_kind(enum sql_index_kind k)
{
    return k == SQL_INDEX_PLAIN || k == SQL_INDEX_UNIQUE || k == SQL_INDEX_PRIMARY;
}

static void gate_dup_index(struct gate_ctx *c, const struct sql_create_table *ct)
{
    for (int i = 0; i < ct->nindexes; i++) {
        const struct sql_index *a = &ct->indexes[i];
        if (a->kind != SQL_INDEX_PLAIN)
            continue;
        for (int j = 0; j < ct->nindexes; j++) {
            const struct sql_index *b = &ct->indexes[j];
            if (i == j || !gate_btree_kind(b->kind) || !gate_index_prefix(a, b))
                continue;
            if (a->ncols == b->ncols && b->kind == SQL_INDEX_PLAIN && j > i)
                continue; /* report an exact duplicate once, on the later one */
            gate_fire(c, 61, "index %s duplicates a prefix of %s", a->name ? a->name : "(unnamed)",
                      b->name                        ? b->name
                      : b->kind == SQL_INDEX_PRIMARY ? "PRIMARY"
                                                     : "(unnamed)");
            return;
        }
        for (int k = 0; a->ncols == 1 && a->cols[0] && k < ct->ncols; k++)
            if ((ct->cols[k].primary_key || ct->cols[k].unique_key) &&
                strcasecmp(ct->cols[k].name, a->cols[0]) == 0)
                gate_fire(c, 61, "index %s duplicates the key of column %s",
                          a->name ? a->name : "(unnamed)", a->cols[0]);
    }
}

static void gate_create_table(struct gate_ctx *c)
{
    const struct sql_stmt *st = c->st;
    const struct sql_create_table *ct = &st->create;
    gate_rules_table_name(c, c->table);
    if (ct->or_replace && !ct->temporary) /* MariaDB: a DROP TABLE first */
        gate_fire(c, 5, "CREATE OR REPLACE drops the table %s if it exists",
                  c->table ? c->table : "");
    if (ct->like)
        return; /* copies the definition of an existing table */
    if (!ct->has_primary_key && !ct->temporary)
        gate_fire(c, 60, "the table has no PRIMARY KEY");
    if (ct->as_select)
        gate_fire(c, 82, "CREATE TABLE ... SELECT locks the source rows while it copies");
    if (ct->engine && strcasecmp(ct->engine, "InnoDB") != 0)
        gate_fire(c, 63, "ENGINE=%s", ct->engine);
    if (ct->charset && !gate_charset_allowed(ct->charset))
        gate_fire(c, 62, "table character set %s", ct->charset);
    else if (ct->collation && !gate_charset_allowed(ct->collation))
        gate_fire(c, 62, "table collation %s", ct->collation);
    for (int i = 0; i < ct->ncols; i++)
        gate_rules_coldef(c, &ct->cols[i], true);
    for (int i = 0; i < ct->nindexes; i++)
        if (ct->indexes[i].kind == SQL_INDEX_FOREIGN)
            gate_fire(c, 69, "declares a FOREIGN KEY");
    gate_dup_index(c, ct);
}

/* ---- other DDL ----------------------------------------------------------------- */

static void gate_definer(struct gate_ctx *c)
{
    const struct sql_stmt *st = c->st;
    uint32_t end = st->span.off + st->span.len;
    long d = gate_find_word(c->text, st->span.off, end, "DEFINER");
    if (d < 0)
        return;
    uint32_t p = (uint32_t)d + 7;
    while (p < end && (c->text[p] == ' ' || c->text[p] == '='))
        p++;
    char who[80];
    gate_next_word(c->text, p > 0 ? p - 1 : p, end, who, sizeof who);
    if (strcasecmp(who, "CURRENT_USER") != 0)
        gate_fire(c, 71, "DEFINER is %s", who[0] ? who : "set");
}

static void gate_flush(struct gate_ctx *c)
{
    const struct sql_stmt *st = c->st;
    uint32_t end = st->span.off + st->span.len;
    if (st->flush_with_read_lock) {
        gate_fire(c, 33, "FLUSH TABLES WITH READ LOCK blocks every write on the server");
        return;
    }
    long f = gate_find_word(c->text, st->span.off, end, "FLUSH");
    char w[32];
    if (f < 0)
        return;
    gate_next_word(c->text, (uint32_t)f + 5, end, w, sizeof w);
    if (strcasecmp(w, "LOCAL") == 0 || strcasecmp(w, "NO_WRITE_TO_BINLOG") == 0) {
        long at = gate_find_word(c->text, (uint32_t)f + 5, end, w);
        gate_next_word(c->text, (uint32_t)at + (uint32_t)strlen(w), end, w, sizeof w);
    }
    if (strcasecmp(w, "TABLES") == 0 || strcasecmp(w, "TABLE") == 0)
        gate_fire(c, 33, "FLUSH TABLES waits for every running query on the tables");
}

static void gate_drop_routine(struct gate_ctx *c)
{
    const struct sql_stmt *st = c->st;
    uint32_t end = st->span.off + st->span.len;
    long d = gate_find_word(c->text, st->span.off, end, "DROP");
    char w[32];
    if (d < 0)
        return;
    gate_next_word(c->text, (uint32_t)d + 4, end, w, sizeof w);
    if (strcasecmp(w, "PROCEDURE") == 0 || strcasecmp(w, "FUNCTION") == 0)
        gate_fire(c, 55, "drops a stored %s",
                  strcasecmp(w, "PROCEDURE") == 0 ? "procedure" : "function");
}

void gate_rules_ddl(struct gate_ctx *c, struct gate_verdict *v)
{
    const struct sql_stmt *st = c->st;
    const struct sql_server *srv = &c->opts->server;
    switch (st->ddl) {
    case SQL_DDL_ALTER_TABLE:
    case SQL_DDL_CREATE_INDEX:
    case SQL_DDL_DROP_INDEX:
    case SQL_DDL_OPTIMIZE:
        gate_rules_alter(c, v);
        break;
    case SQL_DDL_CREATE_TABLE:
        gate_create_table(c);
        break;
    case SQL_DDL_DROP_TABLE:
        if (!st->temporary)
            gate_fire(c, 5, "drops %d table(s)", st->ntables > 0 ? st->ntables : 1);
        if (!st->temporary && c->ti && gate_table_size_limit() &&
            c->ti->size_bytes > gate_table_size_limit())
            gate_fire(c, 4, "the table holds %llu MiB",
                      (unsigned long long)(c->ti->size_bytes >> 20));
        break;
    case SQL_DDL_RENAME_TABLE:
        gate_fire(c, 93, "renames %d table(s)", st->ntables > 1 ? st->ntables / 2 : 1);
        break;
    case SQL_DDL_TRUNCATE:
        gate_fire(c, 7, "TRUNCATE drops and recreates the table under an exclusive metadata lock");
        break;
    case SQL_DDL_ANALYZE:
        if (srv->flavour == SQL_FLAVOUR_MYSQL && srv->version < 80024)
            gate_fire(c, 34, "ANALYZE TABLE flushes the table on MySQL before 8.0.24");
        break;
    case SQL_DDL_CREATE_TRIGGER:
        gate_definer(c);
        /* fall through */
    case SQL_DDL_DROP_TRIGGER:
        gate_fire(c, 35, "trigger DDL takes an exclusive metadata lock on the table");
        break;
    case SQL_DDL_LOCK_TABLES:
        gate_fire(c, 33, "LOCK TABLES from an application session");
        break;
    case SQL_DDL_FLUSH:
        gate_flush(c);
        break;
    case SQL_DDL_DROP_DATABASE:
        gate_fire(c, 90, "drops a whole database");
        break;
    case SQL_DDL_DROP_ROUTINE:
        gate_drop_routine(c);
        break;
    case SQL_DDL_CREATE_ROUTINE:
    case SQL_DDL_CREATE_VIEW:
        gate_definer(c);
        break;
    default:
        break;
    }
}

/* DG901: the version of the first executable comment (/x!NNNNN, /x!, or
 * MariaDB /xM!NNNNNN) in text[off, end), skipping quotes; 0 = none, and a
 * comment without a version reports 1.  `ddl_only` requires the comment's
 * content to start with a DDL keyword (a statement the server dropped). */
unsigned gate_exec_comment(const char *text, uint32_t off, uint32_t end, bool ddl_only)
{
    static const char *const kw[] = {"ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE"};
    for (uint32_t i = off; i + 3 < end; i++) {
        char ch = text[i];
        if (ch == '\'' || ch == '"' || ch == '`') {
            for (i++; i < end && text[i] != ch; i++)
                if (text[i] == '\\' && ch != '`')
                    i++;
            continue;
        }
        if (ch != '/' || text[i + 1] != '*')
            continue;
        uint32_t p = i + 2;
        if (p < end && text[p] == 'M')
            p++;
        if (p >= end || text[p] != '!')
            continue;
        p++;
        unsigned v = 0;
        while (p < end && text[p] >= '0' && text[p] <= '9')
            v = v * 10 + (unsigned)(text[p++] - '0');
        while (p < end && isspace((unsigned char)text[p]))
            p++;
        if (!ddl_only)
            return v ? v : 1;
        for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
            if (end - p > strlen(kw[k]) && strncasecmp(text + p, kw[k], strlen(kw[k])) == 0)
                return v ? v : 1;
    }
    return 0;
}
