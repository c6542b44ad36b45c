#!/usr/bin/env python
"""Writes the README's tables of latest figures from report.json files and bench.json, so no
figure is typed by hand. The tables go between the markers

    <!-- eval-figures:start -->         <!-- bench-figures:start -->
    <!-- eval-figures:end -->           <!-- bench-figures:end -->

    make eval                                      # reports/known-facts (with the reader)
    make eval-lexical                              # reports/known-facts-lexical (LHL_READER=off)
    make norquad norquad-lexical                   # reports/norquad-test(-lexical)
    make bench                                     # reports/bench/bench.json (lhl bench)
    .venv/bin/python scripts/readme_figures.py [--check]

--check changes nothing and exits 1 when the README's table differs from the reports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = "<!-- eval-figures:start -->"
END = "<!-- eval-figures:end -->"
BENCH_START = "<!-- bench-figures:start -->"
BENCH_END = "<!-- bench-figures:end -->"


class FiguresError(Exception):
    pass


def _cell(key: str, summary: dict[str, Any]) -> str:
    from eval.report import format_figure

    if key not in summary:
        return "–"
    if key == "questions" and summary.get("unanswerable"):
        return f"{summary['questions']} ({summary['answerable']} besvarbare, {summary['unanswerable']} ubesvarbare)"
    if key in ("refusal_accuracy", "false_answer_rate") and not summary.get("unanswerable"):
        return "–"
    if key == "partial":
        lists = summary.get("list_questions")
        return f"{summary.get('partial', 0)} av {lists}" if lists else "–"
    return format_figure(key, summary[key])


def figures_table(columns: list[tuple[str, dict[str, Any]]]) -> str:
    """A Markdown table: one row per figure, one column per report."""
    from eval.report import HEADLINE_FIGURES, LABELS

    lines = [
        "| Mål | " + " | ".join(name for name, _ in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for key in HEADLINE_FIGURES:
        cells = [_cell(key, report["summary"]) for _, report in columns]
        if all(c == "–" for c in cells):
            continue
        lines.append(f"| {LABELS.get(key, key)} | " + " | ".join(cells) + " |")
    notes = []
    for name, report in columns:
        meta = report.get("meta") or {}
        when = str(meta.get("created") or "")[:10] or "ukjent dato"
        how = ", ".join(str(meta[k]) for k in ("target", "embeddings", "answerer") if meta.get(k))
        notes.append(f"{name}: kjørt {when}" + (f" ({how})" if how else ""))
    lines += [
        "",
        "Andeler i prosent; svartid i millisekunder. " + "; ".join(notes) + ". "
        "Tabellen er laget av `scripts/readme_figures.py` fra rapportfilene (report.json).",
    ]
    return "\n".join(lines)


def replace_between_markers(text: str, table: str, first: str = START, last: str = END) -> str:
    start, end = text.find(first), text.find(last)
    if start < 0 or end < start:
        raise FiguresError(f"README mangler merkene {first} og {last}.")
    return text[: start + len(first)] + "\n" + table + "\n" + text[end:]


def with_bench_table(text: str, path: Path) -> str:
    """The speed table from `lhl bench`'s bench.json; the README as it is when there is none."""
    from bench.report import load, targets_table

    try:
        result = load(path)
    except FileNotFoundError:
        print(f"Merk: fant ikke {path}; tabellen for fart og skala står som før.", file=sys.stderr)
        return text
    except ValueError as exc:
        raise FiguresError(f"{path} er ikke en bench.json fra «lhl bench» ({exc}).") from exc
    return replace_between_markers(text, targets_table(result), BENCH_START, BENCH_END)


def load_columns(sources: list[tuple[str, Path]]) -> list[tuple[str, dict[str, Any]]]:
    from eval.report import load_report

    columns = []
    for name, path in sources:
        try:
            columns.append((name, load_report(path)))
        except FileNotFoundError:
            print(f"Merk: fant ikke {path}; kolonnen «{name}» utelates.", file=sys.stderr)
        except ValueError as exc:
            raise FiguresError(f"{path} er ikke en report.json fra «lhl eval» ({exc}).") from exc
    if not columns:
        raise FiguresError("Fant ingen rapporter. Kjør «make eval» (og NorQuAD) først.")
    return columns


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Skriver tabellen med siste tall inn i README.md.")
    reports = ROOT / "reports"
    p.add_argument("--known-facts", type=Path, default=reports / "known-facts/report.json")
    p.add_argument(
        "--known-facts-lexical", type=Path, default=reports / "known-facts-lexical/report.json"
    )
    p.add_argument("--norquad", type=Path, default=reports / "norquad-test/report.json")
    p.add_argument(
        "--norquad-lexical", type=Path, default=reports / "norquad-test-lexical/report.json"
    )
    p.add_argument("--bench", type=Path, default=reports / "bench/bench.json")
    p.add_argument("--readme", type=Path, default=ROOT / "README.md")
    p.add_argument("--check", action="store_true", help="bare sjekk at README er oppdatert")
    args = p.parse_args(argv)
    try:
        columns = load_columns(
            [
                ("Kjente fakta, leser", args.known_facts),
                ("Kjente fakta, uten leser", args.known_facts_lexical),
                ("NorQuAD (test), leser", args.norquad),
                ("NorQuAD (test), uten leser", args.norquad_lexical),
            ]
        )
        old = args.readme.read_text(encoding="utf-8")
        new = with_bench_table(replace_between_markers(old, figures_table(columns)), args.bench)
    except (FiguresError, OSError) as exc:
        print(f"Feil: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if new != old:
            print(
                "README-tabellen er ikke oppdatert: kjør scripts/readme_figures.py.",
                file=sys.stderr,
            )
            return 1
        print("README-tabellen stemmer med rapportene.")
        return 0
    if new != old:
        args.readme.write_text(new, encoding="utf-8")
    print(f"Oppdaterte {args.readme}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
