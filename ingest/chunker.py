"""Structure-aware chunking: chunks follow headings and paragraphs and carry their section.

- A chunk never crosses a heading, a page or a document.
- Paragraphs and list items of one section are packed up to `target` characters; a paragraph
  longer than `max_chars` is split on sentence boundaries (LangChain's recursive splitter).
- A table row is its own chunk, already rendered with its column headers by the loader.
- The id is derived from the content (document, section, page, text), so unchanged text keeps
  its id across ingests and its vector is reused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from lhl.records import Block, Chunk, DocumentInfo

CHUNKER_VERSION = "2"
TARGET_CHARS = 700
MAX_CHARS = 1100

_splitter = RecursiveCharacterTextSplitter(
    chunk_size=MAX_CHARS,
    chunk_overlap=0,
    separators=["\n", ". ", "; ", ", ", " "],
    keep_separator="end",
)


def chunk_id(doc_id: str, section: str, page: int | None, text: str) -> str:
    key = "\x1f".join([doc_id, section, str(page or ""), text])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _section_path(stack: list[tuple[int, str]]) -> str:
    return " › ".join(text for _, text in stack)


def chunk_document(info: DocumentInfo, blocks: Iterable[Block]) -> list[Chunk]:
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []  # (level, heading) from the top
    buf: list[str] = []
    buf_page: int | None = None

    def emit(text: str, page: int | None) -> None:
        section = _section_path(stack)
        chunks.append(
            Chunk(
                id=chunk_id(info.doc_id, section, page, text),
                doc_id=info.doc_id,
                title=info.title,
                source=info.source,
                section=section,
                page=page,
                position=len(chunks),
                text=text,
            )
        )

    def flush() -> None:
        nonlocal buf_page
        if buf:
            emit("\n".join(buf), buf_page)
            buf.clear()
        buf_page = None

    for block in blocks:
        if block.kind == "heading":
            flush()
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.text))
            continue
        if block.kind == "table_row":
            flush()
            emit(block.text, block.page)
            continue
        text = f"• {block.text}" if block.kind == "item" else block.text
        if buf and (block.page != buf_page or sum(map(len, buf)) + len(text) > TARGET_CHARS):
            flush()
        if len(text) > MAX_CHARS:
            flush()
            for piece in _splitter.split_text(text):
                emit(piece.strip(), block.page)
            continue
        if not buf:
            buf_page = block.page
        buf.append(text)
    flush()
    return _dedupe(chunks)


def _dedupe(chunks: list[Chunk]) -> list[Chunk]:
    """Identical text under the same heading (repeated PDF furniture) is stored once."""
    seen: set[str] = set()
    out = []
    for c in chunks:
        if c.id in seen:
            continue
        seen.add(c.id)
        out.append(c)
    return [
        Chunk(c.id, c.doc_id, c.title, c.source, c.section, c.page, i, c.text)
        for i, c in enumerate(out)
    ]
