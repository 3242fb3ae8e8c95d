/* SPDX-License-Identifier: MIT */
/*
 * One training iteration of one arm, written once as a template: train.c
 * includes this file once per dtype, naming the element type
 * (IL_TRAIN_T), the dtype (IL_TRAIN_DTYPE) and the functions' suffix
 * (IL_TRAIN_FN(name)); the names are undefined again at the end.
 *
 * The net's passes are il__mlp_*'s in its dtype. The optimizer's and the
 * loss's arithmetic is in double from the stored values, each stored value
 * rounded once to the type, which for double changes nothing: float32
 * differs from float64 only in what is stored (and in sgemm).
 */
#if !defined(IL_TRAIN_T) || !defined(IL_TRAIN_DTYPE) || !defined(IL_TRAIN_FN)
#error "define IL_TRAIN_T, IL_TRAIN_DTYPE and IL_TRAIN_FN before including step_impl.h"
#endif

#define T  IL_TRAIN_T
#define FN IL_TRAIN_FN

/* One optimizer step on one parameter array; 'v' and 'm' are its state,
 * 'decay' says whether weight decay applies (weights, not biases). */
static void FN(step)(const il_train_config *cfg, size_t t, T *p, const T *g, int decay, T *v, T *m,
                     size_t n)
{
    double wd = decay ? cfg->weight_decay : 0.0, lr = cfg->lr;
    if (!p || !g || !v || (cfg->opt == IL_OPT_ADAM && !m))
        return; /* never: every array exists (for the analyzer) */
    switch (cfg->opt) {
    case IL_OPT_SGD:
        for (size_t i = 0; i < n; i++)
            p[i] = (T)((double)p[i] - lr * ((double)g[i] + wd * (double)p[i]));
        break;
    case IL_OPT_MOMENTUM:
        for (size_t i = 0; i < n; i++) {
            v[i] = (T)(cfg->momentum * (double)v[i] - lr * ((double)g[i] + wd * (double)p[i]));
            p[i] = (T)((double)p[i] + (double)v[i]);
        }
        break;
    case IL_OPT_ADAM: {
        double c1 = 1 - pow(cfg->beta1, (double)t), c2 = 1 - pow(cfg->beta2, (double)t);
        for (size_t i = 0; i < n; i++) {
            double gi = (double)g[i] + wd * (double)p[i];
            m[i] = (T)(cfg->beta1 * (double)m[i] + (1 - cfg->beta1) * gi);
            v[i] = (T)(cfg->beta2 * (double)v[i] + (1 - cfg->beta2) * gi * gi);
            p[i] =
                (T)((double)p[i] - lr * ((double)m[i] / c1) / (sqrt((double)v[i] / c2) + cfg->eps));
        }
        break;
    }
    }
}

/* The optimizer on every layer's weights and bias; the state arrays hold
 * them in that order, layer after layer. */
static void FN(update)(const il_train_config *cfg, size_t t, arm_state *s, size_t n_in)
{
    size_t prev = n_in, off = 0;
    T *v = s->v, *m = s->m;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t nw = prev * cfg->widths[l], nb = cfg->widths[l];
        T *w = il__mlp_data(s->fit, l, IL__MLP_W), *b = il__mlp_data(s->fit, l, IL__MLP_B);
        const T *dw = il__mlp_data(s->fit, l, IL__MLP_DW),
                *db = il__mlp_data(s->fit, l, IL__MLP_DB);
        FN(step)(cfg, t, w, dw, 1, v + off, m ? m + off : NULL, nw);
        FN(step)(cfg, t, b, db, 0, v + off + nw, m ? m + off + nw : NULL, nb);
        off += nw + nb;
        prev = cfg->widths[l];
    }
}

/* The sum of the squared weights (not the biases), for weight decay's loss. */
static double FN(weight_norm2)(const il_train_config *cfg, const il_mlp *net, size_t n_in)
{
    double s = 0.0;
    size_t prev = n_in;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        const T *w = il__mlp_data(net, l, IL__MLP_W);
        for (size_t i = 0; i < prev * cfg->widths[l]; i++)
            s += (double)w[i] * (double)w[i];
        prev = cfg->widths[l];
    }
    return s;
}

/* -mean(log(softmax(z)[label] + 1e-7)): the book's cross_entropy_error. */
static double FN(book_loss)(const T *logits, size_t batch, size_t classes, const size_t *labels)
{
    double total = 0.0;
    for (size_t r = 0; r < batch; r++) {
        const T *z = logits + r * classes;
        double mx = (double)z[0], sum = 0.0;
        for (size_t c = 1; c < classes; c++)
            mx = (double)z[c] > mx ? (double)z[c] : mx;
        for (size_t c = 0; c < classes; c++)
            sum += exp((double)z[c] - mx);
        total += log(exp((double)z[labels[r]] - mx) / sum + 1e-7);
    }
    return -total / (double)batch;
}

/* One iteration of one arm on the minibatch x (labels): forward, loss,
 * backward, update; its loss goes to *loss and to the arm's record.
 * 'grad' is batch x classes of scratch in the dtype. */
static il_status FN(train_step)(const il_train_config *cfg, size_t t, arm_state *s, const double *x,
                                const size_t *labels, void *grad, size_t n_in, double *loss)
{
    size_t classes = cfg->widths[cfg->n_layers - 1];
    const void *in = x;
    double l;
    il_status st;

    if (s->x) { /* the minibatch in the net's dtype */
        il__convert(IL_TRAIN_DTYPE, s->x, IL_DTYPE_F64, x, cfg->batch * n_in);
        in = s->x;
    }
    if ((st = il__mlp_forward(s->fit, in)) != IL_OK)
        return st;
    l = il__mlp_loss_softmax_ce(s->fit, labels, grad);
    if ((st = il__mlp_backward(s->fit, grad)) != IL_OK)
        return st;
    FN(update)(cfg, t, s, n_in);
    if (cfg->dlfs) { /* the book: the loss after the update */
        if ((st = il__mlp_forward(s->fit, in)) != IL_OK)
            return st;
        l = FN(book_loss)(il__mlp_data(s->fit, cfg->n_layers - 1, IL__MLP_A), cfg->batch, classes,
                          labels);
    }
    if (cfg->weight_decay > 0)
        l += 0.5 * cfg->weight_decay * FN(weight_norm2)(cfg, s->fit, n_in);
    s->loss[t - 1] = l;
    *loss = l;
    return IL_OK;
}

#undef T
#undef FN
#undef IL_TRAIN_T
#undef IL_TRAIN_DTYPE
#undef IL_TRAIN_FN
