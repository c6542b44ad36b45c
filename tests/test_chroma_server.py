"""Server mode: vectors in a real `chroma run` server on loopback (LHL_CHROMA_URL), the state
file and the lexical index beside it in LHL_INDEX_DIR, and the state published to the server
so that another host can serve."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings

from assistant.service import Assistant
from ingest.pipeline import run_ingest
from lhl.embeddings import HashEmbedder
from lhl.errors import IndexUnavailable
from lhl.harness import chroma_cli, free_port, run_chroma
from lhl.index_state import STATE_FILE, read_state
from lhl.settings import Settings
from lhl.store import Index
from lhl.vectors import VectorStore, collection_name

pytestmark = pytest.mark.server

PRIZE = "arsrapport-2022-kap-2-4-nasjonalt-stotteapparat-aktiviteter.txt"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if chroma_cli() is None:
        pytest.skip("the chroma CLI (from the chromadb package) is not installed")
    with run_chroma(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


def server_settings(tmp_path: Path, url: str) -> Settings:
    # A prefix of its own per test: the server is shared by the module.
    return make_settings(
        tmp_path, chroma_url=url, chroma_collection_prefix=f"t{tmp_path.name[-12:]}"
    )


def give_the_prize_to_vefsn(corpus: Path) -> None:
    path = corpus / PRIZE
    path.chmod(0o644)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("gikk til Melhus", "gikk til Vefsn"), encoding="utf-8")


def test_ingest_rerun_and_search_against_a_server(
    tmp_path: Path, corpus_copy: Path, chroma_url: str
) -> None:
    settings = server_settings(tmp_path, chroma_url)
    first = run_ingest(settings, HashEmbedder(), corpus_copy)
    assert first.embedded == first.chunks > 100

    # The state and the lexical index live beside, in the index folder; no local Chroma.
    assert (settings.index_dir / STATE_FILE).exists()
    assert not (settings.index_dir / "chroma").exists()
    state = read_state(settings.index_dir)
    assert state is not None

    # The vectors are in the server, visible to any other client of it.
    import chromadb

    host, port = chroma_url.removeprefix("http://").split(":")
    other = chromadb.HttpClient(host=host, port=int(port))
    collection = other.get_collection(collection_name(settings, HashEmbedder()))
    assert set(collection.get(include=[])["ids"]) == state.live_ids

    # Incremental: nothing changed, nothing embedded.
    embedder = HashEmbedder()
    again = run_ingest(settings, embedder, corpus_copy)
    assert again.embedded == 0 and embedder.calls == 0 and len(again.unchanged) == 5

    # A changed file: the new chunk is embedded, the old vector leaves the server.
    give_the_prize_to_vefsn(corpus_copy)
    changed = run_ingest(settings, HashEmbedder(), corpus_copy)
    assert changed.updated == [f"corpus/{PRIZE}"] and changed.embedded == 1
    state = read_state(settings.index_dir)
    assert state is not None
    assert set(collection.get(include=[])["ids"]) == state.live_ids

    # Serving: dense search through the server, lexical search from the state beside it.
    index = Index(settings, HashEmbedder())
    dense = index.dense_search("Leve hele livet-prisen Vefsn kommune", 3)
    assert "gikk til Vefsn kommune" in dense[0][0].text
    lexical = index.lexical_search("Vefsn kommune prisen", 3)
    assert "gikk til Vefsn kommune" in lexical[0][0].text


def test_another_host_serves_from_the_server_and_follows_a_new_ingest(
    tmp_path: Path, corpus_copy: Path, chroma_url: str
) -> None:
    ingesting = server_settings(tmp_path, chroma_url)
    run_ingest(ingesting, HashEmbedder(), corpus_copy)
    # A second host: same server and collection, an empty index folder of its own.
    serving = ingesting.model_copy(update={"index_dir": tmp_path / "host-b" / "index"})
    assistant = Assistant(serving, HashEmbedder())
    assistant.load()
    answer = assistant.ask("Hvilken kommune fikk Leve hele livet-prisen for 2022?")
    assert answer.found and "Melhus" in answer.answer
    assert read_state(serving.index_dir) == read_state(ingesting.index_dir)  # a local copy

    # A new ingest on the first host reaches the second at its next check.
    give_the_prize_to_vefsn(corpus_copy)
    run_ingest(ingesting, HashEmbedder(), corpus_copy)
    stale = assistant.index
    stale._next_check = 0.0  # the next check is due now, not in CHECK_INTERVAL_S
    deadline = time.monotonic() + 30  # it loads in the background; the old one answers meanwhile
    while assistant.index is stale and time.monotonic() < deadline:
        time.sleep(0.01)
    answer = assistant.ask("Hvilken kommune fikk Leve hele livet-prisen for 2022?")
    assert answer.found and "Vefsn" in answer.answer

    # An ingest from a third host with an empty folder is incremental too.
    third = ingesting.model_copy(update={"index_dir": tmp_path / "host-c" / "index"})
    embedder = HashEmbedder()
    report = run_ingest(third, embedder, corpus_copy)
    assert report.embedded == 0 and embedder.calls == 0 and len(report.unchanged) == 5


def test_unreachable_server_is_a_clear_error(tmp_path: Path, corpus_copy: Path) -> None:
    settings = server_settings(tmp_path, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(IndexUnavailable):
        VectorStore(settings, HashEmbedder())
    with pytest.raises(IndexUnavailable):
        run_ingest(settings, HashEmbedder(), corpus_copy)
    assert not (settings.index_dir / STATE_FILE).exists()
    with pytest.raises(IndexUnavailable):  # no local state, and no server to fetch it from
        Index(settings, HashEmbedder())
