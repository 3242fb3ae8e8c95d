/* SPDX-License-Identifier: MIT */
/*
 * The safetensors reader (huggingface/safetensors, "Format"):
 *
 *   N        8 bytes, an unsigned little-endian 64-bit integer
 *   header   N bytes of JSON, an object: for each tensor NAME
 *            {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]},
 *            and optionally "__metadata__", an object of strings
 *   data     the rest of the file; offsets are relative to its start
 *
 * Checked as the format's own reader checks it, and a little more: the
 * header is at most 100 MB (its MAX_HEADER_SIZE) and strict JSON
 * (internal/json.h: no duplicate keys, no trailing bytes but spaces), every
 * shape's size times the dtype's bytes equals END - BEGIN without
 * overflow, and the tensors tile the data exactly: sorted by BEGIN they
 * start at 0, each begins where the last ended and the last ends at the
 * file's end (no holes, no overlaps). F16, BF16, F32 and F64 are read as
 * float64; the other dtypes of the format are listed as skipped.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initlab/alloc.h"
#include "internal/json.h"
#include "internal/spec_impl.h"
#include "tensors_impl.h"

#define MAX_HEADER 100000000u

typedef enum st_kind {
    K_SKIP,
    K_F16,
    K_BF16,
    K_F32,
    K_F64
} st_kind;

static const struct {
    const char *name;
    size_t size;
    st_kind kind;
    const char *as; /* the name inspect shows */
} dtypes[] = {
    {"F64", 8, K_F64, "float64"},      {"F32", 4, K_F32, "float32"},
    {"F16", 2, K_F16, "float16"},      {"BF16", 2, K_BF16, "bfloat16"},
    {"I64", 8, K_SKIP, "I64"},         {"U64", 8, K_SKIP, "U64"},
    {"I32", 4, K_SKIP, "I32"},         {"U32", 4, K_SKIP, "U32"},
    {"I16", 2, K_SKIP, "I16"},         {"U16", 2, K_SKIP, "U16"},
    {"I8", 1, K_SKIP, "I8"},           {"U8", 1, K_SKIP, "U8"},
    {"BOOL", 1, K_SKIP, "BOOL"},       {"F8_E4M3", 1, K_SKIP, "F8_E4M3"},
    {"F8_E5M2", 1, K_SKIP, "F8_E5M2"},
};

/* One tensor's place in the data. */
typedef struct span {
    uint64_t begin, end;
    size_t index; /* in the list */
} span;

static uint64_t rd_le(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* IEEE binary16 to double: exact (every half is a double). */
static double half_to_double(uint32_t h)
{
    int e = (int)(h >> 10 & 0x1f);
    double m = (double)(h & 0x3ff), v;
    if (e == 0x1f)
        v = m != 0 ? (double)NAN : (double)INFINITY;
    else if (e == 0)
        v = ldexp(m, -24); /* subnormal: m * 2^-14 / 1024 */
    else
        v = ldexp(m + 1024, e - 25);
    return h & 0x8000 ? -v : v;
}

static double to_double(const unsigned char *p, st_kind k)
{
    uint64_t bits = rd_le(p, k == K_F64 ? 8 : (k == K_F32 ? 4 : 2));
    if (k == K_F16)
        return half_to_double((uint32_t)bits);
    if (k == K_F64) {
        double d;
        memcpy(&d, &bits, 8);
        return d;
    }
    {
        /* bfloat16 is float32's upper half */
        uint32_t b32 = k == K_BF16 ? (uint32_t)bits << 16 : (uint32_t)bits;
        float f;
        memcpy(&f, &b32, 4);
        return (double)f;
    }
}

/* A JSON number that is a non-negative integer up to 2^53 (a double holds
 * every one exactly). */
static int json_count(const cJSON *v, uint64_t *out)
{
    double d;
    if (!cJSON_IsNumber(v))
        return 0;
    d = v->valuedouble;
    if (!(d >= 0) || d > 9007199254740992.0 || d != floor(d))
        return 0;
    *out = (uint64_t)d;
    return 1;
}

/* One header entry "NAME": {...} into tensor 't' and its span. */
static il_status read_entry(tensor_builder *b, const cJSON *e, il_tensor *t, span *sp,
                            size_t *kind_size, st_kind *kind, uint64_t data_len, il_error *err)
{
    const cJSON *dt = NULL, *shape = NULL, *offs = NULL, *f;
    size_t numel, bytes, di;
    uint64_t v;

    if (!cJSON_IsObject(e)) {
        il__set_error(err, "tensor '%s': its entry is not an object", t->name);
        return IL_EFORMAT;
    }
    cJSON_ArrayForEach(f, e)
    {
        if (strcmp(f->string, "dtype") == 0)
            dt = f;
        else if (strcmp(f->string, "shape") == 0)
            shape = f;
        else if (strcmp(f->string, "data_offsets") == 0)
            offs = f;
        else {
            il__set_error(err, "tensor '%s': unexpected key in its entry", t->name);
            return IL_EFORMAT;
        }
    }
    if (!dt || !shape || !offs || !cJSON_IsString(dt) || !cJSON_IsArray(shape) ||
        !cJSON_IsArray(offs)) {
        il__set_error(err,
                      "tensor '%s': needs a string dtype, an array shape and an array "
                      "data_offsets",
                      t->name);
        return IL_EFORMAT;
    }
    for (di = 0; di < sizeof dtypes / sizeof dtypes[0]; di++)
        if (strcmp(dt->valuestring, dtypes[di].name) == 0)
            break;
    if (di == sizeof dtypes / sizeof dtypes[0]) {
        il__set_error(err, "tensor '%s': unknown dtype", t->name);
        return IL_EFORMAT;
    }
    snprintf(t->dtype, sizeof t->dtype, "%s", dtypes[di].as);
    *kind = dtypes[di].kind;
    *kind_size = dtypes[di].size;
    t->skipped = *kind == K_SKIP;
    t->array.ndim = 0;
    cJSON_ArrayForEach(f, shape)
    {
        if (t->array.ndim == IL_NPY_MAX_DIMS) {
            il__set_error(err, "tensor '%s': more than %d dimensions", t->name, IL_NPY_MAX_DIMS);
            return IL_ELIMIT;
        }
        if (!json_count(f, &v) || v > SIZE_MAX) {
            il__set_error(err, "tensor '%s': the shape is not of non-negative integers", t->name);
            return IL_EFORMAT;
        }
        t->array.shape[t->array.ndim++] = (size_t)v;
    }
    if (cJSON_GetArraySize(offs) != 2 || !json_count(cJSON_GetArrayItem(offs, 0), &sp->begin) ||
        !json_count(cJSON_GetArrayItem(offs, 1), &sp->end) || sp->end < sp->begin) {
        il__set_error(err, "tensor '%s': data_offsets is not [BEGIN, END] with BEGIN <= END",
                      t->name);
        return IL_EFORMAT;
    }
    if (sp->end > data_len) {
        il__set_error(err, "tensor '%s': data_offsets end at %llu, past the data's %llu bytes",
                      t->name, (unsigned long long)sp->end, (unsigned long long)data_len);
        return IL_EFORMAT;
    }
    if (!il_shape_bytes(t->array.shape, t->array.ndim, 1, &numel) ||
        !il_mul_size(numel, *kind_size, &bytes)) {
        il__set_error(err, "tensor '%s': the shape's size overflows", t->name);
        return IL_ELIMIT;
    }
    if (bytes != sp->end - sp->begin) {
        il__set_error(err,
                      "tensor '%s': its shape and dtype need %zu bytes, data_offsets give "
                      "%llu",
                      t->name, bytes, (unsigned long long)(sp->end - sp->begin));
        return IL_EFORMAT;
    }
    t->array.numel = numel;
    if (!t->skipped) {
        size_t mem;
        if (!il_mul_size(numel, sizeof(double), &mem) || mem > b->budget) {
            il__set_error(err, "tensor '%s': its values need %zu doubles; the limit is %zu bytes",
                          t->name, numel, b->budget);
            return IL_ELIMIT;
        }
        b->budget -= mem;
    }
    return IL_OK;
}

static int by_begin(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Sorted by BEGIN, the spans must tile [0, data_len). */
static il_status check_tiling(span *sp, size_t n, const il_tensor_list *l, uint64_t data_len,
                              il_error *err)
{
    uint64_t at = 0;
    qsort(sp, n, sizeof *sp, by_begin);
    for (size_t i = 0; i < n; i++) {
        if (sp[i].begin != at) {
            il__set_error(err, "tensor '%s': its data starts at %llu, %s",
                          l->items[sp[i].index].name, (unsigned long long)sp[i].begin,
                          sp[i].begin < at ? "inside another tensor's"
                                           : "leaving a hole before it");
            return IL_EFORMAT;
        }
        at = sp[i].end;
    }
    if (at != data_len) {
        il__set_error(err, "%llu bytes after the last tensor's data",
                      (unsigned long long)(data_len - at));
        return IL_EFORMAT;
    }
    return IL_OK;
}

/* The tensors of the header 'root' into b, then their values. */
static il_status read_header(tensor_builder *b, const cJSON *root, const unsigned char *data,
                             uint64_t data_len, il_error *err)
{
    size_t n = 0, k = 0;
    span *sp;
    st_kind *kinds;
    size_t *sizes;
    const cJSON *e;
    il_status st = IL_OK;

    if (!cJSON_IsObject(root)) {
        il__set_error(err, "the safetensors header is not a JSON object");
        return IL_EFORMAT;
    }
    cJSON_ArrayForEach(e, root) n++;
    if (n > IL_TENSORS_MAX) {
        il__set_error(err, "more than %d tensors", IL_TENSORS_MAX);
        return IL_ELIMIT;
    }
    sp = il_malloc_n(n ? n : 1, sizeof *sp);
    kinds = il_malloc_n(n ? n : 1, sizeof *kinds);
    sizes = il_malloc_n(n ? n : 1, sizeof *sizes);
    if (!sp || !kinds || !sizes)
        st = IL_ENOMEM;
    cJSON_ArrayForEach(e, root)
    {
        il_tensor *t;
        if (st != IL_OK)
            break;
        if (strcmp(e->string, "__metadata__") == 0) {
            const cJSON *m;
            if (!cJSON_IsObject(e)) {
                il__set_error(err, "__metadata__ is not an object");
                st = IL_EFORMAT;
            }
            cJSON_ArrayForEach(m, e)
            {
                if (st == IL_OK && !cJSON_IsString(m)) {
                    il__set_error(err, "__metadata__ holds a value that is not a string");
                    st = IL_EFORMAT;
                }
            }
            continue;
        }
        if (!il__tensor_name_ok(e->string, strlen(e->string))) {
            il__set_error(err, "a tensor's name is empty, too long or holds control bytes");
            st = IL_EFORMAT;
            break;
        }
        if (!(t = il__tensors_add(b, e->string, strlen(e->string), &st, err)))
            break;
        sp[k].index = k;
        st = read_entry(b, e, t, &sp[k], &sizes[k], &kinds[k], data_len, err);
        k++;
    }
    if (st == IL_OK) {
        /* the spans are sorted in place; read the values first */
        for (size_t i = 0; i < k && st == IL_OK; i++) {
            il_tensor *t = &b->list.items[i];
            if (t->skipped)
                continue;
            if (!(t->array.data = il_malloc_n(t->array.numel ? t->array.numel : 1, sizeof(double))))
                st = IL_ENOMEM;
            for (size_t j = 0; st == IL_OK && j < t->array.numel; j++)
                t->array.data[j] = to_double(data + sp[i].begin + j * sizes[i], kinds[i]);
        }
        if (st == IL_OK)
            st = check_tiling(sp, k, &b->list, data_len, err);
    }
    il_free(sp);
    il_free(kinds);
    il_free(sizes);
    return st;
}

il_status il_safetensors_parse(const void *buf, size_t len, size_t max_bytes, il_tensor_list *out,
                               il_error *err)
{
    const unsigned char *p = buf;
    tensor_builder b = {{NULL, 0}, 0, max_bytes};
    cJSON *root = NULL;
    uint64_t n;
    il_status st;

    memset(out, 0, sizeof *out);
    if (len < 8) {
        il__set_error(err, "not a safetensors file: %zu bytes, too short for the header length",
                      len);
        return IL_EFORMAT;
    }
    n = rd_le(p, 8);
    if (n > MAX_HEADER) {
        il__set_error(err, "not a safetensors file: a header of %llu bytes (at most %u)",
                      (unsigned long long)n, MAX_HEADER);
        return IL_EFORMAT;
    }
    if (n > len - 8) {
        il__set_error(err, "truncated safetensors file: the header needs %llu bytes, %zu are there",
                      (unsigned long long)n, len - 8);
        return IL_EFORMAT;
    }
    if (n < 2 || p[8] != '{') {
        il__set_error(err, "not a safetensors file: the header does not start with '{'");
        return IL_EFORMAT;
    }
    st = il__json_parse((const char *)p + 8, (size_t)n, &root, err);
    if (st != IL_OK) {
        if (err) {
            il_error inner = *err;
            il__set_error(err, "the safetensors header: %s", inner.message);
        }
        return st;
    }
    st = read_header(&b, root, p + 8 + n, len - 8 - n, err);
    cJSON_Delete(root);
    if (st == IL_OK && b.list.n == 0) {
        il__set_error(err, "the safetensors file holds no tensors");
        st = IL_EFORMAT;
    }
    return il__tensors_finish(&b, st, out);
}
