/* check_approval.c - the pending-approval table (approval.c) */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "approval.h"
#include "log.h"

static void setup(void)
{
    log_set_level(LOG_ERROR);
    approval_reset();
}

static const char stmt[] = "ALTER TABLE t DROP COLUMN c";

START_TEST(request_ids_increase_and_dedupe)
{
    uint64_t a = approval_request(0x11, 5, stmt, strlen(stmt), "app@10.0.0.1");
    uint64_t b = approval_request(0x22, 5, stmt, strlen(stmt), "app@10.0.0.1");
    uint64_t a2 = approval_request(0x11, 5, stmt, strlen(stmt), "other@10.0.0.2");
    struct approval_info info;

    ck_assert_uint_gt(a, 0);
    ck_assert_uint_eq(b, a + 1);
    ck_assert_uint_eq(a2, a); /* same digest, still pending: same request */
    ck_assert(approval_get(a, &info));
    ck_assert_int_eq(info.state, APPROVAL_PENDING);
    ck_assert_uint_eq(info.rule, 5);
    ck_assert_str_eq(info.statement, stmt);
    ck_assert_str_eq(info.requested_by, "app@10.0.0.1");
    ck_assert(!approval_get(b + 100, &info));
    /* ids keep increasing across a reset, so a stale id never hits a new entry */
    approval_reset();
    ck_assert_uint_gt(approval_request(0x33, 5, "x", 1, "u"), b);
}
END_TEST

START_TEST(statement_is_truncated_and_sanitised)
{
    char big[1000];
    struct approval_info info;
    uint64_t id;

    memset(big, 'a', sizeof(big));
    big[3] = '\n';
    id = approval_request(0x44, 1, big, sizeof(big), NULL);
    ck_assert(approval_get(id, &info));
    ck_assert_uint_eq(strlen(info.statement), sizeof(info.statement) - 1);
    ck_assert_int_eq(info.statement[3], ' ');
    ck_assert_str_eq(info.requested_by, "");
}
END_TEST

START_TEST(once_approval_is_consumed)
{
    uint64_t id = approval_request(0x55, 5, stmt, strlen(stmt), "app@h");
    struct approval_info info;

    ck_assert(!approval_consume(0x55)); /* pending is not approved */
    ck_assert(approval_approve(id, "admin", 30, true));
    ck_assert(approval_get(id, &info));
    ck_assert_int_eq(info.state, APPROVAL_APPROVED);
    ck_assert_str_eq(info.decided_by, "admin");
    ck_assert(info.expires >= info.decided + 30 * 60);
    ck_assert(!approval_consume(0x56)); /* other digest */
    ck_assert(approval_consume(0x55));
    ck_assert(!approval_consume(0x55));
    ck_assert(approval_get(id, &info));
    ck_assert_int_eq(info.state, APPROVAL_USED);
    /* a new request for the same digest is a new id */
    ck_assert_uint_gt(approval_request(0x55, 5, stmt, strlen(stmt), "app@h"), id);
}
END_TEST

START_TEST(window_approval_is_reusable)
{
    uint64_t id = approval_request(0x66, 5, stmt, strlen(stmt), "app@h");

    ck_assert(approval_approve(id, "admin", 5, false));
    for (int i = 0; i < 10; i++)
        ck_assert(approval_consume(0x66));
}
END_TEST

START_TEST(bad_approvals_fail)
{
    uint64_t id = approval_request(0x77, 5, stmt, strlen(stmt), "app@h");

    ck_assert(!approval_approve(id + 1000, "admin", 30, true));
    ck_assert(!approval_approve(id, "admin", 0, true));
    ck_assert(!approval_approve(id, "admin", -5, true));
    ck_assert(!approval_approve(id, "admin", 10 * 366 * 24 * 60, true));
    ck_assert(!approval_deny(id + 1000, "admin"));
    ck_assert(!approval_consume(0x77));
}
END_TEST

START_TEST(deny_blocks_and_can_be_reversed)
{
    uint64_t id = approval_request(0x88, 5, stmt, strlen(stmt), "app@h");
    struct approval_info info;

    ck_assert(approval_approve(id, "alice", 30, false));
    ck_assert(approval_deny(id, "bob"));
    ck_assert(!approval_consume(0x88));
    ck_assert(approval_get(id, &info));
    ck_assert_int_eq(info.state, APPROVAL_DENIED);
    ck_assert_str_eq(info.decided_by, "bob");
    ck_assert_str_eq(approval_state_name(info.state), "denied");
    /* the denial stands: asking again gives the same id, and it is denied */
    {
        uint64_t did = 0;
        ck_assert(approval_denied(0x88, &did));
        ck_assert_uint_eq(did, id);
        ck_assert_uint_eq(approval_request(0x88, 5, stmt, strlen(stmt), "app@h"), id);
        ck_assert(!approval_denied(0x89, NULL));
    }
    ck_assert(approval_approve(id, "alice", 30, true));
    ck_assert(!approval_denied(0x88, NULL));
    ck_assert(approval_consume(0x88));
    /* a used approval cannot be denied any more: it already ran */
    ck_assert(!approval_deny(id, "bob"));
}
END_TEST

START_TEST(expiry_by_time)
{
    struct approval_info in, out;

    memset(&in, 0, sizeof(in));
    in.id = 500;
    in.digest = 0x99;
    in.rule = 7;
    in.state = APPROVAL_APPROVED;
    in.created = time(NULL) - 3600;
    in.decided = in.created;
    in.expires = time(NULL) - 1;
    ck_assert(approval_restore(&in));
    ck_assert(!approval_consume(0x99));
    ck_assert(approval_get(500, &out));
    ck_assert_int_eq(out.state, APPROVAL_EXPIRED);

    in.id = 501;
    in.digest = 0x9a;
    in.expires = time(NULL) + 60;
    ck_assert(approval_restore(&in));
    ck_assert(approval_consume(0x9a));
    /* restored ids push the counter forward */
    ck_assert_uint_gt(approval_request(0x9b, 1, "x", 1, "u"), 501);
}
END_TEST

START_TEST(table_is_bounded_and_evicts_finished_first)
{
    static struct approval_info list[APPROVAL_MAX + 10];
    uint64_t first = approval_request(1000, 1, "s", 1, "u");
    uint64_t denied, used, id;
    int n;

    ck_assert(approval_approve(first, "admin", 60, false)); /* live: kept longest */
    denied = approval_request(1001, 1, "s", 1, "u");
    ck_assert(approval_deny(denied, "admin")); /* a denial stands: kept over requests */
    used = approval_request(999, 1, "s", 1, "u");
    ck_assert(approval_approve(used, "admin", 60, true));
    ck_assert(approval_consume(999)); /* finished: evicted first */
    /* a flood of new requests (an application's) */
    for (uint64_t d = 1002; d < 1002 + 2 * APPROVAL_MAX; d++)
        approval_request(d, 1, "s", 1, "u");
    n = approval_list(list, APPROVAL_MAX + 10);
    ck_assert_int_eq(n, APPROVAL_MAX);
    ck_assert(approval_consume(1000));
    ck_assert(!approval_get(used, &list[0]));
    ck_assert(approval_denied(1001, &id));
    ck_assert_uint_eq(id, denied);
    /* ordered by id */
    n = approval_list(list, APPROVAL_MAX + 10);
    for (int i = 1; i < n; i++)
        ck_assert_uint_gt(list[i].id, list[i - 1].id);
    /* next eviction takes the oldest pending, not the live approval */
    approval_request(5000, 1, "s", 1, "u");
    ck_assert(approval_consume(1000));
    ck_assert_int_eq(approval_list(list, 3), 3);
}
END_TEST

START_TEST(restore_keeps_newer_memory_and_changes_count)
{
    uint64_t id = approval_request(0xaa, 5, stmt, strlen(stmt), "app@h");
    uint64_t c0;
    struct approval_info copy, now;

    ck_assert(approval_approve(id, "admin", 30, true));
    ck_assert(approval_get(id, &copy)); /* what an older state file holds */
    c0 = approval_changes();
    ck_assert(approval_consume(0xaa));
    ck_assert_uint_eq(approval_changes(), c0 + 1); /* a used once-approval must be saved */
    /* a RELOAD re-reads the state file: the used approval must not revive */
    ck_assert(approval_restore(&copy));
    ck_assert(approval_get(id, &now));
    ck_assert_int_eq(now.state, APPROVAL_USED);
    ck_assert(!approval_consume(0xaa));

    c0 = approval_changes();
    id = approval_request(0xab, 5, stmt, strlen(stmt), "app@h");
    ck_assert_uint_eq(approval_changes(), c0 + 1);
    ck_assert_uint_eq(approval_request(0xab, 5, stmt, strlen(stmt), "app@h"), id);
    ck_assert_uint_eq(approval_changes(), c0 + 1); /* same pending request: no change */
    ck_assert(approval_approve(id, "admin", 30, false));
    ck_assert(approval_consume(0xab)); /* window approvals are not used up */
    ck_assert_uint_eq(approval_changes(), c0 + 2);
    ck_assert(approval_deny(id, "admin"));
    ck_assert_uint_eq(approval_changes(), c0 + 3);
    /* invalid entries are refused */
    memset(&copy, 0, sizeof(copy));
    ck_assert(!approval_restore(&copy));
    copy.id = 9999;
    copy.state = (enum approval_state)42;
    ck_assert(!approval_restore(&copy));
}
END_TEST

static void *hammer(void *arg)
{
    uint64_t base = (uint64_t)(uintptr_t)arg * 100000;

    for (uint64_t i = 0; i < 2000; i++) {
        uint64_t id = approval_request(base + i % 300, 3, stmt, strlen(stmt), "t@h");
        if (i % 3 == 0)
            approval_approve(id, "admin", 1, i % 2 == 0);
        else if (i % 7 == 0)
            approval_deny(id, "admin");
        approval_consume(base + (i * 7) % 300);
    }
    return NULL;
}

START_TEST(concurrent_use)
{
    pthread_t t[4];
    static struct approval_info list[APPROVAL_MAX];

    for (uintptr_t i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, (void *)(i + 1)), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_le(approval_list(list, APPROVAL_MAX), APPROVAL_MAX);
}
END_TEST

/* counts approval_set_notify() calls */
static int notified;
static void count_notify(void *arg)
{
    ck_assert_ptr_eq(arg, &notified);
    notified++;
}

/* live/use: a prepare looks without using; a use closes the other requests
 * still pending for the same key; the schema is kept; listeners hear of
 * every change the state file must record. */
START_TEST(use_live_close_pending_and_notify)
{
    uint64_t id, got = 0;
    struct approval_info ai;

    approval_set_notify(count_notify, &notified);
    notified = 0;
    id = approval_request_in(0x1234, 5, "DROP TABLE t", 12, "app@h", "shop");
    ck_assert_int_eq(notified, 1);
    ck_assert(approval_get(id, &ai));
    ck_assert_str_eq(ai.schema, "shop");
    ck_assert(!approval_live(0x1234, &got));
    ck_assert_uint_eq(got, 0);
    ck_assert(approval_approve(id, "admin", 10, true));
    /* a second request for the key while it is approved (not pending) */
    uint64_t later = approval_request_in(0x1234, 5, "DROP TABLE t", 12, "other@h", "shop");
    ck_assert_uint_gt(later, id);
    for (int i = 0; i < 3; i++) { /* looking uses nothing */
        ck_assert(approval_live(0x1234, &got));
        ck_assert_uint_eq(got, id);
    }
    notified = 0;
    ck_assert(approval_use(0x1234, &got));
    ck_assert_uint_eq(got, id);
    ck_assert_int_eq(notified, 1); /* one wake for the use and the closing */
    ck_assert(approval_get(id, &ai));
    ck_assert_int_eq(ai.state, APPROVAL_USED);
    ck_assert(approval_get(later, &ai));
    ck_assert_int_eq(ai.state, APPROVAL_USED); /* its statement ran: closed */
    ck_assert(!approval_use(0x1234, &got));
    ck_assert(!approval_live(0x1234, NULL));
    /* a window approval is not used up, so nothing needs saving */
    id = approval_request_in(0x5678, 5, "x", 1, "u", NULL);
    ck_assert(approval_approve(id, "admin", 10, false));
    notified = 0;
    ck_assert(approval_use(0x5678, NULL));
    ck_assert_int_eq(notified, 0);
    approval_set_notify(NULL, NULL);
    ck_assert(approval_use(0x5678, NULL));
}
END_TEST

/* the next id only ever goes up (state file "next", refused files) */
START_TEST(next_id_only_rises)
{
    uint64_t n = approval_next_id();
    approval_raise_next_id(n - 1);
    ck_assert_uint_eq(approval_next_id(), n);
    approval_raise_next_id(n + 100);
    ck_assert_uint_eq(approval_next_id(), n + 100);
    ck_assert_uint_eq(approval_request(0xfeed, 5, "x", 1, "u"), n + 100);
    ck_assert_uint_eq(approval_next_id(), n + 101);
    approval_reset(); /* not even a reset lowers it */
    ck_assert_uint_eq(approval_next_id(), n + 101);
    /* an entry restored from a file raises it too, kept or not */
    struct approval_info in = {.id = n + 500, .digest = 0xfeee, .rule = 5};
    ck_assert(approval_restore(&in));
    ck_assert_uint_eq(approval_next_id(), n + 501);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("approval");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, request_ids_increase_and_dedupe);
    tcase_add_test(tc, statement_is_truncated_and_sanitised);
    tcase_add_test(tc, once_approval_is_consumed);
    tcase_add_test(tc, window_approval_is_reusable);
    tcase_add_test(tc, bad_approvals_fail);
    tcase_add_test(tc, deny_blocks_and_can_be_reversed);
    tcase_add_test(tc, expiry_by_time);
    tcase_add_test(tc, table_is_bounded_and_evicts_finished_first);
    tcase_add_test(tc, restore_keeps_newer_memory_and_changes_count);
    tcase_add_test(tc, concurrent_use);
    tcase_add_test(tc, use_live_close_pending_and_notify);
    tcase_add_test(tc, next_id_only_rises);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
