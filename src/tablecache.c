/*
 * tablecache.c - table definitions for the classifier (see tablecache.h).
 */
#include "tablecache.h"

#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "pipeline.h"
#include "worker.h"

#define TC_BUCKETS 512
#define TC_GRACE_SECONDS 10
#define TC_MAX_REQUESTS 64

struct tc_entry {
    struct gate_table_info *info;
    struct tc_entry *next;
    time_t retired_at; /* on the retired list */
};

static pthread_mutex_t tc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tc_entry *buckets[TC_BUCKETS];
static struct tc_entry *retired;
static int nentries;
/* pending fetch requests: a small ring of "schema\0table" keys */
static char requests[TC_MAX_REQUESTS][2][65];
static int req_head, req_count;

/* recent misses (table does not exist, or the lookup failed) */
#define TC_MISSES 128
#define TC_MISS_TTL 5
static struct {
    char key[140];
    time_t at;
} misses[TC_MISSES];
static int miss_next;

/* sessions waiting for a lookup, each for at most TC_WAIT_MS (counted in
 * ms: with whole seconds a wait could end after 1.0 s, before a monitor
 * busy under load had answered, and the DDL was judged without the table) */
#define TC_WAITERS 1024
#define TC_WAIT_MS 2000
static struct {
    struct worker *w;
    uint64_t sid;
    char key[140];
    int64_t since_ms;
} waiters[TC_WAITERS];
static int nwaiters;
/* 0: no monitor, 1: connecting (answers will come), 2: up */
static int monitor_state;

static int64_t tc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tc_keyof(char *key, size_t len, const char *schema, const char *table)
{
    snprintf(key, len, "%s.%s", schema ? schema : "", table ? table : "");
}

static unsigned tc_hash(const char *schema, const char *table)
{
    unsigned h = 2166136261u;
    for (const char *p = schema ? schema : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ '.') * 16777619u;
    for (const char *p = table; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % TC_BUCKETS;
}

static bool tc_match(const struct gate_table_info *ti, const char *schema, const char *table)
{
    return strcmp(ti->name, table) == 0 &&
           strcmp(ti->schema ? ti->schema : "", schema ? schema : "") == 0;
}

void tablecache_free_info(struct gate_table_info *ti)
{
    if (!ti)
        return;
    for (int i = 0; i < ti->ncols; i++) {
        struct gate_column_info *c = &ti->cols[i];
        free((char *)c->name);
        free((char *)c->type);
        free((char *)c->charset);
        for (int j = 0; j < c->nvalues; j++)
            free((char *)c->values[j]);
        free(c->values);
    }
    free(ti->cols);
    for (int i = 0; i < ti->nkey_cols; i++)
        free((char *)ti->key_cols[i]);
    free(ti->key_cols);
    for (int i = 0; i < ti->nfk_names; i++)
        free((char *)ti->fk_names[i]);
    free(ti->fk_names);
    free((char *)ti->default_charset);
    free((char *)ti->schema);
    free((char *)ti->name);
    free((char *)ti->engine);
    free((char *)ti->row_format);
    free(ti);
}

/* caller holds tc_lock */
static void tc_retire_locked(const char *schema, const char *table)
{
    struct tc_entry **pp = &buckets[tc_hash(schema, table)];
    while (*pp) {
        struct tc_entry *e = *pp;
        if (tc_match(e->info, schema, table)) {
            *pp = e->next;
            e->retired_at = time(NULL);
            e->next = retired;
            retired = e;
            nentries--;
            return;
        }
        pp = &e->next;
    }
}

static void tc_request_locked(const char *schema, const char *table)
{
    if (!schema || strlen(schema) > 64 || strlen(table) > 64)
        return;
    for (int i = 0; i < req_count; i++) {
        int k = (req_head + i) % TC_MAX_REQUESTS;
        if (strcmp(requests[k][0], schema) == 0 && strcmp(requests[k][1], table) == 0)
            return;
    }
    if (req_count == TC_MAX_REQUESTS)
        return; /* the monitor is behind; the classifier stays conservative */
    int k = (req_head + req_count++) % TC_MAX_REQUESTS;
    snprintf(requests[k][0], sizeof(requests[k][0]), "%s", schema);
    snprintf(requests[k][1], sizeof(requests[k][1]), "%s", table);
}

const struct gate_table_info *tablecache_lookup(void *ctx, const char *schema, const char *table)
{
    const struct gate_table_info *found = NULL;

    (void)ctx;
    if (!table)
        return NULL;
    pthread_mutex_lock(&tc_lock);
    for (struct tc_entry *e = buckets[tc_hash(schema, table)]; e; e = e->next) {
        if (tc_match(e->info, schema, table)) {
            found = e->info;
            break;
        }
    }
    if (!found)
        tc_request_locked(schema, table);
    pthread_mutex_unlock(&tc_lock);
    return found;
}

void tablecache_set_monitor_state(int state)
{
    pthread_mutex_lock(&tc_lock);
    monitor_state = state;
    pthread_mutex_unlock(&tc_lock);
}

/* caller holds tc_lock */
static bool tc_known_locked(const char *schema, const char *table)
{
    char key[140];
    time_t now = time(NULL);

    for (struct tc_entry *e = buckets[tc_hash(schema, table)]; e; e = e->next)
        if (tc_match(e->info, schema, table))
            return true;
    tc_keyof(key, sizeof(key), schema, table);
    for (int i = 0; i < TC_MISSES; i++)
        if (misses[i].at && now - misses[i].at < TC_MISS_TTL && strcmp(misses[i].key, key) == 0)
            return true;
    return false;
}

bool tablecache_known(const char *schema, const char *table)
{
    bool known;
    pthread_mutex_lock(&tc_lock);
    known = tc_known_locked(schema, table);
    pthread_mutex_unlock(&tc_lock);
    return known;
}

static void wake_job(struct worker *w, void *arg)
{
    uint64_t *sid = arg;
    pipeline_facts_ready(w, *sid);
    free(sid);
}

static void wake(struct worker *w, uint64_t sid)
{
    uint64_t *arg = malloc(sizeof(*arg));
    if (!arg)
        return;
    *arg = sid;
    if (!worker_post(w, wake_job, arg))
        free(arg);
}

bool tablecache_wait(struct worker *w, uint64_t sid, const char *schema, const char *table)
{
    bool waiting = false;

    if (!table)
        return false;
    pthread_mutex_lock(&tc_lock);
    if (monitor_state > 0 && !tc_known_locked(schema, table) && nwaiters < TC_WAITERS) {
        waiters[nwaiters].w = w;
        waiters[nwaiters].sid = sid;
        tc_keyof(waiters[nwaiters].key, sizeof(waiters[nwaiters].key), schema, table);
        waiters[nwaiters].since_ms = tc_now_ms();
        nwaiters++;
        tc_request_locked(schema, table);
        waiting = true;
    }
    pthread_mutex_unlock(&tc_lock);
    return waiting;
}

/* caller holds tc_lock; wake waiters on key (or all expired when key NULL) */
static void wake_locked(const char *key)
{
    int kept = 0;
    time_t now = time(NULL);
    int64_t now_ms = key ? 0 : tc_now_ms();

    for (int i = 0; i < nwaiters; i++) {
        bool go =
            key ? strcmp(waiters[i].key, key) == 0 : now_ms - waiters[i].since_ms >= TC_WAIT_MS;
        if (go) {
            if (!key) { /* timed out: remember the miss so the retry does not wait */
                log_info("table definition of %s not read within %d ms: judged without it",
                         waiters[i].key, TC_WAIT_MS);
                snprintf(misses[miss_next].key, sizeof(misses[0].key), "%s", waiters[i].key);
                misses[miss_next].at = now;
                miss_next = (miss_next + 1) % TC_MISSES;
            }
            wake(waiters[i].w, waiters[i].sid);
        } else {
            waiters[kept++] = waiters[i];
        }
    }
    nwaiters = kept;
}

void tablecache_done(const char *schema, const char *table, bool found)
{
    char key[140];

    tc_keyof(key, sizeof(key), schema, table);
    pthread_mutex_lock(&tc_lock);
    if (!found) {
        snprintf(misses[miss_next].key, sizeof(misses[0].key), "%s", key);
        misses[miss_next].at = time(NULL);
        miss_next = (miss_next + 1) % TC_MISSES;
    }
    wake_locked(key);
    pthread_mutex_unlock(&tc_lock);
}

void tablecache_expire_waiters(void)
{
    pthread_mutex_lock(&tc_lock);
    if (nwaiters)
        wake_locked(NULL);
    pthread_mutex_unlock(&tc_lock);
}

bool tablecache_next_request(char *schema, size_t slen, char *table, size_t tlen)
{
    bool have = false;

    pthread_mutex_lock(&tc_lock);
    if (req_count > 0) {
        snprintf(schema, slen, "%s", requests[req_head][0]);
        snprintf(table, tlen, "%s", requests[req_head][1]);
        req_head = (req_head + 1) % TC_MAX_REQUESTS;
        req_count--;
        have = true;
    }
    pthread_mutex_unlock(&tc_lock);
    return have;
}

void tablecache_put(struct gate_table_info *ti)
{
    unsigned h = tc_hash(ti->schema, ti->name);
    struct tc_entry *e = calloc(1, sizeof(*e));

    if (!e) {
        tablecache_free_info(ti);
        return;
    }
    e->info = ti;
    pthread_mutex_lock(&tc_lock);
    tc_retire_locked(ti->schema, ti->name);
    e->next = buckets[h];
    buckets[h] = e;
    nentries++;
    pthread_mutex_unlock(&tc_lock);
}

void tablecache_invalidate(const char *schema, const char *table)
{
    if (!table)
        return;
    pthread_mutex_lock(&tc_lock);
    tc_retire_locked(schema, table);
    pthread_mutex_unlock(&tc_lock);
}

void tablecache_invalidate_stmt(const struct sql_stmt *st)
{
    if (st->kind != SQL_KIND_DDL)
        return;
    for (int i = 0; i < st->ntables; i++)
        tablecache_invalidate(st->tables[i].name.schema, st->tables[i].name.name);
    if (st->alter.table.name)
        tablecache_invalidate(st->alter.table.schema, st->alter.table.name);
}

void tablecache_collect(void)
{
    time_t now = time(NULL);
    struct tc_entry *keep = NULL, *free_list = NULL;

    pthread_mutex_lock(&tc_lock);
    while (retired) {
        struct tc_entry *e = retired;
        retired = e->next;
        if (now - e->retired_at >= TC_GRACE_SECONDS) {
            e->next = free_list;
            free_list = e;
        } else {
            e->next = keep;
            keep = e;
        }
    }
    retired = keep;
    pthread_mutex_unlock(&tc_lock);
    while (free_list) {
        struct tc_entry *e = free_list;
        free_list = e->next;
        tablecache_free_info(e->info);
        free(e);
    }
}

void tablecache_clear(void)
{
    pthread_mutex_lock(&tc_lock);
    for (int i = 0; i < TC_BUCKETS; i++) {
        while (buckets[i]) {
            struct tc_entry *e = buckets[i];
            buckets[i] = e->next;
            tablecache_free_info(e->info);
            free(e);
        }
    }
    while (retired) {
        struct tc_entry *e = retired;
        retired = e->next;
        tablecache_free_info(e->info);
        free(e);
    }
    nentries = 0;
    req_count = 0;
    pthread_mutex_unlock(&tc_lock);
}

int tablecache_count(void)
{
    int n;
    pthread_mutex_lock(&tc_lock);
    n = nentries;
    pthread_mutex_unlock(&tc_lock);
    return n;
}

/* ---- fetching through the monitor connection -------------------------------- */

static char *dupn(const char *s) { return s ? strdup(s) : NULL; }

static MYSQL_RES *tc_query(MYSQL *conn, const char *sql)
{
    if (mysql_query(conn, sql) != 0) {
        log_warn("monitor: query failed: %s", mysql_error(conn));
        return NULL;
    }
    return mysql_store_result(conn);
}

/* ENUM('a','b''c') -> values; quotes doubled inside members */
static void parse_enum_values(const char *coltype, struct gate_column_info *c)
{
    const char *p = strchr(coltype, '(');
    int cap = 0;

    if (!p)
        return;
    p++;
    while (*p == '\'') {
        char buf[256];
        size_t n = 0;
        p++;
        while (*p) {
            if (*p == '\'' && p[1] == '\'') {
                if (n < sizeof(buf) - 1)
                    buf[n++] = '\'';
                p += 2;
            } else if (*p == '\'') {
                p++;
                break;
            } else {
                if (n < sizeof(buf) - 1)
                    buf[n++] = *p;
                p++;
            }
        }
        buf[n] = '\0';
        if (c->nvalues == cap) {
            cap = cap ? cap * 2 : 8;
            const char **nv = realloc(c->values, (size_t)cap * sizeof(*nv));
            if (!nv)
                return;
            c->values = nv;
        }
        c->values[c->nvalues++] = strdup(buf);
        if (*p == ',')
            p++;
    }
}

static bool tc_fetch_columns(MYSQL *conn, const char *where, struct gate_table_info *ti)
{
    char sql[1024];
    MYSQL_RES *res;
    MYSQL_ROW row;

    snprintf(sql, sizeof(sql),
             "SELECT c.COLUMN_NAME, UPPER(c.DATA_TYPE), c.CHARACTER_MAXIMUM_LENGTH, "
             "c.CHARACTER_SET_NAME, c.IS_NULLABLE, c.EXTRA, c.COLUMN_TYPE, cs.MAXLEN "
             "FROM information_schema.COLUMNS c LEFT JOIN information_schema.CHARACTER_SETS cs "
             "ON cs.CHARACTER_SET_NAME = c.CHARACTER_SET_NAME WHERE %s ORDER BY c.ORDINAL_POSITION",
             where);
    if (!(res = tc_query(conn, sql)))
        return false;
    ti->ncols = 0;
    ti->cols = calloc(mysql_num_rows(res) + 1, sizeof(*ti->cols));
    if (!ti->cols) {
        mysql_free_result(res);
        return false;
    }
    while ((row = mysql_fetch_row(res))) {
        struct gate_column_info *c = &ti->cols[ti->ncols++];
        c->name = dupn(row[0]);
        c->type = dupn(row[1]);
        c->length = row[2] ? strtoll(row[2], NULL, 10) : -1;
        c->charset = dupn(row[3]);
        c->nullable = row[4] && strcmp(row[4], "YES") == 0;
        c->is_virtual = row[5] && strstr(row[5], "VIRTUAL") != NULL;
        c->is_stored_generated =
            row[5] && (strstr(row[5], "STORED") != NULL || strstr(row[5], "PERSISTENT") != NULL);
        c->is_unsigned = row[6] && strstr(row[6], "unsigned") != NULL;
        c->auto_increment = row[5] && strstr(row[5], "auto_increment") != NULL;
        c->max_bytes_per_char = row[7] ? atoi(row[7]) : 1;
        if (c->type && (strcmp(c->type, "ENUM") == 0 || strcmp(c->type, "SET") == 0) && row[6])
            parse_enum_values(row[6], c);
    }
    mysql_free_result(res);
    return true;
}

static struct gate_column_info *tc_col(struct gate_table_info *ti, const char *name)
{
    for (int i = 0; name && i < ti->ncols; i++)
        if (strcasecmp(ti->cols[i].name, name) == 0)
            return &ti->cols[i];
    return NULL;
}

/* One index as read from STATISTICS, in key-part order. */
struct tc_index {
    char name[65];
    bool unique, primary, fulltext, usable; /* usable: NOT NULL, no float, no prefix */
    int ncols;
    const char *cols[16];
};

static void tc_index_done(struct gate_table_info *ti, struct tc_index *ix, struct tc_index *best)
{
    if (!ix->name[0])
        return;
    if (ix->primary)
        ti->has_primary_key = true;
    if (ix->unique)
        ti->has_any_unique = true;
    if (ix->unique && ix->usable)
        ti->has_not_null_unique = true;
    if (ix->fulltext)
        ti->has_fulltext = true;
    /* the key an OSC tool would walk: the PK, else the first usable unique */
    if ((ix->primary && !best->primary) || (ix->unique && ix->usable && !best->name[0]))
        *best = *ix;
}

static bool tc_fetch_keys(MYSQL *conn, const char *where, struct gate_table_info *ti)
{
    char sql[1024];
    MYSQL_RES *res;
    MYSQL_ROW row;
    struct tc_index cur, best;

    snprintf(sql, sizeof(sql),
             "SELECT c.INDEX_NAME, c.NON_UNIQUE, c.INDEX_TYPE, c.SEQ_IN_INDEX, c.COLUMN_NAME, "
             "c.NULLABLE, c.SUB_PART FROM information_schema.STATISTICS c WHERE %s "
             "ORDER BY c.INDEX_NAME, c.SEQ_IN_INDEX",
             where);
    if (!(res = tc_query(conn, sql)))
        return false;
    memset(&cur, 0, sizeof(cur));
    memset(&best, 0, sizeof(best));
    while ((row = mysql_fetch_row(res))) {
        if (!row[0] || strcmp(row[0], cur.name) != 0) {
            tc_index_done(ti, &cur, &best);
            memset(&cur, 0, sizeof(cur));
            snprintf(cur.name, sizeof(cur.name), "%s", row[0] ? row[0] : "");
            cur.primary = row[0] && strcmp(row[0], "PRIMARY") == 0;
            cur.unique = row[1] && atoi(row[1]) == 0;
            cur.fulltext = row[2] && strcmp(row[2], "FULLTEXT") == 0;
            cur.usable = true;
        }
        struct gate_column_info *col = tc_col(ti, row[4]);
        if (col) {
            col->in_index = true;
            if (row[3] && atoi(row[3]) == 1 && cur.unique)
                col->unique_lead = true;
            if (col->type && (strcmp(col->type, "FLOAT") == 0 || strcmp(col->type, "DOUBLE") == 0))
                cur.usable = false;
            if (cur.ncols < 16)
                cur.cols[cur.ncols++] = col->name;
        } else {
            cur.usable = false; /* an expression key part */
        }
        if ((row[5] && strcmp(row[5], "YES") == 0) || row[6])
            cur.usable = false;
    }
    tc_index_done(ti, &cur, &best);
    mysql_free_result(res);
    if (best.ncols > 0) {
        ti->key_cols = calloc((size_t)best.ncols, sizeof(*ti->key_cols));
        for (int i = 0; ti->key_cols && i < best.ncols; i++)
            ti->key_cols[ti->nkey_cols++] = strdup(best.cols[i]);
    }
    return true;
}

static void tc_fetch_fk_names(MYSQL *conn, const char *es, const char *et,
                              struct gate_table_info *ti)
{
    char sql[512];
    MYSQL_RES *res;
    MYSQL_ROW row;

    snprintf(sql, sizeof(sql),
             "SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
             "WHERE CONSTRAINT_SCHEMA='%s' AND TABLE_NAME='%s'",
             es, et);
    if (!(res = tc_query(conn, sql)))
        return;
    ti->fk_names = calloc(mysql_num_rows(res) + 1, sizeof(*ti->fk_names));
    while (ti->fk_names && (row = mysql_fetch_row(res)))
        if (row[0])
            ti->fk_names[ti->nfk_names++] = strdup(row[0]);
    mysql_free_result(res);
}

static long tc_count(MYSQL *conn, const char *sql)
{
    MYSQL_RES *res = tc_query(conn, sql);
    MYSQL_ROW row;
    long n = 0;

    if (!res)
        return 0;
    if ((row = mysql_fetch_row(res)) && row[0])
        n = atol(row[0]);
    mysql_free_result(res);
    return n;
}

bool tablecache_fetch(MYSQL *conn, const char *schema, const char *table)
{
    char es[140], et[140], sql[1024], where[400];
    MYSQL_RES *res;
    MYSQL_ROW row;
    struct gate_table_info *ti;

    if (strlen(schema) > 64 || strlen(table) > 64)
        return false;
    mysql_real_escape_string(conn, es, schema, (unsigned long)strlen(schema));
    mysql_real_escape_string(conn, et, table, (unsigned long)strlen(table));
    snprintf(sql, sizeof(sql),
             "SELECT t.ENGINE, t.ROW_FORMAT, IFNULL(t.DATA_LENGTH,0)+IFNULL(t.INDEX_LENGTH,0), "
             "IFNULL(t.TABLE_ROWS,0), t.CREATE_OPTIONS, co.CHARACTER_SET_NAME "
             "FROM information_schema.TABLES t LEFT JOIN information_schema.COLLATIONS co "
             "ON co.COLLATION_NAME = t.TABLE_COLLATION "
             "WHERE t.TABLE_SCHEMA='%s' AND t.TABLE_NAME='%s' AND t.TABLE_TYPE='BASE TABLE'",
             es, et);
    if (!(res = tc_query(conn, sql)))
        return false;
    row = mysql_fetch_row(res);
    if (!row) {
        mysql_free_result(res);
        return false;
    }
    ti = calloc(1, sizeof(*ti));
    if (!ti) {
        mysql_free_result(res);
        return false;
    }
    ti->schema = strdup(schema);
    ti->name = strdup(table);
    ti->engine = dupn(row[0]);
    ti->row_format = dupn(row[1]);
    ti->size_bytes = row[2] ? strtoull(row[2], NULL, 10) : 0;
    ti->rows = row[3] ? strtoull(row[3], NULL, 10) : 0;
    ti->is_partitioned = row[4] && strstr(row[4], "partitioned") != NULL;
    ti->default_charset = dupn(row[5]);
    mysql_free_result(res);

    snprintf(where, sizeof(where), "c.TABLE_SCHEMA='%s' AND c.TABLE_NAME='%s'", es, et);
    bool ok = tc_fetch_columns(conn, where, ti) && tc_fetch_keys(conn, where, ti);
    tc_fetch_fk_names(conn, es, et, ti);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
             "WHERE CONSTRAINT_SCHEMA='%s' AND TABLE_NAME='%s'",
             es, et);
    ti->has_fk_child = tc_count(conn, sql) > 0;
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
             "WHERE UNIQUE_CONSTRAINT_SCHEMA='%s' AND REFERENCED_TABLE_NAME='%s'",
             es, et);
    ti->has_fk_parent = tc_count(conn, sql) > 0;
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
             "WHERE ((CONSTRAINT_SCHEMA='%s' AND TABLE_NAME='%s') OR "
             "(UNIQUE_CONSTRAINT_SCHEMA='%s' AND REFERENCED_TABLE_NAME='%s')) AND "
             "(DELETE_RULE IN ('CASCADE','SET NULL') OR UPDATE_RULE IN ('CASCADE','SET NULL'))",
             es, et, es, et);
    ti->has_fk_cascade = tc_count(conn, sql) > 0;
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM information_schema.TRIGGERS "
             "WHERE EVENT_OBJECT_SCHEMA='%s' AND EVENT_OBJECT_TABLE='%s'",
             es, et);
    ti->has_triggers = tc_count(conn, sql) > 0;
    if (!ok) {
        tablecache_free_info(ti);
        return false;
    }
    tablecache_put(ti);
    return true;
}
