/*
 * classify_facts.h - reads tests/data/classify-facts.tsv (table facts per
 * corpus row) into a struct gate_table_info.  Shared by check_classify.c and
 * tests/integration/it_oracle.c; header-only because each test is a single
 * translation unit.  Everything lives inside struct cf_facts (no malloc).
 */
#ifndef DDLGATE_TEST_CLASSIFY_FACTS_H
#define DDLGATE_TEST_CLASSIFY_FACTS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate.h"
#include "sql.h"

#define CF_MAX_COLS 16
#define CF_MAX_VALS 16

struct cf_col_src { /* what the oracle needs to write the CREATE TABLE */
    char type[48];
    char charset[24];
};

struct cf_facts {
    char buf[1024]; /* the facts text; names point into it */
    struct gate_column_info cols[CF_MAX_COLS];
    struct cf_col_src src[CF_MAX_COLS];
    const char *vals[CF_MAX_COLS][CF_MAX_VALS];
    const char *fk_names[4];
    struct gate_table_info t;
    bool conservative;
    bool has_oracle;
    enum sql_algorithm o_best;
    bool o_lock, o_rebuild;
    char comment[256];
};

static int cf_charset_bytes(const char *cs)
{
    if (cs == NULL || *cs == '\0')
        return 4;
    if (strcasecmp(cs, "latin1") == 0 || strcasecmp(cs, "ascii") == 0)
        return 1;
    if (strcasecmp(cs, "utf8mb3") == 0 || strcasecmp(cs, "utf8") == 0)
        return 3;
    return 4;
}

static enum sql_algorithm cf_alg(const char *s)
{
    if (strcasecmp(s, "INSTANT") == 0)
        return SQL_ALG_INSTANT;
    if (strcasecmp(s, "NOCOPY") == 0)
        return SQL_ALG_NOCOPY;
    if (strcasecmp(s, "INPLACE") == 0)
        return SQL_ALG_INPLACE;
    if (strcasecmp(s, "COPY") == 0)
        return SQL_ALG_COPY;
    return SQL_ALG_NONE; /* "n.a." */
}

/* col=name:TYPE[(n)|(a|b)][:charset][:flags] ; the text is modified in place */
static bool cf_parse_col(struct cf_facts *f, char *spec)
{
    if (f->t.ncols >= CF_MAX_COLS)
        return false;
    int i = f->t.ncols;
    struct gate_column_info *c = &f->cols[i];
    char *parts[4] = {0};
    int np = 0;
    for (char *p = spec; np < 4;) {
        parts[np++] = p;
        char *colon = strchr(p, ':');
        if (colon == NULL)
            break;
        *colon = '\0';
        p = colon + 1;
    }
    if (np < 2)
        return false;
    memset(c, 0, sizeof *c);
    c->name = parts[0];
    c->length = -1;
    c->nullable = true;
    snprintf(f->src[i].type, sizeof f->src[i].type, "%s", parts[1]);
    char *paren = strchr(parts[1], '(');
    if (paren != NULL) {
        *paren++ = '\0';
        char *close = strchr(paren, ')');
        if (close)
            *close = '\0';
        if (strcasecmp(parts[1], "ENUM") == 0 || strcasecmp(parts[1], "SET") == 0) {
            int n = 0;
            for (char *v = paren; v && n < CF_MAX_VALS;) {
                char *bar = strchr(v, '|');
                if (bar)
                    *bar = '\0';
                f->vals[i][n++] = v;
                v = bar ? bar + 1 : NULL;
            }
            c->nvalues = n;
            c->values = f->vals[i];
        } else {
            c->length = strtol(paren, NULL, 10);
        }
    }
    c->type = parts[1];
    if (np > 2 && parts[2][0] != '\0') {
        c->charset = parts[2];
        snprintf(f->src[i].charset, sizeof f->src[i].charset, "%s", parts[2]);
    } else {
        static const char *const str[] = {"CHAR",     "VARCHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT",
                                          "LONGTEXT", "ENUM",    "SET",  NULL};
        for (int k = 0; str[k]; k++)
            if (strcasecmp(c->type, str[k]) == 0)
                c->charset = "utf8mb4";
    }
    c->max_bytes_per_char = cf_charset_bytes(c->charset);
    if (np > 3) {
        c->nullable = strstr(parts[3], "notnull") == NULL;
        c->is_unsigned = strstr(parts[3], "unsigned") != NULL;
        c->is_virtual = strstr(parts[3], "virtual") != NULL;
        c->is_stored_generated = strstr(parts[3], "stored") != NULL;
        c->in_index = strstr(parts[3], "indexed") != NULL;
        c->auto_increment = strstr(parts[3], "autoinc") != NULL;
    }
    f->t.ncols++;
    return true;
}

/* Fill f from one facts string (NULL or "" = corpus defaults only). */
static bool cf_parse(const char *facts, struct cf_facts *f)
{
    memset(f, 0, sizeof *f);
    f->t.schema = "shop";
    f->t.name = "t";
    f->t.engine = "InnoDB";
    f->t.row_format = "DYNAMIC";
    f->t.default_charset = "utf8mb4";
    f->t.has_primary_key = true;
    f->t.cols = f->cols;
    f->t.fk_names = f->fk_names;
    /* corpus default: `id` INT AUTO_INCREMENT PRIMARY KEY first */
    f->cols[0] = (struct gate_column_info){.name = "id",
                                           .type = "INT",
                                           .length = -1,
                                           .max_bytes_per_char = 4,
                                           .auto_increment = true,
                                           .in_index = true,
                                           .unique_lead = true};
    snprintf(f->src[0].type, sizeof f->src[0].type, "INT");
    f->t.ncols = 1;
    if (facts == NULL)
        return true;
    snprintf(f->buf, sizeof f->buf, "%s", facts);
    char *save = NULL;
    for (char *tok = strtok_r(f->buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        while (*tok == ' ')
            tok++;
        if (strncmp(tok, "col=", 4) == 0) {
            if (!cf_parse_col(f, tok + 4))
                return false;
        } else if (strcmp(tok, "nopk") == 0) {
            f->t.has_primary_key = false;
            f->t.ncols = f->t.ncols > 1 ? f->t.ncols : 1;
            f->cols[0].in_index = false;
            f->cols[0].auto_increment = false;
        } else if (strcmp(tok, "fulltext") == 0) {
            f->t.has_fulltext = true;
        } else if (strcmp(tok, "fk_cascade") == 0) {
            f->t.has_fk_cascade = true;
        } else if (strcmp(tok, "fk_parent") == 0) {
            f->t.has_fk_parent = true;
        } else if (strcmp(tok, "fk_child") == 0) {
            f->t.has_fk_child = true;
        } else if (strcmp(tok, "partitioned") == 0) {
            f->t.is_partitioned = true;
        } else if (strncmp(tok, "row_format=", 11) == 0) {
            f->t.row_format = tok + 11;
        } else if (strncmp(tok, "charset=", 8) == 0) {
            f->t.default_charset = tok + 8;
        } else if (strncmp(tok, "engine=", 7) == 0) {
            f->t.engine = tok + 7;
        } else if (strncmp(tok, "fk_name=", 8) == 0 && f->t.nfk_names < 4) {
            f->fk_names[f->t.nfk_names++] = tok + 8;
        } else if (strcmp(tok, "conservative") == 0) {
            f->conservative = true;
        } else if (strncmp(tok, "oracle=", 7) == 0) {
            char *a = tok + 7, *l = strchr(a, '/'), *r = l ? strchr(l + 1, '/') : NULL;
            if (!l || !r)
                return false;
            *l++ = '\0';
            *r++ = '\0';
            f->has_oracle = true;
            f->o_best = cf_alg(a);
            f->o_lock = strcmp(l, "yes") == 0;
            f->o_rebuild = strcmp(r, "yes") == 0;
        } else if (*tok != '\0') {
            return false;
        }
    }
    return true;
}

/* Look `id` up in the facts file; a row without an entry gets defaults. */
static bool cf_load(const char *path, const char *id, struct cf_facts *f)
{
    FILE *fp = fopen(path, "r");
    char line[2048];
    bool ok = cf_parse(NULL, f);
    if (fp == NULL)
        return false;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (tab == NULL)
            continue;
        *tab = '\0';
        if (strcmp(line, id) != 0)
            continue;
        char *facts = tab + 1, *tab2 = strchr(facts, '\t');
        char comment[256] = "";
        if (tab2) {
            *tab2 = '\0';
            snprintf(comment, sizeof comment, "%s", tab2 + 1);
        }
        ok = cf_parse(facts, f);
        snprintf(f->comment, sizeof f->comment, "%s", comment);
        break;
    }
    fclose(fp);
    return ok;
}

#endif
