"""Run questions through a target (the assistant in process, or a service over HTTP) and
score the answers as docs/contract.md defines."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from eval.questions import EvalQuestion, contains
from eval.records import CitationJSON, Result, Summary
from lhl.errors import LhlError
from lhl.records import Mode

if TYPE_CHECKING:
    from assistant.service import Assistant


class AnswerError(Exception):
    """One question could not be answered (an error status, an invalid question). The run goes
    on; the question counts as failed. `message` is Norwegian."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Target(Protocol):
    def ask(self, question: EvalQuestion) -> dict[str, Any]:
        """The Answer object (docs/contract.md) as JSON; AnswerError for this question alone."""
        ...


class InProcessTarget:
    def __init__(self, assistant: Assistant, mode: Mode | None = None) -> None:
        self.assistant = assistant
        self.mode = mode

    def ask(self, question: EvalQuestion) -> dict[str, Any]:
        try:
            answer = self.assistant.ask(question.question, question.history, mode=self.mode)
        except LhlError as exc:
            raise AnswerError(exc.message) from exc
        return answer.to_dict()


# Why a question failed, in words an evaluator reads in the report.
REASON_ERROR = "feil: {message}"
REASON_ANSWERED_UNANSWERABLE = "svarte på et spørsmål dokumentene ikke svarer på"
REASON_NOT_FOUND = "svarte «ikke funnet»"
REASON_EXPECTED_MISSING = "forventet svar mangler i svaret"
REASON_LIST_PARTIAL = "listen er ikke hel: mangler {missing}"
REASON_LIST_MISSING = "ingen av de forventede punktene i listen står i svaret"
REASON_EVIDENCE_MISSING = "ingen kilde inneholder beviset"


def score(q: EvalQuestion, answer: dict[str, Any], latency_ms: float) -> Result:
    found = bool(answer.get("found"))
    text = str(answer.get("answer") or "")
    citations: list[CitationJSON] = list(answer.get("citations") or [])
    evidence_citation = None
    if q.evidence:
        evidence_citation = next(
            (
                int(c.get("n") or i)
                for i, c in enumerate(citations, start=1)
                if contains(str(c.get("text") or ""), q.evidence)
            ),
            None,
        )
    evidence_found = (evidence_citation is not None) if q.evidence else None
    matched = next((e for e in q.expected if contains(text, e)), None)
    missing = [e for e in q.expected_all if not contains(text, e)]
    partial = bool(q.answerable and found and missing and len(missing) < len(q.expected_all))
    reasons: list[str] = []
    if not q.answerable:
        if found:
            reasons.append(REASON_ANSWERED_UNANSWERABLE)
    elif not found:
        reasons.append(REASON_NOT_FOUND)
    else:
        if q.expected and matched is None:
            reasons.append(REASON_EXPECTED_MISSING)
        if partial:
            reasons.append(REASON_LIST_PARTIAL.format(missing=", ".join(f"«{e}»" for e in missing)))
        elif missing:
            reasons.append(REASON_LIST_MISSING)
        if evidence_found is False:
            reasons.append(REASON_EVIDENCE_MISSING)
    return Result(
        id=q.id,
        question=q.question,
        passed=not reasons,
        found=found,
        answer=text,
        citations=citations,
        latency_ms=round(latency_ms, 2),
        reason="; ".join(reasons),
        answerable=q.answerable,
        expected=list(q.expected),
        evidence=q.evidence,
        evidence_found=evidence_found,
        tags=dict(q.tags),
        resolved_question=answer.get("resolved_question"),
        history=[{"role": t.role, "content": t.content} for t in q.history],
        matched=matched,
        evidence_citation=evidence_citation,
        mode=answer.get("mode"),
        expected_all=list(q.expected_all),
        missing=missing if q.answerable and found else [],
        partial=partial,
        grounding=(answer.get("grounding") or {}).get("verdict"),
        confidence=answer.get("confidence"),
    )


def failed_result(q: EvalQuestion, message: str, latency_ms: float) -> Result:
    result = score(q, {"found": False, "answer": ""}, latency_ms)
    result.passed = False
    result.reason = REASON_ERROR.format(message=message)
    result.error = message
    return result


def run(
    target: Target,
    questions: Iterable[EvalQuestion],
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    results = []
    for q in questions:
        t0 = time.perf_counter()
        try:
            answer = target.ask(q)
        except AnswerError as exc:
            result = failed_result(q, exc.message, (time.perf_counter() - t0) * 1000)
        else:
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


def summarize(results: Sequence[Result]) -> Summary:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    with_evidence = [r for r in answerable if r.evidence]
    answered = [r for r in answerable if r.found]
    latencies = [r.latency_ms for r in results]
    return Summary(
        questions=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        answer_accuracy=_ratio(sum(r.passed for r in answerable), len(answerable)),
        list_questions=sum(bool(r.expected_all) for r in answerable),
        partial=sum(r.partial for r in answerable),
        evidence_recall=_ratio(
            sum(bool(r.evidence_found) for r in with_evidence), len(with_evidence)
        ),
        refusal_accuracy=_ratio(sum(r.passed for r in unanswerable), len(unanswerable)),
        false_answer_rate=_ratio(sum(r.found for r in unanswerable), len(unanswerable)),
        answer_chars_median=(
            int(statistics.median([len(r.answer) for r in answered])) if answered else 0
        ),
        latency_ms_p50=percentile(latencies, 0.5),
        latency_ms_p95=percentile(latencies, 0.95),
        errors=sum(r.error is not None for r in results),
    )
