"""Chroma server mode: the vectors in a real `chroma run` on loopback. The same dense query
as the floor's, against the server; then two `lhl serve` processes, each with an empty index
folder of its own, sharing that server: both must answer, and a document added by a new
ingest must be found by both within 10 s (they ask the server whether the index moved on at
most every lhl.shared_state.CHECK_INTERVAL_S).
"""

from __future__ import annotations

import shutil
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.figures import latency, num, say, with_ratios
from bench.ingest import run_lhl_ingest
from lhl.harness import ROOT, LiveServer, run_chroma, run_server
from lhl.settings import Settings
from lhl.store import Index

QUESTION = "Hvilken kommune fikk Leve hele livet-prisen for 2022?"
NEW_FILE = "benchmark-nytt-dokument.txt"
NEW_TEXT = (
    "Nytt dokument fra målingen\n\n"
    "Bjørnefjell-prisen for aldersvennlige kafeer gikk i 2026 til Kvitsund kommune, "
    "som åpnet tre møteplasser for eldre i løpet av våren.\n"
)
NEW_QUERY = "Bjørnefjell-prisen aldersvennlige kafeer"
MARKER = "Bjørnefjell-prisen"
VISIBLE_WITHIN_S = 10.0


def _answers(server: LiveServer) -> dict[str, Any]:
    with server.client() as client:
        response = client.post("/api/ask", json={"question": QUESTION})
    data = response.json() if response.status_code == 200 else {}
    return {"status": response.status_code, "found": bool(data.get("found"))}


def _wait_visible(servers: list[LiveServer], limit_s: float) -> list[float | None]:
    """Seconds until each server's search finds the new document (None: not within limit)."""
    started = time.monotonic()
    seen: list[float | None] = [None] * len(servers)
    clients = [httpx.Client(base_url=s.url, timeout=10.0) for s in servers]
    try:
        while None in seen and time.monotonic() - started < limit_s:
            for i, client in enumerate(clients):
                if seen[i] is not None:
                    continue
                response = client.get("/api/search", params={"q": NEW_QUERY, "k": 3})
                passages = (
                    response.json().get("passages", []) if response.status_code == 200 else []
                )
                if any(MARKER in p.get("text", "") for p in passages):
                    seen[i] = round(time.monotonic() - started, 2)
            time.sleep(0.2)
    finally:
        for client in clients:
            client.close()
    return seen


def measure_replicas(
    settings: Settings,
    embedder: Any,
    workdir: Path,
    questions: list[str],
    floor_chroma_ms: float | None,
    threads: int,
) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = workdir / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    with run_chroma(workdir / "chroma") as url:
        shared = settings.model_copy(
            update={
                "chroma_url": url,
                "chroma_collection_prefix": "bench",
                "index_dir": workdir / "ingest" / "index",
                "rate_limit_per_minute": 0,
            }
        )
        first = run_lhl_ingest(shared, corpus, shared.index_dir, threads)
        say(f"  innlesing til Chroma-tjeneren: {num(first['seconds'])} s")
        dense = _dense_latency(Index(shared, embedder), embedder, questions, floor_chroma_ms)
        replicas = _two_services(shared, workdir, corpus, threads)
    return {"dense": dense, "ingest_s": first["seconds"], **replicas}


def _dense_latency(
    index: Index, embedder: Any, questions: list[str], floor_chroma_ms: float | None
) -> dict[str, Any]:
    """The floor's dense query against the server, timed for each question."""
    vectors = [embedder.embed_query(q) for q in questions]
    for v in vectors[:3]:
        index.dense_search_by_vector(v, 30)
    dense_ms = []
    for v in vectors:
        started = time.perf_counter()
        index.dense_search_by_vector(v, 30)
        dense_ms.append((time.perf_counter() - started) * 1000)
    dense = with_ratios(latency(dense_ms), floor_chroma_ms)
    say(
        f"  tett søk mot tjeneren: p50 {num(dense['p50'], 2)} ms, p95 {num(dense['p95'], 2)} ms "
        f"({num(dense['x_p50'])}× gulvet)"
    )
    return dense


def _two_services(shared: Settings, workdir: Path, corpus: Path, threads: int) -> dict[str, Any]:
    """Two `lhl serve` sharing the Chroma server: whether both answer, and how soon a new
    ingest's document is found by each."""
    with ExitStack() as stack:
        servers = []
        for name in ("a", "b"):
            replica = shared.model_copy(
                update={
                    "index_dir": workdir / name / "index",
                    "feedback_db": workdir / name / "feedback.sqlite3",
                }
            )
            servers.append(stack.enter_context(run_server(replica, workdir / name, timeout=300)))
        answered = [_answers(s) for s in servers]
        say(
            "  to tjenester mot samme Chroma: "
            + ", ".join(
                "svarer" if a["found"] else f"svarer ikke ({a['status']})" for a in answered
            )
        )
        (corpus / NEW_FILE).write_text(NEW_TEXT, encoding="utf-8")
        second = run_lhl_ingest(shared, corpus, shared.index_dir, threads)
        visible = _wait_visible(servers, 3 * VISIBLE_WITHIN_S)
        say(
            f"  nytt dokument lest inn på {num(second['seconds'])} s; synlig etter "
            + ", ".join(f"{num(v)} s" if v is not None else "mer enn 30 s" for v in visible)
        )
    return {
        "replicas": len(servers),
        "answered": answered,
        "new_ingest_s": second["seconds"],
        "visible_s": visible,
        "visible_within_s": VISIBLE_WITHIN_S,
    }
