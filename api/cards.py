"""Teams replies: an Adaptive Card (schema 1.4) with a plain-text fallback.

Outgoing webhooks may only use `Action.OpenUrl`, so every link opens the web chat: a cited
passage at `{public_url}/?passage=<chunk_id>`, the question at `{public_url}/?q=<question>`.
The card's wording (Norwegian) is in the message catalogue, lhl/messages/teams.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from lhl import messages
from lhl.messages.teams import (
    DEFAULT_BOT_NAME,
    EXTRACTIVE_NOTE,
    GENERATIVE_NOTE,
    LATE_TEXT,
    NEAREST,
    OPEN_CHAT,
    OPEN_SOURCE,
    PAGE,
    QUESTION_LABEL,
    SOURCES,
    USAGE_EXAMPLE,
    USAGE_HOW,
    USAGE_LIMITS,
    USAGE_TEXT,
    USAGE_TITLE,
)
from lhl.records import SECTION_SEP, Answer, Citation

Json = dict[str, Any]

CARD_VERSION = "1.4"  # the newest version Teams renders everywhere
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MAX_SOURCE_BUTTONS = 3  # plus "open in the web chat": Teams shows at most a handful of actions


@dataclass(frozen=True, slots=True)
class Links:
    """Deep links into the web chat, which opens a passage or asks a question from the URL."""

    public_url: str

    @property
    def home(self) -> str:
        return self.public_url.rstrip("/") + "/"

    def passage(self, chunk_id: str) -> str:
        return f"{self.home}?passage={quote(chunk_id, safe='')}"

    def question(self, question: str) -> str:
        return f"{self.home}?{urlencode({'q': question})}"


# -- building blocks -------------------------------------------------------------------------
def _text(text: str, **style: Any) -> Json:
    return {"type": "TextBlock", "text": _inline(text), "wrap": True, **style}


def _open(title: str, url: str) -> Json:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def _inline(text: str) -> str:
    # TextBlocks read a little Markdown; "[1](" in an answer must not become a link.
    return text.replace("](", "] (")


def _where(c: Citation) -> str:
    # The section is a breadcrumb ("Kapittel 2.4 … › 2.4.4 Prisen"); its steps that only
    # repeat the document title are left out.
    title = c.title.casefold()
    steps = [s.strip() for s in (c.section or "").split(SECTION_SEP.strip()) if s.strip()]
    section = SECTION_SEP.join(s for s in steps if s.casefold() not in title)
    parts = [section] if section else []
    if c.page:
        parts.append(PAGE.format(page=c.page))
    return ", ".join(parts)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:") + " …"


def _source_line(c: Citation) -> str:
    where = _where(c)
    return f"[{c.n}] {c.title}" + (f" – {where}" if where else "")


def _message(card: Json, text: str) -> Json:
    """A Bot Framework message: `text` and `summary` for clients that cannot show the card."""
    card = {**card, "fallbackText": text}
    return {
        "type": "message",
        "text": text,
        "summary": _shorten(text.split("\n", 1)[0], 200),
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


def _card(body: list[Json], actions: list[Json]) -> Json:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
        "actions": actions,
        "msteams": {"width": "Full"},
    }


# -- replies -------------------------------------------------------------------------------
def answer_message(answer: Answer, links: Links) -> Json:
    """The answer, its numbered sources and links to each cited passage and the question."""
    body: list[Json] = [
        _text(f"{QUESTION_LABEL}: {answer.question}", isSubtle=True, size="Small"),
        _text(answer.answer, spacing="Small"),
    ]
    if answer.citations:
        body.append(_text(SOURCES if answer.found else NEAREST, weight="Bolder", spacing="Medium"))
        for c in answer.citations:
            rows = [_text(f"[{c.n}] {c.title}", weight="Bolder", size="Small")]
            if where := _where(c):
                rows.append(_text(where, isSubtle=True, size="Small", spacing="None"))
            if not answer.found and c.highlight:  # the sentence that came closest
                rows.append(_text(f"«{_shorten(c.highlight, 300)}»", size="Small", spacing="None"))
            body.append(
                {
                    "type": "Container",
                    "items": rows,
                    "selectAction": _open(OPEN_SOURCE.format(n=c.n), links.passage(c.chunk_id)),
                    "spacing": "Small",
                }
            )
    if answer.found:
        note = GENERATIVE_NOTE if answer.mode == "generative" else EXTRACTIVE_NOTE
        if uncertain(answer):
            body.append(_text(messages.UNCERTAIN, weight="Bolder", size="Small", spacing="Medium"))
        body.append(_text(note, isSubtle=True, size="Small", spacing="Medium"))
    actions = [
        _open(OPEN_SOURCE.format(n=c.n), links.passage(c.chunk_id))
        for c in answer.citations[:MAX_SOURCE_BUTTONS]
    ]
    actions.append(_open(OPEN_CHAT, links.question(answer.question)))

    lines = [answer.answer]
    if answer.citations:
        lines += ["", f"{SOURCES if answer.found else NEAREST}:"]
        lines += [f"{_source_line(c)}: {links.passage(c.chunk_id)}" for c in answer.citations]
    lines += ["", f"{OPEN_CHAT}: {links.question(answer.question)}"]
    return _message(_card(body, actions), "\n".join(lines))


def uncertain(answer: Answer) -> bool:
    """An extractive answer the decision is less sure of than not (messages.UNCERTAIN_BELOW)."""
    return (
        answer.mode == "extractive"
        and answer.confidence is not None
        and answer.confidence < messages.UNCERTAIN_BELOW
    )


def usage_message(links: Links, bot_name: str = DEFAULT_BOT_NAME) -> Json:
    """The short guide shown for «hjelp» or an empty mention."""
    example = USAGE_EXAMPLE.format(bot=bot_name)
    body = [
        _text(USAGE_TITLE, weight="Bolder", size="Medium"),
        _text(USAGE_TEXT),
        _text(USAGE_HOW, spacing="Medium"),
        _text(example, fontType="Monospace", spacing="Small"),
        _text(USAGE_LIMITS, isSubtle=True, size="Small", spacing="Medium"),
    ]
    text = "\n".join([USAGE_TEXT, "", USAGE_HOW, example, "", USAGE_LIMITS])
    return _message(_card(body, [_open(OPEN_CHAT, links.home)]), text)


def late_message(question: str, links: Links) -> Json:
    """Sent when not even the extractive answer was ready before Teams' deadline."""
    body = [
        _text(f"{QUESTION_LABEL}: {question}", isSubtle=True, size="Small"),
        _text(LATE_TEXT, spacing="Small"),
    ]
    url = links.question(question)
    return _message(_card(body, [_open(OPEN_CHAT, url)]), f"{LATE_TEXT}\n{OPEN_CHAT}: {url}")


def notice_message(text: str, links: Links) -> Json:
    """A short notice to the person asking (e.g. the question is too long)."""
    return _message(_card([_text(text)], [_open(OPEN_CHAT, links.home)]), text)
