"""NorQuAD answer and retrieval figures over a temporary index (see eval/norquad.py).

.venv/bin/python scripts/norquad_eval.py --split validation --out reports/norquad-validation
.venv/bin/python scripts/norquad_eval.py --split validation --reader off --raw-text
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "norquad"  # ../shared beside the checkout


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    from eval.norquad import SPLITS, TEXT_FORMS, run_norquad
    from lhl.settings import get_settings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path(os.environ.get("NORQUAD_DIR", DEFAULT_DATA)))
    p.add_argument("--split", choices=SPLITS, default="validation")
    p.add_argument("--limit", type=int)
    p.add_argument("--out", type=Path)
    p.add_argument("--mode", choices=["extractive", "generative"])
    p.add_argument("--reader", choices=["on", "off"], help="med eller uten leseren")
    p.add_argument(
        "--text-form",
        choices=TEXT_FORMS,
        default="paragraphs",
        help="passasjene som filer: avsnitt med tom linje mellom (standard), "
        "som de er (raw) eller brutt ved 76 tegn (wrapped)",
    )
    p.add_argument("--raw-text", action="store_true", help="det samme som --text-form raw")
    args = p.parse_args(argv)
    form = "raw" if args.raw_text else args.text_form
    settings = get_settings()
    if args.reader:
        settings = settings.model_copy(update={"reader": args.reader})

    report = run_norquad(
        settings, args.data, args.split, args.out, args.limit, args.mode, form=form
    )
    s = report.summary
    print(
        f"NorQuAD {args.split} ({form}): svarnøyaktighet {s['answer_accuracy']:.3f} "
        f"({s['answerable']} spørsmål), median svarlengde {s['answer_chars_median']}, "
        f"p50 {s['latency_ms_p50']} ms, p95 {s['latency_ms_p95']} ms"
    )
    print("gjenfinning   recall@1  recall@5  MRR@10")
    for name, prefix in (("BM25", "bm25_"), ("dense", "dense_"), ("fusjon", "")):
        print(
            f"  {name:<10} {s[prefix + 'recall_at_1']:>8.3f}  {s[prefix + 'recall_at_5']:>8.3f}"
            f"  {s[prefix + 'mrr']:>6.3f}"
        )
    if args.out:
        print(f"Skrev {args.out}/report.json og report.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
