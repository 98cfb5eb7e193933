/*
 * check_evmem.c - libevent's tiny-allocation slab: cells are reused, a grown
 * realloc keeps the bytes and gives the cell back, larger requests never
 * touch the slab, threads share it safely, and with the hooks installed an
 * event_base's per-descriptor entries land in the slab and go back to it
 * when the base is freed (the reason the slab exists: docs/hardening.md).
 */
#include <check.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evmem.h"

START_TEST(cells_are_reused)
{
    size_t used0 = evmem_cells_used();
    void *a = evmem_malloc(16);
    void *b = evmem_malloc(1);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    ck_assert_uint_eq(evmem_cells_used(), used0 + 2);
    ck_assert_uint_eq((uintptr_t)a % 16, 0); /* malloc's alignment */
    memset(a, 0xab, 16);
    evmem_free(a);
    ck_assert_uint_eq(evmem_cells_used(), used0 + 1);
    void *c = evmem_malloc(8);
    ck_assert_ptr_eq(c, a); /* the freed cell first */
    evmem_free(b);
    evmem_free(c);
    evmem_free(NULL);
    ck_assert_uint_eq(evmem_cells_used(), used0);
    ck_assert_uint_ge(evmem_cells_peak(), used0 + 2);
}
END_TEST

START_TEST(realloc_moves_out_of_the_slab)
{
    size_t used0 = evmem_cells_used();
    unsigned char *p = evmem_malloc(16);
    for (int i = 0; i < 16; i++)
        p[i] = (unsigned char)i;
    ck_assert_ptr_eq(evmem_realloc(p, 12), p); /* still fits its cell */
    unsigned char *q = evmem_realloc(p, 4096);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(evmem_cells_used(), used0);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(q[i], i);
    q[4095] = 1;
    q = evmem_realloc(q, 8192); /* a malloc'd block stays with malloc */
    ck_assert_uint_eq(q[15], 15);
    evmem_free(q);
    void *r = evmem_realloc(NULL, 10);
    ck_assert_uint_eq(evmem_cells_used(), used0 + 1);
    evmem_free(r);
    void *big = evmem_malloc(17);
    ck_assert_uint_eq(evmem_cells_used(), used0);
    evmem_free(big);
}
END_TEST

static void *churn(void *arg)
{
    void *cells[64];
    (void)arg;
    for (int round = 0; round < 2000; round++) {
        for (int i = 0; i < 64; i++) {
            cells[i] = evmem_malloc(16);
            memset(cells[i], round & 0xff, 16);
        }
        for (int i = 0; i < 64; i++) {
            const unsigned char *c = cells[i];
            if (c[0] != (round & 0xff) || c[15] != (round & 0xff))
                return (void *)1; /* two threads got the same cell */
            evmem_free(cells[i]);
        }
    }
    return NULL;
}

START_TEST(threads_share_the_slab)
{
    pthread_t t[4];
    size_t used0 = evmem_cells_used();
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, churn, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *rv = (void *)1;
        pthread_join(t[i], &rv);
        ck_assert_ptr_null(rv);
    }
    ck_assert_uint_eq(evmem_cells_used(), used0);
}
END_TEST

static void noop_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

START_TEST(event_base_entries_use_the_slab)
{
    enum {
        NPAIRS = 200
    };
    int fds[NPAIRS][2];
    struct event *evs[NPAIRS];

    evmem_install();
    struct event_base *base = event_base_new();
    ck_assert_ptr_nonnull(base);
    size_t used0 = evmem_cells_used();
    for (int i = 0; i < NPAIRS; i++) {
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]), 0);
        evs[i] = event_new(base, fds[i][0], EV_READ | EV_PERSIST, noop_cb, NULL);
        ck_assert_int_eq(event_add(evs[i], NULL), 0);
    }
    /* one entry per descriptor number the base has watched */
    ck_assert_uint_ge(evmem_cells_used(), used0 + NPAIRS);
    for (int i = 0; i < NPAIRS; i++) {
        event_free(evs[i]);
        close(fds[i][0]);
        close(fds[i][1]);
    }
    /* libevent keeps them after event_del: only the base's end frees them */
    ck_assert_uint_ge(evmem_cells_used(), used0 + NPAIRS);
    event_base_free(base);
    ck_assert_uint_lt(evmem_cells_used(), used0 + NPAIRS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("evmem");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, cells_are_reused);
    tcase_add_test(tc, realloc_moves_out_of_the_slab);
    tcase_add_test(tc, threads_share_the_slab);
    tcase_add_test(tc, event_base_entries_use_the_slab);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
