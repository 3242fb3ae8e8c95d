/* SPDX-License-Identifier: MIT */
/* The training loop over an il_net and its timeline (initlab/nettrain.h). */
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/nettrain.h"
#include "internal/spec_impl.h"

size_t il_nt_point_count(const il_net *n)
{
    size_t c = 0, k = il_net_op_count(n);
    for (size_t i = 0; i + 1 < k; i++)
        c += il_net_op(n, i)->type->point != 0;
    return c + (k > 0);
}

size_t il_nt_point_node(const il_net *n, size_t j)
{
    size_t k = il_net_op_count(n);
    for (size_t i = 0; i + 1 < k; i++)
        if (il_net_op(n, i)->type->point && j-- == 0)
            return i;
    return k - 1;
}

static size_t below(il_rng *rng, size_t n)
{
    size_t v = (size_t)(il_rng_next_double(rng) * (double)n);
    return v < n ? v : n - 1;
}

il_status il_nt_batch(const il_nt_source *src, const il_net *n, il_rng *rng, int fixed, double *x,
                      uint32_t *t, il_error *err)
{
    size_t batch = il_net_batch(n), in = il_tshape_size(il_net_input_shape(n));

    if (src->data) {
        const il_data *d = src->data;
        if (d->dim != in || d->n == 0) {
            il__set_error(err, "the data has %zu values per row, the network takes %zu", d->dim,
                          in);
            return IL_EINVAL;
        }
        for (size_t b = 0; b < batch; b++) {
            size_t r = fixed ? b % d->n : below(rng, d->n);
            il_data_row(d, r, x + b * in);
            t[b] = d->labels[r];
        }
        return IL_OK;
    }
    if (src->text_len < in + 1) {
        il__set_error(err, "the text has %zu bytes, fewer than the sequence length %zu + 1",
                      src->text_len, in);
        return IL_EINVAL;
    }
    for (size_t b = 0; b < batch; b++) {
        size_t room = src->text_len - in, s = fixed ? (b * in) % room : below(rng, room);
        for (size_t j = 0; j < in; j++) {
            x[b * in + j] = src->text[s + j];
            t[b * in + j] = src->text[s + j + 1];
        }
    }
    return IL_OK;
}

struct il_nt_result {
    size_t steps_done, n_points, n_params, n_records, cap_records;
    double *losses;
    size_t *rec_step;
    il_nt_point_stats *rec_points; /* n_records x n_points */
    double *rec_params;            /* n_records x n_params x 3 */
    int diverged;
    size_t div_step, div_point;
};

void il_nt_result_free(il_nt_result *r)
{
    if (!r)
        return;
    il_free(r->losses);
    il_free(r->rec_step);
    il_free(r->rec_points);
    il_free(r->rec_params);
    il_free(r);
}

static double std_of(const double *v, size_t n)
{
    double s = 0, q = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    s /= (double)n;
    for (size_t i = 0; i < n; i++)
        q += (v[i] - s) * (v[i] - s);
    return n ? sqrt(q / (double)n) : (double)NAN;
}

/* Record the points (after the forward) and the parameters' weights and
 * gradients (after the backward, before the update); the ratios follow. */
static void record(il_nt_result *r, il_net *n, size_t step)
{
    size_t k = r->n_records++, batch = il_net_batch(n);
    r->rec_step[k] = step;
    for (size_t j = 0; j < r->n_points; j++) {
        size_t node = il_nt_point_node(n, j);
        const il_tshape *s = il_net_shape(n, node);
        size_t units = s->rank ? s->dim[s->rank - 1] : 1, size = il_tshape_size(s);
        il_nt_measure(il_net_output(n, node), batch * (size / units), units,
                      &r->rec_points[k * r->n_points + j]);
    }
    for (size_t i = 0; i < r->n_params; i++) {
        size_t len = il_tshape_size(&il_net_param(n, i, NULL)->shape);
        double *p = r->rec_params + (k * r->n_params + i) * 3;
        p[0] = std_of(il_net_param_data(n, i), len);
        p[1] = std_of(il_net_param_grad(n, i), len);
        p[2] = (double)NAN;
    }
}

static size_t first_nonfinite(const il_net *n, size_t n_points)
{
    size_t batch = il_net_batch(n);
    for (size_t j = 0; j < n_points; j++) {
        size_t node = il_nt_point_node(n, j), len = batch * il_tshape_size(il_net_shape(n, node));
        const double *y = il_net_output(n, node);
        for (size_t i = 0; i < len; i++)
            if (!isfinite(y[i]))
                return j;
    }
    return SIZE_MAX;
}

il_status il_nt_train(il_net *n, const il_nt_config *cfg, const il_nt_source *src, il_rng *rng,
                      il_nt_progress_fn progress, void *ctx, il_nt_result **out, il_error *err)
{
    size_t batch = il_net_batch(n), in = il_tshape_size(il_net_input_shape(n)), last, classes, rows,
           n_out, xlen, tlen;
    il_nt_result *r = NULL;
    il_nt_optim *o = NULL;
    double *x = NULL, *dy = NULL, *ratio = NULL;
    uint32_t *t = NULL;
    il_status st;

    if (cfg->steps == 0) {
        il__set_error(err, "the number of steps must be positive");
        return IL_EINVAL;
    }
    last = il_net_op_count(n) - 1;
    const il_tshape *os = il_net_shape(n, last);
    classes = os->rank ? os->dim[os->rank - 1] : 1;
    n_out = il_tshape_size(os);
    rows = batch * (n_out / classes);
    if (src->data ? n_out != classes : n_out / classes != in) {
        il__set_error(err, "the network's output (%zu values) does not fit the targets", n_out);
        return IL_EINVAL;
    }
    if (!il_mul_size(batch, in, &xlen) || !il_mul_size(batch, n_out, &n_out) ||
        !il_mul_size(rows, 1, &tlen))
        return IL_ELIMIT;
    if ((st = il_nt_optim_new(n, &cfg->opt, cfg->lr_mult, &o, err)) != IL_OK)
        return st;
    st = IL_ENOMEM;
    if (!(r = il_calloc(1, sizeof *r)))
        goto done;
    r->n_points = il_nt_point_count(n);
    r->n_params = il_net_param_count(n);
    r->div_point = SIZE_MAX;
    r->cap_records =
        cfg->record_every ? (cfg->steps + cfg->record_every - 1) / cfg->record_every : 0;
    x = il_calloc(xlen, sizeof *x);
    dy = il_calloc(n_out, sizeof *dy);
    t = il_calloc(tlen, sizeof *t);
    ratio = il_calloc(r->n_params + 1, sizeof *ratio);
    r->losses = il_calloc(cfg->steps, sizeof *r->losses);
    r->rec_step = il_calloc(r->cap_records + 1, sizeof *r->rec_step);
    r->rec_points = il_calloc((r->cap_records + 1) * (r->n_points + 1), sizeof *r->rec_points);
    r->rec_params = il_calloc((r->cap_records + 1) * (r->n_params + 1) * 3, sizeof(double));
    if (!x || !dy || !t || !ratio || !r->losses || !r->rec_step || !r->rec_points || !r->rec_params)
        goto done;
    for (size_t step = 0; step < cfg->steps; step++) {
        double loss;
        int rec = cfg->record_every && step % cfg->record_every == 0;
        if ((st = il_nt_batch(src, n, rng, cfg->fixed_batch, x, t, err)) != IL_OK ||
            (st = il_net_forward(n, x)) != IL_OK)
            goto done;
        if ((st = il_nt_xent(il_net_output(n, last), rows, classes, t, &loss, dy)) != IL_OK) {
            il__set_error(err, "a target is out of the readout's %zu classes", classes);
            goto done;
        }
        if (!isfinite(loss)) {
            r->diverged = 1;
            r->div_step = step;
            r->div_point = first_nonfinite(n, r->n_points);
            break;
        }
        if ((st = il_net_backward(n, dy)) != IL_OK)
            goto done;
        if (rec)
            record(r, n, step);
        il_nt_optim_step(o, n, ratio, NULL);
        if (rec)
            for (size_t i = 0; i < r->n_params; i++)
                r->rec_params[((r->n_records - 1) * r->n_params + i) * 3 + 2] = ratio[i];
        r->losses[step] = loss;
        r->steps_done = step + 1;
        if (progress && progress(ctx, step, cfg->steps, loss))
            break;
    }
    st = IL_OK;
done:
    il_free(x);
    il_free(dy);
    il_free(t);
    il_free(ratio);
    il_nt_optim_free(o);
    if (st != IL_OK) {
        il_nt_result_free(r);
        return st;
    }
    *out = r;
    return IL_OK;
}

size_t il_nt_steps_done(const il_nt_result *r)
{
    return r->steps_done;
}

const double *il_nt_losses(const il_nt_result *r)
{
    return r->losses;
}

size_t il_nt_record_count(const il_nt_result *r)
{
    return r->n_records;
}

size_t il_nt_record_step(const il_nt_result *r, size_t k)
{
    return r->rec_step[k];
}

const il_nt_point_stats *il_nt_record_point(const il_nt_result *r, size_t k, size_t j)
{
    return &r->rec_points[k * r->n_points + j];
}

void il_nt_record_param(const il_nt_result *r, size_t k, size_t i, double *w_std, double *g_std,
                        double *ratio)
{
    const double *p = r->rec_params + (k * r->n_params + i) * 3;
    *w_std = p[0];
    *g_std = p[1];
    *ratio = p[2];
}

int il_nt_diverged(const il_nt_result *r, size_t *step, size_t *point)
{
    if (step)
        *step = r->div_step;
    if (point)
        *point = r->div_point;
    return r->diverged;
}

il_status il_nt_evaluate(il_net *n, const il_nt_source *src, size_t max_batches, double *loss,
                         double *accuracy, il_error *err)
{
    size_t batch = il_net_batch(n), in = il_tshape_size(il_net_input_shape(n)),
           last = il_net_op_count(n) - 1, nb, rows, classes, xlen;
    const il_tshape *os = il_net_shape(n, last);
    double *x, sum = 0, hits = 0, count = 0;
    const double *y;
    uint32_t *t;
    il_status st = IL_OK;

    classes = os->rank ? os->dim[os->rank - 1] : 1;
    rows = batch * (il_tshape_size(os) / classes);
    nb = src->data ? src->data->n / batch
                   : (src->text_len > in ? (src->text_len - 1) / in : 0) / batch;
    nb = nb < max_batches ? nb : max_batches;
    if (nb == 0) {
        il__set_error(err, "the held-out data holds less than one batch");
        return IL_EINVAL;
    }
    if (!il_mul_size(batch, in, &xlen))
        return IL_ELIMIT;
    x = il_calloc(xlen, sizeof *x);
    t = il_calloc(rows, sizeof *t);
    if (!x || !t) {
        st = IL_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < nb && st == IL_OK; k++) {
        for (size_t b = 0; b < batch; b++) {
            size_t e = k * batch + b;
            if (src->data) {
                il_data_row(src->data, e, x + b * in);
                t[b] = src->data->labels[e];
            } else {
                for (size_t j = 0; j < in; j++) {
                    x[b * in + j] = src->text[e * in + j];
                    t[b * in + j] = src->text[e * in + j + 1];
                }
            }
        }
        double l;
        if ((st = il_net_forward(n, x)) != IL_OK)
            break;
        y = il_net_output(n, last);
        if ((st = il_nt_xent(y, rows, classes, t, &l, NULL)) != IL_OK) {
            il__set_error(err, "a target is out of the readout's %zu classes", classes);
            break;
        }
        sum += l;
        for (size_t r = 0; r < rows; r++) {
            size_t best = 0;
            for (size_t c = 1; c < classes; c++)
                best = y[r * classes + c] > y[r * classes + best] ? c : best;
            hits += best == t[r];
            count += 1;
        }
    }
    if (st == IL_OK) {
        *loss = sum / (double)nb;
        *accuracy = hits / count;
    }
done:
    il_free(x);
    il_free(t);
    return st;
}
