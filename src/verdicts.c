/* verdicts.c - recent-verdicts ring (see verdicts.h). */
#include "verdicts.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct verdict_entry ring[VERDICTS_RING];
static uint64_t ring_next; /* total recorded; slot = seq % VERDICTS_RING */

static const char *const action_names[] = {
    [GATE_PASS] = "pass",         [GATE_WARN] = "warn",     [GATE_REWRITE] = "rewrite",
    [GATE_APPROVAL] = "approval", [GATE_REJECT] = "reject",
};

const char *verdicts_action_name(enum gate_action a)
{
    return (unsigned)a <= GATE_REJECT ? action_names[a] : "?";
}

void verdicts_record(uint64_t session_id, const char *user, const char *text, size_t len,
                     const struct gate_verdict *v, bool unparsed)
{
    struct verdict_entry e;
    size_t n = 0;

    memset(&e, 0, sizeof(e));
    e.at = time(NULL);
    e.session_id = session_id;
    snprintf(e.user, sizeof(e.user), "%s", user ? user : "");
    e.digest = v->digest;
    e.action = v->action;
    e.unparsed = unparsed;
    snprintf(e.algorithm, sizeof(e.algorithm), "%s",
             v->algorithm == SQL_ALG_NONE ? "" : sql_algorithm_name(v->algorithm));
    for (int i = 0; i < v->nrules && n + 7 < sizeof(e.rules); i++)
        n += (size_t)snprintf(e.rules + n, sizeof(e.rules) - n, "%sDG%03u", i ? "," : "",
                              (unsigned)v->rules[i]);
    e.approval_id = v->approval_id;
    if (v->approval_id && n + 1 < sizeof(e.rules))
        snprintf(e.rules + n, sizeof(e.rules) - n, " %s %llu",
                 v->action == GATE_APPROVAL ? "pending approval" : "on approval",
                 (unsigned long long)v->approval_id);
    /* one line: newlines and tabs become spaces */
    size_t m = len < sizeof(e.statement) - 1 ? len : sizeof(e.statement) - 1;
    for (size_t i = 0; i < m; i++)
        e.statement[i] = (text[i] == '\n' || text[i] == '\r' || text[i] == '\t') ? ' ' : text[i];
    e.statement[m] = '\0';

    pthread_mutex_lock(&ring_lock);
    e.seq = ++ring_next;
    ring[e.seq % VERDICTS_RING] = e;
    pthread_mutex_unlock(&ring_lock);
}

int verdicts_snapshot(struct verdict_entry *out, int max)
{
    int n = 0;

    pthread_mutex_lock(&ring_lock);
    for (uint64_t seq = ring_next; seq > 0 && n < max && ring_next - seq < VERDICTS_RING; seq--)
        out[n++] = ring[seq % VERDICTS_RING];
    pthread_mutex_unlock(&ring_lock);
    return n;
}
