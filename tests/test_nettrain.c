/* SPDX-License-Identifier: MIT */
/* Training any network (initlab/nettrain.h): steps against PyTorch
 * (tests/golden/dyn/dyn_golden.h, made by tests/golden/dyn/make_dyn.py),
 * dead-unit counting, the log-log slope, the schedule, muP's roles. */
#include <math.h>
#include <string.h>

#include "initlab/initlab.h"
#include "test.h"

#include "golden/dyn/dyn_golden.h"

static il_op op_of(const char *type)
{
    il_op op;
    memset(&op, 0, sizeof op);
    op.type = il_op_find(type);
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

/* make_dyn.py's networks: mlp, or res (dense, x + tanh(dense(LN(x))), dense). */
static il_net *golden_net(int res)
{
    static il_op body[2];
    il_op ops[3];
    il_tshape in = {1, {DYN_IN, 0, 0, 0}};
    il_net *n = NULL;
    if (res) {
        body[0] = op_of("layernorm");
        body[0].eps = IL_NORM_EPS;
        body[1] = dense(6);
        ops[0] = dense(6);
        ops[1] = op_of("residual");
        ops[1].body = body;
        ops[1].n_body = 2;
        ops[1].alpha = 1;
        ops[2] = dense(DYN_CLASSES);
        /* the body's tanh: a third body op */
        static il_op body3[3];
        body3[0] = body[0];
        body3[1] = body[1];
        body3[2] = act("tanh");
        ops[1].body = body3;
        ops[1].n_body = 3;
    } else {
        ops[0] = dense(5);
        ops[1] = act("relu");
        ops[2] = dense(DYN_CLASSES);
    }
    if (il_net_new(&in, ops, 3, DYN_BATCH, &n, NULL) != IL_OK)
        return NULL;
    return n;
}

/* Run make_dyn.py's five steps with 'c' and compare losses and ratios. */
static void check_steps(int res, const il_nt_optconfig *c, const double *mult, const double *loss,
                        const double *ratio)
{
    il_net *n = golden_net(res);
    const double *const *init = res ? dyn_res_init : dyn_mlp_init;
    const char *const *names = res ? dyn_res_names : dyn_mlp_names;
    il_nt_optim *o = NULL;
    double r[8], dy[DYN_BATCH * DYN_CLASSES], l;
    uint32_t t[DYN_BATCH];

    REQUIRE(n != NULL);
    size_t np = il_net_param_count(n), last = il_net_op_count(n) - 1;
    REQUIRE(np <= 8);
    for (size_t i = 0; i < np; i++) {
        CHECK_STR(il_net_param_name(n, i), names[i]);
        memcpy(il_net_param_data(n, i), init[i],
               il_tshape_size(&il_net_param(n, i, NULL)->shape) * sizeof(double));
    }
    REQUIRE(il_nt_optim_new(n, c, mult, &o, NULL) == IL_OK);
    for (size_t s = 0; s < DYN_STEPS; s++) {
        for (size_t b = 0; b < DYN_BATCH; b++)
            t[b] = dyn_y[s * DYN_BATCH + b];
        REQUIRE(il_net_forward(n, dyn_x + s * DYN_BATCH * DYN_IN) == IL_OK);
        REQUIRE(il_nt_xent(il_net_output(n, last), DYN_BATCH, DYN_CLASSES, t, &l, dy) == IL_OK);
        REQUIRE(il_net_backward(n, dy) == IL_OK);
        il_nt_optim_step(o, n, r, NULL);
        CHECK_NEAR(l, loss[s], 1e-9, 0);
        for (size_t i = 0; i < np; i++)
            CHECK_NEAR(r[i], ratio[s * np + i], 1e-9, 0);
    }
    il_nt_optim_free(o);
    il_net_free(n);
}

static void golden_steps(void)
{
    for (int res = 0; res < 2; res++) {
        il_nt_optconfig c = il_nt_optconfig_default(IL_NT_SGD, 0.1);
        double mult[8];
        c.weight_decay = 0.01;
        check_steps(res, &c, NULL, res ? dyn_res_sgd_loss : dyn_mlp_sgd_loss,
                    res ? dyn_res_sgd_ratio : dyn_mlp_sgd_ratio);
        c = il_nt_optconfig_default(IL_NT_MOMENTUM, 0.1);
        check_steps(res, &c, NULL, res ? dyn_res_momentum_loss : dyn_mlp_momentum_loss,
                    res ? dyn_res_momentum_ratio : dyn_mlp_momentum_ratio);
        c = il_nt_optconfig_default(IL_NT_ADAM, 0.01);
        c.weight_decay = 0.01;
        c.warmup = 2;
        c.decay_steps = 3;
        check_steps(res, &c, NULL, res ? dyn_res_adam_loss : dyn_mlp_adam_loss,
                    res ? dyn_res_adam_ratio : dyn_mlp_adam_ratio);
        c = il_nt_optconfig_default(IL_NT_ADAMW, 0.01);
        c.weight_decay = 0.1;
        c.clip = 0.5;
        /* make_dyn.py: the readout's group (the last two parameters) at half the rate */
        size_t np = res ? 8 : 4;
        for (size_t i = 0; i < np; i++)
            mult[i] = i + 2 >= np ? 0.5 : 1;
        check_steps(res, &c, mult, res ? dyn_res_adamw_loss : dyn_mlp_adamw_loss,
                    res ? dyn_res_adamw_ratio : dyn_mlp_adamw_ratio);
    }
}

/* 3 rows x 4 units: unit 1 zero everywhere, unit 3 zero in two rows of
 * three (alive): 1 dead unit, 5 zeros of 12. */
static void dead_units(void)
{
    const double x[] = {1, 0, 0, 0, -2, 0, 3, 0, 0.5, 0, 0, 7};
    il_nt_point_stats s;
    il_nt_measure(x, 3, 4, &s);
    CHECK_EQ_U64(s.dead, 1);
    CHECK_EQ_U64(s.units, 4);
    CHECK_NEAR(s.frac_zero, 7.0 / 12.0, 1e-15, 0);
    CHECK_NEAR(s.mean, 9.5 / 12.0, 1e-15, 0);
    CHECK_NEAR(s.l1, 13.5 / 12.0, 1e-15, 0);
    CHECK_NEAR(s.rms, sqrt(63.25 / 12.0), 1e-15, 0);
    CHECK_EQ_U64(s.nonfinite, 0);
}

/* y = 3 w^0.5 exactly: slope 0.5; y = w^-1 * 2: slope -1. */
static void slope(void)
{
    double w[] = {128, 256, 512, 1024}, y[4], z[4];
    for (size_t i = 0; i < 4; i++) {
        y[i] = 3 * sqrt(w[i]);
        z[i] = 2 / w[i];
    }
    CHECK_NEAR(il_nt_loglog_slope(w, y, 4), 0.5, 1e-12, 0);
    CHECK_NEAR(il_nt_loglog_slope(w, z, 4), -1, 1e-12, 0);
    CHECK(isnan(il_nt_loglog_slope(w, y, 1)));
    y[2] = 0;
    CHECK(isnan(il_nt_loglog_slope(w, y, 4)));
}

/* The coordinate check's growth on a case whose growth is known: a
 * width-to-width dense layer (matrix-like), one Adam step on input x of
 * +-1 with dL/dy = 1/w. Adam's first step moves every weight by lr
 * g/(|g| + eps) = lr sign(g) (to 1e-8 w relative), g_ij = dy_i x_j, so
 * the output on x moves by lr sum_j |x_j| = lr w per unit under SP
 * (slope 1) and by lr w / (w / 64) = 64 lr under muP with base 64
 * (slope 0). */
static void coord_synthetic(void)
{
    size_t widths[] = {128, 256, 512, 1024};
    double wd[4], l1[2][4];
    for (int mup = 0; mup < 2; mup++)
        for (size_t k = 0; k < 4; k++) {
            size_t w = widths[k];
            il_op op = dense(w), bop = dense(64);
            il_tshape in = {1, {w, 0, 0, 0}}, bin = {1, {64, 0, 0, 0}};
            il_net *n = NULL, *base = NULL;
            il_nt_optim *o = NULL;
            il_nt_scaling sc[1];
            double mult[1];
            op.bias = bop.bias = 0;
            REQUIRE(il_net_new(&in, &op, 1, 1, &n, NULL) == IL_OK);
            REQUIRE(il_net_new(&bin, &bop, 1, 1, &base, NULL) == IL_OK);
            REQUIRE(il_nt_scalings(n, base, mup ? IL_NT_MUP : IL_NT_SP, IL_NT_ADAM, sc, NULL) ==
                    IL_OK);
            CHECK(sc[0].role == IL_NT_HIDDEN);
            mult[0] = sc[0].lr_mult;
            double *p = il_net_param_data(n, 0);
            for (size_t j = 0; j < w * w; j++) /* a deterministic 1/sqrt(w) pattern */
                p[j] = ((double)(j * 7919 % 13) / 6.0 - 1) / sqrt((double)w);
            double *x = il_calloc(w, sizeof *x), *dy = il_calloc(w, sizeof *dy),
                   *y0 = il_calloc(w, sizeof *y0);
            REQUIRE(x && dy && y0);
            for (size_t j = 0; j < w; j++) {
                x[j] = (j % 2) ? 1 : -1;
                dy[j] = 1.0 / (double)w;
            }
            REQUIRE(il_net_forward(n, x) == IL_OK);
            memcpy(y0, il_net_output(n, 0), w * sizeof *y0);
            REQUIRE(il_net_backward(n, dy) == IL_OK);
            il_nt_optconfig c = il_nt_optconfig_default(IL_NT_ADAM, 1e-3);
            REQUIRE(il_nt_optim_new(n, &c, mult, &o, NULL) == IL_OK);
            il_nt_optim_step(o, n, NULL, NULL);
            REQUIRE(il_net_forward(n, x) == IL_OK);
            l1[mup][k] = 0;
            for (size_t j = 0; j < w; j++)
                l1[mup][k] += fabs(il_net_output(n, 0)[j] - y0[j]) / (double)w;
            wd[k] = (double)w;
            il_free(x);
            il_free(dy);
            il_free(y0);
            il_nt_optim_free(o);
            il_net_free(n);
            il_net_free(base);
        }
    CHECK_NEAR(l1[0][0], 1e-3 * 128, 1e-4, 0);
    CHECK_NEAR(l1[1][3], 1e-3 * 64, 1e-4, 0);
    CHECK_NEAR(il_nt_loglog_slope(wd, l1[0], 4), 1, 0, 1e-4);
    CHECK_NEAR(il_nt_loglog_slope(wd, l1[1], 4), 0, 0, 1e-4);
}

static void schedule(void)
{
    il_nt_optconfig c = il_nt_optconfig_default(IL_NT_SGD, 1);
    c.warmup = 4;
    c.decay_steps = 2;
    CHECK_NEAR(il_nt_schedule(&c, 0), 0.25, 0, 0);
    CHECK_NEAR(il_nt_schedule(&c, 3), 1, 0, 0);
    CHECK_NEAR(il_nt_schedule(&c, 4), 1, 0, 0);
    CHECK_NEAR(il_nt_schedule(&c, 5), 0.5, 1e-15, 0);
    CHECK_NEAR(il_nt_schedule(&c, 6), 0, 0, 0);
}

/* muP's roles and factors on the mlp (784 -> w -> w -> 10) against base 64. */
static void mup_roles(void)
{
    il_op ops[4] = {dense(256), act("relu"), dense(256), dense(10)}, bops[4];
    il_tshape in = {1, {784, 0, 0, 0}};
    il_net *n = NULL, *b = NULL;
    il_nt_scaling s[6];
    memcpy(bops, ops, sizeof ops);
    bops[0].out = bops[2].out = 64;
    REQUIRE(il_net_new(&in, ops, 4, 1, &n, NULL) == IL_OK);
    REQUIRE(il_net_new(&in, bops, 4, 1, &b, NULL) == IL_OK);
    REQUIRE(il_nt_scalings(n, b, IL_NT_MUP, IL_NT_ADAM, s, NULL) == IL_OK);
    /* layers.0.weight/bias, layers.2.weight/bias, layers.3.weight/bias */
    CHECK(s[0].role == IL_NT_INPUT && s[0].lr_mult == 1 && s[0].width_mult == 4);
    CHECK(s[1].role == IL_NT_INPUT);
    CHECK(s[2].role == IL_NT_HIDDEN && s[2].lr_mult == 0.25 && s[2].init_mult == 1);
    CHECK(s[4].role == IL_NT_OUTPUT && s[4].lr_mult == 0.25 && s[4].init_mult == 0.5);
    CHECK(s[5].role == IL_NT_SCALAR && s[5].lr_mult == 1);
    REQUIRE(il_nt_scalings(n, b, IL_NT_MUP, IL_NT_SGD, s, NULL) == IL_OK);
    CHECK(s[0].lr_mult == 4 && s[2].lr_mult == 1 && s[4].lr_mult == 0.25);
    /* a base wider than the network is refused */
    CHECK(il_nt_scalings(b, n, IL_NT_MUP, IL_NT_SGD, s, NULL) == IL_EINVAL);
    il_net_free(n);
    il_net_free(b);
}

/* Attention's score_scale (muP's 1/d scores): scores scaled by c / sqrt(dh)
 * equal the default's with the query projection scaled by c. */
static void attention_scale(void)
{
    il_op a = op_of("attention");
    il_tshape in = {2, {3, 4, 0, 0}};
    il_net *n[2] = {NULL, NULL};
    double x[2 * 3 * 4];
    const double c = 0.25;
    a.heads = 2;
    a.bias = 1;
    REQUIRE(il_net_new(&in, &a, 1, 2, &n[0], NULL) == IL_OK);
    a.score_scale = c / sqrt(2.0); /* dh = 4 / 2 */
    REQUIRE(il_net_new(&in, &a, 1, 2, &n[1], NULL) == IL_OK);
    for (size_t j = 0; j < 24; j++)
        x[j] = sin(1.0 + (double)j);
    for (int v = 0; v < 2; v++)
        for (size_t i = 0; i < il_net_param_count(n[v]); i++) {
            double *p = il_net_param_data(n[v], i);
            size_t len = il_tshape_size(&il_net_param(n[v], i, NULL)->shape);
            /* q.weight, q.bias first: scaled by c in the default network */
            for (size_t j = 0; j < len; j++)
                p[j] = cos(0.7 * (double)(j + 5 * i)) * (v == 0 && i < 2 ? c : 1);
        }
    CHECK_STR(il_net_param_name(n[0], 0), "layers.0.q.weight");
    CHECK_STR(il_net_param_name(n[0], 1), "layers.0.q.bias");
    REQUIRE(il_net_forward(n[0], x) == IL_OK);
    REQUIRE(il_net_forward(n[1], x) == IL_OK);
    for (size_t j = 0; j < 24; j++)
        CHECK_NEAR(il_net_output(n[1], 0)[j], il_net_output(n[0], 0)[j], 1e-12, 1e-14);
    il_net_free(n[0]);
    il_net_free(n[1]);
}

TEST_MAIN({"golden_steps", golden_steps}, {"dead_units", dead_units}, {"slope", slope},
          {"coord_synthetic", coord_synthetic}, {"schedule", schedule}, {"mup_roles", mup_roles},
          {"attention_scale", attention_scale})
