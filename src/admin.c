/*
 * admin.c - the admin console (see admin.h): connections and their login
 * state machine (the checks themselves are in admin_auth.c), command
 * execution, prepared statements.  Result sets are built with the packet
 * writer; every answer is one flush.
 */
#include "admin.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_cmd.h"
#include "approval.h"
#include "conf.h"
#include "errors.h"
#include "handshake.h"
#include "log.h"
#include "monitor.h"
#include "pkt.h"
#include "rules.h"
#include "session.h"
#include "statefile.h"
#include "tablecache.h"
#include "tls.h"
#include "verdicts.h"
#include "worker.h"
#include "mdlqueue.h"

enum adm_state {
    ADM_HELLO,   /* greeting sent, waiting for the handshake response */
    ADM_TLS,     /* TLS handshake in progress */
    ADM_SWITCH,  /* sent AuthSwitchRequest to switch_plugin; its answer is a bare token */
    ADM_READY,   /* authenticated, waiting for commands */
    ADM_WAITING, /* collecting an answer from the workers */
    ADM_DENIED,  /* login refused: the ERR waits ADM_DENY_DELAY_MS, then we close */
};

/* A refused login is answered this late, so guessing passwords is slow;
 * other admins are not held up (a libevent timer, not a sleep). */
#define ADM_DENY_DELAY_MS 200
/* prepared statements one admin connection may hold */
#define ADM_MAX_STMTS 64

/* COM_STMT_PREPARE'd admin command: parsed once, run by COM_STMT_EXECUTE */
struct adm_stmt {
    uint32_t id;
    struct admin_cmd cmd;
    struct adm_stmt *next;
};

struct admin_conn {
    struct bufferevent *bev;
    enum adm_state state;
    uint8_t scramble[ADMIN_NONCE_LEN];    /* the nonce of the greeting or of the switch */
    enum admin_auth_plugin greeted;       /* the plugin the greeting named */
    enum admin_auth_plugin switch_plugin; /* ADM_SWITCH: the plugin the request named */
    char user[128];                       /* as sent; may be cut */
    size_t user_len;                      /* the name's real length */
    char user_log[128];                   /* user escaped for log lines (admin_cmd_escape) */
    char peer[64];
    uint64_t caps;
    bool tls;
    bool deprecate_eof;
    bool closed;             /* closed while a worker collection was running */
    bool counted;            /* holds one of [admin] max_connections */
    bool binary;             /* the answer being built is for COM_STMT_EXECUTE */
    uint8_t timeout_seq;     /* seq of an ERR sent if the login times out */
    struct event *timer;     /* login deadline, then the refused-login delay */
    struct evbuffer *denied; /* ADM_DENIED: the ERR held back */
    struct adm_stmt *stmts;  /* prepared statements, owned */
    int nstmts;
    uint32_t next_stmt_id;
    int refs;
    struct admin_conn *next;
};

static struct event_base *adm_base;
static struct evconnlistener *adm_listener;
static SSL_CTX *adm_tls;
static struct admin_conn *adm_conns;
static int adm_nconns;     /* connections holding a max_connections slot */
static time_t adm_started; /* for COM_STATISTICS' uptime */

/* A fresh nonce: 7-bit, never NUL (clients read it up to a NUL) nor '$'. */
static bool adm_new_nonce(uint8_t n[ADMIN_NONCE_LEN])
{
    if (RAND_bytes(n, ADMIN_NONCE_LEN) != 1)
        return false;
    for (int i = 0; i < ADMIN_NONCE_LEN; i++) {
        n[i] &= 0x7f;
        if (n[i] == 0 || n[i] == '$')
            n[i] = (uint8_t)('1' + i);
    }
    return true;
}

/* ---- writing answers -------------------------------------------------------------- */

static void adm_flush(struct admin_conn *a, struct pkt_writer *w)
{
    if (!pkt_w_flush(w, bufferevent_get_output(a->bev)))
        log_error("admin: cannot queue answer (out of memory)");
    pkt_w_free(w);
}

static void adm_err(struct admin_conn *a, uint8_t seq, int code, const char *msg)
{
    struct pkt_writer w;
    pkt_w_init(&w, seq);
    pkt_w_err(&w, (uint16_t)code, dg_error_sqlstate(code), msg);
    adm_flush(a, &w);
}

static void adm_ok(struct admin_conn *a, uint8_t seq, const char *info)
{
    struct pkt_writer w;
    pkt_w_init(&w, seq);
    pkt_w_ok(&w, 0, 0, SERVER_STATUS_AUTOCOMMIT, 0, info);
    adm_flush(a, &w);
}

/* A result set being built: rows are formatted into small fixed buffers.
 * Every column is MYSQL_TYPE_VAR_STRING (rs_begin passes no types), so a
 * COM_STMT_EXECUTE answer (binary protocol) carries every value as a
 * length-encoded string, as that type requires. */
struct adm_rs {
    struct pkt_writer w;
    int ncols;
    bool deprecate_eof;
    bool binary; /* binary-protocol rows (COM_STMT_EXECUTE) */
};

static void rs_begin(struct adm_rs *rs, struct admin_conn *a, int ncols, const char *const *names)
{
    pkt_w_init(&rs->w, 1);
    rs->ncols = ncols;
    rs->deprecate_eof = a->deprecate_eof;
    rs->binary = a->binary;
    pkt_w_resultset_begin(&rs->w, ncols, names, NULL, a->deprecate_eof);
}

/* the columns of kind k, from the table COM_STMT_PREPARE announces too */
static void rs_begin_kind(struct adm_rs *rs, struct admin_conn *a, enum admin_cmd_kind k)
{
    const char *const *names;
    int n = admin_cmd_kind_columns(k, &names);

    rs_begin(rs, a, n, names);
}

static void rs_row(struct adm_rs *rs, const char *const *vals)
{
    if (!rs->binary) {
        pkt_w_row(&rs->w, rs->ncols, vals);
        return;
    }
    /* binary row: 0x00, NULL bitmap (bit i + 2 for column i), the values */
    uint8_t nulls[(ADMIN_MAX_COLS + 2 + 7) / 8] = {0};
    if (rs->ncols > ADMIN_MAX_COLS) { /* a result wider than any admin command */
        rs->w.failed = true;
        return;
    }
    size_t nbytes = ((size_t)rs->ncols + 2 + 7) / 8;
    for (int i = 0; i < rs->ncols; i++)
        if (!vals[i])
            nulls[(i + 2) / 8] |= (uint8_t)(1u << ((i + 2) % 8));
    pkt_w_begin(&rs->w);
    pkt_w_u8(&rs->w, 0x00);
    pkt_w_bytes(&rs->w, nulls, nbytes);
    for (int i = 0; i < rs->ncols; i++)
        if (vals[i])
            pkt_w_lenenc_str(&rs->w, vals[i], strlen(vals[i]));
    pkt_w_end(&rs->w);
}

static void rs_end(struct adm_rs *rs, struct admin_conn *a)
{
    pkt_w_resultset_end(&rs->w, SERVER_STATUS_AUTOCOMMIT, rs->deprecate_eof);
    adm_flush(a, &rs->w);
}

static const char *fmt_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!t)
        return NULL;
    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

/* ---- commands ------------------------------------------------------------------------ */

/* Save admin changes to ddlgate.state_file (if set).  False, with the
 * reason (path and OS error) in err, when the save failed: the change is
 * in force but would be lost at a restart, and the admin must be told. */
static bool save_state(char *err, size_t errlen)
{
    const struct conf *c = conf_acquire();
    bool ok = !c->state_file[0] || statefile_save(c->state_file, c, err, errlen);

    if (!ok)
        log_error("admin: state file not saved: %s", err);
    conf_release(c);
    return ok;
}

/* OK with info, or ERR DGE_ADMIN_NOT_SAVED when the state file could not
 * be written (the change stays in force) */
static void adm_saved_answer(struct admin_conn *a, const char *info)
{
    char err[300], msg[700];

    if (save_state(err, sizeof(err))) {
        adm_ok(a, 1, info);
        return;
    }
    snprintf(msg, sizeof(msg),
             "%s, in force but NOT saved to the state file (a restart loses it): %s", info, err);
    adm_err(a, 1, DGE_ADMIN_NOT_SAVED, msg);
}

/* mode: in force; default: built in; configured: what the configuration
 * says ([rules] or --set, else the built-in default), which is what
 * SET RULE ... = default goes back to */
static void cmd_show_rules(struct admin_conn *a)
{
    const struct conf *c = conf_acquire();
    struct adm_rs rs;
    char id[8], hits[24], schema[80], table[80], scope[170];

    rs_begin_kind(&rs, a, ADMIN_SHOW_RULES);
    for (int i = 0; i < rules_count(); i++) {
        const struct rule_def *r = rules_at(i);
        snprintf(id, sizeof(id), "DG%03u", (unsigned)r->id);
        snprintf(hits, sizeof(hits), "%llu", (unsigned long long)rules_hits(r->id));
        const char *v[] = {id,
                           r->name,
                           rules_mode_name(rules_mode(r->id, NULL, NULL)),
                           "global",
                           hits,
                           rules_mode_name(r->default_mode),
                           rules_mode_name(conf_rule_mode(c, r->id))};
        rs_row(&rs, v);
    }
    uint16_t rid;
    enum rule_mode m;
    for (int i = 0; rules_scoped_at(i, &rid, &m, schema, sizeof(schema), table, sizeof(table));
         i++) {
        const struct rule_def *r = rules_find(rid);
        snprintf(id, sizeof(id), "DG%03u", (unsigned)rid);
        snprintf(scope, sizeof(scope), "%s.%s", schema, table[0] ? table : "*");
        const char *v[] = {id,
                           r ? r->name : "?",
                           rules_mode_name(m),
                           scope,
                           "",
                           r ? rules_mode_name(r->default_mode) : "",
                           rules_mode_name(conf_rule_mode(c, rid))};
        rs_row(&rs, v);
    }
    conf_release(c);
    rs_end(&rs, a);
}

static enum rule_mode configured_mode(uint16_t id)
{
    const struct conf *c = conf_acquire();
    enum rule_mode m = conf_rule_mode(c, id);

    conf_release(c);
    return m;
}

static void cmd_set_rule(struct admin_conn *a, const struct admin_cmd *cmd)
{
    char info[200], scope[140] = "", scope_log[560];
    enum rule_mode m = cmd->mode_default ? configured_mode(cmd->rule_id) : cmd->mode;
    const char *schema = cmd->schema[0] ? cmd->schema : NULL;
    const char *table = cmd->table[0] ? cmd->table : NULL;
    bool cleared = false;

    if (schema)
        snprintf(scope, sizeof(scope), " for %s.%s", schema, table ? table : "*");
    if (cmd->mode_default && schema) {
        /* back to what the wider scope says: the override goes away */
        cleared = rules_clear_override(cmd->rule_id, schema, table);
        m = rules_mode(cmd->rule_id, schema, table);
    } else if (!rules_set_mode(cmd->rule_id, m, schema, table)) {
        adm_err(a, 1, DGE_ADMIN_SYNTAX, "cannot set that rule (too many table overrides?)");
        return;
    }
    log_info("admin %s: SET RULE DG%03u = %s%s", a->user_log, (unsigned)cmd->rule_id,
             cmd->mode_default ? "default" : rules_mode_name(m),
             admin_cmd_escape(scope, strlen(scope), scope_log, sizeof(scope_log)));
    if (cmd->mode_default && schema)
        snprintf(info, sizeof(info), "DG%03u%s: %s; it is now %s there", (unsigned)cmd->rule_id,
                 scope, cleared ? "override removed" : "there was no override", rules_mode_name(m));
    else
        snprintf(info, sizeof(info), "DG%03u is now %s%s", (unsigned)cmd->rule_id,
                 rules_mode_name(m), scope);
    adm_saved_answer(a, info);
}

static void cmd_show_verdicts(struct admin_conn *a)
{
    struct verdict_entry *e = malloc(VERDICTS_RING * sizeof(*e));
    struct adm_rs rs;
    char seq[24], at[32], sess[24], digest[24];

    if (!e) {
        adm_err(a, 1, DGE_ADMIN_SYNTAX, "out of memory");
        return;
    }
    int n = verdicts_snapshot(e, VERDICTS_RING);
    rs_begin_kind(&rs, a, ADMIN_SHOW_VERDICTS);
    for (int i = 0; i < n; i++) {
        snprintf(seq, sizeof(seq), "%llu", (unsigned long long)e[i].seq);
        snprintf(sess, sizeof(sess), "%llu", (unsigned long long)e[i].session_id);
        snprintf(digest, sizeof(digest), "%016llx", (unsigned long long)e[i].digest);
        const char *v[] = {seq,
                           fmt_time(e[i].at, at, sizeof(at)),
                           sess,
                           e[i].user,
                           digest,
                           e[i].rules,
                           verdicts_action_name(e[i].action),
                           e[i].algorithm,
                           e[i].unparsed ? "no" : "yes",
                           e[i].statement};
        rs_row(&rs, v);
    }
    rs_end(&rs, a);
    free(e);
}

static void cmd_show_pending(struct admin_conn *a)
{
    /* digest: the approval digest (exact statement in its schema); the
     * columns are admin_cmd.c's, shared with prepared statements */
    struct approval_info *ai = malloc(256 * sizeof(*ai));
    struct adm_rs rs;
    char id[24], digest[24], rule[8], created[32], expires[32];

    if (!ai) {
        adm_err(a, 1, DGE_ADMIN_SYNTAX, "out of memory");
        return;
    }
    int n = approval_list(ai, 256);
    rs_begin_kind(&rs, a, ADMIN_SHOW_PENDING);
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "%llu", (unsigned long long)ai[i].id);
        snprintf(digest, sizeof(digest), "%016llx", (unsigned long long)ai[i].digest);
        snprintf(rule, sizeof(rule), "DG%03u", (unsigned)ai[i].rule);
        const char *v[] = {id,
                           digest,
                           rule,
                           approval_state_name(ai[i].state),
                           ai[i].requested_by,
                           fmt_time(ai[i].created, created, sizeof(created)),
                           ai[i].decided_by[0] ? ai[i].decided_by : NULL,
                           fmt_time(ai[i].expires, expires, sizeof(expires)),
                           ai[i].once ? "yes" : "no",
                           ai[i].schema[0] ? ai[i].schema : NULL,
                           ai[i].statement};
        rs_row(&rs, v);
    }
    rs_end(&rs, a);
    free(ai);
}

static void cmd_approve(struct admin_conn *a, const struct admin_cmd *cmd, bool approve)
{
    char info[128];
    bool ok;

    if (approve) {
        const struct conf *c = conf_acquire();
        int minutes = cmd->minutes > 0 ? cmd->minutes : c->approval_minutes;
        bool once = cmd->once < 0 ? c->approval_once : cmd->once == 1;
        conf_release(c);
        ok = approval_approve(cmd->id, a->user, minutes, once);
        snprintf(info, sizeof(info), "approved %llu for %d minutes%s", (unsigned long long)cmd->id,
                 minutes, once ? ", once" : "");
    } else {
        ok = approval_deny(cmd->id, a->user);
        snprintf(info, sizeof(info), "denied %llu", (unsigned long long)cmd->id);
    }
    if (!ok) {
        adm_err(a, 1, DGE_ADMIN_NOT_FOUND, "no pending approval with that id (see SHOW PENDING)");
        return;
    }
    adm_saved_answer(a, info);
}

static void cmd_show_stats(struct admin_conn *a)
{
    struct worker_stats st;
    struct adm_rs rs;
    char val[32];

    workers_stats_sum(&st);
    rs_begin_kind(&rs, a, ADMIN_SHOW_STATS);
#define ADM_STAT_ROW(n, d)                                            \
    do {                                                              \
        snprintf(val, sizeof(val), "%llu", (unsigned long long)st.n); \
        const char *v[] = {#n, val, d};                               \
        rs_row(&rs, v);                                               \
    } while (0);
    WORKER_STATS(ADM_STAT_ROW)
#undef ADM_STAT_ROW
    struct mdlq_stats qs;
    mdlq_stats_get(&qs);
#define ADM_QSTAT_ROW(n, d)                                           \
    do {                                                              \
        snprintf(val, sizeof(val), "%llu", (unsigned long long)qs.n); \
        const char *v[] = {"queue_" #n, val, d};                      \
        rs_row(&rs, v);                                               \
    } while (0);
    MDLQ_STATS(ADM_QSTAT_ROW)
#undef ADM_QSTAT_ROW
    snprintf(val, sizeof(val), "%d", tablecache_count());
    const char *v[] = {"tables_cached", val, "table definitions known to the classifier"};
    rs_row(&rs, v);
    rs_end(&rs, a);
}

static void cmd_show_config(struct admin_conn *a)
{
    const struct conf *c = conf_acquire();
    struct adm_rs rs;
    char section[64], key[64], value[1100];
    bool reloadable;

    rs_begin_kind(&rs, a, ADMIN_SHOW_CONFIG);
    for (int i = 0; i < conf_key_count(); i++) {
        if (!conf_key_at(c, i, section, sizeof(section), key, sizeof(key), value, sizeof(value),
                         &reloadable))
            continue;
        const char *v[] = {section, key, value, reloadable ? "yes" : "no"};
        rs_row(&rs, v);
    }
    /* [rules] entries (file and --set): the configured modes; SHOW RULES
     * has the modes in force */
    for (int i = 0; i < c->nrule_modes; i++) {
        snprintf(key, sizeof(key), "DG%03u", (unsigned)c->rule_modes[i].id);
        const char *v[] = {"rules", key, rules_mode_name(c->rule_modes[i].mode), "yes"};
        rs_row(&rs, v);
    }
    conf_release(c);
    rs_end(&rs, a);
}

static void cmd_show_backend(struct admin_conn *a)
{
    const struct conf *c = conf_acquire();
    struct adm_rs rs;
    char addr[300], version[128], flavour[64], mon[200], vis[512];
    struct sql_server srv;
    uint64_t caps;

    snprintf(addr, sizeof(addr), "%s:%d", c->backend_host, c->backend_port);
    bool known = sess_backend_info(version, sizeof(version), &srv, &caps);
    snprintf(flavour, sizeof(flavour), "%s",
             !known                               ? "unknown (no connection yet)"
             : srv.flavour == SQL_FLAVOUR_MARIADB ? "mariadb"
                                                  : "mysql");
    char vnum[32];
    snprintf(vnum, sizeof(vnum), "%u.%u.%u", srv.version / 10000, srv.version / 100 % 100,
             srv.version % 100);
    monitor_describe(mon, sizeof(mon));
    mdlq_visibility(vis, sizeof(vis));
    rs_begin_kind(&rs, a, ADMIN_SHOW_BACKEND);
    const char *rows[][2] = {
        {"address", addr},
        {"flavour", flavour},
        {"version", known ? vnum : NULL},
        {"version_string", known ? version : NULL},
        {"tls_mode", tls_mode_name(c->backend_tls)},
        {"tls_offered", known ? ((caps & CLIENT_SSL) ? "yes" : "no") : NULL},
        {"monitor", mon},
        {"mdl_visibility", vis},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        rs_row(&rs, rows[i]);
    conf_release(c);
    rs_end(&rs, a);
}

static void cmd_help(struct admin_conn *a)
{
    struct adm_rs rs;
    const char *syntax, *what;

    rs_begin_kind(&rs, a, ADMIN_HELP);
    for (int i = 0; admin_cmd_help_at(i, &syntax, &what); i++) {
        const char *v[] = {syntax, what};
        rs_row(&rs, v);
    }
    rs_end(&rs, a);
}

static void cmd_select(struct admin_conn *a, const struct admin_cmd *cmd)
{
    const char *names[ADMIN_SEL_MAX], *vals[ADMIN_SEL_MAX];
    char buf[ADMIN_SEL_MAX][200]; /* user@peer fits */
    struct adm_rs rs;

    for (int i = 0; i < cmd->nitems; i++) {
        const struct admin_sel_item *it = &cmd->items[i];
        names[i] = it->column;
        vals[i] = buf[i];
        switch (it->kind) {
        case ADMIN_SEL_VAR:
            if (strcmp(it->name, "version_comment") == 0)
                snprintf(buf[i], sizeof(buf[i]), "ddlgate admin console");
            else if (strcmp(it->name, "version") == 0)
                snprintf(buf[i], sizeof(buf[i]), "%s-ddlgate", DDLGATE_VERSION);
            else if (strcmp(it->name, "max_allowed_packet") == 0)
                snprintf(buf[i], sizeof(buf[i]), "16777216");
            else if (strcmp(it->name, "autocommit") == 0)
                snprintf(buf[i], sizeof(buf[i]), "1");
            else
                vals[i] = NULL;
            break;
        case ADMIN_SEL_FUNC:
            if (strcmp(it->name, "user") == 0 || strcmp(it->name, "current_user") == 0)
                snprintf(buf[i], sizeof(buf[i]), "%s@%s", a->user, a->peer);
            else if (strcmp(it->name, "version") == 0)
                snprintf(buf[i], sizeof(buf[i]), "%s-ddlgate", DDLGATE_VERSION);
            else if (strcmp(it->name, "connection_id") == 0)
                snprintf(buf[i], sizeof(buf[i]), "0");
            else
                vals[i] = NULL; /* DATABASE(): no database on the console */
            break;
        case ADMIN_SEL_INT:
            snprintf(buf[i], sizeof(buf[i]), "%lld", (long long)it->num);
            break;
        case ADMIN_SEL_STRING:
            snprintf(buf[i], sizeof(buf[i]), "%s", it->name);
            break;
        case ADMIN_SEL_NULL:
            vals[i] = NULL;
            break;
        }
    }
    rs_begin(&rs, a, cmd->nitems, names);
    rs_row(&rs, vals);
    rs_end(&rs, a);
}

static void cmd_show_queue(struct admin_conn *a)
{
    struct mdlq_info *qi = malloc(MDLQ_MAX_SHOW * sizeof(*qi));
    struct adm_rs rs;
    char id[24], sess[24], since[32], attempts[16];

    if (!qi) {
        adm_err(a, 1, DGE_ADMIN_SYNTAX, "out of memory");
        return;
    }
    int n = mdlq_list(qi, MDLQ_MAX_SHOW);
    rs_begin_kind(&rs, a, ADMIN_SHOW_QUEUE);
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "%llu", (unsigned long long)qi[i].id);
        snprintf(sess, sizeof(sess), "%llu", (unsigned long long)qi[i].session_id);
        snprintf(attempts, sizeof(attempts), "%d", qi[i].attempts);
        const char *v[] = {id,
                           sess,
                           qi[i].user,
                           qi[i].table,
                           qi[i].state,
                           qi[i].blockers,
                           fmt_time(qi[i].since, since, sizeof(since)),
                           attempts,
                           qi[i].statement};
        rs_row(&rs, v);
    }
    rs_end(&rs, a);
    free(qi);
}

static void cmd_cancel(struct admin_conn *a, const struct admin_cmd *cmd)
{
    if (!mdlq_cancel(cmd->id, a->user)) {
        adm_err(a, 1, DGE_ADMIN_NOT_FOUND, "no queued statement with that id (see SHOW QUEUE)");
        return;
    }
    adm_ok(a, 1,
           "cancelled: a DDL still queued is refused now (7201); one already sent is "
           "interrupted with KILL QUERY and refused unless it finished first");
}

/* ---- SHOW SESSIONS: collected from every worker ------------------------------------ */

struct sess_row {
    char id[24], client[64], user[128], schema[192], state[16], in_txn[4], since[32];
    char stmt[256];
};

struct collect {
    pthread_mutex_t lock;
    int pending; /* workers still to answer */
    struct sess_row *rows;
    int nrows, cap;
    struct admin_conn *conn; /* holds a reference */
    struct event *done;      /* fired on the main loop when pending hits 0 */
};

static void conn_unref(struct admin_conn *a);

static void collect_job(struct worker *w, void *arg)
{
    struct collect *co = arg;

    pthread_mutex_lock(&co->lock);
    for (struct session *s = w->sessions; s; s = s->next) {
        if (co->nrows == co->cap) {
            int cap = co->cap ? co->cap * 2 : 64;
            struct sess_row *nr = realloc(co->rows, (size_t)cap * sizeof(*nr));
            if (!nr)
                break;
            co->rows = nr;
            co->cap = cap;
        }
        struct sess_row *r = &co->rows[co->nrows++];
        snprintf(r->id, sizeof(r->id), "%llu", (unsigned long long)s->id);
        snprintf(r->client, sizeof(r->client), "%s", s->peer_str);
        snprintf(r->user, sizeof(r->user), "%s", s->user);
        snprintf(r->schema, sizeof(r->schema), "%s", s->schema);
        snprintf(r->state, sizeof(r->state), "%s", sess_state_name(s->state));
        snprintf(r->in_txn, sizeof(r->in_txn), "%s", s->in_transaction ? "yes" : "no");
        fmt_time(s->stmt[0] ? s->stmt_since : s->connected_at, r->since, sizeof(r->since));
        snprintf(r->stmt, sizeof(r->stmt), "%s", s->stmt);
    }
    bool last = --co->pending == 0;
    pthread_mutex_unlock(&co->lock);
    if (last)
        event_active(co->done, EV_READ, 0);
}

static void collect_done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct collect *co = arg;
    struct admin_conn *a = co->conn;
    struct adm_rs rs;

    (void)fd;
    (void)what;
    if (!a->closed) {
        rs_begin_kind(&rs, a, ADMIN_SHOW_SESSIONS);
        for (int i = 0; i < co->nrows; i++) {
            struct sess_row *r = &co->rows[i];
            const char *v[] = {r->id,    r->client, r->user,  r->schema[0] ? r->schema : NULL,
                               r->state, r->in_txn, r->since, r->stmt[0] ? r->stmt : NULL};
            rs_row(&rs, v);
        }
        rs_end(&rs, a);
        a->state = ADM_READY;
    }
    event_free(co->done);
    pthread_mutex_destroy(&co->lock);
    free(co->rows);
    free(co);
    conn_unref(a);
}

static void cmd_show_sessions(struct admin_conn *a)
{
    struct collect *co = calloc(1, sizeof(*co));

    if (!co) {
        adm_err(a, 1, DGE_ADMIN_SYNTAX, "out of memory");
        return;
    }
    pthread_mutex_init(&co->lock, NULL);
    co->conn = a;
    a->refs++;
    co->done = event_new(adm_base, -1, 0, collect_done_cb, co);
    co->pending = workers_count();
    a->state = ADM_WAITING;
    if (co->pending == 0) {
        event_active(co->done, EV_READ, 0);
        return;
    }
    for (int i = 0; i < workers_count(); i++) {
        if (!worker_post(workers_at(i), collect_job, co)) {
            pthread_mutex_lock(&co->lock);
            bool last = --co->pending == 0;
            pthread_mutex_unlock(&co->lock);
            if (last)
                event_active(co->done, EV_READ, 0);
        }
    }
}

/* ---- dispatch -------------------------------------------------------------------------- */

/* Parse q; false after answering ERR DGE_ADMIN_SYNTAX (and logging the
 * command, escaped: it is client input). */
static bool adm_parse(struct admin_conn *a, const char *q, size_t len, struct admin_cmd *cmd)
{
    char err[512], shown[200 * 4 + 1];

    if (admin_cmd_parse(q, len, cmd, err, sizeof(err)))
        return true;
    log_info("admin %s: refused: %s", a->user_log,
             admin_cmd_escape(q, len > 200 ? 200 : len, shown, sizeof(shown)));
    adm_err(a, 1, DGE_ADMIN_SYNTAX, err);
    return false;
}

/* Run a parsed command; a->binary picks the row format. */
static void adm_run(struct admin_conn *a, const struct admin_cmd *c)
{
    char err[512];

    switch (c->kind) {
    case ADMIN_SHOW_RULES:
        cmd_show_rules(a);
        break;
    case ADMIN_SHOW_VERDICTS:
        cmd_show_verdicts(a);
        break;
    case ADMIN_SHOW_SESSIONS:
        cmd_show_sessions(a);
        break;
    case ADMIN_SHOW_BACKEND:
        cmd_show_backend(a);
        break;
    case ADMIN_SHOW_PENDING:
        cmd_show_pending(a);
        break;
    case ADMIN_SHOW_QUEUE:
        cmd_show_queue(a);
        break;
    case ADMIN_SHOW_STATS:
        cmd_show_stats(a);
        break;
    case ADMIN_SHOW_CONFIG:
        cmd_show_config(a);
        break;
    case ADMIN_SHOW_WARNINGS: {
        struct adm_rs rs;
        rs_begin_kind(&rs, a, ADMIN_SHOW_WARNINGS);
        rs_end(&rs, a);
        break;
    }
    case ADMIN_SET_RULE:
        cmd_set_rule(a, c);
        break;
    case ADMIN_APPROVE:
        cmd_approve(a, c, true);
        break;
    case ADMIN_DENY:
        cmd_approve(a, c, false);
        break;
    case ADMIN_CANCEL:
        cmd_cancel(a, c);
        break;
    case ADMIN_RELOAD:
        log_info("admin %s: RELOAD", a->user_log);
        if (ddlgate_reload(err, sizeof(err)))
            adm_ok(a, 1, "configuration reloaded");
        else
            adm_err(a, 1, DGE_ADMIN_RELOAD, err);
        break;
    case ADMIN_HELP:
        cmd_help(a);
        break;
    case ADMIN_SELECT:
        cmd_select(a, c);
        break;
    case ADMIN_SESSION_NOOP:
        adm_ok(a, 1, NULL);
        break;
    case ADMIN_CMD_NKINDS:
        break;
    }
}

static void adm_query(struct admin_conn *a, const char *q, size_t len)
{
    struct admin_cmd cmd;

    if (adm_parse(a, q, len, &cmd))
        adm_run(a, &cmd);
}

/* ---- connection --------------------------------------------------------------------------- */

static void conn_unref(struct admin_conn *a)
{
    if (--a->refs > 0)
        return;
    struct admin_conn **pp = &adm_conns;
    while (*pp && *pp != a)
        pp = &(*pp)->next;
    if (*pp)
        *pp = a->next;
    free(a);
}

static void stmts_free(struct admin_conn *a)
{
    struct adm_stmt *next;

    for (struct adm_stmt *st = a->stmts; st; st = next) {
        next = st->next;
        free(st);
    }
    a->stmts = NULL;
    a->nstmts = 0;
}

static void conn_close(struct admin_conn *a)
{
    if (a->closed)
        return;
    a->closed = true;
    bufferevent_free(a->bev);
    a->bev = NULL;
    if (a->timer) {
        event_free(a->timer);
        a->timer = NULL;
    }
    if (a->denied) {
        evbuffer_free(a->denied);
        a->denied = NULL;
    }
    stmts_free(a);
    if (a->counted) {
        a->counted = false;
        adm_nconns--;
    }
    conn_unref(a);
}

static void adm_event_cb(struct bufferevent *bev, short what, void *arg);
static void adm_read_cb(struct bufferevent *bev, void *arg);

static void close_after_flush_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    conn_close(arg);
}

static void adm_close_after_flush(struct admin_conn *a)
{
    bufferevent_disable(a->bev, EV_READ);
    bufferevent_setcb(a->bev, NULL, close_after_flush_cb, adm_event_cb, a);
}

static void adm_fail(struct admin_conn *a, uint8_t seq, int code, const char *msg)
{
    adm_err(a, seq, code, msg);
    adm_close_after_flush(a);
}

/* The login deadline (ddlgate.handshake_timeout_ms) runs from accept, and
 * again from a COM_CHANGE_USER, until the password is checked. */
static void adm_arm_login_deadline(struct admin_conn *a)
{
    const struct conf *c = conf_acquire();
    struct timeval tv = {c->handshake_timeout_ms / 1000, (c->handshake_timeout_ms % 1000) * 1000};

    conf_release(c);
    bufferevent_set_timeouts(a->bev, NULL, NULL);
    evtimer_add(a->timer, &tv);
}

/* Logged in: no deadline; ddlgate.idle_timeout_s (0 = none) between commands. */
static void adm_logged_in_timeouts(struct admin_conn *a)
{
    const struct conf *c = conf_acquire();
    struct timeval tv = {c->idle_timeout_s, 0};

    conf_release(c);
    evtimer_del(a->timer);
    bufferevent_set_timeouts(a->bev, tv.tv_sec > 0 ? &tv : NULL, NULL);
}

static void adm_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct admin_conn *a = arg;

    (void)fd;
    (void)what;
    if (a->closed)
        return;
    switch (a->state) {
    case ADM_DENIED: /* the refused login's ERR, held back until now */
        evbuffer_add_buffer(bufferevent_get_output(a->bev), a->denied);
        adm_close_after_flush(a);
        return;
    case ADM_TLS: /* no plaintext ERR in the middle of a TLS handshake */
        log_info("admin: %s did not finish its login within ddlgate.handshake_timeout_ms; "
                 "closed",
                 a->peer);
        conn_close(a);
        return;
    case ADM_HELLO:
    case ADM_SWITCH:
        log_info("admin: %s did not finish its login within ddlgate.handshake_timeout_ms; "
                 "closed",
                 a->peer);
        adm_fail(a, a->timeout_seq, DGE_HANDSHAKE_TIMEOUT,
                 "ddlgate admin: login not completed in time (ddlgate.handshake_timeout_ms)");
        return;
    case ADM_READY:
    case ADM_WAITING:
        return;
    }
}
/* Check the token of plugin p and answer; seq numbers the answer's first
 * packet. */
static void adm_verify(struct admin_conn *a, enum admin_auth_plugin p, const uint8_t *token,
                       size_t len, uint8_t seq)
{
    const struct conf *c = conf_acquire();
    /* a->user is cut only for names longer than any admin_user */
    bool ok = a->user_len == strlen(c->admin_user) &&
              memcmp(a->user, c->admin_user, a->user_len) == 0 &&
              admin_auth_check(p, c->admin_password, a->scramble, token, len);
    conf_release(c);
    struct pkt_writer w;
    pkt_w_init(&w, seq);
    admin_auth_write_answer(&w, p, ok);
    if (!ok) {
        log_warn("admin: access denied for '%s' from %s (%s)", a->user_log, a->peer,
                 admin_auth_plugin_name(p));
        /* hold the ERR back ADM_DENY_DELAY_MS; read nothing meanwhile */
        struct timeval tv = {0, ADM_DENY_DELAY_MS * 1000};
        a->denied = evbuffer_new();
        if (!a->denied || !pkt_w_flush(&w, a->denied)) {
            pkt_w_free(&w);
            conn_close(a);
            return;
        }
        pkt_w_free(&w);
        bufferevent_disable(a->bev, EV_READ);
        a->state = ADM_DENIED;
        evtimer_add(a->timer, &tv);
        return;
    }
    adm_flush(a, &w);
    log_info("admin: %s connected from %s%s (%s)", a->user_log, a->peer, a->tls ? " (TLS)" : "",
             admin_auth_plugin_name(p));
    a->state = ADM_READY;
    adm_logged_in_timeouts(a);
}

/* AuthSwitchRequest to plugin p with a fresh nonce (see
 * admin_auth_first_step for when). */
static void adm_switch(struct admin_conn *a, enum admin_auth_plugin p, uint8_t seq)
{
    if (!adm_new_nonce(a->scramble)) {
        log_error("admin: RAND_bytes failed; closing %s", a->peer);
        adm_fail(a, seq, DGE_ADMIN_AUTH, "Access denied for the ddlgate admin console");
        return;
    }
    struct pkt_writer w;
    pkt_w_init(&w, seq);
    admin_auth_write_switch(&w, p, a->scramble);
    adm_flush(a, &w);
    a->switch_plugin = p;
    a->state = ADM_SWITCH;
    a->timeout_seq = (uint8_t)(seq + 2);
}

/* user as sent (compared with admin.user) and escaped (for logs) */
static void adm_set_user(struct admin_conn *a, const uint8_t *user, size_t len)
{
    snprintf(a->user, sizeof(a->user), "%.*s",
             (int)(len < sizeof(a->user) ? len : sizeof(a->user) - 1), (const char *)user);
    a->user_len = len;
    admin_cmd_escape((const char *)user, len > 64 ? 64 : len, a->user_log, sizeof(a->user_log));
}

/* Returns true when it consumed the packet itself (TLS upgrade). */
static bool adm_on_hello(struct admin_conn *a, const uint8_t *p, uint32_t len, uint8_t seq)
{
    struct hs_response r;
    const struct conf *c;

    if (!hs_parse_response(p, len, &r)) {
        adm_fail(a, (uint8_t)(seq + 1), DGE_PROTOCOL, "malformed handshake response");
        return false;
    }
    if (r.ssl_request) {
        /* the TLS layer reads what follows the SSLRequest, not the request */
        evbuffer_drain(bufferevent_get_input(a->bev), (size_t)len + PKT_HDR_LEN);
        SSL *ssl = adm_tls ? SSL_new(adm_tls) : NULL;
        if (!ssl) {
            conn_close(a);
            return true;
        }
        struct bufferevent *f = bufferevent_openssl_filter_new(
            adm_base, a->bev, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
        if (!f) {
            SSL_free(ssl);
            conn_close(a);
            return true;
        }
        a->bev = f;
        a->tls = true;
        a->state = ADM_TLS;
        a->timeout_seq = 3;
        bufferevent_setcb(f, adm_read_cb, NULL, adm_event_cb, a);
        bufferevent_enable(f, EV_READ | EV_WRITE);
        return true;
    }
    c = conf_acquire();
    bool loopback = strcmp(c->admin_host, "127.0.0.1") == 0 || strcmp(c->admin_host, "::1") == 0 ||
                    strcmp(c->admin_host, "localhost") == 0;
    conf_release(c);
    if (!loopback && !a->tls) {
        adm_fail(a, (uint8_t)(seq + 1), DGE_CLIENT_TLS_REQUIRED,
                 "the admin console requires TLS on a non-loopback address");
        return false;
    }
    adm_set_user(a, r.user, r.user_len);
    a->caps = r.caps;
    a->deprecate_eof = (r.caps & CLIENT_DEPRECATE_EOF) != 0;
    enum admin_auth_plugin plugin;
    switch (admin_auth_first_step(r.plugin, r.plugin_len, r.auth_len, a->greeted, &plugin)) {
    case ADMIN_AUTH_VERIFY:
        adm_verify(a, plugin, r.auth, r.auth_len, (uint8_t)(seq + 1));
        break;
    case ADMIN_AUTH_SWITCH:
        adm_switch(a, plugin, (uint8_t)(seq + 1));
        break;
    }
    return false;
}

/* ---- other commands: prepared statements, COM_STATISTICS, ... ---------------------------- */

/* COM_STMT_PREPARE: parse now (a bad command or a '?' is refused here),
 * answer with the statement id and the columns the command will return. */
static void adm_prepare(struct admin_conn *a, const char *q, size_t len)
{
    const char *names[ADMIN_MAX_COLS];
    struct adm_stmt *st = malloc(sizeof(*st));
    struct pkt_writer w;

    if (!st) {
        adm_err(a, 1, DGE_ADMIN_SYNTAX, "out of memory");
        return;
    }
    if (!adm_parse(a, q, len, &st->cmd)) {
        free(st);
        return;
    }
    if (a->nstmts >= ADM_MAX_STMTS) {
        free(st);
        adm_err(a, 1, DGE_ADMIN_SYNTAX,
                "too many prepared statements on this admin connection (close some)");
        return;
    }
    if (++a->next_stmt_id == 0)
        a->next_stmt_id = 1;
    st->id = a->next_stmt_id;
    st->next = a->stmts;
    a->stmts = st;
    a->nstmts++;
    int ncols = admin_cmd_columns(&st->cmd, names, ADMIN_MAX_COLS);
    pkt_w_init(&w, 1);
    pkt_w_begin(&w);
    pkt_w_u8(&w, 0x00);
    pkt_w_u32(&w, st->id);
    pkt_w_u16(&w, (uint16_t)ncols);
    pkt_w_u16(&w, 0); /* parameters */
    pkt_w_u8(&w, 0);
    pkt_w_u16(&w, 0); /* warnings */
    pkt_w_end(&w);
    for (int i = 0; i < ncols; i++)
        pkt_w_coldef(&w, names[i], PKT_TYPE_VAR_STRING);
    if (ncols && !a->deprecate_eof)
        pkt_w_eof(&w, 0, SERVER_STATUS_AUTOCOMMIT, false);
    adm_flush(a, &w);
}

/* The statement a COM_STMT_* packet names (its first 4 bytes), or NULL. */
static struct adm_stmt *adm_stmt_of(struct admin_conn *a, const uint8_t *p, uint32_t len,
                                    struct adm_stmt ***link)
{
    struct pkt_cursor c;
    uint32_t id;

    pkt_cursor_init(&c, p, len);
    if (!pkt_get_u32(&c, &id))
        return NULL;
    for (struct adm_stmt **pp = &a->stmts; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            if (link)
                *link = pp;
            return *pp;
        }
    }
    return NULL;
}

/* COM_STMT_EXECUTE: run the prepared command; a result set goes out in the
 * binary protocol.  There are no parameters, so the rest of the packet
 * (flags, iteration count) changes nothing. */
static void adm_execute(struct admin_conn *a, const uint8_t *p, uint32_t len)
{
    struct adm_stmt *st = adm_stmt_of(a, p, len, NULL);

    if (!st) {
        adm_err(a, 1, DGE_ADMIN_NOT_FOUND,
                "unknown prepared statement handler given to COM_STMT_EXECUTE");
        return;
    }
    a->binary = true;
    adm_run(a, &st->cmd);
}

static void adm_stmt_close(struct admin_conn *a, const uint8_t *p, uint32_t len)
{
    struct adm_stmt **link;
    struct adm_stmt *st = adm_stmt_of(a, p, len, &link);

    if (st) {
        *link = st->next;
        free(st);
        a->nstmts--;
    }
}

/* COM_STATISTICS: one bare string packet, as mysqladmin status and
 * mysqli::stat() expect, with ddlgate's own figures. */
static void adm_statistics(struct admin_conn *a)
{
    struct worker_stats st;
    struct pkt_writer w;
    char line[256];
    long long up = (long long)(time(NULL) - adm_started);

    workers_stats_sum(&st);
    if (up < 1)
        up = 1;
    snprintf(line, sizeof(line),
             "Uptime: %lld  Threads: %llu  Questions: %llu  Admin connections: %d  "
             "Queries per second avg: %.3f",
             up, (unsigned long long)st.clients_active, (unsigned long long)st.queries, adm_nconns,
             (double)st.queries / (double)up);
    pkt_w_init(&w, 1);
    pkt_w_begin(&w);
    pkt_w_bytes(&w, line, strlen(line));
    pkt_w_end(&w);
    adm_flush(a, &w);
}

/* COM_SET_OPTION (multi-statements on/off): nothing to change, since the
 * console takes one command per query; answered like the server, with EOF. */
static void adm_set_option(struct admin_conn *a, const uint8_t *p, uint32_t len)
{
    struct pkt_cursor c;
    uint16_t opt;
    struct pkt_writer w;

    pkt_cursor_init(&c, p, len);
    if (!pkt_get_u16(&c, &opt) || opt > 1) {
        adm_err(a, 1, DGE_UNSUPPORTED_COMMAND, "unknown COM_SET_OPTION option");
        return;
    }
    pkt_w_init(&w, 1);
    pkt_w_eof(&w, 0, SERVER_STATUS_AUTOCOMMIT, a->deprecate_eof);
    adm_flush(a, &w);
}

/* COM_CHANGE_USER: a new login on the same connection, checked like the
 * first one (admin_auth_first_step).  A token for a known plugin is
 * verified against the last nonce this connection was sent (the greeting's
 * or a switch's), as a MySQL server does: libmariadb's
 * mysql_native_password answers even a later AuthSwitchRequest with the
 * token it computed from that nonce, so asking for a fresh one would
 * refuse it.  The token is bound to this connection's nonce, so it cannot
 * be replayed elsewhere.  An empty token or another plugin gets an
 * AuthSwitchRequest with a fresh nonce.  A refused change is a refused
 * login: delayed ERR, connection closed. */
static void adm_change_user(struct admin_conn *a, const uint8_t *p, uint32_t len)
{
    struct hs_change_user cu;
    enum admin_auth_plugin plugin;

    if (!hs_parse_change_user(p, len, a->caps, &cu)) {
        adm_fail(a, 1, DGE_PROTOCOL, "malformed COM_CHANGE_USER");
        return;
    }
    adm_set_user(a, cu.user, cu.user_len);
    stmts_free(a);
    a->state = ADM_HELLO; /* not logged in until the check passes */
    adm_arm_login_deadline(a);
    switch (admin_auth_first_step(cu.plugin, cu.plugin_len, cu.auth_len, a->greeted, &plugin)) {
    case ADMIN_AUTH_VERIFY:
        adm_verify(a, plugin, cu.auth, cu.auth_len, 1);
        break;
    case ADMIN_AUTH_SWITCH:
        adm_switch(a, plugin, 1);
        break;
    }
}

/* A command packet of an authenticated connection; false when the
 * connection was closed. */
static bool adm_command(struct admin_conn *a, const uint8_t *p, uint32_t len)
{
    a->binary = false;
    if (len == 0) {
        adm_err(a, 1, DGE_PROTOCOL, "empty command");
        return true;
    }
    switch (p[0]) {
    case COM_QUIT:
        conn_close(a);
        return false;
    case COM_QUERY:
        adm_query(a, (const char *)p + 1, len - 1);
        break;
    case COM_PING:
    case COM_INIT_DB:
        adm_ok(a, 1, NULL);
        break;
    case COM_RESET_CONNECTION:
        stmts_free(a);
        adm_ok(a, 1, NULL);
        break;
    case COM_STMT_PREPARE:
        adm_prepare(a, (const char *)p + 1, len - 1);
        break;
    case COM_STMT_EXECUTE:
        adm_execute(a, p + 1, len - 1);
        break;
    case COM_STMT_CLOSE:          /* never answered */
    case COM_STMT_SEND_LONG_DATA: /* never answered; no parameters to feed */
        if (p[0] == COM_STMT_CLOSE)
            adm_stmt_close(a, p + 1, len - 1);
        break;
    case COM_STMT_RESET:
        if (adm_stmt_of(a, p + 1, len - 1, NULL))
            adm_ok(a, 1, NULL);
        else
            adm_err(a, 1, DGE_ADMIN_NOT_FOUND,
                    "unknown prepared statement handler given to COM_STMT_RESET");
        break;
    case COM_STMT_FETCH:
        adm_err(a, 1, DGE_UNSUPPORTED_COMMAND,
                "no cursor is open: COM_STMT_EXECUTE returns the whole result");
        break;
    case COM_STATISTICS:
        adm_statistics(a);
        break;
    case COM_SET_OPTION:
        adm_set_option(a, p + 1, len - 1);
        break;
    case COM_CHANGE_USER:
        adm_change_user(a, p + 1, len - 1);
        break;
    default:
        adm_err(a, 1, DGE_UNSUPPORTED_COMMAND,
                "the admin console accepts text queries only; try HELP");
        break;
    }
    return !a->closed;
}

static void adm_read_cb(struct bufferevent *bev, void *arg)
{
    struct admin_conn *a = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    uint32_t len;
    uint8_t seq;

    while (!a->closed &&
           (a->state == ADM_HELLO || a->state == ADM_SWITCH || a->state == ADM_READY) &&
           pkt_peek_header(in, &len, &seq)) {
        if (len > ADMIN_QUERY_MAX + 1) {
            adm_fail(a, (uint8_t)(seq + 1), DGE_PACKET_TOO_LARGE, "admin command too long");
            return;
        }
        if (evbuffer_get_length(in) < (size_t)len + PKT_HDR_LEN)
            return;
        const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)len + PKT_HDR_LEN) + PKT_HDR_LEN;
        switch (a->state) {
        case ADM_HELLO:
            if (adm_on_hello(a, p, len, seq))
                return; /* TLS: the filter's callbacks take over */
            break;
        case ADM_SWITCH:
            adm_verify(a, a->switch_plugin, p, len, (uint8_t)(seq + 1));
            break;
        case ADM_READY:
            if (!adm_command(a, p, len))
                return;
            break;
        default:
            break;
        }
        if (a->closed || !a->bev)
            return;
        evbuffer_drain(in, (size_t)len + PKT_HDR_LEN);
    }
}

static void adm_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct admin_conn *a = arg;

    (void)bev;
    if ((what & BEV_EVENT_CONNECTED) && a->state == ADM_TLS) {
        a->state = ADM_HELLO;
        adm_read_cb(a->bev, a);
        return;
    }
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING)) {
        if (a->state == ADM_WAITING) { /* busy answering, not idle */
            bufferevent_enable(a->bev, EV_READ);
            return;
        }
        log_info("admin %s: idle for ddlgate.idle_timeout_s; closed %s", a->user_log, a->peer);
        adm_fail(a, 0, DGE_IDLE_TIMEOUT,
                 "ddlgate admin: idle timeout (ddlgate.idle_timeout_s) reached");
        return;
    }
    conn_close(a);
}

/* Over [admin] max_connections: ERR (instead of the greeting, as a server
 * at max_connections does), then close.  Logged once a second at most. */
static void adm_refuse_full(struct admin_conn *a, int cap)
{
    static time_t last_log;
    static unsigned long suppressed;
    time_t now = time(NULL);
    char msg[128];

    if (now != last_log) {
        log_warn("admin: refused %s: too many admin connections (admin.max_connections = %d)%s",
                 a->peer, cap, suppressed ? "; more refused since the last note" : "");
        last_log = now;
        suppressed = 0;
    } else {
        suppressed++;
    }
    snprintf(msg, sizeof(msg), "too many admin connections (admin.max_connections = %d)", cap);
    bufferevent_enable(a->bev, EV_WRITE);
    adm_fail(a, 0, DGE_TOO_MANY_CLIENTS, msg);
}

static void adm_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    struct admin_conn *a = calloc(1, sizeof(*a));
    struct hs_greeting g;
    struct pkt_writer w;
    char version[64];

    (void)l;
    (void)salen;
    (void)arg;
    if (!a) {
        evutil_closesocket(fd);
        return;
    }
    a->bev = bufferevent_socket_new(adm_base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!a->bev) {
        evutil_closesocket(fd);
        free(a);
        return;
    }
    a->refs = 1;
    a->next = adm_conns;
    adm_conns = a;
    sess_format_peer(sa, a->peer, sizeof(a->peer));
    const struct conf *c = conf_acquire();
    int cap = c->admin_max_connections;
    a->greeted = c->admin_auth_plugin;
    conf_release(c);
    if (adm_nconns >= cap) {
        adm_refuse_full(a, cap);
        return;
    }
    a->counted = true;
    adm_nconns++;
    a->timer = evtimer_new(adm_base, adm_timer_cb, a);
    if (!a->timer) {
        conn_close(a);
        return;
    }
    if (!adm_new_nonce(a->scramble)) {
        log_error("admin: RAND_bytes failed; closing %s", a->peer);
        conn_close(a);
        return;
    }
    memset(&g, 0, sizeof(g));
    snprintf(version, sizeof(version), "8.0.99-ddlgate-%s-admin", DDLGATE_VERSION);
    g.protocol = 10;
    g.version = version;
    g.version_len = strlen(version);
    g.conn_id = 1;
    memcpy(g.scramble, a->scramble, 20);
    g.scramble_len = 20;
    g.caps = CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS |
             CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_WITH_DB |
             CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH_LENENC_DATA | CLIENT_DEPRECATE_EOF |
             CLIENT_CONNECT_ATTRS;
    if (adm_tls)
        g.caps |= CLIENT_SSL;
    g.charset = 45;
    g.status = SERVER_STATUS_AUTOCOMMIT;
    g.plugin = admin_auth_plugin_name(a->greeted);
    g.plugin_len = strlen(g.plugin);
    pkt_w_init(&w, 0);
    hs_write_greeting(&w, &g);
    adm_flush(a, &w);
    bufferevent_setcb(a->bev, adm_read_cb, NULL, adm_event_cb, a);
    a->timeout_seq = 2;
    adm_arm_login_deadline(a);
    bufferevent_enable(a->bev, EV_READ | EV_WRITE);
}

bool admin_start(struct event_base *base, char *err, size_t errlen)
{
    const struct conf *c = conf_acquire();
    struct addrinfo hints = {0}, *res = NULL;
    char port[16];

    adm_base = base;
    adm_started = time(NULL);
    if (c->client_tls_cert[0]) {
        adm_tls = tls_server_ctx_new(c->client_tls_cert, c->client_tls_key, NULL, err, errlen);
        if (!adm_tls) {
            conf_release(c);
            return false;
        }
    }
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof(port), "%d", c->admin_port);
    if (getaddrinfo(c->admin_host, port, &hints, &res) != 0 || !res) {
        snprintf(err, errlen, "cannot resolve admin address %s:%d", c->admin_host, c->admin_port);
        conf_release(c);
        return false;
    }
    adm_listener =
        evconnlistener_new_bind(base, adm_accept_cb, NULL,
                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
                                64, res->ai_addr, (int)res->ai_addrlen);
    freeaddrinfo(res);
    if (!adm_listener) {
        snprintf(err, errlen, "cannot listen on admin address %s:%d", c->admin_host, c->admin_port);
        conf_release(c);
        return false;
    }
    conf_release(c);
    return true;
}

void admin_stop(void)
{
    if (adm_listener) {
        evconnlistener_free(adm_listener);
        adm_listener = NULL;
    }
    struct admin_conn *next;
    for (struct admin_conn *a = adm_conns; a; a = next) {
        next = a->next;
        conn_close(a); /* may free a (a collection in flight keeps it) */
    }
    if (adm_tls) {
        SSL_CTX_free(adm_tls);
        adm_tls = NULL;
    }
}
