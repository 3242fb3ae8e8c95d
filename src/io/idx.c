/* SPDX-License-Identifier: MIT */
/*
 * The IDX reader (LeCun's MNIST format), raw or gzip-compressed:
 *
 *   0x00 0x00 TYPE NDIM     TYPE 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32,
 *                           0x0D f32, 0x0E f64
 *   NDIM big-endian uint32 dimensions
 *   the data, C order, multi-byte values big-endian
 *
 * zlib reads both forms through one gzFile, so "train-images-idx3-ubyte"
 * and "train-images-idx3-ubyte.gz" load alike. The declared size is
 * checked (overflow, the caller's cap, and for a raw file the file's
 * length) before the data is allocated; a short or over-long file is an
 * error. Values are kept in their own type, in host byte order: 60000
 * MNIST images are 47 MB as bytes and would be 376 MB as doubles.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "initlab/alloc.h"
#include "initlab/io.h"
#include "internal/spec_impl.h"

static size_t type_size(unsigned type)
{
    switch (type) {
    case IL_IDX_U8:
    case IL_IDX_I8:
        return 1;
    case IL_IDX_I16:
        return 2;
    case IL_IDX_I32:
    case IL_IDX_F32:
        return 4;
    case IL_IDX_F64:
        return 8;
    default:
        return 0;
    }
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* The magic's 4 bytes: type and number of dimensions, or an error. */
static il_status check_magic(const unsigned char *m, size_t got, const char *name, il_error *err)
{
    if (got >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
        il__set_error(err,
                      "%s: gzip-compressed data here (magic 0x1F8B...): give the .gz file "
                      "itself, or gunzip it",
                      name);
        return IL_EFORMAT;
    }
    if (got < 4) {
        il__set_error(err, "%s: truncated IDX file: no magic number", name);
        return IL_EFORMAT;
    }
    if (m[0] != 0 || m[1] != 0) {
        il__set_error(err, "%s: not an IDX file (magic 0x%02X%02X%02X%02X; it starts 0x0000)", name,
                      m[0], m[1], m[2], m[3]);
        return IL_EFORMAT;
    }
    if (type_size(m[2]) == 0) {
        il__set_error(err, "%s: unknown IDX type code 0x%02X (0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E)",
                      name, m[2]);
        return IL_EFORMAT;
    }
    if (m[3] == 0 || m[3] > IL_IDX_MAX_DIMS) {
        il__set_error(err, "%s: %u dimensions (an IDX file has 1..%d)", name, m[3],
                      IL_IDX_MAX_DIMS);
        return IL_EFORMAT;
    }
    return IL_OK;
}

/* The dimensions that follow the magic, and the data's byte count. */
static il_status read_dims(const unsigned char *d, il_idx *out, size_t max_bytes, const char *name,
                           size_t *bytes, il_error *err)
{
    size_t n;
    for (size_t i = 0; i < out->ndim; i++)
        out->shape[i] = be32(d + 4 * i);
    if (!il_shape_bytes(out->shape, out->ndim, 1, &n) || !il_mul_size(n, out->elem, bytes)) {
        il__set_error(err, "%s: the declared size overflows", name);
        return IL_ELIMIT;
    }
    if (*bytes > max_bytes) {
        il__set_error(err, "%s: the data needs %zu bytes; the limit is %zu", name, *bytes,
                      max_bytes);
        return IL_ELIMIT;
    }
    out->numel = n;
    return IL_OK;
}

/* Big-endian values to the host's order, in place. */
static void to_host(il_idx *x)
{
    unsigned char *p = x->data;
    if (x->elem == 1 || !host_is_little_endian())
        return;
    for (size_t i = 0; i < x->numel; i++, p += x->elem)
        for (size_t a = 0, b = x->elem - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

il_status il_idx_parse(const void *buf, size_t len, size_t max_bytes, il_idx *out, il_error *err)
{
    const unsigned char *p = buf;
    size_t bytes, head;
    il_status st;

    memset(out, 0, sizeof *out);
    if ((st = check_magic(p, len, "idx", err)) != IL_OK)
        return st;
    out->type = p[2];
    out->elem = type_size(p[2]);
    out->ndim = p[3];
    head = 4 + 4 * out->ndim;
    if (len < head) {
        il__set_error(err, "idx: truncated IDX file: %zu dimensions need %zu header bytes",
                      out->ndim, head);
        memset(out, 0, sizeof *out);
        return IL_EFORMAT;
    }
    st = read_dims(p + 4, out, max_bytes, "idx", &bytes, err);
    if (st == IL_OK && len - head != bytes) {
        il__set_error(err, "idx: the header declares %zu data bytes; %zu are there", bytes,
                      len - head);
        st = IL_EFORMAT;
    }
    if (st != IL_OK) {
        memset(out, 0, sizeof *out);
        return st;
    }
    out->data = il_malloc(bytes);
    if (!out->data) {
        memset(out, 0, sizeof *out);
        return IL_ENOMEM;
    }
    if (bytes)
        memcpy(out->data, p + head, bytes);
    to_host(out);
    return IL_OK;
}

il_status il_idx_load(const char *path, size_t max_bytes, il_idx *out, il_error *err)
{
    unsigned char head[4 + 4 * IL_IDX_MAX_DIMS], extra;
    struct stat sb;
    size_t bytes, hlen;
    gzFile gz;
    int got, compressed;
    il_status st;

    memset(out, 0, sizeof *out);
    if (stat(path, &sb) != 0) {
        il__set_error(err, "cannot open '%s': %s", path, strerror(errno));
        return IL_EIO;
    }
    if (!S_ISREG(sb.st_mode)) {
        il__set_error(err, "'%s' is not a regular file", path);
        return IL_EIO;
    }
    gz = gzopen(path, "rb");
    if (!gz) {
        il__set_error(err, "cannot open '%s': %s", path, errno ? strerror(errno) : "out of memory");
        return errno ? IL_EIO : IL_ENOMEM;
    }
    got = gzread(gz, head, 4);
    st = check_magic(head, got > 0 ? (size_t)got : 0, path, err);
    compressed = !gzdirect(gz);
    if (st == IL_OK) {
        out->type = head[2];
        out->elem = type_size(head[2]);
        out->ndim = head[3];
        hlen = 4 + 4 * out->ndim;
        got = gzread(gz, head + 4, (unsigned)(hlen - 4));
        if (got < 0 || (size_t)got != hlen - 4) {
            il__set_error(err, "%s: truncated IDX file: %zu dimensions need %zu header bytes", path,
                          out->ndim, hlen);
            st = IL_EFORMAT;
        }
    }
    if (st == IL_OK)
        st = read_dims(head + 4, out, max_bytes, path, &bytes, err);
    if (st == IL_OK && !compressed && (uint64_t)sb.st_size != (uint64_t)(hlen + bytes)) {
        il__set_error(err, "%s: the header declares %zu data bytes; the file has %llu", path, bytes,
                      (unsigned long long)sb.st_size - hlen);
        st = IL_EFORMAT;
    }
    if (st == IL_OK && !(out->data = il_malloc(bytes)))
        st = IL_ENOMEM;
    /* gzread takes an unsigned count: read in pieces of at most 1 GiB */
    for (size_t done = 0; st == IL_OK && done < bytes;) {
        size_t want = bytes - done < ((size_t)1 << 30) ? bytes - done : (size_t)1 << 30;
        got = gzread(gz, (unsigned char *)out->data + done, (unsigned)want);
        if (got <= 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            il__set_error(err, "%s: truncated IDX file: %zu of %zu data bytes (%s)", path, done,
                          bytes, zerr != Z_OK ? msg : "end of file");
            st = IL_EFORMAT;
        }
        done += got > 0 ? (size_t)got : 0;
    }
    if (st == IL_OK && gzread(gz, &extra, 1) != 0) {
        il__set_error(err, "%s: data continues after the %zu bytes the header declares", path,
                      bytes);
        st = IL_EFORMAT;
    }
    gzclose(gz);
    if (st != IL_OK) {
        il_free(out->data);
        memset(out, 0, sizeof *out);
        return st;
    }
    to_host(out);
    return IL_OK;
}

double il_idx_value(const il_idx *x, size_t i)
{
    const unsigned char *p = (const unsigned char *)x->data + i * x->elem;
    switch (x->type) {
    case IL_IDX_U8:
        return (double)p[0];
    case IL_IDX_I8:
        return (double)(int8_t)p[0];
    case IL_IDX_I16: {
        int16_t v;
        memcpy(&v, p, 2);
        return (double)v;
    }
    case IL_IDX_I32: {
        int32_t v;
        memcpy(&v, p, 4);
        return (double)v;
    }
    case IL_IDX_F32: {
        float v;
        memcpy(&v, p, 4);
        return (double)v;
    }
    default: {
        double v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

void il_idx_release(il_idx *x)
{
    il_free(x->data);
    memset(x, 0, sizeof *x);
}
