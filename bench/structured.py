"""Structured output under load: N concurrent chat streams answering with a JSON Schema
constraint against the same N unconstrained, and time to first token for a schema the server has
not seen against one it has. Prints one JSON line per figure; exits non-zero if a constrained
answer that did not end by length fails the schema.

usage: structured.py BASE_URL NAME [CLIENTS] [MAX_TOKENS]

NAME labels the server (lightserve, llama-server). Both speak OpenAI's chat completions with
`response_format: {"type": "json_schema", ...}`.
"""
import json
import statistics
import sys
import threading
import time

import jsonschema
import requests

base, name = sys.argv[1], sys.argv[2]
clients = int(sys.argv[3]) if len(sys.argv) > 3 else 32
max_tokens = int(sys.argv[4]) if len(sys.argv) > 4 else 128

SUBJECTS = ["a lighthouse keeper", "a chess engine", "a bakery", "a volcano", "a Swift compiler", "a jazz trio",
            "a Mars rover", "a library", "a marathon", "a coral reef", "a night train", "a weather balloon"]


def schema(tag=""):
    return {
        "type": "object",
        "properties": {
            "title" + tag: {"type": "string", "maxLength": 60},
            "year": {"type": "integer", "minimum": 1800, "maximum": 2100},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 4},
            "summary": {"type": "string", "maxLength": 300},
            "rating": {"enum": ["good", "bad", "mixed"]},
        },
        "required": ["title" + tag, "year", "tags", "summary", "rating"],
        "additionalProperties": False,
    }


def body(i, constrained, tag="", run=""):
    # `run` starts the message differently in each load run, so no run is served from the prefix
    # cache an earlier one filled (the template's system prompt before it is shared by all).
    request = {
        "model": "m", "temperature": 0, "max_tokens": max_tokens, "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": f"{run}Describe {SUBJECTS[i % len(SUBJECTS)]} as a JSON record "
                                                 "with title, year, tags, summary and rating."}],
    }
    if constrained:
        request["response_format"] = {"type": "json_schema", "json_schema": {"name": "record", "schema": schema(tag)}}
    return request


def stream(request):
    """(seconds to the first content, completion tokens, text, finish reason)."""
    start = time.monotonic()
    first, text, tokens, finish = None, "", 0, None
    with requests.post(base + "/v1/chat/completions", json=request, stream=True, timeout=1800) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith(b"data: ") or line == b"data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            for choice in chunk.get("choices") or []:
                piece = choice.get("delta", {}).get("content") or ""
                if piece and first is None:
                    first = time.monotonic() - start
                text += piece
                finish = choice.get("finish_reason") or finish
    return first, tokens, text, finish


def load(constrained, run):
    results = [None] * clients
    def run_one(i):
        results[i] = stream(body(i, constrained, run=run))
    threads = [threading.Thread(target=run_one, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    tokens = sum(r[1] for r in results)
    invalid = 0
    if constrained:
        for _, _, text, finish in results:
            if finish == "length":
                continue
            try:
                jsonschema.validate(json.loads(text), schema())
            except (ValueError, jsonschema.ValidationError):
                invalid += 1
    print(json.dumps({
        "benchmark": "structured", "server": name, "constrained": constrained, "clients": clients,
        "max_tokens": max_tokens, "completion_tokens": tokens, "wall_s": round(wall, 3),
        "output_tok_s": round(tokens / wall, 2),
        "ttft_p50_s": round(statistics.median(r[0] for r in results if r[0] is not None), 3),
        "finished_by_length": sum(r[3] == "length" for r in results), "invalid": invalid,
    }), flush=True)
    return invalid


stream(body(0, False) | {"max_tokens": 4})  # warm-up
failures = load(False, "(A) ") + load(True, "(B) ")

# Time to first token, one request at a time on the same prompt: no schema, a schema never seen (a
# property name made unique by the clock; five of them), and the last of those again, compiled and
# cached. Medians of five each.
single = {"max_tokens": 8}
plain = [stream(body(1, False) | single)[0] for _ in range(5)]
tags = [f"{time.monotonic_ns()}{k}" for k in range(5)]
new = [stream(body(1, True, tag) | single)[0] for tag in tags]
cached = [stream(body(1, True, tags[-1]) | single)[0] for _ in range(5)]
plain_s, new_s, cached_s = statistics.median(plain), statistics.median(new), statistics.median(cached)
print(json.dumps({
    "benchmark": "structured-ttft", "server": name, "unconstrained_s": round(plain_s, 4),
    "new_schema_s": round(new_s, 4), "cached_schema_s": round(cached_s, 4),
    "new_schema_added_ms": round((new_s - plain_s) * 1000, 1),
    "cached_schema_added_ms": round((cached_s - plain_s) * 1000, 1),
}), flush=True)
sys.exit(1 if failures else 0)
