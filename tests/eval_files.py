"""What the eval tests write and answer with: question files as JSON Lines, an answer in the
shape of the Answer JSON, and the summary and result fields docs/contract.md promises."""

from __future__ import annotations

import json
from pathlib import Path

CONTRACT_SUMMARY = (
    "questions",
    "answerable",
    "unanswerable",
    "answer_accuracy",
    "evidence_recall",
    "refusal_accuracy",
    "answer_chars_median",
    "latency_ms_p50",
    "latency_ms_p95",
)
CONTRACT_RESULT = ("id", "passed", "found", "answer", "citations", "latency_ms", "reason")


def write_lines(path: Path, lines: list[str | dict]) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
        + "\n",
        encoding="utf-8",
    )
    return path


# -- scoring ---------------------------------------------------------------------------------
def answer(text: str, found: bool = True, passages: tuple[str, ...] = ()) -> dict:
    return {
        "answer": text,
        "found": found,
        "mode": "extractive",
        "citations": [{"n": i, "text": t} for i, t in enumerate(passages, start=1)],
    }
