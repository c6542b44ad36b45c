"""Who may ask through Teams: tokens per team, signatures as Microsoft computes them, every
badly signed, oversized or replayed request refused with nothing answered, and no token or
question in the log. The service is `lhl serve` on loopback with Teams tokens (fixture `teams_server`).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from server_fixtures import LiveServer, serve_app
from teams_messages import (
    BOT,
    PRIZE,
    PUBLIC_URL,
    TOKEN_ALFA,
    TOKEN_BETA,
    TOKEN_DEFAULT,
    TOKENS,
    UNANSWERABLE,
    UNAUTHORIZED,
    WINNER,
    body_for,
    card_of,
    post,
    signature,
    teams_message,
    texts,
    token,
)

from api.app import create_app
from api.teams import (
    TeamsKeys,
    TeamsNotConfigured,
    replay_problem,
    sign,
    signature_problem,
    teams_keys,
)
from lhl.settings import Settings


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
