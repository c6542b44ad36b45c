"""Crash-safe ingest: a failing or killed run leaves the previous index serving, the next run
reuses what it embedded and cleans up, and one lock lets only one run at a time.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import make_settings
from ingest_runs import (
    PRIZE_SOURCE,
    child_env,
    chroma_ids,
    ingest,
    lhl_ingest,
    live_ids,
    new_document,
    search_sources,
    start_slow_ingest,
    wait_for_line,
)

from ingest.pipeline import PENDING_FILE, ingest_lock
from lhl.embeddings import HashEmbedder, make_embedder
from lhl.errors import IngestFailed
from lhl.index_state import STATE_FILE
from lhl.store import Index


class FailingEmbedder(HashEmbedder):
    """Our seam: embeds `ok` passages, then fails like a model running out of memory."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.ok = ok

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.calls + len(texts) > self.ok:
            raise MemoryError("out of memory")
        return super().embed_documents(texts)


def test_failing_ingest_leaves_previous_index(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    state_before = (settings.index_dir / STATE_FILE).read_bytes()
    old_live = live_ids(settings)
    (corpus_copy / "ny-rapport.md").write_text(new_document(), encoding="utf-8")

    with pytest.raises(IngestFailed) as err:
        ingest(settings, corpus_copy, FailingEmbedder(ok=16))
    assert "Indeksen er som før" in err.value.message
    assert (settings.index_dir / STATE_FILE).read_bytes() == state_before
    assert PRIZE_SOURCE in search_sources(settings, "Leve hele livet-prisen Melhus kommune")

    report = ingest(settings, corpus_copy)  # the lock was released; a new run finishes
    assert report.added == ["corpus/ny-rapport.md"]
    assert report.embedded == report.chunks - len(old_live) - 16  # the first batch is reused
    assert chroma_ids(settings) == live_ids(settings)


@pytest.mark.slow
def test_killed_ingest_leaves_previous_index_serving(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    state_before = (settings.index_dir / STATE_FILE).read_bytes()
    old_live = live_ids(settings)
    (corpus_copy / "ny-rapport.md").write_text(new_document(), encoding="utf-8")

    proc = start_slow_ingest(settings, corpus_copy, delay=0.05)
    first = wait_for_line(proc, "progress ")
    assert first.startswith("progress 16/")
    time.sleep(0.2)  # well inside the next batch of 16 × 0.05 s
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # The previous index is intact and answering.
    assert (settings.index_dir / STATE_FILE).read_bytes() == state_before
    index = Index(settings, HashEmbedder())
    assert index.live == old_live
    hits = index.dense_search("Leve hele livet-prisen Melhus kommune", 3)
    assert PRIZE_SOURCE in [c.source for c, _ in hits]
    # The killed run's vectors are the nearest to this query; they are passed over.
    hits = index.dense_search("Måltidsvenn nummer 3 bydel onsdag middag", 10)
    assert len(hits) == 10 and all(c.id in old_live for c, _ in hits)
    orphans = chroma_ids(settings) - old_live
    assert len(orphans) >= 16  # vectors of the killed run, invisible to searches
    assert (settings.index_dir / PENDING_FILE).exists()

    # The next run completes, reuses what the killed run embedded, and leaves no orphans.
    report = ingest(settings, corpus_copy)
    assert report.added == ["corpus/ny-rapport.md"]
    assert report.embedded == report.chunks - len(old_live) - len(orphans)
    assert chroma_ids(settings) == live_ids(settings)
    assert not (settings.index_dir / PENDING_FILE).exists()
    assert "corpus/ny-rapport.md" in search_sources(settings, "Måltidsvenn nummer 3 bydel 3")


@pytest.mark.slow
def test_run_after_a_kill_cleans_up_even_if_nothing_changed(
    tmp_path: Path, corpus_copy: Path
) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    new_doc = corpus_copy / "ny-rapport.md"
    new_doc.write_text(new_document(), encoding="utf-8")
    proc = start_slow_ingest(settings, corpus_copy, delay=0.05)
    wait_for_line(proc, "progress ")
    proc.kill()
    proc.wait(timeout=30)
    new_doc.unlink()  # back to what the index holds

    report = ingest(settings, corpus_copy)
    assert report.embedded == 0 and len(report.unchanged) == 5
    assert report.orphans_deleted >= 16
    assert chroma_ids(settings) == live_ids(settings)


@pytest.mark.slow
def test_second_concurrent_ingest_is_refused(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    proc = start_slow_ingest(settings, corpus_copy, delay=0.05)
    try:
        wait_for_line(proc, "progress ")
        cmd = lhl_ingest(corpus_copy, settings.index_dir)
        done = subprocess.run(
            cmd,
            cwd=tmp_path,
            env=child_env(LHL_EMBEDDINGS="hash"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0
        assert "En annen innlesing pågår allerede" in done.stderr
        assert f"prosess {proc.pid}" in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        proc.kill()
        proc.wait(timeout=30)
    # The lock dies with its process.
    with ingest_lock(settings.index_dir):
        pass


def test_lock_in_process(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    with ingest_lock(settings.index_dir):
        with pytest.raises(IngestFailed) as err:
            ingest(settings, corpus_copy)
    assert "En annen innlesing pågår allerede" in err.value.message
    assert ingest(settings, corpus_copy).chunks > 0


def test_embedder_spec_with_delay_builds_the_same_index(tmp_path: Path) -> None:
    slow = make_embedder("hash:delay=0.001")
    assert isinstance(slow, HashEmbedder) and slow.delay_s == 0.001
    assert slow.name == HashEmbedder().name
    assert slow.embed_documents(["Melhus kommune"]) == HashEmbedder().embed_documents(
        ["Melhus kommune"]
    )
