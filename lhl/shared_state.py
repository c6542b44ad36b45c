"""The index state kept in the Chroma server too, so that every host pointed at it serves the
same index.

With `LHL_CHROMA_URL` the vectors live in the server but the state (which chunks are live, their
text and terms, the documents) is written by `lhl ingest` to its own `LHL_INDEX_DIR`. A second
service host, or a container whose disk was wiped, would have no state and could not serve. So
an ingest in server mode also publishes the state to a small collection beside the vectors, and
a service whose local state is missing or behind fetches it from there (and keeps a local copy).

Publishing is crash-safe like the local state: the parts of a new state are written first, then
one pointer record is switched to them, then the old parts are deleted. A reader that finds
parts missing (deleted under it) reads the pointer again. The generation is a hash of the state,
so a host can tell without fetching whether its copy is current.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from lhl.vectors import collection_name

if TYPE_CHECKING:
    from lhl.embeddings import Embedder
    from lhl.index_state import IndexState
    from lhl.settings import Settings

log = logging.getLogger(__name__)

POINTER_ID = "current"
PART_CHARS = 1_000_000  # one record per megabyte of state
CHECK_INTERVAL_S = 10.0  # how often a service asks the server whether the state moved on
_DUMMY_VECTOR = [0.0]  # these records are looked up by id, never by similarity


def generation(state: IndexState) -> str:
    text = json.dumps(state.to_json(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _collection(client: Any, settings: Settings, embedder: Embedder) -> Any:
    name = f"{collection_name(settings, embedder)}-state"
    return client.get_or_create_collection(name=name, embedding_function=None)


class SharedState:
    """The state records of one embedder's collection in a Chroma server."""

    def __init__(self, client: Any, settings: Settings, embedder: Embedder) -> None:
        self._col = _collection(client, settings, embedder)

    def current(self) -> str | None:
        """The generation the pointer names, or None when nothing was published."""
        got = self._col.get(ids=[POINTER_ID], include=["metadatas"])
        if not got["ids"]:
            return None
        return str(got["metadatas"][0]["generation"])

    def publish(self, state: IndexState) -> str:
        gen = generation(state)
        if self.current() == gen:
            return gen
        text = json.dumps(state.to_json(), ensure_ascii=False)
        parts = [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)]
        self._col.upsert(
            ids=[f"{gen}-{i}" for i in range(len(parts))],
            documents=parts,
            embeddings=[_DUMMY_VECTOR] * len(parts),
            metadatas=[{"generation": gen, "part": i} for i in range(len(parts))],
        )
        self._col.upsert(
            ids=[POINTER_ID],
            documents=[gen],
            embeddings=[_DUMMY_VECTOR],
            metadatas=[{"generation": gen, "parts": len(parts)}],
        )
        self._col.delete(where={"generation": {"$ne": gen}})
        return gen

    def fetch(self) -> tuple[str, IndexState] | None:
        """The published state and its generation, or None when nothing was published."""
        from lhl.index_state import IndexState

        for _ in range(3):
            got = self._col.get(ids=[POINTER_ID], include=["metadatas"])
            if not got["ids"]:
                return None
            meta = got["metadatas"][0]
            gen, n = str(meta["generation"]), int(meta["parts"])
            ids = [f"{gen}-{i}" for i in range(n)]
            parts = self._col.get(ids=ids, include=["documents"])
            by_id = dict(zip(parts["ids"], parts["documents"], strict=True))
            if len(by_id) == n:
                data = json.loads("".join(by_id[i] for i in ids))
                return gen, IndexState.from_json(data)
            time.sleep(0.05)  # replaced while we read: the pointer names a newer state now
        raise ValueError("the shared index state kept changing while it was read")
