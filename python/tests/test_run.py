# SPDX-License-Identifier: MIT
"""initlab.run against `initlab run --config` (il_run_json_report)."""
import json
import os
import signal

import pytest

import initlab

SPECS = [
    # the README's comparison, small
    {"depth": 4, "width": 32, "batch": 64, "seed": 7,
     "arms": [{"init": "xavier_normal", "act": "tanh"},
              {"init": "kaiming_normal:nonlinearity=relu", "act": "relu"},
              {"init": "torch_linear_default", "act": "relu",
               "bias": "torch_bias_default"}]},
    # widths, a backward pass and mean-field theory
    {"widths": [20, 16, 8, 4], "batch": 50, "grad": True, "theory": True,
     "arms": [{"init": "he_normal", "act": "relu", "bias": "zeros"},
              {"init": "lecture_xavier", "act": "sigmoid"}]},
]


@pytest.mark.parametrize("spec", SPECS)
def test_report_equals_the_clis_report_json(cli, tmp_path, spec):
    config = tmp_path / "run.json"
    config.write_text(json.dumps(spec))
    out = tmp_path / "out"
    cli("run", "--config", str(config), "--out", str(out))
    want = json.loads((out / "report.json").read_text())
    got = initlab.run(spec)
    assert got == want
    assert list(got) == list(want) == ["command", "seed", "rng", "order", "arms"]
    # JSON text is accepted as well
    assert initlab.run(json.dumps(spec)) == want


def test_progress_and_defaults():
    calls = []
    r = initlab.run({"arms": [{"init": "lecture_he", "act": "relu"}]},
                    progress=lambda done, total: calls.append((done, total)))
    # il_run_spec_init's defaults: 5 layers of 100, batch 1000, seed 100, paired
    assert (r["seed"], r["order"], r["rng"]) == (100, "paired", "philox")
    layers = r["arms"][0]["layers"]
    assert len(layers) == 5 and layers[0]["count"] == 1000 * 100
    assert calls == [(k, 5) for k in range(1, 6)]


def test_errors_name_the_json_key():
    with pytest.raises(initlab.Error) as e:
        initlab.run({"arms": [{"init": "he_normal", "act": "relu"}], "dept": 3})
    assert e.value.status == "IL_EFORMAT" and "dept" in e.value.message
    with pytest.raises(initlab.Error) as e:
        initlab.run({"arms": [{"init": "he_nromal", "act": "relu"}]})
    assert e.value.status == "IL_EINVAL" and "he_normal" in e.value.message  # did you mean
    with pytest.raises(initlab.Error) as e:
        initlab.run("{")
    assert e.value.status == "IL_EFORMAT"
    with pytest.raises(ValueError):  # NaN is no JSON
        initlab.run({"arms": [], "batch": float("nan")})


def test_memory_cap():
    spec = {"depth": 2, "width": 100, "batch": 1000,
            "arms": [{"init": "he_normal", "act": "relu"}]}
    with pytest.raises(initlab.Error) as e:
        initlab.run(spec, max_memory=1000)
    assert e.value.status == "IL_ELIMIT" and "the limit is 1000" in e.value.message
    assert initlab.run(spec, max_memory=0)["arms"][0]["layers"][1]["count"] == 100000


def test_an_exception_in_progress_stops_the_run():
    def boom(done, total):
        raise RuntimeError(f"stop at {done}")
    with pytest.raises(RuntimeError, match="stop at 1"):
        initlab.run({"depth": 50, "arms": [{"init": "he_normal", "act": "relu"}]},
                    progress=boom)


def test_ctrl_c_stops_the_run_and_the_handler_is_restored():
    before = signal.getsignal(signal.SIGINT)
    seen = []

    def interrupt(done, total):
        seen.append(done)
        if done == 2:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would
    with pytest.raises(KeyboardInterrupt):
        initlab.run({"depth": 50, "arms": [{"init": "he_normal", "act": "relu"}]},
                    progress=interrupt)
    assert seen == [1, 2]  # stopped at the next layer
    assert signal.getsignal(signal.SIGINT) is before
