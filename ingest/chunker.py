"""Structure-aware chunking: chunks follow headings and paragraphs and carry their section.

- A chunk never crosses a heading, a page or a document.
- Paragraphs and lists of one section are packed up to `TARGET_CHARS`; a list item stays with
  its sub-items, and a line that introduces a list ("… bidra til:") stays with the list; a
  list that goes on in the next chunk repeats its introduction there.
  A unit longer than `MAX_CHARS` is split on sentence boundaries (LangChain's splitter).
- A table row is its own chunk, rendered with its column headers by the loader.
- Fragments of fewer than three words (diagram labels, "Lykke til!") are not chunks.
- The id is derived from the content (document, section, page, text), so unchanged text keeps
  its id across ingests and its vector is reused.

`python -m ingest.chunker [corpus]` prints the chunks of a corpus for review.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from langchain_text_splitters import RecursiveCharacterTextSplitter

from lhl.records import SECTION_SEP, Block, Chunk, DocumentInfo

# Bump on every change to what chunks come out of the same files: the next ingest then
# re-chunks every document (vectors of unchanged chunk text are still reused).
CHUNKER_VERSION = "5"
TARGET_CHARS = 700
MAX_CHARS = 1100
MIN_WORDS = 3

_splitter = RecursiveCharacterTextSplitter(
    chunk_size=MAX_CHARS,
    chunk_overlap=0,
    separators=["\n", ". ", "; ", ", ", " "],
    keep_separator="end",
)
# "Trinn 2" after "Trinn 1" is its sibling whatever level the source gave it.
_SIBLING = re.compile(r"^(\w+)\s+\d+\b")


def chunk_id(doc_id: str, section: str, page: int | None, text: str) -> str:
    key = "\x1f".join([doc_id, section, str(page or ""), text])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


@dataclass
class _Unit:
    """Text that is packed whole: a paragraph, or a list item with its sub-items."""

    text: str
    page: int | None
    intro: bool = False  # introduces what follows ("… bidra til:")
    list_like: bool = False  # a list item, or a short line of a list set as paragraphs


class _Sections:
    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []  # (level, heading) from the top

    def push(self, level: int, text: str) -> None:
        key = _SIBLING.match(text)
        if key:
            for i, (lvl, name) in enumerate(self.stack):
                other = _SIBLING.match(name)
                if other and other.group(1).lower() == key.group(1).lower():
                    del self.stack[i:]
                    level = lvl
                    break
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))

    @property
    def path(self) -> str:
        names: list[str] = []
        for _, name in self.stack:
            if not names or names[-1].casefold() != name.casefold():  # "# X" then "## X"
                names.append(name)
        return SECTION_SEP.join(names)


def _render_item(block: Block) -> str:
    if block.level > 0:
        return "  " * block.level + "– " + block.text
    return block.text if re.match(r"\d+[.)] ", block.text) else "• " + block.text


def chunk_document(info: DocumentInfo, blocks: Iterable[Block]) -> list[Chunk]:
    return list(iter_chunks(info, blocks))


def iter_chunks(info: DocumentInfo, blocks: Iterable[Block]) -> Iterator[Chunk]:
    """The chunks of a document as its blocks come in (a large file need not be in memory);
    a chunk is yielded once no later block can change it."""
    builder = _ChunkBuilder(info)
    for block in blocks:
        yield from builder.take_ready()
        builder.feed(block)
    builder.finish()
    yield from builder.take_ready()


class _ChunkBuilder:
    """One document's chunks as its blocks come in: the open section, the paragraphs packed
    so far (`buf`), the list being read (`items`), and the chunks made but not yet yielded."""

    def __init__(self, info: DocumentInfo) -> None:
        self.info = info
        self.ready: list[Chunk] = []  # made but not yet yielded
        self.seen: set[str] = set()  # ids made: identical text under one heading is stored once
        self.position = 0
        self.sections = _Sections()
        self.buf: list[_Unit] = []
        self.items: list[Block] = []  # one list, kept whole when it fits in a chunk

    def take_ready(self) -> list[Chunk]:
        """The chunks no later block can change, handed over once."""
        ready, self.ready = self.ready, []
        return ready

    def feed(self, block: Block) -> None:
        if block.kind == "item":
            self.items.append(block)
            return
        self._close_list()
        if block.kind == "heading":
            self._flush()
            self.sections.push(block.level, block.text)
        elif block.kind == "table_row":
            self._flush()
            self._emit(block.text, block.page)
        else:
            intro = block.text.endswith((":", ";"))
            self._add(_Unit(block.text, block.page, intro=intro, list_like=len(block.text) <= 120))

    def finish(self) -> None:
        self._close_list()
        self._flush()

    def _emit(self, text: str, page: int | None) -> None:
        if len(text.split()) < MIN_WORDS:
            return
        section = self.sections.path
        cid = chunk_id(self.info.doc_id, section, page, text)
        if cid in self.seen:
            return
        self.seen.add(cid)
        self.ready.append(
            Chunk(
                id=cid,
                doc_id=self.info.doc_id,
                title=self.info.title,
                source=self.info.source,
                section=section,
                page=page,
                position=self.position,
                text=text,
            )
        )
        self.position += 1

    def _flush(self, keep_intro: bool = False, next_unit: _Unit | None = None) -> None:
        buf = self.buf
        carry = buf.pop() if keep_intro and len(buf) > 1 and buf[-1].intro else None
        if carry is None and keep_intro and next_unit is not None and next_unit.list_like:
            carry = _open_intro(buf)
        if buf:
            self._emit("\n".join(u.text for u in buf), buf[0].page)
            buf.clear()
        if carry:
            buf.append(carry)

    def _add(self, unit: _Unit) -> None:
        if len(unit.text) > MAX_CHARS:
            self._flush()
            for piece in _splitter.split_text(unit.text):
                self._emit(piece.strip(), unit.page)
            return
        buf = self.buf
        size = sum(len(u.text) + 1 for u in buf) + len(unit.text)
        only_intro = all(u.intro for u in buf)  # an intro may stretch its chunk to MAX_CHARS
        if buf and (unit.page != buf[0].page or size > (MAX_CHARS if only_intro else TARGET_CHARS)):
            self._flush(keep_intro=unit.page == buf[-1].page, next_unit=unit)
        buf.append(unit)

    def _close_list(self) -> None:
        groups: list[list[Block]] = []  # a top-level item with its sub-items
        for b in self.items:
            if b.level == 0 or not groups or b.page != groups[-1][0].page:
                groups.append([])
            groups[-1].append(b)
        units = [_Unit("\n".join(map(_render_item, g)), g[0].page, list_like=True) for g in groups]
        whole = "\n".join(u.text for u in units)
        if len(units) > 1 and len(whole) <= TARGET_CHARS and len({u.page for u in units}) == 1:
            units = [_Unit(whole, units[0].page, list_like=True)]
        for unit in units:
            self._add(unit)
        self.items.clear()


def _open_intro(buf: list[_Unit]) -> _Unit | None:
    """The introduction of a list still running at the end of `buf`, if there is one."""
    for i in range(len(buf) - 1, -1, -1):
        if buf[i].intro:
            return _Unit(buf[i].text, buf[i].page, intro=True) if i < len(buf) - 1 else None
        if not buf[i].list_like:
            return None
    return None


def _print_corpus(corpus_dir: Path) -> None:
    """Every chunk of a corpus, for a person to read through after a chunking change."""
    from ingest.corpus import document_info, read_manifest, scan_corpus
    from ingest.loaders import first_heading, load_file

    corpus_dir = corpus_dir.resolve()
    manifest = read_manifest(corpus_dir)
    for path in scan_corpus(corpus_dir):
        blocks = load_file(path)
        entry = manifest.get(path.relative_to(corpus_dir).as_posix())
        info = document_info(corpus_dir, path, entry, first_heading(blocks))
        for c in chunk_document(info, blocks):
            page = f" s.{c.page}" if c.page else ""
            print(f"── {c.doc_id} #{c.position}{page} [{c.section}] {len(c.text)} tegn")
            print(c.text)
            print()


if __name__ == "__main__":
    _print_corpus(Path(sys.argv[1] if len(sys.argv) > 1 else "corpus"))
