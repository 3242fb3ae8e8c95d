/* SPDX-License-Identifier: MIT */
/*
 * The MLP's backward pass against central finite differences in double
 * precision (RELIABILITY.md row 33: eps 1e-6, atol 1e-5, rtol 1e-3, torch's
 * gradcheck defaults), for every activation, and the softmax loss. The
 * float32 net (the same passes instantiated for float) against the float64
 * one with the same parameters.
 */
#include <stdlib.h>
#include <string.h>

#include "initlab/dist.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "internal/nn_impl.h"
#include "test.h"

#define BATCH   6
#define N_IN    4
#define CLASSES 3

static double loss_of(il_mlp *m, const double *x, const size_t *labels, size_t last)
{
    if (il_mlp_forward(m, x) != IL_OK)
        return (double)NAN;
    return il_loss_softmax_ce(il_mlp_act(m, last), BATCH, CLASSES, labels, NULL);
}

static void gradcheck_act(const char *spec)
{
    const size_t widths[3] = {5, 5, CLASSES};
    il_act act;
    const il_act *acts[3];
    il_mlp *m = NULL;
    il_rng *rng = NULL;
    double x[BATCH * N_IN], grad[BATCH * CLASSES], worst = 0;
    size_t labels[BATCH], bad = 0;

    REQUIRE(il_act_parse(spec, &act, NULL) == IL_OK);
    acts[0] = acts[1] = &act;
    acts[2] = NULL; /* a linear output layer, then the softmax */
    REQUIRE(il_mlp_new(BATCH, N_IN, widths, 3, acts, &m) == IL_OK);
    REQUIRE(il_rng_new(il_rng_find("mt19937"), 12345, &rng) == IL_OK);
    il_dist_fill_normal(rng, 0.0, 1.0, x, BATCH * N_IN);
    for (size_t l = 0, prev = N_IN; l < 3; prev = widths[l], l++) {
        il_dist_fill_normal(rng, 0.0, 0.8, il_mlp_weights(m, l), prev * widths[l]);
        il_dist_fill_normal(rng, 0.1, 0.3, il_mlp_bias(m, l), widths[l]);
    }
    for (size_t r = 0; r < BATCH; r++)
        labels[r] = r % CLASSES;
    REQUIRE(il_mlp_forward(m, x) == IL_OK);
    il_loss_softmax_ce(il_mlp_act(m, 2), BATCH, CLASSES, labels, grad);
    REQUIRE(il_mlp_backward(m, grad) == IL_OK);

    for (size_t l = 0, prev = N_IN; l < 3; prev = widths[l], l++) {
        size_t nw = prev * widths[l];
        for (size_t k = 0; k < nw + widths[l]; k++) {
            double *p = k < nw ? &il_mlp_weights(m, l)[k] : &il_mlp_bias(m, l)[k - nw];
            double analytic = k < nw ? il_mlp_grad_w(m, l)[k] : il_mlp_grad_b(m, l)[k - nw];
            double keep = *p, up, down, numeric;
            *p = keep + 1e-6;
            up = loss_of(m, x, labels, 2);
            *p = keep - 1e-6;
            down = loss_of(m, x, labels, 2);
            *p = keep;
            numeric = (up - down) / 2e-6;
            if (!(fabs(analytic - numeric) <= 1e-5 + 1e-3 * fabs(numeric)))
                bad++;
            if (fabs(analytic - numeric) > worst)
                worst = fabs(analytic - numeric);
        }
    }
    if (bad)
        fprintf(stderr, "  %s: %zu gradients off, worst difference %.3g\n", spec, bad, worst);
    CHECK_EQ_U64(bad, 0);
    il_mlp_free(m);
    il_rng_free(rng);
}

static void gradcheck_all(void)
{
    static const char *const specs[] = {"identity",
                                        "sigmoid",
                                        "tanh",
                                        "relu",
                                        "leaky_relu:a=0.1",
                                        "elu",
                                        "selu",
                                        "gelu",
                                        "gelu:approximate=tanh",
                                        "silu",
                                        "softplus",
                                        "mish",
                                        "hardtanh:min_val=-2,max_val=2",
                                        "softsign"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        gradcheck_act(specs[i]);
}

/* log-sum-exp: finite for huge logits; the gradient rows sum to zero. */
static void softmax_stable(void)
{
    const double logits[2 * 3] = {1000, -1000, 999, -745, 0, 745};
    const size_t labels[2] = {0, 2};
    double grad[6], loss = il_loss_softmax_ce(logits, 2, 3, labels, grad);
    CHECK(isfinite(loss));
    CHECK_NEAR(loss, (log1p(exp(-1.0)) + 0.0) / 2, 1e-12, 1e-12);
    CHECK_NEAR(grad[0] + grad[1] + grad[2], 0.0, 0, 1e-15);
    CHECK_NEAR(grad[3] + grad[4] + grad[5], 0.0, 0, 1e-15);
}

/* Float32 against float64 on the same (float-representable) parameters
 * and inputs. Exactly: each float32 activation is the float64 activation
 * function of its float pre-activation, rounded once, and each dL/dz the
 * double product rounded once (the template's contract). Within float
 * precision: the activations and the weight gradients, whose products
 * sum 4 to 6 terms per layer in float (measured over these activations:
 * at worst 18% of the tolerance below; relative 1.6e-6 for values over
 * 0.1, absolute 5.8e-7). */
#define F32_RTOL 1e-5
#define F32_ATOL 1e-6

static void float32_follows_float64(void)
{
    static const char *const specs[] = {"tanh", "relu", "sigmoid", "selu", "gelu"};
    const size_t widths[3] = {5, 5, CLASSES};
    il_rng *rng = NULL;
    REQUIRE(il_rng_new(il_rng_find("philox"), 77, &rng) == IL_OK);
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        il_act act;
        const il_act *acts[3];
        il_mlp *m64 = NULL, *m32 = NULL;
        double x[BATCH * N_IN], g64[BATCH * CLASSES];
        float x32[BATCH * N_IN], g32[BATCH * CLASSES];
        size_t labels[BATCH], exact_bad = 0, near_bad = 0;
        REQUIRE(il_act_parse(specs[s], &act, NULL) == IL_OK);
        acts[0] = acts[1] = &act;
        acts[2] = NULL;
        REQUIRE(il_mlp_new(BATCH, N_IN, widths, 3, acts, &m64) == IL_OK);
        REQUIRE(il__mlp_new(IL_DTYPE_F32, BATCH, N_IN, widths, 3, acts, &m32) == IL_OK);
        CHECK(il__mlp_dtype(m32) == IL_DTYPE_F32);
        il_dist_fill_normal(rng, 0.0, 1.0, x, BATCH * N_IN);
        for (size_t l = 0, prev = N_IN; l < 3; prev = widths[l], l++) {
            il_dist_fill_normal(rng, 0.0, 0.8, il_mlp_weights(m64, l), prev * widths[l]);
            il_dist_fill_normal(rng, 0.1, 0.3, il_mlp_bias(m64, l), widths[l]);
        }
        /* round everything to float, and give the float64 net the same */
        il__mlp_copy_params(m32, m64);
        il__mlp_copy_params(m64, m32);
        il__convert(IL_DTYPE_F32, x32, IL_DTYPE_F64, x, BATCH * N_IN);
        il__convert(IL_DTYPE_F64, x, IL_DTYPE_F32, x32, BATCH * N_IN);
        for (size_t r = 0; r < BATCH; r++)
            labels[r] = (r * 7) % CLASSES;
        REQUIRE(il_mlp_forward(m64, x) == IL_OK);
        REQUIRE(il__mlp_forward(m32, x32) == IL_OK);
        CHECK_NEAR(il__mlp_loss_softmax_ce(m32, labels, g32),
                   il_loss_softmax_ce(il_mlp_act(m64, 2), BATCH, CLASSES, labels, g64), F32_RTOL,
                   F32_ATOL);
        REQUIRE(il_mlp_backward(m64, g64) == IL_OK);
        REQUIRE(il__mlp_backward(m32, g32) == IL_OK);
        for (size_t l = 0, prev = N_IN; l < 3; prev = widths[l], l++) {
            const float *z = il__mlp_data(m32, l, IL__MLP_Z), *a = il__mlp_data(m32, l, IL__MLP_A);
            const float *dz = il__mlp_data(m32, l, IL__MLP_DZ);
            const float *dw = il__mlp_data(m32, l, IL__MLP_DW);
            const float *da = l == 2 ? g32 : NULL;
            for (size_t i = 0; i < BATCH * widths[l]; i++) {
                float want = l == 2 ? z[i] : (float)il_act_value(&act, (double)z[i]);
                exact_bad += memcmp(&a[i], &want, sizeof want) != 0;
                if (da) /* the output layer: dL/dz is dL/da */
                    exact_bad += memcmp(&dz[i], &da[i], sizeof *dz) != 0;
                near_bad += !(fabs((double)a[i] - il_mlp_act(m64, l)[i]) <=
                              F32_ATOL + F32_RTOL * fabs(il_mlp_act(m64, l)[i]));
            }
            for (size_t i = 0; i < prev * widths[l]; i++)
                near_bad += !(fabs((double)dw[i] - il_mlp_grad_w(m64, l)[i]) <=
                              F32_ATOL + F32_RTOL * fabs(il_mlp_grad_w(m64, l)[i]));
        }
        if (exact_bad || near_bad)
            fprintf(stderr, "  %s: %zu values not as rounded, %zu not near float64\n", specs[s],
                    exact_bad, near_bad);
        CHECK_EQ_U64(exact_bad, 0);
        CHECK_EQ_U64(near_bad, 0);
        il_mlp_free(m32);
        il_mlp_free(m64);
    }
    il_rng_free(rng);
}

static void errors(void)
{
    const size_t widths[2] = {3, 0};
    il_mlp *m = NULL;
    CHECK(il_mlp_new(2, 3, widths, 2, NULL, &m) == IL_EINVAL);
    CHECK(il_mlp_new(0, 3, widths, 1, NULL, &m) == IL_EINVAL);
    CHECK(m == NULL);
    il_mlp_free(NULL);
}

/* The fused layer pass gives what the forward pass then the statistics
 * give, to the bit: with a bias and tanh (not row-aligned pieces: 433
 * columns), below and above one statistics part (131072 values), and with
 * neither bias nor activation. */
static void fused_layer_equals_separate(void)
{
    static const size_t batches[] = {7, 300, 700};
    const size_t n_in = 19, n_out = 433;
    il_stats_config sc = {30, -1.5, 1.5, -0.99, 0.99};
    il_rng *rng = NULL;
    il_act act;
    REQUIRE(il_rng_new(il_rng_find("philox"), 5, &rng) == IL_OK);
    REQUIRE(il_act_parse("tanh", &act, NULL) == IL_OK);
    for (size_t c = 0; c < 2 * sizeof batches / sizeof batches[0]; c++) {
        size_t batch = batches[c / 2], n = batch * n_out;
        int plain = c % 2;
        double *x = malloc(batch * n_in * sizeof *x), *w = malloc(n_in * n_out * sizeof *w);
        double *b = malloc(n_out * sizeof *b), *y1 = malloc(n * sizeof *y1);
        double *y2 = malloc(n * sizeof *y2);
        il_layer_stats s1, s2;
        REQUIRE(x && w && b && y1 && y2);
        il_dist_fill_standard_normal(rng, x, batch * n_in);
        il_dist_fill_standard_normal(rng, w, n_in * n_out);
        il_dist_fill_standard_normal(rng, b, n_out);
        for (size_t i = 0; i < n_in * n_out; i++)
            w[i] *= 0.3;
        REQUIRE(il_layer_stats_init(&s1, &sc) == IL_OK);
        REQUIRE(il_layer_stats_init(&s2, &sc) == IL_OK);
        REQUIRE(il_dense_forward(x, batch, n_in, w, n_out, plain ? NULL : b, plain ? NULL : &act,
                                 y1) == IL_OK);
        il_layer_stats_add(&s1, y1, n);
        REQUIRE(il_dense_forward_measured(x, batch, n_in, w, n_out, plain ? NULL : b,
                                          plain ? NULL : &act, y2, &s2) == IL_OK);
        il_layer_stats_finish(&s1);
        il_layer_stats_finish(&s2);
        CHECK(memcmp(y1, y2, n * sizeof *y1) == 0);
        CHECK_SAME_STATS(s1, s2);
        il_layer_stats_release(&s1);
        il_layer_stats_release(&s2);
        free(x);
        free(w);
        free(b);
        free(y1);
        free(y2);
    }
    il_rng_free(rng);
}

TEST_MAIN({"gradcheck_all", gradcheck_all}, {"softmax_stable", softmax_stable},
          {"float32_follows_float64", float32_follows_float64}, {"errors", errors},
          {"fused_layer_equals_separate", fused_layer_equals_separate})
