/* SPDX-License-Identifier: MIT */
/*
 * The IDX reader (RELIABILITY.md row 37): every type code in its
 * big-endian layout, raw and gzip-compressed files, and the malformed
 * files, each refused with its own reason.
 */
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "initlab/io.h"
#include "test.h"

/* An IDX image: magic, dims, then 'data' (already big-endian). */
static size_t make_idx(unsigned char *buf, unsigned type, const uint32_t *dims, unsigned ndim,
                       const void *data, size_t n)
{
    size_t k = 0;
    buf[k++] = 0;
    buf[k++] = 0;
    buf[k++] = (unsigned char)type;
    buf[k++] = (unsigned char)ndim;
    for (unsigned i = 0; i < ndim; i++) {
        buf[k++] = (unsigned char)(dims[i] >> 24);
        buf[k++] = (unsigned char)(dims[i] >> 16);
        buf[k++] = (unsigned char)(dims[i] >> 8);
        buf[k++] = (unsigned char)dims[i];
    }
    memcpy(buf + k, data, n);
    return k + n;
}

static void types(void)
{
    unsigned char buf[512], u8[24];
    uint32_t cube[3] = {2, 3, 4}, vec[1] = {5}, pair[1] = {2};
    il_idx x;
    size_t n;

    for (int i = 0; i < 24; i++)
        u8[i] = (unsigned char)(i * 10);
    n = make_idx(buf, IL_IDX_U8, cube, 3, u8, 24);
    REQUIRE(il_idx_parse(buf, n, 1 << 20, &x, NULL) == IL_OK);
    CHECK_EQ_U64(x.ndim, 3);
    CHECK_EQ_U64(x.shape[2], 4);
    CHECK_EQ_U64(x.numel, 24);
    CHECK_BITS(il_idx_value(&x, 23), 230.0);
    il_idx_release(&x);
    /* i8 -3, i16 -300 and 513, i32 -70000, f32 1.5, f64 -0.25, all big-endian */
    n = make_idx(buf, IL_IDX_I8, pair, 1, (unsigned char[]){0xfd, 7}, 2);
    REQUIRE(il_idx_parse(buf, n, 1 << 20, &x, NULL) == IL_OK);
    CHECK_BITS(il_idx_value(&x, 0), -3.0);
    il_idx_release(&x);
    n = make_idx(buf, IL_IDX_I16, pair, 1, (unsigned char[]){0xfe, 0xd4, 0x02, 0x01}, 4);
    REQUIRE(il_idx_parse(buf, n, 1 << 20, &x, NULL) == IL_OK);
    CHECK_BITS(il_idx_value(&x, 0), -300.0);
    CHECK_BITS(il_idx_value(&x, 1), 513.0);
    il_idx_release(&x);
    n = make_idx(buf, IL_IDX_I32, pair, 1, (unsigned char[]){0xff, 0xfe, 0xee, 0x90, 0, 0, 0, 1},
                 8);
    REQUIRE(il_idx_parse(buf, n, 1 << 20, &x, NULL) == IL_OK);
    CHECK_BITS(il_idx_value(&x, 0), -70000.0);
    il_idx_release(&x);
    n = make_idx(buf, IL_IDX_F32, pair, 1, (unsigned char[]){0x3f, 0xc0, 0, 0, 0, 0, 0, 0}, 8);
    REQUIRE(il_idx_parse(buf, n, 1 << 20, &x, NULL) == IL_OK);
    CHECK_BITS(il_idx_value(&x, 0), 1.5);
    il_idx_release(&x);
    n = make_idx(buf, IL_IDX_F64, pair, 1,
                 (unsigned char[]){0xbf, 0xd0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0}, 16);
    REQUIRE(il_idx_parse(buf, n, 1 << 20, &x, NULL) == IL_OK);
    CHECK_BITS(il_idx_value(&x, 0), -0.25);
    CHECK_BITS(il_idx_value(&x, 1), 2.0);
    il_idx_release(&x);
    n = make_idx(buf, IL_IDX_U8, vec, 1, u8, 5); /* labels */
    REQUIRE(il_idx_parse(buf, n, 1 << 20, &x, NULL) == IL_OK);
    CHECK_EQ_U64(x.ndim, 1);
    il_idx_release(&x);
}

static void expect(const char *what, const void *buf, size_t len, il_status want,
                   const char *reason)
{
    il_idx x;
    il_error err;
    il_status st;
    err.message[0] = '\0';
    st = il_idx_parse(buf, len, 1 << 20, &x, &err);
    if (st != want || !strstr(err.message, reason))
        TEST_FAIL_("%s: %s '%s', wanted %s '%s'", what, il_status_name(st), err.message,
                   il_status_name(want), reason);
    if (x.data)
        TEST_FAIL_("%s: data left allocated", what);
}

static void rejects(void)
{
    unsigned char buf[256], data[8] = {0};
    uint32_t two[1] = {2}, big[3] = {0xffffffffu, 0xffffffffu, 0xffffffffu};
    uint32_t wide[2] = {2000, 2000};
    size_t n;

    expect("gzip stream", "\x1f\x8b\x08\x08rest", 8, IL_EFORMAT, "gzip-compressed");
    expect("empty", "", 0, IL_EFORMAT, "no magic number");
    expect("not idx", "\x01\x00\x08\x01", 4, IL_EFORMAT, "not an IDX file");
    n = make_idx(buf, 0x0A, two, 1, data, 2);
    expect("type 0x0A", buf, n, IL_EFORMAT, "unknown IDX type code 0x0A");
    n = make_idx(buf, IL_IDX_U8, two, 0, data, 0);
    expect("ndim 0", buf, n, IL_EFORMAT, "0 dimensions");
    expect("truncated header", buf, 6, IL_EFORMAT, "0 dimensions");
    n = make_idx(buf, IL_IDX_U8, two, 1, data, 2);
    expect("header cut", buf, 6, IL_EFORMAT, "truncated IDX file");
    expect("one byte short", buf, n - 1, IL_EFORMAT, "declares 2 data bytes; 1 are there");
    n = make_idx(buf, IL_IDX_U8, two, 1, data, 3);
    expect("one byte over", buf, n, IL_EFORMAT, "declares 2 data bytes; 3 are there");
    n = make_idx(buf, IL_IDX_F64, big, 3, data, 0);
    expect("product overflows", buf, n, IL_ELIMIT, "overflows");
    n = make_idx(buf, IL_IDX_F64, wide, 2, data, 0);
    expect("over the cap", buf, n, IL_ELIMIT, "the limit is 1048576");
}

/* From files: a gzip-compressed file reads like the raw one; a raw file's
 * length must match its header. */
static void files(void)
{
    unsigned char buf[64], u8[12];
    uint32_t dims[2] = {3, 4};
    char raw[] = "/tmp/il_idx_XXXXXX", gzpath[64];
    size_t n;
    int fd;
    gzFile gz;
    il_idx a, b;
    il_error err;

    for (int i = 0; i < 12; i++)
        u8[i] = (unsigned char)(255 - i);
    n = make_idx(buf, IL_IDX_U8, dims, 2, u8, 12);
    fd = mkstemp(raw);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, buf, n) == (ssize_t)n);
    close(fd);
    snprintf(gzpath, sizeof gzpath, "%s.gz", raw);
    gz = gzopen(gzpath, "wb");
    REQUIRE(gz);
    REQUIRE(gzwrite(gz, buf, (unsigned)n) == (int)n);
    gzclose(gz);
    REQUIRE(il_idx_load(raw, 1 << 20, &a, &err) == IL_OK);
    REQUIRE(il_idx_load(gzpath, 1 << 20, &b, &err) == IL_OK);
    CHECK_EQ_U64(a.numel, 12);
    CHECK_EQ_U64(b.numel, 12);
    CHECK(memcmp(a.data, b.data, 12) == 0);
    CHECK_BITS(il_idx_value(&b, 11), 244.0);
    il_idx_release(&a);
    il_idx_release(&b);
    /* a raw file with a byte too many, and a gzip file cut short */
    fd = open(raw, O_WRONLY | O_APPEND);
    REQUIRE(fd >= 0 && write(fd, "x", 1) == 1);
    close(fd);
    CHECK(il_idx_load(raw, 1 << 20, &a, &err) == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "declares 12 data bytes; the file has 13");
    gz = gzopen(gzpath, "wb");
    REQUIRE(gz && gzwrite(gz, buf, (unsigned)n - 5) == (int)n - 5);
    gzclose(gz);
    CHECK(il_idx_load(gzpath, 1 << 20, &a, &err) == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "truncated IDX file: 7 of 12 data bytes");
    unlink(raw);
    unlink(gzpath);
    CHECK(il_idx_load(raw, 1 << 20, &a, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "No such file");
}

TEST_MAIN({"types", types}, {"rejects", rejects}, {"files", files})
