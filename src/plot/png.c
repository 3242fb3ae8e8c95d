/* SPDX-License-Identifier: MIT */
/*
 * A small PNG writer for cairo's ARGB32 images (RFC 2083), onto white.
 *
 * cairo's own writer goes through libpng at zlib's default level with
 * adaptive filtering; for these figures (large flat areas) that was half of
 * `initlab lecture`'s time. Here every row uses the "up" filter (flat areas
 * become runs of zeros) and zlib's fastest level with the run-length
 * strategy: about 6x faster for figures of the same size on disk within 2x.
 */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "initlab/alloc.h"
#include "internal/png.h"

#define CHUNK_OUT 65536

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static il_status write_chunk(il_write_fn w, void *ctx, const char *type, const unsigned char *data,
                             size_t len)
{
    unsigned char head[8], tail[4];
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    il_status st;

    if (len)
        crc = crc32(crc, data, (uInt)len);
    put_u32(head, (uint32_t)len);
    memcpy(head + 4, type, 4);
    put_u32(tail, (uint32_t)crc);
    if ((st = w(ctx, head, 8)) != IL_OK || (len && (st = w(ctx, data, len)) != IL_OK))
        return st;
    return w(ctx, tail, 4);
}

il_status il__png_write(const unsigned char *pixels, int width, int height, int stride,
                        il_write_fn w, void *ctx)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13];
    size_t rgb_bytes = (size_t)width * 3;
    unsigned char *buf = NULL, *prev, *cur, *filt, *out = NULL;
    z_stream z;
    il_status st;

    if (width <= 0 || height <= 0)
        return IL_EINVAL;
    put_u32(ihdr, (uint32_t)width);
    put_u32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* per-row filters */
    ihdr[12] = 0; /* no interlace */
    if ((st = w(ctx, signature, 8)) != IL_OK || (st = write_chunk(w, ctx, "IHDR", ihdr, 13)))
        return st;

    /* the row above (raw), this row (raw), this row filtered with its type byte */
    buf = il_malloc_n(3, rgb_bytes + 1);
    out = il_malloc(CHUNK_OUT);
    memset(&z, 0, sizeof z);
    if (!buf || !out || deflateInit2(&z, 1, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) {
        il_free(buf);
        il_free(out);
        return IL_ENOMEM;
    }
    prev = buf;
    cur = buf + rgb_bytes;
    filt = buf + 2 * rgb_bytes;
    memset(prev, 0, rgb_bytes); /* the row above the first counts as zeros */
    z.next_out = out;
    z.avail_out = CHUNK_OUT;
    for (int y = 0; y <= height && st == IL_OK; y++) {
        int flush = y == height ? Z_FINISH : Z_NO_FLUSH;
        int zrc;

        if (y < height) {
            const uint32_t *src =
                (const uint32_t *)(const void *)(pixels + (size_t)y * (size_t)stride);
            unsigned char *t;
            for (int x = 0; x < width; x++) {
                /* premultiplied 0xAARRGGBB over white: c + (255 - a) */
                uint32_t p = src[x], white = 255u - (p >> 24);
                cur[3 * x] = (unsigned char)(((p >> 16) & 0xffu) + white);
                cur[3 * x + 1] = (unsigned char)(((p >> 8) & 0xffu) + white);
                cur[3 * x + 2] = (unsigned char)((p & 0xffu) + white);
            }
            filt[0] = 2; /* "up" */
            for (size_t i = 0; i < rgb_bytes; i++)
                filt[1 + i] = (unsigned char)(cur[i] - prev[i]);
            t = prev;
            prev = cur;
            cur = t;
            z.next_in = filt;
            z.avail_in = (uInt)(rgb_bytes + 1);
        }
        do {
            zrc = deflate(&z, flush);
            if (zrc == Z_STREAM_ERROR) {
                st = IL_EIO;
                break;
            }
            if (z.avail_out == 0 || zrc == Z_STREAM_END) {
                st = write_chunk(w, ctx, "IDAT", out, CHUNK_OUT - z.avail_out);
                z.next_out = out;
                z.avail_out = CHUNK_OUT;
            }
        } while (st == IL_OK && (z.avail_in > 0 || (flush == Z_FINISH && zrc != Z_STREAM_END)));
    }
    deflateEnd(&z);
    il_free(buf);
    il_free(out);
    if (st != IL_OK)
        return st;
    return write_chunk(w, ctx, "IEND", NULL, 0);
}
