/* SPDX-License-Identifier: MIT */
/*
 * Named tensors in checkpoint files, a leaf of the library beside io.h:
 * numpy's .npz (a zip of .npy members, stored or deflated), safetensors,
 * a folder of .npy files and a single .npy; and the .npz writer. Like the
 * other readers they know bytes, shapes and numbers only: every offset and
 * size is checked against the file before anything is allocated, and the
 * values are returned as float64 in C order (il_array).
 *
 * Tensors whose type is not a float (an int64 step counter, a bool mask)
 * are listed, 'skipped' set and their data not read, so that a checkpoint
 * holding one is still read.
 */
#ifndef INITLAB_TENSORS_H
#define INITLAB_TENSORS_H

#include <stddef.h>

#include "initlab/io.h"
#include "initlab/sink.h"
#include "initlab/spec.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest tensor name read (bytes, without the NUL). */
#define IL_TENSOR_NAME_MAX 1024
/* Most tensors one file may hold. */
#define IL_TENSORS_MAX 100000

typedef struct il_tensor {
    char *name;     /* owned; well-formed UTF-8 without NUL */
    char dtype[16]; /* "float16", "bfloat16", "float32", "float64", or the file's own
                       spelling of another type ("I64", "<i8") when skipped */
    int skipped;    /* not a float type: 'array' is empty */
    il_array array; /* the values as float64, C order */
} il_tensor;

typedef struct il_tensor_list {
    il_tensor *items; /* in the file's order (a folder's: by name) */
    size_t n;
} il_tensor_list;

void il_tensor_list_release(il_tensor_list *l);

typedef enum il_tensor_format {
    IL_TENSORS_NPZ,
    IL_TENSORS_SAFETENSORS,
    IL_TENSORS_NPY,       /* one .npy file: one tensor named after the file */
    IL_TENSORS_NPY_FOLDER /* every *.npy in a folder, not recursing */
} il_tensor_format;

/* "npz", "safetensors", "npy", "npy-folder". */
const char *il_tensor_format_name(il_tensor_format f);

/* Read 'path': a folder is read as a folder of .npy files; a file by its
 * first bytes (zip's "PK\3\4" or an empty zip, "\x93NUMPY", otherwise
 * safetensors), not its name. 'max_bytes' caps the file's bytes and,
 * separately, the doubles of all tensors together. *fmt (may be NULL)
 * gets the format. IL_EFORMAT for a malformed file (the reason in 'err',
 * naming the member or tensor; 'err' may be NULL), IL_ELIMIT over the cap,
 * IL_EIO, IL_ENOMEM. On error *out is empty. */
il_status il_tensors_load(const char *path, size_t max_bytes, il_tensor_list *out,
                          il_tensor_format *fmt, il_error *err);

/* The readers on a whole file held in memory. */
il_status il_npz_parse(const void *buf, size_t len, size_t max_bytes, il_tensor_list *out,
                       il_error *err);
il_status il_safetensors_parse(const void *buf, size_t len, size_t max_bytes, il_tensor_list *out,
                               il_error *err);

/* ---- writing .npz files (npz.c) ---- */

/* An .npz archive being written to a sink: each array a stored (not
 * compressed) member NAME.npy with its CRC-32, as np.savez writes them
 * (without zip64: an archive over 4 GiB is refused). Bytes go out as they
 * are added, so a sink from cli_write_file or il_write_file puts the file
 * in place atomically (and inside an output folder by its rules). */
typedef struct il_npz_writer il_npz_writer;

/* Start an archive on 'w'/'ctx'. IL_ENOMEM. */
il_status il_npz_writer_open(il_write_fn w, void *ctx, il_npz_writer **out);

/* Add 'data' of shape 'shape' ('ndim' dims, C order) as member
 * NAME.npy: float64 ('<f8'), or with 'f32' each value rounded to float32
 * ('<f4'). 'name' is 1 to IL_TENSOR_NAME_MAX - 4 bytes of UTF-8 without
 * NUL, '\\' or a leading '/', not given before (IL_EINVAL otherwise);
 * np.load(path)[NAME] is the array. IL_ELIMIT past 4 GiB or 65535
 * members; the sink's status if a write fails. */
il_status il_npz_writer_add(il_npz_writer *z, const char *name, const double *data,
                            const size_t *shape, size_t ndim, int f32, il_error *err);

/* Write the central directory and free 'z' (whatever it returns). The
 * sink's status if a write fails, or the first error of an add. */
il_status il_npz_writer_close(il_npz_writer *z, il_error *err);

/* Give up: free 'z' without finishing the archive. NULL is allowed. */
void il_npz_writer_free(il_npz_writer *z);

#ifdef __cplusplus
}
#endif
#endif
