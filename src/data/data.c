/* SPDX-License-Identifier: MIT */
/* Labelled datasets: MNIST-format folders and synthetic sets. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "initlab/alloc.h"
#include "initlab/data.h"
#include "initlab/dist.h"
#include "initlab/io.h"
#include "internal/spec_impl.h"

void il_data_free(il_data *d)
{
    il_free(d->pixels);
    il_free(d->values);
    il_free(d->labels);
    memset(d, 0, sizeof *d);
}

void il_data_row(const il_data *d, size_t i, double *out)
{
    if (d->pixels) {
        const uint8_t *p = d->pixels + i * d->dim;
        for (size_t j = 0; j < d->dim; j++) /* float32(p) / 255 in float32, as the book */
            out[j] = (double)((float)p[j] / 255.0f);
    } else {
        const float *v = d->values + i * d->dim;
        for (size_t j = 0; j < d->dim; j++)
            out[j] = (double)v[j];
    }
}

il_status il_data_load_idx(const char *images, const char *labels, size_t classes, size_t max_bytes,
                           il_data *out, il_error *err)
{
    il_idx im, lb;
    il_status st;

    memset(out, 0, sizeof *out);
    st = il_idx_load(images, max_bytes, &im, err);
    if (st != IL_OK)
        return st;
    st = il_idx_load(labels, max_bytes, &lb, err);
    if (st != IL_OK) {
        il_idx_release(&im);
        return st;
    }
    if (im.type != IL_IDX_U8 || (im.ndim != 2 && im.ndim != 3) || im.shape[0] == 0) {
        il__set_error(err, "%s: expected images of bytes with 2 or 3 dimensions (n x h x w)",
                      images);
        st = IL_EFORMAT;
    } else if (lb.type != IL_IDX_U8 || lb.ndim != 1) {
        il__set_error(err, "%s: expected labels of bytes with 1 dimension", labels);
        st = IL_EFORMAT;
    } else if (lb.shape[0] != im.shape[0]) {
        il__set_error(err, "%s has %zu images but %s has %zu labels", images, im.shape[0], labels,
                      lb.shape[0]);
        st = IL_EFORMAT;
    } else {
        const uint8_t *l = lb.data;
        for (size_t i = 0; i < lb.numel; i++)
            if (l[i] >= classes) {
                il__set_error(err, "%s: label %u at row %zu; labels must be below %zu", labels,
                              l[i], i, classes);
                st = IL_EFORMAT;
                break;
            }
    }
    if (st != IL_OK) {
        il_idx_release(&im);
        il_idx_release(&lb);
        return st;
    }
    out->n = im.shape[0];
    out->dim = im.numel / im.shape[0];
    out->classes = classes;
    out->pixels = im.data; /* ownership moves */
    out->labels = lb.data;
    return IL_OK;
}

/* DIR/NAME, or DIR/NAME.gz if only that exists; 0 if neither does. */
static int find_file(const char *dir, const char *name, char *path, size_t cap)
{
    struct stat sb;
    if ((size_t)snprintf(path, cap, "%s/%s", dir, name) < cap && stat(path, &sb) == 0)
        return 1;
    if ((size_t)snprintf(path, cap, "%s/%s.gz", dir, name) < cap && stat(path, &sb) == 0)
        return 1;
    return 0;
}

il_status il_data_load_dir(const char *dir, const char *split, size_t classes, size_t max_bytes,
                           il_data *out, il_error *err)
{
    char images[4200], labels[4200], name[64];

    memset(out, 0, sizeof *out);
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", split);
    if (!find_file(dir, name, images, sizeof images)) {
        il__set_error(err, "no %s[.gz] in '%s'", name, dir);
        return IL_EIO;
    }
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", split);
    if (!find_file(dir, name, labels, sizeof labels)) {
        il__set_error(err, "no %s[.gz] in '%s'", name, dir);
        return IL_EIO;
    }
    return il_data_load_idx(images, labels, classes, max_bytes, out, err);
}

static il_status alloc_values(size_t n, size_t dim, size_t classes, il_data *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || dim == 0 || classes < 2 || classes > 256)
        return IL_EINVAL;
    out->values = il_malloc_n(n, dim * sizeof *out->values);
    out->labels = il_malloc_n(n, sizeof *out->labels);
    if (!out->values || !out->labels) {
        il_data_free(out);
        return IL_ENOMEM;
    }
    out->n = n;
    out->dim = dim;
    out->classes = classes;
    return IL_OK;
}

il_status il_data_spiral(size_t n, size_t classes, il_rng *rng, il_data *out)
{
    size_t per;
    il_status st = alloc_values(n, 2, classes, out);
    if (st != IL_OK)
        return st;
    per = (n + classes - 1) / classes;
    for (size_t i = 0; i < n; i++) {
        size_t k = i / per, j = i % per;
        double r = per > 1 ? (double)j / (double)(per - 1) : 0.0;
        double t = 4.0 * ((double)k + r) + 0.2 * il_dist_standard_normal(rng);
        out->values[2 * i] = (float)(r * sin(t));
        out->values[2 * i + 1] = (float)(r * cos(t));
        out->labels[i] = (uint8_t)k;
    }
    return IL_OK;
}

il_status il_data_blobs(size_t n, size_t dim, size_t classes, il_rng *rng, il_data *out)
{
    double *centres;
    il_status st = alloc_values(n, dim, classes, out);
    if (st != IL_OK)
        return st;
    centres = il_malloc_n(classes, dim * sizeof *centres);
    if (!centres) {
        il_data_free(out);
        return IL_ENOMEM;
    }
    il_dist_fill_normal(rng, 0.0, 2.0, centres, classes * dim);
    for (size_t i = 0; i < n; i++) {
        size_t k = i % classes;
        for (size_t j = 0; j < dim; j++)
            out->values[i * dim + j] = (float)(centres[k * dim + j] + il_dist_standard_normal(rng));
        out->labels[i] = (uint8_t)k;
    }
    il_free(centres);
    return IL_OK;
}

il_status il_data_split(const il_data *all, size_t k, il_data *train, il_data *test)
{
    size_t n_test = k ? all->n / k : 0, n_train = all->n - n_test, a = 0, b = 0;
    il_data *parts[2] = {train, test};

    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (k < 2 || n_test == 0 || !all->values)
        return IL_EINVAL;
    for (int p = 0; p < 2; p++) {
        size_t n = p ? n_test : n_train;
        parts[p]->values = il_malloc_n(n, all->dim * sizeof(float));
        parts[p]->labels = il_malloc_n(n, 1);
        parts[p]->n = n;
        parts[p]->dim = all->dim;
        parts[p]->classes = all->classes;
        if (!parts[p]->values || !parts[p]->labels) {
            il_data_free(train);
            il_data_free(test);
            return IL_ENOMEM;
        }
    }
    for (size_t i = 0; i < all->n; i++) {
        il_data *d = (i % k == k - 1 && b < n_test) ? test : train;
        size_t j = d == test ? b++ : a++;
        memcpy(d->values + j * all->dim, all->values + i * all->dim, all->dim * sizeof(float));
        d->labels[j] = all->labels[i];
    }
    return IL_OK;
}
