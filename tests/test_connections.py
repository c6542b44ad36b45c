"""Slow and oversized clients against a real `lhl serve` on loopback (api/connections.py).

A client that trickles its request a byte at a time (headers or body, slowloris-style), or
opens a connection and sends nothing, is cut off once LHL_CLIENT_TIMEOUT_S has passed without
a whole request; other clients are answered meanwhile. Oversized headers and broken HTTP are
refused in the contract's error shape. Real sockets, real process; the bounds below are
generous ceilings against a hang, not timings.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from server_fixtures import LiveServer, serve_index

from lhl.settings import Settings

CLIENT_TIMEOUT_S = 1.0
GIVE_UP_S = 60.0  # far above the bound: only stops a broken server from hanging the test
TRICKLE_EVERY_S = 0.2


@pytest.fixture(scope="module")
def server(hash_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve_index(
        hash_index,
        tmp_path_factory.mktemp("slow-clients"),
        client_timeout_s=CLIENT_TIMEOUT_S,
        teams_tokens="c2xvdy1jbGllbnRzLXRlc3QtdG9rZW4tMzItYnl0ZXMh",
        teams_max_age_s=0,
    )


def _connect(server: LiveServer) -> socket.socket:
    parts = urlsplit(server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _trickle(sock: socket.socket, head: bytes, trickle: bytes) -> tuple[bytes, float]:
    """Send `head` at once, then `trickle` a byte at a time until the server closes the
    connection. Returns what the server sent and the seconds it took to close."""
    started = time.monotonic()
    sock.sendall(head)
    received = b""
    i = 0
    while time.monotonic() - started < GIVE_UP_S:
        readable, _, _ = select.select([sock], [], [], TRICKLE_EVERY_S)
        if readable:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return received, time.monotonic() - started
            received += chunk
            continue
        try:
            sock.send(trickle[i % len(trickle) : i % len(trickle) + 1])
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed; the next select sees the end
        i += 1
    raise AssertionError(f"the server kept a trickling connection open for {GIVE_UP_S:.0f} s")


def _status_and_body(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


class _Others:
    """Ordinary clients asking and searching in a loop while a slow one trickles."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.statuses: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.server.client(timeout=30) as client:
            while not self.stop.is_set():
                r = client.post("/api/ask", json={"question": "Hva er Leve hele livet?"})
                self.statuses.append(r.status_code)
                r = client.get("/api/search", params={"q": "måltider"})
                self.statuses.append(r.status_code)

    def __enter__(self) -> _Others:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=GIVE_UP_S)


def _request_head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def test_trickled_headers_are_cut_off_while_others_are_answered(server: LiveServer) -> None:
    with _Others(server) as others, _connect(server) as sock:
        received, _ = _trickle(
            sock, b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: aaaaaaaa\r\n"
        )
    status, body = _status_and_body(received)
    assert status == 408
    assert body == {
        "error": {
            "code": "tidsavbrudd",
            "message": "Forespørselen kom ikke fram i tide. Prøv igjen.",
        }
    }
    assert others.statuses and set(others.statuses) == {200}


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback", "/api/teams"])
def test_trickled_body_is_cut_off(server: LiveServer, path: str) -> None:
    body = json.dumps({"question": "Hva er Leve hele livet?", "rating": "up"}).encode()
    with _Others(server) as others, _connect(server) as sock:
        received, _ = _trickle(sock, _request_head(path, len(body) + 1000), body)
    assert _status_and_body(received)[0] == 408
    assert others.statuses and set(others.statuses) == {200}
    # The app saw the client go and wrote nothing to the log as an error.
    assert "Traceback" not in server.log()


def test_a_slow_second_request_on_a_kept_alive_connection_is_cut_off(server: LiveServer) -> None:
    body = json.dumps({"question": "Hva er Leve hele livet?"}).encode()
    with _connect(server) as sock:
        sock.sendall(_request_head("/api/ask", len(body)) + body)
        first = b""
        while b'"question"' not in first:  # the whole first answer, then the slow second
            chunk = sock.recv(65536)
            assert chunk, "closed before the first answer"
            first += chunk
        received, _ = _trickle(sock, b"GET /api/search?q=mat HTTP/1.1\r\n", b"X-Slow: a\r\n")
    assert first.startswith(b"HTTP/1.1 200")
    assert _status_and_body(received)[0] == 408


def test_idle_connections_are_closed_and_do_not_starve_others(server: LiveServer) -> None:
    """200 connections that never send a byte (or preconnects never used): each costs the
    server a file descriptor and no thread, so others are answered meanwhile; all of them
    are closed after the bound, without a response."""
    idle = [_connect(server) for _ in range(200)]
    try:
        with server.client(timeout=30) as client:
            for _ in range(5):
                r = client.post("/api/ask", json={"question": "Hva er Leve hele livet?"})
                assert r.status_code == 200
        deadline = time.monotonic() + GIVE_UP_S
        open_ = list(idle)
        while open_ and time.monotonic() < deadline:
            readable, _, _ = select.select(open_, [], [], 1.0)
            for sock in readable:
                try:
                    assert sock.recv(1024) == b""  # closed without a word
                except ConnectionResetError:
                    pass
                open_.remove(sock)
        assert not open_, f"{len(open_)} idle connections still open after {GIVE_UP_S:.0f} s"
    finally:
        for sock in idle:
            sock.close()


def test_a_steady_client_is_not_cut_off(server: LiveServer) -> None:
    """Only slowness is cut off: a client whose requests arrive whole, one after another on
    one kept-alive connection, for longer than the bound, is answered every time."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        started = time.monotonic()
        statuses = []
        while time.monotonic() - started < CLIENT_TIMEOUT_S * 2:
            statuses.append(client.get("/api/search", params={"q": "måltider"}).status_code)
            time.sleep(0.2)
    assert set(statuses) == {200}


def _exchange(server: LiveServer, request: bytes) -> bytes:
    """Send `request` whole; everything the server sends until it closes."""
    with _connect(server) as sock:
        sock.settimeout(GIVE_UP_S)
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before all of it was read; the answer is waiting
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /api/search?q=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 1_000_000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 100) for i in range(2000))
        + b"\r\n",
    ],
    ids=["long-url", "one-big-header", "many-headers"],
)
def test_oversized_headers_are_refused(server: LiveServer, request_bytes: bytes) -> None:
    status, body = _status_and_body(_exchange(server, request_bytes))
    assert status == 431
    assert body["error"]["code"] == "for_store_hoder"  # type: ignore[index]


def test_a_large_body_right_behind_the_headers_is_not_taken_for_a_large_head(
    server: LiveServer,
) -> None:
    """Headers and a 60 KiB body in one write (one read on the server): the body counts as
    body. Feedback is refused for its length (422), after being read."""
    body = json.dumps({"question": "q" * 61_000, "rating": "up"}).encode()
    request = _request_head("/api/feedback", len(body)).replace(b"HTTP/1.1", b"HTTP/1.1", 1)
    raw = _exchange(server, request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n") + body)
    assert _status_and_body(raw)[0] == 422


def test_broken_http_gets_the_error_shape(server: LiveServer) -> None:
    status, body = _status_and_body(_exchange(server, b"BLAH /\x00 HTTP/9\r\n\r\n"))
    assert status == 400
    assert body["error"]["code"] == "ugyldig_foresporsel"  # type: ignore[index]
