"""`lhl bench --quick` over the hash-embedder index: every part runs (a real `lhl serve` under
load, real `lhl ingest` runs, synthetic growth in subprocesses, a real `chroma run` with two
services sharing it) and bench.json / bench.md have the expected shape. No figure is checked
against a time: speed is what the benchmark reports, not what a test asserts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lhl.harness import ROOT, chroma_cli, settings_env
from lhl.settings import Settings


@pytest.mark.server
def test_quick_bench_runs_every_part(hash_index: Settings, tmp_path: Path) -> None:
    """`lhl bench --quick` runs every part and reports each. Long by its checks: one run
    (minutes), checked part by part."""
    if chroma_cli() is None:
        pytest.skip("the chroma CLI (from the chromadb package) is not installed")
    out = tmp_path / "out"
    env = settings_env(hash_index, {"PYTHONPATH": str(ROOT)})
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "bench", "--quick", "--out", str(out), "--threads", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Gulvet" in done.stdout and "Oppfylt" in done.stdout  # progress and table, in Norwegian

    result = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert result["meta"]["quick"] is True and result["meta"]["embeddings"] == "hash"
    floor = result["floor"]
    assert {"embed", "chroma", "lexical"} <= floor["steps"].keys()
    assert floor["steps"]["read"] is None  # the hash index is served without the reader
    assert floor["retrieval_ms"] > 0

    inproc = result["inprocess"]
    assert inproc["questions"] == 20 and inproc["cpu_ms_per_question"] > 0
    for part in ("total", "retrieve", "read", "rest"):
        assert {"p50", "p95", "p99"} <= inproc[part].keys()
    assert inproc["retrieve"]["x_p50"] is not None  # a ratio to its floor

    levels = result["http"]["levels"]
    assert [lv["clients"] for lv in levels] == [1, 8, 32]
    for lv in levels:
        assert lv["requests"] > 0 and lv["errors"] == 0, lv
        assert lv["peak_rss_mb"] > 0
    assert result["http"]["settings"]["rate_limit_per_minute"] == 0

    ingest = result["ingest"]
    assert ingest["cold"]["embedded"] == ingest["cold"]["passages"] > 100
    assert ingest["nochange"]["embedded"] == 0
    # Every copy of the corpus differs: all of its passages are embedded.
    assert ingest["scaled"]["embedded"] == ingest["scaled"]["passages"] > ingest["cold"]["passages"]
    assert ingest["raw"]["per_s"] > 0

    sizes = result["growth"]["sizes"]
    assert [s["passages"] for s in sizes] == [500, 2000]
    for s in sizes:
        assert s["lexical"]["n"] == s["dense"]["n"] == 20
        assert s["rss_mb"]["total"] > 0

    server = result["chroma_server"]
    assert server["replicas"] == 2
    assert all(a["status"] == 200 and a["found"] for a in server["answered"]), server
    assert all(v is not None for v in server["visible_s"]), server  # the new ingest reached both

    ids = {t["id"] for t in result["targets"]}
    assert {
        "retrieval_p50",
        "saturation_rps",
        "ingest_nochange",
        "growth_lexical",
        "replicas_visible",
    } <= ids
    assert next(t for t in result["targets"] if t["id"] == "replicas_answer")["passed"] is True
    md = (out / "bench.md").read_text(encoding="utf-8")
    assert "| Mål | Krav | Målt | Oppfylt |" in md and "## Vekst" in md

    # The README's speed table comes from bench.json.
    sys.path.insert(0, str(ROOT / "scripts"))
    import readme_figures

    readme = tmp_path / "README.md"
    readme.write_text(
        "<!-- eval-figures:start -->\n<!-- eval-figures:end -->\n"
        "<!-- bench-figures:start -->\ngammel\n<!-- bench-figures:end -->\n",
        encoding="utf-8",
    )
    kf = ROOT / "reports" / "known-facts" / "report.json"
    args = ["--known-facts", str(kf), "--bench", str(out / "bench.json"), "--readme", str(readme)]
    assert readme_figures.main(args) == 0
    text = readme.read_text(encoding="utf-8")
    assert "gammel" not in text and "| Ny innlesing synlig i begge innen 10 s | ≤ 10,00 s |" in text
