/*
 * check_pkt.c - packet codec and handshake codecs: field readers at their
 * bounds, the writer's 16 MiB split, OK/EOF/ERR parsing (session-state
 * schema changes), greeting and HandshakeResponse round trips for MySQL and
 * MariaDB (extended capabilities) layouts.
 */
#include <check.h>
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "handshake.h"
#include "pkt.h"

START_TEST(lenenc_roundtrip)
{
    static const uint64_t vals[] = {
        0, 1, 250, 251, 252, 65535, 65536, 0xffffff, 0x1000000, 0xffffffffffull, UINT64_MAX};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        struct pkt_writer w;
        struct pkt_cursor c;
        uint64_t v;
        bool is_null;
        pkt_w_init(&w, 0);
        pkt_w_lenenc(&w, vals[i]);
        pkt_cursor_init(&c, w.buf, w.len);
        ck_assert(pkt_get_lenenc(&c, &v, &is_null));
        ck_assert(!is_null);
        ck_assert_uint_eq(v, vals[i]);
        ck_assert_uint_eq(pkt_cursor_left(&c), 0);
        /* every shorter prefix is refused, never read past the end */
        for (size_t cut = 0; cut < w.len; cut++) {
            pkt_cursor_init(&c, w.buf, cut);
            ck_assert(!pkt_get_lenenc(&c, &v, NULL));
        }
        pkt_w_free(&w);
    }
    uint8_t nul = 0xfb, bad = 0xff;
    struct pkt_cursor c;
    uint64_t v;
    bool is_null;
    pkt_cursor_init(&c, &nul, 1);
    ck_assert(pkt_get_lenenc(&c, &v, &is_null) && is_null);
    pkt_cursor_init(&c, &bad, 1);
    ck_assert(!pkt_get_lenenc(&c, &v, &is_null));
}
END_TEST

START_TEST(lenenc_str_bounds)
{
    uint8_t buf[] = {0x05, 'a', 'b', 'c'}; /* claims 5, has 3 */
    struct pkt_cursor c;
    const uint8_t *s;
    size_t n;
    pkt_cursor_init(&c, buf, sizeof(buf));
    ck_assert(!pkt_get_lenenc_str(&c, &s, &n));
    uint8_t ok[] = {0x03, 'a', 'b', 'c'};
    pkt_cursor_init(&c, ok, sizeof(ok));
    ck_assert(pkt_get_lenenc_str(&c, &s, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert(memcmp(s, "abc", 3) == 0);
}
END_TEST

/* A payload of 0xffffff bytes or more is cut into 0xffffff-byte frames with
 * consecutive sequence ids, plus a final (possibly empty) frame. */
START_TEST(writer_splits_large_payloads)
{
    static const size_t sizes[] = {0xfffffe, 0xffffff, 0x1000000, 2 * 0xffffff, 2 * 0xffffff + 7};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        uint8_t *data = malloc(n);
        for (size_t i = 0; i < n; i++)
            data[i] = (uint8_t)(i * 31 + 7);
        struct pkt_writer w;
        pkt_w_init(&w, 3);
        pkt_w_begin(&w);
        pkt_w_bytes(&w, data, n);
        pkt_w_end(&w);
        ck_assert(!w.failed);
        size_t off = 0, got = 0;
        uint8_t seq = 3;
        for (;;) {
            size_t len = w.buf[off] | (w.buf[off + 1] << 8) | ((size_t)w.buf[off + 2] << 16);
            ck_assert_uint_eq(w.buf[off + 3], seq);
            seq++;
            ck_assert(memcmp(w.buf + off + 4, data + got, len) == 0);
            got += len;
            off += 4 + len;
            if (len < PKT_MAX_PAYLOAD)
                break;
        }
        ck_assert_uint_eq(got, n);
        ck_assert_uint_eq(off, w.len);
        ck_assert_uint_eq(w.seq, seq);
        pkt_w_free(&w);
        free(data);
    }
}
END_TEST

START_TEST(ok_eof_err)
{
    /* OK with SERVER_SESSION_STATE_CHANGED and a schema change to "shop" */
    static const uint8_t ok[] = {0x00, 0x01, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00,
                                 0x07, 0x01, 0x05, 0x04, 's',  'h',  'o',  'p'};
    struct pkt_ok o;
    ck_assert(pkt_parse_ok(ok, sizeof(ok), true, &o));
    ck_assert_uint_eq(o.affected_rows, 1);
    ck_assert(o.status & SERVER_SESSION_STATE_CHANGED);
    ck_assert_uint_eq(o.schema_len, 4);
    ck_assert(memcmp(o.schema, "shop", 4) == 0);
    /* without session tracking the block is not read */
    ck_assert(pkt_parse_ok(ok, sizeof(ok), false, &o));
    ck_assert_ptr_null(o.schema);

    static const uint8_t eof[] = {0xfe, 0x01, 0x00, 0x0a, 0x00};
    uint16_t warnings, status;
    ck_assert(pkt_parse_eof(eof, sizeof(eof), &warnings, &status));
    ck_assert_uint_eq(warnings, 1);
    ck_assert(status & SERVER_MORE_RESULTS_EXISTS);

    static const uint8_t err[] = {0xff, 0xb5, 0x04, '#', '4', '2', 'S', '0', '2', 'n', 'o'};
    uint16_t code;
    char state[6];
    const uint8_t *msg;
    size_t mlen;
    ck_assert(pkt_parse_err(err, sizeof(err), &code, state, &msg, &mlen));
    ck_assert_uint_eq(code, 1205);
    ck_assert_str_eq(state, "42S02");
    ck_assert_uint_eq(mlen, 2);
    ck_assert(!pkt_parse_err(eof, sizeof(eof), &code, state, &msg, &mlen));
}
END_TEST

START_TEST(writer_ok_info_is_lenenc)
{
    struct pkt_writer w;
    struct pkt_ok o;
    pkt_w_init(&w, 1);
    pkt_w_ok(&w, 3, 9, SERVER_STATUS_AUTOCOMMIT, 0, "Rows matched: 3");
    ck_assert(pkt_parse_ok(w.buf + 4, w.len - 4, false, &o));
    ck_assert_uint_eq(o.affected_rows, 3);
    ck_assert_uint_eq(o.last_insert_id, 9);
    ck_assert_uint_eq(w.buf[4 + 7], 15); /* length prefix of the info */
    pkt_w_free(&w);
}
END_TEST

static void greeting_roundtrip(uint64_t caps, const char *version)
{
    struct hs_greeting g = {0}, g2;
    struct pkt_writer w;
    g.protocol = 10;
    g.version = version;
    g.version_len = strlen(version);
    g.conn_id = 77;
    memcpy(g.scramble, "0123456789abcdefghij", 20);
    g.scramble_len = 20;
    g.caps = caps;
    g.charset = 45;
    g.status = 2;
    g.plugin = "mysql_native_password";
    g.plugin_len = strlen(g.plugin);
    pkt_w_init(&w, 0);
    hs_write_greeting(&w, &g);
    ck_assert(hs_parse_greeting(w.buf + 4, w.len - 4, &g2));
    ck_assert_uint_eq(g2.caps, caps);
    ck_assert_uint_eq(g2.conn_id, 77);
    ck_assert_uint_eq(g2.scramble_len, 20);
    ck_assert(memcmp(g2.scramble, g.scramble, 20) == 0);
    ck_assert_uint_eq(g2.version_len, strlen(version));
    ck_assert(memcmp(g2.version, version, g2.version_len) == 0);
    ck_assert_uint_eq(g2.plugin_len, g.plugin_len);
    /* truncated greetings are refused, not over-read */
    for (size_t cut = 1; cut < 40 && cut < w.len - 4; cut++) {
        struct hs_greeting g3;
        (void)hs_parse_greeting(w.buf + 4, cut, &g3);
    }
    pkt_w_free(&w);
}

START_TEST(greeting_mysql_and_mariadb)
{
    /* MySQL 8: bit 0 set, no extended caps */
    greeting_roundtrip(0xdfffffffull & ~(uint64_t)CLIENT_SSL, "8.0.36");
    /* MariaDB 10.11: bit 0 clear, extended caps in the filler */
    greeting_roundtrip(0x81fffffeull | MARIADB_CLIENT_PROGRESS |
                           MARIADB_CLIENT_STMT_BULK_OPERATIONS | MARIADB_CLIENT_EXTENDED_METADATA,
                       "5.5.5-10.11.19-MariaDB-0+deb12u1");
}
END_TEST

START_TEST(response_roundtrip)
{
    static const uint64_t layouts[] = {
        CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_LONG_PASSWORD |
            CLIENT_CONNECT_WITH_DB | CLIENT_CONNECT_ATTRS | CLIENT_PLUGIN_AUTH_LENENC_DATA,
        CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
            MARIADB_CLIENT_PROGRESS | CLIENT_ZSTD_COMPRESSION_ALGORITHM,
    };
    static const uint8_t attrs[] = {0x06, 0x01, 'k', 0x01, 'v', 0x01, 'x'};
    for (size_t i = 0; i < 2; i++) {
        struct hs_response r = {0}, r2;
        struct pkt_writer w;
        r.max_packet = 1 << 24;
        r.charset = 33;
        r.user = (const uint8_t *)"app";
        r.user_len = 3;
        r.auth = (const uint8_t *)"01234567890123456789";
        r.auth_len = 20;
        r.db = (const uint8_t *)"shop";
        r.db_len = 4;
        r.plugin = (const uint8_t *)"client_ed25519";
        r.plugin_len = 14;
        r.attrs = attrs;
        r.attrs_len = sizeof(attrs);
        r.zstd_level = 7;
        pkt_w_init(&w, 1);
        hs_write_response(&w, &r, layouts[i], false);
        ck_assert(hs_parse_response(w.buf + 4, w.len - 4, &r2));
        ck_assert_uint_eq(r2.caps, layouts[i]);
        ck_assert_uint_eq(r2.user_len, 3);
        ck_assert_uint_eq(r2.auth_len, 20);
        ck_assert(memcmp(r2.auth, r.auth, 20) == 0);
        ck_assert_uint_eq(r2.plugin_len, 14);
        if (layouts[i] & CLIENT_CONNECT_WITH_DB)
            ck_assert_uint_eq(r2.db_len, 4);
        if (layouts[i] & CLIENT_CONNECT_ATTRS)
            ck_assert_uint_eq(r2.attrs_len, sizeof(attrs));
        if (layouts[i] & CLIENT_ZSTD_COMPRESSION_ALGORITHM)
            ck_assert_int_eq(r2.zstd_level, 7);
        pkt_w_free(&w);
        /* the SSLRequest prefix alone */
        pkt_w_init(&w, 1);
        hs_write_response(&w, &r, layouts[i] | CLIENT_SSL, true);
        ck_assert_uint_eq(w.len, 4 + 32);
        ck_assert(hs_parse_response(w.buf + 4, w.len - 4, &r2));
        ck_assert(r2.ssl_request);
        pkt_w_free(&w);
    }
}
END_TEST

START_TEST(peek_header_on_split_chains)
{
    struct evbuffer *b = evbuffer_new();
    uint32_t len;
    uint8_t seq;
    /* header split over three chains */
    evbuffer_add(b, "\x05", 1);
    ck_assert(!pkt_peek_header(b, &len, &seq));
    evbuffer_add(b, "\x00", 1);
    evbuffer_add(b, "\x00\x07", 2);
    ck_assert(pkt_peek_header(b, &len, &seq));
    ck_assert_uint_eq(len, 5);
    ck_assert_uint_eq(seq, 7);
    ck_assert_uint_eq(evbuffer_get_length(b), 4); /* nothing consumed */
    evbuffer_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pkt");
    TCase *tc = tcase_create("codec");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lenenc_roundtrip);
    tcase_add_test(tc, lenenc_str_bounds);
    tcase_add_test(tc, writer_splits_large_payloads);
    tcase_add_test(tc, ok_eof_err);
    tcase_add_test(tc, writer_ok_info_is_lenenc);
    tcase_add_test(tc, greeting_mysql_and_mariadb);
    tcase_add_test(tc, response_roundtrip);
    tcase_add_test(tc, peek_header_on_split_chains);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
