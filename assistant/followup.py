"""Completing a follow-up question from the conversation before retrieval.

"Og hvem vant året før?" after "Hvem vant prisen i 2022?" becomes "hvem vant prisen i 2021?";
"Hva med Trøndelag?" after "Hvem sitter i det regionale støtteapparatet?" becomes the previous
question with Trøndelag in it. A question that stands on its own is returned unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.questions import analyse
from lhl.records import Turn
from lhl.text import STOPWORDS, tokens

_ELLIPTIC_START = re.compile(
    r"^\s*(og|enn|men|også|òg|hva med|kva med|hvordan med|korleis med|og hva med|og kva med|og hvem|og når|og hvor)\b",
    re.I,
)
_WHAT_ABOUT = re.compile(
    r"^\s*(?:og\s+|men\s+)?(?:hva|kva|hvordan|korleis)\s+med\s+(.+?)\s*\??\s*$|^\s*enn\s+(.+?)\s*\??\s*$",
    re.I,
)
_ANAPHORA = {
    "det",
    "den",
    "dette",
    "disse",
    "desse",
    "dei",
    "de",
    "denne",
    "der",
    "dit",
    "han",
    "hun",
    "ho",
    "dem",
    "deres",
    "samme",
    "sistnevnte",
}
_RELATIVE_YEAR = re.compile(
    r"\b(året|åra|årene)\s+(før|etter)\b|\b(forrige|neste)\s+år\b|\bi fjor\b", re.I
)


def _last_user_question(history: Sequence[Turn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "user" and turn.content.strip():
            return turn.content.strip()
    return None


# "det trinnet", "den rapporten", "de to": a demonstrative before a definite noun or a
# number points back; before an adjective ("det nasjonale støtteapparatet") it does not.
_POINTING_BACK = re.compile(
    r"\b(?:den|det|de|dei|denne|dette|disse|desse)\s+"
    r"(?:to|tre|fire|fem|begge|[a-zæøå]{3,}(?:et|en|ene|a))\b",
    re.I,
)
MAX_POINTING_CONTENT = 4  # a longer question that says "det trinnet" names enough itself


def is_followup(question: str, history: Sequence[Turn]) -> bool:
    if not _last_user_question(history):
        return False
    words = tokens(question)
    content = [w for w in words if w not in STOPWORDS]
    return bool(
        _ELLIPTIC_START.search(question)
        or _RELATIVE_YEAR.search(question)
        or (_has_pronoun(words) and len(content) <= 3)
        or (_POINTING_BACK.search(question) and len(content) <= MAX_POINTING_CONTENT)
        or len(content) <= 1
    )


def _has_pronoun(words: list[str]) -> bool:
    """An anaphoric word standing alone ("hva gjør de?"), not a determiner ("det nasjonale")."""
    for i, word in enumerate(words):
        if word in _ANAPHORA:
            following = words[i + 1] if i + 1 < len(words) else None
            if following is None or following in STOPWORDS:
                return True
    return False


def resolve(question: str, history: Sequence[Turn]) -> str:
    """The question completed with what it leaves out, or the question itself."""
    previous = _last_user_question(history)
    if not previous or not is_followup(question, history):
        return question
    prev = analyse(previous)

    what_about = _WHAT_ABOUT.match(question)
    if what_about:
        topic = (what_about.group(1) or what_about.group(2)).strip()
        if re.fullmatch(r"(19|20)\d\d", topic) and prev.years:
            return previous.replace(prev.years[0], topic)
        for name in prev.names:
            m = re.search(re.escape(name), previous, re.I)
            if m and topic[:1].isupper():
                return previous[: m.start()] + topic + previous[m.end() :]
        return f"{previous.rstrip('?. ')} {topic}?"

    resolved = re.sub(r"^\s*(og|men|enn)\s+", "", question, flags=re.I)
    rel = _RELATIVE_YEAR.search(resolved)
    if rel and prev.years:
        forward = (rel.group(2) or "").lower() == "etter" or (rel.group(3) or "").lower() == "neste"
        year = str(int(prev.years[0]) + (1 if forward else -1))
        if _question_word(resolved) in (None, _question_word(previous)):
            return previous.replace(prev.years[0], year)
        resolved = resolved[: rel.start()] + f"i {year}" + resolved[rel.end() :]
    substituted = _substitute(previous, resolved)
    if substituted:
        return substituted
    have = set(tokens(resolved))
    replaced = {p.lower() for p, _ in _swaps(previous, resolved)}  # "nasjonale" → "regionale"
    missing = [
        w
        for w in re.findall(r"[\wæøåÆØÅ-]+", previous)
        if w.lower() not in have
        and w.lower() not in _QUESTION_WORDS
        and w.lower() not in replaced
        and not (rel and re.fullmatch(r"(19|20)\d\d", w))
    ]
    if missing:
        resolved = f"{resolved.rstrip('?. ')} ({' '.join(missing)})?"
    return resolved[:1].upper() + resolved[1:]


_QUESTION_WORDS = {
    "hva",
    "kva",
    "hvem",
    "kven",
    "hvor",
    "kor",
    "når",
    "hvordan",
    "korleis",
    "hvorfor",
    "kvifor",
    "hvilke",
    "hvilken",
    "hvilket",
}


def _question_word(question: str) -> str | None:
    return next((w for w in tokens(question) if w in _QUESTION_WORDS), None)


SAME_ENDING = 4  # letters two words share at the end to be the same inflection ("-nale")


def _swaps(previous: str, current: str) -> list[tuple[str, str]]:
    """(previous word, current word) pairs of the same inflection, the current one new:
    "regionale" in "Og hvem sitter i det regionale?" stands in for "nasjonale" before it."""
    prev_words = re.findall(r"[\wæøåÆØÅ-]+", previous)
    prev_lower = {p.lower() for p in prev_words}
    pairs = []
    for word in re.findall(r"[\wæøåÆØÅ-]+", current):
        lw = word.lower()
        if lw in STOPWORDS or len(lw) < 5 or lw in prev_lower:
            continue
        for p in prev_words:
            lp = p.lower()
            if len(lp) >= 5 and lp not in STOPWORDS and lp[-SAME_ENDING:] == lw[-SAME_ENDING:]:
                pairs.append((p, word))
                break
    return pairs


def _substitute(previous: str, current: str) -> str | None:
    """Swap a word of the previous question for a current word of the same inflection
    ("i det nasjonale" after "… det regionale støtteapparatet?" → "… det nasjonale …")."""
    pairs = _swaps(previous, current)
    if _question_word(current) or not pairs:
        return None
    p, word = pairs[0]
    return re.sub(rf"\b{re.escape(p)}\b", word, previous, count=1)
