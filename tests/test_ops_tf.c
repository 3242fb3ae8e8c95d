/* SPDX-License-Identifier: MIT */
/*
 * The Transformer and normalization ops (layernorm, rmsnorm, batchnorm,
 * attention): forward and backward through an il_net against central
 * finite differences (net_check.h: eps 1e-6, atol 1e-5, rtol 1e-3, torch's
 * gradcheck defaults) and against PyTorch's outputs and gradients
 * (tests/golden/ops/tf/, made by tests/golden/ops/make_tf.py with torch
 * 1.13); the shapes they refuse; and il_attn_head_stats on constructed
 * probabilities.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/io.h"
#include "initlab/net.h"
#include "net_check.h"
#include "test.h"

#define BATCH 6
#define CAP   (1 << 20)

/* Goldens: float64 in both, the same formulas, but sums in another order
 * (BLAS blocks, PyTorch's kernels), each rounding 2^-53 ~ 1.1e-16 of a
 * term. Normalization subtracts the mean and softmax the max, so an entry
 * near 0 can carry the error of the array's larger terms: the error is
 * measured against the array's largest magnitude. A few dozen roundings
 * of terms at that scale stay below 1e-14; 1e-12 keeps a margin of 100
 * and is still a million times below any wrong formula (a missing term,
 * an unbiased variance, a scale of 1/sqrt(D) for 1/sqrt(D/H)). */
#define GOLDEN_RTOL 1e-12

static il_op op_of(const char *type)
{
    il_op op;
    memset(&op, 0, sizeof op);
    op.type = il_op_find(type);
    return op;
}

static il_op norm(const char *type)
{
    il_op op = op_of(type);
    op.eps = IL_NORM_EPS;
    return op;
}

static il_op attention(size_t heads, int causal, int bias)
{
    il_op op = op_of("attention");
    op.heads = heads;
    op.causal = causal;
    op.bias = bias;
    return op;
}

static il_op dense(size_t out)
{
    il_op op = op_of("dense");
    op.out = out;
    op.bias = 1;
    return op;
}

static il_op act(const char *name)
{
    il_op op = op_of("act");
    il_act_parse(name, &op.act, NULL);
    return op;
}

static il_op residual(const il_op *body, size_t n_body)
{
    il_op op = op_of("residual");
    op.body = body;
    op.n_body = n_body;
    op.alpha = 1.0;
    return op;
}

static void table(void)
{
    static const char *const kinds[] = {"layernorm", "rmsnorm", "batchnorm", "attention"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const il_op_type *t = il_op_find(kinds[i]);
        REQUIRE(t != NULL);
        CHECK_STR(t->name, kinds[i]);
        CHECK(t->forward && t->backward && t->saved && t->point);
    }
}

/* The finite-difference check of a network on 'in'; the count off. */
static size_t gradcheck_net(const il_tshape *in, const il_op *ops, size_t n_ops, uint64_t seed,
                            double scale)
{
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_error err;
    size_t bad, n_x = BATCH * il_tshape_size(in);
    double x[BATCH * 128], w_out[BATCH * 128];

    if (n_x > sizeof x / sizeof x[0] || il_net_new(in, ops, n_ops, BATCH, &n, &err) != IL_OK ||
        net_check_out_size(n) > sizeof w_out / sizeof w_out[0]) {
        il_net_free(n);
        return 1;
    }
    if (il_rng_new(il_rng_find("philox"), seed, &rng) != IL_OK) {
        il_net_free(n);
        return 1;
    }
    net_check_fill_params(n, rng, scale);
    net_check_fill(rng, x, n_x, 1.0);
    net_check_fill(rng, w_out, net_check_out_size(n), 1.0);
    bad = net_check_grads(n, x, w_out, 1);
    il_net_free(n);
    il_rng_free(rng);
    return bad;
}

static void gradcheck_norms(void)
{
    il_tshape f = {1, {5, 0, 0, 0}}, sf = {2, {3, 4, 0, 0}}, chw = {3, {3, 2, 3, 0}};
    il_op ln = norm("layernorm"), rms = norm("rmsnorm"), bn = norm("batchnorm");
    /* a dense map in front so that the norms' inputs are not centred */
    il_op ln_net[3] = {dense(4), ln, act("tanh")}, rms_net[2] = {dense(4), rms};

    CHECK_EQ_U64(gradcheck_net(&sf, &ln, 1, 1, 0.8), 0);
    CHECK_EQ_U64(gradcheck_net(&f, &ln, 1, 2, 0.8), 0);
    CHECK_EQ_U64(gradcheck_net(&sf, ln_net, 3, 3, 0.8), 0);
    CHECK_EQ_U64(gradcheck_net(&sf, &rms, 1, 4, 0.8), 0);
    CHECK_EQ_U64(gradcheck_net(&f, rms_net, 2, 5, 0.8), 0);
    CHECK_EQ_U64(gradcheck_net(&f, &bn, 1, 6, 0.8), 0);
    CHECK_EQ_U64(gradcheck_net(&chw, &bn, 1, 7, 0.8), 0);
}

/* Heads 1, 2, 4 on D = 8, causal and not, with and without biases; then a
 * pre-LN Transformer block. */
static void gradcheck_attention(void)
{
    static const size_t heads[] = {1, 2, 4};
    il_tshape sd = {2, {4, 8, 0, 0}};
    il_op attn_body[2] = {norm("layernorm"), attention(2, 1, 1)};
    il_op mlp_body[4] = {norm("layernorm"), dense(12), act("gelu"), dense(8)};
    il_op block[2] = {residual(attn_body, 2), residual(mlp_body, 4)};

    for (size_t h = 0; h < 3; h++)
        for (int causal = 0; causal < 2; causal++)
            for (int bias = 0; bias < 2; bias++) {
                il_op a = attention(heads[h], causal, bias);
                size_t bad =
                    gradcheck_net(&sd, &a, 1, 10 + 4 * h + 2 * (size_t)causal + (size_t)bias, 0.5);
                if (bad)
                    TEST_FAIL_("heads %zu causal %d bias %d: %zu gradients off", heads[h], causal,
                               bias, bad);
            }
    CHECK_EQ_U64(gradcheck_net(&sd, block, 2, 30, 0.4), 0);
}

/* Probabilities sum to 1 over the keys a query sees and are 0 beyond. */
static void attention_saved(void)
{
    il_tshape sd = {2, {5, 8, 0, 0}};
    il_op a = attention(4, 1, 1);
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_error err;
    const il_saved_desc *s;
    const double *p;
    double x[BATCH * 40];
    size_t off = 0;

    REQUIRE(il_net_new(&sd, &a, 1, BATCH, &n, &err) == IL_OK);
    CHECK_EQ_U64(il_net_param_count(n), 8);
    CHECK_STR(il_net_param_name(n, 0), "layers.0.q.weight");
    CHECK_STR(il_net_param_name(n, 5), "layers.0.v.bias");
    CHECK_STR(il_net_param_name(n, 7), "layers.0.o.bias");
    /* each map's own fans, not the packed in_proj_weight's (D, 3D) */
    CHECK_EQ_U64(il_net_param(n, 0, NULL)->fan_in, 8);
    CHECK_EQ_U64(il_net_param(n, 0, NULL)->fan_out, 8);
    CHECK_EQ_U64(il_net_param(n, 6, NULL)->fan_out, 8);
    REQUIRE(il_rng_new(il_rng_find("philox"), 40, &rng) == IL_OK);
    net_check_fill_params(n, rng, 0.6);
    net_check_fill(rng, x, sizeof x / sizeof x[0], 1.0);
    REQUIRE(il_net_forward(n, x) == IL_OK);
    s = il_net_saved(n, 0, 3, &p);
    REQUIRE(s != NULL);
    CHECK_STR(s->name, "probs");
    CHECK(s->point && s->per_example);
    CHECK_EQ_U64(s->shape.rank, 3);
    CHECK_EQ_U64(s->shape.dim[0], 4);
    CHECK_EQ_U64(s->shape.dim[2], 5);
    for (size_t r = 0; r < BATCH * 4 * 5; r++) {
        size_t i = r % 5;
        double sum = 0;
        for (size_t j = 0; j < 5; j++) {
            sum += p[r * 5 + j];
            off += j > i && p[r * 5 + j] != 0;
        }
        CHECK_NEAR(sum, 1.0, 0, 1e-15);
    }
    CHECK_EQ_U64(off, 0);
    il_net_free(n);
    il_rng_free(rng);
}

static void refusals(void)
{
    il_tshape sd = {2, {4, 6, 0, 0}}, f = {1, {6, 0, 0, 0}}, chw = {3, {2, 3, 3, 0}};
    il_op bad_heads = attention(4, 0, 1), no_heads = attention(0, 0, 1), ok = attention(3, 0, 1);
    il_op no_eps = op_of("layernorm"), bn = norm("batchnorm"), rms = norm("rmsnorm");
    il_net *n = NULL;
    il_error err;

    CHECK(il_net_new(&sd, &bad_heads, 1, BATCH, &n, &err) == IL_ESHAPE);
    CHECK_CONTAINS(err.message, "layers.0 (attention)");
    CHECK_CONTAINS(err.message, "\"heads\"");
    CHECK(il_net_new(&sd, &no_heads, 1, BATCH, &n, &err) == IL_ESHAPE);
    CHECK_CONTAINS(err.message, "\"heads\"");
    CHECK(il_net_new(&f, &ok, 1, BATCH, &n, &err) == IL_ESHAPE);
    CHECK_CONTAINS(err.message, "(sequence, features)");
    CHECK(il_net_new(&f, &no_eps, 1, BATCH, &n, &err) == IL_ESHAPE);
    CHECK_CONTAINS(err.message, "layers.0 (layernorm)");
    CHECK_CONTAINS(err.message, "\"eps\"");
    rms.eps = -1e-5;
    CHECK(il_net_new(&f, &rms, 1, BATCH, &n, &err) == IL_ESHAPE);
    CHECK_CONTAINS(err.message, "\"eps\"");
    rms.eps = (double)NAN;
    CHECK(il_net_new(&f, &rms, 1, BATCH, &n, &err) == IL_ESHAPE);
    CHECK(il_net_new(&sd, &bn, 1, BATCH, &n, &err) == IL_ESHAPE);
    CHECK_CONTAINS(err.message, "layers.0 (batchnorm)");
    CHECK(n == NULL);
    /* and what they take */
    REQUIRE(il_net_new(&chw, &bn, 1, BATCH, &n, &err) == IL_OK);
    CHECK_EQ_U64(il_net_param(n, 0, NULL)->shape.dim[0], 2); /* per channel */
    CHECK(il_net_param(n, 0, NULL)->role == IL_ROLE_NORM_WEIGHT);
    CHECK(il_net_param(n, 1, NULL)->role == IL_ROLE_NORM_BIAS);
    il_net_free(n);
    REQUIRE(il_net_new(&sd, &ok, 1, BATCH, &n, &err) == IL_OK);
    il_net_free(n);
}

/* An op's backward called as the network does but with dx NULL (not
 * wanted) and every dparam full of NaN: the same parameter gradients as
 * the network's, to the bit, so each is overwritten whole. */
static void backward_contract(void)
{
    il_tshape sd = {2, {4, 8, 0, 0}}, chw = {3, {3, 2, 3, 0}};
    il_op ops[5] = {norm("layernorm"), norm("rmsnorm"), norm("batchnorm"), attention(2, 1, 1),
                    attention(4, 0, 0)};
    double x[BATCH * 32], w_out[BATCH * 32], scratch[BATCH * 32];

    for (size_t c = 0; c < 5; c++) {
        const il_tshape *in = c == 2 ? &chw : &sd;
        il_net *n = NULL;
        il_rng *rng = NULL;
        il_error err;
        il_op_io io;
        double *params[IL_OP_MAX_PARAMS], *grads[IL_OP_MAX_PARAMS], *saved[IL_OP_MAX_SAVED];
        size_t np, same = 0, n_x = BATCH * il_tshape_size(in);

        REQUIRE(il_net_new(in, &ops[c], 1, BATCH, &n, &err) == IL_OK);
        REQUIRE(il_rng_new(il_rng_find("philox"), 60 + c, &rng) == IL_OK);
        net_check_fill_params(n, rng, 0.7);
        net_check_fill(rng, x, n_x, 1.0);
        net_check_fill(rng, w_out, n_x, 1.0);
        REQUIRE(il_net_forward(n, x) == IL_OK);
        REQUIRE(il_net_backward(n, w_out) == IL_OK);
        np = il_net_param_count(n);
        memset(&io, 0, sizeof io);
        io.batch = BATCH;
        io.in = *in;
        io.out = *il_net_shape(n, 0);
        io.x = x;
        io.y = (double *)il_net_output(n, 0);
        io.dy = w_out;
        io.scratch = scratch;
        for (size_t i = 0; i < np; i++) {
            size_t sz = il_tshape_size(&il_net_param(n, i, NULL)->shape);
            params[i] = il_net_param_data(n, i);
            grads[i] = il_malloc(sz * sizeof *grads[i]);
            REQUIRE(grads[i] != NULL);
            for (size_t j = 0; j < sz; j++)
                grads[i][j] = (double)NAN;
        }
        for (size_t j = 0; j < il_net_saved_count(n, 0); j++) {
            const double *d;
            il_net_saved(n, 0, j, &d);
            saved[j] = (double *)d;
        }
        io.params = params;
        io.saved = saved;
        io.dparams = grads;
        CHECK(ops[c].type->backward(&ops[c], &io) == IL_OK);
        for (size_t i = 0; i < np; i++) {
            size_t sz = il_tshape_size(&il_net_param(n, i, NULL)->shape);
            same += memcmp(grads[i], il_net_param_grad(n, i), sz * sizeof *grads[i]) == 0;
            il_free(grads[i]);
        }
        if (same != np)
            TEST_FAIL_("%s: %zu of %zu parameter gradients differ", ops[c].type->name, np - same,
                       np);
        il_net_free(n);
        il_rng_free(rng);
    }
}

/* ---- against PyTorch ---- */

static int load(const char *gcase, const char *name, il_array *a)
{
    char path[512];
    il_error err;
    snprintf(path, sizeof path, "%s/ops/tf/%s_%s.npy", IL_GOLDEN_DIR, gcase, name);
    if (il_npy_load(path, CAP, a, &err) != IL_OK) {
        TEST_FAIL_("%s: %s", path, err.message);
        return 0;
    }
    return 1;
}

/* Values off by more than GOLDEN_RTOL of the largest |want| (or 'floor',
 * when larger). */
static size_t off_golden(const char *what, const double *got, const il_array *want, double floor)
{
    double top = floor, worst = 0;
    size_t bad = 0;
    for (size_t i = 0; i < want->numel; i++)
        top = fmax(top, fabs(want->data[i]));
    for (size_t i = 0; i < want->numel; i++) {
        double e = fabs(got[i] - want->data[i]);
        worst = fmax(worst, e);
        bad += !(e <= GOLDEN_RTOL * top);
    }
    if (bad)
        TEST_FAIL_("%s: %zu of %zu off (worst %.3g of scale %.3g)", what, bad, want->numel, worst,
                   top);
    return bad;
}

/* One op as a network, its parameters and input from the case's files;
 * y, dx, every parameter's gradient and (attention) probs against
 * PyTorch's. A second backward leaves the same bits: the op overwrites
 * its gradients rather than adding to them. */
static void golden_case(const char *gcase, const il_op *op)
{
    il_array x, w_out, a;
    il_tshape in = {0, {0, 0, 0, 0}};
    il_net *n = NULL;
    il_error err;
    size_t batch, np;

    if (!load(gcase, "x", &x))
        return;
    REQUIRE(load(gcase, "wout", &w_out));
    batch = x.shape[0];
    in.rank = x.ndim - 1;
    for (size_t i = 0; i < in.rank; i++)
        in.dim[i] = x.shape[i + 1];
    REQUIRE(il_net_new(&in, op, 1, batch, &n, &err) == IL_OK);
    np = il_net_param_count(n);
    for (size_t i = 0; i < np; i++) {
        const char *name = il_net_param_name(n, i) + strlen("layers.0.");
        REQUIRE(load(gcase, name, &a));
        REQUIRE(a.numel == il_tshape_size(&il_net_param(n, i, NULL)->shape));
        memcpy(il_net_param_data(n, i), a.data, a.numel * sizeof *a.data);
        il_array_release(&a);
    }
    REQUIRE(il_net_forward(n, x.data) == IL_OK);
    REQUIRE(il_net_backward(n, w_out.data) == IL_OK);
    REQUIRE(load(gcase, "y", &a));
    REQUIRE(a.numel == net_check_out_size(n));
    off_golden("y", il_net_output(n, 0), &a, 0);
    il_array_release(&a);
    REQUIRE(load(gcase, "dx", &a));
    off_golden("dx", il_net_grad_input(n), &a, 0);
    il_array_release(&a);
    for (size_t i = 0; i < np; i++) {
        char dname[64];
        snprintf(dname, sizeof dname, "d%s", il_net_param_name(n, i) + strlen("layers.0."));
        double floor = 0;
        /* dL/d(k.bias) is 0 but for rounding, in both: adding b to every
         * key adds q.b to all of a query's scores, which the softmax
         * ignores; measured at the scale of dL/d(k.weight) instead */
        if (strcmp(dname, "dk.bias") == 0) {
            REQUIRE(load(gcase, "dk.weight", &a));
            for (size_t j = 0; j < a.numel; j++)
                floor = fmax(floor, fabs(a.data[j]));
            il_array_release(&a);
        }
        REQUIRE(load(gcase, dname, &a));
        off_golden(dname, il_net_param_grad(n, i), &a, floor);
        il_array_release(&a);
    }
    if (op->heads) {
        const double *p;
        REQUIRE(il_net_saved(n, 0, 3, &p) != NULL);
        REQUIRE(load(gcase, "probs", &a));
        REQUIRE(a.numel == batch * op->heads * in.dim[0] * in.dim[0]);
        off_golden("probs", p, &a, 0);
        il_array_release(&a);
    }
    {
        size_t n_x = x.numel, same = 0;
        double *keep = il_malloc(n_x * sizeof *keep);
        REQUIRE(keep != NULL);
        memcpy(keep, il_net_grad_input(n), n_x * sizeof *keep);
        REQUIRE(il_net_backward(n, w_out.data) == IL_OK);
        same = memcmp(keep, il_net_grad_input(n), n_x * sizeof *keep) == 0;
        CHECK(same);
        il_free(keep);
    }
    il_array_release(&x);
    il_array_release(&w_out);
    il_net_free(n);
}

static void golden_norms(void)
{
    il_op ln = norm("layernorm"), rms = norm("rmsnorm"), bn = norm("batchnorm");
    golden_case("layernorm", &ln);
    golden_case("rmsnorm", &rms);
    golden_case("batchnorm_f", &bn);
    golden_case("batchnorm_chw", &bn);
}

static void golden_attention(void)
{
    il_op a2 = attention(2, 0, 1), a4 = attention(4, 1, 1), a1 = attention(1, 1, 0);
    golden_case("attn_h2", &a2);
    golden_case("attn_h4_causal", &a4);
    golden_case("attn_h1_causal_nobias", &a1);
}

/* ---- il_attn_head_stats ---- */

/* Head 0 uniform, head 1 one-hot, head 2 half on two keys: (2, 3, 4, 4). */
static void head_stats(void)
{
    double p[2 * 3 * 16], causal[1 * 2 * 16];
    il_attn_stats s[3];
    double mean_log = (log(1.0) + log(2.0) + log(3.0) + log(4.0)) / 4;

    for (size_t b = 0; b < 2; b++)
        for (size_t i = 0; i < 4; i++)
            for (size_t j = 0; j < 4; j++) {
                p[((b * 3 + 0) * 4 + i) * 4 + j] = 0.25;
                p[((b * 3 + 1) * 4 + i) * 4 + j] = j == (i + b) % 4;
                p[((b * 3 + 2) * 4 + i) * 4 + j] = j < 2 ? 0.5 : 0;
            }
    REQUIRE(il_attn_head_stats(p, 2, 3, 4, 0, s) == IL_OK);
    CHECK_NEAR(s[0].entropy, log(4.0), 1e-15, 0);
    CHECK_NEAR(s[0].max_entropy, log(4.0), 1e-15, 0);
    CHECK(s[0].max_weight == 0.25);
    CHECK(s[0].near_uniform);
    CHECK(s[1].entropy == 0);
    CHECK(s[1].max_weight == 1);
    CHECK(!s[1].near_uniform);
    /* ln 2 = 0.5 ln 4 < 0.9 ln 4 */
    CHECK_NEAR(s[2].entropy, log(2.0), 1e-15, 0);
    CHECK(!s[2].near_uniform);

    /* causal: head 0 uniform over keys j <= i (row 0 all on key 0), head 1
     * uniform over every key, which is not a causal row but has more
     * entropy than allowed: still near uniform by the means */
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++) {
            causal[i * 4 + j] = j <= i ? 1.0 / (double)(i + 1) : 0;
            causal[16 + i * 4 + j] = j == 0 ? 0.7 : 0.1;
        }
    REQUIRE(il_attn_head_stats(causal, 1, 2, 4, 1, s) == IL_OK);
    CHECK_NEAR(s[0].entropy, mean_log, 1e-15, 0);
    CHECK_NEAR(s[0].max_entropy, mean_log, 1e-15, 0);
    CHECK(s[0].max_weight == 1);
    CHECK(s[0].near_uniform);
    /* -(0.7 ln 0.7 + 3 * 0.1 ln 0.1) = 0.9404 per row vs 0.9 * mean_log = 0.7136 */
    CHECK_NEAR(s[1].entropy, -(0.7 * log(0.7) + 0.3 * log(0.1)), 1e-15, 0);
    CHECK(s[1].near_uniform);
    /* the same head read as non-causal: 0.9404 < 0.9 ln 4 = 1.2477 */
    REQUIRE(il_attn_head_stats(causal, 1, 2, 4, 0, s) == IL_OK);
    CHECK(!s[1].near_uniform);
    CHECK(il_attn_head_stats(causal, 0, 2, 4, 0, s) == IL_EINVAL);
}

/* Attention with small weights at init is near uniform, as the issue
 * says: q and k of std 0.05 * |x| leave scores of order 1e-2. */
static void head_stats_net(void)
{
    il_tshape sd = {2, {6, 8, 0, 0}};
    il_op a = attention(2, 1, 0);
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_error err;
    il_attn_stats s[2];
    const double *p;
    double x[BATCH * 48];

    REQUIRE(il_net_new(&sd, &a, 1, BATCH, &n, &err) == IL_OK);
    REQUIRE(il_rng_new(il_rng_find("philox"), 50, &rng) == IL_OK);
    net_check_fill_params(n, rng, 0.05);
    net_check_fill(rng, x, sizeof x / sizeof x[0], 1.0);
    REQUIRE(il_net_forward(n, x) == IL_OK);
    il_net_saved(n, 0, 3, &p);
    REQUIRE(il_attn_head_stats(p, BATCH, 2, 6, 1, s) == IL_OK);
    for (size_t h = 0; h < 2; h++) {
        CHECK(s[h].near_uniform);
        CHECK(s[h].entropy <= s[h].max_entropy + 1e-12);
        CHECK(s[h].entropy > 0.99 * s[h].max_entropy);
    }
    il_net_free(n);
    il_rng_free(rng);
}

TEST_MAIN({"table", table}, {"gradcheck_norms", gradcheck_norms},
          {"gradcheck_attention", gradcheck_attention}, {"attention_saved", attention_saved},
          {"refusals", refusals}, {"backward_contract", backward_contract},
          {"golden_norms", golden_norms}, {"golden_attention", golden_attention},
          {"head_stats", head_stats}, {"head_stats_net", head_stats_net})
