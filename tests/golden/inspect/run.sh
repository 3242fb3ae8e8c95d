#!/usr/bin/env bash
# initlab inspect on the checkpoints make_checkpoints.py wrote with PyTorch
# (tests/golden/README.md): the --json output must equal FILE.json (made by
# this script's --update with the binary, after checking it by eye), every
# spec it prints must be one `initlab init` accepts for that tensor's shape,
# the text and the figure must be made, and a damaged file must be refused.
# usage: run.sh INITLAB [--update]
set -euo pipefail
bin=$(realpath "$1")
update=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
files=(small_torch.npz small_torch.safetensors gpt2_style.npz gpt2_style_bf16.safetensors
       tampered.safetensors)
cd "$here"
for f in "${files[@]}"; do
    "$bin" inspect --json "$f" >"$work/$f.json"
    if [ "$update" = --update ]; then
        cp "$work/$f.json" "$here/$f.json"
        continue
    fi
    # strings, keys, integers and null exactly; floats to 1e-12 relative
    # (the statistics are summed in one order; another compiler may round
    # a last digit differently)
    python3 - "$here/$f.json" "$work/$f.json" <<'PY' || { echo "FAIL $f: differs from $f.json"; fail=1; }
import json, math, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def same(x, y, where):
    if isinstance(x, float) or isinstance(y, float):
        ok = isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) \
            and (x == y or abs(x - y) <= 1e-12 * max(abs(x), abs(y)))
    elif isinstance(x, dict):
        ok = isinstance(y, dict) and list(x) == list(y) and all(same(x[k], y[k], f"{where}.{k}") for k in x)
        return ok or print(f"{where}: keys or values differ") is not None and False
    elif isinstance(x, list):
        ok = isinstance(y, list) and len(x) == len(y) and all(same(p, q, f"{where}[{i}]") for i, (p, q) in enumerate(zip(x, y)))
        return ok
    else:
        ok = type(x) is type(y) and x == y
    if not ok:
        print(f"{where}: {x!r} != {y!r}")
    return ok
sys.exit(0 if same(a, b, "$") else 1)
PY
done
[ "$update" = --update ] && { echo "updated ${#files[@]} files"; exit 0; }

# the contract's keys, in order, and every match a spec init takes
python3 - "$work" "${files[@]}" >"$work/specs" <<'PY'
import json, sys
keys = ["name", "shape", "dtype", "layout", "fan_in", "fan_out", "mean", "std", "min", "max",
        "nonfinite", "matches", "flag"]
seen = set()
for f in sys.argv[2:]:
    d = json.load(open(f"{sys.argv[1]}/{f}.json"))
    assert list(d) == ["file", "format", "tensors"], f
    for t in d["tensors"]:
        assert list(t) == keys, (f, list(t))
        for m in t["matches"]:
            key = (m, ",".join(map(str, t["shape"])))
            if key not in seen:
                seen.add(key)
                print(*key)
PY
n_specs=0
while read -r spec shape; do
    n_specs=$((n_specs + 1))
    "$bin" init "$spec" --shape "$shape" --layout torch --json >/dev/null 2>"$work/init.err" ||
        { echo "FAIL: initlab init refuses the match '$spec' for shape $shape: $(cat "$work/init.err")"; fail=1; }
done <"$work/specs"
[ "$n_specs" -ge 10 ] || { echo "FAIL: only $n_specs distinct matches"; fail=1; }

# what the issue asks for, by name: PyTorch's defaults, GPT-2's, the tampered layer
grep -q '"name": "fc1.weight".*"matches": \["torch_linear_default"\]' "$work/small_torch.npz.json" ||
    { echo "FAIL: fc1.weight is not torch_linear_default"; fail=1; }
grep -q '"name": "h.1.attn.c_proj.weight".*"normal:std=0.00707107"' "$work/gpt2_style.npz.json" ||
    { echo "FAIL: c_proj is not GPT-2's 0.02/sqrt(2L)"; fail=1; }
[ "$(grep -c '"flag": "' "$work/tampered.safetensors.json")" = 1 ] &&
    grep -q '"name": "h.2.mlp.c_fc.weight".*"flag": "matches no known scheme; std 0.2 is' \
        "$work/tampered.safetensors.json" ||
    { echo "FAIL: the tampered layer is not the one flagged"; fail=1; }

# the table and the figure
"$bin" inspect tampered.safetensors --plot "$work/std.png" >"$work/text"
grep -q '^1 of 52 tensors flagged$' "$work/text" || { echo "FAIL: the text's summary"; fail=1; }
[ "$(head -c 8 "$work/std.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    { echo "FAIL: --plot wrote no PNG"; fail=1; }

# damaged files: exit 3 with the reason
head -c 50000 small_torch.npz >"$work/cut.npz"
set +e
"$bin" inspect "$work/cut.npz" >/dev/null 2>"$work/err"; rc=$?
set -e
[ $rc = 3 ] && grep -q 'end of central directory' "$work/err" ||
    { echo "FAIL: a cut .npz gave $rc: $(cat "$work/err")"; fail=1; }
head -c 50000 small_torch.safetensors >"$work/cut.safetensors"
set +e
"$bin" inspect "$work/cut.safetensors" >/dev/null 2>"$work/err"; rc=$?
set -e
[ $rc = 3 ] && grep -q 'past the data' "$work/err" ||
    { echo "FAIL: a cut .safetensors gave $rc: $(cat "$work/err")"; fail=1; }

[ $fail = 0 ] && echo "inspect goldens: ${#files[@]} files, $n_specs matches accepted by init, all passed"
exit $fail
