/* SPDX-License-Identifier: MIT */
/*
 * Network presets: "NAME:key=value,..." expanded into a description, as
 * the JSON form would give it (initlab/netdesc.h). Each preset is a row:
 * its keys (the registries' il_param rows, so defaults, choices and
 * messages are the initializers' own) and a builder.
 *
 * The residual presets give every residual an "alpha" parameter (1 unless
 * a recipe sets it: ReZero and SkipInit set 0), so every recipe applies to
 * the same network.
 */
#include <stdio.h>
#include <string.h>

#include "initlab/alloc.h"
#include "initlab/netdesc.h"
#include "internal/netdesc_impl.h"
#include "internal/spec_impl.h"

/* The builder's state: the first error wins; building goes on harmlessly.
 * It counts the ops it hands out so that a preset stops at the JSON
 * reader's limit before allocating: mlp:depth=16777216 is 18 characters
 * and would otherwise ask for 33 million ops. */
typedef struct builder {
    il_status st;
    size_t n_ops;
} builder;

static il_op *ops_new(builder *b, size_t n)
{
    il_op *ops = NULL;
    if (b->st == IL_OK && n > IL__NETDESC_MAX_OPS - b->n_ops)
        b->st = IL_ELIMIT;
    if (b->st == IL_OK) {
        ops = il_calloc(n, sizeof *ops);
        b->n_ops += n;
    }
    if (!ops && b->st == IL_OK)
        b->st = IL_ENOMEM;
    return ops;
}

static il_op op_of(const char *type)
{
    il_op op;
    memset(&op, 0, sizeof op);
    op.type = il_op_find(type);
    op.alpha = 1.0;
    return op;
}

static il_op dense(size_t out, int bias)
{
    il_op op = op_of("dense");
    op.out = out;
    op.bias = bias;
    return op;
}

static il_op act(const il_act *a)
{
    il_op op = op_of("act");
    op.act = *a;
    return op;
}

static il_op norm(const char *type)
{
    il_op op = op_of(type);
    op.eps = 1e-5;
    return op;
}

static il_op conv(size_t out, size_t kernel, size_t stride, size_t padding)
{
    il_op op = op_of("conv2d");
    op.out = out;
    op.kernel = kernel;
    op.stride = stride;
    op.padding = padding;
    op.dilation = 1;
    op.groups = 1;
    return op;
}

/* A residual over 'body' (n ops, moved in), with an alpha parameter. */
static il_op residual(builder *b, const il_op *body, size_t n, const il_op *shortcut)
{
    il_op op = op_of("residual");
    il_op *copy = ops_new(b, n);
    if (copy)
        memcpy(copy, body, n * sizeof *copy);
    op.body = copy;
    op.n_body = copy ? n : 0;
    op.has_alpha = 1;
    if (shortcut) {
        il_op *s = ops_new(b, 1);
        if (s)
            *s = *shortcut;
        op.shortcut = s;
    }
    return op;
}

/* ---- the presets' keys ---- */

static const char *const norms3[] = {"none", "pre", "post", NULL};
static const char *const norms_cnn[] = {"batch", "none", NULL};
static const char *const no_yes[] = {"0", "1", NULL};

enum {
    MLP_DEPTH,
    MLP_WIDTH,
    MLP_IN,
    MLP_BIAS,
    MLP_N
};
static const il_param mlp_keys[] = {
    {"depth", IL_PARAM_NUMBER, 5, 0, NULL, "dense+act layers", 0},
    {"width", IL_PARAM_NUMBER, 100, 0, NULL, "units per layer", 0},
    {"in", IL_PARAM_NUMBER, 0, 0, NULL, "input features (0: the width)", 0},
    {"bias", IL_PARAM_CHOICE, 0, 0, no_yes, "biases on the dense layers", 0},
};

enum {
    RES_BLOCKS,
    RES_WIDTH,
    RES_NORM,
    RES_IN,
    RES_BIAS,
    RES_N
};
static const il_param resmlp_keys[] = {
    {"blocks", IL_PARAM_NUMBER, 30, 0, NULL, "residual blocks", 0},
    {"width", IL_PARAM_NUMBER, 256, 0, NULL, "units per layer", 0},
    {"norm", IL_PARAM_CHOICE, 0, 0, norms3,
     "LayerNorm: none, pre (in the branch), post (after the sum)", 0},
    {"in", IL_PARAM_NUMBER, 0, 0, NULL, "input features (0: the width)", 0},
    {"bias", IL_PARAM_CHOICE, 0, 0, no_yes, "biases on the dense layers", 0},
};

enum {
    TF_LAYERS,
    TF_DMODEL,
    TF_HEADS,
    TF_SEQ,
    TF_CAUSAL,
    TF_NORM,
    TF_MLP,
    TF_VOCAB,
    TF_N
};
static const il_param transformer_keys[] = {
    {"layers", IL_PARAM_NUMBER, 12, 0, NULL, "attention+MLP layers", 0},
    {"d_model", IL_PARAM_NUMBER, 256, 0, NULL, "width of the stream", 0},
    {"heads", IL_PARAM_NUMBER, 4, 0, NULL, "attention heads (d_model divisible by it)", 0},
    {"seq", IL_PARAM_NUMBER, 64, 0, NULL, "sequence length", 0},
    {"causal", IL_PARAM_CHOICE, 0, 0, no_yes, "mask future keys", 0},
    {"norm", IL_PARAM_CHOICE, 0, 1, norms3,
     "LayerNorm: none, pre (GPT-2), post (the 2017 Transformer)", 0},
    {"mlp", IL_PARAM_NUMBER, 4, 0, NULL, "the MLP's hidden width, in d_model", 0},
    {"vocab", IL_PARAM_NUMBER, 0, 0, NULL,
     "0: Gaussian (seq, d_model) inputs; V: tokens, an embedding and a readout", 0},
};

enum {
    CNN_BLOCKS,
    CNN_WIDTH,
    CNN_CLASSES,
    CNN_NORM,
    CNN_IN,
    CNN_SIZE,
    CNN_N
};
static const il_param cnn_keys[] = {
    {"blocks", IL_PARAM_NUMBER, 1, 0, NULL, "residual blocks per stage (3 stages)", 0},
    {"width", IL_PARAM_NUMBER, 16, 0, NULL, "channels of the first stage (doubled per stage)", 0},
    {"classes", IL_PARAM_NUMBER, 10, 0, NULL, "outputs of the readout", 0},
    {"norm", IL_PARAM_CHOICE, 0, 0, norms_cnn, "BatchNorm after each conv, or none", 0},
    {"in", IL_PARAM_NUMBER, 3, 0, NULL, "input channels", 0},
    {"size", IL_PARAM_NUMBER, 32, 0, NULL, "input height and width", 0},
};

/* A key's value as a size from 1 (or 0 when zero_ok) to 2^24. */
static il_status size_of(const il_param *keys, const il_value *v, size_t i, int zero_ok,
                         size_t *out, il_error *err)
{
    double x = v[i].number;
    /* the range first: converting a negative, NaN or huge double to size_t is undefined */
    if (!(x >= (zero_ok ? 0 : 1) && x <= (double)(1u << 24)) || x != (double)(size_t)x) {
        il__set_error(err, "\"%s\" must be a whole number from %d to %u", keys[i].name,
                      zero_ok ? 0 : 1, 1u << 24);
        return IL_EINVAL;
    }
    *out = (size_t)x;
    return IL_OK;
}

/* ---- builders: the description's input and ops from the keys ---- */

static il_status build_mlp(const il_value *v, const il_act *a, il_netdesc *d, il_error *err)
{
    size_t depth, width, in;
    builder b = {IL_OK, 0};
    il_status st;

    if ((st = size_of(mlp_keys, v, MLP_DEPTH, 0, &depth, err)) != IL_OK ||
        (st = size_of(mlp_keys, v, MLP_WIDTH, 0, &width, err)) != IL_OK ||
        (st = size_of(mlp_keys, v, MLP_IN, 1, &in, err)) != IL_OK)
        return st;
    d->kind = IL_NET_INPUT_FEATURES;
    d->input = (il_tshape){1, {in ? in : width, 0, 0, 0}};
    d->ops = ops_new(&b, 2 * depth);
    for (size_t l = 0; d->ops && l < depth; l++) {
        d->ops[2 * l] = dense(width, v[MLP_BIAS].choice);
        d->ops[2 * l + 1] = act(a);
    }
    d->n_ops = d->ops ? 2 * depth : 0;
    return b.st;
}

static il_status build_resmlp(const il_value *v, const il_act *a, il_netdesc *d, il_error *err)
{
    size_t blocks, width, in, per, k = 0;
    int bias = v[RES_BIAS].choice, nrm = v[RES_NORM].choice;
    builder b = {IL_OK, 0};
    il_status st;

    if ((st = size_of(resmlp_keys, v, RES_BLOCKS, 0, &blocks, err)) != IL_OK ||
        (st = size_of(resmlp_keys, v, RES_WIDTH, 0, &width, err)) != IL_OK ||
        (st = size_of(resmlp_keys, v, RES_IN, 1, &in, err)) != IL_OK)
        return st;
    if (in && in != width) {
        il__set_error(err, "\"in\" must equal \"width\" (the blocks keep the shape)");
        return IL_EINVAL;
    }
    d->kind = IL_NET_INPUT_FEATURES;
    d->input = (il_tshape){1, {width, 0, 0, 0}};
    per = nrm == 2 ? 2 : 1;
    d->ops = ops_new(&b, per * blocks);
    for (size_t l = 0; d->ops && l < blocks; l++) {
        il_op body[4];
        size_t n = 0;
        if (nrm == 1)
            body[n++] = norm("layernorm");
        body[n++] = dense(width, bias);
        body[n++] = act(a);
        body[n++] = dense(width, bias);
        d->ops[k++] = residual(&b, body, n, NULL);
        if (nrm == 2)
            d->ops[k++] = norm("layernorm");
    }
    d->n_ops = k;
    return b.st;
}

static il_status build_transformer(const il_value *v, const il_act *a, il_netdesc *d, il_error *err)
{
    size_t layers, dm, heads, seq, ratio, vocab, n, k = 0;
    int nrm = v[TF_NORM].choice;
    builder b = {IL_OK, 0};
    il_act gelu;
    il_status st;

    (void)a;
    if ((st = size_of(transformer_keys, v, TF_LAYERS, 0, &layers, err)) != IL_OK ||
        (st = size_of(transformer_keys, v, TF_DMODEL, 0, &dm, err)) != IL_OK ||
        (st = size_of(transformer_keys, v, TF_HEADS, 0, &heads, err)) != IL_OK ||
        (st = size_of(transformer_keys, v, TF_SEQ, 0, &seq, err)) != IL_OK ||
        (st = size_of(transformer_keys, v, TF_MLP, 0, &ratio, err)) != IL_OK ||
        (st = size_of(transformer_keys, v, TF_VOCAB, 1, &vocab, err)) != IL_OK)
        return st;
    if (dm % heads != 0) {
        il__set_error(err, "\"d_model\" %zu is not divisible by \"heads\" %zu", dm, heads);
        return IL_EINVAL;
    }
    if (il_act_parse("gelu", &gelu, err) != IL_OK)
        return IL_EINVAL;
    if (vocab) {
        d->kind = IL_NET_INPUT_TOKENS;
        d->input = (il_tshape){1, {seq, 0, 0, 0}};
        d->vocab = vocab;
    } else {
        d->kind = IL_NET_INPUT_SEQ;
        d->input = (il_tshape){2, {seq, dm, 0, 0}};
    }
    /* per layer: two residuals (and two norms after them, post-LN); then
     * the final norm (pre-LN) and, with tokens, the embedding and readout */
    n = layers * (nrm == 2 ? 4 : 2) + (nrm == 1) + (vocab ? 2 : 0);
    d->ops = ops_new(&b, n);
    if (d->ops && vocab) {
        il_op e = op_of("embedding");
        e.out = dm;
        e.vocab = vocab;
        d->ops[k++] = e;
    }
    for (size_t l = 0; d->ops && l < layers; l++) {
        il_op attn = op_of("attention"), body[4];
        size_t m = 0;
        attn.heads = heads;
        attn.causal = v[TF_CAUSAL].choice;
        attn.bias = 1;
        if (nrm == 1)
            body[m++] = norm("layernorm");
        body[m++] = attn;
        d->ops[k++] = residual(&b, body, m, NULL);
        if (nrm == 2)
            d->ops[k++] = norm("layernorm");
        m = 0;
        if (nrm == 1)
            body[m++] = norm("layernorm");
        body[m++] = dense(ratio * dm, 1);
        body[m++] = act(&gelu);
        body[m++] = dense(dm, 1);
        d->ops[k++] = residual(&b, body, m, NULL);
        if (nrm == 2)
            d->ops[k++] = norm("layernorm");
    }
    if (d->ops && nrm == 1)
        d->ops[k++] = norm("layernorm");
    if (d->ops && vocab)
        d->ops[k++] = dense(vocab, 0);
    d->n_ops = d->ops ? k : 0;
    return b.st;
}

static il_status build_cnn(const il_value *v, const il_act *a, il_netdesc *d, il_error *err)
{
    size_t blocks, width, classes, in, size, n, k = 0;
    int bn = v[CNN_NORM].choice == 0;
    builder b = {IL_OK, 0};
    il_status st;

    if ((st = size_of(cnn_keys, v, CNN_BLOCKS, 0, &blocks, err)) != IL_OK ||
        (st = size_of(cnn_keys, v, CNN_WIDTH, 0, &width, err)) != IL_OK ||
        (st = size_of(cnn_keys, v, CNN_CLASSES, 0, &classes, err)) != IL_OK ||
        (st = size_of(cnn_keys, v, CNN_IN, 0, &in, err)) != IL_OK ||
        (st = size_of(cnn_keys, v, CNN_SIZE, 0, &size, err)) != IL_OK)
        return st;
    if (size < 4) {
        il__set_error(err, "\"size\" must be at least 4 (two stride-2 stages)");
        return IL_EINVAL;
    }
    d->kind = IL_NET_INPUT_IMAGE;
    d->input = (il_tshape){3, {in, size, size, 0}};
    /* stem conv, norm, act; per block a residual and its act; pool, readout */
    n = 2 + (size_t)bn + (size_t)6 * blocks + 2;
    d->ops = ops_new(&b, n);
    if (!d->ops)
        return b.st;
    d->ops[k++] = conv(width, 3, 1, 1);
    if (bn)
        d->ops[k++] = norm("batchnorm");
    d->ops[k++] = act(a);
    for (size_t s = 0, c = width; s < 3; s++, c *= 2)
        for (size_t j = 0; j < blocks; j++) {
            size_t stride = s > 0 && j == 0 ? 2 : 1;
            il_op body[5], proj = conv(c, 1, stride, 0);
            size_t m = 0;
            body[m++] = conv(c, 3, stride, 1);
            if (bn)
                body[m++] = norm("batchnorm");
            body[m++] = act(a);
            body[m++] = conv(c, 3, 1, 1);
            if (bn)
                body[m++] = norm("batchnorm");
            d->ops[k++] = residual(&b, body, m, stride == 2 ? &proj : NULL);
            d->ops[k++] = act(a);
        }
    d->ops[k++] = op_of("global_avgpool");
    d->ops[k++] = dense(classes, 1);
    d->n_ops = k;
    return b.st;
}

typedef struct preset_row {
    il_net_preset info;
    const il_param *keys;
    size_t n_keys;
    const char *default_act;
    il_status (*build)(const il_value *v, const il_act *a, il_netdesc *d, il_error *err);
} preset_row;

static const preset_row presets[] = {
    {{"mlp", "dense+act layers, no biases: the lecture's network (1000 x 100 inputs, 5 layers)",
      "depth=5, width=100, in=width, bias=0|1, act=relu", "mlp:depth=5,width=100,act=tanh"},
     mlp_keys,
     MLP_N,
     "relu",
     build_mlp},
    {{"resmlp", "residual blocks x + alpha*Dense(act(Dense(x))), optionally LayerNorm'd",
      "blocks=30, width=256, norm=none|pre|post, bias=0|1, act=relu",
      "resmlp:blocks=30,width=256,norm=none"},
     resmlp_keys,
     RES_N,
     "relu",
     build_resmlp},
    {{"transformer", "attention + GELU MLP residual layers on (seq, d_model), pre-LN as GPT-2",
      "layers=12, d_model=256, heads=4, seq=64, causal=0|1, norm=none|pre|post, mlp=4, vocab=0",
      "transformer:layers=12,d_model=256,heads=4,seq=64,causal=1"},
     transformer_keys,
     TF_N,
     "gelu",
     build_transformer},
    {{"cnn", "a small ResNet for 3x32x32 images: 3 stages, strided projection shortcuts",
      "blocks=1, width=16, classes=10, norm=batch|none, in=3, size=32, act=relu",
      "cnn:blocks=1,width=16"},
     cnn_keys,
     CNN_N,
     "relu",
     build_cnn},
};

#define N_PRESETS (sizeof presets / sizeof presets[0])

static int all_typed(const il_op *ops, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!ops[k].type || !all_typed(ops[k].body, ops[k].n_body) ||
            (ops[k].shortcut && !all_typed(ops[k].shortcut, 1)))
            return 0;
    return 1;
}

size_t il_net_preset_count(void)
{
    return N_PRESETS;
}

const il_net_preset *il_net_preset_at(size_t i)
{
    return i < N_PRESETS ? &presets[i].info : NULL;
}

il_status il_netdesc_from_preset(const char *text, il_netdesc **out, il_error *err)
{
    const preset_row *row = NULL;
    il__spec sp;
    il_value values[IL_MAX_PARAMS];
    il_act a;
    il_netdesc *d;
    il_status st;
    const char *act_spec = NULL;

    if ((st = il__spec_split(text, "network preset", &sp, err)) != IL_OK)
        return st;
    for (size_t i = 0; i < N_PRESETS; i++)
        if (strcmp(presets[i].info.name, sp.name) == 0)
            row = &presets[i];
    if (!row) {
        const char *names[N_PRESETS];
        for (size_t i = 0; i < N_PRESETS; i++)
            names[i] = presets[i].info.name;
        il__unknown_name(err, "network preset", sp.name, names, N_PRESETS);
        return IL_ENOTFOUND;
    }
    /* act=NAME names an activation, which no il_param kind holds: take it out */
    for (size_t i = 0; i < sp.n_pairs; i++)
        if (strcmp(sp.pairs[i].key, "act") == 0 && strcmp(row->info.name, "transformer") != 0) {
            act_spec = sp.pairs[i].value;
            sp.pairs[i] = sp.pairs[--sp.n_pairs];
            break;
        }
    if ((st = il_act_parse(act_spec ? act_spec : row->default_act, &a, err)) != IL_OK)
        return st;
    if ((st = il__spec_bind(&sp, row->keys, row->n_keys, values, err)) != IL_OK)
        return st;
    d = il_calloc(1, sizeof *d);
    if (!d)
        return IL_ENOMEM;
    d->preset = il_malloc(strlen(text) + 1);
    if (!d->preset) {
        il_free(d);
        return IL_ENOMEM;
    }
    memcpy(d->preset, text, strlen(text) + 1);
    st = row->build(values, &a, d, err);
    if (st == IL_ELIMIT)
        il__set_error(err, "%s: more than %d layers, residual bodies included", text,
                      IL__NETDESC_MAX_OPS);
    if (st == IL_OK && !all_typed(d->ops, d->n_ops)) {
        il__set_error(err, "%s: this build lacks a layer kind the preset needs", row->info.name);
        st = IL_ENOTFOUND;
    }
    if (st != IL_OK) {
        il_netdesc_free(d);
        return st;
    }
    *out = d;
    return IL_OK;
}
