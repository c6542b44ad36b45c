"""Send a correctly signed sample Teams message to a running service, and show the reply.

    python scripts/teams_send.py "Hvilken kommune fikk Leve hele livet-prisen for 2022?"
    python scripts/teams_send.py "hjelp" --url https://lhl.example.no --team omsorg

The message has the shape Teams' outgoing webhook posts (type "message", <at> mention,
entities, channelData …) and is signed the way Teams signs it: HMAC-SHA256 over the exact
body bytes, keyed with the base64-decoded security token, sent as `Authorization: HMAC …`.
The token comes from --token, or from the service's own settings (LHL_TEAMS_TOKENS /
LHL_TEAMS_TOKENS_FILE, .env), picked by --team. It is never printed.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import html
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from api.teams import TeamsKeys, sign, teams_keys
from lhl.errors import LhlError
from lhl.settings import get_settings

TEAMS_PATIENCE_S = 5.0  # Teams drops a reply that takes longer


def sample_message(question: str, bot_name: str = "Leve hele livet") -> dict[str, Any]:
    """A channel message @-mentioning the webhook, shaped like Teams' outgoing webhook posts.
    One literal message, long by its fields."""
    now = datetime.now(UTC)
    message_id = str(int(now.timestamp() * 1000))
    team_id = "19:5c3b1a2e0b8f4c7d9e6a1b2c3d4e5f60@thread.skype"
    channel_id = "19:8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a@thread.skype"
    tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    bot_id = "28:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"lhl-webhook:{bot_name}"))
    escaped = html.escape(question, quote=False)
    mention = f"<at>{html.escape(bot_name, quote=False)}</at>"
    return {
        "type": "message",
        "id": message_id,
        "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "localTimestamp": now.astimezone().isoformat(timespec="milliseconds"),
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "channelId": "msteams",
        "from": {
            "id": "29:1Yq0v8c6Qm3nT2xKp9LrZs4Hd7Wf5Bj0Ne6Ua1Gy3Ci8",
            "name": "Kari Nordmann",
            "aadObjectId": "6b1f0c4e-2a7d-4e9b-8c3f-5d2a1e0b9c7d",
        },
        "conversation": {
            "isGroup": True,
            "id": f"{channel_id};messageid={message_id}",
            "name": None,
            "conversationType": "channel",
            "tenantId": tenant_id,
        },
        "recipient": None,
        "textFormat": "plain",
        "attachmentLayout": None,
        "membersAdded": [],
        "membersRemoved": [],
        "topicName": None,
        "historyDisclosed": None,
        "locale": "nb-NO",
        "text": f"{mention} {escaped}",
        "speak": None,
        "inputHint": None,
        "summary": None,
        "suggestedActions": None,
        "attachments": [
            {
                "contentType": "text/html",
                "contentUrl": None,
                "content": (
                    '<div><span itemscope="" itemtype="http://schema.skype.com/Mention" '
                    f'itemid="0">{html.escape(bot_name, quote=False)}</span> {escaped}</div>'
                ),
                "name": None,
                "thumbnailUrl": None,
            }
        ],
        "entities": [
            {"type": "mention", "mentioned": {"id": bot_id, "name": bot_name}, "text": mention},
            {
                "type": "clientInfo",
                "locale": "nb-NO",
                "country": "NO",
                "platform": "Web",
                "timezone": "Europe/Oslo",
            },
        ],
        "channelData": {
            "teamsChannelId": channel_id,
            "teamsTeamId": team_id,
            "channel": {"id": channel_id},
            "team": {"id": team_id},
            "tenant": {"id": tenant_id},
        },
        "action": None,
        "replyToId": None,
        "value": None,
        "name": None,
        "relatesTo": None,
        "code": None,
    }


def encode(message: dict[str, Any]) -> bytes:
    """The body bytes as Teams would send them (compact JSON, UTF-8)."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def endpoint(url: str, team: str | None) -> str:
    base = url.rstrip("/")
    path = base if base.endswith("/api/teams") else f"{base}/api/teams"
    return path + (f"?team={team}" if team else "")


def key_from(token: str | None, team: str | None) -> bytes:
    """The HMAC key: --token, else the service's configured token for `team`."""
    if token:
        try:
            return base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SystemExit("Feil: --token er ikke gyldig base64.") from None
    try:
        keys: TeamsKeys = teams_keys(get_settings())
    except LhlError:
        raise SystemExit(
            "Feil: fant ingen gyldig Teams-token. Oppgi --token, eller sett LHL_TEAMS_TOKENS "
            "(eller LHL_TEAMS_TOKENS_FILE) slik tjenesten har det."
        ) from None
    key = keys.key_for(team)
    if key is None:
        known = ", ".join(sorted(keys.by_team)) or "ingen"
        which = f"teamet «{team}»" if team else "forespørsler uten --team"
        raise SystemExit(f"Feil: ingen token for {which}. Team med token: {known}.")
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Send en signert eksempelmelding fra Teams.")
    parser.add_argument("question", help="spørsmålet (eller «hjelp»)")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="tjenestens adresse")
    parser.add_argument("--team", help="teamnavnet (?team=) når tjenesten har flere token")
    parser.add_argument("--token", help="sikkerhetstokenet fra Teams (base64)")
    parser.add_argument(
        "--bot-name", default="Leve hele livet", help="navnet webhooken har i Teams"
    )
    parser.add_argument("--json", action="store_true", help="skriv hele svaret som JSON")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)

    import httpx

    body = encode(sample_message(args.question, args.bot_name))
    headers = {
        "Authorization": sign(body, key_from(args.token, args.team)),
        "Content-Type": "application/json; charset=utf-8",
    }
    url = endpoint(args.url, args.team)
    started = time.perf_counter()
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=args.timeout)
    except httpx.HTTPError as exc:
        print(f"Feil: fikk ikke kontakt med {url} ({type(exc).__name__}).", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    # The status line (stderr) stands apart from the answer (stdout): flushed first and
    # followed by a blank line, so the two never run together when both go to one screen.
    sys.stdout.flush()
    print(
        f"HTTP {response.status_code} på {elapsed * 1000:.0f} ms fra {url}\n",
        file=sys.stderr,
        flush=True,
    )
    if elapsed > TEAMS_PATIENCE_S:
        print(
            "Advarsel: Teams venter bare 5 sekunder; dette svaret ville gått tapt.", file=sys.stderr
        )
    if response.status_code == 401:
        print(
            "Signaturen ble avvist: sjekk at tokenet er det Teams viste, og at --team stemmer.",
            file=sys.stderr,
        )
    try:
        reply = response.json()
    except ValueError:
        print(response.text)
        return 1
    if args.json or response.status_code != 200:
        print(json.dumps(reply, ensure_ascii=False, indent=2))
    else:
        print(reply.get("text", ""))
    return 0 if response.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
