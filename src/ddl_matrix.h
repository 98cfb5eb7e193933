/*
 * ddl_matrix.h - the online-DDL matrix as data: one row per
 * (operation/condition, flavour, version range).  classify.c turns every
 * ALTER spec into a condition (DM_*) and takes the first row that matches
 * the backend; it never decides an algorithm with an if.
 *
 * Row ids are the ids of /work/shared/reference/online_ddl_matrix.md
 * (C = columns, I = indexes, T = table options, P = partitions), with a
 * suffix when one matrix cell was split by version or by a table fact.
 * Where the MariaDB 10.11.19 oracle (mariadb-10.11-oracle.md, "ORA") was
 * run and disagrees with the vendor pages, the row follows the oracle.
 * docs/online-ddl-matrix.md explains the layout and the sources.
 *
 * Included by classify.c only (the table is static const data).
 */
#ifndef DDLGATE_DDL_MATRIX_H
#define DDLGATE_DDL_MATRIX_H

#include <stdbool.h>

#include "sql.h"

/* Conditions: what one ALTER spec does once the table facts are known. */
#define DM_CONDS(X)                                                                \
    X(ADD_COL_LAST)            /* ADD COLUMN at the end (literal/time default) */  \
    X(ADD_COL_POS)             /* ADD COLUMN ... FIRST / AFTER x */                \
    X(ADD_COL_EXPR)            /* ADD COLUMN with a per-row expression DEFAULT */  \
    X(ADD_COL_AUTOINC)         /* ADD an AUTO_INCREMENT column */                  \
    X(ADD_COL_STORED)          /* ADD a STORED/PERSISTENT generated column */      \
    X(ADD_COL_VIRTUAL)         /* ADD a VIRTUAL generated column */                \
    X(DROP_COL)                /* DROP a plain, non-indexed column */              \
    X(DROP_COL_INDEXED)        /* DROP a column that is part of an index */        \
    X(DROP_COL_STORED)         /* DROP a STORED generated column */                \
    X(DROP_COL_VIRTUAL)        /* DROP a VIRTUAL generated column */               \
    X(RENAME_COL)              /* rename, definition unchanged */                  \
    X(RENAME_COL_FK)           /* rename a column other tables reference */        \
    X(REORDER_COL)             /* MODIFY ... FIRST/AFTER, same definition */       \
    X(REORDER_GEN)             /* reorder a generated column */                    \
    X(TYPE_CHANGE)             /* any data type change (incl. shrink, sign) */     \
    X(VARCHAR_EXTEND)          /* VARCHAR grows within its length-byte class */    \
    X(VARCHAR_CROSS)           /* VARCHAR grows across 255 bytes, old > 127 B */   \
    X(VARCHAR_CROSS_SMALL)     /* across 255 bytes, old <= 127 bytes */            \
    X(VARCHAR_CROSS_REDUNDANT) /* across 255 bytes, ROW_FORMAT=REDUNDANT */        \
    X(CHARSET_COL)             /* column character set changes */                  \
    X(CHARSET_MB3_MB4)         /* utf8mb3 -> utf8mb4 of a non-indexed column */    \
    X(MAKE_NULL)               /* NOT NULL -> NULL */                              \
    X(MAKE_NULL_REDUNDANT)     /* NOT NULL -> NULL, ROW_FORMAT=REDUNDANT */        \
    X(MAKE_NOT_NULL)           /* NULL -> NOT NULL */                              \
    X(COL_META)                /* SET/DROP DEFAULT, default/comment-only MODIFY */ \
    X(ENUM_APPEND)             /* ENUM/SET members appended, same storage */       \
    X(ENUM_REBUILD)            /* ENUM/SET reordered, inserted, storage grows */   \
    X(COL_VISIBILITY)          /* column INVISIBLE/VISIBLE */                      \
    X(ADD_INDEX)               /* ADD [UNIQUE] INDEX / CREATE INDEX */             \
    X(ADD_UNIQUE_CLUSTER)      /* first NOT NULL UNIQUE on a table without PK */   \
    X(ADD_FULLTEXT_FIRST)      /* first FULLTEXT index (adds FTS_DOC_ID) */        \
    X(ADD_FULLTEXT_NEXT)       /* FULLTEXT index on a table that has one */        \
    X(ADD_FULLTEXT_MULTI)      /* several FULLTEXT indexes in one statement */     \
    X(ADD_SPATIAL)             /* SPATIAL index */                                 \
    X(DROP_INDEX)              /* DROP INDEX / DROP KEY */                         \
    X(RENAME_INDEX)            /* RENAME INDEX / KEY */                            \
    X(INDEX_RETYPE)            /* DROP INDEX i, ADD INDEX i (...) in one ALTER */  \
    X(INDEX_VISIBILITY)        /* ALTER INDEX i INVISIBLE / IGNORED */             \
    X(ADD_PK)                  /* ADD PRIMARY KEY */                               \
    X(DROP_PK)                 /* DROP PRIMARY KEY without adding one */           \
    X(DROP_ADD_PK)             /* DROP PRIMARY KEY, ADD PRIMARY KEY */             \
    X(ADD_FK)                  /* ADD FOREIGN KEY (foreign_key_checks=1) */        \
    X(DROP_FK)                 /* DROP FOREIGN KEY */                              \
    X(ADD_CHECK)               /* ADD CHECK constraint */                          \
    X(DROP_CONSTRAINT)         /* DROP CONSTRAINT / DROP CHECK, kind unknown */    \
    X(ALTER_CHECK)             /* ALTER CHECK c [NOT] ENFORCED */                  \
    X(RENAME_TABLE)            /* ALTER TABLE ... RENAME TO */                     \
    X(CONVERT_CHARSET)         /* CONVERT TO CHARACTER SET, column types change */ \
    X(CONVERT_CHARSET_INSTANT) /* CONVERT TO, no column actually changes */        \
    X(CONVERT_CHARSET_NOCOPY)  /* CONVERT TO, only index collations change */      \
    X(DEFAULT_CHARSET)         /* [DEFAULT] CHARACTER SET = x (table default) */   \
    X(NULL_REBUILD)            /* FORCE / ENGINE=<same engine> */                  \
    X(ENGINE_CHANGE)           /* ENGINE=<other engine> */                         \
    X(ROW_FORMAT)              /* ROW_FORMAT= */                                   \
    X(KEY_BLOCK_SIZE)          /* KEY_BLOCK_SIZE= */                               \
    X(STATS_OPTION)            /* STATS_PERSISTENT/SAMPLE_PAGES/AUTO_RECALC */     \
    X(AUTO_INCREMENT)          /* AUTO_INCREMENT=n */                              \
    X(TABLE_COMMENT)           /* COMMENT='...' */                                 \
    X(ENCRYPTION)              /* ENCRYPTION= / ENCRYPTED= */                      \
    X(PAGE_COMPRESSED)         /* MariaDB PAGE_COMPRESSED= */                      \
    X(TABLE_OPTION)            /* a table option not modelled above */             \
    X(ORDER_BY)                /* ORDER BY */                                      \
    X(TABLESPACE)              /* DISCARD / IMPORT TABLESPACE */                   \
    X(KEYS_ONOFF)              /* ENABLE / DISABLE KEYS */                         \
    X(PART_BY)                 /* PARTITION BY (repartition) */                    \
    X(PART_REMOVE)             /* REMOVE PARTITIONING */                           \
    X(PART_ADD)                /* ADD PARTITION */                                 \
    X(PART_DROP)               /* DROP PARTITION */                                \
    X(PART_TRUNCATE)           /* TRUNCATE PARTITION */                            \
    X(PART_COALESCE)           /* COALESCE PARTITION */                            \
    X(PART_REORGANIZE)         /* REORGANIZE PARTITION */                          \
    X(PART_EXCHANGE)           /* EXCHANGE PARTITION */                            \
    X(PART_ADMIN)              /* ANALYZE/CHECK/REPAIR PARTITION */                \
    X(PART_OPTIMIZE)           /* OPTIMIZE PARTITION */                            \
    X(PART_REBUILD)            /* REBUILD PARTITION */                             \
    X(PART_TABLESPACE)         /* DISCARD/IMPORT PARTITION ... TABLESPACE */       \
    X(PART_CONVERT)            /* MariaDB CONVERT PARTITION / TABLE */             \
    X(ADD_SYSVER)              /* MariaDB ADD SYSTEM VERSIONING */                 \
    X(DROP_SYSVER)             /* MariaDB DROP SYSTEM VERSIONING */                \
    X(PERIOD)                  /* MariaDB ADD/DROP PERIOD FOR */                   \
    X(OTHER)                   /* a spec the parser did not model */               \
    X(OPTIMIZE)                /* OPTIMIZE TABLE (InnoDB: recreate + analyze) */   \
    X(OPTIMIZE_FT)             /* OPTIMIZE TABLE on a table with FULLTEXT */

enum dm_cond {
#define DM_COND_ENUM(n) DM_##n,
    DM_CONDS(DM_COND_ENUM)
#undef DM_COND_ENUM
    DM__COUNT
};

struct dm_row {
    const char *id; /* matrix row id, cited in logs and tests */
    enum dm_cond cond;
    enum sql_flavour flavour;
    unsigned min_ver;        /* inclusive, sql_server.version encoding */
    unsigned max_ver;        /* inclusive */
    enum sql_algorithm best; /* SQL_ALG_NONE: not an algorithm question */
    bool lock_none;          /* concurrent DML (LOCK=NONE) at `best` */
    bool rebuild;            /* table (or affected partitions) rebuilt */
    bool clause_allowed;     /* ALGORITHM=/LOCK= accepted with this op */
    /* A row-format change done without a rebuild (INSTANT add/drop/
     * reorder of a stored column; MariaDB's NOCOPY drop of an indexed
     * column): rebuilds in place when combined with a non-instant op, on
     * FULLTEXT tables and on ROW_FORMAT=COMPRESSED (matrix C1 notes). */
    bool fragile;
};

#define DM_V(a, b, c) ((unsigned)(a)*10000u + (unsigned)(b)*100u + (unsigned)(c))
#define DM_VMAX 999999u

/* R(id, cond, flavour, from, to, best, lock_none, rebuild, clause, fragile) */
#define DM_R(id, c, fl, lo, hi, alg, ln, rb, cl, fr)                        \
    {                                                                       \
        id, DM_##c, SQL_FLAVOUR_##fl, lo, hi, SQL_ALG_##alg, ln, rb, cl, fr \
    }
#define Y true
#define N false
#define MAXV DM_VMAX

/* Rows are searched in order; the first match wins.  Every condition has
 * rows for both flavours covering 0..MAXV (check_classify.c verifies it). */
static const struct dm_row dm_rows[] = {
    /* ---- columns (matrix 2.1) -------------------------------------- */
    /* M57 Table 14.12 / M80 Table 17.18: INSTANT add-last from 8.0.12 */
    DM_R("C1", ADD_COL_LAST, MYSQL, 0, DM_V(8, 0, 11), INPLACE, Y, Y, Y, N),
    DM_R("C1", ADD_COL_LAST, MYSQL, DM_V(8, 0, 12), MAXV, INSTANT, Y, N, Y, Y),
    /* MDB-INSTANT: instant ADD last column 10.3.2; ORA 5.1 also for
     * time-function defaults (C036) */
    DM_R("C1", ADD_COL_LAST, MARIADB, 0, DM_V(10, 3, 1), INPLACE, Y, Y, Y, N),
    DM_R("C1", ADD_COL_LAST, MARIADB, DM_V(10, 3, 2), MAXV, INSTANT, Y, N, Y, Y),
    /* M80: "Before MySQL 8.0.29, INSTANT could only add a column as the
     * last column"; MDB-INSTANT: any position from 10.4 */
    DM_R("C2", ADD_COL_POS, MYSQL, 0, DM_V(8, 0, 28), INPLACE, Y, Y, Y, N),
    DM_R("C2", ADD_COL_POS, MYSQL, DM_V(8, 0, 29), MAXV, INSTANT, Y, N, Y, Y),
    DM_R("C2", ADD_COL_POS, MARIADB, 0, DM_V(10, 3, 99), INPLACE, Y, Y, Y, N),
    DM_R("C2", ADD_COL_POS, MARIADB, DM_V(10, 4, 0), MAXV, INSTANT, Y, N, Y, Y),
    /* C5: MySQL tables silent [uncertain]; ORA 5.1: DEFAULT (UUID()) COPY */
    DM_R("C5", ADD_COL_EXPR, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C5", ADD_COL_EXPR, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* C6: M80 "Concurrent DML is not permitted when adding an
     * auto-increment column"; ORA 5.7; MDB-OSC excludes it from online COPY */
    DM_R("C6", ADD_COL_AUTOINC, MYSQL, 0, MAXV, INPLACE, N, Y, Y, N),
    DM_R("C6", ADD_COL_AUTOINC, MARIADB, 0, MAXV, INPLACE, N, Y, Y, N),
    /* C7: M80 Table 17.19, stored generated column = COPY */
    DM_R("C7", ADD_COL_STORED, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C7", ADD_COL_STORED, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* C8: M57 in place, metadata only; M80 instant (keyword 8.0.12) */
    DM_R("C8", ADD_COL_VIRTUAL, MYSQL, 0, DM_V(8, 0, 11), INPLACE, Y, N, Y, N),
    DM_R("C8", ADD_COL_VIRTUAL, MYSQL, DM_V(8, 0, 12), MAXV, INSTANT, Y, N, Y, N),
    DM_R("C8", ADD_COL_VIRTUAL, MARIADB, 0, DM_V(10, 3, 1), INPLACE, Y, N, Y, N),
    DM_R("C8", ADD_COL_VIRTUAL, MARIADB, DM_V(10, 3, 2), MAXV, INSTANT, Y, N, Y, N),
    /* C9: M80 "INSTANT is the default algorithm as of MySQL 8.0.29";
     * MDB-INSTANT instant DROP from 10.4 */
    DM_R("C9", DROP_COL, MYSQL, 0, DM_V(8, 0, 28), INPLACE, Y, Y, Y, N),
    DM_R("C9", DROP_COL, MYSQL, DM_V(8, 0, 29), MAXV, INSTANT, Y, N, Y, Y),
    DM_R("C9", DROP_COL, MARIADB, 0, DM_V(10, 3, 99), INPLACE, Y, Y, Y, N),
    DM_R("C9", DROP_COL, MARIADB, DM_V(10, 4, 0), MAXV, INSTANT, Y, N, Y, Y),
    /* C9 note [src, uncertain]: dropping an indexed column changes the
     * index, DROP_INDEX is not in INNOBASE_INSTANT_ALLOWED.  MariaDB 10.11
     * (it_oracle --all, corpus C067's statement): instant column drop plus
     * a NOCOPY index drop, no rebuild. */
    DM_R("C9-idx", DROP_COL_INDEXED, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("C9-idx", DROP_COL_INDEXED, MARIADB, 0, DM_V(10, 3, 99), INPLACE, Y, Y, Y, N),
    DM_R("C9-idx", DROP_COL_INDEXED, MARIADB, DM_V(10, 4, 0), MAXV, NOCOPY, Y, N, Y, Y),
    /* C10: M80 Table 17.19 "Dropping a STORED column: In Place, Rebuilds" */
    DM_R("C10", DROP_COL_STORED, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("C10", DROP_COL_STORED, MARIADB, 0, DM_V(10, 3, 99), INPLACE, Y, Y, Y, N),
    DM_R("C10", DROP_COL_STORED, MARIADB, DM_V(10, 4, 0), MAXV, INSTANT, Y, N, Y, Y),
    /* C11: M57 in place metadata only; M80 instant */
    DM_R("C11", DROP_COL_VIRTUAL, MYSQL, 0, DM_V(8, 0, 11), INPLACE, Y, N, Y, N),
    DM_R("C11", DROP_COL_VIRTUAL, MYSQL, DM_V(8, 0, 12), MAXV, INSTANT, Y, N, Y, N),
    DM_R("C11", DROP_COL_VIRTUAL, MARIADB, 0, DM_V(10, 3, 1), INPLACE, Y, N, Y, N),
    DM_R("C11", DROP_COL_VIRTUAL, MARIADB, DM_V(10, 3, 2), MAXV, INSTANT, Y, N, Y, N),
    /* C12: M80 instant rename from 8.0.28; SRC-MDB-H0ALTER column name
     * in INNOBASE_ALTER_INSTANT (keyword 10.3.7) */
    DM_R("C12", RENAME_COL, MYSQL, 0, DM_V(8, 0, 27), INPLACE, Y, N, Y, N),
    DM_R("C12", RENAME_COL, MYSQL, DM_V(8, 0, 28), MAXV, INSTANT, Y, N, Y, N),
    DM_R("C12", RENAME_COL, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("C12", RENAME_COL, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* C12 note (M80): a column referenced by a foreign key: INPLACE only.
     * MariaDB documents no such limit [uncertain]. */
    DM_R("C12-fk", RENAME_COL_FK, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("C12-fk", RENAME_COL_FK, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("C12-fk", RENAME_COL_FK, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* C13: M80 reorder "Instant No, rebuilds"; MDB-INSTANT 10.4+ */
    DM_R("C13", REORDER_COL, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("C13", REORDER_COL, MARIADB, 0, DM_V(10, 3, 99), INPLACE, Y, Y, Y, N),
    DM_R("C13", REORDER_COL, MARIADB, DM_V(10, 4, 0), MAXV, INSTANT, Y, N, Y, Y),
    /* C13 note: M80 Table 17.19 generated column reorder = COPY */
    DM_R("C13-gen", REORDER_GEN, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C13-gen", REORDER_GEN, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* C14/C17: M80 "Changing the column data type is only supported with
     * ALGORITHM=COPY"; ORA 5.4: INT->BIGINT COPY even for REDUNDANT */
    DM_R("C14", TYPE_CHANGE, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C14", TYPE_CHANGE, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* C15: M80 "Extending VARCHAR column size" in place, no rebuild;
     * MariaDB ALGORITHM=INSTANT from 10.3.7 (ORA C122) */
    DM_R("C15", VARCHAR_EXTEND, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("C15", VARCHAR_EXTEND, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("C15", VARCHAR_EXTEND, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* C16: across the 255-byte boundary = COPY (M80 error 0A000; ORA
     * C125); MariaDB 10.4.3+ instant when the old size is <= 127 bytes or
     * ROW_FORMAT=REDUNDANT (MDEV-15563, ORA C126) */
    DM_R("C16", VARCHAR_CROSS, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C16", VARCHAR_CROSS, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C16-127", VARCHAR_CROSS_SMALL, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C16-127", VARCHAR_CROSS_SMALL, MARIADB, 0, DM_V(10, 4, 2), COPY, N, Y, Y, N),
    DM_R("C16-127", VARCHAR_CROSS_SMALL, MARIADB, DM_V(10, 4, 3), MAXV, INSTANT, Y, N, Y, N),
    DM_R("C16-red", VARCHAR_CROSS_REDUNDANT, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C16-red", VARCHAR_CROSS_REDUNDANT, MARIADB, 0, DM_V(10, 4, 2), COPY, N, Y, Y, N),
    DM_R("C16-red", VARCHAR_CROSS_REDUNDANT, MARIADB, DM_V(10, 4, 3), MAXV, INSTANT, Y, N, Y, N),
    /* C18: charset change = type change; MariaDB 10.4.3+ utf8mb3->utf8mb4
     * of a non-indexed column is instant (MDEV-15564, ORA C132) */
    DM_R("C18", CHARSET_COL, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C18", CHARSET_COL, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C18-mb4", CHARSET_MB3_MB4, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C18-mb4", CHARSET_MB3_MB4, MARIADB, 0, DM_V(10, 4, 2), COPY, N, Y, Y, N),
    DM_R("C18-mb4", CHARSET_MB3_MB4, MARIADB, DM_V(10, 4, 3), MAXV, INSTANT, Y, N, Y, N),
    /* C19: M80 "Rebuilds the table in place"; MariaDB REDUNDANT instant
     * from 10.4.3 (ORA C139/C140) */
    DM_R("C19", MAKE_NULL, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("C19", MAKE_NULL, MARIADB, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("C19-red", MAKE_NULL_REDUNDANT, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("C19-red", MAKE_NULL_REDUNDANT, MARIADB, 0, DM_V(10, 4, 2), INPLACE, Y, Y, Y, N),
    DM_R("C19-red", MAKE_NULL_REDUNDANT, MARIADB, DM_V(10, 4, 3), MAXV, INSTANT, Y, N, Y, N),
    /* C20: M80; MariaDB never INSTANT/NOCOPY (ORA C141) */
    DM_R("C20", MAKE_NOT_NULL, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("C20", MAKE_NOT_NULL, MARIADB, 0, MAXV, INPLACE, Y, Y, Y, N),
    /* C21/C25: default and comment changes only touch metadata */
    DM_R("C21", COL_META, MYSQL, 0, DM_V(8, 0, 11), INPLACE, Y, N, Y, N),
    DM_R("C21", COL_META, MYSQL, DM_V(8, 0, 12), MAXV, INSTANT, Y, N, Y, N),
    DM_R("C21", COL_META, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("C21", COL_META, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* C22: M80 appending ENUM/SET members is instant */
    DM_R("C22", ENUM_APPEND, MYSQL, 0, DM_V(8, 0, 11), INPLACE, Y, N, Y, N),
    DM_R("C22", ENUM_APPEND, MYSQL, DM_V(8, 0, 12), MAXV, INSTANT, Y, N, Y, N),
    DM_R("C22", ENUM_APPEND, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("C22", ENUM_APPEND, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* C23: M80 "Adding members in the middle ... requires a table copy" */
    DM_R("C23", ENUM_REBUILD, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("C23", ENUM_REBUILD, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* C24: ALTER_COLUMN_VISIBILITY in INNOBASE_INPLACE_IGNORE [src];
     * MariaDB INVISIBLE attribute [uncertain] */
    DM_R("C24", COL_VISIBILITY, MYSQL, 0, DM_V(8, 0, 22), INPLACE, Y, N, Y, N),
    DM_R("C24", COL_VISIBILITY, MYSQL, DM_V(8, 0, 23), MAXV, INSTANT, Y, N, Y, N),
    DM_R("C24", COL_VISIBILITY, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("C24", COL_VISIBILITY, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),

    /* ---- indexes (matrix 2.2) ---------------------------------------- */
    /* I1: M80 in place, no rebuild; MariaDB NOCOPY (ORA C157/C158) */
    DM_R("I1", ADD_INDEX, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("I1", ADD_INDEX, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("I1", ADD_INDEX, MARIADB, DM_V(10, 3, 7), MAXV, NOCOPY, Y, N, Y, N),
    /* I1 note: a NOT NULL UNIQUE key on a table without PK becomes the
     * clustered index, so the table is rebuilt [src] */
    DM_R("I1-clu", ADD_UNIQUE_CLUSTER, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("I1-clu", ADD_UNIQUE_CLUSTER, MARIADB, 0, MAXV, INPLACE, Y, Y, Y, N),
    /* I6: first FULLTEXT rebuilds (FTS_DOC_ID), LOCK=NONE refused (ORA
     * 5.6); later ones NOCOPY/no rebuild, still SHARED; two at once COPY */
    DM_R("I6", ADD_FULLTEXT_FIRST, MYSQL, 0, MAXV, INPLACE, N, Y, Y, N),
    DM_R("I6", ADD_FULLTEXT_FIRST, MARIADB, 0, MAXV, INPLACE, N, Y, Y, N),
    DM_R("I6-next", ADD_FULLTEXT_NEXT, MYSQL, 0, MAXV, INPLACE, N, N, Y, N),
    DM_R("I6-next", ADD_FULLTEXT_NEXT, MARIADB, 0, DM_V(10, 3, 6), INPLACE, N, N, Y, N),
    DM_R("I6-next", ADD_FULLTEXT_NEXT, MARIADB, DM_V(10, 3, 7), MAXV, NOCOPY, N, N, Y, N),
    DM_R("I6-multi", ADD_FULLTEXT_MULTI, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("I6-multi", ADD_FULLTEXT_MULTI, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* I7: M80 example LOCK=SHARED; ORA C178 NOCOPY, LOCK=NONE refused */
    DM_R("I7", ADD_SPATIAL, MYSQL, 0, MAXV, INPLACE, N, N, Y, N),
    DM_R("I7", ADD_SPATIAL, MARIADB, 0, DM_V(10, 3, 6), INPLACE, N, N, Y, N),
    DM_R("I7", ADD_SPATIAL, MARIADB, DM_V(10, 3, 7), MAXV, NOCOPY, N, N, Y, N),
    /* I2: M80 Instant No; MariaDB INNOBASE_ALTER_NOCREATE => NOCOPY (ORA
     * C169: "Try ALGORITHM=NOCOPY") */
    DM_R("I2", DROP_INDEX, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("I2", DROP_INDEX, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("I2", DROP_INDEX, MARIADB, DM_V(10, 3, 7), MAXV, NOCOPY, Y, N, Y, N),
    /* I3: M80 in place; ALTER_RENAME_INDEX in MariaDB INNOBASE_ALTER_INSTANT */
    DM_R("I3", RENAME_INDEX, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("I3", RENAME_INDEX, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("I3", RENAME_INDEX, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* I4: M80 example uses ALGORITHM=INSTANT; MariaDB NOCOPY [uncertain] */
    DM_R("I4", INDEX_RETYPE, MYSQL, 0, DM_V(8, 0, 11), INPLACE, Y, N, Y, N),
    DM_R("I4", INDEX_RETYPE, MYSQL, DM_V(8, 0, 12), MAXV, INSTANT, Y, N, Y, N),
    DM_R("I4", INDEX_RETYPE, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("I4", INDEX_RETYPE, MARIADB, DM_V(10, 3, 7), MAXV, NOCOPY, Y, N, Y, N),
    /* I5: CHANGE_INDEX_OPTION in INNOBASE_INPLACE_IGNORE [src];
     * MariaDB IGNORED indexes [uncertain] */
    DM_R("I5", INDEX_VISIBILITY, MYSQL, 0, DM_V(8, 0, 11), INPLACE, Y, N, Y, N),
    DM_R("I5", INDEX_VISIBILITY, MYSQL, DM_V(8, 0, 12), MAXV, INSTANT, Y, N, Y, N),
    DM_R("I5", INDEX_VISIBILITY, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("I5", INDEX_VISIBILITY, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* I8/I10: M80, ORA 5.7 rebuilding INPLACE with LOCK=NONE */
    DM_R("I8", ADD_PK, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("I8", ADD_PK, MARIADB, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("I10", DROP_ADD_PK, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("I10", DROP_ADD_PK, MARIADB, 0, MAXV, INPLACE, Y, Y, Y, N),
    /* I9: M80 "Only ALGORITHM=COPY supports dropping a primary key
     * without adding a new one"; ORA 5.8 */
    DM_R("I9", DROP_PK, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("I9", DROP_PK, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* I12: foreign_key_checks=1 => COPY (M80; MariaDB "Adding foreign
     * keys needs foreign_key_checks=OFF").  With checks off it would be
     * I11 (INPLACE / NOCOPY, no rebuild), but the classifier cannot see
     * the session variable and stays on the safe side. */
    DM_R("I12", ADD_FK, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("I12", ADD_FK, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* I13: M80 in place; MDB-INSTANT */
    DM_R("I13", DROP_FK, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("I13", DROP_FK, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("I13", DROP_FK, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* T15: CHECK parsed and ignored before 8.0.16 (no-op); existing rows
     * validated afterwards [uncertain]; MariaDB only under COPY */
    DM_R("T15", ADD_CHECK, MYSQL, 0, DM_V(8, 0, 15), NONE, N, N, Y, N),
    DM_R("T15", ADD_CHECK, MYSQL, DM_V(8, 0, 16), MAXV, COPY, N, Y, Y, N),
    DM_R("T15", ADD_CHECK, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* T16/I13: MySQL DROP CONSTRAINT may name a CHECK (instant), a UNIQUE
     * key or a FOREIGN KEY (both INPLACE, no rebuild): the worst is kept.
     * MariaDB: CHECK and FK drops are both instant (MDB-INSTANT, ORA C227) */
    DM_R("T16", DROP_CONSTRAINT, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("T16", DROP_CONSTRAINT, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("T16", DROP_CONSTRAINT, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* T15: ENFORCED makes the server validate every row [uncertain] */
    DM_R("T15-alter", ALTER_CHECK, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T15-alter", ALTER_CHECK, MARIADB, 0, MAXV, COPY, N, Y, Y, N),

    /* ---- table options (matrix 2.3) ---------------------------------- */
    /* T12: metadata only but exclusive MDL: LOCK=NONE/SHARED rejected
     * (SRC-SQLTABLE, ORA 5.12) */
    DM_R("T12", RENAME_TABLE, MYSQL, 0, DM_V(8, 0, 11), INPLACE, N, N, Y, N),
    DM_R("T12", RENAME_TABLE, MYSQL, DM_V(8, 0, 12), MAXV, INSTANT, N, N, Y, N),
    DM_R("T12", RENAME_TABLE, MARIADB, 0, DM_V(10, 3, 6), INPLACE, N, N, Y, N),
    DM_R("T12", RENAME_TABLE, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, N, N, Y, N),
    /* T7: M57 example ALGORITHM=COPY; M80 table says no concurrent DML;
     * ORA 5.9 for the MariaDB variants */
    DM_R("T7", CONVERT_CHARSET, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T7", CONVERT_CHARSET, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T7-noop", CONVERT_CHARSET_INSTANT, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T7-noop", CONVERT_CHARSET_INSTANT, MARIADB, 0, DM_V(10, 4, 2), COPY, N, Y, Y, N),
    DM_R("T7-noop", CONVERT_CHARSET_INSTANT, MARIADB, DM_V(10, 4, 3), MAXV, INSTANT, Y, N, Y, N),
    DM_R("T7-idx", CONVERT_CHARSET_NOCOPY, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T7-idx", CONVERT_CHARSET_NOCOPY, MARIADB, 0, DM_V(10, 4, 2), COPY, N, Y, Y, N),
    DM_R("T7-idx", CONVERT_CHARSET_NOCOPY, MARIADB, DM_V(10, 4, 3), MAXV, NOCOPY, Y, N, Y, N),
    /* T6: M80 "Rebuilds the table if the new character encoding is
     * different" (worst kept); ORA 5.9: MariaDB table default only = INSTANT */
    DM_R("T6", DEFAULT_CHARSET, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("T6", DEFAULT_CHARSET, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("T6", DEFAULT_CHARSET, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* T9/T10: FORCE / ENGINE=<same>: online rebuild since 5.6.17 */
    DM_R("T9", NULL_REBUILD, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("T9", NULL_REBUILD, MARIADB, 0, MAXV, INPLACE, Y, Y, Y, N),
    /* T11: engine change copies */
    DM_R("T11", ENGINE_CHANGE, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T11", ENGINE_CHANGE, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* T1/T2: M80, MDB-INPLACE */
    DM_R("T1", ROW_FORMAT, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("T1", ROW_FORMAT, MARIADB, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("T2", KEY_BLOCK_SIZE, MYSQL, 0, MAXV, INPLACE, Y, Y, Y, N),
    DM_R("T2", KEY_BLOCK_SIZE, MARIADB, 0, MAXV, INPLACE, Y, Y, Y, N),
    /* T3: M80 "Only modifies table metadata"; MariaDB [uncertain] */
    DM_R("T3", STATS_OPTION, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("T3", STATS_OPTION, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("T3", STATS_OPTION, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* T4: M80 "Modifies a value stored in memory" */
    DM_R("T4", AUTO_INCREMENT, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("T4", AUTO_INCREMENT, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("T4", AUTO_INCREMENT, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* T5: not in the tables, metadata only [uncertain] */
    DM_R("T5", TABLE_COMMENT, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("T5", TABLE_COMMENT, MARIADB, 0, DM_V(10, 3, 6), INPLACE, Y, N, Y, N),
    DM_R("T5", TABLE_COMMENT, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, Y, N, Y, N),
    /* T13: M80 tablespace tables; MariaDB ENCRYPTED=YES rebuild [uncertain] */
    DM_R("T13", ENCRYPTION, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T13", ENCRYPTION, MARIADB, 0, MAXV, INPLACE, Y, Y, Y, N),
    /* T17: ORA C232/C233: PAGE_COMPRESSED=1 and =0 both rebuild in place on
     * 10.11.19 (docs claim instant; the server wins).  Not a MySQL option. */
    DM_R("T17", PAGE_COMPRESSED, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T17", PAGE_COMPRESSED, MARIADB, 0, MAXV, INPLACE, Y, Y, Y, N),
    /* unknown table option: assume a copy */
    DM_R("T-other", TABLE_OPTION, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T-other", TABLE_OPTION, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* ORDER BY always copies (MDB-OSC: not online even in 11.2+); it must
     * come last, so an appended ", ALGORITHM=" is a syntax error (1064,
     * it_oracle X33) */
    DM_R("T-order", ORDER_BY, MYSQL, 0, MAXV, COPY, N, Y, N, N),
    DM_R("T-order", ORDER_BY, MARIADB, 0, MAXV, COPY, N, Y, N, N),
    /* DISCARD/IMPORT TABLESPACE: no algorithm choice, exclusive */
    DM_R("T-ts", TABLESPACE, MYSQL, 0, MAXV, NONE, N, N, N, N),
    DM_R("T-ts", TABLESPACE, MARIADB, 0, MAXV, NONE, N, N, N, N),
    /* ENABLE/DISABLE KEYS: X-lock only like a rename (SRC-SQLTABLE) */
    DM_R("T-keys", KEYS_ONOFF, MYSQL, 0, DM_V(8, 0, 11), INPLACE, N, N, Y, N),
    DM_R("T-keys", KEYS_ONOFF, MYSQL, DM_V(8, 0, 12), MAXV, INSTANT, N, N, Y, N),
    DM_R("T-keys", KEYS_ONOFF, MARIADB, 0, DM_V(10, 3, 6), INPLACE, N, N, Y, N),
    DM_R("T-keys", KEYS_ONOFF, MARIADB, DM_V(10, 3, 7), MAXV, INSTANT, N, N, Y, N),
    /* T18: ORA C234: rebuilding INPLACE, LOCK=NONE refused */
    DM_R("T18-add", ADD_SYSVER, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T18-add", ADD_SYSVER, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T18", DROP_SYSVER, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T18", DROP_SYSVER, MARIADB, 0, MAXV, INPLACE, N, Y, Y, N),
    DM_R("T-period", PERIOD, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("T-period", PERIOD, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("X-other", OTHER, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("X-other", OTHER, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* T8: OPTIMIZE = recreate + analyze (online rebuild), no ALGORITHM/LOCK
     * syntax (M80; ORA C220, 5.11: 1064 with a clause).  FULLTEXT: MySQL
     * copies, MariaDB rebuilds without LOCK=NONE (ORA 5.6/5.11) */
    DM_R("T8", OPTIMIZE, MYSQL, 0, MAXV, INPLACE, Y, Y, N, N),
    DM_R("T8", OPTIMIZE, MARIADB, 0, MAXV, INPLACE, Y, Y, N, N),
    DM_R("T8-ft", OPTIMIZE_FT, MYSQL, 0, MAXV, COPY, N, Y, N, N),
    DM_R("T8-ft", OPTIMIZE_FT, MARIADB, 0, MAXV, INPLACE, N, Y, N, N),

    /* ---- partitions (matrix 2.4; MySQL tables 14.17 / 17.23) ---------- */
    /* MySQL 5.7 "DEF" cells: only ALGORITHM=DEFAULT, LOCK=DEFAULT => n.a.
     * MariaDB (ORA C257, 5.10): partition maintenance takes no ALGORITHM/
     * LOCK clause at all (1064) and needs an exclusive MDL. */
    DM_R("P1", PART_BY, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("P1", PART_BY, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("P12", PART_REMOVE, MYSQL, 0, MAXV, COPY, N, Y, Y, N),
    DM_R("P12", PART_REMOVE, MARIADB, 0, MAXV, COPY, N, Y, Y, N),
    /* P2/P3: RANGE/LIST add is INPLACE+NONE, HASH/KEY redistributes with
     * LOCK=SHARED; the partitioning type is not known here: worst kept */
    DM_R("P3", PART_ADD, MYSQL, 0, DM_V(7, 99, 99), NONE, N, Y, N, N),
    DM_R("P3", PART_ADD, MYSQL, DM_V(8, 0, 0), MAXV, INPLACE, N, Y, Y, N),
    DM_R("P2", PART_ADD, MARIADB, 0, MAXV, NONE, N, N, N, N),
    DM_R("P4", PART_DROP, MYSQL, 0, DM_V(7, 99, 99), NONE, N, N, N, N),
    DM_R("P4", PART_DROP, MYSQL, DM_V(8, 0, 0), MAXV, INPLACE, Y, N, Y, N),
    DM_R("P4", PART_DROP, MARIADB, 0, MAXV, NONE, N, N, N, N),
    /* P5: corpus C247 "no ALGORITHM syntax for TRUNCATE PARTITION" */
    DM_R("P5", PART_TRUNCATE, MYSQL, 0, MAXV, INPLACE, Y, N, N, N),
    DM_R("P5", PART_TRUNCATE, MARIADB, 0, MAXV, NONE, N, N, N, N),
    DM_R("P6", PART_COALESCE, MYSQL, 0, DM_V(7, 99, 99), NONE, N, Y, N, N),
    DM_R("P6", PART_COALESCE, MYSQL, DM_V(8, 0, 0), MAXV, INPLACE, N, Y, Y, N),
    DM_R("P6", PART_COALESCE, MARIADB, 0, MAXV, NONE, N, Y, N, N),
    DM_R("P7", PART_REORGANIZE, MYSQL, 0, DM_V(7, 99, 99), NONE, N, Y, N, N),
    DM_R("P7", PART_REORGANIZE, MYSQL, DM_V(8, 0, 0), MAXV, INPLACE, N, Y, Y, N),
    DM_R("P7", PART_REORGANIZE, MARIADB, 0, MAXV, NONE, N, Y, N, N),
    /* P8: in place, permits DML; MariaDB [uncertain] */
    DM_R("P8", PART_EXCHANGE, MYSQL, 0, MAXV, INPLACE, Y, N, Y, N),
    DM_R("P8", PART_EXCHANGE, MARIADB, 0, MAXV, NONE, N, N, N, N),
    /* P9/P10: "ALGORITHM and LOCK clauses are ignored" */
    DM_R("P9", PART_ADMIN, MYSQL, 0, MAXV, INPLACE, Y, N, N, N),
    DM_R("P9", PART_ADMIN, MARIADB, 0, MAXV, NONE, N, N, N, N),
    DM_R("P10", PART_OPTIMIZE, MYSQL, 0, MAXV, COPY, N, Y, N, N),
    DM_R("P10", PART_OPTIMIZE, MARIADB, 0, MAXV, NONE, N, Y, N, N),
    DM_R("P11", PART_REBUILD, MYSQL, 0, DM_V(7, 99, 99), NONE, N, Y, N, N),
    DM_R("P11", PART_REBUILD, MYSQL, DM_V(8, 0, 0), MAXV, INPLACE, N, Y, Y, N),
    DM_R("P11", PART_REBUILD, MARIADB, 0, MAXV, NONE, N, Y, N, N),
    DM_R("P13", PART_TABLESPACE, MYSQL, 0, MAXV, NONE, N, N, N, N),
    DM_R("P13", PART_TABLESPACE, MARIADB, 0, MAXV, NONE, N, N, N, N),
    DM_R("P-conv", PART_CONVERT, MYSQL, 0, MAXV, NONE, N, N, N, N),
    DM_R("P-conv", PART_CONVERT, MARIADB, 0, MAXV, NONE, N, N, N, N),
};

#undef Y
#undef N
#undef MAXV
#undef DM_R

#define DM_NROWS (sizeof dm_rows / sizeof dm_rows[0])

#endif
