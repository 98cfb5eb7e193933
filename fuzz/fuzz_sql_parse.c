/*
 * fuzz_sql_parse.c - libFuzzer target for sql_parse(): any bytes parse
 * without crashing, reading out of bounds or looping; every span stays
 * inside the input.  The first byte picks the options.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"

static void check_span(struct sql_span s, size_t n)
{
    if (s.len && (size_t)s.off + s.len > n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct sql_parse_opts o;
    memset(&o, 0, sizeof(o));
    o.server.flavour = (data[0] & 1) ? SQL_FLAVOUR_MARIADB : SQL_FLAVOUR_MYSQL;
    static const unsigned versions[] = {0, 50744, 80036, 101119, 110402, 100300, 80400, 90100};
    o.server.version = versions[(data[0] >> 1) & 7];
    o.ansi_quotes = (data[0] & 16) != 0;
    o.no_backslash_escapes = (data[0] & 32) != 0;
    o.default_schema = (data[0] & 64) ? "fuzzdb" : NULL;
    size_t n = size - 1;
    char *text = malloc(n ? n : 1);
    memcpy(text, data + 1, n);
    struct sql_script s;
    sql_script_init(&s);
    if (sql_parse(&o, text, n, &s)) {
        for (int k = 0; k < s.nstmts; k++) {
            const struct sql_stmt *st = &s.stmts[k];
            check_span(st->span, n);
            if (!st->parsed && !st->parse_error)
                abort();
            for (int j = 0; j < st->ntables; j++)
                if (!st->tables[j].name.name)
                    abort();
            for (int j = 0; j < st->ncolumns; j++) {
                check_span(st->columns[j].span, n);
                if (st->columns[j].table_idx >= st->ntables)
                    abort();
            }
            for (int j = 0; j < st->alter.nspecs; j++)
                check_span(st->alter.specs[j].span, n);
            check_span(st->alter.algorithm_span, n);
            check_span(st->alter.lock_span, n);
            if (st->alter.append_off > n)
                abort();
            /* the lazy digest re-lexes the statement: same bounds, and
             * asking twice gives the same value */
            if (sql_stmt_digest(&o, text, n, st) != sql_stmt_digest(&o, text, n, st))
                abort();
        }
    }
    sql_script_free(&s);
    free(text);
    return 0;
}
