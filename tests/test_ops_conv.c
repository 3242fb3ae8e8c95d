/* SPDX-License-Identifier: MIT */
/*
 * The convolutional layer ops (conv2d, avgpool, maxpool, global_avgpool,
 * flatten, embedding): their shapes, parameters and refusals, every
 * gradient against central finite differences (net_check.h: torch's
 * gradcheck tolerances), and forward and backward against PyTorch's
 * float64 layers (tests/golden/ops/make_conv.py, whose cases the tables
 * below repeat in the same order).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/io.h"
#include "initlab/net.h"
#include "net_check.h"
#include "test.h"

/* Golden agreement: initlab and torch sum the same float64 products in
 * different orders (im2col and dgemm here, torch's CPU kernels there). The largest
 * sum here is conv_chunks' dL/dW, 13 examples x 42 positions = 546 terms,
 * whose reordering moves a result by at most about 546 x 2^-53 ~ 6e-14 of
 * the terms' magnitude; 1e-12 of the array's largest value leaves room for
 * that, while a wrong tap, stride, group or winner moves values by O(1). */
#define GOLDEN_RTOL 1e-12

/* Room for the inputs, outputs and parameters of the finite-difference
 * and backward-contract cases (the largest, conv2d in chunks: 13 x 3 x 42 = 1638) */
#define CASE_MAX 2048

static il_op op_of(const char *type)
{
    il_op op;
    memset(&op, 0, sizeof op);
    op.type = il_op_find(type);
    return op;
}

static il_op conv(size_t out, size_t k, size_t s, size_t p, size_t d, size_t g, int bias)
{
    il_op op = op_of("conv2d");
    op.out = out;
    op.kernel = k;
    op.stride = s;
    op.padding = p;
    op.dilation = d;
    op.groups = g;
    op.bias = bias;
    return op;
}

static il_op pool(const char *type, size_t k, size_t s, size_t p)
{
    il_op op = op_of(type);
    op.kernel = k;
    op.stride = s;
    op.padding = p;
    return op;
}

static il_op embedding(size_t vocab, size_t dim)
{
    il_op op = op_of("embedding");
    op.vocab = vocab;
    op.out = dim;
    return op;
}

static il_tshape image(size_t c, size_t h, size_t w)
{
    return (il_tshape){3, {c, h, w, 0}};
}

static void table(void)
{
    static const char *const names[] = {"conv2d",         "avgpool", "maxpool",
                                        "global_avgpool", "flatten", "embedding"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const il_op_type *t = il_op_find(names[i]);
        REQUIRE(t != NULL);
        CHECK_STR(t->name, names[i]);
        CHECK(t->forward != NULL && t->backward != NULL);
    }
}

/* il_net_new of one op on 'in': the status, and the message in 'err' */
static il_status new1(const il_tshape *in, il_op op, il_error *err)
{
    il_net *n = NULL;
    il_status st = il_net_new(in, &op, 1, 2, &n, err);
    il_net_free(n);
    return st;
}

#define REFUSED(in, op, text)                                                                      \
    do {                                                                                           \
        il_tshape in_ = (in);                                                                      \
        il_error e_;                                                                               \
        memset(&e_, 0, sizeof e_);                                                                 \
        CHECK(new1(&in_, (op), &e_) != IL_OK);                                                     \
        if (strstr(e_.message, (text)) == NULL)                                                    \
            TEST_FAIL_("message '%s' lacks '%s'", e_.message, (text));                             \
    } while (0)

static void shapes(void)
{
    il_op ops[3] = {conv(6, 3, 2, 1, 1, 2, 1), pool("maxpool", 3, 2, 1), op_of("flatten")};
    il_tshape in = image(4, 9, 7), feat = {1, {5, 0, 0, 0}}, seq = {2, {3, 4, 0, 0}};
    il_net *n = NULL;
    il_error err;
    const il_saved_desc *s;

    REQUIRE(il_net_new(&in, ops, 3, 2, &n, &err) == IL_OK);
    /* (9 + 2 - 2 - 1) / 2 + 1 = 5 and (7 + 2 - 3) / 2 + 1 = 4; the pool
     * (5 + 2 - 3) / 2 + 1 = 3, (4 + 2 - 3) / 2 + 1 = 2 (conv.py's formula) */
    CHECK_EQ_U64(il_net_shape(n, 0)->dim[0], 6);
    CHECK_EQ_U64(il_net_shape(n, 0)->dim[1], 5);
    CHECK_EQ_U64(il_net_shape(n, 0)->dim[2], 4);
    CHECK_EQ_U64(il_net_shape(n, 1)->dim[1], 3);
    CHECK_EQ_U64(il_net_shape(n, 1)->dim[2], 2);
    CHECK_EQ_U64(il_net_shape(n, 2)->rank, 1);
    CHECK_EQ_U64(il_net_shape(n, 2)->dim[0], 6 * 3 * 2);
    CHECK_EQ_U64(il_net_param_count(n), 2);
    CHECK_STR(il_net_param_name(n, 0), "layers.0.weight");
    CHECK_STR(il_net_param_name(n, 1), "layers.0.bias");
    CHECK(il_net_param(n, 0, NULL)->role == IL_ROLE_WEIGHT);
    CHECK(il_net_param(n, 1, NULL)->role == IL_ROLE_BIAS);
    CHECK_EQ_U64(il_net_param(n, 0, NULL)->shape.rank, 4);
    CHECK_EQ_U64(il_net_param(n, 0, NULL)->shape.dim[0], 6);
    CHECK_EQ_U64(il_net_param(n, 0, NULL)->shape.dim[1], 2);
    CHECK_EQ_U64(il_net_param(n, 0, NULL)->shape.dim[3], 3);
    /* the bias's bound is the weight's fan_in (conv.py reset_parameters) */
    CHECK_EQ_U64(il_net_param(n, 1, NULL)->fan_in, 2 * 3 * 3);
    REQUIRE(il_net_saved_count(n, 1) == 1);
    s = il_net_saved(n, 1, 0, NULL);
    CHECK_STR(s->name, "argmax");
    CHECK(s->per_example && !s->point);
    CHECK_EQ_U64(il_tshape_size(&s->shape), 6 * 3 * 2);
    il_net_free(n);

    /* the refusals, each naming the key at fault */
    REFUSED(image(1, 4, 4), conv(2, 5, 1, 0, 1, 1, 0),
            "layers.0 (conv2d): \"kernel\" 5 is larger than the padded input 4 (height)");
    REFUSED(image(1, 8, 2), conv(2, 3, 1, 0, 1, 1, 0), "larger than the padded input 2 (width)");
    CHECK(new1(&(il_tshape){3, {1, 4, 1, 0}}, conv(2, 3, 1, 1, 1, 1, 0), &err) == IL_OK);
    REFUSED(image(1, 4, 4), conv(2, 3, 1, 0, 2, 1, 0),
            "\"kernel\" 3 with \"dilation\" 2 spans 5, larger than the padded input 4");
    REFUSED(image(3, 4, 4), conv(2, 1, 1, 0, 1, 2, 0),
            "\"groups\" 2 must divide the input channels 3");
    REFUSED(image(4, 4, 4), conv(3, 1, 1, 0, 1, 2, 0),
            "\"groups\" 2 must divide the output (\"out\") channels 3");
    REFUSED(image(4, 4, 4), conv(0, 1, 1, 0, 1, 1, 0), "\"out\" must be at least 1");
    REFUSED(image(4, 4, 4), conv(2, 0, 1, 0, 1, 1, 0), "\"kernel\" must be at least 1");
    REFUSED(feat, conv(2, 1, 1, 0, 1, 1, 0), "conv2d takes (channels, height, width) inputs");
    REFUSED(image(1, 8, 8), pool("maxpool", 3, 0, 2),
            "\"padding\" 2 is more than half the \"kernel\" 3");
    REFUSED(image(1, 3, 8), pool("avgpool", 5, 0, 0),
            "\"kernel\" 5 is larger than the padded input 3 (height)");
    REFUSED(image(1, 3, 8), pool("avgpool", 0, 0, 0), "\"kernel\" must be at least 1");
    REFUSED(seq, op_of("global_avgpool"), "global_avgpool takes (channels, height, width)");
    REFUSED(seq, embedding(5, 3), "embedding takes (tokens) inputs");
    REFUSED(feat, embedding(0, 3), "\"vocab\" must be at least 1");
    REFUSED(feat, embedding(5, 0), "\"dim\" must be at least 1");

    /* flatten takes any rank; an embedding (tokens) -> (tokens, dim) */
    {
        il_op fl = op_of("flatten"), em = embedding(7, 4);
        REQUIRE(il_net_new(&seq, &fl, 1, 2, &n, &err) == IL_OK);
        CHECK_EQ_U64(il_net_shape(n, 0)->dim[0], 12);
        il_net_free(n);
        REQUIRE(il_net_new(&feat, &em, 1, 2, &n, &err) == IL_OK);
        CHECK_EQ_U64(il_net_shape(n, 0)->rank, 2);
        CHECK_EQ_U64(il_net_shape(n, 0)->dim[1], 4);
        CHECK(il_net_param(n, 0, NULL)->role == IL_ROLE_EMBEDDING);
        CHECK_EQ_U64(il_net_param(n, 0, NULL)->shape.dim[0], 7);
        /* _calculate_fan_in_and_fan_out((7, 4)): size(1), size(0) */
        CHECK_EQ_U64(il_net_param(n, 0, NULL)->fan_in, 4);
        CHECK_EQ_U64(il_net_param(n, 0, NULL)->fan_out, 7);
        il_net_free(n);
    }
}

/* One network's gradients against finite differences: parameters and
 * input drawn as N(0, 0.5^2) and N(0, 1) from philox seed 'seed'. */
static void fd_case(const char *what, const il_tshape *in, const il_op *ops, size_t n_ops,
                    size_t batch, uint64_t seed)
{
    static double x[CASE_MAX], w_out[CASE_MAX];
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_error err;
    size_t n_x = batch * il_tshape_size(in), n_y, bad;

    if (il_net_new(in, ops, n_ops, batch, &n, &err) != IL_OK) {
        TEST_FAIL_("%s: %s", what, err.message);
        return;
    }
    n_y = net_check_out_size(n);
    if (n_x <= CASE_MAX && n_y <= CASE_MAX &&
        il_rng_new(il_rng_find("philox"), seed, &rng) == IL_OK) {
        net_check_fill_params(n, rng, 0.5);
        net_check_fill(rng, x, n_x, 1.0);
        net_check_fill(rng, w_out, n_y, 1.0);
        bad = net_check_grads(n, x, w_out, 1);
        if (bad)
            TEST_FAIL_("%s: %zu gradients off their finite differences", what, bad);
    } else {
        TEST_FAIL_("%s: more than CASE_MAX values", what);
    }
    il_net_free(n);
    il_rng_free(rng);
}

static void gradcheck_conv(void)
{
    il_tshape in = image(4, 7, 6);
    il_op c[] = {
        conv(3, 3, 1, 0, 1, 1, 1), /* plain */
        conv(4, 3, 2, 1, 1, 1, 1), /* stride 2, padding 1 */
        conv(2, 3, 1, 2, 2, 1, 0), /* dilation 2 */
        conv(6, 3, 2, 1, 1, 2, 1), /* groups 2 */
        conv(4, 2, 3, 1, 1, 4, 1), /* depthwise, kernel 2, stride 3 */
        conv(2, 1, 2, 0, 1, 1, 0), /* a 1x1 projection */
    };
    char what[32];

    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        snprintf(what, sizeof what, "conv2d #%zu", i);
        fd_case(what, &in, &c[i], 1, 3, 100 + i);
    }
    /* 42 output positions: 13 examples make chunks of 12 and 1 */
    {
        il_tshape small = image(2, 7, 6);
        il_op op = conv(3, 3, 1, 1, 1, 1, 1);
        fd_case("conv2d in chunks", &small, &op, 1, 13, 120);
    }
}

static void gradcheck_pool(void)
{
    il_tshape in = image(3, 6, 7);
    il_op p[] = {pool("avgpool", 2, 0, 0), pool("avgpool", 3, 2, 1), pool("maxpool", 2, 0, 0),
                 pool("maxpool", 3, 2, 1), pool("maxpool", 3, 1, 1), op_of("global_avgpool"),
                 op_of("flatten")};
    char what[32];

    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        snprintf(what, sizeof what, "%s #%zu", p[i].type->name, i);
        fd_case(what, &in, &p[i], 1, 2, 200 + i);
    }
    /* a small CNN of them all: conv, tanh, maxpool, conv, avgpool, flatten, dense */
    {
        il_op net[7] = {conv(4, 3, 1, 1, 1, 2, 1),
                        op_of("act"),
                        pool("maxpool", 2, 0, 0),
                        conv(4, 3, 1, 2, 2, 1, 0),
                        pool("avgpool", 2, 0, 0),
                        op_of("flatten"),
                        op_of("dense")};
        il_tshape img = image(2, 8, 9);
        REQUIRE(il_act_parse("tanh", &net[1].act, NULL) == IL_OK);
        net[6].out = 3;
        net[6].bias = 1;
        fd_case("conv-pool stack", &img, net, 7, 3, 300);
    }
}

/* Embedding: the table's gradient against finite differences, the ids'
 * gradient zero, and ids outside [0, vocab) or not whole refused. */
static void embedding_ids(void)
{
    il_tshape in = {1, {5, 0, 0, 0}};
    il_op op = embedding(7, 4);
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_error err;
    double x[2 * 5] = {0, 6, 3, 3, 1, 2, 6, 0, 0, 5}, w_out[2 * 5 * 4];
    static const double bad_ids[] = {7, -1, 2.5, (double)NAN, 1e300};
    size_t zero = 0;

    REQUIRE(il_net_new(&in, &op, 1, 2, &n, &err) == IL_OK);
    REQUIRE(il_rng_new(il_rng_find("philox"), 400, &rng) == IL_OK);
    net_check_fill_params(n, rng, 1.0);
    net_check_fill(rng, w_out, sizeof w_out / sizeof w_out[0], 1.0);
    CHECK_EQ_U64(net_check_grads(n, x, w_out, 0), 0);
    for (size_t i = 0; i < 10; i++)
        zero += il_net_grad_input(n)[i] == 0.0;
    CHECK_EQ_U64(zero, 10);
    /* row 4 is no token's: its gradient is zero */
    for (size_t j = 0; j < 4; j++)
        CHECK(il_net_param_grad(n, 0)[(size_t)4 * 4 + j] == 0.0);
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        x[7] = bad_ids[i];
        CHECK(il_net_forward(n, x) == IL_EINVAL);
    }
    il_net_free(n);
    il_rng_free(rng);
}

/* An op's backward called as the network calls it but with dx NULL (not
 * wanted) and every dparam full of NaN must give the network's parameter
 * gradients to the bit: each dparam is overwritten whole, by every chunk
 * and group. The input is drawn N(0, 1), or is 'ids' when given. */
static void contract_case(const il_tshape *in, il_op op, size_t batch, const double *ids,
                          uint64_t seed)
{
    static double x[CASE_MAX], w_out[CASE_MAX], grad[IL_OP_MAX_PARAMS][CASE_MAX];
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_error err;
    il_op_io io;
    double *params[IL_OP_MAX_PARAMS], *grads[IL_OP_MAX_PARAMS], *saved[IL_OP_MAX_SAVED];
    size_t np, same = 0, n_x = batch * il_tshape_size(in), n_y;

    REQUIRE(il_net_new(in, &op, 1, batch, &n, &err) == IL_OK);
    n_y = net_check_out_size(n);
    np = il_net_param_count(n);
    if (n_x > CASE_MAX || n_y > CASE_MAX ||
        il_rng_new(il_rng_find("philox"), seed, &rng) != IL_OK) {
        TEST_FAIL_("%s: more than CASE_MAX values", op.type->name);
        il_net_free(n);
        return;
    }
    net_check_fill_params(n, rng, 0.7);
    net_check_fill(rng, x, n_x, 1.0);
    if (ids)
        memcpy(x, ids, n_x * sizeof *x);
    net_check_fill(rng, w_out, n_y, 1.0);
    CHECK(il_net_forward(n, x) == IL_OK && il_net_backward(n, w_out) == IL_OK);
    memset(&io, 0, sizeof io);
    io.batch = batch;
    io.in = *in;
    io.out = *il_net_shape(n, 0);
    io.x = x;
    io.y = (double *)il_net_output(n, 0);
    io.dy = w_out;
    for (size_t i = 0; i < np; i++) {
        params[i] = il_net_param_data(n, i);
        grads[i] = grad[i];
        for (size_t j = 0; j < CASE_MAX; j++)
            grad[i][j] = (double)NAN;
    }
    for (size_t j = 0; j < il_net_saved_count(n, 0); j++) {
        const double *d;
        il_net_saved(n, 0, j, &d);
        saved[j] = (double *)d;
    }
    io.params = params;
    io.saved = saved;
    io.dparams = grads;
    CHECK(op.type->backward(&op, &io) == IL_OK);
    for (size_t i = 0; i < np; i++) {
        size_t sz = il_tshape_size(&il_net_param(n, i, NULL)->shape);
        same +=
            sz <= CASE_MAX && memcmp(grad[i], il_net_param_grad(n, i), sz * sizeof(double)) == 0;
    }
    if (same != np)
        TEST_FAIL_("%s: %zu of %zu parameter gradients differ", op.type->name, np - same, np);
    il_net_free(n);
    il_rng_free(rng);
}

static void backward_contract(void)
{
    il_tshape img = image(4, 7, 6), small = image(2, 7, 6), tokens = {1, {5, 0, 0, 0}};
    static const double ids[2 * 5] = {0, 6, 3, 3, 1, 2, 6, 0, 0, 5};

    contract_case(&img, conv(6, 3, 2, 1, 1, 2, 1), 3, NULL, 500);
    /* 13 examples of 42 output positions: chunks of 12 and 1 */
    contract_case(&small, conv(3, 3, 1, 1, 1, 1, 1), 13, NULL, 501);
    contract_case(&img, pool("maxpool", 3, 2, 1), 2, NULL, 502);
    contract_case(&img, pool("avgpool", 2, 0, 0), 2, NULL, 503);
    contract_case(&img, op_of("global_avgpool"), 2, NULL, 504);
    contract_case(&img, op_of("flatten"), 2, NULL, 505);
    contract_case(&tokens, embedding(7, 4), 2, ids, 506);
}

/* ---- against PyTorch ---- */

static int load(const char *name, const char *part, il_array *a)
{
    char path[512];
    il_error err;
    snprintf(path, sizeof path, "%s/ops/conv/%s_%s.npy", IL_GOLDEN_DIR, name, part);
    if (il_npy_load(path, 1 << 24, a, &err) != IL_OK) {
        TEST_FAIL_("%s: %s", path, err.message);
        return 0;
    }
    return 1;
}

/* 'got' (n values) against the golden NAME_PART, to GOLDEN_RTOL of its largest value */
static void check_golden(const char *name, const char *part, const double *got, size_t n)
{
    il_array want;
    double scale = 0, worst = 0;

    if (!load(name, part, &want))
        return;
    if (want.numel != n) {
        TEST_FAIL_("%s_%s: %zu values, not %zu", name, part, want.numel, n);
        il_array_release(&want);
        return;
    }
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(want.data[i]));
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(got[i] - want.data[i]));
    if (!(worst <= GOLDEN_RTOL * scale))
        TEST_FAIL_("%s_%s: off by %g of %g", name, part, worst, scale);
    il_array_release(&want);
}

/* One case of make_conv.py: its input, parameters and w_out loaded, then
 * y, dL/dx and every dL/dparam against torch's. Backward runs twice: the
 * second must overwrite the first's gradients, not add to them. */
static void golden_case(const char *name, const il_tshape *in, il_op op, size_t batch)
{
    static const char *const parts[2] = {"w", "b"};
    il_array x, wout, p;
    il_net *n = NULL;
    il_error err;
    size_t n_y, n_params;

    memset(&err, 0, sizeof err);
    if (!load(name, "x", &x))
        return;
    if (!load(name, "wout", &wout)) {
        il_array_release(&x);
        return;
    }
    if (il_net_new(in, &op, 1, batch, &n, &err) != IL_OK) {
        TEST_FAIL_("%s: %s", name, err.message);
        goto done;
    }
    n_y = net_check_out_size(n);
    n_params = il_net_param_count(n);
    if (x.numel != batch * il_tshape_size(in) || wout.numel != n_y || n_params > 2) {
        TEST_FAIL_("%s: the golden's shapes differ from the op's", name);
        goto done;
    }
    for (size_t i = 0; i < n_params; i++) {
        size_t size = il_tshape_size(&il_net_param(n, i, NULL)->shape);
        if (!load(name, parts[i], &p))
            goto done;
        if (p.numel == size)
            memcpy(il_net_param_data(n, i), p.data, size * sizeof(double));
        else
            TEST_FAIL_("%s_%s: %zu values, not %zu", name, parts[i], p.numel, size);
        il_array_release(&p);
    }
    if (op.type == il_op_find("conv2d") && load(name, "fans", &p)) {
        CHECK(p.numel == 2 && p.data[0] == (double)il_net_param(n, 0, NULL)->fan_in &&
              p.data[1] == (double)il_net_param(n, 0, NULL)->fan_out);
        il_array_release(&p);
    }
    for (int pass = 0; pass < 2; pass++) {
        if (il_net_forward(n, x.data) != IL_OK || il_net_backward(n, wout.data) != IL_OK) {
            TEST_FAIL_("%s: a pass failed", name);
            goto done;
        }
    }
    check_golden(name, "y", il_net_output(n, 0), n_y);
    if (op.type != il_op_find("embedding"))
        check_golden(name, "dx", il_net_grad_input(n), x.numel);
    for (size_t i = 0; i < n_params; i++) {
        char part[8];
        snprintf(part, sizeof part, "d%s", parts[i]);
        check_golden(name, part, il_net_param_grad(n, i),
                     il_tshape_size(&il_net_param(n, i, NULL)->shape));
    }
done:
    il_net_free(n);
    il_array_release(&x);
    il_array_release(&wout);
}

static void golden(void)
{
    /* make_conv.py's CONV: batch, (C, H, W), out, kernel, stride, padding, dilation, groups, bias
     */
    golden_case("conv_s2p1g2", &(il_tshape){3, {4, 7, 6, 0}}, conv(6, 3, 2, 1, 1, 2, 1), 3);
    golden_case("conv_d2p2", &(il_tshape){3, {3, 8, 5, 0}}, conv(4, 3, 1, 2, 2, 1, 0), 2);
    golden_case("conv_k1s2", &(il_tshape){3, {4, 6, 6, 0}}, conv(2, 1, 2, 0, 1, 1, 1), 2);
    golden_case("conv_chunks", &(il_tshape){3, {2, 7, 6, 0}}, conv(3, 3, 1, 1, 1, 1, 1), 13);
    golden_case("conv_depthwise", &(il_tshape){3, {4, 9, 7, 0}}, conv(4, 2, 3, 0, 1, 4, 1), 2);
    /* POOL: type, batch, (C, H, W), kernel, stride, padding */
    golden_case("avgpool_k2", &(il_tshape){3, {3, 6, 7, 0}}, pool("avgpool", 2, 2, 0), 2);
    golden_case("avgpool_k3s2p1", &(il_tshape){3, {2, 7, 6, 0}}, pool("avgpool", 3, 2, 1), 2);
    golden_case("maxpool_k2", &(il_tshape){3, {3, 6, 7, 0}}, pool("maxpool", 2, 2, 0), 2);
    golden_case("maxpool_k3s2p1", &(il_tshape){3, {2, 7, 6, 0}}, pool("maxpool", 3, 2, 1), 2);
    golden_case("global_avgpool", &(il_tshape){3, {4, 5, 6, 0}}, op_of("global_avgpool"), 3);
    golden_case("flatten", &(il_tshape){3, {2, 3, 2, 0}}, op_of("flatten"), 2);
    /* EMBEDDING: batch, tokens, vocab, dim */
    golden_case("embedding", &(il_tshape){1, {5, 0, 0, 0}}, embedding(7, 4), 3);
}

TEST_MAIN({"table", table}, {"shapes", shapes}, {"gradcheck_conv", gradcheck_conv},
          {"gradcheck_pool", gradcheck_pool}, {"embedding_ids", embedding_ids},
          {"backward_contract", backward_contract}, {"golden", golden})
