"""Export the reader's encoder for ONNX Runtime: models/reader/reader.onnx, which
assistant/reader.py then reads with (its "onnx" engine; PyTorch stays for training and as the
fallback).

    .venv/bin/python -m training.export_reader            # write models/reader/reader.onnx
    .venv/bin/python -m training.export_reader --check    # and compare it with PyTorch

`make train-reader` runs it last, so a retrained reader is exported by the same command. The
export needs `onnx` (the `export` extra in pyproject.toml); serving needs only onnxruntime.

What is exported, and why (the measurements: docs/reader-engine.md):
- The 12 encoder layers with the position and type vectors and the embedding LayerNorm, as a
  plain BERT graph (query, key and value as one matmul). No attention mask: the reader runs
  each window at its own length, never padded. The 250k word vectors stay outside (96M
  numbers; the reader looks them up in its bf16 table) and so do the heads (cheap, in PyTorch).
- int8: weights per output channel, activations quantised per call (dynamic). Plain dynamic
  int8 moved margins by up to ~4 logits: the inputs of the feed-forward matmuls have a few
  channels ~15x larger than the rest, and one scale per tensor loses the others. So those
  channels are first moved into the weights (SmoothQuant, alpha 0.8): x·W = (x/s)·(s·W), with
  s from the largest values seen per channel over calibration windows (NorQuAD training
  articles, never the held-out ones). That is exact in fp32; only the rounding moves.
- The file carries a hash of the weights it was made from; the reader ignores an export whose
  hash does not match its reader.safetensors (a retrained reader not yet exported).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "norquad"
SMOOTH_ALPHA = 0.8
CALIBRATION_QUESTIONS = 80
CALIBRATION_SEED = 7
UNREAD = -1000.0  # a margin below this: the unit had no tokens in the window

log = logging.getLogger("export_reader")


def export_encoder(bert: Any, smooth: dict[tuple[int, str], Any] | None = None) -> Any:
    """A plain BERT encoder over `bert`'s weights: (word vectors, mask) -> hidden states, in
    the form ONNX Runtime's BERT fusions recognise. `smooth`: per (layer, "fi"|"fo") the
    channel scales s moved from the matmul's input into its weights. One network definition:
    its modules close over the encoder's shape and the scales."""
    import torch
    from torch import nn

    cfg = bert.config
    heads, hidden = cfg.num_attention_heads, cfg.hidden_size
    size = hidden // heads

    class Scaled(nn.Module):
        """x·W + b as (x·(1/s))·(s·W) + b."""

        def __init__(self, linear: nn.Linear, s: Any) -> None:
            super().__init__()
            self.inv = nn.Parameter((1.0 / s).float(), requires_grad=False)
            self.linear = nn.Linear(linear.in_features, linear.out_features)
            self.linear.weight = nn.Parameter(
                linear.weight.detach().float() * s, requires_grad=False
            )
            self.linear.bias = nn.Parameter(linear.bias.detach().float(), requires_grad=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear(x * self.inv)

    def linear(layer: nn.Linear, i: int, kind: str) -> nn.Module:
        if smooth is not None and (i, kind) in smooth:
            return Scaled(layer, smooth[(i, kind)])
        out = nn.Linear(layer.in_features, layer.out_features)
        out.weight = nn.Parameter(layer.weight.detach().float(), requires_grad=False)
        out.bias = nn.Parameter(layer.bias.detach().float(), requires_grad=False)
        return out

    def norm(ln: nn.LayerNorm) -> nn.LayerNorm:
        out = nn.LayerNorm(ln.normalized_shape, eps=ln.eps)
        out.weight = nn.Parameter(ln.weight.detach().float(), requires_grad=False)
        out.bias = nn.Parameter(ln.bias.detach().float(), requires_grad=False)
        return out

    class Layer(nn.Module):
        def __init__(self, i: int, src: Any) -> None:
            super().__init__()
            att = src.attention
            # Query, key and value as one matmul (one call instead of three, the same
            # numbers: int8 scales are per output channel).
            self.qkv = nn.Linear(hidden, 3 * hidden)
            parts = (att.self.query, att.self.key, att.self.value)
            self.qkv.weight = nn.Parameter(
                torch.cat([p.weight.detach().float() for p in parts]), requires_grad=False
            )
            self.qkv.bias = nn.Parameter(
                torch.cat([p.bias.detach().float() for p in parts]), requires_grad=False
            )
            self.att_out = linear(att.output.dense, i, "ao")
            self.att_norm = norm(att.output.LayerNorm)
            self.ff_in = linear(src.intermediate.dense, i, "fi")
            self.ff_out = linear(src.output.dense, i, "fo")
            self.out_norm = norm(src.output.LayerNorm)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            qkv = self.qkv(x).view(x.size(0), x.size(1), 3, heads, size).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(size)
            ctx = torch.matmul(nn.functional.softmax(scores, dim=-1), v)
            ctx = ctx.permute(0, 2, 1, 3).contiguous()
            ctx = ctx.view(ctx.size()[:-2] + (hidden,))
            x = self.att_norm(self.att_out(ctx) + x)
            return self.out_norm(self.ff_out(nn.functional.gelu(self.ff_in(x))) + x)

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            emb = bert.embeddings
            self.positions = nn.Parameter(
                emb.position_embeddings.weight.detach().float()
                + emb.token_type_embeddings.weight.detach().float()[0],
                requires_grad=False,
            )
            self.norm = norm(emb.LayerNorm)
            self.layers = nn.ModuleList(Layer(i, src) for i, src in enumerate(bert.encoder.layer))

        def forward(self, words: torch.Tensor) -> torch.Tensor:
            x = self.norm(words + self.positions[: words.size(1)])
            for layer in self.layers:
                x = layer(x)
            return x

    return Encoder().eval()


def calibration_windows(tokenizer: Any, data_dir: Path) -> list[Any]:
    """Windows as the reader reads them (answer and "no answer" chunks) for a seeded sample of
    NorQuAD training questions, none from the held-out articles."""
    from assistant.reader_model import encode_window
    from training import reader_data

    passages, questions = reader_data.load(data_dir)
    train, _ = reader_data.split_heldout(questions, reader_data.SPLIT_SEED)
    train = [q for q in train if not q.in_validation]
    sample = random.Random(CALIBRATION_SEED).sample(train, CALIBRATION_QUESTIONS)
    pos, neg, _ = reader_data.build_examples(passages, sample, CALIBRATION_SEED)
    return [encode_window(tokenizer, e.question, e.heading, e.units)[0] for e in pos + neg]


def smoothing_scales(bert: Any, windows: Sequence[Any], alpha: float = SMOOTH_ALPHA) -> dict:
    """Per layer, the SmoothQuant scales of the feed-forward matmuls' inputs:
    s_j = max|x_j|^alpha / max|W_j|^(1-alpha), x over the calibration windows."""
    import torch

    seen: dict[tuple[int, str], Any] = {}
    hooks = []
    for i, layer in enumerate(bert.encoder.layer):
        for kind, lin in (("fi", layer.intermediate.dense), ("fo", layer.output.dense)):

            def hook(_m: Any, inp: Any, _o: Any, key: tuple[int, str] = (i, kind)) -> None:
                a = inp[0].detach().float().abs().reshape(-1, inp[0].shape[-1]).amax(0)
                seen[key] = torch.maximum(seen[key], a) if key in seen else a

            hooks.append(lin.register_forward_hook(hook))
    try:
        with torch.inference_mode():
            for w in windows:
                ids = torch.tensor([w.ids])
                bert(input_ids=ids, attention_mask=torch.ones_like(ids))
    finally:
        for h in hooks:
            h.remove()
    scales = {}
    for (i, kind), act in seen.items():
        layer = bert.encoder.layer[i]
        lin = layer.intermediate.dense if kind == "fi" else layer.output.dense
        wmax = lin.weight.detach().float().abs().amax(0)
        s = act.clamp(min=1e-5) ** alpha / wmax.clamp(min=1e-5) ** (1 - alpha)
        scales[(i, kind)] = s.clamp(min=1e-5)
    return scales


def export(
    model_dir: Path, data_dir: Path, out: Path | None = None, alpha: float = SMOOTH_ALPHA
) -> Path:
    """Write `model_dir`/reader.onnx (or `out`): the int8 encoder of the reader in
    `model_dir`, with the hash of the weights it was made from."""
    import onnx
    import onnxruntime
    import torch

    from assistant.reader import Reader
    from assistant.reader_engine import ONNX_HASH_KEY, ONNX_NAME, weights_hash

    started = time.perf_counter()
    target = out or model_dir / ONNX_NAME
    reader = Reader(model_dir, threads=torch.get_num_threads(), engine="torch")
    reader.load()
    bert = reader._model.encoder
    windows = calibration_windows(reader._tokenizer, data_dir)
    encoder = export_encoder(bert, smoothing_scales(bert, windows, alpha))
    with tempfile.TemporaryDirectory(prefix="lhl-export-") as tmp:
        model = _int8_onnx(encoder, bert.config.hidden_size, Path(tmp))
        meta = {
            ONNX_HASH_KEY: weights_hash(model_dir),
            "quantisation": "dynamic int8, weights per channel; SmoothQuant on the FFN inputs",
            "smooth_alpha": str(alpha),
            "calibration_windows": str(len(windows)),
            "torch": torch.__version__,
            "onnxruntime": onnxruntime.__version__,
        }
        onnx.helper.set_model_props(model, meta)
        temp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
        onnx.save(model, str(temp))
        os.replace(temp, target)
    log.info(
        "wrote %s (%.1f MB) in %.0f s",
        target,
        target.stat().st_size / 1e6,
        time.perf_counter() - started,
    )
    return target


def _int8_onnx(encoder: Any, hidden_size: int, tmp: Path) -> Any:
    """The encoder exported to ONNX (fp32, in `tmp`), its MatMuls quantised to int8 with
    the weights per channel; the loaded int8 model."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32, int8 = tmp / "fp32.onnx", tmp / "int8.onnx"
    example = (torch.zeros(1, 16, hidden_size),)
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        encoder,
        example,
        str(fp32),
        dynamo=False,  # the TorchScript exporter: no onnxscript needed
        input_names=["words"],
        output_names=["hidden"],
        dynamic_axes={"words": axes, "hidden": axes},
        opset_version=17,
    )
    quantize_dynamic(
        fp32,
        int8,
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    return onnx.load(str(int8))


def heldout_windows(tokenizer: Any, data_dir: Path) -> list[tuple[str, Any]]:
    """(question, window) for NorQuAD's held-out training articles: the answer chunk and the
    "no answer" chunks of each question, as training builds them."""
    from assistant.reader_model import encode_window
    from training import reader_data

    passages, questions = reader_data.load(data_dir)
    _, held = reader_data.split_heldout(questions, reader_data.SPLIT_SEED)
    pos, neg, _ = reader_data.build_examples(passages, held, reader_data.SPLIT_SEED)
    return [
        (e.question, encode_window(tokenizer, e.question, e.heading, e.units)[0]) for e in pos + neg
    ]


def agreement(reference: Sequence[Sequence[float]], other: Sequence[Sequence[float]]) -> dict:
    """How far one engine's unit margins are from another's, per window: the largest and
    mean difference over the units read (a unit cut off by the window has no tokens and a
    margin of about -1e4 in both), and how often the best unit changes (in all windows, and
    in those the reference answers from), or the best margin's side of 0 and of the reader's
    refusal margin."""
    from assistant.rules import READER_NULL_MARGIN

    diffs: list[float] = []
    best = best_answering = answering = side = refusal = windows = 0
    for a, b in zip(reference, other, strict=True):
        if not a:
            continue
        windows += 1
        diffs += [abs(x - y) for x, y in zip(a, b, strict=True) if min(x, y) > UNREAD]
        changed = max(range(len(a)), key=a.__getitem__) != max(range(len(b)), key=b.__getitem__)
        best += changed
        if max(a) >= READER_NULL_MARGIN:
            answering += 1
            best_answering += changed
        side += (max(a) > 0) != (max(b) > 0)
        refusal += (max(a) < READER_NULL_MARGIN) != (max(b) < READER_NULL_MARGIN)
    diffs.sort()
    return {
        "windows": windows,
        "units": len(diffs),
        "max_diff": round(diffs[-1], 3) if diffs else 0.0,
        "mean_diff": round(sum(diffs) / max(len(diffs), 1), 4),
        "p99_diff": round(diffs[int(0.99 * (len(diffs) - 1))], 3) if diffs else 0.0,
        "best_unit_changed": best,
        "answering_windows": answering,
        "best_unit_changed_where_answering": best_answering,
        "side_of_0_changed": side,
        "side_of_refusal_margin_changed": refusal,
    }


def unit_margins(reader: Any, windows: Sequence[Any]) -> list[list[float]]:
    """Each window's unit margins, read one window at a time by the reader's engine."""
    out = []
    for w in windows:
        null, unit, _, _ = reader.logits([w])
        out.append([float(unit[0, u] - null[0]) for u in range(w.n_units)])
    return out


def check(model_dir: Path, data_dir: Path, limit: int | None = None) -> dict[str, Any]:
    """The exported engine against PyTorch (as it reads on this CPU, and in fp32) on the
    held-out windows."""
    from assistant.reader import Reader

    onnx_reader = Reader(model_dir, threads=1, engine="onnx")
    onnx_reader.load()
    torch_reader = Reader(model_dir, threads=1, engine="torch")
    torch_reader.load()
    windows = [w for _, w in heldout_windows(torch_reader._tokenizer, data_dir)][:limit]
    got = unit_margins(onnx_reader, windows)
    result: dict[str, Any] = {"onnx": onnx_reader.instruction_set}
    bf16 = None
    if torch_reader.bf16:
        bf16 = unit_margins(torch_reader, windows)
        result["vs_torch_bf16"] = agreement(bf16, got)
        torch_reader.bf16 = False
    fp32 = unit_margins(torch_reader, windows)
    result["vs_torch_fp32"] = agreement(fp32, got)
    if bf16 is not None:  # the yardstick: PyTorch's two paths against each other
        result["torch_bf16_vs_torch_fp32"] = agreement(fp32, bf16)
    return result


def main(argv: list[str] | None = None) -> int:
    from assistant.reader import DEFAULT_DIR

    p = argparse.ArgumentParser(description="Eksporter leserens koder til ONNX (int8).")
    p.add_argument("--model-dir", type=Path, default=DEFAULT_DIR)
    p.add_argument("--data", type=Path, default=Path(os.environ.get("NORQUAD_DIR", DEFAULT_DATA)))
    p.add_argument("--out", type=Path, help="standard: MODEL_DIR/reader.onnx")
    p.add_argument("--alpha", type=float, default=SMOOTH_ALPHA)
    p.add_argument("--check", action="store_true", help="sammenlign så med PyTorch-leseren")
    p.add_argument("--check-only", action="store_true", help="bare sammenligningen")
    p.add_argument("--limit", type=int, help="bare så mange vinduer i sammenligningen")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    if not (args.data / "train_questions.jsonl").exists():
        print(f"Fant ikke NorQuAD i {args.data} (--data eller NORQUAD_DIR).", file=sys.stderr)
        return 2
    if not args.check_only:
        export(args.model_dir, args.data, args.out, args.alpha)
    if args.check or args.check_only:
        print(json.dumps(check(args.model_dir, args.data, args.limit), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
