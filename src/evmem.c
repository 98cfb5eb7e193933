/*
 * evmem.c - libevent's tiny allocations from a slab of their own (evmem.h).
 *
 * The slab is one reservation of EVMEM_CELLS_MAX cells made on first use
 * (MAP_NORESERVE: pages cost RSS only once touched).  Free cells form a list
 * threaded through the cells themselves.  When the reservation is used up,
 * tiny allocations fall back to malloc, which is correct, only less tidy.
 */
#include "evmem.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* 1 Mi cells (16 MiB of address space): room for one entry per descriptor
 * number for 16 loops at 65,536 descriptors each */
#define EVMEM_CELLS_MAX ((size_t)1 << 20)

struct evmem_cell {
    struct evmem_cell *next; /* while free */
};

static struct {
    pthread_mutex_t lock;
    unsigned char *base; /* the reservation; NULL until first use or on failure */
    bool failed;         /* mmap failed once: always malloc */
    size_t bumped;       /* cells handed out from the untouched end */
    struct evmem_cell *free_list;
    size_t used, peak;
} slab = {.lock = PTHREAD_MUTEX_INITIALIZER};

_Static_assert(sizeof(struct evmem_cell) <= EVMEM_CELL, "a cell holds its free-list link");

static bool in_slab(const void *p)
{
    const unsigned char *b = __atomic_load_n(&slab.base, __ATOMIC_ACQUIRE);
    /* base is written once under the lock before any cell exists, and a
     * pointer into the slab can only come from a cell handed out after */
    return b && (uintptr_t)p - (uintptr_t)b < EVMEM_CELLS_MAX * EVMEM_CELL;
}

static void *cell_get(void)
{
    void *p = NULL;

    pthread_mutex_lock(&slab.lock);
    if (!slab.base && !slab.failed) {
        void *m = mmap(NULL, EVMEM_CELLS_MAX * EVMEM_CELL, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED)
            slab.failed = true;
        else
            __atomic_store_n(&slab.base, (unsigned char *)m, __ATOMIC_RELEASE);
    }
    if (slab.free_list) {
        p = slab.free_list;
        slab.free_list = slab.free_list->next;
    } else if (slab.base && slab.bumped < EVMEM_CELLS_MAX) {
        p = slab.base + slab.bumped++ * EVMEM_CELL;
    }
    if (p && ++slab.used > slab.peak)
        slab.peak = slab.used;
    pthread_mutex_unlock(&slab.lock);
    return p;
}

static void cell_put(void *p)
{
    struct evmem_cell *c = p;

    pthread_mutex_lock(&slab.lock);
    c->next = slab.free_list;
    slab.free_list = c;
    slab.used--;
    pthread_mutex_unlock(&slab.lock);
}

void *evmem_malloc(size_t n)
{
    if (n <= EVMEM_CELL) {
        void *p = cell_get();
        if (p)
            return p;
    }
    return malloc(n);
}

void *evmem_realloc(void *p, size_t n)
{
    if (!p)
        return evmem_malloc(n);
    if (!in_slab(p))
        return realloc(p, n);
    if (n <= EVMEM_CELL)
        return p;
    void *q = malloc(n);
    if (!q)
        return NULL; /* p stays valid, as realloc promises */
    memcpy(q, p, EVMEM_CELL);
    cell_put(p);
    return q;
}

void evmem_free(void *p)
{
    if (!p)
        return;
    if (in_slab(p))
        cell_put(p);
    else
        free(p);
}

void evmem_install(void) { event_set_mem_functions(evmem_malloc, evmem_realloc, evmem_free); }

size_t evmem_cells_used(void)
{
    pthread_mutex_lock(&slab.lock);
    size_t n = slab.used;
    pthread_mutex_unlock(&slab.lock);
    return n;
}

size_t evmem_cells_peak(void)
{
    pthread_mutex_lock(&slab.lock);
    size_t n = slab.peak;
    pthread_mutex_unlock(&slab.lock);
    return n;
}
