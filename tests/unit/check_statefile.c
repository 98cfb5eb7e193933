/* check_statefile.c - state file: round trip, config/state rule, torn and
 * corrupted files refused as a whole (statefile.c) */
#include <check.h>
#include <dirent.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
    DIR *d = opendir(tmpdir); /* the state file and any refused copies */
    struct dirent *e;
    char p[1024];
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
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
        "approval 1 00000000000000ab 5 pending once 1 2 3 u - s shop extra\n",
        "approval 1 00000000000000ab 5 pending once 1 2 3 u - s s%4\n", /* bad schema escape */
        "next 0\n",
        "next x\n",
        "next 5 6\n",
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
        ck_assert_str_eq(a.schema, ""); /* a line from before the schema field */
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

/* An admin's change that could not be saved (7303) is written by the
 * janitor's periodic save once the directory is writable again. */
START_TEST(failed_save_is_retried)
{
    char dir[600], sub[700];
    size_t len;

    snprintf(dir, sizeof(dir), "%s/later", tmpdir);
    snprintf(sub, sizeof(sub), "%s/state", dir);
    ck_assert(rules_set_mode(16, RULE_REJECT, NULL, NULL));
    ck_assert(!statefile_save(sub, &cf, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    /* not at every janitor tick: every 5 s at most */
    ck_assert(statefile_save_if_changed(sub, &cf, err, sizeof(err)));
    ck_assert_int_ne(access(sub, F_OK), 0);
    sleep(5);
    usleep(200 * 1000);
    ck_assert_msg(statefile_save_if_changed(sub, &cf, err, sizeof(err)), "%s", err);
    char *text = slurp(sub, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "rule DG016 reject\n"));
    free(text);
    /* saved: no more writes until something changes */
    ck_assert_int_eq(unlink(sub), 0);
    ck_assert(statefile_save_if_changed(sub, &cf, err, sizeof(err)));
    ck_assert_int_ne(access(sub, F_OK), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    rules_reset();
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

/* The file names the refused copy <path>.refused-<stamp>; "" when none. */
static void refused_copy(char *out, size_t outlen)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    out[0] = '\0';
    while (d && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "state.refused-", 14) == 0)
            snprintf(out, outlen, "%s/%s", tmpdir, e->d_name);
    if (d)
        closedir(d);
}

/* A refused file is moved aside (the next save would destroy it), and the
 * ids it mentions still count: a new request never reuses one. */
START_TEST(refused_file_is_moved_aside_and_ids_continue)
{
    char buf[2048], copy[1024];
    size_t len;
    uint64_t base = approval_next_id();
    FILE *f;

    snprintf(buf, sizeof(buf),
             "ddlgate-state 1\nnext %" PRIu64 "\n"
             "approval %" PRIu64
             " 00000000000000ab 5 denied once 1 2 0 u bob DROP%%20TABLE%%20t shop\n"
             "end 0000000000000000\n", /* wrong checksum: a corrupted file */
             base + 40, base + 70);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(buf, f);
    fclose(f);
    ck_assert(!statefile_load(path, NULL, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "checksum"));
    ck_assert_ptr_nonnull(strstr(err, "moved aside to"));
    ck_assert_int_ne(access(path, F_OK), 0); /* a save cannot overwrite it now */
    refused_copy(copy, sizeof(copy));
    ck_assert_msg(copy[0] && strstr(err, copy), "copy '%s', err %s", copy, err);
    char *text = slurp(copy, &len);
    ck_assert_str_eq(text, buf); /* byte for byte */
    free(text);
    ck_assert_int_eq(approval_list(NULL, 0), 0);                          /* nothing applied */
    ck_assert_uint_gt(approval_request(0x31, 5, "x", 1, "u"), base + 70); /* ids continue */
    /* a save now writes a fresh file in its place; the copy stays */
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    ck_assert_int_eq(access(copy, F_OK), 0);
    /* a second refusal in the same second does not overwrite the first copy */
    f = fopen(path, "wb");
    fputs("garbage\n", f);
    fclose(f);
    ck_assert(!statefile_load(path, NULL, err, sizeof(err)));
    ck_assert_int_eq(access(copy, F_OK), 0);
    ck_assert_ptr_nonnull(strstr(err, "moved aside to"));
}
END_TEST

/* "next" keeps the ids of used approvals (not written) from coming back;
 * the schema of a request survives a restart */
START_TEST(next_id_and_schema_are_saved)
{
    uint64_t id, used;
    struct approval_info a;
    size_t len;
    char *text, want[64];

    id = approval_request_in(0x41, 5, "DROP TABLE t", 12, "app@h", "shop");
    used = approval_request_in(0x42, 5, "DROP TABLE u", 12, "app@h", "shop2");
    ck_assert(approval_approve(used, "admin", 10, true));
    ck_assert(approval_use(0x42, NULL)); /* used: not written to the file */
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    text = slurp(path, &len);
    snprintf(want, sizeof(want), "next %" PRIu64 "\n", used + 1);
    ck_assert_msg(strstr(text, want) != NULL, "%s", text);
    ck_assert_ptr_nonnull(strstr(text, " DROP%20TABLE%20t shop\n"));
    free(text);
    approval_reset();
    ck_assert_msg(statefile_load(path, NULL, err, sizeof(err)), "%s", err);
    ck_assert(approval_get(id, &a));
    ck_assert_str_eq(a.schema, "shop");
    ck_assert(!approval_get(used, &a));
    /* a file that says the next id is far ahead (ids given out, then used) */
    char buf[512];
    snprintf(buf, sizeof(buf), "next %" PRIu64 "\n", used + 1000);
    {
        char file[600];
        framed(file, sizeof(file), buf);
        ck_assert_msg(statefile_parse(file, strlen(file), true, err, sizeof(err)), "%s", err);
    }
    ck_assert_uint_eq(approval_request(0x43, 5, "x", 1, "u"), used + 1000);
}
END_TEST

/* the fuzzer's seeds stay valid files (old format and current) */
START_TEST(fuzz_seeds_parse)
{
    static const char *const seeds[] = {"state_valid", "state_next_schema"};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        char p[1024];
        size_t len;
        snprintf(p, sizeof(p), "%s/fuzz/corpus/conf/%s", DDLGATE_SOURCE_DIR, seeds[i]);
        char *text = slurp(p, &len);
        ck_assert_msg(statefile_parse(text, len, false, err, sizeof(err)), "%s: %s", seeds[i], err);
        free(text);
    }
}
END_TEST

struct use_arg {
    uint64_t key;
    bool ok;
};

static void *use_on_worker(void *p)
{
    struct use_arg *u = p;
    u->ok = approval_use(u->key, NULL);
    return NULL;
}

static void stop_loop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* A once-approval used on a worker reaches the file at the main loop's next
 * turn (statefile_autosave_start), not at the janitor's next tick. */
START_TEST(autosave_records_a_use_promptly)
{
    struct conf *live = malloc(sizeof(*live));
    struct use_arg u = {.key = 0x51};
    struct timespec t0, t1;
    pthread_t th;

    ck_assert_ptr_nonnull(live);
    conf_defaults(live);
    snprintf(live->state_file, sizeof(live->state_file), "%s", path);
    conf_swap(live); /* the configuration in force names the file */
    ck_assert_int_eq(evthread_use_pthreads(), 0);
    struct event_base *base = event_base_new();
    ck_assert_ptr_nonnull(base);
    ck_assert(statefile_autosave_start(base));
    uint64_t id = approval_request(u.key, 5, "DROP TABLE t", 12, "app@h");
    ck_assert(approval_approve(id, "admin", 10, true));
    ck_assert(statefile_save(path, &cf, err, sizeof(err)));
    event_base_loop(base, EVLOOP_NONBLOCK); /* the request's wake: nothing new to save */
    ck_assert_int_eq(unlink(path), 0);
    struct event *guard = evtimer_new(base, stop_loop, base);
    struct timeval two = {2, 0};
    evtimer_add(guard, &two); /* bounded: at most 2 s */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(pthread_create(&th, NULL, use_on_worker, &u), 0);
    event_base_loop(base, EVLOOP_ONCE); /* woken by the worker's use */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(th, NULL);
    ck_assert(u.ok);
    ck_assert_msg(access(path, F_OK) == 0, "not saved on the wake");
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    ck_assert_msg(ms < 1000, "saved after %.1f ms", ms);
    fprintf(stderr, "autosave: use -> file saved in %.2f ms\n", ms);
    approval_reset();
    ck_assert(statefile_load(path, NULL, err, sizeof(err)));
    ck_assert(!approval_use(u.key, NULL)); /* a crash now would not revive it */
    event_free(guard);
    statefile_autosave_stop();
    event_base_free(base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("statefile");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30); /* failed_save_is_retried waits out the 5 s retry */
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
    tcase_add_test(tc, failed_save_is_retried);
    tcase_add_test(tc, refused_file_is_moved_aside_and_ids_continue);
    tcase_add_test(tc, next_id_and_schema_are_saved);
    tcase_add_test(tc, autosave_records_a_use_promptly);
    tcase_add_test(tc, fuzz_seeds_parse);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
