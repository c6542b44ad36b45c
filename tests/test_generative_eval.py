"""`lhl eval --mode generative` against the stand-in model: the whole known-facts file, with
mode, grounding verdicts and latency in the report."""

from __future__ import annotations

import json
import re
from pathlib import Path

from standin_llm import ChatRequest, StandinLLM

from cli.main import build_parser
from eval.cli import run_eval_command
from lhl.settings import Settings

KNOWN_FACTS = Path(__file__).resolve().parent.parent / "eval" / "known_facts.jsonl"


def quoting_model(request: ChatRequest) -> str:
    """A model that quotes the first sentence of the first passage, except that it invents a
    figure whenever it is asked how many; it cannot rewrite follow-ups (the extractive way
    is used)."""
    if request.is_rewrite:
        return "IKKE_FUNNET"
    first = request.passages()[1].split("\n", 1)[-1].strip()
    sentence = re.split(r"(?<=[.!?])\s+", first)[0].rstrip(".!? ")
    if "hvor mange" in request.prompt.lower():
        return "Det er 4711 [1]."
    return f"{sentence} [1]."


def test_generative_eval_reports_mode_grounding_and_latency(
    hash_index: Settings, tmp_path: Path
) -> None:
    with StandinLLM(reply=quoting_model) as llm:
        settings = hash_index.model_copy(
            update={"llm_base_url": llm.base_url, "llm_model": llm.model}
        )
        args = build_parser().parse_args(["eval", "--mode", "generative", "--out", str(tmp_path)])
        run_eval_command(args, settings)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    questions = sum(1 for line in KNOWN_FACTS.read_text(encoding="utf-8").splitlines() if line)
    assert report["summary"]["questions"] == questions
    assert report["meta"]["mode"] == "generative"
    assert "grounded" in report["meta"]["grounding"] and "rejected" in report["meta"]["grounding"]
    assert report["summary"]["latency_ms_p50"] > 0
    found = [r for r in report["results"] if r["found"]]
    assert all(r["grounding"] for r in found)
    assert not any("4711" in r["answer"] for r in report["results"])
