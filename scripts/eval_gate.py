#!/usr/bin/env python
"""The CI gate, runnable on its own (`make eval-gate`): runs the known facts in process over
the index in LHL_INDEX_DIR (default .lhl/index), writes the reports, and exits 1 when a figure
falls below its floor in eval/thresholds.json.

    .venv/bin/python scripts/eval_gate.py [--index DIR] [--out DIR] [--thresholds FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from eval.gate import THRESHOLDS, load_thresholds, run_known_facts, shortfalls
    from eval.report import LABELS, format_figure, write_reports
    from lhl.errors import LhlError
    from lhl.settings import get_settings

    p = argparse.ArgumentParser(description="Kjente fakta mot tersklene i eval/thresholds.json.")
    p.add_argument("--index", type=Path, help="indeksmappen (standard: LHL_INDEX_DIR)")
    p.add_argument(
        "--out",
        type=Path,
        default=ROOT / "reports" / "known-facts",
        help="mappe for rapportene (standard: reports/known-facts)",
    )
    p.add_argument("--thresholds", type=Path, default=THRESHOLDS)
    args = p.parse_args(argv)

    settings = get_settings()
    if args.index:
        settings = settings.model_copy(update={"index_dir": args.index})
    floors = load_thresholds(args.thresholds)
    try:
        report = run_known_facts(settings)
    except LhlError as exc:
        print(f"Feil: {exc.message}", file=sys.stderr)
        return 2
    for path in write_reports(report, args.out):
        print(f"Skrev {path}")
    summary = report.summary
    for key, minimum in floors.items():
        print(
            f"{LABELS.get(key, key)}: {format_figure(key, summary.get(key))} "
            f"(krav: minst {format_figure(key, minimum)})"
        )
    missing = shortfalls(summary, floors)
    for s in missing:
        print(f"IKKE GODKJENT: {s.message()}", file=sys.stderr)
    if not missing:
        print("Godkjent: alle tall er på eller over tersklene.")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
