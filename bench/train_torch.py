#!/usr/bin/python3
"""The book's three-init comparison in PyTorch (CPU, float32), for
bench/train.sh: the same network, SGD lr 0.01, batch 128, 2000 iterations,
loss after the update; torch draws its own numbers, so only the final
losses are comparable, not the curves.

usage: /usr/bin/python3 bench/train_torch.py THREADS [DTYPE] [ITERS]
Prints the final loss of each network on stdout and train_seconds on stderr.
"""
import gzip
import os
import sys
import time

import numpy as np
import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
dtype = torch.float64 if len(sys.argv) > 2 and sys.argv[2] == "f64" else torch.float32
iters = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
torch.set_num_threads(threads)
data = "/usr/share/datasets/fashion-mnist"


def load(name, offset):
    with gzip.open(os.path.join(data, name), "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


x = torch.tensor(load("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255.0,
                 dtype=dtype)
t = torch.tensor(load("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
torch.manual_seed(100)
t0 = time.perf_counter()
sizes = [784, 100, 100, 100, 100, 10]
nets = []
for scale in ("0.01", "xavier", "he"):
    params = []
    for i in range(1, len(sizes)):
        s = 0.01 if scale == "0.01" else (np.sqrt(1.0 / sizes[i - 1]) if scale == "xavier"
                                          else np.sqrt(2.0 / sizes[i - 1]))
        w = (torch.randn(sizes[i - 1], sizes[i], dtype=dtype) * s).requires_grad_()
        b = torch.zeros(sizes[i], dtype=dtype, requires_grad=True)
        params += [w, b]
    nets.append(params)


def forward(params, xb):
    h = xb
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i < len(params) - 2:
            h = torch.relu(h)
    return h


losses = [0.0] * 3
for it in range(iters):
    idx = torch.randint(0, x.shape[0], (128,))
    xb, tb = x[idx], t[idx]
    for k, params in enumerate(nets):
        loss = torch.nn.functional.cross_entropy(forward(params, xb), tb)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= 0.01 * g
            losses[k] = torch.nn.functional.cross_entropy(forward(params, xb), tb).item()
print("train_seconds %.3f" % (time.perf_counter() - t0), file=sys.stderr)
print(" ".join("%.6f" % v for v in losses))
