"""Fuzzes a running LightServe from its own OpenAPI document with schemathesis.

Usage: openapi_fuzz_check.py BASE_URL [MAX_EXAMPLES (default 100)] [SEED (default 2026)]

Reads BASE_URL/openapi.json and runs schemathesis' examples, coverage and fuzzing phases against
every operation (valid and invalid requests alike) with a fixed seed, so a run is repeatable.
Every response must be no server error (5xx), have a status code, a content type and a body the
document allows, and come within the request timeout (a hang is a failure). Prints the
schemathesis report and "all checks passed" when there was no failure; exits 1 otherwise.
"""

import os
import subprocess
import sys
import tempfile
import time


def main() -> int:
    base = sys.argv[1].rstrip("/")
    max_examples = sys.argv[2] if len(sys.argv) > 2 else "100"
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    command = [
        schemathesis, "run", f"{base}/openapi.json",
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", max_examples,
        "--seed", sys.argv[3] if len(sys.argv) > 3 else "2026",
        "--workers", "1",
        "--request-timeout", "60",
        "--suppress-health-check", "too_slow,filter_too_much,data_too_large",
        "--generation-database", "none",
        "--no-color",
    ]
    started = time.monotonic()
    # schemathesis keeps a cache in its working directory: a scratch one, not the repository.
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=scratch)
    print(result.stdout)
    print(f"schemathesis took {time.monotonic() - started:.0f} s")
    if result.returncode != 0:
        print(f"schemathesis failed (exit status {result.returncode})")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
