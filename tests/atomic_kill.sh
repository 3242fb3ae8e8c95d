#!/usr/bin/env bash
# Atomic outputs, proven (RELIABILITY.md rows 45-46): initlab is killed with
# SIGKILL at random moments while it writes a large .npy, CSV and PNG; after
# every kill the target is absent, the old file, or the complete new file
# (compared by SHA-256 with an uninterrupted run: outputs are
# deterministic), never partial. The next complete run removes the killed
# runs' temporary files. Then a full disk (ulimit -f) leaves the old file
# intact, no temporary file behind, and one clear error.
# usage: atomic_kill.sh PATH/TO/initlab [ITERATIONS]   (default 100 per format)
set -u
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
iters=${2:-100}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
passed=0 failed=0
ok()   { passed=$((passed+1)); echo "ok   $1"; }
fail() { failed=$((failed+1)); echo "FAIL $1" >&2; }
sha()  { [ -e "$1" ] && sha256sum "$1" | cut -d' ' -f1 || echo absent; }

# kill_loop NAME TARGET OLD_ARGS -- NEW_ARGS: OLD_ARGS make the old target,
# NEW_ARGS the new one, which is killed 'iters' times.
kill_loop() {
    local name=$1 target=$2; shift 2
    local old_args=() new_args=()
    while [ "$1" != "--" ]; do old_args+=("$1"); shift; done; shift
    new_args=("$@")
    "$exe" "${new_args[@]}" >/dev/null 2>&1 || { fail "$name: the new run fails"; return; }
    local new; new=$(sha "$target")
    "$exe" "${old_args[@]}" >/dev/null 2>&1 || { fail "$name: the old run fails"; return; }
    local old; old=$(sha "$target")
    [ "$old" != "$new" ] || { fail "$name: old and new outputs are the same"; return; }
    # how long the write takes, to spread the kills over it
    local t0 t1 span; t0=$(date +%s%N)
    "$exe" "${new_args[@]}" >/dev/null 2>&1; t1=$(date +%s%N)
    span=$(( (t1 - t0) / 1000000 )) # ms
    "$exe" "${old_args[@]}" >/dev/null 2>&1
    local bad=0 seen_old=0 seen_new=0 i
    for ((i = 0; i < iters; i++)); do
        "$exe" "${new_args[@]}" >/dev/null 2>&1 &
        local pid=$!
        sleep "$(awk -v ms=$(( RANDOM % (span + 1) )) 'BEGIN { printf "%.3f", ms / 1000 }')"
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        case $(sha "$target") in
            "$old") seen_old=$((seen_old+1)) ;;
            "$new") seen_new=$((seen_new+1)); "$exe" "${old_args[@]}" >/dev/null 2>&1 ;;
            *) bad=$((bad+1)) ;;
        esac
    done
    if [ $bad -eq 0 ]; then
        ok "$name: $iters kills over ${span} ms: old $seen_old, new $seen_new, partial 0"
    else
        fail "$name: $bad of $iters kills left a partial or foreign file"
    fi
    # one kill while the temporary file is there, then a complete run. A
    # fast write may finish between the poll that sees its temporary file
    # and the kill, so try again (up to 20 times) until a kill lands while
    # the file is there; only if none ever does is it a failure.
    local dir base stale=0 w attempt
    dir=$(dirname "$target"); base=$(basename "$target")
    for ((attempt = 1; attempt <= 20 && stale == 0; attempt++)); do
        "$exe" "${new_args[@]}" >/dev/null 2>&1 &
        pid=$!
        for ((w = 0; w < 4000; w++)); do
            [ -n "$(find "$dir" -maxdepth 1 -name ".$base.*" 2>/dev/null)" ] && break
            sleep 0.002
        done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        stale=$(find "$dir" -maxdepth 1 -name ".$base.*" | wc -l)
    done
    "$exe" "${new_args[@]}" >/dev/null 2>&1
    if [ "$stale" -ge 1 ] && [ "$(find "$dir" -maxdepth 1 -name ".$base.*" | wc -l)" -eq 0 ] &&
       [ "$(sha "$target")" = "$new" ]; then
        ok "$name: a kill mid-write left $stale temporary file(s) (attempt $((attempt - 1))); the next run removed them"
    else
        fail "$name: stale temporary files: $stale after the kill ($((attempt - 1)) attempts), $(find "$dir" -maxdepth 1 -name ".$base.*" | wc -l) after a complete run"
    fi
}

# 16 MiB of float64
kill_loop "npy" big.npy init normal --shape 2048,1024 --seed 1 --out big.npy -- \
    init normal --shape 2048,1024 --seed 2 --out big.npy
# stats.csv of 20000 layers (about 4 MiB), among the run's other files
kill_loop "csv" r/stats.csv run --arm lecture_he/relu --depth 20000 --width 4 --batch 4 --bins 5 \
    --seed 1 --out r -- run --arm lecture_he/relu --depth 20000 --width 4 --batch 4 --bins 5 --seed 2 --out r
# a 12-arm comparison figure
arms=()
for i in $(seq 1 12); do arms+=(--arm "normal:std=0.$i/tanh"); done
kill_loop "png" p/compare.png run "${arms[@]}" --depth 10 --width 50 --batch 200 --seed 1 --out p -- \
    run "${arms[@]}" --depth 10 --width 50 --batch 200 --seed 2 --out p

# A full disk: 64 KiB allowed, a 2 MiB .npy asked for.
"$exe" init normal --shape 16,16 --out full.npy >/dev/null
before=$(sha full.npy)
( ulimit -f 64; "$exe" init normal --shape 512,512 --out full.npy >/dev/null 2>err.txt ); rc=$?
if [ $rc -eq 1 ] && [ "$(sha full.npy)" = "$before" ] && [ "$(wc -l <err.txt)" -eq 1 ] &&
   grep -q "File too large" err.txt && [ -z "$(find . -maxdepth 1 -name '.full.npy.*')" ]; then
    ok "full disk: exit 1, '$(cat err.txt)', old file intact, no temporary file"
else
    fail "full disk: exit $rc, $(cat err.txt), sha $(sha full.npy) vs $before"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
