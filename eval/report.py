"""report.json and report.md (CONTRACT.md)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from eval.runner import Result, summarize


def build_report(results: list[Result], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "summary": summarize(results),
        "meta": meta or {},
        "results": [asdict(r) for r in sorted(results, key=lambda r: (r.passed, r.id))],
    }


def write_reports(report: dict[str, Any], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "report.json"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    md_path = out_dir / "report.md"
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return [json_path, md_path]


_LABELS = {
    "questions": "Spørsmål",
    "answerable": "Besvarbare",
    "unanswerable": "Ubesvarbare",
    "answer_accuracy": "Svarnøyaktighet",
    "evidence_recall": "Kildetreff (evidence recall)",
    "refusal_accuracy": "Riktig avvisning",
    "false_answer_rate": "Feilaktige svar på ubesvarbare",
    "answer_chars_median": "Svarlengde, median (tegn)",
    "latency_ms_p50": "Svartid p50 (ms)",
    "latency_ms_p95": "Svartid p95 (ms)",
}


def render_markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = ["# Evalueringsrapport", ""]
    meta = report.get("meta") or {}
    if meta:
        lines += [", ".join(f"{k}: {v}" for k, v in meta.items()), ""]
    lines += ["| Mål | Verdi |", "|---|---|"]
    lines += [f"| {_LABELS.get(k, k)} | {v} |" for k, v in s.items()]
    failed = [r for r in report["results"] if not r["passed"]]
    lines += ["", f"## Feil ({len(failed)})", ""]
    for r in failed:
        answer = r["answer"].replace("\n", " ")
        lines.append(f"- **{r['id']}** {r['question']} — {r['reason']}. Svar: {answer[:300]}")
    return "\n".join(lines) + "\n"
