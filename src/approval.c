/*
 * approval.c - pending approvals for statements held by a RULE_APPROVAL rule
 * (see approval.h).
 *
 * One bounded table under one mutex.  The table only ever sees statements a
 * rule already stopped, so a linear scan of APPROVAL_MAX entries is cheaper
 * than any index would be to maintain.  When the table is full the least
 * useful entry is evicted: first a finished one (denied, used, expired), then
 * the oldest pending request, and only then the oldest live approval.
 */
#include "approval.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "log.h"

/* an approval window longer than a year is a mistake, not a policy */
#define APPROVAL_MAX_MINUTES (366 * 24 * 60)

static pthread_mutex_t approval_lock = PTHREAD_MUTEX_INITIALIZER;
static struct approval_info approval_tab[APPROVAL_MAX];
static int approval_n;       /* used entries, packed at the front */
static uint64_t next_id = 1; /* never reused, even across approval_reset */
/* bumped on every change worth persisting (statefile_save_if_changed) */
static atomic_uint_fast64_t approval_change_count;
/* who hears of those changes (the state file's prompt save) */
static _Atomic(approval_notify_fn) approval_notify;
static void *_Atomic approval_notify_arg;

static const char *const approval_state_names[] = {
    [APPROVAL_PENDING] = "pending", [APPROVAL_APPROVED] = "approved", [APPROVAL_DENIED] = "denied",
    [APPROVAL_USED] = "used",       [APPROVAL_EXPIRED] = "expired",
};

const char *approval_state_name(enum approval_state s)
{
    return ((unsigned)s <= APPROVAL_EXPIRED) ? approval_state_names[s] : "?";
}

/* copy src into dst for display: NUL-terminated, control characters blanked */
static void copy_display(char *dst, size_t dstlen, const char *src, size_t len)
{
    size_t n = 0;

    if (src) {
        for (; n < len && n + 1 < dstlen && src[n] != '\0'; n++) {
            unsigned char ch = (unsigned char)src[n];
            dst[n] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
        }
    }
    dst[n] = '\0';
}

void approval_set_notify(approval_notify_fn fn, void *arg)
{
    atomic_store(&approval_notify_arg, arg);
    atomic_store(&approval_notify, fn);
}

/* A change the state file must record was made: count it (with the lock
 * held) and, after unlocking, tell the listener. */
static void changed_locked(void) { atomic_fetch_add(&approval_change_count, 1); }

static void notify(void)
{
    approval_notify_fn fn = atomic_load(&approval_notify);
    if (fn)
        fn(atomic_load(&approval_notify_arg));
}

/* Mark approvals whose window passed.  Called with the lock held. */
static void expire_locked(time_t now)
{
    for (int i = 0; i < approval_n; i++) {
        struct approval_info *a = &approval_tab[i];
        if (a->state == APPROVAL_APPROVED && a->expires <= now) {
            a->state = APPROVAL_EXPIRED;
            log_info("approval %" PRIu64 " (DG%03u) expired", a->id, (unsigned)a->rule);
        }
    }
}

static struct approval_info *find_id_locked(uint64_t id)
{
    for (int i = 0; i < approval_n; i++)
        if (approval_tab[i].id == id)
            return &approval_tab[i];
    return NULL;
}

/* eviction preference: lower is evicted first */
/* Which entry goes first when the table is full: finished ones, then the
 * oldest pending request; an admin's decisions (a denial stands, an
 * approval is live) only when nothing else is left - else a flood of new
 * requests from an application would erase a denial. */
static int evict_class(const struct approval_info *a)
{
    switch (a->state) {
    case APPROVAL_USED:
    case APPROVAL_EXPIRED:
        return 0;
    case APPROVAL_PENDING:
        return 1;
    case APPROVAL_DENIED:
        return 2;
    case APPROVAL_APPROVED:
        return 3;
    }
    return 0;
}

/* Return a free slot, evicting one entry when the table is full. */
static struct approval_info *slot_locked(void)
{
    int victim = 0;

    if (approval_n < APPROVAL_MAX)
        return &approval_tab[approval_n++];
    for (int i = 1; i < approval_n; i++) {
        int cv = evict_class(&approval_tab[victim]), ci = evict_class(&approval_tab[i]);
        /* ids increase with time, so the smaller id is the older entry */
        if (ci < cv || (ci == cv && approval_tab[i].id < approval_tab[victim].id))
            victim = i;
    }
    if (approval_tab[victim].state == APPROVAL_PENDING ||
        approval_tab[victim].state == APPROVAL_DENIED ||
        approval_tab[victim].state == APPROVAL_APPROVED)
        log_warn("approval table full: dropping %s approval %" PRIu64,
                 approval_state_name(approval_tab[victim].state), approval_tab[victim].id);
    /* keep the table packed and ordered by id: shift the tail down */
    memmove(&approval_tab[victim], &approval_tab[victim + 1],
            (size_t)(approval_n - victim - 1) * sizeof(approval_tab[0]));
    return &approval_tab[approval_n - 1];
}

/* The live approval for digest, or NULL (expiring the stale ones met). */
static struct approval_info *live_locked(uint64_t digest, time_t now)
{
    for (int i = 0; i < approval_n; i++) {
        struct approval_info *a = &approval_tab[i];
        if (a->digest != digest || a->state != APPROVAL_APPROVED)
            continue;
        if (a->expires <= now) {
            a->state = APPROVAL_EXPIRED;
            continue;
        }
        return a;
    }
    return NULL;
}

bool approval_use(uint64_t digest, uint64_t *id)
{
    time_t now = time(NULL);
    uint64_t used = 0, closed[8];
    int nclosed = 0, more = 0;
    bool save = false;

    pthread_mutex_lock(&approval_lock);
    struct approval_info *a = live_locked(digest, now);
    if (a) {
        used = a->id;
        if (a->once) {
            a->state = APPROVAL_USED;
            save = true; /* must reach the state file, or a restart would revive it */
        }
        /* the statement other requests asked for has run: they are done */
        for (int i = 0; i < approval_n; i++) {
            struct approval_info *o = &approval_tab[i];
            if (o->digest != digest || o->state != APPROVAL_PENDING)
                continue;
            o->state = APPROVAL_USED;
            o->decided = now;
            save = true;
            if (nclosed < (int)(sizeof(closed) / sizeof(closed[0])))
                closed[nclosed++] = o->id;
            else
                more++;
        }
        if (save)
            changed_locked();
    }
    pthread_mutex_unlock(&approval_lock);
    for (int i = 0; i < nclosed; i++)
        log_info("approval %" PRIu64 ": closed, its statement ran on approval %" PRIu64, closed[i],
                 used);
    if (more)
        log_info("approval %" PRIu64 ": %d more pending request(s) for it closed", used, more);
    if (save)
        notify();
    if (id)
        *id = used;
    return a != NULL;
}

bool approval_consume(uint64_t digest) { return approval_use(digest, NULL); }

bool approval_live(uint64_t digest, uint64_t *id)
{
    pthread_mutex_lock(&approval_lock);
    struct approval_info *a = live_locked(digest, time(NULL));
    uint64_t found = a ? a->id : 0;
    pthread_mutex_unlock(&approval_lock);
    if (id)
        *id = found;
    return found != 0;
}

uint64_t approval_request(uint64_t digest, uint16_t rule, const char *stmt, size_t len,
                          const char *requested_by)
{
    return approval_request_in(digest, rule, stmt, len, requested_by, NULL);
}

uint64_t approval_request_in(uint64_t digest, uint16_t rule, const char *stmt, size_t len,
                             const char *requested_by, const char *schema)
{
    struct approval_info req;
    time_t now = time(NULL);

    /* build the entry outside the lock; log from this copy after unlocking */
    memset(&req, 0, sizeof(req));
    req.digest = digest;
    req.rule = rule;
    req.state = APPROVAL_PENDING;
    req.created = now;
    copy_display(req.statement, sizeof(req.statement), stmt, len);
    copy_display(req.requested_by, sizeof(req.requested_by), requested_by,
                 requested_by ? strlen(requested_by) : 0);
    copy_display(req.schema, sizeof(req.schema), schema, schema ? strlen(schema) : 0);

    pthread_mutex_lock(&approval_lock);
    expire_locked(now);
    /* one open request per digest; a denial stands until an admin approves
     * that id, so asking again does not reopen it */
    for (int i = 0; i < approval_n; i++) {
        if (approval_tab[i].digest == digest && (approval_tab[i].state == APPROVAL_PENDING ||
                                                 approval_tab[i].state == APPROVAL_DENIED)) {
            uint64_t id = approval_tab[i].id;
            pthread_mutex_unlock(&approval_lock);
            return id;
        }
    }
    req.id = next_id++;
    *slot_locked() = req;
    changed_locked();
    pthread_mutex_unlock(&approval_lock);
    log_info("approval %" PRIu64 " requested by %s in schema %s for DG%03u (approval digest "
             "%016" PRIx64 "): %s",
             req.id, req.requested_by[0] ? req.requested_by : "?",
             req.schema[0] ? req.schema : "(none)", (unsigned)rule, digest, req.statement);
    notify();
    return req.id;
}

bool approval_approve(uint64_t id, const char *admin, int minutes, bool once)
{
    struct approval_info *a;
    time_t now = time(NULL);
    char who[64];

    if (minutes <= 0 || minutes > APPROVAL_MAX_MINUTES)
        return false;
    copy_display(who, sizeof(who), admin, admin ? strlen(admin) : 0);
    pthread_mutex_lock(&approval_lock);
    expire_locked(now);
    a = find_id_locked(id);
    /* a decided entry can be re-approved: the admin changed their mind or
     * wants a fresh window; only an unknown id fails */
    if (!a) {
        pthread_mutex_unlock(&approval_lock);
        return false;
    }
    a->state = APPROVAL_APPROVED;
    a->decided = now;
    a->expires = now + (time_t)minutes * 60;
    a->once = once;
    memcpy(a->decided_by, who, sizeof(a->decided_by));
    changed_locked();
    pthread_mutex_unlock(&approval_lock);
    log_info("approval %" PRIu64 ": approved by %s for %d minute(s), %s", id, who[0] ? who : "?",
             minutes, once ? "once" : "any number of times in the window");
    return true;
}

bool approval_deny(uint64_t id, const char *admin)
{
    struct approval_info *a;
    time_t now = time(NULL);
    char who[64];
    bool ok = false;

    copy_display(who, sizeof(who), admin, admin ? strlen(admin) : 0);
    pthread_mutex_lock(&approval_lock);
    expire_locked(now);
    a = find_id_locked(id);
    if (a && (a->state == APPROVAL_PENDING || a->state == APPROVAL_APPROVED ||
              a->state == APPROVAL_DENIED)) {
        a->state = APPROVAL_DENIED;
        a->decided = now;
        a->expires = 0;
        memcpy(a->decided_by, who, sizeof(a->decided_by));
        changed_locked();
        ok = true;
    }
    pthread_mutex_unlock(&approval_lock);
    if (ok)
        log_info("approval %" PRIu64 ": denied by %s", id, who[0] ? who : "?");
    return ok;
}

bool approval_denied(uint64_t digest, uint64_t *id)
{
    bool denied = false;

    pthread_mutex_lock(&approval_lock);
    for (int i = 0; i < approval_n; i++) {
        if (approval_tab[i].digest == digest && approval_tab[i].state == APPROVAL_DENIED) {
            if (id)
                *id = approval_tab[i].id;
            denied = true;
            break;
        }
    }
    pthread_mutex_unlock(&approval_lock);
    return denied;
}

bool approval_get(uint64_t id, struct approval_info *out)
{
    struct approval_info *a;

    pthread_mutex_lock(&approval_lock);
    expire_locked(time(NULL));
    a = find_id_locked(id);
    if (a)
        *out = *a;
    pthread_mutex_unlock(&approval_lock);
    return a != NULL;
}

int approval_list(struct approval_info *out, int max)
{
    int n = 0;

    pthread_mutex_lock(&approval_lock);
    expire_locked(time(NULL));
    for (int i = 0; i < approval_n && n < max; i++)
        out[n++] = approval_tab[i];
    pthread_mutex_unlock(&approval_lock);
    return n;
}

bool approval_restore(const struct approval_info *in)
{
    bool ok = true;
    int pos = 0;

    if (in->id == 0 || (unsigned)in->state > APPROVAL_EXPIRED)
        return false;
    pthread_mutex_lock(&approval_lock);
    if (in->id >= next_id) /* even when it cannot be kept: ids never go back */
        next_id = in->id + 1;
    /* an entry still in memory is newer than the file (a once-approval may
     * have been used since the last save): keep it */
    if (find_id_locked(in->id)) {
        pthread_mutex_unlock(&approval_lock);
        return true;
    }
    if (approval_n == APPROVAL_MAX) {
        ok = false;
    } else {
        struct approval_info *a;
        /* keep the table ordered by id */
        while (pos < approval_n && approval_tab[pos].id < in->id)
            pos++;
        memmove(&approval_tab[pos + 1], &approval_tab[pos],
                (size_t)(approval_n - pos) * sizeof(approval_tab[0]));
        approval_n++;
        a = &approval_tab[pos];
        *a = *in;
        a->statement[sizeof(a->statement) - 1] = '\0';
        a->requested_by[sizeof(a->requested_by) - 1] = '\0';
        a->decided_by[sizeof(a->decided_by) - 1] = '\0';
        a->schema[sizeof(a->schema) - 1] = '\0';
    }
    expire_locked(time(NULL));
    pthread_mutex_unlock(&approval_lock);
    return ok;
}

uint64_t approval_changes(void) { return atomic_load(&approval_change_count); }

uint64_t approval_next_id(void)
{
    pthread_mutex_lock(&approval_lock);
    uint64_t next = next_id;
    pthread_mutex_unlock(&approval_lock);
    return next;
}

void approval_raise_next_id(uint64_t next)
{
    pthread_mutex_lock(&approval_lock);
    if (next > next_id)
        next_id = next;
    pthread_mutex_unlock(&approval_lock);
}

void approval_reset(void)
{
    pthread_mutex_lock(&approval_lock);
    approval_n = 0;
    memset(approval_tab, 0, sizeof(approval_tab));
    pthread_mutex_unlock(&approval_lock);
}
