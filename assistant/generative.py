"""Generative answers from an OpenAI-compatible chat model the operator configures.

LangChain's `ChatOpenAI` is the client. The model only words the answer from the same
passages the extractive answerer sees; an answer without valid [n] markers is not trusted.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from pathlib import Path
from typing import Any

from lhl.records import Passage
from lhl.settings import Settings

NOT_FOUND_TOKEN = "IKKE_FUNNET"
_PROMPTS = Path(__file__).parent / "prompts"
_MARKER = re.compile(r"\[(\d+)\]")
# "[1, 3]" or "[1; 3]" -> "[1][3]", so every cited number is its own marker.
_MARKER_LIST = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)+)\]")
# Reasoning models may think aloud first; only what follows is the answer.
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


@cache
def _prompt(name: str) -> str:
    return (_PROMPTS / name).read_text(encoding="utf-8")


def _split_marker_lists(text: str) -> str:
    return _MARKER_LIST.sub(
        lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,;]\s*", m[1])), text
    )


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
                    max_retries=0,
                    temperature=0,
                )
            return self._model

    def answer(self, question: str, passages: list[Passage]) -> tuple[str | None, list[int]]:
        """(answer text, cited passage numbers in order of first mention), or (None, [])
        when the model finds nothing.

        Raises ValueError when the model's answer cannot be trusted (no or invalid markers)."""
        numbered = "\n\n".join(
            f"[{i}] {p.chunk.title} – {p.chunk.section}\n{p.chunk.text}"
            for i, p in enumerate(passages, start=1)
        )
        messages = [
            ("system", _prompt("generative_system.txt")),
            ("human", _prompt("generative_user.txt").format(passages=numbered, question=question)),
        ]
        reply = self.model.invoke(messages)
        text = _THINKING.sub("", str(reply.content)).strip()
        if NOT_FOUND_TOKEN in text:
            return None, []
        text = _split_marker_lists(text)
        # First mention first: the caller renumbers in this order, so the answer reads [1], [2] …
        cited = list(dict.fromkeys(int(n) for n in _MARKER.findall(text)))
        if not text or not cited or any(n < 1 or n > len(passages) for n in cited):
            raise ValueError(f"untrustworthy generative answer: {text[:200]!r}")
        return text, cited
