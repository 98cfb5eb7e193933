/*
 * classify.h - the online-DDL classifier: for an ALTER-like statement and a
 * backend flavour/version, the best algorithm (INSTANT > NOCOPY > INPLACE >
 * COPY), whether concurrent DML is allowed (LOCK=NONE) and whether the table
 * is rebuilt.  The facts live in one data table (src/ddl_matrix.h), each row
 * citing its vendor page; the MariaDB 10.11 oracle notes win over the docs.
 */
#ifndef DDLGATE_CLASSIFY_H
#define DDLGATE_CLASSIFY_H

#include <stdbool.h>

#include "gate.h"
#include "sql.h"

#define CLASSIFY_MAX_SPECS 64

struct classify_spec {
    enum sql_algorithm best; /* best algorithm for this spec alone */
    bool lock_none;          /* LOCK=NONE possible with `best` */
    bool rebuild;            /* table rebuilt */
    bool clause_allowed;     /* accepts ALGORITHM=/LOCK= (MariaDB DROP INDEX,
                                 partition maintenance do not) */
    const char *matrix_row;  /* id of the matrix row used, for logs/tests */
};

struct classify_result {
    bool is_alter_like;      /* ALTER / CREATE INDEX / DROP INDEX / OPTIMIZE ... */
    enum sql_algorithm best; /* weakest over the specs (after combination rules) */
    bool lock_none;          /* LOCK=NONE possible for the whole statement */
    bool rebuild;
    bool clause_allowed; /* ALGORITHM/LOCK may be appended at all */
    bool instant_ok;     /* the whole statement could run ALGORITHM=INSTANT */
    bool mixed;          /* specs' best algorithms differ (DG021) */
    bool conservative;   /* table facts were missing; `why` says which */
    char why[160];
    int nspecs;
    struct classify_spec specs[CLASSIFY_MAX_SPECS];
};

/* Classify one statement.  `table` may be NULL (unknown): answers are then
 * conservative where the table decides, and result->why says so. */
void classify_stmt(const struct sql_server *srv, const struct sql_stmt *st,
                   const struct gate_table_info *table, struct classify_result *out);

/* Does this server accept this ALGORITHM keyword at all? (INSTANT needs
 * MySQL 8.0.12+/MariaDB 10.3.7+, NOCOPY is MariaDB 10.3.7+ only) */
bool classify_algorithm_supported(const struct sql_server *srv, enum sql_algorithm a);

#endif
