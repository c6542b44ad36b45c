"""The web service over real HTTP on loopback: every route and error case of docs/contract.md.

Most tests talk to `lhl serve` in a subprocess (fixture `live_server`, hash-embedder index).
Start-up states and internal failures use the app factory served by uvicorn in a thread,
with the assistant replaced at our own seam (a gated load, a failing ask).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, make_settings
from prometheus_client.parser import text_string_to_metric_families
from server_fixtures import LiveServer, rate_an_answer, run_server, serve_app

from api.app import create_app
from api.limits import MAX_BODY_BYTES, RateLimiter
from api.startup import index_is_current
from assistant.service import Assistant
from eval.questions import load_questions
from lhl.feedback import FeedbackStore
from lhl.records import Answer
from lhl.settings import Settings

ANSWER_FIELDS = {
    "question": str,
    "answer": str,
    "found": bool,
    "citations": list,
    "mode": str,
    "timings_ms": dict,
}
CITATION_FIELDS = {
    "n": int,
    "doc_id": str,
    "title": str,
    "source": str,
    "section": str,
    "text": str,
    "score": float,
}
PRIZE = "Hvilken kommune fikk Leve hele livet-prisen i 2022?"
UNRELATED = "Hva koster en pizza i Roma?"
NORWEGIAN = re.compile(r"[æøå]|\b(ikke|er|på|og|igjen|for)\b", re.I)


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with live_server.client() as c:
        yield c


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> str:
    """The error shape of docs/contract.md, with a Norwegian message and no internals."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    message = body["error"]["message"]
    assert NORWEGIAN.search(message), message
    assert "Traceback" not in response.text and "Error" not in message
    if code:
        assert body["error"]["code"] == code
    return str(message)


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def ask(client: httpx.Client, question: str, history: list[dict[str, str]] | None = None) -> dict:
    response = client.post("/api/ask", json={"question": question, "history": history or []})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


# -- the page ---------------------------------------------------------------------------------
def test_page_is_served_by_the_app_in_norwegian(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="nb">' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["x-content-type-options"] == "nosniff"


# -- asking -----------------------------------------------------------------------------------
def test_ask_returns_the_answer_object_with_cited_markers(client: httpx.Client) -> None:
    body = ask(client, PRIZE)
    for name, kind in ANSWER_FIELDS.items():
        assert isinstance(body[name], kind), name
    assert body["found"] is True
    assert body["mode"] == "extractive"
    assert "Melhus" in body["answer"]
    assert body["citations"]
    for i, citation in enumerate(body["citations"], start=1):
        assert citation["n"] == i
        for name, kind in CITATION_FIELDS.items():
            assert isinstance(citation[name], kind), name
        assert citation["page"] is None or isinstance(citation["page"], int)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    assert markers and markers <= {c["n"] for c in body["citations"]}
    assert body["timings_ms"]["total"] > 0
    assert 0.0 < body["confidence"] <= 1.0  # the learned decision's probability


def test_ask_without_an_answer_in_the_documents_says_so(client: httpx.Client) -> None:
    body = ask(client, UNRELATED)
    assert body["found"] is False
    assert "ikke i dokumentene" in body["answer"]
    assert 0.0 <= body["confidence"] < 1.0
    # Each related passage shows its sentence that came closest, from that passage's text.
    assert body["citations"]
    for c in body["citations"]:
        assert c["highlight"] and " ".join(c["highlight"].split()) in " ".join(c["text"].split())
    assert not re.search(r"\[\d+\]", body["answer"])  # related passages are not cited as an answer


def test_ask_completes_a_follow_up_from_the_history(client: httpx.Client) -> None:
    first = "Hvem består det nasjonale støtteapparatet av?"
    previous = ask(client, first)
    history = [
        {"role": "user", "content": first},
        {"role": "assistant", "content": previous["answer"]},
    ]
    followup = ask(client, "Og det regionale?", history)
    assert followup["question"] == "Og det regionale?"
    resolved = followup["resolved_question"]
    assert resolved and "regionale" in resolved and "støtteapparatet" in resolved
    assert followup["found"] is True
    assert "statsforvalter" in followup["answer"].lower()
    alone = ask(client, "Og det regionale?")
    assert alone["resolved_question"] is None


# -- search, documents, passages --------------------------------------------------------------
def test_search_ranks_passages_in_the_citation_shape(client: httpx.Client) -> None:
    response = client.get("/api/search", params={"q": "Leve hele livet-prisen Melhus", "k": 3})
    assert response.status_code == 200
    passages = response.json()["passages"]
    assert [p["n"] for p in passages] == [1, 2, 3]
    for p in passages:
        for name, kind in CITATION_FIELDS.items():
            assert isinstance(p[name], kind), name
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert "Melhus" in passages[0]["text"]
    assert len(client.get("/api/search", params={"q": "prisen"}).json()["passages"]) == 5


def test_search_rejects_bad_parameters(client: httpx.Client) -> None:
    assert_error(client.get("/api/search", params={"q": "  "}), 400, "ugyldig_sporsmal")
    assert_error(client.get("/api/search"), 422)
    assert "«k»" in assert_error(client.get("/api/search", params={"q": "pris", "k": 0}), 422)
    assert_error(client.get("/api/search", params={"q": "pris", "k": "mange"}), 422)


def test_documents_lists_what_the_assistant_knows(client: httpx.Client) -> None:
    docs = client.get("/api/documents").json()["documents"]
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert {d["title"] for d in docs} == {m["title"] for m in manifest}
    for d in docs:
        assert set(d) >= {"doc_id", "title", "publisher", "doc_type", "date", "source", "chunks"}
        assert d["chunks"] > 0
    ready = client.get("/readyz").json()
    assert sum(d["chunks"] for d in docs) == ready["chunks"]
    assert len(docs) == ready["documents"]


def test_passage_by_chunk_id_for_deep_links(client: httpx.Client) -> None:
    citation = ask(client, PRIZE)["citations"][0]
    response = client.get(f"/api/passage/{citation['chunk_id']}")
    assert response.status_code == 200
    passage = response.json()
    for name in ("doc_id", "title", "source", "section", "text", "chunk_id"):
        assert passage[name] == citation[name]
    assert passage["n"] is None
    message = assert_error(client.get("/api/passage/finnes-ikke"), 404, "avsnitt_ikke_funnet")
    assert "avsnittet" in message


# -- feedback ---------------------------------------------------------------------------------
def test_feedback_is_stored_with_what_was_rated(
    client: httpx.Client, live_server: LiveServer
) -> None:
    answer, response = rate_an_answer(client, PRIZE, "down", comment="  Mangler begrunnelsen  ")
    assert response.status_code == 201
    body = response.json()
    assert body["ok"] is True and isinstance(body["id"], int)

    stored = {f.id: f for f in FeedbackStore(live_server.settings.feedback_path).list()}[body["id"]]
    assert stored.rating == "down"
    assert stored.comment == "Mangler begrunnelsen"
    assert stored.question == PRIZE and stored.answer == answer["answer"]
    assert stored.found is True
    assert [c.chunk_id for c in stored.citations] == [c["chunk_id"] for c in answer["citations"]]


def test_feedback_for_an_answer_the_service_no_longer_holds(
    client: httpx.Client, live_server: LiveServer
) -> None:
    response = client.post(
        "/api/feedback",
        json={
            "answer_id": "ukjent",
            "question": "Hva er fase 3?",
            "answer": "Noe.",
            "rating": "up",
        },
    )
    assert response.status_code == 201
    stored = FeedbackStore(live_server.settings.feedback_path).list("up")[-1]
    assert (stored.question, stored.answer, stored.comment, stored.found) == (
        "Hva er fase 3?",
        "Noe.",
        None,
        None,
    )


def test_feedback_rejects_bad_ratings(client: httpx.Client) -> None:
    assert "«rating»" in assert_error(
        client.post("/api/feedback", json={"question": "Hva?", "rating": "middels"}), 422
    )
    assert_error(client.post("/api/feedback", json={"question": "Hva?"}), 422)
    assert_error(
        client.post("/api/feedback", json={"question": " ", "rating": "up"}),
        400,
        "ugyldig_tilbakemelding",
    )


def test_feedback_export_is_a_question_file_for_eval(
    client: httpx.Client, live_server: LiveServer, tmp_path: Path
) -> None:
    first = "Hvem består det nasjonale støtteapparatet av?"
    previous = ask(client, first)
    history = [
        {"role": "user", "content": first},
        {"role": "assistant", "content": previous["answer"]},
    ]
    followup = ask(client, "Og det regionale?", history)
    refusal = ask(client, UNRELATED)
    wrong = ask(client, PRIZE)
    for answer, rating in ((followup, "up"), (refusal, "up"), (wrong, "down")):
        client.post(
            "/api/feedback",
            json={
                "answer_id": answer["answer_id"],
                "rating": rating,
                "question": answer["question"],
                "answer": answer["answer"],
            },
        )

    response = client.get("/api/feedback/export", params={"format": "jsonl"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    raw = {r["answer_id"]: r for r in map(json.loads, response.text.splitlines())}

    # A good answer becomes a complete case: the completed question, the cited sentence.
    good = raw[followup["answer_id"]]
    assert (
        good["question"] == followup["resolved_question"] and good["asked"] == "Og det regionale?"
    )
    assert good["evidence"] == followup["citations"][0]["highlight"]
    assert good["rated_answer"] == followup["answer"]
    # An agreed refusal stays a refusal; a bad answer is a draft for the evaluator.
    assert raw[refusal["answer_id"]]["answerable"] is False
    draft = raw[wrong["answer_id"]]
    assert draft["rating"] == "down" and draft["expected"] == [] and "expected" in draft["todo"]

    complete = tmp_path / "komplette.jsonl"
    complete.write_text(
        "".join(json.dumps(raw[a["answer_id"]]) + "\n" for a in (followup, refusal))
    )
    cases = load_questions(complete)  # the eval's own reader accepts them
    assert [c.answerable for c in cases] == [True, False]
    filled = tmp_path / "utfylt.jsonl"
    filled.write_text(json.dumps({**draft, "expected": ["Melhus"]}) + "\n")
    assert load_questions(filled)[0].expected == ("Melhus",)

    downs = client.get("/api/feedback/export", params={"rating": "down"}).text.splitlines()
    assert downs and all(json.loads(line)["rating"] == "down" for line in downs)
    assert_error(client.get("/api/feedback/export", params={"format": "csv"}), 422)


# -- operations -------------------------------------------------------------------------------
def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True and body["state"] == "ready"
    assert body["embedder"] == "hash-256" and body["documents"] >= 5


def test_metrics_count_requests_answers_and_index_state(client: httpx.Client) -> None:
    before = metric_values(client.get("/metrics").text)
    ask(client, PRIZE)
    ask(client, UNRELATED)
    client.post("/api/ask", json={"question": ""})
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = metric_values(response.text)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert grew("lhl_answers_total", outcome="answered", mode="extractive") == 1
    assert grew("lhl_answers_total", outcome="not_found", mode="extractive") == 1
    assert grew("lhl_http_requests_total", method="POST", route="/api/ask", status="200") == 2
    assert grew("lhl_http_requests_total", method="POST", route="/api/ask", status="400") == 1
    assert grew("lhl_http_request_duration_seconds_count", method="POST", route="/api/ask") == 3
    assert after[("lhl_service_state", (("lhl_service_state", "ready"),))] == 1
    assert after[("lhl_ready", ())] == 1
    assert after[("lhl_index_documents", ())] >= 5
    assert after[("lhl_index_chunks", ())] > after[("lhl_index_documents", ())]


# -- errors -----------------------------------------------------------------------------------
def test_empty_question_is_400(client: httpx.Client) -> None:
    for question in ("", "   \n "):
        message = assert_error(
            client.post("/api/ask", json={"question": question}), 400, "ugyldig_sporsmal"
        )
        assert "spørsmål" in message


def test_too_long_question_is_400_with_the_limit(client: httpx.Client) -> None:
    message = assert_error(
        client.post("/api/ask", json={"question": "hvorfor " * 260}), 400, "ugyldig_sporsmal"
    )
    assert "2000" in message
    assert client.post("/api/ask", json={"question": "a" * 1999 + "?"}).status_code == 200


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/api/ask", content=b'{"question": "Hva', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "ugyldig_json")


def test_wrong_shape_is_422(client: httpx.Client) -> None:
    bad = [
        {},
        {"question": 42},
        {"question": None},
        {"question": "Hva?", "history": "tidligere"},
        {"question": "Hva?", "history": [{"role": "system", "content": "x"}]},
        ["Hva?"],
    ]
    for body in bad:
        assert_error(client.post("/api/ask", json=body), 422, "ugyldige_data")


def test_too_large_body_is_413(client: httpx.Client) -> None:
    big = {"question": "Hva?", "history": [{"role": "user", "content": "x" * 15_000}] * 5}
    assert len(json.dumps(big)) > MAX_BODY_BYTES
    assert_error(client.post("/api/ask", json=big), 413, "for_stor")

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"question": "Hva?", "history": ['
        for _ in range(MAX_BODY_BYTES // 1000):
            yield b'{"role": "user", "content": "' + b"x" * 1000 + b'"},'
        yield b'{"role": "user", "content": "x"}]}'

    assert_error(
        client.post("/api/ask", content=chunked(), headers={"Content-Type": "application/json"}),
        413,
    )


def test_unknown_route_and_method_are_json_errors(client: httpx.Client) -> None:
    assert_error(client.get("/api/finnes-ikke"), 404)
    assert_error(client.get("/api/ask"), 405)


def test_rate_limit_gives_429_in_norwegian(hash_index: Settings, tmp_path: Path) -> None:
    settings = hash_index.model_copy(
        update={"rate_limit_per_minute": 3, "feedback_db": tmp_path / "f.db"}
    )
    with run_server(settings, tmp_path) as server, server.client() as c:
        codes = [c.get("/api/search", params={"q": "prisen"}).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        refused = c.post("/api/ask", json={"question": PRIZE})
        message = assert_error(refused, 429, "for_mange_foresporsler")
        assert "Vent" in message
        assert int(refused.headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200  # operators' routes are not limited
        assert c.get("/readyz").status_code == 200
        assert "lhl_rate_limited_requests_total 1.0" in c.get("/metrics").text


def test_rate_limiter_refills_over_the_minute() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.allow("a") == 0 for _ in range(60))
    assert limiter.allow("a") == pytest.approx(1.0)
    assert limiter.allow("b") == 0  # per client
    now[0] += 2.0
    assert limiter.allow("a") == 0 and limiter.allow("a") == 0
    assert limiter.allow("a") > 0


def test_service_without_an_index_is_alive_but_not_ready(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, corpus_dir=tmp_path / "finnes-ikke")
    with run_server(settings, tmp_path, wait=False) as server, server.client() as c:
        assert c.get("/healthz").status_code == 200
        not_ready = c.get("/readyz")
        assert not_ready.status_code == 503
        body = not_ready.json()
        assert body["ready"] is False and body["state"] in {
            "starting",
            "ingesting",
            "loading",
            "failed",
        }
        assert NORWEGIAN.search(body["error"]["message"])
        assert_error(c.post("/api/ask", json={"question": PRIZE}), 503, "indeks_ikke_klar")
        assert_error(c.get("/api/documents"), 503)
        assert_error(c.get("/api/search", params={"q": "pris"}), 503)
        assert c.get("/").status_code == 200  # the page still loads and can say so
        # feedback does not need the index
        assert c.post("/api/feedback", json={"question": "Hva?", "rating": "up"}).status_code == 201


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


def test_feedback_store_survives_reopening(tmp_path: Path) -> None:
    from lhl.feedback import NewFeedback

    store = FeedbackStore(tmp_path / "sub" / "feedback.sqlite3")
    store.init()
    first = store.add(NewFeedback("a1", "Hva?", "Svar [1].", "down", "feil"))
    second = FeedbackStore(store.path).list()
    assert [(f.id, f.rating, f.comment) for f in second] == [(first, "down", "feil")]
    with sqlite3.connect(store.path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO feedback (created_at, answer_id, question, answer, rating)"
            " VALUES ('x', 'a', 'q', 'a', 'middels')"
        )


def test_feedback_export_command_writes_the_question_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    from lhl.feedback import CitedPassage, NewFeedback

    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.init()
    store.add(
        NewFeedback(
            "a1",
            "Og det regionale?",
            "Statsforvalterne … [1].",
            "up",
            resolved_question="Hvem består det regionale støtteapparatet av?",
            found=True,
            citations=(CitedPassage(1, "om", "c1", "Regionalt", "De består av statsforvalterne."),),
        )
    )
    store.add(NewFeedback("a2", "Hva er fase 3?", "Feil svar [1].", "down", "Feil fase"))
    out = tmp_path / "cases.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "feedback",
            "export",
            "--db",
            str(store.path),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Skrev 2 tilbakemeldinger" in done.stderr and "1 av linjene er utkast" in done.stderr
    cases = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert cases[0]["question"] == "Hvem består det regionale støtteapparatet av?"
    assert cases[0]["evidence"] == "De består av statsforvalterne."
    assert cases[1]["comment"] == "Feil fase" and "todo" in cases[1]
    downs = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "feedback",
            "export",
            "--db",
            str(store.path),
            "--rating",
            "down",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert [json.loads(line)["answer_id"] for line in downs.stdout.splitlines()] == ["a2"]
