/*
 * worker.h - N event loops in N threads.  Each worker owns its listener
 * (SO_REUSEPORT: the kernel spreads accepts), its sessions and its counters.
 *
 * Concurrency rule: a worker's fields are touched only by its own thread.
 * Other threads (main, admin) reach a worker through worker_post(), which
 * queues a function to run on the worker's thread.  Counters are plain
 * per-worker uint64_t written by the owner and read (racily, monotonic,
 * word-sized) by stats summing: no locks on the relay path.
 */
#ifndef DDLGATE_WORKER_H
#define DDLGATE_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sql.h"

struct event_base;
struct worker;
struct evconnlistener;
struct event;
struct session;
struct ssl_ctx_st;

/* X(name, description) - counters, summed over workers for SHOW STATS. */
#define WORKER_STATS(X)                                                     \
    X(clients_accepted, "client connections accepted")                      \
    X(clients_active, "client connections open now")                        \
    X(clients_refused, "client connections refused (limits, backend down)") \
    X(backend_errors, "backend connect/IO failures")                        \
    X(protocol_errors, "malformed client packets")                          \
    X(queries, "COM_QUERY commands")                                        \
    X(prepares, "COM_STMT_PREPARE commands")                                \
    X(executes, "COM_STMT_EXECUTE commands")                                \
    X(other_commands, "other commands")                                     \
    X(unparsed, "statements the parser could not parse")                    \
    X(ddl, "DDL statements seen")                                           \
    X(rewritten, "statements rewritten by a rule")                          \
    X(rejected, "statements rejected by a rule")                            \
    X(held_for_approval, "statements refused pending approval")             \
    X(warned, "statements forwarded with a warning")                        \
    X(bytes_from_clients, "bytes received from clients")                    \
    X(bytes_to_clients, "bytes sent to clients")

struct worker_stats {
#define WORKER_STAT_FIELD(n, d) uint64_t n;
    WORKER_STATS(WORKER_STAT_FIELD)
#undef WORKER_STAT_FIELD
};

typedef void (*worker_fn)(struct worker *w, void *arg);

struct worker_job {
    worker_fn fn;
    void *arg;
    struct worker_job *next;
};

struct worker {
    int index;
    pthread_t thread;
    struct event_base *base;
    struct evconnlistener *listener;
    struct event *post_ev;     /* wakes the loop for posted jobs */
    pthread_mutex_t post_lock; /* guards post_head/post_tail only */
    struct worker_job *post_head, *post_tail;
    struct session *sessions; /* doubly linked, owned */
    int nsessions;
    bool draining; /* SIGTERM: no new clients */
    struct worker_stats stats;
    struct ssl_ctx_st *client_tls_ctx; /* refcounted snapshot */
    struct ssl_ctx_st *backend_tls_ctx;
    struct sql_script script; /* parse scratch, reused per statement */
};

/* Create n workers (loops not running yet), then start them listening. */
bool workers_create(int n, char *err, size_t errlen);
bool workers_start(const char *host, int port, char *err, size_t errlen);
/* Install TLS contexts (references pass to the worker; swapped on its thread). */
void worker_set_tls(struct worker *w, struct ssl_ctx_st *client, struct ssl_ctx_st *backend);
/* Close every session (shutdown). */
void workers_close_all(void);
/* Free every worker after workers_stop(). */
void workers_free(void);
void workers_stop(void); /* stop loops and join threads */
int workers_count(void);
struct worker *workers_at(int i);
/* Run fn(w, arg) on w's thread soon.  Safe from any thread. */
bool worker_post(struct worker *w, worker_fn fn, void *arg);
/* Sum counters over all workers. */
void workers_stats_sum(struct worker_stats *out);
/* Stop accepting on every worker (SIGTERM drain). */
void workers_drain(void);
int workers_sessions_total(void);

#endif
