"""Reloads do not pile up Chroma systems: the index a reload replaces lets go of its Chroma
client and system (database connections, vector index) as soon as nothing uses it, not when
the garbage collector gets to it; and nothing still in use is taken away. (RSS over 20
reloads, printed: scripts/reload_memory.py.)"""

from __future__ import annotations

import sys
import time
import weakref
from pathlib import Path
from typing import Any

from conftest import ROOT, make_settings

from ingest.pipeline import run_ingest
from lhl import vectors
from lhl.embeddings import HashEmbedder
from lhl.index_state import read_state, write_state
from lhl.settings import Settings
from lhl.store import Index, LiveIndex
from lhl.vectors import VectorStore

sys.path.insert(0, str(ROOT / "scripts"))

from kill_loop import settings_for, start_ingest, write_corpora  # noqa: E402


def _indexed(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path)
    run_ingest(settings, HashEmbedder(), settings.corpus_dir)
    return settings


def _reload(live: LiveIndex, settings: Settings) -> None:
    """Replace the state (same content, a new file) and wait for the service to swap."""
    state = read_state(settings.index_dir)
    assert state is not None
    write_state(settings.index_dir, state)
    before = live.reloads
    live._next_try = 0.0
    live.current()
    deadline = time.monotonic() + 30
    while live.reloads == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert live.reloads == before + 1


def _wait_until_gone(ref: weakref.ref[Any]) -> bool:
    deadline = time.monotonic() + 5  # the reload thread lets go as it ends
    while ref() is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    return ref() is None


def _chroma_of(store: VectorStore) -> weakref.ref[Any]:
    """The part of a client's Chroma system that holds its database and vector index."""
    return weakref.ref(store.client._server)


def test_each_reload_lets_go_of_the_replaced_indexs_chroma_system(tmp_path: Path) -> None:
    settings = _indexed(tmp_path)
    live = LiveIndex(lambda: Index(settings, HashEmbedder()))
    clients_before, systems_before = vectors.open_clients(), vectors.live_systems()
    systems, indexes = [], []
    for _ in range(6):
        systems.append(_chroma_of(live.current().dense))
        indexes.append(weakref.ref(live.current()))
        _reload(live, settings)
        # No gc.collect(): let go when the last reference goes, as in a service.
        assert _wait_until_gone(indexes[-1])
        assert systems[-1]() is None
    assert live.current().dense_search("eldre", 3)
    assert vectors.open_clients() <= clients_before
    assert vectors.live_systems() <= systems_before


def test_a_request_still_on_the_replaced_index_keeps_its_chroma_system(tmp_path: Path) -> None:
    settings = _indexed(tmp_path)
    live = LiveIndex(lambda: Index(settings, HashEmbedder()))
    old = live.current()  # a request that took the index before the reload
    system = _chroma_of(old.dense)
    _reload(live, settings)
    assert live.current() is not old
    assert old.dense_search("eldre", 3)  # it finishes as it began
    gone = weakref.ref(old)
    del old  # the request is done
    assert _wait_until_gone(gone) and system() is None


def test_what_is_still_in_use_keeps_working(tmp_path: Path) -> None:
    settings = _indexed(tmp_path)
    embedder = HashEmbedder()
    vector = embedder.embed_query("eldre")
    shared_a, shared_b = VectorStore(settings, embedder), VectorStore(settings, embedder)
    own = VectorStore(settings, embedder, fresh=True)
    ids = set(shared_a.all_ids())
    del shared_a, own
    assert shared_b.search(vector, 3, ids)  # the system both used goes on
    collection, system = shared_b._collection, _chroma_of(shared_b)
    del shared_b
    assert collection.count() == len(ids)  # a collection taken from a client keeps it
    del collection
    assert system() is None
    assert VectorStore(settings, embedder).search(vector, 3, ids)  # a new one starts


def test_a_fresh_client_sees_what_an_ingest_in_another_process_added(tmp_path: Path) -> None:
    """Why a reload opens a client of its own (its own Chroma system): one opened before an
    `lhl ingest` in another process ran does not see the vectors it added."""
    old_corpus, new_corpus = write_corpora(tmp_path, added_paragraphs=4)
    settings = settings_for(tmp_path / "index", old_corpus)
    run_ingest(settings, HashEmbedder(), old_corpus)
    embedder = HashEmbedder()
    old_state = read_state(settings.index_dir)
    assert old_state is not None
    before = VectorStore(settings, embedder, fresh=True)
    before.search(embedder.embed_query("eldre"), 3, old_state.live_ids)  # its index is read
    assert start_ingest(new_corpus, settings.index_dir, "hash").finish(timeout=120) == 0
    new_state = read_state(settings.index_dir)
    assert new_state is not None
    added = [c for c in new_state.chunks if c.id not in old_state.live_ids]
    assert added
    after = VectorStore(settings, embedder, fresh=True)
    for chunk in added:
        hits = after.search(embedder.embed_query(chunk.index_text()), 1, {chunk.id})
        assert [cid for cid, _ in hits] == [chunk.id]
