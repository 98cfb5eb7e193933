/*
 * fuzz_gate.c - libFuzzer target: gate_check() on arbitrary text for both
 * flavours, with and without table facts; rewrites must keep the bytes
 * outside the edited clauses (checked loosely here, exactly in check_gate).
 * Build: cmake -DDDLGATE_FUZZ=ON with CC=clang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "approval.h"
#include "gate.h"
#include "log.h"
#include "sql.h"

static const struct gate_table_info fz_table = {
    .engine = "InnoDB", .row_format = "DYNAMIC", .has_primary_key = true};

static const struct gate_table_info *fz_lookup(void *ctx, const char *schema, const char *table)
{
    (void)schema, (void)table;
    return ctx ? &fz_table : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sql_script s;
    static struct gate_verdict v;
    static int init;
    if (!init) {
        log_set_level(LOG_ERROR);
        sql_script_init(&s);
        gate_verdict_init(&v);
        init = 1;
    }
    if (size < 1 || size > 65536)
        return 0;
    static const struct sql_server servers[] = {
        {SQL_FLAVOUR_MYSQL, 50744, false},
        {SQL_FLAVOUR_MYSQL, 80036, false},
        {SQL_FLAVOUR_MARIADB, 101119, false},
        {SQL_FLAVOUR_MARIADB, 110402, true},
    };
    struct sql_parse_opts o = {.server = servers[data[0] & 3], .default_schema = "db"};
    struct gate_tables t = {fz_lookup, (data[0] & 4) ? (void *)&fz_table : NULL};
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    gate_check(&o, NULL, &t, text, len, &s, &v);
    if (v.rewritten) {
        /* edits only add or drop ALGORITHM/LOCK clauses: the length moves by
         * a few dozen bytes at most, and the start of the text is kept */
        size_t n = v.rewritten_len;
        if (n > len + 96 || n + 64 < len || (len > 0 && v.rewritten[0] != text[0]))
            abort();
    }
    if (v.action == GATE_APPROVAL)
        approval_reset(); /* keep the pending table small */
    return 0;
}
