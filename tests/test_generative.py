"""The generative answer mode against a real OpenAI-compatible server on loopback.

The assistant runs in process over the hash-embedder index with its real client (LangChain's
ChatOpenAI over HTTP); only the model is scripted (tests/standin_llm.py). What must hold: a
good answer with [n] markers comes back as "generative" with its citations renumbered in
reading order; anything untrustworthy, a model that is down, slow or hanging falls back to
the extractive answer, within the deadline.
"""

from __future__ import annotations

import concurrent.futures
import re
import time
from collections.abc import Callable, Iterator

import pytest
from standin_llm import ChatRequest, StandinLLM, closed_port

from assistant.service import Assistant
from lhl.records import Answer
from lhl.settings import Settings

PRIZE = "Hvilken kommune fikk Leve hele livet-prisen for 2022?"
WINNER = "Melhus"
UNANSWERABLE = "Hvor mange elefanter bor i Kristiansand dyrepark?"
MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture
def make_assistant(hash_index: Settings) -> Iterator[Callable[..., Assistant]]:
    """An assistant whose model is at `base_url`; each test gets its own (its own thread pool,
    so a hanging model in one test cannot hold up the next)."""

    def make(base_url: str, timeout_s: float = 5.0) -> Assistant:
        settings = hash_index.model_copy(
            update={
                "llm_base_url": base_url,
                "llm_model": "standin-chat",
                "llm_timeout_s": timeout_s,
            }
        )
        assistant = Assistant(settings)
        assistant.load()
        return assistant

    yield make


@pytest.fixture
def assistant(make_assistant: Callable[..., Assistant], llm: StandinLLM) -> Assistant:
    return make_assistant(llm.base_url)


def extractive(assistant: Assistant, question: str) -> Answer:
    return assistant.ask(question, mode="extractive")


def test_a_good_answer_is_generative_with_citations_renumbered_in_reading_order(
    assistant: Assistant, llm: StandinLLM
) -> None:
    seen: dict[str, dict[int, str]] = {}

    def reply(request: ChatRequest) -> str:
        passages = request.passages()
        winner = request.passage_with(WINNER)
        other = max(n for n in passages if n != winner)  # cited first, so it becomes [1]
        seen["passages"], seen["order"] = passages, {1: passages[other], 2: passages[winner]}
        return f"Prisen deles ut av støtteapparatet [{other}]. I 2022 gikk den til Melhus kommune [{winner}]."

    llm.reply = reply
    answer = assistant.ask(PRIZE)

    assert len(llm.requests) == 1 and llm.requests[0].model == "standin-chat"
    assert answer.mode == "generative" and answer.found
    assert WINNER in answer.answer
    assert MARKER.findall(answer.answer) == ["1", "2"]
    assert [c.n for c in answer.citations] == [1, 2]
    for citation in answer.citations:  # [n] now points at the passage the model meant
        assert citation.text in seen["order"][citation.n]
    assert WINNER in answer.citations[1].text


def test_a_list_of_markers_counts_as_markers(assistant: Assistant, llm: StandinLLM) -> None:
    llm.reply = lambda r: f"Melhus kommune fikk prisen [{r.passage_with(WINNER)}, 1]."
    answer = assistant.ask(PRIZE)
    assert answer.mode == "generative"
    assert len(answer.citations) == len(set(MARKER.findall(answer.answer))) >= 1
    assert all(1 <= int(n) <= len(answer.citations) for n in MARKER.findall(answer.answer))


def test_thinking_aloud_is_not_part_of_the_answer(assistant: Assistant, llm: StandinLLM) -> None:
    llm.reply = lambda r: (
        f"<think>Passasje [9] er irrelevant.</think>Melhus kommune [{r.passage_with(WINNER)}]."
    )
    answer = assistant.ask(PRIZE)
    assert answer.mode == "generative"
    assert answer.answer == "Melhus kommune [1]."


def test_ikke_funnet_keeps_the_extractive_answer(assistant: Assistant, llm: StandinLLM) -> None:
    llm.reply = "IKKE_FUNNET"
    answer = assistant.ask(PRIZE)
    assert len(llm.requests) == 1
    assert answer.mode == "extractive" and answer.found
    assert answer.answer == extractive(assistant, PRIZE).answer


@pytest.mark.parametrize(
    "reply",
    [
        "Melhus kommune fikk prisen.",  # no marker
        "Melhus kommune fikk prisen [9].",  # past the passages the model was given
        "Melhus kommune fikk prisen [0].",
        "Melhus kommune fikk prisen [1] og [7].",  # one good, one invented
    ],
    ids=["no-marker", "out-of-range", "zero", "one-invented"],
)
def test_an_untrustworthy_answer_falls_back_to_extractive(
    assistant: Assistant, llm: StandinLLM, reply: str
) -> None:
    llm.reply = reply
    answer = assistant.ask(PRIZE)
    assert len(llm.requests) == 1, "the model was asked"
    assert answer.mode == "extractive"
    assert answer.answer == extractive(assistant, PRIZE).answer


def test_the_model_is_not_asked_when_the_documents_do_not_answer(
    assistant: Assistant, llm: StandinLLM
) -> None:
    llm.reply = "Rundt tjue [1]."
    answer = assistant.ask(UNANSWERABLE)
    assert not answer.found and answer.mode == "extractive"
    assert llm.requests == []


def test_a_server_that_is_down_gives_the_extractive_answer(
    make_assistant: Callable[..., Assistant],
) -> None:
    assistant = make_assistant(f"http://127.0.0.1:{closed_port()}/v1")
    started = time.perf_counter()
    answer = assistant.ask(PRIZE, deadline_s=3.0)
    assert time.perf_counter() - started < 3.0
    assert answer.mode == "extractive" and answer.answer == extractive(assistant, PRIZE).answer


@pytest.mark.parametrize("delay_s", [4.0, 600.0], ids=["slow", "hanging"])
def test_a_model_past_the_deadline_gives_the_extractive_answer_in_time(
    assistant: Assistant, llm: StandinLLM, delay_s: float
) -> None:
    llm.reply = lambda r: f"Melhus kommune [{r.passage_with(WINNER)}]."
    llm.delay_s = delay_s
    deadline_s = 1.0
    started = time.perf_counter()
    answer = assistant.ask(PRIZE, deadline_s=deadline_s)
    elapsed = time.perf_counter() - started

    assert elapsed < deadline_s + 0.2, f"{elapsed:.2f} s"
    assert len(llm.requests) == 1, "the model was asked, and did not answer in time"
    assert answer.mode == "extractive" and answer.answer == extractive(assistant, PRIZE).answer


def test_a_hanging_model_does_not_pile_up_calls_under_load(
    make_assistant: Callable[..., Assistant], llm: StandinLLM
) -> None:
    """Twelve questions at once against a hanging model: every one is answered (extractively)
    by its deadline, and the calls that never got one of the pool's four threads are dropped,
    not sent once the hanging calls time out."""
    client_timeout_s = 1.0
    assistant = make_assistant(llm.base_url, timeout_s=client_timeout_s)
    llm.reply = "Melhus kommune [1]."
    llm.delay_s = 600.0
    deadline_s = 0.5

    def timed() -> tuple[float, Answer]:
        started = time.perf_counter()
        answer = assistant.ask(PRIZE, deadline_s=deadline_s)
        return time.perf_counter() - started, answer

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda _: timed(), range(12)))
    expected = extractive(assistant, PRIZE).answer
    assert all(answer.mode == "extractive" and answer.answer == expected for _, answer in results)
    assert max(elapsed for elapsed, _ in results) < deadline_s + 0.3
    time.sleep(client_timeout_s + 0.5)  # the hanging calls gave up: anything queued would run now
    assert len(llm.requests) <= 4, "only the calls that were running reached the model"


def test_without_a_deadline_a_slow_model_is_waited_for(
    assistant: Assistant, llm: StandinLLM
) -> None:
    llm.reply = lambda r: f"Melhus kommune fikk prisen [{r.passage_with(WINNER)}]."
    llm.delay_s = 0.5
    answer = assistant.ask(PRIZE)
    assert answer.mode == "generative" and answer.answer == "Melhus kommune fikk prisen [1]."
