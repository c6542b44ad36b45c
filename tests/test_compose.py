"""Choosing the answer sentences (assistant/compose.py): a list is shown whole, and a
runner-up is shown only when it adds an answer."""

from __future__ import annotations

from passages import passage

from assistant import decide
from assistant.extract import extract
from assistant.questions import analyse
from lhl.records import Passage


def _shown(question: str, passages: list[Passage]) -> list[str]:
    q = analyse(question)
    found = extract(q, passages, {}, None, decide.load())
    assert found.refusal is None
    return [c.answer_text for c in found.chosen]


def test_a_sentence_that_introduces_a_list_is_answered_with_the_whole_list() -> None:
    text = (
        "Målgruppen for kvalitetsreformen er alle eldre over 65 år. "
        "Kvalitetsreformen har fem innsatsområder:\n"
        "1. Et aldersvennlig Norge\n2. Aktivitet og fellesskap\n3. Mat og måltider\n"
        "4. Helsehjelp\n5. Sammenheng og overgang i tjenestene\n"
        "Under hvert av disse områdene inneholder meldingen fem forslag til løsninger."
    )
    shown = _shown("Hvilke fem innsatsområder har kvalitetsreformen?", [passage("plan", text)])
    assert shown == [
        "Kvalitetsreformen har fem innsatsområder: 1. Et aldersvennlig Norge "
        "2. Aktivitet og fellesskap 3. Mat og måltider 4. Helsehjelp "
        "5. Sammenheng og overgang i tjenestene"
    ]


def test_a_list_of_long_items_is_shown_whole_with_its_introduction() -> None:
    items = [
        "Flere gode leveår der eldre beholder god helse lenger og mestrer eget liv.",
        "Pårørende som ikke blir utslitt, og som kan ha en jevn innsats for sine nærmeste.",
        "Ansatte som opplever at de har et godt arbeidsmiljø og får brukt sin kompetanse.",
    ]
    text = "Overordnet skal kvalitetsreformen bidra til:\n" + "\n".join(f"- {i}" for i in items)
    shown = " ".join(
        _shown("Hvilke overordnede mål skal kvalitetsreformen bidra til?", [passage("p", text)])
    )
    assert all(item.rstrip(".") in shown for item in items)


def test_a_runner_up_with_only_the_questions_words_is_not_shown() -> None:
    passages = [
        passage(
            "plan",
            "Det regionale støtteapparatet består av Statsforvalteren, KS Trøndelag og USHT.",
        ),
        passage("plan", "• Faste møter i det regionale støtteapparatet.", 1),
    ]
    shown = _shown("Hvem sitter i det regionale støtteapparatet?", passages)
    assert len(shown) == 1 and "består av" in shown[0]
