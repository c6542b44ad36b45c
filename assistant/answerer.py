"""The extractive answerer: picks the sentence or two that answer the question from the top
passages, or refuses when the evidence does not cover the question.

Named steps: `candidates()` scores every sentence of the top passages; `choose()` picks the
answer sentences; `refusal_reason()` decides whether the evidence is good enough.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.questions import MONTHS, QuestionAnalysis, mentions
from lhl.records import Passage
from lhl.text import STOPWORDS, sentences, stem, terms, tokens

PASSAGES_CONSIDERED = 4
MAX_ANSWER_CHARS = 320

_HAS_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b|\b(to|tre|fire|fem|seks|sju|syv|åtte|ni|ti|elleve|tolv|tjue|hundre|tusen)\b")
_HAS_DATE = re.compile(rf"\b(19|20)\d\d\b|\b\d{{1,2}}\.\s*({MONTHS})\b|\b({MONTHS})\b|\bkvartal\b|\b(våren|høsten|sommeren|vinteren)\b|\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}}")
_HAS_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-ZÆØÅ][\wæøå-]+")
_DEFINITION_CUE = re.compile(r"\b(er|var|betyr|innebærer|handler om|går ut på|består av|defineres)\b")
_WHY_CUE = re.compile(r"\b(for å|fordi|formål|hensikt|målet|mål med|skal bidra|bidra til|slik at|derfor|grunnet|på grunn av)\b")
_HOW_CUE = re.compile(r"\b(ved å|gjennom|med|ved hjelp av|slik|ved)\b")
_LIST_CUE = re.compile(r",|\bog\b|^•|:")


@dataclass
class Candidate:
    passage_index: int
    sentence_index: int
    text: str
    score: float
    coverage: float


def _idf(term: str, df: dict[str, int], n: int) -> float:
    return math.log(1 + n / (1 + df.get(term, 0)))


def _sentence_terms(text: str) -> set[str]:
    return {stem(t) for t in tokens(text) if t not in STOPWORDS}


def candidates(q: QuestionAnalysis, passages: list[Passage], idf: dict[str, float]) -> list[Candidate]:
    q_terms = set(q.terms)
    total = sum(idf.get(t, 1.0) for t in q_terms) or 1.0
    out: list[Candidate] = []
    for pi, passage in enumerate(passages[:PASSAGES_CONSIDERED]):
        sents = sentences(passage.chunk.text)
        sent_terms = [_sentence_terms(s) for s in sents]
        section_terms = _sentence_terms(passage.chunk.section + " " + passage.chunk.title)
        for si, sent in enumerate(sents):
            own = sum(idf.get(t, 1.0) for t in q_terms & sent_terms[si]) / total
            near = 0.0
            for sj in (si - 1, si + 1):
                if 0 <= sj < len(sents):
                    near = max(near, sum(idf.get(t, 1.0) for t in q_terms & sent_terms[sj]) / total)
            ctx = sum(idf.get(t, 1.0) for t in q_terms & section_terms) / total
            score = own + 0.25 * near + 0.15 * ctx
            score += 0.35 * passage.score
            score += _type_fit(q, sent)
            score -= 0.002 * max(0, len(sent) - 250)
            if len(sent) < 25:
                score -= 0.15
            coverage = sum(idf.get(t, 1.0) for t in q_terms & (sent_terms[si] | section_terms)) / total
            out.append(Candidate(pi, si, sent, score, coverage))
    out.sort(key=lambda c: -c.score)
    return out


def _type_fit(q: QuestionAnalysis, sentence: str) -> float:
    s = sentence.lower()
    match q.qtype:
        case "antall":
            return 0.3 if _HAS_NUMBER.search(s) else -0.2
        case "dato":
            return 0.3 if _HAS_DATE.search(s) else -0.2
        case "hvem":
            return 0.2 if _HAS_NAME.search(sentence) else 0.0
        case "definisjon":
            return 0.1 if _DEFINITION_CUE.search(s) else 0.0
        case "hvorfor":
            return 0.2 if _WHY_CUE.search(s) else 0.0
        case "hvordan":
            return 0.1 if _HOW_CUE.search(s) else 0.0
        case "liste":
            return 0.1 if _LIST_CUE.search(s) else 0.0
    return 0.0


def refusal_reason(q: QuestionAnalysis, passages: list[Passage], best: Candidate | None) -> str | None:
    """Why the evidence does not answer the question, or None when it does."""
    if not passages or best is None:
        return "no passages"
    evidence = passages[best.passage_index].chunk
    evidence_text = f"{evidence.title} {evidence.section} {evidence.text}"
    for year in q.years:
        if not mentions(evidence_text, year):
            return f"year {year} not in evidence"
    for number in q.numbers:
        if not mentions(evidence_text, number):
            return f"number {number} not in evidence"
    for name in q.names:
        if not mentions(evidence_text, name) and not any(
            mentions(p.chunk.text, name) for p in passages[:2]
        ):
            return f"name {name} not in evidence"
    if best.coverage < 0.34:
        return f"coverage {best.coverage:.2f} too low"
    return None


def choose(q: QuestionAnalysis, passages: list[Passage], ranked: list[Candidate]) -> list[Candidate]:
    """The answer sentences: the best one, plus its neighbour when the best is an intro or
    too short to stand alone."""
    best = ranked[0]
    chosen = [best]
    sents = sentences(passages[best.passage_index].chunk.text)
    nxt = best.sentence_index + 1
    wants_more = best.text.endswith(":") or len(best.text) < 60 or (
        q.qtype == "liste" and not _LIST_CUE.search(best.text)
    )
    if wants_more and nxt < len(sents) and len(best.text) + len(sents[nxt]) < MAX_ANSWER_CHARS:
        chosen.append(Candidate(best.passage_index, nxt, sents[nxt], best.score, best.coverage))
    return chosen


def corpus_idf(q: QuestionAnalysis, index_df: dict[str, int], n_docs: int) -> dict[str, float]:
    return {t: _idf(t, index_df, n_docs) for t in q.terms}


__all__ = ["Candidate", "candidates", "choose", "refusal_reason", "corpus_idf", "terms"]
