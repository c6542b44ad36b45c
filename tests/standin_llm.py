"""A stand-in for an OpenAI-compatible chat model: a real HTTP server on loopback.

It speaks the chat-completions JSON (`POST /v1/chat/completions`), so the real client
(LangChain's ChatOpenAI over httpx) talks to it exactly as it would to a hosted model.
What it answers is scripted by the test: a fixed reply, or a function of the passages the
prompt numbered, the way a model would read them. `delay_s` makes it slow; a delay longer
than any test (e.g. 60 s) makes it hang until the server is stopped.

It streams (`"stream": true`) as server-sent events, a few words a chunk, `chunk_delay_s`
apart. `failures` scripts the next requests' misfortunes, one per request, in order:
an HTTP status (429, 500, 503 …), "malformed" (a body that is not JSON), "empty" (an empty
reply), "cut" (the stream, or the body, stops halfway with no finish). `cut_streams` cuts
every stream halfway.

    with StandinLLM(reply="Melhus kommune [1].") as llm:
        settings = settings.model_copy(update={"llm_base_url": llm.base_url, "llm_model": llm.model})
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

_PASSAGE_HEAD = re.compile(r"^\[(\d+)\] ", re.MULTILINE)

Reply = str | Callable[["ChatRequest"], str]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat-completions request as the stand-in received it."""

    model: str
    messages: list[dict[str, Any]]
    stream: bool = False
    path: str = ""  # with the query, e.g. "/openai/deployments/x/chat/completions?api-version=…"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        return "\n\n".join(str(m.get("content", "")) for m in self.messages)

    def passages(self) -> dict[int, str]:
        """The numbered passages of the prompt ("[n] title – section\\ntext"), by number."""
        prompt = self.prompt
        heads = list(_PASSAGE_HEAD.finditer(prompt))
        out: dict[int, str] = {}
        for i, m in enumerate(heads):
            end = heads[i + 1].start() if i + 1 < len(heads) else len(prompt)
            out[int(m.group(1))] = prompt[m.end() : end]
        return out

    @property
    def is_rewrite(self) -> bool:
        """A follow-up to make standalone (no passages given), not a question to answer."""
        return not self.passages()

    def passage_with(self, phrase: str) -> int:
        """The number of the first passage containing `phrase` (case-insensitive)."""
        for n, text in sorted(self.passages().items()):
            if phrase.lower() in text.lower():
                return n
        raise LookupError(phrase)


@dataclass
class StandinLLM:
    reply: Reply = "IKKE_FUNNET"
    delay_s: float = 0.0
    model: str = "standin-chat"
    requests: list[ChatRequest] = field(default_factory=list)
    failures: list[int | str] = field(default_factory=list)
    cut_streams: bool = False
    chunk_delay_s: float = 0.0

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._release = threading.Event()  # set on stop: a "hanging" reply ends at once

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> StandinLLM:
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StandinLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


class _Handler(BaseHTTPRequestHandler):
    """Answers as `standin` (a subclass per StandinLLM sets it) is scripted to."""

    standin: ClassVar[StandinLLM]
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        standin = self.standin
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.split("?")[0].rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": "not found"}})
            return
        request = ChatRequest(
            model=str(body.get("model", "")),
            messages=body.get("messages", []),
            stream=bool(body.get("stream")),
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        standin.requests.append(request)
        if standin.delay_s:
            standin._release.wait(standin.delay_s)
        failure = standin.failures.pop(0) if standin.failures else None
        if isinstance(failure, int):
            self._send(failure, {"error": {"message": f"status {failure}"}})
            return
        reply = standin.reply(request) if callable(standin.reply) else standin.reply
        if failure == "empty":
            reply = ""
        if failure == "malformed":
            self._send_raw(200, b"<html>Bad gateway</html>", "application/json")
            return
        cut = failure == "cut" or (standin.cut_streams and request.stream)
        if request.stream:
            self._stream(request.model, reply, cut=cut)
        elif cut:
            data = json.dumps(_completion(request.model, reply)).encode()
            self._send_raw(200, data[: len(data) // 2], "application/json", close=True)
        else:
            self._send(200, _completion(request.model, reply))

    def _stream(self, model: str, reply: str, *, cut: bool) -> None:
        standin = self.standin
        words = re.findall(r"\S+\s*", reply)
        pieces = ["".join(words[i : i + 3]) for i in range(0, len(words), 3)]
        if cut:
            pieces = pieces[: max(1, len(pieces) // 2)]
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for piece in pieces:
                self.wfile.write(_event(_chunk(model, {"content": piece}, None)))
                self.wfile.flush()
                if standin.chunk_delay_s:
                    standin._release.wait(standin.chunk_delay_s)
            if not cut:
                self.wfile.write(_event(_chunk(model, {}, "stop")))
                self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _send_raw(
        self, status: int, data: bytes, content_type: str, *, close: bool = False
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            length = len(data) * 2 if close else len(data)  # a cut promises more
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its deadline passed): that is the point


def _completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(model: str, delta: dict[str, str], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _event(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): 'server down'."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
