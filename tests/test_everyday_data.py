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


def test_no_training_answer_sits_where_a_known_fact_answers() -> None:
    """The reader learns to point at units: a table row or a heading's first sentence can hold a
    known fact's evidence though no sentence check sees it. build_examples leaves those out."""
    from training.everyday_data import build_examples, known_fact_units, plain

    chunks = corpus_chunks()
    facts = [json.loads(line) for line in KNOWN_FACTS.read_text(encoding="utf-8").splitlines()]
    evidence = {(f["doc"], plain(f["evidence"])) for f in facts if f.get("evidence")}
    kept_out = known_fact_units(chunks)
    answerable = [q for q in load_questions() if q.answerable]
    at_known = [q for q in answerable if locate(q.doc, q.evidence, chunks) in kept_out]
    assert at_known  # the check has something to do: such questions are in the files
    pos, _, counts = build_examples(answerable, chunks)
    assert counts["known_fact_unit"] == len(at_known)
    docs = {q.question: q.doc for q in answerable}
    for example in pos:
        unit = plain(example.units[example.label])
        doc = docs[example.question]
        assert not any(d == doc and ev and ev in unit for d, ev in evidence), example.question
