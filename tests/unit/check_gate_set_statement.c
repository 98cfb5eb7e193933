/*
 * check_gate_set_statement.c - MariaDB's `SET STATEMENT var=expr [, ...]
 * FOR <stmt>` must be judged exactly as <stmt> sent alone: the same model
 * (kind, tables, DDL structure, every span moved by the prefix's length),
 * the same rules and actions, rewrites that keep the prefix byte for byte,
 * DG030 judged by a lock_wait_timeout the prefix gives, and the leading
 * keyword look (lex_skip_set_statement) the proxy uses to decide whether a
 * text may be DDL.  Also: DG081 from the parser's WHERE facts, and the other
 * wrappers that let a DDL pass (compound statements, CREATE OR REPLACE).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "gate.h"
#include "lint.h"
#include "rules.h"
#include "sql.h"
#include "sql_lex.h"

/* statements judged bare and wrapped */
static const char *const ss_inner[] = {
    "DROP TABLE t",
    "DROP TABLE IF EXISTS shop.a, b",
    "TRUNCATE TABLE t",
    "ALTER TABLE t ADD COLUMN c INT NULL",
    "ALTER TABLE shop.t ADD INDEX i (a), ALGORITHM=COPY",
    "ALTER TABLE t MODIFY c BIGINT NOT NULL, LOCK=DEFAULT",
    "ALTER TABLE t DROP COLUMN c, ALGORITHM=INPLACE, LOCK=NONE",
    "CREATE INDEX i ON t (a)",
    "DROP INDEX i ON t",
    "RENAME TABLE a TO b",
    "OPTIMIZE TABLE t",
    "CREATE TABLE n (id INT PRIMARY KEY)",
    "CREATE OR REPLACE TABLE n (id INT)",
    "DROP DATABASE d",
    "LOCK TABLES t WRITE",
    "FLUSH TABLES WITH READ LOCK",
    "UPDATE t SET a = 1",
    "UPDATE t SET a = 1 WHERE id = 5",
    "DELETE FROM t",
    "DELETE FROM t WHERE a = 1 OR b = 2",
    "INSERT INTO t (a) SELECT a FROM u",
    "SELECT a FROM t WHERE id = 1 FOR UPDATE",
    "SELECT 1",
};

/* prefixes: values of every shape (strings holding FOR and ';', nested
 * parentheses, function calls, a subquery with FOR UPDATE, FOR inside
 * SUBSTRING, system variable syntax, comments, nesting) */
static const char *const ss_prefix[] = {
    "SET STATEMENT max_statement_time=5 FOR ",
    "set statement max_statement_time = 5 for\n  ",
    "SET STATEMENT sql_mode='FOR;x', optimizer_switch=CONCAT('a', (1+(2)), \"FOR\") FOR ",
    "SET STATEMENT a=(SELECT 1 FROM dual FOR UPDATE), b=SUBSTRING('x' FROM 1 FOR 1) FOR ",
    "SET /* c */ STATEMENT @@session.max_statement_time=-1, b=CASE WHEN 1 THEN 2 END FOR /* d */ ",
    "SET STATEMENT a=1 FOR SET STATEMENT b=2 FOR ",
    "SET STATEMENT x := DEFAULT FOR ",
};

static struct sql_parse_opts ss_opts(unsigned flavour)
{
    struct sql_parse_opts o;
    memset(&o, 0, sizeof o);
    ck_assert(sql_server_from_spec(flavour ? "mariadb-10.11" : "mysql-8.0.36", &o.server));
    return o;
}

static void ss_span_eq(struct sql_span bare, struct sql_span wrapped, uint32_t shift,
                       const char *what, const char *sql)
{
    if (bare.len == 0) {
        ck_assert_msg(wrapped.len == 0, "%s: %s has a span wrapped only", sql, what);
        return;
    }
    ck_assert_msg(wrapped.off == bare.off + shift && wrapped.len == bare.len,
                  "%s: %s at %u+%u, want %u+%u", sql, what, wrapped.off, wrapped.len,
                  bare.off + shift, bare.len);
}

static void ss_name_eq(const struct sql_name *a, const struct sql_name *b, uint32_t shift,
                       const char *sql)
{
    ck_assert_msg((!a->name && !b->name) || (a->name && b->name && !strcmp(a->name, b->name)),
                  "%s: name", sql);
    ck_assert_msg((!a->schema && !b->schema) ||
                      (a->schema && b->schema && !strcmp(a->schema, b->schema)),
                  "%s: schema", sql);
    ss_span_eq(a->span, b->span, shift, "name", sql);
}

/* the model of the wrapped statement is the bare one moved by `shift` */
static void ss_model_eq(const struct sql_stmt *a, const struct sql_stmt *b, uint32_t shift,
                        const char *sql)
{
    ck_assert_msg(a->kind == b->kind, "%s: kind %s, bare %s", sql, sql_kind_name(b->kind),
                  sql_kind_name(a->kind));
    ck_assert_msg(a->ddl == b->ddl && a->txn == b->txn, "%s: ddl/txn", sql);
    ck_assert_msg(a->parsed == b->parsed, "%s: parsed %d (%s)", sql, b->parsed,
                  b->parse_error ? b->parse_error : "");
    ck_assert_int_eq(a->ntables, b->ntables);
    for (int i = 0; i < a->ntables; i++) {
        ss_name_eq(&a->tables[i].name, &b->tables[i].name, shift, sql);
        ck_assert_int_eq(a->tables[i].access, b->tables[i].access);
    }
    ck_assert_int_eq(a->ncolumns, b->ncolumns);
    for (int i = 0; i < a->ncolumns; i++) {
        ck_assert_str_eq(a->columns[i].name ? a->columns[i].name : "-",
                         b->columns[i].name ? b->columns[i].name : "-");
        ck_assert_int_eq(a->columns[i].ctx, b->columns[i].ctx);
        ck_assert_int_eq(a->columns[i].table_idx, b->columns[i].table_idx);
        ss_span_eq(a->columns[i].span, b->columns[i].span, shift, "column", sql);
    }
    const struct sql_alter *x = &a->alter, *y = &b->alter;
    ss_name_eq(&x->table, &y->table, shift, sql);
    ck_assert_int_eq(x->algorithm, y->algorithm);
    ck_assert_int_eq(x->lock, y->lock);
    ss_span_eq(x->algorithm_span, y->algorithm_span, shift, "ALGORITHM", sql);
    ss_span_eq(x->lock_span, y->lock_span, shift, "LOCK", sql);
    ck_assert_int_eq(x->nspecs, y->nspecs);
    for (int i = 0; i < x->nspecs; i++) {
        ck_assert_int_eq(x->specs[i].op, y->specs[i].op);
        ss_span_eq(x->specs[i].span, y->specs[i].span, shift, "spec", sql);
    }
    if (x->append_off || y->append_off)
        ck_assert_msg(y->append_off == x->append_off + shift, "%s: append_off %u want %u", sql,
                      y->append_off, x->append_off + shift);
    ck_assert_int_eq(a->create.or_replace, b->create.or_replace);
    ck_assert_int_eq(a->create.ncols, b->create.ncols);
    ck_assert_int_eq(a->if_exists, b->if_exists);
    ck_assert_int_eq(a->flush_with_read_lock, b->flush_with_read_lock);
    ck_assert_int_eq(a->lock_for_write, b->lock_for_write);
    ck_assert_int_eq(a->has_where, b->has_where);
    ck_assert_int_eq(a->has_limit, b->has_limit);
    ck_assert_int_eq(a->for_update, b->for_update);
    ck_assert_int_eq(a->insert_select, b->insert_select);
}

START_TEST(test_model)
{
    struct sql_script bare, wrapped;
    sql_script_init(&bare);
    sql_script_init(&wrapped);
    for (unsigned fl = 0; fl < 2; fl++) {
        struct sql_parse_opts o = ss_opts(fl);
        for (size_t i = 0; i < sizeof ss_inner / sizeof ss_inner[0]; i++) {
            for (size_t k = 0; k < sizeof ss_prefix / sizeof ss_prefix[0]; k++) {
                char sql[512];
                size_t pl = strlen(ss_prefix[k]);
                snprintf(sql, sizeof sql, "%s%s", ss_prefix[k], ss_inner[i]);
                sql_script_reset(&bare);
                sql_script_reset(&wrapped);
                ck_assert(sql_parse(&o, ss_inner[i], strlen(ss_inner[i]), &bare));
                ck_assert(sql_parse(&o, sql, strlen(sql), &wrapped));
                ck_assert_int_eq(bare.nstmts, 1);
                ck_assert_int_eq(wrapped.nstmts, 1);
                const struct sql_stmt *a = &bare.stmts[0], *b = &wrapped.stmts[0];
                ss_model_eq(a, b, (uint32_t)pl, sql);
                ck_assert_int_eq(a->set_statement.len, 0);
                ck_assert_int_eq(a->body_off, 0);
                /* span covers the whole text; the prefix from SET to FOR */
                ck_assert_int_eq(b->span.off, 0);
                ck_assert_int_eq(b->span.len, strlen(sql));
                ck_assert_uint_eq(b->body_off, pl);
                ck_assert_int_eq(b->set_statement.off, 0);
                const char *forw = sql + b->set_statement.len - 3;
                ck_assert_msg(strncasecmp(forw, "FOR", 3) == 0, "%s: prefix ends '%.*s'", sql,
                              (int)b->set_statement.len, sql);
            }
        }
    }
    sql_script_free(&bare);
    sql_script_free(&wrapped);
}
END_TEST

/* malformed prefixes: never a DDL kind out of thin air, never parsed */
START_TEST(test_model_malformed)
{
    static const char *const bad[] = {
        "SET STATEMENT max_statement_time=5 DROP TABLE t",
        "SET STATEMENT max_statement_time=5 FOR",
        "SET STATEMENT a=(1 FOR DROP TABLE t",
        "SET STATEMENT FOR DROP TABLE t",
        "SET STATEMENT a=1) FOR DROP TABLE t",
    };
    struct sql_parse_opts o = ss_opts(1);
    struct sql_script sc;
    sql_script_init(&sc);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sql_script_reset(&sc);
        ck_assert(sql_parse(&o, bad[i], strlen(bad[i]), &sc));
        ck_assert_msg(!sc.stmts[0].parsed, "%s parsed", bad[i]);
        ck_assert_msg(sc.stmts[0].kind == SQL_KIND_SET, "%s: kind %s", bad[i],
                      sql_kind_name(sc.stmts[0].kind));
    }
    /* a variable named statement is a plain SET */
    sql_script_reset(&sc);
    ck_assert(sql_parse(&o, "SET statement = 1", 17, &sc));
    ck_assert_int_eq(sc.stmts[0].kind, SQL_KIND_SET);
    ck_assert_int_eq(sc.stmts[0].set_statement.len, 0);
    /* two statements: the prefix belongs to the first only */
    sql_script_reset(&sc);
    const char *two = "SET STATEMENT a=1 FOR SELECT 1; DROP TABLE t";
    ck_assert(sql_parse(&o, two, strlen(two), &sc));
    ck_assert_int_eq(sc.nstmts, 2);
    ck_assert_int_eq(sc.stmts[0].kind, SQL_KIND_SELECT);
    ck_assert_int_eq(sc.stmts[1].ddl, SQL_DDL_DROP_TABLE);
    ck_assert_int_eq(sc.stmts[1].set_statement.len, 0);
    ck_assert_uint_eq(sc.stmts[1].body_off, sc.stmts[1].span.off);
    sql_script_free(&sc);
}
END_TEST

static struct sql_script ss_sc;

/* every table is a typical one (InnoDB, DYNAMIC, an id primary key) */
static struct gate_column_info ss_id = {
    .name = "id", .type = "INT", .length = -1, .unique_lead = true, .in_index = true};
static const char *ss_key[] = {"id"};
static const struct gate_table_info ss_typical = {.engine = "InnoDB",
                                                  .row_format = "DYNAMIC",
                                                  .has_primary_key = true,
                                                  .has_not_null_unique = true,
                                                  .ncols = 1,
                                                  .cols = &ss_id,
                                                  .nkey_cols = 1,
                                                  .key_cols = ss_key};

static const struct gate_table_info *ss_lookup(void *ctx, const char *schema, const char *table)
{
    (void)ctx, (void)schema, (void)table;
    return &ss_typical;
}

static void ss_judge(const struct sql_parse_opts *o, const struct gate_session *sess,
                     const char *sql, struct gate_verdict *v)
{
    struct gate_tables t = {ss_lookup, NULL};
    gate_check(o, sess, &t, sql, strlen(sql), &ss_sc, v);
}

/* the verdict on the wrapped text is the bare one; a rewrite is the bare
 * rewrite behind the untouched prefix */
START_TEST(test_verdicts)
{
    struct gate_verdict a, b;
    gate_verdict_init(&a);
    gate_verdict_init(&b);
    sql_script_init(&ss_sc);
    rules_reset();
    struct gate_session sess = {.user = "app", .lock_wait_timeout_s = 86400, .lock_wait_cap_s = 2};
    for (unsigned fl = 0; fl < 2; fl++) {
        struct sql_parse_opts o = ss_opts(fl);
        for (int with_sess = 0; with_sess < 2; with_sess++) {
            for (size_t i = 0; i < sizeof ss_inner / sizeof ss_inner[0]; i++) {
                for (size_t k = 0; k < sizeof ss_prefix / sizeof ss_prefix[0]; k++) {
                    char sql[512];
                    snprintf(sql, sizeof sql, "%s%s", ss_prefix[k], ss_inner[i]);
                    ss_judge(&o, with_sess ? &sess : NULL, ss_inner[i], &a);
                    ss_judge(&o, with_sess ? &sess : NULL, sql, &b);
                    ck_assert_msg(a.action == b.action, "%s: action %d, bare %d", sql, b.action,
                                  a.action);
                    ck_assert_msg(a.nrules == b.nrules &&
                                      !memcmp(a.rules, b.rules, sizeof(a.rules[0]) * a.nrules),
                                  "%s: rules differ", sql);
                    ck_assert_int_eq(a.needs_mdl, b.needs_mdl);
                    ck_assert_int_eq(a.algorithm, b.algorithm);
                    ck_assert_int_eq(a.lock_none, b.lock_none);
                    ck_assert_int_eq(a.rebuild, b.rebuild);
                    ck_assert_int_eq(a.lock_wait_cap_s, b.lock_wait_cap_s);
                    ck_assert_int_eq(!a.rewritten, !b.rewritten);
                    if (a.rewritten) {
                        size_t pl = strlen(ss_prefix[k]);
                        ck_assert_msg(b.rewritten_len == pl + a.rewritten_len &&
                                          !memcmp(b.rewritten, ss_prefix[k], pl) &&
                                          !memcmp(b.rewritten + pl, a.rewritten, a.rewritten_len),
                                      "%s: rewritten '%.*s', bare '%.*s'", sql,
                                      (int)b.rewritten_len, b.rewritten, (int)a.rewritten_len,
                                      a.rewritten);
                    }
                }
            }
        }
    }
    /* the ones that matter, spelled out */
    struct sql_parse_opts o = ss_opts(1);
    ss_judge(&o, NULL, "SET STATEMENT max_statement_time=5 FOR DROP TABLE t", &b);
    ck_assert_int_eq(b.action, GATE_APPROVAL);
    ck_assert_int_eq(b.deciding_rule, 5);
    ck_assert(b.needs_mdl);
    ss_judge(&o, NULL, "SET STATEMENT max_statement_time=5 FOR ALTER TABLE t ADD c INT", &b);
    ck_assert_int_eq(b.action, GATE_REWRITE);
    ck_assert_str_eq(b.rewritten, "SET STATEMENT max_statement_time=5 FOR ALTER TABLE t ADD c INT, "
                                  "ALGORITHM=INSTANT");
    ss_judge(&o, NULL, "SET STATEMENT a=1 FOR CREATE INDEX i ON t (a) -- c\n", &b);
    ck_assert_str_eq(b.rewritten,
                     "SET STATEMENT a=1 FOR CREATE INDEX i ON t (a) ALGORITHM=NOCOPY LOCK=NONE "
                     "-- c\n");
    /* a DDL behind the prefix in a multi-statement text: DG902 */
    ss_judge(&o, NULL, "SELECT 1; SET STATEMENT a=1 FOR DROP TABLE t", &b);
    ck_assert_int_eq(b.action, GATE_REJECT);
    ck_assert_int_eq(b.deciding_rule, 902);
    /* executable comments around the prefix or the body */
    ss_judge(&o, NULL, "/*M!100300 SET STATEMENT a=1 FOR */ DROP TABLE t", &b);
    ck_assert_int_eq(b.action, GATE_APPROVAL);
    ss_judge(&o, NULL, "SET STATEMENT a=1 FOR /*!50000 TRUNCATE t */", &b);
    ck_assert_int_eq(b.action, GATE_APPROVAL);
    rules_reset();
    gate_verdict_clear(&a);
    gate_verdict_clear(&b);
    sql_script_free(&ss_sc);
}
END_TEST

/* DG030: a lock_wait_timeout in the prefix is the statement's, not the
 * session's: judged by it, and capped in the text */
START_TEST(test_dg030_statement_value)
{
    struct gate_verdict v;
    gate_verdict_init(&v);
    sql_script_init(&ss_sc);
    rules_reset();
    struct sql_parse_opts o = ss_opts(1);
    struct gate_session big = {.user = "app", .lock_wait_timeout_s = 86400, .lock_wait_cap_s = 2};
    struct gate_session low = big;
    low.lock_wait_timeout_s = 1;

    /* a low statement value wins over a big session value */
    ss_judge(&o, &big, "SET STATEMENT lock_wait_timeout=1 FOR OPTIMIZE TABLE t", &v);
    ck_assert(v.nrules == 0 || v.rules[0] != 30);
    ck_assert_int_eq(v.lock_wait_cap_s, 0);
    ss_judge(&o, &big, "SET STATEMENT @@lock_wait_timeout=2, a=1 FOR TRUNCATE TABLE t", &v);
    for (int i = 0; i < v.nrules; i++)
        ck_assert_int_ne(v.rules[i], 30);

    /* a big statement value on a capped session: fires, the value is
     * rewritten to the cap (a session cap would not reach the statement) */
    const char *q = "SET STATEMENT max_statement_time=9, lock_wait_timeout = 600 FOR OPTIMIZE "
                    "TABLE t";
    ss_judge(&o, &low, q, &v);
    ck_assert_int_eq(v.deciding_rule, 30);
    ck_assert_int_eq(v.action, GATE_REWRITE);
    ck_assert_int_eq(v.lock_wait_cap_s, 0);
    ck_assert_str_eq(v.rewritten,
                     "SET STATEMENT max_statement_time=9, lock_wait_timeout = 2 FOR OPTIMIZE "
                     "TABLE t");
    /* with another rewrite of the body: both edits */
    ss_judge(&o, &low, "SET STATEMENT lock_wait_timeout=(60*60) FOR ALTER TABLE t ADD c INT", &v);
    ck_assert_int_eq(v.action, GATE_REWRITE);
    ck_assert_str_eq(v.rewritten, "SET STATEMENT lock_wait_timeout=2 FOR ALTER TABLE t ADD c INT, "
                                  "ALGORITHM=INSTANT");
    /* DEFAULT: the server's default, above the cap */
    ss_judge(&o, &low, "SET STATEMENT lock_wait_timeout=DEFAULT FOR OPTIMIZE TABLE t", &v);
    ck_assert_int_eq(v.deciding_rule, 30);
    ck_assert_str_eq(v.rewritten, "SET STATEMENT lock_wait_timeout=2 FOR OPTIMIZE TABLE t");
    /* nested: the innermost value is the one that applies */
    ss_judge(&o, &big,
             "SET STATEMENT lock_wait_timeout=900 FOR SET STATEMENT lock_wait_timeout=1 FOR "
             "OPTIMIZE TABLE t",
             &v);
    for (int i = 0; i < v.nrules; i++)
        ck_assert_int_ne(v.rules[i], 30);
    /* no lock_wait_timeout in the prefix: the session's value, capped by
     * the DDL queue as for a bare DDL */
    ss_judge(&o, &big, "SET STATEMENT max_statement_time=1 FOR OPTIMIZE TABLE t", &v);
    ck_assert_int_eq(v.deciding_rule, 30);
    ck_assert_int_eq(v.lock_wait_cap_s, 2);
    ck_assert_ptr_null(v.rewritten);
    /* warn mode: named, nothing rewritten */
    ck_assert(rules_set_mode(30, RULE_WARN, NULL, NULL));
    ss_judge(&o, &low, q, &v);
    ck_assert_ptr_null(v.rewritten);
    bool named = false;
    for (int i = 0; i < v.nrules; i++)
        named |= v.rules[i] == 30;
    ck_assert(named);
    rules_reset();
    /* a SET STATEMENT does not change the session (gate_lock_wait_set) */
    int64_t s = -1;
    ck_assert_int_eq(gate_lock_wait_set(&o, q, strlen(q), &s), 0);
    gate_verdict_clear(&v);
    sql_script_free(&ss_sc);
}
END_TEST

/* the proxy's look at the leading keyword (pipeline.c maybe_ddl) */
START_TEST(test_lex_skip)
{
    static const struct {
        const char *sql;
        bool skipped;
        const char *first; /* the token left in t */
    } cases[] = {
        {"SET STATEMENT a=1 FOR DROP TABLE t", true, "DROP"},
        {"SET STATEMENT a='x FOR', b=(SELECT 1 FOR UPDATE) FOR ALTER TABLE t", true, "ALTER"},
        {"SET STATEMENT a=1 FOR SET STATEMENT b=2 FOR TRUNCATE t", true, "TRUNCATE"},
        {"/*M!100300 SET STATEMENT a=1 FOR */ DROP TABLE t", true, "DROP"},
        {"SET STATEMENT a=1 FOR EXECUTE IMMEDIATE 'DROP TABLE t'", true, "EXECUTE"},
        {"SET a=1", false, "SET"},
        {"SET STATEMENT a=1", false, "SET"},
        {"SET STATEMENT a=1 FOR", false, "SET"},
        {"SET STATEMENT a=(1 FOR DROP TABLE t", false, "SET"},
        {"SET STATEMENT a=1 FOR SET STATEMENT b=2; DROP TABLE t", false, "SET"},
        {"DROP TABLE t", false, "DROP"},
    };
    struct sql_parse_opts o = ss_opts(1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct lex lx;
        struct lex_tok t;
        const char *s = cases[i].sql;
        lex_init(&lx, s, strlen(s), &o);
        ck_assert(lex_next(&lx, &t));
        uint32_t pos = lx.pos;
        bool r = lex_skip_set_statement(&lx, &t);
        ck_assert_msg(r == cases[i].skipped, "%s: %d", s, r);
        ck_assert_msg(strlen(cases[i].first) == t.len && !strncmp(s + t.off, cases[i].first, t.len),
                      "%s: token '%.*s'", s, (int)t.len, s + t.off);
        if (!r)
            ck_assert_uint_eq(lx.pos, pos);
    }
}
END_TEST

/* DG081 from the parser's WHERE facts (no rescan of the text): fires
 * unless a top-level conjunct pins the key and no OR joins the top level */
START_TEST(test_dg081)
{
    static const struct {
        const char *sql;
        bool fires;
    } cases[] = {
        {"UPDATE t SET a = 1 WHERE id = 5", false},
        {"UPDATE t SET a = 1 WHERE a = 2 AND t.id IN (1, 2)", false},
        {"DELETE FROM t WHERE id BETWEEN 1 AND 100 AND a = 'x OR y'", false},
        {"DELETE FROM t WHERE (id <=> 5) AND (a = 1 OR b = 2)", false},
        {"UPDATE t SET a = 1 WHERE id = 5 AND EXISTS (SELECT 1 FROM u WHERE x OR y)", false},
        {"SET STATEMENT max_statement_time=1 FOR UPDATE t SET a = 1 WHERE id = 5", false},
        {"UPDATE t SET a = 1 WHERE a = 5 LIMIT 10", false},
        {"UPDATE t SET a = 1 WHERE id = 5 OR a = 2", true},
        {"UPDATE t SET a = 1 WHERE (id = 5 OR a = 2)", true},
        {"UPDATE t SET a = 1 WHERE id = 5 || a = 2", true},
        {"UPDATE t SET a = 1 WHERE id = 5 XOR a = 2", true},
        {"UPDATE t SET a = 1 WHERE NOT id = 5", true},
        {"UPDATE t SET a = 1 WHERE NOT (id = 5)", true},
        {"UPDATE t SET a = 1 WHERE id >= 5", true},
        {"UPDATE t SET a = 1 WHERE IF(id = 5, 1, 0)", true},
        {"UPDATE t JOIN u ON u.id = t.uid SET t.a = 1 WHERE t.b = 2", true},
        {"UPDATE t SET a = (SELECT b FROM u WHERE u.id = 1) WHERE a = 5", true},
        {"UPDATE t SET a = 1 WHERE a IN (SELECT id FROM u WHERE id = 5)", true},
        {"SET STATEMENT max_statement_time=1 FOR DELETE FROM t WHERE a = 5", true},
    };
    struct gate_verdict v;
    gate_verdict_init(&v);
    sql_script_init(&ss_sc);
    rules_reset();
    struct sql_parse_opts o = ss_opts(1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ss_judge(&o, NULL, cases[i].sql, &v);
        bool fired = false;
        for (int k = 0; k < v.nrules; k++)
            fired |= v.rules[k] == 81;
        ck_assert_msg(fired == cases[i].fires, "%s: DG081 %s", cases[i].sql,
                      fired ? "fired" : "did not fire");
    }
    gate_verdict_clear(&v);
    sql_script_free(&ss_sc);
}
END_TEST

/* Other wrappers that ran a DDL past the gate: MariaDB compound statements
 * outside stored programs (BEGIN NOT ATOMIC, IF, CASE, LOOP, REPEAT, WHILE)
 * with a DDL or dynamic SQL inside are refused as unclassifiable (DG900);
 * CREATE OR REPLACE TABLE drops the old table (DG005). */
START_TEST(test_other_wrappers)
{
    static const struct {
        const char *sql;
        uint16_t rule; /* 0: no rule at all */
        enum gate_action action;
    } cases[] = {
        {"BEGIN NOT ATOMIC DROP TABLE t; END", 900, GATE_REJECT},
        {"BEGIN NOT ATOMIC SELECT 1; SELECT 2; END", 0, GATE_PASS},
        {"IF @x THEN ALTER TABLE t ADD c INT; END IF", 900, GATE_REJECT},
        {"IF @x THEN SELECT 1; ELSE TRUNCATE t; END IF", 900, GATE_REJECT},
        {"IF @x THEN SELECT 1; END IF", 0, GATE_PASS},
        {"WHILE @i > 0 DO SET @i = @i - 1; DROP TABLE t; END WHILE", 900, GATE_REJECT},
        {"REPEAT SET @i = @i + 1; UNTIL @i > 3 END REPEAT", 0, GATE_PASS},
        {"CASE @x WHEN 1 THEN EXECUTE IMMEDIATE 'DROP TABLE t'; END CASE", 900, GATE_REJECT},
        {"LOOP PREPARE s FROM @q; EXECUTE s; LEAVE; END LOOP", 900, GATE_REJECT},
        {"CREATE OR REPLACE TABLE t (id INT PRIMARY KEY)", 5, GATE_APPROVAL},
        {"CREATE OR REPLACE TEMPORARY TABLE t (id INT PRIMARY KEY)", 0, GATE_PASS},
        {"SELECT IF(1, 2, 3), CASE WHEN 1 THEN 2 END", 0, GATE_PASS},
        /* labelled blocks and MariaDB's FOR loop are the same statements */
        {"lbl: BEGIN NOT ATOMIC ALTER TABLE t ADD c INT NOT NULL; END", 900, GATE_REJECT},
        {"`l2`: LOOP DROP TABLE t; LEAVE l2; END LOOP l2", 900, GATE_REJECT},
        {"x: WHILE @i > 0 DO SET @i = @i - 1; END WHILE x", 0, GATE_PASS},
        {"FOR i IN 1..3 DO TRUNCATE t; END FOR", 900, GATE_REJECT},
        {"lbl: FOR i IN 1..3 DO SELECT i; END FOR lbl", 0, GATE_PASS},
    };
    struct gate_verdict v;
    gate_verdict_init(&v);
    sql_script_init(&ss_sc);
    rules_reset();
    struct sql_parse_opts o = ss_opts(1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ss_judge(&o, NULL, cases[i].sql, &v);
        ck_assert_msg(ss_sc.nstmts == 1, "%s: %d statements", cases[i].sql, ss_sc.nstmts);
        bool has = cases[i].rule == 0 ? v.nrules == 0 : false;
        for (int k = 0; k < v.nrules; k++)
            has |= v.rules[k] == cases[i].rule;
        ck_assert_msg(has && v.action == cases[i].action, "%s: action %d, %d rules, first DG%03u",
                      cases[i].sql, v.action, v.nrules, v.nrules ? v.rules[0] : 0);
    }
    gate_verdict_clear(&v);
    sql_script_free(&ss_sc);
}
END_TEST

/* `ddlgate lint` on a migration file: the wrapped DDL is held, rewritten
 * behind its prefix, and a statement value of lock_wait_timeout counts */
START_TEST(test_lint)
{
    char dir[] = "/tmp/ddlgate_setstmt_XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/V1__x.sql", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("SET STATEMENT max_statement_time=5 FOR DROP TABLE t;\n"
          "SET STATEMENT lock_wait_timeout=1 FOR ALTER TABLE t ADD COLUMN c INT NULL;\n"
          "SET STATEMENT lock_wait_timeout=3600 FOR ALTER TABLE t ADD COLUMN d INT NULL;\n",
          f);
    fclose(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    FILE *err = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(err);
    char *argv[] = {"lint", "--server", "mariadb-10.11", path, NULL};
    int rc = lint_run(4, argv, out, err);
    fclose(out);
    fclose(err);
    ck_assert_int_eq(rc, 1); /* the DROP is held */
    char want[512];
    snprintf(want, sizeof want,
             "%s:1: [DG005,DG030] algorithm=- lock_none=- rebuild=- action=approval -- ddlgate "
             "DG005 drop-table: SET STATEMENT max_statement_time=5 FOR DROP TABLE t drops",
             path);
    ck_assert_msg(strstr(buf, want), "%s", buf);
    snprintf(want, sizeof want,
             "%s:2: [DG010] algorithm=INSTANT lock_none=yes rebuild=no action=rewrite rewritten: "
             "SET STATEMENT lock_wait_timeout=1 FOR ALTER TABLE t ADD COLUMN c INT NULL, "
             "ALGORITHM=INSTANT\n",
             path);
    ck_assert_msg(strstr(buf, want), "%s", buf);
    snprintf(want, sizeof want,
             "%s:3: [DG010,DG030] algorithm=INSTANT lock_none=yes rebuild=no action=rewrite "
             "rewritten: SET STATEMENT lock_wait_timeout=2 FOR ALTER TABLE t ADD COLUMN d INT "
             "NULL, ALGORITHM=INSTANT\n",
             path);
    ck_assert_msg(strstr(buf, want), "%s", buf);
    free(buf);
    unlink(path);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gate_set_statement");
    TCase *tc = tcase_create("gate_set_statement");
    tcase_add_test(tc, test_model);
    tcase_add_test(tc, test_model_malformed);
    tcase_add_test(tc, test_verdicts);
    tcase_add_test(tc, test_dg030_statement_value);
    tcase_add_test(tc, test_lex_skip);
    tcase_add_test(tc, test_lint);
    tcase_add_test(tc, test_dg081);
    tcase_add_test(tc, test_other_wrappers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
