/*
 * sql_arena.c - the bump allocator behind struct sql_script.
 *
 * The first 4 KiB come from the script's inline block, so a typical
 * statement parses without malloc.  Further blocks are malloc'ed (at least
 * SQL_ARENA_BLOCK bytes, more for one huge request), chained on
 * script->blocks and freed by sql_script_reset()/sql_script_free().
 */
#include "sql_parse_int.h"

#include <stdlib.h>
#include <string.h>

#define SQL_ARENA_BLOCK (64u * 1024u)

struct sql_arena_block {
    struct sql_arena_block *next;
    size_t size;
    size_t used;
    max_align_t mem[];
};

void sql_script_init(struct sql_script *s)
{
    s->nstmts = 0;
    s->stmts = NULL;
    s->blocks = NULL;
    s->used = 0;
}

void sql_script_reset(struct sql_script *s)
{
    struct sql_arena_block *b = s->blocks;
    while (b) {
        struct sql_arena_block *next = b->next;
        free(b);
        b = next;
    }
    sql_script_init(s);
}

void sql_script_free(struct sql_script *s) { sql_script_reset(s); }

void *sql_arena_alloc_slow(struct sql_script *s, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    n = SQL_ARENA_ROUND(n);
    if (!s->blocks) {
        size_t off = (s->used + 7u) & ~(size_t)7u;
        if (off + n <= sizeof(s->inline_mem)) {
            s->used = off + n;
            return s->inline_mem + off;
        }
    } else if (s->blocks->used + n <= s->blocks->size) {
        void *p = (unsigned char *)s->blocks->mem + s->blocks->used;
        s->blocks->used += n;
        return p;
    }
    size_t size = n > SQL_ARENA_BLOCK ? n : SQL_ARENA_BLOCK;
    struct sql_arena_block *b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->next = s->blocks;
    b->size = size;
    b->used = n;
    s->blocks = b;
    return b->mem;
}

void *sql_arena_zalloc(struct sql_script *s, size_t n)
{
    void *p = sql_arena_alloc(s, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *sql_arena_strndup(struct sql_script *s, const char *src, size_t n)
{
    char *p = sql_arena_alloc(s, n + 1);
    if (!p)
        return NULL;
    memcpy(p, src, n);
    p[n] = '\0';
    return p;
}

/* Grow an arena vector: old storage is abandoned (the arena is freed as a
 * whole), so doubling keeps the copying amortised O(1). */
bool sql_arena_grow_slow(struct sql_script *s, void **arr, int *cap, int n, size_t elem)
{
    if (n < *cap)
        return true;
    int ncap = *cap ? *cap * 2 : 8;
    size_t bytes; /* no division on this path: it runs for most statements */
    if (ncap < 0 || __builtin_mul_overflow((size_t)ncap, elem, &bytes) || bytes > SIZE_MAX / 2)
        return false;
    void *p = sql_arena_alloc(s, bytes);
    if (!p)
        return false;
    if (*arr && n > 0)
        memcpy(p, *arr, (size_t)n * elem);
    *arr = p;
    *cap = ncap;
    return true;
}
