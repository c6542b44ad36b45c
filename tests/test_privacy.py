"""Privacy: what the feedback store keeps, for how long, and how it is purged."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from conftest import ROOT
from server_fixtures import LiveServer, rate_an_answer

from lhl.feedback import FeedbackStore, NewFeedback

PRIZE = "Hvilken kommune fikk Leve hele livet-prisen for 2022?"


def store_with_old_and_new(path: Path, retention_days: int = 0) -> FeedbackStore:
    store = FeedbackStore(path, retention_days)
    store.init()
    store.add(NewFeedback("ny", "Hva nå?", "Svar [1].", "up", "nylig kommentar"))
    old = (datetime.now(UTC) - timedelta(days=400)).isoformat(timespec="seconds")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO feedback (created_at, answer_id, question, answer, rating, comment)"
            " VALUES (?, 'gammel', 'Hva før?', 'Svar.', 'down', 'Kari Nordmann ringte')",
            (old,),
        )
    return store


def file_bytes(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_feedback_stores_nothing_about_who_sent_it(live_server: LiveServer) -> None:
    """A rating posted over HTTP keeps what was rated, not the sender's address or agent."""
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        _, response = rate_an_answer(
            client,
            PRIZE,
            "up",
            headers={"User-Agent": "personlig-nettleser/1.0", "X-Forwarded-For": "10.9.8.7"},
        )
    assert response.status_code == 201
    path = live_server.settings.feedback_path
    with sqlite3.connect(path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(feedback)")]
    assert not {"ip", "client", "client_ip", "user_agent", "user", "session"} & set(columns)
    raw = file_bytes(path)
    for trace in (b"127.0.0.1", b"10.9.8.7", b"personlig-nettleser"):
        assert trace not in raw


def test_purge_deletes_old_ratings_and_leaves_no_trace_in_the_file(tmp_path: Path) -> None:
    store = store_with_old_and_new(tmp_path / "feedback.sqlite3")
    assert b"Kari Nordmann" in file_bytes(store.path)
    assert store.purge(180) == 1
    assert [f.answer_id for f in store.list()] == ["ny"]
    assert b"Kari Nordmann" not in file_bytes(store.path)  # overwritten, not just unlinked
    assert store.purge(0) == 1 and store.list() == []


def test_retention_setting_purges_at_start_up(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    store_with_old_and_new(path)
    FeedbackStore(path, retention_days=0).init()  # 0: kept
    assert len(FeedbackStore(path).list()) == 2
    FeedbackStore(path, retention_days=180).init()
    assert [f.answer_id for f in FeedbackStore(path).list()] == ["ny"]


def run_lhl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_purge_command(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    store_with_old_and_new(path)
    off = run_lhl("feedback", "purge", "--db", str(path), env={"LHL_FEEDBACK_RETENTION_DAYS": "0"})
    assert off.returncode == 2 and "--older-than-days" in off.stderr
    by_setting = run_lhl(
        "feedback", "purge", "--db", str(path), env={"LHL_FEEDBACK_RETENTION_DAYS": "30"}
    )
    assert by_setting.returncode == 0, by_setting.stderr
    assert "Slettet 1 tilbakemeldinger eldre enn 30 dager; 1 er igjen." in by_setting.stdout
    everything = run_lhl("feedback", "purge", "--older-than-days", "0", "--db", str(path))
    assert everything.returncode == 0 and "Slettet 1" in everything.stdout
    assert FeedbackStore(path).list() == []
