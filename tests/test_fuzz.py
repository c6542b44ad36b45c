"""Every route fuzzed from the service's own OpenAPI document with schemathesis, against a real
`lhl serve` on loopback (hash-embedder index): valid requests (positive) and requests that
break the schema (negative). Required of every response: no 5xx, and every error in the
shape of docs/contract.md, `{"error": {"code": str, "message": str}}`.

The Teams webhook is sent each fuzzed message three ways: as generated (an unsigned or
wrongly signed request: refused), signed with the test token (the signature holds, so the
fuzz reaches the parsing, the replay window and the answer), and signed with its timestamp
set to now (it reaches the answering).

CI runs a bounded, derandomised run (FUZZ_EXAMPLES per route and mode, same examples every
time); `make fuzz` runs many more (2000) with a fresh seed, printed so a failure can be replayed:

    LHL_FUZZ_EXAMPLES=400 LHL_FUZZ_SEED=1234 .venv/bin/python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from server_fixtures import LiveServer, serve_index

from api.app import create_app
from api.teams import sign
from lhl.settings import Settings

CONFORMANCE = [status_code_conformance, response_schema_conformance]
TEAMS_TOKEN = "ZnV6ei10ZXN0LXRva2VuLW9mLXRoaXJ0eS10d28tYnl0ZXM="
EXAMPLES = int(os.environ.get("LHL_FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("LHL_FUZZ_SEED")  # unset: derandomised (CI)


def _schema() -> Any:
    """The OpenAPI document the service serves, built without starting anything."""
    spec = create_app(Settings(_env_file=None, embeddings="hash")).openapi()
    return schemathesis.openapi.from_dict(spec)


SCHEMA = _schema()
OPERATIONS = sorted(
    (op.method.upper(), op.path) for op in (r.ok() for r in SCHEMA.get_all_operations())
)


def _takes_input(method: str, path: str) -> bool:
    spec = SCHEMA.raw_schema["paths"][path][method.lower()]
    return bool(spec.get("parameters") or spec.get("requestBody"))


# A route without parameters or body has nothing for a negative case to break.
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _takes_input(method, path)
]


@pytest.fixture(scope="module")
def server(hash_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve_index(hash_index, tmp_path_factory.mktemp("fuzz"), teams_tokens=TEAMS_TOKEN)


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def check(response: requests.Response, what: str, seen: list[int]) -> None:
    """No server error; an error response in the contract's shape."""
    status = response.status_code
    seen.append(status)
    assert status < 500, f"{status} for {what}: {response.text[:500]}"
    if status < 400:
        return
    assert response.headers.get("content-type", "").startswith("application/json"), what
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"{what}: {body}"
    error = body["error"]
    assert set(error) == {"code", "message"}, f"{what}: {body}"
    assert isinstance(error["code"], str) and error["code"], f"{what}: {body}"
    assert isinstance(error["message"], str) and error["message"], f"{what}: {body}"


def _body_bytes(kwargs: dict[str, Any]) -> bytes:
    if "json" in kwargs:
        return json.dumps(kwargs.pop("json")).encode()
    data = kwargs.pop("data", b"")
    return data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data or b"")


def send(session: requests.Session, server: LiveServer, case: Case, seen: list[int]) -> None:
    kwargs = case.as_transport_kwargs(base_url=server.url)
    what = case.as_curl_command()
    if case.path != "/api/teams":
        response = session.request(**kwargs, timeout=60)
        check(response, what, seen)
        # And as the OpenAPI document says: a documented status, a body in its schema.
        case.validate_response(response, checks=CONFORMANCE)
        return
    body = _body_bytes(kwargs)
    check(session.request(**kwargs, data=body, timeout=60), f"unsigned {what}", [])
    key = base64.b64decode(TEAMS_TOKEN)
    variants = [body]
    if isinstance(case.body, dict):
        variants.append(json.dumps({**case.body, "timestamp": _now().decode()}).encode())
    for signed in variants:
        headers = {**kwargs["headers"], "Authorization": sign(signed, key)}
        sent = {**kwargs, "headers": headers}
        response = session.request(**sent, data=signed, timeout=60)
        check(response, f"signed {what} body={signed!r}", seen)


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_fuzz_route(
    server: LiveServer, session: requests.Session, method: str, path: str, mode: GenerationMode
) -> None:
    operation = SCHEMA[path][method]
    seen: list[int] = []

    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=SEED is None,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Case) -> None:
        send(session, server, case, seen)

    if SEED is not None:
        fuzz = seed(int(SEED))(fuzz)
    fuzz()
    # Valid requests got through to the route (a passage id made up at random is not found).
    if mode is GenerationMode.POSITIVE and path != "/api/passage/{chunk_id}":
        assert any(status < 400 for status in seen), f"no request accepted: {sorted(seen)}"


def test_every_route_is_fuzzed() -> None:
    """The schema holds every API route (a route left out of it would escape the fuzz)."""
    assert {p for _, p in OPERATIONS} >= {
        "/api/ask",
        "/api/ask/stream",
        "/api/search",
        "/api/documents",
        "/api/passage/{chunk_id}",
        "/api/feedback",
        "/api/feedback/export",
        "/api/teams",
        "/healthz",
        "/readyz",
        "/metrics",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/nowhere"), ("DELETE", "/api/ask"), ("PUT", "/api/feedback"), ("GET", "/x")],
)
def test_unknown_routes_and_methods(
    server: LiveServer, session: requests.Session, method: str, path: str
) -> None:
    response = session.request(method, server.url + path, timeout=30)
    assert response.status_code in (404, 405)
    check(response, f"{method} {path}", [])


# What schemathesis's generator does not make: half a surrogate pair (valid JSON, not
# encodable), NUL, nesting deeper than the JSON parser recurses, numbers out of range.
HAND_PICKED = [
    b'{"question": "hva \\ud800 er"}',
    b'{"question": "hva \\u0000 er"}',
    b'{"question": "hva", "history": [{"role": "user", "content": "\\udfff"}]}',
    b'{"question": "hva er", "rating": "up", "comment": "\\ud800"}',
    b'{"type": "message", "text": "<at>Leve hele livet</at> hva \\ud800 er"}',
    b'{"question": 1e999, "rating": "up"}',
    b"[" * 30_000 + b"]" * 30_000,
    b'{"type": "message", "text": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
    b"\xff\xfe\x00",
]


@pytest.mark.parametrize("body", HAND_PICKED, ids=range(len(HAND_PICKED)))
@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream", "/api/feedback", "/api/teams"])
def test_hand_picked_bodies(
    server: LiveServer, session: requests.Session, path: str, body: bytes
) -> None:
    key = base64.b64decode(TEAMS_TOKEN)
    headers = {"Content-Type": "application/json", "Authorization": sign(body, key)}
    for teams_body in (body, body.replace(b'"text"', b'"timestamp": "%s", "text"' % _now())):
        headers["Authorization"] = sign(teams_body, key)
        response = session.post(server.url + path, data=teams_body, headers=headers, timeout=60)
        check(response, f"{path} {teams_body[:80]!r}", [])
        if path == "/api/ask/stream" and response.status_code == 200:
            assert "event: final" in response.text  # the stream ran to its end


def _now() -> bytes:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z").encode()
