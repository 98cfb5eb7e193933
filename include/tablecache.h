/*
 * tablecache.h - what ddlgate knows about tables: definitions read through
 * the monitor connection (information_schema), used by the classifier for
 * table-dependent answers (VARCHAR boundary, PK, FKs, FULLTEXT, size).
 *
 * Concurrency rule: entries are immutable once published.  Readers (worker
 * threads, inside gate_check) take a pointer under a short mutex; replaced
 * or invalidated entries are retired and freed only after a grace period
 * far longer than any gate_check, so a reader's pointer stays valid.
 */
#ifndef DDLGATE_TABLECACHE_H
#define DDLGATE_TABLECACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "gate.h"
#include "sql.h"

struct st_mysql;
struct worker;

/* gate_tables.lookup: NULL when unknown; also queues a fetch for it. */
const struct gate_table_info *tablecache_lookup(void *ctx, const char *schema, const char *table);
/* Forget the tables a DDL statement touches (their definition changes). */
void tablecache_invalidate_stmt(const struct sql_stmt *st);
void tablecache_invalidate(const char *schema, const char *table);
/* Read one table's definition with an open connection and publish it.
 * Returns false when the table does not exist or the query failed. */
bool tablecache_fetch(struct st_mysql *conn, const char *schema, const char *table);
/* Publish an entry built elsewhere (lint --schema); ownership passes. */
void tablecache_put(struct gate_table_info *ti);
/* Is the table's definition known (or known to be missing, recently)? */
bool tablecache_known(const char *schema, const char *table);
/* Park session sid of worker w until the monitor has looked the table up
 * (or a short timeout passes); then pipeline_facts_ready(w, sid) runs on w.
 * False when nobody could answer (monitor not connected): do not wait. */
bool tablecache_wait(struct worker *w, uint64_t sid, const char *schema, const char *table);
/* The monitor finished a lookup: remember a miss briefly, wake waiters. */
void tablecache_done(const char *schema, const char *table, bool found);
/* Wake waiters whose lookup took too long (janitor). */
void tablecache_expire_waiters(void);
/* Whether lookups can be answered: 0 no monitor, 1 the monitor is
 * connecting (its first answer is on the way), 2 up. */
void tablecache_set_monitor_state(int state);
/* Take the next queued fetch request; false when none. */
bool tablecache_next_request(char *schema, size_t slen, char *table, size_t tlen);
/* Free retired entries older than the grace period. */
void tablecache_collect(void);
void tablecache_clear(void);
int tablecache_count(void);
/* Deep-free an entry (used for entries never published). */
void tablecache_free_info(struct gate_table_info *ti);

#endif
