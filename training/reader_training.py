"""What training the reader takes, for every stage (training/train_reader.py for NorQuAD,
training/adapt_reader.py for the Nordic data and the everyday questions): batches of similar
length, the loss over [no answer, unit 1 … unit n] and the answer span, one optimiser step,
the check on held-out windows, which layers train, the optimiser and its schedule, and saving
what training changed with the model card."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any


def length_batches(
    examples: list[Any], windows: list[Any], size: int, rng: random.Random
) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    pool = size * 50
    out: list[list[int]] = []
    for k in range(0, len(order), pool):
        group = sorted(order[k : k + pool], key=lambda i: len(windows[i].ids))
        out.extend(group[j : j + size] for j in range(0, len(group), size))
    rng.shuffle(out)
    return out


def _token_index(window: Any, char: int, end: bool) -> int:
    for t, (a, b) in enumerate(window.offsets):
        if window.unit_of_token[t] < 0:
            continue
        if end and a < char <= b:
            return t
        if not end and a <= char < b:
            return t
    return -1


def evaluate(
    model: Any, windows: list[Any], examples: list[Any], batch: int, bf16: bool
) -> dict[str, float]:
    """Unit accuracy on answer windows (argmax over units), null rate on "no answer" windows
    and on answer windows."""
    import torch

    from assistant.reader_model import collate

    model.eval()
    hit = n_pos = null_on_neg = n_neg = null_on_pos = 0
    with torch.inference_mode():
        for k in range(0, len(windows), batch):
            ws = windows[k : k + batch]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                null, unit, _, _ = model(*collate(ws))
            null, unit = null.float(), unit.float()
            for i, ex in enumerate(examples[k : k + batch]):
                best = int(torch.argmax(unit[i, : ws[i].n_units]))
                says_null = float(null[i]) > float(unit[i, best])
                if ex.label >= 0:
                    n_pos += 1
                    hit += best == ex.label
                    null_on_pos += says_null
                else:
                    n_neg += 1
                    null_on_neg += says_null
    model.train()
    return {
        "unit_accuracy": round(hit / max(n_pos, 1), 4),
        "null_rate_on_negatives": round(null_on_neg / max(n_neg, 1), 4),
        "null_rate_on_answers": round(null_on_pos / max(n_pos, 1), 4),
    }


def window_loss(
    model: Any, b_ws: list[Any], b_ex: list[Any], bf16: bool, span_weight: float
) -> Any:
    """Cross-entropy over [no answer, unit 1 … unit n] per window, plus `span_weight` × the
    span's start and end (answer windows only)."""
    import torch

    from assistant.reader_model import collate

    ce = torch.nn.CrossEntropyLoss()
    ids, mask, unit_of, n_units = collate(b_ws)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        null, unit, start, end = model(ids, mask, unit_of, n_units)
    null, unit, start, end = null.float(), unit.float(), start.float(), end.float()
    logits = torch.cat([null.unsqueeze(1), unit], dim=1)
    loss = ce(logits, torch.tensor([e.label + 1 for e in b_ex]))
    spans = [
        (i, _token_index(w, e.answer_span[0], False), _token_index(w, e.answer_span[1], True))
        for i, (w, e) in enumerate(zip(b_ws, b_ex, strict=True))
        if e.answer_span is not None
    ]
    spans = [s for s in spans if s[1] >= 0 and s[2] >= 0]
    if spans:
        rows = torch.tensor([s[0] for s in spans])
        loss = loss + span_weight * 0.5 * (
            ce(start[rows], torch.tensor([s[1] for s in spans]))
            + ce(end[rows], torch.tensor([s[2] for s in spans]))
        )
    return loss


def train_step(
    model: Any,
    opt: Any,
    sched: Any,
    params: list[Any],
    b_ws: list[Any],
    b_ex: list[Any],
    bf16: bool,
    span_weight: float,
) -> float:
    """One optimiser step on one batch (gradients clipped to 1.0); the batch's loss."""
    import torch

    loss = window_loss(model, b_ws, b_ex, bf16, span_weight)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    sched.step()
    return float(loss.item())


def freeze(model: Any, frozen_layers: int) -> tuple[list[Any], list[Any]]:
    """Freeze the word vectors and the lowest layers; (trainable body, heads)."""
    for name, param in model.named_parameters():
        layer = name.split(".")[3] if name.startswith("encoder.encoder.layer.") else None
        frozen = name.startswith("encoder.embeddings.") or (
            layer is not None and int(layer) < frozen_layers
        )
        param.requires_grad = not frozen
    heads = [
        p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("encoder.")
    ]
    body = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("encoder.")]
    return body, heads


def save(model: Any, out_dir: Path, config: dict[str, Any]) -> None:
    import torch
    from safetensors.torch import save_file

    from assistant.reader_model import trained_names

    out_dir.mkdir(parents=True, exist_ok=True)
    params = dict(model.named_parameters())
    names = trained_names(model, config["frozen_layers"])
    weights = {n: params[n].detach().to(torch.float16).contiguous() for n in names}
    tmp = out_dir / "reader.safetensors.tmp"
    save_file(weights, str(tmp))
    tmp.replace(out_dir / "reader.safetensors")
    (out_dir / "config.json").write_text(
        json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    from training.model_card import model_card

    (out_dir / "MODEL_CARD.md").write_text(model_card(config), encoding="utf-8")


def optimiser(body: list[Any], heads: list[Any], lr: float, head_lr: float) -> Any:
    """AdamW with one learning rate for the encoder's layers and one for the heads."""
    import torch

    return torch.optim.AdamW(
        [{"params": body, "lr": lr}, {"params": heads, "lr": head_lr}], weight_decay=0.01
    )


def warmup_schedule(opt: Any, total: int) -> Any:
    """The learning rate warmed up linearly over the first 6 % of `total` steps, then down
    linearly to 0 at the last."""
    import torch

    warmup = max(1, int(0.06 * total))
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total - s) / max(1, total - warmup))
    )
