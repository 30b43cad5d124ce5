"""Drives LightServe's web console in a real headless Chromium (Debian's chromium and
chromium-driver) through Selenium; exits non-zero on the first failed check.

    console_browser_check.py full URL [--screenshot PATH]
        the page loads without console errors; a chat answer streams into it; while a load
        runs its queue, KV and throughput figures move, then settle; behind a path prefix
        (a prefix-stripping proxy started here) it works with only relative requests.
        Start the server with --max-running-requests 4 so the load makes requests wait.
    console_browser_check.py no-chat-template URL
        for a model without a chat template the page says so, turns chat off and completes.
    console_browser_check.py api-key URL --key KEY
        for a server started with --api-key KEY the page asks for the key, asks again for a
        wrong one, then works with the right one, keeps it in the tab only and does not ask
        again on reload.
"""
import argparse
import http.client
import json
import shutil
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 180  # a condition, polled; the shared test machine can be slow
PREFIX = "/lightserve"


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class PrefixProxy(ThreadingHTTPServer):
    """Serves the upstream server under PREFIX, stripping it, as a reverse proxy would; any
    request outside the prefix (an absolute URL in the page) is answered 404 and remembered."""
    daemon_threads = True

    def __init__(self, upstream):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream = (parsed.hostname, parsed.port)
        self.forwarded = []
        self.stray = []

    @property
    def url(self):
        return "http://127.0.0.1:%d%s" % (self.server_address[1], PREFIX)


class ProxyHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.forward()

    def do_POST(self):
        self.forward()

    def forward(self):
        if not (self.path == PREFIX or self.path.startswith(PREFIX + "/") or self.path.startswith(PREFIX + "?")):
            self.server.stray.append(self.command + " " + self.path)
            self.send_error(404, "outside " + PREFIX)
            return
        path = self.path[len(PREFIX):]
        path = path if path.startswith("/") else "/" + path
        self.server.forwarded.append(self.command + " " + path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=600)
        try:
            upstream.request(self.command, path, body=body, headers=headers)
            response = upstream.getresponse()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                    self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            while chunk := response.read1(65536):  # pass server-sent events through as they come
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            upstream.close()

    def log_message(self, *args):
        pass


class Console:
    """The page in one headless Chromium, and every browser console message it logged."""

    def __init__(self):
        options = Options()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1400,1100"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(options=options, service=service)
        self.logs = []

    def open(self, url):
        self.driver.get(url)
        self.wait(lambda: self.driver.execute_script("return document.body.dataset.ready === 'true'"), "the page never started")
        self.wait(lambda: self.number_attribute("polls") >= 1, "the page never showed the pipeline")

    def wait(self, condition, message):
        WebDriverWait(self.driver, WAIT_SECONDS, poll_frequency=0.1).until(lambda _: condition(), message)

    def text(self, css):
        """The rendered text of an element, read in one script (the page rebuilds its table rows)."""
        return self.driver.execute_script("return document.querySelector(arguments[0]).innerText", css)

    def number(self, element_id):
        text = self.text("#" + element_id)
        try:
            return float(text)
        except ValueError:
            return -1.0

    def number_attribute(self, name):
        return int(self.driver.execute_script("return Number(document.body.dataset[arguments[0]] || 0)", name))

    def set_field(self, element_id, value):
        field = self.driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(str(value))

    def ask(self, text):
        """Sends a message or prompt and waits for its answer's figures; returns the answer box."""
        answers = len(self.driver.find_elements(By.CSS_SELECTOR, "#transcript .stats"))
        self.set_field("input", text)
        self.driver.find_element(By.ID, "send").click()
        self.wait(lambda: len(self.driver.find_elements(By.CSS_SELECTOR, "#transcript .stats")) > answers,
                  "no answer finished")
        return self.driver.find_elements(By.CSS_SELECTOR, "#transcript .message")[-1]

    def collect_logs(self):
        self.logs += self.driver.get_log("browser")

    def errors(self):
        self.collect_logs()
        return [entry for entry in self.logs if entry.get("level") == "SEVERE"]

    def close(self):
        self.driver.quit()


def load(base, requests, tokens):
    """Streams `requests` generations at once straight to the server, in threads."""
    words = ["river", "engine", "quiet", "market", "purple", "network", "garden", "theory", "silver", "window"]

    def one(i):
        prompt = "Load %d: " % i + " ".join(words[(i * 7 + k * 3) % len(words)] for k in range(40))
        body = json.dumps({"inputs": prompt, "parameters": {"max_new_tokens": tokens, "ignore_eos": True}}).encode()
        request = urllib.request.Request(base + "/generate_stream", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(requests)]
    for thread in threads:
        thread.start()
    return threads


def busy_seconds(url):
    """Seconds of the last half minute in which the server sent tokens."""
    with urllib.request.urlopen(url + "/debug/throughput?seconds=30") as response:
        return sum(1 for n in json.load(response)["output_tokens_per_second"] if n > 0)


def check_full(url, screenshot):
    console = Console()
    proxy = PrefixProxy(url)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        console.open(url + "/")
        check(console.text("#model") == "SmolLM2-135M-Instruct.Q4_1", "model name: " + console.text("#model"))
        check(console.number("kv-capacity") > 0, "KV capacity not shown")
        check(console.number("kv-used") == 0 and console.number("running") == 0, "an idle server shows load")
        check(len(console.driver.find_elements(By.CSS_SELECTOR, "#stages tbody tr")) == 4, "stage rows missing")

        # A chat answer streams in: the answer's text is seen growing, piece by piece.
        console.driver.execute_script("""
            window.answerLengths = [];
            new MutationObserver(() => {
                const answers = document.querySelectorAll('#transcript .assistant .text');
                if (answers.length) window.answerLengths.push(answers[answers.length - 1].textContent.length);
            }).observe(document.getElementById('transcript'), {subtree: true, childList: true, characterData: true});""")
        console.set_field("temperature", 0)
        console.set_field("max_tokens", 24)
        answer = console.ask("What is the capital of France?")
        text = answer.find_element(By.CSS_SELECTOR, ".text").text
        stats = answer.find_element(By.CSS_SELECTOR, ".stats").text
        check("Paris" in text, "chat answer: " + text)
        check("prompt tokens" in stats and "output tokens" in stats and "first token" in stats and "tok/s" in stats,
              "answer figures: " + stats)
        lengths = sorted(set(n for n in console.driver.execute_script("return window.answerLengths") if n > 0))
        check(len(lengths) >= 3, "the answer did not stream in pieces: lengths %s" % lengths)
        print("chat streamed:", repr(text), "|", stats)

        # Under load the figures move; afterwards they settle.
        timelines = console.number_attribute("timelines")
        threads = load(url, requests=16, tokens=32)
        console.wait(lambda: console.number("waiting") > 0 and console.number("running") > 0 and console.number("kv-used") > 0,
                     "waiting, running and KV figures never rose under load")
        seen = {name: console.text("#" + name) for name in ("running", "waiting", "kv-used", "kv-peak")}
        console.wait(lambda: console.number("rate-now") > 0 and console.number_attribute("timelines") > timelines,
                     "no throughput or timeline under load")
        execute = console.text("#stages tr[data-stage='execute']")
        print("under load:", seen, "| execute:", execute, "| tok/s:", console.text("#rate-now"))
        if screenshot:
            # A few seconds into the load (or at its end, on a fast machine), so the plot shows it.
            console.wait(lambda: all(not t.is_alive() for t in threads) or busy_seconds(url) >= 4, "load never ran")
            console.wait(lambda: console.driver.execute_script(
                "const i = document.getElementById('timeline'); return i.complete && i.naturalWidth > 0"), "timeline image")
            height = console.driver.execute_script("return document.documentElement.scrollHeight")
            console.driver.set_window_size(1400, max(900, height + 20))
            check(console.driver.save_screenshot(screenshot), "screenshot not written")
        for thread in threads:
            thread.join()
        console.wait(lambda: console.number("running") == 0 and console.number("waiting") == 0 and console.number("kv-used") == 0,
                     "figures did not settle after the load")
        check(not console.errors(), "console errors: %s" % console.errors())

        # Behind a path prefix, given without its trailing slash: every request stays under it.
        console.open(proxy.url)
        check(console.text("#model") == "SmolLM2-135M-Instruct.Q4_1", "model name behind the prefix")
        console.driver.find_element(By.ID, "mode-completion").click()
        console.set_field("temperature", 0)
        console.set_field("max_tokens", 6)
        answer = console.ask("What is AI?")
        output = answer.find_element(By.CSS_SELECTOR, ".output").get_attribute("textContent")
        stats = answer.find_element(By.CSS_SELECTOR, ".stats").text
        check(output.startswith(" AI refers to machines"), "completion behind the prefix: %r" % output)
        check("6 output tokens" in stats and "4 prompt tokens" in stats, "completion figures: " + stats)
        console.wait(lambda: console.number_attribute("timelines") >= 1, "no timeline behind the prefix")
        check(not proxy.stray, "requests outside the prefix: %s" % proxy.stray)
        for path in ("GET /", "GET /debug/server", "GET /debug/stages", "GET /debug/throughput",
                     "GET /debug/timeline?seconds=10", "POST /generate_stream"):
            check(path in proxy.forwarded, "%s never went through the proxy: %s" % (path, sorted(set(proxy.forwarded))))
        check(not console.errors(), "console errors behind the prefix: %s" % console.errors())
        print("behind %s: %r | %s" % (PREFIX, output, stats))
    finally:
        console.close()
        proxy.shutdown()


def check_no_chat_template(url):
    console = Console()
    try:
        console.open(url + "/")
        notice = console.driver.find_element(By.ID, "chat-unavailable")
        check(notice.is_displayed() and "--chat-template" in notice.text, "no notice about the chat template")
        check(not console.driver.find_element(By.ID, "mode-chat").is_enabled(), "chat stays on without a template")
        check("active" in console.driver.find_element(By.ID, "mode-completion").get_attribute("class"),
              "completion is not the mode")
        console.set_field("max_tokens", 4)
        stats = console.ask("Hello").find_element(By.CSS_SELECTOR, ".stats").text
        check("prompt tokens" in stats and "output tokens" in stats and "first token" in stats, "completion figures: " + stats)
        check(not console.errors(), "console errors: %s" % console.errors())
        print("no chat template:", notice.text.replace("\n", " "), "|", stats)
    finally:
        console.close()


def check_api_key(url, key):
    console = Console()

    def asking(note):
        form = console.driver.find_element(By.ID, "key-form")
        return form.is_displayed() and note in console.text("#key-note")

    def enter(value):
        console.set_field("key-input", value)
        console.driver.find_element(By.ID, "key-submit").click()

    try:
        console.driver.get(url + "/")
        console.wait(lambda: asking("needs an API key"), "the page never asked for the key")
        check("API key" in console.text("#status"), "status while asking: " + console.text("#status"))
        enter("not-the-key")
        console.wait(lambda: asking("refused"), "a wrong key was not asked for again")
        enter(key)
        console.wait(lambda: console.driver.execute_script("return document.body.dataset.ready === 'true'"), "never started")
        console.wait(lambda: console.number_attribute("polls") >= 1, "the page never showed the pipeline")
        check(console.text("#model") == "SmolLM2-135M-Instruct.Q4_1", "model name: " + console.text("#model"))
        check(not console.driver.find_element(By.ID, "key-form").is_displayed(), "still asking after the right key")
        storage = console.driver.execute_script("return [sessionStorage.getItem('lightserve-api-key'), localStorage.length]")
        check(storage == [key, 0], "the key should live in this tab's sessionStorage only: %s" % storage)
        console.set_field("temperature", 0)
        console.set_field("max_tokens", 8)
        stats = console.ask("What is the capital of France?").find_element(By.CSS_SELECTOR, ".stats").text
        check("output tokens" in stats and "first token" in stats, "chat with the key: " + stats)
        console.driver.refresh()
        console.wait(lambda: console.number_attribute("polls") >= 1, "the page did not come back after a reload")
        check(not console.driver.find_element(By.ID, "key-form").is_displayed(), "asked again after a reload in the tab")
        # The 401s that made it ask are expected; nothing else may fail.
        unexpected = [e for e in console.errors() if "401" not in e.get("message", "")]
        check(not unexpected, "console errors: %s" % unexpected)
        print("api key: asked, refused a wrong one, kept the right one in the tab |", stats)
    finally:
        console.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("check", choices=["full", "no-chat-template", "api-key"])
    parser.add_argument("url")
    parser.add_argument("--screenshot")
    parser.add_argument("--key")
    arguments = parser.parse_args()
    if arguments.check == "full":
        check_full(arguments.url.rstrip("/"), arguments.screenshot)
    elif arguments.check == "api-key":
        check_api_key(arguments.url.rstrip("/"), arguments.key)
    else:
        check_no_chat_template(arguments.url.rstrip("/"))
    print("all checks passed")


if __name__ == "__main__":
    sys.exit(main())
