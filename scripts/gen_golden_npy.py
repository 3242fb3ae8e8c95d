#!/usr/bin/python3
"""Write the .npy goldens of tests/test_npy.c with numpy itself.

usage: /usr/bin/python3 scripts/gen_golden_npy.py [OUTDIR]   (default tests/golden/npy)

Every array holds, at C-order index i, the value i * 0.37 - 1.1 in its
dtype, so the test can check each file bit for bit without a second copy
of the data. Made once with Debian's python3-numpy 1.24.2.
"""
import os
import sys

import numpy as np
from numpy.lib import format as npf

out = sys.argv[1] if len(sys.argv) > 1 else "tests/golden/npy"
os.makedirs(out, exist_ok=True)


def values(shape, dtype):
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    return (np.arange(n, dtype=np.float64) * 0.37 - 1.1).astype(dtype).reshape(shape)


def save(name, arr, version):
    with open(os.path.join(out, name), "wb") as f:
        npf.write_array(f, arr, version=version, allow_pickle=False)


shapes = {"scalar": (), "empty": (0,), "vec": (3,), "mat": (2, 3), "empty2": (0, 5), "cube": (2, 3, 4)}
for sname, shape in shapes.items():
    for dt in ("<f8", ">f8", "<f4", ">f4"):
        tag = dt.replace("<", "le").replace(">", "be")
        save(f"{sname}_{tag}_c.npy", values(shape, dt), (1, 0))
        if len(shape) >= 2:
            save(f"{sname}_{tag}_f.npy", np.asfortranarray(values(shape, dt)), (1, 0))
for v in ((2, 0), (3, 0)):
    save(f"cube_le_f8_v{v[0]}.npy", values((2, 3, 4), "<f8"), v)

# numpy before 1.14 aligned the data to 16 bytes, not 64: readers must
# accept both, so write one by hand.
arr = values((2, 3), "<f8")
d = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
pad = 16 - (10 + len(d) + 1) % 16
header = (d + " " * pad + "\n").encode("latin1")
with open(os.path.join(out, "mat_le_f8_align16.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + arr.tobytes())
print("wrote", len(os.listdir(out)), "files to", out)
