/* SPDX-License-Identifier: MIT */
/* Input files given on the command line: .npy and .csv matrices. */
#include <string.h>

#include "cli.h"

int cli_is_matrix_file(const char *text)
{
    size_t n = strlen(text);
    return (n > 4 && strcmp(text + n - 4, ".npy") == 0) ||
           (n > 4 && strcmp(text + n - 4, ".csv") == 0);
}

int cli_load_matrix(const char *cmd, const char *path, size_t cap, il_array *a)
{
    size_t n = strlen(path);
    il_error err;
    il_status st;

    err.message[0] = '\0';
    if (strcmp(path + n - 4, ".npy") == 0) {
        st = il_npy_load(path, cap, a, &err);
    } else {
        il_csv_limits lim = IL_CSV_LIMITS_DEFAULT;
        lim.max_bytes = cap;
        st = il_csv_load(path, &lim, a, &err);
    }
    if (st != IL_OK) {
        cli_error("%s: %s%s%s", cmd, strstr(err.message, path) ? "" : path,
                  strstr(err.message, path) ? "" : ": ",
                  err.message[0] ? err.message : il_status_str(st));
        return cli_exit_for(st);
    }
    if (a->ndim != 2 || a->shape[0] == 0 || a->shape[1] == 0) {
        cli_error("%s: %s: expected a 2-D array of rows and columns with at least one of each "
                  "(it has %zu dimension%s)",
                  cmd, path, a->ndim, a->ndim == 1 ? "" : "s");
        il_array_release(a);
        return EXIT_DATA;
    }
    return 0;
}
