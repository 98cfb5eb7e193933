/*
 * sql_names.c - printable names for the statement model's enums (logs,
 * admin SHOW output, tests).  Tables are indexed by the enum values.
 */
#include "sql.h"

static const char *const sql_kind_names[] = {
    [SQL_KIND_EMPTY] = "EMPTY",     [SQL_KIND_SELECT] = "SELECT", [SQL_KIND_INSERT] = "INSERT",
    [SQL_KIND_REPLACE] = "REPLACE", [SQL_KIND_UPDATE] = "UPDATE", [SQL_KIND_DELETE] = "DELETE",
    [SQL_KIND_DDL] = "DDL",         [SQL_KIND_TXN] = "TXN",       [SQL_KIND_SET] = "SET",
    [SQL_KIND_LOCK] = "LOCK",       [SQL_KIND_OTHER] = "OTHER",
};

static const char *const sql_ddl_names[] = {
    [SQL_DDL_NONE] = "NONE",
    [SQL_DDL_ALTER_TABLE] = "ALTER_TABLE",
    [SQL_DDL_CREATE_INDEX] = "CREATE_INDEX",
    [SQL_DDL_DROP_INDEX] = "DROP_INDEX",
    [SQL_DDL_CREATE_TABLE] = "CREATE_TABLE",
    [SQL_DDL_DROP_TABLE] = "DROP_TABLE",
    [SQL_DDL_RENAME_TABLE] = "RENAME_TABLE",
    [SQL_DDL_TRUNCATE] = "TRUNCATE",
    [SQL_DDL_OPTIMIZE] = "OPTIMIZE",
    [SQL_DDL_ANALYZE] = "ANALYZE",
    [SQL_DDL_REPAIR_CHECK] = "REPAIR_CHECK",
    [SQL_DDL_CREATE_TRIGGER] = "CREATE_TRIGGER",
    [SQL_DDL_DROP_TRIGGER] = "DROP_TRIGGER",
    [SQL_DDL_LOCK_TABLES] = "LOCK_TABLES",
    [SQL_DDL_UNLOCK_TABLES] = "UNLOCK_TABLES",
    [SQL_DDL_FLUSH] = "FLUSH",
    [SQL_DDL_CREATE_DATABASE] = "CREATE_DATABASE",
    [SQL_DDL_DROP_DATABASE] = "DROP_DATABASE",
    [SQL_DDL_ALTER_DATABASE] = "ALTER_DATABASE",
    [SQL_DDL_CREATE_VIEW] = "CREATE_VIEW",
    [SQL_DDL_DROP_VIEW] = "DROP_VIEW",
    [SQL_DDL_CREATE_ROUTINE] = "CREATE_ROUTINE",
    [SQL_DDL_DROP_ROUTINE] = "DROP_ROUTINE",
    [SQL_DDL_OTHER] = "OTHER",
};

static const char *const sql_alg_names[] = {
    [SQL_ALG_NONE] = "NONE",     [SQL_ALG_DEFAULT] = "DEFAULT", [SQL_ALG_INSTANT] = "INSTANT",
    [SQL_ALG_NOCOPY] = "NOCOPY", [SQL_ALG_INPLACE] = "INPLACE", [SQL_ALG_COPY] = "COPY",
};

static const char *const sql_aop_names[] = {
#define SQL_ALTER_OP_NAME(n) [SQL_AOP_##n] = #n,
    SQL_ALTER_OPS(SQL_ALTER_OP_NAME)
#undef SQL_ALTER_OP_NAME
};

#define NAME_OF(table, v) \
    ((unsigned)(v) < sizeof(table) / sizeof(table[0]) && table[v] ? table[v] : "?")

const char *sql_kind_name(enum sql_kind k) { return NAME_OF(sql_kind_names, k); }
const char *sql_ddl_name(enum sql_ddl_kind k) { return NAME_OF(sql_ddl_names, k); }
const char *sql_algorithm_name(enum sql_algorithm a) { return NAME_OF(sql_alg_names, a); }
const char *sql_alter_op_name(enum sql_alter_op op) { return NAME_OF(sql_aop_names, op); }
