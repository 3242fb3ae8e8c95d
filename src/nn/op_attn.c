/* SPDX-License-Identifier: MIT */
/*
 * Multi-head self-attention on (S, D) examples, as PyTorch's
 * nn.MultiheadAttention(batch_first=True) with q, k, v and o dense D -> D
 * maps (ARCHITECTURES.md 1.4): q = x Wq + bq (and k, v), H heads of
 * dh = D / H columns each, probs = softmax over keys of q_h k_h^T / sqrt(dh)
 * with the future keys (j > i) at -inf when causal, head_h = probs v_h,
 * y = concat(heads) Wo + bo. Weights are the library's (fan_in, fan_out);
 * PyTorch's in_proj_weight is (Wq^T; Wk^T; Wv^T) and out_proj.weight Wo^T.
 *
 * Every product is one call of the library's GEMM: the projections over
 * the whole batch, the scores and their gradients per example and head on
 * head-major copies of q, k and v, which is why those are kept as (H, S,
 * dh). And il_attn_head_stats, the statistics of attention probabilities
 * the measurements report.
 */
#include <math.h>
#include <string.h>

#include "initlab/layer.h"
#include "initlab/net.h"
#include "internal/nn_impl.h"
#include "internal/op_impl.h"
#include "internal/spec_impl.h"

/* saved tensors, in the order attn_saved describes them */
enum {
    SAVED_Q,
    SAVED_K,
    SAVED_V,
    SAVED_PROBS,
    SAVED_HEADS,
    SAVED_WORK
};

static il_status attn_shape(const il_op *op, const il_tshape *in, il_tshape *out, il_error *err)
{
    if (in->rank != 2) {
        il__set_error(err, "attention takes (sequence, features) inputs, not rank %zu", in->rank);
        return IL_ESHAPE;
    }
    if (op->heads == 0) {
        il__set_error(err, "\"heads\" must be at least 1");
        return IL_ESHAPE;
    }
    if (in->dim[1] % op->heads != 0) {
        il__set_error(err, "\"heads\" (%zu) must divide the %zu features", op->heads, in->dim[1]);
        return IL_ESHAPE;
    }
    *out = *in;
    return IL_OK;
}

/* Each of q, k, v, o is a (D, D) map with fans (D, D), as separate
 * projections (fairseq's, torchscale's) have them and the recipes' rules
 * read. PyTorch's MultiheadAttention packs q, k, v into one (3D, D)
 * in_proj_weight whose xavier_uniform_ sees fans (D, 3D); the torch_default
 * recipe draws that bound itself. */
static size_t attn_params(const il_op *op, const il_tshape *in, il_param_desc *p)
{
    static const char *const names[4][2] = {{"q.weight", "q.bias"},
                                            {"k.weight", "k.bias"},
                                            {"v.weight", "v.bias"},
                                            {"o.weight", "o.bias"}};
    size_t d = in->dim[1], n = 0;
    for (size_t m = 0; m < 4; m++) {
        p[n++] = (il_param_desc){names[m][0], IL_ROLE_WEIGHT, {2, {d, d, 0, 0}}, d, d};
        if (op->bias)
            p[n++] = (il_param_desc){names[m][1], IL_ROLE_BIAS, {1, {d, 0, 0, 0}}, d, d};
    }
    return n;
}

/* "work" is no value of the forward pass but the backward pass's room:
 * dL/dq, dL/dk, dL/dv of the whole batch, (3, batch, S, D), then one
 * head's dL/dprobs (S, S) and a product (S, dh); it is sized per example
 * so that the network allocates it with the rest. */
static size_t attn_saved(const il_op *op, const il_tshape *in, il_saved_desc *s)
{
    size_t seq = in->dim[0], d = in->dim[1], h = op->heads, dh = d / h;
    il_tshape head = {3, {h, seq, dh, 0}};
    s[SAVED_Q] = (il_saved_desc){"q", head, 1, 0};
    s[SAVED_K] = (il_saved_desc){"k", head, 1, 0};
    s[SAVED_V] = (il_saved_desc){"v", head, 1, 0};
    s[SAVED_PROBS] = (il_saved_desc){"probs", {3, {h, seq, seq, 0}}, 1, 1};
    s[SAVED_HEADS] = (il_saved_desc){"heads", *in, 1, 0};
    /* S * (3D + S + dh) >= 3 S D + S S + S dh, within the network's checked sizes */
    s[SAVED_WORK] = (il_saved_desc){"work", {2, {seq, 3 * d + seq + dh, 0, 0}}, 1, 0};
    return 6;
}

/* The parameters' places: weight m (q, k, v, o) and its bias (or NULL). */
static double *weight_of(const il_op *op, double *const *p, size_t m)
{
    return p[op->bias ? 2 * m : m];
}

static double *bias_of(const il_op *op, double *const *p, size_t m)
{
    return op->bias ? p[2 * m + 1] : NULL;
}

/* (batch, S, H, dh) <-> (batch, H, S, dh): to_heads 1 from the row-major
 * (S, D) layout into head-major, 0 back. */
static void permute(const double *src, double *dst, size_t batch, size_t seq, size_t h, size_t dh,
                    int to_heads)
{
    for (size_t b = 0; b < batch; b++)
        for (size_t hh = 0; hh < h; hh++)
            for (size_t i = 0; i < seq; i++) {
                size_t rm = ((b * seq + i) * h + hh) * dh, hm = ((b * h + hh) * seq + i) * dh;
                if (to_heads)
                    memcpy(dst + hm, src + rm, dh * sizeof *dst);
                else
                    memcpy(dst + rm, src + hm, dh * sizeof *dst);
            }
}

/* One head's block (S, dh) into or out of column slice hh of an (S, D) example. */
static void slice_put(const double *blk, double *rows, size_t seq, size_t d, size_t hh, size_t dh)
{
    for (size_t i = 0; i < seq; i++)
        memcpy(rows + i * d + hh * dh, blk + i * dh, dh * sizeof *rows);
}

/* Row i of the scores in place: scaled, masked beyond 'keys', softmaxed. */
static void softmax_row(double *row, size_t seq, size_t keys, double scale)
{
    double m = -HUGE_VAL, s = 0;
    for (size_t j = 0; j < keys; j++) {
        row[j] *= scale;
        m = row[j] > m ? row[j] : m;
    }
    for (size_t j = 0; j < keys; j++) {
        row[j] = exp(row[j] - m);
        s += row[j];
    }
    for (size_t j = 0; j < keys; j++)
        row[j] /= s;
    for (size_t j = keys; j < seq; j++)
        row[j] = 0; /* exp(-inf) */
}

static il_status attn_forward(const il_op *op, const il_op_io *io)
{
    size_t seq = io->in.dim[0], d = io->in.dim[1], h = op->heads, dh = d / h,
           rows = io->batch * seq;
    double scale = op->score_scale > 0 ? op->score_scale : 1 / sqrt((double)dh), *tmp = io->scratch;
    il_status st;

    for (size_t m = 0; m < 3; m++) {
        st = il_dense_forward(io->x, rows, d, weight_of(op, io->params, m), d,
                              bias_of(op, io->params, m), NULL, tmp);
        if (st != IL_OK)
            return st;
        permute(tmp, io->saved[SAVED_Q + m], io->batch, seq, h, dh, 1);
    }
    for (size_t b = 0; b < io->batch; b++)
        for (size_t hh = 0; hh < h; hh++) {
            size_t at = (b * h + hh) * seq * dh;
            const double *q = io->saved[SAVED_Q] + at, *k = io->saved[SAVED_K] + at,
                         *v = io->saved[SAVED_V] + at;
            double *p = io->saved[SAVED_PROBS] + (b * h + hh) * seq * seq;
            /* scores = q k^T */
            if ((st = il__gemm_nt(IL_DTYPE_F64, q, seq, dh, k, seq, p)) != IL_OK)
                return st;
            for (size_t i = 0; i < seq; i++)
                softmax_row(p + i * seq, seq, op->causal ? i + 1 : seq, scale);
            if ((st = il_gemm(IL_DTYPE_F64, p, seq, seq, v, dh, tmp)) != IL_OK)
                return st;
            slice_put(tmp, io->saved[SAVED_HEADS] + b * seq * d, seq, d, hh, dh);
        }
    return il_dense_forward(io->saved[SAVED_HEADS], rows, d, weight_of(op, io->params, 3), d,
                            bias_of(op, io->params, 3), NULL, io->y);
}

static void column_sums(const double *g, size_t rows, size_t d, double *out)
{
    memset(out, 0, d * sizeof *out);
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < d; j++)
            out[j] += g[r * d + j];
}

/* dL/dscores = probs * (dprobs - sum_j probs dprobs) * scale, in place
 * of dprobs; masked keys have probs 0, so their gradient is 0. */
static void softmax_backward(const double *p, double *dp, size_t seq, double scale)
{
    for (size_t i = 0; i < seq; i++) {
        double dot = 0;
        for (size_t j = 0; j < seq; j++)
            dot += p[i * seq + j] * dp[i * seq + j];
        for (size_t j = 0; j < seq; j++)
            dp[i * seq + j] = p[i * seq + j] * (dp[i * seq + j] - dot) * scale;
    }
}

/* One head hh of example b: from dL/dheads (dheads, the example's S x D)
 * the gradients at its v, q and k into the column slice hh of the
 * example's dv, dq, dk (S x D each). 'dp' has room for S x S, 'blk' for
 * two S x dh blocks. */
static il_status head_backward(const il_op *op, const il_op_io *io, size_t b, size_t hh,
                               const double *dheads, double *const dqkv[3], double *dp, double *blk)
{
    size_t seq = io->in.dim[0], d = io->in.dim[1], h = op->heads, dh = d / h,
           at = (b * h + hh) * seq * dh;
    const double *q = io->saved[SAVED_Q] + at, *k = io->saved[SAVED_K] + at,
                 *v = io->saved[SAVED_V] + at,
                 *p = io->saved[SAVED_PROBS] + (b * h + hh) * seq * seq;
    double *dout = blk, *prod = blk + seq * dh;
    il_status st;

    for (size_t i = 0; i < seq; i++)
        memcpy(dout + i * dh, dheads + i * d + hh * dh, dh * sizeof *dout);
    /* dv = probs^T dout */
    if ((st = il__gemm_tn(IL_DTYPE_F64, p, seq, seq, dout, dh, prod)) != IL_OK)
        return st;
    slice_put(prod, dqkv[2], seq, d, hh, dh);
    /* dprobs = dout v^T, then through the softmax and the scale */
    if ((st = il__gemm_nt(IL_DTYPE_F64, dout, seq, dh, v, seq, dp)) != IL_OK)
        return st;
    softmax_backward(p, dp, seq, op->score_scale > 0 ? op->score_scale : 1 / sqrt((double)dh));
    /* dq = dscores k, dk = dscores^T q */
    if ((st = il_gemm(IL_DTYPE_F64, dp, seq, seq, k, dh, prod)) != IL_OK)
        return st;
    slice_put(prod, dqkv[0], seq, d, hh, dh);
    if ((st = il__gemm_tn(IL_DTYPE_F64, dp, seq, seq, q, dh, prod)) != IL_OK)
        return st;
    slice_put(prod, dqkv[1], seq, d, hh, dh);
    return IL_OK;
}

static il_status attn_backward(const il_op *op, const il_op_io *io)
{
    size_t seq = io->in.dim[0], d = io->in.dim[1], h = op->heads, rows = io->batch * seq,
           all = rows * d;
    double *work = io->saved[SAVED_WORK], *dheads = io->scratch;
    double *const dqkv[3] = {work, work + all, work + 2 * all};
    double *dp = work + 3 * all, *blk = dp + seq * seq;
    il_status st;

    /* o: dWo = heads^T dy, dbo = sum dy, dheads = dy Wo^T */
    st = il__gemm_tn(IL_DTYPE_F64, io->saved[SAVED_HEADS], rows, d, io->dy, d,
                     weight_of(op, io->dparams, 3));
    if (st == IL_OK)
        st = il__gemm_nt(IL_DTYPE_F64, io->dy, rows, d, weight_of(op, io->params, 3), d, dheads);
    if (st != IL_OK)
        return st;
    if (op->bias)
        column_sums(io->dy, rows, d, bias_of(op, io->dparams, 3));
    for (size_t b = 0; b < io->batch; b++) {
        double *const ex[3] = {dqkv[0] + b * seq * d, dqkv[1] + b * seq * d, dqkv[2] + b * seq * d};
        for (size_t hh = 0; hh < h; hh++)
            if ((st = head_backward(op, io, b, hh, dheads + b * seq * d, ex, dp, blk)) != IL_OK)
                return st;
    }
    /* q, k, v: dW = x^T dq, db = sum dq, dx = sum of dq W^T */
    for (size_t m = 0; m < 3; m++) {
        st = il__gemm_tn(IL_DTYPE_F64, io->x, rows, d, dqkv[m], d, weight_of(op, io->dparams, m));
        if (st != IL_OK)
            return st;
        if (op->bias)
            column_sums(dqkv[m], rows, d, bias_of(op, io->dparams, m));
        if (!io->dx)
            continue;
        /* the scratch's dheads is spent: it takes the second and third terms */
        st = il__gemm_nt(IL_DTYPE_F64, dqkv[m], rows, d, weight_of(op, io->params, m), d,
                         m == 0 ? io->dx : io->scratch);
        if (st != IL_OK)
            return st;
        if (m > 0)
            for (size_t i = 0; i < all; i++)
                io->dx[i] += io->scratch[i];
    }
    return IL_OK;
}

const il_op_type il__op_attention = {
    "attention",
    "multi-head self-attention on (S, D): softmax(q k^T / sqrt(D/H)) v per head, then o",
    attn_shape,
    attn_params,
    attn_saved,
    attn_forward,
    attn_backward,
    1};

/* ---- the statistics of attention probabilities ---- */

il_status il_attn_head_stats(const double *probs, size_t batch, size_t heads, size_t seq,
                             int causal, il_attn_stats *out)
{
    double max_entropy = 0;
    if (batch == 0 || heads == 0 || seq == 0)
        return IL_EINVAL;
    for (size_t i = 0; i < seq; i++)
        max_entropy += log(causal ? (double)(i + 1) : (double)seq);
    max_entropy /= (double)seq;
    for (size_t hh = 0; hh < heads; hh++) {
        double ent = 0, top = 0;
        for (size_t b = 0; b < batch; b++) {
            const double *p = probs + (b * heads + hh) * seq * seq;
            for (size_t i = 0; i < seq * seq; i++) {
                if (p[i] > 0)
                    ent -= p[i] * log(p[i]);
                top = p[i] > top ? p[i] : top;
            }
        }
        out[hh].entropy = ent / (double)(batch * seq);
        out[hh].max_entropy = max_entropy;
        out[hh].max_weight = top;
        out[hh].near_uniform = out[hh].entropy >= IL_ATTN_NEAR_UNIFORM * max_entropy;
    }
    return IL_OK;
}
