#!/usr/bin/env python3
"""Compare one behaviour case's recorded outputs (golden folder) with a new
run's. The same files must exist. JSON (files, and standard output that is
a JSON document) is compared as values: strings, keys and integers exactly,
floats to 1e-10 relative (BLAS may sum in another order on another
machine; on one machine the numbers are equal). Other text is compared
token by token: words exactly, numbers to 1e-9 relative (they are printed
with a handful of digits, so that is exact as printed).
usage: compare.py GOLDEN_DIR NEW_DIR   (exit 1 with the differences)"""
import json
import math
import os
import re
import sys

REL_JSON, REL_TEXT = 1e-10, 1e-9
NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def close(a, b, rel):
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    return abs(a - b) <= rel * max(abs(a), abs(b))


def diff_json(a, b, path, out):
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        if a != b or type(a) is not type(b):
            out.append(f"{path}: {a!r} != {b!r}")
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            if a != b:
                out.append(f"{path}: {a} != {b}")
        elif not close(float(a), float(b), REL_JSON):
            out.append(f"{path}: {a!r} != {b!r}")
    elif isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            out.append(f"{path}: keys {list(a)} != {list(b)}")
        for k in a:
            if k in b:
                diff_json(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            diff_json(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: {a!r} != {b!r}")


def diff_text(a, b, name, out):
    la, lb = a.splitlines(), b.splitlines()
    if len(la) != len(lb):
        out.append(f"{name}: {len(la)} lines != {len(lb)}")
    for n, (x, y) in enumerate(zip(la, lb), 1):
        if x == y:
            continue
        wx, wy = NUM.split(x), NUM.split(y)
        nx, ny = NUM.findall(x), NUM.findall(y)
        if wx != wy or len(nx) != len(ny) or not all(
                close(float(p), float(q), REL_TEXT) for p, q in zip(nx, ny)):
            out.append(f"{name}:{n}:\n  - {x}\n  + {y}")


def load_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def main(gold, new):
    out = []
    fg, fn = sorted(os.listdir(gold)), sorted(os.listdir(new))
    if fg != fn:
        out.append(f"files {fg} != {fn}")
    for f in fg:
        if f not in fn:
            continue
        with open(os.path.join(gold, f), encoding="utf-8", errors="replace") as h:
            a = h.read()
        with open(os.path.join(new, f), encoding="utf-8", errors="replace") as h:
            b = h.read()
        ja = load_json(a) if a.lstrip().startswith(("{", "[")) else None
        if ja is not None:
            jb = load_json(b)
            if jb is None:
                out.append(f"{f}: not JSON any more")
            else:
                diff_json(ja, jb, f, out)
        else:
            diff_text(a, b, f, out)
    for line in out[:20]:
        print(f"  {os.path.basename(gold)}: {line}", file=sys.stderr)
    if len(out) > 20:
        print(f"  ... {len(out) - 20} more", file=sys.stderr)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
