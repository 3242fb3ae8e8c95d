/* SPDX-License-Identifier: MIT */
/*
 * The .npy reader (numpy/lib/format.py, "The .npy format"), strict:
 *
 *   "\x93NUMPY", major, minor    versions 1.0, 2.0 and 3.0 only
 *   header length                uint16 LE (1.0), uint32 LE (2.0, 3.0)
 *   header                       a Python dict literal ending in '\n', at
 *                                most IL_NPY_MAX_HEADER bytes (numpy's cap)
 *                                with exactly the keys 'descr',
 *                                'fortran_order' and 'shape'
 *   data                         prod(shape) items, nothing after them
 *
 * Only float arrays are read ('<f4', '>f4', '<f8', '>f8'; '|O' pickles and
 * structured dtypes are refused by name). Every size is checked before
 * anything is allocated: the shape's product against overflow, the bytes
 * it declares against the caller's cap and against what the input holds,
 * so a 12-byte file cannot ask for gigabytes (libnpy #44, mlx #3365).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "initlab/alloc.h"
#include "initlab/io.h"
#include "internal/spec_impl.h"

#define PREAMBLE 8 /* magic and version */

typedef struct npy_header {
    int have_descr, have_fortran, have_shape;
    int swap;        /* the data's byte order is not the host's */
    size_t itemsize; /* 4 or 8 */
    int fortran;     /* column-major data */
    size_t shape[IL_NPY_MAX_DIMS];
    size_t ndim;
} npy_header;

/* A cursor over the header text. */
typedef struct cursor {
    const char *p, *end;
} cursor;

static int host_is_big_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 0;
}

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string ('...' or "...") without escapes, into 'buf'. */
static int take_string(cursor *c, char *buf, size_t cap)
{
    char q;
    size_t n = 0;
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    q = *c->p++;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap)
            return 0;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    buf[n] = '\0';
    return 1;
}

static int take_word(cursor *c, const char *word)
{
    size_t n = strlen(word);
    skip_space(c);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

static il_status parse_descr(cursor *c, npy_header *h, il_error *err)
{
    char d[64];
    skip_space(c);
    if (c->p < c->end && *c->p == '[') {
        il__set_error(err, "structured dtypes are not supported (float32 or float64 only)");
        return IL_EFORMAT;
    }
    if (!take_string(c, d, sizeof d)) {
        il__set_error(err, "'descr' is not a dtype string");
        return IL_EFORMAT;
    }
    if (strcmp(d, "|O") == 0 || strcmp(d, "O") == 0) {
        il__set_error(err, "object arrays (pickles) are refused");
        return IL_EFORMAT;
    }
    if (strlen(d) != 3 || (d[0] != '<' && d[0] != '>' && d[0] != '=') || d[1] != 'f' ||
        (d[2] != '4' && d[2] != '8')) {
        il__set_error(err, "dtype '%s' is not supported (float32 or float64 only)", d);
        return IL_EFORMAT;
    }
    /* '=' is the host's order */
    h->swap = d[0] != '=' && (d[0] == '>') != host_is_big_endian();
    h->itemsize = d[2] == '4' ? 4 : 8;
    return IL_OK;
}

static il_status parse_shape(cursor *c, npy_header *h, il_error *err)
{
    if (!take(c, '(')) {
        il__set_error(err, "'shape' is not a tuple");
        return IL_EFORMAT;
    }
    h->ndim = 0;
    for (;;) {
        uint64_t v = 0;
        skip_space(c);
        if (take(c, ')'))
            break;
        if (c->p < c->end && *c->p == '-') {
            il__set_error(err, "'shape' has a negative dimension");
            return IL_EFORMAT;
        }
        if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
            il__set_error(err, "'shape' is not a tuple of integers");
            return IL_EFORMAT;
        }
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (v > (UINT64_MAX - 9) / 10 || v * 10 + (uint64_t)(*c->p - '0') > SIZE_MAX) {
                il__set_error(err, "'shape' has a dimension too large");
                return IL_ELIMIT;
            }
            v = v * 10 + (uint64_t)(*c->p++ - '0');
        }
        take(c, 'L'); /* Python 2's long literal */
        if (h->ndim == IL_NPY_MAX_DIMS) {
            il__set_error(err, "'shape' has more than %d dimensions", IL_NPY_MAX_DIMS);
            return IL_ELIMIT;
        }
        h->shape[h->ndim++] = (size_t)v;
        if (take(c, ')'))
            break;
        if (!take(c, ',')) {
            il__set_error(err, "'shape' is not a tuple of integers");
            return IL_EFORMAT;
        }
    }
    return IL_OK;
}

/* The dict literal text[0..len), which ends in '\n'. */
static il_status parse_header(const char *text, size_t len, npy_header *h, il_error *err)
{
    cursor c = {text, text + len};
    il_status st;

    memset(h, 0, sizeof *h);
    if (len == 0 || text[len - 1] != '\n') {
        il__set_error(err, "the header does not end with a newline");
        return IL_EFORMAT;
    }
    if (memchr(text, '\0', len)) {
        il__set_error(err, "the header contains a NUL byte");
        return IL_EFORMAT;
    }
    if (!take(&c, '{')) {
        il__set_error(err, "the header is not a dict");
        return IL_EFORMAT;
    }
    for (;;) {
        char key[32];
        if (take(&c, '}'))
            break;
        if (!take_string(&c, key, sizeof key) || !take(&c, ':')) {
            il__set_error(err, "the header is not a dict of the keys descr, fortran_order, shape");
            return IL_EFORMAT;
        }
        if (strcmp(key, "descr") == 0 && !h->have_descr) {
            h->have_descr = 1;
            st = parse_descr(&c, h, err);
        } else if (strcmp(key, "fortran_order") == 0 && !h->have_fortran) {
            h->have_fortran = 1;
            st = IL_OK;
            if (take_word(&c, "True")) {
                h->fortran = 1;
            } else if (!take_word(&c, "False")) {
                il__set_error(err, "'fortran_order' is not True or False");
                st = IL_EFORMAT;
            }
        } else if (strcmp(key, "shape") == 0 && !h->have_shape) {
            h->have_shape = 1;
            st = parse_shape(&c, h, err);
        } else {
            il__set_error(err, "unexpected key '%s' in the header", key);
            st = IL_EFORMAT;
        }
        if (st != IL_OK)
            return st;
        if (take(&c, '}'))
            break;
        if (!take(&c, ',')) {
            il__set_error(err, "the header is not a dict of the keys descr, fortran_order, shape");
            return IL_EFORMAT;
        }
    }
    skip_space(&c);
    if (c.p != c.end) {
        il__set_error(err, "unexpected text after the header's dict");
        return IL_EFORMAT;
    }
    if (!h->have_descr || !h->have_fortran || !h->have_shape) {
        il__set_error(err, "the header lacks the key '%s'",
                      !h->have_descr ? "descr" : (!h->have_fortran ? "fortran_order" : "shape"));
        return IL_EFORMAT;
    }
    return IL_OK;
}

/* The preamble in p[0..8) and the header length field after it: the
 * header's length and where it starts. */
static il_status parse_preamble(const unsigned char *p, size_t avail, size_t *hlen, size_t *hstart,
                                il_error *err)
{
    if (avail < 6 || memcmp(p, "\x93NUMPY", 6) != 0) {
        il__set_error(err, "not a .npy file (the magic string \\x93NUMPY is missing)");
        return IL_EFORMAT;
    }
    if (avail < PREAMBLE) {
        il__set_error(err, "truncated .npy file: no version");
        return IL_EFORMAT;
    }
    if ((p[6] != 1 && p[6] != 2 && p[6] != 3) || p[7] != 0) {
        il__set_error(err, "unsupported .npy version %u.%u (1.0, 2.0 and 3.0 are known)", p[6],
                      p[7]);
        return IL_EFORMAT;
    }
    if (p[6] == 1) {
        if (avail < PREAMBLE + 2) {
            il__set_error(err, "truncated .npy file: no header length");
            return IL_EFORMAT;
        }
        *hlen = (size_t)p[8] | (size_t)p[9] << 8;
        *hstart = PREAMBLE + 2;
    } else {
        if (avail < PREAMBLE + 4) {
            il__set_error(err, "truncated .npy file: no header length");
            return IL_EFORMAT;
        }
        *hlen = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
        *hstart = PREAMBLE + 4;
    }
    if (*hlen > IL_NPY_MAX_HEADER) {
        il__set_error(err, "the .npy header is %zu bytes; more than %d is refused (as numpy does)",
                      *hlen, IL_NPY_MAX_HEADER);
        return IL_EFORMAT;
    }
    return IL_OK;
}

/* The element count and byte size of 'h', checked against 'max_bytes'
 * (for the doubles the caller will hold) and against 'data_avail' bytes. */
static il_status check_sizes(const npy_header *h, size_t data_avail, size_t max_bytes,
                             size_t *numel, il_error *err)
{
    size_t n, file_bytes, mem_bytes;
    if (!il_shape_bytes(h->shape, h->ndim, 1, &n) || !il_mul_size(n, h->itemsize, &file_bytes) ||
        !il_mul_size(n, sizeof(double), &mem_bytes)) {
        il__set_error(err, "the shape's size overflows");
        return IL_ELIMIT;
    }
    if (mem_bytes > max_bytes) {
        il__set_error(err, "the array needs %zu bytes; the limit is %zu", mem_bytes, max_bytes);
        return IL_ELIMIT;
    }
    if (data_avail < file_bytes) {
        il__set_error(err, "truncated .npy file: the shape needs %zu data bytes, %zu are there",
                      file_bytes, data_avail);
        return IL_EFORMAT;
    }
    if (data_avail > file_bytes) {
        il__set_error(err, "%zu unexpected bytes after the array's data", data_avail - file_bytes);
        return IL_EFORMAT;
    }
    *numel = n;
    return IL_OK;
}

static double item(const unsigned char *p, const npy_header *h)
{
    unsigned char b[8] = {0};
    for (size_t i = 0; i < h->itemsize; i++)
        b[i] = h->swap ? p[h->itemsize - 1 - i] : p[i];
    if (h->itemsize == 4) {
        float f;
        memcpy(&f, b, 4);
        return (double)f;
    } else {
        double d;
        memcpy(&d, b, 8);
        return d;
    }
}

/* Convert the raw data into C-order doubles. A Fortran-order array's
 * element with C index i has Fortran offset sum_k idx_k * prod_{j<k} dim_j. */
static void convert(const unsigned char *data, const npy_header *h, size_t numel, double *out)
{
    if (!h->fortran || h->ndim < 2) {
        for (size_t i = 0; i < numel; i++)
            out[i] = item(data + i * h->itemsize, h);
        return;
    }
    {
        size_t idx[IL_NPY_MAX_DIMS] = {0};
        for (size_t i = 0; i < numel; i++) {
            size_t off = 0, stride = 1;
            for (size_t k = 0; k < h->ndim; k++) {
                off += idx[k] * stride;
                stride *= h->shape[k];
            }
            out[i] = item(data + off * h->itemsize, h);
            for (size_t k = h->ndim; k-- > 0;) { /* the next C-order index */
                if (++idx[k] < h->shape[k])
                    break;
                idx[k] = 0;
            }
        }
    }
}

static void fill_out(const npy_header *h, size_t numel, double *data, il_array *out)
{
    out->data = data;
    out->ndim = h->ndim;
    out->numel = numel;
    memcpy(out->shape, h->shape, h->ndim * sizeof h->shape[0]);
}

il_status il_npy_parse(const void *buf, size_t len, size_t max_bytes, il_array *out, il_error *err)
{
    const unsigned char *p = buf;
    size_t hlen, hstart, numel;
    npy_header h;
    double *data;
    il_status st;

    memset(out, 0, sizeof *out);
    st = parse_preamble(p, len, &hlen, &hstart, err);
    if (st != IL_OK)
        return st;
    if (len - hstart < hlen) {
        il__set_error(err, "truncated .npy file: the header needs %zu bytes, %zu are there", hlen,
                      len - hstart);
        return IL_EFORMAT;
    }
    st = parse_header((const char *)p + hstart, hlen, &h, err);
    if (st == IL_OK)
        st = check_sizes(&h, len - hstart - hlen, max_bytes, &numel, err);
    if (st != IL_OK)
        return st;
    data = il_malloc_n(numel, sizeof *data);
    if (!data)
        return IL_ENOMEM;
    convert(p + hstart + hlen, &h, numel, data);
    fill_out(&h, numel, data, out);
    return IL_OK;
}

/* Read exactly 'n' bytes; 0 on a short read. */
static int read_all(FILE *f, void *buf, size_t n)
{
    return n == 0 || fread(buf, 1, n, f) == n;
}

il_status il_npy_load(const char *path, size_t max_bytes, il_array *out, il_error *err)
{
    unsigned char pre[PREAMBLE + 4];
    char *text = NULL;
    unsigned char *raw = NULL;
    size_t hlen, hstart, numel, file_bytes, got;
    struct stat sb;
    npy_header h;
    double *data = NULL;
    il_status st;
    FILE *f;

    memset(out, 0, sizeof *out);
    f = fopen(path, "rb");
    if (!f) {
        il__set_error(err, "cannot open '%s': %s", path, strerror(errno));
        return IL_EIO;
    }
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        il__set_error(err, "'%s' is not a regular file", path);
        fclose(f);
        return IL_EIO;
    }
    got = fread(pre, 1, sizeof pre, f);
    st = parse_preamble(pre, got, &hlen, &hstart, err);
    if (st == IL_OK && (uint64_t)sb.st_size < (uint64_t)(hstart + hlen)) {
        il__set_error(err, "truncated .npy file: the header needs %zu bytes, %llu are there", hlen,
                      (unsigned long long)sb.st_size - hstart);
        st = IL_EFORMAT;
    }
    if (st == IL_OK && !(text = il_malloc(hlen + 1)))
        st = IL_ENOMEM;
    if (st == IL_OK && (fseek(f, (long)hstart, SEEK_SET) != 0 || !read_all(f, text, hlen))) {
        il__set_error(err, "cannot read '%s': %s", path, strerror(errno));
        st = IL_EIO;
    }
    if (st == IL_OK)
        st = parse_header(text, hlen, &h, err);
    if (st == IL_OK)
        st = check_sizes(&h, (size_t)sb.st_size - hstart - hlen, max_bytes, &numel, err);
    if (st == IL_OK && !il_mul_size(numel, h.itemsize, &file_bytes))
        st = IL_ELIMIT; /* checked above; kept for the reader's sake */
    if (st == IL_OK) {
        data = il_malloc_n(numel, sizeof *data);
        /* the raw bytes are read into the same buffer's tail when they are
         * smaller (f4); otherwise into their own */
        raw = h.itemsize == sizeof(double) && !h.fortran ? (unsigned char *)data
                                                         : il_malloc(file_bytes);
        if (!data || !raw)
            st = IL_ENOMEM;
    }
    if (st == IL_OK && !read_all(f, raw, file_bytes)) {
        il__set_error(err, "cannot read '%s': %s", path,
                      ferror(f) ? strerror(errno) : "the file shrank while reading");
        st = IL_EIO;
    }
    if (st == IL_OK) {
        if (raw == (unsigned char *)data) { /* in place: only a byte swap can be needed */
            if (h.swap)
                for (size_t i = 0; i < numel; i++)
                    data[i] = item(raw + i * 8, &h);
        } else {
            convert(raw, &h, numel, data);
        }
        fill_out(&h, numel, data, out);
    }
    if (raw != (unsigned char *)data)
        il_free(raw);
    if (st != IL_OK)
        il_free(data);
    il_free(text);
    fclose(f);
    return st;
}

void il_array_release(il_array *a)
{
    il_free(a->data);
    memset(a, 0, sizeof *a);
}
