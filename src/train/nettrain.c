/* SPDX-License-Identifier: MIT */
/* Optimizers, schedule, loss, muP scalings and statistics for il_net
 * training (initlab/nettrain.h). */
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/nettrain.h"
#include "internal/spec_impl.h"

static const char *const opt_names[] = {"sgd", "momentum", "adam", "adamw"};

int il_nt_opt_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, opt_names[i]) == 0)
            return i;
    return -1;
}

const char *il_nt_opt_name(il_nt_opt o)
{
    return (unsigned)o < 4 ? opt_names[o] : "?";
}

il_nt_optconfig il_nt_optconfig_default(il_nt_opt opt, double lr)
{
    il_nt_optconfig c;
    memset(&c, 0, sizeof c);
    c.opt = opt;
    c.lr = lr;
    c.momentum = 0.9;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    return c;
}

double il_nt_schedule(const il_nt_optconfig *c, size_t step)
{
    if (c->warmup && step < c->warmup)
        return (double)(step + 1) / (double)c->warmup;
    if (!c->decay_steps)
        return 1;
    size_t t = step - c->warmup;
    if (t >= c->decay_steps)
        return 0;
    return 0.5 * (1 + cos(3.14159265358979323846 * (double)t / (double)c->decay_steps));
}

struct il_nt_optim {
    il_nt_optconfig c;
    size_t n_params, t;
    double *lr_mult;
    double **m, **v; /* momentum buffer / Adam moments, per parameter */
    size_t *len;
};

void il_nt_optim_free(il_nt_optim *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n_params; i++) {
        if (o->m)
            il_free(o->m[i]);
        if (o->v)
            il_free(o->v[i]);
    }
    il_free(o->m);
    il_free(o->v);
    il_free(o->len);
    il_free(o->lr_mult);
    il_free(o);
}

static int finite_nonneg(double x)
{
    return isfinite(x) && x >= 0;
}

il_status il_nt_optim_new(const il_net *n, const il_nt_optconfig *c, const double *lr_mult,
                          il_nt_optim **out, il_error *err)
{
    il_nt_optim *o;
    size_t np = il_net_param_count(n);

    if (!(isfinite(c->lr) && c->lr > 0)) {
        il__set_error(err, "the learning rate must be a positive number");
        return IL_EINVAL;
    }
    if ((unsigned)c->opt > IL_NT_ADAMW || !finite_nonneg(c->momentum) || c->momentum >= 1 ||
        !finite_nonneg(c->beta1) || c->beta1 >= 1 || !finite_nonneg(c->beta2) || c->beta2 >= 1 ||
        !finite_nonneg(c->eps) || !finite_nonneg(c->weight_decay) || !finite_nonneg(c->clip)) {
        il__set_error(err, "optimizer settings out of range (momentum and betas in [0, 1), "
                           "eps, weight decay and clip >= 0)");
        return IL_EINVAL;
    }
    if (!(o = il_calloc(1, sizeof *o)))
        return IL_ENOMEM;
    o->c = *c;
    o->n_params = np;
    o->m = il_calloc(np ? np : 1, sizeof *o->m);
    o->v = il_calloc(np ? np : 1, sizeof *o->v);
    o->len = il_calloc(np ? np : 1, sizeof *o->len);
    o->lr_mult = il_calloc(np ? np : 1, sizeof *o->lr_mult);
    if (!o->m || !o->v || !o->len || !o->lr_mult) {
        il_nt_optim_free(o);
        return IL_ENOMEM;
    }
    for (size_t i = 0; i < np; i++) {
        const il_param_desc *d = il_net_param(n, i, NULL);
        o->len[i] = il_tshape_size(&d->shape);
        o->lr_mult[i] = lr_mult ? lr_mult[i] : 1;
        if (c->opt != IL_NT_SGD && !(o->m[i] = il_calloc(o->len[i], sizeof(double)))) {
            il_nt_optim_free(o);
            return IL_ENOMEM;
        }
        if ((c->opt == IL_NT_ADAM || c->opt == IL_NT_ADAMW) &&
            !(o->v[i] = il_calloc(o->len[i], sizeof(double)))) {
            il_nt_optim_free(o);
            return IL_ENOMEM;
        }
    }
    *out = o;
    return IL_OK;
}

void il_nt_optim_step(il_nt_optim *o, il_net *n, double *ratio, double *grad_norm)
{
    const il_nt_optconfig *c = &o->c;
    double total = 0, gscale = 1, sched = il_nt_schedule(c, o->t);

    for (size_t i = 0; i < o->n_params; i++) {
        const double *g = il_net_param_grad(n, i);
        for (size_t j = 0; j < o->len[i]; j++)
            total += g[j] * g[j];
    }
    total = sqrt(total);
    if (grad_norm)
        *grad_norm = total;
    if (c->clip > 0 && total > c->clip)
        gscale = c->clip / (total + 1e-6); /* torch's clip_grad_norm_ */
    o->t++;
    double bc1 = 1 - pow(c->beta1, (double)o->t), bc2 = 1 - pow(c->beta2, (double)o->t);
    for (size_t i = 0; i < o->n_params; i++) {
        double *p = il_net_param_data(n, i), *m = o->m[i], *v = o->v[i];
        const double *g = il_net_param_grad(n, i);
        double lr = c->lr * sched * o->lr_mult[i], wd = c->weight_decay, du = 0, wn = 0;
        for (size_t j = 0; j < o->len[i]; j++) {
            double gj = g[j] * gscale, old = p[j], nw = old;
            wn += old * old;
            switch (c->opt) {
            case IL_NT_SGD:
                nw = old - lr * (gj + wd * old);
                break;
            case IL_NT_MOMENTUM:
                gj += wd * old;
                m[j] = o->t == 1 ? gj : c->momentum * m[j] + gj;
                nw = old - lr * m[j];
                break;
            case IL_NT_ADAM:
            case IL_NT_ADAMW:
                if (c->opt == IL_NT_ADAM)
                    gj += wd * old;
                else
                    nw = old * (1 - lr * wd);
                m[j] = c->beta1 * m[j] + (1 - c->beta1) * gj;
                v[j] = c->beta2 * v[j] + (1 - c->beta2) * gj * gj;
                nw -= lr / bc1 * m[j] / (sqrt(v[j]) / sqrt(bc2) + c->eps);
                break;
            }
            p[j] = nw;
            du += (nw - old) * (nw - old);
        }
        if (ratio)
            ratio[i] = wn > 0 ? sqrt(du / wn) : (double)NAN;
    }
}

il_status il_nt_xent(const double *logits, size_t rows, size_t classes, const uint32_t *targets,
                     double *loss, double *dlogits)
{
    double sum = 0;
    for (size_t r = 0; r < rows; r++) {
        const double *z = logits + r * classes;
        double mx = z[0], s = 0;
        if (targets[r] >= classes)
            return IL_EINVAL;
        for (size_t k = 1; k < classes; k++)
            mx = z[k] > mx ? z[k] : mx;
        for (size_t k = 0; k < classes; k++)
            s += exp(z[k] - mx);
        double lse = mx + log(s);
        sum += lse - z[targets[r]];
        if (dlogits) {
            double *d = dlogits + r * classes;
            for (size_t k = 0; k < classes; k++)
                d[k] = (exp(z[k] - lse) - (k == targets[r] ? 1.0 : 0.0)) / (double)rows;
        }
    }
    *loss = sum / (double)rows;
    return IL_OK;
}

const char *il_nt_role_name(il_nt_role r)
{
    static const char *const names[] = {"scalar", "input", "output", "hidden"};
    return (unsigned)r < 4 ? names[r] : "?";
}

/* A parameter's (fan_in, fan_out) dimensions in its shape: a dense
 * weight is (in, out), an embedding (vocab, dim), a conv kernel (out, in,
 * kh, kw); a vector is its fan_out. */
static void width_dims(const il_param_desc *d, size_t *in, size_t *out)
{
    const il_tshape *s = &d->shape;
    *in = *out = 1;
    if (s->rank == 1) {
        *out = s->dim[0];
    } else if (s->rank == 2) {
        *in = s->dim[0];
        *out = s->dim[1];
    } else if (s->rank > 2) {
        *in = s->dim[1];
        *out = s->dim[0];
    }
}

il_status il_nt_scalings(const il_net *n, const il_net *base, il_nt_param param, il_nt_opt opt,
                         il_nt_scaling *out, il_error *err)
{
    size_t np = il_net_param_count(n);
    if (base && il_net_param_count(base) != np) {
        il__set_error(err, "the base network has %zu parameters, the network %zu",
                      il_net_param_count(base), np);
        return IL_EINVAL;
    }
    for (size_t i = 0; i < np; i++) {
        il_nt_scaling *s = &out[i];
        size_t in, o, bin = 1, bout = 1;
        int inf_in, inf_out, sgd = opt == IL_NT_SGD || opt == IL_NT_MOMENTUM;
        width_dims(il_net_param(n, i, NULL), &in, &o);
        if (base) {
            if (il_net_param(base, i, NULL)->shape.rank != il_net_param(n, i, NULL)->shape.rank ||
                strcmp(il_net_param_name(base, i), il_net_param_name(n, i)) != 0) {
                il__set_error(err, "%s: not in the base network", il_net_param_name(n, i));
                return IL_EINVAL;
            }
            width_dims(il_net_param(base, i, NULL), &bin, &bout);
        } else {
            bin = in;
            bout = o;
        }
        if (bin > in || bout > o) {
            il__set_error(err, "%s: the base width exceeds the network's", il_net_param_name(n, i));
            return IL_EINVAL;
        }
        inf_in = in != bin;
        inf_out = o != bout;
        s->role = inf_in && inf_out ? IL_NT_HIDDEN
                  : inf_in          ? IL_NT_OUTPUT
                  : inf_out         ? IL_NT_INPUT
                                    : IL_NT_SCALAR;
        s->width_mult = s->role == IL_NT_INPUT    ? (double)o / (double)bout
                        : s->role == IL_NT_SCALAR ? 1
                                                  : (double)in / (double)bin;
        s->init_mult = s->lr_mult = 1;
        if (param != IL_NT_MUP)
            continue;
        double m = s->width_mult;
        switch (s->role) {
        case IL_NT_INPUT:
            s->lr_mult = sgd ? m : 1;
            break;
        case IL_NT_OUTPUT:
            s->init_mult = 1 / sqrt(m);
            s->lr_mult = 1 / m;
            break;
        case IL_NT_HIDDEN:
            s->lr_mult = sgd ? 1 : 1 / m;
            break;
        case IL_NT_SCALAR:
            break;
        }
    }
    return IL_OK;
}

il_status il_nt_build_classifier(const il_netdesc *d, size_t features, size_t classes, size_t batch,
                                 il_net **out, il_error *err)
{
    size_t n_ops;
    const il_op *ops = il_netdesc_ops(d, &n_ops);
    il_op *all;
    il_tshape in = {1, {features, 0, 0, 0}};
    il_status st;

    if (!(all = il_calloc(n_ops + 1, sizeof *all)))
        return IL_ENOMEM;
    if (n_ops)
        memcpy(all, ops, n_ops * sizeof *all);
    all[n_ops].type = il_op_find("dense");
    all[n_ops].out = classes;
    for (size_t k = 0; k < n_ops; k++)
        if (ops[k].type == all[n_ops].type) {
            all[n_ops].bias = ops[k].bias;
            break;
        }
    st = il_net_new(&in, all, n_ops + 1, batch, out, err);
    il_free(all);
    return st;
}

double il_nt_loglog_slope(const double *x, const double *y, size_t n)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    if (n < 2)
        return (double)NAN;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0) || !(y[i] > 0))
            return (double)NAN;
        double lx = log(x[i]), ly = log(y[i]);
        sx += lx;
        sy += ly;
        sxx += lx * lx;
        sxy += lx * ly;
    }
    double den = (double)n * sxx - sx * sx;
    return den > 0 ? ((double)n * sxy - sx * sy) / den : (double)NAN;
}

void il_nt_measure(const double *x, size_t rows, size_t units, il_nt_point_stats *out)
{
    size_t total = rows * units, zeros = 0;
    double sum = 0, sq = 0, ab = 0;

    memset(out, 0, sizeof *out);
    out->units = units;
    for (size_t u = 0; u < units; u++) {
        int alive = 0;
        for (size_t r = 0; r < rows; r++)
            alive |= x[r * units + u] != 0;
        out->dead += !alive;
    }
    for (size_t i = 0; i < total; i++) {
        double v = x[i];
        if (!isfinite(v)) {
            out->nonfinite++;
            continue;
        }
        zeros += v == 0;
        sum += v;
        sq += v * v;
        ab += fabs(v);
        if (v >= IL_NT_HIST_LO && v < IL_NT_HIST_HI) {
            size_t b =
                (size_t)((v - IL_NT_HIST_LO) / (IL_NT_HIST_HI - IL_NT_HIST_LO) * IL_NT_HIST_BINS);
            out->hist[b < IL_NT_HIST_BINS ? b : IL_NT_HIST_BINS - 1]++;
        }
    }
    size_t ok = total - out->nonfinite;
    if (!ok) {
        out->mean = out->std = out->rms = out->l1 = out->frac_zero = (double)NAN;
        return;
    }
    out->mean = sum / (double)ok;
    double var = sq / (double)ok - out->mean * out->mean;
    out->std = sqrt(var > 0 ? var : 0);
    out->rms = sqrt(sq / (double)ok);
    out->l1 = ab / (double)ok;
    out->frac_zero = (double)zeros / (double)ok;
}
