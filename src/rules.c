/*
 * rules.c - the DGnnn rule catalogue (data only) and the modes in force.
 *
 * The catalogue is one X-macro table; ids are the public contract of
 * docs/rules.md and /work/shared/reference/lint_rules.md.  Modes live in an
 * array of atomics indexed by rule id: 0 means "the default", anything else
 * is mode + 1, so rules_reset() is a plain store of zeros and no init call
 * is needed before the first read.  Per-table overrides are rare admin
 * writes kept in a small mutex-guarded table; the hot path looks at its
 * atomic count first and takes the lock only when overrides exist.
 */
#include "rules.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RULE_ID_MAX 1000 /* ids are DG001..DG999 */
#define RULES_SCOPED_MAX 64
#define RULES_NAME_MAX 65 /* MySQL identifiers are at most 64 characters */

/* X(id, name, default mode, runtime, summary, advice) */
#define RULES_TABLE(X)                                                                             \
    X(1, "not-null-column-without-default", RULE_REJECT, false,                                    \
      "ADD COLUMN ... NOT NULL without DEFAULT (existing rows get the implicit zero value)",       \
      "add the column NULL or with an explicit DEFAULT, backfill in batches, then tighten it")     \
    X(2, "index-build-without-online-clause", RULE_REWRITE, false,                                 \
      "index build without LOCK=NONE although it can run online",                                  \
      "add ALGORITHM=INPLACE, LOCK=NONE (MariaDB: NOCOPY) so the build fails instead of blocking") \
    X(3, "rename-column-without-expand", RULE_REJECT, false,                                       \
      "column rename that breaks every client still using the old name",                           \
      "expand-contract: add the new column (or a generated alias named after the old one), "       \
      "dual-write and backfill, move readers, then drop the old column; or get an approval")       \
    X(4, "large-table-requires-approval", RULE_APPROVAL, true,                                     \
      "rebuilding, copying or destructive DDL on a table above the size limit",                    \
      "run it with an online schema change tool (gh-ost, pt-online-schema-change) "                \
      "or get an admin approval for a maintenance window")                                         \
    X(5, "drop-table", RULE_APPROVAL, false, "DROP TABLE",                                         \
      "rename the table aside first (RENAME TABLE t TO _t_old), watch for errors, "                \
      "drop it later with an approval")                                                            \
    X(6, "drop-column", RULE_APPROVAL, false, "DROP COLUMN of a column that stores data",          \
      "expand-contract: stop writing and reading the column in the application first, "            \
      "then drop it with an approval")                                                             \
    X(7, "truncate-table", RULE_APPROVAL, false,                                                   \
      "TRUNCATE TABLE (exclusive metadata lock, not transactional)",                               \
      "delete in batches (DELETE ... LIMIT n in a loop) or get an approval")                       \
    X(8, "unbatched-full-table-dml", RULE_REJECT, false,                                           \
      "UPDATE/DELETE without WHERE (or WHERE 1/TRUE)",                                             \
      "batch it: walk the primary key in ranges (WHERE id BETWEEN a AND b) with LIMIT, "           \
      "committing between batches")                                                                \
    X(10, "alter-without-online-assertion", RULE_REWRITE, false,                                   \
      "ALTER without ALGORITHM/LOCK=NONE although it can run online",                              \
      "append ALGORITHM=INSTANT or ALGORITHM=INPLACE, LOCK=NONE so the server refuses "            \
      "instead of silently blocking")                                                              \
    X(11, "instant-with-explicit-lock", RULE_REWRITE, false,                                       \
      "MySQL ALGORITHM=INSTANT together with a LOCK clause (ER_WRONG_USAGE)",                      \
      "drop the LOCK clause: INSTANT never blocks DML")                                            \
    X(12, "explicit-algorithm-copy", RULE_REJECT, false,                                           \
      "ALGORITHM=COPY written although a better algorithm exists",                                 \
      "remove ALGORITHM=COPY (or write ALGORITHM=INSTANT/INPLACE, LOCK=NONE)")                     \
    X(13, "explicit-blocking-lock", RULE_REJECT, false,                                            \
      "LOCK=EXCLUSIVE, or LOCK=SHARED where LOCK=NONE is possible",                                \
      "use LOCK=NONE, or run it with an online schema change tool "                                \
      "(gh-ost, pt-online-schema-change)")                                                         \
    X(14, "copy-only-blocking-operation", RULE_APPROVAL, false,                                    \
      "the operation can only run as ALGORITHM=COPY with a table lock",                            \
      "run it with an online schema change tool (gh-ost, pt-online-schema-change) "                \
      "or plan an expand-contract migration")                                                      \
    X(15, "lock-none-impossible", RULE_APPROVAL, false,                                            \
      "the operation runs in place but only with LOCK=SHARED/EXCLUSIVE",                           \
      "run it with an online schema change tool (gh-ost, pt-online-schema-change) "                \
      "or in a maintenance window with an approval")                                               \
    X(16, "table-rebuild", RULE_WARN, false, "the table is rebuilt or copied",                     \
      "expect I/O and replica lag proportional to the table size; "                                \
      "consider an online schema change tool for large tables")                                    \
    X(17, "unsupported-on-server-version", RULE_REWRITE, false,                                    \
      "syntax or feature the detected server version does not have",                               \
      "use the equivalent the server supports (INSTANT -> INPLACE, LOCK=NONE; "                    \
      "RENAME COLUMN -> CHANGE old new <definition>)")                                             \
    X(18, "requested-algorithm-not-possible", RULE_REWRITE, false,                                 \
      "explicit ALGORITHM stronger than the operation supports",                                   \
      "use the best algorithm the operation supports on this server")                              \
    X(19, "varchar-length-byte-boundary", RULE_WARN, false,                                        \
      "VARCHAR extension across 255 bytes (length prefix grows, table copied)",                    \
      "stay within 255 bytes, or size the column above 255 bytes from the start")                  \
    X(20, "enum-set-non-append-change", RULE_WARN, false,                                          \
      "ENUM/SET members removed, reordered, inserted or crossing a storage size",                  \
      "only append new members at the end, within the storage size")                               \
    X(21, "mixed-algorithm-specs", RULE_WARN, false,                                               \
      "one ALTER mixes operations with different best algorithms",                                 \
      "split the ALTER so each part runs with its own best algorithm")                             \
    X(23, "suboptimal-explicit-algorithm", RULE_WARN, false,                                       \
      "explicit ALGORITHM=INPLACE/COPY although INSTANT is available",                             \
      "write ALGORITHM=INSTANT (or leave ALGORITHM out)")                                          \
    X(30, "ddl-lock-wait-timeout", RULE_REWRITE, true,                                             \
      "DDL on a session whose lock_wait_timeout is above the cap",                                 \
      "SET SESSION lock_wait_timeout to a few seconds before DDL and retry on timeout")            \
    X(31, "long-transaction-on-target", RULE_APPROVAL, true,                                       \
      "a long transaction holds a metadata lock on the target table",                              \
      "wait for (or end) the long transaction, then retry")                                        \
    X(32, "ddl-inside-transaction", RULE_WARN, true,                                               \
      "DDL inside an open transaction (implicit commit)", "COMMIT or ROLLBACK before running DDL") \
    X(33, "explicit-global-or-table-lock", RULE_REJECT, false,                                     \
      "LOCK TABLES or FLUSH TABLES [WITH READ LOCK] from an application session",                  \
      "use transactions and row locks (SELECT ... FOR UPDATE) instead of table locks")             \
    X(34, "analyze-table-flush-lock", RULE_WARN, false,                                            \
      "ANALYZE TABLE on MySQL < 8.0.24 (table flush waits behind long queries)",                   \
      "run ANALYZE when no long query is running on the table, or upgrade")                        \
    X(35, "trigger-ddl", RULE_WARN, false, "CREATE/DROP TRIGGER",                                  \
      "triggers take an exclusive metadata lock and break gh-ost/Spirit; "                         \
      "move the logic into the application")                                                       \
    X(40, "no-usable-unique-key", RULE_WARN, true,                                                 \
      "the table has no PRIMARY KEY and no NOT NULL UNIQUE key",                                   \
      "add a primary key first: online schema change tools cannot run without one")                \
    X(41, "drop-primary-key", RULE_APPROVAL, false, "DROP PRIMARY KEY",                            \
      "add the new key as UNIQUE first, then swap keys in one ALTER with an approval")             \
    X(42, "unsafe-iteration-key", RULE_WARN, true,                                                 \
      "the only unique keys are nullable, FLOAT/DOUBLE or prefix keys",                            \
      "add a NOT NULL integer primary key")                                                        \
    X(43, "table-in-foreign-key", RULE_WARN, true, "the table is an FK child or parent",           \
      "online schema change tools do not support foreign keys; "                                   \
      "plan the change with the FK relationship in mind")                                          \
    X(44, "add-foreign-key", RULE_WARN, false, "ADD FOREIGN KEY",                                  \
      "add it with foreign_key_checks=0 (in-place) after validating the data separately")          \
    X(45, "table-has-triggers", RULE_WARN, true, "the table has triggers",                         \
      "check the trigger bodies against the change; OSC tools need special flags")                 \
    X(46, "rename-table-combined-with-alter", RULE_REJECT, false,                                  \
      "ALTER TABLE ... RENAME combined with other changes",                                        \
      "split it: one ALTER for the changes, one RENAME TABLE")                                     \
    X(47, "alter-clauses-sent-to-osc", RULE_REWRITE, true,                                         \
      "statement routed to an OSC tool carries ALGORITHM/LOCK",                                    \
      "strip ALGORITHM= and LOCK= before handing the ALTER to the tool")                           \
    X(48, "column-referenced-twice", RULE_WARN, false,                                             \
      "the same column is dropped and added (or changed twice) in one ALTER",                      \
      "split the ALTER; OSC tools do not preserve that column's data")                             \
    X(49, "datetime-to-timestamp-in-unique-key", RULE_WARN, true,                                  \
      "DATETIME -> TIMESTAMP on a column of the iteration key",                                    \
      "convert through a new column, or keep DATETIME")                                            \
    X(50, "unique-constraint-on-existing-data", RULE_WARN, false,                                  \
      "ADD UNIQUE / PRIMARY KEY on an existing table",                                             \
      "check for duplicates first (GROUP BY ... HAVING COUNT(*) > 1)")                             \
    X(51, "make-column-not-null", RULE_WARN, false, "nullable column made NOT NULL",               \
      "backfill NULLs in batches first; the change fails if NULLs remain")                         \
    X(52, "lossy-type-change", RULE_APPROVAL, false,                                               \
      "narrowing integer, signed -> unsigned, shorter length, TEXT -> VARCHAR",                    \
      "expand-contract: add a new column of the new type, backfill with checks, switch, drop")     \
    X(53, "column-charset-change", RULE_APPROVAL, false, "column character set changed",           \
      "expand-contract through a new column, or an online schema change tool")                     \
    X(54, "storage-engine-change", RULE_APPROVAL, false, "ENGINE changed",                         \
      "keep InnoDB; if really needed use an online schema change tool with an approval")           \
    X(55, "drop-routine", RULE_WARN, false, "DROP PROCEDURE/FUNCTION",                             \
      "make sure no caller remains; keep the routine's source for a rollback")                     \
    X(60, "table-without-primary-key", RULE_WARN, false, "CREATE TABLE without PRIMARY KEY",       \
      "declare a PRIMARY KEY (for example id BIGINT UNSIGNED AUTO_INCREMENT)")                     \
    X(61, "duplicate-index", RULE_WARN, false,                                                     \
      "an index is a left prefix of (or equal to) another index", "drop the redundant index")      \
    X(62, "charset-not-allowed", RULE_WARN, false,                                                 \
      "character set or collation outside the allow-list (utf8mb4, binary)",                       \
      "use utf8mb4 (utf8mb4_* collations) or binary")                                              \
    X(63, "engine-not-allowed", RULE_REJECT, false, "ENGINE other than InnoDB",                    \
      "use ENGINE=InnoDB: other engines have no online DDL")                                       \
    X(64, "auto-inc-type", RULE_WARN, false,                                                       \
      "AUTO_INCREMENT column not INT UNSIGNED / BIGINT UNSIGNED",                                  \
      "use BIGINT UNSIGNED (or INT UNSIGNED) for AUTO_INCREMENT columns")                          \
    X(65, "int-display-width", RULE_WARN, false,                                                   \
      "integer display width such as INT(11) (deprecated in MySQL 8.0.17)",                        \
      "drop the display width (TINYINT(1) and ZEROFILL are exempt)")                               \
    X(66, "zero-date-default", RULE_WARN, false, "zero date or zero-in-date DEFAULT",              \
      "use NULL or a real date as the default")                                                    \
    X(67, "reserved-word-identifier", RULE_WARN, false,                                            \
      "a new table/column name is a reserved word",                                                \
      "choose another name; reserved words must be quoted in every query")                         \
    X(68, "naming-convention", RULE_OFF, false, "a new name contains uppercase letters",           \
      "use lower_snake_case names")                                                                \
    X(69, "has-foreign-key-policy", RULE_OFF, false, "a foreign key is declared",                  \
      "enforce the relationship in the application if FKs are not allowed")                        \
    X(70, "fk-parent-key", RULE_WARN, true,                                                        \
      "the FK's referenced column is not the first column of a unique key",                        \
      "reference the parent's primary key or a UNIQUE key")                                        \
    X(71, "definer-not-allowed", RULE_WARN, false, "explicit DEFINER other than CURRENT_USER",     \
      "omit DEFINER (or use DEFINER=CURRENT_USER)")                                                \
    X(72, "compression-not-allowed", RULE_WARN, false,                                             \
      "KEY_BLOCK_SIZE outside the allow-list (none, 4, 8)",                                        \
      "use ROW_FORMAT=DYNAMIC, or KEY_BLOCK_SIZE=4/8")                                             \
    X(73, "type-policy", RULE_OFF, false, "FLOAT/DOUBLE, ENUM/SET or TIME/DATETIME/TIMESTAMP",     \
      "use the types your policy allows")                                                          \
    X(75, "inline-references-ignored", RULE_WARN, false,                                           \
      "column-level REFERENCES, ignored before MySQL 9.0 and on MariaDB",                          \
      "declare FOREIGN KEY (col) REFERENCES parent (col) at table level")                          \
    X(76, "identifier-too-long", RULE_REJECT, false,                                               \
      "identifier above 64 characters, or a table name too long for OSC shadow tables",            \
      "use a table name of at most 59 characters (gh-ost adds _..._gho) "                          \
      "and identifiers of at most 64")                                                             \
    X(81, "unbounded-dml", RULE_WARN, false,                                                       \
      "UPDATE/DELETE without LIMIT whose WHERE is not a key equality or key range",                \
      "batch it: walk the primary key in ranges with LIMIT, committing between batches")           \
    X(82, "select-into-write", RULE_WARN, false,                                                   \
      "INSERT/REPLACE ... SELECT or CREATE TABLE ... SELECT",                                      \
      "copy in primary-key chunks (the pt-osc nibble pattern); source rows are locked")            \
    X(90, "drop-database", RULE_REJECT, false, "DROP DATABASE/SCHEMA",                             \
      "drop the tables one by one with approvals, or do it outside the proxy")                     \
    X(91, "destructive-partition-op", RULE_APPROVAL, false,                                        \
      "DROP PARTITION / TRUNCATE PARTITION (deletes data)",                                        \
      "archive the partition first (EXCHANGE PARTITION) and get an approval")                      \
    X(92, "drop-foreign-key", RULE_WARN, false, "DROP FOREIGN KEY / DROP CONSTRAINT of an FK",     \
      "make sure the application enforces the relationship")                                       \
    X(93, "rename-table", RULE_APPROVAL, false, "RENAME TABLE / ALTER TABLE ... RENAME",           \
      "expand-contract: create the new table or a view under the new name, move clients, "         \
      "then drop the old name")                                                                    \
    X(94, "drop-index", RULE_WARN, false, "DROP INDEX",                                            \
      "make the index INVISIBLE first (MySQL 8.0 / MariaDB IGNORED), watch plans, then drop")      \
    X(95, "explicit-table-rebuild", RULE_WARN, false,                                              \
      "OPTIMIZE TABLE, ALTER ... FORCE, ENGINE=<same>, REBUILD/OPTIMIZE PARTITION",                \
      "run rebuilds off-peak or with an online schema change tool")                                \
    X(98, "relax-not-null", RULE_WARN, false, "NOT NULL column made nullable",                     \
      "make sure readers handle NULL before relaxing the column")                                  \
    X(900, "unparseable-ddl", RULE_REJECT, false,                                                  \
      "a statement starts with a DDL keyword but could not be parsed",                             \
      "check the syntax; ddlgate refuses DDL it cannot classify")                                  \
    X(901, "versioned-comment-ddl", RULE_WARN, false,                                              \
      "DDL inside a /*!NNNNN ... */ executable comment",                                           \
      "write the DDL without executable comments so it is reviewed as executed")                   \
    X(902, "multi-statement-with-ddl", RULE_REJECT, false,                                         \
      "several statements in one query and at least one is DDL",                                   \
      "send each DDL statement as its own query")                                                  \
    X(903, "alter-online-on-mysql", RULE_REJECT, false,                                            \
      "ALTER ONLINE TABLE sent to MySQL (MariaDB-only syntax)",                                    \
      "write ALTER TABLE ..., LOCK=NONE instead")                                                  \
    X(904, "osc-tool-statement", RULE_WARN, false,                                                 \
      "statement of gh-ost / pt-online-schema-change / Vitess (marker or shadow table)",           \
      "none needed: audited and passed through (suppresses the other rules)")

static const struct rule_def rules_table[] = {
#define RULES_DEF(i, n, m, rt, s, a) \
    {.id = i, .name = n, .default_mode = m, .runtime = rt, .summary = s, .advice = a},
    RULES_TABLE(RULES_DEF)
#undef RULES_DEF
};
#define RULES_N ((int)(sizeof rules_table / sizeof rules_table[0]))

/* global mode per id: 0 = default, else mode + 1 */
static _Atomic unsigned char rules_global[RULE_ID_MAX];
static _Atomic uint64_t rules_hit_count[RULE_ID_MAX];

struct rules_scoped {
    uint16_t id;
    enum rule_mode mode;
    char schema[RULES_NAME_MAX];
    char table[RULES_NAME_MAX]; /* "" = the whole schema */
};

static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rules_scoped rules_scoped_tab[RULES_SCOPED_MAX];
static _Atomic int rules_scoped_count;

/* A rule set being built by a reload (main thread only): rules_set_mode,
 * rules_clear_override and rules_reset write here until commit, so the
 * workers never see the defaults half-way through a reload. */
static bool rules_staging;
static unsigned char stage_global[RULE_ID_MAX];
static struct rules_scoped stage_tab[RULES_SCOPED_MAX];
static int stage_n;

int rules_count(void) { return RULES_N; }

const struct rule_def *rules_at(int i) { return (i >= 0 && i < RULES_N) ? &rules_table[i] : NULL; }

const struct rule_def *rules_find(uint16_t id)
{
    /* binary search: the table is sorted by id (checked by check_rules) */
    int lo = 0, hi = RULES_N - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (rules_table[mid].id == id)
            return &rules_table[mid];
        if (rules_table[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

uint16_t rules_parse_id(const char *s)
{
    if (!s || !*s)
        return 0;
    const char *p = s;
    if ((p[0] == 'D' || p[0] == 'd') && (p[1] == 'G' || p[1] == 'g'))
        p += 2;
    if (isdigit((unsigned char)*p)) {
        char *end;
        long v = strtol(p, &end, 10);
        if (*end != '\0' || v <= 0 || v >= RULE_ID_MAX)
            return 0;
        return rules_find((uint16_t)v) ? (uint16_t)v : 0;
    }
    for (int i = 0; i < RULES_N; i++)
        if (strcasecmp(rules_table[i].name, s) == 0)
            return rules_table[i].id;
    return 0;
}

static const char *const rules_mode_names[] = {
    [RULE_OFF] = "off",           [RULE_WARN] = "warn",     [RULE_REWRITE] = "rewrite",
    [RULE_APPROVAL] = "approval", [RULE_REJECT] = "reject",
};

const char *rules_mode_name(enum rule_mode m)
{
    if ((unsigned)m >= sizeof rules_mode_names / sizeof rules_mode_names[0])
        return "?";
    return rules_mode_names[m];
}

bool rules_parse_mode(const char *s, enum rule_mode *out)
{
    if (!s)
        return false;
    for (unsigned i = 0; i < sizeof rules_mode_names / sizeof rules_mode_names[0]; i++) {
        if (strcasecmp(s, rules_mode_names[i]) == 0) {
            *out = (enum rule_mode)i;
            return true;
        }
    }
    /* lint_rules.md calls the approval mode "queue" */
    if (strcasecmp(s, "queue") == 0) {
        *out = RULE_APPROVAL;
        return true;
    }
    return false;
}

static bool rules_scope_match(const struct rules_scoped *e, const char *schema, const char *table)
{
    if (!schema || strcmp(e->schema, schema) != 0)
        return false;
    return e->table[0] == '\0' || (table && strcmp(e->table, table) == 0);
}

enum rule_mode rules_mode(uint16_t id, const char *schema, const char *table)
{
    if (id >= RULE_ID_MAX)
        return RULE_OFF;
    const struct rule_def *d = NULL;
    if (atomic_load_explicit(&rules_scoped_count, memory_order_acquire) > 0 && schema) {
        /* a table-level override beats a schema-level one */
        int best = -1;
        enum rule_mode m = RULE_OFF;
        pthread_mutex_lock(&rules_lock);
        int n = atomic_load_explicit(&rules_scoped_count, memory_order_relaxed);
        for (int i = 0; i < n; i++) {
            const struct rules_scoped *e = &rules_scoped_tab[i];
            if (e->id != id || !rules_scope_match(e, schema, table))
                continue;
            int rank = e->table[0] ? 2 : 1;
            if (rank > best) {
                best = rank;
                m = e->mode;
            }
        }
        pthread_mutex_unlock(&rules_lock);
        if (best > 0)
            return m;
    }
    unsigned char g = atomic_load_explicit(&rules_global[id], memory_order_relaxed);
    if (g)
        return (enum rule_mode)(g - 1);
    d = rules_find(id);
    return d ? d->default_mode : RULE_OFF;
}

static void rules_copy_name(char *dst, const char *src)
{
    snprintf(dst, RULES_NAME_MAX, "%s", src ? src : "");
}

/* Scoped overrides live in two tables of the same shape: the live one
 * (under rules_lock) and the one a reload stages.  These work on either. */
static int scoped_find(const struct rules_scoped *tab, int n, uint16_t id, const char *schema,
                       const char *table)
{
    for (int i = 0; i < n; i++)
        if (tab[i].id == id && strcmp(tab[i].schema, schema) == 0 &&
            strcmp(tab[i].table, table ? table : "") == 0)
            return i;
    return -1;
}

/* Set (or add) an override; the new count, -1 when the table is full. */
static int scoped_put(struct rules_scoped *tab, int n, uint16_t id, enum rule_mode m,
                      const char *schema, const char *table)
{
    int i = scoped_find(tab, n, id, schema, table);
    if (i < 0) {
        if (n == RULES_SCOPED_MAX)
            return -1;
        i = n++;
        tab[i].id = id;
        rules_copy_name(tab[i].schema, schema);
        rules_copy_name(tab[i].table, table);
    }
    tab[i].mode = m;
    return n;
}

/* Drop an override; the new count, -1 when there was none.  Order does not
 * matter: rules_mode() ranks by scope, not position. */
static int scoped_del(struct rules_scoped *tab, int n, uint16_t id, const char *schema,
                      const char *table)
{
    int i = scoped_find(tab, n, id, schema, table);
    if (i < 0)
        return -1;
    tab[i] = tab[n - 1];
    return n - 1;
}

bool rules_set_mode(uint16_t id, enum rule_mode m, const char *schema, const char *table)
{
    if (!rules_find(id) || (unsigned)m > RULE_REJECT)
        return false;
    if (schema && (strlen(schema) >= RULES_NAME_MAX || (table && strlen(table) >= RULES_NAME_MAX)))
        return false;
    if (!schema) {
        if (rules_staging)
            stage_global[id] = (unsigned char)(m + 1);
        else
            atomic_store_explicit(&rules_global[id], (unsigned char)(m + 1), memory_order_relaxed);
        return true;
    }
    if (rules_staging) {
        int n = scoped_put(stage_tab, stage_n, id, m, schema, table);
        if (n >= 0)
            stage_n = n;
        return n >= 0;
    }
    pthread_mutex_lock(&rules_lock);
    int n = scoped_put(rules_scoped_tab,
                       atomic_load_explicit(&rules_scoped_count, memory_order_relaxed), id, m,
                       schema, table);
    if (n >= 0)
        atomic_store_explicit(&rules_scoped_count, n, memory_order_release);
    pthread_mutex_unlock(&rules_lock);
    return n >= 0;
}

bool rules_clear_override(uint16_t id, const char *schema, const char *table)
{
    if (!schema)
        return false;
    if (rules_staging) {
        int n = scoped_del(stage_tab, stage_n, id, schema, table);
        if (n >= 0)
            stage_n = n;
        return n >= 0;
    }
    pthread_mutex_lock(&rules_lock);
    int n = scoped_del(rules_scoped_tab,
                       atomic_load_explicit(&rules_scoped_count, memory_order_relaxed), id, schema,
                       table);
    if (n >= 0)
        atomic_store_explicit(&rules_scoped_count, n, memory_order_release);
    pthread_mutex_unlock(&rules_lock);
    return n >= 0;
}

void rules_stage_begin(void)
{
    rules_staging = true;
    memset(stage_global, 0, sizeof(stage_global));
    stage_n = 0;
}

void rules_stage_commit(void)
{
    if (!rules_staging)
        return;
    rules_staging = false;
    pthread_mutex_lock(&rules_lock);
    /* each global mode goes from old to new in one store: never the default between */
    for (int i = 0; i < RULE_ID_MAX; i++)
        atomic_store_explicit(&rules_global[i], stage_global[i], memory_order_relaxed);
    memcpy(rules_scoped_tab, stage_tab, (size_t)stage_n * sizeof(stage_tab[0]));
    atomic_store_explicit(&rules_scoped_count, stage_n, memory_order_release);
    pthread_mutex_unlock(&rules_lock);
}

void rules_stage_abort(void) { rules_staging = false; }

void rules_reset(void)
{
    if (rules_staging) {
        memset(stage_global, 0, sizeof(stage_global));
        stage_n = 0;
        return;
    }
    for (int i = 0; i < RULE_ID_MAX; i++)
        atomic_store_explicit(&rules_global[i], 0, memory_order_relaxed);
    pthread_mutex_lock(&rules_lock);
    atomic_store_explicit(&rules_scoped_count, 0, memory_order_release);
    pthread_mutex_unlock(&rules_lock);
}

void rules_hit(uint16_t id)
{
    if (id < RULE_ID_MAX)
        atomic_fetch_add_explicit(&rules_hit_count[id], 1, memory_order_relaxed);
}

uint64_t rules_hits(uint16_t id)
{
    return id < RULE_ID_MAX ? atomic_load_explicit(&rules_hit_count[id], memory_order_relaxed) : 0;
}

bool rules_scoped_at(int i, uint16_t *id, enum rule_mode *m, char *schema, size_t slen, char *table,
                     size_t tlen)
{
    bool ok = false;
    pthread_mutex_lock(&rules_lock);
    if (i >= 0 && i < atomic_load_explicit(&rules_scoped_count, memory_order_relaxed)) {
        const struct rules_scoped *e = &rules_scoped_tab[i];
        if (id)
            *id = e->id;
        if (m)
            *m = e->mode;
        if (schema && slen)
            snprintf(schema, slen, "%s", e->schema);
        if (table && tlen)
            snprintf(table, tlen, "%s", e->table);
        ok = true;
    }
    pthread_mutex_unlock(&rules_lock);
    return ok;
}
