/* SPDX-License-Identifier: MIT */
/*
 * Labelled datasets for training: MNIST-format files (IDX, raw or gzip)
 * and small synthetic sets (a spiral, Gaussian blobs).
 *
 * Images stay as bytes (60000 x 784 is 47 MB; as doubles it would be 376
 * MB) and a row is scaled to [0, 1] when it is read, the way the book's
 * load_mnist(normalize=True) does it: float32(pixel) / 255 in float32.
 * Synthetic sets keep their values as float32 too, so every row reads the
 * same way.
 */
#ifndef INITLAB_DATA_H
#define INITLAB_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "initlab/rng.h"
#include "initlab/spec.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct il_data {
    size_t n;        /* rows */
    size_t dim;      /* values per row */
    size_t classes;  /* labels are 0 .. classes - 1 */
    uint8_t *pixels; /* n x dim bytes, read as pixel / 255; or NULL */
    float *values;   /* n x dim values; or NULL */
    uint8_t *labels; /* n labels */
} il_data;

/* Images and labels from two IDX files (raw or .gz): images u8 with 2 or 3
 * dimensions (n x dim, or n x h x w), labels u8 with 1 (n), the same n, and
 * every label below 'classes'. IL_EFORMAT names the file and the problem
 * (a count mismatch, a label out of range, ...); IL_ELIMIT if the files
 * need more than 'max_bytes'; IL_EIO, IL_ENOMEM. */
il_status il_data_load_idx(const char *images, const char *labels, size_t classes, size_t max_bytes,
                           il_data *out, il_error *err);

/* The "train" or "t10k" split of an MNIST-format folder: the files
 * SPLIT-images-idx3-ubyte and SPLIT-labels-idx1-ubyte, each raw or with
 * .gz (as MNIST and Fashion-MNIST ship them). IL_EIO when they are not
 * there, naming the folder. */
il_status il_data_load_dir(const char *dir, const char *split, size_t classes, size_t max_bytes,
                           il_data *out, il_error *err);

/* A spiral of 'classes' arms in 2-D, 'n' points in all (CS231n's toy set:
 * radius r in [0, 1], angle 4 (k + r) + noise N(0, 0.2^2)). */
il_status il_data_spiral(size_t n, size_t classes, il_rng *rng, il_data *out);

/* 'classes' Gaussian blobs in 'dim' dimensions, 'n' points in all: centres
 * N(0, 4 I), points N(centre, I). */
il_status il_data_blobs(size_t n, size_t dim, size_t classes, il_rng *rng, il_data *out);

/* Every k-th row of a synthetic set ('values') into 'test', the rest into
 * 'train', in order: k = 6 keeps a sixth for testing from every part of a
 * spiral or every blob. IL_EINVAL for k < 2 or no test row. */
il_status il_data_split(const il_data *all, size_t k, il_data *train, il_data *test);

/* Row 'i' as doubles into 'out' ('dim' values). */
void il_data_row(const il_data *d, size_t i, double *out);

/* Release the data; an empty il_data is allowed. */
void il_data_free(il_data *d);

#ifdef __cplusplus
}
#endif
#endif
