"""Ingest of awkward corpora: odd files are read or reported by name, an unreadable file
keeps its previous version, and a corpus with nothing to index fails in Norwegian.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import make_settings
from ingest_runs import ingest

from lhl.embeddings import HashEmbedder
from lhl.errors import IngestFailed
from lhl.index_state import read_state
from lhl.store import Index


def test_awkward_files(tmp_path: Path) -> None:
    """A subfolder, Windows-1252 text, an empty file, a web page, a broken PDF, a manifest
    entry for a missing file, and two files claiming the same doc id. Long by its corpus: one
    ingest of all of them, checked file by file."""
    corpus = tmp_path / "corpus"
    (corpus / "kommuner" / "2023").mkdir(parents=True)
    (corpus / "kommuner" / "2023" / "ås.md").write_text(
        "# Seniorkafé i Ås\n\nKafeen er åpen hver torsdag for alle over 67 år.\n", "utf-8"
    )
    (corpus / "gammel.txt").write_bytes(
        "Rapport fra Ørsta\n\nPårørendeskolen i Ørsta har hatt 40 deltakere.\n".encode("cp1252")
    )
    (corpus / "tom.txt").write_bytes(b"")
    shutil.copy(Path(__file__).parent / "fixtures" / "side.html", corpus / "side.html")
    (corpus / "odelagt.pdf").write_bytes(b"%PDF-1.4\nikke en ekte pdf\n%%EOF\n")
    (corpus / ".skjult.txt").write_text("Skjult fil som ikke skal leses.", "utf-8")
    (corpus / "a.txt").write_text("Første plan\n\nDen første planen gjelder måltider.\n", "utf-8")
    (corpus / "b.txt").write_text("Andre plan\n\nDen andre planen gjelder aktivitet.\n", "utf-8")
    (corpus / "manifest.json").write_text(
        json.dumps(
            {
                "documents": [
                    {"file": "a.txt", "doc_id": "plan", "title": "Plan A"},
                    {"file": "b.txt", "doc_id": "plan", "title": "Plan B"},
                    {"file": "finnes-ikke.txt", "doc_id": "borte"},
                ]
            }
        ),
        encoding="utf-8",
    )
    settings = make_settings(tmp_path)

    report = ingest(settings, corpus)
    assert sorted(report.added) == [
        "corpus/a.txt",
        "corpus/b.txt",
        "corpus/gammel.txt",
        "corpus/kommuner/2023/ås.md",
        "corpus/side.html",
    ]
    assert list(report.failed) == ["corpus/odelagt.pdf"]
    assert report.skipped == {"corpus/tom.txt": "tom fil"}
    summary = report.summary()
    assert "Kunne ikke lese corpus/odelagt.pdf" in summary and "corpus/tom.txt" in summary
    assert any("finnes-ikke.txt" in w for w in report.warnings)
    assert any("«plan»" in w and "corpus/b.txt" in w for w in report.warnings)

    state = read_state(settings.index_dir)
    assert state is not None
    docs = {src: d.info for src, d in state.documents.items()}
    assert docs["corpus/a.txt"].doc_id == "plan" and docs["corpus/b.txt"].doc_id == "b"
    assert docs["corpus/kommuner/2023/ås.md"].doc_id == "kommuner-2023-ås"
    assert docs["corpus/kommuner/2023/ås.md"].title == "Seniorkafé i Ås"
    text = "\n".join(c.text for c in state.chunks)
    assert "Pårørendeskolen i Ørsta har hatt 40 deltakere." in text
    assert "Skjult fil" not in text and "SKRIPTTEKST" not in text and "NAVIGASJONSLENKE" not in text
    index = Index(settings, HashEmbedder())
    assert index.lexical_search("pårørendeskolen Ørsta", 1)[0][0].source == "corpus/gammel.txt"
    assert index.lexical_search("måltidsvenner frivillige", 1)[0][0].source == "corpus/side.html"

    # Unchanged on a re-run, the broken file is still reported, and nothing is embedded.
    again = ingest(settings, corpus)
    assert again.embedded == 0 and list(again.failed) == ["corpus/odelagt.pdf"]


def test_unreadable_file_keeps_what_was_indexed_before(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rapport.txt").write_text("Rapport\n\nHjemmetjenesten i Vik har ny bil.\n", "utf-8")
    (corpus / "annen.txt").write_text("Annen\n\nEn annen tekst om eldre i Vik.\n", "utf-8")
    settings = make_settings(tmp_path)
    ingest(settings, corpus)
    (corpus / "rapport.txt").write_bytes(b"\x00\x01\x02 binary garbage \x00")
    report = ingest(settings, corpus)
    assert list(report.failed) == ["corpus/rapport.txt"] and report.removed == []
    assert "forrige versjon er beholdt" in report.failed["corpus/rapport.txt"]
    state = read_state(settings.index_dir)
    assert state is not None
    assert any("Hjemmetjenesten i Vik har ny bil." in c.text for c in state.chunks)


def test_nothing_indexable_fails_in_norwegian(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tom.txt").write_bytes(b"")
    (corpus / "odelagt.pdf").write_bytes(b"%PDF-1.4 nei")
    with pytest.raises(IngestFailed) as err:
        ingest(make_settings(tmp_path), corpus)
    assert "Fant ingen dokumenter" in err.value.message
    with pytest.raises(IngestFailed) as err:
        ingest(make_settings(tmp_path), tmp_path / "finnes-ikke")
    assert "Fant ikke dokumentmappen" in err.value.message
