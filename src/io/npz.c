/* SPDX-License-Identifier: MIT */
/*
 * numpy's .npz (numpy/lib/_npyio_impl.py, savez): a zip archive (PKWARE's
 * APPNOTE.TXT) of NAME.npy members, stored by np.savez and deflated by
 * np.savez_compressed. The reader trusts nothing in the archive:
 *
 *   - the end of central directory record is looked for in the last
 *     65557 bytes and its comment must end the file; with zip64 (which
 *     Python's zipfile writes past 65535 members or 4 GiB) its locator and
 *     record must lie before it;
 *   - the central directory must fill exactly the bytes it declares, end
 *     where the end record (or the zip64 one) starts, and hold exactly
 *     the declared count of entries;
 *   - every member's local header must lie before the central directory,
 *     name the same file with the same method, and its data must end
 *     before the central directory; no two members' bytes may overlap;
 *   - only stored and deflated members are read, never encrypted ones;
 *     the uncompressed size is checked against the caller's cap before
 *     anything is allocated, the inflated stream must be exactly that
 *     long and use exactly the compressed bytes, and the CRC-32 must match.
 *
 * numpy writes every member with force_zip64=True (numpy gh-10776): the
 * local header's sizes are then 0xFFFFFFFF with a zip64 extra field, while
 * the central directory holds the real sizes. The central directory is
 * read as the authority, which is why the local sizes are not compared.
 *
 * The writer (il_npz_writer) makes what np.savez makes, less the zip64
 * extras: stored members with their CRC-32 in the local header, so no
 * seeking back is needed and any sink will do.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "initlab/alloc.h"
#include "internal/spec_impl.h"
#include "tensors_impl.h"

#define SIG_LOCAL   0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END     0x06054b50u
#define SIG_END64   0x06064b50u
#define SIG_LOC64   0x07064b50u
#define LOCAL_LEN   30
#define CENTRAL_LEN 46
#define END_LEN     22
#define END64_LEN   56
#define LOC64_LEN   20
#define MAX_COMMENT 65535

static uint32_t rd16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
    return rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* One member, as its central directory entry gives it. */
typedef struct member {
    const unsigned char *name;
    size_t name_len;
    unsigned method;
    uint32_t crc;
    uint64_t csize, usize, offset;
    uint64_t end; /* one past its data */
} member;

/* Where the central directory is: [*cd_off, *cd_off + *cd_size), *count
 * entries, ending at *cd_end. */
static il_status find_directory(const unsigned char *p, size_t len, uint64_t *cd_off,
                                uint64_t *cd_size, uint64_t *count, uint64_t *cd_end, il_error *err)
{
    size_t eocd = 0, lo;
    int found = 0;
    uint32_t n_disk, n_total;

    if (len < END_LEN) {
        il__set_error(err, "not a zip archive: %zu bytes, too short for the end record", len);
        return IL_EFORMAT;
    }
    lo = len - END_LEN > MAX_COMMENT ? len - END_LEN - MAX_COMMENT : 0;
    for (size_t i = len - END_LEN + 1; i-- > lo;)
        if (rd32(p + i) == SIG_END && rd16(p + i + 20) == len - i - END_LEN) {
            eocd = i;
            found = 1;
            break;
        }
    if (!found) {
        il__set_error(err, "not a zip archive: no end of central directory record");
        return IL_EFORMAT;
    }
    n_disk = rd16(p + eocd + 8);
    n_total = rd16(p + eocd + 10);
    if (rd16(p + eocd + 4) != 0 || rd16(p + eocd + 6) != 0 || n_disk != n_total) {
        il__set_error(err, "multi-disk zip archives are not supported");
        return IL_EFORMAT;
    }
    *count = n_total;
    *cd_size = rd32(p + eocd + 12);
    *cd_off = rd32(p + eocd + 16);
    *cd_end = eocd;
    if (n_total == 0xFFFF || *cd_size == 0xFFFFFFFFu || *cd_off == 0xFFFFFFFFu) {
        /* zip64: the locator just before the end record points at the
         * zip64 end record, which must end where the locator starts */
        uint64_t r;
        if (eocd < LOC64_LEN || rd32(p + eocd - LOC64_LEN) != SIG_LOC64) {
            il__set_error(err, "the zip64 end record's locator is missing");
            return IL_EFORMAT;
        }
        r = rd64(p + eocd - LOC64_LEN + 8);
        if (rd32(p + eocd - LOC64_LEN + 4) != 0 || rd32(p + eocd - LOC64_LEN + 16) > 1) {
            il__set_error(err, "multi-disk zip archives are not supported");
            return IL_EFORMAT;
        }
        if (r > eocd - LOC64_LEN || eocd - LOC64_LEN - r < END64_LEN || rd32(p + r) != SIG_END64) {
            il__set_error(err, "the zip64 end record is not where its locator says");
            return IL_EFORMAT;
        }
        if (rd32(p + r + 16) != 0 || rd32(p + r + 20) != 0 ||
            rd64(p + r + 24) != rd64(p + r + 32)) {
            il__set_error(err, "multi-disk zip archives are not supported");
            return IL_EFORMAT;
        }
        *count = rd64(p + r + 32);
        *cd_size = rd64(p + r + 40);
        *cd_off = rd64(p + r + 48);
        *cd_end = r;
    }
    if (*cd_off > *cd_end || *cd_end - *cd_off != *cd_size) {
        il__set_error(err,
                      "the central directory (%llu bytes at %llu) does not end where the "
                      "end record starts (%llu)",
                      (unsigned long long)*cd_size, (unsigned long long)*cd_off,
                      (unsigned long long)*cd_end);
        return IL_EFORMAT;
    }
    if (*count > IL_TENSORS_MAX || *count > *cd_size / CENTRAL_LEN) {
        il__set_error(err, "the central directory cannot hold the %llu members it declares",
                      (unsigned long long)*count);
        return *count > IL_TENSORS_MAX ? IL_ELIMIT : IL_EFORMAT;
    }
    return IL_OK;
}

/* The zip64 extra field (id 1) of a central entry: the 64-bit values of
 * the fields that are 0xFFFFFFFF, in the order usize, csize, offset. */
static il_status read_zip64_extra(const unsigned char *x, size_t xlen, member *m, il_error *err)
{
    while (xlen >= 4) {
        uint32_t id = rd16(x), n = rd16(x + 2);
        if (n > xlen - 4)
            break;
        if (id == 1) {
            uint64_t *f[3] = {&m->usize, &m->csize, &m->offset};
            size_t at = 4;
            for (int k = 0; k < 3; k++) {
                if (*f[k] != 0xFFFFFFFFu)
                    continue;
                if (at + 8 > 4 + (size_t)n) {
                    il__set_error(err, "a zip64 extra field is too short");
                    return IL_EFORMAT;
                }
                *f[k] = rd64(x + at);
                at += 8;
            }
            return IL_OK;
        }
        x += 4 + n;
        xlen -= 4 + n;
    }
    if (m->usize == 0xFFFFFFFFu || m->csize == 0xFFFFFFFFu || m->offset == 0xFFFFFFFFu) {
        il__set_error(err, "a member's sizes need a zip64 extra field, which is missing");
        return IL_EFORMAT;
    }
    return IL_OK;
}

/* The central directory entry at *pos into 'm', its local header checked;
 * *pos moves past it. */
static il_status read_entry(const unsigned char *p, uint64_t cd_off, uint64_t cd_end, size_t *pos,
                            member *m, il_error *err)
{
    const unsigned char *e = p + *pos, *l;
    size_t nlen, xlen, clen, lnlen, lxlen;
    uint32_t flags;
    il_status st;

    if (cd_end - *pos < CENTRAL_LEN || rd32(e) != SIG_CENTRAL) {
        il__set_error(err, "a central directory entry at byte %zu is malformed", *pos);
        return IL_EFORMAT;
    }
    nlen = rd16(e + 28);
    xlen = rd16(e + 30);
    clen = rd16(e + 32);
    if (cd_end - *pos - CENTRAL_LEN < nlen + xlen + clen) {
        il__set_error(err, "a central directory entry at byte %zu overruns the directory", *pos);
        return IL_EFORMAT;
    }
    flags = rd16(e + 8);
    m->method = rd16(e + 10);
    m->crc = rd32(e + 16);
    m->csize = rd32(e + 20);
    m->usize = rd32(e + 24);
    m->offset = rd32(e + 42);
    m->name = e + CENTRAL_LEN;
    m->name_len = nlen;
    *pos += CENTRAL_LEN + nlen + xlen + clen;
    if (rd16(e + 34) != 0) {
        il__set_error(err, "multi-disk zip archives are not supported");
        return IL_EFORMAT;
    }
    if ((st = read_zip64_extra(e + CENTRAL_LEN + nlen, xlen, m, err)) != IL_OK)
        return st;
    if (flags & 1u) {
        il__set_error(err, "member '%.*s' is encrypted", (int)nlen, (const char *)m->name);
        return IL_EFORMAT;
    }
    if (m->method != 0 && m->method != 8) {
        il__set_error(err, "member '%.*s' uses compression method %u (stored and deflated only)",
                      (int)nlen, (const char *)m->name, m->method);
        return IL_EFORMAT;
    }
    /* the local header: before the directory, the same name and method */
    if (m->offset > cd_off || cd_off - m->offset < LOCAL_LEN || rd32(p + m->offset) != SIG_LOCAL) {
        il__set_error(err, "member '%.*s': no local header at byte %llu", (int)nlen,
                      (const char *)m->name, (unsigned long long)m->offset);
        return IL_EFORMAT;
    }
    l = p + m->offset;
    lnlen = rd16(l + 26);
    lxlen = rd16(l + 28);
    if (cd_off - m->offset - LOCAL_LEN < lnlen + lxlen || lnlen != nlen ||
        memcmp(l + LOCAL_LEN, m->name, nlen) != 0 || rd16(l + 8) != m->method) {
        il__set_error(err, "member '%.*s': its local header does not match the directory",
                      (int)nlen, (const char *)m->name);
        return IL_EFORMAT;
    }
    m->end = m->offset + LOCAL_LEN + lnlen + lxlen;
    if (cd_off - m->end < m->csize) {
        il__set_error(err, "member '%.*s': its %llu data bytes overrun the central directory",
                      (int)nlen, (const char *)m->name, (unsigned long long)m->csize);
        return IL_EFORMAT;
    }
    m->end += m->csize;
    return IL_OK;
}

static int by_offset(const void *a, const void *b)
{
    const member *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Inflate the raw deflate stream src[0..n) into exactly 'out_len' bytes. */
static int inflate_exact(const unsigned char *src, uint64_t n, unsigned char *out, size_t out_len)
{
    z_stream z;
    int rc, ok;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK)
        return 0;
    z.next_in = (Bytef *)(uintptr_t)src;
    z.next_out = out;
    do {
        /* zlib counts in uInt: feed and drain in pieces of at most 1 GiB */
        uint64_t in_left = n - (uint64_t)(z.next_in - src);
        size_t out_left = out_len - (size_t)(z.next_out - out);
        z.avail_in = (uInt)(in_left < (1u << 30) ? in_left : (1u << 30));
        z.avail_out = (uInt)(out_left < (1u << 30) ? out_left : (1u << 30));
        rc = inflate(&z, Z_NO_FLUSH);
    } while (rc == Z_OK && (z.avail_in == 0 || z.avail_out == 0) &&
             ((uint64_t)(z.next_in - src) < n || (size_t)(z.next_out - out) < out_len));
    ok = rc == Z_STREAM_END && (uint64_t)(z.next_in - src) == n &&
         (size_t)(z.next_out - out) == out_len;
    inflateEnd(&z);
    return ok;
}

static uint32_t crc_of(const unsigned char *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt k = (uInt)(n < (1u << 30) ? n : (1u << 30));
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

/* Member 'm' read as a tensor of b. */
static il_status read_member(tensor_builder *b, const unsigned char *p, size_t max_bytes,
                             const member *m, il_error *err)
{
    const unsigned char *data = p + m->end - m->csize;
    unsigned char *inflated = NULL;
    size_t nlen = m->name_len - 4;
    il_tensor *t;
    il_status st;

    if (m->name_len <= 4 || memcmp(m->name + nlen, ".npy", 4) != 0) {
        il__set_error(err, "member '%.*s' is not a .npy file", (int)m->name_len,
                      (const char *)m->name);
        return IL_EFORMAT;
    }
    if (!il__tensor_name_ok((const char *)m->name, nlen)) {
        il__set_error(err, "a member's name is not printable UTF-8 of at most %d bytes",
                      IL_TENSOR_NAME_MAX);
        return IL_EFORMAT;
    }
    if (m->usize > max_bytes) {
        il__set_error(err, "member '%.*s' is %llu bytes uncompressed; the limit is %zu", (int)nlen,
                      (const char *)m->name, (unsigned long long)m->usize, max_bytes);
        return IL_ELIMIT;
    }
    if (m->method == 0 && m->csize != m->usize) {
        il__set_error(err, "member '%.*s' is stored but its sizes differ", (int)nlen,
                      (const char *)m->name);
        return IL_EFORMAT;
    }
    if (m->method == 8) {
        if (!(inflated = il_malloc(m->usize ? (size_t)m->usize : 1)))
            return IL_ENOMEM;
        if (!inflate_exact(data, m->csize, inflated, (size_t)m->usize)) {
            il_free(inflated);
            il__set_error(err, "member '%.*s': the deflate stream is corrupt or not %llu bytes",
                          (int)nlen, (const char *)m->name, (unsigned long long)m->usize);
            return IL_EFORMAT;
        }
        data = inflated;
    }
    if (crc_of(data, (size_t)m->usize) != m->crc) {
        il__set_error(err, "member '%.*s': CRC-32 mismatch (the data is corrupt)", (int)nlen,
                      (const char *)m->name);
        st = IL_EFORMAT;
    } else if ((t = il__tensors_add(b, (const char *)m->name, nlen, &st, err)) != NULL) {
        st = il__tensor_from_npy(b, data, (size_t)m->usize, t, err);
        if (st != IL_OK && err) {
            il_error inner = *err;
            il__set_error(err, "member '%s.npy': %s", t->name, inner.message);
        }
    }
    il_free(inflated);
    return st;
}

/* No two members' bytes (local header to data end) may overlap: checked
 * before any is read, so that entries sharing one member's data cannot
 * make it inflate many times. Sorts a copy by offset; the directory's
 * order is kept for the list. */
static il_status check_overlap(const member *ms, size_t n, il_error *err)
{
    member *s = il_malloc_n(n, sizeof *s);
    il_status st = IL_OK;
    if (!s)
        return IL_ENOMEM;
    memcpy(s, ms, n * sizeof *s);
    qsort(s, n, sizeof *s, by_offset);
    for (size_t i = 1; i < n && st == IL_OK; i++)
        if (s[i].offset < s[i - 1].end) {
            il__set_error(err, "members '%.*s' and '%.*s' overlap", (int)s[i - 1].name_len,
                          (const char *)s[i - 1].name, (int)s[i].name_len, (const char *)s[i].name);
            st = IL_EFORMAT;
        }
    il_free(s);
    return st;
}

static int by_name_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Two members of one name: np.load would silently keep the last. */
static il_status check_unique(const il_tensor_list *l, il_error *err)
{
    const char **names;
    il_status st = IL_OK;
    if (l->n < 2)
        return IL_OK;
    if (!(names = il_malloc_n(l->n, sizeof *names)))
        return IL_ENOMEM;
    for (size_t i = 0; i < l->n; i++)
        names[i] = l->items[i].name;
    qsort(names, l->n, sizeof *names, by_name_ptr);
    for (size_t i = 1; i < l->n && st == IL_OK; i++)
        if (strcmp(names[i - 1], names[i]) == 0) {
            il__set_error(err, "two members are named '%s.npy'", names[i]);
            st = IL_EFORMAT;
        }
    il_free(names);
    return st;
}

il_status il_npz_parse(const void *buf, size_t len, size_t max_bytes, il_tensor_list *out,
                       il_error *err)
{
    const unsigned char *p = buf;
    tensor_builder b = {{NULL, 0}, 0, max_bytes};
    uint64_t cd_off = 0, cd_size = 0, count = 0, cd_end = 0;
    member *ms = NULL;
    size_t pos;
    il_status st;

    memset(out, 0, sizeof *out);
    st = find_directory(p, len, &cd_off, &cd_size, &count, &cd_end, err);
    if (st == IL_OK && count == 0) {
        il__set_error(err, "the archive holds no members");
        st = IL_EFORMAT;
    }
    if (st == IL_OK && !(ms = il_malloc_n((size_t)count, sizeof *ms)))
        st = IL_ENOMEM;
    pos = (size_t)cd_off;
    for (size_t i = 0; st == IL_OK && i < count; i++)
        st = read_entry(p, cd_off, cd_end, &pos, &ms[i], err);
    if (st == IL_OK && pos != cd_end) {
        il__set_error(err, "the central directory has %llu bytes after its %llu entries",
                      (unsigned long long)(cd_end - pos), (unsigned long long)count);
        st = IL_EFORMAT;
    }
    if (st == IL_OK)
        st = check_overlap(ms, (size_t)count, err);
    for (size_t i = 0; st == IL_OK && i < count; i++)
        st = read_member(&b, p, max_bytes, &ms[i], err);
    if (st == IL_OK)
        st = check_unique(&b.list, err);
    il_free(ms);
    return il__tensors_finish(&b, st, out);
}

/* ---- the writer ---- */

typedef struct npz_entry {
    char *name; /* NAME.npy */
    size_t name_len;
    uint32_t crc, size, offset;
} npz_entry;

struct il_npz_writer {
    il_write_fn w;
    void *ctx;
    uint64_t off; /* bytes written */
    npz_entry *entries;
    size_t n, cap;
    il_status failed; /* the first error: every later call returns it */
};

#define ZIP32_MAX 0xFFFFFFFFu
#define DOS_DATE  0x21 /* 1980-01-01, the earliest: the same bytes for the same arrays */
#define ZIP_VER   20   /* 2.0: deflate-era features, no zip64 */
#define FLAG_UTF8 0x800u

static void wr16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8 & 0xff);
}

static void wr32(unsigned char *p, uint32_t v)
{
    wr16(p, v & 0xffff);
    wr16(p + 2, v >> 16);
}

static il_status put(il_npz_writer *z, const void *buf, size_t n)
{
    il_status st = z->w(z->ctx, buf, n);
    if (st == IL_OK)
        z->off += n;
    else
        z->failed = st;
    return st;
}

il_status il_npz_writer_open(il_write_fn w, void *ctx, il_npz_writer **out)
{
    il_npz_writer *z = il_calloc(1, sizeof *z);
    *out = NULL;
    if (!z)
        return IL_ENOMEM;
    z->w = w;
    z->ctx = ctx;
    *out = z;
    return IL_OK;
}

static int ascii_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

static il_status check_new_name(const il_npz_writer *z, const char *name, il_error *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > IL_TENSOR_NAME_MAX - 4 || !il__tensor_name_ok(name, n) ||
        strchr(name, '\\') || name[0] == '/') {
        il__set_error(err,
                      "npz: '%s' is not a member name (1 to %d bytes of UTF-8, no control "
                      "bytes, no '\\', not starting with '/')",
                      name, IL_TENSOR_NAME_MAX - 4);
        return IL_EINVAL;
    }
    for (size_t i = 0; i < z->n; i++)
        if (z->entries[i].name_len == n + 4 && memcmp(z->entries[i].name, name, n) == 0) {
            il__set_error(err, "npz: the array '%s' was added already", name);
            return IL_EINVAL;
        }
    return IL_OK;
}

il_status il_npz_writer_add(il_npz_writer *z, const char *name, const double *data,
                            const size_t *shape, size_t ndim, int f32, il_error *err)
{
    il_membuf mb = {0};
    unsigned char h[LOCAL_LEN];
    size_t n = strlen(name);
    npz_entry *e;
    il_status st;

    if (z->failed != IL_OK)
        return z->failed;
    if ((st = check_new_name(z, name, err)) != IL_OK)
        return st;
    if (z->n == 0xFFFF) {
        il__set_error(err, "npz: more than 65535 arrays need zip64, which is not written");
        return IL_ELIMIT;
    }
    st = f32 ? il_npy_write_f32(data, shape, ndim, il_membuf_write, &mb)
             : il_npy_write_f64(data, shape, ndim, il_membuf_write, &mb);
    if (st == IL_OK && (mb.len > ZIP32_MAX || z->off + LOCAL_LEN + n + 4 + mb.len > ZIP32_MAX)) {
        il__set_error(err, "npz: the archive would pass 4 GiB, which needs zip64 (not written)");
        st = IL_ELIMIT;
    }
    if (st == IL_OK && z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 16;
        npz_entry *grown = il_malloc_n(cap, sizeof *grown);
        if (grown) {
            if (z->n)
                memcpy(grown, z->entries, z->n * sizeof *grown);
            il_free(z->entries);
            z->entries = grown;
            z->cap = cap;
        } else {
            st = IL_ENOMEM;
        }
    }
    if (st == IL_OK) {
        e = &z->entries[z->n];
        if (!(e->name = il_malloc(n + 5))) {
            st = IL_ENOMEM;
        } else {
            memcpy(e->name, name, n);
            memcpy(e->name + n, ".npy", 5);
            e->name_len = n + 4;
            e->crc = crc_of(mb.data, mb.len);
            e->size = (uint32_t)mb.len;
            e->offset = (uint32_t)z->off;
            z->n++;
            memset(h, 0, sizeof h);
            wr32(h, SIG_LOCAL);
            wr16(h + 4, ZIP_VER);
            wr16(h + 6, ascii_only(name, n) ? 0 : FLAG_UTF8);
            wr16(h + 12, DOS_DATE);
            wr32(h + 14, e->crc);
            wr32(h + 18, e->size);
            wr32(h + 22, e->size);
            wr16(h + 26, (uint32_t)e->name_len);
            if ((st = put(z, h, sizeof h)) == IL_OK && (st = put(z, e->name, e->name_len)) == IL_OK)
                st = put(z, mb.data, mb.len);
        }
    }
    il_membuf_release(&mb);
    if (st != IL_OK && st != IL_EINVAL)
        z->failed = st;
    return st;
}

il_status il_npz_writer_close(il_npz_writer *z, il_error *err)
{
    unsigned char h[CENTRAL_LEN], end[END_LEN];
    uint64_t cd_off = z->off;
    il_status st = z->failed;

    for (size_t i = 0; st == IL_OK && i < z->n; i++) {
        const npz_entry *e = &z->entries[i];
        memset(h, 0, sizeof h);
        wr32(h, SIG_CENTRAL);
        wr16(h + 4, 3u << 8 | ZIP_VER); /* made by: unix, so the mode below means something */
        wr16(h + 6, ZIP_VER);
        wr16(h + 8, ascii_only(e->name, e->name_len) ? 0 : FLAG_UTF8);
        wr16(h + 14, DOS_DATE);
        wr32(h + 16, e->crc);
        wr32(h + 20, e->size);
        wr32(h + 24, e->size);
        wr16(h + 28, (uint32_t)e->name_len);
        wr32(h + 38, 0644u << 16); /* rw-r--r--, as unzip shows it */
        wr32(h + 42, e->offset);
        if ((st = put(z, h, sizeof h)) == IL_OK)
            st = put(z, e->name, e->name_len);
    }
    if (st == IL_OK && z->off > ZIP32_MAX) {
        il__set_error(err, "npz: the archive would pass 4 GiB, which needs zip64 (not written)");
        st = IL_ELIMIT;
    }
    if (st == IL_OK) {
        memset(end, 0, sizeof end);
        wr32(end, SIG_END);
        wr16(end + 8, (uint32_t)z->n);
        wr16(end + 10, (uint32_t)z->n);
        wr32(end + 12, (uint32_t)(z->off - cd_off));
        wr32(end + 16, (uint32_t)cd_off);
        st = put(z, end, sizeof end);
    }
    il_npz_writer_free(z);
    return st;
}

void il_npz_writer_free(il_npz_writer *z)
{
    if (!z)
        return;
    for (size_t i = 0; i < z->n; i++)
        il_free(z->entries[i].name);
    il_free(z->entries);
    il_free(z);
}
