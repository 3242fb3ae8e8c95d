/* SPDX-License-Identifier: MIT */
/* Initializer registry, spec strings, fans and the lecture's fills. */
#include <math.h>
#include <omp.h>

#include "initlab/dist.h"
#include "initlab/init.h"
#include "internal/dist_impl.h"
#include "internal/init_impl.h"
#include "test.h"

static il_rng *new_mt(uint64_t seed)
{
    il_rng *r = NULL;
    return il_rng_new(il_rng_find("mt19937"), seed, &r) == IL_OK ? r : NULL;
}

static void parse_and_format(void)
{
    il_init in;
    char buf[128];
    il_error err;

    REQUIRE(il_init_parse("normal:std=0.01", &in, &err) == IL_OK);
    CHECK_STR(in.type->name, "normal");
    CHECK_BITS(in.values[0].number, 0.0);
    CHECK_BITS(in.values[1].number, 0.01);
    il_init_format(&in, buf, sizeof buf);
    CHECK_STR(buf, "normal:mean=0,std=0.01");
    REQUIRE(il_init_parse("normal:mean=-2.385,std=1e-3", &in, &err) == IL_OK);
    il_init_format(&in, buf, sizeof buf);
    CHECK_STR(buf, "normal:mean=-2.385,std=0.001");
    REQUIRE(il_init_parse("lecture_he", &in, &err) == IL_OK);
    CHECK(il_init_format(&in, buf, 4) == strlen("lecture_he")); /* snprintf-like */
    CHECK_STR(buf, "lec");
}

static void parse_errors(void)
{
    il_init in;
    il_error err;

    CHECK(il_init_parse("lecture_hee", &in, &err) == IL_ENOTFOUND);
    CHECK_CONTAINS(err.message, "unknown initializer 'lecture_hee'");
    CHECK_CONTAINS(err.message, "did you mean 'lecture_he'?");
    CHECK(il_init_parse("zzzzzzzzzz", &in, &err) == IL_ENOTFOUND);
    CHECK_CONTAINS(err.message, "valid: zeros, ones, constant, uniform, normal,");
    CHECK_CONTAINS(err.message, "lecture_xavier, lecture_he, lsuv)");
    CHECK(il_init_parse("normal:sd=1", &in, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "unknown parameter 'sd' for 'normal' (valid: mean, std)");
    CHECK(il_init_parse("normal:std=abc", &in, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "must be a finite number, got 'abc'");
    CHECK(il_init_parse("normal:std=nan", &in, &err) == IL_EINVAL);
    CHECK(il_init_parse("normal:std=1e999", &in, &err) == IL_EINVAL);
    CHECK(il_init_parse("normal:std=0x10", &in, &err) == IL_EINVAL);
    CHECK(il_init_parse("normal:std=1,std=2", &in, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "given twice");
    CHECK(il_init_parse("normal:", &in, &err) == IL_EINVAL);
    CHECK(il_init_parse("normal:std", &in, &err) == IL_EINVAL);
    CHECK(il_init_parse("normal:std=", &in, &err) == IL_EINVAL);
    CHECK(il_init_parse("normal:std=1,", &in, &err) == IL_EINVAL);
    CHECK(il_init_parse("", &in, &err) == IL_EINVAL);
    CHECK(il_init_parse(":std=1", &in, &err) == IL_EINVAL);
    CHECK(il_init_parse("lecture_he:gain=2", &in, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "'lecture_he' takes no parameters");
    CHECK(il_init_parse("normal", &in, NULL) == IL_OK); /* err may be NULL */
    CHECK(il_init_parse("nope", &in, NULL) == IL_ENOTFOUND);
}

/* torch: (out, in, k...), keras: (k..., in, out), dense: (in, out). */
static void fans(void)
{
    size_t fi = 0, fo = 0;
    il_error err;
    const size_t conv_torch[4] = {16, 3, 5, 5}, conv_keras[4] = {5, 5, 3, 16};
    const size_t dense[2] = {784, 256}, one[1] = {7};

    CHECK(il_fan_compute(conv_torch, 4, IL_LAYOUT_TORCH, &fi, &fo, &err) == IL_OK);
    CHECK_EQ_U64(fi, 75);
    CHECK_EQ_U64(fo, 400);
    CHECK(il_fan_compute(conv_keras, 4, IL_LAYOUT_KERAS, &fi, &fo, &err) == IL_OK);
    CHECK_EQ_U64(fi, 75);
    CHECK_EQ_U64(fo, 400);
    CHECK(il_fan_compute(dense, 2, IL_LAYOUT_DENSE, &fi, &fo, &err) == IL_OK);
    CHECK_EQ_U64(fi, 784);
    CHECK_EQ_U64(fo, 256);
    CHECK(il_fan_compute(dense, 2, IL_LAYOUT_TORCH, &fi, &fo, &err) == IL_OK);
    CHECK_EQ_U64(fi, 256);
    CHECK_EQ_U64(fo, 784);
    CHECK(il_fan_compute(one, 1, IL_LAYOUT_DENSE, &fi, &fo, &err) == IL_ESHAPE);
    CHECK_CONTAINS(err.message, "fewer than 2 dimensions");
    {
        const size_t huge[4] = {SIZE_MAX / 2, 3, 4, 5};
        CHECK(il_fan_compute(huge, 4, IL_LAYOUT_KERAS, &fi, &fo, &err) == IL_ELIMIT);
    }
    CHECK_EQ_INT(il_layout_from_name("torch"), IL_LAYOUT_TORCH);
    CHECK_EQ_INT(il_layout_from_name("keras"), IL_LAYOUT_KERAS);
    CHECK_EQ_INT(il_layout_from_name("dense"), IL_LAYOUT_DENSE);
    CHECK_EQ_INT(il_layout_from_name("tf"), -1);
}

/* The lecture's weights are randn(n, m) * scale, the scale computed once in
 * the lecture's own expression: check every element against a plain
 * standard-normal draw times that scale, computed here independently. */
static void check_scaled(const char *spec, double scale)
{
    size_t shape[2] = {7, 13}; /* not square: a transpose would show */
    double w[91], z[91];
    il_init in;
    il_rng *a = new_mt(11), *b = new_mt(11);
    size_t bad = 0;

    REQUIRE(a && b);
    REQUIRE(il_init_parse(spec, &in, NULL) == IL_OK);
    REQUIRE(il_init_fill(&in, shape, 2, IL_LAYOUT_DENSE, a, w, NULL) == IL_OK);
    il_dist_fill_standard_normal(b, z, 91);
    for (int i = 0; i < 91; i++) {
        double want = z[i] * scale;
        bad += memcmp(&w[i], &want, 8) != 0;
    }
    CHECK_EQ_U64(bad, 0);
    il_rng_free(a);
    il_rng_free(b);
}

static void lecture_fills(void)
{
    check_scaled("lecture_xavier", 1.0 / sqrt(7.0)); /* 1 / np.sqrt(node_num) */
    check_scaled("lecture_he", sqrt(2.0 / 7.0));     /* np.sqrt(2 / node_num) */
    check_scaled("normal:std=0.01", 0.01);           /* randn * 0.01 */
    check_scaled("normal:mean=0,std=1", 1.0);        /* randn */
}

static void describe(void)
{
    size_t shape[2] = {100, 100};
    il_init in;
    il_init_target t;

    REQUIRE(il_init_parse("lecture_he", &in, NULL) == IL_OK);
    REQUIRE(il_init_describe(&in, shape, 2, IL_LAYOUT_DENSE, &t, NULL) == IL_OK);
    CHECK_BITS(t.std, sqrt(2.0 / 100.0));
    CHECK(isnan(t.bound));
    REQUIRE(il_init_parse("lecture_xavier", &in, NULL) == IL_OK);
    REQUIRE(il_init_describe(&in, shape, 2, IL_LAYOUT_DENSE, &t, NULL) == IL_OK);
    CHECK_BITS(t.std, 0.1);
    REQUIRE(il_init_parse("normal:mean=3,std=0.5", &in, NULL) == IL_OK);
    REQUIRE(il_init_describe(&in, shape, 1, IL_LAYOUT_DENSE, &t, NULL) == IL_OK);
    CHECK_BITS(t.mean, 3.0);
    CHECK_BITS(t.std, 0.5);
}

static void fill_errors(void)
{
    size_t shape1[1] = {10}, shape2[2] = {3, 4};
    double w[12];
    il_init in;
    il_error err;
    il_rng *r = new_mt(1);

    REQUIRE(r);
    REQUIRE(il_init_parse("lecture_he", &in, NULL) == IL_OK);
    CHECK(il_init_fill(&in, shape1, 1, IL_LAYOUT_DENSE, r, w, &err) == IL_ESHAPE);
    CHECK_CONTAINS(err.message, "fewer than 2 dimensions");
    REQUIRE(il_init_parse("normal:std=-1", &in, NULL) == IL_OK);
    CHECK(il_init_fill(&in, shape2, 2, IL_LAYOUT_DENSE, r, w, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "std must be >= 0");
    {
        size_t huge[3] = {SIZE_MAX / 4, 4, 2};
        REQUIRE(il_init_parse("normal", &in, NULL) == IL_OK);
        CHECK(il_init_fill(&in, huge, 3, IL_LAYOUT_DENSE, r, w, &err) == IL_ELIMIT);
    }
    il_rng_free(r);
}

static void registry(void)
{
    size_t n = il_init_type_count();
    CHECK(n >= 3);
    for (size_t i = 0; i < n; i++) {
        const il_init_type *t = il_init_type_at(i);
        CHECK(t && t->name && t->formula && t->source && t->target);
        if (t)
            CHECK(t->base == IL_INIT_BASE_NONE ? t->fill != NULL : t->from_noise != NULL);
        CHECK(il_init_find(t->name) == t);
    }
    CHECK(il_init_type_at(n) == NULL);
}

/* il_init_fill_f32 is il_init_fill rounded (orthogonal: close), for every scheme and both
 * generators, from a generator a word into its stream; the elementwise
 * schemes in pieces of 4096 values (65 on 515 x 511: the fill's own 2^22
 * would need 32 MiB tensors to cross a piece's end) and whole, the others
 * whole on a small tensor (QR of 515 x 511 is slow); and the generator
 * ends where il_init_fill leaves it. */
static void fill_f32_is_fill_rounded(void)
{
    static const char *const gens[] = {"philox", "mt19937"};
    const size_t big[2] = {515, 511}, small[2] = {31, 17};
    double *d = malloc(515 * 511 * sizeof *d);
    float *f = malloc(515 * 511 * sizeof *f);
    size_t compared = 0;
    REQUIRE(d && f);
    for (size_t m = 0; m < 4; m++) /* philox, mt19937; whole, then in pieces */
        for (size_t i = 0; i < il_init_type_count(); i++) {
            const il_init_type *t = il_init_type_at(i);
            size_t g = m % 2, pieces = m / 2;
            il_rng *r1 = NULL, *r2 = NULL;
            il_init in;
            char spec[96];
            il_status s1, s2;
            const size_t *shape = t->elementwise ? big : small;
            size_t bad = 0, n = shape[0] * shape[1];
            if (pieces && !t->elementwise)
                continue;
            snprintf(spec, sizeof spec, "%s", t->name);
            if (strcmp(t->name, "constant") == 0)
                snprintf(spec, sizeof spec, "constant:val=0.3");
            else if (strcmp(t->name, "sparse") == 0)
                snprintf(spec, sizeof spec, "sparse:sparsity=0.2");
            REQUIRE(il_init_parse(spec, &in, NULL) == IL_OK);
            REQUIRE(il_rng_new(il_rng_find(gens[g]), 77, &r1) == IL_OK);
            REQUIRE(il_rng_new(il_rng_find(gens[g]), 77, &r2) == IL_OK);
            il_rng_next_u32(r1);
            il_rng_next_u32(r2);
            s1 = il_init_fill(&in, shape, 2, IL_LAYOUT_DENSE, r1, d, NULL);
            s2 = pieces
                     ? il__init_fill_f32_pieces(&in, shape, 2, IL_LAYOUT_DENSE, r2, f, 4096, NULL)
                     : il_init_fill_f32(&in, shape, 2, IL_LAYOUT_DENSE, r2, f, NULL);
            CHECK_EQ_INT(s2, s1);
            if (s1 == IL_OK) {
                /* orthogonal factorises in single precision: within float32's
                 * error of a QR (orthogonal_f32), not the bits */
                int close = strcmp(t->name, "orthogonal") == 0;
                for (size_t k = 0; k < n; k++) {
                    float want = (float)d[k];
                    bad += close ? !(fabs((double)f[k] - d[k]) <= 2e-5)
                                 : memcmp(&want, &f[k], sizeof want) != 0;
                }
                if (bad)
                    fprintf(stderr, "  %s (%s%s): %zu values differ\n", spec, gens[g],
                            pieces ? ", pieces" : "", bad);
                CHECK_EQ_U64(bad, 0);
                CHECK_EQ_U64(il_rng_next_u32(r1), il_rng_next_u32(r2));
                compared++;
            }
            il_rng_free(r1);
            il_rng_free(r2);
        }
    CHECK(compared >= 2 * (il_init_type_count() - 1) + 2 * 21); /* dirac needs 3 to 5 dims */
    free(d);
    free(f);
}

/* orthogonal in float32 (sgeqrf, sorgqr by panels of 32 columns): for
 * wide, square and tall matrices, panels' ends crossed, both layouts and
 * two gains, and either generator, the rows or columns are orthonormal
 * (times gain) and the tensor is the float64 one (the same normals) to
 * float32's error of a QR; the generator ends where il_init_fill leaves
 * it, and the OpenMP / BLAS thread setting, which the panels change for
 * their duration, is restored. The bounds: single precision's unit
 * roundoff is 6e-8, and Householder QR's error grows with the size
 * (Higham, Accuracy and Stability, ch. 19); the worst seen on these
 * cases was 5.6e-7 (orthonormality) and 2.7e-6 (against float64: 65 x
 * 64, torch layout, philox), as this test prints when a bound fails
 * (run with the bounds at 0); 2e-5 leaves room for other BLAS kernels'
 * summation orders. */
static void orthogonal_f32(void)
{
    static const size_t shapes[][4] = {{3, 4},        {4, 3},     {64, 65},  {65, 64},
                                       {100, 7},      {7, 100},   {96, 96},  {97, 33},
                                       {20, 2, 3, 4}, {130, 200}, {200, 130}};
    static const size_t ndims[] = {2, 2, 2, 2, 2, 2, 2, 2, 4, 2, 2};
    static const char *const gens[] = {"philox", "mt19937"};
    double *d = malloc(200 * 130 * sizeof *d);
    float *f = malloc(200 * 130 * sizeof *f);
    const int threads = omp_get_max_threads();
    REQUIRE(d && f);
    for (size_t c = 0; c < 2 * 2 * 2 * (sizeof ndims / sizeof ndims[0]); c++) {
        size_t s = c / 8, rows, cols, n = 1;
        int torch = (c >> 2) & 1, g = (c >> 1) & 1, gen = c & 1;
        il_layout lay = torch ? IL_LAYOUT_TORCH : IL_LAYOUT_DENSE;
        double gain = g ? 0.37 : 1.0, ortho = 0, diff = 0;
        il_rng *r1 = NULL, *r2 = NULL;
        il_init in;
        for (size_t k = 0; k < ndims[s]; k++)
            n *= shapes[s][k];
        rows = torch ? shapes[s][0] : n / shapes[s][ndims[s] - 1];
        cols = n / rows;
        REQUIRE(il_init_parse(g ? "orthogonal:gain=0.37" : "orthogonal", &in, NULL) == IL_OK);
        REQUIRE(il_rng_new(il_rng_find(gens[gen]), 31 + c, &r1) == IL_OK);
        REQUIRE(il_rng_new(il_rng_find(gens[gen]), 31 + c, &r2) == IL_OK);
        REQUIRE(il_init_fill(&in, shapes[s], ndims[s], lay, r1, d, NULL) == IL_OK);
        REQUIRE(il_init_fill_f32(&in, shapes[s], ndims[s], lay, r2, f, NULL) == IL_OK);
        CHECK_EQ_U64(il_rng_next_u32(r1), il_rng_next_u32(r2));
        CHECK_EQ_INT(omp_get_max_threads(), threads);
        for (size_t k = 0; k < n; k++)
            diff = fmax(diff, fabs((double)f[k] - d[k]));
        for (size_t i = 0; i < (rows <= cols ? rows : cols); i++)
            for (size_t j = 0; j <= i; j++) {
                double dot = 0;
                if (rows <= cols)
                    for (size_t k = 0; k < cols; k++)
                        dot += (double)f[i * cols + k] * (double)f[j * cols + k];
                else
                    for (size_t k = 0; k < rows; k++)
                        dot += (double)f[k * cols + i] * (double)f[k * cols + j];
                ortho = fmax(ortho, fabs(dot - (i == j ? gain * gain : 0)));
            }
        if (!(ortho <= 2e-5 && diff <= 2e-5))
            fprintf(stderr,
                    "  orthogonal f32 %zux%zu (%s, gain %g, %s): |W W^T - g^2 I| = %.3g, "
                    "|f32 - f64| = %.3g\n",
                    rows, cols, torch ? "torch" : "dense", gain, gens[gen], ortho, diff);
        CHECK(ortho <= 2e-5);
        CHECK(diff <= 2e-5);
        il_rng_free(r1);
        il_rng_free(r2);
    }
    free(d);
    free(f);
}

/* The vectorised inverse CDF of shared noise against il__trunc_normal_from_uniform
 * (the C library's erf and erfc) on the same 10^6 uniforms and 0: within
 * 16 ulp of it, never outside [a, b], the same in place. The vectorised
 * erf is a series, 3e-16 relative, and near a cut at 2 std (erf 0.95,
 * slope 0.18) that becomes up to 7 ulp of erfinv, where the exact path's
 * erfc keeps those digits; the worst seen was 12 ulp (law 0), 9 (law 1),
 * as this test prints when the bound fails (run it with 0). Laws: torch's
 * default, Keras's he_normal cut (2 std of 0.05), a narrow cut, one
 * off-centre, one partly past |2u'-1| = 0.97 and one wholly past it
 * (il__erfinv there: bit for bit). */
static void trunc_from_uniform_fast(void)
{
    static const il_trunc_normal laws[] = {{0, 1, -2, 2},     {0, 0.05, -0.1, 0.1},
                                           {0, 1, -0.5, 0.5}, {5, 2, 4.5, 4.75},
                                           {0, 1, -3, 3},     {0, 1, 2.5, 3}};
    const size_t n = 1000000;
    double *u = malloc(n * sizeof *u), *want = malloc(n * sizeof *want),
           *got = malloc(n * sizeof *got);
    il_rng *r = new_mt(23);
    REQUIRE(u && want && got && r);
    for (size_t k = 0; k < sizeof laws / sizeof laws[0]; k++) {
        const il_trunc_normal *t = &laws[k];
        double worst = 0;
        size_t outside = 0, tails_differ = 0;
        il_rng_fill_double(r, u, n);
        u[0] = 0.0;
        il__trunc_normal_from_uniform(t, u, want, n);
        il__trunc_normal_from_uniform_fast(t, u, got, n);
        for (size_t i = 0; i < n; i++) {
            double ulp = nextafter(fabs(want[i]), (double)INFINITY) - fabs(want[i]);
            worst = fmax(worst, fabs(got[i] - want[i]) / ulp);
            outside += !(got[i] >= t->a && got[i] <= t->b);
        }
        if (k == 5) /* 2 Phi(2.5) - 1 = 0.9876: all past 0.97 */
            for (size_t i = 0; i < n; i++)
                tails_differ += memcmp(&got[i], &want[i], sizeof got[i]) != 0;
        if (!(worst <= 16))
            fprintf(stderr, "  law %zu: %.3g ulp\n", k, worst);
        CHECK(worst <= 16);
        CHECK_EQ_U64(outside, 0);
        CHECK_EQ_U64(tails_differ, 0);
        il__trunc_normal_from_uniform_fast(t, u, u, n); /* in place */
        CHECK(memcmp(u, got, n * sizeof *u) == 0);
    }
    il_rng_free(r);
    free(u);
    free(want);
    free(got);
}

TEST_MAIN({"parse_and_format", parse_and_format}, {"parse_errors", parse_errors}, {"fans", fans},
          {"lecture_fills", lecture_fills}, {"describe", describe}, {"fill_errors", fill_errors},
          {"registry", registry}, {"fill_f32_is_fill_rounded", fill_f32_is_fill_rounded},
          {"orthogonal_f32", orthogonal_f32}, {"trunc_from_uniform_fast", trunc_from_uniform_fast})
