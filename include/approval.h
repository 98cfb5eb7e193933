/*
 * approval.h - pending approvals for statements a rule holds (RULE_APPROVAL).
 *
 * A held statement is refused with a pending id and its approval digest
 * (sql_stmt_exact_digest: the exact statement in the session's schema);
 * an admin's APPROVE <id> lets that key through for a window.  The
 * `digest` arguments and fields below are that key.  Shared by all
 * workers under one mutex: these calls happen only for statements a rule
 * already stopped, never on the plain relay path.
 */
#ifndef DDLGATE_APPROVAL_H
#define DDLGATE_APPROVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* capacity of the table: size approval_list() buffers with it */
#define APPROVAL_MAX 256

enum approval_state {
    APPROVAL_PENDING = 0,
    APPROVAL_APPROVED,
    APPROVAL_DENIED,
    APPROVAL_USED,
    APPROVAL_EXPIRED
};

struct approval_info {
    uint64_t id;
    uint64_t digest;
    uint16_t rule;
    enum approval_state state;
    char statement[256];   /* truncated text, for SHOW PENDING */
    char requested_by[64]; /* user@host of the application session */
    char decided_by[64];   /* admin user */
    time_t created, decided, expires;
    bool once; /* consumed by the first statement that uses it */
    /* Appended: the session's default schema when it was asked ("" none):
     * part of the key, shown by SHOW PENDING */
    char schema[65];
};

/* true when digest has a live approval; consumes it when it is a once-approval */
bool approval_consume(uint64_t digest);
/* record (or find) the pending request for digest; returns its id */
uint64_t approval_request(uint64_t digest, uint16_t rule, const char *stmt, size_t len,
                          const char *requested_by);
bool approval_approve(uint64_t id, const char *admin, int minutes, bool once);
bool approval_deny(uint64_t id, const char *admin);
/* snapshot for SHOW PENDING; returns count written */
int approval_list(struct approval_info *out, int max);
void approval_reset(void);

/* Added by approval.c's author (compatible additions): */
/* true when an admin denied digest (DENY <id>; *id set if not NULL): the
 * gate answers DGE_APPROVAL_DENIED instead of asking again.  A denial stands
 * until an admin approves that id; approval_request() returns the denied id
 * rather than opening a new request. */
bool approval_denied(uint64_t digest, uint64_t *id);
/* copy one entry by id (for precise admin messages); false if unknown */
bool approval_get(uint64_t id, struct approval_info *out);
/* re-insert an entry loaded from the state file (keeps its id; later ids
 * continue above it).  An id already in memory is left alone: memory is
 * newer than the file.  false if the table is full or the entry is invalid */
bool approval_restore(const struct approval_info *a);
const char *approval_state_name(enum approval_state s); /* "pending" ... */
/* a counter bumped by every change the state file must record (request,
 * approve, deny, a once-approval used); see statefile_save_if_changed */
uint64_t approval_changes(void);

/* Added for exact, schema-scoped approvals and per-execute checks: */
/* approval_consume(), and *id (if not NULL) gets the id of the approval
 * used.  Requests still pending for the same key are closed (state used):
 * the statement they asked for has run. */
bool approval_use(uint64_t digest, uint64_t *id);
/* Is there a live approval for digest?  Nothing is consumed: a prepare
 * checks it, each execute uses it (approval_use). */
bool approval_live(uint64_t digest, uint64_t *id);
/* approval_request() that also records the session's schema (may be NULL) */
uint64_t approval_request_in(uint64_t digest, uint16_t rule, const char *stmt, size_t len,
                             const char *requested_by, const char *schema);
/* The id the next request gets; ids are never reused, even across a
 * restart: the state file saves it, and a refused file still raises it
 * above every id it mentions (approval_raise_next_id never lowers it). */
uint64_t approval_next_id(void);
void approval_raise_next_id(uint64_t next);
/* Called (outside the table's lock, on the thread that made it) after a
 * change the state file must record: a worker using a once-approval wakes
 * the main loop to save it at once (statefile_autosave_start).  NULL: none. */
typedef void (*approval_notify_fn)(void *arg);
void approval_set_notify(approval_notify_fn fn, void *arg);
#endif
