"""Ratings of answers from the web chat, stored durably in SQLite beside the index.

Written by the HTTP route (POST /api/feedback, api/routes.py); read by the export that turns
ratings into eval cases (eval/feedback.py: `lhl feedback export`, GET /api/feedback/export);
purged by `lhl feedback purge` (cli/feedback.py). It sits in the shared core because all three
rooms use it.

Privacy: a row holds the rating, the question and answer, the optional comment and the cited
passages; nothing about who sent it (no IP address, no user or session id). Rows older than
the retention (LHL_FEEDBACK_RETENTION_DAYS) are deleted at start-up and at most hourly while
serving; `lhl feedback purge` deletes on demand. Deleted rows are overwritten on disk
(`secure_delete`), not just unlinked.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
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
        citations = json.dumps([cited_json(c) for c in item.citations], ensure_ascii=False)
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


def cited_json(c: CitedPassage) -> dict[str, object]:
    """A cited passage as JSON: as stored in the database and as written to eval cases."""
    return asdict(c)


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
