"""Loaders turn a file into structural blocks: headings, paragraphs, list items, table rows.

Plain text and Markdown share one reader (the corpus's .txt files are web-page and PDF
extracts with Markdown-like headings and tab-separated tables), in two passes:
`ingest.textparse` (lines → raw blocks) and `ingest.structure` (document-wide decisions),
with the patterns and helpers both share in `ingest.textrules`.
HTML is read by `ingest.html_loader`; PDF by `ingest.pdf_loader`, page by page, so every
block keeps its 1-based page.

Memory: a text file up to `WINDOW_BYTES` is read whole, as always. A larger one is decoded
and parsed a window at a time (about a megabyte, cut at a blank line, else at a line that
ends a sentence), so reading a 200 MB file takes about as much memory as reading a 1 MB one
(`iter_blocks` yields each window's blocks before reading the next). The document-wide
clean-up of pass 2 (repeated running headers, the title page) then looks at one window.
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ingest.errors import UnreadableFile
from ingest.structure import clean_document, to_blocks
from ingest.textparse import parse_text
from ingest.textrules import BOILERPLATE, is_boilerplate
from lhl import messages
from lhl.records import Block

__all__ = [
    "BOILERPLATE",
    "SUPPORTED_SUFFIXES",
    "UnreadableFile",
    "first_heading",
    "is_boilerplate",
    "iter_blocks",
    "load_file",
    "load_html",
    "load_pdf",
    "load_text",
    "parse_text",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")


WINDOW_BYTES = 1 << 20  # text files larger than this are read a window at a time
_READ_BYTES = 1 << 16
# Where a window may end: after a blank line, else after a line that ends a sentence.
_BLANK_LINE = re.compile(r"\n[ \t\r\xa0]*\n")
_SENTENCE_LINE_END = re.compile(r"[.!?:][»\"')\]]*[ \t\r]*\n")


def load_file(path: Path) -> list[Block]:
    """Blocks of one file; raises UnreadableFile with a reason a person can read."""
    return list(iter_blocks(path))


def iter_blocks(path: Path) -> Iterator[Block]:
    """Blocks of one file as they are read (a large text file a window at a time); raises
    UnreadableFile, also half-way through, with a reason a person can read."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            yield from load_pdf(path)
        elif suffix in (".html", ".htm"):
            yield from load_html(_decode(path.read_bytes()))
        elif path.stat().st_size <= WINDOW_BYTES:
            yield from load_text(_decode(path.read_bytes()))
        else:
            for window in _text_windows(path):
                yield from load_text(window)
    except UnreadableFile:
        raise
    except Exception as exc:  # a loader bug must not stop the whole ingest
        raise UnreadableFile(
            messages.ingest.UNPARSABLE.format(error=type(exc).__name__, detail=exc)
        ) from exc


def _decode(raw: bytes) -> str:
    return raw.decode(*_codec(raw[:4096], lambda: _is_utf8([raw])))


def _codec(head: bytes, utf8: Callable[[], bool]) -> tuple[str, str]:
    """(codec, errors) for a file starting with `head`; `utf8()` says whether all of it is
    valid UTF-8 (asked only when there is no BOM)."""
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(messages.ingest.BINARY_FILE)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "strict"
    if utf8():
        return "utf-8-sig", "strict"
    # Older Norwegian text files are Windows-1252 (æ = 0xE6); every byte decodes.
    return "cp1252", "replace"


def _is_utf8(blocks: Iterable[bytes]) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in blocks:
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _read_blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        yield from iter(lambda: f.read(_READ_BYTES), b"")


def _text_windows(path: Path) -> Iterator[str]:
    """The decoded text of a large file in windows of about WINDOW_BYTES characters, each
    ending at a paragraph break where there is one: two passes, one to choose the codec
    (like `_decode`, all of the file must be UTF-8 for UTF-8 to be chosen), one to read."""
    with path.open("rb") as f:
        head = f.read(4096)
    codec, errors = _codec(head, lambda: _is_utf8(_read_blocks(path)))
    decoder = codecs.getincrementaldecoder(codec)(errors=errors)
    buf = ""
    for block in _read_blocks(path):
        buf += decoder.decode(block)
        while len(buf) >= WINDOW_BYTES:
            cut = _window_end(buf)
            yield buf[:cut]
            buf = buf[cut:]
    buf += decoder.decode(b"", final=True)
    if buf:
        yield buf


def _window_end(text: str) -> int:
    """Where to end a window of `text` (at most WINDOW_BYTES long): after the last blank line
    in its second half, else after its last line ending a sentence, else after its last
    line, else at its last space."""
    limit = WINDOW_BYTES
    lo = limit // 2
    for pattern in (_BLANK_LINE, _SENTENCE_LINE_END):
        last = deque(pattern.finditer(text, lo, limit), maxlen=1)
        if last:
            return last[0].end()
    for sep in ("\n", " "):
        at = text.rfind(sep, lo, limit)
        if at >= 0:
            return at + 1
    return limit


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
