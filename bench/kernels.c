/* SPDX-License-Identifier: MIT */
/*
 * initlab's side of bench/perf.sh: one measurement per call, printed as
 * "seconds" on stdout, so that the driver can alternate it with numpy and
 * PyTorch and take medians.
 *
 *   bench_kernels normal-f64 N THREADS [philox|mt19937]
 *   bench_kernels normal-f32 N THREADS
 *   bench_kernels trunc-f64 N THREADS [RNG]  N(0,1) cut to [-2, 2] (torch's trunc_normal_
 *                                            defaults), il_dist_fill_trunc_normal
 *   bench_kernels trunc-f32 N THREADS [RNG]  the same as float32: il_init_fill_f32 of
 *                                            trunc_normal (drawn in f64, rounded in pieces)
 *   bench_kernels orth-f64 N THREADS [RNG]   orthogonal of N x N (il_init_fill: dgeqrf, dorgqr)
 *   bench_kernels orth-f32 N THREADS [RNG]   the same as float32 (il_init_fill_f32: sgelqf,
 *                                            sorglq), against torch.nn.init.orthogonal_
 *   bench_kernels stats N          histogram (30 bins) + moments of N normals
 *   bench_kernels read N           one streaming read of N doubles (bandwidth)
 *   bench_kernels gemm-f64 N       one N x N x N product (cblas_dgemm); gemm-f32 likewise
 *
 * The buffer is written once before the clock starts, so page faults are not
 * timed (numpy's side reuses its buffers with out= for the same reason).
 */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "initlab/initlab.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_kernels "
                    "normal-f64|normal-f32|trunc-f64|trunc-f32|orth-f64|orth-f32|stats|read "
                    "N [THREADS] "
                    "[RNG]\n");
    return 2;
}

int main(int argc, char **argv)
{
    size_t n;
    il_rng *rng = NULL;
    double t0, t1;

    if (argc < 3)
        return usage();
    n = strtoull(argv[2], NULL, 10);
    if (argc > 3)
        omp_set_num_threads(atoi(argv[3]));
    if (il_rng_new(il_rng_find(argc > 4 ? argv[4] : "philox"), 1, &rng) != IL_OK)
        return usage();
    if (strcmp(argv[1], "normal-f64") == 0 || strcmp(argv[1], "trunc-f64") == 0 ||
        strcmp(argv[1], "stats") == 0 || strcmp(argv[1], "read") == 0) {
        double *x = malloc(n * sizeof *x), sum = 0;
        if (!x)
            return 1;
        il_dist_fill_standard_normal(rng, x, n); /* touch every page */
        if (strcmp(argv[1], "normal-f64") == 0) {
            t0 = now();
            il_dist_fill_standard_normal(rng, x, n);
            t1 = now();
        } else if (strcmp(argv[1], "trunc-f64") == 0) {
            const il_trunc_normal law = {0.0, 1.0, -2.0, 2.0};
            t0 = now();
            il_dist_fill_trunc_normal(rng, &law, x, n);
            t1 = now();
        } else if (strcmp(argv[1], "stats") == 0) {
            il_layer_stats s;
            il_stats_config cfg = {30, -4.0, 4.0, 0.01, 0.99};
            if (il_layer_stats_init(&s, &cfg) != IL_OK)
                return 1;
            t0 = now();
            il_layer_stats_add(&s, x, n);
            il_layer_stats_finish(&s);
            t1 = now();
            sum = s.std;
            il_layer_stats_release(&s);
        } else {
            t0 = now();
#pragma omp parallel for reduction(+ : sum) schedule(static)
            for (size_t i = 0; i < n; i++)
                sum += x[i];
            t1 = now();
        }
        if (sum == 12345.678) /* keep the work */
            puts("");
        free(x);
    } else if (strncmp(argv[1], "gemm-f", 6) == 0) {
        int m = (int)n, f32 = strcmp(argv[1], "gemm-f32") == 0;
        size_t nn = n * n, sz = f32 ? sizeof(float) : sizeof(double);
        void *a = malloc(nn * sz), *b = malloc(nn * sz), *c = malloc(nn * sz);
        if (!a || !b || !c)
            return 1;
        if (f32) {
            il_dist_fill_standard_normal_f32(rng, a, nn);
            il_dist_fill_standard_normal_f32(rng, b, nn);
            memset(c, 0, nn * sz);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0f, a, m, b, m, 0.0f,
                        c, m); /* warm: OpenBLAS sets up its buffers */
            t0 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0f, a, m, b, m, 0.0f,
                        c, m);
            t1 = now();
        } else {
            il_dist_fill_standard_normal(rng, a, nn);
            il_dist_fill_standard_normal(rng, b, nn);
            memset(c, 0, nn * sz);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0, a, m, b, m, 0.0, c,
                        m);
            t0 = now();
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0, a, m, b, m, 0.0, c,
                        m);
            t1 = now();
        }
        free(a);
        free(b);
        free(c);
    } else if (strcmp(argv[1], "trunc-f32") == 0) {
        float *x = malloc(n * sizeof *x);
        il_init init;
        if (!x || il_init_parse("trunc_normal", &init, NULL) != IL_OK)
            return 1;
        if (il_init_fill_f32(&init, &n, 1, IL_LAYOUT_DENSE, rng, x, NULL) != IL_OK)
            return 1;
        t0 = now();
        il_init_fill_f32(&init, &n, 1, IL_LAYOUT_DENSE, rng, x, NULL);
        t1 = now();
        free(x);
    } else if (strncmp(argv[1], "orth-f", 6) == 0) {
        /* the whole fill (the normals, the factorisation, the sign fix), as
         * torch's call does; the second call is timed, after OpenBLAS has
         * set up its buffers and the pages have been touched */
        size_t shape[2] = {n, n}, nn = n * n;
        int f32 = strcmp(argv[1], "orth-f32") == 0;
        void *w = malloc(nn * (f32 ? sizeof(float) : sizeof(double)));
        il_init init;
        il_status st = IL_OK;
        if (!w || il_init_parse("orthogonal", &init, NULL) != IL_OK)
            return 1;
        for (int k = 0; k < 2 && st == IL_OK; k++) {
            t0 = now();
            st = f32 ? il_init_fill_f32(&init, shape, 2, IL_LAYOUT_DENSE, rng, w, NULL)
                     : il_init_fill(&init, shape, 2, IL_LAYOUT_DENSE, rng, w, NULL);
            t1 = now();
        }
        free(w);
        if (st != IL_OK)
            return 1;
    } else if (strcmp(argv[1], "normal-f32") == 0) {
        float *x = malloc(n * sizeof *x);
        if (!x)
            return 1;
        il_dist_fill_standard_normal_f32(rng, x, n);
        t0 = now();
        il_dist_fill_standard_normal_f32(rng, x, n);
        t1 = now();
        free(x);
    } else {
        return usage();
    }
    il_rng_free(rng);
    printf("%.6f\n", t1 - t0);
    return 0;
}
