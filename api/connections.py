"""Slow clients: a request must arrive whole within LHL_CLIENT_TIMEOUT_S, or the connection closes.

uvicorn has no such bound of its own: `timeout_keep_alive` covers only the idle time between
two requests on a kept-alive connection, and any byte received cancels it. A client that
trickles its headers or body a byte at a time (slowloris), or opens a connection and sends
nothing, holds that connection for as long as it likes; enough of them exhaust the server's
file descriptors. Middleware cannot help: the app first sees a request once its headers are
parsed.

`guarded_protocol(timeout_s)` is uvicorn's HTTP protocol (httptools, which "auto" picks when
it is installed, as it is here) with one timer per connection:

    armed     when the connection opens, and when the first byte of a request arrives
    disarmed  when the request's last byte has arrived (then the app has it all)
    expiry    408 in the error shape of docs/contract.md (when no response has begun), and
              the connection is closed

The clock runs only while the server waits for the client: when it fires while the app is
still answering a request it already has whole (a pipelined request waiting behind it), it
starts again instead of cutting the answer off. Idle time between requests stays uvicorn's
keep-alive business (5 s).
"""

from __future__ import annotations

import asyncio
import json
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.errors import http_error_body

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_STATUS = 408


def timeout_response() -> bytes:
    """The raw 408 response, written straight to the socket (there may be no request yet)."""
    body = json.dumps(http_error_body(REQUEST_TIMEOUT_STATUS), ensure_ascii=False).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for receiving each request."""

    timeout_s = 30.0  # set per server by guarded_protocol()

    _deadline: asyncio.TimerHandle | None = None
    _received = False  # any byte yet on this connection

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

    def _expired(self) -> None:
        self._deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        if self._waiting_on_server():
            self._arm()
            return
        cycle = self.cycle
        # A 408 only where it cannot land inside another response: nothing has been answered
        # yet on this exchange, or the last request was answered whole and a new one trickles.
        if cycle is None and not self._received:
            pass  # never sent a byte (an unused pre-opened connection): closed without a word
        elif cycle is None or not cycle.response_started:
            self.transport.write(timeout_response())
        elif cycle.response_complete and not cycle.more_body:
            self.transport.write(timeout_response())
        log.info("closed a connection: no complete request within %.0f s", self.timeout_s)
        self.transport.close()

    # -- uvicorn's protocol and parser callbacks ---------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is closed too

    def data_received(self, data: bytes) -> None:
        self._received = True
        self._arm()  # bytes with no request under way (e.g. blank lines) start the clock too
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # a pipelined request after a complete one in the same read

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def guarded_protocol(timeout_s: float) -> type[HttpToolsProtocol]:
    """The protocol class for uvicorn.Config(http=...): requests must arrive within timeout_s
    (0: no bound, uvicorn's own behaviour)."""
    if timeout_s <= 0:
        return HttpToolsProtocol
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"timeout_s": float(timeout_s)})
