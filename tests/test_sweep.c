/* SPDX-License-Identifier: MIT */
/* The sweep's grid (initlab/sweep.h): cell order, seeds, axes, the
 * shorthands' specs, canonical form and refusals. The store and the
 * ways of running are tests/sweep.sh's. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "initlab/initlab.h"
#include "test.h"

static il_sweep_grid *grid(const char *json, il_error *err)
{
    il_sweep_grid *g = NULL;
    err->message[0] = '\0';
    if (il_sweep_grid_from_json(json, strlen(json), 0, &g, err) != IL_OK)
        return NULL;
    return g;
}

static void seeds(void)
{
    /* splitmix64 from state 0: first output 0xe220a8397b1dcdaf, second
     * 0x6e789e6aa1b965f4 (Vigna's splitmix64.c; python3 in tests/sweep.sh
     * computes the same recurrence) */
    CHECK_EQ_U64(il_sweep_cell_seed(0, 0), UINT64_C(0xe220a839));
    CHECK_EQ_U64(il_sweep_cell_seed(0, 1), UINT64_C(0x6e789e6a));
    CHECK(il_sweep_cell_seed(1, 0) != il_sweep_cell_seed(0, 0));
}

static void order_and_specs(void)
{
    il_error err;
    char *spec = NULL, *axes = NULL;
    il_sweep_grid *g = grid(
        "{\"seed\": 0, \"base\": {\"width\": 4, \"batch\": 3, \"arms\": [{\"init\": \"normal\","
        " \"act\": \"tanh\"}, {\"act\": \"relu\", \"init\": \"zeros\"}]},"
        " \"axes\": [{\"name\": \"sigma_w2\", \"linspace\": [1, 2, 3]},"
        "          {\"name\": \"arms.-1.act\", \"values\": [\"relu\", \"elu\"]},"
        "          {\"name\": \"sigma_b2\", \"values\": [0, 0.25]}],"
        " \"metrics\": [\"arms.0.layers.-1.std\"]}",
        &err);
    REQUIRE(g != NULL);
    CHECK_EQ_U64(il_sweep_grid_cells(g), 12);
    CHECK_EQ_U64(il_sweep_grid_axis_len(g, 0), 3);
    CHECK(il_sweep_grid_axis_value(g, 0, 1) == 1.5);
    CHECK(isnan(il_sweep_grid_axis_value(g, 1, 0)));
    /* row-major, the last axis fastest: cell 7 = (1, 1, 1) */
    CHECK_EQ_U64(il_sweep_cell_coord(g, 7, 0), 1);
    CHECK_EQ_U64(il_sweep_cell_coord(g, 7, 1), 1);
    CHECK_EQ_U64(il_sweep_cell_coord(g, 7, 2), 1);
    CHECK_EQ_U64(il_sweep_cell_coord(g, 11, 0), 2);
    REQUIRE(il_sweep_cell_axes(g, 7, &axes, &err) == IL_OK);
    CHECK_STR(axes, "{\"sigma_w2\":1.5,\"arms.-1.act\":\"elu\",\"sigma_b2\":0.25}");
    /* sigma_w2 1.5 over fan_in 4: std sqrt(0.375); sigma_b2 0.25: std 0.5;
     * the seed splitmix64(0, 7) (the 8th output from state 0, high bits:
     * python3, the recurrence in tests/sweep.sh); keys sorted */
    REQUIRE(il_sweep_cell_spec(g, 7, &spec, &err) == IL_OK);
    CHECK_STR(spec, "{\"arms\":[{\"act\":\"tanh\",\"init\":\"normal:std=0.61237243569579447\","
                    "\"bias\":\"normal:std=0.5\"},{\"act\":\"elu\",\"init\":\"normal:std="
                    "0.61237243569579447\",\"bias\":\"normal:std=0.5\"}],\"batch\":3,"
                    "\"width\":4,\"seed\":3313767226}");
    CHECK_EQ_U64(il_sweep_cell_seed(0, 7), 3313767226u);
    il_free(spec);
    /* sigma_b2 0: no bias drawn */
    REQUIRE(il_sweep_cell_spec(g, 0, &spec, &err) == IL_OK);
    CHECK_CONTAINS(spec, "\"bias\":\"zeros\"");
    il_free(spec);
    il_free(axes);
    il_sweep_grid_free(g);
}

static void canonical(void)
{
    il_error err;
    char diff[300];
    il_sweep_grid *a = grid("{\"base\": {\"width\": 4, \"arms\": [{\"init\": \"normal\", \"act\":"
                            " \"tanh\"}]}, \"axes\": [{\"name\": \"depth\", \"linspace\": [1, 3, "
                            "3]}], \"metrics\": [\"arms.0.loss\"]}",
                            &err),
                  *b =
                      grid("{\"metrics\": [\"arms.0.loss\"], \"axes\": [{\"values\": [1, 2, 3],"
                           " \"name\": \"depth\"}], \"kind\": \"run\", \"seed\": 1, \"base\": "
                           "{\"arms\": [{\"act\": \"tanh\", \"init\": \"normal\"}], \"width\": 4}}",
                           &err),
                  *c = grid("{\"base\": {\"width\": 4, \"arms\": [{\"init\": \"normal\", \"act\":"
                            " \"tanh\"}]}, \"axes\": [{\"name\": \"depth\", \"values\": [1, 2, "
                            "4]}], \"metrics\": [\"arms.0.loss\"]}",
                            &err);
    REQUIRE(a && b && c);
    CHECK_STR(il_sweep_grid_json(a), il_sweep_grid_json(b));
    il_sweep_grid_diff(il_sweep_grid_json(a), il_sweep_grid_json(b), diff, sizeof diff);
    CHECK_STR(diff, "");
    il_sweep_grid_diff(il_sweep_grid_json(a), il_sweep_grid_json(c), diff, sizeof diff);
    CHECK_STR(diff, "axes.0.values.2: 3 in the store, 4 given");
    il_sweep_grid_free(a);
    il_sweep_grid_free(b);
    il_sweep_grid_free(c);
}

static void refuses(void)
{
    static const struct {
        const char *json, *message;
    } bad[] = {
        {"{\"base\": {\"arms\": [{\"init\": \"normal\", \"act\": \"tanh\"}]}, \"metrics\": "
         "[\"a\"], \"extra\": 1}",
         "the grid: unknown key \"extra\""},
        {"{\"base\": {\"arms\": [{\"init\": \"normal\", \"act\": \"tanh\"}]}, \"metrics\": []}",
         "\"metrics\" must be an array of 1..64"},
        {"{\"base\": {\"arms\": [{\"init\": \"normal\", \"act\": \"tanh\"}]}, \"metrics\": "
         "[\"a\"], \"axes\": [{\"name\": \"depth\", \"values\": [1]}, {\"name\": \"depth\", "
         "\"values\": [2]}]}",
         "axis \"depth\" is given twice"},
        {"{\"base\": {\"arms\": [{\"init\": \"normal\", \"act\": \"tanh\"}]}, \"metrics\": "
         "[\"a\"], \"axes\": [{\"name\": \"arms..act\", \"values\": [\"relu\"]}]}",
         "\"name\" must be a path"},
        {"{\"base\": {\"arms\": [{\"init\": \"normal\", \"act\": \"tanh\"}]}, \"metrics\": "
         "[\"a\"], \"axes\": [{\"name\": \"arms.3.act\", \"values\": [\"relu\"]}]}",
         "no object or array at \"3\""},
        {"{\"base\": {\"arms\": [{\"init\": \"normal\", \"act\": \"tanh\"}]}, \"metrics\": "
         "[\"a\"], \"axes\": [{\"name\": \"depth\", \"values\": [0]}]}",
         "cell 0 {\"depth\":0}: \"depth\" must be a whole number"},
        {"{\"base\": {\"widths\": [4, 5, 3], \"arms\": [{\"init\": \"normal\", \"act\": "
         "\"tanh\"}]}, \"metrics\": [\"a\"], \"axes\": [{\"name\": \"sigma_w2\", \"values\": "
         "[1]}]}",
         "every layer's fan_in equal"},
        {"{\"base\": {\"arms\": [{\"init\": \"normal\", \"act\": \"tanh\"}]}, \"metrics\": "
         "[\"a\"], \"axes\": [{\"name\": \"sigma_w2\", \"values\": [-1]}]}",
         "values must be numbers >= 0"},
        {"{\"base\": {\"arms\": [{\"init\": \"normal\", \"act\": \"tanh\"}]}, \"metrics\": "
         "[\"a\"], \"axes\": [{\"name\": \"depth\", \"linspace\": [1, 2, 2.5]}]}",
         "\"linspace\" must be [a, b, n]"},
        {"{\"kind\": \"train\", \"base\": {}, \"metrics\": [\"a\"]}",
         "unknown kind \"train\" (valid: run)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        il_error err;
        il_sweep_grid *g = grid(bad[i].json, &err);
        CHECK(g == NULL);
        CHECK_CONTAINS(err.message, bad[i].message);
        il_sweep_grid_free(g);
    }
}

static void axis_text(void)
{
    il_error err;
    char *json = NULL;
    REQUIRE(il_sweep_axis_from_text("sigma_w2", "1:4:7", &json, &err) == IL_OK);
    CHECK_STR(json, "{\"name\":\"sigma_w2\",\"linspace\":[1,4,7]}");
    il_free(json);
    REQUIRE(il_sweep_axis_from_text("arms.0.act", "relu,tanh,1e-3,true", &json, &err) == IL_OK);
    CHECK_STR(json, "{\"name\":\"arms.0.act\",\"values\":[\"relu\",\"tanh\",0.001,true]}");
    il_free(json);
    /* ';' separates specs that hold commas */
    REQUIRE(il_sweep_axis_from_text("arms.0.init", "kaiming_normal:mode=fan_out,a=1;zeros", &json,
                                    &err) == IL_OK);
    CHECK_STR(
        json,
        "{\"name\":\"arms.0.init\",\"values\":[\"kaiming_normal:mode=fan_out,a=1\",\"zeros\"]}");
    il_free(json);
    CHECK(il_sweep_axis_from_text("depth", "1,,2", &json, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "an empty value");
}

static void runs_a_cell(void)
{
    il_error err;
    char *metrics = NULL;
    il_sweep_grid *g = grid(
        "{\"base\": {\"width\": 8, \"batch\": 5, \"depth\": 2, \"arms\": [{\"init\": \"normal\","
        " \"act\": \"tanh\"}]}, \"axes\": [{\"name\": \"depth\", \"values\": [1, 2]}],"
        " \"metrics\": [\"arms.0.layers.-1.count\", \"arms.0.first_dead_layer\", \"seed\"]}",
        &err);
    REQUIRE(g != NULL);
    REQUIRE(il_sweep_cell_run(g, 1, 0, &metrics, &err) == IL_OK);
    /* 5 x 8 values in the last layer; no dead layer; the seed splitmix64(1, 1) */
    {
        char want[200];
        snprintf(want, sizeof want,
                 "{\"arms.0.layers.-1.count\":40,\"arms.0.first_dead_layer\":null,\"seed\":%llu}",
                 (unsigned long long)il_sweep_cell_seed(1, 1));
        CHECK_STR(metrics, want);
    }
    il_free(metrics);
    il_sweep_grid_free(g);
    g = grid("{\"base\": {\"width\": 8, \"batch\": 5, \"arms\": [{\"init\": \"normal\", \"act\":"
             " \"tanh\"}]}, \"metrics\": [\"arms.0.layers.9.std\"]}",
             &err);
    REQUIRE(g != NULL);
    CHECK_EQ_U64(il_sweep_grid_cells(g), 1);
    CHECK(il_sweep_cell_run(g, 0, 0, &metrics, &err) == IL_ENOTFOUND);
    CHECK_CONTAINS(err.message, "no \"9\" in an array");
    il_sweep_grid_free(g);
}

TEST_MAIN({"seeds", seeds}, {"order_and_specs", order_and_specs}, {"canonical", canonical},
          {"refuses", refuses}, {"axis_text", axis_text}, {"runs_a_cell", runs_a_cell})
