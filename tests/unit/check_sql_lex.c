/*
 * check_sql_lex.c - the tokenizer (sql_lex.c).
 *
 * tests/data/sql/lex-cases.txt lists texts and their expected token streams
 * rendered as "TYPE(text)@offset" joined by " | "; types: KW (keyword), ID,
 * QID, STR, NUM, HEX, PARAM, VAR, SYSVAR, OP; a trailing '!' marks a token
 * inside an executable comment.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_lex.h"
#include "test_files.h"

static const char *const type_names[] = {"EOF", "ID",    "QID", "STR",    "NUM",
                                         "HEX", "PARAM", "VAR", "SYSVAR", "OP"};

static void render_tokens(const char *text, const struct sql_parse_opts *o, char *out, size_t cap)
{
    struct lex lx;
    struct lex_tok t;
    size_t n = 0;
    out[0] = '\0';
    lex_init(&lx, text, strlen(text), o);
    while (lex_next(&lx, &t) && n + 256 < cap) {
        const char *ty = t.type == LEX_IDENT && t.kw ? "KW" : type_names[t.type];
        n += (size_t)snprintf(out + n, cap - n, "%s%s(%.*s)@%u%s", n ? " | " : "", ty, (int)t.len,
                              text + t.off, t.off, t.flags & LEXF_EXEC ? "!" : "");
    }
}

static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (s[0] == '\\' && (s[1] == 'n' || s[1] == 't' || s[1] == 'x')) {
            if (s[1] == 'x' && s[2] && s[3]) { /* \xHH */
                char hex[3] = {s[2], s[3], 0};
                *o++ = (char)strtol(hex, NULL, 16);
                s += 3;
                continue;
            }
            *o++ = s[1] == 'n' ? '\n' : '\t';
            s++;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

START_TEST(lex_cases_file)
{
    char *data = ut_read_file("tests/data/sql/lex-cases.txt");
    char text[4096], got[16384];
    struct sql_parse_opts o;
    int ncases = 0, nfail = 0, line_no = 0;
    memset(&o, 0, sizeof(o));
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        line_no++;
        if (line[0] == '#')
            continue;
        if (strncmp(line, "lex ", 4) == 0) {
            snprintf(text, sizeof(text), "%s", line + 4);
            unescape(text);
            memset(&o, 0, sizeof(o));
            o.server.version = 80036;
        } else if (strncmp(line, "opt ", 4) == 0) {
            const char *v = line + 4;
            if (strncmp(v, "server=", 7) == 0)
                ck_assert(sql_server_from_spec(v + 7, &o.server));
            else if (strcmp(v, "ansi_quotes") == 0)
                o.ansi_quotes = true;
            else if (strcmp(v, "no_backslash_escapes") == 0)
                o.no_backslash_escapes = true;
            else
                ck_abort_msg("bad opt %s", v);
        } else if (strncmp(line, "tokens", 6) == 0) {
            char want[8192];
            snprintf(want, sizeof(want), "%s", line[6] ? line + 7 : "");
            unescape(want);
            render_tokens(text, &o, got, sizeof(got));
            if (strcmp(got, want) != 0) {
                fprintf(stderr, "lex-cases.txt:%d: %s\n  want: %s\n  got:  %s\n", line_no, text,
                        want, got);
                nfail++;
            }
            ncases++;
        } else {
            ck_abort_msg("lex-cases.txt:%d: bad line", line_no);
        }
    }
    ck_assert_msg(nfail == 0, "%d lexer cases failed (see stderr)", nfail);
    ck_assert_int_gt(ncases, 40);
    free(data);
}
END_TEST

/* Every keyword of the table is found, in any case; near-misses are not. */
START_TEST(keyword_table)
{
    char lower[64];
    for (int k = 1; k < KW__COUNT; k++) {
        const char *name = lex_kw_name((enum lex_kw)k);
        size_t n = strlen(name);
        ck_assert_int_eq(lex_keyword(name, n), k);
        for (size_t i = 0; i <= n; i++)
            lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
        ck_assert_int_eq(lex_keyword(lower, n), k);
        ck_assert_int_ne((int)lex_keyword(name, n - 1), k);
    }
    ck_assert_int_eq(lex_keyword("SELECTX", 7), KW_NONE);
    ck_assert_int_eq(lex_keyword("users", 5), KW_NONE);
    ck_assert_int_eq(lex_keyword("", 0), KW_NONE);
    ck_assert(lex_kw_reserved(KW_SELECT));
    ck_assert(!lex_kw_reserved(KW_COMMENT));
}
END_TEST

/* Every byte value, alone and after each quote/comment opener: the lexer
 * terminates, tokens stay inside the text and advance. */
START_TEST(all_bytes_terminate)
{
    static const char *const prefixes[] = {"",      "'",      "\"", "`",  "/*", "/*!",
                                           "/*M!1", "--",     "#",  "@",  "@@", "0x",
                                           "x'",    "_utf8'", "N'", "1e", ".",  "\\"};
    char buf[16];
    struct sql_parse_opts o;
    memset(&o, 0, sizeof(o));
    for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
        for (int c = 0; c < 256; c++) {
            size_t n = strlen(prefixes[p]);
            memcpy(buf, prefixes[p], n);
            buf[n++] = (char)c;
            struct lex lx;
            struct lex_tok t;
            lex_init(&lx, buf, n, &o);
            uint32_t last = 0;
            int count = 0;
            while (lex_next(&lx, &t)) {
                ck_assert_uint_le(t.off + t.len, n);
                ck_assert_uint_ge(t.off, last);
                ck_assert_uint_gt(t.len, 0);
                last = t.off + t.len;
                ck_assert_int_lt(++count, 16);
            }
        }
    }
}
END_TEST

static Suite *sql_lex_suite(void)
{
    Suite *s = suite_create("sql_lex");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, lex_cases_file);
    tcase_add_test(tc, keyword_table);
    tcase_add_test(tc, all_bytes_terminate);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sql_lex_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
