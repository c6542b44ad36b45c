"""The everyday questions about the corpus (training/everyday/*.jsonl, see its DATA_CARD.md)
as reader training windows, over the corpus chunked exactly as `lhl ingest` chunks it.

- An answerable question: the chunk that holds its evidence sentence, labelled with the unit
  that holds the evidence and the answer's span; and, as "no answer", the best BM25 chunk of
  the corpus that does not hold the evidence.
- An unanswerable near miss: the chunk with the sentence whose words it borrows, as
  "no answer": a passage that looks as if it answers and does not.

`held_out_doc` leaves one document's questions out (the document-held-out figure).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from assistant.answerer import units
from assistant.reader_model import passage_text
from ingest.chunker import chunk_document
from ingest.corpus import document_info, plan_documents
from ingest.loaders import first_heading, load_file
from lhl.index_state import chunk_terms
from lhl.lexical import LexicalIndex
from lhl.records import Chunk
from training.everyday_check import squash
from training.reader_data import Example

ROOT = Path(__file__).resolve().parent.parent
EVERYDAY_DIR = ROOT / "training" / "everyday"
CORPUS_DIR = ROOT / "corpus"
KNOWN_FACTS = ROOT / "eval" / "known_facts.jsonl"


@dataclass(frozen=True)
class EverydayQuestion:
    id: str
    doc: str
    question: str
    answerable: bool
    evidence: str
    answer: str | None
    kind: str


def load_questions(folder: Path = EVERYDAY_DIR) -> list[EverydayQuestion]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                rows.append(
                    EverydayQuestion(
                        d["id"],
                        d["doc"],
                        d["question"],
                        bool(d["answerable"]),
                        squash(d["evidence"]),
                        d.get("answer"),
                        d["kind"],
                    )
                )
    return rows


def corpus_chunks(corpus_dir: Path = CORPUS_DIR) -> list[Chunk]:
    """The corpus's chunks, as `lhl ingest` makes them."""
    out: list[Chunk] = []
    for doc in plan_documents(corpus_dir, []):
        blocks = load_file(doc.path)
        info = document_info(corpus_dir, doc.path, doc.entry, first_heading(blocks), doc.doc_id)
        out.extend(chunk_document(info, blocks))
    return out


def plain(text: str) -> str:
    """Text compared without markup, bullets, dashes, case or runs of white space: the
    sentence list is cut from the raw file, chunks from the parsed one."""
    return " ".join(re.sub(r"[*_#•·▪–—-]+", " ", text).lower().split())


def locate(doc: str, evidence: str, chunks: list[Chunk]) -> tuple[int, int] | None:
    """(chunk, unit) holding the evidence in the document; for a heading, the first unit
    under it (the answer step shows a section by its first sentence and its heading)."""
    want = plain(evidence)
    for ci, chunk in enumerate(chunks):
        if chunk.doc_id != doc or want[:40] not in plain(chunk.text):
            continue
        for ui, unit in enumerate(units(chunk.text)):
            have = plain(unit.text)
            if have and (want in have or have in want):
                return ci, ui
    for ci, chunk in enumerate(chunks):
        if chunk.doc_id == doc and want and want in plain(chunk.own_heading):
            return ci, 0
    # A table row or a list item is rendered otherwise in a chunk ("Navn: …; Når: …"): the
    # chunk holding (nearly) all of its words, and there the unit holding most of them.
    words = set(re.findall(r"\w+", want))
    best: tuple[float, int, int] | None = None
    for ci, chunk in enumerate(chunks):
        if chunk.doc_id != doc or not words:
            continue
        if len(words & set(re.findall(r"\w+", plain(chunk.text)))) < 0.9 * len(words):
            continue
        for ui, unit in enumerate(units(chunk.text)):
            share = len(words & set(re.findall(r"\w+", plain(unit.text)))) / len(words)
            if best is None or share > best[0]:
                best = (share, ci, ui)
    return (best[1], best[2]) if best is not None else None


def _example(q: EverydayQuestion, chunk: Chunk, label: int) -> Example:
    unit_texts = tuple(u.text for u in units(chunk.text))
    span = None
    if label >= 0 and q.answer:
        text, spans = passage_text(chunk.own_heading, unit_texts)
        a, b = spans[label]
        at = text.lower().find(q.answer.lower(), a, b)
        if at >= 0:
            span = (at, at + len(q.answer))
    return Example(q.question, chunk.own_heading, unit_texts, label, span)


def known_fact_units(chunks: list[Chunk], known_facts: Path = KNOWN_FACTS) -> set[tuple[int, int]]:
    """The (chunk, unit) places that hold a known fact's evidence, found as a training
    question's evidence is (`locate`), and every unit whose text holds a known fact's evidence
    whole. No training answer may sit there: the reader would learn the test's answers."""
    facts = [json.loads(line) for line in known_facts.read_text(encoding="utf-8").splitlines()]
    cited = [(str(f["doc"]), str(f["evidence"])) for f in facts if f.get("evidence")]
    places = {found for doc, ev in cited if (found := locate(doc, ev, chunks)) is not None}
    by_doc: dict[str, list[str]] = defaultdict(list)
    for doc, ev in cited:
        by_doc[doc].append(plain(ev))
    for ci, chunk in enumerate(chunks):
        for ui, unit in enumerate(units(chunk.text)):
            have = plain(unit.text)
            if any(ev and ev in have for ev in by_doc.get(chunk.doc_id, ())):
                places.add((ci, ui))
    return places


def build_examples(
    questions: list[EverydayQuestion], chunks: list[Chunk]
) -> tuple[list[Example], list[Example], dict[str, int]]:
    """(positives, negatives, counts). An answerable question whose answer unit holds a known
    fact's evidence is left out (`known_fact_units`)."""
    lexical = LexicalIndex([chunk_terms(c) for c in chunks])
    kept_out = known_fact_units(chunks)
    pos: list[Example] = []
    neg: list[Example] = []
    counts: dict[str, int] = defaultdict(int)
    for q in questions:
        found = locate(q.doc, q.evidence, chunks)
        if found is None:
            counts["not_located"] += 1
            continue
        ci, ui = found
        if q.answerable and found in kept_out:
            counts["known_fact_unit"] += 1
            continue
        if not q.answerable:
            neg.append(_example(q, chunks[ci], -1))
            counts["negative_near_miss"] += 1
            continue
        pos.append(_example(q, chunks[ci], ui))
        for hit, _ in lexical.search(q.question, 5):
            if hit != ci and plain(q.evidence)[:40] not in plain(chunks[hit].text):
                neg.append(_example(q, chunks[hit], -1))
                counts["negative_retrieved"] += 1
                break
    counts["positive"] = len(pos)
    return pos, neg, dict(counts)
