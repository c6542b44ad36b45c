"""The Teams outgoing webhook over real HTTP: a signed question gets a card with the answer,
its sources and links back to the web chat; a refusal, the usage card, a too-long question; and
the operator's scripts (send one signed message, a short load). The service is `lhl serve` on loopback with Teams tokens (fixture `teams_server`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from server_fixtures import LiveServer
from teams_messages import (
    BOT,
    PRIZE,
    PUBLIC_URL,
    TOKEN_BETA,
    TOKEN_DEFAULT,
    UNANSWERABLE,
    WINNER,
    actions,
    ask_teams,
    card_of,
    texts,
)

from api import cards
from api.teams import question_from
from lhl import messages

ROOT = Path(__file__).resolve().parent.parent


# -- the question in a message ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "question"),
    [
        (f"<at>{BOT}</at> {PRIZE}", PRIZE),
        (f"<at>{BOT}</at>&nbsp;Hva er «Leve hele livet»&nbsp;?", "Hva er «Leve hele livet» ?"),
        ("<at>LHL</at> Hva betyr R&amp;D og &lt;b&gt;?", "Hva betyr R&D og <b>?"),
        (
            "<p><at>LHL</at> Hva sa <at>Ola Hansen</at> om\nmåltider?</p>",
            "Hva sa Ola Hansen om måltider?",
        ),
        ("Hva er reformens mål? <at>LHL</at>", "Hva er reformens mål?"),
        ("<at>LHL</at>", ""),
        ("<at>LHL</at>&nbsp;", ""),
    ],
    ids=["plain", "nbsp", "entities", "inner-mention", "trailing-mention", "empty", "empty-nbsp"],
)
def test_the_question_is_the_text_without_mention_markup_and_entities(
    text: str, question: str
) -> None:
    assert question_from(text).text == question


def test_the_bot_name_comes_from_the_mention() -> None:
    assert question_from("<at>Reformassistenten</at> hjelp").bot_name == "Reformassistenten"


# -- over HTTP: the answer --------------------------------------------------------------------
def test_a_signed_question_gets_a_card_with_the_answer_and_its_sources(
    teams_server: LiveServer,
) -> None:
    reply = ask_teams(teams_server, PRIZE)
    card = card_of(reply)
    with teams_server.client() as client:
        expected = client.post("/api/ask", json={"question": PRIZE}).json()

    assert expected["found"] and WINNER in expected["answer"]
    blocks = texts(card)
    assert expected["answer"] in blocks, "the card shows the assistant's answer"
    assert expected["answer"] in reply["text"] and expected["answer"] in card["fallbackText"]
    assert reply["summary"] and reply["text"].startswith(reply["summary"].removesuffix(" …"))
    # Every source: numbered, with its title, and a link that opens that passage in the web chat.
    for c in expected["citations"]:
        assert any(t.startswith(f"[{c['n']}] {c['title']}") for t in blocks)
        link = f"{PUBLIC_URL}/?passage={c['chunk_id']}"
        assert link in [a["url"] for a in actions(card)]
        assert link in reply["text"]
    assert all(a["type"] == "Action.OpenUrl" for a in actions(card))
    # The question link reopens the same question in the web chat.
    [chat] = [a for a in card["actions"] if a["title"] == cards.OPEN_CHAT]
    assert chat["url"].startswith(PUBLIC_URL + "/?")
    assert parse_qs(urlsplit(chat["url"]).query) == {"q": [PRIZE]}


def test_the_passage_link_opens_the_cited_passage(teams_server: LiveServer) -> None:
    card = card_of(ask_teams(teams_server, PRIZE))
    first = next(a["url"] for a in card["actions"] if a["title"].startswith("Vis kilde"))
    chunk_id = parse_qs(urlsplit(first).query)["passage"][0]
    with teams_server.client() as client:
        passage = client.get(f"/api/passage/{chunk_id}")
    assert passage.status_code == 200
    assert WINNER in passage.json()["text"]


def test_mention_markup_and_entities_do_not_reach_the_question(teams_server: LiveServer) -> None:
    reply = ask_teams(teams_server, "Hvilken kommune fikk Leve&nbsp;hele livet-prisen for 2022?")
    assert texts(card_of(reply))[0] == f"{cards.QUESTION_LABEL}: {PRIZE}"
    assert "<at>" not in json.dumps(reply) and "&nbsp;" not in json.dumps(reply)


def test_a_question_the_documents_do_not_answer_gets_the_norwegian_refusal(
    teams_server: LiveServer,
) -> None:
    reply = ask_teams(teams_server, UNANSWERABLE)
    card = card_of(reply)
    assert reply["text"].startswith(messages.NOT_FOUND_NO_PASSAGES)
    assert texts(card)[1].startswith(messages.NOT_FOUND_NO_PASSAGES)
    assert cards.NEAREST in texts(card) and cards.SOURCES not in texts(card)
    assert cards.EXTRACTIVE_NOTE not in texts(card)


@pytest.mark.parametrize("question", ["hjelp", "Hjelp!", "", "&nbsp;"])
def test_hjelp_or_an_empty_mention_gets_the_usage_card(
    teams_server: LiveServer, question: str
) -> None:
    reply = ask_teams(teams_server, question)
    card = card_of(reply)
    assert cards.USAGE_TEXT in texts(card) and cards.USAGE_TEXT in reply["text"]
    assert f"@{BOT} " in " ".join(texts(card)), "the example uses the webhook's own name"
    assert [a["url"] for a in card["actions"]] == [PUBLIC_URL + "/"]


def test_a_too_long_question_is_told_to_the_person_asking(teams_server: LiveServer) -> None:
    reply = ask_teams(teams_server, "Hvorfor " * 400)
    assert "for langt" in reply["text"]
    assert card_of(reply)["version"] == cards.CARD_VERSION


def _send(
    server: LiveServer, team: str, token: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """scripts/teams_send.py with the prize question, as an operator runs it."""
    command = [sys.executable, str(ROOT / "scripts" / "teams_send.py"), PRIZE, "--url", server.url]
    command += ["--team", team, "--token", token]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def test_the_operator_script_sends_a_signed_message(teams_server: LiveServer) -> None:
    result = _send(teams_server, "beta", TOKEN_BETA, env={**os.environ, "LHL_TEAMS_TOKENS": ""})
    assert result.returncode == 0, result.stderr
    assert WINNER in result.stdout and "HTTP 200" in result.stderr
    assert TOKEN_BETA not in result.stdout + result.stderr

    wrong = _send(teams_server, "alfa", TOKEN_BETA)
    assert wrong.returncode == 1 and "HTTP 401" in wrong.stderr


def test_the_load_script_runs_against_the_service(teams_server: LiveServer) -> None:
    """A second of light load: the script signs, counts and reports (the real run is 20 × 30 s)."""
    command = [sys.executable, str(ROOT / "scripts" / "bench_teams.py"), "--url", teams_server.url]
    command += ["--token", TOKEN_DEFAULT, "--concurrency", "2", "--duration", "1", "--warmup", "0"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "p99" in result.stdout and "feil: 0" in result.stdout
