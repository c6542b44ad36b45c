"""The document-held-out figure: what an operator gets for a newly added document.

The reader is trained without one document's everyday questions (`adapt_reader --stage
everyday --hold-out-doc DOC`); the known facts of that document are then scored with it
(`make heldout-doc` runs both held-out documents):

    LHL_READER_DIR=.lhl/stages/without-DOC lhl eval --out .lhl/heldout-DOC
    .venv/bin/python -m training.heldout_doc --report .lhl/heldout-DOC --doc DOC
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def score(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Answer and refusal accuracy, all and in everyday wording."""
    out: dict[str, Any] = {}
    for name, rows in (
        ("all", results),
        ("hverdag", [r for r in results if r["tags"].get("style") == "hverdag"]),
    ):
        yes = [r for r in rows if r["answerable"]]
        no = [r for r in rows if not r["answerable"]]
        out[name] = {
            "answerable": len(yes),
            "answered_right": sum(r["passed"] for r in yes),
            "unanswerable": len(no),
            "refused": sum(r["passed"] for r in no),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Kjente fakta for et dokument holdt ute.")
    p.add_argument("--report", type=Path, required=True)
    p.add_argument("--doc", required=True)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    report = json.loads((args.report / "report.json").read_text(encoding="utf-8"))
    inside = [r for r in report["results"] if r["tags"].get("doc") == args.doc]
    figures = {"doc": args.doc, "reader": report["meta"].get("answerer"), **score(inside)}
    print(json.dumps(figures, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
