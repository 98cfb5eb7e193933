/*
 * mdlqueue.h - the metadata-lock-aware DDL queue.
 *
 * A DDL needs an exclusive metadata lock (MDL) on its table, and while it
 * waits for one on the server every later statement on that table queues
 * behind it.  ddlgate therefore holds such statements in its own queue
 * until no transaction holds the table, then sends them with a short
 * lock_wait_timeout and retries with backoff.
 *
 * Two kinds of knowledge:
 *  - holders: ddlgate's own sessions register the tables their open
 *    transaction (or statement in flight) touched; the monitor adds what the
 *    server shows about other connections (metadata_locks views);
 *  - fences: from just before a DDL is released until it has its lock (an
 *    INSTANT DDL: until it is answered), new statements on its table are
 *    held in ddlgate, not on the server.  Before the DDL is sent, the fence
 *    drains the table: transactions already on it finish first, so none of
 *    them asks for a stronger lock while the DDL waits for its exclusive one
 *    (the server would break that cycle with a deadlock error, 1213).
 *
 * Concurrency rule: everything here is behind one mutex (mdlq_lock).  A
 * session takes it when its transaction first touches a table and when the
 * transaction ends; the relay path never does.  The fence check is one
 * atomic load unless a fence is up.  Queue entries are owned by the queue;
 * sessions and worker jobs refer to them by id, never by pointer.
 */
#ifndef DDLGATE_MDLQUEUE_H
#define DDLGATE_MDLQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct worker;
struct event_base;

#define MDLQ_MAX_SHOW 256
#define MDLQ_KEY_MAX 160    /* "schema.table" */
#define MDLQ_MAX_KEYS 32    /* tables one queued statement waits for */
#define MDLQ_MAX_QUEUE 4096 /* DDL statements waiting at once; more get 7202 */

/* X(name, description) */
#define MDLQ_STATS(X)                                                \
    X(queued, "DDL statements held in the queue (total)")            \
    X(waiting, "DDL statements in the queue now")                    \
    X(released, "queued DDL statements sent to the server")          \
    X(retries, "lock wait timeouts retried")                         \
    X(timeouts, "queued DDL statements that passed the deadline")    \
    X(cancelled, "queued DDL statements cancelled by an admin")      \
    X(abandoned, "queued DDL statements whose client disconnected")  \
    X(fenced_statements, "statements held behind a DDL's fence")     \
    X(fenced_ms, "milliseconds statements waited behind fences")     \
    X(fence_wait_max_ms, "longest wait of one statement at a fence") \
    X(drains, "fences raised to let a table's transactions end")     \
    X(drains_abandoned, "drains given up (a transaction went idle)") \
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
    char table[512]; /* every table it waits for, ", "-separated */
    char state
        [24]; /* "waiting", "fenced, draining", "released", "waiting on server", "running on server" */
    char blockers[256];
    char statement[200];
    time_t since;
    int attempts;
};

/* ---- holders (called on the session's worker thread) ---------------------- */

/* "schema.table" key; false when it does not fit */
bool mdlq_key(char out[MDLQ_KEY_MAX], const char *schema, const char *table);
/* copy a key (per statement and per COM_STMT_EXECUTE: no printf) */
void mdlq_key_copy(char dst[MDLQ_KEY_MAX], const char *src);
/* idle_since_ms: the session's "idle since" clock in ms (0 while a
 * statement is in flight), read by the scheduler to tell a transaction that
 * is about to finish from one left open; it must stay valid until
 * mdlq_unhold (sessions unhold before they are freed). */
void mdlq_hold(uint64_t sid, uint32_t server_thread, const char *user, const char *peer,
               const _Atomic int64_t *idle_since_ms, const char *key);
int64_t mdlq_now_ms(void);
void mdlq_unhold(uint64_t sid, const char *key);
/* Is a fence up on this table for a statement of a transaction (txn) or an
 * autocommit one?  A running non-INSTANT DDL's fence holds transactions
 * only.  One atomic load when no fence exists. */
bool mdlq_fenced(const char *key, bool txn);
/* mdlq_hold() unless a fence is up on key, in one step under the lock: a
 * transaction's statement either counts as a holder the fence waits for, or
 * waits at the fence.  False: fenced, nothing registered. */
bool mdlq_hold_unless_fenced(uint64_t sid, uint32_t server_thread, const char *user,
                             const char *peer, const _Atomic int64_t *idle_since_ms,
                             const char *key);
/* Park a session until the fence on key drops: the worker gets
 * fn(w, sid) on its thread then. */
void mdlq_wait_fence(struct worker *w, uint64_t sid, const char *key, bool txn);

/* ---- the queue ---------------------------------------------------------------- */

/* Queue a DDL of session sid (on worker w) on the given tables; returns the
 * entry id, 0 when the queue is full (MDLQ_MAX_QUEUE) or memory ran out: the
 * caller refuses the DDL (7202) rather than send it unqueued. */
uint64_t mdlq_enqueue(struct worker *w, uint64_t sid, uint32_t server_thread, const char *user,
                      const char *const *keys, int nkeys, const char *stmt, size_t stmt_len);
/* The DDL is INSTANT (the classifier's verdict with the ALGORITHM it will
 * run with): it keeps its fence until it is answered, since it needs its
 * exclusive lock again at once after the shared upgradable one.  Others
 * keep it at most limits.ddl_fence_max_ms once running. */
void mdlq_set_instant(uint64_t id, bool instant);
/* The session sent the released DDL: the fence is up until the monitor
 * sees it running (mdlq_lock_acquired; see mdlq_set_instant), or
 * mdlq_finished / mdlq_fence_drop / mdlq_retry. */
void mdlq_sent(uint64_t id);
/* The DDL is known not to wait on the server any more (it was answered
 * with a lock wait timeout and will be retried): drop its fence. */
void mdlq_fence_drop(uint64_t id);
/* The DDL finished (any answer but a lock wait timeout). */
void mdlq_finished(uint64_t id);
/* The server answered lock wait timeout: back to waiting, with backoff. */
void mdlq_retry(uint64_t id);
/* The session went away. */
void mdlq_abandon(uint64_t id);

/* Main thread: run the scheduler (release, time out, kill policy). */
void mdlq_tick(void);
bool mdlq_active(void);
/* MDLQ_MAX_QUEUE entries wait: the next DDL is refused (7202) */
bool mdlq_full(void);

/* ---- the monitor's view of other connections ---------------------------- */

struct mdlq_external {
    uint32_t thread_id;
    char user[64];
    char host[64];
    char key[MDLQ_KEY_MAX];
    int trx_seconds; /* how long its transaction has been open, -1 unknown */
    int idle_ms;     /* idle (Sleep) this long, -1 when running a statement */
    int run_seconds; /* running its current statement this long */
};

/* The monitor connection is up (snapshots will come) or down. */
void mdlq_set_monitor(bool up);
/* What the monitor can see of other connections' locks (SHOW BACKEND). */
void mdlq_set_visibility(const char *text);
/* The monitor starts the query for the next snapshot (its time is the
 * snapshot's: mdlq_set_external without it takes the time of the call). */
void mdlq_snapshot_begin(void);
/* Replace the snapshot of locks held by connections (the monitor thread). */
void mdlq_set_external(const struct mdlq_external *list, int n);
/* Server thread ids of DDLs sent and not yet answered, for the monitor to
 * watch in the processlist (waiting for their lock, or running). */
int mdlq_watch_threads(uint64_t *ids, uint32_t *threads, int max);
/* The monitor saw the DDL running (not waiting for the MDL any more). */
void mdlq_lock_acquired(uint64_t id);
/* The monitor saw the DDL waiting for its metadata lock on the server. */
void mdlq_server_waiting(uint64_t id);
/* Did ddlgate itself interrupt this DDL (KILL QUERY) to retry it later? */
bool mdlq_abort_requested(uint64_t id);
/* Server threads to kill (the kill policy) or whose query to interrupt (a
 * DDL pulled back): the monitor executes KILL [QUERY]. */
int mdlq_take_kills(uint32_t *threads, bool *query_only, int max);

/* ---- admin ---------------------------------------------------------------- */

void mdlq_stats_get(struct mdlq_stats *out);
int mdlq_list(struct mdlq_info *out, int max);
/* Cancel a DDL: one still in the queue is refused at once (7201); one
 * released or on the server is not sent, or is interrupted with KILL QUERY
 * through the monitor and then refused (unless it finished first).  False:
 * no such entry. */
bool mdlq_cancel(uint64_t id, const char *admin);
/* A client's KILL QUERY <server_thread>: a DDL of that connection still
 * held in ddlgate is answered 1317 like the server would (not sent, the
 * table unchanged).  False: none held (one already sent is the server's). */
bool mdlq_kill_query(uint32_t server_thread, const char *who);
/* Shutdown: refuse every DDL still waiting in the queue (7008, not sent). */
void mdlq_shutdown(void);
/* The worker asks before sending a released DDL: was it cancelled? */
bool mdlq_cancel_requested(uint64_t id);
void mdlq_visibility(char *buf, size_t len);

/* ---- the session side (implemented in pipeline.c, run on worker threads) --- */

/* The queue released entry `id` of session `sid`: send it now. */
void pipeline_release(struct worker *w, uint64_t sid, uint64_t id);
/* The queue gave up on entry `id` (deadline, cancel): answer the client. */
void pipeline_refuse_held(struct worker *w, uint64_t sid, uint64_t id, int code, const char *msg);
/* A fence the session waited for dropped: continue. */
void pipeline_fence_dropped(struct worker *w, uint64_t sid);

#endif
