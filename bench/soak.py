"""Mixed load against a running LightServe for N minutes; prints one JSON line of figures.

usage: soak.py BASE_URL SERVER_PID MINUTES [CLIENTS]

Each client loops over a random mix: LightLLM and OpenAI streams and plain requests, streams
it abandons after a few events, connections it drops before any answer, and bad inputs that
must get a 400. Reported: resident memory of the server at start, middle and end; outcomes by
kind (anything unexpected is an error, by status or exception type); KV slots held once the
load stops; preemptions.
"""
import collections
import json
import random
import socket
import sys
import threading
import time
import urllib.parse

import requests

base, pid, minutes = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
clients = int(sys.argv[4]) if len(sys.argv) > 4 else 16
target = urllib.parse.urlsplit(base)
deadline = time.monotonic() + minutes * 60
outcomes = collections.Counter()
errors = collections.Counter()
examples = {}
lock = threading.Lock()
WORDS = "the quick brown fox jumps over a lazy dog while seven wizards quietly hex jolly bards".split()


def rss_mb():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def note(kind, error=None, detail=""):
    with lock:
        outcomes[kind] += 1
        if error:
            errors[error] += 1
            examples.setdefault(error, detail[:300])


def prompt(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 60)))


def expect(kind, response, status=200):
    if response.status_code == status:
        note(kind)
    elif response.status_code == 503:
        note("overloaded_503")
    else:
        note(kind, f"{kind}: HTTP {response.status_code}", response.text)


def lightllm_stream(session, rng):
    body = {"inputs": prompt(rng), "parameters": {"max_new_tokens": rng.randint(4, 64), "do_sample": rng.random() < 0.5}}
    response = session.post(base + "/generate_stream", json=body, timeout=(10, 300))
    events = [line for line in response.text.split("\n") if line.startswith("data:")]
    if response.status_code == 200 and not (events and json.loads(events[-1][5:]).get("finished")):
        note("lightllm_stream", "lightllm_stream: unfinished", response.text)
    else:
        expect("lightllm_stream", response)


def lightllm_plain(session, rng):
    body = {"inputs": prompt(rng), "parameters": {"max_new_tokens": rng.randint(1, 48), "best_of": rng.choice([1, 1, 2]),
                                                  "do_sample": True, "stop_sequences": [rng.choice(WORDS)]}}
    expect("lightllm_plain", session.post(base + "/generate", json=body, timeout=(10, 300)))


def openai_chat(session, rng):
    stream = rng.random() < 0.5
    body = {"messages": [{"role": "user", "content": prompt(rng)}], "max_tokens": rng.randint(1, 48), "stream": stream}
    response = session.post(base + "/v1/chat/completions", json=body, timeout=(10, 300))
    if stream and response.status_code == 200 and not response.text.rstrip().endswith("data: [DONE]"):
        note("openai_chat", "openai_chat: stream without [DONE]", response.text)
    else:
        expect("openai_chat", response)


def openai_completion(session, rng):
    body = {"prompt": [prompt(rng), prompt(rng)], "max_tokens": rng.randint(1, 32), "n": rng.choice([1, 2])}
    expect("openai_completion", session.post(base + "/v1/completions", json=body, timeout=(10, 300)))


def abandoned_stream(session, rng):
    body = {"inputs": prompt(rng), "parameters": {"max_new_tokens": 200, "ignore_eos": True}}
    with requests.post(base + "/generate_stream", json=body, stream=True, timeout=(10, 300)) as response:
        seen = 0
        for line in response.iter_lines():
            if line.startswith(b"data:"):
                seen += 1
            if seen >= rng.randint(1, 5):
                break
    note("abandoned_stream")


def dropped_connection(session, rng):
    body = json.dumps({"inputs": prompt(rng), "parameters": {"max_new_tokens": 64}}).encode()
    with socket.create_connection((target.hostname, target.port), timeout=10) as sock:
        sock.sendall(b"POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
    note("dropped_connection")


BAD = [
    ("/generate", '{"inputs": "x", "parameters": {"max_new_tokens": 9223372036854775807}}'),
    ("/generate", '{"inputs": "x", "parameters": {"temperature": 1e308, "do_sample": true}}'),
    ("/generate", '{"inputs": [-5]}'),
    ("/generate", '{"inputs'),
    ("/v1/completions", '{"prompt": "x", "max_tokens": -1}'),
    ("/v1/chat/completions", '{"messages": [], "max_tokens": 3}'),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "x"}], "n": 1e308}'),
    ("/generate_stream", '{"inputs": "x", "parameters": {"best_of": 3}}'),
]


def bad_input(session, rng):
    path, body = rng.choice(BAD)
    response = session.post(base + path, data=body, headers={"Content-Type": "application/json"}, timeout=(10, 60))
    expect("bad_input_400", response, 400)


MIX = [(lightllm_stream, 5), (lightllm_plain, 3), (openai_chat, 3), (openai_completion, 2), (abandoned_stream, 2),
       (dropped_connection, 1), (bad_input, 2)]
CHOICES = [f for f, weight in MIX for _ in range(weight)]


def client(index):
    rng = random.Random(index)
    session = requests.Session()
    while time.monotonic() < deadline:
        action = rng.choice(CHOICES)
        try:
            action(session, rng)
        except Exception as error:  # noqa: BLE001 - every failure is counted by kind
            note(action.__name__, f"{action.__name__}: {type(error).__name__}", str(error))
            session = requests.Session()


def get(path):
    return requests.get(base + path, timeout=30).json()


start_rss = rss_mb()
threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
for t in threads:
    t.start()
time.sleep(minutes * 30)
middle_rss = rss_mb()
for t in threads:
    t.join()
end_loaded_rss = rss_mb()
idle = None
for _ in range(600):
    kv = get("/debug/stages")["kv"]
    if kv["running_sequences"] == 0 and kv["waiting_requests"] == 0:
        idle = kv
        break
    time.sleep(0.5)
load = get("/token_load")
print(json.dumps({
    "bench": "soak", "minutes": minutes, "clients": clients,
    "rss_mb": {"start": start_rss, "middle": middle_rss, "end": end_loaded_rss, "idle_after": rss_mb()},
    "requests": sum(outcomes.values()), "outcomes": dict(outcomes), "errors": dict(errors), "error_examples": examples,
    "kv_after": {"held": idle["held"] if idle else None, "current_load": load["current_load"],
                 "running": idle["running_sequences"] if idle else None, "preemptions": idle["preemptions"] if idle else None},
    "server_alive": rss_mb() is not None,
}))
