"""How the reader's score is used, measured: retrieval and the reader's readings are computed
once per question, then every combination of the service's reader settings (ordering,
weight, refusal margin) is scored on the same readings.

    .venv/bin/python scripts/tune_reader.py --known-facts --heldout .lhl/reader-heldout

Development sets only: the known facts and the reader's held-out training articles
(training/heldout.py). Never NorQuAD test; NorQuAD validation passages were read in training.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _cases(assistant: Any, questions: list[Any]) -> list[tuple[Any, ...]]:
    from concurrent.futures import ThreadPoolExecutor

    from assistant import reading, service
    from assistant.followup import resolve
    from assistant.questions import analyse

    out = []
    index = assistant.index
    pool = ThreadPoolExecutor(max_workers=1)
    for eq in questions:
        resolved = resolve(eq.question, eq.history)
        passages, _ = assistant.retriever.retrieve(resolved, k=service.RETRIEVE_K)
        q = analyse(resolved)
        passages = service._with_named_section(index, q, passages)
        readings = reading.read_within(assistant.reader, pool, resolved, passages, 600.0)
        out.append((eq, resolved, q, passages, readings or {}))
    return out


def _score(assistant: Any, cases: list[tuple[Any, ...]], params: dict[str, Any]) -> dict[str, Any]:
    from assistant import answerer, reading, service
    from eval.runner import score

    reading.RERANK_RANK_PENALTY = params["penalty"] if params["penalty"] is not None else 0.0
    reading.READER_NULL_MARGIN = params["null"]
    reading.READER_WEIGHTS = answerer.Weights(reader=params["weight"])
    index = assistant.index
    passed = answerable = refused_ok = unanswerable = 0
    lengths = []
    for eq, resolved, q, passages, readings in cases:
        use = readings if params["reader"] else None
        ps = passages
        if use is not None and params["penalty"] is not None:
            ps = service._with_named_section(index, q, reading.rerank(passages, use))
        answer = assistant._extractive(index, eq.question, resolved, q, ps, use)
        r = score(eq, answer.to_dict(), 0.0)
        if eq.answerable:
            answerable += 1
            passed += r.passed
            if answer.found:
                lengths.append(len(answer.answer))
        else:
            unanswerable += 1
            refused_ok += r.passed
    lengths.sort()
    return {
        **params,
        "answer": round(passed / max(answerable, 1), 3),
        "refusal": round(refused_ok / unanswerable, 3) if unanswerable else None,
        "median_chars": lengths[len(lengths) // 2] if lengths else 0,
    }


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    sys.path.insert(0, str(ROOT))
    from assistant.service import Assistant
    from eval.norquad import build_index, load_split
    from eval.questions import load_questions
    from lhl.settings import get_settings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--known-facts", action="store_true")
    p.add_argument("--heldout", type=Path)
    p.add_argument("--out", type=Path, default=Path(".lhl/tune-reader.json"))
    p.add_argument(
        "--skip-style",
        default="hverdag",
        help="leave out known facts of this style (the everyday questions stay unseen)",
    )
    p.add_argument("--read-k", type=int, help="passages the reader reads (reading.READ_K)")
    args = p.parse_args(argv)
    if args.read_k:
        from assistant import reading

        reading.READ_K = args.read_k
    settings = get_settings()
    sets: list[tuple[str, Any, list[Any]]] = []
    if args.known_facts:
        kf = load_questions(ROOT / "eval" / "known_facts.jsonl")
        kf = [q for q in kf if q.tags.get("style") != args.skip_style]
        sets.append(("known-facts", settings, kf))
    if args.heldout:
        held = [q.to_eval() for q in load_split(args.heldout, "validation")]
        sets.append(("heldout", build_index(settings, args.heldout), held))
    grid = [
        {"reader": False, "penalty": None, "weight": 0.0, "null": -99.0},
        *(
            {"reader": True, "penalty": pen, "weight": w, "null": nm}
            for w, pen, nm in itertools.product([0.05, 0.1], [None, 2.0, 4.0], [-3.0, -2.5, -2.0])
        ),
    ]
    results: dict[str, list[dict[str, Any]]] = {}
    for name, s, questions in sets:
        assistant = Assistant(s)
        assistant.load()
        t0 = time.perf_counter()
        cases = _cases(assistant, questions)
        print(f"{name}: {len(cases)} spørsmål lest på {time.perf_counter() - t0:.0f} s", flush=True)
        results[name] = [_score(assistant, cases, g) for g in grid]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    names = list(results)
    rows = []
    for i, g in enumerate(grid):
        row = dict(g)
        for n in names:
            row[n] = (
                results[n][i]["answer"],
                results[n][i]["refusal"],
                results[n][i]["median_chars"],
            )
        rows.append(row)
    rows.sort(key=lambda r: -sum(r[n][0] + (r[n][1] or 0) for n in names))
    for r in rows[:25] + [next(r for r in rows if not r["reader"])]:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
