"""Request bodies of the web API (docs/contract.md). Responses are our records, as JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Generous bounds for "wrong shape" (422); the question's own limit (2,000 characters, a 400
# with a Norwegian explanation) is checked by the assistant, and bodies over 64 KiB get 413.
MAX_HISTORY_TURNS = 40
MAX_TURN_CHARS = 20_000


def whole_unicode(value: str) -> str:
    """JSON lets a string hold half a surrogate pair ("\\ud800"), which Python reads but can
    never write back out as UTF-8: refused here (422), not a 500 when the answer is sent."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("lone surrogate") from None
    return value


Text = Annotated[str, AfterValidator(whole_unicode)]


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: Text = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question: Text
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    answer_id: Text = Field(default="", max_length=100)
    question: Text = Field(default="", max_length=MAX_TURN_CHARS)
    answer: Text = Field(default="", max_length=MAX_TURN_CHARS)
    rating: Literal["up", "down"]
    comment: Text | None = Field(default=None, max_length=4000)


class ErrorDetail(BaseModel):
    code: str
    message: str  # Norwegian, for a person to read


class ErrorBody(BaseModel):
    """Every error response (docs/contract.md); some carry more fields beside `error`."""

    error: ErrorDetail


# For the OpenAPI document: any route may answer an error, always in this shape (instead of
# FastAPI's default 422 `{"detail": [...]}`, which this service never sends).
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "4XX": {"model": ErrorBody, "description": "Feil i forespørselen (norsk melding)"},
    "5XX": {"model": ErrorBody, "description": "Tjenesten er ikke klar, eller noe gikk galt"},
}
