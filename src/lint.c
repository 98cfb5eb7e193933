/*
 * lint.c - `ddlgate lint`: run migration files through the same gate the
 * proxy uses, offline.  Files are read whole, `DELIMITER x` client
 * directives are neutralised in place (byte offsets kept, so line numbers
 * stay right), the parser splits statements, and every statement is judged
 * on its own text.  Statements of versioned/up migrations then update the
 * offline table model, so later files are judged against the schema the
 * earlier ones produced.  Output formats are documented in docs/lint.md.
 */
#include "lint.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "approval.h"
#include "log.h"
#include "rules.h"

#define LINT_MAX_FILES 100000
#define LINT_MAX_DEPTH 32

enum lint_format {
    LINT_TEXT = 0,
    LINT_JSON
};
enum lint_role {
    LINT_PLAIN = 0,
    LINT_VERSIONED,
    LINT_REPEATABLE,
    LINT_UP,
    LINT_DOWN
};

struct lint_file {
    char *path;
    enum lint_role role;
    int nver;
    unsigned long ver[8]; /* Flyway 1.2.3 / golang-migrate 20240101 */
    const char *base;
};

struct lint {
    FILE *out, *err;
    enum lint_format format;
    bool strict; /* unknown tables stay unknown (classifier conservative) */
    struct sql_parse_opts opts;
    struct lint_schema *schema;
    struct gate_tables tables;
    struct sql_script split, judge;
    struct gate_verdict v;
    int nfiles, capfiles;
    struct lint_file *files;
    int worst; /* exit status so far */
    unsigned long statements;
    /* DG030: the file's session lock_wait_timeout (the server default until
     * a SET in the file changes it; 0 = unknown) and the proxy's cap */
    struct gate_session sess;
};

#define LINT_LOCK_WAIT_CAP 2 /* the proxy's default [limits] lock_wait_timeout_s */

/* ---- table lookup ------------------------------------------------------- */

/* An unknown table is assumed to be a typical one (InnoDB, DYNAMIC, with a
 * primary key, no FULLTEXT/FK/triggers) unless --strict: migrations often
 * touch tables created before the linted files. */
static const struct gate_table_info lint_typical = {
    .engine = "InnoDB",
    .row_format = "DYNAMIC",
    .has_primary_key = true,
};

static const struct gate_table_info *lint_lookup(void *ctx, const char *schema, const char *table)
{
    struct lint *l = ctx;
    const struct gate_table_info *t = lint_schema_lookup(l->schema, schema, table);
    return t ? t : l->strict ? NULL : &lint_typical;
}

/* ---- files ---------------------------------------------------------------- */

static bool lint_has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

/* Flyway V<ver>__x.sql / R__x.sql, golang-migrate <ver>_x.up|down.sql */
static void lint_classify_file(struct lint_file *f)
{
    const char *b = strrchr(f->path, '/');
    f->base = b ? b + 1 : f->path;
    b = f->base;
    f->role = LINT_PLAIN;
    f->nver = 0;
    if ((b[0] == 'V' || b[0] == 'v') && b[1] >= '0' && b[1] <= '9' && strstr(b, "__")) {
        const char *p = b + 1, *end = strstr(b, "__");
        while (p < end && f->nver < 8) {
            f->ver[f->nver++] = strtoul(p, (char **)&p, 10);
            while (p < end && (*p == '.' || *p == '_'))
                p++;
            if (p < end && (*p < '0' || *p > '9'))
                break;
        }
        f->role = LINT_VERSIONED;
    } else if ((b[0] == 'R' || b[0] == 'r') && b[1] == '_' && b[2] == '_') {
        f->role = LINT_REPEATABLE;
    } else if (b[0] >= '0' && b[0] <= '9' &&
               (lint_has_suffix(b, ".up.sql") || lint_has_suffix(b, ".down.sql"))) {
        f->ver[f->nver++] = strtoul(b, NULL, 10);
        f->role = lint_has_suffix(b, ".up.sql") ? LINT_UP : LINT_DOWN;
    }
}

/* versioned/up first by version, then plain by name, repeatable last */
static int lint_file_cmp(const void *x, const void *y)
{
    const struct lint_file *a = x, *b = y;
    static const int rank[] = {[LINT_VERSIONED] = 0,
                               [LINT_UP] = 0,
                               [LINT_DOWN] = 0,
                               [LINT_PLAIN] = 1,
                               [LINT_REPEATABLE] = 2};
    if (rank[a->role] != rank[b->role])
        return rank[a->role] - rank[b->role];
    for (int i = 0; i < a->nver && i < b->nver; i++)
        if (a->ver[i] != b->ver[i])
            return a->ver[i] < b->ver[i] ? -1 : 1;
    if (a->nver != b->nver)
        return a->nver - b->nver;
    if (a->role != b->role) /* an up before its down */
        return a->role == LINT_UP ? -1 : 1;
    return strcmp(a->path, b->path);
}

static bool lint_add_file(struct lint *l, const char *path)
{
    if (l->nfiles >= LINT_MAX_FILES)
        return false;
    if (l->nfiles == l->capfiles) {
        int nc = l->capfiles ? l->capfiles * 2 : 64;
        void *p = realloc(l->files, (size_t)nc * sizeof *l->files);
        if (!p)
            return false;
        l->files = p;
        l->capfiles = nc;
    }
    struct lint_file *f = &l->files[l->nfiles];
    memset(f, 0, sizeof *f);
    if (!(f->path = strdup(path)))
        return false;
    lint_classify_file(f);
    l->nfiles++;
    return true;
}

static bool lint_walk(struct lint *l, const char *dir, int depth)
{
    if (depth > LINT_MAX_DEPTH)
        return true;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(l->err, "ddlgate lint: %s: %s\n", dir, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) {
            ok = false;
            break;
        }
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            ok = lint_walk(l, p, depth + 1);
        else if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && lint_has_suffix(e->d_name, ".sql"))
            ok = lint_add_file(l, p);
        free(p);
    }
    closedir(d);
    return ok;
}

static char *lint_read(FILE *f, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap) {
            if (ferror(f)) {
                free(b);
                return NULL;
            }
            break;
        }
        char *nb = realloc(b, cap * 2 + 1);
        if (!nb) {
            free(b);
            return NULL;
        }
        b = nb;
        cap *= 2;
    }
    if (b) {
        b[n] = '\0';
        *len = n;
    }
    return b;
}

/* `DELIMITER $$` lines are client directives: blank them and turn the custom
 * delimiter into ';' padded with spaces, so offsets (and lines) are kept.
 * The parser keeps BEGIN ... END bodies in one statement. */
static void lint_delimiters(char *t, size_t len)
{
    char delim[16] = ";";
    size_t dl = 1;
    for (size_t i = 0; i < len;) {
        size_t eol = i;
        while (eol < len && t[eol] != '\n')
            eol++;
        size_t p = i;
        while (p < eol && (t[p] == ' ' || t[p] == '\t'))
            p++;
        if (eol - p > 10 && strncasecmp(t + p, "DELIMITER", 9) == 0 &&
            (t[p + 9] == ' ' || t[p + 9] == '\t')) {
            size_t q = p + 9;
            while (q < eol && (t[q] == ' ' || t[q] == '\t'))
                q++;
            size_t e = q;
            while (e < eol && t[e] != ' ' && t[e] != '\t' && t[e] != '\r')
                e++;
            if (e > q && e - q < sizeof delim) {
                memcpy(delim, t + q, e - q);
                delim[e - q] = '\0';
                dl = e - q;
            }
            memset(t + i, ' ', eol - i);
        } else if (strcmp(delim, ";") != 0) {
            for (size_t k = i; k + dl <= eol; k++) {
                if (memcmp(t + k, delim, dl) == 0) {
                    t[k] = ';';
                    memset(t + k + 1, ' ', dl - 1);
                    k += dl - 1;
                }
            }
        }
        i = eol + 1;
    }
}

/* ---- output --------------------------------------------------------------- */

/* JSON string: quotes, backslashes and control characters escaped, invalid
 * UTF-8 bytes replaced by U+FFFD so the line stays valid JSON. */
static void lint_json_str(FILE *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', o);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fputc('\\', o);
            fputc(c, o);
            i++;
        } else if (c == '\n') {
            fputs("\\n", o), i++;
        } else if (c == '\r') {
            fputs("\\r", o), i++;
        } else if (c == '\t') {
            fputs("\\t", o), i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(o, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
            i++;
        } else if (c < 0x80) {
            fputc(c, o), i++;
        } else {
            size_t need = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            bool ok = need > 0 && i + need <= n;
            for (size_t k = 1; ok && k < need; k++)
                ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
            if (ok && need == 3) { /* overlong and surrogates */
                unsigned char c1 = (unsigned char)s[i + 1];
                ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
            } else if (ok && need == 4) {
                unsigned char c1 = (unsigned char)s[i + 1];
                ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
            }
            if (ok) {
                fwrite(s + i, 1, need, o);
                i += need;
            } else {
                fputs("\\ufffd", o);
                i++;
            }
        }
    }
    fputc('"', o);
}

static const char *const lint_action_names[] = {
    [GATE_PASS] = "pass",         [GATE_WARN] = "warn",     [GATE_REWRITE] = "rewrite",
    [GATE_APPROVAL] = "approval", [GATE_REJECT] = "reject",
};

static const char *lint_kind(const struct sql_stmt *st)
{
    if (!st)
        return sql_kind_name(SQL_KIND_EMPTY);
    return st->ddl != SQL_DDL_NONE ? sql_ddl_name(st->ddl) : sql_kind_name(st->kind);
}

static void lint_text_sql(FILE *o, const char *s, size_t n)
{
    bool sp = false; /* one line: whitespace runs collapsed */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            sp = true;
            continue;
        }
        if (sp)
            fputc(' ', o);
        sp = false;
        fputc(c, o);
    }
}

static void lint_rules_list(FILE *o, const struct gate_verdict *v, bool json)
{
    for (int i = 0; i < v->nrules; i++)
        fprintf(o, json ? "%s\"DG%03u\"" : "%sDG%03u", i ? "," : "", v->rules[i]);
}

/* the gate's message without the proxy's approval ticket (meaningless offline) */
static size_t lint_msg_len(const char *m)
{
    const char *t = strstr(m, " (needs approval: pending id");
    return t ? (size_t)(t - m) : strlen(m);
}

static void lint_emit(struct lint *l, const char *file, unsigned line, const char *stmt,
                      size_t slen, const struct sql_stmt *st)
{
    const struct gate_verdict *v = &l->v;
    FILE *o = l->out;
    bool ddl = v->algorithm != SQL_ALG_NONE;
    if (l->format == LINT_TEXT) {
        fprintf(o, "%s:%u: [", file, line);
        lint_rules_list(o, v, false);
        fprintf(o, "] algorithm=%s lock_none=%s rebuild=%s action=%s",
                ddl ? sql_algorithm_name(v->algorithm) : "-",
                v->lock_none < 0 ? "-"
                : v->lock_none   ? "yes"
                                 : "no",
                v->rebuild < 0 ? "-"
                : v->rebuild   ? "yes"
                               : "no",
                lint_action_names[v->action]);
        if (v->rewritten || v->lock_wait_cap_s) {
            fputs(" rewritten: ", o);
            if (v->lock_wait_cap_s)
                fprintf(o, "SET SESSION lock_wait_timeout=%d; ", v->lock_wait_cap_s);
            if (v->rewritten)
                lint_text_sql(o, v->rewritten, v->rewritten_len);
            else
                lint_text_sql(o, stmt, slen);
        }
        if (v->action == GATE_REJECT || v->action == GATE_APPROVAL)
            fprintf(o, " -- %.*s", (int)lint_msg_len(v->message), v->message);
        fputc('\n', o);
        return;
    }
    fputs("{\"file\":", o);
    lint_json_str(o, file, strlen(file));
    fprintf(o, ",\"line\":%u,\"statement\":", line);
    lint_json_str(o, stmt, slen);
    fputs(",\"kind\":", o);
    lint_json_str(o, lint_kind(st), strlen(lint_kind(st)));
    fputs(",\"tables\":[", o);
    for (int i = 0; st && i < st->ntables; i++) {
        const struct sql_name *n = &st->tables[i].name;
        char buf[300];
        snprintf(buf, sizeof buf, "%s%s%s", n->schema && n->schema_written ? n->schema : "",
                 n->schema && n->schema_written ? "." : "", n->name ? n->name : "");
        fputs(i ? "," : "", o);
        lint_json_str(o, buf, strlen(buf));
    }
    fputs("],\"algorithm\":", o);
    if (ddl)
        fprintf(o, "\"%s\"", sql_algorithm_name(v->algorithm));
    else
        fputs("null", o);
    fprintf(o, ",\"lock_none\":%s,\"rebuild\":%s,\"rules\":[",
            v->lock_none < 0 ? "null"
            : v->lock_none   ? "true"
                             : "false",
            v->rebuild < 0 ? "null"
            : v->rebuild   ? "true"
                           : "false");
    lint_rules_list(o, v, true);
    fprintf(o, "],\"action\":\"%s\",\"rewritten\":", lint_action_names[v->action]);
    if (v->lock_wait_cap_s) {
        /* DG030: the statement (or its rewrite) after the SET the proxy runs */
        char set[64];
        int n = snprintf(set, sizeof set, "SET SESSION lock_wait_timeout=%d; ", v->lock_wait_cap_s);
        size_t body = v->rewritten ? v->rewritten_len : slen;
        char *t = malloc((size_t)n + body + 1);
        if (t) {
            memcpy(t, set, (size_t)n);
            memcpy(t + n, v->rewritten ? v->rewritten : stmt, body);
            lint_json_str(o, t, (size_t)n + body);
            free(t);
        } else {
            fputs("null", o);
        }
    } else if (v->rewritten) {
        lint_json_str(o, v->rewritten, v->rewritten_len);
    } else {
        fputs("null", o);
    }
    fputs(",\"message\":", o);
    if (v->message[0])
        lint_json_str(o, v->message, lint_msg_len(v->message));
    else
        fputs("null", o);
    fputs("}\n", o);
}

/* a golang-migrate up file without its down file */
static void lint_emit_missing_down(struct lint *l, const char *file)
{
    if (l->format == LINT_TEXT) {
        fprintf(l->out,
                "%s:0: [missing-down-migration] algorithm=- lock_none=- rebuild=- action=warn\n",
                file);
        return;
    }
    fputs("{\"file\":", l->out);
    lint_json_str(l->out, file, strlen(file));
    fputs(",\"line\":0,\"statement\":null,\"kind\":\"MIGRATION\",\"tables\":[],\"algorithm\":null,"
          "\"lock_none\":null,\"rebuild\":null,\"rules\":[\"missing-down-migration\"],"
          "\"action\":\"warn\",\"rewritten\":null,\"message\":\"no matching .down.sql file\"}\n",
          l->out);
}

/* ---- judging ---------------------------------------------------------------- */

static unsigned lint_line_at(const char *t, uint32_t off, uint32_t *from, unsigned *line)
{
    for (; *from < off; (*from)++)
        if (t[*from] == '\n')
            (*line)++;
    return *line;
}

static void lint_judge(struct lint *l, const char *file, unsigned line, const char *s, size_t n,
                       bool apply)
{
    gate_check(&l->opts, &l->sess, &l->tables, s, n, &l->judge, &l->v);
    const struct sql_stmt *st = NULL;
    for (int i = 0; i < l->judge.nstmts && !st; i++)
        if (l->judge.stmts[i].kind != SQL_KIND_EMPTY)
            st = &l->judge.stmts[i];
    int64_t lwt = 0;
    int r = st && st->kind == SQL_KIND_SET ? gate_lock_wait_set(&l->opts, s, n, &lwt) : 0;
    if (r != 0) /* SET lock_wait_timeout: later DDL of the file runs with it */
        l->sess.lock_wait_timeout_s = r < 0     ? 0
                                      : lwt > 0 ? lwt
                                                : gate_lock_wait_default(&l->opts.server);
    if (!st && l->v.nrules == 0)
        return;
    l->statements++;
    lint_emit(l, file, line, s, n, st);
    if (l->v.action == GATE_REJECT || l->v.action == GATE_APPROVAL)
        l->worst = l->worst < 1 ? 1 : l->worst;
    for (int i = 0; apply && i < l->judge.nstmts; i++)
        lint_schema_apply(l->schema, &l->judge.stmts[i], s, l->opts.default_schema);
}

static bool lint_gap_has_exec(const char *t, uint32_t a, uint32_t b)
{
    for (uint32_t i = a; i + 2 < b; i++)
        if (t[i] == '/' && t[i + 1] == '*' &&
            (t[i + 2] == '!' || (t[i + 2] == 'M' && i + 3 < b && t[i + 3] == '!')))
            return true;
    return false;
}

static int lint_text(struct lint *l, const char *file, char *text, size_t len, bool apply)
{
    /* every file is a new session: the server's default lock_wait_timeout */
    l->sess.lock_wait_timeout_s = gate_lock_wait_default(&l->opts.server);
    lint_delimiters(text, len);
    sql_script_reset(&l->split);
    if (!sql_parse(&l->opts, text, len, &l->split)) {
        fprintf(l->err, "ddlgate lint: %s: out of memory\n", file);
        return 2;
    }
    uint32_t pos = 0, gap = 0;
    unsigned line = 1;
    for (int i = 0; i < l->split.nstmts; i++) {
        const struct sql_stmt *st = &l->split.stmts[i];
        /* a /x!NNNNN DDL x/ the server ignores leaves no statement behind */
        if (lint_gap_has_exec(text, gap, st->span.off))
            lint_judge(l, file, lint_line_at(text, gap, &pos, &line), text + gap,
                       st->span.off - gap, false);
        gap = st->span.off + st->span.len;
        if (st->kind == SQL_KIND_EMPTY && !lint_gap_has_exec(text, st->span.off, gap))
            continue;
        lint_judge(l, file, lint_line_at(text, st->span.off, &pos, &line), text + st->span.off,
                   st->span.len, apply);
    }
    if (lint_gap_has_exec(text, gap, (uint32_t)len))
        lint_judge(l, file, lint_line_at(text, gap, &pos, &line), text + gap, len - gap, false);
    return 0;
}

static int lint_file(struct lint *l, const struct lint_file *f)
{
    FILE *in = strcmp(f->path, "-") == 0 ? stdin : fopen(f->path, "rb");
    if (!in) {
        fprintf(l->err, "ddlgate lint: %s: %s\n", f->path, strerror(errno));
        return 2;
    }
    size_t len = 0;
    char *text = lint_read(in, &len);
    if (in != stdin)
        fclose(in);
    if (!text || len > UINT32_MAX) {
        fprintf(l->err, "ddlgate lint: %s: cannot read\n", f->path);
        free(text);
        return 2;
    }
    int rc = lint_text(l, strcmp(f->path, "-") == 0 ? "<stdin>" : f->path, text, len,
                       f->role != LINT_DOWN);
    free(text);
    return rc;
}

static void lint_missing_downs(struct lint *l)
{
    for (int i = 0; i < l->nfiles; i++) {
        const struct lint_file *f = &l->files[i];
        if (f->role != LINT_UP)
            continue;
        size_t n = strlen(f->path);
        char *down = malloc(n + 3);
        if (!down)
            return;
        memcpy(down, f->path, n - 7);
        strcpy(down + n - 7, ".down.sql");
        bool found = false;
        for (int k = 0; k < l->nfiles && !found; k++)
            found = strcmp(l->files[k].path, down) == 0;
        struct stat st;
        if (!found && stat(down, &st) != 0)
            lint_emit_missing_down(l, f->path);
        free(down);
    }
}

/* ---- command line ------------------------------------------------------------- */

static void lint_usage(FILE *o)
{
    fputs("usage: ddlgate lint --server mysql-8.0.36|mariadb-10.11 [options] FILE|DIR|- ...\n"
          "  --server SPEC        backend flavour and version to judge against (required)\n"
          "  --schema FILE        CREATE TABLE statements describing the existing tables\n"
          "                       (repeatable); later migrations update this model\n"
          "  --format text|json   one line (text) or one JSON object per statement\n"
          "  --rule DGnnn=MODE    override a rule: off|warn|rewrite|queue|reject (repeatable)\n"
          "  --default-schema DB  schema for unqualified table names\n"
          "  --strict             tables not in the model are unknown (no typical-table\n"
          "                       assumption): the answers are conservative\n"
          "  --lock-wait-cap N    the proxy's [limits] lock_wait_timeout_s (default 2): DDL\n"
          "                       in a file without SET lock_wait_timeout <= N gets DG030\n"
          "  -h, --help           this text\n"
          "Directories are searched recursively for *.sql, in migration order (Flyway\n"
          "V<version>__*.sql, golang-migrate <version>_*.up.sql/.down.sql, then plain files\n"
          "by name, then Flyway R__*.sql).  Exit status: 0 nothing rejected or held,\n"
          "1 a statement would be rejected or need approval, 2 usage or I/O error.\n",
          o);
}

/* "--opt value" or "--opt=value" */
static const char *lint_optval(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (argv[*i] == NULL || strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0' || *i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static bool lint_rule_opt(struct lint *l, const char *v)
{
    const char *eq = strchr(v, '=');
    char id[64];
    enum rule_mode m;
    if (!eq || (size_t)(eq - v) >= sizeof id)
        return false;
    memcpy(id, v, (size_t)(eq - v));
    id[eq - v] = '\0';
    uint16_t rid = rules_parse_id(id);
    if (!rid || !rules_parse_mode(eq + 1, &m) || !rules_set_mode(rid, m, NULL, NULL)) {
        fprintf(l->err, "ddlgate lint: bad --rule %s (want DGnnn=off|warn|rewrite|queue|reject)\n",
                v);
        return false;
    }
    return true;
}

static bool lint_load_schema(struct lint *l, const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t len = 0;
    char *t = f ? lint_read(f, &len) : NULL;
    if (f)
        fclose(f);
    if (!t) {
        fprintf(l->err, "ddlgate lint: --schema %s: %s\n", path,
                f ? "cannot read" : strerror(errno));
        return false;
    }
    lint_delimiters(t, len);
    bool ok = lint_schema_load(l->schema, &l->opts, t, len);
    free(t);
    return ok;
}

static int lint_args(struct lint *l, int argc, char **argv, int *first_path)
{
    const char *v;
    bool server = false;
    /* schemas are loaded after --server is known */
    const char *schemas[64];
    int nschemas = 0;
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            lint_usage(l->out);
            return 0;
        } else if ((v = lint_optval(argc, argv, &i, "--server"))) {
            if (!sql_server_from_spec(v, &l->opts.server)) {
                fprintf(l->err,
                        "ddlgate lint: bad --server %s (e.g. mysql-8.0.36, mariadb-10.11)\n", v);
                return 2;
            }
            server = true;
        } else if ((v = lint_optval(argc, argv, &i, "--schema"))) {
            if (nschemas == 64)
                return 2;
            schemas[nschemas++] = v;
        } else if ((v = lint_optval(argc, argv, &i, "--format"))) {
            if (strcmp(v, "text") == 0)
                l->format = LINT_TEXT;
            else if (strcmp(v, "json") == 0)
                l->format = LINT_JSON;
            else {
                fprintf(l->err, "ddlgate lint: bad --format %s (text|json)\n", v);
                return 2;
            }
        } else if ((v = lint_optval(argc, argv, &i, "--rule"))) {
            if (!lint_rule_opt(l, v))
                return 2;
        } else if ((v = lint_optval(argc, argv, &i, "--default-schema"))) {
            l->opts.default_schema = v;
        } else if ((v = lint_optval(argc, argv, &i, "--lock-wait-cap"))) {
            char *end;
            long cap = strtol(v, &end, 10);
            if (*end || cap < 1 || cap > 31536000) {
                fprintf(l->err, "ddlgate lint: bad --lock-wait-cap %s (1..31536000 seconds)\n", v);
                return 2;
            }
            l->sess.lock_wait_cap_s = (int)cap;
        } else if (strcmp(a, "--strict") == 0) {
            l->strict = true;
        } else if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(l->err, "ddlgate lint: unknown option %s\n", a);
            lint_usage(l->err);
            return 2;
        } else {
            break;
        }
    }
    if (!server || i >= argc) {
        fprintf(l->err, "ddlgate lint: %s\n", !server ? "--server is required" : "no files given");
        lint_usage(l->err);
        return 2;
    }
    for (int k = 0; k < nschemas; k++)
        if (!lint_load_schema(l, schemas[k]))
            return 2;
    *first_path = i;
    return -1;
}

static int lint_collect(struct lint *l, int argc, char **argv, int first)
{
    int rc = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        struct stat st;
        if (a[0] == '-' && a[1] != '\0') {
            fprintf(l->err, "ddlgate lint: options must come before the files: %s\n", a);
            return 2;
        }
        if (strcmp(a, "-") == 0) {
            if (!lint_add_file(l, "-"))
                return 2;
        } else if (stat(a, &st) != 0) {
            fprintf(l->err, "ddlgate lint: %s: %s\n", a, strerror(errno));
            rc = 2;
        } else if (S_ISDIR(st.st_mode)) {
            int from = l->nfiles;
            if (!lint_walk(l, a, 0))
                rc = 2;
            qsort(l->files + from, (size_t)(l->nfiles - from), sizeof *l->files, lint_file_cmp);
        } else if (!lint_add_file(l, a)) {
            return 2;
        }
    }
    return rc;
}

int lint_run(int argc, char **argv, FILE *out, FILE *err)
{
    struct lint *l = calloc(1, sizeof *l);
    if (!l)
        return 2;
    l->out = out;
    l->err = err;
    l->schema = lint_schema_new();
    l->tables.lookup = lint_lookup;
    l->tables.ctx = l;
    l->sess.lock_wait_cap_s = LINT_LOCK_WAIT_CAP;
    sql_script_init(&l->split);
    sql_script_init(&l->judge);
    gate_verdict_init(&l->v);
    rules_reset();
    approval_reset();
    int first = 0, rc = l->schema ? lint_args(l, argc, argv, &first) : 2;
    if (rc < 0) {
        rc = lint_collect(l, argc, argv, first);
        int io = rc;
        for (int i = 0; i < l->nfiles; i++)
            if (lint_file(l, &l->files[i]) == 2)
                io = 2;
        lint_missing_downs(l);
        rc = io ? io : l->worst;
    }
    fflush(out);
    for (int i = 0; i < l->nfiles; i++)
        free(l->files[i].path);
    free(l->files);
    gate_verdict_clear(&l->v);
    sql_script_free(&l->split);
    sql_script_free(&l->judge);
    lint_schema_free(l->schema);
    free(l);
    rules_reset();
    approval_reset();
    return rc;
}

int lint_main(int argc, char **argv)
{
    /* approvals requested while judging are not news on a CI log */
    if (log_level_current > LOG_WARN)
        log_set_level(LOG_WARN);
    return lint_run(argc, argv, stdout, stderr);
}
