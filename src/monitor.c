/*
 * monitor.c - the monitor thread (see monitor.h).  It blocks in the client
 * library, so it never runs on a worker's event loop.
 */
#include "monitor.h"

#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "mdlqueue.h"
#include "session.h"
#include "tablecache.h"

static pthread_t mon_thread;
static pthread_mutex_t mon_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mon_cond = PTHREAD_COND_INITIALIZER;
static bool mon_running, mon_stop, mon_kicked;
static char mon_state[160] = "not configured";

static void set_state(const char *fmt, const char *arg)
{
    pthread_mutex_lock(&mon_lock);
    snprintf(mon_state, sizeof(mon_state), fmt, arg);
    pthread_mutex_unlock(&mon_lock);
}

void monitor_describe(char *buf, size_t len)
{
    pthread_mutex_lock(&mon_lock);
    snprintf(buf, len, "%s", mon_state);
    pthread_mutex_unlock(&mon_lock);
}

static MYSQL *mon_connect(const struct conf *c)
{
    MYSQL *m = mysql_init(NULL);
    unsigned int timeout = (unsigned)(c->connect_timeout_ms + 999) / 1000;
    my_bool on = 1;

    if (!m)
        return NULL;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
    mysql_options(m, MYSQL_OPT_RECONNECT, &on);
    if (c->backend_tls >= TLS_MODE_REQUIRED) {
        mysql_ssl_set(m, c->backend_tls_key[0] ? c->backend_tls_key : NULL,
                      c->backend_tls_cert[0] ? c->backend_tls_cert : NULL,
                      c->backend_tls_ca[0] ? c->backend_tls_ca : NULL, NULL, NULL);
        mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
        if (c->backend_tls >= TLS_MODE_VERIFY_CA)
            mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    }
    if (!mysql_real_connect(m, c->backend_host, c->monitor_user, c->monitor_password, NULL,
                            (unsigned)c->backend_port, NULL, 0)) {
        log_warn("monitor: cannot connect as %s: %s", c->monitor_user, mysql_error(m));
        set_state("disconnected: %s", mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    set_state("connected as %s", c->monitor_user);
    sess_backend_info_seed(mysql_get_server_info(m), m->server_capabilities);
    return m;
}

/* ---- metadata locks held by other connections (for the DDL queue) ---------- */

enum mdl_source {
    MDL_SRC_NONE,
    MDL_SRC_PFS,
    MDL_SRC_MLI
};

/* One probe query: true when it runs and its first row's first column is
 * "YES" or, with any_row, when it returns a row at all. */
static bool mon_probe(MYSQL *m, const char *sql, bool any_row)
{
    MYSQL_RES *r;
    MYSQL_ROW row;
    bool yes = false;

    if (mysql_query(m, sql) != 0 || !(r = mysql_store_result(m)))
        return false;
    if ((row = mysql_fetch_row(r)))
        yes = any_row || (row[0] && strcmp(row[0], "YES") == 0);
    mysql_free_result(r);
    return yes;
}

static const char *const mdl_source_text[] = {
    [MDL_SRC_NONE] = ("no metadata lock view: connections outside ddlgate are covered by "
                      "short lock_wait_timeout attempts only"),
    [MDL_SRC_PFS] = "using performance_schema.metadata_locks",
    [MDL_SRC_MLI] = "using information_schema.METADATA_LOCK_INFO (granted locks only)",
};

/* What the monitor user can see, for SHOW BACKEND: every source the
 * queue's view of other connections depends on, not just the one in use. */
static char mon_vis_text[400];
/* INNODB_TRX readable: without a metadata lock view, open transactions are
 * still named as possible blockers (their tables unknown) */
static bool mon_trx_visible;

static enum mdl_source mdl_source_probe(MYSQL *m)
{
    /* performance_schema.metadata_locks lists GRANTED and PENDING locks,
     * on MySQL and on MariaDB when performance_schema and the MDL
     * instrument are on */
    bool pfs = mon_probe(m,
                         "SELECT ENABLED FROM performance_schema.setup_instruments WHERE NAME = "
                         "'wait/lock/metadata/sql/mdl' AND @@performance_schema = 1",
                         false);
    bool mli = mon_probe(m,
                         "SELECT 1 FROM information_schema.PLUGINS WHERE PLUGIN_NAME = "
                         "'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'",
                         true);
    /* INNODB_TRX needs PROCESS, which also opens every thread of the
     * processlist to the monitor (without it, only its own) */
    bool trx = mon_probe(m, "SELECT COUNT(*) FROM information_schema.INNODB_TRX", true);
    mon_trx_visible = trx;
    enum mdl_source src = pfs ? MDL_SRC_PFS : mli ? MDL_SRC_MLI : MDL_SRC_NONE;

    snprintf(mon_vis_text, sizeof(mon_vis_text),
             "%s; performance_schema.metadata_locks: %s; METADATA_LOCK_INFO: %s; "
             "INNODB_TRX: %s; PROCESSLIST: %s",
             mdl_source_text[src],
             pfs ? "yes" : "no (performance_schema off or MDL instrument disabled)",
             mli ? "yes" : "no (plugin not loaded)", trx ? "yes" : "no (needs PROCESS)",
             trx ? "all threads" : "own threads only (needs PROCESS)");
    return src;
}

/* Holders that matter: idle in a transaction, or running for a while.  A
 * statement in flight for milliseconds is left to the short
 * lock_wait_timeout attempt, or a busy table would starve the DDL. */
static void mon_mdl_holders(MYSQL *m, enum mdl_source src)
{
    static struct mdlq_external ext[1024];
    char sql[1600];
    MYSQL_RES *r;
    MYSQL_ROW row;
    int n = 0;

    if (src == MDL_SRC_NONE && !mon_trx_visible) {
        mdlq_set_external(NULL, 0);
        return;
    }
    const char *holders =
        src == MDL_SRC_NONE ? "SELECT trx_mysql_thread_id AS id, '' AS sch, '' AS tbl FROM "
                              "information_schema.INNODB_TRX"
        : src == MDL_SRC_PFS
            ? "SELECT t.PROCESSLIST_ID AS id, ml.OBJECT_SCHEMA AS sch, ml.OBJECT_NAME AS tbl "
              "FROM performance_schema.metadata_locks ml JOIN performance_schema.threads t "
              "ON t.THREAD_ID = ml.OWNER_THREAD_ID WHERE ml.OBJECT_TYPE = 'TABLE' AND "
              "ml.LOCK_STATUS = 'GRANTED' AND t.PROCESSLIST_ID IS NOT NULL"
            : "SELECT THREAD_ID AS id, TABLE_SCHEMA AS sch, TABLE_NAME AS tbl FROM "
              "information_schema.METADATA_LOCK_INFO WHERE TABLE_NAME <> ''";
    /* MariaDB's processlist has TIME_MS; MySQL's has whole seconds */
    const char *idle_ms =
        strstr(mysql_get_server_info(m), "MariaDB") ? "ROUND(p.TIME_MS)" : "p.TIME * 1000";
    snprintf(sql, sizeof(sql),
             "SELECT DISTINCT h.id, p.USER, p.HOST, IF(p.COMMAND = 'Sleep', %s, -1), "
             "IFNULL(TIMESTAMPDIFF(SECOND, x.trx_started, NOW()), -1), "
             "IF(p.COMMAND = 'Sleep', 0, p.TIME), h.sch, h.tbl "
             "FROM (%s) h LEFT JOIN information_schema.PROCESSLIST p ON p.ID = h.id "
             "LEFT JOIN information_schema.INNODB_TRX x ON x.trx_mysql_thread_id = h.id "
             "WHERE h.id <> CONNECTION_ID()",
             idle_ms, holders);
    mdlq_snapshot_begin();
    if (mysql_query(m, sql) != 0 || !(r = mysql_store_result(m))) {
        log_debug("monitor: metadata lock query failed: %s", mysql_error(m));
        mdlq_set_external(NULL, 0); /* this round sees nothing */
        return;
    }
    while ((row = mysql_fetch_row(r)) && n < 1024) {
        struct mdlq_external *e = &ext[n];
        memset(e, 0, sizeof(*e));
        e->thread_id = row[0] ? (uint32_t)strtoul(row[0], NULL, 10) : 0;
        snprintf(e->user, sizeof(e->user), "%s", row[1] ? row[1] : "?");
        snprintf(e->host, sizeof(e->host), "%s", row[2] ? row[2] : "?");
        e->idle_ms = row[3] ? atoi(row[3]) : -1;
        e->trx_seconds = row[4] ? atoi(row[4]) : -1;
        e->run_seconds = row[5] ? atoi(row[5]) : 0;
        if (src == MDL_SRC_NONE) { /* a transaction; which tables it holds is unknown */
            e->key[0] = '\0';
            n++;
        } else if (mdlq_key(e->key, row[6], row[7])) {
            n++;
        }
    }
    mysql_free_result(r);
    mdlq_set_external(ext, n);
}

/* Processlist states of a statement that has not taken its metadata lock
 * yet (it opens its tables first): not "running".  An index build seen in
 * one of them and taken as running would lose its fence while it still
 * waits for its lock. */
static const char *const mdl_prelock_states[] = {
    "",
    "starting",
    "init",
    "checking permissions",
    "Opening tables",
    "After opening tables",
    "System lock",
};

static bool mdl_prelock_state(const char *state)
{
    for (size_t i = 0; i < sizeof(mdl_prelock_states) / sizeof(mdl_prelock_states[0]); i++)
        if (strcasecmp(state, mdl_prelock_states[i]) == 0)
            return true;
    return false;
}

/* Has a released DDL got its lock?  Then the fence can drop. */
static void mon_mdl_watch(MYSQL *m)
{
    uint64_t ids[16];
    uint32_t threads[16];
    int n = mdlq_watch_threads(ids, threads, 16);
    char sql[128];
    MYSQL_RES *r;
    MYSQL_ROW row;

    for (int i = 0; i < n; i++) {
        snprintf(
            sql, sizeof(sql),
            "SELECT COMMAND, IFNULL(STATE, '') FROM information_schema.PROCESSLIST WHERE ID = %u",
            threads[i]);
        if (mysql_query(m, sql) != 0 || !(r = mysql_store_result(m)))
            continue;
        if ((row = mysql_fetch_row(r)) && row[0] && strcmp(row[0], "Query") == 0 && row[1]) {
            if (strstr(row[1], "metadata lock"))
                mdlq_server_waiting(ids[i]);
            else if (!strstr(row[1], "Waiting for table") && !mdl_prelock_state(row[1]))
                mdlq_lock_acquired(ids[i]);
        }
        mysql_free_result(r);
    }
}

static void mon_mdl_kills(MYSQL *m)
{
    uint32_t threads[16];
    bool query_only[16];
    int n = mdlq_take_kills(threads, query_only, 16);
    char sql[64];

    for (int i = 0; i < n; i++) {
        snprintf(sql, sizeof(sql), "KILL %s%u", query_only[i] ? "QUERY " : "", threads[i]);
        if (mysql_query(m, sql) != 0)
            log_warn("monitor: %s failed: %s", sql, mysql_error(m));
        else
            log_info("monitor: %s (%s)", sql,
                     query_only[i] ? "a DDL pulled back from a metadata lock wait"
                                   : "idle blocker of a queued DDL");
    }
}

static enum mdl_source mon_src = MDL_SRC_NONE;
static bool mon_src_known;
static time_t mon_src_probed; /* a DBA may load the plugin or grant PROCESS later */
#define MON_REPROBE_S 60

static void mon_probe_source(MYSQL *m)
{
    bool periodic = mon_src_known; /* else: a new connection */
    char was[sizeof(mon_vis_text)];
    snprintf(was, sizeof(was), "%s", mon_vis_text);
    mon_src = mdl_source_probe(m);
    mon_src_known = true;
    mon_src_probed = time(NULL);
    if (periodic && strcmp(was, mon_vis_text) == 0)
        return; /* nothing new */
    log_info("monitor: metadata lock visibility: %s", mon_vis_text);
    mdlq_set_visibility(mon_vis_text);
}

static void mon_mdl_round(MYSQL *m)
{
    if (!mon_src_known)
        mon_probe_source(m);
    mon_mdl_watch(m);
    mon_mdl_kills(m);
    mon_mdl_holders(m, mon_src);
    mon_mdl_kills(m);
}

static void *mon_main(void *arg)
{
    MYSQL *m = NULL;
    time_t next_try = 0;

    (void)arg;
    mysql_thread_init();
    for (;;) {
        struct timespec ts;
        const struct conf *c;
        char schema[80], table[80];

        pthread_mutex_lock(&mon_lock);
        if (!mon_stop && !mon_kicked) {
            clock_gettime(CLOCK_REALTIME, &ts);
            /* poll quickly while DDLs are queued, slowly otherwise */
            ts.tv_nsec += (mdlq_active() ? 20 : 200) * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&mon_cond, &mon_lock, &ts);
        }
        mon_kicked = false;
        bool stop = mon_stop;
        pthread_mutex_unlock(&mon_lock);
        if (stop)
            break;

        c = conf_acquire();
        if (!c->monitor_user[0]) {
            tablecache_set_monitor_state(0);
            mdlq_set_monitor(false);
            set_state("%s", "not configured (backend.monitor_user)");
            /* no monitor: answer requests with "unknown" */
            while (tablecache_next_request(schema, sizeof(schema), table, sizeof(table)))
                ;
            conf_release(c);
            continue;
        }
        if (!m && time(NULL) >= next_try) {
            if (next_try == 0)
                tablecache_set_monitor_state(1); /* first attempt: DDL may wait for it */
            m = mon_connect(c);
            if (!m)
                next_try = time(NULL) + 2;
            mon_src_known = false; /* probe again on a new connection */
            tablecache_set_monitor_state(m ? 2 : 0);
            mdlq_set_monitor(m != NULL);
            if (m)
                mon_probe_source(m); /* SHOW BACKEND says what it sees before any DDL */
        }
        conf_release(c);
        if (!m) {
            while (tablecache_next_request(schema, sizeof(schema), table, sizeof(table)))
                tablecache_done(schema, table, false);
            continue;
        }
        while (tablecache_next_request(schema, sizeof(schema), table, sizeof(table))) {
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            bool found = tablecache_fetch(m, schema, table);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
            /* a DDL waits at most 2 s for this: say when the server is that slow */
            if (ms >= 500)
                log_info("monitor: definition of %s.%s read in %ld ms", schema, table, ms);
            else
                log_debug("monitor: definition of %s.%s read in %ld ms", schema, table, ms);
            tablecache_done(schema, table, found);
            if (!found && mysql_errno(m) >= 2000) {
                /* client-side error: the connection is gone */
                mysql_close(m);
                m = NULL;
                tablecache_set_monitor_state(0);
                mdlq_set_monitor(false);
                set_state("%s", "disconnected");
                break;
            }
        }
        if (m && mon_src_known && time(NULL) - mon_src_probed >= MON_REPROBE_S)
            mon_probe_source(m);
        if (m && mdlq_active())
            mon_mdl_round(m);
    }
    if (m)
        mysql_close(m);
    mysql_thread_end();
    return NULL;
}

void monitor_start(void)
{
    if (mon_running)
        return;
    const struct conf *c = conf_acquire();
    /* DDL arriving before the first connection waits for its answers */
    tablecache_set_monitor_state(c->monitor_user[0] ? 1 : 0);
    conf_release(c);
    mon_stop = false;
    mon_kicked = true; /* connect at once, not after the first poll interval */
    if (pthread_create(&mon_thread, NULL, mon_main, NULL) == 0)
        mon_running = true;
    else
        log_error("monitor: cannot start thread");
}

void monitor_stop(void)
{
    if (!mon_running)
        return;
    pthread_mutex_lock(&mon_lock);
    mon_stop = true;
    pthread_cond_signal(&mon_cond);
    pthread_mutex_unlock(&mon_lock);
    pthread_join(mon_thread, NULL);
    mon_running = false;
}

void monitor_kick(void)
{
    pthread_mutex_lock(&mon_lock);
    mon_kicked = true;
    pthread_cond_signal(&mon_cond);
    pthread_mutex_unlock(&mon_lock);
}
