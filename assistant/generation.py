"""Asking the model and checking what it says: the generative answer's named steps.

ask the model (whole, or streamed) → split into sentences → check each against the passages
it cites → keep, trim or reject → renumber the markers in reading order.

Streamed, a sentence is given out only once it is complete and has passed its check, so an
invented figure never reaches the reader, not even for a moment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.generative import (
    NOT_FOUND_TOKEN,
    GenerativeAnswerer,
    ModelUnavailable,
    clean,
    passage_texts,
)
from assistant.grounding import Evidence, GroundingReport, SentenceCheck, split_sentences
from lhl import messages
from lhl.records import Grounding, GroundingVerdict, Passage

OnText = Callable[[str], None]
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Generated:
    verdict: GroundingVerdict
    text: str | None = None  # the answer to show, markers renumbered 1, 2 … in reading order
    cited: tuple[int, ...] = ()  # passage numbers (1-based, as the model saw them), in that order
    report: GroundingReport | None = None
    error: str | None = None


class Renumbering:
    """Markers renumbered by first mention, so the shown answer reads [1], [2] …"""

    def __init__(self) -> None:
        self.order: dict[int, int] = {}

    def apply(self, sentence: str) -> str:
        for n in _MARKER.findall(sentence):
            self.order.setdefault(int(n), len(self.order) + 1)
        return _MARKER.sub(lambda m: f"[{self.order[int(m[1])]}]", sentence)


def _decide(report: GroundingReport) -> Generated:
    verdict = report.verdict
    if verdict == "rejected":
        return Generated("rejected", report=report)
    numbering = Renumbering()
    text = " ".join(numbering.apply(s.text) for s in report.sentences if s.ok)
    return Generated(verdict, text=text, cited=tuple(numbering.order), report=report)


def generate(
    model: GenerativeAnswerer,
    question: str,
    passages: Sequence[Passage],
    deadline: float | None = None,
    on_text: OnText | None = None,
) -> Generated:
    """The model's answer as it may be shown, or the reason it may not."""
    evidence = Evidence(passage_texts(passages), question)
    try:
        if on_text is None:
            raw = model.answer(question, passages, deadline)
            if raw is None:
                return Generated("not_found")
            return _decide(evidence.check(raw))
        return _streamed(model, question, passages, deadline, evidence, on_text)
    except ModelUnavailable as exc:
        return Generated("unavailable", error=str(exc))


def _streamed(
    model: GenerativeAnswerer,
    question: str,
    passages: Sequence[Passage],
    deadline: float | None,
    evidence: Evidence,
    on_text: OnText,
) -> Generated:
    raw = ""
    checked: list[SentenceCheck] = []
    numbering = Renumbering()
    lead_failed = False

    def take(sentences: list[str]) -> None:
        nonlocal lead_failed
        for sentence in sentences[len(checked) :]:
            result = evidence.check_sentence(sentence)
            checked.append(result)
            factual = result.needs_citation or bool(result.cited)
            if factual and not any(c.needs_citation or c.cited for c in checked[:-1]):
                lead_failed = lead_failed or not result.ok
            if result.ok and not lead_failed:
                on_text(numbering.apply(result.text) + " ")

    for piece in model.stream(question, passages, deadline):
        raw += piece
        text = clean(raw)
        if NOT_FOUND_TOKEN in text:
            continue  # the model found nothing: nothing of it is shown
        take(split_sentences(text)[:-1])  # the last one may still be growing
    text = clean(raw)
    if NOT_FOUND_TOKEN in text or not text:
        return Generated("not_found")
    take(split_sentences(text))
    return _decide(GroundingReport(tuple(checked)))


def shown_grounding(result: Generated) -> Grounding:
    """The verdict on a generated answer that is shown (grounded or trimmed)."""
    report = result.report
    trimmed = result.verdict == "trimmed"
    return Grounding(
        verdict=result.verdict,
        fallback=False,
        problems=report.problem_kinds if report else [],
        dropped=len(report.dropped) if report else 0,
        note=messages.GENERATIVE_TRIMMED if trimmed else None,
    )


def fallback_grounding(result: Generated) -> Grounding:
    """The verdict when the extractive answer is shown instead of the model's."""
    report = result.report
    note = {
        "rejected": messages.GENERATIVE_REJECTED,
        "unavailable": messages.GENERATIVE_UNAVAILABLE,
    }.get(result.verdict)
    return Grounding(
        verdict=result.verdict,
        fallback=True,
        problems=report.problem_kinds if report else [],
        dropped=len(report.dropped) if report else 0,
        note=note,
    )
