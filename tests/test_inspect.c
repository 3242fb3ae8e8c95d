/* SPDX-License-Identifier: MIT */
/* initlab inspect's matching (cli/inspect_match.c): every candidate is a
 * spec the library parses, and samples drawn by the library's own
 * initializers are told apart by std and by shape (kurtosis). */
#include "inspect.h"
#include "test.h"

static void candidates_parse(void)
{
    size_t n = inspect_candidate_count();
    CHECK(n >= 20);
    for (size_t i = 0; i < n; i++) {
        il_init init;
        il_error err;
        if (il_init_parse(inspect_candidate_at(i), &init, &err) != IL_OK)
            TEST_FAIL_("'%s': %s", inspect_candidate_at(i), err.message);
    }
}

static int has_match(const inspect_tensor *x, const char *spec)
{
    for (size_t k = 0; k < x->n_matches; k++)
        if (strcmp(x->matches[k], spec) == 0)
            return 1;
    return 0;
}

/* Draw 'spec' on a torch (256, 512) tensor (131072 values) and match it. */
static void draw_and_match(const char *spec, il_tensor *t, inspect_tensor *x)
{
    static const size_t shape[2] = {256, 512};
    il_init init;
    il_rng *rng;
    memset(t, 0, sizeof *t);
    memset(x, 0, sizeof *x);
    t->name = (char *)"fc.weight";
    t->array.ndim = 2;
    t->array.shape[0] = shape[0];
    t->array.shape[1] = shape[1];
    t->array.numel = shape[0] * shape[1];
    t->array.data = malloc(t->array.numel * sizeof(double));
    if (!t->array.data || il_init_parse(spec, &init, NULL) != IL_OK ||
        il_rng_new(il_rng_find("philox"), 7, &rng) != IL_OK)
        return;
    if (il_init_fill(&init, shape, 2, IL_LAYOUT_TORCH, rng, t->array.data, NULL) == IL_OK) {
        x->t = t;
        x->layout = IL_LAYOUT_TORCH;
        inspect_stats_of(&t->array, &x->stats);
        inspect_match(x, 0, 0);
    }
    il_rng_free(rng);
}

/* he_normal (Keras: truncated at 2 std, variance 2/fan_in after the
 * 0.8796 correction), kaiming_normal:nonlinearity=relu (the same variance,
 * untruncated) and kaiming_uniform:nonlinearity=relu (again) differ only
 * in shape: kurtosis 2.366, 3 and 1.8, each with a standard error under
 * 0.014 at 131072 values (24/n for a normal). */
static void shapes_apart(void)
{
    static const char *const specs[] = {"he_normal", "kaiming_normal:nonlinearity=relu",
                                        "kaiming_uniform:nonlinearity=relu"};
    for (size_t i = 0; i < 3; i++) {
        il_tensor t;
        inspect_tensor x;
        draw_and_match(specs[i], &t, &x);
        REQUIRE(x.t != NULL);
        CHECK(x.n_matches >= 1);
        if (x.n_matches)
            CHECK_STR(x.matches[0], specs[i]);
        for (size_t j = 0; j < 3; j++)
            if (j != i && has_match(&x, specs[j]))
                TEST_FAIL_("%s's sample also matches %s", specs[i], specs[j]);
        free(t.array.data);
    }
}

/* torch's default is a uniform of std 1/sqrt(3 fan_in): not He's, not
 * GPT-2's 0.02 at fan_in 512 (std 0.0255). */
static void torch_default(void)
{
    il_tensor t;
    inspect_tensor x;
    draw_and_match("torch_linear_default", &t, &x);
    REQUIRE(x.t != NULL);
    REQUIRE(x.n_matches == 1);
    CHECK_STR(x.matches[0], "torch_linear_default");
    CHECK_NEAR(x.predicted[0], 1 / sqrt(3.0 * 512), 1e-12, 0);
    /* scaled by 10: nothing fits */
    for (size_t i = 0; i < t.array.numel; i++)
        t.array.data[i] *= 10;
    inspect_stats_of(&t.array, &x.stats);
    inspect_match(&x, 0, 0);
    CHECK_EQ_U64(x.n_matches, 0);
    free(t.array.data);
}

static void constants(void)
{
    double v[4] = {0, 0, 0, 0};
    il_tensor t = {(char *)"b", "float32", 0, {v, {4}, 1, 4}};
    inspect_tensor x = {0};
    x.t = &t;
    x.layout = IL_LAYOUT_TORCH;
    inspect_stats_of(&t.array, &x.stats);
    inspect_match(&x, 0, 0);
    REQUIRE(x.n_matches == 1);
    CHECK_STR(x.matches[0], "zeros");
    v[2] = (double)NAN;
    inspect_stats_of(&t.array, &x.stats);
    CHECK_EQ_U64(x.stats.nonfinite, 1);
    inspect_match(&x, 0, 0);
    CHECK_EQ_U64(x.n_matches, 0); /* a NaN is not zeros */
}

TEST_MAIN({"candidates_parse", candidates_parse}, {"shapes_apart", shapes_apart},
          {"torch_default", torch_default}, {"constants", constants})
