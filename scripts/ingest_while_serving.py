"""Ingest while serving: `lhl serve` answers under load while `lhl ingest` switches the corpus.

A real `lhl serve` (hash embedder, the old corpus of scripts/kill_loop.py) gets questions from
several client threads over HTTP, without pause, whose answers exist only in the old corpus
or only in the new one. Meanwhile `lhl ingest` in another process switches the same index
folder to the new corpus. Printed: requests, failures, which side each answer came from,
whether any client saw an old answer after a new one, the switch window (last old answer
minus first new one, over all clients) measured from the moment the new state was in place,
and latency before, around and after the switch.

    .venv/bin/python scripts/ingest_while_serving.py                 # 4 clients, 8 s after
    .venv/bin/python scripts/ingest_while_serving.py --clients 8 --delay 0.05
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from corpus_switch import (  # noqa: E402
    NEW_MARKERS,
    OLD_MARKERS,
    QUESTIONS,
    Run,
    settings_for,
    start_ingest,
    write_corpora,
)

from eval.runner import percentile  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402
from lhl.embeddings import make_embedder  # noqa: E402
from lhl.harness import LiveServer, run_server  # noqa: E402


@dataclass
class Reply:
    client: int
    sent: float  # monotonic seconds
    received: float
    status: int  # 0: no HTTP answer (connection error, timeout)
    side: str  # "old", "new", "neither" (e.g. not found), "mix", "error"

    @property
    def ms(self) -> float:
        return (self.received - self.sent) * 1000


def side_of(payload: dict[str, object]) -> str:
    texts = [str(payload.get("answer", ""))]
    citations = payload.get("citations") or []
    assert isinstance(citations, list)
    texts += [str(c.get("text", "")) for c in citations if isinstance(c, dict)]
    said = "\n".join(texts)
    old = any(m in said for m in OLD_MARKERS)
    new = any(m in said for m in NEW_MARKERS)
    return "mix" if old and new else "old" if old else "new" if new else "neither"


@dataclass
class Load:
    """Client threads asking questions in turn, each on its own keep-alive connection."""

    url: str
    clients: int
    replies: list[Reply] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        for n in range(self.clients):
            t = threading.Thread(target=self._client, args=(n,), daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)

    def _client(self, n: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30.0) as client:
            i = n
            while not self._stop.is_set():
                question = QUESTIONS[i % len(QUESTIONS)]
                i += 1
                sent = time.monotonic()
                try:
                    r = client.post("/api/ask", json={"question": question})
                    status = r.status_code
                    side = side_of(r.json()) if status == 200 else "error"
                except httpx.HTTPError:
                    status, side = 0, "error"
                with self._lock:
                    self.replies.append(Reply(n, sent, time.monotonic(), status, side))


@dataclass
class SwitchReport:
    replies: list[Reply]
    ingest_started: float
    state_replaced: float | None
    ingest_rc: int

    @property
    def failures(self) -> list[Reply]:
        return [r for r in self.replies if r.status != 200 or r.side in ("mix", "error")]

    def backslides(self) -> list[tuple[int, Reply]]:
        """Per client: an old answer received after a new one."""
        out = []
        for n in {r.client for r in self.replies}:
            seen_new = False
            for r in sorted((r for r in self.replies if r.client == n), key=lambda r: r.sent):
                if r.side == "new":
                    seen_new = True
                elif r.side == "old" and seen_new:
                    out.append((n, r))
        return out

    def first_new(self) -> float | None:
        return min((r.received for r in self.replies if r.side == "new"), default=None)

    def last_old(self) -> float | None:
        return max((r.received for r in self.replies if r.side == "old"), default=None)


def switch_corpus(
    server: LiveServer,
    new_corpus: Path,
    index_dir: Path,
    embedder: str,
    clients: int,
    before_s: float,
    after_s: float,
) -> SwitchReport:
    """Load on `server`, `lhl ingest` of `new_corpus` into its index in the middle."""
    load = Load(server.url, clients)
    load.start()
    try:
        time.sleep(before_s)
        started = time.monotonic()
        run: Run = start_ingest(new_corpus, index_dir, embedder)
        rc = run.finish()
        replaced = next((ms for ms, s in run.stages if s == "state replaced"), None)
        time.sleep(after_s)
    finally:
        load.stop()
    return SwitchReport(
        list(load.replies),
        started,
        run.started + replaced / 1000 if replaced is not None else None,
        rc,
    )


def describe(report: SwitchReport) -> list[str]:
    replies = report.replies
    sides = {s: sum(r.side == s for r in replies) for s in ("old", "new", "neither")}
    zero = report.state_replaced or report.ingest_started

    def rel(t: float | None) -> str:
        return "–" if t is None else f"{(t - zero) * 1000:+.0f} ms"

    first_new, last_old = report.first_new(), report.last_old()
    window = (
        f"{(last_old - first_new) * 1000:.0f} ms"
        if first_new is not None and last_old is not None and last_old > first_new
        else "0 ms (ingen gamle svar etter det første nye)"
    )

    def lat(sel: list[Reply]) -> str:
        ms = [r.ms for r in sel]
        if not ms:
            return "–"
        return (
            f"n={len(ms)} p50 {percentile(ms, 0.5):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
            f"maks {max(ms):.1f} ms"
        )

    around = [r for r in replies if abs(r.sent - zero) <= 1.0]
    return [
        f"Forespørsler: {len(replies)}, feilet: {len(report.failures)} "
        f"(svar fra gammelt korpus {sides['old']}, nytt {sides['new']}, "
        f"ingen av dem {sides['neither']})",
        f"lhl ingest: exit {report.ingest_rc}; ny tilstand på plass "
        f"{(zero - report.ingest_started) * 1000:.0f} ms etter start",
        f"Første nye svar {rel(first_new)}, siste gamle svar {rel(last_old)} "
        f"(fra ny tilstand på plass); byttevindu {window}",
        f"Klienter som fikk et gammelt svar etter et nytt: {len(report.backslides())}",
        f"Svartid før innlesingen: {lat([r for r in replies if r.sent < report.ingest_started])}",
        f"Svartid under innlesingen: "
        f"{lat([r for r in replies if report.ingest_started <= r.sent < zero])}",
        f"Svartid ±1 s rundt byttet: {lat(around)}",
        f"Svartid etter byttet (+1 s og senere): {lat([r for r in replies if r.sent > zero + 1])}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.02, help="hash embedder, s per passage")
    parser.add_argument("--before", type=float, default=3.0, help="s of load before the ingest")
    parser.add_argument("--after", type=float, default=8.0, help="s of load after it")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="lhl-serve-switch-"))
    try:
        old_corpus, new_corpus = write_corpora(root)
        settings = settings_for(root / "index", old_corpus).model_copy(
            update={"rate_limit_per_minute": 0, "feedback_db": root / "feedback.sqlite3"}
        )
        run_ingest(settings, make_embedder("hash"), old_corpus)
        with run_server(settings, root / "server") as server:
            report = switch_corpus(
                server,
                new_corpus,
                settings.index_dir,
                f"hash:delay={args.delay}",
                args.clients,
                args.before,
                args.after,
            )
        for line in describe(report):
            print(line)
        print(f"{args.clients} klienter; load {os.getloadavg()[0]:.2f}.")
        return 1 if report.failures or report.backslides() or report.ingest_rc else 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
