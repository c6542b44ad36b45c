"""The reply card, checked by Microsoft's own Adaptive Cards library (tests/js, run in Node)
and kept in review as a snapshot (tests/snapshots/teams_card.json; refresh with
LHL_UPDATE_SNAPSHOTS=1).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from server_fixtures import LiveServer
from teams_messages import PRIZE, PUBLIC_URL, UNANSWERABLE, ask_teams

from api import cards
from assistant.service import Assistant
from lhl.records import Answer
from lhl.settings import Settings

SNAPSHOT = Path(__file__).parent / "snapshots" / "teams_card.json"
VALIDATOR = Path(__file__).parent / "js" / "validate_card.js"


# -- the card, checked by Microsoft's library -------------------------------------------------
def validate_with_adaptivecards(payload: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (needed for Microsoft's adaptivecards library)")
    if not (VALIDATOR.parent / "node_modules" / "adaptivecards").is_dir():
        pytest.fail("adaptivecards is not installed: run `make browser-deps` (npm ci in tests/js)")
    result = subprocess.run(
        [node, str(VALIDATOR)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=VALIDATOR.parent,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    assert (result.returncode == 0) == report["ok"], result.stderr
    return report


def test_every_reply_card_is_valid_for_microsofts_adaptive_cards_library(
    teams_server: LiveServer, hash_index: Settings
) -> None:
    links = cards.Links(PUBLIC_URL)
    replies = {
        "answer": ask_teams(teams_server, PRIZE),
        "not-found": ask_teams(teams_server, UNANSWERABLE),
        "usage": ask_teams(teams_server, "hjelp"),
        "too-long": ask_teams(teams_server, "Hvorfor " * 400),
        "late": cards.late_message(PRIZE, links),
        "generative": cards.answer_message(_generative_answer(hash_index), links),
    }
    for name, reply in replies.items():
        report = validate_with_adaptivecards(reply)
        assert report["ok"], (name, report["problems"])
        assert report["cards"][0]["version"] == "1.4"
        assert report["cards"][0]["actions"] >= 1


def _generative_answer(settings: Settings) -> Answer:
    """A generative answer citing four passages, with pages (the most a card shows)."""
    assistant = Assistant(settings)
    assistant.load()
    citations = [replace(c, page=c.n + 10) for c in assistant.search(PRIZE, k=4)]
    return Answer(
        question=PRIZE,
        answer="Melhus kommune [1][2]. Juryen [3] la vekt på planene [4].",
        found=True,
        citations=citations,
        mode="generative",
    )


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"version": "1.5"}, "newer than 1.4"),
        ({"actions": [{"type": "Action.Submit", "title": "Send"}]}, "Action.Submit"),
        ({"body": [{"type": "TextBlock", "text": "x", "size": "Enorm"}]}, "size"),
        ({"body": [{"type": "Karusell"}]}, "Karusell"),
    ],
    ids=["version", "submit-action", "bad-value", "unknown-element"],
)
def test_the_validator_catches_what_teams_would_not_show(bad: dict[str, Any], problem: str) -> None:
    reply = cards.usage_message(cards.Links(PUBLIC_URL))
    reply["attachments"][0]["content"].update(bad)
    report = validate_with_adaptivecards(reply)
    assert not report["ok"]
    assert any(problem in p for p in report["problems"]), report["problems"]


def strip_volatile(value: Any) -> Any:
    """Drop what changes from run to run (timings, ids), keep the card as Teams gets it."""
    if isinstance(value, dict):
        return {
            k: strip_volatile(v) for k, v in value.items() if k not in {"timings_ms", "answer_id"}
        }
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


def test_the_answer_card_matches_the_snapshot(teams_server: LiveServer) -> None:
    reply = strip_volatile(ask_teams(teams_server, PRIZE))
    rendered = json.dumps(reply, ensure_ascii=False, indent=2) + "\n"
    if os.environ.get("LHL_UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    assert rendered == SNAPSHOT.read_text(encoding="utf-8"), (
        "the Teams card changed: review the diff, then refresh with LHL_UPDATE_SNAPSHOTS=1"
    )
