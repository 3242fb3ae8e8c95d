# SPDX-License-Identifier: MIT
"""initlab.init and initlab.describe against `initlab init` (the program of
the same build): the same arguments give the same bytes."""
import json
import math

import numpy as np
import pytest

import initlab

# (spec, shape, layout, seed, rng, dtype): every kind of fill -- elementwise
# on either generator, philox's own truncated normals, the float32 paths
# (rounded as drawn, in pieces, or from a float64 tensor), and the schemes
# that see the whole tensor (orthogonal, sparse, dirac).
CASES = [
    ("he_normal", (256, 784), "torch", 100, "philox", "f64"),
    ("kaiming_normal:nonlinearity=relu", (784, 256), "dense", 7, "mt19937", "f64"),
    ("lecture_he", (100, 100), "dense", 100, "mt19937", "f64"),
    ("trunc_normal:std=0.02", (768, 3072), "torch", 0, "philox", "f32"),
    ("glorot_uniform", (3, 3, 16, 32), "keras", 12345, "fast", "f32"),
    ("torch_linear_default", (10, 20), "torch", 4294967295, "philox", "f64"),
    ("xavier_normal:gain=1.5", (64, 32, 3, 3), "torch", 1, "mt19937", "f32"),
    ("orthogonal", (64, 32), "torch", 3, "philox", "f32"),
    ("sparse:sparsity=0.25", (40, 30), "torch", 5, "mt19937", "f64"),
    ("dirac", (4, 4, 3, 3), "torch", 100, "philox", "f64"),
    ("uniform:a=-2,b=3", (7,), "torch", 100, "mt19937", "f64"),
    ("constant:val=0.5", (2, 3), "keras", 100, "philox", "f32"),
]


def cli_tensor(cli, tmp_path, spec, shape, *flags):
    out = tmp_path / "w.npy"
    cli("init", spec, "--shape", ",".join(map(str, shape)), "--out", str(out), *flags)
    return np.load(out)


@pytest.mark.parametrize("spec,shape,layout,seed,rng,dtype", CASES)
def test_bit_identical_to_the_cli(cli, tmp_path, spec, shape, layout, seed, rng, dtype):
    want = cli_tensor(cli, tmp_path, spec, shape, "--layout", layout, "--seed", str(seed),
                      "--rng", rng, "--dtype", dtype)
    got = initlab.init(spec, shape, layout=layout, seed=seed, rng=rng, dtype=dtype)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.flags.c_contiguous
    assert got.tobytes() == want.tobytes()


def test_defaults_are_the_clis_but_the_layout(cli, tmp_path):
    # seed 100, philox, float64 as `initlab init`; the layout is torch's
    want = cli_tensor(cli, tmp_path, "he_normal", (256, 784), "--layout", "torch")
    got = initlab.init("he_normal", (256, 784))
    assert got.dtype == np.float64 and got.tobytes() == want.tobytes()


def test_dtype_spellings():
    a = initlab.init("normal", (3, 4), dtype=np.float32)
    assert a.dtype == np.float32
    assert a.tobytes() == initlab.init("normal", (3, 4), dtype="float32").tobytes()
    assert a.tobytes() == initlab.init("normal", (3, 4), dtype="f32").tobytes()
    # float32 is float64's values rounded (docs/initializers.md)
    assert a.tobytes() == initlab.init("normal", (3, 4)).astype(np.float32).tobytes()


def test_mt19937_is_numpys_legacy_randn():
    # include/initlab/init.h: with mt19937, "normal:std=S" equals
    # np.random.randn(...) * S element for element
    got = initlab.init("normal:std=0.01", (50, 20), layout="dense", seed=100, rng="mt19937")
    want = np.random.RandomState(100).randn(50, 20) * 0.01
    assert got.tobytes() == want.tobytes()


def test_int_shape_and_zero_elements():
    assert initlab.init("zeros", 5).shape == (5,)
    # zero-element tensors are a no-op, as in torch (docs/initializers.md)
    assert initlab.init("normal", (0, 3)).shape == (0, 3)


@pytest.mark.parametrize("spec,shape,layout", [
    ("kaiming_uniform:a=2.23606797749979,mode=fan_out", (64, 32, 3, 3), "torch"),
    ("glorot_normal", (3, 3, 16, 32), "keras"),
    ("he_normal", (784, 256), "dense"),
])
def test_describe_matches_init_json(cli, spec, shape, layout):
    want = json.loads(cli("init", spec, "--shape", ",".join(map(str, shape)), "--layout",
                          layout, "--json"))
    got = initlab.describe(spec, shape, layout=layout)
    for key in ("fan_in", "fan_out", "gain", "std", "bound"):
        assert got[key] == want[key], key


def test_describe_fields():
    d = initlab.describe("glorot_uniform", (10, 20))  # torch layout: (out, in)
    assert (d["fan_in"], d["fan_out"]) == (20, 10)
    # Keras GlorotUniform: limit sqrt(6 / (fan_in + fan_out))
    assert d["bound"] == math.sqrt(6 / 30)
    assert d["spec"] == "glorot_uniform" and d["formula"]
    assert d["lo"] is None and d["gain"] is None


def test_errors_carry_initlabs_message_and_status():
    with pytest.raises(initlab.Error) as e:
        initlab.init("he", (3, 3))
    assert e.value.status == "IL_ENOTFOUND"
    assert e.value.message.startswith("unknown initializer 'he'")
    assert "[IL_ENOTFOUND]" in str(e.value)
    with pytest.raises(initlab.Error) as e:  # torch's words (docs/initializers.md)
        initlab.init("kaiming_normal", (3,))
    assert e.value.status == "IL_ESHAPE"
    assert "fewer than 2 dimensions" in e.value.message
    with pytest.raises(initlab.Error) as e:
        initlab.init("normal:sd=1", (3, 3))
    assert e.value.status == "IL_EINVAL" and "sd" in e.value.message


def test_argument_errors():
    with pytest.raises(initlab.Error, match="unknown layout 'pytorch'") as e:
        initlab.init("normal", (2, 2), layout="pytorch")
    assert e.value.status == "IL_ENOTFOUND"
    with pytest.raises(initlab.Error, match="unknown generator 'pcg'"):
        initlab.init("normal", (2, 2), rng="pcg")
    with pytest.raises(initlab.Error, match=r"out of range for mt19937 \(0\.\.4294967295\)") as e:
        initlab.init("normal", (2, 2), rng="mt19937", seed=2 ** 32)
    assert e.value.status == "IL_ERANGE"
    with pytest.raises(initlab.Error, match="out of range"):
        initlab.init("normal", (2, 2), seed=-1)  # ctypes alone would wrap it to 2**64 - 1
    with pytest.raises(TypeError, match="float64 or float32"):
        initlab.init("normal", (2, 2), dtype="int32")
    with pytest.raises(TypeError):
        initlab.init("normal", (2, 2), seed=1.5)
    with pytest.raises(TypeError, match="spec must be a str"):
        initlab.init(None, (2, 2))
    with pytest.raises(ValueError, match="NUL"):
        initlab.init("normal\0:std=2", (2, 2))
    with pytest.raises(ValueError, match="negative"):
        initlab.init("normal", (2, -2))
    with pytest.raises(TypeError, match="shape"):
        initlab.init("normal", (2, 2.0))
