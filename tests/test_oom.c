/* SPDX-License-Identifier: MIT */
/*
 * Out of memory, everywhere (SQLite's faultsim method): every constructor
 * and parser is run with its N-th allocation failing, for N = 1, 2, ...
 * until it completes, both once (transient) and from N on (persistent).
 * Every failure must be IL_ENOMEM, leave no allocation behind (counted by
 * the hook; LeakSanitizer checks the rest under ASan) and write no file.
 */
#include <dirent.h>
#include <unistd.h>

#include "initlab/initlab.h"
#include "test.h"

static struct {
    long calls, fail_at, outstanding;
    int persistent;
} hook;

static void *hook_alloc(void *ud, size_t size)
{
    (void)ud;
    hook.calls++;
    if (hook.fail_at > 0 &&
        (hook.calls == hook.fail_at || (hook.persistent && hook.calls > hook.fail_at)))
        return NULL;
    hook.outstanding++;
    return malloc(size);
}

static void hook_release(void *ud, void *p)
{
    (void)ud;
    hook.outstanding--;
    free(p);
}

static const il_allocator failing = {hook_alloc, hook_release, NULL};

/* ---- scenarios: each cleans up after itself on success ---- */

static char tmpdir[64];

static il_status s_rng(void)
{
    il_rng *r = NULL;
    il_status st = il_rng_new(il_rng_find("mt19937"), 5, &r);
    il_rng_free(r);
    return st;
}

static il_status s_npy_parse(void)
{
    double x[6] = {1, 2, 3, 4, 5, 6};
    size_t shape[2] = {2, 3};
    il_membuf m = {0};
    il_array a;
    il_status st = il_npy_write_f64(x, shape, 2, il_membuf_write, &m);
    if (st == IL_OK)
        st = il_npy_parse(m.data, m.len, 1 << 20, &a, NULL);
    if (st == IL_OK)
        il_array_release(&a);
    il_membuf_release(&m);
    return st;
}

static il_status s_npy_load(void)
{
    char path[128];
    il_array a;
    il_status st;
    snprintf(path, sizeof path, "%s/npy/cube_bef4_f.npy", IL_GOLDEN_DIR);
    st = il_npy_load(path, 1 << 20, &a, NULL);
    if (st == IL_OK)
        il_array_release(&a);
    return st;
}

static il_status s_csv(void)
{
    static const char text[] = "a,b\n1,2\n3,4\n5,6\n";
    il_array a;
    il_status st = il_csv_parse(text, sizeof text - 1, NULL, &a, NULL);
    if (st == IL_OK)
        il_array_release(&a);
    return st;
}

static il_status s_init_orthogonal(void)
{
    size_t shape[2] = {8, 5};
    double w[40];
    il_init init;
    il_rng *r = NULL;
    il_status st = il_init_parse("orthogonal:gain=2", &init, NULL);
    if (st == IL_OK)
        st = il_rng_new(il_rng_find("mt19937"), 1, &r);
    if (st == IL_OK)
        st = il_init_fill(&init, shape, 2, IL_LAYOUT_DENSE, r, w, NULL);
    il_rng_free(r);
    return st;
}

/* float32 fills: the pieces' scratch (kaiming_normal), the inverse CDF's
 * (a cut keeping 2% of the mass), and orthogonal's own (the normals'
 * double piece, the float32 matrix of a tall shape, LAPACK's workspace);
 * he_normal allocates nothing */
static il_status s_init_f32(void)
{
    size_t shape[2] = {8, 5};
    float w[40];
    il_init init;
    il_rng *r = NULL;
    il_status st = il_rng_new(il_rng_find("philox"), 1, &r);
    if (st == IL_OK)
        st = il_init_parse("he_normal", &init, NULL);
    if (st == IL_OK)
        st = il_init_fill_f32(&init, shape, 2, IL_LAYOUT_DENSE, r, w, NULL);
    if (st == IL_OK)
        st = il_init_parse("kaiming_normal", &init, NULL);
    if (st == IL_OK)
        st = il_init_fill_f32(&init, shape, 2, IL_LAYOUT_DENSE, r, w, NULL);
    if (st == IL_OK)
        st = il_init_parse("trunc_normal:a=2,b=3", &init, NULL);
    if (st == IL_OK)
        st = il_init_fill_f32(&init, shape, 2, IL_LAYOUT_DENSE, r, w, NULL);
    if (st == IL_OK)
        st = il_init_parse("orthogonal", &init, NULL);
    if (st == IL_OK)
        st = il_init_fill_f32(&init, shape, 2, IL_LAYOUT_DENSE, r, w, NULL);
    il_rng_free(r);
    return st;
}

static il_status s_stats(void)
{
    il_layer_stats s;
    double x[3] = {0.1, 0.5, 2};
    il_status st = il_layer_stats_init(&s, &(il_stats_config){30, 0, 1, 0.01, 0.99});
    if (st != IL_OK)
        return st;
    il_layer_stats_add(&s, x, 3);
    il_layer_stats_finish(&s);
    il_layer_stats_release(&s);
    return IL_OK;
}

/* A paired run with a backward pass, its theory, and the CSV report. */
static il_status s_experiment(void)
{
    size_t widths[3] = {6, 5, 4};
    il_arm arms[2];
    il_exp_config cfg;
    il_exp_result *res = NULL;
    il_rng *r = NULL;
    il_theory_layer th[3];
    il_membuf m = {0};
    il_status st;

    memset(arms, 0, sizeof arms);
    memset(&cfg, 0, sizeof cfg);
    if (il_init_parse("kaiming_normal", &arms[0].init, NULL) ||
        il_init_parse("orthogonal", &arms[1].init, NULL) ||
        il_init_parse("torch_bias_default", &arms[1].bias, NULL) ||
        il_act_parse("relu", &arms[0].act, NULL) || il_act_parse("tanh", &arms[1].act, NULL) ||
        il_init_parse("normal", &cfg.input, NULL))
        return IL_EINVAL;
    arms[1].has_bias = 1;
    cfg.batch = 7;
    cfg.n_in = 3;
    cfg.widths = widths;
    cfg.n_layers = 3;
    cfg.arms = arms;
    cfg.n_arms = 2;
    cfg.stats = IL_STATS_CONFIG_LECTURE;
    cfg.order = IL_EXP_PAIRED;
    cfg.grad = IL_EXP_GRAD_SOFTMAX_CE;
    cfg.classes = 3;
    st = il_rng_new(il_rng_find("mt19937"), 9, &r);
    if (st == IL_OK)
        st = il_exp_run(&cfg, r, NULL, NULL, &res, NULL);
    if (st == IL_OK)
        st = il_exp_theory(&cfg, 1, th, NULL);
    if (st == IL_OK) {
        il_report_net net = {
            "kaiming_normal", "relu", "a", res, 0, NULL, th, NULL, NULL, NULL, NULL};
        il_report_group g = {1, &net, 1};
        il_report rep = {"run", 9, "mt19937", &g, 1, 1, "paired", 1};
        st = il_report_write_csv(&rep, il_membuf_write, &m);
    }
    il_membuf_release(&m);
    il_exp_result_free(res);
    il_rng_free(r);
    return st;
}

/* Training one arm (one arm: no training threads, whose allocations the
 * hook could not count) by LSUV and Adam, against a test set, in 'dtype':
 * float32 adds its own net and minibatch buffer. */
static il_status train_in(il_dtype dtype)
{
    static const size_t widths[2] = {6, 3};
    il_arm arm;
    il_train_config c;
    il_train_result *res = NULL;
    il_data d = {0};
    il_rng *r = NULL;
    il_status st;

    memset(&arm, 0, sizeof arm);
    memset(&c, 0, sizeof c);
    if (il_init_parse("lsuv", &arm.init, NULL) || il_act_parse("tanh", &arm.act, NULL))
        return IL_EINVAL;
    c.widths = widths;
    c.n_layers = 2;
    c.arms = &arm;
    c.n_arms = 1;
    c.iters = 3;
    c.batch = 5;
    c.opt = IL_OPT_ADAM;
    c.lr = 0.01;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    c.dtype = dtype;
    c.stats = IL_STATS_CONFIG_LECTURE;
    st = il_rng_new(il_rng_find("mt19937"), 3, &r);
    if (st == IL_OK)
        st = il_data_spiral(30, 3, r, &d);
    if (st == IL_OK)
        st = il_train_run(&c, &d, &d, r, NULL, NULL, &res, NULL);
    il_train_result_free(res);
    il_data_free(&d);
    il_rng_free(r);
    return st;
}

static il_status s_train_f64(void)
{
    return train_in(IL_DTYPE_F64);
}

static il_status s_train_f32(void)
{
    return train_in(IL_DTYPE_F32);
}

static il_status produce_npy(void *ctx, il_write_fn w, void *wctx)
{
    static const double x[4] = {1, 2, 3, 4};
    size_t shape[1] = {4};
    (void)ctx;
    return il_npy_write_f64(x, shape, 1, w, wctx);
}

/* An atomic file: on failure neither the target nor a temporary file. */
static il_status s_write_file(void)
{
    char path[128];
    il_status st;
    snprintf(path, sizeof path, "%s/out.npy", tmpdir);
    st = il_write_file(path, produce_npy, NULL, NULL);
    if (st == IL_OK)
        unlink(path);
    return st;
}

/* An output folder: lock, two runs (the second removing a file of the
 * first), the manifests. Whatever fails, the folder is emptied after, and
 * an allocation failing anywhere must give IL_ENOMEM. */
static il_status outdir_run(const char *name)
{
    il_outdir *d = NULL;
    il_afile *af = NULL;
    il_status st = il_outdir_open(tmpdir, "run", &d, NULL), st2;

    if (st != IL_OK)
        return st;
    st = il_outdir_file_open(d, name, &af, NULL);
    if (st == IL_OK)
        st = il_afile_write(af, "hello\n", 6);
    if (st == IL_OK)
        st = il_outdir_file_commit(d, name, af, NULL);
    else
        il_afile_abort(af);
    st2 = il_outdir_close(d, st == IL_OK, NULL);
    return st != IL_OK ? st : st2;
}

static il_status s_outdir(void)
{
    char path[128];
    il_status st = outdir_run("a.txt");
    if (st == IL_OK)
        st = outdir_run("b.txt");
    snprintf(path, sizeof path, "%s/a.txt", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/b.txt", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s", tmpdir, IL_OUTDIR_MANIFEST);
    unlink(path);
    return st;
}

/* Checkpoints (tensors.h): the goldens of tests/golden/inspect, stored
 * and deflated .npz and safetensors; the .npz writer into memory. */
static il_status s_tensors(void)
{
    static const char *const files[] = {"small_torch.npz", "gpt2_style.npz",
                                        "small_torch.safetensors"};
    il_status st = IL_OK;
    for (size_t i = 0; st == IL_OK && i < 3; i++) {
        char path[256];
        il_tensor_list l;
        snprintf(path, sizeof path, "%s/inspect/%s", IL_GOLDEN_DIR, files[i]);
        st = il_tensors_load(path, 1 << 24, &l, NULL, NULL);
        if (st == IL_OK)
            il_tensor_list_release(&l);
    }
    return st;
}

static il_status s_npz_writer(void)
{
    double x[6] = {1, 2, 3, 4, 5, 6};
    size_t shape[2] = {2, 3};
    il_membuf m = {0};
    il_npz_writer *z = NULL;
    il_status st = il_npz_writer_open(il_membuf_write, &m, &z);
    if (st == IL_OK)
        st = il_npz_writer_add(z, "a", x, shape, 2, 0, NULL);
    if (st == IL_OK)
        st = il_npz_writer_add(z, "b", x, shape, 2, 1, NULL);
    if (z)
        st = st == IL_OK ? il_npz_writer_close(z, NULL) : (il_npz_writer_free(z), st);
    il_membuf_release(&m);
    return st;
}

static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int empty = 1;
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}

static void faultsim(const char *name, il_status (*scenario)(void))
{
    for (int persistent = 0; persistent <= 1; persistent++) {
        long n;
        for (n = 1; n < 100000; n++) {
            il_status st;
            hook.calls = hook.outstanding = 0;
            hook.fail_at = n;
            hook.persistent = persistent;
            il_set_allocator(&failing);
            st = scenario();
            il_set_allocator(NULL);
            if (hook.outstanding != 0)
                TEST_FAIL_("%s: %ld allocation(s) left after failing at %ld", name,
                           hook.outstanding, n);
            if (!dir_is_empty(tmpdir))
                TEST_FAIL_("%s: a file was left after failing at %ld", name, n);
            if (st == IL_OK)
                break; /* allocation n was past the last one */
            if (st != IL_ENOMEM) {
                TEST_FAIL_("%s: allocation %ld failing gave %s, not IL_ENOMEM", name, n,
                           il_status_name(st));
                break;
            }
        }
        if (persistent)
            printf("  %s: %ld allocation sites checked\n", name, n - 1);
    }
}

static void every_allocation(void)
{
    strcpy(tmpdir, "/tmp/il_oom_XXXXXX");
    REQUIRE(mkdtemp(tmpdir));
    faultsim("rng", s_rng);
    faultsim("npy_parse", s_npy_parse);
    faultsim("npy_load", s_npy_load);
    faultsim("tensors", s_tensors);
    faultsim("npz_writer", s_npz_writer);
    faultsim("csv", s_csv);
    faultsim("init_orthogonal", s_init_orthogonal);
    faultsim("init_f32", s_init_f32);
    faultsim("stats", s_stats);
    faultsim("experiment", s_experiment);
    faultsim("train_f64", s_train_f64);
    faultsim("train_f32", s_train_f32);
    faultsim("write_file", s_write_file);
    faultsim("outdir", s_outdir);
    rmdir(tmpdir);
}

TEST_MAIN({"every_allocation", every_allocation})
