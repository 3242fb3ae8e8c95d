/* SPDX-License-Identifier: MIT */
/* JSON run requests: defaults, both shapes, and refusals naming the key. */
#include "initlab/request.h"
#include "test.h"

static il_status parse(const char *text, il_run_request *r, il_error *err)
{
    err->message[0] = '\0';
    return il_run_request_parse(text, strlen(text), 1000000, r, err);
}

static void accepts(void)
{
    static il_run_request r;
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
        static il_run_request r;
        il_error err;
        il_status st = parse(cases[i].text, &r, &err);
        if (st != cases[i].st || !strstr(err.message, cases[i].msg))
            TEST_FAIL_("case %zu: %s '%s', wanted %s '%s'", i, il_status_name(st), err.message,
                       il_status_name(cases[i].st), cases[i].msg);
    }
    {
        static char big[IL_REQUEST_MAX_BYTES + 2];
        static il_run_request r;
        il_error err;
        memset(big, ' ', sizeof big);
        CHECK(il_run_request_parse(big, sizeof big, 0, &r, &err) == IL_ELIMIT);
    }
}

TEST_MAIN({"accepts", accepts}, {"refuses", refuses})
