"""What both passes of the text reader (ingest/textparse.py, ingest/structure.py) and the
loaders share: the raw block, the patterns for web-page furniture, dates, numbered headings and
page numbers, inline cleanup (links, emphasis), and whether a line reads as a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from lhl.lexicon import MONTHS

# Web-page furniture that is not content.
BOILERPLATE = (
    re.compile(r"^du benytter en nettleser vi ikke støtter", re.I),
    re.compile(r"^se informasjon om nettlesere\.?$", re.I),
    re.compile(r"^se tidligere versjoner$", re.I),
    re.compile(r"^(?:klikk|les mer|trykk) her\.?$", re.I),
    re.compile(r"^(?:til toppen|hopp til (?:hovedinnhold|innhold)|del på \w+|skriv ut)$", re.I),
)
TOC_TITLE = re.compile(r"^(?:innhold|innholdsfortegnelse|innholdsliste)\s*:?$", re.I)
DATE_LEAD = re.compile(rf"^\d{{1,2}}\.\s+(?:{MONTHS})\b", re.I)
NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(\S.*)$")
CHAPTER = re.compile(r"^kapittel\s+\d", re.I)
BYLINE = re.compile(r"^(?:utarbeidet|laget|skrevet|utgitt|redigert|levert)\s+av\s*:?$", re.I)
PAGE_NUMBER = re.compile(r"^(?:side\s*)?\d{1,4}(?:\s*(?:av|/)\s*\d{1,4})?$", re.I)
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
EMPHASIS = re.compile(r"(\*{1,2}|_{2})(?=\S)(.+?)(?<=\S)\1")
SENTENCE_END = (".", "!", "?")
PUNCT_END = (".", "!", "?", ",", ";", ":")
# Words a Norwegian writer leaves after a hyphen on purpose: "helse- og omsorgstjenester".
SUSPENDED = {"og", "eller", "samt", "til", "enn", "som"}

Kind = Literal["heading", "paragraph", "item", "table_row"]


def is_boilerplate(line: str) -> bool:
    stripped = line.strip()
    return any(p.search(stripped) for p in BOILERPLATE)


@dataclass
class RawBlock:
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


def row_text(header: tuple[str, ...], cells: list[str]) -> str:
    parts = []
    for i, cell in enumerate(cells):
        cell = cell.rstrip(" ;.")  # the row's own punctuation joins the cells
        if not cell:
            continue
        name = header[i] if i < len(header) and header[i] else ""
        parts.append(f"{name}: {cell}" if name else cell)
    text = "; ".join(parts)
    return text if text.endswith(SENTENCE_END) else text + "."


def clean_inline(text: str) -> str:
    text = AUTOLINK.sub(r"\1", text)
    text = LINK.sub(_link_text, text)
    text = EMPHASIS.sub(r"\2", text)
    text = re.sub(r"(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)", "", text)  # unpaired emphasis marks
    return re.sub(r"\s+", " ", text).strip()


def _link_text(m: re.Match[str]) -> str:
    label, url = m.group(1).strip(), m.group(2).strip()
    if not url or url.startswith("#") or not label:
        return label or url
    bare = re.sub(r"^https?://(www\.)?", "", url).rstrip("/").lower()
    return label if bare == label.lower().rstrip("/") else f"{label} ({url})"


def looks_like_heading(line: str) -> bool:
    if len(line) > 90 or line[:1] in "(«\"'[-–=":
        return False
    if CHAPTER.match(line) or DATE_LEAD.match(line):
        return True
    num = NUMBERED.match(line)
    multi_level = bool(num and "." in num.group(1).strip("."))
    if line.endswith(PUNCT_END) and not (
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


def is_numbered_heading(line: str) -> bool:
    """Numbered or dated headings are headings even in a run ("3. DET REGIONALE … / 3.1 …")."""
    if CHAPTER.match(line):
        return True
    num = NUMBERED.match(line)
    if not num:
        return False
    multi_level = "." in num.group(1).strip(".")
    return multi_level or num.group(2).isupper() or bool(DATE_LEAD.match(line))


def heading_text(line: str) -> str:
    line = re.sub(
        r"^(Kapittel\s+\d+(?:\.\d+)*)(?=[A-ZÆØÅ])", r"\1 ", line
    )  # "Kapittel 2.4Oppgaver"
    line = clean_inline(line)
    letters = [c for c in line if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        lowered = line.lower()
        first = next((i for i, c in enumerate(lowered) if c.isalpha()), 0)
        line = lowered[:first] + lowered[first : first + 1].upper() + lowered[first + 1 :]
    return line


def heading_level(line: str) -> int:
    if CHAPTER.match(line):
        return 1
    num = NUMBERED.match(line)
    if num and not DATE_LEAD.match(line):
        return len([p for p in num.group(1).split(".") if p])
    return 9  # an unnumbered sub-heading sits under the current numbered one


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip(" .:")


def norm_digits(text: str) -> str:
    """For running headers and footers: "side 3 av 10" and "side 4 av 10" are one line."""
    return re.sub(r"\d+", "#", norm(text))
