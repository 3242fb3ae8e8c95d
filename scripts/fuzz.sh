#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan+UBSan) and run each one.
#
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  time per target (default 600, the CIFuzz default; CI uses 20)
#   TARGET   npy, csv, spec, idx, request, json, http, npz, safetensors, netdesc (default: all)
#
# Each target first replays its seed corpus and every saved regression
# (fuzz/regressions/TARGET/) once, then fuzzes for SECONDS from a scratch
# copy of the corpus, so the repository is left alone. A crash, leak,
# timeout or out-of-memory stops the script with the input saved in
# fuzz/crashes/ (move it to fuzz/regressions/TARGET/ once fixed). The last
# lines per target (runs, coverage, corpus size) are printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(npy csv spec idx request json http npz safetensors netdesc)

scripts/install-deps.sh
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DINITLAB_FUZZ=ON -DINITLAB_TESTS=OFF >/dev/null
fi
cmake --build build-fuzz --target $(printf 'fuzz_%s ' "${targets[@]}") >build-fuzz/build.log 2>&1 || {
    tail -30 build-fuzz/build.log >&2; echo "fuzz: the build failed (build-fuzz/build.log)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p fuzz/crashes
summary=()
for t in "${targets[@]}"; do
    exe=build-fuzz/fuzz/fuzz_$t
    seeds=(fuzz/corpus/$t)
    [ "$t" = npy ] && seeds+=(tests/golden/npy)
    [ -d fuzz/regressions/$t ] && seeds+=(fuzz/regressions/$t)
    dict=()
    [ -f fuzz/$t.dict ] && dict=(-dict=fuzz/$t.dict)
    maxlen=65536
    [ "$t" = csv ] && maxlen=1048576
    opts=(-timeout=10 -rss_limit_mb=2048 -max_len=$maxlen -artifact_prefix=fuzz/crashes/${t}- "${dict[@]}")
    echo "fuzz_$t: replaying ${seeds[*]}"
    "$exe" "${opts[@]}" -runs=0 "${seeds[@]}" >"$work/$t.replay" 2>&1 || {
        tail -30 "$work/$t.replay" >&2; echo "fuzz_$t: the replay failed" >&2; exit 1; }
    mkdir -p "$work/corpus-$t"
    echo "fuzz_$t: fuzzing for $seconds s"
    "$exe" "${opts[@]}" -max_total_time="$seconds" -print_final_stats=1 \
        "$work/corpus-$t" "${seeds[@]}" >"$work/$t.log" 2>&1 || {
        tail -40 "$work/$t.log" >&2; echo "fuzz_$t: FAILED (input in fuzz/crashes/)" >&2; exit 1; }
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$t.log" | tail -1 || true)
    runs=$(grep -E '^stat::number_of_executed_units' "$work/$t.log" | awk '{print $2}')
    summary+=("fuzz_$t: $runs runs in $seconds s; ${done_line:-no DONE line}; new corpus files: $(ls "$work/corpus-$t" | wc -l)")
done
printf '%s\n' "${summary[@]}"
