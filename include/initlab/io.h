/* SPDX-License-Identifier: MIT */
/*
 * File formats, a leaf of the library: the .npy writer and the .npy, CSV
 * and IDX readers. They know bytes, shapes and numbers, nothing of
 * networks or experiments (report.json and stats.csv are the report
 * module's). Writers produce bytes through an il_write_fn (sink.h), so the
 * same code writes to a file, a memory buffer in tests, or an HTTP reply.
 *
 * An output folder (il_outdir) adds a lock and a manifest of what a run
 * wrote, so that the next run into it removes the files it does not write
 * again.
 */
#ifndef INITLAB_IO_H
#define INITLAB_IO_H

#include <stddef.h>
#include <stdint.h>

#include "initlab/sink.h"
#include "initlab/spec.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- output folders (outdir.c) ---- */

/* In every output folder: the manifest of the files the last run wrote,
 * and the lock file that exists while a run writes there. */
#define IL_OUTDIR_MANIFEST "initlab-files.json"
#define IL_OUTDIR_LOCK     ".initlab.lock"

/* A folder a run writes several files into. */
typedef struct il_outdir il_outdir;

/* Start a run of 'command' (a short name, stored in the lock and the
 * manifest) writing into the existing folder 'dir'. Takes an advisory lock
 * (flock on DIR/.initlab.lock, which holds "PID COMMAND"): IL_EBUSY, with
 * the other process's pid and command in 'err', while another run holds
 * it. Reads the previous run's manifest; one that is malformed, or names
 * anything but plain names inside the folder, is ignored (nothing of it
 * will be removed) and il_outdir_warning says why. IL_EIO if 'dir' is not a
 * folder or cannot be locked, IL_ENOMEM. */
il_status il_outdir_open(const char *dir, const char *command, il_outdir **out, il_error *err);

/* Why the previous manifest was ignored, or "" if it was read (or there
 * was none). Owned by 'd'. */
const char *il_outdir_warning(const il_outdir *d);

/* Start writing 'name' inside the folder: a plain file name, or one
 * subfolder and a plain name ("ex1/net1.png"); each part 1 to 255
 * characters from A-Z a-z 0-9 . _ - + = , @, not starting with '.'. A
 * symbolic link is not followed, neither at the file nor at the
 * subfolder. IL_EINVAL for a name outside those rules, otherwise as
 * il_afile_open_flags (with IL_AFILE_DIGEST). */
il_status il_outdir_file_open(il_outdir *d, const char *name, il_afile **out, il_error *err);

/* Commit 'af' (opened by il_outdir_file_open for 'name') and list it, with
 * its size and SHA-256, in the manifest. As il_afile_commit: 'af' is freed
 * in every case. Safe to call from several threads at once. */
il_status il_outdir_file_commit(il_outdir *d, const char *name, il_afile *af, il_error *err);

/* Finish the run and free 'd' (NULL is allowed). If 'complete', first
 * remove the files the previous manifest named that this run did not
 * write (regular files only, never through a link; a subfolder left empty
 * is removed too), then write the manifest of this run's files. If not
 * (the run failed), remove nothing and list this run's files together with
 * the previous run's that are still there, so that the next complete run
 * removes them. Then the lock is released and its file removed. IL_EIO if
 * the manifest cannot be written (the lock is released all the same). */
il_status il_outdir_close(il_outdir *d, int complete, il_error *err);

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
