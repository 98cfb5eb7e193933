/*
 * fuzz_classify.c - libFuzzer target for the classifier and the gate's
 * rewrites.  Every statement the parser returns is classified against the
 * server picked by the first byte (with or without table facts), then the
 * whole text goes through gate_check().  When a rewrite comes back it must:
 *   - keep, in order, every byte outside the edited clause ranges (the
 *     ALGORITHM / LOCK spans with their separating comma and blanks, and
 *     the insertion points append_off / end of the ALGORITHM span), with
 *     only clause text ("ALGORITHM=INSTANT", ", ", "LOCK=NONE") in between;
 *   - re-lex cleanly: tokens inside the text, never going backwards, and no
 *     unterminated quote/comment that the original did not have.
 *
 * Input: byte 0 = options (server, table facts, rule set), rest = SQL.
 * Build: cmake -DDDLGATE_FUZZ=ON with CC=clang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "approval.h"
#include "classify.h"
#include "gate.h"
#include "log.h"
#include "rules.h"
#include "sql.h"
#include "sql_lex.h"

#define FZ_MAX_REGIONS 256

/* ---- table facts ------------------------------------------------------------ */

static const char *fz_enum_vals[] = {"a", "b", "c"};
static struct gate_column_info fz_cols[] = {
    {.name = "id",
     .type = "INT",
     .length = -1,
     .auto_increment = true,
     .unique_lead = true,
     .in_index = true},
    {.name = "a",
     .type = "VARCHAR",
     .length = 50,
     .charset = "utf8mb4",
     .max_bytes_per_char = 4,
     .nullable = true},
    {.name = "b", .type = "INT", .length = -1, .nullable = true, .in_index = true},
    {.name = "c", .type = "ENUM", .length = -1, .nvalues = 3, .values = fz_enum_vals},
    {.name = "d",
     .type = "TEXT",
     .length = -1,
     .charset = "latin1",
     .max_bytes_per_char = 1,
     .nullable = true},
};
static const char *fz_key_cols[] = {"id"};
static const char *fz_fk_names[] = {"fk_x"};
static const struct gate_table_info fz_table = {.engine = "InnoDB",
                                                .row_format = "DYNAMIC",
                                                .size_bytes = 1u << 20,
                                                .rows = 1000,
                                                .has_primary_key = true,
                                                .has_not_null_unique = true,
                                                .ncols = 5,
                                                .cols = fz_cols,
                                                .has_any_unique = true,
                                                .nkey_cols = 1,
                                                .key_cols = fz_key_cols,
                                                .nfk_names = 1,
                                                .fk_names = fz_fk_names,
                                                .default_charset = "utf8mb4"};

static const struct gate_table_info *fz_lookup(void *ctx, const char *schema, const char *table)
{
    (void)schema, (void)table;
    return ctx;
}

/* ---- rule sets ------------------------------------------------------------------- */

/* 0: defaults; 1: only the rewriting rules on (so rewrites are not masked
 * by an earlier reject/approval) */
static void fz_rule_set(int set)
{
    static int current = -1;

    if (set == current)
        return;
    rules_reset();
    if (set == 1) {
        for (int i = 0; i < rules_count(); i++) {
            const struct rule_def *d = rules_at(i);
            if (d->default_mode != RULE_REWRITE)
                rules_set_mode(d->id, RULE_OFF, NULL, NULL);
        }
    }
    current = set;
}

/* ---- rewrite checks --------------------------------------------------------------- */

struct fz_region {
    uint32_t from, to; /* [from, to) may change; from == to: insertion point */
};

static int fz_region_cmp(const void *x, const void *y)
{
    const struct fz_region *a = x, *b = y;
    return a->from < b->from ? -1 : a->from > b->from ? 1 : 0;
}

static bool fz_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* A clause span widened over its blanks and one separating comma on each
 * side, kept inside the statement. */
static struct fz_region fz_widen(const char *t, struct sql_span sp, const struct sql_span *st)
{
    uint32_t lo = st->off, hi = st->off + st->len;
    uint32_t from = sp.off, to = sp.off + sp.len;

    while (from > lo && fz_blank(t[from - 1]))
        from--;
    if (from > lo && t[from - 1] == ',')
        from--;
    while (to < hi && fz_blank(t[to]))
        to++;
    if (to < hi && t[to] == ',')
        to++;
    while (to < hi && fz_blank(t[to]))
        to++;
    return (struct fz_region){from, to};
}

static int fz_regions(const struct sql_script *sc, const char *t, struct fz_region *r)
{
    int n = 0;

    for (int i = 0; i < sc->nstmts && n + 4 <= FZ_MAX_REGIONS; i++) {
        const struct sql_stmt *st = &sc->stmts[i];
        const struct sql_alter *a = &st->alter;
        if (a->algorithm_span.len) {
            r[n++] = fz_widen(t, a->algorithm_span, &st->span);
            uint32_t e = a->algorithm_span.off + a->algorithm_span.len;
            r[n++] = (struct fz_region){e, e};
        }
        if (a->lock_span.len)
            r[n++] = fz_widen(t, a->lock_span, &st->span);
        if (a->append_off)
            r[n++] = (struct fz_region){a->append_off, a->append_off};
    }
    qsort(r, (size_t)n, sizeof(*r), fz_region_cmp);
    /* merge overlapping or touching regions */
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (m > 0 && r[i].from <= r[m - 1].to) {
            if (r[i].to > r[m - 1].to)
                r[m - 1].to = r[i].to;
        } else {
            r[m++] = r[i];
        }
    }
    return m;
}

/* Bytes an edited range may hold afterwards: clause text ddlgate writes
 * ("ALGORITHM=INSTANT", ", ", "LOCK=NONE") or bytes the range held before
 * (a kept "ALGORITHM = inplace" with its spelling and comments). */
static bool fz_clause_text(const char *p, size_t n, const char *was, size_t wn)
{
    bool ok[256] = {false};

    for (int ch = 'A'; ch <= 'Z'; ch++)
        ok[ch] = true;
    ok['='] = ok[','] = ok[' '] = true;
    for (size_t i = 0; i < wn; i++)
        ok[(unsigned char)was[i]] = true;
    for (size_t i = 0; i < n; i++)
        if (!ok[(unsigned char)p[i]])
            return false;
    return true;
}

static const char *fz_find(const char *hay, size_t hn, const char *needle, size_t nn)
{
    if (nn == 0)
        return hay;
    return memmem(hay, hn, needle, nn);
}

/* Every byte outside the regions is kept, in order, and only clause text
 * is added between the kept stretches. */
static void fz_check_kept(const char *orig, size_t len, const char *out, size_t olen,
                          const struct fz_region *r, int nr)
{
    size_t at = 0;  /* position in orig */
    size_t pos = 0; /* position in out */

    for (int i = 0; i <= nr; i++) {
        size_t seg_end = i < nr ? r[i].from : len;
        size_t seg_len = seg_end - at;
        const char *seg = orig + at;
        /* the range edited just before this stretch */
        const char *was = i > 0 ? orig + r[i - 1].from : NULL;
        size_t wn = i > 0 ? r[i - 1].to - r[i - 1].from : 0;
        if (i == 0) {
            /* the text before the first edit is a prefix */
            if (seg_len > olen || memcmp(out, seg, seg_len) != 0)
                abort();
            pos = seg_len;
        } else if (i == nr) {
            /* the text after the last edit is a suffix */
            if (seg_len > olen - pos || memcmp(out + olen - seg_len, seg, seg_len) != 0)
                abort();
            if (!fz_clause_text(out + pos, olen - seg_len - pos, was, wn))
                abort();
            pos = olen;
        } else {
            const char *hit = fz_find(out + pos, olen - pos, seg, seg_len);
            if (!hit || !fz_clause_text(out + pos, (size_t)(hit - (out + pos)), was, wn))
                abort();
            pos = (size_t)(hit - out) + seg_len;
        }
        if (i < nr)
            at = r[i].to;
    }
}

static int fz_unterminated(const char *t, size_t n, const struct sql_parse_opts *o)
{
    struct lex lx;
    struct lex_tok tok;
    uint32_t last = 0;
    size_t count = 0;
    int unterminated = 0;

    lex_init(&lx, t, n, o);
    while (lex_next(&lx, &tok)) {
        if (tok.off < last || (size_t)tok.off + tok.len > n || tok.len == 0 || ++count > n)
            abort();
        last = tok.off + tok.len;
        unterminated += (tok.flags & LEXF_UNTERMINATED) != 0;
    }
    return unterminated;
}

static void fz_check_rewrite(const struct sql_parse_opts *o, const struct sql_script *sc,
                             const char *text, size_t len, const struct gate_verdict *v)
{
    static struct fz_region regions[FZ_MAX_REGIONS];
    /* copy so reads past the end of the rewrite are caught by ASan */
    char *out = malloc(v->rewritten_len ? v->rewritten_len : 1);

    if (!out)
        return;
    memcpy(out, v->rewritten, v->rewritten_len);
    int nr = fz_regions(sc, text, regions);
    if (nr == 0)
        abort(); /* a rewrite with nothing editable */
    fz_check_kept(text, len, out, v->rewritten_len, regions, nr);
    if (fz_unterminated(out, v->rewritten_len, o) > fz_unterminated(text, len, o))
        abort();
    free(out);
}

/* ---- classifier invariants ------------------------------------------------------- */

static void fz_classify_all(const struct sql_server *srv, const struct sql_script *sc,
                            const struct gate_table_info *ti)
{
    static struct classify_result cr;

    for (int i = 0; i < sc->nstmts; i++) {
        const struct sql_stmt *st = &sc->stmts[i];
        classify_stmt(srv, st, ti, &cr);
        if (cr.nspecs < 0 || cr.nspecs > CLASSIFY_MAX_SPECS)
            abort();
        if (memchr(cr.why, '\0', sizeof(cr.why)) == NULL)
            abort();
        if (cr.instant_ok && !cr.is_alter_like)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sql_script script;
    static struct gate_verdict v;
    static bool init;
    static const struct sql_server servers[] = {
        {SQL_FLAVOUR_MYSQL, 50744, false},    {SQL_FLAVOUR_MYSQL, 80036, false},
        {SQL_FLAVOUR_MYSQL, 80400, false},    {SQL_FLAVOUR_MARIADB, 100611, false},
        {SQL_FLAVOUR_MARIADB, 101119, false}, {SQL_FLAVOUR_MARIADB, 110402, false},
        {SQL_FLAVOUR_MARIADB, 101119, true},  {SQL_FLAVOUR_MYSQL, 80036, true},
    };

    if (!init) {
        log_set_level(LOG_ERROR);
        sql_script_init(&script);
        gate_verdict_init(&v);
        init = true;
    }
    if (size < 1 || size > 65536)
        return 0;
    struct sql_parse_opts o = {.server = servers[data[0] & 7],
                               .default_schema = (data[0] & 0x40) ? NULL : "db",
                               .ansi_quotes = (data[0] & 0x80) != 0};
    const struct gate_table_info *ti = (data[0] & 8) ? &fz_table : NULL;
    struct gate_tables tables = {fz_lookup, (void *)ti};
    struct gate_session gs = {.user = "app",
                              .schema = o.default_schema,
                              .in_transaction = (data[0] & 0x20) != 0,
                              .session_id = 1};
    /* the text lives in its own allocation so overreads are caught */
    size_t len = size - 1;
    char *text = malloc(len ? len : 1);
    if (!text)
        return 0;
    memcpy(text, data + 1, len);

    fz_rule_set((data[0] & 0x10) ? 1 : 0);
    gate_verdict_clear(&v);
    gate_verdict_init(&v);
    gate_check(&o, &gs, &tables, text, len, &script, &v);
    fz_classify_all(&o.server, &script, ti);
    if (v.action == GATE_REWRITE && !v.rewritten)
        abort();
    if (v.rewritten)
        fz_check_rewrite(&o, &script, text, len, &v);
    if (v.action == GATE_APPROVAL)
        approval_reset(); /* keep the pending table small */
    gate_verdict_clear(&v);
    free(text);
    return 0;
}
