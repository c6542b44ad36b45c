"""The ingest run: scan the corpus, re-chunk what changed, embed only new chunks, swap the state.

Order matters for crash safety (see lhl/store.py): new vectors are added to Chroma first, the
state file is replaced atomically, and only then are vectors no live chunk uses deleted.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunker import CHUNKER_VERSION, chunk_document
from ingest.loaders import SUPPORTED_SUFFIXES, UnreadableFile, first_heading, load_file
from lhl.embeddings import Embedder
from lhl.errors import IngestFailed
from lhl.records import Chunk, DocumentInfo
from lhl.settings import Settings
from lhl.store import (
    DocumentState,
    IndexState,
    chunk_terms,
    read_state,
    vector_store,
    write_state,
)

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
EMBED_BATCH = 16

Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # source → reason
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"Dokumenter: {len(self.added)} nye, {len(self.updated)} endret, "
            f"{len(self.removed)} fjernet, {len(self.unchanged)} uendret.",
            f"Avsnitt i indeksen: {self.chunks} ({self.embedded} nye embeddinger). "
            f"Tid: {self.seconds:.1f} s.",
        ]
        for source, reason in self.failed.items():
            lines.append(f"Kunne ikke lese {source}: {reason}")
        return "\n".join(lines)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def scan_corpus(corpus_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    )


def read_manifest(corpus_dir: Path) -> dict[str, dict[str, object]]:
    path = corpus_dir / MANIFEST
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {entry["file"]: entry for entry in data.get("documents", [])}


def _source_name(corpus_dir: Path, path: Path) -> str:
    return f"{corpus_dir.name}/{path.relative_to(corpus_dir).as_posix()}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9æøå]+", "-", text.lower()).strip("-") or "dokument"


def document_info(corpus_dir: Path, path: Path, entry: dict[str, object] | None, title: str | None) -> DocumentInfo:
    entry = entry or {}
    rel = path.relative_to(corpus_dir).as_posix()

    def get(key: str) -> str | None:
        value = entry.get(key)
        return str(value) if value else None

    return DocumentInfo(
        doc_id=get("doc_id") or _slug(Path(rel).with_suffix("").as_posix()),
        title=get("title") or title or path.stem.replace("-", " ").replace("_", " "),
        source=_source_name(corpus_dir, path),
        publisher=get("publisher"),
        doc_type=get("doc_type"),
        date=get("date"),
        source_url=get("source_url"),
        licence=get("licence"),
    )


@contextmanager
def ingest_lock(index_dir: Path) -> Iterator[None]:
    """One ingest at a time per index folder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".ingest.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IngestFailed("En annen innlesing pågår allerede for denne indeksen.") from exc
        yield


def run_ingest(
    settings: Settings,
    embedder: Embedder,
    corpus_dir: Path | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    started = time.perf_counter()
    corpus_dir = (corpus_dir or settings.corpus_dir).resolve()
    if not corpus_dir.is_dir():
        raise IngestFailed(f"Fant ikke dokumentmappen «{corpus_dir}».")
    report = IngestReport()
    with ingest_lock(settings.index_dir):
        old = read_state(settings.index_dir)
        # Unchanged files keep their chunks; a new chunker version re-chunks everything.
        reusable = old if old and old.chunker == CHUNKER_VERSION else None
        old_chunks = {c.id: (c, t) for c, t in zip(old.chunks, old.chunk_terms, strict=True)} if old else {}
        manifest = read_manifest(corpus_dir)
        new = IndexState(embedder=embedder.name, chunker=CHUNKER_VERSION)
        seen_doc_ids: set[str] = set()

        for path in scan_corpus(corpus_dir):
            source = _source_name(corpus_dir, path)
            digest = sha256_file(path)
            entry = manifest.get(path.relative_to(corpus_dir).as_posix())
            previous = old.documents.get(source) if old else None
            if reusable and previous and previous.sha256 == digest and _same_info(previous, corpus_dir, path, entry):
                _keep(new, previous, old_chunks)
                report.unchanged.append(source)
                seen_doc_ids.add(previous.info.doc_id)
                continue
            try:
                blocks = load_file(path)
            except UnreadableFile as exc:
                report.failed[source] = str(exc)
                log.warning("skipping unreadable file %s: %s", source, exc)
                if previous:  # keep what was indexed before rather than lose it
                    _keep(new, previous, old_chunks)
                continue
            info = document_info(corpus_dir, path, entry, first_heading(blocks))
            if info.doc_id in seen_doc_ids:
                info = _rename(info, source)
            seen_doc_ids.add(info.doc_id)
            chunks = chunk_document(info, blocks)
            if not chunks:
                report.failed[source] = "ingen tekst funnet"
                continue
            new.documents[source] = DocumentState(info, digest, [c.id for c in chunks])
            new.chunks.extend(chunks)
            new.chunk_terms.extend(chunk_terms(c) for c in chunks)
            (report.updated if previous else report.added).append(source)

        if old:
            report.removed = sorted(set(old.documents) - set(new.documents) - set(report.failed))
        if not new.chunks:
            raise IngestFailed(detail=f"nothing indexable in {corpus_dir}")

        store = vector_store(settings, embedder)
        report.embedded = _embed_missing(store, new.chunks, progress)
        write_state(settings.index_dir, new)
        _delete_orphans(store, {c.id for c in new.chunks})
        report.chunks = len(new.chunks)
    report.seconds = time.perf_counter() - started
    return report


def _rename(info: DocumentInfo, source: str) -> DocumentInfo:
    from dataclasses import replace

    return replace(info, doc_id=_slug(source))


def _same_info(previous: DocumentState, corpus_dir: Path, path: Path, entry: dict[str, object] | None) -> bool:
    """A manifest edit (title, publisher …) counts as a change even if the file is the same."""
    if entry is None:
        return True
    fresh = document_info(corpus_dir, path, entry, previous.info.title)
    return fresh == previous.info


def _keep(new: IndexState, previous: DocumentState, old_chunks: dict[str, tuple[Chunk, list[str]]]) -> None:
    new.documents[previous.info.source] = previous
    for cid in previous.chunk_ids:
        chunk, terms = old_chunks[cid]
        new.chunks.append(chunk)
        new.chunk_terms.append(terms)


def _existing_ids(store: object, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        got = store.get(ids=ids[i : i + 500], include=[])  # type: ignore[attr-defined]
        found.update(got["ids"])
    return found


def _embed_missing(store: object, chunks: list[Chunk], progress: Progress | None) -> int:
    ids = [c.id for c in chunks]
    have = _existing_ids(store, ids)
    todo = [c for c in chunks if c.id not in have]
    for i in range(0, len(todo), EMBED_BATCH):
        batch = todo[i : i + EMBED_BATCH]
        store.add_texts(  # type: ignore[attr-defined]
            texts=[c.index_text() for c in batch],
            metadatas=[c.metadata() for c in batch],
            ids=[c.id for c in batch],
        )
        if progress:
            progress(min(i + EMBED_BATCH, len(todo)), len(todo))
    return len(todo)


def _delete_orphans(store: object, live: set[str]) -> None:
    try:
        all_ids = store.get(include=[])["ids"]  # type: ignore[attr-defined]
        orphans = [i for i in all_ids if i not in live]
        for i in range(0, len(orphans), 500):
            store.delete(ids=orphans[i : i + 500])  # type: ignore[attr-defined]
    except Exception:  # best effort: the next ingest tries again
        log.exception("could not delete orphaned vectors")


def default_ingest_threads() -> int:
    return max(1, os.cpu_count() or 1)
