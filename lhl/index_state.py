"""The index's state on disk (`state.json` in `LHL_INDEX_DIR`): which documents and chunks are
live, written atomically, so that a reader sees the old state or the new one, never half of
one. Shared by the ingest pipeline (which writes it), the serving index (lhl/store.py) and the
state published to a Chroma server (lhl/shared_state.py).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lhl.records import Chunk, DocumentInfo
from lhl.text import terms

log = logging.getLogger(__name__)

# Debug lines naming each step of an ingest run (ingest/pipeline.py), the state swap included.
STAGE_LOGGER = "lhl.ingest.stage"
_stage_log = logging.getLogger(STAGE_LOGGER)

STATE_FILE = "state.json"
_TEMP_PREFIX = ".state-"
STATE_FORMAT = 1


@dataclass
class DocumentState:
    info: DocumentInfo
    sha256: str
    chunk_ids: list[str]
    # The title read from the file's first heading, used when the manifest gives none; kept so
    # that a manifest edit can be checked without reading the file again.
    heading_title: str | None = None
    # Other files with the same content (same sha256): indexed once, under this document,
    # and still known by their names.
    aliases: list[str] = field(default_factory=list)


@dataclass
class IndexState:
    embedder: str
    chunker: str
    documents: dict[str, DocumentState] = field(default_factory=dict)  # by source path
    chunks: list[Chunk] = field(default_factory=list)
    chunk_terms: list[list[str]] = field(default_factory=list)

    def known_as(self, source: str) -> DocumentState | None:
        """The document a file name stands for: its own, or the one whose copy it is."""
        if source in self.documents:
            return self.documents[source]
        return next((d for d in self.documents.values() if source in d.aliases), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "embedder": self.embedder,
            "chunker": self.chunker,
            "documents": {
                src: {
                    "info": asdict(d.info),
                    "sha256": d.sha256,
                    "chunk_ids": d.chunk_ids,
                    "heading_title": d.heading_title,
                    **({"aliases": d.aliases} if d.aliases else {}),
                }
                for src, d in self.documents.items()
            },
            "chunks": [
                {**asdict(c), "terms": t}
                for c, t in zip(self.chunks, self.chunk_terms, strict=True)
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexState:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unknown index format {data.get('format')!r}")
        chunks, chunk_terms = [], []
        for raw in data["chunks"]:
            raw = dict(raw)
            chunk_terms.append(raw.pop("terms"))
            chunks.append(Chunk(**raw))
        docs = {
            src: DocumentState(
                DocumentInfo(**d["info"]),
                d["sha256"],
                d["chunk_ids"],
                d.get("heading_title"),
                list(d.get("aliases", [])),
            )
            for src, d in data["documents"].items()
        }
        return cls(data["embedder"], data["chunker"], docs, chunks, chunk_terms)

    @property
    def live_ids(self) -> set[str]:
        return {c.id for c in self.chunks}


def chunk_terms(chunk: Chunk) -> list[str]:
    return terms(f"{chunk.title}\n{chunk.index_text()}")


def read_state(index_dir: Path) -> IndexState | None:
    """The live state, or None when there is none. A state file that cannot be read raises
    ValueError (or OSError)."""
    path = index_dir / STATE_FILE
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as f:
        try:
            return IndexState.from_json(json.load(f))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed {path}: {exc!r}") from exc


def write_state(index_dir: Path, state: IndexState) -> None:
    """Atomic replace: readers see the old state or the new one, never half of one."""
    index_dir.mkdir(parents=True, exist_ok=True)
    # The writer's pid in the name: a later ingest removes what a killed writer left behind.
    fd, tmp = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", suffix=".tmp", dir=index_dir)
    _stage_log.debug("ingest stage: writing state")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; a service may run as another user
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state.to_json(), f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        _stage_log.debug("ingest stage: state written, not yet in place")
        os.replace(tmp, index_dir / STATE_FILE)
        _stage_log.debug("ingest stage: state replaced")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(index_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def remove_stale_temp_files(index_dir: Path) -> int:
    """Half-written states left by a process killed inside `write_state` (its pid is in the
    name and no longer runs). Returns how many were removed."""
    removed = 0
    for path in index_dir.glob(f"{_TEMP_PREFIX}*.tmp"):
        pid = path.name[len(_TEMP_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and _running(int(pid)):
            continue  # being written now (a service keeping its copy of a shared state)
        path.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("removed %d half-written state files in %s", removed, index_dir)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
