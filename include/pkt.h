/*
 * pkt.h - MySQL wire packets: framing (3-byte length + sequence id, payloads
 * of 0xffffff bytes continued in the next packet), cursor readers for the
 * field encodings, and a writer for the packets ddlgate makes itself
 * (OK/ERR/EOF, result sets, greetings).
 *
 * Readers never allocate: they return pointers into the caller's buffer.
 * The writer keeps a sticky `failed` flag (allocation failure), checked once
 * when the packet is flushed.
 */
#ifndef DDLGATE_PKT_H
#define DDLGATE_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define PKT_HDR_LEN 4
#define PKT_MAX_PAYLOAD 0xffffffu

/* command bytes */
enum pkt_com {
    COM_SLEEP = 0x00,
    COM_QUIT = 0x01,
    COM_INIT_DB = 0x02,
    COM_QUERY = 0x03,
    COM_FIELD_LIST = 0x04,
    COM_CREATE_DB = 0x05,
    COM_DROP_DB = 0x06,
    COM_REFRESH = 0x07,
    COM_SHUTDOWN = 0x08,
    COM_STATISTICS = 0x09,
    COM_PROCESS_INFO = 0x0a,
    COM_CONNECT = 0x0b,
    COM_PROCESS_KILL = 0x0c,
    COM_DEBUG = 0x0d,
    COM_PING = 0x0e,
    COM_TIME = 0x0f,
    COM_DELAYED_INSERT = 0x10,
    COM_CHANGE_USER = 0x11,
    COM_BINLOG_DUMP = 0x12,
    COM_TABLE_DUMP = 0x13,
    COM_CONNECT_OUT = 0x14,
    COM_REGISTER_SLAVE = 0x15,
    COM_STMT_PREPARE = 0x16,
    COM_STMT_EXECUTE = 0x17,
    COM_STMT_SEND_LONG_DATA = 0x18,
    COM_STMT_CLOSE = 0x19,
    COM_STMT_RESET = 0x1a,
    COM_SET_OPTION = 0x1b,
    COM_STMT_FETCH = 0x1c,
    COM_DAEMON = 0x1d,
    COM_BINLOG_DUMP_GTID = 0x1e,
    COM_RESET_CONNECTION = 0x1f,
    COM_STMT_BULK_EXECUTE = 0xfa,
};

/* capability flags */
#define CLIENT_LONG_PASSWORD 0x00000001u /* MariaDB: clear = CLIENT_MYSQL (extended caps) */
#define CLIENT_FOUND_ROWS 0x00000002u
#define CLIENT_LONG_FLAG 0x00000004u
#define CLIENT_CONNECT_WITH_DB 0x00000008u
#define CLIENT_NO_SCHEMA 0x00000010u
#define CLIENT_COMPRESS 0x00000020u
#define CLIENT_ODBC 0x00000040u
#define CLIENT_LOCAL_FILES 0x00000080u
#define CLIENT_IGNORE_SPACE 0x00000100u
#define CLIENT_PROTOCOL_41 0x00000200u
#define CLIENT_INTERACTIVE 0x00000400u
#define CLIENT_SSL 0x00000800u
#define CLIENT_IGNORE_SIGPIPE 0x00001000u
#define CLIENT_TRANSACTIONS 0x00002000u
#define CLIENT_RESERVED 0x00004000u
#define CLIENT_SECURE_CONNECTION 0x00008000u
#define CLIENT_MULTI_STATEMENTS 0x00010000u
#define CLIENT_MULTI_RESULTS 0x00020000u
#define CLIENT_PS_MULTI_RESULTS 0x00040000u
#define CLIENT_PLUGIN_AUTH 0x00080000u
#define CLIENT_CONNECT_ATTRS 0x00100000u
#define CLIENT_PLUGIN_AUTH_LENENC_DATA 0x00200000u
#define CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS 0x00400000u
#define CLIENT_SESSION_TRACK 0x00800000u
#define CLIENT_DEPRECATE_EOF 0x01000000u
#define CLIENT_OPTIONAL_RESULTSET_METADATA 0x02000000u
#define CLIENT_ZSTD_COMPRESSION_ALGORITHM 0x04000000u
#define CLIENT_QUERY_ATTRIBUTES 0x08000000u
#define CLIENT_SSL_VERIFY_SERVER_CERT 0x40000000u
#define CLIENT_REMEMBER_OPTIONS 0x80000000u
/* MariaDB extended capabilities (upper 32 bits, sent in the greeting filler) */
#define MARIADB_CLIENT_PROGRESS (1ull << 32)
#define MARIADB_CLIENT_COM_MULTI (1ull << 33)
#define MARIADB_CLIENT_STMT_BULK_OPERATIONS (1ull << 34)
#define MARIADB_CLIENT_EXTENDED_METADATA (1ull << 35)
#define MARIADB_CLIENT_CACHE_METADATA (1ull << 36)

/* server status flags */
#define SERVER_STATUS_IN_TRANS 0x0001
#define SERVER_STATUS_AUTOCOMMIT 0x0002
#define SERVER_MORE_RESULTS_EXISTS 0x0008
#define SERVER_STATUS_CURSOR_EXISTS 0x0040
#define SERVER_STATUS_LAST_ROW_SENT 0x0080
#define SERVER_STATUS_IN_TRANS_READONLY 0x2000
#define SERVER_SESSION_STATE_CHANGED 0x4000

/* ---- reading ----------------------------------------------------------- */

struct pkt_cursor {
    const uint8_t *p;
    const uint8_t *end;
};

static inline void pkt_cursor_init(struct pkt_cursor *c, const void *data, size_t len)
{
    c->p = (const uint8_t *)data;
    c->end = c->p + len;
}
static inline size_t pkt_cursor_left(const struct pkt_cursor *c) { return (size_t)(c->end - c->p); }

bool pkt_get_u8(struct pkt_cursor *c, uint8_t *v);
bool pkt_get_u16(struct pkt_cursor *c, uint16_t *v);
bool pkt_get_u24(struct pkt_cursor *c, uint32_t *v);
bool pkt_get_u32(struct pkt_cursor *c, uint32_t *v);
bool pkt_get_u64(struct pkt_cursor *c, uint64_t *v);
/* length-encoded integer; *is_null set for 0xfb (may be NULL) */
bool pkt_get_lenenc(struct pkt_cursor *c, uint64_t *v, bool *is_null);
bool pkt_get_lenenc_str(struct pkt_cursor *c, const uint8_t **s, size_t *len);
bool pkt_get_bytes(struct pkt_cursor *c, size_t n, const uint8_t **s);
/* NUL-terminated; a missing NUL takes the rest (len excludes the NUL) */
bool pkt_get_nulstr(struct pkt_cursor *c, const uint8_t **s, size_t *len);
bool pkt_skip(struct pkt_cursor *c, size_t n);

/* Peek a frame header at the front of an evbuffer without copying the body.
 * Returns true when 4 header bytes are there. */
bool pkt_peek_header(struct evbuffer *buf, uint32_t *payload_len, uint8_t *seq);

/* ---- response classification -------------------------------------------- */

enum pkt_resp_kind {
    PKT_RESP_OK,           /* 0x00 (or 0xfe with len >= 7 under DEPRECATE_EOF) */
    PKT_RESP_ERR,          /* 0xff */
    PKT_RESP_EOF,          /* 0xfe, len < 9 */
    PKT_RESP_LOCAL_INFILE, /* 0xfb */
    PKT_RESP_DATA,         /* anything else: column count, row, ... */
};

struct pkt_ok {
    uint64_t affected_rows;
    uint64_t last_insert_id;
    uint16_t status;
    uint16_t warnings;
    /* session-state info (CLIENT_SESSION_TRACK): new schema if reported */
    const uint8_t *schema;
    size_t schema_len;
};

bool pkt_parse_ok(const uint8_t *payload, size_t len, bool session_track, struct pkt_ok *ok);
bool pkt_parse_eof(const uint8_t *payload, size_t len, uint16_t *warnings, uint16_t *status);
bool pkt_parse_err(const uint8_t *payload, size_t len, uint16_t *code, char sqlstate[6],
                   const uint8_t **msg, size_t *msg_len);

/* ---- writing ------------------------------------------------------------- */

struct pkt_writer {
    uint8_t *buf;
    size_t len;
    size_t cap;
    size_t start; /* offset of the current packet's header */
    uint8_t seq;  /* sequence id of the current packet */
    bool failed;  /* sticky: an allocation failed */
};

void pkt_w_init(struct pkt_writer *w, uint8_t first_seq);
void pkt_w_free(struct pkt_writer *w);
void pkt_w_begin(struct pkt_writer *w); /* start a packet with the next seq */
void pkt_w_end(struct pkt_writer *w);   /* fill its header (splits >16MiB) */
void pkt_w_u8(struct pkt_writer *w, uint8_t v);
void pkt_w_u16(struct pkt_writer *w, uint16_t v);
void pkt_w_u24(struct pkt_writer *w, uint32_t v);
void pkt_w_u32(struct pkt_writer *w, uint32_t v);
void pkt_w_u64(struct pkt_writer *w, uint64_t v);
void pkt_w_lenenc(struct pkt_writer *w, uint64_t v);
void pkt_w_lenenc_str(struct pkt_writer *w, const void *s, size_t len);
void pkt_w_bytes(struct pkt_writer *w, const void *s, size_t len);
void pkt_w_nulstr(struct pkt_writer *w, const char *s);
void pkt_w_zero(struct pkt_writer *w, size_t n);

/* whole packets */
void pkt_w_ok(struct pkt_writer *w, uint64_t affected, uint64_t insert_id, uint16_t status,
              uint16_t warnings, const char *info);
void pkt_w_err(struct pkt_writer *w, uint16_t code, const char *sqlstate, const char *msg);
/* EOF, or an OK-with-0xfe header when deprecate_eof (end of result set) */
void pkt_w_eof(struct pkt_writer *w, uint16_t warnings, uint16_t status, bool deprecate_eof);

/* Text result set: column count, definitions, [EOF], rows, EOF/OK.
 * Column types: MYSQL_TYPE_VAR_STRING (0xfd) or MYSQL_TYPE_LONGLONG (0x08). */
#define PKT_TYPE_LONGLONG 0x08
#define PKT_TYPE_VAR_STRING 0xfd
void pkt_w_resultset_begin(struct pkt_writer *w, int ncols, const char *const *names,
                           const uint8_t *types, bool deprecate_eof);
/* One column definition packet, as pkt_w_resultset_begin writes them (also
 * for a prepared statement's PREPARE_OK and its execute's result set). */
void pkt_w_coldef(struct pkt_writer *w, const char *name, uint8_t type);
/* vals[i] == NULL writes SQL NULL */
void pkt_w_row(struct pkt_writer *w, int ncols, const char *const *vals);
void pkt_w_resultset_end(struct pkt_writer *w, uint16_t status, bool deprecate_eof);

/* Append everything written to out; false if the writer failed. */
bool pkt_w_flush(struct pkt_writer *w, struct evbuffer *out) __attribute__((warn_unused_result));

#endif
