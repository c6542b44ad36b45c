"""The new index state, document by document: a file unchanged since the last run keeps its
chunks, a changed or new one is loaded and chunked, the same content under a second name is
indexed once, and a file that cannot be read keeps its previous version when there is one."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ingest.chunker import CHUNKER_VERSION, iter_chunks
from ingest.corpus import PlannedDocument, document_info, sha256_file
from ingest.errors import UnreadableFile
from ingest.loaders import iter_blocks
from ingest.report import IngestProgress, IngestReport, OnProgress
from lhl import messages
from lhl.embeddings import Embedder
from lhl.index_state import STAGE_LOGGER, DocumentState, IndexState, chunk_terms
from lhl.records import Block

log = logging.getLogger(__name__)
stage_log = logging.getLogger(STAGE_LOGGER)

HEADING_LOOKAHEAD = 5000  # blocks read ahead for a document's first heading (its title)


def build_state(
    corpus_dir: Path,
    planned: list[PlannedDocument],
    old: IndexState | None,
    embedder: Embedder,
    report: IngestReport,
    on_progress: OnProgress | None = None,
    max_file_mb: int = 0,
) -> IndexState:
    """The state the planned documents make; what happened to each goes to `report`."""
    build = _Build(corpus_dir, embedder, old, report, max_file_mb)
    for done, doc in enumerate(planned):
        if on_progress:
            on_progress(IngestProgress("reading", done, len(planned), 0, len(planned)))
        stage_log.debug("ingest stage: reading %s", doc.source)
        build.add(doc)
    if old:
        kept = {*build.new.documents, *report.failed, *report.removed, *report.duplicates}
        gone = set(old.documents) - kept
        report.removed = sorted([*report.removed, *gone])
    return build.new


class _Build:
    """One run's new state as it grows, with what it may reuse of the old one."""

    def __init__(
        self,
        corpus_dir: Path,
        embedder: Embedder,
        old: IndexState | None,
        report: IngestReport,
        max_file_mb: int,
    ) -> None:
        self.corpus_dir = corpus_dir
        self.old = old
        self.report = report
        self.max_file_mb = max_file_mb
        self.new = IndexState(embedder=embedder.name, chunker=CHUNKER_VERSION)
        self.old_chunks = (
            {c.id: (c, t) for c, t in zip(old.chunks, old.chunk_terms, strict=True)} if old else {}
        )
        # Unchanged files keep their chunks; a new chunker version re-chunks everything.
        self.reusable = old is not None and old.chunker == CHUNKER_VERSION
        self.by_digest: dict[str, str] = {}  # content hash → the source indexed with it

    def add(self, doc: PlannedDocument) -> None:
        report = self.report
        digest = sha256_file(doc.path)
        if digest in self.by_digest:
            # The same document under another name: indexed once (no duplicate passages in
            # answers), both names kept in the state.
            original = self.by_digest[digest]
            self.new.documents[original].aliases.append(doc.source)
            report.duplicates[doc.source] = original
            return
        previous = self.old.documents.get(doc.source) if self.old else None
        if previous is not None and self._unchanged(doc, previous, digest):
            self._keep(previous)
            self.by_digest[digest] = doc.source
            report.unchanged.append(doc.source)
            return
        size = doc.path.stat().st_size
        if self.max_file_mb and size > self.max_file_mb * 1_000_000:
            log.warning("skipping %s: %d bytes, over LHL_MAX_FILE_MB", doc.source, size)
            too_large = messages.ingest.FILE_TOO_LARGE.format(
                size=round(size / 1e6), limit=self.max_file_mb
            )
            report.skipped[doc.source] = too_large + self._keep_previous(previous)
            return
        try:
            heading, blocks = _with_first_heading(iter_blocks(doc.path))
            info = document_info(self.corpus_dir, doc.path, doc.entry, heading, doc.doc_id)
            chunks = list(iter_chunks(info, blocks))
        except UnreadableFile as exc:
            log.warning("skipping unreadable file %s: %s", doc.source, exc)
            # What was indexed is kept rather than lost.
            report.failed[doc.source] = str(exc) + self._keep_previous(previous)
            return
        if not chunks:
            report.skipped[doc.source] = (
                messages.ingest.EMPTY_FILE if not blocks.count else messages.ingest.NOTHING_TO_INDEX
            )
            if previous:
                report.removed.append(doc.source)
            return
        self.new.documents[doc.source] = DocumentState(
            info, digest, [c.id for c in chunks], heading
        )
        self.by_digest[digest] = doc.source
        self.new.chunks.extend(chunks)
        self.new.chunk_terms.extend(chunk_terms(c) for c in chunks)
        (report.updated if previous else report.added).append(doc.source)

    def _unchanged(self, doc: PlannedDocument, previous: DocumentState, digest: str) -> bool:
        """Same content and same manifest entry as last time, under the same chunker."""
        if not self.reusable or previous.sha256 != digest:
            return False
        info = document_info(
            self.corpus_dir, doc.path, doc.entry, previous.heading_title, doc.doc_id
        )
        return info == previous.info

    def _keep_previous(self, previous: DocumentState | None) -> str:
        """Keeps the previous version of a file that is not indexed now, when all its chunks
        are at hand; the note for the report's reason ("" when there was nothing to keep)."""
        if previous and all(cid in self.old_chunks for cid in previous.chunk_ids):
            self._keep(previous)
            return messages.ingest.PREVIOUS_KEPT
        return ""

    def _keep(self, previous: DocumentState) -> None:
        self.new.documents[previous.info.source] = replace(previous, aliases=[])  # found again
        for cid in previous.chunk_ids:
            chunk, terms = self.old_chunks[cid]
            self.new.chunks.append(chunk)
            self.new.chunk_terms.append(terms)


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
