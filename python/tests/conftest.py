# SPDX-License-Identifier: MIT
"""Shared fixtures: the package from this checkout, the CLI to compare with."""
import os
import subprocess
import sys

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(PYTHON_DIR)
sys.path.insert(0, PYTHON_DIR)  # this checkout's package, not an installed one


@pytest.fixture(scope="session")
def cli():
    """Run the initlab program ($INITLAB_CLI, else <repo>/build/initlab)."""
    path = os.environ.get("INITLAB_CLI") or os.path.join(REPO, "build", "initlab")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no initlab program at {path}: build it, or set INITLAB_CLI")

    # the sanitizer runtime preloaded for Python (tests/CMakeLists.txt) is
    # none of the program's business: clang's programs carry their own
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

    def run(*args):
        done = subprocess.run([path, *args], capture_output=True, text=True, env=env)
        assert done.returncode == 0, f"initlab {' '.join(args)}: {done.stderr}"
        return done.stdout
    return run
