/* SPDX-License-Identifier: MIT */
/*
 * Mean-field theory beside measurement (run --theory, lecture --theory):
 * each arm's predicted per-layer statistics, and predicted histograms for
 * the panels of a figure.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

il_status cli_theory_make(const il_exp_config *cfg, cli_theory *t)
{
    size_t n;

    memset(t, 0, sizeof *t);
    if (!il_mul_size(cfg->n_arms, cfg->n_layers, &n))
        return IL_ELIMIT;
    t->n_arms = cfg->n_arms;
    t->n_layers = cfg->n_layers;
    t->layers = il_malloc_n(n, sizeof *t->layers);
    t->notes = il_malloc_n(cfg->n_arms, sizeof *t->notes);
    if (!t->layers || !t->notes) {
        cli_theory_free(t);
        return IL_ENOMEM;
    }
    for (size_t a = 0; a < cfg->n_arms; a++) {
        il_error *note = &t->notes[a];
        il_status st;
        note->message[0] = '\0';
        st = il_exp_theory(cfg, a, t->layers + a * cfg->n_layers, note);
        if (st == IL_ENOMEM) {
            cli_theory_free(t);
            return st;
        }
        if (st != IL_OK && !note->message[0])
            snprintf(note->message, sizeof note->message, "%s", il_status_str(st));
        else if (st == IL_OK)
            note->message[0] = '\0';
    }
    return IL_OK;
}

void cli_theory_free(cli_theory *t)
{
    il_free(t->layers);
    il_free(t->notes);
    memset(t, 0, sizeof *t);
}

const il_theory_layer *cli_theory_arm(const cli_theory *t, size_t arm)
{
    if (!t || !t->layers || arm >= t->n_arms || t->notes[arm].message[0])
        return NULL;
    return t->layers + arm * t->n_layers;
}

const char *cli_theory_note(const cli_theory *t, size_t arm)
{
    if (!t || !t->notes || arm >= t->n_arms || !t->notes[arm].message[0])
        return NULL;
    return t->notes[arm].message;
}

il_status cli_theory_grid(const cli_theory *t, const il_arm *arms, const size_t *arm_of,
                          size_t rows, const size_t *layer_of, size_t cols,
                          const il_layer_stats *const *panels, double **expected)
{
    for (size_t i = 0; i < rows * cols; i++)
        expected[i] = NULL;
    for (size_t r = 0; r < rows; r++) {
        const il_theory_layer *th = cli_theory_arm(t, arm_of[r]);
        for (size_t c = 0; th && c < cols; c++) {
            const il_layer_stats *s = panels[r * cols + c];
            double *e = il_malloc_n(s->bins, sizeof *e);
            if (!e) {
                cli_theory_grid_free(expected, rows * cols);
                return IL_ENOMEM;
            }
            if (il_theory_hist(&arms[arm_of[r]].act, th[layer_of[c]].q, s->lo, s->hi, s->bins, e,
                               NULL, NULL) != IL_OK) {
                il_free(e);
                e = NULL;
            }
            expected[r * cols + c] = e;
        }
    }
    return IL_OK;
}

void cli_theory_grid_free(double **expected, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        il_free(expected[i]);
        expected[i] = NULL;
    }
}
