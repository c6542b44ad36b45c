"""Small typed records that cross module boundaries: ingest → index → assistant → api/eval."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What is known of one source document (from corpus/manifest.json or the file itself)."""

    doc_id: str
    title: str
    source: str  # path relative to the corpus folder's parent, e.g. "corpus/x.txt"
    publisher: str | None = None
    doc_type: str | None = None
    date: str | None = None
    source_url: str | None = None
    licence: str | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """A structural unit read from a file: a heading, a paragraph, a list item or a table row.

    Provenance (page) is set by the loader at parse time and never reconstructed later.
    """

    kind: Literal["heading", "paragraph", "item", "table_row"]
    text: str
    page: int | None = None
    level: int = 0  # heading level; 0 for other blocks
    header: tuple[str, ...] = ()  # column headers, for table rows


SECTION_SEP = " › "  # between the headings of a chunk's section path


@dataclass(frozen=True, slots=True)
class Chunk:
    id: str
    doc_id: str
    title: str
    source: str
    section: str
    page: int | None
    position: int
    text: str

    @property
    def headings(self) -> list[str]:
        """The section path's headings, outermost first."""
        return self.section.split(SECTION_SEP)

    @property
    def own_heading(self) -> str:
        """The heading the chunk stands directly under (the last of its section path)."""
        return self.headings[-1]

    def index_text(self) -> str:
        """The text that is embedded and lexically indexed: section title gives context."""
        if self.section and self.section not in self.text:
            return f"{self.section}\n{self.text}"
        return self.text

    def metadata(self) -> dict[str, Any]:
        meta = {k: v for k, v in asdict(self).items() if k not in {"id", "text"}}
        return {k: v for k, v in meta.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk with its fused score and the ranks it had in each retriever."""

    chunk: Chunk
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None


@dataclass(slots=True)
class Citation:
    n: int
    doc_id: str
    title: str
    source: str
    page: int | None
    section: str
    text: str
    score: float
    chunk_id: str
    highlight: str | None = None  # the sentence of `text` that the answer came from
    span: str | None = None  # the reader's answer within `highlight`

    @classmethod
    def from_passage(
        cls, n: int, passage: Passage, highlight: str | None = None, span: str | None = None
    ) -> Citation:
        c = passage.chunk
        return cls(
            n=n,
            doc_id=c.doc_id,
            title=c.title,
            source=c.source,
            page=c.page,
            section=c.section,
            text=c.text,
            score=round(passage.score, 4),
            chunk_id=c.id,
            highlight=highlight,
            span=span,
        )


Mode = Literal["extractive", "generative"]
# grounded: the model's answer as it came; trimmed: its unsupported sentences dropped;
# rejected: it failed the check, so the extractive answer is shown; unavailable: the model
# gave no usable reply in time; not_found: the model found no answer in the passages.
GroundingVerdict = Literal["grounded", "trimmed", "rejected", "unavailable", "not_found"]
GROUNDING_VERDICTS: tuple[GroundingVerdict, ...] = (
    "grounded",
    "trimmed",
    "rejected",
    "unavailable",
    "not_found",
)


@dataclass(slots=True)
class Grounding:
    """How a generated answer fared against its passages (generative mode only)."""

    verdict: GroundingVerdict
    fallback: bool  # the answer shown is the extractive one, not the model's
    # The kinds of check that failed (unsupported_number, unsupported_name, unsupported_date,
    # unknown_citation, uncited); what failed goes to the log, never to the reader.
    problems: list[str] = field(default_factory=list)
    dropped: int = 0  # the model's sentences not shown
    note: str | None = None  # for the reader, when the answer is not the model's as written


@dataclass(slots=True)
class Answer:
    question: str
    answer: str
    found: bool
    citations: list[Citation]
    mode: Mode = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    resolved_question: str | None = None  # the question as completed from history
    answer_id: str = ""
    question_type: str | None = None
    reader: bool = False  # whether the reader read the passages (else: lexical features alone)
    # The learned decision's probability that the answer's best sentence answers (for a
    # refusal: that the best sentence it turned down would have); None in generative mode.
    confidence: float | None = None
    grounding: Grounding | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str
