"""The eval report as typed records: each scored answer (`Result`), the summary's figures
(`Summary`), the results grouped by one tag value (`Group`) and the whole report
(`EvalReport`). `EvalReport.to_json()` is report.json (docs/contract.md); JSON comes in only
as the target's Answer object (`CitationJSON`) and, for `lhl eval diff`, as a saved
report.json (eval/diff.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# One of the Answer object's citations (docs/contract.md; lhl.records.Citation) as the target
# sent it: JSON, read by report.html and written to report.json as it came.
CitationJSON = dict[str, Any]


@dataclass
class Result:
    """One question's answer, scored (a row of report.json's `results`)."""

    id: str
    question: str
    passed: bool
    found: bool
    answer: str
    citations: list[CitationJSON]
    latency_ms: float
    reason: str
    answerable: bool = True
    expected: list[str] = field(default_factory=list)
    evidence: str | None = None
    evidence_found: bool | None = None
    tags: dict[str, str] = field(default_factory=dict)
    resolved_question: str | None = None
    history: list[dict[str, str]] = field(default_factory=list)
    matched: str | None = None  # the expected string the answer contains
    evidence_citation: int | None = None  # n of the first citation holding the evidence
    expected_all: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # of expected_all, not in the answer
    partial: bool = False  # some, not all, of expected_all in the answer
    mode: str | None = None
    error: str | None = None
    grounding: str | None = None  # the grounding verdict, in generative mode
    confidence: float | None = None  # the learned decision's probability (extractive mode)


@dataclass(frozen=True)
class RetrievalScores:
    """Where the gold passage ranked (NorQuAD): recall at 1 and 5, and MRR."""

    recall_at_1: float
    recall_at_5: float
    mrr: float


RETRIEVAL_FIELDS = ("retrieval", "retrieval_by_ranker")


@dataclass(frozen=True)
class Summary(Mapping[str, float]):
    """The summary's figures (docs/contract.md). Read as attributes, or by name as report.json
    writes them (a Mapping in that order: the answer figures, then any retrieval figures)."""

    questions: int
    answerable: int
    unanswerable: int
    answer_accuracy: float
    # List questions (expected_all) whose answer held some of the list, not all: failed
    # in answer_accuracy, counted here so a cut list shows as such.
    list_questions: int
    partial: int
    evidence_recall: float
    refusal_accuracy: float
    false_answer_rate: float
    answer_chars_median: int
    latency_ms_p50: float
    latency_ms_p95: float
    errors: int
    # NorQuAD: the assistant's fusion (recall_at_1 …), and each ranker alone (bm25_recall_at_1 …)
    retrieval: RetrievalScores | None = None
    retrieval_by_ranker: dict[str, RetrievalScores] = field(default_factory=dict)

    def figures(self) -> dict[str, float]:
        """Figure name → value, in report.json's order."""
        out: dict[str, float] = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in RETRIEVAL_FIELDS
        }
        if self.retrieval is not None:
            out.update(asdict(self.retrieval))
        for ranker, scores in self.retrieval_by_ranker.items():
            out.update({f"{ranker}_{k}": v for k, v in asdict(scores).items()})
        return out

    def __getitem__(self, key: str) -> float:
        return self.figures()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.figures())

    def __len__(self) -> int:
        return len(self.figures())


@dataclass(frozen=True)
class Group:
    """Results of the questions that share one tag value (e.g. type=antall)."""

    value: str
    questions: int
    answerable: int
    answered_correctly: int
    answer_accuracy: float | None
    unanswerable: int
    refused_correctly: int
    refusal_accuracy: float | None
    evidence_recall: float | None
    partial: int = 0  # list questions answered with some of the list, not all


@dataclass
class EvalReport:
    """What `lhl eval` writes: the summary, what produced the run (`meta`: created, files,
    target, index, models, settings …, in the order they were added), breakdowns by tag and
    every result, failures first."""

    summary: Summary
    meta: dict[str, object]
    breakdowns: dict[str, list[Group]]
    results: list[Result]

    def to_json(self) -> dict[str, Any]:
        """report.json's object (docs/contract.md)."""
        return {
            "summary": self.summary.figures(),
            "meta": self.meta,
            "breakdowns": {k: [asdict(g) for g in gs] for k, gs in self.breakdowns.items()},
            "results": [asdict(r) for r in self.results],
        }
