#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (fuzz/corpus/{npy,csv,spec,idx,request,http,json}).

usage: python3 scripts/make_fuzz_seeds.py

Plain Python, no numpy: the numpy-written .npy goldens in tests/golden/npy
are seeds too (scripts/fuzz.sh passes that folder); these add the shapes of
malformed files that the reader must refuse, CSV texts, and spec strings.
"""
import os
import struct

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")


def npy(dict_text, data=b"", version=1):
    header = (dict_text + "\n").encode("latin1")
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(header)) + header + data


good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
six = struct.pack("<6d", *[0.5 * i for i in range(6)])
npy_seeds = {
    "good_v1": npy(good, six),
    "good_v2": npy(good, six, 2),
    "good_v3": npy(good, six, 3),
    "f4_be_fortran": npy("{'descr': '>f4', 'fortran_order': True, 'shape': (3, 2), }",
                         struct.pack(">6f", *range(6))),
    "scalar": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", six[:8]),
    "empty": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 5), }"),
    "huge_v2_header": b"\x93NUMPY\x02\x00\xf0\xff\xff\xff",
    "truncated": npy(good, six)[:-1],
    "missing_key": npy("{'descr': '<f8', 'shape': (2, 3), }", six),
    "extra_key": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", six),
    "overflow": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }"),
    "negative": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }", six),
    "object": npy("{'descr': '|O', 'fortran_order': False, 'shape': (6,), }", six),
    "structured": npy("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (6,), }", six),
    "ixy": npy("{'descr': '<ixy', 'fortran_order': False, 'shape': (6,), }", six),
    "bad_version": b"\x93NUMPY\x01\x01" + npy(good, six)[8:],
    "no_newline": npy(good, six).replace(b"\n", b" ", 1),
    "python2_long": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }", six),
    "double_quotes": npy('{"descr": "<f8", "fortran_order": False, "shape": (6,)}', six),
    "many_dims": npy("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1, 1, 1, 2, 3), }", six),
}
csv_seeds = {
    "plain": "1,2,3\n4,5,6\n",
    "header": "x,y\n0.5,-1\n1e-3,2e3\n",
    "crlf": "1,2\r\n3,4\r\n",
    "bom": "\ufeff1,2\n3,4\n",
    "quoted": '"1.5", "2"\n"3",4\n',
    "blank_and_comments": "# c\n\n1,2\n   \n# d\n3,4\n",
    "nan_inf": "nan,inf,-inf\nNaN,Infinity,-Infinity\n",
    "ragged": "1,2,3\n4,5\n",
    "empty_field": "1,,2\n",
    "word": "1,abc\n",
    "hex": "0x10,1\n",
    "overflow": "1e999,1\n",
    "subnormal": "4.9e-324,2.5e-310\n",
    "stray_cr": "1,2\r3,4\n",
    "nul": "1,2\x003\n",
    "one_column": "1\n2\n3\n",
    "blanks": "  1 ,\t2\t\n3,  4\n",
    "long_line": ",".join(["7"] * 200) + "\n",
    "empty": "",
    "header_only": "a,b,c\n",
    "signs": "+1,-2,.5,-.5,5.\n",
}
spec_seeds = [
    "zeros", "ones", "constant:val=0.1", "uniform:a=-1,b=1", "normal:mean=0,std=0.01",
    "trunc_normal:mean=0,std=1,a=-2,b=2", "xavier_uniform:gain=1.5", "xavier_normal",
    "kaiming_uniform:a=0,mode=fan_out,nonlinearity=relu", "kaiming_normal:nonlinearity=leaky_relu,a=0.2",
    "torch_linear_default", "torch_bias_default:fan_in=100", "orthogonal:gain=2", "sparse:sparsity=0.5,std=0.1",
    "eye:gain=3", "dirac:groups=2", "variance_scaling:scale=2,mode=fan_avg,distribution=uniform",
    "glorot_uniform", "he_normal", "lecun_normal", "lecture_xavier", "lecture_he",
    "relu", "leaky_relu:a=0.1", "elu:alpha=0.5", "gelu:approximate=tanh", "softplus:beta=2,threshold=10",
    "hardtanh:min_val=-2,max_val=2", "normal:std=1e308", "uniform:a=1,b=0", "kaiming_normal:mode=fan_sideways",
    "normal:std=nan", "normal:", ":", "normal:std", "normal:std=1,std=2",
]


def idx(type_code, dims, data):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


idx_seeds = {
    "images_u8": idx(0x08, [2, 3, 4], bytes(range(24))),
    "labels_u8": idx(0x08, [5], bytes([0, 1, 2, 9, 3])),
    "i8": idx(0x09, [2], b"\xfd\x07"),
    "i16": idx(0x0B, [2], struct.pack(">2h", -300, 513)),
    "i32": idx(0x0C, [2], struct.pack(">2i", -70000, 1)),
    "f32": idx(0x0D, [2, 2], struct.pack(">4f", 1.5, -2, 0, 3)),
    "f64": idx(0x0E, [3], struct.pack(">3d", -0.25, 2, 1e300)),
    "gzip_magic": b"\x1f\x8b\x08\x08" + bytes(16),
    "bad_type": idx(0x0A, [2], b"\x00\x00"),
    "ndim0": bytes([0, 0, 8, 0]),
    "short": idx(0x08, [4], b"\x01"),
    "long": idx(0x08, [1], b"\x01\x02"),
    "overflow": idx(0x0E, [0xFFFFFFFF] * 3, b""),
    "empty_dim": idx(0x08, [0, 28, 28], b""),
    "truncated_dims": bytes([0, 0, 8, 3, 0, 0]),
    "mnist_like": idx(0x08, [2, 28, 28], bytes(2 * 784)),
    "not_idx": b"\x01\x00\x08\x01",
    "many_dims": idx(0x08, [1] * 16, b"\x05"),
    "too_many_dims": bytes([0, 0, 8, 17]) + bytes(68),
    "labels_big": idx(0x08, [3], bytes([10, 255, 0])),
}
request_seeds = {
    "minimal": '{"arms": [{"init": "lecture_he", "act": "relu"}]}',
    "full": '{"depth": 10, "width": 256, "batch": 512, "seed": 7, "arms": [{"init": "normal:std=1", '
            '"act": "tanh"}, {"init": "xavier_normal", "act": "tanh", "bias": "zeros"}], '
            '"grad": true, "theory": true}',
    "widths": '{"widths": [784, 512, 10], "arms": [{"init": "kaiming_normal", "act": "relu"}]}',
    "both_shapes": '{"widths": [4, 2], "depth": 3, "arms": [{"init": "normal", "act": "relu"}]}',
    "fraction": '{"depth": 2.5, "arms": [{"init": "normal", "act": "relu"}]}',
    "negative": '{"batch": -1, "arms": [{"init": "normal", "act": "relu"}]}',
    "huge": '{"batch": 1e300, "arms": [{"init": "normal", "act": "relu"}]}',
    "unknown_key": '{"colour": 1, "arms": [{"init": "normal", "act": "relu"}]}',
    "arm_unknown_key": '{"arms": [{"init": "normal", "act": "relu", "gain": 2}]}',
    "bad_spec": '{"arms": [{"init": "nrml", "act": "relu"}]}',
    "bad_act": '{"arms": [{"init": "normal", "act": "rleu"}]}',
    "no_arms": '{"arms": []}',
    "arms_not_array": '{"arms": {"init": "normal"}}',
    "string_numbers": '{"depth": "5", "arms": [{"init": "normal", "act": "relu"}]}',
    "bool_as_int": '{"grad": 1, "arms": [{"init": "normal", "act": "relu"}]}',
    "truncated": '{"arms": [{"init": "normal", "act": "re',
    "nested": '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
    "not_object": '[1, 2, 3]',
    "escapes": '{"arms": [{"init": "norm\\u0061l", "act": "relu"}]}',
    "seed_max": '{"seed": 4294967295, "arms": [{"init": "lsuv", "act": "gelu:approximate=tanh"}]}',
}
# the strict JSON check (fuzz_json): one accepted text of each kind, and
# each refusal of src/io/json.c at least once
json_seeds = {
    "object": b'{"a": 1, "b": [true, false, null], "c": {"a": "x"}}',
    "scalars": b'[0, -0, 1.5e-3, -2E+10, 1e308, 4.9e-324, "", "s"]',
    "escapes": b'{"k\\u0061": "\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00"}',
    "utf8": '{"\u00e9t\u00e9": "\u20ac \U0001f600 \u007f"}'.encode("utf-8"),
    "bom": b"\xef\xbb\xbf{}",
    "whitespace": b" \t\r\n[ 1 ,\n 2 ]\n",
    "depth64": b"[" * 64 + b"]" * 64,
    "depth65": b"[" * 65 + b"]" * 65,
    "duplicate": b'{"depth": 3, "arms": [], "depth": 5}',
    "duplicate_escaped": b'{"a": 1, "\\u0061": 2}',
    "siblings": b'[{"a": 1}, {"a": 2}, {"b": {"a": 3}}]',
    "trailing": b"{} x",
    "two_documents": b"{}{}",
    "nul_escape": b'["a\\u0000b"]',
    "nul_byte": b'["a\x00b"]',
    "control": b'["\x1b[31m"]',
    "overflow": b"[1e999, -1e999]",
    "boundary": b"1.7976931348623158079372897140530341507993413271003782693617377898044496829276475094664901e308",
    "bad_utf8": b'["\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80"]',
    "lone_surrogate": b'["\\ud800", "\\udc00"]',
    "truncated": b'{"a": [1, 2',
    "leading_zero": b"[01]",
}
# initlab serve's handler: METHOD, PATH, HOST, FORMAT lines, then the body
http_seeds = {
    "page": "GET\n/\n127.0.0.1:8080\n\n",
    "app": "GET\n/app.js\nlocalhost\n\n",
    "head": "HEAD\n/style.css\n[::1]:8080\n\n",
    "list": "GET\n/api/list\nlocalhost:8080\n\n",
    "run": "POST\n/api/run\n127.0.0.1:8080\n\n" + request_seeds["minimal"],
    "run_theory": "POST\n/api/run\n127.0.0.1\n\n"
                  '{"depth": 3, "width": 20, "batch": 30, "arms": [{"init": "kaiming_normal", '
                  '"act": "relu"}, {"init": "ones", "act": "tanh"}], "theory": true, "grad": true}',
    "run_csv": "POST\n/api/run\n127.0.0.1\ncsv\n"
               '{"depth": 2, "width": 10, "batch": 10, "arms": [{"init": "normal", "act": "relu", '
               '"bias": "zeros"}]}',
    "bad_format": "POST\n/api/run\n127.0.0.1\nxml\n" + request_seeds["minimal"],
    "over_cap": "POST\n/api/run\n127.0.0.1\n\n" + request_seeds["full"],
    "bad_json": "POST\n/api/run\n127.0.0.1\n\n" + request_seeds["truncated"],
    "bad_host": "GET\n/api/list\nevil.example:8080\n\n",
    "bind_host": "GET\n/\n10.0.0.1:80\n\n",
    "no_host": "GET\n/\n\n\n",
    "traversal": "GET\n/../../etc/passwd\n127.0.0.1\n\n",
    "method": "DELETE\n/api/run\n127.0.0.1\n\n",
    "ipv6_port": "GET\n/favicon.svg\n[::1]:65535\n\n",
}
os.makedirs(os.path.join(root, "http"), exist_ok=True)
for name, text in http_seeds.items():
    with open(os.path.join(root, "http", name + ".txt"), "wb") as f:
        f.write(text.encode("utf-8"))
os.makedirs(os.path.join(root, "request"), exist_ok=True)
for name, text in request_seeds.items():
    with open(os.path.join(root, "request", name + ".json"), "wb") as f:
        f.write(text.encode("utf-8"))
os.makedirs(os.path.join(root, "json"), exist_ok=True)
for name, data in json_seeds.items():
    with open(os.path.join(root, "json", name + ".json"), "wb") as f:
        f.write(data)
os.makedirs(os.path.join(root, "idx"), exist_ok=True)
for name, data in idx_seeds.items():
    with open(os.path.join(root, "idx", name + ".idx"), "wb") as f:
        f.write(data)
os.makedirs(os.path.join(root, "npy"), exist_ok=True)
os.makedirs(os.path.join(root, "csv"), exist_ok=True)
os.makedirs(os.path.join(root, "spec"), exist_ok=True)
for name, data in npy_seeds.items():
    with open(os.path.join(root, "npy", name + ".npy"), "wb") as f:
        f.write(data)
for name, text in csv_seeds.items():
    with open(os.path.join(root, "csv", name + ".csv"), "wb") as f:
        f.write(text.encode("utf-8"))
for i, text in enumerate(spec_seeds):
    with open(os.path.join(root, "spec", "%02d.txt" % i), "wb") as f:
        f.write(text.encode("utf-8"))
print("seeds: %d npy, %d csv, %d spec, %d idx, %d request, %d http, %d json" % (len(npy_seeds), len(csv_seeds), len(spec_seeds), len(idx_seeds), len(request_seeds), len(http_seeds), len(json_seeds)))

# Checkpoints for fuzz_npz and fuzz_safetensors: zips made by Python's
# zipfile as np.savez makes them (stored, force_zip64=True) and as
# np.savez_compressed does (deflated), and safetensors files by hand.
import io
import json
import zipfile


def npz(members, method):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            with z.open(info, "w", force_zip64=True) as f:
                f.write(data)
    return buf.getvalue()


def safetensors(tensors, meta=True):
    header, blobs, at = {}, b"", 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [at, at + len(data)]}
        blobs += data
        at += len(data)
    if meta:
        header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + blobs


w = npy(good, six)
b = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", struct.pack("<3f", 1, 2, 3))
steps = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", struct.pack("<q", 7))
npz_seeds = {
    "stored": npz({"fc.weight": w, "fc.bias": b}, zipfile.ZIP_STORED),
    "deflated": npz({"fc.weight": w, "fc.bias": b, "steps": steps}, zipfile.ZIP_DEFLATED),
    "one": npz({"x": npy(good, six, 2)}, zipfile.ZIP_STORED),
}
st_seeds = {
    "f32": safetensors({"fc.weight": ("F32", [2, 3], struct.pack("<6f", *range(6))),
                        "fc.bias": ("F32", [3], struct.pack("<3f", 1, 2, 3))}),
    "mixed": safetensors({"h": ("F16", [2], b"\x00\x3c\x00\xc0"),
                          "b": ("BF16", [1, 1], b"\x80\x3f"),
                          "d": ("F64", [], struct.pack("<d", 0.1)),
                          "n": ("I64", [1], struct.pack("<q", 3))}, meta=False),
    "empty_tensor": safetensors({"e": ("F32", [0, 4], b""), "x": ("F32", [1], b"\0\0\0\0")}),
}
for sub, seeds, ext in (("npz", npz_seeds, ".npz"), ("safetensors", st_seeds, ".safetensors")):
    os.makedirs(os.path.join(root, sub), exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(root, sub, name + ext), "wb") as f:
            f.write(data)
print("seeds: %d npz, %d safetensors" % (len(npz_seeds), len(st_seeds)))
