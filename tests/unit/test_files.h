/*
 * test_files.h - reading the repository's test data files from unit tests.
 * Not a test itself (the name does not match check_*.c).
 */
#ifndef DDLGATE_TEST_FILES_H
#define DDLGATE_TEST_FILES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* The whole file at DDLGATE_SOURCE_DIR/rel, NUL-terminated; the caller
 * frees it.  A missing file fails the test. */
static inline char *ut_read_file(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", DDLGATE_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

#endif
