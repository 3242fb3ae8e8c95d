/* SPDX-License-Identifier: MIT */
/*
 * Mean-field maps by Gauss-Hermite quadrature (Poole et al. 2016;
 * Schoenholz et al. 2017).
 *
 * Nodes and weights come from the Golub-Welsch method: the eigenvalues of
 * the Jacobi matrix of the probabilists' Hermite polynomials (zero
 * diagonal, sqrt(k) off it) are the nodes, and the squared first components
 * of the eigenvectors the weights, for the N(0, 1) measure directly
 * (LAPACK dstev). The default order's table is made once per process
 * (pthread_once) and never changes afterwards.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/theory.h"

void dstev_(const char *jobz, const int *n, double *d, double *e, double *z, const int *ldz,
            double *work, int *info);

#define MAX_ORDER 200

typedef struct gh_rule {
    int n;
    double x[MAX_ORDER], w[MAX_ORDER];
} gh_rule;

static int make_rule(int n, gh_rule *r)
{
    double d[MAX_ORDER], e[MAX_ORDER], work[2 * MAX_ORDER];
    double *z = il_malloc_n((size_t)n * (size_t)n, sizeof *z);
    int info = 0;

    if (!z)
        return 0;
    for (int i = 0; i < n; i++) {
        d[i] = 0.0;
        e[i] = sqrt((double)(i + 1));
    }
    dstev_("V", &n, d, e, z, &n, work, &info);
    if (info == 0) {
        r->n = n;
        for (int i = 0; i < n; i++) {
            r->x[i] = d[i];
            r->w[i] = z[(size_t)i * (size_t)n] * z[(size_t)i * (size_t)n];
        }
    }
    il_free(z);
    return info == 0;
}

static gh_rule default_rule;
static int default_ok;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void make_default(void)
{
    default_ok = make_rule(IL_THEORY_GH_ORDER, &default_rule);
}

double il_theory_gauss(double (*g)(void *ctx, double x), void *ctx, double q, int order)
{
    gh_rule local;
    const gh_rule *r = &local;
    double s = 0.0, sq = sqrt(q);

    if (order == IL_THEORY_GH_ORDER) {
        pthread_once(&default_once, make_default);
        if (!default_ok)
            return (double)NAN;
        r = &default_rule;
    } else if (order < 2 || order > MAX_ORDER || !make_rule(order, &local)) {
        return (double)NAN;
    }
    for (int i = 0; i < r->n; i++)
        s += r->w[i] * g(ctx, sq * r->x[i]);
    return s;
}

/* ---- one-dimensional expectations: adaptive Simpson ----
 *
 * E_z[g(sqrt(q) z)] = integral of g(sqrt(q) z) phi(z) dz. A fixed
 * Gauss-Hermite rule cannot resolve g's features once q is large (tanh'^2
 * at q = 100 lives within |z| < 0.1, between the nodes: the chi1 of tanh
 * came out as 0.64 instead of about 6 at sigma_w2 = 100), nor kinks such
 * as leaky_relu's. So the integral is split at 0, +-1/sqrt(q),
 * +-10/sqrt(q) and +-1 (where g's and the Gaussian's features are) and
 * each piece is integrated by adaptive Simpson to 1e-13. */

typedef struct integrand {
    double (*g)(void *ctx, double x);
    void *ctx;
    double sq;
} integrand;

static double h_eval(const integrand *I, double z)
{
    return I->g(I->ctx, I->sq * z) * exp(-z * z / 2) * 0.39894228040143267794;
}

static double simpson_rec(const integrand *I, double a, double b, double fa, double fm, double fb,
                          double whole, double eps, int depth)
{
    double m = 0.5 * (a + b), lm = 0.5 * (a + m), rm = 0.5 * (m + b);
    double flm = h_eval(I, lm), frm = h_eval(I, rm);
    double left = (m - a) / 6 * (fa + 4 * flm + fm), right = (b - m) / 6 * (fm + 4 * frm + fb);
    double diff = left + right - whole;
    if (depth <= 0 || fabs(diff) <= 15 * eps)
        return left + right + diff / 15;
    return simpson_rec(I, a, m, fa, flm, fm, left, eps / 2, depth - 1) +
           simpson_rec(I, m, b, fm, frm, fb, right, eps / 2, depth - 1);
}

static int cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double expect_tol(double (*g)(void *ctx, double x), void *ctx, double q, double tol)
{
    integrand I = {g, ctx, sqrt(q)};
    double cuts[11], total = 0;
    int n = 0;

    if (q == 0)
        return g(ctx, 0.0);
    cuts[n++] = -12;
    cuts[n++] = 12;
    cuts[n++] = 0;
    cuts[n++] = -1;
    cuts[n++] = 1;
    {
        double k1 = 1 / I.sq, k10 = 10 / I.sq;
        if (k1 < 12) {
            cuts[n++] = -k1;
            cuts[n++] = k1;
        }
        if (k10 < 12) {
            cuts[n++] = -k10;
            cuts[n++] = k10;
        }
    }
    qsort(cuts, (size_t)n, sizeof cuts[0], cmp_d);
    for (int i = 0; i + 1 < n; i++) {
        double a = cuts[i], b = cuts[i + 1], fa, fb, fm, whole;
        if (b - a <= 0)
            continue;
        fa = h_eval(&I, a);
        fb = h_eval(&I, b);
        fm = h_eval(&I, 0.5 * (a + b));
        whole = (b - a) / 6 * (fa + 4 * fm + fb);
        /* relative tolerance: the integrand may be of any magnitude */
        total += simpson_rec(&I, a, b, fa, fm, fb, whole, tol * fmax(1e-300, fabs(whole)), 40);
    }
    return total;
}

static double expect(double (*g)(void *ctx, double x), void *ctx, double q)
{
    return expect_tol(g, ctx, q, 1e-13);
}

/* ---- the activation's expectations ---- */

typedef enum {
    KIND_IDENTITY,
    KIND_RELU,
    KIND_OTHER
} act_kind;

static act_kind kind_of(const il_act *act)
{
    if (strcmp(act->type->name, "identity") == 0)
        return KIND_IDENTITY;
    if (strcmp(act->type->name, "relu") == 0)
        return KIND_RELU;
    return KIND_OTHER;
}

static double f_sq(void *ctx, double x)
{
    double v = il_act_value(ctx, x);
    return v * v;
}

/* The even part of f: the same expectation under the symmetric Gaussian,
 * and exactly 0 for an odd f (tanh, erf, softsign), where integrating f
 * itself leaves rounding noise of 1e-17 instead. */
static double f_val(void *ctx, double x)
{
    return 0.5 * (il_act_value(ctx, x) + il_act_value(ctx, -x));
}

static double df_sq(void *ctx, double x)
{
    double d = il_act_deriv(ctx, x);
    return d * d;
}

double il_theory_second_moment(const il_act *act, double q)
{
    switch (kind_of(act)) {
    case KIND_IDENTITY:
        return q;
    case KIND_RELU:
        return q / 2; /* half of a centred normal's second moment */
    default:
        return expect(f_sq, (void *)act, q);
    }
}

double il_theory_mean(const il_act *act, double q)
{
    switch (kind_of(act)) {
    case KIND_IDENTITY:
        return 0.0;
    case KIND_RELU:
        return sqrt(q / (2 * 3.14159265358979323846)); /* E[max(0, s z)] = s / sqrt(2 pi) */
    default:
        return expect(f_val, (void *)act, q);
    }
}

static double deriv_second_moment(const il_act *act, double q)
{
    switch (kind_of(act)) {
    case KIND_IDENTITY:
        return 1.0;
    case KIND_RELU:
        return 0.5;
    default:
        return expect(df_sq, (void *)act, q);
    }
}

double il_theory_qmap(const il_act *act, double sigma_w2, double sigma_b2, double q)
{
    return sigma_w2 * il_theory_second_moment(act, q) + sigma_b2;
}

/* E[f(u1) f(u2)] (or f' with 'deriv') for correlation c at length q, by a
 * product rule of the default order. */
static double pair_expectation(const il_act *act, double q, double c, int deriv)
{
    double s = 0.0, sq = sqrt(q), cc = c > 1 ? 1 : (c < -1 ? -1 : c), sc = sqrt(1 - cc * cc);
    if (kind_of(act) == KIND_IDENTITY)
        return deriv ? 1.0 : q * cc;
    if (kind_of(act) == KIND_RELU) {
        /* the arc-cosine kernel (Cho & Saul 2009) */
        double theta = acos(cc), pi = 3.14159265358979323846;
        return deriv ? (pi - theta) / (2 * pi) : q / (2 * pi) * (sc + (pi - theta) * cc);
    }
    pthread_once(&default_once, make_default);
    if (!default_ok)
        return (double)NAN;
    for (int i = 0; i < default_rule.n; i++) {
        double u1 = sq * default_rule.x[i];
        double f1 = deriv ? il_act_deriv(act, u1) : il_act_value(act, u1), inner = 0.0;
        if (default_rule.w[i] < 1e-300)
            continue;
        for (int j = 0; j < default_rule.n; j++) {
            double u2 = sq * (cc * default_rule.x[i] + sc * default_rule.x[j]);
            inner += default_rule.w[j] * (deriv ? il_act_deriv(act, u2) : il_act_value(act, u2));
        }
        s += default_rule.w[i] * f1 * inner;
    }
    return s;
}

/* The length map's fixed point, iterated from q1; INFINITY if it runs away.
 * With no bias and f(0) = 0, q = 0 is a fixed point that the map may only
 * approach like 1/l (tanh at sigma_w2 = 1): still creeping down when the
 * iterations end means that is where it goes. */
/* E[f(sqrt(q) z)^2] (E[f'^2] with 'deriv') to a relative 1e-9 instead of
 * 1e-13: about ten times fewer evaluations, for the searches (fixed point,
 * edge of chaos) that call it thousands of times. Gauss-Hermite would be
 * cheaper still but misses f' when sqrt(q) is large and f' is a narrow
 * peak at 0 (tanh at sigma_w2 = 1000). */
static double moment_fast(const il_act *act, double q, int deriv)
{
    if (kind_of(act) != KIND_OTHER)
        return deriv ? deriv_second_moment(act, q) : il_theory_second_moment(act, q);
    return expect_tol(deriv ? df_sq : f_sq, (void *)act, q, 1e-9);
}

static double q_fixed(const il_act *act, double sigma_w2, double sigma_b2, double q1, double tol)
{
    double q = q1;
    for (int it = 0; it < 3000; it++) {
        double next = sigma_w2 * moment_fast(act, q, 0) + sigma_b2;
        if (!isfinite(next) || next > 1e300)
            return (double)INFINITY;
        if (fabs(next - q) <= tol * fmax(1e-3, fabs(q)))
            return next;
        q = next;
    }
    if (sigma_b2 == 0 && il_act_value(act, 0.0) == 0 && q < 1e-2)
        return 0.0;
    return q;
}

il_status il_theory_fixed(const il_act *act, double sigma_w2, double sigma_b2, double input_q,
                          il_theory *out)
{
    double q1, qs, chi1, c, h;

    if (!(sigma_w2 >= 0) || !(sigma_b2 >= 0) || !(input_q >= 0) || !isfinite(sigma_w2) ||
        !isfinite(sigma_b2) || !isfinite(input_q))
        return IL_EINVAL;
    q1 = sigma_w2 * input_q + sigma_b2;
    qs = q_fixed(act, sigma_w2, sigma_b2, q1, 1e-14);
    /* polish the search's 1e-9 with the full-accuracy map */
    for (int it = 0; it < 50 && isfinite(qs) && qs > 0; it++) {
        double next = il_theory_qmap(act, sigma_w2, sigma_b2, qs);
        int done = fabs(next - qs) <= 1e-14 * qs;
        qs = next;
        if (done)
            break;
    }
    out->q_star = qs;
    if (!isfinite(qs) || qs <= 0) {
        /* no finite, non-zero fixed point: the maps at q* are undefined */
        out->chi1 = out->c_star = out->xi_q = out->xi_c = (double)NAN;
        if (qs == 0) {
            /* at q* = 0 both maps' slopes are sigma_w2 f'(0)^2 = chi1 */
            double rate = sigma_w2 * il_act_deriv(act, 0.0) * il_act_deriv(act, 0.0);
            out->chi1 = rate;
            out->c_star = 1.0;
            out->xi_q = out->xi_c =
                rate > 0 && rate < 1 - 1e-9 ? -1.0 / log(rate) : (double)INFINITY;
        }
        return IL_OK;
    }
    chi1 = sigma_w2 * deriv_second_moment(act, qs);
    out->chi1 = chi1;
    /* xi_q from the slope of the length map at q* (central difference) */
    h = 1e-4 * qs;
    {
        double slope = (il_theory_qmap(act, sigma_w2, sigma_b2, qs + h) -
                        il_theory_qmap(act, sigma_w2, sigma_b2, qs - h)) /
                       (2 * h);
        double a = fabs(slope);
        /* at a rate of 1 (up to the difference's own error) the scale is infinite */
        out->xi_q = a > 0 && a < 1 - 1e-9 ? -1.0 / log(a) : (double)INFINITY;
    }
    /* the correlation map's stable fixed point: 1 in the ordered phase and
     * at the edge (chi1 <= 1); in chaos, iterated from c = 0.5 (with no bias
     * and an odd activation, c = 0 is then the stable one) */
    c = chi1 <= 1 + 1e-9 ? 1.0 : 0.5;
    for (int it = 0; c < 1.0 && it < 2000; it++) {
        double next = (sigma_w2 * pair_expectation(act, qs, c, 0) + sigma_b2) / qs;
        if (!isfinite(next))
            break;
        next = next > 1 ? 1 : next;
        if (fabs(next - c) < 1e-13) {
            c = next;
            break;
        }
        c = next;
    }
    out->c_star = c;
    {
        double rate = c >= 1 - 1e-6 ? chi1 : sigma_w2 * pair_expectation(act, qs, c, 1);
        out->xi_c = rate > 0 && rate < 1 - 1e-9 ? -1.0 / log(rate) : (double)INFINITY;
    }
    return IL_OK;
}

static void predict_layer(const il_act *act, double q, il_theory_layer *layer)
{
    double m = il_theory_mean(act, q), m2 = il_theory_second_moment(act, q);
    layer->q = q;
    layer->act_mean = m;
    layer->act_std = m2 - m * m > 0 ? sqrt(m2 - m * m) : 0.0;
}

il_status il_theory_run(const il_act *act, double sigma_w2, double sigma_b2, double input_q,
                        size_t depth, il_theory_layer *layers, il_theory *out)
{
    double q;
    il_status st;

    if (depth == 0)
        return IL_EINVAL;
    st = il_theory_fixed(act, sigma_w2, sigma_b2, input_q, out);
    if (st != IL_OK)
        return st;
    q = sigma_w2 * input_q + sigma_b2;
    for (size_t l = 0; l < depth; l++) {
        if (l > 0)
            q = il_theory_qmap(act, sigma_w2, sigma_b2, q);
        predict_layer(act, q, &layers[l]);
    }
    return IL_OK;
}

il_status il_theory_layers(const il_act *act, const double *sigma_w2, const double *sigma_b2,
                           double input_q, size_t depth, il_theory_layer *layers)
{
    double prev_m2 = input_q;

    if (depth == 0 || !isfinite(input_q) || !(input_q >= 0))
        return IL_EINVAL;
    for (size_t l = 0; l < depth; l++)
        if (!isfinite(sigma_w2[l]) || !(sigma_w2[l] >= 0) || !isfinite(sigma_b2[l]) ||
            !(sigma_b2[l] >= 0))
            return IL_EINVAL;
    for (size_t l = 0; l < depth; l++) {
        predict_layer(act, sigma_w2[l] * prev_m2 + sigma_b2[l], &layers[l]);
        prev_m2 = il_theory_second_moment(act, layers[l].q);
    }
    return IL_OK;
}

il_status il_theory_corr_layers(const il_act *act, const double *sigma_w2, const double *sigma_b2,
                                double input_q, double input_c, size_t depth, double *corr)
{
    /* the inputs' mean square M and mean product K of two of them */
    double m = input_q, k = input_c * input_q;

    if (depth == 0 || !isfinite(input_q) || !(input_q >= 0) || !(fabs(input_c) <= 1))
        return IL_EINVAL;
    for (size_t l = 0; l < depth; l++)
        if (!isfinite(sigma_w2[l]) || !(sigma_w2[l] >= 0) || !isfinite(sigma_b2[l]) ||
            !(sigma_b2[l] >= 0))
            return IL_EINVAL;
    for (size_t l = 0; l < depth; l++) {
        /* the pre-activations' length and their correlation, then what
         * the activation makes of that pair */
        double q = sigma_w2[l] * m + sigma_b2[l];
        double c = q > 0 ? (sigma_w2[l] * k + sigma_b2[l]) / q : 1.0;
        m = il_theory_second_moment(act, q);
        k = pair_expectation(act, q, c, 0);
        corr[l] = m > 0 ? k / m : (double)NAN;
    }
    return IL_OK;
}

/* Cells of the z grid for il_theory_hist: 18 / 24000 = 7.5e-4 wide, so a
 * bin edge is off by at most one cell's mass, phi(0) * 7.5e-4 = 3e-4. */
#define HIST_CELLS 24000
#define HIST_ZMAX  9.0

il_status il_theory_hist(const il_act *act, double q, double lo, double hi, size_t bins,
                         double *frac, double *below, double *above)
{
    double sq, dz = 2 * HIST_ZMAX / HIST_CELLS, total = 0.0, b = 0.0, a = 0.0,
               scale = (double)bins / (hi - lo);

    if (bins == 0 || !isfinite(lo) || !isfinite(hi) || !(lo < hi) || !isfinite(q) || !(q >= 0))
        return IL_EINVAL;
    sq = sqrt(q);
    memset(frac, 0, bins * sizeof *frac);
    for (int i = 0; i < HIST_CELLS; i++) {
        double z = -HIST_ZMAX + (i + 0.5) * dz, w = exp(-0.5 * z * z);
        double v = il_act_value(act, sq * z);
        total += w;
        if (!(v >= lo)) {
            b += w; /* also a non-finite value: counted, never binned */
        } else if (v > hi) {
            a += w;
        } else {
            size_t k = (size_t)((v - lo) * scale);
            frac[k < bins ? k : bins - 1] += w;
        }
    }
    for (size_t k = 0; k < bins; k++)
        frac[k] /= total;
    if (below)
        *below = b / total;
    if (above)
        *above = a / total;
    return IL_OK;
}

/* chi1 - 1 at the length map's fixed point; +1 when the map runs away
 * (chaotic), -1 when it collapses to zero with a flat activation there. */
static double chi1_minus_one(const il_act *act, double sigma_w2, double sigma_b2, double input_q)
{
    double qs = q_fixed(act, sigma_w2, sigma_b2, sigma_w2 * input_q + sigma_b2, 1e-11);
    if (!isfinite(qs))
        return 1.0;
    if (qs <= 0)
        return sigma_w2 * il_act_deriv(act, 0.0) * il_act_deriv(act, 0.0) - 1;
    return sigma_w2 * moment_fast(act, qs, 1) - 1;
}

il_status il_theory_critical(const il_act *act, double sigma_b2, double input_q, double *sigma_w2)
{
    double lo = 1e-3, hi = 1e3;

    if (!(sigma_b2 >= 0) || !isfinite(sigma_b2) || !(input_q >= 0) || !isfinite(input_q))
        return IL_EINVAL;
    if (!(chi1_minus_one(act, lo, sigma_b2, input_q) < 0) ||
        !(chi1_minus_one(act, hi, sigma_b2, input_q) > 0))
        return IL_ENOTFOUND;
    /* bisection in log sigma_w2, to 1e-9 relative */
    for (int it = 0; it < 100 && hi / lo > 1 + 1e-9; it++) {
        double mid = sqrt(lo * hi);
        if (chi1_minus_one(act, mid, sigma_b2, input_q) > 0)
            hi = mid;
        else
            lo = mid;
    }
    *sigma_w2 = sqrt(lo * hi);
    return IL_OK;
}

il_status il_theory_preserving(const il_act *act, double sigma_b2, double q, double *sigma_w2)
{
    double m2;

    if (!isfinite(q) || !(q > 0) || !isfinite(sigma_b2) || !(sigma_b2 >= 0) || !(sigma_b2 < q))
        return IL_EINVAL;
    m2 = il_theory_second_moment(act, q);
    if (!(m2 > 0) || !isfinite(m2))
        return IL_ENOTFOUND;
    *sigma_w2 = (q - sigma_b2) / m2;
    return IL_OK;
}

il_status il_theory_chi1(const il_act *act, double sigma_w2, double sigma_b2, double input_q,
                         double *q_star, double *chi1)
{
    double qs;

    if (!(sigma_w2 >= 0) || !(sigma_b2 >= 0) || !(input_q >= 0) || !isfinite(sigma_w2) ||
        !isfinite(sigma_b2) || !isfinite(input_q))
        return IL_EINVAL;
    qs = q_fixed(act, sigma_w2, sigma_b2, sigma_w2 * input_q + sigma_b2, 1e-11);
    *q_star = qs;
    if (!isfinite(qs))
        *chi1 = (double)NAN;
    else if (qs <= 0)
        *chi1 = sigma_w2 * il_act_deriv(act, 0.0) * il_act_deriv(act, 0.0);
    else
        *chi1 = sigma_w2 * moment_fast(act, qs, 1);
    return IL_OK;
}
