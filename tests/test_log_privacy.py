"""What a person asked, and the secrets that sign and authorise requests, never reach the log
at info level: a real `lhl serve` at LHL_LOG_LEVEL=info is sent asks, searches, streams,
feedback and Teams messages (signed, unsigned, replayed, broken) that carry one distinctive
question, and its whole log is searched for it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from server_fixtures import LiveServer, serve_index

from api.teams import sign
from lhl.settings import Settings

# A name found nowhere in the corpus: the refusal names what it could not find.
NAME = "Zorblattquintessa"
QUESTION = f"Hvem er {NAME} Vandersnoot, og hva mener hun om måltider?"
TOKEN = base64.b64encode(hashlib.sha256(b"log-privacy").digest()).decode()
BEARER = "Bearer hemmelig-9f1c2e7a5b"


@pytest.fixture(scope="module")
def server(hash_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("log-privacy")
    yield from serve_index(hash_index, tmp, teams_tokens=TOKEN, log_level="info")


def _teams_body(text: str, sent: datetime | None = None) -> bytes:
    stamp = (sent or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    message = {"type": "message", "timestamp": stamp, "text": f"<at>Leve hele livet</at> {text}"}
    return json.dumps(message, ensure_ascii=False).encode()


def test_questions_and_secrets_stay_out_of_the_info_log(server: LiveServer) -> None:
    key = base64.b64decode(TOKEN)
    auth = {"Authorization": BEARER}
    signatures = []
    with server.client() as client:
        statuses = [
            client.post("/api/ask", json={"question": QUESTION}, headers=auth).status_code,
            client.post(
                "/api/ask",
                json={
                    "question": "Og hva mer?",
                    "history": [{"role": "user", "content": QUESTION}],
                },
            ).status_code,
            client.post("/api/ask/stream", json={"question": QUESTION}).status_code,
            client.get("/api/search", params={"q": QUESTION}, headers=auth).status_code,
            client.post(
                "/api/feedback", json={"question": QUESTION, "comment": QUESTION, "rating": "down"}
            ).status_code,
        ]
        # Refused: too long (the assistant's 400), a history turn over its limit (422), a
        # half surrogate pair (422).
        refused = [
            client.post("/api/ask", json={"question": QUESTION * 60}).status_code,
            client.post(
                "/api/ask",
                json={"question": "Hva?", "history": [{"role": "user", "content": QUESTION * 400}]},
            ).status_code,
            client.post(
                "/api/ask",
                content=json.dumps({"question": QUESTION})[:-2].encode() + b'\\ud800"}',
                headers={"Content-Type": "application/json"},
            ).status_code,
        ]
        teams = []
        for body, signed in [
            (_teams_body(QUESTION), True),  # answered
            (_teams_body(QUESTION), False),  # unsigned: 401
            (_teams_body(QUESTION, datetime.now(UTC) - timedelta(hours=2)), True),  # replay
            (_teams_body(QUESTION * 60), True),  # too long: told so in a card
        ]:
            headers = {"Content-Type": "application/json"}
            if signed:
                headers["Authorization"] = sign(body, key)
                signatures.append(headers["Authorization"].split()[1])
            else:
                headers["Authorization"] = "HMAC " + base64.b64encode(b"x" * 32).decode()
            teams.append(client.post("/api/teams", content=body, headers=headers).status_code)

    assert statuses == [200, 200, 200, 200, 201]
    assert refused == [400, 422, 422]
    assert teams == [200, 401, 401, 200]

    log = server.log()
    assert "INFO" in log and "Teams answer" in log  # the server did log at info level
    assert "refusing" in log  # ... including the refusal of the question about NAME
    lowered = log.casefold()
    for secret in [NAME, "Vandersnoot", TOKEN, BEARER, BEARER.split()[1], *signatures]:
        assert secret.casefold() not in lowered, f"{secret!r} is in the log:\n{log}"
