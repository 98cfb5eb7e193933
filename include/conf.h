/*
 * conf.h - ddlgate's configuration: one struct, filled from built-in
 * defaults, then the ini file (inih), then command-line overrides.
 *
 * The running configuration is never edited in place: a reload parses into a
 * fresh struct conf, validates it, and only then swaps it in (conf_swap), so
 * a broken file leaves the running one untouched.  Readers on worker threads
 * take a reference with conf_acquire()/conf_release().
 */
#ifndef DDLGATE_CONF_H
#define DDLGATE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

enum tls_mode {
    TLS_MODE_DISABLED = 0,
    TLS_MODE_PREFERRED,
    TLS_MODE_REQUIRED,
    TLS_MODE_VERIFY_CA,
    TLS_MODE_VERIFY_IDENTITY,
};

/* [backend] compression: the ddlgate<->backend leg, independent of what
 * each client uses on its own leg */
enum backend_compression {
    BCOMP_OFF = 0,
    BCOMP_ZLIB, /* CLIENT_COMPRESS, when the server offers it */
    BCOMP_ZSTD, /* CLIENT_ZSTD_COMPRESSION_ALGORITHM, when offered */
    BCOMP_AUTO, /* zstd if offered, else zlib if offered */
};

/* [admin] auth_plugin: the plugin the admin console names in its greeting
 * (and in an AuthSwitchRequest); both are always accepted (see admin.h) */
enum admin_auth_plugin {
    ADMIN_AUTH_CACHING_SHA2 = 0, /* caching_sha2_password, MySQL 8's default */
    ADMIN_AUTH_NATIVE,           /* mysql_native_password */
};

enum log_level {
    LOG_ERROR = 0,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG,
    LOG_TRACE
};

struct conf {
    /* [ddlgate] */
    char listen_host[256];
    int listen_port;
    int workers; /* 0 = number of cores */
    enum log_level log_level;
    char state_file[1024]; /* "" = no state file */
    int max_clients;
    int handshake_timeout_ms;     /* slow-loris guard */
    int drain_timeout_ms;         /* SIGTERM: let statements finish */
    int idle_timeout_s;           /* 0 = none */
    size_t max_packet_size;       /* client packets above this close the client */
    char unparsed_ddl_policy[16]; /* "reject" (DG900) or "pass" */
    int approval_minutes;         /* default APPROVE window */
    bool approval_once;           /* approvals are used once (else window) */

    /* [backend] */
    char backend_host[256];
    int backend_port;
    int connect_timeout_ms;
    enum tls_mode backend_tls;
    int backend_compression; /* enum backend_compression */
    char backend_tls_ca[1024];
    char backend_tls_cert[1024];
    char backend_tls_key[1024];
    char monitor_user[128];
    char monitor_password[256]; /* resolved secret; never logged */
    int monitor_interval_ms;

    /* [client_tls] */
    char client_tls_cert[1024];
    char client_tls_key[1024];
    char client_tls_ca[1024];
    bool require_client_tls;

    /* [admin] */
    char admin_host[256]; /* "" = admin port disabled */
    int admin_port;
    char admin_user[128];
    char admin_password[256];                 /* resolved secret; never logged */
    bool admin_listen_explicit;               /* admin.listen came from the file or --set */
    enum admin_auth_plugin admin_auth_plugin; /* named in the greeting */
    int admin_max_connections;                /* admin sockets open at once, logged in or not */

    /* [limits] */
    uint64_t table_size_limit; /* bytes: DG004 */
    uint64_t large_table_rows; /* DG008/DG081 "large table" */
    int lock_wait_timeout_s;   /* short MDL attempts (queue) */
    int ddl_queue_deadline_s;
    int max_concurrent_ddl;
    bool kill_idle_blockers;
    int kill_idle_after_s;
    int kill_wait_s;
    int long_transaction_s; /* DG031: a blocker's transaction open this long is "long" */
    int ddl_fence_max_ms;   /* a DDL that is not INSTANT keeps its fence this long at most */

    /* [rules]: DGnnn = mode, the configured default for each rule */
    int nrule_modes;
    struct {
        uint16_t id;
        enum rule_mode mode;
    } rule_modes[128];

    /* where it came from, for SHOW CONFIG and reload */
    char path[1024]; /* "" = built-in defaults only */
};

/* Fill built-in defaults (these alone make a working proxy). */
void conf_defaults(struct conf *c);
/* Parse an ini file on top of *c.  On error returns false and writes
 * "file:line: what is wrong" into err. */
bool conf_load_file(struct conf *c, const char *path, char *err, size_t errlen);
/* Apply "section.key=value" (from --set) or section/key/value. */
bool conf_set(struct conf *c, const char *section, const char *key, const char *value, char *err,
              size_t errlen);
bool conf_set_kv(struct conf *c, const char *assignment, char *err, size_t errlen);
/* Cross-field checks (admin password present, TLS on non-loopback admin...). */
bool conf_validate(const struct conf *c, char *err, size_t errlen);
/* "HOST:PORT" -> host/port (IPv6 in brackets). */
bool conf_parse_hostport(const char *s, char *host, size_t hostlen, int *port);
/* Iterate keys for SHOW CONFIG; secrets are shown as "***". */
int conf_key_count(void);
bool conf_key_at(const struct conf *c, int i, char *section, size_t slen, char *key, size_t klen,
                 char *value, size_t vlen, bool *reloadable);
/* Added (compatible): how many non-reloadable keys differ between the
 * running conf and a freshly parsed one; their "section.key" names go to
 * names (comma separated).  RELOAD logs them as "needs a restart". */
int conf_restart_needed(const struct conf *old, const struct conf *nc, char *names, size_t len);
/* Added (compatible): the mode the configuration gives rule id (its
 * [rules] entry, else the rule's built-in default). */
enum rule_mode conf_rule_mode(const struct conf *c, uint16_t id);
/* Added (compatible): make the rule modes in force those of c: drops every
 * runtime override (rules_reset) and applies c's [rules].  Call at start and
 * after a RELOAD swap, then statefile_load() to re-apply admin changes. */
void conf_apply_rules(const struct conf *c);
/* Resolve "env:NAME", "file:/path" or a literal into out. */
bool conf_resolve_secret(const char *spec, char *out, size_t outlen, char *err, size_t errlen);

/* Shared running configuration (refcounted snapshots). */
const struct conf *conf_acquire(void);
void conf_release(const struct conf *c);
/* Install c (malloc'ed, ownership passes) as the running configuration. */
void conf_swap(struct conf *c);

#endif
