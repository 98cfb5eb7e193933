/*
 * worker.c - event-loop threads (see worker.h).
 */
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "conf.h"
#include "errors.h"
#include "log.h"
#include "session.h"

static struct worker *workers;
static int nworkers;

static void worker_post_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct worker_job *jobs;

    (void)fd;
    (void)what;
    pthread_mutex_lock(&w->post_lock);
    jobs = w->post_head;
    w->post_head = w->post_tail = NULL;
    pthread_mutex_unlock(&w->post_lock);
    while (jobs) {
        struct worker_job *next = jobs->next;
        jobs->fn(w, jobs->arg);
        free(jobs);
        jobs = next;
    }
}

bool worker_post(struct worker *w, worker_fn fn, void *arg)
{
    struct worker_job *j = malloc(sizeof(*j));

    if (!j)
        return false;
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&w->post_lock);
    if (w->post_tail)
        w->post_tail->next = j;
    else
        w->post_head = j;
    w->post_tail = j;
    pthread_mutex_unlock(&w->post_lock);
    event_active(w->post_ev, EV_READ, 0);
    return true;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
    struct worker *w = arg;
    const struct conf *c;
    int max_clients;

    (void)l;
    c = conf_acquire();
    max_clients = c->max_clients;
    conf_release(c);
    w->stats.clients_accepted++;
    if (w->draining || workers_sessions_total() >= max_clients) {
        w->stats.clients_refused++;
        log_warn("refusing client: %s", w->draining ? "shutting down" : "max_clients reached");
        close(fd);
        return;
    }
    if (!session_new(w, fd, sa, (socklen_t)salen)) {
        w->stats.clients_refused++;
        close(fd);
    }
}

static void accept_error_cb(struct evconnlistener *l, void *arg)
{
    (void)l;
    (void)arg;
    /* EMFILE and friends: log and keep listening; the next accept may work */
    log_error("accept failed: %s", strerror(errno));
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    event_base_dispatch(w->base);
    return NULL;
}

static bool resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[16];

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%d", port);
    if (getaddrinfo(host && *host ? host : NULL, portstr, &hints, &res) != 0 || !res)
        return false;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

static bool threads_started;

bool workers_create(int n, char *err, size_t errlen)
{
    /* worker_post() wakes a loop from another thread: libevent needs its
     * pthreads locking and notification set up before any base exists */
    if (evthread_use_pthreads() != 0) {
        snprintf(err, errlen, "evthread_use_pthreads failed");
        return false;
    }
    workers = calloc((size_t)n, sizeof(*workers));
    if (!workers) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    nworkers = n;
    for (int i = 0; i < n; i++) {
        struct worker *w = &workers[i];
        w->index = i;
        pthread_mutex_init(&w->post_lock, NULL);
        sql_script_init(&w->script);
        w->base = event_base_new();
        if (!w->base) {
            snprintf(err, errlen, "event_base_new failed");
            return false;
        }
        w->post_ev = event_new(w->base, -1, EV_PERSIST, worker_post_cb, w);
        /* a persistent event with no fd keeps the loop alive and is woken by
         * event_active() from other threads */
        event_add(w->post_ev, NULL);
    }
    return true;
}

bool workers_start(const char *host, int port, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen;

    if (!resolve(host, port, &ss, &sslen)) {
        snprintf(err, errlen, "cannot resolve listen address %s:%d", host, port);
        return false;
    }
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &workers[i];
        w->listener = evconnlistener_new_bind(w->base, accept_cb, w,
                                              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                                  LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC,
                                              1024, (struct sockaddr *)&ss, (int)sslen);
        if (!w->listener) {
            snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
            return false;
        }
        evconnlistener_set_error_cb(w->listener, accept_error_cb);
    }
    for (int i = 0; i < nworkers; i++) {
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            snprintf(err, errlen, "pthread_create failed");
            return false;
        }
    }
    threads_started = true;
    return true;
}

struct tls_swap {
    SSL_CTX *client, *backend;
};

static void worker_tls_job(struct worker *w, void *arg)
{
    struct tls_swap *t = arg;

    /* sessions already running keep their SSL objects (refcounted ctx) */
    SSL_CTX_free(w->client_tls_ctx);
    SSL_CTX_free(w->backend_tls_ctx);
    w->client_tls_ctx = t->client;
    w->backend_tls_ctx = t->backend;
    free(t);
}

void worker_set_tls(struct worker *w, struct ssl_ctx_st *client, struct ssl_ctx_st *backend)
{
    struct tls_swap *t = malloc(sizeof(*t));

    if (!t) {
        SSL_CTX_free(client);
        SSL_CTX_free(backend);
        return;
    }
    t->client = client;
    t->backend = backend;
    if (!threads_started)
        worker_tls_job(w, t);
    else if (!worker_post(w, worker_tls_job, t)) {
        SSL_CTX_free(client);
        SSL_CTX_free(backend);
        free(t);
    }
}

static void worker_close_all_job(struct worker *w, void *arg)
{
    (void)arg;
    struct session *next;

    for (struct session *s = w->sessions; s; s = next) {
        next = s->next;
        if (s->state != SESS_CLOSING)
            session_close(s, DGE_SHUTDOWN, "ddlgate: server shutdown in progress");
    }
}

void workers_close_all(void)
{
    for (int i = 0; i < nworkers; i++)
        worker_post(&workers[i], worker_close_all_job, NULL);
}

static void worker_exit_job(struct worker *w, void *arg)
{
    (void)arg;
    /* give closing sessions a moment to flush their last packet */
    struct timeval tv = {0, 300 * 1000};
    event_base_loopexit(w->base, &tv);
}

void workers_stop(void)
{
    for (int i = 0; i < nworkers; i++)
        worker_post(&workers[i], worker_exit_job, NULL);
    for (int i = 0; i < nworkers; i++)
        pthread_join(workers[i].thread, NULL);
}

static void worker_drain_job(struct worker *w, void *arg)
{
    (void)arg;
    w->draining = true;
    if (w->listener) {
        evconnlistener_free(w->listener);
        w->listener = NULL;
    }
    /* idle clients go now; the others when their statement is answered */
    struct session *next;
    for (struct session *s = w->sessions; s; s = next) {
        next = s->next;
        if (s->state == SESS_IDLE || s->state < SESS_AUTH)
            session_close(s, DGE_SHUTDOWN, "ddlgate: server shutdown in progress");
    }
}

void workers_drain(void)
{
    for (int i = 0; i < nworkers; i++)
        worker_post(&workers[i], worker_drain_job, NULL);
}

int workers_count(void) { return nworkers; }
struct worker *workers_at(int i) { return (i >= 0 && i < nworkers) ? &workers[i] : NULL; }

int workers_sessions_total(void)
{
    int n = 0;
    for (int i = 0; i < nworkers; i++)
        n += __atomic_load_n(&workers[i].nsessions, __ATOMIC_RELAXED);
    return n;
}

void workers_stats_sum(struct worker_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < nworkers; i++) {
        const struct worker_stats *s = &workers[i].stats;
#define WORKER_STAT_SUM(n, d) out->n += __atomic_load_n(&s->n, __ATOMIC_RELAXED);
        WORKER_STATS(WORKER_STAT_SUM)
#undef WORKER_STAT_SUM
    }
}

/* Free every worker after workers_stop() (the threads are gone). */
void workers_free(void)
{
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &workers[i];
        if (w->listener)
            evconnlistener_free(w->listener);
        /* sessions left (closing ones) go with the loop */
        while (w->sessions)
            session_free_now(w->sessions);
        if (w->post_ev)
            event_free(w->post_ev);
        struct worker_job *j = w->post_head;
        while (j) {
            struct worker_job *next = j->next;
            free(j);
            j = next;
        }
        SSL_CTX_free(w->client_tls_ctx);
        SSL_CTX_free(w->backend_tls_ctx);
        sql_script_free(&w->script);
        if (w->base)
            event_base_free(w->base);
        pthread_mutex_destroy(&w->post_lock);
    }
    free(workers);
    workers = NULL;
    nworkers = 0;
    threads_started = false;
}
