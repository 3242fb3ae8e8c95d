#!/usr/bin/env bash
# The initlab program as a user runs it: help, version, the lecture's files,
# and bad input (one line on stderr, the documented exit code, no files).
# usage: cli_test.sh PATH/TO/initlab
set -u
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

ok()   { passed=$((passed+1)); echo "ok   $1"; }
fail() { failed=$((failed+1)); echo "FAIL $1" >&2; [ $# -gt 1 ] && printf '  %s\n' "$2" >&2; }

# run NAME WANT_EXIT ARGS...: runs initlab with ARGS in a fresh folder,
# stdout in $tmp/out, stderr in $tmp/err, exit code in $rc.
run() {
    local name=$1 want=$2; shift 2
    rm -rf "$tmp/cwd"; mkdir -p "$tmp/cwd"
    (cd "$tmp/cwd" && "$exe" "$@" >"$tmp/out" 2>"$tmp/err"); rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name (exit $want)"; else
        fail "$name: exit $rc, wanted $want" "$(head -c 400 "$tmp/err")"; fi
}

# bad NAME EXIT MESSAGE ARGS...: a refused invocation: the exit code, exactly
# one line on stderr containing MESSAGE, nothing on stdout, no files made.
bad() {
    local name=$1 want=$2 msg=$3; shift 3
    run "$name" "$want" "$@"
    local lines; lines=$(wc -l <"$tmp/err")
    if [ "$lines" -eq 1 ] && grep -qF -- "$msg" "$tmp/err"; then ok "$name: one clear line"; else
        fail "$name: stderr should be one line containing '$msg'" "$(cat "$tmp/err")"; fi
    if [ -s "$tmp/out" ]; then fail "$name: wrote to stdout"; else ok "$name: nothing on stdout"; fi
    if [ -n "$(ls -A "$tmp/cwd")" ]; then fail "$name: left files" "$(ls -RA "$tmp/cwd")"; else
        ok "$name: no files"; fi
}

# --- help and version ---
run "--help" 0 --help
grep -q "usage: initlab" "$tmp/out" && ok "--help prints usage" || fail "--help prints usage"
grep -q "Exit codes" "$tmp/out" && ok "--help documents exit codes" || fail "--help exit codes"
run "--version" 0 --version
grep -Eq '^initlab [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" && ok "--version format" || fail "--version format" "$(cat "$tmp/out")"
run "help lecture" 0 help lecture
grep -q "usage: initlab lecture" "$tmp/out" && ok "help lecture text" || fail "help lecture text"
run "lecture --help" 0 lecture --help
for opt in --seed --out --format --bins --range --save-activations --json; do
    grep -q -- "$opt" "$tmp/out" && ok "lecture --help lists $opt" || fail "lecture --help lists $opt"
done
run "no arguments" 2
grep -q "usage: initlab" "$tmp/err" && ok "no arguments: usage on stderr" || fail "no arguments: usage on stderr"

# --- refused invocations ---
bad "unknown command" 2 "unknown command 'frobnicate'" frobnicate
bad "unknown help topic" 2 "unknown command 'nope'" help nope
bad "unknown global option" 2 "unknown option '--frob'" --frob
bad "unknown exercise" 2 "unknown exercise '4' (valid: 1, 2, 3, all)" lecture 4
bad "unknown exercise word" 2 "unknown exercise 'two'" lecture two
bad "unknown option" 2 "unknown option '--sed'" lecture --sed 1
bad "short option" 2 "unknown option '-s'" lecture -s 1
bad "missing value" 2 "option '--seed' needs a value" lecture --seed
bad "flag with value" 2 "option '--json' takes no value" lecture --json=yes
for s in -1 4294967296 1.5 abc "" 0x10 1e3 " 5" 99999999999999999999 +5; do
    bad "seed '$s'" 2 "Seed must be between 0 and 2**32 - 1" lecture --seed "$s"
done
for b in 0 100001 -3 abc 1e2 ""; do
    bad "bins '$b'" 2 "--bins" lecture --bins "$b"
done
bad "range reversed" 2 "LO must be less than HI" lecture --range 1,0
bad "range empty" 2 "LO must be less than HI" lecture --range 0.5,0.5
bad "range inf" 2 "finite numbers" lecture --range 0,inf
bad "range nan" 2 "finite numbers" lecture --range nan,1
bad "range 1e999" 2 "finite numbers" lecture --range 0,1e999
bad "range one number" 2 "expected LO,HI" lecture --range 0
bad "range three numbers" 2 "finite numbers" lecture --range 0,1,2
bad "format" 2 "unknown format 'jpg' (valid: png, svg, pdf)" lecture --format jpg
bad "unwritable out" 1 "cannot create output folder '/proc/initlab-test'" lecture --out /proc/initlab-test

# an output "folder" that is a file
rm -rf "$tmp/cwd"; mkdir -p "$tmp/cwd"; : >"$tmp/cwd/afile"
(cd "$tmp/cwd" && "$exe" lecture --out afile/x >"$tmp/out" 2>"$tmp/err"); rc=$?
[ $rc -eq 1 ] && grep -q "Not a directory" "$tmp/err" && ok "out under a file: exit 1, reason" || fail "out under a file" "$rc $(cat "$tmp/err")"

# --- a real run ---
run "lecture 3" 0 lecture 3 --seed 5 --out o
d=$tmp/cwd/o
for f in report.json stats.csv ex3/net1.png ex3/compare.png; do
    [ -s "$d/$f" ] && ok "lecture 3 wrote $f" || fail "lecture 3 wrote $f"
done
[ ! -e "$d/ex1" ] && ok "lecture 3 ran only exercise 3" || fail "lecture 3 ran only exercise 3"
grep -q "He + ReLU" "$tmp/out" && ok "table names the network" || fail "table names the network"
grep -q "the spread stays the same" "$tmp/out" && ok "prints the lesson" || fail "prints the lesson"
[ "$(head -c 8 "$d/ex3/net1.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] && ok "PNG signature" || fail "PNG signature"
[ "$(wc -l <"$d/stats.csv")" -eq 6 ] && ok "stats.csv: header + 5 rows" || fail "stats.csv rows" "$(wc -l <"$d/stats.csv")"
grep -q '"command":[[:space:]]*"lecture"' "$d/report.json" && grep -q '"seed":[[:space:]]*5' "$d/report.json" && ok "report.json head" || fail "report.json head"
[ -z "$(find "$d" -name '.*' -type f)" ] && ok "no temporary files left" || fail "no temporary files left"
cp "$d/report.json" "$tmp/report5.json"

# same seed, same numbers; another seed, other numbers
run "lecture 3 again" 0 lecture 3 --seed 5 --out o
cmp -s "$tmp/report5.json" "$tmp/cwd/o/report.json" && ok "deterministic for a seed" || fail "deterministic for a seed"
run "lecture 3 seed 6" 0 lecture 3 --seed 6 --out o
cmp -s "$tmp/report5.json" "$tmp/cwd/o/report.json" && fail "another seed changes the numbers" || ok "another seed changes the numbers"

# --json prints exactly report.json
run "lecture --json" 0 lecture 2 --json --out o
cmp -s "$tmp/out" "$tmp/cwd/o/report.json" && ok "--json equals report.json" || fail "--json equals report.json"
[ "$(head -c 1 "$tmp/out")" = "{" ] && ok "--json is JSON only" || fail "--json is JSON only"

# formats
run "lecture svg" 0 lecture 1 --format svg --out o
head -c 5 "$tmp/cwd/o/ex1/net2.svg" | grep -q "<?xml" && ok "svg figure" || fail "svg figure"
run "lecture pdf" 0 lecture 1 --format pdf --out o
head -c 4 "$tmp/cwd/o/ex1/compare.pdf" | grep -q "%PDF" && ok "pdf figure" || fail "pdf figure"

# activations: 5 layers x 2 networks, each (1000, 100) float64 = 128 + 800000 bytes
run "save activations" 0 lecture 2 --save-activations --out o
n=$(ls "$tmp/cwd/o/ex2"/net*_layer*.npy 2>/dev/null | wc -l)
[ "$n" -eq 10 ] && ok "10 activation files" || fail "10 activation files" "$n"
[ "$(stat -c %s "$tmp/cwd/o/ex2/net2_layer5.npy")" -eq 800128 ] && ok "npy size" || fail "npy size"
head -c 128 "$tmp/cwd/o/ex2/net1_layer1.npy" | tail -c +11 | grep -q "'shape': (1000, 100)" && ok "npy header shape" || fail "npy header shape"

# bins and range reach the report
run "custom histogram" 0 lecture 3 --bins 7 --range -1,2 --out o
grep -q '"lo":[[:space:]]*-1' "$tmp/cwd/o/report.json" && grep -q '"hi":[[:space:]]*2' "$tmp/cwd/o/report.json" && ok "range in report" || fail "range in report"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
