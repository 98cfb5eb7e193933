/*
 * check_mdlq_limits.c - the DDL queue's bounds, without sessions: at most
 * MDLQ_MAX_QUEUE entries wait (the next enqueue fails, and the pipeline
 * refuses that DDL with 7202 instead of sending it unqueued), a DDL waits
 * for up to MDLQ_MAX_KEYS tables and SHOW QUEUE lists all of them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mdlqueue.h"

static uint64_t ids[MDLQ_MAX_QUEUE];

START_TEST(queue_is_bounded)
{
    const char *keys[] = {"shop.orders"};
    int n = 0;

    ck_assert(!mdlq_full());
    for (; n < MDLQ_MAX_QUEUE; n++) {
        ids[n] = mdlq_enqueue(NULL, (uint64_t)n + 1, (uint32_t)n + 100, "app", keys, 1,
                              "ALTER TABLE orders ADD c INT", 28);
        ck_assert_msg(ids[n] != 0, "entry %d refused", n);
    }
    ck_assert(mdlq_full());
    ck_assert_uint_eq(mdlq_enqueue(NULL, 99999, 99999, "app", keys, 1, "ALTER TABLE orders", 18),
                      0);
    struct mdlq_stats st;
    mdlq_stats_get(&st);
    ck_assert_uint_eq(st.waiting, MDLQ_MAX_QUEUE);
    for (int i = 0; i < n; i++)
        mdlq_abandon(ids[i]);
    ck_assert(!mdlq_full());
    mdlq_stats_get(&st);
    ck_assert_uint_eq(st.waiting, 0);
    ck_assert_uint_eq(st.abandoned, MDLQ_MAX_QUEUE);
}
END_TEST

START_TEST(many_tables_listed)
{
    char names[40][MDLQ_KEY_MAX];
    const char *keys[40];
    struct mdlq_info info[4];

    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "shop.t%02d", i);
        keys[i] = names[i];
    }
    uint64_t id = mdlq_enqueue(NULL, 7, 700, "app", keys, 40, "DROP TABLE t00, ...", 19);
    ck_assert_uint_ne(id, 0);
    ck_assert_int_eq(mdlq_list(info, 4), 1);
    /* the first MDLQ_MAX_KEYS tables, every one of them named */
    ck_assert_ptr_nonnull(strstr(info[0].table, "shop.t00, shop.t01, "));
    char last[32];
    snprintf(last, sizeof last, "shop.t%02d", MDLQ_MAX_KEYS - 1);
    ck_assert_ptr_nonnull(strstr(info[0].table, last));
    snprintf(last, sizeof last, "shop.t%02d", MDLQ_MAX_KEYS);
    ck_assert_ptr_null(strstr(info[0].table, last));
    ck_assert_str_eq(info[0].state, "waiting");
    mdlq_abandon(id);
    ck_assert_int_eq(mdlq_list(info, 4), 0);
}
END_TEST

int main(void)
{
    log_set_level(LOG_WARN); /* 4096 "held" lines say nothing here */
    Suite *s = suite_create("mdlq_limits");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, queue_is_bounded);
    tcase_add_test(tc, many_tables_listed);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
