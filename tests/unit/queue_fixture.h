/*
 * queue_fixture.h - the wire and the clock shared by the in-process queue
 * tests (check_mdlq_retry.c, check_mdlq_fence.c): ddlgate's workers run in
 * the test process between a scripted fake backend and a raw client, and a
 * ticker thread stands in for main.c's 10 ms queue tick.
 *
 * Header-only (CMake builds every tests/unit/check_*.c on its own); include
 * it once, after <check.h>.
 */
#ifndef DDLGATE_QUEUE_FIXTURE_H
#define DDLGATE_QUEUE_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mdlqueue.h"

/* MySQL 8.0.36 greeting (caching_sha2_password), as in check_relay.c */
static const char qf_greeting[] = "\x0a"
                                  "8.0.36\0"
                                  "\x2a\x00\x00\x00"
                                  "abcdefgh"
                                  "\x00"
                                  "\xff\xf7"
                                  "\xff"
                                  "\x02\x00"
                                  "\xff\x95"
                                  "\x15"
                                  "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                                  "ijklmnopqrst\0"
                                  "caching_sha2_password\0";
static const char qf_response[] =
    "\x8d\xa2\x2f\x01"
    "\x00\x00\x00\x01"
    "\xff"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "app\0"
    "\x20"
    "0123456789abcdef0123456789abcdef"
    "test\0"
    "caching_sha2_password\0";
static const char qf_fast_ok[] = "\x01\x03";
static const char qf_ok[] = "\x00\x00\x00\x02\x00\x00\x00";

static inline int qf_listen_any(int *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    return fd;
}

static inline void qf_set_timeout(int fd, int seconds)
{
    struct timeval tv = {seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static inline bool qf_read_full(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static inline bool qf_write_packet(int fd, uint8_t seq, const void *data, size_t len)
{
    uint8_t hdr[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), seq};
    return write(fd, hdr, 4) == 4 && (len == 0 || write(fd, data, len) == (ssize_t)len);
}

/* One packet into buf (NUL-terminated); its length, or -1. */
static inline long qf_read_packet(int fd, uint8_t *buf, size_t cap)
{
    uint8_t hdr[4];
    if (!qf_read_full(fd, hdr, 4))
        return -1;
    size_t len = hdr[0] | (hdr[1] << 8) | ((size_t)hdr[2] << 16);
    if (len + 1 > cap || !qf_read_full(fd, buf, len))
        return -1;
    buf[len] = '\0';
    return (long)len;
}

/* The fake backend's side of a login: greeting, the response, fast auth OK. */
static inline bool qf_backend_login(int fd)
{
    uint8_t buf[4096];
    return qf_write_packet(fd, 0, qf_greeting, sizeof(qf_greeting) - 1) &&
           qf_read_packet(fd, buf, sizeof(buf)) > 0 && qf_write_packet(fd, 2, qf_fast_ok, 2) &&
           qf_write_packet(fd, 3, qf_ok, sizeof(qf_ok) - 1);
}

/* A client connected to ddlgate on port and logged in (timeout_s per read). */
static inline int qf_client_login(int port, int timeout_s)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    uint8_t buf[4096];

    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s",
                  strerror(errno));
    qf_set_timeout(fd, timeout_s);
    ck_assert_int_gt(qf_read_packet(fd, buf, sizeof(buf)), 0); /* greeting */
    ck_assert(qf_write_packet(fd, 1, qf_response, sizeof(qf_response) - 1));
    ck_assert_int_eq(qf_read_packet(fd, buf, sizeof(buf)), 2); /* fast auth */
    ck_assert_int_gt(qf_read_packet(fd, buf, sizeof(buf)), 0);
    ck_assert_uint_eq(buf[0], 0x00);
    return fd;
}

/* main.c's queue tick, every 10 ms while qf_ticking, for at most 60 s. */
static atomic_bool qf_ticking;

static inline void *qf_ticker_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 6000 && atomic_load(&qf_ticking); i++) {
        mdlq_tick();
        usleep(10 * 1000);
    }
    return NULL;
}

#endif
