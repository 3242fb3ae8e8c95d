/* SPDX-License-Identifier: MIT */
/*
 * Memory sinks and atomic file replacement (git lockfile, SQLite pattern).
 * What may be replaced is decided here, once, for every file initlab
 * writes: a regular file or nothing; a symbolic link only when the caller
 * says the user named it (IL_AFILE_FOLLOW), and then its regular target.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initlab/alloc.h"
#include "initlab/io.h"
#include "internal/sha256.h"
#include "internal/spec_impl.h"

il_status il_membuf_write(void *membuf, const void *buf, size_t n)
{
    il_membuf *m = membuf;
    size_t need;

    if (!il_add_size(m->len, n, &need))
        return IL_ELIMIT;
    if (need > m->cap) {
        size_t cap = m->cap ? m->cap : 256;
        unsigned char *p;
        while (cap < need)
            if (!il_mul_size(cap, 2, &cap))
                return IL_ELIMIT;
        p = il_malloc(cap);
        if (!p)
            return IL_ENOMEM;
        if (m->len)
            memcpy(p, m->data, m->len);
        il_free(m->data);
        m->data = p;
        m->cap = cap;
    }
    if (n)
        memcpy(m->data + m->len, buf, n);
    m->len = need;
    return IL_OK;
}

void il_membuf_release(il_membuf *m)
{
    il_free(m->data);
    m->data = NULL;
    m->len = m->cap = 0;
}

#define AFILE_BUFFER 65536

struct il_afile {
    int fd;
    size_t used;        /* bytes waiting in 'buf' */
    unsigned char *buf; /* AFILE_BUFFER bytes: writers hand over small pieces */
    int failed;         /* a write failed; commit must not rename */
    il_status write_status;
    int write_errno;
    char *path;  /* the file replaced: the target, or the regular file a named link points at */
    char *shown; /* the name the caller gave, for messages */
    char *tmp;   /* the temporary file beside 'path' */
    int digest;  /* IL_AFILE_DIGEST: 'sha' and 'bytes' follow every write */
    il__sha256 sha;
    uint64_t bytes;
};

/* Split 'path' into a folder (for the temp file and the dir fsync) and a
 * base name. The returned strings are allocated together in *buf. */
static il_status split_path(const char *path, char **dir, char **base)
{
    size_t len = strlen(path);
    const char *slash = strrchr(path, '/');
    char *d, *b;

    d = il_malloc(len + 2);
    b = il_malloc(len + 1);
    if (!d || !b) {
        il_free(d);
        il_free(b);
        return IL_ENOMEM;
    }
    if (!slash) {
        strcpy(d, ".");
        strcpy(b, path);
    } else if (slash == path) {
        strcpy(d, "/");
        strcpy(b, slash + 1);
    } else {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
        strcpy(b, slash + 1);
    }
    *dir = d;
    *base = b;
    return IL_OK;
}

/* Temporary files are named .BASE.PID.XXXXXX beside the target. One whose
 * process no longer exists was left by a run that was killed before it
 * could clean up: remove it. (A live process's, or one whose pid was
 * reused, is left alone.) */
static void remove_stale(const char *dir, const char *base)
{
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name, *p;
        char *end, path[4200];
        long pid;
        if (name[0] != '.' || strncmp(name + 1, base, blen) != 0 || name[1 + blen] != '.')
            continue;
        p = name + 2 + blen;
        if (*p < '1' || *p > '9')
            continue;
        errno = 0;
        pid = strtol(p, &end, 10);
        if (errno || *end != '.' || strlen(end + 1) != 6 || pid <= 0)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) < sizeof path)
            (void)unlink(path);
    }
    closedir(d);
}

static void afile_free(il_afile *af)
{
    il_free(af->buf);
    il_free(af->path);
    il_free(af->shown);
    il_free(af->tmp);
    il_free(af);
}

/* What a file that is not a regular one is, for messages. */
static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m))
        return "a folder";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISLNK(m))
        return "a symbolic link";
    return "not a regular file";
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = il_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Decide what writing 'path' replaces (docs/reliability.md, "Outputs"):
 * nothing (it does not exist), a regular file, or, for a symbolic link the
 * user named ('follow'), the regular file it resolves to if they may write
 * it. Everything else is refused before any file is made, so a device, a
 * FIFO or a socket is never replaced by a regular file. On IL_OK *target
 * is the path to replace (allocated). */
static il_status resolve_target(const char *path, int follow, char **target, il_error *err)
{
    struct stat sb;
    char real[PATH_MAX];

    if (lstat(path, &sb) != 0) {
        /* absent (or unreachable: creating the temporary file says why) */
        *target = copy_string(path);
        return *target ? IL_OK : IL_ENOMEM;
    }
    if (S_ISDIR(sb.st_mode)) {
        il__set_error(err, "'%s' is a folder, not a file", path);
        return IL_EIO;
    }
    if (S_ISLNK(sb.st_mode)) {
        if (!follow) {
            il__set_error(err,
                          "'%s' is a symbolic link: not following or replacing it inside an "
                          "output folder",
                          path);
            return IL_EIO;
        }
        if (!realpath(path, real)) {
            int e = errno;
            il__set_error(err, "'%s' is a symbolic link that cannot be followed: %s", path,
                          strerror(e));
            return IL_EIO;
        }
        if (stat(real, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            il__set_error(err, "'%s' links to '%s', %s, not a regular file: not writing through it",
                          path, real, file_kind(sb.st_mode));
            return IL_EIO;
        }
        if (access(real, W_OK) != 0) {
            int e = errno;
            il__set_error(err, "'%s' links to '%s', which cannot be written: %s", path, real,
                          strerror(e));
            return IL_EIO;
        }
        *target = copy_string(real);
        return *target ? IL_OK : IL_ENOMEM;
    }
    if (!S_ISREG(sb.st_mode)) {
        il__set_error(err, "'%s' is %s, not a regular file: not replacing it", path,
                      file_kind(sb.st_mode));
        return IL_EIO;
    }
    *target = copy_string(path);
    return *target ? IL_OK : IL_ENOMEM;
}

il_status il_afile_open(const char *path, il_afile **out, il_error *err)
{
    return il_afile_open_flags(path, 0, out, err);
}

il_status il_afile_open_flags(const char *path, unsigned flags, il_afile **out, il_error *err)
{
    il_afile *af;
    char *dir = NULL, *base = NULL;
    size_t len;
    il_status st;

    if (path[0] == '\0' || path[strlen(path) - 1] == '/') {
        il__set_error(err, "'%s' is not a file name", path);
        return IL_EINVAL;
    }
    af = il_calloc(1, sizeof *af);
    if (!af)
        return IL_ENOMEM;
    af->fd = -1;
    st = resolve_target(path, (flags & IL_AFILE_FOLLOW) != 0, &af->path, err);
    if (st != IL_OK) {
        il_free(af);
        return st;
    }
    st = split_path(af->path, &dir, &base);
    if (st != IL_OK) {
        afile_free(af);
        return st;
    }
    len = strlen(af->path) + 48; /* "/." "." pid ".XXXXXX", and "." for a bare name */
    af->shown = copy_string(path);
    af->tmp = il_malloc(len);
    af->buf = il_malloc(AFILE_BUFFER);
    if (!af->shown || !af->tmp || !af->buf) {
        il_free(dir);
        il_free(base);
        afile_free(af);
        return IL_ENOMEM;
    }
    remove_stale(dir, base);
    snprintf(af->tmp, len, "%s/.%s.%ld.XXXXXX", dir, base, (long)getpid());
    il_free(dir);
    il_free(base);
    /* mkstemp opens with O_CREAT|O_EXCL and mode 0600; the mode is fixed at
     * commit. */
    af->fd = mkostemp(af->tmp, O_CLOEXEC);
    if (af->fd < 0) {
        int e = errno;
        il__set_error(err, "cannot create a file beside '%s': %s", path, strerror(e));
        afile_free(af);
        return IL_EIO;
    }
    af->digest = (flags & IL_AFILE_DIGEST) != 0;
    if (af->digest)
        il__sha256_init(&af->sha);
    *out = af;
    return IL_OK;
}

const char *il_afile_temp_path(const il_afile *af)
{
    return af->tmp;
}

void il_afile_digest(const il_afile *af, uint64_t *bytes, unsigned char sha256[32])
{
    il__sha256 s = af->sha;
    *bytes = af->bytes;
    il__sha256_final(&s, sha256);
}

/* Write all of 'p' to the file, retrying short writes. */
static il_status write_all(il_afile *af, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(af->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            af->failed = 1;
            af->write_errno = errno;
            af->write_status = IL_EIO;
            return IL_EIO;
        }
        p += k;
        n -= (size_t)k;
    }
    return IL_OK;
}

static il_status flush_buffer(il_afile *af)
{
    il_status st = write_all(af, af->buf, af->used);
    af->used = 0;
    return st;
}

il_status il_afile_write(void *afile, const void *buf, size_t n)
{
    il_afile *af = afile;
    il_status st;

    if (af->failed)
        return af->write_status;
    if (af->digest) {
        il__sha256_update(&af->sha, buf, n);
        af->bytes += n;
    }
    if (af->used + n <= AFILE_BUFFER) {
        memcpy(af->buf + af->used, buf, n);
        af->used += n;
        return IL_OK;
    }
    if ((st = flush_buffer(af)) != IL_OK)
        return st;
    if (n >= AFILE_BUFFER)
        return write_all(af, buf, n);
    memcpy(af->buf, buf, n);
    af->used = n;
    return IL_OK;
}

void il_afile_abort(il_afile *af)
{
    if (!af)
        return;
    if (af->fd >= 0)
        close(af->fd);
    unlink(af->tmp);
    afile_free(af);
}

static mode_t new_file_mode(const char *path)
{
    struct stat st;
    mode_t mask;

    if (stat(path, &st) == 0)
        return st.st_mode & 07777; /* keep an existing file's mode */
    mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

il_status il_afile_commit(il_afile *af, il_error *err)
{
    char *dir = NULL, *base = NULL;
    struct stat sb;
    int e;

    if (!af->failed)
        (void)flush_buffer(af);
    if (af->failed) {
        il__set_error(err, "cannot write '%s': %s", af->shown, strerror(af->write_errno));
        il_afile_abort(af);
        return IL_EIO;
    }
    if (fsync(af->fd) != 0 || fchmod(af->fd, new_file_mode(af->path)) != 0) {
        e = errno;
        il__set_error(err, "cannot write '%s': %s", af->shown, strerror(e));
        il_afile_abort(af);
        return IL_EIO;
    }
    if (close(af->fd) != 0) {
        e = errno;
        af->fd = -1;
        il__set_error(err, "cannot write '%s': %s", af->shown, strerror(e));
        il_afile_abort(af);
        return IL_EIO;
    }
    af->fd = -1;
    /* Checked at open, and again just before the rename: what was put at
     * the target meanwhile is not replaced either unless it is a regular
     * file (rename() itself replaces anything but a folder). */
    if (lstat(af->path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        il__set_error(err, "'%s' became %s while it was written: not replacing it", af->shown,
                      file_kind(sb.st_mode));
        il_afile_abort(af);
        return IL_EIO;
    }
    if (rename(af->tmp, af->path) != 0) {
        e = errno;
        il__set_error(err, "cannot replace '%s': %s", af->shown, strerror(e));
        il_afile_abort(af);
        return IL_EIO;
    }
    /* Make the rename durable. A failure here cannot undo the commit, so it
     * is not reported as one. */
    if (split_path(af->path, &dir, &base) == IL_OK) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    il_free(dir);
    il_free(base);
    afile_free(af);
    return IL_OK;
}

il_status il_afile_error(const il_afile *af, il_error *err)
{
    if (!af->failed)
        return IL_OK;
    il__set_error(err, "cannot write '%s': %s", af->shown, strerror(af->write_errno));
    return af->write_status;
}

il_status il_write_file(const char *path,
                        il_status (*produce)(void *pctx, il_write_fn w, void *wctx), void *pctx,
                        il_error *err)
{
    il_afile *af;
    il_status st = il_afile_open(path, &af, err);

    if (st != IL_OK)
        return st;
    st = produce(pctx, il_afile_write, af);
    if (st != IL_OK) {
        if (il_afile_error(af, err) == IL_OK)
            il__set_error(err, "cannot write '%s': %s", path, il_status_str(st));
        il_afile_abort(af);
        return st;
    }
    return il_afile_commit(af, err);
}
