"""HTML → blocks with the standard library parser: headings, paragraphs, nested list items
and table rows with their column headers; scripts, styles, navigation, headers, footers and
asides are skipped, and the page title stands in for a missing <h1>."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ingest.structure import to_blocks
from ingest.textrules import Kind, RawBlock, clean_inline, is_boilerplate, row_text
from lhl.records import Block


class _HTMLBlocks(HTMLParser):
    _SKIP = {
        "script",
        "style",
        "nav",
        "header",
        "footer",
        "noscript",
        "template",
        "svg",
        "form",
        "aside",
        "button",
        "iframe",
        "select",
        "head",
    }
    _BLOCK = {
        "p",
        "div",
        "section",
        "article",
        "main",
        "blockquote",
        "pre",
        "dd",
        "dt",
        "caption",
        "figcaption",
        "address",
        "table",
        "ul",
        "ol",
        "body",
    }
    _VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "source", "col", "area", "base"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.raws: list[RawBlock] = []
        self.title = ""
        self._skip: list[str] = []
        self._in_title = False
        self._buf: list[str] = []
        self._kind: Kind = "paragraph"
        self._level = 0
        self._lists = 0
        self._row: list[str] | None = None
        self._row_all_th = True
        self._cell: list[str] | None = None
        self._header: tuple[str, ...] = ()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
            return
        if self._skip:
            if tag in self._SKIP and tag not in self._VOID:
                self._skip.append(tag)
            return
        if tag in self._SKIP:
            self._skip.append(tag)
            return
        if tag == "br":
            self._buf.append(" ")
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._kind, self._level = "heading", int(tag[1])
        elif tag == "li":
            self._flush()
            self._kind, self._level = "item", max(0, self._lists - 1)
        elif tag in ("ul", "ol"):
            self._flush()
            self._lists += 1
        elif tag == "table":
            self._flush()
            self._header = ()
        elif tag == "tr":
            self._flush()
            self._row, self._row_all_th = [], True
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._row_all_th = self._row_all_th and tag == "th"
        elif tag in self._BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            return
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.pop()
            return
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(clean_inline(" ".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._end_row(self._row)
            self._row = None
        elif tag in ("ul", "ol"):
            self._flush()
            self._lists = max(0, self._lists - 1)
        elif re.fullmatch(r"h[1-6]", tag) or tag == "li" or tag in self._BLOCK:
            self._flush()

    def _end_row(self, row: list[str]) -> None:
        if not any(row):
            return
        if not self._header and self._row_all_th:
            self._header = tuple(row)
            return
        text = row_text(self._header, row) if self._header else " – ".join(c for c in row if c)
        self.raws.append(RawBlock("table_row", text, header=self._header))

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        else:
            self._buf.append(data)

    def _flush(self) -> None:
        text = clean_inline(" ".join(self._buf))
        self._buf = []
        kind, level = self._kind, self._level
        self._kind, self._level = "paragraph", 0
        if not text or is_boilerplate(text):
            return
        self.raws.append(RawBlock(kind, text, level=level))


def read_html(text: str) -> list[Block]:
    parser = _HTMLBlocks()
    parser.feed(text)
    parser.close()
    parser._flush()
    raws = parser.raws
    title = clean_inline(parser.title)
    if title and not any(r.kind == "heading" and r.level == 1 for r in raws):
        raws.insert(0, RawBlock("heading", title, level=1))
    return to_blocks(raws)
