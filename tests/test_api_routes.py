"""The web service over real HTTP on loopback: the page and the routes of docs/contract.md
that answer (ask, search, documents, passages, health, metrics), against `lhl serve` in a
subprocess (fixture `live_server`, hash-embedder index).
"""

from __future__ import annotations

import json
import re

import httpx
from api_checks import (
    ANSWER_FIELDS,
    CITATION_FIELDS,
    PRIZE,
    UNRELATED,
    ask,
    ask_a_follow_up,
    assert_error,
)
from conftest import CORPUS
from prometheus_client.parser import text_string_to_metric_families


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


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
    _, followup = ask_a_follow_up(client)
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
