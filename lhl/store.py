"""The index: a dense store in Chroma and a lexical BM25 index, tied together by one state file.

Crash safety: Chroma is used as a content-addressed store of chunk vectors (ids are content
hashes), and the set of *live* chunks is `state.json`, replaced atomically at the end of an
ingest. An ingest that dies half-way leaves extra vectors in Chroma that no live chunk points
to (dense results are filtered by the live set), and the old state keeps serving. The next
successful ingest deletes the orphans.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from lhl.embeddings import Embedder
from lhl.errors import IndexNotReady, IndexUnavailable
from lhl.lexical import LexicalIndex
from lhl.records import Chunk, DocumentInfo
from lhl.settings import Settings
from lhl.text import terms

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
STATE_FORMAT = 1


@dataclass
class DocumentState:
    info: DocumentInfo
    sha256: str
    chunk_ids: list[str]


@dataclass
class IndexState:
    embedder: str
    chunker: str
    documents: dict[str, DocumentState] = field(default_factory=dict)  # by source path
    chunks: list[Chunk] = field(default_factory=list)
    chunk_terms: list[list[str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "embedder": self.embedder,
            "chunker": self.chunker,
            "documents": {
                src: {"info": asdict(d.info), "sha256": d.sha256, "chunk_ids": d.chunk_ids}
                for src, d in self.documents.items()
            },
            "chunks": [
                {**asdict(c), "terms": t} for c, t in zip(self.chunks, self.chunk_terms, strict=True)
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexState:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unknown index format {data.get('format')!r}")
        chunks, chunk_terms = [], []
        for raw in data["chunks"]:
            chunk_terms.append(raw.pop("terms"))
            chunks.append(Chunk(**raw))
        docs = {
            src: DocumentState(DocumentInfo(**d["info"]), d["sha256"], d["chunk_ids"])
            for src, d in data["documents"].items()
        }
        return cls(data["embedder"], data["chunker"], docs, chunks, chunk_terms)


def chunk_terms(chunk: Chunk) -> list[str]:
    return terms(f"{chunk.title}\n{chunk.index_text()}")


def read_state(index_dir: Path) -> IndexState | None:
    path = index_dir / STATE_FILE
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as f:
        return IndexState.from_json(json.load(f))


def write_state(index_dir: Path, state: IndexState) -> None:
    """Atomic replace: readers see the old state or the new one, never half of one."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=index_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state.to_json(), f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, index_dir / STATE_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def collection_name(settings: Settings, embedder: Embedder) -> str:
    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", f"{settings.chroma_collection_prefix}-{embedder.name}")
    return slug.strip("-._")[:60].strip("-._")


def chroma_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        path = settings.index_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # connection refused, unreadable folder
        raise IndexUnavailable(detail=f"cannot open Chroma: {exc!r}") from exc


def vector_store(settings: Settings, embedder: Embedder, client: Any | None = None) -> Any:
    from langchain_chroma import Chroma

    return Chroma(
        collection_name=collection_name(settings, embedder),
        embedding_function=embedder,
        client=client or chroma_client(settings),
        collection_metadata={"hnsw:space": "cosine"},
    )


class Index:
    """A loaded, read-only view of the index for serving: chunks, BM25 and the dense store."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        state = read_state(settings.index_dir)
        if state is None or not state.chunks:
            raise IndexNotReady(detail=f"no index in {settings.index_dir}")
        if state.embedder != embedder.name:
            raise IndexNotReady(
                "Indeksen ble bygget med en annen embedding-modell. Kjør «lhl ingest» på nytt.",
                detail=f"index embedder {state.embedder} != configured {embedder.name}",
            )
        self.state = state
        self.chunks = state.chunks
        self.by_id = {c.id: c for c in state.chunks}
        self.position = {c.id: i for i, c in enumerate(state.chunks)}
        self.lexical = LexicalIndex(state.chunk_terms)
        self.vectors = vector_store(settings, embedder)
        self._mtime = self._state_mtime()

    def _state_mtime(self) -> float:
        try:
            return (self.settings.index_dir / STATE_FILE).stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def is_stale(self) -> bool:
        """True when an ingest has replaced the state since this view was loaded."""
        return self._state_mtime() != self._mtime

    @property
    def documents(self) -> list[DocumentState]:
        return list(self.state.documents.values())

    def lexical_search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        return [(self.chunks[i], s) for i, s in self.lexical.search(query, k)]

    def dense_search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        return self.dense_search_by_vector(self.embedder.embed_query(query), k)

    def dense_search_by_vector(self, vector: list[float], k: int) -> list[tuple[Chunk, float]]:
        try:
            hits = self.vectors.similarity_search_by_vector_with_relevance_scores(
                vector, k=min(k * 2, len(self.chunks) * 2)
            )
        except Exception as exc:
            raise IndexUnavailable(detail=f"dense search failed: {exc!r}") from exc
        out: list[tuple[Chunk, float]] = []
        for doc, score in hits:
            chunk = self.by_id.get(doc.id or "")
            if chunk is not None:  # orphans of an interrupted ingest are skipped
                out.append((chunk, float(score)))
        return out[:k]
