/* SPDX-License-Identifier: MIT */
/* The PNG writer used by src/plot: rows go in as they are drawn. */
#ifndef INITLAB_INTERNAL_PNG_H
#define INITLAB_INTERNAL_PNG_H

#include "initlab/sink.h"

typedef struct il__png il__png;

/* Start a width x height 8-bit RGB PNG on the sink: writes the signature
 * and header. IL_EINVAL for an empty image, IL_ENOMEM, or the sink's error. */
il_status il__png_begin(int width, int height, il_write_fn w, void *ctx, il__png **out);

/* Add 'n_rows' rows in cairo's ARGB32 layout (native-endian uint32
 * 0xAARRGGBB, premultiplied, 'stride' bytes a row), composited onto white. */
il_status il__png_rows(il__png *p, const unsigned char *pixels, int n_rows, int stride);

/* Finish the stream (all rows must have been added) and free 'p'; with
 * 'abandon' set, only free it. */
il_status il__png_end(il__png *p, int abandon);

#endif
