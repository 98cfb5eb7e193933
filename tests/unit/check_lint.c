/*
 * check_lint.c - `ddlgate lint` end to end through lint_run() on temporary
 * migration trees: migration order, line numbers, DELIMITER blocks, exit
 * statuses, JSON keys and escaping, --schema, --rule, missing down files,
 * and the offline table model (lint_schema_*).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate.h"
#include "lint.h"
#include "sql.h"

struct lt_out {
    char *buf;
    size_t len;
    int rc;
};

static char lt_dir[256];

static void lt_setup(void)
{
    snprintf(lt_dir, sizeof lt_dir, "/tmp/ddlgate_lint_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(lt_dir));
}

static void lt_rm(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void lt_teardown(void) { lt_rm(lt_dir); }

static void lt_write(const char *rel, const char *content)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", lt_dir, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    mkdir(p, 0700);
    *slash = '/';
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(content, f);
    fclose(f);
}

/* run lint with argv (NULL-terminated), capturing stdout */
static struct lt_out lt_run(const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"lint";
    for (; args[argc - 1] && argc < 31; argc++)
        argv[argc] = (char *)args[argc - 1];
    argv[argc] = NULL;
    struct lt_out o = {0};
    FILE *out = open_memstream(&o.buf, &o.len);
    FILE *err = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(err);
    o.rc = lint_run(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return o;
}

static int lt_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(test_order_lines_exit)
{
    lt_write("db/V1__init.sql",
             "CREATE TABLE users (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
             "  qty INT NOT NULL) ENGINE=InnoDB;\n");
    lt_write("db/V2__nick.sql",
             "-- comment line\n\nALTER TABLE users ADD COLUMN nick VARCHAR(32) NULL;\n");
    lt_write("db/V10__qty.sql", "ALTER TABLE users MODIFY qty BIGINT NOT NULL;\n");
    lt_write("db/R__view.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;\n");
    lt_write("db/notes.txt", "not sql\n");
    char dir[300];
    snprintf(dir, sizeof dir, "%s/db", lt_dir);
    struct lt_out o = lt_run((const char *[]){"--server", "mysql-8.0.36", dir, NULL});
    ck_assert_int_eq(o.rc, 1); /* V10 is COPY-only: held for approval */
    ck_assert_int_eq(lt_lines(o.buf), 4);
    const char *v1 = strstr(o.buf, "V1__init.sql:1: [] ");
    const char *v2 =
        strstr(o.buf, "V2__nick.sql:3: [DG010,DG030] algorithm=INSTANT lock_none=yes rebuild=no "
                      "action=rewrite rewritten: SET SESSION lock_wait_timeout=2; ALTER TABLE "
                      "users ADD COLUMN nick VARCHAR(32) NULL, ALGORITHM=INSTANT\n");
    const char *v10 = strstr(o.buf, "V10__qty.sql:1: [DG014,DG016,DG030] algorithm=COPY");
    const char *r = strstr(o.buf, "R__view.sql:1:");
    ck_assert_msg(v1 && v2 && v10 && r, "%s", o.buf);
    ck_assert(v1 < v2 && v2 < v10 && v10 < r); /* numeric version order, repeatable last */
    ck_assert_ptr_nonnull(strstr(v10, "action=approval -- ddlgate DG014"));
    ck_assert_ptr_null(strstr(o.buf, "pending id"));
    free(o.buf);
    /* the same with DG014 relaxed: clean exit */
    o = lt_run((const char *[]){"--server", "mysql-8.0.36", "--rule", "DG014=warn", dir, NULL});
    ck_assert_int_eq(o.rc, 0);
    free(o.buf);
}
END_TEST

START_TEST(test_json)
{
    lt_write("m.sql", "ALTER TABLE `shop`.`orders` ADD COLUMN note TEXT;\n"
                      "UPDATE t SET a = 'q\"uo\\\\te\x01\xff' WHERE id = 1;\n"
                      "DELETE FROM t;\n");
    char f[300];
    snprintf(f, sizeof f, "%s/m.sql", lt_dir);
    struct lt_out o =
        lt_run((const char *[]){"--server=mariadb-10.11", "--format", "json", f, NULL});
    ck_assert_int_eq(o.rc, 1); /* DELETE without WHERE */
    ck_assert_int_eq(lt_lines(o.buf), 3);
    static const char *const keys[] = {
        "\"file\":",   "\"line\":",      "\"statement\":", "\"kind\":",
        "\"tables\":", "\"algorithm\":", "\"lock_none\":", "\"rebuild\":",
        "\"rules\":",  "\"action\":",    "\"rewritten\":"};
    char *save = NULL;
    int n = 0;
    for (char *line = strtok_r(o.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
        ck_assert_msg(line[0] == '{' && line[strlen(line) - 1] == '}', "%s", line);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            ck_assert_msg(strstr(line, keys[k]) != NULL, "%s lacks %s", line, keys[k]);
        for (const unsigned char *p = (const unsigned char *)line; *p; p++)
            ck_assert_msg(*p >= 0x20 && *p != 0xff, "raw control/invalid byte in %s", line);
        if (n == 0) {
            ck_assert_ptr_nonnull(
                strstr(line, "\"kind\":\"ALTER_TABLE\",\"tables\":[\"shop.orders\"],"
                             "\"algorithm\":\"INSTANT\",\"lock_none\":true,\"rebuild\":false,"
                             "\"rules\":[\"DG010\",\"DG030\"],\"action\":\"rewrite\""));
            ck_assert_ptr_nonnull(strstr(line, "\"line\":1,"));
        } else if (n == 1) {
            ck_assert_ptr_nonnull(strstr(line, "q\\\"uo\\\\\\\\te\\u0001\\ufffd"));
            ck_assert_ptr_nonnull(
                strstr(line, "\"algorithm\":null,\"lock_none\":null,\"rebuild\":null"));
            ck_assert_ptr_nonnull(strstr(line, "\"rewritten\":null"));
        } else {
            ck_assert_ptr_nonnull(strstr(line, "\"rules\":[\"DG008\"],\"action\":\"reject\""));
            ck_assert_ptr_nonnull(strstr(line, "\"line\":3,"));
        }
    }
    ck_assert_int_eq(n, 3);
    free(o.buf);
}
END_TEST

START_TEST(test_schema_and_delimiter)
{
    lt_write("schema.sql", "CREATE TABLE tab (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
                           "  c VARCHAR(128) CHARACTER SET latin1) ROW_FORMAT=DYNAMIC;\n");
    lt_write("up.sql", "ALTER TABLE tab MODIFY COLUMN c varchar(300);\n"
                       "DELIMITER $$\n"
                       "CREATE TRIGGER trg BEFORE INSERT ON tab FOR EACH ROW\n"
                       "BEGIN\n  SET NEW.c = 'x';\nEND$$\n"
                       "DELIMITER ;\n"
                       "SELECT 1;\n");
    char s[300], f[300];
    snprintf(s, sizeof s, "%s/schema.sql", lt_dir);
    snprintf(f, sizeof f, "%s/up.sql", lt_dir);
    struct lt_out o = lt_run((const char *[]){"--server", "mariadb-10.11", "--schema", s, f, NULL});
    /* 128 latin1 bytes -> 300: the length prefix grows, COPY only */
    ck_assert_msg(strstr(o.buf, "up.sql:1: [DG014,DG016,DG019,DG030] algorithm=COPY") != NULL, "%s",
                  o.buf);
    /* DG030: the trigger needs the table's metadata lock on a default session */
    ck_assert_msg(strstr(o.buf, "up.sql:3: [DG030,DG035] algorithm=- lock_none=- rebuild=- "
                                "action=warn rewritten: SET SESSION lock_wait_timeout=2; "
                                "CREATE TRIGGER trg BEFORE INSERT ON tab") != NULL,
                  "%s", o.buf);
    ck_assert_ptr_nonnull(strstr(o.buf, "up.sql:8: [] "));
    ck_assert_int_eq(lt_lines(o.buf), 3);
    ck_assert_int_eq(o.rc, 1);
    free(o.buf);
}
END_TEST

START_TEST(test_golang_migrate)
{
    lt_write("gm/1_init.up.sql", "CREATE TABLE t (id INT PRIMARY KEY);\n");
    lt_write("gm/1_init.down.sql", "DROP TABLE t;\n");
    lt_write("gm/2_col.up.sql", "ALTER TABLE t ADD COLUMN c INT NULL;\n");
    char d[300];
    snprintf(d, sizeof d, "%s/gm", lt_dir);
    struct lt_out o =
        lt_run((const char *[]){"--server", "mysql-8.0.36", "--format", "json", d, NULL});
    ck_assert_ptr_nonnull(
        strstr(o.buf, "2_col.up.sql\",\"line\":0,\"statement\":null,\"kind\":\"MIGRATION\""));
    ck_assert_ptr_nonnull(
        strstr(o.buf, "\"rules\":[\"missing-down-migration\"],\"action\":\"warn\""));
    ck_assert_ptr_null(strstr(o.buf, "1_init.up.sql\",\"line\":0"));
    /* the down file is judged (DG005) but does not drop t from the model */
    ck_assert_ptr_nonnull(strstr(o.buf, "\"rules\":[\"DG005\",\"DG030\"]"));
    ck_assert_int_eq(o.rc, 1);
    free(o.buf);
}
END_TEST

START_TEST(test_usage_errors)
{
    struct lt_out o = lt_run((const char *[]){"--help", NULL});
    ck_assert_int_eq(o.rc, 0);
    ck_assert_ptr_nonnull(strstr(o.buf, "usage: ddlgate lint"));
    free(o.buf);
    o = lt_run((const char *[]){"x.sql", NULL}); /* no --server */
    ck_assert_int_eq(o.rc, 2);
    free(o.buf);
    o = lt_run((const char *[]){"--server", "oracle-19", "x.sql", NULL});
    ck_assert_int_eq(o.rc, 2);
    free(o.buf);
    o = lt_run((const char *[]){"--server", "mysql-8.0.36", "--format", "xml", "x.sql", NULL});
    ck_assert_int_eq(o.rc, 2);
    free(o.buf);
    o = lt_run((const char *[]){"--server", "mysql-8.0.36", "--rule", "DG999=off", "x.sql", NULL});
    ck_assert_int_eq(o.rc, 2);
    free(o.buf);
    o = lt_run((const char *[]){"--server", "mysql-8.0.36", "/nonexistent/dir/x.sql", NULL});
    ck_assert_int_eq(o.rc, 2);
    free(o.buf);
    o = lt_run((const char *[]){"--server", "mysql-8.0.36", NULL}); /* no files */
    ck_assert_int_eq(o.rc, 2);
    free(o.buf);
}
END_TEST

START_TEST(test_schema_model)
{
    struct sql_parse_opts opts = {0};
    ck_assert(sql_server_from_spec("mysql-8.0.36", &opts.server));
    struct lint_schema *s = lint_schema_new();
    const char *sql =
        "CREATE TABLE shop.parent (id INT NOT NULL, code INT, PRIMARY KEY (id), KEY (code));\n"
        "CREATE TABLE shop.child (id INT NOT NULL PRIMARY KEY, pid INT, f FLOAT, v INT AS (id+1) "
        "VIRTUAL,\n"
        "  e ENUM('a','b') NOT NULL, CONSTRAINT fk_p FOREIGN KEY (pid) REFERENCES parent (id) ON "
        "DELETE CASCADE);\n"
        "ALTER TABLE shop.child ADD COLUMN note VARCHAR(20) CHARACTER SET latin1 AFTER pid, DROP "
        "COLUMN f;\n"
        "CREATE TABLE shop.nokey (a INT, u FLOAT, UNIQUE KEY (u));\n"
        "CREATE TRIGGER trg BEFORE INSERT ON shop.nokey FOR EACH ROW SET NEW.a = 1;\n"
        "CREATE TABLE shop.gone (id INT PRIMARY KEY);\n"
        "DROP TABLE shop.gone;\n"
        "RENAME TABLE shop.nokey TO shop.nokey2;\n";
    ck_assert(lint_schema_load(s, &opts, sql, strlen(sql)));
    ck_assert_int_eq(lint_schema_count(s), 3);
    const struct gate_table_info *c = lint_schema_lookup(s, "shop", "child");
    ck_assert_ptr_nonnull(c);
    ck_assert(c->has_primary_key && c->has_fk_child && c->has_fk_cascade && !c->has_fk_parent);
    ck_assert_int_eq(c->ncols, 5);
    ck_assert_str_eq(c->cols[2].name, "note"); /* AFTER pid */
    ck_assert_str_eq(c->cols[2].charset, "latin1");
    ck_assert_int_eq(c->cols[2].max_bytes_per_char, 1);
    ck_assert_int_eq(c->cols[2].length, 20);
    ck_assert(c->cols[3].is_virtual);
    ck_assert_int_eq(c->cols[4].nvalues, 2);
    ck_assert(!c->cols[4].nullable);
    ck_assert_int_eq(c->nfk_names, 1);
    ck_assert_str_eq(c->fk_names[0], "fk_p");
    ck_assert_int_eq(c->nkey_cols, 1);
    ck_assert_str_eq(c->key_cols[0], "id");
    const struct gate_table_info *p = lint_schema_lookup(s, "shop", "parent");
    ck_assert(p && p->has_fk_parent);
    ck_assert(p->cols[0].unique_lead && !p->cols[1].unique_lead && p->cols[1].in_index);
    const struct gate_table_info *n = lint_schema_lookup(s, NULL, "nokey2");
    ck_assert_ptr_nonnull(n);
    ck_assert(!n->has_primary_key && n->has_any_unique && !n->has_not_null_unique &&
              n->has_triggers);
    ck_assert_ptr_null(lint_schema_lookup(s, "shop", "gone"));
    ck_assert_ptr_null(lint_schema_lookup(s, "shop", "nokey"));
    lint_schema_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lint");
    TCase *tc = tcase_create("lint");
    tcase_add_checked_fixture(tc, lt_setup, lt_teardown);
    tcase_add_test(tc, test_order_lines_exit);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_schema_and_delimiter);
    tcase_add_test(tc, test_golang_migrate);
    tcase_add_test(tc, test_usage_errors);
    tcase_add_test(tc, test_schema_model);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
