/* SPDX-License-Identifier: MIT */
/*
 * An output folder's advisory lock (outdir_impl.h): flock on the folder's
 * IL_OUTDIR_LOCK file, which says who holds it ("PID COMMAND"), so that a
 * second run into the folder is refused with the first one named.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initlab/io.h"
#include "internal/spec_impl.h"
#include "outdir_impl.h"

#define LOCK_TRIES 10

/* Name the run that holds the lock, from what it wrote in the lock file
 * ("PID COMMAND\n"; untrusted, so only digits and a short printable word). */
static void describe_holder(const il_outdir *d, int fd, il_error *err)
{
    char buf[128], cmd[40];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    long pid = 0;
    size_t k = 0;

    if (n > 0) {
        char *end;
        buf[n] = '\0';
        pid = strtol(buf, &end, 10);
        if (end == buf || pid <= 0)
            pid = 0;
        else if (*end == ' ')
            for (end++; k + 1 < sizeof cmd && end[k] > 0x20 && end[k] < 0x7f; k++)
                cmd[k] = end[k];
    }
    cmd[k] = '\0';
    if (pid && k)
        il__set_error(err, "output folder '%s' is in use by process %ld (initlab %s)", d->dir, pid,
                      cmd);
    else if (pid)
        il__set_error(err, "output folder '%s' is in use by process %ld", d->dir, pid);
    else
        il__set_error(err, "output folder '%s' is in use by another process", d->dir);
}

il_status il__outdir_lock(il_outdir *d, il_error *err)
{
    for (int tries = 0; tries < LOCK_TRIES; tries++) {
        struct stat a, b;
        int e, fd = openat(d->dfd, IL_OUTDIR_LOCK,
                           O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
        if (fd < 0) {
            e = errno;
            il__set_error(err, "cannot lock output folder '%s': %s%s", d->dir, strerror(e),
                          e == ELOOP ? " (" IL_OUTDIR_LOCK " is a symbolic link)" : "");
            return IL_EIO;
        }
        if (fstat(fd, &a) != 0 || !S_ISREG(a.st_mode)) {
            il__set_error(err, "cannot lock output folder '%s': %s/%s is not a regular file",
                          d->dir, d->dir, IL_OUTDIR_LOCK);
            close(fd);
            return IL_EIO;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            e = errno;
            if (e == EWOULDBLOCK)
                describe_holder(d, fd, err);
            else
                il__set_error(err, "cannot lock output folder '%s': %s", d->dir, strerror(e));
            close(fd);
            return e == EWOULDBLOCK ? IL_EBUSY : IL_EIO;
        }
        /* A run removes the lock file when it ends, so a run that opened it
         * just before may hold a lock on a file no longer in the folder.
         * Only a lock on the file that is there counts. */
        if (fstatat(d->dfd, IL_OUTDIR_LOCK, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            char line[128];
            int n = snprintf(line, sizeof line, "%ld %.60s\n", (long)getpid(), d->command);
            /* who holds it, for the message another run gives; advisory */
            if (ftruncate(fd, 0) == 0 && n > 0) {
                ssize_t w = pwrite(fd, line, (size_t)n, 0);
                (void)w; /* advisory: without it the folder is locked all the same */
            }
            d->lock_fd = fd;
            return IL_OK;
        }
        close(fd);
    }
    il__set_error(err, "cannot lock output folder '%s': its lock file keeps changing", d->dir);
    return IL_EIO;
}

void il__outdir_unlock(il_outdir *d)
{
    struct stat a, b;
    if (d->lock_fd < 0)
        return;
    /* removed while still held, so no other run can lock this file and
     * then see it vanish (il__outdir_lock checks which file it locked) */
    if (fstat(d->lock_fd, &a) == 0 &&
        fstatat(d->dfd, IL_OUTDIR_LOCK, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        (void)unlinkat(d->dfd, IL_OUTDIR_LOCK, 0);
    close(d->lock_fd);
    d->lock_fd = -1;
}
