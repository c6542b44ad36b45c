"""Loaders: each file type becomes the right blocks, with provenance and without furniture
(PDF: test_loaders_pdf.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import UnreadableFile
from ingest.loaders import first_heading, load_file, load_html, load_text
from lhl.records import Block

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def blocks_of(name: str) -> list[Block]:
    return load_file(CORPUS / name)


def texts(blocks: list[Block], kind: str | None = None) -> list[str]:
    return [b.text for b in blocks if kind is None or b.kind == kind]


# --- plain text and Markdown (the real corpus) ------------------------------------------------


def test_web_page_boilerplate_is_removed() -> None:
    for name in ("om-stotteapparatene.txt", "arsrapport-2022-kap-2-1-nasjonalt-stotteapparat.txt"):
        joined = "\n".join(texts(blocks_of(name)))
        assert "nettleser vi ikke støtter" not in joined
        assert "Se tidligere versjoner" not in joined

    # The page's dates are content ("når ble siden sist oppdatert?"), without the link text.
    dates = texts(blocks_of("om-stotteapparatene.txt"))[-1]
    assert dates == "Først publisert: 23.06.2021 Sist faglig oppdatert: 08.04.2022"


def test_name_list_is_text_not_headings() -> None:
    blocks = blocks_of("om-stotteapparatene.txt")
    headings = texts(blocks, "heading")
    assert "Det nasjonale støtteapparatet" in headings
    assert "Støtteapparatets kommunikasjonsgruppe" in headings
    assert not any("Ratvik" in h or "Haugo" in h for h in headings)
    assert "Jørgen Dahlslett Ratvik, KS" in texts(blocks, "paragraph")
    # Labels whose contents were links on the web page are not kept as text.
    assert "SOF:" not in texts(blocks) and "Kontaktinformasjon:" not in texts(blocks)


def test_veiledningshefte_names_are_a_list_not_headings() -> None:
    blocks = blocks_of("veiledningshefte-lokalt-planarbeid.txt")
    assert not any("Espelund" in h for h in texts(blocks, "heading"))
    assert "Karen Espelund – direktør Trøndelag fylkeskommune" in texts(blocks, "paragraph")


def test_title_page_becomes_title_and_authors() -> None:
    blocks = blocks_of("revidert-gjennomforingsplan-trondelag-2021-2023.txt")
    assert blocks[0].kind == "heading" and blocks[0].level == 1
    assert (
        blocks[0].text.startswith("Revidert gjennomføringsplan") and "Trøndelag" in blocks[0].text
    )
    assert blocks[1].text == (
        "Utarbeidet av: Statsforvalteren, USHT, KS, Fylkeskommunen, "
        "Senter for omsorgsforskning, Fylkets eldreråd."
    )
    headings = texts(blocks, "heading")
    for not_a_heading in ("Usht", "USHT", "Statsforvalteren", "Utarbeidet av", "Innhold"):
        assert not_a_heading not in headings
    # The table of contents is gone, the numbered chapters are headings at their level.
    assert not any("....." in t for t in texts(blocks))
    levels = {b.text: b.level for b in blocks if b.kind == "heading"}
    assert levels["1. Bakgrunn"] == 1 and levels["2.1. Roller og ansvarsområder"] == 2


def test_table_rows_carry_their_column_headers() -> None:
    rows = texts(blocks_of("revidert-gjennomforingsplan-trondelag-2021-2023.txt"), "table_row")
    assert (
        "Navn: Namdal Seniorforum; Innsatsområde: Aktivitet og fellesskap; Hva: Forum; "
        "Målgruppe: Seniorer." in rows
    )
    # A row after a blank line (a page break in the PDF) still belongs to its table.
    webinar = next(r for r in rows if "Webinarserie" in r)
    assert webinar.startswith("Kommunikasjonsform: Webinarserie; Mål med kommunikasjonen:")
    # A continuation row without its first cell repeats the key of the row above.
    kompetanse = next(r for r in rows if "Tema: Kompetanse" in r)
    assert kompetanse.startswith("Kommunikasjonsform: Møter med samarbeidsaktører;")
    assert not any(r.startswith("Navn: Navn") for r in rows)  # headers are not rows


def test_running_page_header_inside_a_sentence_is_dropped() -> None:
    joined = "\n".join(texts(blocks_of("revidert-gjennomforingsplan-trondelag-2021-2023.txt")))
    assert "Gjennomføringsplan for det regionale støtteapparatet i Trøndelag - Leve" not in joined
    assert "frivillighetssentraler, administrasjon/kommunal organisasjon (sekretariat)" in joined
    # A list item broken by a page break is joined with its continuation.
    assert "utdanning, tannhelse, fylkesveger og samferdsel" in joined
    assert not any(
        t.startswith("næringsutvikling")
        for t in texts(blocks_of("revidert-gjennomforingsplan-trondelag-2021-2023.txt"))
    )


def test_bold_bullet_above_paragraphs_is_a_subheading() -> None:
    blocks = blocks_of("revidert-gjennomforingsplan-trondelag-2021-2023.txt")
    assert "Mobilisere og engasjere alle kommunene i fylket" in texts(blocks, "heading")
    item = next(t for t in texts(blocks, "item") if t.startswith("Husbanken"))
    assert item.startswith("Husbanken: Statsforvalteren har samarbeidsavtale")


def test_dated_headings_keep_their_date() -> None:
    headings = texts(
        blocks_of("arsrapport-2022-kap-2-4-nasjonalt-stotteapparat-aktiviteter.txt"), "heading"
    )
    assert "16. november – Leve hele livet-konferansen" in headings
    assert '31. mai – Boligkonferansen "Ein bustad for heile livet"' in headings
    assert "2.4.4 Leve hele livet-prisen" in headings


def test_nested_list_items_keep_their_level() -> None:
    blocks = blocks_of("arsrapport-2022-kap-2-1-nasjonalt-stotteapparat.txt")
    top = next(b for b in blocks if b.text == "Leve hele livet-prisen.")
    child = next(b for b in blocks if b.text.startswith("Melhus kommune ble tildelt"))
    assert (top.kind, top.level, child.kind, child.level) == ("item", 0, "item", 1)


def test_broken_pdf_columns_and_slide_furniture_are_dropped() -> None:
    blocks = blocks_of("veiledningshefte-lokalt-planarbeid.txt")
    joined = "\n".join(texts(blocks))
    for fragment in ("planverk-", "nomiplan", "Klikk her", "Anbefalte lenker", "Regjeringen.no"):
        assert fragment not in joined, fragment
    assert "Uli" not in texts(blocks)
    # The table of contents ("# Innhold", "## Tema", a list of chapters) is gone.
    assert "Tema" not in texts(blocks, "heading") and "Introduksjon" not in texts(blocks, "item")
    # A line just above a heading is text, not an empty section.
    assert "Kommunen forstår kunnskapsgrunnlaget" in texts(blocks, "paragraph")
    # Lines joined by Markdown hard breaks, emphasis and link syntax removed.
    assert "Et hjelpemiddel for planlegging av lokalt arbeid med reformen" in texts(blocks)
    assert "Vi må vite hva som er behovet før vi vet hva som er riktig løsning" in texts(blocks)
    assert not any("*" in t or "](" in t for t in texts(blocks))


def test_markdown_structure() -> None:
    text = (
        "# Plan for måltider\n\n"
        "## Mål\n\n"
        "Alle skal få **varm mat** hver dag. Les [veilederen](https://example.no/v).\n\n"
        "Tre tiltak:\n\n"
        "1. Felles lunsj\n2. Matombringing\n   med sjåfør\n3. Kokkekurs\n\n"
        "- **Kjøkkenet**\n\n"
        "Kjøkkenet åpner kl. 7.\n\n"
        "Navn\tAntall\nFrivillige\t12\n"
    )
    blocks = load_text(text)
    assert [(b.kind, b.level) for b in blocks if b.kind == "heading"] == [
        ("heading", 1),
        ("heading", 2),
        ("heading", 9),
    ]
    assert "Alle skal få varm mat hver dag. Les veilederen (https://example.no/v)." in texts(blocks)
    assert texts(blocks, "item") == [
        "1. Felles lunsj",
        "2. Matombringing med sjåfør",
        "3. Kokkekurs",
    ]
    assert texts(blocks, "table_row") == ["Navn: Frivillige; Antall: 12."]
    assert first_heading(blocks) == "Plan for måltider"


def test_one_tabbed_line_is_text_not_a_lost_table_header() -> None:
    blocks = load_text("Kontakt\tOla Nordmann\n\nMer tekst her om saken.")
    assert "Kontakt – Ola Nordmann" in texts(blocks)


# --- encodings, empty and broken files ---------------------------------------------------------


def test_windows_1252_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "gammel.txt"
    path.write_bytes("Pårørende får hjelp i Ørsta – også på søndager.".encode("cp1252"))
    assert texts(load_file(path)) == ["Pårørende får hjelp i Ørsta – også på søndager."]


def test_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffOverskrift her\r\n\r\nFørste avsnitt om eldre.\r\n".encode())
    blocks = load_file(path)
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "Overskrift her"),
        ("paragraph", "Første avsnitt om eldre."),
    ]


def test_empty_and_blank_files_have_no_blocks(tmp_path: Path) -> None:
    (tmp_path / "tom.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("\n   \n\t\n", encoding="utf-8")
    assert load_file(tmp_path / "tom.txt") == []
    assert load_file(tmp_path / "blank.md") == []


def test_binary_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "bilde.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(UnreadableFile):
        load_file(path)


def test_corrupt_pdf_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "odelagt.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a pdf body\n%%EOF")
    with pytest.raises(UnreadableFile) as err:
        load_file(path)
    assert str(err.value)  # a reason a person can read


# --- HTML -------------------------------------------------------------------------------------


def test_html_keeps_content_and_drops_scripts_styles_navigation() -> None:
    blocks = load_html((FIXTURES / "side.html").read_text(encoding="utf-8"))
    joined = "\n".join(texts(blocks))
    for junk in (
        "SKRIPTTEKST",
        "font-family",
        "TOPPMENY",
        "NAVIGASJONSLENKE",
        "BUNNTEKST",
        "SLÅ PÅ JAVASCRIPT",
        "SIDEBOKS",
        "nettleser vi ikke støtter",
    ):
        assert junk not in joined, junk
    assert [(b.text, b.level) for b in blocks if b.kind == "heading"] == [
        ("Måltidsvenner i Ås", 1),
        ("Bakgrunn", 2),
        ("Hvem kan være med?", 3),
    ]
    assert (
        "Kommunen startet måltidsvenner i 2021 & har nå 35 frivillige. "
        "Ordningen er gratis for deltakerne." in texts(blocks)
    )
    items = [(b.text, b.level) for b in blocks if b.kind == "item"]
    assert items == [
        ("Hjemmeboende over 70 år", 0),
        ("også par som bor sammen", 1),
        ("Beboere i omsorgsbolig", 0),
    ]
    assert texts(blocks, "table_row") == [
        "Dag: Tirsdag; Sted: Frivilligsentralen; Antall: 12.",
        "Dag: Torsdag; Sted: Nordby kirke; Antall: 8.",
    ]


def test_a_section_called_innhold_with_prose_is_not_dropped_as_a_toc() -> None:
    blocks = load_text(
        "# Rapport\n\n## Innhold\n\nDenne delen handler om innholdet i maten som serveres på "
        "sykehjemmet, og hva beboerne mener om den.\n\n## Neste\n\nTekst her om noe.\n"
    )
    assert any(t.startswith("Denne delen handler om innholdet i maten") for t in texts(blocks))
    toc = load_text(
        "# Plan\n\n## Innhold\n\n- Innledning\n- Mål\n\n## Innledning\n\nPlanen gjelder.\n"
    )
    assert texts(toc, "item") == [] and "Planen gjelder." in texts(toc)


# --- large text files: read a window at a time --------------------------------------------------


def _large_text(paragraphs: int) -> str:
    parts = ["# Et stort dokument\n"]
    for i in range(paragraphs):
        if i % 25 == 0:
            parts.append(f"## Del {i // 25 + 1}\n")
        parts.append(
            f"Avsnitt {i} forteller at kommune nummer {i} har {i + 3} måltidsvenner som "
            f"besøker eldre på Ørland og i Åfjord hver uke, og at {i % 7 + 2} frivillige "
            "lager maten sammen med kommunens kjøkken.\n"
        )
    return "\n".join(parts)


def test_large_text_file_is_read_a_window_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file many windows long gives the blocks whole-file reading gives (paragraphs split
    by blank lines), while only about one window is held at a time."""
    import tracemalloc

    from ingest import loaders

    monkeypatch.setattr(loaders, "WINDOW_BYTES", 16 * 1024)
    text = _large_text(4000)  # ~800 KB: 50 windows
    path = tmp_path / "stor.txt"
    path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    try:
        count = 0
        blocks = loaders.iter_blocks(path)
        first = next(blocks)
        for _ in blocks:
            count += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert first == Block("heading", "Et stort dokument", level=1)
    assert count + 1 == len(load_text(text))
    assert list(loaders.iter_blocks(path)) == load_text(text)
    assert peak < len(text) / 2, f"peak {peak} bytes for a {len(text)}-character file"


def test_large_windows_1252_file_is_decoded_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One byte that is not UTF-8, far into a large file, makes all of it Windows-1252 (as for
    a small file), not a file of two encodings."""
    from ingest import loaders

    monkeypatch.setattr(loaders, "WINDOW_BYTES", 16 * 1024)
    text = _large_text(600)
    path = tmp_path / "gammel.txt"
    path.write_bytes(text.encode("cp1252"))
    assert [b.text for b in loaders.iter_blocks(path)] == [b.text for b in load_text(text)]
    path.write_bytes(b"\x00\x01" + text.encode("cp1252"))
    with pytest.raises(UnreadableFile):
        load_file(path)
