#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fail on an #include that points up the layer order.

Modules only look down: a file may include the headers of its own module and
of the modules before it in ORDER, never one after it. The order is written
here once; docs/design.md quotes it (the check fails if the quote differs).

Checked: the quoted #include lines of src/*/*.c, src/*/*.h (src/internal/
too), include/initlab/*.h and cli/*.[ch]. Besides the order:
  - the umbrella initlab/initlab.h is for cli/ alone (nothing in src/ or
    include/ may include it), and it includes every public header;
  - include/initlab/ and cli/ never include src/internal/;
  - a header without a folder ("block.h", "cli.h") is the file's own
    folder's, and a header from another folder of src/ is not included;
  - BLAS, cairo (with FreeType) and libmicrohttpd are reached from one
    module each (EXTERNAL).
Every public and internal header must be in HEADERS, so a new header is
placed in the order when it is added.

usage: layering.py [SOURCE_DIR]   (default: this file's repository)
Prints one line per violation and exits 1, or prints a summary and exits 0.
Before checking the tree it checks itself on a small planted tree.
"""
import glob
import os
import re
import sys
import tempfile

# The layer order, lowest first. docs/design.md quotes this line.
ORDER = ["core", "io", "rng", "dist", "act", "init", "stats", "nn", "theory", "exp", "data",
         "train", "report", "run", "sweep", "plot", "cli"]

# Every header and the module it belongs to.
HEADERS = {
    "initlab/status.h": "core",
    "initlab/alloc.h": "core",
    "initlab/spec.h": "core",
    "initlab/version.h": "core",
    "initlab/dtype.h": "core",
    "internal/spec_impl.h": "core",
    "internal/simd.h": "core",
    "internal/sha256.h": "core",
    "initlab/sink.h": "io",
    "initlab/io.h": "io",
    "internal/json.h": "io",
    "initlab/tensors.h": "io",
    "initlab/rng.h": "rng",
    "internal/rng_impl.h": "rng",
    "initlab/dist.h": "dist",
    "internal/dist_impl.h": "dist",
    "initlab/act.h": "act",
    "initlab/init.h": "init",
    "internal/init_impl.h": "init",
    "internal/lsuv.h": "init",
    "initlab/stats.h": "stats",
    "initlab/layer.h": "nn",
    "initlab/mlp.h": "nn",
    "initlab/net.h": "nn",
    "initlab/netdesc.h": "nn",
    "initlab/recipe.h": "nn",
    "internal/nn_impl.h": "nn",
    "internal/op_impl.h": "nn",
    "internal/netdesc_impl.h": "nn",
    "internal/recipe_impl.h": "nn",
    "initlab/theory.h": "theory",
    "initlab/exp.h": "exp",
    "initlab/data.h": "data",
    "initlab/train.h": "train",
    "initlab/nettrain.h": "train",
    "initlab/report.h": "report",
    "initlab/run.h": "run",
    "initlab/sweep.h": "sweep",
    "initlab/plot.h": "plot",
    "internal/png.h": "plot",
}

UMBRELLA = "initlab/initlab.h"
RANK = {m: i for i, m in enumerate(ORDER)}

# System headers of the leaves, and the one module that may include each.
EXTERNAL = {
    "cblas.h": "nn",
    "cairo.h": "plot",
    "cairo-ft.h": "plot",
    "cairo-pdf.h": "plot",
    "cairo-svg.h": "plot",
    "ft2build.h": "plot",
    "microhttpd.h": "cli",
    "sqlite3.h": "sweep",
    "mpi.h": "cli",
}

# Exact (file, included header) pairs tolerated for now. Each must still
# occur (a stale entry fails the check). Keep it short; never a pattern.
ALLOW = set()

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def module_of_file(rel):
    """The module of a file (relative path with '/'), or None if unknown."""
    parts = rel.split("/")
    if parts[0] == "cli":
        return "cli"
    if parts[0] == "include":
        return "umbrella" if rel == "include/" + UMBRELLA else HEADERS.get("initlab/" + parts[-1])
    if parts[0] == "src" and parts[1] == "internal":
        return HEADERS.get("internal/" + parts[-1])
    if parts[0] == "src":
        return parts[1] if parts[1] in ORDER else None
    return None


def files_to_check(root):
    patterns = ("src/*/*.c", "src/*/*.h", "include/initlab/*.h", "cli/*.c", "cli/*.h")
    found = {os.path.relpath(p, root).replace(os.sep, "/")
             for pat in patterns for p in glob.glob(os.path.join(root, pat))}
    return sorted(found)


def violation(root, rel, mod, kind, inc):
    """What is wrong with 'rel' (a file of module 'mod') including 'inc', or None."""
    if kind == "<":
        owner = EXTERNAL.get(inc)
        if owner in (None, mod):
            return None
        return f"{rel} includes <{inc}> from {mod}: only {owner} may"
    if inc == UMBRELLA:
        return f"{rel} includes {inc} (umbrella) from {mod}" if mod != "cli" else None
    if not inc.startswith(("initlab/", "internal/")):
        here = os.path.dirname(rel)
        if "/" in inc or not os.path.isfile(os.path.join(root, here, inc)):
            return f'{rel} includes "{inc}", not a header of its own folder {here}/'
        return None
    if inc.startswith("internal/") and (rel.startswith("include/") or mod == "cli"):
        side = "a public header" if rel.startswith("include/") else "cli/"
        return f"{rel} includes {inc} (internal) from {side}"
    target = HEADERS.get(inc)
    if target is None:
        return (f"{rel} includes {inc}, which the layer table does not know "
                "(add it to tests/layering.py)")
    if mod != "umbrella" and RANK[target] > RANK[mod]:
        return f"{rel} includes {inc} ({target}) from {mod}"
    return None


def check(root, docs=True):
    """Return (violations, number of quoted includes checked)."""
    bad, allowed, umbrella_has, n_includes = [], set(), set(), 0
    for rel in files_to_check(root):
        mod = module_of_file(rel)
        if mod is None:
            what = "folder" if not rel.startswith(("include/", "src/internal/")) else "header"
            bad.append(f"{rel}: its {what} is not in the layer table (add it to tests/layering.py)")
            continue
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            lines = f.read().splitlines()
        for lineno, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            kind, inc = m.groups()
            if kind == '"':
                n_includes += 1
                if mod == "umbrella":
                    umbrella_has.add(inc)
            msg = violation(root, rel, mod, kind, inc)
            if msg and (rel, inc) in ALLOW:
                allowed.add((rel, inc))
            elif msg:
                bad.append(f"{msg} ({rel}:{lineno})")

    for path in sorted(glob.glob(os.path.join(root, "include/initlab/*.h"))):
        inc = "initlab/" + os.path.basename(path)
        if inc != UMBRELLA and inc not in umbrella_has:
            bad.append(f"include/{UMBRELLA} does not include {inc}")
    for rel, inc in sorted(ALLOW - allowed):
        bad.append(f"allow-list entry ({rel}, {inc}) no longer matches: remove it")
    if docs:
        quote = " → ".join(ORDER)
        design = os.path.join(root, "docs/design.md")
        text = open(design, encoding="utf-8").read() if os.path.isfile(design) else ""
        if quote not in text:
            bad.append(f"docs/design.md does not quote the layer order: {quote}")
    return bad, n_includes


def self_test():
    """Plant one violation of each kind in a small tree; all must be found."""
    tree = {
        "include/initlab/initlab.h": '#include "initlab/status.h"\n#include "initlab/exp.h"\n',
        "include/initlab/status.h": "",
        "include/initlab/exp.h": '#include "internal/rng_impl.h"\n',
        "src/core/status.c": '#include "initlab/initlab.h"\n#include "initlab/status.h"\n',
        "src/io/npy.c": '#include "initlab/exp.h"\n#include <cblas.h>\n',
        "src/stats/stats.c": '#include "block.h"\n#include "nn/gemm.h"\n',
        "src/stats/block.h": "",
        "src/nn/gemm.c": '#include <cblas.h>\n#include "initlab/newthing.h"\n',
        "src/internal/rng_impl.h": '#include "initlab/status.h"\n',
        "src/magic/magic.c": "",
        "cli/main.c": '#include "initlab/initlab.h"\n#include "internal/spec_impl.h"\n',
    }
    expect = [
        "src/core/status.c includes initlab/initlab.h (umbrella) from core",
        "src/io/npy.c includes initlab/exp.h (exp) from io",
        "src/io/npy.c includes <cblas.h> from io: only nn may",
        "include/initlab/exp.h includes internal/rng_impl.h (internal) from a public header",
        "cli/main.c includes internal/spec_impl.h (internal) from cli/",
        "src/stats/stats.c includes \"nn/gemm.h\", not a header of its own folder",
        "src/nn/gemm.c includes initlab/newthing.h, which the layer table does not know",
        "src/magic/magic.c: its folder is not in the layer table",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in tree.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w", encoding="utf-8") as f:
                f.write(text)
        bad, _ = check(tmp, docs=False)
    missing = [e for e in expect if not any(b.startswith(e) for b in bad)]
    extra = [b for b in bad if not any(b.startswith(e) for e in expect)
             and not b.startswith("allow-list entry")]
    for e in missing:
        print(f"layering self-test: not found: {e}")
    for b in extra:
        print(f"layering self-test: unexpected: {b}")
    return not missing and not extra


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    if not self_test():
        return 1
    bad, n = check(os.path.abspath(root))
    for b in bad:
        print(b)
    if bad:
        print(f"layering: {len(bad)} violation(s); the order is {' → '.join(ORDER)}")
        return 1
    print(f"layering: {n} includes in order ({' → '.join(ORDER)}); "
          f"{len(ALLOW)} allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
