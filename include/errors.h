/*
 * errors.h - ddlgate's own MySQL error codes.  Every code is documented in
 * docs/errors.md; the range 7000-7999 is not used by MySQL or MariaDB.
 */
#ifndef DDLGATE_ERRORS_H
#define DDLGATE_ERRORS_H

/* X(name, code, sqlstate, summary) */
#define DG_ERRORS(X)                                                                   \
    X(DGE_BACKEND_DOWN, 7001, "08S01", "backend unreachable")                          \
    X(DGE_BACKEND_GONE, 7002, "08S01", "backend closed the connection")                \
    X(DGE_BACKEND_TLS, 7003, "08004", "backend TLS required/failed")                   \
    X(DGE_CLIENT_TLS_REQUIRED, 7004, "08004", "client TLS required")                   \
    X(DGE_PROTOCOL, 7005, "08S01", "malformed packet")                                 \
    X(DGE_PACKET_TOO_LARGE, 7006, "08S01", "packet too large")                         \
    X(DGE_UNSUPPORTED_COMMAND, 7007, "HY000", "command not supported through ddlgate") \
    X(DGE_SHUTDOWN, 7008, "08S01", "ddlgate is shutting down")                         \
    X(DGE_TOO_MANY_CLIENTS, 7009, "08004", "too many connections")                     \
    X(DGE_HANDSHAKE_TIMEOUT, 7010, "08S01", "handshake timeout")                       \
    X(DGE_CLEARTEXT_NO_TLS, 7011, "28000", "cleartext password refused without TLS")   \
    X(DGE_IDLE_TIMEOUT, 7012, "08S01", "idle timeout")                                 \
    X(DGE_RULE_REJECT, 7100, "HY000", "statement rejected by a rule")                  \
    X(DGE_APPROVAL_REQUIRED, 7101, "HY000", "statement needs admin approval")          \
    X(DGE_UNPARSEABLE_DDL, 7102, "42000", "DDL could not be parsed")                   \
    X(DGE_MULTI_STATEMENT_DDL, 7103, "HY000", "DDL inside a multi-statement query")    \
    X(DGE_APPROVAL_DENIED, 7104, "HY000", "statement denied by an admin")              \
    X(DGE_QUEUE_TIMEOUT, 7200, "HY000", "DDL waited past the queue deadline")          \
    X(DGE_QUEUE_CANCELLED, 7201, "HY000", "DDL cancelled by an admin")                 \
    X(DGE_QUEUE_FULL, 7202, "HY000", "DDL queue full")                                 \
    X(DGE_ADMIN_SYNTAX, 7300, "42000", "unknown or malformed admin command")           \
    X(DGE_ADMIN_AUTH, 1045, "28000", "admin access denied")                            \
    X(DGE_ADMIN_NOT_FOUND, 7301, "HY000", "no such object")                            \
    X(DGE_ADMIN_RELOAD, 7302, "HY000", "configuration or state file refused")          \
    X(DGE_ADMIN_NOT_SAVED, 7303, "HY000", "change applied but not saved")

enum dg_error {
#define DG_ERR_ENUM(name, code, state, summary) name = code,
    DG_ERRORS(DG_ERR_ENUM)
#undef DG_ERR_ENUM
};

const char *dg_error_sqlstate(int code);

#endif
