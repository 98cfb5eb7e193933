/*
 * mdlqueue.h - the metadata-lock-aware DDL queue.
 *
 * A statement that needs an exclusive or table-level metadata lock is held
 * here instead of being sent while any transaction still holds that table,
 * so it never waits on the server with all later traffic piled up behind
 * it.  Concurrency rule: the queue and the per-table holder counts live
 * behind one mutex (mdlq_lock); it is taken when a session's transaction
 * touches a table for the first time, ends a transaction, or queues or
 * releases a DDL: per statement in transactions, never per packet.
 */
#ifndef DDLGATE_MDLQUEUE_H
#define DDLGATE_MDLQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MDLQ_MAX_SHOW 256

/* X(name, description) */
#define MDLQ_STATS(X)                                                   \
    X(queued, "DDL statements held in the queue (total)")              \
    X(waiting, "DDL statements in the queue now")                      \
    X(released, "queued DDL statements sent to the server")            \
    X(retries, "lock wait timeouts retried")                           \
    X(timeouts, "queued DDL statements that passed the deadline")      \
    X(cancelled, "queued DDL statements cancelled by an admin")        \
    X(abandoned, "queued DDL statements whose client disconnected")    \
    X(killed_blockers, "idle blocking transactions killed by policy")

struct mdlq_stats {
#define MDLQ_STAT_FIELD(n, d) uint64_t n;
    MDLQ_STATS(MDLQ_STAT_FIELD)
#undef MDLQ_STAT_FIELD
};

struct mdlq_info {
    uint64_t id;
    uint64_t session_id;
    char user[64];
    char table[140];
    char state[24];
    char blockers[200];
    char statement[200];
    time_t since;
    int attempts;
};

void mdlq_stats_get(struct mdlq_stats *out);
int mdlq_list(struct mdlq_info *out, int max);
bool mdlq_cancel(uint64_t id, const char *admin);
/* what the monitor can see about locks held outside ddlgate */
void mdlq_visibility(char *buf, size_t len);

#endif
