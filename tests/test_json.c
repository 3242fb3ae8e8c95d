/* SPDX-License-Identifier: MIT */
/* The strict JSON check: each refusal with its offset, line and column, the
 * overflow boundary against strtod, big objects in linear-ish time, and
 * every allocation failing. */
#include <cJSON.h>
#include <time.h>

#include "initlab/alloc.h"
#include "initlab/run.h"
#include "internal/json.h"
#include "test.h"

static il_status check_n(const char *text, size_t len, il_error *err)
{
    err->message[0] = '\0';
    return il__json_check(text, len, err);
}

static il_status check(const char *text, il_error *err)
{
    return check_n(text, strlen(text), err);
}

/* 'text' gives 'st' and a message containing 'msg'. */
#define REFUSES(text, st, msg)                                                                     \
    do {                                                                                           \
        il_error e_;                                                                               \
        il_status s_ = check(text, &e_);                                                           \
        if (s_ != (st) || !strstr(e_.message, msg))                                                \
            TEST_FAIL_("%s: %s '%s', wanted %s '%s'", #text, il_status_name(s_), e_.message,       \
                       il_status_name(st), msg);                                                   \
    } while (0)

#define ACCEPTS(text)                                                                              \
    do {                                                                                           \
        il_error e_;                                                                               \
        il_status s_ = check(text, &e_);                                                           \
        if (s_ != IL_OK)                                                                           \
            TEST_FAIL_("%s: %s '%s'", #text, il_status_name(s_), e_.message);                      \
    } while (0)

static void accepts(void)
{
    ACCEPTS("{}");
    ACCEPTS("[]");
    ACCEPTS("0");
    ACCEPTS("-0");
    ACCEPTS("\"x\"");
    ACCEPTS("true");
    ACCEPTS("null");
    ACCEPTS("{\"a\": 1, \"b\": [1, 2.5, -3e-2, {\"a\": 2}], \"c\": {\"a\": {\"a\": null}}}");
    ACCEPTS(" \t\r\n{} \t\r\n"); /* whitespace before and after is fine */
    ACCEPTS("{\"\": 1, \"a\": 2}");
    ACCEPTS("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u001b\"");
    ACCEPTS("\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\""); /* é € 😀 and DEL, raw */
    ACCEPTS("\"\\ud83d\\ude00\"");                              /* a surrogate pair */
    ACCEPTS("\xef\xbb\xbf{\"a\": 1}");                          /* a leading BOM is skipped */
    ACCEPTS("\"\xef\xbb\xbf\"");                                /* U+FEFF inside a string */
}

static void duplicates(void)
{
    il_error err;
    REFUSES(
        "{\"a\": 1, \"a\": 2}", IL_EFORMAT,
        "duplicate key \"a\" at byte 9 (line 1, column 10); first at byte 1 (line 1, column 2)");
    /* nested, and the same key in sibling objects is fine */
    REFUSES("{\"x\": {\"a\": 1, \"b\": 2, \"a\": 3}}", IL_EFORMAT,
            "duplicate key \"a\" at byte 23");
    ACCEPTS("{\"x\": {\"a\": 1}, \"y\": {\"a\": 1}, \"z\": [{\"a\": 1}, {\"a\": 2}]}");
    ACCEPTS("{\"a\": {\"a\": {\"a\": 1}}}");
    REFUSES("[{\"a\": 1}, {\"a\": 1, \"a\": 1}]", IL_EFORMAT, "duplicate key \"a\" at byte 20");
    /* after decoding: "\u0061" is "a"; the message shows the key as written */
    REFUSES("{\"a\": 1, \"\\u0061\": 2}", IL_EFORMAT, "duplicate key \"\\u0061\" at byte 9");
    REFUSES("{\"\\u00e9\": 1, \"\xc3\xa9\": 2}", IL_EFORMAT,
            "duplicate key \"\xc3\xa9\" at byte 14");
    REFUSES("{\"\": 1, \"\": 2}", IL_EFORMAT, "duplicate key \"\" at byte 8");
    /* the earliest repeat in the text, whichever sorts first */
    REFUSES("{\"b\": 1, \"a\": 1, \"a\": 2, \"b\": 2}", IL_EFORMAT,
            "duplicate key \"a\" at byte 17 (line 1, column 18); first at byte 9");
    /* lines, and columns in characters */
    REFUSES(
        "{\n  \"depth\": 3,\n  \"depth\": 4\n}", IL_EFORMAT,
        "duplicate key \"depth\" at byte 18 (line 3, column 3); first at byte 4 (line 2, column "
        "3)");
    REFUSES("{\"\xc3\xa9\": 1, \"\xc3\xa9\": 2}", IL_EFORMAT, "at byte 10 (line 1, column 10)");
    /* a long key is cut, at a character boundary */
    {
        char text[512], key[128];
        memset(key, 'k', 63);
        strcpy(key + 63, "\xc3\xa9tail");
        snprintf(text, sizeof text, "{\"%s\": 1, \"%s\": 2}", key, key);
        REQUIRE(check(text, &err) == IL_EFORMAT);
        CHECK_CONTAINS(err.message, "kkk...\" at byte");
        CHECK(!strstr(err.message, "\xc3\""));
    }
    /* the tree keeps the last value when cJSON alone parses it: the reason */
    {
        cJSON *root = cJSON_Parse("{\"depth\": 3, \"depth\": 5}");
        REQUIRE(root);
        CHECK_EQ_INT(cJSON_GetObjectItemCaseSensitive(root, "depth")->valueint, 3);
        CHECK_EQ_INT(cJSON_GetArraySize(root), 2);
        cJSON_Delete(root);
    }
}

static void trailing(void)
{
    il_error err;
    REFUSES("{} x", IL_EFORMAT, "data after the end of the JSON document ('x') at byte 3");
    REFUSES("{}{}", IL_EFORMAT, "data after the end of the JSON document ('{') at byte 2");
    REFUSES("[1] ]", IL_EFORMAT, "(']') at byte 4");
    REFUSES("1 2", IL_EFORMAT, "('2') at byte 2");
    REFUSES("{}\n\n  ,", IL_EFORMAT, "at byte 6 (line 3, column 3)");
    REFUSES("{}\v", IL_EFORMAT, "(byte 0x0b)"); /* not JSON whitespace */
    CHECK(check_n("{}\0", 3, &err) == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "(a NUL byte) at byte 2");
    CHECK(check_n("{} \n\t\r ", 7, &err) == IL_OK);
}

static void nul(void)
{
    il_error err;
    REFUSES("\"a\\u0000b\"", IL_EFORMAT, "\\u0000 (NUL) in a string at byte 2");
    REFUSES("{\"k\\u0000\": 1}", IL_EFORMAT, "\\u0000 (NUL) in a string at byte 3");
    CHECK(check_n("[\"a\0b\"]", 7, &err) == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "NUL byte in a string at byte 3");
    CHECK(check_n("[1,\0]", 5, &err) == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "expected a value, found a NUL byte");
    ACCEPTS("\"\\u0001\""); /* other escaped controls are fine */
}

static void nest(char *buf, size_t depth, const char *open, const char *close, const char *mid)
{
    size_t n = 0, ol = strlen(open), cl = strlen(close);
    for (size_t i = 0; i < depth; i++, n += ol)
        memcpy(buf + n, open, ol);
    strcpy(buf + n, mid);
    n += strlen(mid);
    for (size_t i = 0; i < depth; i++, n += cl)
        memcpy(buf + n, close, cl);
    buf[n] = '\0';
}

static void depth(void)
{
    static char buf[4096];
    il_error err;
    nest(buf, IL__JSON_MAX_DEPTH, "[", "]", "1");
    CHECK(check(buf, &err) == IL_OK);
    nest(buf, IL__JSON_MAX_DEPTH + 1, "[", "]", "1");
    CHECK(check(buf, &err) == IL_ELIMIT);
    CHECK_CONTAINS(err.message, "nested deeper than 64 levels at byte 64 (line 1, column 65)");
    nest(buf, IL__JSON_MAX_DEPTH, "{\"a\":", "}", "1");
    CHECK(check(buf, &err) == IL_OK);
    nest(buf, IL__JSON_MAX_DEPTH, "{\"a\":", "}", "[]");
    CHECK(check(buf, &err) == IL_ELIMIT);
    nest(buf, IL__JSON_MAX_DEPTH, "[", "]", "");
    CHECK(check(buf, &err) == IL_OK);
    /* depth counts what is open, not what came before */
    CHECK(check("[[[[]]], [[[]]], {\"a\": [[]]}]", &err) == IL_OK);
}

/* The overflow test agrees with strtod (this process is in the "C" locale). */
static void numbers(void)
{
    static const char *const edge[] = {
        "1e308",
        "-1e308",
        "1.7976931348623157e308", /* DBL_MAX */
        "1.7976931348623158e308", /* rounds down to DBL_MAX */
        "1.7976931348623159e308", /* rounds up: infinity */
        "1.797693134862315807937289714053e308",
        "1.7976931348623158079372897140530341507993413271003782693617377898044496829276475094664901"
        "797758720709633028641669288791094655554785194040263065748867150582068190890200070838367627"
        "385484581771153176447573027006985557136695962284291481986083493647529271907416844436551070"
        "4342711559699508093042880177904174497792e308", /* 2^1024 - 2^970: the tie, infinity */
        "1.7976931348623158079372897140530341507993413271003782693617377898044496829276475094664901"
        "797758720709633028641669288791094655554785194040263065748867150582068190890200070838367627"
        "385484581771153176447573027006985557136695962284291481986083493647529271907416844436551070"
        "4342711559699508093042880177904174497791999e308", /* just below the tie */
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017"
        "977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273"
        "854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704"
        "342711559699508093042880177904174497792", /* the tie as an integer */
        "0."
        "00001797693134862315907729305190789024733617976978942306572734300811577326758055009631327"
        "084773224075360211201138798713933576587897688144166224928474306394741243777678934248654852"
        "7"
        "630221960124609411945308295208500576883815068234246288147391311054082723716335051068458629"
        "8"
        "2399999e313",
        "1e309",
        "10e307",
        "100e307",
        "0.1e310",
        "0.01e310",
        "-1e999",
        "1e999",
        "1E+400",
        "1e99999999999999999999999999",
        "1e-99999999999999999999999999",
        "0e99999999999999999999999999",
        "0.0000e999999",
        "-0.0e400",
        "4.9e-324",
        "1e-400",
        "0.000000000000000000000000000000000000000000000000001e359", /* 1e308 */
        "0.000000000000000000000000000000000000000000000000001e360", /* 1e309 */
        "123456789012345678901234567890",
    };
    il_error err;
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        il_status st;
        double v;
        st = check(edge[i], &err);
        v = strtod(edge[i], NULL);
        if (st != (isinf(v) ? IL_ERANGE : IL_OK))
            TEST_FAIL_("%.40s...: %s '%s' but strtod gives %g", edge[i], il_status_name(st),
                       err.message, v);
    }
    REFUSES("1e999", IL_ERANGE,
            "number 1e999 is too large for a double (the largest is about 1.8e308) at byte 0");
    REFUSES("{\"depth\": -1e999}", IL_ERANGE,
            "number -1e999 is too large for a double (the largest is about 1.8e308) at byte 10");
    ACCEPTS("[1e308, -1e308, 1e-400, 0.5E+2, 1E-2]");
    /* the grammar of RFC 8259 section 6 */
    REFUSES("01", IL_EFORMAT, "a number cannot have a leading zero");
    REFUSES("-01", IL_EFORMAT, "near byte 1");
    REFUSES("[1.]", IL_EFORMAT, "expected a digit after '.', found ']'");
    REFUSES("[.5]", IL_EFORMAT, "expected a value, found '.'");
    REFUSES("[-]", IL_EFORMAT, "expected a digit after '-', found ']'");
    REFUSES("[+1]", IL_EFORMAT, "expected a value, found '+'");
    REFUSES("[1e]", IL_EFORMAT, "expected a digit in the exponent");
    REFUSES("[1e+]", IL_EFORMAT, "expected a digit in the exponent");
    REFUSES("[0x10]", IL_EFORMAT, "expected ',' or ']', found 'x'");
    REFUSES("[NaN]", IL_EFORMAT, "expected a value, found 'N'");
    REFUSES("[Infinity]", IL_EFORMAT, "expected a value");
    REFUSES("-", IL_EFORMAT, "expected a digit after '-', found the end of the input");
}

static void utf8(void)
{
    REFUSES("\"\xc0\xaf\"", IL_EFORMAT, "invalid UTF-8 (byte 0xc0) in a string at byte 1");
    REFUSES("\"\xe0\x80\xaf\"", IL_EFORMAT, "invalid UTF-8 (byte 0xe0)");     /* overlong */
    REFUSES("\"\xed\xa0\x80\"", IL_EFORMAT, "invalid UTF-8 (byte 0xed)");     /* a surrogate */
    REFUSES("\"\xf4\x90\x80\x80\"", IL_EFORMAT, "invalid UTF-8 (byte 0xf4)"); /* > U+10FFFF */
    REFUSES("\"\xf5\x80\x80\x80\"", IL_EFORMAT, "invalid UTF-8 (byte 0xf5)");
    REFUSES("\"\xff\"", IL_EFORMAT, "invalid UTF-8 (byte 0xff)");
    REFUSES("\"ab\x80\"", IL_EFORMAT, "invalid UTF-8 (byte 0x80) in a string at byte 3");
    REFUSES("\"\xe2\x82\"", IL_EFORMAT, "invalid UTF-8 (byte 0xe2)"); /* cut short */
    REFUSES("\"\xe2\x82", IL_EFORMAT, "invalid UTF-8 (byte 0xe2)");   /* and at the end */
    REFUSES("{\"k\xe9y\": 1}", IL_EFORMAT, "invalid UTF-8 (byte 0xe9) in a string at byte 3");
    REFUSES("\"a\x01\"", IL_EFORMAT,
            "unescaped control byte 0x01 in a string (RFC 8259 wants \\u0001) at byte 2");
    REFUSES("\"a\nb\"", IL_EFORMAT, "unescaped control byte 0x0a");
    REFUSES("\"\x1b[31m\"", IL_EFORMAT, "unescaped control byte 0x1b");
    REFUSES("[\xc3\xa9]", IL_EFORMAT, "expected a value, found byte 0xc3"); /* outside a string */
}

/* Lone surrogates are refused: cJSON refuses them too (it would have
 * nothing to decode them to in UTF-8), so the strict check says so with a
 * message and the accepted set stays inside cJSON's. */
static void surrogates(void)
{
    static const char *const lone[] = {"\"\\ud800\"", "\"\\ud800x\"",       "\"\\ud800\\u0041\"",
                                       "\"\\udc00\"", "\"\\udc00\\ud800\"", "\"\\udbff\\ud800\""};
    REFUSES("\"\\ud800\"", IL_EFORMAT, "lone high surrogate \\ud800 in a string");
    REFUSES("\"ab\\uD800\\u0041\"", IL_EFORMAT, "lone high surrogate \\ud800 in a string");
    REFUSES("\"\\udc00\"", IL_EFORMAT, "lone low surrogate \\udc00 in a string at byte 1");
    REFUSES("\"\\udc00\\ud800\"", IL_EFORMAT, "lone low surrogate");
    ACCEPTS("\"\\uD83D\\uDE00 \\udbff\\udfff \\ud800\\udc00\"");
    for (size_t i = 0; i < sizeof lone / sizeof lone[0]; i++) {
        il_error err;
        cJSON *root = cJSON_ParseWithLength(lone[i], strlen(lone[i]));
        CHECK(check(lone[i], &err) == IL_EFORMAT);
        if (root)
            TEST_FAIL_("cJSON accepts %s", lone[i]);
        cJSON_Delete(root);
    }
}

static void syntax(void)
{
    il_error err;
    REFUSES("", IL_EFORMAT,
            "malformed JSON near byte 0 (line 1, column 1): expected a value, found the end of the "
            "input");
    REFUSES(" \n ", IL_EFORMAT, "near byte 3 (line 2, column 2)");
    REFUSES("\xef\xbb\xbf", IL_EFORMAT, "near byte 3 (line 1, column 1)");
    REFUSES("{\"a\" 1}", IL_EFORMAT, "near byte 5 (line 1, column 6): expected ':', found '1'");
    REFUSES("{\"a\": 1,}", IL_EFORMAT, "expected a key (a string), found '}'");
    REFUSES("{,}", IL_EFORMAT, "expected a key (a string) or '}', found ','");
    REFUSES("{'a': 1}", IL_EFORMAT, "found '''");
    REFUSES("{\"a\": 1 \"b\": 2}", IL_EFORMAT, "expected ',' or '}', found '\"'");
    REFUSES("[1,]", IL_EFORMAT, "expected a value, found ']'");
    REFUSES("[1 2]", IL_EFORMAT, "expected ',' or ']', found '2'");
    REFUSES("[", IL_EFORMAT, "expected a value, found the end of the input");
    REFUSES("[tru]", IL_EFORMAT, "expected a value (true?)");
    REFUSES("[nul", IL_EFORMAT, "expected a value (null?)");
    REFUSES("\"abc", IL_EFORMAT, "near byte 4 (line 1, column 5): the string that opens at byte 0");
    REFUSES("\"\\q\"", IL_EFORMAT, "invalid escape: '\\' followed by 'q'");
    REFUSES("\"\\", IL_EFORMAT, "expected an escape after '\\'");
    REFUSES("\"\\u12\"", IL_EFORMAT, "expected 4 hex digits after \\u");
    REFUSES("\"\\u12g4\"", IL_EFORMAT, "expected 4 hex digits after \\u");
    REFUSES("\v{}", IL_EFORMAT, "found byte 0x0b");
    REFUSES("\xef\xbb\xbf\xef\xbb\xbf{}", IL_EFORMAT, "found byte 0xef"); /* one BOM only */
    CHECK(check("{\"arms\": [{\"init\": ", &err) == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "malformed JSON near byte 19");
    /* the bytes given, not a NUL, end the text */
    CHECK(check_n("[1, 2]", 4, &err) == IL_EFORMAT);
    CHECK(il__json_check(NULL, 0, NULL) == IL_EFORMAT); /* 'err' may be NULL */
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

/* 100 000 keys (a 1.6 MB text) take milliseconds: keys are sorted once per
 * object, never compared pairwise. The limit is generous for the
 * sanitizer build. */
#define BIG_KEYS    100000
#define BIG_SECONDS 2.0
static void big_object(void)
{
    size_t cap = (size_t)BIG_KEYS * 24 + 64, n = 0;
    char *text = malloc(cap);
    struct timespec t0;
    il_error err;
    il_status st;

    REQUIRE(text);
    text[n++] = '{';
    for (size_t i = 0; i < BIG_KEYS; i++) /* escaped and plain keys both */
        n += (size_t)snprintf(text + n, cap - n, "%s\"%sk%zu\": %zu", i ? "," : "",
                              i % 2 ? "\\u006b" : "", i, i);
    text[n++] = '}';
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = check_n(text, n, &err);
    CHECK(seconds_since(&t0) < BIG_SECONDS);
    CHECK(st == IL_OK);
    /* one repeat at the very end: "k0" again */
    n--;
    n += (size_t)snprintf(text + n, cap - n, ", \"k0\": 1}");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = check_n(text, n, &err);
    CHECK(seconds_since(&t0) < BIG_SECONDS);
    CHECK(st == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "duplicate key \"k0\"");
    CHECK_CONTAINS(err.message, "first at byte 1 (line 1, column 2)");
    /* many small objects with the same keys */
    n = 0;
    text[n++] = '[';
    for (size_t i = 0; i < BIG_KEYS / 4; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s{\"a\":1,\"b\":{\"a\":2}}", i ? "," : "");
    text[n++] = ']';
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = check_n(text, n, &err);
    CHECK(seconds_since(&t0) < BIG_SECONDS);
    CHECK(st == IL_OK);
    free(text);
}

static void tree(void)
{
    static const char text[] = "\xef\xbb\xbf{\"a\": [1, 2.5], \"k\\u00e9\": \"v\"} ";
    static cJSON sentinel;
    cJSON *root = NULL;
    il_error err;
    REQUIRE(il__json_parse(text, sizeof text - 1, &root, &err) == IL_OK);
    REQUIRE(root);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "a")), 2);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(root, "k\xc3\xa9")->valuestring, "v");
    cJSON_Delete(root);
    root = &sentinel;
    CHECK(il__json_parse("{\"a\": 1, \"a\": 2}", 16, &root, &err) == IL_EFORMAT);
    CHECK(root == &sentinel); /* untouched on failure */
}

/* parse 'len' bytes as a run spec, from a fresh one */
static il_status spec_parse(const char *text, size_t len, il_run_spec *r, il_error *err)
{
    il_status st;
    il_run_spec_init(r);
    st = il_run_spec_from_json(r, text, len, 0, err);
    il_run_spec_release(r);
    return st;
}

/* The run spec's parser goes through the check. */
static void request(void)
{
    static const char dup[] =
        "{\"depth\": 3, \"arms\": [{\"init\": \"normal\", \"act\": \"relu\"}], \"depth\": 50}";
    static il_run_spec r;
    il_error err;
    CHECK(spec_parse(dup, sizeof dup - 1, &r, &err) == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "duplicate key \"depth\" at byte 58 (line 1, column 59); first at "
                                "byte 1");
    CHECK(spec_parse("{\"arms\": []} {}", 15, &r, &err) == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "data after the end of the JSON document");
    CHECK(spec_parse("{\"seed\": 1e999, \"arms\": []}", 27, &r, &err) == IL_ERANGE);
    CHECK(spec_parse("{\"arms\": [{\"init\": \"normal\", \"act\": \"relu\"}]}", 45, &r, &err) ==
          IL_OK);
}

/* Allocation n fails, for n = 0, 1, ...: IL_ENOMEM and nothing kept. */
typedef struct oom_hook {
    long calls, fail_at, outstanding;
} oom_hook;

static void *oom_alloc(void *ud, size_t size)
{
    oom_hook *h = ud;
    void *p;
    if (h->calls++ == h->fail_at)
        return NULL;
    p = malloc(size);
    if (p)
        h->outstanding++;
    return p;
}

static void oom_release(void *ud, void *p)
{
    oom_hook *h = ud;
    h->outstanding--;
    free(p);
}

static void oom(void)
{
    oom_hook hook = {0, 0, 0};
    il_allocator a = {oom_alloc, oom_release, &hook};
    char text[8192];
    size_t n = 0;
    long sites = 0;

    text[n++] = '[';
    for (size_t i = 0; i < 100; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s{\"k%zu\": {\"\\u0061%zu\": 1}}",
                              i ? "," : "", i, i);
    n +=
        (size_t)snprintf(text + n, sizeof text - n, ",{%s}]",
                         "\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,"
                         "\"j\":10,\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17");
    for (hook.fail_at = 0;; hook.fail_at++) {
        il_error err;
        il_status st;
        hook.calls = hook.outstanding = 0;
        il_set_allocator(&a);
        st = il__json_check(text, n, &err);
        il_set_allocator(NULL);
        CHECK_EQ_INT(hook.outstanding, 0);
        if (st == IL_OK)
            break;
        if (st != IL_ENOMEM) {
            TEST_FAIL_("allocation %ld failing gave %s '%s'", hook.fail_at, il_status_name(st),
                       err.message);
            break;
        }
        CHECK_STR(err.message, "out of memory checking the JSON text");
        sites++;
    }
    CHECK(sites >= 3); /* the keys grew twice past 16, the arena once */
}

TEST_MAIN({"accepts", accepts}, {"duplicates", duplicates}, {"trailing", trailing}, {"nul", nul},
          {"depth", depth}, {"numbers", numbers}, {"utf8", utf8}, {"surrogates", surrogates},
          {"syntax", syntax}, {"big_object", big_object}, {"tree", tree}, {"request", request},
          {"oom", oom})
