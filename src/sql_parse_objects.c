/*
 * sql_parse_objects.c - the DDL that is not ALTER/CREATE TABLE: dispatch of
 * CREATE/DROP/ALTER by object, RENAME TABLE, TRUNCATE, OPTIMIZE/ANALYZE/
 * REPAIR/CHECK, triggers, views, routines, databases, LOCK/UNLOCK TABLES and
 * FLUSH TABLES.
 *
 * Database DDL: stmt->alter.table.name holds the database name (schema NULL).
 * Routine/view/trigger DDL: stmt->alter.table holds the object (for a trigger
 * the table it is ON; DROP TRIGGER names no table).
 */
#include "sql_parse_int.h"

#include <string.h>

static bool obj_if_exists(struct sqlp *p)
{
    if (sqlp_is_kw(p, 0, KW_IF) && sqlp_is_kw(p, 1, KW_EXISTS)) {
        p->i += 2;
        return true;
    }
    return false;
}

static bool obj_if_not_exists(struct sqlp *p)
{
    if (sqlp_is_kw(p, 0, KW_IF) && sqlp_is_kw(p, 1, KW_NOT) && sqlp_is_kw(p, 2, KW_EXISTS)) {
        p->i += 3;
        return true;
    }
    return false;
}

static void obj_set(struct sqlp *p, enum sql_kind kind, enum sql_ddl_kind ddl)
{
    p->st->kind = kind;
    p->st->ddl = ddl;
}

/* DEFINER = user: 'u'@'h', `u`@`h`, u@h, CURRENT_USER[()] */
static bool obj_definer(struct sqlp *p)
{
    if (!sqlp_accept_kw(p, KW_DEFINER))
        return true;
    sqlp_accept_op(p, '=');
    const struct lex_tok *t = sqlp_cur(p);
    if (!sqlp_is_name(t) && t->type != LEX_STRING)
        return sqlp_fail(p, "expected a user");
    p->i++;
    if (sqlp_cur(p)->type == LEX_VAR)
        p->i++;
    else if (sqlp_is_op(p, 0, '(') && !sqlp_skip_parens(p))
        return false;
    return true;
}

/* name, name ... added as DDL objects */
static bool obj_table_list(struct sqlp *p, uint8_t access)
{
    do {
        struct sql_name nm;
        if (!sqlp_qname(p, &nm))
            return false;
        sqlp_add_table(p, &nm, NULL, (struct sql_span){0, 0}, access);
    } while (sqlp_accept_op(p, ','));
    return true;
}

static bool obj_create_trigger(struct sqlp *p)
{
    struct sql_name trig;
    obj_set(p, SQL_KIND_DDL, SQL_DDL_CREATE_TRIGGER);
    p->i++;
    obj_if_not_exists(p);
    if (!sqlp_qname(p, &trig))
        return false;
    if (!sqlp_accept_kw(p, KW_BEFORE) && !sqlp_accept_kw(p, KW_AFTER))
        return sqlp_fail(p, "expected BEFORE or AFTER");
    int events = 0;
    while (sqlp_accept_kw(p, KW_INSERT) || sqlp_accept_kw(p, KW_UPDATE) ||
           sqlp_accept_kw(p, KW_DELETE) || (events > 0 && sqlp_accept_kw(p, KW_OR)))
        events++;
    if (!events)
        return sqlp_fail(p, "expected INSERT, UPDATE or DELETE");
    if (!sqlp_expect_kw(p, KW_ON) || !sqlp_qname(p, &p->st->alter.table))
        return false;
    sqlp_add_table(p, &p->st->alter.table, NULL, (struct sql_span){0, 0}, SQL_ACCESS_DDL);
    if (!sqlp_expect_kw(p, KW_FOR) || !sqlp_expect_kw(p, KW_EACH) || !sqlp_expect_kw(p, KW_ROW))
        return false;
    if (p->i >= p->n)
        return sqlp_fail(p, "missing trigger body");
    sqlp_skip_to_end(p); /* the body runs later, inside the server */
    return true;
}

static bool obj_create_view(struct sqlp *p)
{
    obj_set(p, SQL_KIND_DDL, SQL_DDL_CREATE_VIEW);
    p->i++;
    obj_if_not_exists(p);
    if (!sqlp_qname(p, &p->st->alter.table))
        return false;
    sqlp_add_table(p, &p->st->alter.table, NULL, (struct sql_span){0, 0}, SQL_ACCESS_DDL);
    if (sqlp_is_op(p, 0, '(') && !sqlp_skip_parens(p))
        return false;
    if (!sqlp_expect_kw(p, KW_AS))
        return false;
    int saved = p->scope;
    p->top = false;
    bool ok = sqlp_query(p);
    p->scope = saved;
    if (ok && sqlp_accept_kw(p, KW_WITH)) {
        if (!sqlp_accept_word(p, "CASCADED"))
            sqlp_accept_kw(p, KW_LOCAL);
        ok = sqlp_expect_kw(p, KW_CHECK) && sqlp_expect_kw(p, KW_OPTION);
    }
    return ok;
}

/* A stored procedure's or event's body (after its name) that runs DDL or
 * dynamic SQL: those statements run at CALL time, where ddlgate sees only
 * "CALL p()".  Functions and triggers cannot run either (the server
 * refuses them). */
static bool obj_body_runs_ddl(const struct sqlp *p, int from)
{
    for (int k = from; k < p->n; k++)
        if (sqlp_runs_ddl(p, k, false))
            return true;
    return false;
}

static bool obj_named(struct sqlp *p, enum sql_kind kind, enum sql_ddl_kind ddl, bool create)
{
    bool program = ddl == SQL_DDL_CREATE_ROUTINE && !sqlp_is_kw(p, 0, KW_FUNCTION);
    obj_set(p, kind, ddl);
    p->i++;
    if (create)
        obj_if_not_exists(p);
    else
        p->st->if_exists = obj_if_exists(p);
    if (!sqlp_qname(p, &p->st->alter.table))
        return false;
    if (ddl == SQL_DDL_CREATE_DATABASE || ddl == SQL_DDL_DROP_DATABASE ||
        ddl == SQL_DDL_ALTER_DATABASE)
        p->st->alter.table.schema = NULL;
    if (program)
        p->st->body_ddl = obj_body_runs_ddl(p, p->i);
    sqlp_skip_to_end(p); /* options, routine bodies */
    return true;
}

bool sqlp_create(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    int start = p->i++;
    obj_set(p, SQL_KIND_DDL, SQL_DDL_OTHER);
    if (sqlp_accept_kw(p, KW_OR)) {
        if (!sqlp_expect_kw(p, KW_REPLACE))
            return false;
        st->create.or_replace = true;
    }
    for (int guard = 0; guard < 16; guard++) { /* modifiers before the object word */
        if (sqlp_accept_kw(p, KW_TEMPORARY)) {
            st->create.temporary = true;
        } else if (sqlp_is_kw(p, 0, KW_DEFINER)) {
            if (!obj_definer(p))
                return false;
        } else if (sqlp_accept_kw(p, KW_ALGORITHM)) {
            const char *v;
            if (!sqlp_opt_value(p, &v))
                return false;
        } else if (sqlp_is_word(sqlp_cur(p), p->text, "SQL") &&
                   sqlp_is_word(sqlp_tok(p, 1), p->text, "SECURITY")) {
            p->i += 3;
        } else if (!sqlp_accept_kw(p, KW_ONLINE) && !sqlp_accept_word(p, "OFFLINE") &&
                   !sqlp_accept_word(p, "AGGREGATE")) {
            break;
        }
    }
    const struct lex_tok *t = sqlp_cur(p);
    switch ((enum lex_kw)t->kw) {
    case KW_TABLE:
        return sqlp_create_table(p, start);
    case KW_UNIQUE:
    case KW_FULLTEXT:
    case KW_SPATIAL:
    case KW_INDEX:
        return sqlp_create_index(p, start);
    case KW_DATABASE:
    case KW_SCHEMA:
        return obj_named(p, SQL_KIND_DDL, SQL_DDL_CREATE_DATABASE, true);
    case KW_VIEW:
        return obj_create_view(p);
    case KW_TRIGGER:
        return obj_create_trigger(p);
    case KW_PROCEDURE:
    case KW_FUNCTION:
    case KW_EVENT:
        return obj_named(p, SQL_KIND_DDL, SQL_DDL_CREATE_ROUTINE, true);
    default:
        break;
    }
    /* DROP PREPARE is DEALLOCATE PREPARE: no table, no metadata lock */
    if (sqlp_is_word(t, p->text, "USER") || sqlp_is_word(t, p->text, "ROLE") ||
        sqlp_is_word(t, p->text, "SERVER") || sqlp_is_word(t, p->text, "RESOURCE") ||
        t->kw == KW_PREPARE) {
        obj_set(p, SQL_KIND_OTHER, SQL_DDL_NONE);
        sqlp_skip_to_end(p);
        return true;
    }
    if (t->kw == KW_TABLESPACE || sqlp_is_word(t, p->text, "SEQUENCE") ||
        sqlp_is_word(t, p->text, "LOGFILE") || sqlp_is_word(t, p->text, "PACKAGE") ||
        sqlp_is_word(t, p->text, "SYNONYM")) {
        sqlp_skip_to_end(p);
        return true;
    }
    return sqlp_fail(p, "unknown CREATE statement");
}

static bool obj_drop_table(struct sqlp *p)
{
    obj_set(p, SQL_KIND_DDL, SQL_DDL_DROP_TABLE);
    p->i++;
    p->st->if_exists = obj_if_exists(p);
    if (!obj_table_list(p, SQL_ACCESS_DDL))
        return false;
    sqlp_wait_clause(p);
    if (!sqlp_accept_kw(p, KW_RESTRICT))
        sqlp_accept_kw(p, KW_CASCADE);
    return true;
}

bool sqlp_drop(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    int start = p->i++;
    obj_set(p, SQL_KIND_DDL, SQL_DDL_OTHER);
    st->temporary = sqlp_accept_kw(p, KW_TEMPORARY);
    const struct lex_tok *t = sqlp_cur(p);
    switch ((enum lex_kw)t->kw) {
    case KW_TABLE:
    case KW_TABLES:
        return obj_drop_table(p);
    case KW_INDEX:
        return sqlp_drop_index(p, start);
    case KW_DATABASE:
    case KW_SCHEMA:
        return obj_named(p, SQL_KIND_DDL, SQL_DDL_DROP_DATABASE, false);
    case KW_VIEW:
        obj_set(p, SQL_KIND_DDL, SQL_DDL_DROP_VIEW);
        p->i++;
        st->if_exists = obj_if_exists(p);
        if (!obj_table_list(p, SQL_ACCESS_DDL))
            return false;
        if (!sqlp_accept_kw(p, KW_RESTRICT))
            sqlp_accept_kw(p, KW_CASCADE);
        return true;
    case KW_TRIGGER:
        obj_set(p, SQL_KIND_DDL, SQL_DDL_DROP_TRIGGER);
        p->i++;
        st->if_exists = obj_if_exists(p);
        {
            struct sql_name trig;
            return sqlp_qname(p, &trig);
        }
    case KW_PROCEDURE:
    case KW_FUNCTION:
    case KW_EVENT:
        return obj_named(p, SQL_KIND_DDL, SQL_DDL_DROP_ROUTINE, false);
    default:
        break;
    }
    /* DROP PREPARE is DEALLOCATE PREPARE: no table, no metadata lock */
    if (sqlp_is_word(t, p->text, "USER") || sqlp_is_word(t, p->text, "ROLE") ||
        sqlp_is_word(t, p->text, "SERVER") || sqlp_is_word(t, p->text, "RESOURCE") ||
        t->kw == KW_PREPARE) {
        obj_set(p, SQL_KIND_OTHER, SQL_DDL_NONE);
        sqlp_skip_to_end(p);
        return true;
    }
    if (t->kw == KW_TABLESPACE || sqlp_is_word(t, p->text, "SEQUENCE") ||
        sqlp_is_word(t, p->text, "LOGFILE") || sqlp_is_word(t, p->text, "PACKAGE") ||
        sqlp_is_word(t, p->text, "SYNONYM")) {
        sqlp_skip_to_end(p);
        return true;
    }
    return sqlp_fail(p, "unknown DROP statement");
}

bool sqlp_alter(struct sqlp *p)
{
    int k = 1;
    while (sqlp_is_kw(p, k, KW_ONLINE) || sqlp_is_kw(p, k, KW_IGNORE) ||
           sqlp_is_word(sqlp_tok(p, k), p->text, "OFFLINE"))
        k++;
    const struct lex_tok *t = sqlp_tok(p, k);
    obj_set(p, SQL_KIND_DDL, SQL_DDL_OTHER);
    if (t->kw == KW_TABLE && t->type == LEX_IDENT)
        return sqlp_alter_table(p);
    if (t->kw == KW_DATABASE || t->kw == KW_SCHEMA) {
        obj_set(p, SQL_KIND_DDL, SQL_DDL_ALTER_DATABASE);
        p->i += 2;
        if (sqlp_is_name(sqlp_cur(p)) && !sqlp_is_kw(p, 0, KW_DEFAULT) &&
            !sqlp_is_kw(p, 0, KW_CHARACTER) && !sqlp_is_kw(p, 0, KW_CHARSET) &&
            !sqlp_is_kw(p, 0, KW_COLLATE) && !sqlp_is_kw(p, 0, KW_ENCRYPTION) &&
            !sqlp_is_word(sqlp_cur(p), p->text, "READ") && !sqlp_is_kw(p, 0, KW_COMMENT) &&
            !sqlp_is_word(sqlp_cur(p), p->text, "UPGRADE")) {
            if (!sqlp_qname(p, &p->st->alter.table))
                return false;
            p->st->alter.table.schema = NULL;
        }
        sqlp_skip_to_end(p);
        return true;
    }
    if (sqlp_is_word(t, p->text, "USER") || sqlp_is_word(t, p->text, "ROLE") ||
        sqlp_is_word(t, p->text, "INSTANCE") || sqlp_is_word(t, p->text, "SERVER") ||
        sqlp_is_word(t, p->text, "RESOURCE")) {
        obj_set(p, SQL_KIND_OTHER, SQL_DDL_NONE);
        sqlp_skip_to_end(p);
        return true;
    }
    if (t->kw == KW_VIEW || t->kw == KW_ALGORITHM || t->kw == KW_DEFINER || t->kw == KW_EVENT ||
        t->kw == KW_PROCEDURE || t->kw == KW_FUNCTION || t->kw == KW_TABLESPACE ||
        sqlp_is_word(t, p->text, "SQL") || sqlp_is_word(t, p->text, "SEQUENCE") ||
        sqlp_is_word(t, p->text, "LOGFILE")) {
        sqlp_skip_to_end(p);
        return true;
    }
    return sqlp_fail(p, "unknown ALTER statement");
}

bool sqlp_rename(struct sqlp *p)
{
    p->i++;
    if (!sqlp_accept_kw(p, KW_TABLE) && !sqlp_accept_kw(p, KW_TABLES)) {
        obj_set(p, SQL_KIND_OTHER, SQL_DDL_NONE); /* RENAME USER */
        if (sqlp_is_word(sqlp_cur(p), p->text, "USER")) {
            sqlp_skip_to_end(p);
            return true;
        }
        return sqlp_fail(p, "unknown RENAME statement");
    }
    obj_set(p, SQL_KIND_DDL, SQL_DDL_RENAME_TABLE);
    p->st->if_exists = obj_if_exists(p);
    do {
        struct sql_name from, to;
        if (!sqlp_qname(p, &from))
            return false;
        sqlp_wait_clause(p);
        if (!sqlp_expect_kw(p, KW_TO) || !sqlp_qname(p, &to))
            return false;
        sqlp_add_table(p, &from, NULL, (struct sql_span){0, 0}, SQL_ACCESS_DDL);
        sqlp_add_table(p, &to, NULL, (struct sql_span){0, 0}, SQL_ACCESS_DDL);
    } while (sqlp_accept_op(p, ','));
    return true;
}

bool sqlp_truncate(struct sqlp *p)
{
    obj_set(p, SQL_KIND_DDL, SQL_DDL_TRUNCATE);
    p->i++;
    sqlp_accept_kw(p, KW_TABLE);
    struct sql_name nm;
    if (!sqlp_qname(p, &nm))
        return false;
    sqlp_add_table(p, &nm, NULL, (struct sql_span){0, 0}, SQL_ACCESS_DDL);
    p->st->alter.table = nm;
    sqlp_wait_clause(p);
    return true;
}

bool sqlp_maintenance(struct sqlp *p, enum sql_ddl_kind ddl)
{
    bool repair = sqlp_is_kw(p, 0, KW_REPAIR);
    obj_set(p, SQL_KIND_DDL, ddl);
    p->st->repair = repair;
    p->i++;
    if (!sqlp_accept_kw(p, KW_NO_WRITE_TO_BINLOG))
        sqlp_accept_kw(p, KW_LOCAL);
    if (!sqlp_accept_kw(p, KW_TABLE) && !sqlp_accept_kw(p, KW_TABLES)) {
        /* MariaDB ANALYZE [FORMAT=JSON] SELECT ..., CHECK VIEW ... */
        obj_set(p, SQL_KIND_OTHER, SQL_DDL_NONE);
        sqlp_skip_to_end(p);
        return true;
    }
    if (!obj_table_list(p, SQL_ACCESS_DDL))
        return false;
    if (p->st->ntables > 0)
        p->st->alter.table = p->st->tables[0].name;
    sqlp_wait_clause(p);
    sqlp_skip_to_end(p); /* QUICK, EXTENDED, UPDATE HISTOGRAM ..., PERSISTENT FOR ... */
    return true;
}

bool sqlp_lock(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    bool unlock = sqlp_is_kw(p, 0, KW_UNLOCK);
    obj_set(p, SQL_KIND_LOCK, SQL_DDL_NONE);
    p->i++;
    if (!sqlp_accept_kw(p, KW_TABLES) && !sqlp_accept_kw(p, KW_TABLE)) {
        if (sqlp_accept_word(p, "INSTANCE")) { /* LOCK INSTANCE FOR BACKUP / UNLOCK INSTANCE */
            sqlp_skip_to_end(p);
            return true;
        }
        return sqlp_fail(p, "expected TABLES");
    }
    st->ddl = unlock ? SQL_DDL_UNLOCK_TABLES : SQL_DDL_LOCK_TABLES;
    if (unlock)
        return true;
    do {
        struct sql_name nm;
        const char *alias = NULL;
        struct sql_span aspan = {0, 0};
        if (!sqlp_qname(p, &nm))
            return false;
        if (sqlp_accept_kw(p, KW_AS) ||
            (sqlp_is_alias_tok(sqlp_cur(p)) && !sqlp_is_kw(p, 0, KW_READ) &&
             !sqlp_is_kw(p, 0, KW_WRITE))) {
            const struct lex_tok *t = sqlp_cur(p);
            aspan = (struct sql_span){t->off, t->len};
            if (!sqlp_name_tok(p, &alias, NULL))
                return false;
        }
        uint8_t access;
        if (sqlp_accept_kw(p, KW_READ)) {
            sqlp_accept_kw(p, KW_LOCAL);
            access = SQL_ACCESS_READ;
        } else {
            sqlp_accept_kw(p, KW_LOW_PRIORITY);
            if (!sqlp_expect_kw(p, KW_WRITE))
                return false;
            sqlp_accept_word(p, "CONCURRENT");
            access = SQL_ACCESS_WRITE;
            st->lock_for_write = true;
        }
        sqlp_add_table(p, &nm, alias, aspan, access);
    } while (sqlp_accept_op(p, ','));
    sqlp_wait_clause(p);
    return true;
}

bool sqlp_flush(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    obj_set(p, SQL_KIND_OTHER, SQL_DDL_NONE);
    p->i++;
    if (!sqlp_accept_kw(p, KW_NO_WRITE_TO_BINLOG))
        sqlp_accept_kw(p, KW_LOCAL);
    if (!sqlp_accept_kw(p, KW_TABLES) && !sqlp_accept_kw(p, KW_TABLE)) {
        sqlp_skip_to_end(p); /* PRIVILEGES, LOGS, STATUS, ... */
        return true;
    }
    st->ddl = SQL_DDL_FLUSH;
    if (sqlp_is_name(sqlp_cur(p)) && !sqlp_is_kw(p, 0, KW_WITH) && !sqlp_is_kw(p, 0, KW_FOR) &&
        !obj_table_list(p, SQL_ACCESS_READ))
        return false;
    if (sqlp_accept_kw(p, KW_WITH)) {
        if (!sqlp_expect_kw(p, KW_READ) || !sqlp_expect_kw(p, KW_LOCK))
            return false;
        st->kind = SQL_KIND_LOCK;
        st->flush_with_read_lock = true;
        if (sqlp_accept_kw(p, KW_AND)) /* AND DISABLE CHECKPOINT (MariaDB) */
            sqlp_skip_to_end(p);
    } else if (sqlp_accept_kw(p, KW_FOR)) {
        if (!sqlp_expect_kw(p, KW_EXPORT))
            return false;
        st->kind = SQL_KIND_LOCK;
    }
    return true;
}
