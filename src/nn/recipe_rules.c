/* SPDX-License-Identifier: MIT */
/*
 * The recipes: each one's weight rule, with its constants and sources
 * (ARCHITECTURES.md, section 2, cites the code and papers), and the two
 * structured fills no initializer row has.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "internal/recipe_impl.h"
#include "internal/spec_impl.h"

#define NONE ((size_t)-1)

/* Every recipe takes alpha=A (each residual's alpha) or alpha_pow=P (L^P:
 * -0.5 is the 1/sqrt(L) branch scaling); NAN: the recipe's own value. */
#define KEY_ALPHA                                                                                  \
    {                                                                                              \
        "alpha", IL_PARAM_NUMBER, (double)NAN, 0, NULL,                                            \
            "every residual's alpha (default: the recipe's)", 0                                    \
    }
#define KEY_ALPHA_POW                                                                              \
    {                                                                                              \
        "alpha_pow", IL_PARAM_NUMBER, (double)NAN, 0, NULL,                                        \
            "every residual's alpha = L^alpha_pow", 0                                              \
    }

static const il_param alpha_keys[] = {KEY_ALPHA, KEY_ALPHA_POW};
static const il_param gain_keys[] = {
    {"gain", IL_PARAM_NUMBER, 1.0, 0, NULL, "the orthogonal matrices' gain", 0},
    KEY_ALPHA,
    KEY_ALPHA_POW};

static int in_branch(const il__place *pl)
{
    return pl->branch != NONE && !pl->in_shortcut && pl->d->role == IL_ROLE_WEIGHT;
}

/* The last weight of a residual branch (Fixup's and GPT-2's projection). */
static int branch_last(const il__place *pl)
{
    return in_branch(pl) && pl->pos + 1 == pl->count;
}

static int is_conv(const il__place *pl)
{
    return strcmp(pl->op_type, "conv2d") == 0;
}

static int is_attention(const il__place *pl)
{
    return strcmp(pl->op_type, "attention") == 0;
}

static il_status spec_rule(il_param_rule *out, const il__place *pl, const char *why, il_error *err,
                           const char *fmt, double x)
{
    char num[40], spec[128];
    il__format_double(num, sizeof num, x);
    snprintf(spec, sizeof spec, fmt, num);
    return il__rule_init(out, pl, spec, why, err);
}

/* ---- torch_default: each module's own reset_parameters ---- */

static il_status torch_weights(const il__place *pl, il_param_rule *out, il_error *err)
{
    if (pl->d->role == IL_ROLE_EMBEDDING)
        return il__rule_init(out, pl, "normal:std=1", "nn.Embedding: N(0, 1)", err);
    if (is_attention(pl) && strcmp(pl->sub, "o") != 0) {
        /* MultiheadAttention draws q, k, v as one (3E, E) xavier_uniform
         * tensor: bound sqrt(6/(E + 3E)) = sqrt(3/(2E)) */
        double bound = sqrt(3.0 / (2.0 * (double)pl->d->fan_in));
        char num[40], spec[128];
        il__format_double(num, sizeof num, bound);
        snprintf(spec, sizeof spec, "uniform:a=-%s,b=%s", num, num);
        return il__rule_init(out, pl, spec, "MultiheadAttention in_proj: xavier_uniform of (3E, E)",
                             err);
    }
    return il__rule_init(out, pl, "torch_linear_default",
                         "nn.Linear/Conv2d reset_parameters: U(+-1/sqrt(fan_in))", err);
}

static il_status torch_bias(const il__place *pl, il_param_rule *out, il_error *err)
{
    char spec[64];
    if (is_attention(pl)) {
        il__rule_const(out, 0, "MultiheadAttention biases: zero");
        return IL_OK;
    }
    snprintf(spec, sizeof spec, "torch_bias_default:fan_in=%zu", pl->d->fan_in);
    return il__rule_init(out, pl, spec, "nn.Linear/Conv2d bias: U(+-1/sqrt(fan_in))", err);
}

static il_status rule_torch_alpha(const il_recipe_spec *r, const il_net *n, size_t i,
                                  il_param_rule *out, il_error *err, double alpha,
                                  const char *alpha_why)
{
    il__place pl;
    il_status st = il__recipe_place(n, i, &pl);
    if (st != IL_OK)
        return st;
    if (pl.d->role == IL_ROLE_BIAS)
        return torch_bias(&pl, out, err);
    if (il__rule_common(r, &pl, alpha, alpha_why, out))
        return IL_OK;
    return torch_weights(&pl, out, err);
}

static il_status rule_torch_default(const il_recipe_spec *r, const il_net *n, size_t i,
                                    il_param_rule *out, il_error *err)
{
    return rule_torch_alpha(r, n, i, out, err, (double)NAN, NULL);
}

static il_status rule_rezero(const il_recipe_spec *r, const il_net *n, size_t i, il_param_rule *out,
                             il_error *err)
{
    return rule_torch_alpha(r, n, i, out, err, 0.0,
                            "ReZero: alpha = 0, the network starts as the identity");
}

/* ---- he, xavier, skipinit: one scheme for every weight ---- */

static il_status rule_scheme(const il_recipe_spec *r, const il_net *n, size_t i, il_param_rule *out,
                             il_error *err, const char *scheme, const char *why, double alpha,
                             const char *alpha_why)
{
    il__place pl;
    il_status st = il__recipe_place(n, i, &pl);
    if (st != IL_OK)
        return st;
    if (il__rule_common(r, &pl, alpha, alpha_why, out))
        return IL_OK;
    if (pl.d->role == IL_ROLE_EMBEDDING)
        return il__rule_init(out, &pl, "normal:std=1", "embedding: N(0, 1) as nn.Embedding", err);
    return il__rule_init(out, &pl, scheme, why, err);
}

static il_status rule_he(const il_recipe_spec *r, const il_net *n, size_t i, il_param_rule *out,
                         il_error *err)
{
    return rule_scheme(r, n, i, out, err, "kaiming_normal:nonlinearity=relu", "He: N(0, 2/fan_in)",
                       (double)NAN, NULL);
}

static il_status rule_xavier(const il_recipe_spec *r, const il_net *n, size_t i, il_param_rule *out,
                             il_error *err)
{
    return rule_scheme(r, n, i, out, err, "xavier_normal", "Glorot: N(0, 2/(fan_in + fan_out))",
                       (double)NAN, NULL);
}

static il_status rule_skipinit(const il_recipe_spec *r, const il_net *n, size_t i,
                               il_param_rule *out, il_error *err)
{
    return rule_scheme(r, n, i, out, err, "kaiming_normal:nonlinearity=relu", "He: N(0, 2/fan_in)",
                       0.0,
                       "SkipInit: alpha = 0 at the end of each branch, the blocks start as the "
                       "identity");
}

/* ---- Fixup (Zhang, Dauphin & Ma 2019; hongyi-zhang/Fixup) ---- */

static il_status rule_fixup(const il_recipe_spec *r, const il_net *n, size_t i, il_param_rule *out,
                            il_error *err)
{
    il__place pl;
    il_status st = il__recipe_place(n, i, &pl);
    double fan, std;
    char why[160];

    if (st != IL_OK)
        return st;
    if (il__rule_common(r, &pl, 1.0, "Fixup: the branch's scalar multiplier starts at 1", out))
        return IL_OK;
    if (pl.d->role == IL_ROLE_EMBEDDING)
        return il__rule_init(out, &pl, "normal:std=1", "embedding: N(0, 1)", err);
    if (pl.readout) {
        il__rule_const(out, 0, "Fixup: the classifier starts at zero");
        return IL_OK;
    }
    if (branch_last(&pl)) {
        snprintf(why, sizeof why, "Fixup: the last layer of branch %zu starts at zero", pl.branch);
        il__rule_const(out, 0, why);
        return IL_OK;
    }
    /* He, with fan_out for convolutions as the CIFAR code (out * k^2) */
    fan = (double)(is_conv(&pl) ? pl.d->fan_out : pl.d->fan_in);
    std = sqrt(2.0 / fan);
    if (in_branch(&pl)) {
        double m = (double)pl.count, factor = m > 1 ? pow((double)pl.L, -1.0 / (2 * m - 2)) : 1;
        snprintf(why, sizeof why, "Fixup: He x L^(-1/(2m-2)) = x%.6g (L = %zu branches, m = %zu)",
                 factor, pl.L, pl.count);
        return il__rule_normal(out, &pl, std * factor, why, err);
    }
    return il__rule_normal(out, &pl, std, "Fixup: He outside the branches", err);
}

/* ---- GPT-2 / nanoGPT ---- */

static il_status rule_gpt2(const il_recipe_spec *r, const il_net *n, size_t i, il_param_rule *out,
                           il_error *err)
{
    il__place pl;
    il_status st = il__recipe_place(n, i, &pl);
    char why[160];
    if (st != IL_OK)
        return st;
    if (il__rule_common(r, &pl, (double)NAN, NULL, out))
        return IL_OK;
    if (branch_last(&pl)) {
        snprintf(why, sizeof why,
                 "GPT-2: residual projection 0.02/sqrt(2 n_layer), %zu residual branches", pl.L);
        return il__rule_normal(out, &pl, 0.02 / sqrt((double)pl.L), why, err);
    }
    return il__rule_normal(out, &pl, 0.02, "GPT-2: N(0, 0.02^2)", err);
}

/* ---- torchtitan's depth_init (Llama 3) ---- */

static il_status rule_depth_init(const il_recipe_spec *r, const il_net *n, size_t i,
                                 il_param_rule *out, il_error *err)
{
    il__place pl;
    il_status st = il__recipe_place(n, i, &pl);
    char why[160], spec[160], num[40], lo[40];
    if (st != IL_OK)
        return st;
    if (il__rule_common(r, &pl, (double)NAN, NULL, out))
        return IL_OK;
    if (pl.d->role == IL_ROLE_EMBEDDING)
        return il__rule_init(out, &pl, "normal:std=1", "torchtitan: token embedding N(0, 1)", err);
    if (pl.readout) {
        double s = 1.0 / sqrt((double)pl.d->fan_in);
        il__format_double(num, sizeof num, s);
        il__format_double(lo, sizeof lo, 3 * s);
        snprintf(spec, sizeof spec, "trunc_normal:std=%s,a=-%s,b=%s", num, lo, lo);
        return il__rule_init(out, &pl, spec, "torchtitan: output head std = dim^-1/2, +-3 std",
                             err);
    }
    if (branch_last(&pl)) {
        double s = 0.02 / sqrt(2.0 * (double)(pl.layer + 1));
        snprintf(why, sizeof why, "torchtitan depth_init: 0.02/sqrt(2 (layer_id + 1)), layer %zu",
                 pl.layer);
        return spec_rule(out, &pl, why, err, "trunc_normal:std=%s", s);
    }
    return il__rule_init(out, &pl, "trunc_normal:std=0.02",
                         "torchtitan: trunc_normal std 0.02, bounds +-2 (absolute)", err);
}

/* ---- T-Fixup (Huang et al. 2020), the paper's rule ---- */

static int causal_net(const il_net *n)
{
    for (size_t k = 0; k < il_net_op_count(n); k++)
        if (strcmp(il_net_op(n, k)->type->name, "attention") == 0 && il_net_op(n, k)->causal)
            return 1;
    return 0;
}

static il_status rule_t_fixup(const il_recipe_spec *r, const il_net *n, size_t i,
                              il_param_rule *out, il_error *err)
{
    il__place pl;
    il_status st = il__recipe_place(n, i, &pl);
    double N, scale;
    char why[160];
    int decoder = causal_net(n);

    if (st != IL_OK)
        return st;
    if (il__rule_common(r, &pl, (double)NAN, NULL, out))
        return IL_OK;
    N = (double)(pl.N ? pl.N : 1);
    /* decoder (causal) blocks: (9N)^-1/4; encoder blocks: 0.67 N^-1/4 */
    scale = decoder ? pow(9 * N, -0.25) : 0.67 * pow(N, -0.25);
    if (pl.d->role == IL_ROLE_EMBEDDING) {
        double s = pow((double)pl.d->shape.dim[1], -0.5) * pow(9 * N, -0.25);
        snprintf(why, sizeof why, "T-Fixup: embedding N(0, d^-1/2) x (9N)^-1/4, N = %zu", pl.N);
        return il__rule_normal(out, &pl, s, why, err);
    }
    if (in_branch(&pl) &&
        (!is_attention(&pl) || strcmp(pl.sub, "v") == 0 || strcmp(pl.sub, "o") == 0)) {
        snprintf(why, sizeof why, "T-Fixup: Xavier x %s = x%.6g (N = %zu layers)",
                 decoder ? "(9N)^-1/4" : "0.67 N^-1/4", scale, pl.N);
        return spec_rule(out, &pl, why, err, "xavier_uniform:gain=%s", scale);
    }
    return il__rule_init(out, &pl, "xavier_uniform", "T-Fixup: Xavier", err);
}

/* ---- DeepNorm (Wang et al. 2022), the paper's normal init ---- */

static il_status rule_deepnorm(const il_recipe_spec *r, const il_net *n, size_t i,
                               il_param_rule *out, il_error *err)
{
    il__place pl;
    il_status st = il__recipe_place(n, i, &pl);
    double N, beta;
    char why[160];

    if (st != IL_OK)
        return st;
    N = (double)(pl.N ? pl.N : 1);
    beta = pow(8 * N, -0.25);
    /* LN(alpha x + G(x)) = LN(x + G(x)/alpha) up to LN's eps, so the
     * shortcut's alpha = (2N)^(1/4) is the branch's 1/alpha here */
    snprintf(why, sizeof why, "DeepNorm: shortcut x (2N)^1/4, as the branch x (2N)^-1/4, N = %zu",
             pl.N);
    if (il__rule_common(r, &pl, pow(2 * N, -0.25), why, out))
        return IL_OK;
    if (pl.d->role == IL_ROLE_EMBEDDING)
        return il__rule_normal(out, &pl, pow((double)pl.d->shape.dim[1], -0.5),
                               "DeepNorm (torchscale): embedding N(0, d^-1/2)", err);
    if (in_branch(&pl) &&
        !(is_attention(&pl) && (strcmp(pl.sub, "q") == 0 || strcmp(pl.sub, "k") == 0))) {
        snprintf(why, sizeof why, "DeepNorm: xavier_normal, gain beta = (8N)^-1/4 = %.6g", beta);
        return spec_rule(out, &pl, why, err, "xavier_normal:gain=%s", beta);
    }
    return il__rule_init(out, &pl, "xavier_normal", "DeepNorm: xavier_normal, gain 1", err);
}

/* ---- delta-orthogonal (Xiao et al. 2018) ---- */

static il_status rule_delta_orthogonal(const il_recipe_spec *r, const il_net *n, size_t i,
                                       il_param_rule *out, il_error *err)
{
    il__place pl;
    il_status st = il__recipe_place(n, i, &pl);
    double gain = r->values[0].number;
    if (st != IL_OK)
        return st;
    if (il__rule_common(r, &pl, (double)NAN, NULL, out))
        return IL_OK;
    if (pl.d->role == IL_ROLE_EMBEDDING)
        return il__rule_init(out, &pl, "normal:std=1", "embedding: N(0, 1)", err);
    if (is_conv(&pl)) {
        const size_t *s = pl.d->shape.dim;
        double big = (double)(s[0] > s[1] ? s[0] : s[1]);
        st = spec_rule(out, &pl, "delta-orthogonal: an orthogonal centre tap, zeros elsewhere", err,
                       "orthogonal:gain=%s", gain);
        out->kind = IL_RULE_DELTA_ORTH;
        out->std = gain / sqrt(big) / (double)s[2];
        return st;
    }
    return spec_rule(out, &pl, "delta-orthogonal: an orthogonal matrix", err, "orthogonal:gain=%s",
                     gain);
}

/* ---- ZerO (Zhao et al. 2022) ---- */

static il_status rule_zero(const il_recipe_spec *r, const il_net *n, size_t i, il_param_rule *out,
                           il_error *err)
{
    il__place pl;
    il_status st = il__recipe_place(n, i, &pl);
    size_t m, in, p = 1, k = 1;
    (void)err;
    if (st != IL_OK)
        return st;
    if (il__rule_common(r, &pl, (double)NAN, NULL, out))
        return IL_OK;
    if (pl.d->role == IL_ROLE_EMBEDDING)
        return il__rule_init(out, &pl, "normal:std=1", "embedding: N(0, 1) (ZerO has no rule)",
                             err);
    if (branch_last(&pl)) {
        il__rule_const(out, 0, "ZerO: the last layer of each branch starts at zero");
        return IL_OK;
    }
    if (is_conv(&pl)) {
        m = pl.d->shape.dim[0];
        in = pl.d->shape.dim[1];
        k = pl.d->shape.dim[2];
    } else {
        m = pl.d->shape.dim[1]; /* (fan_in, fan_out) */
        in = pl.d->shape.dim[0];
    }
    while (p < m)
        p *= 2;
    memset(out, 0, sizeof *out);
    out->kind = IL_RULE_ZERO_MATRIX;
    if (m <= in) {
        snprintf(out->init, sizeof out->init, "ZerO: partial identity I(%zu, %zu)", m, in);
        out->std = 1 / sqrt((double)in) / (double)k;
    } else {
        snprintf(out->init, sizeof out->init, "ZerO: Hadamard H(%zu)/sqrt(%zu), cut to (%zu, %zu)",
                 p, p, m, in);
        out->std = 1 / sqrt((double)p) / (double)k;
    }
    snprintf(out->why, sizeof out->why, "ZerO: identity and Hadamard matrices%s",
             k > 1 ? " at the centre tap" : "");
    return IL_OK;
}

/* Sylvester's Hadamard entry H[a][b] = (-1)^popcount(a & b). */
static double hadamard(size_t a, size_t b)
{
    size_t x = a & b;
    int parity = 0;
    while (x) {
        parity ^= 1;
        x &= x - 1;
    }
    return parity ? -1.0 : 1.0;
}

il_status il__fill_zero_matrix(const il_param_desc *d, double *v)
{
    int conv = d->shape.rank == 4;
    size_t m = conv ? d->shape.dim[0] : d->shape.dim[1],
           in = conv ? d->shape.dim[1] : d->shape.dim[0];
    size_t k = conv ? d->shape.dim[2] : 1, c = k / 2, p = 1;
    double inv;

    while (p < m)
        p *= 2;
    inv = 1 / sqrt((double)p);
    memset(v, 0, il_tshape_size(&d->shape) * sizeof *v);
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < in; b++) {
            double w = m <= in ? (a == b ? 1.0 : 0.0) : hadamard(a, b) * inv;
            if (conv)
                v[((a * in + b) * k + c) * k + c] = w; /* (out, in, k, k) */
            else
                v[b * m + a] = w; /* (fan_in, fan_out) */
        }
    return IL_OK;
}

il_status il__fill_delta_orthogonal(const il_param_desc *d, const char *ortho_spec, il_rng *rng,
                                    double *v, il_error *err)
{
    size_t out = d->shape.dim[0], in = d->shape.dim[1], k = d->shape.dim[2], c = k / 2;
    size_t shape[2] = {out, in};
    double *m;
    il_init init;
    il_status st;

    if ((st = il_init_parse(ortho_spec, &init, err)) != IL_OK)
        return st;
    m = il_malloc(out * in * sizeof *m); /* within the kernel's checked size */
    if (!m)
        return IL_ENOMEM;
    st = il_init_fill(&init, shape, 2, IL_LAYOUT_TORCH, rng, m, err);
    if (st == IL_OK) {
        memset(v, 0, il_tshape_size(&d->shape) * sizeof *v);
        for (size_t a = 0; a < out; a++)
            for (size_t b = 0; b < in; b++)
                v[((a * in + b) * k + c) * k + c] = m[a * in + b];
    }
    il_free(m);
    return st;
}

const il_recipe il__recipes[] = {
    {"torch_default", "every module's own PyTorch init (nn.Linear, Conv2d, MultiheadAttention)",
     "torch/nn/modules/{linear,conv,activation}.py reset_parameters", alpha_keys, 2,
     rule_torch_default},
    {"he", "He normal on every weight, biases zero", "He et al. 2015", alpha_keys, 2, rule_he},
    {"xavier", "Glorot normal on every weight, biases zero", "Glorot & Bengio 2010", alpha_keys, 2,
     rule_xavier},
    {"fixup", "branch-last and classifier zero, other branch layers He x L^(-1/(2m-2))",
     "Zhang, Dauphin & Ma 2019; hongyi-zhang/Fixup cifar/models/fixup_resnet_cifar.py", alpha_keys,
     2, rule_fixup},
    {"skipinit", "He weights, each branch's alpha at 0", "De & Smith 2020", alpha_keys, 2,
     rule_skipinit},
    {"rezero", "PyTorch's default weights, each branch's alpha at 0",
     "Bachlechner et al. 2021; majumderb/rezero", alpha_keys, 2, rule_rezero},
    {"gpt2", "N(0, 0.02^2), residual projections 0.02/sqrt(2 n_layer)",
     "Radford et al. 2019; karpathy/nanoGPT model.py _init_weights", alpha_keys, 2, rule_gpt2},
    {"depth_init", "trunc_normal 0.02, projections 0.02/sqrt(2 (layer+1)), head dim^-1/2",
     "pytorch/torchtitan models/llama3 init_weights (depth_init=True)", alpha_keys, 2,
     rule_depth_init},
    {"t_fixup", "Xavier, v/o/MLP weights x 0.67 N^-1/4 (encoder) or (9N)^-1/4 (causal)",
     "Huang, Perez, Ba & Volkovs 2020 (the paper's rule, not fairseq's sqrt(2) on v)", alpha_keys,
     2, rule_t_fixup},
    {"deepnorm", "xavier_normal, v/o/MLP gain (8N)^-1/4, branches x (2N)^-1/4 (post-LN)",
     "Wang et al. 2022 (the paper's normal init; torchscale differs)", alpha_keys, 2,
     rule_deepnorm},
    {"delta_orthogonal", "conv kernels: an orthogonal centre tap; dense: orthogonal",
     "Xiao et al. 2018, Algorithm 2", gain_keys, 3, rule_delta_orthogonal},
    {"zero", "ZerO: identity and Hadamard matrices, each branch's last layer zero",
     "Zhao, Schaefer & Anandkumar 2022; jiaweizzhao/ZerO-initialization", alpha_keys, 2, rule_zero},
};

const size_t il__recipe_count = sizeof il__recipes / sizeof il__recipes[0];
