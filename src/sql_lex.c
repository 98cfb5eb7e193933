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

/* Open-addressing hash of the keyword table, filled once.  Static storage,
 * so lookups never allocate; 1024 slots for ~300 words keeps probes short. */
#define KW_HASH_SLOTS 1024u
#define KW_MAX_LEN 24u
static uint16_t kw_slots[KW_HASH_SLOTS];
/* Prefilter: bit (last byte & 31) of kw_filter[len][first byte & 31] is set
 * when some keyword of that length starts and ends so (case-blind), so most
 * identifiers are rejected without hashing. */
static uint32_t kw_filter[KW_MAX_LEN + 1][32];
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;

/* ASCII upper-casing as a table: one load per byte on the hot path. */
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

#define KW_HASH_INIT 2166136261u
#define KW_HASH_STEP(h, c) (((h) ^ lex_upper_tab[(unsigned char)(c)]) * 16777619u)

static inline uint32_t kw_hash(const char *s, size_t n)
{
    uint32_t h = KW_HASH_INIT;
    for (size_t i = 0; i < n; i++)
        h = KW_HASH_STEP(h, s[i]);
    return h;
}

static void kw_build(void)
{
    for (unsigned k = 1; k < KW__COUNT; k++) {
        const char *w = kw_table[k].name;
        unsigned len = kw_table[k].len;
        if (len > KW_MAX_LEN)
            continue; /* never matched: check_sql_lex's keyword_table test fails */
        kw_filter[len][(unsigned char)w[0] & 31] |= 1u << ((unsigned char)w[len - 1] & 31);
        uint32_t h = kw_hash(kw_table[k].name, kw_table[k].len) & (KW_HASH_SLOTS - 1);
        while (kw_slots[h] != 0)
            h = (h + 1) & (KW_HASH_SLOTS - 1);
        kw_slots[h] = (uint16_t)k;
    }
}

/* Lookup once the table is built (lex_init() and lex_keyword() ensure it). */
static enum lex_kw kw_find_hashed(const char *s, size_t n, uint32_t full_hash)
{
    if (n < 2 || n > KW_MAX_LEN)
        return KW_NONE;
    uint32_t h = full_hash & (KW_HASH_SLOTS - 1);
    for (;;) {
        unsigned k = kw_slots[h];
        if (k == 0)
            return KW_NONE;
        if (kw_table[k].len == n) {
            const char *w = kw_table[k].name;
            size_t i = 0;
            while (i < n && lex_upper((unsigned char)s[i]) == (unsigned char)w[i])
                i++;
            if (i == n)
                return (enum lex_kw)k;
        }
        h = (h + 1) & (KW_HASH_SLOTS - 1);
    }
}

static enum lex_kw kw_find(const char *s, size_t n)
{
    return n > KW_MAX_LEN ? KW_NONE : kw_find_hashed(s, n, kw_hash(s, n));
}

enum lex_kw lex_keyword(const char *s, size_t n)
{
    pthread_once(&kw_once, kw_build);
    return kw_find(s, n);
}

const char *lex_kw_name(enum lex_kw kw)
{
    return (unsigned)kw < KW__COUNT ? kw_table[kw].name : "";
}

bool lex_kw_reserved(enum lex_kw kw)
{
    return (unsigned)kw < KW__COUNT && kw_table[kw].reserved;
}

/* ---- character classes --------------------------------------------------- */

enum cc {
    CC_OTHER = 0,
    CC_SPACE = 1,
    CC_IDENT = 2, /* letters, _, $, bytes >= 0x80 */
    CC_DIGIT = 4,
    CC_MAYCOMMENT = 8, /* '#', '-', '/', '*': may start/end a comment */
};

static const uint8_t cc_table[256] = {
    ['\t'] = CC_SPACE, ['\n'] = CC_SPACE, ['\v'] = CC_SPACE, ['\f'] = CC_SPACE,
    ['\r'] = CC_SPACE, [' '] = CC_SPACE,
    ['0'] = CC_DIGIT, ['1'] = CC_DIGIT, ['2'] = CC_DIGIT, ['3'] = CC_DIGIT,
    ['4'] = CC_DIGIT, ['5'] = CC_DIGIT, ['6'] = CC_DIGIT, ['7'] = CC_DIGIT,
    ['8'] = CC_DIGIT, ['9'] = CC_DIGIT,
    ['_'] = CC_IDENT, ['$'] = CC_IDENT,
    ['#'] = CC_MAYCOMMENT, ['-'] = CC_MAYCOMMENT, ['/'] = CC_MAYCOMMENT, ['*'] = CC_MAYCOMMENT,
#define L(c) [c] = CC_IDENT, [c + 32] = CC_IDENT,
    L('A') L('B') L('C') L('D') L('E') L('F') L('G') L('H') L('I') L('J')
    L('K') L('L') L('M') L('N') L('O') L('P') L('Q') L('R') L('S') L('T')
    L('U') L('V') L('W') L('X') L('Y') L('Z')
#undef L
#define H8(b) [b] = CC_IDENT, [b + 1] = CC_IDENT, [b + 2] = CC_IDENT, [b + 3] = CC_IDENT, \
    [b + 4] = CC_IDENT, [b + 5] = CC_IDENT, [b + 6] = CC_IDENT, [b + 7] = CC_IDENT,
#define H64(b) H8(b) H8(b + 8) H8(b + 16) H8(b + 24) H8(b + 32) H8(b + 40) H8(b + 48) H8(b + 56)
    H64(0x80) H64(0xC0)
#undef H64
#undef H8
};

#define IS_SPACE(c) (cc_table[(unsigned char)(c)] & CC_SPACE)
#define IS_DIGIT(c) (cc_table[(unsigned char)(c)] & CC_DIGIT)
#define IS_IDCH(c) (cc_table[(unsigned char)(c)] & (CC_IDENT | CC_DIGIT))
#define IS_IDSTART(c) (cc_table[(unsigned char)(c)] & CC_IDENT)

static inline bool is_hex(unsigned char c)
{
    return IS_DIGIT(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* ---- init ----------------------------------------------------------------- */

void lex_init(struct lex *lx, const char *text, size_t len, const struct sql_parse_opts *opts)
{
    memset(lx, 0, sizeof(*lx));
    lx->s = text;
    lx->len = len > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)len;
    if (opts) {
        lx->flavour = opts->server.flavour;
        lx->version = opts->server.version;
        lx->ansi_quotes = opts->ansi_quotes;
        lx->no_backslash_escapes = opts->no_backslash_escapes;
    }
    pthread_once(&kw_once, kw_build);
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
