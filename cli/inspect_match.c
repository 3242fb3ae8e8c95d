/* SPDX-License-Identifier: MIT */
/*
 * initlab inspect's matching: which known schemes a tensor's values could
 * have been drawn from. A scheme is an initializer spec that `initlab init`
 * accepts; what it predicts (mean, std, bound, truncation) comes from the
 * library's own registry (il_init_describe), never from formulas retyped
 * here, so inspect and init cannot disagree.
 *
 * A tensor matches a random scheme when, at Z standard errors:
 *   - its std is the scheme's: |log(s/sigma)| <= Z sqrt((kappa - 1) / 4n),
 *     the delta-method standard error of a sample std (kappa the law's
 *     kurtosis: 1/(2n) for a normal, 0.2/n for a uniform), on the log
 *     scale, where a small sample's std is closer to normal (8 values of
 *     std 0.12 are then 8 errors from N(0, 1), not 3.5);
 *   - its mean is: |m - mu| <= Z sigma / sqrt(n);
 *   - its shape is, told by the kurtosis m4/m2^2, which separates the three
 *     laws the schemes draw from: a normal's is 3, a normal cut at +-2 std
 *     (Keras's truncated_normal, whose std is 0.8796 of the uncut one)
 *     2.366, a uniform's 1.8. Its standard error is sqrt(V/n) with
 *     V = 4 k^2 (k - 1) + (mu8 - k^2) - 4 k (mu6 - k) for a symmetric law
 *     of unit variance (the delta method on (m2, m4); V = 24 for a normal).
 *     Below KURT_MIN_N values the kurtosis is too noisy to tell the laws
 *     apart (SE 0.49 for a normal at 100) and is not tested;
 *   - a bounded law's bound holds: no |x - mu| past a uniform's bound or a
 *     truncation point (a normal draw past 2 std rules out truncation).
 * Z = 4: a tensor drawn from a scheme fails one of these with probability
 * about 2e-4, and a scheme 5% off in std is told apart from 3300 values on.
 * Constant schemes (zeros, ones) match only when every value is exactly
 * theirs. Matches are listed best first: by the largest of the three
 * distances in standard errors.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "inspect.h"

#define Z          4.0
#define KURT_MIN_N 100
#define MIN_N      INSPECT_MIN_VALUES

/* The schemes tried, besides the two a tensor's context makes (a bias's
 * torch default, GPT-2's residual projections): kaiming (gain^2 = 2, He)
 * and lecun (gain^2 = 1) by fan_in and fan_out, and xavier, each as a
 * normal, a uniform and a truncated normal; nn.Linear's and nn.Conv's
 * default; GPT-2's N(0, 0.02); nn.Embedding's N(0, 1); zeros and ones.
 * 'weights': only for tensors of 2 or more dims (the fan schemes). */
static const struct candidate {
    const char *spec;
    int weights;
} candidates[] = {
    {"torch_linear_default", 1},
    {"kaiming_normal:nonlinearity=relu", 1},
    {"kaiming_normal:mode=fan_out,nonlinearity=relu", 1},
    {"kaiming_uniform:nonlinearity=relu", 1},
    {"kaiming_uniform:mode=fan_out,nonlinearity=relu", 1},
    {"he_normal", 1}, /* Keras's: truncated, fan_in */
    {"variance_scaling:scale=2,mode=fan_out", 1},
    {"kaiming_normal:nonlinearity=linear", 1}, /* lecun, untruncated */
    {"kaiming_normal:mode=fan_out,nonlinearity=linear", 1},
    {"lecun_uniform", 1},
    {"kaiming_uniform:mode=fan_out,nonlinearity=linear", 1},
    {"lecun_normal", 1}, /* Keras's: truncated, fan_in */
    {"variance_scaling:mode=fan_out", 1},
    {"xavier_normal", 1},
    {"xavier_uniform", 1},
    {"glorot_normal", 1}, /* Keras's: truncated, fan_avg */
    {"normal:std=0.02", 0},
    {"normal", 0},
    {"zeros", 0},
    {"ones", 0},
};

#define N_CANDIDATES (sizeof candidates / sizeof candidates[0])

size_t inspect_candidate_count(void)
{
    return N_CANDIDATES;
}

const char *inspect_candidate_at(size_t i)
{
    return i < N_CANDIDATES ? candidates[i].spec : NULL;
}

/* The kurtosis of a law and the V of its sample kurtosis's variance V/n,
 * from its standardized even moments. */
static void kurtosis_of(double mu4, double mu6, double mu8, double *k, double *v)
{
    *k = mu4;
    *v = 4 * mu4 * mu4 * (mu4 - 1) + (mu8 - mu4 * mu4) - 4 * mu4 * (mu6 - mu4);
}

/* A standard normal cut to (-c, c): E[X^2k] = (2k-1) E[X^2k-2] -
 * 2 c^(2k-1) phi(c) / Z (integration by parts), standardized. */
static void truncated_kurtosis(double c, double *k, double *v)
{
    double phi = exp(-0.5 * c * c) / sqrt(2 * 3.14159265358979323846), zc = erf(c / sqrt(2.0));
    double m2 = 1 - 2 * c * phi / zc;
    double m4 = 3 * m2 - 2 * pow(c, 3) * phi / zc;
    double m6 = 5 * m4 - 2 * pow(c, 5) * phi / zc;
    double m8 = 7 * m6 - 2 * pow(c, 7) * phi / zc;
    kurtosis_of(m4 / (m2 * m2), m6 / (m2 * m2 * m2), m8 / (m2 * m2 * m2 * m2), k, v);
}

/* How well 'st' fits the target 't': the largest of the tests' distances
 * in standard errors (0 for a constant), or -1 if a test fails. Its
 * predicted std into *pred. */
static double fits(const inspect_stats *st, const il_init_target *t, double *pred)
{
    double z_std, z_mean, z_kurt = 0;
    double mu, var, sigma, n = (double)st->n, k, v, reach = (double)INFINITY;

    il_init_target_moments(t, &mu, &var);
    if (!isfinite(var) || var < 0)
        return -1;
    *pred = sigma = sqrt(var);
    if (sigma == 0) /* a constant: exactly */
        return st->n > 0 && st->nonfinite == 0 && st->min == mu && st->max == mu ? 0 : -1;
    if (st->n < MIN_N || st->nonfinite > 0)
        return -1;
    if (isfinite(t->bound)) { /* uniform on [-b, b] of unit variance: mu_2k = 3^k / (2k + 1) */
        kurtosis_of(9.0 / 5, 27.0 / 7, 81.0 / 9, &k, &v);
        reach = t->bound;
    } else if (isfinite(t->lo) && isfinite(t->hi) && t->std > 0) {
        double c = fmin(t->hi - t->mean, t->mean - t->lo) / t->std;
        truncated_kurtosis(c, &k, &v);
        reach = c * t->std;
    } else {
        kurtosis_of(3, 15, 105, &k, &v);
    }
    z_std = fmax(0, fabs(log(st->std / sigma)) - 1e-6) / sqrt((k - 1) / (4 * n));
    z_mean = fabs(st->mean - mu) / (sigma / sqrt(n));
    if (st->n >= KURT_MIN_N)
        z_kurt = fabs(st->kurtosis - k) / sqrt(v / n);
    /* float32 storage rounds a value at the bound by 2^-24 of it */
    if (z_std > Z || z_mean > Z || z_kurt > Z ||
        fmax(st->max - mu, mu - st->min) > reach * (1 + 1e-6))
        return -1;
    return fmax(z_std, fmax(z_mean, z_kurt));
}

/* Try 'spec' on tensor 'x'; add it to x's matches, best fit first, if it
 * fits. */
static void try_spec(inspect_tensor *x, const char *spec)
{
    il_init init;
    il_init_target t;
    double pred = (double)NAN, score;
    size_t at;
    if (x->n_matches == INSPECT_MAX_MATCHES || il_init_parse(spec, &init, NULL) != IL_OK)
        return;
    if (il_init_describe(&init, x->t->array.shape, x->t->array.ndim, x->layout, &t, NULL) != IL_OK)
        return;
    if ((score = fits(&x->stats, &t, &pred)) < 0)
        return;
    for (at = x->n_matches; at > 0 && x->score[at - 1] > score; at--) {
        memcpy(x->matches[at], x->matches[at - 1], sizeof x->matches[0]);
        x->predicted[at] = x->predicted[at - 1];
        x->score[at] = x->score[at - 1];
    }
    snprintf(x->matches[at], sizeof x->matches[0], "%s", spec);
    x->predicted[at] = pred;
    x->score[at] = score;
    x->n_matches++;
}

void inspect_match(inspect_tensor *x, size_t bias_fan_in, size_t n_blocks)
{
    char spec[INSPECT_SPEC_MAX];
    int weights = x->t->array.ndim >= 2;
    x->n_matches = 0;
    for (size_t i = 0; i < N_CANDIDATES; i++)
        if (weights || !candidates[i].weights)
            try_spec(x, candidates[i].spec);
    if (!weights && bias_fan_in > 0) {
        /* nn.Linear's and nn.Conv's bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) of its weight's */
        snprintf(spec, sizeof spec, "torch_bias_default:fan_in=%zu", bias_fan_in);
        try_spec(x, spec);
    }
    if (weights && n_blocks > 0) {
        /* GPT-2's residual projections: 0.02 / sqrt(2 L), L the blocks
         * (Radford et al. 2019, section 2.3; nanoGPT's c_proj) */
        snprintf(spec, sizeof spec, "normal:std=%.6g", 0.02 / sqrt(2.0 * (double)n_blocks));
        try_spec(x, spec);
    }
}

double inspect_predict(const inspect_tensor *x, const char *spec)
{
    il_init init;
    il_init_target t;
    double mu, var;
    if (il_init_parse(spec, &init, NULL) != IL_OK ||
        il_init_describe(&init, x->t->array.shape, x->t->array.ndim, x->layout, &t, NULL) != IL_OK)
        return (double)NAN;
    il_init_target_moments(&t, &mu, &var);
    return var >= 0 ? sqrt(var) : (double)NAN;
}

void inspect_stats_of(const il_array *a, inspect_stats *s)
{
    double sum = 0, m2 = 0, m4 = 0;
    memset(s, 0, sizeof *s);
    s->min = (double)INFINITY;
    s->max = -(double)INFINITY;
    for (size_t i = 0; i < a->numel; i++) {
        double v = a->data[i];
        if (!isfinite(v)) {
            s->nonfinite++;
            continue;
        }
        s->n++;
        sum += v;
        s->min = fmin(s->min, v);
        s->max = fmax(s->max, v);
    }
    if (s->n == 0) {
        s->mean = s->std = s->min = s->max = s->kurtosis = (double)NAN;
        return;
    }
    s->mean = sum / (double)s->n;
    /* centred moments in a second pass: no cancellation */
    for (size_t i = 0; i < a->numel; i++) {
        double d = a->data[i] - s->mean, d2 = d * d;
        if (!isfinite(a->data[i]))
            continue;
        m2 += d2;
        m4 += d2 * d2;
    }
    m2 /= (double)s->n;
    m4 /= (double)s->n;
    s->std = sqrt(m2); /* ddof 0, numpy's default */
    s->kurtosis = m2 > 0 ? m4 / (m2 * m2) : (double)NAN;
}
