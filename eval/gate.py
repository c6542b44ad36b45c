"""The CI gate: the known facts must stay at or above the floors in eval/thresholds.json.

Used by scripts/eval_gate.py (`make eval-gate`) and tests/test_eval_gate.py (`make test`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from eval.labels import LABELS, format_figure
from eval.questions import KNOWN_FACTS, load_questions
from eval.records import EvalReport
from eval.report import build_report
from eval.runner import InProcessTarget, run
from lhl.settings import Settings

THRESHOLDS = Path(__file__).parent / "thresholds.json"


@dataclass(frozen=True)
class Shortfall:
    key: str
    value: float
    minimum: float

    def message(self) -> str:
        return (
            f"{LABELS.get(self.key, self.key)} er {format_figure(self.key, self.value)}, "
            f"under kravet på {format_figure(self.key, self.minimum)}."
        )


def load_thresholds(path: Path = THRESHOLDS, suite: str = "known_facts") -> dict[str, float]:
    """The floors of one suite: figure name → lowest accepted value (0–1)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    floors = raw[suite]
    if not isinstance(floors, dict) or not all(
        isinstance(v, int | float) and 0 <= v <= 1 for v in floors.values()
    ):
        raise ValueError(f"{path}: «{suite}» må være figur → tall mellom 0 og 1")
    return {str(k): float(v) for k, v in floors.items()}


def shortfalls(summary: Mapping[str, object], floors: dict[str, float]) -> list[Shortfall]:
    """Every floor the summary falls below; a figure missing from the summary falls below."""
    out = []
    for key, minimum in floors.items():
        found = summary.get(key)
        value = float(found) if isinstance(found, int | float) else 0.0
        if value + 1e-9 < minimum:
            out.append(Shortfall(key, value, minimum))
    return out


def run_known_facts(settings: Settings, questions: Path = KNOWN_FACTS) -> EvalReport:
    """The known facts through the assistant in process, with the service's default mode."""
    from assistant.service import Assistant

    assistant = Assistant(settings)
    assistant.load()
    results = run(InProcessTarget(assistant), load_questions(questions))
    meta: dict[str, object] = {
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "files": str(questions),
        "target": "i prosess",
        "index": str(settings.chroma_url or settings.index_dir),
        "embeddings": assistant.embedder.name,
        "answerer": assistant.answerer_name,
        "decision": assistant.decision_settings,
    }
    return build_report(results, meta)
