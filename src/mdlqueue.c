/*
 * mdlqueue.c - the metadata-lock-aware DDL queue (see mdlqueue.h).
 *
 * The scheduler runs on the main thread (mdlq_tick from the janitor).  It
 * never touches a session: it posts jobs to the session's worker, which
 * looks the session up by id and acts on its own thread.
 */
#include "mdlqueue.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "conf.h"
#include "errors.h"
#include "log.h"
#include "monitor.h"
#include "rules.h"
#include "verdicts.h"
#include "worker.h"

#define MDLQ_BUCKETS 256
#define MDLQ_MAX_EXTERNAL 1024
#define MDLQ_MAX_KILLS 16
#define MDLQ_MAX_FENCE_WAITERS 4096
#define MDLQ_CHECK_INTERVAL 0.05 /* seconds between blocker checks */

struct holder {
    uint64_t sid;
    uint32_t server_thread;
    char user[64];
    char peer[64];
    double since;                         /* when it first touched the table */
    const _Atomic int64_t *idle_since_ms; /* the session's clock, 0 = busy */
    struct holder *next;
};

/* A holder blocks a DDL when its transaction sits idle (an application
 * that left it open) or has run for a while; a young, busy transaction is
 * about to end, and the fence plus the short lock_wait_timeout cover it.
 * Waiting for "no holder at all" would starve DDL on a busy table. */
#define HOLDER_IDLE_GRACE_MS 100
#define MDLQ_ER_QUERY_INTERRUPTED 1317 /* the server's own answer to KILL QUERY */
#define HOLDER_MAX_AGE_S 1.0

struct mdl_table {
    char key[MDLQ_KEY_MAX];
    struct holder *holders;
    int fences;        /* released DDLs possibly waiting on the server, or just running */
    int strict_fences; /* of those, the ones that hold autocommit statements too */
    struct mdl_table *next;
};

/* WAITING -> DRAINING (fence up, the table's transactions end) ->
 * RELEASED (the session sends it) -> SENT (on the server) -> removed when
 * answered; SENT -> WAITING on a lock wait timeout (retry). */
enum entry_state {
    ENTRY_WAITING,
    ENTRY_DRAINING,
    ENTRY_RELEASED,
    ENTRY_SENT
};

static const char *const entry_state_names[] = {
    [ENTRY_WAITING] = "waiting",
    [ENTRY_DRAINING] = "fenced, draining",
    [ENTRY_RELEASED] = "released",
    [ENTRY_SENT] = "waiting on server",
};

/* SHOW QUEUE's state of a sent DDL the monitor saw past its lock wait */
#define ENTRY_RUNNING_NAME "running on server"

struct entry {
    uint64_t id;
    struct worker *w;
    uint64_t sid;
    uint32_t server_thread;
    char user[64];
    char keys[MDLQ_MAX_KEYS][MDLQ_KEY_MAX];
    int nkeys;
    char stmt[200];
    time_t since;
    double deadline, next_check, fence_until, blocked_since, enqueued_at, sent_at;
    double fence_since;    /* when the fence went up (drain start, or again) */
    bool server_waiting;   /* the monitor saw it wait for its metadata lock */
    bool abort_requested;  /* ddlgate asked the monitor to KILL QUERY it */
    bool cancel_requested; /* an admin's CANCEL (or a KILL QUERY) after it was released */
    bool killed;           /* cancelled by a client's KILL QUERY: answer 1317, not 7201 */
    bool instant;          /* keeps its fence until answered (mdlq_set_instant) */
    bool ran;              /* the monitor saw it past a metadata lock wait */
    int attempts;
    bool dg031;  /* DG031 named it (a long transaction blocks it) */
    bool fenced; /* holds a fence on its keys */
    /* the fence holds every statement (the DDL may still wait for its
     * lock); relaxed once a non-INSTANT DDL runs: then it holds only
     * transactions, which alone can close a deadlock with the DDL's last
     * exclusive lock (an autocommit statement takes its locks at once) */
    bool fence_strict;
    enum entry_state state;
    char blockers[256];
    struct entry *next;
};

struct fence_waiter {
    struct worker *w;
    uint64_t sid;
    bool txn;         /* a transaction's statement: any fence holds it */
    int64_t since_ms; /* for the fenced_ms / fence_wait_max_ms counters */
    char key[MDLQ_KEY_MAX];
};

static pthread_mutex_t mdlq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mdl_table *tables[MDLQ_BUCKETS];
static struct entry *queue_head, *queue_tail;
static uint64_t next_id = 1;
static struct mdlq_stats stats;
static atomic_int fences_up; /* fast path for mdlq_fenced() */
static atomic_int queue_len;
static struct mdlq_external *external;
static int nexternal;
static char visibility[512] = "monitor not connected: ddlgate sees its own sessions only";
static bool monitor_up;                /* a monitor connection feeds external snapshots */
static uint32_t kills[MDLQ_MAX_KILLS]; /* bit 31 set: KILL QUERY only */
#define KILL_QUERY_ONLY 0x80000000u
static int nkills;
static struct fence_waiter waiters[MDLQ_MAX_FENCE_WAITERS];
static int nwaiters;
static double snapshot_started; /* the monitor's query for the next snapshot began */

/* Server threads of ddlgate's sessions that hold a table now (how many
 * tables): the registry, not the monitor's snapshot, judges them.  A
 * snapshot is a little old when it arrives; it still shows the tables a
 * session of ddlgate held while the query ran, and a session whose
 * transaction ended since would look like a connection outside ddlgate
 * holding the table. */
struct own_thread {
    uint32_t thread;
    int count;
    double since; /* its first table of the current transaction was registered */
    struct own_thread *next;
};
static struct own_thread *own_threads[MDLQ_BUCKETS];
/* when the monitor began the query of the snapshot in `external` */
static double external_at;

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* Called for every table of every statement: plain copies, no printf. */
bool mdlq_key(char out[MDLQ_KEY_MAX], const char *schema, const char *table)
{
    size_t sl = schema ? strlen(schema) : 0, tl = table ? strlen(table) : 0;

    if (sl + 1 + tl >= MDLQ_KEY_MAX)
        return false;
    if (sl)
        memcpy(out, schema, sl);
    out[sl] = '.';
    if (tl)
        memcpy(out + sl + 1, table, tl);
    out[sl + 1 + tl] = '\0';
    return true;
}

void mdlq_key_copy(char dst[MDLQ_KEY_MAX], const char *src)
{
    size_t n = strnlen(src, MDLQ_KEY_MAX - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static unsigned key_hash(const char *key)
{
    unsigned h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % MDLQ_BUCKETS;
}

/* caller holds mdlq_lock */
static struct mdl_table *table_get(const char *key, bool create)
{
    unsigned h = key_hash(key);
    for (struct mdl_table *t = tables[h]; t; t = t->next)
        if (strcmp(t->key, key) == 0)
            return t;
    if (!create)
        return NULL;
    struct mdl_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    snprintf(t->key, sizeof(t->key), "%s", key);
    t->next = tables[h];
    tables[h] = t;
    return t;
}

/* caller holds mdlq_lock: drop a table entry nobody refers to */
static void table_gc(struct mdl_table *t)
{
    if (t->holders || t->fences)
        return;
    struct mdl_table **pp = &tables[key_hash(t->key)];
    while (*pp && *pp != t)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = t->next;
        free(t);
    }
}

static void job_fence(struct worker *w, void *arg);
static void post(struct worker *w, worker_fn fn, uint64_t sid, uint64_t id, int code,
                 const char *msg);

/* ---- holders -------------------------------------------------------------------- */

int64_t mdlq_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* caller holds mdlq_lock: one more (delta 1) or one less (-1) table held by
 * a session on this server thread */
static void own_thread_add(uint32_t thread, int delta)
{
    struct own_thread **pp = &own_threads[thread % MDLQ_BUCKETS];
    while (*pp && (*pp)->thread != thread)
        pp = &(*pp)->next;
    if (!*pp) {
        if (delta < 0 || !(*pp = calloc(1, sizeof(**pp))))
            return;
        (*pp)->thread = thread;
        (*pp)->since = now_s();
    }
    (*pp)->count += delta;
    if ((*pp)->count <= 0) {
        struct own_thread *o = *pp;
        *pp = o->next;
        free(o);
    }
}

/* caller holds mdlq_lock */
static struct own_thread *own_thread_find(uint32_t thread)
{
    for (struct own_thread *o = own_threads[thread % MDLQ_BUCKETS]; o; o = o->next)
        if (o->thread == thread)
            return o;
    return NULL;
}

static struct mdl_table *table_get(const char *key, bool create);

/* Is a snapshot row a lock on e's table k, held by someone else, that the
 * registry does not know?  Yes for connections outside ddlgate.  For a
 * thread of ddlgate's own sessions: not when the registry has that table
 * for it (the registry judges it, and is newer than any snapshot); yes when
 * its current transaction had begun before the snapshot was taken - then
 * the row is a lock of that transaction the parser could not see (a view's
 * base table, a trigger's or procedure's tables); no otherwise (a lock of a
 * transaction that ended since).  Caller holds mdlq_lock. */
static bool external_on_locked(const struct mdlq_external *x, const struct entry *e, int k)
{
    if (strcmp(x->key, e->keys[k]) != 0 || x->thread_id == e->server_thread)
        return false;
    struct own_thread *o = own_thread_find(x->thread_id);
    if (!o)
        return true;
    struct mdl_table *t = table_get(e->keys[k], false);
    for (struct holder *h = t ? t->holders : NULL; h; h = h->next)
        if (h->server_thread == x->thread_id)
            return false;
    return o->since < external_at;
}

/* caller holds mdlq_lock */
static void hold_locked(struct mdl_table *t, uint64_t sid, uint32_t server_thread, const char *user,
                        const char *peer, const _Atomic int64_t *idle_since_ms)
{
    struct holder *h = calloc(1, sizeof(*h));
    if (!h)
        return;
    h->sid = sid;
    h->server_thread = server_thread;
    snprintf(h->user, sizeof(h->user), "%s", user);
    snprintf(h->peer, sizeof(h->peer), "%s", peer);
    h->since = now_s();
    h->idle_since_ms = idle_since_ms;
    h->next = t->holders;
    t->holders = h;
    own_thread_add(server_thread, 1);
}

void mdlq_hold(uint64_t sid, uint32_t server_thread, const char *user, const char *peer,
               const _Atomic int64_t *idle_since_ms, const char *key)
{
    pthread_mutex_lock(&mdlq_lock);
    struct mdl_table *t = table_get(key, true);
    if (t)
        hold_locked(t, sid, server_thread, user, peer, idle_since_ms);
    pthread_mutex_unlock(&mdlq_lock);
}

bool mdlq_hold_unless_fenced(uint64_t sid, uint32_t server_thread, const char *user,
                             const char *peer, const _Atomic int64_t *idle_since_ms,
                             const char *key)
{
    bool fenced;

    pthread_mutex_lock(&mdlq_lock);
    struct mdl_table *t = table_get(key, true);
    fenced = t && t->fences > 0;
    if (t && !fenced)
        hold_locked(t, sid, server_thread, user, peer, idle_since_ms);
    pthread_mutex_unlock(&mdlq_lock);
    return !fenced;
}

void mdlq_unhold(uint64_t sid, const char *key)
{
    pthread_mutex_lock(&mdlq_lock);
    struct mdl_table *t = table_get(key, false);
    if (t) {
        for (struct holder **pp = &t->holders; *pp; pp = &(*pp)->next) {
            if ((*pp)->sid == sid) {
                struct holder *h = *pp;
                *pp = h->next;
                own_thread_add(h->server_thread, -1);
                free(h);
                break;
            }
        }
        table_gc(t);
    }
    pthread_mutex_unlock(&mdlq_lock);
}

/* caller holds mdlq_lock */
static bool table_fenced_locked(const struct mdl_table *t, bool txn)
{
    return t && (txn ? t->fences : t->strict_fences) > 0;
}

bool mdlq_fenced(const char *key, bool txn)
{
    bool fenced = false;

    if (atomic_load_explicit(&fences_up, memory_order_acquire) == 0)
        return false;
    pthread_mutex_lock(&mdlq_lock);
    fenced = table_fenced_locked(table_get(key, false), txn);
    pthread_mutex_unlock(&mdlq_lock);
    return fenced;
}

void mdlq_wait_fence(struct worker *w, uint64_t sid, const char *key, bool txn)
{
    bool queued = false;

    pthread_mutex_lock(&mdlq_lock);
    struct mdl_table *t = table_get(key, false);
    if (table_fenced_locked(t, txn) && nwaiters < MDLQ_MAX_FENCE_WAITERS) {
        waiters[nwaiters].w = w;
        waiters[nwaiters].sid = sid;
        waiters[nwaiters].txn = txn;
        waiters[nwaiters].since_ms = mdlq_now_ms();
        snprintf(waiters[nwaiters].key, sizeof(waiters[nwaiters].key), "%s", key);
        nwaiters++;
        stats.fenced_statements++;
        queued = true;
    }
    pthread_mutex_unlock(&mdlq_lock);
    if (!queued) /* the fence is already gone: go on (later, not re-entrantly) */
        post(w, job_fence, sid, 0, 0, NULL);
}

/* ---- posting to workers ------------------------------------------------------------- */

struct job {
    uint64_t sid, id;
    int code;
    char msg[512];
};

static void job_release(struct worker *w, void *arg)
{
    struct job *j = arg;
    pipeline_release(w, j->sid, j->id);
    free(j);
}

static void job_refuse(struct worker *w, void *arg)
{
    struct job *j = arg;
    pipeline_refuse_held(w, j->sid, j->id, j->code, j->msg);
    free(j);
}

static void job_fence(struct worker *w, void *arg)
{
    struct job *j = arg;
    pipeline_fence_dropped(w, j->sid);
    free(j);
}

static void post(struct worker *w, worker_fn fn, uint64_t sid, uint64_t id, int code,
                 const char *msg)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j)
        return;
    j->sid = sid;
    j->id = id;
    j->code = code;
    if (msg)
        snprintf(j->msg, sizeof(j->msg), "%s", msg);
    if (!worker_post(w, fn, j))
        free(j);
}

/* caller holds mdlq_lock.  Wake fence waiters whose table has no fence. */
static void wake_waiters_locked(void)
{
    int kept = 0;
    int64_t now_ms = mdlq_now_ms();
    for (int i = 0; i < nwaiters; i++) {
        struct mdl_table *t = table_get(waiters[i].key, false);
        if (table_fenced_locked(t, waiters[i].txn)) {
            waiters[kept++] = waiters[i];
            continue;
        }
        uint64_t waited =
            now_ms > waiters[i].since_ms ? (uint64_t)(now_ms - waiters[i].since_ms) : 0;
        stats.fenced_ms += waited;
        if (waited > stats.fence_wait_max_ms)
            stats.fence_wait_max_ms = waited;
        post(waiters[i].w, job_fence, waiters[i].sid, 0, 0, NULL);
    }
    nwaiters = kept;
}

/* caller holds mdlq_lock */
static void fence_locked(struct entry *e, bool up)
{
    if (e->fenced == up)
        return;
    e->fenced = up;
    if (up) {
        e->fence_since = now_s();
        e->fence_strict = true;
    }
    for (int i = 0; i < e->nkeys; i++) {
        struct mdl_table *t = table_get(e->keys[i], up);
        if (!t)
            continue;
        t->fences += up ? 1 : -1;
        if (e->fence_strict)
            t->strict_fences += up ? 1 : -1;
        atomic_fetch_add_explicit(&fences_up, up ? 1 : -1, memory_order_release);
        if (!up)
            table_gc(t);
    }
    if (!up) {
        e->fence_strict = false;
        wake_waiters_locked();
    }
}

/* The DDL runs (past its lock wait): autocommit statements may pass the
 * fence again.  Caller holds mdlq_lock. */
static void fence_relax_locked(struct entry *e)
{
    if (!e->fenced || !e->fence_strict)
        return;
    e->fence_strict = false;
    for (int i = 0; i < e->nkeys; i++) {
        struct mdl_table *t = table_get(e->keys[i], false);
        if (t)
            t->strict_fences--;
    }
    wake_waiters_locked();
}

/* ---- the queue -------------------------------------------------------------------- */

static struct entry *entry_find_locked(uint64_t id)
{
    for (struct entry *e = queue_head; e; e = e->next)
        if (e->id == id)
            return e;
    return NULL;
}

static void entry_remove_locked(struct entry *e)
{
    struct entry **pp = &queue_head, *prev = NULL;
    while (*pp && *pp != e) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = e->next;
    if (queue_tail == e)
        queue_tail = prev;
    fence_locked(e, false);
    atomic_fetch_sub(&queue_len, 1);
    stats.waiting--;
    free(e);
}

/* Answer e's client with an error (on its worker) and drop e. */
static void refuse_locked(struct entry *e, int code, const char *msg)
{
    post(e->w, job_refuse, e->sid, e->id, code, msg);
    entry_remove_locked(e);
}

uint64_t mdlq_enqueue(struct worker *w, uint64_t sid, uint32_t server_thread, const char *user,
                      const char *const *keys, int nkeys, const char *stmt, size_t stmt_len)
{
    struct entry *e = calloc(1, sizeof(*e));
    const struct conf *c = conf_acquire();
    double now = now_s();

    if (!e || atomic_load(&queue_len) >= MDLQ_MAX_QUEUE) {
        conf_release(c);
        free(e);
        return 0;
    }
    e->w = w;
    e->sid = sid;
    e->server_thread = server_thread;
    snprintf(e->user, sizeof(e->user), "%s", user);
    for (int i = 0; i < nkeys && i < MDLQ_MAX_KEYS; i++)
        snprintf(e->keys[e->nkeys++], MDLQ_KEY_MAX, "%s", keys[i]);
    size_t n = stmt_len < sizeof(e->stmt) - 1 ? stmt_len : sizeof(e->stmt) - 1;
    for (size_t i = 0; i < n; i++)
        e->stmt[i] = (stmt[i] == '\n' || stmt[i] == '\r' || stmt[i] == '\t') ? ' ' : stmt[i];
    e->since = time(NULL);
    e->enqueued_at = now;
    e->deadline = now + c->ddl_queue_deadline_s;
    e->next_check = now;
    e->state = ENTRY_WAITING;
    conf_release(c);

    pthread_mutex_lock(&mdlq_lock);
    e->id = next_id++;
    if (queue_tail)
        queue_tail->next = e;
    else
        queue_head = e;
    queue_tail = e;
    stats.queued++;
    stats.waiting++;
    atomic_fetch_add(&queue_len, 1);
    pthread_mutex_unlock(&mdlq_lock);
    monitor_kick(); /* a fresh look at the server's locks, now */
    log_info("queue: DDL %llu of session %llu held for %s: %s", (unsigned long long)e->id,
             (unsigned long long)sid, e->keys[0], e->stmt);
    return e->id;
}

void mdlq_set_instant(uint64_t id, bool instant)
{
    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    if (e)
        e->instant = instant;
    pthread_mutex_unlock(&mdlq_lock);
}

void mdlq_sent(uint64_t id)
{
    const struct conf *c = conf_acquire();
    double fence_s = c->lock_wait_timeout_s;
    conf_release(c);

    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    if (e) {
        e->state = ENTRY_SENT;
        e->sent_at = now_s();
        e->server_waiting = false;
        e->abort_requested = false;
        e->ran = false;
        /* at the latest the server gives up after lock_wait_timeout */
        e->fence_until = now_s() + fence_s + 0.2;
    }
    pthread_mutex_unlock(&mdlq_lock);
}

void mdlq_fence_drop(uint64_t id)
{
    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    if (e)
        fence_locked(e, false);
    pthread_mutex_unlock(&mdlq_lock);
}

void mdlq_finished(uint64_t id)
{
    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    if (e)
        entry_remove_locked(e);
    pthread_mutex_unlock(&mdlq_lock);
}

void mdlq_retry(uint64_t id)
{
    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    if (e && e->cancel_requested) {
        /* interrupted (or never sent) for an admin's CANCEL: answer, not retry */
        stats.cancelled++;
        if (e->killed)
            refuse_locked(e, MDLQ_ER_QUERY_INTERRUPTED, "Query execution was interrupted");
        else
            refuse_locked(e, DGE_QUEUE_CANCELLED,
                          "ddlgate: an admin cancelled this DDL; it was interrupted before it "
                          "finished and the table is unchanged");
    } else if (e) {
        fence_locked(e, false);
        e->state = ENTRY_WAITING;
        e->attempts++;
        stats.retries++;
        /* exponential backoff with jitter, capped at 5 s */
        double backoff = 0.1 * (double)(1u << (e->attempts < 6 ? e->attempts : 6));
        if (backoff > 5.0)
            backoff = 5.0;
        backoff *= 0.5 + (double)(rand() % 1000) / 1000.0;
        e->next_check = now_s() + backoff;
        snprintf(e->blockers, sizeof(e->blockers),
                 "did not get its metadata lock on the server (attempt %d)", e->attempts);
    }
    pthread_mutex_unlock(&mdlq_lock);
}

void mdlq_abandon(uint64_t id)
{
    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    if (e) {
        stats.abandoned++;
        entry_remove_locked(e);
    }
    pthread_mutex_unlock(&mdlq_lock);
}

bool mdlq_full(void) { return atomic_load(&queue_len) >= MDLQ_MAX_QUEUE; }

bool mdlq_active(void) { return atomic_load(&queue_len) > 0 || atomic_load(&fences_up) > 0; }

static bool holder_blocks(const struct holder *h, double now, int64_t now_ms, int64_t *idle_ms)
{
    int64_t since =
        h->idle_since_ms ? atomic_load_explicit(h->idle_since_ms, memory_order_relaxed) : 0;
    *idle_ms = since ? now_ms - since : 0;
    return *idle_ms >= HOLDER_IDLE_GRACE_MS || now - h->since >= HOLDER_MAX_AGE_S;
}

/* One of ddlgate's own sessions held a table of e since before e was sent
 * and blocks now: e cannot have its exclusive metadata lock yet, so it is
 * waiting on the server even if the monitor has not looked since (a monitor
 * busy reading table definitions would let the fenced statements stall for
 * the whole lock_wait_timeout).  Should the holder have ended just before,
 * the DDL is interrupted and queued again, which is safe.  Caller holds
 * mdlq_lock. */
static bool own_holder_predates_locked(const struct entry *e, double now)
{
    int64_t now_ms = mdlq_now_ms(), idle_ms;

    for (int k = 0; k < e->nkeys; k++) {
        struct mdl_table *t = table_get(e->keys[k], false);
        for (struct holder *h = t ? t->holders : NULL; h; h = h->next)
            if (h->sid != e->sid && h->since < e->sent_at &&
                holder_blocks(h, now, now_ms, &idle_ms))
                return true;
    }
    return false;
}

/* trx_seconds is a difference of whole seconds (INNODB_TRX.trx_started has
 * no fraction): 1 may be a transaction a millisecond old */
static bool external_blocks(const struct mdlq_external *x)
{
    return x->idle_ms >= HOLDER_IDLE_GRACE_MS || x->trx_seconds > (int)HOLDER_MAX_AGE_S ||
           x->run_seconds >= (int)HOLDER_MAX_AGE_S;
}

/* Describe who blocks e; false when nobody does.  *oldest gets the age in
 * seconds of the oldest blocking transaction (NULL: not wanted).  Caller
 * holds mdlq_lock. */
static bool blockers_locked(struct entry *e, char *buf, size_t len, double *oldest)
{
    size_t n = 0;
    int count = 0;
    double now = now_s(), age_max = 0;
    int64_t now_ms = mdlq_now_ms(), idle_ms;

    buf[0] = '\0';
    if (e->dg031) /* named until the DDL leaves the queue */
        n = (size_t)snprintf(buf, len, "DG031 long-transaction-on-target: ");
    for (int k = 0; k < e->nkeys; k++) {
        struct mdl_table *t = table_get(e->keys[k], false);
        for (struct holder *h = t ? t->holders : NULL; h; h = h->next) {
            /* its own transaction ends with the DDL's implicit commit */
            if (h->sid == e->sid || !holder_blocks(h, now, now_ms, &idle_ms))
                continue;
            count++;
            if (now - h->since > age_max)
                age_max = now - h->since;
            if (n < len)
                n += (size_t)snprintf(
                    buf + n, len - n,
                    "%ssession %llu %s@%s (server thread %u) transaction open %.1fs%s",
                    count > 1 ? "; " : "", (unsigned long long)h->sid, h->user, h->peer,
                    h->server_thread, now - h->since, idle_ms > 0 ? ", idle" : "");
        }
        for (int i = 0; i < nexternal; i++) {
            const struct mdlq_external *x = &external[i];
            /* a ddlgate session is judged above, by the registry */
            if (!external_on_locked(x, e, k) || !external_blocks(x))
                continue;
            count++;
            if (x->trx_seconds > age_max)
                age_max = x->trx_seconds;
            if (n < len)
                n += (size_t)snprintf(buf + n, len - n, "%sthread %u %s@%s transaction open %ds%s",
                                      count > 1 ? "; " : "", x->thread_id, x->user, x->host,
                                      x->trx_seconds < 0 ? 0 : x->trx_seconds,
                                      x->idle_ms >= 0 ? ", idle" : "");
        }
    }
    if (oldest)
        *oldest = age_max;
    if (count == 0 && e->dg031)
        buf[0] = '\0';
    return count > 0;
}

/* Without a metadata lock view the monitor still lists open transactions
 * (INNODB_TRX), their tables unknown: name those open a second or more as
 * possible blockers.  Caller holds mdlq_lock. */
static void possible_blockers_locked(const struct entry *e, char *buf, size_t len)
{
    size_t n = 0;
    int count = 0;

    buf[0] = '\0';
    for (int i = 0; i < nexternal && n < len; i++) {
        const struct mdlq_external *x = &external[i];
        if (x->key[0] || x->thread_id == e->server_thread || x->trx_seconds < 1)
            continue;
        n += (size_t)snprintf(buf + n, len - n, "%sthread %u %s@%s transaction open %ds%s",
                              count++ ? "; " : "", x->thread_id, x->user, x->host, x->trx_seconds,
                              x->idle_ms >= 0 ? ", idle" : "");
    }
}

/* caller holds mdlq_lock: is an earlier entry working on one of e's tables? */
static bool earlier_on_table_locked(struct entry *e)
{
    for (struct entry *o = queue_head; o && o != e; o = o->next)
        for (int i = 0; i < o->nkeys; i++)
            for (int j = 0; j < e->nkeys; j++)
                if (strcmp(o->keys[i], e->keys[j]) == 0)
                    return true;
    return false;
}

static void kill_policy_locked(struct entry *e, const struct conf *c, double now)
{
    if (!c->kill_idle_blockers || e->blocked_since == 0 || now - e->blocked_since < c->kill_wait_s)
        return;
    for (int k = 0; k < e->nkeys; k++) {
        struct mdl_table *t = table_get(e->keys[k], false);
        int64_t now_ms = mdlq_now_ms(), idle_ms;
        for (struct holder *h = t ? t->holders : NULL; h; h = h->next) {
            holder_blocks(h, now, now_ms, &idle_ms);
            if (h->sid != e->sid && idle_ms >= (int64_t)c->kill_idle_after_s * 1000 &&
                nkills < MDLQ_MAX_KILLS) {
                log_warn("queue: killing idle blocker session %llu %s@%s (server thread %u) for "
                         "DDL %llu",
                         (unsigned long long)h->sid, h->user, h->peer, h->server_thread,
                         (unsigned long long)e->id);
                kills[nkills++] = h->server_thread;
                stats.killed_blockers++;
            }
        }
        for (int i = 0; i < nexternal; i++) {
            /* ddlgate's own holders were judged above */
            if (external_on_locked(&external[i], e, k) &&
                external[i].idle_ms >= (int64_t)c->kill_idle_after_s * 1000 &&
                nkills < MDLQ_MAX_KILLS) {
                log_warn("queue: killing idle blocker thread %u %s@%s for DDL %llu",
                         external[i].thread_id, external[i].user, external[i].host,
                         (unsigned long long)e->id);
                kills[nkills++] = external[i].thread_id;
                stats.killed_blockers++;
            }
        }
    }
    e->blocked_since = now; /* next round only after another kill_wait */
}

/* DG031: a transaction open at least limits.long_transaction_s holds a
 * table the DDL needs.  The queue holds the DDL either way (retrying with
 * backoff is what the rule asks for); the rule names the cause in SHOW
 * QUEUE and SHOW VERDICTS, and in reject mode refuses the DDL at once.
 * True when the entry was refused (the caller removes it).  Caller holds
 * mdlq_lock. */
static bool long_transaction_locked(struct entry *e, double oldest, const struct conf *c)
{
    char schema[MDLQ_KEY_MAX];
    const char *dot = strchr(e->keys[0], '.');
    snprintf(schema, sizeof(schema), "%.*s", dot ? (int)(dot - e->keys[0]) : 0, e->keys[0]);
    enum rule_mode m = rules_mode(31, schema[0] ? schema : NULL, dot ? dot + 1 : e->keys[0]);
    if (m == RULE_OFF)
        return false;
    e->dg031 = true;
    rules_hit(31);
    struct gate_verdict v;
    gate_verdict_init(&v);
    v.action = m == RULE_REJECT ? GATE_REJECT : GATE_WARN;
    v.rules[v.nrules++] = 31;
    v.deciding_rule = 31;
    verdicts_record(e->sid, e->user, e->stmt, strlen(e->stmt), &v, false);
    log_info("queue: DDL %llu: DG031 a transaction open %.0fs (limits.long_transaction_s = %d) "
             "holds %s: %s",
             (unsigned long long)e->id, oldest, c->long_transaction_s, e->keys[0], e->blockers);
    if (m != RULE_REJECT) {
        char b[sizeof(e->blockers)];
        snprintf(b, sizeof(b), "DG031 long-transaction-on-target: %s", e->blockers);
        memcpy(e->blockers, b, sizeof(b));
        return false;
    }
    const struct rule_def *d = rules_find(31);
    char msg[512];
    snprintf(msg, sizeof(msg),
             "ddlgate DG031 long-transaction-on-target: %.120s needs a metadata lock on %s held by "
             "a transaction open %.0fs (limits.long_transaction_s = %d): %.150s; %s",
             e->stmt, e->keys[0], oldest, c->long_transaction_s, e->blockers, d ? d->advice : "");
    post(e->w, job_refuse, e->sid, e->id, DGE_RULE_REJECT, msg);
    return true;
}

/* Does anyone still work on e's tables: one of ddlgate's sessions whose
 * transaction touched one (registered before its statement is sent), or a
 * connection outside ddlgate in a snapshot taken since the fence went up?
 * Caller holds mdlq_lock. */
static bool table_in_use_locked(const struct entry *e)
{
    for (int k = 0; k < e->nkeys; k++) {
        struct mdl_table *t = table_get(e->keys[k], false);
        for (struct holder *h = t ? t->holders : NULL; h; h = h->next)
            if (h->sid != e->sid)
                return true;
        if (!monitor_up || external_at < e->fence_since)
            continue;
        for (int i = 0; i < nexternal; i++)
            if (external_on_locked(&external[i], e, k))
                return true;
    }
    return false;
}

static void release_locked(struct entry *e, const struct conf *c, double now)
{
    e->state = ENTRY_RELEASED;
    e->fence_until = now + c->lock_wait_timeout_s + 5; /* until it is sent */
    stats.released++;
    post(e->w, job_release, e->sid, e->id, 0, NULL);
}

/* The fence is up and holds new transactions on e's tables.  Wait for the
 * ones already there to end: released behind them, the DDL would wait for
 * its exclusive lock while they ask for a stronger shared one (SELECT, then
 * UPDATE) - a cycle the server breaks by failing the transaction with a
 * deadlock error.  They are busy (else they would block it), so this takes
 * one transaction's time.  One that goes idle or runs long blocks the DDL:
 * the fence drops and the DDL waits as before.  Connections outside
 * ddlgate that keep coming (the fence cannot hold them) do not starve it:
 * after lock_wait_timeout it is sent anyway.  Caller holds mdlq_lock. */
static void drain_step_locked(struct entry *e, const struct conf *c, double now)
{
    if (!table_in_use_locked(e) || now - e->fence_since >= c->lock_wait_timeout_s) {
        release_locked(e, c, now);
        return;
    }
    if (!blockers_locked(e, e->blockers, sizeof(e->blockers), NULL))
        return;
    log_info("queue: DDL %llu: drain given up after %.0f ms, the fence drops: %s",
             (unsigned long long)e->id, (now - e->fence_since) * 1000, e->blockers);
    fence_locked(e, false);
    e->state = ENTRY_WAITING;
    e->next_check = now + MDLQ_CHECK_INTERVAL;
    stats.drains_abandoned++;
}

void mdlq_tick(void)
{
    const struct conf *c;
    double now = now_s();
    int running = 0;

    if (!mdlq_active())
        return;
    c = conf_acquire();
    pthread_mutex_lock(&mdlq_lock);
    for (struct entry *e = queue_head; e; e = e->next) {
        if (e->state != ENTRY_WAITING)
            running++;
        /* a fence lasts at most until the server must have answered, or
         * (not INSTANT, running) limits.ddl_fence_max_ms */
        if (e->state == ENTRY_SENT && e->fenced && now >= e->fence_until)
            fence_locked(e, false);
        /* Released because its holders looked busy (or a drain gave up),
         * but waiting on the server behind one that went idle: pull it back
         * now (KILL QUERY through the monitor) instead of stalling the
         * fenced statements for the whole lock_wait_timeout.  Not a long
         * DDL that already ran: that would throw its work away. */
        if (e->state == ENTRY_SENT && e->fenced && !e->abort_requested && (!e->ran || e->instant) &&
            (e->server_waiting || own_holder_predates_locked(e, now)) && now - e->sent_at >= 0.05 &&
            nkills < MDLQ_MAX_KILLS && blockers_locked(e, e->blockers, sizeof(e->blockers), NULL)) {
            e->abort_requested = true;
            kills[nkills++] = e->server_thread | KILL_QUERY_ONLY;
            log_info("queue: DDL %llu waits on the server behind %s; pulling it back",
                     (unsigned long long)e->id, e->blockers);
        }
    }
    struct entry *next;
    for (struct entry *e = queue_head; e; e = next) {
        next = e->next;
        if (e->state != ENTRY_WAITING && e->state != ENTRY_DRAINING)
            continue;
        if (e->state == ENTRY_WAITING && now >= e->deadline) {
            char msg[512], maybe[256];
            possible_blockers_locked(e, maybe, sizeof(maybe));
            snprintf(
                msg, sizeof(msg),
                "ddlgate: DDL waited %ds in ddlgate's queue for a metadata lock on %s and gave up; "
                "the table is unchanged. Blocking: %s%s%s",
                (int)(now - (double)e->since), e->keys[0],
                e->blockers[0] ? e->blockers : "(none seen; lock wait timeouts on the server)",
                maybe[0] ? "; open transactions (no metadata lock view, tables unknown): " : "",
                maybe);
            log_warn("queue: DDL %llu timed out: %s", (unsigned long long)e->id, msg);
            stats.timeouts++;
            refuse_locked(e, DGE_QUEUE_TIMEOUT, msg);
            continue;
        }
        if (e->state == ENTRY_DRAINING) {
            drain_step_locked(e, c, now);
            continue;
        }
        if (now < e->next_check || earlier_on_table_locked(e))
            continue;
        /* with a monitor, judge only on a snapshot taken after the DDL came */
        if (monitor_up && external_at < e->enqueued_at)
            continue;
        if (running >= (c->max_concurrent_ddl > 0 ? c->max_concurrent_ddl : 1))
            continue; /* later entries still get their deadline and drain steps */
        double oldest = 0;
        if (blockers_locked(e, e->blockers, sizeof(e->blockers), &oldest)) {
            if (!e->dg031 && oldest >= c->long_transaction_s &&
                long_transaction_locked(e, oldest, c)) {
                entry_remove_locked(e); /* refused by DG031 in reject mode */
                continue;
            }
            if (e->blocked_since == 0)
                e->blocked_since = now;
            kill_policy_locked(e, c, now);
            e->next_check = now + MDLQ_CHECK_INTERVAL;
            continue;
        }
        /* nobody blocks: fence the table; once the transactions on it
         * have ended (at once when there are none) the DDL is sent */
        e->state = ENTRY_DRAINING;
        fence_locked(e, true);
        stats.drains++;
        running++;
        drain_step_locked(e, c, now);
    }
    pthread_mutex_unlock(&mdlq_lock);
    conf_release(c);
}

/* ---- the monitor's view ----------------------------------------------------------- */

void mdlq_set_monitor(bool up)
{
    pthread_mutex_lock(&mdlq_lock);
    monitor_up = up;
    if (!up)
        snprintf(visibility, sizeof(visibility), "%s",
                 "monitor not connected: ddlgate sees its own sessions only");
    pthread_mutex_unlock(&mdlq_lock);
}

void mdlq_set_visibility(const char *text)
{
    pthread_mutex_lock(&mdlq_lock);
    snprintf(visibility, sizeof(visibility), "%s", text);
    pthread_mutex_unlock(&mdlq_lock);
}

void mdlq_set_external(const struct mdlq_external *list, int n)
{
    struct mdlq_external *copy = NULL;

    if (n > MDLQ_MAX_EXTERNAL)
        n = MDLQ_MAX_EXTERNAL;
    if (n > 0) {
        copy = malloc((size_t)n * sizeof(*copy));
        if (!copy)
            n = 0;
        else
            memcpy(copy, list, (size_t)n * sizeof(*copy));
    }
    pthread_mutex_lock(&mdlq_lock);
    free(external);
    external = copy;
    nexternal = n;
    /* what the server showed when the query began, at the latest */
    external_at = snapshot_started > 0 ? snapshot_started : now_s();
    snapshot_started = 0;
    pthread_mutex_unlock(&mdlq_lock);
}

void mdlq_snapshot_begin(void)
{
    pthread_mutex_lock(&mdlq_lock);
    snapshot_started = now_s();
    pthread_mutex_unlock(&mdlq_lock);
}

int mdlq_watch_threads(uint64_t *ids, uint32_t *threads, int max)
{
    int n = 0;
    pthread_mutex_lock(&mdlq_lock);
    for (struct entry *e = queue_head; e && n < max; e = e->next) {
        if (e->state == ENTRY_SENT) {
            ids[n] = e->id;
            threads[n] = e->server_thread;
            n++;
        }
    }
    pthread_mutex_unlock(&mdlq_lock);
    return n;
}

void mdlq_server_waiting(uint64_t id)
{
    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    if (e && e->state == ENTRY_SENT)
        e->server_waiting = true;
    pthread_mutex_unlock(&mdlq_lock);
}

bool mdlq_abort_requested(uint64_t id)
{
    bool r;
    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    r = e && e->abort_requested;
    pthread_mutex_unlock(&mdlq_lock);
    return r;
}

void mdlq_lock_acquired(uint64_t id)
{
    const struct conf *c = conf_acquire();
    double fence_max = c->ddl_fence_max_ms / 1000.0, lwt = c->lock_wait_timeout_s;
    conf_release(c);

    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    if (e && e->state == ENTRY_SENT && e->fenced) {
        double now = now_s();
        if (e->instant) {
            /* done in a moment, but the shared upgradable lock it has is
             * upgraded to the exclusive one at once: the fence stays until
             * the answer, bounded by one more lock wait */
            if (!e->ran || e->server_waiting)
                e->fence_until = now + lwt + 0.2;
        } else {
            /* it has its lock and runs (an index build may run for hours):
             * autocommit statements go on now; transactions, which could
             * deadlock with its final exclusive lock, after
             * limits.ddl_fence_max_ms (a short build is answered before) */
            fence_relax_locked(e);
            e->fence_until = e->sent_at + fence_max;
            if (now >= e->fence_until)
                fence_locked(e, false);
        }
    }
    if (e && e->state == ENTRY_SENT) {
        e->ran = true;
        e->server_waiting = false;
    }
    pthread_mutex_unlock(&mdlq_lock);
}

int mdlq_take_kills(uint32_t *threads, bool *query_only, int max)
{
    int n;
    pthread_mutex_lock(&mdlq_lock);
    n = nkills < max ? nkills : max;
    for (int i = 0; i < n; i++) {
        threads[i] = kills[i] & ~KILL_QUERY_ONLY;
        query_only[i] = (kills[i] & KILL_QUERY_ONLY) != 0;
    }
    nkills = 0;
    pthread_mutex_unlock(&mdlq_lock);
    return n;
}

/* ---- admin ---------------------------------------------------------------------- */

void mdlq_stats_get(struct mdlq_stats *out)
{
    pthread_mutex_lock(&mdlq_lock);
    *out = stats;
    pthread_mutex_unlock(&mdlq_lock);
}

int mdlq_list(struct mdlq_info *out, int max)
{
    int n = 0;

    pthread_mutex_lock(&mdlq_lock);
    for (struct entry *e = queue_head; e && n < max; e = e->next, n++) {
        struct mdlq_info *i = &out[n];
        memset(i, 0, sizeof(*i));
        i->id = e->id;
        i->session_id = e->sid;
        snprintf(i->user, sizeof(i->user), "%s", e->user);
        size_t tl = 0;
        for (int k = 0; k < e->nkeys && tl < sizeof(i->table); k++)
            tl += (size_t)snprintf(i->table + tl, sizeof(i->table) - tl, "%s%s", k ? ", " : "",
                                   e->keys[k]);
        snprintf(i->state, sizeof(i->state), "%s",
                 e->state == ENTRY_SENT && e->ran && !e->server_waiting
                     ? ENTRY_RUNNING_NAME
                     : entry_state_names[e->state]);
        snprintf(i->blockers, sizeof(i->blockers), "%s", e->blockers);
        snprintf(i->statement, sizeof(i->statement), "%s", e->stmt);
        i->since = e->since;
        i->attempts = e->attempts;
    }
    pthread_mutex_unlock(&mdlq_lock);
    return n;
}

bool mdlq_cancel(uint64_t id, const char *admin)
{
    bool ok = false, kick = false;

    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    if (e && (e->state == ENTRY_WAITING || e->state == ENTRY_DRAINING)) {
        log_info("queue: DDL %llu cancelled by admin %s", (unsigned long long)id, admin);
        stats.cancelled++;
        refuse_locked(e, DGE_QUEUE_CANCELLED,
                      "ddlgate: an admin cancelled this DDL while it waited in the queue; the "
                      "table is unchanged");
        ok = true;
    } else if (e && !e->cancel_requested) {
        /* released or on the server: a DDL not yet sent is not sent
         * (mdlq_cancel_requested); one sent is interrupted with KILL QUERY,
         * and its answer becomes 7201 (mdlq_retry) unless it finished first */
        e->cancel_requested = true;
        if (e->state == ENTRY_SENT && nkills < MDLQ_MAX_KILLS) {
            e->abort_requested = true;
            kills[nkills++] = e->server_thread | KILL_QUERY_ONLY;
        }
        log_info("queue: DDL %llu (%s) cancelled by admin %s: interrupting it",
                 (unsigned long long)id, entry_state_names[e->state], admin);
        ok = kick = true;
    }
    pthread_mutex_unlock(&mdlq_lock);
    if (kick)
        monitor_kick(); /* the KILL QUERY goes out now, not at the next poll */
    return ok;
}

bool mdlq_kill_query(uint32_t server_thread, const char *who)
{
    bool hit = false;

    pthread_mutex_lock(&mdlq_lock);
    for (struct entry *e = queue_head; e; e = e->next) {
        if (e->server_thread != server_thread || e->cancel_requested)
            continue;
        if (e->state == ENTRY_WAITING || e->state == ENTRY_DRAINING) {
            log_info("queue: DDL %llu interrupted by KILL QUERY %u from %s",
                     (unsigned long long)e->id, server_thread, who);
            stats.cancelled++;
            refuse_locked(e, MDLQ_ER_QUERY_INTERRUPTED, "Query execution was interrupted");
            hit = true;
        } else if (e->state == ENTRY_RELEASED) {
            /* not sent yet: the worker sees it before sending (mdlq_cancel_requested) */
            e->cancel_requested = e->killed = true;
            hit = true;
        } /* on the server: the server interrupts it itself */
        break;
    }
    pthread_mutex_unlock(&mdlq_lock);
    return hit;
}

void mdlq_shutdown(void)
{
    struct entry *next;

    pthread_mutex_lock(&mdlq_lock);
    for (struct entry *e = queue_head; e; e = next) {
        next = e->next;
        if (e->state != ENTRY_WAITING && e->state != ENTRY_DRAINING)
            continue; /* released or on the server: its answer comes */
        log_info("queue: DDL %llu refused: ddlgate is shutting down", (unsigned long long)e->id);
        refuse_locked(e, DGE_SHUTDOWN,
                      "ddlgate: shutting down while this DDL waited in the queue; it was not "
                      "sent and the table is unchanged");
    }
    pthread_mutex_unlock(&mdlq_lock);
}

bool mdlq_cancel_requested(uint64_t id)
{
    pthread_mutex_lock(&mdlq_lock);
    struct entry *e = entry_find_locked(id);
    bool r = e && e->cancel_requested;
    pthread_mutex_unlock(&mdlq_lock);
    return r;
}

void mdlq_visibility(char *buf, size_t len)
{
    pthread_mutex_lock(&mdlq_lock);
    snprintf(buf, len, "%s", visibility);
    pthread_mutex_unlock(&mdlq_lock);
}
