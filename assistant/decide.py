"""How sure an answer is, learned: a calibrated verifier that reads the chosen sentence's
inputs (lexical features, retrieval ranks and scores, the question's constraints, the
reader's margins) and how far it leads the runner-up, and gives the probability that the
answer is right: the Answer's `confidence`.

One logistic model for questions the reader has read, one for the lexical answer
(`LHL_READER=off`, or the reader missed its budget); fit on training questions only
(training/fit_decision.py; models/decision/decision.json).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.answerer import Candidate
from assistant.constraints import missing_attribute, unknown_name
from assistant.questions import QuestionAnalysis
from assistant.reader import Reading
from lhl.records import Passage

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "models" / "decision" / "decision.json"
NOT_RANKED = 20.0  # a passage one retriever did not return

LEXICAL = (
    "own",
    "residual",
    "plain",
    "bigram",
    "figures",
    "context",
    "rank",
    "type_evidence",
    "opening",
    "defines",
    "heading",
    "cue",
    "too_long",
    "too_short",
    "coverage",
    "own_gap",
    "violation",
    "unknown_name",
    "missing_attribute",
    "passage_score",
    "lexical_rank",
    "dense_rank",
)
READER = (*LEXICAL, "reader", "reader_gap", "reader_best", "in_span")


@dataclass(frozen=True)
class Linear:
    """A standardised logistic regression over `names`."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def logit(self, row: Mapping[str, float]) -> float:
        return self.intercept + sum(
            c * (row[n] - m) / s
            for c, n, m, s in zip(self.coef, self.names, self.mean, self.scale, strict=True)
        )

    @staticmethod
    def from_dict(d: Mapping[str, object]) -> Linear:
        def floats(key: str) -> tuple[float, ...]:
            value = d[key]
            assert isinstance(value, list)
            return tuple(float(v) for v in value)

        names = d["names"]
        assert isinstance(names, list)
        return Linear(
            tuple(str(n) for n in names),
            floats("mean"),
            floats("scale"),
            floats("coef"),
            float(d["intercept"]),  # type: ignore[arg-type]
        )


# What the verifier reads: the best candidate's own inputs and how far it leads the next.
VERIFIER_FROM_BEST = (
    "own",
    "plain",
    "coverage",
    "type_evidence",
    "violation",
    "unknown_name",
    "missing_attribute",
    "passage_score",
    "heading",
    "defines",
)
VERIFIER_READER = ("reader", "reader_best", "in_span")
VERIFIER_LEXICAL = ("top_score", "gap", *VERIFIER_FROM_BEST)
VERIFIER = (*VERIFIER_LEXICAL, *VERIFIER_READER)


def verifier_row(rows: Sequence[Mapping[str, float]], scores: Sequence[float]) -> dict[str, float]:
    """The verifier's inputs from the candidates' inputs and scores, best first."""
    best = rows[0]
    out = {n: float(best[n]) for n in (*VERIFIER_FROM_BEST, *VERIFIER_READER)}
    out["top_score"] = float(scores[0])
    out["gap"] = float(scores[0] - scores[1]) if len(scores) > 1 else NO_RUNNER_UP
    return out


NO_RUNNER_UP = 3.0  # the gap when only one candidate stands


@dataclass(frozen=True)
class Decision:
    """Both modes' verifiers, and what they were fit on and how (recorded in eval reports)."""

    reader: Linear
    lexical: Linear
    meta: dict[str, object] = field(default_factory=dict)

    def confidence(
        self, read: bool, rows: Sequence[Mapping[str, float]], scores: Sequence[float]
    ) -> float:
        """The probability that the best candidate answers (`rows`, `scores` best first)."""
        model = self.reader if read else self.lexical
        return sigmoid(model.logit(verifier_row(rows, scores)))


def load(path: Path | None = None) -> Decision:
    d = json.loads((path or DEFAULT_PATH).read_text(encoding="utf-8"))
    return Decision(
        Linear.from_dict(d["reader"]), Linear.from_dict(d["lexical"]), d.get("meta", {})
    )


def untrained() -> Decision:
    """A verifier that says one half to everything: for collecting what the answer step sees
    before a model is fit (training/fit_decision.py)."""
    blank = Linear((), (), (), (), 0.0)
    return Decision(blank, blank)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


@dataclass(frozen=True)
class QuestionFacts:
    """What holds for the question as a whole (the same for every candidate)."""

    unknown_name: bool
    reader_best: float


def question_facts(
    q: QuestionAnalysis,
    passages: Sequence[Passage],
    vocabulary: Mapping[str, float],
    margins: Sequence[Sequence[float]] | None,
) -> QuestionFacts:
    best = max((m for ms in margins or () for m in ms), default=-8.0)
    return QuestionFacts(
        unknown_name(q, passages, vocabulary) is not None, max(-8.0, min(8.0, best))
    )


def features(
    q: QuestionAnalysis,
    passages: Sequence[Passage],
    ranked: Sequence[Candidate],
    violated: Sequence[bool],
    facts: QuestionFacts,
    readings: Mapping[str, Reading] | None,
) -> list[dict[str, float]]:
    """Each candidate's inputs to the model, by name (READER's names; LEXICAL's are a part).
    `violated`: whether each candidate breaks one of the question's constraints."""
    top_own = max((c.features.own for c in ranked if c.features), default=0.0)
    # Whether the asked-for attribute is in a document: once per document, not per sentence.
    missing: dict[str, float] = {}
    for c in ranked:
        doc = passages[c.passage_index].chunk.doc_id
        if doc not in missing:
            missing[doc] = float(missing_attribute(q, passages, c) is not None)
    out = []
    for c, broken in zip(ranked, violated, strict=True):
        f = c.features
        assert f is not None
        p = passages[c.passage_index]
        reading = readings.get(p.chunk.id) if readings else None
        row = {name: float(getattr(f, name)) for name in LEXICAL[:14]}
        row.update(
            coverage=c.coverage,
            own_gap=f.own - top_own,
            violation=float(broken),
            unknown_name=float(facts.unknown_name),
            missing_attribute=missing[p.chunk.doc_id],
            passage_score=p.score,
            lexical_rank=float(p.lexical_rank if p.lexical_rank is not None else NOT_RANKED),
            dense_rank=float(p.dense_rank if p.dense_rank is not None else NOT_RANKED),
            reader=f.reader,
            reader_gap=f.reader - facts.reader_best,
            reader_best=facts.reader_best,
            in_span=float(reading is not None and reading.unit_of_span() == c.sentence_index),
        )
        out.append(row)
    return out
