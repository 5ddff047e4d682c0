#!/usr/bin/env python3
"""Write tiny-llama.gguf and tiny-llama.expect.json for the weights tests.

The GGUF comes from the peer benchmark's generator (peers/gen_gguf.py, the
script that produced the llama.cpp comparison models), run on a tiny shape,
so the Go reader is tested against that writer's exact bytes. The .expect.json
lists, per tensor, the row-major shape and the first and last 16-bit words
(f16 tensors) or float values (f32 tensors), read back with numpy.

Usage: /usr/bin/python3 gen_tiny_gguf.py PATH/TO/gen_gguf.py
"""
import importlib.util
import json
import os
import sys

import numpy as np

spec = importlib.util.spec_from_file_location("gen_gguf", sys.argv[1])
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "tiny-llama.gguf")
# vocab must hold the generator's 448 fixed tokens.
gen.SHAPES["tiny"] = dict(dim=16, n_layer=2, n_head=4, n_kv_head=2, ffn=24, vocab=448, ctx=64)
sys.argv = ["gen_gguf.py", "tiny", out]
gen.main()

c = gen.SHAPES["tiny"]
raw = open(out, "rb").read()
# Recompute the layout the generator used: tensors packed in order, each
# padded to ALIGN, after the header padded to ALIGN.
tensors = gen.tensor_list(c)
data_start = len(raw) - sum(
    (int(np.prod(d)) * (2 if t == gen.GGML_F16 else 4) + gen.ALIGN - 1) // gen.ALIGN * gen.ALIGN
    for _, d, t in tensors)
expect, off = {}, data_start
for name, dims, ttype in tensors:
    n = int(np.prod(dims))
    dt = "<f2" if ttype == gen.GGML_F16 else "<f4"
    a = np.frombuffer(raw, dtype=dt, count=n, offset=off)
    if ttype == gen.GGML_F16:
        words = a.view("<u2")
        first, last = int(words[0]), int(words[-1])
    else:
        first, last = float(a[0]), float(a[-1])
    expect[name] = dict(shape=list(reversed(dims)), first=first, last=last)
    off += (a.nbytes + gen.ALIGN - 1) // gen.ALIGN * gen.ALIGN
json.dump(dict(config=c, tensors=expect), open(os.path.join(here, "tiny-llama.expect.json"), "w"), indent=1, sort_keys=True)
