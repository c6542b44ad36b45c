"""Ratings of answers from the web chat, stored durably in SQLite beside the index.

Evaluators turn bad answers into eval cases: `export_lines()` writes each rating as a line in
the question-file format of docs/contract.md (`lhl feedback export`, GET /api/feedback/export).

Privacy: a row holds the rating, the question and answer, the optional comment and the cited
passages; nothing about who sent it (no IP address, no user or session id). Rows older than
the retention (LHL_FEEDBACK_RETENTION_DAYS) are deleted at start-up and at most hourly while
serving; `lhl feedback purge` deletes on demand. Deleted rows are overwritten on disk
(`secure_delete`), not just unlinked.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

Rating = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    answer_id TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    resolved_question TEXT,
    found INTEGER,
    citations TEXT NOT NULL DEFAULT '[]'
)
"""


@dataclass(frozen=True, slots=True)
class CitedPassage:
    """Where a rated answer came from, so an eval case can name its evidence."""

    n: int
    doc_id: str
    chunk_id: str
    section: str
    highlight: str | None = None  # the sentence of the passage the answer came from


@dataclass(frozen=True, slots=True)
class NewFeedback:
    answer_id: str
    question: str
    answer: str
    rating: Rating
    comment: str | None = None
    # Known when the rated answer is still in the service's memory (see api/routes.py).
    resolved_question: str | None = None
    found: bool | None = None
    citations: tuple[CitedPassage, ...] = ()


@dataclass(frozen=True, slots=True)
class Feedback(NewFeedback):
    id: int = 0
    created_at: str = ""


class FeedbackStore:
    """One SQLite file; a connection per call, so it is safe from any thread."""

    PURGE_EVERY_S = 3600.0

    def __init__(self, path: Path, retention_days: int = 0) -> None:
        self.path = path
        self.retention_days = retention_days  # 0: kept until purged by hand
        self._purged_at = 0.0

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=5.0)) as conn:
            conn.execute("PRAGMA secure_delete=ON")  # a purged comment leaves no trace
            with conn:  # one transaction: commit, or roll back on error
                yield conn

    def init(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
        self._apply_retention()

    def purge(self, older_than_days: float, now: datetime | None = None) -> int:
        """Delete ratings older than this many days (0: all of them); the number deleted."""
        if not self.path.exists():
            return 0
        cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
        with self._connect() as conn:
            if older_than_days <= 0:
                cur = conn.execute("DELETE FROM feedback")
            else:
                cur = conn.execute(
                    "DELETE FROM feedback WHERE created_at < ?",
                    (cutoff.isoformat(timespec="seconds"),),
                )
            deleted = cur.rowcount
        if deleted:
            with closing(sqlite3.connect(self.path, timeout=5.0)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # old pages out of the WAL too
        return deleted

    def _apply_retention(self) -> None:
        if self.retention_days > 0:
            self._purged_at = time.monotonic()
            self.purge(self.retention_days)

    def add(self, item: NewFeedback) -> int:
        if self.retention_days > 0 and time.monotonic() - self._purged_at > self.PURGE_EVERY_S:
            self._apply_retention()
        citations = json.dumps([_cited_json(c) for c in item.citations], ensure_ascii=False)
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO feedback (created_at, answer_id, question, answer, rating, comment,"
                " resolved_question, found, citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    item.answer_id,
                    item.question,
                    item.answer,
                    item.rating,
                    item.comment,
                    item.resolved_question,
                    None if item.found is None else int(item.found),
                    citations,
                ),
            )
            return int(cur.lastrowid or 0)

    def list(self, rating: Rating | None = None) -> list[Feedback]:
        if not self.path.exists():
            return []
        query = (
            "SELECT id, created_at, answer_id, question, answer, rating, comment,"
            " resolved_question, found, citations FROM feedback"
        )
        params: tuple[str, ...] = ()
        if rating:
            query += " WHERE rating = ?"
            params = (rating,)
        with self._connect() as conn:
            rows = conn.execute(query + " ORDER BY id", params).fetchall()
        return [_from_row(row) for row in rows]


def _cited_json(c: CitedPassage) -> dict[str, object]:
    return {
        "n": c.n,
        "doc_id": c.doc_id,
        "chunk_id": c.chunk_id,
        "section": c.section,
        "highlight": c.highlight,
    }


def _from_row(row: tuple[object, ...]) -> Feedback:
    (id_, created, answer_id, question, answer, rating, comment, resolved, found, cites) = row
    citations = tuple(
        CitedPassage(
            int(c["n"]), str(c["doc_id"]), str(c["chunk_id"]), str(c["section"]), c.get("highlight")
        )
        for c in json.loads(str(cites or "[]"))
    )
    return Feedback(
        id=int(id_),  # type: ignore[call-overload]
        created_at=str(created),
        answer_id=str(answer_id),
        question=str(question),
        answer=str(answer),
        rating="up" if rating == "up" else "down",
        comment=None if comment is None else str(comment),
        resolved_question=None if resolved is None else str(resolved),
        found=None if found is None else bool(found),
        citations=citations,
    )


TODO_EXPECTED = (
    'Fyll inn «expected» (det riktige svaret), eller sett "answerable": false '
    "hvis dokumentene ikke svarer på spørsmålet."
)


def eval_case(item: Feedback) -> dict[str, object]:
    """One line of a question file (docs/contract.md) for `lhl eval`.

    A thumbs up is a complete case: an answer people found good must again cite the sentence
    it came from (`evidence`), and a refusal they agreed with must stay a refusal. A thumbs
    down says the answer was wrong, not what is right: that line is a draft whose `expected`
    an evaluator fills in (the eval refuses the file until then, saying so). The question is
    the one the service answered; a follow-up completed from the conversation stands alone.
    """
    case: dict[str, object] = {
        "id": f"fb{item.id:05d}",
        "question": item.resolved_question or item.question,
        "expected": [],
        "answerable": True,
    }
    highlight = next((c.highlight for c in item.citations if c.highlight), None)
    if item.rating == "up" and item.found is True and highlight:
        case["evidence"] = highlight
    elif item.rating == "up" and item.found is False:
        case["answerable"] = False
    else:
        case["todo"] = TODO_EXPECTED
    case.update(
        style="tilbakemelding",
        rating=item.rating,
        comment=item.comment,
        rated_answer=item.answer,
        found=item.found,
        asked=item.question,
        answer_id=item.answer_id,
        created_at=item.created_at,
        citations=[_cited_json(c) for c in item.citations],
    )
    if item.citations:
        case["doc"] = item.citations[0].doc_id
    return case


def export_lines(store: FeedbackStore, rating: Rating | None = None) -> Iterator[str]:
    for item in store.list(rating):
        yield json.dumps(eval_case(item), ensure_ascii=False) + "\n"


# -- `lhl feedback export` and `lhl feedback purge` ------------------------------------------
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
