"""The question's hard constraints, measured for the learned decision (assistant/decide.py):
whether a candidate holds the year or number the question asks about and the counted noun of
"hvor mange X", and whether a name or an asked-for attribute is nowhere in the documents.
Each is an input to the model, not a rule of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set

from assistant.answer_types import content_stems
from assistant.answerer import Candidate, match_term
from assistant.questions import QuestionAnalysis, mentions
from lhl.lexicon import one_edit, one_letter_off
from lhl.records import Passage
from lhl.text import normalize, stem, tokens

_COUNT_QUESTION = re.compile(r"\b(hvor|kor)\s+mange\b")


def _document_text(passages: Sequence[Passage], doc_id: str) -> str:
    """What the retrieved passages show of one document: its title and every passage of it."""
    parts = [p.chunk for p in passages if p.chunk.doc_id == doc_id]
    return "\n".join([parts[0].title] + [f"{c.section}\n{c.text}" for c in parts])


def _near(term: str, stem_list: Sequence[str]) -> bool:
    """A short word one letter off, same start: the counted noun in nynorsk ("byar" ~ "byer")."""
    return len(term) >= 4 and one_letter_off(term, stem_list)


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
    if len(bare) >= 5 and any(one_edit(t, bare) for t in seen):
        return True
    target = stem(head)
    if target in vocabulary and (target == head or len(parts) > 1):
        return True
    if len(target) < 5:
        return False
    return one_letter_off(target, vocabulary)


def unknown_name(
    q: QuestionAnalysis, passages: Sequence[Passage], vocabulary: Mapping[str, float]
) -> str | None:
    """A name in the question the documents never mention (a county, a product we do not
    cover), or None."""
    if not q.names:
        return None
    words = set(
        tokens(" ".join(f"{p.chunk.title} {p.chunk.section} {p.chunk.text}" for p in passages))
    )
    for name in q.names:
        if not known_word(name, vocabulary, words):
            return f"{name} is nowhere in the documents"
    return None


def missing_attribute(
    q: QuestionAnalysis, passages: Sequence[Passage], cand: Candidate
) -> str | None:
    """An attribute the question asks for ("hvem er *direktør* for …") that the candidate's
    document never mentions, or None."""
    if not q.attribute:
        return None
    doc = passages[cand.passage_index].chunk.doc_id
    stems = content_stems(_document_text(passages, doc))
    if match_term(q.attribute, set(stems), stems) or _near(q.attribute, stems):
        return None
    return f"{q.attribute} is not in the document"
