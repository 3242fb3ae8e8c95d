#!/usr/bin/python3
"""numpy's and PyTorch's side of bench/perf.sh: one measurement per call,
printed as seconds, timed inside the process (imports and start-up are not
counted; initlab's side is timed the same way, except the forward pass,
which is the whole `initlab run` command).

  perf_ref.py normal LIB DTYPE N THREADS   LIB: numpy-legacy, numpy-gen, torch
  perf_ref.py blas                         the kernels OpenBLAS chose for this CPU (numpy's
                                           libopenblas; initlab's static build is the same
                                           DYNAMIC_ARCH OpenBLAS), printed instead of seconds
  perf_ref.py trunc DTYPE N THREADS        torch.nn.init.trunc_normal_ (mean 0, std 1, a -2, b 2)
                                           on N values, the call alone
  perf_ref.py orth DTYPE N THREADS         torch.nn.init.orthogonal_ of an N x N tensor, the
                                           call alone (the second; the first sets up)
  perf_ref.py stats N                      np.histogram(x, 30, (-4, 4)) + x.mean() + x.std()
  perf_ref.py forward LIB DTYPE            LIB: numpy, torch; 20 layers, 4096 wide,
                                           batch 4096, He (std sqrt(2/4096)) + ReLU,
                                           each layer's weights drawn inside the pass;
                                           no statistics (initlab's run also makes
                                           every layer's histogram and moments)
"""
import sys
import time


def main():
    what = sys.argv[1]
    if what == "blas":
        import ctypes
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        print("%s (%s)" % (lib.openblas_get_corename().decode(),
                           lib.openblas_get_config().decode().split()[1]))
        return
    if what == "normal":
        lib, dtype, n, threads = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        if lib == "torch":
            import torch
            torch.set_num_threads(threads)
            dt = torch.float64 if dtype == "f64" else torch.float32
            out = torch.empty(n, dtype=dt)
            torch.randn(n, dtype=dt, out=out)  # touch the pages
            t0 = time.perf_counter()
            torch.randn(n, dtype=dt, out=out)
            t1 = time.perf_counter()
        else:
            import numpy as np
            if lib == "numpy-legacy":  # float64 only
                np.random.seed(1)
                np.random.randn(n)
                t0 = time.perf_counter()
                np.random.randn(n)
                t1 = time.perf_counter()
            else:
                g = np.random.default_rng(1)
                dt = np.float64 if dtype == "f64" else np.float32
                out = np.empty(n, dtype=dt)
                g.standard_normal(n, dtype=dt, out=out)
                t0 = time.perf_counter()
                g.standard_normal(n, dtype=dt, out=out)
                t1 = time.perf_counter()
    elif what == "trunc":
        import torch
        dtype, n, threads = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        torch.set_num_threads(threads)
        dt = torch.float64 if dtype == "f64" else torch.float32
        out = torch.empty(n, dtype=dt)
        torch.nn.init.trunc_normal_(out)  # touch the pages
        t0 = time.perf_counter()
        torch.nn.init.trunc_normal_(out)
        t1 = time.perf_counter()
    elif what == "orth":
        import torch
        dtype, n, threads = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        torch.set_num_threads(threads)
        dt = torch.float64 if dtype == "f64" else torch.float32
        out = torch.empty(n, n, dtype=dt)
        torch.nn.init.orthogonal_(out)
        t0 = time.perf_counter()
        torch.nn.init.orthogonal_(out)
        t1 = time.perf_counter()
    elif what == "stats":
        import numpy as np
        n = int(sys.argv[2])
        x = np.random.default_rng(1).standard_normal(n)
        t0 = time.perf_counter()
        np.histogram(x, 30, (-4.0, 4.0))
        x.mean()
        x.std()
        t1 = time.perf_counter()
    elif what == "forward":
        lib, dtype = sys.argv[2], sys.argv[3]
        width, depth = 4096, 20
        scale = (2.0 / width) ** 0.5
        if lib == "torch":
            import torch
            dt = torch.float64 if dtype == "f64" else torch.float32
            t0 = time.perf_counter()
            x = torch.randn(width, width, dtype=dt)
            for _ in range(depth):
                w = torch.randn(width, width, dtype=dt) * scale
                x = torch.relu(x @ w)
            t1 = time.perf_counter()
        else:
            import numpy as np
            dt = np.float64 if dtype == "f64" else np.float32
            g = np.random.default_rng(1)
            t0 = time.perf_counter()
            x = g.standard_normal((width, width), dtype=dt)
            for _ in range(depth):
                w = g.standard_normal((width, width), dtype=dt) * dt(scale)
                x = np.maximum(x @ w, 0)
            t1 = time.perf_counter()
    else:
        sys.exit("unknown measurement " + what)
    print("%.6f" % (t1 - t0))


main()
