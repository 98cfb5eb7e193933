/* check_conf.c - configuration: key table, ini errors, secrets, validation,
 * refcounted snapshots (conf.c) */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

static char tmpdir[] = "/tmp/check_conf.XXXXXX";
static char path[512];
static char err[1024];

static void setup(void)
{
    log_set_level(LOG_ERROR);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/t.ini", tmpdir);
    err[0] = '\0';
}

static void teardown(void)
{
    char p2[600];
    unlink(path);
    snprintf(p2, sizeof(p2), "%s/secret", tmpdir);
    unlink(p2);
    rmdir(tmpdir);
    strcpy(tmpdir, "/tmp/check_conf.XXXXXX");
}

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* load text on top of defaults; returns the result, err holds the message */
static bool load(struct conf *c, const char *text)
{
    conf_defaults(c);
    write_file(path, text);
    err[0] = '\0';
    return conf_load_file(c, path, err, sizeof(err));
}

/* err must be "<path>:<line>: <msg>" */
static void assert_err(int line, const char *msg)
{
    char want[1024];
    snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
    ck_assert_str_eq(err, want);
}

START_TEST(defaults)
{
    struct conf c;
    conf_defaults(&c);
    ck_assert_str_eq(c.listen_host, "127.0.0.1");
    ck_assert_int_eq(c.listen_port, 4406);
    ck_assert_int_eq(c.workers, 0);
    ck_assert_int_eq(c.log_level, LOG_INFO);
    ck_assert_int_eq(c.max_clients, 10000);
    ck_assert_int_eq(c.handshake_timeout_ms, 10000);
    ck_assert_int_eq(c.drain_timeout_ms, 30000);
    ck_assert_int_eq(c.idle_timeout_s, 0);
    ck_assert_uint_eq(c.max_packet_size, 64u * 1024 * 1024);
    ck_assert_str_eq(c.unparsed_ddl_policy, "reject");
    ck_assert_int_eq(c.approval_minutes, 30);
    ck_assert(c.approval_once);
    ck_assert_str_eq(c.backend_host, "127.0.0.1");
    ck_assert_int_eq(c.backend_port, 3306);
    ck_assert_int_eq(c.connect_timeout_ms, 5000);
    ck_assert_int_eq(c.backend_tls, TLS_MODE_PREFERRED);
    ck_assert_int_eq(c.monitor_interval_ms, 1000);
    ck_assert_str_eq(c.admin_host, "127.0.0.1");
    ck_assert_int_eq(c.admin_port, 4407);
    ck_assert_str_eq(c.admin_user, "admin");
    ck_assert_str_eq(c.admin_password, "");
    ck_assert_uint_eq(c.table_size_limit, 10ull << 30);
    ck_assert_uint_eq(c.large_table_rows, 1000000);
    ck_assert_int_eq(c.lock_wait_timeout_s, 2);
    ck_assert_int_eq(c.ddl_queue_deadline_s, 300);
    ck_assert_int_eq(c.max_concurrent_ddl, 1);
    ck_assert(!c.kill_idle_blockers);
    ck_assert_int_eq(c.kill_idle_after_s, 60);
    ck_assert_int_eq(c.kill_wait_s, 30);
    ck_assert_int_eq(c.nrule_modes, 0);
    ck_assert_str_eq(c.path, "");
}
END_TEST

START_TEST(every_type_from_a_file)
{
    struct conf c;
    bool ok = load(&c, "; comment\n"
                       "# another\n"
                       "[ddlgate]\n"
                       "listen = 0.0.0.0:5000\n"
                       "  workers = 4   ; indented keys are keys, not continuations\n"
                       "log_level = DEBUG\n"
                       "max_packet_size = 16M\n"
                       "approval_once = no\n"
                       "unparsed_ddl_policy = pass\n"
                       "state_file = /var/lib/ddlgate/state\n"
                       "[backend]\n"
                       "address = [::1]:3307\n"
                       "tls = verify_identity\n"
                       "monitor_user = mon\n"
                       "[admin]\n"
                       "listen = off\n"
                       "[limits]\n"
                       "table_size_limit = 2GB\n"
                       "large_table_rows = 5\n"
                       "kill_idle_blockers = on\n"
                       "[rules]\n"
                       "DG001 = off\n"
                       "dg5 = queue\n");
    ck_assert_msg(ok, "%s", err);
    ck_assert_str_eq(c.listen_host, "0.0.0.0");
    ck_assert_int_eq(c.listen_port, 5000);
    ck_assert_int_eq(c.workers, 4);
    ck_assert_int_eq(c.log_level, LOG_DEBUG);
    ck_assert_uint_eq(c.max_packet_size, 16u << 20);
    ck_assert(!c.approval_once);
    ck_assert_str_eq(c.unparsed_ddl_policy, "pass");
    ck_assert_str_eq(c.state_file, "/var/lib/ddlgate/state");
    ck_assert_str_eq(c.backend_host, "::1");
    ck_assert_int_eq(c.backend_port, 3307);
    ck_assert_int_eq(c.backend_tls, TLS_MODE_VERIFY_IDENTITY);
    ck_assert_str_eq(c.monitor_user, "mon");
    ck_assert_str_eq(c.admin_host, "");
    ck_assert_int_eq(c.admin_port, 0);
    ck_assert_uint_eq(c.table_size_limit, 2ull << 30);
    ck_assert_uint_eq(c.large_table_rows, 5);
    ck_assert(c.kill_idle_blockers);
    ck_assert_int_eq(c.nrule_modes, 2);
    ck_assert_uint_eq(c.rule_modes[0].id, 1);
    ck_assert_int_eq(c.rule_modes[0].mode, RULE_OFF);
    ck_assert_uint_eq(c.rule_modes[1].id, 5);
    ck_assert_int_eq(c.rule_modes[1].mode, RULE_APPROVAL);
    ck_assert_str_eq(c.path, path);
    /* admin off, so no password is needed */
    ck_assert_msg(conf_validate(&c, err, sizeof(err)), "%s", err);
}
END_TEST

START_TEST(errors_name_file_and_line)
{
    struct conf c;

    ck_assert(!load(&c, "[ddlgate]\nworkers = 2\n\nbogus = 1\n"));
    assert_err(4, "unknown key 'bogus' in section [ddlgate]");
    ck_assert(!load(&c, "[backend]\nport = abc\n"));
    assert_err(2, "bad value 'abc' for backend.port: expected an integer 1..65535");
    ck_assert(!load(&c, "[backend]\nport = 0\n"));
    assert_err(2, "bad value '0' for backend.port: expected an integer 1..65535");
    ck_assert(!load(&c, "[backend]\nport = 65536\n"));
    assert_err(2, "bad value '65536' for backend.port: expected an integer 1..65535");
    ck_assert(!load(&c, "[backend]\nport = 33 06\n"));
    assert_err(2, "bad value '33 06' for backend.port: expected an integer 1..65535");
    ck_assert(!load(&c, "[ddlgate]\nworkers=1\n[nosuch]\n[admin]\nuser=x\n"));
    assert_err(3, "unknown section [nosuch]");
    ck_assert(!load(&c, "[ddlgate]\nworkers=1\nthis line has no equals sign\nworkers=2\n"));
    ck_assert_ptr_nonnull(strstr(err, ":3: syntax error"));
    ck_assert(!load(&c, "[ddlgate\nworkers=1\n"));
    ck_assert_ptr_nonnull(strstr(err, ":1: syntax error"));
    /* the first error is reported, not a later one */
    ck_assert(!load(&c, "[ddlgate]\nnope\nbogus=1\n"));
    ck_assert_ptr_nonnull(strstr(err, ":2: syntax error"));
    ck_assert(!load(&c, "[ddlgate]\nbogus=1\nnope\n"));
    assert_err(2, "unknown key 'bogus' in section [ddlgate]");
    ck_assert(!load(&c, "workers = 3\n"));
    assert_err(1, "key 'workers' outside of any [section]");
    ck_assert(!load(&c, "[ddlgate]\nlog_level = loud\n"));
    assert_err(2, "bad value 'loud' for ddlgate.log_level: expected one of "
                  "error|warn|info|debug|trace");
    ck_assert(!load(&c, "[backend]\ntls = maybe\n"));
    assert_err(2, "bad value 'maybe' for backend.tls: expected one of "
                  "disabled|preferred|required|verify_ca|verify_identity");
    ck_assert(!load(&c, "[ddlgate]\napproval_once = perhaps\n"));
    assert_err(2, "bad value 'perhaps' for ddlgate.approval_once: expected true|false "
                  "(also yes|no, on|off, 1|0)");
    ck_assert(!load(&c, "[ddlgate]\nunparsed_ddl_policy = allow\n"));
    assert_err(2, "bad value 'allow' for ddlgate.unparsed_ddl_policy: expected one of "
                  "reject|pass");
    ck_assert(!load(&c, "[ddlgate]\nlisten = 4406\n"));
    assert_err(2, "bad value '4406' for ddlgate.listen: expected HOST:PORT (IPv6 as "
                  "[ADDR]:PORT, port 1..65535)");
    ck_assert(!load(&c, "[rules]\nDG999 = reject\n"));
    assert_err(2, "unknown rule 'DG999' in section [rules]");
    ck_assert(!load(&c, "[rules]\nDG001 = explode\n"));
    assert_err(2, "bad value 'explode' for rules.DG001: expected "
                  "off|warn|rewrite|queue|approval|reject");
    ck_assert(load(&c, "[DDLGATE]\nWORKERS = 3\n")); /* names are case-insensitive */
    ck_assert_int_eq(c.workers, 3);
}
END_TEST

START_TEST(long_lines_and_missing_files)
{
    struct conf c;
    static char text[6000];
    char want[400];

    /* over inih's 200-byte buffer: parsed by ddlgate, value intact */
    snprintf(text, sizeof(text), "[ddlgate]\n; %0400d\nstate_file = /%0300d ; a comment\n", 0, 0);
    ck_assert_msg(load(&c, text), "%s", err);
    snprintf(want, sizeof(want), "/%0300d", 0);
    ck_assert_str_eq(c.state_file, want);
    snprintf(text, sizeof(text), "[backend]\n[%0300d]\n", 0);
    ck_assert(!load(&c, text));
    ck_assert_ptr_nonnull(strstr(err, ":2: unknown section ["));
    snprintf(text, sizeof(text), "[backend]\nhost %0300d\n", 0);
    ck_assert(!load(&c, text));
    assert_err(2, "syntax error (expected [section], key = value or a comment)");
    /* a long value past a field's size is refused by the key, on its line */
    snprintf(text, sizeof(text), "[ddlgate]\n\nstate_file = /%01100d\n", 0);
    ck_assert(!load(&c, text));
    ck_assert_ptr_nonnull(strstr(err, ":3: "));
    snprintf(text, sizeof(text), "[ddlgate]\nstate_file = /%05000d\n", 0);
    ck_assert(!load(&c, text));
    ck_assert_ptr_nonnull(strstr(err, ":2: line too long (max 4096 bytes)"));
    /* a key set twice is a mistake, not "last one wins" */
    ck_assert(!load(&c, "[backend]\nport = 3310\n[ddlgate]\n[backend]\nPORT = 3311\n"));
    assert_err(5, "key 'PORT' in section [backend] is set twice (first on line 2)");
    ck_assert(!load(&c, "[rules]\nDG016 = off\nDG005 = warn\nDG016 = warn\n"));
    assert_err(4, "key 'DG016' in section [rules] is set twice (first on line 2)");
    ck_assert(!load(&c, "[rules]\ndg1 = off\nnot-null-column-without-default = warn\n"));
    assert_err(3, "key 'not-null-column-without-default' in section [rules] is set twice (first "
                  "on line 2)");
    conf_defaults(&c);
    ck_assert(!conf_load_file(&c, "/nonexistent/ddlgate.ini", err, sizeof(err)));
    ck_assert_str_eq(err, "/nonexistent/ddlgate.ini: cannot open: No such file or directory");
    /* empty file and CRLF line endings are fine */
    ck_assert(load(&c, ""));
    ck_assert(load(&c, "[backend]\r\nport = 3310\r\n"));
    ck_assert_int_eq(c.backend_port, 3310);
}
END_TEST

START_TEST(sizes_and_numbers)
{
    static const struct {
        const char *v;
        bool ok;
        uint64_t want;
    } cases[] = {
        {"0", true, 0},
        {"1024", true, 1024},
        {"1K", true, 1024},
        {"1k", true, 1024},
        {"2M", true, 2u << 20},
        {"3G", true, 3ull << 30},
        {"10GB", true, 10ull << 30},
        {"1T", true, 1ull << 40},
        {"", false, 0},
        {"G", false, 0},
        {"5X", false, 0},
        {"-1", false, 0},
        {"1.5G", false, 0},
        {"1GG", false, 0},
        {"99999999999999T", false, 0},
        {"18446744073709551616", false, 0},
    };
    struct conf c;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        conf_defaults(&c);
        bool ok = conf_set(&c, "limits", "table_size_limit", cases[i].v, err, sizeof(err));
        ck_assert_msg(ok == cases[i].ok, "%s: %s", cases[i].v, err);
        if (ok)
            ck_assert_uint_eq(c.table_size_limit, cases[i].want);
    }
    /* bounds per key: max_packet_size is 1K..1G */
    ck_assert(!conf_set(&c, "ddlgate", "max_packet_size", "2G", err, sizeof(err)));
    ck_assert(!conf_set(&c, "ddlgate", "max_packet_size", "100", err, sizeof(err)));
    ck_assert(conf_set(&c, "ddlgate", "max_packet_size", "64K", err, sizeof(err)));
    ck_assert_uint_eq(c.max_packet_size, 65536);
    ck_assert(!conf_set(&c, "ddlgate", "max_clients", "0", err, sizeof(err)));
    ck_assert(!conf_set(&c, "ddlgate", "max_clients", "99999999999", err, sizeof(err)));
    ck_assert(!conf_set(&c, "ddlgate", "workers", "-1", err, sizeof(err)));
    ck_assert(!conf_set(&c, "limits", "large_table_rows", "-1", err, sizeof(err)));
}
END_TEST

START_TEST(hostport)
{
    char host[256];
    int port = 0;

    ck_assert(conf_parse_hostport("127.0.0.1:4406", host, sizeof(host), &port));
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_int_eq(port, 4406);
    ck_assert(conf_parse_hostport("[::1]:1", host, sizeof(host), &port));
    ck_assert_str_eq(host, "::1");
    ck_assert_int_eq(port, 1);
    ck_assert(conf_parse_hostport("db.example.com:65535", host, sizeof(host), &port));
    ck_assert_str_eq(host, "db.example.com");
    ck_assert(!conf_parse_hostport("::1:4406", host, sizeof(host), &port));
    ck_assert(!conf_parse_hostport("host:", host, sizeof(host), &port));
    ck_assert(!conf_parse_hostport(":4406", host, sizeof(host), &port));
    ck_assert(!conf_parse_hostport("host:0", host, sizeof(host), &port));
    ck_assert(!conf_parse_hostport("host:65536", host, sizeof(host), &port));
    ck_assert(!conf_parse_hostport("host", host, sizeof(host), &port));
    ck_assert(!conf_parse_hostport("[::1]4406", host, sizeof(host), &port));
    ck_assert(!conf_parse_hostport("[]:4406", host, sizeof(host), &port));
    ck_assert(!conf_parse_hostport("a b:1", host, sizeof(host), &port));
    ck_assert(!conf_parse_hostport("abcdef:1", host, 4, &port)); /* too long for host */
}
END_TEST

START_TEST(set_style)
{
    struct conf c;

    conf_defaults(&c);
    ck_assert_msg(conf_set_kv(&c, "backend.port=3307", err, sizeof(err)), "%s", err);
    ck_assert_int_eq(c.backend_port, 3307);
    ck_assert(conf_set_kv(&c, " backend.address = 10.1.2.3:3310 ", err, sizeof(err)));
    ck_assert_str_eq(c.backend_host, "10.1.2.3");
    ck_assert_int_eq(c.backend_port, 3310);
    ck_assert(conf_set_kv(&c, "admin.listen=off", err, sizeof(err)));
    ck_assert_str_eq(c.admin_host, "");
    ck_assert(conf_set_kv(&c, "admin.listen=", err, sizeof(err)));
    ck_assert(conf_set_kv(&c, "rules.DG005=reject", err, sizeof(err)));
    ck_assert_int_eq(c.nrule_modes, 1);
    ck_assert(conf_set_kv(&c, "admin.password=a=b", err, sizeof(err))); /* first '=' splits */
    ck_assert_str_eq(c.admin_password, "a=b");
    ck_assert(!conf_set_kv(&c, "backend.port=x", err, sizeof(err)));
    ck_assert_str_eq(err, "bad value 'x' for backend.port: expected an integer 1..65535");
    ck_assert(!conf_set_kv(&c, "port=1", err, sizeof(err)));
    ck_assert_str_eq(err, "expected section.key=value, got 'port=1'");
    ck_assert(!conf_set_kv(&c, "backend.port", err, sizeof(err)));
    ck_assert(!conf_set_kv(&c, ".port=1", err, sizeof(err)));
    ck_assert(!conf_set_kv(&c, "backend.=1", err, sizeof(err)));
    ck_assert(!conf_set_kv(&c, "nosuch.key=1", err, sizeof(err)));
    ck_assert_str_eq(err, "unknown section [nosuch]");
    ck_assert(!conf_set_kv(&c, "backend.nokey=1", err, sizeof(err)));
    ck_assert_str_eq(err, "unknown key 'nokey' in section [backend]");
}
END_TEST

START_TEST(secrets)
{
    struct conf c;
    char out[16], sp[600], spec[700], sec[64], key[64], val[64];
    bool reload;

    ck_assert(conf_resolve_secret("plain", out, sizeof(out), err, sizeof(err)));
    ck_assert_str_eq(out, "plain");
    setenv("CHECK_CONF_SECRET", "s3cret", 1);
    ck_assert(conf_resolve_secret("env:CHECK_CONF_SECRET", out, sizeof(out), err, sizeof(err)));
    ck_assert_str_eq(out, "s3cret");
    unsetenv("CHECK_CONF_UNSET");
    ck_assert(!conf_resolve_secret("env:CHECK_CONF_UNSET", out, sizeof(out), err, sizeof(err)));
    ck_assert_str_eq(err, "environment variable CHECK_CONF_UNSET is not set");
    ck_assert(!conf_resolve_secret("env:", out, sizeof(out), err, sizeof(err)));
    snprintf(sp, sizeof(sp), "%s/secret", tmpdir);
    write_file(sp, "filepass\r\nsecond line\n");
    snprintf(spec, sizeof(spec), "file:%s", sp);
    ck_assert_msg(conf_resolve_secret(spec, out, sizeof(out), err, sizeof(err)), "%s", err);
    ck_assert_str_eq(out, "filepass");
    write_file(sp, "nonewline");
    ck_assert(conf_resolve_secret(spec, out, sizeof(out), err, sizeof(err)));
    ck_assert_str_eq(out, "nonewline");
    write_file(sp, "this-is-much-too-long-for-16\n");
    ck_assert(!conf_resolve_secret(spec, out, sizeof(out), err, sizeof(err)));
    ck_assert_ptr_null(strstr(err, "this-is")); /* never echoed */
    ck_assert(!conf_resolve_secret("file:/dev/null", out, sizeof(out), err, sizeof(err)));
    ck_assert_str_eq(err, "secret file /dev/null is not a regular file");
    snprintf(spec, sizeof(spec), "file:%s", tmpdir);
    ck_assert(!conf_resolve_secret(spec, out, sizeof(out), err, sizeof(err)));
    ck_assert(!conf_resolve_secret("file:/nonexistent/x", out, sizeof(out), err, sizeof(err)));
    ck_assert_str_eq(err, "cannot read secret file /nonexistent/x: No such file or directory");

    /* through the config: resolved value stored, shown as *** */
    ck_assert(load(&c, "[admin]\npassword = env:CHECK_CONF_SECRET\n"
                       "[backend]\nmonitor_password = hunter2\n"));
    ck_assert_str_eq(c.admin_password, "s3cret");
    ck_assert_str_eq(c.monitor_password, "hunter2");
    for (int i = 0; i < conf_key_count(); i++) {
        ck_assert(
            conf_key_at(&c, i, sec, sizeof(sec), key, sizeof(key), val, sizeof(val), &reload));
        ck_assert_ptr_null(strstr(val, "s3cret"));
        ck_assert_ptr_null(strstr(val, "hunter2"));
        if (strcmp(key, "password") == 0 || strcmp(key, "monitor_password") == 0)
            ck_assert_str_eq(val, "***");
    }
    ck_assert(!load(&c, "[admin]\npassword = env:CHECK_CONF_UNSET\n"));
    assert_err(2, "bad value for admin.password: environment variable CHECK_CONF_UNSET is "
                  "not set");
    memset(sp, 'x', 299);
    sp[299] = '\0';
    conf_defaults(&c);
    ck_assert(!conf_set(&c, "admin", "password", sp, err, sizeof(err)));
    ck_assert_ptr_null(strstr(err, "xxxx"));
}
END_TEST

START_TEST(validate)
{
    struct conf c;

    conf_defaults(&c);
    ck_assert(!conf_validate(&c, err, sizeof(err)));
    ck_assert_str_eq(err, "admin.password is required when the admin port is enabled "
                          "(set it or admin.listen = off)");
    strcpy(c.admin_password, "pw");
    ck_assert_msg(conf_validate(&c, err, sizeof(err)), "%s", err);
    ck_assert(conf_set(&c, "admin", "listen", "0.0.0.0:4407", err, sizeof(err)));
    ck_assert(!conf_validate(&c, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "not a loopback address"));
    strcpy(c.client_tls_cert, "/c.pem");
    ck_assert(!conf_validate(&c, err, sizeof(err)));
    ck_assert_str_eq(err, "client_tls.cert and client_tls.key must be set together");
    strcpy(c.client_tls_key, "/k.pem");
    ck_assert_msg(conf_validate(&c, err, sizeof(err)), "%s", err);
    c.client_tls_cert[0] = c.client_tls_key[0] = '\0';
    ck_assert(conf_set(&c, "admin", "listen", "[::1]:4407", err, sizeof(err)));
    ck_assert(conf_validate(&c, err, sizeof(err)));
    c.require_client_tls = true;
    ck_assert(!conf_validate(&c, err, sizeof(err)));
    ck_assert_str_eq(err, "client_tls.require needs client_tls.cert and client_tls.key");
    c.require_client_tls = false;
    strcpy(c.backend_tls_cert, "/b.pem");
    ck_assert(!conf_validate(&c, err, sizeof(err)));
    c.backend_tls_cert[0] = '\0';
    ck_assert(conf_set(&c, "admin", "listen", "127.0.0.1:4406", err, sizeof(err)));
    ck_assert(!conf_validate(&c, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "same address"));
    ck_assert(conf_set(&c, "admin", "listen", "off", err, sizeof(err)));
    c.admin_password[0] = '\0';
    ck_assert(conf_validate(&c, err, sizeof(err)));
}
END_TEST

START_TEST(show_config_round_trips)
{
    struct conf a, b;
    char sec[64], key[64], val[1200], val2[1200];
    bool reload;
    int n = conf_key_count();

    ck_assert_int_gt(n, 30);
    conf_defaults(&a);
    ck_assert(conf_set_kv(&a, "backend.tls=verify_ca", err, sizeof(err)));
    ck_assert(conf_set_kv(&a, "ddlgate.listen=[::]:1234", err, sizeof(err)));
    ck_assert(conf_set_kv(&a, "limits.table_size_limit=3G", err, sizeof(err)));
    /* every key's shown value is accepted back and shows the same */
    for (int i = 0; i < n; i++) {
        ck_assert(
            conf_key_at(&a, i, sec, sizeof(sec), key, sizeof(key), val, sizeof(val), &reload));
        if (strcmp(val, "***") == 0)
            continue;
        conf_defaults(&b);
        ck_assert_msg(conf_set(&b, sec, key, val, err, sizeof(err)), "%s.%s=%s: %s", sec, key, val,
                      err);
        ck_assert(conf_key_at(&b, i, sec, sizeof(sec), key, sizeof(key), val2, sizeof(val2), NULL));
        ck_assert_str_eq(val, val2);
    }
    ck_assert(!conf_key_at(&a, n, sec, sizeof(sec), key, sizeof(key), val, sizeof(val), NULL));
    ck_assert(!conf_key_at(&a, -1, sec, sizeof(sec), key, sizeof(key), val, sizeof(val), NULL));
    /* listen is not reloadable, max_clients is */
    conf_defaults(&b);
    ck_assert_int_eq(conf_restart_needed(&a, &b, val, sizeof(val)), 1);
    ck_assert_str_eq(val, "ddlgate.listen");
    b.max_clients = 5;
    ck_assert(conf_set_kv(&b, "ddlgate.workers=3", err, sizeof(err)));
    ck_assert(conf_set_kv(&b, "ddlgate.listen=[::]:1234", err, sizeof(err)));
    ck_assert_int_eq(conf_restart_needed(&a, &b, val, sizeof(val)), 1);
    ck_assert_str_eq(val, "ddlgate.workers");
}
END_TEST

START_TEST(sample_config_works_as_is)
{
    struct conf c;
    const char *sample = DDLGATE_SOURCE_DIR "/conf/ddlgate.ini";

    conf_defaults(&c);
    ck_assert_msg(conf_load_file(&c, sample, err, sizeof(err)), "%s", err);
    ck_assert_msg(conf_validate(&c, err, sizeof(err)), "%s", err);
    ck_assert_str_eq(c.listen_host, "127.0.0.1");
    ck_assert_int_eq(c.listen_port, 4406);
    ck_assert_int_eq(c.backend_port, 3306);
    ck_assert_int_eq(c.admin_port, 4407);
    ck_assert_str_eq(c.admin_password, "change-me");
}
END_TEST

START_TEST(rules_from_the_config)
{
    struct conf c;

    conf_defaults(&c);
    ck_assert(conf_set_kv(&c, "rules.DG005=reject", err, sizeof(err)));
    ck_assert(conf_set_kv(&c, "rules.drop-column=off", err, sizeof(err)));
    ck_assert_int_eq(conf_rule_mode(&c, 5), RULE_REJECT);
    ck_assert_int_eq(conf_rule_mode(&c, 6), RULE_OFF);
    ck_assert_int_eq(conf_rule_mode(&c, 7), rules_find(7)->default_mode);
    /* an admin override is dropped by applying the configuration again */
    ck_assert(rules_set_mode(7, RULE_OFF, NULL, NULL));
    ck_assert(rules_set_mode(7, RULE_OFF, "s", "t"));
    conf_apply_rules(&c);
    ck_assert_int_eq(rules_mode(5, NULL, NULL), RULE_REJECT);
    ck_assert_int_eq(rules_mode(6, NULL, NULL), RULE_OFF);
    ck_assert_int_eq(rules_mode(7, NULL, NULL), rules_find(7)->default_mode);
    ck_assert_int_eq(rules_mode(7, "s", "t"), rules_find(7)->default_mode);
    conf_defaults(&c);
    conf_apply_rules(&c);
    ck_assert_int_eq(rules_mode(5, NULL, NULL), rules_find(5)->default_mode);
}
END_TEST

START_TEST(reload_failure_keeps_the_old_one)
{
    struct conf *good = malloc(sizeof(*good)), *bad = malloc(sizeof(*bad));
    const struct conf *r1, *r2;

    ck_assert(load(good, "[backend]\nport = 3311\n"));
    conf_swap(good);
    r1 = conf_acquire();
    ck_assert_int_eq(r1->backend_port, 3311);
    /* a reload parses into a fresh struct and swaps only on success */
    ck_assert(!load(bad, "[backend]\nport = 3312\nbogus = 1\n"));
    free(bad);
    r2 = conf_acquire();
    ck_assert_ptr_eq(r1, r2);
    ck_assert_int_eq(r2->backend_port, 3311);
    conf_release(r2);
    /* a successful swap: readers holding the old one keep a valid copy */
    good = malloc(sizeof(*good));
    ck_assert(load(good, "[backend]\nport = 3313\n"));
    conf_swap(good);
    ck_assert_int_eq(r1->backend_port, 3311); /* ASan would flag a freed snapshot */
    conf_release(r1);
    r2 = conf_acquire();
    ck_assert_int_eq(r2->backend_port, 3313);
    conf_release(r2);
}
END_TEST

static atomic_int stop_readers;

static void *reader(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200000 && !stop_readers; i++) {
        const struct conf *c = conf_acquire();
        if (c->backend_port < 3000 || c->backend_port > 5000)
            abort();
        conf_release(c);
    }
    return NULL;
}

START_TEST(concurrent_swaps)
{
    pthread_t t[3];

    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, NULL), 0);
    for (int i = 0; i < 2000; i++) {
        struct conf *c = malloc(sizeof(*c));
        conf_defaults(c);
        c->backend_port = 3000 + i;
        conf_swap(c);
    }
    stop_readers = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, every_type_from_a_file);
    tcase_add_test(tc, errors_name_file_and_line);
    tcase_add_test(tc, long_lines_and_missing_files);
    tcase_add_test(tc, sizes_and_numbers);
    tcase_add_test(tc, hostport);
    tcase_add_test(tc, set_style);
    tcase_add_test(tc, secrets);
    tcase_add_test(tc, validate);
    tcase_add_test(tc, show_config_round_trips);
    tcase_add_test(tc, sample_config_works_as_is);
    tcase_add_test(tc, rules_from_the_config);
    tcase_add_test(tc, reload_failure_keeps_the_old_one);
    tcase_add_test(tc, concurrent_swaps);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
