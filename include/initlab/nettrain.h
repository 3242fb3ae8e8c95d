/* SPDX-License-Identifier: MIT */
/*
 * Training any network (il_net): optimizers per parameter, a learning-rate
 * schedule, gradient clipping, softmax cross-entropy, muP's per-parameter
 * multipliers, and a timeline of per-point and per-parameter statistics
 * recorded every K steps.
 *
 * The optimizers are PyTorch's (torch.optim, 1.13), per parameter:
 *   SGD       p -= lr g
 *   momentum  b = mu b + g (b = g at the first step); p -= lr b
 *   Adam      m, v as Kingma & Ba; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
 *   AdamW     p *= 1 - lr wd, then Adam without the L2 term
 * where g has 'weight_decay' * p added for SGD, momentum and Adam (coupled
 * L2), after clipping. The learning rate of parameter i is
 * lr * schedule(step) * lr_mult[i]. Clipping rescales every gradient by
 * clip / (total norm + 1e-6) when the total 2-norm exceeds 'clip', as
 * torch.nn.utils.clip_grad_norm_.
 *
 * The schedule (step counted from 0): linear warm-up lr (step + 1) / warmup
 * over the first 'warmup' steps, then with 'decay_steps' a cosine from lr
 * to 0 at step warmup + decay_steps (and 0 after), else constant.
 */
#ifndef INITLAB_NETTRAIN_H
#define INITLAB_NETTRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "initlab/data.h"
#include "initlab/net.h"
#include "initlab/netdesc.h"
#include "initlab/rng.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum il_nt_opt {
    IL_NT_SGD,
    IL_NT_MOMENTUM,
    IL_NT_ADAM,
    IL_NT_ADAMW
} il_nt_opt;

/* "sgd", "momentum", "adam", "adamw"; -1 for an unknown name. */
int il_nt_opt_parse(const char *name);
const char *il_nt_opt_name(il_nt_opt o);

typedef struct il_nt_optconfig {
    il_nt_opt opt;
    double lr;           /* > 0 */
    double momentum;     /* IL_NT_MOMENTUM */
    double beta1, beta2; /* Adam, AdamW */
    double eps;          /* Adam, AdamW */
    double weight_decay; /* coupled L2 (SGD, momentum, Adam) or decoupled (AdamW) */
    size_t warmup;       /* linear warm-up steps (0: none) */
    size_t decay_steps;  /* cosine decay after the warm-up (0: constant) */
    double clip;         /* global gradient-norm clip (0: none) */
} il_nt_optconfig;

/* Defaults: momentum 0.9, betas 0.9/0.999, eps 1e-8, the rest 0. */
il_nt_optconfig il_nt_optconfig_default(il_nt_opt opt, double lr);

/* The schedule's factor at 'step' (0-based), in [0, 1]. */
double il_nt_schedule(const il_nt_optconfig *c, size_t step);

typedef struct il_nt_optim il_nt_optim;

/* An optimizer for the parameters of 'n', with per-parameter learning-rate
 * multipliers 'lr_mult' (il_net_param_count values, copied; NULL: all 1).
 * IL_EINVAL for lr <= 0 or a non-finite setting; IL_ENOMEM. */
il_status il_nt_optim_new(const il_net *n, const il_nt_optconfig *c, const double *lr_mult,
                          il_nt_optim **out, il_error *err);
void il_nt_optim_free(il_nt_optim *o);

/* One update from the gradients a backward pass left in 'n'. 'ratio'
 * (NULL or one per parameter) receives ||dW|| / ||W|| (W before the
 * update; NAN when ||W|| is 0), '*grad_norm' (may be NULL) the total
 * gradient norm before clipping. */
void il_nt_optim_step(il_nt_optim *o, il_net *n, double *ratio, double *grad_norm);

/* Softmax cross-entropy over the last axis: 'rows' rows of 'classes'
 * logits, integer targets; the mean loss, and (when 'dlogits' is not
 * NULL) its gradient (softmax - onehot) / rows. IL_EINVAL for a target
 * out of range. */
il_status il_nt_xent(const double *logits, size_t rows, size_t classes, const uint32_t *targets,
                     double *loss, double *dlogits);

/* ---- parametrizations (ARCHITECTURES.md, section 4) ---- */

typedef enum il_nt_param {
    IL_NT_SP,
    IL_NT_MUP
} il_nt_param;

/* What a parameter is to muP: by which of its dimensions differ from the
 * base network's (mup's set_base_shapes). */
typedef enum il_nt_role {
    IL_NT_SCALAR, /* no width dimension */
    IL_NT_INPUT,  /* vector-like, width in fan_out: input weights, biases, norm gains */
    IL_NT_OUTPUT, /* vector-like, width in fan_in: the readout */
    IL_NT_HIDDEN  /* matrix-like */
} il_nt_role;

const char *il_nt_role_name(il_nt_role r);

typedef struct il_nt_scaling {
    il_nt_role role;
    double width_mult; /* fan_in / base fan_in (OUTPUT, HIDDEN), fan_out / base (INPUT), 1 */
    double init_mult;  /* factor on the recipe's draw */
    double lr_mult;    /* factor on the learning rate */
} il_nt_scaling;

/* Per parameter of 'n', its muP role against 'base' (the same network at
 * the base width: the same parameters in the same order) and, for 'param'
 * and optimizer 'opt', the init and LR factors of TP5's Table 3 written
 * relative to the base width (Eq. 3/4, m = width_mult):
 *              input & biases   output        hidden
 *   init std   1                1/sqrt(m)     1
 *   SGD LR     m                1/m           1
 *   Adam LR    1                1/m           1/m
 * (momentum as SGD, AdamW as Adam). Under IL_NT_SP every factor is 1.
 * IL_EINVAL (naming the parameter) when the two networks differ in their
 * parameters or a base dimension exceeds the network's. */
il_status il_nt_scalings(const il_net *n, const il_net *base, il_nt_param param, il_nt_opt opt,
                         il_nt_scaling *out, il_error *err);

/* A classifier for training: the description's ops on inputs of
 * 'features' values, with a dense readout of 'classes' outputs appended
 * (biased as the description's first dense op, or not). */
il_status il_nt_build_classifier(const il_netdesc *d, size_t features, size_t classes, size_t batch,
                                 il_net **out, il_error *err);

/* The least-squares slope of log y against log x over n points (NAN when
 * fewer than two, or a value is not positive). */
double il_nt_loglog_slope(const double *x, const double *y, size_t n);

/* ---- the timeline ---- */

#define IL_NT_HIST_BINS 80
#define IL_NT_HIST_LO   (-10.0)
#define IL_NT_HIST_HI   10.0

/* A point's statistics over the batch; a unit is one feature of the last
 * axis, dead when it is zero for every example (and position). */
typedef struct il_nt_point_stats {
    double mean, std, rms, l1; /* std: population */
    double frac_zero;
    size_t dead, units;
    size_t nonfinite;
    uint32_t hist[IL_NT_HIST_BINS]; /* values in [LO, HI), others dropped */
} il_nt_point_stats;

/* Statistics of 'rows' rows of 'units' values. */
void il_nt_measure(const double *x, size_t rows, size_t units, il_nt_point_stats *out);

/* A batch source: classification on an il_data (inputs = rows, targets =
 * labels), or next-byte prediction on a text (inputs = S bytes, targets =
 * the S bytes after each). */
typedef struct il_nt_source {
    const il_data *data; /* or NULL */
    const uint8_t *text; /* with text_len: the training part */
    size_t text_len;
} il_nt_source;

/* Fill batch 'batch' of inputs 'x' (batch x input size) and targets 't'
 * (batch rows, or batch x S positions) from 'src', drawn with 'rng'
 * (uniform rows with replacement; uniform window starts). With 'fixed'
 * the first rows or windows instead, the same at every call. IL_EINVAL
 * when the text is shorter than S + 1 bytes or the data's width differs. */
il_status il_nt_batch(const il_nt_source *src, const il_net *n, il_rng *rng, int fixed, double *x,
                      uint32_t *t, il_error *err);

typedef struct il_nt_config {
    size_t steps;
    size_t record_every; /* 0: no timeline */
    int fixed_batch;     /* the same batch every step (coordinate check) */
    il_nt_optconfig opt;
    const double *lr_mult; /* per parameter, or NULL */
} il_nt_config;

/* The points measured: nodes whose op type is a point, and the last node. */
size_t il_nt_point_count(const il_net *n);
size_t il_nt_point_node(const il_net *n, size_t j);

typedef struct il_nt_result il_nt_result;

/* Called after every step: its loss and the step count. Nonzero stops. */
typedef int (*il_nt_progress_fn)(void *ctx, size_t step, size_t steps, double loss);

/* Train 'n' (already initialized) for cfg->steps steps on batches from
 * 'src' drawn by 'rng'. At steps 0, K, 2K, ... (before that step's update,
 * so step 0 is the network at initialization) the timeline records every
 * point and parameter. A non-finite loss stops the run with *out kept:
 * il_nt_diverged says where. IL_EINVAL for bad settings; IL_ENOMEM. */
il_status il_nt_train(il_net *n, const il_nt_config *cfg, const il_nt_source *src, il_rng *rng,
                      il_nt_progress_fn progress, void *ctx, il_nt_result **out, il_error *err);
void il_nt_result_free(il_nt_result *r);

size_t il_nt_steps_done(const il_nt_result *r);
const double *il_nt_losses(const il_nt_result *r); /* one per step done */

/* Recorded steps; for record k: its step, point j's statistics, parameter
 * i's weight std, gradient std and update ratio. */
size_t il_nt_record_count(const il_nt_result *r);
size_t il_nt_record_step(const il_nt_result *r, size_t k);
const il_nt_point_stats *il_nt_record_point(const il_nt_result *r, size_t k, size_t j);
void il_nt_record_param(const il_nt_result *r, size_t k, size_t i, double *w_std, double *g_std,
                        double *ratio);

/* The mean loss and accuracy (argmax = target) of 'n' on 'src' in whole
 * batches of consecutive rows (or non-overlapping windows), at most
 * 'max_batches' of them. IL_EINVAL when not one batch fits; IL_ENOMEM. */
il_status il_nt_evaluate(il_net *n, const il_nt_source *src, size_t max_batches, double *loss,
                         double *accuracy, il_error *err);

/* 1 when the loss became non-finite: at which step, and the first point
 * (index into the points; SIZE_MAX: none) whose output was non-finite. */
int il_nt_diverged(const il_nt_result *r, size_t *step, size_t *point);

#ifdef __cplusplus
}
#endif
#endif
