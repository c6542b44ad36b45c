"""Plain text as people write it: one newline between paragraphs, hard wraps, simple lists."""

from __future__ import annotations

import re
import textwrap

from ingest.loaders import load_text
from lhl.records import Block

ARTICLE = [
    "Omsorgstjenesten i Melhus",
    "Melhus kommune fikk Leve hele livet-prisen for 2022 for arbeidet med aldersvennlige "
    "lokalsamfunn, der frivillige lag, pårørende og de ansatte i hjemmetjenesten har "
    "planlagt tilbudet sammen med de eldre selv.",
    "Juryen la vekt på at kommunen har tatt i bruk EM-kvalifiserte metoder for "
    "kartlegging av ernæring, og at arbeidet er forankret i kommuneplanens samfunnsdel "
    "fra 2021.",
    "Neste steg er å spre erfaringene til nabokommunene i Trøndelag.",
]


def paragraphs(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks if b.kind == "paragraph"]


def test_single_newlines_separate_paragraphs_as_blank_lines_do() -> None:
    blank = load_text("\n\n".join(ARTICLE))
    single = load_text("\n".join(ARTICLE))
    assert [(b.kind, b.text) for b in single] == [(b.kind, b.text) for b in blank]
    assert single[0].kind == "heading" and len(paragraphs(single)) == 3


def test_hard_wrapped_text_keeps_every_sentence_whole() -> None:
    wrapped = "\n".join(textwrap.fill(p, 76) for p in ARTICLE)
    assert max(len(line) for line in wrapped.splitlines()) <= 76
    blocks = load_text(wrapped)
    assert blocks[0].text == "Omsorgstjenesten i Melhus"
    got = paragraphs(blocks)
    assert got == ARTICLE[1:]  # no paragraph run together, no sentence cut at a wrap
    assert "EM-kvalifiserte" in got[1]  # the wrapper's break after a hyphen keeps the hyphen


def test_wrap_at_seventy_with_a_capitalised_word_after_the_break() -> None:
    text = (
        "Tjenestene skal bidra til at eldre kan bo trygt hjemme, og prosjektet ledes av\n"
        "Helsedirektoratet i samarbeid med KS og Senter for omsorgsforskning som har\n"
        "ansvaret for følgeevalueringen av reformen i hele perioden fra 2019 til\n"
        "2023, med rapporter hvert år til departementet og til kommunene selv.\n"
        "Kort avsnitt.\n"
        "Et nytt avsnitt begynner her og fortsetter over to linjer fordi det er\n"
        "langt nok til å bli brutt av den som skrev teksten i en enkel editor.\n"
    )
    got = paragraphs(load_text(text))
    assert len(got) == 3
    assert got[0].startswith("Tjenestene") and got[0].endswith("kommunene selv.")
    assert got[1] == "Kort avsnitt."
    assert got[2].endswith("enkel editor.")


def test_dash_bullet_and_numbered_lists_stay_items() -> None:
    for marks in (["-", "-", "-"], ["•", "•", "•"], ["1)", "2)", "3)"]):
        text = (
            "Kommunen skal prioritere disse områdene i planperioden:\n"
            f"{marks[0]} aldersvennlige lokalsamfunn\n"
            f"{marks[1]} aktivitet og fellesskap\n"
            f"{marks[2]} mat og måltider\n"
            "Planen vedtas av kommunestyret i juni.\n"
        )
        blocks = load_text(text)
        # Numbered items keep their number ("1. …"), as in the blank-line form.
        items = [re.sub(r"^\d\. ", "", b.text) for b in blocks if b.kind == "item"]
        assert items == [
            "aldersvennlige lokalsamfunn",
            "aktivitet og fellesskap",
            "mat og måltider",
        ]
        assert paragraphs(blocks)[-1] == "Planen vedtas av kommunestyret i juni."


def test_wrapped_list_item_continues_on_the_next_line() -> None:
    text = (
        "Innsatsområdene i reformen er beskrevet i meldingen til Stortinget, og omfatter:\n"
        "- et aldersvennlig Norge der eldre kan delta i samfunnet og bruke sine ressurser\n"
        "  gjennom hele livet\n"
        "- mat og måltider, der måltidene gir glede og næring for eldre som bor hjemme og\n"
        "Helsedirektoratet følger opp kommunene\n"
    )
    items = [b.text for b in load_text(text) if b.kind == "item"]
    assert items[0].endswith("ressurser gjennom hele livet")
    assert items[1].endswith("bor hjemme og Helsedirektoratet følger opp kommunene")


def test_abbreviation_at_line_end_does_not_end_the_paragraph() -> None:
    text = "Møtet handlet om tiltak for eldre, bl.a.\nmåltider og aktivitet.\nNeste møte er i mai."
    assert paragraphs(load_text(text)) == [
        "Møtet handlet om tiltak for eldre, bl.a. måltider og aktivitet.",
        "Neste møte er i mai.",
    ]


def test_the_first_line_is_the_title_also_right_above_a_section_heading() -> None:
    text = "Tilskudd til dagaktivitetstilbud\n\nOm ordningen\nKommuner kan søke om tilskudd. Fristen er 15. april."
    blocks = load_text(text)
    assert [(b.kind, b.text) for b in blocks[:2]] == [
        ("heading", "Tilskudd til dagaktivitetstilbud"),
        ("heading", "Om ordningen"),
    ]
    assert blocks[2].kind == "paragraph" and blocks[2].text.startswith("Kommuner kan søke")
