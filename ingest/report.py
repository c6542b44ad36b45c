"""What an ingest run tells its caller: how far it has come (`IngestProgress`, for a progress
display) and what it did (`IngestReport`, printed by `lhl ingest` and announced by `lhl serve`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lhl import messages

READING_SHARE = 0.1  # of a run's time, roughly: embedding is the rest


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


OnProgress = Callable[[IngestProgress], None]
Progress = Callable[[int, int], None]  # (passages embedded, passages to embed)


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
            messages.ingest.SUMMARY_DOCUMENTS.format(
                added=len(self.added),
                updated=len(self.updated),
                removed=len(self.removed),
                unchanged=len(self.unchanged),
            ),
            messages.ingest.SUMMARY_CHUNKS.format(
                chunks=self.chunks, embedded=self.embedded, seconds=self.seconds
            ),
        ]
        lines += [
            messages.ingest.FILE_FAILED.format(source=s, reason=r) for s, r in self.failed.items()
        ]
        lines += [
            messages.ingest.FILE_SKIPPED.format(source=s, reason=r) for s, r in self.skipped.items()
        ]
        lines += [
            messages.ingest.FILE_DUPLICATE.format(source=s, original=o)
            for s, o in self.duplicates.items()
        ]
        lines.extend(self.warnings)
        return "\n".join(lines)
