/* SPDX-License-Identifier: MIT */
/* A scratch folder and small file helpers for the tests of files
 * (test_io.c, test_outdir.c). Static inline: each test uses some. */
#ifndef INITLAB_TEST_FILES_H
#define INITLAB_TEST_FILES_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256]; /* one scratch folder per test program */

static inline int make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/initlab-test-files-XXXXXX");
    return mkdtemp(tmpdir) != NULL;
}

/* Files in tmpdir whose name starts with '.' (leftover temporaries). */
static inline int count_hidden(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Remove 'dir' and everything in it (links themselves, not their
 * targets). */
static inline void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1024];
    struct stat st;
    if (!d)
        return;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p)
                continue; /* not one of the tests' short names */
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                remove_dir(p);
            else
                unlink(p);
        }
    closedir(d);
    rmdir(dir);
}

static inline void remove_tree(void)
{
    remove_dir(tmpdir);
}

static inline char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static inline int is_link(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
}

static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

#endif
