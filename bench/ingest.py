"""`lhl ingest` timed as a user runs it (a subprocess: interpreter start and model load
included): the bundled corpus into a fresh index (cold), the same again with nothing changed,
and a corpus `copies` times larger, against the embedder's raw throughput measured in the same
run with the same threads (a subprocess too: OpenMP reads its thread count once).

The larger corpus is the bundled one repeated, each copy's paragraphs varied by a sentence
naming a municipality, so every passage's content hash differs and all are embedded.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.figures import num, ratio, say
from lhl.harness import ROOT, settings_env
from lhl.settings import Settings

PLACES = ("Alta", "Bodø", "Eid", "Fræna", "Gran", "Hol", "Lom", "Moss", "Nes", "Os", "Rana")


def corpus_passages(corpus: Path, limit: int | None = None) -> list[str]:
    """The corpus's passages as ingest embeds them (section heading + text)."""
    from ingest.chunker import chunk_document
    from ingest.corpus import document_info, read_manifest, scan_corpus
    from ingest.loaders import first_heading, load_file

    manifest = read_manifest(corpus)
    texts: list[str] = []
    for path in scan_corpus(corpus):
        blocks = load_file(path)
        info = document_info(corpus, path, manifest.get(path.name), first_heading(blocks))
        texts.extend(c.index_text() for c in chunk_document(info, blocks))
    return texts[:limit]


def raw_worker(spec: str, threads: int, passages: int) -> dict[str, Any]:
    """In its own process: the embedder loaded, then `passages` of the corpus embedded in
    the ingest's batches."""
    from lhl.embeddings import make_embedder

    texts = corpus_passages(ROOT / "corpus")
    texts = (texts * (passages // max(len(texts), 1) + 1))[:passages]
    embedder = make_embedder(spec, threads=threads)
    embedder.load()
    embedder.embed_documents(texts[:16])  # warm-up
    started = time.perf_counter()
    embedder.embed_documents(texts)
    seconds = time.perf_counter() - started
    return {
        "passages": len(texts),
        "seconds": round(seconds, 2),
        "per_s": round(len(texts) / seconds, 2),
    }


def scaled_corpus(src: Path, dst: Path, copies: int) -> None:
    """`copies` versions of the corpus in one folder; copy 0 is the corpus as it is."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.iterdir()):
        if path.suffix in {".json"}:
            continue
        text = path.read_text(encoding="utf-8")
        for k in range(copies):
            if k == 0:
                (dst / path.name).write_text(text, encoding="utf-8")
                continue
            place = f"{PLACES[k % len(PLACES)]} {k}"
            varied = [
                line + f" Dette gjelder også {place}." if len(line) > 40 else line
                for line in text.splitlines()
            ]
            (dst / f"kopi-{k:02d}-{path.name}").write_text("\n".join(varied), encoding="utf-8")
    manifest = src / "manifest.json"
    if manifest.exists():
        shutil.copy(manifest, dst / "manifest.json")


def run_lhl_ingest(settings: Settings, corpus: Path, index: Path, threads: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "cli.main", "ingest", "--corpus", str(corpus)]
    cmd += ["--index", str(index), "--threads", str(threads)]
    env = settings_env(settings, {"PYTHONPATH": str(ROOT)})
    index.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=index.parent, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"lhl ingest failed:\n{done.stdout}\n{done.stderr}")
    found = re.search(r"Avsnitt i indeksen: (\d+) \((\d+) nye embeddinger\)", done.stdout)
    chunks, embedded = (int(found.group(1)), int(found.group(2))) if found else (-1, -1)
    return {
        "seconds": round(seconds, 2),
        "passages": chunks,
        "embedded": embedded,
        "per_s": round(embedded / seconds, 2) if embedded > 0 else None,
    }


def measure_ingest(
    settings: Settings, workdir: Path, threads: int, copies: int, raw_passages: int
) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.ingest",
            "--raw",
            settings.embeddings,
            str(threads),
            str(raw_passages),
        ],
        env=settings_env(settings, {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": str(threads)}),
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    say(f"  embedderen alene: {num(raw['per_s'])} avsnitt/s ({threads} tråder)")

    corpus = workdir / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    cold = run_lhl_ingest(settings, corpus, workdir / "index", threads)
    say(f"  kald innlesing: {cold['embedded']} avsnitt på {num(cold['seconds'])} s")
    nochange = run_lhl_ingest(settings, corpus, workdir / "index", threads)
    say(f"  uendret: {num(nochange['seconds'], 2)} s")

    big = workdir / f"corpus-x{copies}"
    scaled_corpus(ROOT / "corpus", big, copies)
    scaled = run_lhl_ingest(settings, big, workdir / f"index-x{copies}", threads)
    scaled["copies"] = copies
    say(
        f"  {copies}× korpus: {scaled['embedded']} avsnitt på {num(scaled['seconds'])} s, "
        f"{num(scaled['per_s'])} avsnitt/s ({num(ratio(scaled['per_s'], raw['per_s']), 2)}× embedderen)"
    )
    return {
        "threads": threads,
        "raw": raw,
        "cold": {**cold, "x_raw": ratio(cold["per_s"], raw["per_s"])},
        "nochange": nochange,
        "scaled": {**scaled, "x_raw": ratio(scaled["per_s"], raw["per_s"])},
    }


def main() -> int:
    p = argparse.ArgumentParser(description="(intern) embedderens rå fart i en egen prosess")
    p.add_argument("--raw", nargs=3, metavar=("EMBEDDER", "THREADS", "PASSAGES"), required=True)
    args = p.parse_args()
    spec, threads, passages = args.raw
    print(json.dumps(raw_worker(spec, int(threads), int(passages))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
