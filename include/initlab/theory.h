/* SPDX-License-Identifier: MIT */
/*
 * Mean-field theory of wide random networks (Poole et al. 2016; Schoenholz
 * et al. 2017): what a layer's statistics should be, before measuring them.
 *
 * Weights W_ij ~ (0, sigma_w2 / fan_in), biases ~ (0, sigma_b2). The
 * pre-activation second moment obeys the length map
 *     q_1 = sigma_w2 * E[x^2] + sigma_b2,
 *     q_l = sigma_w2 * E_z[f(sqrt(q_{l-1}) z)^2] + sigma_b2,   z ~ N(0, 1),
 * and two inputs' correlation c the correlation map
 *     c_l = (sigma_w2 * E[f(u1) f(u2)] + sigma_b2) / q*,
 *     u1 = sqrt(q*) z1, u2 = sqrt(q*) (c z1 + sqrt(1 - c^2) z2).
 * chi1 = sigma_w2 * E[f'(sqrt(q*) z)^2] separates order (< 1: inputs
 * converge, gradients vanish) from chaos (> 1); the depth scales are
 * xi_q = -1 / log|dq_l/dq_{l-1}| at q* and xi_c = -1 / log(sigma_w2 E[f'(u1*) f'(u2*)]).
 *
 * One-dimensional Gaussian expectations use adaptive Simpson quadrature
 * split where the activation's and the Gaussian's features are (closed
 * forms for identity and relu); the two-dimensional ones of the
 * correlation map a product Gauss-Hermite rule of order IL_THEORY_GH_ORDER.
 */
#ifndef INITLAB_THEORY_H
#define INITLAB_THEORY_H

#include <stddef.h>

#include "initlab/act.h"
#include "initlab/net.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Gauss-Hermite nodes per dimension (the tests measure the error). */
#define IL_THEORY_GH_ORDER 96

/* E_z[g(sqrt(q) z)] for z ~ N(0, 1), by Gauss-Hermite quadrature of order
 * 'order' (2..200); 'g' is evaluated at the nodes. */
double il_theory_gauss(double (*g)(void *ctx, double x), void *ctx, double q, int order);

/* Second moment and mean of f(sqrt(q) z): E[f^2] and E[f]. */
double il_theory_second_moment(const il_act *act, double q);
double il_theory_mean(const il_act *act, double q);

/* One step of the length map: sigma_w2 * E[f(sqrt(q) z)^2] + sigma_b2. */
double il_theory_qmap(const il_act *act, double sigma_w2, double sigma_b2, double q);

typedef struct il_theory_layer {
    double q;        /* pre-activation second moment */
    double act_mean; /* E[f(sqrt(q) z)] */
    double act_std;  /* sqrt(E[f^2] - E[f]^2) */
} il_theory_layer;

typedef struct il_theory {
    double q_star; /* the limit of the length map from q_1 (INFINITY if it diverges) */
    double c_star; /* the stable fixed point of the correlation map */
    double chi1;
    double xi_q, xi_c; /* INFINITY at criticality */
} il_theory;

/* The per-layer predictions for 'depth' layers (into 'layers', 'depth'
 * entries) and the fixed-point quantities. IL_EINVAL for a negative or
 * non-finite sigma or input_q, or depth 0. */
il_status il_theory_run(const il_act *act, double sigma_w2, double sigma_b2, double input_q,
                        size_t depth, il_theory_layer *layers, il_theory *out);

/* The per-layer predictions for a network whose layers differ: layer l
 * (0-based) has its own sigma_w2[l] (fan_in * E[w^2]) and sigma_b2[l]
 * (E[b^2]), so widths may change and only some layers may have biases:
 *     q[0] = sigma_w2[0] * input_q + sigma_b2[0],
 *     q[l] = sigma_w2[l] * E[f(sqrt(q[l-1]) z)^2] + sigma_b2[l].
 * IL_EINVAL as il_theory_run. */
il_status il_theory_layers(const il_act *act, const double *sigma_w2, const double *sigma_b2,
                           double input_q, size_t depth, il_theory_layer *layers);

/* The correlation of two inputs' activations, layer by layer, for the
 * network of il_theory_layers: inputs of mean square 'input_q' whose mean
 * product is input_c * input_q (|input_c| <= 1). Layer l's pre-activations
 * have length q_l = sigma_w2[l] M_{l-1} + sigma_b2[l] and correlation
 * c_l = (sigma_w2[l] K_{l-1} + sigma_b2[l]) / q_l, where M and K are the
 * previous activations' mean square and mean product (the inputs' for
 * l = 0); corr[l] = K_l / M_l with K_l = E[f(u1) f(u2)] at (q_l, c_l), the
 * quantity il_stats_row_corr measures (NAN where M_l = 0). The 2-D
 * expectation is the correlation map's Gauss-Hermite rule. IL_EINVAL as
 * il_theory_layers, or for |input_c| > 1. */
il_status il_theory_corr_layers(const il_act *act, const double *sigma_w2, const double *sigma_b2,
                                double input_q, double input_c, size_t depth, double *corr);

/* The predicted histogram of f(sqrt(q) z): the probability of each of
 * 'bins' equal bins over [lo, hi] (into 'frac'), and of falling below lo
 * and above hi ('below', 'above' may be NULL). A midpoint rule over
 * |z| <= 9 with 24000 cells: each probability is within 3e-4 of the exact
 * one. A point mass (relu's zeros) lands in its bin whole, as measured
 * values do. IL_EINVAL for bins 0, lo >= hi, or a negative or non-finite q. */
il_status il_theory_hist(const il_act *act, double q, double lo, double hi, size_t bins,
                         double *frac, double *below, double *above);

/* The fixed-point quantities alone (q* reached from q_1 = sigma_w2 * input_q + sigma_b2). */
il_status il_theory_fixed(const il_act *act, double sigma_w2, double sigma_b2, double input_q,
                          il_theory *out);

/* The sigma_w2 with chi1 = 1 for 'sigma_b2' (edge of chaos), by bisection
 * on [1e-3, 1e3]; IL_ENOTFOUND if chi1 - 1 does not change sign there. */
il_status il_theory_critical(const il_act *act, double sigma_b2, double input_q, double *sigma_w2);

/* q* and chi1 alone, to a relative 1e-9 (for a grid of many points: the
 * phase diagram); chi1 NAN when q* is infinite. IL_EINVAL as il_theory_run. */
il_status il_theory_chi1(const il_act *act, double sigma_w2, double sigma_b2, double input_q,
                         double *q_star, double *chi1);

/* The sigma_w2 that makes 'q' a fixed point of the length map with bias
 * variance 'sigma_b2': sigma_w2 E[f(sqrt(q) z)^2] + sigma_b2 = q, so that
 * pre-activations of second moment q keep it from layer to layer. For a
 * homogeneous activation (relu, identity) the answer does not depend on q.
 * IL_EINVAL for q <= 0, sigma_b2 outside [0, q), or a non-finite argument;
 * IL_ENOTFOUND when E[f^2] is 0. */
il_status il_theory_preserving(const il_act *act, double sigma_b2, double q, double *sigma_w2);

/* ---- networks of layer ops (initlab/net.h) ----
 *
 * The predicted second moment q (the mean square of a point's values, over
 * examples and coordinates) of every node of 'n', in expectation over the
 * parameters, given the input's measured q0 and each parameter's std
 * about zero 'param_std' (il_net_param order; NAN: unknown). The maps
 * (ARCHITECTURES.md section 3):
 *   dense, attention-free conv with no padding: q' = fan_in std_W^2 q + std_b^2;
 *   delta-orthogonal conv (only the centre tap nonzero, out >= in): exact;
 *   act: E[f(sqrt(q) z)^2], z ~ N(0, 1) (the input taken as a centred Gaussian);
 *   residual: q_shortcut + alpha^2 q_body, when the body ends in a dense or
 *     conv layer (the cross term then vanishes in expectation);
 *   layernorm, rmsnorm, batchnorm: q/(q + eps) times the gain^2 plus the
 *     shift^2 (exact for centred inputs; the mean is not tracked);
 *   embedding: std_E^2; flatten: q.
 * Nodes with no cheap prediction (attention, pooling, padded convolutions,
 * a norm after an activation's mean, anything downstream of those) get
 * NAN in q[k], and 'note' (may be NULL) says where the first one is and
 * why. IL_EINVAL if 'n' has no nodes. */
il_status il_theory_net(const il_net *n, const double *param_std, double q0, double *q,
                        il_error *note);

#ifdef __cplusplus
}
#endif
#endif
