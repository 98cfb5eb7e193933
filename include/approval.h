/*
 * approval.h - pending approvals for statements a rule holds (RULE_APPROVAL).
 *
 * A held statement is refused with a pending id and its digest; an admin's
 * APPROVE <id> lets that exact digest through for a window.  Shared by all
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
#endif
