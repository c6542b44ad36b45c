"""The index: a dense store in Chroma and a lexical BM25 index, tied together by one state file.

Crash safety: Chroma is used as a content-addressed store of chunk vectors (ids are content
hashes), and the set of *live* chunks is `state.json`, replaced atomically at the end of an
ingest. An ingest that dies half-way leaves extra vectors in Chroma that no live chunk points
to (dense results are filtered by the live set), and the old state keeps serving. The next
successful ingest deletes the orphans.

The state file (and with it the lexical index) lives in `LHL_INDEX_DIR`. When the vectors live
in a Chroma server (`LHL_CHROMA_URL`), the state is published there too (lhl/shared_state.py),
so any host pointed at the server can serve, and picks up a newer state within seconds.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from typing import Any

from lhl import messages
from lhl.embeddings import Embedder
from lhl.errors import IndexNotReady, IndexUnavailable
from lhl.index_state import (
    STATE_FILE,
    DocumentState,
    IndexState,
    read_state,
    write_state,
)
from lhl.lexical import LexicalIndex
from lhl.records import Chunk
from lhl.settings import Settings
from lhl.shared_state import CHECK_INTERVAL_S, SharedState, generation
from lhl.text import heading_terms
from lhl.vectors import VectorStore

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
        return trim
    except (OSError, AttributeError):  # not glibc
        return None


def return_freed_memory() -> None:
    """Give the memory the process has freed back to the system (glibc only; elsewhere
    nothing). glibc keeps what a thread frees in that thread's arena, and each index brings
    threads that come and go (Chroma's runtime, Tantivy's indexer): without this a service's
    resident set grew with every reload (scripts/reload_memory.py), though nothing leaked."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class Index:
    """A loaded, read-only view of the index for serving: chunks, BM25 and the dense store."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._mtime = self._state_mtime()  # before reading: a newer state is then seen as stale
        try:
            state = read_state(settings.index_dir)
        except (OSError, ValueError) as exc:
            if not settings.chroma_url:
                raise IndexNotReady(
                    messages.errors.INDEX_UNREADABLE,
                    detail=f"cannot read {settings.index_dir / STATE_FILE}: {exc!r}",
                ) from exc
            state = None  # the server's copy will do
        self._shared: SharedState | None = None
        self._next_check = 0.0
        self.generation: str | None = None
        # A fresh Chroma view: an ingest in another process may have added vectors since.
        # With a server, it is opened first: its client also reads the published state.
        dense = VectorStore(settings, embedder, fresh=True) if settings.chroma_url else None
        if dense is not None:
            state = self._sync_shared(state, dense.client)
        if state is None or not state.chunks:
            raise IndexNotReady(detail=f"no index in {settings.index_dir}")
        if state.embedder != embedder.name:
            raise IndexNotReady(
                messages.errors.INDEX_OTHER_EMBEDDER,
                detail=f"index embedder {state.embedder} != configured {embedder.name}",
            )
        self.state = state
        self.chunks = state.chunks
        self.by_id = {c.id: c for c in state.chunks}
        self.position = {c.id: i for i, c in enumerate(state.chunks)}
        self.live = set(self.by_id)
        self.lexical = LexicalIndex(state.chunk_terms)
        self.dense = dense or VectorStore(settings, embedder, fresh=True)
        self.vectors = self.dense.store

    def _sync_shared(self, local: IndexState | None, client: Any) -> IndexState | None:
        """The state published in the Chroma server when it differs from the local copy (which
        is then replaced), else the local copy."""
        try:
            self._shared = SharedState(client, self.settings, self.embedder)
            current = self._shared.current()
            if current is None or (local is not None and generation(local) == current):
                self.generation = current
                return local
            fetched = self._shared.fetch()
        except Exception as exc:
            if local is None:
                raise IndexUnavailable(detail=f"cannot read the shared state: {exc!r}") from exc
            log.warning("shared index state unreadable, serving the local copy: %r", exc)
            return local
        if fetched is None:
            return local
        self.generation, state = fetched
        try:
            write_state(self.settings.index_dir, state)
            self._mtime = self._state_mtime()
        except OSError as exc:  # a read-only disk: serve from memory
            log.warning("cannot keep a local copy of the shared state: %r", exc)
        return state

    def _state_mtime(self) -> tuple[int, int]:
        """Which state file is in place: a replaced one has a new inode (os.replace of a new
        file), even when two ingests finish within the file system's time resolution."""
        try:
            st = (self.settings.index_dir / STATE_FILE).stat()
        except FileNotFoundError:
            return (0, 0)
        return (st.st_ino, st.st_mtime_ns)

    def is_stale(self) -> bool:
        """True when an ingest has replaced the state since this view was loaded: here, or
        (asked at most every CHECK_INTERVAL_S) on another host sharing the Chroma server."""
        if self._state_mtime() != self._mtime:
            return True
        if self._shared is None or time.monotonic() < self._next_check:
            return False
        self._next_check = time.monotonic() + CHECK_INTERVAL_S
        try:
            current = self._shared.current()
        except Exception as exc:
            log.warning("cannot ask the Chroma server for the index state: %r", exc)
            return False
        return current is not None and current != self.generation

    def warm(self) -> None:
        """Search once: Chroma reads a collection's vector index on its first search (~60 ms
        for 1,700 passages), which a reload does before the swap, not in a request."""
        self.dense_search("oppvarming", 1)

    @property
    def documents(self) -> list[DocumentState]:
        return list(self.state.documents.values())

    @cached_property
    def own_headings(self) -> list[tuple[str, ...]]:
        """Each chunk's own heading as `heading_terms`, for `sections_opening_with`."""
        return [heading_terms(c.own_heading) for c in self.chunks]

    def sections_opening_with(self, head: Sequence[str]) -> list[Chunk]:
        """The chunks whose own heading `opens_with` the terms `head`, in index order."""
        n, head = len(head), tuple(head)
        if not n:
            return []
        return [c for c, h in zip(self.chunks, self.own_headings, strict=True) if h[:n] == head]

    def lexical_search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        return [(self.chunks[i], s) for i, s in self.lexical.search(query, k)]

    def dense_search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        return self.dense_search_by_vector(self.embedder.embed_query(query), k)

    def dense_search_by_vector(self, vector: list[float], k: int) -> list[tuple[Chunk, float]]:
        try:
            hits = self.dense.search(vector, k, self.live)
        except Exception as exc:
            raise IndexUnavailable(detail=f"dense search failed: {exc!r}") from exc
        return [(self.by_id[cid], score) for cid, score in hits]


class LiveIndex:
    """The index a service answers from, replaced whole when an ingest has swapped the state.

    A request takes one `Index` from `current()` and uses only that one, so the state, the
    lexical index, the live-chunk filter and the Chroma view it sees always belong together.
    A newer state is loaded (and its vectors read by one search) in a background thread
    while the old index goes on answering; the swap is one assignment, so no request waits for a reload or sees half of one. A reload
    that fails (the state replaced again under it, Chroma busy) keeps the old index and is
    tried again on a later request, at most every `RETRY_S`.

    Each `Index` has a Chroma client of its own (a fresh view of the vectors). The one replaced
    is let go, with its Chroma system (database connections, vector index, threads), as soon
    as nothing refers to it: at the swap, or when the last request that took it is done, not
    when the garbage collector gets round to it (lhl/vectors.py `_track`). The memory it
    freed is then given back to the system.
    """

    RETRY_S = 1.0

    def __init__(self, load: Callable[[], Index]) -> None:
        self._load = load
        self._index = load()
        self._reloading = threading.Lock()
        self._next_try = 0.0
        self.reloads = 0  # swaps done, for tests and logs

    def current(self) -> Index:
        index = self._index
        if (
            time.monotonic() >= self._next_try
            and index.is_stale()
            and self._reloading.acquire(blocking=False)
        ):
            # A weak reference: the thread's own arguments must not keep the old index alive.
            threading.Thread(
                target=self._reload,
                args=(weakref.ref(index),),
                name="lhl-index-reload",
                daemon=True,
            ).start()
        return index

    def _reload(self, stale: weakref.ref[Index]) -> None:
        try:
            if self._index is not stale():
                return
            started = time.perf_counter()
            fresh = self._load()
            fresh.warm()
            self.reloads += 1  # counted before the swap: whoever sees the new index sees it
            self._index = fresh  # the old one is released here, or by the last request on it
            log.info(
                "index reloaded: %d documents, %d passages (%.0f ms)",
                len(fresh.state.documents),
                len(fresh.chunks),
                (time.perf_counter() - started) * 1000,
            )
            return_freed_memory()
        except Exception as exc:  # keep answering from the old index; try again later
            self._next_try = time.monotonic() + self.RETRY_S
            log.warning("index changed but cannot be reloaded yet; keeping the old one: %r", exc)
        finally:
            self._reloading.release()
