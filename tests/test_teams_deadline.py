"""Teams waits only a few seconds for a reply: a slow or hanging chat model, or an answer that
is not even ready, still gets a card inside the deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_fixtures import LiveServer, serve_app, serve_index
from standin_llm import StandinLLM
from teams_messages import (
    PRIZE,
    PUBLIC_URL,
    TOKEN_DEFAULT,
    WINNER,
    ask_teams,
    body_for,
    card_of,
    signature,
    texts,
)

from api import cards
from api.app import create_app
from assistant.service import Assistant
from lhl.records import Answer
from lhl.settings import Settings


@pytest.fixture(scope="module")
def llm() -> Iterator[StandinLLM]:
    """One stand-in for the module: `generative_server` is started once, told its URL."""
    with StandinLLM() as server:
        yield server


@pytest.fixture(scope="module")
def generative_server(
    hash_index: Settings, llm: StandinLLM, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The answer mode set to a chat model (the stand-in) through LHL_LLM_BASE_URL/LHL_LLM_MODEL,
    with the default Teams deadline."""
    tmp = tmp_path_factory.mktemp("teams-generative")
    env = {"LHL_LLM_BASE_URL": llm.base_url, "LHL_LLM_MODEL": llm.model}
    yield from serve_index(hash_index, tmp, env, teams_tokens=TOKEN_DEFAULT, public_url=PUBLIC_URL)


# -- the deadline -----------------------------------------------------------------------------
@pytest.mark.parametrize("delay_s", [10.0, 600.0], ids=["slow-model", "hanging-model"])
def test_a_slow_answer_mode_still_replies_inside_the_deadline(
    generative_server: LiveServer, llm: StandinLLM, delay_s: float
) -> None:
    llm.reply = lambda r: f"Melhus kommune fikk prisen [{r.passage_with(WINNER)}]."
    llm.delay_s = delay_s
    asked = len(llm.requests)
    deadline_s = generative_server.settings.teams_deadline_s
    started = time.perf_counter()
    reply = ask_teams(generative_server, PRIZE)
    elapsed = time.perf_counter() - started

    assert deadline_s == 3.0
    assert elapsed < deadline_s, f"{elapsed:.2f} s"
    assert len(llm.requests) == asked + 1, "the model was asked"
    card = card_of(reply)
    assert WINNER in reply["text"]
    assert cards.EXTRACTIVE_NOTE in texts(card) and cards.GENERATIVE_NOTE not in texts(card)


def test_a_model_in_time_gives_a_generative_card(
    generative_server: LiveServer, llm: StandinLLM
) -> None:
    llm.reply = lambda r: f"Prisen for 2022 gikk til Melhus kommune [{r.passage_with(WINNER)}]."
    llm.delay_s = 0.0
    card = card_of(ask_teams(generative_server, PRIZE))
    assert "Prisen for 2022 gikk til Melhus kommune [1]." in texts(card)
    assert cards.GENERATIVE_NOTE in texts(card)


def test_when_not_even_the_extractive_answer_is_ready_teams_still_gets_a_reply_in_time(
    hash_index: Settings, tmp_path: Path
) -> None:
    release = threading.Event()

    class StuckAssistant(Assistant):
        """Answering hangs (a stuck index, a starved machine): a fake at our own seam."""

        def ask(self, *args: Any, **kwargs: Any) -> Answer:
            release.wait(60)
            return super().ask(*args, **kwargs)

    settings = hash_index.model_copy(
        update={
            "teams_tokens": TOKEN_DEFAULT,
            "public_url": PUBLIC_URL,
            "teams_deadline_s": 1.0,
            "feedback_db": tmp_path / "feedback.sqlite3",
        }
    )
    body = body_for(PRIZE)
    headers = {"Authorization": signature(body, TOKEN_DEFAULT)}
    with serve_app(create_app(settings, assistant_factory=StuckAssistant)) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            for _ in range(600):
                if client.get("/readyz").status_code == 200:
                    break
                time.sleep(0.05)
            started = time.perf_counter()
            response = client.post("/api/teams", content=body, headers=headers)
            elapsed = time.perf_counter() - started
            release.set()
    assert response.status_code == 200
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    reply = response.json()
    assert cards.LATE_TEXT in reply["text"]
    assert [a["url"] for a in card_of(reply)["actions"]] == [
        cards.Links(PUBLIC_URL).question(PRIZE)
    ]
