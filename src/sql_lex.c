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
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

/* ---- keyword table ------------------------------------------------------ */

struct kw_entry {
    const char *name;
    uint8_t len;
};

/* clang-format off */
static const struct kw_entry kw_table[KW__COUNT] = {
    [KW_NONE] = {"", 0},
#define LEX_KW_ROW(n, r) [KW_##n] = {#n, sizeof(#n) - 1},
    SQL_KEYWORDS(LEX_KW_ROW)
#undef LEX_KW_ROW
};
/* clang-format on */

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
#define KW_HASH_SLOTS LEX_KW_SLOTS
#define KW_MAX_LEN 24u
#define KW_FOLD LEX_KW_FOLD

struct kw_folded {
    uint64_t w[3];
};

/* Filled once by kw_build(); read by lex_kw_find() (sql_lex.h). */
uint16_t lex_kw_slots[LEX_KW_SLOTS];
uint64_t lex_kw_word0[KW__COUNT];
uint64_t lex_kw_word1[KW__COUNT];
uint8_t lex_kw_len[KW__COUNT];
const uint64_t lex_kw_mask[9] = {
    0,
    0xFF,
    0xFFFF,
    0xFFFFFF,
    0xFFFFFFFF,
    0xFFFFFFFFFFull,
    0xFFFFFFFFFFFFull,
    0xFFFFFFFFFFFFFFull,
    ~0ull,
};
static struct kw_folded kw_words[KW__COUNT];
#define kw_slots lex_kw_slots
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;
/* Set (release) once kw_build() has run: lex_init() runs per query, and a
 * pthread_once() call there showed in the profile; a loaded flag is enough
 * after the first time. */
static _Atomic bool kw_ready;

static void kw_build_once(void);
static inline void kw_ensure(void)
{
    if (!atomic_load_explicit(&kw_ready, memory_order_acquire))
        kw_build_once();
}

/* ASCII upper-casing as a table: one load per byte. */
#define U4(b) (b), (b) + 1, (b) + 2, (b) + 3
#define U16(b) U4(b), U4((b) + 4), U4((b) + 8), U4((b) + 12)
/* clang-format off */
const unsigned char lex_upper_tab[256] = {
    U16(0), U16(16), U16(32), U16(48), U16(64), U16(80),
    '`', U4('A'), U4('E'), U4('I'), U4('M'), U4('Q'), U4('U'), 'Y', 'Z', '{', '|', '}', '~', 127,
    U16(128), U16(144), U16(160), U16(176), U16(192), U16(208), U16(224), U16(240),
};
/* clang-format on */
#undef U16
#undef U4

static inline unsigned char lex_upper(unsigned char c) { return lex_upper_tab[c]; }

#define kw_slot lex_kw_slot

/* Fold s[0..n) (n <= 24) into out: portable byte path, any alignment, never
 * reads past s + n. */
static __attribute__((noinline)) void kw_fold_bytes(const unsigned char *s, uint32_t n,
                                                    struct kw_folded *out)
{
    out->w[0] = out->w[1] = out->w[2] = 0;
    for (uint32_t i = 0; i < n && i < 3 * 8; i++) /* little-endian value, whatever the host */
        out->w[i >> 3] |= (uint64_t)(s[i] | 0x20u) << ((i & 7u) * 8u);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define KW_FAST_FOLD 1
/* Same result as kw_fold_bytes(), for callers that may read n rounded up
 * to 8, 16 or 24 bytes. */
static inline void kw_fold_fast(const unsigned char *s, uint32_t n, struct kw_folded *out)
{
    uint64_t mask = (n & 7u) ? (1ull << ((n & 7u) * 8u)) - 1u : ~0ull;
    uint64_t a, b, c;
    memcpy(&a, s, 8);
    a |= KW_FOLD;
    if (n <= 8) {
        out->w[0] = a & mask, out->w[1] = 0, out->w[2] = 0;
        return;
    }
    memcpy(&b, s + 8, 8);
    b |= KW_FOLD;
    if (n <= 16) {
        out->w[0] = a, out->w[1] = b & mask, out->w[2] = 0;
        return;
    }
    memcpy(&c, s + 16, 8);
    c |= KW_FOLD;
    out->w[0] = a, out->w[1] = b, out->w[2] = c & mask;
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
        lex_kw_word0[k] = kw_words[k].w[0];
        lex_kw_word1[k] = kw_words[k].w[1];
        lex_kw_len[k] = (uint8_t)len;
        uint32_t h = kw_slot(kw_words[k].w[0], len);
        while (kw_slots[h] != 0)
            h = (h + 1) & (KW_HASH_SLOTS - 1);
        kw_slots[h] = (uint16_t)k;
    }
}

static void kw_build_once(void)
{
    pthread_once(&kw_once, kw_build);
    atomic_store_explicit(&kw_ready, true, memory_order_release);
}

static inline enum lex_kw kw_probe(const struct kw_folded *f, uint32_t n)
{
    uint32_t h = kw_slot(f->w[0], n);
    for (;;) {
        unsigned k = kw_slots[h];
        if (k == 0)
            return KW_NONE;
        const struct kw_folded *w = &kw_words[k];
        if (kw_table[k].len == n && w->w[0] == f->w[0] &&
            (n <= 8 || (w->w[1] == f->w[1] && w->w[2] == f->w[2])))
            return (enum lex_kw)k;
        h = (h + 1) & (KW_HASH_SLOTS - 1);
    }
}

/* s[0..n) is a scanned word; the text holds at least `avail` bytes from s.
 * lex_kw_find() (sql_lex.h) handles short words inline, the rest here. */
enum lex_kw lex_kw_find_slow(const unsigned char *s, uint32_t n, uint32_t avail)
{
    struct kw_folded f;
    if (n < 2 || n > KW_MAX_LEN)
        return KW_NONE;
#if KW_FAST_FOLD
    if (avail >= ((n + 7u) & ~7u))
        kw_fold_fast(s, n, &f);
    else
#endif
        kw_fold_bytes(s, n, &f);
    (void)avail;
    return kw_probe(&f, n);
}

enum lex_kw lex_keyword(const char *s, size_t n)
{
    kw_ensure();
    if (n < 2 || n > KW_MAX_LEN)
        return KW_NONE;
    /* callers may pass any bytes: only words made of identifier bytes can
     * be keywords, and the fold is exact only for those */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return KW_NONE;
    }
    return lex_kw_find((const unsigned char *)s, (uint32_t)n, 0, 0);
}

const char *lex_kw_name(enum lex_kw kw)
{
    return (unsigned)kw < KW__COUNT ? kw_table[kw].name : "";
}

const uint8_t lex_kw_reserved_tab[KW__COUNT] = {
#define LEX_KW_RES(n, r) [KW_##n] = r,
    SQL_KEYWORDS(LEX_KW_RES)
#undef LEX_KW_RES
};

/* ---- character classes --------------------------------------------------- */

/* clang-format off */
const uint8_t lex_cc_table[256] = {
    ['\t'] = LEX_CC_SPACE, ['\n'] = LEX_CC_SPACE, ['\v'] = LEX_CC_SPACE, ['\f'] = LEX_CC_SPACE,
    ['\r'] = LEX_CC_SPACE, [' '] = LEX_CC_SPACE,
    ['0'] = LEX_CC_DIGIT, ['1'] = LEX_CC_DIGIT, ['2'] = LEX_CC_DIGIT, ['3'] = LEX_CC_DIGIT,
    ['4'] = LEX_CC_DIGIT, ['5'] = LEX_CC_DIGIT, ['6'] = LEX_CC_DIGIT, ['7'] = LEX_CC_DIGIT,
    ['8'] = LEX_CC_DIGIT, ['9'] = LEX_CC_DIGIT,
    ['_'] = LEX_CC_IDENT, ['$'] = LEX_CC_IDENT,
    ['\''] = LEX_CC_QUOTE, ['"'] = LEX_CC_QUOTE,
    ['#'] = LEX_CC_MAYCOMMENT, ['-'] = LEX_CC_MAYCOMMENT, ['/'] = LEX_CC_MAYCOMMENT, ['*'] = LEX_CC_MAYCOMMENT,
#define L(c) [c] = LEX_CC_IDENT, [c + 32] = LEX_CC_IDENT,
    L('A') L('B') L('C') L('D') L('E') L('F') L('G') L('H') L('I') L('J')
    L('K') L('L') L('M') L('N') L('O') L('P') L('Q') L('R') L('S') L('T')
    L('U') L('V') L('W') L('X') L('Y') L('Z')
#undef L
#define H8(b) [b] = LEX_CC_IDENT, [b + 1] = LEX_CC_IDENT, [b + 2] = LEX_CC_IDENT, [b + 3] = LEX_CC_IDENT, \
    [b + 4] = LEX_CC_IDENT, [b + 5] = LEX_CC_IDENT, [b + 6] = LEX_CC_IDENT, [b + 7] = LEX_CC_IDENT,
#define H64(b) H8(b) H8(b + 8) H8(b + 16) H8(b + 24) H8(b + 32) H8(b + 40) H8(b + 48) H8(b + 56)
    H64(0x80) H64(0xC0)
#undef H64
#undef H8
};
/* clang-format on */

#define IS_SPACE(c) (lex_cc_table[(unsigned char)(c)] & LEX_CC_SPACE)
#define IS_DIGIT(c) (lex_cc_table[(unsigned char)(c)] & LEX_CC_DIGIT)
#define IS_IDCH(c) (lex_cc_table[(unsigned char)(c)] & (LEX_CC_IDENT | LEX_CC_DIGIT))
#define IS_IDSTART(c) (lex_cc_table[(unsigned char)(c)] & LEX_CC_IDENT)

static inline bool is_hex(unsigned char c)
{
    return IS_DIGIT(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* clang-format off */
const uint8_t lex_start_table[256] = {
    ['\t'] = LEX_ST_SPACE, ['\n'] = LEX_ST_SPACE, ['\v'] = LEX_ST_SPACE, ['\f'] = LEX_ST_SPACE,
    ['\r'] = LEX_ST_SPACE, [' '] = LEX_ST_SPACE,
    [';'] = LEX_ST_OP1, ['#'] = LEX_ST_OP1, ['/'] = LEX_ST_OP1, ['*'] = LEX_ST_OP1,
    ['<'] = LEX_ST_OPX, ['>'] = LEX_ST_OPX, ['!'] = LEX_ST_OPX, [':'] = LEX_ST_OPX, ['|'] = LEX_ST_OPX,
    ['&'] = LEX_ST_OPX, ['-'] = LEX_ST_OPX,
    ['0'] = LEX_ST_DIGIT, ['1'] = LEX_ST_DIGIT, ['2'] = LEX_ST_DIGIT, ['3'] = LEX_ST_DIGIT, ['4'] = LEX_ST_DIGIT,
    ['5'] = LEX_ST_DIGIT, ['6'] = LEX_ST_DIGIT, ['7'] = LEX_ST_DIGIT, ['8'] = LEX_ST_DIGIT, ['9'] = LEX_ST_DIGIT,
    ['.'] = LEX_ST_DOT, ['`'] = LEX_ST_BQUOTE, ['"'] = LEX_ST_DQUOTE, ['\''] = LEX_ST_SQUOTE, ['?'] = LEX_ST_PARAM,
    ['@'] = LEX_ST_AT, ['_'] = LEX_ST_WORD, ['$'] = LEX_ST_WORD,
#define L(c) [c] = LEX_ST_WORD, [c + 32] = LEX_ST_WORD,
    L('A') L('B') L('C') L('D') L('E') L('F') L('G') L('H') L('I') L('J')
    L('K') L('L') L('M') L('N') L('O') L('P') L('Q') L('R') L('S') L('T')
    L('U') L('V') L('W') L('X') L('Y') L('Z')
#undef L
#define H8(b) [b] = LEX_ST_WORD, [b + 1] = LEX_ST_WORD, [b + 2] = LEX_ST_WORD, [b + 3] = LEX_ST_WORD, \
    [b + 4] = LEX_ST_WORD, [b + 5] = LEX_ST_WORD, [b + 6] = LEX_ST_WORD, [b + 7] = LEX_ST_WORD,
#define H64(b) H8(b) H8(b + 8) H8(b + 16) H8(b + 24) H8(b + 32) H8(b + 40) H8(b + 48) H8(b + 56)
    H64(0x80) H64(0xC0)
#undef H64
#undef H8
};
/* clang-format on */

/* Bytes that end a quoted run, by quote: the quote itself and backslash. */
enum lex_qstop {
    QS_SQUOTE = 1,
    QS_DQUOTE = 2,
    QS_BQUOTE = 4,
    QS_BACKSLASH = 8,
};

/* clang-format off */
static const uint8_t qstop_table[256] = {
    ['\''] = QS_SQUOTE, ['"'] = QS_DQUOTE, ['`'] = QS_BQUOTE, ['\\'] = QS_BACKSLASH,
};
/* clang-format on */

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
    kw_ensure();
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
    if (n >= 6 &&
        (mem_icase_find(c, n, "gh-ost") || mem_icase_find(c, n, "pt-online-schema-change")))
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

/* At a byte that may start a comment (lx->pos): skip one comment, or open
 * or close an executable comment.  Returns false when the byte starts a
 * token instead. */
static bool lex_comment(struct lex *lx)
{
    const char *s = lx->s;
    uint32_t n = lx->len, p = lx->pos;
    unsigned char c = (unsigned char)s[p];
    if (c == '#' || (c == '-' && p + 1 < n && s[p + 1] == '-' &&
                     (p + 2 >= n || (unsigned char)s[p + 2] <= ' '))) {
        uint32_t start = p;
        while (p < n && s[p] != '\n')
            p++;
        lx->pos = p;
        lex_note_comment(lx, start, p);
        return true;
    }
    if (c == '/' && p + 1 < n && s[p + 1] == '*') {
        lex_block_comment(lx);
        return true;
    }
    if (c == '*' && lx->in_exec && p + 1 < n && s[p + 1] == '/') {
        lx->pos = p + 2;
        lx->in_exec = false;
        lx->exec_close_end = lx->pos;
        return true;
    }
    return false;
}

/* ---- token scanners ------------------------------------------------------- */

/* Quoted run starting at the quote; doubled quotes and (for strings) backslash
 * escapes stay inside.  Returns the end offset; sets *unterminated. */
static inline uint32_t lex_quoted(const unsigned char *s, uint32_t n, uint32_t p, unsigned char q,
                                  bool escapes, bool *unterminated)
{
    unsigned stop = qstop_table[q] | (escapes ? QS_BACKSLASH : 0u);
    p++;
    for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* eight bytes per step to the next quote or backslash: a byte is
         * found where (x - 1) borrows into its top bit; the lowest hit is
         * exact (only bytes above a hit can be false) */
        const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
        const uint64_t qpat = ones * q, bpat = escapes ? ones * '\\' : qpat;
        while (p + 8 <= n) {
            uint64_t v, x, y;
            memcpy(&v, s + p, 8);
            x = v ^ qpat, y = v ^ bpat;
            uint64_t hit = (((x - ones) & ~x) | ((y - ones) & ~y)) & high;
            if (hit) {
                p += (uint32_t)__builtin_ctzll(hit) >> 3;
                break;
            }
            p += 8;
        }
#endif
        while (p < n && !(qstop_table[s[p]] & stop))
            p++;
        if (p >= n)
            break;
        if (s[p] == '\\') { /* only a stop byte when escapes apply */
            p += 2;
            if (p >= n)
                break;
            continue;
        }
        if (p + 1 < n && s[p + 1] == q) {
            p += 2;
            continue;
        }
        return p + 1;
    }
    *unterminated = true;
    return n;
}

/* End of a run of identifier bytes from p; four bytes per bounds check. */
static inline uint32_t lex_ident_end(const unsigned char *s, uint32_t p, uint32_t n)
{
    while (p + 4 <= n) {
        if (!IS_IDCH(s[p]))
            return p;
        if (!IS_IDCH(s[p + 1]))
            return p + 1;
        if (!IS_IDCH(s[p + 2]))
            return p + 2;
        if (!IS_IDCH(s[p + 3]))
            return p + 3;
        p += 4;
    }
    while (p < n && IS_IDCH(s[p]))
        p++;
    return p;
}

/* Number or digit-leading identifier at p (s[p] is a digit or '.');
 * returns its end and sets *type. */
static uint32_t lex_number(const unsigned char *s, uint32_t n, uint32_t p, uint8_t *type)
{
    if (s[p] == '0' && p + 1 < n && (s[p + 1] == 'x' || s[p + 1] == 'b')) {
        bool hex = s[p + 1] == 'x';
        uint32_t q = p + 2;
        while (q < n && (hex ? is_hex(s[q]) : (s[q] == '0' || s[q] == '1')))
            q++;
        if (q > p + 2 && (q >= n || !IS_IDCH(s[q]))) {
            *type = LEX_HEXBIN;
            return q;
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
        *type = LEX_IDENT;
        return lex_ident_end(s, q, n);
    }
    *type = LEX_NUMBER;
    return q;
}

/* Multi-character operators, decided on the first two bytes; returns the
 * length and sets *op. */
static uint32_t lex_operator(const unsigned char *s, uint32_t n, uint32_t p, uint16_t *op)
{
    unsigned char c = s[p];
    unsigned char d = p + 1 < n ? s[p + 1] : 0;
    unsigned char e = p + 2 < n ? s[p + 2] : 0;
    uint16_t o = c;
    uint32_t len = 1;
    switch (c) {
    case '<':
        if (d == '=' && e == '>')
            o = LEX_OP_NSEQ, len = 3;
        else if (d == '=')
            o = LEX_OP_LE, len = 2;
        else if (d == '>')
            o = LEX_OP_NE, len = 2;
        else if (d == '<')
            o = LEX_OP_SHL, len = 2;
        break;
    case '>':
        if (d == '=')
            o = LEX_OP_GE, len = 2;
        else if (d == '>')
            o = LEX_OP_SHR, len = 2;
        break;
    case '!':
        if (d == '=')
            o = LEX_OP_NE, len = 2;
        break;
    case ':':
        if (d == '=')
            o = LEX_OP_ASSIGN, len = 2;
        break;
    case '|':
        if (d == '|')
            o = LEX_OP_OROR, len = 2;
        break;
    case '&':
        if (d == '&')
            o = LEX_OP_ANDAND, len = 2;
        break;
    case '-':
        if (d == '>' && e == '>')
            o = LEX_OP_ARROW2, len = 3;
        else if (d == '>')
            o = LEX_OP_ARROW, len = 2;
        break;
    default:
        break;
    }
    *op = o;
    return len;
}

/* @name, @'name', @`name`, @@name, @@session.name; returns the end. */
static uint32_t lex_variable(const struct lex *lx, uint32_t p, uint8_t *type, uint8_t *flags)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    uint32_t n = lx->len;
    bool unterminated = false;
    p++;
    *type = LEX_VAR;
    if (p < n && s[p] == '@') {
        *type = LEX_SYSVAR;
        p++;
        p = lex_ident_end(s, p, n);
        if (p + 1 < n && s[p] == '.' && IS_IDCH(s[p + 1]))
            p = lex_ident_end(s, p + 1, n);
        else if (p + 1 < n && s[p] == '.' && s[p + 1] == '`')
            p = lex_quoted(s, n, p + 1, '`', false, &unterminated);
    } else if (p < n && (s[p] == '\'' || s[p] == '"' || s[p] == '`')) {
        p = lex_quoted(s, n, p, s[p], s[p] != '`' && !lx->no_backslash_escapes, &unterminated);
    } else {
        p = lex_ident_end(s, p, n);
    }
    if (unterminated)
        *flags |= LEXF_UNTERMINATED;
    return p;
}

/* The word s[p..e) is followed by a quote: X'..', B'..', N'..', _cs'..' are
 * literals.  Returns the literal's end, or 0 when the word is a plain word. */
static uint32_t lex_prefixed(const struct lex *lx, uint32_t p, uint32_t e, uint8_t *type,
                             uint8_t *flags)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    uint32_t wl = e - p, end;
    unsigned char c0 = lex_upper(s[p]);
    bool unterminated = false;
    if (wl == 1 && (c0 == 'X' || c0 == 'B') && s[e] == '\'') {
        *type = LEX_HEXBIN;
        end = lex_quoted(s, lx->len, e, '\'', false, &unterminated);
    } else if ((wl == 1 && c0 == 'N') || (wl > 1 && s[p] == '_')) {
        *type = LEX_STRING;
        *flags |= LEXF_INTRODUCER;
        end = lex_quoted(s, lx->len, e, s[e], !lx->no_backslash_escapes, &unterminated);
    } else {
        return 0;
    }
    if (unterminated)
        *flags |= LEXF_UNTERMINATED;
    return end;
}

/* The whole tokenizer; lex_next() (sql_lex.h) handles the common tokens
 * inline and calls this for the rest. */
bool lex_next_slow(struct lex *lx, struct lex_tok *t)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    uint32_t n = lx->len, p = lx->pos;
    for (;;) { /* whitespace and comments */
        if (p >= n) {
            lx->pos = p;
            t->off = p;
            t->len = 0;
            t->kw = KW_NONE;
            t->op = 0;
            t->type = LEX_EOF;
            t->flags = 0;
            lx->prev_type = LEX_EOF;
            return false;
        }
        uint8_t cl = lex_cc_table[s[p]];
        if (cl & LEX_CC_SPACE) {
            p++;
            continue;
        }
        if (!(cl & LEX_CC_MAYCOMMENT))
            break;
        lx->pos = p;
        if (!lex_comment(lx))
            break;
        p = lx->pos;
    }
    uint32_t start = p;
    uint8_t type, flags = lx->in_exec ? LEXF_EXEC : 0;
    uint16_t kw = KW_NONE, op = 0;
    bool unterminated = false;
    unsigned char c = s[p];
    switch ((enum lex_start)lex_start_table[c]) {
    case LEX_ST_WORD: {
        uint32_t e = lex_ident_end(s, p + 1, n), end;
        if (e < n && (s[e] == '\'' || (s[e] == '"' && !lx->ansi_quotes)) &&
            (end = lex_prefixed(lx, p, e, &type, &flags)) != 0) {
            p = end;
            break;
        }
        type = LEX_IDENT;
        kw = (uint16_t)lex_kw_find(s + p, e - p, n - p, p);
        p = e;
        break;
    }
    case LEX_ST_DIGIT:
        p = lex_number(s, n, p, &type);
        break;
    case LEX_ST_DOT:
        if (p + 1 < n && IS_DIGIT(s[p + 1]) && lx->prev_type != LEX_IDENT &&
            lx->prev_type != LEX_QIDENT) {
            p = lex_number(s, n, p, &type);
        } else {
            type = LEX_OP;
            op = '.';
            p++;
        }
        break;
    case LEX_ST_BQUOTE:
        type = LEX_QIDENT;
        p = lex_quoted(s, n, p, c, false, &unterminated);
        break;
    case LEX_ST_DQUOTE:
        type = lx->ansi_quotes ? LEX_QIDENT : LEX_STRING;
        p = lex_quoted(s, n, p, c, !lx->ansi_quotes && !lx->no_backslash_escapes, &unterminated);
        break;
    case LEX_ST_SQUOTE:
        type = LEX_STRING;
        p = lex_quoted(s, n, p, c, !lx->no_backslash_escapes, &unterminated);
        break;
    case LEX_ST_PARAM:
        type = LEX_PARAM;
        p++;
        break;
    case LEX_ST_AT:
        p = lex_variable(lx, p, &type, &flags);
        break;
    case LEX_ST_OPX:
        type = LEX_OP;
        p += lex_operator(s, n, p, &op);
        break;
    case LEX_ST_OP1:
    case LEX_ST_PUNCT:
    case LEX_ST_SPACE: /* not reached: skipped above */
    default:
        type = LEX_OP;
        op = c;
        p++;
        break;
    }
    if (unterminated)
        flags |= LEXF_UNTERMINATED;
    t->off = start;
    t->len = p - start;
    t->kw = kw;
    t->op = op;
    t->type = type;
    t->flags = flags;
    lx->pos = p;
    lx->prev_type = type;
    return true;
}

static bool lex_is_statement_word(const struct lex *lx, const struct lex_tok *t)
{
    return t->type == LEX_IDENT && t->len == 9 && strncasecmp(lx->s + t->off, "STATEMENT", 9) == 0;
}

bool lex_skip_set_statement(struct lex *lx, struct lex_tok *t)
{
    if (t->type != LEX_IDENT || t->kw != KW_SET)
        return false;
    struct lex save = *lx;
    struct lex_tok t0 = *t, u;
    bool any = false;
    /* bounded: every round consumes tokens, and the text is finite */
    while (t->type == LEX_IDENT && t->kw == KW_SET) {
        struct lex at = *lx;
        if (!lex_next(lx, &u) || !lex_is_statement_word(lx, &u)) {
            *lx = at;
            break;
        }
        int depth = 0;
        for (;;) { /* the values, to the FOR at depth 0 (sqlp_set_statement()) */
            if (!lex_next(lx, &u) || u.type == LEX_EOF || (u.type == LEX_OP && u.op == ';'))
                goto none;
            if (u.type == LEX_OP && u.op == '(')
                depth++;
            else if (u.type == LEX_OP && u.op == ')' && --depth < 0)
                goto none;
            else if (depth == 0 && u.type == LEX_IDENT && u.kw == KW_FOR)
                break;
        }
        if (!lex_next(lx, &u) || u.type == LEX_EOF)
            goto none;
        *t = u;
        any = true;
    }
    if (any)
        return true;
none:
    *lx = save;
    *t = t0;
    return false;
}
