/* SPDX-License-Identifier: MIT */
/* report.json and stats.csv: shape, exact numbers, null for non-finite. */
#include <cJSON.h>

#include "initlab/report.h"
#include "test.h"

/* A tiny experiment whose second layer overflows: 1e200 inputs times
 * N(0,1) weights under identity give infinities, then NaN. */
static il_exp_result *run_small(il_rng *rng, int overflow)
{
    il_arm arm = {0};
    size_t widths[2] = {3, 2};
    il_exp_config cfg;
    il_exp_result *res = NULL;

    if (il_init_parse(overflow ? "normal:std=1e200" : "lecture_he", &arm.init, NULL) ||
        il_act_parse(overflow ? "identity" : "relu", &arm.act, NULL))
        return NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.batch = 4;
    cfg.n_in = 5;
    cfg.widths = widths;
    cfg.n_layers = 2;
    cfg.arms = &arm;
    cfg.n_arms = 1;
    cfg.stats = IL_STATS_CONFIG_LECTURE;
    if (il_init_parse(overflow ? "normal:std=1e200" : "normal", &cfg.input, NULL) != IL_OK)
        return NULL;
    if (il_exp_run(&cfg, rng, NULL, NULL, &res, NULL) != IL_OK)
        return NULL;
    return res;
}

static void json_shape_and_values(void)
{
    il_rng *rng = NULL;
    il_exp_result *res;
    il_membuf m = {0};
    cJSON *root, *ex, *net, *layer, *hist;

    REQUIRE(il_rng_new(il_rng_find("mt19937"), 100, &rng) == IL_OK);
    res = run_small(rng, 0);
    REQUIRE(res);
    {
        il_report_net n = {"lecture_he", "relu", "He + ReLU", res,  0,   NULL,
                           NULL,         NULL,   NULL,        NULL, NULL};
        il_report_group g = {3, &n, 1};
        il_report r = {"lecture", 100, "mt19937", &g, 1, 0, NULL, 0};
        REQUIRE(il_report_write_json(&r, il_membuf_write, &m) == IL_OK);
    }
    REQUIRE(il_membuf_write(&m, "", 1) == IL_OK); /* NUL-terminate */
    root = cJSON_Parse((const char *)m.data);
    REQUIRE(root);
    CHECK_STR(cJSON_GetObjectItem(root, "command")->valuestring, "lecture");
    CHECK_BITS(cJSON_GetObjectItem(root, "seed")->valuedouble, 100.0);
    CHECK_STR(cJSON_GetObjectItem(root, "rng")->valuestring, "mt19937");
    ex = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "exercises"), 0);
    REQUIRE(ex);
    CHECK_BITS(cJSON_GetObjectItem(ex, "exercise")->valuedouble, 3.0);
    net = cJSON_GetArrayItem(cJSON_GetObjectItem(ex, "networks"), 0);
    REQUIRE(net);
    CHECK_BITS(cJSON_GetObjectItem(net, "network")->valuedouble, 1.0);
    CHECK_STR(cJSON_GetObjectItem(net, "init")->valuestring, "lecture_he");
    CHECK_STR(cJSON_GetObjectItem(net, "act")->valuestring, "relu");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(net, "layers")), 2);
    layer = cJSON_GetArrayItem(cJSON_GetObjectItem(net, "layers"), 1);
    REQUIRE(layer);
    {
        const il_layer_stats *s = il_exp_stats(res, 0, 1);
        const char *keys[] = {"layer",    "count",     "mean",      "std",       "min", "max",
                              "frac_low", "frac_high", "frac_zero", "nonfinite", "hist"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            CHECK(cJSON_GetObjectItem(layer, keys[i]) != NULL);
        CHECK_BITS(cJSON_GetObjectItem(layer, "layer")->valuedouble, 2.0);
        CHECK_BITS(cJSON_GetObjectItem(layer, "count")->valuedouble, 8.0);
        /* numbers round-trip exactly */
        CHECK_BITS(cJSON_GetObjectItem(layer, "mean")->valuedouble, s->mean);
        CHECK_BITS(cJSON_GetObjectItem(layer, "std")->valuedouble, s->std);
        hist = cJSON_GetObjectItem(layer, "hist");
        CHECK_BITS(cJSON_GetObjectItem(hist, "lo")->valuedouble, 0.0);
        CHECK_BITS(cJSON_GetObjectItem(hist, "hi")->valuedouble, 1.0);
        CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(hist, "counts")), 30);
        CHECK_BITS(cJSON_GetObjectItem(hist, "below")->valuedouble, (double)s->below);
        CHECK_BITS(cJSON_GetObjectItem(hist, "above")->valuedouble, (double)s->above);
    }
    cJSON_Delete(root);
    il_membuf_release(&m);
    il_exp_result_free(res);
    il_rng_free(rng);
}

static void json_nonfinite_is_null(void)
{
    il_rng *rng = NULL;
    il_exp_result *res;
    il_membuf m = {0};
    const il_layer_stats *s;

    REQUIRE(il_rng_new(il_rng_find("mt19937"), 1, &rng) == IL_OK);
    res = run_small(rng, 1);
    REQUIRE(res);
    s = il_exp_stats(res, 0, 1);
    REQUIRE(s->nonfinite == s->count); /* everything overflowed */
    {
        il_report_net n = {"normal:mean=0,std=1e+200",
                           "identity",
                           NULL,
                           res,
                           0,
                           NULL,
                           NULL,
                           NULL,
                           NULL,
                           NULL,
                           NULL};
        il_report_group g = {1, &n, 1};
        il_report r = {"lecture", 1, "mt19937", &g, 1, 0, NULL, 0};
        REQUIRE(il_report_write_json(&r, il_membuf_write, &m) == IL_OK);
        REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
        CHECK(strstr((char *)m.data, "NaN") == NULL);
        CHECK(strstr((char *)m.data, "nan") == NULL);
        CHECK(strstr((char *)m.data, "Infinity") == NULL);
        CHECK(strstr((char *)m.data, "inf") == NULL);
        CHECK_CONTAINS((char *)m.data, "\"mean\":\tnull");
        /* 1e200 * 1e200 overflows in the first layer already */
        CHECK_CONTAINS((char *)m.data, "\"first_nonfinite_layer\":\t1,");
        CHECK_CONTAINS((char *)m.data, "\"first_dead_layer\":\tnull");
        m.len = 0;
        REQUIRE(il_report_write_csv(&r, il_membuf_write, &m) == IL_OK);
        REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
        CHECK(strstr((char *)m.data, "nan") == NULL);
        CHECK(strstr((char *)m.data, "inf") == NULL);
    }
    il_membuf_release(&m);
    il_exp_result_free(res);
    il_rng_free(rng);
}

static void csv_rows(void)
{
    il_rng *rng = NULL;
    il_exp_result *res;
    il_membuf m = {0};
    const char *header = "exercise,network,init,act,layer,count,mean,std,min,max,frac_low,"
                         "frac_high,frac_zero,nonfinite,hist_lo,hist_hi,below,above,counts\n";
    size_t lines = 0;

    REQUIRE(il_rng_new(il_rng_find("mt19937"), 2, &rng) == IL_OK);
    res = run_small(rng, 0);
    REQUIRE(res);
    {
        il_report_net n = {
            "normal:mean=0,std=1", "relu", "x", res, 0, NULL, NULL, NULL, NULL, NULL, NULL};
        il_report_group g = {1, &n, 1};
        il_report r = {"lecture", 2, "mt19937", &g, 1, 0, NULL, 0};
        REQUIRE(il_report_write_csv(&r, il_membuf_write, &m) == IL_OK);
    }
    REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
    CHECK(strncmp((char *)m.data, header, strlen(header)) == 0);
    for (size_t i = 0; i < m.len; i++)
        lines += m.data[i] == '\n';
    CHECK_EQ_U64(lines, 3);
    /* the spec has a comma, so it is quoted */
    CHECK_CONTAINS((char *)m.data, "\n1,1,\"normal:mean=0,std=1\",\"relu\",1,12,");
    il_membuf_release(&m);
    il_exp_result_free(res);
    il_rng_free(rng);
}

static void json_arms_shape(void)
{
    il_rng *rng = NULL;
    il_exp_result *res;
    il_membuf m = {0};
    cJSON *root, *arm;

    REQUIRE(il_rng_new(il_rng_find("mt19937"), 3, &rng) == IL_OK);
    res = run_small(rng, 0);
    REQUIRE(res);
    {
        il_report_net n = {"lecture_he", "relu", "he/relu", res,  0,   "zeros",
                           NULL,         NULL,   NULL,      NULL, NULL};
        il_report_group g = {1, &n, 1};
        il_report r = {"run", 3, "mt19937", &g, 1, 1, "paired", 0};
        REQUIRE(il_report_write_json(&r, il_membuf_write, &m) == IL_OK);
        REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
    }
    root = cJSON_Parse((const char *)m.data);
    REQUIRE(root);
    CHECK_STR(cJSON_GetObjectItem(root, "command")->valuestring, "run");
    CHECK_STR(cJSON_GetObjectItem(root, "order")->valuestring, "paired");
    CHECK(cJSON_GetObjectItem(root, "exercises") == NULL);
    arm = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "arms"), 0);
    REQUIRE(arm);
    CHECK_BITS(cJSON_GetObjectItem(arm, "arm")->valuedouble, 1.0);
    CHECK_STR(cJSON_GetObjectItem(arm, "bias")->valuestring, "zeros");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(arm, "layers")), 2);
    cJSON_Delete(root);
    il_membuf_release(&m);
    il_exp_result_free(res);
    il_rng_free(rng);
}

/* With theory: every layer has "theory" (an object, or null for a net
 * without a prediction), every net "theory_note"; the CSV three columns. */
static void theory_fields(void)
{
    il_rng *rng = NULL;
    il_exp_result *res;
    il_membuf m = {0};
    cJSON *root, *arms, *layer, *t;
    static const il_theory_layer pred[2] = {{2.0, 0.5641895835477563, 0.8256452711765565},
                                            {2.0, 0.5641895835477563, 0.8256452711765565}};

    REQUIRE(il_rng_new(il_rng_find("mt19937"), 3, &rng) == IL_OK);
    res = run_small(rng, 0);
    REQUIRE(res);
    {
        /* arm a carries an expected histogram for layer 2 only */
        static double expected[IL_HIST_MAX_BINS];
        const double *hists[2] = {NULL, expected};
        il_report_net n[2] = {
            {"lecture_he", "relu", "a", res, 0, NULL, pred, NULL, hists, NULL, NULL},
            {"lecture_he", "relu", "b", res, 0, NULL, NULL, "no theory: why", NULL, NULL, NULL}};
        il_report_group g = {1, n, 2};
        il_report r = {"run", 3, "mt19937", &g, 1, 1, "paired", 1};
        expected[2] = 2.5;
        REQUIRE(il_report_write_json(&r, il_membuf_write, &m) == IL_OK);
        REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
        root = cJSON_Parse((const char *)m.data);
        REQUIRE(root);
        arms = cJSON_GetObjectItem(root, "arms");
        CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(arms, 0), "theory_note")));
        CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(arms, 1), "theory_note")->valuestring,
                  "no theory: why");
        layer = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(arms, 0), "layers"), 1);
        t = cJSON_GetObjectItem(layer, "theory");
        REQUIRE(cJSON_IsObject(t));
        CHECK_BITS(cJSON_GetObjectItem(t, "q")->valuedouble, 2.0);
        CHECK_BITS(cJSON_GetObjectItem(t, "act_mean")->valuedouble, 0.5641895835477563);
        CHECK_BITS(cJSON_GetObjectItem(t, "act_std")->valuedouble, 0.8256452711765565);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(t, "hist")) ==
              (int)il_exp_stats(res, 0, 1)->bins);
        CHECK_BITS(cJSON_GetArrayItem(cJSON_GetObjectItem(t, "hist"), 2)->valuedouble, 2.5);
        t = cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(arms, 0), "layers"), 0),
            "theory");
        CHECK(cJSON_IsObject(t) && !cJSON_GetObjectItem(t, "hist")); /* NULL entry: no key */
        layer = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(arms, 1), "layers"), 0);
        CHECK(cJSON_IsNull(cJSON_GetObjectItem(layer, "theory")));
        cJSON_Delete(root);
        m.len = 0;
        REQUIRE(il_report_write_csv(&r, il_membuf_write, &m) == IL_OK);
        REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
        CHECK_CONTAINS((char *)m.data, ",counts,theory_q,theory_act_mean,theory_act_std\n");
        CHECK_CONTAINS((char *)m.data, ",2,0.5641895835477563,0.8256452711765565\n");
        CHECK_CONTAINS((char *)m.data, ",,,\n"); /* arm b: empty fields */
    }
    /* without theory the keys are absent, as before */
    m.len = 0;
    {
        il_report_net n = {"lecture_he", "relu", "a", res, 0, NULL, pred, NULL, NULL, NULL, NULL};
        il_report_group g = {1, &n, 1};
        il_report r = {"run", 3, "mt19937", &g, 1, 1, "paired", 0};
        REQUIRE(il_report_write_json(&r, il_membuf_write, &m) == IL_OK);
        REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
        CHECK(strstr((char *)m.data, "theory") == NULL);
    }
    il_membuf_release(&m);
    il_exp_result_free(res);
    il_rng_free(rng);
}

TEST_MAIN({"theory_fields", theory_fields}, {"json_arms_shape", json_arms_shape},
          {"json_shape_and_values", json_shape_and_values},
          {"json_nonfinite_is_null", json_nonfinite_is_null}, {"csv_rows", csv_rows})
