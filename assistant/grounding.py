"""The grounding check: does a generated answer say only what the cited passages say?

Sentence by sentence:
- every marker [n] points to a passage the model was given;
- a sentence that states a fact carries at least one marker;
- every number, amount, date, year, percentage and proper name in the sentence occurs in a
  passage the sentence cites. Number forms are compared by value, so "3 000", "3000" and
  "tre tusen" are equal; a relative date ("i fjor") must stand in the passage as written.

Text in a passage that tries to instruct the model ("Ignorer instruksjonene over …") is not
evidence: a fact found only there is unsupported.

The verdict for the whole answer: `grounded` (every sentence passes), `trimmed` (the failing
sentences are dropped and what remains still answers: its lead sentence passed), or
`rejected` (the caller falls back to the extractive answer).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from lhl.lexicon import MONTH, STOPWORDS, TENS_WORDS, UNIT_WORDS
from lhl.records import GroundingVerdict, Passage
from lhl.text import sentences

MARKER = re.compile(r"\[(\d+)\]")
# "… kommune. [1]" → "… kommune [1]." so the marker stays with its sentence.
_MARKER_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+\])+)")

# -- instructions hidden in documents -------------------------------------------------------
_INSTRUCTION = re.compile(
    r"\b(?:ignorer|glem|se bort fra|overse|ignore|disregard|forget)\b[^.!?\n]{0,80}?"
    r"\b(?:instruks\w*|regl\w*|beskjed\w*|ordre\w*|instructions?|rules?|prompt\w*)"
    r"|\b(?:du er nå|du skal nå|fra nå av skal du|you are now|system\s*prompt)\b"
    r"|\bsvar (?:alltid|heller|i stedet|istedenfor)\b",
    re.IGNORECASE,
)


def is_instruction(sentence: str) -> bool:
    """Whether a sentence of a document speaks to a language model rather than to a reader."""
    return _INSTRUCTION.search(sentence) is not None


def evidence(text: str) -> str:
    """A passage's text without the sentences that try to instruct the model."""
    if not is_instruction(text):
        return text
    return " ".join(s for s in sentences(text) if not is_instruction(s))


def without_instructions(passages: Sequence[Passage]) -> list[Passage]:
    """The passages with any sentence that speaks to a language model taken out, before
    either answerer reads them: it is not content for the reader, and not evidence."""
    return [
        p
        if not is_instruction(p.chunk.text)
        else dataclasses.replace(p, chunk=dataclasses.replace(p.chunk, text=evidence(p.chunk.text)))
        for p in passages
    ]


# -- numbers ------------------------------------------------------------------------------
_HUNDRED = {"hundre": 100}
_LARGE = {
    "tusen": 1_000, "million": 1_000_000, "millioner": 1_000_000, "mill": 1_000_000,
    "milliard": 1_000_000_000, "milliarder": 1_000_000_000, "mrd": 1_000_000_000,
}  # fmt: skip
# "en", "ett" and "ei" are also articles: a number only before a scale word ("en million").
_ARTICLES = {"en", "én", "ett", "ei"}
# Digits: "3 000", "3.000" and "3 000 000" are grouped thousands; "3,5" is a decimal.
_DIGITS = r"\d{1,3}(?:[ \u00a0\u202f.]\d{3})+(?![\d,])|\d+(?:,\d+)?"
_WORD = re.compile(rf"(?P<num>{_DIGITS})|(?P<word>[^\W\d_]+\.?)", re.UNICODE)


def _digits_value(token: str) -> float:
    token = re.sub(r"[ \u00a0\u202f.]", "", token).replace(",", ".")
    return float(token)


def _word_value(word: str) -> float | None:
    """The value of one number word, compounds included ("tjuefem", "tohundre")."""
    if word in UNIT_WORDS:
        return UNIT_WORDS[word]
    if word in TENS_WORDS:
        return TENS_WORDS[word]
    for tens, value in TENS_WORDS.items():
        if word.startswith(tens) and word[len(tens) :] in UNIT_WORDS:
            return value + UNIT_WORDS[word[len(tens) :]]
    for scale, mult in (("hundre", 100), ("tusen", 1000)):
        if word.endswith(scale) and word != scale:
            head = _word_value(word[: -len(scale)])
            if head is not None:
                return head * mult
    return None


def numbers(text: str) -> set[float]:
    """Every number the text states, by value: digits, number words and their mixes
    ("3 000" = "3000" = "tre tusen" = 3000.0; "3,5 millioner" = 3500000.0)."""
    text = MARKER.sub(" ", text).lower()
    out: set[float] = set()
    total, current, in_run = 0.0, 0.0, False
    pending_article = False

    def close() -> None:
        nonlocal total, current, in_run
        if in_run:
            out.add(round(total + current, 6))
        total, current, in_run = 0.0, 0.0, False

    for m in _WORD.finditer(text):
        if m["num"]:
            if in_run and current:  # two numbers in a row: "2021 2022"
                close()
            current, in_run = current + _digits_value(m["num"]), True
            pending_article = False
            continue
        word = m["word"].rstrip(".")
        if word in _LARGE or word in _HUNDRED:
            scale = _LARGE.get(word) or _HUNDRED[word]
            if not in_run and not pending_article and word not in ("tusen", "hundre"):
                continue  # "millioner av kroner": a scale without a number is not a figure
            base = current or 1.0
            if word in _HUNDRED:
                current, in_run = base * scale, True
            else:
                total, current, in_run = total + base * scale, 0.0, True
            pending_article = False
            continue
        if word in _ARTICLES:
            close()
            pending_article = True
            continue
        value = _word_value(word)
        if value is not None:
            if in_run and current and current % 100 != 0 and value < 100:
                close()  # "to tre": two numbers, not five
            current, in_run = current + value, True
            pending_article = False
            continue
        if word == "og" and in_run:
            continue  # "to hundre og femti"
        close()
        pending_article = False
    close()
    return out


# -- dates and names ----------------------------------------------------------------------
_RELATIVE_DATES = re.compile(
    r"\b(?:i fjor|i forfjor|i år|i fjor høst|i fjor vår|neste år|forrige år|i går|i morgen|"
    r"i dag|nylig|for tiden|i høst|i vår|i sommer|i vinter)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"(?<![\w-])[A-ZÆØÅ][\wÆØÅæøå]*(?:-[\wÆØÅæøå]+)*", re.UNICODE)
_FIRST_WORD = re.compile(r"^[\W\d_]*([^\W\d_][\w-]*)", re.UNICODE)


# Words that open an answer without naming anything.
_OPENERS = frozenset(
    "ja nei kort sagt svaret ifølge kilden kildene dokumentet dokumentene avsnittet teksten "
    "dessverre altså totalt samlet".split()
)


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("\u00ad", ""))


def names(sentence: str) -> list[str]:
    """Capitalised words after the first: the proper names (and acronyms) the sentence uses."""
    body = MARKER.sub(" ", sentence)
    first = _FIRST_WORD.match(body)
    start = first.end() if first else 0
    return [m[0] for m in _CAPITALISED.finditer(body, start)]


def first_word(sentence: str) -> str | None:
    m = _FIRST_WORD.match(MARKER.sub(" ", sentence))
    return m[1] if m else None


def _name_in(name: str, folded: str) -> bool:
    name = name.lower()
    if name in folded:
        return True
    # Genitive and inflection: "Norges" → "norge", "Trøndelags" → "trøndelag".
    return len(name) > 3 and name.endswith("s") and name[:-1] in folded


# -- the check ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SentenceCheck:
    text: str
    cited: tuple[int, ...]
    problems: tuple[str, ...]
    needs_citation: bool

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class GroundingReport:
    sentences: tuple[SentenceCheck, ...]

    @property
    def problems(self) -> list[str]:
        """Each failed check as "kind: detail" (for the log)."""
        return [p for s in self.sentences for p in s.problems]

    @property
    def problem_kinds(self) -> list[str]:
        """The kinds of failed check, without the text that failed (for the reader's JSON)."""
        return sorted({p.split(":", 1)[0] for p in self.problems})

    @property
    def verdict(self) -> GroundingVerdict:
        if not self.sentences:
            return "rejected"
        if not any(s.cited for s in self.sentences):
            return "rejected"  # an answer that cites nothing is not grounded in anything
        if all(s.ok for s in self.sentences):
            return "grounded"
        factual = [s for s in self.sentences if s.needs_citation or s.cited]
        kept = [s for s in factual if s.ok]
        # What remains answers only if the lead (the sentence that answers) survived.
        if not factual or not factual[0].ok or not any(s.cited for s in kept):
            return "rejected"
        return "trimmed"

    @property
    def text(self) -> str:
        """The answer as it may be shown: every sentence that passed."""
        return " ".join(s.text for s in self.sentences if s.ok)

    @property
    def dropped(self) -> list[str]:
        return [s.text for s in self.sentences if not s.ok]


class Evidence:
    """The passages an answer may cite, prepared once for checking many sentences
    (while streaming, sentence by sentence as they arrive)."""

    def __init__(self, passages: Sequence[str], question: str = "") -> None:
        self.texts = [evidence(p) for p in passages]
        self.folded = [_fold(t) for t in self.texts]
        self.numbers = [numbers(t) for t in self.texts]
        self.everything = _fold(" ".join([question, *self.texts]))

    def __len__(self) -> int:
        return len(self.texts)

    def check_sentence(self, sentence: str) -> SentenceCheck:
        cited = tuple(dict.fromkeys(int(n) for n in MARKER.findall(sentence)))
        plain = MARKER.sub(" ", sentence)
        problems: list[str] = []
        bad = [n for n in cited if not 1 <= n <= len(self)]
        problems += [f"unknown_citation: [{n}]" for n in bad]
        valid = [n for n in cited if 1 <= n <= len(self)]
        folded = " ".join(self.folded[n - 1] for n in valid)
        stated = numbers(plain)
        dates = [m[0] for m in _RELATIVE_DATES.finditer(plain)]
        months = [m[0] for m in MONTH.finditer(plain)]
        proper = names(plain)
        head = first_word(plain)
        # The first word is capitalised anyway; a name only when no passage uses the word.
        if (
            head
            and head.lower() not in STOPWORDS | _OPENERS
            and not _name_in(head, self.everything)
        ):
            proper = [head, *proper]
        has_facts = bool(stated or dates or months or proper)
        words = len(plain.split())
        needs_citation = has_facts or (words > 3 and not plain.rstrip().endswith("?"))
        if not cited:
            if needs_citation:
                problems.append("uncited")
            return SentenceCheck(sentence, cited, tuple(problems), needs_citation)
        supported = set().union(*(self.numbers[n - 1] for n in valid)) if valid else set()
        problems += [f"unsupported_number: {_show(v)}" for v in sorted(stated - supported)]
        problems += [f"unsupported_date: {d}" for d in dates + months if _fold(d) not in folded]
        problems += [f"unsupported_name: {n}" for n in proper if not _name_in(n, folded)]
        return SentenceCheck(sentence, cited, tuple(problems), needs_citation)

    def check(self, answer: str) -> GroundingReport:
        return GroundingReport(tuple(self.check_sentence(s) for s in split_sentences(answer)))


def split_sentences(answer: str) -> list[str]:
    """The answer's sentences, each with the markers that follow its full stop."""
    return sentences(_MARKER_AFTER_STOP.sub(r"\2\1", answer))


def _show(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value).replace(".", ",")


@lru_cache(maxsize=256)
def _cached(passages: tuple[str, ...], question: str) -> Evidence:
    return Evidence(passages, question)


def check(answer: str, passages: Sequence[str], question: str = "") -> GroundingReport:
    """Check one answer against the passages it may cite, numbered from 1."""
    return _cached(tuple(passages), question).check(answer)
