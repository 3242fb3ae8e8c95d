#!/usr/bin/env bash
# initlab sweep (docs/sweeps.md): the same grid run serially, with --jobs 2,
# as --shard 0/2 + 1/2 merged, and as a Slurm array's two tasks gives the
# same cells with bit-identical metrics (sweep show --json, seconds aside);
# a sweep killed with SIGKILL and run again equals an uninterrupted one; a
# cell's result is `initlab run` of its spec with the seed splitmix64 gives
# (computed here in Python from Vigna's reference code); another grid, a
# corrupt file, another program's database and a full disk are refused with
# the path named.
# usage: sweep.sh PATH/TO/initlab
set -u
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
passed=0 failed=0
ok()   { passed=$((passed+1)); echo "ok   $1"; }
fail() { failed=$((failed+1)); echo "FAIL $1" >&2; }
# sweep show --json without the seconds (they differ from run to run)
rows() { "$exe" sweep show "$1" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for c in d["cells"]:
    del c["seconds"]
print(json.dumps(d, sort_keys=True))'; }
same() { # NAME A.db B.db
    if [ "$(rows "$2")" = "$(rows "$3")" ] && [ -n "$(rows "$2")" ]; then ok "$1"; else fail "$1"; fi
}

cat > base.json <<'JSON'
{"width": 30, "batch": 40, "arms": [{"init": "normal", "act": "tanh"}]}
JSON
grid=(--base base.json --axis sigma_w2=1:4:4 --axis depth=3,6 --axis sigma_b2=0.05
      --metric arms.0.layers.-1.std --metric arms.0.layers.0.mean --quiet)

"$exe" sweep "${grid[@]}" --db serial.db >/dev/null || fail "serial sweep"
"$exe" sweep "${grid[@]}" --db jobs.db --jobs 2 >/dev/null || fail "--jobs 2"
"$exe" sweep "${grid[@]}" --db s0.db --shard 0/2 >/dev/null || fail "--shard 0/2"
"$exe" sweep "${grid[@]}" --db s1.db --shard 1/2 >/dev/null || fail "--shard 1/2"
"$exe" sweep merge merged.db s0.db s1.db >/dev/null || fail "merge"
# a Slurm array 2-3: task 3 is shard 1/2
SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=2 SLURM_ARRAY_TASK_COUNT=2 \
    "$exe" sweep "${grid[@]}" --db slurm1.db >/dev/null || fail "slurm task"
same "--jobs 2 = serial" serial.db jobs.db
same "--shard 0/2 + 1/2 merged = serial" serial.db merged.db
same "SLURM_ARRAY_TASK_ID 3 of 2..3 = --shard 1/2" s1.db slurm1.db
# layers of 200 000 values, which the library and OpenBLAS split over threads
# when they may: every cell runs on one thread, so serial = --jobs 2 here too
cat > wide.json <<'JSON'
{"width": 200, "batch": 1000, "depth": 2, "arms": [{"init": "normal", "act": "tanh"}]}
JSON
wide=(--base wide.json --axis sigma_w2=1,3 --metric arms.0.layers.-1.std --quiet)
"$exe" sweep "${wide[@]}" --db wide1.db >/dev/null && "$exe" sweep "${wide[@]}" --db wide2.db --jobs 2 >/dev/null \
    || fail "wide sweeps"
same "wide layers: --jobs 2 = serial" wide1.db wide2.db
n=$("$exe" sweep show serial.db --csv | grep -c ',done,')
[ "$n" = 8 ] && ok "8 cells done" || fail "8 cells done (got $n)"

# enumeration: the last axis fastest; cell 3 is sigma_w2 2, depth 6
axes=$("$exe" sweep show serial.db --json | python3 -c '
import json, sys; print(json.dumps(json.load(sys.stdin)["cells"][3]["axes"], sort_keys=True))')
[ "$axes" = '{"depth": 6, "sigma_b2": 0.05, "sigma_w2": 2}' ] && ok "cell 3's axes" \
    || fail "cell 3's axes: $axes"

# cell 3 is `initlab run` with splitmix64's 4th output (high 32 bits) from seed 1,
# sigma_w2 2 over fan_in 30 and sigma_b2 0.05
seed=$(python3 -c '
M = (1 << 64) - 1
s = 1
for _ in range(4):
    s = (s + 0x9E3779B97F4A7C15) & M
    z = s
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    z ^= z >> 31
print(z >> 32)')
python3 - "$seed" > cell3.json <<'PY'
import json, math, sys
print(json.dumps({"width": 30, "batch": 40, "depth": 6, "seed": int(sys.argv[1]),
                  "arms": [{"init": "normal:std=%.17g" % math.sqrt(2 / 30), "act": "tanh",
                            "bias": "normal:std=%.17g" % math.sqrt(0.05)}]}))
PY
"$exe" run --config cell3.json --json --out run3 > run3.json 2>/dev/null || fail "run cell 3"
want=$(python3 -c 'import json; print(repr(json.load(open("run3.json"))["arms"][0]["layers"][-1]["std"]))')
got=$("$exe" sweep show serial.db --json | python3 -c '
import json, sys; print(repr(json.load(sys.stdin)["cells"][3]["metrics"]["arms.0.layers.-1.std"]))')
[ "$want" = "$got" ] && ok "cell 3 = initlab run with seed $seed" || fail "cell 3: $got, run: $want"

# the figures: a heat map with theory's lines, a line over one axis; the sbatch script
out=$("$exe" sweep plot serial.db --x sigma_w2 --y depth --out heat.png); rc=$?
[ $rc = 0 ] && [ "$(head -c 4 heat.png | od -An -c | tr -d ' ')" = '211PNG' ] \
    && grep -q 'chi1 = 1 at sigma_w2' <<<"$out" && ok "heat map with theory: $out" \
    || fail "heat map: rc $rc: $out"
"$exe" sweep plot serial.db --x sigma_w2 --out lines.svg --format svg >/dev/null \
    && grep -q '<svg' lines.svg && ok "lines over sigma_w2" || fail "lines over sigma_w2"
"$exe" sweep "${grid[@]}" --emit-slurm job.sh --tasks 3 >/dev/null && grep -q '^#SBATCH --array=0-2$' job.sh \
    && grep -q 'INITLAB_GRID' job.sh && ok "--emit-slurm" || fail "--emit-slurm"
# the script's three array tasks as Slurm would start them, then merged
for t in 0 1 2; do
    PATH="$(dirname "$exe"):$PATH" SLURM_ARRAY_TASK_ID=$t SLURM_ARRAY_TASK_MIN=0 \
        SLURM_ARRAY_TASK_COUNT=3 bash job.sh >/dev/null || fail "job.sh task $t"
done
"$exe" sweep merge slurm.db initlab-out/sweep/shard-*.db >/dev/null || fail "merge the tasks"
same "job.sh's 3 tasks merged = serial" serial.db slurm.db

# kill -9 in the middle, then run again: the same as an uninterrupted sweep
cat > big.json <<'JSON'
{"width": 100, "batch": 100, "arms": [{"init": "normal", "act": "tanh"}]}
JSON
big=(--base big.json --axis sigma_w2=1:4:10 --axis depth=10,20,30 --metric arms.0.layers.-1.std --quiet)
"$exe" sweep "${big[@]}" --db whole.db >/dev/null || fail "uninterrupted sweep"
"$exe" sweep "${big[@]}" --db killed.db >/dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do
    n=$("$exe" sweep show killed.db --csv 2>/dev/null | grep -c ',done,')
    [ "${n:-0}" -ge 5 ] && break
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null && killed=1 || killed=0
wait "$pid" 2>/dev/null
n=$("$exe" sweep show killed.db --csv | grep -c ',done,')
if [ "$killed" = 1 ] && [ "$n" -lt 30 ]; then
    ok "killed after $n of 30 cells"
else
    fail "the sweep was not killed in the middle ($n cells done)"
fi
"$exe" sweep "${big[@]}" --db killed.db >/dev/null || fail "resumed sweep"
same "killed + resumed = uninterrupted" whole.db killed.db

# a different grid is refused, naming the difference
out=$("$exe" sweep --base base.json --axis sigma_w2=1:4:5 --metric arms.0.layers.-1.std \
      --db serial.db 2>&1); rc=$?
[ $rc = 3 ] && grep -q 'serial.db holds another grid (axes' <<<"$out" && ok "another grid refused" \
    || fail "another grid: rc $rc: $out"
out=$("$exe" sweep merge m2.db serial.db whole.db 2>&1); rc=$?
[ $rc = 3 ] && grep -q 'hold different grids' <<<"$out" && ok "merge refuses another grid" \
    || fail "merge of two grids: rc $rc: $out"
# a corrupt file and another program's database
head -c 4096 /dev/urandom > corrupt.db
out=$("$exe" sweep show corrupt.db 2>&1); rc=$?
[ $rc = 3 ] && grep -q 'corrupt.db: not an initlab sweep database' <<<"$out" \
    && ok "corrupt file refused" || fail "corrupt file: rc $rc: $out"
python3 -c 'import sqlite3; c = sqlite3.connect("foreign.db"); c.execute("create table t (a)"); c.commit()'
out=$("$exe" sweep "${grid[@]}" --db foreign.db 2>&1); rc=$?
[ $rc = 3 ] && grep -q 'foreign.db: an SQLite database of another program' <<<"$out" \
    && ok "foreign database refused" || fail "foreign database: rc $rc: $out"
# a full disk (a file size limit): an error naming the store; the done cells stay
"$exe" sweep "${big[@]}" --db full.db --shard 0/1000 >/dev/null || fail "full.db's first cell"
out=$(bash -c 'trap "" XFSZ; ulimit -f 1; exec "$0" sweep "${@}" --db full.db' "$exe" \
      "${big[@]}" 2>&1); rc=$?
n=$("$exe" sweep show full.db --csv | grep -c ',done,')
[ "$n" = 1 ] && ok "full disk: the done cell kept" || fail "full disk: $n cells done, not 1"
[ $rc = 1 ] && grep -q 'full.db' <<<"$out" && ok "full disk reported: ${out##*full.db: }" \
    || fail "full disk: rc $rc: $out"

echo "sweep: $passed passed, $failed failed"
[ "$failed" = 0 ]
