/* SPDX-License-Identifier: MIT */
/*
 * The MLP's forward and backward passes and its softmax loss, written once
 * as a template: mlp.c includes this file once per dtype, naming the
 * element type (IL_MLP_T), the dtype (IL_MLP_DTYPE) and the functions'
 * suffix (IL_MLP_FN(name)); the names are undefined again at the end.
 *
 * The products go through il_gemm and its transposes in the dtype. The
 * bias is added in the type; everything else element-wise (activation,
 * derivative, loss, the bias gradient's sums) is computed in double from
 * the stored values and rounded once when stored, which for double changes
 * nothing. So float32 is the float64 computation with float storage and
 * sgemm, and nothing else.
 */
#if !defined(IL_MLP_T) || !defined(IL_MLP_DTYPE) || !defined(IL_MLP_FN)
#error "define IL_MLP_T, IL_MLP_DTYPE and IL_MLP_FN before including mlp_impl.h"
#endif

#define T  IL_MLP_T
#define FN IL_MLP_FN

/* a = act(z) for n values. The activation's vector form (il_act_apply)
 * works on doubles in place, so the values pass through a small buffer in
 * cache; il_act_apply gives, value by value, what il_act_value gives. */
static void FN(activate)(const il_act *act, const T *z, T *a, size_t n)
{
    enum {
        CHUNK = 512
    };
    double buf[CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t k = n - i0 < CHUNK ? n - i0 : CHUNK;
        for (size_t i = 0; i < k; i++)
            buf[i] = (double)z[i0 + i];
        il_act_apply(act, buf, k);
        for (size_t i = 0; i < k; i++)
            a[i0 + i] = (T)buf[i];
    }
}

/* Layer l from its input 'in' (the layer below's activations, or x). */
static il_status FN(forward_layer)(il_mlp *m, size_t l, const T *in)
{
    mlp_layer *L = &m->layers[l];
    size_t fo = L->fan_out, n = m->batch * fo;
    T *z = L->z, *a = L->a;
    const T *b = L->b;
    il_status st = il_gemm(IL_MLP_DTYPE, in, m->batch, L->fan_in, L->w, fo, z);
    if (st != IL_OK)
        return st;
    for (size_t r = 0; r < m->batch; r++)
        for (size_t j = 0; j < fo; j++)
            z[r * fo + j] += b[j];
    if (L->has_act) {
        FN(activate)(&L->act, z, a, n);
    } else {
        for (size_t i = 0; i < n; i++)
            a[i] = z[i];
    }
    return IL_OK;
}

static il_status FN(forward)(il_mlp *m, const T *x)
{
    const T *in = x;
    m->x = x;
    for (size_t l = 0; l < m->n_layers; l++) {
        il_status st = FN(forward_layer)(m, l, in);
        if (st != IL_OK)
            return st;
        in = m->layers[l].a;
    }
    return IL_OK;
}

static il_status FN(backward)(il_mlp *m, const T *grad_out)
{
    size_t B = m->batch;
    const T *da = grad_out;

    for (size_t l = m->n_layers; l-- > 0;) {
        mlp_layer *L = &m->layers[l];
        const T *in = l ? m->layers[l - 1].a : m->x, *z = L->z;
        T *dz = L->dz, *db = L->db;
        size_t fo = L->fan_out, n = B * fo;
        il_status st;

        /* dL/dz = dL/da * act'(z); one loop per case, so that what the
         * loop needs across the call stays in registers */
        if (L->has_act) {
            const il_act *act = &L->act;
            for (size_t i = 0; i < n; i++)
                dz[i] = (T)((double)da[i] * il_act_deriv(act, (double)z[i]));
        } else {
            for (size_t i = 0; i < n; i++)
                dz[i] = da[i];
        }
        /* dL/dW = in^T dz: (fan_in x B) (B x fan_out) */
        if ((st = il__gemm_tn(IL_MLP_DTYPE, in, B, L->fan_in, dz, fo, L->dw)) != IL_OK)
            return st;
        for (size_t j = 0; j < fo; j++) {
            double s = 0;
            for (size_t r = 0; r < B; r++)
                s += (double)dz[r * fo + j];
            db[j] = (T)s;
        }
        /* dL/da of the layer below = dz W^T: (B x fan_out) (fan_out x fan_in);
         * the scratch may hold grad_out, which dz has consumed above */
        if (l > 0) {
            if ((st = il__gemm_nt(IL_MLP_DTYPE, dz, B, fo, L->w, L->fan_in, m->scratch)) != IL_OK)
                return st;
            da = m->scratch;
        }
    }
    return IL_OK;
}

static double FN(softmax_ce)(const T *logits, size_t batch, size_t classes, const size_t *labels,
                             T *grad)
{
    double total = 0;
    for (size_t r = 0; r < batch; r++) {
        const T *z = logits + r * classes;
        double mx = (double)z[0], sum = 0;
        for (size_t c = 1; c < classes; c++)
            mx = (double)z[c] > mx ? (double)z[c] : mx;
        for (size_t c = 0; c < classes; c++)
            sum += exp((double)z[c] - mx);
        /* relative to the largest logit, so that nothing large is subtracted;
         * sum >= exp(0) = 1 from that logit (classes >= 1) */
        // cppcheck-suppress invalidFunctionArg
        total += log(sum) - ((double)z[labels[r]] - mx);
        if (grad)
            for (size_t c = 0; c < classes; c++)
                grad[r * classes + c] =
                    (T)((exp((double)z[c] - mx) / sum - (c == labels[r] ? 1.0 : 0.0)) /
                        (double)batch);
    }
    return total / (double)batch;
}

#undef T
#undef FN
#undef IL_MLP_T
#undef IL_MLP_DTYPE
#undef IL_MLP_FN
