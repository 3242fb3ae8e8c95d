/* SPDX-License-Identifier: MIT */
/*
 * Residual networks and transformer recipes against their formulas.
 *
 * residual_*: ARCHITECTURES.md section 3.2 on resmlp:blocks=30,width=256
 * (Dense-ReLU-Dense branches, no biases, N(0, 1) inputs), simulated on
 * NETS independent networks of BATCH examples each (recipe and input drawn
 * from philox seed 1000 + net). Two statistics per case:
 *   - the branch gain g: per block, (q_out - q_in) / (alpha^2 q_branch_in)
 *     with q the per-example mean square (q_branch_in is the branch's
 *     input: the stream, or its LayerNorm under pre-LN). Given the block's
 *     input, its expectation over the block's weights is g = s1^2 s2^2 / 2
 *     exactly at finite width (2 for He-He), so the mean over blocks and
 *     examples of one network is an unbiased estimate and the networks are
 *     independent replicates;
 *   - q at block 30, the mean over examples per network, then over networks,
 *     against the closed form and against il_theory_net's prediction.
 * Tolerance: ZSE standard errors of the mean over the NETS networks (the
 * standard error estimated from their spread). With 16 replicates the
 * mean's t statistic has 15 degrees of freedom, and P(|t_15| > 5) = 1.6e-4,
 * so a correct engine fails with that chance per check at a new seed; the
 * estimated error must itself be small (below MAX_REL of the prediction),
 * so that a noisy simulation cannot pass by a wide interval. He-He with
 * alpha = 1 has no q_30 check: q_30 = prod (1 + g_l) is lognormal-like with
 * a log-sd near 0.5 (ARCHITECTURES.md: 16 nets' mean 1.3e14 against 2.06e14),
 * so its mean over 16 nets is biased low; its gain check is exact.
 *
 * transformer_recipes: every weight's stated std (il_recipe_rule) against
 * the recipe's formula to 1e-12, and the rms of its values against it to
 * 2 %: the rms of n iid draws has a relative standard error of at most
 * 1/sqrt(2n) (normal; less for uniform), 0.28 % for a 256 x 256 matrix,
 * so 2 % is over seven standard errors.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "initlab/netdesc.h"
#include "initlab/recipe.h"
#include "initlab/theory.h"
#include "test.h"

#define NETS    16
#define BATCH   64
#define BLOCKS  30
#define WIDTH   256
#define ZSE     5.0
#define MAX_REL 0.05

typedef struct sim {
    double g, g_se;   /* branch gain: mean over nets, its standard error */
    double q, q_se;   /* q at the last block */
    double q0;        /* the input's q, mean over nets */
    double theory_q;  /* il_theory_net's last node, mean over nets (q0 differs) */
    double fixup_max; /* max |x_L - x_0| (Fixup: exactly 0) */
} sim;

static double mean_sq(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i] * v[i];
    return s / (double)n;
}

static void mean_se(const double *v, size_t n, double *mean, double *se)
{
    double m = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        m += v[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - m) * (v[i] - m);
    *mean = m;
    *se = sqrt(ss / (double)(n - 1) / (double)n);
}

/* 'preset' under 'recipe': the statistics above. */
static int simulate(const char *preset, const char *recipe, sim *out)
{
    il_netdesc *d = NULL;
    il_net *n = NULL;
    il_recipe_spec r;
    il_error err;
    double g[NETS], q[NETS], th[NETS], *x = NULL, *q_pred = NULL, *pstd = NULL;
    size_t top[BLOCKS], alpha_at[BLOCKS], n_top = 0, n_alpha = 0, n_nodes, n_params;
    int ok = 0;

    memset(out, 0, sizeof *out);
    if (il_netdesc_parse(preset, &d, &err) != IL_OK || il_netdesc_build(d, BATCH, &n, &err) ||
        il_recipe_parse(recipe, &r, &err) != IL_OK) {
        TEST_FAIL_("%s / %s: %s", preset, recipe, err.message);
        goto done;
    }
    n_nodes = il_net_op_count(n);
    n_params = il_net_param_count(n);
    for (size_t k = 0; k < n_nodes; k++)
        if (il_net_op_depth(n, k) == 0 && n_top < BLOCKS)
            top[n_top++] = k;
    for (size_t i = 0; i < n_params; i++)
        if (il_net_param(n, i, NULL)->role == IL_ROLE_SCALE && n_alpha < BLOCKS)
            alpha_at[n_alpha++] = i; /* block l's alpha, in network order */
    x = il_malloc(sizeof *x * BATCH * WIDTH);
    q_pred = il_malloc(sizeof *q_pred * n_nodes);
    pstd = il_malloc(sizeof *pstd * n_params);
    if (n_top != BLOCKS || n_alpha != BLOCKS || !x || !q_pred || !pstd) {
        TEST_FAIL_("%s: %zu top-level blocks, or no memory", preset, n_top);
        goto done;
    }
    for (size_t s = 0; s < NETS; s++) {
        il_rng *rng = NULL;
        double q0 = 0, gsum = 0;
        size_t gcount = 0;
        if (il_rng_new(il_rng_find("philox"), 1000 + s, &rng) != IL_OK)
            goto done;
        il_dist_fill_standard_normal(rng, x, (size_t)BATCH * WIDTH);
        if (il_recipe_apply(&r, n, rng, &err) != IL_OK || il_net_forward(n, x) != IL_OK) {
            il_rng_free(rng);
            TEST_FAIL_("%s: %s", recipe, err.message);
            goto done;
        }
        il_rng_free(rng);
        for (size_t b = 0; b < BATCH; b++) {
            const double *prev = x + b * WIDTH;
            q0 += mean_sq(prev, WIDTH) / BATCH;
            for (size_t l = 0; l < BLOCKS; l++) {
                size_t k = top[l], first = l ? top[l - 1] + 1 : 0;
                const double *cur = il_net_output(n, k) + b * WIDTH;
                /* the branch's input: the stream, or the body's first node
                 * (its LayerNorm) under pre-LN */
                const il_op *op0 = il_net_op(n, first);
                const double *bin = strcmp(op0->type->name, "layernorm") == 0
                                        ? il_net_output(n, first) + b * WIDTH
                                        : prev;
                double alpha = il_net_param_data(n, alpha_at[l])[0];
                if (alpha != 0) {
                    gsum += (mean_sq(cur, WIDTH) - mean_sq(prev, WIDTH)) /
                            (alpha * alpha * mean_sq(bin, WIDTH));
                    gcount++;
                }
                prev = cur;
            }
            for (size_t j = 0; j < WIDTH; j++) {
                double dx = fabs(prev[j] - x[b * WIDTH + j]);
                if (dx > out->fixup_max)
                    out->fixup_max = dx;
            }
        }
        q[s] = mean_sq(il_net_output(n, top[BLOCKS - 1]), (size_t)BATCH * WIDTH);
        g[s] = gcount ? gsum / (double)gcount : 0;
        for (size_t i = 0; i < n_params; i++) {
            il_param_rule rule;
            if (il_recipe_rule(&r, n, i, &rule, &err) != IL_OK)
                goto done;
            pstd[i] = rule.kind == IL_RULE_CONSTANT ? fabs(rule.value) : rule.std;
        }
        if (il_theory_net(n, pstd, q0, q_pred, NULL) != IL_OK)
            goto done;
        th[s] = q_pred[top[BLOCKS - 1]];
        out->q0 += q0 / NETS;
    }
    mean_se(g, NETS, &out->g, &out->g_se);
    mean_se(q, NETS, &out->q, &out->q_se);
    mean_se(th, NETS, &out->theory_q, &(double){0});
    ok = 1;
done:
    il_free(x);
    il_free(q_pred);
    il_free(pstd);
    il_net_free(n);
    il_netdesc_free(d);
    return ok;
}

/* |measured - want| within ZSE standard errors, the error below MAX_REL. */
static void check_mean(const char *what, double m, double se, double want)
{
    printf("    %-34s %.6g +- %.2g (want %.6g)\n", what, m, se, want);
    if (!(fabs(m - want) <= ZSE * se) || !(se <= MAX_REL * fabs(want)))
        TEST_FAIL_("%s: %.6g +- %.3g against %.6g", what, m, se, want);
}

/* He-He, alpha = 1: g = 2, q_30 = 3^30 in expectation. */
static void residual_he(void)
{
    sim s;
    REQUIRE(simulate("resmlp:blocks=30,width=256", "he", &s));
    check_mean("he: branch gain", s.g, s.g_se, 2.0);
    /* the theory's q_30 is q0 3^30 (il_theory_net, ARCHITECTURES.md table) */
    CHECK_NEAR(s.theory_q, s.q0 * pow(3.0, 30), 1e-9, 0);
    printf("    he: q_30 mean of %d nets %.3g, theory %.3g\n", NETS, s.q, s.theory_q);
}

/* He-He, alpha = L^-1/2: q_30 = (1 + 2/30)^30 = 6.93 (q0 = 1). */
static void residual_alpha(void)
{
    sim s;
    double want;
    REQUIRE(simulate("resmlp:blocks=30,width=256", "he:alpha_pow=-0.5", &s));
    want = s.q0 * pow(1 + 2.0 / 30, 30);
    check_mean("alpha=L^-1/2: branch gain", s.g, s.g_se, 2.0);
    check_mean("alpha=L^-1/2: q_30", s.q, s.q_se, want);
    CHECK_NEAR(s.theory_q, want, 1e-9, 0);
}

/* Fixup: each branch ends in a zero matrix, so every block is the identity. */
static void residual_fixup(void)
{
    sim s;
    REQUIRE(simulate("resmlp:blocks=30,width=256", "fixup", &s));
    CHECK(s.fixup_max == 0);
    CHECK_NEAR(s.q, s.q0, 1e-15, 0);
    CHECK_NEAR(s.theory_q, s.q0, 1e-12, 0);
}

/* Pre-LN, He-He: q_30 = q0 + 2 L s (s = var/(var + eps) ~ 1): 61;
 * with alpha = L^-1/2 (the same as the second dense x 1/sqrt(L), see
 * docs/architectures.md): q0 + 2 = 3. */
static void residual_preln(void)
{
    sim s;
    REQUIRE(simulate("resmlp:blocks=30,width=256,norm=pre", "he", &s));
    check_mean("pre-LN: branch gain", s.g, s.g_se, 2.0);
    check_mean("pre-LN: q_30", s.q, s.q_se, s.q0 + 60);
    CHECK_NEAR(s.theory_q, s.q0 + 60, 1e-3, 0); /* s = 1 - O(1e-5) */
    REQUIRE(simulate("resmlp:blocks=30,width=256,norm=pre", "he:alpha_pow=-0.5", &s));
    check_mean("pre-LN, alpha=L^-1/2: branch gain", s.g, s.g_se, 2.0);
    check_mean("pre-LN, alpha=L^-1/2: q_30", s.q, s.q_se, s.q0 + 2);
    CHECK_NEAR(s.theory_q, s.q0 + 2, 1e-3, 0);
}

/* ---- recipes on the transformer preset (12 layers, d_model 256) ---- */

#define TF_LAYERS 12
#define TF_D      256

/* The formula for parameter 'name' (a weight) of 'recipe'; NAN: skip. */
static double tf_formula(const char *recipe, const char *name)
{
    unsigned r = 0;
    char rest[64] = "";
    int attn, proj, qk;
    double xav_dd = sqrt(2.0 / (TF_D + TF_D)), xav_mlp = sqrt(2.0 / (TF_D + 4 * TF_D));
    double xav, n = TF_LAYERS;

    if (sscanf(name, "layers.%u.body.%63s", &r, rest) != 2 || strstr(rest, "weight") == NULL ||
        strcmp(rest, "0.weight") == 0)
        return (double)NAN; /* norms: ones, checked by test_recipe */
    attn = r % 2 == 0;      /* residual 2l: attention; 2l + 1: the MLP */
    qk = attn && (strcmp(rest, "1.q.weight") == 0 || strcmp(rest, "1.k.weight") == 0);
    /* the residual projections: attention's o, the MLP's second dense */
    proj = attn ? strcmp(rest, "1.o.weight") == 0 : strcmp(rest, "3.weight") == 0;
    xav = attn ? xav_dd : xav_mlp;
    if (strcmp(recipe, "gpt2") == 0) /* nanoGPT: 0.02, c_proj 0.02/sqrt(2 n_layer) */
        return proj ? 0.02 / sqrt(2 * n) : 0.02;
    if (strcmp(recipe, "depth_init") == 0) /* torchtitan: 0.02/sqrt(2 (layer_id + 1)) */
        return proj ? 0.02 / sqrt(2.0 * (r / 2 + 1)) : 0.02;
    if (strcmp(recipe, "t_fixup") == 0) /* encoder: v, o, MLP x 0.67 N^-1/4 */
        return qk ? xav : xav * 0.67 * pow(n, -0.25);
    if (strcmp(recipe, "t_fixup_causal") == 0) /* decoder: (9N)^-1/4 */
        return qk ? xav : xav * pow(9 * n, -0.25);
    if (strcmp(recipe, "deepnorm") == 0) /* encoder-only beta = (8N)^-1/4 */
        return qk ? xav : xav * pow(8 * n, -0.25);
    return (double)NAN;
}

static double rms(il_net *n, size_t i)
{
    const il_param_desc *p = il_net_param(n, i, NULL);
    return sqrt(mean_sq(il_net_param_data(n, i), il_tshape_size(&p->shape)));
}

static void check_tf(const char *preset, const char *recipe, const char *formula)
{
    il_netdesc *d = NULL;
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_recipe_spec r;
    il_error err;
    size_t checked = 0;

    REQUIRE(il_netdesc_parse(preset, &d, &err) == IL_OK);
    REQUIRE(il_netdesc_build(d, 1, &n, &err) == IL_OK);
    REQUIRE(il_recipe_parse(recipe, &r, &err) == IL_OK);
    REQUIRE(il_rng_new(il_rng_find("philox"), 5, &rng) == IL_OK);
    REQUIRE(il_recipe_apply(&r, n, rng, &err) == IL_OK);
    for (size_t i = 0; i < il_net_param_count(n); i++) {
        const char *name = il_net_param_name(n, i);
        double want = tf_formula(formula, name);
        il_param_rule rule;
        if (isnan(want))
            continue;
        REQUIRE(il_recipe_rule(&r, n, i, &rule, &err) == IL_OK);
        if (!(fabs(rule.std - want) <= 1e-12 * want))
            TEST_FAIL_("%s %s: stated std %.17g, formula %.17g", recipe, name, rule.std, want);
        if (!(fabs(rms(n, i) - want) <= 0.02 * want))
            TEST_FAIL_("%s %s: rms %.6g, formula %.6g", recipe, name, rms(n, i), want);
        checked++;
    }
    /* per layer: q, k, v, o and the MLP's two weights */
    CHECK_EQ_U64(checked, 6 * TF_LAYERS);
    il_rng_free(rng);
    il_net_free(n);
    il_netdesc_free(d);
}

static void transformer_recipes(void)
{
    const char *tf = "transformer:layers=12,d_model=256,heads=4,seq=4";
    check_tf(tf, "gpt2", "gpt2");
    check_tf(tf, "depth_init", "depth_init");
    check_tf(tf, "t_fixup", "t_fixup");
    check_tf("transformer:layers=12,d_model=256,heads=4,seq=4,causal=1", "t_fixup",
             "t_fixup_causal");
    check_tf(tf, "deepnorm", "deepnorm");
    /* 0.02/sqrt(24), the number ARCHITECTURES.md 2.3 gives for n_layer 12 */
    CHECK_NEAR(tf_formula("gpt2", "layers.0.body.1.o.weight"), 0.0040825, 1e-4, 0);
}

/* Preset sizes out of range are refused before any conversion to size_t
 * (fuzz_netdesc found resmlp:blocks=-3 converting -3 to size_t, undefined;
 * fuzz/regressions/netdesc/negative-blocks; the asan preset's UBSan traps it). */
static void preset_ranges(void)
{
    const char *bad[] = {"resmlp:blocks=-3", "resmlp:width=-1e300", "transformer:layers=1e300",
                         "mlp:depth=0.5", "resmlp:blocks=nan"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        il_netdesc *d = NULL;
        il_error err;
        il_status st = il_netdesc_parse(bad[i], &d, &err);
        if (st == IL_OK)
            TEST_FAIL_("%s: accepted", bad[i]);
        CHECK(d == NULL);
        il_netdesc_free(d);
    }
}

/* A preset stops where the JSON reader stops (100000 ops, bodies
 * included), so whatever a preset gives writes JSON that reads back:
 * mlp:depth=50001 once wrote 100002 ops that from_json refused, and
 * mlp:depth=16777216 asked for 33 million ops before any check. 50000
 * residual blocks (a residual and its three body ops each) are 200000
 * ops: refused too. */
static void preset_limit(void)
{
    const char *ok = "mlp:depth=50000",
               *bad[] = {"mlp:depth=50001", "mlp:depth=16777216", "resmlp:blocks=50000"};
    il_netdesc *d = NULL, *d2 = NULL;
    il_error err;
    char *json;

    REQUIRE(il_netdesc_parse(ok, &d, &err) == IL_OK);
    json = il_netdesc_to_json(d);
    REQUIRE(json != NULL);
    CHECK(il_netdesc_from_json(json, strlen(json), &d2, &err) == IL_OK);
    il_free(json);
    il_netdesc_free(d2);
    il_netdesc_free(d);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        d = NULL;
        CHECK_EQ_INT(il_netdesc_parse(bad[i], &d, &err), IL_ELIMIT);
        CHECK(d == NULL);
        CHECK(strstr(err.message, "more than 100000 layers") != NULL);
    }
}

TEST_MAIN({"preset_ranges", preset_ranges}, {"preset_limit", preset_limit},
          {"residual_he", residual_he}, {"residual_alpha", residual_alpha},
          {"residual_fixup", residual_fixup}, {"residual_preln", residual_preln},
          {"transformer_recipes", transformer_recipes})
