"""The dense half of the index: Chroma (embedded `PersistentClient`, or `HttpClient` when
`LHL_CHROMA_URL` is set) through LangChain's Chroma store, one collection per embedding
model. lhl/store.py ties it to the state file and the lexical index.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlparse

from lhl.embeddings import Embedder
from lhl.errors import IndexUnavailable
from lhl.records import Chunk
from lhl.settings import Settings

log = logging.getLogger(__name__)

_ID_BATCH = 500
# Neighbours HNSW explores per query. At Chroma's default (100) the graph each process builds
# gave different neighbours from one run to the next (NorQuAD, ~1,500 chunks); at 1,000 the
# search is exact to well beyond that size and answers are the same in every process.
EF_SEARCH = 1000


def collection_name(settings: Settings, embedder: Embedder) -> str:
    """One collection per embedding model; Chroma allows 3–512 of [a-zA-Z0-9._-]."""
    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", f"{settings.chroma_collection_prefix}-{embedder.name}")
    slug = slug.strip("-._")
    if len(slug) > 60:  # keep names short and still tell long model names apart
        digest = hashlib.sha1(slug.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:51].strip('-._')}-{digest}"
    return slug


def chroma_client(settings: Settings, fresh: bool = False) -> Any:
    """A Chroma client: HTTP when `LHL_CHROMA_URL` is set, else the embedded store.

    `fresh`: the embedded client caches one "system" per folder for the life of the process,
    and its in-memory vector index does not see what another process (an `lhl ingest` beside
    a running service) wrote since. A fresh one reads the folder again; clients already made
    keep working on the old one.

    A system is let go once no client made here uses it any more (see `_track`).
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            return _track(
                chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
            )
        path = settings.index_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        if fresh:
            _forget_cached_system(str(path))
        return _track(chromadb.PersistentClient(path=str(path), settings=chroma_settings))
    except Exception as exc:  # connection refused, unreadable folder
        raise IndexUnavailable(detail=f"cannot open Chroma: {exc!r}") from exc


def _forget_cached_system(identifier: str, system: Any | None = None) -> None:
    """Chroma's cached system for a folder (or an HTTP client's), when it is `system` if given:
    the next client makes a new one."""
    from chromadb.api.shared_system_client import SharedSystemClient

    with SharedSystemClient._refcount_lock:
        cached = SharedSystemClient._identifier_to_system.get(identifier)
        if cached is not None and (system is None or cached is system):
            del SharedSystemClient._identifier_to_system[identifier]
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)


# Clients made here, by the Chroma system each uses (id → [system, clients alive]).
_systems: dict[int, list[Any]] = {}
_systems_lock = threading.Lock()


def _track(client: Any) -> Any:
    """Let the client's Chroma system go when the last client made here on it is gone.

    Chroma keeps every system in a class-level cache until a client's `close()`, and a system
    and its parts refer to each other, so a system nobody uses waited for the garbage
    collector's rare full passes, with its database connections, vector index and threads (a
    service kept one per reload: 13 after 20 reloads). Closing would stop it under whoever still
    uses it (a collection taken from the client, a request on a replaced index). Instead it is
    taken out of the cache and its own references to its parts are dropped: those parts, the
    database and vector index among them, are then freed as soon as the last collection or
    request using them lets go.
    """
    system = client._server._system
    with _systems_lock:
        entry = _systems.setdefault(id(system), [system, 0])
        entry[1] += 1
    weakref.finalize(client, _client_gone, id(system), client._identifier)
    return client


def _client_gone(key: int, identifier: str) -> None:
    with _systems_lock:
        entry = _systems[key]
        entry[1] -= 1
        if entry[1]:
            return
        system = entry[0]
        del _systems[key]
    _forget_cached_system(identifier, system)
    system._instances.clear()


def open_clients() -> int:
    """Chroma clients made here and still referred to, in this process."""
    with _systems_lock:
        return sum(n for _, n in _systems.values())


def live_systems() -> int:
    """Chroma systems some client made here still uses, in this process."""
    with _systems_lock:
        return len(_systems)


def vector_store(settings: Settings, embedder: Embedder, client: Any | None = None) -> Any:
    """LangChain's Chroma store for this embedder's collection."""
    from langchain_chroma import Chroma

    return Chroma(
        collection_name=collection_name(settings, embedder),
        embedding_function=embedder,
        client=client or chroma_client(settings),
        collection_metadata={"hnsw:space": "cosine"},
    )


Progress = Callable[[int, int], None]


class VectorStore:
    """The dense half of the index. LangChain's Chroma store embeds and searches; the few
    housekeeping calls an incremental ingest needs (which ids exist, metadata updates,
    deletes) go to the same collection."""

    batch_size = 16

    def __init__(self, settings: Settings, embedder: Embedder, fresh: bool = False) -> None:
        self.store = vector_store(settings, embedder, chroma_client(settings, fresh=fresh))
        self._ensure_search_ef()

    def _ensure_search_ef(self) -> None:
        try:
            hnsw = (self._collection.configuration or {}).get("hnsw") or {}
            if (hnsw.get("ef_search") or 0) < EF_SEARCH:
                self._collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
        except Exception as exc:  # an older server: searches stay approximate
            log.warning("cannot raise the HNSW search breadth: %r", exc)

    @property
    def _collection(self) -> Any:
        return self.store._collection

    @property
    def client(self) -> Any:
        return self.store._client

    def existing_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), _ID_BATCH):
            found.update(self._collection.get(ids=ids[i : i + _ID_BATCH], include=[])["ids"])
        return found

    def all_ids(self) -> list[str]:
        return list(self._collection.get(include=[])["ids"])

    def add(self, chunks: list[Chunk], progress: Progress | None = None) -> None:
        """Embeds and stores `chunks`, a batch at a time; each batch is committed on its own,
        so an interrupted run keeps what it finished (as orphans until the state names them)."""
        for i in range(0, len(chunks), self.batch_size):
            batch = chunks[i : i + self.batch_size]
            self.store.add_texts(
                texts=[c.index_text() for c in batch],
                metadatas=[c.metadata() for c in batch],
                ids=[c.id for c in batch],
            )
            if progress:
                progress(min(i + self.batch_size, len(chunks)), len(chunks))

    def update_metadata(self, chunks: Iterable[Chunk]) -> None:
        chunks = list(chunks)
        for i in range(0, len(chunks), _ID_BATCH):
            batch = chunks[i : i + _ID_BATCH]
            self._collection.update(
                ids=[c.id for c in batch], metadatas=[c.metadata() for c in batch]
            )

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), _ID_BATCH):
            self._collection.delete(ids=ids[i : i + _ID_BATCH])

    def search(self, vector: list[float], k: int, live: set[str]) -> list[tuple[str, float]]:
        """The k nearest live chunks as (id, cosine similarity), best first. Vectors left by an
        interrupted ingest are skipped; if they crowd the top, the search is repeated
        restricted to live ids."""
        if not live or k <= 0:
            return []
        n = min(2 * k, len(live))
        # LangChain names these "relevance scores", but for a vector query they are Chroma's
        # cosine distances.
        hits = self.store.similarity_search_by_vector_with_relevance_scores(vector, k=n)
        out = [(doc.id, 1.0 - float(dist)) for doc, dist in hits if doc.id in live]
        if len(out) < min(k, len(live)) and len(hits) >= n:
            hits = self.store.similarity_search_by_vector_with_relevance_scores(
                vector, k=min(k, len(live)), ids=sorted(live)
            )
            out = [(doc.id, 1.0 - float(dist)) for doc, dist in hits if doc.id in live]
        return out[:k]
