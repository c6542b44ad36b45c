"""A deployed service as the eval target: POST {URL}/api/ask, so the production
configuration (its index, its model, its settings) is what gets measured."""

from __future__ import annotations

import time
from typing import Any

import httpx

from eval.questions import EvalQuestion
from eval.runner import AnswerError
from lhl.errors import LhlError

RETRY_STATUSES = (429, 503)  # rate limited; not ready (an ingest swapped the index)
RETRIES = 6
MAX_WAIT_S = 30.0


class ServiceUnavailable(LhlError):
    """The service cannot be reached or never became ready: the whole run stops."""

    code = "tjeneste_utilgjengelig"
    status = 503


def _error_message(response: httpx.Response) -> str:
    """The service's own Norwegian message (docs/contract.md error body) when it sent one."""
    try:
        body = response.json()
        message = body["error"]["message"]
        if isinstance(message, str) and message:
            return f"{message} (HTTP {response.status_code})"
    except (ValueError, KeyError, TypeError):
        pass
    return f"tjenesten svarte med HTTP {response.status_code}"


class HttpTarget:
    def __init__(
        self,
        base_url: str,
        mode: str | None = None,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.mode = mode
        self.client = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unreachable(self, exc: Exception) -> ServiceUnavailable:
        return ServiceUnavailable(
            f"Får ikke kontakt med tjenesten på {self.base_url}. Kjører den («lhl serve»), "
            "og er adressen riktig?",
            detail=f"{type(exc).__name__}: {exc}",
        )

    def wait_ready(self, timeout_s: float = 300.0) -> dict[str, Any]:
        """Wait for GET /readyz (the service may still be building or loading its index) and
        return what it says about itself; a service without /readyz is taken as ready."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                response = self.client.get("/readyz")
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from exc
            body = _json_object(response)
            if response.status_code != 503:
                return body if response.status_code == 200 else {}
            if body.get("state") == "failed" or time.monotonic() > deadline:
                raise ServiceUnavailable(
                    f"Tjenesten på {self.base_url} er ikke klar: {_error_message(response)}"
                )
            time.sleep(1.0)

    def ask(self, question: EvalQuestion) -> dict[str, Any]:
        body: dict[str, object] = {
            "question": question.question,
            "history": [{"role": t.role, "content": t.content} for t in question.history],
        }
        if self.mode:
            body["mode"] = self.mode
        for attempt in range(RETRIES + 1):
            try:
                response = self.client.post("/api/ask", json=body)
            except httpx.TimeoutException as exc:
                raise AnswerError("tjenesten svarte ikke i tide") from exc
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from exc
            if response.status_code in RETRY_STATUSES and attempt < RETRIES:
                time.sleep(_retry_after(response, attempt))
                continue
            break
        if response.status_code != 200:
            raise AnswerError(_error_message(response))
        try:
            answer = response.json()
        except ValueError as exc:
            raise AnswerError("tjenesten svarte ikke med JSON") from exc
        if not isinstance(answer, dict) or "answer" not in answer:
            raise AnswerError("tjenesten svarte ikke med et svarobjekt")
        return answer


def _retry_after(response: httpx.Response, attempt: int) -> float:
    try:
        return min(MAX_WAIT_S, float(response.headers.get("retry-after", "")))
    except ValueError:
        return min(MAX_WAIT_S, 0.5 * 2.0**attempt)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
