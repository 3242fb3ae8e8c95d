/* SPDX-License-Identifier: MIT */
/*
 * Byte sinks (src/io/sink.c): where writers put their bytes, and atomic
 * file replacement.
 *
 * Writers produce bytes through an il_write_fn, so the same code writes to a
 * file, a memory buffer in tests, or an HTTP response. This header is all a
 * writer needs (plot.h and report.h include it rather than all of io.h).
 *
 * Files are replaced atomically: the bytes go to a temporary file created
 * beside the target (same folder, O_EXCL, named ".NAME.XXXXXX.tmp"), which
 * is flushed to disk and renamed over the target only when complete. An
 * interrupted or failed write leaves the old file (or no file), never a
 * half-written one.
 */
#ifndef INITLAB_SINK_H
#define INITLAB_SINK_H

#include <stddef.h>

#include "initlab/spec.h"
#include "initlab/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write 'n' bytes of 'buf'; IL_OK or an error status. */
typedef il_status (*il_write_fn)(void *ctx, const void *buf, size_t n);

/* A growable memory buffer usable as a sink: il_membuf_write is an
 * il_write_fn whose ctx is an il_membuf. Start from {0}; release with
 * il_membuf_release. */
typedef struct il_membuf {
    unsigned char *data;
    size_t len, cap;
} il_membuf;

il_status il_membuf_write(void *membuf, const void *buf, size_t n);
void il_membuf_release(il_membuf *m);

/* An output file being written atomically. */
typedef struct il_afile il_afile;

/* Start writing 'path': creates the temporary file .BASE.PID.XXXXXX beside
 * it, first removing any such file whose process is gone (a run killed
 * mid-write). IL_EIO with the reason (strerror) in 'err' if the folder is
 * not writable. */
il_status il_afile_open(const char *path, il_afile **out, il_error *err);

/* An il_write_fn: ctx is the il_afile. */
il_status il_afile_write(void *afile, const void *buf, size_t n);

/* Flush the data to disk, give it the permissions a new file would get
 * (0666 & ~umask) or the old file's mode, rename it over the target, and
 * sync the folder. Frees 'af' in every case; on failure the temporary file
 * is removed and the target is untouched. */
il_status il_afile_commit(il_afile *af, il_error *err);

/* Give up: remove the temporary file and free 'af'. NULL is allowed. */
void il_afile_abort(il_afile *af);

/* Produce a whole file through 'produce' and commit it atomically. If
 * 'produce' fails, nothing is written and its status is returned. */
il_status il_write_file(const char *path,
                        il_status (*produce)(void *pctx, il_write_fn w, void *wctx), void *pctx,
                        il_error *err);

#ifdef __cplusplus
}
#endif
#endif
