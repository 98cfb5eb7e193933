/*
 * sql_lex.c - streaming MySQL/MariaDB tokenizer (see include/sql_lex.h).
 *
 * One pass, no allocation.  Executable comments are handled by a mode flag:
 * when "/x!NNNNN" applies to the server, the lexer simply continues with the
 * comment's content as code and swallows the closing star-slash when it meets
 * it at a token boundary, so inner tokens keep their real offsets.
 */
#include "sql_lex.h"

#include <pthread.h>
#include <string.h>

/* ---- keyword table ------------------------------------------------------ */

struct kw_entry {
    const char *name;
    uint8_t len;
    uint8_t reserved;
};

static const struct kw_entry kw_table[KW__COUNT] = {
    [KW_NONE] = {"", 0, 0},
#define LEX_KW_ROW(n, r) [KW_##n] = {#n, sizeof(#n) - 1, r},
    SQL_KEYWORDS(LEX_KW_ROW)
#undef LEX_KW_ROW
};

/* Keyword lookup without lower-casing into a buffer: a word of up to 24
 * bytes is loaded as three 64-bit little-endian words with every byte ORed
 * with 0x20.  For the bytes a word can hold (letters, digits, '_', '$',
 * bytes >= 0x80) that is an exact ASCII case fold: '_' becomes 0x7F and the
 * other non-letters keep their value, none of which another word byte can
 * collide with.  Keywords are stored folded the same way, so a match is
 * one to three integer compares.  The slot is a multiplicative hash of the
 * first folded word and the length; open addressing in 1024 slots for
 * ~300 words keeps probes short, and most identifiers land on an empty
 * slot at once. */
#define KW_HASH_BITS 10u
#define KW_HASH_SLOTS (1u << KW_HASH_BITS)
#define KW_MAX_LEN 24u
#define KW_FOLD 0x2020202020202020ull

struct kw_folded {
    uint64_t w[3];
};

static uint16_t kw_slots[KW_HASH_SLOTS];
static struct kw_folded kw_words[KW__COUNT];
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;

/* ASCII upper-casing as a table: one load per byte. */
#define U4(b) (b), (b) + 1, (b) + 2, (b) + 3
#define U16(b) U4(b), U4((b) + 4), U4((b) + 8), U4((b) + 12)
const unsigned char lex_upper_tab[256] = {
    U16(0), U16(16), U16(32), U16(48), U16(64), U16(80),
    '`', U4('A'), U4('E'), U4('I'), U4('M'), U4('Q'), U4('U'), 'Y', 'Z', '{', '|', '}', '~', 127,
    U16(128), U16(144), U16(160), U16(176), U16(192), U16(208), U16(224), U16(240),
};
#undef U16
#undef U4

static inline unsigned char lex_upper(unsigned char c)
{
    return lex_upper_tab[c];
}

static inline uint32_t kw_slot(uint64_t w0, uint32_t len)
{
    return (uint32_t)(((w0 ^ len) * 0x9E3779B97F4A7C15ull) >> (64u - KW_HASH_BITS));
}

/* Fold s[0..n) (n <= 24) into out: portable byte path, any alignment, never
 * reads past s + n. */
static void kw_fold_bytes(const unsigned char *s, uint32_t n, struct kw_folded *out)
{
    unsigned char b[3 * 8] = {0};
    for (uint32_t i = 0; i < n; i++)
        b[i] = (unsigned char)(s[i] | 0x20u);
    for (unsigned k = 0; k < 3; k++) {
        uint64_t v = 0;
        for (unsigned j = 8; j-- > 0;)
            v = v << 8 | b[k * 8 + j]; /* little-endian value, whatever the host */
        out->w[k] = v;
    }
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define KW_FAST_FOLD 1
/* Same result as kw_fold_bytes(), for callers that may read 24 bytes. */
static inline void kw_fold_fast(const unsigned char *s, uint32_t n, struct kw_folded *out)
{
    uint64_t mask = (n & 7u) ? (1ull << ((n & 7u) * 8u)) - 1u : ~0ull;
    uint64_t a, b, c;
    memcpy(&a, s, 8);
    memcpy(&b, s + 8, 8);
    memcpy(&c, s + 16, 8);
    a |= KW_FOLD, b |= KW_FOLD, c |= KW_FOLD;
    if (n <= 8) {
        out->w[0] = a & mask, out->w[1] = 0, out->w[2] = 0;
    } else if (n <= 16) {
        out->w[0] = a, out->w[1] = b & mask, out->w[2] = 0;
    } else {
        out->w[0] = a, out->w[1] = b, out->w[2] = c & mask;
    }
}
#else
#define KW_FAST_FOLD 0
#endif

static void kw_build(void)
{
    for (unsigned k = 1; k < KW__COUNT; k++) {
        unsigned len = kw_table[k].len;
        if (len > KW_MAX_LEN || len < 2)
            continue; /* never matched: check_sql_lex's keyword_table test fails */
        kw_fold_bytes((const unsigned char *)kw_table[k].name, len, &kw_words[k]);
        uint32_t h = kw_slot(kw_words[k].w[0], len);
        while (kw_slots[h] != 0)
            h = (h + 1) & (KW_HASH_SLOTS - 1);
        kw_slots[h] = (uint16_t)k;
    }
}

static inline enum lex_kw kw_probe(const struct kw_folded *f, uint32_t n)
{
    uint32_t h = kw_slot(f->w[0], n);
    for (;;) {
        unsigned k = kw_slots[h];
        if (k == 0)
            return KW_NONE;
        const struct kw_folded *w = &kw_words[k];
        if (kw_table[k].len == n && w->w[0] == f->w[0] && w->w[1] == f->w[1] && w->w[2] == f->w[2])
            return (enum lex_kw)k;
        h = (h + 1) & (KW_HASH_SLOTS - 1);
    }
}

/* s[0..n) is a scanned word; the text holds at least `avail` bytes from s. */
static inline enum lex_kw kw_find(const unsigned char *s, uint32_t n, uint32_t avail)
{
    struct kw_folded f;
    if (n < 2 || n > KW_MAX_LEN)
        return KW_NONE;
#if KW_FAST_FOLD
    if (avail >= 3 * 8)
        kw_fold_fast(s, n, &f);
    else
#endif
        kw_fold_bytes(s, n, &f);
    (void)avail;
    return kw_probe(&f, n);
}

enum lex_kw lex_keyword(const char *s, size_t n)
{
    pthread_once(&kw_once, kw_build);
    if (n < 2 || n > KW_MAX_LEN)
        return KW_NONE;
    /* callers may pass any bytes: only words made of identifier bytes can
     * be keywords, and the fold is exact only for those */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return KW_NONE;
    }
    return kw_find((const unsigned char *)s, (uint32_t)n, 0);
}

const char *lex_kw_name(enum lex_kw kw)
{
    return (unsigned)kw < KW__COUNT ? kw_table[kw].name : "";
}

bool lex_kw_reserved(enum lex_kw kw)
{
    return (unsigned)kw < KW__COUNT && kw_table[kw].reserved;
}

/* ---- comments ------------------------------------------------------------- */

static bool mem_icase_find(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && lex_upper((unsigned char)s[i + j]) == lex_upper((unsigned char)needle[j]))
            j++;
        if (j == m)
            return true;
    }
    return false;
}

static void lex_note_comment(struct lex *lx, uint32_t from, uint32_t to)
{
    const char *c = lx->s + from;
    size_t n = to - from;
    if (n >= 6 && (mem_icase_find(c, n, "gh-ost") || mem_icase_find(c, n, "pt-online-schema-change")))
        lx->osc_marker = true;
}

/* Does "/x!" (MySQL) or "/xM!" (MariaDB) with this version apply? */
static bool lex_exec_applies(const struct lex *lx, bool mariadb_only, unsigned ver)
{
    if (mariadb_only && lx->flavour != SQL_FLAVOUR_MARIADB)
        return false;
    if (ver == 0 || lx->version == 0)
        return true;
    return lx->version >= ver;
}

/* At "/x": handle a block comment.  Returns true when an executable comment
 * was opened (lexing continues inside it), false when skipped. */
static bool lex_block_comment(struct lex *lx)
{
    const char *s = lx->s;
    uint32_t start = lx->pos, p = lx->pos + 2, n = lx->len;
    bool exec = false, mariadb = false;
    if (!lx->in_exec && p < n && s[p] == '!') {
        exec = true;
        p++;
    } else if (!lx->in_exec && p + 1 < n && s[p] == 'M' && s[p + 1] == '!') {
        exec = mariadb = true;
        p += 2;
    }
    if (exec) {
        uint32_t d = p;
        while (d < n && d - p < 7 && IS_DIGIT(s[d]))
            d++;
        unsigned ver = 0, nd = d - p;
        if (nd >= 5) {
            nd = nd >= 6 ? 6 : 5;
            for (uint32_t i = 0; i < nd; i++)
                ver = ver * 10 + (unsigned)(s[p + i] - '0');
            p += nd;
        }
        if (lex_exec_applies(lx, mariadb, ver)) {
            lx->in_exec = true;
            lx->exec_version = ver;
            lx->exec_open = start;
            lx->pos = p;
            return true;
        }
    }
    /* ordinary comment, optimizer hint or non-applying executable comment */
    while (p + 1 < n && !(s[p] == '*' && s[p + 1] == '/'))
        p++;
    uint32_t end = p + 1 < n ? p + 2 : n;
    lex_note_comment(lx, start, end);
    lx->pos = end;
    return false;
}

/* Skip whitespace and comments; closes executable comments. */
static void lex_skip(struct lex *lx)
{
    const char *s = lx->s;
    uint32_t n = lx->len;
    while (lx->pos < n) {
        unsigned char c = (unsigned char)s[lx->pos];
        if (IS_SPACE(c)) {
            lx->pos++;
        } else if (!(cc_table[c] & CC_MAYCOMMENT)) {
            return; /* the common case: a token starts here */
        } else if (c == '#' || (c == '-' && lx->pos + 1 < n && s[lx->pos + 1] == '-' &&
                                (lx->pos + 2 >= n || (unsigned char)s[lx->pos + 2] <= ' '))) {
            uint32_t start = lx->pos;
            while (lx->pos < n && s[lx->pos] != '\n')
                lx->pos++;
            lex_note_comment(lx, start, lx->pos);
        } else if (c == '/' && lx->pos + 1 < n && s[lx->pos + 1] == '*') {
            lex_block_comment(lx);
        } else if (c == '*' && lx->in_exec && lx->pos + 1 < n && s[lx->pos + 1] == '/') {
            lx->pos += 2;
            lx->in_exec = false;
            lx->exec_close_end = lx->pos;
        } else {
            return;
        }
    }
}

/* ---- token scanners ------------------------------------------------------- */

/* Quoted run starting at the quote; doubled quotes and (for strings) backslash
 * escapes stay inside.  Returns the end offset; sets *unterminated. */
static uint32_t lex_quoted(const struct lex *lx, uint32_t p, char q, bool escapes, bool *unterminated)
{
    const char *s = lx->s;
    uint32_t n = lx->len;
    p++;
    while (p < n) {
        char c = s[p];
        if (c == '\\' && escapes) {
            p += 2;
            continue;
        }
        if (c == q) {
            if (p + 1 < n && s[p + 1] == q) {
                p += 2;
                continue;
            }
            return p + 1;
        }
        p++;
    }
    *unterminated = true;
    return n;
}

static uint32_t lex_ident_end(const struct lex *lx, uint32_t p)
{
    while (p < lx->len && IS_IDCH(lx->s[p]))
        p++;
    return p;
}

/* Number or digit-leading identifier at p (s[p] is a digit or '.'). */
static void lex_number(struct lex *lx, struct lex_tok *t)
{
    const char *s = lx->s;
    uint32_t n = lx->len, p = lx->pos;
    if (s[p] == '0' && p + 1 < n && (s[p + 1] == 'x' || s[p + 1] == 'b')) {
        bool hex = s[p + 1] == 'x';
        uint32_t q = p + 2;
        while (q < n && (hex ? is_hex((unsigned char)s[q]) : (s[q] == '0' || s[q] == '1')))
            q++;
        if (q > p + 2 && (q >= n || !IS_IDCH(s[q]))) {
            t->type = LEX_HEXBIN;
            lx->pos = q;
            return;
        }
    }
    uint32_t q = p;
    while (q < n && IS_DIGIT(s[q]))
        q++;
    bool dotted = false;
    if (q < n && s[q] == '.') {
        dotted = true;
        q++;
        while (q < n && IS_DIGIT(s[q]))
            q++;
    }
    if (q < n && (s[q] == 'e' || s[q] == 'E')) {
        uint32_t e = q + 1;
        if (e < n && (s[e] == '+' || s[e] == '-'))
            e++;
        if (e < n && IS_DIGIT(s[e])) {
            while (e < n && IS_DIGIT(s[e]))
                e++;
            q = e;
        }
    }
    if (!dotted && q < n && IS_IDSTART(s[q])) {
        /* 1abc, 123_x: MySQL allows identifiers that start with digits */
        t->type = LEX_IDENT;
        lx->pos = lex_ident_end(lx, q);
        return;
    }
    t->type = LEX_NUMBER;
    lx->pos = q;
}

/* Multi-character operators, decided on the first two bytes. */
static void lex_operator(struct lex *lx, struct lex_tok *t)
{
    const char *s = lx->s;
    uint32_t p = lx->pos, n = lx->len;
    unsigned char c = (unsigned char)s[p];
    unsigned char d = p + 1 < n ? (unsigned char)s[p + 1] : 0;
    unsigned char e = p + 2 < n ? (unsigned char)s[p + 2] : 0;
    uint16_t op = c;
    uint32_t len = 1;
    switch (c) {
    case '<':
        if (d == '=' && e == '>')
            op = LEX_OP_NSEQ, len = 3;
        else if (d == '=')
            op = LEX_OP_LE, len = 2;
        else if (d == '>')
            op = LEX_OP_NE, len = 2;
        else if (d == '<')
            op = LEX_OP_SHL, len = 2;
        break;
    case '>':
        if (d == '=')
            op = LEX_OP_GE, len = 2;
        else if (d == '>')
            op = LEX_OP_SHR, len = 2;
        break;
    case '!':
        if (d == '=')
            op = LEX_OP_NE, len = 2;
        break;
    case ':':
        if (d == '=')
            op = LEX_OP_ASSIGN, len = 2;
        break;
    case '|':
        if (d == '|')
            op = LEX_OP_OROR, len = 2;
        break;
    case '&':
        if (d == '&')
            op = LEX_OP_ANDAND, len = 2;
        break;
    case '-':
        if (d == '>' && e == '>')
            op = LEX_OP_ARROW2, len = 3;
        else if (d == '>')
            op = LEX_OP_ARROW, len = 2;
        break;
    default:
        break;
    }
    t->type = LEX_OP;
    t->op = op;
    lx->pos = p + len;
}

/* @name, @'name', @`name`, @@name, @@session.name */
static void lex_variable(struct lex *lx, struct lex_tok *t)
{
    const char *s = lx->s;
    uint32_t n = lx->len, p = lx->pos + 1;
    bool unterminated = false;
    t->type = LEX_VAR;
    if (p < n && s[p] == '@') {
        t->type = LEX_SYSVAR;
        p++;
        p = lex_ident_end(lx, p);
        if (p + 1 < n && s[p] == '.' && IS_IDCH(s[p + 1]))
            p = lex_ident_end(lx, p + 1);
        else if (p + 1 < n && s[p] == '.' && s[p + 1] == '`')
            p = lex_quoted(lx, p + 1, '`', false, &unterminated);
    } else if (p < n && (s[p] == '\'' || s[p] == '"' || s[p] == '`')) {
        p = lex_quoted(lx, p, s[p], s[p] != '`' && !lx->no_backslash_escapes, &unterminated);
    } else {
        p = lex_ident_end(lx, p);
    }
    if (unterminated)
        t->flags |= LEXF_UNTERMINATED;
    lx->pos = p;
}

/* A word: keyword, identifier, or the prefix of X'..', B'..', N'..', _cs'..' */
static void lex_word(struct lex *lx, struct lex_tok *t)
{
    const char *s = lx->s;
    uint32_t n = lx->len, p = lx->pos;
    uint32_t e = p;
    while (e < n && IS_IDCH(s[e]))
        e++;
    bool unterminated = false;
    if (e < n && (s[e] == '\'' || (s[e] == '"' && !lx->ansi_quotes))) {
        uint32_t wl = e - p;
        unsigned char c0 = lex_upper((unsigned char)s[p]);
        if (wl == 1 && (c0 == 'X' || c0 == 'B') && s[e] == '\'') {
            t->type = LEX_HEXBIN;
            lx->pos = lex_quoted(lx, e, '\'', false, &unterminated);
            t->flags |= unterminated ? LEXF_UNTERMINATED : 0;
            return;
        }
        if ((wl == 1 && c0 == 'N') || (wl > 1 && s[p] == '_')) {
            t->type = LEX_STRING;
            t->flags |= LEXF_INTRODUCER;
            lx->pos = lex_quoted(lx, e, s[e], !lx->no_backslash_escapes, &unterminated);
            t->flags |= unterminated ? LEXF_UNTERMINATED : 0;
            return;
        }
    }
    t->type = LEX_IDENT;
    uint32_t wl = e - p;
    if (wl >= 2 && wl <= KW_MAX_LEN &&
        (kw_filter[wl][(unsigned char)s[p] & 31] >> ((unsigned char)s[e - 1] & 31) & 1u))
        t->kw = (uint16_t)kw_find_hashed(s + p, wl, kw_hash(s + p, wl));
    lx->pos = e;
}

bool lex_next(struct lex *lx, struct lex_tok *t)
{
    lex_skip(lx);
    memset(t, 0, sizeof(*t));
    t->off = lx->pos;
    if (lx->pos >= lx->len) {
        t->type = LEX_EOF;
        lx->prev_type = LEX_EOF;
        return false;
    }
    if (lx->in_exec)
        t->flags |= LEXF_EXEC;
    const char *s = lx->s;
    unsigned char c = (unsigned char)s[lx->pos];
    bool unterminated = false;
    if (IS_IDSTART(c)) {
        lex_word(lx, t);
    } else if (IS_DIGIT(c)) {
        lex_number(lx, t);
    } else if (c == '.' && lx->pos + 1 < lx->len && IS_DIGIT(s[lx->pos + 1]) &&
               lx->prev_type != LEX_IDENT && lx->prev_type != LEX_QIDENT) {
        lex_number(lx, t);
    } else if (c == '`' || (c == '"' && lx->ansi_quotes)) {
        t->type = LEX_QIDENT;
        lx->pos = lex_quoted(lx, lx->pos, (char)c, false, &unterminated);
    } else if (c == '\'' || c == '"') {
        t->type = LEX_STRING;
        lx->pos = lex_quoted(lx, lx->pos, (char)c, !lx->no_backslash_escapes, &unterminated);
    } else if (c == '?') {
        t->type = LEX_PARAM;
        lx->pos++;
    } else if (c == '@') {
        lex_variable(lx, t);
    } else {
        lex_operator(lx, t);
    }
    if (unterminated)
        t->flags |= LEXF_UNTERMINATED;
    t->len = lx->pos - t->off;
    lx->prev_type = t->type;
    return true;
}
