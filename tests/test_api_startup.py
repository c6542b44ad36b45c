"""The service starting up and failing: the app factory served by uvicorn in a thread, with
the assistant replaced at our own seam (a gated load, a failing ask), and `lhl serve` on a
missing index or a busy port.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import httpx
from api_checks import PRIZE, assert_error
from conftest import CORPUS, make_settings
from server_fixtures import LiveServer, run_server, serve_app

from api.app import create_app
from api.startup import index_is_current
from assistant.service import Assistant
from lhl.records import Answer
from lhl.settings import Settings


# -- start-up, in process (real HTTP, our own seams) --------------------------------------------
class GatedAssistant(Assistant):
    """Loads only when the test opens the gate: the "still loading" state, held still."""

    gate = threading.Event()

    def load(self) -> None:
        assert self.gate.wait(30)
        super().load()


class FailingAssistant(Assistant):
    def ask(self, *args: object, **kwargs: object) -> Answer:
        raise RuntimeError("hemmelig intern detalj /etc/passwd")


def test_readiness_turns_true_when_the_assistant_has_loaded(
    hash_index: Settings, tmp_path: Path
) -> None:
    settings = hash_index.model_copy(update={"feedback_db": tmp_path / "f.db"})
    GatedAssistant.gate.clear()
    app = create_app(settings, assistant_factory=GatedAssistant)
    with serve_app(app) as url, httpx.Client(base_url=url) as c:
        assert c.get("/healthz").status_code == 200
        loading = c.get("/readyz")
        assert loading.status_code == 503 and loading.json()["state"] == "loading"
        message = assert_error(c.post("/api/ask", json={"question": PRIZE}), 503)
        assert "starter" in message
        GatedAssistant.gate.set()
        assert app.state.startup.wait_ready(30)
        assert c.get("/readyz").json()["ready"] is True
        assert c.post("/api/ask", json={"question": PRIZE}).json()["found"] is True


def test_internal_failure_is_500_without_details(hash_index: Settings, tmp_path: Path) -> None:
    settings = hash_index.model_copy(update={"feedback_db": tmp_path / "f.db"})
    app = create_app(settings, assistant_factory=FailingAssistant)
    with serve_app(app) as url, httpx.Client(base_url=url) as c:
        assert app.state.startup.wait_ready(30)
        response = c.post("/api/ask", json={"question": PRIZE})
        assert_error(response, 500, "intern_feil")
        assert "hemmelig" not in response.text and "passwd" not in response.text
        assert 'route="/api/ask",status="500"' in c.get("/metrics").text


def test_serve_ingests_a_missing_index_first(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = make_settings(tmp_path, corpus_dir=corpus)
    assert not index_is_current(settings)
    with run_server(settings, tmp_path) as server, server.client() as c:
        assert c.get("/readyz").json()["documents"] == 5
        assert 'lhl_ingest_runs_total{result="ok"} 1.0' in c.get("/metrics").text
        assert "Klar: 5 dokumenter" in server.log()
    assert index_is_current(settings)
    (corpus / "om-stotteapparatene.txt").write_text("Endret innhold.\n", encoding="utf-8")
    assert not index_is_current(settings)


def test_serve_reports_a_busy_port_in_norwegian(live_server: LiveServer) -> None:
    import subprocess
    import sys

    port = live_server.url.rsplit(":", 1)[1]
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "serve", "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "porten er kanskje i bruk" in done.stderr
    assert "Traceback" not in done.stderr
