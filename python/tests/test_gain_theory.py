# SPDX-License-Identifier: MIT
"""initlab.gain (torch.nn.init.calculate_gain's table) and initlab.theory
against `initlab theory --json`."""
import json
import math

import pytest

import initlab


@pytest.mark.parametrize("name,param,want", [
    # torch.nn.init.calculate_gain's documented table, in torch's arithmetic
    ("linear", None, 1.0),
    ("conv2d", None, 1.0),
    ("sigmoid", None, 1.0),
    ("tanh", None, 5.0 / 3),
    ("relu", None, math.sqrt(2.0)),
    ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01 ** 2))),  # torch's default slope
    ("leaky_relu", 0.2, math.sqrt(2.0 / (1 + 0.2 ** 2))),
    ("selu", None, 3.0 / 4),
])
def test_gain_is_torchs(name, param, want):
    assert initlab.gain(name, param) == want


def test_gain_beyond_torch_is_unit_second_moment():
    # docs/initializers.md: 1/sqrt(E[f(z)^2]); silu's E[f^2] is about 0.356
    # (z ~ N(0, 1)), so its gain lies near 1.68
    assert 1.6 < initlab.gain("silu") < 1.75


def test_gain_errors():
    with pytest.raises(initlab.Error) as e:
        initlab.gain("swish")
    assert e.value.status == "IL_ENOTFOUND"
    assert "nonlinearity" in e.value.message.lower()
    with pytest.raises(initlab.Error) as e:
        initlab.gain("leaky_relu", float("inf"))
    assert e.value.status == "IL_EINVAL"
    with pytest.raises(initlab.Error, match="NaN") as e:  # the C API's "default"
        initlab.gain("leaky_relu", float("nan"))


@pytest.mark.parametrize("kwargs,flags", [
    ({}, []),
    ({"act": "tanh", "sigma_w2": 1.5, "sigma_b2": 0.05, "depth": 5, "critical": True},
     ["--act", "tanh", "--sigma-w2", "1.5", "--sigma-b2", "0.05", "--depth", "5",
      "--critical"]),
    ({"act": "relu", "init": "he_normal", "width": 100, "input_q": 2},
     ["--act", "relu", "--init", "he_normal", "--width", "100", "--input-q", "2"]),
    ({"act": "elu", "sigma_b2": 0.02, "depth": 4},
     ["--act", "elu", "--sigma-b2", "0.02", "--depth", "4"]),
    ({"act": "relu", "critical": True, "sigma_b2": 0.1},  # no edge of chaos: null
     ["--act", "relu", "--critical", "--sigma-b2", "0.1"]),
])
def test_theory_equals_the_clis_json(cli, kwargs, flags):
    want = json.loads(cli("theory", "--json", *flags))
    got = initlab.theory(**kwargs)
    assert list(got) == list(want)
    assert got == want


def test_theory_errors():
    with pytest.raises(initlab.Error, match="not both"):
        initlab.theory(sigma_w2=2, init="he_normal", width=10)
    with pytest.raises(initlab.Error, match="width"):
        initlab.theory(init="he_normal")
    with pytest.raises(initlab.Error, match="depth"):
        initlab.theory(depth=0)
    with pytest.raises(initlab.Error, match="sigma_b2"):
        initlab.theory(sigma_b2=-1)
    with pytest.raises(initlab.Error) as e:
        initlab.theory(act="swish")
    assert e.value.status == "IL_ENOTFOUND"
