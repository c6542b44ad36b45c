"""`lhl eval`: arguments and the command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from eval.questions import KNOWN_FACTS, QuestionFileError, load_questions
from eval.report import build_report, write_reports
from eval.runner import InProcessTarget, run
from lhl.settings import Settings


def add_eval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--questions", nargs="+", type=Path, help="spørsmålsfiler (JSON Lines)")
    p.add_argument("--index", help="indeksmappen (i prosess)")
    p.add_argument("--out", type=Path, default=Path("reports/latest"), help="mappe for rapportene")
    p.add_argument("--min-accuracy", type=float, help="avslutt med 1 når svarnøyaktigheten er lavere")
    p.add_argument("--mode", choices=["extractive", "generative"])


def run_eval_command(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import Assistant

    files = args.questions or [KNOWN_FACTS]
    try:
        questions = [q for f in files for q in load_questions(f)]
    except (OSError, QuestionFileError) as exc:
        print(f"Feil: kunne ikke lese spørsmålsfilen: {exc}", file=sys.stderr)
        return 2
    assistant = Assistant(settings)
    assistant.load()
    results = run(InProcessTarget(assistant, args.mode), questions)
    meta: dict[str, Any] = {"files": ", ".join(str(f) for f in files), "target": "i prosess",
                            "embeddings": assistant.embedder.name}
    report = build_report(results, meta)
    for path in write_reports(report, args.out):
        print(f"Skrev {path}")
    s = report["summary"]
    print(
        f"Svarnøyaktighet {s['answer_accuracy']:.3f}, riktig avvisning {s['refusal_accuracy']:.3f}, "
        f"kildetreff {s['evidence_recall']:.3f}, median svarlengde {s['answer_chars_median']}, "
        f"p50 {s['latency_ms_p50']} ms, p95 {s['latency_ms_p95']} ms"
    )
    if args.min_accuracy is not None and s["answer_accuracy"] < args.min_accuracy:
        print(f"Svarnøyaktigheten er under {args.min_accuracy}.", file=sys.stderr)
        return 1
    return 0
