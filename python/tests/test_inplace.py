# SPDX-License-Identifier: MIT
"""initlab.init_: the same values as initlab.init, written into the caller's
memory (numpy arrays; torch tensors when torch is installed)."""
import importlib.util

import numpy as np
import pytest

import initlab


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fills_a_numpy_array_in_place(dtype):
    a = np.full((64, 32, 3, 3), np.nan, dtype=dtype)
    address = a.ctypes.data
    assert initlab.init_(a, "kaiming_normal", seed=9) is a
    assert a.ctypes.data == address
    want = initlab.init("kaiming_normal", (64, 32, 3, 3), seed=9, dtype=dtype)
    assert a.tobytes() == want.tobytes()


def test_fills_a_contiguous_view_of_a_bigger_buffer():
    buf = np.zeros(3 * 20, dtype=np.float64)
    view = buf[20:40].reshape(4, 5)  # C-contiguous, inside buf
    initlab.init_(view, "uniform", layout="dense", rng="mt19937", seed=1)
    assert buf[:20].tolist() == [0.0] * 20 and buf[40:].tolist() == [0.0] * 20
    assert view.tobytes() == initlab.init("uniform", (4, 5), rng="mt19937", seed=1).tobytes()


def test_refuses_what_it_cannot_fill_in_place():
    with pytest.raises(ValueError, match="C-contiguous"):
        initlab.init_(np.zeros((4, 6)).T, "normal")
    with pytest.raises(ValueError, match="C-contiguous"):
        initlab.init_(np.zeros((4, 6))[:, ::2], "normal")
    with pytest.raises(TypeError, match="float64 or float32"):
        initlab.init_(np.zeros((4, 6), dtype=np.int32), "normal")
    with pytest.raises(TypeError, match="float64 or float32"):
        initlab.init_(np.zeros((4, 6), dtype=np.float16), "normal")
    with pytest.raises(TypeError, match="float64 or float32"):
        initlab.init_(np.zeros((4, 6), dtype=">f8"), "normal")  # not the native byte order
    ro = np.zeros((4, 6))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        initlab.init_(ro, "normal")
    with pytest.raises(TypeError, match="numpy array or a torch tensor"):
        initlab.init_([[0.0, 0.0]], "normal")


def test_library_errors_leave_the_array_alone():
    a = np.full((3,), 7.0)
    with pytest.raises(initlab.Error) as e:
        initlab.init_(a, "xavier_normal")  # 1-d: no fans
    assert e.value.status == "IL_ESHAPE"
    assert a.tolist() == [7.0, 7.0, 7.0]


HAVE_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed (python3-torch); the "
                                           "numpy path above is tested without it")
def test_fills_torch_tensors_in_place():
    import torch
    layer = torch.nn.Linear(784, 256)
    ptr = layer.weight.data_ptr()
    assert initlab.init_(layer.weight, "glorot_uniform") is layer.weight
    assert layer.weight.data_ptr() == ptr and layer.weight.requires_grad
    want = initlab.init("glorot_uniform", (256, 784), dtype="float32")
    assert layer.weight.detach().numpy().tobytes() == want.tobytes()
    t = torch.empty(10, 20, dtype=torch.float64)
    initlab.init_(t, "normal:std=0.02", seed=3)
    assert t.numpy().tobytes() == initlab.init("normal:std=0.02", (10, 20), seed=3).tobytes()
    with pytest.raises(ValueError, match="C-contiguous"):
        initlab.init_(torch.empty(4, 6).t(), "normal")
    with pytest.raises(TypeError, match="float64 or float32"):
        initlab.init_(torch.empty(4, 6, dtype=torch.float16), "normal")
