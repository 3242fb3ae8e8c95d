/* SPDX-License-Identifier: MIT */
/* Terminal niceties: tty detection, one-line Unicode histograms, and user
 * text made safe to show (no escape sequence of a file name or a JSON key
 * reaches the terminal). */
#include <assert.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The length of the character at s[0..n) if it may reach a terminal as it
 * is, or 0 if s[0] must be shown as \xNN: C0 controls and DEL, the C1
 * controls U+0080..U+009F (C2 80..9F), and any byte outside well-formed
 * UTF-8 (to a terminal in a legacy 8-bit mode a lone 0x9b is CSI). */
static size_t plain_length(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return s[0] >= 0x20 && s[0] != 0x7F;
    if (s[0] == 0xC2 && n > 1 && s[1] < 0xA0) /* U+0080..U+009F */
        return 0;
    return il_utf8_length(s, n);
}

void term_write(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t run = 0, k;
        while (i + run < len && (k = plain_length(p + i + run, len - i - run)) > 0)
            run += k;
        fwrite(p + i, 1, run, f);
        i += run;
        if (i < len)
            fprintf(f, "\\x%02x", p[i++]);
    }
}

const char *term_escape(char *buf, size_t cap, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), used = 0, total = 0, room;

    assert(cap >= 4); /* room for "..." and the NUL */
    for (size_t i = 0; i < len;) {
        size_t k = plain_length(p + i, len - i);
        total += k ? k : 4;
        i += k ? k : 1;
    }
    room = total < cap ? cap - 1 : cap - 4; /* all of it, or what fits before "..." */
    for (size_t i = 0; i < len;) {
        size_t k = plain_length(p + i, len - i);
        if (used + (k ? k : 4) > room)
            break;
        if (k) {
            memcpy(buf + used, p + i, k);
            used += k;
            i += k;
        } else {
            snprintf(buf + used, 5, "\\x%02x", p[i++]);
            used += 4;
        }
    }
    if (total >= cap) {
        memcpy(buf + used, "...", 3);
        used += 3;
    }
    buf[used] = '\0';
    return buf;
}

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
