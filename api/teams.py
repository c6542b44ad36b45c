"""Microsoft Teams outgoing webhook: `POST /api/teams`.

Teams' rules (Microsoft's "Create an Outgoing Webhook"): the request carries
`Authorization: HMAC <base64>`, an HMAC-SHA256 over the raw body keyed with the webhook's
security token (base64-decoded); each team has its own token; Teams waits five seconds.

Steps, in order: cap the body (413) → pick the team's key → verify the signature in
constant time (401, the same body whatever was wrong) → parse → refuse a message whose
`timestamp` is outside the replay window (401: a captured signed request sent again) → strip
the mention markup → answer under a deadline → Adaptive Card. Tokens are never logged, and
the question text only at debug level.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api import cards
from api.deps import SettingsDep, get_assistant, get_metrics
from api.metrics import count_answer
from api.schemas import whole_unicode
from assistant.service import Assistant
from lhl import messages
from lhl.errors import (
    BadMessage,
    BodyTooLarge,
    InvalidQuestion,
    TeamsNotConfigured,
    Unauthorized,
)
from lhl.records import Answer
from lhl.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter()

SCHEME = "HMAC"
# Time kept back from the deadline for building and sending the card.
REPLY_MARGIN_S = 0.25
SLOTS_PER_CORE = 2  # extractive answers at once, per CPU core
WAITING_SLOTS = 32  # answers at once when most of each is waiting for a language model
_HELP_WORDS = frozenset({"", "hjelp", "help", "?", "hei", "hallo"})
_TEAM_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_NO_KEY = b"\0" * 32  # stands in for a missing team's key; nothing verifies against it


# -- configuration: which team signs with which key -------------------------------------------
@dataclass(frozen=True, slots=True)
class TeamsKeys:
    """HMAC keys (decoded security tokens) by team; `default` serves requests without ?team=."""

    by_team: dict[str, bytes] = field(default_factory=dict)
    default: bytes | None = None

    @classmethod
    def parse(cls, spec: str) -> TeamsKeys:
        """`team=base64token` pairs separated by commas (or lines); one bare token is the default.

        A base64 token may itself end in '=', so "name=" only names a team when a token follows.
        Errors name the entry's position, never its token."""
        by_team: dict[str, bytes] = {}
        default: bytes | None = None
        entries = [
            e.strip()
            for e in re.split(r"[,\n]", spec)
            if e.strip() and not e.strip().startswith("#")
        ]
        for i, entry in enumerate(entries, start=1):
            name, sep, token = entry.partition("=")
            if not sep or not token.strip("="):
                name, token = "", entry  # a bare token (its '=' is base64 padding)
            name, token = name.strip(), token.strip()
            if name and not _TEAM_NAME.match(name):
                raise ValueError(messages.terminal.TEAMS_TOKEN_BAD_NAME.format(entry=i))
            try:
                key = base64.b64decode(token, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(messages.terminal.TEAMS_TOKEN_NOT_BASE64.format(entry=i)) from None
            if len(key) < 16:
                raise ValueError(messages.terminal.TEAMS_TOKEN_TOO_SHORT.format(entry=i))
            if name:
                if name in by_team:
                    raise ValueError(messages.terminal.TEAMS_TOKEN_TEAM_TWICE.format(team=name))
                by_team[name] = key
            elif default is not None:
                raise ValueError(messages.terminal.TEAMS_TOKEN_TWO_DEFAULTS)
            else:
                default = key
        return cls(by_team=by_team, default=default)

    def __bool__(self) -> bool:
        return bool(self.by_team) or self.default is not None

    def key_for(self, team: str | None) -> bytes | None:
        return self.default if team is None else self.by_team.get(team)

    def __repr__(self) -> str:  # keys must never reach a log line
        return f"TeamsKeys(teams={sorted(self.by_team)}, default={self.default is not None})"


_keys_cache: dict[tuple[str, str, float], TeamsKeys] = {}


def teams_keys(settings: Settings) -> TeamsKeys:
    """The configured keys: LHL_TEAMS_TOKENS plus the secrets file LHL_TEAMS_TOKENS_FILE.

    Re-read when the file changes, so a token can be rotated without a restart."""
    spec = settings.teams_tokens or ""
    path = settings.teams_tokens_file
    mtime = 0.0
    if path is not None:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            log.error("Teams tokens file %s cannot be read", path)
            raise TeamsNotConfigured() from None
    cache_key = (spec, str(path or ""), mtime)
    keys = _keys_cache.get(cache_key)
    if keys is None:
        if path is not None:
            try:
                spec = "\n".join([spec, path.read_text(encoding="utf-8")])
            except (OSError, UnicodeDecodeError):
                log.error("Teams tokens file %s cannot be read", path)
                raise TeamsNotConfigured() from None
        try:
            keys = TeamsKeys.parse(spec)
        except ValueError as exc:
            log.error("Teams tokens are misconfigured: %s", exc)
            raise TeamsNotConfigured() from None
        _keys_cache.clear()
        _keys_cache[cache_key] = keys
    if not keys:
        raise TeamsNotConfigured()
    return keys


# -- signature --------------------------------------------------------------------------------
def sign(body: bytes, key: bytes) -> str:
    """The Authorization header value Teams sends for `body`."""
    digest = hmac.new(key, body, hashlib.sha256).digest()
    return f"{SCHEME} {base64.b64encode(digest).decode()}"


def signature_problem(body: bytes, authorization: str | None, key: bytes) -> str | None:
    """None when the header is a valid signature of `body`; else why not (for the log)."""
    if not authorization:
        return "missing Authorization header"
    scheme, _, value = authorization.strip().partition(" ")
    if scheme != SCHEME:
        return "wrong scheme"
    try:
        provided = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return "signature is not base64"
    expected = hmac.new(key, body, hashlib.sha256).digest()
    if not hmac.compare_digest(provided, expected):
        return "signature mismatch"
    return None


# -- the message ------------------------------------------------------------------------------
_AT = re.compile(r"<at\b[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    bot_name: str  # as the person mentioned it, for the usage card's example


def question_from(text: str) -> Question:
    """The question in a Teams message: mentions that address the webhook (at the start or
    end) are dropped, other mentions become plain names, tags go, entities are decoded."""
    mentions = list(_AT.finditer(text))
    bot_name = _plain(mentions[0][1]) if mentions else ""
    addressing: set[int] = set()
    lead = 0  # leading mentions, then trailing ones
    for m in mentions:
        if _plain(text[lead : m.start()]):
            break
        addressing.add(m.start())
        lead = m.end()
    tail = len(text)
    for m in reversed(mentions):
        if _plain(text[m.end() : tail]):
            break
        addressing.add(m.start())
        tail = m.start()
    out = _AT.sub(lambda m: " " if m.start() in addressing else f" {m[1]} ", text)
    return Question(text=_plain(out), bot_name=bot_name or messages.teams.DEFAULT_BOT_NAME)


def _plain(fragment: str) -> str:
    text = html.unescape(_TAG.sub(" ", fragment)).replace("\xa0", " ")
    return _WS.sub(" ", text).strip()


def _is_help(question: str) -> bool:
    return question.strip(" .!?:").lower() in _HELP_WORDS or not any(
        ch.isalnum() for ch in question
    )


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadMessage(detail="Content-Length is not a number")
        if int(declared) > limit:
            raise BodyTooLarge(detail=f"declared body of {declared} bytes over {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(detail=f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_message(body: bytes) -> dict[str, object]:
    try:
        message = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadMessage(detail="body is not JSON") from None
    except RecursionError:  # thousands of nested brackets: within the size limit, not a message
        raise BadMessage(detail="body is nested too deeply") from None
    if not isinstance(message, dict):
        raise BadMessage(detail="body is not a JSON object")
    return message


def _message_text(message: dict[str, object]) -> str:
    text = message.get("text") or ""
    if not isinstance(text, str):
        raise BadMessage(detail="text is not a string")
    try:
        whole_unicode(text)
    except ValueError:
        raise BadMessage(detail="text holds a lone surrogate") from None
    return text


def replay_problem(message: dict[str, object], max_age_s: float, now: float) -> str | None:
    """Why a signed message is refused as a replay, or None. The signature covers the body,
    so its `timestamp` (ISO 8601, UTC, as Teams sends it) cannot be changed by whoever
    captured it; one further than `max_age_s` from now, or none at all, is refused."""
    if max_age_s <= 0:
        return None
    stamp = message.get("timestamp")
    if not isinstance(stamp, str):
        return "no timestamp"
    try:
        sent = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return "unreadable timestamp"
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    age = now - sent.timestamp()
    if abs(age) > max_age_s:
        return f"timestamp {age:.0f} s from now, outside the {max_age_s:.0f} s window"
    return None


def _answer_slots(request: Request, assistant: Assistant) -> anyio.CapacityLimiter:
    """How many Teams questions are answered at once; the others wait their turn, in order.

    Extractive answering is CPU work (embedding, ranking) on a few cores: twenty threads at
    once share the cores and the GIL unfairly and stretch the slowest answers (measured with
    scripts/bench_teams.py: p99 0.6–0.8 s unlimited, 0.5 s with two per core, same
    throughput). With a language model most of the time is spent waiting, so then many may
    wait at once. Kept on app.state: one limiter per app, made inside its event loop."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "teams_slots", None)
    if limiter is None:
        if assistant.generative is not None:
            slots = WAITING_SLOTS
        else:
            slots = SLOTS_PER_CORE * max(1, len(os.sched_getaffinity(0)))
        limiter = request.app.state.teams_slots = anyio.CapacityLimiter(slots)
    return limiter


# -- the route -----------------------------------------------------------------------------
# The body is read raw (the signature covers its bytes), so FastAPI cannot describe it; this
# is the part of Teams' message the route reads, for the OpenAPI document and its fuzzing.
MESSAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "example": "message"},
        "text": {"type": "string", "example": "<at>Leve hele livet</at> Hva er Leve hele livet?"},
        "timestamp": {"type": "string", "format": "date-time"},
    },
    "required": ["type", "text", "timestamp"],
}


@router.post(
    "/api/teams",
    summary="Microsoft Teams outgoing webhook (HMAC-signert)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": MESSAGE_SCHEMA}},
        },
        "parameters": [
            {
                "name": "Authorization",
                "in": "header",
                "required": True,
                "description": "HMAC <base64 HMAC-SHA256 av kroppen>",
                "schema": {"type": "string"},
            }
        ],
    },
)
async def teams_webhook(
    request: Request, settings: SettingsDep, team: str | None = None
) -> JSONResponse:
    started = time.perf_counter()
    keys = teams_keys(settings)
    body = await _read_capped(request, settings.teams_max_body_bytes)
    key = keys.key_for(team)
    # An unknown team costs the same HMAC as a known one: timing tells nothing about names.
    problem = signature_problem(body, request.headers.get("authorization"), key or _NO_KEY)
    if key is None:
        problem = "unknown team" if team is not None else "no ?team= and no default token"
    if problem:
        client = request.client.host if request.client else "?"
        log.warning("Teams request from %s (team=%r) rejected: %s", client, team, problem)
        raise Unauthorized()

    message = _parse_message(body)
    if stale := replay_problem(message, settings.teams_max_age_s, time.time()):
        log.warning("Teams request (team=%r) refused as a replay: %s", team, stale)
        raise Unauthorized()
    question = question_from(_message_text(message))
    links = cards.Links(settings.public_url)
    if _is_help(question.text):
        return JSONResponse(cards.usage_message(links, question.bot_name))

    assistant = get_assistant(request)
    deadline = started + settings.teams_deadline_s

    def ask() -> Answer:
        # The time left is taken when the thread starts: a wait for a free thread counts too.
        left = deadline - REPLY_MARGIN_S - time.perf_counter()
        return assistant.ask(question.text, deadline_s=max(0.0, left))

    answer: Answer | None = None
    try:
        # Whatever happens inside (a model that hangs, a busy machine), Teams gets a reply in time.
        with anyio.move_on_after(max(0.0, deadline - REPLY_MARGIN_S / 2 - time.perf_counter())):
            answer = await anyio.to_thread.run_sync(
                ask, abandon_on_cancel=True, limiter=_answer_slots(request, assistant)
            )
    except InvalidQuestion as exc:
        # The person in the channel reads this reply; an HTTP error would show them nothing.
        return JSONResponse(cards.notice_message(exc.message, links))
    if answer is None:
        log.warning(
            "Teams answer not ready within %.1f s; sent the web-chat link",
            settings.teams_deadline_s,
        )
        return JSONResponse(cards.late_message(question.text, links))
    count_answer(get_metrics(request), answer)
    log.info(
        "Teams answer (team=%r, mode=%s, found=%s) in %.0f ms",
        team,
        answer.mode,
        answer.found,
        (time.perf_counter() - started) * 1000,
    )
    return JSONResponse(cards.answer_message(answer, links))
