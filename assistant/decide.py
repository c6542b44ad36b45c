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

from assistant.answerer import READER_CEILING, READER_FLOOR, Candidate
from assistant.constraints import missing_attribute, unknown_name
from assistant.questions import QuestionAnalysis
from assistant.reader import Reading
from lhl.records import Passage

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "models" / "decision" / "decision.json"


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


def verifier_row(best: Mapping[str, float], scores: Sequence[float]) -> dict[str, float]:
    """The verifier's inputs from the best candidate's inputs and the candidates' scores, best
    first."""
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

    def confidence(self, read: bool, best: Mapping[str, float], scores: Sequence[float]) -> float:
        """The probability that the best candidate answers (`best`: its inputs; `scores` of
        the candidates, best first)."""
        model = self.reader if read else self.lexical
        return sigmoid(model.logit(verifier_row(best, scores)))


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
    best = max((m for ms in margins or () for m in ms), default=READER_FLOOR)
    return QuestionFacts(
        unknown_name(q, passages, vocabulary) is not None,
        max(READER_FLOOR, min(READER_CEILING, best)),
    )


def best_inputs(
    q: QuestionAnalysis,
    passages: Sequence[Passage],
    best: Candidate,
    violated: bool,
    facts: QuestionFacts,
    readings: Mapping[str, Reading] | None,
) -> dict[str, float]:
    """The best candidate's inputs to the verifier, by name (VERIFIER_FROM_BEST and
    VERIFIER_READER). `violated`: whether it breaks one of the question's constraints."""
    f = best.features
    assert f is not None
    p = passages[best.passage_index]
    reading = readings.get(p.chunk.id) if readings else None
    return {
        "own": f.own,
        "plain": f.plain,
        "coverage": best.coverage,
        "type_evidence": f.type_evidence,
        "violation": float(violated),
        "unknown_name": float(facts.unknown_name),
        "missing_attribute": float(missing_attribute(q, passages, best) is not None),
        "passage_score": p.score,
        "heading": float(f.heading),
        "defines": float(f.defines),
        "reader": f.reader,
        "reader_best": facts.reader_best,
        "in_span": float(reading is not None and reading.unit_of_span() == best.sentence_index),
    }
