/* SPDX-License-Identifier: MIT */
/*
 * initlab — see, measure and choose how a neural network's weights are
 * initialized.
 *
 * A short tour. Data flows one way, each stage a module with its own header;
 * a module includes only the modules listed before it (docs/design.md):
 *
 *   status.h  alloc.h  spec.h  version.h  dtype.h
 *             the core: statuses, the allocator hook, NAME:key=value specs,
 *             the element types (f64, f32)
 *   sink.h    byte sinks and atomic file replacement
 *   io.h      file formats: the .npy writer; .npy, CSV and IDX readers
 *   tensors.h named tensors of checkpoints: .npz, safetensors; the .npz writer
 *   rng.h     generators behind one interface; "mt19937" is numpy's legacy
 *             RandomState, bit for bit
 *   dist.h    normal and uniform deviates from a generator
 *   act.h     activations: value, derivative and gain in one table
 *   init.h    initializers by spec string ("lecture_he", "normal:std=0.01");
 *             weights are (fan_in, fan_out) row-major: y = x W
 *   stats.h   per-layer moments, saturation, zeros, non-finite counts and a
 *             histogram that drops nothing
 *   layer.h   y = act(x W + b) through BLAS
 *   mlp.h     a multilayer perceptron: forward, backward, softmax loss
 *   theory.h  mean-field predictions: length and correlation maps, chi1
 *   exp.h     arms of dense networks run in the lecture's draw order
 *   data.h    labelled datasets: MNIST-format folders, spiral, blobs
 *   train.h   one net per arm trained on shared minibatches (SGD, Adam)
 *   report.h  report.json and stats.csv
 *   run.h     one run spec (from JSON or flags), validated once, executed
 *   plot.h    histogram grids, line plots and heat maps as PNG, SVG or PDF
 *
 * Rules that hold everywhere:
 *   - Functions that can fail return an il_status (IL_OK == 0); objects are
 *     returned through an out-parameter, and *out is set only on success.
 *   - The library never prints, never exits and reads no environment.
 *   - Every random draw goes through an explicit il_rng; nothing is global.
 *   - Pointers passed in are borrowed for the call unless a comment says the
 *     function stores them. X_new results are the caller's, released with
 *     X_free, which accepts NULL. Returned const char * are static.
 *   - Sizes are size_t and every n*m*sizeof is overflow-checked.
 *
 * Example: draw a He-initialized 784x256 layer and look at it.
 *
 *   il_rng *rng;
 *   il_init he;
 *   size_t shape[2] = {784, 256};
 *   double *w = malloc(784 * 256 * sizeof *w);
 *   il_rng_new(il_rng_find("mt19937"), 100, &rng);
 *   il_init_parse("lecture_he", &he, NULL);
 *   il_init_fill(&he, shape, 2, IL_LAYOUT_DENSE, rng, w, NULL);
 *   ... il_layer_stats_* on w ...
 *   il_rng_free(rng);
 *   free(w);
 */
#ifndef INITLAB_H
#define INITLAB_H

#include "initlab/act.h"
#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "initlab/dtype.h"
#include "initlab/exp.h"
#include "initlab/init.h"
#include "initlab/io.h"
#include "initlab/tensors.h"
#include "initlab/layer.h"
#include "initlab/mlp.h"
#include "initlab/net.h"
#include "initlab/netdesc.h"
#include "initlab/recipe.h"
#include "initlab/plot.h"
#include "initlab/report.h"
#include "initlab/rng.h"
#include "initlab/spec.h"
#include "initlab/stats.h"
#include "initlab/status.h"
#include "initlab/theory.h"
#include "initlab/data.h"
#include "initlab/train.h"
#include "initlab/nettrain.h"
#include "initlab/run.h"
#include "initlab/sweep.h"
#include "initlab/sink.h"
#include "initlab/version.h"
#endif
