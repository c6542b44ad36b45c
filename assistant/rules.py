"""The answer choice and refusal rules: hand-set weights and thresholds, in one place.

The numbers were found by coordinate search on NorQuAD validation and the known facts
kf001–kf253 (never NorQuAD test). A learned replacement (a logistic ranker over the same
inputs, and a listwise one, `training/fit_decision.py --ranker`) was built and measured on
the known facts and on everyday questions the reader never trained on: it did not beat these
rules (models/decision/MODEL_CARD.md), so the rules choose and refuse, and the learned
verifier (assistant/decide.py) says how sure the answer is.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from assistant.answerer import READER_FLOOR, Candidate, Features
from assistant.reader import Reading
from lhl.records import Passage


@dataclass(frozen=True)
class Weights:
    """How much each feature counts in a sentence's score."""

    own: float = 0.5
    residual: float = 0.6
    plain: float = 0.45
    bigram: float = 0.225
    figures: float = 0.2
    context: float = 0.525
    rank: float = -0.1
    type_evidence: float = 0.2
    opening: float = -0.4
    defines: float = 0.4
    heading: float = 3.0  # the section the question names answers it
    cue: float = 0.4
    too_long: float = -0.2
    too_short: float = -0.05
    reader: float = 0.0  # per logit of the reader's margin, when it has read the passages

    def score(self, f: Features) -> float:
        return float(sum(getattr(self, name) * getattr(f, name) for name in Features.__slots__))


LEXICAL_WEIGHTS = Weights()
READER_WEIGHTS = Weights(reader=0.05)
# Reader-first ordering of the passages: a passage's best margin, less this per place it
# was ranked lower by retrieval.
RERANK_RANK_PENALTY = 2.0
# The reader refuses when no unit of the passages considered beats "no answer" by this,
# unless the question names the section that answers.
READER_NULL_MARGIN = -2.0
MIN_COVERAGE = 0.2  # share of the question's idf the evidence window must cover
# How much worse than the best sentence one that meets the question's constraints may score
# (a sentence that has the asked-for year but little else of the question is no answer).
CONSTRAINED_MARGIN = 0.3


class Refusal(enum.StrEnum):
    """Why the documents are taken not to answer."""

    NO_PASSAGES = "no_passages"  # nothing retrieved, or no sentence in it
    CONSTRAINT = "constraint"  # no sentence holds the asked-for year, number or counted thing
    UNKNOWN_NAME = "unknown_name"  # a name in the question is nowhere in the documents
    MISSING_ATTRIBUTE = "missing_attribute"  # "hvem er direktør …": no director in the document
    LOW_COVERAGE = "low_coverage"  # too little of the question in the best sentence's window
    READER_NO_ANSWER = "reader_no_answer"  # the reader finds no sentence that answers


def rank(candidates: Sequence[Candidate], read: bool) -> list[Candidate]:
    """The candidates scored by the weights, best first (on a tie a table cell shown with its
    row's first cell beats that first cell alone)."""
    weights = READER_WEIGHTS if read else LEXICAL_WEIGHTS
    scored = [replace(c, score=weights.score(c.features)) for c in candidates if c.features]
    return sorted(scored, key=lambda c: (-c.score, c.lead is None))


def constrain(
    ranked: Sequence[Candidate], violated: Sequence[bool]
) -> tuple[list[Candidate], Refusal | None]:
    """The candidates that meet the question's constraints (`violated`: whether each one of
    `ranked` breaks one, constraints.violation), best first, when the first of them scores
    within CONSTRAINED_MARGIN of the best; otherwise none, and why."""
    if not ranked:
        return [], Refusal.NO_PASSAGES
    meeting = [c for c, broken in zip(ranked, violated, strict=True) if not broken]
    if meeting and meeting[0].score >= ranked[0].score - CONSTRAINED_MARGIN:
        return meeting, None
    return [], Refusal.CONSTRAINT


def refusal(
    best: Candidate, reader_best: float | None, names_unknown: bool, attribute_missing: bool
) -> Refusal | None:
    """Why the best candidate does not answer, or None when it does. What it reads was
    measured once (decide.question_facts, decide.best_inputs): `reader_best`, the reader's
    best margin over the passages (None when unread); `names_unknown`, a name in the question
    is nowhere in the documents; `attribute_missing`, the asked-for attribute is not in the
    best candidate's document."""
    if reader_best is not None and not names_section(best):
        if reader_best < READER_NULL_MARGIN:
            return Refusal.READER_NO_ANSWER
    if names_unknown:
        return Refusal.UNKNOWN_NAME
    if attribute_missing:
        return Refusal.MISSING_ATTRIBUTE
    if best.coverage < MIN_COVERAGE:
        return Refusal.LOW_COVERAGE
    return None


def names_section(cand: Candidate) -> bool:
    """Whether the candidate opens the section the question names: that answers by its
    heading, whatever the reader makes of the sentence."""
    return bool(cand.features and cand.features.heading)


def rerank(passages: list[Passage], readings: Mapping[str, Reading]) -> list[Passage]:
    """The passages in the reader's order: best margin, less RERANK_RANK_PENALTY per place
    retrieval ranked it lower (unread passages keep their place after the read ones)."""

    def key(item: tuple[int, Passage]) -> float:
        i, p = item
        best = max(readings[p.chunk.id].units, default=READER_FLOOR)
        return -(best - RERANK_RANK_PENALTY * i)

    read = sorted(((i, p) for i, p in enumerate(passages) if p.chunk.id in readings), key=key)
    rest = [p for p in passages if p.chunk.id not in readings]
    return [p for _, p in read] + rest
