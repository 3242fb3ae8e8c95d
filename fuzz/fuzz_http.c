/* SPDX-License-Identifier: MIT */
/* libFuzzer: initlab serve's request handling (cli/serve.c), everything
 * after libmicrohttpd has read a request off the wire. The input is
 *     METHOD \n PATH \n HOST \n FORMAT \n BODY
 * (missing lines are empty; an empty HOST or FORMAT line means the header
 * or argument is absent). Checked: a status from the documented set, a
 * body for each, and a JSON error object whenever the status is not 200. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next line of [*p, end) copied into buf (truncated to cap - 1). */
static void take_line(const char **p, const char *end, char *buf, size_t cap)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = (size_t)((nl ? nl : end) - *p);
    memcpy(buf, *p, n < cap - 1 ? n : cap - 1);
    buf[n < cap - 1 ? n : cap - 1] = '\0';
    *p = nl ? nl + 1 : end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* small networks only: the point is the parsing and the paths, not
     * the arithmetic, and each input must run in milliseconds */
    static const serve_config cfg = {.max_values = 20000, .bind_host = "10.0.0.1", .port = 8080};
    const char *p = (const char *)data, *end = p + size;
    char method[16], path[512], host[256], format[32];
    serve_response r;

    take_line(&p, end, method, sizeof method);
    take_line(&p, end, path, sizeof path);
    take_line(&p, end, host, sizeof host);
    take_line(&p, end, format, sizeof format);
    serve_handle(&cfg, method, path, format[0] ? format : NULL, host[0] ? host : NULL, p,
                 (size_t)(end - p), &r);
    switch (r.status) {
    case 200:
    case 400:
    case 403:
    case 404:
    case 405:
    case 413:
    case 422:
    case 500:
        break;
    default:
        abort();
    }
    if (!r.body || r.len == 0 || !r.content_type)
        abort();
    if (r.status != 200 && (r.len < 12 || memcmp(r.body, "{\"error\":", 9) != 0))
        abort();
    serve_response_release(&r);
    return 0;
}
