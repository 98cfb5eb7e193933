/* check_admin_cmd.c - the admin command parser (admin_cmd.c): a table of
 * good inputs with what they parse to, a table of bad ones with the error
 * they give, and a crash sweep over mangled inputs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_cmd.h"

static char err[512];

static bool parse(const char *q, struct admin_cmd *c)
{
    return admin_cmd_parse(q, strlen(q), c, err, sizeof(err));
}

static const struct {
    const char *q;
    enum admin_cmd_kind kind;
} simple[] = {
    {"SHOW RULES", ADMIN_SHOW_RULES},
    {"show rules", ADMIN_SHOW_RULES},
    {"  Show   Rules ;  ", ADMIN_SHOW_RULES},
    {"SHOW\tRULES\n;", ADMIN_SHOW_RULES},
    {"/* hi */ SHOW /* there */ RULES -- trailing\n", ADMIN_SHOW_RULES},
    {"# comment line\nSHOW RULES", ADMIN_SHOW_RULES},
    {"SHOW VERDICTS", ADMIN_SHOW_VERDICTS},
    {"SHOW SESSIONS", ADMIN_SHOW_SESSIONS},
    {"SHOW BACKEND", ADMIN_SHOW_BACKEND},
    {"SHOW PENDING", ADMIN_SHOW_PENDING},
    {"SHOW APPROVALS", ADMIN_SHOW_PENDING},
    {"SHOW QUEUE", ADMIN_SHOW_QUEUE},
    {"SHOW STATS", ADMIN_SHOW_STATS},
    {"SHOW CONFIG", ADMIN_SHOW_CONFIG},
    {"show warnings", ADMIN_SHOW_WARNINGS},
    {"RELOAD", ADMIN_RELOAD},
    {"reload;", ADMIN_RELOAD},
    {"HELP", ADMIN_HELP},
    {"help ;", ADMIN_HELP},
    {"help 'contents'", ADMIN_HELP}, /* what the mysql client sends for "help contents" */
    {"HELP rules", ADMIN_HELP},
    {"SHOW HELP", ADMIN_HELP},
    {"SET NAMES utf8mb4", ADMIN_SESSION_NOOP},
    {"SET NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'", ADMIN_SESSION_NOOP},
    {"SET autocommit=1", ADMIN_SESSION_NOOP},
    {"SET AUTOCOMMIT = 0;", ADMIN_SESSION_NOOP},
    {"SET @@session.sql_mode = 'STRICT_TRANS_TABLES'", ADMIN_SESSION_NOOP},
    {"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", ADMIN_SESSION_NOOP},
    {"SET character_set_results = NULL", ADMIN_SESSION_NOOP},
    {"USE ddlgate", ADMIN_SESSION_NOOP},
    {"use `my db`;", ADMIN_SESSION_NOOP},
    {"BEGIN", ADMIN_SESSION_NOOP},
    {"COMMIT", ADMIN_SESSION_NOOP},
    {"ROLLBACK", ADMIN_SESSION_NOOP},
    {"rollback work", ADMIN_SESSION_NOOP},
    {"START TRANSACTION", ADMIN_SESSION_NOOP},
};

START_TEST(simple_commands)
{
    struct admin_cmd c;
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
        ck_assert_msg(parse(simple[i].q, &c), "'%s': %s", simple[i].q, err);
        ck_assert_msg(c.kind == simple[i].kind, "'%s' parsed as %s", simple[i].q,
                      admin_cmd_kind_name(c.kind));
    }
}
END_TEST

START_TEST(set_rule)
{
    struct admin_cmd c;

    ck_assert_msg(parse("SET RULE DG005 = reject", &c), "%s", err);
    ck_assert_int_eq(c.kind, ADMIN_SET_RULE);
    ck_assert_uint_eq(c.rule_id, 5);
    ck_assert_int_eq(c.mode, RULE_REJECT);
    ck_assert(!c.mode_default);
    ck_assert_str_eq(c.schema, "");
    ck_assert_str_eq(c.table, "");

    ck_assert(parse("set rule dg5 = QUEUE", &c));
    ck_assert_uint_eq(c.rule_id, 5);
    ck_assert_int_eq(c.mode, RULE_APPROVAL);
    ck_assert(parse("SET RULE 16=off;", &c));
    ck_assert_uint_eq(c.rule_id, 16);
    ck_assert_int_eq(c.mode, RULE_OFF);
    ck_assert(parse("SET RULE drop-table = warn", &c)); /* by name */
    ck_assert_uint_eq(c.rule_id, 5);
    ck_assert(parse("SET RULE 'DG006' TO approval", &c));
    ck_assert_uint_eq(c.rule_id, 6);
    ck_assert_int_eq(c.mode, RULE_APPROVAL);
    ck_assert(parse("SET RULE DG001 = rewrite", &c));
    ck_assert_int_eq(c.mode, RULE_REWRITE);

    ck_assert(parse("SET RULE DG016 = off FOR shop.orders", &c));
    ck_assert_str_eq(c.schema, "shop");
    ck_assert_str_eq(c.table, "orders");
    ck_assert(parse("SET RULE DG016 = off FOR `my shop`.`odd``name`", &c));
    ck_assert_str_eq(c.schema, "my shop");
    ck_assert_str_eq(c.table, "odd`name");
    ck_assert(parse("SET RULE DG016 = warn FOR shop.*", &c));
    ck_assert_str_eq(c.schema, "shop");
    ck_assert_str_eq(c.table, "");
    ck_assert(parse("SET RULE DG016 = warn FOR shop", &c));
    ck_assert_str_eq(c.schema, "shop");
    ck_assert_str_eq(c.table, "");
    ck_assert(parse("SET RULE DG016 = default", &c));
    ck_assert(c.mode_default);
    ck_assert(parse("SET RULE DG016 = DEFAULT FOR a.b;", &c));
    ck_assert(c.mode_default);
    ck_assert_str_eq(c.table, "b");
}
END_TEST

START_TEST(approve_deny_cancel)
{
    struct admin_cmd c;

    ck_assert(parse("APPROVE 42", &c));
    ck_assert_int_eq(c.kind, ADMIN_APPROVE);
    ck_assert_uint_eq(c.id, 42);
    ck_assert_int_eq(c.minutes, 0);
    ck_assert_int_eq(c.once, -1);
    ck_assert(parse("approve 7 for 10 minutes", &c));
    ck_assert_int_eq(c.minutes, 10);
    ck_assert(parse("APPROVE 7 FOR 1 MINUTE ONCE;", &c));
    ck_assert_int_eq(c.minutes, 1);
    ck_assert_int_eq(c.once, 1);
    ck_assert(parse("APPROVE 7 WINDOW FOR 2 HOURS", &c));
    ck_assert_int_eq(c.minutes, 120);
    ck_assert_int_eq(c.once, 0);
    ck_assert(parse("APPROVE 18446744073709551615", &c));
    ck_assert_uint_eq(c.id, UINT64_MAX);
    ck_assert(parse("DENY 3", &c));
    ck_assert_int_eq(c.kind, ADMIN_DENY);
    ck_assert_uint_eq(c.id, 3);
    ck_assert(parse("cancel 9;", &c));
    ck_assert_int_eq(c.kind, ADMIN_CANCEL);
    ck_assert_uint_eq(c.id, 9);
}
END_TEST

START_TEST(client_probes)
{
    struct admin_cmd c;

    ck_assert_msg(parse("select @@version_comment limit 1", &c), "%s", err);
    ck_assert_int_eq(c.kind, ADMIN_SELECT);
    ck_assert_int_eq(c.nitems, 1);
    ck_assert_int_eq(c.items[0].kind, ADMIN_SEL_VAR);
    ck_assert_str_eq(c.items[0].name, "version_comment");
    ck_assert_str_eq(c.items[0].column, "@@version_comment");

    ck_assert(parse("SELECT DATABASE()", &c));
    ck_assert_int_eq(c.items[0].kind, ADMIN_SEL_FUNC);
    ck_assert_str_eq(c.items[0].name, "database");
    ck_assert_str_eq(c.items[0].column, "DATABASE()");
    ck_assert(parse("SELECT schema( )", &c));
    ck_assert_str_eq(c.items[0].name, "database");

    /* Connector/J style */
    ck_assert(parse("/* mysql-connector-j */ SELECT  @@session.auto_increment_increment AS "
                    "auto_increment_increment, @@character_set_client AS character_set_client, "
                    "@@GLOBAL.max_allowed_packet AS max_allowed_packet",
                    &c));
    ck_assert_int_eq(c.nitems, 3);
    ck_assert_str_eq(c.items[0].name, "auto_increment_increment");
    ck_assert_str_eq(c.items[0].column, "auto_increment_increment");
    ck_assert_str_eq(c.items[2].name, "max_allowed_packet");

    ck_assert(parse("SELECT 1", &c));
    ck_assert_int_eq(c.items[0].kind, ADMIN_SEL_INT);
    ck_assert_int_eq(c.items[0].num, 1);
    ck_assert_str_eq(c.items[0].column, "1");
    ck_assert(parse("/* ping */ select 1 from dual;", &c));
    ck_assert(parse("SELECT 'x' AS `y`, NULL, USER(), VERSION() v, CONNECTION_ID()", &c));
    ck_assert_int_eq(c.nitems, 5);
    ck_assert_int_eq(c.items[0].kind, ADMIN_SEL_STRING);
    ck_assert_str_eq(c.items[0].name, "x");
    ck_assert_str_eq(c.items[0].column, "y");
    ck_assert_int_eq(c.items[1].kind, ADMIN_SEL_NULL);
    ck_assert_str_eq(c.items[3].column, "v");
    ck_assert(parse("SELECT @@max_allowed_packet LIMIT 0", &c));
    ck_assert(parse("SELECT @user_var", &c));
    ck_assert_int_eq(c.items[0].kind, ADMIN_SEL_NULL);
    ck_assert(parse("SELECT 'it''s', \"a\\nb\"", &c));
    ck_assert_str_eq(c.items[0].name, "it's");
    ck_assert_str_eq(c.items[1].name, "a\nb");
}
END_TEST

static const struct {
    const char *q;
    const char *msg; /* a part of the error */
} bad[] = {
    {"", "empty command"},
    {"   ;", "empty command"},
    {"-- only a comment\n", "empty command"},
    {"DROP TABLE t", "unknown admin command 'DROP'"},
    {"SHOW", "expected RULES, VERDICTS"},
    {"SHOW TABLES", "expected RULES, VERDICTS"},
    {"SHOW RULES EXTRA", "expected end of command"},
    {"SHOW RULES; SHOW STATS", "one command per query"},
    {"SHOW RULES;;", "one command per query"},
    {"SET RULE", "a rule id"},
    {"SET RULE DG999 = off", "unknown rule 'DG999'"},
    {"SET RULE nosuch-rule = off", "unknown rule 'nosuch-rule'"},
    {"SET RULE DG005", "'=' after the rule id"},
    {"SET RULE DG005 =", "off, warn, rewrite"},
    {"SET RULE DG005 = maybe", "off, warn, rewrite"},
    {"SET RULE DG005 = off FOR", "a schema name after FOR"},
    {"SET RULE DG005 = off FOR a.", "a table name or *"},
    {"SET RULE DG005 = off FOR a.b.c", "expected end of command"},
    {"SET RULE DG005 = off FOR ``", "a schema name"},
    {"SET RULE DG005 = off FOR `unterminated", "unterminated"},
    {"SET GLOBAL x = 1", "SET GLOBAL is not supported"},
    {"SET 'x'", "RULE or a session variable"},
    {"SET NAMES 'utf8", "unterminated"},
    {"APPROVE", "a pending id after APPROVE"},
    {"APPROVE x", "a pending id"},
    {"APPROVE 0", "a pending id"},
    {"APPROVE -1", "a pending id"},
    {"APPROVE 18446744073709551616", "a pending id"},
    {"APPROVE 5x", "a pending id"},
    {"APPROVE 1 FOR", "a number of minutes"},
    {"APPROVE 1 FOR 10", "MINUTES or HOURS"},
    {"APPROVE 1 FOR 10 DAYS", "MINUTES or HOURS"},
    {"APPROVE 1 FOR 9999999 HOURS", "too long"},
    {"APPROVE 1 FOR 1 MINUTE FOR 2 MINUTES", "expected end of command"},
    {"APPROVE 1 ONCE ONCE", "expected end of command"},
    {"APPROVE 1 ALWAYS", "expected end of command"},
    {"DENY", "a pending id after DENY"},
    {"DENY 1 2", "expected end of command"},
    {"CANCEL abc", "a queued DDL id"},
    {"RELOAD now", "expected end of command"},
    {"HELP me too", "expected end of command"},
    {"SELECT", "an expression after SELECT"},
    {"SELECT * FROM t", "an expression after SELECT"},
    {"SELECT 1 FROM t", "no tables"},
    {"SELECT sleep(10)", "only simple client probes"},
    {"SELECT DATABASE(", "')'"},
    {"SELECT DATABASE", "'(' after the function name"},
    {"SELECT 1,", "an expression"},
    {"SELECT 1 AS", "an alias after AS"},
    {"SELECT 1 LIMIT x", "a number after LIMIT"},
    {"SELECT @@", "unterminated quote or comment, or stray character"},
    {"SELECT @@session.", "a variable name"},
    {"SELECT 1234567890123456789012", "a smaller number"},
    {"SHOW /* unterminated", "unterminated"},
    {"SHOW RULES \x01", "stray character"},
    {"USE a b c d e f g", "expected end of command"},
};

START_TEST(bad_inputs)
{
    struct admin_cmd c;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!parse(bad[i].q, &c), "'%s' was accepted", bad[i].q);
        ck_assert_msg(strstr(err, bad[i].msg) != NULL, "'%s': got \"%s\", wanted \"%s\"", bad[i].q,
                      err, bad[i].msg);
    }
    /* an unknown command lists what is accepted */
    ck_assert(!parse("FROB", &c));
    ck_assert_ptr_nonnull(strstr(err, "accepted: SHOW RULES"));
    ck_assert_ptr_nonnull(strstr(err, "APPROVE <id>"));
}
END_TEST

START_TEST(limits_and_lengths)
{
    struct admin_cmd c;
    char *big = malloc(ADMIN_QUERY_MAX + 2);
    char q[400];

    memset(big, ' ', ADMIN_QUERY_MAX + 1);
    memcpy(big, "HELP", 4);
    ck_assert(!admin_cmd_parse(big, ADMIN_QUERY_MAX + 1, &c, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "too long"));
    ck_assert(admin_cmd_parse(big, ADMIN_QUERY_MAX, &c, err, sizeof(err)));
    free(big);
    /* not NUL-terminated: the parser must stop at len */
    ck_assert(admin_cmd_parse("RELOADXYZ", 6, &c, err, sizeof(err)));
    ck_assert_int_eq(c.kind, ADMIN_RELOAD);
    /* identifiers longer than 64 characters */
    snprintf(q, sizeof(q), "SET RULE DG005 = off FOR %0100d.t", 0);
    ck_assert(!parse(q, &c));
    snprintf(q, sizeof(q), "SET RULE DG005 = off FOR a%064d", 0);
    ck_assert(!parse(q, &c));
    snprintf(q, sizeof(q), "SET RULE DG005 = off FOR a%063d", 0);
    ck_assert(parse(q, &c));
    /* too many SELECT items */
    strcpy(q, "SELECT 1");
    for (int i = 0; i < ADMIN_SEL_MAX; i++)
        strcat(q, ",1");
    ck_assert(!parse(q, &c));
    ck_assert_ptr_nonnull(strstr(err, "too many"));
    /* a tiny error buffer is still NUL-terminated */
    {
        char small[8];
        ck_assert(!admin_cmd_parse("FROB", 4, &c, small, sizeof(small)));
        ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
        ck_assert(!admin_cmd_parse("FROB", 4, &c, NULL, 0));
    }
}
END_TEST

START_TEST(help_and_names)
{
    const char *syn, *what;
    int n = 0;

    while (admin_cmd_help_at(n, &syn, &what)) {
        ck_assert(strlen(syn) > 0 && strlen(what) > 0);
        n++;
    }
    ck_assert_int_ge(n, 14);
    ck_assert(!admin_cmd_help_at(-1, &syn, &what));
    for (int k = 0; k < ADMIN_CMD_NKINDS; k++)
        ck_assert_str_ne(admin_cmd_kind_name((enum admin_cmd_kind)k), "?");
    ck_assert_str_eq(admin_cmd_kind_name(ADMIN_CMD_NKINDS), "?");
}
END_TEST

/* every prefix and every single-byte mutation of good inputs: no crash,
 * and a failure always comes with a message */
START_TEST(mangled_inputs_never_crash)
{
    static const char *const seeds[] = {
        "SET RULE DG016 = off FOR `my shop`.`t`;",
        "APPROVE 7 FOR 2 HOURS ONCE",
        "SELECT @@session.auto_increment_increment AS a, DATABASE(), 'x''y' /* c */ LIMIT 1",
        "SET NAMES 'utf8mb4' COLLATE \"x\\\"\" -- c",
    };
    static const char subst[] = "\0'\"`;-#/*@.=() \n\x80";
    struct admin_cmd c;
    char q[256];

    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        size_t len = strlen(seeds[s]);
        for (size_t cut = 0; cut <= len; cut++) {
            memcpy(q, seeds[s], cut);
            err[0] = '\0';
            if (!admin_cmd_parse(q, cut, &c, err, sizeof(err)))
                ck_assert(err[0] != '\0');
        }
        for (size_t i = 0; i < len; i++) {
            for (size_t k = 0; k < sizeof(subst) - 1; k++) {
                memcpy(q, seeds[s], len);
                q[i] = subst[k];
                err[0] = '\0';
                if (!admin_cmd_parse(q, len, &c, err, sizeof(err)))
                    ck_assert(err[0] != '\0');
            }
        }
    }
}
END_TEST

/* COM_STMT_PREPARE announces these before the command runs: every kind
 * with a result set has its columns, the others none, SELECT its items. */
START_TEST(columns_per_command)
{
    static const struct {
        const char *q;
        int n;
        const char *first, *last;
    } want[] = {
        {"SHOW RULES", 7, "id", "configured"},
        {"SHOW VERDICTS", 10, "seq", "statement"},
        {"SHOW SESSIONS", 8, "id", "statement"},
        {"SHOW BACKEND", 2, "name", "value"},
        {"SHOW PENDING", 11, "id", "statement"},
        {"SHOW QUEUE", 9, "id", "statement"},
        {"SHOW STATS", 3, "name", "description"},
        {"SHOW CONFIG", 4, "section", "reloadable"},
        {"SHOW WARNINGS", 3, "Level", "Message"},
        {"SHOW HELP", 2, "command", "what it does"},
        {"SELECT @@version_comment LIMIT 1", 1, "@@version_comment", "@@version_comment"},
        {"SELECT 1 AS a, DATABASE(), 'x'", 3, "a", "x"},
        {"SET RULE DG005 = reject", 0, NULL, NULL},
        {"APPROVE 3", 0, NULL, NULL},
        {"DENY 3", 0, NULL, NULL},
        {"CANCEL 3", 0, NULL, NULL},
        {"RELOAD", 0, NULL, NULL},
        {"SET NAMES utf8mb4", 0, NULL, NULL},
    };
    const char *names[ADMIN_MAX_COLS];
    struct admin_cmd c;

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_msg(parse(want[i].q, &c), "%s: %s", want[i].q, err);
        int n = admin_cmd_columns(&c, names, ADMIN_MAX_COLS);
        ck_assert_msg(n == want[i].n, "%s: %d columns, want %d", want[i].q, n, want[i].n);
        if (n) {
            ck_assert_str_eq(names[0], want[i].first);
            ck_assert_str_eq(names[n - 1], want[i].last);
        }
    }
    /* SHOW RULES: configured sits next to default */
    ck_assert(parse("SHOW RULES", &c));
    ck_assert_int_eq(admin_cmd_columns(&c, names, ADMIN_MAX_COLS), 7);
    ck_assert_str_eq(names[5], "default");
    ck_assert_str_eq(names[6], "configured");
    /* max bounds the copy */
    ck_assert_int_eq(admin_cmd_columns(&c, names, 2), 2);
    /* 32 SELECT items fit */
    char q[400] = "SELECT 1";
    for (int i = 1; i < ADMIN_SEL_MAX; i++)
        strcat(q, ",1");
    ck_assert_msg(parse(q, &c), "%s", err);
    ck_assert_int_eq(admin_cmd_columns(&c, names, ADMIN_MAX_COLS), ADMIN_SEL_MAX);
}
END_TEST

/* '?' placeholders are refused with a message that says so, whatever the
 * command (COM_STMT_PREPARE answers it with ERR 7300) */
START_TEST(placeholders_refused)
{
    static const char *const qs[] = {
        "SET RULE ? = off", "SET RULE DG005 = ?",
        "APPROVE ?",        "DENY ?",
        "SELECT ?",         "SELECT 1, ?",
        "SET NAMES ?",      "SHOW ?",
        "HELP ?",           "SET RULE DG005 = off FOR ?",
    };
    struct admin_cmd c;

    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        ck_assert_msg(!parse(qs[i], &c), "%s was accepted", qs[i]);
        ck_assert_msg(strstr(err, "parameters ('?') are not supported"), "%s: %s", qs[i], err);
    }
    /* a '?' inside a string or comment is text */
    ck_assert_msg(parse("SELECT '?' /* ? */", &c), "%s", err);
    ck_assert_int_eq(c.items[0].kind, ADMIN_SEL_STRING);
    ck_assert_str_eq(c.items[0].name, "?");
}
END_TEST

START_TEST(help_shows_hours)
{
    const char *syntax, *what;
    bool found = false;
    struct admin_cmd c;

    for (int i = 0; admin_cmd_help_at(i, &syntax, &what); i++)
        if (strncmp(syntax, "APPROVE", 7) == 0) {
            found = true;
            ck_assert_msg(strstr(syntax, "HOURS") && strstr(syntax, "MINUTES"), "%s", syntax);
        }
    ck_assert(found);
    /* and the error list agrees */
    ck_assert(!parse("NONSENSE", &c));
    ck_assert_msg(strstr(err, "MINUTES|HOURS"), "%s", err);
    ck_assert_msg(parse("APPROVE 4 FOR 2 HOURS", &c), "%s", err);
    ck_assert_int_eq(c.minutes, 120);
}
END_TEST

START_TEST(log_escape)
{
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"SHOW RULES", 10, "SHOW RULES"},
        {"a\nforged line", 13, "a\\x0aforged line"},
        {"\x1b[31mred\x1b[0m", 12, "\\x1b[31mred\\x1b[0m"},
        {"nul\0byte", 8, "nul\\x00byte"},
        {"back\\slash", 10, "back\\x5cslash"},
        {"del\x7f", 4, "del\\x7f"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
         "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"latin1 caf\xe9", 11, "latin1 caf\\xe9"},
        {"overlong \xc0\xaf", 11, "overlong \\xc0\\xaf"},
        {"surrogate \xed\xa0\x80", 13, "surrogate \\xed\\xa0\\x80"},
        {"too big \xf4\x90\x80\x80", 12, "too big \\xf4\\x90\\x80\\x80"},
        {"cut \xe2\x82", 6, "cut \\xe2\\x82"},
        {"lone \x80", 6, "lone \\x80"},
    };
    char out[128];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        admin_cmd_escape(cases[i].in, cases[i].len, out, sizeof(out));
        ck_assert_msg(strcmp(out, cases[i].out) == 0, "case %zu: got '%s' want '%s'", i, out,
                      cases[i].out);
    }
    /* cut to the buffer, never in the middle of an escape or a character */
    admin_cmd_escape("ab\ncd", 5, out, 6);
    ck_assert_str_eq(out, "ab");
    admin_cmd_escape("a\xc3\xa9", 3, out, 3);
    ck_assert_str_eq(out, "a");
    admin_cmd_escape("abc", 3, out, 1);
    ck_assert_str_eq(out, "");
    /* every byte value: the output is printable ASCII or valid UTF-8 */
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    char big[256 * 4 + 1];
    admin_cmd_escape(all, sizeof(all), big, sizeof(big));
    ck_assert_uint_eq(strlen(big), 0x20 * 4 + (0x7f - 0x20 - 1) + 4 + 4 + 128 * 4);
    for (const char *q = big; *q; q++)
        ck_assert((unsigned char)*q >= 0x20 && (unsigned char)*q < 0x7f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("admin_cmd");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, simple_commands);
    tcase_add_test(tc, set_rule);
    tcase_add_test(tc, approve_deny_cancel);
    tcase_add_test(tc, client_probes);
    tcase_add_test(tc, bad_inputs);
    tcase_add_test(tc, limits_and_lengths);
    tcase_add_test(tc, help_and_names);
    tcase_add_test(tc, mangled_inputs_never_crash);
    tcase_add_test(tc, columns_per_command);
    tcase_add_test(tc, placeholders_refused);
    tcase_add_test(tc, help_shows_hours);
    tcase_add_test(tc, log_escape);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
