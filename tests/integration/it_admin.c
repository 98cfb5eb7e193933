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
 *        approval_exact restart_ids (exact, schema-scoped approvals; per-execute
 *        approvals of prepared statements; ids never reused)
 *        plugins (login with caching_sha2_password / mysql_native_password /
 *        an unknown plugin against both admin.auth_plugin greetings, plain and
 *        TLS when MARIADB_CERTS is set), clientlib (prepared statements,
 *        mysql_stat, set_server_option, change_user, reset_connection, login
 *        delay), hardening (login deadline, max_connections, idle timeout,
 *        unsaved changes 7303, RELOAD 7302, configured modes, escaped logs)
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
#include <sys/stat.h>
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

/* ---- client-library compatibility: prepared statements, COM_STATISTICS,
 * COM_SET_OPTION, COM_CHANGE_USER, COM_RESET_CONNECTION (case "clientlib") -- */

/* Prepare sql on the admin port, execute it, fetch every row in the binary
 * protocol; rows as tab-separated lines ("NULL" for NULL) into out.
 * Returns the column count, -1 on error (text in err). */
static int stmt_rows(MYSQL *m, const char *sql, char *out, size_t outlen, char *err, size_t errlen)
{
    enum {
        NC = 12,
        W = 512
    };
    MYSQL_STMT *st = mysql_stmt_init(m);
    MYSQL_BIND b[NC];
    char val[NC][W];
    unsigned long len[NC];
    my_bool isnull[NC], trunc[NC];
    int ncols = -1;

    out[0] = err[0] = '\0';
    if (!st)
        return -1;
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        snprintf(err, errlen, "prepare: %u %s", mysql_stmt_errno(st), mysql_stmt_error(st));
        goto done;
    }
    if (mysql_stmt_param_count(st) != 0) {
        snprintf(err, errlen, "%lu parameters", mysql_stmt_param_count(st));
        goto done;
    }
    unsigned nf = mysql_stmt_field_count(st);
    if (nf > NC) {
        snprintf(err, errlen, "%u columns", nf);
        goto done;
    }
    MYSQL_RES *meta = mysql_stmt_result_metadata(st);
    if (nf && meta) {
        MYSQL_FIELD *f = mysql_fetch_fields(meta);
        size_t o = 0;
        for (unsigned i = 0; i < nf && o < outlen; i++) /* header line: names and types */
            o += (size_t)snprintf(out + o, outlen - o, "%s:%d%c", f[i].name, (int)f[i].type,
                                  i + 1 < nf ? '\t' : '\n');
    }
    if (meta)
        mysql_free_result(meta);
    if (mysql_stmt_execute(st) != 0) {
        snprintf(err, errlen, "execute: %u %s", mysql_stmt_errno(st), mysql_stmt_error(st));
        goto done;
    }
    if (nf) {
        memset(b, 0, sizeof b);
        for (unsigned i = 0; i < nf; i++) {
            b[i].buffer_type = MYSQL_TYPE_STRING;
            b[i].buffer = val[i];
            b[i].buffer_length = W;
            b[i].length = &len[i];
            b[i].is_null = &isnull[i];
            b[i].error = &trunc[i];
        }
        if (mysql_stmt_bind_result(st, b) != 0) {
            snprintf(err, errlen, "bind: %s", mysql_stmt_error(st));
            goto done;
        }
        size_t o = strlen(out);
        int rc, rows = 0;
        while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
            for (unsigned i = 0; i < nf && o < outlen; i++)
                o += (size_t)snprintf(out + o, outlen - o, "%.*s%c",
                                      isnull[i] ? 4 : (int)(len[i] < W ? len[i] : W),
                                      isnull[i] ? "NULL" : val[i], i + 1 < nf ? '\t' : '\n');
            if (++rows > 10000)
                break;
        }
        if (rc == 1) {
            snprintf(err, errlen, "fetch: %s", mysql_stmt_error(st));
            goto done;
        }
    }
    ncols = (int)nf;
done:
    mysql_stmt_close(st);
    return ncols;
}

static int count_lines(const char *t)
{
    int n = 0;
    for (; t && *t; t++)
        n += *t == '\n';
    return n;
}

static void case_clientlib(void)
{
    static char out[65536], out2[65536];
    char err[512], line[2048], f[64];
    MYSQL *m = admin_conn(&g_main);

    if (!check(m != NULL, "clientlib_connect", "no admin connection"))
        return;
    /* SHOW RULES prepared: 7 VAR_STRING columns, the same rows as the text protocol */
    int nc = stmt_rows(m, "SHOW RULES", out, sizeof out, err, sizeof err);
    char *text = db_text(m, "SHOW RULES");
    check(nc == 7 && strncmp(out,
                             "id:253\tname:253\tmode:253\tscope:253\thits:253\tdefault:253\t"
                             "configured:253\n",
                             strlen("id:253\tname:253\tmode:253\tscope:253\thits:253\tdefault:"
                                    "253\tconfigured:253\n")) == 0,
          "clientlib_prepare_show_rules_columns", "%d columns, header '%.200s' %s", nc, out, err);
    check(text && count_lines(out) == count_lines(text) + 1 &&
              find_line(out, "DG005\tdrop-table\t", NULL, line, sizeof line),
          "clientlib_prepare_show_rules_rows", "%d binary rows vs %d text rows; %s",
          count_lines(out) - 1, count_lines(text), err);
    field(line, 5, f, sizeof f);
    char tline[2048], tf[64];
    find_line(text ? text : "", "DG005\tdrop-table\t", NULL, tline, sizeof tline);
    field(tline, 5, tf, sizeof tf);
    check(f[0] && strcmp(f, tf) == 0, "clientlib_prepare_same_values",
          "binary default '%s', text default '%s'", f, tf);
    free(text);
    /* NULLs and literal values through the NULL bitmap (offset 2) */
    nc = stmt_rows(m, "SELECT NULL AS a, 'x' AS b, 12 AS c, NULL AS d, @@version_comment", out,
                   sizeof out, err, sizeof err);
    check(nc == 5 && strstr(out, "\nNULL\tx\t12\tNULL\tddlgate admin console\n"),
          "clientlib_prepare_nulls", "%d: '%.300s' %s", nc, out, err);
    /* every SHOW announces at prepare what it returns at execute */
    static const char *const shows[] = {"SHOW VERDICTS", "SHOW SESSIONS", "SHOW BACKEND",
                                        "SHOW PENDING",  "SHOW QUEUE",    "SHOW STATS",
                                        "SHOW CONFIG",   "SHOW WARNINGS", "SHOW HELP"};
    for (size_t i = 0; i < sizeof shows / sizeof shows[0]; i++) {
        char name[80];
        snprintf(name, sizeof name, "clientlib_prepare_%s", shows[i] + 5);
        nc = stmt_rows(m, shows[i], out, sizeof out, err, sizeof err);
        MYSQL_RES *r = mysql_query(m, shows[i]) == 0 ? mysql_store_result(m) : NULL;
        int tn = r ? (int)mysql_num_fields(r) : -1;
        if (r)
            mysql_free_result(r);
        check(nc > 0 && nc == tn, name, "prepared %d columns, text %d; %s", nc, tn, err);
    }
    /* commands without a result set: OK / ERR */
    nc = stmt_rows(m, "SET RULE DG016 = warn", out, sizeof out, err, sizeof err);
    check(nc == 0 && !err[0], "clientlib_prepare_set_rule", "%d %s", nc, err);
    nc = stmt_rows(m, "SET RULE ? = off", out, sizeof out, err, sizeof err);
    check(nc < 0 && strstr(err, "7300") && strstr(err, "parameters"), "clientlib_prepare_param",
          "%s", err);
    nc = stmt_rows(m, "APPROVE 987654321", out, sizeof out, err, sizeof err);
    check(nc < 0 && strstr(err, "execute: 7301"), "clientlib_prepare_execute_error", "%s", err);
    /* a statement used twice, reset, closed; the connection stays in step */
    MYSQL_STMT *st = mysql_stmt_init(m);
    bool ok = st && mysql_stmt_prepare(st, "SHOW STATS", 10) == 0;
    for (int i = 0; ok && i < 2; i++)
        ok = mysql_stmt_execute(st) == 0 && mysql_stmt_store_result(st) == 0 &&
             mysql_stmt_num_rows(st) > 5 && mysql_stmt_free_result(st) == 0;
    ok = ok && mysql_stmt_reset(st) == 0;
    check(ok, "clientlib_stmt_reuse_reset", "%s", st ? mysql_stmt_error(st) : "no stmt");
    if (st)
        mysql_stmt_close(st);
    for (int i = 0; i < 5; i++) { /* COM_STMT_CLOSE has no answer: no stray ERR queued */
        st = mysql_stmt_init(m);
        if (st && mysql_stmt_prepare(st, "SHOW HELP", 9) == 0)
            mysql_stmt_close(st);
        else if (st)
            mysql_stmt_close(st);
    }
    text = db_text(m, "SELECT 'in step' AS s");
    check(text && strcmp(text, "in step\n") == 0, "clientlib_stmt_close_no_answer",
          "after 5 prepare+close, SELECT returned '%s' (%s)", text ? text : "(error)",
          mysql_error(m));
    free(text);
    /* COM_STATISTICS */
    const char *stat = mysql_stat(m);
    check(stat && strncmp(stat, "Uptime: ", 8) == 0 && strstr(stat, "Threads: ") &&
              strstr(stat, "Questions: "),
          "clientlib_stat", "%s", stat ? stat : mysql_error(m));
    /* COM_SET_OPTION */
    int rc1 = mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON);
    int rc2 = mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
    text = db_text(m, "SELECT 2 AS two");
    check(rc1 == 0 && rc2 == 0 && text && strcmp(text, "2\n") == 0, "clientlib_set_option",
          "%d %d %s", rc1, rc2, mysql_error(m));
    free(text);
    /* COM_RESET_CONNECTION */
    check(mysql_reset_connection(m) == 0, "clientlib_reset_connection", "%s", mysql_error(m));
    /* COM_CHANGE_USER: re-authenticated with a fresh nonce */
    int before = log_count(&g_main, "admin: " ADMIN_USER " connected");
    ok = mysql_change_user(m, ADMIN_USER, ADMIN_PASS, NULL) == 0;
    text = ok ? db_text(m, "SHOW BACKEND") : NULL;
    check(ok && text && strstr(text, "address"), "clientlib_change_user", "%s", mysql_error(m));
    free(text);
    it_sleep_s(0.1);
    check(log_count(&g_main, "admin: " ADMIN_USER " connected") == before + 1,
          "clientlib_change_user_logged", "no new login line in %s", g_main.dg.log);
    double t0 = it_now_s();
    ok = mysql_change_user(m, ADMIN_USER, "wrong", NULL) == 0;
    double dt = it_now_s() - t0;
    check(!ok && mysql_errno(m) == 1045 && dt >= 0.15, "clientlib_change_user_wrong_password",
          "%s: %u %s after %.3f s", ok ? "accepted" : "refused", mysql_errno(m), mysql_error(m),
          dt);
    mysql_close(m);
    /* a failed login is answered late (ADM_DENY_DELAY_MS), a good one is not */
    unsigned e;
    t0 = it_now_s();
    m = db_connect(g_main.dg.admin_port, ADMIN_USER, "wrong", NULL, &e, err, sizeof err);
    dt = it_now_s() - t0;
    check(!m && e == 1045 && dt >= 0.18, "clientlib_failed_login_delayed", "%s after %.3f s",
          m ? "connected" : err, dt);
    if (m)
        mysql_close(m);
    t0 = it_now_s();
    m = admin_conn(&g_main);
    dt = it_now_s() - t0;
    check(m && dt < 0.15, "clientlib_good_login_fast", "%.3f s", dt);
    if (m)
        mysql_close(m);
    (void)out2;
}

/* ---- hardening: login deadline, connection cap, idle timeout, unsaved
 * changes, configured modes, escaped logs (case "hardening") -------------- */

static int raw_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {5, 0};
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Read one packet (<= cap bytes of payload); its length, 0 at EOF, -1 on
 * timeout/error. */
static int raw_packet(int fd, unsigned char *buf, size_t cap)
{
    unsigned char h[4];
    size_t got = 0;
    while (got < 4) {
        ssize_t n = recv(fd, h + got, 4 - got, 0);
        if (n <= 0)
            return n == 0 && got == 0 ? 0 : -1;
        got += (size_t)n;
    }
    size_t len = h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    if (len > cap)
        return -1;
    for (got = 0; got < len;) {
        ssize_t n = recv(fd, buf + got, len - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return (int)len;
}

static int err_code(const unsigned char *p, int len)
{
    return len >= 3 && p[0] == 0xff ? p[1] | p[2] << 8 : -1;
}

static void case_hardening(void)
{
    static struct dg_inst d;
    const char *work = getenv("IT_WORK_DIR") ? getenv("IT_WORK_DIR") : "/tmp";
    static char sdir[400], sset[500];
    unsigned char pkt[1024];
    char err[512], msg[1024], line[2048];

    snprintf(sdir, sizeof sdir, "%s/it_admin-state-%d", work, (int)getpid());
    mkdir(sdir, 0700);
    snprintf(sset, sizeof sset, "ddlgate.state_file=%s/state", sdir);
    d.sets[d.nsets++] = "ddlgate.handshake_timeout_ms=1000";
    d.sets[d.nsets++] = "ddlgate.idle_timeout_s=2";
    d.sets[d.nsets++] = "admin.max_connections=4";
    d.sets[d.nsets++] = "rules.DG016=off";
    d.sets[d.nsets++] = sset;
    if (!check(dg_start(&d, "hardening"), "hardening_start", "log %s", d.dg.log)) {
        dg_log_tail(&d, 10);
        return;
    }
    /* 1. login deadline: a silent socket and a half packet are closed with
     * ERR 7010 after handshake_timeout_ms, not later */
    int silent = raw_connect(d.dg.admin_port), half = raw_connect(d.dg.admin_port);
    double t0 = it_now_s();
    int gl1 = raw_packet(silent, pkt, sizeof pkt), gl2 = raw_packet(half, pkt, sizeof pkt);
    check(gl1 > 0 && gl2 > 0 && pkt[0] == 10, "hardening_greeting", "%d %d", gl1, gl2);
    if (send(half, "\x40\x00\x00\x01\x85\xa2", 6, MSG_NOSIGNAL) != 6)
        printf("#   send failed\n");
    int n1 = raw_packet(silent, pkt, sizeof pkt);
    int c1 = err_code(pkt, n1);
    int n2 = raw_packet(half, pkt, sizeof pkt);
    int c2 = err_code(pkt, n2);
    double dt = it_now_s() - t0;
    int e1 = raw_packet(silent, pkt, sizeof pkt), e2 = raw_packet(half, pkt, sizeof pkt);
    check(c1 == 7010 && c2 == 7010 && e1 == 0 && e2 == 0 && dt > 0.8 && dt < 3,
          "hardening_login_deadline", "silent: ERR %d then %d; half packet: ERR %d then %d; %.2f s",
          c1, e1, c2, e2, dt);
    close(silent);
    close(half);
    /* 2. the cap: 4 connections get greetings, the 5th ERR 7009 and EOF */
    int fds[5];
    for (int i = 0; i < 5; i++)
        fds[i] = raw_connect(d.dg.admin_port);
    int greeted = 0, code5 = -1, eof5 = -1;
    for (int i = 0; i < 4; i++) {
        int n = raw_packet(fds[i], pkt, sizeof pkt);
        greeted += n > 0 && pkt[0] == 10;
    }
    int n5 = raw_packet(fds[4], pkt, sizeof pkt);
    code5 = err_code(pkt, n5);
    if (n5 > 0)
        snprintf(msg, sizeof msg, "%.*s", n5 - 9 > 0 ? n5 - 9 : 0, (const char *)pkt + 9);
    eof5 = raw_packet(fds[4], pkt, sizeof pkt);
    unsigned e;
    MYSQL *m = db_connect(d.dg.admin_port, ADMIN_USER, ADMIN_PASS, NULL, &e, err, sizeof err);
    check(greeted == 4 && code5 == 7009 && strstr(msg, "too many admin connections") && eof5 == 0 &&
              !m && e == 7009,
          "hardening_max_connections", "greeted %d, 5th: ERR %d '%s' then %d; a login: %s", greeted,
          code5, msg, eof5, m ? "accepted" : err);
    if (m)
        mysql_close(m);
    for (int i = 0; i < 5; i++)
        close(fds[i]);
    m = NULL;
    for (int i = 0; i < 40 && !m; i++) { /* slots free as soon as the sockets close */
        m = db_connect(d.dg.admin_port, ADMIN_USER, ADMIN_PASS, NULL, &e, err, sizeof err);
        if (!m)
            it_sleep_s(0.05);
    }
    check(m != NULL, "hardening_slots_freed", "%s", err);
    if (!m) {
        dg_stop(&d);
        return;
    }
    /* 3. configured vs in force: [rules] DG016=off, an admin sets reject */
    unsigned rc = db_exec(m, "SET RULE DG016 = reject", msg, sizeof msg);
    char *t = db_text(m, "SHOW RULES");
    char mode[32] = "", def[32] = "", conf[32] = "";
    if (t && find_line(t, "DG016\t", "\tglobal\t", line, sizeof line)) {
        field(line, 2, mode, sizeof mode);
        field(line, 5, def, sizeof def);
        field(line, 6, conf, sizeof conf);
    }
    free(t);
    check(rc == 0 && strcmp(mode, "reject") == 0 && strcmp(conf, "off") == 0 &&
              strcmp(def, "warn") == 0,
          "hardening_show_rules_configured", "SET: %u %s; mode %s configured %s default %s", rc,
          msg, mode, conf, def);
    t = db_text(m, "SHOW CONFIG");
    check(t && find_line(t, "rules\tDG016\toff", NULL, line, sizeof line),
          "hardening_show_config_rules", "no 'rules DG016 off' row in SHOW CONFIG");
    free(t);
    /* 4. a change that cannot be saved: ERR 7303 with the OS error; in force */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", sdir);
    if (system(cmd) != 0)
        printf("#   %s failed\n", cmd);
    rc = db_exec(m, "SET RULE DG016 = warn", msg, sizeof msg);
    t = db_text(m, "SHOW RULES");
    mode[0] = '\0';
    if (t && find_line(t, "DG016\t", "\tglobal\t", line, sizeof line))
        field(line, 2, mode, sizeof mode);
    free(t);
    check(rc == 7303 && strstr(msg, "NOT saved") && strstr(msg, "No such file or directory") &&
              strcmp(mode, "warn") == 0,
          "hardening_set_rule_not_saved", "%u %s; mode now %s", rc, msg, mode);
    MYSQL *app = app_conn(&d);
    char dropped[64];
    snprintf(dropped, sizeof dropped, "DROP TABLE it_adm_ns%s", g_tag);
    rc = app ? db_exec(app, dropped, msg, sizeof msg) : 0;
    long long pid = rc == 7101 ? pending_id(msg, NULL, 0) : 0;
    if (app)
        mysql_close(app);
    if (check(pid > 0, "hardening_pending", "%u %s", rc, msg)) {
        snprintf(cmd, sizeof cmd, "APPROVE %lld", pid);
        rc = db_exec(m, cmd, msg, sizeof msg);
        check(rc == 7303 && strstr(msg, "approved") && strstr(msg, "NOT saved"),
              "hardening_approve_not_saved", "%u %s", rc, msg);
        snprintf(cmd, sizeof cmd, "DENY %lld", pid);
        rc = db_exec(m, cmd, msg, sizeof msg);
        check(rc == 7303 && strstr(msg, "denied"), "hardening_deny_not_saved", "%u %s", rc, msg);
    }
    /* 5. RELOAD errors are 7302 (the state file's directory is gone) */
    rc = db_exec(m, "RELOAD", msg, sizeof msg);
    check(rc == 7302, "hardening_reload_error_code", "%u %s", rc, msg);
    /* 6. client input in log lines is escaped */
    static const char evil[] = "SHOW \x1b[31mRULES\nforged line \xe9\x01";
    mysql_real_query(m, evil, sizeof evil - 1);
    MYSQL *bad = db_connect(d.dg.admin_port, "ev\nil\x1b", ADMIN_PASS, NULL, &e, err, sizeof err);
    if (bad)
        mysql_close(bad);
    it_sleep_s(0.3);
    check(log_count(&d, "refused: SHOW \\x1b[31mRULES\\x0aforged line \\xe9\\x01") == 1 &&
              log_count(&d, "\x1b") == 0 && log_count(&d, "forged line") == 1,
          "hardening_log_escaped", "no escaped 'refused:' line in %s", d.dg.log);
    check(log_count(&d, "access denied for 'ev\\x0ail\\x1b'") == 1, "hardening_user_escaped",
          "no escaped 'access denied' line in %s", d.dg.log);
    /* 7. an authenticated session idle past idle_timeout_s is closed */
    it_sleep_s(2.6);
    rc = db_exec(m, "SHOW STATS", msg, sizeof msg);
    check(rc != 0 && log_count(&d, "idle for ddlgate.idle_timeout_s") >= 1,
          "hardening_idle_timeout", "after 2.6 s idle: %u %s", rc, msg);
    mysql_close(m);
    if (g_tally.fail)
        dg_log_tail(&d, 15);
    dg_stop(&d);
}

/* ---- exact, schema-scoped approvals ------------------------------------------------ */

/* Field `col` (0-based) of SHOW PENDING's row for id; "" when not listed. */
static void pending_field(MYSQL *a, long long id, int col, char *out, size_t len)
{
    char *t = db_text(a, "SHOW PENDING");
    char key[32], line[2048];
    out[0] = '\0';
    snprintf(key, sizeof key, "%lld\t", id);
    for (const char *p = t; p && *p;) {
        if (strncmp(p, key, strlen(key)) == 0) {
            const char *e = strchr(p, '\n');
            snprintf(line, sizeof line, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
            field(line, col, out, len);
            break;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    free(t);
}

static bool adm_do(MYSQL *a, const char *fmt, long long id)
{
    char cmd[128], msg[512];
    snprintf(cmd, sizeof cmd, fmt, id);
    unsigned rc = db_exec(a, cmd, msg, sizeof msg);
    if (rc)
        printf("#   %s: %u %s\n", cmd, rc, msg);
    return rc == 0;
}

static long long root_int(const char *sql)
{
    MYSQL *r = root_conn();
    long long v = r ? it_db_int(r, sql) : -1;
    if (r)
        mysql_close(r);
    return v;
}

static MYSQL *app_in(const struct dg_inst *d, const char *db)
{
    unsigned e;
    char err[256];
    MYSQL *m = db_connect(d->dg.port, "app", "apppass", db, &e, err, sizeof err);
    if (!m)
        printf("#   %s\n", err);
    return m;
}

/* mysql_stmt_execute's error number (0: ran) */
static unsigned stmt_run(MYSQL_STMT *st, char *msg, size_t len)
{
    msg[0] = '\0';
    if (mysql_stmt_execute(st) == 0) {
        mysql_stmt_free_result(st);
        return 0;
    }
    snprintf(msg, len, "%s", mysql_stmt_error(st));
    return mysql_stmt_errno(st);
}

/* Audit 2026-11-26: an approval is for the exact statement in its schema,
 * and every execute of a prepared statement needs one. */
static void case_approval_exact(void)
{
    char xa[48], xb[48], sql[320], msg[1024], st[64], cnt[160];
    snprintf(xa, sizeof xa, "test_xa%s", g_tag);
    snprintf(xb, sizeof xb, "test_xb%s", g_tag);
    MYSQL *a = admin_conn(&g_main), *ca = NULL, *cb = NULL;
    MYSQL_STMT *ps = NULL;
    bool ok = a != NULL;
    static const char *const fixture[] = {
        "CREATE DATABASE %s", "CREATE TABLE %s.t1 (id INT PRIMARY KEY)",
        "CREATE TABLE %s.p1 (id INT PRIMARY KEY)", "INSERT INTO %s.p1 VALUES (1), (2)",
        "CREATE TABLE %s.orders (id INT PRIMARY KEY, b VARCHAR(20))"};
    for (size_t i = 0; ok && i < sizeof fixture / sizeof fixture[0]; i++) {
        snprintf(sql, sizeof sql, fixture[i], xa);
        ok = root_sql(sql);
        if (i < 2) {
            snprintf(sql, sizeof sql, fixture[i], xb);
            ok = ok && root_sql(sql);
        }
    }
    ca = ok ? app_in(&g_main, xa) : NULL;
    cb = ok ? app_in(&g_main, xb) : NULL;
    if (!check(ok && ca && cb, "exact_setup", "connections or fixture"))
        goto out;

    /* 1. schema: DROP TABLE t1 approved in xa does not drop xb.t1 */
    unsigned rc = db_exec(ca, "DROP TABLE t1", msg, sizeof msg);
    long long id = pending_id(msg, NULL, 0);
    check(rc == 7101 && id > 0, "exact_schema_7101", "%u %s", rc, msg);
    pending_field(a, id, 9, st, sizeof st);
    check(strcmp(st, xa) == 0, "exact_show_pending_schema", "id %lld schema column '%s'", id, st);
    adm_do(a, "APPROVE %lld", id);
    rc = db_exec(cb, "DROP TABLE t1", msg, sizeof msg);
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '%s' AND "
             "TABLE_NAME = 't1'",
             xb);
    check(rc == 7101 && pending_id(msg, NULL, 0) != id && root_int(sql) == 1,
          "exact_other_schema_refused", "in %s: %u %s", xb, rc, msg);
    rc = db_exec(ca, "DROP TABLE t1", msg, sizeof msg);
    check(rc == 0, "exact_same_schema_runs", "in %s: %u %s", xa, rc, msg);

    /* 2. identifier case (lower_case_table_names=0: tc and Tc are two tables) */
    long long lctn = it_db_int(ca, "SELECT @@lower_case_table_names");
    if (lctn == 0) {
        snprintf(sql, sizeof sql, "CREATE TABLE %s.tc (id INT PRIMARY KEY)", xa);
        ok = root_sql(sql);
        snprintf(sql, sizeof sql, "CREATE TABLE %s.Tc (id INT PRIMARY KEY)", xa);
        ok = ok && root_sql(sql);
        rc = db_exec(ca, "DROP TABLE tc", msg, sizeof msg);
        id = pending_id(msg, NULL, 0);
        ok = ok && rc == 7101 && adm_do(a, "APPROVE %lld FOR 5 MINUTES WINDOW", id);
        rc = db_exec(ca, "DROP TABLE Tc", msg, sizeof msg);
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '%s' AND "
                 "TABLE_NAME = 'Tc'",
                 xa);
        check(ok && rc == 7101 && root_int(sql) == 1, "exact_identifier_case",
              "DROP TABLE Tc after approving DROP TABLE tc: %u %s", rc, msg);
        rc = db_exec(ca, "drop table `tc`", msg, sizeof msg);
        check(rc == 0, "exact_keyword_case_and_quotes_ignored", "drop table `tc`: %u %s", rc, msg);
    } else {
        printf("# lower_case_table_names=%lld: identifier case check skipped\n", lctn);
    }

    /* 3. literals: VARCHAR(10) approved is not VARCHAR(2) */
    rc = db_exec(ca, "ALTER TABLE orders MODIFY b VARCHAR(10)", msg, sizeof msg);
    id = pending_id(msg, NULL, 0);
    ok = rc == 7101 && adm_do(a, "APPROVE %lld FOR 5 MINUTES WINDOW", id);
    rc = db_exec(ca, "ALTER TABLE orders MODIFY b VARCHAR(2)", msg, sizeof msg);
    snprintf(sql, sizeof sql,
             "SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS WHERE "
             "TABLE_SCHEMA = '%s' AND TABLE_NAME = 'orders' AND COLUMN_NAME = 'b'",
             xa);
    check(ok && rc == 7101 && root_int(sql) == 20, "exact_literal_differs",
          "VARCHAR(2) after approving VARCHAR(10): %u %s (length now %lld)", rc, msg,
          root_int(sql));
    rc = db_exec(ca, "ALTER TABLE orders MODIFY b VARCHAR(10)", msg, sizeof msg);
    check(rc == 0 && root_int(sql) == 10, "exact_literal_approved_runs", "%u %s", rc, msg);

    /* 4. prepared TRUNCATE with a ONCE approval: one execute, not every one */
    snprintf(cnt, sizeof cnt, "SELECT COUNT(*) FROM %s.p1", xa);
    ps = mysql_stmt_init(ca);
    const char *trunc = "TRUNCATE TABLE p1";
    rc = ps && mysql_stmt_prepare(ps, trunc, strlen(trunc)) ? mysql_stmt_errno(ps) : 0;
    id = ps ? pending_id(mysql_stmt_error(ps), NULL, 0) : 0;
    check(rc == 7101 && id > 0, "exact_prepare_needs_approval", "%u %s", rc,
          ps ? mysql_stmt_error(ps) : "no stmt");
    ok = adm_do(a, "APPROVE %lld ONCE", id);
    rc = ps && mysql_stmt_prepare(ps, trunc, strlen(trunc)) ? mysql_stmt_errno(ps) : 0;
    pending_state(a, id, st, sizeof st);
    check(ok && ps && rc == 0 && strcmp(st, "approved") == 0, "exact_prepare_keeps_approval",
          "prepare %u, state '%s'", rc, st);
    rc = ps ? stmt_run(ps, msg, sizeof msg) : 1;
    pending_state(a, id, st, sizeof st);
    check(rc == 0 && root_int(cnt) == 0 && strcmp(st, "used") == 0, "exact_first_execute_runs",
          "%u %s (rows %lld, state '%s')", rc, msg, root_int(cnt), st);
    snprintf(sql, sizeof sql, "INSERT INTO %s.p1 VALUES (1), (2)", xa);
    root_sql(sql);
    rc = ps ? stmt_run(ps, msg, sizeof msg) : 1;
    long long id2 = pending_id(msg, NULL, 0);
    check(rc == 7101 && id2 > id && root_int(cnt) == 2, "exact_second_execute_refused",
          "%u %s (rows %lld)", rc, msg, root_int(cnt));
    char *t = db_text(a, "SHOW VERDICTS");
    char line[2048], want[64];
    snprintf(want, sizeof want, "on approval %lld", id);
    check(t && find_line(t, want, "TRUNCATE", line, sizeof line), "exact_verdict_names_approval",
          "no SHOW VERDICTS row with '%s'", want);
    free(t);
    /* SQL-level PREPARE / EXECUTE: the same */
    ok = adm_do(a, "APPROVE %lld ONCE", id2);
    rc = db_exec(ca, "PREPARE s FROM 'TRUNCATE TABLE p1'", msg, sizeof msg);
    unsigned rc1 = rc ? rc : db_exec(ca, "EXECUTE s", msg, sizeof msg);
    root_sql(sql);
    unsigned rc2 = db_exec(ca, "EXECUTE s", msg, sizeof msg);
    check(ok && rc == 0 && rc1 == 0 && rc2 == 7101 && root_int(cnt) == 2, "exact_sql_execute_once",
          "prepare %u, execute %u, again %u %s (rows %lld)", rc, rc1, rc2, msg, root_int(cnt));
out:
    if (ps)
        mysql_stmt_close(ps);
    if (ca)
        mysql_close(ca);
    if (cb)
        mysql_close(cb);
    if (a)
        mysql_close(a);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", xa);
    root_sql(sql);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", xb);
    root_sql(sql);
}

/* Ids never go back: a used approval (not in the file) keeps its id after a
 * restart, and a corrupted file is moved aside with its ids still counted. */
static void case_restart_ids(void)
{
    static struct dg_inst d;
    static char state_set[600], state_path[512];
    char tb[48], sql[256], drop[128], msg[1024], aside[600];
    const char *work = getenv("IT_WORK_DIR") ? getenv("IT_WORK_DIR") : "/tmp";
    snprintf(state_path, sizeof state_path, "%s/it_admin-ids-%d", work, (int)getpid());
    snprintf(state_set, sizeof state_set, "ddlgate.state_file=%s", state_path);
    unlink(state_path);
    d.sets[d.nsets++] = state_set;
    snprintf(tb, sizeof tb, "it_adm_ids%s", g_tag);
    snprintf(drop, sizeof drop, "DROP TABLE %s", tb);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY)", tb);
    MYSQL *a = NULL, *app = NULL;
    bool ok = root_sql(sql) && dg_start(&d, "ids");
    a = ok ? admin_conn(&d) : NULL;
    app = ok ? app_conn(&d) : NULL;
    if (!check(ok && a && app, "ids_setup", "fixture or ddlgate start (log %s)", d.dg.log))
        goto out;
    unsigned rc = db_exec(app, drop, msg, sizeof msg);
    long long id1 = pending_id(msg, NULL, 0);
    ok = rc == 7101 && adm_do(a, "APPROVE %lld ONCE", id1);
    rc = db_exec(app, drop, msg, sizeof msg);
    check(ok && rc == 0, "ids_used_before_restart", "%s on approval %lld: %u %s", drop, id1, rc,
          msg);
    mysql_close(a);
    mysql_close(app);
    a = app = NULL;
    dg_stop(&d);
    ok = dg_start(&d, "ids");
    a = ok ? admin_conn(&d) : NULL;
    app = ok ? app_conn(&d) : NULL;
    if (!check(ok && a && app, "ids_restarted", "log %s", d.dg.log))
        goto out;
    root_sql(sql);
    rc = db_exec(app, drop, msg, sizeof msg);
    long long id2 = pending_id(msg, NULL, 0);
    check(rc == 7101 && id2 > id1, "ids_restart_keeps_next_id",
          "after a restart: %u %s (used id before: %lld)", rc, msg, id1);
    mysql_close(a);
    mysql_close(app);
    a = app = NULL;
    dg_stop(&d);

    /* a torn file: refused, moved aside, and its ids still count */
    FILE *f = fopen(state_path, "r+");
    if (f) {
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        if (ftruncate(fileno(f), n > 20 ? n - 20 : 0) != 0)
            n = -1;
        fclose(f);
    }
    int before = log_count(&d, "refused");
    ok = dg_start(&d, "ids");
    a = ok ? admin_conn(&d) : NULL;
    app = ok ? app_conn(&d) : NULL;
    if (!check(ok && a && app, "ids_started_on_torn_file", "log %s", d.dg.log))
        goto out;
    aside[0] = '\0';
    {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "ls %s.refused-* 2>/dev/null | head -1", state_path);
        FILE *p = popen(cmd, "r");
        if (p) {
            if (!fgets(aside, sizeof aside, p))
                aside[0] = '\0';
            pclose(p);
        }
        aside[strcspn(aside, "\n")] = '\0';
    }
    check(aside[0] != '\0', "ids_torn_file_moved_aside", "no %s.refused-* copy", state_path);
    int after = log_count(&d, "refused");
    check(after - before == 1, "ids_refusal_logged_once", "%d log lines say 'refused'",
          after - before);
    snprintf(sql, sizeof sql, "CREATE TABLE %s_2 (id INT PRIMARY KEY)", tb);
    root_sql(sql);
    snprintf(drop, sizeof drop, "DROP TABLE %s_2", tb);
    rc = db_exec(app, drop, msg, sizeof msg);
    long long id3 = pending_id(msg, NULL, 0);
    check(rc == 7101 && id3 > id2, "ids_continue_after_refused_file",
          "%u %s (highest id in the refused file: %lld)", rc, msg, id2);
out:
    if (a)
        mysql_close(a);
    if (app)
        mysql_close(app);
    if (g_tally.fail)
        dg_log_tail(&d, 15);
    dg_stop(&d);
    unlink(state_path);
    if (aside[0])
        unlink(aside);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s, %s_2", tb, tb);
    root_sql(sql);
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
        if (wanted(argc, argv, first, "approval_exact"))
            case_approval_exact();
        if (wanted(argc, argv, first, "clientlib"))
            case_clientlib();
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
    if (wanted(argc, argv, first, "restart_ids"))
        case_restart_ids();
    if (wanted(argc, argv, first, "hardening"))
        case_hardening();
    root_sql("SET GLOBAL general_log = OFF");
    root_sql("TRUNCATE TABLE mysql.general_log");
    mysql_library_end();
    printf("it_admin: %d passed, %d failed\n", g_tally.pass, g_tally.fail);
    return g_tally.fail ? 1 : 0;
}
