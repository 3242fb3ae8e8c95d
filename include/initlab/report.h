/* SPDX-License-Identifier: MIT */
/*
 * Reports: the measured statistics as JSON (report.json) and CSV
 * (stats.csv), the machine-readable sinks of every command.
 *
 * JSON shape (a contract other programs rely on; fields are only ever added):
 *   lecture: {"command", "seed", "rng",
 *             "exercises": [{"exercise", "networks": [{"network", "init", "act",
 *                                                      "label", "layers": [LAYER...]}]}]}
 *   run:     {"command", "seed", "rng", "order",
 *             "arms": [{"arm", "init", "act", "bias", "label", "layers": [LAYER...]}]}
 * Every network or arm also has "first_nonfinite_layer" and "first_dead_layer"
 * (1-based; null when there is none); an arm initialized by LSUV has
 * "lsuv_iters" (the rescalings per layer). With a backward pass each arm has
 * "loss" and each LAYER "grad_pre" and "grad_w" ({"mean", "std", "min",
 * "max", "nonfinite", "hist"}) and "grad_ratio" (std(dL/dW) / std(W)); the
 * CSV gains grad_pre_mean, grad_pre_std, grad_pre_nonfinite, grad_w_mean,
 * grad_w_std, grad_w_nonfinite, grad_ratio.
 * With theory (il_report.theory) each LAYER has "theory": {"q", "act_mean",
 * "act_std"} -- mean-field theory's prediction for that layer -- or null
 * (with il_report_net.theory_hist it also has "hist": the predicted
 * probability of each of the layer's histogram bins, il_theory_hist),
 * and each network or arm "theory_note": why there is none, or null; the
 * CSV gains theory_q, theory_act_mean, theory_act_std.
 * LAYER: {"layer", "count", "mean", "std", "min", "max", "frac_low",
 *         "frac_high", "frac_zero", "nonfinite",
 *         "hist": {"lo", "hi", "counts": [...], "below", "above"}}
 * A run on a network of layer ops (--net) writes per arm, instead of
 * "layers", "net", "recipe", "points": [{"name", "type", "shape", "q",
 * ...the LAYER statistics..., "grad" (with a backward pass), "theory":
 * {"q"} or null (with theory), "attention": {"entropy", "max_weight",
 * "near_uniform"} (per head, attention probabilities only)}] in network
 * order, "params": [{"name", "shape", "fan_in", "fan_out", "init", "why",
 * "std" (the rule's), "mean", "std_measured", "min", "max", "nonfinite",
 * "grad" and "grad_ratio" (with a backward pass)}], and "loss"; its CSV
 * has one row per arm and point: arm, recipe, point, type, index, count,
 * q, mean, std, min, max, frac_low, frac_high, frac_zero, nonfinite,
 * hist_lo, hist_hi, below, above, counts (+ grad_mean, grad_std; theory_q).
 * Numbers round-trip exactly (up to 17 significant digits); a value that is
 * not finite or not defined is written as null, never NaN or Infinity.
 */
#ifndef INITLAB_REPORT_H
#define INITLAB_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "initlab/exp.h"
#include "initlab/train.h"
#include "initlab/sink.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A measured point of a network of layer ops (initlab/net.h): a node's
 * output, or a tensor an op keeps (an attention's probabilities). */
typedef struct il_report_point {
    const char *name; /* "layers.4.body.1", "layers.6.probs" */
    const char *type; /* the op's kind, or "attention_probs" */
    const size_t *shape;
    size_t rank;                /* per example */
    const il_layer_stats *act;  /* the LAYER statistics */
    double q;                   /* the mean square of its values */
    double theory_q;            /* predicted q; NAN: none */
    const il_layer_stats *grad; /* dL/d(point), or NULL */
    /* attention probabilities: per head, the mean entropy (nats), the
     * largest weight, and whether it is near uniform; NULL otherwise */
    const double *head_entropy, *head_max;
    const int *head_uniform;
    size_t heads;
} il_report_point;

/* A parameter of such a network: its rule and the statistics of its values. */
typedef struct il_report_param {
    const char *name;    /* "layers.4.body.1.weight" */
    const size_t *shape; /* PyTorch's layout: dense (out, in) */
    size_t rank;
    size_t fan_in, fan_out;
    const char *init; /* the initializer spec (or structured rule) it was drawn by */
    const char *why;
    double std; /* the std about zero the rule aims at; NAN: none */
    const il_layer_stats *value;
    const il_layer_stats *grad; /* or NULL */
    double grad_ratio;          /* std(grad) / std(value); NAN: none */
} il_report_param;

/* The network part of an arm (non-NULL il_report_net.net): its points
 * and parameters, in network order. */
typedef struct il_report_netrun {
    const char *net; /* the preset, or "json" */
    const il_report_point *points;
    size_t n_points;
    const il_report_param *params;
    size_t n_params;
    double loss; /* with a backward pass; NAN: none */
} il_report_netrun;

/* One network: its specs, a human label, and where its statistics are. */
typedef struct il_report_net {
    const char *init;  /* canonical initializer spec */
    const char *act;   /* activation spec */
    const char *label; /* e.g. "N(0,1) + sigmoid"; may be NULL */
    const il_exp_result *result;
    size_t arm;                    /* index of this network in 'result' */
    const char *bias;              /* the bias initializer's spec; NULL for none */
    const il_theory_layer *theory; /* one per layer, or NULL (see theory_note) */
    const char *theory_note;       /* why 'theory' is NULL; may be NULL */
    /* Per layer, the theory's probability of each of that layer's bins
     * (NULL entries where there are none), or NULL: "theory"."hist". */
    const double *const *theory_hist;
    /* A network of layer ops: "points" and "params" instead of "layers"
     * (result is then NULL); NULL for the MLP. */
    const il_report_netrun *net;
    /* Per layer, the theory's correlation between rows (beside the
     * measured il_exp_corr), or NULL. */
    const double *theory_corr;
} il_report_net;

/* One exercise (a group of networks run together). */
typedef struct il_report_group {
    size_t number; /* 1-based */
    const il_report_net *nets;
    size_t n_nets;
} il_report_group;

typedef struct il_report {
    const char *command; /* "lecture" */
    uint64_t seed;
    const char *rng; /* generator name */
    const il_report_group *groups;
    size_t n_groups;
    /* Nonzero: the "run" shape -- the first group's networks as "arms"
     * (key "arm"), and "order" written; CSV rows start arm,init,act,bias. */
    int arms;
    const char *order; /* "paired" or "lecture"; with 'arms' */
    int theory;        /* nonzero: write the nets' theory (or null) */
} il_report;

/* Write 'r' as JSON (indented, a final newline). IL_ENOMEM, or the sink's
 * error. */
il_status il_report_write_json(const il_report *r, il_write_fn w, void *ctx);

/* Write 'r' as CSV: a header row, then one row per exercise, network and
 * layer. Columns: exercise, network, init, act, layer, count, mean, std, min,
 * max, frac_low, frac_high, frac_zero, nonfinite, hist_lo, hist_hi, below,
 * above, counts (the bin counts separated by spaces); for the run shape the
 * first columns are arm, init, act, bias. Undefined values are empty
 * fields. */
il_status il_report_write_csv(const il_report *r, il_write_fn w, void *ctx);

/* ---- training (initlab train) ----
 *
 * JSON (a contract): {"command": "train", "seed", "rng", "data", "optimizer",
 *   "lr", "batch", "iters", "sampling", "reproduce" (null or "dlfs"),
 *   "arms": [{"arm", "init", "act", "bias", "label", "final_train_loss",
 *             "train_accuracy", "test_accuracy", "lsuv_iters" (null or one
 *             per layer), "loss": [one per iteration],
 *             "layers_start": [TLAYER...], "layers_end": [TLAYER...]}]}
 * TLAYER: {"layer", "mean", "std", "frac_zero", "nonfinite"} of the
 * activations of a probe batch (the first 'batch' training rows).
 * CSV: arm,init,act,when,layer,mean,std,frac_zero,nonfinite -- one row per
 * arm, "start" or "end", and layer. */
typedef struct il_train_report {
    uint64_t seed;
    const char *rng, *data, *optimizer, *sampling;
    double lr;
    size_t batch;
    int dlfs;
    const il_train_result *result;
    const char *const *inits, *const *acts, *const *biases, *const *labels; /* per arm; biases
                                                                               may hold NULL */
} il_train_report;

il_status il_report_write_train_json(const il_train_report *r, il_write_fn w, void *ctx);
il_status il_report_write_train_csv(const il_train_report *r, il_write_fn w, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
