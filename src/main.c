/*
 * main.c - command line, configuration, signals and the main loop.
 *
 * The main thread owns the configuration snapshots, the signal handlers
 * (libevent signal events: handlers only set state, the loop acts), the
 * admin listener and the janitor timer.  Client traffic runs on the
 * workers (worker.c).
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "evmem.h"
#include "gate.h"
#include "lint.h"
#include "log.h"
#include "mdlqueue.h"
#include "monitor.h"
#include "rules.h"
#include "session.h"
#include "statefile.h"
#include "tablecache.h"
#include "tls.h"
#include "worker.h"

#define MAX_OVERRIDES 128

/* Command-line overrides, re-applied on every reload so a RELOAD never
 * undoes what the command line said. */
static struct {
    const char *cfile;
    const char *sets[MAX_OVERRIDES]; /* "section.key=value" */
    int nsets;
} cli;

static struct event_base *main_base;
static struct event *janitor_ev;
static bool draining;
static time_t drain_deadline;

static void usage(FILE *f)
{
    fprintf(f, "usage: ddlgate [-c FILE] [options]\n"
               "       ddlgate lint --server FLAVOUR-VERSION [--schema FILE] [--format text|json] "
               "FILES|DIRS|-\n"
               "\n"
               "  -c, --config FILE        configuration file (ini); built-in defaults without it\n"
               "      --listen HOST:PORT   where applications connect (ddlgate.listen)\n"
               "      --backend HOST:PORT  the MySQL/MariaDB server (backend.address)\n"
               "      --admin HOST:PORT    admin console, or 'off' (admin.listen)\n"
               "      --set SECTION.KEY=VALUE  set any configuration key (repeatable)\n"
               "      --log-level LEVEL    error, warn, info, debug, trace\n"
               "  -V, --version            print the version and exit\n"
               "  -h, --help               this help\n"
               "\n"
               "Signals: SIGTERM/SIGINT drain and exit, SIGHUP reloads the configuration.\n"
               "Docs: docs/ (configuration: conf/ddlgate.ini, errors: docs/errors.md)\n");
}

static bool add_override(const char *kv)
{
    if (cli.nsets >= MAX_OVERRIDES)
        return false;
    cli.sets[cli.nsets++] = kv;
    return true;
}

/* Build a configuration from defaults, the file and the overrides. */
static struct conf *build_conf(char *err, size_t errlen)
{
    struct conf *c = calloc(1, sizeof(*c));

    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    conf_defaults(c);
    if (cli.cfile && !conf_load_file(c, cli.cfile, err, errlen))
        goto fail;
    for (int i = 0; i < cli.nsets; i++) {
        if (!conf_set_kv(c, cli.sets[i], err, errlen))
            goto fail;
    }
    /* The built-in admin address applies only with a password: so that
     * `ddlgate --listen ... --backend ...` alone runs.  An admin port asked
     * for explicitly without a password is refused by conf_validate. */
    if (!c->admin_listen_explicit && !c->admin_password[0] && c->admin_host[0]) {
        log_warn("admin console off: no admin.password (set admin.password to enable it on %s:%d)",
                 c->admin_host, c->admin_port);
        c->admin_host[0] = '\0';
    }
    if (!conf_validate(c, err, errlen))
        goto fail;
    return c;
fail:
    free(c);
    return NULL;
}

/* Rule modes: the config's [rules] on top of the defaults, then the
 * admins' runtime changes from the state file (docs/admin.md).  Built aside
 * and published at once, so no statement is judged by the defaults half-way
 * through a reload.  A refused state file (statefile_load renames it aside)
 * fails a reload and leaves every rule as it was; at start the
 * configuration alone applies. */
static bool stage_rules(const struct conf *c, bool starting, char *err, size_t errlen)
{
    bool missing;

    rules_stage_begin();
    conf_apply_rules(c);
    /* statefile_load logs its own verdict */
    if (c->state_file[0] && !statefile_load(c->state_file, &missing, err, errlen) && !starting) {
        rules_stage_abort();
        return false;
    }
    return true;
}

static void commit_rules(const struct conf *c)
{
    rules_stage_commit();
    gate_set_table_size_limit(c->table_size_limit);
}

/* The state file's directory must take new files (temp + rename), or every
 * admin change would be lost at the next restart. */
static bool state_dir_ok(const struct conf *c, char *err, size_t errlen)
{
    char dir[sizeof(c->state_file)];

    if (!c->state_file[0])
        return true;
    snprintf(dir, sizeof(dir), "%s", c->state_file);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "ddlgate.state_file = %s: directory %s is not writable: %s",
                 c->state_file, dir, strerror(errno));
        return false;
    }
    return true;
}

static bool setup_tls(const struct conf *c, char *err, size_t errlen)
{
    SSL_CTX *cctx = NULL, *bctx;

    if (c->client_tls_cert[0]) {
        cctx = tls_server_ctx_new(c->client_tls_cert, c->client_tls_key,
                                  c->client_tls_ca[0] ? c->client_tls_ca : NULL, err, errlen);
        if (!cctx)
            return false;
    }
    /* a context exists even with backend.tls = disabled: a TLS client is
     * never downgraded when the backend offers TLS */
    bctx = tls_client_ctx_new(c->backend_tls == TLS_MODE_DISABLED ? TLS_MODE_PREFERRED
                                                                  : c->backend_tls,
                              c->backend_tls_ca[0] ? c->backend_tls_ca : NULL,
                              c->backend_tls_cert[0] ? c->backend_tls_cert : NULL,
                              c->backend_tls_key[0] ? c->backend_tls_key : NULL, err, errlen);
    if (!bctx) {
        SSL_CTX_free(cctx);
        return false;
    }
    for (int i = 0; i < workers_count(); i++) {
        struct worker *w = workers_at(i);
        /* each worker holds its own reference; swapped on its thread */
        if (cctx)
            SSL_CTX_up_ref(cctx);
        SSL_CTX_up_ref(bctx);
        worker_set_tls(w, cctx, bctx);
    }
    SSL_CTX_free(cctx);
    SSL_CTX_free(bctx);
    return true;
}

bool ddlgate_reload(char *err, size_t errlen)
{
    struct conf *c = build_conf(err, errlen);

    if (!c) {
        log_error("reload refused, running configuration kept: %s", err);
        return false;
    }
    if (!state_dir_ok(c, err, errlen)) {
        log_error("reload refused, running configuration kept: %s", err);
        free(c);
        return false;
    }
    /* the state file first: nothing (TLS contexts included) changes if it is refused */
    if (!stage_rules(c, false, err, errlen)) {
        char serr[256];
        log_error("reload refused (state file), running configuration and rules kept");
        /* the refused file was moved aside: write what is in force now in its place */
        const struct conf *cur = conf_acquire();
        if (cur->state_file[0] && !statefile_save(cur->state_file, cur, serr, sizeof(serr)))
            log_error("state file not saved: %s", serr);
        conf_release(cur);
        free(c);
        return false;
    }
    if (!setup_tls(c, err, errlen)) {
        rules_stage_abort();
        log_error("reload refused, running configuration kept: %s", err);
        free(c);
        return false;
    }
    commit_rules(c);
    log_set_level(c->log_level);
    const struct conf *old = conf_acquire();
    char restart[512];
    if (conf_restart_needed(old, c, restart, sizeof(restart)) > 0)
        log_warn("reload: these keys changed but take effect only after a restart: %s", restart);
    conf_release(old);
    conf_swap(c);
    log_info("configuration reloaded%s%s", cli.cfile ? " from " : "", cli.cfile ? cli.cfile : "");
    return true;
}

static void on_sighup(evutil_socket_t fd, short what, void *arg)
{
    char err[512];

    (void)fd;
    (void)what;
    (void)arg;
    ddlgate_reload(err, sizeof(err));
}

static void on_sigterm(evutil_socket_t fd, short what, void *arg)
{
    const struct conf *c;

    (void)fd;
    (void)what;
    (void)arg;
    if (draining) {
        log_warn("second signal: exiting now");
        event_base_loopbreak(main_base);
        return;
    }
    c = conf_acquire();
    drain_deadline = time(NULL) + (c->drain_timeout_ms + 999) / 1000;
    conf_release(c);
    draining = true;
    log_info("draining: no new clients; waiting for statements in flight");
    admin_stop();
    mdlq_shutdown(); /* DDL still waiting for its lock would outlive the drain */
    workers_drain();
}

/* The DDL queue's scheduler: every 10 ms, a single atomic load when the
 * queue is empty. */
static void queue_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    mdlq_tick();
}

/* After a burst of connections closes, hand the freed heap back to the
 * kernel: glibc keeps it in its arenas otherwise, and RSS would stay at the
 * burst's high-water mark.  Trim once the count has dropped by
 * TRIM_MIN_DROP sessions (about 5 KiB each) since the last trim and has
 * stopped falling: trimming while sessions are still closing would leave
 * the last ones' memory behind (a halving rule once left 2.3 MiB in one
 * worker's arena).  Sessions of a burst can close in waves on a loaded
 * machine: after a burst's trim, a further stable low is trimmed too, else
 * a last wave of fewer than TRIM_MIN_DROP would stay behind untrimmed. */
#define TRIM_MIN_DROP 64
static void trim_after_burst(void)
{
    static int high, last, trimmed_at = -1;
    int now = workers_sessions_total();

    if (now > high)
        high = now;
    bool stable = now >= last;
    bool straggler = trimmed_at >= 0 && now < trimmed_at;
    if (stable && (high - now >= TRIM_MIN_DROP || straggler)) {
        malloc_trim(0);
        log_debug("malloc_trim after %d sessions closed (%d open)", high - now, now);
        high = now;
        trimmed_at = now;
    }
    last = now;
}

static void janitor_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    tablecache_collect();
    trim_after_burst();
    tablecache_expire_waiters();
    const struct conf *c = conf_acquire();
    char err[256];
    /* approvals used up on workers reach the state file here */
    if (c->state_file[0] && !statefile_save_if_changed(c->state_file, c, err, sizeof(err)))
        log_error("state file not saved: %s", err);
    conf_release(c);
    if (draining) {
        int left = workers_sessions_total();
        if (left == 0 || time(NULL) >= drain_deadline) {
            if (left)
                log_warn("drain timeout: closing %d sessions", left);
            event_base_loopbreak(main_base);
        }
    }
}

static int run(void)
{
    char err[1024];
    struct conf *c = build_conf(err, sizeof(err));
    int nworkers;

    if (!c) {
        fprintf(stderr, "ddlgate: %s\n", err);
        return 2;
    }
    log_set_level(c->log_level);
    nworkers = c->workers > 0 ? c->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nworkers < 1)
        nworkers = 1;
    if (!state_dir_ok(c, err, sizeof(err))) {
        fprintf(stderr, "ddlgate: %s\n", err);
        free(c);
        return 2;
    }
    stage_rules(c, true, err, sizeof(err));
    commit_rules(c);
    conf_swap(c);
    c = NULL;
    const struct conf *rc = conf_acquire();

    evmem_install(); /* before libevent allocates anything */
    /* A fixed threshold: buffers of big statements and packets (a 1 MiB
     * INSERT pulled up whole) are mapped and unmapped.  glibc's default
     * raises the threshold to the largest block freed, after which such
     * buffers come from the heap and stay there after their session. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    evthread_use_pthreads();
    signal(SIGPIPE, SIG_IGN);
    main_base = event_base_new();
    if (main_base && !statefile_autosave_start(main_base))
        log_warn("state file: no prompt saves (the janitor saves every 200 ms)");
    if (!workers_create(nworkers, err, sizeof(err)) || !setup_tls(rc, err, sizeof(err)) ||
        !workers_start(rc->listen_host, rc->listen_port, err, sizeof(err))) {
        log_error("%s", err);
        conf_release(rc);
        return 1;
    }
    if (rc->admin_host[0] && !admin_start(main_base, err, sizeof(err))) {
        log_error("%s", err);
        conf_release(rc);
        return 1;
    }
    monitor_start();
    if (rc->admin_host[0])
        log_info("ddlgate %s listening on %s:%d, backend %s:%d, %d workers, admin on %s:%d",
                 DDLGATE_VERSION, rc->listen_host, rc->listen_port, rc->backend_host,
                 rc->backend_port, nworkers, rc->admin_host, rc->admin_port);
    else
        log_info("ddlgate %s listening on %s:%d, backend %s:%d, %d workers, admin port off",
                 DDLGATE_VERSION, rc->listen_host, rc->listen_port, rc->backend_host,
                 rc->backend_port, nworkers);
    conf_release(rc);

    struct event *ev_term = evsignal_new(main_base, SIGTERM, on_sigterm, NULL);
    struct event *ev_int = evsignal_new(main_base, SIGINT, on_sigterm, NULL);
    struct event *ev_hup = evsignal_new(main_base, SIGHUP, on_sighup, NULL);
    struct timeval tick = {0, 200 * 1000};
    janitor_ev = event_new(main_base, -1, EV_PERSIST, janitor_cb, NULL);
    struct event *queue_ev = event_new(main_base, -1, EV_PERSIST, queue_tick_cb, NULL);
    struct timeval qtick = {0, 10 * 1000};
    event_add(queue_ev, &qtick);
    event_add(ev_term, NULL);
    event_add(ev_int, NULL);
    event_add(ev_hup, NULL);
    event_add(janitor_ev, &tick);

    event_base_dispatch(main_base);

    log_info("shutting down");
    monitor_stop();
    admin_stop();
    workers_close_all();
    workers_stop();
    statefile_autosave_stop();
    workers_free();
    tablecache_clear();
    event_free(ev_term);
    event_free(ev_int);
    event_free(ev_hup);
    event_free(janitor_ev);
    event_free(queue_ev);
    event_base_free(main_base);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"backend", required_argument, NULL, 'b'},
        {"admin", required_argument, NULL, 'a'},
        {"set", required_argument, NULL, 's'},
        {"log-level", required_argument, NULL, 'L'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static char kvbuf[3][600];
    int ch;

    if (argc > 1 && strcmp(argv[1], "lint") == 0)
        return lint_main(argc - 1, argv + 1);
    while ((ch = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            cli.cfile = optarg;
            break;
        case 'l':
            snprintf(kvbuf[0], sizeof(kvbuf[0]), "ddlgate.listen=%s", optarg);
            add_override(kvbuf[0]);
            break;
        case 'b':
            snprintf(kvbuf[1], sizeof(kvbuf[1]), "backend.address=%s", optarg);
            add_override(kvbuf[1]);
            break;
        case 'a':
            snprintf(kvbuf[2], sizeof(kvbuf[2]), "admin.listen=%s", optarg);
            add_override(kvbuf[2]);
            break;
        case 's':
            if (!strchr(optarg, '=') || !strchr(optarg, '.')) {
                fprintf(stderr, "ddlgate: --set expects SECTION.KEY=VALUE, got '%s'\n", optarg);
                return 2;
            }
            if (!add_override(optarg)) {
                fprintf(stderr, "ddlgate: too many --set options\n");
                return 2;
            }
            break;
        case 'L': {
            static char lvl[64];
            snprintf(lvl, sizeof(lvl), "ddlgate.log_level=%s", optarg);
            add_override(lvl);
            break;
        }
        case 'V':
            printf("ddlgate %s\n", DDLGATE_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ddlgate: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return run();
}
