#!/usr/bin/python3
"""The book's weight_init_compare.py (Deep Learning from Scratch, ch. 6), in
plain numpy, on Fashion-MNIST: the per-iteration losses initlab's
'train --reproduce dlfs' must equal.

usage: /usr/bin/python3 scripts/gen_golden_dlfs.py [ITERS] [SEED] [DATA_DIR] > FILE

Writes one line per iteration: "iter loss_std0.01 loss_xavier loss_he" with
17 significant digits. tests/golden/dlfs_seed100.txt was made with
ITERS=100, SEED=100 and Debian's dataset-fashion-mnist and python3-numpy
1.24.2. The code follows the book's classes (common/layers.py,
common/multi_layer_net.py, common/optimizer.py, common/functions.py)
operation for operation; only what the comparison uses is kept.
"""
import gzip
import os
import sys
import time

import numpy as np

iters = int(sys.argv[1]) if len(sys.argv) > 1 else 100
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 100
data = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"


def load(name, offset):
    with gzip.open(os.path.join(data, name), "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


# dataset/mnist.py: load_mnist(normalize=True, flatten=True, one_hot_label=False)
x_train = load("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32)
x_train /= 255.0
t_train = load("train-labels-idx1-ubyte.gz", 8)


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


class Net:
    """MultiLayerNet(784, [100, 100, 100, 100], 10, activation='relu')."""

    def __init__(self, weight_init_std):
        sizes = [784, 100, 100, 100, 100, 10]
        self.W, self.b = [], []
        for idx in range(1, len(sizes)):
            scale = weight_init_std
            if str(weight_init_std).lower() in ("relu", "he"):
                scale = np.sqrt(2.0 / sizes[idx - 1])
            elif str(weight_init_std).lower() in ("sigmoid", "xavier"):
                scale = np.sqrt(1.0 / sizes[idx - 1])
            self.W.append(scale * np.random.randn(sizes[idx - 1], sizes[idx]))
            self.b.append(np.zeros(sizes[idx]))

    def forward(self, x):
        self.x, self.masks = [x], []
        for i in range(len(self.W)):
            out = np.dot(self.x[-1], self.W[i]) + self.b[i]
            if i < len(self.W) - 1:
                mask = out <= 0
                out = out.copy()
                out[mask] = 0
                self.masks.append(mask)
                self.x.append(out)
        return out

    def loss(self, x, t):
        return cross_entropy_error(softmax(self.forward(x)), t)

    def gradient(self, x, t):
        y = softmax(self.forward(x))
        batch_size = t.shape[0]
        dx = y.copy()
        dx[np.arange(batch_size), t] -= 1
        dout = dx / batch_size
        gW, gb = [None] * len(self.W), [None] * len(self.W)
        for i in reversed(range(len(self.W))):
            gW[i] = np.dot(self.x[i].T, dout)
            gb[i] = np.sum(dout, axis=0)
            dout = np.dot(dout, self.W[i].T)
            if i > 0:
                dout[self.masks[i - 1]] = 0
        return gW, gb


t0 = time.perf_counter()
np.random.seed(seed)
networks = [Net(0.01), Net("sigmoid"), Net("relu")]
lr = 0.01
for it in range(iters):
    batch_mask = np.random.choice(x_train.shape[0], 128)
    x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
    losses = []
    for net in networks:
        gW, gb = net.gradient(x_batch, t_batch)
        for i in range(len(net.W)):  # SGD.update
            net.W[i] -= lr * gW[i]
            net.b[i] -= lr * gb[i]
        losses.append(net.loss(x_batch, t_batch))
    print(it + 1, " ".join("%.17g" % v for v in losses))
# for bench/train.sh: the training time, data loading excluded
print("train_seconds %.3f" % (time.perf_counter() - t0), file=sys.stderr)
