#!/bin/bash
# SPDX-License-Identifier: MIT
# initlab train --net and coordcheck from the command line: bad input
# refused naming the flag (exit 2), a small coordcheck's JSON contract, a
# short training run's files. Usage: dyn_cli.sh path/to/initlab
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, then a command that must succeed
    local name=$1
    shift
    if "$@"; then pass=$((pass + 1)); else echo "FAIL $name"; fail=$((fail + 1)); fi
}
refused() { # flag, args...: exit 2 and the flag named on stderr
    local flag=$1
    shift
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ $rc -eq 2 ] && grep -q -- "$flag" "$tmp/err" || { echo "rc $rc: $(cat "$tmp/err")"; return 1; }
}
check record_every_0 refused --record-every train --net mlp:depth=1,width=8 --record-every 0
check lr_0 refused --lr train --net mlp:depth=1,width=8 --lr 0
check lr_neg refused --lr coordcheck --lr -1
check base_width refused --base-width coordcheck --widths 64,128 --param mup --base-width 256
check widths refused --widths coordcheck --widths 128,64
check param refused --param coordcheck --param ntp
check heads refused --widths coordcheck --net transformer:layers=1,heads=3 --widths 64,128
if [ -e /usr/share/datasets/fashion-mnist ]; then
    check coord_json "$bin" coordcheck --net mlp:depth=2 --widths 32,64,128 --steps 2 --seeds 1 \
        --batch 8 --param mup --json --out "$tmp/cc" >"$tmp/cc.json"
    check coord_contract python3 -c "
import json, sys
d = json.load(open('$tmp/cc.json'))
assert d['param'] == 'mup' and d['widths'] == [32, 64, 128] and d['steps'] == 2, d
assert d['verdict'] in ('flat', 'grows')
assert [p['name'] for p in d['points']] == ['layers.1', 'layers.3', 'layers.4'], d['points']
for p in d['points']:
    assert len(p['l1']) == 2 and all(len(r) == 3 for r in p['l1']) and len(p['slope']) == 2
"
    check train_files "$bin" train --net mlp:depth=2,width=16 --steps 20 --record-every 5 \
        --batch 8 --out "$tmp/tr" >/dev/null
    for f in dynamics.csv report.json dynamics_std.png update_ratio.png dead.png colorful.png; do
        check "file_$f" test -s "$tmp/tr/$f"
    done
    # 4 records (steps 0, 5, 10, 15) x (3 points + 3 parameters) + the header
    check heldout python3 -c "
import json
a = json.load(open('$tmp/tr/report.json'))['arms'][0]
assert 0 < a['heldout_accuracy'] <= 1 and a['heldout_loss'] > 0, a
"
    check csv_rows test "$(wc -l <"$tmp/tr/dynamics.csv")" -eq 25
    # a linear stack at SGD lr 10 overflows: stopped, named, and what came before kept
    "$bin" train --net mlp:depth=4,width=64,act=identity --opt sgd --lr 10 --steps 50 \
        --record-every 1 --out "$tmp/div" >/dev/null 2>"$tmp/div.err"
    check diverged_message grep -q "diverged at step [0-9]* (non-finite loss), first in layers" \
        "$tmp/div.err"
    check diverged_report python3 -c "
import json
a = json.load(open('$tmp/div/report.json'))['arms'][0]
assert a['diverged'] and a['steps_done'] == a['diverged']['step'] < 50, a['diverged']
assert len(a['timeline']) == a['steps_done']
"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
