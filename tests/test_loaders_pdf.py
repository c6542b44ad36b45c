"""Loaders, PDF: page numbers and Norwegian letters kept, chunks on the right page, and PDFs
without text (empty or scanned) reported as unreadable and left out of the index."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.make_pdf import COMMITTED, PAGES, build_pdf, find_font

from ingest.chunker import chunk_document
from ingest.errors import UnreadableFile
from ingest.loaders import load_file
from lhl.records import DocumentInfo


@pytest.fixture(scope="module")
def pdf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real three-page PDF made with fpdf2 and a Unicode font; the committed copy where the
    machine has no such font."""
    fonts = find_font()
    if fonts is None:
        return COMMITTED
    return build_pdf(tmp_path_factory.mktemp("pdf") / "rapport.pdf", fonts)


def test_pdf_blocks_keep_page_numbers_and_norwegian_letters(pdf_path: Path) -> None:
    blocks = load_file(pdf_path)
    headings = [(b.text, b.level, b.page) for b in blocks if b.kind == "heading"]
    assert headings == [
        ("1. Innledning om pårørende", 1, 1),
        ("2. Aktivitet og fellesskap", 1, 2),
        ("2.1 Deltakelse", 2, 2),
        ("3. Helsehjelp i Bodø", 1, 3),
    ]
    by_text = {b.text: b for b in blocks}
    first = by_text[
        "Målet er at færre skal spise alene, og at maten skal smake godt – også på institusjon."
    ]
    assert first.page == 1
    # A paragraph wrapped over three lines is one block, on the page it is printed on.
    wrapped = next(b for b in blocks if b.text.startswith("Kommunen Ås arrangerer"))
    assert wrapped.page == 2 and wrapped.text.endswith("melde seg på på forhånd.")
    assert [b.text for b in blocks if b.kind == "item"] == [
        "gratis skyss for dem som bor spredt",
        "faste tider hver uke",
        "kaffe og vafler etter turen",
    ]
    # The running footer ("… – side 2 av 3") is furniture.
    assert not any("Testrapport om eldreomsorg" in b.text for b in blocks)


def test_pdf_chunks_carry_the_right_page(pdf_path: Path) -> None:
    info = DocumentInfo("rapport", "Testrapport", "corpus/rapport.pdf")
    chunks = chunk_document(info, load_file(pdf_path))
    for page, (heading, paragraphs) in enumerate(PAGES, start=1):
        word = paragraphs[0].split()[-1]  # a word only that page has
        holders = [c for c in chunks if word in c.text]
        assert holders and all(c.page == page for c in holders), (word, holders)
        assert all(c.section.startswith(heading) for c in holders)
    bodo = next(c for c in chunks if "Bodø kommune" in c.text)
    assert (bodo.page, bodo.section) == (3, "3. Helsehjelp i Bodø")


def test_pdf_without_text_is_unreadable(tmp_path: Path) -> None:
    """A scanned PDF (pages without a text layer) is reported, not indexed as nothing."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60)  # a drawing, no text
    path = tmp_path / "skannet.pdf"
    pdf.output(str(path))
    with pytest.raises(UnreadableFile) as err:
        load_file(path)
    assert "ingen tekst" in str(err.value)


def test_scanned_pdf_is_reported_as_needing_ocr_and_not_indexed(tmp_path: Path) -> None:
    """Image-only pages (a scan) are named as needing OCR; ingest skips the file."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    scan = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(scan)
    for y in range(80, 720, 24):  # lines of "text" as a scanner sees them: pixels
        draw.rectangle((60, y, 540, y + 10), fill=30)
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.image(scan, x=0, y=0, w=210, h=297)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pdf.output(str(corpus / "skannet-vedtak.pdf"))
    (corpus / "notat.txt").write_text("Et notat med tekst.\n", encoding="utf-8")

    with pytest.raises(UnreadableFile) as err:
        load_file(corpus / "skannet-vedtak.pdf")
    assert "trenger tekstgjenkjenning (OCR)" in str(err.value)

    from conftest import make_settings

    from ingest.pipeline import run_ingest
    from lhl.embeddings import HashEmbedder
    from lhl.index_state import read_state

    settings = make_settings(tmp_path, corpus_dir=corpus)
    report = run_ingest(settings, HashEmbedder(), corpus)
    assert "trenger tekstgjenkjenning (OCR)" in report.failed["corpus/skannet-vedtak.pdf"]
    assert "tekstgjenkjenning (OCR)" in report.summary()
    state = read_state(settings.index_dir)
    assert state is not None and list(state.documents) == ["corpus/notat.txt"]
