# SPDX-License-Identifier: MIT
"""Finding libinitlab.so and declaring, with ctypes, the C functions used.

No compiler is involved (ctypes is in the standard library); the
structures below mirror include/initlab/*.h of the version in _version.py,
and load() refuses a library that reports another version, since a
mismatched layout would corrupt memory rather than fail.

The library is looked for in this order; the first that exists is loaded:

1. the file named by the environment variable INITLAB_LIBRARY (an error
   if it is set and cannot be loaded: no silent fallback);
2. next to this package (initlab/libinitlab.so.0 or initlab/libinitlab.so),
   where an installed copy keeps it;
3. the build tree of the source checkout this package sits in:
   <repo>/build/libinitlab.so, from ``cmake --preset release`` and
   ``cmake --build build``;
4. the system: ctypes.util.find_library("initlab"), e.g. after
   ``cmake --install build`` and ``ldconfig``.
"""

import ctypes
import ctypes.util
import os

from ._version import __version__

_HERE = os.path.dirname(os.path.abspath(__file__))

c_double_p = ctypes.POINTER(ctypes.c_double)
c_size_t_p = ctypes.POINTER(ctypes.c_size_t)

# il_init and il_act hold IL_MAX_PARAMS values (initlab/spec.h: 6, then
# 8). Python only passes them to the library and reads their first field,
# so they get room for more: a larger buffer than the C struct is safe, a
# smaller one would be overrun. tests/test_package.py compiles the headers
# and checks every structure here against them.
IL_PARAMS_ROOM = 16


class il_error(ctypes.Structure):  # initlab/spec.h
    _fields_ = [("message", ctypes.c_char * 512)]


class il_value(ctypes.Structure):  # initlab/spec.h
    _fields_ = [("number", ctypes.c_double), ("choice", ctypes.c_int)]


class il_init_type_head(ctypes.Structure):  # initlab/init.h: the first fields
    _fields_ = [("name", ctypes.c_char_p), ("formula", ctypes.c_char_p),
                ("source", ctypes.c_char_p)]


class il_init(ctypes.Structure):  # initlab/init.h
    _fields_ = [("type", ctypes.POINTER(il_init_type_head)),
                ("values", il_value * IL_PARAMS_ROOM)]


class il_act(ctypes.Structure):  # initlab/act.h
    _fields_ = [("type", ctypes.c_void_p), ("values", il_value * IL_PARAMS_ROOM)]


class il_init_target(ctypes.Structure):  # initlab/init.h
    _fields_ = [(name, ctypes.c_double)
                for name in ("gain", "mean", "std", "bound", "lo", "hi", "density")]


class il_rng_type_head(ctypes.Structure):  # initlab/rng.h: the first fields
    _fields_ = [("name", ctypes.c_char_p), ("summary", ctypes.c_char_p),
                ("seed_max", ctypes.c_uint64)]


class il_theory_layer(ctypes.Structure):  # initlab/theory.h
    _fields_ = [("q", ctypes.c_double), ("act_mean", ctypes.c_double),
                ("act_std", ctypes.c_double)]


class il_theory(ctypes.Structure):  # initlab/theory.h
    _fields_ = [(name, ctypes.c_double)
                for name in ("q_star", "c_star", "chi1", "xi_q", "xi_c")]


class il_membuf(ctypes.Structure):  # initlab/sink.h
    _fields_ = [("data", ctypes.POINTER(ctypes.c_ubyte)), ("len", ctypes.c_size_t),
                ("cap", ctypes.c_size_t)]


PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t)
CANCEL_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class il_run_hooks(ctypes.Structure):  # initlab/run.h
    _fields_ = [("progress", PROGRESS_FN), ("cancel", CANCEL_FN),
                ("on_layer", ctypes.c_void_p), ("ctx", ctypes.c_void_p)]


_P = ctypes.POINTER
_ERR = _P(il_error)
_STATUS = ctypes.c_int  # il_status
# name: (restype, argtypes)
_PROTOTYPES = {
    "il_version": (ctypes.c_char_p, []),
    "il_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "il_status_str": (ctypes.c_char_p, [ctypes.c_int]),
    "il_layout_from_name": (ctypes.c_int, [ctypes.c_char_p]),
    "il_rng_find": (_P(il_rng_type_head), [ctypes.c_char_p]),
    "il_rng_new": (_STATUS, [_P(il_rng_type_head), ctypes.c_uint64, _P(ctypes.c_void_p)]),
    "il_rng_free": (None, [ctypes.c_void_p]),
    "il_init_parse": (_STATUS, [ctypes.c_char_p, _P(il_init), _ERR]),
    "il_init_format": (ctypes.c_size_t, [_P(il_init), ctypes.c_char_p, ctypes.c_size_t]),
    "il_init_describe": (_STATUS, [_P(il_init), c_size_t_p, ctypes.c_size_t, ctypes.c_int,
                                   _P(il_init_target), _ERR]),
    "il_init_target_moments": (None, [_P(il_init_target), c_double_p, c_double_p]),
    "il_fan_compute": (_STATUS, [c_size_t_p, ctypes.c_size_t, ctypes.c_int, c_size_t_p,
                                 c_size_t_p, _ERR]),
    "il_init_fill": (_STATUS, [_P(il_init), c_size_t_p, ctypes.c_size_t, ctypes.c_int,
                               ctypes.c_void_p, ctypes.c_void_p, _ERR]),
    "il_init_fill_f32": (_STATUS, [_P(il_init), c_size_t_p, ctypes.c_size_t, ctypes.c_int,
                                   ctypes.c_void_p, ctypes.c_void_p, _ERR]),
    "il_init_gain": (_STATUS, [ctypes.c_char_p, ctypes.c_double, c_double_p, _ERR]),
    "il_act_parse": (_STATUS, [ctypes.c_char_p, _P(il_act), _ERR]),
    "il_theory_run": (_STATUS, [_P(il_act), ctypes.c_double, ctypes.c_double, ctypes.c_double,
                                ctypes.c_size_t, _P(il_theory_layer), _P(il_theory)]),
    "il_theory_critical": (_STATUS, [_P(il_act), ctypes.c_double, ctypes.c_double,
                                     c_double_p]),
    "il_membuf_release": (None, [_P(il_membuf)]),
    "il_run_json_report": (_STATUS, [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t,
                                     _P(il_run_hooks), ctypes.c_void_p, ctypes.c_void_p, _ERR]),
}


def _candidates():
    """(where, path) pairs in the documented order, the env var excepted."""
    for name in ("libinitlab.so.0", "libinitlab.so"):
        yield "next to the package", os.path.join(_HERE, name)
    root = os.path.dirname(os.path.dirname(_HERE))  # python/initlab -> the checkout
    yield "the build tree", os.path.join(root, "build", "libinitlab.so")


def _open(path):
    lib = ctypes.CDLL(path)
    missing = [name for name in _PROTOTYPES if not hasattr(lib, name)]
    if missing:
        raise ImportError(f"initlab: {path} lacks {', '.join(missing)}: it is not this "
                          f"version's libinitlab (the package is {__version__})")
    version = lib.il_version
    version.restype = ctypes.c_char_p
    got = version().decode()
    if got != __version__:
        raise ImportError(f"initlab: {path} is libinitlab {got}; this package declares the "
                          f"C interface of {__version__} (install the matching library, or "
                          f"point INITLAB_LIBRARY at it)")
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def _open_reported(path, where):
    try:
        return _open(path), path
    except OSError as e:
        raise ImportError(f"initlab: cannot load {path} ({where}): {e}") from e


def load():
    """Load libinitlab: returns (the ctypes.CDLL, the path it came from)."""
    env = os.environ.get("INITLAB_LIBRARY")
    if env:
        return _open_reported(env, "named by INITLAB_LIBRARY")
    for where, path in _candidates():
        if os.path.exists(path):
            return _open_reported(path, where)
    name = ctypes.util.find_library("initlab")
    if name:
        return _open_reported(name, "found on the system")
    tried = ", ".join(path for _, path in _candidates())
    raise ImportError("initlab: libinitlab.so not found. Looked at $INITLAB_LIBRARY (unset), "
                      f"{tried} and the system's libraries (ctypes.util.find_library). Build "
                      "it (cmake --preset release && cmake --build build) or set "
                      "INITLAB_LIBRARY=/path/to/libinitlab.so (docs/python.md).")


def membuf_write_fn(lib):
    """il_membuf_write as a C function pointer, for il_write_fn arguments."""
    return ctypes.cast(lib.il_membuf_write, ctypes.c_void_p)
