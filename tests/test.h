/* SPDX-License-Identifier: MIT */
/*
 * A small test harness (acutest's case table, libuv's value-printing
 * checks). Each test file defines its cases and ends with
 *
 *     TEST_MAIN({"name", fn}, ...)
 *
 * Run all cases, or one by name: ./test_rng mt_kat_cpp. The run ends with
 * the line "N passed, N failed" (", N skipped" when some were) and exits
 * non-zero if any case failed.
 */
#ifndef INITLAB_TEST_H
#define INITLAB_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case;

/* State of the running case. */
static int test_failed_;
static int test_skipped_;

#define TEST_FAIL_(...)                                                                            \
    do {                                                                                           \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                                          \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        test_failed_ = 1;                                                                          \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            TEST_FAIL_("CHECK(%s) failed", #cond);                                                 \
    } while (0)

/* Like CHECK, but ends the case. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            TEST_FAIL_("REQUIRE(%s) failed", #cond);                                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                         \
    do {                                                                                           \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                           \
        if (a_ != b_)                                                                              \
            TEST_FAIL_("%s == %s failed: %llu != %llu", #a, #b, (unsigned long long)a_,            \
                       (unsigned long long)b_);                                                    \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            TEST_FAIL_("%s == %s failed: %lld != %lld", #a, #b, a_, b_);                           \
    } while (0)

/* Bit-identical doubles (NaN equals NaN of the same payload). */
#define CHECK_BITS(a, b)                                                                           \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (memcmp(&a_, &b_, sizeof a_) != 0)                                                      \
            TEST_FAIL_("%s bit-equal %s failed: %.17g != %.17g", #a, #b, a_, b_);                  \
    } while (0)

/* Two finished il_layer_stats hold the same results, to the bit: counts,
 * moments, extremes, fractions and the histogram. */
#define CHECK_SAME_STATS(a, b)                                                                     \
    do {                                                                                           \
        CHECK_EQ_U64((a).count, (b).count);                                                        \
        CHECK_EQ_U64((a).nonfinite, (b).nonfinite);                                                \
        CHECK_BITS((a).mean, (b).mean);                                                            \
        CHECK_BITS((a).std, (b).std);                                                              \
        CHECK_BITS((a).min, (b).min);                                                              \
        CHECK_BITS((a).max, (b).max);                                                              \
        CHECK_BITS((a).frac_low, (b).frac_low);                                                    \
        CHECK_BITS((a).frac_high, (b).frac_high);                                                  \
        CHECK_BITS((a).frac_zero, (b).frac_zero);                                                  \
        CHECK((a).bins == (b).bins &&                                                              \
              memcmp((a).counts, (b).counts, (a).bins * sizeof *(a).counts) == 0);                 \
        CHECK_EQ_U64((a).below, (b).below);                                                        \
        CHECK_EQ_U64((a).above, (b).above);                                                        \
    } while (0)

/* |a - b| <= atol + rtol * |b| */
#define CHECK_NEAR(a, b, rtol, atol)                                                               \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (atol) + (rtol)*fabs(b_)))                                          \
            TEST_FAIL_("%s ~ %s failed: %.17g vs %.17g (diff %.3g)", #a, #b, a_, b_,               \
                       fabs(a_ - b_));                                                             \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (strcmp(a_, b_) != 0)                                                                   \
            TEST_FAIL_("%s == %s failed: \"%s\" != \"%s\"", #a, #b, a_, b_);                       \
    } while (0)

/* 'haystack' contains 'needle'. */
#define CHECK_CONTAINS(haystack, needle)                                                           \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!strstr(h_, n_))                                                                       \
            TEST_FAIL_("\"%s\" does not contain \"%s\"", h_, n_);                                  \
    } while (0)

#define SKIP(reason)                                                                               \
    do {                                                                                           \
        fprintf(stderr, "  skipped: %s\n", reason);                                                \
        test_skipped_ = 1;                                                                         \
        return;                                                                                    \
    } while (0)

static inline int test_run_(const test_case *cases, size_t n, int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1) {
            int wanted = 0;
            for (int a = 1; a < argc; a++)
                wanted |= strcmp(argv[a], cases[i].name) == 0;
            if (!wanted)
                continue;
        }
        test_failed_ = test_skipped_ = 0;
        cases[i].fn();
        if (test_failed_) {
            failed++;
            fprintf(stderr, "FAIL %s\n", cases[i].name);
        } else if (test_skipped_) {
            skipped++;
            printf("skip %s\n", cases[i].name);
        } else {
            passed++;
            printf("ok   %s\n", cases[i].name);
        }
    }
    if (skipped)
        printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#define TEST_MAIN(...)                                                                             \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const test_case cases_[] = {__VA_ARGS__};                                           \
        return test_run_(cases_, sizeof cases_ / sizeof cases_[0], argc, argv);                    \
    }

/* Read a whole golden file from IL_GOLDEN_DIR into a malloc'd buffer, with
 * a NUL after its *len bytes so that it can be read as a string. */
static inline void *test_read_golden(const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    long size;
    void *buf;

    snprintf(path, sizeof path, "%s/%s", IL_GOLDEN_DIR, name);
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(size > 0 ? (size_t)size + 1 : 1); /* and a NUL after the bytes */
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        ((char *)buf)[size > 0 ? size : 0] = '\0';
    fclose(f);
    *len = (size_t)size;
    return buf;
}

#endif
