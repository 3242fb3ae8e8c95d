/* SPDX-License-Identifier: MIT */
/* Training comparisons (see initlab/train.h). */
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "initlab/mlp.h"
#include "initlab/train.h"
#include "internal/nn_impl.h"
#include "internal/spec_impl.h"

#define DEFAULT_EVAL_BATCH 1000
#define FINAL_WINDOW       100 /* iterations averaged into the final training loss */
#define MAX_LAYERS         64  /* the nets' activation lists live on the stack */

typedef struct arm_state {
    il_mlp *net;  /* float64: drawn, rescaled by LSUV, measured and evaluated */
    il_mlp *fit;  /* the net that trains: 'net' itself, or a copy in cfg->dtype */
    void *v, *m;  /* optimizer state in the dtype: momentum or Adam's second and first moments */
    void *x;      /* the minibatch in the dtype when it is not float64, else NULL */
    double *loss; /* iters */
    double train_acc, test_acc;
    il_layer_stats *start, *end; /* n_layers each */
    size_t *lsuv_iters;          /* n_layers, or NULL */
} arm_state;

struct il_train_result {
    size_t n_arms, n_layers, iters;
    arm_state *arms;
};

/* Parameters of a net: every layer's weights then its bias. */
static size_t param_count(const size_t *widths, size_t n_layers, size_t n_in)
{
    size_t n = 0, prev = n_in;
    for (size_t l = 0; l < n_layers; l++) {
        n += prev * widths[l] + widths[l];
        prev = widths[l];
    }
    return n;
}

il_status il_train_memory(const il_train_config *cfg, const il_data *train, size_t *bytes)
{
    size_t net, params = 0, prev = train->dim, state, total, x;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t w, p;
        if (!il_mul_size(prev, cfg->widths[l], &w) || !il_add_size(w, cfg->widths[l], &p) ||
            !il_add_size(params, p, &params))
            return IL_ELIMIT;
        prev = cfg->widths[l];
    }
    if (il_mlp_memory(cfg->batch, train->dim, cfg->widths, cfg->n_layers, &net) != IL_OK ||
        !il_mul_size(params, 2 * sizeof(double), &state) || !il_add_size(net, state, &total) ||
        !il_mul_size(total, cfg->n_arms, &total) ||
        !il_mul_size(cfg->batch, train->dim * sizeof(double), &x) || !il_add_size(total, x, &total))
        return IL_ELIMIT;
    /* one evaluation net at a time, and the losses */
    if (il_mlp_memory(cfg->eval_batch ? cfg->eval_batch : DEFAULT_EVAL_BATCH, train->dim,
                      cfg->widths, cfg->n_layers, &net) != IL_OK ||
        !il_add_size(total, net, &total) ||
        !il_mul_size(cfg->iters, cfg->n_arms * sizeof(double), &x) || !il_add_size(total, x, bytes))
        return IL_ELIMIT;
    return IL_OK;
}

static il_status check_config(const il_train_config *cfg, const il_data *train, const il_data *test,
                              il_error *err)
{
    if (cfg->n_arms == 0 || cfg->n_layers == 0) {
        il__set_error(err, "training needs at least one arm and one layer");
        return IL_EINVAL;
    }
    if (cfg->iters == 0 || cfg->batch == 0) {
        il__set_error(err, "iterations and batch must be at least 1");
        return IL_EINVAL;
    }
    if (!(cfg->lr > 0) || !isfinite(cfg->lr)) {
        il__set_error(err, "the learning rate must be a finite number > 0, not %g", cfg->lr);
        return IL_EINVAL;
    }
    if (!(cfg->weight_decay >= 0) || !isfinite(cfg->weight_decay) ||
        !(cfg->momentum >= 0 && cfg->momentum < 1) ||
        (cfg->opt == IL_OPT_ADAM &&
         (!(cfg->beta1 >= 0 && cfg->beta1 < 1) || !(cfg->beta2 >= 0 && cfg->beta2 < 1) ||
          !(cfg->eps > 0) || !isfinite(cfg->eps)))) {
        il__set_error(err, "weight decay must be >= 0, momentum and the betas in [0, 1), "
                           "eps > 0");
        return IL_EINVAL;
    }
    if (cfg->dtype != IL_DTYPE_F64 && cfg->dtype != IL_DTYPE_F32) {
        il__set_error(err, "unknown dtype %d", (int)cfg->dtype);
        return IL_EINVAL;
    }
    if (cfg->dtype == IL_DTYPE_F32 && cfg->dlfs) {
        il__set_error(err, "the book's reproduction is float64; it cannot be float32");
        return IL_EINVAL;
    }
    if (cfg->widths[cfg->n_layers - 1] != train->classes) {
        il__set_error(err, "the last layer has %zu units but the data has %zu classes",
                      cfg->widths[cfg->n_layers - 1], train->classes);
        return IL_EINVAL;
    }
    if (test && (test->dim != train->dim || test->classes != train->classes)) {
        il__set_error(err,
                      "the test set's rows (%zu values, %zu classes) do not match the "
                      "training set's (%zu, %zu)",
                      test->dim, test->classes, train->dim, train->classes);
        return IL_EINVAL;
    }
    return il_stats_config_check(&cfg->stats);
}

/* The arm's weights and biases, drawn layer by layer. */
static il_status init_net(const il_arm *arm, il_mlp *net, const size_t *widths, size_t n_layers,
                          size_t n_in, il_rng *rng, il_error *err)
{
    size_t prev = n_in;
    for (size_t l = 0; l < n_layers; l++) {
        size_t shape[2] = {prev, widths[l]};
        il_status st =
            il_init_fill(&arm->init, shape, 2, IL_LAYOUT_DENSE, rng, il_mlp_weights(net, l), err);
        if (st == IL_OK && arm->has_bias)
            st =
                il_init_fill_bias(&arm->bias, widths[l], prev, rng, NULL, il_mlp_bias(net, l), err);
        else if (st == IL_OK)
            memset(il_mlp_bias(net, l), 0, widths[l] * sizeof(double));
        if (st != IL_OK)
            return st;
        prev = widths[l];
    }
    return IL_OK;
}

#define IL_TRAIN_T        double
#define IL_TRAIN_DTYPE    IL_DTYPE_F64
#define IL_TRAIN_FN(name) name##_f64
#include "step_impl.h"

#define IL_TRAIN_T        float
#define IL_TRAIN_DTYPE    IL_DTYPE_F32
#define IL_TRAIN_FN(name) name##_f32
#include "step_impl.h"

static il_status train_step(const il_train_config *cfg, size_t t, arm_state *s, const double *x,
                            const size_t *labels, void *grad, size_t n_in, double *loss)
{
    return cfg->dtype == IL_DTYPE_F32 ? train_step_f32(cfg, t, s, x, labels, grad, n_in, loss)
                                      : train_step_f64(cfg, t, s, x, labels, grad, n_in, loss);
}

/* Iterations a thread runs on one arm before it chooses again. */
#define CHUNK 16

static int worker_count(size_t n_arms)
{
    /* explicit, because setting BLAS's threads (openblas_set_num_threads
     * in its OpenMP build) also sets OpenMP's default */
    int procs = omp_get_num_procs();
    return procs < (int)n_arms ? procs : (int)n_arms;
}

/* What the training threads share (train_arms). */
typedef struct train_work {
    const il_train_config *cfg;
    il_train_result *r;
    const il_data *train;
    const size_t *all_idx;
    il_train_progress_fn progress;
    void *ctx;
    size_t *done, *labels, reported;
    unsigned char *busy;
    double *xs, *losses;
    unsigned char *grads; /* A x batch x classes, in the dtype */
    il_status st;
    int stop;
} train_work;

/* One thread's loop: take CHUNK iterations of the arm furthest behind
 * that no other thread holds, until every arm is done. */
static void train_worker(train_work *w)
{
    const il_train_config *cfg = w->cfg;
    size_t A = cfg->n_arms, n_in = w->train->dim, B = cfg->batch,
           grad_bytes = B * cfg->widths[cfg->n_layers - 1] * il_dtype_size(cfg->dtype);
    for (;;) {
        long a = -1;
        int finished = 1;
        size_t t0 = 0, t;
        double step_loss;
        il_status sa = IL_OK;
#pragma omp critical(il_train_pick)
        {
            size_t best = SIZE_MAX;
            for (size_t k = 0; k < A; k++) {
                if (w->done[k] < cfg->iters)
                    finished = 0;
                if (!w->busy[k] && w->done[k] < cfg->iters && w->done[k] < best) {
                    best = w->done[k];
                    a = (long)k;
                }
            }
            if (w->stop)
                finished = 1, a = -1;
            if (a >= 0) {
                w->busy[a] = 1;
                t0 = w->done[a];
            }
        }
        if (finished)
            return;
        if (a < 0) { /* the arms left are all held: wait for one */
            sched_yield();
            continue;
        }
        for (t = t0; t < t0 + CHUNK && t < cfg->iters && sa == IL_OK; t++) {
            const size_t *idx = w->all_idx + t * B;
            double *x = w->xs + (size_t)a * B * n_in;
            size_t *lab = w->labels + (size_t)a * B;
            for (size_t i = 0; i < B; i++) {
                il_data_row(w->train, idx[i], x + i * n_in);
                lab[i] = w->train->labels[idx[i]];
            }
            sa = train_step(cfg, t + 1, &w->r->arms[a], x, lab, w->grads + (size_t)a * grad_bytes,
                            n_in, &step_loss);
        }
#pragma omp critical(il_train_pick)
        {
            size_t lowest = cfg->iters;
            w->done[a] = sa == IL_OK ? t : t - 1;
            w->busy[a] = 0;
            if (sa != IL_OK) {
                w->stop = 1;
                w->st = sa;
            }
            for (size_t k = 0; k < A; k++)
                lowest = w->done[k] < lowest ? w->done[k] : lowest;
            while (!w->stop && w->progress && w->reported < lowest) {
                w->reported++;
                for (size_t k = 0; k < A; k++)
                    w->losses[k] = w->r->arms[k].loss[w->reported - 1];
                w->progress(w->ctx, w->reported, cfg->iters, w->losses);
            }
        }
    }
}

/* Train every arm through all iterations. The minibatches are drawn
 * already, so the arms are independent: each thread takes CHUNK
 * iterations of the arm furthest behind that no other thread holds (BLAS
 * runs single-threaded inside the parallel region). Three arms on two
 * cores then finish together, instead of one arm running alone at the
 * end of every iteration; each arm's arithmetic, and so its result, is
 * the same for any number of threads. Progress is reported in iteration
 * order, once every arm has passed an iteration.
 *
 * A single worker runs outside any OpenMP construct: OpenBLAS's OpenMP
 * build does not count a team of one (or a serialized region) as
 * parallel, starts its own threads inside it, and under LLVM's libomp
 * waits for them forever (seen with clang: a 1-arm run hung in exec_blas). */
static il_status train_arms(const il_train_config *cfg, il_train_result *r, const il_data *train,
                            const size_t *all_idx, il_train_progress_fn progress, void *ctx)
{
    size_t A = cfg->n_arms, B = cfg->batch, classes = cfg->widths[cfg->n_layers - 1];
    int workers = worker_count(A);
    train_work w;

    memset(&w, 0, sizeof w);
    w.cfg = cfg;
    w.r = r;
    w.train = train;
    w.all_idx = all_idx;
    w.progress = progress;
    w.ctx = ctx;
    w.done = il_calloc(A, sizeof *w.done);
    w.labels = il_malloc_n(A, B * sizeof *w.labels);
    w.busy = il_calloc(A, 1);
    w.xs = il_malloc_n(A, B * train->dim * sizeof *w.xs);
    w.grads = il_malloc_n(A, B * classes * il_dtype_size(cfg->dtype));
    w.losses = il_malloc_n(A, sizeof *w.losses);
    if (!w.done || !w.labels || !w.busy || !w.xs || !w.grads || !w.losses) {
        w.st = IL_ENOMEM;
    } else if (workers > 1) {
#pragma omp parallel num_threads(workers)
        train_worker(&w);
    } else {
        train_worker(&w);
    }
    il_free(w.done);
    il_free(w.labels);
    il_free(w.busy);
    il_free(w.xs);
    il_free(w.grads);
    il_free(w.losses);
    return w.st;
}

/* An arm's activation after every layer but the last, whose outputs are
 * the logits ('acts' has n_layers entries, at most MAX_LAYERS). */
static void arm_acts(const il_train_config *cfg, const il_arm *arm, const il_act **acts)
{
    for (size_t l = 0; l < cfg->n_layers; l++)
        acts[l] = l + 1 < cfg->n_layers ? &arm->act : NULL;
}

/* Statistics of every layer's activations for the probe batch 'x'. */
static il_status measure(const il_train_config *cfg, il_mlp *net, const double *x,
                         il_layer_stats *out)
{
    il_status st = il_mlp_forward(net, x);
    for (size_t l = 0; st == IL_OK && l < cfg->n_layers; l++) {
        st = il_layer_stats_init(&out[l], &cfg->stats);
        if (st == IL_OK) {
            il_layer_stats_add(&out[l], il_mlp_act(net, l), cfg->batch * cfg->widths[l]);
            il_layer_stats_finish(&out[l]);
        }
    }
    return st;
}

/* The share of 'd's rows that 'a's weights classify right, in passes of
 * 'eb' rows through an evaluation net (the last pass padded with zeros). */
static il_status accuracy(const il_train_config *cfg, const il_arm *arm, il_mlp *trained,
                          const il_data *d, size_t eb, double *acc)
{
    const il_act *acts[MAX_LAYERS];
    size_t classes = cfg->widths[cfg->n_layers - 1], right = 0, prev = d->dim;
    il_mlp *e = NULL;
    double *x = NULL;
    il_status st;

    if (cfg->n_layers > MAX_LAYERS)
        return IL_ELIMIT;
    arm_acts(cfg, arm, acts);
    st = il_mlp_new(eb, d->dim, cfg->widths, cfg->n_layers, acts, &e);
    if (st != IL_OK)
        return st;
    for (size_t l = 0; l < cfg->n_layers; l++) { /* the trained parameters */
        memcpy(il_mlp_weights(e, l), il_mlp_weights(trained, l),
               prev * cfg->widths[l] * sizeof(double));
        memcpy(il_mlp_bias(e, l), il_mlp_bias(trained, l), cfg->widths[l] * sizeof(double));
        prev = cfg->widths[l];
    }
    x = il_calloc(eb, d->dim * sizeof *x);
    if (!x)
        st = IL_ENOMEM;
    for (size_t r0 = 0; st == IL_OK && r0 < d->n; r0 += eb) {
        size_t rows = d->n - r0 < eb ? d->n - r0 : eb;
        const double *z;
        for (size_t r = 0; r < rows; r++)
            il_data_row(d, r0 + r, x + r * d->dim);
        st = il_mlp_forward(e, x);
        if (st != IL_OK)
            break;
        z = il_mlp_act(e, cfg->n_layers - 1);
        for (size_t r = 0; r < rows; r++) {
            size_t best = 0;
            for (size_t c = 1; c < classes; c++)
                if (z[r * classes + c] > z[r * classes + best])
                    best = c;
            right += best == d->labels[r0 + r];
        }
    }
    *acc = (double)right / (double)d->n;
    il_free(x);
    il_mlp_free(e);
    return st;
}

/* The end of one arm: the trained parameters measured on the probe batch
 * 'x', and its accuracies. */
static il_status finish_arm(const il_train_config *cfg, arm_state *s, const il_arm *arm,
                            const double *x, const il_data *train, const il_data *test, size_t eb)
{
    il_status st;
    if (s->fit != s->net) /* the trained parameters, widened, for measuring */
        il__mlp_copy_params(s->net, s->fit);
    st = measure(cfg, s->net, x, s->end);
    if (st == IL_OK)
        st = accuracy(cfg, arm, s->net, train, eb, &s->train_acc);
    if (st == IL_OK && test)
        st = accuracy(cfg, arm, s->net, test, eb, &s->test_acc);
    return st;
}

static void free_arm(arm_state *a, size_t n_layers)
{
    if (a->fit != a->net)
        il_mlp_free(a->fit);
    il_mlp_free(a->net);
    il_free(a->x);
    il_free(a->v);
    il_free(a->m);
    il_free(a->loss);
    il_free(a->lsuv_iters);
    for (size_t l = 0; l < n_layers; l++) {
        if (a->start)
            il_layer_stats_release(&a->start[l]);
        if (a->end)
            il_layer_stats_release(&a->end[l]);
    }
    il_free(a->start);
    il_free(a->end);
}

void il_train_result_free(il_train_result *r)
{
    if (!r)
        return;
    for (size_t a = 0; r->arms && a < r->n_arms; a++)
        free_arm(&r->arms[a], r->n_layers);
    il_free(r->arms);
    il_free(r);
}

/* The next minibatch's row indices. */
static void draw_batch(const il_train_config *cfg, size_t n, il_rng *rng, size_t *perm, size_t *pos,
                       size_t *idx)
{
    for (size_t i = 0; i < cfg->batch; i++) {
        if (cfg->sampling == IL_SAMPLE_RANDOM) {
            idx[i] = il_dist_bounded(rng, n); /* numpy's legacy masked randint */
            continue;
        }
        if (*pos == n) { /* a new epoch: Fisher-Yates */
            for (size_t k = n - 1; k > 0; k--) {
                size_t j = il_dist_bounded(rng, k + 1), t = perm[k];
                perm[k] = perm[j];
                perm[j] = t;
            }
            *pos = 0;
        }
        idx[i] = perm[(*pos)++];
    }
}

/* The net that trains in cfg->dtype, from the drawn (and rescaled)
 * weights rounded to it, and its minibatch buffer. */
static il_status make_fit(const il_train_config *cfg, arm_state *s, const il_arm *arm, size_t n_in)
{
    const il_act *acts[MAX_LAYERS];
    il_mlp *fit = NULL;
    il_status st;
    arm_acts(cfg, arm, acts);
    st = il__mlp_new(cfg->dtype, cfg->batch, n_in, cfg->widths, cfg->n_layers, acts, &fit);
    if (st != IL_OK)
        return st;
    s->fit = fit; /* freed with the arm from here on */
    s->x = il_malloc_n(cfg->batch, n_in * il_dtype_size(cfg->dtype));
    if (!s->x)
        return IL_ENOMEM;
    il__mlp_copy_params(s->fit, s->net);
    return IL_OK;
}

il_status il_train_run(const il_train_config *cfg, const il_data *train, const il_data *test,
                       il_rng *rng, il_train_progress_fn progress, void *ctx, il_train_result **out,
                       il_error *err)
{
    const il_act *acts[MAX_LAYERS];
    size_t n_in = train->dim, n_params, eb = cfg->eval_batch ? cfg->eval_batch : DEFAULT_EVAL_BATCH,
           es = il_dtype_size(cfg->dtype);
    size_t *all_idx = NULL, *perm = NULL, pos;
    double *x = NULL;
    il_train_result *r;
    il_status st;

    *out = NULL;
    if ((st = check_config(cfg, train, test, err)) != IL_OK)
        return st;
    if (cfg->n_layers > MAX_LAYERS) {
        il__set_error(err, "at most %d layers", MAX_LAYERS);
        return IL_ELIMIT;
    }
    n_params = param_count(cfg->widths, cfg->n_layers, n_in);
    r = il_calloc(1, sizeof *r);
    if (!r)
        return IL_ENOMEM;
    r->n_arms = cfg->n_arms;
    r->n_layers = cfg->n_layers;
    r->iters = cfg->iters;
    r->arms = il_calloc(cfg->n_arms, sizeof *r->arms);
    all_idx = il_malloc_n(cfg->iters, cfg->batch * sizeof *all_idx);
    x = il_malloc_n(cfg->batch, n_in * sizeof *x);
    perm = cfg->sampling == IL_SAMPLE_EPOCHS ? il_malloc_n(train->n, sizeof *perm) : NULL;
    if (!r->arms || !all_idx || !x || (cfg->sampling == IL_SAMPLE_EPOCHS && !perm)) {
        st = IL_ENOMEM;
        goto done;
    }
    /* the nets, drawn arm by arm as the book builds its networks */
    for (size_t a = 0; a < cfg->n_arms; a++) {
        arm_state *s = &r->arms[a];
        arm_acts(cfg, &cfg->arms[a], acts);
        st = il_mlp_new(cfg->batch, n_in, cfg->widths, cfg->n_layers, acts, &s->net);
        if (st != IL_OK)
            goto done;
        s->fit = s->net;
        s->v = il_calloc(n_params, es);
        s->m = cfg->opt == IL_OPT_ADAM ? il_calloc(n_params, es) : NULL;
        s->loss = il_malloc_n(cfg->iters, sizeof *s->loss);
        s->start = il_calloc(cfg->n_layers, sizeof *s->start);
        s->end = il_calloc(cfg->n_layers, sizeof *s->end);
        s->train_acc = s->test_acc = (double)NAN;
        if (!s->v || (cfg->opt == IL_OPT_ADAM && !s->m) || !s->loss || !s->start || !s->end) {
            st = IL_ENOMEM;
            goto done;
        }
        st = init_net(&cfg->arms[a], s->net, cfg->widths, cfg->n_layers, n_in, rng, err);
        if (st != IL_OK)
            goto done;
    }
    /* the probe batch: the first rows of the training set; LSUV rescales
     * on it (it draws nothing, so the minibatches stay paired) */
    for (size_t i = 0; i < cfg->batch; i++)
        il_data_row(train, i % train->n, x + i * n_in);
    for (size_t a = 0; a < cfg->n_arms && st == IL_OK; a++) {
        double tol;
        int max_iter;
        if (il_init_is_lsuv(&cfg->arms[a].init, &tol, &max_iter)) {
            r->arms[a].lsuv_iters = il_malloc_n(cfg->n_layers, sizeof(size_t));
            st = r->arms[a].lsuv_iters
                     ? il_mlp_lsuv(r->arms[a].net, x, tol, max_iter, r->arms[a].lsuv_iters, err)
                     : IL_ENOMEM;
        }
        if (st == IL_OK)
            st = measure(cfg, r->arms[a].net, x, r->arms[a].start);
        if (st == IL_OK && cfg->dtype != IL_DTYPE_F64)
            st = make_fit(cfg, &r->arms[a], &cfg->arms[a], n_in);
    }
    if (perm) {
        for (size_t i = 0; i < train->n; i++)
            perm[i] = i;
    }
    pos = train->n; /* shuffle before the first epoch */
    /* Every minibatch first: training draws nothing else, so this is the
     * order of draws a loop would make, and the arms become independent. */
    for (size_t t = 0; t < cfg->iters; t++)
        draw_batch(cfg, train->n, rng, perm, &pos, all_idx + t * cfg->batch);
    if (st == IL_OK)
        st = train_arms(cfg, r, train, all_idx, progress, ctx);
    for (size_t i = 0; st == IL_OK && i < cfg->batch; i++)
        il_data_row(train, i % train->n, x + i * n_in);
    if (st == IL_OK) { /* the end: statistics and accuracies, an arm per thread */
        il_status worst = IL_OK;
        long n_arms = (long)cfg->n_arms;
        int workers = worker_count(cfg->n_arms);
        if (workers > 1) { /* (see train_arms on a single worker) */
#pragma omp parallel for schedule(dynamic, 1) num_threads(workers)
            for (long a = 0; a < n_arms; a++) {
                il_status sa = finish_arm(cfg, &r->arms[a], &cfg->arms[a], x, train, test, eb);
                if (sa != IL_OK) {
#pragma omp critical
                    worst = sa;
                }
            }
        } else {
            for (size_t a = 0; a < cfg->n_arms && worst == IL_OK; a++)
                worst = finish_arm(cfg, &r->arms[a], &cfg->arms[a], x, train, test, eb);
        }
        st = worst;
    }
done:
    il_free(all_idx);
    il_free(x);
    il_free(perm);
    if (st != IL_OK) {
        il_train_result_free(r);
        return st;
    }
    *out = r;
    return IL_OK;
}

size_t il_train_arm_count(const il_train_result *r)
{
    return r->n_arms;
}

size_t il_train_layer_count(const il_train_result *r)
{
    return r->n_layers;
}

size_t il_train_iters(const il_train_result *r)
{
    return r->iters;
}

const double *il_train_loss(const il_train_result *r, size_t arm)
{
    return r->arms[arm].loss;
}

double il_train_final_loss(const il_train_result *r, size_t arm)
{
    size_t k = r->iters < FINAL_WINDOW ? r->iters : FINAL_WINDOW;
    double s = 0.0;
    for (size_t i = r->iters - k; i < r->iters; i++)
        s += r->arms[arm].loss[i];
    return s / (double)k;
}

double il_train_accuracy(const il_train_result *r, size_t arm, int test)
{
    return test ? r->arms[arm].test_acc : r->arms[arm].train_acc;
}

const il_layer_stats *il_train_stats(const il_train_result *r, size_t arm, size_t layer, int end)
{
    return end ? &r->arms[arm].end[layer] : &r->arms[arm].start[layer];
}

const size_t *il_train_lsuv_iters(const il_train_result *r, size_t arm)
{
    return r->arms[arm].lsuv_iters;
}
