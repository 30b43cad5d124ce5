#!/usr/bin/env python3
"""Writes quant_dequantize.json: random blocks of each block-quantized type with the values
`gguf.quants.dequantize` (gguf 0.19, the reference) decodes them to, as float32 bit patterns.
A new type adds its line at the end of LAYOUTS (earlier types keep their bytes).

Block bytes are random (every bit pattern of the packed values and scales is valid) except the
f16 super-scales, which are set to modest normal values so no block decodes to inf or NaN.

    pip install gguf numpy && python3 Tests/Fixtures/make_quant_fixtures.py
"""
import json
import os

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize

# type: (values per block, bytes per block, offsets of f16 fields)
LAYOUTS = {
    T.Q5_0: (32, 22, [0]),
    T.Q5_1: (32, 24, [0, 2]),
    T.Q2_K: (256, 84, [80, 82]),
    T.Q3_K: (256, 110, [108]),
    T.Q4_K: (256, 144, [0, 2]),
    T.Q5_K: (256, 176, [0, 2]),
    T.Q6_K: (256, 210, [208]),
    T.IQ4_NL: (32, 18, [0]),
    T.IQ4_XS: (256, 136, [0]),
    T.Q4_0: (32, 18, [0]),
    T.Q4_1: (32, 20, [0, 2]),
    T.Q8_0: (32, 34, [0]),
}

rng = np.random.default_rng(20261202)
out = {}
for qtype, (values, size, halves) in LAYOUTS.items():
    blocks = 512 // values
    raw = rng.integers(0, 256, size=(blocks, size), dtype=np.uint8)
    for offset in halves:
        scale = (rng.standard_normal(blocks) * 0.02).astype(np.float16)
        raw[:, offset:offset + 2] = scale.view(np.uint8).reshape(blocks, 2)
    decoded = dequantize(raw, qtype).astype(np.float32).reshape(-1)
    out[qtype.name] = {
        "code": int(qtype),
        "count": int(decoded.size),
        "bytes": raw.tobytes().hex(),
        "bits": [int(b) for b in decoded.view(np.uint32)],
    }

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quant_dequantize.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {path}")
