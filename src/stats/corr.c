/* SPDX-License-Identifier: MIT */
/* The correlation between a batch's rows: the quantity mean-field theory's
 * correlation map predicts for two inputs (docs/theory.md). */
#include <math.h>

#include "initlab/alloc.h"
#include "initlab/stats.h"

il_status il_stats_row_corr(const void *y, il_dtype dtype, size_t rows, size_t cols, double *corr)
{
    const float *yf = y;
    const double *yd = y;
    double *col, sq = 0.0, cross = 0.0;

    *corr = (double)NAN;
    if (rows < 2 || cols == 0)
        return IL_OK;
    col = il_calloc(cols, sizeof *col);
    if (!col)
        return IL_ENOMEM;
    /* Row by row, so each value is read once and in order; the column
     * sums give sum_{a,b} y_a . y_b = |sum_a y_a|^2 at the end. */
    for (size_t a = 0; a < rows; a++)
        for (size_t j = 0; j < cols; j++) {
            double v = dtype == IL_DTYPE_F32 ? (double)yf[a * cols + j] : yd[a * cols + j];
            col[j] += v;
            sq += v * v;
        }
    for (size_t j = 0; j < cols; j++)
        cross += col[j] * col[j];
    il_free(col);
    if (isfinite(sq) && isfinite(cross) && sq > 0)
        *corr = (cross - sq) / ((double)(rows - 1) * sq);
    return IL_OK;
}
