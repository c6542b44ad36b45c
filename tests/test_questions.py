"""Question analysis: the question type, its constraints (years, numbers, names, the counted
noun, the attribute asked for) and what a "hva er X?" defines or names."""

from __future__ import annotations

import pytest

from assistant.questions import analyse, question_type


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("Hvor mange kommuner ble nominert til prisen?", "antall"),
        ("Kor mange byar var med?", "antall"),
        ("Hvor gammel var han da han døde?", "antall"),
        ("Hvor ofte møtes gruppa?", "antall"),
        ("Når ble reformen lansert?", "dato"),
        ("Hvilket år ble festningen bygget?", "dato"),
        ("Kva tid kom rapporten?", "dato"),
        ("Hvem leder kommunikasjonsgruppa?", "hvem"),
        ("Kven vann prisen?", "hvem"),
        ("Hvilken organisasjon står bak konferansen?", "hvem"),
        ("Hvilke kommuner var i finalen?", "hvem"),
        ("Hva heter planleggingsverktøyet?", "navn"),
        ("Hva står SOF for?", "navn"),
        ("Hva er Generasjonslekene?", "definisjon"),
        ("Hva slags tidsskrift er det?", "definisjon"),
        ("Hvorfor ble arbeidet ikke videreført?", "hvorfor"),
        ("Hva er formålet med gruppa?", "hvorfor"),
        ("Hvordan ble kommunene nominert?", "hvordan"),
        ("Korleis blir prisen delt ut?", "hvordan"),
        ("Hvor ligger Blaafarveværket?", "hvor"),
        ("I hvilket land ligger Istanbul?", "hvor"),
        ("Hvilke oppgaver har støtteapparatet?", "liste"),
        ("Gi et eksempel på et tiltak.", "annet"),
    ],
)
def test_question_type(question: str, qtype: str) -> None:
    assert question_type(question) == qtype


def test_analysis_finds_the_constraints() -> None:
    q = analyse("Hvor mange abonnenter hadde nyhetsbrevet fra Helsedirektoratet i 2021, og 12 til?")
    assert q.years == ("2021",)
    assert q.numbers == ("12",)
    assert q.names == ("helsedirektoratet",)
    assert q.focus == ("abonnent",)
    assert q.attribute == "abonnent"
    assert "nyhetsbrev" in q.terms and "hvor" not in q.terms


def test_attribute_is_the_noun_not_its_adjective_nor_a_kind_of_answer() -> None:
    assert analyse("Hvem er den nye direktøren for senteret?").attribute == "direktør"
    assert analyse("Hvilket land ligger Istanbul i?").attribute is None
    assert analyse("Hva er hensikten med gruppa?").attribute is None


def test_a_digit_glued_to_a_letter_is_no_number_and_an_adverb_no_attribute() -> None:
    assert analyse("Hva ble sagt under G7-toppmøtet i 2019?").numbers == ()
    assert analyse("Hvem blir hun helt sikkert lagvenninne med?").attribute == "lagvenninn"


def test_the_term_a_definition_question_asks_about() -> None:
    assert analyse("Hva er Trøndelag for alle?").defined == ("trøndelag", "for", "all")
    assert analyse("Kva er ein ressursportal?").defined == ("ressursportal",)
    assert analyse("Hvem leder gruppa?").defined == ()


def test_the_thing_a_question_names_up_to_its_scope() -> None:
    assert analyse("Hva er fase 3 i reformen?").named == ("fas", "3")
    assert analyse("Hva går trinn 2 i veilederen ut på?").named == ("trinn", "2")
    assert analyse("Kva handlar fase 4 om?").named == ("fas", "4")
    assert analyse("Hva heter trinn 5 ifølge veilederen?").named == ("trinn", "5")
    # "til", "av", "for" belong to the name; a long tail after a scope word is no scope.
    assert analyse("Hva er Trøndelag for alle?").named == ("trøndelag", "for", "all")
    assert analyse("Hva het Artaxerxes III i Persia før han ble konge?").named == ()
    assert analyse("Hvem leder gruppa?").named == ()


def test_names_include_capitalised_parts_of_hyphenated_words() -> None:
    assert "vm" in analyse("Hvem vant fotball-VM i 1998?").names
    assert analyse("Hvem leder gruppa?").names == ()


def test_a_counted_number_is_also_found_written_out_but_not_a_label() -> None:
    count = analyse("Hvor mye har aksjen falt de siste 3 årene?")
    assert count.states("Aksjen har falt de siste tre årene.", "3")
    assert count.states("Aksjen har falt 3 prosent.", "3")
    assert not count.states("Aksjen har falt de siste fire årene.", "3")
    assert not count.states("Det kom 13 svar.", "3")
    label = analyse("Hva handler trinn 2 om?")
    assert label.labels == ("2",)
    assert label.states("Trinn 2 – Forankring", "2")
    assert not label.states("De to første trinnene handler om formål.", "2")
