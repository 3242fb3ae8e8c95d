#!/usr/bin/env bash
# Quick start 2: install the dependencies and run the whole test suite:
#   1. the format check (clang-format);
#   2. the release build (gcc, warnings as errors) into build/ and its tests;
#   3. a clang build (warnings as errors) and its tests;
#   4. an ASan+UBSan build and its tests;
#   5. static analysis (cppcheck, clang-tidy: scripts/lint.sh);
#   6. each fuzz target for 20 s under ASan+UBSan, after replaying its
#      corpus (scripts/fuzz.sh; 600 s runs are documented in docs/reliability.md, "Fuzzing").
# The gcc build's tests include the CLI once under valgrind.
# Ends with one line "N passed, N failed" over all test programs.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1

failed=0 passed=0
step() { echo; echo "== $*"; }
tally() { # tally NAME RC
  if [ "$2" -eq 0 ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAILED: $1" >&2; fi
}

step "format check"
scripts/format.sh; tally "format check" $?

for preset in release clang asan; do
  step "$preset build"
  if cmake --preset "$preset" >/dev/null && cmake --build --preset "$preset"; then
    step "$preset tests"
    ctest --preset "$preset" --parallel 2 --output-on-failure 2>&1 | tee "build-$preset.ctest.log" | grep -E "tests passed|Failed|\*\*\*" || true
    # ctest's summary counts test programs; count them into ours.
    n_ok=$(grep -Ec "Test +#[0-9]+: .* Passed" "build-$preset.ctest.log")
    n_bad=$(grep -Ec "Test +#[0-9]+: .*(\*\*\*|Failed|Not Run)" "build-$preset.ctest.log")
    passed=$((passed+n_ok)); failed=$((failed+n_bad))
    [ "$n_ok" -gt 0 ] || { failed=$((failed+1)); echo "FAILED: no $preset tests ran" >&2; }
    # what a failing test printed, for the CI log (the log file goes next)
    [ "$n_bad" -gt 0 ] && grep -Ev "^(ok |  +Start|[0-9]+/[0-9]+ Test)" "build-$preset.ctest.log" | tail -120 >&2
    rm -f "build-$preset.ctest.log"
  else
    tally "$preset build" 1
  fi
done

step "static analysis"
scripts/lint.sh; tally "static analysis" $?

step "fuzzing (20 s per target)"
scripts/fuzz.sh 20; tally "fuzzing" $?

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
