"""Completing a follow-up question from the conversation before retrieval.

"Og hvem vant året før?" after "Hvem vant prisen i 2022?" becomes "hvem vant prisen i 2021?";
"Hva med fase 4?" (or "Og fase 4?", "Enn fase 4?") after "Hva er fase 3 i reformen?" becomes
"Hva er fase 4 i reformen?": the topic replaces the thing of its kind (a phase, step, year,
county, municipality or organisation) rather than being appended;
"Hva med Trøndelag?" after "Hvem sitter i det regionale støtteapparatet?" becomes the previous
question with Trøndelag in it. A question that stands on its own is returned unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.questions import analyse
from lhl.lexicon import QUESTION_WORDS, RECENT_YEAR, STOPWORDS, WRITTEN_OUT
from lhl.records import Turn
from lhl.text import tokens

_ELLIPTIC_START = re.compile(
    r"^\s*(og|enn|men|også|òg|hva med|kva med|hvordan med|korleis med|og hva med|og kva med|og hvem|og når|og hvor)\b",
    re.I,
)
_WHAT_ABOUT = re.compile(
    r"^\s*(?:og\s+|men\s+)?(?:hva|kva|hvordan|korleis)\s+med\s+(.+?)\s*\??\s*$|^\s*enn\s+(.+?)\s*\??\s*$",
    re.I,
)
# "Og fase 4?": a bare topic after "og", with no question word of its own.
_AND_TOPIC = re.compile(r"^\s*og\s+(?:i\s+|for\s+)?(.+?)\s*\??\s*$()", re.I)

# The kinds of thing a "Hva med X?" can stand in for, each with the pattern that finds one
# in a question. Numbered parts of a document first: "fase 4" replaces "fase 3".
_PART_NOUNS = r"fase|fasen|trinn|trinnet|steg|steget|del|delen|kapittel|kapitlet|punkt|punktet"
# A part's number: digits, or a word from one to ten.
_NUMBER_WORD = "|".join(
    [r"\d+", "en", "ett", "én", *(w for n in range(2, 11) for w in WRITTEN_OUT[str(n)])]
)
_PART = re.compile(rf"\b({_PART_NOUNS})\s+({_NUMBER_WORD})\b", re.I)
_YEAR = re.compile(rf"\b{RECENT_YEAR}\b")
COUNTIES = (
    "Agder",
    "Akershus",
    "Buskerud",
    "Finnmark",
    "Innlandet",
    "Møre og Romsdal",
    "Nordland",
    "Oslo",
    "Rogaland",
    "Telemark",
    "Troms og Finnmark",
    "Troms",
    "Trøndelag",
    "Vestfold og Telemark",
    "Vestfold",
    "Vestland",
    "Viken",
    "Østfold",
)
_COUNTY = re.compile(r"\b(?:" + "|".join(COUNTIES) + r")\b", re.I)
_MUNICIPALITY = re.compile(r"\b([A-ZÆØÅ][\wæøå-]+)\s+kommune\b")
# Organisations the documents name, in any case; capitalised names are found as names.
_ORGANISATION = re.compile(
    r"\b(?:KS|USHT|FHI|NAV|Husbanken|Helsedirektoratet|Statsforvalteren|statsforvalteren|"
    r"fylkeskommunen|Senter for omsorgsforskning|Nasjonalt senter for aldring og helse|"
    r"Aldring og helse|eldrerådet|kommunesektorens organisasjon)\b"
)


def replace_same_kind(previous: str, topic: str) -> str | None:
    """The previous question with its thing of the topic's kind replaced by the topic:
    "fase 4" for "fase 3", "trinn 2" for "trinn 5", "2021" for "2022", "Nordland" for
    "Trøndelag", "Melhus kommune" for "Trondheim kommune", "KS" for "Husbanken". None when
    the topic is of no such kind, or the previous question holds nothing of its kind."""
    topic = re.sub(r"^(?:i|for|på|om)\s+", "", topic.strip().rstrip("?. "), flags=re.I)

    def swap(span: re.Match[str], new: str) -> str:
        return previous[: span.start()] + new + previous[span.end() :]

    part = _PART.fullmatch(topic)
    bare_number = re.fullmatch(r"\d{1,2}", topic)
    if part or bare_number:
        old = _PART.search(previous)
        if old is None:
            return None
        if bare_number or part and _same_part_noun(old.group(1), part.group(1)):
            number = topic if bare_number else part.group(2)  # type: ignore[union-attr]
            return previous[: old.start(2)] + number + previous[old.end(2) :]
        return swap(old, topic)
    if _YEAR.fullmatch(topic):
        old = _YEAR.search(previous)
        return swap(old, topic) if old else None
    if _COUNTY.fullmatch(topic):
        old = _COUNTY.search(previous)
        return swap(old, _proper(topic)) if old else None
    municipality = re.fullmatch(r"([\wæøå-]+)(\s+kommune)?", topic, re.I)
    old_mun = _MUNICIPALITY.search(previous)
    if municipality and old_mun and (topic[:1].isupper() or municipality.group(2)):
        name = _proper(municipality.group(1))
        return previous[: old_mun.start(1)] + name + previous[old_mun.end(1) :]
    if _ORGANISATION.fullmatch(topic) or (topic[:1].isupper() and len(topic.split()) <= 4):
        old = _ORGANISATION.search(previous)
        return swap(old, topic) if old else None
    return None


def _same_part_noun(a: str, b: str) -> bool:
    return a.lower()[:4] == b.lower()[:4]


def _proper(name: str) -> str:
    """A place name as written ("nordland" → "Nordland", "møre og romsdal" → "Møre og Romsdal")."""
    return " ".join(w if w in ("og",) else w[:1].upper() + w[1:] for w in name.split())


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

    what_about = _WHAT_ABOUT.match(question) or _AND_TOPIC.match(question)
    if what_about:
        topic = (what_about.group(1) or what_about.group(2)).strip()
        swapped = replace_same_kind(previous, topic)
        if swapped is not None:
            return swapped
        if not _WHAT_ABOUT.match(question):
            what_about = None  # "Og hvem …?" and the like: completed below
    if what_about:
        topic = (what_about.group(1) or what_about.group(2)).strip()
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
        and w.lower() not in QUESTION_WORDS
        and w.lower() not in replaced
        and not (rel and re.fullmatch(RECENT_YEAR, w))
    ]
    if missing:
        resolved = f"{resolved.rstrip('?. ')} ({' '.join(missing)})?"
    return resolved[:1].upper() + resolved[1:]


def _question_word(question: str) -> str | None:
    return next((w for w in tokens(question) if w in QUESTION_WORDS), None)


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
