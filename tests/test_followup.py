"""Follow-up completion from the conversation (assistant/followup.py)."""

from __future__ import annotations

import pytest

from assistant.followup import is_followup, resolve
from lhl.records import Turn

PRIZE = [Turn("user", "Hvem vant Leve hele livet-prisen i 2022?"), Turn("assistant", "Melhus [1].")]
REGIONAL = [Turn("user", "Hvem sitter i det regionale støtteapparatet?"), Turn("assistant", "…")]


def test_relative_year_is_resolved_against_the_previous_question() -> None:
    assert resolve("Og hvem vant året før?", PRIZE) == "Hvem vant Leve hele livet-prisen i 2021?"
    assert "2023" in resolve("Og året etter?", PRIZE)


def test_what_about_replaces_the_year_or_appends_the_topic() -> None:
    assert resolve("Hva med 2021?", PRIZE) == "Hvem vant Leve hele livet-prisen i 2021?"
    assert resolve("Hva med Trøndelag?", REGIONAL).endswith("Trøndelag?")


def test_same_inflection_word_is_swapped() -> None:
    resolved = resolve("Og i det nasjonale?", REGIONAL)
    assert resolved == "Hvem sitter i det nasjonale støtteapparatet?"


def test_a_demonstrative_before_a_definite_noun_or_a_number_points_back() -> None:
    steps = [Turn("user", "Hva heter trinn 5 i veiledningsheftet?"), Turn("assistant", "…")]
    resolved = resolve("Hvilke hjelpespørsmål hører til det trinnet?", steps)
    assert "trinn 5" in resolved and "veiledningsheftet" in resolved
    assert is_followup("Hvorfor akkurat de to?", steps)
    assert not is_followup("Hvem består det nasjonale støtteapparatet av?", steps)


def test_a_word_the_followup_replaces_is_not_carried_over() -> None:
    national = [
        Turn("user", "Hvem består det nasjonale støtteapparatet av?"),
        Turn("assistant", "…"),
    ]
    resolved = resolve("Og hvem sitter i det regionale?", national)
    assert "regionale" in resolved and "støtteapparatet" in resolved
    assert "nasjonale" not in resolved


def test_short_followup_keeps_the_previous_topic_and_year() -> None:
    resolved = resolve("Hvor mange ble nominert?", PRIZE)
    assert resolved.startswith("Hvor mange ble nominert")
    assert "2022" in resolved and "prisen" in resolved


@pytest.mark.parametrize(
    "question",
    [
        "Hvem består det nasjonale støtteapparatet av?",  # "det" as a determiner
        "Hva er fase 3 i reformen?",
        "Hvor mange abonnenter hadde nyhetsbrevet ved utgangen av 2022?",
    ],
)
def test_a_question_that_stands_alone_is_unchanged(question: str) -> None:
    history = [Turn("user", "Hva koster en pizza i Roma?"), Turn("assistant", "…")]
    assert not is_followup(question, history)
    assert resolve(question, history) == question


def test_without_history_nothing_changes() -> None:
    assert resolve("Og året før?", []) == "Og året før?"


PHASE_3 = [Turn("user", "Hva er fase 3 i reformen?"), Turn("assistant", "Fase 3 … [1]")]
PHASE_2 = [Turn("user", "Hva er fase 2 i reformen?"), Turn("assistant", "Fase 2 … [1]")]
STEP_2 = [Turn("user", "Hva går trinn 2 ut på?"), Turn("assistant", "…")]
TRONDELAG = [
    Turn("user", "Hvem sitter i det regionale støtteapparatet i Trøndelag?"),
    Turn("assistant", "…"),
]
MELHUS = [Turn("user", "Hva gjorde Melhus kommune i 2022?"), Turn("assistant", "…")]
HUSBANKEN = [Turn("user", "Hvilken rolle har Husbanken i reformen?"), Turn("assistant", "…")]


@pytest.mark.parametrize(
    ("history", "followup", "resolved"),
    [
        (PHASE_3, "Hva med fase 4?", "Hva er fase 4 i reformen?"),
        (PHASE_3, "Og fase 4?", "Hva er fase 4 i reformen?"),
        (PHASE_3, "Enn fase 1?", "Hva er fase 1 i reformen?"),
        (PHASE_3, "Og hva med fase 2?", "Hva er fase 2 i reformen?"),
        (PHASE_3, "Hva med 4?", "Hva er fase 4 i reformen?"),
        (PHASE_2, "Og fase 4?", "Hva er fase 4 i reformen?"),
        (STEP_2, "Hva med trinn 3?", "Hva går trinn 3 ut på?"),
        (STEP_2, "Og trinn 5?", "Hva går trinn 5 ut på?"),
        (STEP_2, "Enn trinnet 4?", "Hva går trinn 4 ut på?"),
        (PRIZE, "Og 2021?", "Hvem vant Leve hele livet-prisen i 2021?"),
        (PRIZE, "Enn i 2020?", "Hvem vant Leve hele livet-prisen i 2020?"),
        (MELHUS, "Hva med 2021?", "Hva gjorde Melhus kommune i 2021?"),
        (
            TRONDELAG,
            "Hva med Nordland?",
            "Hvem sitter i det regionale støtteapparatet i Nordland?",
        ),
        (
            TRONDELAG,
            "Og møre og romsdal?",
            "Hvem sitter i det regionale støtteapparatet i Møre og Romsdal?",
        ),
        (MELHUS, "Og Trondheim?", "Hva gjorde Trondheim kommune i 2022?"),
        (MELHUS, "Enn Levanger kommune?", "Hva gjorde Levanger kommune i 2022?"),
        (HUSBANKEN, "Hva med KS?", "Hvilken rolle har KS i reformen?"),
        (HUSBANKEN, "Og Helsedirektoratet?", "Hvilken rolle har Helsedirektoratet i reformen?"),
    ],
)
def test_what_about_replaces_the_thing_of_the_same_kind(
    history: list[Turn], followup: str, resolved: str
) -> None:
    assert resolve(followup, history) == resolved


def test_a_followup_of_another_kind_is_still_completed_as_before() -> None:
    # "og hvem …" has its own question word: completed, not treated as a topic.
    assert resolve("Og hvem vant året før?", PRIZE) == "Hvem vant Leve hele livet-prisen i 2021?"
    # No county in the previous question to replace: the topic is added.
    assert resolve("Hva med Trøndelag?", REGIONAL).endswith("Trøndelag?")
