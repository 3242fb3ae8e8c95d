/* SPDX-License-Identifier: MIT */
/* JSON paths into cJSON trees, and the first difference of two grids. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/sweep.h"
#include "internal/json.h"
#include "internal/spec_impl.h"
#include "path.h"

int il__sweep_path_ok(const char *path)
{
    size_t n = strlen(path), seg = 0;
    if (n == 0 || n > IL__SWEEP_MAX_PATH)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (path[i] == '.' || path[i] == '\0') {
            if (seg == 0)
                return 0;
            seg = 0;
        } else {
            seg++;
        }
    }
    return 1;
}

/* Segment 'seg' as an array index of an array of 'size' (negative from
 * the end); -1 if it is not a whole number or out of range. */
static int array_index(const char *seg, int size)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(seg, &end, 10);
    if (errno || *end || end == seg)
        return -1;
    if (v < 0)
        v += size;
    return v >= 0 && v < size ? (int)v : -1;
}

/* Split 'path' into 'buf' (NUL-separated); returns the segment count. */
static size_t split(const char *path, char *buf, char **segs, size_t max)
{
    size_t n = 0;
    strcpy(buf, path);
    for (char *p = buf; n < max;) {
        segs[n++] = p;
        p = strchr(p, '.');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

/* The child of 'node' named by 'seg', or NULL. */
static cJSON *child(cJSON *node, const char *seg)
{
    if (cJSON_IsArray(node)) {
        int i = array_index(seg, cJSON_GetArraySize(node));
        return i < 0 ? NULL : cJSON_GetArrayItem(node, i);
    }
    return cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, seg) : NULL;
}

static const char *kind_of(const cJSON *n)
{
    return cJSON_IsArray(n) ? "an array" : cJSON_IsObject(n) ? "an object" : "a value";
}

cJSON *il__sweep_path_get(cJSON *root, const char *path, il_error *err)
{
    char buf[IL__SWEEP_MAX_PATH + 1], *segs[IL__SWEEP_MAX_PATH];
    size_t n;
    cJSON *node = root;

    if (!il__sweep_path_ok(path)) {
        il__set_error(err, "bad path \"%.64s\" (keys and indices joined by '.')", path);
        return NULL;
    }
    n = split(path, buf, segs, IL__SWEEP_MAX_PATH);
    for (size_t i = 0; i < n; i++) {
        cJSON *next = child(node, segs[i]);
        if (!next) {
            il__set_error(err, "\"%.64s\": no \"%.64s\" in %s%s", path, segs[i], kind_of(node),
                          cJSON_IsArray(node) ? " of that length" : "");
            return NULL;
        }
        node = next;
    }
    return node;
}

il_status il__sweep_path_set(cJSON *root, const char *path, cJSON *value, il_error *err)
{
    char buf[IL__SWEEP_MAX_PATH + 1], *segs[IL__SWEEP_MAX_PATH];
    size_t n;
    cJSON *node = root;

    if (!il__sweep_path_ok(path)) {
        cJSON_Delete(value);
        il__set_error(err, "bad path \"%.64s\" (keys and indices joined by '.')", path);
        return IL_EINVAL;
    }
    n = split(path, buf, segs, IL__SWEEP_MAX_PATH);
    for (size_t i = 0; i + 1 < n; i++) {
        cJSON *next = child(node, segs[i]);
        if (!next || !(cJSON_IsArray(next) || cJSON_IsObject(next))) {
            cJSON_Delete(value);
            il__set_error(err, "\"%.64s\": no object or array at \"%.64s\" in the base spec", path,
                          segs[i]);
            return IL_EINVAL;
        }
        node = next;
    }
    if (cJSON_IsArray(node)) {
        int i = array_index(segs[n - 1], cJSON_GetArraySize(node));
        if (i < 0 || !cJSON_ReplaceItemInArray(node, i, value)) {
            cJSON_Delete(value);
            il__set_error(err, "\"%.64s\": no index %.64s in the base spec's array", path,
                          segs[n - 1]);
            return IL_EINVAL;
        }
        return IL_OK;
    }
    if (!cJSON_IsObject(node)) {
        cJSON_Delete(value);
        il__set_error(err, "\"%.64s\": the base spec has no object there", path);
        return IL_EINVAL;
    }
    if (cJSON_GetObjectItemCaseSensitive(node, segs[n - 1]))
        return cJSON_ReplaceItemInObjectCaseSensitive(node, segs[n - 1], value) ? IL_OK : IL_ENOMEM;
    if (!cJSON_AddItemToObject(node, segs[n - 1], value)) {
        cJSON_Delete(value);
        return IL_ENOMEM;
    }
    return IL_OK;
}

char *il__sweep_print(const cJSON *node)
{
    char *s = cJSON_PrintUnformatted(node), *out = NULL;
    if (s) {
        size_t n = strlen(s) + 1;
        if ((out = il_malloc(n)) != NULL)
            memcpy(out, s, n);
        cJSON_free(s);
    }
    return out;
}

/* "PATH: A here, B there" for the first difference under a and b. */
static int diff(const cJSON *a, const cJSON *b, char *path, size_t plen, char *buf, size_t cap)
{
    if (a && b && cJSON_IsObject(a) && cJSON_IsObject(b)) {
        const cJSON *x;
        cJSON_ArrayForEach(x, a)
        {
            size_t n = (size_t)snprintf(path + plen, IL__SWEEP_MAX_PATH - plen, "%s%s",
                                        plen ? "." : "", x->string);
            if (diff(x, cJSON_GetObjectItemCaseSensitive(b, x->string), path,
                     plen + n < IL__SWEEP_MAX_PATH ? plen + n : plen, buf, cap))
                return 1;
        }
        cJSON_ArrayForEach(x, b)
        {
            if (!cJSON_GetObjectItemCaseSensitive(a, x->string)) {
                snprintf(path + plen, IL__SWEEP_MAX_PATH - plen, "%s%s", plen ? "." : "",
                         x->string);
                return diff(NULL, x, path, strlen(path), buf, cap);
            }
        }
        path[plen] = '\0';
        return 0;
    }
    if (a && b && cJSON_IsArray(a) && cJSON_IsArray(b) &&
        cJSON_GetArraySize(a) == cJSON_GetArraySize(b)) {
        for (int i = 0; i < cJSON_GetArraySize(a); i++) {
            size_t n = (size_t)snprintf(path + plen, IL__SWEEP_MAX_PATH - plen, "%s%d",
                                        plen ? "." : "", i);
            if (diff(cJSON_GetArrayItem(a, i), cJSON_GetArrayItem(b, i), path,
                     plen + n < IL__SWEEP_MAX_PATH ? plen + n : plen, buf, cap))
                return 1;
        }
        path[plen] = '\0';
        return 0;
    }
    if (a && b && cJSON_Compare(a, b, 1))
        return 0;
    {
        char *ta = a ? cJSON_PrintUnformatted(a) : NULL, *tb = b ? cJSON_PrintUnformatted(b) : NULL;
        snprintf(buf, cap, "%s: %.120s in the store, %.120s given", plen ? path : "(the grid)",
                 ta ? ta : "nothing", tb ? tb : "nothing");
        cJSON_free(ta);
        cJSON_free(tb);
    }
    return 1;
}

void il_sweep_grid_diff(const char *a, const char *b, char *buf, size_t cap)
{
    cJSON *ta = NULL, *tb = NULL;
    char path[IL__SWEEP_MAX_PATH + 1] = "";
    buf[0] = '\0';
    if (strcmp(a, b) == 0)
        return;
    if (il__json_parse(a, strlen(a), &ta, NULL) != IL_OK ||
        il__json_parse(b, strlen(b), &tb, NULL) != IL_OK)
        snprintf(buf, cap, "the stored grid cannot be read");
    else if (!diff(ta, tb, path, 0, buf, cap))
        snprintf(buf, cap, "(the grid): the same values written differently");
    cJSON_Delete(ta);
    cJSON_Delete(tb);
}
