/* SPDX-License-Identifier: MIT */
/* Terminal niceties: tty detection and one-line Unicode histograms. */
#include <math.h>
#include <unistd.h>

#include "cli.h"

int term_is_tty(FILE *f)
{
    return isatty(fileno(f));
}

void term_sparkline(FILE *f, const size_t *counts, size_t bins, size_t width)
{
    static const char *const blocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    size_t max = 0;

    if (bins == 0 || width == 0)
        return;
    /* Cell c covers bins [c*bins/width, (c+1)*bins/width). */
    for (size_t c = 0; c < width; c++) {
        size_t b0 = c * bins / width, b1 = (c + 1) * bins / width, sum = 0;
        if (b1 <= b0)
            b1 = b0 + 1;
        for (size_t b = b0; b < b1; b++)
            sum += counts[b];
        if (sum > max)
            max = sum;
    }
    for (size_t c = 0; c < width; c++) {
        size_t b0 = c * bins / width, b1 = (c + 1) * bins / width, sum = 0, level;
        if (b1 <= b0)
            b1 = b0 + 1;
        for (size_t b = b0; b < b1; b++)
            sum += counts[b];
        /* Heights on a square-root scale, so that a spike (ReLU's zeros)
         * does not flatten the rest; any non-empty cell shows at least the
         * lowest block. */
        level = sum ? (size_t)ceil(8.0 * sqrt((double)sum / (double)max)) : 0;
        fputs(blocks[level], f);
    }
}
