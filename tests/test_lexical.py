"""The lexical index that stops early (Tantivy's block-max WAND, then exact BM25 on what it
found) ranks exactly as a walk over every posting: same documents, same order, same scores."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from eval.questions import load_questions
from lhl import lexical
from lhl.index_state import read_state
from lhl.lexical import COMPOUND_WEIGHT, MAX_COMPOUNDS, MIN_PART, LexicalIndex
from lhl.settings import Settings
from lhl.text import terms

KNOWN_FACTS = Path(__file__).resolve().parent.parent / "eval" / "known_facts.jsonl"


_POSTINGS: dict[int, tuple[LexicalIndex, dict[str, list[tuple[int, int]]]]] = {}


def _postings(index: LexicalIndex) -> dict[str, list[tuple[int, int]]]:
    if id(index) not in _POSTINGS or _POSTINGS[id(index)][0] is not index:
        postings: dict[str, list[tuple[int, int]]] = {}
        for i in range(index.size):
            rows = slice(index._indptr[i], index._indptr[i + 1])
            for tid, tf in zip(index._doc_term[rows], index._doc_tf[rows], strict=True):
                postings.setdefault(index._names[tid], []).append((i, int(tf)))
        _POSTINGS[id(index)] = (index, postings)
    return _POSTINGS[id(index)][1]


def walk_every_posting(index: LexicalIndex, query: str, k: int) -> list[tuple[int, float]]:
    """The ranking before the index stopped early (lhl/lexical.py at main 4c4b394): every
    posting of every term a query term stands for, scored one term at a time."""
    postings = _postings(index)
    norm = index.k1 * (1 - index.b + index.b * np.asarray(index.lengths, float) / index.avg_len)
    scores = np.zeros(index.size)
    found = np.zeros(index.size, dtype=bool)
    for qterm in dict.fromkeys(terms(query)):
        best = np.zeros(index.size)
        for term, weight in index.expand(qterm):
            idf = index.idf[term] * weight
            docs = np.array([d for d, _ in postings[term]], np.int32)
            tf = np.array([t for _, t in postings[term]], np.int32)
            s = idf * tf * (index.k1 + 1) / (tf + norm[docs])
            best[docs] = np.maximum(best[docs], s)
        hit = best > 0.0
        scores[hit] += best[hit]
        found |= hit
    hits = np.flatnonzero(found)
    if len(hits) > k > 0:
        kth = np.partition(scores[hits], len(hits) - k)[len(hits) - k]
        hits = hits[scores[hits] >= kth]
    order = np.lexsort((hits, -scores[hits]))[:k]
    return [(int(hits[i]), float(scores[hits[i]])) for i in order]


def scan_expand(index: LexicalIndex, term: str) -> list[tuple[str, float]]:
    """Compound expansion as it was: a scan of the whole vocabulary for an unknown term."""
    if term in index.term_id:
        return index.expand(term)
    if term[0].isdigit() or len(term) < MIN_PART:
        return []
    ending = [t for t in index.term_id if t.endswith(term) and len(t) - len(term) >= MIN_PART - 1]
    if ending:
        ending.sort(key=lambda t: -index.df[t])
        return [(c, COMPOUND_WEIGHT) for c in ending[:MAX_COMPOUNDS]]
    return [(p, COMPOUND_WEIGHT) for p in index.parts(term)]


# A vocabulary with compounds, heads and inflections, common words and rare ones: documents
# drawn from it with Zipf-like weights rank with many near ties, the hard case for a bound.
_WORDS = (
    "kommune kommunen kommunene fylkeskommune vertskommune plan planer handlingsplan "
    "planarbeid evaluering følgeevaluering reform reformen eldre eldreomsorg omsorg "
    "omsorgstjeneste tjeneste tjenester frivillig frivillighet aktivitet aktiviteter "
    "møteplass møteplasser mat måltid helse helsehjelp sammenheng tiltak tiltakspakke pakke "
    "nettverk nettverket støtteapparat støtteapparatet regional regionale nasjonal 2022 2023 "
    "rapport årsrapport veileder veilederen senter senteret aldersvennlig samfunn lokalsamfunn"
).split()


def _corpus(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    weights = [1 / (r + 1) for r in range(len(_WORDS))]
    texts = [" ".join(rng.choices(_WORDS, weights, k=rng.randint(3, 40))) for _ in range(n)]
    texts += texts[: n // 10]  # exact copies: equal scores, ranked by position
    return [terms(t) for t in texts]


_QUERIES = [
    "kommunene",
    "planer for eldreomsorgen",
    "evaluering av reformen",
    "tiltakspakken",
    "frivillige møteplasser og måltider i kommunen",
    "Hva gjør støtteapparatet regionalt og nasjonalt i 2022?",
    "omsorgstjenestene helsehjelpen sammenhengen",
    "lokalsamfunnets aldersvennlige senter",
    "ordet finnes ikke",
    "",
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_same_ranking_as_a_walk_over_every_posting(seed: int) -> None:
    index = LexicalIndex(_corpus(600, seed))
    for query in _QUERIES:
        for k in (1, 5, 10, 30, 100, 2000):
            assert index.search(query, k) == walk_every_posting(index, query, k), (query, k)


def test_asking_tantivy_again_when_its_first_answer_is_not_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no spare documents the bound rarely holds at first: deeper asks, same ranking."""
    monkeypatch.setattr(lexical, "SPARE", 1)
    asked: list[int] = []
    index = LexicalIndex(_corpus(800, 4))
    search = index._engine.search

    def counted(query: object, limit: int) -> tuple[np.ndarray, list[float]]:
        asked.append(limit)
        return search(query, limit)  # type: ignore[arg-type]

    monkeypatch.setattr(index._engine, "search", counted)
    for query in _QUERIES:
        for k in (3, 30):
            assert index.search(query, k) == walk_every_posting(index, query, k)
    assert len(asked) > len(set(asked))  # some were asked again, deeper


def test_positions_from_the_stored_field_when_segments_are_not_in_order() -> None:
    index = LexicalIndex(_corpus(300, 5))
    expected = {q: index.search(q, 20) for q in _QUERIES}
    index._engine.in_order = False
    assert {q: index.search(q, 20) for q in _QUERIES} == expected


def test_other_bm25_parameters_score_every_match() -> None:
    """Tantivy's bound holds for its own k1 and b only; other ones still rank exactly."""
    index = LexicalIndex(_corpus(300, 6), k1=2.0, b=0.3)
    assert index._exhaustive
    for query in _QUERIES:
        assert index.search(query, 10) == walk_every_posting(index, query, 10)


def test_terms_tantivy_would_not_keep_whole_score_every_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lexical, "MAX_TERM_BYTES", 100)
    for odd in ("a b", "x" * 101):  # split in two by Tantivy; dropped by it
        docs = [["kommun", "plan"], [odd, "plan", "plan"], ["plan"]]
        index = LexicalIndex(docs)
        assert index._exhaustive
        assert index.search("planer", 3) == walk_every_posting(index, "planer", 3)


def test_small_and_empty_indexes() -> None:
    assert LexicalIndex([]).search("kommunene", 5) == []
    index = LexicalIndex([terms("Kommunene planlegger."), [], terms("Kommunene.")])
    assert index.search("kommune", 10) == walk_every_posting(index, "kommune", 10)
    assert [d for d, _ in index.search("kommune", 10)] == [2, 0]
    assert index.search("kommune", 0) == []


def test_unknown_compounds_expand_as_a_vocabulary_scan_would() -> None:
    index = LexicalIndex(_corpus(400, 7))
    vocabulary = list(index.term_id)
    probes = {t[cut:] for t in vocabulary for cut in range(1, len(t))}
    probes |= {"tiltakspakk", "kommunikasjonsgrupp", "eldreplan", "xyz", "12"}
    for term in sorted(probes):
        assert index.expand(term) == scan_expand(index, term), term


def test_known_facts_rank_as_before(hash_index: Settings) -> None:
    state = read_state(hash_index.index_dir)
    assert state is not None
    index = LexicalIndex(state.chunk_terms)
    for q in load_questions(KNOWN_FACTS):
        assert index.search(q.question, 30) == walk_every_posting(index, q.question, 30), q.id
