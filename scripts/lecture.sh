#!/usr/bin/env bash
# Quick start 1: install the dependencies, build initlab into build/, and run
# `initlab lecture` (extra arguments are passed on, e.g. `--seed 7`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build
exec build/initlab lecture "$@"
