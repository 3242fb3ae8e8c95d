/* SPDX-License-Identifier: MIT */
/*
 * Output: byte sinks, atomic file replacement, and the .npy writer.
 *
 * Writers produce bytes through an il_write_fn, so the same code writes to a
 * file, a memory buffer in tests, or (later) an HTTP response.
 *
 * Files are replaced atomically: the bytes go to a temporary file created
 * beside the target (same folder, O_EXCL, named ".NAME.XXXXXX.tmp"), which
 * is flushed to disk and renamed over the target only when complete. An
 * interrupted or failed write leaves the old file (or no file), never a
 * half-written one.
 */
#ifndef INITLAB_IO_H
#define INITLAB_IO_H

#include <stddef.h>

#include "initlab/spec.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write 'n' bytes of 'buf'; IL_OK or an error status. */
typedef il_status (*il_write_fn)(void *ctx, const void *buf, size_t n);

/* A growable memory buffer usable as a sink: il_membuf_write is an
 * il_write_fn whose ctx is an il_membuf. Start from {0}; release with
 * il_membuf_release. */
typedef struct il_membuf {
    unsigned char *data;
    size_t len, cap;
} il_membuf;

il_status il_membuf_write(void *membuf, const void *buf, size_t n);
void il_membuf_release(il_membuf *m);

/* An output file being written atomically. */
typedef struct il_afile il_afile;

/* Start writing 'path': creates the temporary file .BASE.PID.XXXXXX beside
 * it, first removing any such file whose process is gone (a run killed
 * mid-write). IL_EIO with the reason (strerror) in 'err' if the folder is
 * not writable. */
il_status il_afile_open(const char *path, il_afile **out, il_error *err);

/* An il_write_fn: ctx is the il_afile. */
il_status il_afile_write(void *afile, const void *buf, size_t n);

/* Flush the data to disk, give it the permissions a new file would get
 * (0666 & ~umask) or the old file's mode, rename it over the target, and
 * sync the folder. Frees 'af' in every case; on failure the temporary file
 * is removed and the target is untouched. */
il_status il_afile_commit(il_afile *af, il_error *err);

/* Give up: remove the temporary file and free 'af'. NULL is allowed. */
void il_afile_abort(il_afile *af);

/* Produce a whole file through 'produce' and commit it atomically. If
 * 'produce' fails, nothing is written and its status is returned. */
il_status il_write_file(const char *path,
                        il_status (*produce)(void *pctx, il_write_fn w, void *wctx), void *pctx,
                        il_error *err);

/* Write a float64 array of shape 'shape' ('ndim' dims, C order) in .npy
 * format 1.0, the header padded with spaces so that the data starts at a
 * multiple of 64 bytes (as numpy writes it). IL_ELIMIT if the header would
 * not fit format 1.0 or the size overflows. */
il_status il_npy_write_f64(const double *data, const size_t *shape, size_t ndim, il_write_fn w,
                           void *ctx);

/* Write 'data' (float64 values) as a float32 array ('<f4'), each value
 * rounded to the nearest float; otherwise as il_npy_write_f64. */
il_status il_npy_write_f32(const double *data, const size_t *shape, size_t ndim, il_write_fn w,
                           void *ctx);

/* Write 'data' (float32 values) as a float32 array, as they are;
 * otherwise as il_npy_write_f64. */
il_status il_npy_write_floats(const float *data, const size_t *shape, size_t ndim, il_write_fn w,
                              void *ctx);

/* ---- reading .npy files (npy_read.c) ---- */

/* numpy's caps: header bytes (format.py's _MAX_HEADER_SIZE) and dims. */
#define IL_NPY_MAX_HEADER 10000
#define IL_NPY_MAX_DIMS   32

/* An array read from a file: float64 values in C order. */
typedef struct il_array {
    double *data; /* numel values, owned (il_array_release) */
    size_t shape[IL_NPY_MAX_DIMS];
    size_t ndim; /* 0 for a scalar (one value) */
    size_t numel;
} il_array;

/* Read a .npy file (format 1.0, 2.0 or 3.0; dtype float32 or float64 in
 * either byte order; C or Fortran order, returned in C order). Sizes are
 * checked before allocating: the doubles the array needs must not exceed
 * 'max_bytes', and the file must hold exactly the data its header
 * declares. IL_EFORMAT for a malformed or unsupported file (the reason in
 * 'err'), IL_ELIMIT for a size over the cap or overflowing, IL_EIO,
 * IL_ENOMEM. On error *out is empty. */
il_status il_npy_load(const char *path, size_t max_bytes, il_array *out, il_error *err);

/* The same from a whole file held in memory ('len' bytes at 'buf'). */
il_status il_npy_parse(const void *buf, size_t len, size_t max_bytes, il_array *out, il_error *err);

/* ---- reading CSV files (csv_read.c) ---- */

typedef struct il_csv_limits {
    size_t max_line;  /* bytes per line */
    size_t max_cols;  /* fields per row */
    size_t max_bytes; /* the file's bytes, and the values' bytes as doubles */
} il_csv_limits;

/* 1 MiB lines, 100000 columns, 1 GiB: an initializer for il_csv_limits */
#define IL_CSV_LIMITS_DEFAULT                                                                      \
    {                                                                                              \
        1 << 20, 100000, (size_t)1 << 30                                                           \
    }

/* Read a CSV file of numbers as a (rows, cols) array: fields separated by
 * commas (blanks around them and double quotes allowed), '\n' or "\r\n"
 * line ends, an optional UTF-8 BOM, blank and '#' lines skipped, a first
 * row without numbers taken as a header; nan and inf accepted, hex not.
 * Numbers are read in the "C" locale whatever the process's is. Errors
 * name PATH:LINE:COLUMN: IL_EFORMAT (not a number, an empty field, a row
 * of another length, no rows), IL_ELIMIT (a cap in 'lim', NULL for
 * IL_CSV_LIMITS_DEFAULT), IL_EIO, IL_ENOMEM. */
il_status il_csv_load(const char *path, const il_csv_limits *lim, il_array *out, il_error *err);

/* The same from text in memory (messages say "csv:LINE:COLUMN"). */
il_status il_csv_parse(const char *buf, size_t len, const il_csv_limits *lim, il_array *out,
                       il_error *err);

/* ---- reading IDX files (idx.c): MNIST and its kin ---- */

#define IL_IDX_MAX_DIMS 16

/* IDX type codes */
enum {
    IL_IDX_U8 = 0x08,
    IL_IDX_I8 = 0x09,
    IL_IDX_I16 = 0x0B,
    IL_IDX_I32 = 0x0C,
    IL_IDX_F32 = 0x0D,
    IL_IDX_F64 = 0x0E
};

/* An IDX array: values in their own type (type, elem bytes each), host
 * byte order, C order. */
typedef struct il_idx {
    unsigned type; /* IL_IDX_U8, ... */
    size_t elem;   /* bytes per value */
    size_t shape[IL_IDX_MAX_DIMS];
    size_t ndim;
    size_t numel;
    void *data; /* owned (il_idx_release) */
} il_idx;

/* Read an IDX file, raw or gzip-compressed (zlib tells them apart). The
 * magic, type code and dimensions are validated, and the declared size
 * against overflow, 'max_bytes', and the file (which must hold exactly
 * that data) before anything is allocated. IL_EFORMAT with the reason in
 * 'err' (a gzip stream inside a raw buffer is named as such), IL_ELIMIT,
 * IL_EIO, IL_ENOMEM. */
il_status il_idx_load(const char *path, size_t max_bytes, il_idx *out, il_error *err);

/* The same from a raw (not compressed) file in memory. */
il_status il_idx_parse(const void *buf, size_t len, size_t max_bytes, il_idx *out, il_error *err);

/* Value 'i' (C order) as a double. */
double il_idx_value(const il_idx *x, size_t i);

void il_idx_release(il_idx *x);

/* Free 'a's data and empty it. */
void il_array_release(il_array *a);

#ifdef __cplusplus
}
#endif
#endif
