"""The answer step: passages (and the reader's readings, when it read them) → `Extracted`,
the answer's sentences with their confidence, or a typed reason to refuse.

    candidates (assistant/answerer.py)  every sentence or table cell of the top passages,
                                        with its features
    rules      (assistant/rules.py)     score and rank them; the question's constraints;
                                        the reasons to refuse
    verifier   (assistant/decide.py)    the probability that the best one answers
    compose    (assistant/compose.py)   the best sentence first, a neighbour it leans on,
                                        runners-up that score nearly as well

Used by the service, the tests and the fitting script alike (training/fit_decision.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assistant import answerer, compose, decide, reading, rules
from assistant.constraints import violation
from assistant.questions import QuestionAnalysis
from assistant.reader import Reading
from assistant.rules import Refusal
from lhl.records import Passage

__all__ = ["Extracted", "Refusal", "extract"]


@dataclass(frozen=True)
class Extracted:
    ranked: list[answerer.Candidate]  # the candidates that meet the constraints, best first
    chosen: list[answerer.Candidate] = field(default_factory=list)  # the answer, best first
    confidence: float = 0.0  # the probability that the best candidate answers
    refusal: Refusal | None = None
    span: str | None = None  # the reader's answer span within the best sentence
    inputs: dict[str, float] = field(default_factory=dict)  # the best's, for fitting

    @property
    def best(self) -> answerer.Candidate | None:
        return self.ranked[0] if self.ranked else None


def extract(
    q: QuestionAnalysis,
    passages: Sequence[Passage],
    idf: Mapping[str, float],
    readings: Mapping[str, Reading] | None,
    decision: decide.Decision,
) -> Extracted:
    """The answer step (see the module's docstring). `passages` in the order the answer step
    reads them (the service puts them in the reader's order first, `rules.rerank`)."""
    read = readings is not None
    margins = reading.margins(passages, readings) if readings is not None else None
    everything = rules.rank(answerer.candidates(q, passages, idf, margins), read)
    # Measured once per candidate: the rules keep those that meet the constraints, and the
    # verifier reads it of the candidates shown.
    violated = [violation(q, passages, c) is not None for c in everything]
    ranked, refusal = rules.constrain(everything, violated)
    shown = ranked or everything  # a refusal's closest sentences
    if not shown:
        return Extracted([], refusal=Refusal.NO_PASSAGES)
    shown_violated = [False] * len(ranked) if ranked else violated  # the kept meet them all
    facts = decide.question_facts(q, passages, idf, margins)
    inputs = decide.best_inputs(q, passages, shown[0], shown_violated[0], facts, readings)
    confidence = decision.confidence(read, inputs, [c.score for c in shown])
    if refusal is None:
        reader_best = facts.reader_best if read else None
        missing = bool(inputs["missing_attribute"])
        refusal = rules.refusal(shown[0], reader_best, facts.unknown_name, missing)
    if refusal is not None:
        return Extracted(shown, confidence=confidence, refusal=refusal, inputs=inputs)
    chosen = compose.choose(q, passages, ranked)
    span = reading.answer_span(readings, passages, ranked[0]) if readings is not None else None
    return Extracted(ranked, chosen, confidence, None, span, inputs)
