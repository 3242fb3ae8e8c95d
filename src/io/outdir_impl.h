/* SPDX-License-Identifier: MIT */
/*
 * An output folder's state (io.h's il_outdir), shared by outdir.c (names,
 * the manifest, the run) and outdir_lock.c (the advisory lock). Private to
 * src/io/.
 */
#ifndef INITLAB_OUTDIR_IMPL_H
#define INITLAB_OUTDIR_IMPL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "initlab/io.h"
#include "internal/sha256.h"

#define SHA_HEX (2 * IL__SHA256_BYTES)

typedef struct entry {
    char *name;
    uint64_t bytes;
    char sha[SHA_HEX + 1];
    size_t seq; /* the order of writing: the last write of a name wins */
} entry;

typedef struct entry_list {
    entry *v;
    size_t n, cap;
} entry_list;

struct il_outdir {
    char *dir;          /* as given */
    char *command;      /* for the lock and the manifest */
    int dfd;            /* the folder */
    int lock_fd;        /* holds the flock */
    entry_list old;     /* the previous manifest's files */
    entry_list now;     /* this run's, guarded by 'mu' */
    pthread_mutex_t mu; /* writers may commit from several threads */
    il_error warning;   /* why the previous manifest was ignored, or "" */
};

/* Lock d's folder (its file IL_OUTDIR_LOCK, d->lock_fd) for this run: IL_OK;
 * IL_EBUSY, naming the holder in 'err', when another run has it; IL_EIO
 * when the lock file cannot be made or keeps changing. */
il_status il__outdir_lock(il_outdir *d, il_error *err);

/* Remove the lock file and let it go; nothing if d holds no lock. */
void il__outdir_unlock(il_outdir *d);

#endif
