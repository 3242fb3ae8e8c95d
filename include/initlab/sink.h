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
 * beside the target (same folder, O_EXCL, named ".NAME.PID.XXXXXX"), which
 * is flushed to disk and renamed over the target only when complete. An
 * interrupted or failed write leaves the old file (or no file), never a
 * half-written one. Only a regular file is ever replaced: a folder, a
 * device, a FIFO or a socket at the target is refused, and so is a
 * symbolic link unless the caller passes IL_AFILE_FOLLOW (the user named
 * that path), in which case its regular target is replaced and the link
 * stays (docs/reliability.md, "Outputs").
 */
#ifndef INITLAB_SINK_H
#define INITLAB_SINK_H

#include <stddef.h>
#include <stdint.h>

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

/* Flags for il_afile_open_flags. */
enum {
    /* The user named 'path' (a command line's FILE, not a file a command
     * makes inside a folder): a symbolic link there is followed to the
     * regular file it resolves to, if the user may write that file, and
     * that file is replaced (the link stays). Without it a link is refused. */
    IL_AFILE_FOLLOW = 1u << 0,
    /* Keep the SHA-256 and the length of the bytes written
     * (il_afile_digest). */
    IL_AFILE_DIGEST = 1u << 1
};

/* Start writing 'path': checks what is there (nothing, or a regular file;
 * a symbolic link only with IL_AFILE_FOLLOW, see above) and creates the
 * temporary file .BASE.PID.XXXXXX beside it, first removing any such file
 * whose process is gone (a run killed mid-write). IL_EINVAL for an empty
 * name or one ending in '/'; IL_EIO with the reason in 'err' for a target
 * that is not a regular file (a folder, a device, a FIFO, a socket, a
 * link) or a folder that is not writable; IL_ENOMEM. */
il_status il_afile_open_flags(const char *path, unsigned flags, il_afile **out, il_error *err);

/* il_afile_open_flags with no flags. */
il_status il_afile_open(const char *path, il_afile **out, il_error *err);

/* The temporary file's path, e.g. for a signal handler that removes it.
 * Owned by 'af'; valid until it is committed or aborted. */
const char *il_afile_temp_path(const il_afile *af);

/* The bytes written so far: their count and SHA-256. 'af' must have been
 * opened with IL_AFILE_DIGEST. */
void il_afile_digest(const il_afile *af, uint64_t *bytes, unsigned char sha256[32]);

/* An il_write_fn: ctx is the il_afile. */
il_status il_afile_write(void *afile, const void *buf, size_t n);

/* Flush the data to disk, give it the permissions a new file would get
 * (0666 & ~umask) or the old file's mode, check once more that the target
 * is a regular file or absent, rename it over the target, and sync the
 * folder. Frees 'af' in every case; on failure the temporary file is
 * removed and the target is untouched. */
il_status il_afile_commit(il_afile *af, il_error *err);

/* If a write to 'af' failed, put "cannot write 'PATH': REASON" in 'err'
 * and return that write's status; IL_OK if none failed. */
il_status il_afile_error(const il_afile *af, il_error *err);

/* Give up: remove the temporary file and free 'af'. NULL is allowed. */
void il_afile_abort(il_afile *af);

/* Produce a whole file through 'produce' and commit it atomically (no
 * flags: a symbolic link at 'path' is refused). If 'produce' fails,
 * nothing is written and its status is returned. */
il_status il_write_file(const char *path,
                        il_status (*produce)(void *pctx, il_write_fn w, void *wctx), void *pctx,
                        il_error *err);

#ifdef __cplusplus
}
#endif
#endif
