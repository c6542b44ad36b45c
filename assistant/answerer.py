"""The extractive answerer: picks the sentences that answer the question from the top
passages, or refuses when the evidence does not cover the question.

Named steps:
- `with_named_section()` puts the chunk that opens the section a question names ("Hva er
  trinn 7?") among the passages read, wherever retrieval ranked it.
- `candidates()` measures every sentence (or table cell) of the top passages: the question's
  terms it shares (weighted by corpus idf and by how rare they are among the candidates;
  stemmed, compounds matched in part), phrase matches, the terms of its heading, whether it
  holds the kind of answer asked for (a number, a date, a name …), and the rank of its
  passage.
- The learned decision (assistant/decide.py) weighs these with the reader's margins; the
  answer step (assistant/extract.py) refuses or composes the answer (assistant/compose.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.answer_types import (
    content_stems,
    fits_type,
    phrased_as_asked,
)
from assistant.questions import QuestionAnalysis
from lhl.lexicon import one_letter_off
from lhl.records import Chunk, Passage
from lhl.text import normalize, opens_with, sentences

PASSAGES_CONSIDERED = 5
DEFAULT_IDF = 3.0  # a question term the index has never seen: rare, so it counts
PARTIAL_MATCH = 0.6  # credit for a question term found only inside a compound
LOCAL_FLOOR = 0.5  # added to a term's idf among the candidate sentences
TYPO_MIN = 6  # a question term this long also matches a word one letter off


@dataclass(frozen=True, slots=True)
class Features:
    """What is measured of one candidate sentence."""

    own: float  # weighted share of the question's terms in the sentence
    residual: float  # weighted share of the terms the heading and title do not already hold
    plain: float  # unweighted share of the question's terms in the sentence
    bigram: float  # share of the question's adjacent term pairs found as a phrase
    figures: float  # share of the question's years and numbers found in the sentence
    context: float  # weighted share in the section heading and title
    rank: float  # retrieval rank of the passage (0 = first)
    type_evidence: float  # TYPE_EVIDENCE for holding, or lacking, the asked-for kind
    opening: float  # 1 for a document's first sentence (an encyclopedia's catch-all definition)
    defines: float  # 1 when it opens with the term a "hva er X?" asks about ("• X: …")
    heading: float  # 1 for the first sentence under a heading that opens with what the
    # question names ("Hva er fase 3?" → "Fase 3 Implementering og gjennomføring")
    cue: float  # 1 when it is phrased the way the question's verb asks ("sitter i" → "består av")
    too_long: float  # characters beyond 250, / 100
    too_short: float  # 1 when under 25 characters
    reader: float = 0.0  # the reader's margin for this unit over "no answer" (0 without it)


# How much holding (or lacking) the asked-for kind of answer says about a sentence, per
# question type: log-likelihood ratios of answer sentences vs other candidate sentences,
# measured on NorQuAD validation and our known facts (a missing number all but rules a
# sentence out for "hvor mange"; a capitalised word says little in news text full of names).
TYPE_EVIDENCE: dict[str, tuple[float, float]] = {
    "antall": (0.3, 2.6),
    "dato": (0.6, 1.7),
    "definisjon": (0.8, 0.3),
    "hvem": (0.2, 0.9),
    "hvor": (0.2, 0.8),
    "hvordan": (0.1, 0.1),
    "hvorfor": (0.9, 1.1),
    "liste": (0.0, 0.5),
    "navn": (0.2, 0.5),
}


@dataclass
class Candidate:
    passage_index: int
    sentence_index: int
    text: str  # the sentence (or table cell) as it stands in the passage
    score: float
    coverage: float  # idf share of question terms in the sentence, its neighbours and heading
    fits_type: bool = False
    features: Features | None = None
    lead: str | None = None  # the table row's first cell, shown before a later cell
    shown: str | None = None  # what the answer shows, when not the text (a table row)

    @property
    def answer_text(self) -> str:
        if self.shown:
            return self.shown
        return f"{self.lead}; {self.text}" if self.lead else self.text


@dataclass(frozen=True, slots=True)
class Unit:
    """What an answer is cut from: a sentence, or one cell of a table row with the row's
    first cell as its lead ("Navn: Nettverk for …; Når: Fra januar 2022")."""

    text: str
    lead: str | None = None


_TABLE_ROW = re.compile(r"^[^:;\n]{1,80}: [^\n]+; [^:;\n]{1,80}: [^\n]+$")


def units(text: str) -> list[Unit]:
    """A passage's answer units. The loader renders a table row as "Header: cell; …", so a
    row is split at its cells rather than at full stops inside them."""
    if _TABLE_ROW.match(text.strip()):
        cells = [c.strip() for c in text.strip().rstrip(".").split("; ") if c.strip()]
        return [Unit(cells[0])] + [Unit(c, cells[0]) for c in cells[1:]]
    return [Unit(s) for s in sentences(text)]


# -- scoring ---------------------------------------------------------------------------------
def match_term(term: str, stems: set[str], stem_list: Sequence[str]) -> float:
    """1 for the term itself (also written with or without a hyphen: "webinarrekka" ~
    "webinar-rekke"), `partial` for the term inside a compound (or the other way round:
    "tiltakspakken" ~ "pakke") or one letter off (a typo, a nynorsk form: "målgrupen",
    "tettstader"), 0 otherwise."""
    if term in stems:
        return 1.0
    if len(term) >= 4:
        for s in stem_list:
            if "-" in s and s.replace("-", "") == term:
                return 1.0
        for s in stem_list:
            if len(s) >= 4 and (term in s or (len(s) >= 5 and s in term)):
                return PARTIAL_MATCH
        if len(term) >= TYPO_MIN and one_letter_off(term, stem_list):
            return PARTIAL_MATCH
    return 0.0


def _matches(terms: Sequence[str], stems: set[str], stem_list: Sequence[str]) -> dict[str, float]:
    out = {}
    for t in terms:
        v = match_term(t, stems, stem_list)
        if v:
            out[t] = v
    return out


def _residual_share(
    weights: Mapping[str, float], found: Mapping[str, float], context: Mapping[str, float]
) -> float:
    rest = {t: w for t, w in weights.items() if context.get(t, 0.0) < 1.0}
    total = sum(rest.values())
    return sum(w * found.get(t, 0.0) for t, w in rest.items()) / total if total else 0.0


def _figure_share(q: QuestionAnalysis, text: str) -> float:
    figures = q.years + q.numbers
    if not figures:
        return 0.0
    return sum(q.states(text, f) for f in figures) / len(figures)


def named_heading(q: QuestionAnalysis, headings: Sequence[str]) -> str | None:
    """The heading that opens with what the question names ("Fase 3 Implementering og
    gjennomføring (2021–2023)" for "Hva er fase 3?"), if any."""
    return next((h for h in headings if opens_with(q.named, h)), None)


def _section_opener(q: QuestionAnalysis, passages: Sequence[Passage]) -> int | None:
    """Which passage opens the section the question names: of the best-ranked passage whose
    own heading opens with the name, the earliest chunk of that same section (a later chunk
    answers less; another section under the same heading, "Trinn 2 › Hjelpespørsmål" for
    "Trinn 5 › Hjelpespørsmål", not at all)."""
    named = [i for i, p in enumerate(passages) if named_heading(q, [p.chunk.own_heading])]
    if not named:
        return None
    first = passages[named[0]].chunk
    same = [
        i
        for i in named
        if (passages[i].chunk.doc_id, passages[i].chunk.section) == (first.doc_id, first.section)
    ]
    return min(same, key=lambda i: passages[i].chunk.position)


class SectionIndex(Protocol):
    """What `with_named_section` asks of the index (lhl.store.Index)."""

    def sections_opening_with(self, head: Sequence[str]) -> list[Chunk]:
        """The chunks whose own heading opens with the terms `head`, in index order."""
        ...


def with_named_section(
    index: SectionIndex, q: QuestionAnalysis, passages: list[Passage]
) -> list[Passage]:
    """A question that names a section ("Hva er trinn 7 i veilederen?") gets the chunk that
    opens that section among the passages the answerer reads, wherever retrieval ranked it.
    The section is the one in the top passage's document (the best-ranked of them when it
    has several under that heading, none when none of those was retrieved), or the only one
    in the corpus."""
    openers: dict[tuple[str, str], Chunk] = {}
    for c in index.sections_opening_with(q.named):
        openers.setdefault((c.doc_id, c.section), c)  # index order: the first one opens
    if not openers or not passages:
        return passages
    rank = {(p.chunk.doc_id, p.chunk.section): i for i, p in reversed(list(enumerate(passages)))}
    in_top = [key for key in openers if key[0] == passages[0].chunk.doc_id]
    if len(in_top) > 1:
        in_top = sorted((k for k in in_top if k in rank), key=rank.__getitem__)[:1]
    keys = in_top or (list(openers) if len(openers) == 1 else [])
    if not keys:
        return passages
    pick = openers[keys[0]]
    slot = PASSAGES_CONSIDERED - 1
    if any(p.chunk.id == pick.id for p in passages[: slot + 1]):
        return passages
    rest = [p for p in passages if p.chunk.id != pick.id]
    shown = Passage(pick, rest[min(slot, len(rest) - 1)].score if rest else 1.0)
    return [*rest[:slot], shown, *rest[slot:]]


def _bigram_share(q: QuestionAnalysis, stem_list: Sequence[str]) -> float:
    if not q.bigrams:
        return 0.0
    pairs = set(zip(stem_list, stem_list[1:], strict=False))
    return sum(b in pairs for b in q.bigrams) / len(q.bigrams)


def candidates(
    q: QuestionAnalysis,
    passages: Sequence[Passage],
    idf: Mapping[str, float],
    margins: Sequence[Sequence[float]] | None = None,
) -> list[Candidate]:
    """Every sentence of the top passages in passage order, with its features (`score` is
    set by the decision, assistant/decide.py). `margins` are the reader's margins per
    passage and unit (assistant/reader.py), a feature beside the lexical ones.

    A term's weight is its corpus idf times its idf among the candidate sentences: the
    article's topic ("Warholm" in every sentence) tells sentences apart less than the word
    only one sentence shares with the question ("gjennombrudd")."""
    read = passages[:PASSAGES_CONSIDERED]
    found = _sentences(q, read)
    if not found:
        return []
    weights = _Weights.among(q, found, idf)
    contexts = {pi: _heading_matches(q, read[pi].chunk) for pi in {s.passage for s in found}}
    by_pos = {(s.passage, s.position): i for i, s in enumerate(found)}
    opener = _section_opener(q, read)
    out: list[Candidate] = []
    for s in found:
        u = s.unit
        fit = fits_type(q, u.text)
        features = _features(q, s, weights, contexts[s.passage], read, fit, opener, margins)
        neighbours = [by_pos.get((s.passage, sj)) for sj in (s.position - 1, s.position + 1)]
        near = [found[j].matches for j in neighbours if j is not None]
        coverage = weights.coverage(contexts[s.passage], [s.matches, *near])
        out.append(
            Candidate(s.passage, s.position, u.text, 0.0, coverage, fit is True, features, u.lead)
        )
    return out


@dataclass(frozen=True, slots=True)
class _Sentence:
    """A candidate before it is measured: where it stands and the question's terms it holds."""

    passage: int  # index among the passages read
    position: int  # index among its passage's units
    unit: Unit
    full: str  # the text with a table cell's lead before it
    stems: list[str]
    matches: dict[str, float]  # question term → match_term


def _sentences(q: QuestionAnalysis, read: Sequence[Passage]) -> list[_Sentence]:
    """The units of the passages read, in passage order; the same sentence in two
    overlapping chunks counts once."""
    found: list[_Sentence] = []
    seen: set[str] = set()
    for pi, passage in enumerate(read):
        for si, unit in enumerate(units(passage.chunk.text)):
            full = f"{unit.lead} {unit.text}" if unit.lead else unit.text
            key = normalize(full)
            if key in seen:
                continue
            seen.add(key)
            stems = content_stems(full)
            found.append(_Sentence(pi, si, unit, full, stems, _matches(q.terms, set(stems), stems)))
    return found


def _heading_matches(q: QuestionAnalysis, chunk: Chunk) -> dict[str, float]:
    """The question's terms in a passage's section heading and title."""
    stems = content_stems(f"{chunk.section} {chunk.title}")
    return _matches(q.terms, set(stems), stems)


@dataclass(frozen=True, slots=True)
class _Weights:
    """The question's terms weighted among the candidate sentences (see `candidates`)."""

    idf: Mapping[str, float]
    terms: dict[str, float]  # corpus idf × (LOCAL_FLOOR + idf among the candidates)
    total: float
    words: list[str]  # the terms coverage is of: its years and numbers are constraints apart
    corpus_total: float  # the words' corpus idf, summed
    n_terms: int

    @staticmethod
    def among(
        q: QuestionAnalysis, found: Sequence[_Sentence], idf: Mapping[str, float]
    ) -> _Weights:
        n = len(found)
        terms: dict[str, float] = {}
        for t in q.terms:
            df = sum(1 for s in found if s.matches.get(t))
            terms[t] = idf.get(t, DEFAULT_IDF) * (LOCAL_FLOOR + math.log((n + 1) / (df + 0.5)))
        words = [t for t in q.terms if not t[0].isdigit()]
        corpus_total = sum(idf.get(t, DEFAULT_IDF) for t in words) or 1.0
        return _Weights(
            idf, terms, sum(terms.values()) or 1.0, words, corpus_total, len(q.terms) or 1
        )

    def share(self, found: Mapping[str, float]) -> float:
        return sum(self.terms[t] * v for t, v in found.items()) / self.total

    def coverage(self, context: Mapping[str, float], near: Sequence[Mapping[str, float]]) -> float:
        """The words' idf share in the heading and the sentence with its neighbours (`near`)."""
        window = dict(context)
        for found in near:
            for t, v in found.items():
                window[t] = max(window.get(t, 0.0), v)
        return (
            sum(self.idf.get(t, DEFAULT_IDF) * window.get(t, 0.0) for t in self.words)
            / self.corpus_total
        )


def _features(
    q: QuestionAnalysis,
    s: _Sentence,
    weights: _Weights,
    context: Mapping[str, float],
    read: Sequence[Passage],
    fit: bool | None,
    opener: int | None,
    margins: Sequence[Sequence[float]] | None,
) -> Features:
    """What is measured of one sentence (Features)."""
    sent = s.unit.text
    bonus, penalty = TYPE_EVIDENCE.get(q.qtype, (0.0, 0.0))
    return Features(
        own=weights.share(s.matches),
        residual=_residual_share(weights.terms, s.matches, context),
        plain=sum(s.matches.values()) / weights.n_terms,
        bigram=_bigram_share(q, s.stems),
        figures=_figure_share(q, s.full),
        context=weights.share(context),
        rank=float(s.passage),
        type_evidence=0.0 if fit is None else (bonus if fit else -penalty),
        opening=float(s.position == 0 and read[s.passage].chunk.position == 0),
        defines=float(bool(q.defined) and opens_with(q.defined, s.full)),
        heading=float(s.position == 0 and s.passage == opener),
        cue=float(phrased_as_asked(q, s.full)),
        too_long=max(0, len(sent) - 250) / 100,
        too_short=float(len(sent) < 25),
        reader=_margin(margins, s.passage, s.position),
    )


def _margin(margins: Sequence[Sequence[float]] | None, pi: int, si: int) -> float:
    """The reader's margin for a unit over "no answer", clipped; a unit the reader did not
    see (cut off by its window) counts as a clear "no". (Its softmax probability instead
    was measured and lost 1–2 points.)"""
    if margins is None:
        return 0.0
    if pi >= len(margins) or si >= len(margins[pi]):
        return READER_FLOOR
    return max(READER_FLOOR, min(READER_CEILING, margins[pi][si]))


READER_FLOOR, READER_CEILING = -8.0, 8.0


__all__ = [
    "Candidate",
    "Features",
    "Unit",
    "candidates",
    "fits_type",
    "match_term",
    "named_heading",
    "with_named_section",
    "units",
]
