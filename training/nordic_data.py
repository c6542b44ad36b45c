"""The Nordic reading data (../shared/datasets/nordic-qa) as reader training questions.

Sources (licences and counts in that folder's README and in the model card):
- `squad2-dev.da.json`, `squad2-dev.sv.json.gz`: SQuAD v2 dev, machine-translated to Danish
  and Swedish. Their unanswerable questions (`is_impossible`) were written to look answerable
  from their paragraph: each becomes a "no answer" window of its own paragraph;
- `xquad.nb.json`: XQuAD in Bokmål (machine-translated SQuAD v1.1 dev);
- `swequad-mc.*.json`: Swedish questions over public-agency pages, the correct choice's span.

All of it is training data: none is used to evaluate (the development sets are NorQuAD's
held-out training articles and the known facts).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

from eval.norquad import NorquadPassage
from training.reader_data import TrainQuestion

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "nordic-qa"
SQUAD_FILES = {
    "squad2-da": "squad2-dev.da.json",
    "squad2-sv": "squad2-dev.sv.json.gz",
    "xquad-nb": "xquad.nb.json",
}
SWEQUAD_FILES = ("swequad-mc.training.json", "swequad-mc.dev.json", "swequad-mc.test.json")


def _read_json(path: Path) -> Any:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    return json.loads(path.read_text(encoding="utf-8"))


def _pid(source: str, text: str) -> str:
    return f"{source}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"


def _squad(source: str, data: Any, passages: dict[str, NorquadPassage]) -> list[TrainQuestion]:
    out = []
    for article in data["data"]:
        title = article.get("title") or ""
        for para in article["paragraphs"]:
            context = para["context"].replace("\r\n", "\n")
            pid = _pid(source, context)
            passages[pid] = NorquadPassage(pid, title.replace("_", " "), context)
            for qa in para["qas"]:
                impossible = bool(qa.get("is_impossible")) or not qa.get("answers")
                answer = None if impossible else qa["answers"][0]
                out.append(
                    TrainQuestion(
                        id=f"{source}-{qa['id']}",
                        question=qa["question"],
                        answer="" if answer is None else answer["text"],
                        answer_start=-1 if answer is None else int(answer["answer_start"]),
                        passage_id=pid,
                        in_validation=False,
                        answerable=not impossible,
                        source=source,
                    )
                )
    return out


def _swequad(data: Any, passages: dict[str, NorquadPassage]) -> list[TrainQuestion]:
    out = []
    for n, row in enumerate(data["data"]):
        context = row["context"].replace("\r\n", "\n")
        correct = [c for c in row["choices"] if c.get("type") == "Correct answer"]
        if not correct:
            continue
        c = correct[0]
        # Offsets count the original "\r\n" as two characters: find the text instead.
        start = context.find(c["text"])
        if start < 0:
            continue
        pid = _pid("swequad", context)
        first = context.split("\n", 1)[0].strip()
        passages[pid] = NorquadPassage(pid, first[:120], context)
        out.append(
            TrainQuestion(
                id=f"swequad-{pid[-12:]}-{n}",
                question=row["question"],
                answer=c["text"],
                answer_start=start,
                passage_id=pid,
                in_validation=False,
                answerable=True,
                source="swequad-mc",
            )
        )
    return out


def load(data_dir: Path = DEFAULT_DIR) -> tuple[dict[str, NorquadPassage], list[TrainQuestion]]:
    """Every source's passages and questions (`TrainQuestion.source` says which)."""
    passages: dict[str, NorquadPassage] = {}
    questions: list[TrainQuestion] = []
    for source, name in SQUAD_FILES.items():
        questions += _squad(source, _read_json(data_dir / name), passages)
    for name in SWEQUAD_FILES:
        questions += _swequad(_read_json(data_dir / name), passages)
    return passages, questions
