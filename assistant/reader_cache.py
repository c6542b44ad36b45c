"""The built reader kept between starts (`.lhl/cache/reader-<hash>`): tokenizer and
weights as `Reader` built them, written beside the target and renamed into place, so that a
restart loads in about a second instead of rebuilding from the e5 file."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Bump when what the cache holds changes shape (names, dtypes, files).
CACHE_FORMAT = 1


def save_built(target: Path, tokenizer: Any, model: Any) -> None:
    """Keep the built reader for the next start: written beside `target` and renamed into
    place, so a reader of the cache sees all of it or nothing. A cache that cannot be written
    (read-only disk) only costs the next start its few seconds."""
    from safetensors.torch import save_file

    temp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    try:
        temp.mkdir(parents=True, exist_ok=True)
        tokenizer.save(str(temp / "tokenizer.json"))
        (temp / "encoder.json").write_text(model.encoder.config.to_json_string())
        weights = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_file(weights, str(temp / "model.safetensors"))
        os.replace(temp, target)
    except OSError as exc:
        log.warning("cannot keep the built reader in %s: %r", target, exc)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def load_built(cached: Path, build_model: Callable[..., Any]) -> tuple[Any, Any] | None:
    """The reader as `save_built` kept it, or None (absent, or unusable: it is built again)."""
    if not (cached / "model.safetensors").exists():
        return None
    try:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer
        from transformers import BertConfig, BertModel

        from lhl.encoder import make_buffers

        tokenizer = Tokenizer.from_file(str(cached / "tokenizer.json"))
        config = BertConfig.from_json_file(str(cached / "encoder.json"))
        with torch.device("meta"):
            model = build_model(encoder=BertModel(config, add_pooling_layer=False))
        missing, unexpected = model.load_state_dict(
            load_file(str(cached / "model.safetensors")), strict=False, assign=True
        )
        if missing or unexpected:
            raise ValueError(f"cache does not fit the network: {missing[:3]} {unexpected[:3]}")
        make_buffers(model.encoder)
        return tokenizer, model
    except Exception as exc:
        log.warning("the built reader in %s is unusable, building it again: %r", cached, exc)
        return None
