/* SPDX-License-Identifier: MIT */
/*
 * A small streaming PNG writer for cairo's ARGB32 images (RFC 2083),
 * composited onto white.
 *
 * cairo's own writer goes through libpng at zlib's default level with
 * adaptive filtering and needs the whole image in memory; for these figures
 * (large flat areas) that was half of `initlab lecture`'s time. Here every
 * row uses the "up" filter (flat areas become runs of zeros) and zlib's
 * fastest level with the run-length strategy, and rows arrive in strips as
 * they are drawn, so the canvas stays small.
 */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "initlab/alloc.h"
#include "internal/png.h"

#define CHUNK_OUT 65536

struct il__png {
    il_write_fn w;
    void *ctx;
    int width, height, rows_done;
    size_t rgb_bytes;
    unsigned char *prev, *cur, *filt; /* raw row above, raw row, filtered row */
    unsigned char *buf, *out;
    z_stream z;
};

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

static void png_free(il__png *p)
{
    deflateEnd(&p->z);
    il_free(p->buf);
    il_free(p->out);
    il_free(p);
}

il_status il__png_begin(int width, int height, il_write_fn w, void *ctx, il__png **out)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13];
    il__png *p;
    il_status st;

    if (width <= 0 || height <= 0)
        return IL_EINVAL;
    p = il_calloc(1, sizeof *p);
    if (!p)
        return IL_ENOMEM;
    p->w = w;
    p->ctx = ctx;
    p->width = width;
    p->height = height;
    p->rgb_bytes = (size_t)width * 3;
    p->buf = il_malloc_n(3, p->rgb_bytes + 1);
    p->out = il_malloc(CHUNK_OUT);
    if (!p->buf || !p->out || deflateInit2(&p->z, 1, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) {
        il_free(p->buf);
        il_free(p->out);
        il_free(p);
        return IL_ENOMEM;
    }
    p->prev = p->buf;
    p->cur = p->buf + p->rgb_bytes;
    p->filt = p->buf + 2 * p->rgb_bytes;
    memset(p->prev, 0, p->rgb_bytes); /* the row above the first counts as zeros */
    p->z.next_out = p->out;
    p->z.avail_out = CHUNK_OUT;

    put_u32(ihdr, (uint32_t)width);
    put_u32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* per-row filters */
    ihdr[12] = 0; /* no interlace */
    if ((st = w(ctx, signature, 8)) != IL_OK || (st = write_chunk(w, ctx, "IHDR", ihdr, 13))) {
        png_free(p);
        return st;
    }
    *out = p;
    return IL_OK;
}

/* Run deflate over what is queued ('flush' Z_NO_FLUSH or Z_FINISH) and
 * write full output buffers as IDAT chunks. */
static il_status pump(il__png *p, int flush)
{
    il_status st = IL_OK;
    int zrc;
    do {
        zrc = deflate(&p->z, flush);
        if (zrc == Z_STREAM_ERROR)
            return IL_EIO;
        if (p->z.avail_out == 0 || zrc == Z_STREAM_END) {
            st = write_chunk(p->w, p->ctx, "IDAT", p->out, CHUNK_OUT - p->z.avail_out);
            p->z.next_out = p->out;
            p->z.avail_out = CHUNK_OUT;
        }
    } while (st == IL_OK && (p->z.avail_in > 0 || (flush == Z_FINISH && zrc != Z_STREAM_END)));
    return st;
}

il_status il__png_rows(il__png *p, const unsigned char *pixels, int n_rows, int stride)
{
    const int width = p->width;
    const size_t rgb_bytes = p->rgb_bytes;
    il_status st = IL_OK;

    for (int y = 0; y < n_rows && st == IL_OK && p->rows_done < p->height; y++, p->rows_done++) {
        /* Locals, not p->...: stores through unsigned char pointers may
         * alias anything, so the compiler would reload every field. */
        const uint32_t *src = (const uint32_t *)(const void *)(pixels + (size_t)y * (size_t)stride);
        unsigned char *cur = p->cur, *prev = p->prev, *filt = p->filt;
        for (size_t x = 0; x < (size_t)width; x++) {
            /* premultiplied 0xAARRGGBB over white: c + (255 - a) */
            uint32_t px = src[x], white = 255u - (px >> 24);
            cur[3 * x] = (unsigned char)(((px >> 16) & 0xffu) + white);
            cur[3 * x + 1] = (unsigned char)(((px >> 8) & 0xffu) + white);
            cur[3 * x + 2] = (unsigned char)((px & 0xffu) + white);
        }
        filt[0] = 2; /* "up" */
        for (size_t i = 0; i < rgb_bytes; i++)
            filt[1 + i] = (unsigned char)(cur[i] - prev[i]);
        p->prev = cur;
        p->cur = prev;
        p->z.next_in = filt;
        p->z.avail_in = (uInt)(rgb_bytes + 1);
        st = pump(p, Z_NO_FLUSH);
    }
    return st;
}

il_status il__png_end(il__png *p, int abandon)
{
    il_status st = IL_OK;
    if (!abandon) {
        if (p->rows_done != p->height)
            st = IL_EINVAL;
        if (st == IL_OK) {
            p->z.next_in = NULL;
            p->z.avail_in = 0;
            st = pump(p, Z_FINISH);
        }
        if (st == IL_OK)
            st = write_chunk(p->w, p->ctx, "IEND", NULL, 0);
    }
    png_free(p);
    return st;
}
