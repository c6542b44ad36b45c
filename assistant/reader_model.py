"""The reader's network and what it reads: the (question, passage) windows, their token ids
and unit map, and the e5 encoder with three small heads (unit, null, span). Shared by the
reader at run time (assistant/reader.py) and by training (training/train_reader.py,
training/export_reader.py, training/adapt_reader.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_QUESTION_TOKENS = 48
MAX_TOKENS = 288  # question + passage; a chunk (≤ 1,100 characters) nearly always fits


@dataclass(frozen=True, slots=True)
class Window:
    """One (question, passage) input: token ids, the unit each passage token belongs to
    (-1 for none), and each token's character span in the passage text."""

    ids: list[int]
    unit_of_token: list[int]
    offsets: list[tuple[int, int]]
    n_units: int


def passage_text(heading: str, units: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """The text the reader sees (heading line, then the units), with each unit's span."""
    text = heading.strip()
    spans: list[tuple[int, int]] = []
    for u in units:
        text += "\n" if not spans else " "
        spans.append((len(text), len(text) + len(u)))
        text += u
    return text, spans


def question_ids(tokenizer: Any, question: str) -> list[int]:
    """The question's tokens (no specials), cut to MAX_QUESTION_TOKENS."""
    ids: list[int] = tokenizer.encode(" ".join(question.split()), add_special_tokens=False).ids
    return ids[:MAX_QUESTION_TOKENS]


def encode_window(
    tokenizer: Any,
    question: str | list[int],
    heading: str,
    units: Sequence[str],
    max_tokens: int = MAX_TOKENS,
) -> tuple[Window, str, list[tuple[int, int]]]:
    """`<s> question </s></s> heading units… </s>`, truncated to `max_tokens`. The question
    may come tokenised already (`question_ids`: once per question, not per passage)."""
    text, spans = passage_text(heading, units)
    q_ids = question if isinstance(question, list) else question_ids(tokenizer, question)
    # A newline for a space keeps every offset: they index `text`.
    p = tokenizer.encode(text.replace("\n", " "), add_special_tokens=False)
    room = max_tokens - len(q_ids) - 4
    ids = [0, *q_ids, 2, 2]
    unit_of: list[int] = [-1] * len(ids)
    offsets: list[tuple[int, int]] = [(0, 0)] * len(ids)
    u = 0
    for tid, (a, b) in zip(p.ids[:room], p.offsets[:room], strict=False):
        while u < len(spans) and a >= spans[u][1]:
            u += 1
        inside = u < len(spans) and spans[u][0] <= a < spans[u][1]
        ids.append(tid)
        unit_of.append(u if inside else -1)
        offsets.append((a, b))
    ids.append(2)
    unit_of.append(-1)
    offsets.append((0, 0))
    return Window(ids, unit_of, offsets, len(spans)), text, spans


def build_model(
    e5_path: str | None = None, share_weights: bool = False, encoder: Any = None
) -> Any:
    """The reader network, with the bundled e5 weights (heads freshly initialised);
    `share_weights` as for lhl.encoder.load_encoder. With `encoder`, that `BertModel`
    instead (the reader's cache builds one on the meta device and assigns the weights)."""
    import torch
    from torch import nn

    from lhl.encoder import load_encoder

    class ReaderModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder if encoder is not None else load_encoder(e5_path, share_weights)
            h = self.encoder.config.hidden_size
            self.unit_head = nn.Sequential(nn.Linear(2 * h, h), nn.GELU(), nn.Linear(h, 1))
            self.null_head = nn.Linear(h, 1)
            self.span_head = nn.Linear(h, 2)

        def forward(
            self, ids: torch.Tensor, mask: torch.Tensor, unit_of: torch.Tensor, n_units: int
        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
            h = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state  # B,T,H
            return self.heads(h, unit_of, n_units)

        def heads(
            self, h: torch.Tensor, unit_of: torch.Tensor, n_units: int
        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
            """(null, unit, start, end) logits from the encoder's hidden states."""
            null = self.null_head(h[:, 0]).squeeze(-1)  # B
            u = max(n_units, 1)
            # Pool each unit's tokens (mean and max) with scatter ops: O(B·T·H), not B·U·T·H.
            # Tokens of no unit go to an extra slot that is dropped.
            slot = torch.where(unit_of >= 0, unit_of, torch.full_like(unit_of, u))
            index = slot.unsqueeze(-1).expand(-1, -1, h.size(-1))
            shape = (h.size(0), u + 1, h.size(-1))
            total = torch.zeros(shape, dtype=h.dtype).scatter_add(1, index, h)
            ones = torch.ones_like(slot, dtype=h.dtype)
            count = torch.zeros(shape[:2], dtype=h.dtype).scatter_add(1, slot, ones)
            count = count[:, :u].unsqueeze(-1)  # B,U,1
            mean = total[:, :u] / count.clamp(min=1.0)
            peak = torch.full(shape, -1e4, dtype=h.dtype).scatter_reduce(
                1, index, h, reduce="amax", include_self=True
            )[:, :u]
            peak = torch.where(count > 0, peak, torch.zeros_like(peak))
            unit = self.unit_head(torch.cat([mean, peak], dim=-1)).squeeze(-1)  # B,U
            unit = unit.masked_fill(count.squeeze(-1) == 0, -1e4)
            span = self.span_head(h)  # B,T,2
            passage = unit_of >= 0
            start = span[..., 0].masked_fill(~passage, -1e4)
            end = span[..., 1].masked_fill(~passage, -1e4)
            return null, unit, start, end

    return ReaderModel()


def collate(windows: Sequence[Window]) -> tuple[Any, Any, Any, int]:
    import torch

    t = max(len(w.ids) for w in windows)
    ids = torch.full((len(windows), t), 1, dtype=torch.long)  # <pad>
    mask = torch.zeros((len(windows), t), dtype=torch.long)
    unit_of = torch.full((len(windows), t), -1, dtype=torch.long)
    for i, w in enumerate(windows):
        n = len(w.ids)
        ids[i, :n] = torch.tensor(w.ids)
        mask[i, :n] = 1
        unit_of[i, :n] = torch.tensor(w.unit_of_token)
    return ids, mask, unit_of, max(w.n_units for w in windows)


def trained_names(model: Any, frozen_layers: int) -> list[str]:
    """The parameters training changes (and models/reader/ stores): every layer above the
    frozen ones, and the heads."""
    keep = []
    for name, _ in model.named_parameters():
        if name.startswith("encoder.embeddings."):
            continue
        if name.startswith("encoder.encoder.layer."):
            if int(name.split(".")[3]) < frozen_layers:
                continue
        keep.append(name)
    return keep
