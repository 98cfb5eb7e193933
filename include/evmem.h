/*
 * evmem.h - libevent's allocator hooks: its tiny allocations come from a slab
 * of their own, so they never sit between session allocations in the heap.
 *
 * Why: every event_base keeps one small entry (16 bytes on Linux/epoll) for
 * each descriptor number it has ever watched, and frees it only when the base
 * is freed.  A burst of 1,000 connections creates 2,000 such entries per
 * worker, allocated between the sessions' buffers; once the sessions are gone
 * those 32-byte chunks cut the freed heap into ~2 KiB pieces that neither
 * heap trimming nor malloc_trim() can return (about 2.4 MiB of RSS per worker
 * stayed, measured with heaptrack and malloc_info; see docs/hardening.md).
 *
 * Concurrency rule: one mutex, taken only for allocations of at most
 * EVMEM_CELL bytes (libevent makes those when a loop first sees a descriptor
 * number, not per packet).  Everything larger goes straight to malloc.
 */
#ifndef DDLGATE_EVMEM_H
#define DDLGATE_EVMEM_H

#include <stddef.h>

#define EVMEM_CELL 16 /* bytes; sizeof(struct evmap_io) with epoll */

/* Install the hooks.  Call once, before any other libevent call. */
void evmem_install(void);
/* Cells in use now and the most ever used (SHOW-style diagnostics, tests). */
size_t evmem_cells_used(void);
size_t evmem_cells_peak(void);

/* The hooks themselves (exposed for unit tests). */
void *evmem_malloc(size_t n);
void *evmem_realloc(void *p, size_t n);
void evmem_free(void *p);

#endif
