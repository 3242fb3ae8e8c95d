/* SPDX-License-Identifier: MIT */
/* The PNG writer used by src/plot. */
#ifndef INITLAB_INTERNAL_PNG_H
#define INITLAB_INTERNAL_PNG_H

#include "initlab/io.h"

/* Write an image in cairo's ARGB32 layout (native-endian uint32 0xAARRGGBB,
 * premultiplied, 'stride' bytes a row) as an 8-bit RGB PNG, composited
 * onto a white background. */
il_status il__png_write(const unsigned char *pixels, int width, int height, int stride,
                        il_write_fn w, void *ctx);

#endif
