"""Pass 1 of the text reader: lines → raw blocks.

Lines are first grouped into paragraphs: a blank line ends one, and so does a single line
break where the text does not run on (see `line_break`), so plain text written with one
newline between paragraphs, or hard-wrapped at a fixed width, reads like the blank-line form.
Groups of lines become tables (tab-separated, a header row first),
list items (with their indent level), Markdown headings and paragraphs; a group of one line
is a heading *candidate* that pass 2 (`ingest.structure`) decides on with the whole document
in view. The patterns and helpers both passes share are in `ingest.textrules`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from ingest.textrules import (
    DATE_LEAD,
    SENTENCE_END,
    SUSPENDED,
    RawBlock,
    clean_inline,
    heading_text,
    is_boilerplate,
    row_text,
)
from lhl.text import BULLET

# The page's dates stay: "når ble siden sist oppdatert?" is a fair question. Only the link
# text glued to them goes.
PAGE_DATES = re.compile(r"^(?:først publisert|sist faglig oppdatert|siste faglige endring)\b", re.I)
PAGE_DATES_LINK = re.compile(r"\s*se tidligere versjoner\s*$", re.I)
TOC_LINE = re.compile(r"(?:\.{3,}|…)\s*\d+\s*$|^\d+(?:\.\d+)*\.?\s+\S.*\t\s*\d+\s*$")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
# "= Koordineres av KS": a legend whose coloured symbols were lost in the extract.
LOST_SYMBOL_LEGEND = re.compile(r"^=+(?:\s.*)?$")


@dataclass
class Line:
    text: str
    indent: int
    hard_break: bool  # Markdown "two spaces at the end": the next line continues this one
    wrapped: bool = False  # broken by a wrapper at the margin: the next line continues it


def _split_lines(text: str) -> list[Line | None]:
    out: list[Line | None] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        raw = raw.replace("\xa0", " ").replace("\u200b", "")
        body = raw.rstrip()
        stripped = body.strip()
        if not stripped or is_boilerplate(stripped) or TOC_LINE.search(stripped):
            out.append(None)
            continue
        if LOST_SYMBOL_LEGEND.match(stripped):
            out.append(None)
            continue
        if PAGE_DATES.match(stripped):
            body = PAGE_DATES_LINK.sub("", body)
        hard = raw.endswith("  ") or body.endswith("\\")
        body = body.removesuffix("\\")
        indent = len(body.expandtabs(4)) - len(body.expandtabs(4).lstrip())
        out.append(Line(body.lstrip(" "), indent, hard))
    return out


# Hard wraps: a file is taken as wrapped at width W when most of its longer lines sit just
# under W and run on without sentence punctuation; nobody hard-wraps prose wider than this.
MAX_WRAP_WIDTH = 160
WRAP_SAMPLE = 5000  # lines looked at to find the width; the start of a file is enough
CLOSERS = "»\"'”’)]"
RUN_ON_END = (",", ";", "–", "-", "(")

Break = Literal["paragraph", "runs_on", "wrap"]


def _ends_sentence(text: str) -> bool:
    return text.rstrip().rstrip(CLOSERS).endswith((*SENTENCE_END, ":"))


def wrap_width(lines: list[Line | None]) -> int | None:
    """The width a hard-wrapped text was wrapped at, or None when its lines are unwrapped
    paragraphs (a newline there always means something). Unwrapped paragraphs end in a full
    stop; wrapped lines mostly stop mid-sentence."""
    texts = [ln.text for ln in lines[:WRAP_SAMPLE] if ln is not None and len(ln.text) >= 20]
    if len(texts) < 4:
        return None
    lengths = sorted(len(t) for t in texts)
    width = lengths[int(0.95 * (len(lengths) - 1))]
    long = [t for t in texts if len(t) >= 0.7 * width]
    if width > MAX_WRAP_WIDTH or len(long) < max(3, 0.5 * len(texts)):
        return None
    running_on = sum(not _ends_sentence(t) for t in long)
    return width if running_on >= 0.6 * len(long) else None


def line_break(prev: Line, line: Line, width: int | None, in_list: bool = False) -> Break:
    """What a single line break between `prev` and `line` is.

    "wrap": a wrapped line (the next line's first word would not have fitted under the
    file's wrap width, or `prev` is long and stops mid-sentence); the sentence goes on.
    "runs_on": the next line continues the sentence (starts lower-case, or `prev` ends with a
    comma or a hyphen), or the reader's own rules decide (list items, table rows, Markdown
    hard breaks). "paragraph": a short line, or one that ends a sentence (. ! ? :) before a
    new one starts.

    A full line that ends a sentence counts as a wrap, not a paragraph end: a greedy wrapper
    would have put the next word on it if it fitted, and a paragraph ends exactly at the
    margin far less often than a sentence does."""
    text, nxt = prev.text.rstrip(), line.text.lstrip()
    if prev.hard_break or "\t" in text or "\t" in nxt or not nxt:
        return "runs_on"
    if BULLET.match(nxt) and not DATE_LEAD.match(nxt):
        # Items of one list stay one group (the reader splits them); a list, or a line set
        # with a dash, after a paragraph starts a new group, as after a blank line.
        return "runs_on" if in_list else "paragraph"
    next_word = nxt.split(" ", 1)[0]
    if width is not None and len(text) + 1 + len(next_word) > width:
        return "wrap"
    if nxt[:1].islower() or text.endswith(RUN_ON_END):
        return "runs_on"
    if _ends_sentence(text) or width is None:
        return "paragraph"  # unwrapped: each line is a paragraph or a heading
    return "wrap" if len(text) >= 0.7 * width else "paragraph"


def _is_item_line(text: str) -> bool:
    return bool(BULLET.match(text)) and not DATE_LEAD.match(text)


def parse_text(text: str, page: int | None = None) -> list[RawBlock]:
    """Pass 1 over one text (a file, or one PDF page)."""
    lines = _split_lines(text)
    width = wrap_width(lines)
    blocks: list[RawBlock] = []
    table = _Table(page)
    group: list[Line] = []
    for i, line in enumerate([*lines, None]):
        if line is not None:
            in_list = any(_is_item_line(ln.text) for ln in group)
            kind = line_break(group[-1], line, width, in_list) if group else "runs_on"
            if kind == "paragraph":
                _group_blocks(group, page, table, blocks)
                group = []
            elif kind == "wrap":
                group[-1].wrapped = True
            group.append(line)
            continue
        if group:
            _group_blocks(group, page, table, blocks)
            group = []
        # A blank line ends a table unless the next non-blank line is another row
        # (rows of one table are split by blank lines where the PDF had a page break).
        if table.header and not _next_is_row(lines, i):
            table.close(blocks)
    table.close(blocks)
    return blocks


@dataclass
class _Table:
    page: int | None
    header: tuple[str, ...] = ()
    last: list[str] = field(default_factory=list)
    rows: int = 0

    def close(self, out: list[RawBlock]) -> None:
        if self.header and not self.rows:  # one tabbed line is not a table: keep its text
            text = " – ".join(c for c in self.header if c)
            out.append(RawBlock("paragraph", text, self.page, lines=[text]))
        self.header, self.last, self.rows = (), [], 0

    def add(self, text: str, out: list[RawBlock]) -> None:
        cells = [clean_inline(c) for c in text.split("\t")]
        if not self.header:
            self.header = tuple(_clean_header(c) for c in cells)
            return
        if not cells[0] and self.last:  # a continuation row repeats the previous row's key
            cells[0] = self.last[0]
        if not any(cells):
            return
        self.last, self.rows = cells, self.rows + 1
        out.append(
            RawBlock(
                "table_row",
                row_text(self.header, cells),
                self.page,
                header=self.header,
                lines=[text],
            )
        )


def _next_is_row(lines: list[Line | None], i: int) -> bool:
    following = next((ln for ln in lines[i + 1 :] if ln is not None), None)
    return following is not None and "\t" in following.text


def _group_blocks(group: list[Line], page: int | None, table: _Table, out: list[RawBlock]) -> None:
    """One blank-line separated group of lines → blocks, appended to `out`."""
    start = len(out)
    para: list[Line] = []
    item: list[Line] = []
    item_meta: tuple[int, int | None] = (0, None)  # (indent level, ordinal)
    item_source = ""  # the item's first line as written, list marker included

    def flush() -> None:
        nonlocal item
        if para:
            out.append(RawBlock("paragraph", _join(para), page, lines=[ln.text for ln in para]))
            para.clear()
        if item:
            level, ordinal = item_meta
            lines = [item_source, *(ln.text for ln in item[1:])]
            out.append(
                RawBlock("item", _join(item), page, level=level, ordinal=ordinal, lines=lines)
            )
            item = []

    prev: Line | None = None
    for line in group:
        text = line.text
        continues = prev is not None and (prev.hard_break or prev.wrapped)
        if "\t" in text:
            flush()
            table.add(text, out)
        elif table.rows and len(out) > start and out[-1].kind == "table_row" and text[:1].islower():
            table.last[-1] = f"{table.last[-1]} {text.strip()}"  # a cell wrapped onto a line
            out[-1] = replace(out[-1], text=row_text(table.header, table.last))
        elif (md := MD_HEADING.match(text)) and not continues:
            flush()
            table.close(out)
            title, level = heading_text(md.group(2)), len(md.group(1))
            out.append(RawBlock("heading", title, page, level=level, markdown=True, lines=[text]))
        elif (bullet := BULLET.match(text)) and not continues and not DATE_LEAD.match(text):
            flush()
            table.close(out)
            ordinal = int(bullet.group(1)) if bullet.group(1) else None
            item_meta = (line.indent // 2, ordinal)
            item = [Line(_lead_in(text[bullet.end() :]), line.indent, line.hard_break)]
            item_source = text
        elif item and (continues or text[:1].islower() or line.indent > item_meta[0] * 2 + 1):
            item.append(line)
        else:
            if item:
                flush()
            table.close(out)
            para.append(line)
        prev = line
    flush()
    if len(out) == start + 1:
        _mark_alone(group, out)
    if table.header and "\t" not in group[-1].text:
        table.close(out)


def _mark_alone(group: list[Line], out: list[RawBlock]) -> None:
    """The last block is the only one its group made: a heading candidate when the group was
    one line, a heading when it is one whole-bold list item."""
    only = out[-1]
    only.alone = True
    one_line = len(group) == 1 and not group[0].hard_break
    if only.kind == "item" and _is_whole_bold(group[0].text):
        # "- **Mobilisere og engasjere …**" above its paragraphs: a sub-heading set as
        # a bullet, not a one-item list.
        out[-1] = replace(only, kind="heading", text=heading_text(only.text), level=9)
    else:
        only.candidate = one_line and (only.kind == "paragraph" or only.ordinal is not None)


def _lead_in(text: str) -> str:
    """ "**Husbanken** Statsforvalteren har …" → "Husbanken: Statsforvalteren har …": the bold
    lead-in names what the item is about; without a mark it runs into the sentence."""
    return re.sub(r"^\*\*([^*]*[^*.:;!?–-])\*\*\s+(?=[A-ZÆØÅ])", r"\1: ", text)


def _is_whole_bold(line: str) -> bool:
    body = BULLET.sub("", line.strip())
    return bool(re.fullmatch(r"\*\*[^*]+\*\*[.:]?", body)) and len(body) <= 140


def _clean_header(cell: str) -> str:
    # "Innsats- område" is a word the PDF broke at the column edge, not "Innsats- og …".
    return re.sub(
        r"(\w)- (\w+)",
        lambda m: m.group(0) if m.group(2).lower() in SUSPENDED else m.group(1) + m.group(2),
        cell,
    )


def _join(lines: list[Line]) -> str:
    """Lines of one paragraph → one string; a word hyphenated at a line end is rejoined."""
    text = ""
    wrapped = False
    for line in lines:
        part = line.text.strip()
        if not text:
            text, wrapped = part, line.wrapped
            continue
        word = part.split(" ", 1)[0]
        if wrapped and re.search(r"\w-$", text):
            text += part  # a wrapper breaks "EM-kvalifisering" after its own hyphen
        elif re.search(r"\w-$", text) and part[:1].islower() and word not in SUSPENDED:
            text = text[:-1] + part
        else:
            text = f"{text} {part}"
        wrapped = line.wrapped
    return clean_inline(text)
