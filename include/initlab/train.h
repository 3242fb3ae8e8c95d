/* SPDX-License-Identifier: MIT */
/*
 * Training comparisons: one network per arm (initializer, activation,
 * bias), all trained on the same sequence of minibatches, with softmax
 * cross-entropy and SGD, momentum or Adam.
 *
 * Each net is dense layers of 'widths' over the data's rows; the arm's
 * activation follows every layer but the last, whose outputs are the
 * logits. The weights of every layer (the output layer's too) come from
 * the arm's initializer, drawn arm by arm and layer by layer as
 * scale * randn(fan_in, fan_out) would be; biases are zero unless the arm
 * has a bias initializer.
 *
 * With 'dlfs' the run is the book's weight_init_compare.py (Deep Learning
 * from Scratch, ch. 6) number for number: the same draws from numpy's
 * legacy stream (every minibatch is np.random.choice(n, batch), shared by
 * all nets), and the loss recorded as the book records it -- on the
 * minibatch, after the update, as -mean(log(softmax + 1e-7)). Otherwise
 * the recorded loss is the minibatch's mean cross-entropy before the
 * update.
 *
 * With dtype IL_DTYPE_F32 the nets train in float32: the weights are drawn
 * (and LSUV rescales them) in float64, then rounded to float; products are
 * sgemm, the optimizer's and the loss's arithmetic double rounded once per
 * stored value. The statistics and accuracies at the end are measured on
 * the trained weights, widened back to float64.
 */
#ifndef INITLAB_TRAIN_H
#define INITLAB_TRAIN_H

#include <stddef.h>

#include "initlab/data.h"
#include "initlab/dtype.h"
#include "initlab/exp.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum il_optimizer {
    IL_OPT_SGD,      /* w -= lr g */
    IL_OPT_MOMENTUM, /* v = momentum v - lr g; w += v (the book's, = torch's with dampening 0) */
    IL_OPT_ADAM      /* Kingma & Ba, bias-corrected, eps outside the root (torch's) */
} il_optimizer;

typedef enum il_sampling {
    IL_SAMPLE_RANDOM, /* each minibatch drawn with replacement (the book's np.random.choice) */
    IL_SAMPLE_EPOCHS  /* shuffled epochs: a fresh permutation each pass */
} il_sampling;

typedef struct il_train_config {
    const size_t *widths; /* every layer's width; the last is the data's class count */
    size_t n_layers;
    const il_arm *arms; /* borrowed during il_train_run */
    size_t n_arms;
    size_t iters, batch;
    il_optimizer opt;
    double lr;
    double momentum;     /* IL_OPT_MOMENTUM (0.9 typical) */
    double beta1, beta2; /* IL_OPT_ADAM (0.9, 0.999 typical) */
    double eps;          /* IL_OPT_ADAM (1e-8 typical) */
    double weight_decay; /* L2: adds wd * W to dL/dW and wd/2 * sum W^2 to the loss */
    il_sampling sampling;
    int dlfs;              /* the book's draws and loss (see above) */
    il_dtype dtype;        /* of the parameters, activations and products; f32 not with dlfs */
    size_t eval_batch;     /* rows per evaluation pass; 0: 1000 */
    il_stats_config stats; /* the per-layer statistics at the start and the end */
} il_train_config;

typedef struct il_train_result il_train_result;

/* Called after every iteration with each arm's loss of that iteration. */
typedef void (*il_train_progress_fn)(void *ctx, size_t iter, size_t iters, const double *losses);

/* Bytes il_train_run will allocate (nets, optimizer state, buffers), so a
 * caller can refuse first. IL_ELIMIT on overflow. */
il_status il_train_memory(const il_train_config *cfg, const il_data *train, size_t *bytes);

/* Train every arm. 'test' may be NULL. IL_EINVAL (with the reason) for a
 * configuration that does not fit the data (input width, class count) or
 * bad numbers (lr <= 0 or not finite, iters or batch 0); an initializer's
 * error; IL_ENOMEM. */
il_status il_train_run(const il_train_config *cfg, const il_data *train, const il_data *test,
                       il_rng *rng, il_train_progress_fn progress, void *ctx, il_train_result **out,
                       il_error *err);

size_t il_train_arm_count(const il_train_result *r);
size_t il_train_layer_count(const il_train_result *r);
size_t il_train_iters(const il_train_result *r);
/* Arm 'arm's loss per iteration ('iters' values). */
const double *il_train_loss(const il_train_result *r, size_t arm);
/* The mean of the last min(100, iters) losses. */
double il_train_final_loss(const il_train_result *r, size_t arm);
/* Accuracy on the training set and on the test set (NAN without one). */
double il_train_accuracy(const il_train_result *r, size_t arm, int test);
/* Statistics of layer 'layer's activations on a probe batch (the first
 * 'batch' training rows) before training (end 0) and after (end 1). */
const il_layer_stats *il_train_stats(const il_train_result *r, size_t arm, size_t layer, int end);
/* For an arm initialized by LSUV: the rescaling iterations per layer (and
 * NULL for any other arm). */
const size_t *il_train_lsuv_iters(const il_train_result *r, size_t arm);

void il_train_result_free(il_train_result *r);

#ifdef __cplusplus
}
#endif
#endif
