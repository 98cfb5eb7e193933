/*
 * it_admin.c - the admin console driven with the C client library: rule
 * changes act on the next statement of an application connection, the
 * approval flow lets exactly the approved statement through, a restart
 * with a state file keeps rule changes and approvals, wrong passwords and
 * bad commands are refused without harm.
 *
 * The program starts its own ddlgate instances (free ports, stopped at
 * exit), so it can change rules and restart without disturbing the shared
 * instance of run.sh.  What the server really received is read from its
 * general log (mysql.general_log, switched on for the test and off again).
 *
 * Environment: MARIADB_PORT (required), DDLGATE_BIN (required),
 * IT_WORK_DIR (logs and the state file; default /tmp).
 * Usage: it_admin [-v] [case...]   cases: auth syntax dg010 dg001 approval restart
 *        plugins (login with caching_sha2_password / mysql_native_password /
 *        an unknown plugin against both admin.auth_plugin greetings, plain and
 *        TLS when MARIADB_CERTS is set)
 * Output: "ok - admin_<check>" / "not ok - admin_<check>: why", then
 * "it_admin: N passed, M failed".  Exit 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <mysql.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "it_common.h"

#define ADMIN_USER "admin"
#define ADMIN_PASS "it-admin-secret"
#define OVERALL_TIMEOUT_S 200

static struct it_tally g_tally = {.prefix = "admin_"};
static unsigned g_mport;
static char g_tag[16]; /* per-run suffix of table names: the general log outlives a run */

__attribute__((format(printf, 3, 4))) static bool check(bool cond, const char *name,
                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool r = it_vcheck(&g_tally, cond, name, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- ddlgate instances ------------------------------------------------------------ */

struct dg_inst {
    struct it_dg dg;
    const char *sets[16];
    int nsets;
};

/* (Re)start an instance on its ports (chosen at the first start) with its
 * sets.  The log is appended to, so a restart keeps the first run's lines. */
static bool dg_start(struct dg_inst *d, const char *tag)
{
    const char *work = getenv("IT_WORK_DIR") ? getenv("IT_WORK_DIR") : "/tmp";
    static const char *const base[] = {
        "admin.user=" ADMIN_USER,
        "admin.password=" ADMIN_PASS,
        "backend.monitor_user=monitor",
        "backend.monitor_password=monpass",
    };
    const char *sets[4 + 16];
    int n = 0;

    if (!d->dg.port) {
        d->dg.port = it_free_port();
        do
            d->dg.admin_port = it_free_port();
        while (d->dg.admin_port == d->dg.port);
        snprintf(d->dg.log, sizeof d->dg.log, "%s/it_admin-%s-%d.log", work, tag, (int)getpid());
        unlink(d->dg.log);
    }
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        sets[n++] = base[i];
    for (int i = 0; i < d->nsets && i < 16; i++)
        sets[n++] = d->sets[i];
    return it_dg_launch(&d->dg, sets, n, true);
}

static void dg_stop(struct dg_inst *d) { it_dg_stop(&d->dg, 15); }

static void dg_log_tail(const struct dg_inst *d, int lines)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "tail -n %d '%s' | sed 's/^/#   ddlgate.log: /'", lines, d->dg.log);
    fflush(stdout);
    if (system(cmd) != 0)
        printf("#   (no log at %s)\n", d->dg.log);
}

/* ---- client helpers --------------------------------------------------------------- */

/* Connect; NULL with the error number in *errn and the text in err. */
static MYSQL *db_connect(unsigned port, const char *user, const char *pass, const char *db,
                         unsigned *errn, char *err, size_t errlen)
{
    return it_db_connect(port, user, pass, db, 30, errn, err, errlen);
}

/* Run a statement, discard results; 0 or the error number (text in msg). */
static unsigned db_exec(MYSQL *m, const char *sql, char *msg, size_t msglen)
{
    return it_db_exec(m, sql, false, msg, msglen);
}

/* A result set as tab-separated lines ("NULL" for NULL), for searching. */
static char *db_text(MYSQL *m, const char *sql)
{
    if (mysql_query(m, sql) != 0)
        return NULL;
    MYSQL_RES *r = mysql_store_result(m);
    if (!r)
        return NULL;
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    unsigned nf = mysql_num_fields(r);
    MYSQL_ROW row;
    if (!out) {
        mysql_free_result(r);
        return NULL;
    }
    out[0] = '\0';
    while ((row = mysql_fetch_row(r))) {
        for (unsigned i = 0; i < nf; i++) {
            const char *v = row[i] ? row[i] : "NULL";
            size_t need = len + strlen(v) + 2;
            if (need >= cap) {
                while (cap <= need)
                    cap *= 2;
                char *o = realloc(out, cap);
                if (!o)
                    break;
                out = o;
            }
            len += (size_t)sprintf(out + len, "%s%c", v, i + 1 < nf ? '\t' : '\n');
        }
    }
    mysql_free_result(r);
    return out;
}

/* The line of `text` that contains all of a, b (b may be NULL); copied to out. */
static bool find_line(const char *text, const char *a, const char *b, char *out, size_t outlen)
{
    out[0] = '\0';
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
        if (strstr(line, a) && (!b || strstr(line, b))) {
            snprintf(out, outlen, "%s", line);
            return true;
        }
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* Field i (0-based) of a tab-separated line. */
static void field(const char *line, int i, char *out, size_t outlen)
{
    const char *p = line;
    for (int k = 0; k < i && p; k++) {
        p = strchr(p, '\t');
        if (p)
            p++;
    }
    if (!p) {
        out[0] = '\0';
        return;
    }
    size_t n = strcspn(p, "\t\n");
    snprintf(out, outlen, "%.*s", (int)n, p);
}

static MYSQL *root_conn(void)
{
    unsigned e;
    char err[256];
    return db_connect(g_mport, "root", "", "test", &e, err, sizeof err);
}

static bool root_sql(const char *sql)
{
    char msg[512];
    MYSQL *r = root_conn();
    if (!r)
        return false;
    unsigned rc = db_exec(r, sql, msg, sizeof msg);
    if (rc)
        printf("#   fixture '%s': %u %s\n", sql, rc, msg);
    mysql_close(r);
    return rc == 0;
}

static int table_exists(const char *table)
{
    char sql[256];
    MYSQL *r = root_conn();
    if (!r)
        return -1;
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'test' AND "
             "TABLE_NAME = '%s'",
             table);
    char *t = db_text(r, sql);
    int v = t ? atoi(t) > 0 : -1;
    free(t);
    mysql_close(r);
    return v;
}

static int column_exists(const char *table, const char *col)
{
    char sql[384];
    MYSQL *r = root_conn();
    if (!r)
        return -1;
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'test' AND "
             "TABLE_NAME = '%s' AND COLUMN_NAME = '%s'",
             table, col);
    char *t = db_text(r, sql);
    int v = t ? atoi(t) > 0 : -1;
    free(t);
    mysql_close(r);
    return v;
}

/* What the server's general log recorded for statements containing `needle`. */
static char *server_received(const char *needle)
{
    char sql[512];
    MYSQL *r = root_conn();
    if (!r)
        return NULL;
    snprintf(sql, sizeof sql,
             "SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log WHERE "
             "command_type = 'Query' AND argument LIKE '%%%s%%' AND argument NOT LIKE "
             "'%%general_log%%' ORDER BY event_time",
             needle);
    char *t = db_text(r, sql);
    mysql_close(r);
    return t;
}

static struct dg_inst g_main;

static MYSQL *app_conn(const struct dg_inst *d)
{
    unsigned e;
    char err[256];
    MYSQL *m = db_connect(d->dg.port, "app", "apppass", "test", &e, err, sizeof err);
    if (!m)
        printf("#   %s\n", err);
    return m;
}

static MYSQL *admin_conn(const struct dg_inst *d)
{
    unsigned e;
    char err[256];
    MYSQL *m = db_connect(d->dg.admin_port, ADMIN_USER, ADMIN_PASS, NULL, &e, err, sizeof err);
    if (!m)
        printf("#   %s\n", err);
    return m;
}

/* Wait (bounded) until the instance's monitor connection is up: until then
 * DDL is judged without table facts. */
static bool wait_monitor(const struct dg_inst *d, double max_s)
{
    MYSQL *a = admin_conn(d);
    bool up = false;
    for (int i = 0; a && !up && i < (int)(max_s * 20); i++) {
        char *t = db_text(a, "SHOW BACKEND");
        char line[2048];
        up = t && find_line(t, "monitor\t", "connected as", line, sizeof line);
        free(t);
        if (!up)
            it_sleep_s(0.05);
    }
    if (a)
        mysql_close(a);
    return up;
}

/* "... pending id N, digest D ..." of a 7101 message; 0 when absent. */
static long long pending_id(const char *msg, char *digest, size_t dlen)
{
    const char *p = strstr(msg, "pending id ");
    if (digest && dlen)
        digest[0] = '\0';
    if (!p)
        return 0;
    long long id = atoll(p + 11);
    const char *d = strstr(p, "digest ");
    if (d && digest)
        snprintf(digest, dlen, "%.*s", (int)strspn(d + 7, "0123456789abcdef"), d + 7);
    return id;
}

/* ---- cases ------------------------------------------------------------------------ */

static void case_auth(void)
{
    unsigned e;
    char err[512];
    MYSQL *m = db_connect(g_main.dg.admin_port, ADMIN_USER, "wrong", NULL, &e, err, sizeof err);
    check(!m && e == 1045, "auth_bad_password", "%s", m ? "connected with a wrong password" : err);
    if (m)
        mysql_close(m);
    m = db_connect(g_main.dg.admin_port, "root", ADMIN_PASS, NULL, &e, err, sizeof err);
    check(!m && e == 1045, "auth_bad_user", "%s", m ? "connected as another user" : err);
    if (m)
        mysql_close(m);
    m = db_connect(g_main.dg.admin_port, ADMIN_USER, "", NULL, &e, err, sizeof err);
    check(!m && e == 1045, "auth_empty_password", "%s", m ? "connected without a password" : err);
    if (m)
        mysql_close(m);
    m = db_connect(g_main.dg.admin_port, ADMIN_USER, ADMIN_PASS, NULL, &e, err, sizeof err);
    char *t = m ? db_text(m, "SHOW RULES") : NULL;
    check(m && t && strstr(t, "DG005"), "auth_good_password", "%s", m ? "SHOW RULES failed" : err);
    free(t);
    if (m)
        mysql_close(m);
}

static void case_syntax(void)
{
    static const struct {
        const char *cmd;
        unsigned want;
    } bad[] = {
        {"SHOW NONSENSE", 7300},
        {"FROBNICATE", 7300},
        {"SET RULE DG999 = off", 7300},
        {"SET RULE DG005 = sometimes", 7300},
        {"SET RULE DG005", 7300},
        {"APPROVE", 7300},
        {"APPROVE abc", 7300},
        {"APPROVE 1 FOR -5 MINUTES", 7300},
        {"SELECT * FROM mysql.user", 7300},
        {"SET GLOBAL max_connections = 1", 7300},
        {"APPROVE 987654321", 7301},
        {"DENY 987654321", 7301},
        {"CANCEL 987654321", 7301},
    };
    char msg[1024], name[64];
    MYSQL *a = admin_conn(&g_main);
    if (!check(a != NULL, "syntax_connect", "no admin connection"))
        return;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned rc = db_exec(a, bad[i].cmd, msg, sizeof msg);
        snprintf(name, sizeof name, "syntax_refused_%zu", i + 1);
        check(rc == bad[i].want, name, "'%s' gave %u (want %u): %s", bad[i].cmd, rc, bad[i].want,
              msg);
        char *t = db_text(a, "SHOW RULES");
        snprintf(name, sizeof name, "syntax_usable_after_%zu", i + 1);
        check(t && strstr(t, "DG010"), name, "SHOW RULES after '%s': %s", bad[i].cmd,
              t ? "no DG010 row" : mysql_error(a));
        free(t);
    }
    unsigned rc = db_exec(a, "FROBNICATE", msg, sizeof msg);
    check(rc == 7300 && strstr(msg, "SHOW RULES") && strstr(msg, "APPROVE") &&
              strstr(msg, "RELOAD"),
          "syntax_lists_commands", "error %u message '%s'", rc, msg);
    /* what client libraries send on their own must work */
    char *t = db_text(a, "select @@version_comment limit 1");
    check(t && strstr(t, "ddlgate"), "syntax_version_comment", "got '%s'", t ? t : mysql_error(a));
    free(t);
    check(db_exec(a, "SET NAMES utf8mb4", msg, sizeof msg) == 0, "syntax_set_names", "%s", msg);
    check(db_exec(a, "show rules;  -- trailing comment", msg, sizeof msg) == 0,
          "syntax_case_and_comment", "%s", msg);
    mysql_close(a);
}

/* The newest SHOW VERDICTS row whose statement contains needle. */
static bool verdict_of(MYSQL *adm, const char *needle, char *rules, char *action, size_t len)
{
    char *t = db_text(adm, "SHOW VERDICTS");
    char line[2048];
    bool found = t && find_line(t, needle, NULL, line, sizeof line);
    if (found) {
        field(line, 5, rules, len);
        field(line, 6, action, len);
    } else {
        rules[0] = action[0] = '\0';
    }
    free(t);
    return found;
}

static void case_dg010(void)
{
    char table[48], sql[256], msg[1024], rules[128], action[64], needle[96];
    snprintf(table, sizeof table, "it_adm_t%s", g_tag);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY) ENGINE=InnoDB", table);
    MYSQL *a = admin_conn(&g_main), *app = app_conn(&g_main);
    if (!check(a && app && root_sql(sql), "dg010_setup", "connections or fixture"))
        goto out;
    /* off: the ALTER reaches the server as written */
    unsigned rc = db_exec(a, "SET RULE DG010 = off", msg, sizeof msg);
    char *t = db_text(a, "SHOW RULES");
    char line[2048] = "", mode[32] = "";
    if (t && find_line(t, "DG010", "global", line, sizeof line))
        field(line, 2, mode, sizeof mode);
    free(t);
    check(rc == 0 && strcmp(mode, "off") == 0, "dg010_set_off",
          "SET RULE: %u %s; SHOW RULES mode '%s'", rc, msg, mode);
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN c_off INT NULL", table);
    rc = db_exec(app, sql, msg, sizeof msg);
    check(rc == 0, "dg010_off_alter_ok", "%s: %u %s", sql, rc, msg);
    snprintf(needle, sizeof needle, "%s ADD COLUMN c_off", table);
    t = server_received(needle);
    check(t && strstr(t, "c_off INT NULL") && !strstr(t, "ALGORITHM"), "dg010_off_sent_as_written",
          "server received: '%s'", t ? t : "(nothing in the general log)");
    free(t);
    verdict_of(a, "c_off", rules, action, sizeof rules);
    check(!strstr(rules, "DG010") && strcmp(action, "rewrite") != 0, "dg010_off_verdict",
          "SHOW VERDICTS: rules '%s' action '%s'", rules, action);
    /* rewrite: the next ALTER gets the online clause appended */
    rc = db_exec(a, "SET RULE DG010 = rewrite", msg, sizeof msg);
    check(rc == 0, "dg010_set_rewrite", "%u %s", rc, msg);
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN c_rw INT NULL", table);
    rc = db_exec(app, sql, msg, sizeof msg);
    check(rc == 0 && column_exists(table, "c_rw") == 1, "dg010_rewrite_alter_ok", "%u %s", rc, msg);
    snprintf(needle, sizeof needle, "%s ADD COLUMN c_rw", table);
    t = server_received(needle);
    check(t && strstr(t, "ALGORITHM=INSTANT"), "dg010_rewrite_sent_with_algorithm",
          "server received: '%s'", t ? t : "(nothing in the general log)");
    free(t);
    verdict_of(a, "c_rw", rules, action, sizeof rules);
    check(strstr(rules, "DG010") && strcmp(action, "rewrite") == 0, "dg010_rewrite_verdict",
          "SHOW VERDICTS: rules '%s' action '%s'", rules, action);
    /* a statement that went through is not waiting for an approval */
    t = db_text(a, "SHOW PENDING");
    check(t && !find_line(t, "c_rw", NULL, line, sizeof line), "dg010_no_phantom_pending",
          "SHOW PENDING lists the ALTER that ran: '%s'", t ? line : mysql_error(a));
    free(t);
    db_exec(a, "SET RULE DG010 = default", msg, sizeof msg);
out:
    if (a)
        mysql_close(a);
    if (app)
        mysql_close(app);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    root_sql(sql);
}

static void case_dg001(void)
{
    char t1[48], t2[48], sql[256], msg[1024];
    snprintf(t1, sizeof t1, "it_adm_n%s", g_tag);
    snprintf(t2, sizeof t2, "it_adm_m%s", g_tag);
    MYSQL *a = admin_conn(&g_main), *app = app_conn(&g_main);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY)", t1);
    bool ok = a && app && root_sql(sql);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY)", t2);
    ok = ok && root_sql(sql);
    if (!check(ok, "dg001_setup", "connections or fixture"))
        goto out;
    unsigned rc = db_exec(a, "SET RULE DG001 = reject", msg, sizeof msg);
    check(rc == 0, "dg001_set_reject", "%u %s", rc, msg);
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN nn INT NOT NULL", t1);
    rc = db_exec(app, sql, msg, sizeof msg);
    check(rc == 7100 && strstr(msg, "DG001"), "dg001_reject", "%s: %u %s", sql, rc, msg);
    check(column_exists(t1, "nn") == 0, "dg001_reject_not_sent", "column nn exists after 7100");
    rc = db_exec(app, "SELECT 1", msg, sizeof msg);
    check(rc == 0, "dg001_connection_usable", "%u %s", rc, msg);

    rc = db_exec(a, "SET RULE DG001 = off", msg, sizeof msg);
    check(rc == 0, "dg001_set_off", "%u %s", rc, msg);
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN nn INT NOT NULL", t1);
    rc = db_exec(app, sql, msg, sizeof msg);
    check(rc == 0 && column_exists(t1, "nn") == 1, "dg001_off_passes", "%s: %u %s", sql, rc, msg);

    /* a table override wins over the global mode, for that table only */
    rc = db_exec(a, "SET RULE DG001 = reject", msg, sizeof msg);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "SET RULE DG001 = off FOR test.%s", t2);
    rc = db_exec(a, cmd, msg, sizeof msg);
    check(rc == 0, "dg001_set_table_override", "%s: %u %s", cmd, rc, msg);
    char *t = db_text(a, "SHOW RULES");
    char line[2048], scope[128];
    snprintf(scope, sizeof scope, "test.%s", t2);
    check(t && find_line(t, "DG001", scope, line, sizeof line) && strstr(line, "\toff\t"),
          "dg001_show_rules_override", "no 'DG001 off %s' row in SHOW RULES", scope);
    free(t);
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN nn INT NOT NULL", t2);
    rc = db_exec(app, sql, msg, sizeof msg);
    check(rc == 0, "dg001_override_table_passes", "%s: %u %s", sql, rc, msg);
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN nn2 INT NOT NULL", t1);
    rc = db_exec(app, sql, msg, sizeof msg);
    check(rc == 7100, "dg001_other_table_still_rejected", "%s: %u %s", sql, rc, msg);
    snprintf(cmd, sizeof cmd, "SET RULE DG001 = default FOR test.%s", t2);
    rc = db_exec(a, cmd, msg, sizeof msg);
    check(rc == 0, "dg001_default_for_table", "%s: %u %s", cmd, rc, msg);
    /* 'default' for a scope removes the override rather than pinning a mode */
    t = db_text(a, "SHOW RULES");
    check(t && !find_line(t, "DG001", scope, line, sizeof line), "dg001_override_removed",
          "a 'DG001 ... %s' row is still in SHOW RULES: %s", scope, line);
    free(t);
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN nn3 INT NOT NULL", t2);
    rc = db_exec(app, sql, msg, sizeof msg);
    check(rc == 7100, "dg001_table_rejected_again", "%s: %u %s", sql, rc, msg);
    db_exec(a, "SET RULE DG001 = default", msg, sizeof msg);
out:
    if (a)
        mysql_close(a);
    if (app)
        mysql_close(app);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s, %s", t1, t2);
    root_sql(sql);
}

/* SHOW PENDING's state of id, "" when not listed. */
static void pending_state(MYSQL *a, long long id, char *state, size_t len)
{
    char *t = db_text(a, "SHOW PENDING");
    char key[32], line[2048];
    state[0] = '\0';
    snprintf(key, sizeof key, "%lld\t", id);
    for (const char *p = t; p && *p;) {
        if (strncmp(p, key, strlen(key)) == 0) {
            const char *e = strchr(p, '\n');
            snprintf(line, sizeof line, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
            field(line, 3, state, len);
            break;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    free(t);
}

static void case_approval(void)
{
    char d1[48], d2[48], sql[256], drop1[128], drop2[128], msg[1024], cmd[96], state[32];
    char dig1[32], dig1b[32];
    snprintf(d1, sizeof d1, "it_adm_d1%s", g_tag);
    snprintf(d2, sizeof d2, "it_adm_d2%s", g_tag);
    snprintf(drop1, sizeof drop1, "DROP TABLE %s", d1);
    snprintf(drop2, sizeof drop2, "DROP TABLE %s", d2);
    MYSQL *a = admin_conn(&g_main), *app = app_conn(&g_main), *app2 = NULL;
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY)", d1);
    bool ok = a && app && root_sql(sql);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY)", d2);
    ok = ok && root_sql(sql);
    if (!check(ok, "approval_setup", "connections or fixture"))
        goto out;

    unsigned rc = db_exec(app, drop1, msg, sizeof msg);
    long long id1 = pending_id(msg, dig1, sizeof dig1);
    check(rc == 7101 && id1 > 0 && dig1[0], "approval_required_7101", "%s: %u %s", drop1, rc, msg);
    check(table_exists(d1) == 1, "approval_not_sent", "%s is gone before any approval", d1);
    pending_state(a, id1, state, sizeof state);
    check(strcmp(state, "pending") == 0, "approval_show_pending", "id %lld state '%s'", id1, state);
    rc = db_exec(app, drop1, msg, sizeof msg);
    check(rc == 7101 && pending_id(msg, NULL, 0) == id1, "approval_same_digest_same_id",
          "again: %u %s (first id %lld)", rc, msg, id1);

    snprintf(cmd, sizeof cmd, "APPROVE %lld", id1);
    rc = db_exec(a, cmd, msg, sizeof msg);
    check(rc == 0, "approval_approve_ok", "%s: %u %s", cmd, rc, msg);
    pending_state(a, id1, state, sizeof state);
    check(strcmp(state, "approved") == 0, "approval_state_approved", "id %lld state '%s'", id1,
          state);

    /* another statement is not covered by that approval */
    rc = db_exec(app, drop2, msg, sizeof msg);
    long long id2 = pending_id(msg, NULL, 0);
    check(rc == 7101 && id2 > 0 && id2 != id1, "approval_other_statement_refused", "%s: %u %s",
          drop2, rc, msg);
    check(table_exists(d2) == 1, "approval_other_statement_not_sent", "%s was dropped", d2);

    /* the approved statement passes, from any connection of the application */
    unsigned e;
    char err[256];
    app2 = db_connect(g_main.dg.port, "app", "apppass", "test", &e, err, sizeof err);
    rc = app2 ? db_exec(app2, drop1, msg, sizeof msg) : e;
    check(rc == 0 && table_exists(d1) == 0, "approval_approved_statement_runs", "%s: %u %s", drop1,
          rc, app2 ? msg : err);

    /* a once-approval is used up: the same statement needs a new one */
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY)", d1);
    root_sql(sql);
    rc = db_exec(app, drop1, msg, sizeof msg);
    long long id3 = pending_id(msg, dig1b, sizeof dig1b);
    check(rc == 7101 && id3 > id1 && strcmp(dig1, dig1b) == 0, "approval_once_used_up",
          "%s again: %u %s (first id %lld digest %s)", drop1, rc, msg, id1, dig1);
    check(table_exists(d1) == 1, "approval_once_not_sent_twice", "%s dropped twice", d1);

    /* DENY: the statement is refused with 7104 from then on */
    snprintf(cmd, sizeof cmd, "DENY %lld", id2);
    rc = db_exec(a, cmd, msg, sizeof msg);
    check(rc == 0, "approval_deny_ok", "%s: %u %s", cmd, rc, msg);
    rc = db_exec(app, drop2, msg, sizeof msg);
    check(rc == 7104, "approval_denied_7104", "%s after DENY: %u %s", drop2, rc, msg);
    check(table_exists(d2) == 1, "approval_denied_not_sent", "%s was dropped after DENY", d2);
    pending_state(a, id2, state, sizeof state);
    check(strcmp(state, "denied") == 0, "approval_state_denied", "id %lld state '%s'", id2, state);

    /* WINDOW: any number of runs until the window closes */
    snprintf(cmd, sizeof cmd, "APPROVE %lld FOR 5 MINUTES WINDOW", id3);
    rc = db_exec(a, cmd, msg, sizeof msg);
    check(rc == 0, "approval_window_ok", "%s: %u %s", cmd, rc, msg);
    unsigned rc1 = db_exec(app, drop1, msg, sizeof msg);
    root_sql(sql);
    unsigned rc2 = db_exec(app, drop1, msg, sizeof msg);
    check(rc1 == 0 && rc2 == 0 && table_exists(d1) == 0, "approval_window_runs_twice",
          "first %u, second %u: %s", rc1, rc2, msg);
out:
    if (a)
        mysql_close(a);
    if (app)
        mysql_close(app);
    if (app2)
        mysql_close(app2);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s, %s", d1, d2);
    root_sql(sql);
}

static void first_line(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    out[0] = '\0';
    if (f) {
        if (!fgets(out, (int)len, f))
            out[0] = '\0';
        fclose(f);
    }
}

static void case_restart(void)
{
    static struct dg_inst d;
    static char state_set[600], state_path[512];
    char r1[48], r2[48], sql[256], drop1[128], drop2[128], msg[1024], cmd[160], st[32];
    const char *work = getenv("IT_WORK_DIR") ? getenv("IT_WORK_DIR") : "/tmp";
    snprintf(state_path, sizeof state_path, "%s/it_admin-state-%d", work, (int)getpid());
    snprintf(state_set, sizeof state_set, "ddlgate.state_file=%s", state_path);
    unlink(state_path);
    d.sets[d.nsets++] = state_set;
    snprintf(r1, sizeof r1, "it_adm_r1%s", g_tag);
    snprintf(r2, sizeof r2, "it_adm_r2%s", g_tag);
    snprintf(drop1, sizeof drop1, "DROP TABLE %s", r1);
    snprintf(drop2, sizeof drop2, "DROP TABLE %s", r2);
    MYSQL *a = NULL, *app = NULL;
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY)", r1);
    bool ok = root_sql(sql);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY)", r2);
    ok = ok && root_sql(sql);
    ok = ok && dg_start(&d, "state");
    a = ok ? admin_conn(&d) : NULL;
    app = ok ? app_conn(&d) : NULL;
    if (!check(ok && a && app, "restart_setup", "fixture or ddlgate start (log %s)", d.dg.log))
        goto out;
    wait_monitor(&d, 10);

    unsigned rc = db_exec(a, "SET RULE DG007 = reject", msg, sizeof msg);
    check(rc == 0, "restart_set_rule", "%u %s", rc, msg);
    snprintf(cmd, sizeof cmd, "SET RULE DG016 = off FOR test.%s", r1);
    rc = db_exec(a, cmd, msg, sizeof msg);
    check(rc == 0, "restart_set_rule_table", "%s: %u %s", cmd, rc, msg);
    rc = db_exec(app, drop1, msg, sizeof msg);
    long long id1 = pending_id(msg, NULL, 0);
    snprintf(cmd, sizeof cmd, "APPROVE %lld FOR 60 MINUTES", id1);
    unsigned rca = db_exec(a, cmd, msg, sizeof msg);
    check(rc == 7101 && id1 > 0 && rca == 0, "restart_approved_before",
          "7101 %u id %lld, %s: %u %s", rc, id1, cmd, rca, msg);
    rc = db_exec(app, drop2, msg, sizeof msg);
    long long id2 = pending_id(msg, NULL, 0);
    check(rc == 7101 && id2 > id1, "restart_pending_before", "%s: %u %s", drop2, rc, msg);
    mysql_close(a);
    mysql_close(app);
    a = app = NULL;

    dg_stop(&d);
    check(d.dg.exit_status == 0, "restart_clean_exit", "exit status %d after SIGTERM",
          d.dg.exit_status);
    char head[64];
    first_line(state_path, head, sizeof head);
    check(strncmp(head, "ddlgate-state 1", 15) == 0, "restart_state_file_written",
          "%s: first line '%s'", state_path, head);
    ok = dg_start(&d, "state");
    a = ok ? admin_conn(&d) : NULL;
    app = ok ? app_conn(&d) : NULL;
    if (!check(ok && a && app, "restart_restarted", "ddlgate did not come back (log %s)", d.dg.log))
        goto out;
    wait_monitor(&d, 10);

    char *t = db_text(a, "SHOW RULES");
    char line[2048] = "", scope[128];
    bool g =
        t && find_line(t, "DG007", "\tglobal\t", line, sizeof line) && strstr(line, "\treject\t");
    check(g, "restart_rule_kept", "SHOW RULES DG007 row '%s'", line);
    snprintf(scope, sizeof scope, "test.%s", r1);
    g = t && find_line(t, "DG016", scope, line, sizeof line) && strstr(line, "\toff\t");
    check(g, "restart_table_override_kept", "SHOW RULES DG016 %s row '%s'", scope, line);
    free(t);
    pending_state(a, id1, st, sizeof st);
    check(strcmp(st, "approved") == 0, "restart_approval_kept", "id %lld state '%s'", id1, st);
    pending_state(a, id2, st, sizeof st);
    check(strcmp(st, "pending") == 0, "restart_pending_kept", "id %lld state '%s'", id2, st);

    rc = db_exec(app, drop1, msg, sizeof msg);
    check(rc == 0 && table_exists(r1) == 0, "restart_approved_statement_runs", "%s: %u %s", drop1,
          rc, msg);
    rc = db_exec(app, drop2, msg, sizeof msg);
    check(rc == 7101 && pending_id(msg, NULL, 0) == id2, "restart_pending_same_id",
          "%s: %u %s (id before restart %lld)", drop2, rc, msg, id2);
    snprintf(sql, sizeof sql, "TRUNCATE TABLE %s", r2);
    rc = db_exec(app, sql, msg, sizeof msg);
    check(rc == 7100 && strstr(msg, "DG007"), "restart_rule_acts", "%s: %u %s", sql, rc, msg);
    /* ids only increase, even across a restart */
    snprintf(sql, sizeof sql, "DROP TABLE %s, %s", r2, r1);
    rc = db_exec(app, sql, msg, sizeof msg);
    long long id3 = pending_id(msg, NULL, 0);
    check(rc == 7101 && id3 > id2, "restart_ids_increase", "%s: %u %s (last id %lld)", sql, rc, msg,
          id2);
out:
    if (a)
        mysql_close(a);
    if (app)
        mysql_close(app);
    if (g_tally.fail)
        dg_log_tail(&d, 15);
    dg_stop(&d);
    unlink(state_path);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s, %s", r1, r2);
    root_sql(sql);
}

/* ---- login plugins ---------------------------------------------------------------- */

/* Occurrences of needle in the instance's log. */
static int log_count(const struct dg_inst *d, const char *needle)
{
    FILE *f = fopen(d->dg.log, "r");
    char line[2048];
    int n = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* Connect to the admin port with a client default plugin (NULL: the
 * library's choice, which follows the greeting), TLS verified against ca
 * when given.  *cipher gets the TLS cipher ("" without TLS). */
static MYSQL *admin_plugin_conn(const struct dg_inst *d, const char *plugin, const char *pass,
                                const char *ca, unsigned *errn, char *err, size_t errlen,
                                char *cipher, size_t clen)
{
    MYSQL *m = mysql_init(NULL);
    unsigned cto = 10, rto = 30;
    my_bool on = 1;
    cipher[0] = '\0';
    if (!m) {
        *errn = 1;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &cto);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rto);
    if (plugin)
        mysql_options(m, MYSQL_DEFAULT_AUTH, plugin);
    if (ca) {
        mysql_options(m, MYSQL_OPT_SSL_CA, ca);
        mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
        mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    }
    if (!mysql_real_connect(m, "127.0.0.1", ADMIN_USER, pass, NULL, d->dg.admin_port, NULL, 0)) {
        *errn = mysql_errno(m);
        snprintf(err, errlen, "%u %s", mysql_errno(m), mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    *errn = 0;
    const char *c = mysql_get_ssl_cipher(m);
    snprintf(cipher, clen, "%s", c ? c : "");
    return m;
}

/* One instance greeting with `greeting`: every client plugin, right and
 * wrong password, plain and (with ca) TLS.  The log line of each login
 * names the plugin ddlgate verified. */
static void plugins_against(struct dg_inst *d, const char *greeting, const char *ca)
{
    static const char *const clients[] = {NULL, "caching_sha2_password", "mysql_native_password",
                                          "client_ed25519"};
    static char set_plugin[96], set_cert[600], set_key[600];
    const char *certs = getenv("MARIADB_CERTS");
    char name[128];

    snprintf(set_plugin, sizeof set_plugin, "admin.auth_plugin=%s", greeting);
    d->sets[d->nsets++] = set_plugin;
    if (ca) {
        snprintf(set_cert, sizeof set_cert, "client_tls.cert=%s/server.pem", certs);
        snprintf(set_key, sizeof set_key, "client_tls.key=%s/server-key.pem", certs);
        d->sets[d->nsets++] = set_cert;
        d->sets[d->nsets++] = set_key;
    }
    snprintf(name, sizeof name, "plugins_%s_start", greeting);
    if (!check(dg_start(d, greeting), name, "ddlgate with %s did not start (log %s)", set_plugin,
               d->dg.log)) {
        dg_log_tail(d, 10);
        return;
    }
    for (int tls = 0; tls <= (ca ? 1 : 0); tls++) {
        for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++) {
            const char *cp = clients[i];
            /* libmariadb follows the greeting unless told; unknown plugins
             * are switched to the greeting's */
            const char *want = cp && strcmp(cp, "client_ed25519") != 0 ? cp : greeting;
            const char *tag = cp ? cp : "default";
            char err[512], cipher[128];
            unsigned e;

            int before = log_count(d, want);
            MYSQL *m = admin_plugin_conn(d, cp, ADMIN_PASS, tls ? ca : NULL, &e, err, sizeof err,
                                         cipher, sizeof cipher);
            char *t = m ? db_text(m, "SHOW RULES") : NULL;
            int after = log_count(d, want);
            snprintf(name, sizeof name, "plugins_%s_greeting_%s_client%s_ok", greeting, tag,
                     tls ? "_tls" : "");
            check(m && t && strstr(t, "DG005") && (!tls || cipher[0]) && after > before, name,
                  "%s; SHOW RULES %s; cipher '%s'; log lines naming %s %d -> %d",
                  m ? "connected" : err, t ? "ok" : "failed", cipher, want, before, after);
            free(t);
            if (m)
                mysql_close(m);

            int denied = log_count(d, "access denied");
            m = admin_plugin_conn(d, cp, ADMIN_PASS "x", tls ? ca : NULL, &e, err, sizeof err,
                                  cipher, sizeof cipher);
            snprintf(name, sizeof name, "plugins_%s_greeting_%s_client%s_wrong_password", greeting,
                     tag, tls ? "_tls" : "");
            check(!m && e == 1045 && log_count(d, "access denied") == denied + 1, name, "%s",
                  m ? "connected with a wrong password" : err);
            if (m)
                mysql_close(m);
        }
    }
    snprintf(name, sizeof name, "plugins_%s_password_not_logged", greeting);
    check(log_count(d, ADMIN_PASS) == 0, name, "the admin password appears in %s", d->dg.log);
    if (g_tally.fail)
        dg_log_tail(d, 10);
    dg_stop(d);
    if (!g_tally.fail)
        unlink(d->dg.log);
}

static void case_plugins(void)
{
    const char *certs = getenv("MARIADB_CERTS");
    static char ca[600];
    if (certs && certs[0])
        snprintf(ca, sizeof ca, "%s/ca.pem", certs);
    else
        printf("# plugins: MARIADB_CERTS not set, TLS logins skipped\n");
    static struct dg_inst sha2, native;
    plugins_against(&sha2, "caching_sha2_password", ca[0] ? ca : NULL);
    plugins_against(&native, "mysql_native_password", ca[0] ? ca : NULL);
}

/* ---- main ------------------------------------------------------------------------- */

static bool wanted(int argc, char **argv, int first, const char *name)
{
    if (first >= argc)
        return true;
    for (int i = first; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    int first = 1;
    if (first < argc && strcmp(argv[first], "-v") == 0) {
        g_tally.verbose = true;
        first++;
    }
    const char *mp = getenv("MARIADB_PORT");
    if (!mp || !atoi(mp) || !getenv("DDLGATE_BIN")) {
        printf("not ok - admin_env: MARIADB_PORT and DDLGATE_BIN must be set "
               "(run via tests/integration/run.sh)\n");
        return 1;
    }
    g_mport = (unsigned)atoi(mp);
    snprintf(g_tag, sizeof g_tag, "_%d", (int)(getpid() % 100000));
    signal(SIGPIPE, SIG_IGN);
    snprintf(it_alarm_msg, sizeof it_alarm_msg, "not ok - admin_overall: timed out\n");
    signal(SIGALRM, it_on_alarm);
    alarm(OVERALL_TIMEOUT_S);
    atexit(it_dg_kill_all);
    mysql_library_init(0, NULL, NULL);

    /* the general log shows what the server really received */
    bool glog =
        root_sql("SET GLOBAL log_output = 'TABLE'") && root_sql("SET GLOBAL general_log = ON");
    if (!check(glog, "general_log_on", "could not switch the server's general log on"))
        return 1;
    if (check(dg_start(&g_main, "main"), "ddlgate_start", "log %s", g_main.dg.log)) {
        check(wait_monitor(&g_main, 10), "monitor_up", "SHOW BACKEND: no monitor after 10 s");
        if (wanted(argc, argv, first, "auth"))
            case_auth();
        if (wanted(argc, argv, first, "syntax"))
            case_syntax();
        if (wanted(argc, argv, first, "dg010"))
            case_dg010();
        if (wanted(argc, argv, first, "dg001"))
            case_dg001();
        if (wanted(argc, argv, first, "approval"))
            case_approval();
        if (g_tally.fail)
            dg_log_tail(&g_main, 15);
        dg_stop(&g_main);
        check(g_main.dg.exit_status == 0, "ddlgate_clean_exit", "exit status %d after SIGTERM",
              g_main.dg.exit_status);
    } else {
        dg_log_tail(&g_main, 15);
    }
    if (wanted(argc, argv, first, "restart"))
        case_restart();
    if (wanted(argc, argv, first, "plugins"))
        case_plugins();
    root_sql("SET GLOBAL general_log = OFF");
    root_sql("TRUNCATE TABLE mysql.general_log");
    mysql_library_end();
    printf("it_admin: %d passed, %d failed\n", g_tally.pass, g_tally.fail);
    return g_tally.fail ? 1 : 0;
}
