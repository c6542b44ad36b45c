"""The everyday training questions (training/everyday/): they pass their mechanical checks,
and the development set's facts are kept out of them."""

from __future__ import annotations

import json
from pathlib import Path

from training.everyday_check import EVERYDAY, check, documents
from training.everyday_data import corpus_chunks, load_questions, locate

KNOWN_FACTS = Path(__file__).resolve().parent.parent / "eval" / "known_facts.jsonl"


def test_the_committed_questions_pass_every_check() -> None:
    ok, problems, counts = check(sorted(EVERYDAY.glob("*.jsonl")))
    assert problems == []
    assert ok >= 1500 and counts["unanswerable"] >= 400


def test_no_training_question_cites_a_sentence_a_known_fact_cites() -> None:
    docs = documents()
    facts = [json.loads(line) for line in KNOWN_FACTS.read_text(encoding="utf-8").splitlines()]
    cited = {
        (f["doc"], s)
        for f in facts
        if f.get("evidence")
        for s in docs[f["doc"]].sentences
        if f["evidence"].lower() in s.lower()
    }
    for q in load_questions():
        sentence = next(s for s in docs[q.doc].sentences if q.evidence in s)
        assert (q.doc, sentence) not in cited, q.id


def test_nearly_every_question_is_found_in_a_chunk_as_ingest_makes_them() -> None:
    """The rest cite lines the loader leaves out (a title page, a legend's symbols)."""
    chunks = corpus_chunks()
    questions = load_questions()
    missing = [q.id for q in questions if locate(q.doc, q.evidence, chunks) is None]
    assert len(missing) <= 0.02 * len(questions), missing
