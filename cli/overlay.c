/* SPDX-License-Identifier: MIT */
/*
 * Mean-field theory beside measurement (run --theory, lecture --theory):
 * predicted histograms for the panels of a figure, from the predictions
 * the run layer made.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

il_status cli_theory_grid(const il_run_result *t, const il_arm *arms, const size_t *arm_of,
                          size_t rows, const size_t *layer_of, size_t cols,
                          const il_layer_stats *const *panels, double **expected)
{
    for (size_t i = 0; i < rows * cols; i++)
        expected[i] = NULL;
    for (size_t r = 0; r < rows; r++) {
        const il_theory_layer *th = il_run_result_theory(t, arm_of[r]);
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
