"""The Teams outgoing webhook over real HTTP: `lhl serve` on loopback, messages shaped like
the ones Teams posts, signed the way Teams signs them (HMAC-SHA256 over the body bytes, keyed
with the base64-decoded security token, `Authorization: HMAC <base64>`).

The reply card is checked by Microsoft's own Adaptive Cards library (tests/js, run in Node)
and kept in review as a snapshot (tests/snapshots/teams_card.json; refresh with
LHL_UPDATE_SNAPSHOTS=1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from server_fixtures import LiveServer, run_server, serve_app
from standin_llm import StandinLLM

from api import cards
from api.app import create_app
from api.teams import (
    TeamsKeys,
    TeamsNotConfigured,
    question_from,
    replay_problem,
    sign,
    signature_problem,
    teams_keys,
)
from assistant.service import Assistant
from lhl import messages
from lhl.records import Answer
from lhl.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = Path(__file__).parent / "snapshots" / "teams_card.json"
VALIDATOR = Path(__file__).parent / "js" / "validate_card.js"

PUBLIC_URL = "https://lhl.example.no"
BOT = "Leve hele livet"
PRIZE = "Hvilken kommune fikk Leve hele livet-prisen for 2022?"
WINNER = "Melhus"
UNANSWERABLE = "Hvor mange elefanter bor i Kristiansand dyrepark?"


def token(seed: str) -> str:
    """A security token as Teams shows it: 32 random-looking bytes, base64."""
    return base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


TOKEN_ALFA, TOKEN_BETA, TOKEN_DEFAULT = token("alfa"), token("beta"), token("standard")
TOKENS = f"alfa={TOKEN_ALFA},beta={TOKEN_BETA},{TOKEN_DEFAULT}"
UNAUTHORIZED = {
    "error": {"code": "ikke_autorisert", "message": "Forespørselen er ikke autorisert."}
}


def teams_message(text: str, sent: datetime | None = None) -> dict[str, Any]:
    """A channel message as Teams' outgoing webhook posts it (Microsoft's documented sample
    request, with a Norwegian team): `text` carries the <at> mention markup; `timestamp` is
    when it was sent (now, unless `sent` says otherwise)."""
    sent = sent or datetime.now(UTC)
    return {
        "type": "message",
        "id": "1485983408511",
        "timestamp": sent.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "localTimestamp": sent.astimezone(timezone(timedelta(hours=1))).isoformat(
            timespec="milliseconds"
        ),
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "channelId": "msteams",
        "from": {
            "id": "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkHilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw",
            "name": "Kari Nordmann",
            "aadObjectId": "6b1f0c4e-2a7d-4e9b-8c3f-5d2a1e0b9c7d",
        },
        "conversation": {
            "isGroup": True,
            "id": "19:253b1f341670408fb6fe51050b6e5ceb@thread.skype;messageid=1485983408511",
            "conversationType": "channel",
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        },
        "recipient": None,
        "textFormat": "plain",
        "locale": "nb-NO",
        "text": text,
        "attachments": [
            {
                "contentType": "text/html",
                "content": f'<div><span itemscope="" itemtype="http://schema.skype.com/Mention" itemid="0">{BOT}</span> {text}</div>',
            }
        ],
        "entities": [
            {
                "type": "mention",
                "mentioned": {"id": "28:c9e8c047-2a74-40a2-b28a-b162d5f5327c", "name": BOT},
                "text": f"<at>{BOT}</at>",
            },
            {"type": "clientInfo", "locale": "nb-NO", "country": "NO", "platform": "Web"},
        ],
        "channelData": {
            "teamsChannelId": "19:253b1f341670408fb6fe51050b6e5ceb@thread.skype",
            "teamsTeamId": "19:712c61d0ef384e5fa681ba90ca943398@thread.skype",
            "channel": {"id": "19:253b1f341670408fb6fe51050b6e5ceb@thread.skype"},
            "team": {"id": "19:712c61d0ef384e5fa681ba90ca943398@thread.skype"},
            "tenant": {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
        },
    }


def body_for(question: str, sent: datetime | None = None) -> bytes:
    # Non-ASCII letters are sent as UTF-8 bytes, which is what gets signed.
    message = teams_message(f"<at>{BOT}</at> {question}", sent)
    return json.dumps(message, ensure_ascii=False).encode()


def signature(body: bytes, token_b64: str) -> str:
    """Signed as in Microsoft's samples: HMACSHA256(base64-decoded token, body) → base64."""
    digest = hmac.new(base64.b64decode(token_b64), body, hashlib.sha256).digest()
    return "HMAC " + base64.b64encode(digest).decode()


def post(
    server: LiveServer | str,
    body: bytes,
    authorization: str | None,
    team: str | None = None,
    **headers: str,
) -> httpx.Response:
    hdrs = {"Content-Type": "application/json", **headers}
    if authorization is not None:
        hdrs["Authorization"] = authorization
    params = {"team": team} if team else None
    url = server if isinstance(server, str) else server.url
    return httpx.post(url + "/api/teams", content=body, headers=hdrs, params=params, timeout=30)


def ask_teams(server: LiveServer, question: str, team: str | None = None) -> dict[str, Any]:
    body = body_for(question)
    tok = {"alfa": TOKEN_ALFA, "beta": TOKEN_BETA, None: TOKEN_DEFAULT}[team]
    response = post(server, body, signature(body, tok), team)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def card_of(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["type"] == "message"
    [attachment] = reply["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]  # type: ignore[no-any-return]


def texts(card: dict[str, Any]) -> list[str]:
    """Every TextBlock's text, in reading order."""
    out: list[str] = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if item["type"] == "TextBlock":
                out.append(item["text"])
            walk(item.get("items", []))

    walk(card["body"])
    return out


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action of the card, including the select actions of its containers."""
    found = list(card.get("actions", []))
    for item in card["body"]:
        if "selectAction" in item:
            found.append(item["selectAction"])
    return found


# -- servers ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def teams_server(
    hash_index: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Two named teams and one default token; extractive answers."""
    tmp = tmp_path_factory.mktemp("teams-server")
    settings = hash_index.model_copy(
        update={
            "teams_tokens": TOKENS,
            "public_url": PUBLIC_URL,
            "feedback_db": tmp / "feedback.sqlite3",
            "rate_limit_per_minute": 0,
        }
    )
    with run_server(settings, tmp) as server:
        yield server


@pytest.fixture(scope="module")
def llm() -> Iterator[StandinLLM]:
    with StandinLLM() as server:
        yield server


@pytest.fixture(scope="module")
def generative_server(
    hash_index: Settings, llm: StandinLLM, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The answer mode set to a chat model (the stand-in) through LHL_LLM_BASE_URL/LHL_LLM_MODEL,
    with the default Teams deadline."""
    tmp = tmp_path_factory.mktemp("teams-generative")
    settings = hash_index.model_copy(
        update={
            "teams_tokens": TOKEN_DEFAULT,
            "public_url": PUBLIC_URL,
            "feedback_db": tmp / "feedback.sqlite3",
            "rate_limit_per_minute": 0,
        }
    )
    env = {"LHL_LLM_BASE_URL": llm.base_url, "LHL_LLM_MODEL": llm.model}
    with run_server(settings, tmp, env=env) as server:
        yield server


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


# -- tokens and signatures --------------------------------------------------------------------
def test_tokens_name_teams_and_a_bare_token_serves_requests_without_a_team() -> None:
    keys = TeamsKeys.parse(f" alfa={TOKEN_ALFA} , beta={TOKEN_BETA},{TOKEN_DEFAULT}")
    assert keys.key_for("alfa") == base64.b64decode(TOKEN_ALFA)
    assert keys.key_for("beta") == base64.b64decode(TOKEN_BETA)
    assert keys.key_for(None) == base64.b64decode(TOKEN_DEFAULT)  # its "=" is padding, not a name
    assert keys.key_for("gamma") is None
    assert TeamsKeys.parse(f"alfa={TOKEN_ALFA}").key_for(None) is None
    assert TOKEN_ALFA not in repr(keys) and "alfa" in repr(keys)


@pytest.mark.parametrize(
    "spec",
    [
        f"alfa={TOKEN_ALFA},alfa={TOKEN_BETA}",
        f"{TOKEN_ALFA},{TOKEN_BETA}",
        "alfa=ikke base64!",
        "alfa=c2hvcnQ=",
        "æ=" + TOKEN_ALFA,
    ],
    ids=["duplicate-team", "two-defaults", "not-base64", "too-short", "bad-name"],
)
def test_bad_token_settings_are_refused_without_echoing_the_token(spec: str) -> None:
    with pytest.raises(ValueError) as err:
        TeamsKeys.parse(spec)
    assert "LHL_TEAMS_TOKENS" in str(err.value)
    assert TOKEN_ALFA not in str(err.value) and TOKEN_BETA not in str(err.value)


def test_tokens_can_come_from_a_secrets_file_that_is_reread_when_it_changes(
    hash_index: Settings, tmp_path: Path
) -> None:
    secrets = tmp_path / "teams-tokens"
    secrets.write_text(f"# ett team per linje\nalfa={TOKEN_ALFA}\n", encoding="utf-8")
    settings = hash_index.model_copy(
        update={"teams_tokens": f"beta={TOKEN_BETA}", "teams_tokens_file": secrets}
    )
    keys = teams_keys(settings)
    assert keys.key_for("alfa") == base64.b64decode(TOKEN_ALFA)
    assert keys.key_for("beta") == base64.b64decode(TOKEN_BETA)

    secrets.write_text(f"alfa={TOKEN_DEFAULT}\n", encoding="utf-8")  # a new token from Teams
    os.utime(secrets, (time.time() + 5, time.time() + 5))
    assert teams_keys(settings).key_for("alfa") == base64.b64decode(TOKEN_DEFAULT)

    secrets.unlink()
    with pytest.raises(TeamsNotConfigured):
        teams_keys(settings)
    with pytest.raises(TeamsNotConfigured):
        teams_keys(settings.model_copy(update={"teams_tokens": None, "teams_tokens_file": None}))


def test_our_signature_is_the_one_microsofts_samples_compute() -> None:
    body = body_for(PRIZE)
    key = base64.b64decode(TOKEN_ALFA)
    assert sign(body, key) == signature(body, TOKEN_ALFA)
    assert signature_problem(body, signature(body, TOKEN_ALFA), key) is None
    assert signature_problem(body + b" ", signature(body, TOKEN_ALFA), key) == "signature mismatch"


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


# -- over HTTP: who may ask -------------------------------------------------------------------
def test_each_team_is_accepted_with_its_own_token(teams_server: LiveServer) -> None:
    body = body_for(PRIZE)
    for team, tok in [("alfa", TOKEN_ALFA), ("beta", TOKEN_BETA), (None, TOKEN_DEFAULT)]:
        response = post(teams_server, body, signature(body, tok), team)
        assert response.status_code == 200, (team, response.text)
        assert WINNER in response.json()["text"]
    for team, tok in [
        ("alfa", TOKEN_BETA),
        ("beta", TOKEN_ALFA),
        (None, TOKEN_ALFA),
        ("alfa", TOKEN_DEFAULT),
    ]:
        assert post(teams_server, body, signature(body, tok), team).status_code == 401, (team, tok)


def _rejections() -> list[tuple[str, bytes, str | None, str | None]]:
    body = body_for(PRIZE)
    good = signature(body, TOKEN_ALFA)
    digest = good.split(" ", 1)[1]
    return [
        ("wrong-token", body, signature(body, token("noen andre")), "alfa"),
        ("tampered-body", body.replace(b"2022", b"2021"), good, "alfa"),
        ("missing-header", body, None, "alfa"),
        ("empty-header", body, "", "alfa"),
        ("wrong-scheme", body, f"Bearer {digest}", "alfa"),
        ("scheme-only", body, "HMAC", "alfa"),
        ("base64-garbage", body, "HMAC !!!ikke*base64???", "alfa"),
        ("truncated", body, good[:-8], "alfa"),
        (
            "hex-instead",
            body,
            "HMAC " + hmac.new(base64.b64decode(TOKEN_ALFA), body, "sha256").hexdigest(),
            "alfa",
        ),
        ("unknown-team", body, good, "gamma"),
        ("named-token-without-team", body, good, None),
    ]


@pytest.mark.parametrize(
    ("body", "authorization", "team"),
    [case[1:] for case in _rejections()],
    ids=[case[0] for case in _rejections()],
)
def test_a_request_that_is_not_signed_right_is_refused_with_nothing_answered(
    teams_server: LiveServer, body: bytes, authorization: str | None, team: str | None
) -> None:
    response = post(teams_server, body, authorization, team)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED, "the same body whatever was wrong"
    assert WINNER not in response.text and "attachments" not in response.text


def test_an_unsigned_body_is_not_parsed(teams_server: LiveServer) -> None:
    assert post(teams_server, b"{ikke json", None).status_code == 401
    garbage = b"{ikke json"
    response = post(teams_server, garbage, signature(garbage, TOKEN_DEFAULT))
    assert response.status_code == 400, "only a signed body is read as JSON"


def test_an_oversized_body_is_refused(teams_server: LiveServer) -> None:
    limit = teams_server.settings.teams_max_body_bytes
    message = teams_message(f"<at>{BOT}</at> {PRIZE}")
    message["padding"] = "x" * limit
    body = json.dumps(message).encode()
    response = post(teams_server, body, signature(body, TOKEN_DEFAULT))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "for_stor" and WINNER not in response.text

    def chunked() -> Iterator[bytes]:  # no Content-Length: the cap counts what arrives
        for i in range(0, len(body), 4096):
            yield body[i : i + 4096]

    response = httpx.post(
        teams_server.url + "/api/teams",
        content=chunked(),
        headers={
            "Authorization": signature(body, TOKEN_DEFAULT),
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    assert response.status_code == 413


def test_a_body_at_the_limit_is_read(teams_server: LiveServer) -> None:
    limit = teams_server.settings.teams_max_body_bytes
    message = teams_message(f"<at>{BOT}</at> {PRIZE}")
    message["padding"] = ""
    message["padding"] = "x" * (limit - len(json.dumps(message).encode()))
    body = json.dumps(message).encode()
    assert len(body) == limit
    response = post(teams_server, body, signature(body, TOKEN_DEFAULT))
    assert response.status_code == 200 and WINNER in response.json()["text"]


def test_tokens_never_reach_the_log(teams_server: LiveServer) -> None:
    body = body_for(PRIZE)
    post(teams_server, body, signature(body, token("feil")), "alfa")
    log = teams_server.log()
    for tok in (TOKEN_ALFA, TOKEN_BETA, TOKEN_DEFAULT):
        assert tok not in log and tok.rstrip("=") not in log


def test_the_operator_script_sends_a_signed_message(teams_server: LiveServer) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "teams_send.py"),
            PRIZE,
            "--url",
            teams_server.url,
            "--team",
            "beta",
            "--token",
            TOKEN_BETA,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LHL_TEAMS_TOKENS": ""},
    )
    assert result.returncode == 0, result.stderr
    assert WINNER in result.stdout and "HTTP 200" in result.stderr
    assert TOKEN_BETA not in result.stdout + result.stderr

    wrong = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "teams_send.py"),
            PRIZE,
            "--url",
            teams_server.url,
            "--team",
            "alfa",
            "--token",
            TOKEN_BETA,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 1 and "HTTP 401" in wrong.stderr


def test_the_load_script_runs_against_the_service(teams_server: LiveServer) -> None:
    """A second of light load: the script signs, counts and reports (the real run is 20 × 30 s)."""
    command = [sys.executable, str(ROOT / "scripts" / "bench_teams.py"), "--url", teams_server.url]
    command += ["--token", TOKEN_DEFAULT, "--concurrency", "2", "--duration", "1", "--warmup", "0"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "p99" in result.stdout and "feil: 0" in result.stdout


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


# -- the card, checked by Microsoft's library -------------------------------------------------
def validate_with_adaptivecards(payload: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (needed for Microsoft's adaptivecards library)")
    if not (VALIDATOR.parent / "node_modules" / "adaptivecards").is_dir():
        pytest.fail("adaptivecards is not installed: run `make browser-deps` (npm ci in tests/js)")
    result = subprocess.run(
        [node, str(VALIDATOR)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=VALIDATOR.parent,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    assert (result.returncode == 0) == report["ok"], result.stderr
    return report


def test_every_reply_card_is_valid_for_microsofts_adaptive_cards_library(
    teams_server: LiveServer, hash_index: Settings
) -> None:
    links = cards.Links(PUBLIC_URL)
    replies = {
        "answer": ask_teams(teams_server, PRIZE),
        "not-found": ask_teams(teams_server, UNANSWERABLE),
        "usage": ask_teams(teams_server, "hjelp"),
        "too-long": ask_teams(teams_server, "Hvorfor " * 400),
        "late": cards.late_message(PRIZE, links),
        "generative": cards.answer_message(_generative_answer(hash_index), links),
    }
    for name, reply in replies.items():
        report = validate_with_adaptivecards(reply)
        assert report["ok"], (name, report["problems"])
        assert report["cards"][0]["version"] == "1.4"
        assert report["cards"][0]["actions"] >= 1


def _generative_answer(settings: Settings) -> Answer:
    """A generative answer citing four passages, with pages (the most a card shows)."""
    assistant = Assistant(settings)
    assistant.load()
    citations = [replace(c, page=c.n + 10) for c in assistant.search(PRIZE, k=4)]
    return Answer(
        question=PRIZE,
        answer="Melhus kommune [1][2]. Juryen [3] la vekt på planene [4].",
        found=True,
        citations=citations,
        mode="generative",
    )


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"version": "1.5"}, "newer than 1.4"),
        ({"actions": [{"type": "Action.Submit", "title": "Send"}]}, "Action.Submit"),
        ({"body": [{"type": "TextBlock", "text": "x", "size": "Enorm"}]}, "size"),
        ({"body": [{"type": "Karusell"}]}, "Karusell"),
    ],
    ids=["version", "submit-action", "bad-value", "unknown-element"],
)
def test_the_validator_catches_what_teams_would_not_show(bad: dict[str, Any], problem: str) -> None:
    reply = cards.usage_message(cards.Links(PUBLIC_URL))
    reply["attachments"][0]["content"].update(bad)
    report = validate_with_adaptivecards(reply)
    assert not report["ok"]
    assert any(problem in p for p in report["problems"]), report["problems"]


def strip_volatile(value: Any) -> Any:
    """Drop what changes from run to run (timings, ids), keep the card as Teams gets it."""
    if isinstance(value, dict):
        return {
            k: strip_volatile(v) for k, v in value.items() if k not in {"timings_ms", "answer_id"}
        }
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


def test_the_answer_card_matches_the_snapshot(teams_server: LiveServer) -> None:
    reply = strip_volatile(ask_teams(teams_server, PRIZE))
    rendered = json.dumps(reply, ensure_ascii=False, indent=2) + "\n"
    if os.environ.get("LHL_UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    assert rendered == SNAPSHOT.read_text(encoding="utf-8"), (
        "the Teams card changed: review the diff, then refresh with LHL_UPDATE_SNAPSHOTS=1"
    )


# -- replays and what reaches the log ---------------------------------------------------------
def test_a_message_outside_the_replay_window_is_refused(teams_server: LiveServer) -> None:
    """A captured signed request sent again later is refused (401, the usual body), and so is
    one stamped far in the future; a fresh one is answered."""
    window = teams_server.settings.teams_max_age_s
    assert window == 300  # the default
    now = datetime.now(UTC)
    for sent in (now - timedelta(seconds=window + 30), now + timedelta(seconds=window + 30)):
        body = body_for(PRIZE, sent)
        response = post(teams_server, body, signature(body, TOKEN_ALFA), "alfa")
        assert response.status_code == 401 and response.json() == UNAUTHORIZED
    assert "refused as a replay" in teams_server.log()
    body = body_for(PRIZE, now - timedelta(seconds=window - 60))
    response = post(teams_server, body, signature(body, TOKEN_ALFA), "alfa")
    assert response.status_code == 200 and WINNER in " ".join(texts(card_of(response.json())))


def test_the_replay_window_is_a_setting_and_zero_turns_it_off() -> None:
    old = {"timestamp": "2024-03-19T09:10:07.437Z", "text": "x"}
    now = datetime(2024, 3, 19, 9, 12, 7, tzinfo=UTC).timestamp()  # two minutes later
    assert replay_problem(old, 300, now) is None
    assert replay_problem(old, 60, now) is not None
    assert replay_problem(old, 0, now) is None
    assert replay_problem({"text": "x"}, 300, now) == "no timestamp"
    assert replay_problem({"timestamp": "i går", "text": "x"}, 300, now) is not None
    assert Settings(_env_file=None, teams_max_age_s=30).teams_max_age_s == 30  # type: ignore[call-arg]


def test_tokens_and_question_text_stay_out_of_the_info_log(
    hash_index: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Everything the service logs at info level while answering, refusing, rejecting a bad
    signature and a replay: no token, and no word of the questions asked."""
    settings = hash_index.model_copy(
        update={
            "teams_tokens": TOKENS,
            "public_url": PUBLIC_URL,
            "feedback_db": tmp_path / "feedback.sqlite3",
        }
    )
    secret_words = ("Hvilken kommune fikk Leve hele livet-prisen", "elefanter", "Kristiansand")
    caplog.set_level(logging.INFO)
    with serve_app(create_app(settings)) as url:
        deadline = time.monotonic() + 120
        while httpx.get(url + "/readyz", timeout=5).status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        for question in (PRIZE, UNANSWERABLE):
            body = body_for(question)
            assert post(url, body, signature(body, TOKEN_ALFA), "alfa").status_code == 200
        body = body_for(UNANSWERABLE)
        assert post(url, body, signature(body, token("feil")), "beta").status_code == 401
        stale = body_for(PRIZE, datetime.now(UTC) - timedelta(hours=1))
        assert post(url, stale, signature(stale, TOKEN_ALFA), "alfa").status_code == 401
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "refused as a replay" in logged and "rejected" in logged  # the log did see them
    for tok in (TOKEN_ALFA, TOKEN_BETA, TOKEN_DEFAULT):
        assert tok not in logged and tok.rstrip("=") not in logged
    for words in secret_words:
        assert words not in logged
