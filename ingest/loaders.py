"""Loaders turn a file into structural blocks: headings, paragraphs, list items, table rows.

Plain text and Markdown share one reader (the corpus's .txt files are web-page and PDF
extracts with Markdown-like headings and tab-separated tables), in two passes:
`ingest.textparse` (lines → raw blocks) and `ingest.structure` (document-wide decisions).
HTML is read by `ingest.html_loader`; PDF by `ingest.pdf_loader`, page by page, so every
block keeps its 1-based page.
"""

from __future__ import annotations

from pathlib import Path

from ingest.structure import clean_document, to_blocks
from ingest.textparse import BOILERPLATE, is_boilerplate, parse_text
from lhl.records import Block

__all__ = [
    "BOILERPLATE",
    "SUPPORTED_SUFFIXES",
    "UnreadableFile",
    "first_heading",
    "is_boilerplate",
    "load_file",
    "load_html",
    "load_pdf",
    "load_text",
    "parse_text",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")


class UnreadableFile(Exception):
    """A file that cannot be read as text; reported by name and skipped."""


def load_file(path: Path) -> list[Block]:
    """Blocks of one file; raises UnreadableFile with a reason a person can read."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            return load_pdf(path)
        text = _decode(path.read_bytes())
        if suffix in (".html", ".htm"):
            return load_html(text)
        return load_text(text)
    except UnreadableFile:
        raise
    except Exception as exc:  # a loader bug must not stop the whole ingest
        raise UnreadableFile(f"kunne ikke tolkes ({type(exc).__name__}: {exc})") from exc


def _decode(raw: bytes) -> str:
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("binærfil, ikke tekst")
    for bom, codec in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return raw.decode(codec)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Norwegian text files are Windows-1252 (æ = 0xE6); every byte decodes.
        return raw.decode("cp1252", errors="replace")


def load_text(text: str) -> list[Block]:
    return to_blocks(clean_document(parse_text(text)))


def first_heading(blocks: list[Block]) -> str | None:
    return next((b.text for b in blocks if b.kind == "heading"), None)


def load_html(text: str) -> list[Block]:
    from ingest.html_loader import read_html

    return read_html(text)


def load_pdf(path: Path) -> list[Block]:
    from ingest.pdf_loader import read_pdf

    return read_pdf(path)
