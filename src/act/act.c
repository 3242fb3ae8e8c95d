/* SPDX-License-Identifier: MIT */
/*
 * The activation table. Each row: value, derivative, array form and gain.
 *
 * sigmoid: the lecture's 1 / (1 + exp(-x)) wherever exp(-x) is finite, so
 * values match numpy's; below -708 (where exp(-x) would overflow and raise
 * FE_OVERFLOW) the equivalent exp(x) / (1 + exp(x)).
 * Gains are torch.nn.init.calculate_gain's where torch has one; for the
 * others, the gain that keeps the second moment, 1 / sqrt(E[f(z)^2]) for
 * z ~ N(0, 1) (the same derivation gives relu's sqrt(2)), by quadrature.
 * Each function is written to be exact at the extremes without raising
 * FE_OVERFLOW or FE_INVALID, and NaN propagates through value and derivative.
 */
#include <math.h>
#include <string.h>

#include "initlab/act.h"
#include "internal/spec_impl.h"

#define SQRT_2_OVER_PI 0.79788456080286535588 /* sqrt(2/pi) */
#define INV_SQRT_2PI   0.39894228040143267794 /* 1/sqrt(2 pi) */
#define GELU_TANH_C    0.044715
#define SELU_LAMBDA    1.0507009873554804934193349852946 /* Klambauer et al. 2017 */
/* lambda * alpha = 1.0507009873554804934 * 1.6732632423543772848, rounded once */
#define SELU_LAMBDA_ALPHA 1.7580993408473768599402175208123

/* exp(709.78) is the largest finite double; below this, use the other form. */
#define SIGMOID_SWITCH (-708.0)

/* ---- identity ---- */
static double identity_value(const il_value *p, double x)
{
    (void)p;
    return x;
}
static double identity_deriv(const il_value *p, double x)
{
    (void)p;
    return isnan(x) ? x : 1.0;
}
static void identity_apply(const il_value *p, double *x, size_t n)
{
    (void)p;
    (void)x;
    (void)n;
}
static double gain_one(const il_value *p)
{
    (void)p;
    return 1.0;
}

/* ---- sigmoid ---- */
static double sigmoid_value(const il_value *p, double x)
{
    (void)p;
    if (x >= SIGMOID_SWITCH)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}
static double sigmoid_deriv(const il_value *p, double x)
{
    double s = sigmoid_value(p, x);
    return s * (1.0 - s);
}
static void sigmoid_apply(const il_value *p, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = sigmoid_value(p, x[i]);
}

/* ---- tanh ---- */
static double tanh_value(const il_value *p, double x)
{
    (void)p;
    return tanh(x);
}
static double tanh_deriv(const il_value *p, double x)
{
    (void)p;
    double t = tanh(x);
    return 1.0 - t * t;
}
static void tanh_apply(const il_value *p, double *x, size_t n)
{
    (void)p;
    for (size_t i = 0; i < n; i++)
        x[i] = tanh(x[i]);
}
static double tanh_gain(const il_value *p)
{
    (void)p;
    return 5.0 / 3.0;
}

/* ---- relu ---- */
static double relu_value(const il_value *p, double x)
{
    (void)p;
    /* np.maximum(0, x): NaN propagates, -0.0 becomes 0. */
    return isnan(x) ? x : (x > 0.0 ? x : 0.0);
}
static double relu_deriv(const il_value *p, double x)
{
    (void)p;
    /* The subgradient at 0 is taken as 0, as torch does. */
    return isnan(x) ? x : (x > 0.0 ? 1.0 : 0.0);
}
static void relu_apply(const il_value *p, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = relu_value(p, x[i]);
}
static double relu_gain(const il_value *p)
{
    (void)p;
    return sqrt(2.0);
}

/* ---- the derived gain: 1 / sqrt(E[f(z)^2]), z ~ N(0, 1) ---- */

/* Composite Simpson's rule for E[f(z)^2] on [-12, 12] with 4800 intervals:
 * the Gaussian weight beyond 12 is below 1e-32, and the node at 0 keeps
 * kinks (relu, leaky, hardtanh) on a node; the tests check the result
 * against closed forms (relu 1/2, identity 1) to 1e-12. */
static double second_moment(const il_act_type *t, const il_value *p)
{
    const int n = 4800;
    const double lo = -12.0, h = 24.0 / n;
    double sum = 0.0;
    for (int i = 0; i <= n; i++) {
        double z = lo + h * i, f = t->value(p, z);
        double w = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        sum += w * f * f * exp(-z * z / 2) * INV_SQRT_2PI;
    }
    return sum * h / 3.0;
}

/* ---- leaky_relu(a) ---- */
static double leaky_value(const il_value *p, double x)
{
    if (x > 0.0 || isnan(x))
        return x;
    return p[0].number == 0.0 ? 0.0 : p[0].number * x; /* 0 * -inf would be NaN */
}
static double leaky_deriv(const il_value *p, double x)
{
    return isnan(x) ? x : (x > 0.0 ? 1.0 : p[0].number);
}
static double leaky_gain(const il_value *p)
{
    return sqrt(2.0 / (1 + p[0].number * p[0].number)); /* torch */
}

/* ---- elu(alpha) ---- */
static double elu_value(const il_value *p, double x)
{
    return x > 0.0 ? x : p[0].number * expm1(x);
}
static double elu_deriv(const il_value *p, double x)
{
    return isnan(x) ? x : (x > 0.0 ? 1.0 : p[0].number * exp(x));
}

/* ---- selu ---- */
static double selu_value(const il_value *p, double x)
{
    (void)p;
    return x > 0.0 ? SELU_LAMBDA * x : SELU_LAMBDA_ALPHA * expm1(x);
}
static double selu_deriv(const il_value *p, double x)
{
    (void)p;
    return isnan(x) ? x : (x > 0.0 ? SELU_LAMBDA : SELU_LAMBDA_ALPHA * exp(x));
}
static double selu_gain(const il_value *p)
{
    (void)p;
    return 3.0 / 4; /* torch, empirical (PR #50664) */
}

/* ---- gelu(approximate = none | tanh) ---- */

/* erfc(-x / sqrt(2)) with the argument's rounding corrected. In the left
 * tail erfc(t) falls like exp(-t^2), so the one rounding of t = -x/sqrt(2)
 * alone costs about 2 t^2 ulp (1700 ulp at x = -37). t is carried as
 * t0 + dt (1/sqrt(2) in two parts, the product's error from fma), and
 * erfc(t0 + dt) = erfc(t0) (1 - dt (2/sqrt(pi)) exp(-t0^2) / erfc(t0)),
 * the ratio from its asymptotic series where both parts underflow. */
static double erfc_scaled_arg(double x)
{
    const double hi = 0.70710678118654757, lo = -4.8336466567264567e-17; /* 1/sqrt(2) */
    double t0 = -x * hi, dt = fma(-x, hi, -t0) + (-x * lo), e = erfc(t0), ratio;
    if (e == 0.0 || dt == 0.0)
        return e;
    if (t0 > 5.0) {
        double u =
            1.0 / (2.0 * t0 * t0); /* exp(-t^2) / erfc(t) = sqrt(pi) t / (1 - u + 3u^2 - ...) */
        ratio = 1.7724538509055160273 * t0 / (1.0 - u + 3.0 * u * u - 15.0 * u * u * u);
    } else {
        ratio = exp(-t0 * t0) / e;
    }
    return e * (1.0 - dt * 1.1283791670955125739 * ratio);
}
static const char *const gelu_modes[] = {"none", "tanh", NULL};

static double gelu_value(const il_value *p, double x)
{
    if (isinf(x))
        return x > 0 ? x : -0.0;
    if (p[0].choice == 1) {
        double u = SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x);
        return 0.5 * x * (1.0 + tanh(u));
    }
    return 0.5 * x * erfc_scaled_arg(x);
}
static double gelu_deriv(const il_value *p, double x)
{
    if (isnan(x))
        return x;
    if (isinf(x))
        return x > 0 ? 1.0 : 0.0;
    if (p[0].choice == 1) {
        double x2 = x * x, u = SQRT_2_OVER_PI * (x + GELU_TANH_C * x2 * x), t = tanh(u);
        return 0.5 * (1.0 + t) +
               0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * x2);
    }
    return 0.5 * erfc_scaled_arg(x) + x * exp(-x * x / 2) * INV_SQRT_2PI;
}

/* ---- silu (swish) ---- */
static double silu_value(const il_value *p, double x)
{
    if (isinf(x))
        return x > 0 ? x : -0.0;
    return x * sigmoid_value(p, x);
}
static double silu_deriv(const il_value *p, double x)
{
    double s;
    if (isinf(x))
        return x > 0 ? 1.0 : 0.0;
    s = sigmoid_value(p, x);
    return s * (1.0 + x * (1.0 - s));
}

/* ---- softplus(beta, threshold): torch's, linear above the threshold ---- */
static double softplus_value(const il_value *p, double x)
{
    double b = p[0].number, bx = b * x;
    if (bx > p[1].number)
        return x;
    /* log(1 + e^bx) = max(bx, 0) + log1p(e^-|bx|): exact for both tails */
    return (fmax(bx, 0.0) + log1p(exp(-fabs(bx)))) / b;
}
static double softplus_deriv(const il_value *p, double x)
{
    double bx = p[0].number * x;
    if (isnan(x))
        return x;
    return bx > p[1].number ? 1.0 : sigmoid_value(NULL, bx);
}

/* ---- mish: x tanh(softplus(x)) ---- */
static double plain_softplus(double x)
{
    return fmax(x, 0.0) + log1p(exp(-fabs(x)));
}
static double mish_value(const il_value *p, double x)
{
    (void)p;
    if (isinf(x))
        return x > 0 ? x : -0.0;
    return x * tanh(plain_softplus(x));
}
static double mish_deriv(const il_value *p, double x)
{
    double t;
    (void)p;
    if (isinf(x))
        return x > 0 ? 1.0 : 0.0;
    t = tanh(plain_softplus(x));
    return t + x * (1.0 - t * t) * sigmoid_value(NULL, x);
}

/* ---- hardtanh(min_val, max_val) ---- */
static double hardtanh_value(const il_value *p, double x)
{
    return x < p[0].number ? p[0].number : (x > p[1].number ? p[1].number : x);
}
static double hardtanh_deriv(const il_value *p, double x)
{
    return isnan(x) ? x : (x > p[0].number && x < p[1].number ? 1.0 : 0.0);
}

/* ---- softsign: x / (1 + |x|) ---- */
static double softsign_value(const il_value *p, double x)
{
    (void)p;
    return isinf(x) ? copysign(1.0, x) : x / (1.0 + fabs(x));
}
static double softsign_deriv(const il_value *p, double x)
{
    double d = 1.0 + fabs(x);
    (void)p;
    return isnan(x) ? x : 1.0 / (d * d);
}

static const il_param leaky_params[] = {
    {"a", IL_PARAM_NUMBER, 0.01, 0, NULL, "negative slope (torch's negative_slope)", 0},
};
static const il_param elu_params[] = {
    {"alpha", IL_PARAM_NUMBER, 1.0, 0, NULL, "value approached for x -> -inf is -alpha", 0},
};
static const il_param gelu_params[] = {
    {"approximate", IL_PARAM_CHOICE, 0.0, 0, gelu_modes, "none (erf) or tanh", 0},
};
static const il_param softplus_params[] = {
    {"beta", IL_PARAM_NUMBER, 1.0, 0, NULL, "sharpness (> 0)", 0},
    {"threshold", IL_PARAM_NUMBER, 20.0, 0, NULL, "linear above beta * x > threshold", 0},
};
static const il_param hardtanh_params[] = {
    {"min_val", IL_PARAM_NUMBER, -1.0, 0, NULL, "lower clamp", 0},
    {"max_val", IL_PARAM_NUMBER, 1.0, 0, NULL, "upper clamp (> min_val)", 0},
};

#define NPARAMS(a) (sizeof(a) / sizeof((a)[0]))

static const il_act_type act_table[] = {
    {"identity", "x", NULL, 0, identity_value, identity_deriv, identity_apply, gain_one,
     "calculate_gain('linear') = 1", -3.0, 3.0},
    {"sigmoid", "1 / (1 + exp(-x))", NULL, 0, sigmoid_value, sigmoid_deriv, sigmoid_apply, gain_one,
     "calculate_gain('sigmoid') = 1", 0.0, 1.0},
    {"tanh", "tanh(x)", NULL, 0, tanh_value, tanh_deriv, tanh_apply, tanh_gain,
     "calculate_gain('tanh') = 5/3", -1.0, 1.0},
    {"relu", "max(0, x)", NULL, 0, relu_value, relu_deriv, relu_apply, relu_gain,
     "calculate_gain('relu') = sqrt(2); He et al. 2015", 0.0, 3.0},
    {"leaky_relu", "x if x > 0 else a x", leaky_params, NPARAMS(leaky_params), leaky_value,
     leaky_deriv, NULL, leaky_gain, "calculate_gain('leaky_relu', a) = sqrt(2 / (1 + a^2))", -1.0,
     3.0},
    {"elu", "x if x > 0 else alpha (e^x - 1)", elu_params, NPARAMS(elu_params), elu_value,
     elu_deriv, NULL, NULL, "1 / sqrt(E[elu(z)^2]) (derived); Clevert et al. 2016", -1.5, 3.0},
    {"selu", "lambda (x if x > 0 else alpha (e^x - 1)), alpha 1.6733, lambda 1.0507", NULL, 0,
     selu_value, selu_deriv, NULL, selu_gain,
     "calculate_gain('selu') = 3/4 (empirical); Klambauer et al. 2017", -2.0, 3.0},
    {"gelu", "x Phi(x) (approximate=tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))))",
     gelu_params, NPARAMS(gelu_params), gelu_value, gelu_deriv, NULL, NULL,
     "1 / sqrt(E[gelu(z)^2]) (derived); Hendrycks & Gimpel 2016", -1.0, 3.0},
    {"silu", "x sigmoid(x) (swish)", NULL, 0, silu_value, silu_deriv, NULL, NULL,
     "1 / sqrt(E[silu(z)^2]) (derived); Ramachandran et al. 2017", -1.0, 3.0},
    {"softplus", "log(1 + e^(beta x)) / beta, x when beta x > threshold", softplus_params,
     NPARAMS(softplus_params), softplus_value, softplus_deriv, NULL, NULL,
     "1 / sqrt(E[softplus(z)^2]) (derived)", 0.0, 4.0},
    {"mish", "x tanh(softplus(x))", NULL, 0, mish_value, mish_deriv, NULL, NULL,
     "1 / sqrt(E[mish(z)^2]) (derived); Misra 2019", -1.0, 3.0},
    {"hardtanh", "min(max(x, min_val), max_val)", hardtanh_params, NPARAMS(hardtanh_params),
     hardtanh_value, hardtanh_deriv, NULL, NULL, "1 / sqrt(E[hardtanh(z)^2]) (derived)", -1.0, 1.0},
    {"softsign", "x / (1 + |x|)", NULL, 0, softsign_value, softsign_deriv, NULL, NULL,
     "1 / sqrt(E[softsign(z)^2]) (derived)", -1.0, 1.0},
};

#define TABLE_LEN (sizeof act_table / sizeof act_table[0])

const il_act_type *il_act_find(const char *name)
{
    for (size_t i = 0; i < TABLE_LEN; i++)
        if (strcmp(act_table[i].name, name) == 0)
            return &act_table[i];
    return NULL;
}

size_t il_act_type_count(void)
{
    return TABLE_LEN;
}

const il_act_type *il_act_type_at(size_t i)
{
    return i < TABLE_LEN ? &act_table[i] : NULL;
}

size_t il_act_format(const il_act *a, char *buf, size_t cap)
{
    return il__spec_format(a->type->name, a->type->params, a->type->n_params, a->values, buf, cap);
}

il_status il_act_parse(const char *spec, il_act *out, il_error *err)
{
    il__spec sp;
    il_act a;
    il_status st;

    st = il__spec_split(spec, "activation", &sp, err);
    if (st != IL_OK)
        return st;
    memset(&a, 0, sizeof a);
    a.type = il_act_find(sp.name);
    if (!a.type) {
        const char *names[TABLE_LEN];
        for (size_t i = 0; i < TABLE_LEN; i++)
            names[i] = act_table[i].name;
        il__unknown_name(err, "activation", sp.name, names, TABLE_LEN);
        return IL_ENOTFOUND;
    }
    st = il__spec_bind(&sp, a.type->params, a.type->n_params, a.values, err);
    if (st != IL_OK)
        return st;
    if (strcmp(a.type->name, "softplus") == 0 && !(a.values[0].number > 0.0)) {
        il__set_error(err, "softplus: beta must be > 0, got %g", a.values[0].number);
        return IL_EINVAL;
    }
    if (strcmp(a.type->name, "hardtanh") == 0 && !(a.values[0].number < a.values[1].number)) {
        il__set_error(err, "hardtanh: min_val must be less than max_val");
        return IL_EINVAL;
    }
    *out = a;
    return IL_OK;
}

double il_act_value(const il_act *a, double x)
{
    return a->type->value(a->values, x);
}

double il_act_deriv(const il_act *a, double x)
{
    return a->type->deriv(a->values, x);
}

double il_act_gain(const il_act *a)
{
    if (a->type->gain)
        return a->type->gain(a->values);
    return 1.0 / sqrt(second_moment(a->type, a->values));
}

void il_act_apply(const il_act *a, double *x, size_t n)
{
    if (a->type->apply) {
        a->type->apply(a->values, x, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = a->type->value(a->values, x[i]);
}
