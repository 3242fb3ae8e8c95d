/* SPDX-License-Identifier: MIT */
/*
 * orthogonal(gain): Saxe et al. 2014; torch.nn.init.orthogonal_ and keras
 * Orthogonal. The tensor is read as a matrix (rows x cols) -- torch layout:
 * rows = shape[0]; keras and dense layouts: cols = shape[-1] -- the taller
 * orientation is QR-factorised with LAPACK (dgeqrf, dorgqr), Q's columns
 * are multiplied by the signs of R's diagonal (Mezzadri 2007, so that Q is
 * Haar-distributed), transposed back if needed and scaled by the gain.
 * Rows (if rows <= cols) or columns are then orthonormal: W W^T = gain^2 I
 * or W^T W = gain^2 I.
 *
 * In float32 (il_init_fill_f32) the same normals, rounded to float, are
 * factorised in single precision (sgeqrf, sorgqr), with no double copy
 * of the matrix. The result is the float64 one up to float32 rounding,
 * not its bits.
 */
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/dist.h"
#include "internal/init_impl.h"
#include "internal/spec_impl.h"

/* LAPACK, through the BLAS library's Fortran interface (column-major). */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
             double *work, const int *lwork, int *info);
/* Single precision: the pieces of sgeqrf and sorgqr (the unblocked
 * factorisation and generation, the block reflector's T and its
 * application), driven here; the hidden lengths of the Fortran strings
 * are passed. */
void sgeqr2_(const int *m, const int *n, float *a, const int *lda, float *tau, float *work,
             int *info);
void sorg2r_(const int *m, const int *n, const int *k, float *a, const int *lda, const float *tau,
             float *work, int *info);
void slarft_(const char *direct, const char *storev, const int *n, const int *k, const float *v,
             const int *ldv, const float *tau, float *t, const int *ldt, size_t, size_t);
void slarfb_(const char *side, const char *trans, const char *direct, const char *storev,
             const int *m, const int *n, const int *k, const float *v, const int *ldv,
             const float *t, const int *ldt, float *c, const int *ldc, float *work,
             const int *ldwork, size_t, size_t, size_t, size_t);

/* OpenBLAS's own thread setting (its cblas.h is nn's, tests/layering.py) */
void openblas_set_num_threads(int num_threads);

/* The float32 path draws its normals in float64 pieces of this many values
 * (even, so the pieces are one fill of the generator), rounding each. */
#define F32_NOISE_PIECE ((size_t)1 << 20)

static const il_param orthogonal_params[] = {
    {"gain", IL_PARAM_NUMBER, 1.0, 0, NULL, "scaling factor", 0},
};

static void matrix_dims(const il_init_ctx *ctx, size_t *rows, size_t *cols)
{
    if (ctx->layout == IL_LAYOUT_TORCH) {
        *rows = ctx->shape[0];
        *cols = ctx->shape[0] ? ctx->numel / ctx->shape[0] : 0;
    } else {
        *cols = ctx->shape[ctx->ndim - 1];
        *rows = *cols ? ctx->numel / *cols : 0;
    }
}

static il_status orthogonal_check(const il_init *init, const il_init_ctx *ctx, il_error *err)
{
    size_t rows, cols;
    (void)init;
    if (ctx->ndim < 2) {
        il__set_error(err,
                      "orthogonal: Only tensors with 2 or more dimensions are supported "
                      "(got %zu)",
                      ctx->ndim);
        return IL_ESHAPE;
    }
    matrix_dims(ctx, &rows, &cols);
    if (rows > INT_MAX || cols > INT_MAX) {
        il__set_error(err, "orthogonal: matrix too large for LAPACK (%zu x %zu)", rows, cols);
        return IL_ELIMIT;
    }
    return IL_OK;
}

static il_status orthogonal_from(const il_init *init, const il_init_ctx *ctx, const double *noise,
                                 double *out, il_error *err)
{
    size_t rows, cols, m, n;
    double *a = NULL, *tau = NULL, *work = NULL, *sign = NULL, query;
    int im, in, lwork = -1, info = 0;
    double gain = init->values[0].number;
    il_status st = IL_OK;

    matrix_dims(ctx, &rows, &cols);
    m = rows > cols ? rows : cols; /* factorise the tall orientation, m >= n */
    n = rows > cols ? cols : rows;
    im = (int)m;
    in = (int)n;
    a = il_malloc_n(m * n, sizeof *a);
    tau = il_malloc_n(n, sizeof *tau);
    sign = il_malloc_n(n, sizeof *sign);
    if (!a || !tau || !sign) {
        st = IL_ENOMEM;
        goto done;
    }
    /* The noise, row-major rows x cols, as a column-major m x n matrix:
     * when rows < cols it already is its transpose, so it is copied as is;
     * otherwise it is transposed. */
    if (rows < cols)
        memcpy(a, noise, m * n * sizeof *a);
    else
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                a[i + j * m] = noise[i * cols + j];
    dgeqrf_(&im, &in, a, &im, tau, &query, &lwork, &info);
    lwork = info == 0 && query > 0 && query < (double)INT_MAX ? (int)query : in * 64;
    work = il_malloc_n((size_t)lwork, sizeof *work);
    if (!work) {
        st = IL_ENOMEM;
        goto done;
    }
    dgeqrf_(&im, &in, a, &im, tau, work, &lwork, &info);
    if (info != 0)
        goto lapack_failed;
    for (size_t j = 0; j < n; j++) {
        double d = a[j + j * m];
        sign[j] = d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0); /* torch.sign */
    }
    dorgqr_(&im, &in, &in, a, &im, tau, work, &lwork, &info);
    if (info != 0)
        goto lapack_failed;
    /* Q (column-major m x n) times the signs, back to rows x cols row-major:
     * the transposed orientation has exactly Q's memory layout. */
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < m; i++) {
            double q = a[i + j * m] * sign[j] * gain;
            if (rows < cols)
                out[j * m + i] = q;
            else
                out[i * cols + j] = q;
        }
    goto done;
lapack_failed:
    il__set_error(err, "orthogonal: LAPACK failed (info %d)", info);
    st = IL_EINVAL;
done:
    il_free(a);
    il_free(tau);
    il_free(work);
    il_free(sign);
    return st;
}

/* The normals of the float64 path, rounded into 'out' (numel floats),
 * through a double scratch of one piece. Returns 0 when out of memory. */
static int draw_rounded(il_rng *rng, float *out, size_t numel)
{
    size_t chunk = numel < F32_NOISE_PIECE ? numel : F32_NOISE_PIECE;
    double *buf = il_malloc_n(chunk, sizeof *buf);
    if (!buf)
        return 0;
    for (size_t off = 0; off < numel; off += chunk) {
        size_t k = numel - off < chunk ? numel - off : chunk;
        il_dist_fill_standard_normal(rng, buf, k);
        for (size_t i = 0; i < k; i++)
            out[off + i] = (float)buf[i];
    }
    il_free(buf);
    return 1;
}

/* The block size of the blocked QR below (LAPACK's ilaenv gives sgeqrf 32) */
#define NB 32

/* BLAS threads for the steps that follow: one for the level-2 work on a
 * panel of NB columns, where each of its thousands of small calls would
 * otherwise be a parallel region that waits for the other core (on the
 * shared 2-vCPU machine one 2048^2 factorisation took 0.35 s one minute
 * and 19 s the next), the caller's setting for the products. Left alone
 * inside a parallel region, where OpenBLAS runs on one thread anyway. */
static void blas_threads(int n)
{
    if (!omp_in_parallel())
        openblas_set_num_threads(n);
}

/* sgeqrf then sorgqr of the column-major m x n 'a' (m >= n, leading
 * dimension m), as LAPACK's drivers do them (panels of NB columns,
 * unblocked within a panel, the block reflector applied to the rest of the
 * matrix), with the panels on one BLAS thread. signs[j] = sign(R_jj)
 * (torch.sign) times 'gain'. 'work' holds (n + NB) * NB floats. */
static void qr_q_f32(float *a, int m, int n, float *tau, float *work, float gain, float *signs)
{
    const int threads = omp_get_max_threads(); /* what OpenBLAS's OpenMP build uses */
    const size_t lda = (size_t)m;
    float *t = work + (size_t)n * NB; /* NB x NB */
    int info = 0, nb = NB;

    for (int k = 0; k < n; k += NB) { /* the factorisation */
        int kb = n - k < NB ? n - k : NB, rows = m - k, rest = n - k - kb;
        float *panel = a + (size_t)k * (lda + 1);
        blas_threads(1);
        sgeqr2_(&rows, &kb, panel, &m, tau + k, work, &info);
        if (rest > 0)
            slarft_("F", "C", &rows, &kb, panel, &m, tau + k, t, &nb, 1, 1);
        blas_threads(threads);
        if (rest > 0)
            slarfb_("L", "T", "F", "C", &rows, &rest, &kb, panel, &m, t, &nb,
                    panel + (size_t)kb * lda, &m, work, &rest, 1, 1, 1, 1);
    }
    for (int j = 0; j < n; j++) {
        float d = a[(size_t)j * (lda + 1)];
        signs[j] = (d > 0 ? 1.0f : (d < 0 ? -1.0f : 0.0f)) * gain;
    }
    for (int k = (n - 1) / NB * NB; k >= 0; k -= NB) { /* Q, from the last panel back */
        int kb = n - k < NB ? n - k : NB, rows = m - k, rest = n - k - kb;
        float *panel = a + (size_t)k * (lda + 1);
        if (rest > 0) { /* the panels to the right are Q's columns already */
            blas_threads(1);
            slarft_("F", "C", &rows, &kb, panel, &m, tau + k, t, &nb, 1, 1);
            blas_threads(threads);
            slarfb_("L", "N", "F", "C", &rows, &rest, &kb, panel, &m, t, &nb,
                    panel + (size_t)kb * lda, &m, work, &rest, 1, 1, 1, 1);
        }
        blas_threads(1);
        sorg2r_(&rows, &kb, &kb, panel, &m, tau + k, work, &info);
        blas_threads(threads);
        for (int j = k; j < k + kb; j++) /* rows above the panel: zero */
            memset(a + (size_t)j * lda, 0, (size_t)k * sizeof *a);
    }
}

/* dst (column-major rows x cols, leading dimension rows) = src (row-major
 * rows x cols) times scale[j] on column j (scale NULL: 1), by tiles that
 * stay in cache. */
#define TILE 32
static void transpose_scaled(const float *src, float *dst, size_t rows, size_t cols,
                             const float *scale)
{
#pragma omp parallel for schedule(static) if (rows * cols >= ((size_t)1 << 18))
    for (size_t i0 = 0; i0 < rows; i0 += TILE)
        for (size_t j0 = 0; j0 < cols; j0 += TILE) {
            size_t i1 = i0 + TILE < rows ? i0 + TILE : rows;
            size_t j1 = j0 + TILE < cols ? j0 + TILE : cols;
            for (size_t j = j0; j < j1; j++) {
                float s = scale ? scale[j] : 1.0f;
                for (size_t i = i0; i < i1; i++)
                    dst[i + j * rows] = src[i * cols + j] * s;
            }
        }
}

/* The same, column-major 'src' (leading dimension rows) to row-major 'dst' */
static void untranspose_scaled(const float *src, float *dst, size_t rows, size_t cols,
                               const float *scale)
{
#pragma omp parallel for schedule(static) if (rows * cols >= ((size_t)1 << 18))
    for (size_t i0 = 0; i0 < rows; i0 += TILE)
        for (size_t j0 = 0; j0 < cols; j0 += TILE) {
            size_t i1 = i0 + TILE < rows ? i0 + TILE : rows;
            size_t j1 = j0 + TILE < cols ? j0 + TILE : cols;
            for (size_t i = i0; i < i1; i++)
                for (size_t j = j0; j < j1; j++)
                    dst[i * cols + j] = src[i + j * rows] * scale[j];
        }
}

/* orthogonal_from in single precision: the same steps on the normals
 * rounded to float. Wide (rows < cols): 'out' is, column-major, the tall
 * cols x rows matrix torch factorises, so it is factorised in place and Q
 * is already where 'out' wants it. Tall and square: the matrix goes
 * through a float scratch, column-major. (LAPACK's LQ routines on 'out'
 * itself would give the same Q without the scratch, but took a third
 * longer: their level-2 steps walk rows, with a stride.) */
static il_status orthogonal_fill_f32(const il_init *init, const il_init_ctx *ctx, il_rng *rng,
                                     float *out, il_error *err)
{
    size_t rows, cols, m, n;
    float *a = NULL, *tau = NULL, *work = NULL, *sign = NULL;
    int im, in, wide;
    float gain = (float)init->values[0].number;
    il_status st = IL_OK;

    matrix_dims(ctx, &rows, &cols);
    wide = rows < cols;
    m = wide ? cols : rows; /* factorise the tall orientation, m >= n */
    n = wide ? rows : cols;
    im = (int)m;
    in = (int)n;
    a = wide ? out : il_malloc_n(m * n, sizeof *a);
    tau = il_malloc_n(n, sizeof *tau);
    sign = il_malloc_n(n, sizeof *sign);
    work = il_malloc_n((n + NB) * NB, sizeof *work);
    if (!a || !tau || !sign || !work || !draw_rounded(rng, out, ctx->numel)) {
        st = IL_ENOMEM;
        goto done;
    }
    if (!wide)
        transpose_scaled(out, a, rows, cols, NULL);
    qr_q_f32(a, im, in, tau, work, gain, sign);
    if (wide) { /* Q's column j is out[j * m, j * m + m) */
#pragma omp parallel for schedule(static) if (m * n >= ((size_t)1 << 18))
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i < m; i++)
                out[j * m + i] *= sign[j];
    } else {
        untranspose_scaled(a, out, rows, cols, sign);
    }
done:
    if (st == IL_ENOMEM)
        il__set_error(err, "out of memory (orthogonal's factorisation)");
    if (a != out)
        il_free(a);
    il_free(tau);
    il_free(work);
    il_free(sign);
    return st;
}

static void orthogonal_target(const il_init *init, const il_init_ctx *ctx, il_init_target *t)
{
    size_t rows, cols;
    matrix_dims(ctx, &rows, &cols);
    t->gain = init->values[0].number;
    t->mean = 0.0;
    /* every entry has variance gain^2 / max(rows, cols) */
    t->std = fabs(t->gain) / sqrt((double)(rows > cols ? rows : cols));
}

const il_init_type il__init_orthogonal = {
    .name = "orthogonal",
    .formula = "gain * Q, Q from the QR of a Gaussian matrix with sign(diag R) fixed",
    .source = "torch.nn.init.orthogonal_(gain=1); keras Orthogonal; Saxe et al. 2014",
    .params = orthogonal_params,
    .n_params = 1,
    .base = IL_INIT_BASE_NORMAL,
    .check = orthogonal_check,
    .from_noise = orthogonal_from,
    .fill_f32 = orthogonal_fill_f32,
    .target = orthogonal_target,
};
