/* SPDX-License-Identifier: MIT */
/* Activations: exact limits without FP exceptions, NaN, derivatives. */
#include <fenv.h>

#include "initlab/act.h"
#include "test.h"

static il_act get(const char *spec)
{
    il_act a;
    memset(&a, 0, sizeof a);
    if (il_act_parse(spec, &a, NULL) != IL_OK)
        a.type = NULL;
    return a;
}

/* RELIABILITY.md row 28: the extremes, with no overflow or invalid flag. */
static void limits_no_fp_exceptions(void)
{
    static const double xs[] = {-1000, -745, -710, -709, -708, -40, 0, 40, 710, 1000};
    il_act s = get("sigmoid"), t = get("tanh"), r = get("relu");
    REQUIRE(s.type && t.type && r.type);
    feclearexcept(FE_ALL_EXCEPT);
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double v = il_act_value(&s, xs[i]);
        CHECK(v >= 0.0 && v <= 1.0);
        (void)il_act_deriv(&s, xs[i]);
        (void)il_act_value(&t, xs[i]);
        (void)il_act_deriv(&t, xs[i]);
        (void)il_act_value(&r, xs[i]);
    }
    CHECK(!fetestexcept(FE_OVERFLOW | FE_INVALID | FE_DIVBYZERO));
    CHECK_BITS(il_act_value(&s, -1000), 0.0);
    CHECK_BITS(il_act_value(&s, 1000), 1.0);
    CHECK_BITS(il_act_value(&s, 710), 1.0);
    CHECK_BITS(il_act_value(&s, 0), 0.5);
    /* exp(-745) is the smallest subnormal; the sigmoid is that value. */
    CHECK(il_act_value(&s, -745) > 0.0 && il_act_value(&s, -745) < 1e-320);
    CHECK_BITS(il_act_value(&t, 1000), 1.0);
    CHECK_BITS(il_act_value(&t, -1000), -1.0);
    CHECK_BITS(il_act_value(&s, (double)INFINITY), 1.0);
    CHECK_BITS(il_act_value(&s, -(double)INFINITY), 0.0);
}

/* The lecture's 1 / (1 + np.exp(-x)) is kept wherever exp(-x) is finite,
 * so the values equal numpy's sigmoid for those x. */
static void sigmoid_matches_lecture_form(void)
{
    il_act s = get("sigmoid");
    REQUIRE(s.type);
    for (double x = -700; x <= 700; x += 0.37) {
        double want = 1 / (1 + exp(-x));
        CHECK_BITS(il_act_value(&s, x), want);
    }
}

static void nan_propagates(void)
{
    const char *names[] = {"identity", "sigmoid", "tanh", "relu"};
    for (size_t i = 0; i < 4; i++) {
        il_act a = get(names[i]);
        REQUIRE(a.type);
        CHECK(isnan(il_act_value(&a, (double)NAN)));
        CHECK(isnan(il_act_deriv(&a, (double)NAN)));
    }
}

static void relu_exact(void)
{
    il_act r = get("relu");
    double x[5] = {-0.0, -3.5, 0.0, 2.385, (double)INFINITY};
    REQUIRE(r.type);
    il_act_apply(&r, x, 5);
    CHECK_BITS(x[0], 0.0); /* np.maximum(0, -0.0) is 0.0 */
    CHECK_BITS(x[1], 0.0);
    CHECK_BITS(x[2], 0.0);
    CHECK_BITS(x[3], 2.385);
    CHECK(isinf(x[4]));
}

/* Central differences, double precision (RELIABILITY.md row 29): away from
 * relu's kink, the derivative agrees to 1e-7 relative. */
static void derivatives(void)
{
    const char *names[] = {"identity", "sigmoid", "tanh", "relu"};
    for (size_t i = 0; i < 4; i++) {
        il_act a = get(names[i]);
        REQUIRE(a.type);
        for (double x = -6.1; x <= 6.1; x += 0.173) {
            double h = 1e-6;
            double num = (il_act_value(&a, x + h) - il_act_value(&a, x - h)) / (2 * h);
            CHECK_NEAR(il_act_deriv(&a, x), num, 1e-7, 1e-9);
        }
    }
}

static void apply_equals_value(void)
{
    for (size_t i = 0; i < il_act_type_count(); i++) {
        il_act a;
        double x[64], y[64];
        REQUIRE(il_act_parse(il_act_type_at(i)->name, &a, NULL) == IL_OK);
        for (int k = 0; k < 64; k++)
            x[k] = y[k] = -20.0 + 0.6321 * k;
        il_act_apply(&a, y, 64);
        for (int k = 0; k < 64; k++)
            CHECK_BITS(y[k], il_act_value(&a, x[k]));
    }
}

/* torch.nn.init.calculate_gain values (test_init.py pins). */
static void gains(void)
{
    il_act a;
    a = get("identity");
    CHECK_BITS(il_act_gain(&a), 1.0);
    a = get("sigmoid");
    CHECK_BITS(il_act_gain(&a), 1.0);
    a = get("tanh");
    CHECK_BITS(il_act_gain(&a), 1.6666666666666667);
    a = get("relu");
    CHECK_BITS(il_act_gain(&a), 1.4142135623730951);
}

static void parse_errors(void)
{
    il_act a;
    il_error err;
    CHECK(il_act_parse("sigmiod", &a, &err) == IL_ENOTFOUND);
    CHECK_CONTAINS(err.message, "did you mean 'sigmoid'?");
    CHECK(il_act_parse("relu:a=1", &a, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "takes no parameters");
}

TEST_MAIN({"limits_no_fp_exceptions", limits_no_fp_exceptions},
          {"sigmoid_matches_lecture_form", sigmoid_matches_lecture_form},
          {"nan_propagates", nan_propagates}, {"relu_exact", relu_exact},
          {"derivatives", derivatives}, {"apply_equals_value", apply_equals_value},
          {"gains", gains}, {"parse_errors", parse_errors})
