"""Training examples for the reader, from NorQuAD's training split.

Each question gives:
- a positive window: its passage's chunk (chunked exactly as `lhl ingest` chunks a NorQuAD
  article) that holds the answer, labelled with the answer unit and the answer span;
- hard negatives ("no answer"): another chunk of the same article that does not hold the
  answer, and the best BM25 chunk of another article, as retrieval would offer them.

A held-out slice of whole articles (none of them a validation passage) is kept apart for
choosing how the reader's score is used (training/heldout.py writes it as a NorQuAD-style
benchmark folder).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from assistant.answerer import units
from assistant.reader_model import passage_text
from eval.norquad import NorquadPassage, passage_file_text
from ingest.chunker import chunk_document
from ingest.loaders import load_text
from lhl.index_state import chunk_terms
from lhl.lexical import LexicalIndex
from lhl.records import Chunk, DocumentInfo
from lhl.text import terms

HELDOUT_PASSAGES = 50
SPLIT_SEED = 20261129  # the NorQuAD recipe's seed: every stage holds out the same articles


@dataclass(frozen=True)
class TrainQuestion:
    id: str
    question: str
    answer: str
    answer_start: int
    passage_id: str
    in_validation: bool
    answerable: bool = True
    source: str = "norquad"


@dataclass(frozen=True)
class Example:
    question: str
    heading: str
    units: tuple[str, ...]
    label: int  # answer unit, or -1 for "no answer"
    answer_span: tuple[int, int] | None  # characters in the reader's passage text


def load(data_dir: Path) -> tuple[dict[str, NorquadPassage], list[TrainQuestion]]:
    passages = {}
    for line in (data_dir / "train_passages.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        passages[d["id"]] = NorquadPassage(d["id"], d["title"], d["text"])
    questions = []
    for line in (data_dir / "train_questions.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        questions.append(
            TrainQuestion(
                d["id"],
                d["question"],
                d["answers"][0],
                d["answer_start"][0],
                d["passage_id"],
                bool(d.get("passage_in_validation")),
            )
        )
    return passages, questions


def split_heldout(
    questions: list[TrainQuestion], seed: int, n_passages: int = HELDOUT_PASSAGES
) -> tuple[list[TrainQuestion], list[TrainQuestion]]:
    """(train, held out): whole articles held out, none of them a validation passage."""
    candidates = sorted({q.passage_id for q in questions if not q.in_validation})
    held = set(random.Random(seed).sample(candidates, n_passages))
    return (
        [q for q in questions if q.passage_id not in held],
        [q for q in questions if q.passage_id in held],
    )


def chunk_passage(p: NorquadPassage) -> list[Chunk]:
    info = DocumentInfo(doc_id=p.id, title=p.title, source=f"corpus/{p.id}.txt")
    return chunk_document(info, load_text(passage_file_text(p)))


def _covers(p: NorquadPassage, unit: str, at: int) -> bool:
    """Whether the unit stands in the article at a place that covers offset `at`."""
    s = p.text.find(unit)
    while s >= 0:
        if s <= at < s + len(unit):
            return True
        s = p.text.find(unit, s + 1)
    return False


def _unit_texts(chunk: Chunk) -> tuple[str, ...]:
    return tuple(u.text for u in units(chunk.text))


def positive(
    q: TrainQuestion, p: NorquadPassage, chunks: list[Chunk]
) -> tuple[int, Example] | None:
    """The chunk and unit that hold the answer where the annotator marked it (else the first
    unit that holds the answer string), as a labelled window."""
    found: list[tuple[int, int, tuple[str, ...], int]] = []
    for ci, chunk in enumerate(chunks):
        unit_texts = _unit_texts(chunk)
        text, spans = passage_text(chunk.own_heading, unit_texts)
        for u, (a, b) in enumerate(spans):
            at = text.find(q.answer, a, b)
            if at >= 0:
                if _covers(p, unit_texts[u], q.answer_start):
                    found.insert(0, (ci, u, unit_texts, at))
                else:
                    found.append((ci, u, unit_texts, at))
    if not found:
        return None  # the answer crosses a unit boundary
    ci, u, unit_texts, at = found[0]
    span = (at, at + len(q.answer))
    return ci, Example(q.question, chunks[ci].own_heading, unit_texts, u, span)


def negative(q: TrainQuestion, chunk: Chunk) -> Example:
    return Example(q.question, chunk.own_heading, _unit_texts(chunk), -1, None)


def _closest(question: str, chunks: list[Chunk]) -> Chunk:
    """The chunk sharing most of the question's terms."""
    wanted = set(terms(question))
    return max(chunks, key=lambda c: len(wanted & set(terms(c.text))))


def build_examples(
    passages: dict[str, NorquadPassage], questions: list[TrainQuestion], seed: int
) -> tuple[list[Example], list[Example], dict[str, int]]:
    """(positives, negatives, counts)."""
    rng = random.Random(seed)
    chunks_of = {pid: chunk_passage(p) for pid, p in passages.items()}
    flat = [(pid, c) for pid, cs in chunks_of.items() for c in cs]
    lexical = LexicalIndex([chunk_terms(c) for _, c in flat])
    pos: list[Example] = []
    neg: list[Example] = []
    counts: dict[str, int] = defaultdict(int)
    for q in questions:
        chunks = chunks_of[q.passage_id]
        if not q.answerable:
            # Written to look answerable from its own passage: that passage says "no answer".
            if chunks:
                neg.append(negative(q, _closest(q.question, chunks)))
                counts["negative_unanswerable"] += 1
            continue
        located = positive(q, passages[q.passage_id], chunks)
        if located is None:
            counts["no_positive"] += 1
            continue
        i, ex = located
        pos.append(ex)
        same = [c for j, c in enumerate(chunks) if j != i and q.answer not in c.text]
        if same:
            neg.append(negative(q, rng.choice(same)))
            counts["negative_same_article"] += 1
        for hit, _ in lexical.search(q.question, 5):
            pid, c = flat[hit]
            if pid != q.passage_id and q.answer not in c.text:
                neg.append(negative(q, c))
                counts["negative_retrieved"] += 1
                break
    counts["positive"] = len(pos)
    return pos, neg, dict(counts)
