/*
 * gate_rules.h - internal to the gate (gate.c, gate_rules.c, gate_ddl.c,
 * gate_rewrite.c): the evaluation context shared by the rule functions.
 * Everything here lives on gate_check()'s stack; nothing is allocated.
 */
#ifndef DDLGATE_GATE_RULES_H
#define DDLGATE_GATE_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "gate.h"
#include "rules.h"
#include "sql.h"

#define GATE_MAX_FIRED 48
#define GATE_MAX_EDITS 8

struct gate_fire {
    uint16_t id;
    enum rule_mode mode;         /* mode in force for the statement's table */
    bool no_rewrite;             /* a REWRITE-mode rule that could not rewrite */
    const struct sql_stmt *stmt; /* NULL for whole-query rules (DG902) */
    char why[192];               /* the reason, quoted in the error message */
};

/* replace text[off, off+len) by `text` (len 0 = insert at off) */
struct gate_edit {
    uint32_t off;
    uint32_t len;
    char text[48];
};

struct gate_ctx {
    const struct sql_parse_opts *opts;
    const struct gate_session *sess;  /* may be NULL (lint) */
    const struct gate_tables *tables; /* may be NULL */
    const char *text;
    size_t len;
    /* the statement being judged */
    const struct sql_stmt *st;
    const char *schema, *table;       /* its target, for scoped modes */
    const struct gate_table_info *ti; /* facts about the target, or NULL */
    const struct classify_result *cr; /* alter-like DDL only, else NULL */
    int nfired;
    struct gate_fire fired[GATE_MAX_FIRED];
    int nedits;
    struct gate_edit edits[GATE_MAX_EDITS];
};

/* gate.c */
bool gate_on(struct gate_ctx *c, uint16_t id);
/* record a firing when the rule is not off; false when it is off */
bool gate_fire(struct gate_ctx *c, uint16_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct gate_fire *gate_fired(struct gate_ctx *c, uint16_t id);
bool gate_add_edit(struct gate_ctx *c, uint32_t off, uint32_t len, const char *rep);
void gate_server_name(const struct sql_server *s, char *buf, size_t len);
uint64_t gate_table_size_limit(void);

/* gate_rules.c: non-ALTER statements and shared column checks */
bool gate_rules_osc(struct gate_ctx *c); /* DG904; true = suppress the rest */
void gate_rules_dml(struct gate_ctx *c); /* DG008, DG081, DG082 */
void gate_rules_ddl(struct gate_ctx *c, struct gate_verdict *v);
void gate_rules_coldef(struct gate_ctx *c, const struct sql_coldef *col, bool is_new);
bool gate_charset_allowed(const char *cs);
bool gate_reserved_word(const char *w);
void gate_rules_fk_parent(struct gate_ctx *c, const struct sql_alter_spec *s); /* DG070 */
void gate_rules_table_name(struct gate_ctx *c, const char *name);              /* DG067/068/076 */
unsigned gate_exec_comment(const char *text, uint32_t off, uint32_t end, bool ddl_only);
bool gate_text_word_after(const char *text, uint32_t from, uint32_t end, const char *word);

/* gate_ddl.c: ALTER TABLE / CREATE INDEX / DROP INDEX / OPTIMIZE */
void gate_rules_alter(struct gate_ctx *c, struct gate_verdict *v);
int gate_charset_width(const char *cs); /* bytes per char, 0 unknown */
const struct gate_column_info *gate_column(const struct gate_table_info *ti, const char *name);

/* gate_session.c: DG030 (the session's lock_wait_timeout) */
void gate_rules_lock_wait(struct gate_ctx *c, struct gate_verdict *v);

/* gate_rewrite.c */
/* DG002/DG010 append, DG011/DG017/DG018 clause edits */
void gate_rewrite_online(struct gate_ctx *c, uint16_t rule);
void gate_rewrite_algorithm(struct gate_ctx *c, uint16_t rule, enum sql_algorithm to);
void gate_rewrite_drop_lock(struct gate_ctx *c, uint16_t rule);
/* splice the edits into v->rewritten, re-parse and verify */
void gate_rewrite_apply(struct gate_ctx *c, const struct sql_script *script,
                        struct gate_verdict *v);

#endif
