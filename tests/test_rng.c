/* SPDX-License-Identifier: MIT */
/*
 * The mt19937 generator and the legacy normal: known answers, numpy streams,
 * state save/restore, no hidden state.
 *
 * Golden streams: tests/golden/mt19937_seed<S>_{u32,f64,normal}.bin, made by
 * `/usr/bin/python3 scripts/gen_golden.py` (numpy 1.24.2 RandomState).
 */
#include "initlab/dist.h"
#include "initlab/rng.h"
#include "test.h"

#define N_GOLDEN 10000

static il_rng *new_mt(uint64_t seed)
{
    il_rng *r = NULL;
    if (il_rng_new(il_rng_find("mt19937"), seed, &r) != IL_OK)
        return NULL;
    return r;
}

/* C++ [rand.predef]: mt19937 default seed 5489, the 10000th output. */
static void mt_kat_cpp(void)
{
    il_rng *r = new_mt(5489);
    uint32_t v = 0;
    REQUIRE(r);
    for (int i = 0; i < 10000; i++)
        v = il_rng_next_u32(r);
    CHECK_EQ_U64(v, 4123659995u);
    il_rng_free(r);
}

/* GSL rng/test.c: rng_test(gsl_rng_mt19937, 4357, 1000, 1186927261). */
static void mt_kat_gsl(void)
{
    il_rng *r = new_mt(4357);
    uint32_t v = 0;
    REQUIRE(r);
    for (int i = 0; i < 1000; i++)
        v = il_rng_next_u32(r);
    CHECK_EQ_U64(v, 1186927261u);
    il_rng_free(r);
}

static void check_stream(uint64_t seed)
{
    char name[64];
    size_t len;
    uint32_t *u32;
    double *f64, *nrm;
    il_rng *r = new_mt(seed);
    size_t bad_u = 0, bad_d = 0, bad_n = 0;

    REQUIRE(r);
    snprintf(name, sizeof name, "mt19937_seed%llu_u32.bin", (unsigned long long)seed);
    u32 = test_read_golden(name, &len);
    REQUIRE(u32 && len == N_GOLDEN * 4);
    snprintf(name, sizeof name, "mt19937_seed%llu_f64.bin", (unsigned long long)seed);
    f64 = test_read_golden(name, &len);
    REQUIRE(f64 && len == N_GOLDEN * 8);
    snprintf(name, sizeof name, "mt19937_seed%llu_normal.bin", (unsigned long long)seed);
    nrm = test_read_golden(name, &len);
    REQUIRE(nrm && len == N_GOLDEN * 8);

    for (size_t i = 0; i < N_GOLDEN; i++)
        bad_u += il_rng_next_u32(r) != u32[i];
    il_rng_seed(r, seed);
    for (size_t i = 0; i < N_GOLDEN; i++) {
        double d = il_rng_next_double(r);
        bad_d += memcmp(&d, &f64[i], 8) != 0;
    }
    il_rng_seed(r, seed);
    for (size_t i = 0; i < N_GOLDEN; i++) {
        double z = il_dist_standard_normal(r);
        /* Bit-exact here (glibc log/sqrt, no FMA contraction); numpy's own
         * tests allow 1e-15 across platforms. */
        bad_n += memcmp(&z, &nrm[i], 8) != 0;
    }
    CHECK_EQ_U64(bad_u, 0);
    CHECK_EQ_U64(bad_d, 0);
    CHECK_EQ_U64(bad_n, 0);
    free(u32);
    free(f64);
    free(nrm);
    il_rng_free(r);
}

static void numpy_stream_seed0(void)
{
    check_stream(0);
}
static void numpy_stream_seed1(void)
{
    check_stream(1);
}
static void numpy_stream_seed100(void)
{
    check_stream(100);
}
static void numpy_stream_seed_max(void)
{
    check_stream(4294967295u);
}

/* numpy/random/tests/test_random.py, TestRandomDist, seed 1234567890:
 * test_rand, test_randn, test_normal, test_uniform (pinned to decimal=15). */
static void numpy_pinned_values(void)
{
    static const double rand_want[6] = {0.61879477158567997, 0.59162362775974664,
                                        0.88868358904449662, 0.89165480011560816,
                                        0.4575674820298663,  0.7781880808593471};
    static const double randn_want[6] = {1.34016345771863121, 1.73759122771936081,
                                         1.498988344300628,   -0.2286433324536169,
                                         2.031033998682787,   2.17032494605655257};
    static const double normal_want[6] = {2.80378370443726244, 3.59863924443872163,
                                          3.121433477601256,   -0.33382987590723379,
                                          4.18552478636557357, 4.46410668111310471};
    static const double uniform_want[6] = {6.99097932346268003, 6.73801597444323974,
                                           9.50364421400426274, 9.53130618907631089,
                                           5.48995325769805476, 8.47493103280052118};
    double got[6];
    il_rng *r = new_mt(1234567890);
    REQUIRE(r);
    for (int i = 0; i < 6; i++)
        got[i] = il_rng_next_double(r);
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(got[i], rand_want[i], 0, 1e-15);
    il_rng_seed(r, 1234567890);
    il_dist_fill_standard_normal(r, got, 6);
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(got[i], randn_want[i], 0, 1e-15);
    il_rng_seed(r, 1234567890);
    il_dist_fill_normal(r, .123456789, 2.0, got, 6);
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(got[i], normal_want[i], 0, 1e-15);
    il_rng_seed(r, 1234567890);
    il_dist_fill_uniform(r, 1.23, 10.54, got, 6);
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(got[i], uniform_want[i], 0, 1e-14);
    il_rng_free(r);
}

/* The cached second deviate is part of the state: save after 1, 2 and 3
 * normals (cache full, empty, full) and the next 16 must repeat. */
static void state_roundtrip(void)
{
    il_rng *r = new_mt(42);
    unsigned char buf[4096];
    REQUIRE(r);
    REQUIRE(il_rng_state_size(r) <= sizeof buf);
    for (int k = 1; k <= 3; k++) {
        double a[16], b[16];
        il_rng_seed(r, 42);
        for (int i = 0; i < k; i++)
            (void)il_dist_standard_normal(r);
        CHECK(il_rng_save(r, buf, sizeof buf) == IL_OK);
        il_dist_fill_standard_normal(r, a, 16);
        (void)il_rng_next_u32(r); /* move on, then go back */
        CHECK(il_rng_restore(r, buf, il_rng_state_size(r)) == IL_OK);
        il_dist_fill_standard_normal(r, b, 16);
        CHECK(memcmp(a, b, sizeof a) == 0);
    }
    il_rng_free(r);
}

static void state_rejects_garbage(void)
{
    il_rng *r = new_mt(1);
    unsigned char buf[4096];
    REQUIRE(r);
    memset(buf, 0xab, sizeof buf);
    CHECK(il_rng_restore(r, buf, il_rng_state_size(r)) == IL_EFORMAT);
    CHECK(il_rng_restore(r, buf, 3) == IL_EFORMAT);
    CHECK(il_rng_save(r, buf, 3) == IL_EINVAL);
    /* still the seed-1 stream after the refused restores */
    {
        il_rng *fresh = new_mt(1);
        REQUIRE(fresh);
        CHECK_EQ_U64(il_rng_next_u32(r), il_rng_next_u32(fresh));
        il_rng_free(fresh);
    }
    il_rng_free(r);
}

/* GSL rng_parallel_state_test: two generators interleaved equal two run one
 * after the other, so no state hides outside the object. */
static void no_hidden_state(void)
{
    il_rng *a = new_mt(7), *b = new_mt(7);
    double seq[1000], inter_a[1000], inter_b[1000];
    REQUIRE(a && b);
    il_dist_fill_standard_normal(a, seq, 1000);
    il_rng_seed(a, 7);
    for (int i = 0; i < 1000; i++) {
        inter_a[i] = il_dist_standard_normal(a);
        inter_b[i] = il_dist_standard_normal(b);
    }
    CHECK(memcmp(seq, inter_a, sizeof seq) == 0);
    CHECK(memcmp(seq, inter_b, sizeof seq) == 0);
    il_rng_free(a);
    il_rng_free(b);
}

/* The array fills draw their uniforms in bulk; they must give exactly what
 * one-at-a-time draws give, across odd sizes that leave a cached deviate
 * for the next call (and with uniforms and raw words interleaved). */
static void bulk_fills_match_single_draws(void)
{
    static const size_t sizes[] = {0, 1, 2, 3, 7, 255, 256, 257, 511, 512, 513, 1001, 1};
    il_rng *a = new_mt(2024), *b = new_mt(2024);
    double buf[1001];
    size_t bad = 0;

    REQUIRE(a && b);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        il_dist_fill_standard_normal(a, buf, sizes[k]);
        for (size_t i = 0; i < sizes[k]; i++) {
            double z = il_dist_standard_normal(b);
            bad += memcmp(&z, &buf[i], 8) != 0;
        }
        il_rng_fill_double(a, buf, k);
        for (size_t i = 0; i < k; i++) {
            double d = il_rng_next_double(b);
            bad += memcmp(&d, &buf[i], 8) != 0;
        }
        CHECK_EQ_U64(il_rng_next_u32(a), il_rng_next_u32(b));
    }
    il_dist_fill_normal(a, -2.5, 0.3, buf, 99);
    for (size_t i = 0; i < 99; i++) {
        double z = -2.5 + 0.3 * il_dist_standard_normal(b);
        bad += memcmp(&z, &buf[i], 8) != 0;
    }
    il_dist_fill_uniform(a, -3.0, 2.0, buf, 77);
    for (size_t i = 0; i < 77; i++) {
        double u = -3.0 + 5.0 * il_rng_next_double(b);
        bad += memcmp(&u, &buf[i], 8) != 0;
    }
    CHECK_EQ_U64(bad, 0);
    il_rng_free(a);
    il_rng_free(b);
}

/* numpy/random/tests/test_random.py, TestSeed: the first
 * RandomState(seed).randint(1000) is 684 for seed 0 and 419 for seed
 * 2^32 - 1 (masked rejection on 32-bit words). */
static void bounded_ints(void)
{
    il_rng *r = new_mt(0);
    REQUIRE(r);
    CHECK_EQ_U64(il_dist_bounded(r, 1000), 684);
    CHECK(il_rng_seed(r, 4294967295u) == IL_OK);
    CHECK_EQ_U64(il_dist_bounded(r, 1000), 419);
    for (int i = 0; i < 10000; i++)
        CHECK(il_dist_bounded(r, 7) < 7);
    CHECK_EQ_U64(il_dist_bounded(r, 1), 0);
    il_rng_free(r);
}

static void seed_range(void)
{
    il_rng *r = NULL;
    const il_rng_type *t = il_rng_find("mt19937");
    REQUIRE(t);
    CHECK(il_rng_new(t, 4294967296ull, &r) == IL_ERANGE);
    CHECK(r == NULL);
    r = new_mt(5);
    REQUIRE(r);
    CHECK(il_rng_seed(r, 1ull << 40) == IL_ERANGE);
    CHECK(il_rng_find("no-such-generator") == NULL);
    CHECK(il_rng_type_count() >= 1);
    CHECK(il_rng_type_at(il_rng_type_count()) == NULL);
    il_rng_free(r);
    il_rng_free(NULL);
}

/* Uniform doubles are in [0, 1) and use all 53 bits. */
static void double_range(void)
{
    il_rng *r = new_mt(3);
    int low_bit_seen = 0;
    REQUIRE(r);
    for (int i = 0; i < 100000; i++) {
        double d = il_rng_next_double(r);
        CHECK(d >= 0.0 && d < 1.0);
        low_bit_seen |= ((uint64_t)(d * 9007199254740992.0) & 1) != 0;
    }
    CHECK(low_bit_seen);
    il_rng_free(r);
}

TEST_MAIN({"mt_kat_cpp", mt_kat_cpp}, {"mt_kat_gsl", mt_kat_gsl},
          {"numpy_stream_seed0", numpy_stream_seed0}, {"numpy_stream_seed1", numpy_stream_seed1},
          {"numpy_stream_seed100", numpy_stream_seed100},
          {"numpy_stream_seed_max", numpy_stream_seed_max},
          {"numpy_pinned_values", numpy_pinned_values}, {"state_roundtrip", state_roundtrip},
          {"state_rejects_garbage", state_rejects_garbage}, {"no_hidden_state", no_hidden_state},
          {"bulk_fills_match_single_draws", bulk_fills_match_single_draws},
          {"bounded_ints", bounded_ints}, {"seed_range", seed_range},
          {"double_range", double_range})
