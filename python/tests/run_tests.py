# SPDX-License-Identifier: MIT
"""ctest's `python` test: pytest over python/tests, on the initlab package of
this checkout (python/), with the library and program named by the
environment (tests/CMakeLists.txt sets INITLAB_LIBRARY and INITLAB_CLI).

Missing numpy or pytest is a failure with the fix named, never a skip."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
missing = []
for module, package in (("numpy", "python3-numpy"), ("pytest", "python3-pytest")):
    try:
        __import__(module)
    except ImportError:
        missing.append(f"{module} ({package})")
if missing:
    print(f"python test: {sys.executable} lacks {', '.join(missing)}: run "
          "scripts/install-deps.sh, or apt-get install the package named", file=sys.stderr)
    sys.exit(1)

import pytest  # noqa: E402

# -rs: the reason of any skip in the summary; no cache folder in the source tree
rc = pytest.main(["-q", "-rs", "-p", "no:cacheprovider", HERE])
if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
    print("python test: pytest collected no test", file=sys.stderr)
    rc = 1
sys.exit(int(rc))
