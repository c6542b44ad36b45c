"""Loaders turn a file into structural blocks: headings, paragraphs, list items, table rows.

Plain text and Markdown share one reader (the corpus's .txt files are web-page and PDF
extracts with Markdown-like headings and tab-separated tables). HTML is read with the standard
library parser. PDF is read with pypdf page by page, so every block keeps its 1-based page;
font sizes and vertical gaps turn the PDF's lines back into headings and paragraphs, and the
result goes through the same text reader.

The text reader works in two passes:
1. `parse_text`: blank-line separated groups of lines → raw blocks (tables, list items,
   Markdown headings, paragraphs); a one-line group is a heading *candidate*.
2. `_clean_document`: document-wide decisions that need context — page furniture and slide
   labels repeated through the document, broken PDF columns, title pages, tables of contents,
   dangling labels, sentences broken by a page header — and which candidates are headings.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal

from lhl.records import Block

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")

# Web-page furniture that is not content.
BOILERPLATE = (
    re.compile(r"^du benytter en nettleser vi ikke støtter", re.I),
    re.compile(r"^se informasjon om nettlesere\.?$", re.I),
    re.compile(r"^se tidligere versjoner$", re.I),
    re.compile(r"^(?:først publisert|sist faglig oppdatert|siste faglige endring)\b.*$", re.I),
    re.compile(r"^(?:klikk|les mer|trykk) her\.?$", re.I),
    re.compile(r"^(?:til toppen|hopp til (?:hovedinnhold|innhold)|del på \w+|skriv ut)$", re.I),
)
_TOC_LINE = re.compile(r"(?:\.{3,}|…)\s*\d+\s*$|^\d+(?:\.\d+)*\.?\s+\S.*\t\s*\d+\s*$")
_TOC_TITLE = re.compile(r"^(?:innhold|innholdsfortegnelse|innholdsliste)\s*:?$", re.I)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_BULLET = re.compile(r"^(?:[-*•▪◦●‣–]|(\d{1,2})[.)])\s+")
_MONTHS = (
    "januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember"
)
_DATE_LEAD = re.compile(rf"^\d{{1,2}}\.\s+(?:{_MONTHS})\b", re.I)
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(\S.*)$")
_CHAPTER = re.compile(r"^kapittel\s+\d", re.I)
_BYLINE = re.compile(r"^(?:utarbeidet|laget|skrevet|utgitt|redigert|levert)\s+av\s*:?$", re.I)
_PAGE_NUMBER = re.compile(r"^(?:side\s*)?\d{1,4}(?:\s*(?:av|/)\s*\d{1,4})?$", re.I)
# "= Koordineres av KS": a legend whose coloured symbols were lost in the extract.
_LOST_SYMBOL_LEGEND = re.compile(r"^=+(?:\s.*)?$")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_EMPHASIS = re.compile(r"(\*{1,2}|_{2})(?=\S)(.+?)(?<=\S)\1")
_SENTENCE_END = (".", "!", "?")
_PUNCT_END = (".", "!", "?", ",", ";", ":")
# Words a Norwegian writer leaves after a hyphen on purpose: "helse- og omsorgstjenester".
_SUSPENDED = {"og", "eller", "samt", "til", "enn", "som"}

Kind = Literal["heading", "paragraph", "item", "table_row"]


class UnreadableFile(Exception):
    """A file that cannot be read as text; reported by name and skipped."""


def is_boilerplate(line: str) -> bool:
    stripped = line.strip()
    return any(p.search(stripped) for p in BOILERPLATE)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


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
    return _to_blocks(_clean_document(parse_text(text)))


def first_heading(blocks: list[Block]) -> str | None:
    return next((b.text for b in blocks if b.kind == "heading"), None)


# --------------------------------------------------------------------------------------------
# Pass 1: lines → raw blocks
# --------------------------------------------------------------------------------------------


@dataclass
class _Raw:
    """A block before the document-wide pass; richer than `Block` so that pass can decide."""

    kind: Kind
    text: str
    page: int | None = None
    level: int = 0
    header: tuple[str, ...] = ()
    lines: list[str] = field(default_factory=list)  # the source lines, for fragment checks
    alone: bool = False  # the only block of its blank-line separated group
    markdown: bool = False  # an explicit "# heading"
    candidate: bool = False  # a one-line group that may be a heading
    ordinal: int | None = None  # "3." of an ordered list item


@dataclass
class _Line:
    text: str
    indent: int
    hard_break: bool  # Markdown "two spaces at the end": the next line continues this one


def _split_lines(text: str) -> list[_Line | None]:
    out: list[_Line | None] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        raw = raw.replace("\xa0", " ").replace("\u200b", "")
        body = raw.rstrip()
        stripped = body.strip()
        if not stripped or is_boilerplate(stripped) or _TOC_LINE.search(stripped):
            out.append(None)
            continue
        if _LOST_SYMBOL_LEGEND.match(stripped):
            out.append(None)
            continue
        hard = raw.endswith("  ") or body.endswith("\\")
        body = body.removesuffix("\\")
        indent = len(body.expandtabs(4)) - len(body.expandtabs(4).lstrip())
        out.append(_Line(body.lstrip(" "), indent, hard))
    return out


def parse_text(text: str, page: int | None = None) -> list[_Raw]:
    """Pass 1 over one text (a file, or one PDF page)."""
    lines = _split_lines(text)
    blocks: list[_Raw] = []
    table = _Table(page)
    group: list[_Line] = []
    for i, line in enumerate([*lines, None]):
        if line is not None:
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

    def close(self, out: list[_Raw]) -> None:
        if self.header and not self.rows:  # one tabbed line is not a table: keep its text
            text = " – ".join(c for c in self.header if c)
            out.append(_Raw("paragraph", text, self.page, lines=[text]))
        self.header, self.last, self.rows = (), [], 0

    def add(self, text: str, out: list[_Raw]) -> None:
        cells = [_clean(c) for c in text.split("\t")]
        if not self.header:
            self.header = tuple(_clean_header(c) for c in cells)
            return
        if not cells[0] and self.last:  # a continuation row repeats the previous row's key
            cells[0] = self.last[0]
        if not any(cells):
            return
        self.last, self.rows = cells, self.rows + 1
        out.append(_Raw("table_row", _row_text(self.header, cells), self.page,
                        header=self.header, lines=[text]))


def _next_is_row(lines: list[_Line | None], i: int) -> bool:
    following = next((ln for ln in lines[i + 1 :] if ln is not None), None)
    return following is not None and "\t" in following.text


def _group_blocks(group: list[_Line], page: int | None, table: _Table, out: list[_Raw]) -> None:
    """One blank-line separated group of lines → blocks, appended to `out`."""
    start = len(out)
    para: list[_Line] = []
    item: list[_Line] = []
    item_meta: tuple[int, int | None] = (0, None)  # (indent level, ordinal)
    item_source = ""  # the item's first line as written, list marker included

    def flush() -> None:
        nonlocal item
        if para:
            out.append(_Raw("paragraph", _join(para), page, lines=[ln.text for ln in para]))
            para.clear()
        if item:
            level, ordinal = item_meta
            lines = [item_source, *(ln.text for ln in item[1:])]
            out.append(_Raw("item", _join(item), page, level=level, ordinal=ordinal, lines=lines))
            item = []

    prev: _Line | None = None
    for line in group:
        text = line.text
        continues = prev is not None and prev.hard_break
        if "\t" in text:
            flush()
            table.add(text, out)
        elif table.rows and len(out) > start and out[-1].kind == "table_row" and text[:1].islower():
            table.last[-1] = f"{table.last[-1]} {text.strip()}"  # a cell wrapped onto a line
            out[-1] = replace(out[-1], text=_row_text(table.header, table.last))
        elif (md := _MD_HEADING.match(text)) and not continues:
            flush()
            table.close(out)
            out.append(_Raw("heading", _heading_text(md.group(2)), page,
                            level=len(md.group(1)), markdown=True, lines=[text]))
        elif (bullet := _BULLET.match(text)) and not continues and not _DATE_LEAD.match(text):
            flush()
            table.close(out)
            ordinal = int(bullet.group(1)) if bullet.group(1) else None
            item_meta = (line.indent // 2, ordinal)
            item = [_Line(_lead_in(text[bullet.end() :]), line.indent, line.hard_break)]
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
    made = out[start:]
    if len(made) == 1:
        only = made[0]
        only.alone = True
        one_line = len(group) == 1 and not group[0].hard_break
        if only.kind == "item" and _is_whole_bold(group[0].text):
            # "- **Mobilisere og engasjere …**" above its paragraphs: a sub-heading set as
            # a bullet, not a one-item list.
            out[-1] = replace(only, kind="heading", text=_heading_text(only.text), level=9)
        else:
            only.candidate = one_line and (only.kind == "paragraph" or only.ordinal is not None)
    if table.header and "\t" not in group[-1].text:
        table.close(out)


def _lead_in(text: str) -> str:
    """"**Husbanken** Statsforvalteren har …" → "Husbanken: Statsforvalteren har …": the bold
    lead-in names what the item is about; without a mark it runs into the sentence."""
    return re.sub(r"^\*\*([^*]*[^*.:;!?–-])\*\*\s+(?=[A-ZÆØÅ])", r"\1: ", text)


def _is_whole_bold(line: str) -> bool:
    body = _BULLET.sub("", line.strip())
    return bool(re.fullmatch(r"\*\*[^*]+\*\*[.:]?", body)) and len(body) <= 140


def _row_text(header: tuple[str, ...], cells: list[str]) -> str:
    parts = []
    for i, cell in enumerate(cells):
        cell = cell.rstrip(" ;.")  # the row's own punctuation joins the cells
        if not cell:
            continue
        name = header[i] if i < len(header) and header[i] else ""
        parts.append(f"{name}: {cell}" if name else cell)
    text = "; ".join(parts)
    return text if text.endswith(_SENTENCE_END) else text + "."


def _clean_header(cell: str) -> str:
    # "Innsats- område" is a word the PDF broke at the column edge, not "Innsats- og …".
    return re.sub(
        r"(\w)- (\w+)",
        lambda m: m.group(0) if m.group(2).lower() in _SUSPENDED else m.group(1) + m.group(2),
        cell,
    )


def _join(lines: list[_Line]) -> str:
    """Lines of one paragraph → one string; a word hyphenated at a line end is rejoined."""
    text = ""
    for line in lines:
        part = line.text.strip()
        if not text:
            text = part
            continue
        word = part.split(" ", 1)[0]
        if re.search(r"\w-$", text) and part[:1].islower() and word not in _SUSPENDED:
            text = text[:-1] + part
        else:
            text = f"{text} {part}"
    return _clean(text)


def _clean(text: str) -> str:
    text = _AUTOLINK.sub(r"\1", text)
    text = _LINK.sub(_link_text, text)
    text = _EMPHASIS.sub(r"\2", text)
    text = re.sub(r"(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)", "", text)  # unpaired emphasis marks
    return re.sub(r"\s+", " ", text).strip()


def _link_text(m: re.Match[str]) -> str:
    label, url = m.group(1).strip(), m.group(2).strip()
    if not url or url.startswith("#") or not label:
        return label or url
    bare = re.sub(r"^https?://(www\.)?", "", url).rstrip("/").lower()
    return label if bare == label.lower().rstrip("/") else f"{label} ({url})"


# --------------------------------------------------------------------------------------------
# Pass 2: document-wide decisions
# --------------------------------------------------------------------------------------------


def _clean_document(blocks: list[_Raw]) -> list[_Raw]:
    blocks = [b for b in blocks if not _is_noise(b)]
    blocks = _drop_repeated_furniture(blocks)
    blocks = _drop_broken_columns(blocks)
    blocks = _drop_page_headers_in_sentences(blocks)
    blocks = _drop_table_of_contents(blocks)
    blocks = _decide_headings(blocks)
    blocks = _drop_heading_echoes(blocks)
    blocks = _drop_dangling_labels(blocks)
    return _merge_broken_paragraphs(blocks)


def _is_noise(block: _Raw) -> bool:
    """Stand-alone page numbers, years and symbols: nothing a reader could cite."""
    if block.kind == "table_row":
        return False
    letters = [c for c in block.text if c.isalpha()]
    if not letters:
        return True
    if not block.alone or block.kind != "paragraph":
        return False
    # "Uli", "e": a word cut off at a column edge; acronyms ("KS", "NAV") stay.
    cut_off = len(letters) < 4 and not all(c.isupper() for c in letters)
    return cut_off or _PAGE_NUMBER.match(block.text) is not None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip(" .:")


def _norm_digits(text: str) -> str:
    """For running headers and footers: "side 3 av 10" and "side 4 av 10" are one line."""
    return re.sub(r"\d+", "#", _norm(text))


def _drop_repeated_furniture(blocks: list[_Raw]) -> list[_Raw]:
    """A stand-alone line that recurs through a document is furniture: a running header, a
    slide label ("Anbefalte lenker"), a source stamp ("Regjeringen.no"). A short one seen three
    times or more goes everywhere; otherwise it is kept where it first appears (an author
    under two quotes, a motto on two slides)."""
    counts = Counter(_norm(b.text) for b in blocks if b.alone and not b.markdown)
    seen: set[str] = set()
    out = []
    for b in blocks:
        key = _norm(b.text)
        if b.alone and not b.markdown and b.kind != "table_row" and counts[key] > 1:
            if (len(b.text) <= 40 and counts[key] >= 3) or key in seen:
                continue
            seen.add(key)
        out.append(b)
    return out


def _drop_broken_columns(blocks: list[_Raw]) -> list[_Raw]:
    """Text cut off at a column edge in the PDF extract ("nummerer i / e planverk- /
    lingsdel og / nomiplan"): short hard-broken lines that start mid-word or end in a broken
    word. Such fragments carry no sentence a reader could use."""

    def broken(b: _Raw) -> bool:
        if not b.alone or b.kind != "paragraph" or len(b.lines) < 2:
            return False
        lines = [ln.strip() for ln in b.lines]
        if max(map(len, lines)) > 24:
            return False
        cut_word = any(
            re.search(r"\w-$", a) and b_[:1].islower() and b_.split(" ", 1)[0] not in _SUSPENDED
            for a, b_ in zip(lines, lines[1:], strict=False)
        )
        return cut_word or lines[0][:1].islower()

    return [b for b in blocks if not broken(b)]


def _drop_page_headers_in_sentences(blocks: list[_Raw]) -> list[_Raw]:
    """A running page header that landed in the middle of a sentence: the paragraph before
    stops without a full stop, the line is alone, and the text after goes on in lower case."""
    out: list[_Raw] = []
    for i, b in enumerate(blocks):
        before = out[-1] if out else None
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        if (
            b.alone
            and b.kind == "paragraph"
            and len(b.lines) == 1
            and not b.text.endswith(_PUNCT_END)
            and before is not None
            and before.kind in ("paragraph", "item")
            and not before.text.endswith(_SENTENCE_END + (":",))
            and after is not None
            and after.kind == "paragraph"
            and _continues_sentence(after.text)
        ):
            continue
        out.append(b)
    return out


def _drop_table_of_contents(blocks: list[_Raw]) -> list[_Raw]:
    """"Innhold" and what lists under it (dotted TOC lines are dropped line by line)."""
    out: list[_Raw] = []
    skipping: int | None = None  # level of a Markdown TOC heading while inside it
    listing = False  # inside the list right under a plain "Innhold" line
    for b in blocks:
        if skipping is not None:
            if b.kind == "heading" and b.markdown and b.level <= skipping:
                skipping = None
            else:
                continue
        if listing:
            if b.kind == "item" and not b.alone:
                continue
            listing = False
        if _TOC_TITLE.match(b.text) and (b.markdown or b.candidate):
            if b.markdown:
                skipping = b.level
            else:
                listing = True
            continue
        out.append(b)
    return out


def _source_line(b: _Raw) -> str:
    """The line as written, with its list number ("1. BAKGRUNN" was read as an item)."""
    return b.lines[0].strip() if b.lines else b.text


def _decide_headings(blocks: list[_Raw]) -> list[_Raw]:
    """Which one-line groups are headings. A run of three or more heading-like lines with
    nothing between them is a list (names, link titles), not a cascade of empty sections;
    at the top of a document such a run is a title page."""
    looks = [b.candidate and _looks_like_heading(_source_line(b)) for b in blocks]
    strong = [looks[i] and _is_numbered_heading(_source_line(b)) for i, b in enumerate(blocks)]

    def has_content(k: int) -> bool:
        """An unnumbered line is a heading only over something; else it is a line of text
        ("Kommunen forstår kunnskapsgrunnlaget" just above "## Hjelpespørsmål")."""
        nxt = blocks[k + 1] if k + 1 < len(blocks) else None
        return nxt is not None and nxt.kind != "heading" and not looks[k + 1]

    out: list[_Raw] = []
    i = 0
    while i < len(blocks):
        if not looks[i] or strong[i]:
            out.append(_as_heading(blocks[i]) if strong[i] else blocks[i])
            i += 1
            continue
        j = i
        while j < len(blocks) and looks[j] and not strong[j]:
            j += 1
        run = blocks[i:j]
        if len(run) >= 3 and all(b.kind == "heading" for b in out):
            out.extend(_title_page(run))
        elif len(run) >= 3:
            out.extend(replace(b, candidate=False) for b in run)
        else:
            out.extend(_as_heading(b) if has_content(i + n) else replace(b, candidate=False)
                       for n, b in enumerate(run))
        i = j
    return out


def _as_heading(b: _Raw) -> _Raw:
    line = _source_line(b)
    return replace(b, kind="heading", text=_heading_text(line), level=_heading_level(line),
                   ordinal=None)


def _title_page(run: list[_Raw]) -> list[_Raw]:
    """"REVIDERT GJENNOMFØRINGSPLAN … / TRØNDELAG / Utarbeidet av / Statsforvalteren / USHT …"
    → one title heading and a paragraph "Utarbeidet av: Statsforvalteren, USHT, …"."""
    title = _takewhile_upper(run) or run[:1]
    rest = run[len(title) :]
    out = [
        replace(title[0], kind="heading", level=1, candidate=False,
                text=" – ".join(_heading_text(b.text) for b in title))
    ]
    label: _Raw | None = None
    names: list[str] = []
    for b in rest:
        if _BYLINE.match(b.text) and label is None:
            label = b
        elif label is not None:
            names.append(b.text)
        else:
            out.append(replace(b, kind="paragraph", candidate=False))
    if label is not None:
        text = f"{label.text.rstrip(': ')}: {', '.join(names)}." if names else label.text
        out.append(replace(label, kind="paragraph", text=text, candidate=False))
    return out


def _takewhile_upper(run: list[_Raw]) -> list[_Raw]:
    out = []
    for b in run:
        letters = [c for c in b.text if c.isalpha()]
        if len(letters) < 4 or not all(c.isupper() for c in letters):
            break
        out.append(b)
    return out


def _looks_like_heading(line: str) -> bool:
    if len(line) > 90 or line[:1] in "(«\"'[-–=":
        return False
    if _CHAPTER.match(line) or _DATE_LEAD.match(line):
        return True
    num = _NUMBERED.match(line)
    multi_level = bool(num and "." in num.group(1).strip("."))
    if line.endswith(_PUNCT_END) and not (
        multi_level and line.endswith((":", ".")) and len(line.split()) <= 8
    ):
        return False
    if num:
        return len(num.group(2).split()) <= 12
    if "," in line:
        return False
    first = line[0]
    words = line.split()
    return (first.isupper() or first.isdigit()) and 1 <= len(words) <= 10


def _is_numbered_heading(line: str) -> bool:
    """Numbered or dated headings are headings even in a run ("3. DET REGIONALE … / 3.1 …")."""
    if _CHAPTER.match(line):
        return True
    num = _NUMBERED.match(line)
    if not num:
        return False
    multi_level = "." in num.group(1).strip(".")
    return multi_level or num.group(2).isupper() or bool(_DATE_LEAD.match(line))


def _heading_text(line: str) -> str:
    line = re.sub(r"^(Kapittel\s+\d+(?:\.\d+)*)(?=[A-ZÆØÅ])", r"\1 ", line)  # "Kapittel 2.4Oppgaver"
    line = _clean(line)
    letters = [c for c in line if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        lowered = line.lower()
        first = next((i for i, c in enumerate(lowered) if c.isalpha()), 0)
        line = lowered[:first] + lowered[first : first + 1].upper() + lowered[first + 1 :]
    return line


def _heading_level(line: str) -> int:
    if _CHAPTER.match(line):
        return 1
    num = _NUMBERED.match(line)
    if num and not _DATE_LEAD.match(line):
        return len([p for p in num.group(1).split(".") if p])
    return 9  # an unnumbered sub-heading sits under the current numbered one


def _drop_heading_echoes(blocks: list[_Raw]) -> list[_Raw]:
    """A slide title extracted once as text and once as the heading ("Hvordan ble veilederen
    til?" just before "# Hvordan ble veilederen til?") is said once, as the heading."""
    headings = {_norm(b.text) for b in blocks if b.kind == "heading"}
    return [b for b in blocks if b.kind == "heading" or not b.alone or _norm(b.text) not in headings]


def _drop_dangling_labels(blocks: list[_Raw]) -> list[_Raw]:
    """"Kontaktinformasjon: / Helsedirektoratet: / KS:" whose contents (links, images) were
    lost in the extract: a short label ending in a colon with nothing after it."""
    out: list[_Raw] = []
    for b in reversed(blocks):
        nxt = out[-1] if out else None
        if (
            b.kind == "paragraph"
            and b.text.endswith(":")
            and len(b.text) <= 80
            and (nxt is None or nxt.kind == "heading")
        ):
            continue
        out.append(b)
    return out[::-1]


def _merge_broken_paragraphs(blocks: list[_Raw]) -> list[_Raw]:
    """PDF extracts break sentences across blank lines and pages: a paragraph or list item
    that stops mid-sentence is joined with a following paragraph that starts in lower case."""
    out: list[_Raw] = []
    for b in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind in ("paragraph", "item")
            and b.kind == "paragraph"
            and not prev.text.endswith(_SENTENCE_END + (":",))
            and _continues_sentence(b.text)
        ):
            out[-1] = replace(prev, text=f"{prev.text} {b.text}", lines=prev.lines + b.lines,
                              alone=False)
            continue
        out.append(b)
    return out


def _continues_sentence(text: str) -> bool:
    """Starts in lower case with a word, not a web address."""
    return bool(re.match(r"[a-zæøåäöü]", text)) and not re.match(r"(?:https?://|www\.)", text)


def _to_blocks(raws: list[_Raw]) -> list[Block]:
    out = []
    for r in raws:
        text = r.text.strip()
        if not text:
            continue
        if r.kind == "item" and r.ordinal is not None:
            text = f"{r.ordinal}. {text}"
        level = r.level if r.kind in ("heading", "item") else 0
        out.append(Block(r.kind, text, r.page, level=level, header=r.header))
    return out


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


class _HTMLBlocks(HTMLParser):
    _SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template", "svg",
             "form", "aside", "button", "iframe", "select", "head"}
    _BLOCK = {"p", "div", "section", "article", "main", "blockquote", "pre", "dd", "dt",
              "caption", "figcaption", "address", "table", "ul", "ol", "body"}
    _VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "source", "col", "area", "base"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.raws: list[_Raw] = []
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
            self._row.append(_clean(" ".join(self._cell)))
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
        text = _row_text(self._header, row) if self._header else " – ".join(c for c in row if c)
        self.raws.append(_Raw("table_row", text, header=self._header))

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
        text = _clean(" ".join(self._buf))
        self._buf = []
        kind, level = self._kind, self._level
        self._kind, self._level = "paragraph", 0
        if not text or is_boilerplate(text):
            return
        self.raws.append(_Raw(kind, text, level=level))


def load_html(text: str) -> list[Block]:
    parser = _HTMLBlocks()
    parser.feed(text)
    parser.close()
    parser._flush()
    raws = parser.raws
    title = _clean(parser.title)
    if title and not any(r.kind == "heading" and r.level == 1 for r in raws):
        raws.insert(0, _Raw("heading", title, level=1))
    return _to_blocks(raws)


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------


@dataclass
class _PdfLine:
    text: str
    size: float
    bold: bool
    y: float
    x: float


def load_pdf(path: Path) -> list[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("PDF-en er passordbeskyttet")
        pages = [_pdf_lines(page) for page in reader.pages]
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, OSError, TypeError) as exc:
        raise UnreadableFile(f"ødelagt eller ugyldig PDF ({exc})") from exc
    pages = _drop_running_lines(pages)
    layout = _PdfLayout.measure(pages)
    raws: list[_Raw] = []
    for number, lines in enumerate(pages, start=1):
        raws.extend(parse_text(layout.to_text(lines), page=number))
    blocks = _to_blocks(_clean_document(raws))
    if not blocks:
        raise UnreadableFile("ingen tekst i PDF-en (skannet bilde?)")
    return blocks


def _pdf_lines(page: object) -> list[_PdfLine]:
    """The page's text lines with font size, boldness and position, in content order."""
    frags: list[tuple[str, float, bool, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if not text or not text.strip():
            if "\n" in (text or "") and frags:
                frags.append(("\n", 0.0, False, frags[-1][3], 0.0))
            return
        a, b, c, d, e, f = _matmul(tm, cm)
        scale = abs(a * d - b * c) ** 0.5 or 1.0
        name = str(font.get("/BaseFont", "")) if isinstance(font, dict) else ""
        bold = bool(re.search(r"bold|black|heavy|semibold|,b\b", name, re.I))
        frags.append((text, round(size * scale, 1), bold, f, e))

    text = page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    if not frags:
        return [_PdfLine(t, 0.0, False, 0.0, 0.0) for t in (text or "").splitlines()]
    lines: list[_PdfLine] = []
    cur: list[tuple[str, float, bool, float, float]] = []

    def close() -> None:
        joined = "".join(t for t, *_ in cur).replace("\n", " ")
        if joined.strip():
            body = [f for f in cur if f[0].strip()]
            size = max(f[1] for f in body)
            bold = all(f[2] for f in body)
            lines.append(_PdfLine(joined.strip(), size, bold, body[0][3], body[0][4]))
        cur.clear()

    for frag in frags:
        if frag[0] == "\n":
            close()
            continue
        if cur and abs(frag[3] - cur[-1][3]) > max(frag[1], 1.0) * 0.5:
            close()
        for piece_i, piece in enumerate(frag[0].split("\n")):
            if piece_i:
                close()
            if piece:
                cur.append((piece, *frag[1:]))
    close()
    return lines


def _matmul(m: list[float], n: list[float]) -> tuple[float, ...]:
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def _drop_running_lines(pages: list[list[_PdfLine]]) -> list[list[_PdfLine]]:
    """Running headers and footers: lines at the top or bottom of a page, no larger than body
    text, that recur (digits aside) on many pages; and bare page numbers there."""
    sizes: Counter[float] = Counter()
    for p in pages:
        for ln in p:
            sizes[ln.size] += len(ln.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0

    def edges(p: list[_PdfLine]) -> list[_PdfLine]:
        return [ln for ln in p[:2] + p[-2:] if ln.size <= body + 0.25]

    counts: Counter[str] = Counter()
    for p in pages:
        counts.update({_norm_digits(ln.text) for ln in edges(p)})
    limit = max(2, round(0.4 * len(pages)))
    out = []
    for p in pages:
        edge = {id(ln) for ln in edges(p)}
        out.append([
            ln for ln in p
            if id(ln) not in edge
            or not (_PAGE_NUMBER.match(ln.text) or counts[_norm_digits(ln.text)] >= limit)
        ])
    return out


@dataclass
class _PdfLayout:
    body_size: float
    heading_sizes: list[float]  # larger than body, biggest first: level 1, 2, …
    line_gap: float

    @classmethod
    def measure(cls, pages: list[list[_PdfLine]]) -> _PdfLayout:
        chars: Counter[float] = Counter()
        for p in pages:
            for ln in p:
                chars[ln.size] += len(ln.text)
        body = chars.most_common(1)[0][0] if chars else 0.0
        sizes = sorted({s for s in chars if body and s >= body * 1.15}, reverse=True)[:4]
        gaps = [
            a.y - b.y
            for p in pages
            for a, b in zip(p, p[1:], strict=False)
            if a.size == body == b.size and 0 < a.y - b.y < 4 * body
        ]
        return cls(body, sizes, statistics.median(gaps) if gaps else body * 1.2)

    def level(self, line: _PdfLine) -> int | None:
        for i, size in enumerate(self.heading_sizes, start=1):
            if abs(line.size - size) < 0.25:
                return i
        return None

    def to_text(self, lines: list[_PdfLine]) -> str:
        """Markdown-ish text: headings as "#", paragraphs split where the gap is wide."""
        out: list[str] = []
        prev: _PdfLine | None = None
        prev_level: int | None = None
        for ln in lines:
            level = self.level(ln) if self.body_size else None
            if level is None and ln.bold and self.body_size and len(ln.text) <= 90:
                gap_before = prev is None or abs(prev.y - ln.y) > 1.4 * self.line_gap
                if gap_before and not ln.text.endswith(_SENTENCE_END):
                    level = len(self.heading_sizes) + 1
            gap = prev is not None and (
                prev.y - ln.y > 1.4 * self.line_gap or prev.y - ln.y < -self.line_gap
            )
            if level is not None:
                if prev_level == level and not gap and out:
                    out[-1] += " " + ln.text  # a heading wrapped over two lines
                else:
                    out += ["", "#" * level + " " + ln.text, ""]
            else:
                if gap or prev_level is not None:
                    out.append("")
                out.append(ln.text)
            prev, prev_level = ln, level
        return "\n".join(out)
