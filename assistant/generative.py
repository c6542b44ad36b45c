"""Generative answers from an OpenAI-compatible chat model the operator configures.

LangChain's `ChatOpenAI` is the client. The model only words the answer from the same
passages the extractive answerer sees; what it writes is checked by `assistant.grounding`
before anyone sees it (the caller's job).

A model server fails in ordinary ways. Each call is retried within a time budget (the
caller's deadline, or `llm_budget_s`) and then gives up with `ModelUnavailable`:

    ModelUnavailable        after the budget, or at once for a request the server refuses
      ← timeouts, refused connections, 429 and 5xx, an empty or malformed reply, a stream
        cut before the model said it was done
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from lhl.records import Passage, Turn
from lhl.settings import Settings

log = logging.getLogger(__name__)

NOT_FOUND_TOKEN = "IKKE_FUNNET"
_PROMPTS = Path(__file__).parent / "prompts"
# "[1, 3]" or "[1; 3]" -> "[1][3]", so every cited number is its own marker.
_MARKER_LIST = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)+)\]")
# Reasoning models may think aloud first; only what follows is the answer.
_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
# The prompt's own delimiters must not appear inside a passage (a document cannot close
# the data section and start speaking as the prompt).
_DELIMITERS = re.compile(r"AVSNITT (?:START|SLUTT)", re.IGNORECASE)
_BACKOFF_S = (0.2, 0.5, 1.0, 2.0)
_REWRITE_MAX_CHARS = 400


class ModelUnavailable(Exception):
    """The model gave no usable reply within the budget."""


class _Retryable(Exception):
    """A reply worth asking again for (empty, malformed, cut)."""


@cache
def _prompt(name: str) -> str:
    return (_PROMPTS / name).read_text(encoding="utf-8")


def _split_marker_lists(text: str) -> str:
    return _MARKER_LIST.sub(
        lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,;]\s*", m[1])), text
    )


def clean(text: str) -> str:
    """The reply as an answer: no thinking aloud, one marker per cited number."""
    return _split_marker_lists(_THINKING.sub("", text)).strip()


def passages_block(passages: Sequence[Passage]) -> str:
    return "\n\n".join(
        _DELIMITERS.sub("avsnitt", f"[{i}] {p.chunk.title} – {p.chunk.section}\n{p.chunk.text}")
        for i, p in enumerate(passages, start=1)
    )


def passage_texts(passages: Sequence[Passage]) -> list[str]:
    """What each numbered passage showed the model: the evidence its [n] may point to."""
    return [f"{p.chunk.title} – {p.chunk.section}\n{p.chunk.text}" for p in passages]


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = getattr(response, "headers", {}).get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _refused(exc: Exception) -> bool:
    """A request the server will refuse again (bad key, unknown model): no retry."""
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in (408, 409, 429)


class GenerativeAnswerer:
    def __init__(self, settings: Settings, chat_model: Any | None = None) -> None:
        self.settings = settings
        self._model = chat_model
        self._lock = threading.Lock()

    def load(self) -> None:
        """Build the client now (importing it takes a second or two), not on the first
        question, where that second would eat into a deadline."""
        _ = self.model

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                from langchain_openai import ChatOpenAI
                from pydantic import SecretStr

                self._model = ChatOpenAI(
                    base_url=self.settings.llm_base_url,
                    model=self.settings.llm_model or "",
                    api_key=SecretStr(self.settings.llm_api_key or "ikke-satt"),
                    timeout=self.settings.llm_timeout_s,
                    max_retries=0,  # ours below, bounded by the caller's deadline
                    temperature=0,
                    # Azure OpenAI: the api-version goes in the query, the key in a header
                    # (LHL_LLM_API_VERSION; see README).
                    default_query=(
                        {"api-version": self.settings.llm_api_version}
                        if self.settings.llm_api_version
                        else None
                    ),
                    default_headers=(
                        {"api-key": self.settings.llm_api_key}
                        if self.settings.llm_api_version and self.settings.llm_api_key
                        else None
                    ),
                )
            return self._model

    # -- prompts -------------------------------------------------------------------------
    def messages(self, question: str, passages: Sequence[Passage]) -> list[tuple[str, str]]:
        user = _prompt("generative_user.txt").format(
            passages=passages_block(passages), question=question
        )
        return [("system", _prompt("generative_system.txt")), ("human", user)]

    # -- calls ---------------------------------------------------------------------------
    def _budget_end(self, deadline: float | None) -> float:
        end = time.perf_counter() + self.settings.llm_budget_s
        return end if deadline is None else min(end, deadline)

    def _call(self, messages: list[tuple[str, str]], deadline: float | None, what: str) -> str:
        last: Exception | None = None
        end = self._budget_end(deadline)
        for attempt in range(len(_BACKOFF_S) + 1):
            left = end - time.perf_counter()
            if left <= 0.05:
                break
            try:
                reply = self.model.invoke(messages, timeout=min(self.settings.llm_timeout_s, left))
                text = str(reply.content or "")
                if not clean(text):
                    raise _Retryable("empty reply")
                return text
            except Exception as exc:  # noqa: BLE001 (every failure is retried or ends in ModelUnavailable)
                last = exc
                if _refused(exc):
                    raise ModelUnavailable(f"{what}: refused: {exc}") from exc
                log.warning("%s: attempt %d failed: %s", what, attempt + 1, exc)
                wait = _retry_after(exc) or _BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)]
                if time.perf_counter() + wait >= end:
                    break
                time.sleep(wait)
        raise ModelUnavailable(f"{what}: no usable reply in time: {last}")

    def answer(
        self, question: str, passages: Sequence[Passage], deadline: float | None = None
    ) -> str | None:
        """The model's answer (not yet checked), or None when it says the passages do not
        answer. Raises ModelUnavailable."""
        text = clean(self._call(self.messages(question, passages), deadline, "answer"))
        return None if NOT_FOUND_TOKEN in text else text

    def stream(
        self, question: str, passages: Sequence[Passage], deadline: float | None = None
    ) -> Iterator[str]:
        """The model's reply as it comes, in raw pieces (the caller cleans and checks).

        A failure before the first piece is retried like `answer`; once text has been
        given out, a failure or a cut stream raises ModelUnavailable."""
        messages = self.messages(question, passages)
        end = self._budget_end(deadline)
        last: Exception | None = None
        for attempt in range(len(_BACKOFF_S) + 1):
            left = end - time.perf_counter()
            if left <= 0.05:
                break
            started = False
            try:
                finished = False
                for chunk in self.model.stream(
                    messages, timeout=min(self.settings.llm_timeout_s, left)
                ):
                    piece = str(chunk.content or "")
                    if (chunk.response_metadata or {}).get("finish_reason"):
                        finished = True
                    if piece:
                        started = True
                        yield piece
                if not finished:
                    raise _Retryable("stream ended before the model finished")
                if not started:
                    raise _Retryable("empty reply")
                return
            except Exception as exc:  # noqa: BLE001
                last = exc
                if started:
                    raise ModelUnavailable(f"stream cut: {exc}") from exc
                if _refused(exc):
                    raise ModelUnavailable(f"stream: refused: {exc}") from exc
                log.warning("stream: attempt %d failed: %s", attempt + 1, exc)
                wait = _retry_after(exc) or _BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)]
                if time.perf_counter() + wait >= end:
                    break
                time.sleep(wait)
        raise ModelUnavailable(f"stream: no usable reply in time: {last}")

    def rewrite(self, question: str, history: Sequence[Turn], deadline: float | None) -> str:
        """The follow-up question as a standalone one, written by the model from the
        conversation. Raises ModelUnavailable (the caller then uses the extractive way)."""
        lines = "\n".join(
            f"{'Bruker' if t.role == 'user' else 'Assistent'}: {t.content.strip()}"
            for t in history[-6:]
        )
        prompt = _prompt("generative_rewrite.txt").format(history=lines, question=question)
        text = clean(self._call([("human", prompt)], deadline, "rewrite"))
        text = text.strip().strip('"«»').strip()
        if "\n" in text or not text or len(text) > _REWRITE_MAX_CHARS or NOT_FOUND_TOKEN in text:
            raise ModelUnavailable(f"rewrite: not a question: {text[:200]!r}")
        return text
