/*
 * it_client.c - drives a MySQL-protocol endpoint (ddlgate, or MariaDB itself
 * when DG_TARGET=direct) with the real Connector/C API and checks every
 * protocol feature a transparent proxy must relay: both auth plugins, text
 * and binary protocols, cursors, multi-results, LOCAL INFILE, packets above
 * 16 MiB, COM_CHANGE_USER/RESET_CONNECTION/PING/INIT_DB/STATISTICS/
 * FIELD_LIST/PROCESS_KILL/SET_OPTION, TLS and compression.
 *
 * Environment:
 *   DG_TARGET      "direct" = connect to MariaDB at MARIADB_PORT, else ddlgate
 *   DG_HOST        host (default 127.0.0.1)
 *   DG_PORT        ddlgate's port (when not direct)
 *   MARIADB_PORT   MariaDB's port (when direct)
 *   MARIADB_CERTS  directory with ca.pem (TLS cases are skipped without it)
 *   IT_CASE_TIMEOUT_S  per-case bound (default 120)
 *
 * Usage: it_client [--list] [case...]     (no case = all)
 * Output: "ok - name", "ok - name # SKIP why" or "not ok - name: reason",
 * then "it_client: N passed, M failed, K skipped".  Exit 1 if any failed.
 */
#include <errno.h>
#include <mysql.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "it_common.h"

/* connection options for it_connect() */
enum conn_opt {
    OPT_NONE = 0,
    OPT_TLS = 1 << 0,      /* TLS, verify against MARIADB_CERTS/ca.pem */
    OPT_COMPRESS = 1 << 1, /* compressed protocol */
    OPT_INFILE = 1 << 2,   /* LOAD DATA LOCAL allowed */
    OPT_MULTI = 1 << 3,    /* CLIENT_MULTI_STATEMENTS */
};

struct it_env {
    const char *host;
    unsigned port;
    bool direct;
    const char *certs; /* NULL = no TLS material */
    unsigned case_timeout_s;
};

static struct it_env g_env;

#define BIG_ROWS 200000ULL
#define BLOB_SIZE (20u * 1024u * 1024u)

#define CHECK_Q(m, sql) \
    IT_CHECK(mysql_query((m), (sql)) == 0, "%s: %u %s", (sql), mysql_errno(m), mysql_error(m))

/* Connect; NULL on failure with the error in it_reason (and *err_out). */
static MYSQL *it_connect_ex(const char *user, const char *pass, const char *db, unsigned opts,
                            unsigned *err_out)
{
    MYSQL *m = mysql_init(NULL);
    if (!m) {
        it_set_reason("mysql_init: out of memory");
        return NULL;
    }
    unsigned tmo = 60, cto = 10;
    unsigned long maxpkt = 256UL * 1024 * 1024;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &cto);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &tmo);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &tmo);
    mysql_options(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &maxpkt);
    unsigned infile = (opts & OPT_INFILE) ? 1 : 0;
    mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &infile);
    if (opts & OPT_COMPRESS)
        mysql_options(m, MYSQL_OPT_COMPRESS, NULL);
    if (opts & OPT_TLS) {
        char ca[1024];
        my_bool on = 1;
        snprintf(ca, sizeof ca, "%s/ca.pem", g_env.certs ? g_env.certs : ".");
        mysql_options(m, MYSQL_OPT_SSL_CA, ca);
        mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
        mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    }
    unsigned long flags = (opts & OPT_MULTI) ? CLIENT_MULTI_STATEMENTS : 0;
    if (!mysql_real_connect(m, g_env.host, user, pass, db, g_env.port, NULL, flags)) {
        if (err_out)
            *err_out = mysql_errno(m);
        it_set_reason("connect %s@%s:%u: %u %s", user, g_env.host, g_env.port, mysql_errno(m),
                      mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    if (err_out)
        *err_out = 0;
    return m;
}

static MYSQL *it_connect(const char *user, const char *pass, unsigned opts)
{
    return it_connect_ex(user, pass, "test", opts, NULL);
}

/* First column of the first row of a query, copied into out. */
static bool query_value(MYSQL *m, const char *sql, char *out, size_t outlen)
{
    if (mysql_query(m, sql) != 0) {
        it_set_reason("%s: %u %s", sql, mysql_errno(m), mysql_error(m));
        return false;
    }
    MYSQL_RES *r = mysql_store_result(m);
    if (!r) {
        it_set_reason("%s: no result set (%u %s)", sql, mysql_errno(m), mysql_error(m));
        return false;
    }
    MYSQL_ROW row = mysql_fetch_row(r);
    bool ok = row != NULL;
    if (ok)
        snprintf(out, outlen, "%s", row[0] ? row[0] : "NULL");
    else
        it_set_reason("%s: empty result", sql);
    mysql_free_result(r);
    return ok;
}

/* Test fixtures (DROP/CREATE of the tables a case uses) go straight to
 * MariaDB as root when MARIADB_PORT is known, so the protocol cases do not
 * depend on ddlgate's DDL policy (DROP TABLE needs an approval there). */
static MYSQL *g_fixture;

static bool fixture(const char *sql)
{
    if (!g_fixture) {
        const char *p = getenv("MARIADB_PORT");
        g_fixture = mysql_init(NULL);
        unsigned cto = 10;
        mysql_options(g_fixture, MYSQL_OPT_CONNECT_TIMEOUT, &cto);
        bool ok = p && *p ? mysql_real_connect(g_fixture, g_env.host, "root", "", "test",
                                               (unsigned)strtoul(p, NULL, 10), NULL, 0) != NULL
                          : mysql_real_connect(g_fixture, g_env.host, "app", "apppass", "test",
                                               g_env.port, NULL, 0) != NULL;
        if (!ok) {
            it_set_reason("fixture connection: %s", mysql_error(g_fixture));
            mysql_close(g_fixture);
            g_fixture = NULL;
            return false;
        }
    }
    if (mysql_query(g_fixture, sql) != 0) {
        it_set_reason("fixture %s: %u %s", sql, mysql_errno(g_fixture), mysql_error(g_fixture));
        return false;
    }
    return true;
}

#define CHECK_FIX(sql) IT_CHECK(fixture(sql), "%s", it_reason)

#define CHECK_VAL(m, sql, expect)                                                            \
    do {                                                                                     \
        char v_[256];                                                                        \
        if (!query_value((m), (sql), v_, sizeof v_))                                         \
            goto out;                                                                        \
        IT_CHECK(strcmp(v_, (expect)) == 0, "%s: got '%s', want '%s'", (sql), v_, (expect)); \
    } while (0)

/* ---------------------------------------------------------------- auth */

static int case_connect_native(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    CHECK_VAL(m, "SELECT CURRENT_USER()", "app@%");
    CHECK_VAL(m, "SELECT DATABASE()", "test");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int case_connect_ed25519(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = it_connect("ed", "edpass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    CHECK_VAL(m, "SELECT CURRENT_USER()", "ed@%");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int case_wrong_password(void)
{
    int rc = CASE_FAIL;
    unsigned err = 0;
    MYSQL *m = it_connect_ex("app", "wrongpass", "test", OPT_NONE, &err);
    IT_CHECK(!m, "login with a wrong password succeeded");
    IT_CHECK(err == 1045, "want error 1045, got %u (%s)", err, it_reason);
    m = it_connect_ex("ed", "wrongpass", "test", OPT_NONE, &err);
    IT_CHECK(!m, "ed25519 login with a wrong password succeeded");
    IT_CHECK(err == 1045, "ed25519: want error 1045, got %u (%s)", err, it_reason);
    m = it_connect_ex("nosuchuser", "x", "test", OPT_NONE, &err);
    IT_CHECK(!m, "login of an unknown user succeeded");
    IT_CHECK(err == 1045, "unknown user: want error 1045, got %u (%s)", err, it_reason);
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

/* ---------------------------------------------------------- text queries */

static int case_text_query(void)
{
    int rc = CASE_FAIL;
    MYSQL_RES *r = NULL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    CHECK_FIX("DROP TABLE IF EXISTS it_text");
    CHECK_FIX("CREATE TABLE it_text (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(64), "
              "d DECIMAL(10,2), n INT NULL) ENGINE=InnoDB");
    CHECK_Q(m, "INSERT INTO it_text (s, d, n) VALUES ('a', 1.50, NULL), ('b''q', -2.25, 7), "
               "('\\xC3\\xA9t\\xC3\\xA9', 0, 0)");
    IT_CHECK(mysql_affected_rows(m) == 3, "affected rows %llu, want 3",
             (unsigned long long)mysql_affected_rows(m));
    IT_CHECK(mysql_insert_id(m) == 1, "insert id %llu, want 1",
             (unsigned long long)mysql_insert_id(m));
    CHECK_Q(m, "SELECT id, s, d, n FROM it_text ORDER BY id");
    r = mysql_store_result(m);
    IT_CHECK(r, "store_result: %s", mysql_error(m));
    IT_CHECK(mysql_num_rows(r) == 3 && mysql_num_fields(r) == 4, "shape %llu x %u",
             (unsigned long long)mysql_num_rows(r), mysql_num_fields(r));
    MYSQL_FIELD *f = mysql_fetch_fields(r);
    IT_CHECK(strcmp(f[1].name, "s") == 0 && f[2].type == MYSQL_TYPE_NEWDECIMAL, "field metadata");
    MYSQL_ROW row = mysql_fetch_row(r);
    IT_CHECK(row && strcmp(row[1], "a") == 0 && strcmp(row[2], "1.50") == 0 && row[3] == NULL,
             "row 1 differs");
    row = mysql_fetch_row(r);
    IT_CHECK(row && strcmp(row[1], "b'q") == 0 && strcmp(row[2], "-2.25") == 0 &&
                 strcmp(row[3], "7") == 0,
             "row 2 differs");
    mysql_free_result(r);
    r = NULL;
    /* an error leaves the connection usable */
    IT_CHECK(mysql_query(m, "SELEC 1") != 0 && mysql_errno(m) == 1064, "syntax error: got %u",
             mysql_errno(m));
    IT_CHECK(mysql_query(m, "SELECT * FROM it_no_such_table") != 0 && mysql_errno(m) == 1146,
             "missing table: got %u", mysql_errno(m));
    CHECK_VAL(m, "SELECT 1+1", "2");
    /* warnings travel in the EOF/OK packet */
    CHECK_VAL(m, "SELECT CAST('12abc' AS UNSIGNED)", "12");
    IT_CHECK(mysql_warning_count(m) == 1, "warning count %u, want 1", mysql_warning_count(m));
    CHECK_Q(m, "DO 1");
    IT_CHECK(mysql_warning_count(m) == 0, "warning count %u after DO 1", mysql_warning_count(m));
    /* transactions and the status flags */
    CHECK_Q(m, "BEGIN");
    IT_CHECK(m->server_status & SERVER_STATUS_IN_TRANS, "IN_TRANS not set after BEGIN");
    CHECK_Q(m, "INSERT INTO it_text (s) VALUES ('rolled back')");
    CHECK_Q(m, "ROLLBACK");
    IT_CHECK(!(m->server_status & SERVER_STATUS_IN_TRANS), "IN_TRANS set after ROLLBACK");
    CHECK_VAL(m, "SELECT COUNT(*) FROM it_text", "3");
    CHECK_FIX("DROP TABLE it_text");
    rc = CASE_PASS;
out:
    if (r)
        mysql_free_result(r);
    if (m)
        mysql_close(m);
    return rc;
}

/* A statement above 16 MiB arrives in several protocol packets. */
static int case_big_text_query(void)
{
    int rc = CASE_FAIL;
    const size_t n = 17u * 1024u * 1024u + 333u;
    char *sql = malloc(n + 64);
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(sql, "out of memory");
    IT_CHECK(m, "%s", it_reason);
    size_t off = (size_t)sprintf(sql, "SELECT LENGTH('");
    memset(sql + off, 'x', n);
    off += n;
    off += (size_t)sprintf(sql + off, "') AS len");
    IT_CHECK(mysql_real_query(m, sql, off) == 0, "17 MiB query: %u %s", mysql_errno(m),
             mysql_error(m));
    MYSQL_RES *r = mysql_store_result(m);
    IT_CHECK(r, "no result");
    MYSQL_ROW row = mysql_fetch_row(r);
    char want[32];
    snprintf(want, sizeof want, "%zu", n);
    bool same = row && row[0] && strcmp(row[0], want) == 0;
    mysql_free_result(r);
    IT_CHECK(same, "LENGTH differs from %s", want);
    CHECK_VAL(m, "SELECT 'still in sync'", "still in sync");
    rc = CASE_PASS;
out:
    free(sql);
    if (m)
        mysql_close(m);
    return rc;
}

/* Stream BIG_ROWS rows with mysql_use_result and check count and checksum. */
static int check_big_result(MYSQL *m)
{
    MYSQL_RES *r;
    unsigned long long count = 0, sum = 0;
    if (mysql_query(m, "SELECT seq, CONCAT('row-', seq) FROM seq_1_to_200000") != 0) {
        it_set_reason("big select: %u %s", mysql_errno(m), mysql_error(m));
        return -1;
    }
    r = mysql_use_result(m);
    if (!r) {
        it_set_reason("use_result: %s", mysql_error(m));
        return -1;
    }
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(r)) != NULL) {
        unsigned long long v = strtoull(row[0], NULL, 10);
        char expect[32];
        snprintf(expect, sizeof expect, "row-%llu", v);
        if (v != count + 1 || strcmp(row[1], expect) != 0) {
            it_set_reason("row %llu out of order or corrupt (%s, %s)", count + 1, row[0], row[1]);
            mysql_free_result(r);
            return -1;
        }
        count++;
        sum += v;
    }
    unsigned err = mysql_errno(m);
    mysql_free_result(r);
    if (err || count != BIG_ROWS || sum != BIG_ROWS * (BIG_ROWS + 1) / 2) {
        it_set_reason("got %llu rows (sum %llu), err %u", count, sum, err);
        return -1;
    }
    return 0;
}

static int case_large_result(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    IT_CHECK(check_big_result(m) == 0, "%s", it_reason);
    CHECK_VAL(m, "SELECT 'after'", "after");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

/* -------------------------------------------------------- prepared stmts */

static int case_prepared(void)
{
    int rc = CASE_FAIL;
    MYSQL_STMT *st = NULL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    CHECK_FIX("DROP TABLE IF EXISTS it_ps");
    CHECK_FIX("CREATE TABLE it_ps (id INT PRIMARY KEY, big BIGINT, dbl DOUBLE, s VARCHAR(100), "
              "ts DATETIME, n INT NULL)");
    st = mysql_stmt_init(m);
    IT_CHECK(st, "stmt_init");
    const char *ins = "INSERT INTO it_ps VALUES (?, ?, ?, ?, ?, ?)";
    IT_CHECK(mysql_stmt_prepare(st, ins, strlen(ins)) == 0, "prepare: %s", mysql_stmt_error(st));
    IT_CHECK(mysql_stmt_param_count(st) == 6, "param count %lu", mysql_stmt_param_count(st));

    int id;
    long long big;
    double dbl;
    char s[100];
    unsigned long slen;
    MYSQL_TIME ts;
    my_bool null_yes = 1;
    MYSQL_BIND p[6];
    memset(p, 0, sizeof p);
    p[0].buffer_type = MYSQL_TYPE_LONG;
    p[0].buffer = &id;
    p[1].buffer_type = MYSQL_TYPE_LONGLONG;
    p[1].buffer = &big;
    p[2].buffer_type = MYSQL_TYPE_DOUBLE;
    p[2].buffer = &dbl;
    p[3].buffer_type = MYSQL_TYPE_STRING;
    p[3].buffer = s;
    p[3].length = &slen;
    p[4].buffer_type = MYSQL_TYPE_DATETIME;
    p[4].buffer = &ts;
    p[5].buffer_type = MYSQL_TYPE_LONG;
    p[5].is_null = &null_yes;
    IT_CHECK(mysql_stmt_bind_param(st, p) == 0, "bind_param: %s", mysql_stmt_error(st));
    for (int i = 1; i <= 50; i++) {
        id = i;
        big = 9000000000000000000LL + i;
        dbl = i * 0.5;
        slen = (unsigned long)snprintf(s, sizeof s, "name-%d-\xc3\xa9", i);
        memset(&ts, 0, sizeof ts);
        ts.year = 2024;
        ts.month = 2;
        ts.day = 29;
        ts.hour = 23;
        ts.minute = 59;
        ts.second = (unsigned)(i % 60);
        ts.time_type = MYSQL_TIMESTAMP_DATETIME;
        IT_CHECK(mysql_stmt_execute(st) == 0, "execute %d: %s", i, mysql_stmt_error(st));
        IT_CHECK(mysql_stmt_affected_rows(st) == 1, "affected rows");
    }
    /* a duplicate key error on a prepared statement, and reuse afterwards */
    id = 1;
    IT_CHECK(mysql_stmt_execute(st) != 0 && mysql_stmt_errno(st) == 1062, "duplicate: got %u",
             mysql_stmt_errno(st));
    mysql_stmt_close(st);

    st = mysql_stmt_init(m);
    const char *sel =
        "SELECT id, big, dbl, s, ts, n FROM it_ps WHERE id BETWEEN ? AND ? ORDER BY id";
    IT_CHECK(mysql_stmt_prepare(st, sel, strlen(sel)) == 0, "prepare select: %s",
             mysql_stmt_error(st));
    int lo = 10, hi = 19;
    MYSQL_BIND q[2];
    memset(q, 0, sizeof q);
    q[0].buffer_type = MYSQL_TYPE_LONG;
    q[0].buffer = &lo;
    q[1].buffer_type = MYSQL_TYPE_LONG;
    q[1].buffer = &hi;
    IT_CHECK(mysql_stmt_bind_param(st, q) == 0, "bind select params");
    int n_out;
    my_bool n_null, s_err;
    MYSQL_BIND res[6];
    memset(res, 0, sizeof res);
    res[0] = p[0];
    res[1] = p[1];
    res[2] = p[2];
    res[3].buffer_type = MYSQL_TYPE_STRING;
    res[3].buffer = s;
    res[3].buffer_length = sizeof s;
    res[3].length = &slen;
    res[3].error = &s_err;
    res[4].buffer_type = MYSQL_TYPE_DATETIME;
    res[4].buffer = &ts;
    res[5].buffer_type = MYSQL_TYPE_LONG;
    res[5].buffer = &n_out;
    res[5].is_null = &n_null;
    for (int round = 0; round < 2; round++) { /* re-execute the same statement */
        IT_CHECK(mysql_stmt_execute(st) == 0, "execute select: %s", mysql_stmt_error(st));
        IT_CHECK(mysql_stmt_bind_result(st, res) == 0, "bind_result: %s", mysql_stmt_error(st));
        IT_CHECK(mysql_stmt_store_result(st) == 0, "store_result: %s", mysql_stmt_error(st));
        IT_CHECK(mysql_stmt_num_rows(st) == 10, "num rows %llu",
                 (unsigned long long)mysql_stmt_num_rows(st));
        int want = lo, frc;
        while ((frc = mysql_stmt_fetch(st)) == 0) {
            char ws[100];
            snprintf(ws, sizeof ws, "name-%d-\xc3\xa9", want);
            IT_CHECK(id == want && big == 9000000000000000000LL + want && dbl == want * 0.5 &&
                         slen == strlen(ws) && memcmp(s, ws, slen) == 0 && ts.year == 2024 &&
                         ts.month == 2 && ts.day == 29 && ts.second == (unsigned)(want % 60) &&
                         n_null,
                     "row %d differs (id %d big %lld s %.*s)", want, id, big, (int)slen, s);
            want++;
        }
        IT_CHECK(frc == MYSQL_NO_DATA && want == hi + 1, "fetch ended with %d at %d", frc, want);
        mysql_stmt_free_result(st);
        lo = 41;
        hi = 50;
    }
    IT_CHECK(mysql_stmt_reset(st) == 0, "stmt_reset: %s", mysql_stmt_error(st));
    mysql_stmt_close(st);

    /* many statements prepared and closed: statement ids must stay in step */
    for (int i = 0; i < 300; i++) {
        st = mysql_stmt_init(m);
        char q1[64];
        int len = snprintf(q1, sizeof q1, "SELECT %d + ?", i);
        IT_CHECK(mysql_stmt_prepare(st, q1, (unsigned long)len) == 0, "prepare %d: %s", i,
                 mysql_stmt_error(st));
        mysql_stmt_close(st);
    }
    st = mysql_stmt_init(m);
    const char *bad = "SELECT * FROM it_no_such_table WHERE a = ?";
    IT_CHECK(mysql_stmt_prepare(st, bad, strlen(bad)) != 0 && mysql_stmt_errno(st) == 1146,
             "prepare of a missing table: got %u", mysql_stmt_errno(st));
    mysql_stmt_close(st);
    st = NULL;
    CHECK_FIX("DROP TABLE it_ps");
    rc = CASE_PASS;
out:
    if (st)
        mysql_stmt_close(st);
    if (m)
        mysql_close(m);
    return rc;
}

static int case_send_long_data(void)
{
    int rc = CASE_FAIL;
    MYSQL_STMT *st = NULL;
    MYSQL_RES *r = NULL;
    enum {
        CHUNK = 300000,
        NCHUNK = 4
    };
    char *chunk = malloc(CHUNK);
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(chunk, "out of memory");
    IT_CHECK(m, "%s", it_reason);
    CHECK_FIX("DROP TABLE IF EXISTS it_longdata");
    CHECK_FIX("CREATE TABLE it_longdata (id INT PRIMARY KEY, t TEXT, b LONGBLOB)");
    st = mysql_stmt_init(m);
    const char *ins = "INSERT INTO it_longdata VALUES (?, ?, ?)";
    IT_CHECK(mysql_stmt_prepare(st, ins, strlen(ins)) == 0, "prepare: %s", mysql_stmt_error(st));
    int id = 7;
    MYSQL_BIND p[3];
    memset(p, 0, sizeof p);
    p[0].buffer_type = MYSQL_TYPE_LONG;
    p[0].buffer = &id;
    p[1].buffer_type = MYSQL_TYPE_STRING;
    p[2].buffer_type = MYSQL_TYPE_LONG_BLOB;
    IT_CHECK(mysql_stmt_bind_param(st, p) == 0, "bind: %s", mysql_stmt_error(st));
    IT_CHECK(mysql_stmt_send_long_data(st, 1, "hello ", 6) == 0, "long data 1: %s",
             mysql_stmt_error(st));
    IT_CHECK(mysql_stmt_send_long_data(st, 1, "world", 5) == 0, "long data 1b: %s",
             mysql_stmt_error(st));
    for (int c = 0; c < NCHUNK; c++) {
        for (int i = 0; i < CHUNK; i++)
            chunk[i] = (char)((i * 7 + c * 13) & 0xff);
        IT_CHECK(mysql_stmt_send_long_data(st, 2, chunk, CHUNK) == 0, "long data 2 chunk %d: %s", c,
                 mysql_stmt_error(st));
    }
    IT_CHECK(mysql_stmt_execute(st) == 0, "execute: %s", mysql_stmt_error(st));
    mysql_stmt_close(st);
    st = NULL;
    CHECK_Q(m, "SELECT t, b FROM it_longdata WHERE id = 7");
    r = mysql_store_result(m);
    IT_CHECK(r, "store: %s", mysql_error(m));
    MYSQL_ROW row = mysql_fetch_row(r);
    unsigned long *len = mysql_fetch_lengths(r);
    IT_CHECK(row && strcmp(row[0], "hello world") == 0, "TEXT from long data differs");
    IT_CHECK(len[1] == (unsigned long)CHUNK * NCHUNK, "BLOB length %lu", len[1]);
    for (int c = 0; c < NCHUNK; c++)
        for (int i = 0; i < CHUNK; i++)
            IT_CHECK((unsigned char)row[1][c * CHUNK + i] ==
                         (unsigned char)((i * 7 + c * 13) & 0xff),
                     "BLOB byte %d of chunk %d differs", i, c);
    CHECK_FIX("DROP TABLE it_longdata");
    rc = CASE_PASS;
out:
    if (r)
        mysql_free_result(r);
    if (st)
        mysql_stmt_close(st);
    if (m)
        mysql_close(m);
    free(chunk);
    return rc;
}

/* A read-only cursor: rows come in batches through COM_STMT_FETCH, and the
 * connection runs other statements while the cursor is open. */
static int case_cursor(void)
{
    int rc = CASE_FAIL;
    MYSQL_STMT *st = NULL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    st = mysql_stmt_init(m);
    const char *sel = "SELECT seq FROM seq_1_to_10000 WHERE seq > ?";
    IT_CHECK(mysql_stmt_prepare(st, sel, strlen(sel)) == 0, "prepare: %s", mysql_stmt_error(st));
    unsigned long ctype = CURSOR_TYPE_READ_ONLY, prefetch = 97;
    IT_CHECK(mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &ctype) == 0, "cursor attr");
    IT_CHECK(mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch) == 0, "prefetch attr");
    int lo = 0;
    long long v;
    MYSQL_BIND p, res;
    memset(&p, 0, sizeof p);
    memset(&res, 0, sizeof res);
    p.buffer_type = MYSQL_TYPE_LONG;
    p.buffer = &lo;
    res.buffer_type = MYSQL_TYPE_LONGLONG;
    res.buffer = &v;
    IT_CHECK(mysql_stmt_bind_param(st, &p) == 0, "bind param");
    for (int round = 0; round < 2; round++) {
        IT_CHECK(mysql_stmt_execute(st) == 0, "execute: %s", mysql_stmt_error(st));
        IT_CHECK(m->server_status & SERVER_STATUS_CURSOR_EXISTS, "server did not open a cursor");
        IT_CHECK(mysql_stmt_bind_result(st, &res) == 0, "bind result");
        long long want = lo + 1;
        int frc;
        while ((frc = mysql_stmt_fetch(st)) == 0) {
            IT_CHECK(v == want, "cursor row %lld, want %lld", v, want);
            if (want == 5000) /* another statement while the cursor is open */
                CHECK_VAL(m, "SELECT 'between fetches'", "between fetches");
            want++;
        }
        IT_CHECK(frc == MYSQL_NO_DATA && want == 10001, "fetch ended with %d at row %lld (%s)", frc,
                 want, mysql_stmt_error(st));
        mysql_stmt_free_result(st);
        lo = 9000;
    }
    /* close the cursor early: the rest of the rows must not leak into the stream */
    lo = 0;
    IT_CHECK(mysql_stmt_execute(st) == 0, "execute 3: %s", mysql_stmt_error(st));
    IT_CHECK(mysql_stmt_bind_result(st, &res) == 0, "bind result");
    IT_CHECK(mysql_stmt_fetch(st) == 0 && v == 1, "first row of the third cursor");
    IT_CHECK(mysql_stmt_reset(st) == 0, "stmt_reset with open cursor: %s", mysql_stmt_error(st));
    mysql_stmt_close(st);
    st = NULL;
    CHECK_VAL(m, "SELECT 'after cursor'", "after cursor");
    rc = CASE_PASS;
out:
    if (st)
        mysql_stmt_close(st);
    if (m)
        mysql_close(m);
    return rc;
}

/* ------------------------------------------------------- multi-results */

/* Walk all results of the last query; writes per-result row counts (or -1
 * for an OK packet) into counts.  Returns the number of results or -1 with
 * *err set to the errno of a failing statement. */
static int drain_results(MYSQL *m, long long *counts, int maxn, unsigned *err)
{
    int n = 0, st;
    *err = 0;
    do {
        MYSQL_RES *r = mysql_store_result(m);
        if (n < maxn)
            counts[n] = r ? (long long)mysql_num_rows(r) : -1;
        if (r)
            mysql_free_result(r);
        else if (mysql_field_count(m) != 0) {
            *err = mysql_errno(m);
            return -1;
        }
        n++;
        st = mysql_next_result(m);
    } while (st == 0);
    if (st > 0) {
        *err = mysql_errno(m);
        return -1;
    }
    return n;
}

static int case_multi_statements(void)
{
    int rc = CASE_FAIL;
    long long c[8];
    unsigned err;
    int n;
    MYSQL *m = it_connect("app", "apppass", OPT_MULTI);
    IT_CHECK(m, "%s", it_reason);
    CHECK_FIX("DROP TABLE IF EXISTS it_multi");
    CHECK_FIX("CREATE TABLE it_multi (id INT PRIMARY KEY, a INT)");
    CHECK_Q(m, "INSERT INTO it_multi VALUES (1, 1),(2, 2),(3, 3); SELECT * FROM it_multi; "
               "SELECT 1, 2 UNION SELECT 3, 4; UPDATE it_multi SET a = a + 1 WHERE id = 2; "
               "SET @z = 1; SELECT 'end'");
    n = drain_results(m, c, 8, &err);
    IT_CHECK(n == 6, "got %d results (err %u), want 6", n, err);
    IT_CHECK(c[0] == -1 && c[1] == 3 && c[2] == 2 && c[3] == -1 && c[4] == -1 && c[5] == 1,
             "result shapes differ: %lld %lld %lld %lld %lld %lld", c[0], c[1], c[2], c[3], c[4],
             c[5]);
    /* an error stops the batch; the connection stays in step */
    IT_CHECK(mysql_query(m, "SELECT 1; SELECT * FROM it_no_such_table; SELECT 3") == 0,
             "first statement of a failing batch: %s", mysql_error(m));
    n = drain_results(m, c, 8, &err);
    IT_CHECK(n == -1 && err == 1146, "failing batch: n=%d err=%u", n, err);
    CHECK_VAL(m, "SELECT COUNT(*) FROM it_multi", "3");
    CHECK_FIX("DROP TABLE it_multi");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int case_stored_procedure(void)
{
    int rc = CASE_FAIL;
    long long c[8];
    unsigned err;
    MYSQL_STMT *st = NULL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    CHECK_Q(m, "DROP PROCEDURE IF EXISTS it_proc");
    CHECK_Q(
        m,
        "CREATE PROCEDURE it_proc(IN k INT, OUT total BIGINT) BEGIN "
        "SELECT k AS first; SELECT seq FROM seq_1_to_1000; "
        "SELECT 'x', 'y' UNION SELECT 'z', 'w'; SELECT SUM(seq) INTO total FROM seq_1_to_100; END");
    CHECK_Q(m, "CALL it_proc(5, @t)");
    int n = drain_results(m, c, 8, &err);
    IT_CHECK(n == 4, "CALL gave %d results (err %u), want 3 result sets + status", n, err);
    IT_CHECK(c[0] == 1 && c[1] == 1000 && c[2] == 2 && c[3] == -1, "shapes %lld %lld %lld %lld",
             c[0], c[1], c[2], c[3]);
    CHECK_VAL(m, "SELECT @t", "5050");

    /* the same through the binary protocol (and OUT parameters) */
    st = mysql_stmt_init(m);
    const char *call = "CALL it_proc(?, ?)";
    IT_CHECK(mysql_stmt_prepare(st, call, strlen(call)) == 0, "prepare CALL: %s",
             mysql_stmt_error(st));
    int k = 9;
    long long outv = 0;
    MYSQL_BIND p[2];
    memset(p, 0, sizeof p);
    p[0].buffer_type = MYSQL_TYPE_LONG;
    p[0].buffer = &k;
    p[1].buffer_type = MYSQL_TYPE_LONGLONG;
    p[1].buffer = &outv;
    IT_CHECK(mysql_stmt_bind_param(st, p) == 0, "bind CALL");
    IT_CHECK(mysql_stmt_execute(st) == 0, "execute CALL: %s", mysql_stmt_error(st));
    int sets = 0, outparams = 0, nr;
    do {
        if (mysql_stmt_field_count(st) > 0) {
            if (m->server_status & SERVER_PS_OUT_PARAMS) {
                MYSQL_BIND ob;
                memset(&ob, 0, sizeof ob);
                ob.buffer_type = MYSQL_TYPE_LONGLONG;
                ob.buffer = &outv;
                IT_CHECK(mysql_stmt_bind_result(st, &ob) == 0, "bind OUT");
                IT_CHECK(mysql_stmt_fetch(st) == 0, "fetch OUT: %s", mysql_stmt_error(st));
                outparams++;
            } else {
                IT_CHECK(mysql_stmt_store_result(st) == 0, "store set %d: %s", sets,
                         mysql_stmt_error(st));
                long long want = sets == 0 ? 1 : sets == 1 ? 1000 : 2;
                IT_CHECK((long long)mysql_stmt_num_rows(st) == want, "set %d has %llu rows", sets,
                         (unsigned long long)mysql_stmt_num_rows(st));
                sets++;
            }
            mysql_stmt_free_result(st);
        }
        nr = mysql_stmt_next_result(st);
    } while (nr == 0);
    IT_CHECK(nr == -1, "stmt_next_result: %s", mysql_stmt_error(st));
    IT_CHECK(sets == 3 && outparams == 1 && outv == 5050,
             "prepared CALL: %d sets, %d OUT rows, out=%lld", sets, outparams, outv);
    mysql_stmt_close(st);
    st = NULL;
    CHECK_VAL(m, "SELECT 'after call'", "after call");
    CHECK_Q(m, "DROP PROCEDURE it_proc");
    rc = CASE_PASS;
out:
    if (st)
        mysql_stmt_close(st);
    if (m)
        mysql_close(m);
    return rc;
}

/* ------------------------------------------------------ LOAD DATA LOCAL */

static int case_load_data_local(void)
{
    int rc = CASE_FAIL;
    char path[] = "/tmp/it_client_infile_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    MYSQL *m = NULL;
    IT_CHECK(f, "temp file: %s", strerror(errno));
    for (int i = 1; i <= 10000; i++)
        fprintf(f, "%d\tname %d\n", i, i);
    int crc = fclose(f);
    f = NULL;
    IT_CHECK(crc == 0, "write temp file");
    m = it_connect("app", "apppass", OPT_INFILE);
    IT_CHECK(m, "%s", it_reason);
    CHECK_FIX("DROP TABLE IF EXISTS it_infile");
    CHECK_FIX("CREATE TABLE it_infile (id INT PRIMARY KEY, name VARCHAR(32))");
    char sql[256];
    snprintf(sql, sizeof sql, "LOAD DATA LOCAL INFILE '%s' INTO TABLE it_infile", path);
    CHECK_Q(m, sql);
    IT_CHECK(mysql_affected_rows(m) == 10000, "affected rows %llu",
             (unsigned long long)mysql_affected_rows(m));
    CHECK_VAL(m, "SELECT CONCAT(COUNT(*), ':', SUM(id), ':', MAX(name)) FROM it_infile",
              "10000:50005000:name 9999");
    /* a missing local file: the client answers with an empty packet */
    IT_CHECK(
        mysql_query(m, "LOAD DATA LOCAL INFILE '/nonexistent/it_client' INTO TABLE it_infile") != 0,
        "LOAD of a missing file succeeded");
    CHECK_VAL(m, "SELECT COUNT(*) FROM it_infile", "10000");
    CHECK_FIX("DROP TABLE it_infile");
    rc = CASE_PASS;
out:
    if (f)
        fclose(f);
    if (fd >= 0)
        unlink(path);
    if (m)
        mysql_close(m);
    return rc;
}

/* --------------------------------------------------------- 20 MiB BLOB */

static unsigned char blob_byte(size_t i)
{
    return (unsigned char)((i * 31u) ^ (i >> 11) ^ (i >> 19));
}

static int blob_roundtrip(unsigned opts)
{
    int rc = CASE_FAIL;
    MYSQL_STMT *st = NULL;
    MYSQL_RES *r = NULL;
    unsigned char *buf = malloc(BLOB_SIZE), *back = malloc(BLOB_SIZE);
    MYSQL *m = it_connect("app", "apppass", opts);
    IT_CHECK(buf && back, "out of memory");
    IT_CHECK(m, "%s", it_reason);
    for (size_t i = 0; i < BLOB_SIZE; i++)
        buf[i] = blob_byte(i);
    const char *tbl = (opts & OPT_COMPRESS) ? "it_blob_z" : "it_blob";
    char sql[256];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", tbl);
    CHECK_FIX(sql);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY, b LONGBLOB)", tbl);
    CHECK_FIX(sql);
    st = mysql_stmt_init(m);
    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (1, ?)", tbl);
    IT_CHECK(mysql_stmt_prepare(st, sql, strlen(sql)) == 0, "prepare: %s", mysql_stmt_error(st));
    unsigned long len = BLOB_SIZE;
    MYSQL_BIND p;
    memset(&p, 0, sizeof p);
    p.buffer_type = MYSQL_TYPE_LONG_BLOB;
    p.buffer = buf;
    p.buffer_length = len;
    p.length = &len;
    IT_CHECK(mysql_stmt_bind_param(st, &p) == 0, "bind");
    IT_CHECK(mysql_stmt_execute(st) == 0, "execute 20 MiB insert: %u %s", mysql_stmt_errno(st),
             mysql_stmt_error(st));
    mysql_stmt_close(st);
    st = NULL;
    /* back through the text protocol */
    snprintf(sql, sizeof sql, "SELECT b, LENGTH(b), MD5(b) FROM %s WHERE id = 1", tbl);
    CHECK_Q(m, sql);
    r = mysql_store_result(m);
    IT_CHECK(r, "store: %s", mysql_error(m));
    MYSQL_ROW row = mysql_fetch_row(r);
    unsigned long *lens = mysql_fetch_lengths(r);
    IT_CHECK(row && lens[0] == BLOB_SIZE, "text: length %lu (server says %s)", row ? lens[0] : 0,
             row ? row[1] : "?");
    IT_CHECK(memcmp(row[0], buf, BLOB_SIZE) == 0, "text: BLOB bytes differ");
    mysql_free_result(r);
    r = NULL;
    /* back through the binary protocol */
    st = mysql_stmt_init(m);
    snprintf(sql, sizeof sql, "SELECT b FROM %s WHERE id = 1", tbl);
    IT_CHECK(mysql_stmt_prepare(st, sql, strlen(sql)) == 0, "prepare select: %s",
             mysql_stmt_error(st));
    IT_CHECK(mysql_stmt_execute(st) == 0, "execute select: %s", mysql_stmt_error(st));
    unsigned long blen = 0;
    MYSQL_BIND res;
    memset(&res, 0, sizeof res);
    res.buffer_type = MYSQL_TYPE_LONG_BLOB;
    res.buffer = back;
    res.buffer_length = BLOB_SIZE;
    res.length = &blen;
    IT_CHECK(mysql_stmt_bind_result(st, &res) == 0, "bind result");
    int frc = mysql_stmt_fetch(st);
    IT_CHECK(frc == 0 && blen == BLOB_SIZE, "binary fetch rc %d len %lu: %s", frc, blen,
             mysql_stmt_error(st));
    IT_CHECK(memcmp(back, buf, BLOB_SIZE) == 0, "binary: BLOB bytes differ");
    IT_CHECK(mysql_stmt_fetch(st) == MYSQL_NO_DATA, "more than one row");
    mysql_stmt_close(st);
    st = NULL;
    snprintf(sql, sizeof sql, "DROP TABLE %s", tbl);
    CHECK_FIX(sql);
    rc = CASE_PASS;
out:
    if (r)
        mysql_free_result(r);
    if (st)
        mysql_stmt_close(st);
    if (m)
        mysql_close(m);
    free(buf);
    free(back);
    return rc;
}

static int case_blob_20m(void) { return blob_roundtrip(OPT_NONE); }

/* ------------------------------------------------------ COM_* commands */

static int case_change_user(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    CHECK_Q(m, "SET @marker = 'before'");
    IT_CHECK(mysql_change_user(m, "ed", "edpass", "test") == 0, "change to ed (ed25519): %u %s",
             mysql_errno(m), mysql_error(m));
    CHECK_VAL(m, "SELECT CURRENT_USER()", "ed@%");
    CHECK_VAL(m, "SELECT @marker", "NULL");
    IT_CHECK(mysql_change_user(m, "app", "apppass", "test") == 0, "change back to app: %u %s",
             mysql_errno(m), mysql_error(m));
    CHECK_VAL(m, "SELECT CURRENT_USER()", "app@%");
    IT_CHECK(mysql_change_user(m, "app", "wrongpass", "test") != 0,
             "change_user with a wrong password succeeded");
    IT_CHECK(mysql_errno(m) == 1045, "wrong password: got %u %s", mysql_errno(m), mysql_error(m));
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int case_reset_connection(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    CHECK_Q(m, "SET @x = 42");
    CHECK_Q(m, "CREATE TEMPORARY TABLE it_tmp (a INT)");
    CHECK_Q(m, "SET SESSION sql_mode = 'ANSI_QUOTES'");
    CHECK_Q(m, "BEGIN");
    CHECK_VAL(m, "SELECT @x", "42");
    IT_CHECK(mysql_reset_connection(m) == 0, "reset: %u %s", mysql_errno(m), mysql_error(m));
    CHECK_VAL(m, "SELECT @x IS NULL", "1");
    IT_CHECK(mysql_query(m, "SELECT * FROM it_tmp") != 0 && mysql_errno(m) == 1146,
             "temporary table survived the reset (%u)", mysql_errno(m));
    CHECK_VAL(m, "SELECT @@SESSION.sql_mode = @@GLOBAL.sql_mode", "1");
    IT_CHECK(!(m->server_status & SERVER_STATUS_IN_TRANS), "transaction survived the reset");
    CHECK_VAL(m, "SELECT CURRENT_USER()", "app@%");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int case_ping(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    for (int i = 0; i < 100; i++)
        IT_CHECK(mysql_ping(m) == 0, "ping %d: %s", i, mysql_error(m));
    CHECK_VAL(m, "SELECT 'pong'", "pong");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int case_init_db(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = it_connect_ex("app", "apppass", NULL, OPT_NONE, NULL);
    IT_CHECK(m, "%s", it_reason);
    CHECK_VAL(m, "SELECT DATABASE() IS NULL", "1");
    CHECK_Q(m, "CREATE DATABASE IF NOT EXISTS test_it_other");
    IT_CHECK(mysql_select_db(m, "test_it_other") == 0, "select_db: %s", mysql_error(m));
    CHECK_VAL(m, "SELECT DATABASE()", "test_it_other");
    IT_CHECK(mysql_select_db(m, "test") == 0, "select_db test: %s", mysql_error(m));
    CHECK_VAL(m, "SELECT DATABASE()", "test");
    IT_CHECK(mysql_select_db(m, "test_it_missing") != 0 && mysql_errno(m) == 1049,
             "missing database: got %u", mysql_errno(m));
    CHECK_VAL(m, "SELECT DATABASE()", "test");
    CHECK_FIX("DROP DATABASE test_it_other");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int case_statistics(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    const char *s = mysql_stat(m);
    IT_CHECK(s && strstr(s, "Uptime:") && strstr(s, "Threads:") && strstr(s, "Questions:"),
             "mysql_stat: '%s' (%s)", s ? s : "(null)", mysql_error(m));
    CHECK_VAL(m, "SELECT 'after stat'", "after stat");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int case_field_list(void)
{
    int rc = CASE_FAIL;
    MYSQL_RES *r = NULL;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    CHECK_FIX("DROP TABLE IF EXISTS it_fields");
    CHECK_FIX("CREATE TABLE it_fields (alpha INT, beta VARCHAR(10), gamma_x DATETIME)");
    r = mysql_list_fields(m, "it_fields", NULL);
    IT_CHECK(r, "list_fields: %u %s", mysql_errno(m), mysql_error(m));
    IT_CHECK(mysql_num_fields(r) == 3, "%u fields", mysql_num_fields(r));
    MYSQL_FIELD *f = mysql_fetch_fields(r);
    IT_CHECK(strcmp(f[0].name, "alpha") == 0 && strcmp(f[1].name, "beta") == 0 &&
                 strcmp(f[2].name, "gamma_x") == 0 && f[2].type == MYSQL_TYPE_DATETIME,
             "names/types differ");
    mysql_free_result(r);
    r = mysql_list_fields(m, "it_fields", "g%");
    IT_CHECK(r && mysql_num_fields(r) == 1, "wildcard list_fields");
    mysql_free_result(r);
    r = NULL;
    CHECK_VAL(m, "SELECT 'after field list'", "after field list");
    CHECK_FIX("DROP TABLE it_fields");
    rc = CASE_PASS;
out:
    if (r)
        mysql_free_result(r);
    if (m)
        mysql_close(m);
    return rc;
}

struct sleeper {
    MYSQL *m;
    char result[64];
    unsigned err;
    double took;
};

static void *sleeper_run(void *arg)
{
    struct sleeper *s = arg;
    double t0 = it_now_s();
    if (mysql_query(s->m, "SELECT SLEEP(30)") != 0) {
        s->err = mysql_errno(s->m);
    } else {
        /* the interruption may arrive as an error after the metadata */
        MYSQL_RES *r = mysql_store_result(s->m);
        MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
        snprintf(s->result, sizeof s->result, "%s", row && row[0] ? row[0] : "?");
        if (r)
            mysql_free_result(r);
        else
            s->err = mysql_errno(s->m);
    }
    s->took = it_now_s() - t0;
    return NULL;
}

/* COM_PROCESS_KILL of an idle connection, and KILL QUERY of a busy one. */
static int case_kill(void)
{
    int rc = CASE_FAIL;
    bool joined = true;
    pthread_t th;
    struct sleeper sl = {0};
    MYSQL *a = it_connect("app", "apppass", OPT_NONE);
    MYSQL *b = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(a && b, "%s", it_reason);
    unsigned long bid = mysql_thread_id(b);
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "%lu", bid);
    CHECK_VAL(b, "SELECT CONNECTION_ID()", idbuf);

    /* KILL QUERY: the sleeping statement ends early, the connection lives */
    sl.m = b;
    IT_CHECK(pthread_create(&th, NULL, sleeper_run, &sl) == 0, "pthread_create");
    joined = false;
    char sql[128];
    bool seen = false;
    for (int i = 0; i < 100 && !seen; i++) { /* <= 10 s */
        char v[64];
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %lu AND INFO LIKE "
                 "'SELECT SLEEP%%'",
                 bid);
        if (!query_value(a, sql, v, sizeof v))
            goto out;
        seen = strcmp(v, "1") == 0;
        if (!seen)
            usleep(100000);
    }
    IT_CHECK(seen, "the sleeping query never showed in the processlist");
    snprintf(sql, sizeof sql, "KILL QUERY %lu", bid);
    CHECK_Q(a, sql);
    pthread_join(th, NULL);
    joined = true;
    IT_CHECK(sl.took < 10.0, "KILL QUERY took effect after %.1f s", sl.took);
    IT_CHECK(sl.err == 1317 || (sl.err == 0 && strcmp(sl.result, "1") == 0),
             "interrupted SLEEP: err %u result '%s'", sl.err, sl.result);
    CHECK_VAL(b, "SELECT 'b alive'", "b alive");

    /* COM_PROCESS_KILL */
    IT_CHECK(mysql_kill(a, bid) == 0, "mysql_kill: %u %s", mysql_errno(a), mysql_error(a));
    bool dead = false;
    for (int i = 0; i < 50 && !dead; i++) { /* the kill is asynchronous */
        dead = mysql_query(b, "SELECT 1") != 0;
        if (!dead) {
            MYSQL_RES *r = mysql_store_result(b);
            if (r)
                mysql_free_result(r);
            usleep(100000);
        }
    }
    IT_CHECK(dead, "the killed connection still answers");
    /* MariaDB closes a killed session (the client sees 2013); a proxy may
     * send an error packet first, but the client connection must close: a
     * session that silently lost its state must not go on. */
    printf("#   killed connection reports %u: %s\n", mysql_errno(b), mysql_error(b));
    if (mysql_errno(b) != 2006 && mysql_errno(b) != 2013) {
        IT_CHECK(mysql_query(b, "SELECT 1") != 0, "the killed session goes on after error %u",
                 mysql_errno(b));
        IT_CHECK(mysql_errno(b) == 2006 || mysql_errno(b) == 2013,
                 "the killed session's client connection stays open (second error %u %s)",
                 mysql_errno(b), mysql_error(b));
    }
    IT_CHECK(mysql_kill(a, 999999999UL) != 0 && mysql_errno(a) == 1094,
             "kill of an unknown id: got %u", mysql_errno(a));
    CHECK_VAL(a, "SELECT 'a alive'", "a alive");
    rc = CASE_PASS;
out:
    if (!joined)
        pthread_join(th, NULL);
    if (a)
        mysql_close(a);
    if (b)
        mysql_close(b);
    return rc;
}

static int case_set_option(void)
{
    int rc = CASE_FAIL;
    long long c[4];
    unsigned err;
    MYSQL *m = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(m, "%s", it_reason);
    IT_CHECK(mysql_query(m, "SELECT 1; SELECT 2") != 0 && mysql_errno(m) == 1064,
             "multi-statement without the option: got %u", mysql_errno(m));
    IT_CHECK(mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON) == 0, "option on: %s",
             mysql_error(m));
    CHECK_Q(m, "SELECT 1; SELECT 2");
    int n = drain_results(m, c, 4, &err);
    IT_CHECK(n == 2 && c[0] == 1 && c[1] == 1, "multi after option on: n=%d err=%u", n, err);
    IT_CHECK(mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_OFF) == 0, "option off: %s",
             mysql_error(m));
    IT_CHECK(mysql_query(m, "SELECT 1; SELECT 2") != 0 && mysql_errno(m) == 1064,
             "multi-statement after option off: got %u", mysql_errno(m));
    CHECK_VAL(m, "SELECT 'ok'", "ok");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

/* ----------------------------------------------------------------- TLS */

static int case_tls(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = NULL;
    if (!g_env.certs) {
        it_set_reason("MARIADB_CERTS not set");
        return CASE_SKIP;
    }
    m = it_connect("app", "apppass", OPT_TLS);
    IT_CHECK(m, "%s", it_reason);
    const char *cipher = mysql_get_ssl_cipher(m);
    IT_CHECK(cipher && *cipher, "no TLS cipher after a verified TLS connect");
    CHECK_VAL(m, "SELECT CURRENT_USER()", "app@%");
    IT_CHECK(check_big_result(m) == 0, "large result over TLS: %s", it_reason);
    mysql_close(m);
    m = it_connect("ed", "edpass", OPT_TLS);
    IT_CHECK(m, "ed25519 over TLS: %s", it_reason);
    mysql_close(m);
    /* REQUIRE SSL: works over TLS, refused in plaintext */
    m = it_connect("tlsuser", "tlspass", OPT_TLS);
    IT_CHECK(m, "tlsuser over TLS: %s", it_reason);
    CHECK_VAL(m, "SELECT CURRENT_USER()", "tlsuser@%");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

/* An account with REQUIRE SSL and a plaintext client: refused directly and
 * with backend.tls = preferred (ddlgate's backend leg follows the client).
 * With backend.tls = required/verify_* every backend leg is TLS, which the
 * server's REQUIRE SSL accepts: documented, and client_tls.require is the
 * switch that refuses plaintext clients there. */
static int case_require_ssl_plain_refused(void)
{
    int rc = CASE_FAIL;
    unsigned err = 0;
    const char *btls = getenv("DG_BACKEND_TLS");
    const char *target = getenv("DG_TARGET");
    bool backend_always_tls = btls &&
                              (strcmp(btls, "required") == 0 || strncmp(btls, "verify", 6) == 0) &&
                              !(target && strcmp(target, "direct") == 0);
    MYSQL *m = it_connect_ex("tlsuser", "tlspass", "test", OPT_NONE, &err);
    if (backend_always_tls) {
        IT_CHECK(
            m,
            "tlsuser with backend.tls=%s: the TLS backend leg should satisfy REQUIRE SSL (%u %s)",
            btls, err, it_reason);
        rc = CASE_PASS;
        goto out;
    }
    IT_CHECK(!m, "tlsuser (REQUIRE SSL) logged in over a plaintext client connection");
    IT_CHECK(err == 1045, "tlsuser without TLS: want 1045, got %u (%s)", err, it_reason);
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

/* A failed login over TLS still delivers its error packet (1045), it does
 * not end in a TLS-level error. */
static int case_tls_wrong_password(void)
{
    int rc = CASE_FAIL;
    unsigned err = 0;
    MYSQL *m = NULL;
    if (!g_env.certs) {
        it_set_reason("MARIADB_CERTS not set");
        return CASE_SKIP;
    }
    m = it_connect_ex("app", "wrongpass", "test", OPT_TLS, &err);
    IT_CHECK(!m, "login with a wrong password over TLS succeeded");
    IT_CHECK(err == 1045, "want 1045 over TLS, got %u (%s)", err, it_reason);
    m = it_connect_ex("ed", "wrongpass", "test", OPT_TLS, &err);
    IT_CHECK(!m, "ed25519 login with a wrong password over TLS succeeded");
    IT_CHECK(err == 1045, "ed25519: want 1045 over TLS, got %u (%s)", err, it_reason);
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

/* A client that insists on verification refuses a certificate for another name. */
static int case_tls_wrong_ca(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = NULL;
    if (!g_env.certs) {
        it_set_reason("MARIADB_CERTS not set");
        return CASE_SKIP;
    }
    m = mysql_init(NULL);
    my_bool on = 1;
    unsigned cto = 10;
    char ca[1024];
    /* the client certificate is not a CA: verification must fail */
    snprintf(ca, sizeof ca, "%s/client.pem", g_env.certs);
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &cto);
    mysql_options(m, MYSQL_OPT_SSL_CA, ca);
    mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    IT_CHECK(!mysql_real_connect(m, g_env.host, "app", "apppass", "test", g_env.port, NULL, 0),
             "connected although the server certificate does not verify");
    rc = CASE_PASS;
out:
    mysql_close(m);
    return rc;
}

static int case_clear_password(void)
{
    int rc = CASE_FAIL;
    unsigned err = 0;
    MYSQL *m = NULL;
    /* the user exists only when the sandbox could load auth_test_plugin */
    MYSQL *root = it_connect("app", "apppass", OPT_NONE);
    IT_CHECK(root, "%s", it_reason);
    char v[16];
    if (!query_value(root,
                     "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE "
                     "PLUGIN_NAME = 'cleartext_plugin_server' AND PLUGIN_STATUS = 'ACTIVE'",
                     v, sizeof v))
        goto out;
    mysql_close(root);
    root = NULL;
    if (strcmp(v, "1") != 0) {
        it_set_reason("cleartext_plugin_server not installed (package mariadb-test)");
        return CASE_SKIP;
    }
    if (g_env.certs) { /* over TLS the password may travel in clear */
        m = it_connect("clear", "clearpass", OPT_TLS);
        IT_CHECK(m, "mysql_clear_password over TLS: %s", it_reason);
        CHECK_VAL(m, "SELECT CURRENT_USER()", "clear@%");
        mysql_close(m);
        m = NULL;
    }
    m = it_connect_ex("clear", "clearpass", "test", OPT_NONE, &err);
    if (g_env.direct) {
        /* MariaDB itself accepts it; refusing is ddlgate's policy */
        IT_CHECK(m, "direct: %s", it_reason);
        rc = CASE_SKIP;
        it_set_reason(
            "direct MariaDB accepts cleartext without TLS; the refusal is checked through ddlgate");
        goto out;
    }
    IT_CHECK(!m, "ddlgate forwarded a mysql_clear_password login over plaintext");
    IT_CHECK(err != 0, "no error code");
    rc = CASE_PASS;
out:
    if (root)
        mysql_close(root);
    if (m)
        mysql_close(m);
    return rc;
}

/* --------------------------------------------------------- compression */

static int case_compress_text(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = it_connect("app", "apppass", OPT_COMPRESS | OPT_MULTI);
    long long c[4];
    unsigned err;
    IT_CHECK(m, "%s", it_reason);
    IT_CHECK(m->net.compress, "compression was not negotiated");
    CHECK_VAL(m, "SELECT CURRENT_USER()", "app@%");
    CHECK_VAL(m, "SELECT REPEAT('abc', 10000) = REPEAT('abc', 10000)", "1");
    if (g_env.direct)
        CHECK_VAL(m,
                  "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE "
                  "VARIABLE_NAME = 'COMPRESSION'",
                  "ON");
    CHECK_Q(m, "SELECT 1; SELECT 2; SELECT 3");
    int n = drain_results(m, c, 4, &err);
    IT_CHECK(n == 3, "multi-statement over compression: %d results, err %u", n, err);
    IT_CHECK(mysql_ping(m) == 0, "ping over compression");
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int case_compress_large_result(void)
{
    int rc = CASE_FAIL;
    MYSQL *m = it_connect("app", "apppass", OPT_COMPRESS);
    IT_CHECK(m, "%s", it_reason);
    IT_CHECK(m->net.compress, "compression was not negotiated");
    IT_CHECK(check_big_result(m) == 0, "%s", it_reason);
    rc = CASE_PASS;
out:
    if (m)
        mysql_close(m);
    return rc;
}

static int case_compress_blob(void) { return blob_roundtrip(OPT_COMPRESS); }

/* ---------------------------------------------------------------- main */

static const struct it_case CASES[] = {
    {"connect_native", case_connect_native},
    {"connect_ed25519", case_connect_ed25519},
    {"wrong_password", case_wrong_password},
    {"text_query", case_text_query},
    {"big_text_query", case_big_text_query},
    {"large_result", case_large_result},
    {"prepared", case_prepared},
    {"send_long_data", case_send_long_data},
    {"cursor", case_cursor},
    {"multi_statements", case_multi_statements},
    {"stored_procedure", case_stored_procedure},
    {"load_data_local", case_load_data_local},
    {"blob_20m", case_blob_20m},
    {"change_user", case_change_user},
    {"reset_connection", case_reset_connection},
    {"ping", case_ping},
    {"init_db", case_init_db},
    {"statistics", case_statistics},
    {"field_list", case_field_list},
    {"kill", case_kill},
    {"set_option", case_set_option},
    {"tls", case_tls},
    {"tls_wrong_ca", case_tls_wrong_ca},
    {"tls_wrong_password", case_tls_wrong_password},
    {"require_ssl_plain_refused", case_require_ssl_plain_refused},
    {"clear_password", case_clear_password},
    {"compress_text", case_compress_text},
    {"compress_large_result", case_compress_large_result},
    {"compress_blob", case_compress_blob},
};

static bool env_init(void)
{
    const char *target = getenv("DG_TARGET");
    g_env.direct = target && strcmp(target, "direct") == 0;
    g_env.host = getenv("DG_HOST") && *getenv("DG_HOST") ? getenv("DG_HOST") : "127.0.0.1";
    const char *port = g_env.direct ? getenv("MARIADB_PORT") : getenv("DG_PORT");
    if (!port || !*port) {
        fprintf(stderr, "it_client: set %s\n", g_env.direct ? "MARIADB_PORT" : "DG_PORT");
        return false;
    }
    g_env.port = (unsigned)strtoul(port, NULL, 10);
    const char *certs = getenv("MARIADB_CERTS");
    g_env.certs = certs && *certs ? certs : NULL;
    const char *t = getenv("IT_CASE_TIMEOUT_S");
    g_env.case_timeout_s = t ? (unsigned)strtoul(t, NULL, 10) : 120;
    if (g_env.case_timeout_s == 0)
        g_env.case_timeout_s = 120;
    return g_env.port > 0 && g_env.port < 65536;
}

int main(int argc, char **argv)
{
    const size_t ncases = sizeof CASES / sizeof CASES[0];
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < ncases; i++)
            printf("%s\n", CASES[i].name);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        bool known = false;
        for (size_t k = 0; k < ncases; k++)
            known = known || strcmp(argv[i], CASES[k].name) == 0;
        if (!known) {
            fprintf(stderr, "it_client: unknown case '%s' (see --list)\n", argv[i]);
            return 2;
        }
    }
    if (!env_init())
        return 2;
    if (mysql_library_init(0, NULL, NULL) != 0) {
        fprintf(stderr, "it_client: mysql_library_init failed\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    printf("# it_client: %s %s:%u\n", g_env.direct ? "direct MariaDB" : "ddlgate", g_env.host,
           g_env.port);
    int rc = it_run_cases("it_client", CASES, ncases, argc, argv, g_env.case_timeout_s, true);
    if (g_fixture)
        mysql_close(g_fixture);
    mysql_library_end();
    return rc;
}
