"""How far quantizing a layer's input activations moves a model's logits: the float32 reference
forward pass (../shared/reference/ref_forward.py, imported and run, never copied) with each
projection's input rounded to integers per block first, against the same pass unrounded.

A kernel that folds a K-quant's sub-block scales into its widened weights (up to 15 x 63 = 945 for
Q4_K) can only keep its int32 sums across a whole super-block if the activations have one scale
per 256 values and at most 2^31 / (256 x 945) = 8877 in magnitude; this measures what that costs
next to today's 16 bits per 32 values and llama.cpp's 8 bits per 32. Widths that are not a
multiple of a scheme's block keep 16 bits per 32 (as such a kernel would).

usage: python3 bench/activation_precision.py MODEL.gguf PROMPTS.json   (needs: pip install gguf numpy)
PROMPTS.json: a golden logits fixture (a list of objects with "prompt_ids"). One JSON line per
scheme: the worst deviation of the float pass's top five logits at each prompt's last position,
and how many prompts changed their greedy token.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "reference"))
import ref_forward  # noqa: E402

PROJECTIONS = ("attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
               "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight")
SCHEMES = {  # name: (values per scale, largest integer)
    "float32": None,
    "16-bit per 32 (LightServe today)": (32, 32767),
    "16-bit per 64": (64, 32767),
    "14-bit per 128": (128, 17754),
    "13-bit per 256 (Q4_K scales folded)": (256, 8877),
    "8-bit per 32 (llama.cpp)": (32, 127),
}


def rounded(x, block, largest):
    rows, width = x.shape
    if width % block:
        block, largest = 32, 32767
    blocks = x.reshape(rows, width // block, block)
    peak = np.abs(blocks).max(axis=2, keepdims=True)
    scale = np.where(peak > 0, peak / largest, 1.0)
    return (np.round(blocks / scale) * scale).reshape(rows, width).astype(np.float32)


class Transposed:
    """`x @ w.T` with x rounded first: what ref_forward's projections compute, quantized."""
    __array_ufunc__ = None  # numpy defers `x @ this` to __rmatmul__

    def __init__(self, weights, scheme):
        self.weights, self.scheme = weights, scheme

    def __rmatmul__(self, x):
        return (rounded(x, *self.scheme) if self.scheme else x) @ self.weights.T


class Projection:
    def __init__(self, weights, scheme):
        self.weights, self.scheme = weights, scheme

    @property
    def T(self):
        return Transposed(self.weights, self.scheme)


def main():
    meta, weights = ref_forward.load(sys.argv[1])
    prompts = [case["prompt_ids"] for case in json.load(open(sys.argv[2]))]
    reference = []
    for name, scheme in SCHEMES.items():
        held = {k: Projection(v, scheme) if k.endswith(PROJECTIONS) else v for k, v in weights.items()}
        worst, changed = 0.0, 0
        for i, ids in enumerate(prompts):
            last = ref_forward.forward(meta, held, ids)[-1]
            if scheme is None:
                reference.append([(int(t), float(last[t])) for t in np.argsort(-last)[:5]])
            worst = max(worst, max(abs(float(last[t]) - v) for t, v in reference[i]))
            changed += int(np.argmax(last)) != reference[i][0][0]
        print(json.dumps({"benchmark": "activation_precision", "model": os.path.basename(sys.argv[1]),
                          "scheme": name, "prompts": len(prompts), "worst_top5_logit_deviation": round(worst, 5),
                          "greedy_tokens_changed": changed}), flush=True)


if __name__ == "__main__":
    main()
