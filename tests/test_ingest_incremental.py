"""Incremental ingest into a real Chroma in a temp folder (hash embedder seam): only what
changed is embedded, removed files leave no trace, the same content under two names is
indexed once, and a service in another process sees the new vectors.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_settings
from ingest_runs import (
    PRIZE_SOURCE,
    chroma_ids,
    ingest,
    live_ids,
    new_document,
    start_slow_ingest,
    wait_for_line,
)

from ingest.pipeline import run_ingest
from lhl.embeddings import HashEmbedder
from lhl.index_state import STATE_FILE, read_state
from lhl.store import Index
from lhl.vectors import VectorStore


def test_rerun_without_changes_embeds_nothing(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    first = ingest(settings, corpus_copy)
    assert len(first.added) == 5 and first.embedded == first.chunks > 100
    state_file = settings.index_dir / STATE_FILE
    stamp = state_file.stat().st_mtime_ns

    embedder = HashEmbedder()
    again = ingest(settings, corpus_copy, embedder)
    assert again.embedded == 0 and embedder.calls == 0
    assert (again.added, again.updated, again.removed) == ([], [], [])
    assert len(again.unchanged) == 5 and again.chunks == first.chunks
    assert state_file.stat().st_mtime_ns == stamp  # services have nothing to reload
    assert chroma_ids(settings) == live_ids(settings)


def test_changed_file_is_replaced(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    before = read_state(settings.index_dir)
    assert before is not None
    path = corpus_copy / "arsrapport-2022-kap-2-4-nasjonalt-stotteapparat-aktiviteter.txt"
    text = path.read_text(encoding="utf-8")
    path.chmod(0o644)
    path.write_text(text.replace("gikk til Melhus kommune", "gikk til Vefsn kommune"), "utf-8")

    report = ingest(settings, corpus_copy)
    assert report.updated == [PRIZE_SOURCE] and len(report.unchanged) == 4
    assert report.embedded == 1  # only the chunk whose text changed
    after = read_state(settings.index_dir)
    assert after is not None
    old_prize = next(c for c in before.chunks if "gikk til Melhus kommune" in c.text)
    new_prize = next(c for c in after.chunks if "gikk til Vefsn kommune" in c.text)
    assert old_prize.id not in after.live_ids
    assert not any("Melhus kommune. I juryens" in c.text for c in after.chunks)
    ids = chroma_ids(settings)
    assert new_prize.id in ids and old_prize.id not in ids and ids == after.live_ids
    index = Index(settings, HashEmbedder())
    assert index.lexical_search("Vefsn kommune prisen", 1)[0][0].id == new_prize.id


def test_removed_file_is_deleted_everywhere(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    before = read_state(settings.index_dir)
    assert before is not None
    gone = before.documents["corpus/om-stotteapparatene.txt"].chunk_ids
    (corpus_copy / "om-stotteapparatene.txt").unlink()

    report = ingest(settings, corpus_copy)
    assert report.removed == ["corpus/om-stotteapparatene.txt"] and report.embedded == 0
    after = read_state(settings.index_dir)
    assert after is not None and "corpus/om-stotteapparatene.txt" not in after.documents
    assert not set(gone) & after.live_ids
    assert not set(gone) & chroma_ids(settings)
    assert report.orphans_deleted == len(gone)


def test_manifest_only_change_updates_metadata(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    manifest_path = corpus_copy / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entry = next(e for e in manifest["documents"] if e["doc_id"] == "arsrapport-2022-kap-2-4")
    entry["title"] = "Årsrapport 2022 – nytt navn"
    entry["publisher"] = "Helsedirektoratet (rettet)"
    manifest_path.chmod(0o644)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")

    embedder = HashEmbedder()
    report = ingest(settings, corpus_copy, embedder)
    assert report.updated == [PRIZE_SOURCE] and report.embedded == 0 and embedder.calls == 0
    state = read_state(settings.index_dir)
    assert state is not None
    doc = state.documents[PRIZE_SOURCE]
    assert (doc.info.title, doc.info.publisher) == (
        "Årsrapport 2022 – nytt navn",
        "Helsedirektoratet (rettet)",
    )
    chunk = next(c for c in state.chunks if c.source == PRIZE_SOURCE)
    assert chunk.title == "Årsrapport 2022 – nytt navn"
    stored = VectorStore(settings, HashEmbedder())._collection.get(
        ids=[chunk.id], include=["metadatas"]
    )
    assert stored["metadatas"][0]["title"] == "Årsrapport 2022 – nytt navn"

    # Removing the entry falls back to the file's own heading and a path-made id.
    manifest["documents"].remove(entry)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    ingest(settings, corpus_copy)
    state = read_state(settings.index_dir)
    assert state is not None
    info = state.documents[PRIZE_SOURCE].info
    assert info.doc_id == "arsrapport-2022-kap-2-4-nasjonalt-stotteapparat-aktiviteter"
    assert info.title.startswith("Kapittel 2.4 Oppgaver og aktiviteter")
    assert info.publisher is None


def test_same_document_under_two_names_is_indexed_once(tmp_path: Path) -> None:
    """Identical content (same sha256) under two names: one set of passages, both names
    known in the state, and the copy's removal leaves the original untouched."""
    corpus = tmp_path / "corpus"
    (corpus / "arkiv").mkdir(parents=True)
    text = "# Leve hele livet i Melhus\n\nMelhus kommune fikk Leve hele livet-prisen for 2022.\n"
    (corpus / "melhus.txt").write_text(text, encoding="utf-8")
    (corpus / "arkiv" / "melhus-kopi.txt").write_text(text, encoding="utf-8")
    (corpus / "annet.txt").write_text("Et annet dokument om måltider.\n", encoding="utf-8")
    settings = make_settings(tmp_path, corpus_dir=corpus)

    report = run_ingest(settings, HashEmbedder(), corpus)
    # Sorted by path, "corpus/annet.txt" < "corpus/arkiv/…" < "corpus/melhus.txt".
    assert report.duplicates == {"corpus/melhus.txt": "corpus/arkiv/melhus-kopi.txt"}
    assert "Samme innhold som corpus/arkiv/melhus-kopi.txt" in report.summary()
    state = read_state(settings.index_dir)
    assert state is not None
    assert sorted(state.documents) == ["corpus/annet.txt", "corpus/arkiv/melhus-kopi.txt"]
    original = state.documents["corpus/arkiv/melhus-kopi.txt"]
    assert original.aliases == ["corpus/melhus.txt"]
    assert state.known_as("corpus/melhus.txt") is original
    melhus_chunks = [c for c in state.chunks if "Melhus" in c.text]
    assert len(melhus_chunks) == 1
    assert chroma_ids(settings) == {c.id for c in state.chunks}

    again = run_ingest(settings, HashEmbedder(), corpus)  # stable: nothing changes
    assert again.unchanged == ["corpus/annet.txt", "corpus/arkiv/melhus-kopi.txt"]
    assert again.removed == [] and again.embedded == 0

    (corpus / "arkiv" / "melhus-kopi.txt").unlink()  # the other name now carries it
    third = run_ingest(settings, HashEmbedder(), corpus)
    state = read_state(settings.index_dir)
    assert state is not None and sorted(state.documents) == [
        "corpus/annet.txt",
        "corpus/melhus.txt",
    ]
    assert state.documents["corpus/melhus.txt"].aliases == []
    assert third.removed == ["corpus/arkiv/melhus-kopi.txt"]


def test_service_in_another_process_sees_new_vectors_after_reload(
    tmp_path: Path, corpus_copy: Path
) -> None:
    """An embedded Chroma caches its vector index per process; a reloaded Index must still
    see what an `lhl ingest` in another process added."""
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    served = Index(settings, HashEmbedder())
    served.dense_search("oppvarming", 3)
    (corpus_copy / "ny-rapport.md").write_text(new_document(4), encoding="utf-8")
    proc = start_slow_ingest(settings, corpus_copy, delay=0)
    wait_for_line(proc, "done")
    proc.wait(timeout=60)

    assert served.is_stale()
    reloaded = Index(settings, HashEmbedder())
    hits = reloaded.dense_search("Måltidsvenn nummer 2 bydel 2 onsdag", 3)
    assert hits and hits[0][0].source == "corpus/ny-rapport.md"
