/* SPDX-License-Identifier: MIT */
/* libFuzzer: the .npz reader on arbitrary bytes. Whatever it accepts must
 * hold as many values as each shape says, and written again by the .npz
 * writer (as float64) must read back to the same names and the same bits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "initlab/tensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_values(const il_tensor_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const il_array *a = &l->items[i].array;
        size_t n = 1;
        if (l->items[i].skipped) {
            if (a->data)
                abort();
            continue;
        }
        for (size_t k = 0; k < a->ndim; k++)
            n *= a->shape[k];
        if (n != a->numel)
            abort();
        for (size_t k = 0; k < a->numel; k++) /* touch every value (ASan checks the bounds) */
            if (a->data[k] != a->data[k] && a->data[k] == 0)
                abort();
    }
}

/* The names the writer refuses though the reader reads them: '\\', a
 * leading '/' (a zip-slip path for unzip), the last 4 bytes of the
 * reader's cap (the writer adds ".npy"). */
static int writable(const il_tensor_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (strchr(l->items[i].name, '\\') || l->items[i].name[0] == '/' ||
            strlen(l->items[i].name) > IL_TENSOR_NAME_MAX - 4)
            return 0;
    return 1;
}

static void rewrite(const il_tensor_list *l)
{
    il_membuf mb = {0};
    il_npz_writer *z;
    il_tensor_list again;
    il_error err;
    size_t k = 0;
    if (il_npz_writer_open(il_membuf_write, &mb, &z) != IL_OK)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (!l->items[i].skipped &&
            il_npz_writer_add(z, l->items[i].name, l->items[i].array.data, l->items[i].array.shape,
                              l->items[i].array.ndim, 0, &err) != IL_OK)
            abort(); /* a name the reader took, the writer takes */
    if (il_npz_writer_close(z, &err) != IL_OK)
        abort();
    if (il_npz_parse(mb.data, mb.len, (size_t)64 << 20, &again, &err) != IL_OK)
        abort();
    for (size_t i = 0; i < l->n; i++) {
        const il_tensor *t = &l->items[i];
        if (t->skipped)
            continue;
        if (k >= again.n || strcmp(t->name, again.items[k].name) != 0 ||
            t->array.numel != again.items[k].array.numel ||
            memcmp(t->array.data, again.items[k].array.data, t->array.numel * sizeof(double)))
            abort();
        k++;
    }
    if (k != again.n)
        abort();
    il_tensor_list_release(&again);
    il_membuf_release(&mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    il_tensor_list l;
    il_error err;
    /* 64 MiB: under libFuzzer's -rss_limit_mb, over any seed */
    if (il_npz_parse(data, size, (size_t)64 << 20, &l, &err) == IL_OK) {
        check_values(&l);
        if (writable(&l))
            rewrite(&l);
        il_tensor_list_release(&l);
    } else if (l.items || l.n) {
        abort(); /* an error must leave nothing behind */
    }
    return 0;
}
