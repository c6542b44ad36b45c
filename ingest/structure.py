"""Pass 2 of the text reader: decisions that need the whole document in view.

Page furniture and slide labels repeated through a document, text cut off at a PDF column
edge, running headers in the middle of a sentence, tables of contents, title pages, labels
whose contents were lost, sentences broken across blank lines — and which one-line groups are
headings (a run of three or more heading-like lines is a list, not a cascade of empty
sections).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from ingest.textrules import (
    BYLINE,
    PAGE_NUMBER,
    PUNCT_END,
    SENTENCE_END,
    SUSPENDED,
    TOC_TITLE,
    RawBlock,
    heading_level,
    heading_text,
    is_numbered_heading,
    looks_like_heading,
    norm,
)
from lhl.records import Block


def clean_document(blocks: list[RawBlock]) -> list[RawBlock]:
    blocks = [b for b in blocks if not _is_noise(b)]
    blocks = _drop_repeated_furniture(blocks)
    blocks = _drop_broken_columns(blocks)
    blocks = _drop_page_headers_in_sentences(blocks)
    blocks = _drop_table_of_contents(blocks)
    blocks = _decide_headings(blocks)
    blocks = _drop_heading_echoes(blocks)
    blocks = _drop_dangling_labels(blocks)
    return _merge_broken_paragraphs(blocks)


def _is_noise(block: RawBlock) -> bool:
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
    return cut_off or PAGE_NUMBER.match(block.text) is not None


def _drop_repeated_furniture(blocks: list[RawBlock]) -> list[RawBlock]:
    """A stand-alone line that recurs through a document is furniture: a running header, a
    slide label ("Anbefalte lenker"), a source stamp ("Regjeringen.no"). A short one seen three
    times or more goes everywhere; otherwise it is kept where it first appears (an author
    under two quotes, a motto on two slides)."""
    counts = Counter(norm(b.text) for b in blocks if b.alone and not b.markdown)
    seen: set[str] = set()
    out = []
    for b in blocks:
        key = norm(b.text)
        if b.alone and not b.markdown and b.kind != "table_row" and counts[key] > 1:
            if (len(b.text) <= 40 and counts[key] >= 3) or key in seen:
                continue
            seen.add(key)
        out.append(b)
    return out


def _drop_broken_columns(blocks: list[RawBlock]) -> list[RawBlock]:
    """Text cut off at a column edge in the PDF extract ("nummerer i / e planverk- /
    lingsdel og / nomiplan"): short hard-broken lines that start mid-word or end in a broken
    word. Such fragments carry no sentence a reader could use."""

    def broken(b: RawBlock) -> bool:
        if not b.alone or b.kind != "paragraph" or len(b.lines) < 2:
            return False
        lines = [ln.strip() for ln in b.lines]
        if max(map(len, lines)) > 24:
            return False
        cut_word = any(
            re.search(r"\w-$", a) and b_[:1].islower() and b_.split(" ", 1)[0] not in SUSPENDED
            for a, b_ in zip(lines, lines[1:], strict=False)
        )
        return cut_word or lines[0][:1].islower()

    return [b for b in blocks if not broken(b)]


def _drop_page_headers_in_sentences(blocks: list[RawBlock]) -> list[RawBlock]:
    """A running page header that landed in the middle of a sentence: the paragraph before
    stops without a full stop, the line is alone, and the text after goes on in lower case."""
    out: list[RawBlock] = []
    for i, b in enumerate(blocks):
        before = out[-1] if out else None
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        if (
            b.alone
            and b.kind == "paragraph"
            and len(b.lines) == 1
            and not b.text.endswith(PUNCT_END)
            and before is not None
            and before.kind in ("paragraph", "item")
            and not before.text.endswith(SENTENCE_END + (":",))
            and after is not None
            and after.kind == "paragraph"
            and _continues_sentence(after.text)
        ):
            continue
        out.append(b)
    return out


def _drop_table_of_contents(blocks: list[RawBlock]) -> list[RawBlock]:
    """ "Innhold" and what lists under it (dotted TOC lines are dropped line by line)."""
    out: list[RawBlock] = []
    skipping: int | None = None  # level of a Markdown TOC heading while inside it
    listing = False  # inside the list right under a plain "Innhold" line
    for b in blocks:
        if skipping is not None:
            toc_like = b.kind in ("item", "heading") or (b.alone and len(b.text) <= 60)
            if (b.kind == "heading" and b.markdown and b.level <= skipping) or not toc_like:
                skipping = None  # the next chapter, or prose: "Innhold" was not a TOC after all
            else:
                continue
        if listing:
            if b.kind == "item" and not b.alone:
                continue
            listing = False
        if TOC_TITLE.match(b.text) and (b.markdown or b.candidate):
            if b.markdown:
                skipping = b.level
            else:
                listing = True
            continue
        out.append(b)
    return out


def _source_line(b: RawBlock) -> str:
    """The line as written, with its list number ("1. BAKGRUNN" was read as an item)."""
    return b.lines[0].strip() if b.lines else b.text


def _decide_headings(blocks: list[RawBlock]) -> list[RawBlock]:
    """Which one-line groups are headings. A run of three or more heading-like lines with
    nothing between them is a list (names, link titles), not a cascade of empty sections;
    at the top of a document such a run is a title page."""
    looks = [b.candidate and looks_like_heading(_source_line(b)) for b in blocks]
    strong = [looks[i] and is_numbered_heading(_source_line(b)) for i, b in enumerate(blocks)]

    def has_content(k: int) -> bool:
        """An unnumbered line is a heading only over something; else it is a line of text
        ("Kommunen forstår kunnskapsgrunnlaget" just above "## Hjelpespørsmål")."""
        nxt = blocks[k + 1] if k + 1 < len(blocks) else None
        return nxt is not None and nxt.kind != "heading" and not looks[k + 1]

    out: list[RawBlock] = []
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
            # The document's first line is its title, also right above a section heading
            # ("Tilskudd til …" / "Om ordningen" / text).
            at_top = not out
            out.extend(
                _as_heading(b)
                if has_content(i + n) or (at_top and n == 0)
                else replace(b, candidate=False)
                for n, b in enumerate(run)
            )
        i = j
    return out


def _as_heading(b: RawBlock) -> RawBlock:
    line = _source_line(b)
    return replace(
        b, kind="heading", text=heading_text(line), level=heading_level(line), ordinal=None
    )


def _title_page(run: list[RawBlock]) -> list[RawBlock]:
    """ "REVIDERT GJENNOMFØRINGSPLAN … / TRØNDELAG / Utarbeidet av / Statsforvalteren / USHT …"
    → one title heading and a paragraph "Utarbeidet av: Statsforvalteren, USHT, …"."""
    title = _takewhile_upper(run) or run[:1]
    rest = run[len(title) :]
    out = [
        replace(
            title[0],
            kind="heading",
            level=1,
            candidate=False,
            text=" – ".join(heading_text(b.text) for b in title),
        )
    ]
    label: RawBlock | None = None
    names: list[str] = []
    for b in rest:
        if BYLINE.match(b.text) and label is None:
            label = b
        elif label is not None:
            names.append(b.text)
        else:
            out.append(replace(b, kind="paragraph", candidate=False))
    if label is not None:
        text = f"{label.text.rstrip(': ')}: {', '.join(names)}." if names else label.text
        out.append(replace(label, kind="paragraph", text=text, candidate=False))
    return out


def _takewhile_upper(run: list[RawBlock]) -> list[RawBlock]:
    out = []
    for b in run:
        letters = [c for c in b.text if c.isalpha()]
        if len(letters) < 4 or not all(c.isupper() for c in letters):
            break
        out.append(b)
    return out


def _drop_heading_echoes(blocks: list[RawBlock]) -> list[RawBlock]:
    """A slide title extracted once as text and once as the heading ("Hvordan ble veilederen
    til?" just before "# Hvordan ble veilederen til?") is said once, as the heading."""
    headings = {norm(b.text) for b in blocks if b.kind == "heading"}
    return [b for b in blocks if b.kind == "heading" or not b.alone or norm(b.text) not in headings]


def _drop_dangling_labels(blocks: list[RawBlock]) -> list[RawBlock]:
    """ "Kontaktinformasjon: / Helsedirektoratet: / KS:" whose contents (links, images) were
    lost in the extract: a short label ending in a colon with nothing after it."""
    out: list[RawBlock] = []
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


def _merge_broken_paragraphs(blocks: list[RawBlock]) -> list[RawBlock]:
    """PDF extracts break sentences across blank lines and pages: a paragraph or list item
    that stops mid-sentence is joined with a following paragraph that starts in lower case."""
    out: list[RawBlock] = []
    for b in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind in ("paragraph", "item")
            and b.kind == "paragraph"
            and not prev.text.endswith(SENTENCE_END + (":",))
            and _continues_sentence(b.text)
        ):
            out[-1] = replace(
                prev, text=f"{prev.text} {b.text}", lines=prev.lines + b.lines, alone=False
            )
            continue
        out.append(b)
    return out


def _continues_sentence(text: str) -> bool:
    """Starts in lower case with a word, not a web address."""
    return bool(re.match(r"[a-zæøåäöü]", text)) and not re.match(r"(?:https?://|www\.)", text)


def to_blocks(raws: list[RawBlock]) -> list[Block]:
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
