/* SPDX-License-Identifier: MIT */
/*
 * Network descriptions and recipes: the JSON form and its refusals, the
 * presets and their round trip through JSON, and each recipe's
 * per-parameter std against its formula (ARCHITECTURES.md section 2), both
 * the rule's stated std and the std of the values it fills.
 *
 * Sampling tolerance: the std of n draws has a relative standard error of
 * about 1/sqrt(2n); a 64 x 64 weight (n = 4096) gives 1.1 %, so 5 % is
 * more than four standard errors.
 */
#include <math.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/netdesc.h"
#include "initlab/recipe.h"
#include "test.h"

static il_netdesc *parse(const char *text)
{
    il_netdesc *d = NULL;
    il_error err;
    il_status st = il_netdesc_parse(text, &d, &err);
    if (st != IL_OK)
        TEST_FAIL_("%s: %s", text, err.message);
    return d;
}

static void refused(const char *text, il_status want, const char *needle)
{
    il_netdesc *d = NULL;
    il_error err;
    il_status st = il_netdesc_parse(text, &d, &err);
    CHECK_EQ_INT(st, want);
    CHECK(d == NULL);
    if (st != IL_OK)
        CHECK_CONTAINS(err.message, needle);
    il_netdesc_free(d);
}

static void json_form(void)
{
    const char *text = "{\"input\": {\"features\": 8}, \"layers\": ["
                       "{\"type\": \"dense\", \"out\": 8},"
                       "{\"type\": \"residual\", \"alpha\": 0.5, \"body\": ["
                       "  {\"type\": \"dense\", \"out\": 8, \"bias\": false},"
                       "  {\"type\": \"act\", \"fn\": \"tanh\"}]},"
                       "{\"type\": \"dense\", \"out\": 3}]}";
    il_netdesc *d = parse(text), *again;
    il_net *n = NULL;
    il_error err;
    char *json, *json2;
    size_t n_ops;

    REQUIRE(d != NULL);
    CHECK_EQ_U64(il_netdesc_input(d)->dim[0], 8);
    CHECK_EQ_U64(il_netdesc_ops(d, &n_ops)[1].n_body, 2);
    CHECK_EQ_U64(n_ops, 3);
    CHECK(il_netdesc_ops(d, &n_ops)[1].has_alpha);
    CHECK(il_netdesc_ops(d, &n_ops)[0].bias); /* dense's default */
    REQUIRE(il_netdesc_build(d, 4, &n, &err) == IL_OK);
    CHECK_STR(il_net_param_name(n, 2), "layers.1.body.0.weight");
    CHECK_STR(il_net_param_name(n, 3), "layers.1.alpha");
    il_net_free(n);
    /* every default written out, and read back to the same text */
    json = il_netdesc_to_json(d);
    REQUIRE(json != NULL);
    CHECK_CONTAINS(json, "\"bias\":\ttrue");
    again = parse(json);
    REQUIRE(again != NULL);
    json2 = il_netdesc_to_json(again);
    REQUIRE(json2 != NULL);
    CHECK_STR(json, json2);
    il_free(json);
    il_free(json2);
    il_netdesc_free(again);
    il_netdesc_free(d);
}

static void json_refusals(void)
{
    refused("{\"input\": {\"features\": 8}, \"layers\": [{\"type\": \"dense\", \"outs\": 3}]}",
            IL_EINVAL, "layers.0: unknown key \"outs\"; dense takes out,bias");
    refused("{\"input\": {\"features\": 8}, \"layers\": [{\"type\": \"dens\", \"out\": 3}]}",
            IL_ENOTFOUND, "layers.0: ");
    refused("{\"input\": {\"features\": 8}, \"layers\": [{\"type\": \"residual\", \"body\": "
            "[{\"type\": \"dense\", \"out\": 0}]}]}",
            IL_EINVAL, "layers.0.body.0: \"out\" must be a whole number");
    refused("{\"input\": {\"features\": 8}, \"layers\": [{\"type\": \"act\", \"fn\": \"relux\"}]}",
            IL_ENOTFOUND, "layers.0: \"fn\"");
    refused("{\"input\": {\"pixels\": 8}, \"layers\": [{\"type\": \"dense\", \"out\": 3}]}",
            IL_EINVAL, "input: unknown key \"pixels\"");
    refused("{\"input\": {\"features\": 8}, \"layers\": []}", IL_EINVAL, "\"layers\"");
    refused("{\"input\": {\"features\": 8}, \"layers\": [{\"type\": \"dense\", \"out\": 3}], "
            "\"x\": 1}",
            IL_EINVAL, "unknown key \"x\"");
    refused("{\"input\": {\"features\": 8}, \"layers\": [{\"type\": \"dense\", \"out\": 3, "
            "\"out\": 4}]}",
            IL_EFORMAT, "duplicate key");
    refused("resmlp:blocks=0", IL_EINVAL, "\"blocks\"");
    refused("resmlp:widht=3", IL_EINVAL, "widht");
    refused("resnet", IL_ENOTFOUND, "resmlp");
    {
        /* a body that changes the shape, refused when built, by name */
        il_netdesc *d = parse("{\"input\": {\"features\": 8}, \"layers\": [{\"type\": \"dense\", "
                              "\"out\": 8}, {\"type\": \"residual\", \"body\": [{\"type\": "
                              "\"dense\", \"out\": 4}]}]}");
        il_net *n = NULL;
        il_error err;
        REQUIRE(d != NULL);
        CHECK_EQ_INT(il_netdesc_build(d, 2, &n, &err), IL_ESHAPE);
        CHECK_CONTAINS(err.message, "layers.1 (residual)");
        il_netdesc_free(d);
    }
}

static void presets(void)
{
    il_netdesc *d = parse("mlp");
    il_net *n = NULL;
    il_error err;
    size_t n_ops;

    REQUIRE(d != NULL);
    /* the lecture: 100 inputs, 5 dense+act layers of 100, no biases, ReLU */
    CHECK_EQ_U64(il_netdesc_input(d)->dim[0], 100);
    il_netdesc_ops(d, &n_ops);
    CHECK_EQ_U64(n_ops, 10);
    REQUIRE(il_netdesc_build(d, 3, &n, &err) == IL_OK);
    CHECK_EQ_U64(il_net_param_count(n), 5);
    il_net_free(n);
    il_netdesc_free(d);

    d = parse("resmlp:blocks=3,width=16,act=tanh");
    REQUIRE(d != NULL);
    REQUIRE(il_netdesc_build(d, 2, &n, &err) == IL_OK);
    CHECK_EQ_U64(il_net_op_count(n), 3 * 4); /* dense, act, dense, the residual */
    CHECK_EQ_U64(il_net_param_count(n), 3 * 3);
    CHECK_STR(il_net_param_name(n, 2), "layers.0.alpha");
    CHECK_STR(il_netdesc_preset(d), "resmlp:blocks=3,width=16,act=tanh");
    il_net_free(n);
    il_netdesc_free(d);
}

/* The std of a parameter's values about 0. */
static double rms(il_net *n, size_t i)
{
    size_t m = il_tshape_size(&il_net_param(n, i, NULL)->shape);
    const double *v = il_net_param_data(n, i);
    double s = 0;
    for (size_t j = 0; j < m; j++)
        s += v[j] * v[j];
    return sqrt(s / (double)m);
}

/* Recipe 'spec' on resmlp:blocks=4,width=64: each weight's and alpha's
 * stated and measured std against 'first' (a branch's first dense),
 * 'last' (its second) and 'alpha'. */
static void check_recipe(const char *spec, double first, double last, double alpha)
{
    il_netdesc *d = parse("resmlp:blocks=4,width=64");
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_recipe_spec r;
    il_error err;

    REQUIRE(d != NULL);
    REQUIRE(il_netdesc_build(d, 2, &n, &err) == IL_OK);
    REQUIRE(il_recipe_parse(spec, &r, &err) == IL_OK);
    REQUIRE(il_rng_new(il_rng_find("philox"), 7, &rng) == IL_OK);
    REQUIRE(il_recipe_apply(&r, n, rng, &err) == IL_OK);
    for (size_t b = 0; b < 4; b++) {
        const double want[3] = {first, last, alpha};
        for (size_t j = 0; j < 3; j++) {
            size_t i = 3 * b + j;
            il_param_rule rule;
            REQUIRE(il_recipe_rule(&r, n, i, &rule, &err) == IL_OK);
            if (j == 2) {
                CHECK_EQ_INT(rule.kind, IL_RULE_CONSTANT);
                CHECK(rule.value == alpha && il_net_param_data(n, i)[0] == alpha);
                continue;
            }
            if (want[j] == 0) {
                CHECK(rule.std == 0 && rms(n, i) == 0);
                continue;
            }
            CHECK_NEAR(rule.std, want[j], 1e-12, 0);
            CHECK_NEAR(rms(n, i), want[j], 0.05, 0);
        }
    }
    il_rng_free(rng);
    il_net_free(n);
    il_netdesc_free(d);
}

static void recipes(void)
{
    const double he = sqrt(2.0 / 64);
    il_recipe_spec r;
    il_error err;

    for (size_t i = 0; i < il_recipe_count(); i++)
        CHECK(il_recipe_find(il_recipe_at(i)->name) == il_recipe_at(i));
    CHECK_EQ_U64(il_recipe_count(), 12);
    CHECK_EQ_INT(il_recipe_parse("fixpu", &r, &err), IL_ENOTFOUND);
    CHECK_CONTAINS(err.message, "fixup");
    CHECK_EQ_INT(il_recipe_parse("he:alpah=1", &r, &err), IL_EINVAL);

    check_recipe("he", he, he, 1);
    check_recipe("xavier", sqrt(2.0 / 128), sqrt(2.0 / 128), 1);
    /* Fixup: L = 4 branches of m = 2 layers: He x 4^(-1/2), then zero */
    check_recipe("fixup", he * 0.5, 0, 1);
    check_recipe("skipinit", he, he, 0);
    check_recipe("he:alpha_pow=-0.5", he, he, 0.5); /* 1/sqrt(L), L = 4 */
    /* GPT-2: 0.02, the projection 0.02/sqrt(2 n_layer) with 2 n_layer = L = 4 */
    check_recipe("gpt2", 0.02, 0.01, 1);
    /* torch's U(+-1/sqrt(64)): std 1/sqrt(3 * 64) */
    check_recipe("torch_default", 1 / sqrt(192.0), 1 / sqrt(192.0), 1);
    check_recipe("rezero", 1 / sqrt(192.0), 1 / sqrt(192.0), 0);
    /* ZerO: square matrices are the identity, the branch's last zero */
    check_recipe("zero", 1 / sqrt(64.0), 0, 1);
    /* orthogonal 64 x 64: every entry has mean square 1/64 */
    check_recipe("delta_orthogonal:gain=2", 2 / sqrt(64.0), 2 / sqrt(64.0), 1);
}

/* ZerO's Hadamard branch: out 5 > in 3, p = 8: W = H8[:5, :3] / sqrt(8),
 * in the dense layout (fan_in, fan_out), so v[b * 5 + a] = W[a][b]. */
static void zero_hadamard(void)
{
    il_netdesc *d = parse("{\"input\": {\"features\": 3}, \"layers\": [{\"type\": \"dense\", "
                          "\"out\": 5, \"bias\": false}]}");
    il_net *n = NULL;
    il_rng *rng = NULL;
    il_recipe_spec r;
    il_error err;
    const double *v;
    const double s = 1 / sqrt(8.0);

    REQUIRE(d != NULL);
    REQUIRE(il_netdesc_build(d, 1, &n, &err) == IL_OK);
    REQUIRE(il_recipe_parse("zero", &r, &err) == IL_OK);
    REQUIRE(il_rng_new(il_rng_find("philox"), 1, &rng) == IL_OK);
    REQUIRE(il_recipe_apply(&r, n, rng, &err) == IL_OK);
    v = il_net_param_data(n, 0);
    /* H8 rows 0..4, columns 0..2: (-1)^popcount(a & b) */
    CHECK(v[0 * 5 + 0] == s && v[1 * 5 + 1] == -s && v[2 * 5 + 3] == -s && v[0 * 5 + 3] == s &&
          v[1 * 5 + 3] == -s && v[2 * 5 + 2] == -s && v[1 * 5 + 4] == s);
    il_rng_free(rng);
    il_net_free(n);
    il_netdesc_free(d);
}

TEST_MAIN({"json_form", json_form}, {"json_refusals", json_refusals}, {"presets", presets},
          {"recipes", recipes}, {"zero_hadamard", zero_hadamard})
