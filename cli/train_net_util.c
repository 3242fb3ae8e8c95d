/* SPDX-License-Identifier: MIT */
/* The network, its initialization and the data for `initlab train --net`
 * and `initlab coordcheck` (train_net.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "train_net.h"

size_t train_net_with_width(const char *preset, size_t width, char *buf, size_t cap)
{
    const char *colon = strchr(preset, ':'), *key;
    size_t name_len = colon ? (size_t)(colon - preset) : strlen(preset), used;
    int w;

    key = name_len == 11 && strncmp(preset, "transformer", 11) == 0 ? "d_model" : "width";
    w = snprintf(buf, cap, "%.*s:%s=%zu", (int)name_len, preset, key, width);
    if (w < 0 || (size_t)w >= cap)
        return 0;
    used = (size_t)w;
    for (const char *p = colon ? colon + 1 : NULL; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p), kl = strlen(key);
        if (!(len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=')) {
            w = snprintf(buf + used, cap - used, ",%.*s", (int)len, p);
            if (w < 0 || (size_t)w >= cap - used)
                return 0;
            used += (size_t)w;
        }
        p = end ? end + 1 : NULL;
    }
    return used;
}

int train_net_load(const char *cmd, const char *what, il_netdesc **d)
{
    il_error err;
    il_status st;
    size_t n = strlen(what);

    err.message[0] = '\0';
    if (n > 5 && strcmp(what + n - 5, ".json") == 0) {
        static char text[IL_RUN_MAX_JSON_BYTES + 1];
        FILE *f = fopen(what, "rb");
        size_t len;
        if (!f) {
            cli_error("%s: cannot open '%s': %s", cmd, what, strerror(errno));
            return EXIT_RUNTIME;
        }
        len = fread(text, 1, sizeof text, f);
        fclose(f);
        if (len > IL_RUN_MAX_JSON_BYTES) {
            cli_error("%s: %s: more than %d bytes", cmd, what, IL_RUN_MAX_JSON_BYTES);
            return EXIT_DATA;
        }
        st = il_netdesc_from_json(text, len, d, &err);
    } else {
        st = il_netdesc_from_preset(what, d, &err);
    }
    if (st != IL_OK) {
        cli_error("%s: --net: %s", cmd, err.message[0] ? err.message : il_status_str(st));
        return st == IL_ENOMEM ? EXIT_NOMEM : EXIT_USAGE;
    }
    return 0;
}

int train_net_build(const char *cmd, const il_netdesc *d, const il_data *data, size_t batch,
                    il_net **out)
{
    il_error err;
    il_status st;

    err.message[0] = '\0';
    il_net_input_kind kind = il_netdesc_input_kind(d);
    if (kind == IL_NET_INPUT_SEQ) {
        cli_error("%s: --net: a sequence network trains on tokens: give it vocab=256 (next-byte "
                  "prediction on --data TEXT)",
                  cmd);
        return EXIT_USAGE;
    }
    if (kind == IL_NET_INPUT_IMAGE && data && il_tshape_size(il_netdesc_input(d)) != data->dim) {
        cli_error("%s: --net: the network takes %zu values per image, the data has %zu "
                  "(cnn:in=1,size=28 for Fashion-MNIST)",
                  cmd, il_tshape_size(il_netdesc_input(d)), data->dim);
        return EXIT_USAGE;
    }
    /* token and image networks carry their own readout; feature networks get one */
    if (kind == IL_NET_INPUT_TOKENS || kind == IL_NET_INPUT_IMAGE)
        st = il_netdesc_build(d, batch, out, &err);
    else if (!data) {
        cli_error("%s: --net: a text is for a token network (transformer:...,vocab=256)", cmd);
        return EXIT_USAGE;
    } else
        st = il_nt_build_classifier(d, data->dim, data->classes, batch, out, &err);
    if (st != IL_OK) {
        cli_error("%s: --net: %s", cmd, err.message[0] ? err.message : il_status_str(st));
        return cli_exit_for(st);
    }
    return 0;
}

int train_net_init(const char *cmd, il_net *n, const il_recipe_spec *recipe, uint64_t seed,
                   const il_nt_scaling *sc)
{
    il_rng *rng = NULL;
    il_error err;
    il_status st;

    err.message[0] = '\0';
    if ((st = il_rng_new(il_rng_find("philox"), seed, &rng)) == IL_OK)
        st = il_recipe_apply(recipe, n, rng, &err);
    il_rng_free(rng);
    if (st != IL_OK) {
        cli_error("%s: --recipe: %s", cmd, err.message[0] ? err.message : il_status_str(st));
        return cli_exit_for(st);
    }
    for (size_t i = 0; sc && i < il_net_param_count(n); i++) {
        double *p = il_net_param_data(n, i);
        size_t len = il_tshape_size(&il_net_param(n, i, NULL)->shape);
        for (size_t j = 0; sc[i].init_mult != 1 && j < len; j++)
            p[j] *= sc[i].init_mult;
    }
    return 0;
}

int train_net_scalings(const char *cmd, const char *preset, const il_netdesc *d,
                       const il_data *data, size_t base_width, il_nt_param param, il_nt_opt opt,
                       il_net *n, il_nt_scaling *out)
{
    char text[512];
    il_netdesc *bd = NULL;
    il_net *base = NULL;
    il_error err;
    il_status st;
    int rc;

    err.message[0] = '\0';
    if (!base_width)
        return il_nt_scalings(n, NULL, IL_NT_SP, opt, out, &err) == IL_OK ? 0 : EXIT_USAGE;
    if (!il_netdesc_preset(d) && !preset) {
        cli_error("%s: --base-width needs a preset --net (the base is the preset at that width)",
                  cmd);
        return EXIT_USAGE;
    }
    if (!train_net_with_width(preset, base_width, text, sizeof text)) {
        cli_error("%s: --net: too long", cmd);
        return EXIT_USAGE;
    }
    if ((rc = train_net_load(cmd, text, &bd)) != 0)
        return rc;
    rc = train_net_build(cmd, bd, data, 1, &base);
    il_netdesc_free(bd);
    if (rc)
        return rc;
    st = il_nt_scalings(n, base, param, opt, out, &err);
    il_net_free(base);
    if (st != IL_OK) {
        cli_error("%s: --base-width %zu: %s", cmd, base_width, err.message);
        return EXIT_USAGE;
    }
    return 0;
}

int train_net_load_images(const char *cmd, const char *dir, const char *split, il_data *train,
                          il_data *test)
{
    il_error err;
    il_status st;
    size_t cap = cli_default_memory_cap();

    err.message[0] = '\0';
    st = il_data_load_dir(dir, split, 10, cap, train, &err);
    if (st == IL_OK && test) {
        st = il_data_load_dir(dir, "t10k", 10, cap, test, &err);
        if (st != IL_OK)
            il_data_free(train);
    }
    if (st == IL_EIO && strcmp(dir, TRAIN_NET_FASHION) == 0) {
        cli_error("%s: no Fashion-MNIST in %s: install it with 'apt-get install "
                  "dataset-fashion-mnist' (or scripts/install-deps.sh), or give --data DIR",
                  cmd, dir);
        return EXIT_RUNTIME;
    }
    if (st != IL_OK) {
        cli_error("%s: --data: %s", cmd, err.message[0] ? err.message : il_status_str(st));
        return cli_exit_for(st);
    }
    return 0;
}

/* Append file 'path' to the text (fortune files are plain text; their
 * '.dat' indexes and links are skipped by the caller). */
static int append_file(const char *cmd, const char *path, uint8_t **text, size_t *len, size_t *cap)
{
    FILE *f = fopen(path, "rb");
    size_t got;
    if (!f) {
        cli_error("%s: --data: cannot open '%s': %s", cmd, path, strerror(errno));
        return EXIT_RUNTIME;
    }
    do {
        if (*cap - *len < 65536) {
            size_t nc;
            uint8_t *nt;
            if (!il_mul_size(*cap ? *cap : 65536, 2, &nc) || !(nt = il_malloc(nc))) {
                fclose(f);
                return EXIT_NOMEM;
            }
            if (*len)
                memcpy(nt, *text, *len);
            il_free(*text);
            *text = nt;
            *cap = nc;
        }
        got = fread(*text + *len, 1, *cap - *len, f);
        *len += got;
    } while (got > 0);
    fclose(f);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int train_net_load_text(const char *cmd, const char *path, uint8_t **text, size_t *len)
{
    struct stat sb;
    size_t cap = 0;
    int rc = 0;

    *text = NULL;
    *len = 0;
    if (stat(path, &sb) != 0) {
        cli_error("%s: --data: cannot open '%s': %s%s", cmd, path, strerror(errno),
                  strcmp(path, TRAIN_NET_FORTUNES) == 0
                      ? " (apt-get install fortunes, or scripts/install-deps.sh)"
                      : "");
        return EXIT_RUNTIME;
    }
    if (!S_ISDIR(sb.st_mode))
        return append_file(cmd, path, text, len, &cap);
    /* a folder: its regular files but the .dat indexes, by name */
    DIR *dir = opendir(path);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    if (!dir) {
        cli_error("%s: --data: cannot read '%s': %s", cmd, path, strerror(errno));
        return EXIT_RUNTIME;
    }
    while ((e = readdir(dir)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || (l > 4 && strcmp(e->d_name + l - 4, ".dat") == 0) ||
            (l > 2 && strcmp(e->d_name + l - 2, ".u8") == 0))
            continue;
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(dir);
    qsort(names, n, sizeof names[0], by_name);
    for (size_t i = 0; i < n; i++) {
        char full[4096];
        struct stat fs;
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        if (!rc && stat(full, &fs) == 0 && S_ISREG(fs.st_mode))
            rc = append_file(cmd, full, text, len, &cap);
        free(names[i]);
    }
    if (!rc && *len == 0) {
        cli_error("%s: --data: no text in '%s'", cmd, path);
        rc = EXIT_DATA;
    }
    return rc;
}

int train_net_number(const char *cmd, const char *opt, const char *text, int allow_zero,
                     double *out)
{
    if (!il_parse_number(text, out) || *out < 0 || (!allow_zero && *out == 0)) {
        cli_error("%s: invalid value '%s' for --%s: expected a finite number %s 0", cmd, text, opt,
                  allow_zero ? ">=" : ">");
        return EXIT_USAGE;
    }
    return 0;
}

int train_net_recipe(const char *cmd, const char *text, il_recipe_spec *out)
{
    il_error err;
    il_status st;
    err.message[0] = '\0';
    st = strncmp(text, "init:", 5) == 0 ? il_recipe_by_init(text + 5, out, &err)
                                        : il_recipe_parse(text, out, &err);
    if (st != IL_OK) {
        cli_error("%s: --recipe: %s", cmd, err.message[0] ? err.message : il_status_str(st));
        return EXIT_USAGE;
    }
    return 0;
}

int train_net_show_scalings(const char *cmd, const char *preset, const il_netdesc *d,
                            const il_net *n, const char *param, size_t base_width, const char *opt,
                            const char *recipe)
{
    char text[512];
    il_netdesc *bd = NULL;
    il_net *base = NULL;
    il_nt_scaling *sc;
    il_recipe_spec rs;
    il_error err;
    int o = il_nt_opt_parse(opt ? opt : "adam"), mup = strcmp(param, "mup") == 0, rc;

    err.message[0] = '\0';
    if (!mup && strcmp(param, "sp") != 0) {
        cli_error("%s: invalid value '%s' for --param: expected sp or mup", cmd, param);
        return EXIT_USAGE;
    }
    if (o < 0) {
        cli_error("%s: unknown --opt '%s' (valid: sgd, momentum, adam, adamw)", cmd, opt);
        return EXIT_USAGE;
    }
    if (mup && (!base_width || !il_netdesc_preset(d))) {
        cli_error("%s: --param mup needs a preset and --base-width N", cmd);
        return EXIT_USAGE;
    }
    if ((rc = train_net_recipe(cmd, recipe ? recipe : "torch_default", &rs)) != 0)
        return rc;
    if (!(sc = il_calloc(il_net_param_count(n) + 1, sizeof *sc)))
        return EXIT_NOMEM;
    if (mup) {
        if (!train_net_with_width(preset, base_width, text, sizeof text) ||
            (rc = train_net_load(cmd, text, &bd)) != 0) {
            il_free(sc);
            return rc ? rc : EXIT_USAGE;
        }
        if (il_netdesc_build(bd, 1, &base, &err) != IL_OK) {
            cli_error("%s: --base-width %zu: %s", cmd, base_width, err.message);
            rc = EXIT_USAGE;
        }
        il_netdesc_free(bd);
    }
    if (!rc &&
        il_nt_scalings(n, base, mup ? IL_NT_MUP : IL_NT_SP, (il_nt_opt)o, sc, &err) != IL_OK) {
        cli_error("%s: --base-width %zu: %s", cmd, base_width, err.message);
        rc = EXIT_USAGE;
    }
    if (!rc) {
        printf("\n%s (%s, base width %zu), init from %s:\n", mup ? "muP" : "SP",
               il_nt_opt_name((il_nt_opt)o), base_width, recipe ? recipe : "torch_default");
        printf("%-34s %-7s %10s %12s %10s\n", "parameter", "role", "width_mult", "init std",
               "lr mult");
    }
    for (size_t i = 0; !rc && i < il_net_param_count(n); i++) {
        il_param_rule rule;
        if (il_recipe_rule(&rs, n, i, &rule, &err) != IL_OK) {
            cli_error("%s: %s: %s", cmd, il_net_param_name(n, i), err.message);
            rc = EXIT_DATA;
            break;
        }
        printf("%-34s %-7s %10.4g %12.6g %10.6g\n", il_net_param_name(n, i),
               il_nt_role_name(sc[i].role), sc[i].width_mult, rule.std * sc[i].init_mult,
               sc[i].lr_mult);
    }
    il_net_free(base);
    il_free(sc);
    return rc;
}
