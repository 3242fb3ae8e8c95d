#!/usr/bin/python3
"""Checkpoints written by PyTorch for `initlab inspect`'s golden test.

Run by hand with Debian's python3 (python3-torch 1.13, python3-numpy 1.24):
    /usr/bin/python3 tests/golden/inspect/make_checkpoints.py tests/golden/inspect
It writes, from fixed seeds:
  small_torch.npz          np.savez (stored members, zip64 extras) of a small
                           conv net at PyTorch's default init
  small_torch.safetensors  the same tensors, float32
  gpt2_style.npz           np.savez_compressed (deflated) of a 4-block
                           GPT-2-style model initialized as GPT-2 does:
                           N(0, 0.02), c_proj N(0, 0.02/sqrt(2L)), biases 0,
                           LayerNorms 1 and 0
  tampered.safetensors     the GPT-2-style model in float16 with one layer
                           (h.2.mlp.c_fc.weight) multiplied by 10
  gpt2_style_bf16.safetensors  the GPT-2-style model in bfloat16
The safetensors files are written here by hand (struct + json), as the
safetensors package is not installed: an 8-byte little-endian header
length, the JSON header, the tensors' bytes in header order.
"""
import json
import math
import struct
import sys

import numpy as np
import torch
from torch import nn


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3)
        self.conv2 = nn.Conv2d(8, 16, 3)
        self.fc1 = nn.Linear(256, 96)
        self.fc2 = nn.Linear(96, 10)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.Module()
        self.attn.c_attn = nn.Linear(d, 3 * d)
        self.attn.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Module()
        self.mlp.c_fc = nn.Linear(d, 4 * d)
        self.mlp.c_proj = nn.Linear(4 * d, d)


class GPT2Style(nn.Module):
    """nanoGPT's layout with nn.Linear weights (out, in)."""

    def __init__(self, vocab=64, ctx=16, d=32, n_layer=4):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.h = nn.ModuleList([Block(d) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)
        # GPT-2's init (Radford et al. 2019; nanoGPT's _init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))
            elif p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif "ln" in name and name.endswith("weight"):
                nn.init.ones_(p)
            else:
                nn.init.zeros_(p)


def tensors_of(model):
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}


def write_safetensors(path, tensors, dtype):
    """dtype: 'F32', 'F16' or 'BF16'."""
    header, blobs, at = {}, [], 0
    for name, a in tensors.items():
        t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
        if dtype == "F16":
            b = t.to(torch.float16).numpy().astype("<f2").tobytes()
        elif dtype == "BF16":
            b = t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            b = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    header["__metadata__"] = {"format": "pt", "made_by": "make_checkpoints.py"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main(out):
    torch.manual_seed(0)
    small = tensors_of(SmallNet())
    np.savez(f"{out}/small_torch.npz", **small)
    write_safetensors(f"{out}/small_torch.safetensors", small, "F32")

    torch.manual_seed(1)
    gpt = tensors_of(GPT2Style())
    np.savez_compressed(f"{out}/gpt2_style.npz", **gpt)

    tampered = dict(gpt)
    tampered["h.2.mlp.c_fc.weight"] = gpt["h.2.mlp.c_fc.weight"] * 10
    write_safetensors(f"{out}/tampered.safetensors", tampered, "F16")

    write_safetensors(f"{out}/gpt2_style_bf16.safetensors", gpt, "BF16")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
