/*
 * check_sql_digest.c - the on-demand statement digest (sql_stmt_digest()).
 *
 * Approvals are stored by digest in the state file, so the value must not
 * change between versions: known_values pins digests that the eager
 * implementation (computed during sql_parse(), before it was made lazy)
 * produced for statements that exercise every path of the re-lex (comments,
 * executable comments that open in an earlier statement, MariaDB-only
 * comments, ANSI_QUOTES, NO_BACKSLASH_ESCAPES, compound statements, "?, ?"
 * runs, long and non-ASCII words).  corpus_consistency checks, over the
 * parser and lexer corpora, that a statement's digest does not depend on
 * where it sits in the text, and that the cached and computed values agree.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"
#include "test_files.h"

/* opts bits: 1 MariaDB 10.11.19 (else MySQL 8.0.36), 2 ANSI_QUOTES,
 * 4 NO_BACKSLASH_ESCAPES, 8 server version unknown (every versioned
 * comment applies) */
static void opts_of(unsigned b, struct sql_parse_opts *o)
{
    memset(o, 0, sizeof *o);
    o->server.flavour = (b & 1) ? SQL_FLAVOUR_MARIADB : SQL_FLAVOUR_MYSQL;
    o->server.version = (b & 8) ? 0 : (b & 1) ? 101119 : 80036;
    o->ansi_quotes = (b & 2) != 0;
    o->no_backslash_escapes = (b & 4) != 0;
}

struct known {
    unsigned opt;
    const char *sql;
    int nstmts;
    uint64_t digest[3];
};

/* Values the eager digest (computed inside sql_parse(), before it was made
 * lazy) gave for these statements. */
static const struct known known[] = {
    {0,
     "SELECT id, name, email, status FROM shop.users u WHERE u.id = 42 AND u.status = 'active' "
     "LIMIT 1",
     1,
     {0x478a87fc6e19e78dull}},
    {0, "select ID,name from SHOP.users U where u.id=7", 1, {0xe641a2bd3379f559ull}},
    {0, "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (?, ?)", 1, {0x8e91b0bba151f55eull}},
    {0, "SELECT a FROM t WHERE b IN (1, 2, 3) AND c IN (x, 2)", 1, {0xebcb98a14379a22aull}},
    {0,
     "UPDATE t SET a = a + 1, b = X'0A', c = 0x1f, d = b'101', e = 1.5e3 WHERE id = ?",
     1,
     {0x3014623dfe803aa2ull}},
    {0, "SELECT `select`, `from` FROM `t` WHERE `a`.`b` = .5", 1, {0x16d2fe7e1fb051d3ull}},
    {0,
     "SELECT customer_identifier_long_name, another_really_long_identifier_x FROM t",
     1,
     {0x355d88ac36da4a3eull}},
    {0,
     "SELECT caf\xc3\xa9, na\xc3\xafve FROM t\xc3\xa9 WHERE x = N'abc' OR y = _utf8mb4'q'",
     1,
     {0x500643047cded3f4ull}},
    {0,
     "SELECT 1; SELECT 2;; select 3 ;",
     3,
     {0x645e93d3f9a4fa05ull, 0x645e93d3f9a4fa05ull, 0x645e93d3f9a4fa05ull}},
    {0, "/*!80000 ALTER TABLE t ADD COLUMN c INT */", 1, {0x0144e45160701bc7ull}},
    {0,
     "ALTER TABLE t ADD COLUMN c INT /*!80023 INVISIBLE */, ALGORITHM=INSTANT",
     1,
     {0x9f8cb122f1183dbcull}},
    /* the second statement starts inside a comment the first one opened */
    {0,
     "/*!50700 SELECT 1; ALTER TABLE t ADD c INT */; SELECT 4",
     3,
     {0x645e93d3f9a4fa05ull, 0xb5415e20a2f3a6d0ull, 0x645e93d3f9a4fa05ull}},
    {0, "/*!90100 DROP TABLE t */ SELECT 5", 1, {0x645e93d3f9a4fa05ull}},
    {8, "/*!90100 DROP TABLE t */ SELECT 5", 1, {0x3ec0aa147d572333ull}},
    {1, "/*M!100300 ALTER TABLE t ADD c INT */", 1, {0xb5415e20a2f3a6d0ull}},
    {0, "/*M!100300 ALTER TABLE t ADD c INT */", 1, {0}}, /* empty for MySQL */
    {2, "SELECT \"a\", 'b' FROM \"t\" WHERE \"c\" = 'd'", 1, {0x696cfe2a24c65d13ull}},
    {0, "SELECT \"a\", 'b' FROM \"t\" WHERE \"c\" = 'd'", 1, {0xff1c877da13b5804ull}},
    {4, "SELECT 'a\\', b FROM t WHERE c = 'x'", 1, {0xf5aac55758927728ull}},
    {0, "SELECT 'a\\'', b FROM t WHERE c = 'it''s'", 1, {0xf5aac55758927728ull}},
    {0,
     "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.a > 0 THEN SET NEW.b = 1; "
     "END IF; END; SELECT 2",
     2,
     {0x372abd0b483916c8ull, 0x645e93d3f9a4fa05ull}},
    {1,
     "SET STATEMENT max_statement_time=60 FOR ALTER TABLE t ADD COLUMN c INT",
     1,
     {0xe4c169014cbddc98ull}},
    {0, "SELECT a /* comment */ FROM t -- tail\n WHERE b = 1 # more\n", 1, {0x2db8ce5dc124c772ull}},
    {0, "SELECT a FROM t WHERE b = 'unterminated", 1, {0x2db8ce5dc124c772ull}},
    {0,
     "SELECT @a, @@session.sql_mode, @`q`, t.* FROM t WHERE x <=> 1 AND y ->> '$.a' != 2",
     1,
     {0x304aaf32a72bf1eeull}},
    {0, "BEGIN NOT ATOMIC SELECT 1; SELECT 2; END", 1, {0x4a50d7a189c557bcull}},
    {0, "DELETE FROM t WHERE id IN (?, ?, ?) LIMIT 10", 1, {0x83bea88c14269076ull}},
    {0, "  \n ;  ", 1, {0}},
    {0, "-- only a comment", 1, {0}},
};

START_TEST(known_values)
{
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const struct known *k = &known[i];
        struct sql_parse_opts o;
        struct sql_script s;
        size_t len = strlen(k->sql);
        opts_of(k->opt, &o);
        sql_script_init(&s);
        ck_assert(sql_parse(&o, k->sql, len, &s));
        ck_assert_msg(s.nstmts == k->nstmts, "%s: %d statements", k->sql, s.nstmts);
        for (int j = 0; j < s.nstmts; j++) {
            uint64_t d = sql_stmt_digest(&o, k->sql, len, &s.stmts[j]);
            ck_assert_msg(d == k->digest[j], "%s: statement %d digest %016llx, want %016llx",
                          k->sql, j, (unsigned long long)d, (unsigned long long)k->digest[j]);
            /* the cached value is the same and is returned from then on */
            ck_assert(sql_stmt_digest_fill(&o, k->sql, len, &s.stmts[j]) == d);
            ck_assert(s.stmts[j].digest_valid && s.stmts[j].digest == d);
            ck_assert(sql_stmt_digest(&o, k->sql, len, &s.stmts[j]) == d);
        }
        sql_script_free(&s);
    }
}
END_TEST

/* ---- corpus ------------------------------------------------------------------- */

/* \n, \t, \\ and \xHH, as the corpus files write them; returns the length */
static size_t unescape(const char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '\\' && i + 1 < n && (in[i + 1] == 'n' || in[i + 1] == 't')) {
            out[o++] = in[i + 1] == 'n' ? '\n' : '\t';
            i++;
        } else if (in[i] == '\\' && i + 3 < n && in[i + 1] == 'x') {
            char hex[3] = {in[i + 2], in[i + 3], 0};
            out[o++] = (char)strtoul(hex, NULL, 16);
            i += 3;
        } else {
            out[o++] = in[i];
        }
    }
    return o;
}

#define PREFIX "SELECT 0;\n"

/* The digests of text's statements equal those of the same statements
 * after a prefix statement, under every option combination. */
static int check_text(const char *text, size_t len)
{
    static char shifted[70000];
    if (len + sizeof(PREFIX) > sizeof(shifted))
        return 0;
    memcpy(shifted, PREFIX, sizeof(PREFIX) - 1);
    memcpy(shifted + sizeof(PREFIX) - 1, text, len);
    size_t slen = len + sizeof(PREFIX) - 1;
    int checked = 0;
    for (unsigned opt = 0; opt < 16; opt++) {
        struct sql_parse_opts o;
        struct sql_script a, b;
        opts_of(opt, &o);
        sql_script_init(&a);
        sql_script_init(&b);
        ck_assert(sql_parse(&o, text, len, &a));
        ck_assert(sql_parse(&o, shifted, slen, &b));
        int j = 1; /* b's statement 0 is the prefix */
        for (int i = 0; i < a.nstmts; i++) {
            if (a.stmts[i].kind == SQL_KIND_EMPTY)
                continue;
            while (j < b.nstmts && b.stmts[j].kind == SQL_KIND_EMPTY)
                j++;
            ck_assert_msg(j < b.nstmts, "opt %u: statement %d lost after the prefix: %.*s", opt, i,
                          (int)len, text);
            uint64_t da = sql_stmt_digest(&o, text, len, &a.stmts[i]);
            uint64_t db = sql_stmt_digest(&o, shifted, slen, &b.stmts[j]);
            ck_assert_msg(da == db, "opt %u: statement %d digest %016llx vs %016llx: %.*s", opt, i,
                          (unsigned long long)da, (unsigned long long)db, (int)len, text);
            ck_assert(sql_stmt_digest_fill(&o, text, len, &a.stmts[i]) == da);
            j++;
            checked++;
        }
        sql_script_free(&a);
        sql_script_free(&b);
    }
    return checked;
}

static int check_corpus(const char *rel, const char *lead)
{
    char *buf = ut_read_file(rel);
    size_t ll = strlen(lead);
    int checked = 0;
    static char text[70000];
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (n > ll && strncmp(line, lead, ll) == 0 && n - ll < sizeof(text)) {
            size_t tl = unescape(line + ll, n - ll, text);
            checked += check_text(text, tl);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
    return checked;
}

START_TEST(corpus_consistency)
{
    int a = check_corpus("tests/data/sql/parse-cases.txt", "sql ");
    int b = check_corpus("tests/data/sql/lex-cases.txt", "lex ");
    ck_assert_msg(a > 1000 && b > 100, "corpus too small: %d + %d statements", a, b);
}
END_TEST

/* A statement's digest is the same whichever text it was parsed from:
 * approvals match across sessions that send it alone or in a batch. */
START_TEST(alone_and_in_batch)
{
    static const char *const batch = "SELECT 1; ALTER TABLE t ADD COLUMN c INT; DROP TABLE x";
    static const char *const alone[] = {"SELECT 1", "ALTER TABLE t ADD COLUMN c INT",
                                        "DROP TABLE x"};
    struct sql_parse_opts o;
    struct sql_script a, b;
    opts_of(0, &o);
    sql_script_init(&a);
    ck_assert(sql_parse(&o, batch, strlen(batch), &a));
    ck_assert_int_eq(a.nstmts, 3);
    for (int i = 0; i < 3; i++) {
        sql_script_init(&b);
        ck_assert(sql_parse(&o, alone[i], strlen(alone[i]), &b));
        ck_assert(sql_stmt_digest(&o, batch, strlen(batch), &a.stmts[i]) ==
                  sql_stmt_digest(&o, alone[i], strlen(alone[i]), &b.stmts[0]));
        sql_script_free(&b);
    }
    sql_script_free(&a);
}
END_TEST

static Suite *sql_digest_suite(void)
{
    Suite *s = suite_create("sql_digest");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, known_values);
    tcase_add_test(tc, corpus_consistency);
    tcase_add_test(tc, alone_and_in_batch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sql_digest_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
