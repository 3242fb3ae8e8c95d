/* SPDX-License-Identifier: MIT */
/*
 * initlab net show PRESET|FILE.json [--recipe NAME]: a network description
 * expanded -- its JSON with every default, its layers' shapes, and every
 * parameter's shape (PyTorch's layout) and fans; with a recipe, each
 * parameter's initializer, std and why. Also the lists of presets,
 * recipes and layer kinds for `initlab list`.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "train_net.h"

typedef struct net_opts {
    const char *recipe;
    int json, layers;
    const char *param, *opt; /* muP's table (train_net_util.c) */
    size_t base_width, width;
} net_opts;

static const cli_option net_options[] = {
    CLI_OPT("recipe", CLI_STRING, net_opts, recipe, "NAME",
            "each parameter's initializer and std under this recipe (initlab list recipes)"),
    CLI_OPT("layers", CLI_FLAG, net_opts, layers, NULL,
            "also every layer (node) with its output shape"),
    CLI_OPT("json", CLI_FLAG, net_opts, json, NULL, "print only the expanded JSON"),
    CLI_OPT("param", CLI_STRING, net_opts, param, "sp|mup",
            "each parameter's muP role, init std and LR factor (with --base-width)"),
    CLI_OPT("base-width", CLI_SIZE, net_opts, base_width, "N", "muP's base width"),
    CLI_OPT("width", CLI_SIZE, net_opts, width, "N", "the preset at this width"),
    CLI_OPT("opt", CLI_STRING, net_opts, opt, "NAME", "LR factors for sgd or adam (default)"),
    {NULL, CLI_FLAG, NULL, NULL, NULL, 0},
};

static void help(FILE *f)
{
    fprintf(f, "usage: initlab net show PRESET|FILE.json [--recipe NAME] [--layers] [--json]\n\n"
               "Expand a network: a preset (initlab list nets), e.g.\n"
               "resmlp:blocks=30,width=256,norm=pre, or a JSON description\n"
               "(docs/architectures.md). Prints the JSON with every default, then one row\n"
               "per parameter: its name (PyTorch's), shape in PyTorch's layout (dense\n"
               "(out, in)), fan_in and fan_out; with --recipe also its initializer spec,\n"
               "the std it aims at and why.\n\n"
               "Options:\n");
    cli_print_options(f, net_options);
}

void cli_list_nets(FILE *f)
{
    fprintf(f, "network presets (run --net PRESET[:key=value,...], net show PRESET):\n");
    for (size_t i = 0; i < il_net_preset_count(); i++) {
        const il_net_preset *p = il_net_preset_at(i);
        fprintf(f, "  %-12s %s\n  %-12s   keys: %s\n  %-12s   e.g. %s\n", p->name, p->summary, "",
                p->keys, "", p->example);
    }
}

void cli_list_recipes(FILE *f)
{
    fprintf(f, "recipes (run --net ... --recipe NAME[:key=value,...]):\n");
    for (size_t i = 0; i < il_recipe_count(); i++) {
        const il_recipe *r = il_recipe_at(i);
        fprintf(f, "  %-17s %s\n  %-17s   source: %s\n", r->name, r->summary, "", r->source);
    }
    fprintf(f, "every recipe takes alpha=A (each residual's alpha) or alpha_pow=P (alpha = L^P,\n"
               "L the residual branches; -0.5 is the 1/sqrt(L) branch scaling)\n");
}

void cli_list_ops(FILE *f)
{
    fprintf(f, "layer kinds (\"type\" in a network's JSON):\n");
    for (size_t i = 0; i < il_op_type_count(); i++)
        fprintf(f, "  %-15s %s\n", il_op_type_at(i)->name, il_op_type_at(i)->summary);
}

static void shape_text(char *buf, size_t cap, const size_t *dim, size_t rank)
{
    size_t used = 0;
    int k = snprintf(buf, cap, "(");
    used = k > 0 ? (size_t)k : 0;
    for (size_t i = 0; i < rank && used < cap; i++) {
        k = snprintf(buf + used, cap - used, "%s%zu", i ? ", " : "", dim[i]);
        used += k > 0 ? (size_t)k : 0;
    }
    if (used < cap)
        snprintf(buf + used, cap - used, ")");
}

/* A parameter's shape as PyTorch stores it: dense and attention weights
 * transposed from the library's (fan_in, fan_out). */
static void torch_shape(const il_net *n, size_t i, char *buf, size_t cap)
{
    size_t node, dim[IL_SHAPE_MAX_RANK];
    const il_param_desc *d = il_net_param(n, i, &node);
    const char *t = il_net_op(n, node)->type->name;
    memcpy(dim, d->shape.dim, sizeof dim);
    if (d->shape.rank == 2 && d->role == IL_ROLE_WEIGHT &&
        (strcmp(t, "dense") == 0 || strcmp(t, "attention") == 0)) {
        dim[0] = d->shape.dim[1];
        dim[1] = d->shape.dim[0];
    }
    shape_text(buf, cap, dim, d->shape.rank);
}

static int load(const char *cmd, const char *what, il_netdesc **d)
{
    il_error err;
    il_status st;
    size_t n = strlen(what);
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
        cli_error("%s: %s", cmd, err.message);
        return st == IL_ENOMEM ? EXIT_NOMEM : EXIT_USAGE;
    }
    return 0;
}

static int show(const net_opts *o, const char *what)
{
    il_netdesc *d = NULL;
    il_net *n = NULL;
    il_recipe_spec r;
    il_error err;
    char *json = NULL;
    size_t total = 0;
    int rc;

    char wide[512];
    if (o->width && !train_net_with_width(what, o->width, wide, sizeof wide)) {
        cli_error("net show: --width: the preset is too long");
        return EXIT_USAGE;
    }
    if ((rc = load("net show", o->width ? wide : what, &d)) != 0)
        return rc;
    if (o->recipe && il_recipe_parse(o->recipe, &r, &err) != IL_OK) {
        cli_error("net show: --recipe: %s", err.message);
        rc = EXIT_USAGE;
        goto done;
    }
    if (il_netdesc_build(d, 1, &n, &err) != IL_OK) {
        cli_error("net show: %s", err.message);
        rc = EXIT_DATA;
        goto done;
    }
    json = il_netdesc_to_json(d);
    if (!json) {
        rc = EXIT_NOMEM;
        goto done;
    }
    printf("%s\n", json);
    if (o->json) {
        rc = EXIT_OK;
        goto done;
    }
    if (o->layers) {
        printf("\n%-34s %-15s %s\n", "layer", "type", "output (per example)");
        for (size_t k = 0; k < il_net_op_count(n); k++) {
            char sh[96];
            const il_tshape *s = il_net_shape(n, k);
            shape_text(sh, sizeof sh, s->dim, s->rank);
            printf("%-34s %-15s %s\n", il_net_op_name(n, k), il_net_op(n, k)->type->name, sh);
        }
    }
    printf("\n%-34s %-16s %8s %8s", "parameter", "shape (torch)", "fan_in", "fan_out");
    if (o->recipe)
        printf("  %-12s %s", "std", "init (why)");
    printf("\n");
    for (size_t i = 0; i < il_net_param_count(n); i++) {
        const il_param_desc *p = il_net_param(n, i, NULL);
        char sh[96];
        torch_shape(n, i, sh, sizeof sh);
        total += il_tshape_size(&p->shape);
        printf("%-34s %-16s %8zu %8zu", il_net_param_name(n, i), sh, p->fan_in, p->fan_out);
        if (o->recipe) {
            il_param_rule rule;
            if (il_recipe_rule(&r, n, i, &rule, &err) != IL_OK) {
                printf("\n");
                cli_error("net show: %s: %s", il_net_param_name(n, i), err.message);
                rc = EXIT_DATA;
                goto done;
            }
            if (isfinite(rule.std))
                printf("  %-12.6g %s (%s)", rule.std, rule.init, rule.why);
            else
                printf("  %-12s %s (%s)", "-", rule.init, rule.why);
        }
        printf("\n");
    }
    if (o->param && (rc = train_net_show_scalings("net show", o->width ? wide : what, d, n,
                                                  o->param, o->base_width, o->opt, o->recipe)) != 0)
        goto done;
    printf("\n%zu layers, %zu parameter tensors, %zu values\n", il_net_op_count(n),
           il_net_param_count(n), total);
    rc = EXIT_OK;
done:
    il_free(json);
    il_net_free(n);
    il_netdesc_free(d);
    return rc;
}

int cmd_net(int argc, char **argv)
{
    net_opts o = {NULL, 0, 0, NULL, NULL, 0, 0};
    int npos, rc;

    if (!cli_begin("net", net_options, &o, help, 2, argc, argv, &npos, &rc))
        return rc;
    if (npos != 2 || strcmp(argv[1], "show") != 0) {
        cli_error("net: usage: initlab net show PRESET|FILE.json [--recipe NAME]");
        return EXIT_USAGE;
    }
    return show(&o, argv[2]);
}
