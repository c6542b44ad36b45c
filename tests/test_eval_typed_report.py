"""The eval report as typed records (eval/records.py): report.json keeps the shape
docs/contract.md gives it, and `lhl eval diff` reads reports written by older versions."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from eval.questions import EvalQuestion
from eval.records import EvalReport, RetrievalScores
from eval.report import build_report, write_reports
from eval.runner import score

SUMMARY_ORDER = (
    "questions",
    "answerable",
    "unanswerable",
    "answer_accuracy",
    "list_questions",
    "partial",
    "evidence_recall",
    "refusal_accuracy",
    "false_answer_rate",
    "answer_chars_median",
    "latency_ms_p50",
    "latency_ms_p95",
    "errors",
)


def two_answers() -> EvalReport:
    cite = {"n": 1, "doc_id": "d", "text": "Prisen gikk til Melhus kommune.", "page": None}
    ok = score(
        EvalQuestion("k1", "Hvem fikk prisen?", ("Melhus",), "Melhus", tags={"type": "hvem"}),
        {"answer": "Melhus kommune [1].", "found": True, "citations": [cite]},
        10.0,
    )
    refused = score(
        EvalQuestion("u1", "Hva kostet festen?", answerable=False),
        {"answer": "Det står ikke i dokumentene.", "found": False, "citations": []},
        5.0,
    )
    return build_report([refused, ok], {"files": "q.jsonl", "target": "i prosess"})


def test_report_json_keeps_the_contract_shape(tmp_path: Path) -> None:
    report = two_answers()
    write_reports(report, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data == report.to_json()
    assert list(data) == ["summary", "meta", "breakdowns", "results"]
    assert tuple(data["summary"]) == SUMMARY_ORDER
    assert data["summary"]["answer_accuracy"] == 1.0 and data["summary"]["errors"] == 0
    assert data["meta"] == {"files": "q.jsonl", "target": "i prosess"}
    assert [r["id"] for r in data["results"]] == ["k1", "u1"]
    k1 = data["results"][0]
    assert k1["citations"][0]["text"] == "Prisen gikk til Melhus kommune."  # as the target sent it
    assert (k1["matched"], k1["evidence_citation"], k1["evidence_found"]) == ("Melhus", 1, True)
    assert [g["value"] for g in data["breakdowns"]["type"]] == ["(uten)", "hvem"]


def test_summary_reads_by_name_in_report_order_retrieval_last() -> None:
    s = replace(
        two_answers().summary,
        retrieval=RetrievalScores(0.5, 1.0, 0.75),
        retrieval_by_ranker={"bm25": RetrievalScores(0.25, 0.5, 0.3)},
    )
    assert list(s) == [
        *SUMMARY_ORDER,
        "recall_at_1",
        "recall_at_5",
        "mrr",
        "bm25_recall_at_1",
        "bm25_recall_at_5",
        "bm25_mrr",
    ]
    assert s["mrr"] == 0.75 and s["bm25_mrr"] == 0.3 and s.get("dense_mrr") is None
    assert s.questions == s["questions"] == 2 and "recall_at_1" in s


def _write(path: Path, report: dict[str, Any]) -> Path:
    path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return path


def test_diff_reads_a_report_from_before_lists_and_errors_were_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = two_answers().to_json()
    old = json.loads(json.dumps(new))
    for key in ("list_questions", "partial", "errors"):
        del old["summary"][key]
    for r in old["results"]:
        for key in ("expected_all", "missing", "partial", "grounding", "confidence"):
            del r[key]
    old["results"][0].update(passed=False, reason="svarte «ikke funnet»")
    old["summary"]["answer_accuracy"] = 0.0
    argv = ["eval", "diff", str(_write(tmp_path / "old.json", old))]
    assert main([*argv, str(_write(tmp_path / "new.json", new))]) == 0
    text = capsys.readouterr().out
    assert "| Svarnøyaktighet | 0,0 % | 100,0 % | +100,0 prosentpoeng |  |" in text
    assert "Listespørsmål" not in text  # a figure the old report lacks is not compared
    assert "## Ikke bestått før, bestått nå (1)" in text and "**k1** Hvem fikk prisen?" in text
    assert "Resultat: ingen mål ble verre" in text


def test_diff_of_a_report_with_a_result_without_id_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = two_answers().to_json()
    del broken["results"][0]["id"]
    path = _write(tmp_path / "broken.json", broken)
    assert main(["eval", "diff", str(path), str(path)]) == 2
    assert "Kunne ikke lese rapporten" in capsys.readouterr().err
