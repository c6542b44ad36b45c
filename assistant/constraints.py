"""Refusal: the extractive answerer's candidates checked against the question's hard
constraints (a year or number it asks about, the counted noun of "hvor mange X"), and the
reasons to say the documents do not answer (a name or an asked-for attribute nowhere in
them, too little of the question covered). Thresholds tuned like the answerer's weights.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set

from assistant.answer_types import content_stems
from assistant.answerer import Candidate, match_term, one_edit
from assistant.questions import QuestionAnalysis, mentions
from lhl.records import Passage
from lhl.text import normalize, stem, tokens

# Refusal thresholds.
MIN_COVERAGE = 0.2  # share of the question's idf the evidence window must cover
# How much worse than the best sentence one that meets the question's constraints may score
# (a sentence that has the asked-for year but little else of the question is no answer).
CONSTRAINED_MARGIN = 0.3

_COUNT_QUESTION = re.compile(r"\b(hvor|kor)\s+mange\b")


def _document_text(passages: Sequence[Passage], doc_id: str) -> str:
    """What the retrieved passages show of one document: its title and every passage of it."""
    parts = [p.chunk for p in passages if p.chunk.doc_id == doc_id]
    return "\n".join([parts[0].title] + [f"{c.section}\n{c.text}" for c in parts])


def _near(term: str, stem_list: Sequence[str]) -> bool:
    """A short word one letter off, same start: the counted noun in nynorsk ("byar" ~ "byer")."""
    return len(term) >= 4 and any(
        abs(len(s) - len(term)) <= 1 and s[:2] == term[:2] and one_edit(s, term) for s in stem_list
    )


def violation(q: QuestionAnalysis, passages: Sequence[Passage], cand: Candidate) -> str | None:
    """Which of the question's hard constraints the candidate does not meet, or None.

    A year or number the question asks about must stand in the answering sentence (or its
    heading; a year also in the document's title): the 2022 winner does not answer a question about 2019. "Hvor mange X" needs a
    quantity and X."""
    chunk = passages[cand.passage_index].chunk
    own = f"{chunk.section}\n{cand.lead or ''}\n{cand.text}"
    # A year in the title scopes the whole document ("Årsrapport 2022": "inngangen av året").
    for year in q.years:
        if not mentions(f"{chunk.title}\n{own}", year):
            return f"year {year} not in the answer"
    for number in q.numbers:
        if not q.states(own, number):
            return f"number {number} not in the answer"
    if q.focus and _COUNT_QUESTION.search(normalize(q.text)):
        if not cand.fits_type:
            return "no quantity in the answer"
        stems = content_stems(own)
        if not all(match_term(f, set(stems), stems) or _near(f, stems) for f in q.focus):
            return f"{'/'.join(q.focus)} not counted in the answer"
    return None


def constrain(
    q: QuestionAnalysis, passages: Sequence[Passage], ranked: Sequence[Candidate]
) -> tuple[list[Candidate], str | None]:
    """The candidates that meet the question's constraints, best first, when the first of
    them scores within CONSTRAINED_MARGIN of the best; otherwise none, and why."""
    if not ranked:
        return [], "no sentences"
    meeting = [c for c in ranked if violation(q, passages, c) is None]
    if meeting and meeting[0].score >= ranked[0].score - CONSTRAINED_MARGIN:
        return meeting, None
    return [], violation(q, passages, ranked[0]) or "constraints met only far down"


def known_word(word: str, vocabulary: Mapping[str, float], seen: Set[str] = frozenset()) -> bool:
    """Whether the documents have the word (a name from the question): the word itself among
    the retrieved passages' words `seen`, its stem in the index's vocabulary when stemming
    leaves it whole ("Trøndelag"; "Roma" → "rom" would match a room), the first part of a
    hyphenated name ("USHT-lunsjseminarene"), or a stem one letter off ("Heyerdal")."""
    parts = [p for p in word.split("-") if len(p) > 1] or [word]
    head = parts[0]
    bare = head[:-1] if head.endswith("s") and len(head) > 3 else head  # genitive "Neils"
    if bare in seen or any(t.startswith(bare) and len(t) - len(bare) <= 2 for t in seen):
        return True
    if len(bare) >= 5 and any(abs(len(t) - len(bare)) <= 1 and one_edit(t, bare) for t in seen):
        return True
    target = stem(head)
    if target in vocabulary and (target == head or len(parts) > 1):
        return True
    if len(target) < 5:
        return False
    return any(
        abs(len(v) - len(target)) <= 1 and v[:2] == target[:2] and one_edit(v, target)
        for v in vocabulary
    )


def refusal_reason(
    q: QuestionAnalysis,
    passages: Sequence[Passage],
    best: Candidate | None,
    vocabulary: Mapping[str, float],
) -> str | None:
    """Why the evidence does not answer the question, or None when it does: a name the
    documents never mention (a county, a product we do not cover), or too little of the
    question's weight in the best sentence, its neighbours and its heading, or an attribute
    ("hvem er *direktør* for …") its document never mentions."""
    if not passages or best is None:
        return "no passages"
    if q.names:
        words = set(
            tokens(" ".join(f"{p.chunk.title} {p.chunk.section} {p.chunk.text}" for p in passages))
        )
        for name in q.names:
            if not known_word(name, vocabulary, words):
                return f"{name} is nowhere in the documents"
    if q.attribute:
        doc = passages[best.passage_index].chunk.doc_id
        stems = content_stems(_document_text(passages, doc))
        if not (match_term(q.attribute, set(stems), stems) or _near(q.attribute, stems)):
            return f"{q.attribute} is not in the document"
    if best.coverage < MIN_COVERAGE:
        return f"coverage {best.coverage:.2f} too low"
    return None


def reader_reason(margins: Sequence[Sequence[float]], null_margin: float) -> str | None:
    """The reader's refusal: no unit of the passages it read beats "no answer" by
    `null_margin`."""
    best = max((m for ms in margins for m in ms), default=float("-inf"))
    if best < null_margin:
        return f"reader: best margin {best:.2f} below {null_margin:.2f}"
    return None
