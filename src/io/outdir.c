/* SPDX-License-Identifier: MIT */
/*
 * Output folders: an advisory lock (outdir_lock.c), so that two runs never
 * write one folder at once, and a manifest (initlab-files.json) of the
 * files the last run wrote, so that a smaller run into the same folder
 * removes what the bigger one left. The manifest is untrusted input (anyone
 * may edit it): every name in it is checked as a plain name inside the
 * folder, and removing never follows a link.
 */
#define _GNU_SOURCE
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initlab/alloc.h"
#include "initlab/io.h"
#include "internal/sha256.h"
#include "internal/spec_impl.h"
#include "outdir_impl.h"

#define MAX_PART  255 /* NAME_MAX */
#define MAX_PARTS 2   /* a subfolder and a name: lecture's ex<K>/net<N>.png */
/* An old manifest past these is ignored: a run of 32 arms saving 100 000
 * layers each lists 3.2 M files (~300 MB), which no one reuses a folder
 * for; the caps keep a planted file from costing much. */
#define MAX_MANIFEST_BYTES ((size_t)64 << 20)
#define MAX_ENTRIES        1000000

/* ---- names ---- */

static int part_ok(const char *p, size_t n)
{
    if (n == 0 || n > MAX_PART || p[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c != '\0' && strchr("._-+=,@", c))))
            return 0;
    }
    return 1;
}

/* A plain name, or a subfolder and a plain name: no empty part, no "." or
 * "..", no leading '/', nothing that needs quoting in JSON or a shell. */
static int name_ok(const char *name)
{
    const char *p = name;
    for (int parts = 1; parts <= MAX_PARTS; parts++) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (!part_ok(p, n))
            return 0;
        if (!slash)
            return strcmp(name, IL_OUTDIR_MANIFEST) != 0;
        p = slash + 1;
    }
    return 0;
}

/* 'name' for a message: at most 60 characters, anything unprintable as '?'
 * (it may come from a hostile manifest). */
static const char *shown_name(const char *name, char *buf, size_t cap)
{
    size_t i;
    for (i = 0; name[i] && i + 1 < cap && i < 60; i++)
        buf[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
    buf[i] = '\0';
    return buf;
}

/* ---- entry lists ---- */

static il_status list_push(entry_list *l, const char *name, uint64_t bytes, const char *sha)
{
    size_t len = strlen(name) + 1;
    entry *e;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap : 16;
        entry *v;
        if (!il_mul_size(cap, 2, &cap))
            return IL_ELIMIT;
        v = il_malloc_n(cap, sizeof *v);
        if (!v)
            return IL_ENOMEM;
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        il_free(l->v);
        l->v = v;
        l->cap = cap;
    }
    e = &l->v[l->n];
    e->name = il_malloc(len);
    if (!e->name)
        return IL_ENOMEM;
    memcpy(e->name, name, len);
    e->bytes = bytes;
    memcpy(e->sha, sha, SHA_HEX);
    e->sha[SHA_HEX] = '\0';
    e->seq = l->n;
    l->n++;
    return IL_OK;
}

static void list_release(entry_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        il_free(l->v[i].name);
    il_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int by_name_then_seq(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort by name and keep the last write of each name. */
static void list_sort_unique(entry_list *l)
{
    size_t k = 0;
    if (l->n < 2)
        return;
    qsort(l->v, l->n, sizeof *l->v, by_name_then_seq);
    for (size_t i = 0; i < l->n; i++) {
        if (i + 1 < l->n && strcmp(l->v[i].name, l->v[i + 1].name) == 0) {
            il_free(l->v[i].name); /* a later write of the same name follows */
            continue;
        }
        l->v[k++] = l->v[i];
    }
    l->n = k;
}

/* The first entry of sorted 'l' whose name is not less than 'key'. */
static size_t lower_bound(const entry_list *l, const char *key)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(l->v[mid].name, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int list_has(const entry_list *l, const char *name)
{
    size_t i = lower_bound(l, name);
    return i < l->n && strcmp(l->v[i].name, name) == 0;
}

/* Does sorted 'l' hold a name inside subfolder 'sub' ("sub/...")? */
static int list_has_inside(const entry_list *l, const char *sub, size_t len)
{
    char key[MAX_PART + 2];
    size_t i;
    memcpy(key, sub, len);
    key[len] = '/';
    key[len + 1] = '\0';
    i = lower_bound(l, key);
    return i < l->n && strncmp(l->v[i].name, key, len + 1) == 0;
}

/* ---- the previous manifest ---- */

static int is_sha_hex(const char *s)
{
    size_t i;
    for (i = 0; i < SHA_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[i] == '\0';
}

/* Read the entries of a parsed manifest into 'l'; on a malformed one, say
 * why in 'why' and return IL_EFORMAT. */
static il_status parse_manifest(const cJSON *root, entry_list *l, char *why, size_t cap)
{
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files"), *f;
    size_t i = 0;
    char shown[64];

    if (!cJSON_IsObject(root) || !cJSON_IsArray(files)) {
        snprintf(why, cap, "not an object with a \"files\" array");
        return IL_EFORMAT;
    }
    cJSON_ArrayForEach(f, files)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "name");
        const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(f, "bytes");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(f, "sha256");
        il_status st;
        if (i >= MAX_ENTRIES) {
            snprintf(why, cap, "more than %d files", MAX_ENTRIES);
            return IL_EFORMAT;
        }
        if (!cJSON_IsObject(f) || !cJSON_IsString(name) || !cJSON_IsNumber(bytes) ||
            !cJSON_IsString(sha)) {
            snprintf(why, cap, "files[%zu] is not {\"name\", \"bytes\", \"sha256\"}", i);
            return IL_EFORMAT;
        }
        if (!name_ok(name->valuestring)) {
            snprintf(why, cap, "files[%zu]: '%s' is not a plain file name inside the folder", i,
                     shown_name(name->valuestring, shown, sizeof shown));
            return IL_EFORMAT;
        }
        if (!(bytes->valuedouble >= 0 && bytes->valuedouble <= 9007199254740992.0 &&
              floor(bytes->valuedouble) == bytes->valuedouble) ||
            !is_sha_hex(sha->valuestring)) {
            snprintf(why, cap, "files[%zu]: a bad \"bytes\" or \"sha256\"", i);
            return IL_EFORMAT;
        }
        if ((st = list_push(l, name->valuestring, (uint64_t)bytes->valuedouble,
                            sha->valuestring)) != IL_OK)
            return st;
        i++;
    }
    return IL_OK;
}

/* Read DIR/initlab-files.json into d->old. Any problem with it leaves
 * d->old empty and a warning: never an error, since the run can go on. */
static il_status read_manifest(il_outdir *d)
{
    int fd = openat(d->dfd, IL_OUTDIR_MANIFEST, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    char *buf = NULL, why[200];
    size_t len = 0;
    cJSON *root;
    il_status st;

    why[0] = '\0';
    if (fd < 0) {
        if (errno == ENOENT)
            return IL_OK;
        snprintf(why, sizeof why, "%s", errno == ELOOP ? "a symbolic link" : strerror(errno));
    } else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(why, sizeof why, "not a regular file");
    } else if ((uint64_t)sb.st_size > MAX_MANIFEST_BYTES) {
        snprintf(why, sizeof why, "larger than %zu MiB", MAX_MANIFEST_BYTES >> 20);
    } else {
        buf = il_malloc((size_t)sb.st_size + 1);
        if (!buf) {
            close(fd);
            return IL_ENOMEM;
        }
        while (len < (size_t)sb.st_size) {
            ssize_t k = read(fd, buf + len, (size_t)sb.st_size - len);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0)
                snprintf(why, sizeof why, "%s", strerror(errno));
            if (k <= 0)
                break;
            len += (size_t)k;
        }
    }
    if (fd >= 0)
        close(fd);
    if (!why[0]) {
        root = cJSON_ParseWithLength(buf, len);
        if (!root) {
            snprintf(why, sizeof why, "not JSON");
            st = IL_EFORMAT;
        } else {
            st = parse_manifest(root, &d->old, why, sizeof why);
            cJSON_Delete(root);
        }
        if (st == IL_ENOMEM || st == IL_ELIMIT) {
            il_free(buf);
            return st;
        }
    }
    il_free(buf);
    if (why[0]) {
        list_release(&d->old);
        il__set_error(&d->warning, "ignoring '%s/%s' (%s): no file of the previous run is removed",
                      d->dir, IL_OUTDIR_MANIFEST, why);
    }
    return IL_OK;
}

/* ---- the run ---- */

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = il_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void outdir_free(il_outdir *d)
{
    il__outdir_unlock(d);
    if (d->dfd >= 0)
        close(d->dfd);
    list_release(&d->old);
    list_release(&d->now);
    pthread_mutex_destroy(&d->mu);
    il_free(d->dir);
    il_free(d->command);
    il_free(d);
}

il_status il_outdir_open(const char *dir, const char *command, il_outdir **out, il_error *err)
{
    il_outdir *d = il_calloc(1, sizeof *d);
    il_status st;

    if (!d)
        return IL_ENOMEM;
    d->dfd = d->lock_fd = -1;
    if (pthread_mutex_init(&d->mu, NULL) != 0) {
        il_free(d);
        return IL_ENOMEM;
    }
    d->dir = copy_string(dir);
    d->command = copy_string(command);
    if (!d->dir || !d->command) {
        outdir_free(d);
        return IL_ENOMEM;
    }
    /* the folder the user named: a link to a folder is followed */
    d->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->dfd < 0) {
        int e = errno;
        il__set_error(err, "cannot open output folder '%s': %s", dir, strerror(e));
        outdir_free(d);
        return IL_EIO;
    }
    if ((st = il__outdir_lock(d, err)) != IL_OK || (st = read_manifest(d)) != IL_OK) {
        outdir_free(d);
        return st;
    }
    *out = d;
    return IL_OK;
}

const char *il_outdir_warning(const il_outdir *d)
{
    return d->warning.message;
}

il_status il_outdir_file_open(il_outdir *d, const char *name, il_afile **out, il_error *err)
{
    const char *slash = strchr(name, '/');
    size_t dlen = strlen(d->dir), need;
    char *path, shown[64];
    il_status st;

    if (!name_ok(name)) {
        il__set_error(err, "'%s' is not a plain file name for output folder '%s'",
                      shown_name(name, shown, sizeof shown), d->dir);
        return IL_EINVAL;
    }
    if (slash) { /* the subfolder, made by the command, must be a real one */
        char sub[MAX_PART + 1];
        struct stat sb;
        memcpy(sub, name, (size_t)(slash - name));
        sub[slash - name] = '\0';
        if (fstatat(d->dfd, sub, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(sb.st_mode)) {
            il__set_error(err, "'%s/%s' is %s, not a folder: not following it", d->dir, sub,
                          S_ISLNK(sb.st_mode) ? "a symbolic link" : "a file");
            return IL_EIO;
        }
    }
    if (!il_add_size(dlen, strlen(name) + 2, &need))
        return IL_ELIMIT;
    path = il_malloc(need);
    if (!path)
        return IL_ENOMEM;
    snprintf(path, need, "%s/%s", d->dir, name);
    st = il_afile_open_flags(path, IL_AFILE_DIGEST, out, err);
    il_free(path);
    return st;
}

il_status il_outdir_file_commit(il_outdir *d, const char *name, il_afile *af, il_error *err)
{
    unsigned char digest[IL__SHA256_BYTES];
    char hex[SHA_HEX + 1];
    uint64_t bytes;
    il_status st;

    il_afile_digest(af, &bytes, digest);
    il__sha256_hex(digest, hex);
    st = il_afile_commit(af, err);
    if (st != IL_OK)
        return st;
    pthread_mutex_lock(&d->mu);
    st = list_push(&d->now, name, bytes, hex);
    pthread_mutex_unlock(&d->mu);
    return st;
}

/* Remove old entry 'name' if it is a regular file: through the folder's
 * descriptor, a subfolder opened without following a link. */
static void remove_old(int dfd, const char *name)
{
    const char *slash = strchr(name, '/');
    struct stat sb;
    int fd = dfd;

    if (slash) {
        char sub[MAX_PART + 1];
        memcpy(sub, name, (size_t)(slash - name));
        sub[slash - name] = '\0';
        fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return;
        name = slash + 1;
    }
    if (fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode))
        (void)unlinkat(fd, name, 0);
    if (fd != dfd)
        close(fd);
}

/* Files the previous run wrote and this one did not; then their
 * subfolders that this run wrote nothing into (removed only if empty). */
static void remove_stale_files(il_outdir *d)
{
    for (size_t i = 0; i < d->old.n; i++)
        if (!list_has(&d->now, d->old.v[i].name))
            remove_old(d->dfd, d->old.v[i].name);
    for (size_t i = 0; i < d->old.n; i++) {
        const char *name = d->old.v[i].name, *slash = strchr(name, '/');
        char sub[MAX_PART + 1];
        size_t len;
        if (!slash)
            continue;
        len = (size_t)(slash - name);
        /* 'old' is sorted: the subfolder's first entry tries it once */
        if ((i > 0 && strncmp(d->old.v[i - 1].name, name, len + 1) == 0) ||
            list_has_inside(&d->now, name, len))
            continue;
        memcpy(sub, name, len);
        sub[len] = '\0';
        (void)unlinkat(d->dfd, sub, AT_REMOVEDIR); /* fails, harmlessly, unless empty */
    }
}

/* The manifest: {"command": ..., "files": [{"name", "bytes", "sha256"}, ...]},
 * one file a line, sorted by name. */
typedef struct manifest_job {
    const char *command;
    const entry *files;
    size_t n;
} manifest_job;

static il_status put(il_write_fn w, void *ctx, const char *s)
{
    return w(ctx, s, strlen(s));
}

static il_status produce_manifest(void *pctx, il_write_fn w, void *wctx)
{
    const manifest_job *j = pctx;
    char line[MAX_PART * 2 + 200];
    il_status st = put(w, wctx, "{\"command\": \"");

    /* the command as a JSON string: quotes, backslashes and controls escaped */
    for (const char *c = j->command; *c && st == IL_OK; c++) {
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) {
            snprintf(line, sizeof line, "\\u%04x", (unsigned)(unsigned char)*c);
            st = put(w, wctx, line);
        } else {
            st = w(wctx, c, 1);
        }
    }
    if (st == IL_OK)
        st = put(w, wctx, j->n ? "\", \"files\": [\n" : "\", \"files\": []}\n");
    for (size_t i = 0; i < j->n && st == IL_OK; i++) {
        /* names are plain (name_ok): nothing to escape */
        snprintf(line, sizeof line, "  {\"name\": \"%s\", \"bytes\": %llu, \"sha256\": \"%s\"}%s\n",
                 j->files[i].name, (unsigned long long)j->files[i].bytes, j->files[i].sha,
                 i + 1 < j->n ? "," : "");
        st = put(w, wctx, line);
    }
    if (st == IL_OK && j->n)
        st = put(w, wctx, "]}\n");
    return st;
}

static il_status write_manifest(il_outdir *d, int complete, il_error *err)
{
    size_t n = d->now.n, k = 0, need;
    entry *files; /* shallow copies: the names stay d's */
    manifest_job job;
    char *path;
    il_status st;

    if ((!complete && !il_add_size(n, d->old.n, &n)) ||
        !il_add_size(strlen(d->dir), sizeof IL_OUTDIR_MANIFEST + 1, &need))
        return IL_ELIMIT;
    files = il_malloc_n(n ? n : 1, sizeof *files);
    path = il_malloc(need);
    if (!files || !path) {
        il_free(files);
        il_free(path);
        return IL_ENOMEM;
    }
    for (size_t i = 0; i < d->now.n; i++)
        files[k++] = d->now.v[i];
    if (!complete) /* the previous run's files still there, unless rewritten */
        for (size_t i = 0; i < d->old.n; i++)
            if (!list_has(&d->now, d->old.v[i].name))
                files[k++] = d->old.v[i];
    qsort(files, k, sizeof *files, by_name_then_seq);
    job = (manifest_job){d->command, files, k};
    snprintf(path, need, "%s/%s", d->dir, IL_OUTDIR_MANIFEST);
    st = il_write_file(path, produce_manifest, &job, err);
    il_free(path);
    il_free(files);
    return st;
}

il_status il_outdir_close(il_outdir *d, int complete, il_error *err)
{
    il_status st;

    if (!d)
        return IL_OK;
    list_sort_unique(&d->now);
    list_sort_unique(&d->old);
    if (complete)
        remove_stale_files(d);
    st = write_manifest(d, complete, err);
    outdir_free(d);
    return st;
}
