/*
 * gate.h - the statement pipeline: what the proxy asks about every
 * COM_QUERY / COM_STMT_PREPARE text before forwarding it, and what
 * `ddlgate lint` asks about every statement of a migration file.
 *
 * The proxy calls gate_check() once per statement text on the worker thread
 * that owns the session.  The gate reads rule modes and approvals from the
 * shared state (rules.h) without taking locks on the hot path.
 */
#ifndef DDLGATE_GATE_H
#define DDLGATE_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql.h"

/* What the table knows, from the monitor connection or `lint --schema`.
 * Provided by the caller through struct gate_tables; NULL = unknown, and
 * the classifier then answers conservatively and says why. */
struct gate_column_info {
    const char *name;
    const char *type;       /* upper-cased base type */
    int64_t length;         /* chars for VARCHAR/CHAR, -1 otherwise */
    const char *charset;    /* column charset */
    int max_bytes_per_char; /* 1 latin1, 3 utf8mb3, 4 utf8mb4 */
    bool nullable;
    bool is_virtual; /* VIRTUAL generated */
    bool auto_increment;
    int nvalues; /* ENUM/SET */
    const char **values;
    bool unique_lead; /* first column of the PRIMARY KEY or a UNIQUE key
                              (an FK may reference it: DG070) */
    /* Appended for the classifier (zero = "no" for a listed column): */
    bool is_unsigned;         /* numeric UNSIGNED */
    bool is_stored_generated; /* STORED/PERSISTENT generated */
    bool in_index;            /* part of any index (PK, UNIQUE, KEY, FULLTEXT) */
};

struct gate_table_info {
    const char *schema;
    const char *name;
    const char *engine;
    const char *row_format;
    uint64_t size_bytes; /* data_length + index_length */
    uint64_t rows;
    bool has_primary_key;
    bool has_not_null_unique;
    bool has_fulltext;
    bool has_fk_child;   /* the table references others */
    bool has_fk_parent;  /* others reference it */
    bool has_fk_cascade; /* an FK with ON ... CASCADE / SET NULL */
    bool has_triggers;
    bool is_partitioned;
    int ncols;
    struct gate_column_info *cols;
    /* Appended for the runtime rules (zero = unknown/none):
     * has_not_null_unique means a key an OSC tool can iterate on (all
     * columns NOT NULL, no FLOAT/DOUBLE, no prefix); has_any_unique is any
     * UNIQUE key at all (DG040 vs DG042). */
    bool has_any_unique;
    int nkey_cols;         /* PK columns, else the usable unique key's */
    const char **key_cols; /* (DG049, DG081) */
    int nfk_names;         /* FOREIGN KEY constraint names (DG092) */
    const char **fk_names;
    /* Appended for the classifier: the table's default charset, which a
     * MODIFY of a string column without CHARACTER SET converts the column
     * to (NULL = unknown: the column is assumed to keep its charset). */
    const char *default_charset;
};

/* Table lookup: returns NULL when unknown (not an error). */
struct gate_tables {
    const struct gate_table_info *(*lookup)(void *ctx, const char *schema, const char *table);
    void *ctx;
};

/* Session facts the runtime rules need. */
struct gate_session {
    const char *user;
    const char *schema;
    bool in_transaction;
    bool multi_statement; /* the text came in one COM_QUERY with others */
    uint64_t session_id;
    /* Appended for DG030 (zero = unknown: the rule does not fire): the
     * session's lock_wait_timeout in seconds (the server default unless the
     * client SET it: gate_lock_wait_default), and the cap ddlgate runs DDL
     * with ([limits] lock_wait_timeout_s; `lint --lock-wait-cap`). */
    int64_t lock_wait_timeout_s;
    int lock_wait_cap_s;
    /* Appended for approvals: the text is being prepared (COM_STMT_PREPARE,
     * PREPARE ... FROM).  An approval is then only checked, not used: each
     * execute uses one (gate_approval_execute). */
    bool prepare;
};

enum gate_action {
    GATE_PASS = 0, /* forward unchanged */
    GATE_WARN,     /* forward unchanged, logged and counted */
    GATE_REWRITE,  /* forward verdict.rewritten instead */
    GATE_APPROVAL, /* refused until an admin approves the digest */
    GATE_REJECT,   /* refused with verdict.err_* */
};

#define GATE_MAX_RULES 16

struct gate_verdict {
    enum gate_action action;
    /* classification of the (last) DDL statement, for logs/admin/lint */
    enum sql_algorithm algorithm; /* SQL_ALG_NONE when not DDL */
    int lock_none;                /* 1 yes, 0 no, -1 not DDL / unknown */
    int rebuild;                  /* 1 yes, 0 no, -1 not DDL / unknown */
    int nrules;
    uint16_t rules[GATE_MAX_RULES]; /* DG ids that fired, e.g. 10 = DG010 */
    uint16_t deciding_rule;         /* the rule that set the action */
    uint64_t digest;
    /* GATE_REWRITE: malloc'ed new text, owned by the verdict */
    char *rewritten;
    size_t rewritten_len;
    /* GATE_REJECT / GATE_APPROVAL: the ERR packet to send */
    uint16_t err_code; /* ddlgate error code, docs/errors.md */
    char sqlstate[6];
    char message[512];
    /* why the classifier had to be conservative, "" when it was not */
    char note[160];
    /* tables the statement needs a metadata lock on (for the MDL queue) */
    bool needs_mdl;
    /* Appended: DG030 fired in rewrite mode.  Its rewrite is of the session,
     * not of the text: the DDL must run with lock_wait_timeout capped to this
     * many seconds (the proxy's DDL queue does; lint shows a SET before the
     * statement).  The text is unchanged, so alone it leaves action at
     * GATE_WARN; rewritten stays the text rewrite (or NULL). */
    int lock_wait_cap_s;
    /* Appended for approvals: a rule in approval mode decided.  approval_key
     * is the statement's approval digest (sql_stmt_exact_digest, shown in
     * the 7101/7104 message and SHOW PENDING; digest above stays the
     * normalised one), approval_rule that rule, approval_id the approval it
     * ran on (action warn/rewrite) or the pending/denied id (refused). */
    uint64_t approval_key;
    uint64_t approval_id;
    uint16_t approval_rule;
};

void gate_verdict_init(struct gate_verdict *v);
void gate_verdict_clear(struct gate_verdict *v); /* frees rewritten */

/* Classify and judge one query text (may hold several statements).
 * `script` is caller-owned scratch space (reset by this call), so the
 * parsed statements stay available to the caller after the verdict.
 * `out` must have been set up once with gate_verdict_init(); every call
 * clears it first (freeing the previous rewrite).  sess and tables may be
 * NULL.  Rules in approval mode call approval_use() (approval_live() for a
 * prepare, sess->prepare) and approval_request_in(), keyed by the statement's
 * sql_stmt_exact_digest() in the session's schema. */
void gate_check(const struct sql_parse_opts *opts, const struct gate_session *sess,
                const struct gate_tables *tables, const char *text, size_t len,
                struct sql_script *script, struct gate_verdict *out);

/* DG004 threshold in bytes (data_length + index_length); 0 disables the
 * rule's size test.  Set from conf [limits] table_size_limit at start and
 * reload; read with a relaxed atomic load. */
void gate_set_table_size_limit(uint64_t bytes);

/* An execute of a prepared statement whose prepare needed an approval
 * (verdict.approval_key/rule of the prepare; text the prepared text, schema
 * the session's at prepare): use a live approval for key, else refuse with
 * 7101 and a pending id (7104 if denied).  out is cleared first; on a pass
 * its action is GATE_WARN with approval_id set, else GATE_APPROVAL with
 * the ERR to send. */
void gate_approval_execute(uint64_t key, uint16_t rule, const char *text, size_t len,
                           const char *schema, const char *user, struct gate_verdict *out);

/* ---- session lock_wait_timeout (DG030), gate_session.c ------------------- */

/* The server's built-in default: 31536000 s on MySQL, 86400 s on MariaDB. */
int64_t gate_lock_wait_default(const struct sql_server *srv);
/* Does this SET statement (one statement's text) change the session's
 * lock_wait_timeout?  0: no; 1: yes, *seconds = the value (0 = DEFAULT,
 * i.e. back to the global value); -1: yes, to an expression ddlgate cannot
 * evaluate.  `SET [SESSION|LOCAL|@@session.|@@local.|@@]lock_wait_timeout
 * = N` in any position of the assignment list; GLOBAL/PERSIST do not count
 * and `SET STATEMENT ... FOR` is per statement. */
int gate_lock_wait_set(const struct sql_parse_opts *opts, const char *text, size_t len,
                       int64_t *seconds);

#endif
