/*
 * lint.h - `ddlgate lint`: judge migration files offline with the same gate
 * the proxy runs (docs/lint.md), and the offline table model behind
 * `--schema` (also used by the unit tests to give the gate table facts).
 */
#ifndef DDLGATE_LINT_H
#define DDLGATE_LINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gate.h"
#include "sql.h"

/* Entry point of `ddlgate lint ...`; argv[0] is "lint".  Returns the exit
 * status: 0 clean (pass/rewrite/warn only), 1 something would be rejected
 * or held for approval, 2 usage or I/O error. */
int lint_main(int argc, char **argv);
/* The same with explicit streams (tests capture the output). */
int lint_run(int argc, char **argv, FILE *out, FILE *err);

/* ---- offline table model ------------------------------------------------ */

struct lint_schema; /* opaque; owns every string and array it hands out */

struct lint_schema *lint_schema_new(void);
void lint_schema_free(struct lint_schema *s);
/* Apply one parsed statement: CREATE TABLE (not LIKE/SELECT copies of
 * unknown tables), ALTER TABLE / CREATE INDEX / DROP INDEX (columns, keys,
 * engine, row format, renames), DROP TABLE, RENAME TABLE, CREATE/DROP
 * TRIGGER.  Anything else is ignored.  `text` is the parsed text (for
 * spans).  default_schema may be NULL. */
void lint_schema_apply(struct lint_schema *s, const struct sql_stmt *st, const char *text,
                       const char *default_schema);
/* Parse `text` and apply every statement; false on memory exhaustion. */
bool lint_schema_load(struct lint_schema *s, const struct sql_parse_opts *opts, const char *text,
                      size_t len);
/* gate_tables.lookup: ctx is the struct lint_schema.  schema NULL matches
 * a table of any schema (first found).  The pointer stays valid until the
 * next apply/load/free. */
const struct gate_table_info *lint_schema_lookup(void *ctx, const char *schema, const char *table);
int lint_schema_count(const struct lint_schema *s);

#endif
