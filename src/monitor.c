/*
 * monitor.c - the monitor thread (see monitor.h).  It blocks in the client
 * library, so it never runs on a worker's event loop.
 */
#include "monitor.h"

#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"
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
    return m;
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
            ts.tv_nsec += 200 * 1000 * 1000;
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
            set_state("%s", "not configured (backend.monitor_user)");
            /* no monitor: answer requests with "unknown" */
            while (tablecache_next_request(schema, sizeof(schema), table, sizeof(table)))
                ;
            conf_release(c);
            continue;
        }
        if (!m && time(NULL) >= next_try) {
            m = mon_connect(c);
            if (!m)
                next_try = time(NULL) + 2;
        }
        conf_release(c);
        if (!m)
            continue;
        while (tablecache_next_request(schema, sizeof(schema), table, sizeof(table))) {
            if (!tablecache_fetch(m, schema, table) && mysql_errno(m) >= 2000) {
                /* client-side error: the connection is gone */
                mysql_close(m);
                m = NULL;
                set_state("%s", "disconnected");
                break;
            }
        }
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
    mon_stop = false;
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
