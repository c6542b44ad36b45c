"""Question analysis: what kind of answer is asked for, and what the answer must mention."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lhl.text import normalize, terms, tokens

QuestionType = Literal[
    "antall", "dato", "hvem", "liste", "definisjon", "hvorfor", "hvordan", "hvor", "annet"
]

# Ordered: the first pattern that matches the start of the question decides.
_TYPE_PATTERNS: list[tuple[QuestionType, re.Pattern[str]]] = [
    ("antall", re.compile(r"\b(hvor|kor)\s+(mange|mye|mykje|stor|store|høy|lang|lenge|gammel)\b|\bantall\b|\bhvor mange\b")),
    ("dato", re.compile(r"\b(når|kva tid|hvilket år|hvilke år|hvilken dato|hvilket tidspunkt|hvilken måned|kva år|kva dato|fra når|siden når|årstall)\b")),
    ("hvorfor", re.compile(r"\b(hvorfor|kvifor|hva er formålet|kva er formålet|hva er hensikten|hvilken hensikt|hva skal .* bidra)\b")),
    ("hvordan", re.compile(r"\b(hvordan|korleis|på hvilken måte|på kva måte)\b")),
    ("hvem", re.compile(r"\b(hvem|kven|hvilken kommune|hvilke kommuner|hvilken organisasjon|hvilket selskap|hvilket byrå|hvilken aktør|hvilke aktører|hvem sine)\b")),
    ("definisjon", re.compile(r"^\s*(hva|kva)\s+(er|var|betyr|menes med|innebærer|inneber|handler|går ut på|gjelder)\b|\b(hva|kva) står .* for\b")),
    ("hvor", re.compile(r"^\s*(hvor|kor)\b(?!\s+(mange|mye|mykje|stor|lenge))|\bhvilket sted\b|\bhvilken by\b")),
    ("liste", re.compile(r"\b(hvilke|kva for nokre|nevn|list opp|hva består|kva består|hvilken|hvilket|kva for)\b")),
]

_MONTHS = "januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember"
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")

# Capitalised words that are not names in the sense of a constraint.
_COMMON_CAPS = {
    "hvem", "hva", "hvor", "hvilke", "hvilken", "hvilket", "når", "hvordan", "hvorfor", "kven",
    "kva", "kor", "korleis", "kvifor", "og", "i", "leve", "livet", "hele", "norge", "reformen",
}


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    qtype: QuestionType
    terms: tuple[str, ...]  # stemmed content terms
    years: tuple[str, ...]
    numbers: tuple[str, ...]  # numbers other than years
    names: tuple[str, ...]  # lower-cased proper-name tokens (mid-sentence capitals)


def question_type(question: str) -> QuestionType:
    q = normalize(question)
    for qtype, pattern in _TYPE_PATTERNS:
        if pattern.search(q):
            return qtype
    return "annet"


def analyse(question: str) -> QuestionAnalysis:
    years = tuple(dict.fromkeys(_YEAR.findall(question)))
    numbers = tuple(n for n in dict.fromkeys(_NUMBER.findall(question)) if n not in years)
    words = re.findall(r"[A-ZÆØÅ][\wæøåÆØÅ-]+", question)
    first = question.strip().split(" ", 1)[0] if question.strip() else ""
    names = tuple(
        dict.fromkeys(
            w.lower() for w in words if w != first and w.lower() not in _COMMON_CAPS and len(w) > 1
        )
    )
    return QuestionAnalysis(
        text=question,
        qtype=question_type(question),
        terms=tuple(dict.fromkeys(terms(question))),
        years=years,
        numbers=numbers,
        names=names,
    )


def mentions(text: str, token: str) -> bool:
    """Whether `token` (a year, number or lower-cased name) occurs in `text` as a word."""
    norm = normalize(text)
    if token.isdigit():
        return re.search(rf"(?<![\d]){re.escape(token)}(?![\d])", norm) is not None
    return token in tokens(norm) or token in norm


MONTHS = _MONTHS
