"""The extractive answerer over the real corpus: sentence splitting, answers with citations
and markers, and refusals (question analysis: tests/test_questions.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from passages import passage

from assistant import compose, decide
from assistant.answerer import Candidate, units
from assistant.compose import choose
from assistant.constraints import known_word
from assistant.extract import Refusal, extract
from assistant.questions import QuestionAnalysis, analyse
from assistant.service import Assistant
from lhl import messages
from lhl.records import Answer, Chunk, Passage
from lhl.settings import Settings
from lhl.text import sentences

# -- sentences and answer units ---------------------------------------------------------------


def test_sentences_respect_norwegian_abbreviations_and_initials() -> None:
    text = (
        "Han ble født i 356 f.Kr. og ble konge. Det skjedde bl.a. i Pella. "
        "J. R. R. Tolkien skrev boka. Prisen ble delt ut 16. november i fjor."
    )
    assert sentences(text) == [
        "Han ble født i 356 f.Kr. og ble konge.",
        "Det skjedde bl.a. i Pella.",
        "J. R. R. Tolkien skrev boka.",
        "Prisen ble delt ut 16. november i fjor.",
    ]


def test_sentences_end_after_a_year_quotes_and_dashes() -> None:
    text = "Riket ble oppløst i 1803. I dag er det borte. «Det var bra», sa hun. – Ja, sier han."
    assert sentences(text) == [
        "Riket ble oppløst i 1803.",
        "I dag er det borte.",
        "«Det var bra», sa hun.",
        "– Ja, sier han.",
    ]


def test_line_breaks_and_bullets_end_sentences() -> None:
    assert sentences("Representanter:\n• Ola Nordmann, KS\n• Kari Nordmann, USHT") == [
        "Representanter:",
        "• Ola Nordmann, KS",
        "• Kari Nordmann, USHT",
    ]


def test_a_table_row_is_split_at_its_cells_not_at_full_stops() -> None:
    row = "Navn: Nettverk for rehabilitering; Målgruppe: Alle; Når: Nytt. Fra januar 2022."
    cells = units(row)
    assert [u.text for u in cells] == [
        "Navn: Nettverk for rehabilitering",
        "Målgruppe: Alle",
        "Når: Nytt. Fra januar 2022",
    ]
    assert cells[2].lead == "Navn: Nettverk for rehabilitering"


def test_known_word_allows_inflection_parts_and_one_letter_off() -> None:
    vocabulary = {"heyerdahl": 1.0, "usht": 1.0, "trøndelag": 1.0}
    assert known_word("heyerdal", vocabulary)
    assert known_word("usht-lunsjseminarene", vocabulary)
    assert not known_word("nordland", vocabulary)


# -- answers over the real corpus --------------------------------------------------------------

MARKER = re.compile(r"\[(\d+)\]")


def assert_well_cited(answer: Answer) -> None:
    """Every marker points at a citation, every citation is pointed at, every highlight
    stands in its citation's text, and every answer sentence stands in a cited passage."""
    numbers = {int(n) for n in MARKER.findall(answer.answer)}
    assert numbers == {c.n for c in answer.citations}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert c.highlight and c.highlight in c.text
    body = MARKER.sub("", answer.answer)
    cited = " ".join(c.text for c in answer.citations)
    for sentence in sentences(body):
        core = sentence.strip().rstrip(".!? ").strip()
        assert core[:40] in cited, sentence


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Hvilken kommune fikk Leve hele livet-prisen for 2022?", "Melhus"),
        ("Hvor mange abonnenter hadde nyhetsbrevet ved utgangen av 2022?", "965"),
        ("I hvor mange byer og tettsteder ble Generasjonslekene arrangert i 2022?", "18"),
        ("Hvem består det nasjonale støtteapparatet av?", "Senter for omsorgsforskning"),
        ("Når ble kvalitetsreformen Leve hele livet lansert?", "4. mai 2018"),
    ],
)
def test_answers_are_found_with_their_citations(
    assistant: Assistant, question: str, expected: str
) -> None:
    answer = assistant.ask(question)
    assert answer.found, answer.answer
    assert expected in answer.answer
    assert any(expected in c.text for c in answer.citations)
    assert_well_cited(answer)
    assert len(answer.answer) <= 420


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "Hvem vant fotball-VM i 1998?",
        "Hva er hovedstaden i Australia?",
        "Hva står i gjennomføringsplanen for Leve hele livet i Nordland?",
        "Hvem er direktør for Senteret for et aldersvennlig Norge?",
    ],
)
def test_questions_the_documents_do_not_answer_are_refused(
    assistant: Assistant, question: str
) -> None:
    answer = assistant.ask(question)
    assert not answer.found
    assert answer.answer == messages.NOT_FOUND
    assert not MARKER.search(answer.answer)


@pytest.mark.slow
def test_a_year_the_documents_do_not_cover_is_refused_not_answered_with_another_year(
    assistant: Assistant,
) -> None:
    covered = assistant.ask("Hvilken kommune fikk Leve hele livet-prisen for 2022?")
    assert covered.found and "Melhus" in covered.answer
    for year in ("2019", "2023"):
        other = assistant.ask(f"Hvilken kommune fikk Leve hele livet-prisen for {year}?")
        assert not other.found, other.answer
        assert "Melhus" not in other.answer


@pytest.mark.slow
def test_a_count_needs_the_counted_thing(assistant: Assistant) -> None:
    counted = assistant.ask("Hvor mange abonnenter hadde nyhetsbrevet ved utgangen av 2022?")
    assert counted.found and "965" in counted.answer
    uncounted = assistant.ask("Hvor mange ansatte har Senteret for et aldersvennlig Norge?")
    assert not uncounted.found, uncounted.answer


# -- composing the answer ----------------------------------------------------------------------


DECISION = decide.load()  # the committed model (tests load it; they never fit it)


def _rank(
    question: str, passages: list[Passage]
) -> tuple[QuestionAnalysis, list[Candidate], Refusal | None]:
    """The answer step without the reader, as for `LHL_READER=off`: the candidates best first,
    or none and the reason to refuse."""
    q = analyse(question)
    found = extract(q, passages, {}, None, DECISION)
    return q, found.ranked if found.refusal is None else [], found.refusal


def test_markers_follow_each_run_of_sentences_from_onepassage() -> None:
    passages = [
        passage("a", "Prisen gikk til Melhus kommune. Juryen var enig."),
        passage("b", "Melhus kommune har en langsiktig plan."),
    ]
    q, ranked, reason = _rank("Hvilken kommune fikk prisen?", passages)
    assert reason is None
    chosen = choose(q, passages, ranked)
    base = compose.AnswerBase(q.text, None, q.qtype, False, None)
    shown = compose.answer(base, chosen, ranked[0], passages)
    text, citations = shown.answer, shown.citations
    assert text.count("[") == len(citations)
    assert {int(n) for n in MARKER.findall(text)} == {c.n for c in citations}
    assert citations[0].highlight == ranked[0].text
    assert text.rstrip().endswith((".", "]"))


def test_a_year_in_the_title_scopes_the_document_but_not_another_year() -> None:
    passages = [
        passage(
            "r", "Ved inngangen av året lanserte senteret en veileder.", title="Årsrapport 2022"
        )
    ]
    asked, ranked, reason = _rank("Hva lanserte senteret ved inngangen av 2022?", passages)
    assert reason is None and ranked
    other, ranked, reason = _rank("Hva lanserte senteret ved inngangen av 2019?", passages)
    assert reason is not None and not ranked


def test_terms_match_across_hyphens_and_one_letter_off() -> None:
    from assistant.answer_types import content_stems
    from assistant.answerer import match_term

    stems = content_stems("Webinar-rekke for representanter fra kommunene.")
    assert match_term("webinarrekk", set(stems), stems) == 1.0  # "webinarrekka"
    assert 0 < match_term("represantant", set(stems), stems) < 1.0  # a typo
    assert match_term("repetisjon", set(stems), stems) == 0.0


def test_an_article_is_not_a_quantity() -> None:
    from assistant.answer_types import fits_type

    q = analyse("Hvor mange deltok på konferansen?")
    assert fits_type(q, "Det ble gjennomført en egen workshop for de som deltok.") is False
    assert fits_type(q, "Over 300 deltok på konferansen.") is True
    assert fits_type(q, "Tre kommuner deltok.") is True


def test_a_count_in_nynorsk_counts_the_bokmaal_noun() -> None:
    passages = [passage("a", "I 2022 ble lekene arrangert i 18 byer og tettsteder.")]
    q, ranked, reason = _rank("Kor mange byar arrangerte lekene i 2022?", passages)
    assert reason is None and "18" in ranked[0].text


def test_a_definition_list_item_answers_what_its_term_is() -> None:
    # The first sentence has the term and a copula ("er et"), yet says nothing of what it is.
    text = (
        "I Nettverket er et av temaene samlingene for Nettverket.\n"
        "• Nettverket: Et samarbeid mellom kommuner som vil bli mer aldersvennlige.\n"
        "• Senteret: Et nasjonalt kompetansesenter for aldersvennlige samfunn."
    )
    passages = [passage("a", text, 1)]
    q, ranked, reason = _rank("Hva er Nettverket?", passages)
    assert reason is None
    assert ranked[0].text.startswith("• Nettverket:")


def test_the_section_a_question_names_answers_it_under_its_heading() -> None:
    # The first passage says "fase 3" in so many words; the section named "Fase 3 …" is
    # what the question asks for, and its heading is the name of the phase.
    passages = [
        passage(
            "plan",
            "Fra informasjon i fase 1 og planlegging i fase 2 til implementering "
            "i fase 3 av reformen.",
        ),
        passage(
            "hefte",
            "Når kommunene har tatt stilling til forslagene, starter gjennomføringen.",
            4,
            section="Tidslinje › Fase 3 Implementering og gjennomføring (2021–2023)",
        ),
    ]
    q, ranked, reason = _rank("Hva er fase 3 i reformen?", passages)
    assert q.named == ("fas", "3")
    assert reason is None and ranked[0].passage_index == 1
    shown = choose(q, passages, ranked)[0].answer_text
    assert shown.startswith("Fase 3 Implementering og gjennomføring (2021–2023): Når kommunene")
    # A question that names no section gets no heading in front …
    other, ranked, _ = _rank("Hva skal kommunene ta stilling til?", passages)
    assert choose(other, passages, ranked)[0].answer_text.startswith("Når kommunene")
    # … unless the heading, and not the sentence, holds a number the question asks about.
    when, ranked, _ = _rank("Når starter gjennomføringen i fase 3?", passages)
    assert choose(when, passages, ranked)[0].answer_text.startswith("Fase 3")


def test_who_sits_in_a_body_is_answered_by_what_it_consists_of() -> None:
    text = (
        "I det regionale støtteapparatet legges det vekt på dialog med Kommunene.\n"
        "Det regionale støtteapparatet består av statsforvalterne, KS og USHT."
    )
    passages = [passage("a", text)]
    q, ranked, reason = _rank("Hvem sitter i det regionale støtteapparatet?", passages)
    assert reason is None and "består av" in ranked[0].text


def test_a_list_question_answered_by_an_item_gets_the_whole_list() -> None:
    text = (
        "1. Aldersvennlig samfunn\n2. Aktivitet og fellesskap\n3. Mat og måltid\n"
        "4. Helsehjelp\n5. Sammenheng i tjenesten\n"
        "Demografien peker mot at tjenestene ikke kan klare alt alene."
    )
    passages = [passage("hefte", text, 3, section="Satsingsområdene til reformen:")]
    q, ranked, reason = _rank("Hvilke satsingsområder har reformen?", passages)
    assert reason is None
    shown = [c.answer_text for c in choose(q, passages, ranked)]
    assert shown == [
        "1. Aldersvennlig samfunn 2. Aktivitet og fellesskap 3. Mat og måltid 4. Helsehjelp "
        "5. Sammenheng i tjenesten"
    ]


def test_a_named_section_is_read_wherever_retrieval_ranked_it(hash_index: Settings) -> None:
    """The hash embedder ranks by chance: the section still comes from the index by its name."""
    a = Assistant(hash_index)
    a.load()
    for question, start in [
        ("Hva er trinn 7 i veilederen?", "Trinn 7 – Kunnskapsgrunnlaget: Kommunen forstår"),
        ("Hva går trinn 2 i veilederen ut på?", "Trinn 2 - Forankring: Forankre arbeidet"),
        ("Hva er fase 3 i reformen?", "Fase 3 Implementering og gjennomføring (2021–2023): "),
    ]:
        answer = a.ask(question)
        assert answer.found and answer.answer.startswith(start), answer.answer
        assert answer.citations[0].section.endswith(start.split(":")[0].rstrip())


def test_whom_something_is_for_is_answered_by_its_target_group() -> None:
    from assistant.answer_types import phrased_as_asked

    q = analyse("Hvem er nettverket rettet mot?")
    assert phrased_as_asked(q, "Målgruppe: Fagsykepleiere og helsefaglige rådgivere")
    assert not phrased_as_asked(q, "Tema: Systematisk kartlegging og oppfølging")
    assert not phrased_as_asked(analyse("Hvem leder nettverket?"), "Målgruppe: Ledere")


class _Sections:
    """The one thing `with_named_section` asks of the index: chunks by own heading."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks

    def sections_opening_with(self, head: Sequence[str]) -> list[Chunk]:
        from lhl.text import opens_with

        return [c for c in self.chunks if opens_with(head, c.own_heading)]


def test_the_named_section_is_added_once_from_the_right_document() -> None:
    from assistant.answerer import with_named_section

    def chunk(doc: str, section: str, position: int) -> Chunk:
        return passage(doc, f"Tekst {doc} {position}.", position, section=section).chunk

    trinn2 = [chunk("hefte", "Trinn 2 › Hjelpespørsmål:", 10)]
    trinn5 = [
        chunk("hefte", "Trinn 5 › Hjelpespørsmål:", 20),
        chunk("hefte", "Trinn 5 › Hjelpespørsmål:", 21),
    ]
    other = [passage(d, f"Annet {i}.", i) for i, d in enumerate("abcdef")]
    index = _Sections([*trinn2, *trinn5])
    q = analyse("Hva er hjelpespørsmålene i trinn 5?")
    assert q.named == ("hjelpespørsmål",)
    # The top passage's document has two sections under that heading: the retrieved one wins,
    # and the chunk that opens it is read (in the last slot the answerer reads).
    ranked = [Passage(trinn5[1], 1.0), *other, Passage(trinn2[0], 0.1)]
    got = with_named_section(index, q, ranked)
    assert [p.chunk.id for p in got].index(trinn5[0].id) == 4 and len(got) == len(ranked) + 1
    # Neither section retrieved: which one is meant cannot be told, nothing is added.
    ranked = [passage("hefte", "Innledning.", 1), *other]
    assert with_named_section(index, q, ranked) == ranked
    # Already read: unchanged; fewer passages than the answerer reads: added at the end.
    ranked = [Passage(trinn5[0], 1.0), *other]
    assert with_named_section(index, q, ranked) == ranked
    one = [passage("hefte", "Innledning.", 1)]
    got = with_named_section(_Sections(trinn5), q, one)
    assert [p.chunk.id for p in got] == [one[0].chunk.id, trinn5[0].id]


def test_a_heading_shared_by_several_sections_answers_from_the_asked_one(
    hash_index: Settings,
) -> None:
    a = Assistant(hash_index)
    a.load()
    answer = a.ask("Hva er hjelpespørsmålene i trinn 5?")
    assert answer.found and answer.citations[0].section.startswith("Trinn 5"), answer.answer
