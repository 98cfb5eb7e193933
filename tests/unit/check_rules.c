/*
 * check_rules.c - the rule catalogue against the reference rule table
 * (tests/data/lint_rules.md, a copy of the shared lint_rules.md: ids, names,
 * default modes and runtime flags are ddlgate's public contract), id/mode
 * parsing, global and scoped modes, hit counters under concurrency.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

#ifndef DDLGATE_SOURCE_DIR
#define DDLGATE_SOURCE_DIR "."
#endif

static enum rule_mode rt_mode_of(const char *cell)
{
    while (*cell == ' ')
        cell++;
    if (strncmp(cell, "reject", 6) == 0)
        return RULE_REJECT;
    if (strncmp(cell, "queue", 5) == 0)
        return RULE_APPROVAL;
    if (strncmp(cell, "rewrite", 7) == 0)
        return RULE_REWRITE;
    if (strncmp(cell, "warn", 4) == 0)
        return RULE_WARN;
    return RULE_OFF;
}

START_TEST(test_catalogue_matches_reference)
{
    FILE *f = fopen(DDLGATE_SOURCE_DIR "/tests/data/lint_rules.md", "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned id;
        char name[128];
        if (sscanf(line, "| **DG%u** | %127[^ |] |", &id, name) != 2)
            continue;
        /* cells: | id | name | default | kind | ... */
        char *cell[5] = {0};
        char *p = line;
        for (int k = 0; k < 5 && (p = strchr(p, '|')); k++)
            cell[k] = ++p;
        ck_assert_ptr_nonnull(cell[4]);
        const struct rule_def *d = rules_find((uint16_t)id);
        ck_assert_msg(d != NULL, "DG%03u missing from the catalogue", id);
        ck_assert_str_eq(d->name, name);
        ck_assert_msg(d->default_mode == rt_mode_of(cell[2]), "DG%03u default mode %s", id,
                      rules_mode_name(d->default_mode));
        while (*cell[3] == ' ')
            cell[3]++;
        ck_assert_msg(d->runtime == (strncmp(cell[3], "runtime", 7) == 0), "DG%03u runtime flag",
                      id);
        ck_assert(d->summary && d->summary[0] && d->advice && d->advice[0]);
        seen++;
    }
    fclose(f);
    ck_assert_int_eq(seen, rules_count());
}
END_TEST

START_TEST(test_sorted_unique)
{
    for (int i = 1; i < rules_count(); i++)
        ck_assert_uint_lt(rules_at(i - 1)->id, rules_at(i)->id);
    ck_assert_ptr_null(rules_at(-1));
    ck_assert_ptr_null(rules_at(rules_count()));
    ck_assert_ptr_null(rules_find(9)); /* reserved */
    ck_assert_ptr_null(rules_find(999));
}
END_TEST

START_TEST(test_parse)
{
    ck_assert_uint_eq(rules_parse_id("DG001"), 1);
    ck_assert_uint_eq(rules_parse_id("dg1"), 1);
    ck_assert_uint_eq(rules_parse_id("904"), 904);
    ck_assert_uint_eq(rules_parse_id("drop-table"), 5);
    ck_assert_uint_eq(rules_parse_id("DROP-TABLE"), 5);
    ck_assert_uint_eq(rules_parse_id("DG009"), 0);
    ck_assert_uint_eq(rules_parse_id("DG01x"), 0);
    ck_assert_uint_eq(rules_parse_id(""), 0);
    ck_assert_uint_eq(rules_parse_id(NULL), 0);
    enum rule_mode m;
    ck_assert(rules_parse_mode("queue", &m) && m == RULE_APPROVAL);
    ck_assert(rules_parse_mode("Approval", &m) && m == RULE_APPROVAL);
    ck_assert(rules_parse_mode("off", &m) && m == RULE_OFF);
    ck_assert(!rules_parse_mode("block", &m));
    ck_assert_str_eq(rules_mode_name(RULE_REWRITE), "rewrite");
}
END_TEST

START_TEST(test_modes)
{
    rules_reset();
    ck_assert_int_eq(rules_mode(5, NULL, NULL), RULE_APPROVAL);
    ck_assert(rules_set_mode(5, RULE_REJECT, NULL, NULL));
    ck_assert_int_eq(rules_mode(5, "shop", "orders"), RULE_REJECT);
    ck_assert(rules_set_mode(5, RULE_WARN, "shop", NULL));        /* whole schema */
    ck_assert(rules_set_mode(5, RULE_OFF, "shop", "tmp_import")); /* one table */
    ck_assert_int_eq(rules_mode(5, "shop", "tmp_import"), RULE_OFF);
    ck_assert_int_eq(rules_mode(5, "shop", "orders"), RULE_WARN);
    ck_assert_int_eq(rules_mode(5, "other", "tmp_import"), RULE_REJECT);
    ck_assert_int_eq(rules_mode(6, "shop", "tmp_import"), RULE_APPROVAL);
    /* overwrite in place, not a second entry */
    ck_assert(rules_set_mode(5, RULE_REWRITE, "shop", "tmp_import"));
    uint16_t id;
    enum rule_mode m;
    char s[65], t[65];
    int n = 0;
    while (rules_scoped_at(n, &id, &m, s, sizeof s, t, sizeof t))
        n++;
    ck_assert_int_eq(n, 2);
    ck_assert(rules_scoped_at(1, &id, &m, s, sizeof s, t, sizeof t));
    ck_assert_uint_eq(id, 5);
    ck_assert_int_eq(m, RULE_REWRITE);
    ck_assert_str_eq(s, "shop");
    ck_assert_str_eq(t, "tmp_import");
    ck_assert(!rules_set_mode(9, RULE_WARN, NULL, NULL));
    ck_assert(!rules_set_mode(5, (enum rule_mode)17, NULL, NULL));
    /* removing the table override falls back to the schema's, then the global mode */
    ck_assert(!rules_clear_override(5, "shop", "orders"));
    ck_assert(!rules_clear_override(6, "shop", "tmp_import"));
    ck_assert(rules_clear_override(5, "shop", "tmp_import"));
    ck_assert_int_eq(rules_mode(5, "shop", "tmp_import"), RULE_WARN);
    ck_assert(!rules_clear_override(5, "shop", "tmp_import"));
    ck_assert(rules_clear_override(5, "shop", NULL));
    ck_assert_int_eq(rules_mode(5, "shop", "tmp_import"), RULE_REJECT);
    ck_assert(!rules_scoped_at(0, &id, &m, s, sizeof s, t, sizeof t));
    rules_reset();
    ck_assert_int_eq(rules_mode(5, "shop", "tmp_import"), RULE_APPROVAL);
    ck_assert(!rules_scoped_at(0, &id, &m, s, sizeof s, t, sizeof t));
}
END_TEST

START_TEST(test_staged_reload)
{
    rules_reset();
    ck_assert(rules_set_mode(16, RULE_REJECT, NULL, NULL));
    ck_assert(rules_set_mode(5, RULE_OFF, "shop", "tmp"));
    /* a reload builds aside: the live set answers until commit */
    rules_stage_begin();
    rules_reset();
    ck_assert(rules_set_mode(16, RULE_OFF, NULL, NULL));
    ck_assert(rules_set_mode(6, RULE_WARN, "shop", NULL));
    ck_assert(rules_set_mode(6, RULE_REJECT, "shop", NULL)); /* in place, not twice */
    ck_assert_int_eq(rules_mode(16, NULL, NULL), RULE_REJECT);
    ck_assert_int_eq(rules_mode(5, "shop", "tmp"), RULE_OFF);
    ck_assert_int_eq(rules_mode(6, "shop", "x"), RULE_APPROVAL);
    ck_assert(!rules_clear_override(5, "shop", "tmp")); /* not in the staged set */
    rules_stage_commit();
    ck_assert_int_eq(rules_mode(16, NULL, NULL), RULE_OFF);
    ck_assert_int_eq(rules_mode(5, "shop", "tmp"), RULE_APPROVAL);
    ck_assert_int_eq(rules_mode(6, "shop", "x"), RULE_REJECT);
    int n = 0;
    while (rules_scoped_at(n, NULL, NULL, NULL, 0, NULL, 0))
        n++;
    ck_assert_int_eq(n, 1);
    /* an aborted reload changes nothing */
    rules_stage_begin();
    rules_reset();
    ck_assert(rules_set_mode(16, RULE_WARN, NULL, NULL));
    rules_stage_abort();
    ck_assert_int_eq(rules_mode(16, NULL, NULL), RULE_OFF);
    ck_assert_int_eq(rules_mode(6, "shop", "x"), RULE_REJECT);
    ck_assert(rules_set_mode(16, RULE_WARN, NULL, NULL)); /* live again after abort */
    ck_assert_int_eq(rules_mode(16, NULL, NULL), RULE_WARN);
    rules_reset();
}
END_TEST

#define RT_THREADS 4
#define RT_HITS 100000

static void *rt_hitter(void *arg)
{
    (void)arg;
    for (int i = 0; i < RT_HITS; i++) {
        rules_hit(10);
        (void)rules_mode(10, "shop", "orders");
    }
    return NULL;
}

START_TEST(test_concurrent_hits)
{
    rules_reset();
    uint64_t before = rules_hits(10);
    pthread_t th[RT_THREADS];
    for (int i = 0; i < RT_THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, rt_hitter, NULL), 0);
    /* admin writes while the workers read */
    for (int i = 0; i < 50; i++) {
        char tname[16];
        snprintf(tname, sizeof tname, "t%d", i);
        ck_assert(rules_set_mode(10, RULE_WARN, "shop", tname));
    }
    for (int i = 0; i < RT_THREADS; i++)
        pthread_join(th[i], NULL);
    ck_assert_uint_eq(rules_hits(10) - before, (uint64_t)RT_THREADS * RT_HITS);
    ck_assert_int_eq(rules_mode(10, "shop", "t7"), RULE_WARN);
    ck_assert_int_eq(rules_mode(10, "shop", "orders"), RULE_REWRITE);
    rules_reset();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, test_catalogue_matches_reference);
    tcase_add_test(tc, test_sorted_unique);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_modes);
    tcase_add_test(tc, test_staged_reload);
    tcase_add_test(tc, test_concurrent_hits);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
