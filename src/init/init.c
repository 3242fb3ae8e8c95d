/* SPDX-License-Identifier: MIT */
/* The initializer registry, spec parsing and the generic fill. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "internal/init_impl.h"
#include "internal/spec_impl.h"

/* Adding an initializer: a definition in a file of src/init/, one line here.
 * The order is the order of `initlab list inits`. */
static const il_init_type *const registry[] = {
    &il__init_zeros,
    &il__init_ones,
    &il__init_constant,
    &il__init_uniform,
    &il__init_normal,
    &il__init_trunc_normal,
    &il__init_xavier_uniform,
    &il__init_xavier_normal,
    &il__init_kaiming_uniform,
    &il__init_kaiming_normal,
    &il__init_torch_linear_default,
    &il__init_torch_bias_default,
    &il__init_orthogonal,
    &il__init_sparse,
    &il__init_eye,
    &il__init_dirac,
    &il__init_variance_scaling,
    &il__init_glorot_uniform,
    &il__init_glorot_normal,
    &il__init_he_uniform,
    &il__init_he_normal,
    &il__init_lecun_uniform,
    &il__init_lecun_normal,
    &il__init_lecture_xavier,
    &il__init_lecture_he,
    &il__init_lsuv,
};

#define REGISTRY_LEN (sizeof registry / sizeof registry[0])

const il_init_type *il_init_find(const char *name)
{
    for (size_t i = 0; i < REGISTRY_LEN; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

size_t il_init_type_count(void)
{
    return REGISTRY_LEN;
}

const il_init_type *il_init_type_at(size_t i)
{
    return i < REGISTRY_LEN ? registry[i] : NULL;
}

static void unknown_name(const char *name, il_error *err)
{
    const char *names[REGISTRY_LEN];
    for (size_t i = 0; i < REGISTRY_LEN; i++)
        names[i] = registry[i]->name;
    il__unknown_name(err, "initializer", name, names, REGISTRY_LEN);
}

il_status il_init_parse(const char *spec, il_init *out, il_error *err)
{
    il__spec sp;
    il_init init;
    il_status st;

    st = il__spec_split(spec, "initializer", &sp, err);
    if (st != IL_OK)
        return st;
    memset(&init, 0, sizeof init);
    init.type = il_init_find(sp.name);
    if (!init.type) {
        unknown_name(sp.name, err);
        return IL_ENOTFOUND;
    }
    st = il__spec_bind(&sp, init.type->params, init.type->n_params, init.values, err);
    if (st != IL_OK)
        return st;
    *out = init;
    return IL_OK;
}

size_t il_init_format(const il_init *init, char *buf, size_t cap)
{
    const il_init_type *t = init->type;
    return il__spec_format(t->name, t->params, t->n_params, init->values, buf, cap);
}

int il_layout_from_name(const char *name)
{
    if (strcmp(name, "dense") == 0)
        return IL_LAYOUT_DENSE;
    if (strcmp(name, "torch") == 0)
        return IL_LAYOUT_TORCH;
    if (strcmp(name, "keras") == 0)
        return IL_LAYOUT_KERAS;
    return -1;
}

il_status il_fan_compute(const size_t *shape, size_t ndim, il_layout layout, size_t *fan_in,
                         size_t *fan_out, il_error *err)
{
    size_t receptive = 1, in, out;

    if (ndim < 2) {
        il__set_error(err, "Fan in and fan out can not be computed for tensor with fewer than 2 "
                           "dimensions");
        return IL_ESHAPE;
    }
    if (layout == IL_LAYOUT_TORCH) {
        for (size_t i = 2; i < ndim; i++)
            if (!il_mul_size(receptive, shape[i], &receptive))
                goto overflow;
        in = shape[1];
        out = shape[0];
    } else {
        for (size_t i = 0; i + 2 < ndim; i++)
            if (!il_mul_size(receptive, shape[i], &receptive))
                goto overflow;
        in = shape[ndim - 2];
        out = shape[ndim - 1];
    }
    if (!il_mul_size(in, receptive, fan_in) || !il_mul_size(out, receptive, fan_out))
        goto overflow;
    return IL_OK;
overflow:
    il__set_error(err, "tensor shape is too large (element count overflows)");
    return IL_ELIMIT;
}

static il_status make_ctx(const il_init *init, const size_t *shape, size_t ndim, il_layout layout,
                          il_init_ctx *ctx, il_error *err)
{
    il_status st;

    memset(ctx, 0, sizeof *ctx);
    ctx->shape = shape;
    ctx->ndim = ndim;
    ctx->layout = layout;
    if (!il_shape_bytes(shape, ndim, sizeof(double), &ctx->numel)) {
        il__set_error(err, "tensor shape is too large (its size in bytes overflows)");
        return IL_ELIMIT;
    }
    ctx->numel /= sizeof(double);
    if (init->type->needs_fans) {
        st = il_fan_compute(shape, ndim, layout, &ctx->fan_in, &ctx->fan_out, err);
        if (st != IL_OK)
            return st;
    }
    if (init->type->check)
        return init->type->check(init, ctx, err);
    return IL_OK;
}

void il_init_draw_noise(il_init_base base, il_rng *rng, double *out, size_t n)
{
    if (base == IL_INIT_BASE_NORMAL)
        il_dist_fill_standard_normal(rng, out, n);
    else if (base == IL_INIT_BASE_UNIFORM)
        il_rng_fill_double(rng, out, n);
}

static il_status fill_ctx(const il_init *init, const il_init_ctx *ctx, il_rng *rng,
                          const double *noise, double *out, il_error *err)
{
    const il_init_type *t = init->type;

    if (ctx->numel == 0) /* torch: "Initializing zero-element tensors is a no-op" */
        return IL_OK;
    if (t->base == IL_INIT_BASE_NONE || (!noise && t->fill))
        return t->fill(init, ctx, rng, out, err);
    if (!noise) {
        il_init_draw_noise(t->base, rng, out, ctx->numel);
        noise = out;
    }
    return t->from_noise(init, ctx, noise, out, err);
}

il_status il_init_fill(const il_init *init, const size_t *shape, size_t ndim, il_layout layout,
                       il_rng *rng, double *out, il_error *err)
{
    il_init_ctx ctx;
    il_status st = make_ctx(init, shape, ndim, layout, &ctx, err);
    if (st != IL_OK)
        return st;
    return fill_ctx(init, &ctx, rng, NULL, out, err);
}

static void round_to_float(const double *x, float *out, size_t n)
{
#pragma omp parallel for schedule(static) if (n >= ((size_t)1 << 18))
    for (size_t i = 0; i < n; i++)
        out[i] = (float)x[i];
}

il_status il__init_f32_by_pieces(const il_init *init, const il_init_ctx *ctx, il_rng *rng,
                                 float *out, size_t piece_len, il_error *err)
{
    il_init_ctx piece = *ctx;
    il_status st = IL_OK;
    size_t chunk;
    double *buf;

    if (ctx->numel == 0)
        return IL_OK;
    /* Pieces of an elementwise scheme are the whole fill's: the same
     * noise in order (the generators' fills of even lengths are one
     * fill), the same transform of each value. */
    chunk = init->type->elementwise && ctx->numel > piece_len ? piece_len : ctx->numel;
    buf = il_malloc_n(chunk, sizeof *buf);
    if (!buf) {
        il__set_error(err, "out of memory (%zu doubles to round from)", chunk);
        return IL_ENOMEM;
    }
    for (size_t off = 0; off < ctx->numel && st == IL_OK; off += chunk) {
        piece.numel = ctx->numel - off < chunk ? ctx->numel - off : chunk;
        st = fill_ctx(init, &piece, rng, NULL, buf, err);
        if (st == IL_OK)
            round_to_float(buf, out + off, piece.numel);
    }
    il_free(buf);
    return st;
}

il_status il_init_fill_f32(const il_init *init, const size_t *shape, size_t ndim, il_layout layout,
                           il_rng *rng, float *out, il_error *err)
{
    il_init_ctx ctx;
    il_status st = make_ctx(init, shape, ndim, layout, &ctx, err);

    if (st != IL_OK || ctx.numel == 0)
        return st;
    if (init->type->fill_f32)
        return init->type->fill_f32(init, &ctx, rng, out, err);
    return il__init_f32_by_pieces(init, &ctx, rng, out, IL__INIT_F32_PIECE, err);
}

il_status il__init_fill_f32_pieces(const il_init *init, const size_t *shape, size_t ndim,
                                   il_layout layout, il_rng *rng, float *out, size_t piece_len,
                                   il_error *err)
{
    il_init_ctx ctx;
    il_status st = make_ctx(init, shape, ndim, layout, &ctx, err);
    return st == IL_OK ? il__init_f32_by_pieces(init, &ctx, rng, out, piece_len, err) : st;
}

il_init_base il_init_get_base(const il_init *init)
{
    return init->type->base;
}

il_status il_init_from_noise(const il_init *init, const size_t *shape, size_t ndim,
                             il_layout layout, const double *noise, double *out, il_error *err)
{
    il_init_ctx ctx;
    il_status st;

    if (init->type->base == IL_INIT_BASE_NONE) {
        il__set_error(err, "'%s' does not transform shared noise", init->type->name);
        return IL_EINVAL;
    }
    st = make_ctx(init, shape, ndim, layout, &ctx, err);
    if (st != IL_OK)
        return st;
    return fill_ctx(init, &ctx, NULL, noise, out, err);
}

/* A bias vector's context: 1-D, with the fans of the layer it belongs to.
 * 'shape' must outlive 'ctx'. */
static il_status make_bias_ctx(const il_init *init, size_t n_out, size_t fan_in,
                               const size_t *shape, il_init_ctx *ctx, il_error *err)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->shape = shape;
    ctx->ndim = 1;
    ctx->layout = IL_LAYOUT_DENSE;
    ctx->numel = n_out;
    ctx->fan_in = fan_in;
    ctx->fan_out = n_out;
    if (init->type->check)
        return init->type->check(init, ctx, err);
    return IL_OK;
}

il_status il_init_fill_bias(const il_init *init, size_t n_out, size_t fan_in, il_rng *rng,
                            const double *noise, double *out, il_error *err)
{
    il_init_ctx ctx;
    size_t shape[1] = {n_out};
    il_status st = make_bias_ctx(init, n_out, fan_in, shape, &ctx, err);

    if (st != IL_OK)
        return st;
    if (noise && init->type->base == IL_INIT_BASE_NONE)
        noise = NULL;
    return fill_ctx(init, &ctx, rng, noise, out, err);
}

il_status il_init_describe(const il_init *init, const size_t *shape, size_t ndim, il_layout layout,
                           il_init_target *t, il_error *err)
{
    il_init_ctx ctx;
    il_status st = make_ctx(init, shape, ndim, layout, &ctx, err);
    if (st != IL_OK)
        return st;
    t->gain = t->mean = t->std = t->bound = t->lo = t->hi = (double)NAN;
    t->density = 1.0;
    init->type->target(init, &ctx, t);
    return IL_OK;
}

il_status il_init_describe_bias(const il_init *init, size_t n_out, size_t fan_in, il_init_target *t,
                                il_error *err)
{
    il_init_ctx ctx;
    size_t shape[1] = {n_out};
    il_status st = make_bias_ctx(init, n_out, fan_in, shape, &ctx, err);
    if (st != IL_OK)
        return st;
    t->gain = t->mean = t->std = t->bound = t->lo = t->hi = (double)NAN;
    t->density = 1.0;
    init->type->target(init, &ctx, t);
    return IL_OK;
}

/* The truncated normal's moments (Johnson, Kotz & Balakrishnan): with
 * a = (lo - mean) / std, b = (hi - mean) / std and Z = Phi(b) - Phi(a),
 * the mean moves by std * (phi(a) - phi(b)) / Z and the variance is
 * multiplied by 1 + (a phi(a) - b phi(b)) / Z - ((phi(a) - phi(b)) / Z)^2. */
void il_init_target_moments(const il_init_target *t, double *mean, double *var)
{
    double m = isfinite(t->mean) ? t->mean : 0.0, v = t->std * t->std;
    if (isfinite(t->lo) && isfinite(t->hi) && t->std > 0) {
        double a = (t->lo - t->mean) / t->std, b = (t->hi - t->mean) / t->std;
        const double sqrt_2pi = 2.5066282746310002, sqrt_2 = 1.4142135623730951;
        double pa = exp(-a * a / 2) / sqrt_2pi, pb = exp(-b * b / 2) / sqrt_2pi;
        double z = 0.5 * (erfc(-b / sqrt_2) - erfc(-a / sqrt_2)), shift = (pa - pb) / z;
        v *= 1 + (a * pa - b * pb) / z - shift * shift;
        m += t->std * shift;
    }
    if (t->density < 1) { /* a mixture with a point mass at 0 */
        double m2 = t->density * (v + m * m);
        m *= t->density;
        v = m2 - m * m;
    }
    *mean = m;
    *var = v;
}
