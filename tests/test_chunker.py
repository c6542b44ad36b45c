"""Chunker: structure-aware chunks with section, page, position and content-derived ids.

The snapshot `tests/snapshots/chunks.jsonl` holds the chunker's output over the real corpus
(id, section, page and the first 80 characters of each chunk). A chunking change shows up as a
diff there; after reviewing it (`python -m ingest.chunker` prints every chunk), rewrite it with

    LHL_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest -q tests/test_chunker.py

and bump CHUNKER_VERSION (the test refuses a changed snapshot under the same version).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from ingest.chunker import CHUNKER_VERSION, MAX_CHARS, chunk_document, chunk_id
from ingest.corpus import document_info, read_manifest, scan_corpus
from ingest.loaders import first_heading, load_file, load_text
from lhl.records import Block, Chunk, DocumentInfo

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "chunks.jsonl"
INFO = DocumentInfo("doc", "Et dokument", "corpus/doc.txt")


def corpus_chunks() -> list[Chunk]:
    manifest = read_manifest(CORPUS)
    out: list[Chunk] = []
    for path in scan_corpus(CORPUS):
        blocks = load_file(path)
        info = document_info(CORPUS, path, manifest.get(path.name), first_heading(blocks))
        out.extend(chunk_document(info, blocks))
    return out


@pytest.fixture(scope="module")
def chunks() -> list[Chunk]:
    return corpus_chunks()


# --- the real corpus ---------------------------------------------------------------------------


def test_snapshot_of_the_corpus(chunks: list[Chunk]) -> None:
    lines = [json.dumps({"chunker": CHUNKER_VERSION}, ensure_ascii=False)] + [
        json.dumps(
            {
                "id": c.id,
                "doc": c.doc_id,
                "section": c.section,
                "page": c.page,
                "text": c.text[:80],
            },
            ensure_ascii=False,
        )
        for c in chunks
    ]
    fresh = "\n".join(lines) + "\n"
    old = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if os.environ.get("LHL_UPDATE_SNAPSHOTS") == "1":
        old_version = json.loads(old.splitlines()[0])["chunker"] if old else None
        if old and fresh != old and old_version == CHUNKER_VERSION:
            pytest.fail("Chunkene er endret: øk CHUNKER_VERSION i ingest/chunker.py først.")
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(fresh, encoding="utf-8")
        return
    assert old, f"{SNAPSHOT} mangler; lag den med LHL_UPDATE_SNAPSHOTS=1"
    if fresh != old:
        import difflib

        diff = "\n".join(
            difflib.unified_diff(
                old.splitlines(), fresh.splitlines(), "snapshot", "nå", lineterm="", n=0
            )
        )
        pytest.fail(
            "Chunkene over korpuset har endret seg. Se gjennom diffen, kjør med "
            f"LHL_UPDATE_SNAPSHOTS=1 og øk CHUNKER_VERSION.\n{diff[:6000]}"
        )


def test_every_chunk_has_provenance_and_a_unique_id(chunks: list[Chunk]) -> None:
    assert len({c.id for c in chunks}) == len(chunks)
    docs = {c.doc_id: c for c in chunks}
    assert len(docs) == 5
    for c in chunks:
        assert c.id == chunk_id(c.doc_id, c.section, c.page, c.text)
        assert c.title and c.section and c.source.startswith("corpus/")
        assert c.page is None  # the corpus is text extracts; PDF pages are tested with a PDF
    for doc_id in docs:
        positions = [c.position for c in chunks if c.doc_id == doc_id]
        assert positions == list(range(len(positions)))


def test_no_chunk_mixes_two_documents(chunks: list[Chunk]) -> None:
    """Every line of a chunk comes from its own document's file, and a long one from no other
    file (short ones, like a heading both annual reports share, may well appear in several)."""
    import re

    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", text.replace("*", "").replace("\xa0", " "))

    sources = {f"corpus/{p.name}": norm(p.read_text(encoding="utf-8")) for p in scan_corpus(CORPUS)}
    for c in chunks:
        assert c.source in sources
        for line in c.text.split("\n"):
            if line.startswith("Utarbeidet av: "):
                continue  # made from the title page's lines, tested in test_loaders
            piece = max(re.split(r"; |: |^\s*[•–] |^\d+\. ", line), key=len).strip().rstrip(".")
            if len(piece) < 30:
                continue
            assert piece[:60] in sources[c.source], (c.doc_id, piece)
            if len(piece) >= 60:
                others = [s for s, text in sources.items() if s != c.source and piece[:60] in text]
                assert not others, (c.doc_id, piece, others)


def test_chunk_sizes_are_bounded(chunks: list[Chunk]) -> None:
    assert max(len(c.text) for c in chunks) <= MAX_CHARS
    assert all(len(c.text.split()) >= 3 for c in chunks)
    sizes = sorted(len(c.text) for c in chunks)
    assert 200 <= sizes[len(sizes) // 2] <= 700  # median: neither fragments nor walls


def test_sections_and_tables_in_the_corpus(chunks: list[Chunk]) -> None:
    prize = next(c for c in chunks if "gikk til Melhus kommune" in c.text)
    assert prize.section.endswith("2.4.4 Leve hele livet-prisen")
    row = next(c for c in chunks if "Namdal Seniorforum" in c.text)
    assert row.text == (
        "Navn: Namdal Seniorforum; Innsatsområde: Aktivitet og fellesskap; Hva: Forum; "
        "Målgruppe: Seniorer."
    )
    assert (
        row.section
        == "3. Det regionale støtteapparatets arbeid › 3.2. Samarbeid med andre aktører."
    )
    authors = next(c for c in chunks if c.text.startswith("Utarbeidet av:"))
    assert authors.doc_id == "gjennomforingsplan-trondelag"
    # "# Trinn 1" then "## Trinn 2": siblings, not a chapter inside a chapter.
    trinn2 = next(c for c in chunks if c.text.startswith("Forankre arbeidet"))
    assert trinn2.section == "Trinn 2 - Forankring"
    # "# Utfordringsbildet" then "## Utfordringsbildet" is said once.
    assert not any("Utfordringsbildet › Utfordringsbildet" in c.section for c in chunks)


def test_list_introduction_goes_with_the_list(chunks: list[Chunk]) -> None:
    intro = "Det nasjonale støtteapparatets aktiviteter i 2022 kan overordnet oppsummeres slik:"
    holders = [c for c in chunks if intro in c.text]
    assert len(holders) > 1 and all(c.text.startswith(intro + "\n• ") for c in holders)
    assert "• Leve hele livet-prisen.\n  – Melhus kommune ble tildelt" in "\n".join(
        c.text for c in holders
    )


# --- behaviour on small inputs -----------------------------------------------------------------


def test_chunks_never_cross_a_heading_or_a_page() -> None:
    blocks = [
        Block("heading", "Første del", level=1),
        Block("paragraph", "Et avsnitt om mat og måltider på side én.", page=1),
        Block("paragraph", "Et avsnitt om aktivitet på side to, samme del.", page=2),
        Block("heading", "Andre del", level=1),
        Block("paragraph", "Et avsnitt om helsehjelp i andre del.", page=2),
    ]
    chunks = chunk_document(INFO, blocks)
    assert [(c.section, c.page) for c in chunks] == [
        ("Første del", 1),
        ("Første del", 2),
        ("Andre del", 2),
    ]


def test_ids_are_stable_and_follow_content() -> None:
    text = "\n\n".join(
        f"# Del {i}\n\nDette er avsnitt nummer {i} med litt tekst om eldreomsorg." for i in range(5)
    )
    first = chunk_document(INFO, load_text(text))
    again = chunk_document(INFO, load_text(text))
    assert [c.id for c in first] == [c.id for c in again]
    changed = chunk_document(INFO, load_text(text.replace("nummer 3", "NUMMER 3")))
    differ = [a.section for a, b in zip(first, changed, strict=True) if a.id != b.id]
    assert differ == ["Del 3"]
    other_doc = chunk_document(DocumentInfo("annen", "Annen", "corpus/annen.txt"), load_text(text))
    assert not {c.id for c in first} & {c.id for c in other_doc}


def test_long_paragraph_is_split_on_sentences() -> None:
    sentence = "Kommunen har satt i gang et arbeid med bedre måltider for eldre. "
    chunks = chunk_document(INFO, [Block("paragraph", sentence * 40)])
    assert len(chunks) > 1 and all(len(c.text) <= MAX_CHARS for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)


def test_table_row_is_its_own_chunk_with_headers() -> None:
    blocks = load_text(
        "# Tiltak\n\nTiltak\tAnsvar\nMatvenn\tFrivilligsentralen\nTurgruppe\tKommunen\n"
    )
    chunks = chunk_document(INFO, blocks)
    assert [c.text for c in chunks] == [
        "Tiltak: Matvenn; Ansvar: Frivilligsentralen.",
        "Tiltak: Turgruppe; Ansvar: Kommunen.",
    ]
    assert {c.section for c in chunks} == {"Tiltak"}


def test_fragments_are_not_chunks() -> None:
    chunks = chunk_document(
        INFO, [Block("heading", "A", level=1), Block("paragraph", "Lykke til!")]
    )
    assert chunks == []


def test_identical_text_under_one_heading_is_stored_once() -> None:
    row = Block("table_row", "Navn: Namdal Seniorforum; Hva: Forum.")
    chunks = chunk_document(INFO, [Block("heading", "Tabell", level=1), row, row])
    assert len(chunks) == 1 and Counter(c.position for c in chunks) == Counter([0])
