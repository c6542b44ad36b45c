"""The reader's development set: the held-out training articles as a NorQuAD-style benchmark
folder (passages.jsonl, questions.jsonl with split "validation"), so that the ordinary
NorQuAD runner (eval/norquad.py) measures the whole system on questions the reader never saw.

    .venv/bin/python -m training.heldout --out .lhl/reader-heldout
    .venv/bin/python scripts/norquad_eval.py --data .lhl/reader-heldout --split validation

The 50 held-out articles are joined by 150 other training articles as distractors (the reader
has seen those, but not as answers to these questions), about the size of NorQuAD test's
passage pool.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from training import reader_data
from training.train_reader import DEFAULT_DATA

DISTRACTORS = 150
SEED = 20261129  # the training default: the same articles are held out


def write(data_dir: Path, out: Path, seed: int = SEED) -> tuple[int, int]:
    passages, questions = reader_data.load(data_dir)
    _, held = reader_data.split_heldout(questions, seed)
    held_ids = sorted({q.passage_id for q in held})
    others = sorted(set(passages) - set(held_ids))
    pool = held_ids + random.Random(seed).sample(others, DISTRACTORS)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "passages.jsonl").open("w", encoding="utf-8") as f:
        for pid in pool:
            p = passages[pid]
            f.write(json.dumps({"id": p.id, "title": p.title, "text": p.text}, ensure_ascii=False))
            f.write("\n")
    with (out / "questions.jsonl").open("w", encoding="utf-8") as f:
        for q in held:
            row = {
                "id": q.id,
                "question": q.question,
                "answers": [q.answer],
                "passage_id": q.passage_id,
                "split": "validation",
                "domain": "heldout",
                "answer_start": [q.answer_start],
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(pool), len(held)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Skriv leserens utviklingssett (holdt tilbake).")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, default=Path(".lhl/reader-heldout"))
    args = p.parse_args(argv)
    n_passages, n_questions = write(args.data, args.out)
    print(f"{args.out}: {n_passages} artikler, {n_questions} spørsmål")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
