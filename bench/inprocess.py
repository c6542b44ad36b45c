"""The floor and `ask` in process: what the machine can do, and what a question costs.

The floor is measured in the same run as everything else, one step at a time over distinct
questions: one query embedding, one Chroma nearest-neighbour query, one lexical lookup, and one
reader pass over the passages the reader reads. The floor of retrieval is the sum of the first
three; of a whole question, all four. Every latency the benchmark reports is also given as a
ratio to its floor, so figures from a busy or a slow machine stay comparable.
"""

from __future__ import annotations

import concurrent.futures
import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant import answerer, reading
from assistant.service import Assistant
from bench.figures import latency, say, with_ratios
from eval.questions import KNOWN_FACTS, load_questions

ROOT = Path(__file__).resolve().parent.parent
NORQUAD_DIR = ROOT.parent / "shared" / "benchmarks" / "norquad"
DEPTH = 30  # what the retriever asks each ranking for


def question_pool(norquad_dir: Path | None) -> tuple[list[str], dict[str, int]]:
    """Distinct questions: the known facts, then NorQuAD's validation questions interleaved
    (when the data is there). Also how many came from each."""
    known = [q.question for q in load_questions(KNOWN_FACTS)]
    norquad: list[str] = []
    if norquad_dir is not None and (norquad_dir / "questions.jsonl").exists():
        from eval.norquad import load_split

        norquad = [q.question for q in load_split(norquad_dir, "validation")]
    mixed: list[str] = []
    for i in range(max(len(known), len(norquad))):
        mixed += [q for q in (known[i : i + 1] + norquad[i : i + 1])]
    pool = list(dict.fromkeys(q.strip() for q in mixed if q.strip()))
    return pool, {"known_facts": len(known), "norquad_validation": len(norquad)}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn: Callable[..., object], *args: Any) -> float:
    started = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - started) * 1000


def measure_floor(assistant: Assistant, questions: Sequence[str]) -> dict[str, Any]:
    """p50 of each elementary step over `questions` (each question once per step)."""
    index = assistant.index
    embedder = assistant.embedder
    for q in questions[:3]:  # warm-up
        embedder.embed_query(q)
    embed_ms = [_timed(embedder.embed_query, q) for q in questions]
    vectors = [embedder.embed_query(q) for q in questions]
    chroma_ms = [_timed(index.dense_search_by_vector, v, DEPTH) for v in vectors]
    lexical_ms = [_timed(index.lexical_search, q, DEPTH) for q in questions]
    read_ms: list[float] = []
    reader = assistant.reader
    if reader is not None:
        # In a thread of its own, as the service reads (never in the main thread).
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            for q in questions:
                top = assistant.retriever.retrieve(q)[0][: reading.READ_K]
                units = [[u.text for u in answerer.units(p.chunk.text)] for p in top]
                read_ms.append(pool.submit(_timed, reader.read, q, top, units).result())
    found = {
        "embed": latency(embed_ms),
        "chroma": latency(chroma_ms),
        "lexical": latency(lexical_ms),
    }
    retrieval = sum(f["p50"] for f in found.values())
    read = latency(read_ms) if read_ms else None
    return {
        "questions": len(questions),
        # The reading's engine and instruction set (assistant/reader.py): the read step's
        # figure depends on them more than on anything else.
        "reader_engine": reader.engine if reader is not None else None,
        "reader_isa": reader.instruction_set if reader is not None else None,
        "steps": {**found, "read": read},
        "retrieval_ms": round(retrieval, 2),
        "read_ms": read["p50"] if read else None,
        "ask_ms": round(retrieval + (read["p50"] if read else 0.0), 2),
    }


def measure_asks(
    assistant: Assistant, questions: Sequence[str], floor: dict[str, Any]
) -> dict[str, Any]:
    """`ask` over each question once: latency split into retrieval, reading and the rest,
    and the CPU time a question costs (all threads of this process)."""
    for q in questions[-3:]:
        assistant.ask(q + " (oppvarming)")
    parts: dict[str, list[float]] = {"total": [], "retrieve": [], "read": [], "rest": []}
    read_by_reader = 0
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    for i, q in enumerate(questions, 1):
        started = time.perf_counter()
        answer = assistant.ask(q)
        wall = (time.perf_counter() - started) * 1000
        t = answer.timings_ms
        parts["total"].append(wall)
        parts["retrieve"].append(t["retrieve"])
        parts["read"].append(t["read"])
        parts["rest"].append(max(0.0, wall - t["retrieve"] - t["read"]))
        read_by_reader += bool(answer.reader)
        if i % 50 == 0:
            say(f"  … {i} av {len(questions)} spørsmål")
    cpu_s, wall_s = _cpu_s() - cpu0, time.perf_counter() - wall0
    n = max(len(questions), 1)
    return {
        "questions": len(questions),
        "read_by_reader": read_by_reader,
        "cpu_ms_per_question": round(cpu_s * 1000 / n, 2),
        "wall_ms_per_question": round(wall_s * 1000 / n, 2),
        "total": with_ratios(latency(parts["total"]), floor["ask_ms"]),
        "retrieve": with_ratios(latency(parts["retrieve"]), floor["retrieval_ms"]),
        "read": with_ratios(latency(parts["read"]), floor["read_ms"]),
        "rest": latency(parts["rest"]),
    }
