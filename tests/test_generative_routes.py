"""An invented figure reaches the user through no route: /api/ask, the stream, Teams, `lhl ask`.

A real `lhl serve` (and a real `lhl ask`) with the stand-in model on loopback; the stream is
read as server-sent events over HTTP.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from server_fixtures import ROOT, LiveServer, run_server, serve_index, settings_env
from standin_llm import StandinLLM, closed_port
from teams_messages import PUBLIC_URL, TOKEN_DEFAULT, body_for, card_of, signature, texts

from lhl.settings import Settings

PRIZE = "Hvilken kommune fikk Leve hele livet-prisen for 2022?"
WINNER = "Melhus"
GOOD = "Leve hele livet-prisen for 2022 gikk til Melhus kommune [{n}]."
INVENTED = "Prisen gikk til Bømlo kommune, som fikk 4711 kroner [{n}]."


def says(template: str) -> Any:
    return lambda r: template.format(n=r.passage_with(WINNER))


@pytest.fixture(scope="module")
def llm() -> Iterator[StandinLLM]:
    """One stand-in for the module: `server` is started once, told its URL."""
    with StandinLLM() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_llm(llm: StandinLLM) -> None:
    llm.reply, llm.delay_s, llm.failures, llm.cut_streams = "IKKE_FUNNET", 0.0, [], False


@pytest.fixture(scope="module")
def server(
    hash_index: Settings, llm: StandinLLM, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("generative-routes")
    env = {"LHL_LLM_BASE_URL": llm.base_url, "LHL_LLM_MODEL": llm.model, "LHL_LLM_BUDGET_S": "2"}
    yield from serve_index(hash_index, tmp, env, teams_tokens=TOKEN_DEFAULT, public_url=PUBLIC_URL)


def ask(server: LiveServer, question: str = PRIZE) -> dict[str, Any]:
    response = httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def stream(server: LiveServer, question: str = PRIZE) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    with httpx.stream(
        "POST", f"{server.url}/api/ask/stream", json={"question": question}, timeout=30
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
    return events


def grounding_count(server: LiveServer, verdict: str) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(f'lhl_grounding_total{{verdict="{verdict}"}}'):
            return float(line.split()[-1])
    raise AssertionError(f"no lhl_grounding_total for {verdict}")


def test_api_ask_never_shows_an_invented_figure(server: LiveServer, llm: StandinLLM) -> None:
    before = grounding_count(server, "rejected")
    llm.reply = says(INVENTED)
    answer = ask(server)
    assert "4711" not in answer["answer"] and answer["mode"] == "extractive"
    assert answer["grounding"]["verdict"] == "rejected" and answer["grounding"]["fallback"]
    assert grounding_count(server, "rejected") == before + 1


def test_api_ask_passes_a_grounded_answer(server: LiveServer, llm: StandinLLM) -> None:
    before = grounding_count(server, "grounded")
    llm.reply = says(GOOD)
    answer = ask(server)
    assert answer["mode"] == "generative" and answer["answer"] == GOOD.format(n=1)
    assert answer["grounding"]["verdict"] == "grounded"
    assert grounding_count(server, "grounded") == before + 1


def test_a_model_server_that_is_down_is_no_500(
    hash_index: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("model-down")
    settings = hash_index.model_copy(
        update={"feedback_db": tmp / "feedback.sqlite3", "rate_limit_per_minute": 0}
    )
    env = {
        "LHL_LLM_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1",
        "LHL_LLM_MODEL": "nede",
        "LHL_LLM_BUDGET_S": "1",
    }
    with run_server(settings, tmp, env=env) as down:
        answer = ask(down)
        assert answer["found"] and answer["grounding"]["verdict"] == "unavailable"
        [*_, (name, final)] = stream(down)
        assert name == "final" and final["grounding"]["verdict"] == "unavailable"


def test_the_stream_sends_checked_sentences_then_the_final_answer(
    server: LiveServer, llm: StandinLLM
) -> None:
    llm.reply = says(GOOD + " Prisen ble delt ut i 2022 [{n}].")
    events = stream(server)
    names = [name for name, _ in events]
    assert names == ["delta", "delta", "final"]
    final = events[-1][1]
    assert final["mode"] == "generative" and final["grounding"]["verdict"] == "grounded"
    assert "".join(d["text"] for _, d in events[:-1]).strip() == final["answer"]
    assert final["citations"] and final["citations"][0]["n"] == 1


def test_the_stream_never_sends_an_invented_figure(server: LiveServer, llm: StandinLLM) -> None:
    llm.reply = says(INVENTED)
    events = stream(server)
    assert "4711" not in json.dumps(events, ensure_ascii=False)
    name, final = events[-1]
    assert name == "final" and final["mode"] == "extractive"
    assert final["grounding"]["verdict"] == "rejected"


def test_a_cut_stream_is_replaced_by_the_fallback(server: LiveServer, llm: StandinLLM) -> None:
    llm.reply = says(GOOD + " Prisen ble delt ut i 2022 [{n}]. " + GOOD)
    llm.cut_streams = True
    name, final = stream(server)[-1]
    assert name == "final" and final["mode"] == "extractive"
    assert final["grounding"]["verdict"] == "unavailable"


def test_a_bad_question_is_refused_before_the_stream(server: LiveServer) -> None:
    response = httpx.post(f"{server.url}/api/ask/stream", json={"question": " "}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_teams_never_shows_an_invented_figure(server: LiveServer, llm: StandinLLM) -> None:
    llm.reply = says(INVENTED)
    body = body_for(PRIZE)
    response = httpx.post(
        f"{server.url}/api/teams",
        content=body,
        headers={
            "Authorization": signature(body, TOKEN_DEFAULT),
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    assert response.status_code == 200
    reply = response.json()
    assert "4711" not in json.dumps(reply, ensure_ascii=False)
    assert WINNER in " ".join(texts(card_of(reply)))


def test_lhl_ask_never_prints_an_invented_figure(
    server: LiveServer, llm: StandinLLM, hash_index: Settings
) -> None:
    llm.reply = says(INVENTED)
    env = settings_env(
        hash_index,
        {"PYTHONPATH": str(ROOT), "LHL_LLM_BASE_URL": llm.base_url, "LHL_LLM_MODEL": llm.model},
    )
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "ask", PRIZE, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer = json.loads(result.stdout)
    assert "4711" not in answer["answer"]
    assert answer["grounding"]["verdict"] == "rejected"
