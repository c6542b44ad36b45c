"""Adapt the NorQuAD reader in two more stages; each goes on from the weights of the last.

    .venv/bin/python -m training.adapt_reader --stage nordic   --init DIR --out DIR
    .venv/bin/python -m training.adapt_reader --stage everyday --init DIR --out DIR [--hold-out-doc ID]

- `nordic`: the Nordic reading data (training/nordic_data.py): SweQUAD-MC and XQuAD-nb whole,
  a seeded sample of Danish and Swedish SQuAD v2 (answerable, and unanswerable questions as
  "no answer" windows of their own paragraph), and a replay of NorQuAD training questions so
  that Norwegian stays the language it reads best.
- `everyday`: the everyday questions about the corpus (training/everyday_data.py), with a
  smaller replay of the first two stages' data. `--hold-out-doc` leaves one document's
  questions out: the figure an operator gets for a newly added document.

Every epoch is scored on NorQuAD's held-out training articles (the same split as
`training.train_reader`), which no stage trains on. `make train-reader` runs all three stages.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training import everyday_data, nordic_data, reader_data
from training.reader_training import (
    evaluate,
    length_batches,
    optimiser,
    save,
    train_step,
    warmup_schedule,
)
from training.reader_training import freeze as freeze_layers
from training.train_reader import DEFAULT_DATA

log = logging.getLogger("adapt_reader")
ROOT = Path(__file__).resolve().parent.parent

# Questions per source in the Nordic stage (answerable, unanswerable); None = all.
NORDIC_MIX: dict[str, tuple[int | None, int | None]] = {
    "squad2-da": (1000, 1000),
    "squad2-sv": (1000, 1000),
    "xquad-nb": (None, 0),
    "swequad-mc": (None, 0),
}
NORQUAD_REPLAY = {"nordic": 1200, "everyday": 300}
NORDIC_REPLAY_EVERYDAY = 300


def _sample(items: list[Any], n: int | None, rng: random.Random) -> list[Any]:
    return list(items) if n is None or n >= len(items) else rng.sample(items, n)


def _reading_examples(
    passages: dict[str, Any], questions: list[Any], seed: int
) -> tuple[list[Any], list[Any], dict[str, int]]:
    used = {q.passage_id for q in questions}
    return reader_data.build_examples({k: passages[k] for k in used}, questions, seed)


def nordic_questions(seed: int, n_norquad: int) -> tuple[dict[str, Any], list[Any]]:
    """The Nordic sample and the NorQuAD replay, as one pool of passages and questions."""
    rng = random.Random(seed)
    passages, questions = nordic_data.load()
    picked: list[Any] = []
    for source, (n_yes, n_no) in NORDIC_MIX.items():
        yes = [q for q in questions if q.source == source and q.answerable]
        no = [q for q in questions if q.source == source and not q.answerable]
        picked += _sample(yes, n_yes, rng) + _sample(no, n_no, rng)
    nq_passages, nq_questions = reader_data.load(DEFAULT_DATA)
    train_q, _ = reader_data.split_heldout(nq_questions, reader_data.SPLIT_SEED)
    passages.update(nq_passages)
    picked += _sample(train_q, n_norquad, rng)
    return passages, picked


def stage_examples(
    stage: str, seed: int, hold_out_doc: str | None
) -> tuple[list[Any], list[Any], list[Any], dict[str, int]]:
    """(positives, near-miss negatives, other negatives, counts) of one stage. Near misses
    (unanswerable questions over the passage they borrow from) are all used every epoch."""
    if stage == "nordic":
        passages, questions = nordic_questions(seed, NORQUAD_REPLAY["nordic"])
        pos, neg, counts = _reading_examples(passages, [q for q in questions if q.answerable], seed)
        _, near, near_counts = _reading_examples(
            passages, [q for q in questions if not q.answerable], seed
        )
        near_counts.pop("positive", None)
        return pos, near, neg, {**counts, **near_counts}
    qs = everyday_data.load_questions()
    if hold_out_doc:
        qs = [q for q in qs if q.doc != hold_out_doc]
    chunks = everyday_data.corpus_chunks()
    pos, neg, counts = everyday_data.build_examples([q for q in qs if q.answerable], chunks)
    _, near, near_counts = everyday_data.build_examples([q for q in qs if not q.answerable], chunks)
    near_counts.pop("positive", None)
    counts.update(near_counts)
    passages, questions = nordic_questions(seed, NORQUAD_REPLAY["everyday"])
    rng = random.Random(seed + 7)
    replay = questions[-NORQUAD_REPLAY["everyday"] :] + _sample(
        questions[: -NORQUAD_REPLAY["everyday"]], NORDIC_REPLAY_EVERYDAY, rng
    )
    r_pos, r_neg, r_counts = _reading_examples(passages, replay, seed)
    r_neg = _sample(r_neg, len(r_pos), rng)
    counts.update({f"replay_{k}": v for k, v in r_counts.items()})
    return pos + r_pos, near, neg + r_neg, counts


def heldout_windows(tok: Any) -> tuple[list[Any], list[Any]]:
    """NorQuAD's held-out articles as windows: the development check of every epoch."""
    from assistant.reader_model import encode_window

    passages, questions = reader_data.load(DEFAULT_DATA)
    _, held = reader_data.split_heldout(questions, reader_data.SPLIT_SEED)
    pos, neg, _ = reader_data.build_examples(passages, held, reader_data.SPLIT_SEED + 1)
    ex = pos + neg
    return ex, [encode_window(tok, e.question, e.heading, e.units)[0] for e in ex]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Tilpass leseren: nordiske data, så hverdagsspørsmål.")
    p.add_argument("--stage", choices=("nordic", "everyday"), required=True)
    p.add_argument("--init", type=Path, required=True, help="leseren forrige trinn skrev")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--hold-out-doc", help="la ett dokuments spørsmål ligge (doc_id)")
    p.add_argument("--seed", type=int, default=20261206)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument(
        "--freeze",
        type=int,
        default=None,
        help="lag frosset i dette trinnet (standard: nordic 2, everyday 4); alle fra 2 lagres",
    )
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--head-lr", type=float, default=5e-4)
    p.add_argument("--negatives-per-answer", type=float, default=0.8)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    p.add_argument("--limit", type=int, help="only this many examples (smoke test)")
    return p


def _stage_plan(
    windows: tuple[list[Any], list[Any], list[Any]],
    examples: tuple[list[Any], list[Any], list[Any]],
    n_neg: int,
    epochs: int,
    batch: int,
    rng: random.Random,
) -> list[tuple[list[Any], list[Any], list[list[int]]]]:
    """Per epoch (examples, windows, batches): every answer and near-miss window, and a fresh
    sample of `n_neg` other "no answer" windows."""
    pos, near, neg = examples
    pos_w, near_w, neg_w = windows
    plan = []
    for _ in range(epochs):
        pick = rng.sample(range(len(neg)), n_neg)
        ex = pos + near + [neg[i] for i in pick]
        ws = pos_w + near_w + [neg_w[i] for i in pick]
        plan.append((ex, ws, length_batches(ex, ws, batch, rng)))
    return plan


def _stage_record(
    args: argparse.Namespace,
    counts: dict[str, int],
    sizes: tuple[int, int, int, int],
    minutes: float,
    before: dict[str, float],
) -> dict[str, Any]:
    """What config.json's `stages` says of this stage; `sizes`: answer, near-miss and other
    "no answer" windows, and the last of those used per epoch."""
    answer, near_miss, other, per_epoch = sizes
    return {
        "stage": args.stage,
        "seed": args.seed,
        "epochs": args.epochs,
        "lr": args.lr,
        "head_lr": args.head_lr,
        "negatives_per_answer": args.negatives_per_answer,
        "hold_out_doc": args.hold_out_doc,
        "examples": counts,
        "windows": {
            "answer": answer,
            "near_miss": near_miss,
            "other_no_answer": other,
            "other_no_answer_per_epoch": per_epoch,
        },
        "minutes": minutes,
        "heldout_before": before,
    }


def _train(
    model: Any,
    opt: Any,
    sched: Any,
    params: list[Any],
    plan: list[tuple[list[Any], list[Any], list[list[int]]]],
    held: tuple[list[Any], list[Any]],
    bf16: bool,
) -> tuple[list[dict[str, Any]], float]:
    """The stage's epochs, each checked on the held-out windows: (per epoch its loss and
    figures, minutes taken)."""
    held_w, held_ex = held
    rows = []
    total = sum(len(b) for _, _, b in plan)
    started, step = time.time(), 0
    model.train()
    for epoch, (ex, ws, batches) in enumerate(plan, start=1):
        running = 0.0
        for batch in batches:
            b_ws, b_ex = [ws[i] for i in batch], [ex[i] for i in batch]
            running += train_step(model, opt, sched, params, b_ws, b_ex, bf16, 0.5)
            step += 1
            if step % 20 == 0:
                rate = (time.time() - started) / step
                log.info(
                    "step %d/%d loss %.3f (%.0f min left)",
                    step,
                    total,
                    running / step,
                    rate * (total - step) / 60,
                )
        figures = evaluate(model, held_w, held_ex, 32, bf16)
        rows.append({"epoch": epoch, "loss": round(running / len(batches), 4), **figures})
        log.info("epoch %d held out: %s", epoch, figures)
    return rows, round((time.time() - started) / 60, 1)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch
    from safetensors.torch import load_file

    from assistant.reader import bf16_supported
    from assistant.reader_model import build_model, encode_window
    from lhl.encoder import load_tokenizer

    freeze = args.freeze if args.freeze is not None else (2 if args.stage == "nordic" else 4)
    bf16 = bf16_supported()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    init = json.loads((args.init / "config.json").read_text(encoding="utf-8"))
    pos, near, neg, counts = stage_examples(args.stage, args.seed, args.hold_out_doc)
    if args.limit:
        pos, near, neg = pos[: args.limit], near[: args.limit // 4], neg[: args.limit // 4]
    log.info(
        "stage %s: %d answer, %d near-miss, %d other no-answer windows; %s",
        args.stage,
        len(pos),
        len(near),
        len(neg),
        counts,
    )
    tok = load_tokenizer()
    held_ex, held_w = heldout_windows(tok)
    encode = lambda exs: [encode_window(tok, e.question, e.heading, e.units)[0] for e in exs]  # noqa: E731
    windows = (encode(pos), encode(near), encode(neg))
    model = build_model()
    weights = load_file(str(args.init / "reader.safetensors"))
    model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=False)
    body, heads = freeze_layers(model, max(freeze, init["frozen_layers"]))
    opt = optimiser(body, heads, args.lr, args.head_lr)
    n_neg = max(0, min(len(neg), int(len(pos) * args.negatives_per_answer) - len(near)))
    plan = _stage_plan(windows, (pos, near, neg), n_neg, args.epochs, args.batch, rng)
    total = sum(len(b) for _, _, b in plan)
    sched = warmup_schedule(opt, total)
    before = evaluate(model, held_w, held_ex, 32, bf16)
    log.info("before: %s", before)
    rows, minutes = _train(model, opt, sched, [*body, *heads], plan, (held_w, held_ex), bf16)
    history = [*init.get("history", []), *({"stage": args.stage, **row} for row in rows)]
    sizes = (len(pos), len(near), len(neg), n_neg)
    config = {
        **init,
        "stages": [*init.get("stages", []), _stage_record(args, counts, sizes, minutes, before)],
        "history": history,
        "bf16": bf16,
        "trained": datetime.now(UTC).strftime("%Y-%m-%d"),
        "torch": torch.__version__,
    }
    save(model, args.out, config)
    log.info("saved %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
