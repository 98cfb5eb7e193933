/*
 * session.h - one client connection and its own backend connection.
 *
 * A session is owned by exactly one worker thread (the one that accepted
 * it) from accept to free; nothing else touches its fields except through
 * worker_post().  Each leg is a bufferevent (plain socket, or an OpenSSL
 * filter over it after an SSLRequest), optionally wrapped by the compressed
 * protocol.
 *
 *   client --[cbev]--> session --[sbev]--> backend
 *
 * Packets flow without being copied: headers (4 bytes) are peeked, bodies
 * are moved between evbuffers chain by chain.  Only COM_QUERY and
 * COM_STMT_PREPARE texts are made contiguous, once, for the gate.
 */
#ifndef DDLGATE_SESSION_H
#define DDLGATE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "compress.h"
#include "sql.h"

struct bufferevent;

/* tables one statement registers; more are not tracked (logged) */
#define SESS_MAX_CUR_KEYS 64

struct sess_prep {
    uint32_t stmt_id;
    int nkeys;
    char (*keys)[160]; /* its tables, malloc'ed (nkeys of them); pipeline.c owns */
    /* Appended for prepared DDL (pipeline.c owns text and name): */
    bool ddl;   /* needs an exclusive metadata lock: EXECUTE goes through the DDL queue */
    char *text; /* the prepared text as sent to the server (DDL only), malloc'ed */
    size_t text_len;
    char *name; /* SQL-level PREPARE name, malloc'ed; NULL for COM_STMT_PREPARE */
    /* Appended for approvals (pipeline.c): the prepare needed an approval
     * (approval_key != 0; text is then kept too): every execute uses one
     * (gate_approval_execute).  digest is the normalised one, for the
     * verdicts; schema the session's at prepare time (part of the key). */
    uint64_t approval_key;
    uint64_t approval_digest;
    uint16_t approval_rule;
    char approval_schema[65];
};
struct evbuffer;
struct event;
struct worker;
struct ssl_st;

/* X(name, comment) - the connection state machine. */
#define SESS_STATES(X)                                                      \
    X(CONNECTING)    /* backend TCP connect in progress */                  \
    X(WAIT_GREETING) /* waiting for the server greeting */                  \
    X(WAIT_HELLO)    /* greeting relayed; waiting for the client's reply */ \
    X(CLIENT_TLS)    /* TLS handshake with the client in progress */        \
    X(BACKEND_TLS)   /* TLS handshake with the backend in progress */       \
    X(AUTH)          /* relaying the authentication exchange */             \
    X(IDLE)          /* command phase, no command in flight */              \
    X(COMMAND)       /* a command is in flight; relaying its response */    \
    X(LOCAL_INFILE)  /* relaying the client's LOAD DATA LOCAL stream */     \
    X(HELD)          /* ddlgate holds the statement (DDL queue) */          \
    X(CLOSING)       /* flushing a last packet to the client */

enum sess_state {
#define SESS_STATE_ENUM(n) SESS_##n,
    SESS_STATES(SESS_STATE_ENUM)
#undef SESS_STATE_ENUM
};

/* Response tracking within SESS_COMMAND (and AUTH for COM_CHANGE_USER). */
enum resp_state {
    RESP_NONE = 0,
    RESP_FIRST,       /* first packet of a result: OK/ERR/LOCAL INFILE/column count */
    RESP_COLDEFS,     /* resp_left column definitions to go */
    RESP_COLDEFS_EOF, /* EOF after column definitions (no DEPRECATE_EOF) */
    RESP_ROWS,        /* rows until EOF/OK/ERR */
    RESP_PREPARE_OK,  /* COM_STMT_PREPARE first packet */
    RESP_PREP_PARAMS, /* parameter definitions */
    RESP_PREP_PARAMS_EOF,
    RESP_PREP_COLS,
    RESP_PREP_COLS_EOF,
    RESP_UNTIL_EOF, /* COM_FIELD_LIST / COM_STMT_FETCH: until EOF or ERR */
    RESP_SINGLE,    /* exactly one packet (COM_STATISTICS, OK/ERR-only) */
    RESP_AUTH,      /* COM_CHANGE_USER: auth exchange until OK/ERR */
};

struct session {
    uint64_t id;
    enum sess_state state;
    struct worker *worker;
    struct session *next, *prev; /* worker's session list */

    /* legs */
    struct bufferevent *cbev;   /* client */
    struct bufferevent *sbev;   /* backend */
    struct evbuffer *cin;       /* plain client input (bev input or decompressed) */
    struct evbuffer *cout;      /* plain output to client (bev output or staging) */
    struct cmp_stream ccmp;     /* client leg compression (algo CMP_NONE = off) */
    struct evbuffer *sin;       /* plain backend input (bev input or decompressed) */
    struct evbuffer *sout;      /* plain output to the backend (bev output or staging) */
    struct cmp_stream scmp;     /* backend leg compression (backend.compression) */
    enum cmp_algo backend_algo; /* agreed in the handshake response, starts after auth */
    bool client_tls, backend_tls;
    bool client_compress, backend_compress;
    bool cpaused, spaused; /* reading stopped for backpressure */
    /* plain legs in the command phase are read by these, not by libevent's
     * bufferevent read path (session.c: direct reads); NULL otherwise */
    struct event *crev, *srev;
    bool client_eof; /* client half gone */

    /* identity */
    struct sockaddr_storage peer;
    char peer_str[64]; /* "127.0.0.1:51234" */
    char user[128];
    char schema[192];
    time_t connected_at;
    uint32_t server_conn_id;

    /* capabilities agreed on both legs */
    uint64_t server_caps; /* from the greeting */
    uint64_t client_caps; /* what the client asked for (masked) */
    bool deprecate_eof;
    int zstd_level; /* client's requested zstd level, -1 default */
    bool session_track;
    struct sql_server server;

    /* auth relay: client seq = server seq + seq_delta */
    int seq_delta;
    uint8_t cseq_next; /* seq id of the next packet to the client */
    uint8_t sseq_next; /* seq id of the next packet to the backend */

    /* command tracking */
    uint8_t cmd; /* command byte in flight */
    enum resp_state resp;
    uint64_t resp_left;          /* column defs / params left */
    uint16_t prep_cols;          /* COM_STMT_PREPARE: columns after params */
    uint32_t s2c_left, c2s_left; /* body bytes of the packet being moved, per direction */
    bool s2c_cont, c2s_cont;     /* that packet is 0xffffff long: a continuation follows */
    uint8_t resp_seq_fix;        /* added to backend seq ids toward the client */
    uint16_t status;             /* last server status flags */
    bool last_ok;                /* the last command ended with OK/EOF */
    uint32_t kill_victim;        /* KILL QUERY <id> in flight: acted on once the server says OK */
    bool in_transaction;
    bool autocommit;
    char stmt[256]; /* statement in flight (truncated), "" if none */
    time_t stmt_since;
    uint64_t queries;

    /* a COM_QUERY/PREPARE joined from several frames (>16 MiB), owned */
    uint8_t *cmdbuf;
    /* gate scratch: the parsed script of the last statement */
    bool pending_use_schema; /* a USE statement is in flight */
    char pending_schema[192];

    /* metadata-lock bookkeeping (mdlqueue.h) */
    _Atomic int64_t
        idle_since_ms; /* when the last answer ended; 0 while busy (read by the DDL queue) */
    /* tables of the statement in flight; grown on demand up to
     * SESS_MAX_CUR_KEYS, owned by pipeline.c (freed in pipeline_abandon) */
    int ncur_keys, cur_keys_cap;
    char (*cur_keys)[160];
    int ntxn_keys, txn_keys_cap; /* tables registered as held by this session */
    char (*txn_keys)[160];
    bool locked_tables;      /* LOCK TABLES in force */
    bool ddl_in_flight;      /* the command is DDL: forget its tables' definitions after */
    bool facts_waited;       /* this command already waited for table definitions */
    struct sess_prep *preps; /* prepared statement id -> tables */
    int npreps, preps_cap;
    enum {
        HOLD_NONE = 0,
        HOLD_DDL,
        HOLD_FENCE
    } hold;
    enum {
        INT_NONE = 0,
        INT_SET_LWT,
        INT_DDL,
        INT_RESTORE
    } internal;
    bool int_first;                /* next packet is the first of the DDL's answer */
    bool ddl_retry;                /* the DDL met a lock wait timeout: queue again */
    uint64_t mdlq_id;              /* queue entry of the held DDL */
    struct sess_prep prep_pending; /* the statement being prepared (pipeline.c) */
    bool prep_pending_set;
    /* lock_wait_timeout as the client set it (DG030): 0 = server default,
     * -1 = set to something ddlgate could not read; applied on the OK */
    int64_t lwt_s, lwt_pending;
    bool lwt_pending_set;
    uint8_t held_cmd;
    uint8_t held_last_seq; /* client seq of the held command's last frame */
    char *held_text;       /* the command payload to send, owned */
    size_t held_len;

    /* limits from the configuration at connect time */
    size_t max_packet;
    int idle_timeout_s;

    /* timers */
    struct event *timer; /* handshake timeout, then the closing poll */
    int closing_ticks;
};

const char *sess_state_name(enum sess_state s);
/* "127.0.0.1:51234" */
void sess_format_peer(const struct sockaddr *sa, char *buf, size_t len);
/* What the last backend greeting said (for SHOW BACKEND); false if none yet. */
bool sess_backend_info(char *version, size_t vlen, struct sql_server *srv, uint64_t *caps);
/* The monitor's connection saw the server first: fill SHOW BACKEND in until
 * a session's greeting replaces it (no-op once one is known). */
void sess_backend_info_seed(const char *version, uint64_t caps);

/* Create a session for an accepted client socket (owned by w). */
struct session *session_new(struct worker *w, int fd, const struct sockaddr *sa, socklen_t salen);
/* Close both legs; if errcode != 0 send an ERR to the client first. */
void session_close(struct session *s, int errcode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void session_set_state(struct session *s, enum sess_state st);
/* Free a session at once (only when its worker's loop has stopped). */
void session_free_now(struct session *s);

#endif
