"""Loaders turn a file into structural blocks: headings, paragraphs, list items, table rows.

Plain text and Markdown share one line-based reader (the corpus's .txt files are web-page
and PDF extracts with Markdown-like headings and tab-separated tables). HTML is read with
the standard library parser; PDF with pypdf, page by page, so each block keeps its page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from lhl.records import Block

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")

# Web-page furniture that is not content.
BOILERPLATE = (
    re.compile(r"^du benytter en nettleser vi ikke støtter", re.I),
    re.compile(r"^se tidligere versjoner$", re.I),
    re.compile(r"^(?:først publisert|sist faglig oppdatert|siste faglige endring)\b.*$", re.I),
)
_TOC_LINE = re.compile(r"(?:\.{3,}|…)\s*\d+\s*$|^\d+(?:\.\d+)*\.?\s+\S.*\t\d+\s*$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_NUM_HEADING = re.compile(r"^(?:kapittel\s+)?(\d+(?:\.\d+)*)\.?\s*(\S.*)$", re.I)
_BULLET = re.compile(r"^\s*(?:[-*•▪◦●]|\d+[.)])\s+")
_SENT_PUNCT = (".", "!", "?", ",", ";", ":")


class UnreadableFile(Exception):
    """A file that cannot be read as text; reported by name and skipped."""


def is_boilerplate(line: str) -> bool:
    stripped = line.strip()
    return any(p.search(stripped) for p in BOILERPLATE)


def load_file(path: Path) -> list[Block]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            return load_pdf(path)
        raw = path.read_bytes()
        text = _decode(raw)
        if suffix in (".html", ".htm"):
            return load_html(text)
        return parse_text(text)
    except UnreadableFile:
        raise
    except Exception as exc:
        raise UnreadableFile(f"{path.name}: {exc}") from exc


def _decode(raw: bytes) -> str:
    if b"\x00" in raw[:4096]:
        raise UnreadableFile("binary file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def parse_text(text: str, page: int | None = None) -> list[Block]:
    """Line-based structure for text and Markdown extracts."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    blocks: list[Block] = []
    para: list[str] = []
    table_header: tuple[str, ...] | None = None
    last_row: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("paragraph", " ".join(para), page))
            para.clear()

    for i, line in enumerate(lines):
        stripped = line.strip().replace("\xa0", " ")
        if "\t" in line and not _TOC_LINE.search(stripped):
            cells = [c.strip() for c in line.split("\t")]
            if table_header is None:
                flush()
                table_header = tuple(cells)
                continue
            if not cells[0] and last_row:  # a continuation row repeats the previous row's key
                cells[0] = last_row[0]
            last_row = cells
            blocks.append(Block("table_row", _row_text(table_header, cells), page, header=table_header))
            continue
        if not stripped and table_header is not None and _next_is_row(lines, i):
            continue  # a blank line inside a table (page break in the PDF extract)
        table_header, last_row = None, []
        if not stripped or is_boilerplate(stripped) or _TOC_LINE.search(stripped):
            flush()
            continue
        md = _MD_HEADING.match(stripped)
        if md:
            flush()
            blocks.append(Block("heading", _clean(md.group(2)), page, level=len(md.group(1))))
            continue
        prev_blank = i == 0 or not lines[i - 1].strip()
        next_blank = i + 1 >= len(lines) or not lines[i + 1].strip()
        if _BULLET.match(line) and not _looks_like_heading(stripped, prev_blank, next_blank):
            flush()
            blocks.append(Block("item", _clean(_BULLET.sub("", line)), page, level=_indent(line)))
            continue
        if _looks_like_heading(stripped, prev_blank, next_blank):
            flush()
            blocks.append(Block("heading", _heading_text(stripped), page, level=_heading_level(stripped)))
            continue
        if para and para[-1].endswith(_SENT_PUNCT[:3]) and prev_blank:
            flush()
        para.append(_clean(stripped))
        if next_blank:
            flush()
    flush()
    return _merge_broken_paragraphs(blocks)


def _next_is_row(lines: list[str], i: int) -> bool:
    following = next((ln for ln in lines[i + 1 :] if ln.strip()), "")
    return "\t" in following


def _row_text(header: tuple[str, ...], cells: list[str]) -> str:
    parts = []
    for i, cell in enumerate(cells):
        if not cell:
            continue
        name = _clean(header[i]) if i < len(header) and header[i] else f"Kolonne {i + 1}"
        parts.append(f"{name}: {cell}")
    return "; ".join(parts) + "."


def _clean(text: str) -> str:
    text = re.sub(r"\*{1,2}([^*]+)\*{1,2}", r"\1", text)  # Markdown emphasis
    return re.sub(r"\s+", " ", text).strip()


def _indent(line: str) -> int:
    return (len(line) - len(line.lstrip())) // 2


def _looks_like_heading(line: str, prev_blank: bool, next_blank: bool) -> bool:
    if len(line) > 90 or not (prev_blank and next_blank):
        return False
    if re.match(r"^kapittel\s+\d", line, re.I):
        return True
    num = re.match(r"^(\d+(?:\.\d+)*)\.?\s+(\S.*)$", line)
    multi_level = bool(num and "." in num.group(1).strip("."))
    if line.endswith(_SENT_PUNCT) and not (
        multi_level and line.endswith((":", ".")) and len(line.split()) <= 8
    ):
        return False
    if "," in line and not num:
        return False
    if num:
        # "2.4.1 Informasjons- og …" is a heading; "1. Et aldersvennlig Norge" in a list is not,
        # unless it is upper case like "1. BAKGRUNN" or multi-level.
        rest = num.group(2)
        return "." in num.group(1).strip(".") or rest.isupper()
    first = line[0]
    words = line.split()
    return (first.isupper() or first.isdigit()) and 1 <= len(words) <= 10


def _heading_text(line: str) -> str:
    line = re.sub(r"^(Kapittel\s+\d+(?:\.\d+)*)(?=[A-ZÆØÅ])", r"\1 ", line)  # "Kapittel 2.4Oppgaver"
    line = _clean(line)
    if sum(c.isupper() for c in line) > 0.6 * sum(c.isalpha() for c in line):
        lowered = line.lower()
        first = next((i for i, c in enumerate(lowered) if c.isalpha()), 0)
        line = lowered[:first] + lowered[first:first + 1].upper() + lowered[first + 1:]
    return line


def _heading_level(line: str) -> int:
    if re.match(r"^kapittel\s+\d", line, re.I):
        return 1
    num = re.match(r"^(\d+(?:\.\d+)*)\.?\s", line)
    if num:
        return len([p for p in num.group(1).split(".") if p])
    return 9  # an unnumbered sub-heading sits under the current numbered one


def _merge_broken_paragraphs(blocks: list[Block]) -> list[Block]:
    """PDF extracts break sentences across blank lines; join a paragraph that ends mid-sentence
    with the next paragraph when it starts in lower case."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "paragraph"
            and block.kind == "paragraph"
            and not prev.text.endswith((".", "!", "?", ":"))
            and block.text[:1].islower()
        ):
            out[-1] = Block("paragraph", f"{prev.text} {block.text}", prev.page)
            continue
        out.append(block)
    return out


class _HTMLBlocks(HTMLParser):
    _SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template", "svg"}
    _BLOCK = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "div", "br",
              "blockquote", "pre", "dd", "dt", "caption", "section", "article", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._skip = 0
        self._buf: list[str] = []
        self._tag: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._header: tuple[str, ...] | None = None
        self._row_is_header = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
            return
        if tag == "table":
            self._header = None
        if tag == "tr":
            self._row, self._row_is_header = [], True
            return
        if tag in ("td", "th") and self._row is not None:
            self._cell = []
            if tag == "td":
                self._row_is_header = False
            return
        if tag in self._BLOCK:
            self._flush()
            self._tag = tag

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(_clean(" ".join(self._cell)))
            self._cell = None
            return
        if tag == "tr" and self._row is not None:
            row, self._row = self._row, None
            if self._header is None and (self._row_is_header or not self.blocks or True):
                if self._row_is_header or self._header is None:
                    self._header = tuple(row)
                    return
            if any(row):
                self.blocks.append(Block("table_row", _row_text(self._header or (), row),
                                         header=self._header or ()))
            return
        if tag in self._BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        else:
            self._buf.append(data)

    def _flush(self) -> None:
        text = _clean(" ".join(self._buf))
        self._buf = []
        tag, self._tag = self._tag, None
        if not text or is_boilerplate(text):
            return
        if tag and re.fullmatch(r"h[1-6]", tag):
            self.blocks.append(Block("heading", text, level=int(tag[1])))
        elif tag == "li":
            self.blocks.append(Block("item", text))
        else:
            self.blocks.append(Block("paragraph", text))


def load_html(text: str) -> list[Block]:
    parser = _HTMLBlocks()
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.blocks


def load_pdf(path: Path) -> list[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        blocks: list[Block] = []
        for page_num, page in enumerate(reader.pages, start=1):
            blocks.extend(parse_text(page.extract_text() or "", page=page_num))
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UnreadableFile(f"{path.name}: {exc}") from exc
    if not blocks:
        raise UnreadableFile(f"{path.name}: ingen tekst i PDF-en (skannet?)")
    return blocks


def first_heading(blocks: list[Block]) -> str | None:
    return next((b.text for b in blocks if b.kind == "heading"), None)
