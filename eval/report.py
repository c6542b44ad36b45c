"""report.json, report.md and report.html (docs/contract.md): the summary, breakdowns by tag
(question type, document, style) and every result, failures first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.html import render_html
from eval.labels import (  # noqa: F401  (HEADLINE_FIGURES: scripts/readme_figures.py)
    HEADLINE_FIGURES,
    LABELS,
    ON_LISTS,
    ON_UNANSWERABLE,
    TAG_LABELS,
    format_figure,
)
from eval.records import EvalReport, Group, Result
from eval.runner import summarize

TAG_ORDER = ("type", "doc", "style", "domain")
MAX_GROUPS = 50  # a tag with more values than this (e.g. NorQuAD passage ids) is not broken down


def _share(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def group(value: str, results: Sequence[Result]) -> Group:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    with_evidence = [r for r in answerable if r.evidence]
    ok = sum(r.passed for r in answerable)
    refused = sum(r.passed for r in unanswerable)
    return Group(
        value=value,
        questions=len(results),
        answerable=len(answerable),
        answered_correctly=ok,
        answer_accuracy=_share(ok, len(answerable)),
        unanswerable=len(unanswerable),
        refused_correctly=refused,
        refusal_accuracy=_share(refused, len(unanswerable)),
        evidence_recall=_share(
            sum(bool(r.evidence_found) for r in with_evidence), len(with_evidence)
        ),
        partial=sum(r.partial for r in answerable),
    )


def breakdowns(results: Sequence[Result]) -> dict[str, list[Group]]:
    keys = {k for r in results for k in r.tags}
    ordered = [k for k in TAG_ORDER if k in keys] + sorted(keys - set(TAG_ORDER))
    out: dict[str, list[Group]] = {}
    for key in ordered:
        by_value: dict[str, list[Result]] = {}
        for r in results:
            by_value.setdefault(r.tags.get(key) or "(uten)", []).append(r)
        if len(by_value) > MAX_GROUPS:
            continue
        groups = [group(v, rs) for v, rs in by_value.items()]
        out[key] = sorted(groups, key=lambda g: (-g.questions, g.value))
    return out


def build_report(results: list[Result], meta: dict[str, object] | None = None) -> EvalReport:
    return EvalReport(
        summary=summarize(results),
        meta=meta or {},
        breakdowns=breakdowns(results),
        results=sorted(results, key=lambda r: (r.passed, r.id)),
    )


def write_reports(report: EvalReport, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in (
        ("report.json", json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"),
        ("report.md", render_markdown(report)),
        ("report.html", render_html(report)),
    ):
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def load_report(path: Path) -> dict[str, Any]:
    """A report.json (or the folder holding one) as JSON, of this version or an older one."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(report, dict) or not isinstance(report.get("summary"), dict):
        raise ValueError("ingen «summary» i rapporten")
    return report


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_ratio(num: int, den: int, share: float | None) -> str:
    return f"{num}/{den} ({format_figure('answer_accuracy', share)})" if den else "–"


def render_markdown(report: EvalReport) -> str:
    s = report.summary
    lines = ["# Evalueringsrapport", ""]
    for key, value in report.meta.items():
        lines.append(f"- {key}: {value}")
    lines += ["", "| Mål | Verdi |", "|---|---|"]
    lines += [
        f"| {LABELS.get(k, k)} | {format_figure(k, v)} |"
        for k, v in s.items()
        if (s.get("unanswerable") or k not in ON_UNANSWERABLE)
        and (s.get("list_questions") or k not in ON_LISTS)
    ]
    for key, groups in report.breakdowns.items():
        lines += ["", f"## Etter {TAG_LABELS.get(key, key)}", ""]
        lines += ["| verdi | spørsmål | riktige svar | riktige avvisninger | kildetreff |"]
        lines += ["|---|---:|---:|---:|---:|"]
        for g in groups:
            lines.append(
                f"| {_md_cell(g.value)} | {g.questions} "
                f"| {_md_ratio(g.answered_correctly, g.answerable, g.answer_accuracy)} "
                f"| {_md_ratio(g.refused_correctly, g.unanswerable, g.refusal_accuracy)} "
                f"| {format_figure('evidence_recall', g.evidence_recall)} |"
            )
    failed = [r for r in report.results if not r.passed]
    lines += ["", f"## Ikke bestått ({len(failed)})", ""]
    for r in failed:
        answer = _md_cell(r.answer)[:300]
        expected = " / ".join(f"«{e}»" for e in r.expected)
        if r.expected_all:
            whole = " + ".join(f"«{e}»" for e in r.expected_all)
            expected = f"{expected}; hele listen {whole}" if expected else f"hele listen {whole}"
        expected = expected or "avvisning"
        lines.append(
            f"- **{r.id}** {_md_cell(r.question)} — {r.reason}. "
            f"Forventet: {expected}. Svar: {answer}"
        )
    return "\n".join(lines) + "\n"
