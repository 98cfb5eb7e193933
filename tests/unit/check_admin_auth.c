/*
 * check_admin_auth.c - the admin console's login (admin.c's auth part):
 *  - token vectors for mysql_native_password and caching_sha2_password,
 *    computed independently with Python's hashlib (formulas beside them);
 *  - wrong passwords, nonces, lengths, single flipped bits, empty tokens
 *    are refused;
 *  - the plugin choice (which plugin to verify, when to switch);
 *  - replays of real transcripts: a libmariadb 3.3.20 `mariadb` client
 *    logging in to ddlgate, recorded byte for byte with a TCP relay, for
 *    both greetings and each client default (the same plugin, the other
 *    one, an unknown one).  The client's tokens were computed by
 *    libmariadb's own plugins; ddlgate's answers must match what it sent;
 *  - the [admin] auth_plugin key (default, values, file:line errors).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "handshake.h"
#include "pkt.h"

/* admin.c calls it for RELOAD; main.c defines it in the daemon */
bool ddlgate_reload(char *err, size_t errlen)
{
    snprintf(err, errlen, "not in this test");
    return false;
}

/* hex -> bytes; returns the length */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    ck_assert_msg(strlen(hex) % 2 == 0 && n <= cap, "bad hex constant (%zu chars)", strlen(hex));
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert(sscanf(hex + 2 * i, "%2x", &v) == 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static const char *tohex(const uint8_t *p, size_t n)
{
    static char buf[2 * 600 + 1];
    size_t i;
    for (i = 0; i < n && i < 600; i++)
        snprintf(buf + 2 * i, 3, "%02x", p[i]);
    buf[2 * i] = '\0';
    return buf;
}

/* ---- token vectors ----------------------------------------------------------
 * Computed with:
 *   python3 -c 'import hashlib
 *   H1=lambda b: hashlib.sha1(b).digest(); H2=lambda b: hashlib.sha256(b).digest()
 *   x=lambda a,b: bytes(i^j for i,j in zip(a,b))
 *   native=lambda pw,n: x(H1(pw), H1(n + H1(H1(pw))))        # nonce first
 *   sha2=lambda pw,n: x(H2(pw), H2(H2(H2(pw)) + n))          # nonce last
 *   ...'
 * N1 = b"0123456789abcdefghij", N2 = bytes.fromhex("017f2030...1e2f3a"),
 * the second password is UTF-8 "pässwörd with spaces". */
#define N1 "303132333435363738396162636465666768696a"
#define N2 "017f20304152637405162738495a6b7c0d1e2f3a"
#define PW_UTF8 "p\xc3\xa4ssw\xc3\xb6rd with spaces"

static const struct {
    const char *pw, *nonce, *native, *sha2;
} vectors[] = {
    {"s3cret", N1, "714e266755489c6c1ec8b62d32d3438489aaf42c",
     "b4e44a5ad3e00e792689879f9e96e7b673cccd90abdfc071692d5225e441d237"},
    {"s3cret", N2, "37f4861277a413b8e1f76c0fbe5da1b7e1236b80",
     "637ab43d66346aacecd5e54a7775ac216008837ea002e724fcd36ccf8b60a06f"},
    {PW_UTF8, N1, "3c03788bab5be0c1be509378c4e9b020be7ff28f",
     "825c8e18cc6c21620146cda4f3e5738aaa44a50fe880cfc926e0e8f3d04242b6"},
    {PW_UTF8, N2, "3fbf0b046d97ada85ecdcd329ec458bb7a671794",
     "adb5714ab9ca38383e41fcf73645746f58998e1e7c91692f86f3194b4f869757"},
};
#define NVEC (sizeof(vectors) / sizeof(vectors[0]))

START_TEST(native_vectors)
{
    for (size_t i = 0; i < NVEC; i++) {
        uint8_t nonce[20], want[20], got[20];
        unhex(vectors[i].nonce, nonce, sizeof(nonce));
        unhex(vectors[i].native, want, sizeof(want));
        admin_native_token(vectors[i].pw, nonce, got);
        ck_assert_msg(memcmp(got, want, 20) == 0, "vector %zu: got %s", i, tohex(got, 20));
        ck_assert(admin_native_check(vectors[i].pw, nonce, want, 20));
        ck_assert(admin_auth_check(ADMIN_AUTH_NATIVE, vectors[i].pw, nonce, want, 20));
        /* the same bytes are no caching_sha2 answer */
        ck_assert(!admin_auth_check(ADMIN_AUTH_CACHING_SHA2, vectors[i].pw, nonce, want, 20));
    }
}
END_TEST

START_TEST(sha2_vectors)
{
    for (size_t i = 0; i < NVEC; i++) {
        uint8_t nonce[20], want[32], got[32];
        unhex(vectors[i].nonce, nonce, sizeof(nonce));
        unhex(vectors[i].sha2, want, sizeof(want));
        admin_sha2_token(vectors[i].pw, nonce, got);
        ck_assert_msg(memcmp(got, want, 32) == 0, "vector %zu: got %s", i, tohex(got, 32));
        ck_assert(admin_sha2_check(vectors[i].pw, nonce, want, 32));
        ck_assert(admin_auth_check(ADMIN_AUTH_CACHING_SHA2, vectors[i].pw, nonce, want, 32));
        ck_assert(!admin_auth_check(ADMIN_AUTH_NATIVE, vectors[i].pw, nonce, want, 32));
        ck_assert(!admin_auth_check(ADMIN_AUTH_NATIVE, vectors[i].pw, nonce, want, 20));
    }
}
END_TEST

/* Everything that is not exactly the right token is refused. */
START_TEST(wrong_tokens_refused)
{
    uint8_t n1[20], n2[20], sha2[32], native[20], buf[64];
    unhex(N1, n1, sizeof(n1));
    unhex(N2, n2, sizeof(n2));
    unhex(vectors[0].sha2, sha2, sizeof(sha2)); /* s3cret, N1 */
    unhex(vectors[0].native, native, sizeof(native));

    /* wrong password, wrong nonce */
    ck_assert(!admin_sha2_check("s3creT", n1, sha2, 32));
    ck_assert(!admin_sha2_check("s3cret ", n1, sha2, 32));
    ck_assert(!admin_sha2_check("s3cret", n2, sha2, 32));
    ck_assert(!admin_native_check("s3creT", n1, native, 20));
    ck_assert(!admin_native_check("s3cret", n2, native, 20));
    /* wrong lengths: cut, padded, empty, the 1-byte NUL some clients send */
    memcpy(buf, sha2, 32);
    buf[32] = 0;
    for (size_t len = 0; len <= 33; len++)
        if (len != 32)
            ck_assert_msg(!admin_sha2_check("s3cret", n1, buf, len), "sha2 length %zu", len);
    memcpy(buf, native, 20);
    buf[20] = 0;
    for (size_t len = 0; len <= 21; len++)
        if (len != 20)
            ck_assert_msg(!admin_native_check("s3cret", n1, buf, len), "native length %zu", len);
    ck_assert(!admin_sha2_check("s3cret", n1, (const uint8_t *)"", 0));
    ck_assert(!admin_sha2_check("s3cret", n1, (const uint8_t *)"\0", 1));
    /* every single flipped bit */
    for (int bit = 0; bit < 32 * 8; bit++) {
        memcpy(buf, sha2, 32);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_msg(!admin_sha2_check("s3cret", n1, buf, 32), "sha2 bit %d", bit);
    }
    for (int bit = 0; bit < 20 * 8; bit++) {
        memcpy(buf, native, 20);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_msg(!admin_native_check("s3cret", n1, buf, 20), "native bit %d", bit);
    }
    /* an empty configured password matches nothing, not even its own token */
    admin_sha2_token("", n1, buf);
    ck_assert(!admin_sha2_check("", n1, buf, 32));
    ck_assert(!admin_sha2_check("", n1, (const uint8_t *)"", 0));
    admin_native_token("", n1, buf);
    ck_assert(!admin_native_check("", n1, buf, 20));
}
END_TEST

START_TEST(plugin_choice)
{
    enum admin_auth_plugin p;
    static const struct {
        const char *name; /* NULL: CLIENT_PLUGIN_AUTH off */
        size_t token_len;
        enum admin_auth_plugin greeted;
        enum admin_auth_step step;
        enum admin_auth_plugin want;
    } cases[] = {
        /* the greeting's own plugin: verify, even an empty token (refused then) */
        {"caching_sha2_password", 32, ADMIN_AUTH_CACHING_SHA2, ADMIN_AUTH_VERIFY,
         ADMIN_AUTH_CACHING_SHA2},
        {"caching_sha2_password", 0, ADMIN_AUTH_CACHING_SHA2, ADMIN_AUTH_VERIFY,
         ADMIN_AUTH_CACHING_SHA2},
        {"mysql_native_password", 20, ADMIN_AUTH_NATIVE, ADMIN_AUTH_VERIFY, ADMIN_AUTH_NATIVE},
        {"mysql_native_password", 0, ADMIN_AUTH_NATIVE, ADMIN_AUTH_VERIFY, ADMIN_AUTH_NATIVE},
        /* the other plugin with a token (computed over the greeting's nonce) */
        {"mysql_native_password", 20, ADMIN_AUTH_CACHING_SHA2, ADMIN_AUTH_VERIFY,
         ADMIN_AUTH_NATIVE},
        {"caching_sha2_password", 32, ADMIN_AUTH_NATIVE, ADMIN_AUTH_VERIFY,
         ADMIN_AUTH_CACHING_SHA2},
        /* the other plugin without one: the client waits for its nonce */
        {"mysql_native_password", 0, ADMIN_AUTH_CACHING_SHA2, ADMIN_AUTH_SWITCH, ADMIN_AUTH_NATIVE},
        {"caching_sha2_password", 0, ADMIN_AUTH_NATIVE, ADMIN_AUTH_SWITCH, ADMIN_AUTH_CACHING_SHA2},
        /* no plugin name: a 4.1 client, native */
        {NULL, 20, ADMIN_AUTH_CACHING_SHA2, ADMIN_AUTH_VERIFY, ADMIN_AUTH_NATIVE},
        {NULL, 0, ADMIN_AUTH_NATIVE, ADMIN_AUTH_VERIFY, ADMIN_AUTH_NATIVE},
        /* anything else: switch to the greeting's plugin */
        {"client_ed25519", 0, ADMIN_AUTH_CACHING_SHA2, ADMIN_AUTH_SWITCH, ADMIN_AUTH_CACHING_SHA2},
        {"client_ed25519", 64, ADMIN_AUTH_NATIVE, ADMIN_AUTH_SWITCH, ADMIN_AUTH_NATIVE},
        {"sha256_password", 20, ADMIN_AUTH_NATIVE, ADMIN_AUTH_SWITCH, ADMIN_AUTH_NATIVE},
        {"dialog", 0, ADMIN_AUTH_CACHING_SHA2, ADMIN_AUTH_SWITCH, ADMIN_AUTH_CACHING_SHA2},
        {"", 0, ADMIN_AUTH_CACHING_SHA2, ADMIN_AUTH_SWITCH, ADMIN_AUTH_CACHING_SHA2},
        {"caching_sha2_passwor", 32, ADMIN_AUTH_NATIVE, ADMIN_AUTH_SWITCH, ADMIN_AUTH_NATIVE},
        {"MYSQL_NATIVE_PASSWORD", 20, ADMIN_AUTH_CACHING_SHA2, ADMIN_AUTH_SWITCH,
         ADMIN_AUTH_CACHING_SHA2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *n = cases[i].name;
        enum admin_auth_step st = admin_auth_first_step((const uint8_t *)n, n ? strlen(n) : 0,
                                                        cases[i].token_len, cases[i].greeted, &p);
        ck_assert_msg(st == cases[i].step && p == cases[i].want, "case %zu (%s, %zu): %d %d", i,
                      n ? n : "NULL", cases[i].token_len, st, p);
    }
    /* a name with a trailing byte is not the name */
    ck_assert(!admin_auth_plugin_from((const uint8_t *)"mysql_native_password\0", 22, &p));
    ck_assert_str_eq(admin_auth_plugin_name(ADMIN_AUTH_CACHING_SHA2), "caching_sha2_password");
    ck_assert_str_eq(admin_auth_plugin_name(ADMIN_AUTH_NATIVE), "mysql_native_password");
}
END_TEST

/* ---- transcripts ------------------------------------------------------------
 * Real logins of `mariadb` (MariaDB 10.11.19 client, libmariadb 3.3.20,
 * --skip-ssl) to `ddlgate --set admin.password=s3cret --set
 * admin.auth_plugin=P`, recorded with a TCP relay on 127.0.0.1.  Each packet
 * is given whole (header included).  The greeting and switch nonces were
 * ddlgate's random ones at the time; the tokens are libmariadb's. */

enum who {
    SRV,
    CLI
};
struct tpkt {
    enum who who;
    const char *hex;
};
struct transcript {
    const char *name;
    enum admin_auth_plugin greeted;
    const struct tpkt *pkts; /* greeting, response, [switch, answer], server's answer... */
    int n;
};

/* greeting caching_sha2_password; client default (it follows the greeting):
 * the fast path, AuthMoreData 01 03 then OK */
static const struct tpkt tr_sha2_sha2[] = {
    {SRV, "5e0000000a382e302e39392d64646c676174652d302e312e302d61646d696e00010000001f61581f"
          "67342f2e000da22d02003a0115000000000000000000004420574c685873263f342a5e0063616368"
          "696e675f736861325f70617373776f726400"},
    {CLI, "dd00000185a2bf000000100021000000000000000000000000000000000000000000000061646d69"
          "6e00201b231887c0de62c84e48ffc86252ba6b9e3311a9e465fcbdebf9c53e93bd23836361636869"
          "6e675f736861325f70617373776f7264007f035f6f73054c696e75780c5f636c69656e745f6e616d"
          "650a6c69626d617269616462045f7069640532303434370f5f636c69656e745f76657273696f6e06"
          "332e332e3230095f706c6174666f726d067838365f36340c70726f6772616d5f6e616d65056d7973"
          "716c0c5f7365727665725f686f7374093132372e302e302e31"},
    {SRV, "020000020103"},
    {SRV, "0700000300000002000000"},
};
/* greeting caching_sha2_password; --default-auth=mysql_native_password: the
 * client names native with an empty token, gets a switch to native with a
 * nonce, answers 20 bytes, gets OK */
static const struct tpkt tr_sha2_native[] = {
    {SRV, "5e0000000a382e302e39392d64646c676174652d302e312e302d61646d696e000100000065692903"
          "28682a16000da22d02003a0115000000000000000000005e61151d1a786a756a34510f0063616368"
          "696e675f736861325f70617373776f726400"},
    {CLI, "bd00000185a2bf000000100021000000000000000000000000000000000000000000000061646d69"
          "6e00006d7973716c5f6e61746976655f70617373776f7264007f035f6f73054c696e75780c5f636c"
          "69656e745f6e616d650a6c69626d617269616462045f7069640532303435340f5f636c69656e745f"
          "76657273696f6e06332e332e3230095f706c6174666f726d067838365f36340c70726f6772616d5f"
          "6e616d65056d7973716c0c5f7365727665725f686f7374093132372e302e302e31"},
    {SRV, "2c000002fe6d7973716c5f6e61746976655f70617373776f72640010464b346b013f73692631090f"
          "3e0460416a2f3a00"},
    {CLI, "14000003119bbd13db4e021fcc0cbba6cb9181b750d600d4"},
    {SRV, "0700000400000002000000"},
};
/* greeting caching_sha2_password; --default-auth=client_ed25519: switch to
 * caching_sha2_password, 32-byte answer, fast path */
static const struct tpkt tr_sha2_ed25519[] = {
    {SRV, "5e0000000a382e302e39392d64646c676174652d302e312e302d61646d696e00010000007e377064"
          "671e0150000da22d02003a0115000000000000000000000619442c636e4d17596016290063616368"
          "696e675f736861325f70617373776f726400"},
    {CLI, "b600000185a2bf000000100021000000000000000000000000000000000000000000000061646d69"
          "6e0000636c69656e745f65643235353139007f035f6f73054c696e75780c5f636c69656e745f6e61"
          "6d650a6c69626d617269616462045f7069640532303436330f5f636c69656e745f76657273696f6e"
          "06332e332e3230095f706c6174666f726d067838365f36340c70726f6772616d5f6e616d65056d79"
          "73716c0c5f7365727665725f686f7374093132372e302e302e31"},
    {SRV, "2c000002fe63616368696e675f736861325f70617373776f7264005e456f3478305e5257545b0532"
          "7d783e741b483200"},
    {CLI, "200000035a24aac127b53363484558592d5c6ed79c5ed995a2674c6b6fdffb7ec555e979"},
    {SRV, "020000040103"},
    {SRV, "0700000500000002000000"},
};
/* greeting mysql_native_password; client default: 20-byte token, OK */
static const struct tpkt tr_native_native[] = {
    {SRV, "5e0000000a382e302e39392d64646c676174652d302e312e302d61646d696e000100000068600c67"
          "1a366b18000da22d02003a01150000000000000000000012435d543f71417014414074006d797371"
          "6c5f6e61746976655f70617373776f726400"},
    {CLI, "d100000185a2bf000000100021000000000000000000000000000000000000000000000061646d69"
          "6e0014ffaad013df89826d3dcc4a3cafb022d2184d492e6d7973716c5f6e61746976655f70617373"
          "776f7264007f035f6f73054c696e75780c5f636c69656e745f6e616d650a6c69626d617269616462"
          "045f7069640532313137380f5f636c69656e745f76657273696f6e06332e332e3230095f706c6174"
          "666f726d067838365f36340c70726f6772616d5f6e616d65056d7973716c0c5f7365727665725f68"
          "6f7374093132372e302e302e31"},
    {SRV, "0700000200000002000000"},
};
/* greeting mysql_native_password; --default-auth=caching_sha2_password: empty
 * token, switch to caching_sha2 with a nonce, 32 bytes, fast path */
static const struct tpkt tr_native_sha2[] = {
    {SRV, "5e0000000a382e302e39392d64646c676174652d302e312e302d61646d696e0001000000612a5078"
          "68346b38000da22d02003a01150000000000000000000046190174010b0a6816583709006d797371"
          "6c5f6e61746976655f70617373776f726400"},
    {CLI, "bd00000185a2bf000000100021000000000000000000000000000000000000000000000061646d69"
          "6e000063616368696e675f736861325f70617373776f7264007f035f6f73054c696e75780c5f636c"
          "69656e745f6e616d650a6c69626d617269616462045f7069640532313139320f5f636c69656e745f"
          "76657273696f6e06332e332e3230095f706c6174666f726d067838365f36340c70726f6772616d5f"
          "6e616d65056d7973716c0c5f7365727665725f686f7374093132372e302e302e31"},
    {SRV, "2c000002fe63616368696e675f736861325f70617373776f726400123a7671146c625f47591b5d7a"
          "042a11280c025300"},
    {CLI, "20000003780fd973777b34d49274ca279321d0ebec6ad9288fb2208bb6f7d5edfdf31413"},
    {SRV, "020000040103"},
    {SRV, "0700000500000002000000"},
};

#define TR(name, greeted, arr)                                  \
    {                                                           \
        name, greeted, arr, (int)(sizeof(arr) / sizeof(arr[0])) \
    }
static const struct transcript transcripts[] = {
    TR("sha2 greeting, sha2 client", ADMIN_AUTH_CACHING_SHA2, tr_sha2_sha2),
    TR("sha2 greeting, native client", ADMIN_AUTH_CACHING_SHA2, tr_sha2_native),
    TR("sha2 greeting, ed25519 client", ADMIN_AUTH_CACHING_SHA2, tr_sha2_ed25519),
    TR("native greeting, native client", ADMIN_AUTH_NATIVE, tr_native_native),
    TR("native greeting, sha2 client", ADMIN_AUTH_NATIVE, tr_native_sha2),
};
#define NTR ((int)(sizeof(transcripts) / sizeof(transcripts[0])))

/* A recorded packet; *seq gets its sequence id, the payload goes to out. */
static size_t tr_payload(const struct tpkt *p, uint8_t *out, size_t cap, uint8_t *seq)
{
    uint8_t raw[600];
    size_t n = unhex(p->hex, raw, sizeof(raw));
    ck_assert_uint_ge(n, 4);
    size_t len = (size_t)raw[0] | (size_t)raw[1] << 8 | (size_t)raw[2] << 16;
    ck_assert_msg(len == n - 4, "recorded packet length %zu, header says %zu", n - 4, len);
    ck_assert_uint_le(len, cap);
    *seq = raw[3];
    memcpy(out, raw + 4, len);
    return len;
}

/* All server packets from index i on, concatenated as on the wire. */
static size_t tr_server_bytes(const struct transcript *t, int i, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; i < t->n; i++) {
        ck_assert(t->pkts[i].who == SRV);
        n += unhex(t->pkts[i].hex, out + n, cap - n);
    }
    return n;
}

/* Replay: the console's decisions, with password, give answer bytes that
 * are compared with the recording (accepted) or must be one ERR 1045
 * (refused).  flip_token flips a bit of the client's last token first.
 * Returns whether the login was accepted. */
static bool replay(const struct transcript *t, const char *password, bool flip_token)
{
    uint8_t buf[600], nonce[20], want[600];
    uint8_t seq;
    struct hs_greeting g;
    struct hs_response r;
    enum admin_auth_plugin p;
    int i = 0;

    /* greeting: the nonce, and the plugin it names */
    size_t len = tr_payload(&t->pkts[i++], buf, sizeof(buf), &seq);
    ck_assert(seq == 0 && hs_parse_greeting(buf, len, &g));
    ck_assert_uint_eq(g.scramble_len, 20);
    memcpy(nonce, g.scramble, 20);
    ck_assert_str_eq(g.plugin, admin_auth_plugin_name(t->greeted));

    /* HandshakeResponse41 */
    uint8_t resp[600];
    len = tr_payload(&t->pkts[i++], resp, sizeof(resp), &seq);
    ck_assert(seq == 1 && hs_parse_response(resp, len, &r) && !r.ssl_request);
    ck_assert(r.user_len == 5 && memcmp(r.user, "admin", 5) == 0);
    const uint8_t *token = r.auth;
    size_t token_len = r.auth_len;
    uint8_t next = (uint8_t)(seq + 1);
    if (admin_auth_first_step(r.plugin, r.plugin_len, r.auth_len, t->greeted, &p) ==
        ADMIN_AUTH_SWITCH) {
        /* the recorded AuthSwitchRequest: what admin_auth_write_switch
         * writes for that plugin and that (recorded) nonce */
        len = tr_payload(&t->pkts[i], buf, sizeof(buf), &seq);
        ck_assert_msg(seq == next && len == 1 + strlen(admin_auth_plugin_name(p)) + 1 + 21,
                      "%s: switch seq %u len %zu", t->name, seq, len);
        memcpy(nonce, buf + len - 21, 20);
        struct pkt_writer w;
        pkt_w_init(&w, next);
        admin_auth_write_switch(&w, p, nonce);
        size_t wn = unhex(t->pkts[i].hex, want, sizeof(want));
        ck_assert_msg(w.len == wn && memcmp(w.buf, want, wn) == 0, "%s: switch %s", t->name,
                      tohex(w.buf, w.len));
        pkt_w_free(&w);
        i++;
        /* the client's answer is the bare token */
        len = tr_payload(&t->pkts[i++], resp, sizeof(resp), &seq);
        ck_assert_uint_eq(seq, (uint8_t)(next + 1));
        token = resp;
        token_len = len;
        next = (uint8_t)(seq + 1);
    }
    uint8_t tok[64];
    ck_assert_uint_le(token_len, sizeof(tok));
    memcpy(tok, token, token_len);
    if (flip_token)
        tok[token_len / 2] ^= 0x10;
    bool ok = admin_auth_check(p, password, nonce, tok, token_len);

    struct pkt_writer w;
    pkt_w_init(&w, next);
    admin_auth_write_answer(&w, p, ok);
    if (ok) {
        size_t wn = tr_server_bytes(t, i, want, sizeof(want));
        ck_assert_msg(w.len == wn && memcmp(w.buf, want, wn) == 0, "%s: answer %s", t->name,
                      tohex(w.buf, w.len));
    } else {
        /* one ERR packet, the answer's seq, 1045 / 28000 */
        ck_assert_uint_ge(w.len, 4 + 9);
        ck_assert_uint_eq(w.len - 4, (size_t)w.buf[0] | (size_t)w.buf[1] << 8);
        ck_assert_uint_eq(w.buf[3], next);
        ck_assert_uint_eq(w.buf[4], 0xff);
        ck_assert_uint_eq((unsigned)w.buf[5] | (unsigned)w.buf[6] << 8, 1045);
        ck_assert(memcmp(w.buf + 7, "#28000", 6) == 0);
    }
    pkt_w_free(&w);
    return ok;
}

START_TEST(transcript_accepted)
{
    ck_assert_msg(replay(&transcripts[_i], "s3cret", false), "%s refused", transcripts[_i].name);
}
END_TEST

START_TEST(transcript_wrong_password)
{
    ck_assert(!replay(&transcripts[_i], "s3cret2", false));
    ck_assert(!replay(&transcripts[_i], "S3cret", false));
    ck_assert(!replay(&transcripts[_i], "", false));
}
END_TEST

START_TEST(transcript_tampered_token) { ck_assert(!replay(&transcripts[_i], "s3cret", true)); }
END_TEST

/* The native client's first response (empty token naming the plugin the
 * greeting did not name) is never taken as a login by itself. */
START_TEST(empty_token_never_logs_in)
{
    uint8_t nonce[20];
    unhex(N1, nonce, sizeof(nonce));
    ck_assert(!admin_auth_check(ADMIN_AUTH_NATIVE, "s3cret", nonce, NULL, 0));
    ck_assert(!admin_auth_check(ADMIN_AUTH_CACHING_SHA2, "s3cret", nonce, NULL, 0));
    struct pkt_writer w;
    pkt_w_init(&w, 2);
    admin_auth_write_answer(&w, ADMIN_AUTH_CACHING_SHA2, false);
    ck_assert_uint_eq(w.buf[3], 2);
    ck_assert_uint_eq(w.buf[4], 0xff);
    pkt_w_free(&w);
}
END_TEST

/* ---- [admin] auth_plugin ------------------------------------------------------ */

START_TEST(conf_key)
{
    struct conf c;
    char err[512], path[256], sec[64], key[64], val[256];
    bool rel;

    conf_defaults(&c);
    ck_assert_int_eq(c.admin_auth_plugin, ADMIN_AUTH_CACHING_SHA2);
    ck_assert_msg(conf_set_kv(&c, "admin.auth_plugin=mysql_native_password", err, sizeof(err)),
                  "%s", err);
    ck_assert_int_eq(c.admin_auth_plugin, ADMIN_AUTH_NATIVE);
    ck_assert(conf_set(&c, "admin", "auth_plugin", "caching_sha2_password", err, sizeof(err)));
    ck_assert_int_eq(c.admin_auth_plugin, ADMIN_AUTH_CACHING_SHA2);
    ck_assert(!conf_set_kv(&c, "admin.auth_plugin=sha256_password", err, sizeof(err)));
    ck_assert_msg(strstr(err, "sha256_password") && strstr(err, "caching_sha2_password") &&
                      strstr(err, "mysql_native_password"),
                  "%s", err);
    ck_assert_int_eq(c.admin_auth_plugin, ADMIN_AUTH_CACHING_SHA2); /* unchanged */

    /* SHOW CONFIG lists it by name, reloadable */
    bool found = false;
    c.admin_auth_plugin = ADMIN_AUTH_NATIVE;
    for (int i = 0; i < conf_key_count(); i++) {
        if (conf_key_at(&c, i, sec, sizeof(sec), key, sizeof(key), val, sizeof(val), &rel) &&
            strcmp(sec, "admin") == 0 && strcmp(key, "auth_plugin") == 0) {
            found = true;
            ck_assert_str_eq(val, "mysql_native_password");
            ck_assert(rel);
        }
    }
    ck_assert(found);

    /* a bad value in a file names file:line */
    snprintf(path, sizeof(path), "/tmp/check_admin_auth-%d.ini", (int)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[admin]\nuser = admin\nauth_plugin = caching_sha2\n", f);
    fclose(f);
    conf_defaults(&c);
    ck_assert(!conf_load_file(&c, path, err, sizeof(err)));
    char want[300];
    snprintf(want, sizeof(want), "%s:3:", path);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0 && strstr(err, "auth_plugin"), "%s", err);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[admin]\nauth_plugin = mysql_native_password\n", f);
    fclose(f);
    conf_defaults(&c);
    ck_assert_msg(conf_load_file(&c, path, err, sizeof(err)), "%s", err);
    ck_assert_int_eq(c.admin_auth_plugin, ADMIN_AUTH_NATIVE);
    unlink(path);
}
END_TEST

/* COM_CHANGE_USER payloads as libmariadb / mysqlnd build them: user NUL,
 * token (length byte), database NUL, charset, plugin NUL, attributes */
START_TEST(change_user_parse)
{
    static const uint8_t full[] = "admin\0"
                                  "\x14"
                                  "ABCDEFGHIJKLMNOPQRST"
                                  "db1\0"
                                  "\x2d\x00"
                                  "caching_sha2_password\0"
                                  "\x03"
                                  "abc";
    const uint64_t caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
    struct hs_change_user cu;

    ck_assert(hs_parse_change_user(full, sizeof(full) - 1, caps, &cu));
    ck_assert_uint_eq(cu.user_len, 5);
    ck_assert(memcmp(cu.user, "admin", 5) == 0);
    ck_assert_uint_eq(cu.auth_len, 20);
    ck_assert(memcmp(cu.auth, "ABCD", 4) == 0);
    ck_assert_uint_eq(cu.plugin_len, 21);
    ck_assert(memcmp(cu.plugin, "caching_sha2_password", 21) == 0);
    enum admin_auth_plugin pl;
    ck_assert(admin_auth_plugin_from(cu.plugin, cu.plugin_len, &pl));
    ck_assert_int_eq(pl, ADMIN_AUTH_CACHING_SHA2);

    /* without CLIENT_PLUGIN_AUTH the plugin is not read: native */
    ck_assert(hs_parse_change_user(full, sizeof(full) - 1, caps & ~CLIENT_PLUGIN_AUTH, &cu));
    ck_assert_ptr_null(cu.plugin);
    ck_assert(admin_auth_plugin_from(cu.plugin, cu.plugin_len, &pl));
    ck_assert_int_eq(pl, ADMIN_AUTH_NATIVE);

    /* an old client: user, token, nothing else */
    static const uint8_t old_client[] = "root\0\x00";
    ck_assert(hs_parse_change_user(old_client, sizeof(old_client) - 1, caps, &cu));
    ck_assert_uint_eq(cu.user_len, 4);
    ck_assert_uint_eq(cu.auth_len, 0);
    ck_assert_ptr_null(cu.plugin);

    /* truncations never read past the end and fail where a field is cut */
    for (size_t n = 0; n < sizeof(full) - 1; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, full, n);
        bool ok = hs_parse_change_user(copy, n, caps, &cu);
        /* the user and the whole token are required */
        ck_assert_msg(ok == (n >= 6 + 1 + 20), "length %zu: %s", n, ok ? "accepted" : "refused");
        if (ok && cu.plugin)
            ck_assert(cu.plugin + cu.plugin_len <= copy + n);
        free(copy);
    }
    /* a token length past the end */
    static const uint8_t bad[] = "admin\0\x30short";
    ck_assert(!hs_parse_change_user(bad, sizeof(bad) - 1, caps, &cu));
}
END_TEST

START_TEST(max_connections_key)
{
    struct conf c;
    char err[300], sec[64], key[64], val[64];
    bool rel, found = false;

    conf_defaults(&c);
    ck_assert_int_eq(c.admin_max_connections, 32);
    ck_assert(conf_set(&c, "admin", "max_connections", "2", err, sizeof(err)));
    ck_assert_int_eq(c.admin_max_connections, 2);
    ck_assert(!conf_set(&c, "admin", "max_connections", "0", err, sizeof(err)));
    ck_assert(!conf_set(&c, "admin", "max_connections", "lots", err, sizeof(err)));
    ck_assert_int_eq(c.admin_max_connections, 2);
    for (int i = 0; i < conf_key_count(); i++)
        if (conf_key_at(&c, i, sec, sizeof(sec), key, sizeof(key), val, sizeof(val), &rel) &&
            strcmp(sec, "admin") == 0 && strcmp(key, "max_connections") == 0) {
            found = true;
            ck_assert_str_eq(val, "2");
            ck_assert(rel); /* applies to the next connection */
        }
    ck_assert(found);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("admin_auth");
    TCase *tc = tcase_create("tokens");
    tcase_add_test(tc, native_vectors);
    tcase_add_test(tc, sha2_vectors);
    tcase_add_test(tc, wrong_tokens_refused);
    tcase_add_test(tc, plugin_choice);
    tcase_add_test(tc, empty_token_never_logs_in);
    tcase_add_test(tc, change_user_parse);
    suite_add_tcase(s, tc);
    tc = tcase_create("transcripts");
    tcase_add_loop_test(tc, transcript_accepted, 0, NTR);
    tcase_add_loop_test(tc, transcript_wrong_password, 0, NTR);
    tcase_add_loop_test(tc, transcript_tampered_token, 0, NTR);
    suite_add_tcase(s, tc);
    tc = tcase_create("conf");
    tcase_add_test(tc, conf_key);
    tcase_add_test(tc, max_connections_key);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
