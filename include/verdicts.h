/*
 * verdicts.h - the recent-verdicts ring shown by SHOW VERDICTS.
 *
 * Only statements a rule acted on (and DDL) are recorded, so the mutex is
 * taken for those alone, never for plain traffic.
 */
#ifndef DDLGATE_VERDICTS_H
#define DDLGATE_VERDICTS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "gate.h"

#define VERDICTS_RING 256

struct verdict_entry {
    uint64_t seq;
    time_t at;
    uint64_t session_id;
    char user[64];
    uint64_t digest;
    char rules[96]; /* "DG010,DG016" */
    enum gate_action action;
    char algorithm[12];
    char statement[200]; /* truncated */
    bool unparsed;       /* the parser could not read it (it passed) */
    /* Appended: the approval it ran on (action warn/rewrite) or the pending
     * or denied id it was refused with (action approval); 0 none.  The
     * rules text says it too ("DG005 on approval 12"), for SHOW VERDICTS. */
    uint64_t approval_id;
};

void verdicts_record(uint64_t session_id, const char *user, const char *text, size_t len,
                     const struct gate_verdict *v, bool unparsed);
/* Copy up to max newest-first entries into out; returns the count. */
int verdicts_snapshot(struct verdict_entry *out, int max);
const char *verdicts_action_name(enum gate_action a);

#endif
