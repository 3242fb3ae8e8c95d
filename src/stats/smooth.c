/* SPDX-License-Identifier: MIT */
/* Smoothing a series for its plot: the book's smooth_curve (Deep Learning
 * from Scratch, common/util.py), which weight_init_compare.py draws its
 * loss curves with. */
#include <math.h>
#include <string.h>

#include "initlab/stats.h"

/* I0, the modified Bessel function of the first kind, by its series (the
 * terms fall fast for the small arguments of a Kaiser window). */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4;
    for (int k = 1; k < 60 && term > 1e-18 * sum; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
    }
    return sum;
}

void il_smooth_curve(const double *y, size_t n, double *out)
{
    enum {
        LEN = 11,
        HALF = 5
    };
    double w[LEN], total = 0.0;

    if (n < LEN) {
        memmove(out, y, n * sizeof *y);
        return;
    }
    for (int k = 0; k < LEN; k++) { /* np.kaiser(11, 2) */
        double t = 2.0 * k / (LEN - 1) - 1.0;
        w[k] = bessel_i0(2.0 * sqrt(1 - t * t)) / bessel_i0(2.0);
        total += w[k];
    }
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (int k = 0; k < LEN; k++) {
            /* np.r_[x[10:0:-1], x, x[-1:-11:-1]]: mirrored without the first
             * value on the left, with the last value on the right */
            long t = (long)i - HALF + k;
            double v = t < 0 ? y[-t] : (t >= (long)n ? y[2 * (long)n - 1 - t] : y[t]);
            s += (w[k] / total) * v;
        }
        out[i] = s;
    }
}
