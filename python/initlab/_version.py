# SPDX-License-Identifier: MIT
"""The package's version: the library's (CMakeLists.txt's project VERSION).

The ctypes declarations in _lib.py mirror the C headers of this version, so
_lib refuses a library of another version (tests/test_package.py checks
that this line and CMakeLists.txt agree)."""

__version__ = "0.1.0"
