/* SPDX-License-Identifier: MIT */
/*
 * run --net --save-params / --save-activations / --save-grads: each arm's
 * tensors as numpy .npz archives keyed by PyTorch's names, in PyTorch's
 * layout, so that load_state_dict takes them after renaming
 * (docs/architectures.md). Dense and attention weights are stored by the
 * library as (fan_in, fan_out) and written transposed, (out, in); conv
 * kernels and embedding tables are PyTorch's own layout already.
 */
#include <string.h>

#include "cli.h"

typedef struct npz_job {
    const il_run_spec *s;
    const il_run_result *r;
    size_t arm;
    int part; /* 0 parameters, 1 activations, 2 gradients */
} npz_job;

static int stored_transposed(const il_net *n, size_t i)
{
    size_t node;
    const il_param_desc *d = il_net_param(n, i, &node);
    const char *t = il_net_op(n, node)->type->name;
    return d->shape.rank == 2 && d->role == IL_ROLE_WEIGHT &&
           (strcmp(t, "dense") == 0 || strcmp(t, "attention") == 0);
}

/* Parameter i (or its gradient) in PyTorch's layout into 'tmp' when it
 * must be transposed; the array to write and its shape. */
static const double *torch_view(const il_net *n, size_t i, const double *v, double *tmp,
                                size_t *shape)
{
    const il_param_desc *d = il_net_param(n, i, NULL);
    for (size_t k = 0; k < d->shape.rank; k++)
        shape[k] = d->shape.dim[k];
    if (!stored_transposed(n, i))
        return v;
    {
        size_t in = d->shape.dim[0], out = d->shape.dim[1];
        for (size_t a = 0; a < out; a++)
            for (size_t b = 0; b < in; b++)
                tmp[a * in + b] = v[b * out + a];
        shape[0] = out;
        shape[1] = in;
        return tmp;
    }
}

static il_status produce_npz(void *pctx, il_write_fn w, void *wctx)
{
    const npz_job *j = pctx;
    const il_net *n = il_run_result_net(j->r);
    il_npz_writer *z = NULL;
    il_error err;
    double *tmp = NULL;
    size_t big = 0, B = j->s->batch;
    il_status st = il_npz_writer_open(w, wctx, &z);

    for (size_t i = 0; i < il_net_param_count(n); i++) {
        size_t sz = il_tshape_size(&il_net_param(n, i, NULL)->shape);
        big = sz > big ? sz : big;
    }
    if (st == IL_OK && !(tmp = il_malloc_n(big ? big : 1, sizeof *tmp)))
        st = IL_ENOMEM;
    if (j->part == 1) {
        const il_tshape *in = il_net_input_shape(n);
        size_t shape[IL_SHAPE_MAX_RANK + 1] = {B};
        for (size_t k = 0; k < in->rank; k++)
            shape[k + 1] = in->dim[k];
        if (st == IL_OK)
            st = il_npz_writer_add(z, "input", il_run_result_input(j->r), shape, in->rank + 1, 0,
                                   &err);
        for (size_t k = 0; st == IL_OK && k < il_net_op_count(n); k++) {
            const il_tshape *sh = il_net_shape(n, k);
            for (size_t d = 0; d < sh->rank; d++)
                shape[d + 1] = sh->dim[d];
            st = il_npz_writer_add(z, il_net_op_name(n, k), il_run_result_point(j->r, j->arm, k),
                                   shape, sh->rank + 1, 0, &err);
        }
    } else {
        for (size_t i = 0; st == IL_OK && i < il_net_param_count(n); i++) {
            size_t shape[IL_SHAPE_MAX_RANK];
            const double *v = j->part == 0 ? il_run_result_param(j->r, j->arm, i)
                                           : il_run_result_param_grad(j->r, j->arm, i);
            v = torch_view(n, i, v, tmp, shape);
            st = il_npz_writer_add(z, il_net_param_name(n, i), v, shape,
                                   il_net_param(n, i, NULL)->shape.rank, 0, &err);
        }
        if (st == IL_OK && j->part == 2) {
            size_t last = il_net_op_count(n) - 1, shape[IL_SHAPE_MAX_RANK + 1] = {B};
            const il_tshape *sh = il_net_shape(n, last);
            for (size_t d = 0; d < sh->rank; d++)
                shape[d + 1] = sh->dim[d];
            st = il_npz_writer_add(z, "output_grad", il_run_result_output_grad(j->r), shape,
                                   sh->rank + 1, 0, &err);
        }
    }
    il_free(tmp);
    if (st != IL_OK) {
        il_npz_writer_free(z);
        return st;
    }
    return il_npz_writer_close(z, &err);
}

il_status cli_run_net_save(const char *dir, const il_run_spec *s, const il_run_result *r,
                           int params, int activations, int grads, il_error *err)
{
    static const char *const stems[3] = {"params", "activations", "grads"};
    const int want[3] = {params, activations, grads && s->grad};
    il_status st = IL_OK;

    for (size_t a = 0; st == IL_OK && a < s->n_arms; a++)
        for (int part = 0; st == IL_OK && part < 3; part++) {
            npz_job job = {s, r, a, part};
            char path[4200];
            if (!want[part])
                continue;
            snprintf(path, sizeof path, "%s/arm%zu_%s.npz", dir, a + 1, stems[part]);
            st = cli_write_file(path, produce_npz, &job, err);
        }
    return st;
}
