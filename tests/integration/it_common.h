/*
 * it_common.h - helpers shared by the integration test programs (it_*.c):
 * clocks, ports, the per-case runner with its "ok - / not ok -" lines and
 * alarm, the reason/CHECK idiom, the pass/fail tally of check-style
 * programs, ddlgate instances started by a test, and client shortcuts.
 *
 * Header-only (static inline: every it_*.c is its own executable and CMake
 * globs them; nothing to link).  A program uses what it needs; unused
 * inline functions cost nothing.
 *
 * Conventions: a case returns enum it_case_result and explains a failure
 * with it_set_reason() (IT_CHECK does it and jumps to the case's "out:").
 * Check-style programs count with struct it_tally.  Everything is bounded
 * in time (alarm per case or overall, bounded polls).
 */
#ifndef DDLGATE_IT_COMMON_H
#define DDLGATE_IT_COMMON_H

#include <arpa/inet.h>
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

/* ---- clocks ------------------------------------------------------------------------ */

static inline double it_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void it_sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- ports on 127.0.0.1 ------------------------------------------------------------ */

/* A port nobody listens on now (racy by nature); 0 on failure. */
static inline unsigned it_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    unsigned port = 0;
    if (fd < 0)
        return 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static inline bool it_port_open(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* ---- why a case failed --------------------------------------------------------------- */

/* Per thread: worker threads of a case report through their own copy. */
static _Thread_local char it_reason[1024];

/* Arguments may point into it_reason itself, hence the bounce buffer. */
__attribute__((format(printf, 1, 2))) static inline void it_set_reason(const char *fmt, ...)
{
    char tmp[sizeof it_reason];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(it_reason, tmp, sizeof tmp);
}

/* Record why a case failed and leave through its "out:" label. */
#define IT_CHECK(cond, ...)             \
    do {                                \
        if (!(cond)) {                  \
            it_set_reason(__VA_ARGS__); \
            goto out;                   \
        }                               \
    } while (0)

/* ---- ddlgate instances a test starts itself ------------------------------------------ */

#define IT_MAX_INST 4

struct it_dg {
    pid_t pid;
    unsigned port, admin_port; /* chosen by the caller before it_dg_launch */
    char log[512];
    int exit_status; /* after it_dg_stop: the exit status, -1 when killed */
};

/* Every instance launched, for the alarm handler and it_dg_kill_all. */
static struct it_dg *it_insts[IT_MAX_INST];
static int it_ninsts;

/* SIGTERM, wait up to bound_s, then SIGKILL. */
static inline void it_dg_stop(struct it_dg *d, double bound_s)
{
    int st = 0;
    if (d->pid <= 0)
        return;
    kill(d->pid, SIGTERM);
    for (int i = 0; i < (int)(bound_s * 10); i++) {
        if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
            d->pid = 0;
            d->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            return;
        }
        it_sleep_s(0.1);
    }
    kill(d->pid, SIGKILL);
    waitpid(d->pid, &st, 0);
    d->pid = 0;
    d->exit_status = -1;
}

/* Start DDLGATE_BIN in front of MARIADB_PORT on d->port (admin on
 * d->admin_port) with "--set" values, logging at info to d->log (appended
 * when append, else truncated).  True once both ports accept (<= 20 s). */
static inline bool it_dg_launch(struct it_dg *d, const char *const *sets, int nsets, bool append)
{
    const char *bin = getenv("DDLGATE_BIN");
    const char *mport = getenv("MARIADB_PORT");
    char listen[64], backend[64], admin[64];
    const char *argv[80];
    int n = 0;

    if (!bin || !mport)
        return false;
    snprintf(listen, sizeof listen, "127.0.0.1:%u", d->port);
    snprintf(backend, sizeof backend, "127.0.0.1:%s", mport);
    snprintf(admin, sizeof admin, "127.0.0.1:%u", d->admin_port);
    argv[n++] = bin;
    argv[n++] = "--listen";
    argv[n++] = listen;
    argv[n++] = "--backend";
    argv[n++] = backend;
    argv[n++] = "--admin";
    argv[n++] = admin;
    for (int i = 0; i < nsets && n < 74; i++) {
        argv[n++] = "--set";
        argv[n++] = sets[i];
    }
    argv[n++] = "--log-level";
    argv[n++] = "info";
    argv[n] = NULL;

    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        int fd = open(d->log, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    d->pid = pid;
    bool known = false;
    for (int i = 0; i < it_ninsts; i++)
        known |= it_insts[i] == d;
    if (!known && it_ninsts < IT_MAX_INST)
        it_insts[it_ninsts++] = d;
    for (int i = 0; i < 200; i++) { /* <= 20 s */
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            d->pid = 0;
            return false;
        }
        if (it_port_open(d->port) && it_port_open(d->admin_port))
            return true;
        it_sleep_s(0.1);
    }
    it_dg_stop(d, 10);
    return false;
}

/* it_dg_launch on two fresh ports, with the admin and monitor accounts every
 * queue test needs, then the caller's "--set" values; logs to
 * $IT_WORK_DIR/<prog>-<tag>-<pid>.log. */
static inline bool it_dg_start(struct it_dg *d, const char *prog, const char *tag,
                               const char *admin_user, const char *admin_pass,
                               const char *const *sets, int nsets)
{
    const char *work = getenv("IT_WORK_DIR") ? getenv("IT_WORK_DIR") : "/tmp";
    char user[96], pass[160];
    const char *all[5 + 24];
    int n = 0;

    memset(d, 0, sizeof *d);
    d->port = it_free_port();
    do
        d->admin_port = it_free_port();
    while (d->admin_port == d->port);
    snprintf(d->log, sizeof d->log, "%s/%s-%s-%d.log", work, prog, tag, (int)getpid());
    snprintf(user, sizeof user, "admin.user=%s", admin_user);
    snprintf(pass, sizeof pass, "admin.password=%s", admin_pass);
    all[n++] = user;
    all[n++] = pass;
    all[n++] = "backend.monitor_user=monitor";
    all[n++] = "backend.monitor_password=monpass";
    all[n++] = "backend.monitor_interval_ms=250";
    for (int i = 0; i < nsets && i < 24; i++)
        all[n++] = sets[i];
    return it_dg_launch(d, all, n, false);
}

/* Kill every instance still running and reap it (end of program). */
static inline void it_dg_kill_all(void)
{
    for (int i = 0; i < it_ninsts; i++)
        if (it_insts[i]->pid > 0) {
            kill(it_insts[i]->pid, SIGKILL);
            waitpid(it_insts[i]->pid, NULL, 0);
            it_insts[i]->pid = 0;
        }
}

/* ---- the alarm: a case (or the whole program) ran too long --------------------------- */

static char it_alarm_msg[256]; /* the "not ok - ..." line to print then */

/* Async-signal-safe: print the line, kill our ddlgate instances, exit 1. */
static inline void it_on_alarm(int sig)
{
    (void)sig;
    ssize_t w = write(STDOUT_FILENO, it_alarm_msg, strlen(it_alarm_msg));
    (void)w;
    for (int i = 0; i < it_ninsts; i++)
        if (it_insts[i]->pid > 0)
            kill(it_insts[i]->pid, SIGKILL);
    _exit(1);
}

/* ---- case-table programs (it_client, it_stress) ---------------------------------------- */

enum it_case_result {
    CASE_FAIL = -1,
    CASE_PASS = 0,
    CASE_SKIP = 1
};

struct it_case {
    const char *name;
    int (*fn)(void);
};

/* Run the selected cases (all when argv names none), each under an alarm of
 * timeout_s: "ok - name (t s)", "ok - name # SKIP why", "not ok - name: why",
 * then "# prog: N passed, M failed[, K skipped]".  Returns the exit status. */
static inline int it_run_cases(const char *prog, const struct it_case *cases, size_t ncases,
                               int argc, char **argv, unsigned timeout_s, bool report_skips)
{
    int pass = 0, fail = 0, skip = 0;

    signal(SIGALRM, it_on_alarm);
    for (size_t i = 0; i < ncases; i++) {
        bool sel = argc <= 1;
        for (int a = 1; a < argc; a++)
            sel = sel || strcmp(argv[a], cases[i].name) == 0;
        if (!sel)
            continue;
        snprintf(it_alarm_msg, sizeof it_alarm_msg, "not ok - %s: timed out after %u s\n",
                 cases[i].name, timeout_s);
        it_reason[0] = '\0';
        double t0 = it_now_s();
        alarm(timeout_s);
        int r = cases[i].fn();
        alarm(0);
        if (r == CASE_PASS) {
            pass++;
            printf("ok - %s (%.2f s)\n", cases[i].name, it_now_s() - t0);
        } else if (r == CASE_SKIP) {
            skip++;
            printf("ok - %s # SKIP %s\n", cases[i].name, it_reason);
        } else {
            fail++;
            printf("not ok - %s: %s\n", cases[i].name, it_reason[0] ? it_reason : "failed");
        }
    }
    if (report_skips)
        printf("# %s: %d passed, %d failed, %d skipped\n", prog, pass, fail, skip);
    else
        printf("# %s: %d passed, %d failed\n", prog, pass, fail);
    return fail ? 1 : 0;
}

/* ---- check-style programs (it_admin, it_mdlqueue) ------------------------------------ */

struct it_tally {
    const char *prefix; /* printed before every check name: "admin_", "mdlq_" */
    bool verbose;       /* also print why a passing check passed */
    int pass, fail;
};

static inline bool it_vcheck(struct it_tally *t, bool cond, const char *name, const char *fmt,
                             va_list ap)
{
    char why[1536];
    vsnprintf(why, sizeof why, fmt, ap);
    if (cond) {
        t->pass++;
        printf("ok - %s%s%s%s\n", t->prefix, name, t->verbose && why[0] ? " # " : "",
               t->verbose ? why : "");
    } else {
        t->fail++;
        printf("not ok - %s%s: %s\n", t->prefix, name, why);
    }
    fflush(stdout);
    return cond;
}

/* One counted check: "ok - <prefix><name>" or "not ok - <prefix><name>: why". */
__attribute__((format(printf, 4, 5))) static inline bool
it_check(struct it_tally *t, bool cond, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool r = it_vcheck(t, cond, name, fmt, ap);
    va_end(ap);
    return r;
}

/* A setup step: silent when it works, a counted failure when it does not. */
__attribute__((format(printf, 4, 5))) static inline bool
it_require(struct it_tally *t, bool cond, const char *name, const char *fmt, ...)
{
    va_list ap;
    if (cond)
        return true;
    va_start(ap, fmt);
    it_vcheck(t, false, name, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- client shortcuts ---------------------------------------------------------------- */

/* Connect to 127.0.0.1:port with a read/write timeout of rto_s; NULL with
 * the error number in *errn (when given) and the text in err. */
static inline MYSQL *it_db_connect(unsigned port, const char *user, const char *pass,
                                   const char *db, unsigned rto_s, unsigned *errn, char *err,
                                   size_t errlen)
{
    MYSQL *m = mysql_init(NULL);
    unsigned cto = 10;
    if (errn)
        *errn = 0;
    if (!m) {
        snprintf(err, errlen, "out of memory");
        if (errn)
            *errn = 1;
        return NULL;
    }
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &cto);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rto_s);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rto_s);
    if (!mysql_real_connect(m, "127.0.0.1", user, pass, db, port, NULL, 0)) {
        snprintf(err, errlen, "connect to %u as %s: %u %s", port, user, mysql_errno(m),
                 mysql_error(m));
        if (errn)
            *errn = mysql_errno(m);
        mysql_close(m);
        return NULL;
    }
    return m;
}

/* Run a statement and discard its results; 0 or the error number, with the
 * server's message in msg ("sql: errno message" when with_sql). */
static inline unsigned it_db_exec(MYSQL *m, const char *sql, bool with_sql, char *msg,
                                  size_t msglen)
{
    msg[0] = '\0';
    if (mysql_query(m, sql) != 0) {
        if (with_sql)
            snprintf(msg, msglen, "%s: %u %s", sql, mysql_errno(m), mysql_error(m));
        else
            snprintf(msg, msglen, "%s", mysql_error(m));
        return mysql_errno(m) ? mysql_errno(m) : 1;
    }
    do {
        MYSQL_RES *r = mysql_store_result(m);
        if (r)
            mysql_free_result(r);
    } while (mysql_next_result(m) == 0);
    return 0;
}

/* First column of the first row as a number; -1 on error or no row. */
static inline long long it_db_int(MYSQL *m, const char *sql)
{
    long long v = -1;
    if (mysql_query(m, sql) != 0)
        return -1;
    MYSQL_RES *r = mysql_store_result(m);
    if (!r)
        return -1;
    MYSQL_ROW row = mysql_fetch_row(r);
    if (row && row[0])
        v = atoll(row[0]);
    mysql_free_result(r);
    return v;
}

/* ---- ddlgate's admin console ----------------------------------------------------------- */

/* The first SHOW QUEUE row it_admin_queue() matched. */
struct queue_row {
    long long id;
    char table[160];
    char state[32];
    char blockers[512];
    char statement[256];
};

/* Rows of SHOW QUEUE whose statement mentions `needle`; -1 on error. */
static inline int it_admin_queue(MYSQL *adm, const char *needle, struct queue_row *out)
{
    if (mysql_query(adm, "SHOW QUEUE") != 0)
        return -1;
    MYSQL_RES *r = mysql_store_result(adm);
    if (!r)
        return -1;
    int n = 0;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(r))) {
        if (mysql_num_fields(r) < 9 || !row[8] || (needle && !strstr(row[8], needle)))
            continue;
        if (n++ == 0 && out) {
            out->id = row[0] ? atoll(row[0]) : -1;
            snprintf(out->table, sizeof out->table, "%s", row[3] ? row[3] : "");
            snprintf(out->state, sizeof out->state, "%s", row[4] ? row[4] : "");
            snprintf(out->blockers, sizeof out->blockers, "%s", row[5] ? row[5] : "");
            snprintf(out->statement, sizeof out->statement, "%s", row[8]);
        }
    }
    mysql_free_result(r);
    return n;
}

/* A SHOW STATS counter; -1 when absent. */
static inline long long it_admin_stat(MYSQL *adm, const char *name)
{
    long long v = -1;
    if (mysql_query(adm, "SHOW STATS") != 0)
        return -1;
    MYSQL_RES *r = mysql_store_result(adm);
    if (!r)
        return -1;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(r)))
        if (row[0] && row[1] && strcmp(row[0], name) == 0)
            v = atoll(row[1]);
    mysql_free_result(r);
    return v;
}

#endif
