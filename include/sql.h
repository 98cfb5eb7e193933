/*
 * sql.h - the statement model shared by the parser, the classifier, the gate
 * and (later) the column-rename router.
 *
 * Ownership: sql_parse() fills a caller-owned struct sql_script.  Every
 * pointer inside it (names, spec arrays, column refs) points into the
 * script's arena and stays valid until sql_script_reset()/sql_script_free().
 * Nothing here points into the query text: positions in the text are kept as
 * byte spans (struct sql_span), so rewrites splice the original bytes and
 * leave everything outside the spliced ranges untouched.
 */
#ifndef DDLGATE_SQL_H
#define DDLGATE_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- backend identity (from the server greeting) ---------------------- */

enum sql_flavour {
    SQL_FLAVOUR_MYSQL = 0,
    SQL_FLAVOUR_MARIADB = 1,
};

struct sql_server {
    enum sql_flavour flavour;
    /* major*10000 + minor*100 + patch: 80036 = 8.0.36, 101119 = 10.11.19.
     * The same encoding MySQL (/x!80013 x/) and MariaDB (/x!M100301 x/)
     * executable comments use, so comparisons are direct. */
    unsigned version;
    bool wsrep; /* Galera / PXC: LOCK=NONE on INPLACE is refused there */
};

/* Parse "5.5.5-10.11.19-MariaDB-0+deb12u1", "8.0.36", "8.4.2-log" ...
 * Returns false when no version number can be found. */
bool sql_server_from_greeting(const char *version_string, struct sql_server *out);
/* Parse lint's "--server mysql-8.0.36", "mariadb-10.11", "mysql-8": a version
 * with fewer parts means the newest of that line known to ddlgate. */
bool sql_server_from_spec(const char *spec, struct sql_server *out);

/* ---- spans and names ------------------------------------------------- */

struct sql_span {
    uint32_t off; /* byte offset in the original query text */
    uint32_t len; /* 0 = absent */
};

/* A possibly schema-qualified object name; strings are unquoted (backticks
 * and doubled quotes resolved), NUL-terminated, in the arena.  schema is
 * NULL when not written and no default schema was given. */
struct sql_name {
    const char *schema;
    const char *name;
    struct sql_span span; /* whole "`s`.`t`" as written */
    bool schema_written;  /* schema came from the text, not the session */
};

/* ---- statement kinds ------------------------------------------------- */

enum sql_kind {
    SQL_KIND_EMPTY = 0, /* only whitespace / comments */
    SQL_KIND_SELECT,
    SQL_KIND_INSERT,
    SQL_KIND_REPLACE,
    SQL_KIND_UPDATE,
    SQL_KIND_DELETE,
    SQL_KIND_DDL,
    SQL_KIND_TXN, /* BEGIN/START TRANSACTION/COMMIT/ROLLBACK/SAVEPOINT/XA */
    SQL_KIND_SET,
    SQL_KIND_LOCK,  /* LOCK TABLES / UNLOCK TABLES / FLUSH ... WITH READ LOCK */
    SQL_KIND_OTHER, /* SHOW, USE, CALL, GRANT, DO, EXPLAIN, HANDLER, ... */
};

enum sql_ddl_kind {
    SQL_DDL_NONE = 0,
    SQL_DDL_ALTER_TABLE,
    SQL_DDL_CREATE_INDEX, /* modelled as an ALTER with one ADD INDEX spec */
    SQL_DDL_DROP_INDEX,   /* modelled as an ALTER with one DROP INDEX spec */
    SQL_DDL_CREATE_TABLE,
    SQL_DDL_DROP_TABLE,
    SQL_DDL_RENAME_TABLE,
    SQL_DDL_TRUNCATE,
    SQL_DDL_OPTIMIZE,
    SQL_DDL_ANALYZE,
    SQL_DDL_REPAIR_CHECK, /* REPAIR / CHECK TABLE */
    SQL_DDL_CREATE_TRIGGER,
    SQL_DDL_DROP_TRIGGER,
    SQL_DDL_LOCK_TABLES,
    SQL_DDL_UNLOCK_TABLES,
    SQL_DDL_FLUSH,
    SQL_DDL_CREATE_DATABASE,
    SQL_DDL_DROP_DATABASE,
    SQL_DDL_ALTER_DATABASE,
    SQL_DDL_CREATE_VIEW,
    SQL_DDL_DROP_VIEW,
    SQL_DDL_CREATE_ROUTINE, /* PROCEDURE / FUNCTION / EVENT */
    SQL_DDL_DROP_ROUTINE,
    SQL_DDL_OTHER, /* recognised DDL keyword, structure not modelled */
};

enum sql_txn_kind {
    SQL_TXN_NONE = 0,
    SQL_TXN_BEGIN, /* BEGIN, START TRANSACTION, XA START */
    SQL_TXN_COMMIT,
    SQL_TXN_ROLLBACK,
    SQL_TXN_SAVEPOINT, /* SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK TO */
    SQL_TXN_OTHER,     /* XA END/PREPARE/..., SET TRANSACTION */
};

/* ---- algorithm / lock clauses ------------------------------------------ */

enum sql_algorithm {
    SQL_ALG_NONE = 0, /* not written */
    SQL_ALG_DEFAULT,
    SQL_ALG_INSTANT,
    SQL_ALG_NOCOPY, /* MariaDB */
    SQL_ALG_INPLACE,
    SQL_ALG_COPY,
};

enum sql_lock {
    SQL_LOCK_NONE_GIVEN = 0, /* not written */
    SQL_LOCK_DEFAULT,
    SQL_LOCK_NONE,
    SQL_LOCK_SHARED,
    SQL_LOCK_EXCLUSIVE,
};

/* ---- column definitions ---------------------------------------------- */

enum sql_nullability {
    SQL_NULL_UNSPEC = 0,
    SQL_NULL_YES,
    SQL_NULL_NO
};
enum sql_default_kind {
    SQL_DEFAULT_NONE = 0,
    SQL_DEFAULT_NULL,
    SQL_DEFAULT_LITERAL,
    SQL_DEFAULT_CURRENT_TS, /* CURRENT_TIMESTAMP / NOW() [(n)] */
    SQL_DEFAULT_EXPR,       /* (expr) or any other function call */
};
enum sql_generated {
    SQL_GEN_NONE = 0,
    SQL_GEN_VIRTUAL,
    SQL_GEN_STORED
};
enum sql_col_pos {
    SQL_POS_DEFAULT = 0,
    SQL_POS_FIRST,
    SQL_POS_AFTER
};

struct sql_coldef {
    const char *name;
    struct sql_span name_span;
    const char *type;          /* upper-cased base type: "INT", "VARCHAR", "ENUM" */
    struct sql_span type_span; /* the whole data type as written */
    int64_t length;            /* -1 if not given; VARCHAR(n), INT(11) */
    int32_t scale;             /* -1 if not given; DECIMAL(p,s) */
    bool is_unsigned;
    bool zerofill;
    const char *charset;   /* NULL if not given (CHARACTER SET / CHARSET) */
    const char *collation; /* NULL if not given */
    int nvalues;           /* ENUM/SET members */
    const char **values;   /* unquoted member strings */
    enum sql_nullability nullability;
    enum sql_default_kind default_kind;
    struct sql_span default_span;
    bool on_update_ts; /* ON UPDATE CURRENT_TIMESTAMP */
    bool auto_increment;
    enum sql_generated generated;
    bool primary_key; /* column-level PRIMARY KEY */
    bool unique_key;  /* column-level UNIQUE */
    bool references;  /* column-level REFERENCES (ignored by InnoDB) */
    bool has_check;   /* column-level CHECK (...) */
    bool invisible;   /* INVISIBLE */
    bool visible;     /* VISIBLE written */
    bool compressed;  /* MariaDB COMPRESSED column attribute */
    enum sql_col_pos pos;
    const char *after; /* for SQL_POS_AFTER */
};

/* ---- indexes and constraints ----------------------------------------- */

enum sql_index_kind {
    SQL_INDEX_PLAIN = 0,
    SQL_INDEX_UNIQUE,
    SQL_INDEX_PRIMARY,
    SQL_INDEX_FULLTEXT,
    SQL_INDEX_SPATIAL,
    SQL_INDEX_FOREIGN, /* FOREIGN KEY constraint */
    SQL_INDEX_CHECK,   /* CHECK constraint */
};

struct sql_index {
    enum sql_index_kind kind;
    const char *name; /* index or constraint name, NULL if not given */
    int ncols;
    const char **cols;         /* key part column names (NULL entry = expression) */
    bool has_prefix;           /* some key part has a prefix length col(10) */
    bool has_expression;       /* functional key part ((expr)) */
    const char *using;         /* "BTREE"/"HASH"/NULL */
    bool invisible;            /* INVISIBLE / IGNORED */
    struct sql_name ref_table; /* FOREIGN KEY ... REFERENCES */
    bool on_delete_cascade_or_set_null;
    bool on_update_cascade_or_set_null;
};

/* ---- ALTER TABLE specs ------------------------------------------------ */

/* clang-format off */
#define SQL_ALTER_OPS(X)                \
    X(ADD_COLUMN)                       \
    X(DROP_COLUMN)                      \
    X(MODIFY_COLUMN)                    \
    X(CHANGE_COLUMN)                    \
    X(RENAME_COLUMN)                    \
    X(SET_DEFAULT)                      \
    X(DROP_DEFAULT)                     \
    X(COLUMN_VISIBILITY)                \
    X(ADD_INDEX)                        \
    X(DROP_INDEX)                       \
    X(RENAME_INDEX)                     \
    X(INDEX_VISIBILITY)                 \
    X(ADD_PRIMARY_KEY)                  \
    X(DROP_PRIMARY_KEY)                 \
    X(ADD_FOREIGN_KEY)                  \
    X(DROP_FOREIGN_KEY)                 \
    X(ADD_CHECK)                        \
    X(DROP_CONSTRAINT)                  \
    X(ALTER_CHECK)                      \
    X(RENAME_TABLE)                     \
    X(CONVERT_CHARSET)                  \
    X(DEFAULT_CHARSET)                  \
    X(ENGINE)                           \
    X(ROW_FORMAT)                       \
    X(KEY_BLOCK_SIZE)                   \
    X(AUTO_INCREMENT)                   \
    X(TABLE_COMMENT)                    \
    X(STATS_OPTION)                     \
    X(ENCRYPTION)                       \
    X(PAGE_COMPRESSED)                  \
    X(TABLE_OPTION)                     \
    X(FORCE)                            \
    X(ORDER_BY)                         \
    X(DISCARD_TABLESPACE)               \
    X(IMPORT_TABLESPACE)                \
    X(ENABLE_KEYS)                      \
    X(DISABLE_KEYS)                     \
    X(PARTITION_BY)                     \
    X(REMOVE_PARTITIONING)              \
    X(ADD_PARTITION)                    \
    X(DROP_PARTITION)                   \
    X(TRUNCATE_PARTITION)               \
    X(COALESCE_PARTITION)               \
    X(REORGANIZE_PARTITION)             \
    X(EXCHANGE_PARTITION)               \
    X(ANALYZE_PARTITION)                \
    X(CHECK_PARTITION)                  \
    X(OPTIMIZE_PARTITION)               \
    X(REBUILD_PARTITION)                \
    X(REPAIR_PARTITION)                 \
    X(PARTITION_TABLESPACE)             \
    X(CONVERT_PARTITION)                \
    X(ADD_SYSTEM_VERSIONING)            \
    X(DROP_SYSTEM_VERSIONING)           \
    X(ADD_PERIOD)                       \
    X(DROP_PERIOD)                      \
    X(OTHER)
/* clang-format on */

enum sql_alter_op {
#define SQL_ALTER_OP_ENUM(n) SQL_AOP_##n,
    SQL_ALTER_OPS(SQL_ALTER_OP_ENUM)
#undef SQL_ALTER_OP_ENUM
    SQL_AOP__COUNT
};

const char *sql_alter_op_name(enum sql_alter_op op); /* "ADD_COLUMN" */

struct sql_alter_spec {
    enum sql_alter_op op;
    struct sql_span span; /* the spec as written, without separating comma */
    bool if_exists;       /* MariaDB DROP COLUMN IF EXISTS ... */
    bool if_not_exists;
    struct sql_coldef col;     /* ADD/MODIFY/CHANGE COLUMN: the new definition */
    const char *old_name;      /* CHANGE/RENAME/DROP COLUMN, DROP/RENAME INDEX,
                              SET/DROP DEFAULT, DROP CONSTRAINT/FOREIGN KEY */
    const char *new_name;      /* CHANGE/RENAME COLUMN, RENAME INDEX */
    struct sql_name rename_to; /* RENAME TABLE spec */
    struct sql_index index;    /* ADD INDEX/PK/FK/CHECK */
    const char *option_value;  /* ENGINE=x, ROW_FORMAT=x, charset name ... */
    int partition_count;       /* ADD/DROP/COALESCE PARTITION names/number */
};

struct sql_alter {
    struct sql_name table;
    bool online;    /* MariaDB ALTER ONLINE TABLE */
    bool ignore;    /* ALTER IGNORE TABLE */
    bool if_exists; /* MariaDB ALTER TABLE IF EXISTS */
    enum sql_algorithm algorithm;
    struct sql_span algorithm_span; /* "ALGORITHM [=] x" as written */
    enum sql_lock lock;
    struct sql_span lock_span; /* "LOCK [=] x" as written */
    bool has_wait;             /* WAIT n (MariaDB) */
    bool nowait;
    struct sql_span wait_span;
    int64_t wait_seconds;
    int nspecs;
    struct sql_alter_spec *specs;
    /* Where ", ALGORITHM=..., LOCK=NONE" can be appended: just past the
     * last token of the ALTER, before trailing whitespace/comments/';'. */
    uint32_t append_off;
};

/* ---- CREATE TABLE --------------------------------------------------------- */

struct sql_create_table {
    bool temporary;
    bool if_not_exists;
    bool or_replace;
    bool like;      /* CREATE TABLE t LIKE other */
    bool as_select; /* CREATE TABLE t [(...)] [AS] SELECT ... */
    struct sql_name like_table;
    int ncols;
    struct sql_coldef *cols;
    int nindexes;
    struct sql_index *indexes; /* table-level keys and constraints */
    bool has_primary_key;      /* table- or column-level */
    const char *engine;        /* NULL if not given */
    const char *charset;
    const char *collation;
    const char *row_format;
    bool partitioned;
};

/* ---- table and column references (DML and DDL) ----------------------- */

enum sql_access {
    SQL_ACCESS_READ = 1,
    SQL_ACCESS_WRITE = 2,
    SQL_ACCESS_DDL = 4, /* the table is the object of a DDL */
};

struct sql_table_ref {
    struct sql_name name; /* schema filled from the session when unwritten */
    const char *alias;    /* NULL if none */
    struct sql_span alias_span;
    uint8_t access; /* SQL_ACCESS_* bits */
};

enum sql_col_ctx {
    SQL_COLCTX_SELECT = 0, /* select list */
    SQL_COLCTX_WHERE,      /* WHERE/ON/HAVING/other expressions */
    SQL_COLCTX_ORDER,      /* ORDER BY / GROUP BY */
    SQL_COLCTX_SET,        /* UPDATE ... SET col = / ON DUPLICATE KEY UPDATE */
    SQL_COLCTX_INSERT,     /* INSERT (col, ...) list */
};

/* A column reference the rename router may rewrite: the span covers the
 * column identifier only, qualifier excluded, as written. */
struct sql_column_ref {
    const char *qualifier; /* table name or alias as written, NULL if bare */
    const char *name;
    struct sql_span span;
    int16_t table_idx; /* index into stmt->tables, -1 unresolved */
    uint8_t ctx;       /* enum sql_col_ctx */
    bool star;         /* t.* or * */
    /* Appended for DG081: a top-level conjunct of the statement's own
     * WHERE (UPDATE/DELETE) compares this column with =, <=>, IN (...) or
     * BETWEEN, so the statement touches only the rows that match it. */
    bool where_pin;
};

/* ---- one statement ----------------------------------------------------- */

struct sql_stmt {
    enum sql_kind kind;
    enum sql_ddl_kind ddl;
    enum sql_txn_kind txn;
    struct sql_span span; /* the statement within the text, no ';' */
    /* normalized-token hash: literals -> ?, case-folded.  Computed on
     * demand (most statements never need it): read it through
     * sql_stmt_digest(); the field holds it only when digest_valid. */
    uint64_t digest;
    bool parsed;              /* false: kind from the leading keyword only */
    const char *parse_error;  /* static message when !parsed, else NULL */
    unsigned comment_version; /* DDL came from /x!NNNNN x/, 0 otherwise */
    bool osc_marker;          /* gh-ost / pt-osc comment marker seen */

    int ntables;
    struct sql_table_ref *tables;
    int ncolumns;
    struct sql_column_ref *columns;

    /* DDL detail (valid by ddl kind) */
    struct sql_alter alter;         /* ALTER/CREATE INDEX/DROP INDEX */
    struct sql_create_table create; /* CREATE TABLE */
    bool if_exists;                 /* DROP ... IF EXISTS */
    bool temporary;                 /* DROP TEMPORARY TABLE */
    bool flush_with_read_lock;      /* FLUSH TABLES ... WITH READ LOCK */
    bool repair;                    /* REPAIR TABLE (SQL_DDL_REPAIR_CHECK also has CHECK) */
    bool dynamic;        /* PREPARE ... FROM / EXECUTE IMMEDIATE of text not in a literal (DG900) */
    bool body_ddl;       /* CREATE PROCEDURE / EVENT whose body runs DDL or dynamic SQL (DG900) */
    bool lock_for_write; /* LOCK TABLES with a WRITE lock */

    /* DML detail */
    bool has_where;
    bool where_trivial; /* WHERE 1 / WHERE TRUE */
    bool has_limit;
    bool insert_select; /* INSERT/REPLACE ... SELECT */
    bool for_update;    /* SELECT ... FOR UPDATE / LOCK IN SHARE MODE */
    int nparams;        /* '?' placeholders (prepared statements) */

    /* Appended: MariaDB's `SET STATEMENT var=expr [, ...] FOR <stmt>` is
     * modelled as <stmt> itself (kind, tables, DDL detail, spans in the
     * original text; span still covers the whole text).  set_statement is
     * the prefix from SET through FOR (nested prefixes included), len 0
     * when there is none; body_off is <stmt>'s first byte (span.off when
     * there is no prefix). */
    struct sql_span set_statement;
    uint32_t body_off;
    /* Appended for DG081 (UPDATE/DELETE): OR, XOR or || joins the top-level
     * conditions of the statement's own WHERE (then no column is pinned). */
    bool where_or;
    /* Appended for the on-demand digest: the first token's offset (span.off
     * is the opening of an executable comment when the statement starts in
     * one) and whether that token lay inside an executable comment. */
    uint32_t digest_from;
    bool digest_exec;
    bool digest_valid; /* digest holds the value */
};

/* ---- a parsed query (one COM_QUERY may carry several statements) -------- */

struct sql_arena_block;

struct sql_script {
    int nstmts;
    struct sql_stmt *stmts;
    /* arena: an inline first block, so typical statements parse without
     * malloc; further blocks are malloc'ed and freed by reset/free */
    struct sql_arena_block *blocks;
    size_t used;
    unsigned char inline_mem[4096];
};

struct sql_parse_opts {
    struct sql_server server;   /* decides /x!NNNNN x/ and dialect bits */
    const char *default_schema; /* session schema, may be NULL */
    bool ansi_quotes;           /* "x" is an identifier (sql_mode) */
    bool no_backslash_escapes;  /* sql_mode NO_BACKSLASH_ESCAPES */
};

void sql_script_init(struct sql_script *s);
void sql_script_reset(struct sql_script *s); /* keep inline block, free rest */
void sql_script_free(struct sql_script *s);

/* Split and parse text[0..len).  Never fails on bad SQL: a statement that
 * cannot be parsed gets parsed=false, its kind from the leading keyword and
 * parse_error set.  Returns false only on memory exhaustion. */
bool sql_parse(const struct sql_parse_opts *opts, const char *text, size_t len,
               struct sql_script *out);

/* The digest of st, a statement sql_parse(opts, text, len) produced: the
 * same opts (server version, ANSI_QUOTES, NO_BACKSLASH_ESCAPES) and text
 * must be passed.  Returns st->digest when digest_valid, else re-lexes the
 * statement's own tokens (a few hundred ns for a typical statement).  The
 * value is stable across versions: approvals are stored by it. */
uint64_t sql_stmt_digest(const struct sql_parse_opts *opts, const char *text, size_t len,
                         const struct sql_stmt *st);
/* The same, stored in st->digest (digest_valid set) for later readers. */
uint64_t sql_stmt_digest_fill(const struct sql_parse_opts *opts, const char *text, size_t len,
                              struct sql_stmt *st);
/* The key approvals are stored by (sql_exact.c): st's tokens with comments,
 * whitespace, keyword case and identifier quoting dropped, but identifier
 * case and every literal kept, mixed with the tables st names and with
 * opts->default_schema (the session's schema).  st NULL: the whole text.
 * Unlike sql_stmt_digest() it tells `DROP TABLE Tc` from `DROP TABLE tc`
 * and VARCHAR(2) from VARCHAR(10). */
uint64_t sql_stmt_exact_digest(const struct sql_parse_opts *opts, const char *text, size_t len,
                               const struct sql_stmt *st);

const char *sql_kind_name(enum sql_kind k);
const char *sql_ddl_name(enum sql_ddl_kind k);
const char *sql_algorithm_name(enum sql_algorithm a); /* "INSTANT"... */

#endif
