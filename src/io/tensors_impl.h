/* SPDX-License-Identifier: MIT */
/*
 * What the checkpoint readers share (include/initlab/tensors.h is the
 * interface): growing the list, checking names, and reading one .npy held
 * in memory as a tensor. Private to src/io/.
 */
#ifndef INITLAB_TENSORS_IMPL_H
#define INITLAB_TENSORS_IMPL_H

#include <stddef.h>

#include "initlab/tensors.h"

/* A list being filled: 'cap' items allocated. */
typedef struct tensor_builder {
    il_tensor_list list;
    size_t cap;
    size_t budget; /* bytes of doubles still allowed */
} tensor_builder;

/* Is name[0..len) 1 to IL_TENSOR_NAME_MAX bytes of well-formed UTF-8
 * without NUL or other control bytes? */
int il__tensor_name_ok(const char *name, size_t len);

/* A new item named name[0..len) at the end of b's list (other fields
 * zero); NULL with IL_ENOMEM or IL_ELIMIT (past IL_TENSORS_MAX) in *st. */
il_tensor *il__tensors_add(tensor_builder *b, const char *name, size_t len, il_status *st,
                           il_error *err);

/* The .npy file buf[0..len) into 't' (named already): a float array is
 * read with il_npy_parse within b->budget (which it then lowers); another
 * dtype is marked skipped. Errors as il_npy_parse's. */
il_status il__tensor_from_npy(tensor_builder *b, const void *buf, size_t len, il_tensor *t,
                              il_error *err);

/* b's list into *out, or freed on error; returns 'st'. */
il_status il__tensors_finish(tensor_builder *b, il_status st, il_tensor_list *out);

#endif
