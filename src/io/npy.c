/* SPDX-License-Identifier: MIT */
/*
 * The .npy writer, format 1.0 (numpy/lib/format.py): magic "\x93NUMPY",
 * version 1 0, a little-endian uint16 header length, then a Python dict
 * literal padded with spaces and ended by '\n' so that the data starts at a
 * multiple of 64 bytes (numpy's ARRAY_ALIGN).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/io.h"

#define NPY_ALIGN 64

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* The header for 'descr' ("<f8", "<f4") and the shape. */
static il_status write_header(const char *descr, const size_t *shape, size_t ndim, il_write_fn w,
                              void *ctx)
{
    char dict[1024], header[1100];
    size_t used, pad;
    int k;

    k = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    used = (size_t)k;
    for (size_t i = 0; i < ndim; i++) {
        k = snprintf(dict + used, sizeof dict - used, "%zu,%s", shape[i],
                     (i + 1 < ndim) ? " " : "");
        if (k < 0 || (size_t)k >= sizeof dict - used)
            return IL_ELIMIT;
        used += (size_t)k;
    }
    /* numpy writes (3,) for one dimension and (2, 3) for more. */
    if (ndim > 1)
        used--; /* drop the trailing comma */
    k = snprintf(dict + used, sizeof dict - used, "), }");
    if (k < 0 || (size_t)k >= sizeof dict - used)
        return IL_ELIMIT;
    used += (size_t)k;
    /* 10 bytes of preamble, the dict, the padding and '\n'. */
    pad = NPY_ALIGN - (10 + used + 1) % NPY_ALIGN;
    if (pad == NPY_ALIGN)
        pad = 0;
    if (used + pad + 1 > 65535 || 10 + used + pad + 1 > sizeof header)
        return IL_ELIMIT;
    memcpy(header, "\x93NUMPY\x01\x00", 8); // NOLINT(bugprone-not-null-terminated-result): bytes
    header[8] = (char)((used + pad + 1) & 0xff);
    header[9] = (char)((used + pad + 1) >> 8);
    memcpy(header + 10, dict, used);
    memset(header + 10 + used, ' ', pad);
    header[10 + used + pad] = '\n';
    return w(ctx, header, 10 + used + pad + 1);
}

il_status il_npy_write_f64(const double *data, const size_t *shape, size_t ndim, il_write_fn w,
                           void *ctx)
{
    size_t numel, total;
    il_status st;

    if (!il_shape_bytes(shape, ndim, 1, &numel) || !il_mul_size(numel, 8, &total))
        return IL_ELIMIT;
    st = write_header("<f8", shape, ndim, w, ctx);
    if (st != IL_OK)
        return st;
    if (host_is_little_endian())
        return w(ctx, data, total);
    for (size_t i = 0; i < numel; i++) {
        unsigned char b[8], le[8];
        memcpy(b, &data[i], 8);
        for (int j = 0; j < 8; j++)
            le[j] = b[7 - j];
        st = w(ctx, le, 8);
        if (st != IL_OK)
            return st;
    }
    return IL_OK;
}

/* float32 values to the file's little-endian order, in place */
static void floats_to_le(float *buf, size_t n)
{
    if (host_is_little_endian())
        return;
    for (size_t j = 0; j < n; j++) {
        unsigned char b[4], t;
        memcpy(b, &buf[j], 4);
        t = b[0], b[0] = b[3], b[3] = t;
        t = b[1], b[1] = b[2], b[2] = t;
        memcpy(&buf[j], b, 4);
    }
}

il_status il_npy_write_f32(const double *data, const size_t *shape, size_t ndim, il_write_fn w,
                           void *ctx)
{
    size_t numel, total;
    float buf[1024];
    il_status st;

    if (!il_shape_bytes(shape, ndim, 1, &numel) || !il_mul_size(numel, 4, &total))
        return IL_ELIMIT;
    st = write_header("<f4", shape, ndim, w, ctx);
    for (size_t i = 0; st == IL_OK && i < numel; i += 1024) {
        size_t n = numel - i < 1024 ? numel - i : 1024;
        for (size_t j = 0; j < n; j++)
            buf[j] = (float)data[i + j];
        floats_to_le(buf, n);
        st = w(ctx, buf, n * 4);
    }
    return st;
}

il_status il_npy_write_floats(const float *data, const size_t *shape, size_t ndim, il_write_fn w,
                              void *ctx)
{
    size_t numel, total;
    float buf[1024];
    il_status st;

    if (!il_shape_bytes(shape, ndim, 1, &numel) || !il_mul_size(numel, 4, &total))
        return IL_ELIMIT;
    st = write_header("<f4", shape, ndim, w, ctx);
    if (st != IL_OK)
        return st;
    if (host_is_little_endian())
        return w(ctx, data, total);
    for (size_t i = 0; st == IL_OK && i < numel; i += 1024) {
        size_t n = numel - i < 1024 ? numel - i : 1024;
        memcpy(buf, data + i, n * sizeof *buf);
        floats_to_le(buf, n);
        st = w(ctx, buf, n * 4);
    }
    return st;
}
