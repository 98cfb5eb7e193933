/* check_statefile.c - state file: round trip, config/state rule, torn and
 * corrupted files refused as a whole (statefile.c) */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "approval.h"
#include "conf.h"
#include "log.h"
#include "rules.h"
#include "statefile.h"

static char tmpdir[] = "/tmp/check_statefile.XXXXXX";
static char path[512];
static char err[1024];
static struct conf cf;

static void setup(void)
{
    log_set_level(LOG_ERROR);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/state", tmpdir);
    conf_defaults(&cf);
    conf_apply_rules(&cf);
    approval_reset();
    err[0] = '\0';
}

static void teardown(void)
{
    unlink(path);
    rmdir(tmpdir);
    strcpy(tmpdir, "/tmp/check_statefile.XXXXXX");
}

static char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    char *buf = malloc(1 << 20);
    ck_assert_ptr_nonnull(f);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

/* the file format's checksum, written independently of statefile.c */
static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* a well-framed file around body (records) */
static void framed(char *out, size_t outlen, const char *body)
{
    int n = snprintf(out, outlen, "ddlgate-state 1\n%s", body);
    snprintf(out + n, outlen - (size_t)n, "end %016" PRIx64 "\n", fnv(out, (size_t)n));
}

/* a state with every kind of record; returns the pending approval's id */
static uint64_t make_state(void)
{
    uint64_t p, w, d;

    ck_assert(rules_set_mode(5, RULE_REJECT, NULL, NULL));
    ck_assert(rules_set_mode(16, RULE_OFF, "shop", "orders"));
    ck_assert(rules_set_mode(6, RULE_WARN, "my schema%", NULL)); /* needs escaping */
    p = approval_request(0xabc, 5, "DROP TABLE `a b`\n%", 19, "app@10.0.0.1");
    w = approval_request(0xdef, 6, "ALTER TABLE t DROP COLUMN c", 27, "app@10.0.0.2");
    ck_assert(approval_approve(w, "alice", 60, false));
    d = approval_request(0x123, 6, "-", 1, "-");
    ck_assert(approval_deny(d, "bob"));
    return p;
}

START_TEST(round_trip)
{
    uint64_t pending = make_state();
    struct approval_info a;
    bool missing = true;
    size_t len;
    char *text;

    ck_assert_msg(statefile_save(path, &cf, err, sizeof(err)), "%s", err);
    text = slurp(path, &len);
    ck_assert_ptr_nonnull(strstr(text, "rule DG005 reject\n"));
    ck_assert_ptr_nonnull(strstr(text, "rule DG016 off shop orders\n"));
    ck_assert_ptr_nonnull(strstr(text, "rule DG006 warn my%20schema%25 -\n"));
    ck_assert_ptr_nonnull(strstr(text, "0000000000000123 6 denied")); /* denials stand */
    free(text);

    /* a restart: config applied, then the state file */
    conf_apply_rules(&cf);
    approval_reset();
    ck_assert_int_eq(rules_mode(5, NULL, NULL), rules_find(5)->default_mode);
    ck_assert_msg(statefile_load(path, &missing, err, sizeof(err)), "%s", err);
    ck_assert(!missing);
    ck_assert_int_eq(rules_mode(5, NULL, NULL), RULE_REJECT);
    ck_assert_int_eq(rules_mode(16, "shop", "orders"), RULE_OFF);
    ck_assert_int_eq(rules_mode(6, "my schema%", "anything"), RULE_WARN);
    ck_assert(approval_get(pending, &a));
    ck_assert_int_eq(a.state, APPROVAL_PENDING);
    ck_assert_str_eq(a.statement, "DROP TABLE `a b` %");
    ck_assert_str_eq(a.requested_by, "app@10.0.0.1");
    ck_assert(approval_consume(0xdef)); /* the window survived */
    ck_assert(approval_consume(0xdef));
    ck_assert(!approval_consume(0x123));
    ck_assert(approval_denied(0x123, NULL));
    /* a new request after a restart gets an id above the restored ones */
    ck_assert_uint_gt(approval_request(0x999, 5, "x", 1, "u"), pending + 1);
}
END_TEST

START_TEST(only_differences_from_the_config_are_saved)
{
    size_t len;
    char *text;

    ck_assert(conf_set(&cf, "rules", "DG005", "reject", err, sizeof(err)));
    conf_apply_rules(&cf);
    ck_assert_int_eq(rules_mode(5, NULL, NULL), RULE_REJECT);
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    text = slurp(path, &len);
    ck_assert_ptr_null(strstr(text, "rule "));
    free(text);
    /* an admin change shows; setting it back to the configured mode
     * ("SET RULE DG005 = default") removes it again */
    ck_assert(rules_set_mode(5, RULE_WARN, NULL, NULL));
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    text = slurp(path, &len);
    ck_assert_ptr_nonnull(strstr(text, "rule DG005 warn\n"));
    free(text);
    ck_assert(rules_set_mode(5, conf_rule_mode(&cf, 5), NULL, NULL));
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    text = slurp(path, &len);
    ck_assert_ptr_null(strstr(text, "rule "));
    free(text);
    /* and the state wins over the configuration after a reload */
    ck_assert(rules_set_mode(5, RULE_OFF, NULL, NULL));
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    conf_apply_rules(&cf);
    ck_assert_int_eq(rules_mode(5, NULL, NULL), RULE_REJECT);
    ck_assert(statefile_load(path, NULL, err, sizeof(err)));
    ck_assert_int_eq(rules_mode(5, NULL, NULL), RULE_OFF);
}
END_TEST

START_TEST(truncated_at_every_offset_is_refused)
{
    size_t len;
    char *text;
    int refused = 0;

    make_state();
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    text = slurp(path, &len);
    ck_assert_int_gt(len, 200);
    ck_assert_msg(statefile_parse(text, len, false, err, sizeof(err)), "%s", err);
    for (size_t cut = 0; cut < len; cut++) {
        err[0] = '\0';
        if (!statefile_parse(text, cut, false, err, sizeof(err)))
            refused++;
        ck_assert_msg(err[0] != '\0', "cut at %zu: no message", cut);
    }
    ck_assert_int_eq(refused, (int)len);
    free(text);
}
END_TEST

START_TEST(corruption_anywhere_is_refused)
{
    size_t len;
    char *text;

    make_state();
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    text = slurp(path, &len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            text[i] ^= (char)(1 << bit);
            ck_assert_msg(!statefile_parse(text, len, false, err, sizeof(err)),
                          "flip at %zu accepted", i);
            text[i] ^= (char)(1 << bit);
        }
    }
    /* trailing garbage after the end line */
    text[len] = 'x';
    ck_assert(!statefile_parse(text, len + 1, false, err, sizeof(err)));
    free(text);
}
END_TEST

START_TEST(torn_file_on_disk_applies_nothing)
{
    size_t len;
    char *text;
    FILE *f;

    make_state();
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    text = slurp(path, &len);
    conf_apply_rules(&cf);
    approval_reset();
    f = fopen(path, "wb");
    fwrite(text, 1, len / 2, f); /* half of it: a torn write */
    fclose(f);
    ck_assert(!statefile_load(path, NULL, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "refused"));
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_int_eq(rules_mode(5, NULL, NULL), rules_find(5)->default_mode);
    ck_assert_int_eq(approval_list(NULL, 0), 0);
    free(text);
}
END_TEST

START_TEST(bad_records_refuse_the_whole_file)
{
    static const char *const bad[] = {
        "rule DG005 explode\n",
        "rule DG005\n",
        "rule DG005 reject shop\n",
        "rule 5x reject\n",
        "rule DG005 reject - t\n",    /* empty schema */
        "rule DG005 reject s%4 t\n",  /* bad escape */
        "rule DG005 reject s%00 t\n", /* NUL */
        "frobnicate 1\n",
        "approval 1 00000000000000ab 5 pending once 1 2 3 u - s\napproval x\n",
        "approval 0 00000000000000ab 5 pending once 1 2 3 u - s\n",
        "approval 1 00ab 5 pending once 1 2 3 u - s\n",
        "approval 1 00000000000000ab 5 weird once 1 2 3 u - s\n",
        "approval 1 00000000000000ab 5 pending twice 1 2 3 u - s\n",
        "approval 1 00000000000000ab 5 pending once 1 x 3 u - s\n",
        "approval 1 00000000000000ab 5000 pending once 1 2 3 u - s\n",
        "approval 1 00000000000000ab 5 pending once 1 2 3 u - s extra\n",
    };
    char buf[2048];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[1024];
        snprintf(body, sizeof(body), "rule DG007 off\n%s", bad[i]);
        framed(buf, sizeof(buf), body);
        ck_assert_msg(!statefile_parse(buf, strlen(buf), true, err, sizeof(err)), "%s", bad[i]);
        ck_assert_ptr_nonnull(strstr(err, "line "));
        ck_assert_int_ne(rules_mode(7, NULL, NULL), RULE_OFF); /* nothing applied */
    }
    /* well framed and valid, with comments, blank lines and an unknown rule */
    framed(buf, sizeof(buf),
           "# comment\n\nrule DG998 off\nrule DG007 off\n"
           "approval 7 00000000000000ab 5 pending once 1 0 0 u - s\n");
    ck_assert_msg(statefile_parse(buf, strlen(buf), true, err, sizeof(err)), "%s", err);
    ck_assert_int_eq(rules_mode(7, NULL, NULL), RULE_OFF);
    {
        struct approval_info a;
        ck_assert(approval_get(7, &a));
        ck_assert_str_eq(a.decided_by, "");
    }
    /* header and end line */
    ck_assert(!statefile_parse("", 0, false, err, sizeof(err)));
    ck_assert(!statefile_parse("ddlgate-state 2\nend 0\n", 22, false, err, sizeof(err)));
    framed(buf, sizeof(buf), "");
    ck_assert(statefile_parse(buf, strlen(buf), false, err, sizeof(err)));
    buf[strlen(buf) - 2] = 'G';
    ck_assert(!statefile_parse(buf, strlen(buf), false, err, sizeof(err)));
}
END_TEST

START_TEST(files_and_errors)
{
    bool missing = false;
    char p2[600];
    struct stat st;

    ck_assert(statefile_load(path, &missing, err, sizeof(err)));
    ck_assert(missing); /* nothing saved yet: fine */
    ck_assert(!statefile_save("/nonexistent-dir/state", &cf, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "cannot create"));
    ck_assert(!statefile_save("", &cf, err, sizeof(err)));
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    ck_assert(statefile_save(path, &cf, err, sizeof(err))); /* replaces */
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    snprintf(p2, sizeof(p2), "%s.tmp.%d", path, (int)getpid());
    ck_assert_int_ne(access(p2, F_OK), 0);                      /* no temp file left behind */
    ck_assert(!statefile_load(tmpdir, NULL, err, sizeof(err))); /* a directory */
}
END_TEST

START_TEST(used_once_approval_is_saved_by_save_if_changed)
{
    uint64_t id;

    ck_assert(statefile_save_if_changed("", &cf, err, sizeof(err))); /* no file: no-op */
    id = approval_request(0x777, 5, "DROP TABLE t", 12, "app@h");
    ck_assert(approval_approve(id, "admin", 30, true));
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    /* nothing changed: the file is not rewritten */
    ck_assert_int_eq(unlink(path), 0);
    ck_assert(statefile_save_if_changed(path, &cf, err, sizeof(err)));
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    /* the approval is used on a worker; the janitor's periodic save records it */
    ck_assert(approval_consume(0x777));
    ck_assert(statefile_save_if_changed(path, &cf, err, sizeof(err)));
    /* a restart must not bring the used approval back */
    approval_reset();
    ck_assert(statefile_load(path, NULL, err, sizeof(err)));
    ck_assert(!approval_consume(0x777));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("statefile");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, only_differences_from_the_config_are_saved);
    tcase_add_test(tc, truncated_at_every_offset_is_refused);
    tcase_add_test(tc, corruption_anywhere_is_refused);
    tcase_add_test(tc, torn_file_on_disk_applies_nothing);
    tcase_add_test(tc, bad_records_refuse_the_whole_file);
    tcase_add_test(tc, files_and_errors);
    tcase_add_test(tc, used_once_approval_is_saved_by_save_if_changed);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
