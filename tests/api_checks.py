"""What the API tests send and check: a question asked over HTTP, the fields of the Answer
object, and the error shape of docs/contract.md with a Norwegian message and no internals."""

from __future__ import annotations

import re

import httpx

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


def ask(client: httpx.Client, question: str, history: list[dict[str, str]] | None = None) -> dict:
    response = client.post("/api/ask", json={"question": question, "history": history or []})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


FIRST = "Hvem består det nasjonale støtteapparatet av?"
FOLLOW_UP = "Og det regionale?"  # means nothing without the turn before


def ask_a_follow_up(client: httpx.Client) -> tuple[dict, dict]:
    """A question, then a follow-up with the question and its answer as history: both answers."""
    previous = ask(client, FIRST)
    history = [
        {"role": "user", "content": FIRST},
        {"role": "assistant", "content": previous["answer"]},
    ]
    return previous, ask(client, FOLLOW_UP, history)
