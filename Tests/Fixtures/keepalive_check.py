"""Checks that LightServe keeps connections alive across streamed and plain responses.

usage: keepalive_check.py BASE_URL one-connection|pooled

one-connection: one http.client connection sends every kind of request in turn (LightLLM and
OpenAI streams, streams cut by a stop sequence, n/best_of, a 400 refusal, plain JSON) three
times over; every response must be complete and the socket must stay the same one (no response
may close it without saying `Connection: close`, and none may say it).

pooled: 32 clients, each a requests.Session (a connection pool as the openai SDK has), send a
stream, a plain request and another stream concurrently; none may fail or go unanswered.
Exits non-zero, saying why, on the first failure; prints "all checks passed" otherwise.
"""
import http.client
import json
import sys
import threading
import urllib.parse

import requests

base = urllib.parse.urlsplit(sys.argv[1])
mode = sys.argv[2]


def events(body, prefix):
    return [line[len(prefix):] for line in body.decode().split("\n") if line.startswith(prefix)]


def check_lightllm_stream(status, body, reason=None):
    assert status == 200, (status, body)
    parsed = [json.loads(e) for e in events(body, "data:")]
    assert parsed and parsed[-1]["finished"], body
    if reason:
        assert parsed[-1]["finish_reason"] == reason, parsed[-1]


def check_openai_stream(status, body):
    assert status == 200, (status, body)
    lines = events(body, "data: ")
    assert lines[-1] == "[DONE]", body
    assert any(json.loads(line)["choices"] and json.loads(line)["choices"][0].get("finish_reason") for line in lines[:-1]), body


def check_json(expected_status, key):
    def check(status, body):
        assert status == expected_status, (status, body)
        assert key in json.loads(body), body
    return check


REQUESTS = [
    ("POST", "/generate_stream", {"inputs": "What is AI?", "parameters": {"max_new_tokens": 5}}, check_lightllm_stream),
    ("POST", "/generate", {"inputs": "What is AI?", "parameters": {"max_new_tokens": 5}}, check_json(200, "generated_text")),
    ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 5, "stream": True},
     check_openai_stream),
    ("POST", "/v1/completions", {"prompt": "One, two,", "max_tokens": 4}, check_json(200, "choices")),
    ("POST", "/generate_stream", {"inputs": "1, 2, 3, 4,", "parameters": {"max_new_tokens": 20, "stop_sequences": [","]}},
     lambda status, body: check_lightllm_stream(status, body, "stop")),
    ("POST", "/generate", {"inputs": "Once upon a time", "parameters": {"do_sample": True, "best_of": 3, "n": 2, "max_new_tokens": 4}},
     check_json(200, "generated_text")),
    ("POST", "/v1/completions", {"prompt": "Once upon a time", "max_tokens": 4, "n": 2, "stream": True}, check_openai_stream),
    ("POST", "/generate_stream", {"inputs": "x", "parameters": {"best_of": 2}}, check_json(400, "message")),
    ("GET", "/health", None, check_json(200, "message")),
    ("POST", "/v1/chat/completions",
     {"messages": [{"role": "user", "content": "Count to ten."}], "max_tokens": 30, "stop": [","], "stream": True},
     check_openai_stream),
]


def one_connection():
    connection = http.client.HTTPConnection(base.hostname, base.port, timeout=300)
    connection.connect()
    first = connection.sock
    local = first.getsockname()
    for round in range(3):
        for method, path, body, check in REQUESTS:
            payload = json.dumps(body) if body is not None else None
            connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            data = response.read()
            where = f"round {round}, {method} {path} {payload}"
            assert response.getheader("Connection", "").lower() != "close", f"{where}: the server closed the connection"
            try:
                check(response.status, data)
            except AssertionError as error:
                raise AssertionError(f"{where}: {error}")
            assert connection.sock is first and connection.sock.getsockname() == local, f"{where}: a new connection was opened"


def pooled():
    failures = []
    done = []

    def client(i):
        session = requests.Session()
        url = sys.argv[1]
        stream = {"inputs": f"Client {i} says hello to", "parameters": {"max_new_tokens": 16, "ignore_eos": True}}
        try:
            for step, path in enumerate(["/generate_stream", "/generate", "/generate_stream"]):
                response = session.post(url + path, json=stream, timeout=(10, 300))
                if path == "/generate":
                    check_json(200, "generated_text")(response.status_code, response.content)
                else:
                    check_lightllm_stream(response.status_code, response.content, "length")
                    assert len(events(response.content, "data:")) == 16, response.content
            done.append(i)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failures.append(f"client {i}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, "\n".join(failures)
    assert len(done) == 32, done


{"one-connection": one_connection, "pooled": pooled}[mode]()
print("all checks passed")
