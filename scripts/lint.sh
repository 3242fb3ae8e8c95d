#!/usr/bin/env bash
# Static analysis: cppcheck and clang-tidy (.clang-tidy says which checks
# and why some are off); any finding fails. Needs build/compile_commands.json
# (cmake --preset release makes it).
# usage: scripts/lint.sh
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
echo "cppcheck"
cppcheck --quiet --enable=warning,performance,portability --std=c11 --inline-suppr \
    -I include -I src --error-exitcode=1 src cli tests fuzz || rc=1
echo "clang-tidy"
[ -f build/compile_commands.json ] || { echo "lint: run 'cmake --preset release' first" >&2; exit 1; }
out=$(ls src/*/*.c cli/*.c | xargs -P2 -n4 clang-tidy -p build --quiet 2>/dev/null | grep -E "(warning|error):")
if [ -n "$out" ]; then echo "$out" >&2; rc=1; fi
[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
