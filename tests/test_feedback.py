"""Ratings of answers: POST /api/feedback over real HTTP, the SQLite store, and the export
as a question file for `lhl eval` (GET /api/feedback/export and `lhl feedback export`).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_checks import PRIZE, UNRELATED, ask, ask_a_follow_up, assert_error
from server_fixtures import LiveServer, rate_an_answer

from eval.questions import load_questions
from lhl.feedback import FeedbackStore


# -- feedback ---------------------------------------------------------------------------------
def test_feedback_is_stored_with_what_was_rated(
    client: httpx.Client, live_server: LiveServer
) -> None:
    answer, response = rate_an_answer(client, PRIZE, "down", comment="  Mangler begrunnelsen  ")
    assert response.status_code == 201
    body = response.json()
    assert body["ok"] is True and isinstance(body["id"], int)

    stored = {f.id: f for f in FeedbackStore(live_server.settings.feedback_path).list()}[body["id"]]
    assert stored.rating == "down"
    assert stored.comment == "Mangler begrunnelsen"
    assert stored.question == PRIZE and stored.answer == answer["answer"]
    assert stored.found is True
    assert [c.chunk_id for c in stored.citations] == [c["chunk_id"] for c in answer["citations"]]


def test_feedback_for_an_answer_the_service_no_longer_holds(
    client: httpx.Client, live_server: LiveServer
) -> None:
    response = client.post(
        "/api/feedback",
        json={
            "answer_id": "ukjent",
            "question": "Hva er fase 3?",
            "answer": "Noe.",
            "rating": "up",
        },
    )
    assert response.status_code == 201
    stored = FeedbackStore(live_server.settings.feedback_path).list("up")[-1]
    assert (stored.question, stored.answer, stored.comment, stored.found) == (
        "Hva er fase 3?",
        "Noe.",
        None,
        None,
    )


def test_feedback_rejects_bad_ratings(client: httpx.Client) -> None:
    assert "«rating»" in assert_error(
        client.post("/api/feedback", json={"question": "Hva?", "rating": "middels"}), 422
    )
    assert_error(client.post("/api/feedback", json={"question": "Hva?"}), 422)
    assert_error(
        client.post("/api/feedback", json={"question": " ", "rating": "up"}),
        400,
        "ugyldig_tilbakemelding",
    )


def test_feedback_export_is_a_question_file_for_eval(
    client: httpx.Client, live_server: LiveServer, tmp_path: Path
) -> None:
    _, followup = ask_a_follow_up(client)
    refusal = ask(client, UNRELATED)
    wrong = ask(client, PRIZE)
    for answer, rating in ((followup, "up"), (refusal, "up"), (wrong, "down")):
        client.post(
            "/api/feedback",
            json={
                "answer_id": answer["answer_id"],
                "rating": rating,
                "question": answer["question"],
                "answer": answer["answer"],
            },
        )

    response = client.get("/api/feedback/export", params={"format": "jsonl"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    raw = {r["answer_id"]: r for r in map(json.loads, response.text.splitlines())}

    # A good answer becomes a complete case: the completed question, the cited sentence.
    good = raw[followup["answer_id"]]
    assert (
        good["question"] == followup["resolved_question"] and good["asked"] == "Og det regionale?"
    )
    assert good["evidence"] == followup["citations"][0]["highlight"]
    assert good["rated_answer"] == followup["answer"]
    # An agreed refusal stays a refusal; a bad answer is a draft for the evaluator.
    assert raw[refusal["answer_id"]]["answerable"] is False
    draft = raw[wrong["answer_id"]]
    assert draft["rating"] == "down" and draft["expected"] == [] and "expected" in draft["todo"]

    complete = tmp_path / "komplette.jsonl"
    complete.write_text(
        "".join(json.dumps(raw[a["answer_id"]]) + "\n" for a in (followup, refusal))
    )
    cases = load_questions(complete)  # the eval's own reader accepts them
    assert [c.answerable for c in cases] == [True, False]
    filled = tmp_path / "utfylt.jsonl"
    filled.write_text(json.dumps({**draft, "expected": ["Melhus"]}) + "\n")
    assert load_questions(filled)[0].expected == ("Melhus",)

    downs = client.get("/api/feedback/export", params={"rating": "down"}).text.splitlines()
    assert downs and all(json.loads(line)["rating"] == "down" for line in downs)
    assert_error(client.get("/api/feedback/export", params={"format": "csv"}), 422)


def test_feedback_store_survives_reopening(tmp_path: Path) -> None:
    from lhl.feedback import NewFeedback

    store = FeedbackStore(tmp_path / "sub" / "feedback.sqlite3")
    store.init()
    first = store.add(NewFeedback("a1", "Hva?", "Svar [1].", "down", "feil"))
    second = FeedbackStore(store.path).list()
    assert [(f.id, f.rating, f.comment) for f in second] == [(first, "down", "feil")]
    with sqlite3.connect(store.path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO feedback (created_at, answer_id, question, answer, rating)"
            " VALUES ('x', 'a', 'q', 'a', 'middels')"
        )


def _export_command(store: FeedbackStore, *args: str) -> subprocess.CompletedProcess[str]:
    """`lhl feedback export --db STORE ARGS…`, as a user runs it."""
    command = [sys.executable, "-m", "cli.main", "feedback", "export", "--db", str(store.path)]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=60)


def test_feedback_export_command_writes_the_question_file(tmp_path: Path) -> None:
    from lhl.feedback import CitedPassage, NewFeedback

    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.init()
    store.add(
        NewFeedback(
            "a1",
            "Og det regionale?",
            "Statsforvalterne … [1].",
            "up",
            resolved_question="Hvem består det regionale støtteapparatet av?",
            found=True,
            citations=(CitedPassage(1, "om", "c1", "Regionalt", "De består av statsforvalterne."),),
        )
    )
    store.add(NewFeedback("a2", "Hva er fase 3?", "Feil svar [1].", "down", "Feil fase"))
    out = tmp_path / "cases.jsonl"
    done = _export_command(store, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Skrev 2 tilbakemeldinger" in done.stderr and "1 av linjene er utkast" in done.stderr
    cases = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert cases[0]["question"] == "Hvem består det regionale støtteapparatet av?"
    assert cases[0]["evidence"] == "De består av statsforvalterne."
    assert cases[1]["comment"] == "Feil fase" and "todo" in cases[1]
    downs = _export_command(store, "--rating", "down")
    assert [json.loads(line)["answer_id"] for line in downs.stdout.splitlines()] == ["a2"]
