"""`lhl serve` under load on loopback: 1, 8 and 32 clients asking at once, each a new question
as soon as it has its answer (closed loop), for a fixed time per level.

Each client is a thread with its own keep-alive connection; latency is timed on the client
from sending to the last byte. Rate limiting is off for the run (the bench is a flood by
design). The server's peak memory is its VmHWM at the end of each level.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.figures import latency, num, say, with_ratios
from lhl.harness import LiveServer, run_server
from lhl.settings import Settings


def _client_loop(
    url: str,
    questions: Sequence[str],
    start: int,
    stop_at: float,
    latencies: list[float],
    errors: list[str],
    read: list[bool],
) -> None:
    i = start
    with httpx.Client(base_url=url, timeout=60.0) as client:
        while time.monotonic() < stop_at:
            question = questions[i % len(questions)]
            i += 1
            started = time.perf_counter()
            try:
                response = client.post("/api/ask", json={"question": question})
                ok = response.status_code == 200
                if ok:
                    read.append(bool(response.json().get("reader")))
            except httpx.HTTPError as exc:
                ok, response = False, None
                errors.append(type(exc).__name__)
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            elif response is not None:
                errors.append(str(response.status_code))


def load_level(
    server: LiveServer, questions: Sequence[str], clients: int, seconds: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    read: list[bool] = []
    stride = max(1, len(questions) // clients)
    started = time.monotonic()
    stop_at = started + seconds
    threads = [
        threading.Thread(
            target=_client_loop,
            args=(server.url, questions, c * stride, stop_at, latencies, errors, read),
            daemon=True,
        )
        for c in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started  # includes the last answers after stop_at
    rss, peak = server.rss_mb()
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 2),
        "read_by_reader": round(sum(read) / len(read), 3) if read else None,
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        **latency(latencies),
        "rss_mb": rss,
        "peak_rss_mb": peak,
    }


def measure_http(
    settings: Settings,
    workdir: Path,
    questions: Sequence[str],
    levels: Sequence[int],
    seconds: float,
    floor_ms: float | None,
) -> dict[str, Any]:
    served = settings.model_copy(
        update={"feedback_db": workdir / "feedback.sqlite3", "rate_limit_per_minute": 0}
    )
    started = time.monotonic()
    with run_server(served, workdir, timeout=300) as server:
        ready_s = round(time.monotonic() - started, 2)
        with server.client() as client:  # warm-up: the first requests of a process are slower
            for q in questions[:5]:
                client.post("/api/ask", json={"question": q}).raise_for_status()
        out = []
        for clients in levels:
            level = load_level(server, questions, clients, seconds)
            level.update(with_ratios({k: level[k] for k in ("p50", "p95", "p99")}, floor_ms))
            out.append(level)
            say(
                f"  {clients:>2} klienter: {num(level['rps'])} svar/s, p50 {num(level['p50'])} ms, "
                f"p95 {num(level['p95'])} ms, p99 {num(level['p99'])} ms, "
                f"{level['errors']} feil, {num(100 * (level['read_by_reader'] or 0), 0)} % lest av leseren, "
                f"topp minne {num(level['peak_rss_mb'], 0)} MB"
            )
    return {
        "settings": {
            "workers": 1,
            "embed_threads": served.embed_threads,
            "reader": served.reader,
            "reader_threads": served.reader_threads,
            "reader_workers": served.reader_pool_size,
            "reader_budget_s": served.reader_budget_s,
            "rate_limit_per_minute": 0,
        },
        "ready_s": ready_s,
        "levels": out,
        "peak_rss_mb": max((lv["peak_rss_mb"] for lv in out), default=None),
    }
