/* SPDX-License-Identifier: MIT */
/*
 * Named tensors (tensors.h): the list, reading a file by its first bytes,
 * a folder of .npy files and one .npy. The zip and safetensors containers
 * are npz.c's and safetensors.c's; every .npy, alone or inside a zip, goes
 * through the one .npy parser (npy_read.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "initlab/alloc.h"
#include "internal/spec_impl.h"
#include "tensors_impl.h"

void il_tensor_list_release(il_tensor_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        il_free(l->items[i].name);
        il_array_release(&l->items[i].array);
    }
    il_free(l->items);
    memset(l, 0, sizeof *l);
}

const char *il_tensor_format_name(il_tensor_format f)
{
    switch (f) {
    case IL_TENSORS_NPZ:
        return "npz";
    case IL_TENSORS_SAFETENSORS:
        return "safetensors";
    case IL_TENSORS_NPY:
        return "npy";
    case IL_TENSORS_NPY_FOLDER:
    default:
        return "npy-folder";
    }
}

int il__tensor_name_ok(const char *name, size_t len)
{
    const unsigned char *s = (const unsigned char *)name;
    if (len == 0 || len > IL_TENSOR_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x20 || s[i] == 0x7f)
            return 0;
        if (s[i] < 0x80) {
            i++;
        } else {
            size_t k = il_utf8_length(s + i, len - i);
            if (k == 0)
                return 0;
            i += k;
        }
    }
    return 1;
}

il_tensor *il__tensors_add(tensor_builder *b, const char *name, size_t len, il_status *st,
                           il_error *err)
{
    il_tensor *t;
    if (b->list.n == IL_TENSORS_MAX) {
        il__set_error(err, "more than %d tensors", IL_TENSORS_MAX);
        *st = IL_ELIMIT;
        return NULL;
    }
    if (b->list.n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        il_tensor *items = il_malloc_n(cap, sizeof *items);
        if (!items) {
            *st = IL_ENOMEM;
            return NULL;
        }
        if (b->list.n)
            memcpy(items, b->list.items, b->list.n * sizeof *items);
        il_free(b->list.items);
        b->list.items = items;
        b->cap = cap;
    }
    t = &b->list.items[b->list.n];
    memset(t, 0, sizeof *t);
    if (!(t->name = il_malloc(len + 1))) {
        *st = IL_ENOMEM;
        return NULL;
    }
    memcpy(t->name, name, len);
    t->name[len] = '\0';
    b->list.n++;
    *st = IL_OK;
    return t;
}

il_status il__tensors_finish(tensor_builder *b, il_status st, il_tensor_list *out)
{
    if (st != IL_OK)
        il_tensor_list_release(&b->list);
    *out = b->list;
    return st;
}

/* The quoted value of the header's 'descr' key, if it is a simple dtype
 * ("<i8", "|b1", "<f2"): the types a checkpoint holds beside its floats. */
static int peek_descr(const unsigned char *p, size_t len, char *out, size_t cap)
{
    size_t hstart, hlen, i;
    const char *h, *d;
    if (len < 10 || memcmp(p, "\x93NUMPY", 6) != 0)
        return 0;
    hstart = p[6] == 1 ? 10 : 12;
    if (len < hstart)
        return 0;
    hlen = p[6] == 1 ? (size_t)p[8] | (size_t)p[9] << 8
                     : (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
    if (hlen > IL_NPY_MAX_HEADER || len - hstart < hlen)
        return 0;
    h = (const char *)p + hstart;
    for (d = NULL, i = 1; i + 6 <= hlen; i++)
        if ((h[i - 1] == '\'' || h[i - 1] == '"') && memcmp(h + i, "descr", 5) == 0 &&
            h[i + 5] == h[i - 1]) {
            d = h + i + 6;
            break;
        }
    if (!d)
        return 0;
    while (d < h + hlen && (*d == ' ' || *d == ':'))
        d++;
    if (h + hlen - d < 5 || (*d != '\'' && *d != '"') || !d[1] || !d[2] || !strchr("<>|=", d[1]) ||
        !strchr("biufc", d[2]))
        return 0;
    for (i = 3; d + i < h + hlen && d[i] >= '0' && d[i] <= '9'; i++)
        ;
    if (i == 3 || i > 5 || d + i >= h + hlen || d[i] != d[0] || i - 1 >= cap)
        return 0;
    memcpy(out, d + 1, i - 1);
    out[i - 1] = '\0';
    return 1;
}

il_status il__tensor_from_npy(tensor_builder *b, const void *buf, size_t len, il_tensor *t,
                              il_error *err)
{
    char descr[8];
    il_status st = il_npy_parse(buf, len, b->budget, &t->array, err);
    if (st == IL_EFORMAT && peek_descr(buf, len, descr, sizeof descr) && descr[1] != 'f') {
        /* an integer or bool array: listed, not read */
        snprintf(t->dtype, sizeof t->dtype, "%s", descr);
        t->skipped = 1;
        return IL_OK;
    }
    if (st != IL_OK)
        return st;
    /* the parser took 'descr' as <f4, >f4, <f8 or >f8 */
    snprintf(t->dtype, sizeof t->dtype, "%s",
             peek_descr(buf, len, descr, sizeof descr) && descr[2] == '4' ? "float32" : "float64");
    b->budget -= t->array.numel * sizeof(double); /* within the budget: checked by the parser */
    return IL_OK;
}

/* The whole regular file 'path' (at most 'max_bytes') into *buf. */
static il_status read_whole(const char *path, size_t max_bytes, unsigned char **buf, size_t *len,
                            il_error *err)
{
    struct stat sb;
    FILE *f = fopen(path, "rb");
    il_status st = IL_OK;
    *buf = NULL;
    *len = 0;
    if (!f) {
        il__set_error(err, "cannot open '%s': %s", path, strerror(errno));
        return IL_EIO;
    }
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        il__set_error(err, "'%s' is not a regular file", path);
        st = IL_EIO;
    } else if ((unsigned long long)sb.st_size > max_bytes) {
        il__set_error(err, "'%s' is %llu bytes; the limit is %zu", path,
                      (unsigned long long)sb.st_size, max_bytes);
        st = IL_ELIMIT;
    } else if (!(*buf = il_malloc(sb.st_size ? (size_t)sb.st_size : 1))) {
        st = IL_ENOMEM;
    } else if (fread(*buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
        il__set_error(err, "cannot read '%s': %s", path,
                      ferror(f) ? strerror(errno) : "the file shrank while reading");
        st = IL_EIO;
    }
    fclose(f);
    if (st != IL_OK) {
        il_free(*buf);
        *buf = NULL;
    } else {
        *len = (size_t)sb.st_size;
    }
    return st;
}

/* One .npy file as the tensor 'name' of b. */
static il_status load_npy_into(tensor_builder *b, const char *path, const char *name,
                               size_t max_bytes, il_error *err)
{
    unsigned char *buf;
    size_t len;
    il_tensor *t;
    il_status st = read_whole(path, max_bytes, &buf, &len, err);
    if (st != IL_OK)
        return st;
    if (!il__tensor_name_ok(name, strlen(name))) {
        il__set_error(err, "'%s': the name is not printable UTF-8", path);
        st = IL_EFORMAT;
    } else if ((t = il__tensors_add(b, name, strlen(name), &st, err)) != NULL) {
        st = il__tensor_from_npy(b, buf, len, t, err);
        if (st != IL_OK && err) {
            il_error inner = *err;
            il__set_error(err, "%s: %s", name, inner.message);
        }
    }
    il_free(buf);
    return st;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of the *.npy regular files in 'dir', sorted. */
static il_status list_npy(const char *dir, char ***names, size_t *n, il_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t cap = 0;
    il_status st = IL_OK;
    *names = NULL;
    *n = 0;
    if (!d) {
        il__set_error(err, "cannot open the folder '%s': %s", dir, strerror(errno));
        return IL_EIO;
    }
    while (st == IL_OK && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 4 || strcmp(e->d_name + len - 4, ".npy") != 0 || e->d_name[0] == '.')
            continue;
        if (*n == IL_TENSORS_MAX) {
            il__set_error(err, "more than %d .npy files in '%s'", IL_TENSORS_MAX, dir);
            st = IL_ELIMIT;
            break;
        }
        if (*n == cap) {
            char **grown = il_malloc_n(cap ? cap * 2 : 16, sizeof *grown);
            if (!grown) {
                st = IL_ENOMEM;
                break;
            }
            if (*n)
                memcpy(grown, *names, *n * sizeof *grown);
            il_free(*names);
            *names = grown;
            cap = cap ? cap * 2 : 16;
        }
        if (!((*names)[*n] = il_malloc(len + 1))) {
            st = IL_ENOMEM;
            break;
        }
        memcpy((*names)[(*n)++], e->d_name, len + 1);
    }
    closedir(d);
    if (st == IL_OK && *n == 0) {
        il__set_error(err, "no .npy files in the folder '%s'", dir);
        st = IL_EFORMAT;
    }
    if (st == IL_OK)
        qsort(*names, *n, sizeof **names, by_name);
    return st;
}

static il_status load_folder(const char *dir, size_t max_bytes, il_tensor_list *out, il_error *err)
{
    tensor_builder b = {{NULL, 0}, 0, max_bytes};
    char **names;
    size_t n;
    il_status st = list_npy(dir, &names, &n, err);
    for (size_t i = 0; st == IL_OK && i < n; i++) {
        char path[4096];
        int k = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (k < 0 || (size_t)k >= sizeof path) {
            il__set_error(err, "the path of '%s' is too long", names[i]);
            st = IL_ELIMIT;
            break;
        }
        names[i][strlen(names[i]) - 4] = '\0'; /* the tensor's name: without .npy */
        st = load_npy_into(&b, path, names[i], max_bytes, err);
    }
    for (size_t i = 0; i < n; i++)
        il_free(names[i]);
    il_free(names);
    return il__tensors_finish(&b, st, out);
}

il_status il_tensors_load(const char *path, size_t max_bytes, il_tensor_list *out,
                          il_tensor_format *fmt, il_error *err)
{
    struct stat sb;
    unsigned char *buf;
    size_t len;
    il_status st;

    memset(out, 0, sizeof *out);
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (fmt)
            *fmt = IL_TENSORS_NPY_FOLDER;
        return load_folder(path, max_bytes, out, err);
    }
    st = read_whole(path, max_bytes, &buf, &len, err);
    if (st != IL_OK)
        return st;
    if (len >= 4 && (memcmp(buf, "PK\3\4", 4) == 0 || memcmp(buf, "PK\5\6", 4) == 0)) {
        if (fmt)
            *fmt = IL_TENSORS_NPZ;
        st = il_npz_parse(buf, len, max_bytes, out, err);
    } else if (len >= 6 && memcmp(buf, "\x93NUMPY", 6) == 0) {
        /* one tensor, named after the file without its folder and .npy */
        tensor_builder b = {{NULL, 0}, 0, max_bytes};
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        size_t n = strlen(base);
        il_tensor *t;
        if (n > 4 && strcmp(base + n - 4, ".npy") == 0)
            n -= 4;
        if (fmt)
            *fmt = IL_TENSORS_NPY;
        if (!il__tensor_name_ok(base, n)) {
            base = "array";
            n = 5;
        }
        t = il__tensors_add(&b, base, n, &st, err);
        if (t)
            st = il__tensor_from_npy(&b, buf, len, t, err);
        st = il__tensors_finish(&b, st, out);
    } else {
        if (fmt)
            *fmt = IL_TENSORS_SAFETENSORS;
        st = il_safetensors_parse(buf, len, max_bytes, out, err);
    }
    il_free(buf);
    return st;
}
