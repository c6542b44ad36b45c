"""Ingest faults: `lhl ingest` killed (SIGKILL) at chosen steps of a switch between two corpora.

A short, deterministic version of scripts/kill_loop.py: each run is held at one step by its
own debug stage log and killed there. After every kill the index answers wholly from the
corpus before the run or wholly from the one after, and the next run completes the switch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

from kill_loop import KillLoop, Moment, settings_for  # noqa: E402

# (step held at, which corpus must answer after the kill: the run's source or its target,
# what the kill leaves behind)
KILLS = [
    ("reading ", "source", set()),  # old → new, loading and chunking
    ("embedded ", "source", {".ingest-pending"}),  # new → old, a batch of vectors added
    ("state written, not yet in place", "source", {".ingest-pending", "halvskrevet tilstand"}),
    ("state replaced", "target", {".ingest-pending"}),  # new → old, orphans not yet deleted
    ("deleting ", "target", {".ingest-pending"}),  # old → new
]


@pytest.mark.slow
def test_killed_ingest_leaves_old_or_new_never_a_mix(tmp_path: Path) -> None:
    loop = KillLoop(tmp_path, "hash", delay=0.005)
    loop.start_at_old()
    for n, (step, side, leftovers) in enumerate(KILLS, start=1):
        to_new = not loop.at_new
        result = loop.kill_once(n, Moment("test", hold=step))
        assert result.killed and result.reached.startswith(step.strip()), result
        expected_new = to_new if side == "target" else not to_new
        assert result.verdict.result == ("ny" if expected_new else "gammel"), result
        assert result.verdict.failures == [], result
        assert set(result.leftovers) == leftovers, result
        assert result.complete == [], result  # the next run finished the switch, cleanly
        assert loop.at_new == to_new


def test_file_over_the_size_limit_is_skipped_and_named(tmp_path: Path) -> None:
    from ingest.pipeline import run_ingest
    from lhl.embeddings import HashEmbedder
    from lhl.index_state import read_state

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "liten.md").write_text(
        "# Liten\n\nMåltidsvenner besøker eldre hver onsdag i Nordbyen.\n", encoding="utf-8"
    )
    big = corpus / "stor.md"
    big.write_text("# Stor\n\nDette dokumentet er lite nå, men vokser snart.\n", encoding="utf-8")
    settings = settings_for(tmp_path / "index", corpus).model_copy(update={"max_file_mb": 1})
    assert run_ingest(settings, HashEmbedder(), corpus).added == [
        "corpus/liten.md",
        "corpus/stor.md",
    ]

    paragraph = "Et langt avsnitt om frivillige som lager mat sammen med eldre i kommunen.\n\n"
    big.write_text("# Stor\n\n" + paragraph * 20_000, encoding="utf-8")  # ~1.5 MB
    report = run_ingest(settings, HashEmbedder(), corpus)
    reason = report.skipped["corpus/stor.md"]
    assert "filen er 2 MB, over grensen på 1 MB (LHL_MAX_FILE_MB" in reason
    assert "forrige versjon er beholdt" in reason
    assert f"Hoppet over corpus/stor.md: {reason}" in report.summary()
    state = read_state(settings.index_dir)
    assert state is not None and set(state.documents) == {"corpus/liten.md", "corpus/stor.md"}
    assert report.removed == []
