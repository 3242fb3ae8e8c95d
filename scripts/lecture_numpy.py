#!/usr/bin/python3
"""The lecture's three listings, verbatim in their arithmetic, as a module.

Each function returns the activation dicts the lecture's main() returns.
Used by scripts/check_lecture_numpy.py and scripts/gen_golden.py (both run
with Debian's /usr/bin/python3 and python3-numpy); the tests never need it.
"""
import numpy as np


def sigmoid(x):
    result = 1 / (1 + np.exp(-x))
    return result


def relu(x):
    result = np.maximum(0, x)
    return result


def exercise1(seed):
    np.random.seed(seed)
    x_1 = np.random.randn(1000, 100)
    x_2 = np.random.randn(1000, 100)
    activations_1, activations_2 = {}, {}
    for i in range(5):
        if i != 0:
            x_1 = activations_1[i - 1]
            x_2 = activations_2[i - 1]
        w_1 = np.random.randn(100, 100)
        w_2 = np.random.randn(100, 100) * 0.01
        activations_1[i] = sigmoid(np.dot(x_1, w_1))
        activations_2[i] = sigmoid(np.dot(x_2, w_2))
    return [activations_1, activations_2]


def exercise2(seed):
    np.random.seed(seed)
    node_num = 100
    x_sig = np.random.randn(1000, 100)
    x_relu = np.random.randn(1000, 100)
    activations_sig, activations_relu = {}, {}
    for i in range(5):
        if i != 0:
            x_sig = activations_sig[i - 1]
            x_relu = activations_relu[i - 1]
        w_sig = np.random.randn(100, 100) * (1 / np.sqrt(node_num))
        w_relu = np.random.randn(100, 100) * (1 / np.sqrt(node_num))
        activations_sig[i] = sigmoid(np.dot(x_sig, w_sig))
        activations_relu[i] = relu(np.dot(x_relu, w_relu))
    return [activations_sig, activations_relu]


def exercise3(seed):
    np.random.seed(seed)
    node_num = 100
    x_relu = np.random.randn(1000, 100)
    activations_relu = {}
    for i in range(5):
        if i != 0:
            x_relu = activations_relu[i - 1]
        w_relu = np.random.randn(100, 100) * np.sqrt(2 / node_num)
        activations_relu[i] = relu(np.dot(x_relu, w_relu))
    return [activations_relu]


EXERCISES = [exercise1, exercise2, exercise3]
