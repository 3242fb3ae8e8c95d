/* SPDX-License-Identifier: MIT */
/* Output folders: the lock, the manifest a run leaves, and what the next
 * run clears by it, including manifests that are not to be trusted. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>

#include "initlab/io.h"
#include "test.h"
#include "test_files.h"

static il_status od_write(il_outdir *d, const char *name, const char *text)
{
    il_afile *af;
    il_error err;
    il_status st = il_outdir_file_open(d, name, &af, &err);
    if (st != IL_OK)
        return st;
    st = il_afile_write(af, text, strlen(text));
    if (st != IL_OK) {
        il_afile_abort(af);
        return st;
    }
    return il_outdir_file_commit(d, name, af, &err);
}

static int exists_in(const char *dir, const char *name)
{
    char p[1600];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return lstat(p, &st) == 0;
}

#define HELLO_SHA "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* The lock, the manifest's exact text, names refused, a failed run, and a
 * smaller run removing the bigger one's files. */
static void outdir_runs(void)
{
    char dir[600], path[700], want[800], *got;
    il_outdir *d = NULL, *d2 = NULL;
    il_error err;
    size_t len;

    REQUIRE(make_tmpdir());
    snprintf(dir, sizeof dir, "%s/out", tmpdir);
    REQUIRE(mkdir(dir, 0755) == 0);
    REQUIRE(il_outdir_open(dir, "run", &d, &err) == IL_OK);
    CHECK_STR(il_outdir_warning(d), "");
    snprintf(path, sizeof path, "%s/" IL_OUTDIR_LOCK, dir);
    got = slurp(path, &len);
    REQUIRE(got);
    snprintf(want, sizeof want, "%ld run\n", (long)getpid());
    CHECK_STR(got, want);
    free(got);
    /* flock locks belong to the open file: a second open in this process
     * is another run */
    CHECK(il_outdir_open(dir, "lecture", &d2, &err) == IL_EBUSY);
    snprintf(want, sizeof want, "output folder '%s' is in use by process %ld (initlab run)", dir,
             (long)getpid());
    CHECK_CONTAINS(err.message, want);
    snprintf(path, sizeof path, "%s/sub", dir);
    REQUIRE(mkdir(path, 0755) == 0);
    CHECK(od_write(d, "b.txt", "first\n") == IL_OK);
    CHECK(od_write(d, "a.txt", "hello\n") == IL_OK);
    CHECK(od_write(d, "sub/c.txt", "") == IL_OK);
    CHECK(od_write(d, "b.txt", "hello\n") == IL_OK); /* written twice, listed once */
    CHECK(od_write(d, "../x.txt", "x") == IL_EINVAL);
    CHECK(od_write(d, "sub/../x.txt", "x") == IL_EINVAL);
    CHECK(od_write(d, "/x.txt", "x") == IL_EINVAL);
    CHECK(od_write(d, "sub/sub/c.txt", "x") == IL_EINVAL);
    CHECK(od_write(d, "sub//c.txt", "x") == IL_EINVAL);
    CHECK(od_write(d, ".hidden", "x") == IL_EINVAL);
    CHECK(od_write(d, "a b.txt", "x") == IL_EINVAL);
    CHECK(od_write(d, IL_OUTDIR_MANIFEST, "x") == IL_EINVAL);
    REQUIRE(il_outdir_close(d, 1, &err) == IL_OK);
    CHECK(!exists_in(dir, IL_OUTDIR_LOCK));
    CHECK(!exists_in(tmpdir, "x.txt"));
    snprintf(path, sizeof path, "%s/" IL_OUTDIR_MANIFEST, dir);
    got = slurp(path, &len);
    REQUIRE(got);
    CHECK_STR(got, "{\"command\": \"run\", \"files\": [\n"
                   "  {\"name\": \"a.txt\", \"bytes\": 6, \"sha256\": \"" HELLO_SHA "\"},\n"
                   "  {\"name\": \"b.txt\", \"bytes\": 6, \"sha256\": \"" HELLO_SHA "\"},\n"
                   "  {\"name\": \"sub/c.txt\", \"bytes\": 0, \"sha256\": \"" EMPTY_SHA "\"}\n"
                   "]}\n");
    free(got);
    /* a failed run removes nothing and lists what is there */
    REQUIRE(il_outdir_open(dir, "run", &d, &err) == IL_OK);
    CHECK(od_write(d, "e.txt", "e") == IL_OK);
    REQUIRE(il_outdir_close(d, 0, &err) == IL_OK);
    CHECK(exists_in(dir, "a.txt") && exists_in(dir, "b.txt") && exists_in(dir, "sub/c.txt"));
    got = slurp(path, &len);
    REQUIRE(got);
    CHECK_CONTAINS(got, "{\"name\": \"a.txt\", \"bytes\": 6, \"sha256\": \"" HELLO_SHA "\"}");
    CHECK_CONTAINS(got, "\"sub/c.txt\"");
    CHECK_CONTAINS(got, "\"e.txt\"");
    free(got);
    /* a smaller complete run: the others go, the emptied subfolder too;
     * what the user put there stays */
    snprintf(path, sizeof path, "%s/mine.txt", dir);
    write_text(path, "mine");
    REQUIRE(il_outdir_open(dir, "run", &d, &err) == IL_OK);
    CHECK(od_write(d, "a.txt", "hello\n") == IL_OK);
    REQUIRE(il_outdir_close(d, 1, &err) == IL_OK);
    CHECK(exists_in(dir, "a.txt") && exists_in(dir, "mine.txt"));
    CHECK(!exists_in(dir, "b.txt") && !exists_in(dir, "e.txt") && !exists_in(dir, "sub"));
    snprintf(path, sizeof path, "%s/" IL_OUTDIR_MANIFEST, dir);
    got = slurp(path, &len);
    REQUIRE(got);
    CHECK_STR(got, "{\"command\": \"run\", \"files\": [\n"
                   "  {\"name\": \"a.txt\", \"bytes\": 6, \"sha256\": \"" HELLO_SHA "\"}\n"
                   "]}\n");
    free(got);
    /* a run that writes nothing lists nothing */
    REQUIRE(il_outdir_open(dir, "theory", &d, &err) == IL_OK);
    REQUIRE(il_outdir_close(d, 1, &err) == IL_OK);
    got = slurp(path, &len);
    REQUIRE(got);
    CHECK_STR(got, "{\"command\": \"theory\", \"files\": []}\n");
    free(got);
    CHECK(!exists_in(dir, "a.txt") && exists_in(dir, "mine.txt"));
    CHECK(il_outdir_close(NULL, 1, &err) == IL_OK);
    remove_tree();
}

/* A hostile or broken manifest: nothing outside the folder, nothing
 * through a link, and nothing at all from a manifest with one bad entry. */
static void outdir_untrusted_manifest(void)
{
    static const char *const bad_names[] = {"../victim.txt",
                                            "/tmp/victim.txt",
                                            "sub/../../victim.txt",
                                            "..",
                                            ".",
                                            "",
                                            "a/b/c.txt",
                                            ".hidden",
                                            "sub/",
                                            "/",
                                            "x\\\\y",
                                            "x\\ny"};
    char dir[600], path[700], victim[600], text[1200];
    il_outdir *d = NULL;
    il_error err;

    REQUIRE(make_tmpdir());
    snprintf(dir, sizeof dir, "%s/out", tmpdir);
    REQUIRE(mkdir(dir, 0755) == 0);
    snprintf(victim, sizeof victim, "%s/victim.txt", tmpdir);
    write_text(victim, "keep");
    snprintf(path, sizeof path, "%s/" IL_OUTDIR_MANIFEST, dir);
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        char mine[700];
        /* one good entry and one bad: the whole manifest is ignored */
        snprintf(mine, sizeof mine, "%s/ok.txt", dir);
        write_text(mine, "x");
        snprintf(text, sizeof text,
                 "{\"command\": \"run\", \"files\": [{\"name\": \"ok.txt\", \"bytes\": 1, "
                 "\"sha256\": \"" EMPTY_SHA "\"}, {\"name\": \"%s\", \"bytes\": 4, \"sha256\": "
                 "\"" EMPTY_SHA "\"}]}\n",
                 bad_names[i]);
        write_text(path, text);
        REQUIRE(il_outdir_open(dir, "run", &d, &err) == IL_OK);
        CHECK_CONTAINS(il_outdir_warning(d), "is not a plain file name inside the folder");
        CHECK_CONTAINS(il_outdir_warning(d), "no file of the previous run is removed");
        REQUIRE(il_outdir_close(d, 1, &err) == IL_OK);
        CHECK(exists_in(dir, "ok.txt"));
        CHECK(exists_in(tmpdir, "victim.txt"));
    }
    /* malformed in other ways */
    {
        static const char *const texts[] = {
            "not json",
            "[]",
            "{\"files\": {}}",
            "{\"files\": [1]}",
            "{\"files\": [{\"name\": \"ok.txt\"}]}",
            "{\"files\": [{\"name\": \"ok.txt\", \"bytes\": -1, \"sha256\": \"" EMPTY_SHA "\"}]}",
            "{\"files\": [{\"name\": \"ok.txt\", \"bytes\": 1.5, \"sha256\": \"" EMPTY_SHA "\"}]}",
            "{\"files\": [{\"name\": \"ok.txt\", \"bytes\": 1, \"sha256\": \"abc\"}]}"};
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            write_text(path, texts[i]);
            REQUIRE(il_outdir_open(dir, "run", &d, &err) == IL_OK);
            CHECK_CONTAINS(il_outdir_warning(d), "ignoring '");
            REQUIRE(il_outdir_close(d, 1, &err) == IL_OK);
            CHECK(exists_in(dir, "ok.txt"));
        }
    }
    /* a plain name that is a link now, and a subfolder that is a link:
     * neither is followed, so the victim stays */
    {
        char link[700], sub[700], other[700], inside[800];
        snprintf(link, sizeof link, "%s/link.txt", dir);
        REQUIRE(symlink(victim, link) == 0);
        snprintf(other, sizeof other, "%s/elsewhere", tmpdir);
        REQUIRE(mkdir(other, 0755) == 0);
        snprintf(inside, sizeof inside, "%s/c.txt", other);
        write_text(inside, "keep");
        snprintf(sub, sizeof sub, "%s/sub", dir);
        REQUIRE(symlink(other, sub) == 0);
        snprintf(text, sizeof text,
                 "{\"command\": \"run\", \"files\": [{\"name\": \"link.txt\", \"bytes\": 4, "
                 "\"sha256\": \"" EMPTY_SHA "\"}, {\"name\": \"sub/c.txt\", \"bytes\": 4, "
                 "\"sha256\": \"" EMPTY_SHA "\"}]}\n");
        write_text(path, text);
        REQUIRE(il_outdir_open(dir, "run", &d, &err) == IL_OK);
        CHECK_STR(il_outdir_warning(d), "");
        /* nor is the subfolder link followed to write into it */
        CHECK(od_write(d, "sub/new.txt", "x") == IL_EIO);
        {
            il_afile *af;
            CHECK(il_outdir_file_open(d, "sub/new.txt", &af, &err) == IL_EIO);
            CHECK_CONTAINS(err.message, "is a symbolic link, not a folder: not following it");
            CHECK(il_outdir_file_open(d, "link.txt", &af, &err) == IL_EIO);
            CHECK_CONTAINS(err.message, "is a symbolic link: not following or replacing it");
        }
        REQUIRE(il_outdir_close(d, 1, &err) == IL_OK);
        CHECK(exists_in(tmpdir, "victim.txt") && exists_in(other, "c.txt"));
        CHECK(is_link(link) && is_link(sub));
        CHECK(!exists_in(other, "new.txt"));
        unlink(link);
        unlink(sub);
    }
    /* the manifest itself a link, or a FIFO (which must not block) */
    unlink(path);
    REQUIRE(symlink(victim, path) == 0);
    REQUIRE(il_outdir_open(dir, "run", &d, &err) == IL_OK);
    CHECK_CONTAINS(il_outdir_warning(d), "(a symbolic link)");
    /* and it is not written through either */
    CHECK(il_outdir_close(d, 1, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "is a symbolic link");
    CHECK(!exists_in(dir, IL_OUTDIR_LOCK));
    unlink(path);
    REQUIRE(mkfifo(path, 0644) == 0);
    REQUIRE(il_outdir_open(dir, "run", &d, &err) == IL_OK);
    CHECK_CONTAINS(il_outdir_warning(d), "(not a regular file)");
    CHECK(il_outdir_close(d, 1, &err) == IL_EIO);
    unlink(path);
    /* a lock file that is a link is refused, not followed */
    snprintf(path, sizeof path, "%s/" IL_OUTDIR_LOCK, dir);
    REQUIRE(symlink(victim, path) == 0);
    CHECK(il_outdir_open(dir, "run", &d, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "cannot lock output folder");
    {
        size_t len;
        char *got = slurp(victim, &len);
        REQUIRE(got);
        CHECK_STR(got, "keep");
        free(got);
    }
    unlink(path);
    /* not a folder */
    CHECK(il_outdir_open(victim, "run", &d, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "Not a directory");
    remove_tree();
}

TEST_MAIN({"outdir_runs", outdir_runs}, {"outdir_untrusted_manifest", outdir_untrusted_manifest})
