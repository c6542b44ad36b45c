"""PDF → blocks with pypdf, page by page, so every block keeps its 1-based page.

pypdf's text visitor gives each run of text with its font and position. Lines larger than the
body text become Markdown headings (by size: level 1, 2, …), a whole bold line after a gap a
heading below those, a wide vertical gap a paragraph break; running headers and footers and
bare page numbers are dropped. The resulting text goes through the same two passes as a text
file.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import UnreadableFile
from ingest.structure import clean_document, to_blocks
from ingest.textparse import parse_text
from ingest.textrules import PAGE_NUMBER, SENTENCE_END, RawBlock, norm_digits
from lhl import messages
from lhl.records import Block


@dataclass
class _PdfLine:
    text: str
    size: float
    bold: bool
    y: float
    x: float


def read_pdf(path: Path) -> list[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile(messages.ingest.PDF_ENCRYPTED)
        pages = [_pdf_lines(page) for page in reader.pages]
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, OSError, TypeError) as exc:
        raise UnreadableFile(messages.ingest.PDF_BROKEN.format(detail=exc)) from exc
    pages = _drop_running_lines(pages)
    layout = _PdfLayout.measure(pages)
    raws: list[RawBlock] = []
    for number, lines in enumerate(pages, start=1):
        raws.extend(parse_text(layout.to_text(lines), page=number))
    blocks = to_blocks(clean_document(raws))
    if not blocks:
        # A scanned document: its pages are pictures. Reported, never indexed as empty.
        raise UnreadableFile(messages.ingest.PDF_SCANNED)
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
    return (
        a * A + b * C,
        a * B + b * D,
        c * A + d * C,
        c * B + d * D,
        e * A + f * C + E,
        e * B + f * D + F,
    )


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
        counts.update({norm_digits(ln.text) for ln in edges(p)})
    limit = max(2, round(0.4 * len(pages)))
    out = []
    for p in pages:
        edge = {id(ln) for ln in edges(p)}
        out.append(
            [
                ln
                for ln in p
                if id(ln) not in edge
                or not (PAGE_NUMBER.match(ln.text) or counts[norm_digits(ln.text)] >= limit)
            ]
        )
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
                if gap_before and not ln.text.endswith(SENTENCE_END):
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
