/*
 * rules.h - the DGnnn rule catalogue (ids are ddlgate's public contract, see
 * docs/rules.md) and the rule modes in force.
 *
 * Concurrency rule: modes and hit counters are C11 atomics, read and bumped
 * by every worker without locks.  Per-table scope overrides are rare admin
 * writes: they live in a small table guarded by rules_lock (a mutex), and the
 * hot path only takes it when rules_scoped_count > 0.
 */
#ifndef DDLGATE_RULES_H
#define DDLGATE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rule_mode {
    RULE_OFF = 0,
    RULE_WARN,
    RULE_REWRITE,
    RULE_APPROVAL, /* "queue" in lint_rules.md: held until an admin approves */
    RULE_REJECT,
};

struct rule_def {
    uint16_t id;      /* 1 for DG001 */
    const char *name; /* "not-null-column-without-default" */
    enum rule_mode default_mode;
    bool runtime;        /* needs live table facts */
    const char *summary; /* one line: what it catches */
    const char *advice;  /* the safe alternative, quoted in errors */
};

int rules_count(void);
const struct rule_def *rules_at(int i);
const struct rule_def *rules_find(uint16_t id);
/* "DG001", "dg1", "1", or the rule name -> id; 0 if unknown */
uint16_t rules_parse_id(const char *s);
const char *rules_mode_name(enum rule_mode m);             /* "reject" ... */
bool rules_parse_mode(const char *s, enum rule_mode *out); /* accepts "queue" too */

/* mode in force for a table (schema/table may be NULL for the global one) */
enum rule_mode rules_mode(uint16_t id, const char *schema, const char *table);
/* set the global mode (schema == NULL) or a per-table override */
bool rules_set_mode(uint16_t id, enum rule_mode m, const char *schema, const char *table);
/* drop one schema or table override (table NULL: the schema-wide one); false if none */
bool rules_clear_override(uint16_t id, const char *schema, const char *table);
/* drop every override and restore default modes (used by config reload) */
void rules_reset(void);
/* Build a whole new rule set aside, then publish it at once (a reload):
 * between begin and commit/abort, rules_set_mode, rules_clear_override and
 * rules_reset act on the staged set while rules_mode still answers from the
 * live one.  Main thread only; abort keeps the live set untouched. */
void rules_stage_begin(void);
void rules_stage_commit(void);
void rules_stage_abort(void);
void rules_hit(uint16_t id);
uint64_t rules_hits(uint16_t id);

/* iterate scoped overrides: returns false past the end */
bool rules_scoped_at(int i, uint16_t *id, enum rule_mode *m, char *schema, size_t slen, char *table,
                     size_t tlen);
#endif
