"""`lhl eval diff OLD NEW`: what changed between two runs, and whether it got worse.

A figure has regressed when it moved the wrong way by more than the tolerance (in the
figure's own unit: 0.02 is two percentage points of accuracy). Higher is better for accuracy,
evidence recall, refusal accuracy and retrieval recall; lower is better for the false-answer
rate. Latency and answer length are shown but only gate with --latency-tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.labels import LABELS, format_figure
from eval.report import load_report

HIGHER_IS_BETTER = (
    "answer_accuracy",
    "evidence_recall",
    "refusal_accuracy",
    "recall_at_1",
    "recall_at_5",
    "mrr",
)
LOWER_IS_BETTER = ("false_answer_rate",)
LATENCY = ("latency_ms_p50", "latency_ms_p95")


@dataclass(frozen=True)
class SavedResult:
    """A saved result's outcome."""

    id: str
    question: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class SavedReport:
    """What the diff reads from a report.json, written by this version or an older one: the
    summary's numbers as they were written (an older report may lack a figure) and each
    result's outcome."""

    figures: dict[str, float]
    results: list[SavedResult]

    @classmethod
    def from_json(cls, report: Mapping[str, Any]) -> SavedReport:
        summary = report.get("summary")
        if not isinstance(summary, dict):
            raise ValueError("ingen «summary» i rapporten")
        results = []
        for r in report.get("results") or []:
            if not isinstance(r, dict) or "id" not in r or "passed" not in r:
                raise ValueError("et resultat uten «id» og «passed»")
            results.append(
                SavedResult(
                    str(r["id"]), r.get("question", ""), bool(r["passed"]), r.get("reason", "")
                )
            )
        figures = {k: v for k, v in summary.items() if _number(v) is not None}
        return cls(figures, results)


def read_report(path: Path) -> SavedReport:
    """A report.json (or the folder holding one); ValueError or OSError when it is not one."""
    return SavedReport.from_json(load_report(path))


@dataclass(frozen=True)
class FigureChange:
    key: str
    old: float | int
    new: float | int
    regressed: bool

    @property
    def delta(self) -> float | int:
        return round(self.new - self.old, 4)


@dataclass(frozen=True)
class Flip:
    id: str
    question: str
    reason: str  # why it fails now (empty for a fix)


@dataclass(frozen=True)
class ReportDiff:
    figures: list[FigureChange]
    broke: list[Flip]  # passed before, fails now
    fixed: list[Flip]  # failed before, passes now
    only_old: list[str]
    only_new: list[str]

    @property
    def regressions(self) -> list[FigureChange]:
        return [f for f in self.figures if f.regressed]


def _number(value: object) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def compare(
    old: SavedReport,
    new: SavedReport,
    tolerance: float = 0.0,
    latency_tolerance: float | None = None,
) -> ReportDiff:
    """latency_tolerance is relative: 0.25 allows latency to grow by a quarter."""
    figures = []
    for key, b in new.figures.items():
        a = old.figures.get(key)
        if a is None:
            continue
        if key in HIGHER_IS_BETTER:
            regressed = a - b > tolerance + 1e-9
        elif key in LOWER_IS_BETTER:
            regressed = b - a > tolerance + 1e-9
        elif key in LATENCY and latency_tolerance is not None:
            regressed = b > a * (1 + latency_tolerance) + 1e-9
        else:
            regressed = False
        figures.append(FigureChange(key, a, b, regressed))
    before = {r.id: r for r in old.results}
    after = {r.id: r for r in new.results}
    common = [i for i in after if i in before]
    broke = [
        Flip(i, after[i].question, after[i].reason)
        for i in sorted(common)
        if before[i].passed and not after[i].passed
    ]
    fixed = [
        Flip(i, after[i].question, "")
        for i in sorted(common)
        if not before[i].passed and after[i].passed
    ]
    return ReportDiff(
        figures=figures,
        broke=broke,
        fixed=fixed,
        only_old=sorted(set(before) - set(after)),
        only_new=sorted(set(after) - set(before)),
    )


def _signed(key: str, delta: float) -> str:
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    if key != "mrr" and (key in HIGHER_IS_BETTER or key in LOWER_IS_BETTER):
        return f"{sign}{abs(delta) * 100:.1f} prosentpoeng".replace(".", ",")
    return f"{sign}{format_figure(key, abs(delta))}"


def render_diff(d: ReportDiff, tolerance: float) -> str:
    lines = [
        "# Endringer mellom rapportene",
        "",
        "| Mål | Før | Nå | Endring | |",
        "|---|---:|---:|---:|---|",
    ]
    for f in d.figures:
        flag = "**verre enn toleransen**" if f.regressed else ""
        lines.append(
            f"| {LABELS.get(f.key, f.key)} | {format_figure(f.key, f.old)} "
            f"| {format_figure(f.key, f.new)} | {_signed(f.key, f.delta)} | {flag} |"
        )
    lines += ["", f"## Bestått før, ikke bestått nå ({len(d.broke)})", ""]
    lines += [f"- **{x.id}** {x.question} — {x.reason}" for x in d.broke] or ["Ingen."]
    lines += ["", f"## Ikke bestått før, bestått nå ({len(d.fixed)})", ""]
    lines += [f"- **{x.id}** {x.question}" for x in d.fixed] or ["Ingen."]
    if d.only_old or d.only_new:
        lines += ["", "## Ulike spørsmål", ""]
        if d.only_old:
            lines.append(f"Bare i den gamle rapporten ({len(d.only_old)}): {', '.join(d.only_old)}")
        if d.only_new:
            lines.append(f"Bare i den nye rapporten ({len(d.only_new)}): {', '.join(d.only_new)}")
        lines.append("Tallene over er regnet på hver rapports egne spørsmål.")
    lines.append("")
    if d.regressions:
        names = ", ".join(LABELS.get(f.key, f.key).lower() for f in d.regressions)
        lines.append(
            f"Resultat: VERRE. Disse målene ble verre enn toleransen ({tolerance:g}): {names}."
        )
    else:
        lines.append(f"Resultat: ingen mål ble verre enn toleransen ({tolerance:g}).")
    return "\n".join(lines) + "\n"
