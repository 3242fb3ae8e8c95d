/* SPDX-License-Identifier: MIT */
/*
 * The .npy reader: numpy-written goldens (scripts/gen_golden_npy.py) read
 * bit for bit, our writer's files read back, and the rejects of
 * RELIABILITY.md row 36, each with its reason and without a large
 * allocation.
 */
#include <sys/resource.h>
#include <unistd.h>

#include "initlab/io.h"
#include "test.h"

#define CAP ((size_t)1 << 30)

/* The golden value at C-order index i (see gen_golden_npy.py). */
static double golden(size_t i, int f32)
{
    double v = (double)i * 0.37 - 1.1;
    return f32 ? (double)(float)v : v;
}

static void check_golden(const char *name, const size_t *shape, size_t ndim, int f32)
{
    char path[512];
    il_array a;
    il_error err;
    int bad = 0;

    snprintf(path, sizeof path, "%s/npy/%s", IL_GOLDEN_DIR, name);
    if (il_npy_load(path, CAP, &a, &err) != IL_OK) {
        TEST_FAIL_("%s: %s", name, err.message);
        return;
    }
    if (a.ndim != ndim || memcmp(a.shape, shape, ndim * sizeof *shape) != 0)
        TEST_FAIL_("%s: wrong shape (ndim %zu)", name, a.ndim);
    for (size_t i = 0; i < a.numel && !bad; i++)
        if (memcmp(&a.data[i], &(double){golden(i, f32)}, sizeof(double)) != 0) {
            TEST_FAIL_("%s: value %zu is %.17g, not %.17g", name, i, a.data[i], golden(i, f32));
            bad = 1;
        }
    il_array_release(&a);
}

/* Every golden: 6 shapes x 4 dtypes x C/F order, versions 2.0 and 3.0,
 * and a 16-byte-aligned header as numpy wrote before 1.14. */
static void numpy_goldens(void)
{
    static const struct {
        const char *name;
        size_t ndim, shape[3];
    } shapes[] = {{"scalar", 0, {0}}, {"empty", 1, {0}},     {"vec", 1, {3}},
                  {"mat", 2, {2, 3}}, {"empty2", 2, {0, 5}}, {"cube", 3, {2, 3, 4}}};
    static const char *const dtypes[] = {"lef8", "bef8", "lef4", "bef4"};
    char name[64];
    size_t cube[3] = {2, 3, 4}, mat[2] = {2, 3};

    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t d = 0; d < 4; d++)
            for (size_t fortran = 0; fortran < (shapes[s].ndim >= 2 ? 2u : 1u); fortran++) {
                snprintf(name, sizeof name, "%s_%s_%s.npy", shapes[s].name, dtypes[d],
                         fortran ? "f" : "c");
                check_golden(name, shapes[s].shape, shapes[s].ndim, d >= 2);
            }
    check_golden("cube_le_f8_v2.npy", cube, 3, 0);
    check_golden("cube_le_f8_v3.npy", cube, 3, 0);
    check_golden("mat_le_f8_align16.npy", mat, 2, 0);
}

/* What il_npy_write_f64, _f32 and _floats write, il_npy_parse reads back. */
static void writer_round_trip(void)
{
    double x[24];
    size_t shape[3] = {2, 3, 4};
    il_membuf m = {0};
    il_array a;
    il_error err;

    for (int i = 0; i < 24; i++)
        x[i] = golden((size_t)i, 0);
    x[5] = (double)NAN;
    x[6] = -(double)INFINITY;
    REQUIRE(il_npy_write_f64(x, shape, 3, il_membuf_write, &m) == IL_OK);
    REQUIRE(il_npy_parse(m.data, m.len, CAP, &a, &err) == IL_OK);
    CHECK_EQ_U64(a.ndim, 3);
    CHECK_EQ_U64(a.numel, 24);
    CHECK(memcmp(a.data, x, sizeof x) == 0);
    il_array_release(&a);
    m.len = 0;
    REQUIRE(il_npy_write_f32(x, shape, 3, il_membuf_write, &m) == IL_OK);
    REQUIRE(il_npy_parse(m.data, m.len, CAP, &a, &err) == IL_OK);
    CHECK_BITS(a.data[23], (double)(float)x[23]);
    il_array_release(&a);
    /* floats written as they are: the same file as the doubles rounded */
    {
        float f[24];
        il_membuf m2 = {0};
        for (int i = 0; i < 24; i++)
            f[i] = (float)x[i];
        REQUIRE(il_npy_write_floats(f, shape, 3, il_membuf_write, &m2) == IL_OK);
        CHECK_EQ_U64(m2.len, m.len);
        CHECK(m2.len == m.len && memcmp(m2.data, m.data, m.len) == 0);
        il_membuf_release(&m2);
    }
    il_membuf_release(&m);
}

/* A v1.0 file with this header dict (padded and ended by '\n') and 'data'. */
static size_t make_v1(unsigned char *buf, size_t cap, const char *dict, const void *data, size_t n)
{
    size_t dl = strlen(dict), hlen = dl + 1, len = 10 + hlen + n;
    if (len > cap)
        return 0;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, dict, dl);
    buf[10 + dl] = '\n';
    memcpy(buf + 10 + hlen, data, n);
    return len;
}

static void expect_reject(const char *what, const void *buf, size_t len, il_status want,
                          const char *reason)
{
    il_array a;
    il_error err;
    il_status st;

    err.message[0] = '\0';
    st = il_npy_parse(buf, len, CAP, &a, &err);
    if (st != want || !strstr(err.message, reason))
        TEST_FAIL_("%s: status %s '%s', wanted %s '%s'", what, il_status_name(st), err.message,
                   il_status_name(want), reason);
    if (a.data)
        TEST_FAIL_("%s: data left allocated", what);
}

static void rejects(void)
{
    static const struct {
        const char *bytes;
        size_t len;
    } magics[] = {{"\x92NUMPY\x01\x00", 8},
                  {"\x00NUMPY\x01\x00", 8},
                  {"\x93numpy\x01\x00", 8},
                  {"\x93MATLB\x01\x00", 8},
                  {"\x93NUMPY\x01", 7},
                  {"\x93NUMPY", 6},
                  {"", 0}};
    static const unsigned char versions[][2] = {{1, 1}, {0, 0}, {0, 1}, {2, 2}, {255, 255}};
    unsigned char buf[20000], v[8];
    double six[6] = {0};
    size_t n;
    const char *good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";

    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        expect_reject("malformed magic", magics[i].bytes, magics[i].len, IL_EFORMAT,
                      i < 4 || magics[i].len < 6 ? "magic" : "version");
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        memcpy(v, "\x93NUMPY", 6);
        v[6] = versions[i][0];
        v[7] = versions[i][1];
        expect_reject("bad version", v, 8, IL_EFORMAT, "unsupported .npy version");
    }
    memcpy(v, "\x93NUMPY\x02\x00", 8); /* a valid version, bare */
    expect_reject("bare 2.0", v, 8, IL_EFORMAT, "no header length");

    n = make_v1(buf, sizeof buf, good, six, sizeof six);
    {
        il_array a;
        REQUIRE(il_npy_parse(buf, n, CAP, &a, NULL) == IL_OK); /* the control */
        il_array_release(&a);
    }
    expect_reject("truncated by one byte", buf, n - 1, IL_EFORMAT, "truncated");
    expect_reject("one byte too many", (memcpy(buf + n, "x", 1), buf), n + 1, IL_EFORMAT,
                  "unexpected bytes after");
    expect_reject("header truncated", buf, 30, IL_EFORMAT, "truncated");
    n = make_v1(buf, sizeof buf, "{'descr': '<f8', 'shape': (2, 3), }", six, sizeof six);
    expect_reject("missing key", buf, n, IL_EFORMAT, "lacks the key 'fortran_order'");
    n = make_v1(buf, sizeof buf,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", six,
                sizeof six);
    expect_reject("extra key", buf, n, IL_EFORMAT, "unexpected key 'extra'");
    n = make_v1(buf, sizeof buf,
                "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (6,)}", six,
                sizeof six);
    expect_reject("repeated key", buf, n, IL_EFORMAT, "unexpected key 'descr'");
    /* libnpy #44 / mlx #3365: a 12-byte v2 file declaring a 4 GiB header */
    memcpy(buf, "\x93NUMPY\x02\x00\xf0\xff\xff\xff", 12);
    expect_reject("huge v2 header length", buf, 12, IL_EFORMAT, "more than 10000 is refused");
    {
        char big[10100];
        memset(big, ' ', sizeof big);
        memcpy(big, good, strlen(good));
        big[sizeof big - 1] = '\0';
        n = make_v1(buf, sizeof buf, big, six, sizeof six);
        expect_reject("header over 10000 bytes", buf, n, IL_EFORMAT, "more than 10000");
    }
    n = make_v1(buf, sizeof buf,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }",
                six, sizeof six);
    expect_reject("shape product overflows", buf, n, IL_ELIMIT, "overflows");
    n = make_v1(buf, sizeof buf,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", six,
                sizeof six);
    expect_reject("8 TB declared", buf, n, IL_ELIMIT, "the limit is");
    n = make_v1(buf, sizeof buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 6), }",
                six, sizeof six);
    expect_reject("negative dim", buf, n, IL_EFORMAT, "negative");
    n = make_v1(buf, sizeof buf, "{'descr': '|O', 'fortran_order': False, 'shape': (6,), }", six,
                sizeof six);
    expect_reject("object dtype", buf, n, IL_EFORMAT, "pickles");
    n = make_v1(buf, sizeof buf,
                "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (6,), }", six,
                sizeof six);
    expect_reject("structured dtype", buf, n, IL_EFORMAT, "structured");
    n = make_v1(buf, sizeof buf, "{'descr': '<ixy', 'fortran_order': False, 'shape': (6,), }", six,
                sizeof six);
    expect_reject("descr <ixy", buf, n, IL_EFORMAT, "dtype '<ixy' is not supported");
    n = make_v1(buf, sizeof buf, "{'descr': '<i8', 'fortran_order': False, 'shape': (6,), }", six,
                sizeof six);
    expect_reject("integer dtype", buf, n, IL_EFORMAT, "float32 or float64 only");
    n = make_v1(buf, sizeof buf, "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (6,), }", six,
                sizeof six);
    expect_reject("fortran_order not a bool", buf, n, IL_EFORMAT, "True or False");
    n = make_v1(buf, sizeof buf, good, six, sizeof six);
    buf[10 + strlen(good)] = ' '; /* the header no longer ends in '\n' */
    expect_reject("no final newline", buf, n, IL_EFORMAT, "newline");
    n = make_v1(buf, sizeof buf, "{'descr': '<f8', 'fortran_order': False, 'shape': [2, 3], }", six,
                sizeof six);
    expect_reject("shape a list", buf, n, IL_EFORMAT, "tuple");
    n = make_v1(buf, sizeof buf, "['descr', '<f8']", six, sizeof six);
    expect_reject("not a dict", buf, n, IL_EFORMAT, "not a dict");
}

static long max_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* From files: the 12-byte v2 file grows the peak RSS by less than 1 MiB;
 * a missing file and a folder are I/O errors that name the path. */
static void load_rejects(void)
{
    char path[] = "/tmp/il_npy_XXXXXX";
    int fd = mkstemp(path);
    il_array a;
    il_error err;
    long before;

    REQUIRE(fd >= 0);
    REQUIRE(write(fd, "\x93NUMPY\x02\x00\xf0\xff\xff\xff", 12) == 12);
    close(fd);
    before = max_rss_kib();
    CHECK(il_npy_load(path, CAP, &a, &err) == IL_EFORMAT);
    CHECK(max_rss_kib() - before < 1024);
    CHECK_CONTAINS(err.message, "more than 10000");
    unlink(path);
    CHECK(il_npy_load(path, CAP, &a, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, path);
    CHECK(il_npy_load("/tmp", CAP, &a, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "not a regular file");
}

TEST_MAIN({"numpy_goldens", numpy_goldens}, {"writer_round_trip", writer_round_trip},
          {"rejects", rejects}, {"load_rejects", load_rejects})
