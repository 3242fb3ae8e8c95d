/* SPDX-License-Identifier: MIT */
/*
 * Networks of layer ops: the op table, shapes and their refusals, a
 * dense/act stack equal to the MLP to the bit (forward and backward), and
 * every gradient against central finite differences (eps 1e-6, atol 1e-5,
 * rtol 1e-3: torch's gradcheck defaults, as test_mlp.c).
 */
#include <math.h>
#include <string.h>

#include "initlab/mlp.h"
#include "initlab/net.h"
#include "net_check.h"
#include "test.h"

#define BATCH 6

static il_op dense(size_t out, int bias)
{
    il_op op;
    memset(&op, 0, sizeof op);
    op.type = il_op_find("dense");
    op.out = out;
    op.bias = bias;
    return op;
}

static il_op act(const char *name)
{
    il_op op;
    memset(&op, 0, sizeof op);
    op.type = il_op_find("act");
    il_act_parse(name, &op.act, NULL);
    return op;
}

static void table(void)
{
    CHECK(il_op_type_count() >= 3); /* dense, act, residual and the later kinds */
    for (size_t i = 0; i < il_op_type_count(); i++)
        CHECK(il_op_find(il_op_type_at(i)->name) == il_op_type_at(i));
    CHECK(il_op_find("convolution") == NULL);
    CHECK(il_op_type_at(il_op_type_count()) == NULL);
}

static void shapes(void)
{
    il_op ops[3] = {dense(8, 1), act("relu"), dense(3, 0)};
    il_tshape in = {2, {5, 4, 0, 0}}, img = {3, {3, 8, 8, 0}};
    il_net *n = NULL;
    il_error err;
    size_t op;

    /* a dense op on the last axis of (sequence, features) */
    REQUIRE(il_net_new(&in, ops, 3, BATCH, &n, &err) == IL_OK);
    CHECK_EQ_U64(il_net_shape(n, 0)->rank, 2);
    CHECK_EQ_U64(il_net_shape(n, 0)->dim[0], 5);
    CHECK_EQ_U64(il_net_shape(n, 0)->dim[1], 8);
    CHECK_EQ_U64(il_net_shape(n, 2)->dim[1], 3);
    CHECK_EQ_U64(il_net_param_count(n), 3); /* weight, bias; weight */
    CHECK_STR(il_net_param(n, 1, &op)->name, "bias");
    CHECK_EQ_U64(op, 0);
    CHECK_EQ_U64(il_net_param(n, 2, &op)->fan_in, 8);
    CHECK_EQ_U64(il_net_param(n, 2, NULL)->fan_out, 3);
    CHECK_EQ_U64(op, 2);
    CHECK(il_net_param(n, 3, NULL) == NULL);
    il_net_free(n);
    n = NULL;
    /* an image into a dense op is refused with the op's place */
    CHECK(il_net_new(&img, ops, 3, BATCH, &n, &err) == IL_ESHAPE);
    CHECK(strstr(err.message, "layers.0 (dense)") != NULL);
    CHECK(n == NULL);
    ops[2].out = 0;
    CHECK(il_net_new(&in, ops, 3, BATCH, &n, &err) == IL_ESHAPE);
    CHECK(strstr(err.message, "layers.2") != NULL);
}

/* dense/act/dense/act/dense = the MLP with acts relu, tanh, identity */
static void equals_mlp(void)
{
    const size_t widths[3] = {7, 5, 3};
    il_op ops[5] = {dense(7, 1), act("relu"), dense(5, 1), act("tanh"), dense(3, 1)};
    il_tshape in = {1, {4, 0, 0, 0}};
    il_act relu, tanh_;
    const il_act *acts[3] = {&relu, &tanh_, NULL};
    il_net *n = NULL;
    il_mlp *m = NULL;
    il_rng *rng = NULL;
    il_error err;
    double x[BATCH * 4], dy[BATCH * 3];
    static const size_t dense_op[3] = {0, 2, 4}, out_op[3] = {1, 3, 4};

    REQUIRE(il_act_parse("relu", &relu, NULL) == IL_OK);
    REQUIRE(il_act_parse("tanh", &tanh_, NULL) == IL_OK);
    REQUIRE(il_net_new(&in, ops, 5, BATCH, &n, &err) == IL_OK);
    REQUIRE(il_mlp_new(BATCH, 4, widths, 3, acts, &m) == IL_OK);
    REQUIRE(il_rng_new(il_rng_find("philox"), 3, &rng) == IL_OK);
    for (size_t l = 0, i = 0; l < 3; l++, i += 2) {
        size_t fan_in = l ? widths[l - 1] : 4;
        net_check_fill(rng, il_net_param_data(n, i), fan_in * widths[l], 0.7);
        net_check_fill(rng, il_net_param_data(n, i + 1), widths[l], 0.1);
        memcpy(il_mlp_weights(m, l), il_net_param_data(n, i), fan_in * widths[l] * sizeof(double));
        memcpy(il_mlp_bias(m, l), il_net_param_data(n, i + 1), widths[l] * sizeof(double));
    }
    net_check_fill(rng, x, BATCH * 4, 1.0);
    net_check_fill(rng, dy, BATCH * 3, 1.0);
    REQUIRE(il_net_forward(n, x) == IL_OK);
    REQUIRE(il_mlp_forward(m, x) == IL_OK);
    REQUIRE(il_net_backward(n, dy) == IL_OK);
    REQUIRE(il_mlp_backward(m, dy) == IL_OK);
    for (size_t l = 0; l < 3; l++) {
        size_t fan_in = l ? widths[l - 1] : 4;
        CHECK(memcmp(il_net_output(n, out_op[l]), il_mlp_act(m, l),
                     BATCH * widths[l] * sizeof(double)) == 0);
        CHECK(memcmp(il_net_output(n, dense_op[l]), il_mlp_pre(m, l),
                     BATCH * widths[l] * sizeof(double)) == 0);
        CHECK(memcmp(il_net_grad_output(n, dense_op[l]), il_mlp_grad_pre(m, l),
                     BATCH * widths[l] * sizeof(double)) == 0);
        CHECK(memcmp(il_net_param_grad(n, 2 * l), il_mlp_grad_w(m, l),
                     fan_in * widths[l] * sizeof(double)) == 0);
        CHECK(memcmp(il_net_param_grad(n, 2 * l + 1), il_mlp_grad_b(m, l),
                     widths[l] * sizeof(double)) == 0);
    }
    il_net_free(n);
    il_mlp_free(m);
    il_rng_free(rng);
}

/* Every parameter's and the input's gradient of a (sequence, features)
 * network with each smooth activation against central differences. */
static void gradcheck(void)
{
    static const char *const acts[] = {"tanh", "sigmoid", "gelu", "silu", "softplus"};
    il_tshape in = {2, {3, 4, 0, 0}};
    double x[BATCH * 12], w_out[BATCH * 3 * 2];

    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        il_op ops[4] = {dense(5, 1), act(acts[a]), dense(2, 1), act(acts[a])};
        il_net *n = NULL;
        il_rng *rng = NULL;
        il_error err;
        size_t bad;
        REQUIRE(il_net_new(&in, ops, 4, BATCH, &n, &err) == IL_OK);
        REQUIRE(il_rng_new(il_rng_find("philox"), 11 + a, &rng) == IL_OK);
        net_check_fill_params(n, rng, 0.6);
        net_check_fill(rng, x, sizeof x / sizeof x[0], 1.0);
        net_check_fill(rng, w_out, sizeof w_out / sizeof w_out[0], 1.0);
        bad = net_check_grads(n, x, w_out, 1);
        if (bad)
            TEST_FAIL_("%s: %zu gradients off their finite differences", acts[a], bad);
        il_net_free(n);
        il_rng_free(rng);
    }
}

static il_op residual(const il_op *body, size_t n_body, const il_op *shortcut, int has_alpha)
{
    il_op op;
    memset(&op, 0, sizeof op);
    op.type = il_op_find("residual");
    op.body = body;
    op.n_body = n_body;
    op.shortcut = shortcut;
    op.alpha = 1.0;
    op.has_alpha = has_alpha;
    return op;
}

/* Residual blocks: the nodes' order and names, the shape rules, y = x +
 * alpha * body(x) to the bit, and every gradient (alpha's, a projection
 * shortcut's, and a nested block's) against finite differences. */
static void residuals(void)
{
    il_op inner_body[2] = {dense(4, 1), act("tanh")};
    il_op inner = residual(inner_body, 2, NULL, 0);
    il_op body[3] = {dense(4, 1), act("tanh"), inner};
    il_op proj = dense(6, 0), body6[2] = {dense(6, 1), act("gelu")};
    il_op ops[3] = {residual(body, 3, NULL, 1), residual(body6, 2, &proj, 1), dense(2, 1)};
    il_tshape in = {1, {4, 0, 0, 0}};
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_error err;
    double x[BATCH * 4], w_out[BATCH * 2];
    static const char *const names[] = {"layers.0.body.0",
                                        "layers.0.body.1",
                                        "layers.0.body.2.body.0",
                                        "layers.0.body.2.body.1",
                                        "layers.0.body.2",
                                        "layers.0",
                                        "layers.1.body.0",
                                        "layers.1.body.1",
                                        "layers.1.shortcut",
                                        "layers.1",
                                        "layers.2"};

    REQUIRE(il_net_new(&in, ops, 3, BATCH, &n, &err) == IL_OK);
    REQUIRE(il_net_op_count(n) == sizeof names / sizeof names[0]);
    for (size_t k = 0; k < il_net_op_count(n); k++)
        CHECK_STR(il_net_op_name(n, k), names[k]);
    CHECK_EQ_U64(il_net_op_depth(n, 2), 2);
    CHECK_EQ_U64(il_net_shape(n, 9)->dim[0], 6);
    CHECK_STR(il_net_param_name(n, 0), "layers.0.body.0.weight");
    CHECK_STR(il_net_param_name(n, 2), "layers.0.body.2.body.0.weight");
    CHECK_STR(il_net_param_name(n, 4), "layers.0.alpha");
    CHECK(il_net_param(n, 4, NULL)->role == IL_ROLE_SCALE);
    CHECK_EQ_U64(il_net_param(n, 4, NULL)->shape.rank, 0);
    CHECK_STR(il_net_param_name(n, 7), "layers.1.shortcut.weight");
    CHECK_STR(il_net_param_name(n, 8), "layers.1.alpha");

    REQUIRE(il_rng_new(il_rng_find("philox"), 5, &rng) == IL_OK);
    net_check_fill_params(n, rng, 0.5);
    net_check_fill(rng, x, sizeof x / sizeof x[0], 1.0);
    net_check_fill(rng, w_out, sizeof w_out / sizeof w_out[0], 1.0);
    REQUIRE(il_net_forward(n, x) == IL_OK);
    {
        /* layers.0 = x + alpha * body: the same sum, term by term */
        const double *b = il_net_output(n, 4), *y = il_net_output(n, 5);
        double alpha = il_net_param_data(n, 4)[0];
        size_t same = 0;
        for (size_t i = 0; i < BATCH * 4; i++)
            same += y[i] == x[i] + alpha * b[i];
        CHECK_EQ_U64(same, BATCH * 4);
    }
    CHECK_EQ_U64(net_check_grads(n, x, w_out, 1), 0);
    il_net_free(n);
    n = NULL;

    /* a body that changes the shape needs a shortcut; a shortcut's shape must fit */
    ops[1] = residual(body6, 2, NULL, 0);
    CHECK(il_net_new(&in, ops, 3, BATCH, &n, &err) == IL_ESHAPE);
    CHECK(strstr(err.message, "layers.1 (residual)") != NULL);
    CHECK(strstr(err.message, "shortcut") != NULL);
    proj = dense(5, 0);
    ops[1] = residual(body6, 2, &proj, 0);
    CHECK(il_net_new(&in, ops, 3, BATCH, &n, &err) == IL_ESHAPE);
    CHECK(strstr(err.message, "layers.1 (residual)") != NULL);
    ops[1] = residual(body6, 0, NULL, 0);
    CHECK(il_net_new(&in, ops, 3, BATCH, &n, &err) == IL_ESHAPE);
    CHECK(strstr(err.message, "body") != NULL);
    CHECK(n == NULL);
    il_rng_free(rng);
}

TEST_MAIN({"table", table}, {"shapes", shapes}, {"equals_mlp", equals_mlp},
          {"gradcheck", gradcheck}, {"residuals", residuals})
