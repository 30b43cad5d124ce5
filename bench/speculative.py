"""Single-stream greedy decode on llama-server for bench/speculative: the prompts lightserve-bench
speculative prints, sent to one server per speculation mode, the modes taking turns on each
prompt, round after round (as lightserve-bench does, so that a slow spell of the machine lands on
every mode alike). Decode tok/s per kind and mode: llama-server's predicted tokens over its
predicted milliseconds, summed, with its draft counts.

usage: speculative.py MAX_TOKENS ROUNDS MODE=URL ... < prompts.jsonl   (one JSON line per kind and mode)
"""
import json
import sys
import urllib.request

max_tokens, rounds = int(sys.argv[1]), int(sys.argv[2])
servers = [argument.split("=", 1) for argument in sys.argv[3:]]
prompts = [json.loads(line) for line in sys.stdin if line.strip()]
totals = {}
for _ in range(rounds):
    for prompt in prompts:
        for mode, url in servers:
            body = json.dumps({"prompt": prompt["text"], "n_predict": max_tokens, "temperature": 0, "top_k": 1,
                               "cache_prompt": False}).encode()
            request = urllib.request.Request(url + "/completion", body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=600) as response:
                timings = json.load(response)["timings"]
            t = totals.setdefault((prompt["kind"], mode), {"tokens": 0, "ms": 0.0, "drafted": 0, "accepted": 0})
            t["tokens"] += timings["predicted_n"]
            t["ms"] += timings["predicted_ms"]
            t["drafted"] += timings.get("draft_n", 0)
            t["accepted"] += timings.get("draft_n_accepted", 0)
for (kind, mode), t in totals.items():
    print(json.dumps({
        "benchmark": "speculative", "server": "llama-server", "prompts": kind, "speculate": mode, "rounds": rounds,
        "decode_tokens": t["tokens"], "decode_tok_s": round(t["tokens"] / t["ms"] * 1000, 3) if t["ms"] else 0,
        "draft_tokens": t["drafted"], "accepted_tokens": t["accepted"],
        "acceptance": round(t["accepted"] / t["drafted"], 3) if t["drafted"] else 0,
    }), flush=True)
