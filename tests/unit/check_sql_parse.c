/*
 * check_sql_parse.c - the statement parser (sql_parse*.c).
 *
 * Table-driven: tests/data/sql/parse-cases.txt holds statements and the
 * facts expected of them as "key=value" lines.  Each parsed script is
 * rendered into such lines (render_script below) and every expected line
 * must be present; the keys are documented there.  The shared
 * tests/data/ddl-cases.tsv corpus must parse completely, with the kind
 * given in tests/data/sql/ddl-cases-kinds.tsv.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"
#include "test_files.h"

#define MAX_TEXT (64 * 1024)
#define MAX_RENDER (256 * 1024)

struct render {
    char *buf;
    size_t len;
};

static void put(struct render *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->buf + r->len, MAX_RENDER - r->len, fmt, ap);
    va_end(ap);
    if (n > 0 && r->len + (size_t)n < MAX_RENDER)
        r->len += (size_t)n;
}

static const char *str(const char *s) { return s ? s : "-"; }

static void put_span(struct render *r, const char *pre, const char *key, const char *text,
                     struct sql_span s)
{
    put(r, "%s%s=%.*s\n", pre, key, (int)s.len, text + s.off);
}

static void put_name(struct render *r, const char *pre, const char *key, const struct sql_name *n)
{
    if (n->schema)
        put(r, "%s%s=%s.%s\n", pre, key, n->schema, str(n->name));
    else
        put(r, "%s%s=%s\n", pre, key, str(n->name));
}

static const char *const ctx_names[] = {"SELECT", "WHERE", "ORDER", "SET", "INSERT"};
static const char *const null_names[] = {"UNSPEC", "NULL", "NOT_NULL"};
static const char *const default_names[] = {"NONE", "NULL", "LITERAL", "CURRENT_TS", "EXPR"};
static const char *const gen_names[] = {"NONE", "VIRTUAL", "STORED"};
static const char *const pos_names[] = {"DEFAULT", "FIRST", "AFTER"};
static const char *const index_names[] = {"PLAIN",   "UNIQUE",  "PRIMARY", "FULLTEXT",
                                          "SPATIAL", "FOREIGN", "CHECK"};
static const char *const lock_names[] = {"NONE_GIVEN", "DEFAULT", "NONE", "SHARED", "EXCLUSIVE"};
static const char *const txn_names[] = {"NONE",     "BEGIN",     "COMMIT",
                                        "ROLLBACK", "SAVEPOINT", "OTHER"};

static void render_coldef(struct render *r, const char *pre, const char *text,
                          const struct sql_coldef *c)
{
    put(r, "%sname=%s\n%stype=%s\n", pre, str(c->name), pre, str(c->type));
    put_span(r, pre, "type_span", text, c->type_span);
    put(r, "%slength=%lld\n%sscale=%d\n%sunsigned=%d\n%szerofill=%d\n", pre, (long long)c->length,
        pre, c->scale, pre, c->is_unsigned, pre, c->zerofill);
    put(r, "%scharset=%s\n%scollation=%s\n%snvalues=%d\n", pre, str(c->charset), pre,
        str(c->collation), pre, c->nvalues);
    for (int k = 0; k < c->nvalues; k++)
        put(r, "%svalue[%d]=%s\n", pre, k, c->values[k]);
    put(r, "%snull=%s\n%sdefault=%s\n", pre, null_names[c->nullability], pre,
        default_names[c->default_kind]);
    put_span(r, pre, "default_span", text, c->default_span);
    put(r, "%son_update_ts=%d\n%sauto_increment=%d\n%sgenerated=%s\n", pre, c->on_update_ts, pre,
        c->auto_increment, pre, gen_names[c->generated]);
    put(r, "%sprimary_key=%d\n%sunique_key=%d\n%sreferences=%d\n%shas_check=%d\n", pre,
        c->primary_key, pre, c->unique_key, pre, c->references, pre, c->has_check);
    put(r, "%sinvisible=%d\n%svisible=%d\n%scompressed=%d\n%spos=%s\n%safter=%s\n", pre,
        c->invisible, pre, c->visible, pre, c->compressed, pre, pos_names[c->pos], pre,
        str(c->after));
}

static void render_index(struct render *r, const char *pre, const struct sql_index *ix)
{
    put(r, "%skind=%s\n%sname=%s\n%sncols=%d\n", pre, index_names[ix->kind], pre, str(ix->name),
        pre, ix->ncols);
    for (int k = 0; k < ix->ncols; k++)
        put(r, "%scol[%d]=%s\n", pre, k, ix->cols[k] ? ix->cols[k] : "(expr)");
    put(r, "%sprefix=%d\n%sexpression=%d\n%susing=%s\n%sinvisible=%d\n", pre, ix->has_prefix, pre,
        ix->has_expression, pre, str(ix->using), pre, ix->invisible);
    if (ix->ref_table.name)
        put_name(r, pre, "ref", &ix->ref_table);
    put(r, "%son_delete_cascade=%d\n%son_update_cascade=%d\n", pre,
        ix->on_delete_cascade_or_set_null, pre, ix->on_update_cascade_or_set_null);
}

static void render_alter(struct render *r, const char *pre, const char *text,
                         const struct sql_alter *a)
{
    char p2[64];
    put_name(r, pre, "table", &a->table);
    put(r, "%sonline=%d\n%signore=%d\n%salter_if_exists=%d\n", pre, a->online, pre, a->ignore, pre,
        a->if_exists);
    put(r, "%salgorithm=%s\n%slock=%s\n", pre, sql_algorithm_name(a->algorithm), pre,
        lock_names[a->lock]);
    put_span(r, pre, "algorithm_span", text, a->algorithm_span);
    put_span(r, pre, "lock_span", text, a->lock_span);
    put(r, "%swait=%d\n%snowait=%d\n%swait_seconds=%lld\n", pre, a->has_wait, pre, a->nowait, pre,
        (long long)a->wait_seconds);
    put_span(r, pre, "wait_span", text, a->wait_span);
    put(r, "%snspecs=%d\n%sappend=%s\n", pre, a->nspecs, pre, text + a->append_off);
    put(r, "%sappend_before=%.*s\n", pre, (int)a->append_off, text);
    for (int k = 0; k < a->nspecs; k++) {
        const struct sql_alter_spec *sp = &a->specs[k];
        snprintf(p2, sizeof(p2), "%sspec[%d].", pre, k);
        put(r, "%sop=%s\n", p2, sql_alter_op_name(sp->op));
        put_span(r, p2, "span", text, sp->span);
        put(r,
            "%sif_exists=%d\n%sif_not_exists=%d\n%sold=%s\n%snew=%s\n%soption=%s\n%spartitions=%"
            "d\n",
            p2, sp->if_exists, p2, sp->if_not_exists, p2, str(sp->old_name), p2, str(sp->new_name),
            p2, str(sp->option_value), p2, sp->partition_count);
        if (sp->rename_to.name)
            put_name(r, p2, "rename_to", &sp->rename_to);
        char p3[80];
        snprintf(p3, sizeof(p3), "%scol.", p2);
        if (sp->col.name || sp->col.type)
            render_coldef(r, p3, text, &sp->col);
        snprintf(p3, sizeof(p3), "%sindex.", p2);
        render_index(r, p3, &sp->index);
    }
}

static void render_stmt(struct render *r, const char *pre, const char *text,
                        const struct sql_stmt *st)
{
    char p2[64];
    put(r, "%skind=%s\n%sddl=%s\n%stxn=%s\n%sparsed=%d\n%serror=%s\n", pre, sql_kind_name(st->kind),
        pre, sql_ddl_name(st->ddl), pre, txn_names[st->txn], pre, st->parsed, pre,
        str(st->parse_error));
    put_span(r, pre, "span", text, st->span);
    put_span(r, pre, "set_statement", text, st->set_statement);
    put(r, "%sbody=%s\n", pre, text + st->body_off);
    put(r, "%scomment_version=%u\n%sosc_marker=%d\n", pre, st->comment_version, pre,
        st->osc_marker);
    put(r, "%sntables=%d\n%sncolumns=%d\n", pre, st->ntables, pre, st->ncolumns);
    for (int k = 0; k < st->ntables; k++) {
        const struct sql_table_ref *t = &st->tables[k];
        snprintf(p2, sizeof(p2), "%stable[%d]", pre, k);
        put_name(r, p2, "", &t->name);
        put(r, "%s.schema_written=%d\n%s.alias=%s\n%s.access=%s%s%s\n", p2, t->name.schema_written,
            p2, str(t->alias), p2, t->access & SQL_ACCESS_READ ? "R" : "",
            t->access & SQL_ACCESS_WRITE ? "W" : "", t->access & SQL_ACCESS_DDL ? "D" : "");
    }
    for (int k = 0; k < st->ncolumns; k++) {
        const struct sql_column_ref *c = &st->columns[k];
        snprintf(p2, sizeof(p2), "%scol[%d]", pre, k);
        put(r, "%s=%s%s%s\n", p2, c->qualifier ? c->qualifier : "", c->qualifier ? "." : "",
            c->name);
        put(r, "%s.ctx=%s\n%s.table=%d\n%s.star=%d\n", p2, ctx_names[c->ctx], p2, c->table_idx, p2,
            c->star);
        put(r, "%s.text=%.*s\n", p2, (int)c->span.len, text + c->span.off);
        put(r, "%s.where_pin=%d\n", p2, c->where_pin);
    }
    put(r, "%sif_exists=%d\n%stemporary=%d\n%sflush_with_read_lock=%d\n%slock_for_write=%d\n", pre,
        st->if_exists, pre, st->temporary, pre, st->flush_with_read_lock, pre, st->lock_for_write);
    put(r,
        "%shas_where=%d\n%swhere_trivial=%d\n%shas_limit=%d\n%sinsert_select=%d\n%sfor_update=%d\n%"
        "snparams=%d\n",
        pre, st->has_where, pre, st->where_trivial, pre, st->has_limit, pre, st->insert_select, pre,
        st->for_update, pre, st->nparams);
    put(r, "%swhere_or=%d\n", pre, st->where_or);
    if (st->kind == SQL_KIND_DDL)
        render_alter(r, pre, text, &st->alter);
    if (st->ddl == SQL_DDL_CREATE_TABLE) {
        const struct sql_create_table *c = &st->create;
        put(r, "%screate.temporary=%d\n%screate.if_not_exists=%d\n%screate.or_replace=%d\n", pre,
            c->temporary, pre, c->if_not_exists, pre, c->or_replace);
        put(r, "%screate.like=%d\n%screate.as_select=%d\n%screate.ncols=%d\n%screate.nindexes=%d\n",
            pre, c->like, pre, c->as_select, pre, c->ncols, pre, c->nindexes);
        put(r, "%screate.has_primary_key=%d\n%screate.engine=%s\n%screate.charset=%s\n", pre,
            c->has_primary_key, pre, str(c->engine), pre, str(c->charset));
        put(r, "%screate.collation=%s\n%screate.row_format=%s\n%screate.partitioned=%d\n", pre,
            str(c->collation), pre, str(c->row_format), pre, c->partitioned);
        if (c->like)
            put_name(r, pre, "create.like_table", &c->like_table);
        for (int k = 0; k < c->ncols; k++) {
            snprintf(p2, sizeof(p2), "%screate.col[%d].", pre, k);
            render_coldef(r, p2, text, &c->cols[k]);
        }
        for (int k = 0; k < c->nindexes; k++) {
            snprintf(p2, sizeof(p2), "%screate.index[%d].", pre, k);
            render_index(r, p2, &c->indexes[k]);
        }
    }
}

static void render_script(struct render *r, const char *text, const struct sql_script *s)
{
    char pre[32];
    r->len = 0;
    r->buf[0] = '\0';
    put(r, "\nnstmts=%d\n", s->nstmts);
    for (int k = 0; k < s->nstmts; k++) {
        if (k == 0)
            pre[0] = '\0';
        else
            snprintf(pre, sizeof(pre), "stmt%d.", k);
        render_stmt(r, pre, text, &s->stmts[k]);
    }
}

/* ---- data-driven cases -------------------------------------------------------- */

static void apply_opt(struct sql_parse_opts *o, const char *opt, char *schema_buf)
{
    if (strncmp(opt, "server=", 7) == 0)
        ck_assert_msg(sql_server_from_spec(opt + 7, &o->server), "bad server %s", opt);
    else if (strncmp(opt, "schema=", 7) == 0) {
        strcpy(schema_buf, opt + 7);
        o->default_schema = schema_buf;
    } else if (strcmp(opt, "ansi_quotes") == 0)
        o->ansi_quotes = true;
    else if (strcmp(opt, "no_backslash_escapes") == 0)
        o->no_backslash_escapes = true;
    else
        ck_abort_msg("unknown opt %s", opt);
}

/* Unescape \n and \t in case text so statements can span lines. */
static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] == 'n') {
            *o++ = '\n';
            s++;
        } else if (s[0] == '\\' && s[1] == 't') {
            *o++ = '\t';
            s++;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

START_TEST(parse_cases_file)
{
    char *data = ut_read_file("tests/data/sql/parse-cases.txt");
    char *text = malloc(MAX_TEXT);
    struct render r = {malloc(MAX_RENDER), 0};
    char schema[256], needle[4096];
    struct sql_parse_opts opts;
    struct sql_script script;
    int ncases = 0, nexpect = 0, line_no = 0, case_line = 0, nfail = 0;
    bool have = false;
    sql_script_init(&script);
    memset(&opts, 0, sizeof(opts));
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        line_no++;
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (strncmp(line, "sql", 3) == 0 && (line[3] == ' ' || line[3] == '\0')) {
            snprintf(text, MAX_TEXT, "%s", line[3] ? line + 4 : "");
            unescape(text);
            memset(&opts, 0, sizeof(opts));
            opts.server.version = 80036; /* default backend: MySQL 8.0.36 */
            have = false;
            case_line = line_no;
            ncases++;
        } else if (strncmp(line, "opt ", 4) == 0) {
            apply_opt(&opts, line + 4, schema);
        } else if (strncmp(line, "expect ", 7) == 0 || strncmp(line, "reject ", 7) == 0) {
            if (!have) {
                sql_script_reset(&script);
                ck_assert(sql_parse(&opts, text, strlen(text), &script));
                render_script(&r, text, &script);
                have = true;
            }
            snprintf(needle, sizeof(needle), "\n%s\n", line + 7);
            unescape(needle);
            bool found = strstr(r.buf, needle) != NULL;
            if (found != (line[0] == 'e')) {
                /* report every mismatch, then fail once */
                fprintf(stderr, "parse-cases.txt:%d (case at line %d: %s): %s '%s'\n", line_no,
                        case_line, text, found ? "unexpected" : "missing", line + 7);
                nfail++;
            }
            nexpect++;
        } else {
            ck_abort_msg("parse-cases.txt line %d: bad line '%s'", line_no, line);
        }
    }
    ck_assert_msg(nfail == 0, "%d parse expectations failed (see stderr)", nfail);
    ck_assert_int_gt(ncases, 100);
    ck_assert_int_gt(nexpect, 500);
    sql_script_free(&script);
    free(r.buf);
    free(text);
    free(data);
}
END_TEST

/* Every statement of the shared DDL corpus parses, with the expected kind. */
START_TEST(ddl_cases_corpus)
{
    char *cases = ut_read_file("tests/data/ddl-cases.tsv");
    char *kinds = ut_read_file("tests/data/sql/ddl-cases-kinds.tsv");
    struct sql_script script;
    int n = 0;
    sql_script_init(&script);
    char *save1 = NULL;
    for (char *line = strtok_r(cases, "\n", &save1); line; line = strtok_r(NULL, "\n", &save1)) {
        char *f[4] = {0};
        char *save2 = NULL, *p = line;
        for (int k = 0; k < 4 && (f[k] = strtok_r(p, "\t", &save2)); k++)
            p = NULL;
        if (!f[2] || strcmp(f[0], "id") == 0)
            continue;
        struct sql_parse_opts opts;
        memset(&opts, 0, sizeof(opts));
        ck_assert_msg(sql_server_from_spec(f[1], &opts.server), "%s: server %s", f[0], f[1]);
        sql_script_reset(&script);
        ck_assert(sql_parse(&opts, f[2], strlen(f[2]), &script));
        ck_assert_int_ge(script.nstmts, 1);
        const struct sql_stmt *st = &script.stmts[0];
        ck_assert_msg(st->parsed, "%s: not parsed (%s): %s", f[0], str(st->parse_error), f[2]);
        char want[128];
        snprintf(want, sizeof(want), "\n%s\t%s\t%s\n", f[0], sql_kind_name(st->kind),
                 sql_ddl_name(st->ddl));
        ck_assert_msg(strstr(kinds, want) != NULL, /* kinds starts with a header line */
                      "%s: got %s/%s for %s", f[0], sql_kind_name(st->kind), sql_ddl_name(st->ddl),
                      f[2]);
        n++;
    }
    ck_assert_int_ge(n, 170);
    sql_script_free(&script);
    free(cases);
    free(kinds);
}
END_TEST

/* ---- properties not expressible as single facts ---------------------------------- */

static uint64_t digest_of(const char *sql)
{
    struct sql_script s;
    struct sql_parse_opts o;
    memset(&o, 0, sizeof(o));
    sql_script_init(&s);
    ck_assert(sql_parse(&o, sql, strlen(sql), &s));
    ck_assert_int_eq(s.nstmts, 1);
    uint64_t d = sql_stmt_digest(&o, sql, strlen(sql), &s.stmts[0]);
    sql_script_free(&s);
    return d;
}

START_TEST(digests)
{
    static const char *const same[][2] = {
        {"SELECT * FROM t WHERE id = 1", "select *  from T where ID=42"},
        {"SELECT a FROM t WHERE b IN (1,2,3)", "SELECT a FROM t WHERE b IN (7)"},
        {"SELECT a FROM t WHERE b = 'x'", "SELECT a /* c */ FROM t -- x\n WHERE b = \"yy\""},
        {"SELECT `a` FROM `t`", "SELECT a FROM t"},
        {"INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (22, 'bbb')"},
        {"UPDATE t SET a = ? WHERE id = ?", "UPDATE t SET a = 5 WHERE id = 0x10"},
    };
    static const char *const differ[][2] = {
        {"SELECT a FROM t", "SELECT b FROM t"},
        {"SELECT a FROM t WHERE x = 1", "SELECT a FROM t WHERE x > 1"},
        {"SELECT a b FROM t", "SELECT ab FROM t"},
        {"ALTER TABLE t ADD COLUMN c INT", "ALTER TABLE t ADD COLUMN c BIGINT"},
        {"SELECT a FROM t WHERE b IN (1,2)", "SELECT a FROM t WHERE b IN (c,2)"},
    };
    for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++)
        ck_assert_msg(digest_of(same[k][0]) == digest_of(same[k][1]), "digest differs: %s | %s",
                      same[k][0], same[k][1]);
    for (size_t k = 0; k < sizeof(differ) / sizeof(differ[0]); k++)
        ck_assert_msg(digest_of(differ[k][0]) != digest_of(differ[k][1]), "digest equal: %s | %s",
                      differ[k][0], differ[k][1]);
}
END_TEST

/* Huge statements: a multi-megabyte INSERT parses (arena blocks beyond the
 * inline one) and resetting frees them. */
START_TEST(huge_statement)
{
    size_t cap = 4u << 20, len = 0;
    char *q = malloc(cap + 64);
    len += (size_t)sprintf(q, "INSERT INTO t (a, b) VALUES ");
    for (int k = 0; len < cap - 64; k++)
        len += (size_t)sprintf(q + len, "%s(%d, 'value %d')", k ? "," : "", k, k);
    struct sql_script s;
    struct sql_parse_opts o;
    memset(&o, 0, sizeof(o));
    sql_script_init(&s);
    ck_assert(sql_parse(&o, q, len, &s));
    ck_assert_int_eq(s.nstmts, 1);
    ck_assert(s.stmts[0].parsed);
    ck_assert_int_eq(s.stmts[0].kind, SQL_KIND_INSERT);
    ck_assert_int_eq(s.stmts[0].ncolumns, 2);
    sql_script_reset(&s);
    /* many column references: bounded, still parsed */
    len = (size_t)sprintf(q, "SELECT ");
    for (int k = 0; len < cap - 64; k++)
        len += (size_t)sprintf(q + len, "%sc%d", k ? "," : "", k);
    len += (size_t)sprintf(q + len, " FROM t");
    ck_assert(sql_parse(&o, q, len, &s));
    ck_assert(s.stmts[0].parsed);
    ck_assert_int_gt(s.stmts[0].ncolumns, 1000);
    ck_assert_int_le(s.stmts[0].ncolumns, 65536);
    sql_script_free(&s);
    free(q);
}
END_TEST

/* A typical statement parses without leaving the inline arena block. */
START_TEST(typical_statement_no_malloc)
{
    static const char q[] =
        "SELECT id, name, email FROM users u WHERE u.id = ? AND u.status = 'active' "
        "ORDER BY created_at DESC LIMIT 10";
    struct sql_script s;
    struct sql_parse_opts o;
    memset(&o, 0, sizeof(o));
    o.default_schema = "shop";
    sql_script_init(&s);
    ck_assert(sql_parse(&o, q, strlen(q), &s));
    ck_assert_ptr_null(s.blocks);
    ck_assert_int_gt(s.used, 0);
    sql_script_reset(&s);
    ck_assert_int_eq(s.used, 0);
    ck_assert_int_eq(s.nstmts, 0);
    sql_script_free(&s);
}
END_TEST

START_TEST(server_identity)
{
    struct sql_server sv;
    ck_assert(sql_server_from_greeting("5.5.5-10.11.19-MariaDB-0+deb12u1", &sv));
    ck_assert_int_eq(sv.flavour, SQL_FLAVOUR_MARIADB);
    ck_assert_uint_eq(sv.version, 101119);
    ck_assert(sql_server_from_greeting("8.0.36", &sv));
    ck_assert_int_eq(sv.flavour, SQL_FLAVOUR_MYSQL);
    ck_assert_uint_eq(sv.version, 80036);
    ck_assert(sql_server_from_greeting("8.4.2-log", &sv));
    ck_assert_uint_eq(sv.version, 80402);
    ck_assert(sql_server_from_greeting("11.4.2-MariaDB-log", &sv));
    ck_assert_uint_eq(sv.version, 110402);
    ck_assert(sql_server_from_greeting("10.6.16-MariaDB-wsrep", &sv));
    ck_assert(sv.wsrep);
    ck_assert(!sql_server_from_greeting("garbage", &sv));
    ck_assert(sql_server_from_spec("mysql-8.0.36", &sv));
    ck_assert_uint_eq(sv.version, 80036);
    ck_assert(sql_server_from_spec("mariadb-10.11", &sv));
    ck_assert_int_eq(sv.flavour, SQL_FLAVOUR_MARIADB);
    ck_assert_uint_ge(sv.version, 101100);
    ck_assert_uint_lt(sv.version, 101200);
    ck_assert(sql_server_from_spec("mysql-8", &sv));
    ck_assert_uint_ge(sv.version, 80400); /* newest 8.x line */
    ck_assert(!sql_server_from_spec("postgres-16", &sv));
    ck_assert(!sql_server_from_spec("mysql-x", &sv));
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(sql_kind_name(SQL_KIND_DDL), "DDL");
    ck_assert_str_eq(sql_ddl_name(SQL_DDL_CREATE_INDEX), "CREATE_INDEX");
    ck_assert_str_eq(sql_algorithm_name(SQL_ALG_INSTANT), "INSTANT");
    ck_assert_str_eq(sql_alter_op_name(SQL_AOP_ADD_COLUMN), "ADD_COLUMN");
    ck_assert_str_eq(sql_alter_op_name(SQL_AOP_OTHER), "OTHER");
    ck_assert_str_eq(sql_alter_op_name((enum sql_alter_op)999), "?");
}
END_TEST

/* Garbage and truncated statements: never fail the call, never crash. */
START_TEST(truncations_never_fail)
{
    static const char *const q[] = {
        "ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 'x', ADD INDEX i (c), ALGORITHM=INPLACE, "
        "LOCK=NONE",
        "SELECT a, (SELECT MAX(b) FROM u WHERE u.x = t.x) FROM t JOIN v USING (id) WHERE c IN "
        "(1,2) FOR UPDATE",
        ("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10) CHARACTER SET utf8mb4 COLLATE "
         "utf8mb4_bin, "
         "KEY k (v(3)), CONSTRAINT fk FOREIGN KEY (id) REFERENCES p (id) ON DELETE CASCADE) "
         "ENGINE=InnoDB"),
        "/*!50000 ALTER TABLE t ADD COLUMN x INT */; INSERT INTO t VALUES ('a\\'b', \"c\"), (1,2)",
    };
    struct sql_script s;
    struct sql_parse_opts o;
    memset(&o, 0, sizeof(o));
    sql_script_init(&s);
    for (size_t k = 0; k < sizeof(q) / sizeof(q[0]); k++) {
        size_t n = strlen(q[k]);
        for (size_t cut = 0; cut <= n; cut++) {
            sql_script_reset(&s);
            ck_assert(sql_parse(&o, q[k], cut, &s));
            ck_assert_int_ge(s.nstmts, 1);
            for (int j = 0; j < s.nstmts; j++) {
                ck_assert(s.stmts[j].parsed || s.stmts[j].parse_error != NULL);
                ck_assert_uint_le(s.stmts[j].span.off + s.stmts[j].span.len, cut);
            }
        }
    }
    sql_script_free(&s);
}
END_TEST

static Suite *sql_parse_suite(void)
{
    Suite *s = suite_create("sql_parse");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, parse_cases_file);
    tcase_add_test(tc, ddl_cases_corpus);
    tcase_add_test(tc, digests);
    tcase_add_test(tc, huge_statement);
    tcase_add_test(tc, typical_statement_no_malloc);
    tcase_add_test(tc, server_identity);
    tcase_add_test(tc, names);
    tcase_add_test(tc, truncations_never_fail);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sql_parse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
