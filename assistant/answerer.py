"""The extractive answerer: picks the sentences that answer the question from the top
passages, or refuses when the evidence does not cover the question.

Named steps:
- `candidates()` scores every sentence (or table cell) of the top passages on a few
  features: the question's terms it shares (weighted by corpus idf and by how rare they are
  among the candidates; stemmed, compounds matched in part), phrase matches, the terms of its
  heading, whether it holds the kind of answer asked for (a number, a date, a name …), and
  the rank of its passage. `Weights` says how much each counts.
- `constrain()` and `refusal_reason()` (assistant/refusal.py) keep the candidates that meet
  the question's hard constraints, or refuse.
- `choose()` picks the answer: the best sentence, its neighbour when the best one leans on
  it, and runners-up that score nearly as well, while the answer stays short.

Weights and thresholds were tuned on NorQuAD validation and our known facts, never on the
NorQuAD test split (eval/norquad.py, scripts/norquad_eval.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from assistant.answer_types import (
    ANAPHORIC_START,
    PRONOUN_START,
    content_stems,
    fits_type,
    phrased_as_asked,
)
from assistant.questions import QuestionAnalysis
from lhl.records import Passage
from lhl.text import BULLET, normalize, opens_with, sentences

PASSAGES_CONSIDERED = 5
# The answer: the best sentence, maybe a neighbour it leans on, and runners-up.
MAX_ANSWER_CHARS = 400  # two sentences together
SHORT_ANSWER_CHARS = 300  # a third sentence only while the answer stays this short
MAX_SENTENCES = 3
SHORT_SENTENCE = 60  # shorter than this, a best sentence gets its successor
SECOND_MARGIN = 1.0  # a runner-up of the same document within this of the best is shown
OTHER_DOCUMENT_MARGIN = 0.7  # … and one from another document only within this
RUNNERS_UP = 3  # how far down the ranking runners-up may come from
LIST_ITEM_CHARS = 100  # a list of items no longer than this answers "hvilke" as a whole
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


@dataclass(frozen=True)
class Weights:
    """How much each feature counts in a sentence's score (coordinate search on NorQuAD
    validation and the known facts)."""

    own: float = 0.5
    residual: float = 0.6
    plain: float = 0.45
    bigram: float = 0.225
    figures: float = 0.2
    context: float = 0.525
    rank: float = -0.1
    type_evidence: float = 0.2
    opening: float = -0.4
    defines: float = 0.4
    heading: float = 3.0  # the section the question names answers it
    cue: float = 0.4
    too_long: float = -0.2
    too_short: float = -0.05

    def score(self, f: Features) -> float:
        return sum(getattr(self, name) * getattr(f, name) for name in Features.__slots__)


WEIGHTS = Weights()

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


def one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


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
        if len(term) >= TYPO_MIN:
            for s in stem_list:
                if abs(len(s) - len(term)) <= 1 and s[:2] == term[:2] and one_edit(s, term):
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


def _bigram_share(q: QuestionAnalysis, stem_list: Sequence[str]) -> float:
    if not q.bigrams:
        return 0.0
    pairs = set(zip(stem_list, stem_list[1:], strict=False))
    return sum(b in pairs for b in q.bigrams) / len(q.bigrams)


def candidates(
    q: QuestionAnalysis, passages: Sequence[Passage], idf: Mapping[str, float]
) -> list[Candidate]:
    """Every sentence of the top passages, best first.

    A term's weight is its corpus idf times its idf among the candidate sentences: the
    article's topic ("Warholm" in every sentence) tells sentences apart less than the word
    only one sentence shares with the question ("gjennombrudd")."""
    found: list[tuple[int, int, Unit, list[str]]] = []  # passage, position, unit, stems
    full_texts: list[str] = []
    seen: set[str] = set()
    for pi, passage in enumerate(passages[:PASSAGES_CONSIDERED]):
        for si, unit in enumerate(units(passage.chunk.text)):
            full = f"{unit.lead} {unit.text}" if unit.lead else unit.text
            key = normalize(full)
            if key in seen:  # the same sentence in two overlapping chunks counts once
                continue
            seen.add(key)
            found.append((pi, si, unit, content_stems(full)))
            full_texts.append(full)
    if not found:
        return []
    matches = [_matches(q.terms, set(u[3]), u[3]) for u in found]
    n = len(found)
    weights: dict[str, float] = {}
    for t in q.terms:
        df = sum(1 for m in matches if m.get(t))
        weights[t] = idf.get(t, DEFAULT_IDF) * (LOCAL_FLOOR + math.log((n + 1) / (df + 0.5)))
    total = sum(weights.values()) or 1.0
    # Coverage is of the question's words; its years and numbers are constraints of their own.
    words = [t for t in q.terms if not t[0].isdigit()]
    corpus_total = sum(idf.get(t, DEFAULT_IDF) for t in words) or 1.0
    n_terms = len(q.terms) or 1

    def share(m: Mapping[str, float]) -> float:
        return sum(weights[t] * v for t, v in m.items()) / total

    by_pos = {(u[0], u[1]): i for i, u in enumerate(found)}
    contexts: dict[int, dict[str, float]] = {}
    opener = _section_opener(q, passages[:PASSAGES_CONSIDERED])
    out: list[Candidate] = []
    for i, (pi, si, unit, stem_list) in enumerate(found):
        sent = unit.text
        if pi not in contexts:
            chunk = passages[pi].chunk
            ctx_stems = content_stems(f"{chunk.section} {chunk.title}")
            contexts[pi] = _matches(q.terms, set(ctx_stems), ctx_stems)
        neighbours = [by_pos.get((pi, sj)) for sj in (si - 1, si + 1)]
        fit = fits_type(q, sent)
        bonus, penalty = TYPE_EVIDENCE.get(q.qtype, (0.0, 0.0))
        features = Features(
            own=share(matches[i]),
            residual=_residual_share(weights, matches[i], contexts[pi]),
            plain=sum(matches[i].values()) / n_terms,
            bigram=_bigram_share(q, stem_list),
            figures=_figure_share(q, full_texts[i]),
            context=share(contexts[pi]),
            rank=float(pi),
            type_evidence=0.0 if fit is None else (bonus if fit else -penalty),
            opening=float(si == 0 and passages[pi].chunk.position == 0),
            defines=float(bool(q.defined) and opens_with(q.defined, full_texts[i])),
            heading=float(si == 0 and pi == opener),
            cue=float(phrased_as_asked(q, full_texts[i])),
            too_long=max(0, len(sent) - 250) / 100,
            too_short=float(len(sent) < 25),
        )
        window = dict(contexts[pi])
        for j in [i, *neighbours]:
            if j is not None:
                for t, v in matches[j].items():
                    window[t] = max(window.get(t, 0.0), v)
        coverage = sum(idf.get(t, DEFAULT_IDF) * window.get(t, 0.0) for t in words) / corpus_total
        out.append(
            Candidate(
                pi, si, sent, WEIGHTS.score(features), coverage, fit is True, features, unit.lead
            )
        )
    # On a tie a table cell shown with its row's first cell beats that first cell alone.
    out.sort(key=lambda c: (-c.score, c.lead is None))
    return out


# -- choosing the answer sentences ------------------------------------------------------------
def choose(
    q: QuestionAnalysis, passages: Sequence[Passage], ranked: Sequence[Candidate]
) -> list[Candidate]:
    """The answer sentences, in reading order. The best one, with
    - the next one when the best introduces it (ends with a colon, or is very short);
    - the previous one when the question asks who, and the best one's subject is a pronoun
      (the previous sentence names it);
    - the next one when it continues the best ("Dette skyldes …") and may hold the kind of
      answer the best one lacks;
    then runners-up that score nearly as well (two readings about as likely: showing both
    beats guessing), up to MAX_SENTENCES while the answer stays short. A table row answers
    as a row. In front of the best passage's sentences goes the heading that names what the
    question asks about ("Trinn 5 – Aktører og interesser"), or the passage's own heading when
    that, and not the best sentence, holds a year or number the question asks about ("Fase 1
    Forberedelse og oppstart (2019)" for "fase 1", "31. mai – Boligkonferansen …")."""
    chosen = _choose(q, passages, ranked)
    best = ranked[0]
    chunk = passages[best.passage_index].chunk
    heading = named_heading(q, chunk.headings)
    own = chunk.own_heading
    if heading is None and any(
        q.states(own, f) and not q.states(best.answer_text, f) for f in q.years + q.numbers
    ):
        heading = own
    if heading is None:
        return chosen
    heading = heading.strip("*_ ").rstrip(":. ")
    first = next(c for c in chosen if c.passage_index == best.passage_index)
    if normalize(heading) in normalize(first.answer_text):
        return chosen
    return [replace(c, shown=f"{heading}: {c.answer_text}") if c is first else c for c in chosen]


def _choose(
    q: QuestionAnalysis, passages: Sequence[Passage], ranked: Sequence[Candidate]
) -> list[Candidate]:
    best = ranked[0]
    around = units(passages[best.passage_index].chunk.text)
    if len(around) > 1 and around[1].lead is not None:
        return [_row_answer(q, best, ranked, around)]
    sents = [u.text for u in around]
    items = _list_around(sents, best.sentence_index) if q.qtype == "liste" else None
    if items is not None:
        return [replace(best, sentence_index=items.start, shown=" ".join(sents[items]))]
    prev = best.sentence_index - 1
    nxt = best.sentence_index + 1
    extra: Candidate | None = None

    def neighbour(i: int) -> Candidate:
        return Candidate(
            best.passage_index, i, sents[i], best.score, best.coverage, lead=around[i].lead
        )

    if nxt < len(sents) and (best.text.endswith(":") or len(best.text) < SHORT_SENTENCE):
        extra = neighbour(nxt)
    elif (
        prev >= 0
        and q.qtype in ("hvem", "navn")
        and PRONOUN_START.search(best.text)
        and (not best.fits_type)
    ):
        extra = neighbour(prev)
    elif (
        nxt < len(sents)
        and not best.fits_type
        and ANAPHORIC_START.search(sents[nxt])
        and fits_type(q, sents[nxt]) is not False
    ):
        extra = neighbour(nxt)
    chosen = [best]
    if extra is not None and len(best.answer_text) + len(extra.answer_text) <= MAX_ANSWER_CHARS:
        chosen.append(extra)
    best_doc = passages[best.passage_index].chunk.doc_id
    for cand in ranked[1 : RUNNERS_UP + 1]:
        if len(chosen) >= MAX_SENTENCES or cand.score < best.score - SECOND_MARGIN:
            break
        other_doc = passages[cand.passage_index].chunk.doc_id != best_doc
        if other_doc and cand.score < best.score - OTHER_DOCUMENT_MARGIN:
            continue
        if any(
            (c.passage_index, c.sentence_index) == (cand.passage_index, cand.sentence_index)
            for c in chosen
        ):
            continue
        if cand.text.rstrip().endswith((":", ";", ",")):
            continue  # an introduction to something not shown: no answer on its own
        limit = MAX_ANSWER_CHARS if len(chosen) == 1 else SHORT_ANSWER_CHARS
        if sum(len(c.answer_text) for c in chosen) + len(cand.answer_text) <= limit:
            chosen.append(cand)
    return _reading_order(chosen)


def _list_around(sents: Sequence[str], i: int) -> slice | None:
    """The list of short items the i-th unit belongs to ("1. Aldersvennlig samfunn", "2. …"),
    when it is one and the whole list fits in an answer."""

    def item(j: int) -> bool:
        return 0 <= j < len(sents) and bool(BULLET.match(sents[j]))

    if not item(i):
        return None
    lo, hi = i, i
    while item(lo - 1):
        lo -= 1
    while item(hi + 1):
        hi += 1
    run = sents[lo : hi + 1]
    if hi == lo or max(map(len, run)) > LIST_ITEM_CHARS or len(" ".join(run)) > MAX_ANSWER_CHARS:
        return None
    return slice(lo, hi + 1)


def _reading_order(chosen: list[Candidate]) -> list[Candidate]:
    """Sentences of one passage in the order they stand; passages in the order chosen."""
    first_seen: dict[int, int] = {}
    for i, c in enumerate(chosen):
        first_seen.setdefault(c.passage_index, i)
    return sorted(chosen, key=lambda c: (first_seen[c.passage_index], c.sentence_index))


def _row_answer(
    q: QuestionAnalysis, best: Candidate, ranked: Sequence[Candidate], cells: Sequence[Unit]
) -> Candidate:
    """A table row answers as a whole when it is short; a long one by its first cell and
    its two best cells, in row order ("Navn: …; Målgruppe: …; Når: …"). Every cell is
    scored with the first cell in front, so the best cells are those whose own text shares
    most of the question or holds the asked-for kind of answer (the ranking breaks ties)."""
    if sum(len(c.text) + 2 for c in cells) <= MAX_ANSWER_CHARS:
        keep = set(range(len(cells)))
    else:
        same_row = [c.sentence_index for c in ranked if c.passage_index == best.passage_index]

        def own_share(i: int) -> float:
            stems = content_stems(cells[i].text) if i < len(cells) else []
            fit = fits_type(q, cells[i].text) if i < len(cells) else None
            return sum(match_term(t, set(stems), stems) for t in q.terms) + float(fit is True)

        same_row.sort(key=lambda i: -own_share(i))  # stable: ties keep the ranking's order
        keep = {0, *[i for i in same_row if i != 0][:2]}
    return replace(best, shown="; ".join(cells[i].text for i in sorted(keep)) + ".")


__all__ = [
    "Candidate",
    "Features",
    "Unit",
    "WEIGHTS",
    "Weights",
    "candidates",
    "choose",
    "fits_type",
    "match_term",
    "one_edit",
    "units",
]
