/* SPDX-License-Identifier: MIT */
/*
 * initlab lecture: the lecture's three exercises, exactly.
 *
 * Each exercise starts from np.random.seed(seed) and draws as the lecture's
 * code does: the inputs of every network first (x_1, then x_2), then per
 * layer each network's weights in listing order (w_1, then w_2). Outputs go
 * to DIR (default initlab-out/lecture): report.json, stats.csv, figures
 * ex<K>/net<N>.<fmt> and ex<K>/compare.<fmt>, and with --save-activations
 * ex<K>/net<N>_layer<L>.npy.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define LECTURE_BATCH  1000
#define LECTURE_WIDTH  100
#define LECTURE_LAYERS 5
#define MAX_NETS       2

typedef struct lecture_net {
    const char *init; /* spec string */
    const char *act;
    const char *label;
} lecture_net;

typedef struct lecture_exercise {
    const char *title;
    lecture_net nets[MAX_NETS];
    size_t n_nets;
} lecture_exercise;

/* The lecture's listings, in order. */
static const lecture_exercise exercises[] = {
    {"Exercise 1: naive initialization, N(0,1) and N(0,0.01^2), sigmoid",
     {{"normal:mean=0,std=1", "sigmoid", "N(0,1) + sigmoid"},
      {"normal:mean=0,std=0.01", "sigmoid", "N(0,0.01²) + sigmoid"}},
     2},
    {"Exercise 2: Xavier (std 1/sqrt(n)) with sigmoid and with ReLU",
     {{"lecture_xavier", "sigmoid", "Xavier + sigmoid"},
      {"lecture_xavier", "relu", "Xavier + ReLU"}},
     2},
    {"Exercise 3: He (std sqrt(2/n)) with ReLU", {{"lecture_he", "relu", "He + ReLU"}}, 1},
};

#define N_EXERCISES (sizeof exercises / sizeof exercises[0])

static const char *out_dir = "initlab-out/lecture";
static const char *format_name = "png";
static uint64_t seed = 100;
static size_t bins = 30;
static double range[2] = {0.0, 1.0};
static int save_activations, json, theory;
/* Each exercise's run and its result (with --theory, its predictions);
 * made before its figures are queued and read-only afterwards, so the
 * figure thread may read them. */
static il_run_spec runs[N_EXERCISES];
static il_run_result *results[N_EXERCISES];

static const cli_option lecture_options[] = {
    {"seed", CLI_SEED, &seed, "N", "np.random.seed for every exercise (default 100)", 0},
    {"out", CLI_STRING, &out_dir, "DIR", "output folder (default initlab-out/lecture)", 0},
    {"format", CLI_STRING, &format_name, "FMT", "figure format: png, svg or pdf (default png)", 0},
    {"bins", CLI_SIZE, &bins, "N", "histogram bins (default 30, as Visual)", 0},
    {"range", CLI_RANGE, range, "LO,HI", "histogram range (default 0,1, as Visual)", 0},
    {"save-activations", CLI_FLAG, &save_activations, NULL,
     "write every layer's activations as ex<K>/net<N>_layer<L>.npy", 0},
    {"theory", CLI_FLAG, &theory, NULL,
     "mean-field theory's prediction beside each layer (tables, figures, report)", 0},
    {"json", CLI_FLAG, &json, NULL, "print report.json to stdout instead of the tables", 0},
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

void cmd_lecture_help(FILE *f)
{
    fprintf(f, "usage: initlab lecture [1|2|3|all] [options]\n\n"
               "Reproduce the lecture on weight initialization: 1000 standard-normal inputs,\n"
               "5 layers of 100 units, no bias, y = act(x W); per-layer histograms of the\n"
               "activations, 30 bins over [0, 1] like the lecture's Visual.\n"
               "  1  N(0,1) and N(0,0.01^2) weights with sigmoid\n"
               "  2  Xavier (std 1/sqrt(n)) with sigmoid and with ReLU\n"
               "  3  He (std sqrt(2/n)) with ReLU\n"
               "The random numbers are numpy's (legacy MT19937, np.random.seed), drawn in the\n"
               "lecture's order, so every weight equals the lecture's Python.\n\n"
               "Options:\n");
    cli_print_options(f, lecture_options);
    fprintf(f, "\nOutputs in DIR: report.json, stats.csv, ex<K>/net<N>.<fmt> (one panel per\n"
               "layer), ex<K>/compare.<fmt> (networks x layers on shared axes). With\n"
               "--theory the predicted histograms are drawn in red (see docs/theory.md).\n");
}

/* ---- running ---- */

typedef struct run_ctx {
    char ex_dir[4096];
    il_error err;
} run_ctx;

static il_status save_layer(void *vctx, size_t arm, size_t layer, const double *act, size_t rows,
                            size_t cols)
{
    run_ctx *ctx = vctx;
    char path[4200];
    size_t shape[2] = {rows, cols};

    snprintf(path, sizeof path, "%s/net%zu_layer%zu.npy", ctx->ex_dir, arm + 1, layer + 1);
    return cli_write_npy(path, act, shape, 2, 0, &ctx->err);
}

/* Exercise 'e' as a run: the listing's networks of LECTURE_LAYERS dense
 * layers without bias on a standard-normal batch, each its own draws in
 * the listing's order from np.random.seed(seed). */
static il_status exercise_spec(size_t e, il_run_spec *s, il_error *err)
{
    const lecture_exercise *ex = &exercises[e];
    il_status st;

    il_run_spec_init(s);
    if ((st = il_run_spec_set_uniform(s, LECTURE_LAYERS, LECTURE_WIDTH)) != IL_OK)
        return st;
    s->batch = LECTURE_BATCH;
    s->seed = seed;
    s->rng = il_rng_find("mt19937");
    s->order = IL_EXP_LECTURE;
    s->bins = bins;
    s->lo = range[0];
    s->hi = range[1];
    s->theory = theory;
    strcpy(s->input, "normal:mean=0,std=1");
    for (size_t k = 0; k < ex->n_nets; k++) {
        snprintf(s->arms[k].init, sizeof s->arms[k].init, "%s", ex->nets[k].init);
        snprintf(s->arms[k].act, sizeof s->arms[k].act, "%s", ex->nets[k].act);
    }
    s->n_arms = ex->n_nets;
    return il_run_spec_validate(s, err);
}

/* ---- the terminal ---- */

static double pct(double f)
{
    return isfinite(f) ? 100.0 * f : (double)NAN;
}

/* The lecture's lesson for network k of exercise e, with a measured figure. */
static void print_lesson(FILE *f, size_t e, size_t k, const il_exp_result *r)
{
    const il_layer_stats *first = il_exp_stats(r, k, 0);
    const il_layer_stats *last = il_exp_stats(r, k, LECTURE_LAYERS - 1);

    fputs("  → ", f);
    if (e == 0 && k == 0)
        fprintf(f,
                "activations pile up at 0 and 1 (layer 5: %.0f%% below 0.01 or above 0.99): "
                "saturation, so gradients vanish\n",
                pct(last->frac_low + last->frac_high));
    else if (e == 0)
        fprintf(f,
                "activations collapse around 0.5 (layer 5 std %.4f): every unit alike, "
                "no expressiveness\n",
                last->std);
    else if (e == 1 && k == 0)
        fprintf(f,
                "a broad, healthy spread in every layer (std %.3f at layer 1, %.3f at "
                "layer 5)\n",
                first->std, last->std);
    else if (e == 1)
        fprintf(f,
                "activations shrink toward 0 with depth (std %.3f at layer 1, %.3f at "
                "layer 5): Xavier is a poor fit for ReLU\n",
                first->std, last->std);
    else
        fprintf(f,
                "the spread stays the same in every layer (std %.3f at layer 1, %.3f at "
                "layer 5): He suits ReLU\n",
                first->std, last->std);
}

static void print_network(FILE *f, size_t e, size_t k, const il_exp_result *r, const char *spec,
                          int tty)
{
    const lecture_net *n = &exercises[e].nets[k];
    const il_theory_layer *pred = theory ? il_run_result_theory(results[e], k) : NULL;

    fprintf(f, "\n  network %zu: %s   (init %s, act %s)\n", k + 1, n->label, spec, n->act);
    fprintf(f, "    layer      mean       std       max   <0.01   >0.99   zeros  outside%s%s\n",
            pred ? "  theory mean  theory std" : "", tty ? "  histogram (√count)" : "");
    for (size_t l = 0; l < LECTURE_LAYERS; l++) {
        const il_layer_stats *s = il_exp_stats(r, k, l);
        double finite = (double)(s->count - s->nonfinite);
        double outside = finite > 0 ? 100.0 * (double)(s->below + s->above) / finite : (double)NAN;
        fprintf(f, "    %5zu  %8.4f  %8.4f  %8.4f  %5.1f%%  %5.1f%%  %5.1f%%  %6.1f%%", l + 1,
                s->mean, s->std, s->max, pct(s->frac_low), pct(s->frac_high), pct(s->frac_zero),
                outside);
        if (pred)
            fprintf(f, "  %11.4f  %10.4f", pred[l].act_mean, pred[l].act_std);
        if (s->nonfinite)
            fprintf(f, "  non-finite %zu", s->nonfinite);
        if (tty) {
            fputs("  ", f);
            term_sparkline(f, s->counts, s->bins, 30);
        }
        fputc('\n', f);
    }
    print_lesson(f, e, k, r);
}

/* ---- files ---- */

/* Figure 'which' of exercise 'e': network which+1 (one row, its own y
 * axes), or, for which == n_nets, all networks on shared axes. */
static il_status write_figure(const char *ex_dir, size_t e, size_t which, const il_exp_result *r,
                              il_plot_format fmt, il_error *err)
{
    const lecture_exercise *ex = &exercises[e];
    const il_layer_stats *panels[MAX_NETS * LECTURE_LAYERS];
    double *expected[MAX_NETS * LECTURE_LAYERS];
    const char *labels[MAX_NETS];
    static const size_t layer_of[LECTURE_LAYERS] = {0, 1, 2, 3, 4}, arm_of[MAX_NETS] = {0, 1};
    char path[4200], title[256];
    const char *note = theory ? " (red: mean-field theory)" : "";
    il_hist_grid g = {title,  1, LECTURE_LAYERS, NULL,
                      panels, 0, NULL,           theory ? (const double *const *)expected : NULL};
    il_status st = IL_OK;

    if (which < ex->n_nets) {
        for (size_t l = 0; l < LECTURE_LAYERS; l++)
            panels[l] = il_exp_stats(r, which, l);
        snprintf(title, sizeof title, "Exercise %zu, network %zu: %s%s", e + 1, which + 1,
                 ex->nets[which].label, note);
        snprintf(path, sizeof path, "%s/net%zu.%s", ex_dir, which + 1, il_plot_format_ext(fmt));
    } else {
        for (size_t k = 0; k < ex->n_nets; k++) {
            labels[k] = ex->nets[k].label;
            for (size_t l = 0; l < LECTURE_LAYERS; l++)
                panels[k * LECTURE_LAYERS + l] = il_exp_stats(r, k, l);
        }
        g.rows = ex->n_nets;
        g.row_labels = labels;
        g.shared_y = 1;
        snprintf(title, sizeof title, "Exercise %zu (shared axes)%s", e + 1, note);
        snprintf(path, sizeof path, "%s/compare.%s", ex_dir, il_plot_format_ext(fmt));
    }
    if (theory)
        st = cli_theory_grid(results[e], runs[e].parsed,
                             which < ex->n_nets ? arm_of + which : arm_of, g.rows, layer_of,
                             LECTURE_LAYERS, panels, expected);
    if (st == IL_OK)
        st = cli_write_grid(path, &g, fmt, err);
    if (theory)
        cli_theory_grid_free(expected, g.rows * LECTURE_LAYERS);
    return st;
}

/* Drawing and compressing the figures costs about as much as computing the
 * exercises, so they are drawn from a queue by a second thread while the
 * exercises compute, and by both threads once the computing is done. */
#define MAX_FIGURES (N_EXERCISES * (MAX_NETS + 1))

typedef struct figure_task {
    size_t e, which;
    const il_exp_result *r;
} figure_task;

typedef struct figure_queue {
    pthread_mutex_t lock;
    pthread_cond_t more;
    figure_task tasks[MAX_FIGURES];
    size_t n_tasks, next;
    int closed;   /* no more tasks will come */
    il_status st; /* the first failure */
    il_error err;
    il_plot_format fmt;
    const char *out_dir;
} figure_queue;

/* Take tasks until the queue is closed and empty (or something failed). */
static void *figure_worker(void *p)
{
    figure_queue *q = p;
    /* Load the fonts while the first exercise computes. */
    il_plot_prepare();
    for (;;) {
        figure_task t;
        il_error err;
        il_status st;
        char ex_dir[4096];

        pthread_mutex_lock(&q->lock);
        while (q->next == q->n_tasks && !q->closed && q->st == IL_OK)
            pthread_cond_wait(&q->more, &q->lock);
        if (q->next == q->n_tasks || q->st != IL_OK) {
            pthread_mutex_unlock(&q->lock);
            return NULL;
        }
        t = q->tasks[q->next++];
        pthread_mutex_unlock(&q->lock);

        err.message[0] = '\0';
        snprintf(ex_dir, sizeof ex_dir, "%s/ex%zu", q->out_dir, t.e + 1);
        st = write_figure(ex_dir, t.e, t.which, t.r, q->fmt, &err);
        if (st != IL_OK) {
            pthread_mutex_lock(&q->lock);
            if (q->st == IL_OK) {
                q->st = st;
                q->err = err;
            }
            pthread_cond_broadcast(&q->more);
            pthread_mutex_unlock(&q->lock);
        }
    }
}

static void figure_queue_add(figure_queue *q, size_t e, const il_exp_result *r)
{
    pthread_mutex_lock(&q->lock);
    for (size_t k = 0; k <= exercises[e].n_nets; k++)
        q->tasks[q->n_tasks++] = (figure_task){e, k, r};
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->lock);
}

static void figure_queue_close(figure_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->more);
    pthread_mutex_unlock(&q->lock);
}

/* Which exercises: "1", "2", "3" or "all" (the default). */
static int pick_exercises(int npos, char **pos, int *chosen)
{
    if (npos == 0) {
        for (size_t e = 0; e < N_EXERCISES; e++)
            chosen[e] = 1;
        return 0;
    }
    for (int i = 0; i < npos; i++) {
        if (strcmp(pos[i], "all") == 0) {
            for (size_t e = 0; e < N_EXERCISES; e++)
                chosen[e] = 1;
        } else if (strlen(pos[i]) == 1 && pos[i][0] >= '1' && pos[i][0] <= '3') {
            chosen[pos[i][0] - '1'] = 1;
        } else {
            cli_error("lecture: unknown exercise '%s' (valid: 1, 2, 3, all)", pos[i]);
            return EXIT_USAGE;
        }
    }
    return 0;
}

int cmd_lecture(int argc, char **argv)
{
    int npos, rc, fmt, chosen[N_EXERCISES] = {0};
    char specs[N_EXERCISES][MAX_NETS][128];
    il_report_net rnets[N_EXERCISES][MAX_NETS];
    il_report_group groups[N_EXERCISES];
    size_t n_groups = 0, n_figures = 0;
    il_run_hooks hooks = {NULL, NULL, NULL, NULL};
    struct timespec t0;
    run_ctx ctx;
    figure_queue figq;
    pthread_t fig_thread;
    int fig_thread_running = 0;
    il_status st = IL_OK;
    FILE *out = stdout;
    int tty;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!cli_begin("lecture", lecture_options, NULL, cmd_lecture_help, -1, argc, argv, &npos, &rc))
        return rc;
    rc = pick_exercises(npos, argv + 1, chosen);
    if (rc)
        return rc;
    fmt = il_plot_format_from_name(format_name);
    if (fmt < 0) {
        cli_error("lecture: unknown format '%s' (valid: png, svg, pdf)", format_name);
        return EXIT_USAGE;
    }
    if (bins == 0 || bins > IL_HIST_MAX_BINS) {
        cli_error("lecture: invalid value '%zu' for --bins: expected 1..%d", bins,
                  IL_HIST_MAX_BINS);
        return EXIT_USAGE;
    }
    if ((rc = cli_outdir_open("lecture", out_dir)) != 0)
        return rc;
    tty = term_is_tty(out);
    memset(&ctx, 0, sizeof ctx);
    if (save_activations) {
        hooks.on_layer = save_layer;
        hooks.ctx = &ctx;
    }
    /* 1000x100x100 products are too small to share; the second core draws
     * the figures instead. */
    il_blas_set_threads(1);
    memset(&figq, 0, sizeof figq);
    pthread_mutex_init(&figq.lock, NULL);
    pthread_cond_init(&figq.more, NULL);
    figq.fmt = (il_plot_format)fmt;
    figq.out_dir = out_dir;
    fig_thread_running = pthread_create(&fig_thread, NULL, figure_worker, &figq) == 0;

    /* Each exercise starts from its own seed, so the order of computing
     * them is free: the smallest first, so that the figure thread has work
     * early. Tables, report and files keep the lecture's order. */
    for (size_t step = 0; step < N_EXERCISES && st == IL_OK; step++) {
        size_t e = N_EXERCISES - 1 - step;
        const lecture_exercise *ex = &exercises[e];

        if (!chosen[e])
            continue;
        if ((st = exercise_spec(e, &runs[e], &ctx.err)) != IL_OK)
            break;
        snprintf(ctx.ex_dir, sizeof ctx.ex_dir, "%s/ex%zu", out_dir, e + 1);
        if ((rc = cli_mkdirs(ctx.ex_dir)) != 0) {
            cli_error("lecture: cannot create output folder '%s': %s", ctx.ex_dir, strerror(rc));
            rc = EXIT_RUNTIME;
            goto done;
        }
        ctx.err.message[0] = '\0';
        st = il_run_execute(&runs[e], &hooks, &results[e], &ctx.err);
        if (st != IL_OK)
            break;
        figure_queue_add(&figq, e, il_run_result_exp(results[e]));
        n_figures += ex->n_nets + 1;
    }
    for (size_t e = 0; e < N_EXERCISES && st == IL_OK; e++) {
        const lecture_exercise *ex = &exercises[e];
        if (!results[e])
            continue;
        for (size_t k = 0; k < ex->n_nets; k++) {
            il_init_format(&runs[e].parsed[k].init, specs[e][k], sizeof specs[e][k]);
            rnets[e][k] = (il_report_net){specs[e][k],
                                          ex->nets[k].act,
                                          ex->nets[k].label,
                                          il_run_result_exp(results[e]),
                                          k,
                                          NULL,
                                          theory ? il_run_result_theory(results[e], k) : NULL,
                                          theory ? il_run_result_theory_note(results[e], k) : NULL,
                                          NULL,
                                          NULL,
                                          NULL};
        }
        groups[n_groups++] = (il_report_group){e + 1, rnets[e], ex->n_nets};
        if (!json) {
            fprintf(out, "\n%s\n", ex->title);
            for (size_t k = 0; k < ex->n_nets; k++)
                print_network(out, e, k, il_run_result_exp(results[e]), specs[e][k], tty);
        }
    }
    /* No more figures will come. Write the report while the figure thread
     * draws, then help it with what is left. */
    figure_queue_close(&figq);
    if (st == IL_OK) {
        il_report report = {"lecture", seed, "mt19937", groups, n_groups, 0, NULL, theory};
        st = cli_write_report(out_dir, &report, &ctx.err);
        if (st == IL_OK && json) {
            il_membuf mb = {0};
            st = il_report_write_json(&report, il_membuf_write, &mb);
            if (st == IL_OK)
                fwrite(mb.data, 1, mb.len, out);
            il_membuf_release(&mb);
        }
    }
    if (st == IL_OK)
        figure_worker(&figq);
    if (fig_thread_running)
        pthread_join(fig_thread, NULL);
    fig_thread_running = 0;
    if (st == IL_OK && figq.st != IL_OK) {
        st = figq.st;
        ctx.err = figq.err;
    }
    if (st != IL_OK) {
        if (ctx.err.message[0])
            cli_error("lecture: %s", ctx.err.message);
        else
            cli_error("lecture: %s", il_status_str(st));
        rc = cli_exit_for(st);
        goto done;
    }
    if (!json) {
        char safe[TERM_ESCAPE_MAX];
        fprintf(out, "\nwrote %s/: report.json, stats.csv, %zu figures (%s)%s in %.2f s\n",
                term_escape(safe, sizeof safe, out_dir), n_figures, format_name,
                save_activations ? ", activations (.npy)" : "", cli_seconds_since(&t0));
    }
    rc = EXIT_OK;
done:
    /* On an early exit the figure thread may still be drawing from the
     * results freed below: let it finish first. */
    if (fig_thread_running) {
        figure_queue_close(&figq);
        pthread_join(fig_thread, NULL);
    }
    for (size_t e = 0; e < N_EXERCISES; e++) {
        il_run_result_free(results[e]);
        results[e] = NULL;
        il_run_spec_release(&runs[e]);
    }
    return rc;
}
