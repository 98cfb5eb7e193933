/*
 * sql_lex.h - a streaming, allocation-free MySQL/MariaDB tokenizer.
 *
 * lex_init() points a struct lex at caller-owned text; lex_next() returns one
 * token at a time.  Tokens are (offset, length) pairs into the ORIGINAL text,
 * also for tokens inside an executable comment /x!80013 ... x/, so a rewrite
 * can splice the original bytes.  Comments and whitespace are skipped; the
 * lexer only remembers whether a comment carried an online-schema-change
 * tool marker (gh-ost, pt-online-schema-change).
 *
 * Keywords are looked up case-insensitively in a static hash table built
 * from the SQL_KEYWORDS X-macro below; nothing is allocated.
 */
#ifndef DDLGATE_SQL_LEX_H
#define DDLGATE_SQL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sql.h"

/* Keywords the parser looks at.  Second column: 1 = never a bare column name
 * in an expression (reserved words and operator/unit words), 0 = may also
 * be an identifier (status, comment, action ...). */
/* clang-format off */
#define SQL_KEYWORDS(X)                                                       \
    X(ACTION, 0) X(ADD, 1) X(AFTER, 0) X(AGAINST, 1) X(ALGORITHM, 0)          \
    X(ALL, 1) X(ALTER, 1) X(ALWAYS, 0) X(ANALYZE, 1) X(AND, 1) X(ANY, 1)      \
    X(AS, 1) X(ASC, 1) X(ATOMIC, 0) X(AUTO_INCREMENT, 0)                      \
    X(AUTOEXTEND_SIZE, 0) X(AVG_ROW_LENGTH, 0) X(BEFORE, 0) X(BEGIN, 0)       \
    X(BETWEEN, 1) X(BINARY, 1) X(BOTH, 1) X(BTREE, 0) X(BY, 1) X(CALL, 1)     \
    X(CASCADE, 1) X(CASE, 1) X(CHAIN, 0) X(CHANGE, 1) X(CHARACTER, 1)         \
    X(CHARSET, 0) X(CHECK, 1) X(CHECKSUM, 0) X(COALESCE, 0) X(COLLATE, 1)     \
    X(COLUMN, 1) X(COLUMNS, 0) X(COMMENT, 0) X(COMMIT, 0) X(COMPRESSED, 0)    \
    X(COMPRESSION, 0) X(CONNECTION, 0) X(CONSISTENT, 0) X(CONSTRAINT, 1)      \
    X(CONVERT, 1) X(COPY, 0) X(CREATE, 1) X(CROSS, 1) X(CURRENT_DATE, 1)      \
    X(CURRENT_TIME, 1) X(CURRENT_TIMESTAMP, 1) X(DATA, 0) X(DATABASE, 1)      \
    X(DAY, 1) X(DAY_HOUR, 1) X(DAY_MICROSECOND, 1) X(DAY_MINUTE, 1)           \
    X(DAY_SECOND, 1) X(DEALLOCATE, 0) X(DEFAULT, 1) X(DEFINER, 0)             \
    X(DELAYED, 1) X(DELAY_KEY_WRITE, 0) X(DELETE, 1) X(DESC, 1)               \
    X(DESCRIBE, 1) X(DIRECTORY, 0) X(DISABLE, 0) X(DISCARD, 0)                \
    X(DISTINCT, 1) X(DISTINCTROW, 1) X(DIV, 1) X(DO, 0) X(DROP, 1)            \
    X(DUAL, 1) X(DUPLICATE, 0) X(EACH, 1) X(ELSE, 1) X(ENABLE, 0)             \
    X(ENCRYPTED, 0) X(ENCRYPTION, 0) X(ENCRYPTION_KEY_ID, 0) X(END, 0)        \
    X(ENGINE, 0) X(ENGINE_ATTRIBUTE, 0) X(ENUM, 0) X(ESCAPE, 1) X(EVENT, 0)   \
    X(EXCEPT, 1) X(EXCHANGE, 0) X(EXCLUSIVE, 0) X(EXECUTE, 0) X(EXISTS, 1)    \
    X(EXPLAIN, 1) X(EXPORT, 0) X(FALSE, 1) X(FIRST, 0) X(FLUSH, 0)            \
    X(FOR, 1) X(FORCE, 1) X(FOREIGN, 1) X(FROM, 1) X(FULL, 0)                 \
    X(FULLTEXT, 1) X(FUNCTION, 0) X(GENERATED, 1) X(GLOBAL, 0) X(GRANT, 1)    \
    X(GROUP, 1) X(HANDLER, 0) X(HASH, 0) X(HAVING, 1) X(HELP, 0)              \
    X(HIGH_PRIORITY, 1) X(HOUR, 1) X(HOUR_MICROSECOND, 1) X(HOUR_MINUTE, 1)   \
    X(HOUR_SECOND, 1) X(IF, 1) X(IGNORE, 1) X(IGNORED, 0) X(IMPORT, 0)        \
    X(IN, 1) X(INDEX, 1) X(INNER, 1) X(INPLACE, 0) X(INSERT, 1)               \
    X(INSERT_METHOD, 0) X(INSTALL, 0) X(INSTANT, 0) X(INTERSECT, 1)           \
    X(INTERVAL, 1) X(INTO, 1) X(INVISIBLE, 0) X(IS, 1) X(JOIN, 1)             \
    X(JSON_TABLE, 0) X(KEY, 1) X(KEYS, 1) X(KEY_BLOCK_SIZE, 0) X(KILL, 1)     \
    X(LATERAL, 1) X(LEADING, 1) X(LEFT, 1) X(LIKE, 1) X(LIMIT, 1)             \
    X(LINEAR, 1) X(LIST, 0) X(LOAD, 1) X(LOCAL, 0) X(LOCALTIME, 1)            \
    X(LOCALTIMESTAMP, 1) X(LOCK, 1) X(LOW_PRIORITY, 1) X(MATCH, 1)            \
    X(MAXVALUE, 1) X(MAX_ROWS, 0) X(MEMBER, 0) X(MICROSECOND, 1)              \
    X(MINUTE, 1) X(MINUTE_MICROSECOND, 1) X(MINUTE_SECOND, 1) X(MIN_ROWS, 0)  \
    X(MOD, 1) X(MODE, 0) X(MODIFY, 0) X(MONTH, 1) X(NATURAL, 1) X(NO, 0)      \
    X(NOCOPY, 0) X(NOT, 1) X(NOW, 0) X(NOWAIT, 0)                  \
    X(NO_WRITE_TO_BINLOG, 1) X(NULL, 1) X(OF, 1) X(OFFSET, 0) X(ON, 1)        \
    X(ONLINE, 0) X(ONLY, 0) X(OPTIMIZE, 1) X(OPTION, 1) X(OR, 1) X(ORDER, 1)  \
    X(OUTER, 1) X(OVER, 0) X(PACK_KEYS, 0) X(PAGE_CHECKSUM, 0)                \
    X(PAGE_COMPRESSED, 0) X(PAGE_COMPRESSION_LEVEL, 0) X(PARSER, 0)           \
    X(PARTITION, 1) X(PARTITIONING, 0) X(PARTITIONS, 0) X(PASSWORD, 0)        \
    X(PERIOD, 0) X(PERSISTENT, 0) X(PREPARE, 0) X(PRIMARY, 1)                 \
    X(PROCEDURE, 1) X(PURGE, 1) X(QUARTER, 1) X(RANGE, 1) X(READ, 1)          \
    X(REBUILD, 0) X(RECURSIVE, 1) X(REFERENCES, 1) X(REGEXP, 1)               \
    X(RELEASE, 1) X(REMOVE, 0) X(RENAME, 1) X(REORGANIZE, 0) X(REPAIR, 0)     \
    X(REPLACE, 1) X(RESET, 0) X(RESTRICT, 1) X(RETURNING, 0) X(REVOKE, 1)     \
    X(RIGHT, 1) X(RLIKE, 1) X(ROLLBACK, 0) X(ROW, 0) X(ROWS, 0)               \
    X(ROW_FORMAT, 0) X(SAVEPOINT, 0) X(SCHEMA, 1) X(SECOND, 1)                \
    X(SECOND_MICROSECOND, 1) X(SECONDARY_ENGINE, 0) X(SELECT, 1)              \
    X(SEPARATOR, 1) X(SESSION, 0) X(SET, 1) X(SHARE, 0) X(SHARED, 0)          \
    X(SHOW, 1) X(SHUTDOWN, 0) X(SIGNAL, 1) X(SNAPSHOT, 0) X(SOME, 1)          \
    X(SOUNDS, 1) X(SPATIAL, 1) X(SQL_BIG_RESULT, 1) X(SQL_BUFFER_RESULT, 0)   \
    X(SQL_CACHE, 0) X(SQL_CALC_FOUND_ROWS, 1) X(SQL_NO_CACHE, 0)              \
    X(SQL_SMALL_RESULT, 1) X(START, 0) X(STATS_AUTO_RECALC, 0)                \
    X(STATS_PERSISTENT, 0) X(STATS_SAMPLE_PAGES, 0) X(STORED, 1)              \
    X(STRAIGHT_JOIN, 1) X(SUBPARTITION, 0) X(SYSTEM, 0) X(SYSTEM_TIME, 0)     \
    X(TABLE, 1) X(TABLES, 0) X(TABLESPACE, 0) X(TEMPORARY, 0) X(THEN, 1)      \
    X(TO, 1) X(TRAILING, 1) X(TRANSACTION, 0) X(TRANSACTIONAL, 0)             \
    X(TRIGGER, 1) X(TRUE, 1) X(TRUNCATE, 0) X(UNION, 1) X(UNIQUE, 1)          \
    X(UNLOCK, 1) X(UNSIGNED, 1) X(UPDATE, 1) X(USE, 1) X(USING, 1)            \
    X(UTC_TIMESTAMP, 1) X(VALIDATION, 0) X(VALUE, 0) X(VALUES, 1)             \
    X(VERSIONING, 0) X(VIEW, 0) X(VIRTUAL, 1) X(VISIBLE, 0) X(WAIT, 0)        \
    X(WEEK, 1) X(WHEN, 1) X(WHERE, 1) X(WINDOW, 1) X(WITH, 1)                 \
    X(WITHOUT, 0) X(WORK, 0) X(WRITE, 1) X(XA, 0) X(XOR, 1) X(YEAR, 1)        \
    X(YEAR_MONTH, 1) X(ZEROFILL, 1)
/* clang-format on */

enum lex_kw {
    KW_NONE = 0,
#define LEX_KW_ENUM(n, r) KW_##n,
    SQL_KEYWORDS(LEX_KW_ENUM)
#undef LEX_KW_ENUM
    KW__COUNT
};

enum lex_type {
    LEX_EOF = 0,
    LEX_IDENT,  /* plain word; .kw set when it is a keyword */
    LEX_QIDENT, /* `quoted` (or "quoted" under ANSI_QUOTES) */
    LEX_STRING, /* '..' / ".." / N'..' / _cs'..' */
    LEX_NUMBER, /* 12, 1.5, .5, 1e10 */
    LEX_HEXBIN, /* X'..', 0x.., B'..', 0b.. */
    LEX_PARAM,  /* ? placeholder */
    LEX_VAR,    /* @name, @'name' */
    LEX_SYSVAR, /* @@name, @@session.name */
    LEX_OP,     /* operator / punctuation; .op says which */
};

/* Multi-character operators; single-character ones use their byte value. */
enum lex_op {
    LEX_OP_NSEQ = 256, /* <=> */
    LEX_OP_LE,         /* <= */
    LEX_OP_GE,         /* >= */
    LEX_OP_NE,         /* <> or != */
    LEX_OP_ASSIGN,     /* := */
    LEX_OP_OROR,       /* || */
    LEX_OP_ANDAND,     /* && */
    LEX_OP_SHL,        /* << */
    LEX_OP_SHR,        /* >> */
    LEX_OP_ARROW,      /* -> */
    LEX_OP_ARROW2,     /* ->> */
};

enum lex_flag {
    LEXF_EXEC = 1,         /* token lies inside an executable comment */
    LEXF_UNTERMINATED = 2, /* quote or comment ran to end of text */
    LEXF_INTRODUCER = 4,   /* _charset'..' or N'..' */
};

struct lex_tok {
    uint32_t off;  /* byte offset into the original text */
    uint32_t len;  /* byte length, quotes included */
    uint16_t kw;   /* enum lex_kw for LEX_IDENT, else KW_NONE (never set otherwise) */
    uint16_t op;   /* LEX_OP: byte or enum lex_op; 0 for every other type */
    uint8_t type;  /* enum lex_type */
    uint8_t flags; /* enum lex_flag bits */
};

struct lex {
    const char *s;
    uint32_t len;
    uint32_t pos;
    enum sql_flavour flavour;
    unsigned version; /* 0 = unknown: every versioned comment applies */
    bool ansi_quotes;
    bool no_backslash_escapes;
    bool in_exec;            /* inside an applying executable comment */
    unsigned exec_version;   /* its version number (0 for plain /x! x/) */
    uint32_t exec_open;      /* offset of its opening slash */
    uint32_t exec_close_end; /* offset just past the last closing star-slash */
    bool osc_marker;         /* a skipped comment named gh-ost / pt-osc */
    uint8_t prev_type;       /* type of the previous token (for .5 vs t.5c) */
};

/* Texts are limited to 4 GiB - 1 (offsets are 32-bit); longer input is
 * lexed up to that bound. */
void lex_init(struct lex *lx, const char *text, size_t len, const struct sql_parse_opts *opts);

/* ---- the hot path, inline (lex_next below) ---------------------------- */

enum lex_cc {
    LEX_CC_OTHER = 0,
    LEX_CC_SPACE = 1,
    LEX_CC_IDENT = 2, /* letters, _, $, bytes >= 0x80 */
    LEX_CC_DIGIT = 4,
    LEX_CC_MAYCOMMENT = 8, /* '#', '-', '/', '*': may start/end a comment */
    LEX_CC_QUOTE = 16,     /* ' and ": after a word, maybe X'..', N'..', _cs'.. */
};

/* What a token starting with this byte can be.  Bytes not listed are
 * one-byte operators. */
enum lex_start {
    LEX_ST_PUNCT = 0, /* one-byte operator or punctuation: ( ) , = + ... */
    LEX_ST_OP1,       /* one-byte operator that needs a look first: ; # / * */
    LEX_ST_SPACE,     /* whitespace (lex_cc_table has it as LEX_CC_SPACE) */
    LEX_ST_OPX,       /* < > ! : | & - : may be a multi-byte operator */
    LEX_ST_WORD,
    LEX_ST_DIGIT,
    LEX_ST_DOT,
    LEX_ST_BQUOTE,
    LEX_ST_DQUOTE,
    LEX_ST_SQUOTE,
    LEX_ST_PARAM,
    LEX_ST_AT,
};

extern const uint8_t lex_cc_table[256];    /* enum lex_cc bits */
extern const uint8_t lex_start_table[256]; /* enum lex_start */
/* Keyword table, built once by lex_init()/lex_keyword(): words are folded
 * by ORing 0x20 into every byte (an exact ASCII case fold for the bytes a
 * word can hold: letters, digits, '_', '$', >= 0x80) and loaded as
 * little-endian 64-bit values; slots hash the first value and the length. */
#define LEX_KW_SLOTS 1024u
#define LEX_KW_FOLD 0x2020202020202020ull
extern uint16_t lex_kw_slots[LEX_KW_SLOTS];
extern uint64_t lex_kw_word0[KW__COUNT]; /* first 8 folded bytes */
extern uint64_t lex_kw_word1[KW__COUNT]; /* folded bytes 8..15 (0 past the end) */
extern uint8_t lex_kw_len[KW__COUNT];
static inline uint32_t lex_kw_slot(uint64_t w0, uint32_t len)
{
    return (uint32_t)(((w0 ^ len) * 0x9E3779B97F4A7C15ull) >> 54); /* 10 bits */
}
/* Low n bytes of a 64-bit value, n = 0..8. */
extern const uint64_t lex_kw_mask[9];
/* Keyword of a folded word of 2..8 bytes: w holds its bytes ORed with 0x20
 * (LEX_KW_FOLD & lex_kw_mask[n]), little-endian, upper bytes zero. */
static inline enum lex_kw lex_kw_probe(uint64_t w, uint32_t n)
{
    for (uint32_t h = lex_kw_slot(w, n);; h = (h + 1) & (LEX_KW_SLOTS - 1)) {
        unsigned k = lex_kw_slots[h];
        if (k == 0 || (lex_kw_word0[k] == w && lex_kw_len[k] == n))
            return (enum lex_kw)k;
    }
}
/* The same for a word of 9..16 bytes: w0 and w1 fold bytes 0..7 and 8..15. */
static inline enum lex_kw lex_kw_probe2(uint64_t w0, uint64_t w1, uint32_t n)
{
    for (uint32_t h = lex_kw_slot(w0, n);; h = (h + 1) & (LEX_KW_SLOTS - 1)) {
        unsigned k = lex_kw_slots[h];
        if (k == 0 || (lex_kw_word0[k] == w0 && lex_kw_len[k] == n && lex_kw_word1[k] == w1))
            return (enum lex_kw)k;
    }
}
/* Keyword of the scanned word s[0..n); `avail` bytes are readable from s
 * and `back` bytes before it. */
enum lex_kw lex_kw_find_slow(const unsigned char *s, uint32_t n, uint32_t avail);
static inline enum lex_kw lex_kw_find(const unsigned char *s, uint32_t n, uint32_t avail,
                                      uint32_t back)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 2 && n <= 8 && (avail >= 8 || back + n >= 8)) { /* one load, one probe run */
        uint64_t w;
        if (avail >= 8) {
            memcpy(&w, s, 8);
        } else { /* near the end of the text: the 8 bytes ending with the word */
            memcpy(&w, s + n - 8, 8);
            w >>= (8u - n) * 8u;
        }
        return lex_kw_probe((w | LEX_KW_FOLD) & lex_kw_mask[n], n);
    }
#endif
    return lex_kw_find_slow(s, n, avail);
}
/* The complete tokenizer from lx->pos (comments, literals, operators...). */
bool lex_next_slow(struct lex *lx, struct lex_tok *tok);

/* End of the word whose identifier bytes continue at s[e]; one bounds check
 * per four bytes. */
static inline uint32_t lex_word_end(const unsigned char *s, uint32_t e, uint32_t n)
{
    const uint8_t idch = LEX_CC_IDENT | LEX_CC_DIGIT;
    for (;;) {
        if (e + 4 > n) {
            while (e < n && (lex_cc_table[s[e]] & idch))
                e++;
            break;
        }
        if (!(lex_cc_table[s[e]] & idch))
            break;
        if (!(lex_cc_table[s[e + 1]] & idch)) {
            e += 1;
            break;
        }
        if (!(lex_cc_table[s[e + 2]] & idch)) {
            e += 2;
            break;
        }
        if (!(lex_cc_table[s[e + 3]] & idch)) {
            e += 3;
            break;
        }
        e += 4;
    }
    return e;
}

/* Next token; returns false (and tok->type = LEX_EOF) at the end.  Plain
 * words and one-byte punctuation (most tokens of most statements) are
 * handled here, inline in the caller's loop; the rest goes to
 * lex_next_slow(). */
static inline bool lex_next(struct lex *lx, struct lex_tok *tok)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    uint32_t n = lx->len, p = lx->pos;
    if (p < n && s[p] == ' ') /* the usual single blank */
        p++;
    while (p < n && (lex_cc_table[s[p]] & LEX_CC_SPACE))
        p++;
    lx->pos = p;
    if (p >= n || lx->in_exec)
        return lex_next_slow(lx, tok);
    struct lex_tok r; /* built in registers */
    unsigned char c = s[p];
    uint8_t st = lex_start_table[c];
    uint32_t e = p + 1;
    if (st == LEX_ST_WORD) {
        e = lex_word_end(s, e, n);
        if (e < n && (lex_cc_table[s[e]] & LEX_CC_QUOTE)) /* maybe X'..', N'..', _cs'..' */
            return lex_next_slow(lx, tok);
        /* no keyword has one letter (table aliases usually do) */
        r.kw = e - p == 1 ? KW_NONE : (uint16_t)lex_kw_find(s + p, e - p, n - p, p);
        r.op = 0;
        r.type = LEX_IDENT;
    } else if (st == LEX_ST_PUNCT || c == ';') {
        r.kw = KW_NONE;
        r.op = c;
        r.type = LEX_OP;
    } else if (st == LEX_ST_DOT && (e >= n || !(lex_cc_table[s[e]] & LEX_CC_DIGIT) ||
                                    lx->prev_type == LEX_IDENT || lx->prev_type == LEX_QIDENT)) {
        r.kw = KW_NONE; /* a qualifier dot, not .5 */
        r.op = '.';
        r.type = LEX_OP;
    } else if (st == LEX_ST_DIGIT) {
        while (e < n && (lex_cc_table[s[e]] & LEX_CC_DIGIT))
            e++;
        /* a plain integer; 1.5, 1e3, 0x1F, 1abc ... go the full way */
        if (e < n && ((lex_cc_table[s[e]] & LEX_CC_IDENT) || s[e] == '.'))
            return lex_next_slow(lx, tok);
        r.kw = KW_NONE;
        r.op = 0;
        r.type = LEX_NUMBER;
    } else {
        return lex_next_slow(lx, tok);
    }
    r.off = p;
    r.len = e - p;
    r.flags = 0;
    lx->pos = e;
    lx->prev_type = r.type;
    *tok = r; /* one store of the whole token (uint8_t stores would alias) */
    return true;
}

/* MariaDB's `SET STATEMENT var=expr [, ...] FOR <stmt>`: when *t (just
 * read from lx) is the SET of such a prefix, read on past its FOR (nested
 * prefixes too) and leave <stmt>'s first token in *t, so that a look at
 * the leading keyword sees the statement that runs.  Returns false, lx and
 * *t untouched, when there is no such prefix (the parser's reading of it:
 * sql_stmt.set_statement). */
bool lex_skip_set_statement(struct lex *lx, struct lex_tok *t);

/* Keyword lookup of s[0..n), case-insensitive; KW_NONE if not a keyword. */
enum lex_kw lex_keyword(const char *s, size_t n);
const char *lex_kw_name(enum lex_kw kw);
/* 1 when the keyword can never be a bare column reference. */
extern const uint8_t lex_kw_reserved_tab[KW__COUNT];
static inline bool lex_kw_reserved(enum lex_kw kw)
{
    return (unsigned)kw < KW__COUNT && lex_kw_reserved_tab[kw];
}

/* ASCII upper-case of every byte (other bytes map to themselves). */
extern const unsigned char lex_upper_tab[256];

/* Is this token a literal value (string, number, hex/bit)? */
static inline bool lex_is_literal(const struct lex_tok *t)
{
    return t->type == LEX_STRING || t->type == LEX_NUMBER || t->type == LEX_HEXBIN;
}

#endif
