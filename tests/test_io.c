/* SPDX-License-Identifier: MIT */
/* Byte sinks, atomic file replacement, SHA-256 and the .npy writer
 * (output folders: test_outdir.c). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "initlab/io.h"
#include "internal/sha256.h"
#include "test.h"
#include "test_files.h"

static il_status produce_hello(void *pctx, il_write_fn w, void *wctx)
{
    (void)pctx;
    return w(wctx, "hello\n", 6);
}

static il_status produce_then_fail(void *pctx, il_write_fn w, void *wctx)
{
    il_status st = w(wctx, (const char *)pctx, strlen(pctx));
    return st != IL_OK ? st : IL_EIO;
}

static void atomic_write_and_replace(void)
{
    char path[512], *got;
    size_t len;
    il_error err;
    struct stat st;
    mode_t mask = umask(022);

    REQUIRE(make_tmpdir());
    snprintf(path, sizeof path, "%s/out.txt", tmpdir);
    CHECK(il_write_file(path, produce_hello, NULL, &err) == IL_OK);
    got = slurp(path, &len);
    REQUIRE(got);
    CHECK_STR(got, "hello\n");
    free(got);
    /* a new file gets 0666 & ~umask, not mkstemp's 0600 */
    REQUIRE(stat(path, &st) == 0);
    CHECK_EQ_U64(st.st_mode & 0777, 0644);
    /* a failing producer leaves the old file and no temporary */
    CHECK(il_write_file(path, produce_then_fail, (void *)"partial", &err) == IL_EIO);
    got = slurp(path, &len);
    REQUIRE(got);
    CHECK_STR(got, "hello\n");
    free(got);
    CHECK_EQ_INT(count_hidden(), 0);
    /* an existing file's mode is kept */
    chmod(path, 0600);
    CHECK(il_write_file(path, produce_hello, NULL, &err) == IL_OK);
    REQUIRE(stat(path, &st) == 0);
    CHECK_EQ_U64(st.st_mode & 0777, 0600);
    umask(mask);
    remove_tree();
}

static void atomic_failures(void)
{
    il_error err;
    il_afile *af = NULL;
    char path[512];

    CHECK(il_afile_open("/nonexistent-initlab-dir/x.json", &af, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "No such file or directory");
    CHECK(il_afile_open("", &af, &err) == IL_EINVAL);
    CHECK(il_afile_open("dir/", &af, &err) == IL_EINVAL);
    REQUIRE(make_tmpdir());
    /* aborting removes the temporary and creates nothing */
    snprintf(path, sizeof path, "%s/never.txt", tmpdir);
    REQUIRE(il_afile_open(path, &af, &err) == IL_OK);
    CHECK(il_afile_write(af, "abc", 3) == IL_OK);
    CHECK_EQ_INT(count_hidden(), 1);
    il_afile_abort(af);
    CHECK_EQ_INT(count_hidden(), 0);
    CHECK(access(path, F_OK) != 0);
    il_afile_abort(NULL);
    /* a folder where the file should be: refused before anything is made */
    snprintf(path, sizeof path, "%s/sub", tmpdir);
    REQUIRE(mkdir(path, 0755) == 0);
    CHECK(il_write_file(path, produce_hello, NULL, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "is a folder, not a file");
    CHECK_EQ_INT(count_hidden(), 0);
    rmdir(path);
    /* a killed run's temporary (its pid, 4194305, is past Linux's largest)
     * is removed by the next write of that target; a live process's
     * (ours) is left alone */
    {
        char dead[600], live[600], target[600];
        FILE *f;
        snprintf(target, sizeof target, "%s/t.npy", tmpdir);
        snprintf(dead, sizeof dead, "%s/.t.npy.4194305.abcdef", tmpdir);
        snprintf(live, sizeof live, "%s/.t.npy.%ld.abcdef", tmpdir, (long)getpid());
        REQUIRE((f = fopen(dead, "w")) != NULL);
        fclose(f);
        REQUIRE((f = fopen(live, "w")) != NULL);
        fclose(f);
        CHECK(il_write_file(target, produce_hello, NULL, &err) == IL_OK);
        CHECK(access(dead, F_OK) != 0);
        CHECK(access(live, F_OK) == 0);
        unlink(live);
        unlink(target);
    }
    remove_tree();
}

/* ---- SHA-256 ---- */

static void sha256_hex_of(const void *data, size_t n, size_t piece, char hex[65])
{
    il__sha256 s;
    unsigned char d[IL__SHA256_BYTES];
    const unsigned char *p = data;
    il__sha256_init(&s);
    for (size_t i = 0; i < n; i += piece)
        il__sha256_update(&s, p + i, n - i < piece ? n - i : piece);
    il__sha256_final(&s, d);
    il__sha256_hex(d, hex);
}

/* FIPS 180-4's examples (NIST's "SHA256.pdf" and "SHA2_Additional.pdf"),
 * and lengths either side of the padding's block edges from Python's
 * hashlib (bytes (7 i + 3) mod 256), each fed whole and in uneven pieces. */
static void sha256_vectors(void)
{
    static const struct {
        const char *msg, *hex;
    } fips[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
         "lmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
        {"hello\n", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"},
    };
    static const struct {
        size_t n;
        const char *hex;
    } edges[] = {
        {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
        {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
        {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
        {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
        {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
        {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
        {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
    };
    static const size_t pieces[] = {1, 3, 63, 64, 1000};
    unsigned char buf[128];
    char hex[65], *million;

    for (size_t i = 0; i < sizeof fips / sizeof fips[0]; i++)
        for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
            sha256_hex_of(fips[i].msg, strlen(fips[i].msg), pieces[k], hex);
            CHECK_STR(hex, fips[i].hex);
        }
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
            sha256_hex_of(buf, edges[i].n, pieces[k], hex);
            CHECK_STR(hex, edges[i].hex);
        }
    /* one million 'a' (FIPS 180-2, appendix B.3) */
    million = malloc(1000000);
    REQUIRE(million);
    memset(million, 'a', 1000000);
    sha256_hex_of(million, 1000000, 997, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

/* ---- what the atomic writer may replace ---- */

/* A FIFO, a socket and (where mknod works) a character device are
 * refused and stay what they were; open never blocks on the FIFO. */
static void atomic_special_files(void)
{
    char path[600], link[600];
    il_error err;
    il_afile *af = NULL;
    struct stat st;

    REQUIRE(make_tmpdir());
    snprintf(path, sizeof path, "%s/fifo", tmpdir);
    REQUIRE(mkfifo(path, 0644) == 0);
    CHECK(il_write_file(path, produce_hello, NULL, &err) == IL_EIO);
    CHECK_CONTAINS(err.message,
                   "/fifo' is a FIFO (named pipe), not a regular file: not replacing it");
    CHECK(il_afile_open_flags(path, IL_AFILE_FOLLOW, &af, &err) == IL_EIO);
    CHECK(stat(path, &st) == 0 && S_ISFIFO(st.st_mode));
    {
        struct sockaddr_un a;
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        snprintf(path, sizeof path, "%s/sock", tmpdir);
        REQUIRE(fd >= 0 && strlen(path) < sizeof a.sun_path);
        memcpy(a.sun_path, path, strlen(path) + 1);
        REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
        CHECK(il_write_file(path, produce_hello, NULL, &err) == IL_EIO);
        CHECK_CONTAINS(err.message, "is a socket, not a regular file");
        CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
        close(fd);
    }
    /* a device with /dev/null's numbers, in our own folder: never the
     * real /dev/null */
    snprintf(path, sizeof path, "%s/null", tmpdir);
    if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) == 0) {
        CHECK(il_write_file(path, produce_hello, NULL, &err) == IL_EIO);
        CHECK_CONTAINS(err.message, "is a character device, not a regular file");
        CHECK(stat(path, &st) == 0 && S_ISCHR(st.st_mode));
        snprintf(link, sizeof link, "%s/nulllink", tmpdir);
        REQUIRE(symlink("null", link) == 0);
        CHECK(il_afile_open_flags(link, IL_AFILE_FOLLOW, &af, &err) == IL_EIO);
        CHECK_CONTAINS(err.message, "a character device, not a regular file");
        CHECK(is_link(link));
        CHECK(stat(path, &st) == 0 && S_ISCHR(st.st_mode));
    } else {
        printf("  (no character device made: mknod: %s; the FIFO and socket cases stand)\n",
               strerror(errno));
    }
    /* a FIFO put at the target while the file was written: not replaced */
    snprintf(path, sizeof path, "%s/late", tmpdir);
    REQUIRE(il_afile_open(path, &af, &err) == IL_OK);
    CHECK(il_afile_write(af, "x", 1) == IL_OK);
    REQUIRE(mkfifo(path, 0644) == 0);
    CHECK(il_afile_commit(af, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "became a FIFO (named pipe) while it was written");
    CHECK(stat(path, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK_EQ_INT(count_hidden(), 0);
    remove_tree();
}

/* A link is refused unless the caller says the user named it; then its
 * regular target is replaced (beside itself, mode kept) and the link
 * stays. Dangling links and links to folders or FIFOs are refused. */
static void atomic_links(void)
{
    char path[600], link[600], target[600], sub[600], *got;
    il_error err;
    il_afile *af = NULL;
    struct stat st;
    size_t len;

    REQUIRE(make_tmpdir());
    snprintf(sub, sizeof sub, "%s/real", tmpdir);
    REQUIRE(mkdir(sub, 0755) == 0);
    snprintf(target, sizeof target, "%s/real/t.txt", tmpdir);
    write_text(target, "");
    chmod(target, 0640);
    snprintf(link, sizeof link, "%s/link.txt", tmpdir);
    REQUIRE(symlink("real/t.txt", link) == 0);
    CHECK(il_write_file(link, produce_hello, NULL, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "is a symbolic link: not following or replacing it");
    CHECK(stat(target, &st) == 0 && st.st_size == 0);
    REQUIRE(il_afile_open_flags(link, IL_AFILE_FOLLOW, &af, &err) == IL_OK);
    CHECK(strncmp(il_afile_temp_path(af), sub, strlen(sub)) == 0); /* beside the target */
    CHECK(access(il_afile_temp_path(af), F_OK) == 0);
    CHECK(il_afile_write(af, "hello\n", 6) == IL_OK);
    REQUIRE(il_afile_commit(af, &err) == IL_OK);
    CHECK(is_link(link));
    got = slurp(target, &len);
    REQUIRE(got);
    CHECK_STR(got, "hello\n");
    free(got);
    CHECK(stat(target, &st) == 0 && (st.st_mode & 0777) == 0640);
    /* a chain of links ends at the same file */
    snprintf(path, sizeof path, "%s/link2.txt", tmpdir);
    REQUIRE(symlink("link.txt", path) == 0);
    REQUIRE(il_afile_open_flags(path, IL_AFILE_FOLLOW, &af, &err) == IL_OK);
    CHECK(il_afile_write(af, "ab", 2) == IL_OK);
    REQUIRE(il_afile_commit(af, &err) == IL_OK);
    CHECK(stat(target, &st) == 0 && st.st_size == 2);
    CHECK(is_link(path) && is_link(link));
    snprintf(link, sizeof link, "%s/dangling", tmpdir);
    REQUIRE(symlink("missing", link) == 0);
    CHECK(il_afile_open_flags(link, IL_AFILE_FOLLOW, &af, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "cannot be followed: No such file or directory");
    CHECK(is_link(link));
    snprintf(link, sizeof link, "%s/dirlink", tmpdir);
    REQUIRE(symlink("real", link) == 0);
    CHECK(il_afile_open_flags(link, IL_AFILE_FOLLOW, &af, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "a folder, not a regular file");
    snprintf(path, sizeof path, "%s/fifo", tmpdir);
    REQUIRE(mkfifo(path, 0644) == 0);
    snprintf(link, sizeof link, "%s/fifolink", tmpdir);
    REQUIRE(symlink("fifo", link) == 0);
    CHECK(il_afile_open_flags(link, IL_AFILE_FOLLOW, &af, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "a FIFO (named pipe), not a regular file");
    /* a file the user may not write (root may write any) */
    if (geteuid() != 0) {
        chmod(target, 0444);
        snprintf(link, sizeof link, "%s/link.txt", tmpdir);
        CHECK(il_afile_open_flags(link, IL_AFILE_FOLLOW, &af, &err) == IL_EIO);
        CHECK_CONTAINS(err.message, "which cannot be written: Permission denied");
    } else {
        printf("  (as root every file is writable: the read-only target case is not run)\n");
    }
    CHECK_EQ_INT(count_hidden(), 0);
    remove_tree();
}

static void atomic_digest(void)
{
    char path[600];
    il_error err;
    il_afile *af = NULL;
    unsigned char d[32];
    char hex[65];
    uint64_t n;

    REQUIRE(make_tmpdir());
    snprintf(path, sizeof path, "%s/d.txt", tmpdir);
    REQUIRE(il_afile_open_flags(path, IL_AFILE_DIGEST, &af, &err) == IL_OK);
    CHECK(il_afile_write(af, "hel", 3) == IL_OK);
    CHECK(il_afile_write(af, "lo\n", 3) == IL_OK);
    il_afile_digest(af, &n, d);
    il__sha256_hex(d, hex);
    CHECK_EQ_U64(n, 6);
    CHECK_STR(hex, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    CHECK(il_afile_commit(af, &err) == IL_OK);
    remove_tree();
}

/* ---- output folders ---- */

/* Write 'text' as 'name' in 'd'. */
static void membuf(void)
{
    il_membuf m = {0};
    char big[1000];
    memset(big, 'x', sizeof big);
    CHECK(il_membuf_write(&m, "ab", 2) == IL_OK);
    CHECK(il_membuf_write(&m, big, sizeof big) == IL_OK);
    CHECK(il_membuf_write(&m, "", 0) == IL_OK);
    CHECK_EQ_U64(m.len, 1002);
    CHECK(memcmp(m.data, "abx", 3) == 0);
    il_membuf_release(&m);
    CHECK(m.data == NULL && m.len == 0);
}

/* The header numpy 1.24.2 writes for np.save(f, np.zeros((1000, 100))):
 * "{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 100), }", padded
 * with spaces to a 128-byte preamble+header ending in '\n'. */
static void npy_header(void)
{
    il_membuf m = {0};
    double data[6] = {1.5, -2.25, 3, 4, 5, 6};
    const size_t shapes[][3] = {{1000, 100, 0}, {3, 0, 0}, {2, 3, 1}};
    const size_t ndims[] = {2, 1, 3};
    const char *dicts[] = {"{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 100), }",
                           "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                           "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 1), }"};
    static double zeros[1000 * 100];

    for (int k = 0; k < 3; k++) {
        size_t hlen, numel = shapes[k][0] * (ndims[k] > 1 ? shapes[k][1] : 1) *
                             (ndims[k] > 2 ? shapes[k][2] : 1);
        const double *src = k == 0 ? zeros : data;
        m.len = 0;
        REQUIRE(il_npy_write_f64(src, shapes[k], ndims[k], il_membuf_write, &m) == IL_OK);
        REQUIRE(m.len > 10);
        CHECK(memcmp(m.data, "\x93NUMPY\x01\x00", 8) == 0);
        hlen = (size_t)m.data[8] | ((size_t)m.data[9] << 8);
        CHECK_EQ_U64((10 + hlen) % 64, 0);
        if (k == 0)
            CHECK_EQ_U64(hlen, 118); /* numpy: a 128-byte preamble and header */
        CHECK_EQ_U64(m.len, 10 + hlen + numel * 8);
        CHECK(m.data[10 + hlen - 1] == '\n');
        CHECK(memcmp(m.data + 10, dicts[k], strlen(dicts[k])) == 0);
        for (size_t i = 10 + strlen(dicts[k]); i < 10 + hlen - 1; i++)
            CHECK(m.data[i] == ' ');
        CHECK(memcmp(m.data + 10 + hlen, src, numel * 8) == 0);
    }
    il_membuf_release(&m);
}

static void npy_limits(void)
{
    il_membuf m = {0};
    size_t huge[2] = {SIZE_MAX / 2, 3};
    double d = 0;
    CHECK(il_npy_write_f64(&d, huge, 2, il_membuf_write, &m) == IL_ELIMIT);
    CHECK_EQ_U64(m.len, 0);
    {
        size_t scalar_shape[1] = {0};
        CHECK(il_npy_write_f64(&d, scalar_shape, 0, il_membuf_write, &m) == IL_OK);
        CHECK(memcmp(m.data + 10, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 55) ==
              0);
    }
    il_membuf_release(&m);
}

TEST_MAIN({"atomic_write_and_replace", atomic_write_and_replace},
          {"atomic_failures", atomic_failures}, {"atomic_special_files", atomic_special_files},
          {"atomic_links", atomic_links}, {"atomic_digest", atomic_digest},
          {"sha256_vectors", sha256_vectors}, {"membuf", membuf}, {"npy_header", npy_header},
          {"npy_limits", npy_limits})
