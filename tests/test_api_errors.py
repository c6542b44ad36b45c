"""The web service's error responses over real HTTP (docs/contract.md): bad questions and
bodies, unknown routes, the rate limit, and a service without an index; each a JSON error
with a Norwegian message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_checks import NORWEGIAN, PRIZE, assert_error
from conftest import make_settings
from server_fixtures import run_server

from api.limits import MAX_BODY_BYTES, RateLimiter
from lhl.settings import Settings


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
