/* SPDX-License-Identifier: MIT */
/* The run layer: JSON specs (defaults, both shapes, refusals naming the
 * key), validation naming the flag, and the executor (the same numbers as
 * the experiment it runs, progress, cancellation). */
#include <math.h>
#include <string.h>

#include "initlab/run.h"
#include "test.h"

static il_status parse(const char *text, il_run_spec *r, il_error *err)
{
    err->message[0] = '\0';
    il_run_spec_release(r);
    il_run_spec_init(r);
    return il_run_spec_from_json(r, text, strlen(text), 1000000, err);
}

static void accepts(void)
{
    static il_run_spec r;
    il_error err;
    REQUIRE(parse("{\"arms\": [{\"init\": \"lecture_he\", \"act\": \"relu\"}]}", &r, &err) ==
            IL_OK);
    CHECK_EQ_U64(r.n_in, 100);
    CHECK_EQ_U64(r.n_layers, 5);
    CHECK_EQ_U64(r.batch, 1000);
    CHECK_EQ_U64(r.seed, 100);
    CHECK_EQ_INT(r.grad, 0);
    CHECK_STR(r.arms[0].bias, "");
    REQUIRE(parse("{\"widths\": [784, 512, 10], \"batch\": 64, \"seed\": 4294967295, \"grad\": "
                  "true, \"theory\": true, \"arms\": [{\"init\": \"normal:std=1\", \"act\": "
                  "\"tanh\", \"bias\": \"zeros\"}, {\"init\": \"lsuv\", \"act\": \"gelu\"}]}",
                  &r, &err) == IL_OK);
    CHECK_EQ_U64(r.n_in, 784);
    CHECK_EQ_U64(r.n_layers, 2);
    CHECK_EQ_U64(r.widths[1], 10);
    CHECK_EQ_U64(r.seed, 4294967295u);
    CHECK_EQ_INT(r.grad, 1);
    CHECK_EQ_U64(r.n_arms, 2);
    CHECK_STR(r.arms[0].bias, "zeros");
    il_run_spec_release(&r);
}

static void refuses(void)
{
    static const struct {
        const char *text;
        il_status st;
        const char *msg;
    } cases[] = {
        {"{\"arms\": [{\"init\": \"nrml\", \"act\": \"relu\"}]}", IL_EINVAL,
         "arm 1: \"init\": unknown initializer 'nrml'"},
        {"{\"arms\": [{\"init\": \"normal\"}]}", IL_EFORMAT, "arm 1: \"act\" must be a spec"},
        {"{\"arms\": []}", IL_EFORMAT, "\"arms\" must be an array of 1..32"},
        {"{\"depth\": 2.5, \"arms\": [{\"init\": \"normal\", \"act\": \"relu\"}]}", IL_EINVAL,
         "\"depth\" must be a whole number in 1..1000"},
        {"{\"batch\": -1, \"arms\": [{\"init\": \"normal\", \"act\": \"relu\"}]}", IL_EINVAL,
         "\"batch\" must be a whole number"},
        {"{\"seed\": 4294967296, \"arms\": [{\"init\": \"normal\", \"act\": \"relu\"}]}", IL_EINVAL,
         "\"seed\""},
        {"{\"grad\": 1, \"arms\": [{\"init\": \"normal\", \"act\": \"relu\"}]}", IL_EFORMAT,
         "\"grad\" must be true or false"},
        {"{\"colour\": 1, \"arms\": []}", IL_EFORMAT, "unknown key \"colour\""},
        {"{\"arms\": [{\"init\": \"normal\", \"act\": \"relu\", \"gain\": 2}]}", IL_EFORMAT,
         "arm 1: unknown key \"gain\""},
        {"{\"widths\": [4, 2], \"depth\": 3, \"arms\": []}", IL_EINVAL, "not both"},
        {"{\"widths\": [4], \"arms\": []}", IL_EFORMAT, "\"widths\" must be an array of 2.."},
        {"{\"depth\": 100, \"width\": 1000, \"batch\": 1000, \"arms\": [{\"init\": \"normal\", "
         "\"act\": \"relu\"}]}",
         IL_ELIMIT, "the limit is 1000000"},
        {"[1, 2]", IL_EFORMAT, "must be a JSON object"},
        {"{\"arms\": [{\"init\": ", IL_EFORMAT, "malformed JSON near byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static il_run_spec r;
        il_error err;
        il_status st = parse(cases[i].text, &r, &err);
        if (st != cases[i].st || !strstr(err.message, cases[i].msg))
            TEST_FAIL_("case %zu: %s '%s', wanted %s '%s'", i, il_status_name(st), err.message,
                       il_status_name(cases[i].st), cases[i].msg);
        il_run_spec_release(&r);
    }
    {
        static char big[IL_RUN_MAX_JSON_BYTES + 2];
        static il_run_spec r;
        il_error err;
        memset(big, ' ', sizeof big);
        il_run_spec_init(&r);
        CHECK(il_run_spec_from_json(&r, big, sizeof big, 0, &err) == IL_ELIMIT);
        il_run_spec_release(&r);
    }
}

/* A spec from flags names the flag; from JSON the key. */
static void validates(void)
{
    static il_run_spec s;
    il_error err;
    il_run_spec_init(&s);
    REQUIRE(il_run_spec_set_uniform(&s, 3, 20) == IL_OK);
    s.n_arms = 1;
    strcpy(s.arms[0].init, "kaiming_normal");
    strcpy(s.arms[0].act, "relu");
    s.bins = 0;
    CHECK(il_run_spec_validate(&s, &err) == IL_EINVAL);
    CHECK(strstr(err.message, "--bins") != NULL);
    s.from_json = 1;
    CHECK(il_run_spec_validate(&s, &err) == IL_EINVAL);
    CHECK(strstr(err.message, "\"bins\"") != NULL);
    s.bins = 30;
    strcpy(s.arms[0].act, "rellu");
    CHECK(il_run_spec_validate(&s, &err) == IL_EINVAL);
    CHECK(strstr(err.message, "arm 1: ") != NULL);
    strcpy(s.arms[0].act, "relu");
    REQUIRE(il_run_spec_validate(&s, &err) == IL_OK);
    CHECK(s.lo == 0 && s.hi == 3); /* ReLU's view range */
    il_run_spec_release(&s);
}

typedef struct counter {
    size_t calls, last_done, last_total, stop_after;
} counter;

static void count_progress(void *ctx, size_t done, size_t total)
{
    counter *c = ctx;
    c->calls++;
    c->last_done = done;
    c->last_total = total;
}

static int stop_when(void *ctx)
{
    const counter *c = ctx;
    return c->stop_after && c->calls >= c->stop_after;
}

/* The executor gives the experiment's own numbers, says how far it is,
 * and stops when asked. */
static void executes(void)
{
    static il_run_spec s;
    il_run_result *r = NULL;
    il_exp_result *direct = NULL;
    il_rng *rng = NULL;
    il_exp_config c;
    il_error err;
    counter cnt = {0, 0, 0, 0};
    il_run_hooks hooks = {count_progress, stop_when, NULL, &cnt};
    il_report rep;

    il_run_spec_init(&s);
    REQUIRE(il_run_spec_set_uniform(&s, 4, 30) == IL_OK);
    s.batch = 50;
    s.seed = 7;
    s.n_arms = 2;
    strcpy(s.arms[0].init, "kaiming_normal");
    strcpy(s.arms[0].act, "relu");
    strcpy(s.arms[1].init, "xavier_normal");
    strcpy(s.arms[1].act, "tanh");
    strcpy(s.arms[1].bias, "normal:std=0.1");
    REQUIRE(il_run_spec_validate(&s, &err) == IL_OK);
    REQUIRE(il_run_execute(&s, &hooks, &r, &err) == IL_OK);
    CHECK_EQ_U64(cnt.calls, 4);
    CHECK_EQ_U64(cnt.last_done, 4);
    CHECK_EQ_U64(cnt.last_total, 4);
    /* the same run straight through il_exp_run */
    memset(&c, 0, sizeof c);
    c.batch = 50;
    c.n_in = 30;
    c.widths = s.widths;
    c.n_layers = 4;
    c.arms = s.parsed;
    c.n_arms = 2;
    c.input = s.input_init;
    c.stats = (il_stats_config){30, s.lo, s.hi, IL_STATS_LOW, IL_STATS_HIGH};
    c.order = IL_EXP_PAIRED;
    REQUIRE(il_rng_new(il_rng_find("philox"), 7, &rng) == IL_OK);
    REQUIRE(il_exp_run(&c, rng, NULL, NULL, &direct, &err) == IL_OK);
    for (size_t a = 0; a < 2; a++)
        for (size_t l = 0; l < 4; l++)
            CHECK_SAME_STATS(*il_exp_stats(il_run_result_exp(r), a, l),
                             *il_exp_stats(direct, a, l));
    CHECK_STR(il_run_result_label(r, 1), "xavier_normal/tanh/normal:mean=0,std=0.1");
    il_run_result_report(r, "run", &rep);
    CHECK_STR(rep.rng, "philox");
    CHECK_STR(rep.order, "paired");
    CHECK_EQ_U64(rep.groups[0].n_nets, 2);
    il_run_result_free(r);
    r = NULL;
    /* cancelled after the second layer */
    cnt = (counter){0, 0, 0, 2};
    CHECK(il_run_execute(&s, &hooks, &r, &err) == IL_ECANCELED);
    CHECK(r == NULL);
    CHECK_EQ_U64(cnt.calls, 2);
    il_exp_result_free(direct);
    il_rng_free(rng);
    il_run_spec_release(&s);
}

/* "corr": each layer's measured correlation between rows in report.json,
 * and with "theory" the correlation map's beside it; absent otherwise;
 * refused on a network of layer ops. */
static void corr_in_the_report(void)
{
    static const char with[] = "{\"depth\": 3, \"width\": 40, \"batch\": 30, \"corr\": true, "
                               "\"theory\": true, \"arms\": [{\"init\": \"xavier_normal\", "
                               "\"act\": \"tanh\", \"bias\": \"normal:std=0.3\"}]}";
    static const char without[] = "{\"depth\": 3, \"width\": 40, \"batch\": 30, \"arms\": "
                                  "[{\"init\": \"xavier_normal\", \"act\": \"tanh\"}]}";
    static const char net[] = "{\"net\": \"mlp:depth=2,width=8\", \"corr\": true, \"arms\": "
                              "[{\"init\": \"kaiming_normal\"}]}";
    il_membuf m = {0};
    il_error err;
    const char *text, *at;
    REQUIRE(il_run_json_report(with, sizeof with - 1, 0, NULL, il_membuf_write, &m, &err) == IL_OK);
    REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
    text = (const char *)m.data;
    /* each of the 3 layers: its "corr", and its theory's */
    at = text;
    for (int k = 0; k < 6; k++) {
        at = strstr(at, "\"corr\":");
        REQUIRE(at);
        at++;
    }
    CHECK(strstr(at, "\"corr\":") == NULL);
    il_membuf_release(&m);
    m = (il_membuf){0};
    REQUIRE(il_run_json_report(without, sizeof without - 1, 0, NULL, il_membuf_write, &m, &err) ==
            IL_OK);
    REQUIRE(il_membuf_write(&m, "", 1) == IL_OK);
    CHECK(strstr((const char *)m.data, "\"corr\"") == NULL);
    il_membuf_release(&m);
    m = (il_membuf){0};
    CHECK(il_run_json_report(net, sizeof net - 1, 0, NULL, il_membuf_write, &m, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "\"corr\" is measured on MLP runs");
    il_membuf_release(&m);
}

TEST_MAIN({"accepts", accepts}, {"refuses", refuses}, {"validates", validates},
          {"executes", executes}, {"corr_in_the_report", corr_in_the_report})
