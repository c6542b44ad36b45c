"""Request bodies of the web API (docs/contract.md). Responses are our records, as JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Generous bounds for "wrong shape" (422); the question's own limit (2,000 characters, a 400
# with a Norwegian explanation) is checked by the assistant, and bodies over 64 KiB get 413.
MAX_HISTORY_TURNS = 40
MAX_TURN_CHARS = 20_000


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question: str
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    answer_id: str = Field(default="", max_length=100)
    question: str = Field(default="", max_length=MAX_TURN_CHARS)
    answer: str = Field(default="", max_length=MAX_TURN_CHARS)
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=4000)
