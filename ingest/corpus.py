"""The corpus folder: which files to index, their manifest entries, and a unique doc id each.

`plan_documents` is the first step of an ingest run (ingest/pipeline.py); `scan_corpus`,
`read_manifest` and `document_info` also serve the chunker's snapshot and the service's
startup check.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import SUPPORTED_SUFFIXES
from lhl import messages
from lhl.errors import IngestFailed
from lhl.records import DocumentInfo

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def scan_corpus(corpus_dir: Path) -> list[Path]:
    """Supported files under the folder, subfolders included; hidden files and folders skipped."""
    return sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
    )


ManifestEntry = dict[str, object]


def read_manifest(corpus_dir: Path) -> dict[str, ManifestEntry]:
    """`manifest.json` entries by file path relative to the corpus folder."""
    path = corpus_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(e["file"]): e for e in data.get("documents", []) if isinstance(e, dict)}
    except (ValueError, KeyError, AttributeError) as exc:
        raise IngestFailed(
            messages.ingest.MANIFEST_UNREADABLE.format(manifest=MANIFEST, path=corpus_dir),
            detail=repr(exc),
        ) from exc


def _source_name(corpus_dir: Path, path: Path) -> str:
    return f"{corpus_dir.name}/{path.relative_to(corpus_dir).as_posix()}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9æøå]+", "-", text.lower()).strip("-") or "dokument"


def document_info(
    corpus_dir: Path,
    path: Path,
    entry: ManifestEntry | None,
    title: str | None,
    doc_id: str | None = None,
) -> DocumentInfo:
    entry = entry or {}
    rel = path.relative_to(corpus_dir).as_posix()

    def get(key: str) -> str | None:
        value = entry.get(key)
        return str(value).strip() or None if value else None

    return DocumentInfo(
        doc_id=doc_id or get("doc_id") or _slug(Path(rel).with_suffix("").as_posix()),
        title=get("title") or title or path.stem.replace("-", " ").replace("_", " "),
        source=_source_name(corpus_dir, path),
        publisher=get("publisher"),
        doc_type=get("doc_type"),
        date=get("date"),
        source_url=get("source_url"),
        licence=get("licence"),
    )


@dataclass(frozen=True)
class PlannedDocument:
    path: Path
    source: str  # "corpus/sub/x.txt"
    entry: ManifestEntry | None
    doc_id: str  # unique within the corpus


def plan_documents(corpus_dir: Path, warnings: list[str]) -> list[PlannedDocument]:
    """Every file to index, with a doc id that is unique: a second file claiming an id (two
    manifest entries, or "a/b.txt" beside "a-b.txt") gets one made from its path. What looks
    wrong (a manifest entry without its file, an id taken twice) goes to `warnings`."""
    manifest = read_manifest(corpus_dir)
    paths = scan_corpus(corpus_dir)
    known = {p.relative_to(corpus_dir).as_posix() for p in paths}
    for name in sorted(set(manifest) - known):
        warnings.append(
            messages.ingest.MANIFEST_NAMES_MISSING_FILE.format(manifest=MANIFEST, name=name)
        )
    planned: list[PlannedDocument] = []
    taken: set[str] = set()
    for path in paths:
        rel = path.relative_to(corpus_dir).as_posix()
        entry = manifest.get(rel)
        wanted = document_info(corpus_dir, path, entry, None).doc_id
        doc_id = wanted
        if doc_id in taken:
            base = _slug(Path(rel).with_suffix("").as_posix())
            doc_id, n = base, 2
            while doc_id in taken:
                doc_id, n = f"{base}-{n}", n + 1
            source = _source_name(corpus_dir, path)
            warnings.append(
                messages.ingest.DOC_ID_TAKEN.format(wanted=wanted, source=source, doc_id=doc_id)
            )
        taken.add(doc_id)
        planned.append(PlannedDocument(path, _source_name(corpus_dir, path), entry, doc_id))
    return planned
