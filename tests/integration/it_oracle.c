/*
 * it_oracle.c - asks a real MariaDB which ALGORITHM/LOCK it accepts for
 * every MariaDB row of tests/data/ddl-cases.tsv and compares with
 * classify_stmt() for the same server.
 *
 *   it_oracle REPO_ROOT            (MARIADB_HOST/PORT/USER from the env;
 *                                    defaults 127.0.0.1:3306 root)
 *
 * Per row: a scratch database with the table the statement needs (derived
 * from the statement and tests/data/classify-facts.tsv, or given verbatim
 * in tests/data/oracle-setup.tsv), recreated before every attempt.  The
 * attempts are ALGORITHM=X, LOCK=NONE then ALGORITHM=X for X = INSTANT,
 * NOCOPY, INPLACE, COPY; the first success gives best/lock_none, and the
 * InnoDB table ids before/after tell whether the table was rebuilt.  The
 * classifier gets the table facts read back from information_schema, as
 * the proxy's monitor would.  Exit status 1 on any disagreement or setup
 * failure.
 */
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"
#include "gate.h"
#include "sql.h"
#include "../unit/classify_facts.h"

#define DB "oracle_h2"
#define MAX_SQL 8192

static MYSQL *g_conn;
static int g_verbose;

static bool q(const char *fmt, ...)
{
    char sql[MAX_SQL];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (mysql_query(g_conn, sql) != 0) {
        if (g_verbose)
            fprintf(stderr, "  sql error %u %s: %s\n", mysql_errno(g_conn), mysql_error(g_conn),
                    sql);
        return false;
    }
    MYSQL_RES *res = mysql_store_result(g_conn);
    if (res)
        mysql_free_result(res);
    while (mysql_next_result(g_conn) == 0) {
        res = mysql_store_result(g_conn);
        if (res)
            mysql_free_result(res);
    }
    return true;
}

/* "name=id,name=id" of every InnoDB table/partition in the scratch db */
static void table_ids(char *out, size_t outsz)
{
    out[0] = '\0';
    if (mysql_query(g_conn, "SELECT NAME, TABLE_ID FROM information_schema.INNODB_SYS_TABLES "
                            "WHERE NAME LIKE '" DB "/%' ORDER BY NAME") != 0)
        return;
    MYSQL_RES *res = mysql_store_result(g_conn);
    MYSQL_ROW row;
    size_t used = 0;
    while (res && (row = mysql_fetch_row(res)) != NULL) {
        int n = snprintf(out + used, outsz - used, "%s=%s,", row[0], row[1]);
        if (n < 0 || (size_t)n >= outsz - used)
            break;
        used += (size_t)n;
    }
    if (res)
        mysql_free_result(res);
}

/* Rebuilt: an old table id disappeared and a new one appeared (a rename
 * keeps the id, DROP PARTITION only loses one, ADD PARTITION only adds). */
static bool rebuilt(const char *before, const char *after)
{
    bool lost = false, gained = false;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", before);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char needle[64];
        snprintf(needle, sizeof needle, "=%s,", strchr(tok, '=') ? strchr(tok, '=') + 1 : tok);
        if (strstr(after, needle) == NULL)
            lost = true;
    }
    snprintf(buf, sizeof buf, "%s", after);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char needle[64];
        snprintf(needle, sizeof needle, "=%s,", strchr(tok, '=') ? strchr(tok, '=') + 1 : tok);
        if (strstr(before, needle) == NULL)
            gained = true;
    }
    return lost && gained;
}

/* ---- setup ---------------------------------------------------------------- */

static bool setup_lookup(const char *root, const char *id, char *out, size_t outsz)
{
    char path[1024], line[MAX_SQL];
    snprintf(path, sizeof path, "%s/tests/data/oracle-setup.tsv", root);
    FILE *fp = fopen(path, "r");
    bool found = false;
    while (fp && !found && fgets(line, sizeof line, fp)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        if (strcmp(line, id) == 0) {
            snprintf(out, outsz, "%s", tab + 1);
            found = true;
        }
    }
    if (fp)
        fclose(fp);
    return found;
}

static bool has_col(const char *cols, const char *name)
{
    char needle[128];
    snprintf(needle, sizeof needle, "`%s` ", name);
    return strcasestr(cols, needle) != NULL;
}

/* plain (non-generated) columns of the derived table, filled with data */
static const char *g_fill[32];
static int g_nfill;
/* indexes the statement drops or renames, and their made-up columns */
static char g_keys[8][256];
static int g_nkeys;
static char g_names[8][96];
static int g_nnames;

static void add_col(char *cols, size_t sz, const char *name, const char *def)
{
    if (name == NULL || has_col(cols, name))
        return;
    size_t used = strlen(cols);
    snprintf(cols + used, sz - used, ", `%s` %s", name, def);
    if (strstr(def, " AS (") == NULL && g_nfill < 32)
        g_fill[g_nfill++] = name;
}

/* Is `name` a column the statement itself adds? */
static bool added_by(const struct sql_stmt *st, const char *name)
{
    for (int i = 0; i < st->alter.nspecs; i++)
        if (st->alter.specs[i].op == SQL_AOP_ADD_COLUMN && name && st->alter.specs[i].col.name &&
            strcasecmp(st->alter.specs[i].col.name, name) == 0)
            return true;
    return name == NULL;
}

/* CREATE TABLE from the facts plus every column the statement mentions. */
static void derive_setup(const struct cf_facts *f, const struct sql_stmt *st, const char *table,
                         char *out, size_t outsz)
{
    char cols[4096];
    bool pk = f->t.has_primary_key;
    /* a PK that gets dropped cannot hold the AUTO_INCREMENT column */
    bool drops_pk = false;
    for (int i = 0; i < st->alter.nspecs; i++)
        drops_pk |= st->alter.specs[i].op == SQL_AOP_DROP_PRIMARY_KEY;
    snprintf(cols, sizeof cols, "`id` INT NOT NULL%s ", pk && !drops_pk ? " AUTO_INCREMENT" : "");
    g_nfill = 0;
    g_nkeys = 0;
    g_nnames = 0;
    for (int i = 1; i < f->t.ncols; i++) {
        const struct gate_column_info *c = &f->cols[i];
        char def[256];
        char type[64];
        snprintf(type, sizeof type, "%s", f->src[i].type);
        if (c->nvalues > 0) { /* ENUM(red|green) -> ENUM('red','green') */
            size_t u = (size_t)snprintf(type, sizeof type, "%s(", c->type);
            for (int k = 0; k < c->nvalues && u < sizeof type; k++)
                u += (size_t)snprintf(type + u, sizeof type - u, "%s'%s'", k ? "," : "",
                                      c->values[k]);
            if (u < sizeof type - 1)
                snprintf(type + u, sizeof type - u, ")");
        }
        snprintf(def, sizeof def, "%s%s%s%s%s%s", type, c->is_unsigned ? " UNSIGNED" : "",
                 f->src[i].charset[0] ? " CHARACTER SET " : "", f->src[i].charset,
                 c->is_virtual            ? " AS (0) VIRTUAL"
                 : c->is_stored_generated ? " AS (0) STORED"
                                          : "",
                 c->is_virtual || c->is_stored_generated ? ""
                 : c->nullable                           ? " NULL"
                                                         : " NOT NULL");
        add_col(cols, sizeof cols, c->name, def);
    }
    const struct sql_alter *a = &st->alter;
    for (int i = 0; i < a->nspecs; i++) {
        const struct sql_alter_spec *sp = &a->specs[i];
        switch (sp->op) {
        case SQL_AOP_MODIFY_COLUMN:
            add_col(cols, sizeof cols, sp->col.name, "VARCHAR(50) NULL");
            break;
        case SQL_AOP_CHANGE_COLUMN:
        case SQL_AOP_RENAME_COLUMN:
        case SQL_AOP_DROP_COLUMN:
        case SQL_AOP_SET_DEFAULT:
        case SQL_AOP_DROP_DEFAULT:
            add_col(cols, sizeof cols, sp->old_name, "VARCHAR(50) NULL");
            break;
        case SQL_AOP_DROP_INDEX:
        case SQL_AOP_RENAME_INDEX:
            if (sp->old_name && strcasecmp(sp->old_name, "PRIMARY") != 0) {
                char cname[96];
                snprintf(cname, sizeof cname, "%s_c", sp->old_name);
                snprintf(g_keys[g_nkeys % 8], sizeof g_keys[0], ", KEY `%s` (`%s`)", sp->old_name,
                         cname);
                g_nkeys++;
                snprintf(g_names[g_nnames % 8], sizeof g_names[0], "%s", cname);
                add_col(cols, sizeof cols, g_names[g_nnames++ % 8], "VARCHAR(50) NULL");
            }
            break;
        case SQL_AOP_ADD_PRIMARY_KEY:
        case SQL_AOP_ADD_INDEX:
        case SQL_AOP_ADD_FOREIGN_KEY:
            for (int k = 0; k < sp->index.ncols; k++)
                if (!added_by(st, sp->index.cols[k]))
                    add_col(cols, sizeof cols, sp->index.cols[k],
                            sp->index.kind == SQL_INDEX_FOREIGN ? "INT NULL" : "VARCHAR(50) NULL");
            break;
        default:
            break;
        }
        if (sp->col.pos == SQL_POS_AFTER)
            add_col(cols, sizeof cols, sp->col.after, "VARCHAR(50) NULL");
    }
    size_t used = strlen(cols);
    if (f->t.has_fulltext)
        used += (size_t)snprintf(cols + used, sizeof cols - used,
                                 ", `ft_doc` TEXT, FULLTEXT KEY `ft_doc` (`ft_doc`)");
    if (pk)
        snprintf(cols + used, sizeof cols - used, ", PRIMARY KEY (`id`)");
    for (int i = 0; i < g_nkeys && i < 8; i++) {
        used = strlen(cols);
        snprintf(cols + used, sizeof cols - used, "%s", g_keys[i]);
    }
    for (int i = 1; i < f->t.ncols; i++)
        if (f->cols[i].in_index) {
            used = strlen(cols);
            snprintf(cols + used, sizeof cols - used, ", KEY `idx_%s` (`%s`)", f->cols[i].name,
                     f->cols[i].name);
        }
    /* three rows; every plain column gets a non-NULL value (sql_mode='')
     * so NOT NULL conversions have data that satisfies them */
    char fill[1024] = "";
    size_t u = 0;
    for (int i = 0; i < g_nfill && u + 80 < sizeof fill; i++)
        u += (size_t)snprintf(fill + u, sizeof fill - u, "%s`%s` = `id`", u ? ", " : "", g_fill[i]);
    snprintf(out, outsz,
             "CREATE TABLE `%s` (%s) ENGINE=InnoDB ROW_FORMAT=%s DEFAULT CHARSET=%s; "
             "INSERT IGNORE INTO `%s` (`id`) VALUES (1),(2),(3)%s%s%s%s",
             table, cols, f->t.row_format, f->t.default_charset ? f->t.default_charset : "utf8mb4",
             table, fill[0] ? "; UPDATE IGNORE `" : "", fill[0] ? table : "",
             fill[0] ? "` SET " : "", fill);
}

/* Run the ';'-separated setup in a fresh scratch database. */
static bool run_setup(const char *setup)
{
    if (!q("DROP DATABASE IF EXISTS " DB) || !q("CREATE DATABASE " DB) || !q("USE " DB))
        return false;
    q("SET SESSION sql_mode=''");
    bool ok = q("%s", setup);
    q("SET SESSION sql_mode=DEFAULT");
    q("SET SESSION foreign_key_checks=1");
    return ok;
}

/* ---- table facts from information_schema (what the monitor would give) ---- */

struct live_facts {
    struct cf_facts f;
    const char *key_cols[8];
    char strings[8192];
    size_t used;
};

static const char *keep(struct live_facts *l, const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    if (l->used + n > sizeof l->strings)
        return "";
    char *p = l->strings + l->used;
    memcpy(p, s ? s : "", n);
    l->used += n;
    return p;
}

static MYSQL_RES *sel(const char *fmt, const char *table)
{
    char sql[2048];
    snprintf(sql, sizeof sql, fmt, table);
    if (mysql_query(g_conn, sql) != 0)
        return NULL;
    return mysql_store_result(g_conn);
}

static void live_load(const char *table, struct live_facts *l)
{
    memset(l, 0, sizeof *l);
    struct gate_table_info *t = &l->f.t;
    t->schema = DB;
    t->name = keep(l, table);
    t->cols = l->f.cols;
    t->fk_names = l->f.fk_names;
    MYSQL_RES *r = sel(
        "SELECT ENGINE, ROW_FORMAT, CREATE_OPTIONS, TABLE_COLLATION FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA='" DB "' AND TABLE_NAME='%s'",
        table);
    MYSQL_ROW row;
    if (r && (row = mysql_fetch_row(r))) {
        t->engine = keep(l, row[0]);
        t->row_format = keep(l, row[1] ? row[1] : "DYNAMIC");
        t->is_partitioned = row[2] && strstr(row[2], "partitioned");
        /* the collation's charset prefix (latin1_swedish_ci -> latin1) */
        char cs[64];
        snprintf(cs, sizeof cs, "%s", row[3] ? row[3] : "");
        cs[strcspn(cs, "_")] = '\0';
        t->default_charset = cs[0] ? keep(l, cs) : NULL;
    }
    if (r)
        mysql_free_result(r);
    r = sel("SELECT COLUMN_NAME, UPPER(DATA_TYPE), CHARACTER_MAXIMUM_LENGTH, CHARACTER_SET_NAME, "
            "IS_NULLABLE, "
            "EXTRA, COLUMN_TYPE, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='" DB
            "' AND TABLE_NAME='%s' ORDER BY ORDINAL_POSITION",
            table);
    while (r && (row = mysql_fetch_row(r)) && t->ncols < CF_MAX_COLS) {
        int i = t->ncols++;
        struct gate_column_info *c = &l->f.cols[i];
        c->name = keep(l, row[0]);
        c->type = keep(l, row[1]);
        bool strish = strstr(row[1], "CHAR") != NULL || strstr(row[1], "BINARY") != NULL;
        c->length = row[2] && strish ? strtoll(row[2], NULL, 10) : -1;
        c->charset = row[3] ? keep(l, row[3]) : NULL;
        c->max_bytes_per_char = cf_charset_bytes(c->charset);
        c->nullable = strcmp(row[4], "YES") == 0;
        c->is_virtual = strstr(row[5], "VIRTUAL") != NULL;
        c->is_stored_generated =
            strstr(row[5], "STORED") != NULL || strstr(row[5], "PERSISTENT") != NULL;
        c->auto_increment = strstr(row[5], "auto_increment") != NULL;
        c->is_unsigned = strstr(row[6], "unsigned") != NULL;
        c->in_index = row[7] && row[7][0] != '\0';
        if (strcmp(row[1], "ENUM") == 0 || strcmp(row[1], "SET") == 0) {
            /* enum('a','b') -> members (simple quoting only) */
            const char *p = strchr(row[6], '(');
            while (p && c->nvalues < CF_MAX_VALS) {
                const char *s = strchr(p, '\''), *e = s ? strchr(s + 1, '\'') : NULL;
                if (!s || !e)
                    break;
                char tmp[128];
                snprintf(tmp, sizeof tmp, "%.*s", (int)(e - s - 1), s + 1);
                l->f.vals[i][c->nvalues++] = keep(l, tmp);
                p = e + 1;
            }
            c->values = l->f.vals[i];
        }
    }
    if (r)
        mysql_free_result(r);
    r = sel(
        "SELECT INDEX_NAME, INDEX_TYPE, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA='" DB "' AND TABLE_NAME='%s'",
        table);
    while (r && (row = mysql_fetch_row(r))) {
        if (strcmp(row[0], "PRIMARY") == 0) {
            t->has_primary_key = true;
            if (t->nkey_cols < 8)
                l->key_cols[t->nkey_cols++] = keep(l, row[3]);
            t->key_cols = l->key_cols;
        }
        if (strcmp(row[1], "FULLTEXT") == 0)
            t->has_fulltext = true;
        for (int i = 0; i < t->ncols; i++)
            if (strcasecmp(l->f.cols[i].name, row[3]) == 0) {
                l->f.cols[i].in_index = true;
                if (strcmp(row[2], "0") == 0 && !l->f.cols[i].nullable)
                    t->has_not_null_unique |= strcmp(row[0], "PRIMARY") != 0;
            }
    }
    if (r)
        mysql_free_result(r);
    r = sel("SELECT CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE FROM "
            "information_schema.REFERENTIAL_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA='" DB "' AND TABLE_NAME='%s'",
            table);
    while (r && (row = mysql_fetch_row(r))) {
        t->has_fk_child = true;
        if (strstr(row[1], "CASCADE") || strstr(row[1], "SET") || strstr(row[2], "CASCADE") ||
            strstr(row[2], "SET"))
            t->has_fk_cascade = true;
        if (t->nfk_names < 4)
            l->f.fk_names[t->nfk_names++] = keep(l, row[0]);
    }
    if (r)
        mysql_free_result(r);
    r = sel("SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA='" DB
            "' AND REFERENCED_TABLE_NAME='%s'",
            table);
    if (r && mysql_fetch_row(r))
        t->has_fk_parent = true;
    if (r)
        mysql_free_result(r);
}

/* ---- probing --------------------------------------------------------------- */

struct probe {
    bool ran; /* some attempt succeeded */
    enum sql_algorithm best;
    bool lock_none, rebuild;
    bool clause_refused; /* every ALGORITHM/LOCK form refused, plain ran */
    char log[1024];
};

static void plog(struct probe *p, const char *fmt, ...)
{
    size_t used = strlen(p->log);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->log + used, sizeof p->log - used, fmt, ap);
    va_end(ap);
}

/* Statement text without its ALGORITHM/LOCK clauses and ONLINE keyword. */
static void strip_clauses(const char *text, const struct sql_stmt *st, char *out, size_t outsz)
{
    const struct sql_span *spans[2] = {&st->alter.algorithm_span, &st->alter.lock_span};
    char *kill = calloc(strlen(text) + 1, 1);
    size_t len = strlen(text);
    for (int k = 0; k < 2 && kill; k++) {
        const struct sql_span *s = spans[k];
        if (s->len == 0)
            continue;
        uint32_t b = s->off, e = s->off + s->len;
        /* take a separating comma with it: before, else after */
        uint32_t p = b;
        while (p > 0 && (text[p - 1] == ' ' || text[p - 1] == '\t'))
            p--;
        if (p > 0 && text[p - 1] == ',') {
            b = p - 1;
        } else {
            uint32_t n = e;
            while (n < len && (text[n] == ' ' || text[n] == '\t'))
                n++;
            if (n < len && text[n] == ',')
                e = n + 1;
        }
        memset(kill + b, 1, e - b);
    }
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < outsz; i++)
        if (!kill || !kill[i])
            out[o++] = text[i];
    out[o] = '\0';
    free(kill);
    char *on = strcasestr(out, "ALTER ONLINE ");
    if (on == out)
        memmove(out + 6, out + 13, strlen(out + 13) + 1);
}

/* Parse `text` for the server and return the first statement. */
static const struct sql_stmt *parse1(const struct sql_server *srv, const char *text,
                                     struct sql_script *sc)
{
    struct sql_parse_opts opts = {.server = *srv, .default_schema = DB};
    sql_script_reset(sc);
    if (!sql_parse(&opts, text, strlen(text), sc))
        return NULL;
    for (int i = 0; i < sc->nstmts; i++)
        if (sc->stmts[i].kind != SQL_KIND_EMPTY)
            return &sc->stmts[i];
    return NULL;
}

static bool attempt(const char *setup, const char *sql, bool *rb, struct probe *p,
                    const char *label)
{
    char before[4096], after[4096];
    if (!run_setup(setup)) {
        plog(p, "%s=SETUP-ERR ", label);
        return false;
    }
    table_ids(before, sizeof before);
    bool ok = mysql_query(g_conn, sql) == 0;
    if (ok) {
        MYSQL_RES *res = mysql_store_result(g_conn);
        if (res)
            mysql_free_result(res);
        table_ids(after, sizeof after);
        *rb = rebuilt(before, after);
        plog(p, "%s=ok%s ", label, *rb ? "(rebuild)" : "");
    } else {
        plog(p, "%s=%u ", label, mysql_errno(g_conn));
    }
    return ok;
}

static void probe_stmt(const char *setup, const char *base, uint32_t append_off, bool create_index,
                       struct probe *p)
{
    static const enum sql_algorithm algs[] = {SQL_ALG_INSTANT, SQL_ALG_NOCOPY, SQL_ALG_INPLACE,
                                              SQL_ALG_COPY};
    static const char *const names[] = {"INSTANT", "NOCOPY", "INPLACE", "COPY"};
    char sql[MAX_SQL], label[32];
    const char *sep = create_index ? " " : ", ";
    memset(p, 0, sizeof *p);
    for (int i = 0; i < 4 && !p->ran; i++) {
        for (int lock = 1; lock >= 0 && !p->ran; lock--) {
            snprintf(sql, sizeof sql, "%.*s%sALGORITHM=%s%s%s%s", (int)append_off, base, sep,
                     names[i], lock ? sep : "", lock ? "LOCK=NONE" : "", base + append_off);
            snprintf(label, sizeof label, "%s%s", names[i], lock ? "+NONE" : "");
            bool rb = false;
            if (attempt(setup, sql, &rb, p, label)) {
                p->ran = true;
                p->best = algs[i];
                p->lock_none = lock;
                p->rebuild = rb;
            }
        }
    }
    if (p->ran)
        return;
    /* nothing with a clause: the operation takes none (partitions, OPTIMIZE) */
    bool rb = false;
    if (attempt(setup, base, &rb, p, "plain")) {
        p->ran = true;
        p->clause_refused = true;
        p->best = SQL_ALG_NONE;
        p->rebuild = rb;
    }
}

static int g_conservative;

static int cls_rank_of(enum sql_algorithm a)
{
    return a == SQL_ALG_INSTANT   ? 1
           : a == SQL_ALG_NOCOPY  ? 2
           : a == SQL_ALG_INPLACE ? 3
           : a == SQL_ALG_COPY    ? 4
                                  : 0;
}

static const char *alg_name(enum sql_algorithm a)
{
    static const char *const n[] = {"n.a.", "DEFAULT", "INSTANT", "NOCOPY", "INPLACE", "COPY"};
    return (unsigned)a < 6 ? n[a] : "?";
}

/* DROP INDEX i ON t takes no clause on MariaDB: probe the ALTER form. */
static void drop_index_as_alter(const struct sql_stmt *st, char *out, size_t outsz)
{
    snprintf(out, outsz, "ALTER TABLE `%s` DROP INDEX `%s`", st->alter.table.name,
             st->alter.nspecs > 0 && st->alter.specs[0].old_name ? st->alter.specs[0].old_name
                                                                 : "?");
}

/* `shop`.`users` -> `users`: everything runs in the scratch database */
static void unqualify(const char *text, const struct sql_stmt *st, char *out, size_t outsz)
{
    const struct sql_name *n = &st->alter.table;
    if (st->ddl == SQL_DDL_OPTIMIZE && st->ntables > 0)
        n = &st->tables[0].name;
    if (!n->schema_written || n->span.len == 0 || n->name == NULL) {
        snprintf(out, outsz, "%s", text);
        return;
    }
    snprintf(out, outsz, "%.*s`%s`%s", (int)n->span.off, text, n->name,
             text + n->span.off + n->span.len);
}

static int run_row(const char *root, char **f, const struct sql_server *srv, int *agree,
                   int *probed, bool strict, const char *setup_given)
{
    struct sql_script sc;
    sql_script_init(&sc);
    char text[MAX_SQL];
    const struct sql_stmt *st0 = parse1(srv, f[2], &sc);
    if (st0 == NULL) {
        snprintf(text, sizeof text, "%s", f[2]);
    } else {
        unqualify(f[2], st0, text, sizeof text);
    }
    const struct sql_stmt *st = parse1(srv, text, &sc);
    int rc = 0;
    if (st == NULL || st->kind != SQL_KIND_DDL || !st->parsed) {
        printf("SKIP %s: not a parsed DDL\n", f[0]);
        sql_script_free(&sc);
        return 0;
    }
    struct classify_result pre;
    classify_stmt(srv, st, NULL, &pre);
    if (!pre.is_alter_like) {
        printf("SKIP %s: DDL kind %d is not an ALGORITHM question\n", f[0], (int)st->ddl);
        sql_script_free(&sc);
        return 0;
    }
    const char *table = st->alter.table.name ? st->alter.table.name
                        : st->ntables > 0    ? st->tables[0].name.name
                                             : "t";
    char setup[MAX_SQL], base[MAX_SQL];
    struct cf_facts facts;
    char facts_path[1024];
    snprintf(facts_path, sizeof facts_path, "%s/tests/data/classify-facts.tsv", root);
    cf_load(facts_path, f[0], &facts);
    if (setup_given != NULL)
        snprintf(setup, sizeof setup, "%s", setup_given);
    else if (!setup_lookup(root, f[0], setup, sizeof setup))
        derive_setup(&facts, st, table, setup, sizeof setup);

    bool create_index = st->ddl == SQL_DDL_CREATE_INDEX;
    if (st->ddl == SQL_DDL_DROP_INDEX)
        drop_index_as_alter(st, base, sizeof base);
    else
        strip_clauses(text, st, base, sizeof base);
    base[strcspn(base, ";")] = '\0';
    /* offsets of the stripped text */
    struct sql_script sc2;
    sql_script_init(&sc2);
    const struct sql_stmt *st2 = parse1(srv, base, &sc2);
    uint32_t append_off =
        st2 && st2->alter.append_off > 0 ? st2->alter.append_off : (uint32_t)strlen(base);
    if (st->ddl == SQL_DDL_OPTIMIZE)
        append_off = (uint32_t)strlen(base);

    /* classifier: facts of the table as created, read back from the server */
    struct live_facts *lf = calloc(1, sizeof *lf);
    if (!lf || !run_setup(setup)) {
        printf("FAIL %s: setup failed: %s\n     %s\n", f[0], mysql_error(g_conn), setup);
        free(lf);
        sql_script_free(&sc);
        sql_script_free(&sc2);
        return 1;
    }
    live_load(table, lf);
    struct classify_result cr;
    classify_stmt(srv, st, &lf->f.t, &cr);

    struct probe p;
    probe_stmt(setup, base, append_off, create_index, &p);
    (*probed)++;
    bool same;
    if (!p.ran && !strict && mysql_errno(g_conn) == 1064) {
        printf("SKIP %s: MySQL syntax this server rejects: %s\n", f[0], base);
        (*probed)--;
        goto out;
    }
    if (!p.ran) {
        printf("FAIL %s: the server ran no form of: %s\n     %s\n", f[0], base, p.log);
        rc = 1;
        goto out;
    }
    /* TRUNCATE PARTITION recreates the emptied partition (new id) without
     * copying rows: not a rebuild (matrix P5) */
    bool truncates = false;
    for (int i = 0; i < st->alter.nspecs; i++)
        truncates |= st->alter.specs[i].op == SQL_AOP_TRUNCATE_PARTITION;
    if (truncates)
        p.rebuild = false;
    /* no clause accepted: the server tells no algorithm, only the rebuild */
    if (p.clause_refused)
        same = !cr.clause_allowed && !cr.lock_none && cr.rebuild == p.rebuild;
    else if (st->ddl == SQL_DDL_DROP_INDEX)
        same = cr.best == p.best && cr.lock_none == p.lock_none && cr.rebuild == p.rebuild &&
               !cr.clause_allowed;
    else
        same = cr.best == p.best && cr.lock_none == p.lock_none && cr.rebuild == p.rebuild &&
               cr.clause_allowed;
    if (st->ddl == SQL_DDL_OPTIMIZE) /* OPTIMIZE never takes a clause */
        same = p.clause_refused && !cr.clause_allowed && cr.rebuild == p.rebuild &&
               cr.lock_none == (cr.best != SQL_ALG_COPY && !lf->f.t.has_fulltext);
    /* a conservative answer (facts the classifier cannot see) that is
     * never better than the server's is safe: reported, not a failure */
    bool safe = !same && cr.conservative && !p.clause_refused &&
                cls_rank_of(cr.best) >= cls_rank_of(p.best) && (!cr.lock_none || p.lock_none) &&
                (cr.rebuild || !p.rebuild);
    if (safe) {
        g_conservative++;
        printf("CONS %s [%s] %s\n     server %s/%s/%s  classifier %s/%s/%s (conservative: %s)\n",
               f[0], f[1], f[2], alg_name(p.best), p.lock_none ? "yes" : "no",
               p.rebuild ? "yes" : "no", alg_name(cr.best), cr.lock_none ? "yes" : "no",
               cr.rebuild ? "yes" : "no", cr.why);
    } else if (same) {
        (*agree)++;
        printf("ok   %s [%s] %s/%s/%s%s\n", f[0], f[1], alg_name(p.best),
               p.lock_none ? "yes" : "no", p.rebuild ? "yes" : "no",
               p.clause_refused ? " (no clause)" : "");
    } else {
        printf("DIFF %s [%s] %s\n     server %s/%s/%s%s  classifier %s/%s/%s clause=%d row=%s "
               "why=\"%s\"\n     %s\n",
               f[0], f[1], f[2], alg_name(p.best), p.lock_none ? "yes" : "no",
               p.rebuild ? "yes" : "no", p.clause_refused ? " (no clause accepted)" : "",
               alg_name(cr.best), cr.lock_none ? "yes" : "no", cr.rebuild ? "yes" : "no",
               cr.clause_allowed, cr.nspecs ? cr.specs[0].matrix_row : "-", cr.why, p.log);
        rc = 1;
    }
out:
    if (g_verbose)
        printf("     setup: %s\n     probe: %s\n", setup, p.log);
    free(lf);
    sql_script_free(&sc);
    sql_script_free(&sc2);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s REPO_ROOT [-v] [--all]\n", argv[0]);
        return 2;
    }
    const char *root = argv[1];
    bool all = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            g_verbose = 1;
        else if (strcmp(argv[i], "--all") == 0)
            all = true;
    }
    const char *host = getenv("MARIADB_HOST") ? getenv("MARIADB_HOST") : "127.0.0.1";
    const char *user = getenv("MARIADB_USER") ? getenv("MARIADB_USER") : "root";
    const char *pass = getenv("MARIADB_PASSWORD");
    unsigned port = getenv("MARIADB_PORT") ? (unsigned)atoi(getenv("MARIADB_PORT")) : 3306;
    g_conn = mysql_init(NULL);
    unsigned timeout = 10;
    mysql_options(g_conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(g_conn, MYSQL_OPT_READ_TIMEOUT, &timeout);
    if (!mysql_real_connect(g_conn, host, user, pass, NULL, port, NULL, CLIENT_MULTI_STATEMENTS)) {
        fprintf(stderr, "connect %s:%u: %s\n", host, port, mysql_error(g_conn));
        return 2;
    }
    struct sql_server srv = {SQL_FLAVOUR_MARIADB, (unsigned)mysql_get_server_version(g_conn),
                             false};
    if (strstr(mysql_get_server_info(g_conn), "MariaDB") == NULL) {
        fprintf(stderr, "not a MariaDB server: %s\n", mysql_get_server_info(g_conn));
        return 2;
    }
    printf("server %s (%u)\n", mysql_get_server_info(g_conn), srv.version);
    q("SET SESSION lock_wait_timeout=5");

    char path[1024], line[MAX_SQL];
    snprintf(path, sizeof path, "%s/tests/data/ddl-cases.tsv", root);
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        perror(path);
        return 2;
    }
    int failures = 0, agree = 0, probed = 0, rows = 0;
    int x_fail = 0, x_agree = 0, x_probed = 0;
    bool header = true;
    while (fgets(line, sizeof line, fp)) {
        if (header) {
            header = false;
            continue;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *f[9];
        int n = 0;
        for (char *p = line; n < 9;) {
            f[n++] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (n < 6)
            continue;
        if (strncmp(f[1], "mariadb-", 8) != 0) {
            /* --all: MySQL rows' statements, classified for this server;
             * reported, not counted in the exit status */
            if (all)
                x_fail += run_row(root, f, &srv, &x_agree, &x_probed, false, NULL);
            continue;
        }
        rows++;
        failures += run_row(root, f, &srv, &agree, &probed, true, NULL);
    }
    fclose(fp);

    /* statement families beyond the corpus (oracle notes section 5):
     * id <TAB> statement <TAB> setup; the server is the only expectation */
    int e_rows = 0, e_agree = 0, e_fail = 0;
    snprintf(path, sizeof path, "%s/tests/data/oracle-extra.tsv", root);
    fp = fopen(path, "r");
    while (fp && fgets(line, sizeof line, fp)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *id = line, *stmt = strchr(line, '\t'), *setup = stmt ? strchr(stmt + 1, '\t') : NULL;
        if (!stmt || !setup)
            continue;
        *stmt++ = '\0';
        *setup++ = '\0';
        char flavour[] = "mariadb-10.11";
        char *f[3] = {id, flavour, stmt};
        e_fail += run_row(root, f, &srv, &e_agree, &e_rows, true, setup);
    }
    if (fp)
        fclose(fp);
    failures += e_fail;
    q("DROP DATABASE IF EXISTS " DB);
    printf("oracle: %d MariaDB rows, %d probed, %d agree, %d disagree or failed\n", rows, probed,
           agree, failures);
    printf("oracle extra: %d statements probed, %d agree, %d disagree or failed\n", e_rows, e_agree,
           e_fail);
    printf("oracle: %d conservative answers never better than the server (not failures)\n",
           g_conservative);
    if (all)
        printf("oracle --all: MySQL rows run on this server: %d probed, %d agree, %d disagree or "
               "failed\n",
               x_probed, x_agree, x_fail);
    mysql_close(g_conn);
    return failures == 0 ? 0 : 1;
}
