/* fuzz_admin_cmd.c - libFuzzer target: the admin command parser must never
 * crash, read past the input or leave unterminated strings, and a failure
 * always carries a message; the prepared-statement column set and the log
 * escaping hold their bounds on any input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin_cmd.h"

static void check_str(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct admin_cmd c;
    char err[256];
    /* a copy of exactly size bytes, so ASan sees any read past the end */
    char *q = malloc(size ? size : 1);

    if (!q)
        return 0;
    memcpy(q, data, size);
    err[0] = '\0';
    if (admin_cmd_parse(q, size, &c, err, sizeof(err))) {
        if ((unsigned)c.kind >= ADMIN_CMD_NKINDS || c.nitems < 0 || c.nitems > ADMIN_SEL_MAX)
            abort();
        check_str(c.schema, sizeof(c.schema));
        check_str(c.table, sizeof(c.table));
        for (int i = 0; i < c.nitems; i++) {
            check_str(c.items[i].name, sizeof(c.items[i].name));
            check_str(c.items[i].column, sizeof(c.items[i].column));
        }
        if (c.kind == ADMIN_SET_RULE && (c.rule_id == 0 || (!c.schema[0] && c.table[0])))
            abort();
        if ((c.kind == ADMIN_APPROVE || c.kind == ADMIN_DENY || c.kind == ADMIN_CANCEL) &&
            c.id == 0)
            abort();
        /* the columns COM_STMT_PREPARE announces: bounded, terminated */
        const char *names[ADMIN_MAX_COLS];
        int n = admin_cmd_columns(&c, names, ADMIN_MAX_COLS);
        if (n < 0 || n > ADMIN_MAX_COLS || (c.kind == ADMIN_SELECT && n != c.nitems))
            abort();
        for (int i = 0; i < n; i++)
            if (!names[i] || !memchr(names[i], '\0', ADMIN_NAME_MAX + 64))
                abort();
    } else if (err[0] == '\0' || !memchr(err, '\0', sizeof(err))) {
        abort();
    }
    /* log escaping: terminated, within the buffer, no control bytes left */
    char esc[512];
    admin_cmd_escape(q, size, esc, sizeof(esc));
    size_t el = strnlen(esc, sizeof(esc));
    if (el == sizeof(esc))
        abort();
    for (size_t i = 0; i < el; i++)
        if ((unsigned char)esc[i] < 0x20 || esc[i] == 0x7f)
            abort();
    free(q);
    return 0;
}
