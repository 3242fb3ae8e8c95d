# SPDX-License-Identifier: MIT
"""initlab from Python: the C library's initializers, gains, mean-field
theory and runs, over libinitlab.so through ctypes (nothing to compile).

    >>> import initlab
    >>> w = initlab.init("he_normal", (256, 784))       # numpy.ndarray, float64
    >>> initlab.init_(layer.weight, "glorot_uniform")    # a torch tensor, in place

Functions
    init(spec, shape, layout="torch", seed=100, rng="philox", dtype="float64")
        a new array, bit-identical to ``initlab init SPEC --shape ... --out F.npy``
    init_(tensor, spec, layout="torch", seed=100, rng="philox")
        fill a C-contiguous float64/float32 numpy array or CPU torch tensor in place
    describe(spec, shape, layout="torch")
        what a fill aims at: fans, gain, mean, std, bound (``initlab init --json``)
    gain(nonlinearity, param=None)
        torch.nn.init.calculate_gain, and the library's other activations
    theory(act="relu", sigma_w2=None, ...)
        ``initlab theory --json`` as a dict
    run(spec, max_memory=None, progress=None)
        a run described as in ``initlab run --config`` (a dict, or JSON text);
        returns its report.json as a dict

Errors from the library raise initlab.Error, whose ``message`` is initlab's
own and ``status`` the status name ("IL_EINVAL", ...); wrong Python types
raise TypeError, arrays that cannot be filled in place ValueError.

The library is found in this order (see initlab._lib): $INITLAB_LIBRARY;
libinitlab.so.0 or libinitlab.so next to this package; the build tree of
the checkout the package sits in (<repo>/build/libinitlab.so); the system
(ctypes.util.find_library("initlab")). ``initlab.library_path`` says which.
See docs/python.md.
"""

import ctypes
import json
import math
import operator
import os
import signal
import sys
import threading

try:
    import numpy as np
except ImportError as _e:  # pragma: no cover - the message is the point
    raise ImportError(
        f"initlab needs numpy, which this Python ({sys.executable}) does not have. Debian's "
        "python3 has it (apt-get install python3-numpy; scripts/install-deps.sh does), and so "
        "does a venv made by '/usr/bin/python3 -m venv --system-site-packages' "
        "(docs/python.md)") from _e

from . import _lib
from ._version import __version__

__all__ = ["Error", "init", "init_", "describe", "gain", "theory", "run", "library_path",
           "__version__"]

_L, library_path = _lib.load()

IL_OK = 0
IL_EINVAL = 2
IL_ENOTFOUND = 4
IL_ERANGE = 7
IL_ECANCELED = 9
_STATUS_NAMES = {IL_EINVAL: "IL_EINVAL", IL_ENOTFOUND: "IL_ENOTFOUND",
                 IL_ERANGE: "IL_ERANGE", IL_ECANCELED: "IL_ECANCELED"}
for _code, _name in _STATUS_NAMES.items():  # the numbers above are the header's
    if _L.il_status_name(_code).decode() != _name:
        raise ImportError(f"initlab: {library_path} numbers its statuses otherwise ({_name})")

_LAYOUTS = ("dense", "torch", "keras")
_RNGS = ("fast", "philox", "mt19937")
_MAX_DEPTH = 100000  # cli/cmd_theory.c's MAX_DEPTH


class Error(Exception):
    """An error the library reported.

    Attributes: message (initlab's text), status (its il_status name, e.g.
    "IL_ENOTFOUND"), code (the il_status number)."""

    def __init__(self, code, message):
        self.code = code
        self.status = _L.il_status_name(code).decode()
        self.message = message
        super().__init__(f"{message} [{self.status}]")


def _raise(code, err=None):
    text = err.message.decode("utf-8", "replace") if err is not None else ""
    raise Error(code, text or _L.il_status_str(code).decode())


def _check(code, err=None):
    if code != IL_OK:
        _raise(code, err)


def _text(value, what):
    """A spec or name as the C string the library reads."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    b = value.encode("utf-8")
    if b"\0" in b:
        raise ValueError(f"{what} contains a NUL character")
    return b


def _parse_init(spec):
    init, err = _lib.il_init(), _lib.il_error()
    _check(_L.il_init_parse(_text(spec, "spec"), ctypes.byref(init), ctypes.byref(err)), err)
    return init


def _layout(name):
    code = _L.il_layout_from_name(_text(name, "layout"))
    if code < 0:
        raise Error(IL_ENOTFOUND, f"unknown layout '{name}' (valid: {', '.join(_LAYOUTS)})")
    return code


def _rng_type(name):
    t = _L.il_rng_find(_text(name, "rng"))
    if not t:
        raise Error(IL_ENOTFOUND, f"unknown generator '{name}' (valid: {', '.join(_RNGS)})")
    return t


def _seed(seed, rng_type):
    seed = operator.index(seed)
    head = rng_type.contents
    if not 0 <= seed <= head.seed_max:  # checked here: ctypes would wrap it silently
        raise Error(IL_ERANGE, f"seed {seed} is out of range for {head.name.decode()} "
                               f"(0..{head.seed_max})")
    return seed


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a sequence of ints, not {shape!r}") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"shape {dims}: negative dimension")
    return dims


def _dtype(dtype):
    dt = np.dtype({"f64": "float64", "f32": "float32"}.get(dtype, dtype))
    if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise TypeError(f"initlab makes float64 or float32 arrays, not {dt}")
    return dt


def _c_shape(dims):
    return (ctypes.c_size_t * max(len(dims), 1))(*dims)


def _fill(arr, spec, layout, seed, rng):
    """Fill the C-contiguous, aligned, writable float64/float32 'arr' as
    cli/cmd_init.c does: parse, layout, generator, describe, then fill."""
    init = _parse_init(spec)
    lay = _layout(layout)
    rt = _rng_type(rng)
    seed = _seed(seed, rt)
    dims, err = _c_shape(arr.shape), _lib.il_error()
    target = _lib.il_init_target()
    _check(_L.il_init_describe(ctypes.byref(init), dims, arr.ndim, lay, ctypes.byref(target),
                               ctypes.byref(err)), err)
    gen = ctypes.c_void_p()
    _check(_L.il_rng_new(rt, seed, ctypes.byref(gen)))
    try:
        fill = _L.il_init_fill_f32 if arr.dtype == np.float32 else _L.il_init_fill
        _check(fill(ctypes.byref(init), dims, arr.ndim, lay, gen, arr.ctypes.data,
                    ctypes.byref(err)), err)
    finally:
        _L.il_rng_free(gen)


def init(spec, shape, layout="torch", seed=100, rng="philox", dtype="float64"):
    """A new array of 'shape' drawn by the initializer 'spec'.

    spec: "NAME[:key=value,...]" (``initlab list inits``), e.g.
    "kaiming_normal:nonlinearity=relu". layout: how the shape is read for
    fans: "torch" (out, in, k...), "keras" (k..., in, out) or "dense"
    (in, out; the CLI's default). seed and rng ("philox" alias "fast", or
    "mt19937", numpy's legacy RandomState): as ``initlab init``'s --seed and
    --rng. dtype: float64 ("f64") or float32 ("f32": the float64 values
    rounded). The result equals, bit for bit, np.load of
    ``initlab init SPEC --shape D0,D1,... --layout L --seed S --rng R
    --dtype T --out F.npy``."""
    dims = _shape(shape)
    arr = np.empty(dims, dtype=_dtype(dtype))
    _fill(arr, spec, layout, seed, rng)
    return arr


def _torch_view(tensor):
    """The numpy array sharing a CPU torch tensor's memory, or None if
    'tensor' is no torch tensor (torch is never imported here)."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(tensor, torch.Tensor):
        return None
    if tensor.device.type != "cpu":
        raise ValueError(f"initlab.init_ fills CPU tensors; this one is on {tensor.device} "
                         "(fill a CPU tensor and copy it: t.copy_(torch.from_numpy(...)))")
    if tensor.dtype not in (torch.float64, torch.float32):
        raise TypeError(f"initlab.init_ fills float64 or float32 tensors, not {tensor.dtype}")
    if not tensor.is_contiguous():
        raise ValueError("initlab.init_ fills C-contiguous tensors only; this one has strides "
                         f"{tuple(tensor.stride())} for shape {tuple(tensor.shape)} (fill a "
                         "contiguous one and copy it)")
    return tensor.detach().numpy()  # the same memory: no copy


def init_(tensor, spec, layout="torch", seed=100, rng="philox"):
    """Fill 'tensor' in place, as init() would make it, and return it.

    tensor: a numpy array, or a torch tensor on the CPU (torch is used only
    if it is already imported), C-contiguous, float64 or float32 (float32:
    init()'s float64 values rounded, made in pieces without a float64 copy
    of the tensor). Its shape is read in 'layout' as in init(). The memory is
    written directly, as torch.nn.init's functions do under no_grad: call it
    on parameters before training, not on tensors saved for a backward pass."""
    arr = _torch_view(tensor)
    if arr is None:
        if not isinstance(tensor, np.ndarray):
            raise TypeError("initlab.init_ fills a numpy array or a torch tensor, not "
                            f"{type(tensor).__name__}")
        arr = tensor
    if arr.dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise TypeError(f"initlab.init_ fills float64 or float32 arrays (native byte order), "
                        f"not {arr.dtype}")
    if not arr.flags.c_contiguous:
        raise ValueError("initlab.init_ fills C-contiguous arrays only; this one has strides "
                         f"{arr.strides} for shape {arr.shape} (fill np.ascontiguousarray "
                         "of it, or init() a new one, and copy back)")
    if not arr.flags.writeable:
        raise ValueError("initlab.init_: the array is read-only")
    if not arr.flags.aligned:
        raise ValueError("initlab.init_: the array's data is not aligned for its dtype")
    _fill(arr, spec, layout, seed, rng)
    return tensor


def _num(v):
    """A double as the CLI's JSON writes it: None where it is not finite."""
    return v if math.isfinite(v) else None


def describe(spec, shape, layout="torch"):
    """What 'spec' aims at on a tensor of 'shape' in 'layout', before any draw.

    Returns {"spec" (canonical), "formula", "fan_in", "fan_out", "gain",
    "mean", "std", "bound", "lo", "hi", "density"}: std is the normal's
    before any truncation (cut to [lo, hi]), bound a uniform's half-width,
    density the share of entries drawn (sparse); None where a value does not
    apply (fans of a 1-d tensor, a normal's bound)."""
    init = _parse_init(spec)
    dims = _shape(shape)
    lay = _layout(layout)
    c_dims, err, target = _c_shape(dims), _lib.il_error(), _lib.il_init_target()
    _check(_L.il_init_describe(ctypes.byref(init), c_dims, len(dims), lay,
                               ctypes.byref(target), ctypes.byref(err)), err)
    fan_in = fan_out = None
    if len(dims) >= 2:
        fi, fo = ctypes.c_size_t(), ctypes.c_size_t()
        if _L.il_fan_compute(c_dims, len(dims), lay, ctypes.byref(fi), ctypes.byref(fo),
                             None) == IL_OK:
            fan_in, fan_out = fi.value, fo.value
    canon = ctypes.create_string_buffer(1024)
    _L.il_init_format(ctypes.byref(init), canon, len(canon))
    out = {"spec": canon.value.decode(), "formula": init.type.contents.formula.decode(),
           "fan_in": fan_in, "fan_out": fan_out}
    for key in ("gain", "mean", "std", "bound", "lo", "hi", "density"):
        out[key] = _num(getattr(target, key))
    return out


def gain(nonlinearity, param=None):
    """torch.nn.init.calculate_gain(nonlinearity, param): 1 for linear,
    identity, the convolutions and sigmoid; 5/3 for tanh; sqrt(2) for relu;
    sqrt(2 / (1 + a^2)) for leaky_relu (param a, default 0.01); 3/4 for
    selu; and for the library's other activations (elu, gelu, silu,
    softplus, mish, hardtanh, softsign) 1/sqrt(E[f(z)^2])."""
    value, err = ctypes.c_double(), _lib.il_error()
    p = math.nan if param is None else float(param)  # NAN: the library's "default"
    if param is not None and math.isnan(p):
        raise Error(IL_EINVAL, "gain: param is NaN (give None for the default)")
    _check(_L.il_init_gain(_text(nonlinearity, "nonlinearity"), p, ctypes.byref(value),
                           ctypes.byref(err)), err)
    return value.value


def _sigma(name, value):
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise Error(IL_EINVAL, f"invalid value {value!r} for {name}: expected a finite "
                               "number >= 0")
    return v


def theory(act="relu", sigma_w2=None, sigma_b2=0.0, depth=10, input_q=1.0, init=None,
           width=None, critical=False):
    """Mean-field predictions for a wide random network: ``initlab theory
    --json`` as a dict.

    Weights of variance sigma_w2 / fan_in (default 1; or, with init=SPEC and
    width=N, sigma_w2 = N * E[w^2] of that initializer on N x N), biases of
    variance sigma_b2, inputs with E[x^2] = input_q, 'depth' layers (1..100000).
    Returns {"q_star", "c_star", "chi1", "xi_q", "xi_c", "layers": [{"layer",
    "q", "act_mean", "act_std"}, ...]}, and "critical_sigma_w2" (the edge of
    chaos, chi1 = 1, or None if there is none in [1e-3, 1e3]) with
    critical=True; None where a value is undefined (docs/theory.md)."""
    a, err = _lib.il_act(), _lib.il_error()
    _check(_L.il_act_parse(_text(act, "act"), ctypes.byref(a), ctypes.byref(err)), err)
    depth = operator.index(depth)
    if not 1 <= depth <= _MAX_DEPTH:
        raise Error(IL_EINVAL, f"depth must be 1..{_MAX_DEPTH}")
    sigma_b2 = _sigma("sigma_b2", sigma_b2)
    input_q = _sigma("input_q", input_q)
    if init is not None and sigma_w2 is not None:
        raise Error(IL_EINVAL, "give sigma_w2 or init, not both")
    sw2 = 1.0 if sigma_w2 is None else _sigma("sigma_w2", sigma_w2)
    if init is not None:
        if not width:
            raise Error(IL_EINVAL, "init needs width=N (the layers' fan_in)")
        width = operator.index(width)
        t = _lib.il_init_target()
        _check(_L.il_init_describe(ctypes.byref(_parse_init(init)), _c_shape((width, width)),
                                   2, 0, ctypes.byref(t), ctypes.byref(err)), err)
        mean, var = ctypes.c_double(), ctypes.c_double()
        _L.il_init_target_moments(ctypes.byref(t), ctypes.byref(mean), ctypes.byref(var))
        sw2 = width * (var.value + mean.value * mean.value)  # E[w^2], as cmd_theory.c
        if not math.isfinite(sw2):
            raise Error(IL_EINVAL, f"'{init}' has no variance to map (give sigma_w2)")
    layers, th = (_lib.il_theory_layer * depth)(), _lib.il_theory()
    _check(_L.il_theory_run(ctypes.byref(a), sw2, sigma_b2, input_q, depth, layers,
                            ctypes.byref(th)))
    out = {k: _num(getattr(th, k)) for k in ("q_star", "c_star", "chi1", "xi_q", "xi_c")}
    if critical:
        crit = ctypes.c_double(math.nan)
        if _L.il_theory_critical(ctypes.byref(a), sigma_b2, input_q,
                                 ctypes.byref(crit)) != IL_OK:
            crit.value = math.nan  # no edge of chaos in [1e-3, 1e3]
        out["critical_sigma_w2"] = _num(crit.value)
    out["layers"] = [{"layer": i + 1, "q": _num(l.q), "act_mean": _num(l.act_mean),
                      "act_std": _num(l.act_std)} for i, l in enumerate(layers)]
    return out


def _default_memory_cap():
    """cli/options.c's default --max-memory: half the RAM, at most 8 GiB."""
    cap = 8 << 30
    try:
        half = os.sysconf("SC_PHYS_PAGES") // 2 * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return cap
    return min(cap, half) if half > 0 else cap


def run(spec, max_memory=None, progress=None):
    """Run the arms of 'spec' and return the report, as a dict.

    spec: a dict (or its JSON text) in the form of ``initlab run --config
    FILE.json`` (docs/run.md): {"depth", "width" or "widths", "batch",
    "seed", "arms": [{"init", "act", "bias"}, ...], "grad", "theory"}. The
    result equals json.load of the report.json that command writes.
    max_memory: refuse runs that need more bytes (default: the CLI's, half
    the RAM and at most 8 GiB; 0: no limit). progress: called as
    progress(done, total) after each layer. Ctrl-C stops the run (in the main
    thread), raising KeyboardInterrupt."""
    if isinstance(spec, (str, bytes)):
        text = spec.encode("utf-8") if isinstance(spec, str) else spec
    else:
        text = json.dumps(spec, allow_nan=False).encode("utf-8")
    cap = _default_memory_cap() if max_memory is None else operator.index(max_memory)
    if cap < 0:
        raise ValueError("max_memory must be >= 0")
    stop = []  # why the run should stop: a SIGINT, or what progress() raised
    hooks = _lib.il_run_hooks()
    if progress is not None:
        def tell(ctx, done, total):
            try:
                progress(done, total)
            except BaseException as e:  # ctypes would print it and go on
                stop.append(e)
        hooks.progress = _lib.PROGRESS_FN(tell)

    def on_sigint(signum, frame):
        stop.append(KeyboardInterrupt())

    # A Python SIGINT handler runs when Python code next runs in the main
    # thread: here, in the cancel hook that the library calls after each layer.
    hooks.cancel = _lib.CANCEL_FN(lambda ctx: 1 if stop else 0)
    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.getsignal(signal.SIGINT)
        if old is not None:  # None: a handler set outside Python, which cannot be put back
            signal.signal(signal.SIGINT, on_sigint)
    buf, err = _lib.il_membuf(), _lib.il_error()
    try:
        code = _L.il_run_json_report(text, len(text), cap, ctypes.byref(hooks),
                                     _lib.membuf_write_fn(_L), ctypes.byref(buf),
                                     ctypes.byref(err))
        report = ctypes.string_at(buf.data, buf.len) if code == IL_OK else b""
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
        _L.il_membuf_release(ctypes.byref(buf))
    if code == IL_ECANCELED and stop:
        raise stop[0]
    _check(code, err)
    return json.loads(report)
