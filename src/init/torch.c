/* SPDX-License-Identifier: MIT */
/*
 * torch.nn.init's fan-based schemes, in torch's order of operations so that
 * every std and bound is bit-equal to torch's:
 *   xavier:  std = gain * math.sqrt(2.0 / float(fan_in + fan_out)),
 *            bound = math.sqrt(3.0) * std            (Glorot & Bengio 2010)
 *   kaiming: gain = calculate_gain(nonlinearity, a), std = gain / math.sqrt(fan),
 *            bound = math.sqrt(3.0) * std             (He et al. 2015)
 * nn.Linear's default is kaiming_uniform with a = math.sqrt(5), which works
 * out to U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (torch issue #57109), and its
 * bias is U(-1/sqrt(fan_in), 1/sqrt(fan_in)). sparse_ is Martens 2010.
 */
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "internal/init_impl.h"
#include "internal/spec_impl.h"

/* ---- xavier_uniform(gain), xavier_normal(gain) ---- */

static const il_param xavier_params[] = {
    {"gain", IL_PARAM_NUMBER, 1.0, 0, NULL, "scaling factor, e.g. calculate_gain's", 0},
};

static double xavier_std(const il_init *init, const il_init_ctx *ctx)
{
    return init->values[0].number * sqrt(2.0 / (double)(ctx->fan_in + ctx->fan_out));
}

static il_status xavier_uniform_from(const il_init *init, const il_init_ctx *ctx,
                                     const double *noise, double *out, il_error *err)
{
    double bound = sqrt(3.0) * xavier_std(init, ctx);
    (void)err;
    il__uniform_from_noise(-bound, bound, noise, out, ctx->numel);
    return IL_OK;
}

static il_status xavier_normal_from(const il_init *init, const il_init_ctx *ctx,
                                    const double *noise, double *out, il_error *err)
{
    (void)err;
    il__normal_from_noise(0.0, xavier_std(init, ctx), noise, out, ctx->numel);
    return IL_OK;
}

static void xavier_uniform_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    t->gain = init->values[0].number;
    t->mean = 0.0;
    t->std = xavier_std(init, ctx);
    t->bound = sqrt(3.0) * t->std;
}

static void xavier_normal_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    t->gain = init->values[0].number;
    t->mean = 0.0;
    t->std = xavier_std(init, ctx);
}

const il_init_type il__init_xavier_uniform = {
    .name = "xavier_uniform",
    .formula = "U(-b, b), b = sqrt(3) * gain * sqrt(2/(fan_in + fan_out))",
    .source = "torch.nn.init.xavier_uniform_(gain=1); Glorot & Bengio 2010",
    .params = xavier_params,
    .n_params = 1,
    .needs_fans = 1,
    .base = IL_INIT_BASE_UNIFORM,
    .elementwise = 1,
    .from_noise = xavier_uniform_from,
    .target = xavier_uniform_target,
};

const il_init_type il__init_xavier_normal = {
    .name = "xavier_normal",
    .formula = "N(0, std^2), std = gain * sqrt(2/(fan_in + fan_out))",
    .source = "torch.nn.init.xavier_normal_(gain=1); Glorot & Bengio 2010",
    .params = xavier_params,
    .n_params = 1,
    .needs_fans = 1,
    .base = IL_INIT_BASE_NORMAL,
    .elementwise = 1,
    .from_noise = xavier_normal_from,
    .target = xavier_normal_target,
};

/* ---- kaiming_uniform / kaiming_normal(a, mode, nonlinearity) ---- */

static const char *const fan_modes[] = {"fan_in", "fan_out", NULL};

static const il_param kaiming_params[] = {
    {"a", IL_PARAM_NUMBER, 0.0, 0, NULL, "negative slope of the rectifier after the layer", 0},
    {"mode", IL_PARAM_CHOICE, 0.0, 0, fan_modes, "fan_in keeps forward variance, fan_out backward",
     0},
    {"nonlinearity", IL_PARAM_CHOICE, 0.0, 10 /* leaky_relu */, il_init_gain_names,
     "the activation the gain is for", 0},
};

static il_status kaiming_gain(const il_init *init, double *gain, il_error *err)
{
    return il_init_gain(il_init_gain_names[init->values[2].choice], init->values[0].number, gain,
                        err);
}

static il_status kaiming_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    double gain;
    (void)ctx;
    return kaiming_gain(init, &gain, err);
}

static double kaiming_std(const il_init *init, const il_init_ctx *ctx)
{
    double gain = 1.0;
    size_t fan = init->values[1].choice == 0 ? ctx->fan_in : ctx->fan_out;
    (void)kaiming_gain(init, &gain, NULL); /* checked already */
    return gain / sqrt((double)fan);
}

static il_status kaiming_uniform_from(const il_init *init, const il_init_ctx *ctx,
                                      const double *noise, double *out, il_error *err)
{
    double bound = sqrt(3.0) * kaiming_std(init, ctx);
    (void)err;
    il__uniform_from_noise(-bound, bound, noise, out, ctx->numel);
    return IL_OK;
}

static il_status kaiming_normal_from(const il_init *init, const il_init_ctx *ctx,
                                     const double *noise, double *out, il_error *err)
{
    (void)err;
    il__normal_from_noise(0.0, kaiming_std(init, ctx), noise, out, ctx->numel);
    return IL_OK;
}

static void kaiming_normal_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    (void)kaiming_gain(init, &t->gain, NULL);
    t->mean = 0.0;
    t->std = kaiming_std(init, ctx);
}

static void kaiming_uniform_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    kaiming_normal_target(init, ctx, t);
    t->bound = sqrt(3.0) * t->std;
}

const il_init_type il__init_kaiming_uniform = {
    .name = "kaiming_uniform",
    .formula = "U(-b, b), b = sqrt(3) * gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)",
    .source = "torch.nn.init.kaiming_uniform_(a=0, mode='fan_in', nonlinearity='leaky_relu'); "
              "He et al. 2015",
    .params = kaiming_params,
    .n_params = 3,
    .needs_fans = 1,
    .base = IL_INIT_BASE_UNIFORM,
    .elementwise = 1,
    .check = kaiming_check,
    .from_noise = kaiming_uniform_from,
    .target = kaiming_uniform_target,
};

const il_init_type il__init_kaiming_normal = {
    .name = "kaiming_normal",
    .formula = "N(0, std^2), std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)",
    .source = "torch.nn.init.kaiming_normal_(a=0, mode='fan_in', nonlinearity='leaky_relu'); "
              "He et al. 2015",
    .params = kaiming_params,
    .n_params = 3,
    .needs_fans = 1,
    .base = IL_INIT_BASE_NORMAL,
    .elementwise = 1,
    .check = kaiming_check,
    .from_noise = kaiming_normal_from,
    .target = kaiming_normal_target,
};

/* ---- nn.Linear's defaults ---- */

static double linear_default_bound(const il_init_ctx *ctx)
{
    /* kaiming_uniform_(w, a=math.sqrt(5)), in torch's arithmetic:
     * math.sqrt(5) ** 2 is 5.000000000000001, hence not simply 1/sqrt(fan_in). */
    double a = sqrt(5.0);
    double gain = sqrt(2.0 / (1 + a * a));
    double std = gain / sqrt((double)ctx->fan_in);
    return sqrt(3.0) * std;
}

static il_status linear_default_from(const il_init *init, const il_init_ctx *ctx,
                                     const double *noise, double *out, il_error *err)
{
    double bound = linear_default_bound(ctx);
    (void)init, (void)err;
    il__uniform_from_noise(-bound, bound, noise, out, ctx->numel);
    return IL_OK;
}

static void linear_default_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    double a = sqrt(5.0);
    (void)init;
    t->gain = sqrt(2.0 / (1 + a * a));
    t->mean = 0.0;
    t->std = t->gain / sqrt((double)ctx->fan_in); /* torch's own intermediate */
    t->bound = linear_default_bound(ctx);
}

const il_init_type il__init_torch_linear_default = {
    .name = "torch_linear_default",
    .formula = "U(-b, b), b = 1/sqrt(fan_in): kaiming_uniform with a = sqrt(5); Var = 1/(3 fan_in)",
    .source = "torch.nn.Linear.reset_parameters (and _ConvNd); torch issues #15314, #57109",
    .needs_fans = 1,
    .base = IL_INIT_BASE_UNIFORM,
    .elementwise = 1,
    .from_noise = linear_default_from,
    .target = linear_default_target,
};

static const il_param bias_params[] = {
    {"fan_in", IL_PARAM_NUMBER, 0.0, 0, NULL,
     "the layer's fan_in (0: the layer it is the bias of, in run)", 0},
};

static double bias_bound(const il_init *init, const il_init_ctx *ctx)
{
    double fan = init->values[0].number > 0 ? init->values[0].number : (double)ctx->fan_in;
    return fan > 0 ? 1 / sqrt(fan) : 0.0; /* torch: 0 if fan_in == 0 */
}

static il_status bias_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    double f = init->values[0].number;
    if (f < 0 || f != floor(f)) {
        il__set_error(err, "torch_bias_default: fan_in must be a non-negative integer, got %g", f);
        return IL_EINVAL;
    }
    if (f == 0 && ctx->fan_in == 0 && ctx->ndim < 2) {
        il__set_error(err, "torch_bias_default: give the layer's fan_in "
                           "(torch_bias_default:fan_in=N) or a shape with 2 or more dims");
        return IL_EINVAL;
    }
    return IL_OK;
}

static il_status bias_from(const il_init *init, const il_init_ctx *ctx, const double *noise,
                           double *out, il_error *err)
{
    double bound = bias_bound(init, ctx);
    (void)err;
    il__uniform_from_noise(-bound, bound, noise, out, ctx->numel);
    return IL_OK;
}

static void bias_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    t->mean = 0.0;
    t->bound = bias_bound(init, ctx);
    t->std = t->bound / sqrt(3.0);
}

const il_init_type il__init_torch_bias_default = {
    .name = "torch_bias_default",
    .formula = "U(-b, b), b = 1/sqrt(fan_in) (0 if fan_in is 0)",
    .source = "torch.nn.Linear.reset_parameters, the bias",
    .params = bias_params,
    .n_params = 1,
    .base = IL_INIT_BASE_UNIFORM,
    .elementwise = 1,
    .check = bias_check,
    .from_noise = bias_from,
    .target = bias_target,
};

/* ---- sparse(sparsity, std): Martens 2010 ---- */

static const il_param sparse_params[] = {
    {"sparsity", IL_PARAM_NUMBER, 0.0, 0, NULL, "fraction of each column set to zero, in [0, 1)",
     1},
    {"std", IL_PARAM_NUMBER, 0.01, 0, NULL, "std of the non-zero entries (>= 0)", 0},
};

static il_status sparse_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    double s = init->values[0].number;
    if (ctx->ndim != 2) {
        il__set_error(err, "sparse: Only tensors with 2 dimensions are supported (got %zu)",
                      ctx->ndim);
        return IL_ESHAPE;
    }
    if (!(s >= 0.0 && s < 1.0)) {
        il__set_error(err, "sparse: sparsity must be in [0, 1), got %g", s);
        return IL_EINVAL;
    }
    if (init->values[1].number < 0.0) {
        il__set_error(err, "sparse: std must be >= 0, got %g", init->values[1].number);
        return IL_EINVAL;
    }
    return IL_OK;
}

static il_status sparse_fill(const il_init *init, const il_init_ctx *ctx, il_rng *rng, double *out,
                             il_error *err)
{
    /* torch's tensor is (rows, cols) = (out, in) and each column (an input
     * unit) gets ceil(sparsity * rows) zeros at positions from a random
     * permutation. In the dense/keras layout (in, out) that is each row. */
    int torch = ctx->layout == IL_LAYOUT_TORCH;
    size_t rows = torch ? ctx->shape[0] : ctx->shape[1];
    size_t cols = torch ? ctx->shape[1] : ctx->shape[0];
    size_t zeros = (size_t)ceil(init->values[0].number * (double)rows);
    size_t *perm;

    if (rows > UINT32_MAX) {
        il__set_error(err, "sparse: too many rows (%zu)", rows);
        return IL_ELIMIT;
    }
    perm = il_malloc_n(rows, sizeof *perm);
    if (!perm)
        return IL_ENOMEM;
    il_dist_fill_normal(rng, 0.0, init->values[1].number, out, ctx->numel);
    for (size_t c = 0; c < cols; c++) {
        for (size_t i = 0; i < rows; i++)
            perm[i] = i;
        /* the first 'zeros' entries of a Fisher-Yates shuffle */
        for (size_t i = 0; i < zeros; i++) {
            size_t j = i + il_dist_bounded(rng, rows - i), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
            if (torch)
                out[perm[i] * cols + c] = 0.0;
            else
                out[c * rows + perm[i]] = 0.0;
        }
    }
    il_free(perm);
    return IL_OK;
}

static void sparse_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    size_t rows = ctx->layout == IL_LAYOUT_TORCH ? ctx->shape[0] : ctx->shape[1];
    t->mean = 0.0;
    t->std = init->values[1].number; /* of the entries left non-zero */
    if (rows > 0)
        t->density = 1.0 - ceil(init->values[0].number * (double)rows) / (double)rows;
}

const il_init_type il__init_sparse = {
    .name = "sparse",
    .formula = "N(0, std^2), then ceil(sparsity * rows) zeros in every column",
    .source = "torch.nn.init.sparse_(sparsity, std=0.01); Martens 2010",
    .params = sparse_params,
    .n_params = 2,
    .check = sparse_check,
    .fill = sparse_fill,
    .target = sparse_target,
};
