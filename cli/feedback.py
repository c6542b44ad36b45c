"""`lhl feedback export` and `lhl feedback purge`: the web chat's ratings as a question file for
`lhl eval` (eval/feedback.py), and deleting them on demand (lhl/feedback.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eval.feedback import export_lines
from lhl.feedback import FeedbackStore, Rating


def add_feedback_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="feedback_command", required=True)
    purge = sub.add_parser(
        "purge", help="slett tilbakemeldinger eldre enn et antall dager (0: alle)"
    )
    purge.add_argument(
        "--older-than-days",
        type=float,
        help="slett det som er eldre enn dette (standard: LHL_FEEDBACK_RETENTION_DAYS)",
    )
    purge.add_argument(
        "--db", help="SQLite-filen (standard: LHL_FEEDBACK_DB, ellers ved siden av indeksen)"
    )
    purge.add_argument("--index", help="indeksmappen (standard: .lhl/index)")
    purge.set_defaults(func=cmd_feedback_purge)
    p = sub.add_parser(
        "export", help="skriv tilbakemeldingene som spørsmålsfil (JSON Lines) for lhl eval"
    )
    p.add_argument(
        "--rating",
        choices=["up", "down", "all"],
        default="all",
        help="bare tommel opp, tommel ned, eller alle (standard)",
    )
    p.add_argument("--out", help="filen som skal skrives (standard: skjermen)")
    p.add_argument(
        "--db", help="SQLite-filen (standard: LHL_FEEDBACK_DB, ellers ved siden av indeksen)"
    )
    p.add_argument("--index", help="indeksmappen (standard: .lhl/index)")
    p.set_defaults(func=cmd_feedback_export)


def _feedback_file(args: argparse.Namespace) -> tuple[Path, int]:
    """The SQLite file the command works on, and the configured retention in days."""
    from lhl.settings import get_settings

    settings = get_settings()
    if args.index:
        settings = settings.model_copy(update={"index_dir": Path(args.index)})
    path = Path(args.db) if args.db else settings.feedback_path
    return path, settings.feedback_retention_days


def cmd_feedback_purge(args: argparse.Namespace) -> int:
    path, retention = _feedback_file(args)
    days = args.older_than_days if args.older_than_days is not None else retention
    if days is None or days < 0 or (args.older_than_days is None and retention <= 0):
        print(
            "Ingen lagringstid er satt (LHL_FEEDBACK_RETENTION_DAYS=0): oppgi "
            "--older-than-days N (0 sletter alt).",
            file=sys.stderr,
        )
        return 2
    if not path.exists():
        print(f"Fant ingen tilbakemeldinger i «{path}».", file=sys.stderr)
        return 0
    deleted = FeedbackStore(path).purge(days)
    left = len(FeedbackStore(path).list())
    print(f"Slettet {deleted} tilbakemeldinger eldre enn {days:g} dager; {left} er igjen.")
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    path, _ = _feedback_file(args)
    if not path.exists():
        print(f"Fant ingen tilbakemeldinger i «{path}».", file=sys.stderr)
        return 1
    rating: Rating | None = None if args.rating == "all" else args.rating
    lines = list(export_lines(FeedbackStore(path), rating))
    if args.out:
        Path(args.out).write_text("".join(lines), encoding="utf-8")
        print(f"Skrev {len(lines)} tilbakemeldinger til {args.out}.", file=sys.stderr)
    else:
        sys.stdout.writelines(lines)
    drafts = sum('"todo":' in line for line in lines)
    if drafts:
        print(
            f"{drafts} av linjene er utkast (merket «todo»): fyll inn «expected» før du kjører "
            "lhl eval med filen.",
            file=sys.stderr,
        )
    return 0
