/* SPDX-License-Identifier: MIT */
/*
 * The CSV reader: what it accepts (quotes, CRLF, BOM, blank and comment
 * lines, a header, nan and inf), what it refuses with line:column, its
 * caps, and -- when run with IL_TEST_COMMA_LOCALE set, under a locale whose
 * decimal point is a comma (tests/csv_locale.sh) -- that the locale does
 * not change a number.
 */
#include <locale.h>

#include "initlab/io.h"
#include "test.h"

static il_status parse(const char *text, il_array *a, il_error *err)
{
    err->message[0] = '\0';
    return il_csv_parse(text, strlen(text), NULL, a, err);
}

static void accepts(void)
{
    static const char text[] = "\xef\xbb\xbf"
                               "# a comment\r\n"
                               "x, y ,\"z\"\r\n"
                               "\n"
                               "1.5, -2,\"3e-3\"\r\n"
                               "   \n"
                               "nan,inf,-Infinity\n"
                               "0.1,2.5e-310,-0";
    il_array a;
    il_error err;

    REQUIRE(parse(text, &a, &err) == IL_OK);
    CHECK_EQ_U64(a.ndim, 2);
    CHECK_EQ_U64(a.shape[0], 3);
    CHECK_EQ_U64(a.shape[1], 3);
    CHECK_BITS(a.data[0], 1.5);
    CHECK_BITS(a.data[1], -2.0);
    CHECK_BITS(a.data[2], 3e-3);
    CHECK(isnan(a.data[3]) && isinf(a.data[4]) && a.data[5] < 0 && isinf(a.data[5]));
    CHECK_BITS(a.data[6], 0.1);
    CHECK_BITS(a.data[7], 2.5e-310); /* a subnormal is a number */
    CHECK(a.data[8] == 0 && signbit(a.data[8]));
    il_array_release(&a);
}

static void expect(const char *what, const char *text, il_status want, const char *message)
{
    il_array a;
    il_error err;
    il_status st = parse(text, &a, &err);
    if (st != want || !strstr(err.message, message))
        TEST_FAIL_("%s: %s '%s', wanted %s '%s'", what, il_status_name(st), err.message,
                   il_status_name(want), message);
    if (a.data)
        TEST_FAIL_("%s: data left allocated", what);
}

static void refuses(void)
{
    expect("ragged row", "1,2,3\n4,5\n", IL_EFORMAT, "csv:2:4: 2 fields; the rows above have 3");
    expect("not a number", "1,2\n3,abc\n", IL_EFORMAT, "csv:2:3: 'abc' is not a number");
    expect("empty field", "1,,2\n", IL_EFORMAT, "csv:1:3: empty field");
    expect("hex", "0x10,1\n", IL_EFORMAT, "'0x10' is not a number");
    expect("overflow", "1e999\n", IL_EFORMAT, "'1e999' is not a number");
    expect("half a number", "1.5.2\n", IL_EFORMAT, "'1.5.2' is not a number");
    expect("a header only", "a,b\n", IL_EFORMAT, "no rows of numbers");
    expect("nothing", "", IL_EFORMAT, "no rows of numbers");
    expect("second header", "a,b\nc,d\n", IL_EFORMAT, "csv:2:1: 'c' is not a number");
    expect("mixed first row", "a,1\n", IL_EFORMAT, "csv:1:1: 'a' is not a number");
    expect("stray carriage return", "1,2\r3\n", IL_EFORMAT, "csv:1:4: a stray carriage return");
}

static void caps(void)
{
    il_csv_limits lim = IL_CSV_LIMITS_DEFAULT;
    size_t n = (1 << 20) + 1, k = 0;
    char *big = malloc(n + 2);
    il_array a;
    il_error err;

    REQUIRE(big);
    memset(big, '1', n);
    big[n] = '\0';
    CHECK(il_csv_parse(big, n, NULL, &a, &err) == IL_ELIMIT); /* 1 MiB + 1 in one line */
    CHECK_CONTAINS(err.message, "a line of more than 1048576 bytes");
    /* 10^4 columns are fine; with max_cols 9999 they are refused */
    for (int i = 0; i < 10000; i++) {
        big[k++] = '7';
        big[k++] = i < 9999 ? ',' : '\n';
    }
    REQUIRE(il_csv_parse(big, k, NULL, &a, &err) == IL_OK);
    CHECK_EQ_U64(a.shape[1], 10000);
    il_array_release(&a);
    lim.max_cols = 9999;
    CHECK(il_csv_parse(big, k, &lim, &a, &err) == IL_ELIMIT);
    CHECK_CONTAINS(err.message, "more than 9999 columns");
    lim = (il_csv_limits)IL_CSV_LIMITS_DEFAULT;
    lim.max_bytes = 8 * 1000; /* room for 1000 values, not 10^4 */
    CHECK(il_csv_parse(big, k, &lim, &a, &err) == IL_ELIMIT);
    CHECK_CONTAINS(err.message, "the limit");
    free(big);
}

/* Under a comma-decimal locale strtod alone would read "0.5" as 0. */
static void comma_locale(void)
{
    il_array a;
    il_error err;

    if (!getenv("IL_TEST_COMMA_LOCALE")) {
        SKIP("set IL_TEST_COMMA_LOCALE (tests/csv_locale.sh does)");
        return;
    }
    REQUIRE(setlocale(LC_ALL, ""));
    REQUIRE(strcmp(localeconv()->decimal_point, ",") == 0);
    REQUIRE(parse("0.5,1.25\n", &a, &err) == IL_OK);
    CHECK_BITS(a.data[0], 0.5);
    CHECK_BITS(a.data[1], 1.25);
    il_array_release(&a);
    CHECK(strcmp(localeconv()->decimal_point, ",") == 0); /* left as it was */
}

TEST_MAIN({"accepts", accepts}, {"refuses", refuses}, {"caps", caps},
          {"comma_locale", comma_locale})
