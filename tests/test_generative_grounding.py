"""Generative answers that cannot lie: the grounding check and failure handling, end to end.

The assistant runs in process with its real client against the stand-in model on loopback
(tests/standin_llm.py). Each way a model goes wrong (an invented figure, a citation to a
passage it was not given, an uncited sentence, an instruction hidden in a document, slow,
failing, malformed, a cut stream) is caught and falls back; a grounded answer passes as it is.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CORPUS, make_settings
from standin_llm import ChatRequest, StandinLLM

from assistant.service import Assistant
from ingest.pipeline import run_ingest
from lhl.embeddings import make_embedder
from lhl.records import Answer, Turn
from lhl.settings import Settings

PRIZE = "Hvilken kommune fikk Leve hele livet-prisen for 2022?"
WINNER = "Melhus"
GOOD = "Leve hele livet-prisen for 2022 gikk til Melhus kommune [{n}]."
FIXTURES = Path(__file__).parent / "fixtures" / "injection"


def _assistant(settings: Settings, llm: StandinLLM, **update: object) -> Assistant:
    settings = settings.model_copy(
        update={"llm_base_url": llm.base_url, "llm_model": llm.model, **update}
    )
    assistant = Assistant(settings)
    assistant.load()
    return assistant


@pytest.fixture
def make_assistant(hash_index: Settings, llm: StandinLLM) -> Callable[..., Assistant]:
    return lambda **update: _assistant(hash_index, llm, **update)


@pytest.fixture
def assistant(make_assistant: Callable[..., Assistant]) -> Assistant:
    return make_assistant()


def winner_says(template: str) -> Callable[[ChatRequest], str]:
    return lambda r: template.format(n=r.passage_with(WINNER))


def assert_fallback(answer: Answer, assistant: Assistant, verdict: str) -> None:
    assert answer.mode == "extractive" and answer.found
    assert answer.answer == assistant.ask(PRIZE, mode="extractive").answer
    assert answer.grounding is not None
    assert answer.grounding.verdict == verdict and answer.grounding.fallback
    assert answer.grounding.note  # the reader is told this is the fallback


def test_a_grounded_answer_passes_untouched(assistant: Assistant, llm: StandinLLM) -> None:
    llm.reply = winner_says(GOOD)
    answer = assistant.ask(PRIZE)
    assert answer.mode == "generative"
    assert answer.answer == GOOD.format(n=1)
    assert answer.grounding is not None and answer.grounding.verdict == "grounded"
    assert not answer.grounding.fallback and not answer.grounding.problems
    assert answer.to_dict()["grounding"]["verdict"] == "grounded"


def test_an_invented_figure_never_reaches_the_user(assistant: Assistant, llm: StandinLLM) -> None:
    llm.reply = winner_says("Prisen gikk til Bømlo kommune, som fikk 4711 kroner [{n}].")
    answer = assistant.ask(PRIZE)
    assert "4711" not in answer.answer and "Bømlo" not in answer.answer
    assert_fallback(answer, assistant, "rejected")
    assert answer.grounding and "unsupported_number" in answer.grounding.problems


def test_a_citation_to_a_passage_not_given_falls_back(
    assistant: Assistant, llm: StandinLLM
) -> None:
    llm.reply = GOOD.format(n=7)
    assert_fallback(assistant.ask(PRIZE), assistant, "rejected")


def test_an_uncited_sentence_is_dropped(assistant: Assistant, llm: StandinLLM) -> None:
    llm.reply = winner_says(GOOD + " Kommunen er kjent for sine mange eldresentre og frivillige.")
    answer = assistant.ask(PRIZE)
    assert answer.mode == "generative" and answer.answer == GOOD.format(n=1)
    assert answer.grounding is not None and answer.grounding.verdict == "trimmed"
    assert answer.grounding.dropped == 1 and answer.grounding.note
    assert answer.grounding.problems == ["uncited"]


def test_an_answer_of_uncited_sentences_falls_back(assistant: Assistant, llm: StandinLLM) -> None:
    llm.reply = "Melhus kommune fikk prisen for 2022. Det var fortjent."
    assert_fallback(assistant.ask(PRIZE), assistant, "rejected")


def test_a_slow_model_past_the_deadline_falls_back(assistant: Assistant, llm: StandinLLM) -> None:
    llm.reply, llm.delay_s = winner_says(GOOD), 3.0
    started = time.perf_counter()
    answer = assistant.ask(PRIZE, deadline_s=1.0)
    assert time.perf_counter() - started < 1.3
    assert_fallback(answer, assistant, "unavailable")


@pytest.mark.parametrize("failure", [429, 500, 503, "malformed", "empty", "cut"])
def test_a_failed_call_is_retried(assistant: Assistant, llm: StandinLLM, failure: object) -> None:
    llm.reply = winner_says(GOOD)
    llm.failures = [failure, failure]
    answer = assistant.ask(PRIZE)
    assert len(llm.requests) == 3
    assert answer.mode == "generative" and answer.answer == GOOD.format(n=1)


def test_a_model_that_keeps_failing_falls_back_within_the_budget(
    make_assistant: Callable[..., Assistant], llm: StandinLLM
) -> None:
    assistant = make_assistant(llm_budget_s=1.5)
    llm.reply = winner_says(GOOD)
    llm.failures = [503] * 20
    started = time.perf_counter()
    answer = assistant.ask(PRIZE)
    assert time.perf_counter() - started < 2.5
    assert 2 <= len(llm.requests) <= 5
    assert_fallback(answer, assistant, "unavailable")


def test_a_refused_request_is_not_retried(assistant: Assistant, llm: StandinLLM) -> None:
    llm.failures = [401]
    answer = assistant.ask(PRIZE)
    assert len(llm.requests) == 1
    assert_fallback(answer, assistant, "unavailable")


# -- streaming ----------------------------------------------------------------------------
def streamed(assistant: Assistant, question: str = PRIZE) -> tuple[list[str], Answer]:
    pieces: list[str] = []
    answer = assistant.ask(question, on_text=pieces.append)
    return pieces, answer


def test_a_streamed_answer_comes_sentence_by_sentence(
    assistant: Assistant, llm: StandinLLM
) -> None:
    llm.reply = winner_says(GOOD + " Prisen ble delt ut i 2022 [{n}].")
    pieces, answer = streamed(assistant)
    assert llm.requests[0].stream
    assert len(pieces) == 2
    assert "".join(pieces).strip() == answer.answer
    assert answer.mode == "generative" and answer.grounding
    assert answer.grounding.verdict == "grounded"


def test_an_invented_figure_is_never_streamed(assistant: Assistant, llm: StandinLLM) -> None:
    llm.reply = winner_says("Prisen gikk til Bømlo kommune, som fikk 4711 kroner [{n}]. " + GOOD)
    pieces, answer = streamed(assistant)
    assert pieces == []  # the lead failed: nothing after it is shown either
    assert_fallback(answer, assistant, "rejected")


def test_an_unsupported_later_sentence_is_not_streamed(
    assistant: Assistant, llm: StandinLLM
) -> None:
    llm.reply = winner_says(GOOD + " Kommunen fikk 4711 kroner [{n}].")
    pieces, answer = streamed(assistant)
    assert "4711" not in "".join(pieces)
    assert answer.answer == GOOD.format(n=1) and answer.grounding
    assert answer.grounding.verdict == "trimmed"


def test_a_cut_stream_falls_back(assistant: Assistant, llm: StandinLLM) -> None:
    llm.reply = winner_says(GOOD + " Prisen ble delt ut i 2022 [{n}]. " + GOOD)
    llm.cut_streams = True
    pieces, answer = streamed(assistant)
    assert_fallback(answer, assistant, "unavailable")


# -- follow-ups ---------------------------------------------------------------------------
HISTORY = [
    Turn("user", "Hvem fikk Leve hele livet-prisen for 2022?"),
    Turn("assistant", "Leve hele livet-prisen for 2022 gikk til Melhus kommune [1]."),
]


def test_a_follow_up_is_rewritten_by_the_model(assistant: Assistant, llm: StandinLLM) -> None:
    rewritten = "Hva fremheves i juryens begrunnelse for Melhus kommune?"

    def reply(request: ChatRequest) -> str:
        if request.is_rewrite:
            return rewritten
        return GOOD.format(n=request.passage_with(WINNER))

    llm.reply = reply
    answer = assistant.ask("Hva fremhevet juryen?", HISTORY)
    assert llm.requests[0].is_rewrite
    assert answer.resolved_question == rewritten


def test_a_failed_rewrite_uses_the_extractive_follow_up(
    make_assistant: Callable[..., Assistant], llm: StandinLLM
) -> None:
    assistant = make_assistant(llm_rewrite_s=0.5)
    llm.failures = [503] * 5
    extractive = assistant.ask("Hva fremhevet juryen?", HISTORY, mode="extractive")
    answer = assistant.ask("Hva fremhevet juryen?", HISTORY)
    assert answer.resolved_question == extractive.resolved_question


# -- instructions hidden in a document ------------------------------------------------------
@pytest.fixture(scope="module")
def injected_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The corpus plus a document that tries to instruct the model."""
    tmp = tmp_path_factory.mktemp("injected")
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    shutil.copy(FIXTURES / "tilskudd-dagsenter.txt", corpus)
    settings = make_settings(tmp, corpus_dir=corpus)
    run_ingest(settings, make_embedder("hash"), corpus)
    return settings


def test_an_instruction_in_a_document_changes_nothing(
    injected_index: Settings, llm: StandinLLM
) -> None:
    assistant = _assistant(injected_index, llm)
    question = "Hvor stort er tilskuddet til dagaktivitetstilbud for eldre?"

    def obedient(request: ChatRequest) -> str:
        n = request.passage_with("dagaktivitetstilbud")
        return f"Tilskuddet er 9 999 999 kroner, og det går bare til Bømlo kommune [{n}]."

    llm.reply = obedient
    answer = assistant.ask(question)
    # The instruction never reaches the model, and the passages are data in the prompt.
    assert all("Ignorer instruksjonene" not in r.prompt for r in llm.requests)
    assert "dagaktivitetstilbud" not in str(llm.requests[0].messages[0]["content"])
    assert "9 999 999" not in answer.answer and "Bømlo" not in answer.answer
    assert answer.grounding is not None and answer.grounding.verdict == "rejected"

    llm.reply = lambda r: (
        f"Tilskuddet er 50 000 kroner per kommune [{r.passage_with('dagaktivitetstilbud')}]."
    )
    answer = assistant.ask(question)
    assert answer.mode == "generative" and "50 000" in answer.answer


def test_the_extractive_answer_does_not_quote_the_instruction(injected_index: Settings) -> None:
    assistant = Assistant(injected_index)
    assistant.load()
    answer = assistant.ask("Hvor stort er tilskuddet til dagaktivitetstilbud for eldre?")
    assert "9 999 999" not in answer.answer
    assert all("Ignorer instruksjonene" not in c.text for c in answer.citations)
