"""What the web console costs a server under load: `lightserve-bench load` (32 streaming
clients by default) against one server, alternating, in the same run, between
  closed   nobody watches;
  browser  the console open in a headless Chromium on this machine (its rendering competes
           for the same cores, so this is an upper bound);
  poller   the page's requests without a browser (debug/stages and debug/throughput every
           second, debug/timeline every three seconds): what the server itself pays.
Prints one JSON object per load run, then the medians and their ratios to `closed`, and how
long the console's endpoints took to answer under load.

    bench/console-cost [--rounds 3] [--clients 32]   (builds and finds the model itself)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request


def start_server(binary, model):
    server = subprocess.Popen(
        [binary, "serve", "--model", model, "--host", "127.0.0.1", "--port", "0", "--kv-cache-mb", "512"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    return server, int(line.rsplit(":", 1)[1])


class Poller:
    """The console's requests at the console's rates, timing each answer."""

    def __init__(self, url):
        self.url = url
        self.stop = threading.Event()
        self.latencies = {"debug/stages": [], "debug/throughput": [], "debug/timeline?seconds=10": []}
        self.thread = threading.Thread(target=self.run, daemon=True)

    def fetch(self, path):
        started = time.perf_counter()
        with urllib.request.urlopen(self.url + "/" + path, timeout=60) as response:
            response.read()
        self.latencies[path].append((time.perf_counter() - started) * 1000)

    def run(self):
        tick = 0
        while not self.stop.is_set():
            self.fetch("debug/stages")
            self.fetch("debug/throughput")
            if tick % 3 == 0:
                self.fetch("debug/timeline?seconds=10")
            tick += 1
            self.stop.wait(1)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


class Browser:
    """The console open in headless Chromium for as long as the block runs."""

    def __init__(self, url):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        options = Options()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1100"):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(
            options=options, service=Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver"))
        self.url = url

    def __enter__(self):
        self.driver.get(self.url + "/")
        return self

    def __exit__(self, *exc):
        polls = self.driver.execute_script("return Number(document.body.dataset.polls || 0)")
        timelines = self.driver.execute_script("return Number(document.body.dataset.timelines || 0)")
        self.driver.quit()
        self.seen = {"polls": polls, "timelines": timelines}


class Nobody:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--requests-per-client", type=int, default=2)
    arguments = parser.parse_args()

    server, port = start_server(arguments.binary, arguments.model)
    url = "http://127.0.0.1:%d" % port
    results = {"closed": [], "browser": [], "poller": []}
    latencies = {}
    try:
        modes = ["closed", "browser", "poller"]
        for round_ in range(arguments.rounds):
            for mode in modes[round_ % 3:] + modes[:round_ % 3]:  # each mode first once in three rounds
                watcher = {"closed": Nobody, "browser": Browser, "poller": Poller}[mode]
                watcher = watcher() if mode == "closed" else watcher(url)
                with watcher:
                    out = subprocess.run(
                        [arguments.bench, "load", "--port", str(port), "--clients", str(arguments.clients),
                         "--requests-per-client", str(arguments.requests_per_client), "--max-tokens", str(arguments.max_tokens)],
                        check=True, capture_output=True, text=True).stdout
                figures = json.loads(out.strip().splitlines()[-1])
                figures.update({"round": round_ + 1, "console": mode})
                if mode == "browser":
                    figures["page"] = watcher.seen
                if mode == "poller":
                    for path, values in watcher.latencies.items():
                        latencies.setdefault(path, []).extend(values)
                results[mode].append(figures["output_tok_s"])
                print(json.dumps(figures), flush=True)
    finally:
        server.terminate()
        server.wait()
    closed = statistics.median(results["closed"])
    summary = {"benchmark": "console-cost", "clients": arguments.clients, "rounds": arguments.rounds,
               "output_tok_s_median": {mode: round(statistics.median(v), 1) for mode, v in results.items()},
               "ratio_to_closed": {mode: round(statistics.median(v) / closed, 3) for mode, v in results.items()},
               "endpoint_ms_under_load": {path: {"p50": round(statistics.median(v), 2), "max": round(max(v), 2), "n": len(v)}
                                          for path, v in latencies.items() if v}}
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    sys.exit(main())
