/* SPDX-License-Identifier: MIT */
/* The initializer families, each defined in a file of src/init/, and the
 * helpers they share. */
#ifndef INITLAB_INTERNAL_INIT_IMPL_H
#define INITLAB_INTERNAL_INIT_IMPL_H

#include "initlab/init.h"

/* constant.c */
extern const il_init_type il__init_zeros, il__init_ones, il__init_constant, il__init_eye,
    il__init_dirac;
/* normal.c */
extern const il_init_type il__init_uniform, il__init_normal, il__init_trunc_normal,
    il__init_lecture_xavier, il__init_lecture_he;
/* torch.c */
extern const il_init_type il__init_xavier_uniform, il__init_xavier_normal, il__init_kaiming_uniform,
    il__init_kaiming_normal, il__init_torch_linear_default, il__init_torch_bias_default,
    il__init_sparse;
/* keras.c */
extern const il_init_type il__init_variance_scaling, il__init_glorot_uniform,
    il__init_glorot_normal, il__init_he_uniform, il__init_he_normal, il__init_lecun_uniform,
    il__init_lecun_normal;
/* orthogonal.c */
extern const il_init_type il__init_orthogonal;
/* lsuv.c */
extern const il_init_type il__init_lsuv;

/* out[i] = lo + (hi - lo) * u[i]: torch's uniform_(lo, hi) from U[0, 1). */
void il__uniform_from_noise(double lo, double hi, const double *u, double *out, size_t n);

/* out[i] = mean + std * z[i]: torch's normal_(mean, std). */
void il__normal_from_noise(double mean, double std, const double *z, double *out, size_t n);

/* il_init_fill_f32 on a checked 'ctx' by rounding pieces of 'piece_len'
 * values (even; il_init_fill_f32 takes 2^22) of fill or from_noise: the
 * way of the schemes without fill_f32, and of those with one for the
 * distributions it does not handle. */
il_status il__init_f32_by_pieces(const il_init *init, const il_init_ctx *ctx, il_rng *rng,
                                 float *out, size_t piece_len, il_error *err);

/* The same from a shape, whether or not the scheme has fill_f32: for the
 * tests, which cross many pieces' ends on small tensors with it. */
il_status il__init_fill_f32_pieces(const il_init *init, const size_t *shape, size_t ndim,
                                   il_layout layout, il_rng *rng, float *out, size_t piece_len,
                                   il_error *err);

/* il_init_fill_f32 rounds in pieces of this many values: even
 * (a normal fill from the fast generator starts each call at a fresh
 * block of two values) and large: each piece's draw, transform and
 * rounding is a parallel region, and when other programs share the cores
 * every region waits for its threads to be scheduled. On the 2-vCPU
 * development machine under a load of 5, 8192^2 values in pieces of 2^18
 * (2 MiB of doubles, in cache) took 2.2-6.4 s, of 2^20 1.4-2.6 s, of 2^22
 * (32 MiB) 0.8-1.8 s -- about the float64 fill's time. */
#define IL__INIT_F32_PIECE ((size_t)1 << 22)

/* The truncated normals' transforms and erfinv: internal/dist_impl.h. */

#endif
