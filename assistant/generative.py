"""Generative answers from an OpenAI-compatible chat model the operator configures.

LangChain's `ChatOpenAI` is the client. The model only words the answer from the same
passages the extractive answerer sees; an answer without valid [n] markers is not trusted.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from lhl.records import Passage
from lhl.settings import Settings

NOT_FOUND_TOKEN = "IKKE_FUNNET"
_PROMPTS = Path(__file__).parent / "prompts"
_MARKER = re.compile(r"\[(\d+)\]")


@cache
def _prompt(name: str) -> str:
    return (_PROMPTS / name).read_text(encoding="utf-8")


class GenerativeAnswerer:
    def __init__(self, settings: Settings, chat_model: Any | None = None) -> None:
        self.settings = settings
        self._model = chat_model

    @property
    def model(self) -> Any:
        if self._model is None:
            from langchain_openai import ChatOpenAI

            self._model = ChatOpenAI(
                base_url=self.settings.llm_base_url,
                model=self.settings.llm_model or "",
                api_key=self.settings.llm_api_key or "ikke-satt",
                timeout=self.settings.llm_timeout_s,
                max_retries=0,
                temperature=0,
            )
        return self._model

    def answer(self, question: str, passages: list[Passage]) -> tuple[str | None, list[int]]:
        """(answer text, cited passage numbers), or (None, []) when the model finds nothing.

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
        text = str(reply.content).strip()
        if NOT_FOUND_TOKEN in text:
            return None, []
        cited = sorted({int(n) for n in _MARKER.findall(text)})
        if not cited or any(n < 1 or n > len(passages) for n in cited):
            raise ValueError(f"untrustworthy generative answer: {text[:200]!r}")
        return text, cited
