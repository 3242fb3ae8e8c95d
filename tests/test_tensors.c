/* SPDX-License-Identifier: MIT */
/* Checkpoint readers (tensors.h): .npz and its writer, safetensors, .npy
 * folders; on the PyTorch goldens of tests/golden/inspect (made by its
 * make_checkpoints.py) and on archives damaged one field at a time. */

#include "initlab/initlab.h"
#include "test.h"
#include "test_files.h"

#define CAP ((size_t)64 << 20)

static void expect_reject(const char *what,
                          il_status (*parse)(const void *, size_t, size_t, il_tensor_list *,
                                             il_error *),
                          const void *buf, size_t len, il_status want, const char *reason)
{
    il_tensor_list l;
    il_error err;
    il_status st;
    err.message[0] = '\0';
    st = parse(buf, len, CAP, &l, &err);
    if (st != want || !strstr(err.message, reason))
        TEST_FAIL_("%s: status %s '%s', wanted %s '%s'", what, il_status_name(st), err.message,
                   il_status_name(want), reason);
    if (l.items || l.n)
        TEST_FAIL_("%s: a list left behind", what);
    if (st == IL_OK)
        il_tensor_list_release(&l);
}

/* An archive of two arrays, from the writer. */
static il_status two_arrays(il_membuf *mb)
{
    static const double w[6] = {1, -2, 3.5, 0.1, 1e300, -0.0};
    static const double b[3] = {0.1, 0.2, 0.3};
    static const size_t ws[2] = {2, 3}, bs[1] = {3};
    il_npz_writer *z;
    il_error err;
    il_status st = il_npz_writer_open(il_membuf_write, mb, &z);
    if (st != IL_OK)
        return st;
    if ((st = il_npz_writer_add(z, "fc.weight", w, ws, 2, 0, &err)) != IL_OK ||
        (st = il_npz_writer_add(z, "fc.bias", b, bs, 1, 1, &err)) != IL_OK) {
        il_npz_writer_free(z);
        return st;
    }
    return il_npz_writer_close(z, &err);
}

static void npz_round_trip(void)
{
    il_membuf mb = {0};
    il_tensor_list l;
    il_error err;
    REQUIRE(two_arrays(&mb) == IL_OK);
    REQUIRE(il_npz_parse(mb.data, mb.len, CAP, &l, &err) == IL_OK);
    REQUIRE(l.n == 2);
    CHECK_STR(l.items[0].name, "fc.weight");
    CHECK_STR(l.items[0].dtype, "float64");
    CHECK_EQ_U64(l.items[0].array.ndim, 2);
    CHECK_EQ_U64(l.items[0].array.shape[1], 3);
    CHECK(l.items[0].array.data[4] == 1e300 && l.items[0].array.data[2] == 3.5);
    CHECK_STR(l.items[1].name, "fc.bias");
    CHECK_STR(l.items[1].dtype, "float32");
    CHECK(l.items[1].array.data[1] == (double)0.2f); /* rounded to float32 by the writer */
    il_tensor_list_release(&l);
    il_membuf_release(&mb);
}

static void npz_writer_refuses(void)
{
    static const double v[1] = {1};
    static const size_t s[1] = {1};
    il_membuf mb = {0};
    il_npz_writer *z;
    il_error err;
    REQUIRE(il_npz_writer_open(il_membuf_write, &mb, &z) == IL_OK);
    CHECK(il_npz_writer_add(z, "", v, s, 1, 0, &err) == IL_EINVAL);
    CHECK(il_npz_writer_add(z, "a\\b", v, s, 1, 0, &err) == IL_EINVAL);
    CHECK(il_npz_writer_add(z, "/abs", v, s, 1, 0, &err) == IL_EINVAL);
    CHECK(il_npz_writer_add(z, "tab\there", v, s, 1, 0, &err) == IL_EINVAL);
    CHECK(il_npz_writer_add(z, "a", v, s, 1, 0, &err) == IL_OK);
    CHECK(il_npz_writer_add(z, "a", v, s, 1, 0, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "added already");
    CHECK(il_npz_writer_close(z, &err) == IL_OK); /* a refused name does not spoil the rest */
    il_membuf_release(&mb);
}

/* Offsets in the writer's archive of two_arrays: the first local header
 * at 0; the end record in the last 22 bytes. */
static size_t find_sig(const unsigned char *p, size_t len, uint32_t sig, size_t from)
{
    for (size_t i = from; i + 4 <= len; i++)
        if (((uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
             (uint32_t)p[i + 3] << 24) == sig)
            return i;
    return len;
}

static void npz_rejects(void)
{
    il_membuf mb = {0};
    unsigned char *c;
    size_t len, cd, cd2, eocd;
    REQUIRE(two_arrays(&mb) == IL_OK);
    len = mb.len;
    c = malloc(len);
    REQUIRE(c);
    cd = find_sig(mb.data, len, 0x02014b50u, 0);
    cd2 = find_sig(mb.data, len, 0x02014b50u, cd + 4);
    eocd = len - 22;
    REQUIRE(cd < len && cd2 < len);

    expect_reject("cut", il_npz_parse, mb.data, len - 1, IL_EFORMAT, "end of central directory");
    expect_reject("empty", il_npz_parse, "PK\5\6", 4, IL_EFORMAT, "too short");
    memcpy(c, mb.data, len);
    c[200] ^= 1; /* a data byte of the first member */
    expect_reject("crc", il_npz_parse, c, len, IL_EFORMAT, "CRC-32 mismatch");
    memcpy(c, mb.data, len);
    c[cd + 10] = 12; /* bzip2 */
    expect_reject("method", il_npz_parse, c, len, IL_EFORMAT, "compression method 12");
    memcpy(c, mb.data, len);
    c[cd + 8] |= 1;
    expect_reject("encrypted", il_npz_parse, c, len, IL_EFORMAT, "encrypted");
    memcpy(c, mb.data, len);
    memset(c + cd2 + 42, 0, 4); /* the second member at the first's offset */
    expect_reject("local name", il_npz_parse, c, len, IL_EFORMAT, "does not match");
    memcpy(c, mb.data, len);
    c[eocd + 10] = 3; /* 3 members declared */
    c[eocd + 8] = 3;
    expect_reject("count", il_npz_parse, c, len, IL_EFORMAT, "central directory");
    memcpy(c, mb.data, len);
    c[eocd + 16] ^= 4; /* the directory's offset */
    expect_reject("cd offset", il_npz_parse, c, len, IL_EFORMAT, "does not end where");
    memcpy(c, mb.data, len);
    c[cd + 20] = 0xff; /* stored, but the compressed size differs from the size */
    c[cd + 21] = 0xff;
    expect_reject("sizes", il_npz_parse, c, len, IL_EFORMAT, "overrun");
    memcpy(c, mb.data, len);
    c[cd + 10] = 8; /* claims deflate: not a deflate stream */
    c[8] = 8;       /* and in the local header too */
    expect_reject("deflate", il_npz_parse, c, len, IL_EFORMAT, "deflate stream");
    {
        il_tensor_list l;
        il_error err;
        CHECK(il_npz_parse(mb.data, len, 100, &l, &err) == IL_ELIMIT); /* a cap of 100 bytes */
        CHECK(l.items == NULL);
    }
    free(c);
    il_membuf_release(&mb);
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The writer's archive with its end record moved to zip64's (APPNOTE
 * 4.3.14-4.3.16), as Python's zipfile writes it past 65535 members: the
 * zip64 record, its locator, and an end record of 0xFFFF and 0xFFFFFFFF. */
static void npz_zip64_end(void)
{
    il_membuf mb = {0};
    unsigned char *c;
    size_t eocd, n;
    uint64_t cd_size, cd_off;
    il_tensor_list l;
    il_error err;
    REQUIRE(two_arrays(&mb) == IL_OK);
    eocd = mb.len - 22;
    cd_size = (uint64_t)mb.data[eocd + 12] | (uint64_t)mb.data[eocd + 13] << 8 |
              (uint64_t)mb.data[eocd + 14] << 16 | (uint64_t)mb.data[eocd + 15] << 24;
    cd_off = (uint64_t)mb.data[eocd + 16] | (uint64_t)mb.data[eocd + 17] << 8 |
             (uint64_t)mb.data[eocd + 18] << 16 | (uint64_t)mb.data[eocd + 19] << 24;
    n = eocd + 56 + 20 + 22;
    c = calloc(1, n);
    REQUIRE(c);
    memcpy(c, mb.data, eocd);
    put_le(c + eocd, 0x06064b50u, 4); /* the zip64 end record */
    put_le(c + eocd + 4, 44, 8);
    put_le(c + eocd + 12, 45, 2);
    put_le(c + eocd + 14, 45, 2);
    put_le(c + eocd + 24, 2, 8);
    put_le(c + eocd + 32, 2, 8);
    put_le(c + eocd + 40, cd_size, 8);
    put_le(c + eocd + 48, cd_off, 8);
    put_le(c + eocd + 56, 0x07064b50u, 4); /* its locator */
    put_le(c + eocd + 64, eocd, 8);
    put_le(c + eocd + 72, 1, 4);
    put_le(c + eocd + 76, 0x06054b50u, 4); /* the end record, every field in zip64's */
    put_le(c + eocd + 84, 0xffff, 2);
    put_le(c + eocd + 86, 0xffff, 2);
    put_le(c + eocd + 88, 0xffffffffu, 4);
    put_le(c + eocd + 92, 0xffffffffu, 4);
    CHECK(il_npz_parse(c, n, CAP, &l, &err) == IL_OK);
    CHECK_EQ_U64(l.n, 2);
    il_tensor_list_release(&l);
    put_le(c + eocd + 64, eocd + 1, 8); /* the locator pointing past the record */
    expect_reject("zip64 locator", il_npz_parse, c, n, IL_EFORMAT, "not where its locator");
    put_le(c + eocd + 64, eocd, 8);
    put_le(c + eocd + 48, cd_off + 1, 8); /* the directory one byte later */
    expect_reject("zip64 cd", il_npz_parse, c, n, IL_EFORMAT, "does not end where");
    expect_reject("no locator", il_npz_parse, c + eocd + 76, 22, IL_EFORMAT, "locator is missing");
    free(c);
    il_membuf_release(&mb);
}

/* The PyTorch goldens: the same tensors from np.savez's stored zip64
 * members and from safetensors, and np.savez_compressed's deflated ones. */
static void goldens(void)
{
    il_tensor_list a, b, g;
    il_tensor_format fa, fb, fg;
    il_error err;
    REQUIRE(il_tensors_load(IL_GOLDEN_DIR "/inspect/small_torch.npz", CAP, &a, &fa, &err) == IL_OK);
    REQUIRE(il_tensors_load(IL_GOLDEN_DIR "/inspect/small_torch.safetensors", CAP, &b, &fb, &err) ==
            IL_OK);
    CHECK(fa == IL_TENSORS_NPZ && fb == IL_TENSORS_SAFETENSORS);
    REQUIRE(a.n == 8 && b.n == 8); /* SmallNet: 2 convs and 2 linears, weight and bias each */
    for (size_t i = 0; i < a.n; i++) {
        CHECK_STR(a.items[i].name, b.items[i].name);
        CHECK_STR(a.items[i].dtype, "float32");
        CHECK_EQ_U64(a.items[i].array.numel, b.items[i].array.numel);
        CHECK(memcmp(a.items[i].array.data, b.items[i].array.data,
                     a.items[i].array.numel * sizeof(double)) == 0);
    }
    CHECK_STR(a.items[0].name, "conv1.weight");
    CHECK_EQ_U64(a.items[0].array.ndim, 4);
    CHECK_EQ_U64(a.items[0].array.shape[1], 3);
    REQUIRE(il_tensors_load(IL_GOLDEN_DIR "/inspect/gpt2_style.npz", CAP, &g, &fg, &err) == IL_OK);
    CHECK_EQ_U64(g.n, 52); /* wte, wpe, 4 blocks of 12, ln_f's 2 */
    il_tensor_list_release(&a);
    il_tensor_list_release(&b);
    il_tensor_list_release(&g);
}

/* A safetensors file of 'header' (padded with spaces to 8 bytes) and
 * 'data'. */
static size_t make_st(unsigned char *out, const char *header, const void *data, size_t n)
{
    size_t h = strlen(header), pad = (8 - h % 8) % 8;
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)((h + pad) >> (8 * i));
    memcpy(out + 8, header, h);
    memset(out + 8 + h, ' ', pad);
    memcpy(out + 8 + h + pad, data, n);
    return 8 + h + pad + n;
}

static void safetensors_dtypes(void)
{
    /* little-endian bytes: F16 1, -2, 2^-24 (the least subnormal), inf;
     * BF16 1, -3; an I64 7 (skipped); F64 0.1 */
    static const unsigned char data[] = {0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c, 0x80, 0x3f,
                                         0x40, 0xc0, 7,    0,    0,    0,    0,    0,    0,    0,
                                         0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f};
    unsigned char buf[512];
    il_tensor_list l;
    il_error err;
    size_t n = make_st(buf,
                       "{\"__metadata__\":{\"format\":\"pt\"},"
                       "\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                       "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                       "\"steps\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[12,20]},"
                       "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[20,28]}}",
                       data, sizeof data);
    REQUIRE(il_safetensors_parse(buf, n, CAP, &l, &err) == IL_OK);
    REQUIRE(l.n == 4);
    CHECK_STR(l.items[0].dtype, "float16");
    CHECK(l.items[0].array.data[0] == 1 && l.items[0].array.data[1] == -2);
    CHECK(l.items[0].array.data[2] == ldexp(1, -24) && isinf(l.items[0].array.data[3]));
    CHECK_STR(l.items[1].dtype, "bfloat16");
    CHECK(l.items[1].array.data[0] == 1 && l.items[1].array.data[1] == -3);
    CHECK(l.items[2].skipped && l.items[2].array.data == NULL);
    CHECK_STR(l.items[2].dtype, "I64");
    CHECK(l.items[3].array.data[0] == 0.1);
    il_tensor_list_release(&l);
}

static void safetensors_rejects(void)
{
    static const unsigned char z[16] = {0};
    static const struct {
        const char *what, *header, *reason;
        size_t data;
    } cases[] = {
        {"overlap",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         "inside another", 12},
        {"hole", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
         "leaving a hole", 8},
        {"tail", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
         "after the last", 8},
        {"size", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "need 12", 8},
        {"past", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
         "past the data", 8},
        {"dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}",
         "unknown dtype", 16},
        {"duplicate",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
         "duplicate key", 8},
        {"negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
         "non-negative", 4},
        {"extra key", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
         "unexpected key", 4},
        {"metadata", "{\"__metadata__\":{\"k\":1}}", "not a string", 0},
        {"none", "{}", "no tensors", 0},
        {"not json", "{\"a\":", "safetensors header", 0},
    };
    unsigned char buf[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = make_st(buf, cases[i].header, z, cases[i].data);
        expect_reject(cases[i].what, il_safetensors_parse, buf, n, IL_EFORMAT, cases[i].reason);
    }
    memset(buf, 0xff, 16);
    expect_reject("length", il_safetensors_parse, buf, 16, IL_EFORMAT, "a header of");
}

static il_status write_npy(const char *path, const double *v, size_t n)
{
    FILE *f = fopen(path, "wb");
    il_membuf mb = {0};
    il_status st = il_npy_write_f32(v, &n, 1, il_membuf_write, &mb);
    if (!f)
        return IL_EIO;
    if (st == IL_OK && fwrite(mb.data, 1, mb.len, f) != mb.len)
        st = IL_EIO;
    fclose(f);
    il_membuf_release(&mb);
    return st;
}

static void npy_folder(void)
{
    static const double v[4] = {1, 2, 3, 4};
    char path[512];
    il_tensor_list l;
    il_tensor_format fmt;
    il_error err;
    REQUIRE(make_tmpdir());
    snprintf(path, sizeof path, "%s/w2.npy", tmpdir);
    REQUIRE(write_npy(path, v, 4) == IL_OK);
    snprintf(path, sizeof path, "%s/w1.npy", tmpdir);
    REQUIRE(write_npy(path, v, 2) == IL_OK);
    snprintf(path, sizeof path, "%s/notes.txt", tmpdir);
    REQUIRE(write_npy(path, v, 1) == IL_OK); /* not *.npy: not read */
    REQUIRE(il_tensors_load(tmpdir, CAP, &l, &fmt, &err) == IL_OK);
    CHECK(fmt == IL_TENSORS_NPY_FOLDER);
    REQUIRE(l.n == 2);
    CHECK_STR(l.items[0].name, "w1"); /* by name */
    CHECK_EQ_U64(l.items[1].array.numel, 4);
    CHECK_STR(l.items[1].dtype, "float32");
    il_tensor_list_release(&l);
    snprintf(path, sizeof path, "%s/w1.npy", tmpdir);
    REQUIRE(il_tensors_load(path, CAP, &l, &fmt, &err) == IL_OK);
    CHECK(fmt == IL_TENSORS_NPY && l.n == 1);
    CHECK_STR(l.items[0].name, "w1");
    il_tensor_list_release(&l);
    remove_dir(tmpdir);
}

TEST_MAIN({"npz_round_trip", npz_round_trip}, {"npz_writer_refuses", npz_writer_refuses},
          {"npz_rejects", npz_rejects}, {"npz_zip64_end", npz_zip64_end}, {"goldens", goldens},
          {"safetensors_dtypes", safetensors_dtypes}, {"safetensors_rejects", safetensors_rejects},
          {"npy_folder", npy_folder})
