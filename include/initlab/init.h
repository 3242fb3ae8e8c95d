/* SPDX-License-Identifier: MIT */
/*
 * Weight initializers: a static registry of named schemes, chosen by spec
 * strings ("lecture_he", "normal:mean=0,std=0.01").
 *
 * Layout. initlab stores a dense layer's weight as (fan_in, fan_out),
 * row-major, so that y = x W is the lecture's np.dot(x, w); a fill writes the
 * tensor in C order, the order numpy's randn fills an array. Fans of other
 * layouts are computed explicitly: torch stores (out, in, k...), keras
 * (k..., in, out); see il_fan_compute.
 *
 * Randomness comes only from the il_rng passed in; with the mt19937
 * generator, "normal:std=S" equals np.random.randn(...) * S element for
 * element, and "lecture_he" equals randn(...) * np.sqrt(2 / fan_in).
 */
#ifndef INITLAB_INIT_H
#define INITLAB_INIT_H

#include <stddef.h>

#include "initlab/rng.h"
#include "initlab/spec.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum il_layout {
    IL_LAYOUT_DENSE, /* (fan_in, fan_out); initlab's own, x @ W */
    IL_LAYOUT_TORCH, /* (out, in, k...); torch.nn.init, x @ W.T */
    IL_LAYOUT_KERAS  /* (k..., in, out); Keras and JAX defaults */
} il_layout;

/* Layout by name ("dense", "torch", "keras"); -1 if unknown. */
int il_layout_from_name(const char *name);

/* Fans of a tensor of 'ndim' dimensions 'shape' stored in 'layout'.
 * torch: fan_in = shape[1]*R, fan_out = shape[0]*R, R = prod(shape[2:]).
 * keras/dense: fan_in = shape[-2]*R, fan_out = shape[-1]*R, R = prod(shape[:-2]).
 * IL_ESHAPE (with torch's wording in 'err') if ndim < 2; IL_ELIMIT on
 * overflow. 'err' may be NULL. */
il_status il_fan_compute(const size_t *shape, size_t ndim, il_layout layout, size_t *fan_in,
                         size_t *fan_out, il_error *err);

typedef struct il_init_type il_init_type;

/* A parsed initializer spec: the type and its parameter values (in the order
 * of type->params). A plain value: copy it freely. */
typedef struct il_init {
    const il_init_type *type;
    il_value values[IL_MAX_PARAMS];
} il_init;

/* What a fill is aiming at, for reports: NAN where it does not apply. */
typedef struct il_init_target {
    double gain;    /* the gain used, if the scheme has one */
    double mean;    /* the distribution's mean */
    double std;     /* the distribution's standard deviation (before truncation, if any) */
    double bound;   /* half-width of a uniform */
    double lo, hi;  /* truncation bounds of a truncated normal */
    double density; /* share of entries drawn; the rest are exact zeros (sparse); else 1 */
} il_init_target;

/* The context a fill sees: the tensor's shape, layout and fans. */
typedef struct il_init_ctx {
    const size_t *shape;
    size_t ndim;
    il_layout layout;
    size_t numel;
    size_t fan_in, fan_out; /* 0 when the type does not need fans */
} il_init_ctx;

/* The noise a scheme transforms. Schemes with the same base can share one
 * draw of it (paired comparisons, "common random numbers"). */
typedef enum il_init_base {
    IL_INIT_BASE_NONE,   /* draws its own (or nothing) */
    IL_INIT_BASE_NORMAL, /* numel standard normal deviates, C order */
    IL_INIT_BASE_UNIFORM /* numel uniforms on [0, 1), C order */
} il_init_base;

struct il_init_type {
    const char *name;
    const char *formula; /* one line, e.g. "N(0, 2/fan_in): randn * sqrt(2/fan_in)" */
    const char *source;  /* where the formula comes from */
    const il_param *params;
    size_t n_params;
    int needs_fans; /* nonzero: the shape must have >= 2 dims (torch's rule) */
    il_init_base base;
    /* nonzero: value i is made from noise value i alone (or is a constant),
     * whatever the position, so a fill may be made in pieces of even
     * length (il_init_fill_f32); zero: orthogonal, sparse, eye, dirac, lsuv */
    int elementwise;
    /* Check the parameters against the context; may be NULL. */
    il_status (*check)(const il_init *init, const il_init_ctx *ctx, il_error *err);
    /* base != NONE: turn 'noise' (ctx->numel values of the base) into the
     * tensor; 'out' may equal 'noise'. */
    il_status (*from_noise)(const il_init *init, const il_init_ctx *ctx, const double *noise,
                            double *out, il_error *err);
    /* base == NONE: fill 'out' (ctx->numel values, C order). base != NONE:
     * NULL, or a fill il_init_fill uses instead of drawing the base noise
     * and calling from_noise, for a scheme some generator draws faster by
     * another exact method (the truncated normals: philox's rejection).
     * It gives the law of from_noise, and with a generator that has no
     * such method the values from_noise makes of its base noise (the
     * truncated normals' from_noise, vectorised, to 16 ulp of them). */
    il_status (*fill)(const il_init *init, const il_init_ctx *ctx, il_rng *rng, double *out,
                      il_error *err);
    /* NULL, or il_init_fill_f32's way for this scheme: fill's values
     * rounded to float, from the same draws, without a double array of
     * ctx->numel (the truncated normals: the generator rounds as it goes);
     * when NULL, il_init_fill_f32 rounds pieces of fill or from_noise. */
    il_status (*fill_f32)(const il_init *init, const il_init_ctx *ctx, il_rng *rng, float *out,
                          il_error *err);
    /* Describe the target distribution for 'ctx' (fields preset to NAN). */
    void (*target)(const il_init *init, const il_init_ctx *ctx, il_init_target *t);
};

/* The type called 'name', or NULL. */
const il_init_type *il_init_find(const char *name);

/* Registered types by index; NULL past the end. */
size_t il_init_type_count(void);
const il_init_type *il_init_type_at(size_t i);

/* Parse a spec string "NAME[:key=value,...]" into 'out'. On error returns
 * IL_ENOTFOUND (unknown name; the message suggests the nearest one) or
 * IL_EINVAL (bad parameter), with a one-line message in 'err' (may be NULL). */
il_status il_init_parse(const char *spec, il_init *out, il_error *err);

/* Write the canonical spec of 'init' (name and every parameter) into 'buf'
 * of 'cap' bytes; returns the length it needed, like snprintf. */
size_t il_init_format(const il_init *init, char *buf, size_t cap);

/* Fill the tensor 'out' of shape 'shape' ('ndim' dims, stored in 'layout',
 * C order) from 'rng'. 'out' must hold prod(shape) doubles. IL_ESHAPE if
 * the scheme needs fans and the shape has fewer than 2 dims; IL_ELIMIT if
 * the element count overflows. 'err' may be NULL. */
il_status il_init_fill(const il_init *init, const size_t *shape, size_t ndim, il_layout layout,
                       il_rng *rng, double *out, il_error *err);

/* The tensor of il_init_fill rounded to float32, into the 'out' of
 * prod(shape) floats, from the same draws (the generator ends in the same
 * state), with no float64 copy of the tensor where the scheme allows: the
 * truncated normals are rounded as they are drawn (fill_f32), other
 * elementwise schemes drawn and rounded in pieces of 2^22 values (32 MiB
 * of scratch); sparse, eye, dirac and lsuv fill a float64 tensor and
 * round it. Orthogonal is the exception to "rounded": the same normals,
 * rounded, are factorised in single precision (a float32 scratch matrix
 * for tall and square shapes), so it is il_init_fill's tensor up to
 * float32 rounding, not bit for bit. IL_ENOMEM if scratch or that tensor
 * cannot be allocated; otherwise the errors of il_init_fill. */
il_status il_init_fill_f32(const il_init *init, const size_t *shape, size_t ndim, il_layout layout,
                           il_rng *rng, float *out, il_error *err);

/* The target gain/mean/std/bound that il_init_fill would aim at for this
 * shape; same errors as il_init_fill. */
il_status il_init_describe(const il_init *init, const size_t *shape, size_t ndim, il_layout layout,
                           il_init_target *t, il_error *err);

/* The target of a bias vector of 'n_out' values in a layer with 'fan_in'
 * inputs (what il_init_fill_bias aims at); errors as il_init_fill_bias. */
il_status il_init_describe_bias(const il_init *init, size_t n_out, size_t fan_in, il_init_target *t,
                                il_error *err);

/* The mean and variance of the values a target describes, after
 * truncation (a truncation not symmetric about the mean moves the mean)
 * and with its exact zeros (density).
 * NAN variance when the target has no std (eye, dirac); a missing mean is
 * taken as 0. */
void il_init_target_moments(const il_init_target *t, double *mean, double *var);

/* The base noise 'init' transforms (IL_INIT_BASE_NONE if it draws its own). */
il_init_base il_init_get_base(const il_init *init);

/* Fill from given base noise: the tensor il_init_fill would make had the
 * generator produced 'noise' (prod(shape) values of il_init_get_base's
 * kind) -- or, for a scheme the generator draws by its own method
 * (philox's truncated normals), a tensor of the same law. IL_EINVAL for a
 * scheme with no base. 'out' may equal 'noise'. */
il_status il_init_from_noise(const il_init *init, const size_t *shape, size_t ndim,
                             il_layout layout, const double *noise, double *out, il_error *err);

/* Draw 'n' values of base noise of kind 'base' from 'rng' (nothing for
 * IL_INIT_BASE_NONE). */
void il_init_draw_noise(il_init_base base, il_rng *rng, double *out, size_t n);

/* Bias vectors: 'n_out' values for a layer with 'fan_in' inputs. A scheme
 * sees fan_in and fan_out = n_out (torch_bias_default uses
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in))). 'noise' (n_out values of the
 * scheme's base) may be NULL to draw from 'rng'. */
il_status il_init_fill_bias(const il_init *init, size_t n_out, size_t fan_in, il_rng *rng,
                            const double *noise, double *out, il_error *err);

/* Is 'init' LSUV (Mishkin & Matas 2016)? Then its tolerance and most
 * rescalings per layer go to 'tol' and 'max_iter' (either may be NULL):
 * the caller rescales with data (il_mlp_lsuv). */
int il_init_is_lsuv(const il_init *init, double *tol, int *max_iter);

/* torch.nn.init.calculate_gain(nonlinearity, param): the gain for a name
 * among linear, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
 * conv_transpose3d, sigmoid, tanh, relu, leaky_relu, selu, identity, and
 * beyond torch's table the library's other activations (elu, gelu, silu,
 * softplus, mish, hardtanh, softsign) with their derived gain
 * 1/sqrt(E[f(z)^2]).
 * 'param' is leaky_relu's negative slope (NAN for torch's default 0.01).
 * IL_ENOTFOUND for another name (torch's "Unsupported nonlinearity ...");
 * IL_EINVAL for a non-finite slope. 'err' may be NULL. */
il_status il_init_gain(const char *nonlinearity, double param, double *gain, il_error *err);

/* The names il_init_gain accepts, NULL-terminated. */
extern const char *const il_init_gain_names[];

#ifdef __cplusplus
}
#endif
#endif
