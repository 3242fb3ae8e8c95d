/* SPDX-License-Identifier: MIT */
/*
 * Training: learning on synthetic data with each optimizer, paired
 * minibatches, shuffled epochs, the book's smoothing, the dataset loaders'
 * checks, and refusals.
 */
#include <unistd.h>
#include <zlib.h>

#include "initlab/initlab.h"
#include "test.h"

static il_arm arm(const char *init, const char *act)
{
    il_arm a;
    memset(&a, 0, sizeof a);
    if (il_init_parse(init, &a.init, NULL) != IL_OK || il_act_parse(act, &a.act, NULL) != IL_OK)
        a.init.type = NULL;
    return a;
}

static il_train_config config(const size_t *widths, size_t n_layers, const il_arm *arms,
                              size_t n_arms)
{
    il_train_config c;
    memset(&c, 0, sizeof c);
    c.widths = widths;
    c.n_layers = n_layers;
    c.arms = arms;
    c.n_arms = n_arms;
    c.iters = 400;
    c.batch = 32;
    c.lr = 0.1;
    c.momentum = 0.9;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    c.stats = (il_stats_config){20, 0, 3, 0.01, 0.99};
    return c;
}

/* A 3-arm spiral (300 points, seed 7) through 2-64-64-3 ReLU nets, 1500
 * iterations: the loss falls from about ln 3 = 1.0986 and every optimizer
 * classifies most of the spiral. Measured (this test, printing the
 * values): first losses 1.193, 1.086, 1.117; final 0.060 (sgd), 0.034
 * (momentum), 0.019 (adam); accuracies 0.990, 0.987, 0.987. The checks
 * leave a margin for other BLAS builds: final < 0.3, accuracy > 0.9. */
static void learns_spiral(void)
{
    static const size_t widths[3] = {64, 64, 3};
    static const il_optimizer opts[3] = {IL_OPT_SGD, IL_OPT_MOMENTUM, IL_OPT_ADAM};
    static const double lrs[3] = {0.5, 0.05, 0.01};
    il_arm arms[1] = {arm("kaiming_normal:nonlinearity=relu", "relu")};
    il_data d;
    il_rng *rng = NULL;

    REQUIRE(il_rng_new(il_rng_find("mt19937"), 7, &rng) == IL_OK);
    REQUIRE(il_data_spiral(300, 3, rng, &d) == IL_OK);
    for (int k = 0; k < 3; k++) {
        il_train_config c = config(widths, 3, arms, 1);
        il_train_result *r = NULL;
        il_error err;
        c.opt = opts[k];
        c.lr = lrs[k];
        c.iters = 1500;
        REQUIRE(il_train_run(&c, &d, NULL, rng, NULL, NULL, &r, &err) == IL_OK);
        CHECK(il_train_loss(r, 0)[0] > 0.9);
        CHECK(il_train_final_loss(r, 0) < 0.3);
        CHECK(il_train_accuracy(r, 0, 0) > 0.9);
        CHECK(isnan(il_train_accuracy(r, 0, 1)));
        il_train_result_free(r);
    }
    il_data_free(&d);
    il_rng_free(rng);
}

/* The book's claim on a small scale: with N(0, 0.01^2) weights a deep
 * ReLU net cannot leave ln K, while He learns. Blobs in 20-D, 10 classes,
 * 4 hidden layers of 50, SGD lr 0.01 as the book. */
static void stuck_at_ln_k(void)
{
    static const size_t widths[5] = {50, 50, 50, 50, 10};
    il_arm arms[2] = {arm("normal:std=0.01", "relu"), arm("lecture_he", "relu")};
    il_train_config c = config(widths, 5, arms, 2);
    il_train_result *r = NULL;
    il_data d;
    il_rng *rng = NULL;

    REQUIRE(il_rng_new(il_rng_find("mt19937"), 3, &rng) == IL_OK);
    REQUIRE(il_data_blobs(2000, 20, 10, rng, &d) == IL_OK);
    c.lr = 0.01;
    c.iters = 500;
    REQUIRE(il_train_run(&c, &d, &d, rng, NULL, NULL, &r, NULL) == IL_OK);
    CHECK(fabs(il_train_final_loss(r, 0) - log(10.0)) < 0.01); /* stuck */
    CHECK(il_train_final_loss(r, 1) < 1.0);                    /* learning */
    CHECK(il_train_accuracy(r, 1, 1) > 0.8);
    il_train_result_free(r);
    il_data_free(&d);
    il_rng_free(rng);
}

static size_t g_calls;
static void count_progress(void *ctx, size_t iter, size_t iters, const double *losses)
{
    (void)ctx, (void)losses;
    g_calls += iter <= iters;
}

/* float32: the same draws and minibatches as float64, so the first
 * losses agree to float precision (measured: 2.5e-8 over the first 20
 * iterations on this spiral) and it learns as well; not with dlfs. */
static void float32(void)
{
    static const size_t widths[3] = {32, 32, 3};
    il_arm arms[2] = {arm("lecture_he", "relu"), arm("xavier_normal", "tanh")};
    il_train_config c = config(widths, 3, arms, 2);
    il_train_result *r64 = NULL, *r32 = NULL;
    il_data d;
    il_error err;
    il_rng *rng = NULL;
    double worst = 0;

    REQUIRE(il_rng_new(il_rng_find("mt19937"), 4, &rng) == IL_OK);
    REQUIRE(il_data_spiral(300, 3, rng, &d) == IL_OK);
    c.opt = IL_OPT_ADAM;
    c.lr = 0.01;
    c.iters = 1000;
    il_rng_seed(rng, 9);
    REQUIRE(il_train_run(&c, &d, NULL, rng, NULL, NULL, &r64, &err) == IL_OK);
    c.dtype = IL_DTYPE_F32;
    il_rng_seed(rng, 9);
    REQUIRE(il_train_run(&c, &d, NULL, rng, NULL, NULL, &r32, &err) == IL_OK);
    for (size_t a = 0; a < 2; a++) {
        for (size_t i = 0; i < 20; i++)
            worst = fmax(worst, fabs(il_train_loss(r32, a)[i] - il_train_loss(r64, a)[i]));
        CHECK(il_train_final_loss(r32, a) < 0.3);
        CHECK(il_train_accuracy(r32, a, 0) > 0.9);
    }
    CHECK(worst < 1e-5);
    c.dlfs = 1;
    {
        il_train_result *none = NULL;
        CHECK(il_train_run(&c, &d, NULL, rng, NULL, NULL, &none, &err) == IL_EINVAL);
        CHECK(none == NULL);
    }
    CHECK_CONTAINS(err.message, "float64");
    il_train_result_free(r64);
    il_train_result_free(r32);
    il_data_free(&d);
    il_rng_free(rng);
}

/* Paired: all arms see the same minibatches. Two arms that start alike
 * (one constant weight everywhere) then have losses equal to
 * the bit, and the losses do move. Shuffled epochs and the progress
 * callback, and the same seed giving the same run. */
static void paired_and_epochs(void)
{
    static const size_t widths[2] = {16, 3};
    il_arm arms[2] = {arm("constant:val=0.05", "tanh"), arm("constant:val=0.05", "tanh")};
    il_train_config c = config(widths, 2, arms, 2);
    il_train_result *r = NULL, *r2 = NULL;
    il_data d;
    il_rng *rng = NULL;
    const double *l0, *l1;

    REQUIRE(il_rng_new(il_rng_find("mt19937"), 11, &rng) == IL_OK);
    REQUIRE(il_data_spiral(90, 3, rng, &d) == IL_OK);
    c.iters = 50;
    c.sampling = IL_SAMPLE_EPOCHS;
    c.batch = 30; /* three batches per epoch */
    il_rng_seed(rng, 5);
    g_calls = 0;
    REQUIRE(il_train_run(&c, &d, NULL, rng, count_progress, NULL, &r, NULL) == IL_OK);
    CHECK_EQ_U64(g_calls, 50);
    l0 = il_train_loss(r, 0);
    l1 = il_train_loss(r, 1);
    CHECK(memcmp(l0, l1, 50 * sizeof(double)) == 0);
    CHECK(l0[49] < l0[0] - 0.005); /* measured: 1.0986 -> 1.0888 */
    il_rng_seed(rng, 5);
    REQUIRE(il_train_run(&c, &d, NULL, rng, NULL, NULL, &r2, NULL) == IL_OK);
    CHECK(memcmp(l0, il_train_loss(r2, 0), 50 * sizeof(double)) == 0);
    il_train_result_free(r2);
    il_train_result_free(r);
    il_data_free(&d);
    il_rng_free(rng);
}

/* np.kaiser(11, 2) smoothing of x_i = (7919 i mod 31) / 7 + 0.01 i,
 * i < 25: values 0, 12 and 24 from the book's smooth_curve under Debian's
 * numpy 1.24.2 (the script is in this test's history: tests/test_train.c). */
static void smoothing(void)
{
    double x[25], y[25];
    for (int i = 0; i < 25; i++)
        x[i] = (double)((i * 7919) % 31) / 7.0 + 0.01 * i;
    il_smooth_curve(x, 25, y);
    CHECK_NEAR(y[0], 2.2718784267582066, 1e-14, 0);
    CHECK_NEAR(y[12], 2.4919429645378464, 1e-14, 0);
    CHECK_NEAR(y[24], 2.807354032363798, 1e-14, 0);
}

static void refusals(void)
{
    static const size_t widths[2] = {8, 4}, good[2] = {8, 3};
    il_arm arms[1] = {arm("lecture_he", "relu")};
    il_train_config c = config(widths, 2, arms, 1);
    il_train_result *r = NULL;
    il_error err;
    il_data d;
    il_rng *rng = NULL;

    REQUIRE(il_rng_new(il_rng_find("mt19937"), 1, &rng) == IL_OK);
    REQUIRE(il_data_spiral(30, 3, rng, &d) == IL_OK);
    CHECK(il_train_run(&c, &d, NULL, rng, NULL, NULL, &r, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "the last layer has 4 units but the data has 3 classes");
    c.widths = good;
    c.lr = 0;
    CHECK(il_train_run(&c, &d, NULL, rng, NULL, NULL, &r, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "learning rate");
    c.lr = (double)NAN;
    CHECK(il_train_run(&c, &d, NULL, rng, NULL, NULL, &r, &err) == IL_EINVAL);
    c.lr = 0.1;
    c.iters = 0;
    CHECK(il_train_run(&c, &d, NULL, rng, NULL, NULL, &r, &err) == IL_EINVAL);
    c.iters = 10;
    c.dtype = (il_dtype)7;
    CHECK(il_train_run(&c, &d, NULL, rng, NULL, NULL, &r, &err) == IL_EINVAL);
    CHECK_CONTAINS(err.message, "unknown dtype 7");
    CHECK(r == NULL);
    il_data_free(&d);
    il_rng_free(rng);
}

/* IDX pairs: a count mismatch and a label past the classes are refused. */
static void dataset_checks(void)
{
    char dir[] = "/tmp/il_data_XXXXXX", path[128];
    unsigned char images[4 + 12 + 2 * 4] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2,
                                            0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 255};
    unsigned char labels3[4 + 4 + 3] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3};
    unsigned char labels2[4 + 4 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 9, 10};
    il_data d;
    il_error err;
    FILE *f;

    REQUIRE(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", dir);
    REQUIRE((f = fopen(path, "wb")) != NULL);
    fwrite(images, 1, sizeof images, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", dir);
    REQUIRE((f = fopen(path, "wb")) != NULL);
    fwrite(labels3, 1, sizeof labels3, f);
    fclose(f);
    CHECK(il_data_load_dir(dir, "train", 10, 1 << 20, &d, &err) == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "has 2 images but");
    CHECK_CONTAINS(err.message, "has 3 labels");
    REQUIRE((f = fopen(path, "wb")) != NULL);
    fwrite(labels2, 1, sizeof labels2, f);
    fclose(f);
    CHECK(il_data_load_dir(dir, "train", 10, 1 << 20, &d, &err) == IL_EFORMAT);
    CHECK_CONTAINS(err.message, "label 10 at row 1; labels must be below 10");
    CHECK(il_data_load_dir(dir, "t10k", 10, 1 << 20, &d, &err) == IL_EIO);
    CHECK_CONTAINS(err.message, "no t10k-images-idx3-ubyte[.gz] in");
    labels2[9] = 4;
    REQUIRE((f = fopen(path, "wb")) != NULL);
    fwrite(labels2, 1, sizeof labels2, f);
    fclose(f);
    REQUIRE(il_data_load_dir(dir, "train", 10, 1 << 20, &d, &err) == IL_OK);
    CHECK_EQ_U64(d.n, 2);
    CHECK_EQ_U64(d.dim, 4);
    {
        double row[4];
        il_data_row(&d, 1, row);
        CHECK_BITS(row[3], (double)(255.0f / 255.0f));
        CHECK_BITS(row[0], (double)(5.0f / 255.0f));
    }
    il_data_free(&d);
    unlink(path);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", dir);
    unlink(path);
    rmdir(dir);
}

/* --reproduce dlfs against the book's code run by numpy
 * (scripts/gen_golden_dlfs.py 100 100 > tests/golden/dlfs_seed100.txt):
 * the three networks' losses for 100 iterations on Fashion-MNIST.
 * Measured difference: at most 2.2e-15; the issue asks for 1e-6. */
static void reproduces_the_book(void)
{
    static const size_t widths[5] = {100, 100, 100, 100, 10};
    il_arm arms[3] = {arm("normal:std=0.01", "relu"), arm("lecture_xavier", "relu"),
                      arm("lecture_he", "relu")};
    il_train_config c = config(widths, 5, arms, 3);
    il_train_result *r = NULL;
    il_data d;
    il_error err;
    il_rng *rng = NULL;
    size_t len;
    char *text = test_read_golden("dlfs_seed100.txt", &len), *line, *save = NULL;
    double worst = 0;
    int rows = 0;

    REQUIRE(text);
    if (il_data_load_dir("/usr/share/datasets/fashion-mnist", "train", 10, (size_t)1 << 30, &d,
                         &err) != IL_OK) {
        /* scripts/install-deps.sh installs it; without it this is a failure */
        TEST_FAIL_("Fashion-MNIST: %s", err.message);
        free(text);
        return;
    }
    c.iters = 100;
    c.batch = 128;
    c.lr = 0.01;
    c.dlfs = 1;
    REQUIRE(il_rng_new(il_rng_find("mt19937"), 100, &rng) == IL_OK);
    REQUIRE(il_train_run(&c, &d, NULL, rng, NULL, NULL, &r, &err) == IL_OK);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int it;
        double g[3];
        REQUIRE(sscanf(line, "%d %lf %lf %lf", &it, &g[0], &g[1], &g[2]) == 4);
        for (int a = 0; a < 3; a++)
            worst = fmax(worst, fabs(il_train_loss(r, (size_t)a)[it - 1] - g[a]));
        rows++;
    }
    CHECK_EQ_INT(rows, 100);
    CHECK(worst <= 1e-6);
    il_train_result_free(r);
    il_rng_free(rng);
    il_data_free(&d);
    free(text);
}

/* LSUV (RELIABILITY.md row 27): 10 layers of 64, tanh and relu, a fixed
 * batch of 256 N(0,1) rows, orthogonal weights scaled by 3 so that every
 * layer needs rescaling: afterwards each layer's pre-activation variance
 * is within [0.9, 1.1] with at most 10 rescalings; a dead layer (zero
 * weights) is an error, not NaN, and so is one whose variance overflows. */
static void lsuv(void)
{
    static const size_t widths[10] = {64, 64, 64, 64, 64, 64, 64, 64, 64, 64};
    const char *names[2] = {"tanh", "relu"};
    il_rng *rng = NULL;
    double *x = malloc(256 * 64 * sizeof *x);
    il_init orth;

    REQUIRE(x);
    REQUIRE(il_rng_new(il_rng_find("mt19937"), 2, &rng) == IL_OK);
    REQUIRE(il_init_parse("orthogonal:gain=3", &orth, NULL) == IL_OK);
    il_dist_fill_standard_normal(rng, x, 256 * 64);
    for (int k = 0; k < 2; k++) {
        il_act act;
        const il_act *acts[10];
        il_mlp *m = NULL;
        size_t iters[10], shape[2] = {64, 64};
        il_error err;
        REQUIRE(il_act_parse(names[k], &act, NULL) == IL_OK);
        for (int l = 0; l < 10; l++)
            acts[l] = &act;
        REQUIRE(il_mlp_new(256, 64, widths, 10, acts, &m) == IL_OK);
        for (size_t l = 0; l < 10; l++)
            REQUIRE(il_init_fill(&orth, shape, 2, IL_LAYOUT_DENSE, rng, il_mlp_weights(m, l),
                                 NULL) == IL_OK);
        REQUIRE(il_mlp_lsuv(m, x, 0.1, 10, iters, &err) == IL_OK);
        for (size_t l = 0; l < 10; l++) {
            const double *z = il_mlp_pre(m, l);
            double mean = 0, var = 0;
            for (size_t i = 0; i < 256 * 64; i++)
                mean += z[i] / (256 * 64);
            for (size_t i = 0; i < 256 * 64; i++)
                var += (z[i] - mean) * (z[i] - mean) / (256 * 64);
            CHECK(var >= 0.9 && var <= 1.1);
            CHECK(iters[l] >= 1 && iters[l] <= 10);
        }
        memset(il_mlp_weights(m, 3), 0, 64 * 64 * sizeof(double)); /* layer 4 dies */
        CHECK(il_mlp_lsuv(m, x, 0.1, 10, iters, &err) == IL_EINVAL);
        CHECK_CONTAINS(err.message, "layer 4 is dead");
        il_mlp_weights(m, 1)[0] = (double)INFINITY; /* layer 2 overflows */
        CHECK(il_mlp_lsuv(m, x, 0.1, 10, iters, &err) == IL_EINVAL);
        CHECK_CONTAINS(err.message, "layer 2 has a non-finite output variance");
        il_mlp_free(m);
    }
    free(x);
    il_rng_free(rng);
}

TEST_MAIN({"reproduces_the_book", reproduces_the_book}, {"lsuv", lsuv}, {"float32", float32},
          {"learns_spiral", learns_spiral}, {"stuck_at_ln_k", stuck_at_ln_k},
          {"paired_and_epochs", paired_and_epochs}, {"smoothing", smoothing},
          {"refusals", refusals}, {"dataset_checks", dataset_checks})
