/*
 * sql_parse_alter.c - ALTER TABLE (every spec of MySQL 8.4 / MariaDB 11),
 * CREATE INDEX and DROP INDEX (modelled as one-spec ALTERs) and CREATE TABLE.
 */
#include "sql_parse_int.h"

#include <string.h>

static bool alter_if_exists(struct sqlp *p)
{
    if (sqlp_is_kw(p, 0, KW_IF) && sqlp_is_kw(p, 1, KW_EXISTS)) {
        p->i += 2;
        return true;
    }
    return false;
}

static bool alter_if_not_exists(struct sqlp *p)
{
    if (sqlp_is_kw(p, 0, KW_IF) && sqlp_is_kw(p, 1, KW_NOT) && sqlp_is_kw(p, 2, KW_EXISTS)) {
        p->i += 3;
        return true;
    }
    return false;
}

/* Words that start an ALTER spec or option: after a comma they end a list
 * of partition or ORDER BY names. */
static bool alter_spec_start(const struct sqlp *p)
{
    const struct lex_tok *t = sqlp_cur(p);
    if (t->type != LEX_IDENT)
        return false;
    switch (t->kw) {
    case KW_ADD:
    case KW_DROP:
    case KW_ALTER:
    case KW_CHANGE:
    case KW_MODIFY:
    case KW_RENAME:
    case KW_ALGORITHM:
    case KW_LOCK:
    case KW_CONVERT:
    case KW_DEFAULT:
    case KW_CHARACTER:
    case KW_CHARSET:
    case KW_COLLATE:
    case KW_FORCE:
    case KW_ORDER:
    case KW_DISCARD:
    case KW_IMPORT:
    case KW_ENABLE:
    case KW_DISABLE:
    case KW_PARTITION:
    case KW_REMOVE:
    case KW_TRUNCATE:
    case KW_COALESCE:
    case KW_REORGANIZE:
    case KW_EXCHANGE:
    case KW_ANALYZE:
    case KW_CHECK:
    case KW_OPTIMIZE:
    case KW_REBUILD:
    case KW_REPAIR:
    case KW_WITH:
    case KW_WITHOUT:
    case KW_ENGINE:
    case KW_ROW_FORMAT:
    case KW_KEY_BLOCK_SIZE:
    case KW_AUTO_INCREMENT:
    case KW_COMMENT:
    case KW_STATS_PERSISTENT:
    case KW_STATS_AUTO_RECALC:
    case KW_STATS_SAMPLE_PAGES:
    case KW_ENCRYPTION:
    case KW_PAGE_COMPRESSED:
        return true;
    default:
        return false;
    }
}

/* p1, p2 ... | ALL; returns the count (0 for ALL). */
static bool alter_partition_names(struct sqlp *p, struct sql_alter_spec *sp)
{
    if (sqlp_accept_kw(p, KW_ALL))
        return true;
    do {
        const char *nm;
        if (!sqlp_name_tok(p, &nm, NULL))
            return false;
        sp->partition_count++;
        if (!(sqlp_is_op(p, 0, ',') && sqlp_is_name(sqlp_tok(p, 1))))
            break;
        p->i++;
        if (alter_spec_start(p)) {
            p->i--;
            break;
        }
    } while (true);
    return true;
}

/* (PARTITION p ..., PARTITION q ...): count the definitions. */
static bool alter_partition_defs(struct sqlp *p, int *count)
{
    if (!sqlp_is_op(p, 0, '('))
        return sqlp_fail(p, "expected partition definitions");
    int depth = 0;
    do {
        const struct lex_tok *t = &p->t[p->i++];
        if (t->type == LEX_OP && t->op == '(')
            depth++;
        else if (t->type == LEX_OP && t->op == ')')
            depth--;
        else if (depth == 1 && t->type == LEX_IDENT && t->kw == KW_PARTITION)
            (*count)++;
    } while (depth > 0 && p->i < p->n);
    return depth == 0 ? true : sqlp_fail(p, "unbalanced parentheses");
}

/* Skip a PARTITION BY clause up to a top-level ',' (ALTER) or the
 * [AS] SELECT of a CREATE TABLE, or the end. */
static bool alter_skip_partitioning(struct sqlp *p)
{
    while (p->i < p->n) {
        if (sqlp_is_op(p, 0, '(')) {
            if (!sqlp_skip_parens(p))
                return false;
            continue;
        }
        if (sqlp_is_op(p, 0, ',') || sqlp_is_kw(p, 0, KW_SELECT) || sqlp_is_kw(p, 0, KW_AS) ||
            sqlp_is_kw(p, 0, KW_IGNORE) || sqlp_is_kw(p, 0, KW_REPLACE) ||
            sqlp_is_kw(p, 0, KW_ALGORITHM) || sqlp_is_kw(p, 0, KW_LOCK))
            break;
        p->i++;
    }
    return true;
}

/* Skip tokens of a spec we only classify, up to a top-level ','. */
static bool alter_skip_spec(struct sqlp *p)
{
    while (p->i < p->n && !sqlp_is_op(p, 0, ',')) {
        if (sqlp_is_op(p, 0, '(')) {
            if (!sqlp_skip_parens(p))
                return false;
        } else {
            p->i++;
        }
    }
    return true;
}

static bool alter_add(struct sqlp *p, int first)
{
    struct sql_alter *a = &p->st->alter;
    struct sql_alter_spec *sp;
    p->i++;
    if (sqlp_accept_kw(p, KW_PARTITION)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_ADD_PARTITION)))
            return false;
        sp->if_not_exists = alter_if_not_exists(p);
        if (sqlp_accept_kw(p, KW_PARTITIONS)) {
            int64_t n;
            if (!sqlp_int_tok(p, &n))
                return false;
            sp->partition_count = (int)(n > 1000000 ? 1000000 : n);
        } else if (!alter_partition_defs(p, &sp->partition_count)) {
            return false;
        }
    } else if (sqlp_is_kw(p, 0, KW_SYSTEM) && sqlp_is_kw(p, 1, KW_VERSIONING)) {
        p->i += 2;
        if (!(sp = sqlp_new_spec(p, SQL_AOP_ADD_SYSTEM_VERSIONING)))
            return false;
    } else if (sqlp_accept_kw(p, KW_PERIOD)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_ADD_PERIOD)))
            return false;
        sp->if_not_exists = alter_if_not_exists(p);
        const char *nm;
        if (!sqlp_expect_kw(p, KW_FOR) || !sqlp_name_tok(p, &nm, NULL) || !sqlp_skip_parens(p))
            return false;
    } else if (sqlp_is_index_start(p)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_ADD_INDEX)))
            return false;
        int at = p->i;
        if (!sqlp_index_def(p, &sp->index))
            return false;
        sp->op = sqlp_index_op(&sp->index);
        for (int k = at; k + 2 < p->i; k++)
            if (p->t[k].kw == KW_IF && p->t[k + 1].kw == KW_NOT && p->t[k + 2].kw == KW_EXISTS)
                sp->if_not_exists = true;
    } else {
        sqlp_accept_kw(p, KW_COLUMN);
        bool ine = alter_if_not_exists(p);
        if (sqlp_accept_op(p, '(')) { /* ADD COLUMN (c1 def, c2 def): one spec each */
            int from = a->nspecs;
            do {
                if (!(sp = sqlp_new_spec(p, SQL_AOP_ADD_COLUMN)))
                    return false;
                sp->if_not_exists = ine;
                if (!sqlp_coldef(p, &sp->col))
                    return false;
            } while (sqlp_accept_op(p, ','));
            if (!sqlp_expect_op(p, ')'))
                return false;
            for (int k = from; k < a->nspecs; k++)
                a->specs[k].span = sqlp_span_from(p, first);
            return true;
        }
        if (!(sp = sqlp_new_spec(p, SQL_AOP_ADD_COLUMN)))
            return false;
        sp->if_not_exists = ine;
        if (!sqlp_coldef(p, &sp->col))
            return false;
    }
    sp->span = sqlp_span_from(p, first);
    return true;
}

static bool alter_drop(struct sqlp *p, int first)
{
    struct sql_alter_spec *sp;
    enum sql_alter_op op;
    p->i++;
    if (sqlp_accept_kw2(p, KW_PRIMARY, KW_KEY)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_DROP_PRIMARY_KEY)))
            return false;
    } else if (sqlp_accept_kw(p, KW_PARTITION)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_DROP_PARTITION)))
            return false;
        sp->if_exists = alter_if_exists(p);
        if (!alter_partition_names(p, sp))
            return false;
    } else if (sqlp_is_kw(p, 0, KW_SYSTEM) && sqlp_is_kw(p, 1, KW_VERSIONING)) {
        p->i += 2;
        if (!(sp = sqlp_new_spec(p, SQL_AOP_DROP_SYSTEM_VERSIONING)))
            return false;
    } else if (sqlp_accept_kw(p, KW_PERIOD)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_DROP_PERIOD)))
            return false;
        sp->if_exists = alter_if_exists(p);
        if (!sqlp_expect_kw(p, KW_FOR) || !sqlp_name_tok(p, &sp->old_name, NULL))
            return false;
    } else {
        if (sqlp_accept_kw(p, KW_INDEX) || sqlp_accept_kw(p, KW_KEY))
            op = SQL_AOP_DROP_INDEX;
        else if (sqlp_accept_kw2(p, KW_FOREIGN, KW_KEY))
            op = SQL_AOP_DROP_FOREIGN_KEY;
        else if (sqlp_accept_kw(p, KW_CONSTRAINT) || sqlp_accept_kw(p, KW_CHECK))
            op = SQL_AOP_DROP_CONSTRAINT;
        else {
            op = SQL_AOP_DROP_COLUMN;
            sqlp_accept_kw(p, KW_COLUMN);
        }
        if (!(sp = sqlp_new_spec(p, op)))
            return false;
        sp->if_exists = alter_if_exists(p);
        if (!sqlp_name_tok(p, &sp->old_name, NULL))
            return false;
        if (op == SQL_AOP_DROP_COLUMN && !sqlp_accept_kw(p, KW_RESTRICT))
            sqlp_accept_kw(p, KW_CASCADE);
    }
    sp->span = sqlp_span_from(p, first);
    return true;
}

static bool alter_alter(struct sqlp *p, int first)
{
    struct sql_alter_spec *sp;
    p->i++;
    if (sqlp_accept_kw(p, KW_INDEX) || sqlp_accept_kw(p, KW_KEY)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_INDEX_VISIBILITY)) ||
            !sqlp_name_tok(p, &sp->old_name, NULL))
            return false;
        sp->index.name = sp->old_name;
        if (sqlp_accept_kw(p, KW_INVISIBLE) || sqlp_accept_kw(p, KW_IGNORED))
            sp->index.invisible = true;
        else if (!sqlp_accept_kw(p, KW_VISIBLE) && !sqlp_accept_kw2(p, KW_NOT, KW_IGNORED))
            return sqlp_fail(p, "expected VISIBLE or INVISIBLE");
    } else if (sqlp_accept_kw(p, KW_CHECK) || sqlp_accept_kw(p, KW_CONSTRAINT)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_ALTER_CHECK)) || !sqlp_name_tok(p, &sp->old_name, NULL))
            return false;
        sqlp_accept_kw(p, KW_NOT);
        if (!sqlp_accept_word(p, "ENFORCED"))
            return sqlp_fail(p, "expected ENFORCED");
    } else {
        if (sqlp_is_kw(p, 0, KW_COLUMN) && sqlp_is_name(sqlp_tok(p, 1)) &&
            (sqlp_is_kw(p, 2, KW_SET) || sqlp_is_kw(p, 2, KW_DROP)))
            p->i++;
        if (!(sp = sqlp_new_spec(p, SQL_AOP_SET_DEFAULT)) || !sqlp_name_tok(p, &sp->old_name, NULL))
            return false;
        sp->col.name = sp->old_name;
        if (sqlp_accept_kw2(p, KW_SET, KW_DEFAULT)) {
            int at = p->i;
            if (sqlp_is_op(p, 0, '(')) {
                sp->col.default_kind = SQL_DEFAULT_EXPR;
                if (!sqlp_skip_parens(p))
                    return false;
            } else {
                if (sqlp_is_op(p, 0, '-') || sqlp_is_op(p, 0, '+'))
                    p->i++;
                const struct lex_tok *t = sqlp_cur(p);
                if (sqlp_is_kw(p, 0, KW_NULL))
                    sp->col.default_kind = SQL_DEFAULT_NULL;
                else if (t->kw == KW_CURRENT_TIMESTAMP || t->kw == KW_NOW)
                    sp->col.default_kind = SQL_DEFAULT_CURRENT_TS;
                else if (lex_is_literal(t) || t->kw == KW_TRUE || t->kw == KW_FALSE)
                    sp->col.default_kind = SQL_DEFAULT_LITERAL;
                else if (t->type == LEX_IDENT)
                    sp->col.default_kind = SQL_DEFAULT_EXPR;
                else
                    return sqlp_fail(p, "expected a DEFAULT value");
                p->i++;
                if (sqlp_is_op(p, 0, '(') && !sqlp_skip_parens(p))
                    return false;
            }
            sp->col.default_span = sqlp_span_from(p, at);
        } else if (sqlp_accept_kw2(p, KW_DROP, KW_DEFAULT)) {
            sp->op = SQL_AOP_DROP_DEFAULT;
        } else if (sqlp_accept_kw(p, KW_SET)) {
            sp->op = SQL_AOP_COLUMN_VISIBILITY;
            if (sqlp_accept_kw(p, KW_INVISIBLE))
                sp->col.invisible = true;
            else if (sqlp_accept_kw(p, KW_VISIBLE))
                sp->col.visible = true;
            else
                return sqlp_fail(p, "expected VISIBLE or INVISIBLE");
        } else {
            return sqlp_fail(p, "expected SET or DROP");
        }
    }
    sp->span = sqlp_span_from(p, first);
    return true;
}

static bool alter_change_modify(struct sqlp *p, int first, bool change)
{
    struct sql_alter_spec *sp =
        sqlp_new_spec(p, change ? SQL_AOP_CHANGE_COLUMN : SQL_AOP_MODIFY_COLUMN);
    if (!sp)
        return false;
    p->i++;
    sqlp_accept_kw(p, KW_COLUMN);
    sp->if_exists = alter_if_exists(p);
    if (change && !sqlp_name_tok(p, &sp->old_name, NULL))
        return false;
    if (!sqlp_coldef(p, &sp->col))
        return false;
    if (change)
        sp->new_name = sp->col.name;
    else
        sp->old_name = sp->col.name;
    sp->span = sqlp_span_from(p, first);
    return true;
}

static bool alter_rename(struct sqlp *p, int first)
{
    struct sql_alter_spec *sp;
    p->i++;
    bool column = sqlp_is_kw(p, 0, KW_COLUMN),
         index = sqlp_is_kw(p, 0, KW_INDEX) || sqlp_is_kw(p, 0, KW_KEY);
    if (column || index) {
        p->i++;
        if (!(sp = sqlp_new_spec(p, column ? SQL_AOP_RENAME_COLUMN : SQL_AOP_RENAME_INDEX)))
            return false;
        sp->if_exists = alter_if_exists(p);
        if (!sqlp_name_tok(p, &sp->old_name, NULL) || !sqlp_expect_kw(p, KW_TO) ||
            !sqlp_name_tok(p, &sp->new_name, NULL))
            return false;
    } else {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_RENAME_TABLE)))
            return false;
        if (!sqlp_accept_kw(p, KW_TO) && !sqlp_accept_kw(p, KW_AS))
            sqlp_accept_op(p, '=');
        if (!sqlp_qname(p, &sp->rename_to))
            return false;
        sqlp_add_table(p, &sp->rename_to, NULL, (struct sql_span){0, 0}, SQL_ACCESS_DDL);
        sp = &p->st->alter.specs[p->st->alter.nspecs - 1];
    }
    sp->span = sqlp_span_from(p, first);
    return true;
}

static bool alter_convert(struct sqlp *p, int first)
{
    struct sql_alter_spec *sp;
    p->i++;
    if (sqlp_accept_kw(p, KW_TO)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_CONVERT_CHARSET)))
            return false;
        if (!sqlp_accept_kw2(p, KW_CHARACTER, KW_SET) && !sqlp_accept_kw(p, KW_CHARSET))
            return sqlp_fail(p, "expected CHARACTER SET");
        if (!sqlp_opt_value(p, &sp->option_value))
            return false;
        if (sqlp_accept_kw(p, KW_COLLATE) && !sqlp_opt_value(p, &sp->new_name))
            return false;
    } else if (sqlp_is_kw(p, 0, KW_PARTITION) || sqlp_is_kw(p, 0, KW_TABLE)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_CONVERT_PARTITION)) || !alter_skip_spec(p))
            return false;
    } else {
        return sqlp_fail(p, "expected TO, PARTITION or TABLE");
    }
    sp->span = sqlp_span_from(p, first);
    return true;
}

static const struct {
    enum lex_kw kw;
    enum sql_alter_op op;
} alter_partition_ops[] = {
    {KW_TRUNCATE, SQL_AOP_TRUNCATE_PARTITION}, {KW_ANALYZE, SQL_AOP_ANALYZE_PARTITION},
    {KW_CHECK, SQL_AOP_CHECK_PARTITION},       {KW_OPTIMIZE, SQL_AOP_OPTIMIZE_PARTITION},
    {KW_REBUILD, SQL_AOP_REBUILD_PARTITION},   {KW_REPAIR, SQL_AOP_REPAIR_PARTITION},
};

/* TRUNCATE/ANALYZE/... PARTITION, COALESCE, REORGANIZE, EXCHANGE,
 * DISCARD/IMPORT [PARTITION ..] TABLESPACE, PARTITION BY, REMOVE PARTITIONING */
static bool alter_partition_spec(struct sqlp *p, int first, bool *handled)
{
    struct sql_alter_spec *sp = NULL;
    *handled = true;
    for (size_t k = 0; k < sizeof(alter_partition_ops) / sizeof(alter_partition_ops[0]); k++) {
        if (sqlp_is_kw(p, 0, alter_partition_ops[k].kw) && sqlp_is_kw(p, 1, KW_PARTITION)) {
            p->i += 2;
            if (!(sp = sqlp_new_spec(p, alter_partition_ops[k].op)) ||
                !alter_partition_names(p, sp))
                return false;
            goto done;
        }
    }
    if (sqlp_accept_kw2(p, KW_COALESCE, KW_PARTITION)) {
        int64_t n;
        if (!(sp = sqlp_new_spec(p, SQL_AOP_COALESCE_PARTITION)) || !sqlp_int_tok(p, &n))
            return false;
        sp->partition_count = (int)(n > 1000000 ? 1000000 : n);
    } else if (sqlp_accept_kw2(p, KW_REORGANIZE, KW_PARTITION)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_REORGANIZE_PARTITION)))
            return false;
        if (sqlp_is_name(sqlp_cur(p))) {
            int into = 0;
            if (!alter_partition_names(p, sp) || !sqlp_expect_kw(p, KW_INTO) ||
                !alter_partition_defs(p, &into))
                return false;
        }
    } else if (sqlp_accept_kw2(p, KW_EXCHANGE, KW_PARTITION)) {
        struct sql_name other;
        if (!(sp = sqlp_new_spec(p, SQL_AOP_EXCHANGE_PARTITION)) ||
            !sqlp_name_tok(p, &sp->old_name, NULL) || !sqlp_expect_kw(p, KW_WITH) ||
            !sqlp_expect_kw(p, KW_TABLE) || !sqlp_qname(p, &other))
            return false;
        sp->rename_to = other;
        if ((sqlp_is_kw(p, 0, KW_WITH) || sqlp_is_kw(p, 0, KW_WITHOUT)) &&
            sqlp_is_kw(p, 1, KW_VALIDATION))
            p->i += 2;
    } else if ((sqlp_is_kw(p, 0, KW_DISCARD) || sqlp_is_kw(p, 0, KW_IMPORT))) {
        bool discard = sqlp_is_kw(p, 0, KW_DISCARD);
        p->i++;
        if (sqlp_accept_kw(p, KW_PARTITION)) {
            if (!(sp = sqlp_new_spec(p, SQL_AOP_PARTITION_TABLESPACE)) ||
                !alter_partition_names(p, sp))
                return false;
        } else if (!(sp = sqlp_new_spec(p, discard ? SQL_AOP_DISCARD_TABLESPACE
                                                   : SQL_AOP_IMPORT_TABLESPACE))) {
            return false;
        }
        if (!sqlp_expect_kw(p, KW_TABLESPACE))
            return false;
    } else if (sqlp_is_kw(p, 0, KW_PARTITION) && sqlp_is_kw(p, 1, KW_BY)) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_PARTITION_BY)) || !alter_skip_partitioning(p))
            return false;
    } else if (sqlp_is_kw(p, 0, KW_REMOVE) && sqlp_is_kw(p, 1, KW_PARTITIONING)) {
        p->i += 2;
        if (!(sp = sqlp_new_spec(p, SQL_AOP_REMOVE_PARTITIONING)))
            return false;
    } else if (sqlp_accept_word(p, "UPGRADE") || sqlp_accept_word(p, "SECONDARY_LOAD") ||
               sqlp_accept_word(p, "SECONDARY_UNLOAD")) {
        if (!(sp = sqlp_new_spec(p, SQL_AOP_OTHER)) || !alter_skip_spec(p))
            return false;
    } else {
        *handled = false;
        return true;
    }
done:
    sp->span = sqlp_span_from(p, first);
    return true;
}

static bool alter_spec(struct sqlp *p)
{
    int first = p->i;
    struct sql_alter_spec *sp;
    switch ((enum lex_kw)sqlp_cur(p)->kw) {
    case KW_ADD:
        return alter_add(p, first);
    case KW_DROP:
        return alter_drop(p, first);
    case KW_ALTER:
        return alter_alter(p, first);
    case KW_CHANGE:
        return alter_change_modify(p, first, true);
    case KW_MODIFY:
        return alter_change_modify(p, first, false);
    case KW_RENAME:
        return alter_rename(p, first);
    case KW_CONVERT:
        return alter_convert(p, first);
    case KW_FORCE:
    case KW_ENABLE:
    case KW_DISABLE: {
        enum lex_kw kw = (enum lex_kw)sqlp_cur(p)->kw;
        p->i++;
        enum sql_alter_op op = kw == KW_FORCE    ? SQL_AOP_FORCE
                               : kw == KW_ENABLE ? SQL_AOP_ENABLE_KEYS
                                                 : SQL_AOP_DISABLE_KEYS;
        if (kw != KW_FORCE && !sqlp_expect_kw(p, KW_KEYS))
            return false;
        if (!(sp = sqlp_new_spec(p, op)))
            return false;
        sp->span = sqlp_span_from(p, first);
        return true;
    }
    case KW_ORDER:
        p->i++;
        if (!sqlp_expect_kw(p, KW_BY) || !(sp = sqlp_new_spec(p, SQL_AOP_ORDER_BY)))
            return false;
        do {
            const char *nm;
            if (!sqlp_name_tok(p, &nm, NULL))
                return false;
            if (!sqlp_accept_kw(p, KW_ASC))
                sqlp_accept_kw(p, KW_DESC);
            if (!(sqlp_is_op(p, 0, ',') && sqlp_is_name(sqlp_tok(p, 1))))
                break;
            p->i++;
            if (alter_spec_start(p)) {
                p->i--;
                break;
            }
        } while (true);
        sp->span = sqlp_span_from(p, first);
        return true;
    default:
        break;
    }
    bool handled;
    if (!alter_partition_spec(p, first, &handled))
        return false;
    if (handled)
        return true;
    struct sql_alter_spec opt;
    sqlp_zero(&opt, sizeof(opt));
    bool known;
    if (!sqlp_table_option(p, &opt, &known))
        return false;
    if (!known)
        return sqlp_fail(p, "unsupported ALTER TABLE specification");
    if (!(sp = sqlp_new_spec(p, opt.op)))
        return false;
    sp->option_value = opt.option_value;
    sp->new_name = opt.new_name;
    sp->span = opt.span;
    return true;
}

/* Specs, ALGORITHM/LOCK clauses, separated by commas (table options and
 * the clauses may also follow each other without one). */
static bool alter_spec_list(struct sqlp *p)
{
    struct sql_alter *a = &p->st->alter;
    bool need = false;
    while (p->i < p->n && !p->err) {
        if (!sqlp_algo_lock(p, a)) {
            if (p->err || !alter_spec(p))
                return false;
        }
        need = sqlp_accept_op(p, ',');
    }
    if (need)
        return sqlp_fail(p, "trailing comma");
    return !p->err;
}

bool sqlp_alter_table(struct sqlp *p)
{
    struct sql_stmt *st = p->st;
    struct sql_alter *a = &st->alter;
    st->kind = SQL_KIND_DDL;
    st->ddl = SQL_DDL_ALTER_TABLE;
    p->i++;
    for (;;) {
        if (sqlp_accept_kw(p, KW_ONLINE))
            a->online = true;
        else if (sqlp_accept_kw(p, KW_IGNORE))
            a->ignore = true;
        else if (!sqlp_accept_word(p, "OFFLINE"))
            break;
    }
    if (!sqlp_expect_kw(p, KW_TABLE))
        return false;
    a->if_exists = alter_if_exists(p);
    if (!sqlp_qname(p, &a->table))
        return false;
    sqlp_add_table(p, &a->table, NULL, (struct sql_span){0, 0}, SQL_ACCESS_DDL);
    sqlp_wait_clause(p);
    return alter_spec_list(p);
}

/* CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX [IF NOT EXISTS] i [USING x] ON t (parts)
 * [WAIT n|NOWAIT] [options] [ALGORITHM|LOCK ...]; p->i at UNIQUE/.../INDEX */
bool sqlp_create_index(struct sqlp *p, int start)
{
    struct sql_stmt *st = p->st;
    struct sql_alter *a = &st->alter;
    st->kind = SQL_KIND_DDL;
    st->ddl = SQL_DDL_CREATE_INDEX;
    struct sql_alter_spec *sp = sqlp_new_spec(p, SQL_AOP_ADD_INDEX);
    if (!sp)
        return false;
    struct sql_index *ix = &sp->index;
    if (sqlp_accept_kw(p, KW_UNIQUE))
        ix->kind = SQL_INDEX_UNIQUE;
    else if (sqlp_accept_kw(p, KW_FULLTEXT))
        ix->kind = SQL_INDEX_FULLTEXT;
    else if (sqlp_accept_kw(p, KW_SPATIAL))
        ix->kind = SQL_INDEX_SPATIAL;
    if (!sqlp_expect_kw(p, KW_INDEX))
        return false;
    sp->if_not_exists = alter_if_not_exists(p);
    if (!sqlp_name_tok(p, &ix->name, NULL))
        return false;
    if (sqlp_accept_kw(p, KW_USING)) {
        if (!sqlp_is_name(sqlp_cur(p)))
            return sqlp_fail(p, "expected an index type");
        ix->using = sqlp_tok_upper(p, sqlp_cur(p));
        p->i++;
    }
    if (!sqlp_expect_kw(p, KW_ON) || !sqlp_qname(p, &a->table))
        return false;
    sqlp_add_table(p, &a->table, NULL, (struct sql_span){0, 0}, SQL_ACCESS_DDL);
    sp = &a->specs[0];
    ix = &sp->index;
    /* key parts via the shared index parser: build a throwaway "(parts)" */
    struct sql_index parts;
    sqlp_zero(&parts, sizeof(parts));
    if (!sqlp_is_op(p, 0, '('))
        return sqlp_fail(p, "expected '('");
    if (!sqlp_key_parts(p, &parts))
        return false;
    ix->ncols = parts.ncols;
    ix->cols = parts.cols;
    ix->has_prefix = parts.has_prefix;
    ix->has_expression = parts.has_expression;
    sp->span = sqlp_span_from(p, start);
    for (int guard = 0; guard < 16 && p->i < p->n; guard++) {
        int before = p->i;
        sqlp_wait_clause(p);
        if (!sqlp_index_options(p, ix))
            return false;
        if (p->i > before) /* the spec ends before ALGORITHM/LOCK */
            sp->span = sqlp_span_from(p, start);
        if (sqlp_algo_lock(p, a))
            continue;
        if (p->err)
            return false;
        if (p->i == before)
            break;
    }
    return true;
}

/* DROP INDEX [IF EXISTS] i ON t [WAIT n|NOWAIT] [ALGORITHM|LOCK ...];
 * p->i at INDEX */
bool sqlp_drop_index(struct sqlp *p, int start)
{
    struct sql_stmt *st = p->st;
    struct sql_alter *a = &st->alter;
    st->kind = SQL_KIND_DDL;
    st->ddl = SQL_DDL_DROP_INDEX;
    p->i++;
    struct sql_alter_spec *sp = sqlp_new_spec(p, SQL_AOP_DROP_INDEX);
    if (!sp)
        return false;
    sp->if_exists = st->if_exists = alter_if_exists(p);
    if (!sqlp_name_tok(p, &sp->old_name, NULL))
        return false;
    if (sqlp_nameeq(sp->old_name, "PRIMARY"))
        sp->op = SQL_AOP_DROP_PRIMARY_KEY;
    if (!sqlp_expect_kw(p, KW_ON) || !sqlp_qname(p, &a->table))
        return false;
    sqlp_add_table(p, &a->table, NULL, (struct sql_span){0, 0}, SQL_ACCESS_DDL);
    sp = &a->specs[0];
    sqlp_wait_clause(p);
    sp->span = sqlp_span_from(p, start);
    while (sqlp_algo_lock(p, a)) {
    }
    return !p->err;
}

/* ---- CREATE TABLE ------------------------------------------------------------- */

static bool create_add_col(struct sqlp *p, int *cap)
{
    struct sql_create_table *c = &p->st->create;
    if (!sql_arena_grow(p->sc, (void **)&c->cols, cap, c->ncols, sizeof(*c->cols))) {
        p->oom = true;
        return sqlp_fail(p, "out of memory");
    }
    struct sql_coldef *cd = &c->cols[c->ncols++];
    if (!sqlp_coldef(p, cd))
        return false;
    if (cd->primary_key)
        c->has_primary_key = true;
    return true;
}

static bool create_add_index(struct sqlp *p, int *cap)
{
    struct sql_create_table *c = &p->st->create;
    if (!sql_arena_grow(p->sc, (void **)&c->indexes, cap, c->nindexes, sizeof(*c->indexes))) {
        p->oom = true;
        return sqlp_fail(p, "out of memory");
    }
    struct sql_index *ix = &c->indexes[c->nindexes++];
    if (!sqlp_index_def(p, ix))
        return false;
    if (ix->kind == SQL_INDEX_PRIMARY)
        c->has_primary_key = true;
    return true;
}

static bool create_definitions(struct sqlp *p)
{
    int ccap = 0, icap = 0;
    p->i++; /* ( */
    do {
        bool ok;
        if (sqlp_is_kw(p, 0, KW_PERIOD) && sqlp_is_kw(p, 1, KW_FOR)) {
            const char *nm;
            p->i += 2;
            ok = sqlp_name_tok(p, &nm, NULL) && sqlp_skip_parens(p);
        } else if (sqlp_is_index_start(p)) {
            ok = create_add_index(p, &icap);
        } else {
            ok = create_add_col(p, &ccap);
        }
        if (!ok)
            return false;
    } while (sqlp_accept_op(p, ','));
    return sqlp_expect_op(p, ')');
}

static bool create_options(struct sqlp *p)
{
    struct sql_create_table *c = &p->st->create;
    for (int guard = 0; guard < 256 && p->i < p->n; guard++) {
        struct sql_alter_spec opt;
        sqlp_zero(&opt, sizeof(opt));
        bool known;
        if (sqlp_is_kw(p, 0, KW_PARTITION) && sqlp_is_kw(p, 1, KW_BY)) {
            c->partitioned = true;
            if (!alter_skip_partitioning(p))
                return false;
            continue;
        }
        if ((sqlp_is_kw(p, 0, KW_WITH) || sqlp_is_kw(p, 0, KW_WITHOUT)) &&
            sqlp_is_kw(p, 1, KW_SYSTEM)) {
            p->i += 2;
            if (!sqlp_expect_kw(p, KW_VERSIONING))
                return false;
            continue;
        }
        if (!sqlp_table_option(p, &opt, &known))
            return false;
        if (!known)
            break;
        if (opt.op == SQL_AOP_ENGINE)
            c->engine = opt.option_value;
        else if (opt.op == SQL_AOP_ROW_FORMAT)
            c->row_format = opt.option_value;
        else if (opt.op == SQL_AOP_DEFAULT_CHARSET) {
            if (opt.new_name == opt.option_value) { /* COLLATE only */
                c->collation = opt.new_name;
            } else {
                c->charset = opt.option_value;
                if (opt.new_name)
                    c->collation = opt.new_name;
            }
        }
        sqlp_accept_op(p, ',');
    }
    return true;
}

/* CREATE [OR REPLACE] [TEMPORARY] TABLE ...; p->i at TABLE */
bool sqlp_create_table(struct sqlp *p, int start)
{
    struct sql_stmt *st = p->st;
    struct sql_create_table *c = &st->create;
    (void)start;
    st->kind = SQL_KIND_DDL;
    st->ddl = SQL_DDL_CREATE_TABLE;
    if (!sqlp_expect_kw(p, KW_TABLE))
        return false;
    c->if_not_exists = alter_if_not_exists(p);
    if (!sqlp_qname(p, &st->alter.table))
        return false;
    sqlp_add_table(p, &st->alter.table, NULL, (struct sql_span){0, 0}, SQL_ACCESS_DDL);
    bool paren_like = sqlp_is_op(p, 0, '(') && sqlp_is_kw(p, 1, KW_LIKE);
    if (sqlp_accept_kw(p, KW_LIKE) || paren_like) {
        if (paren_like)
            p->i += 2;
        c->like = true;
        if (!sqlp_qname(p, &c->like_table))
            return false;
        sqlp_add_table(p, &c->like_table, NULL, (struct sql_span){0, 0}, SQL_ACCESS_READ);
        return !paren_like || sqlp_expect_op(p, ')');
    }
    if (sqlp_is_op(p, 0, '(') && !sqlp_is_kw(p, 1, KW_SELECT) && !sqlp_is_kw(p, 1, KW_WITH) &&
        !create_definitions(p))
        return false;
    if (!create_options(p))
        return false;
    if (!sqlp_accept_kw(p, KW_IGNORE))
        sqlp_accept_kw(p, KW_REPLACE);
    sqlp_accept_kw(p, KW_AS);
    if (p->i < p->n) {
        c->as_select = true;
        int saved = p->scope;
        p->top = false;
        bool ok = sqlp_query(p);
        p->scope = saved;
        return ok;
    }
    return true;
}
