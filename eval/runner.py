"""Run questions through a target (the assistant in process, or a service over HTTP) and
score the answers as CONTRACT.md defines."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from eval.questions import EvalQuestion, contains


class Target(Protocol):
    def ask(self, question: EvalQuestion) -> dict[str, Any]: ...


class InProcessTarget:
    def __init__(self, assistant: Any, mode: str | None = None) -> None:
        self.assistant = assistant
        self.mode = mode

    def ask(self, question: EvalQuestion) -> dict[str, Any]:
        return self.assistant.ask(question.question, question.history, mode=self.mode).to_dict()


@dataclass
class Result:
    id: str
    question: str
    passed: bool
    found: bool
    answer: str
    citations: list[dict[str, Any]]
    latency_ms: float
    reason: str
    answerable: bool = True
    expected: list[str] = field(default_factory=list)
    evidence: str | None = None
    evidence_found: bool | None = None
    tags: dict[str, str] = field(default_factory=dict)
    resolved_question: str | None = None


def score(q: EvalQuestion, answer: dict[str, Any], latency_ms: float) -> Result:
    found = bool(answer.get("found"))
    text = answer.get("answer", "")
    citations = answer.get("citations") or []
    evidence_found = (
        any(contains(c.get("text", ""), q.evidence) for c in citations) if q.evidence else None
    )
    if not q.answerable:
        passed = not found
        reason = "" if passed else "svarte på et spørsmål dokumentene ikke svarer på"
    elif not found:
        passed, reason = False, "svarte «ikke funnet»"
    elif q.expected and not any(contains(text, e) for e in q.expected):
        passed, reason = False, "forventet svar mangler i svaret"
    elif evidence_found is False:
        passed, reason = False, "ingen kilde inneholder beviset"
    else:
        passed, reason = True, ""
    return Result(
        id=q.id,
        question=q.question,
        passed=passed,
        found=found,
        answer=text,
        citations=citations,
        latency_ms=round(latency_ms, 2),
        reason=reason,
        answerable=q.answerable,
        expected=list(q.expected),
        evidence=q.evidence,
        evidence_found=evidence_found,
        tags=q.tags,
        resolved_question=answer.get("resolved_question"),
    )


def run(
    target: Target,
    questions: Iterable[EvalQuestion],
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    results = []
    for q in questions:
        t0 = time.perf_counter()
        answer = target.ask(q)
        result = score(q, answer, (time.perf_counter() - t0) * 1000)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def _ratio(num: int, den: int) -> float:
    return round(num / den, 4) if den else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 2)


def summarize(results: Sequence[Result]) -> dict[str, Any]:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    with_evidence = [r for r in answerable if r.evidence]
    answered = [r for r in answerable if r.found]
    latencies = [r.latency_ms for r in results]
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answer_accuracy": _ratio(sum(r.passed for r in answerable), len(answerable)),
        "evidence_recall": _ratio(sum(bool(r.evidence_found) for r in with_evidence), len(with_evidence)),
        "refusal_accuracy": _ratio(sum(r.passed for r in unanswerable), len(unanswerable)),
        "false_answer_rate": _ratio(sum(r.found for r in unanswerable), len(unanswerable)),
        "answer_chars_median": int(statistics.median([len(r.answer) for r in answered])) if answered else 0,
        "latency_ms_p50": percentile(latencies, 0.5),
        "latency_ms_p95": percentile(latencies, 0.95),
    }
