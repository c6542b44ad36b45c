"""Ingest while serving: a real `lhl serve` answers under load while `lhl ingest` (another
process, same index folder) switches the corpus; and the service's own reload in process."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from server_fixtures import run_server

from ingest.pipeline import run_ingest
from lhl.embeddings import HashEmbedder
from lhl.errors import IndexNotReady
from lhl.index_state import STATE_FILE
from lhl.store import Index, LiveIndex

sys.path.insert(0, str(ROOT / "scripts"))

from ingest_while_serving import Load, SwitchReport  # noqa: E402
from kill_loop import settings_for, start_ingest, write_corpora  # noqa: E402


@pytest.mark.slow
def test_answers_switch_once_with_no_failed_request(tmp_path: Path) -> None:
    old_corpus, new_corpus = write_corpora(tmp_path, added_paragraphs=24)
    settings = settings_for(tmp_path / "index", old_corpus).model_copy(
        update={"rate_limit_per_minute": 0, "feedback_db": tmp_path / "feedback.sqlite3"}
    )
    run_ingest(settings, HashEmbedder(), old_corpus)
    # An operator's `lhl ingest` of the new corpus is running (and holds the lock) when the
    # service starts on the new corpus: its own start-up ingest is refused, and it serves
    # the index there is until the operator's run has swapped the state.
    ingest = start_ingest(new_corpus, settings.index_dir, "hash:delay=0.15")
    assert ingest.wait_for("pending marked")
    served = settings.model_copy(update={"corpus_dir": new_corpus})
    with run_server(served, tmp_path / "server") as server:
        load = Load(server.url, clients=3)
        started = time.monotonic()
        load.start()
        try:
            assert ingest.finish(timeout=120) == 0
            time.sleep(2.0)
        finally:
            load.stop()
        log = server.log()
    replaced = next(ms for ms, s in ingest.stages if s == "state replaced")
    report = SwitchReport(load.replies, started, ingest.started + replaced / 1000, 0)
    assert "En annen innlesing pågår allerede" in log
    assert report.replies and report.failures == []
    assert report.backslides() == []
    sides = [r.side for r in sorted(report.replies, key=lambda r: r.sent)]
    assert sides[0] == "old" and sides[-1] == "new"
    assert report.state_replaced is not None
    late = [r for r in report.replies if r.sent > report.state_replaced + 1.0]
    assert late and all(r.side == "new" for r in late)


def test_live_index_keeps_answering_from_the_old_index_until_a_new_one_loads(
    tmp_path: Path,
) -> None:
    old_corpus, new_corpus = write_corpora(tmp_path, added_paragraphs=4)
    settings = settings_for(tmp_path / "index", old_corpus)
    run_ingest(settings, HashEmbedder(), old_corpus)
    live = LiveIndex(lambda: Index(settings, HashEmbedder()))
    old = live.current()

    # A state that cannot be read (as if half-written by hand): the old index goes on.
    state = settings.index_dir / STATE_FILE
    good = state.read_bytes()
    state.write_text("{", encoding="utf-8")
    assert live.current() is old
    deadline = time.monotonic() + 10
    while live._reloading.locked() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert live.current() is old and live.reloads == 0
    with pytest.raises(IndexNotReady):
        Index(settings, HashEmbedder())

    # The real new state: picked up whole (state, lexical index and live filter together).
    state.write_bytes(good)
    run_ingest(settings, HashEmbedder(), new_corpus)
    live._next_try = 0.0
    deadline = time.monotonic() + 10
    while live.current() is old and time.monotonic() < deadline:
        time.sleep(0.01)
    new = live.current()
    assert new is not old and live.reloads == 1
    assert new.live == {c.id for c in new.chunks} == new.state.live_ids
    assert len(new.lexical.idf) and new.live != old.live
    assert "corpus/ny-rapport.md" in new.state.documents
    assert "corpus/ny-rapport.md" not in old.state.documents


@pytest.mark.slow
def test_restart_on_a_changed_corpus_answers_from_the_old_index_while_it_ingests(
    tmp_path: Path,
) -> None:
    """`lhl serve` started on a corpus that changed since the last ingest: it is ready at once
    with the index there is, its own start-up ingest runs behind it, and the answers move to
    the new corpus when that ingest has swapped the state: no 503 while it runs."""
    old_corpus, new_corpus = write_corpora(tmp_path, added_paragraphs=24)
    settings = settings_for(tmp_path / "index", old_corpus).model_copy(
        update={"rate_limit_per_minute": 0, "feedback_db": tmp_path / "feedback.sqlite3"}
    )
    run_ingest(settings, HashEmbedder(), old_corpus)
    served = settings.model_copy(
        update={"corpus_dir": new_corpus, "embeddings": "hash:delay=0.15"}  # a slow ingest
    )
    with run_server(served, tmp_path / "server") as server:
        load = Load(server.url, clients=2)
        started = time.monotonic()
        load.start()
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not any(r.side == "new" for r in load.replies):
                time.sleep(0.2)
            time.sleep(1.0)
        finally:
            load.stop()
        log = server.log()
    report = SwitchReport(load.replies, started, None, 0)
    assert report.failures == [], log
    assert report.backslides() == []
    sides = [r.side for r in sorted(report.replies, key=lambda r: r.sent)]
    assert sides[0] == "old" and sides[-1] == "new"
