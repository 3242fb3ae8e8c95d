# SPDX-License-Identifier: MIT
"""The package itself: its version, where it finds the library (the order
_lib.py's docstring states) and what it says when something is missing."""
import ctypes
import os
import re
import shutil
import subprocess
import sys

import initlab
from initlab import _lib
from conftest import PYTHON_DIR, REPO


def test_this_checkouts_package_and_library():
    assert os.path.dirname(initlab.__file__) == os.path.join(PYTHON_DIR, "initlab")
    if os.environ.get("INITLAB_LIBRARY"):  # ctest names this build's library
        assert initlab.library_path == os.environ["INITLAB_LIBRARY"]


def test_version_is_the_projects():
    with open(os.path.join(REPO, "CMakeLists.txt")) as f:
        m = re.search(r"project\(initlab VERSION (\S+)", f.read())
    assert m and initlab.__version__ == m.group(1)


def python(code, cwd, **env):
    """Run 'code' in a fresh interpreter; the environment without
    INITLAB_LIBRARY unless given."""
    e = {k: v for k, v in os.environ.items() if k not in ("INITLAB_LIBRARY", "PYTHONPATH")}
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=e, capture_output=True,
                          text=True)


def copy_package(dest):
    shutil.copytree(os.path.join(PYTHON_DIR, "initlab"), dest,
                    ignore=shutil.ignore_patterns("__pycache__", "*.so*"))


def this_library():
    return initlab.library_path  # a real libinitlab.so of this version


PRINT_PATH = "import initlab; print(initlab.library_path)"


def test_lookup_order(tmp_path):
    # a checkout's layout: tmp/python/initlab and tmp/build/libinitlab.so
    pkg = tmp_path / "python" / "initlab"
    copy_package(pkg)
    (tmp_path / "build").mkdir()
    in_build = tmp_path / "build" / "libinitlab.so"
    os.symlink(this_library(), in_build)
    run = python(PRINT_PATH, cwd=tmp_path / "python")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(in_build)  # 3. the build tree
    beside = pkg / "libinitlab.so.0"
    os.symlink(this_library(), beside)
    run = python(PRINT_PATH, cwd=tmp_path / "python")
    assert run.stdout.strip() == str(beside)  # 2. next to the package, before the build tree
    other = tmp_path / "elsewhere.so"
    os.symlink(this_library(), other)
    run = python(PRINT_PATH, cwd=tmp_path / "python", INITLAB_LIBRARY=str(other))
    assert run.stdout.strip() == str(other)  # 1. INITLAB_LIBRARY, before both


def test_a_bad_initlab_library_is_an_error_not_a_fallback(tmp_path):
    missing = tmp_path / "nope.so"
    run = python(PRINT_PATH, cwd=PYTHON_DIR, INITLAB_LIBRARY=str(missing))
    assert run.returncode != 0
    assert f"cannot load {missing} (named by INITLAB_LIBRARY)" in run.stderr


def test_no_library_anywhere_says_where_it_looked(tmp_path):
    pkg = tmp_path / "python" / "initlab"
    copy_package(pkg)
    # 4. the system: only if ldconfig knows a libinitlab (not in this test)
    code = ("import ctypes.util; ctypes.util.find_library = lambda name: None\n" + PRINT_PATH)
    run = python(code, cwd=tmp_path / "python")
    assert run.returncode != 0
    assert "libinitlab.so not found" in run.stderr
    assert str(tmp_path / "build" / "libinitlab.so") in run.stderr


def test_a_library_of_another_version_is_refused(tmp_path):
    pkg = tmp_path / "python" / "initlab"
    copy_package(pkg)
    version = pkg / "_version.py"
    version.write_text(version.read_text().replace(initlab.__version__, "9.9.9"))
    run = python(PRINT_PATH, cwd=tmp_path / "python", INITLAB_LIBRARY=this_library())
    assert run.returncode != 0
    assert f"is libinitlab {initlab.__version__}; this package declares the C interface of " \
           "9.9.9" in run.stderr


def test_without_numpy_the_import_says_how_to_get_it():
    run = python("import sys; sys.modules['numpy'] = None; import initlab", cwd=PYTHON_DIR)
    assert run.returncode != 0
    assert "initlab needs numpy" in run.stderr and "python3-numpy" in run.stderr


# Every structure _lib.py declares, against the C headers of this checkout:
# (ctypes class, C type, how): "exact" size and offsets; "prefix" the
# offsets of the fields declared (the first of a larger struct); "room" the
# offsets, and a C size no larger than the declared one.
LAYOUTS = [
    (_lib.il_error, "il_error", "exact"),
    (_lib.il_value, "il_value", "exact"),
    (_lib.il_init_target, "il_init_target", "exact"),
    (_lib.il_theory_layer, "il_theory_layer", "exact"),
    (_lib.il_theory, "il_theory", "exact"),
    (_lib.il_membuf, "il_membuf", "exact"),
    (_lib.il_run_hooks, "il_run_hooks", "exact"),
    (_lib.il_init_type_head, "il_init_type", "prefix"),
    (_lib.il_rng_type_head, "il_rng_type", "prefix"),
    (_lib.il_init, "il_init", "room"),
    (_lib.il_act, "il_act", "room"),
]


def test_structures_match_the_headers(tmp_path):
    """The one check of the ctypes mirror: a C program built from the
    headers prints each size and offset (a compiler is here: the build's)."""
    cc = os.environ.get("INITLAB_CC") or shutil.which("cc")
    assert cc, "no C compiler to check the structures with (set INITLAB_CC)"
    lines = ["#include <stddef.h>", "#include <stdio.h>", '#include "initlab/initlab.h"',
             "int main(void) {"]
    for cls, ctype, _ in LAYOUTS:
        lines.append(f'printf("{ctype} %zu\\n", sizeof({ctype}));')
        for name, *_ in cls._fields_:
            lines.append(f'printf("{ctype}.{name} %zu\\n", offsetof({ctype}, {name}));')
    lines += ["return 0;", "}"]
    src, exe = tmp_path / "layout.c", tmp_path / "layout"
    src.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    built = subprocess.run([cc, "-std=c11", "-I", os.path.join(REPO, "include"), str(src), "-o",
                            str(exe)], capture_output=True, text=True, env=env)
    assert built.returncode == 0, built.stderr
    c = dict(line.split() for line in subprocess.run(
        [str(exe)], capture_output=True, text=True, env=env, check=True).stdout.splitlines())
    for cls, ctype, how in LAYOUTS:
        for name, *_ in cls._fields_:
            assert int(c[f"{ctype}.{name}"]) == getattr(cls, name).offset, f"{ctype}.{name}"
        if how == "exact":
            assert int(c[ctype]) == ctypes.sizeof(cls), ctype
        elif how == "room":
            assert int(c[ctype]) <= ctypes.sizeof(cls), ctype
