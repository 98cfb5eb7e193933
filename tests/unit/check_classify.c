/*
 * check_classify.c - the online-DDL classifier: matrix completeness, hand-
 * built statement fixtures, and the shared corpus (tests/data/ddl-cases.tsv)
 * parsed with sql_parse() and classified against per-row table facts
 * (tests/data/classify-facts.tsv).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "ddl_matrix.h"
#include "gate.h"
#include "sql.h"
#include "classify_facts.h"

/* ---- fixtures -------------------------------------------------------- */

static const struct sql_server MY5744 = {SQL_FLAVOUR_MYSQL, 50744, false};
static const struct sql_server MY8011 = {SQL_FLAVOUR_MYSQL, 80011, false};
static const struct sql_server MY8028 = {SQL_FLAVOUR_MYSQL, 80028, false};
static const struct sql_server MY8029 = {SQL_FLAVOUR_MYSQL, 80029, false};
static const struct sql_server MY8035 = {SQL_FLAVOUR_MYSQL, 80035, false};
static const struct sql_server MD10339 = {SQL_FLAVOUR_MARIADB, 100339, false};
static const struct sql_server MD1011 = {SQL_FLAVOUR_MARIADB, 101119, false};
static const struct sql_server MD1104 = {SQL_FLAVOUR_MARIADB, 110408, false};

static struct gate_column_info fx_cols[] = {
    {.name = "id", .type = "INT", .length = -1, .auto_increment = true, .in_index = true},
    {.name = "name",
     .type = "VARCHAR",
     .length = 50,
     .charset = "utf8mb4",
     .max_bytes_per_char = 4,
     .nullable = true},
    {.name = "code",
     .type = "VARCHAR",
     .length = 100,
     .charset = "latin1",
     .max_bytes_per_char = 1,
     .nullable = false,
     .in_index = true},
    {.name = "qty", .type = "INT", .length = -1, .nullable = false},
    {.name = "v", .type = "INT", .length = -1, .nullable = true, .is_virtual = true},
};

/* corpus section 6 defaults: InnoDB, DYNAMIC, PK, no FULLTEXT/FK */
static struct gate_table_info fx_table(void)
{
    struct gate_table_info t = {
        .schema = "s",
        .name = "t",
        .engine = "InnoDB",
        .row_format = "DYNAMIC",
        .has_primary_key = true,
        .ncols = (int)(sizeof fx_cols / sizeof fx_cols[0]),
        .cols = fx_cols,
    };
    return t;
}

static struct sql_stmt fx_alter(struct sql_alter_spec *specs, int n)
{
    struct sql_stmt st;
    memset(&st, 0, sizeof st);
    st.kind = SQL_KIND_DDL;
    st.ddl = SQL_DDL_ALTER_TABLE;
    st.parsed = true;
    st.alter.table.name = "t";
    st.alter.specs = specs;
    st.alter.nspecs = n;
    return st;
}

static struct sql_alter_spec fx_add_col(const char *name, const char *type, enum sql_col_pos pos)
{
    struct sql_alter_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.op = SQL_AOP_ADD_COLUMN;
    sp.col.name = name;
    sp.col.type = type;
    sp.col.length = -1;
    sp.col.scale = -1;
    sp.col.pos = pos;
    sp.col.after = pos == SQL_POS_AFTER ? "id" : NULL;
    return sp;
}

static struct sql_alter_spec fx_modify(const char *name, const char *type, int64_t len,
                                       enum sql_nullability nul)
{
    struct sql_alter_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.op = SQL_AOP_MODIFY_COLUMN;
    sp.col.name = name;
    sp.col.type = type;
    sp.col.length = len;
    sp.col.scale = -1;
    sp.col.nullability = nul;
    return sp;
}

static struct sql_alter_spec fx_op(enum sql_alter_op op, const char *old_name)
{
    struct sql_alter_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.op = op;
    sp.old_name = old_name;
    sp.col.length = -1;
    return sp;
}

static struct sql_alter_spec fx_index(enum sql_index_kind kind, const char *name, const char *col)
{
    static const char *colv[8];
    static int next;
    struct sql_alter_spec sp = fx_op(SQL_AOP_ADD_INDEX, NULL);
    colv[next & 7] = col;
    sp.index.kind = kind;
    sp.index.name = name;
    sp.index.ncols = 1;
    sp.index.cols = &colv[next & 7];
    next++;
    return sp;
}

#define EXPECT(r, alg, ln, rb)                 \
    do {                                       \
        ck_assert_int_eq((r).best, (alg));     \
        ck_assert_int_eq((r).lock_none, (ln)); \
        ck_assert_int_eq((r).rebuild, (rb));   \
    } while (0)

/* ---- the matrix itself ------------------------------------------------- */

/* Every condition answers for both flavours at every version boundary the
 * references mention, and rows never name an algorithm the server lacks. */
START_TEST(matrix_complete)
{
    static const unsigned my[] = {50600, 50744, 80000, 80011, 80012, 80015, 80016, 80022,
                                  80023, 80027, 80028, 80029, 80035, 80400, 90100, 999999};
    static const unsigned md[] = {100200, 100301, 100302, 100306, 100307, 100400, 100402,
                                  100403, 100502, 100600, 101119, 110200, 110408, 999999};
    for (int cond = 0; cond < DM__COUNT; cond++) {
        for (size_t v = 0; v < sizeof my / sizeof my[0]; v++) {
            struct sql_server s = {SQL_FLAVOUR_MYSQL, my[v], false};
            bool found = false;
            for (size_t i = 0; i < DM_NROWS && !found; i++)
                found = dm_rows[i].cond == (enum dm_cond)cond &&
                        dm_rows[i].flavour == SQL_FLAVOUR_MYSQL && my[v] >= dm_rows[i].min_ver &&
                        my[v] <= dm_rows[i].max_ver;
            ck_assert_msg(found, "no MySQL row for condition %d at %u", cond, my[v]);
            (void)s;
        }
        for (size_t v = 0; v < sizeof md / sizeof md[0]; v++) {
            bool found = false;
            for (size_t i = 0; i < DM_NROWS && !found; i++)
                found = dm_rows[i].cond == (enum dm_cond)cond &&
                        dm_rows[i].flavour == SQL_FLAVOUR_MARIADB && md[v] >= dm_rows[i].min_ver &&
                        md[v] <= dm_rows[i].max_ver;
            ck_assert_msg(found, "no MariaDB row for condition %d at %u", cond, md[v]);
        }
    }
    for (size_t i = 0; i < DM_NROWS; i++) {
        const struct dm_row *r = &dm_rows[i];
        ck_assert_msg(r->min_ver <= r->max_ver, "row %s: empty range", r->id);
        ck_assert_msg(!(r->best == SQL_ALG_NOCOPY && r->flavour == SQL_FLAVOUR_MYSQL),
                      "row %s: NOCOPY on MySQL", r->id);
        if (r->best == SQL_ALG_INSTANT && r->flavour == SQL_FLAVOUR_MYSQL)
            ck_assert_msg(r->min_ver >= 80012, "row %s: INSTANT before 8.0.12", r->id);
        if (r->best == SQL_ALG_NOCOPY)
            ck_assert_msg(r->min_ver >= 100307, "row %s: NOCOPY before 10.3.7", r->id);
        ck_assert_msg(!r->fragile || ((r->best == SQL_ALG_INSTANT || r->best == SQL_ALG_NOCOPY) &&
                                      !r->rebuild),
                      "row %s: fragile but rebuilding", r->id);
        /* rows of one condition and flavour must not overlap */
        for (size_t j = i + 1; j < DM_NROWS; j++) {
            const struct dm_row *o = &dm_rows[j];
            if (o->cond == r->cond && o->flavour == r->flavour)
                ck_assert_msg(o->min_ver > r->max_ver || o->max_ver < r->min_ver,
                              "rows %s/%s overlap", r->id, o->id);
        }
    }
}
END_TEST

START_TEST(algorithm_keywords)
{
    ck_assert(!classify_algorithm_supported(&MY5744, SQL_ALG_INSTANT));
    ck_assert(!classify_algorithm_supported(&MY8011, SQL_ALG_INSTANT));
    ck_assert(classify_algorithm_supported(&MY8029, SQL_ALG_INSTANT));
    ck_assert(!classify_algorithm_supported(&MY8035, SQL_ALG_NOCOPY));
    ck_assert(classify_algorithm_supported(&MD1011, SQL_ALG_NOCOPY));
    struct sql_server md1036 = {SQL_FLAVOUR_MARIADB, 100306, false};
    ck_assert(!classify_algorithm_supported(&md1036, SQL_ALG_INSTANT));
    ck_assert(classify_algorithm_supported(&md1036, SQL_ALG_INPLACE));
}
END_TEST

/* ---- column operations --------------------------------------------------- */

START_TEST(add_column_versions)
{
    struct gate_table_info t = fx_table();
    struct sql_alter_spec last = fx_add_col("c", "INT", SQL_POS_DEFAULT);
    struct sql_alter_spec mid = fx_add_col("c", "INT", SQL_POS_AFTER);
    struct sql_stmt s1 = fx_alter(&last, 1), s2 = fx_alter(&mid, 1);
    struct classify_result r;

    classify_stmt(&MY5744, &s1, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true);
    ck_assert(r.is_alter_like && !r.instant_ok && !r.conservative);
    ck_assert_str_eq(r.specs[0].matrix_row, "C1");
    classify_stmt(&MY8035, &s1, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);
    ck_assert(r.instant_ok);
    classify_stmt(&MY8028, &s2, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true); /* C007 */
    classify_stmt(&MY8029, &s2, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false); /* C008 */
    classify_stmt(&MD10339, &s2, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true); /* C010 */
    classify_stmt(&MD10339, &s1, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false); /* C011 */
}
END_TEST

START_TEST(add_column_kinds)
{
    struct gate_table_info t = fx_table();
    struct classify_result r;
    struct sql_alter_spec sp = fx_add_col("seq", "BIGINT", SQL_POS_DEFAULT);
    sp.col.auto_increment = true;
    struct sql_stmt st = fx_alter(&sp, 1);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, false, true); /* C6 */
    classify_stmt(&MD1104, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, false, true); /* C024: online COPY excludes it */

    sp = fx_add_col("tot", "BIGINT", SQL_POS_DEFAULT);
    sp.col.generated = SQL_GEN_STORED;
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true); /* C028 */
    classify_stmt(&MD1104, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, true, true); /* C029: 11.2+ online COPY */

    sp.col.generated = SQL_GEN_VIRTUAL;
    classify_stmt(&MY5744, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, false); /* C031 */
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);

    sp = fx_add_col("ts", "TIMESTAMP", SQL_POS_DEFAULT);
    sp.col.default_kind = SQL_DEFAULT_CURRENT_TS;
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false); /* ORA C036 */
    sp.col.default_kind = SQL_DEFAULT_EXPR;
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true); /* ORA 5.1 UUID() */
    ck_assert(r.conservative);
    ck_assert_ptr_nonnull(strstr(r.why, "DEFAULT expression"));
}
END_TEST

START_TEST(combination_rules)
{
    struct gate_table_info t = fx_table();
    struct classify_result r;
    struct sql_alter_spec sp[2] = {fx_add_col("x", "INT", SQL_POS_DEFAULT),
                                   fx_index(SQL_INDEX_PLAIN, "ix", "x")};
    struct sql_stmt st = fx_alter(sp, 2);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true); /* C308 */
    ck_assert(r.mixed);
    ck_assert_int_eq(r.specs[0].best, SQL_ALG_INPLACE);
    ck_assert(r.specs[0].rebuild);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true); /* ORA C043 */
    /* MariaDB: ADD COLUMN + DROP INDEX stays NOCOPY (it_oracle X20);
     * MySQL loses INSTANT and the ADD COLUMN rebuilds */
    struct sql_alter_spec ad[2] = {fx_add_col("x", "INT", SQL_POS_DEFAULT),
                                   fx_op(SQL_AOP_DROP_INDEX, "ix")};
    st = fx_alter(ad, 2);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_NOCOPY, true, false);
    ck_assert(r.mixed);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true);
    st = fx_alter(sp, 2);

    /* two instant ops stay instant (C066) */
    struct sql_alter_spec sp2[2] = {fx_op(SQL_AOP_DROP_COLUMN, "qty"),
                                    fx_add_col("qty", "INT", SQL_POS_DEFAULT)};
    st = fx_alter(sp2, 2);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);
    ck_assert(!r.mixed);

    /* DROP PRIMARY KEY alone copies, with ADD PRIMARY KEY rebuilds online */
    struct sql_alter_spec sp3[2] = {fx_op(SQL_AOP_DROP_PRIMARY_KEY, NULL),
                                    fx_op(SQL_AOP_ADD_PRIMARY_KEY, NULL)};
    st = fx_alter(sp3, 1);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true); /* C189 */
    st = fx_alter(sp3, 2);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true); /* C191 */
    ck_assert_str_eq(r.specs[0].matrix_row, "I10");

    /* DROP INDEX i, ADD INDEX i: index type change, instant on 8.0 (C172) */
    struct sql_alter_spec sp4[2] = {fx_op(SQL_AOP_DROP_INDEX, "i1"),
                                    fx_index(SQL_INDEX_PLAIN, "i1", "qty")};
    st = fx_alter(sp4, 2);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);
}
END_TEST

START_TEST(modify_column)
{
    struct gate_table_info t = fx_table();
    struct classify_result r;
    struct sql_alter_spec sp = fx_modify("code", "VARCHAR", 255, SQL_NULL_NO);
    struct sql_stmt st = fx_alter(&sp, 1);
    classify_stmt(&MY5744, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, false); /* latin1 100 -> 255 bytes: same class (C117) */
    sp.col.length = 256;
    classify_stmt(&MY5744, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true); /* C118 */
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false); /* old 100 B <= 127 B (C16) */
    sp.col.length = 60;
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true); /* shrink */

    /* name VARCHAR(50) utf8mb4 = 200 B -> 64 chars = 256 B crosses */
    sp = fx_modify("name", "VARCHAR", 64, SQL_NULL_UNSPEC);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true);
    t.row_format = "REDUNDANT";
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false); /* C126 */
    t.row_format = "DYNAMIC";

    /* qty INT NOT NULL: type change, null change */
    sp = fx_modify("qty", "BIGINT", -1, SQL_NULL_NO);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true); /* C103 */
    classify_stmt(&MD1104, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, true, true); /* C306 */
    sp = fx_modify("qty", "INT", -1, SQL_NULL_UNSPEC);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true); /* drop NOT NULL (C135) */
    sp = fx_modify("qty", "INTEGER", 11, SQL_NULL_NO);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false); /* same definition, display width only */
    sp.col.is_unsigned = true;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true); /* C105 */

    /* a PRIMARY KEY column stays NOT NULL without NOT NULL written */
    static const char *pkcols[] = {"id"};
    sp = fx_modify("id", "INT", -1, SQL_NULL_UNSPEC);
    sp.col.auto_increment = true;
    t.key_cols = pkcols;
    t.nkey_cols = 1;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);
    t.key_cols = NULL;
    t.nkey_cols = 0;

    /* reorder: MySQL rebuilds, MariaDB 10.4+ instant (C092) */
    sp = fx_modify("qty", "INT", -1, SQL_NULL_NO);
    sp.col.pos = SQL_POS_FIRST;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);
    sp.col.pos = SQL_POS_AFTER;
    sp.col.after = "code"; /* already there: not a move */
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);

    /* CHANGE = rename: INSTANT from 8.0.28, INPLACE before */
    sp = fx_modify("quantity", "INT", -1, SQL_NULL_NO);
    sp.op = SQL_AOP_CHANGE_COLUMN;
    sp.old_name = "qty";
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);
    classify_stmt(&MY5744, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, false);
    t.has_fk_parent = true;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, false); /* C085 */
}
END_TEST

START_TEST(enum_members)
{
    static const char *old3[] = {"red", "green", "blue"};
    static const char *app4[] = {"red", "green", "blue", "yellow"};
    static const char *reord[] = {"blue", "green", "red"};
    static const char *set8[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    static const char *set9[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    struct gate_column_info cols[] = {
        {.name = "e",
         .type = "ENUM",
         .length = -1,
         .charset = "utf8mb4",
         .nullable = true,
         .nvalues = 3,
         .values = old3},
        {.name = "f",
         .type = "SET",
         .length = -1,
         .charset = "utf8mb4",
         .nullable = true,
         .nvalues = 8,
         .values = set8},
    };
    struct gate_table_info t = fx_table();
    t.cols = cols;
    t.ncols = 2;
    struct classify_result r;
    struct sql_alter_spec sp = fx_modify("e", "ENUM", -1, SQL_NULL_UNSPEC);
    struct sql_stmt st = fx_alter(&sp, 1);
    sp.col.nvalues = 4;
    sp.col.values = app4;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);
    sp.col.nvalues = 3;
    sp.col.values = reord;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true);
    sp = fx_modify("f", "SET", -1, SQL_NULL_UNSPEC);
    sp.col.nvalues = 9;
    sp.col.values = set9;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true); /* C150: 1 -> 2 bytes */
}
END_TEST

/* ---- table facts ------------------------------------------------------------ */

START_TEST(table_facts)
{
    struct gate_table_info t = fx_table();
    struct classify_result r;
    struct sql_alter_spec sp = fx_add_col("s", "VARCHAR", SQL_POS_DEFAULT);
    struct sql_stmt st = fx_alter(&sp, 1);

    t.has_fulltext = true;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true); /* C049 */
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, false, true); /* ORA 5.6 */
    t.has_fulltext = false;
    t.row_format = "COMPRESSED";
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true);
    t.row_format = "DYNAMIC";

    struct sql_alter_spec ix = fx_index(SQL_INDEX_PLAIN, "ix", "qty");
    st = fx_alter(&ix, 1);
    t.has_fk_cascade = true;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, false, false); /* C180 */
    t.has_fk_cascade = false;

    /* UNIQUE on NOT NULL columns of a table without PK becomes clustered */
    struct sql_alter_spec ux = fx_index(SQL_INDEX_UNIQUE, "ux", "qty");
    st = fx_alter(&ux, 1);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, false);
    t.has_primary_key = false;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true);
    t.has_primary_key = true;

    /* Galera/PXC: no LOCK=NONE on INPLACE */
    struct sql_server pxc = MY8035;
    pxc.wsrep = true;
    st = fx_alter(&ix, 1);
    classify_stmt(&pxc, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, false, false);
}
END_TEST

START_TEST(unknown_table_is_conservative)
{
    struct classify_result r;
    struct sql_alter_spec sp = fx_modify("qty", "INT", -1, SQL_NULL_NO);
    struct sql_stmt st = fx_alter(&sp, 1);
    classify_stmt(&MY8035, &st, NULL, &r);
    EXPECT(r, SQL_ALG_COPY, false, true);
    ck_assert(r.conservative);
    ck_assert_ptr_nonnull(strstr(r.why, "qty"));

    sp = fx_op(SQL_AOP_DROP_COLUMN, "legacy");
    classify_stmt(&MY8035, &st, NULL, &r);
    ck_assert(r.conservative);
    ck_assert_int_ne(r.best, SQL_ALG_INSTANT);
    ck_assert(r.rebuild);

    /* a column missing from known facts is also conservative */
    struct gate_table_info t = fx_table();
    classify_stmt(&MY8035, &st, &t, &r);
    ck_assert(r.conservative);
    ck_assert_ptr_nonnull(strstr(r.why, "legacy"));
    sp = fx_op(SQL_AOP_DROP_COLUMN, "name");
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);
    ck_assert(!r.conservative);
    ck_assert_str_eq(r.why, "");
    sp = fx_op(SQL_AOP_DROP_COLUMN, "v");
    classify_stmt(&MY8035, &st, &t, &r);
    ck_assert_str_eq(r.specs[0].matrix_row, "C11");
    /* indexed column: MySQL rebuilds, MariaDB 10.11 drops the index NOCOPY */
    sp = fx_op(SQL_AOP_DROP_COLUMN, "code");
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_NOCOPY, true, false);
    ck_assert_str_eq(r.specs[0].matrix_row, "C9-idx");

    /* rename + add a virtual column: COPY on both flavours (C087) */
    struct sql_alter_spec rv[2] = {fx_op(SQL_AOP_RENAME_COLUMN, "qty"),
                                   fx_add_col("q2", "INT", SQL_POS_DEFAULT)};
    rv[0].new_name = "quantity";
    rv[1].col.generated = SQL_GEN_VIRTUAL;
    st = fx_alter(rv, 2);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true);
    st = fx_alter(rv, 1);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, true, false);
    st = fx_alter(&sp, 1);

    /* unknown engine: ENGINE=InnoDB could be a change */
    sp = fx_op(SQL_AOP_ENGINE, NULL);
    sp.option_value = "InnoDB";
    classify_stmt(&MY8035, &st, NULL, &r);
    EXPECT(r, SQL_ALG_COPY, false, true);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true); /* C215 */
}
END_TEST

/* ---- statements and clause rules -------------------------------------------- */

START_TEST(clause_rules)
{
    struct gate_table_info t = fx_table();
    struct classify_result r;
    struct sql_alter_spec sp = fx_op(SQL_AOP_DROP_INDEX, "b_index");
    struct sql_stmt st = fx_alter(&sp, 1);
    st.ddl = SQL_DDL_DROP_INDEX;
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_NOCOPY, true, false); /* C169 */
    ck_assert(!r.clause_allowed);
    classify_stmt(&MY8035, &st, &t, &r);
    ck_assert(r.clause_allowed);
    st.ddl = SQL_DDL_ALTER_TABLE;
    classify_stmt(&MD1011, &st, &t, &r);
    ck_assert(r.clause_allowed);

    sp = fx_op(SQL_AOP_DROP_PARTITION, NULL);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_NONE, false, false); /* C257 */
    ck_assert(!r.clause_allowed);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, false);
    ck_assert(r.clause_allowed);

    sp = fx_op(SQL_AOP_RENAME_TABLE, NULL);
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_INSTANT, false, false); /* C238 */
    classify_stmt(&MY5744, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, false, false); /* C237 */

    sp = fx_op(SQL_AOP_PAGE_COMPRESSED, NULL);
    classify_stmt(&MD1011, &st, &t, &r);
    EXPECT(r, SQL_ALG_INPLACE, true, true); /* ORA C232 */
}
END_TEST

START_TEST(other_statements)
{
    struct gate_table_info t = fx_table();
    struct classify_result r;
    struct sql_stmt st;
    memset(&st, 0, sizeof st);
    st.kind = SQL_KIND_DDL;
    st.parsed = true;
    st.ddl = SQL_DDL_OPTIMIZE;
    classify_stmt(&MD1011, &st, &t, &r);
    ck_assert(r.is_alter_like);
    EXPECT(r, SQL_ALG_INPLACE, true, true); /* C220 */
    ck_assert(!r.clause_allowed);
    t.has_fulltext = true;
    classify_stmt(&MY8035, &st, &t, &r);
    EXPECT(r, SQL_ALG_COPY, false, true); /* C219 */

    static const enum sql_ddl_kind kinds[] = {SQL_DDL_TRUNCATE,   SQL_DDL_RENAME_TABLE,
                                              SQL_DDL_DROP_TABLE, SQL_DDL_CREATE_TABLE,
                                              SQL_DDL_ANALYZE,    SQL_DDL_CREATE_TRIGGER};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        st.ddl = kinds[i];
        classify_stmt(&MY8035, &st, &t, &r);
        ck_assert(!r.is_alter_like);
        EXPECT(r, SQL_ALG_NONE, false, false);
    }
    st.kind = SQL_KIND_SELECT;
    st.ddl = SQL_DDL_NONE;
    classify_stmt(&MY8035, &st, &t, &r);
    ck_assert(!r.is_alter_like);
    ck_assert_int_eq(r.best, SQL_ALG_NONE);

    /* an ALTER the parser could not model is a conservative copy */
    st.kind = SQL_KIND_DDL;
    st.ddl = SQL_DDL_ALTER_TABLE;
    st.parsed = false;
    classify_stmt(&MY8035, &st, &t, &r);
    ck_assert(r.is_alter_like && r.conservative);
    EXPECT(r, SQL_ALG_COPY, false, true);
}
END_TEST

/* ---- the shared corpus ---------------------------------------------------- */

#define CORPUS_PATH DDLGATE_SOURCE_DIR "/tests/data/ddl-cases.tsv"
#define FACTS_PATH DDLGATE_SOURCE_DIR "/tests/data/classify-facts.tsv"

static const char *alg_str(enum sql_algorithm a)
{
    static const char *const n[] = {"n.a.", "DEFAULT", "INSTANT", "NOCOPY", "INPLACE", "COPY"};
    return (unsigned)a < sizeof n / sizeof n[0] ? n[a] : "?";
}

static int alg_rank(enum sql_algorithm a)
{
    return a == SQL_ALG_INSTANT   ? 1
           : a == SQL_ALG_NOCOPY  ? 2
           : a == SQL_ALG_INPLACE ? 3
           : a == SQL_ALG_COPY    ? 4
                                  : 0;
}

/* Split a TSV line in place; returns the number of fields. */
static int tsv_split(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *tab = strchr(p, '\t');
        if (tab == NULL)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

/* Classify one corpus row; returns true when it matches.  `msg` gets the
 * mismatch description. */
static bool corpus_row(char **f, char *msg, size_t msgsz, bool *overridden)
{
    struct sql_server srv;
    struct cf_facts facts;
    *overridden = false;
    if (!sql_server_from_spec(f[1], &srv)) {
        snprintf(msg, msgsz, "bad server spec %s", f[1]);
        return false;
    }
    if (!cf_load(FACTS_PATH, f[0], &facts)) {
        snprintf(msg, msgsz, "bad facts entry");
        return false;
    }
    struct sql_parse_opts opts = {.server = srv, .default_schema = "shop"};
    struct sql_script script;
    sql_script_init(&script);
    if (!sql_parse(&opts, f[2], strlen(f[2]), &script)) {
        sql_script_free(&script);
        snprintf(msg, msgsz, "sql_parse failed");
        return false;
    }
    const struct sql_stmt *st = NULL;
    for (int i = 0; i < script.nstmts && st == NULL; i++)
        if (script.stmts[i].kind != SQL_KIND_EMPTY)
            st = &script.stmts[i];
    struct classify_result r;
    struct sql_stmt empty;
    memset(&empty, 0, sizeof empty);
    classify_stmt(&srv, st ? st : &empty, &facts.t, &r);

    enum sql_algorithm want = cf_alg(f[3]);
    bool want_lock = strcmp(f[4], "yes") == 0, want_rb = strcmp(f[5], "yes") == 0;
    if (facts.has_oracle) {
        *overridden = true;
        want = facts.o_best;
        want_lock = facts.o_lock;
        want_rb = facts.o_rebuild;
    }
    bool ok;
    if (facts.conservative)
        ok = r.conservative && alg_rank(r.best) >= alg_rank(want) && (!r.lock_none || want_lock) &&
             (r.rebuild || !want_rb);
    else
        ok = r.best == want && r.lock_none == want_lock && r.rebuild == want_rb;
    snprintf(msg, msgsz, "got %s/%s/%s want %s%s/%s/%s row=%s why=\"%s\" parsed=%d",
             alg_str(r.best), r.lock_none ? "yes" : "no", r.rebuild ? "yes" : "no",
             facts.conservative ? "<=" : "", alg_str(want), want_lock ? "yes" : "no",
             want_rb ? "yes" : "no", r.nspecs > 0 ? r.specs[0].matrix_row : "-", r.why,
             st ? st->parsed : -1);
    sql_script_free(&script);
    return ok;
}

START_TEST(corpus)
{
    FILE *fp = fopen(CORPUS_PATH, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", CORPUS_PATH);
    char line[4096];
    int rows = 0, pass = 0, overridden = 0;
    bool header = true;
    while (fgets(line, sizeof line, fp)) {
        if (header) {
            header = false;
            continue;
        }
        char *f[9];
        if (tsv_split(line, f, 9) < 6)
            continue;
        char msg[512];
        bool ov;
        rows++;
        if (corpus_row(f, msg, sizeof msg, &ov)) {
            pass++;
            if (getenv("CLASSIFY_VERBOSE"))
                fprintf(stderr, "ok   %s [%s] %s\n", f[0], f[1], msg);
        } else
            fprintf(stderr, "FAIL %s [%s] %s\n    %s\n", f[0], f[1], f[2], msg);
        overridden += ov;
    }
    fclose(fp);
    fprintf(stderr, "corpus: %d/%d rows pass (%d follow the 10.11 oracle over the row)\n", pass,
            rows, overridden);
    ck_assert_int_gt(rows, 100);
    ck_assert_int_eq(pass, rows);
}
END_TEST

static void corpus_add_tests(TCase *tc) { tcase_add_test(tc, corpus); }

static Suite *classify_suite(void)
{
    Suite *s = suite_create("classify");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, matrix_complete);
    tcase_add_test(tc, algorithm_keywords);
    tcase_add_test(tc, add_column_versions);
    tcase_add_test(tc, add_column_kinds);
    tcase_add_test(tc, combination_rules);
    tcase_add_test(tc, modify_column);
    tcase_add_test(tc, enum_members);
    tcase_add_test(tc, table_facts);
    tcase_add_test(tc, unknown_table_is_conservative);
    tcase_add_test(tc, clause_rules);
    tcase_add_test(tc, other_statements);
    corpus_add_tests(tc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(classify_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
