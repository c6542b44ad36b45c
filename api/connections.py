"""Slow and oversized clients, stopped at the connection, before the app sees a request.

uvicorn bounds neither the time a request may take to arrive nor the size of its headers:
`timeout_keep_alive` covers only the idle time between two requests on a kept-alive
connection (any byte received cancels it), a connection that never sends a byte stays open,
and httptools accepts megabytes of headers. So a client that trickles its headers or body a
byte at a time (slowloris), or opens many connections and sends nothing, holds them as long
as it likes, and enough of them exhaust the server's file descriptors. Middleware cannot help:
the app first sees a request once its headers are parsed.

`guarded_protocol(timeout_s)` is uvicorn's HTTP protocol (httptools, which "auto" picks when
it is installed, as it is here) with

- one timer per connection, armed when the connection opens and when the first byte of a
  request arrives, disarmed when the request's last byte has arrived. On expiry: 408 in the
  error shape of docs/contract.md where a request had begun (a connection that never sent a
  byte is closed without a word), then the connection is closed. The clock runs only while
  the server waits for the client: when it fires while the app is still answering a request
  it has whole, it starts again instead of cutting the answer off. Idle time between
  requests stays uvicorn's keep-alive business (5 s).
- a cap on a request's headers (MAX_HEADER_BYTES): 431, and the connection is closed.
- uvicorn's own "Invalid HTTP request" refusal in the same JSON error shape (400).
"""

from __future__ import annotations

import asyncio
import json
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.errors import http_error_body

log = logging.getLogger(__name__)

# Request line and headers together. nginx allows 4 × 8 KiB; a browser sends about 1 KiB.
MAX_HEADER_BYTES = 64 * 1024

# How long a refused connection is read (and the bytes dropped) before it is closed.
LINGER_S = 2.0


class HeadTooLarge(Exception):
    """Raised inside the parser to stop it at a head over MAX_HEADER_BYTES."""


_REASONS = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large"}


def error_bytes(status: int) -> bytes:
    """A raw HTTP error response in the contract's shape, with `connection: close` (written
    straight to the socket: there may be no request to answer through the app)."""
    body = json.dumps(http_error_body(status), ensure_ascii=False).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request and a cap on its head."""

    timeout_s = 30.0  # set per server by guarded_protocol()

    _deadline: asyncio.TimerHandle | None = None
    _received = False  # any byte yet on this connection
    _in_head = True  # between requests or inside a request's headers (not its body)
    _head_bytes = 0
    _new_head = False  # a head began (or the last request ended) within the current read
    _body_in_read = 0  # body bytes parsed from the current read
    _head_too_large = False
    _discarding = False  # refused: what still arrives is read and dropped until the close

    def _arm(self) -> None:
        if self._deadline is None and self.timeout_s > 0:
            self._deadline = self.loop.call_later(self.timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _waiting_on_server(self) -> bool:
        """True while the app is answering a request it has received whole, or reading is
        paused because the app has not yet taken what arrived."""
        cycle = self.cycle
        busy = cycle is not None and not cycle.more_body and not cycle.response_complete
        return busy or (self.flow is not None and self.flow.read_paused)

    def _refuse(self, status: int) -> None:
        """Answer `status` and close. The close lingers: reading on (and discarding) for a
        moment after our side is shut, as nginx does, since closing with unread bytes in the
        socket resets the connection and the client loses the answer along with it."""
        self.transport.write(error_bytes(status))
        self._discarding = True
        self._disarm()
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # As uvicorn does when a client goes: the app's receive() returns a disconnect
            # now, and whatever it still sends is dropped.
            cycle.disconnected = True
            cycle.message_event.set()
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._deadline = self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()

    def _expired(self) -> None:
        self._deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        if self._waiting_on_server():
            self._arm()
            return
        log.info("closing a connection: no complete request within %.0f s", self.timeout_s)
        cycle = self.cycle
        # A 408 only where it cannot land inside another response: nothing has been answered
        # yet on this exchange, or the last request was answered whole and a new one trickles.
        if cycle is None and not self._received:
            self.transport.close()  # never sent a byte (an unused pre-opened connection)
        elif cycle is None or not cycle.response_started:
            self._refuse(408)
        elif cycle.response_complete and not cycle.more_body:
            self._refuse(408)
        else:
            self.transport.close()

    # -- uvicorn's protocol and parser callbacks ---------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        self._received = True
        self._arm()  # bytes with no request under way (e.g. blank lines) start the clock too
        self._new_head, self._body_in_read = False, 0
        super().data_received(data)
        # A head still arriving: its bytes so far (of this read, those that were not the
        # last request's body). The parser buffers a header until it ends, so this is what
        # bounds its memory; a head that arrived whole is measured in on_headers_complete.
        if self._in_head and not self.transport.is_closing():
            fresh = len(data) - self._body_in_read
            self._head_bytes = fresh if self._new_head else self._head_bytes + fresh
            if self._head_bytes > MAX_HEADER_BYTES:
                self._refuse_head()

    def _refuse_head(self) -> None:
        log.info("closing a connection: request headers over %d bytes", MAX_HEADER_BYTES)
        self._refuse(431)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._new_head = True
        self._arm()  # a pipelined request after a complete one in the same read

    def on_headers_complete(self) -> None:
        self._in_head = False
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > MAX_HEADER_BYTES:
            self._head_too_large = True
            raise HeadTooLarge  # stops the parser; uvicorn answers with send_400_response
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._body_in_read += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = self._new_head = True
        self._disarm()

    def send_400_response(self, msg: str) -> None:
        # uvicorn has logged `msg` (a warning); the client gets our shape.
        if self._head_too_large:
            self._refuse_head()
        else:
            self._refuse(400)

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def guarded_protocol(timeout_s: float) -> type[HttpToolsProtocol]:
    """The protocol class for uvicorn.Config(http=...): requests must arrive within timeout_s
    (0: no time bound; the header cap and JSON 400 hold all the same)."""
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"timeout_s": float(timeout_s)})
