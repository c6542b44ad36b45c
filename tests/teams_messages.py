"""Messages as Teams' outgoing webhook posts them, for the Teams tests: the channel message
(Microsoft's documented sample, with a Norwegian team), signed the way Teams signs it
(HMAC-SHA256 over the body bytes, keyed with the base64-decoded security token,
`Authorization: HMAC <base64>`), posted to /api/teams; and the reply card read back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from lhl.harness import LiveServer

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
