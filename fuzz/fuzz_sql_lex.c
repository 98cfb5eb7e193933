/*
 * fuzz_sql_lex.c - libFuzzer target for the tokenizer: every token lies
 * inside the input, offsets never go backwards, lexing terminates.  The
 * first byte picks the options (flavour, version, quoting modes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sql_lex.h"

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
    /* copy so reads past the end are caught by ASan */
    char *text = malloc(size - 1 ? size - 1 : 1);
    memcpy(text, data + 1, size - 1);
    struct lex lx;
    struct lex_tok t;
    lex_init(&lx, text, size - 1, &o);
    uint32_t last = 0;
    size_t count = 0;
    while (lex_next(&lx, &t)) {
        if (t.off < last || t.off + t.len > size - 1 || t.len == 0 || ++count > size)
            abort();
        last = t.off + t.len;
    }
    free(text);
    return 0;
}
