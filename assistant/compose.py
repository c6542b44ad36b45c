"""Composing the answer from the ranked candidates (assistant/answerer.py): the best sentence,
its neighbour when it leans on it, runners-up that score nearly as well, a table row as a
row, a list as a list, and the heading that names what was asked in front.

Thresholds were tuned on NorQuAD validation and our known facts, never on the NorQuAD test
split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from assistant.answer_types import ANAPHORIC_START, PRONOUN_START, content_stems, fits_type
from assistant.answerer import Candidate, Unit, match_term, named_heading, units
from assistant.questions import QuestionAnalysis
from lhl import messages
from lhl.records import Answer, Citation, Passage
from lhl.text import BULLET, normalize

# The answer: the best sentence, maybe a neighbour it leans on, and runners-up.
MAX_ANSWER_CHARS = 400  # two sentences together
SHORT_ANSWER_CHARS = 300  # a third sentence only while the answer stays this short
MAX_SENTENCES = 3
SHORT_SENTENCE = 60  # shorter than this, a best sentence gets its successor
SECOND_MARGIN = 1.0  # a runner-up of the same document within this of the best is shown
OTHER_DOCUMENT_MARGIN = 0.7  # … and one from another document only within this
RUNNERS_UP = 3  # how far down the ranking runners-up may come from
LIST_ITEM_CHARS = 100  # a list of items no longer than this answers "hvilke" as a whole
# Kinds of answer a sentence plainly holds or lacks (a name, a number, a date, a place); the
# cues for a definition, a reason or a list are too loose to turn a runner-up away.
CLEAR_KINDS = ("hvem", "navn", "antall", "dato", "hvor")
MIN_NEW_STEMS = 2  # a runner-up says at least this many content words the question does not
WHOLE_LIST_CHARS = 900  # a list (with its introduction) up to this long is shown whole


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
    """The answer sentences (see `choose`) before a heading goes in front of them."""
    best = ranked[0]
    around = units(passages[best.passage_index].chunk.text)
    if len(around) > 1 and around[1].lead is not None:
        return [_row_answer(q, best, ranked, around)]
    sents = [u.text for u in around]
    items = _introduced_list(sents, best.sentence_index)
    if items is None and q.qtype == "liste":
        items = _list_around(sents, best.sentence_index)
    if items is not None:
        return [replace(best, sentence_index=items.start, shown=" ".join(sents[items]))]
    extra = _leaned_on(q, best, around)
    chosen = [best]
    if extra is not None and len(best.answer_text) + len(extra.answer_text) <= MAX_ANSWER_CHARS:
        chosen.append(extra)
    lead = len(chosen)
    return _reading_order(_with_runners_up(q, passages, ranked, chosen), lead)


def _leaned_on(q: QuestionAnalysis, best: Candidate, around: Sequence[Unit]) -> Candidate | None:
    """The neighbour the best sentence leans on (the three cases in `choose`), if any."""
    sents = [u.text for u in around]
    prev = best.sentence_index - 1
    nxt = best.sentence_index + 1
    if nxt < len(sents) and (best.text.endswith(":") or len(best.text) < SHORT_SENTENCE):
        i = nxt
    elif (
        prev >= 0
        and q.qtype in ("hvem", "navn")
        and PRONOUN_START.search(best.text)
        and (not best.fits_type)
    ):
        i = prev
    elif (
        nxt < len(sents)
        and not best.fits_type
        and ANAPHORIC_START.search(sents[nxt])
        and fits_type(q, sents[nxt]) is not False
    ):
        i = nxt
    else:
        return None
    return Candidate(
        best.passage_index, i, sents[i], best.score, best.coverage, lead=around[i].lead
    )


def _with_runners_up(
    q: QuestionAnalysis,
    passages: Sequence[Passage],
    ranked: Sequence[Candidate],
    chosen: list[Candidate],
) -> list[Candidate]:
    """`chosen` and the runners-up that score nearly as well, while the answer stays short."""
    best = ranked[0]
    chosen = list(chosen)
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
        if not _adds_an_answer(q, best, cand):
            continue
        limit = MAX_ANSWER_CHARS if len(chosen) == 1 else SHORT_ANSWER_CHARS
        if sum(len(c.answer_text) for c in chosen) + len(cand.answer_text) <= limit:
            chosen.append(cand)
    return chosen


def _adds_an_answer(q: QuestionAnalysis, best: Candidate, cand: Candidate) -> bool:
    """Whether a runner-up adds an answer, not merely the question's words ("• Faste møter i
    det regionale støtteapparatet" after the members of it): it must hold the asked-for kind
    of answer where the best one does, and say something beyond the question's own terms."""
    if q.qtype in CLEAR_KINDS and best.fits_type and fits_type(q, cand.text) is False:
        return False
    beyond = set(content_stems(cand.text)) - set(q.terms)
    return len(beyond) >= MIN_NEW_STEMS


def _is_item(sents: Sequence[str], j: int) -> bool:
    return 0 <= j < len(sents) and bool(BULLET.match(sents[j]))


def _introduced_list(sents: Sequence[str], i: int) -> slice | None:
    """The i-th unit and the list it introduces ("Kvalitetsreformen har fem innsatsområder:"
    then "1. Et aldersvennlig Norge", "2. …"), when the unit ends with a colon, at least two
    items follow, and all of it fits in WHOLE_LIST_CHARS. The list is the answer: one item
    alone would cut it."""
    if not sents[i].rstrip().endswith(":") or not _is_item(sents, i + 1):
        return None
    hi = i + 1
    while _is_item(sents, hi + 1):
        hi += 1
    if hi == i + 1 or len(" ".join(sents[i : hi + 1])) > WHOLE_LIST_CHARS:
        return None
    return slice(i, hi + 1)


def _list_around(sents: Sequence[str], i: int) -> slice | None:
    """The list the i-th unit is an item of ("1. Aldersvennlig samfunn", "2. …"), when it is
    one and the whole list fits in an answer: a list of short items, or one its introduction
    (the unit before, ending with a colon) and all its items fit in WHOLE_LIST_CHARS."""
    if not _is_item(sents, i):
        return None
    lo, hi = i, i
    while _is_item(sents, lo - 1):
        lo -= 1
    while _is_item(sents, hi + 1):
        hi += 1
    if hi == lo:
        return None
    whole = _introduced_list(sents, lo - 1) if lo > 0 else None
    if whole is not None:
        return whole
    run = sents[lo : hi + 1]
    if max(map(len, run)) > LIST_ITEM_CHARS or len(" ".join(run)) > MAX_ANSWER_CHARS:
        return None
    return slice(lo, hi + 1)


def _reading_order(chosen: list[Candidate], lead: int) -> list[Candidate]:
    """The best sentence first, with the neighbour it leans on (the first `lead` chosen) in
    reading order; then the runners-up of the best one's passage in reading order, then the
    others best first (one citation marker covers a passage's run)."""
    group = sorted(chosen[:lead], key=lambda c: c.sentence_index)
    rest = chosen[lead:]
    best = chosen[0].passage_index
    same = sorted((c for c in rest if c.passage_index == best), key=lambda c: c.sentence_index)
    return group + same + [c for c in rest if c.passage_index != best]


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


@dataclass(frozen=True)
class AnswerBase:
    """What every extractive Answer carries besides its text and citations."""

    question: str
    resolved_question: str | None
    question_type: str | None
    reader: bool
    confidence: float | None


def refusal(base: AnswerBase, related: Sequence[Passage], ranked: Sequence[Candidate]) -> Answer:
    """ "Not in the documents", with the nearest passages; each shows its sentence that came
    closest (the best-scored candidate from it), so a person can judge for themselves."""
    closest: dict[str, str] = {}
    for c in ranked:
        if c.passage_index < len(related):
            closest.setdefault(related[c.passage_index].chunk.id, c.text)
    citations = [
        Citation.from_passage(i, p, highlight=closest.get(p.chunk.id))
        for i, p in enumerate(related, 1)
    ]
    text = messages.NOT_FOUND if citations else messages.NOT_FOUND_NO_PASSAGES
    return Answer(answer=text, found=False, citations=citations, **asdict(base))


def answer(
    base: AnswerBase,
    chosen: Sequence[Candidate],
    best: Candidate,
    passages: Sequence[Passage],
    span: str | None = None,
) -> Answer:
    """The answer text with a marker [n] after each run of sentences from one passage, and
    the citations; a citation's highlight is the sentence that answers (the best one, where
    the passage holds it), and `span` the reader's answer within it."""
    citations: list[Citation] = []
    number: dict[int, int] = {}
    runs: list[tuple[int, list[str]]] = []
    for cand in chosen:
        if cand.passage_index not in number:
            number[cand.passage_index] = len(citations) + 1
            is_best = cand.passage_index == best.passage_index
            citations.append(
                Citation.from_passage(
                    number[cand.passage_index],
                    passages[cand.passage_index],
                    highlight=best.text if is_best else cand.text,
                    span=span if is_best else None,
                )
            )
        n = number[cand.passage_index]
        if runs and runs[-1][0] == n:
            runs[-1][1].append(cand.answer_text)
        else:
            runs.append((n, [cand.answer_text]))
    text = " ".join(_with_marker(" ".join(run), n) for n, run in runs)
    return Answer(answer=text, found=True, citations=citations, **asdict(base))


def _with_marker(text: str, n: int) -> str:
    """ "… i 2022." → "… i 2022 [1]." """
    text = text.rstrip()
    if text.endswith((".", "!", "?")):
        return f"{text[:-1]} [{n}]{text[-1]}"
    return f"{text} [{n}]"
