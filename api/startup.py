"""Start-up in the background: ingest when the index is missing or stale, then load the assistant.

The HTTP server answers at once (/healthz), /readyz turns true when the assistant is loaded.
When an index made with the same embedder is already there, it is loaded first and serves
while the start-up ingest brings it up to date (the assistant picks up the new state by
itself); only a missing or unusable index makes the service wait for the ingest.
If there is no usable index, the loader tries again every few seconds, so an `lhl ingest` run
in another terminal brings the service up without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from api.metrics import Metrics
from assistant.service import Assistant
from ingest.chunker import CHUNKER_VERSION
from ingest.corpus import document_info, read_manifest, scan_corpus, sha256_file
from ingest.pipeline import IngestProgress, default_ingest_threads, run_ingest
from lhl import messages
from lhl.embeddings import make_embedder
from lhl.errors import IndexNotReady, LhlError
from lhl.index_state import STATE_FILE, read_state
from lhl.settings import Settings

log = logging.getLogger(__name__)

State = Literal["starting", "ingesting", "loading", "ready", "failed"]
AssistantFactory = Callable[[Settings], Assistant]
RETRY_S = 5.0


def index_is_current(settings: Settings) -> bool:
    """True when an ingest would change nothing: same embedder and chunker, same files with
    the same content and manifest entries. Cheap (hashes a few files), and it leaves the index
    untouched, unlike an ingest that finds nothing to do."""
    state = read_state(settings.index_dir)
    if state is None or not state.chunks:
        return False
    if (
        state.embedder != make_embedder(settings.embeddings).name
        or state.chunker != CHUNKER_VERSION
    ):
        return False
    corpus = settings.corpus_dir.resolve()
    if not corpus.is_dir():
        return True  # nothing to ingest from: serve what is there
    manifest = read_manifest(corpus)
    files = {f"{corpus.name}/{p.relative_to(corpus).as_posix()}": p for p in scan_corpus(corpus)}
    if set(files) != set(state.documents):
        return False
    for source, path in files.items():
        doc = state.documents[source]
        if sha256_file(path) != doc.sha256:
            return False
        entry = manifest.get(path.relative_to(corpus).as_posix())
        if entry is not None and document_info(corpus, path, entry, doc.info.title) != doc.info:
            return False
    return True


class Startup:
    """Owns the background start-up and knows what state the service is in."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        factory: AssistantFactory = Assistant,
        ingest_first: bool = False,
        announce: Callable[[str], None] | None = None,
        on_ready: Callable[[Assistant], None] | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.factory = factory
        self.ingest_first = ingest_first
        self.announce = announce or (lambda message: None)
        self.on_ready = on_ready or (lambda assistant: None)
        self.state: State = "starting"
        self.error: LhlError | None = None
        self.assistant: Assistant | None = None
        self.progress: IngestProgress | None = None  # of the start-up ingest, while it runs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lhl-startup", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        # An ingest in progress is left to die with the process: the index is crash-safe.
        self._stop.set()

    def wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state == "ready":
                return True
            time.sleep(0.02)
        return self.state == "ready"

    def _set(self, state: State) -> None:
        self.state = state
        self.metrics.state.state(state)
        self.metrics.ready.set(1 if state == "ready" else 0)

    def _run(self) -> None:
        if self.ingest_first and self._servable() and self._try_load():
            self._ingest()  # the old index answers meanwhile
            return
        if self.ingest_first:
            self._ingest()
        self._load_until_ready()

    def _servable(self) -> bool:
        """An index made with this embedder is there, whatever the corpus is now."""
        try:
            state = read_state(self.settings.index_dir)
        except Exception:
            return False
        return bool(
            state is not None
            and state.chunks
            and state.embedder == make_embedder(self.settings.embeddings).name
        )

    def _load_until_ready(self) -> None:
        while not self._stop.is_set() and not self._try_load():
            if self._stop.wait(RETRY_S):
                return

    def _try_load(self) -> bool:
        try:
            self._load()
            return True
        except LhlError as exc:
            self.error = exc
            log.warning("cannot load the index yet: %s", exc.detail)
        except Exception:
            self.error = LhlError()
            log.exception("loading the assistant failed")
        self._set("failed")
        return False

    def _ingest(self) -> None:
        try:
            if index_is_current(self.settings):
                return
            if self.state != "ready":
                self._set("ingesting")
            self.announce(messages.terminal.INGESTING.format(path=self.settings.corpus_dir))
            embedder = make_embedder(self.settings.embeddings, threads=default_ingest_threads())
            report = run_ingest(
                self.settings, embedder, self.settings.corpus_dir, on_progress=self._on_progress
            )
        except LhlError as exc:
            # Serve the index there is, if any; the loader reports when there is none.
            self.metrics.ingest_runs.labels("failed").inc()
            log.warning("start-up ingest failed: %s", exc.detail)
            self.announce(messages.terminal.INGEST_FAILED.format(message=exc.message))
            return
        except Exception:
            self.metrics.ingest_runs.labels("failed").inc()
            log.exception("start-up ingest failed")
            self.announce(messages.terminal.INGEST_CRASHED)
            return
        self.metrics.ingest_runs.labels("ok").inc()
        self.metrics.ingest_seconds.set(report.seconds)
        self.metrics.ingest_changed.set(
            len(report.added) + len(report.updated) + len(report.removed)
        )
        self.announce(report.summary())

    def _on_progress(self, progress: IngestProgress) -> None:
        self.progress = progress

    def progress_json(self) -> dict[str, object] | None:
        """How far the start-up ingest has come, for /readyz and the web page's progress bar."""
        p = self.progress
        if self.state != "ingesting" or p is None:
            return None
        return {
            "stage": p.stage,
            "documents_done": p.documents_done,
            "documents_total": p.documents_total,
            "chunks_done": p.chunks_done,
            "chunks_total": p.chunks_total,
            "fraction": p.fraction,
        }

    def _load(self) -> None:
        self._set("loading")
        assistant = self.factory(self.settings)
        assistant.load()
        self.assistant = assistant
        self.error = None
        self.on_ready(assistant)
        self._watch_index(assistant)
        self._set("ready")
        docs = len(assistant.index.documents)
        self.announce(
            messages.terminal.READY.format(documents=docs, chunks=len(assistant.index.chunks))
        )

    def _watch_index(self, assistant: Assistant) -> None:
        """Index gauges read at scrape time, so a reloaded index shows up without a restart."""

        def safely(read: Callable[[], float]) -> Callable[[], float]:
            def value() -> float:
                try:
                    return read()
                except Exception:  # a scrape must not fail because the index is swapping
                    return float("nan")

            return value

        state_file = self.settings.index_dir / STATE_FILE
        self.metrics.index_documents.set_function(safely(lambda: len(assistant.index.documents)))
        self.metrics.index_chunks.set_function(safely(lambda: len(assistant.index.chunks)))
        self.metrics.index_updated.set_function(safely(lambda: state_file.stat().st_mtime))

    def not_ready_error(self) -> LhlError:
        """Why the assistant cannot answer yet, in words a user understands."""
        if self.state == "ingesting":
            p = self.progress
            if p is not None and p.documents_total:
                count = messages.errors.NOT_READY_INGESTING_COUNT.format(
                    done=p.documents_done, total=p.documents_total
                )
                return IndexNotReady(count)
            return IndexNotReady(messages.errors.NOT_READY_INGESTING)
        if self.state in ("starting", "loading"):
            return IndexNotReady(messages.errors.NOT_READY_LOADING)
        if self.error is not None and self.error.status == 503:
            return self.error
        return IndexNotReady()
